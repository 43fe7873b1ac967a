//! Report text made safe to print: no control byte, no CI workflow command.
//!
//! Everything a report carries (file names, headings, messages, labels, notes,
//! suggestions) may come from a stranger's document or from what the compiler
//! echoed back of it. Printed raw, an escape sequence (`ESC [2J`) rewrites the
//! reader's terminal, a NUL or a lone carriage return hides text, and on
//! GitHub Actions a line that starts with `::` (after whitespace, which the
//! runner trims) or that holds `##[` anywhere (the runner's older command
//! form) is executed as a workflow command: an annotation, a masked value, or
//! `stop-commands`, which silences every later annotation of the step.
//!
//! So every view but JSON and SARIF (serde already writes control characters
//! as `\u001b` there) shows its data through this module:
//!
//! - [`visible`] turns control characters into visible ones, the way rustc
//!   and annotate-snippets show them in source lines: C0 characters and DEL
//!   become their Unicode control pictures (`ESC` → `␛`, NUL → `␀`, a line
//!   feed in a file name → `␊`), one character for one so columns stay true;
//!   C1 characters, which have no picture, become Rust's escape (`\u{9b}`).
//!   Text that may span lines ([`Breaks::Keep`]) keeps its line feeds, tabs
//!   and the carriage return of a CRLF; a file name never does.
//! - [`report`] and [`sources`] apply it to every string of a report (file
//!   names with [`Breaks::Escape`]) and to the documents a view quotes.
//! - [`neutralize_commands`] is the last pass over text bound for a CI log:
//!   a line that would start with `::` gets a backslash before it (`\::`),
//!   and `##[` becomes `##\[` (or `##\u005b` inside JSON, where it means the
//!   same string). A stateless rewrite of each line was preferred to wrapping
//!   the output in `::stop-commands::<token>`: it needs no random token, holds
//!   for lines printed outside the wrapper (a progress note, an error) and for
//!   a log that is printed again in a later step, and cannot leave commands
//!   stopped when a run is interrupted.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use super::Report;

/// Whether a text may keep its line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breaks {
    /// A message, a note: `\n`, `\t` and the `\r` of a `\r\n` stay.
    Keep,
    /// A file name, a heading, a property: every control character is shown.
    Escape,
}

/// `text` with every control character replaced by a visible form (see the
/// module documentation); borrowed when there is nothing to replace.
pub fn visible(text: &str, breaks: Breaks) -> Cow<'_, str> {
    let mut chars = text.chars().peekable();
    let mut out: Option<String> = None;
    let mut consumed = 0;
    while let Some(c) = chars.next() {
        let kept = match c {
            '\n' | '\t' => breaks == Breaks::Keep,
            '\r' => breaks == Breaks::Keep && chars.peek() == Some(&'\n'),
            _ => !c.is_control(),
        };
        if kept {
            if let Some(out) = out.as_mut() {
                out.push(c);
            }
        } else {
            let out = out.get_or_insert_with(|| {
                let mut out = String::with_capacity(text.len() + 8);
                out.push_str(&text[..consumed]);
                out
            });
            push_visible(c, out);
        }
        consumed += c.len_utf8();
    }
    match out {
        Some(out) => Cow::Owned(out),
        None => Cow::Borrowed(text),
    }
}

/// Appends the visible form of the control character `c`.
fn push_visible(c: char, out: &mut String) {
    let code = u32::from(c);
    let picture = match code {
        0..=0x1f => char::from_u32(0x2400 + code),
        0x7f => Some('\u{2421}'),
        _ => None,
    };
    match picture {
        Some(picture) => out.push(picture),
        None => out.push_str(&format!("\\u{{{code:x}}}")),
    }
}

/// The object keys whose string values are file names or paths: they are
/// shown on one line wherever they appear.
const ONE_LINE_KEYS: &[&str] = &["file", "path", "subject", "id", "headings"];

/// A copy of `report` whose every string has passed through [`visible`]:
/// file names, paths and headings on one line, other text with its breaks.
///
/// The copy is made through the report's serde form, so a field added to the
/// model later is covered without a change here. A report that would not come
/// back (which the model's tests rule out) is returned as it was.
pub fn report(report: &Report) -> Report {
    let Ok(mut value) = serde_json::to_value(report) else {
        return report.clone();
    };
    clean_value(&mut value, Breaks::Keep);
    serde_json::from_value(value).unwrap_or_else(|_| report.clone())
}

