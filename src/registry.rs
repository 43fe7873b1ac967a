//! What the crates.io registry knows about a crate: its canonical name, newest
//! version and feature names.
//!
//! Snippets name crates the way code does (`wasm_bindgen`), without versions or
//! features, so every dependency the scratch crate declares has to be checked
//! against the registry first. We ask `cargo info` rather than talking HTTP
//! ourselves: cargo already knows the configured registry, source replacement,
//! proxies and credentials, and it translates `wasm_bindgen` into
//! `wasm-bindgen`. This module never spawns a process itself; the caller hands
//! [`lookup_all`] a closure that runs the command (`crate::cargo::registry_info`),
//! which keeps the module pure enough to unit-test on recorded outputs.
//!
//! Answers are cached in a JSON file (the sandbox's `registry.json`) because a
//! registry query costs a network round trip and documents name the same few
//! crates over and over. Only definite answers (found, not found) are cached,
//! and only for [`DEFAULT_TTL`]; a failed query is retried on the next run.
//!
//! Two quirks of `cargo info` shape the parsing:
//! - Without `--verbose` it summarises long feature lists as `N deactivated
//!   features`, so `crate::cargo::registry_info` passes `--verbose`; an output that is
//!   still summarised is treated as no usable answer rather than as a crate
//!   without those features.
//! - Inside a cargo workspace it describes the version locked there (`version:
//!   2.0.119 (latest 3.0.9)`), so the command must run outside any workspace.
//!   Under `--offline`, a crate missing from the local index cache is reported
//!   exactly like a crate that does not exist; callers that pass `--offline`
//!   should treat [`Lookup::NotFound`] as unreachable.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::fsutil::write_atomic;
use crate::log::Log;
use crate::report::RunProblem;

/// How long a definite registry answer is reused before asking again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// How many registry queries run at the same time.
pub const MAX_PARALLEL_LOOKUPS: usize = 4;

/// The format marker written into the cache file; a file with another marker
/// was written by something else and is ignored.
const CACHE_FORMAT: &str = "snipcheck-registry-cache/1";

/// What the registry says about one crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateInfo {
    /// The canonical package name (`wasm-bindgen` for `wasm_bindgen`).
    pub name: String,
    /// The version `cargo info` described: the newest one when run outside a
    /// workspace.
    pub version: String,
    /// Every feature name the package declares, including `default`.
    pub features: Vec<String>,
}

/// The answer to one registry query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Lookup {
    /// The registry has the crate.
    Found(CrateInfo),
    /// The registry answered and has no crate of that name.
    NotFound,
    /// No usable answer: the registry could not be reached, cargo could not be
    /// run, or its output was not understood. The text says why.
    Unreachable(String),
}

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The cache could not be turned into JSON.
    #[error("failed to serialize the registry cache")]
    Serialize(#[source] serde_json::Error),
    /// The cache file or its directory could not be written.
    #[error("failed to write the registry cache {path}")]
    Write {
        /// The cache file being written.
        path: PathBuf,
        /// The underlying failure, with the path it happened at.
        #[source]
        source: crate::error::Error,
    },
}

