//! The human view of a report: what a person sees on stderr after a run.
//!
//! People already know how to read cargo and rustc output, so this renderer
//! imitates it rather than inventing a format: every compiler or clippy
//! diagnostic is drawn with annotate-snippets (the library rustc itself uses)
//! against the Markdown document, not against the scratch crate snipcheck built,
//! because the document is the file the reader has to fix. A per-file table and
//! a one-line total in the manner of `cargo test` close the output.
//!
//! The renderer reads the report model only. It must never panic on the data it
//! is given: when a document's text is missing or a location does not fit in
//! it, the diagnostic degrades to rustc's short `file:line:col: level: message`
//! form instead of disappearing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use annotate_snippets::renderer::{
    DEFAULT_EMPHASIS_STYLE, DEFAULT_ERROR_STYLE, DEFAULT_HELP_STYLE, DEFAULT_NOTE_STYLE,
    DEFAULT_WARNING_STYLE, Style,
};
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use super::{Diagnostic, ProblemKind, Report, SnippetReport, Status, Totals, escape};
use crate::text::{LineIndex, to_u32};

/// The note added to diagnostics whose span lies in code that snipcheck put
/// around the example (a `fn main` wrapper, for instance): the reader should
/// not search the example for the line rustc complained about.
const WRAPPER_NOTE: &str = "this diagnostic points into code snipcheck wrapped around the example";

/// How many lines around a diagnostic are handed to annotate-snippets when the
/// fenced block it belongs to cannot be found; the renderer folds the lines
/// that carry no annotation, so this only matters for multi-line spans.
const CONTEXT_LINES: u32 = 3;

/// Choices the caller makes about the terminal the output goes to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// Emit ANSI colors. The caller decides (terminal detection, `NO_COLOR`,
    /// `--color`); with `false` the output contains no escape sequence at all.
    pub color: bool,
}

/// Renders the diagnostics of every failing or warning snippet, the run's
/// problems, a per-file summary table and the totals line.
///
/// `sources` maps each `file` string of the report to the text of that Markdown
/// document; a file missing from it is reported without source excerpts.
pub fn render_human(
    report: &Report,
    sources: &BTreeMap<String, String>,
    options: &HumanOptions,
) -> String {
    // Every string of the report and every quoted document is shown without
    // its control characters, and no line can be a CI workflow command.
    let report = &escape::report(report);
    let sources = &escape::sources(sources);
    let out = Output::new(options.color);
    let mut text = String::new();
    let mut documents = Documents::new(sources);

    // With several toolchains, a block that fails the same way on each is drawn
    // once; the other toolchains get one line.
    let mut drawn: BTreeMap<&str, (&str, Vec<&Diagnostic>)> = BTreeMap::new();
    for snippet in &report.snippets {
        let toolchain = snippet.toolchain.as_deref().unwrap_or_default();
        let key: Vec<&Diagnostic> = snippet.diagnostics.iter().collect();
        if let Some((first, diagnostics)) = drawn.get(snippet.id.as_str()) {
            if *diagnostics == key {
                if matches!(snippet.status, Status::Fail | Status::Warn) {
                    let message = format!(
                        "{}:{}: the same on {toolchain} as on {first}",
                        snippet.file, snippet.line
                    );
                    out.push_title(&mut text, Severity::Note, message);
                }
                continue;
            }
        } else {
            drawn.insert(&snippet.id, (toolchain, key));
        }
        render_snippet(&out, &mut documents, snippet, &mut text);
    }

    render_problems(&out, report, &mut text);
    for toolchain in report
        .toolchains
        .iter()
        .filter(|toolchain| !toolchain.installed)
    {
        let message = toolchain.missing_message();
        out.push_title(&mut text, Severity::Note, message);
    }

    render_baseline(&out, report, &mut text);
    if let Some(partition) = &report.partition {
        out.push_title(
            &mut text,
            Severity::Note,
            format!("this report covers shard {partition} of the blocks; --merge-reports joins the shards"),
        );
    }
    if let Some(lockfile) = &report.lockfile {
        for sentence in lockfile.sentences() {
            out.push_title(&mut text, Severity::Note, sentence);
        }
    }
    match &report.confinement {
        Some(confinement) if !confinement.confined => out.push_title(
            &mut text,
            Severity::Warning,
            format!("the builds were not confined: {}", confinement.summary),
        ),
        Some(confinement) => out.push_title(&mut text, Severity::Note, confinement.summary.clone()),
        None => {}
    }
    render_differential(&out, report, &mut text);
    render_table(&out, report, &mut text);
    render_totals(&out, report, &mut text);
    escape::neutralize_commands(&text, escape::Quoting::Backslash).into_owned()
}

