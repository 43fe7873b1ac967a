//! Snippet -> the source file of its scratch crate, with a line map.
//!
//! The user's code is never re-printed (quote would lose its line positions):
//! it is copied verbatim, and only the few lines snipcheck adds around it are
//! generated. The text and the line map are produced together, so they cannot
//! disagree.

use serde::Serialize;

use crate::analyze::Snippet;
use crate::syntax::{self, Shape};
pub use crate::syntax::{MAIN_CLOSE, MAIN_OPEN, PRELUDE};

use crate::text::to_u32;

/// Which target the scratch crate has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CrateKind {
    /// Items without `fn main`: `src/lib.rs`.
    Lib,
    /// Items with `fn main`: `src/main.rs`.
    Bin,
    /// Statements wrapped in a generated `fn main`: `src/main.rs`.
    MainWrapped,
}

impl CrateKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CrateKind::Lib => "lib",
            CrateKind::Bin => "bin",
            CrateKind::MainWrapped => "main-wrapped",
        }
    }

    /// The source file of the crate, relative to its root.
    pub fn src_file(self) -> &'static str {
        match self {
            CrateKind::Lib => "src/lib.rs",
            CrateKind::Bin | CrateKind::MainWrapped => "src/main.rs",
        }
    }
}

/// The generated source of one snippet's crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrappedSource {
    pub text: String,
    /// For each 0-based line of `text` from `lines_before` on, the 0-based line
    /// of the snippet's code it holds, or `None` for a line snipcheck generated.
    /// Lines past its end are generated too.
    pub line_map: Vec<Option<u32>>,
    /// Generated lines ahead of `line_map[0]`: 0 for a snippet's own crate; a
    /// member of a merged crate maps only its own stretch of the merged file,
    /// so thousands of members don't each hold a map of the whole file.
    pub lines_before: u32,
    pub kind: CrateKind,
}

impl WrappedSource {
    /// The snippet line behind a 1-based line of the generated text (`None`: wrapper code).
    pub fn snippet_line(&self, generated_line: u32) -> Option<u32> {
        let idx = generated_line
            .checked_sub(1)?
            .checked_sub(self.lines_before)?;
        self.line_map.get(idx as usize).copied().flatten()
    }
}

impl WrappedSource {
    /// A copy with generated `lines` inserted: each `(before, text)` goes before
    /// the 1-based generated line `before` (past the end: appended). The line map
    /// grows with them, so diagnostics of the variant still map back.
    pub fn with_inserted(&self, lines: &[(u32, String)]) -> WrappedSource {
        let mut sorted: Vec<&(u32, String)> = lines.iter().collect();
        sorted.sort_by_key(|(before, _)| std::cmp::Reverse(*before));
        let mut text_lines: Vec<String> = self.text.lines().map(str::to_string).collect();
        let mut line_map = vec![None; self.lines_before as usize];
        line_map.extend_from_slice(&self.line_map);
        for (before, text) in sorted {
            let at = (*before as usize).saturating_sub(1).min(text_lines.len());
            for (offset, line) in text.lines().enumerate() {
                text_lines.insert(at + offset, line.to_string());
                line_map.insert(at + offset, None);
            }
        }
        let mut text = text_lines.join("\n");
        text.push('\n');
        WrappedSource {
            text,
            line_map,
            lines_before: 0,
            kind: self.kind,
        }
    }

    /// The 1-based generated line holding a 0-based snippet line: the inverse
    /// of [`WrappedSource::snippet_line`].
    pub fn generated_line(&self, snippet_line: u32) -> Option<u32> {
        let idx = self
            .line_map
            .iter()
            .position(|line| *line == Some(snippet_line))?;
        Some(to_u32(idx + 1).saturating_add(self.lines_before))
    }

    /// Where crate-level attributes may be added: right after the prelude.
    pub fn after_prelude(&self) -> u32 {
        to_u32(PRELUDE.len() + 1)
    }

    /// One past the last line: where appended items go.
    pub fn end(&self) -> u32 {
        to_u32(self.line_map.len() + 1).saturating_add(self.lines_before)
    }
}

/// Wraps a snippet and completes what its syntax tells: in the rare case
/// where the code's tree cannot stand for the wrapped source's (see
/// [`syntax::Reading`]), the wrapper's own text is parsed, since it alone says
/// what it holds. The snippet is handed forward only after this.
pub fn wrap_snippet(mut snippet: Snippet) -> (Snippet, Option<WrappedSource>) {
    let wrapped = wrap(&snippet);
    if let Some(wrapped) = &wrapped
        && snippet.syntax.wrapped_needs_own_parse
    {
        snippet.syntax.wrapped =
            syntax::wrapped_facts(&wrapped.text, |line| wrapped.snippet_line(line));
        snippet.syntax.wrapped_needs_own_parse = false;
    }
    (snippet, wrapped)
}

