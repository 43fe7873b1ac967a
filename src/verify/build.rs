//! One cargo build of a set of scratch crates, and what it said about each.
//!
//! The primary build and every round of variant builds go through [`Builds::run`]:
//! write the crates as one workspace, optionally resolve it with
//! `cargo metadata` (for the versions the report shows), run one `cargo clippy`
//! over all of it, and attribute the messages to each crate's document lines.

use std::collections::BTreeMap;

use crate::analyze::CodeLine;
use crate::cargo;
use crate::diagnose::{self, UnitMap, UnitResult};
use crate::error::Result;
use crate::plan;
use crate::progress::{Event, Observer, Purpose};
use crate::report::RunProblem;
use crate::sandbox::{self, CrateFiles, Sandbox};
use crate::trace;
use crate::wrap::WrappedSource;

use super::VerifyOptions;

/// One crate to build: its files, and the snippets in it (one, or several
/// merged as modules), each with the map from the crate's source back to its
/// document.
#[derive(Debug, Clone)]
pub(super) struct Job {
    pub files: CrateFiles,
    pub members: Vec<Member>,
}

/// One snippet inside a job's crate.
#[derive(Debug, Clone)]
pub(super) struct Member {
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

/// What one build said about each package.
#[derive(Debug, Default)]
pub(super) struct BuildResults {
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
    pub named_modules: std::collections::BTreeSet<String>,
}

/// The run's build machinery: where to write, what to count, where problems go.
pub(super) struct Builds<'a> {
    pub sandbox: &'a Sandbox,
    pub options: &'a VerifyOptions,
    pub observer: Observer<'a>,
    pub invocations: BTreeMap<String, u32>,
    pub problems: Vec<RunProblem>,
    /// The `Cargo.lock` every scratch workspace starts from.
    pub lock_seed: LockSeed,
}

/// What a scratch workspace's `Cargo.lock` is before cargo resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum LockSeed {
    /// Whatever the last run left in the sandbox (no lockfile given).
    Keep,
    /// This text (the committed lockfile, or a fresh resolution of the run).
    Seed(String),
    /// None: resolve every crate to its newest release.
    Fresh,
}

/// A workspace resolved by `cargo metadata`, or why it could not be.
#[derive(Debug)]
pub(super) struct Resolution {
    /// The workspace as last written: without the crates left out.
    pub written: sandbox::WrittenWorkspace,
    pub metadata: Option<cargo_metadata::Metadata>,
    /// Crates left out because their requirements cannot be met: package -> reason.
    pub unresolvable: BTreeMap<String, String>,
    /// Why the workspace could not be resolved at all.
    pub failure: Option<String>,
}

impl std::fmt::Debug for Builds<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builds")
            .field("sandbox", &self.sandbox)
            .field("invocations", &self.invocations)
            .finish_non_exhaustive()
    }
}

