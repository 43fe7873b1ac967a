//! Spec file -> fenced blocks with exact line maps.
//!
//! Uses pulldown-cmark's source offsets (a real CommonMark parser, not regexes),
//! so blocks inside list items, tilde fences, long fences and CRLF files are
//! found exactly where a Markdown renderer finds them. Extraction never fails:
//! an unterminated fence is a block with a problem attached.
//!
//! Every later stage reports problems against the document, so each line of a
//! block's text carries the document position it came from ([`LineOrigin`]).
//! The text of a line is always the document's own text, taken verbatim from
//! the position pulldown-cmark says the line starts at. That makes the central
//! guarantee of this module hold by construction: the document, read from
//! `lines[i].offset`, starts with line `i` of the block's text.
//!
//! A few decisions follow from that guarantee and from CommonMark itself:
//!
//! - **Tabs.** When CommonMark strips indentation that ends in the middle of a
//!   tab, it replaces the rest of the tab with spaces that do not occur in the
//!   document. This module keeps the whole tab instead (the line then starts at
//!   the tab), so the text is always verbatim; for code that only differs in
//!   leading whitespace.
//! - **Empty blocks.** A block with no content lines has empty `text` and no
//!   `lines`. Otherwise `lines` has exactly one entry per piece of
//!   `text.split('\n')`, blank lines (also trailing ones) included.
//! - **Unterminated fences.** A block whose source range does not end in a
//!   closing fence line (same character, at least as long as the opening
//!   fence) gets [`BlockProblem::Unterminated`]; its text runs to the end of
//!   its container or of the document, as CommonMark says.
//! - **Line endings.** `\n`, `\r\n` and a lone `\r` all end a line, as in
//!   CommonMark and [`LineIndex`]. pulldown-cmark only splits lines at `\n`, so
//!   lone `\r`s are turned into `\n`s (the same length, so every offset stays
//!   valid) before parsing.
//! - **Byte order mark.** A leading BOM is not part of the Markdown; it is
//!   skipped before parsing so a fence on the first line is still a fence.
//! - **Front matter.** Agent specs (and Jekyll, Hugo, mdBook pages) open with
//!   metadata between `---` lines (`+++` for TOML), which CommonMark would
//!   read as a thematic break and a heading, or, with a fence inside it, as a
//!   code block. Only a block on the document's very first line, whose next
//!   line is not blank and that is closed, is front matter
//!   ([`front_matter_len`]); it is blanked (spaces, line ends kept, so every
//!   offset stays valid) before parsing. pulldown-cmark's own metadata option
//!   is not used: it takes such a block anywhere in the document, so a `---`
//!   thematic break and a later `---` would swallow what lies between.

use std::borrow::Cow;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde::Serialize;

use crate::fence::FenceInfo;
use crate::text::LineIndex;

/// Where one line of a block's text sits in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LineOrigin {
    /// 1-based line in the document.
    pub line: u32,
    /// 1-based column (in chars) of the line's first character of block text.
    pub column: u32,
    /// Byte offset in the document of the line's first character of block text.
    pub offset: usize,
}

/// Something odd about a block that a maintainer should hear about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockProblem {
    /// The fence is never closed: the block runs to the end of its container.
    Unterminated,
}

/// One fenced code block of a document.
#[derive(Debug, Clone, Serialize)]
pub struct Block {
    /// 0-based ordinal of the block among the fenced blocks of its document.
    pub index: usize,
    /// 1-based line of the opening fence.
    pub fence_line: u32,
    /// The info string as written (trimmed, with CommonMark's backslash escapes resolved).
    pub info: String,
    /// The parsed info string.
    pub fence: FenceInfo,
    /// The block's text with CommonMark's indentation stripped, lines joined by `\n`
    /// (no `\r`), without the last line's terminator. A blank last line is kept, so
    /// the text may still end in `\n`; an empty block has empty text.
    pub text: String,
    /// One entry per line of `text`: one per piece of `text.split('\n')`, or none
    /// for an empty block.
    pub lines: Vec<LineOrigin>,
    /// Titles of the headings the block sits under, outermost first.
    pub headings: Vec<String>,
    /// Byte range of the whole block in the document, fences included.
    pub byte_range: Range<usize>,
    /// What is odd about the block, if anything.
    pub problems: Vec<BlockProblem>,
}

