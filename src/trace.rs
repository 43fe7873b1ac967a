//! Where a run's time goes: wall time per phase, and snipcheck's own CPU time
//! and peak memory (not its cargo and rustc children's).
//!
//! Speed claims need a profile, not a guess: with `SNIPCHECK_TRACE=FILE` the
//! run writes one JSON object to FILE when it ends (`cargo xtask bench` reads
//! it). Phases are recorded process-wide, so no stage has to carry a recorder;
//! without the variable recording is a few pushes into a vector.

use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

/// The environment variable that names the trace file.
pub const ENV: &str = "SNIPCHECK_TRACE";

/// One timed phase.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// What ran, e.g. `ws: clippy` or `registry`.
    pub name: String,
    pub seconds: f64,
    /// Crates built, lookups made... when the phase counts something.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
}

/// What the trace file holds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Wall time from the first recorded phase's start to the end of the run.
    pub wall_seconds: f64,
    /// snipcheck's own user + system CPU time (children excluded).
    pub self_cpu_seconds: Option<f64>,
    /// snipcheck's own peak resident set, in KiB (children excluded).
    pub self_max_rss_kib: Option<u64>,
    pub phases: Vec<Phase>,
}

static STATE: Mutex<Option<(Instant, Vec<Phase>)>> = Mutex::new(None);

fn with_state<T>(f: impl FnOnce(&mut (Instant, Vec<Phase>)) -> T) -> T {
    // A poisoned lock only means a panic elsewhere; the trace is still usable.
    let mut guard = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let state = guard.get_or_insert_with(|| (Instant::now(), Vec::new()));
    f(state)
}

/// Starts the run's clock (the first phase would otherwise start it).
pub fn start() {
    with_state(|_| ());
}

/// A phase that is recorded when the guard is dropped (or [`Span::done`]).
#[derive(Debug)]
#[must_use = "a span records its phase when dropped"]
pub struct Span {
    name: String,
    started: Instant,
    items: Option<usize>,
}

/// Times a phase from now until the returned guard is dropped.
pub fn span(name: impl Into<String>) -> Span {
    start();
    Span {
        name: name.into(),
        started: Instant::now(),
        items: None,
    }
}

impl Span {
    /// Says how many things the phase handled.
    pub fn items(mut self, n: usize) -> Span {
        self.items = Some(n);
        self
    }

    /// Ends the phase now.
    pub fn done(self) {}
}

impl Drop for Span {
    fn drop(&mut self) {
        let phase = Phase {
            name: std::mem::take(&mut self.name),
            seconds: self.started.elapsed().as_secs_f64(),
            items: self.items,
        };
        with_state(|(_, phases)| phases.push(phase));
    }
}

/// The phases so far, snipcheck's own CPU time and peak memory.
pub fn summary() -> Summary {
    let (started, phases) = with_state(|(started, phases)| (*started, phases.clone()));
    let (cpu, rss) = own_usage();
    Summary {
        wall_seconds: started.elapsed().as_secs_f64(),
        self_cpu_seconds: cpu,
        self_max_rss_kib: rss,
        phases,
    }
}

#[cfg(unix)]
fn own_usage() -> (Option<f64>, Option<u64>) {
    use nix::sys::resource::{UsageWho, getrusage};
    let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
        return (None, None);
    };
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    let cpu = seconds(usage.user_time()) + seconds(usage.system_time());
    // Linux and the BSDs report KiB; macOS reports bytes.
    let rss = u64::try_from(usage.max_rss()).ok().map(|v| {
        if cfg!(target_os = "macos") {
            v / 1024
        } else {
            v
        }
    });
    (Some(cpu), rss)
}

#[cfg(not(unix))]
fn own_usage() -> (Option<f64>, Option<u64>) {
    (None, None)
}

/// Writes the summary to the file `SNIPCHECK_TRACE` names, if it is set.
/// A trace that cannot be written is reported on stderr: it is a measuring aid,
/// never a reason for the run to fail.
pub fn write_if_requested() {
    let Some(path) = std::env::var_os(ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    let text = match serde_json::to_string_pretty(&summary()) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("warning: could not serialize the trace: {error}");
            return;
        }
    };
    if let Err(error) =
        crate::fsutil::write_atomic(std::path::Path::new(&path), (text + "\n").as_bytes())
    {
        eprintln!(
            "warning: could not write the trace to `{}`: {error}",
            std::path::Path::new(&path).display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_recorded_with_their_counts() {
        span("unit-test phase").items(3).done();
        let summary = summary();
        let phase = summary
            .phases
            .iter()
            .find(|p| p.name == "unit-test phase")
            .expect("recorded");
        assert_eq!(phase.items, Some(3));
        assert!(phase.seconds >= 0.0);
        #[cfg(unix)]
        assert!(summary.self_max_rss_kib.is_some_and(|kib| kib > 0));
    }
}
