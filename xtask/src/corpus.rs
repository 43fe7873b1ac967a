//! `cargo xtask corpus`: how far snipcheck agrees with hand-built labels on
//! real documents nobody on this project wrote.
//!
//! Fixtures prove the code does what we meant; the corpus proves what we meant
//! was right. `tests/corpus/manifest.toml` names public documents by
//! repository, commit and path; `tests/corpus/labels.toml` says what a careful
//! maintainer gets for some of their Rust blocks. This task
//!
//! 1. rebuilds the documents from git (a local mirror folder first, else a
//!    partial bare clone it keeps) into the git-ignored
//!    `sandbox/corpus/docs/<id>/<file name>`, and writes nowhere else but
//!    `sandbox/corpus/`;
//! 2. runs snipcheck on them (in a child process of this executable,
//!    `corpus-run`, so each run has its own trace and Ctrl-C handler) with the
//!    newest crates, writing `sandbox/corpus/report.json`, and with `--warm`
//!    a second time, which should start no cargo build;
//! 3. compares the report with the labels: outcome and primary-cause
//!    agreement, crates the inference missed, diagnosis evidence that proves
//!    nothing, and what the diagnosis cost.
//!
//! The report is read as `serde_json::Value`-backed rows, never as the
//! library's `Report`, so a field the report gains or loses (the diagnosis's
//! coming `not_built`) never breaks the comparison. The comparison
//! ([`compare`]) is pure and unit-tested on inline fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use snipcheck::error::exit;

/// The environment variable naming the mirrors folder when `--mirrors` is not given.
const MIRRORS_ENV: &str = "SNIPCHECK_CORPUS_MIRRORS";

/// Everything the task writes lives below this folder of the repository.
const CORPUS_DIR: &str = "sandbox/corpus";

/// `cargo xtask corpus [OPTIONS] [-- SNIPCHECK ARGS]`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask corpus",
    about = "Rebuild the real-document corpus, run snipcheck on it and compare with the hand-built labels"
)]
struct CorpusArgs {
    /// Folder of local git mirrors, one `OWNER+NAME/repo` git directory per
    /// repository (bare, or with `.git` inside); the default is the
    /// SNIPCHECK_CORPUS_MIRRORS environment variable, else none (a partial
    /// clone in sandbox/corpus/git/ is fetched from GitHub).
    #[arg(long, value_name = "DIR")]
    mirrors: Option<PathBuf>,
    /// Run snipcheck a second time and report the builds it started (0 expected).
    #[arg(long)]
    warm: bool,
    /// Do not rebuild or run: compare the documents and the report already in sandbox/corpus/.
    #[arg(long)]
    compare_only: bool,
    /// Write the figures as JSON to this file.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Exit 1 unless at least this percentage of matched labels agrees on the outcome.
    #[arg(long, value_name = "PCT")]
    require_outcome: Option<f64>,
    /// Exit 1 unless at least this percentage of failing labels agrees on the primary cause.
    #[arg(long, value_name = "PCT")]
    require_cause: Option<f64>,
    /// The manifest to read [default: tests/corpus/manifest.toml].
    #[arg(long, value_name = "FILE")]
    manifest: Option<PathBuf>,
    /// The labels to read [default: tests/corpus/labels.toml].
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Arguments passed on to snipcheck (after `--`).
    #[arg(last = true, value_name = "SNIPCHECK ARGS")]
    snipcheck: Vec<String>,
}

// ---------------------------------------------------------------------------
// The manifest and the labels
// ---------------------------------------------------------------------------

/// `tests/corpus/manifest.toml`. Unknown fields are ignored, so the manifest
/// can grow without breaking this task.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Manifest {
    #[serde(default)]
    pub(crate) document: Vec<Document>,
}

/// One public document, at one commit.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Document {
    pub(crate) id: String,
    pub(crate) repo: String,
    pub(crate) commit: String,
    pub(crate) path: String,
    #[serde(default)]
    kind: String,
}

/// `tests/corpus/labels.toml`.
#[derive(Debug, Default, Deserialize)]
struct Labels {
    #[serde(default)]
    block: Vec<Label>,
}

/// What a careful maintainer gets for one block.
#[derive(Debug, Clone, Deserialize)]
struct Label {
    document: String,
    line: u32,
    outcome: Outcome,
    #[serde(default)]
    cause: Option<String>,
    /// `None` when the label does not say (then no crate counts as extra).
    #[serde(default)]
    crates: Option<Vec<String>>,
}

impl Label {
    fn crates(&self) -> &[String] {
        self.crates.as_deref().unwrap_or_default()
    }
}

/// A label's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Outcome {
    Pass,
    Fail,
    Skip,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
        }
    }

    /// Whether a report row's status agrees: a pass may warn.
    fn agrees_with(self, status: &str) -> bool {
        match self {
            Outcome::Pass => status == "pass" || status == "warn",
            Outcome::Fail => status == "fail",
            Outcome::Skip => status == "skip",
        }
    }
}

pub(crate) fn read_toml<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text =
        fs::read_to_string(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    toml::from_str(&text).with_context(|| format!("failed to parse `{}`", path.display()))
}

/// Why a manifest entry cannot be rebuilt safely, if it cannot: every value
/// ends up in a path or a git command line.
fn invalid_document(doc: &Document) -> Option<String> {
    let word = |s: &str| {
        !s.is_empty()
            && !s.starts_with(['.', '-'])
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    };
    if !word(&doc.id) {
        return Some(format!(
            "id `{}` is not a plain name (letters, digits, `.`, `_`, `-`)",
            doc.id
        ));
    }
    match doc.repo.split_once('/') {
        Some((owner, name)) if word(owner) && word(name) => {}
        _ => return Some(format!("repo `{}` is not `owner/name`", doc.repo)),
    }
    if doc.commit.len() != 40 || !doc.commit.chars().all(|c| c.is_ascii_hexdigit()) {
        return Some(format!("commit `{}` is not 40 hex digits", doc.commit));
    }
    if file_name(&doc.path).is_none()
        || doc.path.starts_with('/')
        || doc.path.split('/').any(|part| part == "..")
    {
        return Some(format!(
            "path `{}` is not a file path inside the repository",
            doc.path
        ));
    }
    None
}

/// The file name a document is rebuilt under.
fn file_name(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

// ---------------------------------------------------------------------------
// Rebuilding the documents
// ---------------------------------------------------------------------------

/// Where the rebuilt documents came from.
#[derive(Debug, Default)]
struct Rebuilt {
    /// Document id -> the rebuilt file.
    docs: BTreeMap<String, PathBuf>,
    /// Document id -> why it could not be rebuilt.
    missing: BTreeMap<String, String>,
}

/// Rebuilds every valid document of `manifest` into `docs_dir`, removing what
/// earlier runs left there that the manifest no longer names.
fn rebuild(
    manifest: &Manifest,
    corpus: &Path,
    mirrors: Option<&Path>,
    docs_dir: &Path,
) -> Result<Rebuilt> {
    let mut rebuilt = Rebuilt::default();
    let mut sources = Sources {
        mirrors,
        clones: corpus.join("git"),
        failed_clones: BTreeMap::new(),
    };
    fs::create_dir_all(docs_dir)
        .with_context(|| format!("failed to create `{}`", docs_dir.display()))?;
    for doc in &manifest.document {
        if let Some(reason) = invalid_document(doc) {
            rebuilt.missing.insert(doc.id.clone(), reason);
            continue;
        }
        if rebuilt.docs.contains_key(&doc.id) || rebuilt.missing.contains_key(&doc.id) {
            rebuilt.missing.insert(
                format!("{} (again)", doc.id),
                "the id names an earlier document too".to_owned(),
            );
            continue;
        }
        let name = file_name(&doc.path).unwrap_or("document.md");
        let target = docs_dir.join(&doc.id).join(name);
        match sources.text(doc) {
            Ok(bytes) => {
                write_if_changed(&target, &bytes)?;
                rebuilt.docs.insert(doc.id.clone(), target);
            }
            Err(reason) => {
                rebuilt.missing.insert(doc.id.clone(), reason);
            }
        }
    }
    remove_stale(docs_dir, &rebuilt.docs)?;
    Ok(rebuilt)
}

/// Writes `bytes` unless the file already holds them (an unchanged document
/// keeps its modification time).
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("failed to create `{}`", parent.display()))?;
    }
    fs::write(path, bytes).with_context(|| format!("failed to write `{}`", path.display()))
}

