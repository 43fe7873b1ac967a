//! Block -> snippet: the code as the compiler will see it, and its shape.
//!
//! Follows rustdoc's doctest conventions: `# ` hidden lines are compiled with the
//! marker removed, `##` escapes a literal `#`, and a snippet is either a set of
//! items (a library, or a binary when it has `fn main`) or statements that get
//! wrapped in `fn main`. syn decides the shape; a snippet it cannot parse gets
//! [`Shape::Unparsable`] with the parse error placed at its document line.

use std::borrow::Cow;

use serde::Serialize;
use syn::parse::Parser;

use crate::extract::{Block, LineOrigin};
use crate::fence::Edition;
use crate::pins::{self, PinSet};
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

/// What kind of Rust a snippet is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Only items: a library, or a binary when one of them is `fn main`.
    Items { has_main: bool },
    /// Statements or an expression (possibly with items among them): wrapped in `fn main`.
    /// The first `crate_attr_lines` lines hold crate-level inner attributes that stay at the top.
    Statements { crate_attr_lines: u32 },
    /// syn can parse it neither as a file nor as statements.
    Unparsable(SyntaxError),
    /// Over the limits snipcheck checks (size, nesting): not parsed at all, so a
    /// hostile snippet cannot exhaust the parser's stack.
    TooLarge { reason: String },
}

/// Largest snippet parsed and built.
pub const MAX_SNIPPET_BYTES: usize = 256 * 1024;
/// Deepest bracket nesting parsed: syn recurses once per level.
pub const MAX_NESTING: usize = 128;

