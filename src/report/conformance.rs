//! Tests that rendered reports conform to their published schemas: the JSON
//! view to the committed `schema/report.schema.json`, the SARIF view to
//! OASIS's SARIF 2.1.0 schema (`tests/fixtures/schemas/`).
//!
//! The JSON report checked here has every optional part present, and is also
//! checked against a strict copy of the schema in which every field is
//! required, non-null and non-empty, so no field of the model escapes
//! validation: a field added to the model fails here until this report sets it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::json::render_json;
use super::markdown::sample;
use super::sarif::render_sarif;
use super::{
    BaselineSummary, Cause, Change, ConfinementSummary, Dependency, Diagnostic, Evidence, FailOn,
    FileSummary, LockMode, LockfileSummary, Report, RunProblem, SCHEMA_VERSION, SnippetReport,
    Status, ToolchainInfo, Totals, VersionMove,
};
use crate::partition::{Partition, Scheme};

/// The committed JSON report schema.
fn report_schema() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/report.schema.json");
    let text = std::fs::read_to_string(path).expect("schema/report.schema.json is committed");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

/// The violations of `instance` against `schema` (empty when it is valid).
fn violations(schema: &Value, instance: &Value) -> Vec<String> {
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema compiles");
    validator
        .iter_errors(instance)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

fn assert_valid(schema: &Value, instance: &Value) {
    let errors = violations(schema, instance);
    assert!(errors.is_empty(), "schema violations: {errors:#?}");
}

/// `schema` with every property of every object required and closed to
/// others, `null` no longer allowed, and every array and map non-empty.
fn strict(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> = map
                .iter()
                .map(|(key, value)| (key.clone(), strict(value)))
                .collect();
            if let Some(Value::Object(properties)) = out.get("properties") {
                let names: Vec<Value> = properties.keys().cloned().map(Value::from).collect();
                out.insert("required".to_owned(), Value::Array(names));
                out.insert("additionalProperties".to_owned(), Value::Bool(false));
            }
            if let Some(Value::Array(types)) = out.get("type") {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                out.insert("type".to_owned(), Value::Array(kept));
            }
            if let Some(Value::Array(alternatives)) = out.get("anyOf") {
                let kept: Vec<Value> = alternatives
                    .iter()
                    .filter(|alternative| alternative.get("type") != Some(&Value::from("null")))
                    .cloned()
                    .collect();
                out.insert("anyOf".to_owned(), Value::Array(kept));
            }
            match out.get("type").and_then(Value::as_str) {
                Some("array") => {
                    out.insert("minItems".to_owned(), Value::from(1));
                }
                Some("object") if out.contains_key("additionalProperties") => {
                    out.insert("minProperties".to_owned(), Value::from(1));
                }
                _ => {}
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strict).collect()),
        other => other.clone(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

/// A dependency with every field set.
fn dependency() -> Dependency {
    Dependency {
        name: "wasm_bindgen".to_owned(),
        package: "wasm-bindgen".to_owned(),
        requirement: "=0.2.90".to_owned(),
        version: Some("0.2.90".to_owned()),
        features: strings(&["serde-serialize"]),
        dev: true,
        pinned: Some("0.2.90".to_owned()),
        latest: Some("0.2.100".to_owned()),
        last_passing: Some("0.2.90".to_owned()),
        first_failing: Some("0.2.91".to_owned()),
        source: Some("path".to_owned()),
    }
}

/// A failing row with every field set.
fn failing_row() -> SnippetReport {
    SnippetReport {
        id: "guide-3f2a9c1e-0".to_owned(),
        file: "docs/guide.md".to_owned(),
        line: 12,
        headings: strings(&["Guide", "Errors"]),
        info: "rust,edition2021".to_owned(),
        lang: Some("rust".to_owned()),
        rust: true,
        status: Status::Fail,
        skip_reason: Some("not reached".to_owned()),
        cause: Some(Cause::DependencyDrift),
        other_causes: vec![Cause::MissingImport, Cause::CodeBug],
        evidence: vec![Evidence {
            variant: "wasm-bindgen =0.2.90".to_owned(),
            toolchain: "stable".to_owned(),
            passed: false,
            tests: Cause::DependencyDrift,
            remaining: strings(&["docs/guide.md:14: cannot find value `x`"]),
            not_built: Some("a dependency failed to build".to_owned()),
            explains: strings(&["line 14: no method named `f`"]),
        }],
        suggestion: Some("pin the version it was written for".to_owned()),
        expect: Some("compile_fail(E0425)".to_owned()),
        toolchain: Some("stable".to_owned()),
        rustc: Some("rustc 1.95.0 (2026-03-21)".to_owned()),
        edition: Some("2021".to_owned()),
        shape: Some("main-wrapped".to_owned()),
        dependencies: vec![dependency()],
        diagnostics: vec![Diagnostic {
            level: "error".to_owned(),
            code: Some("E0425".to_owned()),
            message: "cannot find value `x` in this scope".to_owned(),
            file: "docs/guide.md".to_owned(),
            line: 14,
            column: 5,
            end_line: 14,
            end_column: 6,
            label: Some("not found in this scope".to_owned()),
            in_wrapper: true,
            notes: strings(&["help: a local variable with a similar name exists: `y`"]),
        }],
        problems: strings(&["unterminated fence"]),
        baseline: Some(Change::Regressed),
        sketch: Some("5f0a1c2b3d4e6f70".to_owned()),
        edited: true,
        cached: true,
        differential: Some("nightly-regression".to_owned()),
    }
}

/// A report with every optional part present and every list non-empty.
fn full_report() -> Report {
    let count = |pairs: &[(&str, u32)]| -> BTreeMap<String, u32> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    };
    Report {
        schema: SCHEMA_VERSION,
        snipcheck_version: "0.1.0".to_owned(),
        toolchains: vec![ToolchainInfo {
            name: "stable".to_owned(),
            rustc: Some("rustc 1.95.0 (2026-03-21)".to_owned()),
            installed: true,
        }],
        files: vec![FileSummary {
            file: "docs/guide.md".to_owned(),
            blocks: 3,
            rust_blocks: 2,
            languages: count(&[("rust", 2), ("(none)", 1)]),
            pass: 0,
            warn: 0,
            fail: 1,
            skip: 0,
            verified: 1,
            expected_to_fail: 1,
            skipped: count(&[("marked ignore", 1)]),
            unlabelled_rust: vec![30],
            crates: strings(&["wasm-bindgen"]),
            kind: Some("rule".to_owned()),
            tool: Some("cursor".to_owned()),
        }],
        snippets: vec![failing_row()],
        totals: Totals {
            files: 1,
            blocks: 3,
            rust_blocks: 2,
            pass: 0,
            warn: 0,
            fail: 1,
            skip: 0,
        },
        problems: vec![
            RunProblem::input(Some("docs/missing.md".to_owned()), "no such file"),
            RunProblem::environment(Some("nightly".to_owned()), "not installed"),
            RunProblem::limit(Some("docs/guide.md".to_owned()), "ran past 30m"),
        ],
        cargo_invocations: count(&[("build", 2), ("metadata", 1), ("registry", 3)]),
        baseline: Some(BaselineSummary {
            path: "snipcheck.baseline.toml".to_owned(),
            counts: count(&[("regressed", 1)]),
            removed: strings(&["docs/old.md:3 on stable (fail)"]),
            coverage_lost: strings(&["docs/old.md"]),
        }),
        incomplete: true,
        lockfile: Some(LockfileSummary {
            path: "snipcheck.lock".to_owned(),
            mode: LockMode::Latest,
            found: true,
            moved: vec![VersionMove {
                package: "wasm-bindgen".to_owned(),
                locked: Some("0.2.90".to_owned()),
                now: Some("0.2.100".to_owned()),
            }],
            not_locked: strings(&["serde"]),
            unusable: true,
        }),
        partition: Some(Partition {
            scheme: Scheme::Hash,
            shard: 2,
            count: 3,
        }),
        confinement: Some(ConfinementSummary {
            confined: false,
            summary: "builds were not confined (--unconfined)".to_owned(),
            filesystem: "everything the user can".to_owned(),
            network: "everything".to_owned(),
            processes: "the build's process group".to_owned(),
            memory: "4096 MiB per compiler".to_owned(),
            note: Some("this kernel has no Landlock".to_owned()),
        }),
        fail_on: Some(FailOn::Regressed),
    }
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("the rendered report is JSON")
}

#[test]
fn a_report_with_every_part_present_is_valid() {
    let json = parse(&render_json(&full_report()));
    assert_valid(&report_schema(), &json);
}

/// Every field of the model is present, non-null and non-empty in the full
/// report, and it has no field the schema does not know.
#[test]
fn the_full_report_leaves_no_field_unchecked() {
    let json = parse(&render_json(&full_report()));
    assert_valid(&strict(&report_schema()), &json);
}

#[test]
fn the_sample_reports_and_an_empty_one_are_valid() {
    let schema = report_schema();
    assert_valid(&schema, &parse(&render_json(&sample::report())));
    let empty = Report {
        schema: SCHEMA_VERSION,
        ..Report::default()
    };
    assert_valid(&schema, &parse(&render_json(&empty)));
}

/// A change that makes a valid report invalid.
type Breaks = fn(&mut Value);

/// The validator really applies the schema: each of these breaks it.
#[test]
fn the_report_schema_rejects_what_it_should() {
    let schema = report_schema();
    let valid = parse(&render_json(&full_report()));
    let broken: [(&str, Breaks); 6] = [
        ("another schema version", |r| r["schema"] = Value::from(2)),
        ("a status serde does not write", |r| {
            r["snippets"][0]["status"] = Value::from("passed");
        }),
        ("a cause written in Rust's spelling", |r| {
            r["snippets"][0]["cause"] = Value::from("DependencyDrift");
        }),
        ("a required field missing", |r| {
            if let Some(row) = r["snippets"][0].as_object_mut() {
                row.remove("file");
            }
        }),
        ("a negative line", |r| {
            r["snippets"][0]["line"] = Value::from(-1);
        }),
        ("a change that does not exist", |r| {
            r["snippets"][0]["baseline"] = Value::from("worse");
        }),
    ];
    for (what, breaks) in broken {
        let mut report = valid.clone();
        breaks(&mut report);
        assert!(
            !violations(&schema, &report).is_empty(),
            "{what} is accepted"
        );
    }
}

/// The official SARIF 2.1.0 schema; see `tests/fixtures/schemas/README.md`.
/// Its `language` patterns end in a stray `]` that ECMA-262 regexes reject
/// (fixed by the 2.1.0 errata, oasis-tcs/sarif-spec issue 488); snipcheck's
/// logs never set `language`, so the correction cannot make them pass.
fn sarif_schema() -> Value {
    const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    const FIXED: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/schemas/sarif-schema-2.1.0.json"
    );
    let text = std::fs::read_to_string(path).expect("the SARIF schema fixture is there");
    assert!(text.contains(STRAY), "the fixture still has the erratum");
    serde_json::from_str(&text.replace(STRAY, FIXED)).expect("the SARIF schema is JSON")
}