/// Interprets one run of `cargo info NAME`.
///
/// `success` is whether the process exited with status zero. A failure that
/// cargo explains as "could not find `NAME` in registry" is [`Lookup::NotFound`]
/// unless it mentions offline mode; every other failure, and any success whose
/// output lacks a version or summarises its feature list, is
/// [`Lookup::Unreachable`] carrying cargo's own explanation.
pub fn parse_cargo_info(success: bool, stdout: &str, stderr: &str) -> Lookup {
    let stdout = strip_ansi(stdout);
    let stderr = strip_ansi(stderr);
    if !success {
        return classify_failure(&stderr);
    }
    let mut lines = stdout.lines().filter(|line| !line.trim().is_empty());
    let Some(header) = lines.next() else {
        return Lookup::Unreachable("cargo info printed nothing".to_owned());
    };
    // The header is the name followed by `#keyword` tags.
    let Some(name) = header.split_whitespace().next() else {
        return Lookup::Unreachable("cargo info printed an empty header".to_owned());
    };
    let mut version = None;
    let mut features = Vec::new();
    let mut in_features = false;
    for line in stdout.lines() {
        if in_features {
            if line.starts_with(' ') {
                let entry = line.trim_start().trim_start_matches('+');
                match entry.split_once('=') {
                    Some((feature, _)) => features.push(feature.trim().to_owned()),
                    None if entry.trim_end().ends_with("features") => {
                        return Lookup::Unreachable(format!(
                            "cargo info summarised the feature list of `{name}` \
                             ({}); run it with --verbose",
                            entry.trim()
                        ));
                    }
                    None => {}
                }
                continue;
            }
            in_features = false;
        }
        if let Some(rest) = line.strip_prefix("version:") {
            // Inside a workspace cargo appends `(latest X)`; the first word is
            // the version whose features are listed.
            version = rest.split_whitespace().next().map(str::to_owned);
        } else if line.trim_end() == "features:" {
            in_features = true;
        }
    }
    match version {
        Some(version) => Lookup::Found(CrateInfo {
            name: name.to_owned(),
            version,
            features,
        }),
        None => Lookup::Unreachable(format!(
            "failed to find a version in the cargo info output for `{name}`"
        )),
    }
}

/// Classifies a failed `cargo info` run by its standard error.
fn classify_failure(stderr: &str) -> Lookup {
    let lower = stderr.to_lowercase();
    let offline = lower.contains("offline") || lower.contains("--frozen");
    if !offline && lower.contains("could not find `") && lower.contains(" in registry") {
        return Lookup::NotFound;
    }
    // Keep cargo's own error and causes, without progress lines like
    // `Updating crates.io index`, as the explanation.
    let reason = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("Updating"))
        .filter(|line| !line.starts_with("Downloading") && !line.starts_with("Downloaded"))
        .filter(|line| *line != "Caused by:")
        .map(|line| line.trim_start_matches("error: "))
        .collect::<Vec<_>>()
        .join(": ");
    if reason.is_empty() {
        Lookup::Unreachable("cargo info failed without an explanation".to_owned())
    } else {
        Lookup::Unreachable(reason)
    }
}

/// Removes ANSI escape sequences (`ESC [ ... letter`) in case colour was forced.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.next() == Some('[') {
                for next in chars.by_ref() {
                    if next.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// One cached answer and when it was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheEntry {
    lookup: Lookup,
    /// Seconds since the Unix epoch.
    fetched_at: u64,
}

/// The on-disk shape of the cache.
#[derive(Debug, Serialize, Deserialize)]
struct CacheFile {
    format: String,
    entries: BTreeMap<String, CacheEntry>,
}

/// Registry answers persisted between runs, keyed by the name that was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryCache {
    path: PathBuf,
    ttl: Duration,
    entries: BTreeMap<String, CacheEntry>,
}

impl RegistryCache {
    /// Reads the cache at `path`.
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
        }
    }

    /// Replaces the time after which an answer is asked for again.
    pub fn with_ttl(mut self, ttl: Duration) -> RegistryCache {
        self.ttl = ttl;
        self
    }

    /// The file this cache is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached answer for `name`, if it is still fresh.
    pub fn get(&self, name: &str) -> Option<&Lookup> {
        self.get_at(name, unix_now())
    }

    /// Records an answer obtained now. Unreachable answers are not stored, so
    /// the next run asks again.
    pub fn insert(&mut self, name: &str, lookup: Lookup) {
        self.insert_at(name, lookup, unix_now());
    }

    /// Writes the cache atomically ([`write_atomic`]), so a crash never leaves half a file.
    pub fn save(&self) -> Result<(), RegistryError> {
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

    fn get_at(&self, name: &str, now: u64) -> Option<&Lookup> {
        let entry = self.entries.get(name)?;
        let age = now.saturating_sub(entry.fetched_at);
        let fresh = Duration::from_secs(age) < self.ttl;
        match entry.lookup {
            Lookup::Unreachable(_) => None,
            _ if fresh => Some(&entry.lookup),
            _ => None,
        }
    }

    fn insert_at(&mut self, name: &str, lookup: Lookup, now: u64) {
        if matches!(lookup, Lookup::Unreachable(_)) {
            return;
        }
        self.entries.insert(
            name.to_owned(),
            CacheEntry {
                lookup,
                fetched_at: now,
            },
        );
    }
}