/// Walks `value`, replacing every string (map keys too) by its visible form.
fn clean_value(value: &mut Value, breaks: Breaks) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = visible(text, breaks) {
                *text = clean;
            }
        }
        Value::Array(items) => {
            for item in items {
                clean_value(item, breaks);
            }
        }
        Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                let inner = if ONE_LINE_KEYS.contains(&key.as_str()) {
                    Breaks::Escape
                } else {
                    breaks
                };
                clean_value(&mut item, inner);
                map.insert(visible(&key, Breaks::Escape).into_owned(), item);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The documents a view quotes, keyed as in a [`report`] copy (file names on
/// one line) and with their text made visible but for its line structure.
pub fn sources(sources: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    sources
        .iter()
        .map(|(file, text)| {
            (
                visible(file, Breaks::Escape).into_owned(),
                visible(text, Breaks::Keep).into_owned(),
            )
        })
        .collect()
}

/// JSON text (serde's) with DEL and the C1 characters, which serde writes
/// raw, written as `\u007f`..`\u009f` escapes: the same strings, no raw
/// control byte. Outside strings JSON has no such character, so the
/// rewrite is exact.
pub fn json_controls(json: String) -> String {
    if !json.contains(|c: char| ('\u{7f}'..='\u{9f}').contains(&c)) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if ('\u{7f}'..='\u{9f}').contains(&c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// How a view writes the `[` of a `##[` it has to break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quoting {
    /// Plain text and Markdown: `##\[` (Markdown shows it as `##[`).
    Backslash,
    /// JSON, where `##[` can only be inside a string: `##\u005b`.
    Json,
}

/// `text` with nothing GitHub's runner would execute: a line whose first
/// character after whitespace (and after the terminal's own escape
/// sequences) starts `::` gets a backslash there, and every `##[` is broken.
/// Lines end at `\n` or at a lone `\r`, as the runner reads them.
pub fn neutralize_commands(text: &str, quoting: Quoting) -> Cow<'_, str> {
    if !text.contains("::") && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['\n', '\r']).map_or(rest.len(), |end| end + 1);
        let (line, after) = rest.split_at(end);
        let start = command_start(line);
        let (head, tail) = line.split_at(start);
        out.push_str(head);
        if tail.starts_with("::") {
            out.push('\\');
        }
        match quoting {
            Quoting::Backslash => out.push_str(&tail.replace("##[", "##\\[")),
            Quoting::Json => out.push_str(&tail.replace("##[", "##\\u005b")),
        }
        rest = after;
    }
    Cow::Owned(out)
}

