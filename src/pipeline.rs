//! The pipeline, top to bottom: discover, extract and prepare, infer
//! dependencies, settle the lock, build on every toolchain, diagnose, repair,
//! make the report's rows.
//!
//! This is the only module that knows the order of the stages. Each stage is
//! a function from the previous stage's data to the next; every build goes
//! through the one executor (`executor.rs`), and what a stage counted or met
//! comes back as a [`Log`] that [`run`] adds up in order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cache::{FailureHints, ResultCache};
use crate::crates_io::{CratesIo, Validators};
use crate::deps::KnownCrates;
use crate::diagnose;
use crate::discover::{self, SpecFile};
use crate::error::Result;
use crate::executor::{Executor, LockSeed, Settings};
use crate::experiments::{self, Subject, Toolchains};
use crate::interrupt::interrupted;
use crate::item_sources;
use crate::items;
use crate::lockfile::{LockMode, Lockfile};
use crate::locking::{self, LockRequest};
use crate::log::Log;
use crate::parallel::parallel_map;
use crate::pins::Config;
use crate::policy::Refusal;
use crate::prepare::{self, Unit};
use crate::primary::{self, Inputs, Merging, ToolchainBuild};
use crate::progress::{Event, Observer};
use crate::registry::{self, Network, Registry, RegistryCache, Source};
use crate::repair;
use crate::report::{Cause, Report, RunProblem, SCHEMA_VERSION, Status, ToolchainInfo, Totals};
use crate::rows;
use crate::sandbox::Sandbox;
use crate::trace;

/// How long one request to the registry's index may take.
const REGISTRY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub use crate::parallel::PIPELINE_STACK;
pub use crate::repair::{FileFix, Repair};

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
    /// The configuration file's pins (`snipcheck.toml`).
    pub config: Option<Config>,
    /// Reuse the results of snippets whose inputs did not change.
    pub cache: bool,
    /// Compile compatible snippets as modules of one crate.
    pub merge: bool,
    /// Build snippets that read outside their crate at compile time.
    pub allow_outside_access: bool,
    /// Stop any one process (a build, a registry lookup, a resolution,
    /// rustfmt) that runs longer than this.
    pub build_timeout: Option<std::time::Duration>,
    /// End the whole run this long after it started: running processes are
    /// killed and the report is partial (see `interrupt.rs`).
    pub deadline: Option<std::time::Duration>,
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
    /// Check only the block at this line of this document (`--only`).
    pub only: Option<Only>,
    /// The repairs besides those fixes (see `repair.rs`).
    pub repair: Repair,
    /// How the builds are confined (see `confine.rs`).
    pub confinement: crate::confine::Request,
    /// Test-only: a local crate every scratch crate depends on, and builds
    /// may read (`SNIPCHECK_TEST_INJECT_DEPENDENCY`, see `cli.rs`); never
    /// from a document or `snipcheck.toml`.
    pub test_dependency: Option<crate::sandbox::PathDependency>,
    /// Crate folders (or workspaces) whose library crates every document's
    /// examples build against by path (`--crate`), besides those of the
    /// workspace each document lies in (see `local.rs`). Absolute.
    pub crates: Vec<PathBuf>,
}

/// One block to check, by a line of its document: `--only FILE:LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Only {
    /// The document, as given (compared with the reports' paths, a leading
    /// `./` ignored on both sides).
    pub file: PathBuf,
    /// Any line of the block, its fences included.
    pub line: u32,
}

