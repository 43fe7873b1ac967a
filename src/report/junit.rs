//! The JUnit XML view of a report: the test-results format every CI knows.
//!
//! Jenkins, GitLab, Azure Pipelines, CircleCI and the GitHub test-report
//! actions all read JUnit XML, and show its failures in their test tabs with
//! history and counts. The XML is written by `quick-junit`, the crate
//! cargo-nextest uses for its JUnit output, in the Jenkins flavour of the
//! format that these tools agree on.
//!
//! **Names are history keys**, so they never hold a line number: each document
//! is a `<testsuite>` and the `classname` of its cases; each Rust example, on
//! each toolchain, is a `<testcase>` named by its heading path, its position
//! among the Rust examples under that heading ([`super::block_positions`]) and
//! the toolchain: `Guide > Errors #2 [stable]`. An edit above the example, or
//! a second toolchain added to the run, renames nothing; the fence line goes
//! in the case's `file` and `line` attributes. A row built with no toolchain
//! (refused, or skipped before building) has no `[toolchain]`; two cases that
//! would share a name in a suite are told apart by ` (2)`, ` (3)`.
//!
//! **A known failure is skipped, not failed**: a failing example the baseline
//! knows (`SnippetReport::known_failure`) is a `<skipped>` whose message starts
//! with `known failure:`, so a run that passes against its baseline shows no
//! red. Every other failing row is a `<failure>` (without a baseline, every
//! failing row), with the cause, the diagnostics and the suggestion.
//!
//! Blocks that are not Rust are left out: they are counted in the report but
//! were never candidates for building, so listing them as skipped tests would
//! only bury the examples that were skipped on purpose (`ignore`).

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::sarif::describe_cause;
use super::{Change, Diagnostic, Report, SnippetReport, Status, escape};

/// Renders `report` as a JUnit XML document: one `<testsuite>` per document,
/// one `<testcase>` per Rust example and toolchain.
pub fn render_junit(report: &Report) -> String {
    // Control characters are shown (quick-junit would drop them silently).
    let report = &escape::report(report);
    let mut suites: BTreeMap<&str, (usize, TestSuite)> = BTreeMap::new();
    // The suites follow the order of `report.files`; a file that only the
    // snippets name (which a well-formed report does not have) comes after.
    for (order, file) in report.files.iter().enumerate() {
        suites
            .entry(file.file.as_str())
            .or_insert_with(|| (order, TestSuite::new(file.file.as_str())));
    }
    let positions = super::block_positions(&report.snippets, |row| row.rust);
    let mut taken: BTreeMap<(&str, String), u32> = BTreeMap::new();
    for (snippet, position) in report.snippets.iter().zip(positions) {
        let Some(position) = position else {
            continue;
        };
        let mut name = test_name(snippet, position);
        let copies = taken
            .entry((snippet.file.as_str(), name.clone()))
            .or_default();
        *copies += 1;
        if *copies > 1 {
            name = format!("{name} ({copies})");
        }
        let next = suites.len();
        let (_, suite) = suites
            .entry(snippet.file.as_str())
            .or_insert_with(|| (next, TestSuite::new(snippet.file.as_str())));
        suite.add_test_case(test_case(snippet, name));
    }

    if let Some(confinement) = &report.confinement {
        for (_, suite) in suites.values_mut() {
            suite.add_property(("confinement", confinement.summary.as_str()));
        }
    }
    let mut ordered: Vec<(usize, TestSuite)> = suites.into_values().collect();
    ordered.sort_by_key(|(order, _)| *order);
    let mut junit = quick_junit::Report::new("snipcheck");
    junit.add_test_suites(ordered.into_iter().map(|(_, suite)| suite));
    // Writing to memory cannot fail, and quick-junit drops the characters XML
    // cannot hold, so no text of the report can make serialization fail.
    junit
        .to_string()
        .expect("a JUnit report always serializes to a string")
}

/// The stable name of a row's test case: heading path, position under it and
/// toolchain (`Guide > Errors #2 [stable]`; `(top)` before any heading).
fn test_name(snippet: &SnippetReport, position: u32) -> String {
    let path = if snippet.headings.is_empty() {
        "(top)".to_owned()
    } else {
        crate::identity::heading_path(&snippet.headings)
    };
    match &snippet.toolchain {
        Some(toolchain) => format!("{path} #{position} [{toolchain}]"),
        None => format!("{path} #{position}"),
    }
}

