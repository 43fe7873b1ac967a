//! The report model: one serde document that every output format is a view of.
//!
//! JSON is the versioned contract (`schema`); the human renderer and the later
//! formats read this model only, never the stages' own types.
//!
//! **Architecture Invariant:** the model and its views import no stage. The
//! plain data they show is defined here (the lockfile's [`LockMode`] and
//! [`VersionMove`], the baseline's [`Change`]) or in leaf data modules that
//! import no stage either (`taxonomy` for causes, `partition` for shards,
//! `identity` for block ids, `text`); the stages import it from here.

#[cfg(test)]
mod conformance;
pub mod escape;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod sarif;
pub mod schema;

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Version of the JSON document; bump it on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// One run of snipcheck: what it checked, on which toolchains, and how every
/// block fared.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct Report {
    /// The version of this document's shape; it changes on any incompatible change.
    pub schema: u32,
    /// The version of snipcheck that wrote the report.
    pub snipcheck_version: String,
    /// The toolchains the run was asked to build on, in order (the first is the primary one).
    pub toolchains: Vec<ToolchainInfo>,
    /// One summary per document, in the order the documents were read.
    pub files: Vec<FileSummary>,
    /// Every fenced block of every document, Rust or not, in document order.
    pub snippets: Vec<SnippetReport>,
    /// The counts of the whole run.
    pub totals: Totals,
    /// Problems of the run that belong to no single block (a missing path, a file that is not UTF-8).
    pub problems: Vec<RunProblem>,
    /// How many cargo processes the run started, by purpose (`build`, `metadata`, `version`),
    /// and how many requests went to the registry's index (`registry`).
    pub cargo_invocations: BTreeMap<String, u32>,
    /// The comparison with the baseline, when one was given.
    #[serde(default)]
    pub baseline: Option<BaselineSummary>,
    /// The run stopped before every block was checked (interrupted); the rows are partial.
    #[serde(default)]
    pub incomplete: bool,
    /// Which versions the run built with, against the committed lockfile, when one was given.
    #[serde(default)]
    pub lockfile: Option<LockfileSummary>,
    /// The shard this report covers (`--partition hash:K/N`); absent for a whole run
    /// and for merged shard reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<crate::partition::Partition>,
    /// How the run's builds were confined by the operating system; absent in
    /// reports written before builds were confined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confinement: Option<ConfinementSummary>,
    /// What fails the run (`--fail-on`, or its default): the rows it counts
    /// are the errors of every view. Absent in reports written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on: Option<FailOn>,
}

impl Report {
    /// The run's problems and its missing toolchains, one message each: what
    /// the CI views (GitHub annotations, SARIF notifications) say of the run itself.
    pub fn run_messages(&self) -> impl Iterator<Item = String> + '_ {
        let problems = self.problems.iter().map(|problem| match &problem.subject {
            Some(subject) => format!("{subject}: {}", problem.message),
            None => problem.message.clone(),
        });
        let toolchains = self
            .toolchains
            .iter()
            .filter(|toolchain| !toolchain.installed)
            .map(|toolchain| toolchain.missing_message());
        problems.chain(toolchains)
    }
}

impl SnippetReport {
    /// A failure the baseline knows: it failed there too (as it is, or before an edit).
    pub fn known_failure(&self) -> bool {
        self.status == Status::Fail
            && matches!(self.baseline, Some(Change::StillFailing | Change::Changed))
    }

    /// Whether this row fails the run under `fail_on`.
    pub fn fails_run(&self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Never => false,
            FailOn::Any => self.status == Status::Fail,
            FailOn::Regressed => self.baseline == Some(Change::Regressed),
            FailOn::New => {
                self.baseline == Some(Change::Regressed)
                    || (self.status == Status::Fail && self.baseline == Some(Change::New))
            }
        }
    }
}

impl Report {
    /// What fails the run: the recorded `--fail-on`, else (a report written
    /// before it was recorded) its default for this report.
    pub fn effective_fail_on(&self) -> FailOn {
        self.fail_on
            .unwrap_or(FailOn::default_for(self.baseline.is_some()))
    }

    /// Whether a row fails the run.
    pub fn fails_run(&self, row: &SnippetReport) -> bool {
        row.fails_run(self.effective_fail_on())
    }

    /// How many documents that lost all their examples since the baseline
    /// fail the run under `fail_on`: all of them under `regressed` and `new`.
    pub fn lost_documents_failing(&self, fail_on: FailOn) -> usize {
        match (&self.baseline, fail_on) {
            (Some(baseline), FailOn::Regressed | FailOn::New) => baseline.coverage_lost.len(),
            _ => 0,
        }
    }
}

