//! What the documents and the configuration say about versions and features.
//!
//! [`crate::deps`] infers which crates a snippet needs from its code, and the
//! registry supplies the newest release. That is right for most snippets but
//! wrong for a document written against `axum 0.6`, or one whose example needs
//! `tokio`'s `full` feature for reasons the code does not show. Authors already
//! say such things in four places, and this module reads all of them:
//!
//! 1. ```` ```toml ```` blocks that hold a Cargo manifest or a `[dependencies]`
//!    fragment ([`pins_from_toml_block`]);
//! 2. cargo-script frontmatter at the top of a snippet (RFC 3503,
//!    [`frontmatter`]);
//! 3. `dep=NAME@REQ+feature` tokens in a fence's info string
//!    ([`pins_from_info_tokens`]);
//! 4. the `snipcheck.toml` configuration, globally, per file and per snippet
//!    ([`parse_config`], [`Config::pins_for`]).
//!
//! The configuration's `[policy]` table ([`Policy`]), which says what crates
//! documents may make a run build at all, is read here with the rest of
//! `snipcheck.toml`; `crate::policy` applies it.
//!
//! Each source becomes a [`PinSet`], keyed by the crate name as code writes it.
//! The caller layers them with [`PinSet::merge_over`] (later and more specific
//! sources win) and applies the result to the inferred dependencies with
//! [`apply_pins`]. Pins never add a dependency: they only refine crates the
//! code is seen to use, so a manifest that lists twenty crates does not make
//! every snippet of the document depend on all of them.
//!
//! Everything here is a pure function over text; nothing reads files or asks
//! the registry. Version requirements are checked with cargo's own `semver`
//! grammar (re-exported by `cargo_metadata`) as soon as they are read, because
//! one bad requirement in the shared scratch workspace would stop the
//! dependency resolution of every snippet of the run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use cargo_metadata::semver::VersionReq;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::deps::{CrateUse, DepSpec};
use crate::text::LineIndex;

/// What one source says about one crate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pin {
    /// The registry package, when `package = ".."` renames it.
    pub package: Option<String>,
    /// The version requirement (`0.6`, `=1.2.3`, `>=1, <2`), already validated.
    pub requirement: Option<String>,
    /// Features to enable besides the ones the code asks for.
    pub features: BTreeSet<String>,
    /// `default-features = false` gives `Some(false)`.
    pub default_features: Option<bool>,
    /// The source lists the crate as a dev-dependency only.
    pub dev: bool,
}

impl Pin {
    /// Adds what `other` says about the same crate in the same source: the
    /// values `other` gives replace ours, features are united, and the crate
    /// stays a dev-dependency only if both say so (a manifest that lists a
    /// crate under `[dependencies]` and `[dev-dependencies]` makes it normal).
    fn absorb(&mut self, other: Pin) {
        if other.package.is_some() {
            self.package = other.package;
        }
        if other.requirement.is_some() {
            self.requirement = other.requirement;
        }
        if other.default_features.is_some() {
            self.default_features = other.default_features;
        }
        self.features.extend(other.features);
        self.dev = self.dev && other.dev;
    }
}

/// Pins keyed by the crate name as code writes it (`wasm_bindgen`, never
/// `wasm-bindgen`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinSet {
    pub deps: BTreeMap<String, Pin>,
}

impl PinSet {
    /// Layers `other` over `self`: for every crate `other` pins, its pin
    /// replaces ours as a whole. The more specific or later source is taken as
    /// the complete statement about that crate, so a snippet that says
    /// `dep=tokio@1.30` does not inherit the features a global pin lists.
    pub fn merge_over(&mut self, other: &PinSet) {
        for (name, pin) in &other.deps {
            self.deps.insert(name.clone(), pin.clone());
        }
    }

    /// The pin of the crate code calls `name`.
    pub fn get(&self, name: &str) -> Option<&Pin> {
        self.deps.get(name)
    }

    /// The registry package a pin renames the crate code calls `name` to, for
    /// the registry lookup.
    pub fn package_for(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|pin| pin.package.as_deref())
    }

    pub fn is_empty(&self) -> bool {
        self.deps.is_empty()
    }

    /// Adds a pin read from one source under the dependency key `key`,
    /// combining it with an earlier pin of the same crate from that source.
    fn add(&mut self, key: &str, pin: Pin) {
        match self.deps.get_mut(&code_name(key)) {
            Some(existing) => existing.absorb(pin),
            None => {
                self.deps.insert(code_name(key), pin);
            }
        }
    }
}

/// Errors of this module. The caller reports them per block, per snippet or
/// for the configuration, and carries on.
#[derive(Debug, thiserror::Error)]
pub enum PinError {
    /// TOML that does not parse, or whose values have the wrong shape.
    #[error("failed to read {what}{}: {message}", location(*.line, *.column))]
    Toml {
        /// `the toml block`, `the frontmatter` or `the configuration`.
        what: &'static str,
        /// 1-based line in the block, snippet or file, when toml knows it.
        line: Option<u32>,
        /// 1-based column on that line.
        column: Option<u32>,
        /// toml's own message.
        message: String,
    },
    /// An opening frontmatter fence without its closing fence.
    #[error("invalid frontmatter: the `{fence}` opened on line {line} is never closed")]
    UnterminatedFrontmatter {
        /// The opening dashes.
        fence: String,
        /// 1-based line of the opening fence.
        line: usize,
    },
    /// A line inside the frontmatter that starts like a fence but does not
    /// close it (more dashes, or text after the dashes).
    #[error(
        "invalid frontmatter: line {line} starts with `{dashes}` but does not close the `{fence}` opened on line {opened}"
    )]
    FenceInFrontmatter {
        dashes: String,
        fence: String,
        line: usize,
        opened: usize,
    },
    /// An infostring that is not an identifier, or not `cargo`.
    #[error(
        "invalid frontmatter: unsupported infostring `{info}` on line {line} (cargo accepts `cargo` or none)"
    )]
    FrontmatterInfostring { info: String, line: usize },
    /// A configuration entry that parses but makes no sense.
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// ` at line 3, column 7`, or nothing when the position is unknown.
fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" at line {line}, column {column}"),
        (Some(line), None) => format!(" at line {line}"),
        _ => String::new(),
    }
}

/// Turns a toml error into a [`PinError::Toml`]. `text` is what toml read and
/// `line_offset` the number of lines before it in what the user sees (the
/// frontmatter body starts below its fence).
fn toml_error(
    what: &'static str,
    text: &str,
    line_offset: usize,
    error: &toml::de::Error,
) -> PinError {
    let position = error.span().map(|span| {
        let (line, column) = LineIndex::new(text).line_col(text, span.start);
        (
            line.saturating_add(u32::try_from(line_offset).unwrap_or(u32::MAX)),
            column,
        )
    });
    PinError::Toml {
        what,
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        message: error.message().trim_end().to_owned(),
    }
}

/// The name code uses for a dependency key: `wasm-bindgen` is `wasm_bindgen`.
fn code_name(key: &str) -> String {
    key.replace('-', "_")
}

/// Whether `name` can be a crate or package name: ASCII letters, digits, `_`
/// and `-`, not starting with a digit or `-`.
fn is_crate_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether `feature` can be a feature name (cargo's characters, plus the `/`
/// and `:` of `crate/feature` and `dep:crate`).
fn is_feature_name(feature: &str) -> bool {
    !feature.is_empty()
        && feature
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+' | '/' | ':'))
}

/// Checks a version requirement with cargo's grammar.
fn check_requirement(requirement: &str) -> Result<(), String> {
    VersionReq::parse(requirement)
        .map(|_| ())
        .map_err(|error| format!("invalid version requirement `{requirement}`: {error}"))
}

// ---------------------------------------------------------------------------
// Manifests: toml blocks and frontmatter bodies.
// ---------------------------------------------------------------------------

/// A dependency key, checked to be a crate name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CrateKey(String);

impl<'de> Deserialize<'de> for CrateKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let key = String::deserialize(deserializer)?;
        if is_crate_name(&key) {
            Ok(CrateKey(key))
        } else {
            Err(de::Error::custom(format!("invalid crate name `{key}`")))
        }
    }
}

/// The table form of a dependency, in a manifest or in the configuration.
/// Keys this module does not use (`optional`, `branch`, ...) are ignored here;
/// the configuration rejects them separately.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct DetailedDep {
    version: Option<String>,
    features: Option<Vec<String>>,
    #[serde(alias = "default_features")]
    default_features: Option<bool>,
    package: Option<String>,
    workspace: Option<bool>,
    dev: Option<bool>,
}

/// What a dependency value says, validated while toml still knows where the
/// value is, so errors carry its line.
#[derive(Debug)]
struct DepValue {
    pin: Pin,
    /// `{ workspace = true }`: the version lives in a workspace manifest.
    inherited: bool,
}