/// Seconds since the Unix epoch; a clock before 1970 counts as the epoch.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// The answers of [`lookup_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookups {
    /// One answer per requested name.
    pub lookups: BTreeMap<String, Lookup>,
    /// How many times `run` was called (names not answered by the cache).
    pub invocations: usize,
}

/// Answers every name in `names`, from the cache when it has a fresh answer
/// and otherwise by calling `run(name)`, which must run `cargo info` for that
/// name (`crate::cargo::registry_info`).
///
/// At most [`MAX_PARALLEL_LOOKUPS`] calls run at once. New definite answers are
/// stored in `cache`; saving it is up to the caller.
pub fn lookup_all(
    cache: &mut RegistryCache,
    names: &BTreeSet<String>,
    run: &(dyn Fn(&str) -> std::io::Result<Output> + Sync),
) -> Lookups {
    let mut lookups = BTreeMap::new();
    let mut missing = Vec::new();
    for name in names {
        match cache.get(name) {
            Some(lookup) => {
                lookups.insert(name.clone(), lookup.clone());
            }
            None => missing.push(name.as_str()),
        }
    }
    let invocations = missing.len();
    let queue = Mutex::new(missing.into_iter());
    let answers = Mutex::new(Vec::with_capacity(invocations));
    let workers = invocations.min(MAX_PARALLEL_LOOKUPS);
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
                    let lookup = match run(name) {
                        Ok(output) => parse_cargo_info(
                            output.status.success(),
                            &String::from_utf8_lossy(&output.stdout),
                            &String::from_utf8_lossy(&output.stderr),
                        ),
                        Err(error) => {
                            Lookup::Unreachable(format!("failed to run cargo info: {error}"))
                        }
                    };
                    if let Ok(mut answers) = answers.lock() {
                        answers.push((name.to_owned(), lookup));
                    }
                }
            });
        }
    });
    let answers = answers
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let now = unix_now();
    for (name, lookup) in answers {
        cache.insert_at(&name, lookup.clone(), now);
        lookups.insert(name, lookup);
    }
    Lookups {
        lookups,
        invocations,
    }
}

/// Runs `cargo info` for a name in a probe folder.
pub type RunInfo<'a> = dyn Fn(&str, &Path) -> std::io::Result<Output> + Sync + 'a;

/// The registry lookups of a run: the cache, where `cargo info` runs, and
/// every answer so far.
#[derive(Debug)]
pub struct Registry {
    cache: RegistryCache,
    probe: PathBuf,
    offline: bool,
    /// Lookup key (`axum`, `axum@0.6`) -> answer; found crates are also keyed by
    /// their canonical package name.
    pub lookups: BTreeMap<String, Lookup>,
}

impl Registry {
    pub fn new(cache: RegistryCache, probe: PathBuf, offline: bool) -> Registry {
        Registry {
            cache,
            probe,
            offline,
            lookups: BTreeMap::new(),
        }
    }

    /// Looks up every key not answered yet: the cache first, then `run(name,
    /// probe folder)`, which runs `cargo info` (`Executor::registry_info`);
    /// returns what it counted and met.
    pub fn lookup(&mut self, run: &RunInfo<'_>, keys: BTreeSet<String>) -> Log {
        let mut log = Log::default();
        let missing: BTreeSet<String> = keys
            .into_iter()
            .filter(|k| !self.lookups.contains_key(k))
            .collect();
        if missing.is_empty() {
            return log;
        }
        let probe = self.probe.clone();
        let run = |name: &str| run(name, &probe);
        let answers = lookup_all(&mut self.cache, &missing, &run);
        log.count("registry", crate::text::to_u32(answers.invocations));
        for (key, mut lookup) in answers.lookups {
            if self.offline && lookup == Lookup::NotFound {
                // Offline, cargo cannot tell a crate it never downloaded from one
                // that does not exist: say so instead of calling it unknown.
                lookup = Lookup::Unreachable(
                    "not in cargo's local copy of the registry (--offline)".to_string(),
                );
            }
            if let Lookup::Found(info) = &lookup
                && !key.contains('@')
                && info.name != key
            {
                self.lookups
                    .entry(info.name.clone())
                    .or_insert_with(|| lookup.clone());
            }
            self.lookups.insert(key, lookup);
        }
        if let Err(error) = self.cache.save() {
            log.problem(RunProblem::environment(None, error.to_string()));
        }
        log
    }

