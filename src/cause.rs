//! The experiments that prove a root cause (the taxonomy itself is `taxonomy.rs`).
//!
//! "Fails" is not enough: a maintainer needs to know whether an example rotted
//! under the docs (a crate or the edition moved on) or never compiled (it uses
//! names nobody defines). A cause is not guessed from message text: the
//! diagnostics only choose which variant builds to try (an older edition,
//! nightly with the feature gate, the document's pinned version, the imports
//! rustc suggests, stubs for undefined names), and a cause counts as proven
//! when its variant builds. This module plans those variants and reads their
//! outcomes; `experiments.rs` builds them through the one build executor
//! (`executor.rs`), like every other build.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fence::Edition;
use crate::report::Diagnostic;

// The taxonomy itself is plain data that the report model shows; it lives in
// its own leaf module so the model need not import this stage.
pub use crate::taxonomy::{Cause, CauseInfo, TAXONOMY};

/// What kind of thing an undefined name is, from rustc's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    Type,
    Trait,
    Function,
    Value,
    Macro,
    /// A lowercase path root (`io` in `io::Error`): imported, never stubbed.
    Module,
    /// A derive or attribute macro (`#[derive(Serialize)]`, `#[get("/")]`):
    /// imported, never stubbed.
    Attribute,
}

impl NameKind {
    /// Where the item index looks the name up.
    pub fn namespace(self) -> crate::items::Namespace {
        use crate::items::Namespace;
        match self {
            NameKind::Type | NameKind::Trait | NameKind::Module => Namespace::Type,
            NameKind::Function | NameKind::Value => Namespace::Value,
            NameKind::Macro | NameKind::Attribute => Namespace::Macro,
        }
    }
}

/// A name rustc could not resolve (`cannot find type `User` in this scope`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnresolvedName {
    pub name: String,
    pub kind: NameKind,
}

/// Reads an unresolved name out of one of rustc's resolution errors.
pub fn unresolved_name(code: Option<&str>, message: &str) -> Option<UnresolvedName> {
    if !matches!(
        code,
        Some("E0405" | "E0412" | "E0422" | "E0425" | "E0433" | "E0531")
    ) && !message.starts_with("cannot find macro")
        && !message.starts_with("cannot find derive macro")
        && !message.starts_with("cannot find attribute")
    {
        return None;
    }
    let name = first_backticked(message)?;
    let kind = if message.starts_with("cannot find trait") {
        NameKind::Trait
    } else if message.starts_with("cannot find macro") {
        NameKind::Macro
    } else if message.starts_with("cannot find module or crate")
        || (message.starts_with("failed to resolve")
            && message.contains("unresolved module or unlinked crate"))
    {
        NameKind::Module
    } else if message.starts_with("cannot find derive macro")
        || message.starts_with("cannot find attribute")
    {
        NameKind::Attribute
    } else if message.starts_with("cannot find function") {
        NameKind::Function
    } else if message.starts_with("cannot find value") {
        NameKind::Value
    } else if message.starts_with("cannot find type")
        || message.starts_with("use of undeclared type")
        || message.starts_with("cannot find struct")
        || (message.starts_with("failed to resolve") && message.contains("undeclared type"))
    {
        NameKind::Type
    } else {
        return None;
    };
    // A lowercase "type" is a module or crate path, not a placeholder type.
    let kind = if kind == NameKind::Type && name.chars().next().is_none_or(|c| !c.is_uppercase()) {
        NameKind::Module
    } else {
        kind
    };
    Some(UnresolvedName {
        name: name.to_string(),
        kind,
    })
}

/// The unstable feature named by a feature-gate error (E0658), if any.
pub fn unstable_feature(code: Option<&str>, message: &str) -> Option<String> {
    if code != Some("E0658") {
        return None;
    }
    // `use of unstable library feature `portable_simd``; language features say
    // `... is unstable` and name the feature in a note, which we don't parse.
    let rest = message.strip_prefix("use of unstable library feature")?;
    first_backticked(rest).map(str::to_string)
}

fn first_backticked(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    let name = &text[start..start + len];
    (!name.is_empty()).then_some(name)
}

