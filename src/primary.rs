//! The primary build of one toolchain: every snippet that is not cached, in
//! few large merged crates (see `plan.rs`) or alone, then the re-merge rounds.
//!
//! A merged crate with an error cannot stand: rustc stops before the lints
//! (and borrow checking) of the other modules. Its members with errors of
//! their own keep their result when nothing in it depends on their
//! neighbours (alone they get no lints either), or are rebuilt alone; the
//! others are merged again and checked again, for at most [`MERGE_ROUNDS`]
//! rounds, after which all stand alone. Every round is built in the primary
//! workspace beside an empty crate per dependency set of the primary build,
//! so cargo unifies features as it did there and rebuilds no dependency.
//!
//! Each round is plan → execute → absorb: [`plan_jobs`] and [`absorb_round`]
//! are pure and tested with recorded cargo output; only the executor builds.

use std::collections::{BTreeMap, BTreeSet};

use crate::cache::{FailureHints, Key, Outcome as CachedOutcome, ResultCache};
use crate::deps::DepSpec;
use crate::diagnose::UnitResult;
use crate::error::Result;
use crate::executor::{BuildOutcome, BuildPlan, Executor, Job, LockSeed, Member, Versions};
use crate::hash::short_hash;
use crate::plan;
use crate::prepare::{DocFacts, Unit};
use crate::sandbox::CrateFiles;
use crate::trace;
use crate::wrap::WrappedSource;

/// Rounds of re-merging the clean members of a merged crate that failed.
pub const MERGE_ROUNDS: usize = 3;

/// How the primary build is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merging {
    /// Compatible snippets share crates (see `plan.rs`).
    Merge,
    /// Every snippet is a crate of its own (`--no-merge`).
    Alone,
}

/// One toolchain's primary build, and which snippets had to be rebuilt alone.
#[derive(Debug)]
pub struct PrimaryBuild {
    pub outcome: BuildOutcome,
    /// Failure-hint keys of the snippets whose merged result could not stand.
    pub rebuilt_alone: BTreeSet<String>,
}

/// One toolchain's results: what was built now, and what the cache held.
#[derive(Debug)]
pub struct ToolchainBuild {
    pub toolchain: String,
    pub rustc: String,
    pub built: BuildOutcome,
    /// Entry id -> the cached result of a snippet whose inputs did not change.
    pub cached: BTreeMap<String, CachedOutcome>,
    /// Entry id -> its cache key on this toolchain.
    pub keys: BTreeMap<String, Key>,
}

/// What a toolchain's build reads besides the units.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub merging: Merging,
    /// Reuse the results of snippets whose inputs did not change.
    pub cache: Option<&'a ResultCache>,
    pub hints: &'a FailureHints,
    pub lock: &'a LockSeed,
    pub docs: &'a BTreeMap<String, DocFacts>,
    /// What the diagnosis is set up with (part of every cache key).
    pub diagnosis_setup: &'a str,
}

