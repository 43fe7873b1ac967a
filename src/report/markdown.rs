//! The Markdown view of a report: the review page for the documents' maintainers.
//!
//! In CI this text goes to `$GITHUB_STEP_SUMMARY` (or a pull-request comment),
//! where GitHub renders it as the run's summary page. The people reading it
//! maintain documentation, not snipcheck, so it is laid out to answer their
//! questions in order: how did the run go (totals and a Mermaid pie chart, which
//! GitHub draws natively), which documents need work (a table, failing files
//! first), and for each failing or warning example: where it is (a link to the
//! line), what is wrong (the cause, the compiler's diagnostics and the quoted
//! lines), and what it was built with (dependencies and toolchain).
//!
//! Everything the report says is text from documents and compilers, so every
//! value is escaped before it is placed in Markdown: rustc's `` `code` `` spans
//! are kept as code, everything else is backslash-escaped, and `|` is escaped
//! inside tables so that no value can break the layout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sarif::describe_cause;
use super::{Diagnostic, FileSummary, Report, SnippetReport, Status, escape};
use crate::text::LineIndex;

/// How many lines around a diagnostic are quoted (within its block).
const CONTEXT_LINES: u32 = 2;

/// How many lines of a block are quoted when no diagnostic points into it.
const HEAD_LINES: u32 = 5;

/// Renders the review report. `sources` maps each `file` of the report to the
/// text of that Markdown document; without it, the example's lines are not quoted.
pub fn render_markdown(report: &Report, sources: &BTreeMap<String, String>) -> String {
    // No string of the report and no quoted line carries a control character.
    let report = &escape::report(report);
    let sources = &escape::sources(sources);
    let mut out = String::new();
    out.push_str("# snipcheck report\n\n");
    render_totals(report, &mut out);
    if let Some(partition) = &report.partition {
        let _ = writeln!(
            out,
            "> This report covers shard {} of the blocks; `--merge-reports` joins the shards.\n",
            code(&partition.to_string())
        );
    }
    if let Some(confinement) = &report.confinement {
        let said = if confinement.confined {
            "Builds were confined"
        } else {
            "**Builds were not confined**"
        };
        let _ = writeln!(out, "> {said}: {}.\n", inline(&confinement.summary));
    }
    render_chart(report, &mut out);
    render_file_table(report, &mut out);
    render_problems(report, &mut out);
    render_lockfile(report, &mut out);

    let documents = Documents::new(sources);
    for (status, title) in [(Status::Fail, "Failures"), (Status::Warn, "Warnings")] {
        let rows: Vec<&SnippetReport> = report
            .snippets
            .iter()
            .filter(|snippet| snippet.status == status)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title} ({})\n", rows.len());
        for snippet in rows {
            render_snippet(report, &documents, snippet, &mut out);
        }
    }
    // One trailing newline, however the last section ended.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The one-line totals, the most serious count first, then the toolchains.
fn render_totals(report: &Report, out: &mut String) {
    let totals = &report.totals;
    let verdict = if totals.fail > 0 {
        "❌"
    } else if totals.warn > 0 {
        "⚠️"
    } else {
        "✅"
    };
    let _ = write!(
        out,
        "{verdict} **{} failed**, {} warned, {} passed, {} skipped · {} {} ({} Rust) in {} {} · snipcheck {}",
        totals.fail,
        totals.warn,
        totals.pass,
        totals.skip,
        totals.blocks,
        plural(totals.blocks, "block"),
        totals.rust_blocks,
        totals.files,
        plural(totals.files, "file"),
        inline(&report.snipcheck_version),
    );
    let toolchains: Vec<String> = report
        .toolchains
        .iter()
        .map(|toolchain| match &toolchain.rustc {
            Some(rustc) => format!("{} ({})", code(&toolchain.name), inline(rustc)),
            None => format!("{} (not installed)", code(&toolchain.name)),
        })
        .collect();
    if !toolchains.is_empty() {
        let _ = write!(out, " · {}", toolchains.join(", "));
    }
    out.push_str("\n\n");
}

