//! Snippet code -> everything its syntax tree tells, from one parse.
//!
//! Later stages need many facts that only a syntax tree gives: the shape
//! ([`crate::analyze`]), the crates the code names ([`crate::deps`]), whether it
//! may share a crate ([`crate::plan`]), the names it defines and the arities of
//! its calls ([`crate::cause`]), the compile-time reads outside its crate. They
//! used to parse the same text three to seven times, some the snippet's code and
//! some its wrapped source. Here the code is lexed once and parsed once as a
//! file (and once more as statements when it is no file: the shape is decided
//! by both readings), and every fact is taken from that tree and handed on as
//! plain data in [`SyntaxFacts`], stored on the [`crate::analyze::Snippet`]:
//! syn's trees are not `Send`, so they cannot travel between the pipeline's
//! threads, and plain data is all a later stage should see anyway.
//!
//! The facts about the wrapped source (the file the scratch crate compiles) are
//! read from the code's tree too: the wrapper adds only the prelude's inner
//! attributes and, around statements, a `fn main` (returning a `Result` when
//! the code needs one, [`MainKind`]), so the wrapped file's tree is the code's
//! tree inside a parsed skeleton of those lines. Three rare cases cannot be
//! told that way, and there the wrapped source is parsed on its own
//! ([`wrapped_facts`]): statements under crate-level attributes (the wrapper
//! splits them by lines, and a line may hold more than an attribute), code
//! that starts with a byte order mark or a shebang (which a file may only have
//! at its start, where the prelude goes), and code with lines the wrapper
//! hoists to the crate's top (`extern crate` among statements, crate
//! attributes after other code: rustdoc moves them too).
//!
//! All of snipcheck's syn visitors over snippets live here, but for the crate
//! resolver of [`crate::deps::scan_file`], whose name-resolution rules belong
//! with the dependency inference that relies on them.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::visit::{self, Visit};

use serde::Serialize;

use crate::deps::{self, CrateUse};
use crate::text::to_u32;

/// The lines the wrapper puts above every snippet (`wrap.rs`): known here
/// because the wrapped source's facts are read from the code's own tree set
/// inside them.
pub const PRELUDE: &[&str] = &["#![allow(unused)]"];

/// The line that opens the generated `fn main` around statements.
pub const MAIN_OPEN: &str = "fn main() {";
/// The line that closes it.
pub const MAIN_CLOSE: &str = "}";

/// What kind of Rust a snippet is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// Only items: a library, or a binary when one of them is `fn main`.
    Items { has_main: bool },
    /// Statements or an expression (possibly with items among them): wrapped in `fn main`.
    /// The first `crate_attr_lines` lines hold crate-level inner attributes that stay at the top.
    Statements { crate_attr_lines: u32 },
    /// syn can parse it neither as a file nor as statements, or it parses but
    /// cannot stand where it is (a method outside any `impl`).
    Unparsable(SyntaxError),
    /// Over the limits snipcheck checks (size, nesting): not parsed at all, so a
    /// hostile snippet cannot exhaust the parser's stack.
    TooLarge { reason: String },
}

/// A parse error, placed in the compiled code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyntaxError {
    /// 0-based line of the compiled code.
    pub line: u32,
    /// 1-based column of the compiled line.
    pub column: u32,
    pub message: String,
    /// Why the code cannot stand where it is and what to do, when snipcheck
    /// can tell (a `...` gap, a cut-off `impl`, a method outside its `impl`).
    pub hint: Option<String>,
}

/// What the syntax tree of a snippet tells the stages after analysis.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyntaxFacts {
    /// Names the items of the snippet define, at any depth (for telling a
    /// document's own names from placeholders).
    pub defined_names: BTreeSet<String>,
    /// The number of arguments each called function gets (the first call site
    /// wins). Read from the code as a file only: empty for statements.
    pub call_arities: BTreeMap<String, usize>,
    /// What the snippet's wrapped source says as a file.
    pub wrapped: WrappedFacts,
    /// The snippet's top-level items, in order (for the definitions another
    /// block of the document borrows in a `needs-context` variant).
    pub top_items: Vec<TopItem>,
    /// `wrapped` could not be read from the code's tree (crate attributes
    /// among statements, a shebang or byte-order mark, hoisted lines): the
    /// wrapper parses its own text ([`crate::wrap::wrap_snippet`]) before the
    /// snippet goes on.
    pub wrapped_needs_own_parse: bool,
    /// 0-based code lines the wrapper moves to the top of the crate, in this
    /// order, as rustdoc does: crate attributes (`#![...]`) that stand after
    /// other code, then, among statements, `extern crate` items with their
    /// attributes (`#[macro_use]` works only at the crate root).
    pub hoisted_lines: Vec<u32>,
    /// How the generated `fn main` around statements returns.
    pub main: MainKind,
}

/// One top-level item of a snippet: what it is and the code lines it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopItem {
    pub kind: TopItemKind,
    /// 0-based code lines of its first token (attributes included) and last.
    pub first_line: u32,
    pub last_line: u32,
}

/// What a top-level item is, as far as borrowing it into another block goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopItemKind {
    /// Defines this name (a type, trait, function, constant, module, macro).
    Defines(String),
    /// An `impl` block for the type of this name (`impl Trait for Name`).
    Impl(String),
    /// A `use` item.
    Use,
    /// `fn main`, or anything else a borrowing block has no use for.
    Other,
}

/// How the `fn main` the wrapper generates around statements returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MainKind {
    /// `fn main() { ... }`.
    #[default]
    Plain,
    /// The code ends with `Ok::<(), E>(())`: rustdoc's wrapper, an inner
    /// function returning `Result<(), impl Debug>` that `main` unwraps, so `?`
    /// works.
    Rustdoc,
    /// The code uses `?` at its top level, or ends with a plain `Ok(())`:
    /// `fn main() -> Result<(), Box<dyn Error>>`.
    Fallible(Ending),
}

/// How a fallible `main` ends after the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The code's last expression is `Ok(())`: nothing is added.
    CodeReturns,
    /// `Ok(())` is added after the code.
    AddOk,
    /// The code ends with an expression that needs a `;` before another
    /// statement (`f()?`): `; Ok(())` is added.
    TerminateAndAddOk,
}

impl MainKind {
    /// The generated line that opens `main`.
    pub fn open(self) -> &'static str {
        match self {
            MainKind::Plain => MAIN_OPEN,
            MainKind::Rustdoc => RUSTDOC_RESULT_OPEN,
            MainKind::Fallible(_) => FALLIBLE_OPEN,
        }
    }

    /// The generated lines that close `main`.
    pub fn close(self) -> &'static [&'static str] {
        match self {
            MainKind::Plain | MainKind::Fallible(Ending::CodeReturns) => &[MAIN_CLOSE],
            MainKind::Rustdoc => &[RUSTDOC_RESULT_CLOSE],
            MainKind::Fallible(Ending::AddOk) => &["Ok(())", MAIN_CLOSE],
            MainKind::Fallible(Ending::TerminateAndAddOk) => &["; Ok(())", MAIN_CLOSE],
        }
    }
}

/// rustdoc's `fn main` for code that ends with `Ok::<(), E>(())`: the code is
/// the body of an inner function whose result `main` unwraps.
pub const RUSTDOC_RESULT_OPEN: &str =
    "fn main() { fn _inner() -> core::result::Result<(), impl core::fmt::Debug> {";
