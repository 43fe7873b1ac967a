//! `--fix-imports`, `--fix-edition`, `--fix-pins` and `--fmt`: each repair
//! round-trips a fixture document: the dry run's diff (snapshotted) and
//! nothing written, then the fix, which changes only code blocks, keeps CRLF
//! and list indentation, and a second run that changes nothing.

use std::fs;

use snipcheck::report::{Cause, Report, Status};

use crate::support::{Run, outside_blocks, root, row, snipcheck};

/// What one repair did to a fixture.
struct RoundTrip {
    original: String,
    fixed: String,
    dry_run: String,
    fix: Run,
    again: Run,
}

/// Copies `fixture` into a folder of its own, runs the dry run, the fix and
/// the fix again with `flags`, and checks what every repair must keep.
fn round_trip(fixture: &str, flags: &[&str]) -> RoundTrip {
    let name = fixture.trim_end_matches(".md");
    let dir = root().join(format!("sandbox/it-input-repair-{name}"));
    fs::create_dir_all(&dir).expect("create");
    let path = dir.join(fixture);
    let original =
        fs::read_to_string(root().join("tests/fixtures/fix").join(fixture)).expect("fixture");
    fs::write(&path, &original).expect("write");
    let path_arg = path.to_string_lossy().into_owned();
    let sandbox = format!("repair-{name}");
    let args = [
        &["--specs", path_arg.as_str(), "--toolchain", "stable"],
        flags,
    ]
    .concat();

    let dry = snipcheck(&sandbox, &[&args[..], &["--dry-run"]].concat());
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        original,
        "a dry run writes nothing"
    );
    // The diff names the document as `a/PATH`, an absolute path without its first `/`.
    let in_diff = path_arg.trim_start_matches('/');
    let dry_run = dry.stdout.replace(in_diff, &format!("<dir>/{fixture}"));

    let fix = snipcheck(&sandbox, &[&args[..], &["--format", "json"]].concat());
    let fixed = fs::read_to_string(&path).expect("read");
    assert_eq!(
        outside_blocks(&fixed),
        outside_blocks(&original),
        "only code blocks change:\n{fixed}"
    );
    if original.contains("\r\n") {
        assert!(
            !fixed.replace("\r\n", "").contains('\n'),
            "only CRLF line endings:\n{fixed:?}"
        );
    }
    let again = snipcheck(&sandbox, &args);
    assert_eq!(
        fs::read_to_string(&path).expect("read"),
        fixed,
        "a second run changes nothing:\n{}",
        again.stderr
    );
    RoundTrip {
        original,
        fixed,
        dry_run,
        fix,
        again,
    }
}

fn status(report: &Report, fixture: &str, line: u32) -> Status {
    row(report, fixture, line).status
}

#[test]
fn missing_imports_are_added_where_the_imports_are() {
    let trip = round_trip("imports.md", &["--fix-imports"]);
    insta::assert_snapshot!("imports_dry_run", trip.dry_run);
    assert_ne!(trip.fixed, trip.original, "{}", trip.fix.stderr);
    // After the list item's own import, with its indentation.
    assert!(
        trip.fixed.contains(
            "   use std::sync::Arc;\n   use std::collections::HashMap;\n\n   pub struct Cache {"
        ),
        "{}",
        trip.fixed
    );
    // Before the hidden `main`, visible, so the reader sees it.
    assert!(
        trip.fixed
            .contains("```rust\nuse std::collections::HashSet;\n# fn main() {\n"),
        "{}",
        trip.fixed
    );
    assert!(trip.fix.stderr.contains("fixed: "), "{}", trip.fix.stderr);
    let report = trip.fix.report();
    assert_eq!(status(&report, "imports.md", 7), Status::Pass);
    // One line was added above it.
    assert_eq!(status(&report, "imports.md", 24), Status::Pass);
    assert!(trip.again.stderr.contains("nothing to fix"));
}