fn plural(n: u32, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// A Mermaid pie chart of the outcomes. GitHub renders `pie` (unlike the beta
/// `xychart` with stacked bars); the per-file split is the table's job. Empty
/// slices are left out, and so is the chart when there is nothing to draw.
fn render_chart(report: &Report, out: &mut String) {
    let totals = &report.totals;
    let slices = [
        ("fail", totals.fail),
        ("warn", totals.warn),
        ("pass", totals.pass),
        ("skip", totals.skip),
    ];
    if slices.iter().all(|(_, count)| *count == 0) {
        return;
    }
    let checks = totals.fail + totals.warn + totals.pass + totals.skip;
    let _ = writeln!(
        out,
        "```mermaid\npie showData title Outcomes of {checks} {}",
        plural(checks, "check")
    );
    for (label, count) in slices.iter().filter(|(_, count)| *count > 0) {
        let _ = writeln!(out, "    \"{label}\" : {count}");
    }
    out.push_str("```\n\n");
}

/// The per-file table, files with failures first, then those with warnings,
/// each group in the report's order.
fn render_file_table(report: &Report, out: &mut String) {
    if report.files.is_empty() {
        return;
    }
    let mut files: Vec<&FileSummary> = report.files.iter().collect();
    files.sort_by_key(|file| (file.fail == 0, file.warn == 0));
    out.push_str("| | file | blocks | rust | pass | warn | fail | skip | crates |\n");
    out.push_str("|---|---|--:|--:|--:|--:|--:|--:|---|\n");
    for file in files {
        let mark = if file.fail > 0 {
            "❌"
        } else if file.warn > 0 {
            "⚠️"
        } else {
            "✅"
        };
        let crates = if file.crates.is_empty() {
            "—".to_string()
        } else {
            file.crates
                .iter()
                .map(|name| code(name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "| {mark} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&link(&file.file, &file.file, None)),
            file.blocks,
            file.rust_blocks,
            file.pass,
            file.warn,
            file.fail,
            file.skip,
            cell(&crates),
        );
    }
    out.push('\n');
}

/// The run's problems and missing toolchains, and the problems of blocks.
/// Which versions the examples were built with, and what moved since the lockfile.
fn render_lockfile(report: &Report, out: &mut String) {
    let Some(lockfile) = &report.lockfile else {
        return;
    };
    out.push_str("## Dependency versions\n\n");
    for sentence in lockfile.sentences() {
        let _ = writeln!(out, "- {}", inline(&sentence));
    }
    out.push('\n');
    if lockfile.moved.is_empty() {
        return;
    }
    out.push_str("| crate | lockfile | now |\n|---|---|---|\n");
    for moved in &lockfile.moved {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            code(&moved.package),
            moved
                .locked
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "—".to_string()),
            moved
                .now
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "—".to_string()),
        );
    }
    out.push('\n');
}

fn render_problems(report: &Report, out: &mut String) {
    let mut items: Vec<String> = report
        .problems
        .iter()
        .map(|problem| match &problem.subject {
            Some(subject) => format!("{}: {}", code(subject), inline(&problem.message)),
            None => inline(&problem.message),
        })
        .collect();
    items.extend(
        report
            .toolchains
            .iter()
            .filter(|toolchain| !toolchain.installed)
            .map(|toolchain| {
                format!(
                    "toolchain {} is not installed; the examples that need it were not built",
                    code(&toolchain.name)
                )
            }),
    );
    let mut seen = Vec::new();
    for snippet in &report.snippets {
        for problem in &snippet.problems {
            let key = (&snippet.file, snippet.line, problem);
            if !seen.contains(&key) {
                seen.push(key);
                items.push(format!(
                    "{}: {}",
                    link(
                        &snippet.file,
                        &location(&snippet.file, snippet.line),
                        Some(snippet.line)
                    ),
                    inline(problem)
                ));
            }
        }
    }
    if items.is_empty() {
        return;
    }
    out.push_str("## Problems\n\n");
    for item in items {
        let _ = writeln!(out, "- {item}");
    }
    out.push('\n');
}

fn location(file: &str, line: u32) -> String {
    format!("{file}:{line}")
}

/// The section of one failing or warning example.
fn render_snippet(
    report: &Report,
    documents: &Documents<'_>,
    snippet: &SnippetReport,
    out: &mut String,
) {
    let here = location(&snippet.file, snippet.line);
    let _ = writeln!(out, "### {}\n", inline(&here));
    let mut context = link(&snippet.file, &here, Some(snippet.line));
    if !snippet.headings.is_empty() {
        let path: Vec<String> = snippet
            .headings
            .iter()
            .map(|heading| inline(heading))
            .collect();
        let _ = write!(context, " · {}", path.join(" › "));
    }
    let _ = writeln!(out, "{context}\n");

    let cause = match snippet.cause {
        Some(cause) => format!(
            "{} ({})",
            inline(describe_cause(snippet)),
            code(cause.as_str())
        ),
        None => inline(describe_cause(snippet)),
    };
    let _ = writeln!(out, "**Cause:** {cause}\n");
    if !snippet.other_causes.is_empty() {
        let others: Vec<String> = snippet
            .other_causes
            .iter()
            .map(|c| code(c.as_str()))
            .collect();
        let _ = writeln!(out, "**Also:** {}\n", others.join(", "));
    }
    if let Some(suggestion) = &snippet.suggestion {
        let _ = writeln!(out, "**Suggestion:** {}\n", inline(suggestion));
    }
    if let Some(change) = snippet.baseline {
        let _ = writeln!(out, "**Against the baseline:** {}\n", code(change.as_str()));
    }
    if let Some(differential) = &snippet.differential {
        let _ = writeln!(out, "**Stable against nightly:** {}\n", code(differential));
    }
    if !snippet.evidence.is_empty() {
        out.push_str("**Tried:**\n\n");
        for evidence in &snippet.evidence {
            let outcome = if evidence.passed {
                "builds".to_owned()
            } else if let Some(why) = &evidence.not_built {
                format!("not built: {}", inline(why))
            } else {
                match evidence.remaining.first() {
                    Some(first) => format!("still fails: {}", inline(first)),
                    None => "still fails".to_owned(),
                }
            };
            let _ = writeln!(
                out,
                "- {} on {}: {outcome}",
                inline(&evidence.variant),
                code(&evidence.toolchain)
            );
        }
        out.push('\n');
    }

    if let Some(document) = documents.get(&snippet.file) {
        render_quote(&document, snippet, out);
    }
    render_diagnostics(snippet, out);
    if !snippet.problems.is_empty() {
        out.push_str("**Problems:**\n\n");
        for problem in &snippet.problems {
            let _ = writeln!(out, "- {}", inline(problem));
        }
        out.push('\n');
    }
    render_dependencies(snippet, out);
    render_build(report, snippet, out);
}

