//! The report's rows: one per block and toolchain, from what the build, the
//! cache and the diagnosis said; and the per-document summaries.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::{self, Expect, Shape, Snippet};
use crate::cache::{Key, Outcome as CachedOutcome};
use crate::cause;
use crate::cause::Blocker;
use crate::deps::DepSet;
use crate::diagnose;
use crate::executor::{Blocked, BuildOutcome};
use crate::experiments::Diagnosis;
use crate::extract::BlockProblem;
use crate::pins;
use crate::policy::Refusal;
use crate::prepare::{Code, DocFacts, Entry, Unit};
use crate::primary::ToolchainBuild;
use crate::registry::{Lookup, Registry};
use crate::report::{Cause, Dependency, Diagnostic, SnippetReport, Status, UNLABELLED};

/// What the cache keeps of a row.
pub fn outcome_of(row: &SnippetReport) -> CachedOutcome {
    CachedOutcome {
        fence_line: row.line,
        status: row.status,
        cause: row.cause,
        other_causes: row.other_causes.clone(),
        evidence: row.evidence.clone(),
        suggestion: row.suggestion.clone(),
        dependencies: row.dependencies.clone(),
        diagnostics: row.diagnostics.clone(),
        skip_reason: row.skip_reason.clone(),
    }
}

/// A row rebuilt from the cache, marked so.
pub fn overlay(row: &mut SnippetReport, outcome: CachedOutcome) {
    row.status = outcome.status;
    row.cause = outcome.cause;
    row.other_causes = outcome.other_causes;
    row.evidence = outcome.evidence;
    row.suggestion = outcome.suggestion;
    // What the build resolved comes from the cache; what the registry and the
    // document say now (latest release, pins) from this run.
    let fresh = std::mem::replace(&mut row.dependencies, outcome.dependencies);
    for dependency in &mut row.dependencies {
        if let Some(now) = fresh.iter().find(|d| d.package == dependency.package) {
            dependency.latest.clone_from(&now.latest);
            dependency.pinned.clone_from(&now.pinned);
        }
    }
    row.diagnostics = outcome.diagnostics;
    row.skip_reason = outcome.skip_reason;
    row.cached = true;
}

fn apply_diagnosis(row: &mut SnippetReport, diagnosis: &Diagnosis) {
    row.cause = Some(diagnosis.cause);
    row.other_causes = diagnosis.other_causes.clone();
    row.evidence = diagnosis.evidence.clone();
    row.suggestion = Some(diagnosis.suggestion.clone());
    for dependency in &mut row.dependencies {
        if let Some((last, first)) = diagnosis.drift.get(&dependency.package) {
            dependency.last_passing = Some(last.clone());
            dependency.first_failing = first.clone();
        }
    }
}

