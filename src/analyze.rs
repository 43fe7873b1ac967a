//! Block -> snippet: the code as the compiler will see it, and its shape.
//!
//! Follows rustdoc's doctest conventions: `# ` hidden lines are compiled with the
//! marker removed, `##` escapes a literal `#`, and a snippet is either a set of
//! items (a library, or a binary when it has `fn main`) or statements that get
//! wrapped in `fn main`. [`crate::syntax`] reads the shape, and with it every
//! fact of the syntax tree later stages need, from one parse; a snippet it
//! cannot parse gets [`Shape::Unparsable`] with the parse error placed at its
//! document line.

use std::borrow::Cow;

use serde::Serialize;

use crate::extract::{Block, LineOrigin};
use crate::fence::Edition;
use crate::pins::{self, PinSet};
use crate::syntax::{self, Reading, SyntaxFacts};
pub use crate::syntax::{Shape, SyntaxError};
use crate::text::to_u32;

/// One line of compiled code and where it came from in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeLine {
    pub origin: LineOrigin,
    /// Characters of the document line that are not in the compiled line
    /// (the `# ` of a hidden line, with the indentation before it, or one `#` of `##`).
    pub removed: Removed,
}

/// `len` characters were removed before compiled column `at` (0-based).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Removed {
    pub at: u32,
    pub len: u32,
}

impl CodeLine {
    /// The 1-based document column of a 1-based column of the compiled line.
    pub fn doc_column(&self, column: u32) -> u32 {
        let zero_based = column.saturating_sub(1);
        let shift = if zero_based >= self.removed.at {
            self.removed.len
        } else {
            0
        };
        self.origin.column + zero_based + shift
    }
}

/// Largest snippet parsed and built.
pub const MAX_SNIPPET_BYTES: usize = 256 * 1024;
/// Deepest bracket nesting parsed: syn recurses once per level.
pub const MAX_NESTING: usize = 128;

/// What the fence says the outcome must be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Expect {
    Pass,
    /// Must fail to compile, with each of these error codes when any are given.
    CompileFail {
        codes: Vec<String>,
    },
}

/// A Rust block ready to be wrapped.
#[derive(Debug, Clone)]
pub struct Snippet {
    /// The code to compile: hidden-line markers removed, lines joined by `\n`.
    pub code: String,
    /// One entry per line of `code`.
    pub lines: Vec<CodeLine>,
    pub shape: Shape,
    /// Has `#[cfg(test)]` items or `#[test]` functions: its tests target is checked too.
    pub has_tests: bool,
    pub edition: Edition,
    pub expect: Expect,
    /// Names of the crate-level inner attributes (`no_std`, `feature`).
    pub crate_attrs: Vec<String>,
    /// Dependencies the snippet declares itself: cargo-script frontmatter over
    /// `dep=` tokens of the fence. They win over inference.
    pub declared: PinSet,
    /// Problems with what the snippet declares (a malformed `dep=` token).
    pub problems: Vec<String>,
    /// What the code reads outside its crate at compile time (`include_str!`,
    /// `#[path]`, `env!("SECRET")`), one description each.
    pub outside_access: Vec<String>,
    /// Everything else its syntax tree tells, read with its shape: later
    /// stages take these instead of parsing the code again.
    pub syntax: SyntaxFacts,
}

impl Snippet {
    /// A `#![no_std]` + `#![no_main]` crate: firmware for a bare-metal target.
    pub fn needs_bare_metal_target(&self) -> bool {
        let has = |name: &str| self.crate_attrs.iter().any(|a| a == name);
        has("no_std") && has("no_main")
    }
}

/// Turns a Rust block into a snippet. Never fails: bad code is a shape.
pub fn analyze(block: &Block) -> Snippet {
    let mut code_lines = Vec::with_capacity(block.lines.len());
    let mut code = String::with_capacity(block.text.len());
    for (i, (text, origin)) in block.text.split('\n').zip(&block.lines).enumerate() {
        let (compiled, removed) = unhide(text);
        if i > 0 {
            code.push('\n');
        }
        code.push_str(&compiled);
        code_lines.push(CodeLine {
            origin: *origin,
            removed,
        });
    }
    let attrs = &block.fence.attrs;
    let expect = if attrs.compile_fail {
        Expect::CompileFail {
            codes: attrs.error_codes.clone(),
        }
    } else {
        Expect::Pass
    };
    let (mut declared, mut problems) = pins::pins_from_info_tokens(&block.fence.unknown);
    let mut frontmatter_error = None;
    match pins::frontmatter(&code) {
        Ok(Some(front)) => {
            code = pins::blank_lines(&code, front.first_line, front.last_line);
            declared.merge_over(&front.pins);
        }
        Ok(None) => {}
        Err(error) => frontmatter_error = Some(error.to_string()),
    }
    let limit = too_large(&code);
    let reading = match &limit {
        Some(reason) => Reading {
            shape: Shape::TooLarge {
                reason: reason.clone(),
            },
            has_tests: false,
            crate_attrs: Vec::new(),
            outside_access: Vec::new(),
            facts: SyntaxFacts::default(),
        },
        None => syntax::read(&code),
    };
    let mut shape = reading.shape;
    if let Some(message) = frontmatter_error {
        shape = Shape::Unparsable(SyntaxError {
            line: 0,
            column: 1,
            message,
            hint: None,
        });
    }
    problems.sort();
    Snippet {
        code,
        lines: code_lines,
        shape,
        has_tests: reading.has_tests,
        edition: attrs.edition.unwrap_or(Edition::LATEST),
        expect,
        crate_attrs: reading.crate_attrs,
        declared,
        problems,
        outside_access: reading.outside_access,
        syntax: reading.facts,
    }
}