/// The example's lines around its diagnostics, or its first lines when no
/// diagnostic points into it, in a `rust` block per stretch of lines.
fn render_quote(document: &Document<'_>, snippet: &SnippetReport, out: &mut String) {
    let Some((first, last)) = document.block_content(snippet.line) else {
        return;
    };
    let mut windows: Vec<(u32, u32)> = snippet
        .diagnostics
        .iter()
        .filter(|diagnostic| !diagnostic.in_wrapper && diagnostic.file == snippet.file)
        .filter(|diagnostic| (first..=last).contains(&diagnostic.line))
        .map(|diagnostic| {
            let end = diagnostic.end_line.max(diagnostic.line);
            (
                diagnostic.line.saturating_sub(CONTEXT_LINES).max(first),
                end.saturating_add(CONTEXT_LINES).min(last),
            )
        })
        .collect();
    windows.sort_unstable();
    let mut merged: Vec<(u32, u32)> = Vec::new();
    for (start, end) in windows {
        match merged.last_mut() {
            Some(previous) if start <= previous.1.saturating_add(1) => {
                previous.1 = previous.1.max(end);
            }
            _ => merged.push((start, end)),
        }
    }
    if merged.is_empty() {
        merged.push((first, last.min(first.saturating_add(HEAD_LINES - 1))));
    }

    let indent = document.fence_indent(snippet.line);
    for (start, end) in merged {
        let lines: Vec<&str> = (start..=end)
            .filter_map(|line| document.line(line))
            .map(|text| strip_indent(text, indent))
            .collect();
        if lines.is_empty() {
            continue;
        }
        let range = if start == end {
            format!("Line {start}")
        } else {
            format!("Lines {start}–{end}")
        };
        let fence = "`".repeat(longest_backtick_run(&lines).max(2) + 1);
        let _ = writeln!(out, "{range}:\n\n{fence}rust");
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "{fence}\n");
    }
}

/// Removes up to `indent` leading spaces, as CommonMark does for the lines
/// of an indented fenced block.
fn strip_indent(line: &str, indent: usize) -> &str {
    let spaces = line.bytes().take(indent).take_while(|b| *b == b' ').count();
    line.get(spaces..).unwrap_or(line)
}

fn longest_backtick_run(lines: &[&str]) -> usize {
    lines
        .iter()
        .flat_map(|line| line.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0)
}

/// The diagnostics as a list, each with a link to its line, its label and notes.
fn render_diagnostics(snippet: &SnippetReport, out: &mut String) {
    if snippet.diagnostics.is_empty() {
        return;
    }
    for diagnostic in &snippet.diagnostics {
        let _ = writeln!(
            out,
            "- **{}**: {} (at {})",
            inline(&headline(diagnostic)),
            inline(&diagnostic.message),
            link(
                &diagnostic.file,
                &format!("{}:{}", diagnostic.line, diagnostic.column),
                Some(diagnostic.line)
            ),
        );
        let label = diagnostic.label.iter();
        for note in label.chain(&diagnostic.notes) {
            let _ = writeln!(out, "  - {}", inline(note));
        }
        if diagnostic.in_wrapper {
            let _ = writeln!(out, "  - {}", inline(super::sarif::WRAPPER_NOTE));
        }
    }
    out.push('\n');
}

/// `error[E0425]` or `warning`.
fn headline(diagnostic: &Diagnostic) -> String {
    match &diagnostic.code {
        Some(code) => format!("{}[{code}]", diagnostic.level),
        None => diagnostic.level.clone(),
    }
}