/// A parse error, placed in the compiled code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    /// 0-based line of the compiled code.
    pub line: u32,
    /// 1-based column of the compiled line.
    pub column: u32,
    pub message: String,
}

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
    let (mut shape, has_tests, crate_attrs) = match &limit {
        Some(reason) => (
            Shape::TooLarge {
                reason: reason.clone(),
            },
            false,
            Vec::new(),
        ),
        None => classify(&code),
    };
    let outside_access = if limit.is_some() {
        Vec::new()
    } else {
        outside_access(&code)
    };
    if let Some(message) = frontmatter_error {
        shape = Shape::Unparsable(SyntaxError {
            line: 0,
            column: 1,
            message,
        });
    }
    problems.sort();
    Snippet {
        code,
        lines: code_lines,
        shape,
        has_tests,
        edition: attrs.edition.unwrap_or(Edition::LATEST),
        expect,
        crate_attrs,
        declared,
        problems,
        outside_access,
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

/// Compile-time reads outside the crate: `include!`-family macros, `#[path]`,
/// and `env!`/`option_env!` of anything but cargo's own `CARGO_*` variables.
/// Found in the tokens, so comments and strings that mention them don't count.
fn outside_access(code: &str) -> Vec<String> {
    use proc_macro2::{TokenStream, TokenTree};
    fn walk(stream: TokenStream, found: &mut Vec<String>) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        for (i, token) in tokens.iter().enumerate() {
            match token {
                TokenTree::Group(group) => {
                    let after_hash = i > 0
                        && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '#');
                    let mut inner = group.stream().into_iter();
                    let is_path_attr = after_hash
                        && group.delimiter() == proc_macro2::Delimiter::Bracket
                        && matches!(inner.next(), Some(TokenTree::Ident(id)) if id == "path")
                        && matches!(inner.next(), Some(TokenTree::Punct(p)) if p.as_char() == '=');
                    if is_path_attr {
                        found.push("`#[path = ...]` loads a module from another file".to_string());
                    }
                    walk(group.stream(), found);
                }
                TokenTree::Ident(ident) => {
                    let name = ident.to_string();
                    let is_macro = matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                    let argument = match tokens.get(i + 2) {
                        Some(TokenTree::Group(g)) => g.stream().to_string(),
                        _ => String::new(),
                    };
                    match name.as_str() {
                        "include" | "include_str" | "include_bytes" if is_macro => {
                            found.push(format!(
                                "`{name}!({argument})` reads a file at compile time"
                            ));
                        }
                        "env" | "option_env" if is_macro => {
                            let var = argument.trim().trim_matches('"');
                            if !var.starts_with("CARGO_") {
                                found.push(format!(
                                    "`{name}!({argument})` reads the build's environment"
                                ));
                            }
                        }
                        "path"
                            if i > 0
                                && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '=') =>
                        {
                            found.push(
                                "`#[path = ...]` loads a module from another file".to_string(),
                            );
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    if let Ok(stream) = code.parse::<TokenStream>() {
        walk(stream, &mut found);
    }
    found
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
    has_keyword && too_large(text).is_none() && !matches!(classify(text).0, Shape::Unparsable(_))
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

/// The shape, whether there are tests, and the names of the crate-level attributes.
fn classify(code: &str) -> (Shape, bool, Vec<String>) {
    let file_error = match syn::parse_file(code) {
        Ok(file) if !has_statement_macro(&file) => {
            let has_main = file
                .items
                .iter()
                .any(|item| matches!(item, syn::Item::Fn(f) if f.sig.ident == "main"));
            let has_tests = file.items.iter().any(item_is_test);
            return (
                Shape::Items { has_main },
                has_tests,
                attribute_names(&file.attrs),
            );
        }
        Ok(_) => syn::Error::new(
            proc_macro2::Span::call_site(),
            "statement macros at the top level",
        ),
        Err(error) => error,
    };
    let parse_statements = |input: syn::parse::ParseStream| {
        let attrs = input.call(syn::Attribute::parse_inner)?;
        let _statements = input.call(syn::Block::parse_within)?;
        Ok(attrs)
    };
    match parse_statements.parse_str(code) {
        Ok(attrs) => {
            let crate_attr_lines = attrs
                .iter()
                .map(|a| to_u32(proc_macro2_end_line(a)))
                .max()
                .unwrap_or(0);
            let names = attribute_names(&attrs);
            (Shape::Statements { crate_attr_lines }, false, names)
        }
        Err(statement_error) => {
            // Report whichever reading got further into the text: that is most
            // likely the one the author meant.
            let best = if position(&statement_error) > position(&file_error) {
                statement_error
            } else {
                file_error
            };
            let (line, column) = position(&best);
            let error = SyntaxError {
                line: line.saturating_sub(1),
                column: column + 1,
                message: describe_syntax_error(&best),
            };
            (Shape::Unparsable(error), false, Vec::new())
        }
    }
}

fn attribute_names(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter_map(|a| a.path().get_ident().map(|i| i.to_string()))
        .collect()
}

/// Macros that are statements, never items: `println!(..);` at the top level
/// parses as an item, but the snippet is statements to wrap in `fn main`.
fn has_statement_macro(file: &syn::File) -> bool {
    const STATEMENT_MACROS: &[&str] = &[
        "println",
        "print",
        "eprintln",
        "eprint",
        "dbg",
        "assert",
        "assert_eq",
        "assert_ne",
        "debug_assert",
        "debug_assert_eq",
        "debug_assert_ne",
        "panic",
        "todo",
        "unimplemented",
        "unreachable",
        "write",
        "writeln",
        "format",
    ];
    file.items.iter().any(|item| match item {
        syn::Item::Macro(m) if m.ident.is_none() => m
            .mac
            .path
            .get_ident()
            .is_some_and(|ident| STATEMENT_MACROS.contains(&ident.to_string().as_str())),
        _ => false,
    })
}

/// syn's message, except for the lexer's, which says nothing useful on its own.
fn describe_syntax_error(error: &syn::Error) -> String {
    let message = error.to_string();
    if message == "cannot parse string into token stream" {
        "the code cannot be split into tokens: an unclosed or unbalanced delimiter, or an unterminated string, char or block comment".to_string()
    } else {
        message
    }
}

fn proc_macro2_end_line(attr: &syn::Attribute) -> usize {
    use syn::spanned::Spanned;
    attr.span().end().line
}

/// 1-based line, 0-based column of an error's start (as proc-macro2 counts them).
fn position(error: &syn::Error) -> (u32, u32) {
    let start = error.span().start();
    (to_u32(start.line), to_u32(start.column))
}

fn item_is_test(item: &syn::Item) -> bool {
    let attrs: &[syn::Attribute] = match item {
        syn::Item::Mod(m) => &m.attrs,
        syn::Item::Fn(f) => &f.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Use(u) => &u.attrs,
        _ => return false,
    };
    attrs.iter().any(|attr| {
        let path = attr.path();
        let is_cfg_test = path.is_ident("cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test");
        let is_test_fn = path.segments.last().is_some_and(|s| s.ident == "test");
        is_cfg_test || is_test_fn
    })
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
