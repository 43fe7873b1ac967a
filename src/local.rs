//! The crates of the cargo workspace a document lives in, its "local crates".
//!
//! A crate's own README shows the crate itself: `mycrate::parse(..)`. Built
//! against crates.io, such an example checks the last release (or fails as
//! "not published"), not the code beside it. rustdoc builds a README included
//! as crate docs against the working tree; so does snipcheck: an example that
//! uses a local crate depends on it by path (`prepare::local_dependencies`),
//! and the registry is never asked about it.
//!
//! Which crates are local is read from the manifests, never from cargo: the
//! nearest `Cargo.toml` above the document, and the workspace that lists it
//! as a member (cargo's own rule for a package's workspace). `--crate PATH`
//! names a crate folder or workspace for every document. This module reads
//! manifests and lists folders; it starts no process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::discover::SpecFile;
use crate::report::RunProblem;

/// A library crate of the working tree that examples may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCrate {
    /// The name code writes (`my_crate`: the `[lib] name`, or the package's
    /// name with `-` made `_`).
    pub name: String,
    /// The package name (`my-crate`).
    pub package: String,
    /// The version its manifest gives, when it gives one.
    pub version: Option<String>,
    /// The crate's folder, absolute.
    pub path: PathBuf,
}

/// The local crates of a run: per document (as reports name it) the crates
/// its examples build by path, and the folders builds must read for them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalCrates {
    /// Document -> code name -> crate.
    pub by_document: BTreeMap<String, BTreeMap<String, LocalCrate>>,
    /// The workspace folders those crates live in (read-only for builds).
    pub roots: BTreeSet<PathBuf>,
}

impl LocalCrates {
    /// The crates a document's examples build by path.
    pub fn of(&self, document: &str) -> Option<&BTreeMap<String, LocalCrate>> {
        self.by_document.get(document).filter(|c| !c.is_empty())
    }

    /// What builds must read for the local crates the snippets use (`used`:
    /// entry id -> its dependencies, those by path among them): per
    /// workspace, its folder and the entries in it that builds may read.
    /// Those are all its entries but `.git` (a token in a remote URL is no
    /// business of a build script) and the one holding the sandbox; none
    /// when no snippet uses a local crate.
    pub fn readable(
        &self,
        used: &BTreeMap<String, Vec<crate::deps::DepSpec>>,
        sandbox: &Path,
    ) -> Vec<(PathBuf, Vec<PathBuf>)> {
        let paths: BTreeSet<&Path> = used
            .values()
            .flatten()
            .filter_map(|d| d.path.as_deref())
            .collect();
        self.roots
            .iter()
            .filter(|root| paths.iter().any(|p| p.starts_with(root)))
            .map(|root| (root.clone(), readable_entries(root, sandbox)))
            .collect()
    }
}

/// The entries of the workspace folder `root` builds may read: all but
/// `.git` and the one the sandbox is in.
fn readable_entries(root: &Path, sandbox: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let sandbox = std::path::absolute(sandbox).unwrap_or_else(|_| sandbox.to_path_buf());
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != ".git")
        .map(|e| e.path())
        .filter(|path| !sandbox.starts_with(path))
        .collect();
    out.sort();
    out
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("failed to read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to parse {}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
}

