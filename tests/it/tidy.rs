//! Repository rules, checked by `cargo test` (rust-analyzer's `tidy` idea).

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
    for file in sources() {
        let text = fs::read_to_string(&file).expect("a source file is UTF-8");
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
