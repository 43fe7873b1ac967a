//! From documents to what can be built: every fenced block becomes an
//! [`Entry`] (made once, never changed), and every Rust snippet with a
//! dependency set it can be built with becomes a [`Unit`].
//!
//! A block is one of three things, as a type ([`Code`]): not analysed (another
//! language, `ignore`), Rust that is never wrapped (too large, unparsable,
//! reading outside its crate), or Rust wrapped into a crate source. Dependency
//! sets come from a later stage (they need the registry) and are handed
//! forward beside the entries, keyed by id, never written into them; so are
//! the snippets the configuration's `[policy]` refuses ([`refusals`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::{self, Snippet};
use crate::cache::{FailureHints, Key, LINT_CONFIGURATION};
use crate::deps::{self, CrateUse, DepSet, DepSpec, KnownCrates, LeftOut};
use crate::discover::SpecFile;
use crate::extract::{self, Block};
use crate::identity;
use crate::items::Index;
use crate::parallel::parallel_map;
use crate::pins::{self, Config, PinSet, Policy};
use crate::plan;
use crate::policy::{self, Refusal, Request, Wanted};
use crate::registry::Lookup;
use crate::wrap::{self, WrappedSource};

/// A fenced block of a document and what it is.
#[derive(Debug)]
pub struct Entry {
    /// The document, as reports show its path.
    pub file: String,
    pub block: Block,
    pub id: String,
    pub code: Code,
}

/// What a block is, once analysed.
#[derive(Debug)]
pub enum Code {
    /// Not Rust, or marked `ignore`: recorded and reported, never analysed.
    NotAnalysed,
    /// Rust that is not wrapped into a crate: too large, unparsable, or reading
    /// outside its crate (the snippet says which).
    Unwrapped(Box<Snippet>),
    /// Rust wrapped into the source of a scratch crate.
    Wrapped(Box<(Snippet, WrappedSource)>),
}

impl Entry {
    /// The analysed snippet of a Rust block.
    pub fn snippet(&self) -> Option<&Snippet> {
        match &self.code {
            Code::NotAnalysed => None,
            Code::Unwrapped(snippet) => Some(snippet),
            Code::Wrapped(wrapped) => Some(&wrapped.0),
        }
    }

    /// The wrapped source of a Rust block that is built.
    pub fn wrapped(&self) -> Option<&WrappedSource> {
        match &self.code {
            Code::Wrapped(wrapped) => Some(&wrapped.1),
            _ => None,
        }
    }

    /// The scratch package of the snippet's own crate.
    pub fn package(&self) -> String {
        format!("snip-{}", self.id)
    }
}

/// A Rust snippet that goes into the scratch workspace: its entry, code and dependencies.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'e> {
    pub entry: &'e Entry,
    pub snippet: &'e Snippet,
    pub wrapped: &'e WrappedSource,
    pub deps: &'e DepSet,
}

impl Unit<'_> {
    pub fn package(&self) -> String {
        self.entry.package()
    }

    /// The key of the snippet's failure hint: what it is built from, but the toolchain.
    pub fn hint_key(&self) -> String {
        FailureHints::key(
            &plan::group_key(self.snippet, &self.deps.deps),
            &self.wrapped.text,
        )
    }

    /// Everything that decides the snippet's result on a toolchain (see `cache.rs`).
    pub fn cache_key(
        &self,
        toolchain: &str,
        rustc: &str,
        doc: Option<&DocFacts>,
        diagnosis: &str,
    ) -> Key {
        let (snippet, wrapped, entry) = (self.snippet, self.wrapped, self.entry);
        let layout: Vec<(u32, u32, u32, u32)> = snippet
            .lines
            .iter()
            .map(|l| {
                (
                    l.origin.line.saturating_sub(entry.block.fence_line),
                    l.origin.column,
                    l.removed.at,
                    l.removed.len,
                )
            })
            .collect();
        let pins = doc.map(|d| format!("{:?}", d.pins)).unwrap_or_default();
        Key::of(&[
            &entry.file,
            &wrapped.text,
            wrapped.kind.as_str(),
            snippet.edition.as_str(),
            &format!("tests={}", snippet.has_tests),
            &format!("{:?}", snippet.expect),
            &format!("{:?}", self.deps.deps),
            &format!("{layout:?}"),
            toolchain,
            rustc,
            &pins,
            diagnosis,
            LINT_CONFIGURATION,
        ])
    }
}

