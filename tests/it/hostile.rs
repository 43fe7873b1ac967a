//! Hostile input: reads outside the crate are refused, oversized snippets are
//! not parsed, a build past its time limit is stopped and reported, and none of
//! it stops the run.

use std::fs;

use snipcheck::report::{Cause, Status};

use crate::support::{root, row, snipcheck, snipcheck_with_env};

fn write_doc(name: &str, text: &str) -> String {
    let dir = root().join(format!("sandbox/it-input-{name}"));
    fs::create_dir_all(&dir).expect("create");
    let path = dir.join("doc.md");
    fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

#[test]
fn reads_outside_the_crate_and_huge_snippets_are_not_built() {
    let deep = format!("let x = {}1{};", "(".repeat(5_000), ")".repeat(5_000));
    let doc = write_doc(
        "hostile",
        &format!(
            "# Hostile\n\n```rust\nconst KEY: &str = include_str!(\"/etc/passwd\");\n```\n\n```rust\nlet token = env!(\"GITHUB_TOKEN\");\n```\n\n```rust\n{deep}\n```\n\n```rust\npub fn fine() {{}}\n```\n\n```rust\nlet proxy = env!(\"CARGO_HTTP_PROXY\");\n```\n"
        ),
    );
    let run = snipcheck(
        "hostile",
        &["--specs", &doc, "--toolchain", "stable", "--format", "json"],
    );
    let report = run.report();
    for line in [3, 7, 19] {
        let refused = row(&report, "doc.md", line);
        assert_eq!(
            (refused.status, refused.cause),
            (Status::Skip, Some(Cause::OutsideAccess)),
            "{refused:?}"
        );
    }
    let deep = row(&report, "doc.md", 11);
    assert_eq!(
        (deep.status, deep.cause),
        (Status::Skip, Some(Cause::TooLarge))
    );
    assert_eq!(row(&report, "doc.md", 15).status, Status::Pass);

    let allowed = snipcheck(
        "hostile",
        &[
            "--specs",
            &doc,
            "--toolchain",
            "stable",
            "--allow-outside-access",
            "--no-diagnose",
            "--format",
            "json",
        ],
    )
    .report();
    // Allowed, the secret is simply not in the build's environment.
    let token = row(&allowed, "doc.md", 7);
    assert_eq!(token.status, Status::Fail, "{token:?}");
    assert!(
        token
            .diagnostics
            .iter()
            .any(|d| d.message.contains("GITHUB_TOKEN")),
        "{token:?}"
    );
}

#[test]
fn a_build_past_its_time_limit_is_stopped_and_the_rest_is_reported() {
    let doc = write_doc(
        "timeout",
        "# Slow\n\n```rust\n#[derive(serde::Serialize)]\npub struct S { pub a: u8 }\n```\n\n```toml\n[dependencies]\nserde = \"1\"\n```\n\n```rust\nlet broken = ;\n```\n",
    );
    // A target dir of its own, emptied: compiling serde's derive takes longer than a second.
    let target = root().join("sandbox/it-timeout-target");
    let _ = fs::remove_dir_all(&target);
    let target_arg = target.to_string_lossy().into_owned();
    let started = std::time::Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(crate::support::unconfined_here())
        .current_dir(root())
        .args([
            "--specs",
            &doc,
            "--toolchain",
            "stable",
            "--no-cache",
            "--no-progress",
            "--timeout",
            "1",
            "--format",
            "json",
        ])
        .arg("--sandbox")
        .arg(root().join("sandbox/it-timeout"))
        .arg("--target-dir")
        .arg(&target_arg)
        .output()
        .expect("runs");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the limit stopped the build"
    );
    let report: snipcheck::report::Report =
        serde_json::from_slice(&output.stdout).expect("a JSON report");
    let slow = row(&report, "doc.md", 3);
    assert_eq!(
        (slow.status, slow.cause),
        (Status::Fail, Some(Cause::Timeout)),
        "{slow:?}"
    );
    assert_eq!(row(&report, "doc.md", 13).cause, Some(Cause::Syntax));
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("time limit")),
        "{:?}",
        report.problems
    );
}