/// Wraps a parsable snippet. Returns `None` for an unparsable one: there is
/// nothing to compile.
pub fn wrap(snippet: &Snippet) -> Option<WrappedSource> {
    let mut out = Builder::default();
    for line in PRELUDE {
        out.generated(line);
    }
    // An empty block has no lines at all (not one empty line).
    let code: Vec<&str> = if snippet.lines.is_empty() {
        Vec::new()
    } else {
        snippet.code.split('\n').collect()
    };
    // Lines rustdoc moves to the crate's top (`extern crate`, crate
    // attributes after other code) go right after the prelude and the
    // leading crate attributes, each still mapped to its own line.
    let hoisted = &snippet.syntax.hoisted_lines;
    let kind = match snippet.shape {
        Shape::Unparsable(_) | Shape::TooLarge { .. } => return None,
        Shape::Items { has_main } => {
            out.hoisted(&code, hoisted);
            out.user_except(&code, 0, hoisted);
            if has_main {
                CrateKind::Bin
            } else {
                CrateKind::Lib
            }
        }
        Shape::Statements { crate_attr_lines } => {
            let split = (crate_attr_lines as usize).min(code.len());
            let main = snippet.syntax.main;
            out.user_except(&code[..split], 0, hoisted);
            out.hoisted(&code, hoisted);
            out.generated(main.open());
            out.user_except(&code[split..], split, hoisted);
            for line in main.close() {
                out.generated(line);
            }
            CrateKind::MainWrapped
        }
    };
    Some(WrappedSource {
        text: out.text,
        line_map: out.line_map,
        lines_before: 0,
        kind,
    })
}

#[derive(Default)]
struct Builder {
    text: String,
    line_map: Vec<Option<u32>>,
}

impl Builder {
    fn generated(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        self.line_map.push(None);
    }

    /// The code's `lines` (the first is code line `first`) but the `hoisted` ones.
    fn user_except(&mut self, lines: &[&str], first: usize, hoisted: &[u32]) {
        for (i, line) in lines.iter().enumerate() {
            let n = to_u32(first + i);
            if !hoisted.contains(&n) {
                self.user_line(line, n);
            }
        }
    }

    /// The `hoisted` lines of the code, in their order.
    fn hoisted(&mut self, code: &[&str], hoisted: &[u32]) {
        for &n in hoisted {
            if let Some(line) = code.get(n as usize) {
                self.user_line(line, n);
            }
        }
    }

