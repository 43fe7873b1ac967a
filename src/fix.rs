//! Repair: rustc's and clippy's machine-applicable suggestions, written back
//! into the Markdown through the same line map that places diagnostics.
//!
//! An edit in the generated source is kept only when both its ends lie in the
//! snippet's own lines (never in wrapper code) and on lines without a hidden
//! `# ` marker; it is then moved to document offsets with the snippet's line
//! origins. Inserted lines get the block's indentation and the document's line
//! ending, so fences inside list items and CRLF files stay as they were; every
//! byte outside the edited spans is kept.

use similar::TextDiff;

use crate::analyze::CodeLine;
use crate::diagnose::{Edit, Suggestion};
use crate::extract::LineOrigin;
use crate::text::LineIndex;
use crate::wrap::WrappedSource;

/// One edit of a document: replace `start..end` (byte offsets) with `text`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DocEdit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The suggestion's message, for the report of what was fixed.
    pub message: String,
}

/// The document edits for a snippet's machine-applicable suggestions.
pub fn document_edits(
    doc: &str,
    suggestions: &[Suggestion],
    wrapped: &WrappedSource,
    lines: &[CodeLine],
) -> Vec<DocEdit> {
    let index = LineIndex::new(doc);
    let newline = newline_of(doc);
    let mut edits = Vec::new();
    for suggestion in suggestions {
        if suggestion.applicability.as_deref() != Some("MachineApplicable") {
            continue;
        }
        // A machine-applicable suggestion's spans are the parts of one edit
        // (rustc lists alternatives only in suggestions it marks as uncertain).
        let place = |line: u32, column: u32| -> Option<usize> {
            let code_line = lines.get(wrapped.snippet_line(line)? as usize)?;
            if code_line.removed.len > 0 {
                return None;
            }
            index.offset(doc, code_line.origin.line, code_line.doc_column(column))
        };
        let mut parts = Vec::new();
        for edit in suggestion
            .candidates
            .iter()
            .map(|e| above_attributes(wrapped, e))
        {
            let edit = &edit;
            let (Some(start), Some(end)) = (
                place(edit.line_start, edit.column_start),
                place(edit.line_end, edit.column_end),
            ) else {
                parts.clear();
                break;
            };
            if end < start {
                parts.clear();
                break;
            }
            let indent = lines
                .get(wrapped.snippet_line(edit.line_start).unwrap_or(0) as usize)
                .map(|l| {
                    let line_start = index.line_start(l.origin.line).unwrap_or(l.origin.offset);
                    doc.get(line_start..l.origin.offset)
                        .unwrap_or_default()
                        .to_string()
                })
                .unwrap_or_default();
            let text = edit.text.replace('\n', &format!("{newline}{indent}"));
            let message = match &suggestion.code {
                Some(code) => format!("{} [{code}]", suggestion.message),
                None => suggestion.message.clone(),
            };
            parts.push(DocEdit {
                start,
                end,
                text,
                message,
            });
        }
        edits.extend(parts);
    }
    edits.sort();
    edits.dedup_by(|a, b| a.start == b.start && a.end == b.end && a.text == b.text);
    edits
}

/// An insertion of whole lines at the start of an item goes above the item's
/// outer attributes and doc comments: clippy places `impl Default for X` right
/// before `impl X`, which would put `#[wasm_bindgen]` (or any attribute of
/// `impl X`) on the new item instead.
fn above_attributes(wrapped: &WrappedSource, edit: &Edit) -> Edit {
    let whole_lines = edit.line_start == edit.line_end
        && edit.column_start == 1
        && edit.column_end == 1
        && edit.text.ends_with('\n');
    if !whole_lines {
        return edit.clone();
    }
    let generated: Vec<&str> = wrapped.text.lines().collect();
    let mut line = edit.line_start;
    while line > 1 {
        let above = line - 1;
        let text = generated
            .get(above as usize - 1)
            .map_or("", |t| t.trim_start());
        let attribute = (text.starts_with("#[") && text.trim_end().ends_with(']'))
            || (text.starts_with("///") && !text.starts_with("////"));
        if !attribute || wrapped.snippet_line(above).is_none() {
            break;
        }
        line = above;
    }
    Edit {
        line_start: line,
        line_end: line,
        ..edit.clone()
    }
}

/// The snippet line before which added `use` lines go: after the leading
/// inner attributes, `use` and `extern crate` lines (and the hidden lines among
/// them), so the imports join the ones the example already has; at the top of
/// the code when it has none.
pub fn import_position(code: &str) -> usize {
    let mut after_header = 0;
    let mut open_statement = false;
    for (i, line) in code.split('\n').enumerate() {
        let text = line.trim();
        if open_statement {
            open_statement = !text.ends_with(';') && !text.ends_with(']');
            after_header = i + 1;
            continue;
        }
        let header = text.starts_with("#![")
            || text.starts_with("use ")
            || text.starts_with("pub use ")
            || text.starts_with("extern crate ");
        if header {
            open_statement = !text.ends_with(';') && !text.ends_with(']');
            after_header = i + 1;
        } else if !(text.is_empty() || text.starts_with("//")) {
            break;
        }
    }
    after_header
}

