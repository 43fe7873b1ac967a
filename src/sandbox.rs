//! Plan -> files under `sandbox/`: the scratch workspace, one member per snippet.
//!
//! Manifests are built as typed TOML documents (toml_edit), never from string
//! templates. A file is rewritten only when its content changes, atomically
//! (temp file + rename in the same folder), so cargo's fingerprints stay valid
//! across runs and an unchanged spec costs no rebuild. The sandbox is marked
//! with a marker file; a folder with other files and no marker is refused, and
//! only what snipcheck created is ever removed.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, value};

use crate::deps::DepSpec;
use crate::error::{Error, Result};
use crate::fence::Edition;
use crate::wrap::CrateKind;

/// The file that says a folder is a snipcheck sandbox.
pub const MARKER: &str = ".snipcheck-sandbox";

/// Files a fresh sandbox folder may already hold (the repository commits a `.gitignore` there).
const ALLOWED_FOREIGN: &[&str] = &[".gitignore"];

/// The workspace of the snippets as written; variant builds get workspaces of their own.
pub const PRIMARY_WORKSPACE: &str = "ws";

/// Folder of the members inside the scratch workspace.
const MEMBERS_DIR: &str = "snippets";

/// The file whose lock says a run is using the sandbox.
const LOCK: &str = ".lock";

/// An opened sandbox folder, locked for this run: two runs on one sandbox
/// take turns instead of writing over each other.
#[derive(Debug, Clone)]
pub struct Sandbox {
    pub root: PathBuf,
    /// Held (and the lock with it) for as long as the sandbox is open.
    _lock: std::sync::Arc<fs::File>,
}

/// One scratch crate to write.
#[derive(Debug, Clone)]
pub struct CrateFiles {
    /// The package name, unique in the workspace (cargo confuses same-named packages in one target dir).
    pub package: String,
    pub edition: Edition,
    pub kind: CrateKind,
    /// Whether the crate's tests target is checked too (`#[cfg(test)]` code).
    pub tests: bool,
    pub source: String,
    pub deps: Vec<DepSpec>,
}

/// A dependency on a local crate by its folder, added to every scratch crate
/// written. Test-only: the attack suite (`tests/it/attack.rs`) makes one with
/// `SNIPCHECK_TEST_INJECT_DEPENDENCY` (read by `cli.rs`) so that a build
/// script it wrote runs in every build; documents and `snipcheck.toml` can
/// never name one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathDependency {
    /// The crate's package name.
    pub name: String,
    /// Its folder, absolute.
    pub path: PathBuf,
}

/// What was written: the workspace manifest and each member's source file.
#[derive(Debug, Clone)]
pub struct WrittenWorkspace {
    pub manifest_path: PathBuf,
    pub dir: PathBuf,
    /// Package name -> absolute path of its source file.
    pub sources: BTreeMap<String, PathBuf>,
}

