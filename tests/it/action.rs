//! The GitHub Action (`action.yml`) and the pre-commit hook
//! (`.pre-commit-hooks.yaml`), exercised on this machine: the Action's steps
//! run with bash as a runner would run them, and the hook runs once through
//! pre-commit in a test repository.

use crate::support::{root, unconfined_here};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A document with one example that passes and needs no dependency.
const GUIDE: &str = "# Guide\n\n```rust\nfn main() {\n    let greeting = \"hello\";\n    println!(\"{greeting}\");\n}\n```\n";

/// One step of a composite action, as far as this test needs it.
#[derive(Debug, Default)]
struct Step {
    name: String,
    env: Vec<(String, String)>,
    run: String,
    shell: String,
}

/// How far a line is indented.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// `key: value` of a line, the value unquoted.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.trim().trim_start_matches("- ").split_once(':')?;
    let value = value.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    Some((key.trim(), value))
}

/// The names of the inputs `action.yml` declares (the keys two spaces in
/// under `inputs:`).
fn input_names(yaml: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in yaml.lines() {
        if indent(line) == 0 && !line.trim().is_empty() {
            inside = line.starts_with("inputs:");
            continue;
        }
        if inside
            && indent(line) == 2
            && let Some((key, _)) = key_value(line)
        {
            names.push(key.to_string());
        }
    }
    names
}

/// The steps under `runs:` / `steps:`: each `- ` four spaces in starts one,
/// its keys sit six spaces in, `env:` maps eight in, and `run: |` is a block
/// scalar of the lines indented deeper than its key.
fn steps(yaml: &str) -> Vec<Step> {
    let lines: Vec<&str> = yaml.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == "steps:")
        .expect("action.yml has steps");
    let mut steps: Vec<Step> = Vec::new();
    let mut i = start + 1;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.trim().is_empty() {
            continue;
        }
        if line.trim_start().starts_with("- ") && indent(line) == 4 {
            steps.push(Step::default());
        }
        let Some(step) = steps.last_mut() else {
            continue;
        };
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        match key {
            "name" => step.name = value.to_string(),
            "shell" => step.shell = value.to_string(),
            "env" => {
                while i < lines.len() && indent(lines[i]) > 6 {
                    if let Some((k, v)) = key_value(lines[i]) {
                        step.env.push((k.to_string(), v.to_string()));
                    }
                    i += 1;
                }
            }
            "run" => {
                assert_eq!(value, "|", "a block scalar: {line}");
                let mut body = String::new();
                while i < lines.len() && (lines[i].trim().is_empty() || indent(lines[i]) > 6) {
                    body.push_str(lines[i].get(8..).unwrap_or(""));
                    body.push('\n');
                    i += 1;
                }
                step.run = body;
            }
            _ => {}
        }
    }
    steps
}

/// `text` with the Action's expressions replaced; any other expression fails.
fn substitute(text: &str, inputs: &BTreeMap<&str, String>) -> String {
    let mut out = text.replace("${{ github.action_path }}", &root().to_string_lossy());
    for (name, value) in inputs {
        out = out.replace(&format!("${{{{ inputs.{name} }}}}"), value);
    }
    assert!(
        !out.contains("${{"),
        "an expression this test does not know: {out}"
    );
    out
}

/// The folder of the built `snipcheck` binary.
fn binary_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_snipcheck"))
        .parent()
        .expect("the binary's folder")
        .to_path_buf()
}

