//! `--fmt`: what rustfmt would change in an example, and the edit that makes
//! the change in the Markdown.
//!
//! Only the code the reader sees is formatted: the visible lines between the
//! leading and trailing hidden `# ` lines. Items go to rustfmt as they are;
//! statements go wrapped in a `fn main() {}` that is taken off again. A
//! snippet whose hidden lines sit between visible ones (or whose formatted
//! statements cannot be unwrapped exactly) is reported as not formattable,
//! never rewritten. This module is pure: `cargo.rs` runs rustfmt.

use similar::TextDiff;

use crate::analyze::{CodeLine, Shape, Snippet};
use crate::fix::{DocEdit, block_prefix, newline_of};
use crate::text::LineIndex;

/// What rustfmt is given for one snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtInput {
    /// The text for rustfmt's stdin.
    pub text: String,
    /// The visible code, as the document has it (lines joined by `\n`, with a final `\n`).
    pub visible: String,
    /// The statements were wrapped in `fn main() {` .. `}`.
    pub wrapped_in_fn: bool,
    /// Snippet lines `first..end` are the visible code.
    pub first: usize,
    pub end: usize,
}

/// Why a snippet is not formatted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotFormattable {
    #[error("it has no visible code")]
    Empty,
    #[error("hidden `# ` lines sit between visible lines")]
    InterleavedHiddenLines,
    #[error("its visible code does not parse on its own")]
    DoesNotParse,
    #[error("it is not parsable Rust")]
    Unparsable,
    #[error("rustfmt failed: {0}")]
    Rustfmt(String),
    #[error("rustfmt's output could not be mapped back to the visible lines")]
    Unmappable,
}

/// rustfmt's verdict on one snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FmtResult {
    Formatted,
    /// The visible code as rustfmt would have it, and a unified diff.
    Changed {
        formatted: String,
        diff: String,
    },
    NotFormattable(NotFormattable),
}

/// The input for rustfmt: the visible lines, wrapped in a function when they
/// are statements.
pub fn input(snippet: &Snippet) -> Result<FmtInput, NotFormattable> {
    if matches!(snippet.shape, Shape::Unparsable(_) | Shape::TooLarge { .. }) {
        return Err(NotFormattable::Unparsable);
    }
    let code: Vec<&str> = snippet.code.split('\n').collect();
    let hidden = |l: &CodeLine| l.removed.len > 0;
    let visible_line = |i: usize| !hidden(&snippet.lines[i]) && !code[i].trim().is_empty();
    let count = snippet.lines.len().min(code.len());
    let first = (0..count)
        .find(|&i| visible_line(i))
        .ok_or(NotFormattable::Empty)?;
    let end = (0..count)
        .rev()
        .find(|&i| visible_line(i))
        .map_or(first + 1, |i| i + 1);
    if snippet.lines[first..end].iter().any(hidden) {
        return Err(NotFormattable::InterleavedHiddenLines);
    }
    let mut visible = code[first..end].join("\n");
    visible.push('\n');
    if syn::parse_file(&visible).is_ok() {
        return Ok(FmtInput {
            text: visible.clone(),
            visible,
            wrapped_in_fn: false,
            first,
            end,
        });
    }
    let text = format!("fn main() {{\n{visible}}}\n");
    if syn::parse_file(&text).is_err() || visible.trim_start().starts_with("#!") {
        return Err(NotFormattable::DoesNotParse);
    }
    Ok(FmtInput {
        text,
        visible,
        wrapped_in_fn: true,
        first,
        end,
    })
}

/// Compares rustfmt's output with the visible code.
pub fn result(input: &FmtInput, rustfmt_stdout: &str) -> FmtResult {
    let formatted = if input.wrapped_in_fn {
        match unwrap_main(rustfmt_stdout) {
            Some(body) => body,
            None => return FmtResult::NotFormattable(NotFormattable::Unmappable),
        }
    } else {
        rustfmt_stdout.to_string()
    };
    if formatted == input.visible {
        return FmtResult::Formatted;
    }
    let diff = TextDiff::from_lines(&input.visible, &formatted)
        .unified_diff()
        .context_radius(1)
        .header("as written", "as rustfmt writes it")
        .to_string();
    FmtResult::Changed { formatted, diff }
}

