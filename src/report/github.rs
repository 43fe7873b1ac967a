//! The GitHub Actions view of a report: workflow commands that annotate lines.
//!
//! A step that prints `::error file=…,line=…::message` makes GitHub show the
//! message on that line of the pull request's diff and in the run's summary,
//! with no upload or extra permission. So this view prints one such command per
//! failing or warning example (the same findings the SARIF view reports), at
//! the Markdown line where the example needs fixing, titled with its cause
//! (`snipcheck: code-bug (regressed)`) and carrying its suggestion.
//!
//! The kind of command says what the example does to the run, as SARIF's level
//! does: `::error` only for a row the run's `--fail-on` counts
//! (`Report::fails_run`), so a passing run shows no error; `::notice` for a
//! known failure (the baseline records it as failing); `::warning` for a
//! failure that is neither (a new failure under `--fail-on regressed`, any
//! failure under `--fail-on never`), for an example that only warns, and for
//! the problems of the blocks and of the run.
//!
//! GitHub shows at most 10 error, 10 warning and 10 notice annotations per
//! step, and 50 per job (actions/toolkit, `docs/problem-matchers.md`,
//! "Limitations"); a command past the limit is dropped silently. So the
//! commands are printed most important first (errors, then warnings: failures
//! before the run's problems, the blocks' problems and lint warnings; then
//! notices), at most [`ANNOTATIONS_PER_KIND`] of each kind, and when any is
//! left out, one last `::notice` (it takes the tenth notice's place) says how
//! many of each kind were, and that the report has them all.
//!
//! Workflow commands are a line protocol: a value that carries a newline, a
//! `%`, or (in a property) a `:` or `,` would end the command early or corrupt
//! it, so every value is escaped as GitHub's runner expects (`%25`, `%0D`,
//! `%0A`, and `%3A`, `%2C` in properties); other control characters are shown
//! as `escape::visible` shows them, so no raw `ESC` or NUL reaches the log.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::escape::{self, Breaks};
use super::sarif::{Finding, Severity, findings};
use super::{Report, Status};

/// How many annotations of one kind (error, warning, notice) GitHub shows per step.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Renders the workflow commands, one per line, most important first and
/// within GitHub's limits (see the module documentation).
///
/// An annotation that several toolchains reported identically is printed
/// once, since GitHub would show the same annotation twice.
pub fn render_github(report: &Report) -> String {
    let findings = findings(report);
    let of = |severity: Severity, status: Option<Status>| {
        findings
            .iter()
            .filter(move |f| f.severity == severity && status.is_none_or(|s| f.snippet.status == s))
            .map(|f| (f.severity, command(f)))
    };
    let mut annotations: Vec<(Severity, String)> = Vec::new();
    annotations.extend(of(Severity::Error, None));
    annotations.extend(of(Severity::Warning, Some(Status::Fail)));
    annotations.extend(run_warnings(report).map(|line| (Severity::Warning, line)));
    annotations.extend(block_problems(report).map(|line| (Severity::Warning, line)));
    annotations.extend(of(Severity::Warning, Some(Status::Warn)));
    annotations.extend(of(Severity::Note, None));
    if let Some(confinement) = report.confinement.as_ref().filter(|c| c.confined) {
        annotations.push((
            Severity::Note,
            format!(
                "::notice title=snipcheck::{}",
                escape_data(&confinement.summary)
            ),
        ));
    }

    let mut seen = BTreeSet::new();
    annotations.retain(|(_, line)| seen.insert(line.clone()));
    within_limits(annotations)
}

