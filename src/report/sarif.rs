//! The SARIF view of a report: the format code-scanning services ingest.
//!
//! GitHub code scanning, Azure DevOps and most static-analysis dashboards read
//! SARIF 2.1.0 (the OASIS standard), so a run uploaded in this format shows every
//! failing example as an alert on the Markdown line that needs fixing. The log
//! has one run, whose tool lists one rule per distinct rustc error code, lint or
//! snipcheck cause (with a link to the error index or the clippy lint list), and
//! one result per diagnostic of a failing or warning example.
//!
//! The SARIF structs are written here rather than taken from a crate: the log
//! uses a dozen of the schema's hundred-odd objects, and a hand-written subset
//! keeps the output exactly what this module documents. The tests validate the
//! output against the official schema.
//!
//! The located findings ([`findings`]) are shared with the GitHub Actions view,
//! which shows the same results as workflow commands.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Cause, Diagnostic, Report, SnippetReport, Status};

/// The schema URI that SARIF consumers (and editors) recognize for 2.1.0.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The rule of a diagnostic that has neither a code nor a known cause.
const RUSTC_RULE: &str = "rustc";

/// The note added to a finding whose span lies in code snipcheck generated.
pub(super) const WRAPPER_NOTE: &str = "this diagnostic points into code snipcheck wrapped around the example; it is placed at the fence";

/// Renders `report` as a pretty-printed SARIF 2.1.0 log with a trailing newline.
pub fn render_sarif(report: &Report) -> String {
    let findings = findings(report);
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(findings.len());
    for finding in &findings {
        let index = *rule_index.entry(finding.rule.clone()).or_insert_with(|| {
            rules.push(Rule::describe(&finding.rule));
            rules.len() - 1
        });
        results.push(SarifResult::of(finding, index));
    }

    let notifications = tool_notifications(report);
    let log = Log {
        schema: SARIF_SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "snipcheck",
                    version: report.snipcheck_version.clone(),
                    rules,
                },
            },
            invocations: vec![Invocation {
                // The run itself completed: failing examples are results, and the
                // problems that kept parts of it from running are notifications.
                execution_successful: true,
                tool_execution_notifications: notifications,
                properties: report
                    .confinement
                    .iter()
                    .map(|c| ("confinement".to_owned(), c.summary.clone()))
                    .collect(),
            }],
            // rustc counts columns in characters, not in UTF-16 code units
            // (SARIF's default), so a location on a line with non-ASCII text
            // would otherwise be shifted.
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    // Serializing cannot fail: the log holds no floats and its only map has
    // `String` keys, which are the only ways serde_json refuses a value.
    let mut json = serde_json::to_string_pretty(&log)
        .expect("the SARIF log always serializes: all of its map keys are strings");
    json.push('\n');
    super::escape::json_controls(json)
}

/// How serious a finding is, in the three levels SARIF and GitHub share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// The severity of a diagnostic level of the model; `note` and `help` (and
    /// any level this renderer does not know) are notes.
    fn of_level(level: &str) -> Severity {
        match level {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => Severity::Note,
        }
    }

    /// The name SARIF gives the level.
    fn sarif_level(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A 1-based region of a Markdown document. The end is present only when it
/// is a real position at or after the start; the columns only when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub(super) start_line: u32,
    pub(super) start_column: Option<u32>,
    pub(super) end: Option<(u32, u32)>,
}

impl Region {
    /// The region of a diagnostic, repaired where the model's numbers cannot be
    /// a location (a zero line or column, an end before the start).
    fn of_diagnostic(diagnostic: &Diagnostic) -> Region {
        let start_line = diagnostic.line.max(1);
        let start_column = diagnostic.column.max(1);
        let end = (diagnostic.end_line, diagnostic.end_column);
        let end_is_valid = end.0 >= 1 && end.1 >= 1 && end >= (start_line, start_column);
        Region {
            start_line,
            start_column: Some(start_column),
            end: end_is_valid.then_some(end),
        }
    }

    /// The whole line `line` (at least line 1).
    fn line(line: u32) -> Region {
        Region {
            start_line: line.max(1),
            start_column: None,
            end: None,
        }
    }
}

/// One located problem of a failing or warning example: a diagnostic of the
/// model, or the example's failure itself when no diagnostic explains it.
#[derive(Debug, Clone)]
pub(super) struct Finding<'r> {
    pub(super) snippet: &'r SnippetReport,
    pub(super) severity: Severity,
    /// An error code (`E0425`), a lint (`clippy::needless_return`) or a
    /// snipcheck cause (`snipcheck::unknown-crate`).
    pub(super) rule: String,
    /// The one-line message.
    pub(super) message: String,
    /// Further lines: the span's label, the notes, the wrapper note.
    pub(super) details: Vec<String>,
    /// The Markdown document, as the report names it.
    pub(super) file: &'r str,
    pub(super) region: Region,
}

