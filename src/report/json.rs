//! The JSON view of a report: the machine-readable, versioned contract.
//!
//! Tools and CI scripts consume this output, so it is the serde model printed
//! as is, with no reshaping: whatever `Report` says is what the JSON says, and
//! `schema` tells a consumer which shape to expect. It is pretty-printed because
//! people read it too (in CI logs and bug reports), and it ends with a newline so
//! that it can be written to a terminal or a file without further care.

use super::Report;

/// Renders `report` as pretty-printed JSON with a trailing newline.
pub fn render_json(report: &Report) -> String {
    // Serializing the model cannot fail: it has no floats and every map key is a
    // `String`, which are the only ways serde_json refuses a value.
    let mut json = serde_json::to_string_pretty(report)
        .expect("the report model always serializes: all of its map keys are strings");
    json.push('\n');
    super::escape::json_controls(json)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::{
        Cause, Dependency, Diagnostic, FileSummary, RunProblem, SCHEMA_VERSION, SnippetReport,
        Status, ToolchainInfo, Totals,
    };

    /// A small report that touches every type of the model at least once.
    fn sample_report() -> Report {
        let failing = SnippetReport {
            id: "guide-3f2a9c1e-0".to_owned(),
            file: "docs/guide.md".to_owned(),
            line: 12,
            headings: vec!["Guide".to_owned(), "Errors".to_owned()],
            info: "rust".to_owned(),
            lang: Some("rust".to_owned()),
            rust: true,
            status: Status::Fail,
            skip_reason: None,
            cause: Some(Cause::Compile),
            other_causes: Vec::new(),
            evidence: Vec::new(),
            suggestion: None,
            expect: Some("pass".to_owned()),
            toolchain: Some("stable".to_owned()),
            rustc: None,
            edition: Some("2024".to_owned()),
            shape: Some("main-wrapped".to_owned()),
            dependencies: vec![Dependency {
                name: "serde_json".to_owned(),
                package: "serde_json".to_owned(),
                requirement: "1".to_owned(),
                version: Some("1.0.140".to_owned()),
                features: vec![],
                dev: false,
                pinned: None,
                latest: None,
                last_passing: None,
                first_failing: None,
                source: None,
            }],
            diagnostics: vec![Diagnostic {
                level: "error".to_owned(),
                code: Some("E0425".to_owned()),
                message: "cannot find value `count` in this scope".to_owned(),
                file: "docs/guide.md".to_owned(),
                line: 14,
                column: 20,
                end_line: 14,
                end_column: 25,
                label: Some("not found in this scope".to_owned()),
                in_wrapper: false,
                notes: vec![
                    "help: a local variable with a similar name exists: `counter`".to_owned(),
                ],
            }],
            problems: vec![],
            ..Default::default()
        };
        let skipped = SnippetReport {
            id: "guide-77b01d42-0".to_owned(),
            file: "docs/guide.md".to_owned(),
            line: 20,
            headings: vec!["Guide".to_owned()],
            info: "toml".to_owned(),
            lang: Some("toml".to_owned()),
            status: Status::Skip,
            skip_reason: Some("not rust (toml)".to_owned()),
            cause: None,
            other_causes: Vec::new(),
            evidence: Vec::new(),
            suggestion: None,
            expect: None,
            toolchain: None,
            rustc: None,
            edition: None,
            shape: None,
            dependencies: vec![],
            diagnostics: vec![],
            problems: vec!["unterminated fence".to_owned()],
            ..Default::default()
        };
        Report {
            schema: SCHEMA_VERSION,
            snipcheck_version: "0.1.0".to_owned(),
            toolchains: vec![
                ToolchainInfo {
                    name: "stable".to_owned(),
                    rustc: Some("rustc 1.95.0 (2026-03-21)".to_owned()),
                    installed: true,
                },
                ToolchainInfo {
                    name: "nightly".to_owned(),
                    rustc: None,
                    installed: false,
                },
            ],
            files: vec![FileSummary {
                file: "docs/guide.md".to_owned(),
                blocks: 2,
                rust_blocks: 1,
                languages: BTreeMap::from([("rust".to_owned(), 1), ("toml".to_owned(), 1)]),
                pass: 0,
                warn: 0,
                fail: 1,
                skip: 1,
                crates: vec!["serde".to_owned()],
                kind: Some("document".to_owned()),
                ..Default::default()
            }],
            snippets: vec![failing, skipped],
            totals: Totals {
                files: 1,
                blocks: 2,
                rust_blocks: 1,
                pass: 0,
                warn: 0,
                fail: 1,
                skip: 1,
            },
            problems: vec![RunProblem::input(
                Some("docs/missing.md".to_owned()),
                "no such file or directory",
            )],
            cargo_invocations: BTreeMap::from([
                ("build".to_owned(), 1),
                ("metadata".to_owned(), 1),
            ]),
            ..Default::default()
        }
    }

    #[test]
    fn json_round_trips() {
        let report = sample_report();
        let json = render_json(&report);
        let back: Report = serde_json::from_str(&json).expect("the rendered JSON parses back");
        assert_eq!(back, report);
    }

    #[test]
    fn json_is_pretty_and_ends_with_a_newline() {
        let json = render_json(&sample_report());
        assert!(json.ends_with("}\n"));
        assert!(json.starts_with("{\n  \"schema\": 1,"));
    }

    #[test]
    fn problem_kinds_are_written_and_reports_without_them_still_read() {
        let json = render_json(&sample_report());
        assert!(json.contains("\"kind\": \"input\""), "{json}");
        let older = "{\"subject\": \"stable\", \"message\": \"written before kinds\"}";
        let problem: RunProblem = serde_json::from_str(older).expect("a problem without a kind");
        assert_eq!(problem.kind, crate::report::ProblemKind::Environment);
        for (kind, name) in [
            (crate::report::ProblemKind::Input, "input"),
            (crate::report::ProblemKind::Environment, "environment"),
            (crate::report::ProblemKind::Limit, "limit"),
        ] {
            let written = serde_json::to_string(&kind).expect("a kind serializes");
            assert_eq!(written, format!("\"{name}\""));
        }
    }

    /// A document's kind and tool are written when known, and a report
    /// written before discovery named kinds still reads.
    #[test]
    fn file_kinds_are_optional() {
        let mut report = sample_report();
        let json = render_json(&report);
        assert!(json.contains("\"kind\": \"document\""), "{json}");
        assert!(!json.contains("\"tool\""), "{json}");
        report.files[0].tool = Some("cursor".to_owned());
        report.files[0].kind = Some("rule".to_owned());
        let json = render_json(&report);
        assert!(json.contains("\"tool\": \"cursor\""), "{json}");
        let mut older: serde_json::Value = serde_json::from_str(&json).expect("json");
        if let Some(file) = older["files"][0].as_object_mut() {
            file.remove("kind");
            file.remove("tool");
        }
        let read: Report = serde_json::from_value(older).expect("an older report reads");
        assert_eq!(
            (read.files[0].kind.clone(), read.files[0].tool.clone()),
            (None, None)
        );
    }

    #[test]
    fn json_snapshot() {
        insta::assert_snapshot!(render_json(&sample_report()));
    }
}
