//! The public items crates export, read from their source: name → the paths
//! a `use` can name the item by, and what kind of item it is.
//!
//! Two questions need it. The dependency inference must know whether a glob
//! import (`use proptest::prelude::*;`) provides a path's first segment
//! (`prop`) before it takes that segment for a crate of its own, and the
//! diagnosis wants the paths an unresolved name may be imported from
//! (`Map` → `serde_json::Map`, `io` → `std::io`).
//!
//! [`read_crate`] reads one crate from its source files, handed in as
//! (path relative to the package, text) pairs: it follows public modules
//! (inline and `mod x;` in `x.rs` or `x/mod.rs`), `pub use` re-exports within
//! the crate (globs too, for a bounded number of rounds), `#[macro_export]`
//! macros and a proc-macro crate's macros; re-exports of another crate are
//! kept as [`Foreign`] and resolved when that crate joins the same [`Index`]
//! (serde's `pub use serde_derive::{Deserialize, Serialize}`). [`read_std`]
//! reads the standard library from rustdoc's `all.html`. Everything is
//! bounded (files, bytes, items, depth, rounds); a file that does not parse
//! is skipped. This module is pure: `item_sources.rs` reads the files.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use serde::{Deserialize, Serialize};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;

use crate::deps::STD_CRATES;

/// At most this many source files are read per crate.
pub const MAX_FILES: usize = 2_000;
/// A larger source file is skipped (generated bindings).
pub const MAX_FILE_BYTES: usize = 2 << 20;
/// At most this many public paths are kept per crate.
pub const MAX_ITEMS: usize = 100_000;
/// Modules nested deeper than this are not followed.
const MAX_DEPTH: usize = 32;
/// How many times the crate's own re-exports are followed (a re-export of a
/// re-export needs a second round).
const REEXPORT_ROUNDS: usize = 6;
/// How deep braces inside an item macro's invocation are searched for items.
const MAX_MACRO_NESTING: usize = 2;
/// A larger `all.html` is not read.
pub const MAX_ALL_HTML_BYTES: usize = 32 << 20;

/// The kind of a public item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A struct, enum, union or type alias.
    Type,
    Trait,
    Function,
    /// A constant or a static.
    Value,
    /// A `macro_rules!` macro or a function-like procedural macro.
    Macro,
    AttributeMacro,
    DeriveMacro,
    Module,
}

/// Where a name is looked up: what the code does with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    /// A type, trait or module (`Map<..>`, `impl Trait`, `io::Error`).
    Type,
    /// A function or constant (`spawn(..)`).
    Value,
    /// A macro of any kind (`json!`, `#[async_trait]`, `#[derive(Serialize)]`).
    Macro,
}

impl Kind {
    /// The namespace the item lives in.
    pub fn namespace(self) -> Namespace {
        match self {
            Kind::Type | Kind::Trait | Kind::Module => Namespace::Type,
            Kind::Function | Kind::Value => Namespace::Value,
            Kind::Macro | Kind::AttributeMacro | Kind::DeriveMacro => Namespace::Macro,
        }
    }
}

/// A re-export of another crate's item: resolved when that crate is indexed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Foreign {
    /// The module of this crate that re-exports (`""` for the root, `de`).
    pub module: String,
    /// The other crate's path (`serde_derive::Serialize`, `rand`).
    pub target: String,
    /// The name it is bound to; `None` for a glob.
    pub name: Option<String>,
}

/// One crate's public items, by path relative to the crate's root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrateItems {
    /// `de::Error` → its kinds; an empty set for another crate's item whose
    /// kind is not known (yet).
    pub items: BTreeMap<String, BTreeSet<Kind>>,
    /// Re-exports of other crates' items.
    pub foreign: Vec<Foreign>,
    /// A limit cut the reading short: the items are a part.
    pub truncated: bool,
}

/// A path a name may be imported from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Candidate {
    /// The whole path, from the crate as code names it (`serde_json::Map`).
    pub path: String,
    /// The crate as code names it (`serde_json`, `std`).
    pub krate: String,
    /// The item's kind; `None` for another crate's item not indexed.
    pub kind: Option<Kind>,
}

/// The public items of several crates, by the names code uses for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    crates: BTreeMap<String, CrateItems>,
    /// An item's name → (crate, path within it), for every crate.
    by_name: BTreeMap<String, BTreeSet<(String, String)>>,
}

impl Index {
    /// Adds (or replaces) a crate, under the name code uses for it.
    pub fn add_crate(&mut self, name_in_code: &str, items: CrateItems) {
        if let Some(old) = self.crates.remove(name_in_code) {
            for path in old.items.keys() {
                if let Some(entries) = self.by_name.get_mut(last_segment(path)) {
                    entries.remove(&(name_in_code.to_owned(), path.clone()));
                }
            }
        }
        for path in items.items.keys() {
            self.by_name
                .entry(last_segment(path).to_owned())
                .or_default()
                .insert((name_in_code.to_owned(), path.clone()));
        }
        self.crates.insert(name_in_code.to_owned(), items);
    }