/// Checks every unit on one toolchain: the cached results, then one primary
/// build (with its re-merge rounds) of the others.
pub fn build_toolchain(
    executor: &Executor<'_>,
    units: &[Unit<'_>],
    (toolchain, rustc): (&str, &str),
    inputs: Inputs<'_>,
) -> Result<(ToolchainBuild, BTreeSet<String>)> {
    let span = trace::span("cache lookup");
    // A snippet built with a local crate is never cached: its result
    // depends on the crate's working tree, which no key covers.
    let keys: BTreeMap<String, Key> = units
        .iter()
        .filter(|u| u.deps.deps.iter().all(|d| d.path.is_none()))
        .map(|u| {
            let doc = inputs.docs.get(&u.entry.file);
            let key = u.cache_key(toolchain, rustc, doc, inputs.diagnosis_setup);
            (u.entry.id.clone(), key)
        })
        .collect();
    let cached: BTreeMap<String, CachedOutcome> = match inputs.cache {
        Some(cache) => keys
            .iter()
            .filter_map(|(id, key)| Some((id.clone(), cache.get(key)?)))
            .collect(),
        None => BTreeMap::new(),
    };
    let pending: Vec<Unit<'_>> = units
        .iter()
        .filter(|u| !cached.contains_key(&u.entry.id))
        .copied()
        .collect();
    span.done();
    let primary = build(
        executor,
        &pending,
        toolchain,
        inputs.merging,
        inputs.hints,
        inputs.lock,
    )?;
    let built = ToolchainBuild {
        toolchain: toolchain.to_string(),
        rustc: rustc.to_string(),
        built: primary.outcome,
        cached,
        keys,
    };
    Ok((built, primary.rebuilt_alone))
}

/// Records what failed to compile, for the next run's planner (see
/// `FailureHints`); `None` when the run was interrupted (its results are partial).
pub fn failure_hints(
    units: &[Unit<'_>],
    builds: &[ToolchainBuild],
) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    if crate::interrupt::interrupted() || builds.iter().any(|b| b.built.interrupted) {
        return None;
    }
    let mut built = BTreeSet::new();
    let mut failed = BTreeSet::new();
    for build in builds {
        for unit in units {
            let Some(result) = build.built.units.get(&unit.package()) else {
                continue;
            };
            let key = unit.hint_key();
            if has_errors(Some(result)) {
                failed.insert(key.clone());
            }
            built.insert(key);
        }
    }
    Some((built, failed))
}

/// Builds `pending` on `toolchain`, with the re-merge rounds.
pub fn build(
    executor: &Executor<'_>,
    pending: &[Unit<'_>],
    toolchain: &str,
    merging: Merging,
    hints: &FailureHints,
    lock: &LockSeed,
) -> Result<PrimaryBuild> {
    let span = trace::span("plan").items(pending.len());
    let all: Vec<usize> = (0..pending.len()).collect();
    let (jobs, groups) = plan_jobs(pending, &all, merging == Merging::Merge, hints);
    span.done();
    let mut plan = BuildPlan::primary(toolchain, jobs, lock);
    let mut built = executor.build(&plan)?;
    let kept = dependency_crates(
        plan.jobs
            .iter()
            .map(|j| (j.files.deps.as_slice(), j.files.tests)),
    );
    let mut rebuilt_alone = BTreeSet::new();
    let mut failed = failed_groups(groups, pending, &built);
    let mut round = 0;
    while !failed.is_empty() && !crate::interrupt::interrupted() {
        round += 1;
        let span = trace::span(format!("merge round {round}"));
        let step = absorb_round(pending, failed, &built, &plan.jobs, hints, round);
        rebuilt_alone.extend(step.rebuilt_alone.iter().map(|&i| pending[i].hint_key()));
        built
            .log
            .count("merged-errors-kept", crate::text::to_u32(step.kept.len()));
        built.units.extend(step.kept);
        plan = BuildPlan {
            jobs: step.jobs,
            kept: kept.clone(),
            versions: Versions::Skip,
            lock: if built.log.lock_abandoned {
                LockSeed::Keep
            } else {
                lock.clone()
            },
            ..plan
        };
        built.extend(executor.build(&plan)?);
        span.done();
        failed = failed_groups(step.regrouped, pending, &built);
    }
    Ok(PrimaryBuild {
        outcome: built,
        rebuilt_alone,
    })
}

/// What one re-merge round does with the failed crates of the last build.
#[derive(Debug, Default)]
pub struct Round {
    /// Members with errors whose merged result stands: package -> result.
    pub kept: Vec<(String, UnitResult)>,
    /// Members with errors rebuilt alone (indices into `pending`).
    pub rebuilt_alone: Vec<usize>,
    /// The crates of the next build.
    pub jobs: Vec<Job>,
    /// The merged groups of the next build (indices into `pending`).
    pub regrouped: Vec<Vec<usize>>,
}

/// Reads the failed merged groups of the last build (`last_jobs`, whose
/// outcome is `built`) and plans the next round: which members with errors
/// keep their result, which are rebuilt alone, and the clean members of every
/// failed crate pooled and merged again (alone after the last round). Members
/// a failed dependency kept from building keep their result.
pub fn absorb_round(
    pending: &[Unit<'_>],
    failed: Vec<Vec<usize>>,
    built: &BuildOutcome,
    last_jobs: &[Job],
    hints: &FailureHints,
    round: usize,
) -> Round {
    let mut step = Round::default();
    let mut clean_members = Vec::new();
    for members in failed {
        // A failed crate reports no artifact for anyone: what tells the
        // members apart is whose lines the errors are on.
        let (broken, clean): (Vec<usize>, Vec<usize>) = members
            .iter()
            .partition(|&&i| has_errors(built.units.get(&pending[i].package())));
        for &i in &broken {
            let unit = pending[i];
            let mut names = BTreeSet::new();
            for &j in members.iter().filter(|&&j| j != i) {
                names.extend(pending[j].snippet.syntax.defined_names.iter().cloned());
            }
            let key = unit.package();
            let merged = last_jobs
                .iter()
                .filter(|j| j.members.len() > 1)
                .flat_map(|j| &j.members)
                .find(|m| m.key == key)
                .map(|m| &m.wrapped);
            match merged.and_then(|m| merged_result_standing(built, m, unit, &names)) {
                Some(result) => step.kept.push((key, result)),
                None => {
                    step.rebuilt_alone.push(i);
                    step.jobs.push(primary_job(unit));
                }
            }
        }
        // Members a failed dependency kept from building: the merged
        // members share their dependencies, so alone or merged again they
        // would be kept from building the same way.
        for i in clean {
            let key = pending[i].package();
            match built.units.get(&key) {
                Some(result) if built.blocked.contains_key(&key) => {
                    step.kept.push((key, result.clone()));
                }
                _ => clean_members.push(i),
            }
        }
    }
    clean_members.sort_unstable();
    let (merged_again, regrouped) = plan_jobs(pending, &clean_members, round < MERGE_ROUNDS, hints);
    step.jobs.extend(merged_again);
    step.regrouped = regrouped;
    step
}

/// The crates of a primary build: snippets that may share a crate are merged
/// (see `plan.rs`), the others stand alone. Also returns each merged group, as
/// indices into `pending`.
pub fn plan_jobs(
    pending: &[Unit<'_>],
    among: &[usize],
    merge: bool,
    hints: &FailureHints,
) -> (Vec<Job>, Vec<Vec<usize>>) {
    let groups = if merge {
        merge_groups(pending, among, hints)
    } else {
        Vec::new()
    };
    let grouped: BTreeSet<usize> = groups.iter().flatten().copied().collect();
    let mut jobs: Vec<Job> = among
        .iter()
        .filter(|i| !grouped.contains(i))
        .map(|&i| primary_job(pending[i]))
        .collect();
    jobs.extend(
        groups
            .iter()
            .filter_map(|group| merged_job(group.iter().map(|&i| pending[i]))),
    );
    (jobs, groups)
}

/// Which of `among` (indices into `pending`) share a crate, and with whom.
/// Snippets that failed when last built share crates only with each other.
fn merge_groups(pending: &[Unit<'_>], among: &[usize], hints: &FailureHints) -> Vec<Vec<usize>> {
    let candidates: Vec<plan::Candidate> = among
        .iter()
        .filter_map(|&index| {
            let unit = pending[index];
            let hint = unit.hint_key();
            if !plan::mergeable(unit.snippet) || hints.built_alone_before(&hint) {
                return None;
            }
            let mut key = plan::group_key(unit.snippet, &unit.deps.deps);
            if hints.failed_before(&hint) {
                key.push_str("|failed before");
            }
            Some(plan::Candidate {
                index,
                key,
                exported_macros: unit.snippet.syntax.wrapped.exported_macros.clone()?,
            })
        })
        .collect();
    let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
    plan::groups(&candidates, parallelism).0
}

/// The crate of one snippet alone.
pub fn primary_job(unit: Unit<'_>) -> Job {
    let files = CrateFiles {
        package: unit.package(),
        edition: unit.snippet.edition,
        kind: unit.wrapped.kind,
        tests: unit.snippet.has_tests,
        source: unit.wrapped.text.clone(),
        deps: unit.deps.deps.clone(),
    };
    Job::single(
        files,
        unit.wrapped.clone(),
        unit.snippet.lines.clone(),
        unit.entry.file.clone(),
        unit.entry.block.fence_line,
    )
}

/// One crate holding several snippets as modules.
fn merged_job<'e>(members: impl Iterator<Item = Unit<'e>>) -> Option<Job> {
    let members: Vec<Unit<'e>> = members.collect();
    let first = members.first()?;
    let wrapped: Vec<&WrappedSource> = members.iter().map(|u| u.wrapped).collect();
    let merged = plan::merge(&wrapped);
    let ids: Vec<&str> = members.iter().map(|u| u.entry.id.as_str()).collect();
    let files = CrateFiles {
        package: format!(
            "snip-merged-{}",
            short_hash(
                ids.iter().flat_map(|id| [id.as_bytes(), b"\n".as_slice()]),
                6
            )
        ),
        edition: first.snippet.edition,
        kind: crate::wrap::CrateKind::Lib,
        tests: first.snippet.has_tests,
        source: merged.text.clone(),
        deps: first.deps.deps.clone(),
    };
    let members = members
        .iter()
        .zip(merged.members)
        .map(|(unit, wrapped)| Member {
            key: unit.package(),
            wrapped,
            lines: unit.snippet.lines.clone(),
            file: unit.entry.file.clone(),
            fence_line: unit.entry.block.fence_line,
        })
        .collect();
    Some(Job { files, members })
}

/// Whether a member has errors of its own (or ones no member owned).
pub fn has_errors(result: Option<&UnitResult>) -> bool {
    result.is_none_or(|r| {
        r.diagnostics
            .iter()
            .any(|d| d.level == "error" || d.in_wrapper)
    })
}

/// Whether a merged member's result cannot stand: an error, a diagnostic no
/// member owned, or nothing built.
fn merge_failed(result: Option<&UnitResult>) -> bool {
    result.is_none_or(|r| !r.built) || has_errors(result)
}

/// The merged groups whose crate failed, as indices into `pending`.
fn failed_groups(
    groups: Vec<Vec<usize>>,
    pending: &[Unit<'_>],
    built: &BuildOutcome,
) -> Vec<Vec<usize>> {
    groups
        .into_iter()
        .filter(|members| {
            members
                .iter()
                .any(|&i| merge_failed(built.units.get(&pending[i].package())))
        })
        .collect()
}

/// One empty crate per distinct dependency set (and whether its tests are
/// checked; none for crates without dependencies). Beside them, a build of any
/// subset of the snippets sees the same features as a build of all of them;
/// alone, they resolve every snippet's dependencies at once.
pub fn dependency_crates<'d>(
    sets: impl IntoIterator<Item = (&'d [DepSpec], bool)>,
) -> Vec<CrateFiles> {
    let mut crates: BTreeMap<String, CrateFiles> = BTreeMap::new();
    for (deps, tests) in sets.into_iter().filter(|(deps, _)| !deps.is_empty()) {
        let key = format!("{deps:?}|tests={tests}");
        crates.entry(key).or_insert_with_key(|key| {
            let hash = short_hash([key.as_bytes()], 6);
            CrateFiles {
                package: format!("snip-deps-{hash}"),
                // An empty crate: its edition changes nothing.
                edition: crate::fence::Edition::LATEST,
                kind: crate::wrap::CrateKind::Lib,
                tests,
                source: String::new(),
                deps: deps.to_vec(),
            }
        });
    }
    crates.into_values().collect()
}

/// The result a member with errors got in a merged crate, if it is the result
/// it would get alone: rustc reports every module's errors before it stops (and
/// then gives no module its lints), so what can differ is only what the
/// neighbours put into the messages. The result is refused when a message
/// named the merged modules, names an item a neighbour defines, counts or lists
/// implementations (`and 12 others`), or lies in wrapper code, and when a
/// suggested edit touches a line the member does not own. Suggestions are moved
/// to the coordinates of the member's own crate, where diagnosis applies them.
fn merged_result_standing(
    built: &BuildOutcome,
    merged: &WrappedSource,
    unit: Unit<'_>,
    names: &BTreeSet<String>,
) -> Option<UnitResult> {
    let key = unit.package();
    let result = built.units.get(&key)?;
    if built.named_modules.contains(&key)
        || result.built
        || result.diagnostics.iter().any(|d| d.in_wrapper)
    {
        return None;
    }
    let texts = result.diagnostics.iter().flat_map(|d| {
        std::iter::once(d.message.as_str())
            .chain(d.label.as_deref())
            .chain(d.notes.iter().map(String::as_str))
    });
    for text in texts {
        if lists_implementations(text)
            || text
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| names.contains(word))
        {
            return None;
        }
    }
    let mut own_line = BTreeMap::new();
    for (generated, line) in unit.wrapped.line_map.iter().enumerate() {
        if let Some(line) = line {
            own_line
                .entry(*line)
                .or_insert(crate::text::to_u32(generated + 1));
        }
    }
    let relocate = |line: u32| own_line.get(&merged.snippet_line(line)?).copied();
    let mut moved = result.clone();
    for suggestion in &mut moved.suggestions {
        for edit in &mut suggestion.candidates {
            edit.line_start = relocate(edit.line_start)?;
            edit.line_end = relocate(edit.line_end)?;
        }
    }
    Some(moved)
}

/// Whether a message counts or lists the implementations of a trait, which
/// depend on everything else in the crate.
fn lists_implementations(text: &str) -> bool {
    text.contains("implement") && (text.contains("following") || text.contains(" others"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose;
    use crate::executor::replay;
    use crate::report::Status;

    fn no_hints() -> FailureHints {
        FailureHints::load(std::path::PathBuf::from("no-such-hints.json"))
    }

    fn plan(jobs: Vec<Job>, versions: Versions) -> BuildPlan {
        BuildPlan {
            versions,
            ..BuildPlan::primary("stable", jobs, &LockSeed::Keep)
        }
    }

    /// The primary build of `merged.md` and its re-merge round, replayed from
    /// the recorded cargo output: plan, absorb, plan again, absorb.
    #[test]
    fn a_merged_crate_with_errors_in_two_members_keeps_theirs_and_rebuilds_the_rest() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let hints = no_hints();
        let all: Vec<usize> = (0..units.len()).collect();

        // Plan: the six examples share one crate.
        let (jobs, groups) = plan_jobs(&units, &all, true, &hints);
        assert_eq!(groups, [vec![0, 1, 2, 3, 4, 5]]);
        assert_eq!(jobs.len(), 1);
        assert_eq!(jobs[0].members.len(), 6);
        let first = plan(jobs, Versions::Resolve);

        // Absorb: the crate failed; the errors sit on the members' own lines.
        let mut built = replay::build(&first, "merged-primary");
        let lines = |unit: &Unit<'_>, built: &BuildOutcome| -> Vec<(String, u32)> {
            built.units[&unit.package()]
                .diagnostics
                .iter()
                .map(|d| (d.level.clone(), d.line))
                .collect()
        };
        assert_eq!(lines(&units[1], &built), [("error".to_string(), 15)]);
        assert_eq!(lines(&units[3], &built), [("error".to_string(), 31)]);
        assert!(lines(&units[0], &built).is_empty());
        let failed = failed_groups(groups, &units, &built);
        assert_eq!(failed, [vec![0, 1, 2, 3, 4, 5]]);

        // The next round: the first type error keeps its merged result; the
        // second lists the trait's implementations (which depend on the whole
        // crate) and `make` names `Point`, which a neighbour defines, so both
        // are rebuilt alone; the clean members are merged again.
        let round = absorb_round(&units, failed, &built, &first.jobs, &hints, 1);
        let kept: Vec<&str> = round.kept.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kept, [units[1].package()]);
        assert_eq!(round.rebuilt_alone, [3, 5]);
        assert_eq!(round.regrouped, [vec![0, 2, 4]]);
        let members: Vec<usize> = round.jobs.iter().map(|j| j.members.len()).collect();
        assert_eq!(members, [1, 1, 3]);
        built.units.extend(round.kept);

        // Absorb the round: the re-merged crate builds, so no group fails again.
        let second = plan(round.jobs, Versions::Skip);
        let again = replay::build(&second, "merged-round-1");
        built.extend(again);
        assert!(failed_groups(round.regrouped, &units, &built).is_empty());

        // Every example's verdict, as the report gives it.
        let verdicts: Vec<Status> = units
            .iter()
            .map(|u| diagnose::verdict(&u.snippet.expect, &built.units[&u.package()]).0)
            .collect();
        use Status::{Fail, Pass, Warn};
        assert_eq!(verdicts, [Pass, Fail, Pass, Fail, Warn, Fail]);
    }

    #[test]
    fn without_merging_every_example_stands_alone() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let all: Vec<usize> = (0..units.len()).collect();
        let (jobs, groups) = plan_jobs(&units, &all, false, &no_hints());
        assert!(groups.is_empty());
        let packages: Vec<String> = jobs.iter().map(|j| j.files.package.clone()).collect();
        let expected: Vec<String> = units.iter().map(Unit::package).collect();
        assert_eq!(packages, expected);
    }
}
