//! Dependency resolution: the committed lockfile (reproducible by default,
//! `--latest` for the newest releases) and pins cargo cannot meet, which cost
//! their own examples a status and nothing else.

use std::fs;

use snipcheck::lockfile::{LockMode, Lockfile};
use snipcheck::report::{Cause, Report, Status};

use crate::support::{root, row, snipcheck};

/// The fixture in a folder of its own, and where its lockfile goes.
fn inputs() -> (String, std::path::PathBuf) {
    let dir = root().join("sandbox/it-input-resolution");
    fs::create_dir_all(&dir).expect("create the input folder");
    let spec = dir.join("versions.md");
    fs::copy(root().join("tests/fixtures/resolution/versions.md"), &spec).expect("copy");
    (
        spec.to_string_lossy().into_owned(),
        dir.join("snipcheck.lock"),
    )
}

fn itoa_version(report: &Report) -> String {
    let dependency = row(report, "versions.md", 5)
        .dependencies
        .iter()
        .find(|d| d.package == "itoa")
        .expect("the first example depends on itoa");
    dependency.version.clone().expect("a resolved version")
}

#[test]
fn lockfile_round_trip_and_unmet_pins() {
    let (spec, lock) = inputs();
    let lock_arg = lock.to_string_lossy().into_owned();
    let common = [
        "--specs",
        spec.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--fail-on",
        "never",
        "--format",
        "json",
        "--lockfile",
        lock_arg.as_str(),
    ];
    let _ = fs::remove_file(&lock);

    // An explicit lockfile that does not exist is a usage error, unless blessing.
    let run = snipcheck("resolution", &common);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no lockfile at"), "{}", run.stderr);

    let run = snipcheck("resolution", &[&common[..], &["--bless"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();

    // The unmet pins fail on their own, saying which requirement and why; the
    // example beside them is built as usual.
    assert_eq!(row(&report, "versions.md", 5).status, Status::Pass);
    for (line, says) in [(16, "=0.0.99"), (25, "yanked")] {
        let unmet = row(&report, "versions.md", line);
        assert_eq!(unmet.status, Status::Fail, "{unmet:#?}");
        assert_eq!(unmet.cause, Some(Cause::UnresolvableDependency));
        let message = &unmet.diagnostics[0].message;
        assert!(message.contains(says), "{message}");
        assert!(!message.contains("required by package"), "{message}");
    }
    assert!(
        report.problems.is_empty(),
        "an unmet pin is no run problem: {:?}",
        report.problems
    );

    // The written lockfile holds registry packages only, and itoa.
    let written = fs::read_to_string(&lock).expect("--bless wrote the lockfile");
    let parsed = Lockfile::parse(&written).expect("a valid lockfile");
    assert!(parsed.newest("itoa").is_some(), "{written}");
    assert!(!written.contains("snip-"), "{written}");
    let newest = itoa_version(&report);

    // Hold itoa back in the lockfile: the default run builds with that version.
    let held_back = hold_back_itoa(&written, "1.0.9");
    fs::write(&lock, &held_back).expect("write");
    let report = snipcheck("resolution", &common).report();
    assert_eq!(itoa_version(&report), "1.0.9");
    let summary = report.lockfile.as_ref().expect("a lockfile summary");
    assert_eq!(summary.mode, LockMode::Locked);
    assert!(summary.found && summary.moved.is_empty(), "{summary:?}");

    // --latest builds with the newest release and says what moved.
    let report = snipcheck("resolution", &[&common[..], &["--latest"]].concat()).report();
    assert_eq!(itoa_version(&report), newest);
    let summary = report.lockfile.as_ref().expect("a lockfile summary");
    assert_eq!(summary.mode, LockMode::Latest);
    let moved: Vec<String> = summary
        .moved
        .iter()
        .map(|m| format!("{} {:?} -> {:?}", m.package, m.locked, m.now))
        .collect();
    assert_eq!(
        moved,
        [format!("itoa Some(\"1.0.9\") -> Some(\"{newest}\")")]
    );
    // Reading is all --latest does to the lockfile.
    assert_eq!(fs::read_to_string(&lock).expect("read"), held_back);
}

/// The lockfile with itoa's entry set to `version` (and no checksum, which
/// cargo fills in again).
fn hold_back_itoa(lock: &str, version: &str) -> String {
    let mut out = Vec::new();
    let mut in_itoa = false;
    for line in lock.lines() {
        if line == "[[package]]" {
            in_itoa = false;
        }
        if line == "name = \"itoa\"" {
            in_itoa = true;
        }
        if in_itoa && line.starts_with("version = ") {
            out.push(format!("version = \"{version}\""));
        } else if !(in_itoa && line.starts_with("checksum = ")) {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}
