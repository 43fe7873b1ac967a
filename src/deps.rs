//! Snippet code -> the external crates it needs, with versions and features.
//!
//! A documentation snippet rarely says which crates it needs, but its code
//! does: `use tokio::sync::Mutex;`, `#[derive(serde::Serialize)]` and
//! `serde_json::json!` all name a crate, and often the feature that makes the
//! item exist. This module reads that from the syntax tree in three steps:
//!
//! 1. [`scan`] finds every external crate the code names and the paths it uses
//!    through it, resolved through `use` aliases (so `Duration::from_secs`
//!    after `use tokio::time::Duration` counts as `tokio::time::Duration`).
//! 2. [`KnownCrates`] maps those paths to cargo features. The knowledge is data
//!    (`known_crates.toml`) so users can extend it from their configuration
//!    without a new release.
//! 3. [`resolve`] combines both with the registry's answers (see
//!    [`crate::registry`]) into dependency specifications, keeping only the
//!    features the registry says exist.
//!
//! Name resolution is deliberately approximate: it follows Rust 2018 rules (a
//! path's first segment is a local item, an import, or a crate from the
//! extern prelude) but treats every module scope as seeing its parents'
//! imports, which is what the ubiquitous `use super::*;` in test modules does
//! anyway. Macro bodies are not parsed; instead their tokens are searched for
//! `ident::ident` sequences, which finds the crate paths that matter.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use proc_macro2::{Spacing, TokenStream, TokenTree};
use serde::{Deserialize, Serialize};
use syn::ext::IdentExt;
use syn::punctuated::Punctuated;
use syn::visit::{self, Visit};

use crate::registry::Lookup;

/// What one snippet's code says about one external crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateUse {
    /// The name as the code writes it (`wasm_bindgen`).
    pub name: String,
    /// Every path through this crate the code uses, resolved through `use` items
    /// (`tokio::sync::RwLock`, `tokio::main`, `serde::Serialize`).
    pub paths: BTreeSet<String>,
    /// Every use sits under `#[cfg(test)]`: a dev-dependency.
    pub only_in_tests: bool,
    /// A type of this crate appears in an item deriving `Serialize`/`Deserialize`.
    pub in_serde_derive: bool,
    /// When every path naming this crate has a glob import in scope that may
    /// provide its first segment instead (`prop::collection::vec` after
    /// `use proptest::prelude::*;`): the paths of those globs
    /// (`proptest::prelude`, `std::sync`). Empty when the code names the crate
    /// for sure somewhere: in a `use` or `extern crate`, after a leading `::`,
    /// or in a path no glob of an external crate or the standard library reaches.
    pub maybe_from_globs: BTreeSet<String>,
    /// Some `use`, `extern crate` or leading `::` names it: the code means a
    /// crate for sure, not a module of the standard library it forgot to
    /// import (`io::Error` without `use std::io;`).
    pub imported: bool,
}

/// Errors of this module.
#[derive(Debug, thiserror::Error)]
pub enum DepsError {
    /// A known-crates table is not valid TOML of the expected shape.
    #[error("failed to parse the known-crates table")]
    KnownCratesToml(#[source] toml::de::Error),
    /// A rule's key is not a `::`-separated path.
    #[error("failed to accept the known-crates rule `{prefix}` of `{krate}`: it is not a path")]
    InvalidRule {
        /// The crate whose table holds the rule.
        krate: String,
        /// The offending key.
        prefix: String,
    },
}

/// Names that are never crates even though paths may start with them.
const NOT_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "proc_macro",
    "test",
    "crate",
    "self",
    "super",
    "Self",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "bool",
    "char",
    "str",
];

/// How many `use` aliases one path may go through before we give up, which
/// protects against cyclic imports such as `use a::b as a;`.
const MAX_ALIAS_DEPTH: usize = 16;

/// Finds every external crate that the Rust file `source` names.
///
/// The result is sorted by crate name and has one entry per crate. `source`
/// must be a whole file; a syntax error is returned as is.
pub fn scan(source: &str) -> Result<Vec<CrateUse>, syn::Error> {
    Ok(scan_file(&syn::parse_file(source)?))
}

/// [`scan`] over a file already parsed: what [`crate::syntax`] calls, so that a
/// snippet is parsed once for every fact its syntax tree holds.
pub fn scan_file(file: &syn::File) -> Vec<CrateUse> {
    let mut definitions = Definitions::default();
    definitions.visit_file(file);
    let mut scanner = Scanner {
        local: &definitions.names,
        scopes: Vec::new(),
        test_depth: 0,
        serde_items: Vec::new(),
        in_serde_fields: false,
        found: BTreeMap::new(),
    };
    scanner.visit_file(file);
    scanner
        .found
        .into_iter()
        .map(|(name, seen)| CrateUse {
            name,
            paths: seen.paths,
            only_in_tests: !seen.outside_tests,
            in_serde_derive: seen.in_serde_derive,
            maybe_from_globs: if seen.named {
                BTreeSet::new()
            } else {
                seen.globs
            },
            imported: seen.imported,
        })
        .collect()
}

/// The name of an identifier without a raw-identifier prefix.
fn ident_name(ident: &syn::Ident) -> String {
    ident.unraw().to_string()
}

/// Collects the names the snippet defines in the type namespace, anywhere in
/// the file: modules, types, traits and generic parameters.
///
/// Only these can shadow a crate: the first segment of `log::info!` is looked
/// up among modules and types, so a local `fn log` or `macro_rules! log` does
/// not hide the `log` crate.
#[derive(Debug, Default)]
struct Definitions {
    names: HashSet<String>,
}

impl Definitions {
    fn add(&mut self, ident: &syn::Ident) {
        self.names.insert(ident_name(ident));
    }
}

impl<'ast> Visit<'ast> for Definitions {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        match item {
            syn::Item::Enum(item) => self.add(&item.ident),
            syn::Item::Mod(item) => self.add(&item.ident),
            syn::Item::Struct(item) => self.add(&item.ident),
            syn::Item::Trait(item) => self.add(&item.ident),
            syn::Item::TraitAlias(item) => self.add(&item.ident),
            syn::Item::Type(item) => self.add(&item.ident),
            syn::Item::Union(item) => self.add(&item.ident),
            _ => {}
        }
        visit::visit_item(self, item);
    }

    fn visit_foreign_item(&mut self, item: &'ast syn::ForeignItem) {
        if let syn::ForeignItem::Type(item) = item {
            self.add(&item.ident);
        }
        visit::visit_foreign_item(self, item);
    }

    fn visit_type_param(&mut self, param: &'ast syn::TypeParam) {
        self.add(&param.ident);
        visit::visit_type_param(self, param);
    }

    fn visit_const_param(&mut self, param: &'ast syn::ConstParam) {
        self.add(&param.ident);
        visit::visit_const_param(self, param);
    }
}

/// What a name brought into scope by `use` or `extern crate` stands for.
#[derive(Debug, Clone)]
struct Binding {
    leading_colon: bool,
    path: Vec<String>,
}