/// The byte offset in `line` after leading whitespace and ANSI escape
/// sequences, where the runner would look for `::`.
fn command_start(line: &str) -> usize {
    let mut index = 0;
    loop {
        let rest = &line[index..];
        if let Some(sequence) = rest.strip_prefix("\u{1b}[") {
            // A control sequence ends at its first byte in `@`..=`~`.
            let end = sequence
                .find(|c: char| ('@'..='~').contains(&c))
                .map_or(sequence.len(), |end| end + 1);
            index += 2 + end;
        } else if let Some(c) = rest
            .chars()
            .next()
            .filter(|c| c.is_whitespace() && *c != '\n' && *c != '\r')
        {
            index += c.len_utf8();
        } else {
            return index;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Whether `text` holds a control character other than `\n` and `\t`
    /// (and, when `escapes` allows it, the `ESC` of a color sequence).
    pub(crate) fn has_raw_control(text: &str, escapes: bool) -> bool {
        text.replace("\r\n", "\n")
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && !(escapes && c == '\u{1b}'))
    }

    #[test]
    fn control_characters_become_visible() {
        let cases: &[(&str, Breaks, &str)] = &[
            ("plain text", Breaks::Escape, "plain text"),
            ("a\u{1b}[2Jb", Breaks::Keep, "a␛[2Jb"),
            ("nul\u{0}here", Breaks::Keep, "nul␀here"),
            ("del\u{7f}", Breaks::Keep, "del␡"),
            ("csi\u{9b}2J", Breaks::Keep, "csi\\u{9b}2J"),
            ("nel\u{85}", Breaks::Escape, "nel\\u{85}"),
            ("two\nlines\tand tab", Breaks::Keep, "two\nlines\tand tab"),
            ("two\nlines\tand tab", Breaks::Escape, "two␊lines␉and tab"),
            ("crlf\r\nend", Breaks::Keep, "crlf\r\nend"),
            ("lone\rcr", Breaks::Keep, "lone␍cr"),
            ("crlf\r\n", Breaks::Escape, "crlf␍␊"),
            (
                "doc\n::error file=x::pwned.md",
                Breaks::Escape,
                "doc␊::error file=x::pwned.md",
            ),
            ("é ünïcode ✓", Breaks::Escape, "é ünïcode ✓"),
        ];
        for (input, breaks, expected) in cases {
            assert_eq!(visible(input, *breaks), *expected, "{input:?} {breaks:?}");
            assert!(!has_raw_control(&visible(input, *breaks), false));
        }
        assert!(matches!(visible("clean", Breaks::Keep), Cow::Borrowed(_)));
    }

    #[test]
    fn lines_that_would_be_workflow_commands_are_broken() {
        let cases: &[(&str, &str)] = &[
            ("error: fine\n", "error: fine\n"),
            ("::error file=x::pwned\n", "\\::error file=x::pwned\n"),
            ("  ::warning::x", "  \\::warning::x"),
            ("a\n\t::notice::x\nb", "a\n\t\\::notice::x\nb"),
            ("a\r::error::x", "a\r\\::error::x"),
            ("\u{a0}\u{2003}::error::x", "\u{a0}\u{2003}\\::error::x"),
            (
                "\u{1b}[1m::error::x\u{1b}[0m",
                "\u{1b}[1m\\::error::x\u{1b}[0m",
            ),
            ("  \u{1b}[0m  ::x", "  \u{1b}[0m  \\::x"),
            ("note: a::b::c", "note: a::b::c"),
            ("x ##[error]pwned", "x ##\\[error]pwned"),
            ("::", "\\::"),
        ];
        for (input, expected) in cases {
            let out = neutralize_commands(input, Quoting::Backslash);
            assert_eq!(out, *expected, "{input:?}");
            assert!(!is_command_line(&out), "{out:?}");
        }
        assert_eq!(
            neutralize_commands("\"m\": \"##[error]x\"", Quoting::Json),
            "\"m\": \"##\\u005berror]x\""
        );
    }

    /// Whether any line of `text` is one the runner would execute.
    pub(crate) fn is_command_line(text: &str) -> bool {
        text.split(['\n', '\r'])
            .any(|line| line.trim_start().starts_with("::") || line.contains("##["))
    }

    #[test]
    fn a_clean_report_comes_back_unchanged() {
        let sample = crate::report::markdown::sample::report();
        assert_eq!(report(&sample), sample);
    }

    #[test]
    fn a_report_copy_has_visible_strings_and_one_line_file_names() {
        let mut hostile = crate::report::markdown::sample::report();
        hostile.snippets[1].file = "docs/\u{1b}[2Jx\n::error file=x::pwned.md".to_owned();
        hostile.snippets[1].headings = vec!["a\nb".to_owned()];
        if let Some(diagnostic) = hostile.snippets[1].diagnostics.first_mut() {
            diagnostic.message = "one\n::warning::x\u{0}".to_owned();
        }
        let clean = report(&hostile);
        assert_eq!(
            clean.snippets[1].file,
            "docs/␛[2Jx␊::error file=x::pwned.md"
        );
        assert_eq!(clean.snippets[1].headings, ["a␊b"]);
        assert_eq!(
            clean.snippets[1].diagnostics[0].message,
            "one\n::warning::x␀"
        );
        let sources = sources(&BTreeMap::from([(
            "a\nb.md".to_owned(),
            "x\u{1b}y\r\nz".to_owned(),
        )]));
        assert_eq!(sources.get("a␊b.md").map(String::as_str), Some("x␛y\r\nz"));
    }
}

/// Every view of a report whose strings are hostile: none prints a raw
/// control byte or a line a CI runner would execute.
#[cfg(test)]
mod views {
    use std::collections::BTreeMap;

    use super::tests::{has_raw_control, is_command_line};
    use crate::report::markdown::sample;
    use crate::report::{Report, github, human, json, junit, markdown, sarif};

    /// A hostile spelling of a file name and one of a message.
    struct Case {
        file: &'static str,
        message: &'static str,
    }

    const CASES: &[Case] = &[
        Case {
            file: "docs/guide\n::error file=x::pwned.md",
            message: "plain",
        },
        Case {
            file: "docs/\u{1b}[2Jguide.md",
            message: "clear \u{1b}[2J the screen",
        },
        Case {
            file: "docs/nul\u{0}.md",
            message: "nul \u{0} byte\r and a lone carriage return",
        },
        Case {
            file: "docs/guide.md",
            message: "line one\n::warning::x\n  ::error file=evil::pwned\n##[error]old form",
        },
        Case {
            file: "docs/guide.md",
            message: "fence\n```\n</details><script>alert(1)</script>\n~~~\n[a](javascript:x)",
        },
        Case {
            file: "::error::x.md",
            message: "\u{9b}31m c1 \u{7f} del",
        },
    ];

    /// The sample report with the guide's rows, diagnostics and file summary
    /// renamed to `case.file`, and its first diagnostic saying `case.message`.
    fn hostile(case: &Case) -> (Report, BTreeMap<String, String>) {
        let mut report = sample::report();
        let rename = |file: &mut String| {
            if file == "docs/guide.md" {
                case.file.clone_into(file);
            }
        };
        for summary in &mut report.files {
            rename(&mut summary.file);
        }
        for snippet in &mut report.snippets {
            rename(&mut snippet.file);
            snippet.suggestion = Some(case.message.to_owned());
            for diagnostic in &mut snippet.diagnostics {
                rename(&mut diagnostic.file);
                case.message.clone_into(&mut diagnostic.message);
                diagnostic.label = Some(case.message.to_owned());
                diagnostic.notes = vec![format!("help: {}", case.message)];
            }
            snippet.problems = vec![case.message.to_owned()];
        }
        let mut sources = sample::sources();
        if let Some(text) = sources.remove("docs/guide.md") {
            sources.insert(
                case.file.to_owned(),
                format!("{text}\n::error::quoted\u{1b}[2J\n"),
            );
        }
        (report, sources)
    }

    #[test]
    fn every_view_says_how_the_builds_were_confined() {
        let sources = sample::sources();
        for confined in [true, false] {
            let mut report = sample::report();
            let summary = if confined {
                "builds confined by Landlock (ABI 7)"
            } else {
                "--unconfined: builds run with the user's rights"
            };
            report.confinement = Some(crate::report::ConfinementSummary {
                confined,
                summary: summary.to_owned(),
                ..Default::default()
            });
            let views = [
                human::render_human(&report, &sources, &human::HumanOptions { color: false }),
                github::render_github(&report),
                markdown::render_markdown(&report, &sources, &Default::default()),
                junit::render_junit(&report),
                sarif::render_sarif(&report),
            ];
            for view in views {
                // Markdown and XML escape the apostrophe; the rest is verbatim.
                let said = summary.split('\'').next().unwrap_or(summary);
                assert!(view.contains(said), "{summary:?} missing:\n{view}");
                if !confined && !view.contains("<testsuite") && !view.contains("\"runs\"") {
                    assert!(view.contains("not confined"), "{view}");
                }
            }
        }
    }

    #[test]
    fn no_view_carries_a_control_byte_or_a_command() {
        for case in CASES {
            let (report, sources) = hostile(case);
            let at = format!("{:?} / {:?}", case.file, case.message);

            for color in [false, true] {
                let text = human::render_human(&report, &sources, &human::HumanOptions { color });
                assert!(!has_raw_control(&text, color), "human {at}:\n{text}");
                assert!(!text.contains("\u{1b}[2J"), "human {at}:\n{text}");
                assert!(!is_command_line(&text), "human {at}:\n{text}");
            }

            let text = github::render_github(&report);
            assert!(!has_raw_control(&text, false), "github {at}:\n{text}");
            for line in text.lines() {
                let rest = line.strip_prefix("::").unwrap_or_default();
                let (name, rest) = rest.split_once(' ').unwrap_or_default();
                assert!(["error", "warning", "notice"].contains(&name), "{line}");
                let (properties, _message) = rest.split_once("::").unwrap_or_default();
                for property in properties.split(',') {
                    let (_, value) = property.split_once('=').unwrap_or_default();
                    assert!(!value.contains([':', ',', '\n', '\r']), "{line}");
                }
            }

            let text = markdown::render_markdown(&report, &sources, &Default::default());
            assert!(!has_raw_control(&text, false), "markdown {at}:\n{text}");
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&text));
            let clean = markdown::render_markdown(
                &sample::report(),
                &sample::sources(),
                &Default::default(),
            );
            let mut clean_html = String::new();
            pulldown_cmark::html::push_html(&mut clean_html, pulldown_cmark::Parser::new(&clean));
            // The page folds sections in `<details>` of its own; a message adds none.
            assert!(!html.contains("<script"), "{html}");
            assert_eq!(
                html.matches("</details").count(),
                clean_html.matches("</details").count(),
                "{html}"
            );
            assert!(!html.contains("href=\"javascript"), "{html}");
            assert_eq!(
                html.matches("<pre>").count(),
                clean_html.matches("<pre>").count(),
                "a message opened or closed a code block: {at}:\n{text}"
            );

            let text = junit::render_junit(&report);
            assert!(!has_raw_control(&text, false), "junit {at}:\n{text}");

            // JSON is the contract: the same strings, written with serde's escapes.
            let text = json::render_json(&report);
            assert!(!has_raw_control(&text, false), "json {at}");
            let back: Report = serde_json::from_str(&text).expect("the JSON reads back");
            assert_eq!(back, report);

            let text = sarif::render_sarif(&report);
            assert!(!has_raw_control(&text, false), "sarif {at}");
        }
    }
}