/// Extracts every fenced code block of a Markdown document. Indented code blocks
/// are not examples and are not returned.
pub fn extract(text: &str) -> Vec<Block> {
    let base = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let body = text.get(base..).unwrap_or_default();
    let source = prepare(body);
    let index = LineIndex::new(text);

    let mut blocks = Vec::new();
    let mut headings = HeadingStack::default();
    let mut open: Option<OpenBlock> = None;
    for (event, range) in Parser::new_ext(&source, Options::empty()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some(OpenBlock::new(info.trim(), range));
            }
            Event::End(TagEnd::CodeBlock) => {
                // Indented code blocks end here too, but never opened a block.
                if let Some(block) = open.take() {
                    let ordinal = blocks.len();
                    blocks.push(block.finish(text, &source, base, &index, ordinal, &headings));
                }
            }
            Event::Start(Tag::Heading { level, .. }) => headings.start(level),
            Event::End(TagEnd::Heading(_)) => headings.end(),
            Event::Text(chunk) => match open.as_mut() {
                Some(block) => block.lines.push_chunk(&source, &chunk, range),
                None => headings.push_text(&chunk),
            },
            Event::Code(code) => headings.push_text(&code),
            Event::SoftBreak | Event::HardBreak => headings.push_text(" "),
            _ => {}
        }
    }
    blocks
}

/// The text pulldown-cmark parses: lone `\r`s as `\n`s, front matter blanked.
/// Both keep every byte offset.
fn prepare(body: &str) -> Cow<'_, str> {
    let source = normalize_lone_cr(body);
    match front_matter_len(&source) {
        Some(len) => Cow::Owned(blank_prefix(&source, len)),
        None => source,
    }
}

/// The length in bytes of the front matter `text` opens with, its closing
/// line and line end included: a first line of exactly `---` (or `+++`),
/// trailing spaces and tabs allowed, a next line that is not blank, and a
/// later line of `---` or `...` (`+++` for `+++`) that closes it. A document
/// whose first line opens nothing that closes has no front matter.
fn front_matter_len(text: &str) -> Option<usize> {
    let mut lines = text.split_inclusive('\n');
    let opening = lines.next()?;
    let delimiter = opening
        .trim_end_matches(['\n', '\r'])
        .trim_end_matches([' ', '\t']);
    let closers: &[&str] = match delimiter {
        "---" => &["---", "..."],
        "+++" => &["+++"],
        _ => return None,
    };
    let mut len = opening.len();
    let first = lines.next()?;
    if first.trim().is_empty() {
        return None;
    }
    len += first.len();
    for line in lines {
        len += line.len();
        let bare = line
            .trim_end_matches(['\n', '\r'])
            .trim_end_matches([' ', '\t']);
        if closers.contains(&bare) {
            return Some(len);
        }
    }
    None
}