/// One leaf of a `use` tree.
#[derive(Debug)]
struct UseLeaf {
    path: Vec<String>,
    /// The name the leaf binds; `None` for globs and `as _`.
    binding: Option<String>,
    /// The leaf is a glob (`prelude::*`).
    glob: bool,
}

/// Flattens a `use` tree into its leaves, each with its full path.
fn use_leaves(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        syn::UseTree::Path(path) => {
            prefix.push(ident_name(&path.ident));
            use_leaves(&path.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(name) => {
            let ident = ident_name(&name.ident);
            if ident == "self" {
                // `use a::b::{self}` binds `b`.
                out.push(UseLeaf {
                    path: prefix.clone(),
                    binding: prefix.last().cloned(),
                    glob: false,
                });
            } else {
                let mut path = prefix.clone();
                path.push(ident.clone());
                out.push(UseLeaf {
                    path,
                    binding: Some(ident),
                    glob: false,
                });
            }
        }
        syn::UseTree::Rename(rename) => {
            let ident = ident_name(&rename.ident);
            let mut path = prefix.clone();
            if ident != "self" {
                path.push(ident);
            }
            let alias = ident_name(&rename.rename);
            out.push(UseLeaf {
                path,
                binding: (alias != "_").then_some(alias),
                glob: false,
            });
        }
        syn::UseTree::Glob(_) => out.push(UseLeaf {
            path: prefix.clone(),
            binding: None,
            glob: true,
        }),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_leaves(tree, prefix, out);
            }
        }
    }
}

/// What the scan learned about one crate so far.
#[derive(Debug, Default)]
struct Seen {
    paths: BTreeSet<String>,
    outside_tests: bool,
    in_serde_derive: bool,
    /// Some path names the crate for sure (see [`CrateUse::maybe_from_globs`]).
    named: bool,
    /// Some import names it (see [`CrateUse::imported`]).
    imported: bool,
    /// The globs that may provide the crate's name where it is not named for sure.
    globs: BTreeSet<String>,
}

/// The imports of one module or block.
#[derive(Debug, Default)]
struct Scope {
    /// The names bound by `use` and `extern crate`.
    names: HashMap<String, Binding>,
    /// The paths of the glob imports (`use proptest::prelude::*;`), as written.
    globs: Vec<Binding>,
}

/// A path resolved to an external crate.
#[derive(Debug)]
struct Resolved {
    krate: String,
    path: Vec<String>,
    /// The first segment came from an import, `extern crate` or a leading
    /// `::`, so it is a crate for sure; otherwise a glob import in scope may
    /// provide it.
    named: bool,
}

/// The standard library's crates: a glob of theirs (`use std::sync::*;`)
/// may provide a path's first segment too.
pub const STD_CRATES: &[&str] = &["std", "core", "alloc"];

/// The second pass: resolves and records every path that names a crate.
#[derive(Debug)]
struct Scanner<'a> {
    /// Names the snippet defines.
    local: &'a HashSet<String>,
    /// Imports per enclosing module or block, innermost last.
    scopes: Vec<Scope>,
    /// How many enclosing items are test-only.
    test_depth: usize,
    /// Per enclosing item, whether it derives `Serialize`/`Deserialize`.
    serde_items: Vec<bool>,
    /// Whether we are inside a field of such an item.
    in_serde_fields: bool,
    found: BTreeMap<String, Seen>,
}