/// The line that closes it.
pub const RUSTDOC_RESULT_CLOSE: &str = "} _inner().unwrap() }";
/// The `fn main` for code that uses `?` at its top level. The paths are
/// absolute, so a snippet's own `Result` or `Error` cannot change them.
pub const FALLIBLE_OPEN: &str =
    "fn main() -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>> {";

/// What a snippet's wrapped source (its own crate's file) says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WrappedFacts {
    /// Every external crate the file names (see [`crate::deps::scan`]); `None`
    /// when it does not parse.
    pub crate_uses: Option<Vec<CrateUse>>,
    /// The names of the `#[macro_export]` macros it defines, if all are
    /// top-level items; `None` when one is out of sight (inside a function or
    /// a module) or the file does not parse. Exported macros live at the crate
    /// root whatever module defines them, so merged snippets may share a crate
    /// only if these names differ.
    pub exported_macros: Option<Vec<String>>,
    /// A top-level `use super::...`: the crate root's parent, an error alone
    /// but something else inside a merged crate.
    pub uses_super_at_top: bool,
    /// A top-level `mod name;`, which names a file relative to the crate root.
    pub has_outline_module: bool,
    /// The 0-based code lines holding the opening brace of each inline module,
    /// in order: a stub import goes right after each of them.
    pub module_body_lines: Vec<u32>,
}

/// What reading a snippet's code found.
#[derive(Debug, Clone)]
pub struct Reading {
    pub shape: Shape,
    /// Has `#[cfg(test)]` items or `#[test]` functions.
    pub has_tests: bool,
    /// Names of the crate-level inner attributes.
    pub crate_attrs: Vec<String>,
    /// What the code reads outside its crate at compile time, one description each.
    pub outside_access: Vec<String>,
    pub facts: SyntaxFacts,
}

/// Reads a snippet's code: its shape and every fact of its syntax tree. The
/// code must be within [`crate::analyze`]'s limits.
pub fn read(code: &str) -> Reading {
    let tokens = lex(code);
    let outside_access = tokens
        .as_ref()
        .map(|tokens| outside_access(tokens.clone()))
        .unwrap_or_default();
    let hoistable = tokens
        .as_ref()
        .map(|tokens| hoistables(tokens, code))
        .unwrap_or_default();
    // Crate attributes that stand after other code cannot be parsed where they
    // are: their lines are read as blank (the other spans keep their lines),
    // and the wrapper puts them at the top of the crate.
    let blanked = blank_crate_attributes(code, &hoistable);
    let (text, tokens) = match &blanked {
        Some(text) => (text.as_str(), lex(text)),
        None => (code, tokens),
    };
    let own_prefix = has_file_prefix(text);
    let file = file_reading(text, &tokens);
    let classified = classify(&file, &tokens);
    let file = file.ok();
    let statements = classified.statements;

    let mut facts = SyntaxFacts::default();
    if let Some(file) = &file {
        facts.defined_names = defined_names(|v| v.visit_file(file));
        facts.call_arities = call_arities(file);
        facts.top_items = file.items.iter().map(top_item).collect();
    } else if let Some((_, stmts)) = &statements {
        facts.defined_names = defined_names(|v| stmts.iter().for_each(|s| v.visit_stmt(s)));
        facts.top_items = stmts
            .iter()
            .filter_map(|s| match s {
                syn::Stmt::Item(item) => Some(top_item(item)),
                _ => None,
            })
            .collect();
    } else if tokens.is_err() {
        // Code that cannot be split into tokens may still be balanced inside a
        // function (`} fn x() {`): its names are read from there, as they
        // always were.
        counted_parse();
        if let Ok(file) = syn::parse_file(&format!("fn {WRAPPER_FN}() {{\n{text}\n}}")) {
            facts.defined_names = defined_names(|v| v.visit_file(&file));
        }
    }
    facts.defined_names.remove(WRAPPER_FN);

    let mut shape = classified.shape;
    let mut crate_attrs = classified.crate_attrs;
    let misplaced = match (&file, &statements) {
        (Some(file), _) if matches!(shape, Shape::Items { .. }) => {
            misplaced_fn(|v| v.visit_file(file))
        }
        (_, Some((_, stmts))) => misplaced_fn(|v| stmts.iter().for_each(|s| v.visit_stmt(s))),
        _ => None,
    };
    if let Some(error) = misplaced {
        shape = Shape::Unparsable(error);
    }
    if let Shape::Unparsable(error) = &mut shape
        && error.hint.is_none()
    {
        error.hint = gap_hint(code);
    }
    let is_statements = matches!(shape, Shape::Statements { .. });
    if let (true, Some((_, stmts))) = (is_statements, &statements) {
        facts.main = main_kind(stmts);
    }
    if matches!(shape, Shape::Items { .. } | Shape::Statements { .. }) {
        for hoisted in &hoistable {
            if let Some(name) = &hoisted.crate_attr {
                crate_attrs.push(name.clone());
                facts.hoisted_lines.extend(hoisted.first..=hoisted.last);
            }
        }
    }
    if is_statements {
        for hoisted in hoistable.iter().filter(|h| h.crate_attr.is_none()) {
            facts.hoisted_lines.extend(hoisted.first..=hoisted.last);
        }
    }

    // The wrapped source holds every line of the code and no mention of
    // `macro_export` of its own; the spans of the code's tokens are 1-based
    // lines of the code.
    let mentions = code.matches("macro_export").count();
    let code_line = |line: u32| line.checked_sub(1);
    let mut wrapped_needs_own_parse = !facts.hoisted_lines.is_empty();
    match &shape {
        _ if wrapped_needs_own_parse => {}
        Shape::Items { .. } if own_prefix => wrapped_needs_own_parse = true,
        Shape::Items { .. } => {
            // Items are wrapped under the prelude's attributes.
            if let Some(mut file) = file {
                file.attrs.splice(0..0, skeleton().attrs);
                facts.wrapped = file_facts(Some(&file), mentions, code_line);
            }
        }
        Shape::Statements { crate_attr_lines } if *crate_attr_lines > 0 || own_prefix => {
            wrapped_needs_own_parse = true;
        }
        Shape::Statements { .. } => {
            // Statements without crate attributes are wrapped whole in `fn
            // main` (whichever way it returns, its body holds them all).
            if let Some((_, stmts)) = statements {
                let mut file = skeleton();
                if let Some(syn::Item::Fn(main)) = file.items.first_mut() {
                    main.block.stmts = stmts;
                }
                facts.wrapped = file_facts(Some(&file), mentions, code_line);
            }
        }
        Shape::Unparsable(_) | Shape::TooLarge { .. } => {}
    }
    Reading {
        shape,
        has_tests: classified.has_tests,
        crate_attrs,
        outside_access,
        facts: SyntaxFacts {
            wrapped_needs_own_parse,
            ..facts
        },
    }
}

/// The shape alone, for telling whether an untagged block is Rust.
pub fn shape(code: &str) -> Shape {
    let tokens = lex(code);
    classify(&file_reading(code, &tokens), &tokens).shape
}