/// The annotations that GitHub will show, in order, and a last notice that
/// counts the ones left out.
fn within_limits(annotations: Vec<(Severity, String)>) -> String {
    let kinds = [Severity::Error, Severity::Warning, Severity::Note];
    let count = |kind: Severity| annotations.iter().filter(|(k, _)| *k == kind).count();
    let overflow = kinds.iter().any(|kind| count(*kind) > ANNOTATIONS_PER_KIND);
    let room = |kind: Severity| match kind {
        // The summary takes the place of the last notice.
        Severity::Note if overflow => ANNOTATIONS_PER_KIND - 1,
        _ => ANNOTATIONS_PER_KIND,
    };
    let mut shown = [0usize; 3];
    let mut text = String::new();
    for (kind, line) in &annotations {
        let index = kinds.iter().position(|k| k == kind).unwrap_or(0);
        if shown[index] < room(*kind) {
            shown[index] += 1;
            text.push_str(line);
            text.push('\n');
        }
    }
    if overflow {
        let left: Vec<String> = kinds
            .iter()
            .zip(["error", "warning", "notice"])
            .zip(shown)
            .map(|((kind, name), shown)| (count(*kind) - shown, name))
            .filter(|(left, _)| *left > 0)
            .map(|(left, name)| format!("{left} {name}{}", if left == 1 { "" } else { "s" }))
            .collect();
        let total = annotations.len() - shown.iter().sum::<usize>();
        let message = format!(
            "{total} more {} not shown ({}): GitHub shows {ANNOTATIONS_PER_KIND} errors, {ANNOTATIONS_PER_KIND} warnings and {ANNOTATIONS_PER_KIND} notices per step; see the report for every failing example",
            if total == 1 {
                "annotation"
            } else {
                "annotations"
            },
            left.join(", ")
        );
        let _ = writeln!(text, "::notice title=snipcheck::{}", escape_data(&message));
    }
    text
}

/// The run's own warnings: builds that were not confined, the run's problems
/// and the toolchains that are not installed.
fn run_warnings(report: &Report) -> impl Iterator<Item = String> + '_ {
    let unconfined = report
        .confinement
        .iter()
        .filter(|confinement| !confinement.confined)
        .map(|confinement| format!("the builds were not confined: {}", confinement.summary));
    unconfined
        .chain(report.run_messages())
        .map(|message| format!("::warning title=snipcheck::{}", escape_data(&message)))
}

/// The problems of the blocks (an unterminated fence), at their fences.
fn block_problems(report: &Report) -> impl Iterator<Item = String> + '_ {
    report.snippets.iter().flat_map(|snippet| {
        snippet.problems.iter().map(move |problem| {
            format!(
                "::warning file={},line={},title={}::{}",
                escape_property(&snippet.file),
                snippet.line.max(1),
                escape_property("snipcheck"),
                escape_data(problem),
            )
        })
    })
}

/// The workflow command of one finding.
fn command(finding: &Finding<'_>) -> String {
    let name = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    };
    let region = finding.region;
    let mut properties = format!(
        "file={},line={}",
        escape_property(finding.file),
        region.start_line
    );
    if let Some(column) = region.start_column {
        let _ = write!(properties, ",col={column}");
    }
    if let Some((end_line, end_column)) = region.end {
        let _ = write!(properties, ",endLine={end_line},endColumn={end_column}");
    }
    let _ = write!(properties, ",title={}", escape_property(&finding.title()));
    format!(
        "::{name} {properties}::{}",
        escape_data(&finding.full_text())
    )
}