#[test]
fn an_interrupted_run_stops_cargo_and_writes_a_partial_report() {
    let doc = write_doc(
        "interrupt",
        "# Slow\n\n```rust\n#[derive(serde::Deserialize)]\npub struct S { pub a: u8 }\n```\n\n```rust\nlet broken = ;\n```\n",
    );
    let target = root().join("sandbox/it-interrupt-target");
    let _ = fs::remove_dir_all(&target);
    let report_path = root().join("sandbox/it-input-interrupt/report.json");
    let _ = fs::remove_file(&report_path);
    let format = format!("json={}", report_path.display());
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(crate::support::unconfined_here())
        .current_dir(root())
        .args([
            "--specs",
            &doc,
            "--toolchain",
            "stable",
            "--no-cache",
            "--no-progress",
            "--format",
            &format,
        ])
        .arg("--sandbox")
        .arg(root().join("sandbox/it-interrupt"))
        .arg("--target-dir")
        .arg(&target)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    // Let cargo get going on serde's derive, then press Ctrl-C.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("signal sent");
    let started = std::time::Instant::now();
    let output = child.wait_with_output().expect("it exits");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "stopped promptly"
    );
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: snipcheck::report::Report = serde_json::from_str(
        &fs::read_to_string(&report_path).expect("the partial report was written"),
    )
    .expect("JSON");
    assert!(report.incomplete);
    assert_eq!(
        row(&report, "doc.md", 8).cause,
        Some(Cause::Syntax),
        "what needed no build is reported"
    );
    assert_eq!(row(&report, "doc.md", 3).status, Status::Skip);
    // No cargo of that run is left, and the sandbox is usable again.
    let again = snipcheck(
        "interrupt-again",
        &[
            "--specs",
            &doc,
            "--toolchain",
            "stable",
            "--no-diagnose",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        row(&again.report(), "doc.md", 3).status,
        Status::Pass,
        "{}",
        again.stderr
    );
}

/// A small document whose check takes a few seconds: a passing example, one
/// with a type error (diagnosed), one with a clippy warning.
const TAKES_A_WHILE: &str = "# Doc\n\n```rust\npub fn one() -> u8 { 1 }\n```\n\n```rust\nlet x: u8 = \"two\";\n```\n\n```rust\npub fn three(v: &Vec<u8>) -> usize { v.len() }\n```\n";

/// Starts snipcheck on `doc` with the given sandbox and target dir, its JSON report on stdout.
fn spawn(doc: &str, sandbox: &str, target: &str, extra: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .args(crate::support::unconfined_here())
        .current_dir(root())
        .args(["--specs", doc, "--toolchain", "stable", "--no-progress"])
        .args(["--format", "json"])
        .arg("--sandbox")
        .arg(root().join("sandbox").join(sandbox))
        .arg("--target-dir")
        .arg(root().join("sandbox").join(target))
        .args(extra)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("snipcheck starts")
}

/// What a report says per block: (line, status, cause).
fn verdicts(stdout: &[u8]) -> Vec<(u32, Status, Option<Cause>)> {
    let report: snipcheck::report::Report =
        serde_json::from_slice(stdout).expect("a JSON report on stdout");
    report
        .snippets
        .iter()
        .map(|s| (s.line, s.status, s.cause))
        .collect()
}

