//! The only module that starts cargo or rustc, and the only one that knows their flags.
//!
//! Every command gets the same scrubbed environment (the toolchain chosen with
//! `RUSTUP_TOOLCHAIN`, no inherited target dir or flags), and every error keeps
//! the exact command line that failed. Build output is streamed: stdout is read
//! line by line as cargo JSON messages, stderr on a thread of its own.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use cargo_metadata::Message;

use crate::error::{Error, Result};

/// Environment variables a parent cargo (or the user's shell) may set that would
/// change what the scratch builds do; they are removed from every command.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTUP_TOOLCHAIN",
    "CARGO",
    "RUSTC",
];

/// How many trailing stderr lines of a build are kept for error messages.
const STDERR_TAIL: usize = 60;

fn command(program: &str, toolchain: Option<&str>) -> Command {
    let mut cmd = Command::new(program);
    scrub(&mut cmd, toolchain);
    cmd
}

fn scrub(cmd: &mut Command, toolchain: Option<&str>) {
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
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

fn output(mut cmd: Command) -> Result<Output> {
    cmd.stdin(Stdio::null());
    cmd.output().map_err(|source| Error::Spawn {
        command: display(&cmd),
        source,
    })
}

/// `rustc -V` of a toolchain, or `None` when rustup says it is not installed.
pub fn rustc_version(toolchain: &str) -> Result<Option<String>> {
    let mut cmd = command("rustc", Some(toolchain));
    cmd.arg("-V");
    let shown = display(&cmd);
    let out = output(cmd)?;
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

/// `cargo info NAME`, run in `cwd` (a folder whose manifest has no dependencies,
/// so cargo reports the registry's newest release). `--verbose` makes cargo list
/// every feature instead of summarising long lists.
pub fn registry_info(name: &str, cwd: &Path, offline: bool) -> std::io::Result<Output> {
    let mut cmd = command("cargo", None);
    cmd.args(["info", "--verbose", "--color", "never", name])
        .current_dir(cwd)
        .stdin(Stdio::null());
    if offline {
        cmd.arg("--offline");
    }
    cmd.output()
}

/// `cargo metadata` of the scratch workspace: resolves (and locks) its dependencies.
pub fn metadata(
    manifest_path: &Path,
    toolchain: &str,
    offline: bool,
) -> Result<cargo_metadata::Metadata> {
    let mut meta = cargo_metadata::MetadataCommand::new();
    meta.manifest_path(manifest_path);
    if offline {
        meta.other_options(vec!["--offline".to_string()]);
    }
    let mut cmd = meta.cargo_command();
    scrub(&mut cmd, Some(toolchain));
    let shown = display(&cmd);
    let out = output(cmd)?;
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
}

/// Options of one clippy run over the scratch workspace.
#[derive(Debug, Clone)]
pub struct ClippyRun<'a> {
    pub workspace_dir: &'a Path,
    pub target_dir: &'a Path,
    pub toolchain: &'a str,
    pub offline: bool,
}

/// Runs one `cargo clippy --workspace --all-targets --keep-going` over the whole
/// scratch workspace and streams its JSON messages to `on_message` as they come.
pub fn clippy(run: &ClippyRun<'_>, on_message: &mut dyn FnMut(&Message)) -> Result<BuildOutput> {
    let mut cmd = command("cargo", Some(run.toolchain));
    cmd.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--keep-going",
        "--message-format=json",
    ]);
    if run.offline {
        cmd.arg("--offline");
    }
    cmd.current_dir(run.workspace_dir)
        .env("CARGO_TARGET_DIR", run.target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = display(&cmd);
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        command: shown.clone(),
        source,
    })?;
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    let (messages, stderr_tail) = std::thread::scope(|scope| {
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
    })
}

fn read_tail(stream: impl Read) -> VecDeque<String> {
    let mut tail = VecDeque::with_capacity(STDERR_TAIL);
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { break };
        if tail.len() == STDERR_TAIL {
            tail.pop_front();
        }
        tail.push_back(line);
    }
    tail
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
    fn cargo_errors_drop_the_chatter() {
        let stderr = "    Updating crates.io index\n     Locking 3 packages\nerror: failed to select a version\n  required by x\n";
        assert_eq!(
            cargo_error_lines(stderr),
            "error: failed to select a version\n  required by x"
        );
    }
}
