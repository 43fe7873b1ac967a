//! The pipeline, end to end: discover, extract, analyze, wrap, infer
//! dependencies, write the sandbox, build once per toolchain, diagnose, report.
//!
//! This is the only module that knows the order of the stages; each stage is
//! called through its plain input and output types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

mod build;
mod experiments;
mod repair;

pub use repair::Repair;

use sha2::{Digest, Sha256};

use crate::analyze::{self, Expect, Shape, Snippet};
use crate::cache::{FailureHints, Key, LINT_CONFIGURATION, Outcome as CachedOutcome, ResultCache};
use crate::cargo;
use crate::deps::{self, DepSet, KnownCrates};
use crate::diagnose;
use crate::discover::{self, SpecFile};
use crate::error::Result;
use crate::extract::{self, Block, BlockProblem};
use crate::lockfile::{self, LockMode, Lockfile};
use crate::pins::{self, Config, PinSet};
use crate::plan;
use crate::registry::{self, Lookup, RegistryCache};
use crate::report::{
    Cause, Dependency, Diagnostic, FileSummary, LockfileSummary, Report, RunProblem,
    SCHEMA_VERSION, SnippetReport, Status, ToolchainInfo, Totals,
};
use crate::sandbox::{self, CrateFiles, Sandbox};
use crate::trace;
use crate::wrap::{self, WrappedSource};

use build::{BuildResults, Builds, Job, LockSeed, Member};
use experiments::{Diagnosis, DocFacts, Subject, Toolchains};

/// Everything a run needs to know, validated by the CLI.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub specs: Vec<PathBuf>,
    pub sandbox: PathBuf,
    /// Shared target dir for every toolchain's builds (one subfolder each); by
    /// default inside the sandbox.
    pub target_dir: Option<PathBuf>,
    pub toolchains: Vec<String>,
    pub offline: bool,
    /// Extra known-crate rules (TOML texts, applied in order), from configuration.
    pub known_crates: Vec<String>,
    /// Run variant builds to find the root cause of each failure.
    pub diagnose: bool,
    /// Use nightly for nightly-feature experiments even when it is not in `toolchains`.
    pub diagnose_with_nightly: bool,
    /// The configuration file's pins (`snipcheck.toml`).
    pub config: Option<Config>,
    /// Reuse the results of snippets whose inputs did not change.
    pub cache: bool,
    /// Compile compatible snippets as modules of one crate.
    pub merge: bool,
    /// Build snippets that read outside their crate at compile time.
    pub allow_outside_access: bool,
    /// Stop a cargo build that runs longer than this.
    pub build_timeout: Option<std::time::Duration>,
    /// Collect the machine-applicable fixes of the primary build (see `fix.rs`).
    pub fix: bool,
    /// The committed lockfile of the scratch crates (see `lockfile.rs`).
    pub lockfile: Option<PathBuf>,
    /// Resolve the newest releases instead of the lockfile's versions.
    pub latest: bool,
    /// Resolve every snippet's dependencies and return the lockfile to write.
    pub write_lockfile: bool,
    /// Check only the blocks of this shard (see `partition.rs`).
    pub partition: Option<crate::partition::Partition>,
    /// The repairs besides those fixes (see `repair.rs`).
    pub repair: Repair,
}

/// The report and the documents it speaks of (for rendering source excerpts).
#[derive(Debug)]
pub struct Outcome {
    pub report: Report,
    pub sources: BTreeMap<String, String>,
    /// With `fix`: per document that has machine-applicable suggestions, its fixed text.
    pub fixes: Vec<FileFix>,
    /// With `write_lockfile`: the lockfile of this run's resolution.
    pub lockfile: Option<String>,
}

/// A document and its text with the machine-applicable suggestions applied.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub path: PathBuf,
    /// The path as reports show it.
    pub file: String,
    pub original: String,
    pub fixed: String,
    /// (document line, what was applied), in document order.
    pub applied: Vec<(u32, String)>,
    /// (document line, what was found but deliberately not changed).
    pub notes: Vec<(u32, String)>,
}

/// A fenced block on its way through the pipeline.
#[derive(Debug)]
struct Entry {
    file: String,
    block: Block,
    id: String,
    /// Rust blocks that are not ignored.
    snippet: Option<Snippet>,
    wrapped: Option<WrappedSource>,
    deps: Option<DepSet>,
}

impl Entry {
    fn package(&self) -> String {
        format!("snip-{}", self.id)
    }

    /// Whether the entry goes into the scratch workspace.
    fn buildable(&self) -> bool {
        self.wrapped.is_some()
            && !self
                .snippet
                .as_ref()
                .is_some_and(Snippet::needs_bare_metal_target)
            && self
                .deps
                .as_ref()
                .is_some_and(|d| d.unknown.is_empty() && d.unreachable.is_empty())
    }
}

/// The registry lookups of a run: the cache, where `cargo info` runs, and every answer so far.
#[derive(Debug)]
struct Registry {
    cache: RegistryCache,
    probe: PathBuf,
    offline: bool,
    /// Lookup key (`axum`, `axum@0.6`) -> answer; found crates are also keyed by
    /// their canonical package name.
    lookups: BTreeMap<String, Lookup>,
}

impl Registry {
    /// Looks up every key not answered yet (cache first, then `cargo info`).
    fn lookup(&mut self, builds: &mut Builds<'_>, keys: BTreeSet<String>) {
        let missing: BTreeSet<String> = keys
            .into_iter()
            .filter(|k| !self.lookups.contains_key(k))
            .collect();
        if missing.is_empty() {
            return;
        }
        let probe = self.probe.clone();
        let offline = self.offline;
        let run = |name: &str| cargo::registry_info(name, &probe, offline);
        let answers = registry::lookup_all(&mut self.cache, &missing, &run);
        builds.count("registry", crate::text::to_u32(answers.invocations));
        for (key, mut lookup) in answers.lookups {
            if offline && lookup == Lookup::NotFound {
                // Offline, cargo cannot tell a crate it never downloaded from one
                // that does not exist: say so instead of calling it unknown.
                lookup = Lookup::Unreachable(
                    "not in cargo's local copy of the registry (--offline)".to_string(),
                );
            }
            if let Lookup::Found(info) = &lookup
                && !key.contains('@')
                && info.name != key
            {
                self.lookups
                    .entry(info.name.clone())
                    .or_insert_with(|| lookup.clone());
            }
            self.lookups.insert(key, lookup);
        }
        if let Err(error) = self.cache.save() {
            builds.problems.push(RunProblem {
                subject: None,
                message: error.to_string(),
            });
        }
    }
}

