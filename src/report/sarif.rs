//! The SARIF view of a report: the format code-scanning services ingest.
//!
//! GitHub code scanning, Azure DevOps and most static-analysis dashboards read
//! SARIF 2.1.0 (the OASIS standard), so a run uploaded in this format shows every
//! failing example as an alert on the Markdown line that needs fixing.
//!
//! The log has one run. Its tool has **one rule per cause** of the taxonomy
//! (`snipcheck/dependency-drift`, `snipcheck/code-bug`, ..., and
//! `snipcheck/unclassified` for a row without one), whose `help` is what
//! `--explain` prints; no rule has a `helpUri`, since no page documents the
//! causes one by one. It has **one result per failing or warning row** (an
//! example on one toolchain): located at the row's first error (first warning
//! for a row that only warns), or at its fence when no diagnostic explains the
//! failure. The message holds that diagnostic with rustc's code
//! (`error[E0425]: ...`), its notes, the row's other errors, and the
//! suggestion; every other diagnostic is a `relatedLocation`, and the codes are
//! also listed in the result's `diagnosticCodes` property. rustc's codes are
//! not rules: the cause is what a maintainer acts on. Passing and skipped rows
//! have no result.
//!
//! - `level` says what the row does to the run: `error` for a row the run's
//!   `--fail-on` counts (`Report::fails_run`); `note` for a known failure (one
//!   the baseline records as failing, edited or not); `warning` for the rest,
//!   a failure `--fail-on` does not count and no baseline knows (a new failure
//!   under `--fail-on regressed`) and an example that only warns.
//! - `baselineState`, on every result when the report was compared with a
//!   baseline: `new` for a regressed or new row (and for a row the baseline
//!   does not track); `unchanged` for a failure the baseline records as it is
//!   (and a warning row the baseline records as passing: the baseline does not
//!   tell passing from warning); `updated` for a known failure whose example
//!   was edited, and for a row that warns where the baseline says it failed.
//! - `partialFingerprints` has one key, `snipcheckExample/v1`: a hash of the
//!   row's document, heading path, content key (the block's hash and copy
//!   number, as in its id) and toolchain; never a line number, so an alert
//!   follows its example when lines above it move. It changes when the
//!   example itself is edited: an example edited into failing is a new
//!   problem (`new`), and it had no alert while it passed; a known failure
//!   that was edited gets a new alert, which `updated` marks as the old one's
//!   successor. GitHub's own `primaryLocationLineHash` is left to its upload
//!   action to compute.
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
use serde_json::Value;

use super::{Cause, Change, Diagnostic, Report, SnippetReport, Status};
use crate::identity::{BlockId, heading_path};

/// The schema URI that SARIF consumers (and editors) recognize for 2.1.0.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The rule (and title) of a failing or warning row whose cause is not recorded.
const UNCLASSIFIED: &str = "unclassified";

/// The one key of a result's `partialFingerprints`, versioned as SARIF asks.
pub(super) const FINGERPRINT: &str = "snipcheckExample/v1";

/// How many of a row's other errors a finding's text lists one by one.
const LISTED_ERRORS: usize = 5;

/// The note added to a finding whose span lies in code snipcheck generated.
pub(super) const WRAPPER_NOTE: &str = "this diagnostic points into code snipcheck wrapped around the example; it is placed at the fence";

/// Renders `report` as a pretty-printed SARIF 2.1.0 log with a trailing newline.
pub fn render_sarif(report: &Report) -> String {
    let findings = findings(report);
    let mut rules: Vec<Rule> = Vec::new();
    let mut rule_index: BTreeMap<Option<Cause>, usize> = BTreeMap::new();
    let mut results = Vec::with_capacity(findings.len());
    for finding in &findings {
        let index = *rule_index.entry(finding.cause).or_insert_with(|| {
            rules.push(Rule::of(finding.cause));
            rules.len() - 1
        });
        results.push(SarifResult::of(report, finding, index));
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
    // Serializing cannot fail: the log holds no floats and its maps have
    // `String` keys, which are the only ways serde_json refuses a value.
    let mut json = serde_json::to_string_pretty(&log)
        .expect("the SARIF log always serializes: all of its map keys are strings");
    json.push('\n');
    super::escape::json_controls(json)
}

/// How serious a finding is, in the three levels SARIF and GitHub share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Severity {
    /// The row fails the run.
    Error,
    /// A failure the run does not count and no baseline knows, or warnings.
    Warning,
    /// A known failure: the baseline records it as failing.
    Note,
}

