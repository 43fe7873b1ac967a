//! The baseline: the known state of every example, committed and human-edited,
//! so a nightly job fails only when something *new* breaks.
//!
//! An entry is identified by its document, its heading path and a hash of its
//! block (with its fence line only as a hint), so moving an example within its
//! document, or editing other examples, keeps its history. Comparing a run with
//! the baseline classifies every row the way crater does (regressed, fixed,
//! still failing, new, unchanged) and lists what the baseline knows that the run
//! no longer has, so the baseline never goes stale silently.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{BlockId, ContentKey, heading_path};
use crate::partition::Partition;
// The classification is report data; it is re-exported where it is computed.
pub use crate::report::Change;
use crate::report::{BaselineSummary, Report, SnippetReport, Status};
use crate::taxonomy::Cause;

/// Version of the baseline file format.
pub const FORMAT: u32 = 1;

/// The baseline file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    #[serde(default, rename = "snippet")]
    pub snippets: Vec<Entry>,
}

/// The known state of one example on one toolchain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub file: String,
    /// The heading path, joined with ` > `.
    #[serde(default)]
    pub heading: String,
    /// Hash of the block's info string and text (the second part of its id).
    pub hash: String,
    /// The fence line when the entry was written: a hint only.
    pub line: u32,
    pub toolchain: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// A maintainer's note, kept when the baseline is re-blessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The comparison of a run with the baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// Per row of the report (same order): how it compares.
    pub changes: Vec<Option<Change>>,
    /// Baseline entries no row matched (`file:line` on `toolchain`).
    pub removed: Vec<String>,
    /// Documents that had Rust examples in the baseline and have none now.
    pub coverage_lost: Vec<String>,
    pub counts: BTreeMap<String, u32>,
}

/// Whether a row belongs in the baseline: Rust blocks, built or skipped.
fn tracked(row: &SnippetReport) -> bool {
    row.expect.is_some()
        || row
            .lang
            .as_deref()
            .is_some_and(|l| l == "rust" || l == "rs")
}

/// The content part of a row's id (`guide-1a2b3c4d-2` -> `1a2b3c4d-2`): what an entry records.
fn content_key(row: &SnippetReport) -> String {
    BlockId::content_of(&row.id).to_string()
}

fn heading(row: &SnippetReport) -> String {
    heading_path(&row.headings)
}

fn toolchain(row: &SnippetReport) -> String {
    row.toolchain.clone().unwrap_or_else(|| "any".to_string())
}

fn failed(status: Status) -> bool {
    status == Status::Fail
}

/// Builds a baseline from a report, keeping the notes of `previous` entries
/// that still match.
pub fn bless(report: &Report, previous: Option<&Baseline>) -> Baseline {
    let matched = previous.map(|p| match_rows(report, p));
    let snippets = report
        .snippets
        .iter()
        .enumerate()
        .filter(|(_, row)| tracked(row))
        .map(|(i, row)| {
            let note = matched
                .as_ref()
                .and_then(|(pairs, _)| pairs.get(&i))
                .and_then(|&j| previous.and_then(|p| p.snippets.get(j)))
                .and_then(|e| e.note.clone());
            Entry {
                file: row.file.clone(),
                heading: heading(row),
                hash: content_key(row),
                line: row.line,
                toolchain: toolchain(row),
                status: row.status,
                cause: row.cause,
                note,
            }
        })
        .collect();
    Baseline {
        version: FORMAT,
        snippets,
    }
}

/// Pairs rows with baseline entries: same file, hash and toolchain; among
/// several candidates, the same heading first, then the nearest line. Returns
/// row index -> entry index, and the unmatched entries.
fn match_rows(report: &Report, baseline: &Baseline) -> (BTreeMap<usize, usize>, Vec<usize>) {
    let mut free: BTreeSet<usize> = (0..baseline.snippets.len()).collect();
    let mut pairs = BTreeMap::new();
    for (i, row) in report
        .snippets
        .iter()
        .enumerate()
        .filter(|(_, r)| tracked(r))
    {
        let (hash, chain, head) = (content_key(row), toolchain(row), heading(row));
        let best = free
            .iter()
            .copied()
            .filter(|&j| {
                let e = &baseline.snippets[j];
                e.file == row.file && e.hash == hash && e.toolchain == chain
            })
            .min_by_key(|&j| {
                let e = &baseline.snippets[j];
                (e.heading != head, e.line.abs_diff(row.line))
            });
        if let Some(j) = best {
            free.remove(&j);
            pairs.insert(i, j);
        }
    }
    (pairs, free.into_iter().collect())
}