/// The code read as a file, as `syn::parse_file` reads it: from the code's
/// tokens, unless that function strips a prefix the tokens keep.
fn file_reading(
    code: &str,
    tokens: &Result<TokenStream, syn::Error>,
) -> Result<syn::File, syn::Error> {
    if has_file_prefix(code) {
        counted_parse();
        syn::parse_file(code)
    } else {
        tokens.clone().and_then(|tokens| {
            counted_pass();
            syn::parse2::<syn::File>(tokens)
        })
    }
}

/// The facts of a wrapped source, parsed on its own: for the wrapped sources
/// whose tree [`read`] cannot tell from the code's.
pub fn wrapped_facts(text: &str, snippet_line: impl Fn(u32) -> Option<u32>) -> WrappedFacts {
    counted_parse();
    let file = syn::parse_file(text).ok();
    let mentions = text.matches("macro_export").count();
    file_facts(file.as_ref(), mentions, snippet_line)
}

/// The function [`read`] wraps code in when it reads its names from a text
/// that does not split into tokens; never a name of the snippet's.
const WRAPPER_FN: &str = "__snipcheck";

/// The lines the wrapper generates around statements, parsed: the prelude's
/// attributes and an empty `fn main`. Parsed once per thread (syn's trees
/// cannot be shared between threads) and cloned for each snippet.
fn skeleton() -> syn::File {
    thread_local! {
        static SKELETON: RefCell<Option<syn::File>> = const { RefCell::new(None) };
    }
    SKELETON.with(|cell| {
        cell.borrow_mut()
            .get_or_insert_with(|| {
                let mut text: String = PRELUDE.iter().map(|l| format!("{l}\n")).collect();
                text.push_str(&format!("{MAIN_OPEN}\n{MAIN_CLOSE}\n"));
                syn::parse_file(&text).unwrap_or_else(|_| syn::File {
                    shebang: None,
                    attrs: Vec::new(),
                    items: Vec::new(),
                })
            })
            .clone()
    })
}

/// The facts of a wrapped file; `code_line` maps a 1-based line of the file's
/// spans to a 0-based line of the snippet's code.
fn file_facts(
    file: Option<&syn::File>,
    mentions: usize,
    code_line: impl Fn(u32) -> Option<u32>,
) -> WrappedFacts {
    let exported_macros = if mentions == 0 {
        Some(Vec::new())
    } else {
        file.and_then(|file| {
            let names: Vec<String> = file
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::Item::Macro(m)
                        if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) =>
                    {
                        m.ident.as_ref().map(|ident| ident.to_string())
                    }
                    _ => None,
                })
                .collect();
            (names.len() == mentions).then_some(names)
        })
    };
    let Some(file) = file else {
        return WrappedFacts {
            exported_macros,
            ..WrappedFacts::default()
        };
    };
    let uses_super_at_top = file.items.iter().any(|item| match item {
        syn::Item::Use(u) => matches!(&u.tree, syn::UseTree::Path(p) if p.ident == "super"),
        _ => false,
    });
    let has_outline_module = file
        .items
        .iter()
        .any(|item| matches!(item, syn::Item::Mod(m) if m.content.is_none()));
    WrappedFacts {
        crate_uses: Some(deps::scan_file(file)),
        exported_macros,
        uses_super_at_top,
        has_outline_module,
        module_body_lines: module_body_lines(file)
            .into_iter()
            .filter_map(code_line)
            .collect(),
    }
}

/// Whether `syn::parse_file` strips something from the start of `code` (a
/// byte order mark or a shebang line) that the token stream keeps. Errs towards
/// yes: a yes only costs a parse of its own.
fn has_file_prefix(code: &str) -> bool {
    code.starts_with('\u{feff}')
        || code
            .strip_prefix("#!")
            .is_some_and(|rest| !rest.trim_start().starts_with('['))
}

/// The code's tokens; the lexer's error as syn reports it.
fn lex(code: &str) -> Result<TokenStream, syn::Error> {
    counted_lex();
    code.parse::<TokenStream>().map_err(syn::Error::from)
}

/// What [`classify`] found, with the statements it read.
struct Classified {
    shape: Shape,
    has_tests: bool,
    crate_attrs: Vec<String>,
    /// The inner attributes and statements, when the code was read as statements.
    statements: Option<(Vec<syn::Attribute>, Vec<syn::Stmt>)>,
}

/// The shape from the code's reading as a file, and when that is no set of
/// items, its reading as statements (`tokens` are the code's own).
fn classify(
    file: &Result<syn::File, syn::Error>,
    tokens: &Result<TokenStream, syn::Error>,
) -> Classified {
    let file_error = match file {
        Ok(file) if !has_statement_macro(file) => {
            let has_main = file
                .items
                .iter()
                .any(|item| matches!(item, syn::Item::Fn(f) if f.sig.ident == "main"));
            return Classified {
                shape: Shape::Items { has_main },
                has_tests: file.items.iter().any(item_is_test),
                crate_attrs: attribute_names(&file.attrs),
                statements: None,
            };
        }
        Ok(_) => syn::Error::new(
            proc_macro2::Span::call_site(),
            "statement macros at the top level",
        ),
        Err(error) => error.clone(),
    };
    let parse_statements = |input: syn::parse::ParseStream| {
        let attrs = input.call(syn::Attribute::parse_inner)?;
        let statements = input.call(syn::Block::parse_within)?;
        Ok((attrs, statements))
    };
    let statements = tokens.clone().and_then(|tokens| {
        counted_pass();
        parse_statements.parse2(tokens)
    });
    match statements {
        Ok((attrs, stmts)) => {
            let crate_attr_lines = attrs.iter().map(|a| to_u32(end_line(a))).max().unwrap_or(0);
            Classified {
                shape: Shape::Statements { crate_attr_lines },
                has_tests: false,
                crate_attrs: attribute_names(&attrs),
                statements: Some((attrs, stmts)),
            }
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
                hint: None,
            };
            Classified {
                shape: Shape::Unparsable(error),
                has_tests: false,
                crate_attrs: Vec::new(),
                statements: None,
            }
        }
    }
}

/// A construct rustdoc moves to the top of the crate, on whole lines of the code.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hoistable {
    /// 0-based first and last lines of the code.
    first: u32,
    last: u32,
    /// A crate attribute's name (`#![feature(...)]`: `feature`); `None` for an
    /// `extern crate` item.
    crate_attr: Option<String>,
}