/// The position of each row's block among the blocks under the same heading
/// path of the same document, counting only the blocks `counted` keeps, in
/// document order and from 1: a name for a block that no edit outside its
/// section changes, unlike its line. The rows of one block (one per
/// toolchain) share their block's position; a row `counted` leaves out has none.
pub fn block_positions(
    rows: &[SnippetReport],
    counted: impl Fn(&SnippetReport) -> bool,
) -> Vec<Option<u32>> {
    let mut seen: BTreeMap<(&str, String), BTreeMap<&str, u32>> = BTreeMap::new();
    rows.iter()
        .map(|row| {
            if !counted(row) {
                return None;
            }
            let key = (
                row.file.as_str(),
                crate::identity::heading_path(&row.headings),
            );
            let blocks = seen.entry(key).or_default();
            let next = crate::text::to_u32(blocks.len() + 1);
            Some(*blocks.entry(row.id.as_str()).or_insert(next))
        })
        .collect()
}

/// How a run's builds were confined, in words a maintainer reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub struct ConfinementSummary {
    /// The builds ran confined by the operating system.
    pub confined: bool,
    /// The whole in one sentence.
    pub summary: String,
    /// What the builds could read and write.
    pub filesystem: String,
    /// What the builds could reach on the network.
    pub network: String,
    /// How processes a build left behind were ended.
    pub processes: String,
    /// The memory cap of each compiler process.
    pub memory: String,
    /// Why builds were not confined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The run's dependency versions against the committed lockfile.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct LockfileSummary {
    /// The lockfile compared with.
    pub path: String,
    /// `locked` (the lockfile's versions) or `latest` (the newest releases).
    pub mode: LockMode,
    /// The lockfile existed (a first `--bless` writes it).
    pub found: bool,
    /// Packages whose versions differ between the lockfile and this run's resolution.
    #[serde(default)]
    pub moved: Vec<VersionMove>,
    /// Crates the examples use that the lockfile does not record (their newest release was used).
    #[serde(default)]
    pub not_locked: Vec<String>,
    /// cargo could not use the lockfile's versions (they contradict each other
    /// or the examples), so the run resolved afresh.
    #[serde(default)]
    pub unusable: bool,
}

/// How dependency versions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LockMode {
    /// The versions the lockfile records (new crates: their newest release).
    #[default]
    Locked,
    /// The newest releases, whatever the lockfile says.
    Latest,
}

impl LockMode {
    pub fn as_str(self) -> &'static str {
        match self {
            LockMode::Locked => "locked",
            LockMode::Latest => "latest",
        }
    }
}

/// A package whose versions differ between the lockfile and this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VersionMove {
    /// The package's name on the registry.
    pub package: String,
    /// The versions the lockfile records (none: a crate it did not know).
    pub locked: Option<String>,
    /// The versions this run resolved (none: no example needs it any more).
    pub now: Option<String>,
}

/// How a row compares with the baseline.
#[derive(
    Debug, Clone, Copy, Serialize, Deserialize, JsonSchema, PartialEq, Eq, PartialOrd, Ord, Hash,
)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Passed (or warned) before, fails now.
    Regressed,
    /// Failed before, passes now: the baseline says it fails ("unexpectedly passing").
    Fixed,
    /// Failed before, fails now.
    StillFailing,
    /// Not in the baseline.
    New,
    /// Did not fail before, and does not fail now.
    Unchanged,
    /// Edited since the baseline (matched by its place and a similar text, not
    /// its hash), and neither regressed nor fixed: it passes as it passed, or
    /// fails as it failed.
    Changed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Regressed => "regressed",
            Change::Fixed => "fixed",
            Change::StillFailing => "still-failing",
            Change::New => "new",
            Change::Unchanged => "unchanged",
            Change::Changed => "changed",
        }
    }
}

/// What makes a run fail (`--fail-on`), recorded in the report so that every
/// view marks as errors exactly the rows that fail the run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// An example that passed in the baseline fails (or a document lost its examples).
    Regressed,
    /// As `regressed`, and a failing example the baseline does not know.
    New,
    /// Any failing example.
    Any,
    /// Nothing: the exit code says only whether the run itself worked.
    Never,
}

