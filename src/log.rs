//! What a stage of the run counted and met (processes started, problems),
//! handed back as data: stages never push into a shared bag; the pipeline
//! adds their logs up in the order they ran.

use std::collections::BTreeMap;

use crate::report::RunProblem;

/// What a step of the run counted and met, handed back as data.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Log {
    /// Processes started, by purpose (`build`, `metadata`, `registry`, `version`, `rustfmt`, ...).
    pub invocations: BTreeMap<String, u32>,
    pub problems: Vec<RunProblem>,
    /// cargo could not use the seeded lockfile and resolved afresh: later
    /// builds of the run keep the sandbox's resolution ([`LockSeed::Keep`]).
    pub lock_abandoned: bool,
}

impl Log {
    pub fn count(&mut self, purpose: &str, n: u32) {
        if n > 0 {
            *self.invocations.entry(purpose.to_string()).or_default() += n;
        }
    }

    pub fn problem(&mut self, problem: RunProblem) {
        self.problems.push(problem);
    }

    pub fn extend(&mut self, other: Log) {
        for (purpose, n) in other.invocations {
            *self.invocations.entry(purpose).or_default() += n;
        }
        self.problems.extend(other.problems);
        self.lock_abandoned |= other.lock_abandoned;
    }
}