/// The crate attributes that stand after other code, and the `extern crate`
/// items (with their outer attributes), at the top level of the code's
/// tokens, each when it takes whole lines (what else shares a line with one
/// stays where it is, and so does the construct).
fn hoistables(tokens: &TokenStream, code: &str) -> Vec<Hoistable> {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let lines: Vec<&str> = code.split('\n').collect();
    let punct =
        |i: usize, c: char| matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    let bracket = |i: usize| matches!(tokens.get(i), Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Bracket);
    let ident =
        |i: usize, word: &str| matches!(tokens.get(i), Some(TokenTree::Ident(id)) if id == word);
    let mut found = Vec::new();
    // Only crate attributes so far: those stay where they are.
    let mut leading = true;
    // Where the outer attributes before the next item start.
    let mut attrs_start: Option<usize> = None;
    let mut i = 0;
    while i < tokens.len() {
        if punct(i, '#') && punct(i + 1, '!') && bracket(i + 2) {
            if !leading && let Some((first, last)) = whole_lines(&lines, &tokens[i], &tokens[i + 2])
            {
                let name = match &tokens[i + 2] {
                    TokenTree::Group(group) => group.stream().into_iter().find_map(|t| match t {
                        TokenTree::Ident(ident) => Some(ident.to_string()),
                        _ => None,
                    }),
                    _ => None,
                };
                found.push(Hoistable {
                    first,
                    last,
                    crate_attr: Some(name.unwrap_or_default()),
                });
            }
            attrs_start = None;
            i += 3;
            continue;
        }
        leading = false;
        if punct(i, '#') && bracket(i + 1) {
            attrs_start.get_or_insert(i);
            i += 2;
            continue;
        }
        let start = attrs_start.take().unwrap_or(i);
        if ident(i, "extern")
            && ident(i + 1, "crate")
            && let Some(end) = (i..tokens.len()).find(|&j| punct(j, ';'))
        {
            if let Some((first, last)) = whole_lines(&lines, &tokens[start], &tokens[end]) {
                found.push(Hoistable {
                    first,
                    last,
                    crate_attr: None,
                });
            }
            i = end + 1;
            continue;
        }
        i += 1;
    }
    found
}

/// The 0-based lines from `first`'s start to `last`'s end, when nothing but
/// blanks (and a line comment at the end) shares them.
fn whole_lines(
    lines: &[&str],
    first: &proc_macro2::TokenTree,
    last: &proc_macro2::TokenTree,
) -> Option<(u32, u32)> {
    let (start, end) = (first.span().start(), last.span().end());
    let before: String = lines
        .get(start.line.checked_sub(1)?)?
        .chars()
        .take(start.column)
        .collect();
    let after: String = lines
        .get(end.line.checked_sub(1)?)?
        .chars()
        .skip(end.column)
        .collect();
    let after = after.trim();
    (before.trim().is_empty() && (after.is_empty() || after.starts_with("//")))
        .then(|| (to_u32(start.line - 1), to_u32(end.line - 1)))
}

/// The code with the lines of its hoisted crate attributes blank, when it has
/// any: the text that is parsed.
fn blank_crate_attributes(code: &str, hoistable: &[Hoistable]) -> Option<String> {
    let blank: BTreeSet<u32> = hoistable
        .iter()
        .filter(|h| h.crate_attr.is_some())
        .flat_map(|h| h.first..=h.last)
        .collect();
    if blank.is_empty() {
        return None;
    }
    let lines: Vec<&str> = code
        .split('\n')
        .enumerate()
        .map(|(n, line)| if blank.contains(&to_u32(n)) { "" } else { line })
        .collect();
    Some(lines.join("\n"))
}

/// A free function that can only be a method or an associated function: it
/// takes `self`, or names `Self` in its signature, outside any `impl` or
/// `trait`. It parses, but rustc rejects it (E0424, E0411) wherever it is
/// built, so it is a syntax problem of the example, told without a build.
fn misplaced_fn(visit: impl FnOnce(&mut Misplaced)) -> Option<SyntaxError> {
    let mut misplaced = Misplaced(None);
    visit(&mut misplaced);
    misplaced.0
}

struct Misplaced(Option<SyntaxError>);

impl<'ast> Visit<'ast> for Misplaced {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        use quote::ToTokens;
        if self.0.is_some() {
            return;
        }
        let name = &item.sig.ident;
        let receiver = matches!(item.sig.inputs.first(), Some(syn::FnArg::Receiver(_)));
        let (message, hint) = if receiver {
            (
                format!(
                    "`fn {name}` takes `self`, but it stands outside any `impl` or `trait` block"
                ),
                "a method outside its `impl` block: wrap it in `impl Type { … }` (hidden `# impl Type {` and `# }` lines keep the wrapper out of the docs)",
            )
        } else if item.sig.variadic.is_some() && item.sig.abi.is_none() {
            (
                format!("`fn {name}` has `...` among its parameters"),
                GAP_HINT,
            )
        } else if has_ident(item.sig.to_token_stream(), "Self") {
            (
                format!(
                    "`fn {name}` names `Self`, but it stands outside any `impl` or `trait` block"
                ),
                "an associated function outside its `impl` block: wrap it in `impl Type { … }` (hidden `# impl Type {` and `# }` lines keep the wrapper out of the docs)",
            )
        } else {
            visit::visit_item_fn(self, item);
            return;
        };
        let start = name.span().start();
        self.0 = Some(SyntaxError {
            line: to_u32(start.line.saturating_sub(1)),
            column: to_u32(start.column + 1),
            message,
            hint: Some(hint.to_string()),
        });
    }
}

fn has_ident(tokens: TokenStream, word: &str) -> bool {
    use proc_macro2::TokenTree;
    tokens.into_iter().any(|token| match token {
        TokenTree::Ident(ident) => ident == word,
        TokenTree::Group(group) => has_ident(group.stream(), word),
        _ => false,
    })
}

/// What to do about a `...` that leaves code out.
const GAP_HINT: &str = "the example leaves code out with `...`, which is no Rust syntax: write the missing code (hidden `# ` lines keep it out of the docs), or make the gap a comment (`// ...`)";

/// Why code that does not parse cannot stand as it is, when its text tells:
/// a `...` or `…` that leaves code out, a `}` that closes what the example
/// never opened, a `{` never closed (an `impl` cut off). Read from the text
/// outside comments, strings and character literals.
fn gap_hint(code: &str) -> Option<String> {
    let lines = code_outside_literals(code);
    if lines
        .iter()
        .any(|line| line.contains('…') || line.replace("..=", "").contains("..."))
    {
        return Some(GAP_HINT.to_string());
    }
    let mut depth = 0i64;
    for line in &lines {
        for c in line.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                return Some(
                    "a `}` closes a block the example never opens: it looks cut out of a larger item (an `impl` or a function); add the opening line (hidden with `# ` if it is noise)"
                        .to_string(),
                );
            }
        }
    }
    (depth > 0).then(|| {
        "the example is cut off: a `{` is never closed (an `impl` or a function without its end); close it, with hidden `# }` lines if the rest is noise"
            .to_string()
    })
}