/// The body of `fn main() {\n...\n}\n`, one indentation level less.
fn unwrap_main(text: &str) -> Option<String> {
    let body = text.strip_prefix("fn main() {\n")?.strip_suffix("}\n")?;
    let mut out = String::new();
    for line in body.lines() {
        if line.is_empty() {
            out.push('\n');
            continue;
        }
        // A line rustfmt did not indent belongs to a multi-line literal whose
        // text must not change: give up rather than guess.
        out.push_str(line.strip_prefix("    ")?);
        out.push('\n');
    }
    Some(out)
}

/// The document edit that replaces a snippet's visible lines with `formatted`,
/// each line with the block's container prefix and the document's line ending.
pub fn doc_edit(
    doc: &str,
    lines: &[CodeLine],
    input: &FmtInput,
    formatted: &str,
) -> Option<DocEdit> {
    let index = LineIndex::new(doc);
    let first = lines.get(input.first)?;
    let last = lines.get(input.end.checked_sub(1)?)?;
    let start = index.line_start(first.origin.line)?;
    let end = index.line_content_end(doc, last.origin.line)?;
    let prefix = block_prefix(
        doc,
        &index,
        lines[input.first..input.end].iter().map(|l| l.origin),
    );
    let newline = newline_of(doc);
    let text = formatted
        .lines()
        .map(|line| {
            if line.is_empty() {
                prefix.trim_end().to_string()
            } else {
                format!("{prefix}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join(newline);
    Some(DocEdit {
        start,
        end,
        text,
        message: "formatted with rustfmt".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::extract::extract;
    use crate::fix::apply;

    fn snippet(doc: &str) -> Snippet {
        analyze(&extract(doc).into_iter().next().expect("a block"))
    }

    #[test]
    fn items_go_as_they_are_statements_wrapped() {
        let items = input(&snippet("```rust\nfn f(){}\n```\n")).expect("formattable");
        assert_eq!(
            (items.text.as_str(), items.wrapped_in_fn),
            ("fn f(){}\n", false)
        );
        let doc = "```rust\n# fn main() {\nlet v=1;\n\nprintln!(\"{v}\");\n# }\n```\n";
        let statements = input(&snippet(doc)).expect("formattable");
        assert_eq!(
            statements.text,
            "fn main() {\nlet v=1;\n\nprintln!(\"{v}\");\n}\n"
        );
        assert_eq!((statements.first, statements.end), (1, 4));
    }

    #[test]
    fn interleaved_hidden_lines_and_bad_output_are_not_formattable() {
        let doc = "```rust\nlet a = 1;\n# let b = 2;\nlet c = a + b;\n```\n";
        assert_eq!(
            input(&snippet(doc)),
            Err(NotFormattable::InterleavedHiddenLines)
        );
        let statements = input(&snippet("```rust\nlet s = 1;\n```\n")).expect("formattable");
        assert_eq!(
            result(&statements, "fn main() {\n    let s = \"a\nb\";\n}\n"),
            FmtResult::NotFormattable(NotFormattable::Unmappable)
        );
        assert_eq!(
            result(&statements, "fn main() {\n    let s = 1;\n}\n"),
            FmtResult::Formatted
        );
    }

    #[test]
    fn formatted_code_goes_back_with_the_prefix_and_line_ending() {
        let doc = "- item\r\n\r\n  ```rust\r\n  # fn main() {\r\n  let v=vec![1,2];\r\n\r\n  let n=v.len();\r\n  # }\r\n  ```\r\nAfter.\r\n";
        let snippet = snippet(doc);
        let input = input(&snippet).expect("formattable");
        let FmtResult::Changed { formatted, diff } = result(
            &input,
            "fn main() {\n    let v = vec![1, 2];\n\n    let n = v.len();\n}\n",
        ) else {
            panic!("a change");
        };
        assert!(diff.contains("+let v = vec![1, 2];"), "{diff}");
        let edit = doc_edit(doc, &snippet.lines, &input, &formatted).expect("an edit");
        assert_eq!(
            apply(doc, vec![edit]).0,
            "- item\r\n\r\n  ```rust\r\n  # fn main() {\r\n  let v = vec![1, 2];\r\n\r\n  let n = v.len();\r\n  # }\r\n  ```\r\nAfter.\r\n"
        );
    }
}