    /// The newest release of a package, when the registry answered.
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
}

#[cfg(test)]
mod tests {
    use super::*;

    // Outputs recorded from cargo 1.95.0 against crates.io.

    const UUID_STDOUT: &str = "\
uuid #guid #unique #uuid
A library to generate and parse UUIDs.
version: 1.29.1
license: Apache-2.0 OR MIT
rust-version: 1.89.0
documentation: https://docs.rs/uuid
repository: https://github.com/uuid-rs/uuid
crates.io: https://crates.io/crates/uuid/1.29.1
features:
 +default               = [std]
  std                   = [wasm-bindgen?/std, js-sys?/std]
  arbitrary             = [dep:arbitrary]
  atomic                = [dep:atomic]
  borsh                 = [dep:borsh, dep:borsh-derive]
  bytemuck              = [dep:bytemuck]
  fast-rng              = [rng, dep:rand]
  js                    = [dep:wasm-bindgen, dep:js-sys]
  macro-diagnostics     = []
  md5                   = [dep:md-5]
  rng                   = [dep:getrandom]
  rng-getrandom         = [rng, dep:getrandom, uuid-rng-internal-lib, uuid-rng-internal-lib/getrandom]
  rng-rand              = [rng, dep:rand, uuid-rng-internal-lib, uuid-rng-internal-lib/rand]
  serde                 = [dep:serde_core]
  sha1                  = [dep:sha1_smol]
  slog                  = [dep:slog]
  uuid-rng-internal-lib = [dep:uuid-rng-internal-lib]
  v1                    = [atomic]
  v3                    = [md5]
  v4                    = [rng]
  v5                    = [sha1]
  v6                    = [atomic]
  v7                    = [rng]
  v8                    = []
  zerocopy              = [dep:zerocopy]
";

    const WASM_BINDGEN_STDOUT: &str = "\
wasm-bindgen
Easy support for interacting between JS and Rust.
version: 0.2.130
license: MIT OR Apache-2.0
rust-version: 1.81
documentation: https://docs.rs/wasm-bindgen
homepage: https://wasm-bindgen.github.io/wasm-bindgen
repository: https://github.com/wasm-bindgen/wasm-bindgen
crates.io: https://crates.io/crates/wasm-bindgen/0.2.130
features:
 +default                             = [std]
  std                                 = []
  enable-interning                    = [std]
  gg-alloc                            = []
  msrv                                = []
  rustversion                         = []
  serde                               = [dep:serde]
  serde-serialize                     = [serde, serde_json, std]
  serde_json                          = [dep:serde_json]
  spans                               = []
  strict-macro                        = [wasm-bindgen-macro/strict-macro]
  xxx_debug_only_print_generated_code = []
";

    const WASM_BINDGEN_STDERR: &str = "    Updating crates.io index
warning: translating `wasm_bindgen` to `wasm-bindgen`
";

    /// `cargo info --verbose serde`: the feature list is followed by the
    /// dependencies, which must not be mistaken for features.
    const SERDE_VERBOSE_STDOUT: &str = "\
serde #serde #serialization #no_std
A generic serialization/deserialization framework
version: 1.0.229
license: MIT OR Apache-2.0
rust-version: 1.56
documentation: https://docs.rs/serde
homepage: https://serde.rs
repository: https://github.com/serde-rs/serde
crates.io: https://crates.io/crates/serde/1.0.229
features:
 +default      = [std]
  std          = [serde_core/std]
  alloc        = [serde_core/alloc]
  derive       = [serde_derive]
  rc           = [serde_core/rc]
  serde_derive = [dep:serde_derive]
  unstable     = [serde_core/unstable]
dependencies:
 +serde_core@=1.0.229
  serde_derive@1
";