impl Sandbox {
    /// Opens (creating if needed) a sandbox folder, refusing one that holds
    /// files snipcheck did not create, and waits for any other run using it
    /// (calling `on_wait` once first).
    pub fn open(root: &Path, on_wait: &dyn Fn(&Path)) -> Result<Sandbox> {
        fs::create_dir_all(root).map_err(|e| Error::io("create the sandbox folder", root, e))?;
        let root =
            fs::canonicalize(root).map_err(|e| Error::io("resolve the sandbox folder", root, e))?;
        let marker = root.join(MARKER);
        if !marker.exists() {
            let entries =
                fs::read_dir(&root).map_err(|e| Error::io("read the sandbox folder", &root, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("read the sandbox folder", &root, e))?;
                let name = entry.file_name();
                // Besides the allowed files, what another run opening this
                // fresh folder at the same moment creates: the marker, then the lock.
                let ours = name == MARKER || name == LOCK;
                if !ours && !ALLOWED_FOREIGN.iter().any(|allowed| name == *allowed) {
                    return Err(Error::ForeignSandbox {
                        path: root,
                        marker: MARKER,
                    });
                }
            }
            // Written in place, not through a temporary file, so that a run
            // opening the folder at the same moment sees nothing but the marker.
            let created = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&marker);
            match created {
                Ok(mut file) => file
                    .write_all(
                        b"This folder is a snipcheck sandbox: snipcheck may delete anything in it.\n",
                    )
                    .map_err(|e| Error::io("write", &marker, e))?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("write", &marker, e)),
            }
        }
        let lock_path = root.join(LOCK);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io("open the lock file", &lock_path, e))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                on_wait(&root);
                lock.lock().map_err(|e| Error::io("lock", &lock_path, e))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(Error::io("lock", &lock_path, e)),
        }
        Ok(Sandbox {
            root,
            _lock: std::sync::Arc::new(lock),
        })
    }

    pub fn workspace_dir(&self) -> PathBuf {
        self.root.join(PRIMARY_WORKSPACE)
    }

    pub fn registry_cache_path(&self) -> PathBuf {
        self.root.join("registry.json")
    }

    /// What crates export, read from their sources (see `item_sources.rs`).
    pub fn items_cache_path(&self) -> PathBuf {
        self.root.join("items")
    }

    pub fn failure_hints_path(&self) -> PathBuf {
        self.root.join("failure-hints.json")
    }

    /// The default target dir of a toolchain: one per toolchain, shared by all snippets.
    pub fn target_dir(&self, toolchain: &str) -> PathBuf {
        self.root.join("target").join(sanitize(toolchain))
    }

    /// The private temporary folder of confined builds, emptied for each run
    /// (the only place besides the target dir where a build may write).
    pub fn private_tmp(&self) -> Result<PathBuf> {
        let dir = self.root.join("tmp");
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| Error::io("empty", &dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| Error::io("create", &dir, e))?;
        Ok(dir)
    }

    /// Writes the scratch workspace `name` (a folder of the sandbox) for `crates`
    /// and removes members of earlier runs that are no longer wanted. Every
    /// crate also depends on each of `path_deps` (test-only, see
    /// [`PathDependency`]; empty in every real run).
    pub fn write_workspace(
        &self,
        name: &str,
        crates: &[CrateFiles],
        path_deps: &[PathDependency],
    ) -> Result<WrittenWorkspace> {
        let dir = self.root.join(sanitize(name));
        let members_dir = dir.join(MEMBERS_DIR);
        fs::create_dir_all(&members_dir).map_err(|e| Error::io("create", &members_dir, e))?;

        let mut manifest = DocumentMut::new();
        let mut workspace = Table::new();
        workspace["resolver"] = value("3");
        // A glob, not a list: the manifest stays byte-identical when snippets
        // come and go, and cargo (which fingerprints every member against it)
        // then rebuilds only what changed.
        let mut members = Array::new();
        members.push(format!("{MEMBERS_DIR}/*"));
        workspace["members"] = value(members);
        manifest["workspace"] = Item::Table(workspace);
        // Checking needs no debug info; leaving it out keeps the target dir small
        // for the build scripts and proc macros that are compiled for real.
        let mut dev = Table::new();
        dev["debug"] = value(0);
        // Snippet crates are named after their content, so an edit makes a new
        // crate and rustc's incremental state is never reused: saving it only
        // costs time (about a tenth of a check build).
        dev["incremental"] = value(false);
        let mut profile = Table::new();
        profile.set_implicit(true);
        profile["dev"] = Item::Table(dev);
        manifest["profile"] = Item::Table(profile);
        let manifest_path = dir.join("Cargo.toml");
        write_if_changed(&manifest_path, &manifest.to_string())?;

        let mut sources = BTreeMap::new();
        for krate in crates {
            let crate_dir = members_dir.join(&krate.package);
            write_if_changed(
                &crate_dir.join("Cargo.toml"),
                &member_manifest(krate, path_deps),
            )?;
            let src = crate_dir.join(krate.kind.src_file());
            write_if_changed(&src, &krate.source)?;
            // A crate that changed kind keeps no stale source of its old kind.
            let other = match krate.kind {
                CrateKind::Lib => "src/main.rs",
                CrateKind::Bin | CrateKind::MainWrapped => "src/lib.rs",
            };
            remove_file_if_exists(&crate_dir.join(other))?;
            sources.insert(krate.package.clone(), src);
        }
        remove_stale_members(&members_dir, &sources)?;
        Ok(WrittenWorkspace {
            manifest_path,
            dir,
            sources,
        })
    }
}