fn assert_valid_sarif(report: &Report) {
    let schema = sarif_schema();
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let log = parse(&render_sarif(report));
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
}

/// `report` as compared with a baseline: a summary, and a change on every
/// row (every kind of change, in turn).
fn compared(mut report: Report) -> Report {
    let changes = [
        Change::Regressed,
        Change::New,
        Change::StillFailing,
        Change::Fixed,
        Change::Unchanged,
    ];
    for (row, change) in report.snippets.iter_mut().zip(changes.iter().cycle()) {
        row.baseline = Some(*change);
    }
    report.baseline = Some(BaselineSummary {
        path: "snipcheck.baseline.toml".to_owned(),
        counts: BTreeMap::from([("regressed".to_owned(), 1)]),
        removed: strings(&["docs/old.md:3 on stable (fail)"]),
        coverage_lost: strings(&["docs/old.md"]),
    });
    report
}

#[test]
fn sarif_of_failing_rows_is_valid_without_a_baseline() {
    let mut report = sample::report();
    for row in &mut report.snippets {
        row.baseline = None;
    }
    report.baseline = None;
    assert!(report.snippets.iter().any(|row| row.status == Status::Fail));
    assert_valid_sarif(&report);
    assert_valid_sarif(&full_report_without_baseline());
}

#[test]
fn sarif_of_failing_rows_is_valid_with_a_baseline() {
    assert_valid_sarif(&compared(sample::report()));
    assert_valid_sarif(&full_report());
}

fn full_report_without_baseline() -> Report {
    let mut report = full_report();
    report.baseline = None;
    for row in &mut report.snippets {
        row.baseline = None;
    }
    report
}
