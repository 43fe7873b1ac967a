//! The build executor: the only code that writes the scratch workspace and
//! starts cargo, rustc and rustfmt.
//!
//! Every build of a run — the primary build, the merge re-rounds, the
//! diagnosis variant rounds, the repair builds, the lockfile resolution — is the
//! same loop: a pure *plan* step makes a [`BuildPlan`], [`Executor::build`]
//! carries it out, and a pure *absorb* step reads the [`BuildOutcome`]. The
//! executor turns what cargo printed into per-unit results with diagnostics
//! already placed at Markdown lines ([`read_build`], pure, tested with recorded
//! cargo output), and says what could not be built and why. It mutates
//! nothing of its callers': what it counted and the problems it met come back
//! in the outcome's [`Log`].
//!
//! With `SNIPCHECK_RECORD=DIR` every cargo build and failed resolution is also
//! written to `DIR` as JSON (paths below the workspace as `$WS`), which is how
//! the recorded fixtures in `tests/fixtures/executor/` were made.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analyze::CodeLine;
use crate::cargo;
use crate::diagnose::{self, UnitMap, UnitResult};
use crate::error::Result;
use crate::log::Log;
use crate::plan;
use crate::progress::{Event, Observer, Purpose};
use crate::report::RunProblem;
use crate::sandbox::{self, CrateFiles, Sandbox};
use crate::trace;
use crate::wrap::WrappedSource;

/// One crate to build: its files, and the snippets in it (one, or several
/// merged as modules), each with the map from the crate's source back to its
/// document.
#[derive(Debug, Clone)]
pub struct Job {
    pub files: CrateFiles,
    pub members: Vec<Member>,
}

/// One snippet inside a job's crate.
#[derive(Debug, Clone)]
pub struct Member {
    /// The key its results are reported under (the snippet's package name).
    pub key: String,
    pub wrapped: WrappedSource,
    pub lines: Vec<CodeLine>,
    pub file: String,
    pub fence_line: u32,
}

impl Job {
    /// A crate holding one snippet, whose package name is its key.
    pub fn single(
        files: CrateFiles,
        wrapped: WrappedSource,
        lines: Vec<CodeLine>,
        file: String,
        fence_line: u32,
    ) -> Job {
        let key = files.package.clone();
        Job {
            files,
            members: vec![Member {
                key,
                wrapped,
                lines,
                file,
                fence_line,
            }],
        }
    }
}

/// What a scratch workspace's `Cargo.lock` is before cargo resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockSeed {
    /// Whatever the last run left in the sandbox (no lockfile given).
    Keep,
    /// This text (the committed lockfile, or a fresh resolution of the run).
    Seed(String),
    /// None: resolve every crate to its newest release.
    Fresh,
}

/// Whether a build resolves its workspace with `cargo metadata` first, for
/// the dependency versions the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    Resolve,
    Skip,
}

/// One cargo build, as data: what to write, with what, and what to keep beside it.
#[derive(Debug, Clone)]
pub struct BuildPlan {
    /// The workspace folder's name inside the sandbox.
    pub workspace: String,
    pub toolchain: String,
    pub purpose: Purpose,
    /// The crates reported on.
    pub jobs: Vec<Job>,
    /// Crates built beside them but not reported on (see [`BuildPlan::kept`]'s use
    /// in the merge rounds: the same feature unification as the primary build).
    pub kept: Vec<CrateFiles>,
    pub versions: Versions,
    /// The `Cargo.lock` the workspace starts from.
    pub lock: LockSeed,
}

impl BuildPlan {
    /// The primary build of `toolchain`: the primary workspace, resolved for
    /// the versions the report shows.
    pub fn primary(toolchain: &str, jobs: Vec<Job>, lock: &LockSeed) -> BuildPlan {
        BuildPlan {
            workspace: sandbox::PRIMARY_WORKSPACE.to_string(),
            toolchain: toolchain.to_string(),
            purpose: Purpose::Checking,
            jobs,
            kept: Vec::new(),
            versions: Versions::Resolve,
            lock: lock.clone(),
        }
    }

    /// A diagnosis or repair build in a workspace of its own, not resolved first.
    pub fn variants(
        workspace: String,
        toolchain: &str,
        jobs: Vec<Job>,
        lock: &LockSeed,
    ) -> BuildPlan {
        BuildPlan {
            workspace,
            toolchain: toolchain.to_string(),
            purpose: Purpose::Diagnosing,
            jobs,
            kept: Vec::new(),
            versions: Versions::Skip,
            lock: lock.clone(),
        }
    }
}

/// What one build said about each package, and what the executor met doing it.
#[derive(Debug, Default)]
pub struct BuildOutcome {
    pub units: BTreeMap<String, UnitResult>,
    /// Package name -> dependency package name -> resolved version.
    pub versions: BTreeMap<String, BTreeMap<String, String>>,
    /// Why nothing was built, when cargo could not even resolve the workspace.
    pub failure: Option<String>,
    /// Packages left out because cargo cannot meet their dependency
    /// requirements (no such version, only yanked ones): package -> cargo's reason.
    pub unresolvable: BTreeMap<String, String>,
    /// The build was stopped at the time limit: what it did not finish timed out.
    pub timed_out: bool,
    /// The build was stopped because the run was interrupted.
    pub interrupted: bool,
    /// Members of merged crates whose messages named the merged modules
    /// (`__snipcheck_m3::Foo`) before they were normalized: what they say may
    /// depend on their neighbours.
    pub named_modules: BTreeSet<String>,
    /// Units whose compiler a signal ended (the memory cap, a kill): unit -> why.
    pub stopped: BTreeMap<String, String>,
    /// Units not built, without an error of their own, because a dependency
    /// failed to build: unit -> that dependency and why it failed
    /// ([`crate::cause::blocker`]).
    pub blocked: BTreeMap<String, Blocked>,
    /// The source of every package the build resolved but its own crates
    /// (from `cargo metadata`, which downloaded them): what
    /// `pipeline::diagnosis_items` indexes for the diagnosis.
    pub sources: Vec<crate::item_sources::Source>,
    pub log: Log,
}

impl BuildOutcome {
    /// Adds a later round's outcome for other units of the same build.
    pub fn extend(&mut self, later: BuildOutcome) {
        self.units.extend(later.units);
        self.named_modules.extend(later.named_modules);
        self.stopped.extend(later.stopped);
        self.blocked.extend(later.blocked);
        for source in later.sources {
            if !self.sources.contains(&source) {
                self.sources.push(source);
            }
        }
        self.timed_out |= later.timed_out;
        self.interrupted |= later.interrupted;
        self.log.extend(later.log);
    }
}

/// A dependency that kept a unit from building, and why it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The dependency as cargo names it (`prost-build v0.13.5`).
    pub dependency: String,
    pub why: crate::cause::Blocker,
}