/// Removes what `docs_dir` holds besides the rebuilt documents.
fn remove_stale(docs_dir: &Path, docs: &BTreeMap<String, PathBuf>) -> Result<()> {
    let keep: BTreeSet<&Path> = docs.values().map(PathBuf::as_path).collect();
    let entries = fs::read_dir(docs_dir)
        .with_context(|| format!("failed to read `{}`", docs_dir.display()))?;
    for entry in entries.flatten() {
        let dir = entry.path();
        let id = entry.file_name().to_string_lossy().into_owned();
        if !dir.is_dir() || !docs.contains_key(&id) {
            let removed = if dir.is_dir() {
                fs::remove_dir_all(&dir)
            } else {
                fs::remove_file(&dir)
            };
            removed.with_context(|| format!("failed to remove `{}`", dir.display()))?;
            continue;
        }
        for file in fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = file.path();
            if !keep.contains(path.as_path()) {
                let removed = if path.is_dir() {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                removed.with_context(|| format!("failed to remove `{}`", path.display()))?;
            }
        }
    }
    Ok(())
}

/// The git repositories documents are read from.
#[derive(Debug)]
struct Sources<'a> {
    mirrors: Option<&'a Path>,
    /// Folder of the partial bare clones this task keeps.
    clones: PathBuf,
    /// Repositories whose clone failed in this run, with git's reason.
    failed_clones: BTreeMap<String, String>,
}

impl Sources<'_> {
    /// The document's text at its commit: from the mirror, else from the clone.
    fn text(&mut self, doc: &Document) -> Result<Vec<u8>, String> {
        let folder = doc.repo.replace('/', "+");
        let mut reasons = Vec::new();
        if let Some(mirrors) = self.mirrors {
            let repo = mirrors.join(&folder).join("repo");
            let git_dir = if repo.join(".git").is_dir() {
                repo.join(".git")
            } else {
                repo
            };
            if git_dir.is_dir() {
                match blob(&git_dir, &doc.commit, &doc.path) {
                    Ok(bytes) => return Ok(bytes),
                    Err(reason) => reasons.push(format!("mirror: {reason}")),
                }
            } else {
                reasons.push(format!("no mirror at `{}`", git_dir.display()));
            }
        }
        match self.clone_of(&doc.repo, &folder) {
            Ok(git_dir) => match fetched_blob(&git_dir, &doc.commit, &doc.path) {
                Ok(bytes) => return Ok(bytes),
                Err(reason) => reasons.push(format!("clone: {reason}")),
            },
            Err(reason) => reasons.push(format!("clone: {reason}")),
        }
        Err(reasons.join("; "))
    }

    /// The partial bare clone of `repo`, made on first use.
    fn clone_of(&mut self, repo: &str, folder: &str) -> Result<PathBuf, String> {
        let git_dir = self.clones.join(format!("{folder}.git"));
        if git_dir.is_dir() {
            return Ok(git_dir);
        }
        if let Some(reason) = self.failed_clones.get(repo) {
            return Err(reason.clone());
        }
        let url = format!("https://github.com/{repo}");
        let result = fs::create_dir_all(&self.clones)
            .map_err(|e| format!("failed to create `{}`: {e}", self.clones.display()))
            .and_then(|()| {
                git(
                    None,
                    &["clone", "--bare", "--quiet", "--filter=blob:none", &url],
                    Some(&git_dir),
                )
            });
        match result {
            Ok(_) => Ok(git_dir),
            Err(reason) => {
                self.failed_clones.insert(repo.to_owned(), reason.clone());
                Err(reason)
            }
        }
    }
}

/// The blob at `commit:path`, fetching the commit first when the clone lacks it.
fn fetched_blob(git_dir: &Path, commit: &str, path: &str) -> Result<Vec<u8>, String> {
    let object = format!("{commit}^{{commit}}");
    if git(Some(git_dir), &["cat-file", "-e", &object], None).is_err() {
        git(
            Some(git_dir),
            &["fetch", "--quiet", "--filter=blob:none", "origin", commit],
            None,
        )?;
    }
    blob(git_dir, commit, path)
}

/// The bytes of `commit:path` in the repository `git_dir`; a symbolic link
/// (axum's `README.md` is one) is followed once, inside the repository.
pub(crate) fn blob(git_dir: &Path, commit: &str, path: &str) -> Result<Vec<u8>, String> {
    let read = |path: &str| {
        git(
            Some(git_dir),
            &["cat-file", "blob", &format!("{commit}:{path}")],
            None,
        )
    };
    let bytes = read(path)?;
    let entry = git(Some(git_dir), &["ls-tree", commit, "--", path], None)?;
    if !entry.starts_with(b"120000 ") {
        return Ok(bytes);
    }
    let link = String::from_utf8_lossy(&bytes);
    let target = link_target(path, link.trim_end())
        .ok_or_else(|| format!("`{path}` is a symbolic link out of the repository ({link})"))?;
    read(&target)
}

/// The path a symbolic link at `path` reading `link` points to, relative to
/// the repository root; `None` when it leaves the repository.
fn link_target(path: &str, link: &str) -> Option<String> {
    if link.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for part in link.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Runs git (never prompting, giving up on a stalled transfer); its stdout,
/// or the command line and git's first error line.
pub(crate) fn git(
    git_dir: Option<&Path>,
    args: &[&str],
    last: Option<&Path>,
) -> Result<Vec<u8>, String> {
    let mut command = Command::new("git");
    if let Some(dir) = git_dir {
        command.arg("--git-dir").arg(dir);
    }
    command.args(args);
    if let Some(path) = last {
        command.arg(path);
    }
    command
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_HTTP_LOW_SPEED_LIMIT", "1000")
        .env("GIT_HTTP_LOW_SPEED_TIME", "30");
    let shown = format!("`git {}`", args.join(" "));
    let output = command
        .output()
        .map_err(|e| format!("failed to run {shown}: {e}"))?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let reason = stderr
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("fatal:") || line.starts_with("error:"))
        .or_else(|| stderr.lines().map(str::trim).find(|line| !line.is_empty()))
        .unwrap_or("no message")
        .to_owned();
    Err(format!("{shown} failed: {reason}"))
}

// ---------------------------------------------------------------------------
// Running snipcheck
// ---------------------------------------------------------------------------

/// What one snipcheck run cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct RunCost {
    wall_seconds: f64,
    /// The time of the `diagnosis` phase (the variant builds), from the trace.
    diagnosis_seconds: Option<f64>,
    /// The report's `cargo_invocations`, by purpose.
    cargo_invocations: BTreeMap<String, u64>,
}

impl RunCost {
    fn builds(&self) -> u64 {
        self.cargo_invocations.get("build").copied().unwrap_or(0)
    }
}