/// Runs every step of `action.yml` with bash the way a runner does (the
/// expressions substituted, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`,
/// `GITHUB_PATH` and `RUNNER_TEMP` files and folders of a temporary folder,
/// the folders appended to `GITHUB_PATH` on the next steps' `PATH`) on a
/// document with one passing example. Two steps are stood in for: `rustup
/// toolchain install` runs a stub that records its arguments (a real one
/// would update the machine's stable toolchain), and the `cargo install`
/// step, which would take minutes, is skipped: the binary this suite built
/// goes on `GITHUB_PATH` instead, as that step would put its own.
#[test]
fn the_action_runs_its_steps_and_writes_its_outputs() {
    let yaml = fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let workspace = tmp.path().join("workspace");
    let runner_temp = tmp.path().join("runner-temp");
    let stub = tmp.path().join("stub-bin");
    for dir in [&workspace, &runner_temp, &stub] {
        fs::create_dir_all(dir).expect("create");
    }
    fs::write(workspace.join("guide.md"), GUIDE).expect("write");
    let rustup_calls = tmp.path().join("rustup-calls");
    let rustup = stub.join("rustup");
    fs::write(
        &rustup,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n", rustup_calls.display()),
    )
    .expect("write");
    fs::set_permissions(&rustup, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let output = tmp.path().join("github-output");
    let summary = tmp.path().join("step-summary");
    let github_path = tmp.path().join("github-path");
    for file in [&output, &summary, &github_path] {
        fs::write(file, "").expect("create");
    }
    let sandbox = root().join("sandbox/it-action");
    let target = root().join("sandbox/it-target");
    let mut args = format!(
        "--sandbox {} --target-dir {} --no-progress --no-cache",
        sandbox.display(),
        target.display()
    );
    if let Some(flag) = unconfined_here() {
        args.push(' ');
        args.push_str(flag);
    }
    let inputs: BTreeMap<&str, String> = [
        ("paths", "guide.md".to_string()),
        ("toolchain", "stable".to_string()),
        ("fail-on", String::new()),
        ("baseline", String::new()),
        ("args", args),
    ]
    .into_iter()
    .collect();
    let mut declared = input_names(&yaml);
    declared.sort();
    assert_eq!(
        declared,
        inputs.keys().copied().collect::<Vec<_>>(),
        "every input of action.yml gets a test value"
    );
    let steps = steps(&yaml);
    assert_eq!(steps.len(), 3, "{steps:#?}");
    let base_path = std::env::var("PATH").unwrap_or_default();
    let mut ran = Vec::new();
    for step in &steps {
        assert_eq!(step.shell, "bash", "{}", step.name);
        if step.run.contains("cargo install") {
            eprintln!(
                "note: step `{}` skipped (cargo install takes minutes); the suite's binary stands in",
                step.name
            );
            let line = format!("{}\n", binary_dir().display());
            let mut paths = fs::read_to_string(&github_path).expect("read");
            paths.push_str(&line);
            fs::write(&github_path, paths).expect("write");
            continue;
        }
        // GITHUB_PATH's folders come first, the latest first, as on a runner.
        let mut path: Vec<String> = fs::read_to_string(&github_path)
            .expect("read")
            .lines()
            .rev()
            .map(str::to_string)
            .collect();
        if step.run.contains("rustup ") {
            path.insert(0, stub.to_string_lossy().into_owned());
        }
        path.push(base_path.clone());
        let script = tmp.path().join("step.sh");
        fs::write(&script, substitute(&step.run, &inputs)).expect("write");
        let run = Command::new("bash")
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script)
            .current_dir(&workspace)
            .env("PATH", path.join(":"))
            .env("GITHUB_OUTPUT", &output)
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_ACTION_PATH", root())
            .env("RUNNER_TEMP", &runner_temp)
            .env_remove("NO_COLOR")
            .envs(
                step.env
                    .iter()
                    .map(|(k, v)| (k.clone(), substitute(v, &inputs))),
            )
            .output()
            .expect("bash starts");
        assert!(
            run.status.success(),
            "step `{}` failed\n{}\n{}",
            step.name,
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        ran.push(step.name.clone());
    }
    assert_eq!(ran.len(), 2, "{ran:?}");
    assert_eq!(
        fs::read_to_string(&rustup_calls).expect("rustup was asked"),
        "toolchain install stable --profile minimal --component clippy\n"
    );
    let outputs: BTreeMap<String, PathBuf> = fs::read_to_string(&output)
        .expect("read")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), PathBuf::from(v)))
        .collect();
    let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
    assert_eq!(names, ["json", "markdown", "sarif"]);
    for (name, file) in &outputs {
        assert!(file.is_file(), "the {name} report {}", file.display());
    }
    let report: snipcheck::report::Report =
        serde_json::from_str(&fs::read_to_string(&outputs["json"]).expect("read")).expect("json");
    assert_eq!(report.snippets.len(), 1, "{:?}", report.snippets);
    assert_eq!(report.snippets[0].status, snipcheck::report::Status::Pass);
    let markdown = fs::read_to_string(&outputs["markdown"]).expect("read");
    assert!(!markdown.is_empty());
    assert_eq!(
        fs::read_to_string(&summary).expect("read"),
        markdown,
        "the job summary is the Markdown report"
    );
}

