//! The invariants both fuzzers check on any document (shared by the proptest
//! campaign in `tests/it/fuzz.rs` and the cargo-fuzz target in this folder):
//! the pure stages never panic, every line map stays inside the document,
//! every wrapped line maps back to the snippet line it holds, and the facts read
//! from a snippet's code equal what its wrapped source says parsed on its own.

use snipcheck::{analyze, extract, plan, syntax, text::LineIndex, wrap};

/// Runs extract, analyze, wrap, the dependency scan and the merge planner on
/// `doc`; says which invariant broke.
pub fn check(doc: &str) -> Result<(), String> {
    let index = LineIndex::new(doc);
    for block in extract::extract(doc) {
        if block.fence_line as usize > index.line_count() {
            return Err(format!(
                "fence line {} is past the document",
                block.fence_line
            ));
        }
        for origin in &block.lines {
            if origin.offset > doc.len() {
                return Err(format!("offset {} is past the document", origin.offset));
            }
            let at = index.line_col(doc, origin.offset);
            if at != (origin.line, origin.column) {
                return Err(format!(
                    "offset {} is at {at:?}, the block says ({}, {})",
                    origin.offset, origin.line, origin.column
                ));
            }
        }
        if !block.fence.is_rust {
            continue;
        }
        let (snippet, wrapped) = wrap::wrap_snippet(analyze::analyze(&block));
        let Some(wrapped) = wrapped else {
            continue;
        };
        let code: Vec<&str> = snippet.code.split('\n').collect();
        for (generated, mapped) in wrapped.text.lines().zip(&wrapped.line_map) {
            if let Some(line) = mapped {
                let held = code.get(*line as usize).copied();
                if held != Some(generated) {
                    return Err(format!(
                        "wrapped line {generated:?} maps to snippet line {line}, which is {held:?}"
                    ));
                }
            }
        }
        let facts = &snippet.syntax.wrapped;
        if facts.crate_uses.iter().flatten().any(|u| u.name.is_empty()) {
            return Err("the dependency scan found a crate without a name".to_string());
        }
        // What the code's one parse says of the wrapped source is what the
        // wrapped source says when parsed on its own.
        let own = syntax::wrapped_facts(&wrapped.text, |line| wrapped.snippet_line(line));
        if *facts != own {
            return Err(format!(
                "the snippet's facts {facts:?} differ from its wrapped source's {own:?}"
            ));
        }
        let _ = plan::mergeable(&snippet);
    }
    Ok(())
}