/// The arguments snipcheck gets: the documents, the corpus's sandbox, the
/// newest crates on stable, the JSON report on stdout (so that snipcheck
/// prints only its summary line on stderr, not every block of the corpus) and
/// the Markdown view in `details`, then the user's own arguments (whose
/// `--toolchain`, `--latest`, `--lockfile` or `--sandbox` replace ours).
fn snipcheck_args(
    docs: &[PathBuf],
    sandbox: &Path,
    details: &Path,
    extra: &[String],
) -> Vec<String> {
    let given = |flag: &str| {
        extra
            .iter()
            .any(|arg| arg == flag || arg.starts_with(&format!("{flag}=")))
    };
    let mut args = vec!["--specs".to_owned()];
    args.extend(docs.iter().map(|doc| doc.display().to_string()));
    if !given("--sandbox") {
        args.extend(["--sandbox".to_owned(), sandbox.display().to_string()]);
    }
    if !given("--latest") && !given("--lockfile") {
        args.push("--latest".to_owned());
    }
    if !given("--toolchain") {
        args.extend(["--toolchain".to_owned(), "stable".to_owned()]);
    }
    args.extend([
        "--format".to_owned(),
        "json".to_owned(),
        "--format".to_owned(),
        format!("markdown={}", details.display()),
    ]);
    args.extend(extra.iter().cloned());
    args
}

/// Runs snipcheck on the documents in a child process of this executable
/// (`corpus-run`), its stdout (the JSON report) written to `report`, its
/// trace to `trace`.
fn run_snipcheck(args: &[String], report: &Path, trace: &Path) -> Result<RunCost> {
    let exe = std::env::current_exe().context("failed to find this executable")?;
    for stale in [report, trace] {
        if stale.exists() {
            fs::remove_file(stale)
                .with_context(|| format!("failed to remove `{}`", stale.display()))?;
        }
    }
    let stdout = fs::File::create(report)
        .with_context(|| format!("failed to create `{}`", report.display()))?;
    let started = Instant::now();
    let status = Command::new(&exe)
        .arg("corpus-run")
        .args(args)
        .env(snipcheck::trace::ENV, trace)
        .stdout(stdout)
        .status()
        .with_context(|| format!("failed to start `{} corpus-run`", exe.display()))?;
    let wall = started.elapsed().as_secs_f64();
    match status.code() {
        Some(exit::OK | exit::FAILED) => {}
        Some(code) => bail!("snipcheck stopped with exit code {code} (see its message above)"),
        None => bail!("snipcheck was stopped by a signal"),
    }
    let value = read_json(report)?;
    let trace = fs::read_to_string(trace)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    Ok(run_cost(&value, trace.as_ref(), wall))
}

/// One snipcheck run on `docs`: its report, details and trace are the
/// corpus folder's `report{suffix}.json`, `report{suffix}.md` and
/// `trace{suffix}.json`.
fn verify(corpus: &Path, docs: &[PathBuf], suffix: &str, extra: &[String]) -> Result<RunCost> {
    let which = if suffix.is_empty() { "cold" } else { "warm" };
    status(
        "Verifying",
        &format!("{} documents ({which} run)", docs.len()),
    );
    let report = corpus.join(format!("report{suffix}.json"));
    let details = corpus.join(format!("report{suffix}.md"));
    let args = snipcheck_args(docs, &corpus.join("sandbox"), &details, extra);
    let cost = run_snipcheck(&args, &report, &corpus.join(format!("trace{suffix}.json")))?;
    status(
        "Report",
        &format!("{} (every block: {})", report.display(), details.display()),
    );
    Ok(cost)
}

/// The cost of a run from its report and trace; `measured` is the wall time
/// seen from outside, used when the trace has none.
fn run_cost(report: &Value, trace: Option<&Value>, measured: f64) -> RunCost {
    let cargo_invocations = report
        .get("cargo_invocations")
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(purpose, n)| Some((purpose.clone(), n.as_u64()?)))
                .collect()
        })
        .unwrap_or_default();
    let wall_seconds = trace
        .and_then(|t| t.get("wall_seconds"))
        .and_then(Value::as_f64)
        .unwrap_or(measured);
    let diagnosis_seconds = trace
        .and_then(|t| t.get("phases"))
        .and_then(Value::as_array)
        .map(|phases| {
            phases
                .iter()
                .filter(|p| p.get("name").and_then(Value::as_str) == Some("diagnosis"))
                .filter_map(|p| p.get("seconds").and_then(Value::as_f64))
                .fold(0.0, |total, seconds| total + seconds)
        });
    RunCost {
        wall_seconds,
        diagnosis_seconds,
        cargo_invocations,
    }
}

/// `cargo xtask corpus-run ARGS`: one snipcheck run in this process, as
/// `snipcheck ARGS` would, with no baseline, lockfile or configuration of the
/// repository's; writes the trace `SNIPCHECK_TRACE` names.
pub fn run_one(root: &Path, rest: Vec<String>) -> i32 {
    snipcheck::trace::start();
    let argv = std::iter::once("cargo xtask corpus-run".to_owned()).chain(rest);
    let args = match snipcheck::cli::Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return exit::USAGE;
        }
    };
    let defaults = snipcheck::cli::Defaults {
        specs: root.join(CORPUS_DIR).join("docs"),
        sandbox: root.join(CORPUS_DIR).join("sandbox"),
        // A configuration of the corpus's own, when someone writes one there.
        config: root.join(CORPUS_DIR).join("snipcheck.toml"),
        ..snipcheck::cli::Defaults::default()
    };
    let code = snipcheck::edge::run(&args, &defaults, snipcheck::cli::Terminal::detect());
    snipcheck::trace::write_if_requested();
    code
}

fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("failed to read the report `{}`", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the report `{}` is not JSON", path.display()))
}

// ---------------------------------------------------------------------------
// The comparison (pure)
// ---------------------------------------------------------------------------

/// One report row, as much of it as the comparison reads.
#[derive(Debug, Clone, Deserialize)]
struct Row {
    file: String,
    line: u32,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cause: Option<String>,
    #[serde(default)]
    rust: bool,
    #[serde(default)]
    toolchain: Option<String>,
    #[serde(default)]
    dependencies: Vec<Value>,
    #[serde(default)]
    diagnostics: Vec<Value>,
    #[serde(default)]
    evidence: Vec<Value>,
}

impl Row {
    /// The document id and file name of the row (`docs/<id>/<file name>`).
    fn document(&self) -> Option<(&str, &str)> {
        let mut parts = self.file.rsplit(['/', '\\']);
        let name = parts.next()?;
        let id = parts.next()?;
        Some((id, name))
    }

    /// Where the row is, as the summary shows it: `<id>/<file name>:<line>`.
    fn place(&self) -> String {
        match self.document() {
            Some((id, name)) => format!("{id}/{name}:{}", self.line),
            None => format!("{}:{}", self.file, self.line),
        }
    }
}

/// The report's rows; `Err` when the report has no `snippets` array. Rows
/// that lack a file or a line are counted, not fatal.
fn rows_of(report: &Value) -> Result<(Vec<Row>, usize)> {
    let Some(snippets) = report.get("snippets").and_then(Value::as_array) else {
        bail!("the report has no `snippets` array");
    };
    let mut rows = Vec::new();
    let mut unreadable = 0;
    for snippet in snippets {
        match serde_json::from_value::<Row>(snippet.clone()) {
            Ok(row) => rows.push(row),
            Err(_) => unreadable += 1,
        }
    }
    Ok((rows, unreadable))
}