impl Builds<'_> {
    pub fn count(&mut self, purpose: &str, n: u32) {
        *self.invocations.entry(purpose.to_string()).or_default() += n;
    }

    fn target_dir(&self, toolchain: &str) -> std::path::PathBuf {
        match &self.options.target_dir {
            Some(dir) => dir.join(sandbox::sanitize(toolchain)),
            None => self.sandbox.target_dir(toolchain),
        }
    }

    /// Builds `jobs` as the workspace `workspace` on `toolchain`. With
    /// `resolve_versions`, `cargo metadata` runs first and its resolve gives each
    /// package's dependency versions.
    pub fn run(
        &mut self,
        workspace: &str,
        toolchain: &str,
        jobs: &[Job],
        resolve_versions: bool,
    ) -> Result<BuildResults> {
        self.run_keeping(workspace, toolchain, jobs, &[], resolve_versions)
    }

    /// [`Builds::run`], with `kept` crates in the workspace too: built (cargo
    /// finds them fresh when nothing changed) but not reported on. Building a
    /// subset of the primary workspace's snippets beside all of its crates keeps
    /// cargo's feature unification, so dependencies are neither rebuilt with
    /// other features nor resolved differently than in the primary build.
    pub fn run_keeping(
        &mut self,
        workspace: &str,
        toolchain: &str,
        jobs: &[Job],
        kept: &[CrateFiles],
        resolve_versions: bool,
    ) -> Result<BuildResults> {
        let mut results = BuildResults::default();
        if cargo::interrupted() {
            results.interrupted = true;
            return Ok(results);
        }
        if jobs.is_empty() {
            return Ok(results);
        }
        let mut crates: Vec<CrateFiles> = jobs.iter().map(|j| j.files.clone()).collect();
        crates.extend(kept.iter().cloned());
        let mut units_total = crates.len();
        // Without dependencies there is nothing to resolve, and no version to show.
        let written = if resolve_versions && crates.iter().any(|c| !c.deps.is_empty()) {
            // `resolve` writes the workspace, without the crates it leaves out.
            let _span = trace::span(format!("{workspace}: write, metadata")).items(crates.len());
            let mut resolution = self.resolve(workspace, toolchain, crates)?;
            if cargo::interrupted() {
                results.interrupted = true;
                return Ok(results);
            }
            // Reported per snippet: a merged crate's reason is each member's.
            for job in jobs {
                if let Some(reason) = resolution.unresolvable.get(&job.files.package) {
                    for member in &job.members {
                        results
                            .unresolvable
                            .insert(member.key.clone(), reason.clone());
                    }
                }
            }
            match (resolution.metadata.take(), resolution.failure.take()) {
                (Some(metadata), _) => {
                    results.versions = resolved_versions(&metadata);
                    units_total = metadata.packages.len();
                }
                // Every crate was left out: each says why in its own row.
                (None, None) => return Ok(results),
                (None, Some(message)) => {
                    self.problems.push(RunProblem::environment(
                        Some(toolchain.to_string()),
                        message.clone(),
                    ));
                    results.failure = Some(message);
                    return Ok(results);
                }
            }
            if jobs
                .iter()
                .all(|j| resolution.unresolvable.contains_key(&j.files.package))
            {
                return Ok(results);
            }
            resolution.written
        } else {
            let _span = trace::span(format!("{workspace}: write")).items(crates.len());
            let written = self.sandbox.write_workspace(workspace, &crates)?;
            self.seed_lock(&written.dir)?;
            written
        };

        (self.observer)(Event::BuildStarted {
            toolchain: toolchain.to_string(),
            purpose: if workspace == sandbox::PRIMARY_WORKSPACE {
                Purpose::Checking
            } else {
                Purpose::Diagnosing
            },
            units: units_total,
        });
        self.count("build", 1);
        let target_dir = self.target_dir(toolchain);
        let run = cargo::ClippyRun {
            workspace_dir: &written.dir,
            target_dir: &target_dir,
            toolchain,
            offline: self.options.offline,
            timeout: self.options.build_timeout,
        };
        let span = trace::span(format!("{workspace}: clippy")).items(jobs.len());
        let output = cargo::clippy(&run, &mut |message| {
            if let cargo_metadata::Message::CompilerArtifact(artifact) = message {
                (self.observer)(Event::UnitBuilt {
                    name: artifact.target.name.clone(),
                });
            }
        })?;
        (self.observer)(Event::BuildFinished);
        span.done();
        let _span = trace::span(format!("{workspace}: attribute"));

        let mut units: BTreeMap<String, UnitMap<'_>> = BTreeMap::new();
        for job in jobs {
            let Some(src_path) = written.sources.get(&job.files.package) else {
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
        results.units = diagnose::attribute(&output.messages, &units, &written.dir);
        results.timed_out = output.timed_out;
        results.interrupted = output.interrupted;
        if output.timed_out {
            self.problems.push(RunProblem::limit(
                Some(toolchain.to_string()),
                format!(
                    "`{}` ran past the time limit and was stopped; what it had not finished is reported as `timeout`",
                    output.command
                ),
            ));
        }
        // Members of a merged crate: versions are the crate's, and messages read
        // as they would for the snippet alone.
        for job in jobs.iter().filter(|j| j.members.len() > 1) {
            let versions = results.versions.get(&job.files.package).cloned();
            for member in &job.members {
                if let Some(versions) = &versions {
                    results
                        .versions
                        .insert(member.key.clone(), versions.clone());
                }
                if let Some(unit) = results.units.get_mut(&member.key) {
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
                        results.named_modules.insert(member.key.clone());
                    }
                }
            }
        }
        let nothing = results
            .units
            .values()
            .all(|u| u.diagnostics.is_empty() && !u.built);
        if !output.success && nothing && !output.timed_out && !output.interrupted {
            let message = format!(
                "`{}` built nothing:\n{}",
                output.command,
                cargo::cargo_error_lines(&output.stderr_tail.join("\n"))
            );
            self.problems.push(RunProblem::environment(
                Some(toolchain.to_string()),
                message.clone(),
            ));
            results.failure = Some(message);
        }
        Ok(results)
    }
}

