//! The Markdown view of a report: the review page for the documents' maintainers.
//!
//! In CI this text goes to `$GITHUB_STEP_SUMMARY` (or a pull-request comment),
//! where GitHub renders it as the run's summary page. The people reading it
//! maintain documentation, not snipcheck, so it is laid out to answer their
//! questions in order: did the run pass (the headline: against the baseline
//! when there is one, so known failures do not look red), which documents need
//! work (a table, failing files first), which examples (one table row per
//! example, a status cell per toolchain), and for each failing or warning
//! example: where it is (a link to the line), what is wrong (the cause, the
//! compiler's diagnostics and the quoted lines), and what it was built with.
//! Known failures and warnings are folded in `<details>`.
//!
//! The renderer is a pure function of the report, the documents and
//! [`MarkdownOptions`]: where links point ([`LinkBase`], read from the
//! environment at the edge) and how many bytes the page may take (GitHub
//! refuses a job summary over 1 MiB). A page over its budget leaves out whole
//! sections, least important first, and says so; it never cuts one in half.
//!
//! Everything the report says is text from documents and compilers, so every
//! value is escaped before it is placed in Markdown: rustc's `` `code` `` spans
//! are kept as code, everything else is backslash-escaped, and `|` is escaped
//! inside tables so that no value can break the layout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::sarif::describe_cause;
use super::{Change, Diagnostic, FailOn, FileSummary, Report, SnippetReport, Status, escape};
use crate::text::LineIndex;

/// How many lines around a diagnostic are quoted (within its block).
const CONTEXT_LINES: u32 = 2;

/// How many lines of a block are quoted when no diagnostic points into it.
const HEAD_LINES: u32 = 5;

/// The size the page is kept under by default: GitHub refuses a job summary
/// over 1 MiB per step, and this leaves room for whatever else the step adds.
pub const JOB_SUMMARY_BUDGET: usize = 900 * 1024;

/// Bytes kept free for the note that says what a cut page left out.
const NOTE_RESERVE: usize = 1024;

/// More rows than this and a table or a list of sections is folded.
const FOLD_AFTER: usize = 10;

/// What the Markdown view needs besides the report: plain data, decided at
/// the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// Where links point: paths relative to the page (none), or a commit.
    pub link_base: Option<LinkBase>,
    /// The most bytes the page may take; `None` for no limit.
    pub budget: Option<usize>,
}

impl Default for MarkdownOptions {
    fn default() -> MarkdownOptions {
        MarkdownOptions {
            link_base: None,
            budget: Some(JOB_SUMMARY_BUDGET),
        }
    }
}

/// Links to files at one commit of a hosted repository
/// (`{server}/{repository}/blob/{sha}/{path}#L{line}`), which work wherever
/// the page is shown, unlike relative ones (a job summary has no folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBase {
    /// `https://github.com/owner/repo/blob/<sha>`, without a trailing `/`.
    pub blob: String,
    /// The checkout's folder: a report path under it is made relative to it.
    /// An absolute path outside it gets no link.
    pub workspace: Option<String>,
}

impl LinkBase {
    /// The base of GitHub Actions' `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
    /// `GITHUB_SHA` and `GITHUB_WORKSPACE`.
    pub fn github(server: &str, repository: &str, sha: &str, workspace: Option<&str>) -> LinkBase {
        LinkBase {
            blob: format!(
                "{}/{}/blob/{}",
                server.trim_end_matches('/'),
                repository.trim_matches('/'),
                sha
            ),
            workspace: workspace
                .filter(|folder| !folder.is_empty())
                .map(|folder| folder.replace('\\', "/").trim_end_matches('/').to_owned()),
        }
    }

    /// `file` relative to the repository, or `None` when it is an absolute
    /// path outside the workspace.
    fn relative<'f>(&self, file: &'f str) -> Option<&'f str> {
        let absolute = file.starts_with('/') || file.get(1..3) == Some(":/");
        if !absolute {
            return Some(file.strip_prefix("./").unwrap_or(file));
        }
        let workspace = self.workspace.as_deref()?;
        file.strip_prefix(workspace)?.strip_prefix('/')
    }
}

/// Renders the review report. `sources` maps each `file` of the report to the
/// text of that Markdown document; without it, the example's lines are not quoted.
pub fn render_markdown(
    report: &Report,
    sources: &BTreeMap<String, String>,
    options: &MarkdownOptions,
) -> String {
    // No string of the report and no quoted line carries a control character.
    let report = &escape::report(report);
    let sources = &escape::sources(sources);
    let links = Links {
        base: options.link_base.as_ref(),
    };
    let page = Page {
        report,
        documents: Documents::new(sources),
        links,
        examples: examples(report),
    };
    let mut head = String::from("# snipcheck report\n\n");
    page.render_headline(&mut head);
    let mut intro = String::new();
    if let Some(partition) = &report.partition {
        let _ = writeln!(
            intro,
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
        let _ = writeln!(intro, "> {said}: {}.\n", inline(&confinement.summary));
    }
    render_chart(report, &mut intro);
    let mut parts = page.parts();
    parts.insert(0, Part::new(intro, 7, "the chart"));
    let mut out = fit(head, parts, options.budget);
    // One trailing newline, however the last section ended.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

/// The rows of one block (one per toolchain), in the report's order.
struct Example<'r> {
    rows: Vec<&'r SnippetReport>,
}

impl<'r> Example<'r> {
    fn first(&self) -> &'r SnippetReport {
        self.rows[0]
    }

    fn failing(&self) -> impl Iterator<Item = &'r SnippetReport> + '_ {
        self.rows
            .iter()
            .copied()
            .filter(|row| row.status == Status::Fail)
    }

    /// A failing row the baseline does not know (every failing row without a baseline).
    fn fails_unknown(&self) -> bool {
        self.failing().any(|row| !row.known_failure())
    }

    fn warns(&self) -> bool {
        self.rows.iter().any(|row| row.status == Status::Warn)
    }
}