/// What a build needs from its environment, when one message says so: a
/// macro's error (`sqlx::query!` without `DATABASE_URL`), rustc's (`env!` of a
/// variable the build does not set) or a line of a build script's output (a
/// system library pkg-config cannot find, OpenSSL, a missing tool, the
/// linker's `-lfoo`). `None` for anything else. `code` is the diagnostic's
/// code: a lint never says what the environment lacks.
pub fn build_env_need(code: Option<&str>, message: &str) -> Option<String> {
    if code.is_some_and(|c| c.starts_with("clippy::")) {
        return None;
    }
    if message.contains("DATABASE_URL")
        && (message.contains("query macros") || message.contains("sqlx prepare"))
    {
        return Some(
            "`DATABASE_URL` (a database for `sqlx::query!`, or the query cache `cargo sqlx prepare` writes)"
                .to_string(),
        );
    }
    if message.contains("SQLX_OFFLINE") && message.contains("no cached data") {
        return Some(
            "the query cache `cargo sqlx prepare` writes (`SQLX_OFFLINE` is set)".to_string(),
        );
    }
    if let Some(rest) = message.split("environment variable ").nth(1)
        && rest.contains("not defined at compile time")
        && let Some(name) = first_backticked(rest)
    {
        return Some(format!(
            "the environment variable `{name}` at compile time (`env!`)"
        ));
    }
    // What the host lacks (a program, a system library) is data: the
    // table of `host_needs.toml`, with where to get it.
    crate::host_needs::host_need(message).map(|need| need.describe())
}

/// What a diagnostic says the build needs from its environment, from its
/// message or one of its notes: what [`build_env_need`] names, or a file or
/// folder the example reads at compile time that is not there
/// ([`missing_file`]), said by the message or, when a proc macro panicked, by
/// the panic's message (rustc's `help: message: ...` note).
pub fn diagnostic_build_env(diagnostic: &Diagnostic) -> Option<String> {
    let code = diagnostic.code.as_deref();
    std::iter::once(&diagnostic.message)
        .chain(&diagnostic.notes)
        .find_map(|text| build_env_need(code, text))
        .or_else(|| missing_file(code, &diagnostic.message))
        .or_else(|| {
            if diagnostic.message != "proc macro panicked" {
                return None;
            }
            diagnostic
                .notes
                .iter()
                .filter_map(|note| note.strip_prefix("help: message: "))
                .find_map(|text| missing_file(code, text).or_else(|| macro_metadata(text)))
        })
}

/// A proc macro that panicked because `cargo metadata`, which it runs at
/// compile time, gave it nothing: sqlx's query macros do, without
/// `DATABASE_URL`, to look for their query cache in the workspace
/// (`Invalid `cargo metadata` output`, `Could not fetch metadata`).
fn macro_metadata(panic: &str) -> Option<String> {
    let lower = panic.to_lowercase();
    (lower.contains("`cargo metadata`") || lower.contains("could not fetch metadata")).then(|| {
        "what a proc macro asks `cargo metadata` at compile time (sqlx's query macros do when `DATABASE_URL` is not set, to find the query cache `cargo sqlx prepare` writes)".to_string()
    })
}

/// How every need for a file or folder ends, so that the suggestion can tell
/// them from the rest.
const READ_AT_COMPILE_TIME: &str = ", which the example reads at compile time";

/// The file or folder a compile-time read did not find, named as the
/// example wrote it: ``couldn't read `src/../schema.sql`: No such file or
/// directory`` of `include_str!` (whose path starts at the source file, in
/// `src/`) or a proc macro's `error canonicalizing migration directory
/// ./migrations: No such file or directory (os error 2)` (paths start at the
/// crate; [`crate::diagnose`] has made them relative to it). Only errors
/// without a code: rustc's own (`E0583`, a module's file) are not the
/// environment's doing.
fn missing_file(code: Option<&str>, message: &str) -> Option<String> {
    if code.is_some() {
        return None;
    }
    let at = message
        .find(": No such file or directory")
        .or_else(|| message.find(" (os error 2)"))?;
    let head = &message[..at];
    let include = head.starts_with("couldn't read");
    let path = last_backticked(head)
        .or_else(|| head.rsplit(char::is_whitespace).next())
        .map(|p| p.trim_matches(|c| matches!(c, '"' | '\'' | ':')))
        .filter(|p| !p.is_empty())?;
    let path = match path.strip_prefix("src/") {
        Some(rest) if include => rest,
        _ => path,
    };
    let lower = head.to_lowercase();
    let kind = if lower.contains("director") || lower.contains("folder") {
        "folder"
    } else if include {
        "file"
    } else {
        "file or folder"
    };
    Some(format!("the {kind} `{path}`{READ_AT_COMPILE_TIME}"))
}

fn last_backticked(text: &str) -> Option<&str> {
    let end = text.rfind('`')?;
    let start = text[..end].rfind('`')? + 1;
    let name = &text[start..end];
    (!name.is_empty()).then_some(name)
}

/// What the errors of a failed build need from the environment, when that is
/// all that is wrong: every error that is not a lint names a need (the needs,
/// each once, in order). `None` when one of them does not, or there is no
/// error.
pub fn only_build_env<'d>(
    diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
) -> Option<Vec<String>> {
    let mut needs = Vec::new();
    let mut any = false;
    for diagnostic in diagnostics {
        let lint = diagnostic
            .code
            .as_deref()
            .is_some_and(|c| c.starts_with("clippy::"));
        if diagnostic.level != "error" || lint {
            continue;
        }
        any = true;
        let need = diagnostic_build_env(diagnostic)?;
        if !needs.contains(&need) {
            needs.push(need);
        }
    }
    any.then_some(needs)
}

