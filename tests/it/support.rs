//! Running the binary the way a user or CI does, and reading its JSON report.

use std::path::{Path, PathBuf};
use std::process::Command;

use snipcheck::report::{Report, SnippetReport};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The real specs beside the repository.
pub fn shared_specs() -> PathBuf {
    let dir = root().join("../shared/specs");
    assert!(
        dir.is_dir(),
        "the end-to-end tests read the real specs from `../shared/specs` beside the repository; it is missing"
    );
    dir
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn report(&self) -> Report {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Checks a JSON report, as snipcheck wrote it, against the committed schema
/// (`schema/report.schema.json`), listing every violation.
pub fn assert_matches_schema(json: &str) {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("schema/report.schema.json"))
            .expect("schema/report.schema.json is committed");
        serde_json::from_str(&text).expect("the committed schema is JSON")
    });
    let validator = jsonschema::options()
        .build(schema)
        .expect("the committed schema compiles");
    let instance: serde_json::Value = serde_json::from_str(json).expect("the report is JSON");
    let errors: Vec<String> = validator
        .iter_errors(&instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the report does not match its schema: {errors:#?}"
    );
}

/// Runs `snipcheck` in the repository root with a sandbox of its own (named
/// after the test) and the suite's shared target dir, plus `args`.
pub fn snipcheck(sandbox: &str, args: &[&str]) -> Run {
    snipcheck_with(sandbox, &root().join("sandbox/it-target"), &[], args)
}

/// Whether this machine can confine builds: the probe snipcheck itself runs
/// at the start of a run (`snipcheck __confine --probe`). Says so once when not.
pub fn can_confine() -> bool {
    static CAN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CAN.get_or_init(|| {
        let probe = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .args([snipcheck::confine::ENTRY, "--probe"])
            .output()
            .expect("the snipcheck binary starts");
        let support: Option<snipcheck::confine::Support> =
            serde_json::from_slice(&probe.stdout).ok();
        let can = support.is_some_and(|s| s.landlock_abi > 0);
        if !can {
            eprintln!(
                "note: this machine cannot confine builds (no Landlock); the tests run snipcheck --unconfined and the attack suite is skipped"
            );
        }
        can
    })
}

/// `--unconfined` on a machine that cannot confine builds (see [`can_confine`]).
pub fn unconfined_here() -> Option<&'static str> {
    (!can_confine()).then_some("--unconfined")
}

/// [`snipcheck`] with extra environment variables.
pub fn snipcheck_with_env(sandbox: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, Path::new(*v))).collect();
    snipcheck_with(sandbox, &root().join("sandbox/it-target"), &env, args)
}

/// [`snipcheck`] with another target dir and extra environment variables.
pub fn snipcheck_with(sandbox: &str, target: &Path, env: &[(&str, &Path)], args: &[&str]) -> Run {
    let sandbox = root().join("sandbox").join(format!("it-{sandbox}"));
    // On a machine that cannot confine builds (no Landlock), snipcheck
    // refuses to build; the tests of everything else run unconfined there.
    let unconfined = (!can_confine() && !args.contains(&"--unconfined")).then_some("--unconfined");
    let output = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .current_dir(root())
        .arg("--sandbox")
        .arg(&sandbox)
        .arg("--target-dir")
        .arg(target)
        .arg("--no-progress")
        .args(unconfined)
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .output()
        .expect("the snipcheck binary starts");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The row of the block whose fence is at `line` of the file whose name ends with `file`.
pub fn row<'r>(report: &'r Report, file: &str, line: u32) -> &'r SnippetReport {
    report
        .snippets
        .iter()
        .find(|s| s.file.ends_with(file) && s.line == line)
        .unwrap_or_else(|| panic!("no block at {file}:{line}"))
}

/// The lines of a document outside its fenced code blocks (fences included).
pub fn outside_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.split('\n') {
        let fence = line.trim_start().starts_with("```");
        if fence {
            inside = !inside;
        }
        if !inside || fence {
            out.push(line.to_string());
        }
    }
    out
}
