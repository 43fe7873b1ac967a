//! The experiments: variant builds of failing snippets, in as few cargo runs as
//! possible, and what their outcomes prove.
//!
//! Round 1 builds, for every failing snippet at once, each variant its errors
//! call for: an older edition, nightly with the feature gates, the document's
//! pinned (or the previous) release series of a crate, the imports rustc names
//! (one variant per candidate), the definitions other blocks of the document
//! give, stubs for undefined names. Round 2 and 3 narrow a dependency drift
//! down to the release series, then the release, where the example broke. Each
//! round is one workspace and one `cargo clippy` per toolchain; variants cargo
//! cannot resolve together are split off into a build of their own, and one
//! that cannot be resolved even alone says so ("not built"), never "fails".
//!
//! Causes are proven error by error: an error of the example is credited to
//! the variant that removes it without putting a new error on its line; the
//! primary cause is the one that explains the first error the build reported
//! (ties go to the taxonomy's precedence), the others are `other_causes`; an
//! error no variant removes is the example's own (`code-bug`), quoted.

use std::collections::{BTreeMap, BTreeSet};

use crate::cause::{self, Cause, Change, NameKind, SuggestionDetail, UnresolvedName};
use crate::diagnose::{self, UnitResult};
use crate::error::Result;
use crate::fence::Edition;
use crate::report::{Diagnostic, Evidence, Status};
use crate::syntax::{Shape, TopItemKind};

use crate::executor::{BuildOutcome, BuildPlan, Executor, Job, LockSeed};
use crate::log::Log;
use crate::prepare::{DocFacts, Unit};
use crate::registry::Registry;
use crate::trace;

/// Most crates of one snippet whose older releases are tried.
const MAX_DRIFT_TRIALS: usize = 3;
/// Most remaining errors quoted per variant.
const MAX_REMAINING: usize = 3;
/// Most `use` candidates tried for one name (each in a variant of its own).
const MAX_CANDIDATES: usize = 4;
/// Most split builds of one round whose variants cargo cannot resolve together.
const MAX_SPLITS: usize = 4;
/// Most other blocks of a document whose definitions one variant borrows.
const MAX_CONTEXT_BLOCKS: usize = 3;
/// Most unexplained errors a suggestion quotes.
const MAX_QUOTED: usize = 3;

/// A failing snippet and what its primary build said.
#[derive(Debug)]
pub struct Subject<'a> {
    pub unit: Unit<'a>,
    pub result: &'a UnitResult,
}

/// Why one snippet fails, with the variants that showed it.
#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub cause: Cause,
    pub other_causes: Vec<Cause>,
    pub evidence: Vec<Evidence>,
    pub suggestion: String,
    /// Package -> (last passing version, first failing version).
    pub drift: BTreeMap<String, (String, Option<String>)>,
    /// The `use` lines whose variant built (rustc's single candidates), for `--fix-imports`.
    pub proven_imports: Vec<String>,
}

/// The toolchains experiments may use.
#[derive(Debug, Clone, Copy)]
pub struct Toolchains<'t> {
    pub primary: &'t str,
    pub nightly: Option<&'t str>,
}

/// One variant build of one subject.
#[derive(Debug, Clone)]
struct Trial {
    subject: usize,
    change: Change,
    toolchain: String,
    /// Filled in once built.
    outcome: Option<Outcome>,
}

#[derive(Debug, Clone)]
struct Outcome {
    passed: bool,
    /// The first errors, placed, for the report.
    remaining: Vec<String>,
    /// Every error the variant had, to compare with the example's.
    errors: BTreeSet<ErrorKey>,
    /// Why cargo built nothing for the variant: it proves nothing.
    not_built: Option<String>,
}

impl Outcome {
    fn not_built(reason: String) -> Outcome {
        Outcome {
            passed: false,
            remaining: Vec::new(),
            errors: BTreeSet::new(),
            not_built: Some(reason),
        }
    }
}

/// An error as builds of one example are compared: its document line and
/// column, code and message (stub paths left out).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ErrorKey {
    line: u32,
    column: u32,
    code: Option<String>,
    message: String,
    /// In the code snipcheck added (the wrapper, stubs, another block's
    /// definitions), not in the example's.
    in_wrapper: bool,
}

impl ErrorKey {
    fn of(diagnostic: &Diagnostic) -> ErrorKey {
        ErrorKey {
            line: diagnostic.line,
            column: diagnostic.column,
            code: diagnostic.code.clone(),
            message: diagnostic
                .message
                .replace(&format!("{}::", cause::STUB_MODULE), ""),
            in_wrapper: diagnostic.in_wrapper,
        }
    }

    /// `line 65: casting ...`, as a suggestion quotes it.
    fn quoted(&self) -> String {
        format!("line {}: {}", self.line, self.message)
    }
}

/// What the diagnosis knows beside its subjects.
#[derive(Debug, Clone, Copy)]
pub struct Context<'c, 'u> {
    /// Every unit of the run: the blocks a subject's document defines its
    /// missing names in, and the crates they use, are among them.
    pub units: &'c [Unit<'u>],
    pub docs: &'c BTreeMap<String, DocFacts>,
    /// The public items of the crates the documents use, and of std.
    pub items: &'c crate::items::Index,
    /// Where the indexed crates come from: a `use` of one the snippet does
    /// not depend on adds it at the version the build resolved.
    pub sources: &'c [crate::item_sources::Source],
}

