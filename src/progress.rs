//! Progress events: what a run tells its observer while it works.
//!
//! The pipeline and the build executor only emit events; whether and how they
//! are shown (a progress bar on a terminal, nothing in CI or under tests) is
//! decided at the edge, which passes an observer in (cargo-nextest's split of
//! runner and reporter).

/// What a cargo build is for, as a person reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The build that gives every example its verdict.
    Checking,
    /// Variant and repair builds that find causes and prove fixes.
    Diagnosing,
}

/// One thing that happened during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A cargo build starts; about `units` crates will be compiled (dependencies included).
    BuildStarted {
        toolchain: String,
        purpose: Purpose,
        units: usize,
    },
    /// cargo finished compiling one crate: a scratch crate by its example's
    /// `document:line`, a dependency by its name.
    UnitBuilt { name: String },
    /// The build that started last has ended.
    BuildFinished,
    /// Another snipcheck run holds the sandbox; this one waits for it.
    WaitingForSandbox { sandbox: std::path::PathBuf },
}

/// Receives a run's events. It is called on the pipeline's thread and should be cheap.
pub type Observer<'a> = &'a (dyn Fn(Event) + Sync);

/// An observer that shows nothing.
pub fn silent(_: Event) {}