/// Runs the whole pipeline. Bad input becomes statuses and problems in the
/// report; only the environment (no cargo, an unusable sandbox) is an `Err`.
pub fn verify(options: &VerifyOptions, observer: crate::progress::Observer<'_>) -> Result<Outcome> {
    let (specs, problems) = discover::discover(&options.specs);
    let sandbox = Sandbox::open(&options.sandbox, &|root| {
        eprintln!(
            "note: waiting for another snipcheck run to finish with the sandbox `{}`",
            root.display()
        );
    })?;
    let mut builds = Builds {
        sandbox: &sandbox,
        options,
        observer,
        invocations: BTreeMap::new(),
        problems,
        lock_seed: LockSeed::Keep,
    };
    let committed = read_lockfile(options, &mut builds.problems);

    let prepare = trace::span("extract, analyze, wrap").items(specs.len());
    let mut entries = extract_all(&specs, options.allow_outside_access);
    prepare.done();
    let prepare = trace::span("document facts, scan");
    // What a document defines and pins is read from all of its blocks, this
    // shard's or not; ids are given before the shard keeps its own.
    let docs = doc_facts(&entries);
    if let Some(partition) = options.partition {
        entries.retain(|e| partition.owns_block(&e.file, &e.block.headings, &e.id));
    }
    let sources: BTreeMap<String, String> = specs
        .iter()
        .map(|s| (s.display(), s.text.clone()))
        .collect();

    // Dependencies: scan every wrapped snippet, ask the registry once per crate name.
    let mut known = KnownCrates::builtin();
    for extra in &options.known_crates {
        if let Err(error) = known.extend_from_toml(extra) {
            builds.problems.push(RunProblem {
                subject: Some("known crates".into()),
                message: error.to_string(),
            });
        }
    }
    // Pins that win over inference: what the snippet declares, then the configuration.
    let overrides: Vec<PinSet> = entries
        .iter()
        .map(|e| {
            let mut pins = e
                .snippet
                .as_ref()
                .map(|s| s.declared.clone())
                .unwrap_or_default();
            if let Some(config) = &options.config {
                pins.merge_over(&config.pins_for(&e.file, &e.id, e.block.fence_line));
            }
            pins
        })
        .collect();
    let uses: Vec<Option<Vec<deps::CrateUse>>> = parallel_map(&entries, |e| {
        e.wrapped.as_ref()?;
        let mut uses = e.snippet.as_ref()?.syntax.wrapped.crate_uses.clone()?;
        // A declared crate is a dependency even when the code never names it.
        for (name, pin) in &e.snippet.as_ref()?.declared.deps {
            if !uses.iter().any(|u| &u.name == name) {
                uses.push(deps::CrateUse {
                    name: name.clone(),
                    paths: BTreeSet::new(),
                    only_in_tests: pin.dev,
                    in_serde_derive: false,
                });
            }
        }
        Some(deps::with_companions(uses, &known))
    });
    let names: BTreeSet<String> = uses
        .iter()
        .flatten()
        .flat_map(|u| deps::registry_names(u, &known))
        .collect();
    prepare.done();
    let mut registry = Registry {
        cache: RegistryCache::load(sandbox.registry_cache_path()),
        probe: sandbox.probe_dir()?,
        offline: options.offline,
        lookups: BTreeMap::new(),
    };
    let span = trace::span("registry").items(names.len());
    registry.lookup(&mut builds, names);
    span.done();
    let span = trace::span("resolve dependencies");
    for ((entry, uses), pins) in entries.iter_mut().zip(&uses).zip(&overrides) {
        if let Some(uses) = uses {
            let mut set = deps::resolve(uses, &known, &registry.lookups);
            if let (Some((_, lock)), false) = (&committed, options.latest) {
                lock.steer(&mut set.deps);
            }
            pins::apply_pins(&mut set.deps, uses, pins);
            entry.deps = Some(set);
        }
    }

    span.done();
    // The toolchains: which are installed, and which nightly the diagnosis may use.
    let span = trace::span("toolchain versions");
    let mut toolchains = Vec::new();
    for toolchain in &options.toolchains {
        let rustc = toolchain_version(&mut builds, toolchain);
        if rustc.is_none() {
            builds.problems.push(RunProblem {
                subject: Some(toolchain.clone()),
                message: format!(
                    "toolchain `{toolchain}` is not installed; its builds are skipped (install it with `rustup toolchain install {toolchain}`)"
                ),
            });
        }
        toolchains.push(ToolchainInfo {
            name: toolchain.clone(),
            installed: rustc.is_some(),
            rustc,
        });
    }
    let installed: Vec<(String, String)> = toolchains
        .iter()
        .filter_map(|t| Some((t.name.clone(), t.rustc.clone()?)))
        .collect();
    let nightly = nightly_for_diagnosis(&mut builds, options, &installed);
    span.done();
    let span = trace::span("lock");
    let (lock_summary, lockfile_text) =
        settle_lock(&mut builds, &entries, committed.as_ref(), &installed);
    span.done();
    let diagnosis_setup = format!(
        "diagnose={};nightly={:?};lock={}",
        options.diagnose,
        nightly,
        lock_fingerprint(&builds.lock_seed)
    );

    // One build of every snippet per installed toolchain, but for the snippets
    // whose results the cache holds.
    let result_cache = ResultCache::new(sandbox.root.join("cache"));
    let mut hints = FailureHints::load(sandbox.failure_hints_path());
    let mut rebuilt_alone = BTreeSet::new();
    let mut builds_per_toolchain: Vec<ToolchainBuild> = Vec::new();
    for (toolchain, rustc) in &installed {
        let span = trace::span("cache lookup");
        let keys: BTreeMap<String, Key> = entries
            .iter()
            .filter(|e| e.buildable())
            .filter_map(|e| {
                Some((
                    e.id.clone(),
                    cache_key(e, toolchain, rustc, docs.get(&e.file), &diagnosis_setup)?,
                ))
            })
            .collect();
        let cached: BTreeMap<String, CachedOutcome> = if options.cache {
            keys.iter()
                .filter_map(|(id, key)| Some((id.clone(), result_cache.get(key)?)))
                .collect()
        } else {
            BTreeMap::new()
        };
        let pending: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.buildable() && !cached.contains_key(&e.id))
            .collect();
        span.done();
        let span = trace::span("plan").items(pending.len());
        let all: Vec<usize> = (0..pending.len()).collect();
        let (jobs, groups) = plan_jobs(&pending, &all, options.merge, &hints);
        span.done();
        let mut built = builds.run(sandbox::PRIMARY_WORKSPACE, toolchain, &jobs, true)?;
        // A merged crate with an error cannot stand: rustc stops before the
        // lints (and borrow checking) of the other modules. Its members with
        // errors of their own keep their result when nothing in it depends on
        // their neighbours (alone they get no lints either), or are rebuilt
        // alone; the others are merged again, and checked again, for at most
        // `MERGE_ROUNDS` rounds, after which all stand alone. Every round is
        // built in the primary workspace beside an empty crate per dependency
        // set of the primary build, so cargo unifies features as it did there
        // and rebuilds no dependency.
        let kept = dependency_crates(
            jobs.iter()
                .map(|j| (j.files.deps.as_slice(), j.files.tests)),
        );
        let mut last_jobs = jobs;
        let mut failed = failed_groups(groups, &pending, &built);
        let mut round = 0;
        while !failed.is_empty() && !cargo::interrupted() {
            round += 1;
            let span = trace::span(format!("merge round {round}"));
            let mut jobs = Vec::new();
            let mut clean_members = Vec::new();
            let mut kept_results = 0;
            for members in failed {
                // A failed crate reports no artifact for anyone: what tells the
                // members apart is whose lines the errors are on.
                let (broken, clean): (Vec<usize>, Vec<usize>) = members
                    .iter()
                    .partition(|&&i| has_errors(built.units.get(&pending[i].package())));
                for &i in &broken {
                    let entry = pending[i];
                    let mut names = BTreeSet::new();
                    for &j in members.iter().filter(|&&j| j != i) {
                        if let Some(theirs) = &pending[j].snippet {
                            names.extend(theirs.syntax.defined_names.iter().cloned());
                        }
                    }
                    let key = entry.package();
                    let merged = last_jobs
                        .iter()
                        .filter(|j| j.members.len() > 1)
                        .flat_map(|j| &j.members)
                        .find(|m| m.key == key)
                        .map(|m| &m.wrapped);
                    match merged.and_then(|m| merged_result_standing(&built, m, entry, &names)) {
                        Some(result) => {
                            built.units.insert(entry.package(), result);
                            kept_results += 1;
                        }
                        None => {
                            rebuilt_alone.extend(hint_key(entry));
                            jobs.extend(primary_job(entry));
                        }
                    }
                }
                clean_members.extend(clean);
            }
            // The clean members of every failed crate, pooled and merged again
            // (into crates as large as the first ones), or alone after the
            // last round.
            clean_members.sort_unstable();
            let (merged_again, regrouped) =
                plan_jobs(&pending, &clean_members, round < MERGE_ROUNDS, &hints);
            jobs.extend(merged_again);
            if kept_results > 0 {
                builds.count("merged-errors-kept", crate::text::to_u32(kept_results));
            }
            let again =
                builds.run_keeping(sandbox::PRIMARY_WORKSPACE, toolchain, &jobs, &kept, false)?;
            last_jobs = jobs;
            built.units.extend(again.units);
            built.named_modules.extend(again.named_modules);
            built.timed_out |= again.timed_out;
            built.interrupted |= again.interrupted;
            span.done();
            failed = failed_groups(regrouped, &pending, &built);
        }
        builds_per_toolchain.push(ToolchainBuild {
            toolchain: toolchain.clone(),
            rustc: rustc.clone(),
            built,
            cached,
            keys,
        });
    }

    // What failed to compile, for the next run's planner (see `FailureHints`).
    if !cargo::interrupted() && builds_per_toolchain.iter().all(|b| !b.built.interrupted) {
        let mut built = BTreeSet::new();
        let mut failed = BTreeSet::new();
        for build in &builds_per_toolchain {
            for entry in entries.iter().filter(|e| e.buildable()) {
                let (Some(key), Some(result)) =
                    (hint_key(entry), build.built.units.get(&entry.package()))
                else {
                    continue;
                };
                if has_errors(Some(result)) {
                    failed.insert(key.clone());
                }
                built.insert(key);
            }
        }
        if let Err(error) = hints.record(&built, &failed, &rebuilt_alone) {
            builds.problems.push(RunProblem {
                subject: None,
                message: error.to_string(),
            });
        }
    }

    // Root causes, proven by variant builds, for what fails on the primary toolchain.
    let mut diagnoses = BTreeMap::new();
    if let Some(primary) = builds_per_toolchain.first() {
        let subjects: Vec<Subject<'_>> = entries
            .iter()
            .filter_map(|entry| {
                let result = primary.built.units.get(&entry.package())?;
                let snippet = entry.snippet.as_ref()?;
                let (status, cause) = diagnose::verdict(&snippet.expect, result);
                (status == Status::Fail && cause == Some(Cause::Compile))
                    .then_some(Subject { entry, result })
            })
            .collect();
        if options.diagnose && !subjects.is_empty() && !cargo::interrupted() {
            let toolchains = Toolchains {
                primary: &primary.toolchain,
                nightly: nightly.as_deref(),
            };
            let _span = trace::span("diagnosis").items(subjects.len());
            diagnoses =
                experiments::diagnose(&mut builds, &mut registry, toolchains, &subjects, &docs)?;
        }
    }

    let fixes = match builds_per_toolchain.first() {
        Some(primary) if options.fix || options.repair.edits_documents() => repair::collect(
            &mut builds,
            &specs,
            &entries,
            (&primary.toolchain, &primary.built),
            &diagnoses,
            options.fix,
            options.repair,
        )?,
        _ => Vec::new(),
    };
    let formatting = match installed.first() {
        Some((toolchain, _)) if options.repair.fmt => {
            repair::check_formatting(&mut builds, &specs, toolchain)
        }
        _ => BTreeMap::new(),
    };

    let rows_span = trace::span("report rows");
    let mut rows = Vec::new();
    let mut to_cache = Vec::new();
    for (n, build) in builds_per_toolchain.iter().enumerate() {
        // Blocks that are not built (other languages, `ignore`, syntax errors,
        // unknown crates) say the same on every toolchain: one row, the first.
        for entry in entries.iter().filter(|e| n == 0 || e.buildable()) {
            let mut row = row(entry, Some(&build.toolchain), Some(&build.built), &registry);
            row.rustc = Some(build.rustc.clone());
            if let Some(facts) = docs.get(&entry.file) {
                for dependency in &mut row.dependencies {
                    dependency.pinned = facts.pins.get(&dependency.name).cloned();
                }
            }
            if let Some(outcome) = build.cached.get(&entry.id) {
                overlay(
                    &mut row,
                    outcome
                        .clone()
                        .moved_to(&entry.file, entry.block.fence_line),
                );
            } else {
                if row.status == Status::Fail
                    && row.cause == Some(Cause::Compile)
                    && let Some(diagnosis) = diagnoses.get(&entry.id)
                {
                    apply_diagnosis(&mut row, diagnosis);
                }
                let built = !build.built.interrupted
                    && build
                        .built
                        .units
                        .get(&entry.package())
                        .is_some_and(|u| u.built || !u.diagnostics.is_empty());
                if let (Some(key), true) = (build.keys.get(&entry.id), built) {
                    to_cache.push((key, outcome_of(&row)));
                }
            }
            rows.push(row);
        }
    }
    rows_span.done();
    let cache_span = trace::span("cache writes").items(to_cache.len());
    // Thousands of small files: their system calls are most of the time.
    let failed_writes = parallel_map(&to_cache, |(key, outcome)| {
        result_cache.put(key, outcome).err()
    });
    let mut failed_writes = failed_writes.into_iter().flatten();
    if let Some(first) = failed_writes.next() {
        let more = failed_writes.count();
        let message = match more {
            0 => first.to_string(),
            _ => format!("{first} (and {more} more results could not be cached)"),
        };
        builds.problems.push(RunProblem {
            subject: None,
            message,
        });
    }
    cache_span.done();
    let cached_rows: u32 = builds_per_toolchain
        .iter()
        .map(|b| crate::text::to_u32(b.cached.len()))
        .sum();
    if cached_rows > 0 {
        builds.count("cached-results", cached_rows);
    }
    if builds_per_toolchain.is_empty() {
        rows.extend(entries.iter().map(|e| row(e, None, None, &registry)));
    }
    let mut lock_summary = lock_summary;
    if let Some(summary) = &mut lock_summary {
        // A build found the lockfile unusable and resolved without it.
        summary.unusable =
            summary.found && summary.mode == LockMode::Locked && builds.lock_seed == LockSeed::Keep;
    }
    differential(&mut rows);
    repair::mark_formatting(&mut rows, &formatting);
    let files = summarize(&specs, &rows);
    let totals = Totals::count(&files, &rows);
    let report = Report {
        schema: SCHEMA_VERSION,
        snipcheck_version: env!("CARGO_PKG_VERSION").to_string(),
        toolchains,
        files,
        snippets: rows,
        totals,
        problems: builds.problems,
        cargo_invocations: builds.invocations,
        baseline: None,
        incomplete: cargo::interrupted(),
        lockfile: lock_summary,
        partition: options.partition,
    };
    Ok(Outcome {
        report,
        sources,
        fixes,
        lockfile: lockfile_text,
    })
}