/// Deserializes a dependency value: a requirement string or a table.
/// `strict` rejects unknown keys (the configuration) and allows `dev`.
fn dep_value<'de, D: Deserializer<'de>>(
    deserializer: D,
    strict: bool,
) -> Result<DepValue, D::Error> {
    struct DepVisitor {
        strict: bool,
    }

    impl<'de> Visitor<'de> for DepVisitor {
        type Value = DepValue;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a version requirement string or a dependency table")
        }

        fn visit_str<E: de::Error>(self, requirement: &str) -> Result<DepValue, E> {
            check_requirement(requirement).map_err(E::custom)?;
            Ok(DepValue {
                pin: Pin {
                    requirement: Some(requirement.to_owned()),
                    ..Pin::default()
                },
                inherited: false,
            })
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DepValue, A::Error> {
            let deserializer = de::value::MapAccessDeserializer::new(map);
            let detailed = if self.strict {
                StrictDep::deserialize(deserializer)?.into_detailed()
            } else {
                DetailedDep::deserialize(deserializer)?
            };
            detailed_value(detailed).map_err(de::Error::custom)
        }
    }

    deserializer.deserialize_any(DepVisitor { strict })
}

/// The table form of a pin in the configuration: only the keys pins use.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct StrictDep {
    version: Option<String>,
    features: Option<Vec<String>>,
    default_features: Option<bool>,
    package: Option<String>,
    dev: Option<bool>,
}

impl StrictDep {
    fn into_detailed(self) -> DetailedDep {
        DetailedDep {
            version: self.version,
            features: self.features,
            default_features: self.default_features,
            package: self.package,
            dev: self.dev,
            ..DetailedDep::default()
        }
    }
}

/// Validates a dependency table and turns it into a [`DepValue`].
fn detailed_value(detailed: DetailedDep) -> Result<DepValue, String> {
    if let Some(requirement) = &detailed.version {
        check_requirement(requirement)?;
    }
    if let Some(package) = detailed.package.as_deref().filter(|p| !is_crate_name(p)) {
        return Err(format!("invalid package name `{package}`"));
    }
    let features = detailed.features.unwrap_or_default();
    if let Some(bad) = features.iter().find(|feature| !is_feature_name(feature)) {
        return Err(format!("invalid feature name `{bad}`"));
    }
    Ok(DepValue {
        pin: Pin {
            package: detailed.package,
            requirement: detailed.version,
            features: features.into_iter().collect(),
            default_features: detailed.default_features,
            dev: detailed.dev.unwrap_or(false),
        },
        inherited: detailed.workspace == Some(true),
    })
}

/// A dependency value of a manifest.
#[derive(Debug)]
struct ManifestDep(DepValue);

impl<'de> Deserialize<'de> for ManifestDep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        dep_value(deserializer, false).map(ManifestDep)
    }
}

/// A dependency value of the configuration.
#[derive(Debug)]
struct ConfigPin(Pin);

impl<'de> Deserialize<'de> for ConfigPin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        dep_value(deserializer, true).map(|value| ConfigPin(value.pin))
    }
}

type DepTable = BTreeMap<CrateKey, ManifestDep>;

/// The parts of a Cargo manifest that carry dependencies. Everything else
/// (`[package]`, `[profile.*]`, `[features]`, ...) is ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Manifest {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default, alias = "dev_dependencies")]
    dev_dependencies: DepTable,
    #[serde(default)]
    workspace: ManifestWorkspace,
    #[serde(default)]
    target: BTreeMap<String, ManifestTarget>,
}

#[derive(Debug, Default, Deserialize)]
struct ManifestWorkspace {
    #[serde(default)]
    dependencies: DepTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct ManifestTarget {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default, alias = "dev_dependencies")]
    dev_dependencies: DepTable,
}

/// The top-level tables that make a TOML document a Cargo manifest.
const MANIFEST_TABLES: &[&str] = &[
    "package",
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

/// Whether a parsed TOML document is a Cargo manifest or a fragment of one:
/// it has `[package]` or a dependency table (`[dependencies]`,
/// `[dev-dependencies]`, `[build-dependencies]`, `[workspace.dependencies]`,
/// `[target.'cfg(..)'.dependencies]`). A `[target.*]` table of a cargo
/// configuration (`linker = ..`) or a `[profile.release]` alone is not one.
fn table_is_manifest(table: &toml::Table) -> bool {
    let has_deps = |value: &toml::Value| {
        value.as_table().is_some_and(|table| {
            ["dependencies", "dev-dependencies", "dev_dependencies"]
                .iter()
                .any(|key| table.contains_key(*key))
        })
    };
    MANIFEST_TABLES.iter().any(|key| table.contains_key(*key))
        || table.get("workspace").is_some_and(has_deps)
        || table
            .get("target")
            .and_then(toml::Value::as_table)
            .is_some_and(|targets| targets.values().any(has_deps))
}

/// Whether `text` is TOML that looks like a Cargo manifest (see
/// [`pins_from_toml_block`]). Unparsable text is not.
pub fn is_manifest_like(text: &str) -> bool {
    text.parse::<toml::Table>()
        .is_ok_and(|table| table_is_manifest(&table))
}

/// The pins of a ```` ```toml ```` block.
///
/// A block is read when it is a Cargo manifest or a fragment of one with a
/// table header (`[dependencies]` alone is enough); a headerless
/// `tokio = "1"` line is not read, because it cannot be told from a
/// `rustfmt.toml`. Other TOML (`rustfmt.toml`, `clippy.toml`, a
/// `[profile.release]` alone) gives no pins. TOML that does not parse, or a
/// dependency of the wrong shape, is an error.
///
/// Read: `[dependencies]`, `[dev-dependencies]` (pins with `dev`),
/// `[workspace.dependencies]` and their `[target.*]` forms. Not read:
/// `[build-dependencies]`, which no snippet code can use.
///
/// Dependency values: `"0.6"` and `{ version, features, default-features,
/// package }`. `{ workspace = true }` is ignored unless the same block
/// defines the crate under `[workspace.dependencies]`, whose pin then gains
/// the entry's features. `{ path = .. }` and `{ git = .. }` are recorded
/// without a requirement (unless they also give `version`): the scratch crate
/// cannot reach the path or the branch, so the registry supplies the version,
/// but the features, the rename and `default-features` still describe what
/// the example needs.
pub fn pins_from_toml_block(text: &str) -> Result<PinSet, PinError> {
    pins_from_manifest("the toml block", text, 0)
}

/// Reads a manifest from `text`, for [`pins_from_toml_block`] and frontmatter.
fn pins_from_manifest(
    what: &'static str,
    text: &str,
    line_offset: usize,
) -> Result<PinSet, PinError> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| toml_error(what, text, line_offset, &e))?;
    if !table_is_manifest(&table) {
        return Ok(PinSet::default());
    }
    let manifest: Manifest =
        toml::from_str(text).map_err(|e| toml_error(what, text, line_offset, &e))?;
    let mut set = PinSet::default();
    let mut inherited = Vec::new();
    let mut add_table = |set: &mut PinSet, table: DepTable, dev: bool| {
        for (CrateKey(key), ManifestDep(value)) in table {
            let mut pin = value.pin;
            pin.dev = dev;
            if value.inherited {
                inherited.push((key, pin));
            } else {
                set.add(&key, pin);
            }
        }
    };
    add_table(&mut set, manifest.workspace.dependencies, false);
    add_table(&mut set, manifest.dependencies, false);
    add_table(&mut set, manifest.dev_dependencies, true);
    for target in manifest.target.into_values() {
        add_table(&mut set, target.dependencies, false);
        add_table(&mut set, target.dev_dependencies, true);
    }
    for (key, pin) in inherited {
        if let Some(existing) = set.deps.get_mut(&code_name(&key)) {
            existing.features.extend(pin.features);
            existing.dev = existing.dev && pin.dev;
        }
    }
    Ok(set)
}

// ---------------------------------------------------------------------------
// Frontmatter.
// ---------------------------------------------------------------------------

/// A cargo-script frontmatter at the top of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frontmatter {
    /// 0-based line of the opening fence, or of the shebang line before it.
    pub first_line: usize,
    /// 0-based line of the closing fence.
    pub last_line: usize,
    /// The dependencies the frontmatter's manifest pins.
    pub pins: PinSet,
}