impl FailOn {
    /// `--fail-on` when it is not given: regressions with a baseline, any
    /// failure without one.
    pub fn default_for(has_baseline: bool) -> FailOn {
        if has_baseline {
            FailOn::Regressed
        } else {
            FailOn::Any
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Regressed => "regressed",
            FailOn::New => "new",
            FailOn::Any => "any",
            FailOn::Never => "never",
        }
    }
}

/// What changed since the baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct BaselineSummary {
    /// The baseline file compared with.
    pub path: String,
    /// Rows per class: `regressed`, `fixed`, `still-failing`, `changed`, `new`, `unchanged`.
    pub counts: BTreeMap<String, u32>,
    /// Baseline entries that match nothing any more (`file:line on toolchain (status)`).
    pub removed: Vec<String>,
    /// Documents that had Rust examples in the baseline and yield none now.
    pub coverage_lost: Vec<String>,
}

/// A toolchain the run was asked to build on.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct ToolchainInfo {
    /// The toolchain as rustup names it (`stable`, `nightly`, `1.85`).
    pub name: String,
    /// `rustc -V` of the toolchain, when it is installed.
    pub rustc: Option<String>,
    /// The toolchain is installed; when not, the examples that need it were not built.
    pub installed: bool,
}

/// What one document holds and how its blocks fared.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct FileSummary {
    /// The document, as the rows name it (relative to the current folder when below it).
    pub file: String,
    /// Fenced blocks, in any language.
    pub blocks: u32,
    /// Rust blocks among them.
    pub rust_blocks: u32,
    /// Number of blocks per language (`"(none)"` for fences without one).
    pub languages: BTreeMap<String, u32>,
    /// Rows that passed (one row per block and toolchain).
    pub pass: u32,
    /// Rows that built with warnings only.
    pub warn: u32,
    /// Rows that failed.
    pub fail: u32,
    /// Rows that were not built.
    pub skip: u32,
    /// Rust blocks that were built (on any toolchain).
    #[serde(default)]
    pub verified: u32,
    /// Rust blocks marked `compile_fail`.
    #[serde(default)]
    pub expected_to_fail: u32,
    /// Why Rust blocks were not built, with counts (`marked ignore`, firmware...).
    #[serde(default)]
    pub skipped: BTreeMap<String, u32>,
    /// Fence lines of blocks without a language that parse as Rust: probably
    /// examples missing their `rust` tag.
    #[serde(default)]
    pub unlabelled_rust: Vec<u32>,
    /// The crates the document pulled in: the registry packages its built
    /// snippets depend on directly, sorted. A crate the `[policy]` of
    /// snipcheck.toml refuses is never among them.
    #[serde(default)]
    pub crates: Vec<String>,
    /// What the document is, from where it lives: an agent spec's kind
    /// (`agent`, `skill`, `command`, `rule`, `instructions`, `prompt`, ...),
    /// else `readme` or `document`. Absent in reports written before
    /// discovery named kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The coding agent whose convention the document's location follows
    /// (`claude-code`, `cursor`, `copilot`, `agents-md`, `codex`, `gemini`,
    /// `windsurf`, `cline`); absent for any other document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

impl FileSummary {
    /// The summary with the document's kind.
    pub fn with_kind(self, kind: &DocumentKind) -> FileSummary {
        FileSummary {
            kind: Some(kind.kind.clone()),
            tool: kind.tool.clone(),
            ..self
        }
    }
}

/// What a document is, from where it lives: discovery reads it from the
/// path, with the table of the places coding agents keep their specs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocumentKind {
    /// The coding agent whose convention the path follows; none for a plain document.
    pub tool: Option<String>,
    /// `agent`, `skill`, `rule`, ... for an agent spec; `readme` or `document` otherwise.
    pub kind: String,
}

impl std::fmt::Display for DocumentKind {
    /// `claude-code agent`, or the kind alone (`readme`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.tool {
            Some(tool) => write!(f, "{tool} {}", self.kind),
            None => f.write_str(&self.kind),
        }
    }
}

#[derive(
    Debug,
    Clone,
    Copy,
    Serialize,
    Deserialize,
    JsonSchema,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
)]
#[serde(rename_all = "kebab-case")]
/// How a row fared.
pub enum Status {
    /// It built (or, `compile_fail`, failed as the fence says), without warnings.
    Pass,
    /// It built with warnings (clippy's or rustc's).
    Warn,
    /// It did not do what its fence asks.
    Fail,
    /// It was not built (another language, `ignore`, a missing toolchain...).
    #[default]
    Skip,
}