impl Scanner<'_> {
    /// Opens a scope holding the imports among `items`.
    fn push_scope<'i>(&mut self, items: impl Iterator<Item = &'i syn::Item>) {
        let mut scope = Scope::default();
        for item in items {
            match item {
                syn::Item::Use(item) => {
                    let mut leaves = Vec::new();
                    use_leaves(&item.tree, &mut Vec::new(), &mut leaves);
                    for leaf in leaves {
                        let binding = Binding {
                            leading_colon: item.leading_colon.is_some(),
                            path: leaf.path,
                        };
                        match leaf.binding {
                            Some(name) => {
                                scope.names.insert(name, binding);
                            }
                            None if leaf.glob => scope.globs.push(binding),
                            None => {}
                        }
                    }
                }
                syn::Item::ExternCrate(item) => {
                    let krate = ident_name(&item.ident);
                    if krate == "self" {
                        continue;
                    }
                    let name = item
                        .rename
                        .as_ref()
                        .map_or_else(|| krate.clone(), |(_, alias)| ident_name(alias));
                    scope.names.insert(
                        name,
                        Binding {
                            leading_colon: true,
                            path: vec![krate],
                        },
                    );
                }
                _ => {}
            }
        }
        self.scopes.push(scope);
    }

    /// The import that binds `name` as the first segment of a path of
    /// `segments` segments.
    ///
    /// An import whose own path starts with the name it binds
    /// (`use async_trait::async_trait;`, `use uuid::{uuid, Uuid};`) names the
    /// crate's item, which is a macro or a function in practice (as a module
    /// it would be ambiguous with the crate): it stands for the name used
    /// alone (`#[async_trait]`), while a longer path (`uuid::Uuid`) and the
    /// import's own path start at the crate.
    fn binding(&self, name: &str, segments: usize) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|scope| {
            scope.names.get(name).filter(|binding| {
                let self_rooted =
                    binding.path.len() > 1 && binding.path.first().is_some_and(|f| f == name);
                !(self_rooted && segments > 1)
            })
        })
    }

    /// The globs in scope that may provide a path's first segment: their
    /// resolved paths (`proptest::prelude`, `std::sync`). Globs of the
    /// snippet's own modules (`use super::*;`) bring nothing the scan does
    /// not already see.
    fn globs_in_scope(&self) -> BTreeSet<String> {
        let mut found = BTreeSet::new();
        for glob in self.scopes.iter().flat_map(|scope| &scope.globs) {
            let from_std = !glob.leading_colon
                && glob
                    .path
                    .first()
                    .is_some_and(|first| STD_CRATES.contains(&first.as_str()));
            if from_std {
                found.insert(glob.path.join("::"));
            } else if let Some(resolved) = self.resolve(glob.leading_colon, glob.path.clone(), true)
            {
                found.insert(resolved.path.join("::"));
            }
        }
        found
    }

    /// Resolves a path as written to its crate and full path when it goes
    /// through an external crate. `imported` says the path itself came from an
    /// import, where a single segment may already name a crate.
    fn resolve(
        &self,
        leading_colon: bool,
        mut path: Vec<String>,
        mut imported: bool,
    ) -> Option<Resolved> {
        let mut leading_colon = leading_colon;
        for _ in 0..MAX_ALIAS_DEPTH {
            let first = path.first()?.clone();
            if NOT_CRATES.contains(&first.as_str()) {
                return None;
            }
            if !leading_colon {
                if let Some(binding) = self.binding(&first, path.len()) {
                    let mut expanded = binding.path.clone();
                    expanded.extend(path.iter().skip(1).cloned());
                    if expanded == path {
                        // `use serde;` or `extern crate serde;`: the crate itself.
                        leading_colon = true;
                    } else {
                        leading_colon = binding.leading_colon;
                        path = expanded;
                    }
                    imported = true;
                    continue;
                }
                if self.local.contains(&first) || (path.len() < 2 && !imported) {
                    return None;
                }
            }
            if first.chars().next().is_none_or(|c| c.is_uppercase()) {
                return None;
            }
            return Some(Resolved {
                krate: first,
                path,
                named: leading_colon || imported,
            });
        }
        None
    }

    /// Records one use of a crate at the current position.
    fn record(&mut self, resolved: Resolved) {
        let globs = if resolved.named {
            BTreeSet::new()
        } else {
            self.globs_in_scope()
        };
        let seen = self.found.entry(resolved.krate).or_default();
        seen.paths.insert(resolved.path.join("::"));
        seen.outside_tests |= self.test_depth == 0;
        seen.in_serde_derive |= self.in_serde_fields;
        seen.named |= globs.is_empty();
        seen.imported |= resolved.named;
        seen.globs.extend(globs);
    }

    fn resolve_and_record(&mut self, leading_colon: bool, path: Vec<String>, imported: bool) {
        if let Some(resolved) = self.resolve(leading_colon, path, imported) {
            self.record(resolved);
        }
    }

    fn record_syn_path(&mut self, path: &syn::Path) {
        let segments = path
            .segments
            .iter()
            .map(|segment| ident_name(&segment.ident))
            .collect();
        self.resolve_and_record(path.leading_colon.is_some(), segments, false);
    }

    /// Searches a macro's unparsed tokens for paths: an identifier followed by
    /// `::` (and not itself following `::`), or a lone imported name invoked as
    /// a macro (`select!`).
    fn scan_tokens(&mut self, stream: TokenStream) {
        let tokens: Vec<TokenTree> = stream.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            let start = match &tokens[i] {
                TokenTree::Group(group) => {
                    self.scan_tokens(group.stream());
                    i += 1;
                    continue;
                }
                TokenTree::Ident(ident) => ident,
                _ => {
                    i += 1;
                    continue;
                }
            };
            let after_colons = i >= 2 && is_path_sep(&tokens[i - 2], &tokens[i - 1]);
            // `$var::x` is a macro variable, `.method::<T>` a method call and
            // `'label` a lifetime or label.
            let after_blocker = i >= 1
                && matches!(&tokens[i - 1], TokenTree::Punct(p) if matches!(p.as_char(), '$' | '.' | '\''));
            let leading_colon = after_colons
                && (i < 3
                    || !matches!(&tokens[i - 3], TokenTree::Ident(_))
                        && !matches!(&tokens[i - 3], TokenTree::Punct(p) if p.as_char() == '>'));
            if after_blocker || (after_colons && !leading_colon) {
                i += 1;
                continue;
            }
            let mut path = vec![ident_name(start)];
            let mut j = i + 1;
            while j + 2 < tokens.len() && is_path_sep(&tokens[j], &tokens[j + 1]) {
                match &tokens[j + 2] {
                    TokenTree::Ident(next) => {
                        path.push(ident_name(next));
                        j += 3;
                    }
                    _ => break,
                }
            }
            let invoked = matches!(tokens.get(j), Some(TokenTree::Punct(p)) if p.as_char() == '!');
            if path.len() >= 2 || leading_colon || invoked {
                self.resolve_and_record(leading_colon, path, false);
            }
            i = j;
        }
    }

    fn visit_test_scoped(
        &mut self,
        attrs: &[syn::Attribute],
        serde: bool,
        walk: impl FnOnce(&mut Self),
    ) {
        let test = attrs.iter().any(is_test_attribute);
        // `#[tokio::test]` outside any `#[cfg(test)]` is expanded in the
        // library's own build too: its crate is a dependency, not only a
        // dev-dependency.
        if self.test_depth == 0 {
            for attr in attrs
                .iter()
                .filter(|a| is_test_attribute(a) && a.path().segments.len() >= 2)
            {
                self.record_syn_path(attr.path());
            }
        }
        self.test_depth += usize::from(test);
        self.serde_items.push(serde);
        walk(self);
        self.serde_items.pop();
        self.test_depth -= usize::from(test);
    }
}

/// Whether two tokens form `::`.
fn is_path_sep(first: &TokenTree, second: &TokenTree) -> bool {
    matches!(first, TokenTree::Punct(p) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
        && matches!(second, TokenTree::Punct(p) if p.as_char() == ':')
}

/// Whether an attribute makes its item exist only in test builds:
/// `#[cfg(test)]`, `#[cfg(all(test, ...))]`, `#[test]` or `#[some_crate::test]`.
fn is_test_attribute(attr: &syn::Attribute) -> bool {
    let path = attr.path();
    if path.is_ident("test") {
        return true;
    }
    if path.segments.len() >= 2 && path.segments.last().is_some_and(|s| s.ident == "test") {
        return true;
    }
    if !path.is_ident("cfg") {
        return false;
    }
    match attr.parse_args::<syn::Meta>() {
        Ok(syn::Meta::Path(path)) => path.is_ident("test"),
        Ok(syn::Meta::List(list)) if list.path.is_ident("all") => list
            .parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
            .is_ok_and(|metas| metas.iter().any(|meta| meta.path().is_ident("test"))),
        _ => false,
    }
}

/// The paths listed by `#[derive(...)]` attributes.
fn derived_paths(attrs: &[syn::Attribute]) -> Vec<syn::Path> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("derive"))
        .filter_map(|attr| {
            attr.parse_args_with(Punctuated::<syn::Path, syn::Token![,]>::parse_terminated)
                .ok()
        })
        .flatten()
        .collect()
}