/// Every row of the report, and the results to cache: blocks that are not
/// built (other languages, `ignore`, syntax errors, unknown crates) say the
/// same on every toolchain, so they get one row, with the first toolchain;
/// every built block gets one row per toolchain, from the cache or from this
/// run's build and diagnosis. A snippet the policy refuses is one of the
/// blocks that are not built.
#[expect(
    clippy::too_many_arguments,
    reason = "the run's stages, each handed in as data"
)]
pub fn rows<'b>(
    entries: &[Entry],
    deps: &BTreeMap<String, DepSet>,
    refusals: &BTreeMap<String, Refusal>,
    units: &[Unit<'_>],
    builds: &'b [ToolchainBuild],
    diagnoses: &BTreeMap<String, Diagnosis>,
    docs: &BTreeMap<String, DocFacts>,
    registry: &Registry,
) -> (Vec<SnippetReport>, Vec<(&'b Key, CachedOutcome)>) {
    let mut rows = Vec::new();
    let mut to_cache = Vec::new();
    let built_ids: BTreeSet<&str> = units.iter().map(|u| u.entry.id.as_str()).collect();
    for (n, build) in builds.iter().enumerate() {
        for entry in entries
            .iter()
            .filter(|e| n == 0 || built_ids.contains(e.id.as_str()))
        {
            let mut row = row(
                entry,
                deps.get(&entry.id),
                refusals.get(&entry.id),
                Some(&build.toolchain),
                Some(&build.built),
                registry,
            );
            row.rustc = Some(build.rustc.clone());
            if let Some(facts) = docs.get(&entry.file) {
                for dependency in &mut row.dependencies {
                    dependency.pinned = facts.pins.get(&dependency.name).cloned();
                }
            }
            if let Some(outcome) = build.cached.get(&entry.id) {
                overlay(
                    &mut row,
                    outcome
                        .clone()
                        .moved_to(&entry.file, entry.block.fence_line),
                );
            } else {
                if row.status == Status::Fail
                    && row.cause == Some(Cause::Compile)
                    && let Some(diagnosis) = diagnoses.get(&entry.id)
                {
                    apply_diagnosis(&mut row, diagnosis);
                }
                // A failure whose diagnosis the run may not have finished
                // (it was interrupted or ran out of time) is not a result
                // to keep: the next run diagnoses it again.
                let undiagnosed =
                    n == 0 && row.status == Status::Fail && crate::interrupt::interrupted();
                let built = !build.built.interrupted
                    && !undiagnosed
                    && build.built.units.get(&entry.package()).is_some_and(|u| {
                        // A dependency that fails to build fails the same
                        // way next time (the key holds every input and the
                        // confinement): not rebuilt on every run, nor one
                        // that needs a tool the host lacks (after installing
                        // it, `--no-cache` checks again).
                        let blocked = build.built.blocked.contains_key(&entry.package());
                        let settled = (row.cause == Some(Cause::DependencyBuild) || blocked)
                            && !build.built.timed_out;
                        u.built || !u.diagnostics.is_empty() || settled
                    });
                if let (Some(key), true) = (build.keys.get(&entry.id), built) {
                    to_cache.push((key, outcome_of(&row)));
                }
            }
            rows.push(row);
        }
    }
    if builds.is_empty() {
        rows.extend(entries.iter().map(|e| {
            row(
                e,
                deps.get(&e.id),
                refusals.get(&e.id),
                None,
                None,
                registry,
            )
        }));
    }
    (rows, to_cache)
}

/// The report row of one block on one toolchain (`None`: no toolchain is
/// installed, or the block is not built and has one row for all).
pub fn row(
    entry: &Entry,
    deps: Option<&DepSet>,
    refusal: Option<&Refusal>,
    toolchain: Option<&str>,
    results: Option<&BuildOutcome>,
    registry: &Registry,
) -> SnippetReport {
    let mut out = block_row(entry);
    if out.skip_reason.is_some() {
        return out;
    }
    let snippet = match &entry.code {
        Code::NotAnalysed => return out,
        Code::Unwrapped(snippet) => snippet,
        Code::Wrapped(wrapped) => &wrapped.0,
    };
    if !snippet_facts(entry, snippet, &mut out) {
        return out;
    }
    if let Some(refusal) = refusal {
        // A skip reason is not shown by every view; the problem is.
        out.cause = Some(Cause::DependencyRefused);
        out.skip_reason = Some(format!("not built: {}", refusal.message));
        out.problems.push(format!(
            "not built, by the dependency policy: {}",
            refusal.message
        ));
        out.suggestion = Some(refusal.hint.clone());
        return out;
    }
    let Some(deps) = deps else {
        out.status = Status::Fail;
        out.cause = Some(Cause::Syntax);
        return out;
    };
    let package = entry.package();
    let versions = results.and_then(|r| r.versions.get(&package));
    out.dependencies = deps
        .deps
        .iter()
        .map(|d| Dependency {
            name: d.name.clone(),
            package: d.package.clone(),
            requirement: d.requirement.clone(),
            version: versions
                .and_then(|v| v.get(&d.package))
                .cloned()
                .or_else(|| d.path.as_ref().map(|_| d.requirement.clone())),
            features: d.features.iter().cloned().collect(),
            dev: d.dev,
            pinned: None,
            // The registry is never asked about a local crate.
            latest: d
                .path
                .is_none()
                .then(|| registry.version(&d.package))
                .flatten(),
            last_passing: None,
            first_failing: None,
            source: d.path.as_ref().map(|_| "path".to_owned()),
        })
        .collect();
    for dep in &deps.deps {
        if let Some(Lookup::Found(info)) = registry.lookups.get(&dep.package)
            && info.pre_release
            && dep.requirement == info.version
        {
            out.problems.push(format!(
                "built with the pre-release `{} {}`: the crate has no stable release that is \
                 not yanked, so the example builds only with a pre-release",
                dep.package, info.version
            ));
        }
    }
    for left in deps.left_out.iter().filter(|l| l.globs.is_empty()) {
        out.problems.push(format!(
            "`{name}` is not taken for a crate: it is the standard library's module `std::{name}` \
             (add `use std::{name};`; `use {name}::...;` makes it a dependency)",
            name = left.name,
        ));
    }
    for left in deps.left_out.iter().filter(|l| !l.globs.is_empty()) {
        let globs: Vec<String> = left
            .globs
            .iter()
            .map(|g| format!("`use {g}::*;`"))
            .collect();
        out.problems.push(format!(
            "`{name}` is not taken for a crate: {globs} may provide it, and its crate's source \
             is not at hand to tell (`use {name}::...;` makes it a dependency)",
            name = left.name,
            globs = globs.join(" or "),
        ));
    }
    if !deps.unknown.is_empty() || !deps.unreachable.is_empty() {
        unknown_crates(entry, snippet, deps, registry, &mut out);
        return out;
    }
    let Some(toolchain) = toolchain else {
        out.skip_reason = Some("no installed toolchain to build with".to_string());
        return out;
    };
    out.toolchain = Some(toolchain.to_string());
    build_verdict(entry, snippet, results, &mut out);
    out
}

/// The row of a block as the document has it: place, fence, problems, and
/// why it is skipped when it is not Rust or marked `ignore`.
fn block_row(entry: &Entry) -> SnippetReport {
    let block = &entry.block;
    let mut out = SnippetReport {
        id: entry.id.clone(),
        file: entry.file.clone(),
        line: block.fence_line,
        headings: block.headings.clone(),
        info: block.info.clone(),
        lang: block.fence.lang.clone(),
        rust: block.fence.is_rust,
        status: Status::Skip,
        problems: block.problems.iter().map(describe_problem).collect(),
        sketch: Some(crate::identity::sketch(&block.text)),
        ..SnippetReport::default()
    };
    if block.fence.lang.as_deref() == Some("toml")
        && let Err(error) = pins::pins_from_toml_block(&block.text)
    {
        out.problems
            .push(format!("this toml block pins nothing: {error}"));
    }
    if block.fence.lang.is_none() && !block.fence.is_rust && analyze::looks_like_rust(&block.text) {
        out.problems.push(format!(
            "{UNLABELLED}: tag the fence ```rust to have it checked, or ```text if it is not Rust"
        ));
    }
    if !block.fence.is_rust {
        out.skip_reason = Some(match &block.fence.lang {
            Some(lang) => format!("not rust ({lang})"),
            None => "no language on the fence".to_string(),
        });
    } else if block.fence.attrs.ignore {
        out.skip_reason = Some("marked `ignore`".to_string());
    }
    out
}

/// What the snippet itself says (edition, expectation, shape, problems);
/// `false` when that already decides the row (too large, outside access,
/// unparsable, bare-metal firmware).
fn snippet_facts(entry: &Entry, snippet: &Snippet, out: &mut SnippetReport) -> bool {
    out.edition = Some(snippet.edition.as_str().to_string());
    out.expect = Some(match &snippet.expect {
        Expect::Pass => "pass".to_string(),
        Expect::CompileFail { codes } if codes.is_empty() => "compile_fail".to_string(),
        Expect::CompileFail { codes } => format!("compile_fail,{}", codes.join(",")),
    });
    out.shape = entry.wrapped().map(|w| w.kind.as_str().to_string());
    out.problems.extend(snippet.problems.iter().cloned());
    if let Shape::TooLarge { reason } = &snippet.shape {
        out.cause = Some(Cause::TooLarge);
        out.skip_reason = Some(format!("not checked: {reason}"));
        return false;
    }
    if entry.wrapped().is_none() && !snippet.outside_access.is_empty() {
        out.cause = Some(Cause::OutsideAccess);
        out.skip_reason = Some(format!(
            "not built: {} (allow with --allow-outside-access)",
            snippet.outside_access.join("; ")
        ));
        out.suggestion = Some(Cause::OutsideAccess.info().fix.to_string());
        return false;
    }
    if let Shape::Unparsable(error) = &snippet.shape {
        // Code that cannot even be parsed fails to compile, as a
        // `compile_fail` block without error codes says it must.
        if matches!(&snippet.expect, Expect::CompileFail { codes } if codes.is_empty()) {
            out.status = Status::Pass;
            return false;
        }
        out.status = Status::Fail;
        out.cause = Some(Cause::Syntax);
        out.diagnostics
            .push(syntax_diagnostic(entry, snippet, error));
        out.suggestion.clone_from(&error.hint);
        return false;
    }
    if snippet.needs_bare_metal_target() {
        out.status = Status::Skip;
        out.cause = Some(Cause::TargetSpecific);
        out.skip_reason = Some(
            "`#![no_std]` + `#![no_main]` firmware needs a bare-metal target; only the host target is built"
                .to_string(),
        );
        out.suggestion = Some(Cause::TargetSpecific.info().fix.to_string());
        return false;
    }
    true
}

/// A snippet naming crates the registry does not have or could not be asked about.
fn unknown_crates(
    entry: &Entry,
    snippet: &Snippet,
    deps: &DepSet,
    registry: &Registry,
    out: &mut SnippetReport,
) {
    out.status = Status::Fail;
    out.cause = Some(if deps.unknown.is_empty() {
        Cause::RegistryUnreachable
    } else {
        Cause::UnknownCrate
    });
    for name in &deps.unknown {
        out.diagnostics.push(crate_diagnostic(
            entry,
            snippet,
            name,
            format!("crate `{name}` is not published on crates.io"),
            "not found in the registry",
        ));
    }
    for name in &deps.unreachable {
        let reason = match registry.lookups.get(name) {
            Some(Lookup::Unreachable(reason)) => reason.clone(),
            _ => "the registry did not answer".to_string(),
        };
        out.diagnostics.push(crate_diagnostic(
            entry,
            snippet,
            name,
            format!("could not look up crate `{name}`: {reason}"),
            "the registry could not be asked",
        ));
    }
}

/// The verdict of a built snippet: what its build said, or why it was not built.
fn build_verdict(
    entry: &Entry,
    snippet: &Snippet,
    results: Option<&BuildOutcome>,
    out: &mut SnippetReport,
) {
    let package = entry.package();
    if let Some(reason) = results.and_then(|r| r.unresolvable.get(&package)) {
        out.status = Status::Fail;
        out.cause = Some(Cause::UnresolvableDependency);
        out.diagnostics.push(fence_diagnostic(
            entry,
            format!("cannot resolve the example's dependencies: {reason}"),
        ));
        out.suggestion = Some(Cause::UnresolvableDependency.info().fix.to_string());
        return;
    }
    let units = results.and_then(|r| r.units.get(&package));
    let failure = results.and_then(|r| r.failure.as_deref());
    let stopped = results.and_then(|r| r.stopped.get(&package));
    let blocked = results.and_then(|r| r.blocked.get(&package));
    match (units, failure) {
        (Some(result), _)
            if results.is_some_and(|r| r.interrupted)
                && !result.built
                && result.diagnostics.is_empty() =>
        {
            out.skip_reason = Some(if crate::interrupt::deadline_passed() {
                "not checked: the run's deadline (--deadline) passed".to_string()
            } else {
                "not checked: the run was interrupted".to_string()
            });
        }
        (Some(result), _) if !result.built && stopped.is_some() => {
            out.status = Status::Fail;
            out.cause = Some(Cause::ResourceLimit);
            out.diagnostics = result.diagnostics.clone();
            let reason = stopped.cloned().unwrap_or_default();
            out.diagnostics.push(fence_diagnostic(entry, reason));
            out.suggestion = Some(Cause::ResourceLimit.info().fix.to_string());
        }
        (Some(result), _)
            if results.is_some_and(|r| r.timed_out)
                && !result.built
                && !result.diagnostics.iter().any(|d| d.level == "error") =>
        {
            out.status = Status::Fail;
            out.cause = Some(Cause::Timeout);
            out.diagnostics = result.diagnostics.clone();
        }
        (Some(_), _) if blocked.is_some() => {
            if let Some(blocked) = blocked {
                blocked_verdict(entry, blocked, out);
            }
        }
        (Some(result), _) => {
            let (status, cause) = diagnose::verdict(&snippet.expect, result);
            out.status = status;
            out.cause = cause;
            out.diagnostics = result.diagnostics.clone();
            if cause == Some(Cause::BuildEnv) {
                let needs = cause::only_build_env(&result.diagnostics).unwrap_or_default();
                out.suggestion = Some(cause::build_env_suggestion(&needs));
            }
        }
        (None, Some(failure)) => {
            out.status = Status::Fail;
            // A resolution stopped at the time limit is the limit's doing.
            out.cause = Some(if results.is_some_and(|r| r.timed_out) {
                Cause::Timeout
            } else {
                Cause::DependencyBuild
            });
            out.diagnostics
                .push(fence_diagnostic(entry, failure.to_string()));
        }
        (None, None) => {
            out.skip_reason = Some("not built".to_string());
        }
    }
}

/// The verdict of a snippet a dependency kept from building: not checked
/// (`skip`) when the dependency needs something from the host
/// (`build-env`) or a target the host is not (`target-specific`), never the
/// example's fault; a failure (`dependency-build`) when the dependency failed
/// on its own, with what it said.
fn blocked_verdict(entry: &Entry, blocked: &Blocked, out: &mut SnippetReport) {
    let dependency = &blocked.dependency;
    out.cause = Some(blocked.why.cause());
    out.suggestion = Some(blocked.why.suggestion());
    match &blocked.why {
        Blocker::BuildEnv(need) => {
            out.status = Status::Skip;
            out.skip_reason = Some(format!(
                "not checked: the dependency `{dependency}` cannot be built on this host: it needs {need}"
            ));
        }
        Blocker::Target(target) => {
            out.status = Status::Skip;
            out.skip_reason = Some(format!(
                "not checked: the dependency `{dependency}` cannot be built for this host's target: it needs {target}"
            ));
        }
        Blocker::Failed(said) => {
            out.status = Status::Fail;
            out.diagnostics.push(fence_diagnostic(
                entry,
                format!("the dependency `{dependency}` failed to build:\n{said}"),
            ));
        }
    }
}

/// With stable and nightly rows for a block: is it broken everywhere (the doc
/// rots), only on nightly (a compiler regression or a new lint, worth reporting
/// upstream), or only on stable (it needs a feature)?
pub fn differential(rows: &mut [SnippetReport]) {
    let mut by_id: BTreeMap<String, (Option<Status>, Option<Status>)> = BTreeMap::new();
    for row in rows.iter() {
        let slot = by_id.entry(row.id.clone()).or_default();
        match row.toolchain.as_deref() {
            Some(t) if t.starts_with("nightly") => slot.1 = Some(row.status),
            Some(_) => slot.0 = slot.0.or(Some(row.status)),
            None => {}
        }
    }
    for row in rows.iter_mut() {
        let Some((Some(stable), Some(nightly))) = by_id.get(&row.id) else {
            continue;
        };
        let verdict = match (*stable == Status::Fail, *nightly == Status::Fail) {
            (true, true) => "broken-everywhere",
            (false, true) => "nightly-regression",
            (true, false) => "nightly-only",
            (false, false) => continue,
        };
        row.differential = Some(verdict.to_string());
    }
}

fn describe_problem(problem: &BlockProblem) -> String {
    match problem {
        BlockProblem::Unterminated => {
            "the fence is never closed: the block runs to the end of the document".to_string()
        }
    }
}

fn syntax_diagnostic(entry: &Entry, snippet: &Snippet, error: &analyze::SyntaxError) -> Diagnostic {
    let Some(line) = snippet.lines.get(error.line as usize) else {
        return fence_diagnostic(entry, error.message.clone());
    };
    let column = line.doc_column(error.column);
    Diagnostic {
        level: "error".into(),
        code: None,
        message: format!("syntax error: {}", error.message),
        file: entry.file.clone(),
        line: line.origin.line,
        column,
        end_line: line.origin.line,
        end_column: column + 1,
        label: Some(error.message.clone()),
        in_wrapper: false,
        notes: Vec::new(),
    }
}

/// A diagnostic about a crate name, placed at its first mention in the snippet.
fn crate_diagnostic(
    entry: &Entry,
    snippet: &Snippet,
    name: &str,
    message: String,
    label: &str,
) -> Diagnostic {
    let mention = snippet.code.split('\n').enumerate().find_map(|(i, text)| {
        let at = find_word(text, name)?;
        Some((i, text[..at].chars().count()))
    });
    match mention.and_then(|(i, chars)| Some((snippet.lines.get(i)?, chars))) {
        Some((line, chars)) => {
            let column = line.doc_column(crate::text::to_u32(chars + 1));
            Diagnostic {
                level: "error".into(),
                code: None,
                message,
                file: entry.file.clone(),
                line: line.origin.line,
                column,
                end_line: line.origin.line,
                end_column: column + crate::text::to_u32(name.chars().count()),
                label: Some(label.to_string()),
                in_wrapper: false,
                notes: Vec::new(),
            }
        }
        None => fence_diagnostic(entry, message),
    }
}

fn find_word(text: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let after = text[i + word.len()..]
            .chars()
            .next()
            .is_none_or(|c| !is_ident(c));
        before && after
    })
}