/// A label's place.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Place {
    document: String,
    line: u32,
    /// Why it is listed.
    reason: String,
}

/// How many compared items agree, and the ones that do not.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct Agreement {
    agree: u32,
    of: u32,
    /// `None` when nothing was compared.
    percent: Option<f64>,
    disagreements: Vec<Disagreement>,
}

impl Agreement {
    fn record(&mut self, agrees: bool, disagreement: impl FnOnce() -> Disagreement) {
        self.of += 1;
        if agrees {
            self.agree += 1;
        } else {
            self.disagreements.push(disagreement());
        }
        self.percent = Some(f64::from(self.agree) * 100.0 / f64::from(self.of));
    }

    /// Whether the agreement reaches `required` percent (nothing compared never does).
    fn meets(&self, required: f64) -> bool {
        self.percent
            .is_some_and(|percent| percent + 1e-9 >= required)
    }

    fn shown(&self) -> String {
        match self.percent {
            Some(percent) => format!("{}/{} agree ({percent:.1}%)", self.agree, self.of),
            None => "nothing to compare".to_owned(),
        }
    }
}

/// A label and snipcheck's row that disagree.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Disagreement {
    document: String,
    /// `<id>/<file name>:<line>`.
    place: String,
    label: String,
    snipcheck: String,
}

/// A crate a failing row needed that the dependency inference did not add.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct InferenceMiss {
    place: String,
    #[serde(rename = "crate")]
    krate: String,
    why: String,
}

/// Diagnosis evidence that proves nothing: a variant that failed with no error
/// left and no word on why it was not built.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct VoidEvidence {
    place: String,
    variant: String,
}

/// The documents of the manifest and what became of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct DocumentFigures {
    total: u32,
    rebuilt: u32,
    /// Rebuilt documents per manifest `kind`.
    by_kind: BTreeMap<String, u32>,
    /// Document id -> why it is missing.
    missing: BTreeMap<String, String>,
}

/// Everything the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
struct Comparison {
    documents: DocumentFigures,
    /// Distinct blocks (document and fence line) in the report, and the Rust ones.
    blocks: u32,
    rust_blocks: u32,
    /// Report rows that could not be read (no file or line).
    unreadable_rows: u32,
    labels: u32,
    matched: u32,
    /// Labels with no report row: an error (the commit moved or the line is wrong).
    unmatched: Vec<Place>,
    /// Labels of documents that could not be rebuilt in this run.
    unchecked: Vec<Place>,
    outcome: Agreement,
    /// Over the labels that fail and whose row fails.
    cause: Agreement,
    inference_misses: Vec<InferenceMiss>,
    /// Dependencies snipcheck added to a labelled block that its label's
    /// `crates` does not list (a name the code uses read as a crate).
    extra_crates: Vec<InferenceMiss>,
    void_evidence: Vec<VoidEvidence>,
}

/// Compares the report's rows with the labels. `known` says whether crates.io
/// has a crate (the registry cache); `rebuilt` are the documents the report covers.
fn compare(
    manifest: &Manifest,
    rebuilt: &Rebuilt,
    labels: &[Label],
    rows: &[Row],
    known: &dyn Fn(&str) -> bool,
) -> Comparison {
    let mut cmp = Comparison {
        documents: document_figures(manifest, rebuilt),
        labels: to_u32(labels.len()),
        ..Comparison::default()
    };
    let ids: BTreeSet<&str> = manifest.document.iter().map(|d| d.id.as_str()).collect();
    let mut blocks = BTreeSet::new();
    let mut by_place: BTreeMap<(&str, u32), Vec<&Row>> = BTreeMap::new();
    for row in rows {
        let Some((id, _)) = row.document() else {
            continue;
        };
        if blocks.insert((id, row.line)) && row.rust {
            cmp.rust_blocks += 1;
        }
        by_place.entry((id, row.line)).or_default().push(row);
    }
    cmp.blocks = to_u32(blocks.len());
    let mut labelled: BTreeMap<(&str, u32), &Label> = BTreeMap::new();
    for label in labels {
        let place = |reason: &str| Place {
            document: label.document.clone(),
            line: label.line,
            reason: reason.to_owned(),
        };
        if !ids.contains(label.document.as_str()) {
            cmp.unmatched
                .push(place("no document of the manifest has this id"));
            continue;
        }
        if !rebuilt.docs.contains_key(&label.document) {
            cmp.unchecked.push(place("the document was not rebuilt"));
            continue;
        }
        let Some(row) = by_place
            .get(&(label.document.as_str(), label.line))
            .and_then(|rows| stable_row(rows))
        else {
            cmp.unmatched.push(place(
                "no block of the report opens on this line (the commit moved, or the line is wrong)",
            ));
            continue;
        };
        cmp.matched += 1;
        labelled.insert((label.document.as_str(), label.line), label);
        agree(&mut cmp, label, row);
    }
    for row in rows {
        let label = row
            .document()
            .and_then(|(id, _)| labelled.get(&(id, row.line)).copied());
        cmp.inference_misses
            .extend(inference_misses(row, label, known));
        cmp.extra_crates
            .extend(label.map_or_else(Vec::new, |l| extra_crates(row, l)));
        cmp.void_evidence.extend(void_evidence(row));
    }
    dedup(&mut cmp.inference_misses);
    dedup(&mut cmp.extra_crates);
    dedup(&mut cmp.void_evidence);
    cmp
}

fn dedup<T: Ord>(items: &mut Vec<T>) {
    items.sort();
    items.dedup();
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The documents per kind, rebuilt or missing.
fn document_figures(manifest: &Manifest, rebuilt: &Rebuilt) -> DocumentFigures {
    let mut figures = DocumentFigures {
        total: to_u32(manifest.document.len()),
        rebuilt: to_u32(rebuilt.docs.len()),
        missing: rebuilt.missing.clone(),
        ..DocumentFigures::default()
    };
    let mut counted = BTreeSet::new();
    for doc in &manifest.document {
        if rebuilt.docs.contains_key(&doc.id) && counted.insert(doc.id.as_str()) {
            let kind = if doc.kind.is_empty() {
                "(no kind)"
            } else {
                &doc.kind
            };
            *figures.by_kind.entry(kind.to_owned()).or_default() += 1;
        }
    }
    figures
}

/// The row a label is compared with: stable's, the labels' toolchain, else
/// any built one, else the first.
fn stable_row<'r>(rows: &[&'r Row]) -> Option<&'r Row> {
    let on = |pred: &dyn Fn(&Row) -> bool| rows.iter().copied().find(|row| pred(row));
    on(&|row| {
        row.toolchain
            .as_deref()
            .is_some_and(|t| t.starts_with("stable"))
    })
    .or_else(|| on(&|row| row.toolchain.is_some()))
    .or_else(|| rows.first().copied())
}

/// Records the outcome and the cause agreement of one matched label.
fn agree(cmp: &mut Comparison, label: &Label, row: &Row) {
    let disagreement = |label_says: String, snipcheck: String| Disagreement {
        document: label.document.clone(),
        place: row.place(),
        label: label_says,
        snipcheck,
    };
    let status = row.status.as_str();
    cmp.outcome.record(label.outcome.agrees_with(status), || {
        let shown = match &row.cause {
            Some(cause) => format!("{status} ({cause})"),
            None => status.to_owned(),
        };
        disagreement(label.outcome.as_str().to_owned(), shown)
    });
    if label.outcome == Outcome::Fail && status == "fail" {
        let agrees = label.cause.is_some() && label.cause == row.cause;
        cmp.cause.record(agrees, || {
            disagreement(
                label
                    .cause
                    .clone()
                    .unwrap_or_else(|| "(no cause)".to_owned()),
                row.cause.clone().unwrap_or_else(|| "(no cause)".to_owned()),
            )
        });
    }
}