    /// `cargo info web-sys` without `--verbose` summarises its 1727 features.
    const WEB_SYS_STDOUT: &str = "\
web-sys
Bindings for all Web APIs, a procedurally generated crate from WebIDL
version: 0.3.107
license: MIT OR Apache-2.0
rust-version: 1.81
documentation: https://wasm-bindgen.github.io/wasm-bindgen/api/web_sys/
homepage: https://wasm-bindgen.github.io/wasm-bindgen/web-sys/index.html
repository: https://github.com/wasm-bindgen/wasm-bindgen/tree/master/crates/web-sys
crates.io: https://crates.io/crates/web-sys/0.3.107
features:
 +default                                        = [std]
  std                                            = [wasm-bindgen/std, js-sys/std]
  1725 deactivated features
";

    /// `cargo info syn` inside a workspace that locks syn 2.
    const SYN_IN_WORKSPACE_STDOUT: &str = "\
syn #macros #syn
Parser for Rust source code
version: 2.0.119 (latest 3.0.9)
license: MIT OR Apache-2.0
features:
 +default      = [derive, parsing, printing, clone-impls, proc-macro]
  clone-impls  = []
  derive       = []
";

    const NOT_FOUND_STDERR: &str = "    Updating crates.io index
error: could not find `no_such_crate_zz` in registry `https://github.com/rust-lang/crates.io-index`
";

    const NETWORK_STDERR: &str = "    Updating crates.io index
error: download of config.json failed

Caused by:
  failed to download from `https://index.crates.io/config.json`

Caused by:
  [7] Could not connect to server (Failed to connect to 127.0.0.1 port 9 after 0 ms: Could not connect to server)
";

