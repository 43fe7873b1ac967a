//! The root-cause taxonomy as data: every cause a report can name, what it
//! means, how snipcheck proves it and what a maintainer does about it.
//!
//! The report model, its views and `--explain` read this table; the diagnosis
//! stage (`cause.rs`) proves the causes. It imports nothing, so the model can
//! depend on it without depending on any stage.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

/// Why a snippet fails (or is skipped). `snipcheck --explain NAME` prints the
/// entry of [`TAXONOMY`].
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    Syntax,
    TooLarge,
    OutsideAccess,
    DependencyRefused,
    UnknownCrate,
    RegistryUnreachable,
    UnresolvableDependency,
    TargetSpecific,
    BuildEnv,
    NightlyFeature,
    EditionDrift,
    DependencyDrift,
    MissingImport,
    NeedsContext,
    Placeholder,
    CodeBug,
    Lint,
    CompileFailMismatch,
    /// A compile error that was not (or could not be) diagnosed further.
    Compile,
    DependencyBuild,
    Timeout,
    ResourceLimit,
}

/// One row of the taxonomy.
#[derive(Debug, Clone, Copy)]
pub struct CauseInfo {
    pub cause: Cause,
    pub name: &'static str,
    pub summary: &'static str,
    /// How snipcheck establishes it.
    pub proof: &'static str,
    /// What a maintainer usually does about it.
    pub fix: &'static str,
}

/// The taxonomy, in order of precedence: when several causes are proven, the
/// first one listed here is the primary cause.
pub const TAXONOMY: &[CauseInfo] = &[
    CauseInfo {
        cause: Cause::Syntax,
        name: "syntax",
        summary: "the example is not valid Rust syntax",
        proof: "syn can parse it neither as a file nor as statements, or its syntax tree shows code that cannot stand where it is (a function taking `self` outside any `impl`); a `...` gap or a cut-off block is named",
        fix: "fix the syntax, or mark the block `text` if it is not meant to be Rust",
    },
    CauseInfo {
        cause: Cause::TooLarge,
        name: "too-large",
        summary: "the example is larger or more deeply nested than snipcheck checks",
        proof: "its size or nesting depth is over snipcheck's limits (checked before parsing)",
        fix: "split the example, or mark the block `ignore`",
    },
    CauseInfo {
        cause: Cause::OutsideAccess,
        name: "outside-access",
        summary: "the example reads outside its crate at compile time (`include!`, `#[path]`, `env!` of a secret)",
        proof: "the macro or attribute is in the snippet's tokens",
        fix: "inline what it includes, or allow it with --allow-outside-access",
    },
    CauseInfo {
        cause: Cause::DependencyRefused,
        name: "dependency-refused",
        summary: "the example needs a crate that the `[policy]` of snipcheck.toml does not let the run build",
        proof: "the crate is not in `[policy].allow`, not declared under `crates = \"declared\"`, or past the document's `max-crates-per-document` (its crates counted in order of first appearance); it is refused before the registry is asked",
        fix: "if you trust the crate, add it to `[policy].allow` (or declare it in the document), or raise `[policy].max-crates-per-document`; otherwise mark the block `ignore`",
    },
    CauseInfo {
        cause: Cause::UnknownCrate,
        name: "unknown-crate",
        summary: "the example uses a crate that no registry has",
        proof: "the crates.io index has no crate of that name, in any spelling (`-` or `_`)",
        fix: "use the published crate name, or define the module in hidden `# ` lines",
    },
    CauseInfo {
        cause: Cause::RegistryUnreachable,
        name: "registry-unreachable",
        summary: "the registry could not be asked about a crate the example uses",
        proof: "the crates.io index did not answer and no copy of the entry is at hand (network, --offline)",
        fix: "run again with network access",
    },
    CauseInfo {
        cause: Cause::UnresolvableDependency,
        name: "unresolvable-dependency",
        summary: "a version requirement of the example cannot be met (no such version, or only yanked ones)",
        proof: "cargo's resolver rejects the requirement of this snippet's crate; the other snippets resolve without it",
        fix: "correct the pin (toml block, `dep=` token, frontmatter or snipcheck.toml) to a published version",
    },
    CauseInfo {
        cause: Cause::TargetSpecific,
        name: "target-specific",
        summary: "the example needs a target that is not installed (bare-metal firmware)",
        proof: "the crate is `#![no_std]` and `#![no_main]`: it cannot be built for the host",
        fix: "install the target (`rustup target add ...`), or mark the block `ignore`",
    },
    CauseInfo {
        cause: Cause::BuildEnv,
        name: "build-env",
        summary: "the example needs something from the build environment (a database URL for `sqlx::query!`, an environment variable, a system library)",
        proof: "a macro or build script of a dependency says what it needs from the environment; the example's own code has no other error",
        fix: "say in the document what the example needs and mark the block `ignore` (`no_run` still compiles it), or install what it needs where snipcheck runs (a system library)",
    },
    CauseInfo {
        cause: Cause::NightlyFeature,
        name: "nightly-feature",
        summary: "the example needs an unstable feature",
        proof: "stable rejects a feature gate; the variant on nightly with `#![feature(..)]` added is built",
        fix: "add the `#![feature(..)]` gate and say the example needs nightly, or use a stable crate",
    },
    CauseInfo {
        cause: Cause::EditionDrift,
        name: "edition-drift",
        summary: "the example fails on the current edition but builds on an older one",
        proof: "the same code builds with an older `edition` in the manifest",
        fix: "port it to the current edition, or mark the fence `edition2021`",
    },
    CauseInfo {
        cause: Cause::DependencyDrift,
        name: "dependency-drift",
        summary: "the example fails with the newest release of a crate and builds with an older one",
        proof: "the same code builds with the document's pinned version or an older release series",
        fix: "port the example to the new API, or pin the version it was written for",
    },
    CauseInfo {
        cause: Cause::MissingImport,
        name: "missing-import",
        summary: "the example only lacks imports that rustc can name",
        proof: "the example builds once the imports rustc suggests (one candidate each) are added",
        fix: "add the `use` lines (visible, or hidden with `# `)",
    },
    CauseInfo {
        cause: Cause::NeedsContext,
        name: "needs-context",
        summary: "the example uses names that another block of the same document defines",
        proof: "the variant built with the definitions the document's other blocks provide builds (or removes those errors)",
        fix: "make the block stand alone with hidden `# ` lines that define what it uses, or declare that it continues the block that defines them",
    },
    CauseInfo {
        cause: Cause::Placeholder,
        name: "placeholder",
        summary: "the example uses names it never defines",
        proof: "rustc cannot find the names; a variant with stubs for them is built to see what else is wrong",
        fix: "define them in hidden `# ` lines, or mark the block `ignore` if it is a sketch",
    },
    CauseInfo {
        cause: Cause::CodeBug,
        name: "code-bug",
        summary: "the example itself is wrong",
        proof: "errors remain that no variant explains",
        fix: "fix the example",
    },
    CauseInfo {
        cause: Cause::Lint,
        name: "lint",
        summary: "only clippy complains",
        proof: "rustc accepts the code; every remaining diagnostic is a clippy lint",
        fix: "apply clippy's suggestion",
    },
    CauseInfo {
        cause: Cause::CompileFailMismatch,
        name: "compile-fail-mismatch",
        summary: "a `compile_fail` block compiled, or failed without the error code it names",
        proof: "the build's errors (or their absence) against the fence's expectation",
        fix: "update the example or the fence's error code",
    },
    CauseInfo {
        cause: Cause::Compile,
        name: "compile",
        summary: "the compiler rejects the example (not diagnosed further)",
        proof: "the build's errors, without variant builds",
        fix: "see the diagnostics",
    },
    CauseInfo {
        cause: Cause::DependencyBuild,
        name: "dependency-build",
        summary: "a dependency of the example failed to build, so the example was not checked",
        proof: "cargo built no artifact for the example and reported no error in it",
        fix: "probably not the example's fault: check the dependency's build output",
    },
    CauseInfo {
        cause: Cause::Timeout,
        name: "timeout",
        summary: "the build ran past the time limit and was stopped",
        proof: "the build was killed (with its whole process group) at --timeout",
        fix: "raise --timeout, or look for a dependency whose build script hangs",
    },
    CauseInfo {
        cause: Cause::ResourceLimit,
        name: "resource-limit",
        summary: "the compiler was stopped by a limit: the memory cap, or a signal",
        proof: "cargo says the example's own compiler process ended by a signal; rustc's `memory allocation ... failed` names the memory cap",
        fix: "raise --memory-limit if the example is legitimately large; otherwise it makes the compiler explode (a recursive macro, a huge const): shrink it",
    },
];

