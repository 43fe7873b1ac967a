//! The committed lockfile of the scratch crates: reproducible runs by default,
//! the newest releases with `--latest`.
//!
//! A run that infers "the newest release" of every crate gives a different
//! answer every day, which is right for the nightly job (it is how examples
//! rot) and wrong for a maintainer bisecting a report. So the default is the
//! versions a committed lockfile records (a `Cargo.lock` with only the
//! registry packages; the scratch members change every run and are left out):
//! it seeds every scratch workspace, and an inferred requirement follows the
//! version it locks. `--latest` resolves afresh, and the report says which
//! versions moved since the lockfile. `--bless` writes it.

use std::collections::{BTreeMap, BTreeSet};

use cargo_metadata::semver::Version;
use serde::Deserialize;
use toml_edit::{DocumentMut, Item};

use crate::deps::DepSpec;

// The report shows how versions were chosen and which moved, so those types
// belong to the report model.
pub use crate::report::{LockMode, VersionMove};

/// The registry packages of a lockfile, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lockfile {
    pub packages: BTreeMap<String, BTreeSet<Version>>,
}

#[derive(Debug, thiserror::Error)]
#[error("not a Cargo lockfile: {0}")]
pub struct LockfileError(String);

#[derive(Deserialize)]
struct LockDocument {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: String,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// What the lockfile's header says to whoever opens it.
const HEADER: &str = "\
# The versions snipcheck builds the examples with (a Cargo.lock without the
# scratch crates). Written by `--bless`; `--latest` ignores it and reports
# which versions moved.
";

impl Lockfile {
    /// Reads the registry packages of a `Cargo.lock` text.
    pub fn parse(text: &str) -> Result<Lockfile, LockfileError> {
        let document: LockDocument =
            toml::from_str(text).map_err(|e| LockfileError(e.message().to_string()))?;
        let mut packages: BTreeMap<String, BTreeSet<Version>> = BTreeMap::new();
        for package in document.package.into_iter().filter(|p| p.source.is_some()) {
            let version = Version::parse(&package.version).map_err(|e| {
                LockfileError(format!(
                    "package `{}` has version `{}`: {e}",
                    package.name, package.version
                ))
            })?;
            packages.entry(package.name).or_default().insert(version);
        }
        Ok(Lockfile { packages })
    }

    /// The newest locked version of `package`.
    pub fn newest(&self, package: &str) -> Option<&Version> {
        self.packages.get(package).and_then(|v| v.last())
    }

    /// Lets inferred requirements follow the lockfile: each becomes the newest
    /// locked version of its package (a caret requirement, which the lock
    /// satisfies). Runs before the pins are applied, so a pinned requirement wins.
    /// A locked pre-release is followed only when the requirement is one too:
    /// a lock written when the registry's newest release was a pre-release
    /// does not make a reader's stable release a pre-release.
    pub fn steer(&self, deps: &mut [DepSpec]) {
        for dep in deps.iter_mut() {
            let wants_pre = Version::parse(&dep.requirement).is_ok_and(|v| !v.pre.is_empty());
            let locked = self.packages.get(&dep.package).and_then(|versions| {
                versions
                    .iter()
                    .rev()
                    .find(|v| wants_pre || v.pre.is_empty())
            });
            if let Some(version) = locked {
                dep.requirement = version.to_string();
            }
        }
    }

    /// The registry packages `deps` need that the lockfile does not record
    /// (a local crate, by path, is none).
    pub fn missing<'d>(&self, deps: impl IntoIterator<Item = &'d DepSpec>) -> BTreeSet<String> {
        deps.into_iter()
            .filter(|d| d.path.is_none() && !self.packages.contains_key(&d.package))
            .map(|d| d.package.clone())
            .collect()
    }