fn fence_diagnostic(entry: &Entry, message: String) -> Diagnostic {
    Diagnostic {
        level: "error".into(),
        code: None,
        message,
        file: entry.file.clone(),
        line: entry.block.fence_line,
        column: 1,
        end_line: entry.block.fence_line,
        end_column: 1,
        label: None,
        in_wrapper: false,
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::DepSpec;

    fn entry(code: &str) -> Entry {
        let doc = format!("```rust\n{code}\n```\n");
        let block = crate::extract::extract(&doc)
            .into_iter()
            .next()
            .expect("one block");
        let snippet = crate::analyze::analyze(&block);
        let wrapped = crate::wrap::wrap(&snippet).expect("the test snippet wraps");
        Entry {
            file: "doc.md".into(),
            block,
            id: "doc-0".into(),
            code: Code::Wrapped(Box::new((snippet, wrapped))),
        }
    }

    fn dep(name: &str, requirement: &str) -> DepSpec {
        DepSpec::registry(name, name, requirement)
    }

    #[test]
    fn a_row_says_when_it_was_built_with_a_pre_release_nobody_asked_for() {
        let registry = crate::registry::tests::recorded_registry(&["only-pre", "tauri"]);
        let entry = entry("fn f() { only_pre::x(); tauri::y(); }");
        let problems = |deps: Vec<DepSpec>| {
            let set = DepSet {
                deps,
                ..DepSet::default()
            };
            row(&entry, Some(&set), None, Some("stable"), None, &registry).problems
        };
        let with_pre = problems(vec![
            dep("only-pre", "1.0.0-alpha.1"),
            dep("tauri", "2.12.5"),
        ]);
        assert_eq!(with_pre.len(), 1, "{with_pre:?}");
        assert!(
            with_pre[0].contains("`only-pre 1.0.0-alpha.1`")
                && with_pre[0].contains("builds only with a pre-release"),
            "{with_pre:?}"
        );
        // A pre-release asked for (a pin) is no news; neither is a stable release.
        assert!(problems(vec![dep("tauri", "3.0.0-alpha.5")]).is_empty());
        assert!(problems(vec![dep("tauri", "2.12.5")]).is_empty());
    }
}