/// The texts that can name a missing crate: the block's own diagnostics
/// (message, label, notes). The evidence's variants are left out: a variant
/// that tries a `use` of a crate the block does not need fails on it by design.
fn row_texts(row: &Row) -> Vec<&str> {
    let mut texts = Vec::new();
    for diagnostic in &row.diagnostics {
        for key in ["message", "label"] {
            texts.extend(diagnostic.get(key).and_then(Value::as_str));
        }
        if let Some(notes) = diagnostic.get("notes").and_then(Value::as_array) {
            texts.extend(notes.iter().filter_map(Value::as_str));
        }
    }
    texts
}

/// The phrases of rustc's that name a crate it could not find, before the
/// crate (or import path) in backticks.
const MISSING_CRATE_PHRASES: &[&str] = &[
    "unresolved import `",
    "use of unresolved module or unlinked crate `",
    "use of undeclared crate or module `",
    "can't find crate for `",
];

/// Names the compiler could not find as crates in `text`: the first segment
/// of each path those phrases quote, but for `crate`, `self`, `super` and the
/// standard library.
fn missing_crate_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for phrase in MISSING_CRATE_PHRASES {
        for (start, _) in text.match_indices(phrase) {
            let rest = &text[start + phrase.len()..];
            let Some(quoted) = rest.split('`').next() else {
                continue;
            };
            let first = quoted
                .trim_start_matches("::")
                .split("::")
                .next()
                .unwrap_or("");
            let plain = !first.is_empty()
                && first
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let builtin = matches!(
                first,
                "crate" | "self" | "super" | "std" | "core" | "alloc" | "proc_macro" | "test"
            );
            if plain && !builtin {
                names.insert(first.to_owned());
            }
        }
    }
    names
}

