//! The result cache: an unchanged run builds nothing; an edit rebuilds only the
//! edited snippet; a moved snippet keeps its result at its new lines; a corrupt
//! entry is rebuilt, never trusted.

use std::fs;

use snipcheck::report::Status;

use crate::support::{root, row, snipcheck};

#[test]
fn unchanged_snippets_are_not_rebuilt() {
    let dir = root().join("sandbox/it-input-cache");
    fs::create_dir_all(&dir).expect("create");
    let guide = dir.join("guide.md");
    let text =
        fs::read_to_string(root().join("tests/fixtures/baseline/guide.md")).expect("fixture");
    fs::write(&guide, &text).expect("write");
    let guide_arg = guide.to_string_lossy().into_owned();
    let args = [
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--format",
        "json",
    ];
    let sandbox = root().join("sandbox/it-cache");
    let _ = fs::remove_dir_all(sandbox.join("cache"));

    let first = snipcheck("cache", &args).report();
    assert!(first.snippets.iter().all(|s| !s.cached));
    assert!(first.cargo_invocations.get("build").copied().unwrap_or(0) >= 1);

    let second = snipcheck("cache", &args).report();
    assert!(
        second.snippets.iter().filter(|s| s.rust).all(|s| s.cached),
        "{:?}",
        second.snippets
    );
    assert_eq!(
        second.cargo_invocations.get("build"),
        None,
        "{:?}",
        second.cargo_invocations
    );
    assert_eq!(second.cargo_invocations.get("metadata"), None);
    for (a, b) in first.snippets.iter().zip(&second.snippets) {
        assert_eq!(
            (a.status, a.cause, &a.diagnostics),
            (b.status, b.cause, &b.diagnostics)
        );
    }

    // Two lines above both examples, and an edit to the first: only it is rebuilt,
    // and the other keeps its diagnostics, moved with it.
    let edited = format!(
        "# Moved\n\ndown\n{}",
        text.replace("items.len()", "items.len() * 2")
    );
    fs::write(&guide, edited).expect("write");
    let third = snipcheck("cache", &args).report();
    let (counting, sketch) = (row(&third, "guide.md", 10), row(&third, "guide.md", 18));
    assert!(!counting.cached && sketch.cached, "{third:?}");
    let before = row(&second, "guide.md", 15);
    assert_eq!(sketch.diagnostics[0].line, before.diagnostics[0].line + 3);

    // --no-cache rebuilds everything.
    let fourth = snipcheck("cache", &[&args[..], &["--no-cache"]].concat()).report();
    assert!(fourth.snippets.iter().all(|s| !s.cached));

    // A corrupt entry is ignored: the snippet is rebuilt.
    for shard in fs::read_dir(sandbox.join("cache"))
        .expect("the cache exists")
        .flatten()
    {
        for entry in fs::read_dir(shard.path()).expect("a shard").flatten() {
            fs::write(entry.path(), "{ corrupt").expect("write");
        }
    }
    let fifth = snipcheck("cache", &args).report();
    assert!(fifth.snippets.iter().all(|s| !s.cached));
    assert_eq!(row(&fifth, "guide.md", 18).status, sketch.status);
}

/// Merged compilation changes the cost, never a result: the same statuses,
/// causes and diagnostics as one crate per snippet.
#[test]
fn merged_and_standalone_builds_agree() {
    let specs = [
        "tests/fixtures/merge/guide.md",
        "specs/rust-style-guide.md",
        "specs/data-and-errors.md",
    ];
    let run = |merge: &[&str]| {
        let mut args = vec!["--specs"];
        args.extend(specs);
        args.extend(["--toolchain", "stable", "--no-cache", "--format", "json"]);
        args.extend(merge);
        snipcheck("merge", &args).report()
    };
    let merged = run(&[]);
    let alone = run(&["--no-merge"]);
    assert_eq!(merged.snippets.len(), alone.snippets.len());
    for (a, b) in merged.snippets.iter().zip(&alone.snippets) {
        assert_eq!(
            (
                a.status,
                a.cause,
                &a.other_causes,
                &a.diagnostics,
                &a.suggestion
            ),
            (
                b.status,
                b.cause,
                &b.other_causes,
                &b.diagnostics,
                &b.suggestion
            ),
            "{}:{}",
            a.file,
            a.line
        );
    }
    // The fixture really was merged: the clean std-only examples share crates.
    let merged_dir = root().join("sandbox/it-merge/ws/snippets");
    let shared = fs::read_dir(&merged_dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("snip-merged-"))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(
        shared, 0,
        "the last run was --no-merge and removed the merged crates"
    );
    // Without the failure hints the --no-merge run left, so that this run
    // merges as the first did (`last_runs_failures_get_crates_of_their_own`
    // checks a run with them).
    fs::remove_file(root().join("sandbox/it-merge/failure-hints.json")).expect("hints");
    let merged_again = run(&[]);
    let shared = fs::read_dir(&merged_dir)
        .expect("the workspace exists")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("snip-merged-"))
        .count();
    assert!(shared >= 1, "no merged crate was built");
    assert_eq!(merged_again.totals, merged.totals);
}

/// Snippets that failed when last built get merged crates of their own, so
/// the others build clean in one pass: one cargo build instead of a primary
/// build and a re-merge round, with the same results. The hints survive
/// `--no-cache` (they are no results); a corrupt hints file is ignored.
#[test]
fn last_runs_failures_get_crates_of_their_own() {
    let args = [
        "--specs",
        "tests/fixtures/merge/guide.md",
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--no-cache",
        "--format",
        "json",
    ];
    let hints = root().join("sandbox/it-hints/failure-hints.json");
    let _ = fs::remove_file(&hints);
    let builds = |report: &snipcheck::report::Report| {
        report.cargo_invocations.get("build").copied().unwrap_or(0)
    };
    let verdicts = |report: &snipcheck::report::Report| {
        report
            .snippets
            .iter()
            .map(|s| (s.line, s.status, s.diagnostics.clone()))
            .collect::<Vec<_>>()
    };

    let first = snipcheck("hints", &args).report();
    assert!(
        first.snippets.iter().any(|s| s.status == Status::Fail),
        "the fixture has failing examples"
    );
    assert!(builds(&first) >= 2, "{:?}", first.cargo_invocations);
    assert!(hints.exists(), "the run recorded its failures");

    let second = snipcheck("hints", &args).report();
    assert_eq!(builds(&second), 1, "{:?}", second.cargo_invocations);
    assert_eq!(verdicts(&second), verdicts(&first));

    fs::write(&hints, "{ corrupt").expect("write");
    let third = snipcheck("hints", &args).report();
    assert!(builds(&third) >= 2, "{:?}", third.cargo_invocations);
    assert_eq!(verdicts(&third), verdicts(&first));
}
