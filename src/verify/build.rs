//! One cargo build of a set of scratch crates, and what it said about each.
//!
//! The primary build and every round of variant builds go through [`Builds::run`]:
//! write the crates as one workspace, optionally resolve it with
//! `cargo metadata` (for the versions the report shows), run one `cargo clippy`
//! over all of it, and attribute the messages to each crate's document lines.

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressStyle};

use crate::analyze::CodeLine;
use crate::cargo;
use crate::diagnose::{self, UnitMap, UnitResult};
use crate::error::Result;
use crate::plan;
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
#[derive(Debug)]
pub(super) struct Builds<'a> {
    pub sandbox: &'a Sandbox,
    pub options: &'a VerifyOptions,
    pub invocations: BTreeMap<String, u32>,
    pub problems: Vec<RunProblem>,
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
        let span = trace::span(format!("{workspace}: write")).items(crates.len());
        let written = self.sandbox.write_workspace(workspace, &crates)?;
        span.done();
        let mut units_total = crates.len();
        if resolve_versions {
            self.count("metadata", 1);
            let _span = trace::span(format!("{workspace}: metadata"));
            match cargo::metadata(&written.manifest_path, toolchain, self.options.offline) {
                Ok(metadata) => {
                    results.versions = resolved_versions(&metadata);
                    units_total = metadata.packages.len();
                }
                Err(_) if cargo::interrupted() => {
                    results.interrupted = true;
                    return Ok(results);
                }
                Err(error) => {
                    let message = format!(
                        "cargo could not resolve the scratch workspace's dependencies: {error}"
                    );
                    self.problems.push(RunProblem {
                        subject: Some(toolchain.to_string()),
                        message: message.clone(),
                    });
                    results.failure = Some(message);
                    return Ok(results);
                }
            }
        }

        let progress = progress_bar(self.options.progress, units_total, toolchain, workspace);
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
                progress.inc(1);
                progress.set_message(artifact.target.name.clone());
            }
        })?;
        progress.finish_and_clear();
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
            self.problems.push(RunProblem {
                subject: Some(toolchain.to_string()),
                message: format!(
                    "`{}` ran past the time limit and was stopped; what it had not finished is reported as `timeout`",
                    output.command
                ),
            });
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
            self.problems.push(RunProblem {
                subject: Some(toolchain.to_string()),
                message: message.clone(),
            });
            results.failure = Some(message);
        }
        Ok(results)
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

fn progress_bar(show: bool, units: usize, toolchain: &str, workspace: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(units as u64);
    let what = if workspace == sandbox::PRIMARY_WORKSPACE {
        "checking"
    } else {
        "diagnosing"
    };
    let template =
        format!("{{spinner}} {what} on {toolchain} [{{bar:30}}] {{pos}}/{{len}} {{wide_msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
