//! `cargo xtask corpus-edits`: how the baseline follows real examples through
//! their documents' history.
//!
//! A baseline must recognise an example after its document was edited: the
//! example moved, the text around it changed, or the example itself was
//! edited (then it is `changed`, or `regressed` if the edit broke it). For
//! each document of `tests/corpus/manifest.toml`, this task reads the earlier
//! revisions of its file from the local mirror (`git log --follow`), blesses
//! each older revision's Rust blocks as a baseline and compares the manifest's
//! revision with it, through the library's own matching
//! (`snipcheck::baseline::matches`). No build runs: the matching reads only
//! the blocks' documents, headings, content keys and sketches.
//!
//! It prints, per pair of revisions, how many blocks were found unchanged,
//! found edited, new, and left unmatched; `--show` prints each edited pair
//! and each unmatched block that stood under a heading a new block stands
//! under, for a person to judge. `tests/corpus/edits.toml` holds such
//! judgements (the same example, or not), and the task reports how far the
//! matching agrees with them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Parser;
use serde::Deserialize;
use snipcheck::baseline::{self, Match};
use snipcheck::report::{FileSummary, Report, SnippetReport, Status};

use crate::corpus::{Document, Manifest, blob, git, read_toml};

/// `cargo xtask corpus-edits [OPTIONS]`.
#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask corpus-edits",
    about = "Follow the corpus documents' Rust examples through their history with the baseline's matching"
)]
struct EditsArgs {
    /// Folder of local git mirrors, one `OWNER+NAME/repo` git directory per repository.
    #[arg(long, value_name = "DIR")]
    mirrors: PathBuf,
    /// How many earlier revisions of each document to compare with.
    #[arg(long, default_value_t = 3)]
    revisions: usize,
    /// Print each edited pair and each unmatched block beside a new one.
    #[arg(long)]
    show: bool,
}

/// `tests/corpus/edits.toml`.
#[derive(Debug, Default, Deserialize)]
struct Judgements {
    #[serde(default)]
    pair: Vec<Judgement>,
}

/// A person's judgement of one old block and one new block.
#[derive(Debug, Deserialize)]
struct Judgement {
    document: String,
    /// The earlier revision (a commit prefix of at least 7 digits).
    old: String,
    old_line: u32,
    new_line: u32,
    /// The new block is the old example (moved and/or edited).
    same: bool,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read by people; kept so the file is checked for it"
    )]
    note: String,
}

/// The figures of one comparison.
#[derive(Debug, Default)]
struct Figures {
    unchanged: usize,
    edited: usize,
    new: usize,
    unmatched: usize,
}

pub fn run(root: &Path, args: Vec<String>) -> Result<i32> {
    let args = EditsArgs::try_parse_from(std::iter::once("corpus-edits".to_string()).chain(args))
        .unwrap_or_else(|e| e.exit());
    let manifest: Manifest = read_toml(&root.join("tests/corpus/manifest.toml"))?;
    let judgements: Judgements = read_toml(&root.join("tests/corpus/edits.toml"))?;
    let mut total = Figures::default();
    let (mut pairs, mut agreed, mut judged) = (0, 0, 0);
    for doc in &manifest.document {
        let git_dir = mirror(&args.mirrors, doc);
        let Some(git_dir) = git_dir else {
            eprintln!("note: {}: no mirror", doc.id);
            continue;
        };
        let new_text = text(&git_dir, &doc.commit, &doc.path)?;
        let new = report_of("doc.md", &new_text);
        for (old_commit, old_path) in history(&git_dir, doc, &new_text, args.revisions) {
            let old_text = text(&git_dir, &old_commit, &old_path)?;
            let old = report_of("doc.md", &old_text);
            let blessed = baseline::bless(&old, None);
            let found = baseline::matches(&new, &blessed);
            let figures = figures(&new, &blessed, &found);
            pairs += 1;
            let short = &old_commit[..10.min(old_commit.len())];
            println!(
                "{:<32} {short}: {} unchanged, {} edited, {} new, {} unmatched",
                doc.id, figures.unchanged, figures.edited, figures.new, figures.unmatched
            );
            if args.show {
                show(&new, &blessed, &found);
            }
            for j in judgements
                .pair
                .iter()
                .filter(|j| j.document == doc.id && old_commit.starts_with(&j.old))
            {
                judged += 1;
                let paired = found.iter().any(|m| {
                    new.snippets[m.row].line == j.new_line
                        && blessed.snippets[m.entry].line == j.old_line
                });
                if paired == j.same {
                    agreed += 1;
                } else {
                    println!(
                        "  disagreement: {} {short}:{} -> {}: judged {}, matched {paired}",
                        doc.id,
                        j.old_line,
                        j.new_line,
                        if j.same { "the same" } else { "different" }
                    );
                }
            }
            total.unchanged += figures.unchanged;
            total.edited += figures.edited;
            total.new += figures.new;
            total.unmatched += figures.unmatched;
        }
    }
    println!(
        "\n{pairs} revision pairs: {} unchanged, {} edited, {} new, {} unmatched; \
         judgements: {agreed}/{judged} agree ({} in the file)",
        total.unchanged,
        total.edited,
        total.new,
        total.unmatched,
        judgements.pair.len()
    );
    Ok(if agreed == judged { 0 } else { 1 })
}