/// The report's Rust examples, each with its rows, in document order.
fn examples(report: &Report) -> Vec<Example<'_>> {
    let mut index: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut out: Vec<Example<'_>> = Vec::new();
    for row in report.snippets.iter().filter(|row| row.rust) {
        let key = (row.file.as_str(), row.id.as_str());
        match index.get(&key) {
            Some(&at) => out[at].rows.push(row),
            None => {
                index.insert(key, out.len());
                out.push(Example { rows: vec![row] });
            }
        }
    }
    out
}

/// How an example stands, its most serious row first: what the headline counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Regressed,
    /// Fails, and the baseline does not know it (or there is no baseline).
    NewFailure,
    KnownFailure,
    Fixed,
    Warned,
    Passed,
    Skipped,
}

impl Standing {
    fn of_row(row: &SnippetReport) -> Standing {
        match (row.status, row.baseline) {
            (Status::Fail, Some(Change::Regressed)) => Standing::Regressed,
            (Status::Fail, _) if row.known_failure() => Standing::KnownFailure,
            (Status::Fail, _) => Standing::NewFailure,
            (_, Some(Change::Fixed)) => Standing::Fixed,
            (Status::Warn, _) => Standing::Warned,
            (Status::Pass, _) => Standing::Passed,
            (Status::Skip, _) => Standing::Skipped,
        }
    }

    fn of(example: &Example<'_>) -> Standing {
        example
            .rows
            .iter()
            .map(|row| Standing::of_row(row))
            .min()
            .unwrap_or(Standing::Skipped)
    }