/// The cargo-script frontmatter of a snippet, if it has one.
///
/// The rules are those of RFC 3503 as the Rust reference states them:
///
/// - the frontmatter may be preceded only by a shebang line (`#!` not followed
///   by `[`) and whitespace-only lines; a `---` anywhere else is not
///   frontmatter (`Ok(None)`);
/// - fences start at the beginning of a line and are three or more dashes;
///   the closing fence has exactly as many dashes as the opening one, and
///   either may be followed by horizontal whitespace;
/// - the opening fence may carry an infostring (`---cargo`, `--- cargo`);
///   like cargo, only `cargo` is accepted;
/// - no body line may start with as many dashes as the fence or more, other
///   than the closing fence.
///
/// The body is read as a manifest (see [`pins_from_toml_block`]); frontmatter
/// needs no `[package]`. The caller removes the frontmatter before compiling
/// with [`blank_lines`], so `first_line` includes a shebang line: a wrapped
/// snippet cannot keep it. Errors give 1-based snippet lines.
pub fn frontmatter(code: &str) -> Result<Option<Frontmatter>, PinError> {
    let lines: Vec<&str> = code
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .collect();
    let shebang = lines.first().is_some_and(|line| is_shebang(line));
    let open = lines
        .iter()
        .enumerate()
        .skip(usize::from(shebang))
        .find(|(_, line)| !line.trim().is_empty());
    let Some((open, open_text)) = open else {
        return Ok(None);
    };
    let dashes = leading_dashes(open_text);
    if dashes < 3 {
        return Ok(None);
    }
    let fence = &open_text[..dashes];
    let info = open_text[dashes..].trim_matches(is_horizontal_whitespace);
    if !info.is_empty() && info != "cargo" {
        return Err(PinError::FrontmatterInfostring {
            info: info.to_owned(),
            line: open + 1,
        });
    }
    let mut close = None;
    for (index, line) in lines.iter().enumerate().skip(open + 1) {
        let count = leading_dashes(line);
        if count < dashes {
            continue;
        }
        if count == dashes
            && line[count..]
                .trim_matches(is_horizontal_whitespace)
                .is_empty()
        {
            close = Some(index);
            break;
        }
        return Err(PinError::FenceInFrontmatter {
            dashes: line[..count].to_owned(),
            fence: fence.to_owned(),
            line: index + 1,
            opened: open + 1,
        });
    }
    let Some(close) = close else {
        return Err(PinError::UnterminatedFrontmatter {
            fence: fence.to_owned(),
            line: open + 1,
        });
    };
    let body = lines[open + 1..close].join("\n");
    let pins = pins_from_manifest("the frontmatter", &body, open + 1)?;
    Ok(Some(Frontmatter {
        first_line: if shebang { 0 } else { open },
        last_line: close,
        pins,
    }))
}

/// Whether the first line of a file is a shebang rather than an inner
/// attribute (`#![allow(..)]`, also when spaced as `#! [allow(..)]`).
fn is_shebang(line: &str) -> bool {
    line.strip_prefix("#!")
        .is_some_and(|rest| !rest.trim_start().starts_with('['))
}

fn leading_dashes(line: &str) -> usize {
    line.bytes().take_while(|byte| *byte == b'-').count()
}

fn is_horizontal_whitespace(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// `code` with lines `first..=last` (0-based) emptied, so every other line
/// keeps its number. A `\r` line ending is kept; lines past the end are
/// ignored.
pub fn blank_lines(code: &str, first: usize, last: usize) -> String {
    code.split('\n')
        .enumerate()
        .map(|(index, line)| {
            if (first..=last).contains(&index) {
                if line.ends_with('\r') { "\r" } else { "" }
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------
// Info-string tokens.
// ---------------------------------------------------------------------------

/// The pins of a fence's `dep=` tokens (from [`crate::fence::FenceInfo::unknown`]).
///
/// Forms: `dep=NAME`, `dep=NAME@REQ`, `dep=NAME@REQ+feat1+feat2` and
/// `dep=NAME+feat`. `NAME` is a crate name, `-` or `_` alike; `REQ` a cargo
/// version requirement without `+` build metadata (the `+` starts the
/// features). A crate named twice combines its tokens. Other tokens are
/// ignored; a malformed `dep=` token is skipped with a message saying why.
pub fn pins_from_info_tokens(tokens: &[String]) -> (PinSet, Vec<String>) {
    let mut set = PinSet::default();
    let mut messages = Vec::new();
    for token in tokens {
        let Some(spec) = token.strip_prefix("dep=") else {
            continue;
        };
        match parse_dep_token(spec) {
            Ok((name, pin)) => set.add(name, pin),
            Err(reason) => messages.push(format!("invalid `{token}`: {reason}")),
        }
    }
    (set, messages)
}

/// Parses the part of a `dep=` token after `=`.
fn parse_dep_token(spec: &str) -> Result<(&str, Pin), String> {
    let mut parts = spec.split('+');
    let head = parts.next().unwrap_or_default();
    let (name, requirement) = match head.split_once('@') {
        Some((name, requirement)) => (name, Some(requirement)),
        None => (head, None),
    };
    if name.is_empty() {
        return Err("the crate name is missing".to_owned());
    }
    if !is_crate_name(name) {
        return Err(format!("`{name}` is not a crate name"));
    }
    if let Some(requirement) = requirement {
        if requirement.is_empty() {
            return Err("the version requirement after `@` is missing".to_owned());
        }
        check_requirement(requirement)?;
    }
    let mut features = BTreeSet::new();
    for feature in parts {
        if feature.is_empty() {
            return Err("a feature name after `+` is missing".to_owned());
        }
        if !is_feature_name(feature) {
            return Err(format!("`{feature}` is not a feature name"));
        }
        features.insert(feature.to_owned());
    }
    Ok((
        name,
        Pin {
            requirement: requirement.map(str::to_owned),
            features,
            ..Pin::default()
        },
    ))
}

// ---------------------------------------------------------------------------
// Configuration.
// ---------------------------------------------------------------------------

/// The `snipcheck.toml` configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// `[pins]`: for every document.
    pub pins: PinSet,
    /// `[[files]]`, in file order.
    pub files: Vec<FileConfig>,
    /// `[known-crates]`, in the `known_crates.toml` format, unchecked: the
    /// caller hands it to `KnownCrates::extend_from_toml` (see
    /// [`Config::known_crates_toml`]), which validates it.
    pub known_crates: Option<toml::Table>,
    /// `[policy]`: which crates documents may make the run fetch and build.
    pub policy: Policy,
}

/// How many distinct crates one document's snippets may pull in when
/// `[policy]` does not say: far above what a real document needs (the
/// bundled and the shared specs use at most 7), low enough that a document
/// cannot make one run fetch and build a large part of crates.io.
pub const DEFAULT_MAX_CRATES_PER_DOCUMENT: u32 = 50;

/// The `[policy]` table: which crates documents may make a run fetch and
/// build. Documents are untrusted input, and a published crate's build script
/// and proc macros run at build time, so naming a crate in an example is
/// asking the run to execute its code. The decision is `crate::policy`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Which crates may be built at all.
    pub crates: CrateRule,
    /// The most distinct crates (direct dependencies) one document's snippets
    /// may pull in; never 0.
    pub max_crates_per_document: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            crates: CrateRule::Any,
            max_crates_per_document: DEFAULT_MAX_CRATES_PER_DOCUMENT,
        }
    }
}

/// Which crates a run may build (`crates = ..` or `allow = [..]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrateRule {
    /// `crates = "any"`, the default: every crate the code names, the
    /// known-crate rules add or the snippet declares.
    Any,
    /// `crates = "declared"`: only crates the document declares (a
    /// ```` ```toml ```` manifest block, a snippet's frontmatter or `dep=`
    /// token) or the configuration pins.
    Declared,
    /// `allow = [..]`: only these crates, by the name code uses (`-` read as
    /// `_`, so `serde-json` and `serde_json` are one name).
    Allow(BTreeSet<String>),
}

/// How `crates = ".."` may be spelled.
#[derive(Debug, Clone, Copy)]
enum CratesValue {
    Any,
    Declared,
}

impl<'de> Deserialize<'de> for CratesValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "any" => Ok(CratesValue::Any),
            "declared" => Ok(CratesValue::Declared),
            other => Err(de::Error::custom(format!(
                "`crates = \"{other}\"` is not a crate rule: write `\"any\"` or `\"declared\"`, or list the crates in `allow = [..]`"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    rename_all = "kebab-case",
    expecting = "a `[policy]` table"
)]
struct RawPolicy {
    crates: Option<CratesValue>,
    allow: Option<Vec<CrateKey>>,
    max_crates_per_document: Option<CrateCap>,
}

/// A `max-crates-per-document` value, checked where toml knows its position.
#[derive(Debug, Clone, Copy)]
struct CrateCap(u32);

impl<'de> Deserialize<'de> for CrateCap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u32::deserialize(deserializer)? {
            0 => Err(de::Error::custom(
                "`max-crates-per-document` must be 1 or more (there is no unlimited setting; to build no crate at all, write `allow = []`)",
            )),
            max => Ok(CrateCap(max)),
        }
    }
}

