//! Repository rules, checked by `cargo test` (rust-analyzer's `tidy` idea).
//!
//! The rules: every module starts with a `//!` doc; no `should_panic` tests,
//! and no ignored test but those that need `../shared/specs` (with exactly
//! that reason; `.ci/run` runs them); no machine paths; no function longer than 150 lines
//! in `src/` or `xtask/src/`; ARCHITECTURE.md names every source file by its
//! path; the top-level modules of `src/` do not reach each other in a cycle;
//! every `#[allow]`/`#[expect]` in `src/` gives a reason. Where the structure
//! of the code matters, the files are parsed with `syn` rather than searched
//! as text, so code in string literals or comments never counts.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["src", "xtask/src", "tests/it"] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 10, "found only {files:?}");
    files
}

#[test]
fn every_module_says_why_it_exists() {
    for file in sources() {
        let text = fs::read_to_string(&file).expect("a source file is UTF-8");
        assert!(
            text.trim_start().starts_with("//!"),
            "{} does not start with a `//!` module doc",
            file.display()
        );
    }
}

#[test]
fn no_ignored_or_should_panic_tests() {
    let banned = [concat!("#[", "ignore"), concat!("#[", "should_panic")];
    // The one allowed ignore: a test that reads the real specs beside the
    // repository, which a fresh clone does not have.
    let allowed = concat!("#[", "ignore = \"needs ../shared/specs\"]");
    for file in sources() {
        let text = fs::read_to_string(&file).expect("a source file is UTF-8");
        let text = text.replace(allowed, "");
        for pattern in banned {
            assert!(
                !text.contains(pattern),
                "{} uses {pattern}]",
                file.display()
            );
        }
    }
}

#[test]
fn no_machine_paths_in_the_repository() {
    let banned = [
        concat!("/wo", "rk/"),
        concat!("/ro", "ot/"),
        concat!("/ho", "me/"),
    ];
    let mut files = sources();
    for extra in [
        "README.md",
        "ARCHITECTURE.md",
        "Cargo.toml",
        ".cargo/config.toml",
        ".ci/run",
    ] {
        files.push(root().join(extra));
    }
    rust_files(&root().join("tests/fixtures"), &mut files);
    for dir in [
        "specs",
        "tests/fixtures",
        "tests/fixtures/cargo-messages",
        "src/report/snapshots",
    ] {
        if let Ok(entries) = fs::read_dir(root().join(dir)) {
            files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        for pattern in banned {
            assert!(
                !text.contains(pattern),
                "{} names a machine path ({pattern})",
                file.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Parsed sources
// ---------------------------------------------------------------------------

/// A path relative to the repository root, with `/` separators on every platform.
fn relative(path: &Path) -> String {
    let relative = path.strip_prefix(root()).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The `.rs` files under `dirs` (relative to the root), as relative paths
/// with their text, sorted by path.
fn read_sources(dirs: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for dir in dirs {
        rust_files(&root().join(dir), &mut files);
    }
    let mut sources: Vec<(String, String)> = files
        .iter()
        .map(|file| {
            let text = fs::read_to_string(file).expect("a source file is UTF-8");
            (relative(file), text)
        })
        .collect();
    sources.sort();
    assert!(sources.len() > 3, "found only {sources:?}");
    sources
}

fn parse(path: &str, text: &str) -> syn::File {
    syn::parse_file(text).unwrap_or_else(|error| {
        let line = error.span().start().line;
        panic!("{path}:{line} does not parse: {error}")
    })
}

/// Whether `attrs` hold `#[cfg(test)]` or `#[cfg(all(test, ...))]`: code that
/// only the unit tests compile.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let syn::Meta::List(list) = &attr.meta else {
            return false;
        };
        if !list.path.is_ident("cfg") {
            return false;
        }
        let tokens = list.tokens.to_string();
        tokens == "test" || tokens.starts_with("all (test")
    })
}

// ---------------------------------------------------------------------------
// No long functions
// ---------------------------------------------------------------------------

/// The longest a function may be, in lines.
const MAX_FUNCTION_LINES: usize = 150;

/// A function's name and where it is: the line of its `fn` keyword and how
/// many lines it spans from there to its closing brace. Attributes and doc
/// comments above the `fn` line are not counted: documenting a function never
/// makes it too long.
#[derive(Debug, PartialEq)]
struct FunctionSize {
    name: String,
    line: usize,
    lines: usize,
}

/// Every function with a body in `file`: free functions, methods of impls and
/// traits, and functions nested in other functions, test code included.
fn function_sizes(file: &syn::File) -> Vec<FunctionSize> {
    let mut sizes = FunctionSizes {
        owner: None,
        sizes: Vec::new(),
    };
    syn::visit::visit_file(&mut sizes, file);
    sizes.sizes
}

struct FunctionSizes {
    /// The type or trait whose methods are being visited.
    owner: Option<String>,
    sizes: Vec<FunctionSize>,
}

impl FunctionSizes {
    fn record(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let line = sig.fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        let name = match &self.owner {
            Some(owner) => format!("{owner}::{}", sig.ident),
            None => sig.ident.to_string(),
        };
        self.sizes.push(FunctionSize {
            name,
            line,
            lines: end + 1 - line,
        });
    }
}

/// The last segment of a type's path (`Report` for `crate::report::Report<'a>`).
fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(String::new, |segment| segment.ident.to_string()),
        _ => "_".to_owned(),
    }
}

