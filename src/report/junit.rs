//! The JUnit XML view of a report: the test-results format every CI knows.
//!
//! Jenkins, GitLab, Azure Pipelines, CircleCI and the GitHub test-report
//! actions all read JUnit XML, and show its failures in their test tabs with
//! history and counts. Each document becomes a `<testsuite>` and each Rust
//! example, on each toolchain it was built with, a `<testcase>` named
//! `file:line`, so a failing example reads like a failing test. The XML is
//! written by `quick-junit`, the crate cargo-nextest uses for its JUnit output,
//! in the Jenkins flavour of the format that these tools agree on.
//!
//! Blocks that are not Rust are left out: they are counted in the report but
//! were never candidates for building, so listing them as skipped tests would
//! only bury the examples that were skipped on purpose (`ignore`).

use std::collections::BTreeMap;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::sarif::describe_cause;
use super::{Diagnostic, Report, SnippetReport, Status, escape};

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
    for snippet in report.snippets.iter().filter(|snippet| snippet.rust) {
        let next = suites.len();
        let (_, suite) = suites
            .entry(snippet.file.as_str())
            .or_insert_with(|| (next, TestSuite::new(snippet.file.as_str())));
        suite.add_test_case(test_case(snippet));
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

fn test_case(snippet: &SnippetReport) -> TestCase {
    let name = format!("{}:{}", snippet.file, snippet.line);
    let status = match snippet.status {
        Status::Pass | Status::Warn => TestCaseStatus::success(),
        Status::Fail => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(failure_message(snippet))
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
    case.set_classname(classname(snippet));
    if snippet.status == Status::Warn {
        case.set_system_out(details(snippet));
    }
    case
}

/// The file, and the toolchain when the example was built: the rows of one
/// block built with several toolchains share a name, so the class tells them
/// apart.
fn classname(snippet: &SnippetReport) -> String {
    match &snippet.toolchain {
        Some(toolchain) => format!("{} ({toolchain})", snippet.file),
        None => snippet.file.clone(),
    }
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
            .find(|case| case.attribute("name") == Some("docs/guide.md:11"))
            .expect("the failing example");
        assert_eq!(case.attribute("classname"), Some("docs/guide.md (stable)"));
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
            .find(|case| case.attribute("name") == Some("README.md:3"))
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
}