/// Whether the attributes derive `Serialize` or `Deserialize` (any path ending
/// in those names).
fn derives_serde(attrs: &[syn::Attribute]) -> bool {
    derived_paths(attrs).iter().any(|path| {
        path.segments
            .last()
            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
    })
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_file(&mut self, file: &'ast syn::File) {
        self.push_scope(file.items.iter());
        visit::visit_file(self, file);
        self.scopes.pop();
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        let (attrs, serde): (&[syn::Attribute], bool) = match item {
            syn::Item::Struct(item) => (&item.attrs, derives_serde(&item.attrs)),
            syn::Item::Enum(item) => (&item.attrs, derives_serde(&item.attrs)),
            syn::Item::Union(item) => (&item.attrs, derives_serde(&item.attrs)),
            syn::Item::Const(item) => (&item.attrs, false),
            syn::Item::ExternCrate(item) => (&item.attrs, false),
            syn::Item::Fn(item) => (&item.attrs, false),
            syn::Item::ForeignMod(item) => (&item.attrs, false),
            syn::Item::Impl(item) => (&item.attrs, false),
            syn::Item::Macro(item) => (&item.attrs, false),
            syn::Item::Mod(item) => (&item.attrs, false),
            syn::Item::Static(item) => (&item.attrs, false),
            syn::Item::Trait(item) => (&item.attrs, false),
            syn::Item::TraitAlias(item) => (&item.attrs, false),
            syn::Item::Type(item) => (&item.attrs, false),
            syn::Item::Use(item) => (&item.attrs, false),
            _ => (&[], false),
        };
        self.visit_test_scoped(attrs, serde, |this| visit::visit_item(this, item));
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs: &[syn::Attribute] = match item {
            syn::ImplItem::Const(item) => &item.attrs,
            syn::ImplItem::Fn(item) => &item.attrs,
            syn::ImplItem::Type(item) => &item.attrs,
            syn::ImplItem::Macro(item) => &item.attrs,
            _ => &[],
        };
        self.visit_test_scoped(attrs, false, |this| visit::visit_impl_item(this, item));
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        match &item.content {
            Some((_, items)) => {
                self.push_scope(items.iter());
                visit::visit_item_mod(self, item);
                self.scopes.pop();
            }
            None => visit::visit_item_mod(self, item),
        }
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        self.push_scope(block.stmts.iter().filter_map(|stmt| match stmt {
            syn::Stmt::Item(item) => Some(item),
            _ => None,
        }));
        visit::visit_block(self, block);
        self.scopes.pop();
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        let mut leaves = Vec::new();
        use_leaves(&item.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            self.resolve_and_record(item.leading_colon.is_some(), leaf.path, true);
        }
    }

    fn visit_item_extern_crate(&mut self, item: &'ast syn::ItemExternCrate) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        let krate = ident_name(&item.ident);
        self.resolve_and_record(true, vec![krate], true);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        // Only the attribute's own path and derive lists matter; other
        // arguments (`#[serde(with = "x")]`) are not followed.
        self.record_syn_path(attr.path());
        for path in derived_paths(std::slice::from_ref(attr)) {
            self.record_syn_path(&path);
        }
    }

    fn visit_field(&mut self, field: &'ast syn::Field) {
        let outer = self.in_serde_fields;
        self.in_serde_fields = self.serde_items.last().copied().unwrap_or(false);
        visit::visit_field(self, field);
        self.in_serde_fields = outer;
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.record_syn_path(path);
        visit::visit_path(self, path);
    }

    fn visit_expr_path(&mut self, expr: &'ast syn::ExprPath) {
        match &expr.qself {
            // `<T>::item` names an associated item of a type, not a crate.
            Some(qself) if qself.position == 0 => {
                for attr in &expr.attrs {
                    self.visit_attribute(attr);
                }
                self.visit_qself(qself);
                for segment in &expr.path.segments {
                    self.visit_path_arguments(&segment.arguments);
                }
            }
            _ => visit::visit_expr_path(self, expr),
        }
    }

    fn visit_type_path(&mut self, ty: &'ast syn::TypePath) {
        match &ty.qself {
            Some(qself) if qself.position == 0 => {
                self.visit_qself(qself);
                for segment in &ty.path.segments {
                    self.visit_path_arguments(&segment.arguments);
                }
            }
            _ => visit::visit_type_path(self, ty),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        visit::visit_macro(self, mac);
        self.scan_tokens(mac.tokens.clone());
    }
}

/// What is known about one crate: how its paths map to features.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownCrate {
    /// The registry package, when it differs from the name code uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// A version requirement to use instead of the newest release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Path prefix (`tokio::sync`) -> the features that path needs.
    #[serde(default)]
    pub features: BTreeMap<String, BTreeSet<String>>,
    /// Crates whose code this crate's macros expand to (`quickcheck_macros`
    /// needs `quickcheck`): added whenever this crate is used.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
}

/// Knowledge about crates, keyed by the name code uses for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KnownCrates {
    crates: BTreeMap<String, KnownCrate>,
}

/// The built-in table, compiled into the binary.
const BUILTIN_KNOWN_CRATES: &str = include_str!("known_crates.toml");

impl KnownCrates {
    /// The built-in knowledge from `known_crates.toml`.
    pub fn builtin() -> KnownCrates {
        let mut known = KnownCrates::default();
        // The table is part of the source and a unit test parses it, so a
        // failure here is a build defect, not an input error.
        known
            .extend_from_toml(BUILTIN_KNOWN_CRATES)
            .expect("the built-in known_crates.toml is valid");
        known
    }

    /// Adds the entries of a table in the `known_crates.toml` format.
    ///
    /// A crate's `package` and `version` replace earlier values when given,
    /// and a rule replaces an earlier rule with the same prefix (an empty list
    /// switches it off); other rules are kept. On error nothing is changed.
    pub fn extend_from_toml(&mut self, text: &str) -> Result<(), DepsError> {
        let table: BTreeMap<String, KnownCrate> =
            toml::from_str(text).map_err(DepsError::KnownCratesToml)?;
        for (krate, entry) in &table {
            for prefix in entry.features.keys() {
                let valid = prefix.split("::").all(|segment| {
                    !segment.is_empty() && segment.chars().all(|c| c.is_alphanumeric() || c == '_')
                });
                if !valid {
                    return Err(DepsError::InvalidRule {
                        krate: krate.clone(),
                        prefix: prefix.clone(),
                    });
                }
            }
        }
        for (krate, entry) in table {
            let known = self.crates.entry(krate).or_default();
            if entry.package.is_some() {
                known.package = entry.package;
            }
            if entry.version.is_some() {
                known.version = entry.version;
            }
            known.features.extend(entry.features);
            for companion in entry.requires {
                if !known.requires.contains(&companion) {
                    known.requires.push(companion);
                }
            }
        }
        Ok(())
    }

    /// What is known about the crate code calls `name`.
    pub fn get(&self, name: &str) -> Option<&KnownCrate> {
        self.crates.get(name)
    }

    /// The name to ask the registry for the crate code calls `name`.
    pub fn registry_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.get(name)
            .and_then(|known| known.package.as_deref())
            .unwrap_or(name)
    }

    /// The union of the features of every rule that one of `paths` matches.
    /// A rule matches a path equal to its prefix or starting with `prefix::`.
    pub fn features_for<'p>(
        &self,
        name: &str,
        paths: impl IntoIterator<Item = &'p str>,
    ) -> BTreeSet<String> {
        let Some(known) = self.get(name) else {
            return BTreeSet::new();
        };
        let mut features = BTreeSet::new();
        for path in paths {
            for (prefix, wanted) in &known.features {
                let matches = path
                    .strip_prefix(prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"));
                if matches {
                    features.extend(wanted.iter().cloned());
                }
            }
        }
        features
    }
}