/// The edit that adds `imports` (whole `use` lines) to a snippet at
/// [`import_position`], each line with the block's container prefix (list
/// indentation, `> `) and the document's line ending. Imports the code already
/// has are not added again.
pub fn import_edit(
    doc: &str,
    code: &str,
    lines: &[CodeLine],
    imports: &[String],
    message: &str,
) -> Option<DocEdit> {
    let existing: Vec<&str> = code.split('\n').map(str::trim).collect();
    let wanted: Vec<&String> = imports
        .iter()
        .filter(|i| !existing.contains(&i.trim()))
        .collect();
    if wanted.is_empty() || lines.is_empty() {
        return None;
    }
    let index = LineIndex::new(doc);
    let newline = newline_of(doc);
    let at = import_position(code);
    let start = match lines.get(at) {
        Some(line) => index.line_start(line.origin.line)?,
        None => {
            let last = lines.last()?;
            index.line_start(last.origin.line + 1).unwrap_or(doc.len())
        }
    };
    let prefix = block_prefix(doc, &index, lines.iter().map(|l| l.origin));
    let mut text = String::new();
    for import in wanted {
        text.push_str(&prefix);
        text.push_str(import.trim());
        text.push_str(newline);
    }
    // At the very end of a document without a final newline, the line before
    // needs one.
    if start == doc.len() && !doc.is_empty() && !doc.ends_with('\n') {
        text.insert_str(0, newline);
    }
    Some(DocEdit {
        start,
        end: start,
        text,
        message: message.to_string(),
    })
}

/// The document's line ending: CRLF when it uses any.
pub fn newline_of(doc: &str) -> &'static str {
    if doc.contains("\r\n") { "\r\n" } else { "\n" }
}

/// What the document puts before a block's lines (list indentation, `> `):
/// the prefix of its first non-blank line.
pub fn block_prefix(
    doc: &str,
    index: &LineIndex,
    origins: impl IntoIterator<Item = LineOrigin>,
) -> String {
    origins
        .into_iter()
        .map(|origin| {
            let start = index.line_start(origin.line).unwrap_or(origin.offset);
            let prefix = doc.get(start..origin.offset).unwrap_or_default();
            let rest = index
                .line_text(doc, origin.line)
                .unwrap_or_default()
                .get(prefix.len()..)
                .unwrap_or_default();
            (prefix, rest.trim().is_empty())
        })
        .find(|(_, blank)| !blank)
        .map(|(prefix, _)| prefix.to_string())
        .unwrap_or_default()
}