/// The committed lockfile, read and parsed; a broken one is a run problem and ignored.
fn read_lockfile(
    options: &VerifyOptions,
    problems: &mut Vec<RunProblem>,
) -> Option<(String, Lockfile)> {
    let path = options.lockfile.as_ref()?;
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            problems.push(RunProblem {
                subject: Some(path.display().to_string()),
                message: format!("cannot read the lockfile: {error}; resolving without it"),
            });
            return None;
        }
    };
    match Lockfile::parse(&text) {
        Ok(lock) => Some((text, lock)),
        Err(error) => {
            problems.push(RunProblem {
                subject: Some(path.display().to_string()),
                message: format!("{error}; resolving without it"),
            });
            None
        }
    }
}

/// Decides the `Cargo.lock` every workspace of the run starts from and, when
/// the run resolves afresh (`--latest`) or writes the lockfile, resolves every
/// snippet's dependencies once in a workspace of their own (one member per
/// distinct dependency set). Returns the report's summary and the lockfile to write.
fn settle_lock(
    builds: &mut Builds<'_>,
    entries: &[Entry],
    committed: Option<&(String, Lockfile)>,
    installed: &[(String, String)],
) -> (Option<LockfileSummary>, Option<String>) {
    let options = builds.options;
    builds.lock_seed = match (committed, options.latest) {
        (_, true) => LockSeed::Fresh,
        (Some((text, _)), false) => LockSeed::Seed(text.clone()),
        (None, false) => LockSeed::Keep,
    };
    let mut summary = options.lockfile.as_ref().map(|path| LockfileSummary {
        path: path.display().to_string(),
        mode: if options.latest {
            LockMode::Latest
        } else {
            LockMode::Locked
        },
        found: committed.is_some(),
        moved: Vec::new(),
        not_locked: Vec::new(),
        unusable: false,
    });
    let buildable = || entries.iter().filter(|e| e.buildable());
    if let (Some(summary), Some((_, lock)), false) = (&mut summary, committed, options.latest) {
        summary.not_locked = lock
            .missing(
                buildable()
                    .filter_map(|e| e.deps.as_ref())
                    .flat_map(|d| &d.deps),
            )
            .into_iter()
            .collect();
    }
    let Some((toolchain, _)) = installed.first() else {
        return (summary, None);
    };
    if !(options.latest || options.write_lockfile) || cargo::interrupted() {
        return (summary, None);
    }
    let crates = dependency_crates(
        buildable()
            .filter_map(|e| e.deps.as_ref())
            .map(|d| (d.deps.as_slice(), false)),
    );
    let resolved = if crates.is_empty() {
        // Nothing to resolve: a lockfile of no packages.
        lockfile::registry_only("version = 4\n").ok()
    } else {
        builds
            .resolve(RESOLVE_WORKSPACE, toolchain, crates)
            .ok()
            .filter(|r| r.metadata.is_some())
            .and_then(|r| std::fs::read_to_string(r.written.dir.join("Cargo.lock")).ok())
            .and_then(|text| lockfile::registry_only(&text).ok())
    };
    let Some(text) = resolved else {
        builds.problems.push(RunProblem {
            subject: options.lockfile.as_ref().map(|p| p.display().to_string()),
            message: "cargo could not resolve the examples' dependencies together; the lockfile was not updated".to_string(),
        });
        return (summary, None);
    };
    if options.latest {
        builds.lock_seed = LockSeed::Seed(text.clone());
    }
    if let (Some(summary), Some((_, lock)), Ok(now)) =
        (&mut summary, committed, Lockfile::parse(&text))
    {
        summary.moved = lock.moves_to(&now);
    }
    (summary, options.write_lockfile.then_some(text))
}