/// One dependency a snippet needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepSpec {
    /// The name as code writes it (`wasm_bindgen`).
    pub name: String,
    /// The registry package (`wasm-bindgen`).
    pub package: String,
    /// The version requirement, a caret requirement such as `1.29.1`.
    pub requirement: String,
    /// The features to enable besides the defaults.
    pub features: BTreeSet<String>,
    /// Only test code uses it: a dev-dependency.
    pub dev: bool,
    /// A local crate (see `local.rs`): its folder, absolute. The scratch
    /// crate depends on it by path, and the registry knows nothing of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<std::path::PathBuf>,
}

impl DepSpec {
    /// A normal dependency on a registry package, with its default features.
    pub fn registry(
        name: impl Into<String>,
        package: impl Into<String>,
        requirement: impl Into<String>,
    ) -> DepSpec {
        DepSpec {
            name: name.into(),
            package: package.into(),
            requirement: requirement.into(),
            features: BTreeSet::new(),
            dev: false,
            path: None,
        }
    }
}

impl std::fmt::Display for DepSpec {
    /// `name=package@requirement[features]`, with ` dev` for dev-dependencies.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let features: Vec<&str> = self.features.iter().map(String::as_str).collect();
        write!(
            f,
            "{}={}@{}[{}]",
            self.name,
            self.package,
            self.requirement,
            features.join(",")
        )?;
        if self.dev {
            f.write_str(" dev")?;
        }
        Ok(())
    }
}

/// The dependencies of one snippet, and the crates that could not become one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepSet {
    /// Dependencies the registry confirmed, sorted by name.
    pub deps: Vec<DepSpec>,
    /// Crates the registry does not have (code names).
    pub unknown: Vec<String>,
    /// Crates for which the registry gave no usable answer (code names).
    pub unreachable: Vec<String>,
    /// Path roots not taken for crates because a glob import may provide
    /// them and nothing could tell whether it does.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<LeftOut>,
}

/// A path's first segment that is not made a dependency: a glob import in
/// scope may provide it (`prop` after `use proptest::prelude::*;`), and
/// the glob's crate could not be read to tell (its source is not on the
/// machine). A crate from the registry that merely shares the name would be
/// a wrong dependency, and code a document never asked for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LeftOut {
    /// The segment (`prop`).
    pub name: String,
    /// The globs that may provide it (`proptest::prelude`); none when it is
    /// a module of the standard library the code did not import (`io`).
    pub globs: Vec<String>,
}

/// The registry names to look up for `uses`, the keys [`resolve`] expects in
/// its `lookups`.
pub fn registry_names(uses: &[CrateUse], known: &KnownCrates) -> BTreeSet<String> {
    uses.iter()
        .map(|krate| known.registry_name(&krate.name).to_owned())
        .collect()
}

/// Adds the crates that used crates require (see [`KnownCrate::requires`]),
/// as dev-only as the crate that needs them.
pub fn with_companions(mut uses: Vec<CrateUse>, known: &KnownCrates) -> Vec<CrateUse> {
    let mut added = Vec::new();
    for krate in &uses {
        let Some(entry) = known.get(&krate.name) else {
            continue;
        };
        for companion in &entry.requires {
            if uses
                .iter()
                .chain(&added)
                .any(|u: &CrateUse| &u.name == companion)
            {
                continue;
            }
            added.push(CrateUse {
                name: companion.clone(),
                paths: BTreeSet::new(),
                only_in_tests: krate.only_in_tests,
                in_serde_derive: false,
                maybe_from_globs: BTreeSet::new(),
                imported: true,
            });
        }
    }
    uses.extend(added);
    uses.sort_by(|a, b| a.name.cmp(&b.name));
    uses
}

