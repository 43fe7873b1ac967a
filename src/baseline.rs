//! The baseline: the known state of every example, committed and human-edited,
//! so a nightly job fails only when something *new* breaks.
//!
//! An entry is identified by its document, its heading path and a hash of its
//! block, with its fence line only as a hint and a similarity sketch of its
//! text (`identity::sketch`) for when the hash no longer matches. Moving an
//! example, editing other examples or renaming its document keeps its history;
//! editing the example itself keeps it too, as `changed` — or `regressed` when
//! the edit broke it. Comparing a run with the baseline classifies every row the
//! way crater does (regressed, fixed, still failing, changed, new, unchanged)
//! and lists what the baseline knows that the run no longer has, so the
//! baseline never goes stale silently.

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
    /// The block's similarity sketch (see `identity::sketch`): how the entry
    /// is recognised after an edit. Absent in baselines written before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sketch: Option<String>,
    /// A maintainer's note, kept when the baseline is re-blessed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The comparison of a run with the baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Comparison {
    /// Per row of the report (same order): how it compares.
    pub changes: Vec<Option<Change>>,
    /// Per row of the report (same order): matched by place and likeness, edited.
    pub edited: Vec<bool>,
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
                .and_then(|&(j, _)| previous.and_then(|p| p.snippets.get(j)))
                .and_then(|e| e.note.clone());
            Entry {
                file: row.file.clone(),
                heading: heading(row),
                hash: content_key(row),
                line: row.line,
                toolchain: toolchain(row),
                status: row.status,
                cause: row.cause,
                sketch: row.sketch.clone(),
                note,
            }
        })
        .collect();
    Baseline {
        version: FORMAT,
        snippets,
    }
}

/// How far apart (in bits of 64) the sketches of a block and its entry may be
/// when the entry stands where the block stands (same document and heading
/// path): an edit, not another example. Unrelated blocks of one document are
/// about 22 bits apart (median, measured on the corpus); a block with one line
/// rewritten is 2 bits apart (median) and 16 at the 99th percentile.
const NEAR_PLACE: u32 = 20;

/// As [`NEAR_PLACE`], for an entry elsewhere in the document (another heading):
/// only a text this close is taken for the same example moved and edited.
const NEAR_TEXT: u32 = 6;

/// What a step away from an entry's position among its heading's blocks
/// costs, in bits of sketch distance, when pairing edited blocks.
const PLACE_COST: u32 = 4;

/// One tracked row's identity, as matching needs it.
struct Key {
    file: String,
    heading: String,
    content: String,
    toolchain: String,
    line: u32,
    sketch: Option<String>,
}

impl Key {
    fn of_row(row: &SnippetReport) -> Key {
        Key {
            file: row.file.clone(),
            heading: heading(row),
            content: content_key(row),
            toolchain: toolchain(row),
            line: row.line,
            sketch: row.sketch.clone(),
        }
    }

    fn of_entry(entry: &Entry) -> Key {
        Key {
            file: entry.file.clone(),
            heading: entry.heading.clone(),
            content: entry.hash.clone(),
            toolchain: entry.toolchain.clone(),
            line: entry.line,
            sketch: entry.sketch.clone(),
        }
    }
}

/// How a row found its baseline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The same content: the block is as it was.
    Same,
    /// The same place and a similar text: the block was edited.
    Edited,
}

/// Row index -> (entry index, how), and the entries no row matched.
type Matching = (BTreeMap<usize, (usize, Found)>, Vec<usize>);

