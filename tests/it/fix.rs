//! `--fix`: machine-applicable suggestions written back into the Markdown,
//! only inside code blocks, idempotent, with a dry-run diff.

use std::fs;

use snipcheck::report::Status;

use crate::support::{outside_blocks, root, row, snipcheck};

#[test]
fn fixes_are_written_into_the_blocks_and_only_there() {
    let dir = root().join("sandbox/it-input-fix");
    fs::create_dir_all(&dir).expect("create");
    let guide = dir.join("guide.md");
    let original = fs::read_to_string(root().join("tests/fixtures/fix/guide.md")).expect("fixture");
    fs::write(&guide, &original).expect("write");
    let guide_arg = guide.to_string_lossy().into_owned();
    let args = [
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
    ];

    // A dry run prints a diff and writes nothing.
    let dry = snipcheck("fix", &[&args[..], &["--fix", "--dry-run"]].concat());
    assert!(
        dry.stdout.contains("+impl Default for Builder")
            || dry.stdout.contains("+   impl Default for Builder"),
        "{}",
        dry.stdout
    );
    assert_eq!(fs::read_to_string(&guide).expect("read"), original);

    let fixed_run = snipcheck("fix", &[&args[..], &["--fix", "--format", "json"]].concat());
    let fixed = fs::read_to_string(&guide).expect("read");
    assert_ne!(fixed, original, "{}", fixed_run.stderr);
    // Every byte outside the code blocks is as it was, CRLF included.
    assert_eq!(outside_blocks(&fixed), outside_blocks(&original));
    assert!(
        !fixed.replace("\r\n", "").contains('\n'),
        "only CRLF line endings"
    );
    // The list item's indentation is kept for inserted lines.
    assert!(
        fixed.contains("\r\n   impl Default for Builder {\r\n"),
        "{fixed}"
    );
    assert!(fixed.contains("       42\r\n"), "{fixed}");
    // The hidden lines are untouched.
    assert!(
        fixed.contains("# fn main() {\r\n") && fixed.contains("# }\r\n"),
        "{fixed}"
    );
    // After the fix, the re-verification reports what remains.
    let report = fixed_run.report();
    let statuses: Vec<Status> = report
        .snippets
        .iter()
        .filter(|s| s.rust)
        .map(|s| s.status)
        .collect();
    // The builder and the return are fixed; whatever clippy says of the
    // rewritten third block is reported, not hidden.
    assert_eq!(
        statuses[..2],
        [Status::Pass, Status::Pass],
        "{}",
        fixed_run.stderr
    );
    assert_ne!(statuses[2], Status::Fail);
    assert_eq!(row(&report, "guide.md", 7).status, Status::Pass);

    // Fixing twice changes nothing the second time.
    snipcheck("fix", &[&args[..], &["--fix"]].concat());
    assert_eq!(fs::read_to_string(&guide).expect("read"), fixed);
}