fn mirror(mirrors: &Path, doc: &Document) -> Option<PathBuf> {
    let repo = mirrors.join(doc.repo.replace('/', "+")).join("repo");
    let git_dir = if repo.join(".git").is_dir() {
        repo.join(".git")
    } else {
        repo
    };
    git_dir.is_dir().then_some(git_dir)
}

fn text(git_dir: &Path, commit: &str, path: &str) -> Result<String> {
    let bytes = blob(git_dir, commit, path)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("reading {commit}:{path}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Up to `count` earlier revisions of the document (whose text at the
/// manifest's commit is `current`) whose Rust blocks differ from the next
/// one's, newest first, with the file's path at each.
fn history(git_dir: &Path, doc: &Document, current: &str, count: usize) -> Vec<(String, String)> {
    let Ok(out) = git(
        Some(git_dir),
        &[
            "log",
            "--follow",
            "--format=%H",
            "--name-only",
            &doc.commit,
            "--",
            &doc.path,
        ],
        None,
    ) else {
        return Vec::new();
    };
    let out = String::from_utf8_lossy(&out);
    let mut lines = out.lines().filter(|l| !l.trim().is_empty());
    let mut revisions = Vec::new();
    while let (Some(commit), Some(path)) = (lines.next(), lines.next()) {
        revisions.push((commit.to_string(), path.to_string()));
    }
    let mut previous = rust_blocks(current);
    let mut out = Vec::new();
    for (commit, path) in revisions.into_iter().skip(1) {
        let Ok(old) = text(git_dir, &commit, &path) else {
            continue;
        };
        let blocks = rust_blocks(&old);
        if blocks != previous && !blocks.is_empty() {
            out.push((commit, path));
            previous = blocks;
        }
        if out.len() == count {
            break;
        }
    }
    out
}

fn rust_blocks(text: &str) -> Vec<String> {
    snipcheck::extract::extract(text)
        .into_iter()
        .filter(|b| b.fence.is_rust)
        .map(|b| b.text)
        .collect()
}

/// The report rows the pipeline would make of the document's Rust blocks,
/// with no verdict: what the matching reads.
fn report_of(file: &str, text: &str) -> Report {
    let mut used = BTreeSet::new();
    let snippets: Vec<SnippetReport> = snipcheck::extract::extract(text)
        .into_iter()
        .filter(|b| b.fence.is_rust)
        .map(|b| SnippetReport {
            id: snipcheck::identity::unique_id(&mut used, "doc", &b.info, &b.text).to_string(),
            file: file.to_string(),
            line: b.fence_line,
            headings: b.headings.clone(),
            info: b.info.clone(),
            lang: Some("rust".to_string()),
            rust: true,
            status: Status::Pass,
            expect: Some("pass".to_string()),
            toolchain: Some("stable".to_string()),
            sketch: Some(snipcheck::identity::sketch(&b.text)),
            ..SnippetReport::default()
        })
        .collect();
    Report {
        files: vec![FileSummary {
            file: file.to_string(),
            ..FileSummary::default()
        }],
        snippets,
        ..Report::default()
    }
}

fn figures(new: &Report, old: &baseline::Baseline, found: &[Match]) -> Figures {
    let edited = found.iter().filter(|m| m.edited).count();
    Figures {
        unchanged: found.len() - edited,
        edited,
        new: new.snippets.len() - found.len(),
        unmatched: old.snippets.len() - found.len(),
    }
}

/// Each edited pair, and each unmatched entry beside a new row under the same heading.
fn show(new: &Report, old: &baseline::Baseline, found: &[Match]) {
    for m in found.iter().filter(|m| m.edited) {
        let (row, entry) = (&new.snippets[m.row], &old.snippets[m.entry]);
        let distance = match (&row.sketch, &entry.sketch) {
            (Some(a), Some(b)) => snipcheck::identity::sketch_distance(a, b),
            _ => None,
        };
        let moved = if entry.heading == snipcheck::identity::heading_path(&row.headings) {
            ""
        } else {
            " (another heading)"
        };
        println!(
            "  edited: {} -> {} at distance {}{moved} under `{}`",
            entry.line,
            row.line,
            distance.map_or("?".to_string(), |d| d.to_string()),
            snipcheck::identity::heading_path(&row.headings)
        );
    }
    let matched_rows: BTreeSet<usize> = found.iter().map(|m| m.row).collect();
    let matched_entries: BTreeSet<usize> = found.iter().map(|m| m.entry).collect();
    for (j, entry) in old.snippets.iter().enumerate() {
        if matched_entries.contains(&j) {
            continue;
        }
        // The closest new block, for a person to judge whether it is this example.
        let closest = new
            .snippets
            .iter()
            .enumerate()
            .filter(|(i, _)| !matched_rows.contains(i))
            .filter_map(|(_, row)| {
                let d = snipcheck::identity::sketch_distance(
                    row.sketch.as_deref()?,
                    entry.sketch.as_deref()?,
                )?;
                Some((
                    d,
                    row.line,
                    snipcheck::identity::heading_path(&row.headings),
                ))
            })
            .min();
        match closest {
            Some((d, line, heading)) => println!(
                "  unmatched: {} under `{}`; closest new block {line} at distance {d}{}",
                entry.line,
                entry.heading,
                if heading == entry.heading {
                    " (same heading)"
                } else {
                    ""
                }
            ),
            None => println!("  unmatched: {} under `{}`", entry.line, entry.heading),
        }
    }
}