/// What changed since the baseline: regressions first, then what the baseline
/// no longer matches, so it never goes stale silently.
fn render_baseline(out: &Output, report: &Report, text: &mut String) {
    use super::Change;
    let Some(summary) = &report.baseline else {
        return;
    };
    let rows = |change: Change| {
        report
            .snippets
            .iter()
            .filter(move |s| s.baseline == Some(change))
    };
    for row in rows(Change::Regressed) {
        let cause = row
            .cause
            .map(|c| format!(" ({})", c.as_str()))
            .unwrap_or_default();
        let on = row.toolchain.as_deref().unwrap_or("any toolchain");
        let edited = if row.edited {
            ", was edited since,"
        } else {
            ""
        };
        out.push_title(
            text,
            Severity::Error,
            format!(
                "regressed: {}:{} on {on} passed in the baseline{edited} and fails now{cause}",
                row.file, row.line
            ),
        );
    }
    for row in rows(Change::Fixed) {
        let on = row.toolchain.as_deref().unwrap_or("any toolchain");
        out.push_title(text, Severity::Note, format!("unexpectedly passing: {}:{} on {on} fails in the baseline and passes now; run with --bless to record it", row.file, row.line));
    }
    for row in rows(Change::New).filter(|r| r.status == Status::Fail) {
        // An error where it fails the run (`--fail-on new`), else a warning.
        let severity = if report.fails_run(row) {
            Severity::Error
        } else {
            Severity::Warning
        };
        out.push_title(
            text,
            severity,
            format!("new failing example: {}:{}", row.file, row.line),
        );
    }
    for file in &summary.coverage_lost {
        out.push_title(
            text,
            Severity::Error,
            format!("{file} had Rust examples in the baseline and has none now"),
        );
    }
    for removed in &summary.removed {
        out.push_title(text, Severity::Warning, format!("the baseline entry {removed} matches no example any more; run with --bless to drop it"));
    }
    let counts: Vec<String> = [
        "regressed",
        "fixed",
        "still-failing",
        "changed",
        "new",
        "unchanged",
    ]
    .iter()
    .map(|k| format!("{} {k}", summary.counts.get(*k).copied().unwrap_or(0)))
    .collect();
    out.push_title(
        text,
        Severity::Note,
        format!(
            "against the baseline {}: {}",
            summary.path,
            counts.join(", ")
        ),
    );
}

/// How many blocks fail everywhere, only on nightly, or only on stable.
fn render_differential(out: &Output, report: &Report, text: &mut String) {
    let differential: BTreeMap<&str, usize> = report
        .snippets
        .iter()
        .filter(|s| {
            s.toolchain
                .as_deref()
                .is_some_and(|t| !t.starts_with("nightly"))
        })
        .filter_map(|s| s.differential.as_deref())
        .fold(BTreeMap::new(), |mut m, d| {
            *m.entry(d).or_default() += 1;
            m
        });
    if !differential.is_empty() {
        let parts: Vec<String> = differential
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        out.push_title(
            text,
            Severity::Note,
            format!("stable against nightly: {}", parts.join(", ")),
        );
    }
}

/// The severities this view prints, with their names and colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    Error,
    Warning,
    Note,
    Help,
}

impl Severity {
    /// The severity of a top-level diagnostic the human view shows; child
    /// levels (`note`, `help`) only appear inside a diagnostic.
    fn of_diagnostic(level: &str) -> Option<Severity> {
        match level {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            _ => None,
        }
    }

    fn level(self) -> Level<'static> {
        match self {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
            Severity::Note => Level::NOTE,
            Severity::Help => Level::HELP,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Help => "help",
        }
    }

    fn style(self) -> Style {
        match self {
            Severity::Error => DEFAULT_ERROR_STYLE,
            Severity::Warning => DEFAULT_WARNING_STYLE,
            Severity::Note => DEFAULT_NOTE_STYLE,
            Severity::Help => DEFAULT_HELP_STYLE,
        }
    }
}

/// A footer line of a diagnostic (`= help: ...`).
type Note = (Severity, String);

/// Splits a note of the model (`help: consider importing ...`) into its
/// severity and its text; a note without a known prefix is shown as a `note`.
fn split_note(note: &str) -> Note {
    for severity in [Severity::Help, Severity::Note, Severity::Warning] {
        let rest = note
            .strip_prefix(severity.name())
            .and_then(|rest| rest.strip_prefix(':'));
        if let Some(rest) = rest {
            return (severity, rest.trim_start().to_owned());
        }
    }
    (Severity::Note, note.to_owned())
}

/// What one message says, before it is drawn: the same data feeds the full
/// rendering and the short fallback.
struct Message {
    severity: Severity,
    id: Option<String>,
    text: String,
    label: Option<String>,
    notes: Vec<Note>,
}

/// The renderer together with the choice of colors, so that the hand-made
/// lines (fallbacks, table, totals) are styled like the rendered ones.
struct Output {
    renderer: Renderer,
    color: bool,
}

impl Output {
    fn new(color: bool) -> Output {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        Output { renderer, color }
    }

    /// Appends a title-only message (`warning: ...`) and a blank line.
    fn push_title(&self, text: &mut String, severity: Severity, message: String) {
        let group = Group::with_title(severity.level().primary_title(message));
        text.push_str(&self.renderer.render(&[group]));
        text.push_str("\n\n");
    }

    /// Appends `message` drawn against `excerpt` of `file`, followed by a
    /// blank line, as rustc separates its diagnostics.
    fn push_excerpt(&self, text: &mut String, file: &str, excerpt: Excerpt<'_>, message: &Message) {
        let mut title = message
            .severity
            .level()
            .primary_title(message.text.as_str());
        if let Some(id) = &message.id {
            title = title.id(id.as_str());
        }
        let annotation = AnnotationKind::Primary
            .span(excerpt.span)
            .label(message.label.as_deref());
        let snippet = Snippet::source(excerpt.source)
            .line_start(excerpt.line_start)
            .path(file)
            .annotation(annotation);
        let notes = message
            .notes
            .iter()
            .map(|(severity, note)| severity.level().message(note.as_str()));
        let group = title.element(snippet).elements(notes);
        text.push_str(&self.renderer.render(&[group]));
        text.push_str("\n\n");
    }

    /// Appends rustc's short form of `message`, used when the document is not
    /// available: `file:line:col: level[id]: message`, then its label and notes.
    fn push_short(
        &self,
        text: &mut String,
        file: &str,
        (line, column): (u32, u32),
        message: &Message,
    ) {
        let head = match &message.id {
            Some(id) => format!("{}[{id}]:", message.severity.name()),
            None => format!("{}:", message.severity.name()),
        };
        let _ = writeln!(
            text,
            "{} {} {}",
            self.paint(DEFAULT_EMPHASIS_STYLE, &format!("{file}:{line}:{column}:")),
            self.paint(message.severity.style(), &head),
            self.paint(DEFAULT_EMPHASIS_STYLE, &message.text),
        );
        let label = message
            .label
            .iter()
            .map(|label| (Severity::Note, label.clone()));
        for (severity, note) in label.chain(message.notes.iter().cloned()) {
            let name = self.paint(severity.style(), &format!("{}:", severity.name()));
            let _ = writeln!(text, "  = {name} {note}");
        }
        text.push('\n');
    }

