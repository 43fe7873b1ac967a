//! Which snippets share a crate and which stand alone.
//!
//! Like rustdoc's merged doctests, snippets with the same dependencies, edition
//! and test setting, and nothing that reaches beyond their own module (crate
//! attributes, `crate::` paths, `#[no_mangle]`, `#[macro_export]`, `extern
//! crate`), are compiled as modules of one crate: one rustc process for many
//! snippets. Each module keeps a line map of its own into the merged file, so
//! every diagnostic still lands on its snippet's Markdown line. An error in one
//! module hides every module's lints, so the members of a failed merged crate
//! are sorted out by the primary build's rounds (`primary.rs`: the clean ones merged again,
//! the failing ones kept or rebuilt alone): merging changes the cost, never a
//! result.

use std::collections::BTreeMap;

use crate::analyze::{Expect, Snippet};
use crate::deps::DepSpec;
use crate::wrap::{PRELUDE, WrappedSource};

/// The prefix of the module each merged snippet lives in.
pub const MODULE_PREFIX: &str = "__snipcheck_m";

/// Most snippets in one merged crate: bounds one rustc's memory and how much
/// one failing member's crate holds up.
pub const MAX_MEMBERS: usize = 256;

/// Fewest snippets a crate gets when a set is split to keep every core busy:
/// below this a rustc process costs more than the snippets in it.
pub const MIN_MEMBERS: usize = 16;

/// Text that makes a snippet's meaning depend on being its own crate.
const CRATE_BOUND: &[&str] = &[
    "crate::",
    "$crate",
    "no_mangle",
    "export_name",
    "macro_use",
    "extern crate",
    "global_allocator",
    "panic_handler",
    "#[path",
    "#[link",
];

/// Whether a snippet may share a crate with others. The crate-bound text is
/// looked for in the code: the lines the wrapper adds hold none of it, and
/// every line of the code is a line of the wrapped source.
pub fn mergeable(snippet: &Snippet) -> bool {
    let wrapped = &snippet.syntax.wrapped;
    snippet.crate_attrs.is_empty()
        && snippet.expect == Expect::Pass
        && !CRATE_BOUND
            .iter()
            .any(|needle| snippet.code.contains(needle))
        && !wrapped.uses_super_at_top
        && !wrapped.has_outline_module
        && wrapped.exported_macros.is_some()
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

/// A snippet that may share a crate, as the planner sees it.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub index: usize,
    /// [`group_key`]: what must be equal to share a crate.
    pub key: String,
    /// [`crate::syntax::WrappedFacts::exported_macros`]: names the snippet
    /// puts at the crate root.
    pub exported_macros: Vec<String>,
}