/// The dependencies the example was built with, as a table.
fn render_dependencies(snippet: &SnippetReport, out: &mut String) {
    if snippet.dependencies.is_empty() {
        return;
    }
    out.push_str("| crate | requirement | resolved | features | pinned | latest | last passing | first failing |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for dependency in &snippet.dependencies {
        let mut name = code(&dependency.name);
        if dependency.package != dependency.name {
            let _ = write!(name, " (package {})", code(&dependency.package));
        }
        if dependency.dev {
            name.push_str(" (dev)");
        }
        let resolved = dependency
            .version
            .as_deref()
            .map_or_else(|| "—".to_owned(), code);
        let features = if dependency.features.is_empty() {
            "—".to_owned()
        } else {
            let names: Vec<String> = dependency.features.iter().map(|f| code(f)).collect();
            names.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&name),
            cell(&code(&dependency.requirement)),
            cell(&resolved),
            cell(&features),
            cell(&optional(dependency.pinned.as_deref())),
            cell(&optional(dependency.latest.as_deref())),
            cell(&optional(dependency.last_passing.as_deref())),
            cell(&optional(dependency.first_failing.as_deref())),
        );
    }
    out.push('\n');
}

/// A version in code style, or a dash.
fn optional(value: Option<&str>) -> String {
    value.map_or_else(|| "—".to_owned(), code)
}

/// One line: the toolchain (with its `rustc -V`), edition, shape and what
/// the fence expects.
fn render_build(report: &Report, snippet: &SnippetReport, out: &mut String) {
    let mut parts = Vec::new();
    match &snippet.toolchain {
        Some(name) => {
            let rustc = report
                .toolchains
                .iter()
                .find(|toolchain| &toolchain.name == name)
                .and_then(|toolchain| toolchain.rustc.as_deref());
            let mut part = format!("**Toolchain:** {}", code(name));
            if let Some(rustc) = rustc {
                let _ = write!(part, " ({})", inline(rustc));
            }
            parts.push(part);
        }
        None => parts.push("**Toolchain:** not built".to_owned()),
    }
    if let Some(edition) = &snippet.edition {
        parts.push(format!("**edition** {}", inline(edition)));
    }
    if let Some(shape) = &snippet.shape {
        parts.push(format!("**shape** {}", code(shape)));
    }
    if let Some(expect) = &snippet.expect {
        parts.push(format!("**expects** {}", code(expect)));
    }
    let _ = writeln!(out, "{}\n", parts.join(" · "));
}

/// Text from the report made safe for inline Markdown: rustc's `` `code` ``
/// spans stay code spans, everything else is shown literally (punctuation
/// that Markdown or GitHub would interpret is backslash-escaped), and line
/// breaks become spaces. A text with an odd number of backticks has no
/// reliable code spans, so all of its backticks are escaped.
pub(crate) fn inline(text: &str) -> String {
    let text = one_line(text);
    let parts: Vec<&str> = text.split('`').collect();
    // Splitting on backticks gives an odd number of parts exactly when the
    // backticks pair up; then every second part is the content of a span.
    let balanced = parts.len() % 2 == 1;
    let mut out = String::with_capacity(text.len());
    for (index, part) in parts.iter().enumerate() {
        if balanced && index % 2 == 1 {
            if part.is_empty() {
                // An empty span (``) shows its two backticks.
                out.push_str("\\`\\`");
            } else {
                out.push_str(&code(part));
            }
        } else {
            if !balanced && index > 0 {
                out.push_str("\\`");
            }
            escape_into(part, &mut out);
        }
    }
    out
}

/// `text` with its line breaks (and the blank lines between them) turned
/// into single spaces, since inline Markdown cannot hold a line break.
fn one_line(text: &str) -> String {
    let text = text.replace('\r', "\n");
    let lines: Vec<&str> = text.split('\n').filter(|line| !line.is_empty()).collect();
    lines.join(" ")
}

/// Backslash-escapes the characters that Markdown, or GitHub's extensions of
/// it (tables, strikethrough, math), would read as markup anywhere in a line.
/// Characters that only matter at the start of a line (`#`, `-`, `+`, `1.`)
/// are left alone: this text never starts a line. Web addresses become
/// autolinks, whose text Markdown takes literally.
fn escape_into(text: &str, out: &mut String) {
    for (index, word) in text.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        if !autolink_into(word, out) {
            escape_word(word, out);
        }
    }
}

/// Writes `word` as an autolink (`<https://…>`) when it is a web address
/// that an autolink can hold; trailing sentence punctuation stays outside.
fn autolink_into(word: &str, out: &mut String) -> bool {
    let address = word.trim_end_matches(['.', ',', ';', ':', '!', '?', ')']);
    let is_web = address.starts_with("https://") || address.starts_with("http://");
    let fits = address
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && c != '<' && c != '>');
    if !is_web || !fits || address.len() <= "https://".len() {
        return false;
    }
    let _ = write!(out, "<{address}>");
    escape_word(word.strip_prefix(address).unwrap_or_default(), out);
    true
}

fn escape_word(word: &str, out: &mut String) {
    let chars: Vec<char> = word.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '$' | '!' => true,
            // An underscore between two letters or digits cannot open or
            // close emphasis, so `snake_case` words are left readable.
            '_' => {
                let before = index.checked_sub(1).and_then(|i| chars.get(i));
                let after = chars.get(index + 1);
                !(before.is_some_and(|c| c.is_alphanumeric())
                    && after.is_some_and(|c| c.is_alphanumeric()))
            }
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
}