/// The entries that are built: wrapped, with a dependency set the registry
/// confirmed whole, and not firmware for a bare-metal target.
pub fn units<'e>(entries: &'e [Entry], deps: &'e BTreeMap<String, DepSet>) -> Vec<Unit<'e>> {
    entries
        .iter()
        .filter_map(|entry| {
            let Code::Wrapped(wrapped) = &entry.code else {
                return None;
            };
            let (snippet, source) = (&wrapped.0, &wrapped.1);
            let deps = deps.get(&entry.id)?;
            let buildable = !snippet.needs_bare_metal_target()
                && deps.unknown.is_empty()
                && deps.unreachable.is_empty();
            buildable.then_some(Unit {
                entry,
                snippet,
                wrapped: source,
                deps,
            })
        })
        .collect()
}

/// What a whole document tells about its snippets.
#[derive(Debug, Default)]
pub struct DocFacts {
    /// Names the document's Rust blocks define -> fence line of the first block defining it.
    pub defined: BTreeMap<String, u32>,
    /// Crate name (as code writes it) -> the version requirement the document pins.
    pub pins: BTreeMap<String, String>,
    /// The crates the document declares anywhere (its toml blocks, every
    /// snippet's frontmatter and `dep=` tokens), as code writes them: what
    /// `[policy].crates = "declared"` lets its snippets build.
    pub declared: BTreeSet<String>,
}

/// Extracts and prepares every block. A snippet that reads outside its crate
/// is not wrapped (so never built) unless `allow_outside_access`.
pub fn extract_all(specs: &[SpecFile], allow_outside_access: bool) -> Vec<Entry> {
    let mut used_ids = BTreeSet::new();
    let mut blocks = Vec::new();
    for spec in specs {
        let file = spec.display();
        let stem = spec
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for block in extract::extract(&spec.text) {
            let id =
                identity::unique_id(&mut used_ids, &stem, &block.info, &block.text).to_string();
            blocks.push((file.clone(), block, id));
        }
    }
    // Parsing is most of this stage's time, and every block is parsed alone.
    let prepared = parallel_map(&blocks, |(_, block, _)| {
        if !block.fence.is_rust || block.fence.attrs.ignore {
            return Code::NotAnalysed;
        }
        let snippet = analyze::analyze(block);
        let (snippet, wrapped) = if allow_outside_access || snippet.outside_access.is_empty() {
            wrap::wrap_snippet(snippet)
        } else {
            (snippet, None)
        };
        match wrapped {
            Some(wrapped) => Code::Wrapped(Box::new((snippet, wrapped))),
            None => Code::Unwrapped(Box::new(snippet)),
        }
    });
    blocks
        .into_iter()
        .zip(prepared)
        .map(|((file, block, id), code)| Entry {
            file,
            block,
            id,
            code,
        })
        .collect()
}

/// What each document's Rust blocks define, the versions its toml blocks pin
/// and the crates it declares.
pub fn doc_facts(entries: &[Entry]) -> BTreeMap<String, DocFacts> {
    let mut docs: BTreeMap<String, DocFacts> = BTreeMap::new();
    for entry in entries {
        let facts = docs.entry(entry.file.clone()).or_default();
        // An over-size snippet has no facts: it is never parsed.
        for name in entry.snippet().iter().flat_map(|s| &s.syntax.defined_names) {
            facts
                .defined
                .entry(name.clone())
                .or_insert(entry.block.fence_line);
        }
        if let Some(snippet) = entry.snippet() {
            facts.declared.extend(snippet.declared.deps.keys().cloned());
        }
        if entry.block.fence.lang.as_deref() == Some("toml") {
            // A block that is not TOML is reported on its row (see `rows.rs`).
            if let Ok(pins) = pins::pins_from_toml_block(&entry.block.text) {
                facts.declared.extend(pins.deps.keys().cloned());
                for (name, pin) in pins.deps {
                    if let Some(requirement) = pin.requirement {
                        facts.pins.insert(name, requirement);
                    }
                }
            }
        }
    }
    docs
}

