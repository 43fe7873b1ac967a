//! The GitHub workflows (`.github/workflows/*.yml`), read as text for what
//! actionlint does not check: every job asks for its own permissions and
//! leaves no token behind, every cache refreshes on every run and holds the
//! places where snipcheck keeps what a run can reuse, every `cargo xtask
//! verify` passes arguments snipcheck accepts, and the pull-request workflow
//! checks only the documents a pull request changes (its listing step run here
//! with bash in a test git repository, its baseline step with python where
//! python has `tomllib`).

use crate::support::root;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How far a line is indented.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Every workflow: its file name and text.
fn workflows() -> Vec<(String, String)> {
    let dir = root().join(".github/workflows");
    let mut found: Vec<(String, String)> = fs::read_dir(&dir)
        .expect("the workflows folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read_to_string(&p).expect("a workflow"))
        })
        .collect();
    found.sort();
    assert!(found.len() >= 4, "{found:?}");
    found
}

fn workflow(name: &str) -> String {
    fs::read_to_string(root().join(".github/workflows").join(name)).expect("the workflow")
}

/// One job: its name, its lines, its steps (each a block of lines).
#[derive(Debug)]
struct Job {
    name: String,
    text: String,
    steps: Vec<String>,
}

/// The jobs under `jobs:`: keys two spaces in; their steps start with `- `
/// six spaces in.
fn jobs(yaml: &str) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        let content = !line.trim().is_empty() && !line.trim_start().starts_with('#');
        if content && indent(line) == 0 {
            inside = line == "jobs:";
            continue;
        }
        if !inside {
            continue;
        }
        if content && indent(line) == 2 {
            jobs.push(Job {
                name: line.trim().trim_end_matches(':').to_string(),
                text: String::new(),
                steps: Vec::new(),
            });
            continue;
        }
        let Some(job) = jobs.last_mut() else { continue };
        job.text.push_str(line);
        job.text.push('\n');
        if content && indent(line) == 6 && line.trim_start().starts_with("- ") {
            job.steps.push(String::new());
        }
        if let Some(step) = job.steps.last_mut()
            && (!content || indent(line) >= 6)
        {
            step.push_str(line);
            step.push('\n');
        }
    }
    jobs
}

/// The value of `key` whose name starts `column` characters in (on its own
/// line or after a `- `): a block scalar's lines (`|` kept, `>` folded into one
/// line), else the text after the colon, unquoted. A mapping gives "".
fn field(text: &str, column: usize, key: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|line| {
        let name_at = if line.trim_start().starts_with("- ") {
            indent(line) + 2
        } else {
            indent(line)
        };
        name_at == column
            && line
                .trim_start()
                .trim_start_matches("- ")
                .strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let (_, value) = lines[at].split_once(':').expect("a key");
    let value = value.trim();
    if value == "|" || value == ">" {
        let block: Vec<&str> = lines[at + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || indent(l) > column)
            .copied()
            .collect();
        let margin = block
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| indent(l))
            .min()
            .unwrap_or(0);
        let body: Vec<&str> = block
            .iter()
            .map(|l| l.get(margin..).unwrap_or(""))
            .collect();
        let joined = if value == ">" {
            body.join(" ")
        } else {
            body.join("\n")
        };
        return Some(joined.trim_end().to_string());
    }
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some(value.to_string())
}

/// A step's `key` (its keys sit eight spaces in).
fn step_field(step: &str, key: &str) -> Option<String> {
    field(step, 8, key)
}

/// A step's `with:` input (ten spaces in).
fn input(step: &str, key: &str) -> Option<String> {
    field(step, 10, key)
}

/// The lines of a job's `permissions:` mapping.
fn permissions(job: &Job) -> Vec<String> {
    let mut lines = job
        .text
        .lines()
        .skip_while(|l| l.trim() != "permissions:" || indent(l) != 4);
    assert!(
        lines.next().is_some(),
        "job `{}` declares its permissions",
        job.name
    );
    lines
        .take_while(|l| indent(l) > 4 || l.trim().is_empty())
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.trim().to_string())
        .collect()
}

fn uses(step: &str) -> String {
    step_field(step, "uses").unwrap_or_default()
}