    /// Wraps `content` in `style` when colors are on.
    fn paint(&self, style: Style, content: &str) -> String {
        if self.color {
            format!("{}{content}{}", style.render(), style.render_reset())
        } else {
            content.to_owned()
        }
    }
}

/// The Markdown documents, each with its line index built once on first use.
struct Documents<'s> {
    sources: &'s BTreeMap<String, String>,
    indexes: BTreeMap<&'s str, LineIndex>,
}

impl<'s> Documents<'s> {
    fn new(sources: &'s BTreeMap<String, String>) -> Documents<'s> {
        Documents {
            sources,
            indexes: BTreeMap::new(),
        }
    }

    /// The text and line index of `file`, when the caller supplied its text.
    fn get(&mut self, file: &str) -> Option<(&'s str, &LineIndex)> {
        let (key, text) = self.sources.get_key_value(file)?;
        let index = self
            .indexes
            .entry(key.as_str())
            .or_insert_with(|| LineIndex::new(text.as_str()));
        Some((text.as_str(), index))
    }
}

/// A stretch of a document handed to annotate-snippets, with one span in it.
struct Excerpt<'t> {
    /// Whole lines of the document, without the terminator of the last one.
    source: &'t str,
    /// The 1-based document line `source` starts at.
    line_start: usize,
    /// The annotated bytes, relative to `source`.
    span: Range<usize>,
}

fn render_snippet(
    out: &Output,
    documents: &mut Documents<'_>,
    snippet: &SnippetReport,
    text: &mut String,
) {
    if matches!(snippet.status, Status::Fail | Status::Warn) {
        let shown: Vec<(&Diagnostic, Severity)> = snippet
            .diagnostics
            .iter()
            .filter_map(|diagnostic| {
                Some((diagnostic, Severity::of_diagnostic(&diagnostic.level)?))
            })
            .collect();
        if shown.is_empty() {
            render_bare_failure(out, documents, snippet, text);
        }
        for (diagnostic, severity) in shown {
            render_diagnostic(out, documents, snippet, diagnostic, severity, text);
        }
    }
    render_diagnosis(out, snippet, text);
    for problem in &snippet.problems {
        let message = Message {
            severity: Severity::Warning,
            id: Some("snipcheck".to_owned()),
            text: problem.clone(),
            label: None,
            notes: Vec::new(),
        };
        render_at_fence(out, documents, snippet, &message, text);
    }
}

/// The cause, the experiments behind it and the suggestion, under a snippet's diagnostics.
fn render_diagnosis(out: &Output, snippet: &SnippetReport, text: &mut String) {
    let Some(cause) = snippet.cause else { return };
    if snippet.status == Status::Pass {
        return;
    }
    let mut line = |label: &str, value: String| {
        let _ = writeln!(
            text,
            "  {} {value}",
            out.paint(DEFAULT_NOTE_STYLE, &format!("= {label}:"))
        );
    };
    let on = snippet
        .toolchain
        .as_deref()
        .map(|t| format!(" on {t}"))
        .unwrap_or_default();
    line(
        "cause",
        format!(
            "{} ({}:{}{on}): {}",
            cause.as_str(),
            snippet.file,
            snippet.line,
            cause.info().summary
        ),
    );
    if !snippet.other_causes.is_empty() {
        let others: Vec<&str> = snippet.other_causes.iter().map(|c| c.as_str()).collect();
        line("also", others.join(", "));
    }
    for dependency in &snippet.dependencies {
        if dependency.source.as_deref() == Some("path") {
            line(
                "local",
                format!(
                    "{} is built from its working tree (a local crate), not from crates.io",
                    dependency.package
                ),
            );
        }
        if let Some(last) = &dependency.last_passing {
            let first = dependency
                .first_failing
                .as_deref()
                .map(|f| format!(", fails since {f}"))
                .unwrap_or_default();
            line(
                "drift",
                format!("{} passes on {last}{first}", dependency.name),
            );
        }
    }
    for evidence in &snippet.evidence {
        let outcome = if evidence.passed {
            "builds".to_string()
        } else if let Some(why) = &evidence.not_built {
            format!("not built: {why}")
        } else {
            match evidence.remaining.first() {
                Some(first) => format!("still fails: {first}"),
                None => "still fails".to_string(),
            }
        };
        line(
            "tried",
            format!("{} on {}: {outcome}", evidence.variant, evidence.toolchain),
        );
    }
    if let Some(suggestion) = &snippet.suggestion {
        line("suggestion", suggestion.clone());
    }
    text.push('\n');
}

/// Draws one compiler or clippy diagnostic against the Markdown document.
fn render_diagnostic(
    out: &Output,
    documents: &mut Documents<'_>,
    snippet: &SnippetReport,
    diagnostic: &Diagnostic,
    severity: Severity,
    text: &mut String,
) {
    let mut notes: Vec<Note> = diagnostic
        .notes
        .iter()
        .map(|note| split_note(note))
        .collect();
    if diagnostic.in_wrapper {
        notes.push((Severity::Note, WRAPPER_NOTE.to_owned()));
    }
    let message = Message {
        severity,
        id: diagnostic.code.clone(),
        text: diagnostic.message.clone(),
        label: diagnostic.label.clone(),
        notes,
    };

    // The enclosing block is only known when the diagnostic is in the snippet's
    // own document, which is the usual case.
    let fence = (diagnostic.file == snippet.file).then_some(snippet.line);
    let excerpt = documents.get(&diagnostic.file).and_then(|(source, index)| {
        if diagnostic.in_wrapper {
            fence_line_excerpt(source, index, diagnostic.line)
        } else {
            span_excerpt(source, index, fence, diagnostic)
        }
    });
    match excerpt {
        Some(excerpt) => out.push_excerpt(text, &diagnostic.file, excerpt, &message),
        None => {
            let location = (diagnostic.line, diagnostic.column);
            out.push_short(text, &diagnostic.file, location, &message);
        }
    }
}