/// How many rows have each status: the one count behind [`Totals`] and every
/// [`FileSummary`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub pass: u32,
    pub warn: u32,
    pub fail: u32,
    pub skip: u32,
}

impl StatusCounts {
    /// Counts the rows by status.
    pub fn of<'r>(rows: impl IntoIterator<Item = &'r SnippetReport>) -> StatusCounts {
        let mut counts = StatusCounts::default();
        for row in rows {
            match row.status {
                Status::Pass => counts.pass += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        counts
    }
}

impl Totals {
    /// The totals line of a run: blocks from the file summaries, statuses from the rows.
    pub fn count(files: &[FileSummary], rows: &[SnippetReport]) -> Totals {
        let StatusCounts {
            pass,
            warn,
            fail,
            skip,
        } = StatusCounts::of(rows);
        let mut totals = Totals {
            files: crate::text::to_u32(files.len()),
            pass,
            warn,
            fail,
            skip,
            ..Totals::default()
        };
        for file in files {
            totals.blocks += file.blocks;
            totals.rust_blocks += file.rust_blocks;
        }
        totals
    }
}

/// The start of the problem a block without a language gets when it parses as
/// Rust; [`summarize_files`] lists those blocks' fence lines.
pub const UNLABELLED: &str = "this block has no language but parses as Rust";

/// The summary of each document (`files`: the documents as reports show them,
/// in order) from the report's rows. A block counts once however many
/// toolchains it has rows for; statuses count every row.
pub fn summarize_files(files: &[String], rows: &[SnippetReport]) -> Vec<FileSummary> {
    files
        .iter()
        .map(|file| {
            let mine: Vec<&SnippetReport> = rows.iter().filter(|r| &r.file == file).collect();
            let StatusCounts {
                pass,
                warn,
                fail,
                skip,
            } = StatusCounts::of(mine.iter().copied());
            let mut summary = FileSummary {
                file: file.clone(),
                pass,
                warn,
                fail,
                skip,
                ..FileSummary::default()
            };
            let mut counted = BTreeSet::new();
            let mut crates = BTreeSet::new();
            for row in mine {
                if row.toolchain.is_some() {
                    crates.extend(row.dependencies.iter().map(|d| d.package.clone()));
                }
                if !counted.insert(row.id.as_str()) {
                    continue;
                }
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
            summary.crates = crates.into_iter().collect();
            summary
        })
        .collect()
}

impl LockfileSummary {
    /// What every view says about the run's versions, one sentence each.
    pub fn sentences(&self) -> Vec<String> {
        let path = &self.path;
        let mut out = Vec::new();
        match (self.mode, self.found) {
            (LockMode::Latest, _) if self.moved.is_empty() => {
                out.push(format!(
                    "built with the newest releases: they are the versions {path} records"
                ));
            }
            (LockMode::Latest, found) => {
                let moves: Vec<String> = self
                    .moved
                    .iter()
                    .map(|m| {
                        format!(
                            "{} {} -> {}",
                            m.package,
                            m.locked.as_deref().unwrap_or("(not locked)"),
                            m.now.as_deref().unwrap_or("(no longer used)")
                        )
                    })
                    .collect();
                let since = if found {
                    format!("since {path}")
                } else {
                    format!("({path} does not exist yet)")
                };
                out.push(format!(
                    "built with the newest releases; {} {} moved {since}: {}",
                    self.moved.len(),
                    if self.moved.len() == 1 {
                        "crate"
                    } else {
                        "crates"
                    },
                    moves.join(", ")
                ));
            }
            (LockMode::Locked, true) if self.unusable => {
                out.push(format!("cargo could not use the versions {path} records: built with a fresh resolution (--bless rewrites it)"));
            }
            (LockMode::Locked, true) => {
                out.push(format!("built with the versions {path} records"));
            }
            (LockMode::Locked, false) => {
                out.push(format!(
                    "no lockfile at {path} yet: built with the newest releases (--bless writes it)"
                ));
            }
        }
        if !self.not_locked.is_empty() {
            out.push(format!(
                "{path} does not record {}: built with the newest release (--bless records it)",
                self.not_locked.join(", ")
            ));
        }
        out
    }
}

impl ToolchainInfo {
    /// What every view says of a toolchain that is not installed.
    pub fn missing_message(&self) -> String {
        format!(
            "toolchain `{}` is not installed; the examples that need it were not built",
            self.name
        )
    }
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

pub use crate::taxonomy::Cause;

/// One fenced block on one toolchain; a block that is not built has one row for all.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct SnippetReport {
    /// Stable identity: document stem, content hash and ordinal among equal blocks.
    pub id: String,
    /// The document the block is in.
    pub file: String,
    /// 1-based line of the opening fence.
    pub line: u32,
    /// The headings above the block, outermost first.
    pub headings: Vec<String>,
    /// The fence's info string, as written (`rust,no_run`).
    pub info: String,
    /// The fence's language (the info string's first token), if any.
    pub lang: Option<String>,
    /// A Rust example (tagged `rust`/`rs` or carrying rustdoc attributes).
    #[serde(default)]
    pub rust: bool,
    /// How the row fared.
    pub status: Status,
    /// Why a block was not built (`not rust (toml)`, `ignore attribute`, ...).
    pub skip_reason: Option<String>,
    /// Why the row fails or warns: its primary cause.
    pub cause: Option<Cause>,
    /// Causes that also apply, besides the primary one.
    #[serde(default)]
    pub other_causes: Vec<Cause>,
    /// The variant builds that established the cause, in the order they ran.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// What a maintainer can do about it.
    #[serde(default)]
    pub suggestion: Option<String>,
    /// What the fence asks for: `pass` or `compile_fail` (with codes).
    pub expect: Option<String>,
    /// The toolchain the row was built on; none when the block was not built.
    pub toolchain: Option<String>,
    /// `rustc -V` of that toolchain.
    #[serde(default)]
    pub rustc: Option<String>,
    /// The edition the block was built with (`2024`).
    pub edition: Option<String>,
    /// `lib`, `bin` (has `fn main`) or `main-wrapped` (statements wrapped in `fn main`).
    pub shape: Option<String>,
    /// The crates the block was built with.
    pub dependencies: Vec<Dependency>,
    /// The compiler's and clippy's messages, placed in the document.
    pub diagnostics: Vec<Diagnostic>,
    /// Problems of the block itself (an unterminated fence).
    pub problems: Vec<String>,
    /// How the row compares with the baseline.
    #[serde(default)]
    pub baseline: Option<Change>,
    /// The row matched its baseline entry by place and likeness, not by its
    /// text: the example was edited since the baseline was written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
    /// A similarity sketch of the block's text (64-bit SimHash, hex): how a
    /// baseline recognises the block after an edit. Absent for old reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<String>,
    /// The result was reused from the cache: nothing the row depends on changed.
    #[serde(default)]
    pub cached: bool,
    /// With stable and nightly: `broken-everywhere`, `nightly-regression` (fails
    /// only on nightly) or `nightly-only` (passes only on nightly).
    #[serde(default)]
    pub differential: Option<String>,
}

/// A crate a block was built with.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq, Default)]
pub struct Dependency {
    /// The name the code uses (`wasm_bindgen`).
    pub name: String,
    /// The package on the registry (`wasm-bindgen`).
    pub package: String,
    /// The requirement written into the scratch manifest.
    pub requirement: String,
    /// The version cargo resolved, once known.
    pub version: Option<String>,
    /// The features enabled.
    pub features: Vec<String>,
    /// Named only under `#[cfg(test)]`.
    pub dev: bool,
    /// The requirement the document (a toml block) or the configuration pins.
    #[serde(default)]
    pub pinned: Option<String>,
    /// The release a reader who adds the crate gets: the registry's newest
    /// stable release, not yanked, whose `rust-version` the toolchain meets.
    #[serde(default)]
    pub latest: Option<String>,
    /// The newest version the example was proven to build with, when it fails on `version`.
    #[serde(default)]
    pub last_passing: Option<String>,
    /// The oldest version the example was proven to fail with.
    #[serde(default)]
    pub first_failing: Option<String>,
    /// Where the crate comes from when not the registry: `path`, a local
    /// crate of the document's workspace (or `--crate`), built from its
    /// working tree; absent for the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// One variant build made to find out why a snippet fails.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Evidence {
    /// What the variant changed (`edition 2021`, `axum =0.6.20`, `nightly with #![feature(portable_simd)]`).
    pub variant: String,
    /// The toolchain the variant was built on.
    pub toolchain: String,
    /// The variant built.
    pub passed: bool,
    /// The cause the variant tests.
    pub tests: Cause,
    /// The first errors the variant still had, placed in the document (`file:line: message`).
    pub remaining: Vec<String>,
    /// Why cargo built nothing for the variant (its requirements cannot be met
    /// with the rest of the round nor alone, a dependency failed to build):
    /// such a variant proves nothing, and says so instead of "still fails".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_built: Option<String>,
    /// The errors of the example this variant removed (`line N: message`),
    /// when it is the variant the diagnosis credits with them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explains: Vec<String>,
}

/// A message of the compiler or clippy, placed in the document.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Diagnostic {
    /// `error`, `warning`, `note`, `help`.
    pub level: String,
    /// `E0425`, `clippy::new_without_default`, or none.
    pub code: Option<String>,
    /// The message, as the compiler wrote it.
    pub message: String,
    /// The document the message points into.
    pub file: String,
    /// 1-based location in the Markdown document.
    pub line: u32,
    /// 1-based column of the span's start (in characters).
    pub column: u32,
    /// 1-based line of the span's end.
    pub end_line: u32,
    /// 1-based column just past the span's end.
    pub end_column: u32,
    /// The primary span's label, if rustc gave one.
    pub label: Option<String>,
    /// The span lies in code snipcheck added around the snippet, not in the snippet:
    /// `line` is then the fence line.
    pub in_wrapper: bool,
    /// Child notes and help lines, one per entry (`help: consider importing ...`).
    pub notes: Vec<String>,
}

/// The counts of a whole run.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct Totals {
    /// Documents read.
    pub files: u32,
    /// Fenced blocks, in any language.
    pub blocks: u32,
    /// Rust blocks among them.
    pub rust_blocks: u32,
    /// Rows that passed.
    pub pass: u32,
    /// Rows that built with warnings only.
    pub warn: u32,
    /// Rows that failed.
    pub fail: u32,
    /// Rows that were not built.
    pub skip: u32,
}

