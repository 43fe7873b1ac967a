//! Whether the user interrupted the run (Ctrl-C, SIGTERM): a flag the edge
//! sets from its signal handler and every stage reads, so running builds are
//! stopped and no new stage starts.

/// Set when the user interrupts the run (Ctrl-C, SIGTERM): running builds are
/// stopped and no new stage starts.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks every running build to stop. Safe to call from a signal handler thread.
pub fn interrupt() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Whether the run was interrupted.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}