    fn user_line(&mut self, line: &str, n: u32) {
        self.text.push_str(line);
        self.text.push('\n');
        self.line_map.push(Some(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::analyze;
    use crate::extract::{Block, LineOrigin};
    use crate::fence::parse_info;

    fn snippet(text: &str) -> Snippet {
        let lines = text
            .split('\n')
            .map(|_| LineOrigin {
                line: 1,
                column: 1,
                offset: 0,
            })
            .collect();
        analyze(&Block {
            index: 0,
            fence_line: 1,
            info: "rust".into(),
            fence: parse_info("rust"),
            text: text.into(),
            lines,
            headings: Vec::new(),
            byte_range: 0..0,
            problems: Vec::new(),
        })
    }

    #[track_caller]
    fn check(code: &str, kind: CrateKind, expected_text: &str, expected_map: &[Option<u32>]) {
        let wrapped = wrap(&snippet(code)).expect("the snippet parses");
        assert_eq!(wrapped.kind, kind);
        assert_eq!(wrapped.text, expected_text);
        assert_eq!(wrapped.line_map, expected_map);
        // Every mapped line holds exactly the snippet's line.
        let code_lines: Vec<&str> = code.split('\n').collect();
        for (generated, mapped) in wrapped.text.lines().zip(&wrapped.line_map) {
            if let Some(line) = mapped {
                assert_eq!(generated, code_lines[*line as usize]);
            }
        }
    }

    #[test]
    fn wrapping() {
        check(
            "struct A;",
            CrateKind::Lib,
            "#![allow(unused)]\nstruct A;\n",
            &[None, Some(0)],
        );
        check(
            "fn main() {\n}",
            CrateKind::Bin,
            "#![allow(unused)]\nfn main() {\n}\n",
            &[None, Some(0), Some(1)],
        );
        check(
            "let x = 1;\nx + 1;",
            CrateKind::MainWrapped,
            "#![allow(unused)]\nfn main() {\nlet x = 1;\nx + 1;\n}\n",
            &[None, None, Some(0), Some(1), None],
        );
        check(
            "#![feature(portable_simd)]\nlet x = 1;",
            CrateKind::MainWrapped,
            "#![allow(unused)]\n#![feature(portable_simd)]\nfn main() {\nlet x = 1;\n}\n",
            &[None, Some(0), None, Some(1), None],
        );
        assert!(wrap(&snippet("fn (")).is_none());
    }

    /// `fn main` returns what the code needs: rustdoc's rule for a trailing
    /// `Ok::<(), E>(())`, a `Result` for `?` at the top level.
    #[test]
    fn main_returns_a_result_when_the_code_needs_one() {
        const FALLIBLE: &str =
            "fn main() -> ::std::result::Result<(), ::std::boxed::Box<dyn ::std::error::Error>> {";
        const RUSTDOC: &str =
            "fn main() { fn _inner() -> core::result::Result<(), impl core::fmt::Debug> {";
        let p = "#![allow(unused)]";
        check(
            "let n: u8 = \"5\".parse()?;\nprintln!(\"{n}\");",
            CrateKind::MainWrapped,
            &format!(
                "{p}\n{FALLIBLE}\nlet n: u8 = \"5\".parse()?;\nprintln!(\"{{n}}\");\nOk(())\n}}\n"
            ),
            &[None, None, Some(0), Some(1), None, None],
        );
        // A trailing expression gets the `;` it needs before `Ok(())`.
        check(
            "let n: u8 = \"5\".parse()?;\nn.checked_add(1)",
            CrateKind::MainWrapped,
            &format!(
                "{p}\n{FALLIBLE}\nlet n: u8 = \"5\".parse()?;\nn.checked_add(1)\n; Ok(())\n}}\n"
            ),
            &[None, None, Some(0), Some(1), None, None],
        );
        // A `for` loop needs none; `?` in a macro's arguments counts.
        check(
            "for s in [\"1\"] {\n    println!(\"{}\", s.parse::<u8>()?);\n}",
            CrateKind::MainWrapped,
            &format!(
                "{p}\n{FALLIBLE}\nfor s in [\"1\"] {{\n    println!(\"{{}}\", s.parse::<u8>()?);\n}}\nOk(())\n}}\n"
            ),
            &[None, None, Some(0), Some(1), Some(2), None, None],
        );
        // The code's own `Ok(())` is main's result.
        check(
            "let n: u8 = \"5\".parse()?;\nOk(())",
            CrateKind::MainWrapped,
            &format!("{p}\n{FALLIBLE}\nlet n: u8 = \"5\".parse()?;\nOk(())\n}}\n"),
            &[None, None, Some(0), Some(1), None],
        );
        // rustdoc's rule: `Ok::<(), E>(())` at the end.
        check(
            "let n: u8 = \"5\".parse()?;\nOk::<(), std::num::ParseIntError>(())",
            CrateKind::MainWrapped,
            &format!(
                "{p}\n{RUSTDOC}\nlet n: u8 = \"5\".parse()?;\nOk::<(), std::num::ParseIntError>(())\n}} _inner().unwrap() }}\n"
            ),
            &[None, None, Some(0), Some(1), None],
        );
        // `?` inside a closure, an async block or a function of its own
        // returns from there, not from main.
        for code in [
            "let f = || -> Option<u8> { Some(1)? };",
            "let f = async { g()?; Ok::<(), ()>(()) };\ndrop(f);",
            "fn g() -> Option<u8> { Some(1)? }\nlet x = g();",
        ] {
            let wrapped = wrap(&snippet(code)).expect("parses");
            assert!(
                wrapped.text.contains("fn main() {\n"),
                "{code}: {}",
                wrapped.text
            );
        }
    }

    /// `extern crate` among statements and crate attributes after other code
    /// move to the crate's top, still mapped to their own lines.
    #[test]
    fn crate_level_lines_are_hoisted() {
        check(
            "let x = 1;\n#[macro_use]\nextern crate serde;\nlet y = 2;",
            CrateKind::MainWrapped,
            "#![allow(unused)]\n#[macro_use]\nextern crate serde;\nfn main() {\nlet x = 1;\nlet y = 2;\n}\n",
            &[None, Some(1), Some(2), None, Some(0), Some(3), None],
        );
        check(
            "struct A;\n#![allow(dead_code)]\nstruct B;",
            CrateKind::Lib,
            "#![allow(unused)]\n#![allow(dead_code)]\nstruct A;\nstruct B;\n",
            &[None, Some(1), Some(0), Some(2)],
        );
        check(
            "#![allow(unused_mut)]\nlet mut x = 1;\n#![feature(test)]\nextern crate test;\nx += 1;",
            CrateKind::MainWrapped,
            "#![allow(unused)]\n#![allow(unused_mut)]\n#![feature(test)]\nextern crate test;\nfn main() {\nlet mut x = 1;\nx += 1;\n}\n",
            &[
                None,
                Some(0),
                Some(2),
                Some(3),
                None,
                Some(1),
                Some(4),
                None,
            ],
        );
        // Items are at the crate's top already; a module's own inner
        // attributes and a crate attribute sharing a line stay where they are.
        check(
            "extern crate serde;\nstruct A;",
            CrateKind::Lib,
            "#![allow(unused)]\nextern crate serde;\nstruct A;\n",
            &[None, Some(0), Some(1)],
        );
        check(
            "struct A;\nmod m {\n    #![allow(dead_code)]\n}",
            CrateKind::Lib,
            "#![allow(unused)]\nstruct A;\nmod m {\n    #![allow(dead_code)]\n}\n",
            &[None, Some(0), Some(1), Some(2), Some(3)],
        );
        assert!(wrap(&snippet("struct A; #![allow(dead_code)]")).is_none());
        let hoisted = snippet("let x = 1;\n#![feature(test)]");
        assert_eq!(hoisted.crate_attrs, ["feature"]);
    }

    #[test]
    fn inserted_lines_keep_the_map() {
        let wrapped = wrap(&snippet("let x = 1;\nx + 1;")).expect("parses");
        let variant = wrapped.with_inserted(&[
            (wrapped.end(), "struct Stub;".to_string()),
            (wrapped.after_prelude(), "#![feature(x)]".to_string()),
            (3, "use a::b;".to_string()),
        ]);
        assert_eq!(
            variant.text,
            "#![allow(unused)]\n#![feature(x)]\nfn main() {\nuse a::b;\nlet x = 1;\nx + 1;\n}\nstruct Stub;\n"
        );
        assert_eq!(
            variant.line_map,
            [None, None, None, None, Some(0), Some(1), None, None]
        );
    }

    #[test]
    fn snippet_line_lookup() {
        let wrapped = wrap(&snippet("let x = 1;")).expect("the snippet parses");
        assert_eq!(wrapped.snippet_line(3), Some(0));
        assert_eq!(wrapped.snippet_line(2), None);
        assert_eq!(wrapped.snippet_line(0), None);
        assert_eq!(wrapped.snippet_line(99), None);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::analyze::analyze;
    use crate::extract::extract;

    /// Rust-ish fragments, so that many generated snippets parse.
    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("fn main() {}".to_string()),
            Just("let x = 1;".to_string()),
            Just("#![allow(dead_code)]".to_string()),
            Just("# fn hidden() {}".to_string()),
            Just("## not hidden".to_string()),
            Just("struct A;".to_string()),
            Just("mod m { pub fn f() {} }".to_string()),
            Just("x + 1".to_string()),
            Just("{".to_string()),
            Just("}".to_string()),
            "[ -~]{0,20}",
            "\\PC{0,10}",
        ]
    }

    proptest! {
        /// Whatever the block, analysis and wrapping never panic, and every
        /// line the wrapper maps back holds exactly the snippet's code line.
        #[test]
        fn wrapped_lines_map_back(fragments in prop::collection::vec(fragment(), 0..12), indent in 0usize..4) {
            let pad = " ".repeat(indent);
            let body: String = fragments.iter().map(|f| format!("{pad}{f}\n")).collect();
            let doc = format!("- item\n\n{pad}```rust\n{body}{pad}```\n");
            for block in extract(&doc) {
                let snippet = analyze(&block);
                let expected = if snippet.lines.is_empty() { 0 } else { snippet.code.split('\n').count() };
                prop_assert_eq!(snippet.lines.len(), expected);
                // An empty block has no lines at all (not one empty line).
    let code: Vec<&str> = if snippet.lines.is_empty() {
        Vec::new()
    } else {
        snippet.code.split('\n').collect()
    };
                if let Some(wrapped) = wrap(&snippet) {
                    prop_assert_eq!(wrapped.line_map.len(), wrapped.text.lines().count());
                    for (generated, mapped) in wrapped.text.lines().zip(&wrapped.line_map) {
                        if let Some(line) = mapped {
                            prop_assert_eq!(generated, code[*line as usize]);
                        }
                    }
                }
                for line in &snippet.lines {
                    prop_assert!(line.origin.offset <= doc.len());
                    prop_assert!(line.doc_column(1) >= 1);
                }
            }
        }
    }
}
