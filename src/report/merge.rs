//! Shard reports (`--partition hash:K/N`) merged back into the report of the
//! whole run, so that every view, the baseline comparison and `--fail-on` work
//! on the merged report exactly as after an unsharded run.
//!
//! Reports are merged only when they can be the shards of one run: the same
//! schema, snipcheck version, toolchains (with their `rustc -V`), documents and
//! shard count, and every shard exactly once. Otherwise the merged report would
//! silently mix results the reader cannot tell apart. Pure: the CLI reads the
//! files.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{
    FileSummary, LockfileSummary, Report, SCHEMA_VERSION, SnippetReport, ToolchainInfo, Totals,
};
use crate::partition::Partition;

/// One shard's report, and the name (path) it was read from, for messages.
#[derive(Debug, Clone)]
pub struct ShardReport {
    pub name: String,
    pub report: Report,
    pub partition: Partition,
}

/// The whole run's report, and the baseline the shards were compared with.
#[derive(Debug, Clone)]
pub struct Merged {
    /// Without a baseline comparison: the caller compares the merged rows.
    pub report: Report,
    /// The baseline file the shards were compared with (all the same), if any.
    pub baseline: Option<String>,
    /// The shards, in order (`hash:1/3`...), for messages.
    pub shards: Vec<Partition>,
}

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("no shard reports to merge")]
    Empty,
    #[error("`{name}` is not a snipcheck JSON report")]
    Unreadable {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("`{name}` has report schema {found}; this snipcheck reads schema {SCHEMA_VERSION}")]
    Schema { name: String, found: u32 },
    #[error(
        "`{name}` is not a shard report: it was made without --partition, so it covers every block already"
    )]
    NotAShard { name: String },
    #[error("`{name}` says it is shard {shard} of {count}, which no --partition makes")]
    BadPartition {
        name: String,
        shard: u32,
        count: u32,
    },
    #[error(
        "`{name}` was made by snipcheck {found}, `{first}` by {expected}: shards must run the same snipcheck"
    )]
    Version {
        name: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error(
        "`{name}` was built with {found}, `{first}` with {expected}: shards must run the same toolchains at the same versions"
    )]
    Toolchains {
        name: String,
        found: String,
        first: String,
        expected: String,
    },
    #[error(
        "`{name}` checked other documents than `{first}` (only in `{name}`: {only_here}; only in `{first}`: {only_there}): shards must check the same documents"
    )]
    Documents {
        name: String,
        first: String,
        only_here: String,
        only_there: String,
    },
    #[error(
        "`{name}` is shard {found}, `{first}` is shard {expected}: they are not shards of one run"
    )]
    Count {
        name: String,
        found: Partition,
        first: String,
        expected: Partition,
    },
    #[error("shard {shard} is given twice: `{first}` and `{second}`")]
    Duplicate {
        shard: Partition,
        first: String,
        second: String,
    },
    #[error("missing {missing}: merge the reports of all {count} shards")]
    Missing { missing: String, count: u32 },
    #[error(
        "`{name}` was compared with the baseline `{found}`, `{first}` with `{expected}`: give the merge one with --baseline FILE"
    )]
    Baselines {
        name: String,
        found: String,
        first: String,
        expected: String,
    },
}

/// Reads one shard's JSON report. The schema is checked before the shape, so
/// a report of another schema says so instead of failing on a field.
pub fn parse(name: &str, text: &str) -> Result<ShardReport, MergeError> {
    #[derive(Deserialize)]
    struct SchemaOnly {
        schema: u32,
    }
    let unreadable = |source| MergeError::Unreadable {
        name: name.to_string(),
        source,
    };
    let SchemaOnly { schema } = serde_json::from_str(text).map_err(unreadable)?;
    if schema != SCHEMA_VERSION {
        return Err(MergeError::Schema {
            name: name.to_string(),
            found: schema,
        });
    }
    let report: Report = serde_json::from_str(text).map_err(unreadable)?;
    let Some(partition) = report.partition else {
        return Err(MergeError::NotAShard {
            name: name.to_string(),
        });
    };
    if !partition.is_valid() {
        return Err(MergeError::BadPartition {
            name: name.to_string(),
            shard: partition.shard,
            count: partition.count,
        });
    }
    Ok(ShardReport {
        name: name.to_string(),
        report,
        partition,
    })
}

fn describe_toolchains(toolchains: &[ToolchainInfo]) -> String {
    let described: Vec<String> = toolchains
        .iter()
        .map(|t| match &t.rustc {
            Some(rustc) => format!("{} ({rustc})", t.name),
            None => format!("{} (not installed)", t.name),
        })
        .collect();
    if described.is_empty() {
        "no toolchain".to_string()
    } else {
        described.join(", ")
    }
}

