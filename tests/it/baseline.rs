//! The nightly job's contract: a committed baseline, and a run that fails only
//! when something new breaks; and every report format written where asked.

use std::fs;

use snipcheck::baseline::Change;
use snipcheck::report::Status;

use crate::support::{root, row, snipcheck, snipcheck_with_env};

/// A private copy of the fixture guide, which the test edits.
fn copy_guide(name: &str) -> (std::path::PathBuf, String) {
    let dir = root().join("sandbox").join(format!("it-input-{name}"));
    fs::create_dir_all(&dir).expect("create the input folder");
    let text =
        fs::read_to_string(root().join("tests/fixtures/baseline/guide.md")).expect("fixture");
    let path = dir.join("guide.md");
    fs::write(&path, &text).expect("write");
    (path, text)
}

#[test]
fn only_regressions_fail_against_a_baseline() {
    let (guide, text) = copy_guide("baseline");
    let guide_arg = guide.to_string_lossy().into_owned();
    let baseline = guide.with_file_name("baseline.toml");
    let baseline_arg = baseline.to_string_lossy().into_owned();
    let common = [
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--baseline",
        baseline_arg.as_str(),
    ];

    // Without a baseline file, --baseline is an error; --bless writes it.
    let _ = fs::remove_file(&baseline);
    let run = snipcheck("baseline", &common);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = snipcheck("baseline", &[&common[..], &["--bless"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written = fs::read_to_string(&baseline).expect("the baseline was written");
    assert!(written.contains("status = \"fail\""), "{written}");

    // A maintainer's note survives; the known failure alone does not fail the run.
    let noted = written.replacen(
        "status = \"fail\"",
        "status = \"fail\"\nnote = \"a sketch on purpose\"",
        1,
    );
    fs::write(&baseline, noted).expect("write");
    let run = snipcheck("baseline", &[&common[..], &["--format", "json"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.report();
    assert_eq!(
        row(&report, "guide.md", 7).baseline,
        Some(Change::Unchanged)
    );
    assert_eq!(
        row(&report, "guide.md", 15).baseline,
        Some(Change::StillFailing)
    );

    // Lines move and the passing example is edited so that it breaks: its
    // hash changed, its place and likeness did not. A regression, and the run fails.
    let broken = format!(
        "# Moved\n\nby two lines\n{}",
        text.replace("items.len()", "items.len() + \"\"")
    );
    fs::write(&guide, broken).expect("write");
    let run = snipcheck("baseline", &[&common[..], &["--format", "json"]].concat());
    assert_eq!(
        run.code, 1,
        "an example edited into failing is a regression\n{}",
        run.stderr
    );
    let report = run.report();
    let edited = row(&report, "guide.md", 10);
    assert_eq!(
        (edited.status, edited.baseline),
        (Status::Fail, Some(Change::Regressed))
    );
    assert_eq!(
        row(&report, "guide.md", 18).baseline,
        Some(Change::StillFailing)
    );
    let summary = report.baseline.expect("a baseline summary");
    assert!(summary.removed.is_empty(), "{summary:?}");
    let run = snipcheck("baseline", &[&common[..], &["--fail-on", "new"]].concat());
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = snipcheck("baseline", &[&common[..], &["--fail-on", "never"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Re-bless, then let the baseline say the sketch used to pass: a regression.
    fs::write(&guide, &text).expect("write");
    let run = snipcheck("baseline", &[&common[..], &["--bless"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kept = fs::read_to_string(&baseline).expect("read");
    assert!(
        kept.contains("a sketch on purpose"),
        "notes are kept: {kept}"
    );
    let unexpectedly = kept.replacen("status = \"fail\"", "status = \"pass\"", 1);
    fs::write(&baseline, unexpectedly).expect("write");
    let run = snipcheck("baseline", &common);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("regressed: "), "{}", run.stderr);
    assert!(
        run.stderr.contains("passed in the baseline and fails now"),
        "{}",
        run.stderr
    );

    // A document that loses all its examples fails the run.
    fs::write(&baseline, &kept).expect("write");
    fs::write(&guide, "# Nothing left\n").expect("write");
    let run = snipcheck("baseline", &common);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("had Rust examples in the baseline and has none now"),
        "{}",
        run.stderr
    );
}

/// The levels and baseline states of a SARIF log's results, in order.
fn sarif_states(path: &std::path::Path) -> Vec<(String, String)> {
    let log: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).expect("sarif written")).expect("JSON");
    log["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|result| {
            let text = |value: &serde_json::Value| value.as_str().unwrap_or("-").to_owned();
            (text(&result["level"]), text(&result["baselineState"]))
        })
        .collect()
}

/// With a baseline, the CI views mark as errors only what fails the run: a
/// known failure is a notice and `unchanged` in SARIF, a regression an error
/// and `new`.
#[test]
fn ci_views_tell_known_failures_from_regressions() {
    let (guide, text) = copy_guide("baseline-views");
    let guide_arg = guide.to_string_lossy().into_owned();
    let baseline = guide.with_file_name("baseline.toml");
    let baseline_arg = baseline.to_string_lossy().into_owned();
    let sarif = guide.with_file_name("r.sarif");
    let sarif_format = format!("sarif={}", sarif.to_string_lossy());
    let junit = guide.with_file_name("r.xml");
    let junit_format = format!("junit={}", junit.to_string_lossy());
    let markdown = guide.with_file_name("r.md");
    let markdown_format = format!("markdown={}", markdown.to_string_lossy());
    let common = [
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--baseline",
        baseline_arg.as_str(),
    ];
    let views = [
        &common[..],
        &[
            "--format",
            "github",
            "--format",
            sarif_format.as_str(),
            "--format",
            junit_format.as_str(),
            "--format",
            markdown_format.as_str(),
        ],
    ]
    .concat();
    let count = |path: &std::path::Path, needle: &str| {
        fs::read_to_string(path)
            .expect("the view was written")
            .matches(needle)
            .count()
    };
    let headline = || {
        fs::read_to_string(&markdown)
            .expect("the page was written")
            .lines()
            .nth(2)
            .unwrap_or_default()
            .to_owned()
    };
    let _ = fs::remove_file(&baseline);
    let run = snipcheck("baseline-views", &[&common[..], &["--bless"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);

    // The known failure alone: the run passes, and nothing says error.
    let run = snipcheck("baseline-views", &views);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !run.stdout.lines().any(|line| line.starts_with("::error")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .lines()
            .any(|line| line.starts_with("::notice ") && line.contains("(known failure)")),
        "{}",
        run.stdout
    );
    let state = |level: &str, state: &str| (level.to_owned(), state.to_owned());
    assert_eq!(sarif_states(&sarif), [state("note", "unchanged")]);
    assert_eq!(count(&junit, "<failure"), 0);
    assert_eq!(count(&junit, "<skipped message=\"known failure"), 1);
    assert!(headline().starts_with("✅"), "{}", headline());

    // The passing example edited into failing: a regression, the one error.
    let broken = format!(
        "# Moved\n\nby two lines\n{}",
        text.replace("items.len()", "items.len() + \"\"")
    );
    fs::write(&guide, broken).expect("write");
    let run = snipcheck("baseline-views", &views);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(errors[0].contains("(regressed)"), "{}", run.stdout);
    assert_eq!(
        sarif_states(&sarif),
        [state("error", "new"), state("note", "unchanged")]
    );
    // JUnit fails the regression alone; the page's headline says it.
    assert_eq!(count(&junit, "<failure"), 1);
    assert_eq!(count(&junit, "<skipped message=\"known failure"), 1);
    assert!(
        headline().starts_with("❌ **1 regression**"),
        "{}",
        headline()
    );
    // The report says it is the edited example, and the human view too.
    let run = snipcheck(
        "baseline-views",
        &[&common[..], &["--format", "json"]].concat(),
    );
    let report = run.report();
    let edited = report
        .snippets
        .iter()
        .find(|r| r.baseline == Some(Change::Regressed))
        .expect("a regressed row");
    assert!(edited.edited, "{edited:?}");
    let run = snipcheck("baseline-views", &common);
    assert!(
        run.stderr
            .contains("passed in the baseline, was edited since, and fails now"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_format_is_written_where_asked() {
    let (guide, _) = copy_guide("formats");
    let guide_arg = guide.to_string_lossy().into_owned();
    let out = guide.with_file_name("out");
    fs::create_dir_all(&out).expect("create");
    let file = |name: &str| out.join(name).to_string_lossy().into_owned();
    let (junit, sarif, markdown, json) =
        (file("r.xml"), file("r.sarif"), file("r.md"), file("r.json"));
    let formats = [
        format!("junit={junit}"),
        format!("sarif={sarif}"),
        format!("markdown={markdown}"),
        format!("json={json}"),
        "github".to_string(),
    ];
    let mut args = vec![
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
    ];
    for format in &formats {
        args.extend(["--format", format.as_str()]);
    }
    let run = snipcheck("formats", &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.starts_with("::error file="), "{}", run.stdout);
    let junit = fs::read_to_string(&junit).expect("junit written");
    assert!(
        junit.contains("<testsuites") && junit.contains("<failure"),
        "{junit}"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).expect("sarif written"))
            .expect("sarif is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let markdown = fs::read_to_string(&markdown).expect("markdown written");
    assert!(markdown.contains("```mermaid"), "{markdown}");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&json).expect("json written")).expect("json");
    assert_eq!(json["schema"], 1);
}

#[test]
fn known_failures_are_not_red_in_junit_nor_markdown() {
    let (guide, _) = copy_guide("known");
    let guide_arg = guide.to_string_lossy().into_owned();
    let baseline = guide.with_file_name("baseline.toml");
    let baseline_arg = baseline.to_string_lossy().into_owned();
    let junit = guide.with_file_name("r.xml");
    let markdown = guide.with_file_name("r.md");
    let common = [
        "--specs",
        guide_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--baseline",
        baseline_arg.as_str(),
    ];
    let _ = fs::remove_file(&baseline);
    let run = snipcheck("known", &[&common[..], &["--bless"]].concat());
    assert_eq!(run.code, 0, "{}", run.stderr);

    let formats = [
        format!("junit={}", junit.display()),
        format!("markdown={}", markdown.display()),
    ];
    let args = [
        &common[..],
        &[
            "--format",
            formats[0].as_str(),
            "--format",
            formats[1].as_str(),
        ],
    ]
    .concat();
    let workspace = root().to_string_lossy().into_owned();
    let env = [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_SERVER_URL", "https://github.example"),
        ("GITHUB_REPOSITORY", "owner/repo"),
        ("GITHUB_SHA", "0123abcd"),
        ("GITHUB_WORKSPACE", workspace.as_str()),
    ];
    let run = snipcheck_with_env("known", &args, &env);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let xml = fs::read_to_string(&junit).expect("junit written");
    assert!(!xml.contains("<failure"), "{xml}");
    assert!(xml.contains("<skipped message=\"known failure: "), "{xml}");
    assert!(
        !xml.contains("name=\"guide.md:"),
        "no line in a test name: {xml}"
    );

    let page = fs::read_to_string(&markdown).expect("markdown written");
    let headline = page.lines().nth(2).unwrap_or_default();
    assert!(
        headline.starts_with("✅ **no regressions** — of "),
        "{page}"
    );
    assert!(
        page.contains(
            "](https://github.example/owner/repo/blob/0123abcd/sandbox/it-input-known/guide.md#L"
        ),
        "{page}"
    );
}