impl<'ast> syn::visit::Visit<'ast> for FunctionSizes {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        // A function nested in a method is named on its own.
        let owner = self.owner.take();
        self.record(&item.sig, &item.block);
        syn::visit::visit_item_fn(self, item);
        self.owner = owner;
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let owner = self.owner.replace(type_name(&item.self_ty));
        syn::visit::visit_item_impl(self, item);
        self.owner = owner;
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        let owner = self.owner.replace(item.ident.to_string());
        syn::visit::visit_item_trait(self, item);
        self.owner = owner;
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.record(&item.sig, &item.block);
        syn::visit::visit_impl_item_fn(self, item);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.record(&item.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }
}

#[test]
fn function_sizes_count_from_the_fn_line_to_the_closing_brace() {
    let text = "\
/// Documented.
#[inline]
fn free() {
    fn nested() {}
}

impl Thing {
    pub fn method(&self) -> u32 {
        1
    }
}

trait Shape {
    fn required(&self);
    fn provided(&self) {
    }
}
";
    let sizes = function_sizes(&parse("example.rs", text));
    let expected = [
        ("free", 3, 3),
        ("nested", 4, 1),
        ("Thing::method", 8, 3),
        ("Shape::provided", 15, 2),
    ];
    let expected: Vec<FunctionSize> = expected
        .into_iter()
        .map(|(name, line, lines)| FunctionSize {
            name: name.to_owned(),
            line,
            lines,
        })
        .collect();
    assert_eq!(sizes, expected);
}