    /// The crates the indexed crates re-export items or modules of
    /// (`wasm_bindgen` for js_sys's `pub use wasm_bindgen;`), by the name
    /// code uses for them.
    pub fn foreign_crates(&self) -> BTreeSet<String> {
        self.crates
            .values()
            .flat_map(|c| &c.foreign)
            .filter_map(|f| f.target.split("::").next())
            .filter(|root| !root.is_empty() && !self.crates.contains_key(*root))
            .map(str::to_owned)
            .collect()
    }

    /// The crates one indexed crate re-exports items or modules of.
    pub fn foreign_crates_of(&self, name: &str) -> BTreeSet<String> {
        self.crates
            .get(name)
            .into_iter()
            .flat_map(|c| &c.foreign)
            .filter_map(|f| f.target.split("::").next())
            .filter(|root| !root.is_empty() && *root != name)
            .map(str::to_owned)
            .collect()
    }

    /// Whether the crate code calls `name` is indexed.
    pub fn has_crate(&self, name: &str) -> bool {
        self.crates.contains_key(name)
    }

    /// Every path `name` may be imported from, in `namespace` when one is
    /// given: shortest first (`core` and `alloc` after the others of a
    /// length), then alphabetical. A module counts (`io` →
    /// `std::io`); another crate's re-exported item counts with that crate's
    /// kinds when it is indexed, with no kind otherwise.
    pub fn candidates(&self, name: &str, namespace: Option<Namespace>) -> Vec<Candidate> {
        let mut found = BTreeSet::new();
        for (krate, path) in self.by_name.get(name).into_iter().flatten() {
            let Some(items) = self.crates.get(krate) else {
                continue;
            };
            if let Some(kinds) = items.items.get(path) {
                let kinds = if kinds.is_empty() {
                    self.foreign_kinds(items, path)
                } else {
                    kinds.clone()
                };
                let full = format!("{krate}::{path}");
                if kinds.is_empty() {
                    found.insert((full.clone(), krate.clone(), None));
                }
                for kind in kinds {
                    if namespace.is_none_or(|n| kind.namespace() == n) {
                        found.insert((full.clone(), krate.clone(), Some(kind)));
                    }
                }
            }
        }
        for (krate, items) in &self.crates {
            if let Some(kinds) = self.foreign_glob_kinds(items, name) {
                for (module, kind) in kinds {
                    if namespace.is_none_or(|n| kind.namespace() == n) {
                        let full = format!("{krate}::{}", join(&module, name));
                        found.insert((full, krate.clone(), Some(kind)));
                    }
                }
            }
        }
        let mut candidates: Vec<Candidate> = found
            .into_iter()
            .map(|(path, krate, kind)| Candidate { path, krate, kind })
            .collect();
        // `core` and `alloc` last: `std` re-exports them, and code names `std`.
        let rank = |c: &Candidate| {
            let beneath_std = c.krate == "core" || c.krate == "alloc";
            (c.path.matches("::").count(), beneath_std)
        };
        candidates.sort_by(|a, b| (rank(a), &a.path, a.kind).cmp(&(rank(b), &b.path, b.kind)));
        candidates
    }

    /// Whether the module at `module_path` (`proptest::prelude`, `std::sync`)
    /// has a public item `name`, which a glob import of it brings into scope.
    /// `None` when the index cannot tell: the crate is not indexed (the
    /// standard library's modules are known without it), or the module
    /// re-exports a glob of a crate that is not.
    pub fn provides(&self, module_path: &str, name: &str) -> Option<bool> {
        self.provides_indexed(module_path, name)
    }
}

/// Whether `std::<name>` is a module of the standard library (`io`, `fmt`).
pub fn is_std_module(name: &str) -> bool {
    STD_MODULES.contains(&format!("std::{name}"))
}

impl Index {
    fn provides_indexed(&self, module_path: &str, name: &str) -> Option<bool> {
        let (krate, module) = module_path.split_once("::").unwrap_or((module_path, ""));
        let Some(items) = self.crates.get(krate) else {
            return STD_CRATES
                .contains(&krate)
                .then(|| STD_MODULES.contains(&join(module_path, name)));
        };
        if items.items.contains_key(&join(module, name)) {
            return Some(true);
        }
        if self
            .foreign_glob_kinds(items, name)
            .is_some_and(|found| found.iter().any(|(m, _)| m == module))
        {
            return Some(true);
        }
        let unknown_glob = items.foreign.iter().any(|f| {
            f.name.is_none()
                && f.module == module
                && !self.crates.contains_key(first_segment(&f.target))
        });
        if unknown_glob || items.truncated {
            return None;
        }
        Some(false)
    }

