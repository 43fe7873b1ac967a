//! What the crates.io registry knows about a crate: its canonical name, its
//! published releases (yanked or not, pre-release or not, the `rust-version`
//! and features of each), and which of them a reader who adds the crate gets.
//!
//! Snippets name crates the way code does (`wasm_bindgen`), without versions or
//! features, so every dependency the scratch crate declares has to be checked
//! against the registry first. The facts come from the registry's index, the
//! interface cargo itself reads (one file of JSON lines per crate), parsed by
//! the `crates-index` crate; `crate::crates_io` moves the bytes and is handed
//! to [`Registry::lookup`] as closures ([`Source`]), so this module can be
//! tested on recorded index entries (`tests/fixtures/registry/`).
//!
//! "The newest release" is what cargo gives a reader who adds the crate
//! ([`CrateFacts::newest`]): the newest release that is neither yanked nor a
//! pre-release and whose `rust-version` the toolchain meets (the newest
//! stable one when none does); a pre-release only when the crate has nothing
//! else. A pin or a declared dependency asks for other releases
//! (`name@requirement` keys, [`CrateFacts::matching`]).
//!
//! Index entries are kept in the sandbox (`registry.json` for what was asked
//! and when, `registry/<name>` for each crate's index file) because a request
//! costs a round trip and documents name the same few crates over and over.
//! An entry younger than [`DEFAULT_TTL`] is used without asking; an older one
//! is revalidated with its `ETag`. Without the network (`--offline`, or a
//! request that fails) the entries at hand are used whatever their age, then
//! cargo's own copy of the index, so a run after one online run gets the same
//! facts offline.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crates_index::Crate;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

use crate::crates_io::{Fetched, Validators};
use crate::fsutil::write_atomic;
use crate::log::Log;
use crate::report::RunProblem;

/// How long an index entry is used before it is revalidated.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How many crates are looked up at the same time.
pub const MAX_PARALLEL_LOOKUPS: usize = 4;

/// How many spellings of a name (`-` and `_` exchanged) are tried.
const MAX_SPELLINGS: usize = 4;

/// The format marker written into the cache file; a file with another marker
/// was written by something else (or by the `cargo info` era) and is ignored.
const CACHE_FORMAT: &str = "snipcheck-registry-cache/2";

/// What the registry says about one crate, at the release a lookup key chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateInfo {
    /// The canonical package name (`wasm-bindgen` for `wasm_bindgen`).
    pub name: String,
    /// The chosen release: for a bare name, what cargo gives a reader.
    pub version: String,
    /// Every feature name that release declares (`default` included, and the
    /// implicit features of optional dependencies), sorted.
    pub features: Vec<String>,
    /// The chosen release is a pre-release although nobody asked for one: the
    /// crate has no stable release that is not yanked.
    #[serde(default)]
    pub pre_release: bool,
}

/// The answer to one registry query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookup {
    /// The registry has the crate (and, for `name@requirement`, a matching release).
    Found(CrateInfo),
    /// The registry answered and has no crate of that name (or no release
    /// matching the requirement).
    NotFound,
    /// No usable answer: the registry could not be reached and no copy of its
    /// entry is at hand. The text says why.
    Unreachable(String),
}

/// One published release of a crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: Version,
    pub yanked: bool,
    /// The `rust-version` it declares.
    pub rust_version: Option<Version>,
    /// Its feature names, sorted.
    pub features: Vec<String>,
    /// The native library it links (`links`).
    pub links: Option<String>,
}

impl Release {
    fn usable(&self) -> bool {
        !self.yanked
    }

    fn stable(&self) -> bool {
        !self.yanked && self.version.pre.is_empty()
    }
}

/// Every release of one crate, as the index lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateFacts {
    /// The canonical name, as published.
    pub name: String,
    /// Oldest first, by version.
    pub releases: Vec<Release>,
}

impl CrateFacts {
    /// The facts of a crate file of the index (JSON lines).
    pub fn from_index(bytes: &[u8]) -> std::io::Result<CrateFacts> {
        Crate::from_slice(bytes).map(|krate| CrateFacts::from_crate(&krate))
    }

    /// The facts of an entry `crates-index` read.
    pub fn from_crate(krate: &Crate) -> CrateFacts {
        let mut releases: Vec<Release> = krate
            .versions()
            .iter()
            .filter_map(|v| {
                Some(Release {
                    version: Version::parse(v.version()).ok()?,
                    yanked: v.is_yanked(),
                    rust_version: v.rust_version().and_then(partial_version),
                    features: feature_names(v),
                    links: v.links().map(str::to_owned),
                })
            })
            .collect();
        releases.sort_by(|a, b| a.version.cmp(&b.version));
        CrateFacts {
            name: krate.name().to_owned(),
            releases,
        }
    }

    /// What cargo gives a reader who adds the crate on toolchain `rustc`:
    /// the newest stable release that is not yanked and whose `rust-version`
    /// `rustc` meets, else the newest stable one, else (a crate with only
    /// pre-releases) the newest pre-release that is not yanked.
    pub fn newest(&self, rustc: Option<&Version>) -> Option<&Release> {
        let mut stable = self.releases.iter().rev().filter(|r| r.stable());
        let fits = |r: &&Release| match (rustc, &r.rust_version) {
            (Some(rustc), Some(needs)) => needs <= rustc,
            _ => true,
        };
        stable
            .clone()
            .find(fits)
            .or_else(|| stable.next())
            .or_else(|| self.releases.iter().rev().find(|r| r.usable()))
    }

    /// The release a `name@spec` key asks for: a whole version is that exact
    /// release, anything else a requirement (`0.6` is `^0.6`), answered by its
    /// newest match; yanked releases never, pre-releases only when `spec`
    /// names one.
    pub fn matching(&self, spec: &str) -> Option<&Release> {
        let spec = spec.trim();
        if let Ok(exact) = Version::parse(spec.trim_start_matches('=')) {
            return self
                .releases
                .iter()
                .find(|r| r.usable() && r.version == exact);
        }
        let req = VersionReq::parse(spec).ok()?;
        self.releases
            .iter()
            .rev()
            .find(|r| r.usable() && req.matches(&r.version))
    }

