//! Which snippets share a crate and which stand alone.
//!
//! Like rustdoc's merged doctests, snippets with the same dependencies, edition
//! and test setting, and nothing that reaches beyond their own module (crate
//! attributes, `crate::` paths, `#[no_mangle]`, `#[macro_export]`, `extern
//! crate`), are compiled as modules of one crate: one rustc process for many
//! snippets. Each module keeps a line map of its own into the merged file, so
//! every diagnostic still lands on its snippet's Markdown line. An error in one
//! module hides every module's lints, so the members of a failed merged crate
//! are sorted out by the pipeline (`verify/mod.rs`: the clean ones merged again,
//! the failing ones kept or rebuilt alone): merging changes the cost, never a
//! result.

use std::collections::BTreeMap;

use crate::analyze::{Expect, Snippet};
use crate::deps::DepSpec;
use crate::wrap::{PRELUDE, WrappedSource};

/// The prefix of the module each merged snippet lives in.
pub const MODULE_PREFIX: &str = "__snipcheck_m";

/// Most snippets in one merged crate: bounds the cost of a fallback rebuild.
pub const MAX_MEMBERS: usize = 64;

/// Text that makes a snippet's meaning depend on being its own crate.
const CRATE_BOUND: &[&str] = &[
    "crate::",
    "$crate",
    "no_mangle",
    "export_name",
    "macro_export",
    "macro_use",
    "extern crate",
    "global_allocator",
    "panic_handler",
    "#[path",
    "#[link",
];

/// Whether a snippet may share a crate with others.
pub fn mergeable(snippet: &Snippet, wrapped: &WrappedSource) -> bool {
    snippet.crate_attrs.is_empty()
        && snippet.expect == Expect::Pass
        && !CRATE_BOUND
            .iter()
            .any(|needle| wrapped.text.contains(needle))
        && !uses_super_at_top(&wrapped.text)
        && !has_outline_module(&wrapped.text)
}

/// `use super::...` at the top level means the crate root's parent: an error
/// alone, but something else inside a merged crate.
fn uses_super_at_top(text: &str) -> bool {
    syn::parse_file(text).is_ok_and(|file| {
        file.items.iter().any(|item| match item {
            syn::Item::Use(u) => matches!(&u.tree, syn::UseTree::Path(p) if p.ident == "super"),
            _ => false,
        })
    })
}

/// `mod name;` names a file, relative to the crate root.
fn has_outline_module(text: &str) -> bool {
    syn::parse_file(text).is_ok_and(|file| {
        file.items
            .iter()
            .any(|item| matches!(item, syn::Item::Mod(m) if m.content.is_none()))
    })
}

/// What must be equal for snippets to share a crate.
pub fn group_key(snippet: &Snippet, deps: &[DepSpec]) -> String {
    format!(
        "{}|tests={}|{:?}",
        snippet.edition.as_str(),
        snippet.has_tests,
        deps
    )
}

/// Groups candidate indices by key, in order, at most [`MAX_MEMBERS`] each;
/// a group of one is no group.
pub fn groups(keys: &[(usize, String)]) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (index, key) in keys {
        by_key.entry(key.as_str()).or_default().push(*index);
    }
    let mut merged = Vec::new();
    let mut alone = Vec::new();
    for members in by_key.into_values() {
        for chunk in members.chunks(MAX_MEMBERS) {
            if chunk.len() > 1 {
                merged.push(chunk.to_vec());
            } else {
                alone.extend_from_slice(chunk);
            }
        }
    }
    alone.sort_unstable();
    (merged, alone)
}

/// One merged crate: its source and, per member, a line map into it.
#[derive(Debug, Clone)]
pub struct Merged {
    pub text: String,
    /// Per member, in order: the member's source as seen in the merged file (its
    /// `line_map` covers every line of `text`; lines of other members are
    /// `None`). Its `text` is left empty, not a copy of `text` per member: with
    /// thousands of snippets the copies would be most of snipcheck's memory.
    pub members: Vec<WrappedSource>,
}

/// The module name of the `n`th member.
pub fn module_name(n: usize) -> String {
    format!("{MODULE_PREFIX}{n}")
}