#[test]
fn killed_at_any_point_the_next_run_on_the_same_sandbox_is_right() {
    let doc = write_doc("killed", TAKES_A_WHILE);
    // The truth: a run of its own, nothing reused.
    let reference = spawn(&doc, "it-killed-reference", "it-target", &["--no-cache"])
        .wait_with_output()
        .expect("runs");
    let expected = verdicts(&reference.stdout);
    assert_eq!(
        expected.iter().map(|v| v.1).collect::<Vec<_>>(),
        [Status::Pass, Status::Fail, Status::Warn]
    );
    let _ = fs::remove_dir_all(root().join("sandbox/it-killed"));
    let _ = fs::remove_dir_all(root().join("sandbox/it-killed-target"));
    // SIGKILL gives snipcheck no chance to clean up: whatever it was writing
    // (scratch crates, cache entries, cargo's target dir) is cut off.
    for delay in [50, 150, 300, 500, 800, 1200, 2000] {
        // Each killed run has everything to do again but compiling dependencies.
        let _ = fs::remove_dir_all(root().join("sandbox/it-killed/cache"));
        let child = spawn(&doc, "it-killed", "it-killed-target", &[]);
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = child.wait_with_output();
        let after = spawn(&doc, "it-killed", "it-killed-target", &[])
            .wait_with_output()
            .expect("runs");
        assert_eq!(
            verdicts(&after.stdout),
            expected,
            "after a kill at {delay} ms:\n{}",
            String::from_utf8_lossy(&after.stderr)
        );
    }
}

#[test]
fn two_runs_on_one_sandbox_take_turns_and_both_report_right() {
    let doc = write_doc("concurrent", TAKES_A_WHILE);
    let _ = fs::remove_dir_all(root().join("sandbox/it-concurrent"));
    let first = spawn(&doc, "it-concurrent", "it-target", &["--no-cache"]);
    let second = spawn(&doc, "it-concurrent", "it-target", &["--no-cache"]);
    let (first, second) = (
        first.wait_with_output().expect("runs"),
        second.wait_with_output().expect("runs"),
    );
    assert_eq!(first.status.code(), Some(1));
    assert_eq!(second.status.code(), Some(1));
    assert_eq!(verdicts(&first.stdout), verdicts(&second.stdout));
    assert_eq!(
        verdicts(&first.stdout)
            .iter()
            .map(|v| v.1)
            .collect::<Vec<_>>(),
        [Status::Pass, Status::Fail, Status::Warn]
    );
    let waited = [&first, &second]
        .iter()
        .filter(|o| {
            String::from_utf8_lossy(&o.stderr).contains("waiting for another snipcheck run")
        })
        .count();
    assert_eq!(waited, 1, "one run waits for the other, and says so");
}

/// A compiler message and a file name written to forge CI workflow commands
/// reach stderr with no line the GitHub runner would execute, and without
/// their control characters.
#[test]
fn messages_and_file_names_cannot_forge_workflow_commands() {
    let dir = root().join("sandbox/it-input-forged");
    fs::create_dir_all(&dir).expect("create");
    let text = "# Forged\n\n```rust\ncompile_error!(\"line one\\n::error file=evil::pwned\\n##[error]old\");\n```\n";
    let plain = dir.join("doc.md");
    fs::write(&plain, text).expect("write");
    let mut specs = vec![plain.to_string_lossy().into_owned()];
    // A file name with a newline and an escape sequence, where the file
    // system allows one.
    let forged = dir.join("doc\n::error file=x::pwned\u{1b}[2J.md");
    if fs::write(&forged, text).is_ok() {
        specs.push(forged.to_string_lossy().into_owned());
    }
    let mut args = vec!["--toolchain", "stable", "--no-diagnose", "--color", "never"];
    for spec in &specs {
        args.extend(["--specs", spec.as_str()]);
    }
    let run = snipcheck("forged", &args);
    assert!(run.stderr.contains("line one"), "{}", run.stderr);
    for line in run.stderr.split(['\n', '\r']) {
        assert!(
            !line.trim_start().starts_with("::"),
            "{line:?} in\n{}",
            run.stderr
        );
        assert!(!line.contains("##["), "{line:?} in\n{}", run.stderr);
        assert!(
            !line.contains(|c: char| c.is_control() && c != '\t'),
            "{line:?} in\n{}",
            run.stderr
        );
    }
    if specs.len() == 2 {
        assert!(
            run.stderr.contains("doc␊::error file=x::pwned␛[2J.md"),
            "{}",
            run.stderr
        );
    }
}