impl Only {
    /// Whether `entry` is the block asked for.
    fn keeps(&self, file: &str, block: &crate::extract::Block) -> bool {
        let path = |p: &Path| -> Vec<std::ffi::OsString> {
            p.components()
                .filter(|c| !matches!(c, std::path::Component::CurDir))
                .map(|c| c.as_os_str().to_owned())
                .collect()
        };
        let last = block.fence_line + crate::text::to_u32(block.lines.len()) + 1;
        path(Path::new(file)) == path(&self.file) && (block.fence_line..=last).contains(&self.line)
    }
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

/// Runs the whole pipeline. Bad input becomes statuses and problems in the
/// report; only the environment (no cargo, an unusable sandbox) is an `Err`.
pub fn run(options: &VerifyOptions, observer: Observer<'_>) -> Result<Outcome> {
    let (specs, locals, mut log) = documents(options);
    let sandbox = start(options, observer)?;
    let committed = locking::read_lockfile(options.lockfile.as_ref()).unwrap_or_else(|problem| {
        log.problem(problem);
        None
    });

    // Blocks, what documents define, what the policy refuses, what snippets are built with.
    let known = known_crates(options, &mut log);
    let committed_lock = committed.as_ref().map(|(_, lock)| lock);
    let items_dir = sandbox.items_cache_path();
    let at_hand = (committed_lock, items_dir.as_path());
    let Prepared(entries, docs, uses, local, refusals) =
        prepare_entries(&specs, &known, options, (at_hand, &locals));
    let read = locals.readable(&local, &sandbox.root);
    let (executor, confinement) = executor(options, &sandbox, &read, observer, &mut log)?;
    // The toolchains first: the releases a reader gets depend on the primary one.
    let toolchains = toolchain_infos(&executor, options, &mut log);
    let crates_io = CratesIo::new(REGISTRY_TIMEOUT);
    let fetch = |name: &str, known: Option<&Validators>| crates_io.fetch(name, known);
    let cargo_cached = |name: &str| crates_io.cargo_cached(name);
    let source = Source {
        fetch: &fetch,
        cargo_cached: &cargo_cached,
    };
    let names = prepare::registry_names(&uses, &known);
    let mut registry = look_up(&sandbox, options, &toolchains, source, names, &mut log);
    let span = trace::span("resolve dependencies");
    let steer = committed
        .as_ref()
        .filter(|_| !options.latest)
        .map(|(_, l)| l);
    let deps = prepare::dependency_sets(&uses, &local, &known, &registry.lookups, steer);
    let units = prepare::units(&entries, &deps);
    span.done();

    // The nightly for the diagnosis, and the lock every workspace starts from.
    let span = trace::span("nightly for the diagnosis");
    let installed: Vec<(&str, &str)> = toolchains
        .iter()
        .filter_map(|t| Some((t.name.as_str(), t.rustc.as_deref()?)))
        .collect();
    let nightly = nightly_for_diagnosis(&executor, options, &installed, &mut log);
    span.done();
    let span = trace::span("lock");
    let request = LockRequest {
        path: options.lockfile.as_ref(),
        latest: options.latest,
        write: options.write_lockfile,
    };
    let first = installed.first().map(|(t, _)| *t);
    let settled = locking::settle(&executor, request, &units, committed.as_ref(), first);
    span.done();
    log.extend(settled.log);
    let mut lock = settled.seed;

    // Every toolchain's build, the diagnosis of what fails, the repairs.
    let setup = Setup {
        result_cache: ResultCache::new(sandbox.root.join("cache")),
        hints_path: sandbox.failure_hints_path(),
        // A result holds for the confinement it was built under: a build
        // script that needs the network fails confined and passes without.
        diagnosis: format!(
            "diagnose={};nightly={:?};lock={};confinement={}",
            options.diagnose,
            nightly,
            locking::lock_fingerprint(&lock),
            confinement.summary
        ),
    };
    let builds = build_all(
        &executor, options, &units, &installed, &docs, &setup, &mut lock, &mut log,
    )?;
    let diagnoses = match builds.first() {
        Some(primary) if options.diagnose && !interrupted() => {
            let toolchains = Toolchains {
                primary: &primary.toolchain,
                nightly: nightly.as_deref(),
            };
            let inputs = (units.as_slice(), &docs, items_dir.as_path());
            diagnose_failures(
                &executor,
                &mut registry,
                toolchains,
                primary,
                inputs,
                &lock,
                &mut log,
            )?
        }
        _ => BTreeMap::new(),
    };
    let fixes = match builds.first() {
        Some(primary) if options.fix || options.repair.edits_documents() => {
            let asked = repair::Asked {
                suggestions: options.fix,
                repair: options.repair,
            };
            let built = (&executor, primary, &lock);
            let (fixes, found) =
                repair::collect(built, &specs, &entries, &units, &diagnoses, asked)?;
            log.extend(found);
            fixes
        }
        _ => Vec::new(),
    };
    let formatting = match installed.first() {
        Some((toolchain, _)) if options.repair.fmt => {
            let (checks, found) = repair::check_formatting(&executor, &specs, toolchain);
            log.extend(found);
            checks
        }
        _ => BTreeMap::new(),
    };

    // The report.
    let span = trace::span("report rows");
    let (mut rows, to_cache) = rows::rows(
        &entries, &deps, &refusals, &units, &builds, &diagnoses, &docs, &registry,
    );
    span.done();
    write_cache(&setup.result_cache, &to_cache, &mut log);
    let cached_rows = builds
        .iter()
        .map(|b| crate::text::to_u32(b.cached.len()))
        .sum();
    log.count("cached-results", cached_rows);
    rows::differential(&mut rows);
    repair::mark_formatting(&mut rows, &formatting);
    let mut lockfile_summary = settled.summary;
    if let Some(summary) = &mut lockfile_summary {
        // A build found the lockfile unusable and resolved without it.
        summary.unusable =
            summary.found && summary.mode == LockMode::Locked && lock == LockSeed::Keep;
    }
    let mut report = report(&specs, toolchains, rows, log, lockfile_summary, options);
    report.confinement = Some(confinement);
    report.problems.extend(deadline_passed(options));
    Ok(Outcome {
        report,
        sources: sources(&specs),
        fixes,
        lockfile: settled.lockfile,
    })
}

/// What the prepare stage hands forward: every block of every document
/// (this shard's), what each document defines, pins and declares, the crate
/// uses of the snippets that may be built, and the snippets the
/// configuration's `[policy]` refuses, with why.
#[derive(Debug)]
struct Prepared(
    Vec<prepare::Entry>,
    BTreeMap<String, prepare::DocFacts>,
    BTreeMap<String, prepare::Uses>,
    BTreeMap<String, Vec<crate::deps::DepSpec>>,
    BTreeMap<String, Refusal>,
);

/// Every block of every document (this shard's); what each document defines,
/// pins and declares, read from all of its blocks, this shard's or not (ids
/// are given before the shard keeps its own); the crate uses of the
/// snippets, and those the policy refuses. The policy counts a document's
/// crates over all of its blocks too, so every shard refuses the same; a
/// refused snippet keeps no uses, so its crates are never looked up,
/// resolved or written into a workspace.
fn prepare_entries(
    specs: &[SpecFile],
    known: &KnownCrates,
    options: &VerifyOptions,
    ((lock, items_dir), locals): ((Option<&Lockfile>, &Path), &crate::local::LocalCrates),
) -> Prepared {
    let span = trace::span("extract, analyze, wrap").items(specs.len());
    let mut entries = prepare::extract_all(specs, options.allow_outside_access);
    span.done();
    let span = trace::span("glob items");
    let globs = prepare::glob_crates(&entries);
    let items = glob_items(&globs, known, lock, items_dir);
    span.done();
    let _span = trace::span("document facts, scan");
    let docs = prepare::doc_facts(&entries);
    let mut uses = prepare::crate_uses(&entries, known, options.config.as_ref(), &items);
    // Local crates are built by path: no policy or registry is asked about them.
    let mut local = prepare::local_dependencies(&entries, &mut uses, locals);
    let policy = options
        .config
        .as_ref()
        .map(|config| config.policy.clone())
        .unwrap_or_default();
    let mut refusals = prepare::refusals(&entries, &uses, &docs, known, &policy);
    if options.partition.is_some() || options.only.is_some() {
        entries.retain(|e| {
            options
                .partition
                .is_none_or(|p| p.owns_block(&e.file, &e.block.headings, &e.id))
                && options
                    .only
                    .as_ref()
                    .is_none_or(|o| o.keeps(&e.file, &e.block))
        });
        let kept: BTreeSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
        uses.retain(|id, _| kept.contains(id.as_str()));
        refusals.retain(|id, _| kept.contains(id.as_str()));
    }
    uses.retain(|id, _| !refusals.contains_key(id));
    local.retain(|id, _| uses.contains_key(id));
    Prepared(entries, docs, uses, local, refusals)
}

/// The index of the crates whose glob imports may provide path roots:
/// those whose source is on the machine (see `item_sources.rs`). It is
/// read before the policy and the registry, so a root left out is never
/// looked up; a crate not yet downloaded cannot tell, and its roots are left
/// out until a run finds its source (see ARCHITECTURE.md).
fn glob_items(
    globs: &BTreeSet<String>,
    known: &KnownCrates,
    lock: Option<&Lockfile>,
    items_dir: &Path,
) -> items::Index {
    if globs.is_empty() {
        return items::Index::default();
    }
    let sources = item_sources::glob_sources(globs, known, lock, &item_sources::cargo_home());
    item_sources::index(&sources, items_dir)
}

/// The diagnosis of the snippets that fail on the primary toolchain, with
/// the item index of their crates.
fn diagnose_failures(
    executor: &Executor<'_>,
    registry: &mut Registry,
    toolchains: Toolchains<'_>,
    primary: &ToolchainBuild,
    (units, docs, items_dir): (&[Unit<'_>], &BTreeMap<String, prepare::DocFacts>, &Path),
    lock: &LockSeed,
    log: &mut Log,
) -> Result<BTreeMap<String, experiments::Diagnosis>> {
    let subjects = subjects(units, primary);
    let (items, sources) = diagnosis_items(executor, primary, &subjects, units, items_dir, log);
    let context = experiments::Context {
        units,
        docs,
        items: &items,
        sources: &sources,
    };
    let (diagnoses, found) =
        experiments::run(executor, registry, toolchains, &subjects, &context, lock)?;
    log.extend(found);
    Ok(diagnoses)
}

/// What the diagnosis looks unresolved names up in: the items of the crates
/// the failing snippets and the other snippets of their documents depend on
/// (with their facade crates: `serde_core` for `serde`), and of the standard
/// library. Nothing is read when no failing snippet has an unresolved name.
fn diagnosis_items(
    executor: &Executor<'_>,
    primary: &ToolchainBuild,
    subjects: &[Subject<'_>],
    units: &[Unit<'_>],
    items_dir: &Path,
    log: &mut Log,
) -> (items::Index, Vec<item_sources::Source>) {
    let unresolved = subjects.iter().any(|s| {
        s.result
            .diagnostics
            .iter()
            .any(|d| crate::cause::unresolved_name(d.code.as_deref(), &d.message).is_some())
    });
    if !unresolved {
        return (items::Index::default(), Vec::new());
    }
    let _span = trace::span("item index");
    let files: BTreeSet<&str> = subjects
        .iter()
        .map(|s| s.unit.entry.file.as_str())
        .collect();
    let direct: BTreeSet<String> = units
        .iter()
        .filter(|u| files.contains(u.entry.file.as_str()))
        .flat_map(|u| u.deps.deps.iter().map(|d| d.package.replace('-', "_")))
        .collect();
    let wanted = |package: &str| {
        let package = package.replace('-', "_");
        direct.contains(&package)
            || direct.iter().any(|d| {
                package
                    .strip_prefix(d.as_str())
                    .is_some_and(|rest| rest.starts_with('_'))
            })
    };
    let all = &primary.built.sources;
    let mut sources: Vec<item_sources::Source> =
        all.iter().filter(|s| wanted(&s.package)).cloned().collect();
    // And the crates those re-export (js_sys's `pub use wasm_bindgen;`):
    // already in the build's graph, so an import of theirs adds no new crate.
    let mut index = item_sources::index(&sources, items_dir);
    let foreign = index.foreign_crates();
    for source in all.iter().filter(|s| foreign.contains(&s.name_in_code)) {
        index.add_crate(
            &source.name_in_code,
            item_sources::crate_items(source, items_dir),
        );
        sources.push(source.clone());
    }
    if let Some(sysroot) = executor.sysroot(&primary.toolchain, log) {
        item_sources::add_std(&mut index, &sysroot);
    }
    (index, sources)
}

/// Where the builds' results are remembered between runs, and the
/// diagnosis' part of every cache key.
#[derive(Debug)]
struct Setup {
    result_cache: ResultCache,
    hints_path: PathBuf,
    diagnosis: String,
}

/// One build of every snippet per installed toolchain, but for the snippets
/// whose results the cache holds; then the failure hints for the next run.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's stages, each handed in as data"
)]
fn build_all(
    executor: &Executor<'_>,
    options: &VerifyOptions,
    units: &[Unit<'_>],
    installed: &[(&str, &str)],
    docs: &BTreeMap<String, prepare::DocFacts>,
    setup: &Setup,
    lock: &mut LockSeed,
    log: &mut Log,
) -> Result<Vec<ToolchainBuild>> {
    let mut hints = FailureHints::load(setup.hints_path.clone());
    let mut builds = Vec::new();
    let mut rebuilt_alone = BTreeSet::new();
    for &toolchain in installed {
        let inputs = Inputs {
            merging: if options.merge {
                Merging::Merge
            } else {
                Merging::Alone
            },
            cache: options.cache.then_some(&setup.result_cache),
            hints: &hints,
            lock,
            docs,
            diagnosis_setup: &setup.diagnosis,
        };
        let (mut build, alone) = primary::build_toolchain(executor, units, toolchain, inputs)?;
        if build.built.log.lock_abandoned {
            *lock = LockSeed::Keep;
        }
        log.extend(std::mem::take(&mut build.built.log));
        rebuilt_alone.extend(alone);
        builds.push(build);
    }
    if let Some((built, failed)) = primary::failure_hints(units, &builds)
        && let Err(error) = hints.record(&built, &failed, &rebuilt_alone)
    {
        log.problem(RunProblem::environment(None, error.to_string()));
    }
    Ok(builds)
}

/// The report of the run: rows, per-document summaries, totals, problems.
fn report(
    specs: &[SpecFile],
    toolchains: Vec<ToolchainInfo>,
    rows: Vec<crate::report::SnippetReport>,
    log: Log,
    lockfile: Option<crate::report::LockfileSummary>,
    options: &VerifyOptions,
) -> Report {
    let names: Vec<String> = specs.iter().map(SpecFile::display).collect();
    let files: Vec<_> = crate::report::summarize_files(&names, &rows)
        .into_iter()
        .zip(specs)
        .map(|(summary, spec)| summary.with_kind(&spec.kind))
        .collect();
    let totals = Totals::count(&files, &rows);
    Report {
        schema: SCHEMA_VERSION,
        snipcheck_version: env!("CARGO_PKG_VERSION").to_string(),
        toolchains,
        files,
        snippets: rows,
        totals,
        problems: log.problems,
        cargo_invocations: log.invocations,
        baseline: None,
        incomplete: interrupted(),
        lockfile,
        partition: options.partition,
        confinement: None,
        // The edge records it, once it knows whether a baseline was read.
        fail_on: None,
    }
}

/// The documents, and the local crates of each (see `local.rs`); what
/// could not be read of them starts the run's `Log`.
fn documents(options: &VerifyOptions) -> (Vec<SpecFile>, crate::local::LocalCrates, Log) {
    let (specs, mut problems) = discover::discover(&options.specs);
    let (locals, local_problems) = crate::local::find(&specs, &options.crates);
    problems.extend(local_problems);
    let log = Log {
        problems,
        ..Log::default()
    };
    (specs, locals, log)
}

/// The run's executor, confined as `confinement` decides once the run
/// knows which local crates its builds must read, and what the report says
/// of the confinement; a rustc wrapper confined builds leave
/// out is a problem in `log`.
fn executor<'s>(
    options: &VerifyOptions,
    sandbox: &'s Sandbox,
    local_read: &[(PathBuf, Vec<PathBuf>)],
    observer: Observer<'s>,
    log: &mut Log,
) -> Result<(Executor<'s>, crate::report::ConfinementSummary)> {
    let confine = confinement(options, sandbox, local_read)?;
    let summary = confine.summary();
    let executor = Executor::new(sandbox, settings(options, confine), observer);
    log.problems.extend(wrapper_left_out(&executor));
    Ok((executor, summary))
}

/// The run's start: its deadline set, the sandbox opened (waiting for another
/// run's turn).
fn start(options: &VerifyOptions, observer: Observer<'_>) -> Result<Sandbox> {
    if let Some(deadline) = options.deadline {
        crate::interrupt::set_deadline(std::time::Instant::now() + deadline);
    }
    Sandbox::open(&options.sandbox, &|root| {
        observer(Event::WaitingForSandbox {
            sandbox: root.to_path_buf(),
        });
    })
}

/// How the run's builds are confined: decided once, with the workspaces of
/// the local crates its snippets use readable (`local_read`: each folder and
/// the entries of it builds may read, `LocalCrates::readable`).
fn confinement(
    options: &VerifyOptions,
    sandbox: &Sandbox,
    local_read: &[(PathBuf, Vec<PathBuf>)],
) -> Result<crate::confine::Confinement> {
    let mut confine =
        crate::confine::Confinement::new(&options.confinement, &sandbox.private_tmp()?)?;
    if let Some(injected) = &options.test_dependency {
        confine = confine.also_reading(&injected.path);
    }
    // Builds read the local crates' workspaces (never write them: their
    // artifacts go to the scratch target dir).
    for (workspace, entries) in local_read {
        confine = confine.reading_local_crates(workspace, entries);
    }
    Ok(confine)
}

/// A rustc wrapper in the environment that confined builds leave out, and why.
fn wrapper_left_out(executor: &Executor<'_>) -> Vec<RunProblem> {
    if !executor.confined() {
        return Vec::new();
    }
    crate::confine::DROPPED_ENV
        .iter()
        .filter(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
        .map(|name| RunProblem::environment(None, format!(
            "{name} is not used: confined builds cannot reach a compilation cache (no network, no writes outside the sandbox); run with --unconfined to use it"
        )))
        .collect()
}

/// The problem that says the run's deadline passed, when it did.
fn deadline_passed(options: &VerifyOptions) -> Option<RunProblem> {
    let deadline = options
        .deadline
        .filter(|_| crate::interrupt::deadline_passed())?;
    Some(RunProblem::limit(
        None,
        format!(
            "the run's deadline ({} s, --deadline) passed: running processes were stopped and unchecked blocks skipped",
            deadline.as_secs()
        ),
    ))
}

/// Where the executor builds, and how it is bounded.
fn settings(options: &VerifyOptions, confine: crate::confine::Confinement) -> Settings {
    Settings {
        confine,
        target_dir: options.target_dir.clone(),
        offline: options.offline,
        timeout: options.build_timeout,
        record: std::env::var_os("SNIPCHECK_RECORD").map(PathBuf::from),
        test_dependency: options.test_dependency.clone(),
    }
}

/// The documents' texts, for rendering source excerpts.
fn sources(specs: &[SpecFile]) -> BTreeMap<String, String> {
    specs
        .iter()
        .map(|s| (s.display(), s.text.clone()))
        .collect()
}

/// The built-in known-crate rules and the configuration's; a bad table is a problem and skipped.
fn known_crates(options: &VerifyOptions, log: &mut Log) -> KnownCrates {
    let mut known = KnownCrates::builtin();
    for extra in &options.known_crates {
        if let Err(error) = known.extend_from_toml(extra) {
            log.problem(RunProblem::input(
                Some("known crates".into()),
                error.to_string(),
            ));
        }
    }
    known
}

/// The run's registry (its cache in the sandbox, whether it may use the
/// network, the primary toolchain's rustc, which the newest releases must
/// suit), once it has looked up `names`.
fn look_up<'s>(
    sandbox: &Sandbox,
    options: &VerifyOptions,
    toolchains: &[ToolchainInfo],
    source: Source<'s>,
    names: BTreeSet<String>,
    log: &mut Log,
) -> Registry<'s> {
    let cache = RegistryCache::load(sandbox.registry_cache_path());
    let network = if options.offline {
        Network::Offline
    } else {
        Network::Online
    };
    let rustc = toolchains
        .iter()
        .find_map(|t| t.rustc.as_deref())
        .and_then(registry::rustc_version);
    let mut registry = Registry::new(cache, source, network, rustc);
    let span = trace::span("registry").items(names.len());
    log.extend(registry.lookup(names));
    span.done();
    registry
}

/// Appended to the `rustc -V` of a toolchain without clippy.
pub const WITHOUT_CLIPPY: &str = " (without clippy)";

/// Every requested toolchain and its `rustc -V` (marked [`WITHOUT_CLIPPY`]
/// when its clippy is missing, with one problem saying so), or a problem
/// saying it is not installed.
fn toolchain_infos(
    executor: &Executor<'_>,
    options: &VerifyOptions,
    log: &mut Log,
) -> Vec<ToolchainInfo> {
    let _span = trace::span("toolchain versions");
    let mut toolchains = Vec::new();
    for toolchain in &options.toolchains {
        let mut rustc = executor.rustc_version(toolchain, log);
        if let Some(version) = &mut rustc
            && !executor.clippy_installed(toolchain, log)
        {
            log.problem(RunProblem::environment(
                Some(toolchain.clone()),
                format!(
                    "clippy is not installed for toolchain `{toolchain}`; its examples were built with `cargo check`, without clippy's lints (install it with `rustup component add clippy --toolchain {toolchain}`)"
                ),
            ));
            // Part of every cache key and row: a result without lints is
            // never taken for one with them.
            version.push_str(WITHOUT_CLIPPY);
        }
        if rustc.is_none() {
            log.problem(RunProblem::environment(
                Some(toolchain.clone()),
                format!(
                    "toolchain `{toolchain}` is not installed; its builds are skipped (install it with `rustup toolchain install {toolchain}`)"
                ),
            ));
        }
        toolchains.push(ToolchainInfo {
            name: toolchain.clone(),
            installed: rustc.is_some(),
            rustc,
        });
    }
    toolchains
}

/// The nightly toolchain the diagnosis may use for feature-gate experiments,
/// even when it is not among the toolchains checked.
fn nightly_for_diagnosis(
    executor: &Executor<'_>,
    options: &VerifyOptions,
    installed: &[(&str, &str)],
    log: &mut Log,
) -> Option<String> {
    if let Some((name, _)) = installed.iter().find(|(t, _)| t.starts_with("nightly")) {
        return Some((*name).to_string());
    }
    if !options.diagnose || installed.is_empty() {
        return None;
    }
    let found = executor
        .rustc_version("nightly", log)
        .map(|_| "nightly".to_string());
    if found.is_none() {
        log.problem(RunProblem::environment(
            Some("nightly".to_string()),
            "the nightly toolchain is not installed: examples that need an unstable feature are diagnosed from stable's errors alone, without the nightly build that would confirm it".to_string(),
        ));
    }
    found
}

/// The snippets that fail to compile on the primary toolchain, for the diagnosis.
fn subjects<'u>(units: &[Unit<'u>], primary: &'u ToolchainBuild) -> Vec<Subject<'u>> {
    units
        .iter()
        .filter_map(|&unit| {
            let result = primary.built.units.get(&unit.package())?;
            let (status, cause) = diagnose::verdict(&unit.snippet.expect, result);
            (status == Status::Fail && cause == Some(Cause::Compile))
                .then_some(Subject { unit, result })
        })
        .collect()
}

/// Writes this run's results to the cache, on every core (thousands of small
/// files: their system calls are most of the time); one problem for all failures.
fn write_cache(
    cache: &ResultCache,
    results: &[(&crate::cache::Key, crate::cache::Outcome)],
    log: &mut Log,
) {
    let _span = trace::span("cache writes").items(results.len());
    let failed = parallel_map(results, |(key, outcome)| cache.put(key, outcome).err());
    let mut failed = failed.into_iter().flatten();
    if let Some(first) = failed.next() {
        let more = failed.count();
        let message = match more {
            0 => first.to_string(),
            _ => format!("{first} (and {more} more results could not be cached)"),
        };
        log.problems.push(RunProblem::environment(None, message));
    }
}