impl Severity {
    /// What a failing or warning row does to the run (see the module documentation).
    pub(super) fn of_row(report: &Report, row: &SnippetReport) -> Severity {
        if report.fails_run(row) {
            Severity::Error
        } else if row.known_failure() {
            Severity::Note
        } else {
            Severity::Warning
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

/// One failing or warning row, located: at the diagnostic that explains it,
/// or at its fence when none does.
#[derive(Debug, Clone)]
pub(super) struct Finding<'r> {
    pub(super) snippet: &'r SnippetReport,
    pub(super) severity: Severity,
    /// The cause the finding is filed under; none when the row records none.
    pub(super) cause: Option<Cause>,
    /// The one-line message: the diagnostic (`error[E0425]: ...`) or the cause.
    pub(super) message: String,
    /// Further lines: the span's label, the notes, the wrapper note, the row's
    /// other errors, the suggestion.
    pub(super) details: Vec<String>,
    /// The Markdown document, as the report names it.
    pub(super) file: &'r str,
    pub(super) region: Region,
    /// The row's diagnostics other than the one the finding is placed at.
    pub(super) related: Vec<&'r Diagnostic>,
}

impl Finding<'_> {
    /// The message followed by its details, one per line.
    pub(super) fn full_text(&self) -> String {
        std::iter::once(self.message.as_str())
            .chain(self.details.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The name of the finding's cause (`code-bug`, or `unclassified`).
    pub(super) fn cause_name(&self) -> &'static str {
        self.cause.map_or(UNCLASSIFIED, Cause::as_str)
    }

    /// A short title: the cause, and how the row compares with the baseline
    /// (`snipcheck: code-bug (known failure)`).
    pub(super) fn title(&self) -> String {
        let cause = self.cause_name();
        let change = match (self.snippet.baseline, self.snippet.status) {
            (Some(Change::Regressed), _) => Some("regressed"),
            (Some(Change::New), Status::Fail) => Some("new failure"),
            (Some(Change::StillFailing), _) => Some("known failure"),
            (Some(Change::Changed), Status::Fail) => Some("known failure, edited"),
            _ => None,
        };
        match change {
            Some(change) => format!("snipcheck: {cause} ({change})"),
            None => format!("snipcheck: {cause}"),
        }
    }
}

/// The findings of every failing or warning row, in report order: one per row.
///
/// A row is placed at its first error (a row that only warns: its first
/// warning). A row whose diagnostics include no such diagnostic (an unknown
/// crate reported without one, a `compile_fail` block that compiled) is placed
/// at its fence line and states its cause; so is a `compile_fail` mismatch,
/// whose diagnostics are the compiler's errors but not the reason the example
/// failed.
pub(super) fn findings(report: &Report) -> Vec<Finding<'_>> {
    report
        .snippets
        .iter()
        .filter(|snippet| matches!(snippet.status, Status::Fail | Status::Warn))
        .map(|snippet| finding(report, snippet))
        .collect()
}

fn finding<'r>(report: &Report, snippet: &'r SnippetReport) -> Finding<'r> {
    let wanted = match snippet.status {
        Status::Warn => "warning",
        _ => "error",
    };
    let primary = snippet
        .diagnostics
        .iter()
        .position(|diagnostic| diagnostic.level == wanted)
        .filter(|_| snippet.cause != Some(Cause::CompileFailMismatch));
    let mut details = Vec::new();
    let (message, file, region) = match primary.and_then(|i| snippet.diagnostics.get(i)) {
        Some(diagnostic) => {
            details.extend(diagnostic.label.iter().cloned());
            details.extend(diagnostic.notes.iter().cloned());
            if diagnostic.in_wrapper {
                details.push(WRAPPER_NOTE.to_owned());
            }
            (
                headline(diagnostic),
                diagnostic.file.as_str(),
                Region::of_diagnostic(diagnostic),
            )
        }
        None => {
            // What the fence asked for explains a failure only when it is not
            // the default, so only then is it added.
            if let Some(expect) = snippet.expect.as_deref().filter(|e| *e != "pass") {
                details.push(format!("the fence expects: {expect}"));
            }
            (
                describe_cause(snippet).to_owned(),
                snippet.file.as_str(),
                Region::line(snippet.line),
            )
        }
    };
    let related: Vec<&Diagnostic> = snippet
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != primary)
        .map(|(_, diagnostic)| diagnostic)
        .collect();
    let others: Vec<&&Diagnostic> = related
        .iter()
        .filter(|diagnostic| matches!(diagnostic.level.as_str(), "error" | "warning"))
        .collect();
    for diagnostic in others.iter().take(LISTED_ERRORS) {
        details.push(format!(
            "also at line {}: {}",
            diagnostic.line.max(1),
            headline(diagnostic)
        ));
    }
    if others.len() > LISTED_ERRORS {
        details.push(format!(
            "and {} more diagnostics",
            others.len() - LISTED_ERRORS
        ));
    }
    if let Some(suggestion) = &snippet.suggestion {
        details.push(format!("suggestion: {suggestion}"));
    }
    Finding {
        snippet,
        severity: Severity::of_row(report, snippet),
        cause: snippet.cause,
        message,
        details,
        file,
        region,
        related,
    }
}

