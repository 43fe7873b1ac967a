//! The experiments: variant builds of failing snippets, in as few cargo runs as
//! possible, and what their outcomes prove.
//!
//! Round 1 builds, for every failing snippet at once, each variant its errors
//! call for: an older edition, nightly with the feature gates, the document's
//! pinned (or the previous) release series of a crate, the imports rustc names,
//! stubs for undefined names. Round 2 and 3 narrow a dependency drift down to
//! the release series, then the release, where the example broke. Each round is
//! one workspace and one `cargo clippy` per toolchain; the cause is read from
//! which variants built (see `cause.rs` for the taxonomy and precedence).

use std::collections::{BTreeMap, BTreeSet};

use crate::cause::{self, Cause, Change, SuggestionDetail, UnresolvedName};
use crate::diagnose::{self, UnitResult};
use crate::error::Result;
use crate::fence::Edition;
use crate::report::{Diagnostic, Evidence, Status};

use crate::executor::{BuildOutcome, BuildPlan, Executor, Job, LockSeed};
use crate::log::Log;
use crate::prepare::{DocFacts, Unit};
use crate::registry::Registry;
use crate::trace;

/// Most crates of one snippet whose older releases are tried.
const MAX_DRIFT_TRIALS: usize = 3;
/// Most remaining errors quoted per variant.
const MAX_REMAINING: usize = 3;

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
    remaining: Vec<String>,
}

/// Runs the experiments for `subjects` and classifies each: entry id -> diagnosis.
pub fn run(
    executor: &Executor<'_>,
    registry: &mut Registry,
    toolchains: Toolchains<'_>,
    subjects: &[Subject<'_>],
    docs: &BTreeMap<String, DocFacts>,
    lock: &LockSeed,
) -> Result<(BTreeMap<String, Diagnosis>, Log)> {
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
    let info = |name: &str, probe: &std::path::Path| executor.registry_info(name, probe);
    log.extend(registry.lookup(&info, keys.collect()));
    let mut trials = Vec::new();
    for (index, subject) in subjects.iter().enumerate() {
        let drift = wanted_series.get(&index);
        trials.extend(first_round(index, subject, toolchains, registry, drift));
    }
    let trials = rounds.build("variants", trials, &mut log)?;

    // Rounds 2 and 3: where, between the passing and the newest release, did it break?
    let passing = passing_drifts(&trials);
    let (keys, series) = series_between_passing(&passing, registry);
    log.extend(registry.lookup(&info, keys));
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
    log.extend(registry.lookup(&info, first_keys));
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
        let found = drift.remove(&index).unwrap_or_default();
        out.insert(
            subject.unit.entry.id.clone(),
            classify(subject, &mine, found, doc),
        );
    }
    Ok((out, log))
}

/// (subject, crate, release) of every dependency variant that built.
fn passing_drifts(trials: &[Trial]) -> Vec<(usize, String, String)> {
    trials
        .iter()
        .filter(|t| t.outcome.as_ref().is_some_and(|o| o.passed))
        .filter_map(|t| match &t.change {
            Change::DependencyVersion {
                crate_name,
                version,
            } => Some((t.subject, crate_name.clone(), version.clone())),
            _ => None,
        })
        .collect()
}