/// What the cache key says of the run's lock: results depend on the versions it holds.
fn lock_fingerprint(seed: &LockSeed) -> String {
    match seed {
        LockSeed::Keep => "sandbox".to_string(),
        LockSeed::Fresh => "fresh".to_string(),
        LockSeed::Seed(text) => Key::of(&[text]).as_str().to_string(),
    }
}

/// The crates of a primary build: snippets that may share a crate are merged
/// (see `plan.rs`), the others stand alone. Also returns each merged group, as
/// indices into `pending`.
fn plan_jobs(
    pending: &[&Entry],
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
        .filter_map(|&i| primary_job(pending[i]))
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
fn merge_groups(pending: &[&Entry], among: &[usize], hints: &FailureHints) -> Vec<Vec<usize>> {
    let candidates: Vec<plan::Candidate> = among
        .iter()
        .filter_map(|&index| {
            let e = pending[index];
            // Only a wrapped snippet is built; its facts are on the snippet.
            e.wrapped.as_ref()?;
            let (snippet, deps) = (e.snippet.as_ref()?, e.deps.as_ref()?);
            let hint = hint_key(e);
            if !plan::mergeable(snippet)
                || hint.as_ref().is_some_and(|h| hints.built_alone_before(h))
            {
                return None;
            }
            let mut key = plan::group_key(snippet, &deps.deps);
            if hint.is_some_and(|h| hints.failed_before(&h)) {
                key.push_str("|failed before");
            }
            Some(plan::Candidate {
                index,
                key,
                exported_macros: snippet.syntax.wrapped.exported_macros.clone()?,
            })
        })
        .collect();
    let parallelism = std::thread::available_parallelism().map_or(1, usize::from);
    plan::groups(&candidates, parallelism).0
}

/// The key of a snippet's failure hint: what it is built from, but the toolchain.
fn hint_key(entry: &Entry) -> Option<String> {
    let (snippet, wrapped, deps) = (
        entry.snippet.as_ref()?,
        entry.wrapped.as_ref()?,
        entry.deps.as_ref()?,
    );
    Some(FailureHints::key(
        &plan::group_key(snippet, &deps.deps),
        &wrapped.text,
    ))
}

/// One crate holding several snippets as modules.
fn merged_job<'e>(members: impl Iterator<Item = &'e Entry>) -> Option<Job> {
    let members: Vec<&Entry> = members.collect();
    let first = members.first()?;
    let (snippet, deps) = (first.snippet.as_ref()?, first.deps.as_ref()?);
    let wrapped: Vec<&WrappedSource> = members.iter().filter_map(|e| e.wrapped.as_ref()).collect();
    if wrapped.len() != members.len() {
        return None;
    }
    let merged = plan::merge(&wrapped);
    let mut hasher = Sha256::new();
    for entry in &members {
        hasher.update(entry.id.as_bytes());
        hasher.update(b"\n");
    }
    let hash: String = hasher
        .finalize()
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let files = CrateFiles {
        package: format!("snip-merged-{hash}"),
        edition: snippet.edition,
        kind: crate::wrap::CrateKind::Lib,
        tests: snippet.has_tests,
        source: merged.text.clone(),
        deps: deps.deps.clone(),
    };
    let members = members
        .iter()
        .zip(merged.members)
        .filter_map(|(entry, wrapped)| {
            Some(Member {
                key: entry.package(),
                wrapped,
                lines: entry.snippet.as_ref()?.lines.clone(),
                file: entry.file.clone(),
                fence_line: entry.block.fence_line,
            })
        })
        .collect();
    Some(Job { files, members })
}