/// Pairs rows with baseline entries, in three passes:
/// 1. the same content, document and toolchain (several candidates: the same
///    heading first, then the nearest line) — an unchanged block, moved or not;
/// 2. for a document the run did not see, the document of the run that holds
///    most of its blocks unchanged takes its place (a renamed or moved document);
/// 3. what is left, by place and likeness: in the same document and toolchain,
///    an entry in the same section (the same heading path, or the same nearest
///    heading) or in the same slot (the same position among the document's
///    entries and rows left, as many on each side) whose sketch is within
///    [`NEAR_PLACE`], or
///    anywhere in the document within [`NEAR_TEXT`]; the cheapest pairs first,
///    the cost being the distance plus [`PLACE_COST`] per step away from the
///    same position among the heading's blocks. An entry without a
///    sketch (an older baseline) is taken only where it is the one left under
///    its heading, for the one row left there.
fn match_rows(report: &Report, baseline: &Baseline) -> Matching {
    let rows: Vec<(usize, Key)> = report
        .snippets
        .iter()
        .enumerate()
        .filter(|(_, r)| tracked(r))
        .map(|(i, r)| (i, Key::of_row(r)))
        .collect();
    let mut entries: Vec<Key> = baseline.snippets.iter().map(Key::of_entry).collect();
    let mut free: BTreeSet<usize> = (0..entries.len()).collect();
    let mut pairs = BTreeMap::new();
    match_unchanged(&rows, &entries, &mut free, &mut pairs);
    let seen: BTreeSet<&str> = report.files.iter().map(|f| f.file.as_str()).collect();
    let renamed = renamed_documents(&rows, &entries, &free, &seen);
    if !renamed.is_empty() {
        for &j in &free {
            if let Some(to) = renamed.get(entries[j].file.as_str()) {
                entries[j].file.clone_from(to);
            }
        }
        match_unchanged(&rows, &entries, &mut free, &mut pairs);
    }
    match_edited(&rows, &entries, &mut free, &mut pairs);
    (pairs, free.into_iter().collect())
}

/// Pass 1: the same content, document and toolchain.
fn match_unchanged(
    rows: &[(usize, Key)],
    entries: &[Key],
    free: &mut BTreeSet<usize>,
    pairs: &mut BTreeMap<usize, (usize, Found)>,
) {
    for (i, row) in rows {
        if pairs.contains_key(i) {
            continue;
        }
        let best = free
            .iter()
            .copied()
            .filter(|&j| {
                let e = &entries[j];
                e.file == row.file && e.content == row.content && e.toolchain == row.toolchain
            })
            .min_by_key(|&j| {
                let e = &entries[j];
                (e.heading != row.heading, e.line.abs_diff(row.line))
            });
        if let Some(j) = best {
            free.remove(&j);
            pairs.insert(*i, (j, Found::Same));
        }
    }
}

/// Pass 2: each document of the baseline that the run did not see, and the
/// document of the run holding the most of its unmatched entries' contents
/// (at least half of them), unmatched there too.
fn renamed_documents(
    rows: &[(usize, Key)],
    entries: &[Key],
    free: &BTreeSet<usize>,
    seen: &BTreeSet<&str>,
) -> BTreeMap<String, String> {
    let mut gone: BTreeMap<&str, Vec<&Key>> = BTreeMap::new();
    for &j in free {
        if !seen.contains(entries[j].file.as_str()) {
            gone.entry(entries[j].file.as_str())
                .or_default()
                .push(&entries[j]);
        }
    }
    let mut renamed = BTreeMap::new();
    for (old, keys) in gone {
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for key in &keys {
            if let Some((_, row)) = rows
                .iter()
                .find(|(_, r)| r.content == key.content && r.toolchain == key.toolchain)
            {
                *votes.entry(row.file.as_str()).or_default() += 1;
            }
        }
        let best = votes
            .into_iter()
            .max_by_key(|&(file, n)| (n, std::cmp::Reverse(file)));
        if let Some((new, n)) = best
            && 2 * n >= keys.len()
        {
            renamed.insert(old.to_string(), new.to_string());
        }
    }
    renamed
}

