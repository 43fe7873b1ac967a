//! The GitHub Actions view of a report: workflow commands that annotate lines.
//!
//! A step that prints `::error file=…,line=…::message` makes GitHub show the
//! message on that line of the pull request's diff and in the run's summary,
//! with no upload or extra permission. So this view prints one such command per
//! located finding of a failing or warning example (the same findings the SARIF
//! view reports), at the Markdown line where the example needs fixing.
//!
//! Workflow commands are a line protocol: a value that carries a newline, a
//! `%`, or (in a property) a `:` or `,` would end the command early or corrupt
//! it, so every value is escaped as GitHub's runner expects (`%25`, `%0D`,
//! `%0A`, and `%3A`, `%2C` in properties); other control characters are shown
//! as `escape::visible` shows them, so no raw `ESC` or NUL reaches the log.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::Report;
use super::escape::{self, Breaks};
use super::sarif::{Finding, Severity, findings};

/// Renders one workflow command per finding, one per line, in report order.
///
/// A diagnostic that several toolchains reported identically is printed once,
/// since GitHub would show the same annotation twice. Problems of the blocks
/// (an unterminated fence) and of the run become warnings.
pub fn render_github(report: &Report) -> String {
    let mut lines: Vec<String> = findings(report).iter().map(command).collect();

    let block_problems = report.snippets.iter().flat_map(|snippet| {
        snippet.problems.iter().map(move |problem| {
            format!(
                "::warning file={},line={},title={}::{}",
                escape_property(&snippet.file),
                snippet.line.max(1),
                escape_property("snipcheck"),
                escape_data(problem),
            )
        })
    });
    lines.extend(block_problems);

    match &report.confinement {
        Some(confinement) if !confinement.confined => lines.push(format!(
            "::warning title=snipcheck::{}",
            escape_data(&format!(
                "the builds were not confined: {}",
                confinement.summary
            ))
        )),
        Some(confinement) => lines.push(format!(
            "::notice title=snipcheck::{}",
            escape_data(&confinement.summary)
        )),
        None => {}
    }
    for problem in &report.problems {
        let message = match &problem.subject {
            Some(subject) => format!("{subject}: {}", problem.message),
            None => problem.message.clone(),
        };
        lines.push(format!(
            "::warning title=snipcheck::{}",
            escape_data(&message)
        ));
    }
    for toolchain in report
        .toolchains
        .iter()
        .filter(|toolchain| !toolchain.installed)
    {
        let message = toolchain.missing_message();
        lines.push(format!(
            "::warning title=snipcheck::{}",
            escape_data(&message)
        ));
    }

    let mut seen = BTreeSet::new();
    let mut text = String::new();
    for line in lines {
        if seen.insert(line.clone()) {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
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
    let _ = write!(properties, ",title={}", escape_property(&finding.rule));
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
        assert!(line.ends_with("::first%0Asecond%0D%0Athird, 100%25: done%0Anot found in this scope%0Ahelp: a local variable with a similar name exists: `counter`"), "{line}");
    }

    #[test]
    fn notes_are_notices_and_wrapper_spans_say_so() {
        let mut report = sample::report();
        if let Some(diagnostic) = report.snippets[1].diagnostics.first_mut() {
            diagnostic.level = "note".to_owned();
            diagnostic.in_wrapper = true;
        }
        let text = render_github(&report);
        let line = text
            .lines()
            .find(|line| line.contains("title=E0425"))
            .expect("the changed diagnostic is printed");
        assert!(
            line.starts_with("::notice file=docs/guide.md,line=14,"),
            "{line}"
        );
        assert!(
            line.contains("snipcheck wrapped around the example"),
            "{line}"
        );
        // Without an error or warning left, the failure is also stated at the fence.
        assert!(text.contains("::error file=docs/guide.md,line=11,title=snipcheck%3A%3Acompile::"));
    }

    #[test]
    fn duplicates_from_several_toolchains_are_printed_once() {
        let mut report = sample::report();
        let mut again = report.snippets[1].clone();
        again.toolchain = Some("beta".to_owned());
        report.snippets.push(again);
        let text = render_github(&report);
        assert_eq!(text.matches("title=E0425").count(), 1);
    }
}