#[test]
fn every_job_asks_for_its_own_permissions_and_leaves_no_token() {
    for (file, yaml) in workflows() {
        assert!(
            yaml.lines().any(|l| l == "permissions: {}"),
            "{file}: no permission by default"
        );
        let jobs = jobs(&yaml);
        assert!(!jobs.is_empty(), "{file} has jobs");
        for job in &jobs {
            let granted = permissions(job);
            let uploads_sarif = job
                .steps
                .iter()
                .any(|s| uses(s).starts_with("github/codeql-action/upload-sarif@"));
            for grant in &granted {
                let (scope, level) = grant.split_once(':').expect("scope: level");
                assert!(
                    level.trim() == "read" || (scope == "security-events" && uploads_sarif),
                    "{file}: job `{}` asks for `{grant}`",
                    job.name
                );
            }
            if uploads_sarif {
                assert!(
                    granted.iter().any(|g| g == "security-events: write"),
                    "{file}: job `{}` uploads SARIF without `security-events: write`",
                    job.name
                );
            }
            assert!(
                job.text
                    .lines()
                    .any(|l| l.starts_with("    timeout-minutes: ")),
                "{file}: job `{}` has a timeout",
                job.name
            );
            for step in job
                .steps
                .iter()
                .filter(|s| uses(s).starts_with("actions/checkout@"))
            {
                assert_eq!(
                    input(step, "persist-credentials").as_deref(),
                    Some("false"),
                    "{file}: job `{}` leaves its token in .git/config",
                    job.name
                );
            }
        }
    }
}

/// Where snipcheck keeps what the next run reuses, as the workflows name
/// them: below `sandbox/` (the folder `cargo xtask verify` uses), taken from
/// the library where it says them.
fn kept_state() -> Vec<String> {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let sandbox = snipcheck::sandbox::Sandbox::open(tmp.path(), &|_| {}).expect("a sandbox");
    let named = |path: PathBuf| {
        let below = path
            .strip_prefix(&sandbox.root)
            .expect("inside the sandbox");
        format!("sandbox/{}", below.display())
    };
    vec![
        // The result cache (pipeline.rs: the sandbox's `cache`).
        "sandbox/cache".to_string(),
        named(sandbox.failure_hints_path()),
        named(sandbox.registry_cache_path()),
        // Each crate's index file, beside `registry.json` (registry.rs).
        "sandbox/registry".to_string(),
        named(sandbox.items_cache_path()),
    ]
}

#[test]
fn caches_refresh_on_every_run_and_hold_what_snipcheck_reuses() {
    let state = kept_state();
    let all = workflows();
    let saved: Vec<String> = all
        .iter()
        .flat_map(|(_, yaml)| jobs(yaml))
        .flat_map(|job| job.steps)
        .filter(|s| uses(s).starts_with("actions/cache@"))
        .map(|s| input(&s, "key").expect("a key"))
        .collect();
    assert!(!saved.is_empty());
    for (file, yaml) in &all {
        for job in jobs(yaml) {
            let caches: Vec<&String> = job
                .steps
                .iter()
                .filter(|s| {
                    let uses = uses(s);
                    uses.starts_with("actions/cache@") || uses.starts_with("actions/cache/restore@")
                })
                .collect();
            let mut cached: Vec<String> = Vec::new();
            for step in &caches {
                let key = input(step, "key").expect("a key");
                // actions/cache never overwrites a key: one per run.
                assert!(
                    key.contains("${{ github.run_id }}"),
                    "{file}: the cache key {key} is the same on every run"
                );
                let restore = input(step, "restore-keys").unwrap_or_default();
                assert!(!restore.is_empty(), "{file}: {key} has no restore-keys");
                for prefix in restore.lines().map(str::trim) {
                    assert!(
                        saved.iter().any(|k| k.starts_with(prefix)),
                        "{file}: the restore key {prefix} matches no cache a workflow saves"
                    );
                }
                cached.extend(
                    input(step, "path")
                        .expect("paths")
                        .lines()
                        .map(|l| l.trim().to_string()),
                );
            }
            let builds = job.steps.iter().any(|s| {
                step_field(s, "run").is_some_and(|r| {
                    r.contains("cargo xtask verify") && !r.contains("--merge-reports")
                })
            });
            if !builds {
                continue;
            }
            let mut wanted = state.clone();
            for step in &job.steps {
                let run = step_field(step, "run").unwrap_or_default();
                for line in run.lines() {
                    if let Some(rest) = line.trim().strip_prefix("rustup toolchain install ") {
                        let name = rest.split_whitespace().next().expect("a toolchain");
                        wanted.push(format!("sandbox/target/{name}"));
                    }
                }
            }
            for path in wanted {
                assert!(
                    cached.contains(&path),
                    "{file}: job `{}` does not cache {path}: {cached:?}",
                    job.name
                );
            }
        }
    }
}

/// The arguments of a `cargo xtask verify` command line, `${{ matrix.shard }}`
/// standing for shard 1.
fn verify_args(command: &str) -> snipcheck::cli::Args {
    use clap::Parser;
    let rest = command
        .trim()
        .strip_prefix("cargo xtask verify")
        .expect("cargo xtask verify")
        .replace("${{ matrix.shard }}", "1");
    let argv = std::iter::once("cargo xtask verify".to_string())
        .chain(rest.split_whitespace().map(str::to_string));
    snipcheck::cli::Args::try_parse_from(argv)
        .unwrap_or_else(|e| panic!("snipcheck refuses `{command}`: {e}"))
}