/// `text` as one code span; the text holds no line break or backtick (the
/// caller split it on backticks), but other callers' text may, so both are
/// handled: line breaks become spaces and the fence outgrows the backticks.
fn code(text: &str) -> String {
    let text = one_line(text);
    if text.is_empty() {
        return String::new();
    }
    let fence = "`".repeat(longest_backtick_run(&[text.as_str()]) + 1);
    // CommonMark strips one space from each side of a span that starts and
    // ends with one, so a span that starts or ends with a space or a backtick
    // is padded to keep its text intact.
    let pad = text.starts_with([' ', '`']) || text.ends_with([' ', '`']);
    if pad && !text.trim().is_empty() {
        format!("{fence} {text} {fence}")
    } else {
        format!("{fence}{text}{fence}")
    }
}

/// Inline Markdown made safe for a table cell: GitHub splits cells at every
/// unescaped `|`, even inside code spans, so those are escaped too.
fn cell(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut escaped = false;
    for c in markdown.chars() {
        if c == '|' && !escaped {
            out.push('\\');
        }
        escaped = c == '\\' && !escaped;
        out.push(c);
    }
    out
}

/// A relative link to `file` (at `line`, GitHub's `#L12` anchor) showing `text`.
fn link(file: &str, text: &str, line: Option<u32>) -> String {
    let mut target = super::sarif::artifact_uri(file);
    // Markdown link destinations end at a space and nest parentheses; both are
    // percent-encoded so that no path can end the link early.
    target = target.replace('(', "%28").replace(')', "%29");
    if let Some(line) = line {
        let _ = write!(target, "#L{line}");
    }
    format!("[{}]({target})", inline(text))
}

/// The Markdown documents the caller supplied, each indexed on demand.
struct Documents<'s> {
    sources: &'s BTreeMap<String, String>,
}

impl<'s> Documents<'s> {
    fn new(sources: &'s BTreeMap<String, String>) -> Documents<'s> {
        Documents { sources }
    }

    fn get(&self, file: &str) -> Option<Document<'s>> {
        let text = self.sources.get(file)?;
        Some(Document {
            text,
            index: LineIndex::new(text),
        })
    }
}

/// One document's text with its line index.
struct Document<'t> {
    text: &'t str,
    index: LineIndex,
}

impl Document<'_> {
    fn line(&self, line: u32) -> Option<&str> {
        self.index.line_text(self.text, line)
    }

    /// The first and last lines of the content of the block whose fence is
    /// on line `open`, or `None` when `open` is not a fence or the block is
    /// empty. A block that is never closed runs to the end of the document,
    /// as in CommonMark.
    ///
    /// This small reading of CommonMark ignores container prefixes such as
    /// `>`; a wrong guess costs quoted lines, never a section of the report.
    fn block_content(&self, open: u32) -> Option<(u32, u32)> {
        let opening = self.line(open)?.trim_start();
        let fence_char = opening.chars().next().filter(|c| *c == '`' || *c == '~')?;
        let fence_len = opening.chars().take_while(|c| *c == fence_char).count();
        if fence_len < 3 {
            return None;
        }
        let line_count = crate::text::to_u32(self.index.line_count());
        let first = open.checked_add(1)?;
        let close = (first..=line_count).find(|&line| {
            self.line(line).is_some_and(|text| {
                let text = text.trim();
                text.chars().count() >= fence_len && text.chars().all(|c| c == fence_char)
            })
        });
        let last = match close {
            Some(close) => close.checked_sub(1)?,
            None => line_count,
        };
        (first <= last).then_some((first, last))
    }

    /// How many spaces indent the fence on line `open`.
    fn fence_indent(&self, open: u32) -> usize {
        self.line(open)
            .map_or(0, |text| text.len() - text.trim_start_matches(' ').len())
    }
}

/// A small report that every format's tests render: two documents, passing,
/// failing, warning and skipped examples, a block built on two toolchains,
/// dependencies, a run problem. `sources()` holds the matching documents.
#[cfg(test)]
pub(crate) mod sample {
    use std::collections::BTreeMap;

    use crate::report::{
        Cause, Dependency, Diagnostic, FileSummary, Report, RunProblem, SCHEMA_VERSION,
        SnippetReport, Status, ToolchainInfo, Totals,
    };

    pub(crate) const GUIDE: &str = "\
# Guide

Counting things.

```rust
let total = 1 + 2;
```

## Errors | pitfalls

```rust
use serde_json::json;
let counter = 3;
println!(\"{}\", counte);
let v = json!({ \"n\": counter });
```

Configuration:

```toml
[dependencies]
```

```rust,ignore
this is not compiled
```

```rust,compile_fail,E0499
let mut s = String::new();
let a = &mut s;
a.push('x');
```
";