fn test_case(snippet: &SnippetReport, name: String) -> TestCase {
    let status = match snippet.status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Fail if snippet.known_failure() => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_message(format!("known failure: {}", failure_message(snippet)))
                .set_type(snippet.cause.map_or("fail", |cause| cause.as_str()))
                .set_description(details(snippet));
            status
        }
        Status::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            let message = match snippet.baseline {
                Some(Change::Regressed) => format!("regressed: {}", failure_message(snippet)),
                _ => failure_message(snippet),
            };
            status
                .set_message(message)
                .set_type(snippet.cause.map_or("fail", |cause| cause.as_str()))
                .set_description(details(snippet));
            status
        }
        Status::Skip => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &snippet.skip_reason {
                status.set_message(reason.as_str());
            }
            status
        }
    };
    let mut case = TestCase::new(name, status);
    case.set_classname(snippet.file.as_str());
    case.extra
        .insert("file".into(), snippet.file.as_str().into());
    case.extra
        .insert("line".into(), snippet.line.to_string().into());
    match (snippet.status, snippet.baseline) {
        (Status::Warn, _) => {
            case.set_system_out(details(snippet));
        }
        (Status::Pass, Some(Change::Fixed)) => {
            case.set_system_out(
                "fixed: the baseline records this example as failing, and it passes now (--bless records it)\n",
            );
        }
        _ => {}
    }
    case
}

/// The cause of a failure followed by its first error, in one line, which is
/// what CI test tabs show before the details are opened.
fn failure_message(snippet: &SnippetReport) -> String {
    let cause = describe_cause(snippet);
    let first = snippet
        .diagnostics
        .iter()
        .find(|diagnostic| diagnostic.level == "error")
        .or_else(|| snippet.diagnostics.first());
    match first {
        Some(diagnostic) => format!("{cause}: {}", headline(diagnostic)),
        None => cause.to_owned(),
    }
}

/// `level[code]: message`, as rustc's short form starts.
fn headline(diagnostic: &Diagnostic) -> String {
    match &diagnostic.code {
        Some(code) => format!("{}[{code}]: {}", diagnostic.level, diagnostic.message),
        None => format!("{}: {}", diagnostic.level, diagnostic.message),
    }
}