/// A workspace resolved by `cargo metadata`, or why it could not be.
#[derive(Debug)]
pub struct Resolution {
    /// The workspace as last written: without the crates left out.
    pub written: sandbox::WrittenWorkspace,
    pub metadata: Option<cargo_metadata::Metadata>,
    /// Crates left out because their requirements cannot be met: package -> reason.
    pub unresolvable: BTreeMap<String, String>,
    /// Why the workspace could not be resolved at all.
    pub failure: Option<String>,
    /// The resolution ran past the time limit: its crates time out.
    pub timed_out: bool,
    pub log: Log,
}

/// Where builds go and how they are bounded: fixed for a run.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Shared target dir for every toolchain's builds (one subfolder each); by
    /// default inside the sandbox.
    pub target_dir: Option<PathBuf>,
    pub offline: bool,
    /// Stop a cargo build that runs longer than this.
    pub timeout: Option<std::time::Duration>,
    /// Write every build's cargo output here (`SNIPCHECK_RECORD`).
    pub record: Option<PathBuf>,
    /// How every process is confined (see `confine.rs`).
    pub confine: crate::confine::Confinement,
    /// Test-only: a local crate every scratch crate depends on (the attack
    /// suite's build script; see `sandbox::PathDependency`). `None` in every
    /// real run.
    pub test_dependency: Option<sandbox::PathDependency>,
}

/// The only doer of a run: writes the sandbox, starts the processes.
pub struct Executor<'a> {
    sandbox: &'a Sandbox,
    settings: Settings,
    observer: Observer<'a>,
    /// Builds and resolutions recorded so far (`SNIPCHECK_RECORD`), to number the files.
    recorded: std::sync::atomic::AtomicUsize,
    /// What this run has downloaded: per toolchain and lockfile text, the
    /// dependencies written with it (resolved by `cargo metadata` or
    /// fetched), so a later build of a subset needs no `cargo fetch`.
    downloaded: std::sync::Mutex<Vec<Downloaded>>,
    /// The toolchains found without clippy ([`Executor::clippy_installed`]):
    /// their builds are `cargo check`.
    without_clippy: std::sync::Mutex<BTreeSet<String>>,
}

/// One resolution or fetch of the run (see `Executor::downloaded`).
#[derive(Debug)]
struct Downloaded {
    toolchain: String,
    lock: String,
    deps: BTreeSet<String>,
}

impl std::fmt::Debug for Executor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("sandbox", &self.sandbox)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What a resolution step decided after `cargo metadata` failed: leave this
/// crate of ours out (its requirement cannot be met, for this reason) and try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveOut {
    pub package: String,
    pub reason: String,
}