/// Compares a run with the baseline.
pub fn compare(report: &Report, baseline: &Baseline) -> Comparison {
    let (pairs, unmatched) = match_rows(report, baseline);
    let mut comparison = Comparison::default();
    for (i, row) in report.snippets.iter().enumerate() {
        let change = if !tracked(row) {
            None
        } else {
            Some(match pairs.get(&i).map(|&j| baseline.snippets[j].status) {
                None => Change::New,
                Some(before) => match (failed(before), failed(row.status)) {
                    (false, true) => Change::Regressed,
                    (true, false) => Change::Fixed,
                    (true, true) => Change::StillFailing,
                    (false, false) => Change::Unchanged,
                },
            })
        };
        if let Some(change) = change {
            *comparison
                .counts
                .entry(change.as_str().to_string())
                .or_default() += 1;
        }
        comparison.changes.push(change);
    }
    comparison.removed = unmatched
        .iter()
        .map(|&j| {
            let e = &baseline.snippets[j];
            format!(
                "{}:{} on {} ({})",
                e.file,
                e.line,
                e.toolchain,
                e.status.as_str()
            )
        })
        .collect();
    let files_with_rust: BTreeSet<&str> = report
        .snippets
        .iter()
        .filter(|r| tracked(r))
        .map(|r| r.file.as_str())
        .collect();
    let checked_files: BTreeSet<&str> = report.files.iter().map(|f| f.file.as_str()).collect();
    let baseline_files: BTreeSet<&str> =
        baseline.snippets.iter().map(|e| e.file.as_str()).collect();
    comparison.coverage_lost = baseline_files
        .into_iter()
        .filter(|f| checked_files.contains(f) && !files_with_rust.contains(f))
        .map(str::to_string)
        .collect();
    comparison
}

/// Compares the report with the baseline and records the result in it: each
/// row's change, and a summary. Entries of toolchains this run did not build are
/// not "removed": the run simply did not look.
pub fn apply(report: &mut Report, baseline: &Baseline, path: &str) {
    let comparison = compare(report, baseline);
    for (row, change) in report.snippets.iter_mut().zip(&comparison.changes) {
        row.baseline = *change;
    }
    let built: BTreeSet<&str> = report
        .toolchains
        .iter()
        .filter(|t| t.installed)
        .map(|t| t.name.as_str())
        .collect();
    let removed = comparison
        .removed
        .into_iter()
        .filter(|r| {
            r.rsplit_once(" on ").is_some_and(|(_, rest)| {
                let toolchain = rest.split(' ').next().unwrap_or_default();
                toolchain == "any" || built.contains(toolchain)
            })
        })
        .collect();
    report.baseline = Some(BaselineSummary {
        path: path.to_string(),
        counts: comparison.counts,
        removed,
        coverage_lost: comparison.coverage_lost,
    });
}

/// The entries of a baseline that are about the blocks of this shard: what a
/// shard compares with (the others' entries are not "removed").
pub fn part(mut baseline: Baseline, partition: &Partition) -> Baseline {
    baseline
        .snippets
        .retain(|e| partition.owns(&e.file, &e.heading, &ContentKey::read(&e.hash)));
    baseline
}

/// Reads a baseline. A missing file is `Ok(None)`; an unreadable or invalid one is an error.
pub fn load(path: &Path) -> Result<Option<Baseline>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read the baseline", path, e)),
    };
    let baseline: Baseline = toml::from_str(&text).map_err(|e| Error::Serialize {
        what: "the baseline (it is not valid baseline TOML)",
        source: Box::new(e),
    })?;
    if baseline.version != FORMAT {
        return Err(Error::Serialize {
            what: "the baseline",
            source: format!(
                "unknown baseline version {} (this snipcheck writes {FORMAT})",
                baseline.version
            )
            .into(),
        });
    }
    Ok(Some(baseline))
}