/// `.pre-commit-hooks.yaml`'s `key: value` lines, the values unquoted.
fn hook_fields(yaml: &str) -> BTreeMap<String, String> {
    yaml.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(key_value)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A command in `dir`, its combined output and success.
fn run_in(dir: &Path, program: &str, args: &[&str], env: &[(&str, &Path)]) -> (bool, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The hook of `.pre-commit-hooks.yaml` runs once through pre-commit in a
/// test repository, on a committed document with one passing example. The
/// hook is declared `repo: local` with the fields of `.pre-commit-hooks.yaml`
/// (`language: system` for its `language: rust`, whose `cargo install` would
/// take minutes) and the suite's binary on `PATH`. Where pre-commit is not
/// installed, the test says so and passes.
#[test]
fn the_pre_commit_hook_runs_snipcheck_in_a_repository() {
    let found = Command::new("pre-commit").arg("--version").output();
    if !found.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "note: pre-commit is not on PATH; the pre-commit hook test is skipped (pip install pre-commit)"
        );
        return;
    }
    let hooks = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("the hooks");
    let fields = hook_fields(&hooks);
    assert_eq!(fields.get("language").map(String::as_str), Some("rust"));
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).expect("create");
    fs::write(repo.join("guide.md"), GUIDE).expect("write");
    let sandbox = root().join("sandbox/it-pre-commit");
    let target = root().join("sandbox/it-target");
    let mut args = vec![
        "--sandbox".to_string(),
        sandbox.display().to_string(),
        "--target-dir".to_string(),
        target.display().to_string(),
        "--toolchain".to_string(),
        "stable".to_string(),
        "--no-progress".to_string(),
        "--no-cache".to_string(),
    ];
    args.extend(unconfined_here().map(str::to_string));
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let config = format!(
        "repos:\n  - repo: local\n    hooks:\n      - id: {id}\n        name: {name}\n        entry: {entry}\n        language: system\n        files: '{files}'\n        require_serial: {serial}\n        verbose: true\n        args: {args:?}\n",
        id = field("id"),
        name = field("name"),
        entry = field("entry"),
        files = field("files"),
        serial = field("require_serial"),
    );
    fs::write(repo.join(".pre-commit-config.yaml"), config).expect("write");
    let path = format!(
        "{}:{}",
        binary_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let home = tmp.path().join("pre-commit-home");
    let env: [(&str, &Path); 2] = [("PATH", Path::new(&path)), ("PRE_COMMIT_HOME", &home)];
    let git = |args: &[&str]| {
        let (ok, text) = run_in(&repo, "git", args, &env);
        assert!(ok, "git {args:?}\n{text}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=snipcheck",
        "-c",
        "user.email=snipcheck@example.invalid",
        "commit",
        "-qm",
        "a guide",
    ]);
    let (ok, text) = run_in(&repo, "pre-commit", &["run", "--all-files"], &env);
    eprintln!("{text}");
    assert!(ok, "pre-commit failed\n{text}");
    let status = text
        .lines()
        .find(|l| l.starts_with(&field("name")))
        .unwrap_or_else(|| panic!("no line of the hook\n{text}"));
    assert!(status.ends_with("Passed"), "{text}");
    assert!(
        text.contains("guide.md"),
        "snipcheck checked the document\n{text}"
    );
}