#[test]
fn edition_drift_gets_rustcs_migration() {
    let trip = round_trip("edition.md", &["--fix-edition"]);
    insta::assert_snapshot!("edition_dry_run", trip.dry_run);
    assert!(
        trip.fixed.contains("\r\n  unsafe extern \"C\" {\r\n"),
        "{:?}",
        trip.fixed
    );
    // The attribute that asked for the migration lints is never written back.
    assert!(!trip.fixed.contains("rust_2024_compatibility"));
    let report = trip.fix.report();
    assert_eq!(status(&report, "edition.md", 5), Status::Pass);
}

#[test]
fn pins_are_rewritten_to_the_proven_release_and_nightly_is_listed() {
    let trip = round_trip("pins.md", &["--fix-pins"]);
    insta::assert_snapshot!("pins_dry_run", trip.dry_run);
    assert!(
        trip.fixed.contains("axum = \"0.6\"\n"),
        "{}\n{}",
        trip.fixed,
        trip.fix.stderr
    );
    assert!(
        trip.fix.stderr.contains("needs nightly"),
        "{}",
        trip.fix.stderr
    );
    // The examples are built with the newest release whatever the pin says:
    // the drift stays reported, now with a pin that says what works.
    let report = trip.fix.report();
    let server = row(&report, "pins.md", 11);
    assert_eq!(server.status, Status::Fail);
    assert_eq!(server.cause, Some(Cause::DependencyDrift));
    // The second run finds the pin already right.
    assert!(
        trip.again.stderr.contains("already pinned"),
        "{}",
        trip.again.stderr
    );
}

#[test]
fn fmt_reports_then_formats_only_the_visible_code() {
    let original = fs::read_to_string(root().join("tests/fixtures/fix/fmt.md")).expect("fixture");
    let fixture = root().join("tests/fixtures/fix/fmt.md");
    let fixture = fixture.to_string_lossy();
    let report = snipcheck(
        "repair-fmt-report",
        &[
            "--specs",
            &fixture,
            "--toolchain",
            "stable",
            "--fmt",
            "--format",
            "json",
        ],
    )
    .report();
    assert_eq!(status(&report, "fmt.md", 5), Status::Warn);
    assert_eq!(status(&report, "fmt.md", 11), Status::Warn);
    let items = row(&report, "fmt.md", 5);
    assert!(
        items
            .diagnostics
            .iter()
            .any(|d| d.code.as_deref() == Some("rustfmt")
                && d.notes
                    .concat()
                    .contains("+pub fn add(a: i32, b: i32) -> i32 {")),
        "{:?}",
        items.diagnostics
    );
    let interleaved = row(&report, "fmt.md", 22);
    assert_eq!(interleaved.status, Status::Pass);
    assert!(
        interleaved
            .diagnostics
            .iter()
            .any(|d| d.message.contains("not formatted: hidden")),
        "{:?}",
        interleaved.diagnostics
    );
    assert_eq!(status(&report, "fmt.md", 30), Status::Pass);

    let trip = round_trip("fmt.md", &["--fmt", "--fix"]);
    assert_eq!(trip.original, original);
    insta::assert_snapshot!("fmt_dry_run", trip.dry_run);
    assert!(
        trip.fixed.contains(
            "   ```rust\r\n   pub fn add(a: i32, b: i32) -> i32 {\r\n       a + b\r\n   }\r\n   ```\r\n"
        ),
        "{:?}",
        trip.fixed
    );
    assert!(
        trip.fixed.contains(
            "# fn main() {\r\nlet total: i32 = (1..=3).sum();\r\n\r\nlet doubled = total * 2;\r\nassert_eq!(doubled, 12);\r\n# }\r\n"
        ),
        "{:?}",
        trip.fixed
    );
    // Not formattable: left as it was.
    assert!(
        trip.fixed
            .contains("let a=1;\r\n# let b = 2;\r\nassert_eq!(a+b,3);\r\n")
    );
    let report = trip.fix.report();
    assert_eq!(status(&report, "fmt.md", 5), Status::Pass);
    // Two lines longer above it now.
    assert_eq!(status(&report, "fmt.md", 13), Status::Pass);
}