/// A problem of the run that belongs to no single block. Its `kind` decides
/// what it does to the exit code; the message is for people only.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
pub struct RunProblem {
    /// What kind of problem this is (`"kind": "input"` in JSON). Reports
    /// written before problems had kinds read as [`ProblemKind::Environment`],
    /// the kind that leaves the exit code to the examples.
    #[serde(default = "ProblemKind::unrecorded")]
    pub kind: ProblemKind,
    /// The path or toolchain the problem is about, when there is one.
    pub subject: Option<String>,
    /// What happened, for people.
    pub message: String,
}

impl RunProblem {
    /// A document or a file the user named is missing, unreadable or invalid.
    pub fn input(subject: Option<String>, message: impl Into<String>) -> RunProblem {
        RunProblem::new(ProblemKind::Input, subject, message)
    }

    /// The machine fell short (toolchain, rustfmt, cargo, registry, lockfile
    /// resolution, cache); the run went on without it.
    pub fn environment(subject: Option<String>, message: impl Into<String>) -> RunProblem {
        RunProblem::new(ProblemKind::Environment, subject, message)
    }

    /// A build ran past the time limit (`--timeout`).
    pub fn limit(subject: Option<String>, message: impl Into<String>) -> RunProblem {
        RunProblem::new(ProblemKind::Limit, subject, message)
    }

