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
fn an_unknown_toolchain_is_an_error_before_anything_is_built() {
    let run = snipcheck(
        "toolchain",
        &[
            "tests/fixtures/broken.md",
            "--toolchain",
            "stable,stabel",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 3, "an environment error\n{}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: toolchain `stabel` is not installed\nhelp: rustup toolchain install stabel\n"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "no report: {}", run.stdout);
}

#[test]
fn fail_on_regressed_without_a_baseline_is_an_error() {
    for when in ["regressed", "new"] {
        let run = snipcheck(
            "fail-on",
            &[
                "tests/fixtures/broken.md",
                "--toolchain",
                "stable",
                "--fail-on",
                when,
            ],
        );
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            run.stderr.contains(&format!(
                "error: --fail-on {when} compares with a baseline, and none was read"
            )),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn durations_take_units() {
    // A duration the parser refuses is a usage error naming the value; `5m` is
    // accepted (the run then fails on the missing baseline, before any build).
    let run = snipcheck("durations", &["--timeout", "5 fortnights"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is no duration"), "{}", run.stderr);
    let run = snipcheck(
        "durations",
        &[
            "tests/fixtures/broken.md",
            "--toolchain",
            "stable",
            "--timeout",
            "5m",
            "--deadline",
            "1h",
            "--fail-on",
            "regressed",
        ],
    );
    assert!(run.stderr.contains("--fail-on regressed"), "{}", run.stderr);
}

/// `-o FILE` writes the format its extension names; input errors are
/// `error:` lines on stderr, also when stdout carries the JSON report.
#[test]
fn outputs_follow_their_extension_and_input_errors_are_errors() {
    let dir = root().join("sandbox/it-output-files");
    fs::create_dir_all(&dir).expect("create");
    let json = dir.join("report.json");
    let _ = fs::remove_file(&json);
    let json_arg = json.to_string_lossy().into_owned();
    let run = snipcheck(
        "outputs",
        &[
            "tests/fixtures/broken.md",
            "no/such/file.md",
            "--toolchain",
            "stable",
            "-o",
            &json_arg,
        ],
    );
    assert_eq!(
        run.code, 2,
        "a missing document is an input error\n{}",
        run.stderr
    );
    let text = fs::read_to_string(&json).expect("the report was written");
    let report: snipcheck::report::Report =
        serde_json::from_str(&text).expect("-o report.json is the JSON report");
    assert_eq!(row(&report, "broken.md", 18).status, Status::Pass);
    assert!(
        run.stderr.contains("error: no/such/file.md: "),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("warning: no/such"), "{}", run.stderr);
    // JSON on stdout: stderr still says what is wrong, then the totals.
    let run = snipcheck(
        "outputs",
        &[
            "tests/fixtures/broken.md",
            "no/such/file.md",
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: no/such/file.md: "),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("snipcheck: "), "{}", run.stderr);
    run.report();
}

#[test]
fn only_checks_the_block_at_a_line() {
    // Any line of the block names it; the file is the document checked.
    let run = snipcheck(
        "only",
        &[
            "--only",
            "./tests/fixtures/broken.md:19",
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    let lines: Vec<u32> = report.snippets.iter().map(|s| s.line).collect();
    assert_eq!(lines, [18]);
    let run = snipcheck(
        "only",
        &[
            "--only",
            "tests/fixtures/broken.md:3",
            "--toolchain",
            "stable",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: --only: no code block at line 3 of `tests/fixtures/broken.md`"),
        "{}",
        run.stderr
    );
}

#[test]
fn quiet_says_only_what_is_wrong_and_verbose_every_verdict() {
    let args = ["tests/fixtures/broken.md", "--toolchain", "stable"];
    let quiet = snipcheck("verbosity", &[&args[..], &["-q"]].concat());
    assert_eq!(quiet.code, 1, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("note:"), "{}", quiet.stderr);
    assert!(
        !quiet.stderr.contains("-->"),
        "no diagnostics: {}",
        quiet.stderr
    );
    assert!(
        quiet.stderr.ends_with("(4 blocks in 1 file)\n"),
        "{}",
        quiet.stderr
    );
    let verbose = snipcheck("verbosity", &[&args[..], &["-v"]].concat());
    assert_eq!(verbose.code, 1, "{}", verbose.stderr);
    assert!(
        verbose
            .stderr
            .contains("tests/fixtures/broken.md:18: pass on stable"),
        "{}",
        verbose.stderr
    );
    assert!(
        verbose.stderr.contains("note: the scratch workspace is `"),
        "{}",
        verbose.stderr
    );
}

/// Without `--sandbox`, the scratch workspace goes to the enclosing cargo
/// workspace's `target/snipcheck`, or outside any cargo project to the user's
/// cache folder: the folder snipcheck runs in gets nothing.
#[test]
fn the_default_scratch_workspace_never_litters_the_checkout() {
    let home = tempfile::tempdir().expect("a temporary folder");
    let project = tempfile::tempdir().expect("a temporary folder");
    let doc = "# Doc\n\n```rust\nfn main() {}\n```\n";
    fs::write(project.path().join("README.md"), doc).expect("write");
    let cache = home.path().join("cache");
    let run = |dir: &std::path::Path| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .current_dir(dir)
            .args(crate::support::unconfined_here())
            .args([
                "README.md",
                "--toolchain",
                "stable",
                "--no-progress",
                "--target-dir",
            ])
            .arg(root().join("sandbox/it-target"))
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("CARGO_TARGET_DIR")
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(0), "{stderr}");
    };
    let listing = |dir: &std::path::Path| {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // Outside any cargo project: the cache folder, one sandbox per folder.
    run(project.path());
    assert_eq!(listing(project.path()), ["README.md"]);
    let sandboxes = listing(&cache.join("snipcheck"));
    assert_eq!(sandboxes.len(), 1, "{sandboxes:?}");
    assert!(
        cache
            .join("snipcheck")
            .join(&sandboxes[0])
            .join(".snipcheck-sandbox")
            .exists()
    );
    // Inside a cargo workspace: its target dir.
    fs::write(project.path().join("Cargo.toml"), "[workspace]\n").expect("write");
    run(project.path());
    assert_eq!(
        listing(project.path()),
        ["Cargo.toml", "README.md", "target"]
    );
    assert_eq!(listing(&project.path().join("target")), ["snipcheck"]);
}

#[test]
fn cargo_snipcheck_is_the_same_command() {
    let cargo_snipcheck = env!("CARGO_BIN_EXE_cargo-snipcheck");
    // cargo runs `cargo-snipcheck snipcheck ARGS`.
    let output = std::process::Command::new(cargo_snipcheck)
        .args(["snipcheck", "--explain", "syntax"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("syntax: "));
    let output = std::process::Command::new(cargo_snipcheck)
        .args(["snipcheck", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(
        help.contains("Usage: cargo snipcheck [OPTIONS] [PATH]..."),
        "{help}"
    );
    let output = std::process::Command::new(cargo_snipcheck)
        .args(["snipcheck", "--toolchain", "stabel"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(3), "an environment error");
}

/// actionlint reads workflows, not action metadata: this checks that the
/// composite action reads only the inputs it declares and runs snipcheck with
/// arguments snipcheck accepts, and that the pre-commit hook targets Markdown.
#[test]
fn the_action_and_the_hook_use_real_arguments() {
    use clap::Parser;
    let action = fs::read_to_string(root().join("action.yml")).expect("action.yml");
    let (declared, _) = action
        .split_once("\noutputs:")
        .expect("action.yml has inputs, then outputs");
    for used in action.split("inputs.").skip(1) {
        let name: String = used
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        assert!(
            declared.contains(&format!("\n  {name}:\n")),
            "action.yml reads the undeclared input `{name}`"
        );
    }
    for step in ["sarif", "json", "markdown"] {
        assert!(
            action.contains(&format!("value: ${{{{ steps.run.outputs.{step} }}}}"))
                && action.contains(&format!("echo \"{step}=$out/")),
            "output {step}"
        );
    }
    // The command line the action builds, with every optional input given.
    let argv = [
        "snipcheck",
        "README.md",
        "docs",
        "--toolchain",
        "stable,nightly",
        "--fail-on",
        "regressed",
        "--baseline",
        "snipcheck.baseline.toml",
        "--format",
        "human",
        "--format",
        "github",
        "--format",
        "sarif=out/snipcheck.sarif",
        "--format",
        "json=out/snipcheck.json",
        "--format",
        "markdown=out/snipcheck.md",
    ];
    for flag in argv.iter().filter(|a| a.starts_with("--")) {
        assert!(action.contains(flag), "action.yml passes {flag}");
    }
    snipcheck::cli::Args::try_parse_from(argv).expect("snipcheck accepts the action's arguments");
    let hooks = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("the hooks");
    assert!(hooks.contains("- id: snipcheck\n"), "{hooks}");
    assert!(hooks.contains("entry: snipcheck\n"), "{hooks}");
    assert!(hooks.contains("files: \\.(md|mdc|markdown)$\n"), "{hooks}");
}

/// A toolchain named with `--toolchain` that lacks clippy (here a rustup
/// path toolchain holding only stable's rustc, cargo and libraries) is an
/// environment error that says the command that fixes it; nothing is built.
/// (A default nightly without clippy still falls back to `cargo check`.)
#[test]
fn a_named_toolchain_without_clippy_is_an_environment_error_with_its_fix() {
    let name = noclippy_toolchain();
    let run = snipcheck(
        "noclippy",
        &[
            "tests/fixtures/broken.md",
            "--toolchain",
            &name,
            "--unconfined",
            "--no-cache",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 3, "an environment error\n{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: clippy is not installed for toolchain `{name}`\n\
             help: rustup component add clippy --toolchain {name}\n"
        ),
    );
    assert!(run.stdout.is_empty(), "nothing built: {}", run.stdout);
    // A toolchain with clippy is found to have it, confined or not.
    let run = snipcheck(
        "noclippy-stable",
        &[
            "tests/fixtures/broken.md",
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    let report = run.report();
    assert!(
        report
            .problems
            .iter()
            .all(|p| !p.message.contains("clippy")),
        "{:?}",
        report.problems
    );
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

/// A rustup path toolchain holding only stable's rustc, cargo and libraries:
/// no clippy. Its name (its path).
fn noclippy_toolchain() -> String {
    let toolchain = root().join("sandbox/it-noclippy-toolchain");
    if !toolchain.join("bin/rustc").exists() {
        let sysroot = std::process::Command::new("rustc")
            .args(["+stable", "--print", "sysroot"])
            .output()
            .expect("rustc runs");
        let sysroot = std::path::PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
        fs::create_dir_all(toolchain.join("bin")).expect("create");
        for file in ["bin/rustc", "bin/cargo", "lib"] {
            // Two tests may make it at once.
            match std::os::unix::fs::symlink(sysroot.join(file), toolchain.join(file)) {
                Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => panic!("link: {e}"),
                _ => {}
            }
        }
    }
    toolchain.to_string_lossy().into_owned()
}

/// A toolchain that reaches the pipeline without clippy (as a default nightly
/// may: `--toolchain` refuses one) is built with `cargo check`: the examples
/// get their verdicts, and one problem says the lints were not run.
#[test]
fn a_default_toolchain_without_clippy_is_checked_without_lints_and_said_once() {
    use clap::Parser;
    let sandbox = root().join("sandbox/it-noclippy-default");
    let target = root().join("sandbox/it-target");
    let args = snipcheck::cli::Args::try_parse_from([
        "snipcheck".as_ref(),
        "tests/fixtures/broken.md".as_ref(),
        "--toolchain".as_ref(),
        "stable".as_ref(),
        "--sandbox".as_ref(),
        sandbox.as_os_str(),
        "--target-dir".as_ref(),
        target.as_os_str(),
        // Confinement grants rustup's toolchains, not a path toolchain
        // elsewhere; what is tested here is the build without clippy.
        "--unconfined".as_ref(),
        "--no-diagnose".as_ref(),
        "--no-cache".as_ref(),
    ] as [&std::ffi::OsStr; 11])
    .expect("parses");
    let terminal = snipcheck::cli::Terminal {
        stderr_is_terminal: false,
        is_ci: true,
        no_color: true,
        github_actions: false,
    };
    let defaults = snipcheck::cli::Defaults::default();
    let Ok(snipcheck::cli::Command::Run(config)) =
        snipcheck::cli::validate(&args, &defaults, terminal)
    else {
        panic!("a run");
    };
    let snipcheck::cli::Work::Check(mut options) = config.work else {
        panic!("a check");
    };
    // What the defaults would choose on a machine whose nightly lacks clippy.
    options.toolchains = vec![noclippy_toolchain()];
    let outcome =
        snipcheck::pipeline::run(&options, &snipcheck::progress::silent).expect("the run");
    let report = outcome.report;
    assert_eq!(row(&report, "broken.md", 18).status, Status::Pass);
    assert_eq!(
        row(&report, "broken.md", 7).cause,
        Some(Cause::Syntax),
        "not dependency-build"
    );
    let warnings: Vec<&str> = report
        .problems
        .iter()
        .map(|p| p.message.as_str())
        .filter(|m| m.contains("clippy"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("clippy is not installed"),
        "{warnings:?}"
    );
}

/// `FILE.md:LINE` as a PATH checks the one example at that line, as `--only`.
#[test]
fn a_path_with_a_line_checks_one_example() {
    let run = snipcheck(
        "path-line",
        &[
            "tests/fixtures/broken.md:18",
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "only the passing example\n{}", run.stderr);
    let report = run.report();
    let lines: Vec<u32> = report.snippets.iter().map(|s| s.line).collect();
    assert_eq!(lines, [18], "{}", run.stderr);
    assert_eq!(row(&report, "broken.md", 18).status, Status::Pass);
}