/// Applies non-overlapping edits (an edit overlapping an earlier one is
/// dropped) and returns the new text and the edits applied.
pub fn apply(doc: &str, mut edits: Vec<DocEdit>) -> (String, Vec<DocEdit>) {
    edits.sort();
    let mut applied: Vec<DocEdit> = Vec::new();
    for edit in edits {
        if applied.last().is_some_and(|last| {
            edit.start < last.end || (edit.start == last.start && edit.start == edit.end)
        }) {
            continue;
        }
        if edit.end > doc.len()
            || !doc.is_char_boundary(edit.start)
            || !doc.is_char_boundary(edit.end)
        {
            continue;
        }
        applied.push(edit);
    }
    let mut out = String::with_capacity(doc.len());
    let mut at = 0;
    for edit in &applied {
        out.push_str(&doc[at..edit.start]);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(&doc[at..]);
    (out, applied)
}

/// A unified diff of a document before and after its fixes.
/// Paths get git's `a/` and `b/` prefixes (an absolute path keeps one slash),
/// so `git apply` and `patch -p1` take the diff.
pub fn unified_diff(path: &str, old: &str, new: &str) -> String {
    let path = path.strip_prefix('/').unwrap_or(path);
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::extract::extract;
    use crate::wrap::wrap;

    fn suggestion(line: u32, col: u32, end_col: u32, text: &str) -> Suggestion {
        Suggestion {
            message: "remove `return`".into(),
            code: Some("clippy::needless_return".into()),
            for_message: "unneeded `return` statement".into(),
            candidates: vec![Edit {
                line_start: line,
                column_start: col,
                line_end: line,
                column_end: end_col,
                text: text.into(),
            }],
            applicability: Some("MachineApplicable".into()),
        }
    }

    #[track_caller]
    fn check(doc: &str, generated: (u32, u32, u32), text: &str, expected: &str) {
        let block = extract(doc).into_iter().next().expect("a block");
        let snippet = analyze(&block);
        let wrapped = wrap(&snippet).expect("parses");
        let edits = document_edits(
            doc,
            &[suggestion(generated.0, generated.1, generated.2, text)],
            &wrapped,
            &snippet.lines,
        );
        let (fixed, _) = apply(doc, edits);
        assert_eq!(fixed, expected);
    }

    #[test]
    fn edits_land_in_the_block_and_nowhere_else() {
        // Generated line 3 is `    return 1;` (after the prelude and `pub fn f() -> u8 {`).
        check(
            "Text.\n\n```rust\npub fn f() -> u8 {\n    return 1;\n}\n```\n",
            (3, 5, 13),
            "1",
            "Text.\n\n```rust\npub fn f() -> u8 {\n    1;\n}\n```\n",
        );
        // Inside a list item with CRLF line endings.
        check(
            "- item\r\n\r\n  ```rust\r\n  pub fn f() -> u8 {\r\n      return 1;\r\n  }\r\n  ```\r\n",
            (3, 5, 13),
            "1",
            "- item\r\n\r\n  ```rust\r\n  pub fn f() -> u8 {\r\n      1;\r\n  }\r\n  ```\r\n",
        );
        // A multi-line insertion keeps the list's indentation and CRLF.
        check(
            "- item\r\n\r\n  ```rust\r\n  pub struct A;\r\n  ```\r\n",
            (2, 1, 1),
            "#[derive(Default)]\n",
            "- item\r\n\r\n  ```rust\r\n  #[derive(Default)]\r\n  pub struct A;\r\n  ```\r\n",
        );
    }

    #[test]
    fn inserted_items_go_above_the_attributes_of_the_next_one() {
        // Generated line 4 is `impl W {`, after `#[marker]`.
        check(
            "```rust\npub struct W;\n#[marker]\nimpl W {}\n```\n",
            (4, 1, 1),
            "impl Default for W {}\n\n",
            "```rust\npub struct W;\nimpl Default for W {}\n\n#[marker]\nimpl W {}\n```\n",
        );
    }

    #[test]
    fn wrapper_and_hidden_lines_are_never_edited() {
        let doc = "```rust\n# fn main() {\nlet x = 1;\n# }\n```\n";
        // Line 1 is the prelude (wrapper); line 2 is a hidden line.
        check(doc, (1, 1, 5), "X", doc);
        check(doc, (2, 1, 3), "X", doc);
    }

    #[test]
    fn imports_go_after_the_leading_attributes_and_imports() {
        assert_eq!(
            import_position("use a::B;\nuse c::{\n    D,\n};\n\npub struct S;"),
            4
        );
        assert_eq!(
            import_position("#![allow(dead_code)]\n// A cache.\npub struct S;"),
            1
        );
        assert_eq!(import_position("// A cache.\npub struct S;"), 0);
        let add = |doc: &str| {
            let block = extract(doc).into_iter().next().expect("a block");
            let snippet = analyze(&block);
            let imports = ["use std::collections::HashMap;".to_string()];
            let edit = import_edit(doc, &snippet.code, &snippet.lines, &imports, "added");
            apply(doc, edit.into_iter().collect()).0
        };
        assert_eq!(
            add("```rust\nuse std::sync::Arc;\n\nstruct C(Arc<HashMap<u8, u8>>);\n```\n"),
            "```rust\nuse std::sync::Arc;\nuse std::collections::HashMap;\n\nstruct C(Arc<HashMap<u8, u8>>);\n```\n"
        );
        // In a list item with CRLF; a hidden `fn main` first keeps it first.
        assert_eq!(
            add(
                "1. x\r\n\r\n   ```rust\r\n   let m: HashMap<u8, u8> = HashMap::new();\r\n   ```\r\n"
            ),
            "1. x\r\n\r\n   ```rust\r\n   use std::collections::HashMap;\r\n   let m: HashMap<u8, u8> = HashMap::new();\r\n   ```\r\n"
        );
        // Already there: nothing to add, so a second run changes nothing.
        let done = "```rust\nuse std::collections::HashMap;\n```\n";
        assert_eq!(add(done), done);
    }

    #[test]
    fn overlapping_edits_keep_the_first_and_fixing_twice_changes_nothing() {
        let doc = "abcdef";
        let edit = |start, end, text: &str| DocEdit {
            start,
            end,
            text: text.into(),
            message: String::new(),
        };
        let (fixed, applied) = apply(doc, vec![edit(1, 3, "X"), edit(2, 4, "Y"), edit(5, 5, "Z")]);
        assert_eq!(fixed, "aXdeZf");
        assert_eq!(applied.len(), 2);
        assert_eq!(apply(&fixed, Vec::new()).0, fixed);
        assert!(unified_diff("d.md", "a\nb\n", "a\nc\n").contains("-b\n+c"));
    }
}
