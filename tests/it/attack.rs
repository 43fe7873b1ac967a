//! The attack suite: what a stranger's document can make a build do, tried
//! for real, both ways.
//!
//! A build script written to attack (`tests/fixtures/attack/build.rs`) is
//! made a dependency of every scratch crate with the test-only
//! `SNIPCHECK_TEST_INJECT_DEPENDENCY`. It reads secrets outside the sandbox,
//! walks `/proc/*/environ`, connects to a TCP listener and a Unix socket,
//! writes outside the sandbox, signals and detaches processes, and opens the
//! terminal. With `--unconfined` (the old behaviour) every attack succeeds,
//! which proves the probes work; confined (the default) every one is
//! blocked and nothing it could have taken reaches any output. Resource
//! bombs and a planted cargo configuration complete it. SECURITY.md's table
//! is what this suite observes. Nothing here needs the network.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use snipcheck::report::{Cause, Report, Status};

use crate::support::root;

/// The report formats written to files besides the human one on the terminal.
const FORMATS: &[(&str, &str)] = &[
    ("json", "report.json"),
    ("markdown", "report.md"),
    ("junit", "report.xml"),
    ("sarif", "report.sarif"),
    ("github", "report.github"),
];

/// What the fixture writes to the terminal when it can open it.
const TERMINAL_MARK: &str = "TERMINAL-WRITTEN-BY-A-BUILD-SCRIPT";

/// What snipcheck says when this machine cannot confine builds.
const CANNOT_CONFINE: &str = "cannot confine the builds on this machine";

/// A fresh, unguessable word for this test's canaries.
fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:016x}", hasher.finish())
}

/// Everything outside the sandbox that the attacker goes for, in a
/// temporary folder of its own:
///
/// ```text
/// secret.txt                 a canary file
/// cargo-home/credentials.toml, cargo-home/registry/
/// checkout/.git/config       the checkout, with a canary in a remote URL
/// checkout/doc.md            the document; checkout/sandbox/ is the sandbox
/// attack/                    the fixture crate and its attack.conf
/// agent.sock                 a Unix socket, as an ssh agent's
/// reports/                   the requested reports
/// ```
struct Scene {
    dir: tempfile::TempDir,
    nonce: String,
    tcp: TcpListener,
    unix: UnixListener,
    /// A process started outside the build, for the build to signal.
    victim: Child,
    /// The argument of the process the build detaches (`sleep 300.NNN`).
    sleep_arg: String,
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = self.victim.kill();
        let _ = self.victim.wait();
    }
}