    /// The kinds of a re-exported item of another crate, when it is indexed.
    fn foreign_kinds(&self, items: &CrateItems, path: &str) -> BTreeSet<Kind> {
        let (module, name) = path.rsplit_once("::").unwrap_or(("", path));
        let Some(foreign) = items
            .foreign
            .iter()
            .find(|f| f.module == module && f.name.as_deref() == Some(name))
        else {
            return BTreeSet::new();
        };
        let (krate, rest) = foreign
            .target
            .split_once("::")
            .unwrap_or((&foreign.target, ""));
        match self.crates.get(krate) {
            Some(_) if rest.is_empty() => BTreeSet::from([Kind::Module]),
            // One level only: a re-export of a re-export keeps no kind.
            Some(other) => other.items.get(rest).cloned().unwrap_or_default(),
            None => BTreeSet::new(),
        }
    }

    /// What the crate's globs of other, indexed crates bring under `name`:
    /// (module of this crate, kind).
    fn foreign_glob_kinds(&self, items: &CrateItems, name: &str) -> Option<Vec<(String, Kind)>> {
        let mut found = Vec::new();
        for foreign in items.foreign.iter().filter(|f| f.name.is_none()) {
            let (krate, rest) = foreign
                .target
                .split_once("::")
                .unwrap_or((&foreign.target, ""));
            if let Some(kinds) = self
                .crates
                .get(krate)
                .and_then(|other| other.items.get(&join(rest, name)))
            {
                found.extend(kinds.iter().map(|k| (foreign.module.clone(), *k)));
            }
        }
        (!found.is_empty()).then_some(found)
    }
}

/// The modules of the standard library (`std`, `core`, `alloc`), one path a
/// line: what a glob of theirs may bring as a path's first segment, known
/// without the documentation installed.
static STD_MODULES: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    include_str!("std_modules.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
});

fn join(module: &str, name: &str) -> String {
    if module.is_empty() {
        name.to_owned()
    } else {
        format!("{module}::{name}")
    }
}

fn last_segment(path: &str) -> &str {
    path.rsplit("::").next().unwrap_or(path)
}

fn first_segment(path: &str) -> &str {
    path.split("::").next().unwrap_or(path)
}

/// Reads the standard library crate `krate` (`std`, `core`, `alloc`) from
/// rustdoc's `all.html`: every item's path and kind, and the modules on the
/// way. Anything else in the page is ignored.
pub fn read_std(html: &str) -> CrateItems {
    let mut out = CrateItems::default();
    if html.len() > MAX_ALL_HTML_BYTES {
        out.truncated = true;
        return out;
    }
    for piece in html.split("<li><a href=\"").skip(1) {
        let Some((href, rest)) = piece.split_once("\">") else {
            continue;
        };
        let Some((path, _)) = rest.split_once("</a>") else {
            continue;
        };
        let file = href.rsplit('/').next().unwrap_or(href);
        let kind = match file.split('.').next() {
            Some("struct" | "enum" | "union" | "type") => Kind::Type,
            Some("trait" | "traitalias") => Kind::Trait,
            Some("fn") => Kind::Function,
            Some("constant" | "static") => Kind::Value,
            Some("macro") => Kind::Macro,
            Some("attr") => Kind::AttributeMacro,
            Some("derive") => Kind::DeriveMacro,
            _ => continue,
        };
        let valid = path
            .split("::")
            .all(|s| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_'));
        if !valid {
            continue;
        }
        if out.items.len() >= MAX_ITEMS {
            out.truncated = true;
            break;
        }
        let mut module = String::new();
        for segment in path
            .split("::")
            .collect::<Vec<_>>()
            .split_last()
            .map_or(&[][..], |(_, m)| m)
        {
            module = join(&module, segment);
            out.items
                .entry(module.clone())
                .or_default()
                .insert(Kind::Module);
        }
        out.items.entry(path.to_owned()).or_default().insert(kind);
    }
    out
}

/// Reads one crate's public items from its source files: `root` is the
/// library's root file (`src/lib.rs`), `files` every source file by path
/// relative to the package (`/`-separated).
pub fn read_crate(root: &str, files: &BTreeMap<String, String>) -> CrateItems {
    let mut reader = Reader {
        files,
        visited: BTreeSet::new(),
        defined: BTreeMap::new(),
        private: BTreeSet::new(),
        public: BTreeSet::new(),
        uses: Vec::new(),
        truncated: false,
    };
    reader.read_file(root, &[], 0);
    let foreign = reader.follow_reexports();
    let Reader {
        defined,
        mut private,
        public,
        mut truncated,
        ..
    } = reader;
    private.retain(|module| !public.contains(module));
    let mut items = BTreeMap::new();
    for (path, kinds) in defined {
        let segments: Vec<&str> = path.split("::").collect();
        let hidden = (1..=segments.len()).any(|n| private.contains(&segments[..n].join("::")));
        if hidden {
            continue;
        }
        if items.len() >= MAX_ITEMS {
            truncated = true;
            break;
        }
        items.insert(path, kinds);
    }
    CrateItems {
        items,
        foreign,
        truncated,
    }
}

/// A `pub use` waiting to be resolved.
#[derive(Debug, Clone)]
struct PendingUse {
    /// The module that re-exports.
    module: Vec<String>,
    /// The path as written, `crate`/`self`/`super` included.
    path: Vec<String>,
    leading_colon: bool,
    /// The name bound; `None` for a glob.
    name: Option<String>,
}

/// The walk over one crate's modules.
struct Reader<'f> {
    files: &'f BTreeMap<String, String>,
    visited: BTreeSet<String>,
    /// Every `pub` item of every module, by path: whether reachable from
    /// outside is decided at the end, from `private`.
    defined: BTreeMap<String, BTreeSet<Kind>>,
    /// Modules declared without `pub`.
    private: BTreeSet<String>,
    /// Modules declared `pub`.
    public: BTreeSet<String>,
    uses: Vec<PendingUse>,
    truncated: bool,
}