    /// The newest stable release of each release series (`0.7`, `0.8`, `1`,
    /// `2`) that has one not yanked, newest series first.
    pub fn series(&self) -> Vec<&Release> {
        let mut seen = BTreeSet::new();
        self.releases
            .iter()
            .rev()
            .filter(|r| r.stable())
            .filter(|r| seen.insert(series_of(&r.version)))
            .collect()
    }

    /// The oldest stable release, not yanked, of `version`'s series.
    pub fn first_of_series(&self, version: &Version) -> Option<&Release> {
        let series = series_of(version);
        self.releases
            .iter()
            .find(|r| r.stable() && series_of(&r.version) == series)
    }
}

/// A release series: caret compatibility, with every `0.0.x` one series.
fn series_of(version: &Version) -> (u64, u64) {
    if version.major > 0 {
        (version.major, 0)
    } else {
        (0, version.minor)
    }
}

/// `1.70` or `1.70.0` (a `rust-version`, or rustc's version without its
/// pre-release part) as a version.
fn partial_version(text: &str) -> Option<Version> {
    let text = text.trim();
    let core = text.split(['-', '+']).next().unwrap_or(text);
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next().flatten()?;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some(Version::new(major, minor, patch))
}

/// The version of `rustc -V` (`rustc 1.95.0 (...)`, `rustc 1.96.0-nightly
/// (...)`), for comparing with `rust-version`.
pub fn rustc_version(rustc_v: &str) -> Option<Version> {
    rustc_v.split_whitespace().nth(1).and_then(partial_version)
}

/// The feature names of a release: its explicit features, and each optional
/// dependency no feature names with `dep:` (cargo makes it a feature).
fn feature_names(version: &crates_index::Version) -> Vec<String> {
    let explicit = version.features();
    let named_with_dep: BTreeSet<&str> = explicit
        .values()
        .flatten()
        .filter_map(|value| value.strip_prefix("dep:"))
        .collect();
    let mut names: BTreeSet<String> = explicit.keys().cloned().collect();
    for dep in version.dependencies().iter().filter(|d| d.is_optional()) {
        if !named_with_dep.contains(dep.name()) {
            names.insert(dep.name().to_owned());
        }
    }
    names.into_iter().collect()
}

/// The spellings of a name the index is asked for, in order: as written,
/// then with `-` and `_` exchanged (`wasm_bindgen` is `wasm-bindgen`).
fn spellings(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for spelling in crates_index::Names::new(name).into_iter().flatten() {
        if out.len() == MAX_SPELLINGS {
            break;
        }
        if !out.contains(&spelling) {
            out.push(spelling);
        }
    }
    if out.is_empty() {
        out.push(name.to_owned());
    }
    out
}

/// A name the index can hold: ASCII letters, digits, `-` and `_`, at most 64.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The cache could not be turned into JSON.
    #[error("failed to serialize the registry cache")]
    Serialize(#[source] serde_json::Error),
    /// The cache file, an entry or its directory could not be written.
    #[error("failed to write the registry cache {path}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying failure, with the path it happened at.
        #[source]
        source: crate::error::Error,
    },
}

/// What is known of one spelling of a name, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheEntry {
    /// `None`: the index has no crate of that name.
    found: Option<Stored>,
    /// Seconds since the Unix epoch.
    fetched_at: u64,
}

/// A crate file kept in the cache folder, and its validators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stored {
    etag: Option<String>,
    last_modified: Option<String>,
}

/// The on-disk shape of the cache's index.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format: String,
    entries: BTreeMap<String, CacheEntry>,
}

/// Index entries persisted between runs, keyed by the (lowercase) name asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCache {
    path: PathBuf,
    ttl: Duration,
    entries: BTreeMap<String, CacheEntry>,
    /// Crate files received this run, written by [`Self::save`].
    received: BTreeMap<String, Vec<u8>>,
}