/// A diagnostic's first line as rustc prints it: `error[E0425]: message`.
fn headline(diagnostic: &Diagnostic) -> String {
    match &diagnostic.code {
        Some(code) => format!("{}[{code}]: {}", diagnostic.level, diagnostic.message),
        None => format!("{}: {}", diagnostic.level, diagnostic.message),
    }
}

/// One sentence saying why an example failed or warned, from its cause.
pub(super) fn describe_cause(snippet: &SnippetReport) -> &'static str {
    match snippet.cause {
        // A lint only fails an example when clippy denies it; otherwise the
        // example passed with warnings, and the sentence says so.
        Some(Cause::Lint) if snippet.status == Status::Warn => "clippy warns about the example",
        Some(cause) => cause.info().summary,
        None if snippet.status == Status::Warn => "the example has warnings",
        None => "the example failed",
    }
}

/// The stable fingerprint of a row's result (see the module documentation):
/// document, heading path, content key and toolchain, never a line.
pub(super) fn fingerprint(row: &SnippetReport) -> String {
    let content = BlockId::content_of(&row.id).to_string();
    let headings = heading_path(&row.headings);
    let toolchain = row.toolchain.as_deref().unwrap_or("");
    crate::hash::short_hash(
        [
            row.file.as_str(),
            "\n",
            headings.as_str(),
            "\n",
            content.as_str(),
            "\n",
            toolchain,
        ],
        16,
    )
}

/// The `baselineState` of a row's result, when the report was compared with a
/// baseline (see the module documentation for the mapping).
fn baseline_state(report: &Report, row: &SnippetReport) -> Option<&'static str> {
    report.baseline.as_ref()?;
    Some(match row.baseline {
        Some(Change::Regressed | Change::New) | None => "new",
        Some(Change::StillFailing | Change::Unchanged) => "unchanged",
        Some(Change::Changed | Change::Fixed) => "updated",
    })
}

/// The run's problems and missing toolchains, as notifications of the tool.
fn tool_notifications(report: &Report) -> Vec<Notification> {
    report
        .run_messages()
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

/// A `reportingDescriptor`: one cause of the taxonomy.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    /// `snipcheck/code-bug`.
    id: String,
    /// `CodeBug`.
    name: String,
    short_description: Message,
    full_description: Message,
    help: MultiformatMessage,
}

impl Rule {
    fn of(cause: Option<Cause>) -> Rule {
        let Some(cause) = cause else {
            let summary = "the example failed or warned, and the report records no cause";
            return Rule {
                id: format!("snipcheck/{UNCLASSIFIED}"),
                name: "Unclassified".to_owned(),
                short_description: Message {
                    text: summary.to_owned(),
                },
                full_description: Message {
                    text: summary.to_owned(),
                },
                help: MultiformatMessage {
                    text: format!("{UNCLASSIFIED}: {summary}"),
                    markdown: format!("**{UNCLASSIFIED}**: {summary}"),
                },
            };
        };
        let info = cause.info();
        Rule {
            id: format!("snipcheck/{}", info.name),
            name: info.name.split('-').map(capitalized).collect(),
            short_description: Message {
                text: info.summary.to_owned(),
            },
            full_description: Message {
                text: format!("{}; proven by: {}", info.summary, info.proof),
            },
            help: MultiformatMessage {
                text: info.explanation(),
                markdown: format!(
                    "**{}**: {}\n\n**Proven by:** {}\n\n**Usual fix:** {}\n\n`snipcheck --explain {}` says the same.",
                    info.name, info.summary, info.proof, info.fix, info.name
                ),
            },
        }
    }
}