/// Escapes a command's message, as the runner's `escapeData` does, after
/// showing its other control characters (`ESC` → `␛`, see `escape::visible`).
pub fn escape_data(value: &str) -> String {
    escape::visible(value, Breaks::Keep)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value, as the runner's `escapeProperty` does:
/// the message escapes plus `:` and `,`, which separate properties.
pub fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::sample;
    use crate::report::sarif::fixtures;
    use crate::report::{Change, FailOn};

    #[test]
    fn github_snapshot() {
        insta::assert_snapshot!(render_github(&sample::report()));
    }

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("100%"), "100%25");
        assert_eq!(escape_data("a\r\nb"), "a%0D%0Ab");
        // An escape sequence in the input must not be read as one by the runner.
        assert_eq!(escape_data("%0A"), "%250A");
        // Colons and commas are left alone in a message.
        assert_eq!(escape_data("a: b, c"), "a: b, c");
    }

    #[test]
    fn properties_also_escape_colons_and_commas() {
        assert_eq!(
            escape_property("clippy::needless_return"),
            "clippy%3A%3Aneedless_return"
        );
        assert_eq!(escape_property("a,b"), "a%2Cb");
        assert_eq!(escape_property("50%\n"), "50%25%0A");
        assert_eq!(escape_property("docs/guide.md"), "docs/guide.md");
    }

    #[test]
    fn every_line_is_one_command() {
        let text = render_github(&sample::report());
        for line in text.lines() {
            assert!(
                line.starts_with("::error ")
                    || line.starts_with("::warning ")
                    || line.starts_with("::notice "),
                "{line}"
            );
            // The command's properties end at the first `::` after the name;
            // nothing unescaped may hide another separator inside them.
            let rest = line.trim_start_matches("::");
            let (_, after_name) = rest.split_once(' ').unwrap_or_default();
            let (properties, _) = after_name.split_once("::").unwrap_or_default();
            for property in properties.split(',') {
                assert!(property.contains('='), "{property} in {line}");
            }
        }
    }

    #[test]
    fn multi_line_messages_stay_on_one_line() {
        let mut report = sample::report();
        if let Some(diagnostic) = report.snippets[1].diagnostics.first_mut() {
            diagnostic.message = "first\nsecond\r\nthird, 100%: done".to_owned();
        }
        let text = render_github(&report);
        let line = text
            .lines()
            .find(|line| line.contains("first"))
            .expect("the changed diagnostic is printed");
        assert!(line.ends_with("::error[E0425]: first%0Asecond%0D%0Athird, 100%25: done%0Anot found in this scope%0Ahelp: a local variable with a similar name exists: `counter`"), "{line}");
    }

    #[test]
    fn wrapper_spans_say_so_and_a_failure_without_an_error_is_at_its_fence() {
        let mut report = sample::report();
        if let Some(diagnostic) = report.snippets[1].diagnostics.first_mut() {
            diagnostic.in_wrapper = true;
        }
        let text = render_github(&report);
        let line = text
            .lines()
            .find(|line| line.contains("E0425"))
            .expect("the changed diagnostic is printed");
        assert!(
            line.starts_with("::error file=docs/guide.md,line=14,"),
            "{line}"
        );
        assert!(
            line.contains("snipcheck wrapped around the example"),
            "{line}"
        );
        // A diagnostic that is only a note does not explain a failure: the
        // failure is stated at the fence, and the note is not an annotation.
        if let Some(diagnostic) = report.snippets[1].diagnostics.first_mut() {
            diagnostic.level = "note".to_owned();
        }
        let text = render_github(&report);
        assert!(
            text.contains(
                "::error file=docs/guide.md,line=11,title=snipcheck%3A compile::the compiler rejects the example"
            ),
            "{text}"
        );
        assert!(!text.contains("line=14"), "{text}");
    }

    /// The annotations of `text` as (command, file, line, title), in order.
    fn annotations(text: &str) -> Vec<(String, String, String, String)> {
        text.lines()
            .filter_map(|line| {
                let rest = line.strip_prefix("::")?;
                let (name, rest) = rest.split_once(' ')?;
                let (properties, _) = rest.split_once("::")?;
                let property = |key: &str| {
                    properties
                        .split(',')
                        .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
                        .unwrap_or("-")
                        .replace("%3A", ":")
                        .replace("%2C", ",")
                };
                Some((
                    name.to_owned(),
                    property("file"),
                    property("line"),
                    property("title"),
                ))
            })
            .collect()
    }

    #[test]
    fn only_what_fails_the_run_is_an_error() {
        let at = |name: &str, file: &str, line: &str, title: &str| {
            (
                name.to_owned(),
                file.to_owned(),
                line.to_owned(),
                title.to_owned(),
            )
        };
        let regressed = at(
            "error",
            "docs/guide.md",
            "14",
            "snipcheck: compile (regressed)",
        );
        let known = at(
            "notice",
            "docs/guide.md",
            "28",
            "snipcheck: compile-fail-mismatch (known failure)",
        );
        let edited = at(
            "notice",
            "README.md",
            "13",
            "snipcheck: unknown-crate (known failure, edited)",
        );
        let new = |name| at(name, "README.md", "17", "snipcheck: compile (new failure)");
        let lint = at("warning", "README.md", "6", "snipcheck: lint");
        let missing = at("warning", "-", "-", "snipcheck");
        // Under `regressed`, the new failure is a warning: not counted, not known.
        let text = render_github(&fixtures::compared(FailOn::Regressed));
        assert_eq!(
            annotations(&text),
            [
                regressed.clone(),
                new("warning"),
                missing.clone(),
                missing.clone(),
                lint.clone(),
                known.clone(),
                edited.clone(),
            ],
            "{text}"
        );
        // Under `new`, it is counted: an error, printed with the regression.
        let text = render_github(&fixtures::compared(FailOn::New));
        assert_eq!(
            annotations(&text),
            [
                regressed,
                new("error"),
                missing.clone(),
                missing,
                lint,
                known,
                edited,
            ],
            "{text}"
        );
    }

    #[test]
    fn the_suggestion_is_in_the_message() {
        let mut report = sample::report();
        report.snippets[1].suggestion = Some("rename `counte`, then run again".to_owned());
        let text = render_github(&report);
        let line = text.lines().next().unwrap_or_default();
        assert!(
            line.ends_with("%0Asuggestion: rename `counte`, then run again"),
            "{line}"
        );
    }

    #[test]
    fn past_the_limits_the_most_important_are_shown_and_the_rest_counted() {
        // 12 regressions, 3 new failures, 14 known failures under `regressed`.
        let mut report = fixtures::compared(FailOn::Regressed);
        let template = report.snippets[1].clone();
        report.snippets.clear();
        report.problems.clear();
        report.toolchains.clear();
        let rows = [
            (Change::Regressed, 12),
            (Change::New, 3),
            (Change::StillFailing, 14),
        ];
        let mut line = 100;
        for (change, count) in rows {
            for _ in 0..count {
                let mut row = template.clone();
                row.baseline = Some(change);
                line += 10;
                row.line = line;
                row.id = format!("guide-{line:08x}");
                for diagnostic in &mut row.diagnostics {
                    diagnostic.line = line + 1;
                    diagnostic.end_line = line + 1;
                }
                report.snippets.push(row);
            }
        }
        let text = render_github(&report);
        let kinds: Vec<String> = annotations(&text).into_iter().map(|a| a.0).collect();
        let count = |name: &str| kinds.iter().filter(|kind| *kind == name).count();
        assert_eq!(count("error"), ANNOTATIONS_PER_KIND, "{text}");
        assert_eq!(count("warning"), 3, "{text}");
        // Nine known failures and the summary: ten notices.
        assert_eq!(count("notice"), ANNOTATIONS_PER_KIND, "{text}");
        // The first ten regressions are the ones shown, errors first.
        assert!(kinds[..10].iter().all(|kind| kind == "error"), "{kinds:?}");
        assert!(text.contains("line=111,"), "{text}");
        assert!(!text.contains("line=221,"), "{text}");
        let last = text.lines().last().unwrap_or_default();
        assert_eq!(
            last,
            "::notice title=snipcheck::7 more annotations not shown (2 errors, 5 notices): GitHub shows 10 errors, 10 warnings and 10 notices per step; see the report for every failing example"
        );

        // Within the limits, nothing is summarised.
        report.snippets.truncate(10);
        let text = render_github(&report);
        assert!(!text.contains("more annotations not shown"), "{text}");
    }

    #[test]
    fn duplicates_from_several_toolchains_are_printed_once() {
        let mut report = sample::report();
        let mut again = report.snippets[1].clone();
        again.toolchain = Some("beta".to_owned());
        report.snippets.push(again);
        let text = render_github(&report);
        assert_eq!(text.matches("error[E0425]").count(), 1);
    }
}