impl<'de> Deserialize<'de> for Policy {
    /// Validated while toml still knows where the table is, so the errors
    /// of a bad combination carry its line.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawPolicy::deserialize(deserializer)?;
        let crates = match (raw.crates, raw.allow) {
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "`crates` and `allow` cannot both be given: `crates = \"declared\"` builds the crates documents declare, `allow = [..]` only the crates listed; keep one",
                ));
            }
            (None | Some(CratesValue::Any), None) => CrateRule::Any,
            (Some(CratesValue::Declared), None) => CrateRule::Declared,
            (None, Some(allow)) => CrateRule::Allow(
                allow
                    .into_iter()
                    .map(|CrateKey(name)| code_name(&name))
                    .collect(),
            ),
        };
        Ok(Policy {
            crates,
            max_crates_per_document: raw
                .max_crates_per_document
                .map_or(DEFAULT_MAX_CRATES_PER_DOCUMENT, |CrateCap(max)| max),
        })
    }
}

/// One `[[files]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileConfig {
    /// The document path as the report shows it, or a suffix of it on `/`
    /// boundaries (`guide.md` matches `specs/guide.md`).
    pub path: String,
    pub pins: PinSet,
    /// `[[files.snippets]]`, in file order.
    pub snippets: Vec<SnippetConfig>,
}

/// One `[[files.snippets]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnippetConfig {
    pub target: SnippetTarget,
    pub pins: PinSet,
}

/// How a `[[files.snippets]]` entry names its snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetTarget {
    /// The report's snippet `id` (`async-1a2b3c4d`).
    Id(String),
    /// The 1-based document line of the opening fence, as the report shows it.
    Line(u32),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    pins: BTreeMap<CrateKey, ConfigPin>,
    #[serde(default)]
    files: Vec<RawFile>,
    known_crates: Option<toml::Table>,
    #[serde(default)]
    policy: Policy,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    path: String,
    #[serde(default)]
    pins: BTreeMap<CrateKey, ConfigPin>,
    #[serde(default)]
    snippets: Vec<RawSnippet>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnippet {
    id: Option<String>,
    line: Option<u32>,
    #[serde(default)]
    pins: BTreeMap<CrateKey, ConfigPin>,
}

/// Turns a configuration pin table into a pin set.
fn config_pins(table: BTreeMap<CrateKey, ConfigPin>) -> PinSet {
    let mut set = PinSet::default();
    for (CrateKey(key), ConfigPin(pin)) in table {
        set.add(&key, pin);
    }
    set
}

/// A path with `\` separators turned into `/` and without a leading `./`.
fn normalize_path(path: &str) -> String {
    let path = path.replace('\\', "/");
    match path.strip_prefix("./") {
        Some(rest) => rest.to_owned(),
        None => path,
    }
}

/// Parses `snipcheck.toml`. Unknown keys, values of the wrong type, invalid
/// crate names, features or version requirements are errors with toml's
/// line and column, and so are a `[policy]` that gives both `crates` and
/// `allow` or a `max-crates-per-document` of 0; a `[[files]]` entry with an
/// empty path, and a snippet entry without exactly one of `id` and `line`,
/// are errors too.
pub fn parse_config(text: &str) -> Result<Config, PinError> {
    let raw: RawConfig =
        toml::from_str(text).map_err(|e| toml_error("the configuration", text, 0, &e))?;
    let mut files = Vec::with_capacity(raw.files.len());
    for file in raw.files {
        let path = normalize_path(file.path.trim());
        if path.is_empty() || path.ends_with('/') {
            return Err(PinError::Config(format!(
                "the `[[files]]` path `{}` does not name a file",
                file.path
            )));
        }
        let mut snippets = Vec::with_capacity(file.snippets.len());
        for snippet in file.snippets {
            let target = match (snippet.id, snippet.line) {
                (Some(id), None) if !id.trim().is_empty() => {
                    SnippetTarget::Id(id.trim().to_owned())
                }
                (None, Some(line)) if line > 0 => SnippetTarget::Line(line),
                _ => {
                    return Err(PinError::Config(format!(
                        "a `[[files.snippets]]` entry of `{path}` needs exactly one of a non-empty `id` and a `line` of 1 or more"
                    )));
                }
            };
            snippets.push(SnippetConfig {
                target,
                pins: config_pins(snippet.pins),
            });
        }
        files.push(FileConfig {
            path,
            pins: config_pins(file.pins),
            snippets,
        });
    }
    Ok(Config {
        pins: config_pins(raw.pins),
        files,
        known_crates: raw.known_crates,
        policy: raw.policy,
    })
}

/// Whether the configured `pattern` names the document `file`: equal, or a
/// suffix of it that starts right after a `/`.
fn path_matches(pattern: &str, file: &str) -> bool {
    let file = normalize_path(file);
    file == pattern
        || file
            .strip_suffix(pattern)
            .is_some_and(|rest| rest.ends_with('/'))
}

impl Config {
    /// The pins for one snippet: the global `[pins]`, then every matching
    /// `[[files]]` entry, then every matching `[[files.snippets]]` entry, each
    /// layer winning over the one before ([`PinSet::merge_over`]).
    ///
    /// Among several matching file entries the shorter path (fewer segments,
    /// so more general) applies first; entries of equal length apply in file
    /// order. `fence_line` is the 1-based document line of the opening fence.
    pub fn pins_for(&self, file: &str, snippet_id: &str, fence_line: u32) -> PinSet {
        let mut pins = self.pins.clone();
        let mut matching: Vec<&FileConfig> = self
            .files
            .iter()
            .filter(|entry| path_matches(&entry.path, file))
            .collect();
        matching.sort_by_key(|entry| entry.path.split('/').count());
        for entry in &matching {
            pins.merge_over(&entry.pins);
        }
        for entry in &matching {
            for snippet in &entry.snippets {
                let hit = match &snippet.target {
                    SnippetTarget::Id(id) => id == snippet_id,
                    SnippetTarget::Line(line) => *line == fence_line,
                };
                if hit {
                    pins.merge_over(&snippet.pins);
                }
            }
        }
        pins
    }

    /// The `[known-crates]` table as TOML text for
    /// `KnownCrates::extend_from_toml`, if the configuration has one.
    pub fn known_crates_toml(&self) -> Option<String> {
        self.known_crates.as_ref().map(toml::Table::to_string)
    }
}

// ---------------------------------------------------------------------------
// Applying pins.
// ---------------------------------------------------------------------------