/// Why a dependency could not be built, from what its failed build said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// It needs something from the build environment: a program or a
    /// library of the host (with the packages that provide it), an
    /// environment variable.
    BuildEnv(String),
    /// It cannot be built for the host's target: what it needs, and the
    /// line that says so.
    Target(String),
    /// It failed for reasons of its own: the lines that say how.
    Failed(String),
}

impl Blocker {
    /// The cause of an example this dependency kept from building.
    pub fn cause(&self) -> Cause {
        match self {
            Blocker::BuildEnv(_) => Cause::BuildEnv,
            Blocker::Target(_) => Cause::TargetSpecific,
            Blocker::Failed(_) => Cause::DependencyBuild,
        }
    }

    /// What a maintainer can do about an example it kept from building.
    pub fn suggestion(&self) -> String {
        match self {
            Blocker::BuildEnv(need) => format!(
                "not the example's fault: a dependency's build needs {need}; install it where snipcheck runs and run again"
            ),
            Blocker::Target(_) => "not the example's fault: a dependency builds only for another target or chip (firmware); check the example there (`rustup target add ...`, the chip's feature), or mark the block `ignore`".to_string(),
            Blocker::Failed(_) => Cause::DependencyBuild.info().fix.to_string(),
        }
    }
}

/// Why a dependency failed to build, from its failure's output (a build
/// script's report in cargo's stderr, or the compiler's errors in its
/// code): what it needs from the host (the table of `host_needs.toml`,
/// first match in table order), else from the environment, else a target
/// the host is not, else its own failure, in its own words.
pub fn blocker(output: &[String]) -> Blocker {
    let text = output.join("\n");
    if let Some(need) = crate::host_needs::host_need(&text) {
        return Blocker::BuildEnv(need.describe());
    }
    if let Some(need) = output.iter().find_map(|line| build_env_need(None, line)) {
        return Blocker::BuildEnv(need);
    }
    if let Some(target) = crate::host_needs::target_need(&text) {
        return Blocker::Target(target);
    }
    Blocker::Failed(failure_excerpt(output))
}