/// Runs the experiments for `subjects` and classifies each: entry id -> diagnosis.
pub fn run(
    executor: &Executor<'_>,
    registry: &mut Registry,
    toolchains: Toolchains<'_>,
    subjects: &[Subject<'_>],
    context: &Context<'_, '_>,
    lock: &LockSeed,
) -> Result<(BTreeMap<String, Diagnosis>, Log)> {
    let (units, docs) = (context.units, context.docs);
    let mut log = Log::default();
    if subjects.is_empty() {
        return Ok((BTreeMap::new(), log));
    }
    let _span = trace::span("diagnosis").items(subjects.len());
    let rounds = Rounds {
        executor,
        subjects,
        lock,
    };
    // Round 1: every variant the errors call for.
    let wanted_series = drift_candidates(subjects, docs, registry);
    let keys = wanted_series.values().flatten().map(|(_, key)| key.clone());
    log.extend(registry.lookup(keys.collect()));
    let named = crate_named_attributes(subjects);
    log.extend(registry.lookup(named.clone()));
    let named: BTreeMap<String, crate::deps::DepSpec> = named
        .into_iter()
        .filter_map(|name| match registry.lookups.get(&name) {
            Some(crate::registry::Lookup::Found(found)) => Some((
                name.clone(),
                crate::deps::DepSpec::registry(name, &found.name, &found.version),
            )),
            _ => None,
        })
        .collect();
    let mut trials = Vec::new();
    for (index, subject) in subjects.iter().enumerate() {
        let drift = wanted_series.get(&index);
        let candidates = import_candidates(subject, Some((context, &named)));
        trials.extend(first_round(
            index,
            subject,
            toolchains,
            registry,
            drift,
            &candidates,
        ));
        if let Some(change) = context_change(subject, units) {
            trials.push(Trial {
                subject: index,
                change,
                toolchain: toolchains.primary.to_string(),
                outcome: None,
            });
        }
    }
    let trials = rounds.build("variants", trials, &mut log)?;

    // Rounds 2 and 3: where, between the passing and the newest release, did it break?
    let passing = passing_drifts(&trials);
    let (keys, series) = series_between_passing(&passing, registry);
    log.extend(registry.lookup(keys));
    let round2 = series
        .iter()
        .filter_map(|(subject, krate, between)| {
            let version = registry.version(&format!("{krate}@{between}"))?;
            Some(dependency_trial(
                *subject,
                krate,
                &version,
                toolchains.primary,
            ))
        })
        .collect();
    let round2 = rounds.build("variants-2", round2, &mut log)?;
    let (mut drift, boundaries) = drift_boundaries(&passing, &round2, registry);
    let first_keys: BTreeSet<String> = boundaries
        .iter()
        .filter(|(_, _, failing, first)| failing != first)
        .map(|(_, krate, _, first)| format!("{krate}@{first}"))
        .collect();
    log.extend(registry.lookup(first_keys));
    let round3 = boundaries
        .iter()
        .filter(|(_, _, failing, first)| failing != first)
        .filter(|(_, krate, _, first)| {
            registry.version(&format!("{krate}@{first}")).as_deref() == Some(first.as_str())
        })
        .map(|(subject, krate, _, first)| {
            dependency_trial(*subject, krate, first, toolchains.primary)
        })
        .collect();
    let round3 = rounds.build("variants-3", round3, &mut log)?;
    narrow_to_first_release(&mut drift, &round3);

    let mut all_trials = trials;
    all_trials.extend(round2);
    all_trials.extend(round3);
    let mut out = BTreeMap::new();
    for (index, subject) in subjects.iter().enumerate() {
        let mine: Vec<&Trial> = all_trials.iter().filter(|t| t.subject == index).collect();
        let doc = docs.get(&subject.unit.entry.file);
        let doc_code: Vec<&str> = units
            .iter()
            .filter(|u| u.entry.file == subject.unit.entry.file)
            .map(|u| u.snippet.code.as_str())
            .collect();
        let found = drift.remove(&index).unwrap_or_default();
        out.insert(
            subject.unit.entry.id.clone(),
            classify(subject, &mine, found, (doc, &doc_code)),
        );
    }
    Ok((out, log))
}

/// (subject, crate, release) of every dependency variant at an older
/// release that built (a pre-release is no drift: it is newer).
fn passing_drifts(trials: &[Trial]) -> Vec<(usize, String, String)> {
    trials
        .iter()
        .filter(|t| t.outcome.as_ref().is_some_and(|o| o.passed))
        .filter_map(|t| match &t.change {
            Change::DependencyVersion {
                crate_name,
                version,
            } if !is_pre_release(version) => Some((t.subject, crate_name.clone(), version.clone())),
            _ => None,
        })
        .collect()
}

fn is_pre_release(version: &str) -> bool {
    semver::Version::parse(version).is_ok_and(|v| !v.pre.is_empty())
}

/// (crate, pre-release) of the variant at a pre-release that built, when
/// one did: the example builds only with that pre-release.
fn passing_pre_release(trials: &[&Trial]) -> Option<(String, String)> {
    trials
        .iter()
        .filter(|t| t.outcome.as_ref().is_some_and(|o| o.passed))
        .find_map(|t| match &t.change {
            Change::DependencyVersion {
                crate_name,
                version,
            } if is_pre_release(version) => Some((crate_name.clone(), version.clone())),
            _ => None,
        })
}

/// The newest release of each published series between each passing release
/// and the newest (none yanked, newest first): the registry keys to look up,
/// and (subject, crate, release) to try.
fn series_between_passing(
    passing: &[(usize, String, String)],
    registry: &Registry,
) -> (BTreeSet<String>, Vec<(usize, String, String)>) {
    let mut keys = BTreeSet::new();
    let mut series = Vec::new();
    for (subject, krate, passing) in passing {
        let Some(latest) = registry.latest(krate) else {
            continue;
        };
        for between in registry.series_between(krate, passing, &latest) {
            keys.insert(format!("{krate}@{between}"));
            series.push((*subject, krate.clone(), between));
        }
    }
    (keys, series)
}

/// A subject's drifted crates -> (last passing release, first failing release).
type Drift = BTreeMap<usize, BTreeMap<String, (String, Option<String>)>>;

/// From round 2's outcomes, each drift's last passing and first failing
/// release, and the boundaries worth a third round: (subject, crate, first
/// failing release, the first release of its series).
fn drift_boundaries(
    passing: &[(usize, String, String)],
    round2: &[Trial],
    registry: &Registry,
) -> (Drift, Vec<(usize, String, String, String)>) {
    let mut drift: Drift = BTreeMap::new();
    let mut boundaries = Vec::new();
    for (subject, krate, passing) in passing {
        let Some(latest) = registry.latest(krate) else {
            continue;
        };
        // Ordered releases: the passing one, the series in between, the newest (fails).
        let mut between: Vec<(String, bool)> = Vec::new();
        for trial in round2.iter().filter(|t| t.subject == *subject) {
            if let (
                Change::DependencyVersion {
                    crate_name,
                    version,
                },
                Some(outcome),
            ) = (&trial.change, &trial.outcome)
                && crate_name == krate
            {
                between.push((version.clone(), outcome.passed));
            }
        }
        // Tried newest first; climbed oldest first.
        between.sort_by_key(|(version, _)| semver::Version::parse(version).ok());
        let mut ladder: Vec<(String, bool)> = vec![(passing.clone(), true)];
        ladder.extend(between);
        ladder.push((latest.clone(), false));
        let Some(first_fail) = ladder.iter().position(|(_, passed)| !passed) else {
            continue;
        };
        let last_pass = ladder[..first_fail]
            .iter()
            .rev()
            .find(|(_, passed)| *passed)
            .map(|(v, _)| v.clone());
        let failing = ladder[first_fail].0.clone();
        let last_pass = last_pass.unwrap_or_else(|| passing.clone());
        drift
            .entry(*subject)
            .or_default()
            .insert(krate.clone(), (last_pass, Some(failing.clone())));
        let first = registry
            .first_of_series(krate, &failing)
            .unwrap_or_else(|| failing.clone());
        boundaries.push((*subject, krate.clone(), failing.clone(), first));
    }
    (drift, boundaries)
}

/// Round 3: a series' first release that fails too is the first failing one.
fn narrow_to_first_release(drift: &mut Drift, round3: &[Trial]) {
    for trial in round3 {
        if let (
            Change::DependencyVersion {
                crate_name,
                version,
            },
            Some(outcome),
        ) = (&trial.change, &trial.outcome)
            && !outcome.passed
            && let Some(entry) = drift
                .get_mut(&trial.subject)
                .and_then(|d| d.get_mut(crate_name))
        {
            entry.1 = Some(version.clone());
        }
    }
}

fn errors(result: &UnitResult) -> impl Iterator<Item = &Diagnostic> {
    result.diagnostics.iter().filter(|d| d.level == "error")
}

/// For each subject, the crates worth trying at an older release: (package, `package@series`).
fn drift_candidates(
    subjects: &[Subject<'_>],
    docs: &BTreeMap<String, DocFacts>,
    registry: &Registry,
) -> BTreeMap<usize, Vec<(String, String)>> {
    let mut out = BTreeMap::new();
    for (index, subject) in subjects.iter().enumerate() {
        let deps = subject.unit.deps;
        let pins = docs.get(&subject.unit.entry.file).map(|d| &d.pins);
        let mentioned = |name: &str| {
            errors(subject.result).any(|d| {
                d.message.contains(&format!("`{name}`"))
                    || d.message.contains(&format!("{name}::"))
                    || error_line_text(subject, d).is_some_and(|t| t.contains(&format!("{name}::")))
            })
        };
        let mut wanted = Vec::new();
        // A local crate is built from its working tree: it has no releases to try.
        for dep in deps.deps.iter().filter(|d| !d.dev && d.path.is_none()) {
            let Some(latest) = registry.latest(&dep.package) else {
                continue;
            };
            let Some(latest_series) = cause::series(&latest) else {
                continue;
            };
            let pinned = pins
                .and_then(|p| p.get(&dep.name))
                .and_then(|req| cause::series(req));
            let is_pinned = pinned.is_some();
            // A pinned series is asked for as a requirement; an older one is
            // the newest release of the newest series the registry has below.
            let target = match pinned {
                Some(series) if series != latest_series => Some(series),
                Some(_) => None,
                None if mentioned(&dep.name) => registry.previous_series(&dep.package, &latest),
                None => None,
            };
            if let Some(spec) = target {
                wanted.push((dep.package.clone(), format!("{}@{spec}", dep.package)));
            }
            // Written for a release not out yet: the newer pre-release, once.
            if !is_pinned
                && mentioned(&dep.name)
                && let Some(pre) = registry.newer_pre_release(&dep.package)
                && dep.requirement != pre
            {
                wanted.push((dep.package.clone(), format!("{}@{pre}", dep.package)));
            }
            if wanted.len() == MAX_DRIFT_TRIALS {
                break;
            }
        }
        if !wanted.is_empty() {
            out.insert(index, wanted);
        }
    }
    out
}

/// The snippet's code line a diagnostic points at.
fn error_line_text<'e>(subject: &Subject<'e>, diagnostic: &Diagnostic) -> Option<&'e str> {
    let snippet = subject.unit.snippet;
    let index = snippet
        .lines
        .iter()
        .position(|l| l.origin.line == diagnostic.line)?;
    snippet.code.split('\n').nth(index)
}

fn first_round(
    index: usize,
    subject: &Subject<'_>,
    toolchains: Toolchains<'_>,
    registry: &Registry,
    drift: Option<&Vec<(String, String)>>,
    candidates: &BTreeMap<String, Vec<Import>>,
) -> Vec<Trial> {
    let mut trials = Vec::new();
    let snippet = subject.unit.snippet;
    let trial = |change: Change, toolchain: &str| Trial {
        subject: index,
        change,
        toolchain: toolchain.to_string(),
        outcome: None,
    };

    let mut features = BTreeSet::new();
    let mut gated = false;
    for diagnostic in errors(subject.result) {
        if let Some(feature) =
            cause::unstable_feature(diagnostic.code.as_deref(), &diagnostic.message)
        {
            features.insert(feature);
        }
        gated |= diagnostic.code.as_deref() == Some("E0554");
    }
    if let (Some(nightly), true) = (toolchains.nightly, gated || !features.is_empty()) {
        trials.push(trial(
            Change::Nightly {
                features: features.into_iter().collect(),
            },
            nightly,
        ));
    }
    if snippet.edition == Edition::E2024 && subject.unit.entry.block.fence.attrs.edition.is_none() {
        trials.push(trial(Change::Edition(Edition::E2021), toolchains.primary));
    }
    for (package, key) in drift.into_iter().flatten() {
        if let Some(version) = registry.version(key) {
            trials.push(dependency_trial(
                index,
                package,
                &version,
                toolchains.primary,
            ));
        }
    }
    // One variant per candidate: the n-th takes each name's n-th candidate
    // (or its last), so every candidate of every name is tried in one round.
    let most = candidates.values().map(Vec::len).max().unwrap_or(0);
    let mut tried = BTreeSet::new();
    for n in 0..most {
        let chosen: Vec<&Import> = candidates
            .values()
            .filter_map(|c| c.get(n).or(c.last()))
            .collect();
        let lines: Vec<(u32, String)> = chosen.iter().map(|i| (i.line, i.text.clone())).collect();
        let mut deps: Vec<crate::deps::DepSpec> = Vec::new();
        for dep in chosen.iter().filter_map(|i| i.dep.as_ref()) {
            if !deps.iter().any(|d| d.name == dep.name) {
                deps.push(dep.clone());
            }
        }
        if tried.insert(lines.clone()) {
            trials.push(trial(Change::Imports { lines, deps }, toolchains.primary));
        }
    }
    let firsts: BTreeMap<String, (u32, String)> = candidates
        .iter()
        .filter(|(_, c)| c.first().is_some_and(|i| i.dep.is_none()))
        .filter_map(|(name, c)| Some((name.clone(), c.first().map(|i| (i.line, i.text.clone()))?)))
        .collect();
    // Stubs for the names rustc has no import for, with the first candidates
    // for the others; and, when some names had an import, stubs for all of
    // them (the import may be the wrong item of the same name).
    let all_names: Vec<UnresolvedName> = unresolved(subject.result)
        .into_iter()
        .filter(|n| n.kind != NameKind::Module)
        .collect();
    let others: Vec<UnresolvedName> = all_names
        .iter()
        .filter(|n| !firsts.contains_key(&n.name))
        .cloned()
        .collect();
    let mut stub_sets = vec![(firsts.values().cloned().collect::<Vec<_>>(), others)];
    if !firsts.is_empty() {
        stub_sets.push((Vec::new(), all_names));
    }
    for (imports, names) in stub_sets {
        let (head, tail) = cause::stub_source(&names, &BTreeMap::new());
        if head.is_empty() && tail.is_empty() {
            continue;
        }
        trials.push(trial(Change::Stubs { imports, names }, toolchains.primary));
    }
    trials
}

fn dependency_trial(subject: usize, krate: &str, version: &str, toolchain: &str) -> Trial {
    Trial {
        subject,
        change: Change::DependencyVersion {
            crate_name: krate.to_string(),
            version: version.to_string(),
        },
        toolchain: toolchain.to_string(),
        outcome: None,
    }
}

/// One `use` line to try for a name: where it goes (generated line), its
/// text, and the crate it needs when the snippet does not depend on it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Import {
    line: u32,
    text: String,
    dep: Option<crate::deps::DepSpec>,
}