/// Each line of the code without its comments and the insides of its string
/// and character literals: what is left is code. Raw strings count as
/// strings; a lifetime is not a character literal.
fn code_outside_literals(code: &str) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Str,
        RawStr(usize),
        Comment(usize),
    }
    let chars: Vec<char> = code.chars().collect();
    let mut lines = vec![String::new()];
    let mut state = State::Code;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            lines.push(String::new());
            i += 1;
            continue;
        }
        let line = lines.last_mut();
        match state {
            State::Code => match (c, next) {
                ('/', Some('/')) => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                    continue;
                }
                ('/', Some('*')) => {
                    state = State::Comment(1);
                    i += 1;
                }
                ('"', _) => state = State::Str,
                ('r', Some('"' | '#')) => {
                    let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                    if chars.get(i + 1 + hashes) == Some(&'"') {
                        state = State::RawStr(hashes);
                        i += 1 + hashes;
                    } else if let Some(line) = line {
                        line.push(c);
                    }
                }
                ('\'', Some('\\')) => {
                    i += 2;
                    while i < chars.len() && chars[i] != '\'' && chars[i] != '\n' {
                        i += 1;
                    }
                }
                ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') => i += 2,
                _ => {
                    if let Some(line) = line {
                        line.push(c);
                    }
                }
            },
            State::Str => match c {
                '\\' => i += 1,
                '"' => state = State::Code,
                _ => {}
            },
            State::RawStr(hashes) => {
                if c == '"'
                    && chars[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes
                {
                    state = State::Code;
                    i += hashes;
                }
            }
            State::Comment(depth) => match (c, next) {
                ('*', Some('/')) => {
                    state = if depth == 1 {
                        State::Code
                    } else {
                        State::Comment(depth - 1)
                    };
                    i += 1;
                }
                ('/', Some('*')) => {
                    state = State::Comment(depth + 1);
                    i += 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    lines
}

/// How `main` must return around these statements: rustdoc's rule for code
/// that ends with `Ok::<(), E>(())`, and a `Result` for code that uses `?` at
/// its top level (not inside a closure, an `async` block or an item of its own).
fn main_kind(stmts: &[syn::Stmt]) -> MainKind {
    let last = stmts.last();
    if let Some(syn::Stmt::Expr(expr, None)) = last
        && let Some(turbofish) = ok_unit(expr)
    {
        return if turbofish {
            MainKind::Rustdoc
        } else {
            MainKind::Fallible(Ending::CodeReturns)
        };
    }
    let mut question = TopLevelTry(false);
    stmts.iter().for_each(|s| question.visit_stmt(s));
    if !question.0 {
        return MainKind::Plain;
    }
    let open = match last {
        Some(syn::Stmt::Expr(expr, None)) => !block_like(expr),
        Some(syn::Stmt::Macro(m)) => {
            m.semi_token.is_none() && !matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_))
        }
        _ => false,
    };
    MainKind::Fallible(if open {
        Ending::TerminateAndAddOk
    } else {
        Ending::AddOk
    })
}

/// `Ok(())` (`Some(false)`) or `Ok::<...>(())` (`Some(true)`).
fn ok_unit(expr: &syn::Expr) -> Option<bool> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(path) = &*call.func else {
        return None;
    };
    let [segment] = path.path.segments.iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let unit = matches!(call.args.iter().collect::<Vec<_>>()[..], [syn::Expr::Tuple(t)] if t.elems.is_empty());
    (segment.ident == "Ok" && unit && path.qself.is_none()).then(|| !segment.arguments.is_none())
}

/// An expression that ends a statement without a `;` (`if`, `match`, a block).
fn block_like(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::If(_)
        | syn::Expr::Match(_)
        | syn::Expr::Block(_)
        | syn::Expr::Loop(_)
        | syn::Expr::While(_)
        | syn::Expr::ForLoop(_)
        | syn::Expr::Unsafe(_)
        | syn::Expr::TryBlock(_)
        | syn::Expr::Const(_) => true,
        syn::Expr::Macro(m) => matches!(m.mac.delimiter, syn::MacroDelimiter::Brace(_)),
        _ => false,
    }
}

/// Finds a `?` that returns from `main` itself: not inside a closure, an
/// `async` or `try` block, or an item. Macro arguments are tokens: a `?` among
/// them counts.
struct TopLevelTry(bool);

