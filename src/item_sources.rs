//! Where `items.rs` gets its text: the source files of the crates cargo
//! extracted into its registry cache, the standard library's `all.html` from
//! the `rust-docs` component, and the sandbox's cache of what was read.
//!
//! This is the one module that reads crate sources. It never downloads: a
//! crate whose source is not on the machine is simply not indexed, and the
//! callers treat that as "cannot tell". What a crate exports is read once per
//! package and version and kept in `sandbox/items/` (a registry release never
//! changes), so a warm run parses nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cargo_metadata::semver::Version;

use crate::deps::KnownCrates;
use crate::items::{self, CrateItems, Index, MAX_FILE_BYTES, MAX_FILES};
use crate::lockfile::Lockfile;

/// The version of the cached files' format: a change starts a new folder.
const CACHE_FORMAT: &str = "v1";
/// Folders deeper than this below a crate's source root are not read.
const MAX_DIR_DEPTH: usize = 12;

/// One package's source on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The name code uses for the crate (`serde_json`).
    pub name_in_code: String,
    pub package: String,
    pub version: String,
    /// The package's folder (where its `Cargo.toml` is).
    pub dir: PathBuf,
    /// The library's root file, relative to `dir` (`src/lib.rs`).
    pub root: String,
}

/// Cargo's home: `$CARGO_HOME`, else `~/.cargo`.
pub fn cargo_home() -> PathBuf {
    crate::confine::Homes::from_env().cargo
}

/// The folder cargo extracted `package` into, at `version` when given, else
/// the newest version on the machine; with the version found. The name is
/// matched as crates.io matches names: `-` and `_` are the same
/// (`tracing_subscriber` is in `tracing-subscriber-0.3.23/`).
pub fn registry_source(
    cargo_home: &Path,
    package: &str,
    version: Option<&str>,
) -> Option<(String, PathBuf)> {
    let indexes = std::fs::read_dir(cargo_home.join("registry").join("src")).ok()?;
    let wanted = version.and_then(|v| Version::parse(v).ok());
    let mut best: Option<(Version, PathBuf)> = None;
    for index in indexes.flatten() {
        let Ok(entries) = std::fs::read_dir(index.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(found) = name.to_str().and_then(|n| package_version(n, package)) else {
                continue;
            };
            if wanted.as_ref().is_some_and(|w| *w != found)
                || !entry.path().join("Cargo.toml").is_file()
            {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| found > *b) {
                best = Some((found, entry.path()));
            }
        }
    }
    best.map(|(version, dir)| (version.to_string(), dir))
}

/// The version in a registry folder's name (`tracing-subscriber-0.3.23`)
/// when the name before it is `package`, `-` and `_` alike.
fn package_version(folder: &str, package: &str) -> Option<Version> {
    let same = |a: &str| {
        a.len() == package.len()
            && a.bytes()
                .zip(package.bytes())
                .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
    };
    let (name, version) = (folder.get(..package.len())?, folder.get(package.len()..)?);
    let version = version.strip_prefix('-')?;
    same(name).then(|| Version::parse(version).ok()).flatten()
}

/// The library root a package's `Cargo.toml` names (`[lib] path`), else
/// `src/lib.rs`.
fn library_root(dir: &Path) -> String {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    toml::from_str::<toml::Table>(&manifest)
        .ok()
        .and_then(|table| {
            let path = table.get("lib")?.get("path")?.as_str()?.to_owned();
            Some(path.replace('\\', "/").trim_start_matches("./").to_owned())
        })
        .unwrap_or_else(|| "src/lib.rs".to_owned())
}

/// Every `.rs` file below the folder of the library's root, by path
/// relative to the package (bounded in count, size and depth; symbolic links
/// are not followed).
pub fn read_files(dir: &Path, root: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let start = root.rsplit_once('/').map_or("", |(folder, _)| folder);
    let mut pending = vec![(start.to_owned(), 0)];
    while let Some((relative, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            let path = if relative.is_empty() {
                name.clone()
            } else {
                format!("{relative}/{name}")
            };
            if kind.is_dir() && depth < MAX_DIR_DEPTH {
                pending.push((path, depth + 1));
            } else if kind.is_file() && name.ends_with(".rs") && files.len() < MAX_FILES {
                let small = entry
                    .metadata()
                    .is_ok_and(|m| m.len() <= MAX_FILE_BYTES as u64);
                if let (true, Ok(text)) = (small, std::fs::read_to_string(entry.path())) {
                    files.insert(path, text);
                }
            }
        }
    }
    files
}

/// One package's items: from the sandbox's cache, else read from its
/// source and cached (a cache that cannot be written costs the next run a
/// parse, nothing else).
pub fn crate_items(source: &Source, cache_dir: &Path) -> CrateItems {
    let cached = cache_dir
        .join(CACHE_FORMAT)
        .join(format!("{}-{}.json", source.package, source.version));
    if let Some(items) = std::fs::read(&cached)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
    {
        return items;
    }
    let files = read_files(&source.dir, &source.root);
    let items = items::read_crate(&source.root, &files);
    if let Ok(text) = serde_json::to_string(&items) {
        // A cache that cannot be written costs the next run a parse.
        let _ = crate::fsutil::write_atomic(&cached, text.as_bytes());
    }
    items
}