impl<'a> Executor<'a> {
    pub fn new(sandbox: &'a Sandbox, settings: Settings, observer: Observer<'a>) -> Executor<'a> {
        Executor {
            sandbox,
            settings,
            observer,
            recorded: std::sync::atomic::AtomicUsize::new(0),
            downloaded: std::sync::Mutex::new(Vec::new()),
            without_clippy: std::sync::Mutex::new(BTreeSet::new()),
        }
    }

    /// Whether the builds run confined (see `confine.rs`).
    pub fn confined(&self) -> bool {
        self.settings.confine.is_confined()
    }

    pub fn sandbox_root(&self) -> &Path {
        &self.sandbox.root
    }

    /// Writes a scratch workspace: every write of one goes through here, so
    /// the test-only injected dependency reaches every crate.
    fn write_workspace(
        &self,
        name: &str,
        crates: &[CrateFiles],
    ) -> Result<sandbox::WrittenWorkspace> {
        self.sandbox
            .write_workspace(name, crates, self.settings.test_dependency.as_slice())
    }

    fn target_dir(&self, toolchain: &str) -> PathBuf {
        match &self.settings.target_dir {
            Some(dir) => dir.join(sandbox::sanitize(toolchain)),
            None => self.sandbox.target_dir(toolchain),
        }
    }

    /// Carries out one build plan: writes the workspace (resolving it first
    /// when the plan asks for versions), runs one `cargo clippy` over it, and
    /// reads what cargo said ([`read_build`]).
    pub fn build(&self, plan: &BuildPlan) -> Result<BuildOutcome> {
        let mut out = BuildOutcome::default();
        if crate::interrupt::interrupted() {
            out.interrupted = true;
            return Ok(out);
        }
        if plan.jobs.is_empty() {
            return Ok(out);
        }
        let mut crates: Vec<CrateFiles> = plan.jobs.iter().map(|j| j.files.clone()).collect();
        crates.extend(plan.kept.iter().cloned());
        let mut units_total = crates.len();
        let deps: BTreeSet<String> = crates
            .iter()
            .flat_map(|c| c.deps.iter().map(|d| format!("{d:?}")))
            .collect();
        // Without dependencies there is nothing to resolve, and no version to show.
        let resolve = plan.versions == Versions::Resolve && !deps.is_empty();
        let written = if resolve {
            // `resolve` writes the workspace, without the crates it leaves out.
            let _span =
                trace::span(format!("{}: write, metadata", plan.workspace)).items(crates.len());
            let resolution = self.resolve(&plan.workspace, &plan.toolchain, crates, &plan.lock)?;
            match absorb_resolution(plan, resolution, &mut out) {
                Some((written, total)) => {
                    units_total = total;
                    self.remember_download(&plan.toolchain, &written, &deps);
                    written
                }
                None => return Ok(out),
            }
        } else {
            let _span = trace::span(format!("{}: write", plan.workspace)).items(crates.len());
            let written = self.write_workspace(&plan.workspace, &crates)?;
            seed_lock(&written.dir, &plan.lock)?;
            written
        };
        self.fetch_for_confined_build(plan, &deps, &written, &mut out);

        (self.observer)(Event::BuildStarted {
            toolchain: plan.toolchain.clone(),
            purpose: plan.purpose,
            units: units_total,
        });
        out.log.count("build", 1);
        let target_dir = self.target_dir(&plan.toolchain);
        let run = cargo::ClippyRun {
            workspace_dir: &written.dir,
            target_dir: &target_dir,
            toolchain: &plan.toolchain,
            offline: self.settings.offline,
            timeout: self.settings.timeout,
            confine: &self.settings.confine,
            lints: self
                .without_clippy
                .lock()
                .map_or(true, |without| !without.contains(&plan.toolchain)),
        };
        let span = trace::span(format!("{}: clippy", plan.workspace)).items(plan.jobs.len());
        let output = cargo::clippy(&run, &mut |message| {
            if let cargo_metadata::Message::CompilerArtifact(artifact) = message {
                (self.observer)(Event::UnitBuilt {
                    name: progress_label(plan, &artifact.target.name),
                });
            }
        })?;
        (self.observer)(Event::BuildFinished);
        span.done();
        self.record(plan, &written.dir, &output);
        let _span = trace::span(format!("{}: attribute", plan.workspace));
        // Which crates a failed dependency kept from building: the lock's graph.
        let lock = if output.success {
            None
        } else {
            self.read_lock(&written)
        };
        Ok(read_build(
            plan,
            &written.sources,
            (&written.dir, lock.as_deref()),
            &output,
            out,
        ))
    }

    /// A confined build has no network: download first what it needs (a
    /// resolution did already). A failed download is a problem of the run;
    /// the offline build then says which crate it lacks.
    fn fetch_for_confined_build(
        &self,
        plan: &BuildPlan,
        deps: &BTreeSet<String>,
        written: &sandbox::WrittenWorkspace,
        out: &mut BuildOutcome,
    ) {
        let resolved = plan.versions == Versions::Resolve;
        if !self.settings.confine.is_confined()
            || self.settings.offline
            || resolved
            || deps.is_empty()
            || self.already_downloaded(&plan.toolchain, written, deps)
        {
            return;
        }
        let _span = trace::span(format!("{}: fetch", plan.workspace));
        out.log.count("fetch", 1);
        match cargo::fetch(
            &written.dir,
            &plan.toolchain,
            &self.settings.confine,
            self.settings.timeout,
        ) {
            Ok(()) => self.remember_download(&plan.toolchain, written, deps),
            Err(error) => out.log.problem(RunProblem::environment(
                Some(plan.toolchain.clone()),
                error.to_string(),
            )),
        }
    }

    /// Records that `written`'s lockfile and `deps` are downloaded.
    fn remember_download(
        &self,
        toolchain: &str,
        written: &sandbox::WrittenWorkspace,
        deps: &BTreeSet<String>,
    ) {
        let Some(lock) = self.read_lock(written) else {
            return;
        };
        if let Ok(mut downloaded) = self.downloaded.lock() {
            downloaded.push(Downloaded {
                toolchain: toolchain.to_string(),
                lock,
                deps: deps.clone(),
            });
        }
    }

    /// Whether a resolution or fetch of this run with the same toolchain and
    /// lockfile covered every one of `deps` (the re-merge round builds a
    /// subset of the primary build's crates).
    fn already_downloaded(
        &self,
        toolchain: &str,
        written: &sandbox::WrittenWorkspace,
        deps: &BTreeSet<String>,
    ) -> bool {
        let Some(lock) = self.read_lock(written) else {
            return false;
        };
        self.downloaded.lock().is_ok_and(|downloaded| {
            downloaded
                .iter()
                .any(|d| d.toolchain == toolchain && d.lock == lock && deps.is_subset(&d.deps))
        })
    }

    /// Resolves the workspace `workspace` of `crates`, seeded with `lock`, with
    /// `cargo metadata`. A crate whose requirements cannot be met (cargo names
    /// it: "required by package `NAME v...`") is left out and the rest resolved
    /// again, so one bad pin costs its own snippets, not the run.
    pub fn resolve(
        &self,
        workspace: &str,
        toolchain: &str,
        mut crates: Vec<CrateFiles>,
        lock: &LockSeed,
    ) -> Result<Resolution> {
        let mut log = Log::default();
        let mut unresolvable = BTreeMap::new();
        loop {
            let written = self.write_workspace(workspace, &crates)?;
            seed_lock(&written.dir, lock)?;
            let error = match self.metadata(&written, toolchain, &mut log) {
                Ok(metadata) => {
                    return Ok(resolution(written, Some(metadata), unresolvable, None, log));
                }
                Err(_) if crate::interrupt::interrupted() => {
                    return Ok(resolution(written, None, unresolvable, None, log));
                }
                Err(error) if error.is_timeout() => {
                    let failure = match &error {
                        crate::error::Error::Spawn { command, .. } => format!(
                            "`{command}` ran past the time limit (--timeout) and was stopped"
                        ),
                        other => other.to_string(),
                    };
                    let mut stopped = resolution(written, None, unresolvable, Some(failure), log);
                    stopped.timed_out = true;
                    return Ok(stopped);
                }
                Err(error) => error,
            };
            let mut shown = error.to_string();
            let mut text = error_text(&error);
            // Is the lockfile at fault (versions that contradict each other or
            // the examples), or a requirement? Resolving without it tells.
            if let LockSeed::Seed(_) = lock {
                sandbox::remove_file_if_exists(&written.dir.join("Cargo.lock"))?;
                match self.metadata(&written, toolchain, &mut log) {
                    Ok(metadata) => {
                        log.problem(RunProblem::environment(None, format!(
                            "cargo cannot use the lockfile's versions for these examples ({}); they were resolved afresh (--bless rewrites the lockfile)",
                            unresolvable_reason(&text)
                        )));
                        log.lock_abandoned = true;
                        return Ok(resolution(written, Some(metadata), unresolvable, None, log));
                    }
                    Err(_) if crate::interrupt::interrupted() => {
                        return Ok(resolution(written, None, unresolvable, None, log));
                    }
                    Err(fresh) => {
                        shown = fresh.to_string();
                        text = error_text(&fresh);
                    }
                }
            }
            self.record_resolution(workspace, toolchain, &written.dir, &text);
            let packages: Vec<String> = crates.iter().map(|c| c.package.clone()).collect();
            let Some(LeaveOut { package, reason }) = resolution_step(&text, &packages) else {
                let failure = format!(
                    "cargo could not resolve the scratch workspace's dependencies: {shown}"
                );
                return Ok(resolution(written, None, unresolvable, Some(failure), log));
            };
            crates.retain(|c| c.package != package);
            unresolvable.insert(package, reason);
            if crates.is_empty() {
                let written = self.write_workspace(workspace, &crates)?;
                return Ok(resolution(written, None, unresolvable, None, log));
            }
        }
    }

    fn metadata(
        &self,
        written: &sandbox::WrittenWorkspace,
        toolchain: &str,
        log: &mut Log,
    ) -> Result<cargo_metadata::Metadata> {
        log.count("metadata", 1);
        cargo::metadata(
            &written.manifest_path,
            toolchain,
            self.settings.offline,
            &self.settings.confine,
            self.settings.timeout,
        )
    }

    /// The toolchain's sysroot (`rustc --print sysroot`), where
    /// `item_sources::add_std` finds the standard library's `all.html`.
    pub fn sysroot(&self, toolchain: &str, log: &mut Log) -> Option<PathBuf> {
        self.ask_rustc(toolchain, log, cargo::rustc_sysroot)
    }

    /// One question to a toolchain's rustc, counted as a `version` call; a
    /// failure is a problem of the run and the answer `None`.
    fn ask_rustc<T>(
        &self,
        toolchain: &str,
        log: &mut Log,
        ask: impl FnOnce(&str, &crate::confine::Confinement, cargo::Limit) -> Result<Option<T>>,
    ) -> Option<T> {
        log.count("version", 1);
        match ask(toolchain, &self.settings.confine, self.settings.timeout) {
            Ok(answer) => answer,
            Err(error) => {
                log.problem(RunProblem::environment(
                    Some(toolchain.to_string()),
                    error.to_string(),
                ));
                None
            }
        }
    }

    /// Whether a toolchain has clippy (one `cargo clippy -V`, counted as a
    /// `version` call). A toolchain without it is remembered: its builds are
    /// `cargo check` from then on, instead of failing.
    pub fn clippy_installed(&self, toolchain: &str, log: &mut Log) -> bool {
        // Like `installed`, a version query runs nothing a document wrote;
        // confined, cargo cannot start its clippy subcommand at all.
        log.count("version", 1);
        let plain = crate::confine::Confinement::unconfined("a version query");
        let installed = match cargo::has_clippy(toolchain, &plain, self.settings.timeout) {
            Ok(answer) => answer,
            Err(error) => {
                log.problem(RunProblem::environment(
                    Some(toolchain.to_string()),
                    error.to_string(),
                ));
                true
            }
        };
        if !installed && let Ok(mut without) = self.without_clippy.lock() {
            without.insert(toolchain.to_string());
        }
        installed
    }

    /// `rustc -V` of a toolchain: `None` when it is not installed.
    pub fn rustc_version(&self, toolchain: &str, log: &mut Log) -> Option<String> {
        self.ask_rustc(toolchain, log, cargo::rustc_version)
    }

    /// rustfmt over one input, in the sandbox.
    pub fn rustfmt(
        &self,
        toolchain: &str,
        edition: &str,
        input: &str,
    ) -> Result<cargo::RustfmtOutput> {
        cargo::rustfmt(
            toolchain,
            edition,
            input,
            &self.sandbox.root,
            &self.settings.confine,
            self.settings.timeout,
        )
    }

    /// The registry-only text of a resolved workspace's `Cargo.lock`.
    pub fn read_lock(&self, written: &sandbox::WrittenWorkspace) -> Option<String> {
        std::fs::read_to_string(written.dir.join("Cargo.lock")).ok()
    }

    /// With `SNIPCHECK_RECORD`: the build's cargo output, for fixtures.
    fn record(&self, plan: &BuildPlan, dir: &Path, output: &cargo::BuildOutput) {
        let recorded = Recorded::of(output, dir, &self.sandbox.root);
        if let Ok(text) = serde_json::to_string_pretty(&recorded) {
            self.write_record(&plan.workspace, &plan.toolchain, "clippy.json", &text);
        }
    }

    /// With `SNIPCHECK_RECORD`: why `cargo metadata` failed, for fixtures.
    fn record_resolution(&self, workspace: &str, toolchain: &str, dir: &Path, error: &str) {
        let text = normalize_paths(error, dir, &self.sandbox.root);
        self.write_record(workspace, toolchain, "metadata-error.txt", &text);
    }

    fn write_record(&self, workspace: &str, toolchain: &str, what: &str, text: &str) {
        let Some(folder) = &self.settings.record else {
            return;
        };
        let n = self
            .recorded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("{n:02}-{workspace}-{}.{what}", sandbox::sanitize(toolchain));
        // Recording is a developer's aid: a failure to write costs nothing else.
        let _ = sandbox::write_if_changed(&folder.join(name), text);
    }
}