/// Turns the crates a snippet uses into dependency specifications.
///
/// `lookups` holds the registry's answers keyed by [`registry_names`]. A crate
/// without an answer counts as unreachable. Features come from the rules of
/// `known` that the crate's paths match, plus `serde` when the crate's types
/// sit in a serde-derived item; only features the registry lists survive.
pub fn resolve(
    uses: &[CrateUse],
    known: &KnownCrates,
    lookups: &BTreeMap<String, Lookup>,
) -> DepSet {
    let mut set = DepSet::default();
    for krate in uses {
        let info = match lookups.get(known.registry_name(&krate.name)) {
            Some(Lookup::Found(info)) => info,
            Some(Lookup::NotFound) => {
                set.unknown.push(krate.name.clone());
                continue;
            }
            Some(Lookup::Unreachable(_)) | None => {
                set.unreachable.push(krate.name.clone());
                continue;
            }
        };
        let listed: BTreeSet<&str> = info.features.iter().map(String::as_str).collect();
        let mut features: BTreeSet<String> = known
            .features_for(&krate.name, krate.paths.iter().map(String::as_str))
            .into_iter()
            .filter(|feature| listed.contains(feature.as_str()))
            .collect();
        if krate.in_serde_derive && listed.contains("serde") {
            features.insert("serde".to_owned());
        }
        let requirement = known
            .get(&krate.name)
            .and_then(|entry| entry.version.clone())
            .unwrap_or_else(|| info.version.clone());
        set.deps.push(DepSpec {
            name: krate.name.clone(),
            package: info.name.clone(),
            requirement,
            features,
            dev: krate.only_in_tests,
            path: None,
        });
    }
    set.deps.sort_by(|a, b| a.name.cmp(&b.name));
    set.unknown.sort();
    set.unreachable.sort();
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::CrateInfo;

    #[test]
    fn companions_follow_the_crates_that_need_them() {
        let known = KnownCrates::builtin();
        let uses = scan("#[cfg(test)]\nmod tests {\n    use quickcheck_macros::quickcheck;\n    #[quickcheck]\n    fn p(x: u8) -> bool { true }\n}")
            .expect("parses");
        let uses = with_companions(uses, &known);
        assert_eq!(
            render(&uses),
            "quickcheck (dev): ; quickcheck_macros (dev): quickcheck_macros::quickcheck"
        );
    }

    #[test]
    fn a_test_attribute_outside_cfg_test_needs_its_crate_in_the_library_build() {
        let known = KnownCrates::builtin();
        let top = scan("#[tokio::test]\nasync fn t() {}").expect("parses");
        assert_eq!(render(&with_companions(top, &known)), "tokio: tokio::test");
        let inside = scan("#[cfg(test)]\nmod tests {\n    #[tokio::test]\n    async fn t() {}\n}")
            .expect("parses");
        assert_eq!(
            render(&with_companions(inside, &known)),
            "tokio (dev): tokio::test"
        );
    }

    /// Renders a scan as `name (dev) (serde): path, path; name: path`.
    fn render(uses: &[CrateUse]) -> String {
        uses.iter()
            .map(|krate| {
                let paths: Vec<&str> = krate.paths.iter().map(String::as_str).collect();
                let globs: Vec<&str> = krate.maybe_from_globs.iter().map(String::as_str).collect();
                format!(
                    "{}{}{}{}: {}",
                    krate.name,
                    if krate.only_in_tests { " (dev)" } else { "" },
                    if krate.in_serde_derive {
                        " (serde)"
                    } else {
                        ""
                    },
                    if globs.is_empty() {
                        String::new()
                    } else {
                        format!(" (glob {})", globs.join(" "))
                    },
                    paths.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[track_caller]
    fn check(source: &str, expected: &str) {
        let uses = scan(source).expect("test source parses");
        assert_eq!(render(&uses), expected, "source: {source}");
    }

    #[test]
    fn use_trees_name_crates_by_first_segment() {
        check("use tokio::sync::Mutex;", "tokio: tokio::sync::Mutex");
        check("use ::serde_json::Value;", "serde_json: serde_json::Value");
        check("use tokio;", "tokio: tokio");
        check("use std::collections::HashMap; use core::mem;", "");
        check(
            "use tokio::{select, time::{interval, Duration}};",
            "tokio: tokio::select, tokio::time::Duration, tokio::time::interval",
        );
        check(
            "use wasm_bindgen::prelude::*;",
            "wasm_bindgen: wasm_bindgen::prelude",
        );
        check(
            "use serde_json as json; fn f() { json::to_string(&1); }",
            "serde_json: serde_json, serde_json::to_string",
        );
        check("extern crate rand; extern crate std;", "rand: rand");
        check(
            "extern crate serde_json as js; fn f() { js::json!(1); }",
            "serde_json: serde_json, serde_json::json",
        );
    }

    #[test]
    fn an_item_named_like_its_crate_names_the_crate() {
        check(
            "use async_trait::async_trait; #[async_trait] trait T { async fn f(&self); }",
            "async_trait: async_trait::async_trait",
        );
        check(
            "use quote::quote; fn f() { let t = quote! { a }; }",
            "quote: quote::quote",
        );
        check(
            "use bitflags::bitflags; bitflags! { struct F: u8 { const A = 1; } }",
            "bitflags: bitflags::bitflags",
        );
        check(
            "use uuid::{uuid, Uuid}; fn f() { let a: Uuid = uuid!(\"x\"); Uuid::new_v4(); }",
            "uuid: uuid::Uuid, uuid::Uuid::new_v4, uuid::uuid",
        );
        check(
            "fn f() { use anyhow::anyhow; anyhow!(\"x\"); }",
            "anyhow: anyhow::anyhow",
        );
        // A module of the snippet named like the item still wins.
        check(
            "mod log { pub fn log() {} } use log::log; fn f() { log(); }",
            "",
        );
        // Cyclic imports end.
        check("use a::b as a; fn f() { a::c(); }", "a: a::b, a::c");
    }

    #[test]
    fn a_root_a_glob_may_provide_is_marked_with_the_globs() {
        check(
            "use proptest::prelude::*; fn f() { prop::collection::vec(any::<u8>(), 0..4); }",
            "prop (glob proptest::prelude): prop::collection::vec; proptest: proptest::prelude",
        );
        // Named in a `use`, an `extern crate` or after `::`: a crate for sure.
        check(
            "use proptest::prelude::*; use rand::Rng; fn f() { rand::random::<u8>(); }",
            "proptest: proptest::prelude; rand: rand::Rng, rand::random",
        );
        check(
            "use proptest::prelude::*; extern crate rand; fn f() { rand::random::<u8>(); }",
            "proptest: proptest::prelude; rand: rand, rand::random",
        );
        check(
            "use proptest::prelude::*; fn f() { ::rand::random::<u8>(); }",
            "proptest: proptest::prelude; rand: rand::random",
        );
        // One sure use anywhere is enough.
        check(
            "use tokio::prelude::*; fn f() { serde_json::x(); } mod m { fn g() { ::serde_json::y(); } }",
            "serde_json: serde_json::x, serde_json::y; tokio: tokio::prelude",
        );
        // Globs of the standard library count, through aliases too; the
        // snippet's own globs do not.
        check(
            "use std::sync::*; fn f() { atomic::fence(); }",
            "atomic (glob std::sync): atomic::fence",
        );
        check(
            "use tokio::sync as s; use s::*; fn f() { mpsc::channel(); }",
            "mpsc (glob tokio::sync): mpsc::channel; tokio: tokio::sync",
        );
        check(
            "mod m { pub fn g() {} } use m::*; use super::*; fn f() { rand::random(); }",
            "rand: rand::random",
        );
        // A glob in a block or module reaches only its own paths.
        check(
            "fn f() { use proptest::prelude::*; prop::num::u8::ANY; } fn g() { prop::x(); }",
            "prop: prop::num::u8::ANY, prop::x; proptest: proptest::prelude",
        );
    }

    #[test]
    fn paths_resolve_through_use_aliases() {
        check(
            "use tokio::{select, time::{interval, Duration}}; fn f() { Duration::from_secs(1); select! {} }",
            "tokio: tokio::select, tokio::time::Duration, tokio::time::Duration::from_secs, tokio::time::interval",
        );
        check(
            "use tokio::sync; use sync::Mutex; fn f() { Mutex::new(1); }",
            "tokio: tokio::sync, tokio::sync::Mutex, tokio::sync::Mutex::new",
        );
        check(
            "use foo::bar; fn f() { bar::baz(); }",
            "foo: foo::bar, foo::bar::baz",
        );
        check(
            "use tokio::spawn; fn f() { spawn(async {}); }",
            "tokio: tokio::spawn",
        );
        check(
            "use std::sync::atomic::Ordering; fn f() { Ordering::SeqCst; }",
            "",
        );
        check("use std::sync::atomic; fn f() { atomic::fence(); }", "");
        check(
            "use serde; fn f() { serde::de::value::Error::custom(1); }",
            "serde: serde, serde::de::value::Error::custom",
        );
    }

    #[test]
    fn expression_type_pattern_and_bound_paths() {
        check(
            "fn f() { let v = serde_json::from_str::<u8>(\"1\"); }",
            "serde_json: serde_json::from_str",
        );
        check(
            "fn f(x: chrono::DateTime<chrono::Utc>) {}",
            "chrono: chrono::DateTime, chrono::Utc",
        );
        check(
            "fn f(x: Option<u8>) { match x { Some(regex::Regex { .. }) => {} _ => {} } }",
            "regex: regex::Regex",
        );
        check(
            "fn f<T: serde::Serialize>(t: T) {}",
            "serde: serde::Serialize",
        );
        check(
            "struct S; impl serde::Serialize for S {}",
            "serde: serde::Serialize",
        );
        check(
            "fn f() -> impl futures::Stream { todo!() }",
            "futures: futures::Stream",
        );
        check(
            "fn f() { <u8 as num_traits::Zero>::zero(); <Vec<u8>>::new(); }",
            "num_traits: num_traits::Zero::zero",
        );
    }

    #[test]
    fn builtins_locals_and_single_segments_are_not_crates() {
        check(
            "fn f() { u8::MAX; str::from_utf8(&[]); i32::from(1u8); }",
            "",
        );
        check("fn f() { Self::new(); crate::g(); self::g(); }", "");
        check("fn f() { let x = 1; x; helper(); }", "");
        check("mod inner { pub fn g() {} } fn f() { inner::g(); }", "");
        check(
            "pub mod models { pub struct User; } use models::User; fn f() { User; models::User; }",
            "",
        );
        check("mod a { fn g() { super::f(); } } fn f() {}", "");
        check(
            "struct point; enum shape {} fn f() { point::x(); shape::y(); }",
            "",
        );
        check(
            "trait show {} type alias = u8; fn f<tee>() { show::x(); alias::y(); tee::z(); }",
            "",
        );
        // Functions and macros live in other namespaces and do not hide crates.
        check("fn log() { log::info!(\"x\"); }", "log: log::info");
        check(
            "macro_rules! log { () => {} } fn f() { log::warn!(); }",
            "log: log::warn",
        );
        check(
            "macro_rules! m { () => { $crate::x::y() }; ($t:ty) => { $t::new() } } fn f() { m!(); }",
            "",
        );
    }

    #[test]
    fn attributes_and_derives() {
        check("#[tokio::main] async fn main() {}", "tokio: tokio::main");
        check(
            "#[tokio::main(flavor = \"current_thread\")] async fn main() {}",
            "tokio: tokio::main",
        );
        check(
            "#[derive(serde::Serialize, Debug)] struct S;",
            "serde: serde::Serialize",
        );
        check(
            "use serde::{Deserialize, Serialize}; #[derive(Serialize, Deserialize)] #[serde(rename_all = \"camelCase\")] struct S { #[serde(with = \"x\")] a: u8 }",
            "serde: serde::Deserialize, serde::Serialize",
        );
        check(
            "use wasm_bindgen::prelude::*; #[wasm_bindgen] pub fn f() {}",
            "wasm_bindgen: wasm_bindgen::prelude",
        );
        check(
            "use clap::Parser; #[derive(Parser)] struct Cli;",
            "clap: clap::Parser",
        );
    }

    #[test]
    fn macros_and_their_tokens() {
        check(
            "fn f() { serde_json::json!({}); }",
            "serde_json: serde_json::json",
        );
        check(
            "use tokio::time::{sleep, Duration}; async fn f() { tokio::select! { _ = sleep(Duration::from_secs(1)) => {} _ = tokio::signal::ctrl_c() => {} } }",
            "tokio: tokio::select, tokio::signal::ctrl_c, tokio::time::Duration, tokio::time::Duration::from_secs, tokio::time::sleep",
        );
        check(
            "use serde_json::json; fn f() { println!(\"{}\", json!({\"a\": 1})); }",
            "serde_json: serde_json::json",
        );
        check(
            "fn f() { assert_eq!(uuid::Uuid::nil(), x.parse::<u8>()); }",
            "uuid: uuid::Uuid::nil",
        );
        check(
            "fn f() { vec![::anyhow::anyhow!(\"x\"), Vec::<u8>::new()]; }",
            "anyhow: anyhow::anyhow",
        );
        check(
            "fn f() { println!(\"{}\", std::env::var(\"X\"), a.b::<c::D>()); }",
            "c: c::D",
        );
        check(
            "macro_rules! m { () => { serde_json::to_string(&1) } }",
            "serde_json: serde_json::to_string",
        );
    }

    #[test]
    fn test_only_uses_are_dev() {
        check(
            "#[cfg(test)] mod tests { use super::*; use pretty_assertions::assert_eq; #[test] fn t() { assert_eq!(1, 1); } }",
            "pretty_assertions (dev): pretty_assertions::assert_eq",
        );
        check(
            "#[tokio::main] async fn main() {} #[cfg(test)] mod tests { #[tokio::test] async fn t() {} }",
            "tokio: tokio::main, tokio::test",
        );
        check(
            "#[cfg(test)] mod tests { #[tokio::test] async fn t() {} }",
            "tokio (dev): tokio::test",
        );
        check(
            "#[test] fn t() { proptest::proptest!(); }",
            "proptest (dev): proptest::proptest",
        );
        check(
            "#[cfg(all(test, unix))] fn t() { tempfile::tempdir(); }",
            "tempfile (dev): tempfile::tempdir",
        );
        check(
            "#[cfg(not(test))] fn t() { tempfile::tempdir(); }",
            "tempfile: tempfile::tempdir",
        );
    }

    #[test]
    fn serde_derived_fields_mark_their_crates() {
        check(
            "#[derive(serde::Serialize)] pub struct User { pub id: uuid::Uuid, pub at: chrono::DateTime<chrono::Utc> }",
            "chrono (serde): chrono::DateTime, chrono::Utc; serde: serde::Serialize; uuid (serde): uuid::Uuid",
        );
        check(
            "use uuid::Uuid; #[derive(Deserialize)] enum E { A { id: Uuid }, B(Uuid) }",
            "uuid (serde): uuid::Uuid",
        );
        check(
            "#[derive(serde::Deserialize)] struct S { dates: Vec<Option<chrono::NaiveDate>> } fn f() { chrono::Utc::now(); }",
            "chrono (serde): chrono::NaiveDate, chrono::Utc::now; serde: serde::Deserialize",
        );
        check(
            "#[derive(Debug)] struct S { id: uuid::Uuid } fn f() { uuid::Uuid::new_v4(); }",
            "uuid: uuid::Uuid, uuid::Uuid::new_v4",
        );
    }

    #[test]
    fn block_scoped_imports_stay_in_their_block() {
        check(
            "fn f() { use tokio::sync::Mutex; Mutex::new(1); } fn g() { Mutex::new(2); }",
            "tokio: tokio::sync::Mutex, tokio::sync::Mutex::new",
        );
        check(
            "#[cfg(test)] mod tests { use pretty_assertions::assert_eq; } fn main() { assert_eq!(1, 1); }",
            "pretty_assertions (dev): pretty_assertions::assert_eq",
        );
    }

    #[test]
    fn scan_reports_syntax_errors() {
        assert!(scan("fn f( {").is_err());
    }

    fn features(known: &KnownCrates, name: &str, used: &[&str]) -> String {
        known
            .features_for(name, used.iter().copied())
            .into_iter()
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn builtin_rules_match_prefixes() {
        let known = KnownCrates::builtin();
        assert_eq!(features(&known, "serde", &["serde::Serialize"]), "derive");
        assert_eq!(
            features(&known, "tokio", &["tokio::main"]),
            "macros,rt-multi-thread"
        );
        assert_eq!(
            features(&known, "tokio", &["tokio::sync::Mutex::new"]),
            "sync"
        );
        assert_eq!(
            features(
                &known,
                "tokio",
                &[
                    "tokio::test",
                    "tokio::time::sleep",
                    "tokio::io::AsyncReadExt"
                ]
            ),
            "io-std,io-util,macros,rt,time"
        );
        // A rule matches whole segments only.
        assert_eq!(
            features(&known, "tokio", &["tokio::timeout", "tokio::synchronize"]),
            ""
        );
        assert_eq!(features(&known, "uuid", &["uuid::Uuid::new_v4"]), "v4");
        assert_eq!(features(&known, "uuid", &["uuid::Uuid::new_v7"]), "v7");
        assert_eq!(features(&known, "clap", &["clap::Parser"]), "derive");
        assert_eq!(features(&known, "reqwest", &["reqwest::get"]), "json");
        assert_eq!(features(&known, "no_such_crate", &["no_such_crate::x"]), "");
    }

    #[test]
    fn users_can_extend_and_override_rules() {
        let mut known = KnownCrates::builtin();
        known
            .extend_from_toml(
                r#"
                [tokio.features]
                "tokio::main" = ["macros", "rt"]
                [my_crate]
                package = "my-crate"
                version = "0.3"
                [my_crate.features]
                "my_crate::fancy" = ["fancy"]
                "#,
            )
            .expect("valid extension");
        assert_eq!(features(&known, "tokio", &["tokio::main"]), "macros,rt");
        assert_eq!(features(&known, "tokio", &["tokio::sync"]), "sync");
        assert_eq!(
            features(&known, "my_crate", &["my_crate::fancy::Thing"]),
            "fancy"
        );
        assert_eq!(known.registry_name("my_crate"), "my-crate");
        assert_eq!(known.registry_name("tokio"), "tokio");
    }

    #[test]
    fn invalid_extensions_are_rejected_without_change() {
        let mut known = KnownCrates::builtin();
        let before = known.clone();
        let error = known
            .extend_from_toml("[a.features]\n\"a::b\" = [\"x\"]\n[z.features]\n\"not a path\" = []")
            .expect_err("invalid rule");
        assert_eq!(
            error.to_string(),
            "failed to accept the known-crates rule `not a path` of `z`: it is not a path"
        );
        assert!(known.extend_from_toml("[a]\nunknown_key = 1").is_err());
        assert!(known.extend_from_toml("[a").is_err());
        assert_eq!(known, before);
    }

    fn crate_use(name: &str, used: &[&str], dev: bool, serde: bool) -> CrateUse {
        CrateUse {
            name: name.to_owned(),
            paths: used.iter().map(|path| (*path).to_owned()).collect(),
            only_in_tests: dev,
            in_serde_derive: serde,
            maybe_from_globs: BTreeSet::new(),
            imported: true,
        }
    }

    fn found(name: &str, version: &str, features: &[&str]) -> Lookup {
        Lookup::Found(CrateInfo {
            name: name.to_owned(),
            version: version.to_owned(),
            features: features.iter().map(|f| (*f).to_owned()).collect(),
            pre_release: false,
        })
    }

    fn render_deps(set: &DepSet) -> String {
        set.deps
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn resolve_combines_rules_registry_and_serde() {
        let uses = vec![
            crate_use("no_such", &["no_such::x"], false, false),
            crate_use("offline_crate", &["offline_crate::x"], false, false),
            crate_use(
                "pretty_assertions",
                &["pretty_assertions::assert_eq"],
                true,
                false,
            ),
            crate_use(
                "tokio",
                &["tokio::main", "tokio::sync::Mutex"],
                false,
                false,
            ),
            crate_use("uuid", &["uuid::Uuid", "uuid::Uuid::new_v4"], false, true),
            crate_use("wasm_bindgen", &["wasm_bindgen::prelude"], false, false),
        ];
        let known = KnownCrates::builtin();
        assert_eq!(
            registry_names(&uses, &known)
                .into_iter()
                .collect::<Vec<_>>(),
            [
                "no_such",
                "offline_crate",
                "pretty_assertions",
                "tokio",
                "uuid",
                "wasm_bindgen"
            ]
        );
        let lookups = BTreeMap::from([
            ("no_such".to_owned(), Lookup::NotFound),
            (
                "offline_crate".to_owned(),
                Lookup::Unreachable("offline".to_owned()),
            ),
            (
                "pretty_assertions".to_owned(),
                found("pretty_assertions", "1.4.1", &["default", "std"]),
            ),
            // The registry lacks `rt-multi-thread` here, so that rule feature is dropped.
            (
                "tokio".to_owned(),
                found("tokio", "1.54.1", &["macros", "rt", "sync"]),
            ),
            (
                "uuid".to_owned(),
                found("uuid", "1.29.1", &["default", "serde", "v4", "v7"]),
            ),
            (
                "wasm_bindgen".to_owned(),
                found("wasm-bindgen", "0.2.130", &["default", "serde"]),
            ),
        ]);
        let set = resolve(&uses, &known, &lookups);
        assert_eq!(
            render_deps(&set),
            "pretty_assertions=pretty_assertions@1.4.1[] dev; tokio=tokio@1.54.1[macros,sync]; \
             uuid=uuid@1.29.1[serde,v4]; wasm_bindgen=wasm-bindgen@0.2.130[]"
        );
        assert_eq!(set.unknown, ["no_such"]);
        assert_eq!(set.unreachable, ["offline_crate"]);
    }

    #[test]
    fn resolve_without_an_answer_is_unreachable_and_pins_apply() {
        let uses = vec![
            crate_use("missing", &["missing::x"], false, false),
            crate_use("my_crate", &["my_crate::fancy"], false, false),
        ];
        let mut known = KnownCrates::default();
        known
            .extend_from_toml("[my_crate]\npackage = \"my-crate\"\nversion = \"=0.3.1\"\n[my_crate.features]\n\"my_crate::fancy\" = [\"fancy\"]")
            .expect("valid table");
        let lookups = BTreeMap::from([(
            "my-crate".to_owned(),
            found("my-crate", "0.4.0", &["fancy"]),
        )]);
        let set = resolve(&uses, &known, &lookups);
        assert_eq!(render_deps(&set), "my_crate=my-crate@=0.3.1[fancy]");
        assert_eq!(set.unreachable, ["missing"]);
    }

    #[test]
    fn end_to_end_scan_then_resolve() {
        let source = "use serde::{Deserialize, Serialize}; use uuid::Uuid;
            #[derive(Serialize, Deserialize)] pub struct User { pub id: Uuid }
            #[tokio::main] async fn main() { let id = Uuid::new_v4(); }";
        let uses = scan(source).expect("parses");
        let lookups = BTreeMap::from([
            (
                "serde".to_owned(),
                found("serde", "1.0.229", &["default", "derive", "std"]),
            ),
            (
                "tokio".to_owned(),
                found("tokio", "1.54.1", &["macros", "rt", "rt-multi-thread"]),
            ),
            ("uuid".to_owned(), found("uuid", "1.29.1", &["serde", "v4"])),
        ]);
        let set = resolve(&uses, &KnownCrates::builtin(), &lookups);
        assert_eq!(
            render_deps(&set),
            "serde=serde@1.0.229[derive]; tokio=tokio@1.54.1[macros,rt-multi-thread]; uuid=uuid@1.29.1[serde,v4]"
        );
    }
}