impl Finding<'_> {
    /// The message followed by its details, one per line.
    pub(super) fn full_text(&self) -> String {
        std::iter::once(self.message.as_str())
            .chain(self.details.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The findings of every failing or warning row, in report order.
///
/// Each diagnostic becomes a finding. A row whose diagnostics include no error
/// or warning (an unknown crate reported without one, a `compile_fail` block
/// that compiled) gets one finding at its fence line that states the cause; so
/// does a `compile_fail` mismatch, whose diagnostics are the compiler's errors
/// but not the reason the example failed.
pub(super) fn findings(report: &Report) -> Vec<Finding<'_>> {
    let mut out = Vec::new();
    for snippet in &report.snippets {
        if !matches!(snippet.status, Status::Fail | Status::Warn) {
            continue;
        }
        let explained = snippet
            .diagnostics
            .iter()
            .any(|diagnostic| matches!(diagnostic.level.as_str(), "error" | "warning"));
        if !explained || snippet.cause == Some(Cause::CompileFailMismatch) {
            out.push(fence_finding(snippet));
        }
        for diagnostic in &snippet.diagnostics {
            out.push(diagnostic_finding(snippet, diagnostic));
        }
    }
    out
}

fn diagnostic_finding<'r>(snippet: &'r SnippetReport, diagnostic: &'r Diagnostic) -> Finding<'r> {
    let rule = match (&diagnostic.code, snippet.cause) {
        (Some(code), _) => code.clone(),
        (None, Some(cause)) => cause_rule(cause),
        (None, None) => RUSTC_RULE.to_owned(),
    };
    let mut details: Vec<String> = diagnostic.label.iter().cloned().collect();
    details.extend(diagnostic.notes.iter().cloned());
    if diagnostic.in_wrapper {
        details.push(WRAPPER_NOTE.to_owned());
    }
    Finding {
        snippet,
        severity: Severity::of_level(&diagnostic.level),
        rule,
        message: diagnostic.message.clone(),
        details,
        file: &diagnostic.file,
        region: Region::of_diagnostic(diagnostic),
    }
}

fn fence_finding(snippet: &SnippetReport) -> Finding<'_> {
    let severity = if snippet.status == Status::Fail {
        Severity::Error
    } else {
        Severity::Warning
    };
    let rule = snippet
        .cause
        .map_or_else(|| "snipcheck".to_owned(), cause_rule);
    let mut details = Vec::new();
    // What the fence asked for explains a failure only when it is not the
    // default, so only then is it added.
    if let Some(expect) = snippet.expect.as_deref().filter(|expect| *expect != "pass") {
        details.push(format!("the fence expects: {expect}"));
    }
    Finding {
        snippet,
        severity,
        rule,
        message: describe_cause(snippet).to_owned(),
        details,
        file: &snippet.file,
        region: Region::line(snippet.line),
    }
}

/// The rule id of a snipcheck cause (`snipcheck::unknown-crate`).
pub(super) fn cause_rule(cause: Cause) -> String {
    format!("snipcheck::{}", cause.as_str())
}

/// One sentence saying why an example failed or warned, from its cause.
pub(super) fn describe_cause(snippet: &SnippetReport) -> &'static str {
    match snippet.cause {
        // A lint only fails an example when clippy denies it; otherwise the
        // example passed with warnings, and the sentence says so.
        Some(Cause::Lint) if snippet.status == Status::Warn => "clippy warns about the example",
        Some(cause) => describe(cause),
        None if snippet.status == Status::Warn => "the example has warnings",
        None => "the example failed",
    }
}

/// One sentence per cause, shared by the rules' descriptions and the findings.
fn describe(cause: Cause) -> &'static str {
    cause.info().summary
}

/// The web page documenting a rule, when there is one: the error index for
/// rustc error codes, the lint list for clippy lints.
pub(super) fn help_uri(rule: &str) -> Option<String> {
    if let Some(lint) = rule.strip_prefix("clippy::") {
        return Some(format!(
            "https://rust-lang.github.io/rust-clippy/master/index.html#{lint}"
        ));
    }
    is_error_code(rule).then(|| format!("https://doc.rust-lang.org/error_codes/{rule}.html"))
}