/// The crates a wrapped snippet names, with the pins that win over inference
/// (what the snippet declares, then the configuration).
#[derive(Debug, Clone)]
pub struct Uses {
    pub crates: Vec<CrateUse>,
    pub pins: PinSet,
    /// Path roots a glob import may provide, not taken for crates.
    pub left_out: Vec<LeftOut>,
}

/// The crates whose glob imports may provide a path root the snippets
/// would otherwise take for a crate (`proptest` for `prop::collection::vec`
/// after `use proptest::prelude::*;`), by the name code uses; the standard
/// library's are known without reading it.
pub fn glob_crates(entries: &[Entry]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| e.wrapped().is_some())
        .filter_map(|e| e.snippet()?.syntax.wrapped.crate_uses.as_ref())
        .flatten()
        .flat_map(|u| &u.maybe_from_globs)
        .map(|glob| glob.split("::").next().unwrap_or(glob).to_owned())
        .filter(|krate| !deps::STD_CRATES.contains(&krate.as_str()))
        .collect()
}

/// Decides every path root a glob import may provide (see
/// [`CrateUse::maybe_from_globs`]): a crate only when `items` shows that
/// none of those globs provides it; dropped when one does; left out, and
/// said so, when `items` cannot tell.
///
/// When the index cannot tell, a root that another block of the same
/// document imports for sure (`use tracing::info;`) is that crate
/// (`imported_elsewhere`).
pub fn settle_glob_roots(
    uses: Vec<CrateUse>,
    items: &Index,
    imported_elsewhere: &BTreeSet<String>,
) -> (Vec<CrateUse>, Vec<LeftOut>) {
    let mut kept = Vec::new();
    let mut left_out = Vec::new();
    for krate in uses {
        if krate.maybe_from_globs.is_empty() {
            kept.push(krate);
            continue;
        }
        let answers: Vec<Option<bool>> = krate
            .maybe_from_globs
            .iter()
            .map(|glob| items.provides(glob, &krate.name))
            .collect();
        let cannot_tell = !answers.contains(&Some(true));
        if answers.iter().all(|a| *a == Some(false))
            || (cannot_tell && imported_elsewhere.contains(&krate.name))
        {
            kept.push(krate);
        } else if !answers.contains(&Some(true)) {
            left_out.push(LeftOut {
                name: krate.name,
                globs: krate.maybe_from_globs.into_iter().collect(),
            });
        }
    }
    (kept, left_out)
}

/// A path root the code never imports that names a module of the standard
/// library (`io` in `io::Error`, `thread` in `thread::spawn`) is that module,
/// missing its `use std::io;`: never a crate, though crates.io has crates
/// of those names. A crate the known-crates table lists (`time`) stays one.
pub fn settle_std_roots(uses: Vec<CrateUse>, known: &KnownCrates) -> (Vec<CrateUse>, Vec<LeftOut>) {
    let (kept, left): (Vec<CrateUse>, Vec<CrateUse>) = uses.into_iter().partition(|krate| {
        krate.imported
            || !crate::items::is_std_module(&krate.name)
            || known.get(&krate.name).is_some()
    });
    let left_out = left
        .into_iter()
        .map(|krate| LeftOut {
            name: krate.name,
            globs: Vec::new(),
        })
        .collect();
    (kept, left_out)
}