impl Reader<'_> {
    fn define(&mut self, module: &[String], name: &str, kind: Option<Kind>) -> bool {
        if name.starts_with("__") {
            return false;
        }
        if self.defined.len() >= MAX_ITEMS {
            self.truncated = true;
            return false;
        }
        let path = join(&module.join("::"), name);
        let kinds = self.defined.entry(path).or_default();
        match kind {
            Some(kind) => kinds.insert(kind),
            None => false,
        }
    }

    /// Reads the file at `path` as the module `module`.
    fn read_file(&mut self, path: &str, module: &[String], depth: usize) {
        if self.visited.len() >= MAX_FILES {
            self.truncated = true;
            return;
        }
        if !self.visited.insert(path.to_owned()) {
            return;
        }
        let Some(text) = self.files.get(path) else {
            return;
        };
        if text.len() > MAX_FILE_BYTES {
            self.truncated = true;
            return;
        }
        let Ok(file) = syn::parse_file(text) else {
            return;
        };
        // `src/lib.rs` and `x/mod.rs` hold their submodules' files beside
        // them; `src/x.rs` in `src/x/`.
        let dir = match path.rsplit_once('/') {
            Some((dir, name)) if depth == 0 || name == "mod.rs" => dir.to_owned(),
            None if depth == 0 || path == "mod.rs" => String::new(),
            Some(_) | None => path.trim_end_matches(".rs").to_owned(),
        };
        self.read_items(&file.items, module, &dir, depth);
    }

    fn read_items(&mut self, items: &[syn::Item], module: &[String], dir: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.truncated = true;
            return;
        }
        for item in items {
            if hidden(item_attrs(item)) {
                continue;
            }
            match item {
                syn::Item::Mod(m) => self.read_module(m, module, dir, depth),
                syn::Item::Macro(m) => match &m.ident {
                    Some(ident) => {
                        if m.attrs.iter().any(|a| a.path().is_ident("macro_export")) {
                            self.define(&[], &ident_name(ident), Some(Kind::Macro));
                        }
                    }
                    None => self.read_macro_items(&m.mac.tokens, module, dir, depth, 0),
                },
                syn::Item::Use(u) if is_pub(&u.vis) => {
                    let mut leaves = Vec::new();
                    use_leaves(&u.tree, &mut Vec::new(), &mut leaves);
                    for (path, name) in leaves {
                        self.uses.push(PendingUse {
                            module: module.to_vec(),
                            path,
                            leading_colon: u.leading_colon.is_some(),
                            name,
                        });
                    }
                }
                syn::Item::ExternCrate(e) if is_pub(&e.vis) => {
                    let name = ident_name(e.rename.as_ref().map_or(&e.ident, |(_, r)| r));
                    self.define(module, &name, Some(Kind::Module));
                }
                syn::Item::Fn(f) if is_pub(&f.vis) => {
                    let (name, kind) = function_kind(f);
                    self.define(module, &name, Some(kind));
                }
                _ => {
                    if let Some((name, kind)) = simple_item(item) {
                        self.define(module, &name, Some(kind));
                    }
                }
            }
        }
    }

    /// The items inside an item macro's invocation, read as if they stood
    /// there: `cfg_rt! { pub mod runtime; }` (tokio), and the braced blocks
    /// of `cfg_if! { if #[cfg(..)] { .. } else { .. } }`.
    fn read_macro_items(
        &mut self,
        tokens: &TokenStream,
        module: &[String],
        dir: &str,
        depth: usize,
        nesting: usize,
    ) {
        if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
            self.read_items(&file.items, module, dir, depth + 1);
            return;
        }
        if nesting >= MAX_MACRO_NESTING {
            return;
        }
        for tree in tokens.clone() {
            if let TokenTree::Group(group) = tree
                && group.delimiter() == Delimiter::Brace
            {
                self.read_macro_items(&group.stream(), module, dir, depth + 1, nesting + 1);
            }
        }
    }

    fn read_module(&mut self, m: &syn::ItemMod, module: &[String], dir: &str, depth: usize) {
        let name = ident_name(&m.ident);
        let mut inner = module.to_vec();
        inner.push(name.clone());
        // A private module is defined too: `pub use imp::Thing;` names it.
        self.define(module, &name, Some(Kind::Module));
        // Declared private under one `cfg` and public under another: public.
        if is_pub(&m.vis) {
            self.public.insert(inner.join("::"));
        } else {
            self.private.insert(inner.join("::"));
        }
        let child_dir = if dir.is_empty() {
            name.clone()
        } else {
            format!("{dir}/{name}")
        };
        match &m.content {
            Some((_, items)) => self.read_items(items, &inner, &child_dir, depth + 1),
            None => {
                let flat = format!("{child_dir}.rs");
                let nested = format!("{child_dir}/mod.rs");
                let file = if self.files.contains_key(&flat) {
                    flat
                } else {
                    nested
                };
                self.read_file(&file, &inner, depth + 1);
            }
        }
    }

    /// Follows the crate's own re-exports for a few rounds; returns those of
    /// other crates.
    fn follow_reexports(&mut self) -> Vec<Foreign> {
        let uses = std::mem::take(&mut self.uses);
        for _ in 0..REEXPORT_ROUNDS {
            let before = self.defined.len();
            let mut changed = false;
            for pending in &uses {
                changed |= self.apply(pending);
            }
            if !changed && before == self.defined.len() || self.truncated {
                break;
            }
        }
        let mut foreign: Vec<Foreign> = uses
            .iter()
            .filter_map(|pending| {
                let target = self.local_target(pending).err()?;
                if let Some(name) = &pending.name {
                    // The name exists here even when its kind is not known.
                    self.define(&pending.module, name, None);
                }
                Some(Foreign {
                    module: pending.module.join("::"),
                    target,
                    name: pending.name.clone(),
                })
            })
            .collect();
        foreign.sort();
        foreign.dedup();
        foreign
    }

    /// Applies one re-export of this crate's items; whether it added anything.
    fn apply(&mut self, pending: &PendingUse) -> bool {
        let Ok(target) = self.local_target(pending) else {
            return false;
        };
        let target = target.join("::");
        // (name bound, path of the item it names, kinds)
        let additions: Vec<(String, String, BTreeSet<Kind>)> = match &pending.name {
            Some(name) => self
                .defined
                .get(&target)
                .map(|kinds| vec![(name.clone(), target.clone(), kinds.clone())])
                .unwrap_or_default(),
            None => {
                let prefix = format!("{target}::");
                self.defined
                    .iter()
                    .filter_map(|(path, kinds)| {
                        let rest = if target.is_empty() {
                            path.as_str()
                        } else {
                            path.strip_prefix(&prefix)?
                        };
                        (!rest.contains("::"))
                            .then(|| (rest.to_owned(), path.clone(), kinds.clone()))
                    })
                    .collect()
            }
        };
        let mut changed = false;
        for (name, source, kinds) in additions {
            let private_module = self.private.contains(&source) && !self.public.contains(&source);
            for kind in kinds {
                // A private module cannot be re-exported, a function of the
                // same name can.
                if kind == Kind::Module && private_module {
                    continue;
                }
                changed |= self.define(&pending.module, &name, Some(kind));
            }
        }
        changed
    }

    /// The path of this crate a re-export names, or the other crate's path
    /// (`serde_derive::Serialize`) when it names none of this crate's modules.
    fn local_target(&self, pending: &PendingUse) -> Result<Vec<String>, String> {
        let mut path = pending.path.clone();
        let mut base: Vec<String> = pending.module.clone();
        let Some(first) = path.first().cloned() else {
            return Ok(base);
        };
        if pending.leading_colon {
            return Err(path.join("::"));
        }
        match first.as_str() {
            "crate" => {
                path.remove(0);
                return Ok(path);
            }
            "self" => {
                path.remove(0);
            }
            "super" => {
                while path.first().is_some_and(|s| s == "super") {
                    path.remove(0);
                    base.pop();
                }
            }
            _ => {
                // Rust 2018 looks in the module first; 2015 at the root.
                let here = join(&base.join("::"), &first);
                if !self.defined.contains_key(&here) {
                    if self.defined.contains_key(&first) {
                        return Ok(path);
                    }
                    return Err(path.join("::"));
                }
            }
        }
        base.extend(path);
        Ok(base)
    }
}