impl<'ast> Visit<'ast> for TopLevelTry {
    fn visit_expr_try(&mut self, expr: &'ast syn::ExprTry) {
        self.0 = true;
        visit::visit_expr_try(self, expr);
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_expr_try_block(&mut self, _: &'ast syn::ExprTryBlock) {}
    fn visit_expr_const(&mut self, _: &'ast syn::ExprConst) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.0 |= has_question_mark(mac.tokens.clone());
    }
}

fn has_question_mark(tokens: TokenStream) -> bool {
    use proc_macro2::TokenTree;
    tokens.into_iter().any(|token| match token {
        TokenTree::Punct(p) => p.as_char() == '?',
        TokenTree::Group(group) => has_question_mark(group.stream()),
        _ => false,
    })
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
    let known = file.items.iter().any(|item| match item {
        syn::Item::Macro(m) if m.ident.is_none() => m
            .mac
            .path
            .get_ident()
            .is_some_and(|ident| STATEMENT_MACROS.contains(&ident.to_string().as_str())),
        _ => false,
    });
    // Nothing but calls in parentheses (`bail!("...", x);`): rustdoc puts
    // them in `fn main` as it puts every snippet without one, and an item
    // macro is rarely called so (`lazy_static! { .. }` takes braces).
    let only_calls = !file.items.is_empty()
        && file.items.iter().all(|item| {
            matches!(item, syn::Item::Macro(m)
                if m.ident.is_none()
                    && matches!(m.mac.delimiter, syn::MacroDelimiter::Paren(_))
                    && !m.mac.path.is_ident("macro_rules"))
        });
    known || only_calls
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

fn end_line(attr: &syn::Attribute) -> usize {
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

/// The variables cargo sets for the crate it compiles (cargo's reference,
/// "Environment variables Cargo sets for crates"), by exact name...
const CRATE_ENV: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
];

/// ...and by family (`CARGO_PKG_VERSION`, `CARGO_BIN_EXE_<name>`).
const CRATE_ENV_PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_BIN_EXE_"];

/// Whether `env!`/`option_env!` of `name` reads only what cargo tells the
/// crate about itself. Other `CARGO_*` variables are cargo's configuration
/// (`CARGO_HTTP_PROXY`, `CARGO_REGISTRY_TOKEN`, `CARGO_HOME`) and may carry
/// credentials or machine paths, so they are outside access like any other.
fn set_by_cargo_for_crates(name: &str) -> bool {
    CRATE_ENV.contains(&name) || CRATE_ENV_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// What a snippet reads outside its crate at compile time, one description
/// each, from its tokens: `include!`, `include_str!`, `include_bytes!` (also
/// written as raw identifiers, `r#include_str!`), `env!`/`option_env!` of a
/// variable cargo does not set for a crate, `#[path = ...]` (also inside
/// `cfg_attr`), a `use` that renames a file-reading macro (`use
/// std::include_str as inc;`), and a `macro_rules!` body that invokes a macro
/// whose name it is given (`$m!(...)`), through which any of these can be
/// reached under another name. Ordinary code that merely mentions such a
/// word (`let path = ...;`, `std::env::var`) is not flagged.
fn outside_access(tokens: TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    walk_for_reads(tokens, Context::Code, &mut found);
    found
}

/// Where a token stream stands: ordinary code, or inside an attribute's brackets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Code,
    Attribute,
}

/// Macros that read a file at compile time.
const FILE_READS: &[&str] = &["include", "include_str", "include_bytes"];

fn walk_for_reads(stream: TokenStream, context: Context, found: &mut Vec<String>) {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let punct =
        |i: usize, c: char| matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == c);
    for (i, token) in tokens.iter().enumerate() {
        match token {
            TokenTree::Group(group) => {
                // `#[...]` or `#![...]`: an attribute's brackets.
                let attribute = group.delimiter() == Delimiter::Bracket
                    && i > 0
                    && (punct(i - 1, '#') || (i > 1 && punct(i - 1, '!') && punct(i - 2, '#')));
                let inner = if attribute {
                    Context::Attribute
                } else {
                    context
                };
                walk_for_reads(group.stream(), inner, found);
            }
            TokenTree::Ident(ident) => {
                let text = ident.to_string();
                let name = text.strip_prefix("r#").unwrap_or(&text);
                let is_macro = punct(i + 1, '!');
                let argument = match tokens.get(i + 2) {
                    Some(TokenTree::Group(g)) if is_macro => g.stream().to_string(),
                    _ => String::new(),
                };
                let renamed =
                    matches!(tokens.get(i + 1), Some(TokenTree::Ident(next)) if next == "as");
                match name {
                    _ if FILE_READS.contains(&name) && is_macro => {
                        found.push(format!(
                            "`{name}!({argument})` reads a file at compile time"
                        ));
                    }
                    "env" | "option_env" if is_macro => {
                        let var = argument.split(',').next().unwrap_or_default();
                        if !set_by_cargo_for_crates(var.trim().trim_matches('"')) {
                            found.push(format!(
                                "`{name}!({argument})` reads the build's environment"
                            ));
                        }
                    }
                    _ if (FILE_READS.contains(&name) || name == "option_env") && renamed => {
                        found.push(format!(
                            "`{name} as ...` renames a macro that reads outside the crate at compile time"
                        ));
                    }
                    "path" if context == Context::Attribute && punct(i + 1, '=') => {
                        found.push("`#[path = ...]` loads a module from another file".to_string());
                    }
                    // `$m!(...)` in a macro body: the macro's name comes from its caller.
                    _ if is_macro && i > 0 && punct(i - 1, '$') => {
                        found.push(format!(
                            "`${name}!` invokes a macro whose name the caller gives, which may read outside the crate"
                        ));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// What one top-level item is, and its lines.
fn top_item(item: &syn::Item) -> TopItem {
    use syn::spanned::Spanned;
    let span = item.span();
    let name = |ident: &syn::Ident| TopItemKind::Defines(ident.unraw().to_string());
    let kind = match item {
        syn::Item::Fn(i) if i.sig.ident == "main" => TopItemKind::Other,
        syn::Item::Struct(i) => name(&i.ident),
        syn::Item::Enum(i) => name(&i.ident),
        syn::Item::Fn(i) => name(&i.sig.ident),
        syn::Item::Trait(i) => name(&i.ident),
        syn::Item::Type(i) => name(&i.ident),
        syn::Item::Union(i) => name(&i.ident),
        syn::Item::Const(i) => name(&i.ident),
        syn::Item::Static(i) => name(&i.ident),
        syn::Item::Mod(i) if i.content.is_some() => name(&i.ident),
        syn::Item::Macro(i) => i.ident.as_ref().map_or(TopItemKind::Other, name),
        syn::Item::Use(_) => TopItemKind::Use,
        syn::Item::Impl(i) => match &*i.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map_or(TopItemKind::Other, |s| {
                TopItemKind::Impl(s.ident.unraw().to_string())
            }),
            _ => TopItemKind::Other,
        },
        _ => TopItemKind::Other,
    };
    TopItem {
        kind,
        first_line: to_u32(span.start().line.saturating_sub(1)),
        last_line: to_u32(span.end().line.saturating_sub(1)),
    }
}

/// The names items define, at any depth, of whatever `visit` walks.
fn defined_names(visit: impl FnOnce(&mut Items)) -> BTreeSet<String> {
    let mut items = Items(BTreeSet::new());
    visit(&mut items);
    items.0
}

struct Items(BTreeSet<String>);

impl<'ast> Visit<'ast> for Items {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let ident = match item {
            syn::Item::Struct(i) => Some(&i.ident),
            syn::Item::Enum(i) => Some(&i.ident),
            syn::Item::Fn(i) => Some(&i.sig.ident),
            syn::Item::Trait(i) => Some(&i.ident),
            syn::Item::Type(i) => Some(&i.ident),
            syn::Item::Union(i) => Some(&i.ident),
            syn::Item::Const(i) => Some(&i.ident),
            syn::Item::Static(i) => Some(&i.ident),
            syn::Item::Mod(i) => Some(&i.ident),
            syn::Item::Macro(i) => i.ident.as_ref(),
            _ => None,
        };
        if let Some(ident) = ident {
            self.0.insert(ident.to_string());
        }
        visit::visit_item(self, item);
    }
}

/// The number of arguments each called function gets (the first call site wins).
fn call_arities(file: &syn::File) -> BTreeMap<String, usize> {
    struct Calls(BTreeMap<String, usize>);
    impl<'ast> Visit<'ast> for Calls {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let syn::Expr::Path(path) = &*call.func
                && let Some(ident) = path.path.get_ident()
            {
                self.0.entry(ident.to_string()).or_insert(call.args.len());
            }
            visit::visit_expr_call(self, call);
        }
    }
    let mut calls = Calls(BTreeMap::new());
    calls.visit_file(file);
    calls.0
}

/// The 1-based lines (of the file's spans) holding the opening brace of each
/// inline module.
fn module_body_lines(file: &syn::File) -> Vec<u32> {
    struct Modules(Vec<u32>);
    impl<'ast> Visit<'ast> for Modules {
        fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
            if let Some((brace, _)) = &module.content {
                self.0.push(to_u32(brace.span.open().start().line));
            }
            visit::visit_item_mod(self, module);
        }
    }
    let mut modules = Modules(Vec::new());
    modules.visit_file(file);
    modules.0
}

/// Counts of the lexer and parser runs on this thread, for tests that check
/// that a snippet is read once.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Passes {
    /// Texts split into tokens.
    pub lexes: usize,
    /// Parser runs over tokens.
    pub parses: usize,
}

#[cfg(test)]
thread_local! {
    static PASSES: std::cell::Cell<Passes> = const {
        std::cell::Cell::new(Passes { lexes: 0, parses: 0 })
    };
}

/// The passes counted on this thread since the last call, and a new count.
#[cfg(test)]
pub(crate) fn take_passes() -> Passes {
    PASSES.with(|cell| cell.take())
}

fn counted_lex() {
    #[cfg(test)]
    PASSES.with(|cell| {
        let mut passes = cell.get();
        passes.lexes += 1;
        cell.set(passes);
    });
}

fn counted_pass() {
    #[cfg(test)]
    PASSES.with(|cell| {
        let mut passes = cell.get();
        passes.parses += 1;
        cell.set(passes);
    });
}

/// A parse of a text: a lex and a parser run.
fn counted_parse() {
    counted_lex();
    counted_pass();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{Snippet, analyze};
    use crate::extract::extract;

    #[test]
    fn env_reads_only_what_cargo_sets_for_the_crate() {
        let allowed = [
            "CARGO_PKG_VERSION",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_PKG_AUTHORS",
            "CARGO_PKG_README",
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_BIN_EXE_my-tool",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_TARGET_TMPDIR",
            "CARGO_RUSTC_CURRENT_DIR",
        ];
        let refused = [
            "CARGO_HTTP_PROXY",
            "CARGO_REGISTRY_TOKEN",
            "CARGO_REGISTRIES_CORP_TOKEN",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_CFG_TARGET_OS",
            "CARGO_PKG",
            "CARGO",
            "CARGO_",
            "GITHUB_TOKEN",
            "HOME",
            "",
        ];
        for (names, expected) in [(&allowed[..], 0), (&refused[..], 1)] {
            for name in names {
                for code in [
                    format!("let v = env!(\"{name}\");"),
                    format!("let v = option_env!(\"{name}\");"),
                    format!("let v = env!(\"{name}\", \"a message\");"),
                ] {
                    let found = outside_access(code.parse().expect("tokens"));
                    assert_eq!(found.len(), expected, "{code}: {found:?}");
                }
            }
        }
    }

    /// Compile-time reads, however they are spelled, and ordinary code that
    /// only looks like one.
    #[test]
    fn compile_time_reads_are_caught_however_they_are_spelled() {
        let flagged = [
            "const S: &str = include_str!(\"/etc/passwd\");",
            "const S: &[u8] = include_bytes!(\"../../.git/config\");",
            "include!(\"other.rs\");",
            "const S: &str = r#include_str!(\"/etc/passwd\");",
            "use std::include_str as inc;\nconst S: &str = inc!(\"/etc/passwd\");",
            "use std::{include_bytes as bytes};",
            "use core::option_env as oe;",
            "macro_rules! call { ($m:ident) => { $m!(\"/etc/passwd\") }; }\nconst S: &str = call!(include_str);",
            "#[path = \"/etc/passwd\"]\nmod m;",
            "#[cfg_attr(unix, path = \"/etc/passwd\")]\nmod m;",
            "#![path = \"x.rs\"]",
            "macro_rules! m { () => { #[path = \"x.rs\"] mod x; }; }",
            "let v = env!(\"GITHUB_TOKEN\");",
        ];
        let ordinary = [
            "let path = std::path::Path::new(\"a\");",
            "fn f(path: &str) { let path = path.trim(); }",
            "let p = Config { path = 1 };",
            "let v = std::env::var(\"HOME\");",
            "use std::env;\nlet args: Vec<String> = env::args().collect();",
            "let include = 1; let include_str = include + 1;",
            "macro_rules! twice { ($e:expr) => { $e; $e; }; }",
            "const V: &str = env!(\"CARGO_PKG_VERSION\");",
            "#[derive(Debug)]\nstruct S { path: String }",
            "use std::env as environment;",
        ];
        for (codes, flagged) in [(&flagged[..], true), (&ordinary[..], false)] {
            for code in codes {
                let found = outside_access(code.parse().expect("tokens"));
                assert_eq!(!found.is_empty(), flagged, "{code}: {found:?}");
            }
        }
    }

    fn snippet(code: &str) -> Snippet {
        let doc = format!("```rust\n{code}\n```\n");
        analyze(&extract(&doc).into_iter().next().expect("a block"))
    }

    const CASES: &[(&str, &str)] = &[
        // Items, a program, statements.
        (
            "pub struct A;\nimpl A { pub fn new() -> Self { A } }",
            "names [A] calls [] | uses [] macros []",
        ),
        (
            "use std::collections::HashMap;\nfn main() {\n    let m: HashMap<u8, u8> = HashMap::new();\n    helper(1, 2);\n}\nfn helper(a: u8, b: u8) {}",
            "names [helper main] calls [helper/2] | uses [] macros []",
        ),
        (
            "let x = 1;\nlet y = add(x, 2);\nprintln!(\"{y}\");",
            "names [] calls [] | uses [] macros []",
        ),
        (
            "fn greet() -> &'static str { \"hi\" }\nprintln!(\"{}\", greet());",
            "names [greet] calls [] | uses [] macros []",
        ),
        (
            "use tokio::time::Duration;\n#[derive(serde::Serialize)]\nstruct S { d: chrono::DateTime<chrono::Utc> }\nasync fn f() { tokio::time::sleep(Duration::from_secs(1)).await; }",
            "names [S f] calls [] | uses [chrono(chrono::DateTime chrono::Utc) serde serde(serde::Serialize) tokio(tokio::time::Duration tokio::time::Duration::from_secs tokio::time::sleep)] macros []",
        ),
        (
            "let v = serde_json::json!({ \"a\": 1 });\nlet t = regex::Regex::new(\"a\").unwrap();",
            "names [] calls [] | uses [regex(regex::Regex::new) serde_json(serde_json::json)] macros []",
        ),
        // Exported macros: top level, twice, hidden in a function, mentioned in a comment.
        (
            "#[macro_export]\nmacro_rules! square { ($x:expr) => { $x * $x } }",
            "names [square] calls [] | uses [] macros [square]",
        ),
        (
            "#[macro_export]\nmacro_rules! a { () => {} }\n#[macro_export]\nmacro_rules! b { () => {} }",
            "names [a b] calls [] | uses [] macros [a b]",
        ),
        (
            "fn g() {\n#[macro_export]\nmacro_rules! m { () => {} }\n}",
            "names [g m] calls [] | uses [] macros hidden",
        ),
        (
            "// see macro_export\nmacro_rules! m { () => {} }",
            "names [m] calls [] | uses [] macros hidden",
        ),
        (
            "let x = 1; // macro_export",
            "names [] calls [] | uses [] macros hidden",
        ),
        // A tests module, inline modules at depth, an outline module, `use super`.
        (
            "pub fn f() -> u8 { 1 }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn t() { assert_eq!(f(), 1); proptest::prop_assert!(true); }\n}",
            "names [f t tests] calls [] | uses [proptest(proptest::prop_assert) test] macros [] modules at [2]",
        ),
        (
            "mod a {\n    pub mod b {\n        pub fn c() {}\n    }\n}\nfn main() { a::b::c(); }",
            "names [a b c main] calls [] | uses [] macros [] modules at [0, 1]",
        ),
        (
            "let x = 1;\nmod inner { pub fn f() {} }\ninner::f();",
            "names [f inner] calls [] | uses [] macros [] modules at [1]",
        ),
        (
            "mod other;\nfn f() {}",
            "names [f other] calls [] | uses [] macros [] mod;",
        ),
        (
            "use super::thing;",
            "names [] calls [] | uses [] macros [] super",
        ),
        (
            "pub mod models { pub struct User; }\nfn helper() {}\nlet x = 1;",
            "names [User helper models] calls [] | uses [] macros [] modules at [0]",
        ),
        (
            "mod a {\n    mod b {}\n}\nfn f() {}\nmod c;",
            "names [a b c f] calls [] | uses [] macros [] mod; modules at [0, 1]",
        ),
        // Crate attributes over statements: the wrapped source is parsed on its own.
        (
            "#![allow(dead_code)]\nlet x = 1;\nmod m { pub fn f() {} }",
            "names [f m] calls [] | uses [] macros [] modules at [2]",
        ),
        (
            "#![feature(portable_simd)] let x = 1;\nlet y = uuid::Uuid::nil();",
            "names [] calls [] | uses unparsed macros []",
        ),
        (
            "#![no_std]\nfn f() {}",
            "names [f] calls [] | uses [] macros []",
        ),
        // `?` at the top level; an `extern crate` hoisted out of statements.
        (
            "let v: serde_json::Value = serde_json::from_str(\"1\")?;",
            "names [] calls [] | uses [serde_json(serde_json::Value serde_json::from_str)] macros []",
        ),
        (
            "let n = 1;\n#[macro_use]\nextern crate log;\ninfo!(\"{n}\");",
            "names [] calls [] | uses [log(log)] macros []",
        ),
        // A shebang line and a byte order mark.
        (
            "#!/usr/bin/env rust-script\nfn main() { anyhow::bail!(\"x\"); }",
            "names [main] calls [] | uses unparsed macros []",
        ),
        (
            "\u{feff}fn main() { let a = log::info!(\"x\"); }",
            "names [main] calls [] | uses unparsed macros []",
        ),
        // Unparsable, and not even tokens.
        ("fn ok() {}\nfn broken( {\n", "names [] calls [] unwrapped"),
        ("} fn x() {", "names [x] calls [] unwrapped"),
        ("let s = \"unterminated;", "names [] calls [] unwrapped"),
        // Empty and comment-only.
        ("", "names [] calls [] | uses [] macros []"),
        ("// only a comment", "names [] calls [] | uses [] macros []"),
        // Compile-time reads.
        (
            "const S: &str = include_str!(\"/etc/passwd\");\nfn f() { g(1); }",
            "names [S f] calls [g/1] | uses [] macros []",
        ),
    ];

    /// The facts in one line: defined names, call arities, then what the
    /// wrapped source says (crate uses with their paths, `test` when only in
    /// tests, `serde` when in a serde derive; exported macros; `super` and
    /// `mod;` at the top; the code lines of inline modules' braces), or
    /// `unwrapped`.
    fn render(snippet: &Snippet) -> String {
        let words = |words: &mut dyn Iterator<Item = String>| words.collect::<Vec<_>>().join(" ");
        let (snippet, wrapped) = crate::wrap::wrap_snippet(snippet.clone());
        let facts = &snippet.syntax;
        let mut out = format!(
            "names [{}] calls [{}]",
            words(&mut facts.defined_names.iter().cloned()),
            words(&mut facts.call_arities.iter().map(|(f, n)| format!("{f}/{n}"))),
        );
        let Some(wrapped) = wrapped else {
            out.push_str(" unwrapped");
            return out;
        };
        let w = &facts.wrapped;
        // The wrapped source parsed on its own says the same.
        let own = wrapped_facts(&wrapped.text, |line| wrapped.snippet_line(line));
        assert_eq!(*w, own, "{:?}", snippet.code);
        let uses = w
            .crate_uses
            .as_ref()
            .map_or("unparsed".to_string(), |uses| {
                let uses = uses.iter().map(|u| {
                    let test = if u.only_in_tests { " test" } else { "" };
                    let serde = if u.in_serde_derive { " serde" } else { "" };
                    format!(
                        "{}({}){test}{serde}",
                        u.name,
                        words(&mut u.paths.iter().cloned())
                    )
                });
                format!("[{}]", words(&mut uses.into_iter()))
            });
        let macros = w
            .exported_macros
            .as_ref()
            .map_or("hidden".to_string(), |names| {
                format!("[{}]", words(&mut names.iter().cloned()))
            });
        out.push_str(&format!(" | uses {uses} macros {macros}"));
        if w.uses_super_at_top {
            out.push_str(" super");
        }
        if w.has_outline_module {
            out.push_str(" mod;");
        }
        if !w.module_body_lines.is_empty() {
            out.push_str(&format!(" modules at {:?}", w.module_body_lines));
        }
        out
    }

    #[track_caller]
    fn check(code: &str, expected: &str) {
        assert_eq!(render(&snippet(code)), expected, "facts of {code:?}");
    }

    /// What a snippet's syntax tree tells, for every kind of snippet (the same
    /// as the stages' own parses of the code and the wrapped source said).
    #[test]
    fn facts() {
        for (code, expected) in CASES {
            check(code, expected);
        }
    }

    /// Code that cannot stand where it is says why, without a build.
    #[test]
    fn misplaced_code_gets_a_reason() {
        #[track_caller]
        fn check_reason(code: &str, line: u32, reason: Option<&str>) {
            let snippet = snippet(code);
            let Shape::Unparsable(error) = &snippet.shape else {
                panic!("{code:?} is {:?}", snippet.shape);
            };
            assert_eq!(error.line, line, "{code:?}: {error:?}");
            match reason {
                Some(reason) => assert!(
                    error.hint.as_deref().is_some_and(|h| h.starts_with(reason)),
                    "{code:?}: {error:?}"
                ),
                None => assert_eq!(error.hint, None, "{code:?}"),
            }
        }
        let method = "a method outside its `impl` block";
        let associated = "an associated function outside its `impl` block";
        let gap = "the example leaves code out with `...`";
        let stray = "a `}` closes a block the example never opens";
        let cut = "the example is cut off";
        check_reason(
            "fn area(&self) -> u32 {\n    self.w * self.h\n}",
            0,
            Some(method),
        );
        check_reason(
            "struct A;\n\nfn take(mut self: Box<Self>) {}",
            2,
            Some(method),
        );
        check_reason("let a = 1;\nfn get(&self) -> u8 { 1 }", 1, Some(method));
        check_reason("pub fn new() -> Self {\n    Self\n}", 0, Some(associated));
        check_reason("let a = 1;\n...\nlet b = 2;", 1, Some(gap));
        check_reason("let v = vec![1, 2, …];", 0, Some(gap));
        check_reason("fn f() {\n    ...\n}", 1, Some(gap));
        check_reason("pub fn connect(host: &str, ...) {}", 0, Some(gap));
        check_reason("    fn f(&self) {}\n}", 1, Some(stray));
        check_reason("impl A {\n    fn f(&self) {}\n", 0, Some(cut));
        check_reason("let x = ;", 0, None);
        // Methods and associated functions where they belong, and gaps in
        // comments and strings, are fine.
        for code in [
            "struct A;\nimpl A {\n    fn new() -> Self { A }\n    fn get(&self) {}\n}",
            "trait T {\n    fn get(&self) -> u8 { 1 }\n}",
            "// ...\nlet s = \"...\";\nlet r = r#\"…\"#;\nlet c = '{';\n/* ... */",
            "let r = 0..=9;\nlet x = &v[..];",
            "unsafe extern \"C\" {\n    fn printf(format: *const u8, ...) -> i32;\n}",
        ] {
            let shape = snippet(code).shape;
            assert!(
                !matches!(shape, Shape::Unparsable(_)),
                "{code:?}: {shape:?}"
            );
        }
    }

    /// A snippet's code is lexed once and parsed once as a file, once more as
    /// statements when it is no file; the wrapped source is parsed on its own
    /// only under crate attributes or after a shebang.
    #[test]
    fn a_snippet_is_read_once() {
        let passes = |code: &str| {
            take_passes();
            let _ = crate::wrap::wrap_snippet(snippet(code));
            let passes = take_passes();
            (passes.lexes, passes.parses)
        };
        assert_eq!(passes("pub struct A;\nmod m { use super::*; }"), (1, 1));
        assert_eq!(
            passes("#[macro_export]\nmacro_rules! m { () => {} }"),
            (1, 1)
        );
        assert_eq!(passes("let x = 1;\nprintln!(\"{x}\");"), (1, 2));
        assert_eq!(passes("println!(\"hi\");"), (1, 2));
        assert_eq!(passes("#![allow(unused)]\nlet x = 1;"), (2, 3));
        assert_eq!(passes("#!/usr/bin/env rust-script\nfn main() {}"), (3, 2));
        assert_eq!(passes("fn broken() { let }"), (1, 2));
        assert_eq!(passes("fn broken( {"), (2, 1));
        assert_eq!(passes("} fn x() {"), (2, 1));
    }
}