/// The crates every wrapped snippet names, by entry id. A snippet whose
/// wrapped source cannot be scanned has none (its row says `syntax`).
pub fn crate_uses(
    entries: &[Entry],
    known: &KnownCrates,
    config: Option<&Config>,
    items: &Index,
) -> BTreeMap<String, Uses> {
    // Per document, the crates some block imports for sure.
    let mut imported: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for entry in entries {
        let uses = entry
            .snippet()
            .and_then(|s| s.syntax.wrapped.crate_uses.as_ref());
        for krate in uses.into_iter().flatten().filter(|u| u.imported) {
            imported
                .entry(entry.file.as_str())
                .or_default()
                .insert(krate.name.clone());
        }
    }
    let scanned = parallel_map(entries, |e| {
        e.wrapped()?;
        let snippet = e.snippet()?;
        let scanned = snippet.syntax.wrapped.crate_uses.clone()?;
        let empty = BTreeSet::new();
        let elsewhere = imported.get(e.file.as_str()).unwrap_or(&empty);
        let (uses, mut left_out) = settle_glob_roots(scanned, items, elsewhere);
        let (mut uses, std_roots) = settle_std_roots(uses, known);
        left_out.extend(std_roots);
        // A declared crate is a dependency even when the code never names it.
        for (name, pin) in &snippet.declared.deps {
            if !uses.iter().any(|u| &u.name == name) {
                uses.push(deps::CrateUse {
                    name: name.clone(),
                    paths: BTreeSet::new(),
                    only_in_tests: pin.dev,
                    in_serde_derive: false,
                    maybe_from_globs: BTreeSet::new(),
                    imported: true,
                });
            }
        }
        let mut pins = snippet.declared.clone();
        if let Some(config) = config {
            pins.merge_over(&config.pins_for(&e.file, &e.id, e.block.fence_line));
        }
        Some(Uses {
            crates: deps::with_companions(uses, known),
            pins,
            left_out,
        })
    });
    entries
        .iter()
        .zip(scanned)
        .filter_map(|(e, uses)| Some((e.id.clone(), uses?)))
        .collect()
}

/// The snippets the configuration's `[policy]` refuses to build, by id (see
/// `policy.rs`): each document's snippets that have crate uses, in document
/// order, with the crates they need, the package each would be fetched as
/// (a pin's or a known-crate rule's, when it differs) and what the document
/// and the configuration declare for them.
pub fn refusals(
    entries: &[Entry],
    uses: &BTreeMap<String, Uses>,
    docs: &BTreeMap<String, DocFacts>,
    known: &KnownCrates,
    policy: &Policy,
) -> BTreeMap<String, Refusal> {
    let mut by_doc: BTreeMap<&str, Vec<Request>> = BTreeMap::new();
    for entry in entries {
        let Some(uses) = uses.get(&entry.id) else {
            continue;
        };
        // The snippet's pins hold its own declarations (which its document's
        // declare already) and the configuration's, which are what it adds.
        let declared = uses.pins.deps.keys().cloned().collect();
        let crates = uses
            .crates
            .iter()
            .map(|krate| {
                let package = uses
                    .pins
                    .package_for(&krate.name)
                    .unwrap_or_else(|| known.registry_name(&krate.name));
                Wanted {
                    name: krate.name.clone(),
                    package: (package != krate.name).then(|| package.to_owned()),
                }
            })
            .collect();
        by_doc.entry(&entry.file).or_default().push(Request {
            id: entry.id.clone(),
            crates,
            declared,
        });
    }
    let nothing = BTreeSet::new();
    by_doc
        .into_iter()
        .flat_map(|(file, requests)| {
            let declared = docs.get(file).map_or(&nothing, |doc| &doc.declared);
            policy::decide(policy, declared, &requests)
        })
        .collect()
}

/// The registry names the run must look up.
pub fn registry_names(uses: &BTreeMap<String, Uses>, known: &KnownCrates) -> BTreeSet<String> {
    uses.values()
        .flat_map(|u| deps::registry_names(&u.crates, known))
        .collect()
}

