//! Bad input and usage errors: a clear message or a per-snippet status, the
//! right exit code, and the run goes on.

use std::fs;

use snipcheck::report::{Cause, Status};

use crate::support::{root, row, snipcheck};

#[test]
fn broken_documents_get_statuses_and_the_run_goes_on() {
    let fixture = "tests/fixtures/broken.md";
    let run = snipcheck("broken", &["--specs", fixture, "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let unparsable = row(&report, "broken.md", 7);
    assert_eq!(
        (unparsable.status, unparsable.cause),
        (Status::Fail, Some(Cause::Syntax))
    );
    assert_eq!(unparsable.diagnostics[0].line, 8);
    let empty = row(&report, "broken.md", 13);
    assert_eq!(
        empty.status,
        Status::Pass,
        "an empty block compiles: {empty:?}"
    );
    let fine = row(&report, "broken.md", 18);
    assert_eq!(fine.status, Status::Pass, "{fine:?}");
    let unterminated = row(&report, "broken.md", 24);
    assert!(!unterminated.problems.is_empty(), "{unterminated:?}");
    assert_eq!(unterminated.status, Status::Pass, "{unterminated:?}");
}

#[test]
fn missing_paths_and_non_utf8_files_are_reported_and_the_rest_is_checked() {
    let dir = root().join("sandbox/it-input-files");
    fs::create_dir_all(&dir).expect("create the input folder");
    fs::write(
        dir.join("latin1.md"),
        b"# Caf\xe9\n\n```rust\nfn main() {}\n```\n",
    )
    .expect("write");
    fs::write(
        dir.join("good.md"),
        "# Good\n\n```rust\nfn main() {}\n```\n",
    )
    .expect("write");
    let latin1 = dir.join("latin1.md").to_string_lossy().into_owned();
    let good = dir.join("good.md").to_string_lossy().into_owned();
    let run = snipcheck(
        "inputs",
        &[
            "--specs",
            &latin1,
            "no/such/file.md",
            &good,
            "--format",
            "json",
        ],
    );
    assert_eq!(
        run.code, 2,
        "unusable inputs are a usage error\n{}",
        run.stderr
    );
    let report = run.report();
    let messages: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages.iter().any(|m| m.contains("is not UTF-8")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("no such file or folder")),
        "{messages:?}"
    );
    assert_eq!(row(&report, "good.md", 3).status, Status::Pass);
}

#[test]
fn a_foreign_sandbox_is_refused_with_a_clear_message() {
    let dir = root().join("sandbox/it-foreign");
    fs::create_dir_all(&dir).expect("create");
    fs::write(dir.join("precious.txt"), "not snipcheck's").expect("write");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(crate::support::unconfined_here())
        .current_dir(root())
        .args(["--specs", "specs", "--sandbox"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to use"), "{stderr}");
    assert!(dir.join("precious.txt").exists());
}

#[test]
fn usage_errors_exit_with_2() {
    let run = snipcheck("usage", &["--format", "yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid value 'yaml'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_toolchain_is_reported_once_and_nothing_fails() {
    let run = snipcheck(
        "toolchain",
        &[
            "--specs",
            "tests/fixtures/broken.md",
            "--toolchain",
            "snipcheck-no-such-toolchain",
            "--format",
            "json",
        ],
    );
    let report = run.report();
    assert_eq!(report.toolchains.len(), 1);
    assert!(!report.toolchains[0].installed);
    let notes: Vec<&str> = report.problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        notes
            .iter()
            .filter(|m| m.contains("is not installed"))
            .count(),
        1,
        "{notes:?}"
    );
    let fine = row(&report, "broken.md", 18);
    assert_eq!(fine.status, Status::Skip, "{fine:?}");
}

#[test]
fn list_files_names_each_document_and_its_kind() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let repo = tmp.path();
    for (path, text) in [
        (
            ".claude/agents/reviewer.md",
            "---\nname: reviewer\n---\n# Reviewer\n",
        ),
        (".cursor/rules/rust.mdc", "---\nglobs: \"**/*.rs\"\n---\n"),
        (".git/AGENTS.md", "not a document"),
        ("AGENTS.md", "# Agents\n"),
        ("README.md", "# Readme\n"),
    ] {
        let file = repo.join(path);
        fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        fs::write(&file, text).expect("write");
    }
    let shown = repo.display().to_string();
    let run = snipcheck("list-files", &["--list-files", "--specs", &shown]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<String> = run
        .stdout
        .lines()
        .map(|line| line.replace(&format!("{shown}/"), ""))
        .collect();
    assert_eq!(
        lines,
        [
            "claude-code agent       .claude/agents/reviewer.md",
            "cursor rule             .cursor/rules/rust.mdc",
            "agents-md instructions  AGENTS.md",
            "readme                  README.md",
        ]
    );

    let missing = format!("{shown}/missing");
    let run = snipcheck("list-files", &["--list-files", "--specs", &missing]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("no such file or folder"),
        "{}",
        run.stderr
    );
}
