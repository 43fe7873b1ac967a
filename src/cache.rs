//! The result cache: a snippet whose inputs did not change is not rebuilt.
//!
//! The key covers everything that decides a result: the generated source, its
//! edition and targets, the dependency specifications, the toolchain and its
//! exact `rustc -V`, the document's pins (which steer the diagnosis), whether
//! the diagnosis ran, the lint configuration and snipcheck's own version. The
//! value is what the build and the diagnosis said, with the fence line it was
//! recorded at, so a snippet that only moved within its document is reused with
//! its locations shifted. Entries are written atomically; an entry that cannot
//! be read, or whose recorded key differs, is ignored and rebuilt, never trusted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fsutil::write_atomic;
use crate::hash::short_hash;
use crate::report::{Dependency, Diagnostic, Evidence, Status};
use crate::taxonomy::Cause;

/// Bump when the meaning of a cached outcome changes (2: a build whose only
/// errors name what the environment lacks is `build-env`, no longer
/// diagnosed; 3: causes proven error by error, evidence with `not_built`
/// and `explains`; 4: messages without scratch paths, a file a compile-time
/// read does not find is `build-env`).
const FORMAT: &str = "snipcheck-result-cache/4";

/// The lints a build runs with: part of the key, so changing them rebuilds.
pub const LINT_CONFIGURATION: &str = "clippy-default;allow(unused)";