/// The local crates each snippet uses (see `local.rs`), taken out of its
/// `Uses`: they are built by path, so neither the policy, the registry nor
/// the lockfile sees them. Entry id -> its dependencies by path, with the
/// features the snippet's pins ask for.
pub fn local_dependencies(
    entries: &[Entry],
    uses: &mut BTreeMap<String, Uses>,
    locals: &crate::local::LocalCrates,
) -> BTreeMap<String, Vec<DepSpec>> {
    let mut out = BTreeMap::new();
    for entry in entries {
        let (Some(crates), Some(uses)) = (locals.of(&entry.file), uses.get_mut(&entry.id)) else {
            continue;
        };
        let (local, registry): (Vec<CrateUse>, Vec<CrateUse>) = std::mem::take(&mut uses.crates)
            .into_iter()
            .partition(|u| crates.contains_key(&u.name));
        uses.crates = registry;
        let deps: Vec<DepSpec> = local
            .iter()
            .filter_map(|u| {
                let krate = crates.get(&u.name)?;
                let pin = uses.pins.get(&u.name);
                Some(DepSpec {
                    name: u.name.clone(),
                    package: krate.package.clone(),
                    requirement: krate.version.clone().unwrap_or_else(|| "*".to_owned()),
                    features: pin.map(|p| p.features.clone()).unwrap_or_default(),
                    dev: u.only_in_tests,
                    path: Some(krate.path.clone()),
                })
            })
            .collect();
        if !deps.is_empty() {
            out.insert(entry.id.clone(), deps);
        }
    }
    out
}

