//! A property campaign over the pure stages (extract, analyze, wrap, infer,
//! plan) on hostile Markdown: no panic, every line map inside the document,
//! every wrapped line mapped back to the snippet line it holds, and the facts
//! read from a snippet's code equal to what its wrapped source says parsed on
//! its own.
//!
//! The invariants live in `tests/fuzz/invariants.rs`, which the cargo-fuzz
//! target there checks too (coverage-guided, on nightly).
//!
//! CI runs a small budget. A long campaign runs with
//! `SNIPCHECK_FUZZ_SECONDS=600 cargo test --release --test it fuzz -- --nocapture`,
//! which prints how many documents it tried.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop_oneof![Just('`'), Just('~')],
            3usize..6,
            "[a-z ,=0-9]{0,12}"
        )
            .prop_map(|(c, n, info)| format!("{}{info}", c.to_string().repeat(n))),
        Just("```rust".to_string()),
        Just("```".to_string()),
        Just("fn main() {".to_string()),
        Just("}".to_string()),
        Just("let x = vec![1, 2, 3];".to_string()),
        Just("#![feature(portable_simd)]".to_string()),
        Just("# use std::collections::HashMap;".to_string()),
        Just("use serde::{Serialize, Deserialize};".to_string()),
        Just("#[derive(Serialize)] struct A { id: uuid::Uuid }".to_string()),
        Just("tokio::select! { _ = a => {} }".to_string()),
        Just("include_str!(\"/etc/passwd\")".to_string()),
        Just("#!/usr/bin/env rust-script".to_string()),
        Just("#[macro_export] macro_rules! m { () => {} }".to_string()),
        Just("mod m {".to_string()),
        Just("mod other;".to_string()),
        Just("use super::thing;".to_string()),
        Just("helper(1, 2);".to_string()),
        Just("- item".to_string()),
        Just("1. item".to_string()),
        Just("> quote".to_string()),
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("# Heading".to_string()),
        Just("\u{feff}".to_string()),
        Just("\u{200b}\u{200d}".to_string()),
        Just("\u{202e}عربى\u{202c}".to_string()),
        Just("\t".to_string()),
        (1usize..300).prop_map(|n| format!("{}{}", "(".repeat(n), ")".repeat(n / 2))),
        (1usize..5000).prop_map(|n| "x".repeat(n)),
        "\\PC{0,30}",
    ]
}

fn document() -> impl Strategy<Value = String> {
    let line_end = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    prop::collection::vec((0usize..6, fragment(), line_end), 0..40).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, text, end)| format!("{}{text}{end}", " ".repeat(indent)))
            .collect()
    })
}

#[path = "../fuzz/invariants.rs"]
mod invariants;

fn check(doc: &str) -> Result<(), TestCaseError> {
    invariants::check(doc).map_err(TestCaseError::fail)
}

#[test]
fn hostile_documents_never_break_the_pure_stages() {
    let seconds: u64 = std::env::var("SNIPCHECK_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut cases = 0u64;
    loop {
        let mut runner = TestRunner::new(Config {
            cases: 64,
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&document(), |doc| check(&doc));
        if let Err(failure) = result {
            panic!("{failure}");
        }
        cases += 64;
        if std::time::Instant::now() >= deadline {
            break;
        }
    }
    eprintln!("fuzz: {cases} documents, no failure");
}