/// `text` with the workspace folder written as `$WS` and the sandbox as `$SANDBOX`.
fn normalize_paths(text: &str, dir: &Path, sandbox: &Path) -> String {
    text.replace(&dir.display().to_string(), "$WS")
        .replace(&sandbox.display().to_string(), "$SANDBOX")
}

/// What the progress bar says cargo built: a scratch crate as the document
/// line of its (first) example, `guide.md:12 (+3 more)` for a merged crate;
/// a dependency by its own name.
fn progress_label(plan: &BuildPlan, target: &str) -> String {
    let job = plan
        .jobs
        .iter()
        .find(|job| job.files.package.replace('-', "_") == target);
    match job.map(|job| job.members.as_slice()) {
        Some([only]) => format!("{}:{}", only.file, only.fence_line),
        Some([first, rest @ ..]) => {
            format!("{}:{} (+{} more)", first.file, first.fence_line, rest.len())
        }
        _ => target.to_string(),
    }
}

/// Whether rustup has `toolchain` (one `rustc -V`), for choosing the default toolchains.
pub fn installed(toolchain: &str) -> bool {
    // `rustc -V` runs nothing a document wrote.
    let plain = crate::confine::Confinement::unconfined("a version query");
    matches!(cargo::rustc_version(toolchain, &plain, None), Ok(Some(_)))
}

/// Whether a toolchain has clippy, asked outside any run (like [`installed`]).
/// A failed question counts as yes: the run then says what went wrong.
pub fn has_clippy(toolchain: &str) -> bool {
    let plain = crate::confine::Confinement::unconfined("a version query");
    cargo::has_clippy(toolchain, &plain, None).unwrap_or(true)
}

/// A cargo build as recorded for fixtures: everything [`read_build`] reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {
    pub command: String,
    pub success: bool,
    pub timed_out: bool,
    pub interrupted: bool,
    pub stderr_tail: Vec<String>,
    pub messages: Vec<cargo_metadata::Message>,
}

impl Recorded {
    /// The output with the workspace folder written as `$WS` and the sandbox as `$SANDBOX`.
    pub fn of(output: &cargo::BuildOutput, dir: &Path, sandbox: &Path) -> Recorded {
        let normalize = |text: &str| normalize_paths(text, dir, sandbox);
        let messages = output
            .messages
            .iter()
            .filter_map(|m| serde_json::from_str(&normalize(&serde_json::to_string(m).ok()?)).ok())
            .collect();
        Recorded {
            command: normalize(&output.command),
            success: output.success,
            timed_out: output.timed_out,
            interrupted: output.interrupted,
            stderr_tail: output.stderr_tail.iter().map(|l| normalize(l)).collect(),
            messages,
        }
    }

    /// The output as if the workspace were at `dir`.
    pub fn replay(&self, dir: &Path) -> cargo::BuildOutput {
        let dir = dir.display().to_string();
        let messages = self
            .messages
            .iter()
            .filter_map(|m| {
                let text = serde_json::to_string(m).ok()?.replace("$WS", &dir);
                serde_json::from_str(&text).ok()
            })
            .collect();
        cargo::BuildOutput {
            command: self.command.replace("$WS", &dir),
            success: self.success,
            messages,
            stderr_tail: self
                .stderr_tail
                .iter()
                .map(|l| l.replace("$WS", &dir))
                .collect(),
            timed_out: self.timed_out,
            interrupted: self.interrupted,
        }
    }
}

fn resolution(
    written: sandbox::WrittenWorkspace,
    metadata: Option<cargo_metadata::Metadata>,
    unresolvable: BTreeMap<String, String>,
    failure: Option<String>,
    log: Log,
) -> Resolution {
    Resolution {
        written,
        metadata,
        unresolvable,
        failure,
        timed_out: false,
        log,
    }
}