    /// What changed from `self` (the committed lockfile) to `now` (a fresh resolution).
    pub fn moves_to(&self, now: &Lockfile) -> Vec<VersionMove> {
        let names: BTreeSet<&String> = self.packages.keys().chain(now.packages.keys()).collect();
        let join = |versions: Option<&BTreeSet<Version>>| {
            versions
                .map(|v| {
                    v.iter()
                        .map(Version::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|v| !v.is_empty())
        };
        names
            .into_iter()
            .filter(|name| self.packages.get(*name) != now.packages.get(*name))
            .map(|name| VersionMove {
                package: name.clone(),
                locked: join(self.packages.get(name)),
                now: join(now.packages.get(name)),
            })
            .collect()
    }
}

/// Which packages each package of a `Cargo.lock` depends on, by name (`-`
/// and `_` alike, versions ignored): enough to tell which scratch crates a
/// dependency that failed to build kept from building.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DependencyGraph {
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl DependencyGraph {
    /// Reads the graph of a `Cargo.lock` text.
    pub fn parse(text: &str) -> Result<DependencyGraph, LockfileError> {
        let document: LockDocument =
            toml::from_str(text).map_err(|e| LockfileError(e.message().to_string()))?;
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for package in document.package {
            // `name`, `name version` or `name version (source)`.
            let deps = package
                .dependencies
                .iter()
                .filter_map(|d| d.split_whitespace().next())
                .map(graph_name);
            edges
                .entry(graph_name(&package.name))
                .or_default()
                .extend(deps);
        }
        Ok(DependencyGraph { edges })
    }

    /// Whether `from` depends on `to`, directly or through others.
    pub fn depends_on(&self, from: &str, to: &str) -> bool {
        let to = graph_name(to);
        let mut seen = BTreeSet::new();
        let mut next = vec![graph_name(from)];
        while let Some(package) = next.pop() {
            let Some(deps) = self.edges.get(&package) else {
                continue;
            };
            if deps.contains(&to) {
                return true;
            }
            next.extend(deps.iter().filter(|d| seen.insert((*d).clone())).cloned());
        }
        false
    }
}

fn graph_name(name: &str) -> String {
    name.replace('-', "_")
}

/// The committable form of a scratch workspace's `Cargo.lock`: its registry
/// packages only, under a header saying what the file is.
pub fn registry_only(cargo_lock: &str) -> Result<String, LockfileError> {
    let mut document: DocumentMut = cargo_lock
        .parse()
        .map_err(|e: toml_edit::TomlError| LockfileError(e.message().to_string()))?;
    if let Some(Item::ArrayOfTables(packages)) = document.get_mut("package") {
        packages.retain(|package| package.contains_key("source"));
    }
    document.decor_mut().set_prefix("");
    let body = document.to_string();
    let body = body
        .lines()
        .skip_while(|l| l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(format!("{HEADER}{}\n", body.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARGO_LOCK: &str = r#"# This file is automatically @generated by Cargo.
# It is not intended for manual editing.
version = 4

[[package]]
name = "itoa"
version = "1.0.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "af150ab688ff2122fcef229be89cb50dd66af9e01a4ff320cc137eecc9bacc38"

[[package]]
name = "snip-guide-1a2b"
version = "0.0.0"
dependencies = [
 "itoa",
]

[[package]]
name = "axum"
version = "0.6.20"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "axum"
version = "0.8.4"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    fn dep(name: &str, requirement: &str) -> DepSpec {
        DepSpec::registry(name, name, requirement)
    }

    #[test]
    fn keeps_only_registry_packages() {
        let text = registry_only(CARGO_LOCK).expect("valid lock");
        assert!(text.starts_with(HEADER), "{text}");
        assert!(!text.contains("snip-guide"), "{text}");
        assert!(!text.contains("@generated"), "{text}");
        let lock = Lockfile::parse(&text).expect("parses");
        assert_eq!(lock.packages.len(), 2);
        assert_eq!(
            lock.newest("axum").map(Version::to_string),
            Some("0.8.4".into())
        );
        // What snipcheck writes, it reads back the same.
        assert_eq!(registry_only(&text).expect("again"), text);
    }

    #[test]
    fn which_package_depends_on_which() {
        let text = r#"
[[package]]
name = "snip-a"
version = "0.0.0"
dependencies = ["prost-build 0.13.5", "serde"]

[[package]]
name = "prost-build"
version = "0.13.5"
dependencies = ["prost_types"]

[[package]]
name = "snip-b"
version = "0.0.0"
dependencies = ["serde (registry+https://github.com/rust-lang/crates.io-index)"]
"#;
        let graph = DependencyGraph::parse(text).expect("parses");
        assert!(graph.depends_on("snip-a", "prost-build"));
        assert!(
            graph.depends_on("snip-a", "prost-types"),
            "through prost-build"
        );
        assert!(graph.depends_on("snip_b", "serde"));
        assert!(!graph.depends_on("snip-b", "prost-build"));
        assert!(!graph.depends_on("nothing", "serde"));
        assert!(DependencyGraph::parse("[[package]]\nname = 1").is_err());
    }

    #[test]
    fn inferred_requirements_follow_the_lock() {
        let lock = Lockfile::parse(CARGO_LOCK).expect("parses");
        let mut deps = vec![
            dep("axum", "0.8.7"),
            dep("itoa", "1.0.15"),
            dep("serde", "1.0.228"),
        ];
        lock.steer(&mut deps);
        let requirements: Vec<&str> = deps.iter().map(|d| d.requirement.as_str()).collect();
        assert_eq!(requirements, ["0.8.4", "1.0.9", "1.0.228"]);
        assert_eq!(lock.missing(&deps), BTreeSet::from(["serde".to_string()]));
        // A local crate is built from its folder: no lockfile records it.
        let mut local = dep("own_crate", "0.3.1");
        local.path = Some(std::path::PathBuf::from("/w/own-crate"));
        assert!(lock.missing(&[local]).is_empty());
    }

    #[test]
    fn a_locked_pre_release_is_followed_only_by_a_pre_release() {
        let lock = Lockfile::parse(
            "version = 4\n\n\
             [[package]]\nname = \"tauri\"\nversion = \"2.12.4\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
             [[package]]\nname = \"tauri\"\nversion = \"3.0.0-alpha.5\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n\
             [[package]]\nname = \"esp-radio\"\nversion = \"1.0.0-beta.1\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
        )
        .expect("parses");
        let mut deps = vec![dep("tauri", "2.12.5"), dep("esp-radio", "0.18.0")];
        lock.steer(&mut deps);
        let requirements: Vec<&str> = deps.iter().map(|d| d.requirement.as_str()).collect();
        assert_eq!(requirements, ["2.12.4", "0.18.0"]);
        let mut asked = vec![dep("tauri", "3.0.0-alpha.1")];
        lock.steer(&mut asked);
        assert_eq!(asked[0].requirement, "3.0.0-alpha.5");
    }

    #[test]
    fn moves_list_every_package_whose_versions_differ() {
        let old = Lockfile::parse(CARGO_LOCK).expect("parses");
        let mut now = old.clone();
        now.packages
            .insert("itoa".into(), BTreeSet::from([Version::new(1, 0, 15)]));
        now.packages.remove("axum");
        now.packages
            .insert("serde".into(), BTreeSet::from([Version::new(1, 0, 228)]));
        let moves = old.moves_to(&now);
        let shown: Vec<String> = moves
            .iter()
            .map(|m| format!("{} {:?} -> {:?}", m.package, m.locked, m.now))
            .collect();
        assert_eq!(
            shown,
            [
                r#"axum Some("0.6.20, 0.8.4") -> None"#,
                r#"itoa Some("1.0.9") -> Some("1.0.15")"#,
                r#"serde None -> Some("1.0.228")"#,
            ]
        );
        assert!(old.moves_to(&old).is_empty());
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(Lockfile::parse("[[package]]\nname = 1").is_err());
        assert!(
            Lockfile::parse("[[package]]\nname = \"a\"\nversion = \"x\"\nsource = \"r\"").is_err()
        );
        assert!(registry_only("= = =").is_err());
        assert_eq!(Lockfile::parse("").expect("empty"), Lockfile::default());
    }
}