/// Reports a failed or warned snippet that carries no diagnostic to show (an
/// unknown crate, a `compile_fail` block that compiled): one message pointing
/// at the opening fence, saying why.
fn render_bare_failure(
    out: &Output,
    documents: &mut Documents<'_>,
    snippet: &SnippetReport,
    text: &mut String,
) {
    let severity = if snippet.status == Status::Fail {
        Severity::Error
    } else {
        Severity::Warning
    };
    let (text_of_cause, label) = describe_cause(snippet);
    let id = match snippet.cause {
        Some(cause) => format!("snipcheck::{}", cause.as_str()),
        None => "snipcheck".to_owned(),
    };
    let mut notes = Vec::new();
    // What the fence asked for and which toolchain built it explain a failure
    // only when they are not the defaults, so only then are they shown.
    if let Some(expect) = snippet.expect.as_deref().filter(|expect| *expect != "pass") {
        notes.push((Severity::Note, format!("the fence expects: {expect}")));
    }
    if let Some(toolchain) = snippet
        .toolchain
        .as_deref()
        .filter(|name| *name != "stable")
    {
        notes.push((
            Severity::Note,
            format!("built with the `{toolchain}` toolchain"),
        ));
    }
    let message = Message {
        severity,
        id: Some(id),
        text: text_of_cause.to_owned(),
        label: Some(label.to_owned()),
        notes,
    };
    render_at_fence(out, documents, snippet, &message, text);
}

/// Draws `message` with the snippet's opening fence line as the source.
fn render_at_fence(
    out: &Output,
    documents: &mut Documents<'_>,
    snippet: &SnippetReport,
    message: &Message,
    text: &mut String,
) {
    let excerpt = documents
        .get(&snippet.file)
        .and_then(|(source, index)| fence_line_excerpt(source, index, snippet.line));
    match excerpt {
        Some(excerpt) => out.push_excerpt(text, &snippet.file, excerpt, message),
        None => out.push_short(text, &snippet.file, (snippet.line, 1), message),
    }
}

/// The message and the fence label for a snippet that failed without a
/// diagnostic, from its cause.
fn describe_cause(snippet: &SnippetReport) -> (&'static str, &'static str) {
    match snippet.cause {
        Some(cause) => (cause.info().summary, "in this block"),
        None if snippet.status == Status::Warn => ("the example has warnings", "in this block"),
        None => ("the example failed", "in this block"),
    }
}

/// An excerpt of the whole fenced block around `diagnostic`, or of a few
/// lines around it when the block cannot be found.
fn span_excerpt<'t>(
    source: &'t str,
    index: &LineIndex,
    fence: Option<u32>,
    diagnostic: &Diagnostic,
) -> Option<Excerpt<'t>> {
    let line_count = to_u32(index.line_count());
    let start = index.offset(source, diagnostic.line, diagnostic.column)?;
    // An end that is missing, before the start or outside the document shrinks
    // the span to its start rather than dropping the diagnostic.
    let (end_line, end) = match index.offset(source, diagnostic.end_line, diagnostic.end_column) {
        Some(end) if end >= start => (diagnostic.end_line, end),
        _ => (diagnostic.line, start),
    };

    let block = fence.and_then(|fence| Some((fence, block_end(source, index, fence)?)));
    let (first, last) = match block {
        Some((open, close)) => (open.min(diagnostic.line), close.max(end_line)),
        None => (
            diagnostic.line.saturating_sub(CONTEXT_LINES).max(1),
            end_line.saturating_add(CONTEXT_LINES).min(line_count),
        ),
    };
    excerpt(source, index, first, last, start..end)
}

/// An excerpt of one line (a fence line) with its content, indentation
/// excluded, as the span.
fn fence_line_excerpt<'t>(source: &'t str, index: &LineIndex, line: u32) -> Option<Excerpt<'t>> {
    let content = index.line_text(source, line)?;
    let start = index.line_start(line)?;
    let indent = content.len() - content.trim_start().len();
    let span = start + indent..start + content.trim_end().len();
    excerpt(source, index, line, line, span)
}

/// Cuts lines `first..=last` out of `source` and makes `span` relative to them.
fn excerpt<'t>(
    source: &'t str,
    index: &LineIndex,
    first: u32,
    last: u32,
    span: Range<usize>,
) -> Option<Excerpt<'t>> {
    let window_start = index.line_start(first)?;
    let window_end = index.line_content_end(source, last)?;
    if span.start < window_start || span.end > window_end || span.start > span.end {
        return None;
    }
    Some(Excerpt {
        source: source.get(window_start..window_end)?,
        line_start: usize::try_from(first).ok()?,
        span: span.start - window_start..span.end - window_start,
    })
}