impl RegistryCache {
    /// Reads the cache at `path` (its crate files are in `registry/` beside it).
    ///
    /// The cache is an optimisation, so a missing, unreadable, corrupt or
    /// foreign file yields an empty cache instead of an error; [`Self::save`]
    /// later overwrites it.
    pub fn load(path: impl Into<PathBuf>) -> RegistryCache {
        let path = path.into();
        let entries = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| serde_json::from_str::<CacheFile>(&text).ok())
            .filter(|file| file.format == CACHE_FORMAT)
            .map(|file| file.entries)
            .unwrap_or_default();
        RegistryCache {
            path,
            ttl: DEFAULT_TTL,
            entries,
            received: BTreeMap::new(),
        }
    }

    /// Replaces the time after which an entry is revalidated.
    pub fn with_ttl(mut self, ttl: Duration) -> RegistryCache {
        self.ttl = ttl;
        self
    }

    /// The file this cache is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the cache holds a crate of that name (in any of its
    /// spellings), whatever the entry's age.
    pub fn knows(&self, name: &str) -> bool {
        spellings(&name.to_ascii_lowercase())
            .iter()
            .any(|s| self.entries.get(s).is_some_and(|e| e.found.is_some()))
    }

    fn body_path(&self, name: &str) -> PathBuf {
        let dir = self.path.parent().unwrap_or_else(|| Path::new("."));
        dir.join("registry").join(name)
    }

    /// The crate file kept for `name`, parsed.
    fn facts(&self, name: &str) -> Option<CrateFacts> {
        match self.received.get(name) {
            Some(body) => CrateFacts::from_index(body).ok(),
            None => CrateFacts::from_index(&std::fs::read(self.body_path(name)).ok()?).ok(),
        }
    }

    fn fresh(&self, entry: &CacheEntry, now: u64) -> bool {
        Duration::from_secs(now.saturating_sub(entry.fetched_at)) < self.ttl
    }

    fn apply(&mut self, update: Update) {
        if let Some(body) = update.body {
            self.received.insert(update.name.clone(), body);
        }
        self.entries.insert(update.name, update.entry);
    }

    /// Writes the crate files received since the last save and then the
    /// cache's index, each atomically ([`write_atomic`]), so a crash never
    /// leaves half a file.
    pub fn save(&mut self) -> Result<(), RegistryError> {
        for (name, body) in std::mem::take(&mut self.received) {
            let path = self.body_path(&name);
            write_atomic(&path, &body).map_err(|source| RegistryError::Write { path, source })?;
        }
        let file = CacheFile {
            format: CACHE_FORMAT.to_owned(),
            entries: self.entries.clone(),
        };
        let json = serde_json::to_string_pretty(&file).map_err(RegistryError::Serialize)?;
        write_atomic(&self.path, format!("{json}\n").as_bytes()).map_err(|source| {
            RegistryError::Write {
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// Seconds since the Unix epoch; a clock before 1970 counts as the epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// Where index entries come from besides the cache: the index over the
/// network (`crate::crates_io::CratesIo::fetch`) and cargo's own copy
/// (`CratesIo::cargo_cached`).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    pub fetch: &'a (dyn Fn(&str, Option<&Validators>) -> Fetched + Sync),
    pub cargo_cached: &'a (dyn Fn(&str) -> Option<Crate> + Sync),
}

impl std::fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Source")
    }
}

/// A change to the cache found by one lookup.
#[derive(Debug)]
struct Update {
    name: String,
    entry: CacheEntry,
    body: Option<Vec<u8>>,
}

/// What one spelling of a name gave.
enum Answer {
    Facts(CrateFacts),
    /// The index has no such crate (`definite`), or, offline, nothing at hand has it.
    Missing {
        definite: bool,
    },
    Unreachable(String),
}

/// Whether a lookup asked the index, and how that went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    NotSent,
    Answered,
    Failed,
}

/// Whether the index may be asked over the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network {
    Online,
    Offline,
}

/// One spelling: the cache when fresh (or offline), else the index, else what
/// is at hand. Returns the answer, the cache change and whether the index was asked.
fn one_spelling(
    cache: &RegistryCache,
    name: &str,
    now: u64,
    network: Network,
    source: Source<'_>,
) -> (Answer, Option<Update>, Request) {
    let entry = cache.entries.get(name);
    // What the cache holds, whatever its age: the crate's file, or that there is none.
    let kept_facts = entry
        .and_then(|e| e.found.as_ref())
        .and_then(|_| cache.facts(name));
    let kept_missing = entry.is_some_and(|e| e.found.is_none());
    let kept = |facts: Option<CrateFacts>| match facts {
        Some(facts) => Some(Answer::Facts(facts)),
        None if kept_missing => Some(Answer::Missing { definite: true }),
        None => None,
    };
    let usable = entry.is_some_and(|e| cache.fresh(e, now) || network == Network::Offline);
    if usable && let Some(answer) = kept(kept_facts.clone()) {
        return (answer, None, Request::NotSent);
    }
    let at_hand = || (source.cargo_cached)(name).map(|k| Answer::Facts(CrateFacts::from_crate(&k)));
    if network == Network::Offline {
        let answer = at_hand().unwrap_or(Answer::Missing { definite: false });
        return (answer, None, Request::NotSent);
    }
    let stored = entry
        .and_then(|e| e.found.clone())
        .filter(|_| kept_facts.is_some());
    let validators = stored.as_ref().map(|s| Validators {
        etag: s.etag.clone(),
        last_modified: s.last_modified.clone(),
    });
    let update = |found: Option<Stored>, body: Option<Vec<u8>>| {
        Some(Update {
            name: name.to_owned(),
            entry: CacheEntry {
                found,
                fetched_at: now,
            },
            body,
        })
    };
    let (answer, change) = match (source.fetch)(name, validators.as_ref()) {
        Fetched::Entry { body, validators } => match CrateFacts::from_index(&body) {
            Ok(facts) => {
                let stored = Stored {
                    etag: validators.etag,
                    last_modified: validators.last_modified,
                };
                (Answer::Facts(facts), update(Some(stored), Some(body)))
            }
            Err(error) => (
                Answer::Unreachable(format!(
                    "the index entry of `{name}` is unreadable: {error}"
                )),
                None,
            ),
        },
        Fetched::NotModified => match kept_facts {
            Some(facts) => (Answer::Facts(facts), update(stored, None)),
            None => (
                Answer::Unreachable(format!(
                    "the index said `{name}` is unchanged, but no copy is at hand"
                )),
                None,
            ),
        },
        Fetched::Missing => (Answer::Missing { definite: true }, update(None, None)),
        Fetched::Failed(reason) => {
            let answer = kept(kept_facts)
                .or_else(at_hand)
                .unwrap_or(Answer::Unreachable(reason));
            return (answer, None, Request::Failed);
        }
    };
    (answer, change, Request::Answered)
}