/// Pass 3: edited blocks, by place and likeness.
fn match_edited(
    rows: &[(usize, Key)],
    entries: &[Key],
    free: &mut BTreeSet<usize>,
    pairs: &mut BTreeMap<usize, (usize, Found)>,
) {
    let left: Vec<&(usize, Key)> = rows
        .iter()
        .filter(|(i, _)| !pairs.contains_key(i))
        .collect();
    // Position among the heading's blocks left on each side.
    let row_place = places(left.iter().map(|(i, k)| (*i, k)), true);
    let entry_place = places(free.iter().map(|&j| (j, &entries[j])), true);
    // Position among the document's blocks left on each side.
    let row_slot = places(left.iter().map(|(i, k)| (*i, k)), false);
    let entry_slot = places(free.iter().map(|&j| (j, &entries[j])), false);
    let mut candidates = Vec::new();
    for (i, row) in &left {
        for &j in free.iter() {
            let e = &entries[j];
            if e.file != row.file || e.toolchain != row.toolchain {
                continue;
            }
            let same_heading = same_section(&e.heading, &row.heading);
            let (place, entry_place) = (row_place[i], entry_place[&j]);
            let distance = match (&row.sketch, &e.sketch) {
                (Some(a), Some(b)) => crate::identity::sketch_distance(a, b),
                _ => None,
            };
            // The same position among the document's blocks left, as many on each side.
            let same_slot = {
                let (a, b) = (row_slot[i], entry_slot[&j]);
                a == b
            };
            let accepted = match distance {
                Some(d) => d <= NEAR_TEXT || ((same_heading || same_slot) && d <= NEAR_PLACE),
                None => same_heading && place.1 == 1 && entry_place.1 == 1,
            };
            if accepted {
                // Likeness first, each step away from the entry's position
                // costing as much as a few bits: two near copies that swapped
                // texts (a ❌ and a ✅ version) keep their places.
                let shift = u32::try_from(place.0.abs_diff(entry_place.0)).unwrap_or(u32::MAX);
                let cost = distance
                    .unwrap_or(NEAR_PLACE)
                    .saturating_add(shift.saturating_mul(PLACE_COST));
                let order = (!same_heading, cost, e.line.abs_diff(row.line));
                candidates.push((order, *i, j));
            }
        }
    }
    candidates.sort();
    for (_, i, j) in candidates {
        if !pairs.contains_key(&i) && free.contains(&j) {
            free.remove(&j);
            pairs.insert(i, (j, Found::Edited));
        }
    }
}

/// Whether two heading paths name the same section: the same path, or the
/// same nearest heading (a title whose badges changed renames every path).
fn same_section(a: &str, b: &str) -> bool {
    let nearest = |path: &str| path.rsplit(" > ").next().unwrap_or_default().to_string();
    a == b || (!a.is_empty() && nearest(a) == nearest(b) && !nearest(a).is_empty())
}

/// For each key: its position among the keys of its document, toolchain and
/// (`by_heading`) heading, in line order, and how many keys that group holds.
fn places<'k>(
    keys: impl Iterator<Item = (usize, &'k Key)>,
    by_heading: bool,
) -> BTreeMap<usize, (usize, usize)> {
    // (document, toolchain, heading) -> (line, index) of its keys.
    type Group<'a> = (&'a str, &'a str, &'a str);
    let mut groups: BTreeMap<Group, Vec<(u32, usize)>> = BTreeMap::new();
    for (index, key) in keys {
        groups
            .entry((
                &key.file,
                &key.toolchain,
                if by_heading { &key.heading } else { "" },
            ))
            .or_default()
            .push((key.line, index));
    }
    let mut out = BTreeMap::new();
    for mut group in groups.into_values() {
        group.sort();
        let size = group.len();
        for (position, (_, index)) in group.into_iter().enumerate() {
            out.insert(index, (position, size));
        }
    }
    out
}

/// Which baseline entry a row of the report was matched with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index of the row in `report.snippets`.
    pub row: usize,
    /// Index of the entry in `baseline.snippets`.
    pub entry: usize,
    /// Matched by place and likeness, not by content: the block was edited.
    pub edited: bool,
}

