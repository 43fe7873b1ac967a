//! The report model: one serde document that every output format is a view of.
//!
//! JSON is the versioned contract (`schema`); the human renderer and the later
//! formats read this model only, never the stages' own types.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the JSON document; bump it on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub schema: u32,
    pub snipcheck_version: String,
    pub toolchains: Vec<ToolchainInfo>,
    pub files: Vec<FileSummary>,
    /// Every fenced block of every document, Rust or not, in document order.
    pub snippets: Vec<SnippetReport>,
    pub totals: Totals,
    /// Problems of the run that belong to no single block (a missing path, a file that is not UTF-8).
    pub problems: Vec<RunProblem>,
    /// How many cargo processes the run started, by purpose (`build`, `registry`, `metadata`, `version`).
    pub cargo_invocations: BTreeMap<String, u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ToolchainInfo {
    pub name: String,
    /// `rustc -V` of the toolchain, when it is installed.
    pub rustc: Option<String>,
    pub installed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileSummary {
    pub file: String,
    pub blocks: u32,
    pub rust_blocks: u32,
    /// Number of blocks per language (`"(none)"` for fences without one).
    pub languages: BTreeMap<String, u32>,
    pub pass: u32,
    pub warn: u32,
    pub fail: u32,
    pub skip: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }
}

/// Why a snippet failed, when that is known. Issue-by-issue this taxonomy grows;
/// each value is documented in the README.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// The snippet is not valid Rust syntax.
    Syntax,
    /// The code names a crate that no registry has.
    UnknownCrate,
    /// The registry could not be asked (no network) and nothing was cached.
    RegistryUnreachable,
    /// Only clippy complains.
    Lint,
    /// A `compile_fail` block compiled, or failed with another error code than it names.
    CompileFailMismatch,
    /// The compiler rejects the code; not yet told apart further.
    Compile,
    /// The snippet was not built because a dependency failed to build.
    DependencyBuild,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Syntax => "syntax",
            Cause::UnknownCrate => "unknown-crate",
            Cause::RegistryUnreachable => "registry-unreachable",
            Cause::Lint => "lint",
            Cause::CompileFailMismatch => "compile-fail-mismatch",
            Cause::Compile => "compile",
            Cause::DependencyBuild => "dependency-build",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SnippetReport {
    /// Stable identity: document stem, content hash and ordinal among equal blocks.
    pub id: String,
    pub file: String,
    /// 1-based line of the opening fence.
    pub line: u32,
    pub headings: Vec<String>,
    pub info: String,
    pub lang: Option<String>,
    pub status: Status,
    /// Why a block was not built (`not rust (toml)`, `ignore attribute`, ...).
    pub skip_reason: Option<String>,
    pub cause: Option<Cause>,
    /// What the fence asks for: `pass` or `compile_fail` (with codes).
    pub expect: Option<String>,
    pub toolchain: Option<String>,
    pub edition: Option<String>,
    /// `lib`, `bin` (has `fn main`) or `main-wrapped` (statements wrapped in `fn main`).
    pub shape: Option<String>,
    pub dependencies: Vec<Dependency>,
    pub diagnostics: Vec<Diagnostic>,
    /// Problems of the block itself (an unterminated fence).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Dependency {
    /// The name the code uses (`wasm_bindgen`).
    pub name: String,
    /// The package on the registry (`wasm-bindgen`).
    pub package: String,
    /// The requirement written into the scratch manifest.
    pub requirement: String,
    /// The version cargo resolved, once known.
    pub version: Option<String>,
    pub features: Vec<String>,
    /// Named only under `#[cfg(test)]`.
    pub dev: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Diagnostic {
    /// `error`, `warning`, `note`, `help`.
    pub level: String,
    /// `E0425`, `clippy::new_without_default`, or none.
    pub code: Option<String>,
    pub message: String,
    pub file: String,
    /// 1-based location in the Markdown document.
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    /// The primary span's label, if rustc gave one.
    pub label: Option<String>,
    /// The span lies in code snipcheck added around the snippet, not in the snippet:
    /// `line` is then the fence line.
    pub in_wrapper: bool,
    /// Child notes and help lines, one per entry (`help: consider importing ...`).
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    pub files: u32,
    pub blocks: u32,
    pub rust_blocks: u32,
    pub pass: u32,
    pub warn: u32,
    pub fail: u32,
    pub skip: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunProblem {
    /// The path or toolchain the problem is about, when there is one.
    pub subject: Option<String>,
    pub message: String,
}