/// Unresolved name -> the `use` lines to try, at most [`MAX_CANDIDATES`]:
/// rustc's suggestions in its order, then the item index's candidates from
/// std, the crates the snippet depends on, and the crates other blocks of
/// its document use (the variant then depends on that crate too).
fn import_candidates(
    subject: &Subject<'_>,
    context: Option<(&Context<'_, '_>, &BTreeMap<String, crate::deps::DepSpec>)>,
) -> BTreeMap<String, Vec<Import>> {
    let mut out: BTreeMap<String, Vec<Import>> = BTreeMap::new();
    let mut first_line = None;
    for suggestion in &subject.result.suggestions {
        let imports = suggestion.imports();
        let Some(name) =
            cause::unresolved_name(suggestion.code.as_deref(), &suggestion.for_message)
        else {
            continue;
        };
        first_line = first_line.or(imports.first().map(|(line, _)| *line));
        let list = out.entry(name.name).or_default();
        for (line, text) in imports {
            if list.len() < MAX_CANDIDATES && !list.iter().any(|i| i.text == text) {
                list.push(Import {
                    line,
                    text,
                    dep: None,
                });
            }
        }
    }
    let Some((context, crate_named)) = context else {
        return out;
    };
    let line = first_line.unwrap_or_else(|| after_crate_attributes(subject.unit.wrapped));
    let own = &subject.unit.deps.deps;
    // The crates a `use` may come from, best first: the snippet's own, its
    // document's, the standard library, then the crates those re-export
    // (js_sys's `wasm_bindgen`), which the build resolved already. Never a
    // crate only another document uses.
    let mut near: Vec<String> = own.iter().map(|d| d.name.clone()).collect();
    for dep in context
        .units
        .iter()
        .filter(|u| u.entry.file == subject.unit.entry.file)
        .flat_map(|u| &u.deps.deps)
    {
        if !dep.dev && !near.contains(&dep.name) {
            near.push(dep.name.clone());
        }
    }
    let std = ["std", "core", "alloc"].map(String::from);
    let foreign: Vec<String> = near
        .iter()
        .flat_map(|krate| context.items.foreign_crates_of(krate))
        .filter(|krate| !near.contains(krate))
        .collect();
    let rank = |krate: &str| {
        near.iter()
            .chain(&std)
            .chain(&foreign)
            .position(|k| k == krate)
    };
    for name in unresolved(subject.result) {
        let list = out.entry(name.name.clone()).or_default();
        let mut found: Vec<(usize, crate::items::Candidate)> = context
            .items
            .candidates(&name.name, Some(name.kind.namespace()))
            .into_iter()
            .filter(|c| !c.path.contains("::__"))
            // An attribute is imported from an attribute or derive macro,
            // never from a function-like one (`tracing::error!`).
            .filter(|c| {
                name.kind != NameKind::Attribute
                    || c.kind.is_none_or(|k| {
                        matches!(
                            k,
                            crate::items::Kind::AttributeMacro | crate::items::Kind::DeriveMacro
                        )
                    })
            })
            .filter_map(|c| Some((rank(&c.krate)?, c)))
            .collect();
        found.sort_by_key(|(rank, _)| *rank);
        for (_, candidate) in found {
            if list.len() >= MAX_CANDIDATES {
                break;
            }
            let dep = if std.contains(&candidate.krate)
                || own.iter().any(|d| d.name == candidate.krate)
            {
                None
            } else {
                match document_dependency(subject, context.units, &candidate.krate)
                    .or_else(|| resolved_dependency(context.sources, &candidate.krate))
                {
                    Some(dep) => Some(dep),
                    None => continue,
                }
            };
            let text = format!("use {};", candidate.path);
            if !list.iter().any(|i| i.text == text) {
                list.push(Import { line, text, dep });
            }
        }
        // Nothing at hand has it, but a crate of its name does: its
        // prelude, else its root (`#[wasm_bindgen]`, `#[async_trait]`).
        if let Some(dep) = crate_named.get(&name.name).filter(|_| list.is_empty()) {
            let krate = &name.name;
            for text in [
                format!("use {krate}::prelude::*;"),
                format!("use {krate}::{krate};"),
            ] {
                list.push(Import {
                    line,
                    text,
                    dep: Some(dep.clone()),
                });
            }
        }
    }
    out.retain(|_, list| !list.is_empty());
    out
}

