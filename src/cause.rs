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
    // pkg-config: "The system library `x` required by crate `x-sys` was not
    // found." and, before 0.3.26, "could not find system library 'x' required
    // by the 'x-sys' crate".
    let lower = message.to_lowercase();
    if lower.contains("system library")
        && (lower.contains("not found") || lower.contains("could not find"))
    {
        let quoted = |text: &str| {
            first_backticked(text)
                .map(str::to_string)
                .or_else(|| first_quoted(text))
        };
        let mut parts = message.splitn(2, "required by");
        let library = parts
            .next()
            .and_then(|head| quoted(head.rsplit("library").next().unwrap_or(head)));
        let krate = parts.next().and_then(quoted);
        return Some(match (library, krate) {
            (Some(library), Some(krate)) => format!(
                "the system library `{library}` (its development package, found with pkg-config) for `{krate}`"
            ),
            (Some(library), None) => format!(
                "the system library `{library}` (its development package, found with pkg-config)"
            ),
            _ => "a system library (its development package, found with pkg-config)".to_string(),
        });
    }
    if message.contains("Could not find directory of OpenSSL installation") {
        return Some(
            "OpenSSL's development files (`libssl-dev`, `openssl-devel`, or `OPENSSL_DIR`) for `openssl-sys`"
                .to_string(),
        );
    }
    if let Some(at) = message
        .find("unable to find library -l")
        .map(|at| at + "unable to find library -l".len())
        .or_else(|| {
            message
                .find("cannot find -l")
                .map(|at| at + "cannot find -l".len())
        })
    {
        let library: String = message[at..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
            .collect();
        if !library.is_empty() {
            return Some(format!(
                "the system library `{library}` for the linker (`-l{library}`)"
            ));
        }
    }
    if message.contains("Could not find `protoc`") {
        return Some("the `protoc` compiler (or `PROTOC`) for prost's build script".to_string());
    }
    if message.contains("Unable to find libclang") {
        return Some("libclang (or `LIBCLANG_PATH`) for bindgen".to_string());
    }
    if let Some(rest) = message.split("is `").nth(1)
        && let Some(tool) = rest
            .strip_suffix("` not installed?")
            .or_else(|| rest.split_once("` not installed?").map(|(tool, _)| tool))
    {
        return Some(format!("the `{tool}` program"));
    }
    None
}

/// What a diagnostic says the build needs from its environment, from its
/// message or one of its notes.
pub fn diagnostic_build_env(diagnostic: &Diagnostic) -> Option<String> {
    std::iter::once(&diagnostic.message)
        .chain(&diagnostic.notes)
        .find_map(|text| build_env_need(diagnostic.code.as_deref(), text))
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

/// What a failed dependency build needs from the environment, from cargo's
/// last lines of stderr (a build script's output lands there) and the errors
/// cargo reported for crates that are not the example's: the first need
/// named, with the crate whose build script failed when cargo names it and
/// the need does not.
pub fn dependency_build_env(stderr: &[String], messages: &[String]) -> Option<String> {
    let need = stderr
        .iter()
        .chain(messages)
        .find_map(|line| build_env_need(None, line))?;
    let failed = stderr.iter().find_map(|line| {
        let rest = line
            .split("failed to run custom build command for ")
            .nth(1)?;
        let krate = first_backticked(rest)?;
        Some(krate.split(' ').next().unwrap_or(krate).to_string())
    });
    Some(match failed {
        Some(krate) if !need.contains(&format!("`{krate}`")) => {
            format!("{need}, for the build script of `{krate}`")
        }
        _ => need,
    })
}

/// The suggestion for an example that needs something from the build
/// environment.
pub fn build_env_suggestion(needs: &[String]) -> String {
    if needs.is_empty() {
        return Cause::BuildEnv.info().fix.to_string();
    }
    format!(
        "the example needs {} to compile: say so in the document and mark the block `ignore` (`no_run` still compiles it); snipcheck builds with a scrubbed environment, so only what is installed on the machine (a system library) can be given to it",
        needs.join(" and ")
    )
}

fn first_quoted(text: &str) -> Option<String> {
    let start = text.find('\'')? + 1;
    let len = text[start..].find('\'')?;
    let name = &text[start..start + len];
    (!name.is_empty()).then(|| name.to_string())
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
            detail
                .placeholders
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
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
                    "the system library `libpq` (its development package, found with pkg-config) for `pq-sys`",
                ),
            ),
            (
                None,
                "could not find system library 'alsa' required by the 'alsa-sys' crate",
                Some(
                    "the system library `alsa` (its development package, found with pkg-config) for `alsa-sys`",
                ),
            ),
            (
                None,
                "  Could not find directory of OpenSSL installation, and this `-sys` crate cannot",
                Some("OpenSSL's development files"),
            ),
            (
                None,
                "  = note: rust-lld: error: unable to find library -lsqlite3",
                Some("the system library `sqlite3` for the linker (`-lsqlite3`)"),
            ),
            (
                None,
                "/usr/bin/ld: cannot find -lz: No such file or directory",
                Some("the system library `z` for the linker (`-lz`)"),
            ),
            (
                None,
                "  is `cmake` not installed?",
                Some("the `cmake` program"),
            ),
            (
                None,
                "Error: Could not find `protoc`. If `protoc` is installed, try setting the `PROTOC` environment variable",
                Some("the `protoc` compiler"),
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
        // A build script's failure, named with its crate when the need does not.
        let stderr = [
            "error: failed to run custom build command for `libz-sys v1.1.20`".to_string(),
            "  /usr/bin/ld: cannot find -lz".to_string(),
        ];
        assert_eq!(
            dependency_build_env(&stderr, &[]).as_deref(),
            Some(
                "the system library `z` for the linker (`-lz`), for the build script of `libz-sys`"
            )
        );
        assert_eq!(dependency_build_env(&stderr[..1], &[]), None);
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