/// Every spelling of `name` until one is found: the facts (or why not), the
/// cache changes, and how many requests went to the index. Once a request
/// fails (`down`, shared by every lookup of the run), the rest of the run
/// reads only the copies at hand, so a run without the network waits for
/// one failed request per worker, not one per crate and spelling.
fn resolve_name(
    cache: &RegistryCache,
    name: &str,
    now: u64,
    network: Network,
    source: Source<'_>,
    down: &AtomicBool,
) -> (Result<CrateFacts, Lookup>, Vec<Update>, usize) {
    let mut updates = Vec::new();
    let mut requests = 0;
    if !valid_name(name) {
        return (Err(Lookup::NotFound), updates, requests);
    }
    let mut definite = true;
    let mut unreachable = None;
    for spelling in spellings(&name.to_ascii_lowercase()) {
        let network = match network {
            Network::Online if !down.load(Ordering::Relaxed) => Network::Online,
            _ => Network::Offline,
        };
        let (answer, update, request) = one_spelling(cache, &spelling, now, network, source);
        updates.extend(update);
        requests += usize::from(request != Request::NotSent);
        if request == Request::Failed {
            down.store(true, Ordering::Relaxed);
        }
        match answer {
            Answer::Facts(facts) => return (Ok(facts), updates, requests),
            Answer::Missing { definite: d } => definite &= d,
            // Another spelling may still be at hand.
            Answer::Unreachable(reason) => {
                unreachable.get_or_insert(reason);
            }
        }
    }
    let answer = match unreachable {
        Some(reason) => Lookup::Unreachable(reason),
        None if definite => Lookup::NotFound,
        None if network == Network::Offline => Lookup::Unreachable(
            "not in snipcheck's or cargo's copy of the registry index (--offline)".to_owned(),
        ),
        None => Lookup::Unreachable(
            "the registry's index could not be reached, and no copy of the entry is at hand"
                .to_owned(),
        ),
    };
    (Err(answer), updates, requests)
}

/// The answers of [`lookup_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookups {
    /// One answer per requested crate name: its facts, or why there are none.
    pub crates: BTreeMap<String, Result<CrateFacts, Lookup>>,
    /// How many requests went to the index.
    pub requests: usize,
}

/// Looks up every crate in `names`, at most [`MAX_PARALLEL_LOOKUPS`] at once.
/// Changes are recorded in `cache`; saving it is up to the caller.
pub fn lookup_all(
    cache: &mut RegistryCache,
    names: &BTreeSet<String>,
    network: Network,
    source: Source<'_>,
) -> Lookups {
    let now = unix_now();
    let queue = Mutex::new(names.iter());
    let answers = Mutex::new(Vec::with_capacity(names.len()));
    let workers = names.len().min(MAX_PARALLEL_LOOKUPS);
    let reader: &RegistryCache = cache;
    let down = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    // A poisoned lock means another worker panicked; its panic
                    // propagates when the scope ends, so this one just stops.
                    let next = match queue.lock() {
                        Ok(mut queue) => queue.next(),
                        Err(_) => None,
                    };
                    let Some(name) = next else { break };
                    let answer = resolve_name(reader, name, now, network, source, &down);
                    if let Ok(mut answers) = answers.lock() {
                        answers.push((name.clone(), answer));
                    }
                }
            });
        }
    });
    let answers = answers
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut crates = BTreeMap::new();
    let mut requests = 0;
    for (name, (answer, updates, asked)) in answers {
        for update in updates {
            cache.apply(update);
        }
        requests += asked;
        crates.insert(name, answer);
    }
    Lookups { crates, requests }
}

/// The answer to one lookup key (`axum`, `axum@0.6`, `axum@0.6.20`).
fn answer(facts: &CrateFacts, spec: Option<&str>, rustc: Option<&Version>) -> Lookup {
    let release = match spec {
        None => facts.newest(rustc),
        Some(spec) => facts.matching(spec),
    };
    match release {
        Some(release) => Lookup::Found(CrateInfo {
            name: facts.name.clone(),
            version: release.version.to_string(),
            features: release.features.clone(),
            pre_release: spec.is_none() && !release.version.pre.is_empty(),
        }),
        None if spec.is_some() => Lookup::NotFound,
        None => Lookup::Unreachable(format!("every release of `{}` is yanked", facts.name)),
    }
}

/// The registry lookups of a run: the cache, the toolchain releases must
/// suit, and every answer so far.
#[derive(Debug)]
pub struct Registry<'s> {
    cache: RegistryCache,
    source: Source<'s>,
    network: Network,
    /// The version of the primary toolchain's rustc.
    rustc: Option<Version>,
    /// Crate name (as asked, and canonical) -> its facts, or why there are none.
    crates: BTreeMap<String, Result<CrateFacts, Lookup>>,
    /// Lookup key (`axum`, `axum@0.6`) -> answer; found crates are also keyed by
    /// their canonical package name.
    pub lookups: BTreeMap<String, Lookup>,
}