/// The lines of a failure that say what went wrong: a build script's
/// stderr (without the backtrace hint), else everything but cargo's
/// framing; at most [`EXCERPT_LINES`].
fn failure_excerpt(output: &[String]) -> String {
    let telling = |line: &&String| {
        let line = line.trim();
        !line.is_empty()
            && !line.starts_with("note: run with `RUST_BACKTRACE")
            && !line.starts_with("cargo:")
            && !line.starts_with("cargo::")
    };
    let stderr: Vec<&String> = output
        .iter()
        .skip_while(|line| line.trim() != "--- stderr")
        .skip(1)
        .filter(telling)
        .collect();
    let lines: Vec<&String> = if stderr.is_empty() {
        output
            .iter()
            .filter(telling)
            .filter(|line| line.trim() != "Caused by:" && !line.trim().starts_with("--- std"))
            .collect()
    } else {
        stderr
    };
    lines
        .iter()
        .take(EXCERPT_LINES)
        .map(|line| line.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many lines of a dependency's failure a report quotes.
const EXCERPT_LINES: usize = 8;

/// The suggestion for an example that needs something from the build
/// environment.
pub fn build_env_suggestion(needs: &[String]) -> String {
    if needs.is_empty() {
        return Cause::BuildEnv.info().fix.to_string();
    }
    let (files, others): (Vec<&String>, Vec<&String>) = needs
        .iter()
        .partition(|need| need.ends_with(READ_AT_COMPILE_TIME));
    let join = |needs: &[&String]| {
        needs
            .iter()
            .map(|need| need.strip_suffix(READ_AT_COMPILE_TIME).unwrap_or(need))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut parts = Vec::new();
    if !others.is_empty() {
        parts.push(format!(
            "the example needs {} to compile: say so in the document and mark the block `ignore` (`no_run` still compiles it); snipcheck builds with a scrubbed environment, so only what is installed on the machine (a system library) can be given to it",
            join(&others)
        ));
    }
    if !files.is_empty() {
        parts.push(format!(
            "the example reads {} at compile time, and the document does not give it: say in the document what it holds and mark the block `ignore` (`no_run` still compiles it), or show the example without the macro that reads it; snipcheck builds each block in a crate of its own, which holds nothing but the block's code",
            join(&files)
        ));
    }
    parts.join("; ")
}

/// The release series of a version: `0.6.20` -> `0.6`, `1.54.1` -> `1`.
pub fn series(version: &str) -> Option<String> {
    let version = version.trim().trim_start_matches(['=', '^', '~']);
    let mut parts = version.split('.');
    let major: u64 = parts.next()?.trim().parse().ok()?;
    if major > 0 {
        return Some(major.to_string());
    }
    let minor: u64 = parts.next().unwrap_or("0").trim().parse().ok()?;
    Some(format!("0.{minor}"))
}

/// One experiment on one snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Build with another edition.
    Edition(Edition),
    /// Build on nightly with these `#![feature(..)]` gates added.
    Nightly { features: Vec<String> },
    /// Build with one dependency at an exact version.
    DependencyVersion { crate_name: String, version: String },
    /// Insert these lines (`use ...;`) at these generated lines (1-based,
    /// before the line), with the crates they import from that the snippet
    /// does not depend on (another block of its document does).
    Imports {
        lines: Vec<(u32, String)>,
        deps: Vec<crate::deps::DepSpec>,
    },
    /// Append the definitions other blocks of the document give (`source`,
    /// from the blocks at these fence lines), with the crates they need.
    Context {
        blocks: Vec<u32>,
        source: String,
        deps: Vec<crate::deps::DepSpec>,
    },
    /// Add the imports and stub the undefined names.
    Stubs {
        imports: Vec<(u32, String)>,
        names: Vec<UnresolvedName>,
    },
}

impl Change {
    /// The cause a passing build of this variant proves.
    pub fn proves(&self) -> Cause {
        match self {
            Change::Edition(_) => Cause::EditionDrift,
            Change::Nightly { .. } => Cause::NightlyFeature,
            Change::DependencyVersion { .. } => Cause::DependencyDrift,
            Change::Imports { .. } => Cause::MissingImport,
            Change::Context { .. } => Cause::NeedsContext,
            Change::Stubs { .. } => Cause::Placeholder,
        }
    }

    /// How the report names the variant.
    pub fn describe(&self) -> String {
        match self {
            Change::Edition(edition) => format!("edition {}", edition.as_str()),
            Change::Nightly { features } if features.is_empty() => "nightly".to_string(),
            Change::Nightly { features } => {
                let gates: Vec<String> = features
                    .iter()
                    .map(|f| format!("#![feature({f})]"))
                    .collect();
                format!("nightly with {}", gates.join(" "))
            }
            Change::DependencyVersion {
                crate_name,
                version,
            } => format!("{crate_name} ={version}"),
            Change::Imports { lines, .. } => {
                let uses: Vec<&str> = lines.iter().map(|(_, l)| l.trim()).collect();
                format!("with {}", uses.join(" "))
            }
            Change::Context { blocks, .. } => {
                let lines: Vec<String> = blocks.iter().map(u32::to_string).collect();
                let noun = if blocks.len() == 1 { "block" } else { "blocks" };
                format!(
                    "with the definitions of the {noun} at line {}",
                    lines.join(", ")
                )
            }
            Change::Stubs { imports, names } => {
                let stubbed: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                let mut text = format!("with stubs for {}", stubbed.join(", "));
                if !imports.is_empty() {
                    text.push_str(" and the suggested imports");
                }
                text
            }
        }
    }
}

/// The module snipcheck's stubs live in.
pub const STUB_MODULE: &str = "__snipcheck_stubs";

/// Generated stubs for undefined names: `(head, tail)`, where `head` holds the
/// macros (which must come before their use) and `tail` a module of stub items
/// plus a glob import of it, appended after the snippet. Inline modules of the
/// snippet need `use crate::__snipcheck_stubs::*;` too (see
/// [`crate::syntax::WrappedFacts::module_body_lines`]).
/// Values cannot be stubbed without knowing their type; they are left out (the
/// variant then still fails on them, and the report says so). Both are empty
/// when nothing could be stubbed.
pub fn stub_source(
    names: &[UnresolvedName],
    arities: &BTreeMap<String, usize>,
) -> (String, String) {
    let mut head = String::new();
    let mut items = Vec::new();
    for unresolved in names {
        let Ok(ident) = syn::parse_str::<syn::Ident>(&unresolved.name) else {
            continue;
        };
        let tokens = match unresolved.kind {
            NameKind::Type => quote::quote! {
                #[derive(Debug, Default, Clone, PartialEq)]
                pub struct #ident;
                impl #ident { pub fn new() -> Self { Self } }
            },
            NameKind::Trait => quote::quote! { pub trait #ident {} },
            NameKind::Function => {
                let arity = arities.get(&unresolved.name).copied().unwrap_or(0);
                let params: Vec<syn::Ident> =
                    (0..arity).map(|i| quote::format_ident!("A{i}")).collect();
                quote::quote! {
                    pub fn #ident<#(#params,)* R>(#(_: #params),*) -> R { unimplemented!() }
                }
            }
            NameKind::Macro => {
                head.push_str(&format!(
                    "macro_rules! {} {{ ($($t:tt)*) => {{ unimplemented!() }} }}\n",
                    unresolved.name
                ));
                continue;
            }
            NameKind::Value | NameKind::Module | NameKind::Attribute => continue,
        };
        items.push(tokens);
    }
    if items.is_empty() {
        return (head, String::new());
    }
    let module = quote::format_ident!("{}", STUB_MODULE);
    let tail = quote::quote! {
        pub mod #module { #(#items)* }
        use #module::*;
    };
    (head, format!("{tail}\n"))
}

/// A concrete suggestion for a cause.
pub fn suggestion(cause: Cause, detail: &SuggestionDetail) -> String {
    match cause {
        Cause::NightlyFeature => {
            let gates: Vec<String> = detail
                .features
                .iter()
                .map(|f| format!("#![feature({f})]"))
                .collect();
            if gates.is_empty() {
                "mark the example as nightly-only (it needs an unstable feature)".to_string()
            } else {
                format!(
                    "add `{}` at the top and say the example needs nightly, or use a stable alternative",
                    gates.join(" ")
                )
            }
        }
        Cause::EditionDrift => format!(
            "port the example to edition 2024, or mark the fence `rust,edition{}`{}",
            detail.edition.map(Edition::as_str).unwrap_or("2021"),
            detail
                .edition_hint
                .as_deref()
                .map(|h| format!(" ({h})"))
                .unwrap_or_default()
        ),
        Cause::DependencyDrift => match (&detail.drift, &detail.pre_release) {
            (None, Some((krate, pre))) => format!(
                "the example builds only with the pre-release {krate} {pre}, not with the release a reader gets: pin `{krate} = \"={pre}\"` next to the example and say it needs the pre-release, or port it to the newest stable release"
            ),
            (Some((krate, last_passing, first_failing)), _) => format!(
                "pin `{krate} = \"{}\"` next to the example, or port it to {krate} {}",
                series(last_passing).unwrap_or_else(|| last_passing.clone()),
                first_failing.as_deref().unwrap_or("the newest release")
            ),
            (None, None) => "pin the versions the example was written for".to_string(),
        },
        Cause::MissingImport => format!("add {}", detail.imports.join(" ")),
        Cause::Placeholder => format!(
            "define {} in hidden `# ` lines (or mark the block `ignore` if it is a sketch)",
            detail.placeholders.join(", ")
        ),
        Cause::Syntax if !detail.syntax.is_empty() => detail.syntax.join("; "),
        Cause::BuildEnv => build_env_suggestion(&detail.needs),
        Cause::NeedsContext => format!(
            "make the block stand alone: define {} in hidden `# ` lines (copied from the block that defines it), or say in the text that it continues that block",
            detail.context.join(", ")
        ),
        Cause::CodeBug if !detail.code_errors.is_empty() => {
            format!("fix the example: {}", detail.code_errors.join("; "))
        }
        other => other.info().fix.to_string(),
    }
}

/// The suggestion for a primary cause and the other causes proven beside it,
/// in the order a maintainer applies them (`add ..., then fix ...`).
pub fn combined_suggestion(primary: Cause, others: &[Cause], detail: &SuggestionDetail) -> String {
    let mut text = suggestion(primary, detail);
    for other in others {
        // Stubs only show what else is wrong; code errors are named by code-bug.
        if matches!(other, Cause::Lint | Cause::Compile) {
            continue;
        }
        text.push_str(", then ");
        text.push_str(&suggestion(*other, detail));
    }
    text
}

/// What a suggestion can name, gathered by the classifier.
#[derive(Debug, Clone, Default)]
pub struct SuggestionDetail {
    pub features: Vec<String>,
    pub edition: Option<Edition>,
    pub edition_hint: Option<String>,
    /// (crate, last passing version, first failing version)
    pub drift: Option<(String, String, Option<String>)>,
    /// (crate, pre-release) when the example builds only with a pre-release
    /// newer than the release a reader gets.
    pub pre_release: Option<(String, String)>,
    pub imports: Vec<String>,
    pub placeholders: Vec<String>,
    /// The names another block defines, with where (`` `User` (the block at line 12) ``).
    pub context: Vec<String>,
    /// The errors no variant explains, placed (`line 65: casting ...`).
    pub code_errors: Vec<String>,
    /// What the build needs from its environment (`DATABASE_URL`).
    pub needs: Vec<String>,
    /// Why code cannot stand where it is, placed (`line 9: `.await` in a fragment ...`).
    pub syntax: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_taxonomy_is_complete_and_ordered() {
        let all = [
            Cause::Syntax,
            Cause::TooLarge,
            Cause::OutsideAccess,
            Cause::DependencyRefused,
            Cause::UnknownCrate,
            Cause::RegistryUnreachable,
            Cause::UnresolvableDependency,
            Cause::TargetSpecific,
            Cause::BuildEnv,
            Cause::NightlyFeature,
            Cause::EditionDrift,
            Cause::DependencyDrift,
            Cause::MissingImport,
            Cause::NeedsContext,
            Cause::Placeholder,
            Cause::CodeBug,
            Cause::Lint,
            Cause::CompileFailMismatch,
            Cause::Compile,
            Cause::DependencyBuild,
            Cause::Timeout,
            Cause::ResourceLimit,
        ];
        assert_eq!(all.len(), TAXONOMY.len());
        for (rank, cause) in all.iter().enumerate() {
            assert_eq!(cause.rank(), rank);
            assert_eq!(Cause::from_name(cause.as_str()), Some(*cause));
            let json = serde_json::to_string(cause).expect("serializes");
            assert_eq!(json, format!("\"{}\"", cause.as_str()));
        }
    }

    #[track_caller]
    fn check_name(code: &str, message: &str, expected: Option<(&str, NameKind)>) {
        let got = unresolved_name(Some(code), message);
        assert_eq!(
            got,
            expected.map(|(n, k)| UnresolvedName {
                name: n.into(),
                kind: k
            }),
            "{message}"
        );
    }

    #[test]
    fn unresolved_names_from_rustc_messages() {
        check_name(
            "E0425",
            "cannot find value `user_id` in this scope",
            Some(("user_id", NameKind::Value)),
        );
        check_name(
            "E0425",
            "cannot find function `load_user` in this scope",
            Some(("load_user", NameKind::Function)),
        );
        check_name(
            "E0425",
            "cannot find type `Data` in this scope",
            Some(("Data", NameKind::Type)),
        );
        check_name(
            "E0412",
            "cannot find type `Data` in this scope",
            Some(("Data", NameKind::Type)),
        );
        check_name(
            "E0433",
            "cannot find type `MockRepository` in this scope",
            Some(("MockRepository", NameKind::Type)),
        );
        check_name(
            "E0433",
            "failed to resolve: use of undeclared type `User`",
            Some(("User", NameKind::Type)),
        );
        check_name(
            "E0405",
            "cannot find trait `UserRepository` in this scope",
            Some(("UserRepository", NameKind::Trait)),
        );
        check_name("E0433", "cannot find `Server` in `axum`", None);
        check_name(
            "E0433",
            "failed to resolve: use of undeclared crate or module `foo`",
            None,
        );
        check_name("E0308", "mismatched types", None);
    }

    #[test]
    fn unstable_features() {
        assert_eq!(
            unstable_feature(
                Some("E0658"),
                "use of unstable library feature `portable_simd`"
            ),
            Some("portable_simd".to_string())
        );
        assert_eq!(
            unstable_feature(
                Some("E0554"),
                "`#![feature]` may not be used on the stable release channel"
            ),
            None
        );
        assert_eq!(
            unstable_feature(Some("E0425"), "use of unstable library feature `x`"),
            None
        );
    }

    /// What the environment lacks, from the messages of sqlx, rustc,
    /// pkg-config, openssl-sys, the linker and common build tools (written for
    /// these tests after the tools' own wording).
    #[test]
    fn build_environment_needs() {
        let cases: &[(Option<&str>, &str, Option<&str>)] = &[
            (
                None,
                "set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare` to update the query cache",
                Some("`DATABASE_URL` (a database for `sqlx::query!`"),
            ),
            (
                None,
                "`SQLX_OFFLINE=true` but there is no cached data for this query, run `cargo sqlx prepare` to update the query cache or unset `SQLX_OFFLINE`",
                Some("the query cache `cargo sqlx prepare` writes"),
            ),
            (
                None,
                "environment variable `API_KEY` not defined at compile time",
                Some("the environment variable `API_KEY` at compile time (`env!`)"),
            ),
            (
                None,
                "The system library `libpq` required by crate `pq-sys` was not found.",
                Some(
                    "the PostgreSQL client library `libpq` (Debian/Ubuntu: `apt install libpq-dev`",
                ),
            ),
            (
                None,
                "could not find system library 'alsa' required by the 'alsa-sys' crate",
                Some("ALSA's development files (Debian/Ubuntu: `apt install libasound2-dev`"),
            ),
            (
                None,
                "  Could not find directory of OpenSSL installation, and this `-sys` crate cannot",
                Some("OpenSSL's development files"),
            ),
            (
                None,
                "  = note: rust-lld: error: unable to find library -lsqlite3",
                Some("SQLite's development files"),
            ),
            (
                None,
                "/usr/bin/ld: cannot find -lz: No such file or directory",
                Some("zlib's development files"),
            ),
            (
                None,
                "  is `cmake` not installed?",
                Some("CMake (the `cmake` program)"),
            ),
            (
                None,
                "Error: Could not find `protoc`. If `protoc` is installed, try setting the `PROTOC` environment variable",
                Some("the Protocol Buffers compiler `protoc`"),
            ),
            (None, "mismatched types", None),
            (
                Some("E0425"),
                "cannot find value `DATABASE_URL` in this scope",
                None,
            ),
            (
                Some("clippy::x"),
                "environment variable `X` not defined at compile time",
                None,
            ),
        ];
        for (code, message, expected) in cases {
            let need = build_env_need(*code, message);
            match expected {
                Some(start) => assert!(
                    need.as_deref().is_some_and(|n| n.starts_with(start)),
                    "{message}: {need:?}"
                ),
                None => assert_eq!(need, None, "{message}"),
            }
        }
    }

    #[test]
    fn a_build_that_only_lacks_the_environment() {
        let diagnostic = |level: &str, code: Option<&str>, message: &str| Diagnostic {
            level: level.into(),
            code: code.map(str::to_string),
            message: message.into(),
            ..Diagnostic::default()
        };
        let sqlx = diagnostic(
            "error",
            None,
            "set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare` to update the query cache",
        );
        let env = diagnostic(
            "error",
            None,
            "environment variable `TOKEN` not defined at compile time",
        );
        let lint = diagnostic("error", Some("clippy::x"), "x");
        let warning = diagnostic("warning", Some("unused"), "unused variable");
        let other = diagnostic("error", Some("E0308"), "mismatched types");
        let needs = only_build_env([&sqlx, &env, &sqlx, &lint, &warning]).expect("only needs");
        assert_eq!(needs.len(), 2, "{needs:?}");
        assert_eq!(only_build_env([&sqlx, &other]), None);
        assert_eq!(only_build_env([&warning]), None);
        let suggestion = build_env_suggestion(&needs);
        assert!(
            suggestion.contains("`DATABASE_URL`") && suggestion.contains("`TOKEN`"),
            "{suggestion}"
        );
    }

    /// Recorded-style failures of dependencies (written for these tests
    /// after cargo's framing and the tools' wording) -> why they failed.
    #[test]
    fn why_a_dependency_failed() {
        let lines = |text: &str| -> Vec<String> { text.lines().map(str::to_string).collect() };
        let protoc = lines(
            "error: failed to run custom build command for `prost-build v0.13.5`\n\nCaused by:\n  process didn't exit successfully: `/t/build/prost-build-1/build-script-build` (exit status: 101)\n  --- stderr\n  Error: Could not find `protoc`. Set `PROTOC` to its path.",
        );
        let Blocker::BuildEnv(need) = blocker(&protoc) else {
            panic!("protoc: {:?}", blocker(&protoc));
        };
        assert!(need.contains("`apt install protobuf-compiler`"), "{need}");
        assert_eq!(blocker(&protoc).cause(), Cause::BuildEnv);
        let chip = lines(
            "error: failed to run custom build command for `esp-frob v0.3.0`\n\nCaused by:\n  --- stderr\n  thread 'main' panicked at build.rs:9:9:\n  Exactly one chip must be enabled through its Cargo feature, 0 given",
        );
        let Blocker::Target(target) = blocker(&chip) else {
            panic!("chip: {:?}", blocker(&chip));
        };
        assert!(target.contains("0 given"), "{target}");
        assert_eq!(blocker(&chip).cause(), Cause::TargetSpecific);
        let own = lines(
            "error: failed to run custom build command for `frob v1.0.0`\n\nCaused by:\n  process didn't exit successfully: `x` (exit status: 101)\n  --- stdout\n  cargo:rerun-if-changed=build.rs\n  --- stderr\n  thread 'main' panicked at build.rs:2:5:\n  the frobnicator overflowed\n  note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace",
        );
        assert_eq!(
            blocker(&own),
            Blocker::Failed(
                "thread 'main' panicked at build.rs:2:5:\nthe frobnicator overflowed".to_string()
            )
        );
        assert_eq!(blocker(&own).cause(), Cause::DependencyBuild);
        // An environment variable a dependency's macro needs is the environment's too.
        let env = lines("error: environment variable `FROB_HOME` not defined at compile time");
        assert!(matches!(blocker(&env), Blocker::BuildEnv(need) if need.contains("`FROB_HOME`")));
    }

    /// Files and folders a compile-time read did not find, as rustc and proc
    /// macros say it (written for this test after their wording, with the
    /// scratch paths already made relative by `diagnose`), and errors that
    /// only look like it.
    #[test]
    fn files_a_compile_time_read_does_not_find() {
        /// (code, message, notes, the need it names, by its start)
        type Case<'a> = (Option<&'a str>, &'a str, &'a [&'a str], Option<&'a str>);
        let cases: &[Case] = &[
            (
                None,
                "error canonicalizing migration directory ./migrations: No such file or directory (os error 2)",
                &[],
                Some("the folder `./migrations`, which the example reads at compile time"),
            ),
            (
                None,
                "couldn't read `src/../fixtures/page.html`: No such file or directory (os error 2)",
                &[],
                Some("the file `../fixtures/page.html`, which the example reads at compile time"),
            ),
            (
                None,
                "couldn't read `src/words.txt`: No such file or directory (os error 2)",
                &["note: this error originates in the macro `include_str`"],
                Some("the file `words.txt`, which the example reads at compile time"),
            ),
            (
                None,
                "proc macro panicked",
                &[
                    "help: message: cannot open templates/index.tera: No such file or directory (os error 2)",
                ],
                Some(
                    "the file or folder `templates/index.tera`, which the example reads at compile time",
                ),
            ),
            (
                None,
                "proc macro panicked",
                &[
                    "help: message: set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare` to update the query cache",
                ],
                Some("`DATABASE_URL` (a database for `sqlx::query!`"),
            ),
            (
                None,
                "proc macro panicked",
                &[
                    "help: message: Invalid `cargo metadata` output: Error(\"EOF while parsing a value\", line: 1, column: 0)",
                ],
                Some("what a proc macro asks `cargo metadata` at compile time"),
            ),
            // A panic that says nothing of the environment, a module file
            // rustc looks for, a linker's note, a lint.
            (
                None,
                "proc macro panicked",
                &["help: message: called `Option::unwrap()` on a `None` value"],
                None,
            ),
            (
                Some("E0583"),
                "file not found for module `db`: No such file or directory",
                &["help: to create the module `db`, create file \"src/db.rs\""],
                None,
            ),
            (
                None,
                "linking with `cc` failed: exit status: 1",
                &["note: collect2: cannot open output file out/x: No such file or directory"],
                None,
            ),
            (
                None,
                "mismatched types",
                &["help: message: /data/x: No such file or directory (os error 2)"],
                None,
            ),
        ];
        for (code, message, notes, expected) in cases {
            let diagnostic = Diagnostic {
                level: "error".into(),
                code: code.map(str::to_string),
                message: message.to_string(),
                notes: notes.iter().map(|n| n.to_string()).collect(),
                ..Diagnostic::default()
            };
            let need = diagnostic_build_env(&diagnostic);
            match expected {
                Some(start) => assert!(
                    need.as_deref().is_some_and(|n| n.starts_with(start)),
                    "{message}: {need:?}"
                ),
                None => assert_eq!(need, None, "{message}"),
            }
        }
        // The suggestion names the folder and says what a maintainer can do;
        // other needs keep theirs.
        let folder =
            "the folder `./migrations`, which the example reads at compile time".to_string();
        let variable = "the environment variable `TOKEN` at compile time (`env!`)".to_string();
        let suggestion = build_env_suggestion(std::slice::from_ref(&folder));
        assert!(
            suggestion.starts_with("the example reads the folder `./migrations` at compile time")
                && suggestion.contains("mark the block `ignore`")
                && !suggestion.contains("scrubbed environment"),
            "{suggestion}"
        );
        let both = build_env_suggestion(&[variable, folder]);
        assert!(
            both.starts_with("the example needs the environment variable `TOKEN`")
                && both.contains("; the example reads the folder `./migrations`"),
            "{both}"
        );
    }

    #[test]
    fn release_series() {
        assert_eq!(series("0.6.20").as_deref(), Some("0.6"));
        assert_eq!(series("=0.6").as_deref(), Some("0.6"));
        assert_eq!(series("1.54.1").as_deref(), Some("1"));
        assert_eq!(series("1").as_deref(), Some("1"));
        assert_eq!(series("x"), None);
    }

    #[test]
    fn stubs_and_names() {
        let names = vec![
            UnresolvedName {
                name: "User".into(),
                kind: NameKind::Type,
            },
            UnresolvedName {
                name: "load".into(),
                kind: NameKind::Function,
            },
            UnresolvedName {
                name: "Repo".into(),
                kind: NameKind::Trait,
            },
            UnresolvedName {
                name: "value".into(),
                kind: NameKind::Value,
            },
            UnresolvedName {
                name: "mk".into(),
                kind: NameKind::Macro,
            },
        ];
        let arities = BTreeMap::from([("load".to_string(), 2)]);
        let (head, tail) = stub_source(&names, &arities);
        assert!(head.starts_with("macro_rules! mk"), "{head}");
        let file = syn::parse_file(&format!("{head}{tail}")).expect("stubs parse");
        // The macro, the stub module and its glob import.
        assert_eq!(file.items.len(), 3, "{tail}");
        assert!(!tail.contains("value"), "values are not stubbed: {tail}");
        let only_values = [UnresolvedName {
            name: "x".into(),
            kind: NameKind::Value,
        }];
        assert_eq!(
            stub_source(&only_values, &arities),
            (String::new(), String::new())
        );
    }
}