impl Builds<'_> {
    /// Puts the run's starting `Cargo.lock` into the workspace folder `dir`.
    pub fn seed_lock(&self, dir: &std::path::Path) -> Result<()> {
        let path = dir.join("Cargo.lock");
        match &self.lock_seed {
            LockSeed::Keep => Ok(()),
            LockSeed::Seed(text) => sandbox::write_if_changed(&path, text),
            LockSeed::Fresh => sandbox::remove_file_if_exists(&path),
        }
    }

    /// Resolves the (written, seeded) workspace `workspace` of `crates` with
    /// `cargo metadata`. A crate whose requirements cannot be met (cargo names
    /// it: "required by package `NAME v...`") is left out and the rest resolved
    /// again, so one bad pin costs its own snippets, not the run.
    pub fn resolve(
        &mut self,
        workspace: &str,
        toolchain: &str,
        mut crates: Vec<CrateFiles>,
    ) -> Result<Resolution> {
        let mut unresolvable = BTreeMap::new();
        loop {
            let written = self.sandbox.write_workspace(workspace, &crates)?;
            self.seed_lock(&written.dir)?;
            let outcome = |written, metadata, unresolvable, failure| {
                Ok(Resolution {
                    written,
                    metadata,
                    unresolvable,
                    failure,
                })
            };
            let mut error = match self.metadata(&written, toolchain) {
                Ok(metadata) => return outcome(written, Some(metadata), unresolvable, None),
                Err(_) if cargo::interrupted() => {
                    return outcome(written, None, unresolvable, None);
                }
                Err(error) => error,
            };
            // Is the lockfile at fault (versions that contradict each other or
            // the examples), or a requirement? Resolving without it tells.
            if let LockSeed::Seed(_) = self.lock_seed {
                sandbox::remove_file_if_exists(&written.dir.join("Cargo.lock"))?;
                match self.metadata(&written, toolchain) {
                    Ok(metadata) => {
                        self.problems.push(RunProblem::environment(
                            None,
                            format!(
                                "cargo cannot use the lockfile's versions for these examples ({}); they were resolved afresh (--bless rewrites the lockfile)",
                                unresolvable_reason(&error_text(&error))
                            ),
                        ));
                        self.lock_seed = LockSeed::Keep;
                        return outcome(written, Some(metadata), unresolvable, None);
                    }
                    Err(_) if cargo::interrupted() => {
                        return outcome(written, None, unresolvable, None);
                    }
                    Err(fresh) => error = fresh,
                }
            }
            let text = error_text(&error);
            // The first crate of ours that cargo names is the one whose
            // requirement failed; the others may only be in the chain.
            let Some(culprit) = required_by(&text)
                .into_iter()
                .find(|name| crates.iter().any(|c| &c.package == name))
            else {
                let failure = format!(
                    "cargo could not resolve the scratch workspace's dependencies: {error}"
                );
                return outcome(written, None, unresolvable, Some(failure));
            };
            crates.retain(|c| c.package != culprit);
            unresolvable.insert(culprit, unresolvable_reason(&text));
            if crates.is_empty() {
                let written = self.sandbox.write_workspace(workspace, &crates)?;
                return outcome(written, None, unresolvable, None);
            }
        }
    }

    fn metadata(
        &mut self,
        written: &sandbox::WrittenWorkspace,
        toolchain: &str,
    ) -> Result<cargo_metadata::Metadata> {
        self.count("metadata", 1);
        cargo::metadata(&written.manifest_path, toolchain, self.options.offline)
    }
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
