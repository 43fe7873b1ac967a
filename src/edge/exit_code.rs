//! The exit code of a run: a pure function of its report and `--fail-on`.
//!
//! What a run problem does to the exit code follows from its
//! [`ProblemKind`], never from its text. The codes are the named constants of
//! [`crate::error::exit`].

use crate::error::exit;
use crate::report::{FailOn, ProblemKind, Report};

/// The exit code of a finished run, most serious first: interrupted (130);
/// an input problem (2); what `fail_on` names happened (1, and a baseline
/// that lost a document's examples counts as a regression); else 0.
pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    if report.incomplete {
        return exit::INTERRUPTED;
    }
    if let Some(code) = report
        .problems
        .iter()
        .filter_map(|p| problem_code(p.kind))
        .max()
    {
        return code;
    }
    if failed(report, fail_on) {
        exit::FAILED
    } else {
        exit::OK
    }
}

/// `--fail-on` when it is not given: regressions with a baseline, any failure without one.
pub fn default_fail_on(has_baseline: bool) -> FailOn {
    FailOn::default_for(has_baseline)
}

/// The exit code a kind of problem forces, if any. Problems of the
/// environment and the time limit leave it to the rows: the run went on, and
/// the rows they cost say so.
fn problem_code(kind: ProblemKind) -> Option<i32> {
    match kind {
        ProblemKind::Input => Some(exit::USAGE),
        ProblemKind::Environment | ProblemKind::Limit => None,
    }
}

/// Whether what `fail_on` names happened: a row it counts, or (with a
/// baseline) a document that lost its examples.
fn failed(report: &Report, fail_on: FailOn) -> bool {
    report.snippets.iter().any(|s| s.fails_run(fail_on))
        || report.lost_documents_failing(fail_on) > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{BaselineSummary, Change, RunProblem, SnippetReport, Status};

    /// A report with one row per `(status, change)`, and these problems.
    fn report(rows: &[(Status, Option<Change>)], problems: Vec<RunProblem>) -> Report {
        Report {
            snippets: rows
                .iter()
                .map(|&(status, baseline)| SnippetReport {
                    status,
                    baseline,
                    ..SnippetReport::default()
                })
                .collect(),
            problems,
            ..Report::default()
        }
    }

    fn check(report: &Report, fail_on: FailOn, expected: i32) {
        assert_eq!(
            exit_code(report, fail_on),
            expected,
            "{fail_on:?} for {report:?}"
        );
    }

    fn input() -> RunProblem {
        RunProblem::input(Some("docs/missing.md".into()), "no such file or folder")
    }

    fn environment(subject: &str) -> RunProblem {
        RunProblem::environment(Some(subject.into()), "it is missing")
    }

    #[test]
    fn rows_and_fail_on() {
        let pass = (Status::Pass, None);
        let fail = (Status::Fail, None);
        let regressed = (Status::Fail, Some(Change::Regressed));
        let new_failure = (Status::Fail, Some(Change::New));
        let still = (Status::Fail, Some(Change::StillFailing));
        let edited_still = (Status::Fail, Some(Change::Changed));
        let cases = [
            (vec![pass], FailOn::Any, exit::OK),
            (vec![pass, fail], FailOn::Any, exit::FAILED),
            (vec![pass, fail], FailOn::Never, exit::OK),
            (vec![still], FailOn::Regressed, exit::OK),
            (vec![still], FailOn::New, exit::OK),
            (vec![still], FailOn::Any, exit::FAILED),
            (vec![edited_still], FailOn::Regressed, exit::OK),
            (vec![edited_still], FailOn::New, exit::OK),
            (vec![edited_still], FailOn::Any, exit::FAILED),
            (vec![new_failure], FailOn::Regressed, exit::OK),
            (vec![new_failure], FailOn::New, exit::FAILED),
            (vec![regressed], FailOn::Regressed, exit::FAILED),
            (vec![regressed], FailOn::New, exit::FAILED),
            (vec![regressed], FailOn::Never, exit::OK),
        ];
        for (rows, fail_on, expected) in cases {
            check(&report(&rows, Vec::new()), fail_on, expected);
        }
    }

    #[test]
    fn lost_coverage_is_a_regression() {
        let mut lost = report(&[(Status::Pass, None)], Vec::new());
        lost.baseline = Some(BaselineSummary {
            coverage_lost: vec!["specs/gone.md".into()],
            ..BaselineSummary::default()
        });
        check(&lost, FailOn::Regressed, exit::FAILED);
        check(&lost, FailOn::New, exit::FAILED);
        check(&lost, FailOn::Never, exit::OK);
    }

    #[test]
    fn problems_by_kind() {
        let fail = (Status::Fail, None);
        let pass = (Status::Pass, None);
        let limit = RunProblem::limit(Some("stable".into()), "ran past the time limit");
        let cases = [
            // An input problem is a usage error whatever the rows say.
            (vec![pass], vec![input()], FailOn::Any, exit::USAGE),
            (vec![fail], vec![input()], FailOn::Never, exit::USAGE),
            (
                vec![pass],
                vec![environment("stable"), input()],
                FailOn::Any,
                exit::USAGE,
            ),
            // The environment and the time limit leave the code to the rows.
            (
                vec![pass],
                vec![environment("stable")],
                FailOn::Any,
                exit::OK,
            ),
            (
                vec![fail],
                vec![environment("stable")],
                FailOn::Any,
                exit::FAILED,
            ),
            (
                vec![pass],
                vec![environment("nightly")],
                FailOn::Any,
                exit::OK,
            ),
            (vec![fail], vec![limit.clone()], FailOn::Any, exit::FAILED),
            (vec![pass], vec![limit], FailOn::Any, exit::OK),
            // Changed: these subjects are no toolchain of the report, and were
            // read as input problems (exit 2) although the input was fine.
            (
                vec![pass],
                vec![environment("rustfmt")],
                FailOn::Any,
                exit::OK,
            ),
            (
                vec![pass],
                vec![environment("snipcheck.lock")],
                FailOn::Any,
                exit::OK,
            ),
            (
                vec![fail],
                vec![environment("rustfmt")],
                FailOn::Any,
                exit::FAILED,
            ),
        ];
        for (rows, problems, fail_on, expected) in cases {
            check(&report(&rows, problems), fail_on, expected);
        }
    }

    #[test]
    fn an_interrupted_run_says_so_first() {
        let mut interrupted = report(&[(Status::Fail, None)], vec![input()]);
        interrupted.incomplete = true;
        check(&interrupted, FailOn::Any, exit::INTERRUPTED);
        check(&interrupted, FailOn::Never, exit::INTERRUPTED);
    }

    #[test]
    fn the_default_fail_on_follows_the_baseline() {
        assert_eq!(default_fail_on(true), FailOn::Regressed);
        assert_eq!(default_fail_on(false), FailOn::Any);
    }
}