/// `text` with its first `len` bytes turned into spaces, line ends kept.
fn blank_prefix(text: &str, len: usize) -> String {
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if at >= len || matches!(c, '\n' | '\r') {
            out.push(c);
        } else {
            // One space per byte, so offsets after it do not move.
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out
}

/// Replaces every `\r` that is not followed by `\n` with `\n`.
///
/// CommonMark ends lines at a lone `\r`, pulldown-cmark does not. Both
/// characters are one byte long, so offsets into the result are offsets into
/// the input.
fn normalize_lone_cr(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let has_lone_cr = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
    if !has_lone_cr {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The headings seen so far, outermost first, and the one being read.
#[derive(Debug, Default)]
struct HeadingStack {
    /// Enclosing headings; levels strictly increase from the bottom.
    stack: Vec<(HeadingLevel, String)>,
    /// The heading whose title is being collected.
    current: Option<(HeadingLevel, String)>,
}

impl HeadingStack {
    fn start(&mut self, level: HeadingLevel) {
        self.current = Some((level, String::new()));
    }

    /// Adds plain text to the title being read, if any.
    fn push_text(&mut self, text: &str) {
        if let Some((_, title)) = self.current.as_mut() {
            title.push_str(text);
        }
    }

    /// Finishes a heading: it closes every heading of its level or deeper.
    fn end(&mut self) {
        if let Some((level, title)) = self.current.take() {
            self.stack.retain(|(outer, _)| *outer < level);
            self.stack.push((level, title.trim().to_string()));
        }
    }

    fn titles(&self) -> Vec<String> {
        self.stack.iter().map(|(_, title)| title.clone()).collect()
    }
}

/// A fenced block whose start event has been seen but not its end.
#[derive(Debug)]
struct OpenBlock {
    info: String,
    /// The block's range in the parsed source (the document minus its BOM).
    range: Range<usize>,
    lines: LineCollector,
}

impl OpenBlock {
    fn new(info: &str, range: Range<usize>) -> OpenBlock {
        OpenBlock {
            info: info.to_string(),
            range,
            lines: LineCollector::default(),
        }
    }

    /// Builds the block. `doc` is the whole document, `source` the parsed text,
    /// which starts `base` bytes into `doc`.
    fn finish(
        self,
        doc: &str,
        source: &str,
        base: usize,
        index: &LineIndex,
        ordinal: usize,
        headings: &HeadingStack,
    ) -> Block {
        let spans = self.lines.finish();
        let mut text_lines = Vec::with_capacity(spans.len());
        let mut lines = Vec::with_capacity(spans.len());
        for span in &spans {
            let line = source.get(span.clone()).unwrap_or_default();
            // Only a `\r\n` terminator can leave a `\r` here; lone ones became `\n`.
            text_lines.push(line.strip_suffix('\r').unwrap_or(line));
            let offset = base + span.start;
            let (line, column) = index.line_col(doc, offset);
            lines.push(LineOrigin {
                line,
                column,
                offset,
            });
        }
        let content_end = self.lines.content_end.unwrap_or(self.range.start);
        let mut problems = Vec::new();
        if !is_terminated(source, &self.range, content_end) {
            problems.push(BlockProblem::Unterminated);
        }
        let fence = crate::fence::parse_info(&self.info);
        Block {
            index: ordinal,
            fence_line: index.line(base + self.range.start),
            info: self.info,
            fence,
            text: text_lines.join("\n"),
            lines,
            headings: headings.titles(),
            byte_range: base + self.range.start..base + self.range.end,
            problems,
        }
    }
}

/// Turns the text chunks of one code block into the source spans of its lines.
///
/// pulldown-cmark reports a block's content as text chunks with source ranges:
/// a chunk may hold several lines or part of one (a `\r\n` line is split around
/// the `\r`), and stripped indentation is simply not covered by any chunk. The
/// only thing taken from the chunks is where each line starts; a line then runs
/// to its `\n` in the source, so its text is verbatim.
#[derive(Debug, Default)]
struct LineCollector {
    /// Finished lines, as source ranges without the `\n`.
    spans: Vec<Range<usize>>,
    /// Start of the line being read, if one has started.
    line_start: Option<usize>,
    /// End of the last chunk, if there was one.
    content_end: Option<usize>,
}

impl LineCollector {
    fn push_chunk(&mut self, source: &str, chunk: &str, range: Range<usize>) {
        if range.is_empty() {
            // An empty range with text is CommonMark's replacement for the unused
            // part of a tab that was partly taken as indentation. Keep the tab
            // itself, which is the byte just before, so the text stays verbatim.
            // Were the byte not a tab, the line would start at the next chunk.
            let tab = range
                .start
                .checked_sub(1)
                .filter(|&i| source.as_bytes().get(i) == Some(&b'\t'));
            if let (false, None, Some(tab)) = (chunk.is_empty(), self.line_start, tab) {
                self.line_start = Some(tab);
                self.content_end = Some(self.content_end.map_or(tab + 1, |end| end.max(tab + 1)));
            }
            return;
        }
        let Some(slice) = source.get(range.clone()) else {
            return;
        };
        self.content_end = Some(range.end);
        if self.line_start.is_none() {
            // A blank `\r\n` line comes as just its `\n`; it starts at the `\r`.
            let after_cr = slice.starts_with('\n')
                && range
                    .start
                    .checked_sub(1)
                    .and_then(|i| source.as_bytes().get(i))
                    == Some(&b'\r');
            self.line_start = Some(if after_cr {
                range.start - 1
            } else {
                range.start
            });
        }
        for (i, _) in slice.match_indices('\n') {
            let newline = range.start + i;
            if let Some(start) = self.line_start.take() {
                self.spans.push(start..newline);
            }
            if newline + 1 < range.end {
                self.line_start = Some(newline + 1);
            }
        }
    }

    /// The spans of all lines, the last one included even without a terminator.
    fn finish(&self) -> Vec<Range<usize>> {
        let mut spans = self.spans.clone();
        if let (Some(start), Some(end)) = (self.line_start, self.content_end) {
            spans.push(start..end.max(start));
        }
        spans
    }
}

/// Whether a block's source range ends in a closing fence.
///
/// The closing fence line, if any, is what lies between the end of the content
/// (or of the opening line, for a block without content) and the end of the
/// block's range. CommonMark accepts it when it repeats the opening fence
/// character at least as many times; before it there can only be indentation
/// and container markers.
fn is_terminated(source: &str, range: &Range<usize>, content_end: usize) -> bool {
    let Some(block) = source.get(range.clone()) else {
        return true;
    };
    let opener = block.trim_start_matches([' ', '\t']);
    let Some(fence_char) = opener.chars().next().filter(|c| matches!(c, '`' | '~')) else {
        // Not a fence we understand: do not claim anything about it.
        return true;
    };
    let fence_len = opener.len() - opener.trim_start_matches(fence_char).len();
    let opener_end = block.find('\n').map_or(range.end, |i| range.start + i + 1);
    let tail_start = opener_end.max(content_end).min(range.end);
    let Some(tail) = source.get(tail_start..range.end) else {
        return true;
    };
    let tail = tail.trim_end();
    let before_fence = tail.trim_end_matches(fence_char);
    let closing_len = tail.len() - before_fence.len();
    closing_len >= fence_len && before_fence.chars().all(|c| matches!(c, ' ' | '\t' | '>'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::to_u32;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    /// Checks what every extraction must guarantee, whatever the input.
    fn invariants(doc: &str, blocks: &[Block]) -> Result<(), TestCaseError> {
        let index = LineIndex::new(doc);
        for (i, block) in blocks.iter().enumerate() {
            prop_assert_eq!(block.index, i);
            prop_assert!(
                doc.get(block.byte_range.clone()).is_some(),
                "byte range {:?}",
                block.byte_range
            );
            prop_assert!(block.fence_line >= 1);
            prop_assert!(block.fence_line as usize <= index.line_count());
            prop_assert_eq!(block.fence_line, index.line(block.byte_range.start));
            prop_assert_eq!(block.info.trim(), block.info.as_str());
            prop_assert!(!block.text.contains('\r'), "text {:?}", block.text);
            if block.lines.is_empty() {
                prop_assert_eq!(block.text.as_str(), "");
            } else {
                prop_assert_eq!(block.lines.len(), block.text.split('\n').count());
            }
            let mut previous_line = block.fence_line;
            for (origin, line) in block.lines.iter().zip(block.text.split('\n')) {
                let rest = doc.get(origin.offset..);
                prop_assert!(
                    rest.is_some_and(|rest| rest.starts_with(line)),
                    "line {:?} is not at offset {} of {:?}",
                    line,
                    origin.offset,
                    doc
                );
                prop_assert_eq!(
                    index.line_col(doc, origin.offset),
                    (origin.line, origin.column)
                );
                prop_assert!(
                    origin.line > previous_line,
                    "lines out of order in {:?}",
                    doc
                );
                previous_line = origin.line;
            }
        }
        Ok(())
    }

    /// Extracts `doc`, checks the invariants and each block's fence line, info and text.
    #[track_caller]
    fn check(doc: &str, want: &[(u32, &str, &str)]) -> Vec<Block> {
        let blocks = extract(doc);
        if let Err(error) = invariants(doc, &blocks) {
            panic!("invariant broken for {doc:?}: {error}");
        }
        let got: Vec<(u32, &str, &str)> = blocks
            .iter()
            .map(|b| (b.fence_line, b.info.as_str(), b.text.as_str()))
            .collect();
        assert_eq!(got, want, "blocks of {doc:?}");
        blocks
    }

    /// Extracts a document holding exactly one block and returns that block.
    #[track_caller]
    fn one(doc: &str, fence_line: u32, info: &str, text: &str) -> Block {
        let mut blocks = check(doc, &[(fence_line, info, text)]);
        blocks.remove(0)
    }

    /// The (line, column) origins of a block's lines.
    fn origins(block: &Block) -> Vec<(u32, u32)> {
        block.lines.iter().map(|o| (o.line, o.column)).collect()
    }

    fn is_unterminated(block: &Block) -> bool {
        block.problems == [BlockProblem::Unterminated]
    }

    #[test]
    fn plain_fences() {
        let b = one("```rust\nfn main() {}\n```\n", 1, "rust", "fn main() {}");
        assert_eq!(origins(&b), [(2, 1)]);
        assert!(b.problems.is_empty());
        assert!(b.fence.is_rust);
        assert_eq!(b.byte_range, 0..24);
        one("text\n\n~~~\na\n~~~", 3, "", "a");
        one(
            "~~~toml\n[package]\nname = \"x\"\n~~~\n",
            1,
            "toml",
            "[package]\nname = \"x\"",
        );
        one("```\nx\n`````\n", 1, "", "x");
        one("~~~\nx\n~~~~~~\n", 1, "", "x");
        // A fence of the other character does not close a block.
        one("~~~\n```\nx\n```\n~~~", 1, "", "```\nx\n```");
        one("````md\n```rust\nx\n```\n````", 1, "md", "```rust\nx\n```");
        // Content may sit to the left of an indented fence; only its indentation is stripped.
        one("```\n  x\n```", 1, "", "  x");
        check(
            "```\na\n```\n\n```\nb\n```\n",
            &[(1, "", "a"), (5, "", "b")],
        );
    }

    #[test]
    fn indented_fences() {
        let b = one(" ```\n x\nx\n  x\n ```", 1, "", "x\nx\n x");
        assert_eq!(origins(&b), [(2, 2), (3, 1), (4, 2)]);
        let b = one("  ```\n  a\n    b\n ```", 1, "", "a\n  b");
        assert_eq!(origins(&b), [(2, 3), (3, 3)]);
        let b = one("   ~~~ rust\n   a\n   ~~~", 1, "rust", "a");
        assert_eq!(origins(&b), [(2, 4)]);
        assert_eq!(b.byte_range, 3..23);
        // Four spaces make an indented code block, which is not returned.
        check("    ```\n    x\n    ```\n", &[]);
        check("    let x = 1;\n\n```\ny\n```", &[(3, "", "y")]);
    }

    #[test]
    fn list_items() {
        let b = one(
            "- item\n\n  ```rust\n  let x = 1;\n  ```\n",
            3,
            "rust",
            "let x = 1;",
        );
        assert_eq!(origins(&b), [(4, 3)]);
        let b = one("* ```\n  a\n\n  b\n  ```", 1, "", "a\n\nb");
        assert_eq!(origins(&b), [(2, 3), (3, 1), (4, 3)]);
        let b = one("1. ```\n   a\n    b\n   ```", 1, "", "a\n b");
        assert_eq!(origins(&b), [(2, 4), (3, 4)]);
        let b = one(
            "10. x\n\n    ```rust\n    fn f() {}\n    ```",
            3,
            "rust",
            "fn f() {}",
        );
        assert_eq!(origins(&b), [(4, 5)]);
        let b = one("- a\n  - ```\n    x\n    ```", 2, "", "x");
        assert_eq!(origins(&b), [(3, 5)]);
        // An item's fence indented inside the item strips that much more.
        let b = one("- a\n\n    ```\n    x\n     y\n    ```", 3, "", "x\n y");
        assert_eq!(origins(&b), [(4, 5), (5, 5)]);
    }

    #[test]
    fn blockquotes() {
        let b = one(
            "> ```rust\n> let a = 1;\n>\n> ```",
            1,
            "rust",
            "let a = 1;\n",
        );
        assert_eq!(origins(&b), [(2, 3), (3, 2)]);
        let b = one(">```\n>x\n>```", 1, "", "x");
        assert_eq!(origins(&b), [(2, 2)]);
        let b = one("- > ```\n  > x\n  > ```", 1, "", "x");
        assert_eq!(origins(&b), [(2, 5)]);
        let b = one("> > ```\n> > x\n> > ```", 1, "", "x");
        assert_eq!(origins(&b), [(2, 5)]);
    }

    #[test]
    fn line_endings() {
        let b = one(
            "```rust\r\nfn a() {}\r\n\r\n  x\r\n```\r\n",
            1,
            "rust",
            "fn a() {}\n\n  x",
        );
        assert_eq!(origins(&b), [(2, 1), (3, 1), (4, 1)]);
        assert!(b.problems.is_empty());
        let b = one("- ```\r\n  a\r\n  \r\n  b\r\n  ```\r\n", 1, "", "a\n\nb");
        assert_eq!(origins(&b), [(2, 3), (3, 3), (4, 3)]);
        let b = one(
            "# T\r```rust\rlet x = 1;\r\r```\r",
            2,
            "rust",
            "let x = 1;\n",
        );
        assert_eq!(origins(&b), [(3, 1), (4, 1)]);
        assert_eq!(b.headings, ["T"]);
        assert!(b.problems.is_empty());
        // A lone `\r` next to `\r\n`s: each is one line ending.
        let b = one("```\r\ra\r\nb\r```", 1, "", "\na\nb");
        assert_eq!(origins(&b), [(2, 1), (3, 1), (4, 1)]);
    }

    #[test]
    fn unterminated_blocks() {
        assert!(is_unterminated(&one(
            "```rust\nfn main() {}\n",
            1,
            "rust",
            "fn main() {}"
        )));
        assert!(is_unterminated(&one(
            "```rust\nfn main() {}",
            1,
            "rust",
            "fn main() {}"
        )));
        assert!(is_unterminated(&one("```", 1, "", "")));
        assert!(is_unterminated(&one("```\n", 1, "", "")));
        assert!(is_unterminated(&one("```\n   ", 1, "", "")));
        assert!(is_unterminated(&one("```\r\nx\r\n", 1, "", "x")));
        assert!(is_unterminated(&one("````\nx\n```\n", 1, "", "x\n```")));
        assert!(is_unterminated(&one("```\nx ```\n", 1, "", "x ```")));
        // The block also ends with its container.
        let b = one("> ```\n> a\n\nb", 1, "", "a");
        assert!(is_unterminated(&b));
        assert_eq!(b.byte_range, 2..10);
        assert!(is_unterminated(&one("- ```\n  a\nb", 1, "", "a")));
        // Closed blocks, whatever follows the closing fence.
        assert!(!is_unterminated(&one("```\n```", 1, "", "")));
        assert!(!is_unterminated(&one("  ```\n  ```  \n\nx", 1, "", "")));
        assert!(!is_unterminated(&one("> ```\n> a\n> ```\nb", 1, "", "a")));
        assert!(!is_unterminated(&one("~~~~\n~~~~~", 1, "", "")));
    }

    #[test]
    fn empty_and_blank_blocks() {
        // No content lines: empty text and no line origins.
        let b = one("```\n```", 1, "", "");
        assert!(b.lines.is_empty());
        // One blank content line: empty text too, but one line origin.
        let b = one("```\n\n```", 1, "", "");
        assert_eq!(origins(&b), [(2, 1)]);
        // Trailing blank lines are kept.
        let b = one("```\na\n\n```", 1, "", "a\n");
        assert_eq!(origins(&b), [(2, 1), (3, 1)]);
        let b = one("```\n  \n```", 1, "", "  ");
        assert_eq!(origins(&b), [(2, 1)]);
    }

    #[test]
    fn info_strings() {
        let b = one("```rust,ignore\nx\n```", 1, "rust,ignore", "x");
        assert!(b.fence.attrs.ignore);
        one("```   rust no_run  \nx\n```", 1, "rust no_run", "x");
        one("~~~ has `backticks`\nx\n~~~", 1, "has `backticks`", "x");
        one("```{.rust .ignore}\n```", 1, "{.rust .ignore}", "");
        // Backslash escapes in info strings are resolved, as CommonMark says.
        one("```a\\_b\n```", 1, "a_b", "");
        // A backtick fence cannot have a backtick in its info string: that line is
        // a paragraph, and the last line opens a block of its own.
        assert!(is_unterminated(&one("``` a`b\nx\n```", 3, "", "")));
    }

    #[test]
    fn headings() {
        let doc = "```\n```\n# A\n## B\n### C\n```\n```\n## D\n```\n```\n# E\n```\n```\n";
        let blocks = check(doc, &[(1, "", ""), (6, "", ""), (9, "", ""), (12, "", "")]);
        let headings: Vec<Vec<String>> = blocks.iter().map(|b| b.headings.clone()).collect();
        assert_eq!(
            headings,
            [vec![], vec!["A", "B", "C"], vec!["A", "D"], vec!["E"]]
        );
        assert_eq!(
            one("Title\n=====\n\n```\n```", 4, "", "").headings,
            ["Title"]
        );
        assert_eq!(
            one("Two\nlines\n---\n```\n```", 4, "", "").headings,
            ["Two lines"]
        );
        assert_eq!(
            one("# The `foo` *fn* #\n```\n```", 2, "", "").headings,
            ["The foo fn"]
        );
        assert_eq!(
            one("### Deep\n# Top\n```\n```", 3, "", "").headings,
            ["Top"]
        );
        // A fence-like line in a heading is just text.
        assert_eq!(one("# ```\n```\n```", 2, "", "").headings, ["```"]);
    }

    /// Front matter is never a block nor a heading, and only the document's
    /// first lines can be front matter.
    #[test]
    fn front_matter() {
        let agent = "---\nname: reviewer\ndescription: |\n  ```rust\n  fn not_code() {}\n  ```\n---\n# Use\n```rust\nfn main() {}\n```\n";
        let blocks = check(agent, &[(9, "rust", "fn main() {}")]);
        assert_eq!(blocks[0].headings, ["Use"]);
        assert_eq!(
            blocks[0].byte_range.start,
            agent.find("```rust\nfn").unwrap_or(0)
        );
        // Read as Markdown, `name: x` would be a heading.
        assert!(
            one("---\nname: x\n---\n```\n```", 4, "", "")
                .headings
                .is_empty()
        );
        check(
            "\u{feff}---  \r\ntitle: x\r\n...\r\n```rust\r\nx\r\n```\r\n",
            &[(4, "rust", "x")],
        );
        check("+++\ntitle = \"```\"\n+++\n```\n```\n", &[(4, "", "")]);
        check("---\ndescription: é ```\n---\n```\nx\n```", &[(4, "", "x")]);
        // A `---` thematic break later, and another after a block: the block
        // between them is still a block.
        check(
            "Intro\n\n---\nstep\n```rust\nx\n```\n---\n",
            &[(5, "rust", "x")],
        );
        // Not front matter: a blank second line, no closing line, an indented
        // or longer opening line.
        check("---\n\n```rust\nx\n```\n---\n", &[(3, "rust", "x")]);
        check("---\ntitle: x\n```rust\nx\n```\n", &[(3, "rust", "x")]);
        check("----\ntitle\n```\nx\n```\n----\n", &[(3, "", "x")]);
        check(" ---\na\n```\nx\n```\n---\n", &[(3, "", "x")]);
    }

    #[test]
    fn front_matter_lengths() {
        for (text, len) in [
            ("---\na: 1\n---\nrest", Some(13)),
            ("---\na: 1\n---", Some(12)),
            ("---\r\na: 1\r\n...\r\n", Some(16)),
            ("+++\na = 1\n+++\n", Some(14)),
            ("+++\na = 1\n---\n", None),
            ("---\n---\n", None),
            ("---\n \na\n---\n", None),
            ("--- x\na\n---\n", None),
            ("", None),
            ("---", None),
        ] {
            assert_eq!(front_matter_len(text), len, "{text:?}");
        }
    }

    #[test]
    fn byte_order_mark() {
        let b = one("\u{feff}```rust\nx\n```", 1, "rust", "x");
        assert_eq!(b.byte_range, 3..16);
        assert_eq!(b.lines[0].offset, 11);
        assert_eq!(origins(&b), [(2, 1)]);
        one("\u{feff}# H\n```\nx\n```", 2, "", "x");
    }

    #[test]
    fn multibyte_text() {
        let b = one("```rust 😀\né😀 = 1;\nü\n```", 1, "rust 😀", "é😀 = 1;\nü");
        assert_eq!(b.lines[0].offset, 13);
        assert_eq!(b.lines[1].offset, 13 + "é😀 = 1;\n".len());
        // The info string is trimmed of all whitespace, not only ASCII whitespace.
        one("```\u{a0}rust\u{3000}\n```", 1, "rust", "");
        assert_eq!(
            one("# Ünïcode 😀\n```\nß\n```", 2, "", "ß").headings,
            ["Ünïcode 😀"]
        );
    }

    #[test]
    fn tabs_are_kept_verbatim() {
        // Without indentation to strip, tabs are plain content.
        one("```\n\tx\n```", 1, "", "\tx");
        one("- ```\n  \tx\n  ```", 1, "", "\tx");
        // A tab partly taken as indentation is kept whole, where it starts.
        let b = one(" ```\n\tx\n ```", 1, "", "\tx");
        assert_eq!(origins(&b), [(2, 1)]);
        let b = one("- ```\n\tx\n  ```", 1, "", "\tx");
        assert_eq!(origins(&b), [(2, 1)]);
        let b = one("> ```\n>\tb\n> ```", 1, "", "\tb");
        assert_eq!(origins(&b), [(2, 2)]);
        // A tab taken whole as indentation is stripped.
        let b = one("1.  ```\n\tx\n    ```", 1, "", "x");
        assert_eq!(origins(&b), [(2, 2)]);
    }

    #[test]
    fn not_code_blocks() {
        // Fences inside an HTML block are HTML, as CommonMark says.
        check("<div>\n```\nx\n```\n</div>\n", &[]);
        check("`` ` ``\n", &[]);
        check("``\nx\n``", &[]);
        check("", &[]);
    }

    /// Pieces that make up Markdown-ish documents with many corner cases.
    const FRAGMENTS: &[&str] = &[
        "```",
        "~~~",
        "````",
        "`",
        "~",
        "- ",
        "* ",
        "1. ",
        "> ",
        ">",
        " ",
        "  ",
        "   ",
        "    ",
        "\t",
        "\n",
        "\n",
        "\n",
        "\r\n",
        "\r",
        "rust",
        "rust,ignore",
        "x",
        "fn main() {}",
        "é",
        "😀",
        "# ",
        "## ",
        "===",
        "<div>",
        "\u{feff}",
        "\\",
        "&amp;",
        "-",
        "\u{a0}",
    ];

    fn markdownish() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60)
            .prop_map(|parts| parts.concat())
    }

    /// The text pulldown-cmark itself gives a block, with the same preparation of
    /// the input (BOM skipped, lone `\r` as `\n`, front matter blanked) and the
    /// final newline dropped.
    fn pulldown_texts(doc: &str) -> Vec<String> {
        let body = doc.strip_prefix('\u{feff}').unwrap_or(doc);
        let source = prepare(body);
        let mut texts = Vec::new();
        let mut current: Option<String> = None;
        for event in Parser::new_ext(&source, Options::empty()) {
            match event {
                Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => {
                    current = Some(String::new())
                }
                Event::Text(text) => {
                    if let Some(current) = current.as_mut() {
                        current.push_str(&text);
                    }
                }
                Event::End(TagEnd::CodeBlock) => {
                    if let Some(mut text) = current.take() {
                        if text.ends_with('\n') {
                            text.pop();
                        }
                        texts.push(text);
                    }
                }
                _ => {}
            }
        }
        texts
    }

    /// The containers a generated block can sit in: the prefix of its first line and
    /// of the lines after it.
    const CONTAINERS: &[(&str, &str)] = &[
        ("", ""),
        ("- ", "  "),
        ("1. ", "   "),
        ("> ", "> "),
        ("> - ", ">   "),
        ("- > ", "  > "),
        ("> > ", "> > "),
    ];

    /// A block to write into a generated document.
    #[derive(Debug, Clone)]
    struct Spec {
        heading: Option<(usize, String)>,
        container: usize,
        indent: usize,
        tilde: bool,
        fence_len: usize,
        info: String,
        lines: Vec<String>,
    }

    fn spec() -> impl Strategy<Value = Spec> {
        (
            prop::option::of((1usize..=4, "[a-zé]{1,6}( [a-z]{1,6})?")),
            0..CONTAINERS.len(),
            0usize..=3,
            any::<bool>(),
            3usize..=5,
            "[a-z,_ ]{0,12}",
            prop::collection::vec("[ \t]{0,3}[a-z0-9(){};=<>#*+.é😀 \t-]{0,12}", 0..5),
        )
            .prop_map(
                |(heading, container, indent, tilde, fence_len, info, lines)| Spec {
                    heading,
                    container,
                    indent,
                    tilde,
                    fence_len,
                    info,
                    lines,
                },
            )
    }

    /// A document built from specs, and what extraction must find in it.
    #[derive(Debug)]
    struct Generated {
        doc: String,
        fence_lines: Vec<u32>,
        /// Expected (line, column) of each content line, per block.
        columns: Vec<Vec<(u32, u32)>>,
        headings: Vec<Vec<String>>,
    }

    fn generate(specs: &[Spec], eol: &str, bom: bool, last_unterminated: bool) -> Generated {
        let mut doc = String::new();
        if bom {
            doc.push('\u{feff}');
        }
        let mut line = 1u32;
        let mut push_line = |doc: &mut String, text: &str| {
            doc.push_str(text);
            doc.push_str(eol);
            line += 1;
            line - 1
        };
        let mut out = Generated {
            doc: String::new(),
            fence_lines: vec![],
            columns: vec![],
            headings: vec![],
        };
        let mut stack: Vec<(usize, String)> = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            if let Some((level, title)) = &spec.heading {
                push_line(&mut doc, &format!("{} {title}", "#".repeat(*level)));
                push_line(&mut doc, "");
                stack.retain(|(outer, _)| outer < level);
                stack.push((*level, title.clone()));
            }
            out.headings
                .push(stack.iter().map(|(_, t)| t.clone()).collect());
            let (first, rest) = CONTAINERS[spec.container];
            let indent = " ".repeat(spec.indent);
            let fence = (if spec.tilde { "~" } else { "`" }).repeat(spec.fence_len);
            out.fence_lines.push(push_line(
                &mut doc,
                &format!("{first}{indent}{fence}{}", spec.info),
            ));
            let mut columns = Vec::new();
            for content in &spec.lines {
                // A blank line carries only the container markers, and starts after them.
                if content.is_empty() {
                    let markers = rest.trim_end();
                    let n = push_line(&mut doc, markers);
                    columns.push((n, to_u32(markers.len() + 1)));
                } else {
                    let n = push_line(&mut doc, &format!("{rest}{indent}{content}"));
                    columns.push((n, to_u32(rest.len() + spec.indent + 1)));
                }
            }
            out.columns.push(columns);
            if i + 1 == specs.len() && last_unterminated {
                break;
            }
            push_line(&mut doc, &format!("{rest}{indent}{fence}"));
            push_line(&mut doc, "");
            push_line(&mut doc, "para");
            push_line(&mut doc, "");
        }
        out.doc = doc;
        out
    }

    proptest! {
        #[test]
        fn arbitrary_text_keeps_invariants(doc in any::<String>()) {
            invariants(&doc, &extract(&doc))?;
        }

        #[test]
        fn markdownish_text_keeps_invariants(doc in markdownish()) {
            let blocks = extract(&doc);
            invariants(&doc, &blocks)?;
            // Without tabs, the text is exactly what a CommonMark renderer shows.
            if !doc.contains('\t') {
                let texts: Vec<String> = blocks.iter().map(|b| b.text.clone()).collect();
                prop_assert_eq!(texts, pulldown_texts(&doc), "texts of {:?}", doc);
            }
        }

        #[test]
        fn generated_blocks_round_trip(
            specs in prop::collection::vec(spec(), 1..5),
            eol in prop::sample::select(&["\n", "\r\n", "\r"][..]),
            bom in any::<bool>(),
            last_unterminated in any::<bool>(),
        ) {
            let generated = generate(&specs, eol, bom, last_unterminated);
            let doc = &generated.doc;
            let blocks = extract(doc);
            invariants(doc, &blocks)?;
            prop_assert_eq!(blocks.len(), specs.len(), "blocks of {:?}", doc);
            for (i, (block, spec)) in blocks.iter().zip(&specs).enumerate() {
                prop_assert_eq!(block.fence_line, generated.fence_lines[i]);
                prop_assert_eq!(&block.info, spec.info.trim());
                if spec.lines.is_empty() {
                    prop_assert_eq!(block.text.as_str(), "");
                    prop_assert!(block.lines.is_empty());
                } else {
                    prop_assert_eq!(&block.text, &spec.lines.join("\n"), "text of {:?}", doc);
                }
                if !spec.lines.is_empty() {
                    prop_assert_eq!(&origins(block), &generated.columns[i], "origins in {:?}", doc);
                }
                prop_assert_eq!(&block.headings, &generated.headings[i]);
                let unterminated = last_unterminated && i + 1 == specs.len();
                prop_assert_eq!(is_unterminated(block), unterminated, "problems of {:?}", doc);
            }
        }
    }
}