/// The leaves of a `use` tree: (path, bound name or `None` for a glob).
fn use_leaves(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(ident_name(&p.ident));
            use_leaves(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            if let Some(last) = prefix.last() {
                out.push((prefix.clone(), Some(last.clone())));
            }
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(ident_name(&n.ident));
            out.push((path, Some(ident_name(&n.ident))));
        }
        syn::UseTree::Rename(r) if r.rename != "_" => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(ident_name(&r.ident));
            }
            out.push((path, Some(ident_name(&r.rename))));
        }
        syn::UseTree::Rename(_) => {}
        syn::UseTree::Glob(_) => out.push((prefix.clone(), None)),
        syn::UseTree::Group(g) => {
            for tree in &g.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

fn is_pub(vis: &syn::Visibility) -> bool {
    matches!(vis, syn::Visibility::Public(_))
}

/// Whether `#[doc(hidden)]` keeps the item out of the documented API.
fn hidden(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("doc")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "hidden")
    })
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

/// A public function, or the macro a proc-macro crate's function defines.
fn function_kind(f: &syn::ItemFn) -> (String, Kind) {
    for attr in &f.attrs {
        let path = attr.path();
        if path.is_ident("proc_macro") {
            return (ident_name(&f.sig.ident), Kind::Macro);
        }
        if path.is_ident("proc_macro_attribute") {
            return (ident_name(&f.sig.ident), Kind::AttributeMacro);
        }
        if path.is_ident("proc_macro_derive") {
            // `#[proc_macro_derive(Name, attributes(..))]` names the derive.
            let first = attr
                .parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                .ok()
                .and_then(|metas| metas.into_iter().next());
            if let Some(syn::Meta::Path(name)) = first
                && let Some(ident) = name.get_ident()
            {
                return (ident_name(ident), Kind::DeriveMacro);
            }
        }
    }
    (ident_name(&f.sig.ident), Kind::Function)
}

