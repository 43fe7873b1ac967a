//! The repairs of a run: which edits each document gets, from which evidence.
//!
//! `--fix` takes rustc's and clippy's machine-applicable suggestions from the
//! primary build. The other repairs act only on what the diagnosis proved:
//! `--fix-imports` adds the imports whose variant built, `--fix-edition` takes
//! rustc's edition-2024 migration suggestions from one extra build of the
//! edition-drift snippets (edition 2021 with `rust_2024_compatibility` warned),
//! `--fix-pins` rewrites the document's toml pins to the release the
//! bisection found, and `--fmt` reports (and with `--fix` applies) what
//! rustfmt would change. All edits go through the line map (see `fix.rs`); the
//! formatting pass runs last, on the text the other repairs produced.

use std::collections::BTreeMap;

use crate::analyze::{self, Snippet};
use crate::cause::Cause;
use crate::diagnose::UnitResult;
use crate::discover::SpecFile;
use crate::error::Result;
use crate::executor::{BuildOutcome, BuildPlan, Executor, LockSeed};
use crate::extract::{self, Block};
use crate::fence::Edition;
use crate::fix::{self, DocEdit};
use crate::fmt::{self, FmtInput, FmtResult, NotFormattable};
use crate::log::Log;
use crate::pin_fix::{self, PinOutcome, ProvenRelease};
use crate::prepare::{Entry, Unit};
use crate::primary::{ToolchainBuild, primary_job};
use crate::report::{Diagnostic, RunProblem, SnippetReport, Status};
use crate::text::LineIndex;
use crate::wrap::WrappedSource;

use crate::experiments::Diagnosis;

/// The lint group whose suggestions migrate code to edition 2024.
const EDITION_LINTS: &str = "#![warn(rust_2024_compatibility)]";

/// What to repair besides rustc's machine-applicable suggestions (`--fix`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Repair {
    /// Add the imports the missing-import variant proved (`--fix-imports`).
    pub imports: bool,
    /// Apply rustc's edition-2024 migrations to edition-drift snippets (`--fix-edition`).
    pub edition: bool,
    /// Rewrite toml pins to the releases drift bisection proved (`--fix-pins`).
    pub pins: bool,
    /// Report what rustfmt would change as `warn` (`--fmt`).
    pub fmt: bool,
    /// Write rustfmt's changes too (`--fmt` with `--fix`).
    pub fmt_write: bool,
}

impl Repair {
    /// Whether any repair edits documents.
    pub fn edits_documents(&self) -> bool {
        self.imports || self.edition || self.pins || self.fmt_write
    }
}

/// A document and its text with the machine-applicable suggestions applied.
#[derive(Debug, Clone)]
pub struct FileFix {
    pub path: std::path::PathBuf,
    /// The path as reports show it.
    pub file: String,
    pub original: String,
    pub fixed: String,
    /// (document line, what was applied), in document order.
    pub applied: Vec<(u32, String)>,
    /// (document line, what was found but deliberately not changed).
    pub notes: Vec<(u32, String)>,
}

/// What the run asks to repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked {
    /// rustc's and clippy's machine-applicable suggestions (`--fix`).
    pub suggestions: bool,
    pub repair: Repair,
}

/// Entry id -> the edition-2021 variant of an edition-drift snippet, and what rustc said of it.
type Migrations = BTreeMap<String, (WrappedSource, UnitResult)>;

/// What one document's repairs read: the builds and the diagnosis.
struct Evidence<'a> {
    units: &'a BTreeMap<&'a str, Unit<'a>>,
    primary: &'a BuildOutcome,
    migrations: &'a Migrations,
    diagnoses: &'a BTreeMap<String, Diagnosis>,
    asked: Asked,
}