fn file_names(report: &Report) -> BTreeSet<&str> {
    report.files.iter().map(|f| f.file.as_str()).collect()
}

fn quoted_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = items.map(|i| format!("`{i}`")).collect();
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

/// Checks that the shards belong to one run, each once.
fn check(shards: &[ShardReport]) -> Result<(), MergeError> {
    let Some(first) = shards.first() else {
        return Err(MergeError::Empty);
    };
    for shard in shards {
        if shard.report.snipcheck_version != first.report.snipcheck_version {
            return Err(MergeError::Version {
                name: shard.name.clone(),
                found: shard.report.snipcheck_version.clone(),
                first: first.name.clone(),
                expected: first.report.snipcheck_version.clone(),
            });
        }
        if shard.report.toolchains != first.report.toolchains {
            return Err(MergeError::Toolchains {
                name: shard.name.clone(),
                found: describe_toolchains(&shard.report.toolchains),
                first: first.name.clone(),
                expected: describe_toolchains(&first.report.toolchains),
            });
        }
        let (here, there) = (file_names(&shard.report), file_names(&first.report));
        if here != there {
            return Err(MergeError::Documents {
                name: shard.name.clone(),
                first: first.name.clone(),
                only_here: quoted_list(here.difference(&there).copied()),
                only_there: quoted_list(there.difference(&here).copied()),
            });
        }
        if (shard.partition.scheme, shard.partition.count)
            != (first.partition.scheme, first.partition.count)
        {
            return Err(MergeError::Count {
                name: shard.name.clone(),
                found: shard.partition,
                first: first.name.clone(),
                expected: first.partition,
            });
        }
    }
    let mut seen: BTreeMap<u32, &str> = BTreeMap::new();
    for shard in shards {
        if let Some(earlier) = seen.insert(shard.partition.shard, &shard.name) {
            return Err(MergeError::Duplicate {
                shard: shard.partition,
                first: earlier.to_string(),
                second: shard.name.clone(),
            });
        }
    }
    let count = first.partition.count;
    let missing: Vec<String> = (1..=count)
        .filter(|k| !seen.contains_key(k))
        .map(|k| {
            Partition {
                shard: k,
                ..first.partition
            }
            .to_string()
        })
        .collect();
    if !missing.is_empty() {
        let label = if missing.len() == 1 {
            "shard"
        } else {
            "shards"
        };
        return Err(MergeError::Missing {
            missing: format!("{label} {}", missing.join(", ")),
            count,
        });
    }
    Ok(())
}

/// The baseline file every shard was compared with, if any.
fn shared_baseline(shards: &[ShardReport]) -> Result<Option<String>, MergeError> {
    let mut found: Option<(&str, &str)> = None;
    for shard in shards {
        let Some(baseline) = &shard.report.baseline else {
            continue;
        };
        match found {
            Some((first, path)) if path != baseline.path => {
                return Err(MergeError::Baselines {
                    name: shard.name.clone(),
                    found: baseline.path.clone(),
                    first: first.to_string(),
                    expected: path.to_string(),
                });
            }
            Some(_) => {}
            None => found = Some((&shard.name, &baseline.path)),
        }
    }
    Ok(found.map(|(_, path)| path.to_string()))
}