/// Whether `code` is a rustc error code: `E` and four digits.
fn is_error_code(code: &str) -> bool {
    code.strip_prefix('E')
        .is_some_and(|digits| digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The run's problems and missing toolchains, as notifications of the tool.
fn tool_notifications(report: &Report) -> Vec<Notification> {
    let problems = report
        .problems
        .iter()
        .map(|problem| match &problem.subject {
            Some(subject) => format!("{subject}: {}", problem.message),
            None => problem.message.clone(),
        });
    let toolchains = report
        .toolchains
        .iter()
        .filter(|toolchain| !toolchain.installed)
        .map(|toolchain| toolchain.missing_message());
    problems
        .chain(toolchains)
        .map(|text| Notification {
            level: "warning",
            message: Message { text },
        })
        .collect()
}

// The SARIF objects this view writes, named as in the specification. Optional
// members are left out when empty, as SARIF producers are asked to do.

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
struct Driver {
    name: &'static str,
    version: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Message,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
}

impl Rule {
    fn describe(id: &str) -> Rule {
        let text = if is_error_code(id) {
            format!("Rust compiler error {id}")
        } else if id.starts_with("clippy::") {
            format!("Clippy lint `{id}`")
        } else if let Some(cause) = cause_of_rule(id) {
            format!("snipcheck: {}", describe(cause))
        } else if id == RUSTC_RULE {
            "Rust compiler diagnostic without a code".to_owned()
        } else if id == "snipcheck" {
            "snipcheck: the example failed".to_owned()
        } else {
            format!("Rust compiler lint `{id}`")
        };
        Rule {
            id: id.to_owned(),
            short_description: Message { text },
            help_uri: help_uri(id),
        }
    }
}

/// The cause a `snipcheck::…` rule id names.
fn cause_of_rule(id: &str) -> Option<Cause> {
    let name = id.strip_prefix("snipcheck::")?;
    [
        Cause::Syntax,
        Cause::UnknownCrate,
        Cause::RegistryUnreachable,
        Cause::UnresolvableDependency,
        Cause::Lint,
        Cause::CompileFailMismatch,
        Cause::Compile,
        Cause::DependencyBuild,
    ]
    .into_iter()
    .find(|cause| cause.as_str() == name)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
    /// How the builds were confined (`confinement`: the report's summary).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    /// The example's id and toolchain, so that a consumer can tell apart the
    /// results of one block built with several toolchains.
    properties: BTreeMap<String, String>,
}

impl SarifResult {
    fn of(finding: &Finding<'_>, rule_index: usize) -> SarifResult {
        let region = finding.region;
        let mut properties = BTreeMap::from([("snippet".to_owned(), finding.snippet.id.clone())]);
        if let Some(toolchain) = &finding.snippet.toolchain {
            properties.insert("toolchain".to_owned(), toolchain.clone());
        }
        SarifResult {
            rule_id: finding.rule.clone(),
            rule_index,
            level: finding.severity.sarif_level(),
            message: Message {
                text: finding.full_text(),
            },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: artifact_uri(finding.file),
                        uri_base_id: "%SRCROOT%",
                    },
                    region: SarifRegion {
                        start_line: region.start_line,
                        start_column: region.start_column,
                        end_line: region.end.map(|(line, _)| line),
                        end_column: region.end.map(|(_, column)| column),
                    },
                },
            }],
            properties,
        }
    }
}