/// The release series between each passing release and the newest: the
/// registry keys to look up, and (subject, crate, series) to try.
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
        let (Some(low), Some(high)) = (cause::series(passing), cause::series(&latest)) else {
            continue;
        };
        for between in cause::series_between(&low, &high) {
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
        let mut ladder: Vec<(String, bool)> = vec![(passing.clone(), true)];
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
                ladder.push((version.clone(), outcome.passed));
            }
        }
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
        boundaries.push((
            *subject,
            krate.clone(),
            failing.clone(),
            first_of_series(&failing),
        ));
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
        for dep in deps.deps.iter().filter(|d| !d.dev) {
            let Some(latest) = registry.latest(&dep.package) else {
                continue;
            };
            let Some(latest_series) = cause::series(&latest) else {
                continue;
            };
            let pinned = pins
                .and_then(|p| p.get(&dep.name))
                .and_then(|req| cause::series(req));
            let target = match pinned {
                Some(series) if series != latest_series => Some(series),
                Some(_) => None,
                None if mentioned(&dep.name) => cause::previous_series(&latest_series),
                None => None,
            };
            if let Some(series) = target {
                wanted.push((dep.package.clone(), format!("{}@{series}", dep.package)));
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
    let imports = single_imports(subject.result);
    if !imports.is_empty() {
        let lines = imports.values().cloned().collect();
        trials.push(trial(Change::Imports { lines }, toolchains.primary));
    }
    // Stubs for the names rustc has no single import for, with the imports for
    // the others; and, when some names had an import, stubs for all of them
    // (the import may be the wrong item of the same name).
    let all_names = unresolved(subject.result);
    let others: Vec<UnresolvedName> = all_names
        .iter()
        .filter(|n| !imports.contains_key(&n.name))
        .cloned()
        .collect();
    let mut stub_sets = vec![(imports.values().cloned().collect::<Vec<_>>(), others)];
    if !imports.is_empty() {
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

/// `0.7.9` -> `0.7.0`; `2.3.1` -> `2.0.0`.
fn first_of_series(version: &str) -> String {
    match cause::series(version) {
        Some(series) if series.starts_with("0.") => format!("{series}.0"),
        Some(series) => format!("{series}.0.0"),
        None => version.to_string(),
    }
}

/// Unresolved name -> the one `use` rustc suggests for it (generated line, text).
fn single_imports(result: &UnitResult) -> BTreeMap<String, (u32, String)> {
    let mut out = BTreeMap::new();
    for suggestion in &result.suggestions {
        let Some(import) = suggestion.single_import() else {
            continue;
        };
        let Some(name) =
            cause::unresolved_name(suggestion.code.as_deref(), &suggestion.for_message)
        else {
            continue;
        };
        out.entry(name.name).or_insert(import);
    }
    out
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
    fn build(&self, workspace: &str, mut trials: Vec<Trial>, log: &mut Log) -> Result<Vec<Trial>> {
        let toolchains: BTreeSet<String> = trials.iter().map(|t| t.toolchain.clone()).collect();
        for toolchain in toolchains {
            let (plan, packages) =
                plan_round(workspace, &toolchain, self.subjects, &trials, self.lock);
            let mut built = self.executor.build(&plan)?;
            log.extend(std::mem::take(&mut built.log));
            absorb_trials(&built, &packages, &mut trials);
        }
        Ok(trials)
    }
}

/// The build of one round's trials on one toolchain, and which trial
/// (index into `trials`) each package is.
fn plan_round(
    workspace: &str,
    toolchain: &str,
    subjects: &[Subject<'_>],
    trials: &[Trial],
    lock: &LockSeed,
) -> (BuildPlan, Vec<(usize, String)>) {
    let mut jobs = Vec::new();
    let mut packages = Vec::new();
    for (n, trial) in trials
        .iter()
        .enumerate()
        .filter(|(_, t)| t.toolchain == toolchain)
    {
        let job = variant_job(&subjects[trial.subject], &trial.change, n);
        packages.push((n, job.files.package.clone()));
        jobs.push(job);
    }
    let plan = BuildPlan::variants(format!("{workspace}-{toolchain}"), toolchain, jobs, lock);
    (plan, packages)
}

/// Each trial's outcome in a round's build: did the variant build, and
/// which errors remained.
fn absorb_trials(built: &BuildOutcome, packages: &[(usize, String)], trials: &mut [Trial]) {
    for (n, package) in packages {
        let Some(result) = built.units.get(package) else {
            continue;
        };
        let (status, _) = diagnose::verdict(&crate::analyze::Expect::Pass, result);
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
        });
    }
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
        Change::Imports { lines } => wrapped.with_inserted(lines),
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

fn classify(
    subject: &Subject<'_>,
    trials: &[&Trial],
    drift: BTreeMap<String, (String, Option<String>)>,
    doc: Option<&DocFacts>,
) -> Diagnosis {
    let mut applicable: BTreeSet<Cause> = trials
        .iter()
        .filter(|t| t.outcome.as_ref().is_some_and(|o| o.passed))
        .map(|t| t.change.proves())
        .collect();
    let features: Vec<String> = errors(subject.result)
        .filter_map(|d| cause::unstable_feature(d.code.as_deref(), &d.message))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let gated = errors(subject.result).any(|d| d.code.as_deref() == Some("E0554"));
    if gated || !features.is_empty() {
        applicable.insert(Cause::NightlyFeature);
    }
    let names = unresolved(subject.result);
    let imports = single_imports(subject.result);
    let imports_passed = trials.iter().any(|t| {
        matches!(t.change, Change::Imports { .. }) && t.outcome.as_ref().is_some_and(|o| o.passed)
    });
    // Names the passing imports resolve are not placeholders; when the imports
    // did not help, every unresolved name is one.
    let placeholders: Vec<String> = names
        .iter()
        .filter(|n| !(imports_passed && imports.contains_key(&n.name)))
        .map(|n| n.name.clone())
        .collect();
    if !placeholders.is_empty() {
        applicable.insert(Cause::Placeholder);
    }
    // A nightly variant that still fails shows the example has other problems too.
    let nightly_still_fails = trials.iter().any(|t| {
        matches!(t.change, Change::Nightly { .. }) && t.outcome.as_ref().is_some_and(|o| !o.passed)
    });
    if nightly_still_fails {
        applicable.insert(Cause::CodeBug);
    }
    let mut ordered: Vec<Cause> = applicable.into_iter().collect();
    ordered.sort_by_key(|c| c.rank());
    let cause = ordered.first().copied().unwrap_or(Cause::CodeBug);
    let other_causes = ordered.into_iter().skip(1).collect();

    let evidence = trials
        .iter()
        .filter_map(|t| {
            let outcome = t.outcome.as_ref()?;
            Some(Evidence {
                variant: t.change.describe(),
                toolchain: t.toolchain.clone(),
                passed: outcome.passed,
                tests: t.change.proves(),
                remaining: outcome.remaining.clone(),
            })
        })
        .collect();
    let edition_hint = errors(subject.result)
        .next()
        .map(|d| format!("edition 2024 says: {}", d.message));
    let mut placeholder_notes = Vec::new();
    for name in &placeholders {
        match doc.and_then(|d| d.defined.get(name)) {
            Some(line) => {
                placeholder_notes.push(format!("{name} (defined in the block at line {line})"))
            }
            None => placeholder_notes.push(name.clone()),
        }
    }
    let detail = SuggestionDetail {
        features,
        edition: Some(Edition::E2021),
        edition_hint,
        drift: drift
            .iter()
            .next()
            .map(|(krate, (last, first))| (krate.clone(), last.clone(), first.clone())),
        imports: imports
            .values()
            .map(|(_, text)| format!("`{text}`"))
            .collect(),
        placeholders: placeholder_notes,
    };
    let proven_imports = if imports_passed {
        imports.into_values().map(|(_, text)| text).collect()
    } else {
        Vec::new()
    };
    Diagnosis {
        cause,
        other_causes,
        evidence,
        suggestion: cause::suggestion(cause, &detail),
        drift,
        proven_imports,
    }
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

    fn tried(change: Change, passed: bool) -> Trial {
        Trial {
            subject: 0,
            change,
            toolchain: "stable".into(),
            outcome: Some(Outcome {
                passed,
                remaining: Vec::new(),
            }),
        }
    }

    #[track_caller]
    fn check(
        diagnostics: Vec<Diagnostic>,
        suggestions: Vec<Suggestion>,
        trials: Vec<Trial>,
        expected: (Cause, &[Cause]),
    ) -> Diagnosis {
        let entry = entry("fn f() {}");
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
        let refs: Vec<&Trial> = trials.iter().collect();
        let diagnosis = classify(&subject, &refs, BTreeMap::new(), None);
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
        check(
            vec![unstable()],
            vec![],
            vec![tried(Change::Nightly { features: vec![] }, false)],
            (Cause::NightlyFeature, &[Cause::CodeBug]),
        );
        // An older edition builds.
        check(
            vec![error("E0000", "extern blocks must be unsafe")],
            vec![],
            vec![tried(Change::Edition(Edition::E2021), true)],
            (Cause::EditionDrift, &[]),
        );
        // The pinned release builds, and names are missing too.
        let d = check(
            vec![
                error("E0433", "cannot find `Server` in `axum`"),
                error("E0425", "cannot find function `handler` in this scope"),
            ],
            vec![],
            vec![tried(
                Change::DependencyVersion {
                    crate_name: "axum".into(),
                    version: "0.6.20".into(),
                },
                true,
            )],
            (Cause::DependencyDrift, &[Cause::Placeholder]),
        );
        assert!(
            d.evidence
                .iter()
                .any(|e| e.passed && e.variant == "axum =0.6.20")
        );
        // The suggested import is all that was missing: not a placeholder.
        let hashmap = || error("E0412", "cannot find type `HashMap` in this scope");
        check(
            vec![hashmap()],
            vec![import_of("HashMap", "std::collections::HashMap")],
            vec![tried(
                Change::Imports {
                    lines: vec![(2, "use std::collections::HashMap;".into())],
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
        assert_eq!(d.suggestion, Cause::CodeBug.info().fix);
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
        let registry = Registry::new(
            crate::registry::RegistryCache::load(std::path::PathBuf::from("unused.json")),
            std::path::PathBuf::new(),
            true,
        );
        let toolchains = Toolchains {
            primary: "stable",
            nightly: Some("nightly"),
        };
        let described: Vec<String> = first_round(0, &subject, toolchains, &registry, None)
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
        let registry = Registry::new(
            crate::registry::RegistryCache::load(std::path::PathBuf::from("unused.json")),
            std::path::PathBuf::new(),
            true,
        );
        let toolchains = Toolchains {
            primary: "stable",
            nightly: Some("nightly"),
        };
        let trials: Vec<Trial> = subjects
            .iter()
            .enumerate()
            .flat_map(|(n, s)| first_round(n, s, toolchains, &registry, None))
            .collect();
        let (plan, packages) =
            plan_round("variants", "stable", &subjects, &trials, &LockSeed::Keep);
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
                classify(subject, &mine, BTreeMap::new(), None).cause
            })
            .collect();
        assert_eq!(causes, [Cause::MissingImport, Cause::EditionDrift]);
    }
}