/// `drift` → `Drift`.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
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

/// A `multiformatMessageString`: plain text, and the same as Markdown.
#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: Vec<Location>,
    /// The row's other diagnostics.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    /// The example's id and toolchain (so that a consumer can tell apart the
    /// results of one block built with several toolchains), its cause, how it
    /// compares with the baseline, and the codes of its diagnostics.
    properties: BTreeMap<&'static str, Value>,
}

impl SarifResult {
    fn of(report: &Report, finding: &Finding<'_>, rule_index: usize) -> SarifResult {
        let row = finding.snippet;
        let mut properties = BTreeMap::from([("snippet", Value::from(row.id.clone()))]);
        if let Some(toolchain) = &row.toolchain {
            properties.insert("toolchain", Value::from(toolchain.clone()));
        }
        if let Some(cause) = row.cause {
            properties.insert("cause", Value::from(cause.as_str()));
        }
        if let Some(change) = row.baseline {
            properties.insert("baseline", Value::from(change.as_str()));
        }
        let mut codes: Vec<&str> = Vec::new();
        for code in row.diagnostics.iter().filter_map(|d| d.code.as_deref()) {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        if !codes.is_empty() {
            properties.insert("diagnosticCodes", Value::from(codes));
        }
        let related_locations = finding
            .related
            .iter()
            .enumerate()
            .map(|(id, diagnostic)| {
                let mut location =
                    Location::at(&diagnostic.file, Region::of_diagnostic(diagnostic));
                location.id = Some(id);
                location.message = Some(Message {
                    text: headline(diagnostic),
                });
                location
            })
            .collect();
        SarifResult {
            rule_id: format!("snipcheck/{}", finding.cause_name()),
            rule_index,
            level: finding.severity.sarif_level(),
            message: Message {
                text: finding.full_text(),
            },
            locations: vec![Location::at(finding.file, finding.region)],
            related_locations,
            partial_fingerprints: BTreeMap::from([(FINGERPRINT, fingerprint(row))]),
            baseline_state: baseline_state(report, row),
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
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

impl Location {
    fn at(file: &str, region: Region) -> Location {
        Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: ArtifactLocation {
                    uri: artifact_uri(file),
                    uri_base_id: "%SRCROOT%",
                },
                region: SarifRegion {
                    start_line: region.start_line,
                    start_column: region.start_column,
                    end_line: region.end.map(|(line, _)| line),
                    end_column: region.end.map(|(_, column)| column),
                },
            },
            message: None,
        }
    }
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
    use crate::report::FailOn;
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
    fn sarif_snapshot_against_a_baseline() {
        insta::assert_snapshot!(render_sarif(&fixtures::compared(FailOn::Regressed)));
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
    fn one_result_per_failing_or_warning_row_one_rule_per_cause() {
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
                "snipcheck/compile",
                "snipcheck/compile-fail-mismatch",
                "snipcheck/lint",
                "snipcheck/unknown-crate",
                "snipcheck/compile",
            ]
        );

        // Every rule appears once, and every result's index points at its rule.
        let rules = run["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules is an array");
        assert_eq!(rules.len(), 4);
        for result in results {
            let index = result["ruleIndex"].as_u64().expect("ruleIndex is a number");
            let rule = usize::try_from(index)
                .ok()
                .and_then(|index| rules.get(index))
                .expect("the rule index is in range");
            assert_eq!(rule["id"], result["ruleId"]);
        }
        // A rule is the cause, explained as --explain explains it.
        let info = Cause::UnknownCrate.info();
        assert_eq!(rules[3]["name"], "UnknownCrate");
        assert_eq!(rules[3]["shortDescription"]["text"], info.summary);
        assert_eq!(rules[3]["help"]["text"], info.explanation().as_str());
        let markdown = rules[3]["help"]["markdown"].as_str().unwrap_or_default();
        assert!(markdown.contains(info.fix), "{markdown}");
        assert!(rules.iter().all(|rule| rule.get("helpUri").is_none()));

        // rustc's code stays with the result: in its message and its properties.
        let first = &results[0];
        assert!(
            first["message"]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with("error[E0425]: cannot find value")),
            "{first}"
        );
        assert_eq!(
            first["properties"]["diagnosticCodes"],
            serde_json::json!(["E0425"])
        );
        assert_eq!(first["properties"]["cause"], "compile");
        let located = &first["locations"][0]["physicalLocation"];
        assert_eq!(located["artifactLocation"]["uri"], "docs/guide.md");
        assert_eq!(
            located["region"],
            serde_json::json!({"startLine": 14, "startColumn": 16, "endLine": 14, "endColumn": 22})
        );
        // A failure without a diagnostic is placed at its fence line.
        let bare = &results[1]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(bare, &serde_json::json!({"startLine": 28}));
        // Without a baseline or a recorded --fail-on, every failure fails the
        // run; a row that only warns is a warning. No result has a baseline state.
        let levels: Vec<&str> = results.iter().filter_map(|r| r["level"].as_str()).collect();
        assert_eq!(levels, ["error", "error", "warning", "error", "error"]);
        assert!(results.iter().all(|r| r.get("baselineState").is_none()));
    }

