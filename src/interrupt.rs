//! Whether the user interrupted the run (Ctrl-C, SIGTERM) or its deadline
//! passed (`--deadline`): a flag the edge sets from its signal handler, and a
//! time the pipeline sets at the start, which every stage and every process
//! watchdog reads, so running processes (builds, registry lookups,
//! resolutions, rustfmt) are stopped and no new stage starts.

/// Set when the user interrupts the run (Ctrl-C, SIGTERM): running builds are
/// stopped and no new stage starts.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks every running build to stop. Safe to call from a signal handler thread.
pub fn interrupt() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// When the run must end (`--deadline`): set once, at the start.
static DEADLINE: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Sets the run's deadline: past it, the run behaves as interrupted (every
/// running process is killed, no new stage starts, the report is partial).
pub fn set_deadline(at: std::time::Instant) {
    let _ = DEADLINE.set(at);
}

/// Whether the run's deadline has passed.
pub fn deadline_passed() -> bool {
    DEADLINE
        .get()
        .is_some_and(|at| std::time::Instant::now() >= *at)
}

/// Whether the run was interrupted, or its deadline passed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) || deadline_passed()
}