/// Builds the merged source: the prelude once, then each member's code (without
/// its own prelude) inside `pub mod __snipcheck_m<n> { ... }`.
pub fn merge(members: &[&WrappedSource]) -> Merged {
    let mut lines: Vec<String> = PRELUDE.iter().map(|l| l.to_string()).collect();
    let mut owners: Vec<Option<(usize, Option<u32>)>> = vec![None; lines.len()];
    for (n, member) in members.iter().enumerate() {
        lines.push(format!("pub mod {} {{", module_name(n)));
        owners.push(None);
        for (text, map) in member
            .text
            .lines()
            .zip(&member.line_map)
            .skip(PRELUDE.len())
        {
            lines.push(text.to_string());
            owners.push(Some((n, *map)));
        }
        lines.push("}".to_string());
        owners.push(None);
    }
    let mut text = lines.join("\n");
    text.push('\n');
    let members = members
        .iter()
        .enumerate()
        .map(|(n, member)| WrappedSource {
            text: String::new(),
            line_map: owners
                .iter()
                .map(|owner| match owner {
                    Some((m, map)) if *m == n => *map,
                    _ => None,
                })
                .collect(),
            kind: member.kind,
        })
        .collect();
    Merged { text, members }
}

/// Removes the merged module from paths in a message (`__snipcheck_m3::Foo` ->
/// `Foo`), so a merged snippet's messages read as they would alone.
pub fn normalize_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(MODULE_PREFIX) {
        out.push_str(&rest[..at]);
        let after = &rest[at + MODULE_PREFIX.len()..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        let tail = &after[digits..];
        match tail.strip_prefix("::") {
            Some(tail) if digits > 0 => rest = tail,
            _ => {
                out.push_str(&rest[at..at + MODULE_PREFIX.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::extract::extract;
    use crate::wrap::wrap;

    fn prepared(code: &str) -> (Snippet, WrappedSource) {
        let doc = format!("```rust\n{code}\n```\n");
        let block = extract(&doc).into_iter().next().expect("a block");
        let snippet = analyze(&block);
        let wrapped = wrap(&snippet).expect("parses");
        (snippet, wrapped)
    }

    #[test]
    fn what_may_share_a_crate() {
        let ok = |code: &str| {
            let (s, w) = prepared(code);
            mergeable(&s, &w)
        };
        assert!(ok("fn main() { println!(\"hi\"); }"));
        assert!(ok("let x = 1;"));
        assert!(ok(
            "pub struct A;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}"
        ));
        assert!(!ok("#![feature(portable_simd)]\nfn f() {}"));
        assert!(!ok("use crate::models::User;"));
        assert!(!ok("#[unsafe(no_mangle)]\npub extern \"C\" fn f() {}"));
        assert!(!ok("#[macro_export]\nmacro_rules! m { () => {} }"));
        assert!(!ok("use super::thing;"));
        assert!(!ok("mod other;"));
        let (s, w) = prepared("fn f() {}");
        let mut failing = s.clone();
        failing.expect = Expect::CompileFail { codes: vec![] };
        assert!(!mergeable(&failing, &w));
    }

    #[test]
    fn groups_by_key() {
        let keys = vec![
            (0, "a".into()),
            (1, "b".into()),
            (2, "a".into()),
            (3, "c".into()),
            (4, "a".into()),
        ];
        let (merged, alone) = groups(&keys);
        assert_eq!(merged, [vec![0, 2, 4]]);
        assert_eq!(alone, [1, 3]);
    }

    #[test]
    fn merged_lines_map_back_to_each_member() {
        let (_, a) = prepared("let x = 1;\nlet y = x;");
        let (_, b) = prepared("pub struct B;");
        let merged = merge(&[&a, &b]);
        assert_eq!(
            merged.text,
            "#![allow(unused)]\npub mod __snipcheck_m0 {\nfn main() {\nlet x = 1;\nlet y = x;\n}\n}\npub mod __snipcheck_m1 {\npub struct B;\n}\n"
        );
        assert_eq!(merged.members[0].snippet_line(4), Some(0));
        assert_eq!(merged.members[0].snippet_line(5), Some(1));
        assert_eq!(merged.members[1].snippet_line(4), None);
        assert_eq!(merged.members[1].snippet_line(9), Some(0));
        assert_eq!(merged.members[0].snippet_line(9), None);
        assert!(syn::parse_file(&merged.text).is_ok());
    }

    #[test]
    fn messages_read_as_if_alone() {
        assert_eq!(
            normalize_message("no method `x` on `__snipcheck_m12::Foo`"),
            "no method `x` on `Foo`"
        );
        assert_eq!(
            normalize_message("`crate::__snipcheck_m0::a::B`"),
            "`crate::a::B`"
        );
        assert_eq!(
            normalize_message("__snipcheck_mx stays"),
            "__snipcheck_mx stays"
        );
        assert_eq!(normalize_message("plain"), "plain");
    }
}