/// Puts the run's starting `Cargo.lock` into the workspace folder `dir`.
fn seed_lock(dir: &Path, lock: &LockSeed) -> Result<()> {
    let path = dir.join("Cargo.lock");
    match lock {
        LockSeed::Keep => Ok(()),
        LockSeed::Seed(text) => sandbox::write_if_changed(&path, text),
        LockSeed::Fresh => sandbox::remove_file_if_exists(&path),
    }
}

/// What a build keeps of its resolution: the versions, the crates left out
/// (reported per member), and whether anything is left to build (the written
/// workspace and how many units cargo will compile).
fn absorb_resolution(
    plan: &BuildPlan,
    mut resolution: Resolution,
    out: &mut BuildOutcome,
) -> Option<(sandbox::WrittenWorkspace, usize)> {
    out.log.extend(std::mem::take(&mut resolution.log));
    if crate::interrupt::interrupted() {
        out.interrupted = true;
        return None;
    }
    // Reported per snippet: a merged crate's reason is each member's.
    for job in &plan.jobs {
        if let Some(reason) = resolution.unresolvable.get(&job.files.package) {
            for member in &job.members {
                out.unresolvable.insert(member.key.clone(), reason.clone());
            }
        }
    }
    let total = match (resolution.metadata.take(), resolution.failure.take()) {
        (Some(metadata), _) => {
            out.versions = resolved_versions(&metadata);
            out.sources = crate::item_sources::resolved_sources(&metadata);
            metadata.packages.len()
        }
        // Every crate was left out: each says why in its own row.
        (None, None) => return None,
        (None, Some(message)) => {
            let problem = if resolution.timed_out {
                out.timed_out = true;
                RunProblem::limit
            } else {
                RunProblem::environment
            };
            out.log
                .problem(problem(Some(plan.toolchain.clone()), message.clone()));
            out.failure = Some(message);
            return None;
        }
    };
    if plan
        .jobs
        .iter()
        .all(|j| resolution.unresolvable.contains_key(&j.files.package))
    {
        return None;
    }
    Some((resolution.written, total))
}

/// What one cargo build said, per unit: diagnostics placed at document lines,
/// merged members' messages normalized, and why nothing was built when cargo
/// built nothing. Pure: `sources` (package -> source path) and `dir` say where
/// the workspace was written, `lock` is its `Cargo.lock` after a failed build;
/// `out` holds what the resolution already found.
pub fn read_build(
    plan: &BuildPlan,
    sources: &BTreeMap<String, PathBuf>,
    (dir, lock): (&Path, Option<&str>),
    output: &cargo::BuildOutput,
    mut out: BuildOutcome,
) -> BuildOutcome {
    let mut units: BTreeMap<String, UnitMap<'_>> = BTreeMap::new();
    for job in &plan.jobs {
        let Some(src_path) = sources.get(&job.files.package) else {
            continue;
        };
        for member in &job.members {
            let unit = UnitMap {
                src_path,
                wrapped: &member.wrapped,
                lines: &member.lines,
                file: &member.file,
                fence_line: member.fence_line,
            };
            units.insert(member.key.clone(), unit);
        }
    }
    out.units = diagnose::attribute(&output.messages, &units, dir);
    out.timed_out = output.timed_out;
    out.interrupted = output.interrupted;
    if output.timed_out {
        out.log.problem(RunProblem::limit(
            Some(plan.toolchain.clone()),
            format!(
                "`{}` ran past the time limit and was stopped; what it had not finished is reported as `timeout`",
                output.command
            ),
        ));
    }
    normalize_merged(plan, &mut out);
    let stopped = read_stopped(plan, output, &mut out);
    read_blocked(plan, sources, output, lock, &mut out);
    let nothing = out
        .units
        .values()
        .all(|u| u.diagnostics.is_empty() && !u.built);
    // Units a failed dependency kept from building each say so in their row:
    // not a problem of the run.
    let explained = !out.units.is_empty() && out.units.keys().all(|k| out.blocked.contains_key(k));
    if !output.success
        && nothing
        && !explained
        && !output.timed_out
        && !output.interrupted
        && !stopped
    {
        let message = format!(
            "`{}` built nothing:\n{}",
            output.command,
            cargo::cargo_error_lines(&output.stderr_tail.join("\n"))
        );
        out.log.problem(RunProblem::environment(
            Some(plan.toolchain.clone()),
            message.clone(),
        ));
        out.failure = Some(message);
    }
    out
}

/// Units not built, with no diagnostic of their own, get the dependency
/// that kept them from building and why it failed ([`Blocked`]): one whose
/// build script failed (its report in cargo's stderr) or whose code did not
/// compile (cargo's errors for a crate that is not ours). Which crates a
/// failed dependency kept from building, the lock's graph says; without it,
/// or when it reaches none of them, a lone failed dependency is every unit's.
/// A dependency that needs something from the host, or another target, is
/// named before one that failed on its own.
fn read_blocked(
    plan: &BuildPlan,
    sources: &BTreeMap<String, PathBuf>,
    output: &cargo::BuildOutput,
    lock: Option<&str>,
    out: &mut BuildOutcome,
) {
    if output.success {
        return;
    }
    let failed: Vec<(String, Blocked)> = failed_dependencies(sources, output)
        .into_iter()
        .map(|f| {
            let dependency = match &f.version {
                Some(version) => format!("{} v{version}", f.package),
                None => f.package.clone(),
            };
            let why = crate::cause::blocker(&f.output);
            (f.package, Blocked { dependency, why })
        })
        .collect();
    if failed.is_empty() {
        return;
    }
    let graph = lock.and_then(|text| crate::lockfile::DependencyGraph::parse(text).ok());
    let lone = match failed.as_slice() {
        [(_, only)] => Some(only),
        _ => None,
    };
    for job in &plan.jobs {
        let reached: Vec<&Blocked> = match &graph {
            Some(graph) => failed
                .iter()
                .filter(|(package, _)| graph.depends_on(&job.files.package, package))
                .map(|(_, blocked)| blocked)
                .collect(),
            None => failed.iter().map(|(_, blocked)| blocked).collect(),
        };
        // With the lock's graph, only what the job's crate reaches; without
        // it, a lone failure.
        let Some(blocked) = reached
            .iter()
            .find(|b| !matches!(b.why, crate::cause::Blocker::Failed(_)))
            .or(reached.first())
            .copied()
            .or(lone.filter(|_| graph.is_none()))
        else {
            continue;
        };
        for member in &job.members {
            let unbuilt = out
                .units
                .get(&member.key)
                .is_some_and(|u| !u.built && u.diagnostics.is_empty());
            if unbuilt && !out.stopped.contains_key(&member.key) {
                out.blocked.insert(member.key.clone(), blocked.clone());
            }
        }
    }
}