/// Merges the reports of every shard of one run into the whole run's report:
/// the rows in the order an unsharded run gives them, file summaries and
/// totals added up, run problems once each, cargo invocations summed,
/// `incomplete` if any shard was. The baseline comparison is dropped (each
/// shard compared only its own part); compare the merged report again.
pub fn merge(mut shards: Vec<ShardReport>) -> Result<Merged, MergeError> {
    check(&shards)?;
    let baseline = shared_baseline(&shards)?;
    shards.sort_by_key(|s| s.partition.shard);
    let Some(first) = shards.first() else {
        return Err(MergeError::Empty);
    };
    let template = &first.report;
    let order: Vec<&str> = template.files.iter().map(|f| f.file.as_str()).collect();
    let installed: Vec<&str> = template
        .toolchains
        .iter()
        .filter(|t| t.installed)
        .map(|t| t.name.as_str())
        .collect();

    let mut files: Vec<FileSummary> = template
        .files
        .iter()
        .map(|file| FileSummary {
            file: file.file.clone(),
            kind: file.kind.clone(),
            tool: file.tool.clone(),
            ..FileSummary::default()
        })
        .collect();
    let mut snippets: Vec<SnippetReport> = Vec::new();
    let mut problems = Vec::new();
    let mut cargo_invocations: BTreeMap<String, u32> = BTreeMap::new();
    let mut incomplete = false;
    for shard in &shards {
        let report = &shard.report;
        for summary in &report.files {
            if let Some(into) = files.iter_mut().find(|f| f.file == summary.file) {
                add_summary(into, summary);
            }
        }
        snippets.extend(report.snippets.iter().cloned().map(|mut row| {
            row.baseline = None;
            row
        }));
        for problem in &report.problems {
            if !problems.contains(problem) {
                problems.push(problem.clone());
            }
        }
        for (purpose, count) in &report.cargo_invocations {
            *cargo_invocations.entry(purpose.clone()).or_default() += count;
        }
        incomplete |= report.incomplete;
    }
    for summary in &mut files {
        summary.unlabelled_rust.sort_unstable();
    }
    // An unsharded run lists the rows toolchain by toolchain (the blocks that
    // are not built, with the first), each in document order.
    snippets.sort_by_key(|row| {
        let pass = row
            .toolchain
            .as_deref()
            .and_then(|t| installed.iter().position(|i| *i == t))
            .unwrap_or(0);
        let file = order
            .iter()
            .position(|f| *f == row.file)
            .unwrap_or(order.len());
        (pass, file, row.line)
    });
    let totals = Totals::count(&files, &snippets);
    let report = Report {
        schema: SCHEMA_VERSION,
        snipcheck_version: template.snipcheck_version.clone(),
        toolchains: template.toolchains.clone(),
        files,
        snippets,
        totals,
        problems,
        cargo_invocations,
        baseline: None,
        incomplete,
        lockfile: merge_lockfiles(shards.iter().map(|s| s.report.lockfile.as_ref())),
        partition: None,
        confinement: template.confinement.clone(),
        // The merged run's own `--fail-on` is recorded by the edge.
        fail_on: None,
    };
    Ok(Merged {
        report,
        baseline,
        shards: shards.iter().map(|s| s.partition).collect(),
    })
}

/// Each shard resolved its own snippets' dependencies: together they moved
/// (or missed in the lockfile) whatever any of them did.
fn merge_lockfiles<'r>(
    summaries: impl Iterator<Item = Option<&'r LockfileSummary>>,
) -> Option<LockfileSummary> {
    let mut merged: Option<LockfileSummary> = None;
    for summary in summaries.flatten() {
        let into = merged.get_or_insert_with(|| LockfileSummary {
            moved: Vec::new(),
            not_locked: Vec::new(),
            ..summary.clone()
        });
        into.found &= summary.found;
        into.unusable |= summary.unusable;
        for moved in &summary.moved {
            if !into.moved.contains(moved) {
                into.moved.push(moved.clone());
            }
        }
        for name in &summary.not_locked {
            if !into.not_locked.contains(name) {
                into.not_locked.push(name.clone());
            }
        }
    }
    if let Some(merged) = &mut merged {
        merged.moved.sort_by(|a, b| a.package.cmp(&b.package));
        merged.not_locked.sort();
    }
    merged
}

fn add_summary(into: &mut FileSummary, from: &FileSummary) {
    into.blocks += from.blocks;
    into.rust_blocks += from.rust_blocks;
    add_counts(&mut into.languages, &from.languages);
    into.pass += from.pass;
    into.warn += from.warn;
    into.fail += from.fail;
    into.skip += from.skip;
    into.verified += from.verified;
    into.expected_to_fail += from.expected_to_fail;
    add_counts(&mut into.skipped, &from.skipped);
    into.unlabelled_rust.extend(&from.unlabelled_rust);
    let crates: BTreeSet<String> = into.crates.drain(..).chain(from.crates.clone()).collect();
    into.crates = crates.into_iter().collect();
}

