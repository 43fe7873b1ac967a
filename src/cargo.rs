//! The only module that starts cargo, rustc or rustfmt, and the only one that knows their flags.
//!
//! Every command gets the same scrubbed environment (the toolchain chosen with
//! `RUSTUP_TOOLCHAIN`, no inherited target dir or flags), and every error keeps
//! the exact command line that failed. Build output is streamed: stdout is read
//! line by line as cargo JSON messages, stderr on a thread of its own.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use cargo_metadata::Message;

use crate::confine::{Access, Confinement};
use crate::error::{Error, Result};

/// The working folder of cargo: cargo reads `.cargo/config.toml` in every
/// folder above the one it runs in, so it runs in `/`, and only the
/// machine's (`/.cargo`) and the user's (`$CARGO_HOME`) configuration apply.
const NEUTRAL_CWD: &str = "/";

/// The environment a cargo or rustc process gets: only what finding the
/// toolchain, the registry and a network proxy needs. Everything else (CI
/// secrets, `RUSTFLAGS`, a parent cargo's target dir or jobserver) is dropped,
/// so build scripts and proc macros of the snippets' dependencies never see it.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_DIST_SERVER",
    "RUSTUP_UPDATE_ROOT",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LC_ALL",
    "TZ",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CARGO_HTTP_CAINFO",
    "CARGO_HTTP_PROXY",
    "CARGO_HTTP_TIMEOUT",
    "CARGO_NET_RETRY",
    "CARGO_NET_OFFLINE",
    "CARGO_NET_GIT_FETCH_WITH_CLI",
    "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
    "CARGO_BUILD_JOBS",
    // A compilation cache shared between runs and machines (sccache): the
    // wrapper, however it is named, and its settings (see `KEPT_PREFIXES`).
    "RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
];

/// Families of variables kept whole: sccache's settings (`SCCACHE_DIR`,
/// `SCCACHE_BUCKET`, `SCCACHE_REGION`, `SCCACHE_ENDPOINT`, ...), but for those
/// that carry credentials (see `SECRET_MARKERS`).
const KEPT_PREFIXES: &[&str] = &["SCCACHE_"];

/// Parts of a kept family's names that mark a credential: such variables stay
/// with the sccache server, started before snipcheck with the full environment
/// (`sccache --start-server`), and never reach a build script.
const SECRET_MARKERS: &[&str] = &[
    "PASSWORD",
    "TOKEN",
    "SECRET",
    "CREDENTIAL",
    "CONNECTION_STRING",
    "REDIS",
    "ACCESS_KEY",
];

/// Whether a variable of the parent's environment reaches cargo and rustc.
fn kept(name: &str) -> bool {
    KEPT_ENV.contains(&name)
        || (KEPT_PREFIXES.iter().any(|p| name.starts_with(p))
            && !SECRET_MARKERS.iter().any(|m| name.contains(m)))
}

/// Kept variables whose value is a proxy address, which curl (and so cargo)
/// also reads without a scheme (`user:secret@proxy:3128`).
const PROXY_ENV: &[&str] = &[
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "CARGO_HTTP_PROXY",
];

/// The value a kept variable reaches a build with: a URL's user and password
/// removed (`scheme://user:pass@host/path` → `scheme://host/path`), so a
/// proxy's or a cache's credentials never reach a build script. Any value
/// with `://` is read as a URL, a proxy variable's value also without one;
/// every other value passes unchanged.
fn without_credentials<'v>(name: &str, value: &'v str) -> std::borrow::Cow<'v, str> {
    let authority_start = match value.find("://") {
        Some(scheme_end) => scheme_end + 3,
        None if PROXY_ENV.contains(&name) => 0,
        None => return std::borrow::Cow::Borrowed(value),
    };
    let rest = &value[authority_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            std::borrow::Cow::Owned(format!("{}{}", &value[..authority_start], &rest[at + 1..]))
        }
        None => std::borrow::Cow::Borrowed(value),
    }
}

/// How many trailing stderr lines of a build are kept for error messages.
const STDERR_TAIL: usize = 60;

fn command(program: &str, toolchain: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    scrub(&mut cmd, toolchain);
    cmd
}

