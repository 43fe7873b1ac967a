//! Which `Cargo.lock` the run's scratch workspaces start from: the committed
//! lockfile, a fresh resolution of every example's dependencies (`--latest`,
//! or when the lockfile is written), or what the sandbox holds; and the
//! report's account of it.

use std::path::PathBuf;

use crate::cache::Key;
use crate::executor::{Executor, LockSeed};
use crate::lockfile::{self, LockMode, Lockfile};
use crate::log::Log;
use crate::prepare::Unit;
use crate::primary::dependency_crates;
use crate::report::{LockfileSummary, RunProblem};

/// The workspace where every snippet's dependencies are resolved together
/// (`--latest`, or writing the lockfile).
const RESOLVE_WORKSPACE: &str = "resolve";

/// What the run asks of the lockfile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockRequest<'a> {
    /// The committed lockfile's path, when the run has one.
    pub path: Option<&'a PathBuf>,
    /// Resolve the newest releases instead of the lockfile's versions.
    pub latest: bool,
    /// Resolve every snippet's dependencies and return the lockfile to write.
    pub write: bool,
}

/// The lock the run's workspaces start from, and what the report says of it.
#[derive(Debug)]
pub struct Settled {
    pub seed: LockSeed,
    pub summary: Option<LockfileSummary>,
    /// With `write`: the lockfile of this run's resolution.
    pub lockfile: Option<String>,
    pub log: Log,
}

/// The committed lockfile, read and parsed: `Err` with the problem when it
/// cannot be read or parsed (the run then resolves without it); `Ok(None)`
/// when the run has none.
pub fn read_lockfile(path: Option<&PathBuf>) -> Result<Option<(String, Lockfile)>, RunProblem> {
    let Some(path) = path else {
        return Ok(None);
    };
    let subject = Some(path.display().to_string());
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            let message = format!("cannot read the lockfile: {error}; resolving without it");
            return Err(RunProblem::input(subject, message));
        }
    };
    match Lockfile::parse(&text) {
        Ok(lock) => Ok(Some((text, lock))),
        Err(error) => Err(RunProblem::input(
            subject,
            format!("{error}; resolving without it"),
        )),
    }
}

/// Decides the `Cargo.lock` every workspace of the run starts from and, when
/// the run resolves afresh (`latest`) or writes the lockfile, resolves every
/// snippet's dependencies once in a workspace of their own (one member per
/// distinct dependency set).
pub fn settle(
    executor: &Executor<'_>,
    request: LockRequest<'_>,
    units: &[Unit<'_>],
    committed: Option<&(String, Lockfile)>,
    toolchain: Option<&str>,
) -> Settled {
    let seed = match (committed, request.latest) {
        (_, true) => LockSeed::Fresh,
        (Some((text, _)), false) => LockSeed::Seed(text.clone()),
        (None, false) => LockSeed::Keep,
    };
    let mut settled = Settled {
        seed,
        summary: summary(request, units, committed),
        lockfile: None,
        log: Log::default(),
    };
    let Some(toolchain) = toolchain else {
        return settled;
    };
    if !(request.latest || request.write) || crate::interrupt::interrupted() {
        return settled;
    }
    let crates = dependency_crates(units.iter().map(|u| (u.deps.deps.as_slice(), false)));
    let resolved = if crates.is_empty() {
        // Nothing to resolve: a lockfile of no packages.
        lockfile::registry_only("version = 4\n").ok()
    } else {
        // A workspace that cannot be written or resolved leaves the lockfile as it is.
        match executor.resolve(RESOLVE_WORKSPACE, toolchain, crates, &settled.seed) {
            Ok(resolution) => {
                settled.log.extend(resolution.log);
                if settled.log.lock_abandoned {
                    settled.seed = LockSeed::Keep;
                }
                resolution
                    .metadata
                    .is_some()
                    .then(|| executor.read_lock(&resolution.written))
                    .flatten()
                    .and_then(|text| lockfile::registry_only(&text).ok())
            }
            Err(_) => None,
        }
    };
    let Some(text) = resolved else {
        settled.log.problems.push(RunProblem::environment(request.path.map(|p| p.display().to_string()), "cargo could not resolve the examples' dependencies together; the lockfile was not updated".to_string()));
        return settled;
    };
    if request.latest {
        settled.seed = LockSeed::Seed(text.clone());
    }
    if let (Some(summary), Some((_, lock)), Ok(now)) =
        (&mut settled.summary, committed, Lockfile::parse(&text))
    {
        summary.moved = lock.moves_to(&now);
    }
    settled.lockfile = request.write.then_some(text);
    settled
}

/// The report's account of the lockfile, before any resolution.
fn summary(
    request: LockRequest<'_>,
    units: &[Unit<'_>],
    committed: Option<&(String, Lockfile)>,
) -> Option<LockfileSummary> {
    let mut summary = request.path.map(|path| LockfileSummary {
        path: path.display().to_string(),
        mode: if request.latest {
            LockMode::Latest
        } else {
            LockMode::Locked
        },
        found: committed.is_some(),
        moved: Vec::new(),
        not_locked: Vec::new(),
        unusable: false,
    });
    if let (Some(summary), Some((_, lock)), false) = (&mut summary, committed, request.latest) {
        summary.not_locked = lock
            .missing(units.iter().flat_map(|u| &u.deps.deps))
            .into_iter()
            .collect();
    }
    summary
}

/// What the cache key says of the run's lock: results depend on the versions it holds.
pub fn lock_fingerprint(seed: &LockSeed) -> String {
    match seed {
        LockSeed::Keep => "sandbox".to_string(),
        LockSeed::Fresh => "fresh".to_string(),
        LockSeed::Seed(text) => Key::of(&[text]).as_str().to_string(),
    }
}
