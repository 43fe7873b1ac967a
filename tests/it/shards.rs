//! Beyond one machine: shards of a run merged back give the whole run's report,
//! and builds under a compilation cache (`RUSTC_WRAPPER`, as sccache is used)
//! give the same verdicts.

use std::fs;
use std::path::{Path, PathBuf};

use snipcheck::report::{Cause, Report, Status};

use crate::support::{Run, assert_matches_schema, root, snipcheck, snipcheck_with};

/// Every run of the sharding test shares one sandbox, so the registry is asked
/// once; `--no-cache` makes every shard really build (and diagnose) its snippets.
const SHARDS_SANDBOX: &str = "shards";

/// What differs legitimately between a whole run and its merged shards: the
/// cargo processes started (each shard asks for `rustc -V`, resolves and
/// builds on its own, so the counts are sums over the shards). Nothing else.
fn normalized(mut report: Report) -> Report {
    report.cargo_invocations.clear();
    report
}

fn reports_dir() -> PathBuf {
    let dir = root().join("sandbox/it-shards-reports");
    fs::create_dir_all(&dir).expect("create the reports folder");
    dir
}

fn arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[test]
fn merged_shards_report_what_the_whole_run_reports() {
    let started = std::time::Instant::now();
    let dir = reports_dir();
    let baseline = dir.join("baseline.toml");
    let _ = fs::remove_file(&baseline);
    let baseline_arg = arg(&baseline);
    let common = [
        "--specs",
        "specs",
        "--toolchain",
        "stable",
        "--no-cache",
        "--baseline",
        baseline_arg.as_str(),
    ];
    // The whole run writes the baseline the shards and the merge compare with.
    let whole = snipcheck(
        SHARDS_SANDBOX,
        &[&common[..], &["--bless", "--format", "json"]].concat(),
    );
    assert_eq!(whole.code, 0, "nothing regressed\n{}", whole.stderr);
    // A real report, compared with a baseline and a lockfile, matches the
    // published schema; so do every shard's and the merged one.
    assert_matches_schema(&whole.stdout);
    let whole = whole.report();
    assert!(whole.partition.is_none());
    // Failures diagnosed by variant builds, which every shard makes for its own.
    for cause in [
        Cause::EditionDrift,
        Cause::Placeholder,
        Cause::DependencyDrift,
    ] {
        assert!(
            whole.snippets.iter().any(|s| s.cause == Some(cause)),
            "{cause:?}"
        );
    }
    let whole_blocks: Vec<(String, u32)> = whole
        .snippets
        .iter()
        .map(|s| (s.file.clone(), s.line))
        .collect();

    for count in [2_u32, 3] {
        let mut paths = Vec::new();
        let mut rows = Vec::new();
        for shard in 1..=count {
            let path = dir.join(format!("shard-{shard}-of-{count}.json"));
            let partition = format!("hash:{shard}/{count}");
            let json = format!("json={}", arg(&path));
            let run = snipcheck(
                SHARDS_SANDBOX,
                &[&common[..], &["--partition", &partition, "--format", &json]].concat(),
            );
            assert_eq!(run.code, 0, "{partition}\n{}", run.stderr);
            let text = fs::read_to_string(&path).expect("the shard wrote its report");
            assert_matches_schema(&text);
            let report: Report = serde_json::from_str(&text).expect("a JSON report");
            assert_eq!(
                report.partition.map(|p| p.to_string()),
                Some(partition.clone())
            );
            // A shard compares only its own entries of the baseline.
            let compared = report
                .baseline
                .as_ref()
                .expect("compared with the baseline");
            assert!(compared.removed.is_empty(), "{partition}: {compared:?}");
            assert!(
                compared.coverage_lost.is_empty(),
                "{partition}: {compared:?}"
            );
            assert!(
                !report.snippets.is_empty(),
                "{partition} got no block of {}",
                whole.snippets.len()
            );
            rows.extend(report.snippets.iter().map(|s| (s.file.clone(), s.line)));
            paths.push(arg(&path));
        }
        // Each block is checked by exactly one shard.
        rows.sort();
        let mut expected = whole_blocks.clone();
        expected.sort();
        assert_eq!(rows, expected, "{count} shards");

        // Merged (in any order), the shards are the whole run.
        paths.reverse();
        let markdown = dir.join(format!("merged-{count}.md"));
        let markdown_arg = format!("markdown={}", arg(&markdown));
        let mut merge_args: Vec<&str> = vec!["--merge-reports"];
        merge_args.extend(paths.iter().map(String::as_str));
        merge_args.extend(["--format", "json", "--format", &markdown_arg]);
        let merged = snipcheck(SHARDS_SANDBOX, &merge_args);
        assert_eq!(merged.code, 0, "{}", merged.stderr);
        assert!(
            merged
                .stderr
                .contains(&format!("note: merged {count} shard reports")),
            "{}",
            merged.stderr
        );
        assert_matches_schema(&merged.stdout);
        let merged_report = merged.report();
        // Summed: at least one primary build per shard.
        let build_runs = merged_report.cargo_invocations.get("build").copied();
        assert!(
            build_runs.is_some_and(|n| n >= count),
            "{:?}",
            merged_report.cargo_invocations
        );
        assert_eq!(normalized(merged_report), normalized(whole.clone()));
        let review = fs::read_to_string(&markdown).expect("the review report was written");
        assert!(review.contains("rust-style-guide.md"), "{review}");

        // --fail-on works on the merged result.
        merge_args.extend(["--fail-on", "any"]);
        let strict = snipcheck(SHARDS_SANDBOX, &merge_args);
        assert_eq!(strict.code, 1, "{}", strict.stderr);
    }

    // An incomplete set of shards is refused, naming what is missing.
    let partial = snipcheck(
        SHARDS_SANDBOX,
        &[
            "--merge-reports",
            &arg(&dir.join("shard-1-of-3.json")),
            &arg(&dir.join("shard-3-of-3.json")),
        ],
    );
    assert_eq!(partial.code, 2, "{}", partial.stderr);
    assert!(
        partial.stderr.contains("missing shard hash:2/3"),
        "{}",
        partial.stderr
    );
    eprintln!(
        "whole run, 2 and 3 shards, merges: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn partition_usage_errors_exit_with_2() {
    for (args, message) in [
        (&["--partition", "hash:4/3"][..], "between 1 and 3"),
        (&["--partition", "hash:0/3"][..], "between 1 and 3"),
        (&["--partition", "3"][..], "expected hash:K/N"),
        (&["--partition", "round:1/2"][..], "only partition scheme"),
        (
            &["--merge-reports", "no/such/shard.json"][..],
            "cannot read the shard report `no/such/shard.json`",
        ),
        (
            &["--merge-reports", "README.md"][..],
            "`README.md` is not a snipcheck JSON report",
        ),
    ] {
        let run: Run = snipcheck("partition-usage", args);
        assert_eq!(run.code, 2, "{args:?}\n{}", run.stderr);
        assert!(run.stderr.contains(message), "{args:?}\n{}", run.stderr);
    }
}

/// A document with a passing example, one clippy warns about and a failing one.
const WRAPPED_DOCUMENT: &str = "# Wrapped builds

```rust
fn main() {
    println!(\"{}\", 40 + 2);
}
```

```rust
pub fn add(a: i32, b: i32) -> i32 {
    return a + b;
}
```

```rust
let count: u32 = \"three\";
```
";

/// The verdict of each row: where, status, cause, and each diagnostic's code and line.
fn verdicts(report: &Report) -> Vec<String> {
    report
        .snippets
        .iter()
        .map(|s| {
            let diagnostics: Vec<String> = s
                .diagnostics
                .iter()
                .map(|d| format!("{}:{:?}@{}", d.level, d.code, d.line))
                .collect();
            format!(
                "{}:{} {:?} {:?} {diagnostics:?}",
                s.file, s.line, s.status, s.cause
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn builds_under_a_rustc_wrapper_give_the_same_verdicts() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("a temp dir");
    let log = dir.path().join("invocations.log");
    let wrapper = dir.path().join("record-rustc");
    // What sccache does, minus the cache: called as `WRAPPER RUSTC ARGS...`,
    // it runs RUSTC ARGS. The log's path is written into the script because
    // snipcheck passes builds only an allowlisted environment.
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec \"$@\"\n",
        log.display()
    );
    fs::write(&wrapper, script).expect("write the wrapper");
    fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755)).expect("make it executable");
    let input = root().join("sandbox/it-input-wrapper");
    fs::create_dir_all(&input).expect("create the input folder");
    let document = input.join("wrapped.md");
    fs::write(&document, WRAPPED_DOCUMENT).expect("write the document");
    let args = [
        "--specs",
        &arg(&document),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--no-cache",
        "--format",
        "json",
    ];

    let plain = snipcheck("wrapper-plain", &args);
    assert_eq!(plain.code, 1, "{}", plain.stderr);
    // A target dir of its own, emptied, so the wrapper compiles the snippets
    // instead of cargo finding them fresh.
    let target = root().join("sandbox/it-wrapper-target");
    let env = [("RUSTC_WRAPPER", wrapper.as_path())];
    // Confined builds drop the wrapper (a cache server is reached over a
    // socket they may not open, see SECURITY.md) and give the same verdicts.
    if crate::support::can_confine() {
        let _ = fs::remove_dir_all(&target);
        let confined = snipcheck_with("wrapper", &target, &env, &args);
        assert_eq!(confined.code, 1, "{}", confined.stderr);
        assert_eq!(verdicts(&confined.report()), verdicts(&plain.report()));
        assert!(!log.exists(), "a confined build ran the wrapper");
    }
    // Unconfined builds keep it.
    let _ = fs::remove_dir_all(&target);
    let unconfined: Vec<&str> = args.iter().copied().chain(["--unconfined"]).collect();
    let wrapped = snipcheck_with("wrapper", &target, &env, &unconfined);
    assert_eq!(wrapped.code, 1, "{}", wrapped.stderr);
    let (plain, wrapped) = (plain.report(), wrapped.report());
    assert_eq!(verdicts(&wrapped), verdicts(&plain));
    assert_eq!(
        plain.snippets.iter().map(|s| s.status).collect::<Vec<_>>(),
        [Status::Pass, Status::Warn, Status::Fail]
    );

    let calls = fs::read_to_string(&log).expect("the wrapper was invoked");
    assert!(
        calls.lines().any(|l| l.contains("--crate-name snip_")),
        "the wrapper compiled no snippet:\n{calls}"
    );
}