fn ident_name(ident: &syn::Ident) -> String {
    ident.unraw().to_string()
}

/// The name and kind of a public item that is neither a module, a function,
/// a macro nor an import.
fn simple_item(item: &syn::Item) -> Option<(String, Kind)> {
    let (vis, ident, kind) = match item {
        syn::Item::Struct(i) => (&i.vis, &i.ident, Kind::Type),
        syn::Item::Enum(i) => (&i.vis, &i.ident, Kind::Type),
        syn::Item::Union(i) => (&i.vis, &i.ident, Kind::Type),
        syn::Item::Type(i) => (&i.vis, &i.ident, Kind::Type),
        syn::Item::Trait(i) => (&i.vis, &i.ident, Kind::Trait),
        syn::Item::TraitAlias(i) => (&i.vis, &i.ident, Kind::Trait),
        syn::Item::Const(i) => (&i.vis, &i.ident, Kind::Value),
        syn::Item::Static(i) => (&i.vis, &i.ident, Kind::Value),
        _ => return None,
    };
    is_pub(vis).then(|| (ident_name(ident), kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
            .collect()
    }

    /// Renders a crate's items as `path:kind,kind` lines, sorted.
    fn render(items: &CrateItems) -> String {
        items
            .items
            .iter()
            .map(|(path, kinds)| {
                let kinds: Vec<String> = kinds
                    .iter()
                    .map(|k| format!("{k:?}").to_lowercase())
                    .collect();
                format!("{path}:{}", kinds.join(","))
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[track_caller]
    fn check(pairs: &[(&str, &str)], expected: &str) {
        let items = read_crate("src/lib.rs", &files(pairs));
        assert_eq!(render(&items), expected);
    }

    #[test]
    fn public_items_of_nested_modules_inline_and_in_files() {
        check(
            &[
                (
                    "src/lib.rs",
                    "pub mod a; mod hidden; pub mod b { pub struct B; pub(crate) struct No; pub mod c; } pub fn f() {} pub const K: u8 = 1; pub trait T {} struct Private;",
                ),
                (
                    "src/a.rs",
                    "pub mod deep; pub enum E {} pub static S: u8 = 0;",
                ),
                ("src/a/deep/mod.rs", "pub type Alias = u8;"),
                ("src/b/c.rs", "pub union U { x: u8 }"),
                ("src/hidden.rs", "pub struct NotReachable;"),
            ],
            "K:value T:trait a:module a::E:type a::S:value a::deep:module a::deep::Alias:type \
             b:module b::B:type b::c:module b::c::U:type f:function",
        );
    }

    #[test]
    fn reexports_within_the_crate_globs_and_facades() {
        check(
            &[
                (
                    "src/lib.rs",
                    "mod imp; pub use imp::{Thing, helper as renamed, spawn}; pub use crate::imp::inner::*; pub mod prelude { pub use super::Thing; pub use crate::facade::*; } pub mod facade { pub use crate::imp::Other; }",
                ),
                (
                    "src/imp.rs",
                    "pub struct Thing; pub struct Other; pub fn helper() {} pub mod inner { pub fn one() {} pub struct Two; } mod spawn; pub use spawn::spawn;",
                ),
                ("src/imp/spawn.rs", "pub fn spawn() {}"),
            ],
            "Thing:type Two:type facade:module facade::Other:type one:function prelude:module \
             prelude::Other:type prelude::Thing:type renamed:function spawn:function",
        );
    }

    #[test]
    fn items_inside_item_macros_count() {
        check(
            &[
                (
                    "src/lib.rs",
                    "cfg_rt! { pub mod runtime; pub fn spawn() {} } cfg_not_rt! { mod runtime; } cfg_if::cfg_if! { if #[cfg(unix)] { pub struct Unix; } else { pub struct Other; } } m!(not items);",
                ),
                ("src/runtime.rs", "pub struct Runtime;"),
            ],
            "Other:type Unix:type runtime:module runtime::Runtime:type spawn:function",
        );
    }

    #[test]
    fn exported_macros_land_at_the_root() {
        check(
            &[
                (
                    "src/lib.rs",
                    "mod macros; macro_rules! local { () => {} } #[doc(hidden)] pub mod __private {} #[doc(hidden)] pub fn hidden() {}",
                ),
                (
                    "src/macros.rs",
                    "#[macro_export] macro_rules! json { () => {} } #[macro_export] #[doc(hidden)] macro_rules! __inner { () => {} }",
                ),
            ],
            "json:macro",
        );
    }

    #[test]
    fn a_proc_macro_crate_exports_its_macros() {
        check(
            &[(
                "src/lib.rs",
                "use proc_macro::TokenStream; #[proc_macro] pub fn quote(i: TokenStream) -> TokenStream { i } #[proc_macro_attribute] pub fn async_trait(a: TokenStream, i: TokenStream) -> TokenStream { i } #[proc_macro_derive(Serialize, attributes(serde))] pub fn derive_serialize(i: TokenStream) -> TokenStream { i }",
            )],
            "Serialize:derivemacro async_trait:attributemacro quote:macro",
        );
    }

    #[test]
    fn unparsable_missing_and_cyclic_files_are_skipped() {
        check(
            &[
                (
                    "src/lib.rs",
                    "pub mod broken; pub mod missing; pub mod ok; pub use self::ok::*; pub use ok::*;",
                ),
                ("src/broken.rs", "pub fn f( {"),
                ("src/ok.rs", "pub struct Fine; pub use crate::*;"),
            ],
            "Fine:type broken:module missing:module ok:module ok::Fine:type ok::broken:module \
             ok::missing:module ok::ok:module",
        );
        assert_eq!(
            read_crate("src/lib.rs", &BTreeMap::new()),
            CrateItems::default()
        );
    }

    fn serde_facade() -> CrateItems {
        read_crate(
            "src/lib.rs",
            &files(&[(
                "src/lib.rs",
                "pub mod de { pub trait Deserializer {} } #[cfg(feature = \"derive\")] pub use serde_derive::{Deserialize, Serialize}; pub use rand; pub mod prelude { pub use other::prelude::*; }",
            )]),
        )
    }

    fn serde_derive() -> CrateItems {
        read_crate(
            "src/lib.rs",
            &files(&[(
                "src/lib.rs",
                "#[proc_macro_derive(Serialize)] pub fn s(i: TokenStream) -> TokenStream { i } #[proc_macro_derive(Deserialize)] pub fn d(i: TokenStream) -> TokenStream { i }",
            )]),
        )
    }

    fn paths(candidates: &[Candidate]) -> String {
        candidates
            .iter()
            .map(|c| match c.kind {
                Some(kind) => format!("{}({})", c.path, format!("{kind:?}").to_lowercase()),
                None => format!("{}(?)", c.path),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn a_root_glob_reexport_gives_a_path_from_the_crate_root() {
        let mut facade = CrateItems::default();
        facade.foreign.push(Foreign {
            module: String::new(),
            target: "facade_impl".into(),
            name: None,
        });
        let mut inner = CrateItems::default();
        inner
            .items
            .insert("Error".into(), BTreeSet::from([Kind::DeriveMacro]));
        let mut index = Index::default();
        index.add_crate("facade", facade);
        index.add_crate("facade_impl", inner);
        let found: Vec<String> = index
            .candidates("Error", Some(Namespace::Macro))
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert!(found.contains(&"facade::Error".to_string()), "{found:?}");
        assert!(found.iter().all(|p| !p.contains("::::")), "{found:?}");
    }

    #[test]
    fn another_crates_reexports_resolve_when_it_is_indexed() {
        let facade = serde_facade();
        assert_eq!(
            facade.foreign,
            [
                Foreign {
                    module: String::new(),
                    target: "rand".into(),
                    name: Some("rand".into())
                },
                Foreign {
                    module: String::new(),
                    target: "serde_derive::Deserialize".into(),
                    name: Some("Deserialize".into())
                },
                Foreign {
                    module: String::new(),
                    target: "serde_derive::Serialize".into(),
                    name: Some("Serialize".into())
                },
                Foreign {
                    module: "prelude".into(),
                    target: "other::prelude".into(),
                    name: None
                },
            ]
        );
        let mut index = Index::default();
        index.add_crate("serde", facade);
        assert_eq!(
            paths(&index.candidates("Serialize", None)),
            "serde::Serialize(?)"
        );
        index.add_crate("serde_derive", serde_derive());
        assert_eq!(
            paths(&index.candidates("Serialize", Some(Namespace::Macro))),
            "serde::Serialize(derivemacro) serde_derive::Serialize(derivemacro)"
        );
        assert_eq!(
            paths(&index.candidates("Serialize", Some(Namespace::Value))),
            ""
        );
        assert_eq!(
            paths(&index.candidates("Deserializer", None)),
            "serde::de::Deserializer(trait)"
        );
        assert_eq!(paths(&index.candidates("de", None)), "serde::de(module)");
        // A glob of a crate not indexed: nobody can tell what it brings.
        assert_eq!(index.provides("serde::prelude", "anything"), None);
        assert_eq!(index.provides("serde", "rand"), Some(true));
        assert_eq!(index.provides("serde", "de"), Some(true));
        assert_eq!(index.provides("serde", "ser"), Some(false));
        assert_eq!(index.provides("serde_json", "x"), None);
        index.add_crate(
            "other",
            read_crate(
                "src/lib.rs",
                &files(&[("src/lib.rs", "pub mod prelude { pub mod util {} }")]),
            ),
        );
        assert_eq!(index.provides("serde::prelude", "util"), Some(true));
        assert_eq!(index.provides("serde::prelude", "anything"), Some(false));
        assert_eq!(
            paths(&index.candidates("util", None)),
            "other::prelude::util(module) serde::prelude::util(module)"
        );
    }

    #[test]
    fn the_standard_library_from_its_all_html() {
        let html = "<ul class=\"all-items\"><li><a href=\"io/struct.Error.html\">io::Error</a></li>\
            <li><a href=\"collections/hash_map/enum.Entry.html\">collections::hash_map::Entry</a></li>\
            <li><a href=\"macro.vec.html\">vec</a></li><li><a href=\"primitive.u8.html\">u8</a></li>\
            <li><a href=\"fn.bad.html\">not a path!</a></li><li><a href=\"x.html\"></ul>";
        let std = read_std(html);
        assert_eq!(
            render(&std),
            "collections:module collections::hash_map:module collections::hash_map::Entry:type \
             io:module io::Error:type vec:macro"
        );
        let mut index = Index::default();
        index.add_crate("std", std);
        assert_eq!(paths(&index.candidates("io", None)), "std::io(module)");
        index.add_crate(
            "core",
            read_std("<li><a href=\"io/trait.Read.html\">io::Read</a></li>"),
        );
        assert_eq!(
            paths(&index.candidates("io", None)),
            "std::io(module) core::io(module)"
        );
        assert_eq!(
            paths(&index.candidates("Error", Some(Namespace::Type))),
            "std::io::Error(type)"
        );
        assert_eq!(index.provides("std::collections", "hash_map"), Some(true));
        assert_eq!(index.provides("std::io", "atomic"), Some(false));
    }

    #[test]
    fn the_standard_library_modules_are_known_without_its_documentation() {
        let index = Index::default();
        assert_eq!(index.provides("std::sync", "atomic"), Some(true));
        assert_eq!(index.provides("core::sync", "atomic"), Some(true));
        assert_eq!(
            index.provides("std::io::prelude", "serde_json"),
            Some(false)
        );
        assert_eq!(index.provides("std", "collections"), Some(true));
        assert_eq!(index.provides("std", "rand"), Some(false));
    }

    #[test]
    fn limits_hold() {
        let big = "pub struct S;".repeat(MAX_FILE_BYTES / 12);
        let items = read_crate("src/lib.rs", &files(&[("src/lib.rs", &big)]));
        assert!(items.truncated);
        assert!(items.items.is_empty());
        // A module whose file is the root's is not read twice.
        let items = read_crate(
            "src/lib.rs",
            &files(&[
                ("src/lib.rs", "pub mod lib;"),
                ("src/lib/mod.rs", "pub mod x;"),
            ]),
        );
        assert_eq!(render(&items), "lib:module");
    }

    proptest::proptest! {
        #[test]
        fn reading_never_panics(text in "\\PC{0,400}", rust in "(pub |mod |use |::|\\{|\\}|;|\\*|crate|self|super|a|b|#\\[macro_export\\]|macro_rules! m \\{\\}|fn f\\(\\)\\{\\}|struct S;| as )*") {
            let pairs = files(&[("src/lib.rs", &rust), ("src/a.rs", &text), ("src/b.rs", &rust)]);
            let items = read_crate("src/lib.rs", &pairs);
            let mut index = Index::default();
            index.add_crate("x", items);
            index.add_crate("std", read_std(&text));
            let _ = index.candidates("a", None);
            let _ = index.provides("x::a", "b");
        }
    }
}