/// The baseline as TOML, with a header saying what the file is.
pub fn to_toml(baseline: &Baseline) -> Result<String> {
    let body = toml::to_string_pretty(baseline).map_err(|e| Error::Serialize {
        what: "the baseline",
        source: Box::new(e),
    })?;
    Ok(format!(
        "# The known state of the examples, for snipcheck. `cargo xtask verify --bless`\n# rewrites it; `note` fields are yours and are kept.\n\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{FileSummary, SCHEMA_VERSION, Totals};

    fn row(file: &str, id: &str, line: u32, status: Status) -> SnippetReport {
        SnippetReport {
            id: id.into(),
            file: file.into(),
            line,
            headings: vec!["Guide".into()],
            info: "rust".into(),
            lang: Some("rust".into()),
            rust: true,
            status,
            skip_reason: None,
            cause: (status == Status::Fail).then_some(Cause::CodeBug),
            other_causes: vec![],
            evidence: vec![],
            suggestion: None,
            expect: Some("pass".into()),
            toolchain: Some("stable".into()),
            rustc: None,
            edition: Some("2024".into()),
            shape: Some("lib".into()),
            dependencies: vec![],
            diagnostics: vec![],
            problems: vec![],
            ..Default::default()
        }
    }

    fn report(rows: Vec<SnippetReport>, files: &[&str]) -> Report {
        Report {
            schema: SCHEMA_VERSION,
            snipcheck_version: "0".into(),
            toolchains: vec![],
            files: files
                .iter()
                .map(|f| FileSummary {
                    file: (*f).into(),
                    blocks: 0,
                    rust_blocks: 0,
                    languages: BTreeMap::new(),
                    pass: 0,
                    warn: 0,
                    fail: 0,
                    skip: 0,
                    ..Default::default()
                })
                .collect(),
            snippets: rows,
            totals: Totals::default(),
            problems: vec![],
            cargo_invocations: BTreeMap::new(),
            ..Default::default()
        }
    }

    #[test]
    fn hashes_come_from_ids() {
        for (id, hash) in [
            ("guide-1a2b3c4d", "1a2b3c4d"),
            ("guide-1a2b3c4d-2", "1a2b3c4d-2"),
            ("001-e06af5bd5f6d5d5e-03b54008", "03b54008"),
        ] {
            let row = row("g.md", id, 1, Status::Pass);
            assert_eq!(content_key(&row), hash, "{id}");
        }
    }

    #[test]
    fn a_run_compares_with_its_baseline() {
        let before = report(
            vec![
                row("g.md", "g-aaaaaaaa", 10, Status::Pass),
                row("g.md", "g-bbbbbbbb", 20, Status::Fail),
                row("g.md", "g-cccccccc", 30, Status::Fail),
                row("g.md", "g-dddddddd", 40, Status::Warn),
                row("gone.md", "gone-eeeeeeee", 5, Status::Pass),
            ],
            &["g.md", "gone.md"],
        );
        let mut baseline = bless(&before, None);
        baseline.snippets[1].note = Some("known sketch".into());
        // Lines moved by 7; one example regressed, one was fixed, one is new,
        // `gone.md` lost its only example.
        let after = report(
            vec![
                row("g.md", "g-aaaaaaaa", 17, Status::Fail),
                row("g.md", "g-bbbbbbbb", 27, Status::Pass),
                row("g.md", "g-cccccccc", 37, Status::Fail),
                row("g.md", "g-dddddddd", 47, Status::Pass),
                row("g.md", "g-ffffffff", 50, Status::Fail),
            ],
            &["g.md", "gone.md"],
        );
        let comparison = compare(&after, &baseline);
        assert_eq!(
            comparison.changes,
            [
                Some(Change::Regressed),
                Some(Change::Fixed),
                Some(Change::StillFailing),
                Some(Change::Unchanged),
                Some(Change::New),
            ]
        );
        assert_eq!(comparison.removed, ["gone.md:5 on stable (pass)"]);
        assert_eq!(comparison.coverage_lost, ["gone.md"]);
        // Re-blessing keeps the maintainer's note.
        let reblessed = bless(&after, Some(&baseline));
        assert_eq!(reblessed.snippets[1].note.as_deref(), Some("known sketch"));
        assert_eq!(reblessed.snippets[1].line, 27);
    }

    #[test]
    fn the_file_round_trips_and_rejects_nonsense() {
        let baseline = bless(
            &report(vec![row("g.md", "g-aaaaaaaa", 10, Status::Fail)], &["g.md"]),
            None,
        );
        let text = to_toml(&baseline).expect("serializes");
        assert!(text.contains("[[snippet]]"), "{text}");
        assert!(text.contains("cause = \"code-bug\""), "{text}");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("baseline.toml");
        std::fs::write(&path, &text).expect("write");
        assert_eq!(load(&path).expect("loads"), Some(baseline));
        assert_eq!(
            load(&dir.path().join("missing.toml")).expect("a missing baseline is fine"),
            None
        );
        std::fs::write(&path, "version = 1\n[[snippet]]\nfile = 3\n").expect("write");
        assert!(load(&path).is_err());
        std::fs::write(&path, "version = 9\n").expect("write");
        assert!(load(&path).is_err());
    }
}