/// Every file under `dir` (a sandbox) whose bytes name one of `crates`, with
/// the names it holds.
fn files_naming(dir: &std::path::Path, crates: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let text = String::from_utf8_lossy(&fs::read(&path).unwrap_or_default()).into_owned();
            for name in crates.iter().filter(|name| text.contains(**name)) {
                found.push(format!("{}: {name}", path.display()));
            }
        }
    }
    found
}

/// A document and a `snipcheck.toml` in a fresh folder; the arguments that
/// check the one with the other.
fn policy_input(name: &str, doc: &str, config: &str) -> (String, String) {
    let dir = root().join(format!("sandbox/it-input-{name}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create");
    fs::write(dir.join("doc.md"), doc).expect("write");
    fs::write(dir.join("snipcheck.toml"), config).expect("write");
    (
        dir.join("doc.md").to_string_lossy().into_owned(),
        dir.join("snipcheck.toml").to_string_lossy().into_owned(),
    )
}

/// With no network at all (a proxy nobody listens on), the `[policy]`
/// refuses a crate outside its allow-list and one past its cap: skipped as
/// `dependency-refused`, never `registry-unreachable`, because neither crate
/// (nor any other) ever reaches the registry, `cargo metadata` or a
/// workspace. Every shard refuses the same, though the cap counts over the
/// whole document.
#[test]
fn the_dependency_policy_refuses_crates_before_the_registry_is_asked() {
    let (doc, config) = policy_input(
        "policy-offline",
        "# Policy\n\n```rust\npub fn parse(text: &str) -> anyhow::Result<serde_yaml::Value> {\n    Ok(serde_yaml::from_str(text)?)\n}\n```\n\n```rust\n#[derive(Debug, thiserror::Error)]\n#[error(\"bad\")]\npub struct Bad;\n```\n\n```rust\npub fn std_only() -> u8 {\n    1\n}\n```\n",
        "[policy]\nallow = [\"anyhow\", \"thiserror\"]\nmax-crates-per-document = 1\n",
    );
    let dead_proxy = [
        ("CARGO_HTTP_PROXY", "http://127.0.0.1:9"),
        ("CARGO_NET_RETRY", "0"),
    ];
    let check = |sandbox: &str, partition: Option<&str>| {
        let _ = fs::remove_dir_all(root().join(format!("sandbox/it-{sandbox}")));
        let mut args = vec![
            "--specs",
            doc.as_str(),
            "--config",
            config.as_str(),
            "--toolchain",
            "stable",
            "--no-diagnose",
            "--format",
            "json",
        ];
        if let Some(partition) = partition {
            args.extend(["--partition", partition]);
        }
        let run = snipcheck_with_env(sandbox, &args, &dead_proxy);
        assert_eq!(run.code, 0, "skips fail nothing:\n{}", run.stderr);
        let report = run.report();
        assert_eq!(report.cargo_invocations.get("registry"), None, "{report:?}");
        assert_eq!(report.cargo_invocations.get("metadata"), None, "{report:?}");
        assert_eq!(report.files[0].crates, Vec::<String>::new());
        let named = files_naming(
            &root().join(format!("sandbox/it-{sandbox}")),
            &["serde_yaml", "serde-yaml", "thiserror", "anyhow"],
        );
        assert_eq!(
            named,
            Vec::<String>::new(),
            "nothing in the sandbox names them"
        );
        report
    };

    let report = check("policy-offline", None);
    let yaml = row(&report, "doc.md", 3);
    assert_eq!(
        (yaml.status, yaml.cause),
        (Status::Skip, Some(Cause::DependencyRefused)),
        "{yaml:?}"
    );
    assert_eq!(
        yaml.skip_reason.as_deref(),
        Some("not built: `serde_yaml` is not in [policy].allow of snipcheck.toml")
    );
    assert_eq!(
        yaml.suggestion.as_deref(),
        Some(
            "if you trust `serde_yaml`, add it to [policy].allow in snipcheck.toml; otherwise mark the block `ignore`"
        )
    );
    // `anyhow` is allowed: it is the document's first crate, and fills the cap.
    let error = row(&report, "doc.md", 9);
    assert_eq!(
        (error.status, error.cause),
        (Status::Skip, Some(Cause::DependencyRefused)),
        "{error:?}"
    );
    assert_eq!(
        error.skip_reason.as_deref(),
        Some(
            "not built: the document pulls in 2 distinct crates, over [policy].max-crates-per-document = 1; the crates past the cap are `thiserror`"
        )
    );
    assert_eq!(row(&report, "doc.md", 15).status, Status::Pass);

    let mut shards = Vec::new();
    for (k, sandbox) in [(1, "policy-offline-1"), (2, "policy-offline-2")] {
        shards.extend(check(sandbox, Some(&format!("hash:{k}/2"))).snippets);
    }
    for line in [3, 9] {
        let whole = row(&report, "doc.md", line);
        let shard = shards
            .iter()
            .find(|s| s.line == line)
            .unwrap_or_else(|| panic!("a shard checks line {line}"));
        assert_eq!(
            (shard.cause, &shard.skip_reason),
            (whole.cause, &whole.skip_reason)
        );
    }
}

/// With crates.io: the allowed crate is built and listed as the document's,
/// the refused ones are neither built nor written anywhere, and a snippet
/// that needs only crates within the cap is built though a neighbour past
/// it is not.
#[test]
fn the_dependency_policy_builds_what_it_allows_and_nothing_else() {
    let (doc, config) = policy_input(
        "policy",
        "# Policy\n\n```rust\npub fn check<T: serde::Serialize>(value: &T) -> &T {\n    value\n}\n```\n\n```rust\npub fn parse(text: &str) -> Option<serde_yaml::Value> {\n    serde_yaml::from_str(text).ok()\n}\n```\n\n```rust\npub fn fallible() -> anyhow::Result<u8> {\n    Ok(1)\n}\n```\n\n```rust\npub fn again<T: serde::Serialize>(value: T) -> T {\n    value\n}\n```\n",
        "[policy]\nallow = [\"serde\", \"anyhow\"]\nmax-crates-per-document = 1\n",
    );
    let _ = fs::remove_dir_all(root().join("sandbox/it-policy"));
    let run = snipcheck(
        "policy",
        &[
            "--specs",
            &doc,
            "--config",
            &config,
            "--toolchain",
            "stable",
            "--no-diagnose",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    let statuses: Vec<(u32, Status, Option<Cause>)> = report
        .snippets
        .iter()
        .map(|s| (s.line, s.status, s.cause))
        .collect();
    assert_eq!(
        statuses,
        [
            (3, Status::Pass, None),
            (9, Status::Skip, Some(Cause::DependencyRefused)),
            (15, Status::Skip, Some(Cause::DependencyRefused)),
            (21, Status::Pass, None),
        ],
        "{}",
        run.stderr
    );
    assert!(
        row(&report, "doc.md", 15)
            .skip_reason
            .as_deref()
            .is_some_and(|r| r.contains("the crates past the cap are `anyhow`")),
        "{report:?}"
    );
    assert_eq!(report.files[0].crates, ["serde"]);
    let sandbox = root().join("sandbox/it-policy");
    assert_eq!(
        files_naming(&sandbox, &["serde_yaml", "serde-yaml", "anyhow"]),
        Vec::<String>::new(),
        "nothing in the sandbox names the refused crates"
    );
    assert!(
        !files_naming(&sandbox.join("ws"), &["serde"]).is_empty(),
        "the allowed crate is in the workspace"
    );
}