    pub(crate) const README: &str = "\
# Demo

```rust
fn main() {
    let x = 5;
    if x >= 1 && x <= 9 {
        println!(\"{x}\");
    }
}
```

```rust
use frobnicate::Widget;
```

```rust
let n: i32 = \"7\".parse()?;
```
";

    pub(crate) fn sources() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("docs/guide.md".to_owned(), GUIDE.to_owned()),
            ("README.md".to_owned(), README.to_owned()),
        ])
    }

    /// A Rust row built on `toolchain` with `status`, without diagnostics.
    fn row(file: &str, line: u32, status: Status, toolchain: Option<&str>) -> SnippetReport {
        SnippetReport {
            id: format!(
                "{}-{line:08x}",
                file.rsplit('/')
                    .next()
                    .unwrap_or(file)
                    .trim_end_matches(".md")
            ),
            file: file.to_owned(),
            line,
            headings: vec![],
            info: "rust".to_owned(),
            lang: Some("rust".to_owned()),
            rust: true,
            status,
            skip_reason: None,
            cause: None,
            expect: Some("pass".to_owned()),
            toolchain: toolchain.map(str::to_owned),
            edition: Some("2024".to_owned()),
            shape: Some("main-wrapped".to_owned()),
            dependencies: vec![],
            diagnostics: vec![],
            problems: vec![],
            ..Default::default()
        }
    }

    fn diagnostic(
        file: &str,
        level: &str,
        code: Option<&str>,
        message: &str,
        (line, column, end_line, end_column): (u32, u32, u32, u32),
        label: Option<&str>,
        notes: &[&str],
    ) -> Diagnostic {
        Diagnostic {
            level: level.to_owned(),
            code: code.map(str::to_owned),
            message: message.to_owned(),
            file: file.to_owned(),
            line,
            column,
            end_line,
            end_column,
            label: label.map(str::to_owned),
            in_wrapper: false,
            notes: notes.iter().map(|note| (*note).to_owned()).collect(),
        }
    }

    pub(crate) fn report() -> Report {
        Report {
            schema: SCHEMA_VERSION,
            snipcheck_version: "0.1.0".to_owned(),
            toolchains: vec![
                ToolchainInfo {
                    name: "stable".to_owned(),
                    rustc: Some("rustc 1.95.0 (59807616e 2026-04-14)".to_owned()),
                    installed: true,
                },
                ToolchainInfo {
                    name: "nightly".to_owned(),
                    rustc: None,
                    installed: false,
                },
            ],
            files: vec![
                FileSummary {
                    crates: vec!["serde".to_owned(), "tokio".to_owned()],
                    ..file_summary(GUIDE_FILE, [5, 4, 1, 0, 2, 2])
                },
                file_summary(README_FILE, [3, 3, 0, 1, 2, 1]),
            ],
            snippets: [guide_snippets(), readme_snippets()].concat(),
            totals: Totals {
                files: 2,
                blocks: 8,
                rust_blocks: 7,
                pass: 1,
                warn: 1,
                fail: 4,
                skip: 3,
            },
            problems: vec![RunProblem::input(
                Some("docs/missing.md".to_owned()),
                "cannot read `docs/missing.md`: no such file or folder",
            )],
            cargo_invocations: BTreeMap::from([
                ("build".to_owned(), 1),
                ("metadata".to_owned(), 1),
            ]),
            ..Default::default()
        }
    }

    const GUIDE_FILE: &str = "docs/guide.md";
    const README_FILE: &str = "README.md";

    /// A file's row; `counts` are blocks, Rust blocks, pass, warn, fail, skip.
    fn file_summary(file: &str, counts: [u32; 6]) -> FileSummary {
        FileSummary {
            file: file.to_owned(),
            blocks: counts[0],
            rust_blocks: counts[1],
            languages: BTreeMap::new(),
            pass: counts[2],
            warn: counts[3],
            fail: counts[4],
            skip: counts[5],
            ..Default::default()
        }
    }

    /// The blocks of `GUIDE`, in order: a pass, a compile error, a TOML block,
    /// an ignored block and a `compile_fail` block that compiled.
    fn guide_snippets() -> Vec<SnippetReport> {
        let guide = GUIDE_FILE;
        let mut passing = row(guide, 5, Status::Pass, Some("stable"));
        passing.headings = vec!["Guide".to_owned()];

        let mut toml = row(guide, 20, Status::Skip, None);
        toml.info = "toml".to_owned();
        toml.lang = Some("toml".to_owned());
        toml.rust = false;
        toml.skip_reason = Some("not rust (toml)".to_owned());
        toml.expect = None;
        toml.edition = None;
        toml.shape = None;

        let mut ignored = row(guide, 24, Status::Skip, None);
        ignored.info = "rust,ignore".to_owned();
        ignored.skip_reason = Some("marked `ignore`".to_owned());
        ignored.expect = None;
        ignored.edition = None;
        ignored.shape = None;

        let mut compiled = row(guide, 28, Status::Fail, Some("stable"));
        compiled.info = "rust,compile_fail,E0499".to_owned();
        compiled.cause = Some(Cause::CompileFailMismatch);
        compiled.expect = Some("compile_fail,E0499".to_owned());

        vec![passing, guide_failing(), toml, ignored, compiled]
    }

    /// The guide's failing block: a misspelled name, with a dependency.
    fn guide_failing() -> SnippetReport {
        let guide = GUIDE_FILE;
        let mut failing = row(guide, 11, Status::Fail, Some("stable"));
        failing.headings = vec!["Guide".to_owned(), "Errors | pitfalls".to_owned()];
        failing.cause = Some(Cause::Compile);
        failing.dependencies = vec![Dependency {
            name: "serde_json".to_owned(),
            package: "serde_json".to_owned(),
            requirement: "1".to_owned(),
            version: Some("1.0.140".to_owned()),
            features: vec![],
            dev: false,
            ..Default::default()
        }];
        failing.diagnostics = vec![diagnostic(
            guide,
            "error",
            Some("E0425"),
            "cannot find value `counte` in this scope",
            (14, 16, 14, 22),
            Some("not found in this scope"),
            &["help: a local variable with a similar name exists: `counter`"],
        )];
        failing
    }

    /// The blocks of `README`, in order: a clippy warning, an unknown crate, a
    /// `?` outside a function returning `Result`, and the same block skipped on
    /// a toolchain that is not installed.
    fn readme_snippets() -> Vec<SnippetReport> {
        let readme = README_FILE;
        let mut linted = row(readme, 3, Status::Warn, Some("stable"));
        linted.headings = vec!["Demo".to_owned()];
        linted.cause = Some(Cause::Lint);
        linted.shape = Some("bin".to_owned());
        linted.diagnostics = vec![diagnostic(
            readme,
            "warning",
            Some("clippy::manual_range_contains"),
            "manual `RangeInclusive::contains` implementation",
            (6, 8, 6, 24),
            None,
            &[
                "help: use: `(1..=9).contains(&x)`",
                "help: for further information visit https://rust-lang.github.io/rust-clippy/master/index.html#manual_range_contains",
            ],
        )];

        let mut question = row(readme, 16, Status::Fail, Some("stable"));
        question.headings = vec!["Demo".to_owned()];
        question.cause = Some(Cause::Compile);
        question.diagnostics = vec![diagnostic(
            readme,
            "error",
            Some("E0277"),
            "the `?` operator can only be used in a function that returns `Result` or `Option` (or another type that implements `FromResidual`)",
            (17, 25, 17, 26),
            Some("cannot use the `?` operator in a function that returns `()`"),
            &["help: consider adding return type: `-> Result<(), Box<dyn std::error::Error>>`"],
        )];

        let mut on_nightly = row(readme, 16, Status::Skip, None);
        on_nightly.headings = vec!["Demo".to_owned()];
        on_nightly.skip_reason = Some("no installed toolchain to build with".to_owned());

        vec![linted, readme_unknown_crate(), question, on_nightly]
    }

    /// The README's block that uses a crate crates.io does not have.
    fn readme_unknown_crate() -> SnippetReport {
        let readme = README_FILE;
        let mut unknown = row(readme, 12, Status::Fail, None);
        unknown.headings = vec!["Demo".to_owned()];
        unknown.cause = Some(Cause::UnknownCrate);
        unknown.shape = Some("lib".to_owned());
        unknown.dependencies = vec![Dependency {
            name: "frobnicate".to_owned(),
            package: "frobnicate".to_owned(),
            requirement: "*".to_owned(),
            version: None,
            features: vec![],
            dev: false,
            ..Default::default()
        }];
        unknown.diagnostics = vec![diagnostic(
            readme,
            "error",
            None,
            "crate `frobnicate` is not published on crates.io",
            (13, 5, 13, 15),
            None,
            &[],
        )];
        unknown
    }
}