    #[test]
    fn a_row_without_a_cause_is_unclassified() {
        let mut report = sample::report();
        report.snippets[1].cause = None;
        let log = parse(&render_sarif(&report));
        assert_valid(&log);
        let run = &log["runs"][0];
        let result = &run["results"][0];
        assert_eq!(result["ruleId"], "snipcheck/unclassified");
        let index = result["ruleIndex"].as_u64().unwrap_or(u64::MAX);
        let rule = &run["tool"]["driver"]["rules"][usize::try_from(index).unwrap_or(0)];
        assert_eq!(rule["id"], "snipcheck/unclassified");
        assert!(rule["help"]["markdown"].is_string(), "{rule}");
    }

    #[test]
    fn the_suggestion_and_the_other_errors_are_in_the_message() {
        let mut report = sample::report();
        let row = &mut report.snippets[1];
        row.suggestion = Some("rename `counte` to `counter`".to_owned());
        let mut second = row.diagnostics[0].clone();
        second.code = Some("E0308".to_owned());
        second.message = "mismatched types".to_owned();
        second.line = 15;
        row.diagnostics.push(second);
        let log = parse(&render_sarif(&report));
        assert_valid(&log);
        let result = &log["runs"][0]["results"][0];
        let text = result["message"]["text"].as_str().unwrap_or_default();
        assert!(
            text.contains("\nalso at line 15: error[E0308]: mismatched types"),
            "{text}"
        );
        assert!(
            text.ends_with("\nsuggestion: rename `counte` to `counter`"),
            "{text}"
        );
        let related = &result["relatedLocations"][0];
        assert_eq!(related["id"], 0);
        assert_eq!(related["message"]["text"], "error[E0308]: mismatched types");
        assert_eq!(related["physicalLocation"]["region"]["startLine"], 15);
        assert_eq!(
            result["properties"]["diagnosticCodes"],
            serde_json::json!(["E0425", "E0308"])
        );
    }