fn scrub(cmd: &mut Command, toolchain: Option<&str>) {
    cmd.env_clear();
    for (name, value) in std::env::vars_os() {
        let Some(kept_name) = name.to_str().filter(|name| kept(name)) else {
            continue;
        };
        match value.to_str() {
            Some(text) => cmd.env(kept_name, without_credentials(kept_name, text).as_ref()),
            None => cmd.env(kept_name, value),
        };
    }
    cmd.env("CARGO_TERM_COLOR", "never");
    if let Some(toolchain) = toolchain {
        cmd.env("RUSTUP_TOOLCHAIN", toolchain);
    }
}

/// The command line as a user would type it, for messages.
pub fn display(cmd: &Command) -> String {
    let mut out = String::new();
    if let Some((_, Some(toolchain))) = cmd.get_envs().find(|(k, _)| *k == "RUSTUP_TOOLCHAIN") {
        out.push_str(&format!(
            "RUSTUP_TOOLCHAIN={} ",
            toolchain.to_string_lossy()
        ));
    }
    out.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        out.push(' ');
        out.push_str(&arg.to_string_lossy());
    }
    out
}

fn output(
    cmd: Command,
    confine: &Confinement,
    access: &Access<'_>,
    limit: Limit,
) -> Result<Output> {
    let shown = display(&cmd);
    bounded_output(confine.command(cmd, access), None, limit).map_err(|source| Error::Spawn {
        command: shown,
        source,
    })
}

/// How long a helper process (not a build) may run: the per-process limit,
/// and the run's deadline through `interrupt::interrupted`.
pub type Limit = Option<std::time::Duration>;

/// Runs `cmd` to its end in a process group of its own, feeding it `input`
/// on stdin, and kills the group at `limit` or when the run is interrupted
/// (or its deadline passes): a lookup, a resolution or rustfmt cannot hold a
/// run any more than a build can.
fn bounded_output(mut cmd: Command, input: Option<&str>, limit: Limit) -> std::io::Result<Output> {
    use std::io::Write;
    cmd.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn()?;
    let stdin = child.stdin.take();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let timed_out = std::sync::atomic::AtomicBool::new(false);
    let pid = child.id();
    std::thread::scope(|scope| {
        let (finished, timed_out) = (&finished, &timed_out);
        scope.spawn(move || watchdog(pid, limit, finished, timed_out));
        // Written on a thread of its own, so a large input cannot fill both pipes.
        scope.spawn(move || {
            if let (Some(mut stdin), Some(input)) = (stdin, input) {
                // A process that exits early closes the pipe; its status says why.
                let _ = stdin.write_all(input.as_bytes());
            }
        });
        let out = child.wait_with_output();
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        out
    })
    .and_then(|out| {
        if timed_out.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "it ran past the time limit (--timeout) and was stopped",
            ));
        }
        Ok(out)
    })
}