fn add_counts(into: &mut BTreeMap<String, u32>, from: &BTreeMap<String, u32>) {
    for (key, count) in from {
        *into.entry(key.clone()).or_default() += count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::Scheme;
    use crate::report::{BaselineSummary, Dependency, DocumentKind, RunProblem, Status};

    fn partition(shard: u32, count: u32) -> Partition {
        Partition {
            scheme: Scheme::Hash,
            shard,
            count,
        }
    }

    fn row(file: &str, line: u32, toolchain: Option<&str>, status: Status) -> SnippetReport {
        SnippetReport {
            id: format!("{file}-{line:08x}"),
            file: file.to_string(),
            line,
            status,
            toolchain: toolchain.map(str::to_string),
            ..SnippetReport::default()
        }
    }

    /// `row` built with the direct dependencies `packages`.
    fn with_crates(mut row: SnippetReport, packages: &[&str]) -> SnippetReport {
        row.dependencies = packages
            .iter()
            .map(|package| Dependency {
                name: package.replace('-', "_"),
                package: (*package).to_string(),
                ..Dependency::default()
            })
            .collect();
        row
    }

    /// The whole run: two documents, stable and nightly, a skipped block,
    /// crates pulled in by blocks of different shards.
    fn whole() -> Report {
        let rows = vec![
            with_crates(row("a.md", 3, Some("stable"), Status::Pass), &["serde"]),
            row("a.md", 9, None, Status::Skip),
            with_crates(
                row("a.md", 20, Some("stable"), Status::Fail),
                &["anyhow", "serde"],
            ),
            with_crates(
                row("b.md", 1, Some("stable"), Status::Warn),
                &["wasm-bindgen"],
            ),
            with_crates(row("a.md", 3, Some("nightly"), Status::Pass), &["serde"]),
            with_crates(
                row("a.md", 20, Some("nightly"), Status::Pass),
                &["anyhow", "serde"],
            ),
            with_crates(
                row("b.md", 1, Some("nightly"), Status::Warn),
                &["wasm-bindgen"],
            ),
        ];
        let agent = DocumentKind {
            tool: Some("claude-code".to_string()),
            kind: "agent".to_string(),
        };
        let document = DocumentKind {
            tool: None,
            kind: "document".to_string(),
        };
        let files = vec![
            summary_of("a.md", &rows).with_kind(&agent),
            summary_of("b.md", &rows).with_kind(&document),
        ];
        Report {
            schema: SCHEMA_VERSION,
            snipcheck_version: "0.1.0".to_string(),
            toolchains: ["stable", "nightly"]
                .iter()
                .map(|t| ToolchainInfo {
                    name: (*t).to_string(),
                    rustc: Some(format!("rustc {t}")),
                    installed: true,
                })
                .collect(),
            totals: Totals::count(&files, &rows),
            files,
            snippets: rows,
            problems: vec![RunProblem::environment(None, "a problem every shard has")],
            cargo_invocations: BTreeMap::from([("build".to_string(), 2)]),
            ..Report::default()
        }
    }

    /// The summary of `file` as a run counts it from `rows` (every block is Rust;
    /// the nightly rows add statuses, not blocks).
    fn summary_of(file: &str, rows: &[SnippetReport]) -> FileSummary {
        let mut summary = FileSummary {
            file: file.to_string(),
            ..FileSummary::default()
        };
        for r in rows.iter().filter(|r| r.file == file) {
            match r.status {
                Status::Pass => summary.pass += 1,
                Status::Warn => summary.warn += 1,
                Status::Fail => summary.fail += 1,
                Status::Skip => summary.skip += 1,
            }
            if r.toolchain.as_deref() != Some("nightly") {
                summary.blocks += 1;
                *summary.languages.entry("rust".to_string()).or_default() += 1;
            }
            for dependency in &r.dependencies {
                if !summary.crates.contains(&dependency.package) {
                    summary.crates.push(dependency.package.clone());
                }
            }
        }
        summary.crates.sort();
        summary
    }

    /// The whole run cut into shards by a fixed assignment of (file, line).
    fn cut(report: &Report, owner: &dyn Fn(&str, u32) -> u32, count: u32) -> Vec<ShardReport> {
        (1..=count)
            .map(|k| {
                let rows: Vec<SnippetReport> = report
                    .snippets
                    .iter()
                    .filter(|r| owner(&r.file, r.line) == k)
                    .cloned()
                    .collect();
                let files: Vec<FileSummary> = report
                    .files
                    .iter()
                    .map(|f| FileSummary {
                        kind: f.kind.clone(),
                        tool: f.tool.clone(),
                        ..summary_of(&f.file, &rows)
                    })
                    .collect();
                let shard = Report {
                    totals: Totals::count(&files, &rows),
                    files,
                    snippets: rows,
                    cargo_invocations: BTreeMap::from([("build".to_string(), 2)]),
                    partition: Some(partition(k, count)),
                    ..report.clone()
                };
                let text = crate::report::json::render_json(&shard);
                parse(&format!("shard-{k}.json"), &text).expect("a shard report parses")
            })
            .collect()
    }

    #[test]
    fn shards_merge_into_the_whole_run() {
        let whole = whole();
        let owner = |file: &str, line: u32| if file == "b.md" || line >= 9 { 1 } else { 2 };
        let mut shards = cut(&whole, &owner, 2);
        shards.reverse();
        let merged = merge(shards).expect("merges");
        assert_eq!(merged.shards, [partition(1, 2), partition(2, 2)]);
        let mut report = merged.report;
        assert_eq!(report.cargo_invocations["build"], 4, "summed");
        assert_eq!(report.files[0].crates, ["anyhow", "serde"], "united");
        let kinds: Vec<(Option<&str>, Option<&str>)> = report
            .files
            .iter()
            .map(|f| (f.tool.as_deref(), f.kind.as_deref()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("claude-code"), Some("agent")),
                (None, Some("document"))
            ],
            "kept"
        );
        report.cargo_invocations = whole.cargo_invocations.clone();
        assert_eq!(report, whole);
    }

    #[test]
    fn a_shard_with_no_blocks_merges() {
        let whole = whole();
        let merged = merge(cut(&whole, &|_, _| 2, 3)).expect("merges");
        assert_eq!(merged.report.snippets, whole.snippets);
        assert_eq!(merged.report.totals, whole.totals);
    }

    #[test]
    fn incompatible_or_incomplete_sets_are_refused() {
        let whole = whole();
        let owner = |_: &str, line: u32| 1 + line % 3;
        let error = |shards: Vec<ShardReport>| merge(shards).expect_err("refused").to_string();

        assert_eq!(error(Vec::new()), "no shard reports to merge");
        let mut shards = cut(&whole, &owner, 3);
        shards.remove(1);
        assert_eq!(
            error(shards),
            "missing shard hash:2/3: merge the reports of all 3 shards"
        );
        let mut shards = cut(&whole, &owner, 3);
        shards.truncate(1);
        assert!(error(shards).contains("missing shards hash:2/3, hash:3/3:"));
        let mut shards = cut(&whole, &owner, 3);
        shards.push(shards[0].clone());
        assert!(error(shards).contains("shard hash:1/3 is given twice"));
        let mut shards = cut(&whole, &owner, 3);
        shards.extend(cut(&whole, &owner, 2).into_iter().take(1));
        assert!(error(shards).contains("not shards of one run"));

        let mut shards = cut(&whole, &owner, 3);
        shards[2].report.snipcheck_version = "0.2.0".to_string();
        assert!(error(shards).contains("was made by snipcheck 0.2.0"));
        let mut shards = cut(&whole, &owner, 3);
        shards[1].report.toolchains[1].rustc = Some("rustc nightly-2".to_string());
        let message = error(shards);
        assert!(
            message.contains(
                "`shard-2.json` was built with stable (rustc stable), nightly (rustc nightly-2)"
            ),
            "{message}"
        );
        let mut shards = cut(&whole, &owner, 3);
        shards[1].report.files.pop();
        let message = error(shards);
        assert!(
            message.contains("only in `shard-1.json`: `b.md`"),
            "{message}"
        );

        let mut shards = cut(&whole, &owner, 3);
        for (shard, path) in shards.iter_mut().zip(["x.toml", "x.toml", "y.toml"]) {
            shard.report.baseline = Some(BaselineSummary {
                path: path.to_string(),
                ..BaselineSummary::default()
            });
        }
        assert!(error(shards).contains("with the baseline `y.toml`"));
    }

    #[test]
    fn the_shards_baseline_is_compared_again() {
        let whole = whole();
        let mut shards = cut(&whole, &|_, line| 1 + line % 2, 2);
        for shard in &mut shards {
            shard.report.baseline = Some(BaselineSummary {
                path: "snipcheck.baseline.toml".to_string(),
                ..BaselineSummary::default()
            });
            for row in &mut shard.report.snippets {
                row.baseline = Some(crate::report::Change::New);
            }
        }
        let merged = merge(shards).expect("merges");
        assert_eq!(merged.baseline.as_deref(), Some("snipcheck.baseline.toml"));
        assert_eq!(merged.report.baseline, None);
        assert!(merged.report.snippets.iter().all(|r| r.baseline.is_none()));
    }

    #[test]
    fn other_reports_are_refused_when_read() {
        let whole = whole();
        let text = crate::report::json::render_json(&whole);
        let message = parse("whole.json", &text)
            .expect_err("not a shard")
            .to_string();
        assert!(message.contains("made without --partition"), "{message}");
        let message = parse("next.json", "{\"schema\": 2, \"rows\": []}")
            .expect_err("another schema")
            .to_string();
        assert!(message.contains("has report schema 2"), "{message}");
        let zero = Report {
            partition: Some(partition(0, 0)),
            ..whole.clone()
        };
        let message = parse("zero.json", &crate::report::json::render_json(&zero))
            .expect_err("no such shard")
            .to_string();
        assert!(message.contains("shard 0 of 0"), "{message}");
        assert!(matches!(
            parse("junit.xml", "<testsuites/>"),
            Err(MergeError::Unreadable { .. })
        ));
    }
}
