//! Error types of the environment-facing stages, and the exit codes.
//!
//! Bad input is never an error here: it becomes a per-snippet status or a run
//! problem in the report. These errors are for the environment: no cargo, an
//! unwritable sandbox, a cargo that cannot be started.

use std::path::PathBuf;

/// Exit codes of `snipcheck` and `cargo xtask verify`.
pub mod exit {
    /// Every checked example passed (or only warned).
    pub const OK: i32 = 0;
    /// At least one example failed.
    pub const FAILED: i32 = 1;
    /// The command line or configuration is wrong, or an input the user gave
    /// is missing, unreadable or invalid (a run problem of kind `input`).
    pub const USAGE: i32 = 2;
    /// The environment stopped the run: no cargo, an unusable sandbox. What the
    /// run went on without (a run problem of kind `environment`) leaves the
    /// code to the examples.
    pub const ENVIRONMENT: i32 = 3;
    /// Ctrl-C or SIGTERM stopped the run; the reports written are partial.
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to {action} `{path}`")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to run `{command}`")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed: {stderr}")]
    CommandFailed { command: String, stderr: String },
    #[error(
        "refusing to use `{path}` as a sandbox: it holds files that snipcheck did not create (no `{marker}` marker); point --sandbox at an empty or new folder"
    )]
    ForeignSandbox { path: PathBuf, marker: &'static str },
    #[error(transparent)]
    Unconfinable(#[from] crate::confine::Unavailable),
    #[error("failed to serialize {what}")]
    Serialize {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// A process stopped at its time limit (`--timeout`).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Spawn { source, .. } if source.kind() == std::io::ErrorKind::TimedOut)
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