/// Groups candidates by key, in order, into crates of [`crate_size`] members
/// at most; a group of one is no group. A candidate that exports a macro name
/// another candidate exports too stands alone.
pub fn groups(candidates: &[Candidate], parallelism: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut exporters: BTreeMap<&str, usize> = BTreeMap::new();
    for name in candidates.iter().flat_map(|c| &c.exported_macros) {
        *exporters.entry(name).or_default() += 1;
    }
    let mut alone = Vec::new();
    let mut by_key: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for candidate in candidates {
        if candidate
            .exported_macros
            .iter()
            .any(|n| exporters[n.as_str()] > 1)
        {
            alone.push(candidate.index);
        } else {
            by_key
                .entry(&candidate.key)
                .or_default()
                .push(candidate.index);
        }
    }
    let size = crate_size(by_key.values().map(Vec::len).sum(), parallelism);
    let mut merged = Vec::new();
    for members in by_key.into_values() {
        // As many crates as `size` needs, filled evenly.
        let crates = members.len().div_ceil(size);
        let per_crate = members.len().div_ceil(crates.max(1)).max(1);
        for chunk in members.chunks(per_crate) {
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

/// Members per merged crate for `total` mergeable snippets: few large crates,
/// since every rustc process costs as much as a dozen small snippets, but at
/// least two per core, so that cargo keeps every core busy.
pub fn crate_size(total: usize, parallelism: usize) -> usize {
    total
        .div_ceil(2 * parallelism.max(1))
        .clamp(MIN_MEMBERS, MAX_MEMBERS)
}

/// One merged crate: its source and, per member, a line map into it.
#[derive(Debug, Clone)]
pub struct Merged {
    pub text: String,
    /// Per member, in order: the member's source as seen in the merged file (its
    /// `line_map` covers only its own module's lines, from `lines_before` on;
    /// every other line of `text` maps to nothing). Its `text` is left empty,
    /// not a copy of `text` per member: with thousands of snippets the copies
    /// would be most of snipcheck's memory.
    pub members: Vec<WrappedSource>,
}

/// The module name of the `n`th member.
pub fn module_name(n: usize) -> String {
    format!("{MODULE_PREFIX}{n}")
}

/// Builds the merged source: the prelude once, then each member's code (without
/// its own prelude) inside `pub mod __snipcheck_m<n> { ... }`.
pub fn merge(members: &[&WrappedSource]) -> Merged {
    let mut text: String = PRELUDE.iter().map(|l| format!("{l}\n")).collect();
    let mut lines = PRELUDE.len();
    let mut mapped = Vec::with_capacity(members.len());
    for (n, member) in members.iter().enumerate() {
        text.push_str(&format!("pub mod {} {{\n", module_name(n)));
        lines += 1;
        let lines_before = crate::text::to_u32(lines);
        let mut line_map = Vec::new();
        for (line, map) in member
            .text
            .lines()
            .zip(&member.line_map)
            .skip(PRELUDE.len())
        {
            text.push_str(line);
            text.push('\n');
            line_map.push(*map);
        }
        lines += line_map.len();
        text.push_str("}\n");
        lines += 1;
        mapped.push(WrappedSource {
            text: String::new(),
            line_map,
            lines_before,
            kind: member.kind,
        });
    }
    Merged {
        text,
        members: mapped,
    }
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
        let ok = |code: &str| mergeable(&prepared(code).0);
        assert!(ok("fn main() { println!(\"hi\"); }"));
        assert!(ok("let x = 1;"));
        assert!(ok(
            "pub struct A;\n#[cfg(test)]\nmod tests {\n    use super::*;\n}"
        ));
        assert!(!ok("#![feature(portable_simd)]\nfn f() {}"));
        assert!(!ok("use crate::models::User;"));
        assert!(!ok("#[unsafe(no_mangle)]\npub extern \"C\" fn f() {}"));
        assert!(ok("#[macro_export]\nmacro_rules! m { () => {} }"));
        assert!(!ok(
            "#[macro_export]\nmacro_rules! m { () => { $crate::f() } }\npub fn f() {}"
        ));
        assert!(!ok(
            "fn g() {\n#[macro_export]\nmacro_rules! m { () => {} }\n}"
        ));
        assert!(!ok("use super::thing;"));
        assert!(!ok("mod other;"));
        let mut failing = prepared("fn f() {}").0;
        failing.expect = Expect::CompileFail { codes: vec![] };
        assert!(!mergeable(&failing));
    }

    fn candidate(index: usize, key: &str, exported: &[&str]) -> Candidate {
        Candidate {
            index,
            key: key.into(),
            exported_macros: exported.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn groups_by_key() {
        let keys = [
            candidate(0, "a", &[]),
            candidate(1, "b", &[]),
            candidate(2, "a", &[]),
            candidate(3, "c", &[]),
            candidate(4, "a", &[]),
        ];
        let (merged, alone) = groups(&keys, 2);
        assert_eq!(merged, [vec![0, 2, 4]]);
        assert_eq!(alone, [1, 3]);
    }

    #[test]
    fn an_exported_macro_name_shared_by_two_stands_alone() {
        let keys = [
            candidate(0, "a", &["square"]),
            candidate(1, "a", &["square"]),
            candidate(2, "a", &["cube"]),
            candidate(3, "a", &[]),
        ];
        let (merged, alone) = groups(&keys, 2);
        assert_eq!(merged, [vec![2, 3]]);
        assert_eq!(alone, [0, 1]);
    }

    #[test]
    fn crates_are_large_but_keep_every_core_busy() {
        assert_eq!(crate_size(10, 2), MIN_MEMBERS);
        assert_eq!(crate_size(1000, 2), 250);
        assert_eq!(crate_size(1000, 8), 63);
        assert_eq!(crate_size(5000, 2), MAX_MEMBERS);
        let keys: Vec<Candidate> = (0..1000).map(|i| candidate(i, "a", &[])).collect();
        let (merged, alone) = groups(&keys, 2);
        assert!(alone.is_empty());
        assert_eq!(
            merged.iter().map(Vec::len).collect::<Vec<_>>(),
            [250, 250, 250, 250]
        );
        // Split evenly, not 256 + 256 + 256 + 232.
        let keys: Vec<Candidate> = (0..1001).map(|i| candidate(i, "a", &[])).collect();
        let sizes: Vec<usize> = groups(&keys, 2).0.iter().map(Vec::len).collect();
        assert_eq!(sizes, [251, 251, 251, 248]);
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
        // Each member maps its own stretch only, and a variant of it (lines
        // inserted) still maps back.
        assert_eq!(merged.members[1].line_map, [Some(0)]);
        assert_eq!(merged.members[1].end(), 10);
        let variant = merged.members[1].with_inserted(&[(9, "// above".into())]);
        assert_eq!(variant.snippet_line(9), None);
        assert_eq!(variant.snippet_line(10), Some(0));
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