    fn features(lookup: &Lookup) -> Vec<&str> {
        match lookup {
            Lookup::Found(info) => info.features.iter().map(String::as_str).collect(),
            other => panic!("expected a found crate, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_found_crate() {
        let lookup = parse_cargo_info(true, UUID_STDOUT, "    Updating crates.io index\n");
        let Lookup::Found(info) = &lookup else {
            panic!("expected a found crate, got {lookup:?}");
        };
        assert_eq!(info.name, "uuid");
        assert_eq!(info.version, "1.29.1");
        assert_eq!(info.features.len(), 25);
        assert_eq!(info.features[..3], ["default", "std", "arbitrary"]);
        assert!(info.features.iter().any(|f| f == "v4"));
        assert!(info.features.iter().any(|f| f == "serde"));
    }

    #[test]
    fn reports_the_canonical_name_after_translation() {
        let lookup = parse_cargo_info(true, WASM_BINDGEN_STDOUT, WASM_BINDGEN_STDERR);
        let Lookup::Found(info) = &lookup else {
            panic!("expected a found crate, got {lookup:?}");
        };
        assert_eq!(
            (info.name.as_str(), info.version.as_str()),
            ("wasm-bindgen", "0.2.130")
        );
        assert!(features(&lookup).contains(&"serde-serialize"));
    }

    #[test]
    fn verbose_dependencies_are_not_features() {
        let lookup = parse_cargo_info(true, SERDE_VERBOSE_STDOUT, "");
        assert_eq!(
            features(&lookup),
            [
                "default",
                "std",
                "alloc",
                "derive",
                "rc",
                "serde_derive",
                "unstable"
            ]
        );
    }

    #[test]
    fn a_summarised_feature_list_is_no_answer() {
        let lookup = parse_cargo_info(true, WEB_SYS_STDOUT, "");
        let Lookup::Unreachable(reason) = lookup else {
            panic!("expected no usable answer, got {lookup:?}");
        };
        assert!(reason.contains("1725 deactivated features"), "{reason}");
        assert!(reason.contains("--verbose"), "{reason}");
    }

    #[test]
    fn a_workspace_locked_version_keeps_the_described_version() {
        let lookup = parse_cargo_info(true, SYN_IN_WORKSPACE_STDOUT, "");
        let Lookup::Found(info) = lookup else {
            panic!("expected a found crate");
        };
        assert_eq!(info.version, "2.0.119");
        assert_eq!(info.features, ["default", "clone-impls", "derive"]);
    }

    #[test]
    fn a_crate_without_features_has_none() {
        let lookup = parse_cargo_info(true, "tiny\nversion: 0.1.0\nlicense: MIT\n", "");
        assert!(features(&lookup).is_empty());
    }

    #[test]
    fn classifies_failures() {
        assert_eq!(
            parse_cargo_info(false, "", NOT_FOUND_STDERR),
            Lookup::NotFound
        );
        assert_eq!(
            parse_cargo_info(false, "", NETWORK_STDERR),
            Lookup::Unreachable(
                "download of config.json failed: failed to download from \
                 `https://index.crates.io/config.json`: [7] Could not connect to server \
                 (Failed to connect to 127.0.0.1 port 9 after 0 ms: Could not connect to server)"
                    .to_owned()
            )
        );
        let offline = "error: could not find `x` in registry `crates-io` (offline mode)\n";
        assert!(matches!(
            parse_cargo_info(false, "", offline),
            Lookup::Unreachable(_)
        ));
        let replaced = "error: failed to query replaced source registry `crates-io`\n";
        assert!(matches!(
            parse_cargo_info(false, "", replaced),
            Lookup::Unreachable(_)
        ));
        assert!(matches!(
            parse_cargo_info(false, "", ""),
            Lookup::Unreachable(_)
        ));
        assert!(matches!(
            parse_cargo_info(true, "", ""),
            Lookup::Unreachable(_)
        ));
        assert!(matches!(
            parse_cargo_info(true, "x\nno version\n", ""),
            Lookup::Unreachable(_)
        ));
    }

    #[test]
    fn colour_codes_are_ignored() {
        let coloured = "\u{1b}[1m\u{1b}[32mtiny\u{1b}[0m\nversion: \u{1b}[1m0.1.0\u{1b}[0m\nfeatures:\n  \u{1b}[1mfast\u{1b}[0m = []\n";
        let lookup = parse_cargo_info(true, coloured, "");
        assert_eq!(
            lookup,
            Lookup::Found(CrateInfo {
                name: "tiny".to_owned(),
                version: "0.1.0".to_owned(),
                features: vec!["fast".to_owned()],
            })
        );
    }

    fn found(name: &str) -> Lookup {
        Lookup::Found(CrateInfo {
            name: name.to_owned(),
            version: "1.0.0".to_owned(),
            features: vec!["default".to_owned()],
        })
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
    fn the_cache_round_trips_and_saves_atomically() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("nested").join("registry.json");
        let mut cache = RegistryCache::load(&path);
        cache.insert("uuid", found("uuid"));
        cache.insert("zzz", Lookup::NotFound);
        cache.insert("offline", Lookup::Unreachable("no network".to_owned()));
        cache.save().expect("save");
        // Only the cache file remains: the temporary file was renamed over it.
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("parent"))
            .expect("read dir")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["registry.json"]);
        let loaded = RegistryCache::load(&path);
        assert_eq!(loaded, cache);
        assert_eq!(loaded.get("uuid"), Some(&found("uuid")));
        assert_eq!(loaded.get("zzz"), Some(&Lookup::NotFound));
        assert_eq!(loaded.get("offline"), None);
        // Saving again replaces the file.
        cache.insert("serde", found("serde"));
        cache.save().expect("save again");
        assert_eq!(
            RegistryCache::load(&path).get("serde"),
            Some(&found("serde"))
        );
    }