#[test]
fn the_scheduled_workflows_check_the_newest_releases_and_publish_everything() {
    for file in ["verify-nightly.yml", "verify-sharded.yml"] {
        let yaml = workflow(file);
        let mut commands: Vec<(Job, String)> = Vec::new();
        for job in jobs(&yaml) {
            let runs: Vec<String> = job
                .steps
                .iter()
                .filter_map(|s| step_field(s, "run"))
                .filter(|r| r.starts_with("cargo xtask verify"))
                .collect();
            for run in runs {
                commands.push((job_named(&yaml, &job.name), run));
            }
        }
        let mut published = false;
        for (job, command) in &commands {
            let args = verify_args(command);
            if args.merge_reports.is_empty() {
                assert!(
                    args.latest,
                    "{file}: `{command}` builds the newest releases"
                );
            }
            if command.contains("--format sarif=snipcheck.sarif") {
                published = true;
                let steps = |prefix: &str| -> Vec<&String> {
                    job.steps
                        .iter()
                        .filter(|s| uses(s).starts_with(prefix))
                        .collect()
                };
                let sarif = steps("github/codeql-action/upload-sarif@");
                assert_eq!(
                    sarif.len(),
                    1,
                    "{file}: job `{}` uploads the SARIF",
                    job.name
                );
                assert_eq!(
                    input(sarif[0], "sarif_file").as_deref(),
                    Some("snipcheck.sarif")
                );
                assert_eq!(
                    steps("actions/upload-artifact@").len(),
                    1,
                    "{file}: artifacts"
                );
                assert!(
                    job.steps.iter().any(|s| step_field(s, "run").is_some_and(
                        |r| r.contains("cat snipcheck-review.md >> \"$GITHUB_STEP_SUMMARY\"")
                    )),
                    "{file}: the job summary"
                );
                assert!(command.contains("--format markdown=snipcheck-review.md"));
            }
        }
        assert!(published, "{file} publishes the whole run's reports");
    }
}

fn job_named(yaml: &str, name: &str) -> Job {
    jobs(yaml)
        .into_iter()
        .find(|j| j.name == name)
        .expect("the job")
}