#[test]
fn no_function_is_too_long() {
    let mut offenders = Vec::new();
    for (path, text) in read_sources(&["src", "xtask/src"]) {
        for size in function_sizes(&parse(&path, &text)) {
            if size.lines > MAX_FUNCTION_LINES {
                offenders.push(format!(
                    "{path}:{} {} ({} lines)",
                    size.line, size.name, size.lines
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "functions longer than {MAX_FUNCTION_LINES} lines (counted from the `fn` line to the closing brace); split them:\n{}",
        offenders.join("\n")
    );
}

// ---------------------------------------------------------------------------
// ARCHITECTURE.md names every source file
// ---------------------------------------------------------------------------

/// Every file ARCHITECTURE.md must name: the `.rs` files under `src/`,
/// `xtask/src/`, `tests/it/` and `tests/fuzz/`, and the data files under
/// `src/` (insta's `snapshots/` folders aside: they are test output).
fn files_to_map() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["src", "xtask/src", "tests/it", "tests/fuzz"] {
        collect_mapped(&root().join(dir), dir == "src", &mut files);
    }
    let mut files: Vec<String> = files.iter().map(|file| relative(file)).collect();
    files.sort();
    files
}

/// The files under `dir` that the code map must name: `.rs` files, and every
/// file when `any_file` is set. Build output, fuzz corpora and snapshots are
/// not looked into.
fn collect_mapped(dir: &Path, any_file: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if !["target", "corpus", "artifacts", "snapshots"]
                .iter()
                .any(|skipped| name == *skipped)
            {
                collect_mapped(&path, any_file, out);
            }
        } else if any_file || path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn architecture_names_every_source_file() {
    let architecture =
        fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md is readable");
    let missing: Vec<String> = files_to_map()
        .into_iter()
        .filter(|file| !architecture.contains(&format!("`{file}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name these files by their path from the repository root, in backticks (`src/...`):\n{}",
        missing.join("\n")
    );
}

// ---------------------------------------------------------------------------
// No module imports another in a cycle
// ---------------------------------------------------------------------------

/// The top-level module of `src/` that a file belongs to (`src/report/json.rs`
/// is in `report`), or `None` for the crate roots and files outside `src/`.
fn module_of(path: &str) -> Option<String> {
    let inside = path.strip_prefix("src/")?;
    let first = inside.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (name != "lib" && name != "main").then(|| name.to_owned())
}

/// One `crate::X` reference: the module `X` and the line it is on.
#[derive(Debug)]
struct CrateReference {
    module: String,
    line: usize,
}

/// The top-level modules `file` names through `use crate::X…` items and
/// `crate::X::…` paths (also inside macro calls), outside `#[cfg(test)]` code.
fn crate_references(file: &syn::File) -> Vec<CrateReference> {
    let mut references = CrateReferences(Vec::new());
    if !is_test_only(&file.attrs) {
        syn::visit::visit_file(&mut references, file);
    }
    references.0
}

struct CrateReferences(Vec<CrateReference>);

impl CrateReferences {
    fn push(&mut self, ident: &proc_macro2::Ident) {
        self.0.push(CrateReference {
            module: ident.to_string(),
            line: ident.span().start().line,
        });
    }

    /// The module named after `use crate::`, for each branch of a group.
    fn use_tree(&mut self, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => self.push(&path.ident),
            syn::UseTree::Name(name) => self.push(&name.ident),
            syn::UseTree::Rename(rename) => self.push(&rename.ident),
            syn::UseTree::Group(group) => group.items.iter().for_each(|item| self.use_tree(item)),
            syn::UseTree::Glob(_) => {}
        }
    }

    /// `crate :: X` in the tokens of a macro call, at any depth.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        for (index, token) in tokens.iter().enumerate() {
            match token {
                proc_macro2::TokenTree::Group(group) => self.tokens(group.stream()),
                proc_macro2::TokenTree::Ident(ident) if ident == "crate" => {
                    let colons = tokens.get(index + 1..index + 3);
                    let is_path = colons.is_some_and(|colons| {
                        colons.iter().all(|token| {
                            matches!(token, proc_macro2::TokenTree::Punct(p) if p.as_char() == ':')
                        })
                    });
                    if let (true, Some(proc_macro2::TokenTree::Ident(module))) =
                        (is_path, tokens.get(index + 3))
                    {
                        self.push(module);
                    }
                }
                _ => {}
            }
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for CrateReferences {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = match item {
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Use(item) => &item.attrs,
            syn::Item::Const(item) => &item.attrs,
            syn::Item::Static(item) => &item.attrs,
            syn::Item::Struct(item) => &item.attrs,
            syn::Item::Enum(item) => &item.attrs,
            syn::Item::Trait(item) => &item.attrs,
            syn::Item::Type(item) => &item.attrs,
            syn::Item::Macro(item) => &item.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        if !is_test_only(&item.attrs) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        if let syn::UseTree::Path(path) = &item.tree
            && path.ident == "crate"
        {
            self.use_tree(&path.tree);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(second)) = (segments.next(), segments.next())
            && first.ident == "crate"
        {
            self.push(&second.ident);
        }
        syn::visit::visit_path(self, path);
    }

    // `pub(crate)` and `pub(in crate::x)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.tokens(mac.tokens.clone());
    }
}

/// The modules of `src/` and, for each `(from, to)` edge, the places
/// (`path:line`) where `from` names `to`.
#[derive(Debug, Default)]
struct ModuleGraph {
    edges: BTreeMap<(String, String), Vec<String>>,
}

/// The graph of `crate::` references between the top-level modules of the
/// given `(path, text)` files; references within a module are left out.
fn module_graph(sources: &[(String, String)]) -> ModuleGraph {
    let mut graph = ModuleGraph::default();
    for (path, text) in sources {
        let Some(from) = module_of(path) else {
            continue;
        };
        for reference in crate_references(&parse(path, text)) {
            if reference.module != from {
                graph
                    .edges
                    .entry((from.clone(), reference.module))
                    .or_default()
                    .push(format!("{path}:{}", reference.line));
            }
        }
    }
    graph
}

impl ModuleGraph {
    fn targets(&self, from: &str) -> impl Iterator<Item = &str> {
        self.edges
            .keys()
            .filter(move |(source, _)| source == from)
            .map(|(_, target)| target.as_str())
    }

    /// The shortest path of modules from `from` to `to` (both included).
    fn shortest_path(&self, from: &str, to: &str) -> Option<Vec<String>> {
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([from]);
        while let Some(module) = queue.pop_front() {
            if module == to {
                let mut path = vec![to.to_owned()];
                let mut at = to;
                while at != from {
                    at = previous[at];
                    path.push(at.to_owned());
                }
                path.reverse();
                return Some(path);
            }
            for next in self.targets(module) {
                if next != from && !previous.contains_key(next) {
                    previous.insert(next, module);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// One cycle through each edge that closes one, shortest first, each
    /// written from its smallest module: `a -> b (src/a.rs:3) -> a (src/b.rs:9)`.
    fn cycles(&self) -> Vec<String> {
        let mut cycles = BTreeSet::new();
        for (from, to) in self.edges.keys() {
            if let Some(back) = self.shortest_path(to, from) {
                let mut cycle = vec![from.clone()];
                cycle.extend(back);
                cycle.pop();
                let start = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, module)| *module)
                    .map_or(0, |(index, _)| index);
                cycle.rotate_left(start);
                cycles.insert((cycle.len(), cycle));
            }
        }
        cycles
            .into_iter()
            .map(|(_, cycle)| self.describe(&cycle))
            .collect()
    }

    /// `a -> b (where a names b) -> a (where b names a)`, every place of each edge.
    fn describe(&self, cycle: &[String]) -> String {
        let mut text = cycle[0].clone();
        for (index, from) in cycle.iter().enumerate() {
            let to = &cycle[(index + 1) % cycle.len()];
            let places = &self.edges[&(from.clone(), to.clone())];
            text.push_str(&format!(" -> {to} (via {})", places.join(", ")));
        }
        text
    }

    /// The strongly connected components of more than one module: the
    /// modules that all reach each other.
    fn components(&self) -> Vec<Vec<String>> {
        let modules: BTreeSet<&str> = self
            .edges
            .keys()
            .flat_map(|(from, to)| [from.as_str(), to.as_str()])
            .collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        let mut components = Vec::new();
        for module in &modules {
            if seen.contains(module) {
                continue;
            }
            let component: Vec<String> = modules
                .iter()
                .filter(|other| {
                    self.shortest_path(module, other).is_some()
                        && self.shortest_path(other, module).is_some()
                })
                .map(|other| (*other).to_owned())
                .collect();
            seen.extend(modules.iter().filter(|m| component.iter().any(|c| c == *m)));
            if component.len() > 1 {
                components.push(component);
            }
        }
        components
    }
}

/// The module graph of in-memory `files`, each `(path, text)`.
fn graph_of(files: &[(&str, &str)]) -> ModuleGraph {
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    module_graph(&sources)
}

#[test]
fn module_cycles_are_found_with_the_lines_that_close_them() {
    let graph = graph_of(&[
        (
            "src/lib.rs",
            "pub mod a; pub mod b; pub mod c; use crate::a::A;",
        ),
        ("src/a.rs", "use crate::b::B;\npub struct A;"),
        ("src/b/mod.rs", "mod inner;\npub struct B;"),
        (
            "src/b/inner.rs",
            "use super::B;\n\nfn f() { let _ = crate::c::C; }",
        ),
        (
            "src/c.rs",
            "pub struct C;\nfn g() { println!(\"{:?}\", crate::a::A); }",
        ),
    ]);
    assert_eq!(
        graph.cycles(),
        ["a -> b (via src/a.rs:1) -> c (via src/b/inner.rs:3) -> a (via src/c.rs:2)"]
    );
    assert_eq!(graph.components(), [["a", "b", "c"]]);
    let graph = graph_of(&[
        ("src/a.rs", "use crate::{b::B, c};\npub struct A;"),
        ("src/b.rs", "use crate::a::A;\nfn f() -> crate::a::A { A }"),
        ("src/c.rs", "pub struct C;"),
    ]);
    assert_eq!(
        graph.cycles(),
        ["a -> b (via src/a.rs:1) -> a (via src/b.rs:1, src/b.rs:2)"]
    );
    assert_eq!(graph.components(), [["a", "b"]]);
}

#[test]
fn a_module_dag_has_no_cycles() {
    let graph = graph_of(&[
        ("src/main.rs", "use crate::a::A; use crate::c::C;"),
        (
            "src/a.rs",
            "use crate::b::B;\npub(crate) struct A(crate::c::C);",
        ),
        (
            "src/b.rs",
            "use self::x::Y;\nuse crate::c::C;\npub struct B;",
        ),
        // Test code may reach back up; the rule is about what the library needs.
        (
            "src/c.rs",
            "pub struct C;\n#[cfg(test)]\nmod tests { use crate::a::A; }\n#[cfg(all(test, unix))]\nuse crate::b::B;",
        ),
    ]);
    assert_eq!(graph.cycles(), Vec::<String>::new());
    assert_eq!(graph.components(), Vec::<Vec<String>>::new());
    assert_eq!(graph.edges.len(), 3, "{graph:?}");
}

#[test]
fn no_module_imports_another_in_a_cycle() {
    let graph = module_graph(&read_sources(&["src"]));
    let components: Vec<String> = graph
        .components()
        .iter()
        .map(|component| component.join(", "))
        .collect();
    let cycles = graph.cycles();
    assert!(
        components.is_empty() && cycles.is_empty(),
        "top-level modules of src/ reach each other through `crate::` paths (outside #[cfg(test)] code).\n\
         Modules in a cycle: {}\n\
         A shortest cycle through each edge that closes one:\n{}",
        components.join("; "),
        cycles.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Lint attributes say why
// ---------------------------------------------------------------------------

/// The lint attributes in `file` (`allow`, `expect`, inner or outer) that
/// give no `reason = "..."`, as their lines.
fn lint_attributes_without_reason(file: &syn::File) -> Vec<usize> {
    struct Unexplained(Vec<usize>);
    impl<'ast> syn::visit::Visit<'ast> for Unexplained {
        fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
            let syn::Meta::List(list) = &attr.meta else {
                return;
            };
            let is_lint = list.path.is_ident("allow") || list.path.is_ident("expect");
            let has_reason = list.tokens.clone().into_iter().any(
                |token| matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == "reason"),
            );
            if is_lint && !has_reason {
                self.0.push(attr.pound_token.span.start().line);
            }
        }
    }
    let mut unexplained = Unexplained(Vec::new());
    syn::visit::visit_file(&mut unexplained, file);
    unexplained.0
}

#[test]
fn lint_attributes_give_a_reason() {
    let unexplained = lint_attributes_without_reason(&parse(
        "example.rs",
        "#![allow(unused)]\n#[expect(dead_code, reason = \"kept\")]\nfn f() {\n    #[allow(clippy::x)]\n    let _s = \"#[allow(y)]\";\n}",
    ));
    assert_eq!(unexplained, [1, 4]);
    let mut offenders = Vec::new();
    for (path, text) in read_sources(&["src"]) {
        for line in lint_attributes_without_reason(&parse(&path, &text)) {
            offenders.push(format!("{path}:{line}"));
        }
    }
    assert!(
        offenders.is_empty(),
        "`#[allow]`/`#[expect]` without `reason = \"...\"` (prefer `#[expect(lint, reason = \"...\")]`):\n{}",
        offenders.join("\n")
    );
}