/// The JSON schema of a cause is the taxonomy itself: one `const` per name,
/// described by its summary, so the published schema and `--explain` never
/// disagree.
impl JsonSchema for Cause {
    fn schema_name() -> Cow<'static, str> {
        "Cause".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let causes: Vec<serde_json::Value> = TAXONOMY
            .iter()
            .map(|info| serde_json::json!({ "const": info.name, "description": info.summary }))
            .collect();
        json_schema!({
            "description": "Why a snippet fails (or is skipped); `snipcheck --explain NAME` says more.",
            "type": "string",
            "oneOf": causes,
        })
    }
}

impl CauseInfo {
    /// What `snipcheck --explain NAME` prints, and what the SARIF rule of the
    /// cause gives as its help: the cause, how it is proven, what to do.
    pub fn explanation(&self) -> String {
        format!(
            "{}: {}\n\nproven by: {}\nusual fix: {}",
            self.name, self.summary, self.proof, self.fix
        )
    }
}

impl Cause {
    pub fn info(self) -> &'static CauseInfo {
        TAXONOMY
            .iter()
            .find(|info| info.cause == self)
            .unwrap_or(&TAXONOMY[0])
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// Precedence: a lower rank is the more fundamental cause.
    pub fn rank(self) -> usize {
        TAXONOMY
            .iter()
            .position(|info| info.cause == self)
            .unwrap_or(TAXONOMY.len())
    }

    pub fn from_name(name: &str) -> Option<Cause> {
        TAXONOMY
            .iter()
            .find(|info| info.name == name)
            .map(|info| info.cause)
    }
}