/// A crate name as code and registry both spell it.
fn normalized(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// The crates a failing row needed but did not get as dependencies: named
/// missing by the compiler (or the cause `unknown-crate`) and either listed by
/// the row's label or known to crates.io.
fn inference_misses(
    row: &Row,
    label: Option<&Label>,
    known: &dyn Fn(&str) -> bool,
) -> Vec<InferenceMiss> {
    if row.status != "fail" {
        return Vec::new();
    }
    let declared: BTreeSet<String> = row
        .dependencies
        .iter()
        .flat_map(|d| ["name", "package"].map(|key| d.get(key).and_then(Value::as_str)))
        .flatten()
        .map(normalized)
        .collect();
    let listed: BTreeSet<String> = label
        .map(|l| l.crates().iter().map(|c| normalized(c)).collect())
        .unwrap_or_default();
    let mut candidates: BTreeSet<String> = row_texts(row)
        .into_iter()
        .flat_map(missing_crate_names)
        .collect();
    if row.cause.as_deref() == Some("unknown-crate") {
        candidates.extend(label.into_iter().flat_map(|l| l.crates().iter().cloned()));
    }
    let mut misses = Vec::new();
    for name in candidates {
        let key = normalized(&name);
        if declared.contains(&key) {
            continue;
        }
        // A module of the standard library used without its `use` (`io`,
        // `task`) is a missing import, not a crate inference missed.
        let std_module = snipcheck::items::is_std_module(&name);
        let why = if listed.contains(&key) {
            "the label lists it"
        } else if !std_module && (known(&name) || known(&key) || known(&key.replace('_', "-"))) {
            "crates.io has it"
        } else {
            continue;
        };
        misses.push(InferenceMiss {
            place: row.place(),
            krate: name,
            why: why.to_owned(),
        });
    }
    misses
}

/// The row's registry dependencies that its label's `crates` does not list.
fn extra_crates(row: &Row, label: &Label) -> Vec<InferenceMiss> {
    let Some(crates) = &label.crates else {
        return Vec::new();
    };
    let listed: BTreeSet<String> = crates.iter().map(|c| normalized(c)).collect();
    let mut extras = BTreeSet::new();
    for dependency in &row.dependencies {
        let names = ["name", "package"].map(|key| dependency.get(key).and_then(Value::as_str));
        if names
            .iter()
            .flatten()
            .any(|name| listed.contains(&normalized(name)))
        {
            continue;
        }
        if let Some(package) = names[1].or(names[0]) {
            extras.insert(package.to_owned());
        }
    }
    extras
        .into_iter()
        .map(|krate| InferenceMiss {
            place: row.place(),
            krate,
            why: "not in the label's crates".to_owned(),
        })
        .collect()
}

/// The row's evidence entries that failed, left no error and do not say why
/// they were not built (`not_built`).
fn void_evidence(row: &Row) -> Vec<VoidEvidence> {
    row.evidence
        .iter()
        .filter(|e| e.get("passed").and_then(Value::as_bool) == Some(false))
        .filter(|e| {
            e.get("remaining")
                .and_then(Value::as_array)
                .is_none_or(Vec::is_empty)
        })
        .filter(|e| e.get("not_built").and_then(Value::as_str).is_none())
        .map(|e| VoidEvidence {
            place: row.place(),
            variant: e
                .get("variant")
                .and_then(Value::as_str)
                .unwrap_or("(unnamed variant)")
                .to_owned(),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The task
// ---------------------------------------------------------------------------

/// The figures `--json` writes.
#[derive(Debug, Serialize)]
struct Figures<'a> {
    #[serde(flatten)]
    comparison: &'a Comparison,
    cold: Option<&'a RunCost>,
    warm: Option<&'a RunCost>,
    /// What failed the run: thresholds not met, labels unmatched.
    failures: &'a [String],
}

/// `cargo xtask corpus ARGS`; returns the exit code: 0 when it ran, 1 when a
/// threshold is not met or a label is unmatched, 2 on usage and IO errors.
pub fn run(root: &Path, rest: Vec<String>) -> i32 {
    let argv = std::iter::once("cargo xtask corpus".to_owned()).chain(rest);
    let args = match CorpusArgs::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    match run_task(root, &args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::USAGE
        }
    }
}

fn run_task(root: &Path, args: &CorpusArgs) -> Result<i32> {
    let manifest_path = args
        .manifest
        .clone()
        .unwrap_or_else(|| root.join("tests/corpus/manifest.toml"));
    let labels_path = args
        .labels
        .clone()
        .unwrap_or_else(|| root.join("tests/corpus/labels.toml"));
    let manifest: Manifest = read_toml(&manifest_path)?;
    let labels: Labels = if labels_path.exists() {
        read_toml(&labels_path)?
    } else {
        eprintln!(
            "warning: no labels at `{}`: only the report's own figures are shown",
            labels_path.display()
        );
        Labels::default()
    };
    let corpus = crate::relative_to_cwd(root.join(CORPUS_DIR));
    let docs_dir = corpus.join("docs");
    let report = corpus.join("report.json");
    let (rebuilt, cold, warm) = if args.compare_only {
        (present(&manifest, &docs_dir), None, None)
    } else {
        let mirrors = args.mirrors.clone().or_else(|| {
            std::env::var_os(MIRRORS_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        status(
            "Rebuilding",
            &format!("{} documents", manifest.document.len()),
        );
        let rebuilt = rebuild(&manifest, &corpus, mirrors.as_deref(), &docs_dir)?;
        for (id, reason) in &rebuilt.missing {
            eprintln!("warning: document `{id}` not rebuilt: {reason}");
        }
        if rebuilt.docs.is_empty() {
            bail!(
                "no document could be rebuilt (give the mirrors with --mirrors DIR or {MIRRORS_ENV})"
            );
        }
        let docs: Vec<PathBuf> = rebuilt.docs.values().cloned().collect();
        let cold = verify(&corpus, &docs, "", &args.snipcheck)?;
        let warm = if args.warm {
            Some(verify(&corpus, &docs, "-warm", &args.snipcheck)?)
        } else {
            None
        };
        (rebuilt, Some(cold), warm)
    };
    let value = read_json(&report)?;
    // Compared again: the cost of the run that wrote the report, when it left a trace.
    let cold = cold.or_else(|| {
        let text = fs::read_to_string(corpus.join("trace.json")).ok()?;
        let trace = serde_json::from_str::<Value>(&text).ok()?;
        Some(run_cost(&value, Some(&trace), 0.0))
    });
    let (rows, unreadable) = rows_of(&value)?;
    let cache = snipcheck::registry::RegistryCache::load(corpus.join("sandbox/registry.json"));
    let known = |name: &str| cache.knows(name);
    let mut cmp = compare(&manifest, &rebuilt, &labels.block, &rows, &known);
    cmp.unreadable_rows = to_u32(unreadable);
    let failures = failures(&cmp, args.require_outcome, args.require_cause);
    print_summary(&cmp, cold.as_ref(), warm.as_ref(), &failures);
    if let Some(path) = &args.json {
        let figures = Figures {
            comparison: &cmp,
            cold: cold.as_ref(),
            warm: warm.as_ref(),
            failures: &failures,
        };
        let text =
            serde_json::to_string_pretty(&figures).context("failed to serialize the figures")?;
        fs::write(path, text + "\n")
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    Ok(if failures.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    })
}

/// The documents already rebuilt (for `--compare-only`).
fn present(manifest: &Manifest, docs_dir: &Path) -> Rebuilt {
    let mut rebuilt = Rebuilt::default();
    for doc in &manifest.document {
        let path = file_name(&doc.path).map(|name| docs_dir.join(&doc.id).join(name));
        match path {
            Some(path) if invalid_document(doc).is_none() && path.is_file() => {
                rebuilt.docs.insert(doc.id.clone(), path);
            }
            _ => {
                rebuilt
                    .missing
                    .insert(doc.id.clone(), "not rebuilt yet".to_owned());
            }
        }
    }
    rebuilt
}

/// What makes the exit code 1.
fn failures(cmp: &Comparison, outcome: Option<f64>, cause: Option<f64>) -> Vec<String> {
    let mut failures = Vec::new();
    if !cmp.unmatched.is_empty() {
        failures.push(format!("{} labels unmatched", cmp.unmatched.len()));
    }
    for (name, required, agreement) in [
        ("outcome", outcome, &cmp.outcome),
        ("cause", cause, &cmp.cause),
    ] {
        if let Some(required) = required.filter(|r| !agreement.meets(*r)) {
            failures.push(format!(
                "{name} agreement {} is below the required {required}%",
                agreement
                    .percent
                    .map_or_else(|| "(nothing compared)".to_owned(), |p| format!("{p:.1}%"))
            ));
        }
    }
    failures
}

/// A cargo-style status line on stderr: a right-aligned verb, then the rest.
fn status(verb: &str, rest: &str) {
    eprintln!("{verb:>12} {rest}");
}

fn seconds(s: f64) -> String {
    format!("{s:.1} s")
}

/// The summary, short, on stderr.
fn print_summary(
    cmp: &Comparison,
    cold: Option<&RunCost>,
    warm: Option<&RunCost>,
    failures: &[String],
) {
    let docs = &cmp.documents;
    let kinds: Vec<String> = docs
        .by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    status(
        "Documents",
        &format!(
            "{} rebuilt of {} ({}); {} missing",
            docs.rebuilt,
            docs.total,
            kinds.join(", "),
            docs.missing.len()
        ),
    );
    if let Some(cold) = cold {
        let diagnosis = cold
            .diagnosis_seconds
            .map_or_else(|| "not traced".to_owned(), seconds);
        let invocations: Vec<String> = cold
            .cargo_invocations
            .iter()
            .map(|(purpose, n)| format!("{purpose} {n}"))
            .collect();
        status(
            "Cold run",
            &format!(
                "{} (diagnosis {diagnosis}); cargo: {}",
                seconds(cold.wall_seconds),
                invocations.join(", ")
            ),
        );
    }
    if let Some(warm) = warm {
        let flag = if warm.builds() == 0 {
            ""
        } else {
            " (a warm run should start none)"
        };
        status(
            "Warm run",
            &format!(
                "{}; {} cargo builds{flag}",
                seconds(warm.wall_seconds),
                warm.builds()
            ),
        );
    }
    let unreadable = if cmp.unreadable_rows > 0 {
        format!("; {} rows unreadable", cmp.unreadable_rows)
    } else {
        String::new()
    };
    status(
        "Blocks",
        &format!(
            "{} in the report, {} Rust{unreadable}",
            cmp.blocks, cmp.rust_blocks
        ),
    );
    status(
        "Labels",
        &format!(
            "{} matched of {}; {} unmatched; {} unchecked (document missing)",
            cmp.matched,
            cmp.labels,
            cmp.unmatched.len(),
            cmp.unchecked.len()
        ),
    );
    for place in &cmp.unmatched {
        eprintln!(
            "error: label {}:{} unmatched: {}",
            place.document, place.line, place.reason
        );
    }
    print_agreement("Outcome", &cmp.outcome);
    print_agreement("Cause", &cmp.cause);
    status(
        "Inference",
        &format!("{} misses", cmp.inference_misses.len()),
    );
    for miss in &cmp.inference_misses {
        eprintln!(
            "             - {}: `{}` ({})",
            miss.place, miss.krate, miss.why
        );
    }
    status(
        "Extra",
        &format!("{} crates the labels do not list", cmp.extra_crates.len()),
    );
    for extra in &cmp.extra_crates {
        eprintln!("             - {}: `{}`", extra.place, extra.krate);
    }
    status(
        "Evidence",
        &format!("{} void entries", cmp.void_evidence.len()),
    );
    for void in &cmp.void_evidence {
        eprintln!("             - {}: {}", void.place, void.variant);
    }
    for failure in failures {
        eprintln!("error: {failure}");
    }
}

fn print_agreement(name: &str, agreement: &Agreement) {
    status(name, &agreement.shown());
    for d in &agreement.disagreements {
        eprintln!(
            "             - {}: label {}, snipcheck {}",
            d.place, d.label, d.snipcheck
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A manifest of two documents, `a` (rebuilt) and `b` (missing).
    fn manifest() -> Manifest {
        toml::from_str(
            r#"
            [[document]]
            id = "a"
            repo = "owner/a"
            commit = "0123456789012345678901234567890123456789"
            path = "docs/GUIDE.md"
            kind = "book"
            why = "fixture"

            [[document]]
            id = "b"
            repo = "owner/b"
            commit = "0123456789012345678901234567890123456789"
            path = "README.md"
            kind = "readme"
            "#,
        )
        .expect("the fixture manifest parses")
    }

    fn rebuilt() -> Rebuilt {
        Rebuilt {
            docs: BTreeMap::from([("a".to_owned(), PathBuf::from("corpus/docs/a/GUIDE.md"))]),
            missing: BTreeMap::from([("b".to_owned(), "no mirror".to_owned())]),
        }
    }

    fn labels(text: &str) -> Vec<Label> {
        toml::from_str::<Labels>(text)
            .expect("the fixture labels parse")
            .block
    }

    fn rows(json: &str) -> Vec<Row> {
        let value: Value = serde_json::from_str(json).expect("the fixture report is JSON");
        let (rows, unreadable) = rows_of(&value).expect("the fixture has snippets");
        assert_eq!(unreadable, 0);
        rows
    }

    fn nothing_known(_: &str) -> bool {
        false
    }

    const REPORT: &str = r#"{"snippets": [
        {"file": "corpus/docs/a/GUIDE.md", "line": 3, "status": "warn", "rust": true, "toolchain": "stable"},
        {"file": "corpus/docs/a/GUIDE.md", "line": 3, "status": "fail", "rust": true, "toolchain": "nightly"},
        {"file": "corpus/docs/a/GUIDE.md", "line": 10, "status": "fail", "cause": "missing-import", "rust": true, "toolchain": "stable"},
        {"file": "corpus/docs/a/GUIDE.md", "line": 20, "status": "fail", "cause": "placeholder", "rust": true, "toolchain": "stable"},
        {"file": "corpus/docs/a/GUIDE.md", "line": 30, "status": "fail", "cause": "code-bug", "rust": true, "toolchain": "stable"},
        {"file": "corpus/docs/a/GUIDE.md", "line": 40, "status": "skip", "rust": false, "lang": "toml", "a_future_field": [1, 2]}
    ]}"#;

    const LABELS: &str = r#"
        [[block]]
        document = "a"
        line = 3
        outcome = "pass"

        [[block]]
        document = "a"
        line = 10
        outcome = "fail"
        cause = "missing-import"

        [[block]]
        document = "a"
        line = 20
        outcome = "fail"
        cause = "needs-context"

        [[block]]
        document = "a"
        line = 30
        outcome = "pass"

        [[block]]
        document = "a"
        line = 99
        outcome = "pass"

        [[block]]
        document = "b"
        line = 5
        outcome = "pass"

        [[block]]
        document = "c"
        line = 1
        outcome = "skip"
    "#;

    #[test]
    fn labels_match_rows_by_document_and_fence_line() {
        let cmp = compare(
            &manifest(),
            &rebuilt(),
            &labels(LABELS),
            &rows(REPORT),
            &nothing_known,
        );
        assert_eq!((cmp.blocks, cmp.rust_blocks), (5, 4));
        assert_eq!((cmp.labels, cmp.matched), (7, 4));
        let unmatched: Vec<(&str, u32)> = cmp
            .unmatched
            .iter()
            .map(|p| (p.document.as_str(), p.line))
            .collect();
        assert_eq!(unmatched, [("a", 99), ("c", 1)]);
        assert_eq!(cmp.unchecked.len(), 1);
        assert_eq!(cmp.unchecked[0].document, "b");
        assert_eq!(
            cmp.documents.by_kind,
            BTreeMap::from([("book".to_owned(), 1)])
        );
        assert_eq!((cmp.documents.total, cmp.documents.rebuilt), (2, 1));
    }

    #[test]
    fn outcomes_agree_when_a_pass_warns_and_on_stable_rows() {
        let cmp = compare(
            &manifest(),
            &rebuilt(),
            &labels(LABELS),
            &rows(REPORT),
            &nothing_known,
        );
        // Line 3 warns on stable (its nightly failure is not compared): agrees.
        // Line 30 is labelled pass and fails: the one disagreement.
        assert_eq!((cmp.outcome.agree, cmp.outcome.of), (3, 4));
        assert_eq!(cmp.outcome.percent, Some(75.0));
        let d = &cmp.outcome.disagreements;
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].place, "a/GUIDE.md:30");
        assert_eq!(
            (d[0].label.as_str(), d[0].snipcheck.as_str()),
            ("pass", "fail (code-bug)")
        );
    }

    #[test]
    fn causes_are_compared_where_both_fail() {
        let cmp = compare(
            &manifest(),
            &rebuilt(),
            &labels(LABELS),
            &rows(REPORT),
            &nothing_known,
        );
        assert_eq!((cmp.cause.agree, cmp.cause.of), (1, 2));
        let d = &cmp.cause.disagreements;
        assert_eq!(d.len(), 1);
        assert_eq!(
            (
                d[0].place.as_str(),
                d[0].label.as_str(),
                d[0].snipcheck.as_str()
            ),
            ("a/GUIDE.md:20", "needs-context", "placeholder")
        );
    }

    #[test]
    fn thresholds_and_unmatched_labels_fail_the_run() {
        let cmp = compare(
            &manifest(),
            &rebuilt(),
            &labels(LABELS),
            &rows(REPORT),
            &nothing_known,
        );
        assert_eq!(failures(&cmp, None, None), ["2 labels unmatched"]);
        let only_matched: Vec<Label> = labels(LABELS)
            .into_iter()
            .filter(|label| label.document == "a" && label.line != 99)
            .collect();
        let cmp = compare(
            &manifest(),
            &rebuilt(),
            &only_matched,
            &rows(REPORT),
            &nothing_known,
        );
        assert!(cmp.unmatched.is_empty(), "{:?}", cmp.unmatched);
        assert!(failures(&cmp, Some(50.0), Some(50.0)).is_empty());
        assert_eq!(
            failures(&cmp, Some(90.0), None),
            ["outcome agreement 75.0% is below the required 90%"]
        );
        // Nothing compared never meets a threshold.
        assert!(!Agreement::default().meets(0.0));
    }

    #[test]
    fn missing_crates_are_read_from_rustc_messages() {
        let check = |text: &str, expected: &[&str]| {
            let names: Vec<String> = missing_crate_names(text).into_iter().collect();
            assert_eq!(names, expected, "{text}");
        };
        check("unresolved import `serde_json`", &["serde_json"]);
        check("unresolved import `tokio::net::TcpListener`", &["tokio"]);
        check(
            "failed to resolve: use of unresolved module or unlinked crate `rand`",
            &["rand"],
        );
        check(
            "failed to resolve: use of undeclared crate or module `io`",
            &["io"],
        );
        check("can't find crate for `regex`", &["regex"]);
        check("unresolved import `crate::config`", &[]);
        check("unresolved import `std::foo`", &[]);
        check("unresolved import `::anyhow::Result`", &["anyhow"]);
        check("cannot find type `Number` in this scope", &[]);
        check(
            "unresolved import `a` and unresolved import `b::c`",
            &["a", "b"],
        );
        check("unresolved import `", &[]);
    }

    #[test]
    fn inference_misses_are_crates_the_label_lists_or_the_registry_has() {
        let report = r#"{"snippets": [
            {"file": "d/a/GUIDE.md", "line": 10, "status": "fail", "cause": "compile", "rust": true,
             "dependencies": [{"name": "tokio", "package": "tokio"}],
             "diagnostics": [
                {"message": "unresolved import `serde_json`", "notes": ["help: a similar name exists"]},
                {"message": "unresolved import `tokio::net`"},
                {"message": "failed to resolve: use of unresolved module or unlinked crate `io`"},
                {"message": "can't find crate for `rand`"}
             ],
             "evidence": [{"variant": "with use uuid::Uuid;", "passed": false, "remaining": ["d/a/GUIDE.md:12: unresolved import `uuid`"]}]},
            {"file": "d/a/GUIDE.md", "line": 20, "status": "fail", "cause": "unknown-crate", "rust": true},
            {"file": "d/a/GUIDE.md", "line": 30, "status": "pass", "rust": true,
             "diagnostics": [{"message": "unresolved import `rand`"}]}
        ]}"#;
        let labels = labels(
            r#"
            [[block]]
            document = "a"
            line = 10
            outcome = "fail"
            crates = ["serde-json", "tokio"]

            [[block]]
            document = "a"
            line = 20
            outcome = "fail"
            crates = ["my_crate"]
            "#,
        );
        // A variant's import of a crate the block does not need is no miss.
        let known = |name: &str| name == "rand" || name == "uuid";
        let cmp = compare(&manifest(), &rebuilt(), &labels, &rows(report), &known);
        let misses: Vec<(&str, &str, &str)> = cmp
            .inference_misses
            .iter()
            .map(|m| (m.place.as_str(), m.krate.as_str(), m.why.as_str()))
            .collect();
        let extras: Vec<(&str, &str)> = cmp
            .extra_crates
            .iter()
            .map(|e| (e.place.as_str(), e.krate.as_str()))
            .collect();
        // Line 10 lists tokio, its one dependency; line 20 has none.
        assert!(extras.is_empty(), "{extras:?}");
        let unlisted = labels_with_crates(r#"crates = ["serde_json"]"#);
        let cmp = compare(&manifest(), &rebuilt(), &unlisted, &rows(report), &known);
        let extras: Vec<&str> = cmp.extra_crates.iter().map(|e| e.krate.as_str()).collect();
        assert_eq!(extras, ["tokio"]);
        let silent = labels_with_crates("");
        let cmp = compare(&manifest(), &rebuilt(), &silent, &rows(report), &known);
        assert!(
            cmp.extra_crates.is_empty(),
            "a label without `crates` says nothing"
        );
        // `tokio` is a dependency already (a feature is missing, not the crate);
        // `io` is neither listed nor known; the passing row is not looked at.
        assert_eq!(
            misses,
            [
                ("a/GUIDE.md:10", "rand", "crates.io has it"),
                ("a/GUIDE.md:10", "serde_json", "the label lists it"),
                ("a/GUIDE.md:20", "my_crate", "the label lists it"),
            ]
        );
    }

    /// One label on line 10 of `a` with the given `crates` line.
    fn labels_with_crates(crates: &str) -> Vec<Label> {
        labels(&format!(
            "[[block]]\ndocument = \"a\"\nline = 10\noutcome = \"fail\"\n{crates}\n"
        ))
    }

    #[test]
    fn void_evidence_failed_without_errors_or_a_reason() {
        let report = r#"{"snippets": [
            {"file": "d/a/GUIDE.md", "line": 10, "status": "fail", "evidence": [
                {"variant": "empty", "toolchain": "stable", "passed": false, "tests": "compile", "remaining": []},
                {"variant": "explained", "passed": false, "remaining": [], "not_built": "the dependency did not resolve"},
                {"variant": "passed", "passed": true, "remaining": []},
                {"variant": "with errors", "passed": false, "remaining": ["d/a/GUIDE.md:11: error"]},
                {"variant": "no remaining field", "passed": false, "something_new": true},
                {"passed": false}
            ]}
        ]}"#;
        let cmp = compare(&manifest(), &rebuilt(), &[], &rows(report), &nothing_known);
        let voids: Vec<&str> = cmp
            .void_evidence
            .iter()
            .map(|v| v.variant.as_str())
            .collect();
        assert_eq!(voids, ["(unnamed variant)", "empty", "no remaining field"]);
        assert!(cmp.void_evidence.iter().all(|v| v.place == "a/GUIDE.md:10"));
    }

    #[test]
    fn a_report_without_snippets_is_an_error_and_bad_rows_are_counted() {
        assert!(rows_of(&serde_json::json!({"schema": 1})).is_err());
        let value = serde_json::json!({"snippets": [{"line": 3}, {"file": "x/a/b.md", "line": 1}]});
        let (rows, unreadable) = rows_of(&value).expect("snippets");
        assert_eq!((rows.len(), unreadable), (1, 1));
    }

    #[test]
    fn run_cost_reads_invocations_and_the_diagnosis_phase() {
        let report = serde_json::json!({"cargo_invocations": {"build": 4, "registry": 2}});
        let trace = serde_json::json!({"wall_seconds": 12.5, "phases": [
            {"name": "diagnosis", "seconds": 3.0},
            {"name": "ws: clippy", "seconds": 5.0},
            {"name": "diagnosis", "seconds": 1.5}
        ]});
        let cost = run_cost(&report, Some(&trace), 99.0);
        assert_eq!(cost.wall_seconds, 12.5);
        assert_eq!(cost.diagnosis_seconds, Some(4.5));
        assert_eq!(cost.builds(), 4);
        let untraced = run_cost(&serde_json::json!({}), None, 7.0);
        assert_eq!(
            (
                untraced.wall_seconds,
                untraced.diagnosis_seconds,
                untraced.builds()
            ),
            (7.0, None, 0)
        );
    }

    #[test]
    fn manifest_values_that_would_leave_the_corpus_folder_are_refused() {
        let doc = |id: &str, repo: &str, commit: &str, path: &str| Document {
            id: id.to_owned(),
            repo: repo.to_owned(),
            commit: commit.to_owned(),
            path: path.to_owned(),
            kind: "readme".to_owned(),
        };
        let commit = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            invalid_document(&doc("axum-readme", "tokio-rs/axum", commit, "README.md")),
            None
        );
        for bad in [
            doc("../x", "o/n", commit, "README.md"),
            doc("a/b", "o/n", commit, "README.md"),
            doc("", "o/n", commit, "README.md"),
            doc("id", "o", commit, "README.md"),
            doc("id", "o/../n", commit, "README.md"),
            doc("id", "o/n", "--upload-pack=x", "README.md"),
            doc("id", "o/n", "abc", "README.md"),
            doc("id", "o/n", commit, "docs/"),
            doc("id", "o/n", commit, "../README.md"),
            doc("id", "o/n", commit, "/etc/passwd"),
        ] {
            assert!(invalid_document(&bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn symbolic_links_are_followed_inside_the_repository_only() {
        assert_eq!(
            link_target("README.md", "axum/README.md").as_deref(),
            Some("axum/README.md")
        );
        assert_eq!(
            link_target("a/b/README.md", "../c.md").as_deref(),
            Some("a/c.md")
        );
        assert_eq!(
            link_target("a/README.md", "./x.md").as_deref(),
            Some("a/x.md")
        );
        assert_eq!(link_target("README.md", "../outside.md"), None);
        assert_eq!(link_target("README.md", "/etc/passwd"), None);
    }

    #[test]
    fn the_users_snipcheck_flags_replace_ours() {
        let docs = [PathBuf::from("d/a/A.md"), PathBuf::from("d/b/B.md")];
        let args = snipcheck_args(&docs, Path::new("sb"), Path::new("r.md"), &[]);
        assert_eq!(
            args,
            [
                "--specs",
                "d/a/A.md",
                "d/b/B.md",
                "--sandbox",
                "sb",
                "--latest",
                "--toolchain",
                "stable",
                "--format",
                "json",
                "--format",
                "markdown=r.md"
            ]
        );
        let extra = [
            "--toolchain=nightly".to_owned(),
            "--lockfile".to_owned(),
            "l".to_owned(),
        ];
        let args = snipcheck_args(&docs, Path::new("sb"), Path::new("r.md"), &extra);
        assert!(!args.contains(&"--latest".to_owned()), "{args:?}");
        assert!(!args.contains(&"stable".to_owned()), "{args:?}");
        assert!(args.ends_with(&extra), "{args:?}");
    }
}