/// The line of the fence that closes the block opened at `open`, or the last
/// line of the document for a block that is never closed (CommonMark closes
/// it there). `None` when `open` is not a fence line.
///
/// This is a deliberately small reading of CommonMark (it ignores container
/// prefixes such as `>`), used only to choose how much of the document to show;
/// a wrong guess costs context lines, never a diagnostic.
fn block_end(source: &str, index: &LineIndex, open: u32) -> Option<u32> {
    let opening = index.line_text(source, open)?.trim_start();
    let fence_char = opening.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let fence_len = opening.chars().take_while(|c| *c == fence_char).count();
    if fence_len < 3 {
        return None;
    }
    let line_count = to_u32(index.line_count());
    let close = (open.saturating_add(1)..=line_count).find(|&line| {
        index.line_text(source, line).is_some_and(|text| {
            let text = text.trim();
            text.chars().count() >= fence_len && text.chars().all(|c| c == fence_char)
        })
    });
    Some(close.unwrap_or(line_count))
}

/// Appends the per-file table: one row per document, the file left-aligned
/// and the counts right-aligned under their headers (`crates`: how many the
/// document pulled in; the JSON and Markdown reports name them).
fn render_table(out: &Output, report: &Report, text: &mut String) {
    if report.files.is_empty() {
        return;
    }
    let header = [
        "file", "blocks", "rust", "pass", "warn", "fail", "skip", "crates",
    ]
    .map(str::to_owned);
    let rows: Vec<[String; 8]> = report
        .files
        .iter()
        .map(|file| {
            [
                file.file.clone(),
                file.blocks.to_string(),
                file.rust_blocks.to_string(),
                file.pass.to_string(),
                file.warn.to_string(),
                file.fail.to_string(),
                file.skip.to_string(),
                file.crates.len().to_string(),
            ]
        })
        .collect();
    let mut widths = [0; 8];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    let _ = writeln!(
        text,
        "{}",
        out.paint(DEFAULT_EMPHASIS_STYLE, &format_row(&header, &widths))
    );
    for row in &rows {
        let _ = writeln!(text, "{}", format_row(row, &widths));
    }
    text.push('\n');
}

/// One table line: the first column left-aligned, the counts right-aligned,
/// two spaces between columns and no trailing whitespace.
fn format_row(cells: &[String; 8], widths: &[usize; 8]) -> String {
    let mut line = String::new();
    for (column, (cell, width)) in cells.iter().zip(widths).enumerate() {
        // `{:<width$}` pads by chars, which matches how the widths were measured.
        if column == 0 {
            let _ = write!(line, "{cell:<width$}");
        } else {
            let _ = write!(line, "  {cell:>width$}");
        }
    }
    line.trim_end().to_owned()
}

/// The totals line alone, uncoloured, for runs whose report goes elsewhere.
pub fn render_summary_line(report: &Report) -> String {
    let mut text = String::new();
    render_totals(&Output::new(false), report, &mut text);
    text
}

/// The run's problems and the totals line: what stderr shows when the whole
/// human view does not go there (stdout carries another format, or `-q`).
pub fn render_summary(report: &Report, color: bool) -> String {
    let report = &escape::report(report);
    let out = Output::new(color);
    let mut text = String::new();
    render_problems(&out, report, &mut text);
    render_totals(&out, report, &mut text);
    escape::neutralize_commands(&text, escape::Quoting::Backslash).into_owned()
}

/// One line per row: `file:line: status (cause) on toolchain`, for `-v`.
pub fn render_verdicts(report: &Report) -> String {
    let report = &escape::report(report);
    let mut text = String::new();
    for row in &report.snippets {
        let status = format!("{:?}", row.status).to_ascii_lowercase();
        let cause = row
            .cause
            .map(|cause| format!(" ({})", cause.info().name))
            .unwrap_or_default();
        let toolchain = row
            .toolchain
            .as_deref()
            .map(|t| format!(" on {t}"))
            .unwrap_or_default();
        // A crate built from the working tree is said: it is not crates.io's.
        let local: Vec<&str> = row
            .dependencies
            .iter()
            .filter(|d| d.source.as_deref() == Some("path"))
            .map(|d| d.package.as_str())
            .collect();
        let local = match local.is_empty() {
            true => String::new(),
            false => format!(", with {} from the working tree", local.join(", ")),
        };
        let _ = writeln!(
            text,
            "{}:{}: {status}{cause}{toolchain}{local}",
            row.file, row.line
        );
    }
    escape::neutralize_commands(&text, escape::Quoting::Backslash).into_owned()
}

/// Appends the run's problems: a document or file the user gave that cannot
/// be used is an error (it makes the exit code 2), the rest are warnings.
fn render_problems(out: &Output, report: &Report, text: &mut String) {
    for problem in &report.problems {
        let message = match &problem.subject {
            Some(subject) => format!("{subject}: {}", problem.message),
            None => problem.message.clone(),
        };
        let severity = match problem.kind {
            ProblemKind::Input => Severity::Error,
            ProblemKind::Environment | ProblemKind::Limit => Severity::Warning,
        };
        out.push_title(text, severity, message);
    }
}

/// Appends the totals line, e.g.
/// `snipcheck: 12 passed, 1 warned, 5 failed, 3 skipped (29 blocks in 5 files)`;
/// with several toolchains, one line per toolchain, each counting every block
/// once (`snipcheck (nightly): ...`).
fn render_totals(out: &Output, report: &Report, text: &mut String) {
    let toolchains: Vec<&str> = report
        .toolchains
        .iter()
        .map(|t| t.name.as_str())
        .filter(|name| {
            report
                .snippets
                .iter()
                .any(|row| row.toolchain.as_deref() == Some(name))
        })
        .collect();
    if toolchains.len() < 2 {
        render_totals_line(out, report, None, text);
        return;
    }
    for toolchain in toolchains {
        render_totals_line(out, report, Some(toolchain), text);
    }
}