/// The dependencies a failed build says failed: build scripts (cargo's
/// stderr) and crates that are not ours with compiler errors (their
/// rendered errors, by package).
fn failed_dependencies(
    sources: &BTreeMap<String, PathBuf>,
    output: &cargo::BuildOutput,
) -> Vec<cargo::FailedDependency> {
    let mut failed = cargo::build_script_failures(&output.stderr_tail);
    let ours: BTreeSet<&Path> = sources.values().map(PathBuf::as_path).collect();
    for message in &output.messages {
        let cargo_metadata::Message::CompilerMessage(m) = message else {
            continue;
        };
        if ours.contains(m.target.src_path.as_std_path())
            || !matches!(
                m.message.level,
                cargo_metadata::diagnostic::DiagnosticLevel::Error
            )
        {
            continue;
        }
        let (package, version) = package_of(&m.package_id.repr, &m.target.name);
        let text = m
            .message
            .rendered
            .clone()
            .unwrap_or_else(|| m.message.message.clone());
        let lines = text.lines().map(str::to_string);
        match failed.iter_mut().find(|f| f.package == package) {
            Some(known) => known.output.extend(lines),
            None => failed.push(cargo::FailedDependency {
                package,
                version,
                output: lines.collect(),
            }),
        }
    }
    failed
}

/// A package's name and version from cargo's package id
/// (`registry+https://…#name@1.2.3`, `…/name#1.2.3`, or the older
/// `name 1.2.3 (source)`); the target's name when the id says neither.
fn package_of(id: &str, target: &str) -> (String, Option<String>) {
    if let Some((head, fragment)) = id.rsplit_once('#') {
        return match fragment.split_once('@') {
            Some((name, version)) => (name.to_string(), Some(version.to_string())),
            None => {
                let name = head.rsplit('/').next().unwrap_or(target);
                (name.to_string(), Some(fragment.to_string()))
            }
        };
    }
    let mut words = id.split_whitespace();
    match (words.next(), words.next()) {
        (Some(name), Some(version)) => (name.to_string(), Some(version.to_string())),
        _ => (target.to_string(), None),
    }
}

/// Units whose own compiler a signal ended: each member of its crate is
/// `stopped` with the reason, and the run has a `limit` problem per crate.
/// Whether any was.
fn read_stopped(plan: &BuildPlan, output: &cargo::BuildOutput, out: &mut BuildOutcome) -> bool {
    let stops = cargo::stopped_compilers(&output.stderr_tail);
    for stop in &stops {
        let Some(job) = plan
            .jobs
            .iter()
            .find(|j| j.files.package.replace('-', "_") == stop.crate_name)
        else {
            continue;
        };
        let reason = if stop.out_of_memory {
            format!(
                "the compiler ran out of memory under the memory cap (--memory-limit) and was stopped ({})",
                stop.signal
            )
        } else {
            format!("the compiler was ended by a signal ({})", stop.signal)
        };
        for member in &job.members {
            out.stopped.insert(member.key.clone(), reason.clone());
        }
        out.log.problem(RunProblem::limit(
            Some(plan.toolchain.clone()),
            format!("`{}`: {reason}", job.files.package),
        ));
    }
    !stops.is_empty()
}

/// Members of a merged crate: versions are the crate's, and messages read as
/// they would for the snippet alone.
fn normalize_merged(plan: &BuildPlan, out: &mut BuildOutcome) {
    for job in plan.jobs.iter().filter(|j| j.members.len() > 1) {
        let versions = out.versions.get(&job.files.package).cloned();
        for member in &job.members {
            if let Some(versions) = &versions {
                out.versions.insert(member.key.clone(), versions.clone());
            }
            let Some(unit) = out.units.get_mut(&member.key) else {
                continue;
            };
            let mut named = unit.suggestions.iter().any(|s| {
                s.candidates
                    .iter()
                    .any(|c| c.text.contains(plan::MODULE_PREFIX))
            });
            let mut normalize = |text: &mut String| {
                let normalized = plan::normalize_message(text);
                named |= normalized != *text;
                *text = normalized;
            };
            for diagnostic in &mut unit.diagnostics {
                normalize(&mut diagnostic.message);
                if let Some(label) = &mut diagnostic.label {
                    normalize(label);
                }
                for note in &mut diagnostic.notes {
                    normalize(note);
                }
            }
            if named {
                out.named_modules.insert(member.key.clone());
            }
        }
    }
}

/// After `cargo metadata` failed with `error` (its stderr): the first crate
/// of ours (`packages`) that cargo names is the one whose requirement failed
/// (the others may only be in the chain). `None` when it names none of ours:
/// then nothing can be built.
pub fn resolution_step(error: &str, packages: &[String]) -> Option<LeaveOut> {
    let package = required_by(error)
        .into_iter()
        .find(|name| packages.contains(name))?;
    Some(LeaveOut {
        package,
        reason: unresolvable_reason(error),
    })
}

fn error_text(error: &crate::error::Error) -> String {
    match error {
        crate::error::Error::CommandFailed { stderr, .. } => stderr.clone(),
        other => other.to_string(),
    }
}

/// The packages cargo's resolution error blames: every "package `NAME v...`".
fn required_by(error: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = error;
    while let Some(at) = rest.find("package `") {
        rest = &rest[at + "package `".len()..];
        if let Some((name, _)) = rest.split_once(" v")
            && !name.contains('`')
            && !names.iter().any(|n| n == name)
        {
            names.push(name.to_string());
        }
    }
    names
}