/// The local crates of every document: those of the workspace enclosing it,
/// and those of `explicit` (`--crate`, folders holding a `Cargo.toml`), which
/// win. A manifest that cannot be read is a problem, and its crates are not
/// local.
pub fn find(specs: &[SpecFile], explicit: &[PathBuf]) -> (LocalCrates, Vec<RunProblem>) {
    let mut found = LocalCrates::default();
    let mut problems = Vec::new();
    let mut named = BTreeMap::new();
    for folder in explicit {
        let root = enclosing_workspace(folder).unwrap_or_else(|| folder.clone());
        match crates_at(folder) {
            Ok(crates) => {
                found.roots.insert(root);
                named.extend(crates.into_iter().map(|c| (c.name.clone(), c)));
            }
            Err(e) => problems.push(RunProblem::input(None, e.to_string())),
        }
    }
    let mut by_root: BTreeMap<PathBuf, BTreeMap<String, LocalCrate>> = BTreeMap::new();
    // Many documents share a folder: its workspace is looked for once.
    let mut by_folder: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for spec in specs {
        let Some(document) = std::path::absolute(&spec.path).ok() else {
            continue;
        };
        let folder = document.parent().unwrap_or(&document).to_path_buf();
        let workspace = by_folder
            .entry(folder)
            .or_insert_with_key(|folder| enclosing_workspace(folder))
            .clone();
        let mut crates = match workspace {
            Some(root) if !excluded(&root, &document) => {
                if !by_root.contains_key(&root) {
                    let read = crates_at(&root).unwrap_or_else(|e| {
                        problems.push(RunProblem::input(Some(spec.display()), e.to_string()));
                        Vec::new()
                    });
                    let crates = read.into_iter().map(|c| (c.name.clone(), c)).collect();
                    by_root.insert(root.clone(), crates);
                }
                let crates = by_root.get(&root).cloned().unwrap_or_default();
                if !crates.is_empty() {
                    found.roots.insert(root);
                }
                crates
            }
            _ => BTreeMap::new(),
        };
        crates.extend(named.clone());
        if !crates.is_empty() {
            found.by_document.insert(spec.display(), crates);
        }
    }
    (found, problems)
}

/// The folder of the workspace `folder` lies in: the nearest folder at or
/// above it with a `Cargo.toml`, or, when that is a package without a
/// `[workspace]`, the workspace above that lists it as a member.
pub fn enclosing_workspace(folder: &Path) -> Option<PathBuf> {
    let nearest = folder
        .ancestors()
        .find(|dir| dir.join("Cargo.toml").is_file())?;
    let manifest = read_manifest(&nearest.join("Cargo.toml")).ok()?;
    if manifest.contains_key("workspace") {
        return Some(nearest.to_path_buf());
    }
    let above = nearest.ancestors().skip(1).find(|dir| {
        read_manifest(&dir.join("Cargo.toml")).is_ok_and(|m| m.contains_key("workspace"))
    });
    match above {
        Some(root) if member_folders(root).contains(nearest) && !excluded(root, nearest) => {
            Some(root.to_path_buf())
        }
        _ => Some(nearest.to_path_buf()),
    }
}

/// The library crates of the package or workspace whose `Cargo.toml` is in
/// `folder`: the package itself, and every member of its `[workspace]`.
pub fn crates_at(folder: &Path) -> Result<Vec<LocalCrate>, LocalError> {
    let manifest = read_manifest(&folder.join("Cargo.toml"))?;
    let workspace_version = manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    let mut crates: Vec<LocalCrate> = library(folder, &manifest, None).into_iter().collect();
    if manifest.contains_key("workspace") {
        for member in member_folders(folder) {
            if member == folder {
                continue;
            }
            // A member that cannot be read is cargo's problem to report.
            if let Ok(member_manifest) = read_manifest(&member.join("Cargo.toml")) {
                crates.extend(library(
                    &member,
                    &member_manifest,
                    workspace_version.as_deref(),
                ));
            }
        }
    }
    crates.sort_by(|a, b| a.name.cmp(&b.name));
    crates.dedup_by(|a, b| a.name == b.name);
    Ok(crates)
}

/// The library target of a package manifest, if it has one.
fn library(folder: &Path, manifest: &toml::Table, inherited: Option<&str>) -> Option<LocalCrate> {
    let package = manifest.get("package")?.as_table()?;
    let name = package.get("name")?.as_str()?;
    let lib = manifest.get("lib").and_then(toml::Value::as_table);
    if lib.is_none() && !folder.join("src/lib.rs").is_file() {
        return None;
    }
    let lib_name = lib
        .and_then(|l| l.get("name"))
        .and_then(toml::Value::as_str)
        .unwrap_or(name);
    let version = match package.get("version") {
        Some(toml::Value::String(v)) => Some(v.clone()),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(toml::Value::as_bool) == Some(true) =>
        {
            inherited.map(str::to_owned)
        }
        _ => None,
    };
    Some(LocalCrate {
        name: lib_name.replace('-', "_"),
        package: name.to_owned(),
        version,
        path: folder.to_path_buf(),
    })
}