/// The rows matched with an entry, in row order: what [`compare`] classifies,
/// for a tool that studies the matching itself (`cargo xtask corpus-edits`).
pub fn matches(report: &Report, baseline: &Baseline) -> Vec<Match> {
    let (pairs, _) = match_rows(report, baseline);
    pairs
        .into_iter()
        .map(|(row, (entry, how))| Match {
            row,
            entry,
            edited: how == Found::Edited,
        })
        .collect()
}

/// Compares a run with the baseline.
pub fn compare(report: &Report, baseline: &Baseline) -> Comparison {
    let (pairs, unmatched) = match_rows(report, baseline);
    let mut comparison = Comparison::default();
    for (i, row) in report.snippets.iter().enumerate() {
        let change = if !tracked(row) {
            None
        } else {
            Some(
                match pairs
                    .get(&i)
                    .map(|&(j, how)| (baseline.snippets[j].status, how))
                {
                    None => Change::New,
                    Some((before, how)) => match (failed(before), failed(row.status), how) {
                        (false, true, _) => Change::Regressed,
                        (true, false, _) => Change::Fixed,
                        (true, true, Found::Same) => Change::StillFailing,
                        (false, false, Found::Same) => Change::Unchanged,
                        (_, _, Found::Edited) => Change::Changed,
                    },
                },
            )
        };
        if let Some(change) = change {
            *comparison
                .counts
                .entry(change.as_str().to_string())
                .or_default() += 1;
        }
        comparison.changes.push(change);
        comparison
            .edited
            .push(pairs.get(&i).is_some_and(|&(_, how)| how == Found::Edited));
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
    for (row, &edited) in report.snippets.iter_mut().zip(&comparison.edited) {
        row.edited = edited;
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

    /// A row of a block with this text, as the pipeline makes it: its id
    /// from the document's stem and the text's hash, its sketch from the text.
    fn block(file: &str, heading: &str, text: &str, line: u32, status: Status) -> SnippetReport {
        let stem = file.trim_end_matches(".md");
        let id = crate::identity::BlockId::first(stem, "rust", text).to_string();
        SnippetReport {
            headings: vec![heading.into()],
            sketch: Some(crate::identity::sketch(text)),
            ..row(file, &id, line, status)
        }
    }

    const SERVER: &str = "use axum::{routing::get, Router};\n\n#[tokio::main]\nasync fn main() {\n    let app = Router::new().route(\"/\", get(|| async { \"Hello\" }));\n    axum::Server::bind(&\"0.0.0.0:3000\".parse().unwrap())\n        .serve(app.into_make_service())\n        .await\n        .unwrap();\n}\n";
    const SERVER_EDITED: &str = "use axum::{routing::get, Router};\n\n#[tokio::main]\nasync fn main() {\n    let app = Router::new().route(\"/\", get(|| async { \"Hello\" }));\n    let listener = tokio::net::TcpListener::bind(\"0.0.0.0:3000\").await.unwrap();\n    axum::serve(listener, app).await.unwrap();\n}\n";
    const ERRORS: &str = "#[derive(Debug, thiserror::Error)]\npub enum ConfigError {\n    #[error(\"missing key {0}\")]\n    Missing(String),\n    #[error(transparent)]\n    Io(#[from] std::io::Error),\n}\n";
    const SIMD: &str = "#![feature(portable_simd)]\nuse std::simd::f32x4;\n\nfn dot(a: f32x4, b: f32x4) -> f32 {\n    (a * b).reduce_sum()\n}\n";

    fn changes(before: Vec<SnippetReport>, after: Vec<SnippetReport>) -> Comparison {
        let files = |rows: &[SnippetReport]| -> Vec<String> {
            rows.iter()
                .map(|r| r.file.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect()
        };
        let (old, new) = (files(&before), files(&after));
        let old: Vec<&str> = old.iter().map(String::as_str).collect();
        let new: Vec<&str> = new.iter().map(String::as_str).collect();
        let baseline = bless(&report(before, &old), None);
        compare(&report(after, &new), &baseline)
    }

    #[test]
    fn an_edited_example_keeps_its_entry() {
        let d = crate::identity::sketch_distance(
            &crate::identity::sketch(SERVER),
            &crate::identity::sketch(SERVER_EDITED),
        );
        assert!(d.is_some_and(|d| d <= NEAR_PLACE), "{d:?}");
        // Edited and broken: regressed, not new, and its old entry is not removed.
        let c = changes(
            vec![block("g.md", "Server", SERVER, 10, Status::Pass)],
            vec![block("g.md", "Server", SERVER_EDITED, 10, Status::Fail)],
        );
        assert_eq!(c.changes, [Some(Change::Regressed)]);
        assert!(c.removed.is_empty(), "{:?}", c.removed);
        // Edited and still passing, or still failing: changed.
        for status in [Status::Pass, Status::Fail] {
            let c = changes(
                vec![block("g.md", "Server", SERVER, 10, status)],
                vec![block("g.md", "Server", SERVER_EDITED, 12, status)],
            );
            assert_eq!(c.changes, [Some(Change::Changed)], "{status:?}");
        }
        // Edited and mended: fixed.
        let c = changes(
            vec![block("g.md", "Server", SERVER, 10, Status::Fail)],
            vec![block("g.md", "Server", SERVER_EDITED, 10, Status::Pass)],
        );
        assert_eq!(c.changes, [Some(Change::Fixed)]);
    }

    #[test]
    fn a_replaced_example_is_new_and_its_entry_removed() {
        let c = changes(
            vec![block("g.md", "Errors", ERRORS, 10, Status::Pass)],
            vec![block("g.md", "Errors", SIMD, 10, Status::Fail)],
        );
        assert_eq!(c.changes, [Some(Change::New)]);
        assert_eq!(c.removed, ["g.md:10 on stable (pass)"]);
    }

    #[test]
    fn an_example_inserted_before_an_edited_one_is_new() {
        // [SERVER, ERRORS] under one heading; then SIMD is inserted first and
        // SERVER edited: the edit keeps SERVER's entry, SIMD is new.
        let c = changes(
            vec![
                block("g.md", "Guide", SERVER, 10, Status::Pass),
                block("g.md", "Guide", ERRORS, 30, Status::Pass),
            ],
            vec![
                block("g.md", "Guide", SIMD, 10, Status::Fail),
                block("g.md", "Guide", SERVER_EDITED, 20, Status::Fail),
                block("g.md", "Guide", ERRORS, 40, Status::Pass),
            ],
        );
        assert_eq!(
            c.changes,
            [
                Some(Change::New),
                Some(Change::Regressed),
                Some(Change::Unchanged)
            ]
        );
        assert!(c.removed.is_empty(), "{:?}", c.removed);
    }

    #[test]
    fn an_example_moved_under_another_heading_and_edited_is_matched_only_when_close() {
        // A one-token edit is close enough to follow the example anywhere in its document.
        let tweaked = ERRORS.replace("missing key", "missing value");
        let c = changes(
            vec![block("g.md", "Errors", ERRORS, 10, Status::Pass)],
            vec![block("g.md", "Error handling", &tweaked, 50, Status::Fail)],
        );
        assert_eq!(c.changes, [Some(Change::Regressed)]);
        // Another example elsewhere is new, even as the only one left.
        let c = changes(
            vec![block("g.md", "Server", SERVER, 10, Status::Pass)],
            vec![block("g.md", "Vectors", SIMD, 50, Status::Fail)],
        );
        assert_eq!(c.changes, [Some(Change::New)]);
    }

    #[test]
    fn a_renamed_document_keeps_its_entries() {
        let c = changes(
            vec![
                block("old.md", "Guide", SERVER, 10, Status::Pass),
                block("old.md", "Guide", ERRORS, 30, Status::Fail),
                block("old.md", "Guide", SIMD, 50, Status::Pass),
            ],
            vec![
                block("docs/new.md", "Guide", SERVER, 10, Status::Pass),
                block("docs/new.md", "Guide", ERRORS, 30, Status::Fail),
                block(
                    "docs/new.md",
                    "Guide",
                    &SIMD.replace("dot", "dot_product"),
                    50,
                    Status::Fail,
                ),
            ],
        );
        assert_eq!(
            c.changes,
            [
                Some(Change::Unchanged),
                Some(Change::StillFailing),
                Some(Change::Regressed)
            ]
        );
        assert!(c.removed.is_empty() && c.coverage_lost.is_empty(), "{c:?}");
        // A document that is merely not checked keeps nothing for another.
        let c = changes(
            vec![block("old.md", "Guide", SERVER, 10, Status::Pass)],
            vec![block("other.md", "Guide", ERRORS, 10, Status::Pass)],
        );
        assert_eq!(c.changes, [Some(Change::New)]);
    }

    #[test]
    fn a_renamed_title_and_a_lone_block_keep_their_places() {
        // The title's badges changed, so every heading path did: the nearest
        // heading still names the section.
        let c = changes(
            vec![block(
                "g.md",
                "Crate [badge] > Usage",
                SERVER,
                10,
                Status::Pass,
            )],
            vec![block(
                "g.md",
                "Crate > Usage",
                SERVER_EDITED,
                10,
                Status::Fail,
            )],
        );
        assert_eq!(c.changes, [Some(Change::Regressed)]);
        // The one block left on each side, under a renamed section: the same slot.
        let c = changes(
            vec![block("g.md", "Parse arguments", SERVER, 10, Status::Pass)],
            vec![block(
                "g.md",
                "Clap basics",
                SERVER_EDITED,
                12,
                Status::Fail,
            )],
        );
        assert_eq!(c.changes, [Some(Change::Regressed)]);
    }

    #[test]
    fn near_copies_keep_their_positions() {
        // A wrong and a right version of one example, both edited, where the
        // first one's new text is a bit closer to the other's old one (as
        // SimHash does with near copies): each keeps its own entry.
        let sketched = |text: &str, line, sketch: u64, status| SnippetReport {
            sketch: Some(format!("{sketch:016x}")),
            ..block("g.md", "Threads", text, line, status)
        };
        let before = vec![
            sketched(SERVER, 10, 0, Status::Fail),
            sketched(ERRORS, 20, 0b1_1111, Status::Pass),
        ];
        let after = vec![
            // 3 bits from its own entry, 2 from the other.
            sketched(SERVER_EDITED, 10, 0b111, Status::Fail),
            // 3 bits from its own entry, 8 from the other.
            sketched(SIMD, 20, 0b1110_0000 ^ 0b1_1111, Status::Fail),
        ];
        let c = changes(before, after);
        assert_eq!(c.changes, [Some(Change::Changed), Some(Change::Regressed)]);
    }

    #[test]
    fn an_older_baseline_without_sketches_matches_by_place_alone() {
        let before = vec![block("g.md", "Server", SERVER, 10, Status::Pass)];
        let mut baseline = bless(&report(before, &["g.md"]), None);
        baseline.snippets[0].sketch = None;
        let after = report(
            vec![block("g.md", "Server", SERVER_EDITED, 10, Status::Fail)],
            &["g.md"],
        );
        assert_eq!(
            compare(&after, &baseline).changes,
            [Some(Change::Regressed)]
        );
        // Two left under one heading: the place is not enough.
        let before = vec![
            block("g.md", "Guide", SERVER, 10, Status::Pass),
            block("g.md", "Guide", ERRORS, 20, Status::Pass),
        ];
        let mut baseline = bless(&report(before, &["g.md"]), None);
        for entry in &mut baseline.snippets {
            entry.sketch = None;
        }
        let after = report(
            vec![
                block("g.md", "Guide", SERVER_EDITED, 10, Status::Fail),
                block("g.md", "Guide", SIMD, 20, Status::Fail),
            ],
            &["g.md"],
        );
        assert_eq!(
            compare(&after, &baseline).changes,
            [Some(Change::New), Some(Change::New)]
        );
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