    /// `3 regressions`, `1 known failure`, ...
    fn count(self, n: usize) -> String {
        let (one, many) = match self {
            Standing::Regressed => ("regression", "regressions"),
            Standing::NewFailure => ("new failure", "new failures"),
            Standing::KnownFailure => ("known failure", "known failures"),
            Standing::Fixed => ("fixed", "fixed"),
            Standing::Warned => ("warned", "warned"),
            Standing::Passed => ("passed", "passed"),
            Standing::Skipped => ("skipped", "skipped"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

/// Everything a section of the page reads.
struct Page<'r> {
    report: &'r Report,
    documents: Documents<'r>,
    links: Links<'r>,
    examples: Vec<Example<'r>>,
}

/// One part of the page below the headline, and what it shrinks to when the
/// page is over its budget.
struct Part {
    text: String,
    /// Parts with a lower rank are left out first.
    rank: u8,
    /// What the page says it left out (`the warnings' details`).
    what: String,
    /// A shorter form: a heading and one line per entry, shown as far as they
    /// fit; none for a part that is left out whole.
    brief: Option<(String, Vec<String>)>,
    /// Shown in its brief form.
    shortened: bool,
}

impl Part {
    fn new(text: String, rank: u8, what: impl Into<String>) -> Part {
        Part {
            text,
            rank,
            what: what.into(),
            brief: None,
            shortened: false,
        }
    }
}

impl Page<'_> {
    /// The verdict line: against the baseline when there is one (examples
    /// counted by their most serious toolchain, and ❌ only for what fails the
    /// run), else the plain counts of the checks. Then the blocks, snipcheck's
    /// version and the toolchains.
    fn render_headline(&self, out: &mut String) {
        let report = self.report;
        let failing = self
            .examples
            .iter()
            .filter(|example| example.rows.iter().any(|row| report.fails_run(row)))
            .count();
        let lost = report.lost_documents_failing(report.effective_fail_on());
        let mark = if failing + lost > 0 {
            "❌"
        } else if report.baseline.is_some() {
            if self.examples.iter().any(Example::fails_unknown) {
                "⚠️"
            } else {
                "✅"
            }
        } else if report.totals.fail > 0 || report.totals.warn > 0 {
            "⚠️"
        } else {
            "✅"
        };
        let _ = write!(out, "{mark} ");
        if report.baseline.is_some() {
            self.against_baseline(failing, lost, out);
        } else {
            let totals = &report.totals;
            let _ = write!(
                out,
                "**{} failed**, {} warned, {} passed, {} skipped",
                totals.fail, totals.warn, totals.pass, totals.skip,
            );
        }
        let totals = &report.totals;
        let _ = write!(
            out,
            " · {} {} ({} Rust) in {} {} · snipcheck {}",
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

    /// `**1 regression** — of 12 Rust examples: 9 known failures, 2 fixed, ...`,
    /// or `**no regressions** — ...` when nothing fails the run.
    fn against_baseline(&self, failing: usize, lost: usize, out: &mut String) {
        let report = self.report;
        let mut counts: BTreeMap<Standing, usize> = BTreeMap::new();
        let mut counted: BTreeMap<Standing, usize> = BTreeMap::new();
        for example in &self.examples {
            let standing = Standing::of(example);
            *counts.entry(standing).or_default() += 1;
            if example.rows.iter().any(|row| report.fails_run(row)) {
                *counted.entry(standing).or_default() += 1;
            }
        }
        let mut verdict: Vec<String> = counted
            .iter()
            .map(|(standing, n)| standing.count(*n))
            .collect();
        if lost > 0 {
            verdict.push(format!(
                "{lost} {} lost {} examples",
                plural(crate::text::to_u32(lost), "document"),
                if lost == 1 { "its" } else { "their" }
            ));
        }
        if failing + lost == 0 {
            verdict.push(match report.fail_on {
                Some(FailOn::New) => "no regressions or new failures".to_owned(),
                Some(FailOn::Any) => "no failures".to_owned(),
                Some(FailOn::Never) => "nothing fails the run (--fail-on never)".to_owned(),
                Some(FailOn::Regressed) | None => "no regressions".to_owned(),
            });
        }
        let _ = write!(out, "**{}**", verdict.join(", "));
        let rest: Vec<String> = counts
            .iter()
            .filter(|(standing, _)| !counted.contains_key(*standing))
            .map(|(standing, n)| standing.count(*n))
            .collect();
        if !rest.is_empty() {
            let _ = write!(
                out,
                " — of {} Rust {}: {}",
                self.examples.len(),
                plural(crate::text::to_u32(self.examples.len()), "example"),
                rest.join(", ")
            );
        }
    }

    /// The parts of the page below the headline, in order.
    fn parts(&self) -> Vec<Part> {
        let report = self.report;
        let mut file_table = String::new();
        render_file_table(report, &self.links, &mut file_table);
        let mut problems = String::new();
        render_problems(report, &self.links, &mut problems);
        let mut lockfile = String::new();
        render_lockfile(report, &mut lockfile);
        let mut parts = vec![
            Part::new(file_table, 5, "the table of documents"),
            Part::new(problems, 4, "the list of problems"),
            Part::new(lockfile, 6, "the dependency versions"),
            Part::new(self.example_table(), 2, "the table of examples"),
        ];
        let failures: Vec<&Example<'_>> = self
            .examples
            .iter()
            .filter(|example| example.fails_unknown())
            .collect();
        let title = if report.baseline.is_some() {
            "Failures the baseline does not know"
        } else {
            "Failures"
        };
        let mut part = self.sections(title, &failures, &[Status::Fail], false);
        part.rank = 3;
        part.what = "the failures' details (listed in short)".to_owned();
        part.brief = Some((
            format!("## {title} ({})\n\n", failures.len()),
            failures.iter().map(|example| self.brief(example)).collect(),
        ));
        parts.push(part);
        let known: Vec<&Example<'_>> = self
            .examples
            .iter()
            .filter(|example| !example.fails_unknown() && example.failing().next().is_some())
            .collect();
        let mut part = self.sections("Known failures", &known, &[Status::Fail], true);
        part.rank = 1;
        parts.push(part);
        let warned: Vec<&Example<'_>> = self
            .examples
            .iter()
            .filter(|example| example.failing().next().is_none() && example.warns())
            .collect();
        let mut part = self.sections("Warnings", &warned, &[Status::Warn], true);
        part.rank = 0;
        parts.push(part);
        parts
    }

    /// A section of examples, each with its rows of `statuses`; folded in
    /// `<details>` when `folded`, or when it has many examples.
    fn sections(
        &self,
        title: &str,
        examples: &[&Example<'_>],
        statuses: &[Status],
        folded: bool,
    ) -> Part {
        let mut text = String::new();
        if !examples.is_empty() {
            let _ = writeln!(text, "## {title} ({})\n", examples.len());
            let fold = folded || examples.len() > FOLD_AFTER;
            if fold {
                let _ = writeln!(
                    text,
                    "<details><summary>{} {}</summary>\n",
                    examples.len(),
                    plural(crate::text::to_u32(examples.len()), "example")
                );
            }
            for example in examples {
                self.render_example(example, statuses, &mut text);
            }
            if fold {
                text.push_str("</details>\n\n");
            }
        }
        Part::new(text, 0, format!("the {}' details", title.to_lowercase()))
    }

    /// One line for an example of a cut page: its link, section and cause.
    fn brief(&self, example: &Example<'_>) -> String {
        let row = example.failing().next().unwrap_or(example.first());
        let here = location(&row.file, row.line);
        let mut line = format!("- {}", self.links.link(&row.file, &here, Some(row.line)));
        if !row.headings.is_empty() {
            let _ = write!(line, " · {}", heading_text(&row.headings));
        }
        let _ = write!(line, ": {}", inline(describe_cause(row)));
        line.push('\n');
        line
    }

    /// One row per example that needs a look (a failure, a warning, a fix),
    /// with a status cell per toolchain; folded when long.
    fn example_table(&self) -> String {
        let report = self.report;
        let listed: Vec<&Example<'_>> = self
            .examples
            .iter()
            .filter(|example| Standing::of(example) <= Standing::Warned)
            .collect();
        if listed.is_empty() {
            return String::new();
        }
        let mut columns: Vec<Option<&str>> = report
            .toolchains
            .iter()
            .map(|toolchain| Some(toolchain.name.as_str()))
            .collect();
        if listed
            .iter()
            .any(|e| e.rows.iter().any(|r| r.toolchain.is_none()))
        {
            columns.push(None);
        }
        let mut text = format!("## Examples ({})\n\n", listed.len());
        let fold = listed.len() > FOLD_AFTER;
        if fold {
            let _ = writeln!(
                text,
                "<details><summary>{} examples need a look</summary>\n",
                listed.len()
            );
        }
        text.push_str("| | example | section |");
        for column in &columns {
            let _ = write!(text, " {} |", column.map_or("not built".to_owned(), code));
        }
        text.push_str("\n|---|---|---|");
        text.push_str(&"---|".repeat(columns.len()));
        text.push('\n');
        for example in listed {
            self.example_row(example, &columns, &mut text);
        }
        text.push('\n');
        if fold {
            text.push_str("</details>\n\n");
        }
        text
    }

    fn example_row(&self, example: &Example<'_>, columns: &[Option<&str>], out: &mut String) {
        let report = self.report;
        let first = example.first();
        let mark = if example.rows.iter().any(|row| report.fails_run(row)) {
            "❌"
        } else if example.fails_unknown() || example.warns() {
            "⚠️"
        } else {
            ""
        };
        let here = location(&first.file, first.line);
        let _ = write!(
            out,
            "| {mark} | {} | {} |",
            cell(&self.links.link(&first.file, &here, Some(first.line))),
            cell(&if first.headings.is_empty() {
                "—".to_owned()
            } else {
                heading_text(&first.headings)
            }),
        );
        for column in columns {
            let shown: Vec<String> = example
                .rows
                .iter()
                .filter(|row| row.toolchain.as_deref() == *column)
                .map(|row| row_state(report, row))
                .collect();
            let shown = if shown.is_empty() {
                "—".to_owned()
            } else {
                shown.join(", ")
            };
            let _ = write!(out, " {} |", cell(&shown));
        }
        out.push('\n');
    }
}

/// How a row stands, for a table cell: ❌ only when it fails the run.
fn row_state(report: &Report, row: &SnippetReport) -> String {
    let mark = if report.fails_run(row) { "❌ " } else { "" };
    let word = match (row.status, row.baseline) {
        (Status::Fail, Some(Change::Regressed)) => "regressed",
        (Status::Fail, _) if row.known_failure() => "known failure",
        (Status::Fail, Some(Change::New)) => "new failure",
        (Status::Fail, _) => "fail",
        (Status::Warn, _) => "⚠️ warn",
        (Status::Pass, Some(Change::Fixed)) => "✅ fixed",
        (Status::Pass, _) => "✅ pass",
        (Status::Skip, _) => "skip",
    };
    format!("{mark}{word}")
}

/// The heading path, escaped, `›` between headings.
fn heading_text(headings: &[String]) -> String {
    let path: Vec<String> = headings.iter().map(|heading| inline(heading)).collect();
    path.join(" › ")
}

/// The page from its head and parts, within `budget`: parts are left out,
/// lowest rank first, or shortened to their brief form, until the page fits
/// or a brief list has [`BRIEF_FLOOR`] bytes of room; a brief list then keeps
/// as many whole lines as fit. A note under the headline says what was left out.
fn fit(head: String, mut parts: Vec<Part>, budget: Option<usize>) -> String {
    let mut left_out: Vec<String> = Vec::new();
    if let Some(budget) = budget {
        let limit = budget.saturating_sub(NOTE_RESERVE);
        let total = |parts: &[Part]| head.len() + parts.iter().map(|p| p.text.len()).sum::<usize>();
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by_key(|&i| parts[i].rank);
        for i in order {
            if total(&parts) <= limit || room_for_briefs(head.len(), &parts, limit) {
                break;
            }
            if parts[i].text.is_empty() {
                continue;
            }
            left_out.push(parts[i].what.clone());
            let part = &mut parts[i];
            part.shortened = part.brief.is_some();
            part.text = match &part.brief {
                Some((heading, lines)) => format!("{heading}{}\n", lines.concat()),
                None => String::new(),
            };
        }
        if total(&parts) > limit {
            shorten_briefs(&mut parts, head.len(), limit);
        }
    }
    let mut out = head;
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "> **This page was cut to fit GitHub's 1 MiB job summary:** it leaves out {}. The JSON report (`--format json`) has every row.\n",
            left_out.join(", ")
        );
    }
    for part in parts {
        out.push_str(&part.text);
    }
    out
}

/// Bytes a shortened list keeps room for before more sections are left out.
const BRIEF_FLOOR: usize = 64 * 1024;

/// Whether the shortened lists have at least [`BRIEF_FLOOR`] bytes once the
/// rest of the page is placed: then they are cut, and nothing more is left out.
fn room_for_briefs(head: usize, parts: &[Part], limit: usize) -> bool {
    let rest: usize = parts
        .iter()
        .filter(|part| !part.shortened)
        .map(|part| part.text.len())
        .sum();
    parts.iter().any(|part| part.shortened) && limit.saturating_sub(head + rest) >= BRIEF_FLOOR
}

/// Cuts the shortened lists to whole lines that fit under `limit` with the
/// `head` and the other parts, each ending with how many it left out.
fn shorten_briefs(parts: &mut [Part], head: usize, limit: usize) {
    let others: usize = parts
        .iter()
        .filter(|part| !part.shortened)
        .map(|part| part.text.len())
        .sum();
    let mut used = head + others;
    for part in parts.iter_mut().filter(|part| part.shortened) {
        let Some((heading, lines)) = &part.brief else {
            continue;
        };
        let mut text = heading.clone();
        let mut shown = 0;
        for line in lines {
            // Room for the closing line that counts the rest.
            if used + text.len() + line.len() + 120 > limit {
                break;
            }
            text.push_str(line);
            shown += 1;
        }
        if shown < lines.len() {
            let _ = writeln!(
                text,
                "- … and {} more, left out to fit the page",
                lines.len() - shown
            );
        }
        text.push('\n');
        used += text.len();
        part.text = text;
    }
}

impl Page<'_> {
    /// The section of one example: where it is, how it stands on each
    /// toolchain, then the rows of `statuses`, each distinct finding once
    /// (`On stable, nightly:` when the toolchains disagree).
    fn render_example(&self, example: &Example<'_>, statuses: &[Status], out: &mut String) {
        let report = self.report;
        let first = example.first();
        let here = location(&first.file, first.line);
        let _ = writeln!(out, "### {}\n", inline(&here));
        let mut context = self.links.link(&first.file, &here, Some(first.line));
        if !first.headings.is_empty() {
            let _ = write!(context, " · {}", heading_text(&first.headings));
        }
        let _ = writeln!(out, "{context}\n");
        if example.rows.len() > 1 {
            let states: Vec<String> = example
                .rows
                .iter()
                .map(|row| {
                    let name = row
                        .toolchain
                        .as_deref()
                        .map_or("not built".to_owned(), code);
                    format!("{name}: {}", row_state(report, row))
                })
                .collect();
            let _ = writeln!(out, "**Toolchains:** {}\n", states.join(" · "));
        }
        let shown: Vec<&SnippetReport> = example
            .rows
            .iter()
            .copied()
            .filter(|row| statuses.contains(&row.status))
            .collect();
        let mut groups: Vec<Vec<&SnippetReport>> = Vec::new();
        for row in shown {
            match groups.iter_mut().find(|group| same_finding(group[0], row)) {
                Some(group) => group.push(row),
                None => groups.push(vec![row]),
            }
        }
        let several = groups.len() > 1;
        for group in groups {
            if several {
                let names: Vec<String> = group
                    .iter()
                    .map(|row| {
                        row.toolchain
                            .as_deref()
                            .map_or("not built".to_owned(), code)
                    })
                    .collect();
                let _ = writeln!(out, "**On {}:**\n", names.join(", "));
            }
            self.render_finding(&group, out);
        }
    }

    /// What is wrong with the rows of `group` (the same finding on one or
    /// more toolchains): cause, suggestion, evidence, quote, diagnostics,
    /// dependencies and what they were built with.
    fn render_finding(&self, group: &[&SnippetReport], out: &mut String) {
        let snippet = group[0];
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
        render_evidence(snippet, out);
        if let Some(document) = self.documents.get(&snippet.file) {
            render_quote(&document, snippet, out);
        }
        render_diagnostics(snippet, &self.links, out);
        if !snippet.problems.is_empty() {
            out.push_str("**Problems:**\n\n");
            for problem in &snippet.problems {
                let _ = writeln!(out, "- {}", inline(problem));
            }
            out.push('\n');
        }
        render_dependencies(snippet, out);
        render_build(self.report, group, out);
    }
}

/// Two rows say the same thing (on different toolchains): shown once.
fn same_finding(a: &SnippetReport, b: &SnippetReport) -> bool {
    (
        a.status,
        a.cause,
        &a.diagnostics,
        &a.suggestion,
        &a.problems,
        a.baseline,
    ) == (
        b.status,
        b.cause,
        &b.diagnostics,
        &b.suggestion,
        &b.problems,
        b.baseline,
    ) && (
        a.edition.as_deref(),
        a.shape.as_deref(),
        a.expect.as_deref(),
    ) == (
        b.edition.as_deref(),
        b.shape.as_deref(),
        b.expect.as_deref(),
    ) && a.dependencies == b.dependencies
}

/// The variant builds that established the cause.
fn render_evidence(snippet: &SnippetReport, out: &mut String) {
    if snippet.evidence.is_empty() {
        return;
    }
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
fn render_file_table(report: &Report, links: &Links<'_>, out: &mut String) {
    if report.files.is_empty() {
        return;
    }
    // Per document: a row fails the run (❌), or a failure the baseline does
    // not know or a warning needs a look (⚠️); known failures alone are ✅.
    let mut marks: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &report.snippets {
        let mark = if report.fails_run(row) {
            0
        } else if (row.status == Status::Fail && !row.known_failure()) || row.status == Status::Warn
        {
            1
        } else {
            2
        };
        let entry = marks.entry(row.file.as_str()).or_insert(2);
        *entry = (*entry).min(mark);
    }
    let mark_of = |file: &FileSummary| marks.get(file.file.as_str()).copied().unwrap_or(2);
    let mut files: Vec<&FileSummary> = report.files.iter().collect();
    files.sort_by_key(|file| mark_of(file));
    out.push_str("| | file | blocks | rust | pass | warn | fail | skip | crates |\n");
    out.push_str("|---|---|--:|--:|--:|--:|--:|--:|---|\n");
    for file in files {
        let mark = ["❌", "⚠️", "✅"][mark_of(file)];
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
            cell(&links.link(&file.file, &file.file, None)),
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

fn render_problems(report: &Report, links: &Links<'_>, out: &mut String) {
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
                    links.link(
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
fn render_diagnostics(snippet: &SnippetReport, links: &Links<'_>, out: &mut String) {
    if snippet.diagnostics.is_empty() {
        return;
    }
    for diagnostic in &snippet.diagnostics {
        let _ = writeln!(
            out,
            "- **{}**: {} (at {})",
            inline(&headline(diagnostic)),
            inline(&diagnostic.message),
            links.link(
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

/// One line: the toolchains (with their `rustc -V`), edition, shape and what
/// the fence expects, for rows that differ only in their toolchain.
fn render_build(report: &Report, group: &[&SnippetReport], out: &mut String) {
    let snippet = group[0];
    let mut parts = Vec::new();
    let names: Vec<String> = group
        .iter()
        .filter_map(|row| row.toolchain.as_deref())
        .map(|name| {
            let rustc = report
                .toolchains
                .iter()
                .find(|toolchain| toolchain.name == name)
                .and_then(|toolchain| toolchain.rustc.as_deref());
            match rustc {
                Some(rustc) => format!("{} ({})", code(name), inline(rustc)),
                None => code(name),
            }
        })
        .collect();
    if names.is_empty() {
        parts.push("**Toolchain:** not built".to_owned());
    } else {
        let label = if names.len() == 1 {
            "Toolchain"
        } else {
            "Toolchains"
        };
        parts.push(format!("**{label}:** {}", names.join(", ")));
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

/// Where the page's links point.
struct Links<'o> {
    base: Option<&'o LinkBase>,
}

impl Links<'_> {
    /// A link to `file` (at `line`, GitHub's `#L12` anchor) showing `text`:
    /// relative to the page, or at the commit of the [`LinkBase`]. A file the
    /// base cannot place (an absolute path outside the workspace) is shown
    /// without a link.
    fn link(&self, file: &str, text: &str, line: Option<u32>) -> String {
        let file = file.replace('\\', "/");
        let mut target = match self.base {
            None => super::sarif::artifact_uri(&file),
            Some(base) => match base.relative(&file) {
                Some(path) => format!("{}/{}", base.blob, super::sarif::artifact_uri(path)),
                None => return inline(text),
            },
        };
        // Markdown link destinations end at a space and nest parentheses; both are
        // percent-encoded so that no path can end the link early.
        target = target
            .replace(' ', "%20")
            .replace('(', "%28")
            .replace(')', "%29");
        if let Some(line) = line {
            let _ = write!(target, "#L{line}");
        }
        format!("[{}]({target})", inline(text))
    }
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
        insta::assert_snapshot!(render_markdown(
            &sample::report(),
            &sample::sources(),
            &MarkdownOptions::default()
        ));
    }

    #[test]
    fn markdown_renders_to_html_with_its_tables_and_headings() {
        let markdown = render_markdown(
            &sample::report(),
            &sample::sources(),
            &MarkdownOptions::default(),
        );
        let html = to_html(&markdown);
        assert_eq!(html.matches("<h1>").count(), 1);
        assert_eq!(
            html.matches("<h2>").count(),
            4,
            "problems, examples, failures, warnings"
        );
        assert_eq!(
            html.matches("<h3>").count(),
            5,
            "four failures and a warning"
        );
        // The file table, the examples and two dependency tables.
        assert_eq!(html.matches("<table>").count(), 4);
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
        for row in report
            .snippets
            .iter_mut()
            .filter(|row| row.file == "docs/guide.md")
        {
            row.status = Status::Pass;
        }
        let markdown = render_markdown(&report, &BTreeMap::new(), &MarkdownOptions::default());
        let readme = markdown.find("| [README.md]").expect("README row");
        let guide = markdown.find("| [docs/guide.md]").expect("guide row");
        assert!(readme < guide, "{markdown}");
    }

    #[test]
    fn the_quote_holds_the_diagnostic_lines_within_the_block() {
        let markdown = render_markdown(
            &sample::report(),
            &sample::sources(),
            &MarkdownOptions::default(),
        );
        assert!(
            markdown.contains(
                "Lines 12–15:\n\n```rust\nuse serde_json::json;\nlet counter = 3;\nprintln!(\"{}\", counte);\nlet v = json!({ \"n\": counter });\n```\n"
            ),
            "{markdown}"
        );
        // Without the document, nothing is quoted and nothing fails.
        let bare = render_markdown(
            &sample::report(),
            &BTreeMap::new(),
            &MarkdownOptions::default(),
        );
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
        let markdown = render_markdown(&report, &BTreeMap::new(), &MarkdownOptions::default());
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

    /// The sample against a baseline that knows every failure (the changed
    /// `compile_fail` block fails as it failed), with `--fail-on regressed`.
    fn known_failures_only() -> Report {
        let mut report = sample::report();
        for row in &mut report.snippets {
            row.baseline = match (row.status, row.line) {
                (Status::Fail, 28) => Some(Change::Changed),
                (Status::Fail, _) => Some(Change::StillFailing),
                _ if row.rust => Some(Change::Unchanged),
                _ => None,
            };
        }
        report.baseline = Some(crate::report::BaselineSummary {
            path: "snipcheck.baseline.toml".to_owned(),
            ..Default::default()
        });
        report.fail_on = Some(FailOn::Regressed);
        report
    }

    fn headline(markdown: &str) -> &str {
        markdown.lines().nth(2).unwrap_or_default()
    }

    #[test]
    fn the_headline_is_green_when_only_known_failures_remain() {
        let report = known_failures_only();
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            headline(&markdown).starts_with(
                "✅ **no regressions** — of 7 Rust examples: 4 known failures, 1 warned, 1 passed, 1 skipped · "
            ),
            "{markdown}"
        );
        assert!(!markdown.contains('❌'), "{markdown}");
        assert!(
            markdown.contains(
                "## Known failures (4)\n\n<details><summary>4 examples</summary>\n\n### "
            )
        );
        assert!(!markdown.contains("## Failures"), "{markdown}");
        assert_tables_intact(&to_html(&markdown));
    }

    #[test]
    fn the_headline_counts_what_fails_the_run() {
        let mut report = known_failures_only();
        report.snippets[7].baseline = Some(Change::Regressed);
        report.snippets[0].baseline = Some(Change::Fixed);
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            headline(&markdown).starts_with(
                "❌ **1 regression** — of 7 Rust examples: 3 known failures, 1 fixed, 1 warned, 1 skipped · "
            ),
            "{markdown}"
        );
        assert!(
            markdown.contains("## Failures the baseline does not know (1)\n\n### README.md:16\n"),
            "{markdown}"
        );
        // Under --fail-on any, the known failures fail the run too.
        report.fail_on = Some(FailOn::Any);
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            headline(&markdown).starts_with("❌ **1 regression, 3 known failures** — "),
            "{markdown}"
        );
        // A new failure under --fail-on regressed needs a look, and fails nothing.
        report.fail_on = Some(FailOn::Regressed);
        report.snippets[7].baseline = Some(Change::New);
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            headline(&markdown)
                .starts_with("⚠️ **no regressions** — of 7 Rust examples: 1 new failure, "),
            "{markdown}"
        );
    }

    #[test]
    fn without_a_baseline_the_headline_is_the_plain_verdict() {
        let markdown = render_markdown(
            &sample::report(),
            &sample::sources(),
            &MarkdownOptions::default(),
        );
        assert!(
            headline(&markdown).starts_with("❌ **4 failed**, 1 warned, 1 passed, 3 skipped · "),
            "{markdown}"
        );
        let mut report = sample::report();
        report.fail_on = Some(FailOn::Never);
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            headline(&markdown).starts_with("⚠️ **4 failed**"),
            "{markdown}"
        );
    }

    #[test]
    fn an_example_is_one_row_with_a_cell_per_toolchain() {
        let mut report = sample::report();
        // The README's failing `?` example fails the same way on nightly.
        let mut nightly = report.snippets[7].clone();
        nightly.toolchain = Some("nightly".to_owned());
        report.snippets[8] = nightly;
        let markdown = render_markdown(&report, &sample::sources(), &MarkdownOptions::default());
        assert!(
            markdown.contains("| | example | section | `stable` | `nightly` | not built |\n"),
            "{markdown}"
        );
        assert!(
            markdown.contains(
                "| ❌ | [README.md:16](README.md#L16) | Demo | ❌ fail | ❌ fail | — |\n"
            ),
            "{markdown}"
        );
        assert_eq!(
            markdown.matches("### README.md:16").count(),
            1,
            "{markdown}"
        );
        // The same finding on both toolchains is said once.
        assert_eq!(
            markdown.matches("cannot use the `?` operator").count(),
            1,
            "{markdown}"
        );
        assert!(markdown.contains("**Toolchains:** `stable` (rustc 1.95.0 (59807616e 2026-04-14)), `nightly` · **edition**"), "{markdown}");
    }

    #[test]
    fn links_point_at_the_commit_with_a_github_link_base() {
        let mut report = sample::report();
        for row in &mut report.snippets {
            if row.file == "docs/guide.md" {
                row.file = "/ci/checkout/docs/guide.md".to_owned();
                for diagnostic in &mut row.diagnostics {
                    diagnostic.file = row.file.clone();
                }
            }
        }
        report.files[0].file = "/ci/checkout/docs/guide.md".to_owned();
        report.snippets[6].file = "/elsewhere/README.md".to_owned();
        let options = MarkdownOptions {
            link_base: Some(LinkBase::github(
                "https://github.com/",
                "owner/repo",
                "0123abcd",
                Some("/ci/checkout/"),
            )),
            ..MarkdownOptions::default()
        };
        let markdown = render_markdown(&report, &BTreeMap::new(), &options);
        let html = to_html(&markdown);
        let at = "https://github.com/owner/repo/blob/0123abcd";
        assert!(
            html.contains(&format!(r#"<a href="{at}/docs/guide.md#L11">"#)),
            "{html}"
        );
        assert!(
            html.contains(&format!(r#"<a href="{at}/docs/guide.md#L14">14:16</a>"#)),
            "{html}"
        );
        assert!(
            html.contains(&format!(r#"<a href="{at}/README.md#L16">"#)),
            "{html}"
        );
        assert!(
            html.contains(&format!(r#"<a href="{at}/docs/guide.md">"#)),
            "{html}"
        );
        // A path outside the workspace gets no link rather than a broken one.
        assert!(
            html.contains(
                "<h3>/elsewhere/README.md:12</h3>\n<p>/elsewhere/README.md:12 · Demo</p>"
            ),
            "{html}"
        );
        assert!(!html.contains(r#"href="/"#), "{html}");
    }

    /// A report of `count` regressed examples, each with a long diagnostic.
    fn huge(count: u32) -> Report {
        let mut report = sample::report();
        let template = report.snippets[1].clone();
        report.snippets = (0..count)
            .map(|i| {
                let mut row = template.clone();
                row.id = format!("guide-{i:08x}");
                row.line = 10 + i * 6;
                row.baseline = Some(Change::Regressed);
                row.headings = vec!["Guide".to_owned(), format!("Part {}", i / 50)];
                row.suggestion = Some(
                    "rename `counte` to `counter`, the local variable defined two lines above"
                        .to_owned(),
                );
                row
            })
            .collect();
        report.files[0].fail = count;
        report.totals.fail = count;
        report.baseline = Some(crate::report::BaselineSummary::default());
        report.fail_on = Some(FailOn::Regressed);
        report
    }

    #[test]
    fn a_huge_report_fits_the_budget_with_its_headline_and_failures() {
        let report = huge(20_000);
        let markdown = render_markdown(&report, &BTreeMap::new(), &MarkdownOptions::default());
        assert!(
            markdown.len() <= JOB_SUMMARY_BUDGET,
            "{} bytes",
            markdown.len()
        );
        assert!(
            headline(&markdown).starts_with("❌ **20000 regressions** · "),
            "{}",
            headline(&markdown)
        );
        assert!(markdown.contains("> **This page was cut to fit GitHub's 1 MiB job summary:** it leaves out the table of examples, the failures' details (listed in short). The JSON"), "{}", &markdown[..2000]);
        assert!(markdown.contains("## Failures the baseline does not know (20000)\n\n- [docs/guide.md:10](docs/guide.md#L10) · Guide › Part 0: "));
        assert!(
            markdown
                .trim_end()
                .ends_with("more, left out to fit the page"),
            "{}",
            &markdown[markdown.len() - 500..]
        );
        assert_eq!(
            markdown.matches("<details>").count(),
            markdown.matches("</details>").count()
        );
        let html = to_html(&markdown);
        assert_tables_intact(&html);
    }

    #[test]
    fn an_over_budget_page_drops_the_least_important_sections_first() {
        let report = huge(30);
        let full = render_markdown(
            &report,
            &BTreeMap::new(),
            &MarkdownOptions {
                budget: None,
                ..MarkdownOptions::default()
            },
        );
        assert!(full.contains("## Examples (30)"));
        // Just too long: the table of examples goes, the failures stay whole.
        let options = MarkdownOptions {
            budget: Some(full.len() + NOTE_RESERVE - 10),
            ..MarkdownOptions::default()
        };
        let cut = render_markdown(&report, &BTreeMap::new(), &options);
        assert!(cut.len() <= full.len() + NOTE_RESERVE - 10);
        assert!(!cut.contains("## Examples"), "{cut}");
        assert!(
            cut.contains("it leaves out the table of examples. "),
            "{cut}"
        );
        assert_eq!(cut.matches("### docs/guide.md:").count(), 30);
        // Within budget: nothing is cut.
        let whole = render_markdown(&report, &BTreeMap::new(), &MarkdownOptions::default());
        assert_eq!(whole, full);
    }
}