impl Scene {
    fn new() -> Scene {
        let dir = tempfile::Builder::new()
            .prefix("snipcheck-attack-")
            .tempdir()
            .expect("a temporary folder");
        let nonce = nonce();
        let at = |p: &str| dir.path().join(p);
        for folder in [
            "cargo-home/registry",
            "checkout/.git",
            "reports",
            "attack/src",
        ] {
            fs::create_dir_all(at(folder)).expect("create");
        }
        fs::write(at("secret.txt"), format!("CANARY-FILE-{nonce}\n")).expect("write");
        fs::write(
            at("cargo-home/credentials.toml"),
            format!("[registry]\ntoken = \"CANARY-CRED-{nonce}\"\n"),
        )
        .expect("write");
        fs::write(
            at("checkout/.git/config"),
            format!(
                "[remote \"origin\"]\n\turl = https://ci:CANARY-GIT-{nonce}@example.invalid/repo\n"
            ),
        )
        .expect("write");
        fs::write(
            at("checkout/doc.md"),
            "# Harmless\n\n```rust\npub fn answer() -> u8 {\n    42\n}\n```\n",
        )
        .expect("write");
        let fixture = root().join("tests/fixtures/attack");
        for file in ["Cargo.toml", "build.rs", "src/lib.rs"] {
            fs::copy(fixture.join(file), at(&format!("attack/{file}"))).expect("copy");
        }
        let tcp = TcpListener::bind("127.0.0.1:0").expect("a TCP listener");
        tcp.set_nonblocking(true).expect("non-blocking");
        let unix = UnixListener::bind(at("agent.sock")).expect("a Unix socket");
        unix.set_nonblocking(true).expect("non-blocking");
        let victim = Command::new("sleep")
            .arg("600")
            .spawn()
            .expect("a process to signal");
        let sleep_arg = format!("300.{}", u64::from_str_radix(&nonce[..8], 16).unwrap_or(7));
        let conf = [
            ("secret_file", at("secret.txt").display().to_string()),
            (
                "credentials_file",
                at("cargo-home/credentials.toml").display().to_string(),
            ),
            ("env_name", "SNIPCHECK_CANARY".to_string()),
            (
                "tcp_port",
                tcp.local_addr().expect("bound").port().to_string(),
            ),
            ("unix_socket", at("agent.sock").display().to_string()),
            (
                "write_file",
                at("written-by-the-build.txt").display().to_string(),
            ),
            (
                "cache_dir",
                at("checkout/sandbox/cache").display().to_string(),
            ),
            (
                "registry_dir",
                at("cargo-home/registry").display().to_string(),
            ),
            ("victim_pid", victim.id().to_string()),
            ("sleep_arg", sleep_arg.clone()),
        ]
        .iter()
        .map(|(key, value)| format!("{key}={value}\n"))
        .collect::<String>();
        fs::write(at("attack/attack.conf"), conf).expect("write");
        Scene {
            dir,
            nonce,
            tcp,
            unix,
            victim,
            sleep_arg,
        }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn canaries(&self) -> Vec<String> {
        ["FILE", "CRED", "GIT", "ENV"]
            .iter()
            .map(|kind| format!("CANARY-{kind}-{}", self.nonce))
            .collect()
    }

    /// Runs snipcheck on the document, every format to a file, the human
    /// one on a terminal when `script` can give it one.
    fn run(&self, extra: &[&str]) -> Observed {
        self.run_with(extra, &[])
    }

    /// [`Scene::run`] with extra environment variables for snipcheck.
    fn run_with(&self, extra: &[&str], env: &[(&str, &str)]) -> Observed {
        let before = files_outside_the_sandbox(self.dir.path());
        let exe = env!("CARGO_BIN_EXE_snipcheck");
        let mut args: Vec<String> = [
            "--specs",
            "doc.md",
            "--sandbox",
            "sandbox",
            "--toolchain",
            "stable",
            "--no-progress",
            "--color",
            "never",
            "--format",
            "human",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        for (format, file) in FORMATS {
            args.push("--format".into());
            args.push(format!(
                "{format}={}",
                self.path("reports").join(file).display()
            ));
        }
        args.extend(extra.iter().map(|a| a.to_string()));
        let injected = format!("snipcheck-attack={}", self.path("attack").display());
        let terminal = script_available();
        let mut cmd = if terminal {
            // `script` runs the command on a pseudo-terminal of its own, as a
            // user at a terminal would.
            let line: Vec<String> = std::iter::once(exe.to_string())
                .chain(args.iter().cloned())
                .inspect(|a| assert!(!a.contains('\''), "{a}"))
                .map(|a| format!("'{a}'"))
                .collect();
            let mut cmd = Command::new("script");
            cmd.args(["-qec", &line.join(" "), "/dev/null"]);
            cmd
        } else {
            let mut cmd = Command::new(exe);
            cmd.args(&args);
            cmd
        };
        let output = cmd
            .current_dir(self.path("checkout"))
            .env("SNIPCHECK_CANARY", format!("CANARY-ENV-{}", self.nonce))
            .env("CARGO_HOME", self.path("cargo-home"))
            .env("SNIPCHECK_TEST_INJECT_DEPENDENCY", injected)
            .envs(env.iter().copied())
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .output()
            .expect("snipcheck starts");
        let seen = self.observe(output, terminal, &before);
        eprintln!("{extra:?}: the build script recorded {:#?}", seen.findings);
        seen
    }

    /// What the run left behind, outside and inside the sandbox.
    fn observe(
        &self,
        output: std::process::Output,
        had_terminal: bool,
        before: &BTreeSet<PathBuf>,
    ) -> Observed {
        let terminal = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let reports: BTreeMap<&str, String> = FORMATS
            .iter()
            .filter_map(|(format, file)| {
                fs::read_to_string(self.path("reports").join(file))
                    .ok()
                    .map(|text| (*format, text))
            })
            .collect();
        let survivors = processes_with_argument(&self.sleep_arg);
        // A detached process that outlived the run is ended here, by its id.
        for pid in &survivors {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let after = files_outside_the_sandbox(self.dir.path());
        let mut observed = Observed {
            code: output.status.code().unwrap_or(-1),
            report: reports
                .get("json")
                .and_then(|text| serde_json::from_str(text).ok()),
            findings: findings(&self.path("checkout/sandbox/target")),
            tcp_connected: self.tcp.accept().is_ok(),
            unix_connected: self.unix.accept().is_ok(),
            wrote_outside: self.path("written-by-the-build.txt").exists(),
            forged_cache: self.path("checkout/sandbox/cache/forged.json").exists(),
            poisoned_registry: self.path("cargo-home/registry/poisoned.rs").exists(),
            survivors,
            victim_alive: nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(i32::try_from(self.victim.id()).expect("a pid")),
                None,
            )
            .is_ok()
                && !process_is_zombie(self.victim.id()),
            leaks: Vec::new(),
            new_files: after.difference(before).cloned().collect(),
            had_terminal,
            terminal,
            reports,
        };
        observed.leaks = self.leaks(&observed);
        observed
    }

    /// Where a canary showed up: the terminal, a report, or any file outside
    /// the sandbox but the ones the test planted it in.
    fn leaks(&self, observed: &Observed) -> Vec<String> {
        let planted: BTreeSet<PathBuf> = [
            "secret.txt",
            "cargo-home/credentials.toml",
            "checkout/.git/config",
        ]
        .iter()
        .map(|p| self.path(p))
        .collect();
        let mut places: Vec<(String, String)> =
            vec![("the terminal".into(), observed.terminal.clone())];
        for (format, text) in &observed.reports {
            places.push((format!("the {format} report"), text.clone()));
        }
        for file in files_outside_the_sandbox(self.dir.path()) {
            if planted.contains(&file) {
                continue;
            }
            if let Ok(bytes) = fs::read(&file) {
                places.push((
                    file.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
        let mut leaks = Vec::new();
        for canary in self.canaries() {
            for (place, text) in &places {
                if text.contains(&canary) {
                    leaks.push(format!("{canary} in {place}"));
                }
            }
        }
        leaks
    }
}

/// What one run under attack showed.
#[derive(Debug)]
struct Observed {
    code: i32,
    /// What the terminal showed (stdout and stderr).
    terminal: String,
    /// Report texts by format.
    reports: BTreeMap<&'static str, String>,
    report: Option<Report>,
    /// The build script's own record, by attack: `ok ...` or `blocked (...)`.
    findings: BTreeMap<String, String>,
    tcp_connected: bool,
    unix_connected: bool,
    wrote_outside: bool,
    forged_cache: bool,
    poisoned_registry: bool,
    /// Processes the build detached that outlived the run.
    survivors: Vec<i32>,
    victim_alive: bool,
    /// Where a canary was found.
    leaks: Vec<String>,
    /// Files that appeared outside the sandbox.
    new_files: Vec<PathBuf>,
    had_terminal: bool,
}

impl Observed {
    fn finding(&self, attack: &str) -> &str {
        self.findings
            .get(attack)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no finding for {attack}: {self:#?}"))
    }

    fn succeeded(&self, attack: &str) -> bool {
        self.finding(attack).starts_with("ok")
    }

    /// Whether this machine confined the run; says why not when it did not.
    fn confined(&self) -> bool {
        if let Some(report) = &self.report
            && let Some(confinement) = &report.confinement
        {
            if !confinement.confined {
                eprintln!("skipped: the run was not confined: {confinement:?}");
            }
            return confinement.confined;
        }
        assert!(
            self.terminal.contains(CANNOT_CONFINE),
            "no report, and no word of confinement:\n{}",
            self.terminal
        );
        eprintln!(
            "skipped: this machine cannot confine builds:\n{}",
            self.terminal
        );
        false
    }

    /// No line of what the run printed is a CI workflow command.
    fn assert_no_workflow_command(&self) {
        for line in self.terminal.split(['\n', '\r']) {
            assert!(
                !line.trim_start().starts_with("::"),
                "{line:?} in\n{}",
                self.terminal
            );
        }
    }
}

/// The build script's `findings.txt` in its `OUT_DIR`: proof that it ran.
fn findings(target: &Path) -> BTreeMap<String, String> {
    let build = target.join("stable/debug/build");
    let Ok(entries) = fs::read_dir(&build) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("snipcheck-attack-")
        })
        .filter_map(|e| fs::read_to_string(e.path().join("out/findings.txt")).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| line.split_once(": "))
                .map(|(name, outcome)| (name.to_string(), outcome.to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every file under `dir` but the sandbox (`checkout/sandbox`).
fn files_outside_the_sandbox(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(dir: &Path, out: &mut BTreeSet<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.ends_with("checkout/sandbox") {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, &mut out);
    out
}

/// The processes whose command line has `argument`.
fn processes_with_argument(argument: &str) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| cmdline.split(|b| *b == 0).any(|a| a == argument.as_bytes()))
        })
        .collect()
}

fn process_is_zombie(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn unconfined_every_attack_succeeds() {
    let scene = Scene::new();
    let seen = scene.run(&["--unconfined"]);
    assert!(
        !seen.findings.is_empty(),
        "the build script did not run:\n{}",
        seen.terminal
    );
    for attack in [
        "canary-file",
        "credentials",
        "git-config",
        "environ",
        "tcp",
        "unix-socket",
        "write-outside",
        "forge-cache",
        "poison-registry",
        "signal",
        "detach",
    ] {
        assert!(seen.succeeded(attack), "{attack}: {}", seen.finding(attack));
    }
    assert!(
        seen.finding("environ")
            .contains(&format!("CANARY-ENV-{}", scene.nonce)),
        "{}",
        seen.finding("environ")
    );
    assert!(seen.tcp_connected && seen.unix_connected, "{seen:#?}");
    assert!(
        seen.wrote_outside && seen.forged_cache && seen.poisoned_registry,
        "{seen:#?}"
    );
    assert!(
        !seen.survivors.is_empty(),
        "the detached process outlived the run"
    );
    assert!(
        !seen.victim_alive,
        "the signal reached a process outside the build"
    );
    if seen.had_terminal {
        assert!(seen.succeeded("terminal"), "{}", seen.finding("terminal"));
        assert!(seen.terminal.contains(TERMINAL_MARK), "{}", seen.terminal);
    }
    // What the script took reaches the reports: the channel the confined
    // run must find empty.
    // Every view that shows the run's problems (JUnit shows none).
    let mut channels = vec!["the terminal".to_string()];
    channels.extend(
        FORMATS
            .iter()
            .filter(|(format, _)| *format != "junit")
            .map(|(format, _)| format!("the {format} report")),
    );
    for canary in scene.canaries() {
        for channel in &channels {
            assert!(
                seen.leaks.contains(&format!("{canary} in {channel}")),
                "{canary} not in {channel}: {:?}",
                seen.leaks
            );
        }
    }
    let report = seen.report.as_ref().expect("a JSON report");
    assert_eq!(report.confinement.as_ref().map(|c| c.confined), Some(false));
    seen.assert_no_workflow_command();
}

#[test]
fn confined_every_attack_is_blocked() {
    let scene = Scene::new();
    let seen = scene.run(&[]);
    if !seen.confined() {
        return;
    }
    assert_every_attack_blocked(&scene, &seen);
}

#[test]
fn without_namespaces_the_fallback_still_blocks_every_attack() {
    // As on a machine that allows no unprivileged namespaces: no network
    // namespace (Landlock's TCP rules instead), no PID namespace (the child
    // subreaper kills what the build leaves), signals scoped by Landlock.
    let scene = Scene::new();
    let seen = scene.run_with(&[], &[(snipcheck::confine::NO_NAMESPACES_ENV, "1")]);
    if !seen.confined() {
        return;
    }
    let confinement = seen
        .report
        .as_ref()
        .and_then(|r| r.confinement.clone())
        .expect("the report says how builds were confined");
    assert!(confinement.network.contains("Landlock"), "{confinement:?}");
    assert!(
        confinement.processes.contains("subreaper"),
        "{confinement:?}"
    );
    assert_every_attack_blocked(&scene, &seen);
}

/// What a confined run must show, with or without namespaces.
fn assert_every_attack_blocked(scene: &Scene, seen: &Observed) {
    assert!(
        !seen.findings.is_empty(),
        "the build script did not run:\n{}",
        seen.terminal
    );
    for (attack, outcome) in &seen.findings {
        // Starting a process is allowed; its surviving the build is not.
        if attack != "detach" {
            assert!(outcome.starts_with("blocked"), "{attack}: {outcome}");
        }
    }
    assert!(!seen.tcp_connected, "a TCP connection was made");
    assert!(!seen.unix_connected, "a Unix socket was reached");
    assert!(
        !seen.wrote_outside && !seen.forged_cache && !seen.poisoned_registry,
        "{seen:#?}"
    );
    assert!(
        seen.survivors.is_empty(),
        "a detached process outlived the build"
    );
    assert!(
        seen.victim_alive,
        "a process outside the build was signalled"
    );
    assert!(!seen.terminal.contains(TERMINAL_MARK), "{}", seen.terminal);
    assert!(seen.leaks.is_empty(), "{:?}", seen.leaks);
    // Outside the sandbox, the run wrote its reports and nothing else.
    for file in &seen.new_files {
        assert!(
            file.starts_with(scene.path("reports")),
            "{}",
            file.display()
        );
    }
    assert_eq!(
        seen.reports.len(),
        FORMATS.len(),
        "{:?}",
        seen.reports.keys()
    );
    let report = seen.report.as_ref().expect("a JSON report");
    let row = &report.snippets[0];
    assert_eq!(
        (row.status, row.cause),
        (Status::Fail, Some(Cause::DependencyBuild)),
        "the failing build script is the example's dependency: {row:?}"
    );
    assert_eq!(seen.code, 1, "{}", seen.terminal);
    seen.assert_no_workflow_command();
}

/// A document of one block, checked in a sandbox of its own (no injected
/// dependency) with `args`: the exit code, what was printed, the report.
fn check_one(block: &str, args: &[&str]) -> (tempfile::TempDir, String, Option<Report>) {
    let dir = tempfile::Builder::new()
        .prefix("snipcheck-bomb-")
        .tempdir()
        .expect("a temporary folder");
    let doc = dir.path().join("doc.md");
    fs::write(&doc, format!("# Bomb\n\n```rust\n{block}\n```\n")).expect("write");
    let output = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
        .current_dir(dir.path())
        .args([
            "--specs",
            "doc.md",
            "--sandbox",
            "sandbox",
            "--toolchain",
            "stable",
        ])
        .args(["--no-progress", "--color", "never", "--format", "json"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("snipcheck starts");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let report = serde_json::from_slice::<Report>(&output.stdout).ok();
    (dir, printed, report)
}

/// The report of a confined run, or `None` (said) when this machine cannot confine.
fn confined_report(printed: &str, report: Option<Report>) -> Option<Report> {
    for line in printed.split(['\n', '\r']) {
        assert!(
            !line.trim_start().starts_with("::"),
            "{line:?} in\n{printed}"
        );
    }
    let Some(report) = report else {
        assert!(printed.contains(CANNOT_CONFINE), "no report:\n{printed}");
        eprintln!("skipped: this machine cannot confine builds:\n{printed}");
        return None;
    };
    if !report.confinement.as_ref().is_some_and(|c| c.confined) {
        eprintln!(
            "skipped: the run was not confined: {:?}",
            report.confinement
        );
        return None;
    }
    Some(report)
}

#[test]
fn a_never_ending_const_evaluation_is_stopped_at_the_time_limit() {
    let started = std::time::Instant::now();
    let (dir, printed, report) = check_one(
        "#![allow(long_running_const_eval)]\npub const FOREVER: u64 = {\n    let mut n: u64 = 0;\n    loop {\n        n = n.wrapping_add(1);\n    }\n};",
        &["--timeout", "20"],
    );
    let Some(report) = confined_report(&printed, report) else {
        return;
    };
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "stopped near its limit"
    );
    let row = &report.snippets[0];
    assert_eq!(
        (row.status, row.cause),
        (Status::Fail, Some(Cause::Timeout)),
        "{row:?}"
    );
    // Nothing of that build is still evaluating.
    let sandbox = dir.path().join("sandbox").display().to_string();
    assert_eq!(processes_mentioning(&sandbox), Vec::<i32>::new());
}

#[test]
fn a_macro_expansion_bomb_is_stopped_by_the_memory_cap() {
    let (_dir, printed, report) = check_one(
        "macro_rules! bomb {\n    ($($t:tt)*) => { bomb!($($t)* $($t)*); };\n}\nbomb!(x x x x x x x x);",
        &["--memory-limit", "1024", "--timeout", "300"],
    );
    let Some(report) = confined_report(&printed, report) else {
        return;
    };
    let row = &report.snippets[0];
    assert_eq!(
        (row.status, row.cause),
        (Status::Fail, Some(Cause::ResourceLimit)),
        "never dependency-build nor timeout: {row:?}"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("memory cap")),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_cargo_configuration_planted_above_the_sandbox_does_not_apply() {
    let dir = tempfile::Builder::new()
        .prefix("snipcheck-planted-")
        .tempdir()
        .expect("a temporary folder");
    let at = |p: &str| dir.path().join(p);
    let marker = at("wrapper-ran");
    fs::create_dir_all(at(".cargo")).expect("create");
    let wrapper = at("wrapper.sh");
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho ran >> '{}'\nexec \"$@\"\n",
            marker.display()
        ),
    )
    .expect("write");
    fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    fs::write(
        at(".cargo/config.toml"),
        format!("[build]\nrustc-wrapper = \"{}\"\n", wrapper.display()),
    )
    .expect("write");
    fs::write(
        at("doc.md"),
        "# Doc\n\n```rust\npub fn one() -> u8 { 1 }\n```\n",
    )
    .expect("write");
    for mode in [&[][..], &["--unconfined"][..]] {
        let output = Command::new(env!("CARGO_BIN_EXE_snipcheck"))
            .current_dir(dir.path())
            .args([
                "--specs",
                "doc.md",
                "--sandbox",
                "sandbox",
                "--toolchain",
                "stable",
            ])
            .args(["--no-progress", "--no-cache", "--format", "json"])
            .args(mode)
            .env_remove("RUSTC_WRAPPER")
            .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
            .stdin(Stdio::null())
            .output()
            .expect("snipcheck starts");
        let printed = String::from_utf8_lossy(&output.stderr).into_owned();
        let report = serde_json::from_slice::<Report>(&output.stdout).ok();
        if mode.is_empty() && confined_report(&printed, report.clone()).is_none() {
            continue;
        }
        let report = report.expect("a JSON report");
        assert_eq!(
            report.snippets[0].status,
            Status::Pass,
            "{mode:?}: {printed}"
        );
        assert!(!marker.exists(), "{mode:?}: the planted rustc-wrapper ran");
    }
    // The control: cargo started in that folder does apply it.
    let control = Command::new("cargo")
        .current_dir(dir.path())
        .args(["check", "--offline", "--quiet", "--manifest-path"])
        .arg(at("sandbox/ws/Cargo.toml"))
        .arg("--target-dir")
        .arg(at("control-target"))
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("cargo starts");
    assert!(
        control.status.success(),
        "{}",
        String::from_utf8_lossy(&control.stderr)
    );
    assert!(
        marker.exists(),
        "the planted wrapper applies to a cargo started below it"
    );
}

/// The processes whose command line mentions `text`.
fn processes_mentioning(text: &str) -> Vec<i32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(text))
        })
        .collect()
}