/// Every document's text with the requested repairs applied.
pub fn collect(
    (executor, primary, lock): (&Executor<'_>, &ToolchainBuild, &LockSeed),
    specs: &[SpecFile],
    entries: &[Entry],
    units: &[Unit<'_>],
    diagnoses: &BTreeMap<String, Diagnosis>,
    asked: Asked,
) -> Result<(Vec<FileFix>, Log)> {
    let mut log = Log::default();
    let migrations = if asked.repair.edition {
        let (found, built) =
            edition_migrations(executor, units, diagnoses, &primary.toolchain, lock)?;
        log.extend(built);
        found
    } else {
        BTreeMap::new()
    };
    let by_id: BTreeMap<&str, Unit<'_>> = units.iter().map(|u| (u.entry.id.as_str(), *u)).collect();
    let evidence = Evidence {
        units: &by_id,
        primary: &primary.built,
        migrations: &migrations,
        diagnoses,
        asked,
    };
    let mut rustfmt = Rustfmt::new(executor, &primary.toolchain);
    let mut fixes = Vec::new();
    for spec in specs {
        let file = spec.display();
        let mine: Vec<&Entry> = entries.iter().filter(|e| e.file == file).collect();
        let (edits, mut notes) = document_edits(&spec.text, &mine, &evidence);
        let (mut fixed, applied) = fix::apply(&spec.text, edits);
        let index = LineIndex::new(&spec.text);
        let mut applied: Vec<(u32, String)> = applied
            .into_iter()
            .map(|e| (index.line(e.start), e.message))
            .collect();
        if asked.repair.fmt_write {
            fixed = format_repaired(&fixed, &mine, &mut rustfmt, &mut applied);
        }
        applied.sort();
        notes.sort();
        if fixed != spec.text || !notes.is_empty() {
            fixes.push(FileFix {
                path: spec.path.clone(),
                file,
                original: spec.text.clone(),
                fixed,
                applied,
                notes,
            });
        }
    }
    log.extend(rustfmt.report());
    Ok((fixes, log))
}

/// The edits one document gets, and notes on what was found but not changed.
fn document_edits(
    doc: &str,
    mine: &[&Entry],
    evidence: &Evidence<'_>,
) -> (Vec<DocEdit>, Vec<(u32, String)>) {
    let mut edits = Vec::new();
    let mut notes = Vec::new();
    let mut releases: BTreeMap<String, Vec<(u32, ProvenRelease)>> = BTreeMap::new();
    for entry in mine {
        let (Some(snippet), Some(wrapped)) = (entry.snippet(), entry.wrapped()) else {
            continue;
        };
        if evidence.asked.suggestions
            && let Some(result) = evidence.primary.units.get(&entry.package())
        {
            edits.extend(fix::document_edits(
                doc,
                &result.suggestions,
                wrapped,
                &snippet.lines,
            ));
        }
        if let Some((variant, result)) = evidence.migrations.get(&entry.id) {
            let (found, note) = migration_edits(doc, entry, snippet, variant, result);
            edits.extend(found);
            notes.extend(note);
        }
        let Some(diagnosis) = evidence.diagnoses.get(&entry.id) else {
            continue;
        };
        let repair = evidence.asked.repair;
        if repair.imports && !diagnosis.proven_imports.is_empty() {
            let message = format!(
                "added {} (the variant with it removed the errors of that name)",
                diagnosis
                    .proven_imports
                    .iter()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            edits.extend(fix::import_edit(
                doc,
                &snippet.code,
                &snippet.lines,
                &diagnosis.proven_imports,
                &message,
            ));
        }
        if repair.pins && diagnosis.cause == Cause::DependencyDrift {
            let unit = evidence.units.get(entry.id.as_str());
            for (package, (last, first)) in &diagnosis.drift {
                let name = unit
                    .and_then(|u| u.deps.deps.iter().find(|d| &d.package == package))
                    .map_or_else(|| package.clone(), |d| d.name.clone());
                releases.entry(package.clone()).or_default().push((
                    entry.block.fence_line,
                    ProvenRelease {
                        package: package.clone(),
                        name,
                        last_passing: last.clone(),
                        first_failing: first.clone(),
                    },
                ));
            }
        }
        if repair.pins && diagnosis.cause == Cause::NightlyFeature {
            let on_nightly = diagnosis
                .evidence
                .iter()
                .find(|e| e.tests == Cause::NightlyFeature && e.passed);
            if let Some(evidence) = on_nightly {
                notes.push((
                    entry.block.fence_line,
                    format!(
                        "needs nightly: builds on {} with {}; not changed (listed only)",
                        evidence.toolchain, evidence.variant
                    ),
                ));
            }
        }
    }
    let toml_blocks: Vec<&Block> = mine
        .iter()
        .filter(|e| e.block.fence.lang.as_deref() == Some("toml"))
        .map(|e| &e.block)
        .collect();
    for (package, proven) in releases {
        let (edits_for, note) = pin_repair(doc, &toml_blocks, &package, &proven);
        edits.extend(edits_for);
        notes.extend(note);
    }
    (edits, notes)
}

/// rustc's edition-2024 migrations of one snippet, as document edits, or a
/// note that it suggests none.
fn migration_edits(
    doc: &str,
    entry: &Entry,
    snippet: &Snippet,
    variant: &WrappedSource,
    result: &UnitResult,
) -> (Vec<DocEdit>, Option<(u32, String)>) {
    let migrations: Vec<_> = result
        .suggestions
        .iter()
        .filter(|s| {
            !s.code
                .as_deref()
                .unwrap_or_default()
                .starts_with("clippy::")
        })
        .cloned()
        .collect();
    let found = fix::document_edits(doc, &migrations, variant, &snippet.lines);
    let note = found.is_empty().then(|| {
        (
            entry.block.fence_line,
            "edition drift: rustc suggests no machine-applicable migration; not changed"
                .to_string(),
        )
    });
    let edits = found
        .into_iter()
        .map(|mut e| {
            e.message = format!("edition 2024: {}", e.message);
            e
        })
        .collect();
    (edits, note)
}

/// The repaired text formatted by rustfmt (`--fmt --fix`), with what it
/// changed added to `applied`. Repairs never add or remove blocks: the n-th
/// block of the repaired text is the n-th of the document, so its fence line
/// there is the line to report.
fn format_repaired(
    fixed: &str,
    mine: &[&Entry],
    rustfmt: &mut Rustfmt<'_>,
    applied: &mut Vec<(u32, String)>,
) -> String {
    let fence_lines: BTreeMap<usize, u32> = mine
        .iter()
        .map(|e| (e.block.index, e.block.fence_line))
        .collect();
    let mut formatting = Vec::new();
    for check in format_document(fixed, rustfmt) {
        if let Some(edit) = check.edit {
            let line = fence_lines
                .get(&check.block_index)
                .copied()
                .unwrap_or(check.fence_line);
            applied.push((line, edit.message.clone()));
            formatting.push(edit);
        }
    }
    if formatting.is_empty() {
        fixed.to_string()
    } else {
        fix::apply(fixed, formatting).0
    }
}

/// The pin edits for one package of one document, or a note saying why none.
fn pin_repair(
    doc: &str,
    toml_blocks: &[&Block],
    package: &str,
    proven: &[(u32, ProvenRelease)],
) -> (Vec<DocEdit>, Vec<(u32, String)>) {
    let Some((line, first)) = proven.first() else {
        return (Vec::new(), Vec::new());
    };
    let wanted = pin_fix::requirement_for(&first.last_passing, first.first_failing.as_deref());
    let disagree = proven.iter().any(|(_, p)| {
        pin_fix::requirement_for(&p.last_passing, p.first_failing.as_deref()) != wanted
    });
    if disagree {
        let all = proven
            .iter()
            .map(|(line, p)| format!("line {line}: {}", p.last_passing))
            .collect::<Vec<_>>()
            .join(", ");
        return (
            Vec::new(),
            vec![(
                *line,
                format!(
                    "{package}: the examples build with different releases ({all}); pins not changed"
                ),
            )],
        );
    }
    match pin_fix::pin_edits(doc, toml_blocks, first) {
        PinOutcome::Edits(edits) => (edits, Vec::new()),
        PinOutcome::AlreadyPinned(requirement) => (
            Vec::new(),
            vec![(
                *line,
                format!(
                    "{package} is already pinned to \"{requirement}\", which admits {} (examples are still built with the newest release)",
                    first.last_passing
                ),
            )],
        ),
        PinOutcome::NoPinBlock => (
            Vec::new(),
            vec![(
                *line,
                format!(
                    "{package} builds with {}, but the document has no ```toml [dependencies] block to pin it in; not changed",
                    first.last_passing
                ),
            )],
        ),
    }
}

/// One build of every edition-drift snippet on edition 2021 with the edition
/// lints warned: entry id -> (the variant's source, what rustc said).
fn edition_migrations(
    executor: &Executor<'_>,
    units: &[Unit<'_>],
    diagnoses: &BTreeMap<String, Diagnosis>,
    toolchain: &str,
    lock: &LockSeed,
) -> Result<(Migrations, Log)> {
    let (plan, variants) = plan_edition_repair(units, diagnoses, toolchain, lock);
    if plan.jobs.is_empty() {
        return Ok((BTreeMap::new(), Log::default()));
    }
    let mut built = executor.build(&plan)?;
    let log = std::mem::take(&mut built.log);
    let found = variants
        .into_iter()
        .filter_map(|(id, (package, variant))| {
            let result = built.units.remove(&package)?;
            Some((id, (variant, result)))
        })
        .collect();
    Ok((found, log))
}

/// The edition-repair build: each edition-drift snippet on edition 2021 with
/// the edition lints warned; entry id -> (its package, the variant's source).
fn plan_edition_repair(
    units: &[Unit<'_>],
    diagnoses: &BTreeMap<String, Diagnosis>,
    toolchain: &str,
    lock: &LockSeed,
) -> (BuildPlan, BTreeMap<String, (String, WrappedSource)>) {
    let mut jobs = Vec::new();
    let mut variants = BTreeMap::new();
    for unit in units {
        let drifted = diagnoses
            .get(&unit.entry.id)
            .is_some_and(|d| d.cause == Cause::EditionDrift);
        if !drifted {
            continue;
        }
        let mut job = primary_job(*unit);
        let wrapped = unit.wrapped;
        let variant =
            wrapped.with_inserted(&[(wrapped.after_prelude(), EDITION_LINTS.to_string())]);
        let package = format!("{}-edition", unit.package());
        job.files.package = package.clone();
        job.files.edition = Edition::E2021;
        job.files.source = variant.text.clone();
        for member in &mut job.members {
            member.key = package.clone();
            member.wrapped = variant.clone();
        }
        variants.insert(unit.entry.id.clone(), (package, variant));
        jobs.push(job);
    }
    let plan = BuildPlan::variants("repair-edition".to_string(), toolchain, jobs, lock);
    (plan, variants)
}

/// rustfmt's verdict on one block.
#[derive(Debug, Clone)]
pub struct FmtCheck {
    /// The block's place among the document's blocks.
    pub block_index: usize,
    /// Fence line of the block.
    pub fence_line: u32,
    /// Document line of the first visible code line (the fence line when none).
    pub line: u32,
    pub result: FmtResult,
    /// The edit that formats the block, when it changes.
    pub edit: Option<DocEdit>,
}

/// rustfmt over every Rust block of a document.
fn format_document(doc: &str, rustfmt: &mut Rustfmt<'_>) -> Vec<FmtCheck> {
    let mut out = Vec::new();
    for block in extract::extract(doc) {
        if !block.fence.is_rust || block.fence.attrs.ignore {
            continue;
        }
        let snippet = analyze::analyze(&block);
        let (result, edit, line) = match fmt::input(&snippet) {
            Err(why) => (FmtResult::NotFormattable(why), None, block.fence_line),
            Ok(input) => {
                let result = rustfmt.format(&snippet, &input);
                let edit = match &result {
                    FmtResult::Changed { formatted, .. } => {
                        fmt::doc_edit(doc, &snippet.lines, &input, formatted)
                    }
                    _ => None,
                };
                let line = snippet
                    .lines
                    .get(input.first)
                    .map_or(block.fence_line, |l| l.origin.line);
                (result, edit, line)
            }
        };
        out.push(FmtCheck {
            block_index: block.index,
            fence_line: block.fence_line,
            line,
            result,
            edit,
        });
    }
    out
}

/// rustfmt's verdict on every Rust block: (file, fence line) -> check.
pub fn check_formatting(
    executor: &Executor<'_>,
    specs: &[SpecFile],
    toolchain: &str,
) -> (BTreeMap<(String, u32), FmtCheck>, Log) {
    let mut rustfmt = Rustfmt::new(executor, toolchain);
    let mut out = BTreeMap::new();
    for spec in specs {
        for check in format_document(&spec.text, &mut rustfmt) {
            out.insert((spec.display(), check.fence_line), check);
        }
    }
    (out, rustfmt.report())
}

/// Marks the rows of blocks rustfmt would change: `warn` (a passing example
/// stays otherwise as it was), with the diff; blocks that cannot be formatted
/// get a note saying why.
pub fn mark_formatting(rows: &mut [SnippetReport], checks: &BTreeMap<(String, u32), FmtCheck>) {
    for row in rows.iter_mut() {
        let Some(check) = checks.get(&(row.file.clone(), row.line)) else {
            continue;
        };
        let (level, message, notes) = match &check.result {
            FmtResult::Formatted => continue,
            // A syntax error is reported as one already.
            FmtResult::NotFormattable(NotFormattable::Unparsable) => continue,
            FmtResult::Changed { diff, .. } => (
                "warning",
                "rustfmt would reformat this example (`--fmt --fix` formats it)".to_string(),
                vec![diff.trim_end().to_string()],
            ),
            FmtResult::NotFormattable(why) => ("note", format!("not formatted: {why}"), Vec::new()),
        };
        if level == "warning" && row.status == Status::Pass {
            row.status = Status::Warn;
        }
        row.diagnostics.push(Diagnostic {
            level: level.to_string(),
            code: Some("rustfmt".to_string()),
            message,
            file: row.file.clone(),
            line: check.line,
            column: 1,
            end_line: check.line,
            end_column: 1,
            label: None,
            in_wrapper: false,
            notes,
        });
    }
}

/// rustfmt runs, one per distinct input, and the problems they had.
struct Rustfmt<'e> {
    executor: &'e Executor<'e>,
    toolchain: String,
    memo: BTreeMap<(Edition, String), std::result::Result<String, String>>,
    invocations: u32,
    problem: Option<String>,
}

impl<'e> Rustfmt<'e> {
    fn new(executor: &'e Executor<'e>, toolchain: &str) -> Rustfmt<'e> {
        Rustfmt {
            executor,
            toolchain: toolchain.to_string(),
            memo: BTreeMap::new(),
            invocations: 0,
            problem: None,
        }
    }

    fn format(&mut self, snippet: &Snippet, input: &FmtInput) -> FmtResult {
        let key = (snippet.edition, input.text.clone());
        if !self.memo.contains_key(&key) {
            self.invocations += 1;
            let answer =
                match self
                    .executor
                    .rustfmt(&self.toolchain, snippet.edition.as_str(), &input.text)
                {
                    Ok(out) if out.success => Ok(out.stdout),
                    Ok(out) if out.stderr.contains("is not installed") => {
                        let message = first_error(&out.stderr);
                        self.problem.get_or_insert_with(|| message.clone());
                        Err(message)
                    }
                    Ok(out) => Err(first_error(&out.stderr)),
                    Err(error) => {
                        let message = error.to_string();
                        self.problem.get_or_insert_with(|| message.clone());
                        Err(message)
                    }
                };
            self.memo.insert(key.clone(), answer);
        }
        match self.memo.get(&key) {
            Some(Ok(stdout)) => fmt::result(input, stdout),
            Some(Err(why)) => FmtResult::NotFormattable(NotFormattable::Rustfmt(why.clone())),
            None => FmtResult::NotFormattable(NotFormattable::Unmappable),
        }
    }

    fn report(self) -> Log {
        let mut log = Log::default();
        log.count("rustfmt", self.invocations);
        if let Some(message) = self.problem {
            log.problem(RunProblem::environment(
                Some("rustfmt".to_string()),
                format!("rustfmt could not be run, so no example was formatted: {message} (install it with `rustup component add rustfmt`)"),
            ));
        }
        log
    }
}

/// The first `error` line rustfmt printed.
fn first_error(stderr: &str) -> String {
    stderr
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or_else(|| stderr.lines().next().unwrap_or("no output"))
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(result: FmtResult) -> BTreeMap<(String, u32), FmtCheck> {
        BTreeMap::from([(
            ("doc.md".to_string(), 3),
            FmtCheck {
                block_index: 0,
                fence_line: 3,
                line: 4,
                result,
                edit: None,
            },
        )])
    }

    fn row(status: Status) -> SnippetReport {
        SnippetReport {
            file: "doc.md".into(),
            line: 3,
            status,
            ..SnippetReport::default()
        }
    }

    #[test]
    fn unformatted_examples_warn_with_the_diff_and_others_get_a_note() {
        let changed = check(FmtResult::Changed {
            formatted: "fn f() {}\n".into(),
            diff: "-fn f(){}\n+fn f() {}\n".into(),
        });
        let mut rows = vec![row(Status::Pass), row(Status::Fail)];
        mark_formatting(&mut rows, &changed);
        assert_eq!(
            (rows[0].status, rows[1].status),
            (Status::Warn, Status::Fail)
        );
        assert_eq!(rows[0].diagnostics[0].line, 4);
        assert!(rows[0].diagnostics[0].notes[0].contains("+fn f() {}"));

        let mut rows = vec![row(Status::Pass)];
        mark_formatting(
            &mut rows,
            &check(FmtResult::NotFormattable(
                NotFormattable::InterleavedHiddenLines,
            )),
        );
        assert_eq!(rows[0].status, Status::Pass);
        assert_eq!(rows[0].diagnostics[0].level, "note");

        let mut rows = vec![row(Status::Pass)];
        mark_formatting(&mut rows, &check(FmtResult::Formatted));
        assert!(rows[0].diagnostics.is_empty());
    }

    #[test]
    fn examples_that_disagree_on_a_release_leave_the_pins_alone() {
        let doc = "```toml\n[dependencies]\naxum = \"0.8\"\n```\n";
        let blocks = extract::extract(doc);
        let toml: Vec<&Block> = blocks.iter().collect();
        let proven = |line, last: &str, first: &str| {
            (
                line,
                ProvenRelease {
                    package: "axum".into(),
                    name: "axum".into(),
                    last_passing: last.into(),
                    first_failing: Some(first.into()),
                },
            )
        };
        let (edits, notes) = pin_repair(
            doc,
            &toml,
            "axum",
            &[proven(10, "0.6.20", "0.7.0"), proven(20, "0.7.9", "0.8.0")],
        );
        assert!(edits.is_empty());
        assert!(notes[0].1.contains("different releases"), "{notes:?}");
        let (edits, notes) = pin_repair(doc, &toml, "axum", &[proven(10, "0.6.20", "0.7.0")]);
        assert_eq!((edits.len(), notes.len()), (1, 0));
        assert_eq!(edits[0].text, "0.6");
    }
}