fn package_table(name: &str, edition: Edition) -> Table {
    let mut package = Table::new();
    package["name"] = value(name);
    package["version"] = value("0.0.0");
    package["edition"] = value(edition.as_str());
    package["publish"] = value(false);
    package
}

/// The manifest of one member, as text: its registry dependencies, its local
/// crates by path (`DepSpec::path`), and `path_deps` (test-only) as ordinary
/// dependencies by path.
pub fn member_manifest(krate: &CrateFiles, path_deps: &[PathDependency]) -> String {
    let mut doc = DocumentMut::new();
    doc["package"] = Item::Table(package_table(&krate.package, krate.edition));
    let mut target = Table::new();
    target["path"] = value(krate.kind.src_file());
    target["test"] = value(krate.tests);
    target["doctest"] = value(false);
    target["bench"] = value(false);
    match krate.kind {
        CrateKind::Lib => doc["lib"] = Item::Table(target),
        CrateKind::Bin | CrateKind::MainWrapped => {
            target["name"] = value(krate.package.as_str());
            let mut bins = toml_edit::ArrayOfTables::new();
            bins.push(target);
            doc["bin"] = Item::ArrayOfTables(bins);
        }
    }
    for (section, dev) in [("dependencies", false), ("dev-dependencies", true)] {
        let mut table = Table::new();
        for dep in krate.deps.iter().filter(|d| d.dev == dev) {
            let mut spec = InlineTable::new();
            // A local crate is built from its folder, whatever its version.
            match &dep.path {
                Some(path) => spec.insert("path", path.to_string_lossy().as_ref().into()),
                None => spec.insert("version", dep.requirement.as_str().into()),
            };
            if !dep.features.is_empty() {
                let features: Array = dep.features.iter().map(String::as_str).collect();
                spec.insert("features", features.into());
            }
            table[dep.package.as_str()] = value(spec);
        }
        if !dev {
            for dep in path_deps {
                let mut spec = InlineTable::new();
                spec.insert("path", dep.path.to_string_lossy().as_ref().into());
                table[dep.name.as_str()] = value(spec);
            }
        }
        if !table.is_empty() {
            doc[section] = Item::Table(table);
        }
    }
    doc.to_string()
}

// Folder names come from the same rule as block ids, and files are written the
// one atomic way; both are re-exported for the stages that write the workspace.
pub use crate::fsutil::{write_atomic, write_if_changed};
pub use crate::identity::sanitize;

pub fn remove_file_if_exists(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove", path, e)),
        _ => Ok(()),
    }
}