#[cfg(test)]
mod tests {
    use pulldown_cmark::{Options, Parser, html};

    use super::*;

    fn to_html(markdown: &str) -> String {
        let mut options = Options::empty();
        options.insert(Options::ENABLE_TABLES);
        options.insert(Options::ENABLE_STRIKETHROUGH);
        let mut out = String::new();
        html::push_html(&mut out, Parser::new_ext(markdown, options));
        out
    }

    /// Asserts that every row of every table in `html` has as many cells as
    /// the table's header, so no value split a row, and that no table line was
    /// left as a paragraph.
    fn assert_tables_intact(html: &str) {
        for table in html.split("<table>").skip(1) {
            let table = table.split("</table>").next().unwrap_or_default();
            let mut rows = table.split("<tr>").skip(1);
            let header = rows.next().unwrap_or_default().matches("<th").count();
            assert!(header > 0, "a table without a header: {table}");
            for row in rows {
                assert_eq!(row.matches("<td").count(), header, "a broken row: {row}");
            }
        }
        for line in html.lines() {
            assert!(
                !line.starts_with("<p>|") && !line.contains("|---"),
                "a table line leaked: {line}"
            );
        }
    }

    #[test]
    fn markdown_snapshot() {
        insta::assert_snapshot!(render_markdown(&sample::report(), &sample::sources()));
    }