/// `rustc -V` of a toolchain, or `None` when rustup says it is not installed.
pub fn rustc_version(
    toolchain: &str,
    confine: &Confinement,
    limit: Limit,
) -> Result<Option<String>> {
    let mut cmd = command("rustc", Some(toolchain));
    cmd.arg("-V");
    let shown = display(&cmd);
    let out = output(cmd, confine, &Access::Tool { cwd: None }, limit)?;
    if out.status.success() {
        return Ok(Some(
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
        ));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("is not installed") || stderr.contains("not installed") {
        return Ok(None);
    }
    Err(Error::CommandFailed {
        command: shown,
        stderr: stderr.trim().to_string(),
    })
}

/// `rustc --print sysroot` of `toolchain`: where its standard library and
/// documentation (`share/doc/rust/html`) are; `None` when it is not installed.
pub fn rustc_sysroot(
    toolchain: &str,
    confine: &Confinement,
    limit: Limit,
) -> Result<Option<PathBuf>> {
    let mut cmd = command("rustc", Some(toolchain));
    cmd.args(["--print", "sysroot"]);
    let shown = display(&cmd);
    let out = output(cmd, confine, &Access::Tool { cwd: None }, limit)?;
    if out.status.success() {
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        return Ok((!path.is_empty()).then(|| PathBuf::from(path)));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("not installed") {
        return Ok(None);
    }
    Err(Error::CommandFailed {
        command: shown,
        stderr: stderr.trim().to_string(),
    })
}

/// `cargo metadata` of the scratch workspace: resolves (and locks) its dependencies.
pub fn metadata(
    manifest_path: &Path,
    toolchain: &str,
    offline: bool,
    confine: &Confinement,
    limit: Limit,
) -> Result<cargo_metadata::Metadata> {
    let mut meta = cargo_metadata::MetadataCommand::new();
    meta.manifest_path(manifest_path);
    if offline {
        meta.other_options(vec!["--offline".to_string()]);
    }
    let mut cmd = meta.cargo_command();
    scrub(&mut cmd, Some(toolchain));
    let workspace = manifest_path.parent().unwrap_or(manifest_path);
    // Cargo reads configuration from the folders above its working folder:
    // from `/`, only the machine's and the user's own apply, never one
    // planted above the sandbox.
    cmd.current_dir(NEUTRAL_CWD);
    let shown = display(&cmd);
    let out = output(cmd, confine, &Access::Resolve { workspace }, limit)?;
    if !out.status.success() {
        return Err(Error::CommandFailed {
            command: shown,
            stderr: cargo_error_lines(&String::from_utf8_lossy(&out.stderr)),
        });
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    cargo_metadata::MetadataCommand::parse(stdout.as_ref()).map_err(|source| Error::CommandFailed {
        command: shown,
        stderr: format!("unreadable output: {source}"),
    })
}

/// `cargo fetch` of the scratch workspace: downloads what its lockfile names,
/// so that the confined build that follows needs no network. Runs no
/// dependency code.
pub fn fetch(
    workspace_dir: &Path,
    toolchain: &str,
    confine: &Confinement,
    limit: Limit,
) -> Result<()> {
    let mut cmd = command("cargo", Some(toolchain));
    cmd.args(["fetch", "--color", "never", "--manifest-path"])
        .arg(workspace_dir.join("Cargo.toml"))
        .current_dir(NEUTRAL_CWD);
    let shown = display(&cmd);
    let access = Access::Resolve {
        workspace: workspace_dir,
    };
    let out = output(cmd, confine, &access, limit)?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::CommandFailed {
        command: shown,
        stderr: cargo_error_lines(&String::from_utf8_lossy(&out.stderr)),
    })
}

/// What rustfmt made of one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RustfmtOutput {
    /// The input parsed and `stdout` holds it formatted.
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// `rustfmt --edition EDITION --emit stdout` of the toolchain, on `input`
/// (given on stdin), run in `cwd` (where rustfmt looks for its configuration).
/// Nothing is written to disk.
pub fn rustfmt(
    toolchain: &str,
    edition: &str,
    input: &str,
    cwd: &Path,
    confine: &Confinement,
    limit: Limit,
) -> Result<RustfmtOutput> {
    let mut cmd = command("rustfmt", Some(toolchain));
    cmd.args(["--edition", edition, "--emit", "stdout"])
        .current_dir(cwd);
    let shown = display(&cmd);
    let cmd = confine.command(cmd, &Access::Tool { cwd: Some(cwd) });
    let out = bounded_output(cmd, Some(input), limit).map_err(|source| Error::Spawn {
        command: shown,
        source,
    })?;
    Ok(RustfmtOutput {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// Keeps the `error:` part of cargo's stderr (and what follows it), which is what
/// a user needs; drops the `Updating`/`Locking` chatter.
pub fn cargo_error_lines(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    match lines.iter().position(|l| l.starts_with("error")) {
        Some(start) => lines[start..].join("\n").trim().to_string(),
        None => stderr.trim().to_string(),
    }
}

/// What one build produced.
#[derive(Debug)]
pub struct BuildOutput {
    /// The command line, as a user would type it.
    pub command: String,
    pub success: bool,
    pub messages: Vec<Message>,
    /// The last lines cargo wrote to stderr (build-script failures land there).
    pub stderr_tail: Vec<String>,
    /// The build was stopped at its time limit.
    pub timed_out: bool,
    /// The build was stopped because the run was interrupted.
    pub interrupted: bool,
}

/// Options of one clippy run over the scratch workspace.
#[derive(Debug, Clone)]
pub struct ClippyRun<'a> {
    pub workspace_dir: &'a Path,
    pub target_dir: &'a Path,
    pub toolchain: &'a str,
    pub offline: bool,
    /// Kill the build (its whole process group) after this long.
    pub timeout: Option<std::time::Duration>,
    pub confine: &'a Confinement,
    /// Run clippy; `false` for a toolchain without it: `cargo check`, the
    /// same build without clippy's lints.
    pub lints: bool,
}

/// Whether `toolchain` has clippy: `cargo clippy -V` runs.
pub fn has_clippy(toolchain: &str, confine: &Confinement, limit: Limit) -> Result<bool> {
    let mut cmd = command("cargo", Some(toolchain));
    cmd.args(["clippy", "-V"]);
    let out = output(cmd, confine, &Access::Tool { cwd: None }, limit)?;
    Ok(out.status.success())
}

/// Runs one `cargo clippy --workspace --all-targets --keep-going` over the whole
/// scratch workspace and streams its JSON messages to `on_message` as they come.
pub fn clippy(run: &ClippyRun<'_>, on_message: &mut dyn FnMut(&Message)) -> Result<BuildOutput> {
    let mut cmd = command("cargo", Some(run.toolchain));
    cmd.args([
        if run.lints { "clippy" } else { "check" },
        "--workspace",
        "--all-targets",
        "--keep-going",
        "--message-format=json",
    ]);
    // Confined builds never use the network: what they need was fetched
    // (`fetch`) before any dependency code could run.
    if run.offline || run.confine.is_confined() {
        cmd.arg("--offline");
    }
    // A confined cargo cannot read its control group's CPU quota (`/proc`
    // is closed), so it would start a job per CPU: snipcheck, which can,
    // says how many.
    if run.confine.is_confined()
        && std::env::var_os("CARGO_BUILD_JOBS").is_none()
        && let Ok(jobs) = std::thread::available_parallelism()
    {
        cmd.arg("--jobs").arg(jobs.to_string());
    }
    cmd.arg("--manifest-path")
        .arg(run.workspace_dir.join("Cargo.toml"))
        .current_dir(NEUTRAL_CWD)
        .env("CARGO_TARGET_DIR", run.target_dir);
    let shown = display(&cmd);
    // Confinement grants the target dir by its folder, which must exist.
    std::fs::create_dir_all(run.target_dir).map_err(|e| Error::io("create", run.target_dir, e))?;
    let access = Access::Build {
        workspace: run.workspace_dir,
        target: run.target_dir,
    };
    let mut cmd = run.confine.command(cmd, &access);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a time limit stops rustc and build scripts too.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let timed_out = std::sync::atomic::AtomicBool::new(false);
    let pid = child.id();
    let (messages, stderr_tail) = std::thread::scope(|scope| {
        let (finished, timed_out, limit) = (&finished, &timed_out, run.timeout);
        scope.spawn(move || watchdog(pid, limit, finished, timed_out));
        let stderr_thread = scope.spawn(move || stderr.map(read_tail).unwrap_or_default());
        let mut messages = Vec::new();
        if let Some(stdout) = stdout {
            for message in Message::parse_stream(BufReader::new(stdout)) {
                // A line that cannot be read ends the stream; anything cargo wrote
                // that is not JSON arrives as `TextLine` and is kept.
                let Ok(message) = message else { break };
                on_message(&message);
                messages.push(message);
            }
        }
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        let tail = stderr_thread.join().unwrap_or_default();
        (messages, tail)
    });
    let status = child.wait().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;
    Ok(BuildOutput {
        command: shown,
        success: status.success(),
        messages,
        stderr_tail: stderr_tail.into(),
        timed_out: timed_out.load(std::sync::atomic::Ordering::SeqCst),
        interrupted: crate::interrupt::interrupted(),
    })
}

/// Kills the process group `pid` leads once `limit` has passed or the run is
/// interrupted, unless the build finished first.
fn watchdog(
    pid: u32,
    limit: Option<std::time::Duration>,
    finished: &std::sync::atomic::AtomicBool,
    timed_out: &std::sync::atomic::AtomicBool,
) {
    use std::sync::atomic::Ordering;
    let start = std::time::Instant::now();
    loop {
        if finished.load(Ordering::SeqCst) {
            return;
        }
        if crate::interrupt::interrupted() {
            break;
        }
        if limit.is_some_and(|limit| start.elapsed() >= limit) {
            timed_out.store(true, Ordering::SeqCst);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    #[cfg(unix)]
    if let Ok(pid) = i32::try_from(pid) {
        // The group may already be gone; there is nothing more to do then.
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// The last [`STDERR_TAIL`] lines of a stream, after every earlier line that
/// says a compiler was stopped ([`is_stop_line`]) and every earlier report of
/// a failed build script (up to [`FAILURE_LINES`] lines of each, at most
/// [`FAILURES_KEPT`] reports), however long the stream: each says what one
/// dependency needed.
fn read_tail(stream: impl Read) -> VecDeque<String> {
    let mut kept: VecDeque<String> = VecDeque::new();
    let mut tail: VecDeque<(String, bool)> = VecDeque::with_capacity(STDERR_TAIL);
    let mut reports = 0;
    let mut report_lines = None;
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        if is_build_script_failure(&line) {
            reports += 1;
            report_lines = (reports <= FAILURES_KEPT).then_some(0);
        } else if ends_failure(&line) {
            report_lines = None;
        }
        let in_report = match &mut report_lines {
            Some(n) if *n < FAILURE_LINES => {
                *n += 1;
                true
            }
            _ => false,
        };
        if tail.len() == STDERR_TAIL
            && let Some((old, old_in_report)) = tail.pop_front()
            && (old_in_report || (is_stop_line(&old) && kept.len() < STDERR_TAIL))
        {
            kept.push_back(old);
        }
        tail.push_back((line, in_report));
    }
    kept.extend(tail.into_iter().map(|(line, _)| line));
    kept
}

/// How many lines of one failed build script's report are kept beyond the tail.
const FAILURE_LINES: usize = 80;
/// How many failed build scripts' reports are kept beyond the tail.
const FAILURES_KEPT: usize = 20;

/// Cargo's first line of a failed build script's report.
const BUILD_SCRIPT_FAILED: &str = "failed to run custom build command for `";

fn is_build_script_failure(line: &str) -> bool {
    line.starts_with("error") && line.contains(BUILD_SCRIPT_FAILED)
}

/// Whether a line of cargo's stderr ends a failed build script's report:
/// cargo's next message (`error`, `warning:`) or a status line (`   Compiling
/// x`, the verb right-aligned in 12 columns). The report's own lines are
/// indented by two, `Caused by:` excepted.
fn ends_failure(line: &str) -> bool {
    if line.starts_with("error") || line.starts_with("warning:") {
        return true;
    }
    let (Some(head), Some(' ')) = (
        line.get(..12),
        line.get(12..).and_then(|r| r.chars().next()),
    ) else {
        return false;
    };
    let verb = head.trim_start();
    head.starts_with("   ")
        && verb.len() < 12
        && verb.chars().next().is_some_and(char::is_uppercase)
        && verb.chars().all(char::is_alphabetic)
}

/// A dependency whose build failed, and what cargo reported of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDependency {
    /// The package's name (`prost-build`).
    pub package: String,
    /// Its version (`0.13.5`), when cargo said it.
    pub version: Option<String>,
    /// The report: cargo's framing and the build script's stdout and stderr.
    pub output: Vec<String>,
}

/// The build scripts a build's stderr says failed, each with its report. Pure.
pub fn build_script_failures(stderr: &[String]) -> Vec<FailedDependency> {
    let mut failures: Vec<FailedDependency> = Vec::new();
    let mut open = false;
    for line in stderr {
        if is_build_script_failure(line) {
            open = false;
            let Some(rest) = line.split(BUILD_SCRIPT_FAILED).nth(1) else {
                continue;
            };
            let named = rest.split('`').next().unwrap_or(rest);
            let mut words = named.split_whitespace();
            let Some(package) = words.next() else {
                continue;
            };
            let version = words.next().map(|v| v.trim_start_matches('v').to_string());
            failures.push(FailedDependency {
                package: package.to_string(),
                version,
                output: vec![line.clone()],
            });
            open = true;
        } else if ends_failure(line) {
            open = false;
        } else if open && let Some(failure) = failures.last_mut() {
            failure.output.push(line.clone());
        }
    }
    failures
}

/// Whether a line of cargo's stderr says that a compiler process ended by a
/// signal, or that it could not allocate memory.
fn is_stop_line(line: &str) -> bool {
    (line.contains("process didn't exit successfully") && line.contains("(signal: "))
        || line.starts_with("memory allocation of")
}

/// A compiler process that a signal ended (the memory cap makes rustc abort).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoppedCompiler {
    /// The `--crate-name` it compiled.
    pub crate_name: String,
    /// `signal: 6, SIGABRT: process abort signal`.
    pub signal: String,
    /// rustc said it could not allocate memory: the memory cap stopped it.
    pub out_of_memory: bool,
}

/// The compilers a build's stderr says were ended by a signal. Pure.
pub fn stopped_compilers(stderr: &[String]) -> Vec<StoppedCompiler> {
    let out_of_memory = stderr
        .iter()
        .any(|l| l.starts_with("memory allocation of") || l.contains("LLVM ERROR: out of memory"));
    let mut stopped = Vec::new();
    for line in stderr {
        if !line.contains("process didn't exit successfully") {
            continue;
        }
        let Some(signal) = line
            .rsplit_once("(signal: ")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
        else {
            continue;
        };
        let Some(crate_name) = line
            .split_once(" --crate-name ")
            .and_then(|(_, rest)| rest.split_whitespace().next())
        else {
            continue;
        };
        stopped.push(StoppedCompiler {
            crate_name: crate_name.to_string(),
            signal: format!("signal: {signal}"),
            out_of_memory: out_of_memory && signal.contains("SIGABRT"),
        });
    }
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_with_their_toolchain() {
        let mut cmd = command("cargo", Some("nightly"));
        cmd.args(["clippy", "--workspace"]);
        assert_eq!(
            display(&cmd),
            "RUSTUP_TOOLCHAIN=nightly cargo clippy --workspace"
        );
    }

    #[test]
    fn secrets_never_reach_a_build() {
        let cmd = command("cargo", Some("stable"));
        let passed: Vec<String> = cmd
            .get_envs()
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| name.to_string_lossy().into_owned())
            .collect();
        for name in &passed {
            assert!(
                kept(name) || name == "CARGO_TERM_COLOR" || name == "RUSTUP_TOOLCHAIN",
                "{name}"
            );
        }
        for secret in [
            "GITHUB_TOKEN",
            "CARGO_REGISTRY_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "RUSTFLAGS",
            "CARGO_TARGET_DIR",
            "SCCACHE_REDIS",
            "SCCACHE_REDIS_PASSWORD",
            "SCCACHE_AZURE_CONNECTION_STRING",
            "SCCACHE_WEBDAV_TOKEN",
            "SCCACHE_WEBDAV_PASSWORD",
            "SCCACHE_S3_ACCESS_KEY_ID",
            "SCCACHE_GCS_CREDENTIALS_URL",
        ] {
            assert!(!kept(secret), "{secret}");
        }
    }

    #[test]
    fn kept_urls_lose_their_credentials() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "HTTPS_PROXY",
                "http://user:secret@proxy:3128",
                "http://proxy:3128",
            ),
            (
                "https_proxy",
                "http://user:secret@proxy:3128/",
                "http://proxy:3128/",
            ),
            (
                "ALL_PROXY",
                "socks5h://u@proxy:1080",
                "socks5h://proxy:1080",
            ),
            ("HTTP_PROXY", "user:secret@proxy:3128", "proxy:3128"),
            (
                "CARGO_HTTP_PROXY",
                "http://a:b@c@proxy:8080",
                "http://proxy:8080",
            ),
            ("CARGO_HTTP_PROXY", "proxy.corp:8080", "proxy.corp:8080"),
            ("HTTPS_PROXY", "http://proxy:3128", "http://proxy:3128"),
            (
                "SCCACHE_ENDPOINT",
                "https://key:secret@s3.example.com/bucket?x=a@b",
                "https://s3.example.com/bucket?x=a@b",
            ),
            (
                "RUSTUP_DIST_SERVER",
                "https://me:pw@mirror.example/rustup",
                "https://mirror.example/rustup",
            ),
            (
                "RUSTUP_DIST_SERVER",
                "https://static.rust-lang.org",
                "https://static.rust-lang.org",
            ),
            (
                "NO_PROXY",
                "localhost,.corp,10.0.0.0/8",
                "localhost,.corp,10.0.0.0/8",
            ),
            ("SCCACHE_DIR", "/var/cache/me@corp", "/var/cache/me@corp"),
            ("USER", "me@corp", "me@corp"),
            ("HOME", "/u/a:b@c", "/u/a:b@c"),
            ("PATH", "/usr/bin:/bin", "/usr/bin:/bin"),
        ];
        for (name, value, expected) in cases {
            assert_eq!(
                without_credentials(name, value),
                *expected,
                "{name}={value}"
            );
        }
    }

    #[test]
    fn a_compilation_cache_reaches_the_builds() {
        for name in [
            "RUSTC_WRAPPER",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "SCCACHE_DIR",
            "SCCACHE_BUCKET",
            "SCCACHE_REGION",
            "SCCACHE_ENDPOINT",
            "SCCACHE_S3_KEY_PREFIX",
            "SCCACHE_CACHE_SIZE",
            "SCCACHE_SERVER_PORT",
            "SCCACHE_GHA_ENABLED",
        ] {
            assert!(kept(name), "{name}");
        }
    }

    #[test]
    fn a_helper_process_past_its_limit_is_stopped_and_says_so() {
        let started = std::time::Instant::now();
        let mut slow = Command::new("sleep");
        slow.arg("30");
        let limit = Some(std::time::Duration::from_millis(200));
        let error = bounded_output(slow, None, limit).expect_err("stopped");
        assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        let mut quick = Command::new("true");
        quick.arg("--version");
        assert!(bounded_output(quick, None, limit).is_ok());
    }

    #[test]
    fn compilers_stopped_by_a_signal_are_named_with_their_crate() {
        let line = |name: &str, signal: &str| {
            format!(
                "  process didn't exit successfully: `/t/bin/clippy-driver /t/bin/rustc --crate-name {name} --edition=2024 src/lib.rs` ({signal})"
            )
        };
        let killed = vec![line("snip_a", "signal: 9, SIGKILL: kill")];
        assert_eq!(
            stopped_compilers(&killed),
            [StoppedCompiler {
                crate_name: "snip_a".into(),
                signal: "signal: 9, SIGKILL: kill".into(),
                out_of_memory: false,
            }]
        );
        let capped = vec![
            "memory allocation of 134217728 bytes failed".to_string(),
            line("snip_b", "signal: 6, SIGABRT: process abort signal"),
        ];
        assert!(stopped_compilers(&capped)[0].out_of_memory);
        // An ordinary failure (exit status) is no stop.
        let failed = vec![
            "  process didn't exit successfully: `rustc --crate-name x` (exit status: 1)"
                .to_string(),
        ];
        assert!(stopped_compilers(&failed).is_empty());
        // However long the output, the lines that say so are kept.
        let mut long: Vec<String> = capped.clone();
        long.extend((0..500).map(|n| format!("noise {n}")));
        let tail: Vec<String> = read_tail(long.join("\n").as_bytes()).into();
        assert_eq!(stopped_compilers(&tail).len(), 1);
        assert!(stopped_compilers(&tail)[0].out_of_memory);
    }

    /// Cargo's stderr with failed build scripts (written for this test after
    /// cargo's framing): each report, up to cargo's next message or status
    /// line, kept however much follows.
    #[test]
    fn failed_build_scripts_and_their_reports() {
        let stderr: Vec<String> = [
            "   Compiling frob-sys v0.2.0",
            "error: failed to run custom build command for `frob-sys v0.2.0`",
            "",
            "Caused by:",
            "  process didn't exit successfully: `/t/build-script-build` (exit status: 101)",
            "  --- stderr",
            "  Could not find `protoc`.",
            "warning: build failed, waiting for other jobs to finish...",
            "error: failed to run custom build command for `local v0.1.0 (/src/local)`",
            "  --- stderr",
            "  no chip selected",
            "    Checking serde v1.0.0",
            "  not part of any report",
        ]
        .iter()
        .map(|l| l.to_string())
        .collect();
        let failures = build_script_failures(&stderr);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert_eq!(failures[0].package, "frob-sys");
        assert_eq!(failures[0].version.as_deref(), Some("0.2.0"));
        assert_eq!(failures[0].output.len(), 6, "{:?}", failures[0].output);
        assert_eq!(
            failures[0].output.last().map(String::as_str),
            Some("  Could not find `protoc`.")
        );
        assert_eq!(failures[1].package, "local");
        assert_eq!(failures[1].version.as_deref(), Some("0.1.0"));
        assert_eq!(failures[1].output.len(), 3, "{:?}", failures[1].output);
        // However long the output after them, the reports are kept.
        let mut long = stderr.clone();
        long.extend((0..500).map(|n| format!("   Compiling noise{n} v1.0.0")));
        let tail: Vec<String> = read_tail(long.join("\n").as_bytes()).into();
        assert_eq!(build_script_failures(&tail), failures);
        assert!(!tail.iter().any(|l| l.contains("not part of any report")));
    }

    #[test]
    fn cargo_errors_drop_the_chatter() {
        let stderr = "    Updating crates.io index\n     Locking 3 packages\nerror: failed to select a version\n  required by x\n";
        assert_eq!(
            cargo_error_lines(stderr),
            "error: failed to select a version\n  required by x"
        );
    }
}