/// A cache key: the hex SHA-256 of every input, in order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// Hashes the inputs, each length-prefixed so no two lists collide.
    pub fn of(parts: &[&str]) -> Key {
        let lengths: Vec<[u8; 8]> = parts
            .iter()
            .map(|part| (part.len() as u64).to_le_bytes())
            .collect();
        let head = [FORMAT.as_bytes(), env!("CARGO_PKG_VERSION").as_bytes()];
        let body = lengths
            .iter()
            .zip(parts)
            .flat_map(|(length, part)| [length.as_slice(), part.as_bytes()]);
        Key(short_hash(head.into_iter().chain(body), 32))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a build (and the diagnosis) said about one snippet on one toolchain.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Outcome {
    /// The fence line the locations below were recorded at.
    pub fence_line: u32,
    pub status: Status,
    pub cause: Option<Cause>,
    pub other_causes: Vec<Cause>,
    pub evidence: Vec<Evidence>,
    pub suggestion: Option<String>,
    pub dependencies: Vec<Dependency>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    /// The outcome for the same snippet now fenced at `fence_line` of `file`.
    pub fn moved_to(mut self, file: &str, fence_line: u32) -> Outcome {
        let delta = i64::from(fence_line) - i64::from(self.fence_line);
        if delta == 0 {
            return self;
        }
        let shift = |line: u32| u32::try_from(i64::from(line) + delta).unwrap_or(line);
        for diagnostic in &mut self.diagnostics {
            diagnostic.line = shift(diagnostic.line);
            diagnostic.end_line = shift(diagnostic.end_line);
        }
        let prefix = format!("{file}:");
        for evidence in &mut self.evidence {
            for remaining in &mut evidence.remaining {
                // `file:line:column: message`, as experiments write them.
                let Some(rest) = remaining.strip_prefix(&prefix) else {
                    continue;
                };
                let Some((line, tail)) = rest.split_once(':') else {
                    continue;
                };
                let Ok(line) = line.parse::<u32>() else {
                    continue;
                };
                *remaining = format!("{prefix}{}:{tail}", shift(line));
            }
        }
        self.fence_line = fence_line;
        self
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    format: String,
    key: String,
    outcome: Outcome,
}

/// The cache folder of a sandbox.
#[derive(Debug, Clone)]
pub struct ResultCache {
    dir: PathBuf,
}

impl ResultCache {
    pub fn new(dir: impl Into<PathBuf>) -> ResultCache {
        ResultCache { dir: dir.into() }
    }

    fn path(&self, key: &Key) -> PathBuf {
        let (shard, rest) = key.0.split_at(2.min(key.0.len()));
        self.dir.join(shard).join(format!("{rest}.json"))
    }

    /// The stored outcome, when there is a readable entry for exactly this key.
    pub fn get(&self, key: &Key) -> Option<Outcome> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let stored: Stored = serde_json::from_str(&text).ok()?;
        (stored.format == FORMAT && stored.key == key.0).then_some(stored.outcome)
    }

    pub fn put(&self, key: &Key, outcome: &Outcome) -> Result<()> {
        let stored = Stored {
            format: FORMAT.to_string(),
            key: key.0.clone(),
            outcome: outcome.clone(),
        };
        let text = serde_json::to_string(&stored).map_err(|e| crate::error::Error::Serialize {
            what: "a cache entry",
            source: Box::new(e),
        })?;
        write_atomic(&self.path(key), text.as_bytes())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Which snippets failed to compile when last built, on any toolchain: a hint
/// for the planner, never a result. Its keys leave the toolchain out, so they
/// outlive a new nightly or a rustc update, which change every result key: a
/// nightly job is cold for the new toolchain every day, yet its failures are
/// mostly yesterday's. The planner gives these snippets merged crates of their
/// own, so the crates of the others build clean in one pass, lints included,
/// and builds alone at once those whose merged result could not stand.
/// Grouping never changes a result, so a stale or corrupt hint costs time only.
#[derive(Debug)]
pub struct FailureHints {
    path: PathBuf,
    failing: BTreeSet<String>,
    /// Of `failing`, those that had to be rebuilt alone.
    alone: BTreeSet<String>,
}

/// Most hints kept: bounds the file when snippets come and go for years.
const MAX_HINTS: usize = 100_000;

const HINTS_FORMAT: &str = "snipcheck-failure-hints/1";

#[derive(Deserialize)]
struct StoredHints {
    format: String,
    failing: BTreeSet<String>,
    alone: BTreeSet<String>,
}

#[derive(Serialize)]
struct StoringHints<'h> {
    format: &'h str,
    failing: &'h BTreeSet<String>,
    alone: &'h BTreeSet<String>,
}

impl FailureHints {
    /// The hints at `path`; none when it is missing, unreadable or foreign.
    pub fn load(path: impl Into<PathBuf>) -> FailureHints {
        let path = path.into();
        let (failing, alone) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<StoredHints>(&text).ok())
            .filter(|stored| stored.format == HINTS_FORMAT)
            .map(|stored| (stored.failing, stored.alone))
            .unwrap_or_default();
        FailureHints {
            path,
            failing,
            alone,
        }
    }

    /// The hint key of a build input: the generated source and what the crate
    /// is built with, but not the toolchain.
    pub fn key(group_key: &str, source: &str) -> String {
        Key::of(&["failure-hint", group_key, source]).0
    }

    pub fn failed_before(&self, key: &str) -> bool {
        self.failing.contains(key)
    }

    /// Whether the snippet failed and its merged result could not stand.
    pub fn built_alone_before(&self, key: &str) -> bool {
        self.alone.contains(key)
    }

    /// Records this run: of the snippets it `built`, which `failed`, and which
    /// of those it rebuilt `alone`. Hints of snippets it did not build
    /// (another shard's) are kept.
    pub fn record(
        &mut self,
        built: &BTreeSet<String>,
        failed: &BTreeSet<String>,
        alone: &BTreeSet<String>,
    ) -> Result<()> {
        self.failing.retain(|key| !built.contains(key));
        self.alone.retain(|key| !built.contains(key));
        self.failing.extend(failed.iter().cloned());
        self.alone
            .extend(alone.iter().filter(|key| failed.contains(*key)).cloned());
        while self.failing.len() > MAX_HINTS {
            if let Some(key) = self.failing.pop_first() {
                self.alone.remove(&key);
            }
        }
        let text = serde_json::to_string(&StoringHints {
            format: HINTS_FORMAT,
            failing: &self.failing,
            alone: &self.alone,
        })
        .map_err(|e| crate::error::Error::Serialize {
            what: "the failure hints",
            source: Box::new(e),
        })?;
        write_atomic(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_spelled_as_before() {
        // The key as it was computed before the hash helper existed.
        use sha2::{Digest, Sha256};
        let parts = ["fn main() {}\n", "", "stable", "rustc 1.90.0"];
        let mut hasher = Sha256::new();
        hasher.update(FORMAT.as_bytes());
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        for part in parts {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let expected: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(Key::of(&parts).as_str(), expected);
        assert_eq!(Key::of(&[]).as_str().len(), 64);
        assert_ne!(Key::of(&["ab", ""]), Key::of(&["a", "b"]));
    }

    fn outcome() -> Outcome {
        Outcome {
            fence_line: 10,
            status: Status::Fail,
            cause: Some(Cause::Placeholder),
            other_causes: vec![],
            evidence: vec![Evidence {
                variant: "with stubs for x".into(),
                toolchain: "stable".into(),
                passed: false,
                tests: Cause::Placeholder,
                remaining: vec!["docs/a.md:12:5: error[E0425]: cannot find value `x`".into()],
                not_built: None,
                explains: vec![],
            }],
            suggestion: Some("define `x`".into()),
            dependencies: vec![],
            diagnostics: vec![Diagnostic {
                level: "error".into(),
                code: Some("E0425".into()),
                message: "cannot find value `x` in this scope".into(),
                file: "docs/a.md".into(),
                line: 12,
                column: 5,
                end_line: 12,
                end_column: 6,
                ..Default::default()
            }],
        }
    }

    #[test]
    fn keys_cover_every_part_and_their_boundaries() {
        assert_eq!(Key::of(&["a", "b"]), Key::of(&["a", "b"]));
        assert_ne!(Key::of(&["a", "b"]), Key::of(&["ab", ""]));
        assert_ne!(Key::of(&["a", "b"]), Key::of(&["a", "c"]));
        assert_eq!(Key::of(&["x"]).as_str().len(), 64);
    }

    #[test]
    fn entries_round_trip_and_bad_ones_are_ignored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = ResultCache::new(dir.path());
        let key = Key::of(&["snippet"]);
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &outcome()).expect("stored");
        assert_eq!(cache.get(&key), Some(outcome()));
        // A corrupt entry is a miss.
        std::fs::write(cache.path(&key), "{ not json").expect("write");
        assert_eq!(cache.get(&key), None);
        // So is a foreign one: an entry stored under another key.
        let other = Key::of(&["other"]);
        cache.put(&other, &outcome()).expect("stored");
        let text = std::fs::read_to_string(cache.path(&other)).expect("read");
        std::fs::write(cache.path(&key), text).expect("write");
        assert_eq!(cache.get(&key), None);
    }

    #[test]
    fn a_moved_snippet_keeps_its_outcome_at_its_new_lines() {
        let moved = outcome().moved_to("docs/a.md", 13);
        assert_eq!(moved.fence_line, 13);
        assert_eq!(
            (moved.diagnostics[0].line, moved.diagnostics[0].end_line),
            (15, 15)
        );
        assert_eq!(
            moved.evidence[0].remaining[0],
            "docs/a.md:15:5: error[E0425]: cannot find value `x`"
        );
        assert_eq!(outcome().moved_to("docs/a.md", 10), outcome());
    }

    #[test]
    fn failure_hints_round_trip_keep_other_shards_and_ignore_corruption() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hints.json");
        let set = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect::<BTreeSet<_>>();
        let mut hints = FailureHints::load(&path);
        assert!(!hints.failed_before("a"));
        hints
            .record(&set(&["a", "b", "c"]), &set(&["a", "b"]), &set(&["b", "c"]))
            .expect("record");
        let mut hints = FailureHints::load(&path);
        assert!(hints.failed_before("a") && hints.failed_before("b"));
        assert!(!hints.failed_before("c"));
        assert!(hints.built_alone_before("b"));
        // `c` never failed: it is no hint to build alone.
        assert!(!hints.built_alone_before("c"));
        // Another shard built only `b`, and it passed: `a` is kept.
        hints
            .record(&set(&["b"]), &set(&[]), &set(&[]))
            .expect("record");
        let hints = FailureHints::load(&path);
        assert!(hints.failed_before("a"));
        assert!(!hints.failed_before("b") && !hints.built_alone_before("b"));
        std::fs::write(&path, "{ corrupt").expect("write");
        assert!(!FailureHints::load(&path).failed_before("a"));
        // The key leaves the toolchain out but not the source or the crate setup.
        assert_eq!(FailureHints::key("k", "src"), FailureHints::key("k", "src"));
        assert_ne!(
            FailureHints::key("k", "src"),
            FailureHints::key("k2", "src")
        );
        assert_ne!(
            FailureHints::key("k", "src"),
            FailureHints::key("k", "src2")
        );
    }
}