    #[test]
    fn markdown_renders_to_html_with_its_tables_and_headings() {
        let markdown = render_markdown(&sample::report(), &sample::sources());
        let html = to_html(&markdown);
        assert_eq!(html.matches("<h1>").count(), 1);
        assert_eq!(
            html.matches("<h2>").count(),
            3,
            "problems, failures, warnings"
        );
        assert_eq!(
            html.matches("<h3>").count(),
            5,
            "four failures and a warning"
        );
        // The file table and two dependency tables.
        assert_eq!(html.matches("<table>").count(), 3);
        assert_tables_intact(&html);
        assert!(html.contains(r#"<pre><code class="language-mermaid">pie showData"#));
        assert!(html.contains(r#"<pre><code class="language-rust">"#));
        assert!(html.contains(r#"<a href="docs/guide.md#L11">docs/guide.md:11</a>"#));
        // The heading with a `|` is shown as text.
        assert!(html.contains("Guide › Errors | pitfalls"), "{html}");
        // rustc's backticks become code, and web addresses links.
        assert!(html.contains("cannot find value <code>counte</code> in this scope"));
        assert!(html.contains(r#"visit <a href="https://rust-lang.github.io/rust-clippy/master/index.html#manual_range_contains">"#));
    }

    #[test]
    fn failing_files_come_first() {
        let mut report = sample::report();
        report.files[0].fail = 0;
        report.files[0].warn = 0;
        let markdown = render_markdown(&report, &BTreeMap::new());
        let readme = markdown.find("| [README.md]").expect("README row");
        let guide = markdown.find("| [docs/guide.md]").expect("guide row");
        assert!(readme < guide, "{markdown}");
    }

    #[test]
    fn the_quote_holds_the_diagnostic_lines_within_the_block() {
        let markdown = render_markdown(&sample::report(), &sample::sources());
        assert!(
            markdown.contains(
                "Lines 12–15:\n\n```rust\nuse serde_json::json;\nlet counter = 3;\nprintln!(\"{}\", counte);\nlet v = json!({ \"n\": counter });\n```\n"
            ),
            "{markdown}"
        );
        // Without the document, nothing is quoted and nothing fails.
        let bare = render_markdown(&sample::report(), &BTreeMap::new());
        assert!(!bare.contains("```rust"));
    }

    #[test]
    fn hostile_text_cannot_break_the_layout() {
        let mut report = sample::report();
        report.files[0].file = "docs/a|b `c` <script>x</script> (1).md".to_owned();
        let snippet = &mut report.snippets[1];
        snippet.file = report.files[0].file.clone();
        snippet.headings = vec!["# not a heading\n- not a list".to_owned()];
        snippet.dependencies[0].requirement = ">=1, <2 | 3".to_owned();
        snippet.dependencies[0].features = vec!["a|b".to_owned(), "`x".to_owned()];
        snippet.dependencies[0].name = "odd ` name".to_owned();
        if let Some(diagnostic) = snippet.diagnostics.first_mut() {
            diagnostic.message = "a *b* _c_ [d](e) <f> $x$ ~~g~~ | h\n\n# i".to_owned();
        }
        let markdown = render_markdown(&report, &BTreeMap::new());
        let html = to_html(&markdown);
        assert_tables_intact(&html);
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<em>") && !html.contains("<del>"), "{html}");
        assert!(
            html.contains("a *b* _c_ [d](e) &lt;f&gt; $x$ ~~g~~ | h # i"),
            "{html}"
        );
        assert_eq!(html.matches("<h3>").count(), 5);
        assert!(html.contains("<code>&gt;=1, &lt;2 | 3</code>"), "{html}");
    }

    #[test]
    fn inline_keeps_code_spans_and_escapes_the_rest() {
        assert_eq!(inline("plain words"), "plain words");
        assert_eq!(inline("value `x` here"), "value `x` here");
        assert_eq!(inline("a|b"), "a\\|b");
        assert_eq!(inline("odd ` tick"), "odd \\` tick");
        assert_eq!(inline("empty `` span"), "empty \\`\\` span");
        assert_eq!(inline("`a` and `b`"), "`a` and `b`");
        assert_eq!(inline("two\nlines"), "two lines");
        assert_eq!(inline("` padded `"), "`  padded  `");
        assert_eq!(inline("snake_case _x_"), "snake_case \\_x\\_");
        assert_eq!(
            inline("see https://example.org/a_b*c."),
            "see <https://example.org/a_b*c>."
        );
        assert_eq!(inline("https://a<b"), "https://a\\<b");
    }

    #[test]
    fn code_spans_outgrow_backticks_and_cells_escape_pipes() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(cell("`a|b`"), "`a\\|b`");
        assert_eq!(cell("a\\|b"), "a\\|b");
    }
}