fn remove_stale_members(members_dir: &Path, keep: &BTreeMap<String, PathBuf>) -> Result<()> {
    let entries = fs::read_dir(members_dir).map_err(|e| Error::io("read", members_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("read", members_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !keep.contains_key(&name) {
            let path = entry.path();
            fs::remove_dir_all(&path).map_err(|e| Error::io("remove", &path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn krate(kind: CrateKind, deps: Vec<DepSpec>) -> CrateFiles {
        CrateFiles {
            package: "snip-doc-1234abcd".into(),
            edition: Edition::E2021,
            kind,
            tests: false,
            source: "fn main() {}\n".into(),
            deps,
        }
    }

    #[test]
    fn member_manifests() {
        let deps = vec![
            DepSpec {
                name: "tokio".into(),
                package: "tokio".into(),
                requirement: "1.48.0".into(),
                features: BTreeSet::from(["macros".to_string(), "rt".to_string()]),
                dev: false,
                path: None,
            },
            DepSpec {
                name: "wasm_bindgen".into(),
                package: "wasm-bindgen".into(),
                requirement: "0.2.130".into(),
                features: BTreeSet::new(),
                dev: true,
                path: None,
            },
        ];
        let text = member_manifest(&krate(CrateKind::MainWrapped, deps), &[]);
        let expected = r#"[package]
name = "snip-doc-1234abcd"
version = "0.0.0"
edition = "2021"
publish = false

[[bin]]
path = "src/main.rs"
test = false
doctest = false
bench = false
name = "snip-doc-1234abcd"

[dependencies]
tokio = { version = "1.48.0", features = ["macros", "rt"] }

[dev-dependencies]
wasm-bindgen = { version = "0.2.130" }
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn a_local_crate_is_a_dependency_by_path_with_its_features() {
        let local = DepSpec {
            name: "own_crate".into(),
            package: "own-crate".into(),
            requirement: "0.3.0".into(),
            features: BTreeSet::from(["extra".to_string()]),
            dev: false,
            path: Some(PathBuf::from("/tmp/crates/own-crate")),
        };
        let text = member_manifest(&krate(CrateKind::Lib, vec![local]), &[]);
        assert!(
            text.ends_with(
                "[dependencies]\nown-crate = { path = \"/tmp/crates/own-crate\", features = [\"extra\"] }\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_injected_dependency_is_a_path_dependency_of_every_crate() {
        let injected = PathDependency {
            name: "attack".into(),
            path: PathBuf::from("/tmp/fixture/attack"),
        };
        let text = member_manifest(&krate(CrateKind::Lib, Vec::new()), &[injected]);
        assert!(
            text.ends_with("[dependencies]\nattack = { path = \"/tmp/fixture/attack\" }\n"),
            "{text}"
        );
        let plain = member_manifest(&krate(CrateKind::Lib, Vec::new()), &[]);
        assert!(!plain.contains("[dependencies]"), "{plain}");
    }

    #[test]
    fn foreign_folders_are_refused_and_ours_are_reused() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let foreign = tmp.path().join("foreign");
        fs::create_dir_all(&foreign).expect("create");
        fs::write(foreign.join("notes.txt"), "mine").expect("write");
        assert!(matches!(
            Sandbox::open(&foreign, &|_| {}),
            Err(Error::ForeignSandbox { .. })
        ));

        let ours = tmp.path().join("ours");
        fs::create_dir_all(&ours).expect("create");
        fs::write(ours.join(".gitignore"), "*").expect("write");
        let sandbox =
            Sandbox::open(&ours, &|_| {}).expect("a folder with only .gitignore is accepted");
        assert!(sandbox.root.join(MARKER).exists());
        drop(sandbox);
        Sandbox::open(&ours, &|_| {}).expect("reopening is fine");
    }

    #[test]
    fn runs_opening_a_fresh_folder_at_once_all_get_it() {
        for attempt in 0..20 {
            let tmp = tempfile::tempdir().expect("a temporary folder");
            let root = tmp.path().join("sb");
            std::thread::scope(|scope| {
                let runs: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| Sandbox::open(&root, &|_| {}).map(drop)))
                    .collect();
                for run in runs {
                    run.join()
                        .expect("no panic")
                        .unwrap_or_else(|e| panic!("attempt {attempt}: {e}"));
                }
            });
        }
    }

    #[test]
    fn a_second_run_waits_for_the_first() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let root = tmp.path().join("sb");
        let first = Sandbox::open(&root, &|_| {}).expect("open");
        let waited = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let second = scope.spawn(|| {
                Sandbox::open(&root, &|_| {
                    waited.store(true, std::sync::atomic::Ordering::SeqCst)
                })
                .map(|_| ())
            });
            std::thread::sleep(std::time::Duration::from_millis(200));
            drop(first);
            second
                .join()
                .expect("no panic")
                .expect("the second run gets the sandbox");
        });
        assert!(waited.load(std::sync::atomic::Ordering::SeqCst));
    }

    #[test]
    fn unchanged_files_are_not_rewritten_and_stale_members_go() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let sandbox = Sandbox::open(&tmp.path().join("sb"), &|_| {}).expect("open");
        let mut a = krate(CrateKind::Lib, Vec::new());
        a.package = "snip-a".into();
        let mut b = krate(CrateKind::Bin, Vec::new());
        b.package = "snip-b".into();
        let written = sandbox
            .write_workspace("ws", &[a.clone(), b], &[])
            .expect("write");
        let src = written.sources["snip-a"].clone();
        let before = fs::metadata(&src)
            .and_then(|m| m.modified())
            .expect("mtime");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let written = sandbox
            .write_workspace("ws", &[a], &[])
            .expect("write again");
        let after = fs::metadata(&src)
            .and_then(|m| m.modified())
            .expect("mtime");
        assert_eq!(before, after, "an unchanged source keeps its mtime");
        assert_eq!(written.sources.len(), 1);
        assert!(!written.dir.join("snippets/snip-b").exists());
    }
}