/// Whether a member has errors of its own (or ones no member owned).
fn has_errors(result: Option<&diagnose::UnitResult>) -> bool {
    result.is_none_or(|r| {
        r.diagnostics
            .iter()
            .any(|d| d.level == "error" || d.in_wrapper)
    })
}

/// Rounds of re-merging the clean members of a merged crate that failed.
const MERGE_ROUNDS: usize = 3;

/// The workspace where every snippet's dependencies are resolved together
/// (`--latest`, or writing the lockfile).
const RESOLVE_WORKSPACE: &str = "resolve";

/// The merged groups whose crate failed, as indices into `pending`.
fn failed_groups(
    groups: Vec<Vec<usize>>,
    pending: &[&Entry],
    built: &BuildResults,
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
fn dependency_crates<'d>(
    sets: impl IntoIterator<Item = (&'d [deps::DepSpec], bool)>,
) -> Vec<CrateFiles> {
    let mut crates: BTreeMap<String, CrateFiles> = BTreeMap::new();
    for (deps, tests) in sets.into_iter().filter(|(deps, _)| !deps.is_empty()) {
        let key = format!("{deps:?}|tests={tests}");
        crates.entry(key).or_insert_with_key(|key| {
            let digest = Sha256::digest(key.as_bytes());
            let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
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
    built: &BuildResults,
    merged: &WrappedSource,
    entry: &Entry,
    names: &BTreeSet<String>,
) -> Option<diagnose::UnitResult> {
    let key = entry.package();
    let result = built.units.get(&key)?;
    let alone = entry.wrapped.as_ref()?;
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
    for (generated, line) in alone.line_map.iter().enumerate() {
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

/// Whether a merged member's result cannot stand: an error, a diagnostic no
/// member owned, or nothing built.
fn merge_failed(result: Option<&diagnose::UnitResult>) -> bool {
    result.is_none_or(|r| {
        !r.built
            || r.diagnostics
                .iter()
                .any(|d| d.level == "error" || d.in_wrapper)
    })
}

/// One toolchain's primary build, and the snippets it did not need to build.
#[derive(Debug)]
struct ToolchainBuild {
    toolchain: String,
    rustc: String,
    built: BuildResults,
    cached: BTreeMap<String, CachedOutcome>,
    keys: BTreeMap<String, Key>,
}

/// The nightly toolchain the diagnosis may use for feature-gate experiments.
fn nightly_for_diagnosis(
    builds: &mut Builds<'_>,
    options: &VerifyOptions,
    installed: &[(String, String)],
) -> Option<String> {
    if let Some((name, _)) = installed.iter().find(|(t, _)| t.starts_with("nightly")) {
        return Some(name.clone());
    }
    if !options.diagnose || !options.diagnose_with_nightly || installed.is_empty() {
        return None;
    }
    let found = toolchain_version(builds, "nightly").map(|_| "nightly".to_string());
    if found.is_none() {
        builds.problems.push(RunProblem {
            subject: Some("nightly".to_string()),
            message: "the nightly toolchain is not installed: examples that need an unstable feature are diagnosed from stable's errors alone, without the nightly build that would confirm it".to_string(),
        });
    }
    found
}

/// Everything that decides a snippet's result on a toolchain (see `cache.rs`).
fn cache_key(
    entry: &Entry,
    toolchain: &str,
    rustc: &str,
    doc: Option<&DocFacts>,
    diagnosis: &str,
) -> Option<Key> {
    let (snippet, wrapped, deps) = (
        entry.snippet.as_ref()?,
        entry.wrapped.as_ref()?,
        entry.deps.as_ref()?,
    );
    let layout: Vec<(u32, u32, u32, u32)> = snippet
        .lines
        .iter()
        .map(|l| {
            (
                l.origin.line.saturating_sub(entry.block.fence_line),
                l.origin.column,
                l.removed.at,
                l.removed.len,
            )
        })
        .collect();
    let pins = doc.map(|d| format!("{:?}", d.pins)).unwrap_or_default();
    Some(Key::of(&[
        &entry.file,
        &wrapped.text,
        wrapped.kind.as_str(),
        snippet.edition.as_str(),
        &format!("tests={}", snippet.has_tests),
        &format!("{:?}", snippet.expect),
        &format!("{:?}", deps.deps),
        &format!("{layout:?}"),
        toolchain,
        rustc,
        &pins,
        diagnosis,
        LINT_CONFIGURATION,
    ]))
}

/// What the cache keeps of a row.
fn outcome_of(row: &SnippetReport) -> CachedOutcome {
    CachedOutcome {
        fence_line: row.line,
        status: row.status,
        cause: row.cause,
        other_causes: row.other_causes.clone(),
        evidence: row.evidence.clone(),
        suggestion: row.suggestion.clone(),
        dependencies: row.dependencies.clone(),
        diagnostics: row.diagnostics.clone(),
    }
}

/// A row rebuilt from the cache, marked so.
fn overlay(row: &mut SnippetReport, outcome: CachedOutcome) {
    row.status = outcome.status;
    row.cause = outcome.cause;
    row.other_causes = outcome.other_causes;
    row.evidence = outcome.evidence;
    row.suggestion = outcome.suggestion;
    // What the build resolved comes from the cache; what the registry and the
    // document say now (latest release, pins) from this run.
    let fresh = std::mem::replace(&mut row.dependencies, outcome.dependencies);
    for dependency in &mut row.dependencies {
        if let Some(now) = fresh.iter().find(|d| d.package == dependency.package) {
            dependency.latest.clone_from(&now.latest);
            dependency.pinned.clone_from(&now.pinned);
        }
    }
    row.diagnostics = outcome.diagnostics;
    row.skip_reason = None;
    row.cached = true;
}

fn toolchain_version(builds: &mut Builds<'_>, toolchain: &str) -> Option<String> {
    builds.count("version", 1);
    match cargo::rustc_version(toolchain) {
        Ok(version) => version,
        Err(error) => {
            builds.problems.push(RunProblem {
                subject: Some(toolchain.to_string()),
                message: error.to_string(),
            });
            None
        }
    }
}

/// The primary build's crate for an entry that can be built.
fn primary_job(entry: &Entry) -> Option<Job> {
    if !entry.buildable() {
        return None;
    }
    let (snippet, wrapped, deps) = (
        entry.snippet.as_ref()?,
        entry.wrapped.as_ref()?,
        entry.deps.as_ref()?,
    );
    let files = CrateFiles {
        package: entry.package(),
        edition: snippet.edition,
        kind: wrapped.kind,
        tests: snippet.has_tests,
        source: wrapped.text.clone(),
        deps: deps.deps.clone(),
    };
    Some(Job::single(
        files,
        wrapped.clone(),
        snippet.lines.clone(),
        entry.file.clone(),
        entry.block.fence_line,
    ))
}

fn apply_diagnosis(row: &mut SnippetReport, diagnosis: &Diagnosis) {
    row.cause = Some(diagnosis.cause);
    row.other_causes = diagnosis.other_causes.clone();
    row.evidence = diagnosis.evidence.clone();
    row.suggestion = Some(diagnosis.suggestion.clone());
    for dependency in &mut row.dependencies {
        if let Some((last, first)) = diagnosis.drift.get(&dependency.package) {
            dependency.last_passing = Some(last.clone());
            dependency.first_failing = first.clone();
        }
    }
}

/// What each document's Rust blocks define, and the versions its toml blocks pin.
fn doc_facts(entries: &[Entry]) -> BTreeMap<String, DocFacts> {
    let mut docs: BTreeMap<String, DocFacts> = BTreeMap::new();
    for entry in entries {
        let facts = docs.entry(entry.file.clone()).or_default();
        // A snippet over the limits was never read: it defines nothing.
        for name in entry.snippet.iter().flat_map(|s| &s.syntax.defined_names) {
            facts
                .defined
                .entry(name.clone())
                .or_insert(entry.block.fence_line);
        }
        if entry.block.fence.lang.as_deref() == Some("toml") {
            // A block that is not TOML is reported on its row (see `row`).
            if let Ok(pins) = pins::pins_from_toml_block(&entry.block.text) {
                for (name, pin) in pins.deps {
                    if let Some(requirement) = pin.requirement {
                        facts.pins.insert(name, requirement);
                    }
                }
            }
        }
    }
    docs
}

/// Extracts and prepares every block. A snippet that reads outside its crate
/// is not wrapped (so never built) unless `allow_outside_access`.
fn extract_all(specs: &[SpecFile], allow_outside_access: bool) -> Vec<Entry> {
    let mut used_ids = BTreeSet::new();
    let mut blocks = Vec::new();
    for spec in specs {
        let file = spec.display();
        let stem = spec
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for block in extract::extract(&spec.text) {
            let id = unique_id(&mut used_ids, &stem, &block);
            blocks.push((file.clone(), block, id));
        }
    }
    // Parsing is most of this stage's time, and every block is parsed alone.
    let prepared = parallel_map(&blocks, |(_, block, _)| {
        let rust = block.fence.is_rust && !block.fence.attrs.ignore;
        let snippet = rust.then(|| analyze::analyze(block));
        let wrapped = snippet
            .as_ref()
            .filter(|s| allow_outside_access || s.outside_access.is_empty())
            .and_then(wrap::wrap);
        (snippet, wrapped)
    });
    blocks
        .into_iter()
        .zip(prepared)
        .map(|((file, block, id), (snippet, wrapped))| Entry {
            file,
            block,
            id,
            snippet,
            wrapped,
            deps: None,
        })
        .collect()
}

/// Stack for the pipeline's threads: parsing is recursive, and although
/// snippets nested past `analyze::MAX_NESTING` are never parsed, the limit
/// leaves headroom.
pub const PIPELINE_STACK: usize = 64 * 1024 * 1024;

/// `items` mapped by `f` on every core, in order. For independent items
/// (parsing one block) that are small and many. The calling thread works too,
/// so a thread that cannot be started only makes it slower.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(item) = items.get(at) else { break };
            done.push((at, f(item)));
        }
        done
    };
    let mut results = std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(PIPELINE_STACK)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut results = work();
        for helper in helpers {
            match helper.join() {
                Ok(done) => results.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    });
    results.sort_unstable_by_key(|(at, _)| *at);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A stable id: the document's stem and a hash of the block, so it survives
/// edits elsewhere in the document; repeated blocks get `-2`, `-3`...
pub(crate) fn unique_id(used: &mut BTreeSet<String>, stem: &str, block: &Block) -> String {
    let mut hasher = Sha256::new();
    hasher.update(block.info.as_bytes());
    hasher.update(b"\n");
    hasher.update(block.text.as_bytes());
    let digest = hasher.finalize();
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let mut stem = sandbox::sanitize(stem);
    stem.truncate(40);
    let base = format!("{}-{hash}", stem.trim_end_matches('-'));
    let mut id = base.clone();
    let mut n = 2;
    while !used.insert(id.clone()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The report row of one block on one toolchain.
fn row(
    entry: &Entry,
    toolchain: Option<&str>,
    results: Option<&BuildResults>,
    registry: &Registry,
) -> SnippetReport {
    let lookups = &registry.lookups;
    let block = &entry.block;
    let mut out = SnippetReport {
        id: entry.id.clone(),
        file: entry.file.clone(),
        line: block.fence_line,
        headings: block.headings.clone(),
        info: block.info.clone(),
        lang: block.fence.lang.clone(),
        rust: block.fence.is_rust,
        status: Status::Skip,
        problems: block.problems.iter().map(describe_problem).collect(),
        ..SnippetReport::default()
    };
    if block.fence.lang.as_deref() == Some("toml")
        && let Err(error) = pins::pins_from_toml_block(&block.text)
    {
        out.problems
            .push(format!("this toml block pins nothing: {error}"));
    }
    if block.fence.lang.is_none() && !block.fence.is_rust && analyze::looks_like_rust(&block.text) {
        out.problems.push(format!(
            "{UNLABELLED}: tag the fence ```rust to have it checked, or ```text if it is not Rust"
        ));
    }
    if !block.fence.is_rust {
        out.skip_reason = Some(match &block.fence.lang {
            Some(lang) => format!("not rust ({lang})"),
            None => "no language on the fence".to_string(),
        });
        return out;
    }
    if block.fence.attrs.ignore {
        out.skip_reason = Some("marked `ignore`".to_string());
        return out;
    }
    let Some(snippet) = &entry.snippet else {
        return out;
    };
    out.edition = Some(snippet.edition.as_str().to_string());
    out.expect = Some(match &snippet.expect {
        Expect::Pass => "pass".to_string(),
        Expect::CompileFail { codes } if codes.is_empty() => "compile_fail".to_string(),
        Expect::CompileFail { codes } => format!("compile_fail,{}", codes.join(",")),
    });
    out.shape = entry.wrapped.as_ref().map(|w| w.kind.as_str().to_string());
    out.problems.extend(snippet.problems.iter().cloned());
    if let Shape::TooLarge { reason } = &snippet.shape {
        out.cause = Some(Cause::TooLarge);
        out.skip_reason = Some(format!("not checked: {reason}"));
        return out;
    }
    if entry.wrapped.is_none() && !snippet.outside_access.is_empty() {
        out.cause = Some(Cause::OutsideAccess);
        out.skip_reason = Some(format!(
            "not built: {} (allow with --allow-outside-access)",
            snippet.outside_access.join("; ")
        ));
        out.suggestion = Some(Cause::OutsideAccess.info().fix.to_string());
        return out;
    }
    if let Shape::Unparsable(error) = &snippet.shape {
        out.status = Status::Fail;
        out.cause = Some(Cause::Syntax);
        out.diagnostics
            .push(syntax_diagnostic(entry, snippet, error));
        return out;
    }
    if snippet.needs_bare_metal_target() {
        out.status = Status::Skip;
        out.cause = Some(Cause::TargetSpecific);
        out.skip_reason = Some(
            "`#![no_std]` + `#![no_main]` firmware needs a bare-metal target; only the host target is built"
                .to_string(),
        );
        out.suggestion = Some(Cause::TargetSpecific.info().fix.to_string());
        return out;
    }
    let Some(deps) = &entry.deps else {
        out.status = Status::Fail;
        out.cause = Some(Cause::Syntax);
        return out;
    };
    let package = entry.package();
    let units = results.and_then(|r| r.units.get(&package));
    let versions = results.and_then(|r| r.versions.get(&package));
    let failure = results.and_then(|r| r.failure.as_deref());
    out.dependencies = deps
        .deps
        .iter()
        .map(|d| Dependency {
            name: d.name.clone(),
            package: d.package.clone(),
            requirement: d.requirement.clone(),
            version: versions.and_then(|v| v.get(&d.package)).cloned(),
            features: d.features.iter().cloned().collect(),
            dev: d.dev,
            pinned: None,
            latest: registry.version(&d.package),
            last_passing: None,
            first_failing: None,
        })
        .collect();
    if !deps.unknown.is_empty() || !deps.unreachable.is_empty() {
        out.status = Status::Fail;
        out.cause = Some(if deps.unknown.is_empty() {
            Cause::RegistryUnreachable
        } else {
            Cause::UnknownCrate
        });
        for name in &deps.unknown {
            out.diagnostics.push(crate_diagnostic(
                entry,
                snippet,
                name,
                format!("crate `{name}` is not published on crates.io"),
                "not found in the registry",
            ));
        }
        for name in &deps.unreachable {
            let reason = match lookups.get(name) {
                Some(Lookup::Unreachable(reason)) => reason.clone(),
                _ => "the registry did not answer".to_string(),
            };
            out.diagnostics.push(crate_diagnostic(
                entry,
                snippet,
                name,
                format!("could not look up crate `{name}`: {reason}"),
                "the registry could not be asked",
            ));
        }
        return out;
    }
    let Some(toolchain) = toolchain else {
        out.skip_reason = Some("no installed toolchain to build with".to_string());
        return out;
    };
    out.toolchain = Some(toolchain.to_string());
    if let Some(reason) = results.and_then(|r| r.unresolvable.get(&package)) {
        out.status = Status::Fail;
        out.cause = Some(Cause::UnresolvableDependency);
        out.diagnostics.push(fence_diagnostic(
            entry,
            format!("cannot resolve the example's dependencies: {reason}"),
        ));
        out.suggestion = Some(Cause::UnresolvableDependency.info().fix.to_string());
        return out;
    }
    match (units, failure) {
        (Some(result), _)
            if results.is_some_and(|r| r.interrupted)
                && !result.built
                && result.diagnostics.is_empty() =>
        {
            out.skip_reason = Some("not checked: the run was interrupted".to_string());
        }
        (Some(result), _)
            if results.is_some_and(|r| r.timed_out)
                && !result.built
                && !result.diagnostics.iter().any(|d| d.level == "error") =>
        {
            out.status = Status::Fail;
            out.cause = Some(Cause::Timeout);
            out.diagnostics = result.diagnostics.clone();
        }
        (Some(result), _) => {
            let (status, cause) = diagnose::verdict(&snippet.expect, result);
            out.status = status;
            out.cause = cause;
            out.diagnostics = result.diagnostics.clone();
        }
        (None, Some(failure)) => {
            out.status = Status::Fail;
            out.cause = Some(Cause::DependencyBuild);
            out.diagnostics
                .push(fence_diagnostic(entry, failure.to_string()));
        }
        (None, None) => {
            out.skip_reason = Some("not built".to_string());
        }
    }
    out
}

/// With stable and nightly rows for a block: is it broken everywhere (the doc
/// rots), only on nightly (a compiler regression or a new lint, worth reporting
/// upstream), or only on stable (it needs a feature)?
fn differential(rows: &mut [SnippetReport]) {
    let mut by_id: BTreeMap<String, (Option<Status>, Option<Status>)> = BTreeMap::new();
    for row in rows.iter() {
        let slot = by_id.entry(row.id.clone()).or_default();
        match row.toolchain.as_deref() {
            Some(t) if t.starts_with("nightly") => slot.1 = Some(row.status),
            Some(_) => slot.0 = slot.0.or(Some(row.status)),
            None => {}
        }
    }
    for row in rows.iter_mut() {
        let Some((Some(stable), Some(nightly))) = by_id.get(&row.id) else {
            continue;
        };
        let verdict = match (*stable == Status::Fail, *nightly == Status::Fail) {
            (true, true) => "broken-everywhere",
            (false, true) => "nightly-regression",
            (true, false) => "nightly-only",
            (false, false) => continue,
        };
        row.differential = Some(verdict.to_string());
    }
}

/// The start of the problem that flags an untagged block that parses as Rust.
const UNLABELLED: &str = "this block has no language but parses as Rust";

fn describe_problem(problem: &BlockProblem) -> String {
    match problem {
        BlockProblem::Unterminated => {
            "the fence is never closed: the block runs to the end of the document".to_string()
        }
    }
}

fn syntax_diagnostic(entry: &Entry, snippet: &Snippet, error: &analyze::SyntaxError) -> Diagnostic {
    let Some(line) = snippet.lines.get(error.line as usize) else {
        return fence_diagnostic(entry, error.message.clone());
    };
    let column = line.doc_column(error.column);
    Diagnostic {
        level: "error".into(),
        code: None,
        message: format!("syntax error: {}", error.message),
        file: entry.file.clone(),
        line: line.origin.line,
        column,
        end_line: line.origin.line,
        end_column: column + 1,
        label: Some(error.message.clone()),
        in_wrapper: false,
        notes: Vec::new(),
    }
}

/// A diagnostic about a crate name, placed at its first mention in the snippet.
fn crate_diagnostic(
    entry: &Entry,
    snippet: &Snippet,
    name: &str,
    message: String,
    label: &str,
) -> Diagnostic {
    let mention = snippet.code.split('\n').enumerate().find_map(|(i, text)| {
        let at = find_word(text, name)?;
        Some((i, text[..at].chars().count()))
    });
    match mention.and_then(|(i, chars)| Some((snippet.lines.get(i)?, chars))) {
        Some((line, chars)) => {
            let column = line.doc_column(crate::text::to_u32(chars + 1));
            Diagnostic {
                level: "error".into(),
                code: None,
                message,
                file: entry.file.clone(),
                line: line.origin.line,
                column,
                end_line: line.origin.line,
                end_column: column + crate::text::to_u32(name.chars().count()),
                label: Some(label.to_string()),
                in_wrapper: false,
                notes: Vec::new(),
            }
        }
        None => fence_diagnostic(entry, message),
    }
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let after = text[i + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_ident(c));
        before && after
    })
}

fn fence_diagnostic(entry: &Entry, message: String) -> Diagnostic {
    Diagnostic {
        level: "error".into(),
        code: None,
        message,
        file: entry.file.clone(),
        line: entry.block.fence_line,
        column: 1,
        end_line: entry.block.fence_line,
        end_column: 1,
        label: None,
        in_wrapper: false,
        notes: Vec::new(),
    }
}

fn summarize(specs: &[SpecFile], rows: &[SnippetReport]) -> Vec<FileSummary> {
    specs
        .iter()
        .map(|spec| {
            let file = spec.display();
            let mut summary = FileSummary {
                file: file.clone(),
                ..FileSummary::default()
            };
            let mut counted = BTreeSet::new();
            for row in rows.iter().filter(|r| r.file == file) {
                if counted.insert(row.id.clone()) {
                    summary.blocks += 1;
                    let lang = row.lang.clone().unwrap_or_else(|| "(none)".to_string());
                    *summary.languages.entry(lang).or_default() += 1;
                    if row.rust {
                        summary.rust_blocks += 1;
                        if row.toolchain.is_some() {
                            summary.verified += 1;
                        }
                        if row
                            .expect
                            .as_deref()
                            .is_some_and(|e| e.starts_with("compile_fail"))
                        {
                            summary.expected_to_fail += 1;
                        }
                        if let Some(reason) = &row.skip_reason {
                            *summary.skipped.entry(reason.clone()).or_default() += 1;
                        }
                    } else if row.lang.is_none()
                        && row.problems.iter().any(|p| p.starts_with(UNLABELLED))
                    {
                        summary.unlabelled_rust.push(row.line);
                    }
                }
                match row.status {
                    Status::Pass => summary.pass += 1,
                    Status::Warn => summary.warn += 1,
                    Status::Fail => summary.fail += 1,
                    Status::Skip => summary.skip += 1,
                }
            }
            summary
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::parallel_map;

    #[test]
    fn parallel_map_keeps_the_order() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = parallel_map(&items, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert_eq!(parallel_map(&items[..3], |n| n + 1), [1, 2, 3]);
        assert!(parallel_map(&[] as &[u32], |n| *n).is_empty());
    }
}