/// The member folders of the workspace in `root` (its `members` globs
/// expanded, its `exclude` left out), those holding a `Cargo.toml`.
fn member_folders(root: &Path) -> BTreeSet<PathBuf> {
    let Ok(manifest) = read_manifest(&root.join("Cargo.toml")) else {
        return BTreeSet::new();
    };
    let patterns = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str);
    let mut folders = BTreeSet::new();
    for pattern in patterns {
        let mut at = vec![root.to_path_buf()];
        for component in pattern.split('/').filter(|c| !c.is_empty() && *c != ".") {
            at = expand(&at, component);
        }
        folders.extend(
            at.into_iter()
                .filter(|dir| dir.join("Cargo.toml").is_file()),
        );
    }
    folders.retain(|dir| !excluded(root, dir));
    folders
}

/// The folders `component` (a name, or a glob such as `*`) names under each of `at`.
fn expand(at: &[PathBuf], component: &str) -> Vec<PathBuf> {
    if !component.contains(['*', '?', '[']) {
        return at.iter().map(|dir| dir.join(component)).collect();
    }
    let Ok(glob) = globset::Glob::new(component) else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    let mut out = Vec::new();
    for dir in at {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| matcher.is_match(e.file_name()))
            .map(|e| e.path())
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

/// Whether `path` lies in a folder the workspace in `root` excludes.
fn excluded(root: &Path, path: &Path) -> bool {
    let Ok(manifest) = read_manifest(&root.join("Cargo.toml")) else {
        return false;
    };
    manifest
        .get("workspace")
        .and_then(|w| w.get("exclude"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .any(|folder| path.starts_with(root.join(folder)))
}

fn read_manifest(path: &Path) -> Result<toml::Table, LocalError> {
    let text = std::fs::read_to_string(path).map_err(|source| LocalError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    text.parse::<toml::Table>()
        .map_err(|source| LocalError::Parse {
            path: path.to_path_buf(),
            source: Box::new(source),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("creates");
        std::fs::write(path, text).expect("writes");
    }

    fn spec(path: PathBuf) -> SpecFile {
        let kind = crate::discover::kind_of(&path);
        SpecFile {
            path,
            text: String::new(),
            kind,
        }
    }

    /// A workspace with two library members (one renaming its lib, one
    /// inheriting its version), a binary member, an excluded folder, and a
    /// README beside them.
    fn workspace() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/*\", \"tool\"]\nexclude = [\"crates/old\", \"vendor\"]\n[workspace.package]\nversion = \"0.4.1\"\n",
        );
        write(root, "README.md", "");
        write(root, "docs/guide.md", "");
        write(root, "vendor/notes.md", "");
        write(
            root,
            "crates/my-core/Cargo.toml",
            "[package]\nname = \"my-core\"\nversion.workspace = true\n",
        );
        write(root, "crates/my-core/src/lib.rs", "");
        write(root, "crates/my-core/README.md", "");
        write(
            root,
            "crates/fancy/Cargo.toml",
            "[package]\nname = \"fancy-pkg\"\nversion = \"1.2.3\"\n[lib]\nname = \"fancy\"\npath = \"lib.rs\"\n",
        );
        write(root, "crates/old/Cargo.toml", "[package]\nname = \"old\"\n");
        write(root, "crates/old/src/lib.rs", "");
        write(root, "tool/Cargo.toml", "[package]\nname = \"tool\"\n");
        write(root, "tool/src/main.rs", "");
        dir
    }

    fn names(found: &LocalCrates, document: &Path) -> Vec<String> {
        let key = spec(document.to_path_buf()).display();
        found
            .of(&key)
            .map(|c| {
                c.values()
                    .map(|c| format!("{}={}@{:?}", c.name, c.package, c.version))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn documents_in_a_workspace_get_its_library_members() {
        let dir = workspace();
        let root = dir.path();
        let documents = [
            "README.md",
            "docs/guide.md",
            "crates/my-core/README.md",
            "vendor/notes.md",
        ]
        .map(|d| root.join(d));
        let specs: Vec<SpecFile> = documents.iter().cloned().map(spec).collect();
        let (found, problems) = find(&specs, &[]);
        assert!(problems.is_empty(), "{problems:?}");
        let both = vec![
            "fancy=fancy-pkg@Some(\"1.2.3\")".to_owned(),
            "my_core=my-core@Some(\"0.4.1\")".to_owned(),
        ];
        assert_eq!(names(&found, &documents[0]), both);
        assert_eq!(names(&found, &documents[1]), both);
        // A member's own README sees its whole workspace.
        assert_eq!(names(&found, &documents[2]), both);
        // An excluded folder is no part of the workspace.
        assert_eq!(names(&found, &documents[3]), Vec::<String>::new());
        assert_eq!(found.roots, BTreeSet::from([root.to_path_buf()]));
        let fancy = &found.of(&specs[0].display()).expect("has crates")["fancy"];
        assert_eq!(fancy.path, root.join("crates/fancy"));
    }

    #[test]
    fn a_package_outside_any_workspace_is_its_own_and_crate_names_one_for_everyone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        write(
            root,
            "lone/Cargo.toml",
            "[package]\nname = \"lone\"\nversion = \"0.1.0\"\n",
        );
        write(root, "lone/src/lib.rs", "");
        write(root, "lone/README.md", "");
        write(root, "elsewhere/notes.md", "");
        let specs = vec![
            spec(root.join("lone/README.md")),
            spec(root.join("elsewhere/notes.md")),
        ];
        let (found, _) = find(&specs, &[]);
        assert_eq!(
            names(&found, &root.join("lone/README.md")),
            ["lone=lone@Some(\"0.1.0\")"]
        );
        assert_eq!(
            names(&found, &root.join("elsewhere/notes.md")),
            Vec::<String>::new()
        );
        let (found, problems) = find(&specs, &[root.join("lone")]);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            names(&found, &root.join("elsewhere/notes.md")),
            ["lone=lone@Some(\"0.1.0\")"]
        );
    }

    #[test]
    fn builds_read_a_used_workspace_but_its_git_folder_and_the_sandbox() {
        let dir = workspace();
        let root = dir.path();
        write(root, ".git/config", "");
        write(root, "sandbox/.gitignore", "*");
        let (found, _) = find(&[spec(root.join("README.md"))], &[]);
        let by_path = |path: PathBuf| crate::deps::DepSpec {
            name: "fancy".into(),
            package: "fancy-pkg".into(),
            requirement: "1.2.3".into(),
            features: BTreeSet::new(),
            dev: false,
            path: Some(path),
        };
        let used = BTreeMap::from([("a".to_owned(), vec![by_path(root.join("crates/fancy"))])]);
        let readable = found.readable(&used, &root.join("sandbox"));
        let names: Vec<String> = readable
            .iter()
            .flat_map(|(_, paths)| paths)
            .filter_map(|p| Some(p.file_name()?.to_str()?.to_owned()))
            .collect();
        assert_eq!(
            names,
            [
                "Cargo.toml",
                "README.md",
                "crates",
                "docs",
                "tool",
                "vendor"
            ]
        );
        assert_eq!(readable[0].0, root);
        // No snippet uses a local crate: builds read nothing more.
        assert!(
            found
                .readable(&BTreeMap::new(), &root.join("sandbox"))
                .is_empty()
        );
    }

    #[test]
    fn a_manifest_that_does_not_parse_is_a_problem_not_local_crates() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        write(root, "Cargo.toml", "[package\nname = ");
        write(root, "README.md", "");
        let (found, problems) = find(&[spec(root.join("README.md"))], &[root.to_path_buf()]);
        assert_eq!(found, LocalCrates::default());
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