impl<'s> Registry<'s> {
    pub fn new(
        cache: RegistryCache,
        source: Source<'s>,
        network: Network,
        rustc: Option<Version>,
    ) -> Registry<'s> {
        Registry {
            cache,
            source,
            network,
            rustc,
            crates: BTreeMap::new(),
            lookups: BTreeMap::new(),
        }
    }

    /// Answers every key not answered yet: the crate's facts from the cache,
    /// the index or cargo's copy (the [`Source`]), then the release the key asks
    /// for; returns what it counted and met.
    pub fn lookup(&mut self, keys: BTreeSet<String>) -> Log {
        let mut log = Log::default();
        let keys: BTreeSet<String> = keys
            .into_iter()
            .filter(|k| !self.lookups.contains_key(k))
            .collect();
        let missing: BTreeSet<String> = keys
            .iter()
            .map(|k| k.split_once('@').map_or(k.as_str(), |(name, _)| name))
            .filter(|name| !self.crates.contains_key(*name))
            .map(str::to_owned)
            .collect();
        if !missing.is_empty() {
            let answers = lookup_all(&mut self.cache, &missing, self.network, self.source);
            log.count("registry", crate::text::to_u32(answers.requests));
            for (name, answer) in answers.crates {
                if let Ok(facts) = &answer
                    && facts.name != name
                {
                    self.crates
                        .entry(facts.name.clone())
                        .or_insert_with(|| answer.clone());
                }
                self.crates.insert(name, answer);
            }
            if let Err(error) = self.cache.save() {
                log.problem(RunProblem::environment(None, error.to_string()));
            }
        }
        for key in keys {
            let (name, spec) = match key.split_once('@') {
                Some((name, spec)) => (name, Some(spec)),
                None => (key.as_str(), None),
            };
            let lookup = match self.crates.get(name) {
                Some(Ok(facts)) => answer(facts, spec, self.rustc.as_ref()),
                Some(Err(lookup)) => lookup.clone(),
                None => Lookup::Unreachable("the registry was not asked".to_owned()),
            };
            if let (Lookup::Found(info), None) = (&lookup, spec)
                && info.name != name
            {
                self.lookups
                    .entry(info.name.clone())
                    .or_insert_with(|| lookup.clone());
            }
            self.lookups.insert(key, lookup);
        }
        log
    }

    /// The newest release of a package, as a reader who adds it gets it.
    pub fn latest(&self, package: &str) -> Option<String> {
        self.version(package)
    }

    /// The version a lookup key (`axum` or `axum@0.6`) resolved to.
    pub fn version(&self, key: &str) -> Option<String> {
        match self.lookups.get(key) {
            Some(Lookup::Found(info)) => Some(info.version.clone()),
            _ => None,
        }
    }

    /// Every release of a package the registry listed.
    pub fn facts(&self, package: &str) -> Option<&CrateFacts> {
        self.crates
            .get(package)
            .and_then(|answer| answer.as_ref().ok())
    }

    /// The newest release of each series strictly between `low`'s and
    /// `high`'s, none yanked, newest first.
    pub fn series_between(&self, package: &str, low: &str, high: &str) -> Vec<String> {
        let (Some(facts), Ok(low), Ok(high)) = (
            self.facts(package),
            Version::parse(low),
            Version::parse(high),
        ) else {
            return Vec::new();
        };
        let (low, high) = (series_of(&low), series_of(&high));
        facts
            .series()
            .into_iter()
            .filter(|r| series_of(&r.version) > low && series_of(&r.version) < high)
            .map(|r| r.version.to_string())
            .collect()
    }

    /// The newest release, not yanked, of the newest series older than
    /// `version`'s (`0.8.9` -> `0.7.9`, `3.1.0` -> `2.4.1`, `2.0.0` -> `1.6.4`
    /// when 2 follows 1). A 1.x release has none: the step from 0.x to 1.0
    /// declares a stable API, not the drift of an example.
    pub fn previous_series(&self, package: &str, version: &str) -> Option<String> {
        let version = Version::parse(version).ok()?;
        if version.major == 1 {
            return None;
        }
        let series = series_of(&version);
        self.facts(package)?
            .series()
            .into_iter()
            .find(|r| series_of(&r.version) < series)
            .map(|r| r.version.to_string())
    }

    /// The newest pre-release, not yanked, newer than the release a reader
    /// gets (`tauri 3.0.0-alpha.5` beside `2.12.5`), when there is one.
    pub fn newer_pre_release(&self, package: &str) -> Option<String> {
        let latest = Version::parse(&self.latest(package)?).ok()?;
        self.facts(package)?
            .releases
            .iter()
            .rev()
            .find(|r| r.usable() && !r.version.pre.is_empty() && r.version > latest)
            .map(|r| r.version.to_string())
    }

    /// The oldest stable release, not yanked, of `version`'s series.
    pub fn first_of_series(&self, package: &str, version: &str) -> Option<String> {
        let version = Version::parse(version).ok()?;
        self.facts(package)?
            .first_of_series(&version)
            .map(|r| r.version.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    // Index entries trimmed from crates.io (a few releases each, a few
    // features), recorded in November 2026.
    const AXUM: &[u8] = include_bytes!("../tests/fixtures/registry/axum");
    const TAURI: &[u8] = include_bytes!("../tests/fixtures/registry/tauri");
    const ESP_RADIO: &[u8] = include_bytes!("../tests/fixtures/registry/esp-radio");
    const RAND: &[u8] = include_bytes!("../tests/fixtures/registry/rand");
    const WASM_BINDGEN: &[u8] = include_bytes!("../tests/fixtures/registry/wasm-bindgen");

    /// Written for these tests: a crate with pre-releases only, one yanked.
    const ONLY_PRE: &[u8] = br#"{"name":"only-pre","vers":"1.0.0-alpha.1","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":false}
{"name":"only-pre","vers":"1.0.0-alpha.2","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":true}
"#;

    /// Written for these tests: an optional dependency named with `dep:` is
    /// no feature; one never named is.
    const OPTIONAL: &[u8] = br#"{"name":"opt","vers":"0.9.0","deps":[],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{},"yanked":false}
{"name":"opt","vers":"1.2.0","deps":[{"name":"serde","req":"^1","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"},{"name":"log","req":"^0.4","features":[],"optional":true,"default_features":true,"target":null,"kind":"normal"}],"cksum":"0000000000000000000000000000000000000000000000000000000000000000","features":{"default":["std"],"std":[],"serde":["dep:serde"]},"yanked":false,"links":"opt-sys","rust_version":"1.70"}
"#;

    fn facts(bytes: &[u8]) -> CrateFacts {
        CrateFacts::from_index(bytes).expect("a recorded entry parses")
    }

    fn v(text: &str) -> Version {
        Version::parse(text).expect("a version")
    }

    fn newest(bytes: &[u8], rustc: Option<&str>) -> String {
        let rustc = rustc.map(v);
        facts(bytes)
            .newest(rustc.as_ref())
            .map(|r| r.version.to_string())
            .unwrap_or_default()
    }

    fn index(name: &str) -> Option<&'static [u8]> {
        match name {
            "axum" => Some(AXUM),
            "tauri" => Some(TAURI),
            "esp-radio" => Some(ESP_RADIO),
            "rand" => Some(RAND),
            "wasm-bindgen" => Some(WASM_BINDGEN),
            "only-pre" => Some(ONLY_PRE),
            "opt" => Some(OPTIONAL),
            _ => None,
        }
    }

    fn serve(name: &str, _: Option<&Validators>) -> Fetched {
        match index(name) {
            Some(body) => Fetched::Entry {
                body: body.to_vec(),
                validators: Validators {
                    etag: Some(format!("\"{name}-1\"")),
                    last_modified: None,
                },
            },
            None => Fetched::Missing,
        }
    }

    fn network_down(_: &str, _: Option<&Validators>) -> Fetched {
        Fetched::Failed("failed to fetch: network unreachable".to_owned())
    }

    fn nothing_at_hand(_: &str) -> Option<Crate> {
        None
    }

    const ONLINE: Source<'static> = Source {
        fetch: &serve,
        cargo_cached: &nothing_at_hand,
    };

    const DOWN: Source<'static> = Source {
        fetch: &network_down,
        cargo_cached: &nothing_at_hand,
    };

    /// A registry that answers nothing, for the tests of other modules.
    pub(crate) fn offline_registry() -> Registry<'static> {
        Registry::new(
            RegistryCache::load(PathBuf::from("unused.json")),
            DOWN,
            Network::Offline,
            None,
        )
    }

    /// A registry that has looked up `names` in the recorded entries.
    pub(crate) fn recorded_registry(names: &[&str]) -> Registry<'static> {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = RegistryCache::load(dir.path().join("registry.json"));
        let mut registry = Registry::new(cache, ONLINE, Network::Online, None);
        registry.lookup(keys(names));
        registry
    }

    fn keys(keys: &[&str]) -> BTreeSet<String> {
        keys.iter().map(|k| (*k).to_owned()).collect()
    }

    #[test]
    fn the_newest_release_is_the_newest_stable_one_not_yanked() {
        // tauri 3.0.0-alpha.5 and esp-radio 1.0.0-beta.1 are newer, but pre-releases.
        assert_eq!(newest(TAURI, None), "2.12.5");
        assert_eq!(newest(ESP_RADIO, None), "0.18.0");
        assert_eq!(newest(RAND, None), "0.10.4");
        assert_eq!(newest(AXUM, None), "0.8.9");
        // Nothing but pre-releases: the newest one not yanked.
        assert_eq!(newest(ONLY_PRE, None), "1.0.0-alpha.1");
    }

    #[test]
    fn the_newest_release_suits_the_toolchain() {
        assert_eq!(newest(AXUM, Some("1.95.0")), "0.8.9");
        assert_eq!(newest(AXUM, Some("1.79.0")), "0.8.5");
        assert_eq!(newest(AXUM, Some("1.70.0")), "0.7.9");
        assert_eq!(newest(RAND, Some("1.80.0")), "0.9.2");
        // A release without `rust-version` suits every toolchain, as for cargo.
        assert_eq!(newest(AXUM, Some("1.20.0")), "0.5.17");
        // No release suits a toolchain that old: the newest stable one.
        assert_eq!(newest(TAURI, Some("1.50.0")), "2.12.5");
        assert_eq!(
            rustc_version("rustc 1.79.0 (129f3b996 2024-06-10)"),
            Some(v("1.79.0"))
        );
        assert_eq!(
            rustc_version("rustc 1.96.0-nightly (3f5fd8dd4 2026-03-01)"),
            Some(v("1.96.0"))
        );
        assert_eq!(rustc_version("garbage"), None);
    }

    #[test]
    fn a_key_with_a_requirement_gets_its_newest_match_and_never_a_yanked_one() {
        let axum = facts(AXUM);
        let matching = |spec: &str| axum.matching(spec).map(|r| r.version.to_string());
        assert_eq!(matching("0.6").as_deref(), Some("0.6.20"));
        assert_eq!(matching("0.8").as_deref(), Some("0.8.9"));
        assert_eq!(matching("=0.6").as_deref(), Some("0.6.20"));
        assert_eq!(matching("0.7.0").as_deref(), Some("0.7.0"));
        assert_eq!(matching("0.8.2"), None, "yanked");
        assert_eq!(matching("0.5.14"), None, "yanked");
        assert_eq!(matching("0.4"), None, "never published");
        assert_eq!(matching("0.8.0-rc.1").as_deref(), Some("0.8.0-rc.1"));
        let tauri = facts(TAURI);
        assert_eq!(
            tauri
                .matching("3.0.0-alpha.5")
                .map(|r| r.version.to_string())
                .as_deref(),
            Some("3.0.0-alpha.5")
        );
        assert_eq!(
            tauri
                .matching("1")
                .map(|r| r.version.to_string())
                .as_deref(),
            Some("1.6.4"),
            "1.6.5 is yanked"
        );
    }

    #[test]
    fn series_are_read_from_the_published_releases() {
        let axum = facts(AXUM);
        let series: Vec<String> = axum
            .series()
            .iter()
            .map(|r| r.version.to_string())
            .collect();
        assert_eq!(series, ["0.8.9", "0.7.9", "0.6.20", "0.5.17"]);
        let first = |version: &str| {
            axum.first_of_series(&v(version))
                .map(|r| r.version.to_string())
        };
        assert_eq!(first("0.8.9").as_deref(), Some("0.8.0"));
        // 0.5.0 is not among the recorded releases: the oldest that is.
        assert_eq!(first("0.5.17").as_deref(), Some("0.5.13"));
        let tauri = facts(TAURI);
        let series: Vec<String> = tauri
            .series()
            .iter()
            .map(|r| r.version.to_string())
            .collect();
        assert_eq!(
            series,
            ["2.12.5", "1.6.4"],
            "no 3.x but a pre-release, 1.6.5 yanked"
        );
    }

    #[test]
    fn features_links_and_rust_version_come_from_the_entry() {
        let opt = facts(OPTIONAL);
        let release = opt.releases.last().expect("a release");
        assert_eq!(release.features, ["default", "log", "serde", "std"]);
        assert_eq!(release.links.as_deref(), Some("opt-sys"));
        assert_eq!(release.rust_version, Some(v("1.70.0")));
        assert!(CrateFacts::from_index(b"not json").is_err());
        assert!(CrateFacts::from_index(b"").is_err());
    }

    #[test]
    fn a_name_is_asked_in_its_other_spellings_and_answered_canonically() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = RegistryCache::load(dir.path().join("registry.json"));
        let mut registry = Registry::new(cache, ONLINE, Network::Online, None);
        let log = registry.lookup(keys(&["wasm_bindgen", "esp_radio", "no_such"]));
        let Lookup::Found(info) = &registry.lookups["wasm_bindgen"] else {
            panic!("expected wasm-bindgen, got {:?}", registry.lookups);
        };
        assert_eq!(
            (info.name.as_str(), info.version.as_str()),
            ("wasm-bindgen", "0.2.130")
        );
        assert_eq!(registry.latest("wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(registry.latest("esp-radio").as_deref(), Some("0.18.0"));
        assert_eq!(registry.lookups["no_such"], Lookup::NotFound);
        // Two spellings each: `wasm_bindgen` then `wasm-bindgen`, and so on.
        assert_eq!(log.invocations.get("registry"), Some(&6));
    }

    #[test]
    fn only_a_crate_without_stable_releases_gets_a_pre_release_and_says_so() {
        let mut registry = Registry::new(
            RegistryCache::load(tempfile::tempdir().expect("dir").path().join("r.json")),
            ONLINE,
            Network::Online,
            None,
        );
        registry.lookup(keys(&["only-pre", "tauri", "tauri@3.0.0-alpha.5"]));
        let info = |key: &str| match &registry.lookups[key] {
            Lookup::Found(info) => (info.version.clone(), info.pre_release),
            other => panic!("{key}: {other:?}"),
        };
        assert_eq!(info("only-pre"), ("1.0.0-alpha.1".to_owned(), true));
        assert_eq!(info("tauri"), ("2.12.5".to_owned(), false));
        // Asked for, a pre-release is no surprise.
        assert_eq!(
            info("tauri@3.0.0-alpha.5"),
            ("3.0.0-alpha.5".to_owned(), false)
        );
    }

    #[test]
    fn bisection_climbs_published_series_only() {
        let mut registry = Registry::new(
            RegistryCache::load(tempfile::tempdir().expect("dir").path().join("r.json")),
            ONLINE,
            Network::Online,
            None,
        );
        registry.lookup(keys(&["axum", "tauri"]));
        assert_eq!(
            registry.series_between("axum", "0.5.17", "0.8.9"),
            ["0.7.9", "0.6.20"]
        );
        assert!(registry.series_between("axum", "0.7.9", "0.8.9").is_empty());
        // tauri has no 2.x before 2.12.5 among these releases, and no 3.
        assert!(
            registry
                .series_between("tauri", "1.6.4", "2.12.5")
                .is_empty()
        );
        assert_eq!(
            registry.previous_series("axum", "0.8.9").as_deref(),
            Some("0.7.9")
        );
        assert_eq!(
            registry.previous_series("tauri", "2.12.5").as_deref(),
            Some("1.6.4")
        );
        assert_eq!(registry.previous_series("axum", "0.5.17"), None);
        let opt = recorded_registry(&["opt"]);
        assert_eq!(opt.previous_series("opt", "1.2.0"), None, "1.x, not 0.x");
        assert_eq!(
            opt.previous_series("opt", "2.0.0").as_deref(),
            Some("1.2.0")
        );
        assert_eq!(
            registry.first_of_series("axum", "0.8.9").as_deref(),
            Some("0.8.0")
        );
        assert_eq!(registry.first_of_series("unknown", "1.0.0"), None);
        assert_eq!(
            registry.newer_pre_release("tauri").as_deref(),
            Some("3.0.0-alpha.5")
        );
        // axum's 0.8.0-rc.1 is older than 0.8.9.
        assert_eq!(registry.newer_pre_release("axum"), None);
    }

    #[test]
    fn a_run_without_the_network_gets_the_same_facts_after_one_online_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("registry.json");
        let wanted = keys(&["axum", "axum@0.6", "wasm_bindgen", "tauri", "no_such"]);
        let mut online = Registry::new(RegistryCache::load(&path), ONLINE, Network::Online, None);
        online.lookup(wanted.clone());
        // Within the time to live: the cache answers, the index is not asked.
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let counting = |name: &str, known: Option<&Validators>| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            serve(name, known)
        };
        let source = Source {
            fetch: &counting,
            cargo_cached: &nothing_at_hand,
        };
        let mut warm = Registry::new(RegistryCache::load(&path), source, Network::Online, None);
        let log = warm.lookup(wanted.clone());
        assert_eq!(warm.lookups, online.lookups);
        assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(log.invocations.get("registry"), None);
        // Past it, with the network down: the entries at hand, whatever their age.
        let expired = RegistryCache::load(&path).with_ttl(Duration::ZERO);
        let mut down = Registry::new(expired, DOWN, Network::Online, None);
        down.lookup(wanted.clone());
        assert_eq!(down.lookups, online.lookups);
        // And with --offline.
        let mut offline = Registry::new(RegistryCache::load(&path), DOWN, Network::Offline, None);
        let log = offline.lookup(wanted);
        assert_eq!(offline.lookups, online.lookups);
        assert_eq!(log.invocations.get("registry"), None);
    }

    #[test]
    fn an_expired_entry_is_revalidated_with_its_etag() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("registry.json");
        let mut first = Registry::new(RegistryCache::load(&path), ONLINE, Network::Online, None);
        first.lookup(keys(&["rand"]));
        let sent = Mutex::new(Vec::new());
        let unchanged = |name: &str, known: Option<&Validators>| {
            if let Ok(mut sent) = sent.lock() {
                sent.push((name.to_owned(), known.and_then(|k| k.etag.clone())));
            }
            Fetched::NotModified
        };
        let source = Source {
            fetch: &unchanged,
            cargo_cached: &nothing_at_hand,
        };
        let expired = RegistryCache::load(&path).with_ttl(Duration::ZERO);
        let mut again = Registry::new(expired, source, Network::Online, None);
        again.lookup(keys(&["rand"]));
        assert_eq!(again.latest("rand").as_deref(), Some("0.10.4"));
        assert_eq!(
            sent.lock().expect("lock").as_slice(),
            [("rand".to_owned(), Some("\"rand-1\"".to_owned()))]
        );
    }

    #[test]
    fn offline_without_a_copy_is_unreachable_and_cargos_copy_is_read() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("registry.json");
        let mut offline = Registry::new(RegistryCache::load(&path), DOWN, Network::Offline, None);
        offline.lookup(keys(&["axum"]));
        assert!(
            matches!(&offline.lookups["axum"], Lookup::Unreachable(r) if r.contains("--offline")),
            "{:?}",
            offline.lookups
        );
        let cargos = |name: &str| index(name).and_then(|body| Crate::from_slice(body).ok());
        let source = Source {
            fetch: &network_down,
            cargo_cached: &cargos,
        };
        let mut at_hand = Registry::new(RegistryCache::load(&path), source, Network::Offline, None);
        at_hand.lookup(keys(&["axum"]));
        assert_eq!(at_hand.latest("axum").as_deref(), Some("0.8.9"));
        // Online, a failed request falls back to cargo's copy too.
        let mut fallback = Registry::new(RegistryCache::load(&path), source, Network::Online, None);
        fallback.lookup(keys(&["tauri"]));
        assert_eq!(fallback.latest("tauri").as_deref(), Some("2.12.5"));
        let mut down = Registry::new(RegistryCache::load(&path), DOWN, Network::Online, None);
        down.lookup(keys(&["tauri"]));
        assert!(matches!(&down.lookups["tauri"], Lookup::Unreachable(r) if r.contains("network")));
    }

    #[test]
    fn once_the_index_fails_the_run_reads_what_is_at_hand() {
        let asked = std::sync::atomic::AtomicUsize::new(0);
        let failing = |name: &str, known: Option<&Validators>| {
            asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            network_down(name, known)
        };
        let cargos = |name: &str| index(name).and_then(|body| Crate::from_slice(body).ok());
        let source = Source {
            fetch: &failing,
            cargo_cached: &cargos,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = RegistryCache::load(dir.path().join("registry.json"));
        let mut registry = Registry::new(cache, source, Network::Online, None);
        let names = [
            "wasm_bindgen",
            "axum",
            "tauri",
            "rand",
            "esp_radio",
            "opt",
            "only-pre",
            "gone",
        ];
        registry.lookup(keys(&names));
        // The first spelling failed over the network; cargo's copy has the other.
        assert_eq!(registry.latest("wasm_bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(registry.latest("esp_radio").as_deref(), Some("0.18.0"));
        assert_eq!(registry.latest("axum").as_deref(), Some("0.8.9"));
        // Nowhere at hand and the index not asked: unknown, not "no such crate".
        assert!(
            matches!(&registry.lookups["gone"], Lookup::Unreachable(_)),
            "{:?}",
            registry.lookups["gone"]
        );
        let asked = asked.load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            (1..=MAX_PARALLEL_LOOKUPS).contains(&asked),
            "{asked} requests"
        );
    }

    #[test]
    fn a_missing_corrupt_or_foreign_cache_is_empty() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("registry.json");
        assert!(RegistryCache::load(&path).entries.is_empty());
        std::fs::write(&path, "{ not json").expect("write");
        assert!(RegistryCache::load(&path).entries.is_empty());
        std::fs::write(&path, r#"{"format": "something-else", "entries": {}}"#).expect("write");
        assert!(RegistryCache::load(&path).entries.is_empty());
        std::fs::write(&path, "[1, 2, 3]").expect("write");
        assert!(RegistryCache::load(&path).entries.is_empty());
    }

    #[test]
    fn the_cache_keeps_crate_files_beside_it_and_forgets_a_lost_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("registry.json");
        let mut registry = Registry::new(RegistryCache::load(&path), ONLINE, Network::Online, None);
        registry.lookup(keys(&["rand", "nope"]));
        let loaded = RegistryCache::load(&path);
        assert!(loaded.knows("rand") && !loaded.knows("nope"));
        assert_eq!(loaded.facts("rand"), Some(facts(RAND)));
        // A crate file gone (or spoiled) is asked for again.
        std::fs::write(dir.path().join("nested/registry/rand"), "spoiled").expect("write");
        let mut again = Registry::new(RegistryCache::load(&path), DOWN, Network::Offline, None);
        again.lookup(keys(&["rand", "nope"]));
        assert!(matches!(again.lookups["rand"], Lookup::Unreachable(_)));
        assert_eq!(again.lookups["nope"], Lookup::NotFound);
    }

    #[test]
    fn saving_into_an_unwritable_place_fails() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").expect("write");
        let mut cache = RegistryCache::load(blocker.join("registry.json"));
        let error = cache.save().expect_err("a file is not a directory");
        assert!(
            error
                .to_string()
                .starts_with("failed to write the registry cache")
        );
    }

    #[test]
    fn lookups_run_in_parallel_but_never_more_than_the_limit() {
        let running = std::sync::atomic::AtomicUsize::new(0);
        let most = std::sync::atomic::AtomicUsize::new(0);
        let slow = |name: &str, known: Option<&Validators>| {
            use std::sync::atomic::Ordering::SeqCst;
            let now = running.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            running.fetch_sub(1, SeqCst);
            serve(name, known)
        };
        let source = Source {
            fetch: &slow,
            cargo_cached: &nothing_at_hand,
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cache = RegistryCache::load(dir.path().join("registry.json"));
        let names = keys(&[
            "axum",
            "tauri",
            "rand",
            "opt",
            "only-pre",
            "esp-radio",
            "a",
            "b",
        ]);
        let answers = lookup_all(&mut cache, &names, Network::Online, source);
        assert_eq!(answers.crates.len(), names.len());
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= MAX_PARALLEL_LOOKUPS);
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) > 1);
    }
}