/// Every diagnostic of the row in rustc's short form
/// (`file:line:col: level[code]: message`), each followed by its label and notes
/// as `= note:` lines, then the block's problems.
fn details(snippet: &SnippetReport) -> String {
    let mut lines = Vec::new();
    if snippet.diagnostics.is_empty() {
        let level = if snippet.status == Status::Fail {
            "error"
        } else {
            "warning"
        };
        lines.push(format!(
            "{}:{}: {level}: {}",
            snippet.file,
            snippet.line,
            describe_cause(snippet)
        ));
    }
    for diagnostic in &snippet.diagnostics {
        lines.push(format!(
            "{}:{}:{}: {}",
            diagnostic.file,
            diagnostic.line,
            diagnostic.column,
            headline(diagnostic)
        ));
        if let Some(label) = &diagnostic.label {
            lines.push(format!("  = note: {label}"));
        }
        for note in &diagnostic.notes {
            // Notes of the model already start with their level (`help: …`).
            lines.push(format!("  = {note}"));
        }
        if diagnostic.in_wrapper {
            lines.push(format!("  = note: {}", super::sarif::WRAPPER_NOTE));
        }
    }
    for problem in &snippet.problems {
        lines.push(format!(
            "{}:{}: warning: {problem}",
            snippet.file, snippet.line
        ));
    }
    if let Some(suggestion) = &snippet.suggestion {
        lines.push(format!("suggestion: {suggestion}"));
    }
    // What the fence asked for explains a failure only when it is not the
    // default, so only then is it added.
    if let Some(expect) = snippet.expect.as_deref().filter(|expect| *expect != "pass") {
        lines.push(format!("note: the fence expects: {expect}"));
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use quick_xml::Reader;
    use quick_xml::events::{BytesStart, Event};

    use super::*;
    use crate::report::markdown::sample;

    /// One element of a parsed document: its name, attributes, children and text.
    #[derive(Debug, Default)]
    struct Element {
        name: String,
        attributes: BTreeMap<String, String>,
        children: Vec<Element>,
        text: String,
    }

    impl Element {
        fn attribute(&self, name: &str) -> Option<&str> {
            self.attributes.get(name).map(String::as_str)
        }

        fn children_named<'e>(&'e self, name: &'e str) -> impl Iterator<Item = &'e Element> {
            self.children.iter().filter(move |child| child.name == name)
        }

        fn descendants_named(&self, name: &str) -> usize {
            self.children
                .iter()
                .map(|child| usize::from(child.name == name) + child.descendants_named(name))
                .sum()
        }
    }

    fn open(start: &BytesStart<'_>) -> Element {
        let mut element = Element {
            name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
            ..Element::default()
        };
        for attribute in start.attributes() {
            let attribute = attribute.expect("attributes are well-formed");
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .expect("attribute values unescape");
            element.attributes.insert(
                String::from_utf8_lossy(attribute.key.as_ref()).into_owned(),
                value.into_owned(),
            );
        }
        element
    }

    /// Parses `xml` with quick-xml, failing on anything that is not
    /// well-formed: a syntax error, a mismatched or unclosed tag, two roots.
    fn parse(xml: &str) -> Element {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let mut stack: Vec<Element> = vec![Element::default()];
        loop {
            match reader.read_event().expect("the XML is well-formed") {
                Event::Start(start) => stack.push(open(&start)),
                Event::Empty(start) => {
                    let element = open(&start);
                    stack
                        .last_mut()
                        .expect("the document node is on the stack")
                        .children
                        .push(element);
                }
                Event::End(_) => {
                    let element = stack.pop().expect("an end tag closes an open element");
                    stack
                        .last_mut()
                        .expect("the document node is on the stack")
                        .children
                        .push(element);
                }
                Event::Text(text) => {
                    let text = text.decode().expect("text decodes");
                    let text = quick_xml::escape::unescape(&text).expect("text unescapes");
                    if let Some(element) = stack.last_mut() {
                        element.text.push_str(&text);
                    }
                }
                Event::GeneralRef(reference) => {
                    let text = match reference
                        .resolve_char_ref()
                        .expect("character references are valid")
                    {
                        Some(character) => character.to_string(),
                        None => {
                            let name = reference.decode().expect("the reference decodes");
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .expect("only predefined entities are used")
                                .to_owned()
                        }
                    };
                    if let Some(element) = stack.last_mut() {
                        element.text.push_str(&text);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut document = stack.pop().expect("the document node is on the stack");
        assert!(stack.is_empty(), "unclosed elements");
        assert_eq!(document.children.len(), 1, "one root element");
        document.children.remove(0)
    }

    /// The elements and attributes the Jenkins JUnit schema (junit-10.xsd,
    /// the flavour quick-junit writes and CI tools read) allows for the parts
    /// of it this view uses. A minimal schema check: no XSD ships in a crate.
    fn allowed(element: &str) -> (&'static [&'static str], &'static [&'static str]) {
        match element {
            "testsuites" => (
                &[
                    "name",
                    "time",
                    "tests",
                    "failures",
                    "errors",
                    "skipped",
                    "disabled",
                    "timestamp",
                    "uuid",
                ],
                &["testsuite"],
            ),
            "testsuite" => (
                &[
                    "name",
                    "tests",
                    "failures",
                    "errors",
                    "group",
                    "time",
                    "disabled",
                    "skipped",
                    "timestamp",
                    "hostname",
                    "id",
                    "package",
                    "file",
                    "log",
                    "url",
                    "version",
                ],
                &["properties", "testcase", "system-out", "system-err"],
            ),
            "testcase" => (
                &[
                    "name",
                    "assertions",
                    "time",
                    "classname",
                    "status",
                    "group",
                    "file",
                    "line",
                    "timestamp",
                ],
                &["skipped", "error", "failure", "system-out", "system-err"],
            ),
            "failure" | "error" | "skipped" => (&["message", "type"], &[]),
            "system-out" | "system-err" => (&[], &[]),
            _ => (&[], &[]),
        }
    }

    fn check_schema(element: &Element) {
        let (attributes, children) = allowed(&element.name);
        for name in element.attributes.keys() {
            assert!(
                attributes.contains(&name.as_str()),
                "`{name}` is not an attribute of <{}>",
                element.name
            );
        }
        for child in &element.children {
            assert!(
                children.contains(&child.name.as_str()),
                "<{}> may not hold <{}>",
                element.name,
                child.name
            );
            check_schema(child);
        }
        let required: &[&str] = match element.name.as_str() {
            "testsuite" => &["name", "tests"],
            "testcase" => &["name", "classname"],
            _ => &[],
        };
        for name in required {
            assert!(
                element.attribute(name).is_some(),
                "<{}> lacks `{name}`",
                element.name
            );
        }
    }

    #[test]
    fn junit_snapshot() {
        insta::assert_snapshot!(render_junit(&sample::report()));
    }

    #[test]
    fn junit_is_well_formed_and_fits_the_schema() {
        let root = parse(&render_junit(&sample::report()));
        assert_eq!(root.name, "testsuites");
        check_schema(&root);

        // Rust examples only: the toml block is left out, the `ignore` one kept.
        assert_eq!(root.descendants_named("testsuite"), 2);
        assert_eq!(root.descendants_named("testcase"), 8);
        assert_eq!(root.descendants_named("failure"), 4);
        assert_eq!(root.descendants_named("skipped"), 2);
        assert_eq!(root.descendants_named("error"), 0);
        assert_eq!(root.attribute("tests"), Some("8"));
        assert_eq!(root.attribute("failures"), Some("4"));
        assert_eq!(root.attribute("skipped"), Some("2"));

        let suites: Vec<&Element> = root.children_named("testsuite").collect();
        assert_eq!(suites[0].attribute("name"), Some("docs/guide.md"));
        assert_eq!(suites[1].attribute("name"), Some("README.md"));
        for suite in suites {
            let cases = suite.children_named("testcase").count().to_string();
            assert_eq!(suite.attribute("tests"), Some(cases.as_str()));
        }
    }

    #[test]
    fn failures_carry_the_cause_and_the_diagnostics() {
        let root = parse(&render_junit(&sample::report()));
        let guide = root
            .children_named("testsuite")
            .next()
            .expect("the guide's suite");
        let case = guide
            .children_named("testcase")
            .find(|case| case.attribute("name") == Some("Guide > Errors | pitfalls #1 [stable]"))
            .expect("the failing example");
        assert_eq!(case.attribute("classname"), Some("docs/guide.md"));
        assert_eq!(case.attribute("file"), Some("docs/guide.md"));
        assert_eq!(case.attribute("line"), Some("11"));
        let failure = case.children_named("failure").next().expect("a failure");
        assert_eq!(
            failure.attribute("message"),
            Some(
                "the compiler rejects the example (not diagnosed further): error[E0425]: cannot find value `counte` in this scope"
            )
        );
        assert_eq!(failure.attribute("type"), Some("compile"));
        assert!(
            failure.text.starts_with(
                "docs/guide.md:14:16: error[E0425]: cannot find value `counte` in this scope\n"
            ),
            "{}",
            failure.text
        );
    }

    #[test]
    fn warnings_pass_with_their_diagnostics_on_stdout() {
        let root = parse(&render_junit(&sample::report()));
        let case = root
            .children
            .iter()
            .flat_map(|suite| suite.children_named("testcase"))
            .find(|case| case.attribute("name") == Some("Demo #1 [stable]"))
            .expect("the warning example");
        assert!(case.children_named("failure").next().is_none());
        let out = case
            .children_named("system-out")
            .next()
            .expect("system-out");
        assert!(
            out.text.contains("warning[clippy::manual_range_contains]"),
            "{}",
            out.text
        );
    }

    #[test]
    fn quick_junit_reads_the_output_back() {
        let xml = render_junit(&sample::report());
        let back = quick_junit::Report::deserialize_from_str(&xml).expect("quick-junit parses it");
        assert_eq!(back.tests, 8);
        assert_eq!(back.failures, 4);
        assert_eq!(back.test_suites.len(), 2);
    }

    #[test]
    fn markup_and_control_characters_in_messages_stay_well_formed() {
        let mut report = sample::report();
        if let Some(diagnostic) = report.snippets[1].diagnostics.first_mut() {
            diagnostic.message = "<b>&\"'</b> ]]> \u{1b}[31m red \u{0}".to_owned();
        }
        let root = parse(&render_junit(&report));
        check_schema(&root);
    }

    /// Every test case of the document, by name.
    fn cases(root: &Element) -> BTreeMap<String, &Element> {
        root.children
            .iter()
            .flat_map(|suite| suite.children_named("testcase"))
            .map(|case| (case.attribute("name").unwrap_or_default().to_owned(), case))
            .collect()
    }

    #[test]
    fn names_are_heading_position_and_toolchain() {
        let root = parse(&render_junit(&sample::report()));
        let names: Vec<&str> = root
            .children
            .iter()
            .flat_map(|suite| suite.children_named("testcase"))
            .filter_map(|case| case.attribute("name"))
            .collect();
        assert_eq!(
            names,
            [
                "Guide #1 [stable]",
                "Guide > Errors | pitfalls #1 [stable]",
                "(top) #1",
                "(top) #2 [stable]",
                "Demo #1 [stable]",
                "Demo #2",
                "Demo #3 [stable]",
                "Demo #3",
            ]
        );
    }

    #[test]
    fn names_do_not_change_when_lines_shift() {
        let before = sample::report();
        let mut after = sample::report();
        for row in &mut after.snippets {
            row.line += 7;
        }
        let names = |report: &Report| -> Vec<String> {
            cases(&parse(&render_junit(report))).into_keys().collect()
        };
        assert_eq!(names(&before), names(&after));
        let moved = render_junit(&after);
        let root = parse(&moved);
        let case = cases(&root)["Guide > Errors | pitfalls #1 [stable]"];
        assert_eq!(case.attribute("line"), Some("18"));
    }

    #[test]
    fn a_repeated_name_is_numbered() {
        let mut report = sample::report();
        // A second row of the unbuilt README block: two toolchains not installed.
        let twin = report.snippets[8].clone();
        report.snippets.push(twin);
        let root = parse(&render_junit(&report));
        let names = cases(&root);
        assert!(names.contains_key("Demo #3"), "{names:?}");
        assert!(names.contains_key("Demo #3 (2)"), "{names:?}");
    }

    #[test]
    fn against_a_baseline_known_failures_are_skipped_and_regressions_fail() {
        let mut report = sample::report();
        for row in &mut report.snippets {
            row.baseline = match (row.file.as_str(), row.line) {
                ("docs/guide.md", 11) => Some(Change::StillFailing),
                ("docs/guide.md", 28) => Some(Change::Changed),
                ("README.md", 16) => Some(Change::Regressed),
                ("README.md", 12) => Some(Change::New),
                _ => Some(Change::Unchanged),
            };
        }
        report.snippets[1].suggestion = Some("rename `counte` to `counter`".to_owned());
        let xml = render_junit(&report);
        let root = parse(&xml);
        check_schema(&root);
        assert_eq!(root.attribute("failures"), Some("2"), "{xml}");
        assert_eq!(root.attribute("skipped"), Some("4"), "{xml}");
        let cases = cases(&root);

        let known = cases["Guide > Errors | pitfalls #1 [stable]"];
        assert!(known.children_named("failure").next().is_none());
        let skipped = known.children_named("skipped").next().expect("skipped");
        assert_eq!(
            skipped.attribute("message"),
            Some(
                "known failure: the compiler rejects the example (not diagnosed further): error[E0425]: cannot find value `counte` in this scope"
            )
        );
        assert!(
            skipped
                .text
                .contains("suggestion: rename `counte` to `counter`"),
            "{}",
            skipped.text
        );
        // An edited example that fails as it failed is known too.
        let edited = cases["(top) #2 [stable]"];
        assert!(edited.children_named("skipped").next().is_some());

        let regressed = cases["Demo #3 [stable]"];
        let failure = regressed.children_named("failure").next().expect("failure");
        assert!(
            failure
                .attribute("message")
                .is_some_and(|m| m.starts_with("regressed: ")),
            "{failure:?}"
        );
        // A failure the baseline does not know is a failure.
        let new = cases["Demo #2"];
        assert!(new.children_named("failure").next().is_some());
    }

    #[test]
    fn without_a_baseline_the_suggestion_is_in_the_failure_text() {
        let mut report = sample::report();
        report.snippets[1].suggestion = Some("rename `counte` to `counter`".to_owned());
        let root = parse(&render_junit(&report));
        let case = cases(&root)["Guide > Errors | pitfalls #1 [stable]"];
        let failure = case.children_named("failure").next().expect("failure");
        assert!(
            failure
                .text
                .contains("suggestion: rename `counte` to `counter`\n"),
            "{}",
            failure.text
        );
    }

    #[test]
    fn a_fixed_example_passes_and_says_so() {
        let mut report = sample::report();
        report.snippets[0].baseline = Some(Change::Fixed);
        let root = parse(&render_junit(&report));
        let case = cases(&root)["Guide #1 [stable]"];
        let out = case
            .children_named("system-out")
            .next()
            .expect("system-out");
        assert!(out.text.starts_with("fixed: "), "{}", out.text);
    }

    #[test]
    fn positions_count_the_blocks_under_each_heading() {
        let mut rows = sample::report().snippets;
        // A heading of the same name in another document starts its own count.
        rows[5].headings = vec!["Guide".to_owned()];
        let positions = crate::report::block_positions(&rows, |row| row.rust);
        assert_eq!(
            positions,
            [
                Some(1),
                Some(1),
                None,
                Some(1),
                Some(2),
                Some(1),
                Some(1),
                Some(2),
                Some(2)
            ]
        );
    }
}