    #[test]
    fn saving_into_an_unwritable_place_fails() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").expect("write");
        let cache = RegistryCache::load(blocker.join("registry.json"));
        let error = cache.save().expect_err("a file is not a directory");
        assert!(
            error
                .to_string()
                .starts_with("failed to write the registry cache")
        );
    }

    #[test]
    fn entries_expire_after_the_ttl() {
        let mut cache = RegistryCache::load("unused.json").with_ttl(Duration::from_secs(100));
        cache.insert_at("uuid", found("uuid"), 1_000);
        assert!(cache.get_at("uuid", 1_000).is_some());
        assert!(cache.get_at("uuid", 1_099).is_some());
        assert!(cache.get_at("uuid", 1_100).is_none());
        // A clock that went backwards keeps the entry.
        assert!(cache.get_at("uuid", 10).is_some());
    }

    fn output(success: bool, stdout: &str, stderr: &str) -> Output {
        #[cfg(unix)]
        let status = {
            use std::os::unix::process::ExitStatusExt;
            std::process::ExitStatus::from_raw(if success { 0 } else { 101 << 8 })
        };
        #[cfg(windows)]
        let status = {
            use std::os::windows::process::ExitStatusExt;
            std::process::ExitStatus::from_raw(if success { 0 } else { 101 })
        };
        Output {
            status,
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
        }
    }

    #[test]
    fn lookup_all_uses_the_cache_and_runs_the_rest_in_parallel() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut cache = RegistryCache::load(dir.path().join("registry.json"));
        cache.insert("cached", found("cached"));
        cache.insert("stale", found("stale"));
        if let Some(entry) = cache.entries.get_mut("stale") {
            entry.fetched_at = 0;
        }
        let names: BTreeSet<String> = [
            "cached",
            "stale",
            "uuid",
            "wasm_bindgen",
            "no_such",
            "down",
            "broken",
            "a",
            "b",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let running = std::sync::atomic::AtomicUsize::new(0);
        let most = std::sync::atomic::AtomicUsize::new(0);
        let calls = Mutex::new(Vec::new());
        let run = |name: &str| -> std::io::Result<Output> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = running.fetch_add(1, SeqCst) + 1;
            most.fetch_max(now, SeqCst);
            std::thread::sleep(Duration::from_millis(20));
            running.fetch_sub(1, SeqCst);
            calls.lock().expect("lock").push(name.to_owned());
            match name {
                "uuid" => Ok(output(true, UUID_STDOUT, "")),
                "wasm_bindgen" => Ok(output(true, WASM_BINDGEN_STDOUT, WASM_BINDGEN_STDERR)),
                "no_such" => Ok(output(false, "", NOT_FOUND_STDERR)),
                "down" => Ok(output(false, "", NETWORK_STDERR)),
                "broken" => Err(std::io::Error::other("cargo is missing")),
                other => Ok(output(true, &format!("{other}\nversion: 1.0.0\n"), "")),
            }
        };
        let answers = lookup_all(&mut cache, &names, &run);
        assert_eq!(answers.invocations, 8);
        assert_eq!(calls.lock().expect("lock").len(), 8);
        assert!(most.load(std::sync::atomic::Ordering::SeqCst) <= MAX_PARALLEL_LOOKUPS);
        assert_eq!(answers.lookups.len(), names.len());
        assert_eq!(answers.lookups["cached"], found("cached"));
        assert_eq!(answers.lookups["no_such"], Lookup::NotFound);
        assert!(matches!(&answers.lookups["down"], Lookup::Unreachable(_)));
        assert_eq!(
            answers.lookups["broken"],
            Lookup::Unreachable("failed to run cargo info: cargo is missing".to_owned())
        );
        let Lookup::Found(info) = &answers.lookups["wasm_bindgen"] else {
            panic!("expected wasm-bindgen to be found");
        };
        assert_eq!(info.name, "wasm-bindgen");
        // Definite answers are now cached; failures are not.
        assert!(cache.get("uuid").is_some());
        assert!(cache.get("no_such").is_some());
        assert!(cache.get("stale").is_some());
        assert!(cache.get("down").is_none());
        assert!(cache.get("broken").is_none());
        // A second round only retries what failed.
        let again = lookup_all(&mut cache, &names, &run);
        assert_eq!(again.invocations, 2);
    }
}