    fn new(kind: ProblemKind, subject: Option<String>, message: impl Into<String>) -> RunProblem {
        RunProblem {
            kind,
            subject,
            message: message.into(),
        }
    }
}

/// What kind of problem a [`RunProblem`] is. The exit code follows from the
/// kinds, never from a problem's text.
///
/// Two kinds are deliberately absent. A usage error (a bad argument, an
/// unreadable configuration) stops the run before it starts, so it never
/// reaches a report; an interrupted run is `incomplete`, not a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// A document or a file the user gave is missing, unreadable or invalid: a
    /// path that does not exist, a document that is not UTF-8, a known-crates
    /// table that is not valid, a lockfile that cannot be read or parsed. The
    /// rest is checked, and the run exits with
    /// [`exit::USAGE`](crate::error::exit::USAGE).
    Input,
    /// The machine fell short, and the run went on without what was missing: a
    /// toolchain or rustfmt that is not installed, a cargo that built nothing,
    /// a lockfile cargo cannot use or could not update, a cache that could not
    /// be written. The rows say what it cost; the exit code is left to them.
    Environment,
    /// A build ran past the time limit and was stopped; its unfinished examples
    /// fail with the cause `timeout`, and the exit code is left to the rows.
    Limit,
}

impl ProblemKind {
    /// The kind of a problem in a report that recorded none (written before
    /// kinds existed): the kind that changes no exit code.
    pub fn unrecorded() -> ProblemKind {
        ProblemKind::Environment
    }
}