/// cargo's resolution error in one line: which requirement, and why it fails
/// (`failed to select a version for the requirement `time = "=0.0.1"`: version
/// 0.0.1 is yanked`).
fn unresolvable_reason(error: &str) -> String {
    let lines: Vec<&str> = error
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take_while(|l| {
            !l.starts_with("location searched")
                && !l.starts_with("required by")
                && !l.starts_with("...")
        })
        .collect();
    let mut reason = lines
        .iter()
        .map(|l| l.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join(": ");
    // Long lists of candidate versions help no one in a one-line reason.
    if let Some(cut) = reason.find(", ...") {
        reason.truncate(cut);
        reason.push_str(", ...");
    }
    if reason.is_empty() {
        "cargo cannot resolve its dependencies".to_string()
    } else {
        reason
    }
}

fn resolved_versions(
    metadata: &cargo_metadata::Metadata,
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(resolve) = &metadata.resolve else {
        return out;
    };
    let packages: BTreeMap<_, _> = metadata.packages.iter().map(|p| (&p.id, p)).collect();
    for member in &metadata.workspace_members {
        let (Some(package), Some(node)) = (
            packages.get(member),
            resolve.nodes.iter().find(|n| &n.id == member),
        ) else {
            continue;
        };
        let versions = node
            .deps
            .iter()
            .filter_map(|d| packages.get(&d.pkg))
            .map(|p| (p.name.to_string(), p.version.to_string()))
            .collect();
        out.insert(package.name.to_string(), versions);
    }
    out
}

/// Replays recorded cargo output (`tests/fixtures/executor/`, made with
/// `SNIPCHECK_RECORD`) through the pure steps, for the unit tests of every
/// build loop's plan and absorb.
#[cfg(test)]
pub(crate) mod replay {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    use super::{BuildOutcome, BuildPlan, Recorded, read_build};
    use crate::deps::DepSet;
    use crate::discover::SpecFile;
    use crate::prepare::{self, Entry, Unit};

    pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/executor");
    /// Where the replayed workspace pretends to live.
    const WS: &str = "/recorded/ws";

    /// A fixture document, prepared as the pipeline prepares it. Its examples
    /// use no crate, so every dependency set is empty.
    pub struct Document {
        pub entries: Vec<Entry>,
        pub deps: BTreeMap<String, DepSet>,
    }

    impl Document {
        /// `tests/fixtures/executor/{name}.md`, shown as it was when recorded.
        pub fn load(name: &str) -> Document {
            let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.md")).expect("fixture");
            let spec = SpecFile {
                path: PathBuf::from(format!("tests/fixtures/executor/{name}.md")),
                text,
                kind: Default::default(),
            };
            let entries = prepare::extract_all(&[spec], false);
            let deps = entries
                .iter()
                .filter(|e| e.wrapped().is_some())
                .map(|e| (e.id.clone(), DepSet::default()))
                .collect();
            Document { entries, deps }
        }

        pub fn units(&self) -> Vec<Unit<'_>> {
            prepare::units(&self.entries, &self.deps)
        }
    }

    /// What the executor reads from the recorded build `name` of `plan`.
    pub fn build(plan: &BuildPlan, name: &str) -> BuildOutcome {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.clippy.json"))
            .expect("recorded build");
        let recorded: Recorded = serde_json::from_str(&text).expect("a recorded build");
        let dir = Path::new(WS);
        let sources = plan
            .jobs
            .iter()
            .map(|job| {
                let path = dir
                    .join("snippets")
                    .join(&job.files.package)
                    .join(job.files.kind.src_file());
                (job.files.package.clone(), path)
            })
            .collect();
        read_build(
            plan,
            &sources,
            (dir, None),
            &recorded.replay(dir),
            BuildOutcome::default(),
        )
    }

    /// A recorded `cargo metadata` error.
    pub fn metadata_error(name: &str) -> String {
        std::fs::read_to_string(format!("{FIXTURES}/{name}.metadata-error.txt"))
            .expect("recorded error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cause::Blocker;
    use crate::report::ProblemKind;

    fn plan(jobs: Vec<Job>) -> BuildPlan {
        BuildPlan::primary("stable", jobs, &LockSeed::Keep)
    }

    #[test]
    fn a_failed_resolution_leaves_out_the_crate_cargo_blames() {
        let ours = [
            "snip-versions-10e2e03a".to_string(),
            "snip-versions-8f04d64b".to_string(),
        ];
        for (fixture, package, says) in [
            ("resolution-unpublished", &ours[0], "`itoa = \"=0.0.99\"`"),
            ("resolution-yanked", &ours[1], "version 0.0.1 is yanked"),
        ] {
            let error = replay::metadata_error(fixture);
            let step = resolution_step(&error, &ours).expect("cargo names a crate of ours");
            assert_eq!(&step.package, package, "{fixture}");
            assert!(step.reason.contains(says), "{fixture}: {}", step.reason);
            assert!(
                !step.reason.contains("location searched"),
                "{}",
                step.reason
            );
            // A crate cargo names that is not ours is never left out.
            assert_eq!(resolution_step(&error, &ours[..0]), None);
        }
        assert_eq!(
            resolution_step("error: failed to get `x` as a dependency", &ours),
            None
        );
    }

    #[test]
    fn an_unresolvable_crate_is_reported_for_each_of_its_members() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let jobs = vec![
            crate::primary::primary_job(units[0]),
            crate::primary::primary_job(units[1]),
        ];
        let plan = plan(jobs);
        let package = units[0].package();
        let resolution = |failure: Option<&str>| Resolution {
            written: sandbox::WrittenWorkspace {
                manifest_path: PathBuf::from("/recorded/ws/Cargo.toml"),
                dir: PathBuf::from("/recorded/ws"),
                sources: BTreeMap::new(),
            },
            metadata: None,
            unresolvable: BTreeMap::from([(package.clone(), "no such version".to_string())]),
            failure: failure.map(str::to_string),
            timed_out: false,
            log: Log::default(),
        };
        // Every crate left out: nothing to build, each row says why.
        let mut out = BuildOutcome::default();
        assert!(absorb_resolution(&plan, resolution(None), &mut out).is_none());
        assert_eq!(
            out.unresolvable.get(&package).map(String::as_str),
            Some("no such version")
        );
        assert_eq!(out.failure, None);
        // The workspace cannot be resolved at all: the failure is the run's problem.
        let mut out = BuildOutcome::default();
        assert!(absorb_resolution(&plan, resolution(Some("cargo could not")), &mut out).is_none());
        assert_eq!(out.failure.as_deref(), Some("cargo could not"));
        assert_eq!(out.log.problems.len(), 1);
        assert_eq!(out.log.problems[0].kind, ProblemKind::Environment);
    }

    #[test]
    fn the_progress_bar_names_examples_by_their_document_line() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let single = crate::primary::primary_job(units[0]);
        let other = crate::primary::primary_job(units[1]);
        let target = single.files.package.replace('-', "_");
        let first = format!(
            "{}:{}",
            single.members[0].file, single.members[0].fence_line
        );
        assert!(first.contains(".md:"), "{first}");
        let merged = Job {
            files: single.files.clone(),
            members: single
                .members
                .iter()
                .chain(&other.members)
                .cloned()
                .collect(),
        };
        assert_eq!(progress_label(&plan(vec![single]), &target), first);
        assert_eq!(
            progress_label(&plan(vec![merged]), &target),
            format!("{first} (+1 more)")
        );
        // A dependency keeps its own name; no internal crate name shows.
        assert_eq!(progress_label(&plan(Vec::new()), "serde"), "serde");
        assert_ne!(first, target);
    }

    /// Failed dependencies (cargo's stderr written for this test after
    /// cargo's framing): each unit they kept from building gets the one its
    /// crate depends on (the lock's graph), a need of the host or target
    /// before a failure of the dependency's own; a build that built nothing is
    /// a problem of the run only when a unit is not so explained.
    #[test]
    fn a_failed_dependency_is_blamed_on_the_units_that_need_it() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let jobs: Vec<Job> = units[..3]
            .iter()
            .map(|u| crate::primary::primary_job(*u))
            .collect();
        let packages: Vec<String> = jobs.iter().map(|j| j.files.package.clone()).collect();
        let plan = plan(jobs);
        let sources: BTreeMap<String, PathBuf> = packages
            .iter()
            .map(|p| {
                let path = PathBuf::from(format!("/recorded/ws/snippets/{p}/src/main.rs"));
                (p.clone(), path)
            })
            .collect();
        let stderr = [
            "   Compiling proc-macro2 v1.0.95",
            "error: failed to run custom build command for `frob-sys v0.2.0`",
            "",
            "Caused by:",
            "  process didn't exit successfully: `/t/build/frob-sys-1/build-script-build` (exit status: 101)",
            "  --- stderr",
            "  thread 'main' panicked at build.rs:4:5:",
            "  the frobnicator overflowed",
            "warning: build failed, waiting for other jobs to finish...",
            "error: failed to run custom build command for `prost-build v0.13.5`",
            "",
            "Caused by:",
            "  --- stderr",
            "  Error: Could not find `protoc`. Set `PROTOC` to its path.",
            "error: failed to run custom build command for `esp-frob v0.3.0`",
            "  --- stderr",
            "  Exactly one chip must be enabled through its Cargo feature, 0 given",
        ];
        let output = cargo::BuildOutput {
            command: "cargo clippy".to_string(),
            success: false,
            messages: Vec::new(),
            stderr_tail: stderr.iter().map(|l| l.to_string()).collect(),
            timed_out: false,
            interrupted: false,
        };
        // The first crate needs protoc and frob-sys, the second the chip, the
        // third none of them.
        let lock = format!(
            "[[package]]\nname = \"{}\"\nversion = \"0.0.0\"\ndependencies = [\"frob-sys\", \"tonic-build\"]\n\n\
             [[package]]\nname = \"tonic-build\"\nversion = \"0.13.0\"\ndependencies = [\"prost-build\"]\n\n\
             [[package]]\nname = \"{}\"\nversion = \"0.0.0\"\ndependencies = [\"esp-frob 0.3.0\"]\n\n\
             [[package]]\nname = \"{}\"\nversion = \"0.0.0\"\n",
            packages[0], packages[1], packages[2]
        );
        let read = |lock: Option<&str>| {
            read_build(
                &plan,
                &sources,
                (Path::new("/recorded/ws"), lock),
                &output,
                BuildOutcome::default(),
            )
        };
        let out = read(Some(&lock));
        let blocked = |key: &str| out.blocked.get(key).cloned();
        let first = blocked(&packages[0]).expect("the first is blocked");
        assert_eq!(first.dependency, "prost-build v0.13.5");
        assert!(
            matches!(&first.why, Blocker::BuildEnv(need) if need.contains("protobuf-compiler")),
            "{first:?}"
        );
        let second = blocked(&packages[1]).expect("the second is blocked");
        assert_eq!(second.dependency, "esp-frob v0.3.0");
        assert!(matches!(second.why, Blocker::Target(_)), "{second:?}");
        assert_eq!(blocked(&packages[2]), None, "needs none of them");
        // Nothing built, and the third unit is not explained: the run's problem.
        assert_eq!(out.log.problems.len(), 1, "{:?}", out.log.problems);
        // With the lock, a lone failed dependency is only the units' that reach it.
        let lone_with_lock = cargo::BuildOutput {
            command: output.command.clone(),
            success: false,
            messages: Vec::new(),
            stderr_tail: output.stderr_tail[1..9].to_vec(),
            timed_out: false,
            interrupted: false,
        };
        let out_lone = read_build(
            &plan,
            &sources,
            (Path::new("/recorded/ws"), Some(&lock)),
            &lone_with_lock,
            BuildOutcome::default(),
        );
        assert!(out_lone.blocked.contains_key(&packages[0]));
        assert_eq!(
            out_lone.blocked.get(&packages[1]),
            None,
            "never reaches frob-sys"
        );
        assert_eq!(
            out_lone.blocked.get(&packages[2]),
            None,
            "never reaches frob-sys"
        );
        // Without the lock, a lone failed dependency is every unit's.
        let lone = cargo::BuildOutput {
            stderr_tail: output.stderr_tail[1..9].to_vec(),
            ..output
        };
        let out = read_build(
            &plan,
            &sources,
            (Path::new("/recorded/ws"), None),
            &lone,
            BuildOutcome::default(),
        );
        for package in &packages {
            let blocked = out.blocked.get(package).expect("blocked");
            assert_eq!(blocked.dependency, "frob-sys v0.2.0");
            assert_eq!(
                blocked.why,
                Blocker::Failed(
                    "thread 'main' panicked at build.rs:4:5:\nthe frobnicator overflowed"
                        .to_string()
                )
            );
        }
        // Every unit says why in its row: no problem of the run.
        assert!(out.log.problems.is_empty(), "{:?}", out.log.problems);
        let nothing = cargo::BuildOutput {
            stderr_tail: vec!["error: failed to download `x`".to_string()],
            ..lone
        };
        let out = read_build(
            &plan,
            &sources,
            (Path::new("/recorded/ws"), None),
            &nothing,
            BuildOutcome::default(),
        );
        assert!(out.blocked.is_empty(), "{:?}", out.blocked);
        assert_eq!(out.log.problems.len(), 1, "built nothing");
    }

    #[test]
    fn package_ids() {
        let cases = [
            (
                "registry+https://github.com/rust-lang/crates.io-index#esp-hal@0.20.1",
                ("esp-hal", Some("0.20.1")),
            ),
            ("path+file:///src/frob#0.1.0", ("frob", Some("0.1.0"))),
            (
                "esp-hal 0.20.1 (registry+https://github.com/rust-lang/crates.io-index)",
                ("esp-hal", Some("0.20.1")),
            ),
            ("odd", ("esp_hal", None)),
        ];
        for (id, (name, version)) in cases {
            let (n, v) = package_of(id, "esp_hal");
            assert_eq!((n.as_str(), v.as_deref()), (name, version), "{id}");
        }
    }

    #[test]
    fn a_build_that_built_nothing_says_why() {
        let doc = replay::Document::load("merged");
        let units = doc.units();
        let plan = plan(vec![crate::primary::primary_job(units[0])]);
        let output = cargo::BuildOutput {
            command: "cargo clippy".to_string(),
            success: false,
            messages: Vec::new(),
            stderr_tail: vec![
                "    Updating crates.io index".to_string(),
                "error: failed to download `x`".to_string(),
            ],
            timed_out: false,
            interrupted: false,
        };
        let out = read_build(
            &plan,
            &BTreeMap::new(),
            (Path::new("/recorded/ws"), None),
            &output,
            BuildOutcome::default(),
        );
        assert_eq!(
            out.failure.as_deref(),
            Some("`cargo clippy` built nothing:\nerror: failed to download `x`")
        );
        assert_eq!(out.log.problems[0].kind, ProblemKind::Environment);
        // Stopped at the time limit: a limit problem, and no failure.
        let stopped = cargo::BuildOutput {
            timed_out: true,
            ..output
        };
        let out = read_build(
            &plan,
            &BTreeMap::new(),
            (Path::new("/recorded/ws"), None),
            &stopped,
            BuildOutcome::default(),
        );
        assert!(out.timed_out && out.failure.is_none());
        assert_eq!(out.log.problems[0].kind, ProblemKind::Limit);
    }
}