    /// The levels and baseline states of the compared sample's failing rows,
    /// by fence line: (file, line, level, baselineState).
    fn states(fail_on: FailOn) -> Vec<(String, u64, String, String)> {
        let log = parse(&render_sarif(&fixtures::compared(fail_on)));
        assert_valid(&log);
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|result| {
                let snippet = result["properties"]["snippet"].as_str().unwrap_or_default();
                let line = fixtures::compared(fail_on)
                    .snippets
                    .iter()
                    .find(|row| row.id == snippet)
                    .map_or(0, |row| u64::from(row.line));
                let text = |value: &Value| value.as_str().unwrap_or("-").to_owned();
                (
                    text(&result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]),
                    line,
                    text(&result["level"]),
                    text(&result["baselineState"]),
                )
            })
            .collect()
    }

    #[test]
    fn levels_and_baseline_states_follow_fail_on_and_the_baseline() {
        let row = |file: &str, line, level: &str, state: &str| {
            (file.to_owned(), line, level.to_owned(), state.to_owned())
        };
        // guide:11 regressed, guide:28 still failing, README:3 warns as it
        // did, README:12 edited and failing as before, README:16 new.
        assert_eq!(
            states(FailOn::Regressed),
            [
                row("docs/guide.md", 11, "error", "new"),
                row("docs/guide.md", 28, "note", "unchanged"),
                row("README.md", 3, "warning", "unchanged"),
                row("README.md", 12, "note", "updated"),
                row("README.md", 16, "warning", "new"),
            ]
        );
        assert_eq!(
            states(FailOn::New),
            [
                row("docs/guide.md", 11, "error", "new"),
                row("docs/guide.md", 28, "note", "unchanged"),
                row("README.md", 3, "warning", "unchanged"),
                row("README.md", 12, "note", "updated"),
                row("README.md", 16, "error", "new"),
            ]
        );
        // Under `any`, known failures fail the run too, and say so.
        let any = states(FailOn::Any);
        let levels: Vec<&str> = any.iter().map(|(_, _, level, _)| level.as_str()).collect();
        assert_eq!(levels, ["error", "error", "warning", "error", "error"]);
        // Under `never`, nothing is an error.
        let never = states(FailOn::Never);
        assert!(
            never.iter().all(|(_, _, level, _)| level != "error"),
            "{never:?}"
        );
    }

    #[test]
    fn passing_and_skipped_rows_have_no_result() {
        let report = fixtures::compared(FailOn::Regressed);
        let log = parse(&render_sarif(&report));
        let results = log["runs"][0]["results"].as_array().map_or(0, Vec::len);
        let shown = report
            .snippets
            .iter()
            .filter(|row| matches!(row.status, Status::Fail | Status::Warn))
            .count();
        assert_eq!(results, shown);
    }

    #[test]
    fn fingerprints_ignore_lines_and_follow_the_example() {
        let report = sample::report();
        let prints = |report: &Report| -> Vec<String> {
            let log = parse(&render_sarif(report));
            log["runs"][0]["results"]
                .as_array()
                .expect("results")
                .iter()
                .map(|r| {
                    r["partialFingerprints"][FINGERPRINT]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        };
        let before = prints(&report);
        assert!(before.iter().all(|print| print.len() == 32), "{before:?}");
        let distinct: std::collections::BTreeSet<&String> = before.iter().collect();
        assert_eq!(distinct.len(), before.len(), "{before:?}");

        // Lines added above every example move them all: same fingerprints.
        let mut moved = report.clone();
        for row in &mut moved.snippets {
            row.line += 3;
            for diagnostic in &mut row.diagnostics {
                diagnostic.line += 3;
                diagnostic.end_line += 3;
            }
        }
        assert_eq!(prints(&moved), before);

        // Another toolchain, another heading or an edited example: another one.
        let row = &report.snippets[1];
        let mut other = row.clone();
        other.toolchain = Some("nightly".to_owned());
        assert_ne!(fingerprint(&other), fingerprint(row));
        other = row.clone();
        other.headings.pop();
        assert_ne!(fingerprint(&other), fingerprint(row));
        other = row.clone();
        other.id = "guide-0badc0de".to_owned();
        assert_ne!(fingerprint(&other), fingerprint(row));
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
}

/// The sample report compared with a baseline, shared with the GitHub view's tests.
#[cfg(test)]
pub(super) mod fixtures {
    use crate::report::markdown::sample;
    use crate::report::{BaselineSummary, Change, FailOn, Report};

    /// The sample report as a run against a baseline under `fail_on` would
    /// write it: the guide's failing example regressed, its `compile_fail`
    /// block still fails, the README's lint warns as it did, its unknown
    /// crate was edited and fails as before, and its `?` example is new.
    pub(in crate::report) fn compared(fail_on: FailOn) -> Report {
        let mut report = sample::report();
        report.fail_on = Some(fail_on);
        report.baseline = Some(BaselineSummary {
            path: "snipcheck.baseline.toml".to_owned(),
            ..BaselineSummary::default()
        });
        for row in &mut report.snippets {
            row.baseline = match (row.file.as_str(), row.line, row.toolchain.is_some()) {
                ("docs/guide.md", 5, _) | ("README.md", 3, _) => Some(Change::Unchanged),
                ("docs/guide.md", 11, _) => Some(Change::Regressed),
                ("docs/guide.md", 28, _) => Some(Change::StillFailing),
                ("README.md", 12, _) => Some(Change::Changed),
                ("README.md", 16, true) => Some(Change::New),
                _ => None,
            };
        }
        report
    }
}