/// One totals line: every row, or one row per block for `toolchain`: its
/// own, or for a block that is not built (reported once, with the first
/// toolchain) that one row.
fn render_totals_line(out: &Output, report: &Report, toolchain: Option<&str>, text: &mut String) {
    let totals = match toolchain {
        None => report.totals.clone(),
        Some(name) => {
            let mine = |row: &&SnippetReport| row.toolchain.as_deref() == Some(name);
            let built: std::collections::BTreeSet<&str> = report
                .snippets
                .iter()
                .filter(mine)
                .map(|row| row.id.as_str())
                .collect();
            let mut others = std::collections::BTreeSet::new();
            let rows = report.snippets.iter().filter(|row| {
                mine(row) || (!built.contains(row.id.as_str()) && others.insert(row.id.as_str()))
            });
            let counts = crate::report::StatusCounts::of(rows);
            Totals {
                pass: counts.pass,
                warn: counts.warn,
                fail: counts.fail,
                skip: counts.skip,
                ..report.totals.clone()
            }
        }
    };
    let totals = &totals;
    let label = match toolchain {
        Some(name) => format!("snipcheck ({name}):"),
        None => "snipcheck:".to_string(),
    };
    // A count is colored only when it is not zero, so that a clean run does not
    // shout in red and yellow.
    let count = |n: u32, word: &str, style: Option<Style>| {
        let part = format!("{n} {word}");
        match style {
            Some(style) if n > 0 => out.paint(style, &part),
            _ => part,
        }
    };
    let plural = |n: u32, word: &str| {
        if n == 1 {
            word.to_owned()
        } else {
            format!("{word}s")
        }
    };
    let _ = writeln!(
        text,
        "{} {}, {}, {}, {} ({} {} in {} {})",
        out.paint(DEFAULT_EMPHASIS_STYLE, &label),
        count(totals.pass, "passed", Some(DEFAULT_NOTE_STYLE)),
        count(totals.warn, "warned", Some(DEFAULT_WARNING_STYLE)),
        count(totals.fail, "failed", Some(DEFAULT_ERROR_STYLE)),
        count(totals.skip, "skipped", None),
        totals.blocks,
        plural(totals.blocks, "block"),
        totals.files,
        plural(totals.files, "file"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Cause;
    use crate::report::{FileSummary, RunProblem, SCHEMA_VERSION, ToolchainInfo, Totals};

    const GUIDE: &str = "\
# Guide

Count the items and print the total:

```rust
let counter = 3;
println!(\"{}\", counte);
```

A builder that starts empty:

```rust
pub struct Builder {
    parts: Vec<String>,
}

impl Builder {
    pub fn new() -> Self {
        Builder { parts: Vec::new() }
    }
}
```

Reading a number with `?`:

```rust
let n: i32 = \"7\".parse()?;
println!(\"{n}\");
```

- A widget from a crate:

  ```rust
  use frobnicate_widgets_zz::Thing;
  ```
";

    /// The 1-based line of the first line of `doc` that contains `needle`.
    fn line_of(doc: &str, needle: &str) -> u32 {
        let offset = doc
            .find(needle)
            .expect("the needle is in the test document");
        LineIndex::new(doc).line(offset)
    }

    /// A diagnostic whose span covers the first occurrence of `needle` in `doc`.
    fn diagnostic_at(
        doc: &str,
        needle: &str,
        level: &str,
        code: Option<&str>,
        message: &str,
    ) -> Diagnostic {
        let index = LineIndex::new(doc);
        let start = doc
            .find(needle)
            .expect("the needle is in the test document");
        let (line, column) = index.line_col(doc, start);
        let (end_line, end_column) = index.line_col(doc, start + needle.len());
        Diagnostic {
            level: level.to_owned(),
            code: code.map(str::to_owned),
            message: message.to_owned(),
            file: "docs/guide.md".to_owned(),
            line,
            column,
            end_line,
            end_column,
            label: None,
            in_wrapper: false,
            notes: vec![],
        }
    }

    fn snippet(file: &str, line: u32, status: Status, cause: Option<Cause>) -> SnippetReport {
        SnippetReport {
            id: format!("guide-{line}"),
            file: file.to_owned(),
            line,
            headings: vec!["Guide".to_owned()],
            info: "rust".to_owned(),
            lang: Some("rust".to_owned()),
            rust: true,
            status,
            skip_reason: None,
            cause,
            other_causes: vec![],
            evidence: vec![],
            suggestion: None,
            expect: Some("pass".to_owned()),
            toolchain: Some("stable".to_owned()),
            rustc: None,
            edition: Some("2024".to_owned()),
            shape: Some("main-wrapped".to_owned()),
            dependencies: vec![],
            diagnostics: vec![],
            problems: vec![],
            ..Default::default()
        }
    }

    fn report(snippets: Vec<SnippetReport>) -> Report {
        Report {
            schema: SCHEMA_VERSION,
            snipcheck_version: "0.1.0".to_owned(),
            toolchains: vec![],
            files: vec![],
            snippets,
            totals: Totals::default(),
            problems: vec![],
            cargo_invocations: BTreeMap::new(),
            ..Default::default()
        }
    }

    fn guide_sources() -> BTreeMap<String, String> {
        BTreeMap::from([("docs/guide.md".to_owned(), GUIDE.to_owned())])
    }

    fn plain(report: &Report, sources: &BTreeMap<String, String>) -> String {
        render_human(report, sources, &HumanOptions { color: false })
    }

    fn failing_error_report() -> Report {
        let mut failing = snippet(
            "docs/guide.md",
            line_of(GUIDE, "```rust\nlet counter"),
            Status::Fail,
            Some(Cause::Compile),
        );
        let mut error = diagnostic_at(
            GUIDE,
            "counte)",
            "error",
            Some("E0425"),
            "cannot find value `counte` in this scope",
        );
        error.end_column -= 1;
        error.label = Some("not found in this scope".to_owned());
        error.notes =
            vec!["help: a local variable with a similar name exists: `counter`".to_owned()];
        failing.diagnostics = vec![error];
        report(vec![failing])
    }

    #[test]
    fn failing_snippet_with_an_error_and_help() {
        insta::assert_snapshot!(plain(&failing_error_report(), &guide_sources()));
    }

    #[test]
    fn warn_snippet_with_a_clippy_lint() {
        let mut warned = snippet(
            "docs/guide.md",
            line_of(GUIDE, "```rust\npub struct Builder"),
            Status::Warn,
            Some(Cause::Lint),
        );
        warned.shape = Some("lib".to_owned());
        let mut lint = diagnostic_at(
            GUIDE,
            "pub fn new() -> Self {\n        Builder { parts: Vec::new() }\n    }",
            "warning",
            Some("clippy::new_without_default"),
            "you should consider adding a `Default` implementation for `Builder`",
        );
        lint.notes = vec![
            "help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#new_without_default".to_owned(),
            "note: `#[warn(clippy::new_without_default)]` on by default".to_owned(),
        ];
        warned.diagnostics = vec![lint];
        insta::assert_snapshot!(plain(&report(vec![warned]), &guide_sources()));
    }

    #[test]
    fn a_diagnosed_failure_shows_its_cause_evidence_and_suggestion() {
        use crate::report::{Dependency, Evidence};
        let mut failing = snippet(
            "docs/guide.md",
            line_of(GUIDE, "```rust\nlet counter"),
            Status::Fail,
            Some(Cause::DependencyDrift),
        );
        failing.other_causes = vec![Cause::Placeholder];
        failing.dependencies = vec![Dependency {
            name: "axum".into(),
            package: "axum".into(),
            requirement: "0.8.9".into(),
            version: Some("0.8.9".into()),
            features: vec![],
            dev: false,
            pinned: Some("0.6".into()),
            latest: Some("0.8.9".into()),
            last_passing: Some("0.6.20".into()),
            first_failing: Some("0.7.0".into()),
            source: None,
        }];
        failing.evidence = vec![
            Evidence {
                variant: "axum =0.6.20".into(),
                toolchain: "stable".into(),
                passed: true,
                tests: Cause::DependencyDrift,
                remaining: vec![],
                not_built: None,
                explains: vec![],
            },
            Evidence {
                variant: "edition 2021".into(),
                toolchain: "stable".into(),
                passed: false,
                tests: Cause::EditionDrift,
                remaining: vec![
                    "docs/guide.md:7:16: error[E0425]: cannot find value `counte`".into(),
                ],
                not_built: None,
                explains: vec![],
            },
        ];
        failing.suggestion = Some("pin `axum = \"0.6\"` next to the example".into());
        insta::assert_snapshot!(plain(&report(vec![failing]), &guide_sources()));
    }

    #[test]
    fn diagnostic_in_the_wrapper_points_at_the_fence() {
        let fence = line_of(GUIDE, "```rust\nlet n: i32");
        let mut failing = snippet("docs/guide.md", fence, Status::Fail, Some(Cause::Compile));
        failing.diagnostics = vec![Diagnostic {
            level: "error".to_owned(),
            code: Some("E0308".to_owned()),
            message: "mismatched types".to_owned(),
            file: "docs/guide.md".to_owned(),
            line: fence,
            column: 1,
            end_line: fence,
            end_column: 1,
            label: Some("expected `()`, found `Result<_, _>`".to_owned()),
            in_wrapper: true,
            notes: vec!["note: expected unit type `()`\n   found enum `Result<_, _>`".to_owned()],
        }];
        insta::assert_snapshot!(plain(&report(vec![failing]), &guide_sources()));
    }

    #[test]
    fn unknown_crate_without_diagnostics_points_at_the_fence() {
        let fence = line_of(GUIDE, "  ```rust\n  use frobnicate");
        let failing = snippet(
            "docs/guide.md",
            fence,
            Status::Fail,
            Some(Cause::UnknownCrate),
        );
        insta::assert_snapshot!(plain(&report(vec![failing]), &guide_sources()));
    }

    #[test]
    fn file_missing_from_sources_falls_back_to_short_lines() {
        let mut rendered = failing_error_report();
        let unknown = snippet("docs/guide.md", 35, Status::Fail, Some(Cause::UnknownCrate));
        rendered.snippets.push(unknown);
        insta::assert_snapshot!(plain(&rendered, &BTreeMap::new()));
    }

    #[test]
    fn summary_table_problems_and_toolchains() {
        let mut summary = report(vec![]);
        summary.toolchains = vec![
            ToolchainInfo {
                name: "stable".to_owned(),
                rustc: Some("rustc 1.95.0".to_owned()),
                installed: true,
            },
            ToolchainInfo {
                name: "nightly".to_owned(),
                rustc: None,
                installed: false,
            },
        ];
        summary.problems = vec![
            RunProblem::input(
                Some("docs/missing.md".to_owned()),
                "no such file or directory",
            ),
            RunProblem::environment(None, "the registry cache is older than a week"),
        ];
        let file = |file: &str, counts: [u32; 6]| FileSummary {
            file: file.to_owned(),
            blocks: counts[0],
            rust_blocks: counts[1],
            languages: BTreeMap::new(),
            pass: counts[2],
            warn: counts[3],
            fail: counts[4],
            skip: counts[5],
            ..Default::default()
        };
        summary.files = vec![
            file("README.md", [3, 2, 2, 0, 0, 1]),
            FileSummary {
                crates: vec!["serde".to_owned(), "tokio".to_owned()],
                ..file("docs/guide.md", [12, 9, 5, 1, 3, 3])
            },
            file("specs/async-services.md", [14, 11, 5, 0, 2, 7]),
        ];
        summary.totals = Totals {
            files: 3,
            blocks: 29,
            rust_blocks: 22,
            pass: 12,
            warn: 1,
            fail: 5,
            skip: 11,
        };
        insta::assert_snapshot!(plain(&summary, &BTreeMap::new()));
    }

    #[test]
    fn totals_use_singulars() {
        let mut one = report(vec![]);
        one.totals = Totals {
            files: 1,
            blocks: 1,
            rust_blocks: 1,
            pass: 1,
            warn: 0,
            fail: 0,
            skip: 0,
        };
        let text = plain(&one, &BTreeMap::new());
        assert_eq!(
            text,
            "snipcheck: 1 passed, 0 warned, 0 failed, 0 skipped (1 block in 1 file)\n"
        );
    }

    #[test]
    fn input_problems_are_errors_and_the_rest_warnings() {
        let mut summary = report(vec![]);
        summary.problems = vec![
            RunProblem::input(Some("docs/missing.md".to_owned()), "no such file or folder"),
            RunProblem::environment(None, "rustfmt is not installed"),
        ];
        for text in [
            plain(&summary, &BTreeMap::new()),
            render_summary(&summary, false),
        ] {
            assert!(
                text.contains("error: docs/missing.md: no such file or folder"),
                "{text}"
            );
            assert!(text.contains("warning: rustfmt is not installed"), "{text}");
            assert!(text.ends_with("skipped (0 blocks in 0 files)\n"), "{text}");
        }
    }

    #[test]
    fn several_toolchains_get_a_totals_line_each() {
        let row = |line: u32, status: Status, toolchain: &str| SnippetReport {
            toolchain: Some(toolchain.to_owned()),
            ..snippet("docs/guide.md", line, status, None)
        };
        let mut two = report(vec![
            row(3, Status::Pass, "stable"),
            row(9, Status::Fail, "stable"),
            // Not built: one row, with the first toolchain.
            row(15, Status::Skip, "stable"),
            row(3, Status::Pass, "nightly"),
            row(9, Status::Pass, "nightly"),
        ]);
        two.toolchains = ["stable", "nightly"]
            .map(|name| ToolchainInfo {
                name: name.to_owned(),
                rustc: None,
                installed: true,
            })
            .to_vec();
        two.totals = Totals {
            files: 1,
            blocks: 3,
            rust_blocks: 3,
            pass: 3,
            warn: 0,
            fail: 1,
            skip: 1,
        };
        let text = render_summary(&two, false);
        assert_eq!(
            text,
            "snipcheck (stable): 1 passed, 0 warned, 1 failed, 1 skipped (3 blocks in 1 file)\n\
             snipcheck (nightly): 2 passed, 0 warned, 0 failed, 1 skipped (3 blocks in 1 file)\n"
        );
        let verdicts = render_verdicts(&two);
        assert!(
            verdicts.starts_with("docs/guide.md:3: pass on stable\n"),
            "{verdicts}"
        );
        two.snippets[0].dependencies = vec![crate::report::Dependency {
            name: "own_crate".into(),
            package: "own-crate".into(),
            source: Some("path".into()),
            ..crate::report::Dependency::default()
        }];
        let verdicts = render_verdicts(&two);
        assert!(
            verdicts.starts_with(
                "docs/guide.md:3: pass on stable, with own-crate from the working tree\n"
            ),
            "{verdicts}"
        );
    }

    #[test]
    fn plain_output_has_no_escapes_and_color_output_has_them() {
        let rendered = failing_error_report();
        let sources = guide_sources();
        assert!(!plain(&rendered, &sources).contains('\x1b'));
        assert!(!plain(&rendered, &BTreeMap::new()).contains('\x1b'));
        let colored = render_human(&rendered, &sources, &HumanOptions { color: true });
        assert!(colored.contains('\x1b'));
    }

    #[test]
    fn passing_and_skipped_snippets_print_nothing_but_the_totals() {
        let passing = snippet("docs/guide.md", 5, Status::Pass, None);
        let mut skipped = snippet("docs/guide.md", 12, Status::Skip, None);
        skipped.skip_reason = Some("ignore attribute".to_owned());
        let text = plain(&report(vec![passing, skipped]), &guide_sources());
        assert!(text.starts_with("snipcheck: "), "{text}");
    }

    #[test]
    fn locations_outside_the_document_fall_back() {
        let mut rendered = failing_error_report();
        if let Some(diagnostic) = rendered.snippets[0].diagnostics.first_mut() {
            diagnostic.line = 999;
            diagnostic.end_line = 1000;
        }
        let text = plain(&rendered, &guide_sources());
        assert!(text.starts_with("docs/guide.md:999:"), "{text}");
    }

    proptest::proptest! {
        /// Whatever locations a report carries, rendering never panics.
        #[test]
        fn rendering_never_panics(
            doc in "(```rust\n|~~~\n|é|x|\r\n|\n| ){0,40}",
            fence in 0u32..50,
            line in 0u32..50,
            column in 0u32..50,
            end_line in 0u32..50,
            end_column in 0u32..50,
            in_wrapper in proptest::bool::ANY,
        ) {
            let mut failing = snippet("docs/guide.md", fence, Status::Fail, None);
            failing.diagnostics = vec![Diagnostic {
                level: "error".to_owned(),
                code: None,
                message: "m".to_owned(),
                file: "docs/guide.md".to_owned(),
                line,
                column,
                end_line,
                end_column,
                label: Some("l".to_owned()),
                in_wrapper,
                notes: vec![],
            }];
            let mut bare = snippet("docs/guide.md", fence, Status::Warn, None);
            bare.problems = vec!["unterminated fence".to_owned()];
            let sources = BTreeMap::from([("docs/guide.md".to_owned(), doc)]);
            let _ = plain(&report(vec![failing, bare]), &sources);
        }
    }
}