/// Every snippet's dependency set: the registry's answers, steered to the
/// lockfile's versions (unless `latest`), then the pins; then its local
/// crates (`local`, by path).
pub fn dependency_sets(
    uses: &BTreeMap<String, Uses>,
    local: &BTreeMap<String, Vec<DepSpec>>,
    known: &KnownCrates,
    lookups: &BTreeMap<String, Lookup>,
    lock: Option<&crate::lockfile::Lockfile>,
) -> BTreeMap<String, DepSet> {
    uses.iter()
        .map(|(id, uses)| {
            let mut set = deps::resolve(&uses.crates, known, lookups);
            set.left_out.clone_from(&uses.left_out);
            if let Some(lock) = lock {
                lock.steer(&mut set.deps);
            }
            pins::apply_pins(&mut set.deps, &uses.crates, &uses.pins);
            if let Some(local) = local.get(id) {
                set.deps.extend(local.iter().cloned());
                set.deps.sort_by(|a, b| a.name.cmp(&b.name));
            }
            (id.clone(), set)
        })
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_glob_root_the_document_imports_elsewhere_is_that_crate() {
        let scan = |code: &str| crate::deps::scan(code).expect("parses");
        let code = "use tracing_subscriber::prelude::*; fn f() { tracing::info!(\"x\"); }";
        let nothing_known = Index::default();
        let (kept, left) = settle_glob_roots(scan(code), &nothing_known, &BTreeSet::new());
        assert_eq!(
            (kept.len(), left.len()),
            (1, 1),
            "only the glob's crate is sure"
        );
        let elsewhere = BTreeSet::from(["tracing".to_string()]);
        let (kept, left) = settle_glob_roots(scan(code), &nothing_known, &elsewhere);
        let kept: Vec<&str> = kept.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            (kept, left.len()),
            (vec!["tracing", "tracing_subscriber"], 0)
        );
    }

    #[test]
    fn a_std_module_never_imported_is_not_a_crate() {
        let scan = |code: &str| crate::deps::scan(code).expect("parses");
        let known = KnownCrates::builtin();
        let (kept, left) = settle_std_roots(
            scan(
                "fn f() { let _ = io::stdout(); let _ = time::Instant::now(); thread::yield_now(); serde_json::json!({}); }",
            ),
            &known,
        );
        let kept: Vec<&str> = kept.iter().map(|u| u.name.as_str()).collect();
        let left: Vec<&str> = left.iter().map(|l| l.name.as_str()).collect();
        // `time` is a crate the known-crates table lists; `io` and `thread` are std's.
        assert_eq!(kept, ["serde_json", "time"]);
        assert_eq!(left, ["io", "thread"]);
        // Imported, it is a crate for sure.
        let (kept, left) = settle_std_roots(scan("use io::Read; fn f() { io::stdout(); }"), &known);
        assert_eq!((kept.len(), left.len()), (1, 0));
    }
    use std::path::PathBuf;

    use super::*;

    /// A document that declares `serde` in a toml block, `anyhow` in a `dep=`
    /// token and `rand_old` (the package `rand`) in frontmatter, and uses
    /// `tokio` undeclared.
    const DOC: &str = "# Guide\n\n```toml\n[dependencies]\nserde = \"1\"\n```\n\n```rust\nuse serde::Serialize;\nuse tokio::sync::Mutex;\n```\n\n```rust,dep=anyhow\npub fn f() -> anyhow::Result<()> { Ok(()) }\n```\n\n```rust\n---\n[dependencies]\nrand_old = { package = \"rand\", version = \"0.7\" }\n---\nfn main() { let _ = rand_old::random::<u8>(); }\n```\n\n```rust\npub fn std_only() {}\n```\n";

    /// The refusals of `DOC` under the configuration `config`, as
    /// `fence line: crates; ...`.
    #[track_caller]
    fn check(config: &str, expected: &str) {
        let spec = SpecFile {
            path: PathBuf::from("docs/guide.md"),
            text: DOC.to_owned(),
            kind: Default::default(),
        };
        let entries = extract_all(&[spec], false);
        let docs = doc_facts(&entries);
        let known = KnownCrates::builtin();
        let config = pins::parse_config(config).expect("a valid configuration");
        let uses = crate_uses(&entries, &known, Some(&config), &Index::default());
        let refused = refusals(&entries, &uses, &docs, &known, &config.policy);
        let rendered: Vec<String> = entries
            .iter()
            .filter_map(|entry| {
                let refusal = refused.get(&entry.id)?;
                Some(format!(
                    "{}: {}",
                    entry.block.fence_line,
                    refusal.crates.join(" ")
                ))
            })
            .collect();
        assert_eq!(rendered.join("; "), expected, "configuration: {config:?}");
    }

    #[test]
    fn a_local_crate_leaves_the_uses_for_a_dependency_by_path() {
        let spec = SpecFile {
            path: PathBuf::from("docs/guide.md"),
            text: "```rust\nuse my_core::parse;\nfn main() { let _ = parse(serde_json::json!(1)); }\n```\n".to_owned(),
            kind: Default::default(),
        };
        let entries = extract_all(&[spec], false);
        let known = KnownCrates::builtin();
        let mut uses = crate_uses(&entries, &known, None, &Index::default());
        let local = crate::local::LocalCrate {
            name: "my_core".into(),
            package: "my-core".into(),
            version: Some("0.4.1".into()),
            path: PathBuf::from("/w/crates/my-core"),
        };
        let mut locals = crate::local::LocalCrates::default();
        let crates = BTreeMap::from([("my_core".to_owned(), local)]);
        locals.by_document.insert("docs/guide.md".into(), crates);
        let by_path = local_dependencies(&entries, &mut uses, &locals);
        let id = &entries[0].id;
        let names: Vec<&str> = uses[id].crates.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            ["serde_json"],
            "the registry is asked only for the others"
        );
        let dep = &by_path[id][0];
        assert_eq!(
            (
                dep.package.as_str(),
                dep.requirement.as_str(),
                dep.path.as_deref()
            ),
            (
                "my-core",
                "0.4.1",
                Some(std::path::Path::new("/w/crates/my-core"))
            )
        );
        // Another document's examples are not touched.
        let mut elsewhere = crate::local::LocalCrates::default();
        elsewhere
            .by_document
            .insert("other.md".into(), BTreeMap::new());
        let mut uses = crate_uses(&entries, &known, None, &Index::default());
        assert!(local_dependencies(&entries, &mut uses, &elsewhere).is_empty());
        assert_eq!(uses[id].crates.len(), 2);
    }

    #[test]
    fn the_policy_sees_declarations_pins_and_renames() {
        check("", "");
        check("[policy]\ncrates = \"any\"", "");
        // Declared by the toml block, the `dep=` token and the frontmatter:
        // all but `tokio`.
        check("[policy]\ncrates = \"declared\"", "8: tokio");
        // The configuration's pins declare too, globally or per file.
        check("[policy]\ncrates = \"declared\"\n[pins]\ntokio = \"1\"", "");
        check(
            "[policy]\ncrates = \"declared\"\n[[files]]\npath = \"guide.md\"\npins = { tokio = \"1\" }",
            "",
        );
        check(
            "[policy]\ncrates = \"declared\"\n[[files]]\npath = \"other.md\"\npins = { tokio = \"1\" }",
            "8: tokio",
        );
        // A renamed crate needs its package allowed too.
        check(
            "[policy]\nallow = [\"serde\", \"tokio\", \"anyhow\", \"rand_old\"]",
            "17: rand_old",
        );
        check(
            "[policy]\nallow = [\"serde\", \"tokio\", \"anyhow\", \"rand_old\", \"rand\"]",
            "",
        );
        // The cap counts serde and tokio, then refuses anyhow and rand_old.
        check(
            "[policy]\nmax-crates-per-document = 2",
            "13: anyhow; 17: rand_old",
        );
        check("[policy]\nmax-crates-per-document = 4", "");
    }

    /// Settles the scan of `code` against an index of `crates` (name, source
    /// of its `src/lib.rs`): `kept; left out`.
    #[track_caller]
    fn check_globs(code: &str, crates: &[(&str, &str)], expected: &str) {
        let mut index = Index::default();
        for (name, lib) in crates {
            let files = BTreeMap::from([("src/lib.rs".to_owned(), (*lib).to_owned())]);
            index.add_crate(name, crate::items::read_crate("src/lib.rs", &files));
        }
        let scanned = deps::scan(code).expect("test code parses");
        let (kept, left_out) = settle_glob_roots(scanned, &index, &BTreeSet::new());
        let kept: Vec<&str> = kept.iter().map(|u| u.name.as_str()).collect();
        let left_out: Vec<String> = left_out
            .iter()
            .map(|l| format!("{} ({})", l.name, l.globs.join(" ")))
            .collect();
        assert_eq!(
            format!("{}; {}", kept.join(" "), left_out.join(" ")),
            expected,
            "code: {code}"
        );
    }

    #[test]
    fn a_root_a_glob_may_provide_is_a_crate_only_when_the_index_says_it_is_not_provided() {
        const PROPTEST: &str = "pub mod collection {} pub mod prelude { pub mod prop { pub use crate::collection; } pub use rand::Rng; }";
        const CODE: &str = "use proptest::prelude::*; fn f() { prop::collection::vec(); }";
        // The glob's crate is indexed and provides `prop`: not a crate.
        check_globs(CODE, &[("proptest", PROPTEST)], "proptest; ");
        // Not indexed (a cold machine): left out, and said so.
        check_globs(CODE, &[], "proptest; prop (proptest::prelude)");
        // Indexed, and it provides no `rand` module (only `Rng`): a crate.
        check_globs(
            "use proptest::prelude::*; fn f() { rand::random::<u8>(); }",
            &[("proptest", PROPTEST)],
            "proptest rand; ",
        );
        // Named in a `use` as well: a crate whatever the index says.
        check_globs(
            "use proptest::prelude::*; use prop::x; fn f() { prop::collection::vec(); }",
            &[],
            "prop proptest; ",
        );
        // The standard library's modules are known without an index.
        check_globs(
            "use std::sync::*; use std::io::prelude::*; fn f() { atomic::fence(); serde_json::to_string(&1); }",
            &[],
            "serde_json; ",
        );
        check_globs(
            "use std::io::prelude::*; fn f() { serde_json::to_string(&1); }",
            &[],
            "serde_json; ",
        );
        // Two globs: one that cannot tell is enough to leave it out.
        check_globs(
            "use proptest::prelude::*; use other::prelude::*; fn f() { rand::random(); }",
            &[("proptest", PROPTEST)],
            "other proptest; rand (other::prelude proptest::prelude)",
        );
    }
}