/// The attributes examples use bare and no crate of theirs resolves, that
/// may be named after the crate that provides them (`#[wasm_bindgen]` from
/// `wasm_bindgen::prelude`). Not where a derive is missing too: its helper
/// attributes (`#[error(..)]`, `#[from]`) are no crate's names.
fn crate_named_attributes(subjects: &[Subject<'_>]) -> BTreeSet<String> {
    subjects
        .iter()
        .filter(|s| !errors(s.result).any(|d| d.message.starts_with("cannot find derive macro")))
        .flat_map(|s| {
            unresolved(s.result)
                .into_iter()
                .filter(|n| n.kind == NameKind::Attribute)
                .filter(|n| !s.unit.deps.deps.iter().any(|d| d.name == n.name))
                .map(|n| n.name)
        })
        .filter(|name| {
            name.len() > 1
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
        .collect()
}

/// A dependency on an indexed crate, at the version the build resolved.
fn resolved_dependency(
    sources: &[crate::item_sources::Source],
    krate: &str,
) -> Option<crate::deps::DepSpec> {
    let source = sources.iter().find(|s| s.name_in_code == krate)?;
    Some(crate::deps::DepSpec::registry(
        &source.name_in_code,
        &source.package,
        format!("={}", source.version),
    ))
}

/// The dependency another block of the subject's document has on `krate`.
fn document_dependency(
    subject: &Subject<'_>,
    units: &[Unit<'_>],
    krate: &str,
) -> Option<crate::deps::DepSpec> {
    units
        .iter()
        .filter(|u| u.entry.file == subject.unit.entry.file)
        .flat_map(|u| &u.deps.deps)
        .find(|d| d.name == krate && !d.dev)
        .cloned()
}

/// The variant that borrows, from the document's other blocks, the
/// definitions of the names the subject lacks: their items, the `impl`
/// blocks of those types and the blocks' `use` lines (those the subject
/// does not have already), with the crates those blocks build with.
fn context_change(subject: &Subject<'_>, units: &[Unit<'_>]) -> Option<Change> {
    let names: BTreeSet<String> = unresolved(subject.result)
        .into_iter()
        .filter(|n| n.kind != NameKind::Module)
        .map(|n| n.name)
        .collect();
    if names.is_empty() {
        return None;
    }
    let me = subject.unit.entry;
    let own: BTreeSet<&str> = subject.unit.snippet.code.lines().map(str::trim).collect();
    let others: Vec<&Unit<'_>> = units
        .iter()
        .filter(|u| u.entry.file == me.file && u.entry.id != me.id)
        .collect();
    let defines = |unit: &Unit<'_>, name: &str| {
        unit.snippet
            .syntax
            .top_items
            .iter()
            .any(|i| matches!(&i.kind, TopItemKind::Defines(n) if n == name))
    };
    // Each name from one block: the nearest one above the subject (a
    // tutorial grows its design block by block), else the first below. The
    // names those definitions use that other blocks define come too (a
    // `Chart` whose fields are `Note`s), so the definitions build.
    let mut chosen: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let fence = me.block.fence_line;
    // A word of the example's own code that is not missing, it defines,
    // imports or gets from the prelude (`Result`): never borrowed.
    let own_words: BTreeSet<&str> = subject
        .unit
        .snippet
        .code
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .collect();
    let mut wanted: Vec<String> = names.into_iter().collect();
    let mut seen: BTreeSet<String> = wanted.iter().cloned().collect();
    while let Some(name) = wanted.pop() {
        let above = others
            .iter()
            .enumerate()
            .rfind(|(_, u)| u.entry.block.fence_line < fence && defines(u, &name));
        let below = || {
            others
                .iter()
                .enumerate()
                .find(|(_, u)| u.entry.block.fence_line > fence && defines(u, &name))
        };
        let Some((n, unit)) = above.or_else(below) else {
            continue;
        };
        let code: Vec<&str> = unit.snippet.code.split('\n').collect();
        for item in unit.snippet.syntax.top_items.iter().filter(
            |i| matches!(&i.kind, TopItemKind::Defines(d) | TopItemKind::Impl(d) if *d == name),
        ) {
            let text = code
                .get(item.first_line as usize..=item.last_line as usize)
                .unwrap_or_default();
            for word in text
                .iter()
                .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
            {
                if !own_words.contains(word)
                    && !seen.contains(word)
                    && others.iter().any(|u| defines(u, word))
                {
                    seen.insert(word.to_string());
                    wanted.push(word.to_string());
                }
            }
        }
        chosen.entry(n).or_default().insert(name);
    }
    let mut blocks = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut deps: Vec<crate::deps::DepSpec> = Vec::new();
    for (n, mine) in chosen.iter().take(MAX_CONTEXT_BLOCKS) {
        let unit = others[*n];
        let wanted = |kind: &TopItemKind| match kind {
            TopItemKind::Defines(name) | TopItemKind::Impl(name) => mine.contains(name),
            _ => false,
        };
        let code: Vec<&str> = unit.snippet.code.split('\n').collect();
        for item in unit
            .snippet
            .syntax
            .top_items
            .iter()
            .filter(|i| i.kind == TopItemKind::Use || wanted(&i.kind))
        {
            let (first, last) = (item.first_line as usize, item.last_line as usize);
            let Some(text) = code.get(first..=last.min(code.len().saturating_sub(1))) else {
                continue;
            };
            if item.kind == TopItemKind::Use && text.iter().all(|l| own.contains(l.trim())) {
                continue;
            }
            lines.extend(text.iter().map(|l| (*l).to_string()));
        }
        blocks.push(unit.entry.block.fence_line);
        for dep in &unit.deps.deps {
            let known = |d: &crate::deps::DepSpec| d.name == dep.name;
            if !subject.unit.deps.deps.iter().any(known) && !deps.iter().any(known) {
                deps.push(dep.clone());
            }
        }
    }
    (!blocks.is_empty()).then(|| Change::Context {
        blocks,
        source: lines.join("\n"),
        deps,
    })
}

fn unresolved(result: &UnitResult) -> Vec<UnresolvedName> {
    let mut seen = BTreeSet::new();
    errors(result)
        .filter_map(|d| cause::unresolved_name(d.code.as_deref(), &d.message))
        .filter(|n| seen.insert(n.name.clone()))
        .collect()
}

/// What every round of a diagnosis shares.
struct Rounds<'r, 's> {
    executor: &'r Executor<'r>,
    subjects: &'r [Subject<'s>],
    lock: &'r LockSeed,
}

impl Rounds<'_, '_> {
    /// Builds one round of trials (one workspace, and one cargo run, per
    /// toolchain) and returns them with their outcomes.
    ///
    /// A round whose variants change dependencies is resolved first: a
    /// variant cargo cannot resolve with the others is left out and built in
    /// a split build with the other left-out ones (`<workspace>-split<n>`);
    /// one that cannot be resolved even there is "not built", with cargo's
    /// reason.
    fn build(&self, workspace: &str, mut trials: Vec<Trial>, log: &mut Log) -> Result<Vec<Trial>> {
        let toolchains: BTreeSet<String> = trials.iter().map(|t| t.toolchain.clone()).collect();
        for toolchain in toolchains {
            let mut pending: Vec<usize> = (0..trials.len())
                .filter(|&n| trials[n].toolchain == toolchain)
                .collect();
            for split in 0..=MAX_SPLITS {
                let name = match split {
                    0 => workspace.to_string(),
                    n => format!("{workspace}-split{n}"),
                };
                let (plan, packages) = plan_round(
                    &name,
                    &toolchain,
                    self.subjects,
                    &trials,
                    &pending,
                    self.lock,
                );
                let mut built = self.executor.build(&plan)?;
                log.extend(std::mem::take(&mut built.log));
                let left_out = absorb_trials(&built, &packages, &mut trials);
                // Nothing left out, or nothing resolved: no split can help.
                if left_out.is_empty() || left_out.len() == pending.len() {
                    break;
                }
                pending = left_out;
            }
        }
        Ok(trials)
    }
}

/// The build of one round's trials on one toolchain, and which trial
/// (index into `trials`) each package is.
/// `pending` are the trials (indices into `trials`) this build takes; a
/// round that changes dependencies is resolved first, so that cargo can
/// leave out the variants it cannot resolve with the others.
fn plan_round(
    workspace: &str,
    toolchain: &str,
    subjects: &[Subject<'_>],
    trials: &[Trial],
    pending: &[usize],
    lock: &LockSeed,
) -> (BuildPlan, Vec<(usize, String)>) {
    let mut jobs = Vec::new();
    let mut packages = Vec::new();
    let mut changes_dependencies = false;
    for &n in pending {
        let Some(trial) = trials.get(n).filter(|t| t.toolchain == toolchain) else {
            continue;
        };
        changes_dependencies |= match &trial.change {
            Change::DependencyVersion { .. } | Change::Context { .. } => true,
            Change::Imports { deps, .. } => !deps.is_empty(),
            _ => false,
        };
        let job = variant_job(&subjects[trial.subject], &trial.change, n);
        packages.push((n, job.files.package.clone()));
        jobs.push(job);
    }
    let mut plan = BuildPlan::variants(format!("{workspace}-{toolchain}"), toolchain, jobs, lock);
    if changes_dependencies {
        plan.versions = crate::executor::Versions::Resolve;
    }
    (plan, packages)
}

/// Each trial's outcome in a round's build: did the variant build, which
/// errors remained, or why it was not built. Returns the trials cargo left
/// out because their requirements cannot be resolved with the others.
fn absorb_trials(
    built: &BuildOutcome,
    packages: &[(usize, String)],
    trials: &mut [Trial],
) -> Vec<usize> {
    let mut left_out = Vec::new();
    for (n, package) in packages {
        // A build stopped half-way proves nothing of what it did not finish.
        if built.interrupted || built.timed_out {
            let why = if built.interrupted {
                "the run was interrupted"
            } else {
                "the build ran past the time limit"
            };
            let finished = built.units.get(package).is_some_and(|u| u.built);
            if !finished {
                trials[*n].outcome = Some(Outcome::not_built(why.to_string()));
                continue;
            }
        }
        if let Some(reason) = built.unresolvable.get(package) {
            trials[*n].outcome = Some(Outcome::not_built(format!(
                "cargo cannot resolve its dependencies: {reason}"
            )));
            left_out.push(*n);
            continue;
        }
        let Some(result) = built.units.get(package) else {
            let reason = if built.timed_out {
                "the build ran past the time limit".to_string()
            } else if built.interrupted {
                "the run was interrupted".to_string()
            } else {
                built
                    .failure
                    .clone()
                    .unwrap_or_else(|| "cargo reported nothing for it".to_string())
            };
            trials[*n].outcome = Some(Outcome::not_built(reason));
            continue;
        };
        let (status, _) = diagnose::verdict(&crate::analyze::Expect::Pass, result);
        if status == Status::Fail && errors(result).next().is_none() {
            trials[*n].outcome = Some(Outcome::not_built(
                "a dependency failed to build: cargo built no artifact for it and reported no error in it"
                    .to_string(),
            ));
            continue;
        }
        let remaining = errors(result)
            .take(MAX_REMAINING)
            .map(|d| {
                let code = d
                    .code
                    .as_deref()
                    .map(|c| format!("[{c}]"))
                    .unwrap_or_default();
                let place = if d.in_wrapper {
                    " (in code snipcheck added)"
                } else {
                    ""
                };
                // Stubs live in a module of snipcheck's; the reader knows them by name.
                let message = d.message.replace(&format!("{}::", cause::STUB_MODULE), "");
                format!(
                    "{}:{}:{}: error{code}: {message}{place}",
                    d.file, d.line, d.column
                )
            })
            .collect();
        trials[*n].outcome = Some(Outcome {
            passed: status != Status::Fail,
            remaining,
            errors: errors(result).map(ErrorKey::of).collect(),
            not_built: None,
        });
    }
    left_out
}

/// The scratch crate of one variant.
fn variant_job(subject: &Subject<'_>, change: &Change, n: usize) -> Job {
    let unit = subject.unit;
    let (entry, snippet, wrapped, deps) = (unit.entry, unit.snippet, unit.wrapped, unit.deps);
    let mut files = crate::sandbox::CrateFiles {
        package: format!("{}-v{n}", entry.package()),
        edition: snippet.edition,
        kind: wrapped.kind,
        tests: snippet.has_tests,
        source: String::new(),
        deps: deps.deps.clone(),
    };
    let variant = match change {
        Change::Edition(edition) => {
            files.edition = *edition;
            wrapped.clone()
        }
        Change::Nightly { features } if features.is_empty() => wrapped.clone(),
        Change::Nightly { features } => {
            let gate = format!("#![feature({})]", features.join(", "));
            wrapped.with_inserted(&[(wrapped.after_prelude(), gate)])
        }
        Change::DependencyVersion {
            crate_name,
            version,
        } => {
            for dep in files.deps.iter_mut().filter(|d| &d.package == crate_name) {
                dep.requirement = format!("={version}");
            }
            wrapped.clone()
        }
        Change::Imports { lines, deps } => {
            files.deps.extend(deps.iter().cloned());
            files.deps.sort_by(|a, b| a.name.cmp(&b.name));
            wrapped.with_inserted(lines)
        }
        Change::Context { source, deps, .. } => {
            files.deps.extend(deps.iter().cloned());
            files.deps.sort_by(|a, b| a.name.cmp(&b.name));
            wrapped.with_inserted(&[(wrapped.end(), source.clone())])
        }
        Change::Stubs { imports, names } => {
            let (head, tail) = cause::stub_source(names, &snippet.syntax.call_arities);
            let mut inserts = imports.clone();
            if !head.is_empty() {
                inserts.push((after_crate_attributes(wrapped), head));
            }
            let import = format!("use crate::{}::*;", cause::STUB_MODULE);
            let module_lines = &snippet.syntax.wrapped.module_body_lines;
            for brace_line in module_lines
                .iter()
                .filter_map(|&l| wrapped.generated_line(l))
            {
                inserts.push((brace_line + 1, import.clone()));
            }
            inserts.push((wrapped.end(), tail));
            wrapped.with_inserted(&inserts)
        }
    };
    files.source = variant.text.clone();
    Job::single(
        files,
        variant,
        snippet.lines.clone(),
        entry.file.clone(),
        entry.block.fence_line,
    )
}

/// The first generated line after the crate-level inner attributes.
fn after_crate_attributes(wrapped: &crate::wrap::WrappedSource) -> u32 {
    let skip = wrapped
        .text
        .lines()
        .take_while(|l| l.trim_start().starts_with("#!["))
        .count();
    crate::text::to_u32(skip + 1)
}

/// What a diagnosis concluded about each error of the example: the cause
/// that explains it and the trial (index into the subject's trials) that
/// proved it, if one did.
type Attribution = Vec<(Cause, Option<usize>)>;

/// Which trials explain each error of the example (by index): a trial
/// that built removes every error; one that still fails removes the errors it
/// no longer has, unless it replaced them rather than explained them:
/// - a new error at the same place as a name's error (`use std::iter::Map;`
///   for serde_json's `Map` trades "cannot find type" for "missing
///   generics"); a macro's own errors stand where it is called, so a macro
///   or attribute brought in may report there (thiserror's derive);
/// - a new error on a line of the name that mentions the name (another item
///   of that name: `std::cell::BorrowError` for the example's own enum);
/// - a new type error that names the imported item (`?` couldn't convert
///   the error to `std::fmt::Error`): the example meant another `Error`;
/// - the inserted `use` line failing.
///
/// Another block's definitions are the document's own: only a new error at
/// the name's place replaced it.
///
/// A trial cargo did not build proves nothing.
fn attribute_errors(keys: &[ErrorKey], trials: &[&Trial]) -> Vec<Vec<usize>> {
    let known: BTreeSet<&ErrorKey> = keys.iter().collect();
    let mut credits = vec![Vec::new(); keys.len()];
    for (t, trial) in trials.iter().enumerate() {
        let Some(outcome) = trial.outcome.as_ref().filter(|o| o.not_built.is_none()) else {
            continue;
        };
        let new: Vec<&ErrorKey> = outcome
            .errors
            .iter()
            .filter(|e| !known.contains(e))
            .collect();
        let new_places: BTreeSet<(u32, u32)> = new.iter().map(|e| (e.line, e.column)).collect();
        let imported = imported_paths(&trial.change);
        let replaced_names: BTreeSet<String> = keys
            .iter()
            .filter_map(|key| {
                let name = cause::unresolved_name(key.code.as_deref(), &key.message)?.name;
                let mentions =
                    |m: &str| m.contains(&format!("`{name}`")) || m.contains(&format!("::{name}`"));
                let retyped = |e: &ErrorKey| {
                    matches!(e.code.as_deref(), Some("E0277" | "E0308" | "E0782"))
                        && imported.iter().any(|(path, last)| {
                            last == &name && e.message.contains(&format!("`{path}"))
                        })
                };
                // The `use` line itself failed (a module behind a feature):
                // the name is declared, so rustc says no more about it.
                let failed = |e: &ErrorKey| {
                    e.in_wrapper
                        && matches!(e.code.as_deref(), Some("E0432" | "E0433" | "E0603"))
                        && imported
                            .iter()
                            .any(|(path, last)| last == &name && names_only_path(&e.message, path))
                };
                new.iter()
                    .any(|e| {
                        (e.line == key.line && mentions(&e.message)) || retyped(e) || failed(e)
                    })
                    .then_some(name)
            })
            .collect();
        for (i, key) in keys.iter().enumerate() {
            let name = cause::unresolved_name(key.code.as_deref(), &key.message);
            // Stubs stand in for the names they stub, and explain nothing else.
            if let Change::Stubs { names, .. } = &trial.change
                && !name
                    .as_ref()
                    .is_some_and(|n| names.iter().any(|s| s.name == n.name))
            {
                continue;
            }
            let macro_name = name
                .as_ref()
                .is_some_and(|n| matches!(n.kind, NameKind::Macro | NameKind::Attribute));
            // The document's own definitions are no other item of the name
            // elsewhere on its lines: what they reveal there is the
            // example's. Where the name stands, they may not fit (a later
            // block's `bar` taking other arguments).
            let own_definitions = matches!(trial.change, Change::Context { .. });
            let replaced = (!macro_name && new_places.contains(&(key.line, key.column)))
                || (!own_definitions && name.is_some_and(|n| replaced_names.contains(&n.name)));
            if outcome.passed || (!outcome.errors.contains(key) && !replaced) {
                credits[i].push(t);
            }
        }
    }
    credits
}

/// Whether every backticked word of `message` is `path`, a prefix of it or
/// one of its segments (`unresolved import `a::b``, "cannot find `b` in `a`"
/// for `a::b::C`).
fn names_only_path(message: &str, path: &str) -> bool {
    let words: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    !words.is_empty()
        && words.iter().all(|w| {
            path == *w
                || path.starts_with(&format!("{w}::"))
                || path.split("::").any(|segment| segment == *w)
        })
}

/// The paths an import trial brings in, with their last segment
/// (`std::fmt::Error`, `Error`); none for other trials.
fn imported_paths(change: &Change) -> Vec<(String, String)> {
    let Change::Imports { lines, .. } = change else {
        return Vec::new();
    };
    lines
        .iter()
        .filter_map(|(_, line)| {
            let path = line
                .trim()
                .strip_prefix("use ")?
                .trim_end_matches(';')
                .trim();
            if path.contains(['{', '*', ' ']) {
                return None;
            }
            let last = path.rsplit("::").next()?.to_string();
            Some((path.to_string(), last))
        })
        .collect()
}

/// The cause of an error no variant removed.
fn unproven_cause(subject: &Subject<'_>, diagnostic: &Diagnostic, doc_code: &[&str]) -> Cause {
    if cause::diagnostic_build_env(diagnostic).is_some() {
        return Cause::BuildEnv;
    }
    if syntax_reason(subject, diagnostic).is_some() {
        return Cause::Syntax;
    }
    if undefined_method(subject, diagnostic, doc_code).is_some() {
        return Cause::Placeholder;
    }
    let gated = diagnostic.code.as_deref() == Some("E0554")
        || cause::unstable_feature(diagnostic.code.as_deref(), &diagnostic.message).is_some();
    match cause::unresolved_name(diagnostic.code.as_deref(), &diagnostic.message) {
        _ if gated => Cause::NightlyFeature,
        Some(name) if name.kind != NameKind::Module => Cause::Placeholder,
        _ => Cause::CodeBug,
    }
}

/// Why an error shows code that cannot stand where it is:
/// - `...` where code should be: a gap in a sketch, not a bug;
/// - `.await` among a fragment's statements, which the wrapper (as
///   rustdoc's) puts in a plain `fn main`.
fn syntax_reason(subject: &Subject<'_>, diagnostic: &Diagnostic) -> Option<String> {
    let line = diagnostic.line;
    if diagnostic.message.contains("`...`") || diagnostic.code.as_deref() == Some("E0586") {
        return Some(format!(
            "write the code that `...` stands for at line {line} (in hidden `# ` lines)"
        ));
    }
    let fragment = matches!(subject.unit.snippet.shape, Shape::Statements { .. });
    (fragment && diagnostic.code.as_deref() == Some("E0728")).then(|| {
        format!(
            "put the `.await` of line {line} inside an `async fn` (a fragment is wrapped in a plain \
             `fn main`, as rustdoc wraps it), e.g. `#[tokio::main] async fn main` in hidden `# ` lines"
        )
    })
}

/// `Type::method` when an error calls a method the example's own type
/// never defines, nor any block of its document (`self.render_fullscreen()`
/// on a struct the example declares): a stand-in for code left out, not a
/// bug in a library's API.
fn undefined_method(
    subject: &Subject<'_>,
    diagnostic: &Diagnostic,
    doc_code: &[&str],
) -> Option<String> {
    if diagnostic.code.as_deref() != Some("E0599") {
        return None;
    }
    let message = &diagnostic.message;
    let rest = message
        .strip_prefix("no method named `")
        .or_else(|| message.strip_prefix("no function or associated item named `"))?;
    let (method, rest) = rest.split_once('`')?;
    let ty = rest.split('`').nth(1)?;
    let ty = ty.trim_start_matches('&').trim_start_matches("mut ");
    let ty = ty.split('<').next()?.rsplit("::").next()?;
    if !subject.unit.snippet.syntax.defined_names.contains(ty) {
        return None;
    }
    let defined = doc_code
        .iter()
        .chain([&subject.unit.snippet.code.as_str()])
        .any(|code| {
            code.match_indices("fn ").any(|(at, _)| {
                let after = &code[at + 3..];
                after.starts_with(method)
                    && !after[method.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        });
    (!defined).then(|| format!("{ty}::{method}"))
}

/// Errors a real edit (imports, another block's definitions, nightly's
/// gates, the older edition) revealed: new errors of a credited trial. They
/// are the example's own, hidden before by the errors the edit removed (an
/// edition-2021 fence loses 2024's prelude: `Future` needs its `use`).
fn revealed_errors(
    keys: &[ErrorKey],
    trials: &[&Trial],
    attribution: &Attribution,
) -> Vec<ErrorKey> {
    let known: BTreeSet<&ErrorKey> = keys.iter().collect();
    let mut out = BTreeSet::new();
    for (t, trial) in trials.iter().enumerate() {
        if !matches!(
            trial.change,
            Change::Imports { .. }
                | Change::Context { .. }
                | Change::Nightly { .. }
                | Change::Edition(_)
        ) {
            continue;
        }
        // A trial credited with an error put no new error where that error
        // was, unless a macro it brought in reports there: that is the
        // macro's verdict on the example, revealed too.
        if !attribution.iter().any(|(_, by)| *by == Some(t)) {
            continue;
        }
        let Some(outcome) = &trial.outcome else {
            continue;
        };
        out.extend(
            outcome
                .errors
                .iter()
                .filter(|e| !known.contains(e) && !e.in_wrapper)
                .cloned(),
        );
    }
    out.into_iter().collect()
}

fn classify(
    subject: &Subject<'_>,
    trials: &[&Trial],
    drift: BTreeMap<String, (String, Option<String>)>,
    (doc, doc_code): (Option<&DocFacts>, &[&str]),
) -> Diagnosis {
    let primary: Vec<&Diagnostic> = errors(subject.result).collect();
    let keys: Vec<ErrorKey> = primary.iter().map(|d| ErrorKey::of(d)).collect();
    let credits = attribute_errors(&keys, trials);
    // Of the variants that remove an error, a real edit beats stubs (which
    // only stand in for what is missing); then the one that removes the most
    // errors of the example explains it (an import that makes a macro
    // rewrite the code explains the edition error it caused too); a tie goes
    // to the taxonomy's precedence.
    let explained = |t: usize| credits.iter().filter(|by| by.contains(&t)).count();
    let attribution: Attribution = credits
        .iter()
        .zip(&primary)
        .map(|(by, diagnostic)| {
            by.iter()
                .map(|&t| (trials[t].change.proves(), Some(t)))
                .min_by_key(|(cause, t)| {
                    let stubs = t.is_some_and(|t| matches!(trials[t].change, Change::Stubs { .. }));
                    (
                        stubs,
                        std::cmp::Reverse(t.map_or(0, explained)),
                        cause.rank(),
                    )
                })
                .unwrap_or_else(|| (unproven_cause(subject, diagnostic, doc_code), None))
        })
        .collect();
    let revealed = revealed_errors(&keys, trials, &attribution);
    // The first error the build reported decides.
    let cause = attribution.first().map_or(Cause::CodeBug, |(c, _)| *c);
    let mut others: BTreeSet<Cause> = attribution.iter().map(|(c, _)| *c).collect();
    for error in &revealed {
        others.insert(
            match cause::unstable_feature(error.code.as_deref(), &error.message) {
                Some(_) => Cause::NightlyFeature,
                None => Cause::CodeBug,
            },
        );
    }
    others.remove(&cause);
    let mut other_causes: Vec<Cause> = others.into_iter().collect();
    other_causes.sort_by_key(|c| c.rank());

    let evidence = trials
        .iter()
        .enumerate()
        .filter_map(|(t, trial)| {
            let outcome = trial.outcome.as_ref()?;
            let explains = attribution
                .iter()
                .zip(&keys)
                .filter(|((_, by), _)| *by == Some(t))
                .map(|(_, key)| key.quoted())
                .collect();
            Some(Evidence {
                variant: trial.change.describe(),
                toolchain: trial.toolchain.clone(),
                passed: outcome.passed,
                tests: trial.change.proves(),
                remaining: outcome.remaining.clone(),
                not_built: outcome.not_built.clone(),
                explains,
            })
        })
        .collect();
    let detail = suggestion_detail(
        subject,
        trials,
        (&attribution, &primary, &revealed),
        &drift,
        (doc, doc_code),
    );
    let proven_imports = detail
        .imports
        .iter()
        .map(|i| i.trim_matches('`').to_string())
        .collect();
    Diagnosis {
        cause,
        other_causes: other_causes.clone(),
        evidence,
        suggestion: cause::combined_suggestion(cause, &other_causes, &detail),
        drift,
        proven_imports,
    }
}

/// What the suggestion names: the gates, the drift, the imports and the
/// other blocks' definitions that explained errors, the placeholders and
/// the errors nothing explained.
fn suggestion_detail(
    subject: &Subject<'_>,
    trials: &[&Trial],
    (attribution, primary, revealed): (&Attribution, &[&Diagnostic], &[ErrorKey]),
    drift: &BTreeMap<String, (String, Option<String>)>,
    (doc, doc_code): (Option<&DocFacts>, &[&str]),
) -> SuggestionDetail {
    let features: Vec<String> = primary
        .iter()
        .map(|d| (d.code.as_deref(), d.message.as_str()))
        .chain(
            revealed
                .iter()
                .map(|e| (e.code.as_deref(), e.message.as_str())),
        )
        .filter_map(|(code, message)| cause::unstable_feature(code, message))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut imports = BTreeSet::new();
    let mut context = BTreeSet::new();
    let mut placeholders = BTreeSet::new();
    let mut code_errors = Vec::new();
    let mut needs = Vec::new();
    let mut syntax = Vec::new();
    for ((cause, by), diagnostic) in attribution.iter().zip(primary) {
        let name = cause::unresolved_name(diagnostic.code.as_deref(), &diagnostic.message);
        match (cause, by.map(|t| &trials[t].change), name) {
            (Cause::MissingImport, Some(Change::Imports { lines, .. }), name) => {
                // The candidate of this name, or every line of the variant.
                let mine: Vec<&String> = lines
                    .iter()
                    .map(|(_, text)| text)
                    .filter(|text| name.as_ref().is_some_and(|n| imports_name(text, &n.name)))
                    .collect();
                let all: Vec<&String> = lines.iter().map(|(_, text)| text).collect();
                let chosen = if mine.is_empty() { all } else { mine };
                imports.extend(chosen.into_iter().map(|text| format!("`{text}`")));
            }
            (Cause::NeedsContext, Some(Change::Context { .. }), Some(name)) => {
                let place = doc
                    .and_then(|d| d.defined.get(&name.name))
                    .map(|line| format!(" (the block at line {line})"))
                    .unwrap_or_default();
                context.insert(format!("`{}`{place}", name.name));
            }
            (Cause::Placeholder, _, Some(name)) => {
                let place = doc
                    .and_then(|d| d.defined.get(&name.name))
                    .map(|line| format!(" (defined in the block at line {line})"))
                    .unwrap_or_default();
                placeholders.insert((name.name, place));
            }
            (Cause::Placeholder, _, None) => {
                placeholders.extend(
                    undefined_method(subject, diagnostic, doc_code).map(|m| (m, String::new())),
                );
            }
            (Cause::Syntax, _, _) => syntax.extend(syntax_reason(subject, diagnostic)),
            (Cause::CodeBug, _, _) => code_errors.push(ErrorKey::of(diagnostic).quoted()),
            (Cause::BuildEnv, _, _) => needs.extend(cause::diagnostic_build_env(diagnostic)),
            _ => {}
        }
    }
    code_errors.extend(
        revealed
            .iter()
            .filter(|e| cause::unstable_feature(e.code.as_deref(), &e.message).is_none())
            .map(ErrorKey::quoted),
    );
    code_errors.dedup();
    code_errors.truncate(MAX_QUOTED);
    SuggestionDetail {
        features,
        edition: Some(Edition::E2021),
        edition_hint: errors(subject.result)
            .next()
            .map(|d| format!("edition 2024 says: {}", d.message)),
        drift: drift
            .iter()
            .next()
            .map(|(krate, (last, first))| (krate.clone(), last.clone(), first.clone())),
        pre_release: passing_pre_release(trials),
        imports: imports.into_iter().collect(),
        placeholders: placeholders
            .into_iter()
            .map(|(name, place)| format!("`{name}`{place}"))
            .collect(),
        context: context.into_iter().collect(),
        code_errors,
        needs,
        syntax,
    }
}

/// Whether a `use` line brings `name` into scope (`use a::b::Name;`,
/// `use a::{Name, Other};`, `use a::Thing as Name;`).
fn imports_name(line: &str, name: &str) -> bool {
    line.trim_end_matches(';')
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .any(|word| word == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::deps::DepSet;
    use crate::diagnose::{Edit, Suggestion};
    use crate::extract::extract;
    use crate::prepare::{Code, Entry};
    use crate::progress::Purpose;
    use crate::wrap::wrap;

    fn entry(code: &str) -> Entry {
        let doc = format!("```rust\n{code}\n```\n");
        let block = extract(&doc).into_iter().next().expect("one block");
        let snippet = analyze(&block);
        let wrapped = wrap(&snippet).expect("the test snippets wrap");
        Entry {
            file: "doc.md".into(),
            block,
            id: "doc-0".into(),
            code: Code::Wrapped(Box::new((snippet, wrapped))),
        }
    }

    fn unit<'e>(entry: &'e Entry, deps: &'e DepSet) -> Unit<'e> {
        Unit {
            entry,
            snippet: entry.snippet().expect("a snippet"),
            wrapped: entry.wrapped().expect("wrapped"),
            deps,
        }
    }

    fn error(code: &str, message: &str) -> Diagnostic {
        Diagnostic {
            level: "error".into(),
            code: Some(code.into()),
            message: message.into(),
            file: "doc.md".into(),
            line: 2,
            column: 1,
            end_line: 2,
            end_column: 2,
            label: None,
            in_wrapper: false,
            notes: Vec::new(),
        }
    }

    fn error_at(line: u32, code: &str, message: &str) -> Diagnostic {
        Diagnostic {
            line,
            ..error(code, message)
        }
    }

    /// A variant that built, or (`passed == false`) that still has every
    /// error of the example.
    fn tried(change: Change, passed: bool) -> Trial {
        Trial {
            subject: 0,
            change,
            toolchain: "stable".into(),
            outcome: Some(Outcome {
                passed,
                remaining: Vec::new(),
                errors: BTreeSet::new(),
                not_built: None,
            }),
        }
    }

    /// A variant that still fails with these errors.
    fn failing_with(change: Change, remaining: &[Diagnostic]) -> Trial {
        let mut trial = tried(change, false);
        if let Some(outcome) = &mut trial.outcome {
            outcome.errors = remaining.iter().map(ErrorKey::of).collect();
            outcome.remaining = vec!["(quoted)".into()];
        }
        trial
    }

    #[track_caller]
    #[test]
    fn what_a_variant_replaced_it_did_not_explain() {
        let import = |line: &str| Change::Imports {
            lines: vec![(1, line.into())],
            deps: vec![],
        };
        // A derive brought in reports its own errors where it is called: the
        // import explains the missing derive, the new error is revealed.
        let derive = || error_at(3, "", "cannot find derive macro `Error` in this scope");
        let gate = error_at(
            3,
            "E0658",
            "use of unstable library feature `error_generic_member_access`",
        );
        let d = check(
            vec![derive()],
            vec![],
            vec![failing_with(import("use thiserror::Error;"), &[gate])],
            (Cause::MissingImport, &[Cause::NightlyFeature]),
        );
        assert!(
            d.suggestion.starts_with(
                "add `use thiserror::Error;`, then add `#![feature(error_generic_member_access)]`"
            ),
            "{}",
            d.suggestion
        );
        // A type error naming the imported item: the example meant another `Error`.
        let error_type = || error_at(2, "E0412", "cannot find type `Error` in this scope");
        let retyped = error_at(
            4,
            "E0277",
            "`?` couldn't convert the error to `std::fmt::Error`",
        );
        check(
            vec![error_type()],
            vec![],
            vec![failing_with(import("use std::fmt::Error;"), &[retyped])],
            (Cause::Placeholder, &[]),
        );
        // An import whose own line fails (a module behind a feature) explains nothing.
        let failed = Diagnostic {
            in_wrapper: true,
            ..error_at(1, "E0432", "unresolved import `sqlx_core::config`")
        };
        check(
            vec![error_type()],
            vec![],
            vec![failing_with(
                import("use sqlx_core::config::Error;"),
                &[failed],
            )],
            (Cause::Placeholder, &[]),
        );
    }

    #[test]
    fn what_the_older_edition_reveals_is_quoted() {
        let unsafe_extern = || error_at(3, "", "extern blocks must be unsafe");
        let future = error_at(7, "E0405", "cannot find trait `Future` in this scope");
        let d = check(
            vec![unsafe_extern()],
            vec![],
            vec![failing_with(Change::Edition(Edition::E2021), &[future])],
            (Cause::EditionDrift, &[Cause::CodeBug]),
        );
        assert!(
            d.suggestion.ends_with(
                "then fix the example: line 7: cannot find trait `Future` in this scope"
            ),
            "{}",
            d.suggestion
        );
    }

    #[test]
    fn the_documents_own_definitions_replace_nothing() {
        let user = || error_at(6, "E0412", "cannot find type `User` in this scope");
        let context = Change::Context {
            blocks: vec![20],
            source: "struct User;".into(),
            deps: vec![],
        };
        let revealed = Diagnostic {
            column: 9,
            ..error_at(6, "E0560", "struct `User` has no field named `age`")
        };
        check(
            vec![user()],
            vec![],
            vec![failing_with(context, &[revealed])],
            (Cause::NeedsContext, &[Cause::CodeBug]),
        );
    }

    #[test]
    fn fragments_awaiting_and_methods_left_out() {
        // `.await` among a fragment's statements cannot stand in `fn main`.
        let d = check_in(
            ("let f = async { 1 };\nf.await", &[]),
            vec![error_at(
                2,
                "E0728",
                "`await` is only allowed inside `async` functions and blocks",
            )],
            vec![],
            vec![],
            (Cause::Syntax, &[]),
        );
        assert!(d.suggestion.contains("async fn"), "{}", d.suggestion);
        // In a `fn main` the example wrote, it is the example's bug.
        check_in(
            (
                "fn main() {\n    let f = async { 1 };\n    f.await;\n}",
                &[],
            ),
            vec![error_at(
                3,
                "E0728",
                "`await` is only allowed inside `async` functions and blocks",
            )],
            vec![],
            vec![],
            (Cause::CodeBug, &[]),
        );
        // A method the example's own type never defines, nor any block.
        let own =
            "struct Modal;\nimpl Modal {\n    fn run(&self) {\n        self.show();\n    }\n}";
        let no_method = || {
            error_at(
                4,
                "E0599",
                "no method named `show` found for reference `&Modal` in the current scope",
            )
        };
        let d = check_in(
            (own, &[]),
            vec![no_method()],
            vec![],
            vec![],
            (Cause::Placeholder, &[]),
        );
        assert!(
            d.suggestion.starts_with("define `Modal::show`"),
            "{}",
            d.suggestion
        );
        // Defined in another block: not a stand-in.
        check_in(
            (own, &["impl Modal {\n    fn show(&self) {}\n}"]),
            vec![no_method()],
            vec![],
            vec![],
            (Cause::CodeBug, &[]),
        );
        // On a library's type: the library's API, not a placeholder.
        check_in(
            (own, &[]),
            vec![error_at(
                4,
                "E0599",
                "no method named `show` found for struct `Router` in the current scope",
            )],
            vec![],
            vec![],
            (Cause::CodeBug, &[]),
        );
    }

    #[track_caller]
    fn check(
        diagnostics: Vec<Diagnostic>,
        suggestions: Vec<Suggestion>,
        trials: Vec<Trial>,
        expected: (Cause, &[Cause]),
    ) -> Diagnosis {
        check_in(
            ("fn f() {}", &[]),
            diagnostics,
            suggestions,
            trials,
            expected,
        )
    }

    /// [`check`] for an example with this code, in a document whose other
    /// blocks have this code.
    #[track_caller]
    fn check_in(
        (code, doc_code): (&str, &[&str]),
        diagnostics: Vec<Diagnostic>,
        suggestions: Vec<Suggestion>,
        trials: Vec<Trial>,
        expected: (Cause, &[Cause]),
    ) -> Diagnosis {
        let entry = entry(code);
        let result = UnitResult {
            diagnostics,
            built: false,
            suggestions,
        };
        let deps = DepSet::default();
        let subject = Subject {
            unit: unit(&entry, &deps),
            result: &result,
        };
        let mut trials = trials;
        for trial in &mut trials {
            if let Some(outcome) = trial.outcome.as_mut().filter(|o| {
                !o.passed && o.errors.is_empty() && o.remaining.is_empty() && o.not_built.is_none()
            }) {
                outcome.errors = errors(&result).map(ErrorKey::of).collect();
            }
        }
        let refs: Vec<&Trial> = trials.iter().collect();
        let diagnosis = classify(&subject, &refs, BTreeMap::new(), (None, doc_code));
        assert_eq!(
            (diagnosis.cause, diagnosis.other_causes.as_slice()),
            expected
        );
        diagnosis
    }

    fn import_of(name: &str, path: &str) -> Suggestion {
        Suggestion {
            message: "consider importing this struct".into(),
            code: Some("E0412".into()),
            for_message: format!("cannot find type `{name}` in this scope"),
            candidates: vec![Edit {
                line_start: 2,
                column_start: 1,
                line_end: 2,
                column_end: 1,
                text: format!("use {path};\n"),
            }],
            applicability: Some("MaybeIncorrect".into()),
        }
    }

    #[test]
    fn drift_tries_the_published_series_below_and_a_newer_pre_release() {
        let entry = entry("fn f() { let _ = tauri::Builder::default(); }");
        let mut registry = crate::registry::tests::recorded_registry(&["tauri", "axum"]);
        let dep =
            |name: &str, requirement: &str| crate::deps::DepSpec::registry(name, name, requirement);
        let deps = DepSet {
            deps: vec![dep("tauri", "2.12.5"), dep("axum", "0.8.9")],
            ..DepSet::default()
        };
        let result = UnitResult {
            diagnostics: vec![error(
                "E0433",
                "failed to resolve: could not find `Builder` in `tauri`",
            )],
            built: false,
            suggestions: Vec::new(),
        };
        let subjects = [Subject {
            unit: unit(&entry, &deps),
            result: &result,
        }];
        let wanted = drift_candidates(&subjects, &BTreeMap::new(), &registry);
        let keys: Vec<&str> = wanted[&0].iter().map(|(_, key)| key.as_str()).collect();
        // axum is not in the errors; tauri's series below 2 is 1 (1.6.5 is yanked).
        assert_eq!(keys, ["tauri@1.6.4", "tauri@3.0.0-alpha.5"]);
        let _ = registry.lookup(keys.iter().map(|k| (*k).to_owned()).collect());
        assert_eq!(registry.version("tauri@1.6.4").as_deref(), Some("1.6.4"));
        assert_eq!(
            registry.version("tauri@3.0.0-alpha.5").as_deref(),
            Some("3.0.0-alpha.5")
        );
    }

    #[test]
    fn bisection_tries_published_releases_and_finds_the_first_that_fails() {
        let registry = crate::registry::tests::recorded_registry(&["axum"]);
        // Round 1: the pinned 0.5 series built.
        let passing = vec![(0, "axum".to_string(), "0.5.17".to_string())];
        let (keys, series) = series_between_passing(&passing, &registry);
        assert_eq!(
            keys,
            BTreeSet::from(["axum@0.6.20".to_string(), "axum@0.7.9".to_string()])
        );
        let to_try: Vec<&str> = series.iter().map(|(_, _, v)| v.as_str()).collect();
        assert_eq!(to_try, ["0.7.9", "0.6.20"], "newest first");
        // Round 2: 0.6.20 builds, 0.7.9 does not (listed newest first).
        let version = |version: &str| Change::DependencyVersion {
            crate_name: "axum".into(),
            version: version.into(),
        };
        let round2 = vec![
            tried(version("0.7.9"), false),
            tried(version("0.6.20"), true),
        ];
        let (drift, boundaries) = drift_boundaries(&passing, &round2, &registry);
        assert_eq!(
            drift[&0]["axum"],
            ("0.6.20".to_string(), Some("0.7.9".to_string()))
        );
        // Round 3 tries the oldest published 0.7 release, not an assumed one.
        assert_eq!(
            boundaries,
            [(
                0,
                "axum".to_string(),
                "0.7.9".to_string(),
                "0.7.0".to_string()
            )]
        );
        // Every release named is published and not yanked.
        let facts = registry.facts("axum").expect("recorded");
        for named in ["0.5.17", "0.6.20", "0.7.9", "0.7.0"] {
            assert!(
                facts
                    .releases
                    .iter()
                    .any(|r| r.version.to_string() == named && !r.yanked),
                "{named}"
            );
        }
    }

    #[test]
    fn classification() {
        let unstable = || error("E0658", "use of unstable library feature `portable_simd`");
        // Nightly with the gate builds: nightly-feature alone.
        check(
            vec![unstable()],
            vec![],
            vec![tried(
                Change::Nightly {
                    features: vec!["portable_simd".into()],
                },
                true,
            )],
            (Cause::NightlyFeature, &[]),
        );
        // Still failing on nightly: the example has a bug too.
        let d = check(
            vec![unstable()],
            vec![],
            vec![failing_with(
                Change::Nightly { features: vec![] },
                &[error_at(3, "E0308", "mismatched types")],
            )],
            (Cause::NightlyFeature, &[Cause::CodeBug]),
        );
        assert!(
            d.suggestion
                .contains("then fix the example: line 3: mismatched types")
        );
        // An older edition builds.
        check(
            vec![error("E0000", "extern blocks must be unsafe")],
            vec![],
            vec![tried(Change::Edition(Edition::E2021), true)],
            (Cause::EditionDrift, &[]),
        );
        // The pinned release removes the first error; a name is missing too.
        let handler = || error_at(4, "E0425", "cannot find function `handler` in this scope");
        let d = check(
            vec![error("E0433", "cannot find `Server` in `axum`"), handler()],
            vec![],
            vec![failing_with(
                Change::DependencyVersion {
                    crate_name: "axum".into(),
                    version: "0.6.20".into(),
                },
                &[handler()],
            )],
            (Cause::DependencyDrift, &[Cause::Placeholder]),
        );
        assert_eq!(
            d.evidence
                .iter()
                .map(|e| (e.variant.as_str(), e.explains.as_slice()))
                .collect::<Vec<_>>(),
            [(
                "axum =0.6.20",
                ["line 2: cannot find `Server` in `axum`".to_string()].as_slice()
            )]
        );
        assert!(
            d.suggestion.contains(", then define `handler`"),
            "{}",
            d.suggestion
        );
        // Only the newer pre-release builds: the report says so, and the
        // suggestion pins the pre-release rather than an older series.
        let d = check(
            vec![error("E0433", "cannot find `WebviewBuilder` in `tauri`")],
            vec![],
            vec![tried(
                Change::DependencyVersion {
                    crate_name: "tauri".into(),
                    version: "3.0.0-alpha.5".into(),
                },
                true,
            )],
            (Cause::DependencyDrift, &[]),
        );
        assert_eq!(d.evidence[0].variant, "tauri =3.0.0-alpha.5");
        assert!(d.drift.is_empty(), "{:?}", d.drift);
        assert!(
            d.suggestion
                .contains("builds only with the pre-release tauri 3.0.0-alpha.5")
                && d.suggestion.contains("`tauri = \"=3.0.0-alpha.5\"`"),
            "{}",
            d.suggestion
        );
        // The suggested import is all that was missing: not a placeholder.
        let hashmap = || error("E0412", "cannot find type `HashMap` in this scope");
        check(
            vec![hashmap()],
            vec![import_of("HashMap", "std::collections::HashMap")],
            vec![tried(
                Change::Imports {
                    lines: vec![(2, "use std::collections::HashMap;".into())],
                    deps: vec![],
                },
                true,
            )],
            (Cause::MissingImport, &[]),
        );
        // The import did not help: the name is a placeholder.
        check(
            vec![error(
                "E0412",
                "cannot find type `BorrowError` in this scope",
            )],
            vec![import_of("BorrowError", "std::cell::BorrowError")],
            vec![tried(
                Change::Imports {
                    lines: vec![(2, "use std::cell::BorrowError;".into())],
                    deps: vec![],
                },
                false,
            )],
            (Cause::Placeholder, &[]),
        );
        // Nothing explains it.
        let d = check(
            vec![error("E0308", "mismatched types")],
            vec![],
            vec![tried(Change::Edition(Edition::E2021), false)],
            (Cause::CodeBug, &[]),
        );
        assert_eq!(d.suggestion, "fix the example: line 2: mismatched types");
    }

    /// Each error is credited to the variant that removes it: the import
    /// explains the missing names, the cast nobody explains is the example's.
    #[test]
    fn causes_are_proven_error_by_error() {
        let missing = |line| {
            error_at(
                line,
                "E0412",
                "cannot find type `PhantomData` in this scope",
            )
        };
        let cast = || error_at(9, "E0606", "casting `&u8` as `u32` is invalid");
        let import = || Change::Imports {
            lines: vec![(1, "use std::marker::PhantomData;".into())],
            deps: vec![],
        };
        let d = check(
            vec![missing(3), missing(5), cast()],
            vec![import_of("PhantomData", "std::marker::PhantomData")],
            vec![failing_with(import(), &[cast()])],
            (Cause::MissingImport, &[Cause::CodeBug]),
        );
        assert_eq!(
            d.suggestion,
            "add `use std::marker::PhantomData;`, then fix the example: line 9: casting `&u8` as `u32` is invalid"
        );
        assert_eq!(d.proven_imports, ["use std::marker::PhantomData;"]);
        assert_eq!(d.evidence[0].explains.len(), 2);

        // The first error decides the primary cause, even when it is the example's own.
        check(
            vec![cast(), missing(12)],
            vec![import_of("PhantomData", "std::marker::PhantomData")],
            vec![failing_with(import(), &[cast()])],
            (Cause::CodeBug, &[Cause::MissingImport]),
        );

        // Of two candidates, the one that puts a new error on the name's line
        // replaced the error: only the other explains it.
        let map = || error_at(4, "E0412", "cannot find type `Map` in this scope");
        let wrong = failing_with(
            Change::Imports {
                lines: vec![(1, "use std::iter::Map;".into())],
                deps: vec![],
            },
            &[error_at(4, "E0107", "missing generics for struct `Map`")],
        );
        let right = tried(
            Change::Imports {
                lines: vec![(1, "use serde_json::Map;".into())],
                deps: vec![],
            },
            true,
        );
        let d = check(
            vec![map()],
            vec![],
            vec![wrong, right],
            (Cause::MissingImport, &[]),
        );
        assert_eq!(d.proven_imports, ["use serde_json::Map;"]);
        assert!(d.evidence[0].explains.is_empty());

        // A new error elsewhere on the line about the same name: replaced too.
        let borrow = || error_at(7, "E0412", "cannot find type `BorrowError` in this scope");
        let std_item = failing_with(
            Change::Imports {
                lines: vec![(1, "use std::cell::BorrowError;".into())],
                deps: vec![],
            },
            &[Diagnostic {
                column: 24,
                ..error_at(
                    7,
                    "E0599",
                    "no associated item named `AlreadyBorrowed` found for struct `std::cell::BorrowError` in the current scope",
                )
            }],
        );
        check(
            vec![borrow()],
            vec![],
            vec![std_item],
            (Cause::Placeholder, &[]),
        );

        // A variant cargo did not build proves nothing and says why.
        let mut unbuilt = tried(Change::Edition(Edition::E2021), false);
        unbuilt.outcome = Some(Outcome::not_built(
            "cargo cannot resolve its dependencies".into(),
        ));
        let d = check(
            vec![error("E0308", "mismatched types")],
            vec![],
            vec![unbuilt],
            (Cause::CodeBug, &[]),
        );
        assert_eq!(
            d.evidence[0].not_built.as_deref(),
            Some("cargo cannot resolve its dependencies")
        );

        // An error that names what the build needs from its environment.
        let d = check(
            vec![
                error_at(
                    3,
                    "",
                    "environment variable `API_TOKEN` not defined at compile time",
                ),
                error_at(5, "E0308", "mismatched types"),
            ],
            vec![],
            vec![],
            (Cause::BuildEnv, &[Cause::CodeBug]),
        );
        assert!(d.suggestion.contains("API_TOKEN"), "{}", d.suggestion);

        // Another block's definitions remove what the stubs would too: needs-context wins.
        let user = || error_at(6, "E0412", "cannot find type `User` in this scope");
        let context = Change::Context {
            blocks: vec![20],
            source: "struct User;".into(),
            deps: vec![],
        };
        let stubs = Change::Stubs {
            imports: vec![],
            names: vec![UnresolvedName {
                name: "User".into(),
                kind: NameKind::Type,
            }],
        };
        let d = check(
            vec![user()],
            vec![],
            vec![tried(stubs, true), tried(context, true)],
            (Cause::NeedsContext, &[]),
        );
        assert!(
            d.suggestion
                .starts_with("make the block stand alone: define `User`"),
            "{}",
            d.suggestion
        );
    }

    #[test]
    fn first_round_plans_the_variants_the_errors_call_for() {
        let entry = entry("let total = count + 1;\nlet m: HashMap<u8, u8> = HashMap::new();");
        let result = UnitResult {
            diagnostics: vec![
                error("E0425", "cannot find value `count` in this scope"),
                error("E0412", "cannot find type `HashMap` in this scope"),
                error("E0658", "use of unstable library feature `portable_simd`"),
            ],
            built: false,
            suggestions: vec![import_of("HashMap", "std::collections::HashMap")],
        };
        let deps = DepSet::default();
        let subject = Subject {
            unit: unit(&entry, &deps),
            result: &result,
        };
        let registry = crate::registry::tests::offline_registry();
        let toolchains = Toolchains {
            primary: "stable",
            nightly: Some("nightly"),
        };
        let described: Vec<String> = first_round(
            0,
            &subject,
            toolchains,
            &registry,
            None,
            &import_candidates(&subject, None),
        )
        .iter()
        .map(|t| format!("{} on {}", t.change.describe(), t.toolchain))
        .collect();
        assert_eq!(
            described,
            [
                "nightly with #![feature(portable_simd)] on nightly",
                "edition 2021 on stable",
                "with use std::collections::HashMap; on stable",
                // `count` is a value: nothing to stub, so only the all-names variant remains.
                "with stubs for count, HashMap on stable",
            ]
        );
    }

    /// A variant cargo left out of the round's resolution is handed back for
    /// a split build and says why it was not built; one cargo reported
    /// nothing for, or built nothing for without an error, says so too.
    #[test]
    fn variants_not_built_say_why_and_are_split_off() {
        let change = || Change::Edition(Edition::E2021);
        let mut trials: Vec<Trial> = (0..4)
            .map(|_| Trial {
                subject: 0,
                change: change(),
                toolchain: "stable".into(),
                outcome: None,
            })
            .collect();
        let mut built = BuildOutcome::default();
        built.unresolvable.insert(
            "p0".into(),
            "failed to select a version for `shared`".into(),
        );
        built.units.insert(
            "p2".into(),
            UnitResult {
                diagnostics: vec![],
                built: false,
                suggestions: vec![],
            },
        );
        built.units.insert(
            "p3".into(),
            UnitResult {
                diagnostics: vec![error("E0308", "mismatched types")],
                built: false,
                suggestions: vec![],
            },
        );
        let packages: Vec<(usize, String)> = (0..4).map(|n| (n, format!("p{n}"))).collect();
        let left_out = absorb_trials(&built, &packages, &mut trials);
        assert_eq!(left_out, [0]);
        let why: Vec<Option<String>> = trials
            .iter()
            .map(|t| t.outcome.as_ref().and_then(|o| o.not_built.clone()))
            .collect();
        assert_eq!(
            why[0].as_deref(),
            Some("cargo cannot resolve its dependencies: failed to select a version for `shared`")
        );
        assert_eq!(why[1].as_deref(), Some("cargo reported nothing for it"));
        assert!(
            why[2]
                .as_deref()
                .is_some_and(|w| w.starts_with("a dependency failed to build"))
        );
        assert_eq!(why[3], None);
        assert_eq!(trials[3].outcome.as_ref().map(|o| o.errors.len()), Some(1));
        // A build the run stopped proves nothing of what it did not finish.
        built.interrupted = true;
        absorb_trials(&built, &packages, &mut trials);
        assert!(trials.iter().all(|t| {
            t.outcome.as_ref().and_then(|o| o.not_built.as_deref())
                == Some("the run was interrupted")
        }));
    }

    #[test]
    fn every_candidate_of_a_name_is_a_variant() {
        let entry = entry("let m: Map<String, u8> = Map::new();");
        let mut suggestion = import_of("Map", "std::iter::Map");
        let mut second = suggestion.candidates[0].clone();
        second.text = "use serde_json::Map;\n".into();
        suggestion.candidates.push(second);
        let result = UnitResult {
            diagnostics: vec![error("E0412", "cannot find type `Map` in this scope")],
            built: false,
            suggestions: vec![suggestion],
        };
        let deps = DepSet::default();
        let subject = Subject {
            unit: unit(&entry, &deps),
            result: &result,
        };
        let registry = crate::registry::tests::offline_registry();
        let toolchains = Toolchains {
            primary: "stable",
            nightly: None,
        };
        let described: Vec<String> = first_round(
            0,
            &subject,
            toolchains,
            &registry,
            None,
            &import_candidates(&subject, None),
        )
        .iter()
        .map(|t| t.change.describe())
        .collect();
        assert_eq!(
            described,
            [
                "edition 2021",
                "with use std::iter::Map;",
                "with use serde_json::Map;",
                // Every name has an import: only the all-stubs variant.
                "with stubs for Map",
            ]
        );
    }

    #[test]
    fn another_blocks_definitions_make_a_context_variant() {
        let doc = "```rust\nuse std::fmt;\n\n#[derive(Debug)]\nstruct User {\n    name: String,\n}\n\nimpl User {\n    fn new() -> Self { User { name: String::new() } }\n}\n\nfn main() {}\n```\n\n```rust\nlet user = User::new();\nprintln!(\"{user:?}\");\n```\n";
        let entries: Vec<Entry> = extract(doc)
            .into_iter()
            .enumerate()
            .map(|(n, block)| {
                let snippet = analyze(&block);
                let wrapped = wrap(&snippet).expect("the test snippets wrap");
                Entry {
                    file: "doc.md".into(),
                    block,
                    id: format!("doc-{n}"),
                    code: Code::Wrapped(Box::new((snippet, wrapped))),
                }
            })
            .collect();
        let deps = DepSet::default();
        let units: Vec<Unit<'_>> = entries.iter().map(|e| unit(e, &deps)).collect();
        let result = UnitResult {
            diagnostics: vec![error(
                "E0433",
                "failed to resolve: use of undeclared type `User`",
            )],
            built: false,
            suggestions: vec![],
        };
        let subject = Subject {
            unit: units[1],
            result: &result,
        };
        let Some(Change::Context { blocks, source, .. }) = context_change(&subject, &units) else {
            panic!("a context variant");
        };
        assert_eq!(blocks, [1]);
        assert_eq!(
            source,
            "use std::fmt;\n#[derive(Debug)]\nstruct User {\n    name: String,\n}\nimpl User {\n    fn new() -> Self { User { name: String::new() } }\n}"
        );
        // A document that defines nothing of it gives no context.
        assert!(context_change(&subject, &units[1..]).is_none());
    }

    /// The first diagnosis round of `variants.md`, replayed from the recorded
    /// cargo output: the variants the errors call for, one build, and what
    /// each variant's outcome proves.
    #[test]
    fn a_variant_round_proves_an_import_and_an_edition() {
        let doc = crate::executor::replay::Document::load("variants");
        let units = doc.units();
        let hints = crate::cache::FailureHints::load(std::path::PathBuf::from("no-hints.json"));
        let all: Vec<usize> = (0..units.len()).collect();
        let (jobs, _) = crate::primary::plan_jobs(&units, &all, true, &hints);
        let primary = BuildPlan::primary("stable", jobs, &LockSeed::Keep);
        let built = crate::executor::replay::build(&primary, "variants-primary");
        let subjects: Vec<Subject<'_>> = units
            .iter()
            .map(|&unit| Subject {
                unit,
                result: &built.units[&unit.package()],
            })
            .collect();
        let registry = crate::registry::tests::offline_registry();
        let toolchains = Toolchains {
            primary: "stable",
            nightly: Some("nightly"),
        };
        let trials: Vec<Trial> = subjects
            .iter()
            .enumerate()
            .flat_map(|(n, s)| {
                first_round(
                    n,
                    s,
                    toolchains,
                    &registry,
                    None,
                    &import_candidates(s, None),
                )
            })
            .collect();
        let all_trials: Vec<usize> = (0..trials.len()).collect();
        let (plan, packages) = plan_round(
            "variants",
            "stable",
            &subjects,
            &trials,
            &all_trials,
            &LockSeed::Keep,
        );
        assert_eq!(plan.workspace, "variants-stable");
        assert_eq!(plan.purpose, Purpose::Diagnosing);
        assert_eq!(packages.len(), trials.len());
        let round = crate::executor::replay::build(&plan, "variants-round-1");
        let mut trials = trials;
        absorb_trials(&round, &packages, &mut trials);
        let outcomes: Vec<(usize, String, bool)> = trials
            .iter()
            .map(|t| {
                let passed = t.outcome.as_ref().expect("every variant was built").passed;
                (t.subject, t.change.describe(), passed)
            })
            .collect();
        assert_eq!(
            outcomes,
            [
                (0, "edition 2021".to_string(), false),
                (0, "with use std::collections::HashMap;".to_string(), true),
                (0, "with stubs for HashMap".to_string(), false),
                (1, "edition 2021".to_string(), true),
            ]
        );
        let causes: Vec<Cause> = subjects
            .iter()
            .enumerate()
            .map(|(n, subject)| {
                let mine: Vec<&Trial> = trials.iter().filter(|t| t.subject == n).collect();
                classify(subject, &mine, BTreeMap::new(), (None, &[])).cause
            })
            .collect();
        assert_eq!(causes, [Cause::MissingImport, Cause::EditionDrift]);
    }
}