/// Refines the inferred dependencies of one snippet with its pins.
///
/// For every dependency whose crate has a pin: the pin's requirement replaces
/// the registry's newest version, the pin's features join the inferred ones,
/// and `package` renames the registry package. The dependency is a
/// dev-dependency only when the pin says so and the code uses the crate only
/// in tests (as `uses` records); a crate the code uses only in tests but the
/// document lists under `[dependencies]` becomes a normal dependency, which
/// tests can use as well. Pinned crates the code does not use are not added.
///
/// `default_features` is not applied: [`DepSpec`] has no field for it yet.
pub fn apply_pins(deps: &mut [DepSpec], uses: &[CrateUse], pins: &PinSet) {
    for dep in deps.iter_mut() {
        let Some(pin) = pins.get(&dep.name) else {
            continue;
        };
        if let Some(requirement) = &pin.requirement {
            dep.requirement.clone_from(requirement);
        }
        if let Some(package) = &pin.package {
            dep.package.clone_from(package);
        }
        dep.features.extend(pin.features.iter().cloned());
        if let Some(used) = uses.iter().find(|used| used.name == dep.name) {
            dep.dev = pin.dev && used.only_in_tests;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a pin set as `name=package@req[f1,f2] nodefault dev; ...`, with
    /// `package` and `@req` left out when absent.
    fn render(set: &PinSet) -> String {
        set.deps
            .iter()
            .map(|(name, pin)| {
                let mut out = name.clone();
                if let Some(package) = &pin.package {
                    out.push('=');
                    out.push_str(package);
                }
                if let Some(requirement) = &pin.requirement {
                    out.push('@');
                    out.push_str(requirement);
                }
                out.push('[');
                out.push_str(&pin.features.iter().cloned().collect::<Vec<_>>().join(","));
                out.push(']');
                match pin.default_features {
                    Some(false) => out.push_str(" nodefault"),
                    Some(true) => out.push_str(" default"),
                    None => {}
                }
                if pin.dev {
                    out.push_str(" dev");
                }
                out
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[track_caller]
    fn check_block(text: &str, expected: &str) {
        let set = pins_from_toml_block(text).expect("the block parses");
        assert_eq!(render(&set), expected, "block: {text}");
    }

    #[track_caller]
    fn check_block_error(text: &str, expected: &str) {
        let error = pins_from_toml_block(text).expect_err("the block is rejected");
        assert_eq!(error.to_string(), expected, "block: {text}");
    }

    #[test]
    fn manifest_blocks() {
        check_block(
            "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\naxum = \"0.6\"\ntokio = { version = \"1\", features = [\"full\"] }\n\n[dev-dependencies]\npretty_assertions = \"1\"\n\n[profile.release]\nlto = true\n",
            "axum@0.6[]; pretty_assertions@1[] dev; tokio@1[full]",
        );
        check_block("[package]\nname = \"demo\"\nversion = \"0.1.0\"", "");
        check_block(
            "[dependencies]\nserde = { version = \"1.0\", features = [\"derive\"] }",
            "serde@1.0[derive]",
        );
        check_block("[dependencies]\n", "");
        check_block(
            "[dependencies.serde]\nversion = \"1\"\nfeatures = [\"derive\"]",
            "serde@1[derive]",
        );
        check_block("[dev-dependencies]\ntempfile = \"3\"", "tempfile@3[] dev");
        check_block("[dev_dependencies]\ntempfile = \"3\"", "tempfile@3[] dev");
        check_block(
            "[dependencies]\nreqwest = { version = \"0.12\", default-features = false, features = [\"rustls-tls\", \"json\"] }",
            "reqwest@0.12[json,rustls-tls] nodefault",
        );
        check_block(
            "[dependencies]\nfoo = { version = \"1\", default_features = true }",
            "foo@1[] default",
        );
        check_block(
            "[dependencies]\nanyhow = \"=1.0.86\"\nrand = \">=0.8, <0.10\"\nlog = \"*\"",
            "anyhow@=1.0.86[]; log@*[]; rand@>=0.8, <0.10[]",
        );
        check_block(
            "[dependencies]\nserde = { version = \"1\", optional = true }\n[features]\nx = [\"dep:serde\"]",
            "serde@1[]",
        );
    }

    #[test]
    fn build_dependencies_are_not_read() {
        check_block("[build-dependencies]\ncc = \"1\"", "");
        check_block(
            "[build-dependencies]\ncc = \"1\"\n[dependencies]\nlibc = \"0.2\"",
            "libc@0.2[]",
        );
    }

    #[test]
    fn keys_are_normalised_and_packages_renamed() {
        check_block(
            "[dependencies]\nwasm-bindgen = \"0.2\"",
            "wasm_bindgen@0.2[]",
        );
        check_block("[dependencies]\nfutures_lite = \"2\"", "futures_lite@2[]");
        check_block(
            "[dependencies]\nrand_old = { package = \"rand\", version = \"0.7\" }",
            "rand_old=rand@0.7[]",
        );
        check_block(
            "[dependencies]\nmy-serde = { package = \"serde-json\", version = \"1\" }",
            "my_serde=serde-json@1[]",
        );
    }

    #[test]
    fn a_crate_in_both_tables_is_a_normal_dependency() {
        check_block(
            "[dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n[dev-dependencies]\ntokio = { version = \"1\", features = [\"macros\"] }",
            "tokio@1[macros,rt]",
        );
        check_block(
            "[dev-dependencies]\nfoo-bar = \"1\"\n[target.'cfg(unix)'.dev-dependencies]\nfoo_bar = { version = \"1.2\", features = [\"x\"] }",
            "foo_bar@1.2[x] dev",
        );
    }

    #[test]
    fn workspace_and_target_tables() {
        check_block(
            "[workspace]\nmembers = [\"a\"]\n[workspace.dependencies]\nserde = { version = \"1\", features = [\"derive\"] }",
            "serde@1[derive]",
        );
        check_block("[workspace]\nmembers = [\"a\", \"b\"]", "");
        // `workspace = true` without a definition in the same block is ignored.
        check_block(
            "[dependencies]\nserde = { workspace = true }\nlog = \"0.4\"",
            "log@0.4[]",
        );
        // With one, it adds its features.
        check_block(
            "[workspace.dependencies]\ntokio = \"1\"\n[dependencies]\ntokio = { workspace = true, features = [\"macros\"] }",
            "tokio@1[macros]",
        );
        check_block(
            "[target.'cfg(target_arch = \"wasm32\")'.dependencies]\nweb-sys = { version = \"0.3\", features = [\"Window\"] }",
            "web_sys@0.3[Window]",
        );
    }

    #[test]
    fn path_and_git_dependencies_keep_everything_but_a_version() {
        check_block("[dependencies]\nmylib = { path = \"../mylib\" }", "mylib[]");
        check_block(
            "[dependencies]\nmylib = { path = \"../mylib\", version = \"0.3\", features = [\"extra\"] }",
            "mylib@0.3[extra]",
        );
        check_block(
            "[dependencies]\nbevy = { git = \"https://github.com/bevyengine/bevy\", branch = \"main\", default-features = false }",
            "bevy[] nodefault",
        );
    }

    #[test]
    fn toml_that_is_not_a_manifest_gives_no_pins() {
        check_block("edition = \"2021\"\nmax_width = 100", "");
        check_block("msrv = \"1.70\"\ntoo-many-arguments-threshold = 10", "");
        check_block("[profile.release]\nlto = true\ncodegen-units = 1", "");
        check_block("[target.x86_64-unknown-linux-gnu]\nlinker = \"clang\"", "");
        check_block("[toolchain]\nchannel = \"stable\"", "");
        // A headerless dependency line cannot be told from a rustfmt.toml.
        check_block("tokio = { version = \"1\", features = [\"full\"] }", "");
        check_block("", "");
        check_block("# just a comment", "");
        // Wrong shapes only matter in manifests.
        check_block("[profile]\ndependencies = 3", "");
    }

    #[test]
    fn manifest_detection() {
        assert!(is_manifest_like("[package]\nname = \"x\""));
        assert!(is_manifest_like("[dependencies]"));
        assert!(is_manifest_like("[build-dependencies]\ncc = \"1\""));
        assert!(is_manifest_like("[workspace.dependencies]\nserde = \"1\""));
        assert!(is_manifest_like(
            "[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\""
        ));
        assert!(!is_manifest_like("[workspace]\nmembers = []"));
        assert!(!is_manifest_like("[profile.release]\nlto = true"));
        assert!(!is_manifest_like(
            "[target.x86_64-unknown-linux-gnu]\nlinker = \"clang\""
        ));
        assert!(!is_manifest_like("edition = \"2021\""));
        assert!(!is_manifest_like("[dependencies"));
    }

    #[test]
    fn broken_blocks_are_errors_with_positions() {
        check_block_error(
            "[dependencies\nserde = \"1\"",
            "failed to read the toml block at line 1, column 14: unclosed table, expected `]`",
        );
        check_block_error(
            "[dependencies]\nserde = \"1\"\n...",
            "failed to read the toml block at line 3, column 4: missing value for key, expected `=`",
        );
        check_block_error(
            "[dependencies]\nserde = 1",
            "failed to read the toml block at line 2, column 9: invalid type: integer `1`, expected a version requirement string or a dependency table",
        );
        check_block_error(
            "[dependencies]\nserde = \"one\"",
            "failed to read the toml block at line 2, column 9: invalid version requirement `one`: unexpected character 'o' while parsing major version number",
        );
        check_block_error(
            "[dependencies]\nserde = { version = \"x.y\" }",
            "failed to read the toml block at line 2, column 9: invalid version requirement `x.y`: unexpected character after wildcard in version req",
        );
        check_block_error(
            "[dependencies]\nserde = { features = \"derive\" }",
            "failed to read the toml block at line 2, column 22: invalid type: string \"derive\", expected a sequence",
        );
        check_block_error(
            "[dependencies]\nserde = { package = \"not a name\" }",
            "failed to read the toml block at line 2, column 9: invalid package name `not a name`",
        );
        check_block_error(
            "[dependencies]\nserde = { version = \"1\", features = [\"bad feature\"] }",
            "failed to read the toml block at line 2, column 9: invalid feature name `bad feature`",
        );
        check_block_error(
            "[dependencies]\n\"not a crate\" = \"1\"",
            "failed to read the toml block at line 2, column 1: invalid crate name `not a crate`",
        );
        check_block_error(
            "dependencies = 5\n[package]\nname = \"x\"",
            "failed to read the toml block at line 1, column 16: invalid type: integer `5`, expected a map",
        );
    }

    #[track_caller]
    fn check_frontmatter(code: &str, expected: Option<(usize, usize, &str)>) {
        let found = frontmatter(code).expect("the frontmatter is valid");
        let found = found
            .as_ref()
            .map(|front| (front.first_line, front.last_line, render(&front.pins)));
        let expected = expected.map(|(first, last, pins)| (first, last, pins.to_owned()));
        assert_eq!(found, expected, "code: {code}");
    }

    #[track_caller]
    fn check_frontmatter_error(code: &str, expected: &str) {
        let error = frontmatter(code).expect_err("the frontmatter is rejected");
        assert_eq!(error.to_string(), expected, "code: {code}");
    }

    #[test]
    fn frontmatter_with_and_without_infostring() {
        check_frontmatter(
            "---\n[dependencies]\nclap = { version = \"4.2\", features = [\"derive\"] }\n---\n\nfn main() {}",
            Some((0, 3, "clap@4.2[derive]")),
        );
        check_frontmatter(
            "---cargo\n[dependencies]\nfastrand = \"2\"\n---\nfn main() {}",
            Some((0, 3, "fastrand@2[]")),
        );
        check_frontmatter(
            "--- cargo \n[dependencies]\nregex = \"1\"\n---  \n",
            Some((0, 3, "regex@1[]")),
        );
        check_frontmatter(
            "---\n[package]\nedition = \"2024\"\n---\nfn main() {}",
            Some((0, 3, "")),
        );
        check_frontmatter("---\n---\nfn main() {}", Some((0, 1, "")));
        check_frontmatter(
            "---\r\n[dependencies]\r\nlog = \"0.4\"\r\n---\r\nfn main() {}",
            Some((0, 3, "log@0.4[]")),
        );
    }

    #[test]
    fn frontmatter_position_and_fences() {
        // Whitespace-only lines may precede it, and a shebang, which is part of the range.
        check_frontmatter(
            "\n  \n---\n[dependencies]\nlog = \"0.4\"\n---\n",
            Some((2, 5, "log@0.4[]")),
        );
        check_frontmatter(
            "#!/usr/bin/env cargo\n---\n[dependencies]\nlog = \"0.4\"\n---\nfn main() {}",
            Some((0, 4, "log@0.4[]")),
        );
        check_frontmatter(
            "#!/usr/bin/env cargo\n\n---\n---\nfn main() {}",
            Some((0, 3, "")),
        );
        // Anywhere else a `---` is not frontmatter.
        check_frontmatter(
            "fn main() {}\n---\n[dependencies]\nlog = \"0.4\"\n---",
            None,
        );
        check_frontmatter("// comment\n---\n---", None);
        check_frontmatter("#![allow(unused)]\n---\n---", None);
        check_frontmatter("  ---\n---", None);
        check_frontmatter("--\nx\n--", None);
        check_frontmatter("fn main() {}", None);
        check_frontmatter("", None);
        check_frontmatter("#!/bin/sh\necho hi", None);
        // A longer fence lets the body hold shorter dash runs.
        check_frontmatter(
            "----\n[package]\ndescription = \"\"\"\n---\n\"\"\"\n----\nfn main() {}",
            Some((0, 5, "")),
        );
    }

    #[test]
    fn broken_frontmatter_is_an_error() {
        check_frontmatter_error(
            "---\n[dependencies]\nlog = \"0.4\"\nfn main() {}",
            "invalid frontmatter: the `---` opened on line 1 is never closed",
        );
        check_frontmatter_error(
            "\n---cargo\n[dependencies]\n----\nfn main() {}",
            "invalid frontmatter: line 4 starts with `----` but does not close the `---` opened on line 2",
        );
        check_frontmatter_error(
            "---\n[dependencies]\n--- x\n",
            "invalid frontmatter: line 3 starts with `---` but does not close the `---` opened on line 1",
        );
        check_frontmatter_error(
            "---toml\n---\n",
            "invalid frontmatter: unsupported infostring `toml` on line 1 (cargo accepts `cargo` or none)",
        );
        check_frontmatter_error(
            "--- not an identifier\n---\n",
            "invalid frontmatter: unsupported infostring `not an identifier` on line 1 (cargo accepts `cargo` or none)",
        );
        // toml's errors carry the snippet line, below the opening fence.
        check_frontmatter_error(
            "\n---\n[dependencies]\nlog = 0.4\n---\n",
            "failed to read the frontmatter at line 4, column 7: invalid type: floating point `0.4`, expected a version requirement string or a dependency table",
        );
    }

    #[test]
    fn blank_lines_keeps_the_line_count() {
        let code = "---\n[dependencies]\nlog = \"0.4\"\n---\nfn main() {}";
        let blanked = blank_lines(code, 0, 3);
        assert_eq!(blanked, "\n\n\n\nfn main() {}");
        assert_eq!(blanked.split('\n').count(), code.split('\n').count());
        assert_eq!(blank_lines("a\r\nb\r\nc", 1, 1), "a\r\n\r\nc");
        assert_eq!(blank_lines("a\nb", 0, 9), "\n");
        assert_eq!(blank_lines("a\nb", 5, 9), "a\nb");
        assert_eq!(blank_lines("a\nb", 1, 0), "a\nb");
        let front = frontmatter(code).expect("valid").expect("has frontmatter");
        let blanked = blank_lines(code, front.first_line, front.last_line);
        assert_eq!(frontmatter(&blanked).expect("valid"), None);
    }

    #[track_caller]
    fn check_tokens(tokens: &[&str], expected: &str, messages: &[&str]) {
        let tokens: Vec<String> = tokens.iter().map(|token| (*token).to_owned()).collect();
        let (set, found) = pins_from_info_tokens(&tokens);
        assert_eq!(render(&set), expected, "tokens: {tokens:?}");
        assert_eq!(found, messages, "tokens: {tokens:?}");
    }

    #[test]
    fn info_tokens() {
        check_tokens(
            &["dep=axum@0.6", "dep=tokio@1+macros+rt-multi-thread"],
            "axum@0.6[]; tokio@1[macros,rt-multi-thread]",
            &[],
        );
        check_tokens(&["dep=serde"], "serde[]", &[]);
        check_tokens(&["dep=serde+derive"], "serde[derive]", &[]);
        check_tokens(&["dep=wasm-bindgen@0.2"], "wasm_bindgen@0.2[]", &[]);
        check_tokens(&["dep=anyhow@=1.0.86"], "anyhow@=1.0.86[]", &[]);
        check_tokens(&["dep=rand@>=0.8"], "rand@>=0.8[]", &[]);
        check_tokens(&["dep=tokio@1", "dep=tokio+macros"], "tokio@1[macros]", &[]);
        check_tokens(
            &["dep=reqwest@0.12+json+serde_json/std"],
            "reqwest@0.12[json,serde_json/std]",
            &[],
        );
        check_tokens(
            &["title=\"main.rs\"", "numberLines", "deps=x", "dep"],
            "",
            &[],
        );
        check_tokens(&[], "", &[]);
    }

    #[test]
    fn malformed_info_tokens_give_messages() {
        check_tokens(
            &["dep="],
            "",
            &["invalid `dep=`: the crate name is missing"],
        );
        check_tokens(
            &["dep=@1"],
            "",
            &["invalid `dep=@1`: the crate name is missing"],
        );
        check_tokens(
            &["dep=axum@"],
            "",
            &["invalid `dep=axum@`: the version requirement after `@` is missing"],
        );
        check_tokens(
            &["dep=axum@zero"],
            "",
            &[
                "invalid `dep=axum@zero`: invalid version requirement `zero`: unexpected character 'z' while parsing major version number",
            ],
        );
        check_tokens(
            &["dep=tokio+"],
            "",
            &["invalid `dep=tokio+`: a feature name after `+` is missing"],
        );
        check_tokens(
            &["dep=tokio++macros"],
            "",
            &["invalid `dep=tokio++macros`: a feature name after `+` is missing"],
        );
        check_tokens(
            &["dep=9lives"],
            "",
            &["invalid `dep=9lives`: `9lives` is not a crate name"],
        );
        check_tokens(
            &["dep=a.b"],
            "",
            &["invalid `dep=a.b`: `a.b` is not a crate name"],
        );
        check_tokens(
            &["dep=tokio+mac\"ros"],
            "",
            &["invalid `dep=tokio+mac\"ros`: `mac\"ros` is not a feature name"],
        );
        // One bad token does not stop the others.
        check_tokens(
            &["dep=@", "dep=log@0.4"],
            "log@0.4[]",
            &["invalid `dep=@`: the crate name is missing"],
        );
    }

    const CONFIG: &str = r#"
# Pins for every document
[pins]
axum = "0.7"
tokio = { version = "1", features = ["full"] }
wasm-bindgen = "0.2"

[[files]]
path = "specs/async.md"
pins = { axum = "0.6" }

[[files.snippets]]
line = 100
pins = { axum = "0.5", serde = { version = "1", features = ["derive"], dev = true } }

[[files.snippets]]
id = "async-1a2b3c4d"
pins = { tokio = "1.30" }

[[files]]
path = "guide.md"
pins = { tokio = { version = "1.20", default-features = false, package = "tokio" } }

[known-crates.my_crate]
package = "my-crate"
[known-crates.my_crate.features]
"my_crate::fancy" = ["fancy"]
"#;

    #[track_caller]
    fn check_config_error(text: &str, expected: &str) {
        let error = parse_config(text).expect_err("the configuration is rejected");
        assert_eq!(error.to_string(), expected, "configuration: {text}");
    }

    #[test]
    fn config_parses() {
        let config = parse_config(CONFIG).expect("valid configuration");
        assert_eq!(
            render(&config.pins),
            "axum@0.7[]; tokio@1[full]; wasm_bindgen@0.2[]"
        );
        assert_eq!(config.files.len(), 2);
        assert_eq!(config.files[0].path, "specs/async.md");
        assert_eq!(config.files[0].snippets[0].target, SnippetTarget::Line(100));
        assert_eq!(
            config.files[0].snippets[1].target,
            SnippetTarget::Id("async-1a2b3c4d".to_owned())
        );
        assert_eq!(
            render(&config.files[0].snippets[0].pins),
            "axum@0.5[]; serde@1[derive] dev"
        );
        assert_eq!(
            render(&config.files[1].pins),
            "tokio=tokio@1.20[] nodefault"
        );
        let known = config.known_crates_toml().expect("has known crates");
        let mut crates = crate::deps::KnownCrates::default();
        crates
            .extend_from_toml(&known)
            .expect("the passed-through table is valid");
        assert_eq!(crates.registry_name("my_crate"), "my-crate");
        assert_eq!(parse_config("").expect("empty is valid"), Config::default());
        assert_eq!(
            parse_config("# nothing\n")
                .expect("valid")
                .known_crates_toml(),
            None
        );
    }

    #[test]
    fn config_errors() {
        check_config_error(
            "[pins]\naxum = \"0.7\"\n[extra]\nx = 1",
            "failed to read the configuration at line 3, column 2: unknown field `extra`, expected one of `pins`, `files`, `known-crates`, `policy`",
        );
        check_config_error(
            "[[files]]\npath = \"a.md\"\ncrates = {}",
            "failed to read the configuration at line 3, column 1: unknown field `crates`, expected one of `path`, `pins`, `snippets`",
        );
        check_config_error(
            "[[files]]\npins = {}",
            "failed to read the configuration at line 1, column 1: missing field `path`",
        );
        check_config_error(
            "[pins]\ntokio = { version = \"1\", optional = true }",
            "failed to read the configuration at line 2, column 26: unknown field `optional`, expected one of `version`, `features`, `default-features`, `package`, `dev`",
        );
        check_config_error(
            "[pins]\ntokio = \"latest\"",
            "failed to read the configuration at line 2, column 9: invalid version requirement `latest`: unexpected character 'l' while parsing major version number",
        );
        check_config_error(
            "[pins]\ntokio = [\"1\"]",
            "failed to read the configuration at line 2, column 9: invalid type: sequence, expected a version requirement string or a dependency table",
        );
        check_config_error(
            "[[files]]\npath = \"\"",
            "invalid configuration: the `[[files]]` path `` does not name a file",
        );
        check_config_error(
            "[[files]]\npath = \"a.md\"\n[[files.snippets]]\nid = \"a-1\"\nline = 3",
            "invalid configuration: a `[[files.snippets]]` entry of `a.md` needs exactly one of a non-empty `id` and a `line` of 1 or more",
        );
        check_config_error(
            "[[files]]\npath = \"a.md\"\n[[files.snippets]]\npins = {}",
            "invalid configuration: a `[[files.snippets]]` entry of `a.md` needs exactly one of a non-empty `id` and a `line` of 1 or more",
        );
        check_config_error(
            "[[files]]\npath = \"a.md\"\n[[files.snippets]]\nline = -1",
            "failed to read the configuration at line 4, column 8: invalid value: integer `-1`, expected u32",
        );
        check_config_error(
            "known-crates = 3",
            "failed to read the configuration at line 1, column 16: invalid type: integer `3`, expected a map",
        );
    }

    /// Renders a policy as `any/declared/allow[a,b] max=N`.
    fn render_policy(policy: &Policy) -> String {
        let crates = match &policy.crates {
            CrateRule::Any => "any".to_owned(),
            CrateRule::Declared => "declared".to_owned(),
            CrateRule::Allow(names) => {
                format!(
                    "allow[{}]",
                    names.iter().cloned().collect::<Vec<_>>().join(",")
                )
            }
        };
        format!("{crates} max={}", policy.max_crates_per_document)
    }

    #[test]
    fn policy_parses() {
        let cases = [
            ("", "any max=50"),
            ("[policy]", "any max=50"),
            ("[policy]\ncrates = \"any\"", "any max=50"),
            ("[policy]\ncrates = \"declared\"", "declared max=50"),
            (
                "[policy]\ncrates = \"any\"\nmax-crates-per-document = 3",
                "any max=3",
            ),
            (
                "[policy]\nallow = [\"tokio\", \"serde-json\", \"serde\", \"serde_json\"]",
                "allow[serde,serde_json,tokio] max=50",
            ),
            ("[policy]\nallow = []", "allow[] max=50"),
            (
                "policy = { allow = [\"serde\"], max-crates-per-document = 1 }",
                "allow[serde] max=1",
            ),
            (
                "[policy]\nmax-crates-per-document = 4294967295",
                "any max=4294967295",
            ),
        ];
        for (text, expected) in cases {
            let config = parse_config(text).expect("valid configuration");
            assert_eq!(
                render_policy(&config.policy),
                expected,
                "configuration: {text}"
            );
        }
    }

    #[test]
    fn policy_errors() {
        let cases = [
            (
                "[policy]\ncrates = \"declared\"\nallow = [\"serde\"]",
                "failed to read the configuration at line 1, column 1: `crates` and `allow` cannot both be given: `crates = \"declared\"` builds the crates documents declare, `allow = [..]` only the crates listed; keep one",
            ),
            (
                "[policy]\ncrates = \"any\"\nallow = []",
                "failed to read the configuration at line 1, column 1: `crates` and `allow` cannot both be given: `crates = \"declared\"` builds the crates documents declare, `allow = [..]` only the crates listed; keep one",
            ),
            (
                "[policy]\ncrates = \"all\"",
                "failed to read the configuration at line 2, column 10: `crates = \"all\"` is not a crate rule: write `\"any\"` or `\"declared\"`, or list the crates in `allow = [..]`",
            ),
            (
                "[policy]\ncrates = [\"serde\"]",
                "failed to read the configuration at line 2, column 10: invalid type: sequence, expected a string",
            ),
            (
                "[policy]\nallow = [\"serde\", \"serde yaml\"]",
                "failed to read the configuration at line 2, column 9: invalid crate name `serde yaml`",
            ),
            (
                "[policy]\nallow = [\"-serde\"]",
                "failed to read the configuration at line 2, column 9: invalid crate name `-serde`",
            ),
            (
                "[policy]\nallow = \"serde\"",
                "failed to read the configuration at line 2, column 9: invalid type: string \"serde\", expected a sequence",
            ),
            (
                "[policy]\nallow = [1]",
                "failed to read the configuration at line 2, column 10: invalid type: integer `1`, expected a string",
            ),
            (
                "[policy]\nmax-crates-per-document = 0",
                "failed to read the configuration at line 2, column 27: `max-crates-per-document` must be 1 or more (there is no unlimited setting; to build no crate at all, write `allow = []`)",
            ),
            (
                "[policy]\nmax-crates-per-document = -1",
                "failed to read the configuration at line 2, column 27: invalid value: integer `-1`, expected u32",
            ),
            (
                "[policy]\nmax-crates-per-document = \"50\"",
                "failed to read the configuration at line 2, column 27: invalid type: string \"50\", expected u32",
            ),
            (
                "[policy]\nmax-crates-per-document = 4294967296",
                "failed to read the configuration at line 2, column 27: invalid value: integer `4294967296`, expected u32",
            ),
            (
                "[policy]\nmax_crates_per_document = 5",
                "failed to read the configuration at line 2, column 1: unknown field `max_crates_per_document`, expected one of `crates`, `allow`, `max-crates-per-document`",
            ),
            (
                "[policy]\ndeny = [\"openssl\"]",
                "failed to read the configuration at line 2, column 1: unknown field `deny`, expected one of `crates`, `allow`, `max-crates-per-document`",
            ),
            (
                "policy = \"declared\"",
                "failed to read the configuration at line 1, column 10: invalid type: string \"declared\", expected a `[policy]` table",
            ),
        ];
        for (text, expected) in cases {
            check_config_error(text, expected);
        }
    }

    #[test]
    fn file_paths_match_as_suffixes_on_slash_boundaries() {
        assert!(path_matches("guide.md", "guide.md"));
        assert!(path_matches("guide.md", "specs/guide.md"));
        assert!(path_matches("specs/guide.md", "docs/specs/guide.md"));
        assert!(path_matches("specs/guide.md", "specs\\guide.md"));
        assert!(path_matches("guide.md", "./guide.md"));
        assert!(!path_matches("guide.md", "specs/myguide.md"));
        assert!(!path_matches("specs/guide.md", "guide.md"));
        assert!(!path_matches("guide.md", "guide.md.bak"));
        let config = parse_config("[[files]]\npath = \"./docs\\\\guide.md\"").expect("valid");
        assert_eq!(config.files[0].path, "docs/guide.md");
    }

    #[track_caller]
    fn check_pins_for(config: &Config, file: &str, id: &str, line: u32, expected: &str) {
        assert_eq!(
            render(&config.pins_for(file, id, line)),
            expected,
            "{file} {id} {line}"
        );
    }

    #[test]
    fn pins_for_layers_global_file_and_snippet() {
        let config = parse_config(CONFIG).expect("valid configuration");
        let global = "axum@0.7[]; tokio@1[full]; wasm_bindgen@0.2[]";
        check_pins_for(&config, "README.md", "readme-0", 1, global);
        check_pins_for(&config, "specs/myguide.md", "x", 100, global);
        check_pins_for(
            &config,
            "specs/async.md",
            "async-0",
            1,
            "axum@0.6[]; tokio@1[full]; wasm_bindgen@0.2[]",
        );
        check_pins_for(
            &config,
            "specs/async.md",
            "async-0",
            100,
            "axum@0.5[]; serde@1[derive] dev; tokio@1[full]; wasm_bindgen@0.2[]",
        );
        check_pins_for(
            &config,
            "specs/async.md",
            "async-1a2b3c4d",
            7,
            "axum@0.6[]; tokio@1.30[]; wasm_bindgen@0.2[]",
        );
        check_pins_for(&config, "other/async.md", "async-1a2b3c4d", 100, global);
        check_pins_for(
            &config,
            "specs/guide.md",
            "guide-0",
            100,
            "axum@0.7[]; tokio=tokio@1.20[] nodefault; wasm_bindgen@0.2[]",
        );
    }

    #[test]
    fn more_specific_file_entries_win_whatever_their_order() {
        let config = parse_config(
            "[[files]]\npath = \"specs/guide.md\"\npins = { log = \"0.4.20\" }\n[[files]]\npath = \"guide.md\"\npins = { log = \"0.4\", regex = \"1\" }",
        )
        .expect("valid");
        check_pins_for(&config, "specs/guide.md", "g", 1, "log@0.4.20[]; regex@1[]");
        check_pins_for(&config, "other/guide.md", "g", 1, "log@0.4[]; regex@1[]");
    }

    #[test]
    fn merge_over_replaces_whole_pins() {
        let mut base = pins_from_toml_block(
            "[dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\nlog = \"0.4\"",
        )
        .expect("valid");
        let later =
            pins_from_toml_block("[dependencies]\ntokio = \"1.30\"\nserde = \"1\"").expect("valid");
        base.merge_over(&later);
        assert_eq!(render(&base), "log@0.4[]; serde@1[]; tokio@1.30[]");
        assert_eq!(base.package_for("tokio"), None);
        let renamed = pins_from_toml_block(
            "[dependencies]\nrand_old = { package = \"rand\", version = \"0.7\" }",
        )
        .expect("valid");
        assert_eq!(renamed.package_for("rand_old"), Some("rand"));
        assert!(PinSet::default().is_empty());
    }

    fn crate_use(name: &str, only_in_tests: bool) -> CrateUse {
        CrateUse {
            name: name.to_owned(),
            paths: BTreeSet::new(),
            only_in_tests,
            in_serde_derive: false,
            maybe_from_globs: BTreeSet::new(),
            imported: true,
        }
    }

    fn dep(name: &str, requirement: &str, features: &[&str], dev: bool) -> DepSpec {
        DepSpec {
            name: name.to_owned(),
            package: name.replace('_', "-"),
            requirement: requirement.to_owned(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            dev,
            path: None,
        }
    }

    fn render_deps(deps: &[DepSpec]) -> String {
        deps.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[track_caller]
    fn check_apply(pins: &str, deps: Vec<DepSpec>, uses: &[CrateUse], expected: &str) {
        let pins = pins_from_toml_block(pins).expect("valid pins");
        let mut deps = deps;
        apply_pins(&mut deps, uses, &pins);
        assert_eq!(render_deps(&deps), expected, "pins: {pins:?}");
    }

    #[test]
    fn apply_pins_refines_used_crates_only() {
        let uses = [crate_use("axum", false), crate_use("tokio", false)];
        check_apply(
            "[dependencies]\naxum = \"0.6\"\ntokio = { version = \"1\", features = [\"full\"] }\nserde = \"1\"",
            vec![
                dep("axum", "0.8.4", &[], false),
                dep("tokio", "1.47.1", &["macros"], false),
            ],
            &uses,
            "axum=axum@0.6[]; tokio=tokio@1[full,macros]",
        );
        // A pin without a requirement keeps the registry's version.
        check_apply(
            "[dependencies]\ntokio = { path = \"../tokio\", features = [\"rt\"] }",
            vec![dep("tokio", "1.47.1", &["macros"], false)],
            &uses,
            "tokio=tokio@1.47.1[macros,rt]",
        );
        check_apply(
            "[profile.dev]\nopt-level = 1",
            vec![dep("axum", "0.8.4", &[], false)],
            &uses,
            "axum=axum@0.8.4[]",
        );
        check_apply("[dependencies]\nserde = \"1\"", vec![], &[], "");
    }

    #[test]
    fn apply_pins_renames_packages() {
        check_apply(
            "[dependencies]\nrand_old = { package = \"rand\", version = \"0.7\" }",
            vec![dep("rand_old", "0.1.0", &[], false)],
            &[crate_use("rand_old", false)],
            "rand_old=rand@0.7[]",
        );
        check_apply(
            "[dependencies]\nwasm-bindgen = \"0.2.90\"",
            vec![dep("wasm_bindgen", "0.2.100", &[], false)],
            &[crate_use("wasm_bindgen", false)],
            "wasm_bindgen=wasm-bindgen@0.2.90[]",
        );
    }

    #[test]
    fn apply_pins_dev_needs_the_pin_and_the_code() {
        let deps = || {
            vec![
                dep("proptest", "1.7.0", &[], true),
                dep("tempfile", "3.20.0", &[], false),
            ]
        };
        // Dev-pinned and used only in tests: dev.
        check_apply(
            "[dev-dependencies]\nproptest = \"1\"\ntempfile = \"3\"",
            deps(),
            &[crate_use("proptest", true), crate_use("tempfile", false)],
            "proptest=proptest@1[] dev; tempfile=tempfile@3[]",
        );
        // Pinned as a normal dependency: normal, even if only tests use it.
        check_apply(
            "[dependencies]\nproptest = \"1\"",
            deps(),
            &[crate_use("proptest", true), crate_use("tempfile", false)],
            "proptest=proptest@1[]; tempfile=tempfile@3.20.0[]",
        );
        // Without a recorded use the inferred flag stays.
        check_apply(
            "[dependencies]\nproptest = \"1\"",
            deps(),
            &[],
            "proptest=proptest@1[] dev; tempfile=tempfile@3.20.0[]",
        );
    }

    #[test]
    fn the_sources_combine_in_document_order() {
        let mut pins =
            parse_config(CONFIG)
                .expect("valid")
                .pins_for("specs/async.md", "async-0", 1);
        pins.merge_over(&pins_from_toml_block("[dependencies]\naxum = \"0.6.20\"").expect("valid"));
        let front = frontmatter(
            "---\n[dependencies]\ntokio = { version = \"1\", features = [\"rt\"] }\n---\n",
        )
        .expect("valid")
        .expect("has frontmatter");
        pins.merge_over(&front.pins);
        let tokens = ["dep=axum@=0.6.19".to_owned()];
        let (info, messages) = pins_from_info_tokens(&tokens);
        assert!(messages.is_empty());
        pins.merge_over(&info);
        assert_eq!(
            render(&pins),
            "axum@=0.6.19[]; tokio@1[rt]; wasm_bindgen@0.2[]"
        );
    }
}