/// The document's path as a relative URI reference: `/` separators, and the
/// characters a URI cannot hold percent-encoded.
pub(super) fn artifact_uri(file: &str) -> String {
    let mut uri = String::with_capacity(file.len());
    for byte in file.replace('\\', "/").bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=@".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: SarifRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::report::markdown::sample;

    /// The official SARIF 2.1.0 schema; see `tests/fixtures/schemas/README.md`
    /// for where this copy comes from.
    const SCHEMA: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/schemas/sarif-schema-2.1.0.json"
    ));

    /// The schema, with the one correction the published file needs: its
    /// `language` patterns end in a stray `]` that ECMA-262 regexes (which
    /// JSON Schema patterns are) reject, so a strict validator refuses the
    /// whole schema. SARIF's 2.1.0 Errata 01 fixes them (oasis-tcs/sarif-spec
    /// issue 488); snipcheck's logs never set `language`, so the correction
    /// cannot make them pass.
    fn schema() -> Value {
        const STRAY: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
        const FIXED: &str = "^[a-zA-Z]{2}(-[a-zA-Z]{2})?$";
        assert!(SCHEMA.contains(STRAY), "the fixture still has the erratum");
        serde_json::from_str(&SCHEMA.replace(STRAY, FIXED)).expect("the schema fixture is JSON")
    }

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).expect("the rendered SARIF is JSON")
    }

    /// Validates `log` against the official schema, listing every violation.
    fn assert_valid(log: &Value) {
        let schema = schema();
        let validator = jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(log)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "schema violations: {errors:#?}");
    }

    #[test]
    fn sarif_snapshot() {
        insta::assert_snapshot!(render_sarif(&sample::report()));
    }

    #[test]
    fn sarif_is_valid_against_the_official_schema() {
        assert_valid(&parse(&render_sarif(&sample::report())));
    }

    #[test]
    fn an_empty_report_is_a_valid_log_with_one_run() {
        let mut empty = sample::report();
        empty.snippets.clear();
        empty.problems.clear();
        let log = parse(&render_sarif(&empty));
        assert_valid(&log);
        assert_eq!(log["runs"].as_array().map(Vec::len), Some(1));
        assert_eq!(log["runs"][0]["results"], Value::Array(vec![]));
    }

    #[test]
    fn the_schema_rejects_what_it_should() {
        // A check that the validator is really applied: a region that starts
        // at line 0 is not SARIF.
        let mut log = parse(&render_sarif(&sample::report()));
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
            Value::from(0);
        assert!(!jsonschema::is_valid(&schema(), &log));
    }

    #[test]
    fn results_and_rules_follow_the_diagnostics() {
        let log = parse(&render_sarif(&sample::report()));
        let run = &log["runs"][0];
        assert_eq!(run["tool"]["driver"]["name"], "snipcheck");
        assert_eq!(run["tool"]["driver"]["version"], "0.1.0");

        let results = run["results"].as_array().expect("results is an array");
        let rule_ids: Vec<&str> = results
            .iter()
            .filter_map(|result| result["ruleId"].as_str())
            .collect();
        assert_eq!(
            rule_ids,
            [
                "E0425",
                "snipcheck::compile-fail-mismatch",
                "clippy::manual_range_contains",
                "snipcheck::unknown-crate",
                "E0277",
            ]
        );

        // Every rule appears once, and every result's index points at its rule.
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules is an array");
        assert_eq!(rules.len(), 5);
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex is a number");
            let rule = usize::try_from(index)
                .ok()
                .and_then(|index| rules.get(index))
                .expect("the rule index is in range");
            assert_eq!(rule["id"], result["ruleId"]);
        }
        assert_eq!(
            rules[0]["helpUri"],
            "https://doc.rust-lang.org/error_codes/E0425.html"
        );
        assert_eq!(
            rules[2]["helpUri"],
            "https://rust-lang.github.io/rust-clippy/master/index.html#manual_range_contains"
        );
        assert!(rules[1].get("helpUri").is_none());

        let first = &results[0]["locations"][0]["physicalLocation"];
        assert_eq!(first["artifactLocation"]["uri"], "docs/guide.md");
        assert_eq!(
            first["region"],
            serde_json::json!({"startLine": 14, "startColumn": 16, "endLine": 14, "endColumn": 22})
        );
        // A failure without a diagnostic is placed at its fence line.
        let bare = &results[1]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(bare, &serde_json::json!({"startLine": 28}));
        assert_eq!(results[2]["level"], "warning");
        assert_eq!(results[0]["level"], "error");
    }

    #[test]
    fn impossible_locations_are_repaired_and_stay_valid() {
        let mut report = sample::report();
        for snippet in &mut report.snippets {
            for diagnostic in &mut snippet.diagnostics {
                diagnostic.line = 0;
                diagnostic.column = 0;
                diagnostic.end_line = 0;
                diagnostic.in_wrapper = true;
            }
            snippet.line = 0;
        }
        report.snippets[0].file = "docs/a guide (draft)\\über.md".to_owned();
        let log = parse(&render_sarif(&report));
        assert_valid(&log);
    }

    #[test]
    fn artifact_uris_are_relative_references() {
        assert_eq!(artifact_uri("docs/guide.md"), "docs/guide.md");
        assert_eq!(artifact_uri("docs\\guide.md"), "docs/guide.md");
        assert_eq!(artifact_uri("my docs/é.md"), "my%20docs/%C3%A9.md");
        assert_eq!(artifact_uri("a#b?.md"), "a%23b%3F.md");
    }

    #[test]
    fn help_uris() {
        assert_eq!(
            help_uri("E0308").as_deref(),
            Some("https://doc.rust-lang.org/error_codes/E0308.html")
        );
        assert_eq!(
            help_uri("clippy::needless_return").as_deref(),
            Some("https://rust-lang.github.io/rust-clippy/master/index.html#needless_return")
        );
        assert_eq!(help_uri("E03"), None);
        assert_eq!(help_uri("unused_variables"), None);
        assert_eq!(help_uri("snipcheck::syntax"), None);
    }
}