/// Why a snippet is over the limits, if it is.
fn too_large(code: &str) -> Option<String> {
    if code.len() > MAX_SNIPPET_BYTES {
        return Some(format!(
            "{} bytes, over the {MAX_SNIPPET_BYTES}-byte limit",
            code.len()
        ));
    }
    let mut depth = 0usize;
    let mut deepest = 0usize;
    for c in code.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    (deepest > MAX_NESTING)
        .then(|| format!("nested {deepest} brackets deep, over the limit of {MAX_NESTING}"))
}

/// Whether an untagged block is probably a Rust example: it parses as Rust and
/// uses at least one of Rust's item or statement keywords (plain prose rarely
/// parses, and a lone word that does is no example).
pub fn looks_like_rust(text: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "fn", "let", "use", "struct", "enum", "impl", "trait", "mod", "pub", "match", "const",
    ];
    let has_keyword = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|word| KEYWORDS.contains(&word));
    has_keyword && too_large(text).is_none() && !matches!(syntax::shape(text), Shape::Unparsable(_))
}

/// rustdoc's hidden-line rule for one line: returns the compiled text and what was removed.
fn unhide(line: &str) -> (Cow<'_, str>, Removed) {
    let trimmed = line.trim_start();
    let indent_bytes = line.len() - trimmed.len();
    let indent = to_u32(line[..indent_bytes].chars().count());
    if trimmed.starts_with("##") {
        // `##` is a literal `#`: the first one is dropped.
        let compiled = format!("{}{}", &line[..indent_bytes], &trimmed[1..]);
        return (Cow::Owned(compiled), Removed { at: indent, len: 1 });
    }
    if let Some(rest) = trimmed.strip_prefix("# ") {
        return (
            Cow::Borrowed(rest),
            Removed {
                at: 0,
                len: indent + 2,
            },
        );
    }
    if trimmed.trim_end() == "#" {
        return (
            Cow::Borrowed(""),
            Removed {
                at: 0,
                len: indent + 1,
            },
        );
    }
    (Cow::Borrowed(line), Removed::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fence::parse_info;

    fn block(info: &str, text: &str) -> Block {
        let lines = text
            .split('\n')
            .enumerate()
            .map(|(i, _)| LineOrigin {
                line: to_u32(i + 2),
                column: 1,
                offset: 0,
            })
            .collect();
        Block {
            index: 0,
            fence_line: 1,
            info: info.to_string(),
            fence: parse_info(info),
            text: text.to_string(),
            lines,
            headings: Vec::new(),
            byte_range: 0..0,
            problems: Vec::new(),
        }
    }

    #[track_caller]
    fn check_shape(text: &str, expected: Shape) {
        assert_eq!(
            analyze(&block("rust", text)).shape,
            expected,
            "shape of {text:?}"
        );
    }

    #[test]
    fn shapes() {
        check_shape("fn main() {}", Shape::Items { has_main: true });
        check_shape("struct A;\nimpl A {}", Shape::Items { has_main: false });
        check_shape("", Shape::Items { has_main: false });
        check_shape("// only a comment", Shape::Items { has_main: false });
        check_shape(
            "let x = 1;\nprintln!(\"{x}\");",
            Shape::Statements {
                crate_attr_lines: 0,
            },
        );
        check_shape(
            "1 + 1",
            Shape::Statements {
                crate_attr_lines: 0,
            },
        );
        check_shape(
            "use std::mem;\nlet a = mem::size_of::<u8>();",
            Shape::Statements {
                crate_attr_lines: 0,
            },
        );
        check_shape(
            "#![allow(dead_code)]\n#![deny(warnings)]\nlet x = 1;",
            Shape::Statements {
                crate_attr_lines: 2,
            },
        );
        check_shape("#![no_std]\nfn f() {}", Shape::Items { has_main: false });
        // Nothing but macro calls in parentheses: statements, as rustdoc
        // reads them; braces or one item beside them keep the items.
        check_shape(
            "bail!(\"no {}\", what);",
            Shape::Statements {
                crate_attr_lines: 0,
            },
        );
        check_shape(
            "lazy_static! { static ref A: u8 = 1; }",
            Shape::Items { has_main: false },
        );
        check_shape(
            "struct A;\nimpl_display!(A);",
            Shape::Items { has_main: false },
        );
        check_shape("macro_rules!(m, ());", Shape::Items { has_main: false });
        // A top-level `println!` is a statement, even after items.
        check_shape(
            "fn greet() -> &'static str { \"hi\" }\nprintln!(\"{}\", greet());",
            Shape::Statements {
                crate_attr_lines: 0,
            },
        );
    }

    #[test]
    fn unparsable_snippets_place_the_error() {
        let snippet = analyze(&block("rust", "fn ok() {}\nfn broken( {\n"));
        let Shape::Unparsable(error) = snippet.shape else {
            panic!("expected a syntax error, got {:?}", snippet.shape);
        };
        assert_eq!(error.line, 1, "{error:?}");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn hidden_lines_are_compiled_and_columns_shift() {
        let snippet = analyze(&block(
            "rust",
            "# fn main() {\n  #   let x = 1;\nlet y = 2;\n#\n# }",
        ));
        assert_eq!(snippet.code, "fn main() {\n  let x = 1;\nlet y = 2;\n\n}");
        assert_eq!(snippet.lines[0].doc_column(1), 3);
        // `  # ` then the compiled text starts at document column 5.
        assert_eq!(snippet.lines[1].doc_column(1), 5);
        assert_eq!(snippet.lines[2].doc_column(5), 5);
        assert_eq!(snippet.shape, Shape::Items { has_main: true });
        let escaped = analyze(&block("rust", "  ##[derive(Debug)]\nstruct A;"));
        assert_eq!(escaped.code, "  #[derive(Debug)]\nstruct A;");
        assert_eq!(escaped.lines[0].doc_column(3), 4);
        assert_eq!(escaped.lines[0].doc_column(4), 5);
    }

    #[test]
    fn expectations_and_editions() {
        let s = analyze(&block(
            "compile_fail,E0308,edition2021",
            "fn f() -> u8 { \"\" }",
        ));
        assert_eq!(
            s.expect,
            Expect::CompileFail {
                codes: vec!["E0308".into()]
            }
        );
        assert_eq!(s.edition, Edition::E2021);
        assert_eq!(analyze(&block("rust", "")).edition, Edition::E2024);
    }

    #[test]
    fn limits_and_outside_access() {
        let deep = format!(
            "fn f() {{ let x = {}1{}; }}",
            "(".repeat(500),
            ")".repeat(500)
        );
        assert!(matches!(
            analyze(&block("rust", &deep)).shape,
            Shape::TooLarge { .. }
        ));
        let huge = "// x\n".repeat(MAX_SNIPPET_BYTES / 4);
        assert!(matches!(
            analyze(&block("rust", &huge)).shape,
            Shape::TooLarge { .. }
        ));
        let reads = |code: &str| analyze(&block("rust", code)).outside_access.len();
        assert_eq!(reads("const S: &str = include_str!(\"/etc/passwd\");"), 1);
        assert_eq!(reads("let t = env!(\"GITHUB_TOKEN\");"), 1);
        assert_eq!(reads("let t = option_env!(\"AWS_SECRET_ACCESS_KEY\");"), 1);
        assert_eq!(reads("#[path = \"../../x.rs\"]\nmod x;"), 1);
        assert_eq!(reads("let v = env!(\"CARGO_PKG_VERSION\");"), 0);
        assert_eq!(
            reads("// include_str!(\"x\") in a comment\nlet s = \"env!(X)\";"),
            0
        );
    }

    #[test]
    fn untagged_rust_is_recognised() {
        assert!(looks_like_rust("fn main() {}"));
        assert!(looks_like_rust("let x = 1;\nprintln!(\"{x}\");"));
        assert!(!looks_like_rust("cargo build --release"));
        assert!(!looks_like_rust("hello"));
        assert!(!looks_like_rust("Use the fn key, then let go."));
    }

    #[test]
    fn tests_are_detected() {
        let s = analyze(&block(
            "rust",
            "#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {}\n}",
        ));
        assert!(s.has_tests);
        let s = analyze(&block("rust", "#[test]\nfn t() {}"));
        assert!(s.has_tests);
        assert!(!analyze(&block("rust", "fn t() {}")).has_tests);
    }
}