/// Runs `script` with bash in `dir`, as a runner runs a step.
fn bash(script: &str, dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-c", script])
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .expect("bash starts")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git starts");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn the_pull_request_workflow_checks_only_the_changed_documents() {
    let yaml = workflow("verify-pr.yml");
    assert!(
        yaml.contains("\non:\n  pull_request:\n    paths:\n"),
        "{yaml}"
    );
    let jobs = jobs(&yaml);
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(permissions(job), ["contents: read"]);
    let checkout = job
        .steps
        .iter()
        .find(|s| uses(s).starts_with("actions/checkout@"))
        .expect("a checkout");
    assert_eq!(input(checkout, "fetch-depth").as_deref(), Some("0"));
    // Nothing from the event reaches a script but through `env:`.
    for step in &job.steps {
        if let Some(run) = step_field(step, "run") {
            assert!(!run.contains("${{"), "an expression in a script: {run}");
        }
        assert!(
            !uses(step).starts_with("actions/cache@"),
            "caches are only restored"
        );
    }
    let by_id = |id: &str| {
        job.steps
            .iter()
            .find(|s| step_field(s, "id").as_deref() == Some(id))
            .unwrap_or_else(|| panic!("step {id}"))
    };

    // The listing, on a pull request that changes documents with awkward
    // names, a test input and a file that is no document, and deletes one.
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let repo = tmp.path().join("repo");
    let temp = tmp.path().join("runner-temp");
    fs::create_dir_all(repo.join("specs")).expect("mkdir");
    fs::create_dir_all(&temp).expect("mkdir");
    fs::write(repo.join("specs/kept.md"), "# Kept\n").expect("write");
    fs::write(repo.join("gone.md"), "# Gone\n").expect("write");
    let moved = "# Moved\n\nA document long enough for git to see it renamed.\n";
    fs::write(repo.join("specs/old name.md"), moved).expect("write");
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "base"]);
    let base = git(&repo, &["rev-parse", "HEAD"]);
    let changed = [
        "specs/kept.md",
        "specs/two words.md",
        "specs/new\nline.md",
        "-dash.md",
        ".cursor/rules/rust.mdc",
        ".cursorrules",
    ];
    for (path, text) in changed.iter().map(|p| (*p, "# Changed\n")).chain([
        ("tests/fixtures/broken.md", "# Test input\n"),
        ("src.rs", "fn f() {}\n"),
    ]) {
        let file = repo.join(path);
        fs::create_dir_all(file.parent().expect("a parent")).expect("mkdir");
        fs::write(file, text).expect("write");
    }
    fs::remove_file(repo.join("gone.md")).expect("remove");
    fs::rename(
        repo.join("specs/old name.md"),
        repo.join("specs/renamed.md"),
    )
    .expect("rename");
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "pull request"]);
    let head = git(&repo, &["rev-parse", "HEAD"]);
    let output = tmp.path().join("output");
    let summary = tmp.path().join("summary");
    let listing = step_field(by_id("docs"), "run").expect("a script");
    let env = [
        ("BASE_SHA", base.as_str()),
        ("HEAD_SHA", head.as_str()),
        ("RUNNER_TEMP", temp.to_str().expect("UTF-8")),
        ("GITHUB_OUTPUT", output.to_str().expect("UTF-8")),
        ("GITHUB_STEP_SUMMARY", summary.to_str().expect("UTF-8")),
    ];
    let run = bash(&listing, &repo, &env);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let listed = fs::read(temp.join("changed-documents")).expect("the list");
    let mut listed: Vec<String> = listed
        .split(|b| *b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8(name.to_vec()).expect("UTF-8"))
        .collect();
    listed.sort();
    let mut expected: Vec<String> = changed
        .iter()
        .chain(&["specs/renamed.md"])
        .map(|p| p.to_string())
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert_eq!(fs::read_to_string(&output).expect("outputs"), "count=7\n");
    // A renamed document's old name, for its baseline entries.
    assert_eq!(
        fs::read(temp.join("renamed-from")).expect("the old names"),
        b"specs/old name.md\0"
    );

    // A pull request that changes no document: nothing to check, said so.
    fs::write(&output, "").expect("write");
    let env_same = [("HEAD_SHA", base.as_str()), env[0], env[2], env[3], env[4]];
    let run = bash(&listing, &repo, &env_same);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(fs::read_to_string(&output).expect("outputs"), "count=0\n");
    assert!(
        fs::read_to_string(&summary)
            .expect("a summary")
            .contains("No document changed")
    );
    for step in &job.steps {
        if !uses(step).starts_with("actions/checkout@")
            && step_field(step, "id").as_deref() != Some("docs")
        {
            let condition = step_field(step, "if").unwrap_or_default();
            assert!(
                condition.contains("steps.docs.outputs.count != '0'"),
                "a step that runs without documents: {step}"
            );
        }
    }

    // The check: the changed documents after `--`, against the baseline,
    // failing on new failures only.
    let check = job
        .steps
        .iter()
        .filter_map(|s| step_field(s, "run"))
        .find(|r| r.contains("cargo xtask verify"))
        .expect("the check");
    let command = check[check.find("cargo xtask verify").expect("the command")..]
        .replace("\\\n", " ")
        .replace("\"$RUNNER_TEMP/baseline.toml\"", "baseline.toml")
        .replace("\"${docs[@]}\"", "-dash.md specs/kept.md");
    let args = verify_args(&command);
    assert_eq!(args.fail_on, Some(snipcheck::cli::FailOn::New), "{command}");
    assert_eq!(args.baseline, Some(PathBuf::from("baseline.toml")));
    assert_eq!(args.toolchain, ["stable"]);
    assert_eq!(
        args.paths,
        [PathBuf::from("-dash.md"), PathBuf::from("specs/kept.md")]
    );

    // The baseline's entries for the changed documents, on stable.
    let python = Command::new("python3")
        .args(["-c", "import tomllib"])
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("note: python3 with tomllib is not installed; the baseline step is not run");
        return;
    }
    let step = job
        .steps
        .iter()
        .find(|s| step_field(s, "shell").as_deref() == Some("python"))
        .expect("the baseline step");
    let script = tmp.path().join("baseline.py");
    fs::write(&script, step_field(step, "run").expect("a script")).expect("write");
    let document = "specs/rust-style-guide.md";
    let renamed = "specs/async-services.md";
    fs::write(
        temp.join("changed-documents"),
        format!("{document}\0specs/not in the baseline.md\0specs/async.md\0"),
    )
    .expect("write");
    fs::write(temp.join("renamed-from"), format!("{renamed}\0")).expect("write");
    let run = Command::new("python3")
        .arg(&script)
        .current_dir(root())
        .env("RUNNER_TEMP", &temp)
        .output()
        .expect("python3 starts");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let part = snipcheck::baseline::load(&temp.join("baseline.toml"))
        .expect("snipcheck reads it")
        .expect("written");
    let committed = snipcheck::baseline::load(&root().join("snipcheck.baseline.toml"))
        .expect("the baseline")
        .expect("committed");
    let expected: Vec<_> = committed
        .snippets
        .into_iter()
        .filter(|e| {
            (e.file == document || e.file == renamed)
                && (e.toolchain == "stable" || e.toolchain == "any")
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(part.version, committed.version);
    assert_eq!(part.snippets, expected);
}