/// The sources of the crates whose glob imports a run must look into
/// (`proptest` for `use proptest::prelude::*;`): the committed lockfile's
/// version when it locks one and that version is on the machine, else the
/// newest version on the machine; a crate with none is left out.
pub fn glob_sources(
    crates: &BTreeSet<String>,
    known: &KnownCrates,
    lock: Option<&Lockfile>,
    cargo_home: &Path,
) -> Vec<Source> {
    crates
        .iter()
        .filter_map(|name| {
            let package = known.registry_name(name).to_owned();
            let locked = lock
                .and_then(|l| l.newest(&package))
                .map(ToString::to_string);
            let (version, dir) = locked
                .and_then(|v| registry_source(cargo_home, &package, Some(&v)))
                .or_else(|| registry_source(cargo_home, &package, None))?;
            let root = library_root(&dir);
            Some(Source {
                name_in_code: name.clone(),
                package,
                version,
                dir,
                root,
            })
        })
        .collect()
}

/// The sources of every package a resolution holds but the workspace's own
/// (the scratch crates), under their library's name: what the diagnosis
/// indexes after `cargo metadata` has downloaded them.
pub fn resolved_sources(metadata: &cargo_metadata::Metadata) -> Vec<Source> {
    let members: BTreeSet<_> = metadata.workspace_members.iter().collect();
    metadata
        .packages
        .iter()
        .filter(|package| !members.contains(&package.id))
        .filter_map(|package| {
            let target = package.targets.iter().find(|t| {
                t.kind.iter().any(|k| {
                    matches!(
                        k,
                        cargo_metadata::TargetKind::Lib
                            | cargo_metadata::TargetKind::RLib
                            | cargo_metadata::TargetKind::ProcMacro
                    )
                })
            })?;
            let dir = package.manifest_path.parent()?.as_std_path().to_path_buf();
            let root = target
                .src_path
                .as_std_path()
                .strip_prefix(&dir)
                .ok()?
                .to_str()?
                .replace('\\', "/");
            Some(Source {
                name_in_code: target.name.replace('-', "_"),
                package: package.name.to_string(),
                version: package.version.to_string(),
                dir,
                root,
            })
        })
        .collect()
}

/// An index of `sources`, read through the cache in `cache_dir`.
pub fn index(sources: &[Source], cache_dir: &Path) -> Index {
    let mut index = Index::default();
    for source in sources {
        index.add_crate(&source.name_in_code, crate_items(source, cache_dir));
    }
    index
}

/// Adds `std`, `core` and `alloc` from the `rust-docs` component of the
/// toolchain at `sysroot` (`rustc --print sysroot`); a toolchain without it
/// adds nothing (the standard library's modules are known anyway, see
/// [`Index::provides`]). Returns how many of the three were found.
pub fn add_std(index: &mut Index, sysroot: &Path) -> usize {
    let html = sysroot.join("share").join("doc").join("rust").join("html");
    let mut found = 0;
    for krate in crate::deps::STD_CRATES {
        let path = html.join(krate).join("all.html");
        let small =
            std::fs::metadata(&path).is_ok_and(|m| m.len() <= items::MAX_ALL_HTML_BYTES as u64);
        if let (true, Ok(text)) = (small, std::fs::read_to_string(&path)) {
            index.add_crate(krate, items::read_std(&text));
            found += 1;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_folders_match_names_with_dashes_and_underscores_alike() {
        let cases = [
            (
                "tracing-subscriber-0.3.23",
                "tracing_subscriber",
                Some("0.3.23"),
            ),
            (
                "tracing-subscriber-0.3.23",
                "tracing-subscriber",
                Some("0.3.23"),
            ),
            ("serde_json-1.0.140", "serde-json", Some("1.0.140")),
            ("tauri-3.0.0-alpha.5", "tauri", Some("3.0.0-alpha.5")),
            ("tracing-subscriber-0.3.23", "tracing", None),
            ("tracing-0.1.41", "tracing-subscriber", None),
            ("serde-derive-1.0.0", "serde", None),
        ];
        for (folder, package, expected) in cases {
            let found = package_version(folder, package).map(|v| v.to_string());
            assert_eq!(found.as_deref(), expected, "{folder} as {package}");
        }
    }

    #[test]
    fn the_newest_folder_or_the_asked_version_is_found() {
        let home = tempfile::tempdir().expect("temporary folder");
        let index = home
            .path()
            .join("registry/src/index.crates.io-1949cf8c6b5b557f");
        for version in ["0.3.9", "0.3.23"] {
            let dir = index.join(format!("tracing-subscriber-{version}"));
            std::fs::create_dir_all(&dir).expect("create folder");
            std::fs::write(dir.join("Cargo.toml"), "").expect("write");
        }
        let newest = registry_source(home.path(), "tracing_subscriber", None);
        assert_eq!(newest.map(|(v, _)| v).as_deref(), Some("0.3.23"));
        let asked = registry_source(home.path(), "tracing_subscriber", Some("0.3.9"));
        assert_eq!(asked.map(|(v, _)| v).as_deref(), Some("0.3.9"));
        assert!(registry_source(home.path(), "tracing_subscriber", Some("0.2.0")).is_none());
    }
}
