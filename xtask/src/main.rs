//! `cargo xtask`: the project's own tasks, run from anywhere in the workspace.
//!
//! `cargo xtask verify [ARGS]` verifies the bundled `specs/` (or `--specs ...`)
//! in the repository's `sandbox/`, with the same arguments as `snipcheck`.
//! `cargo xtask bench [ARGS]` measures snipcheck against the alternatives (see
//! `bench.rs`); `bench-one` is its measuring child process.
//! `cargo xtask compare-reports BEFORE AFTER` compares two JSON reports (see
//! `compare.rs`), for refactors that must not change behaviour.
//! `cargo xtask corpus [ARGS]` rebuilds the real-document corpus, runs
//! snipcheck on it and compares with the hand-built labels (see `corpus.rs`);
//! `corpus-run` is its snipcheck child process; `cargo xtask corpus-edits`
//! follows the corpus documents' examples through their history with the
//! baseline's matching (see `edits.rs`).
//! `cargo xtask schema` rewrites the JSON report's schema and its field
//! reference from the report model (see `snipcheck::report::schema`).

mod bench;
mod compare;
mod corpus;
mod edits;

use std::path::{Path, PathBuf};

use clap::Parser;
use snipcheck::cli::{Args, Defaults, Terminal};
use snipcheck::edge;
use snipcheck::error::exit;

const USAGE: &str = "usage: cargo xtask verify [ARGS]   (see `cargo xtask verify --help`)
       cargo xtask bench [ARGS]    (see `cargo xtask bench --help`)
       cargo xtask compare-reports BEFORE AFTER [--ignore PATH]...
       cargo xtask corpus [ARGS] [-- SNIPCHECK ARGS]   (see `cargo xtask corpus --help`)
       cargo xtask corpus-edits --mirrors DIR [--revisions N] [--show]
       cargo xtask schema          (rewrite schema/report.schema.json and schema/report.md)";

fn main() {
    // `cargo xtask verify` runs snipcheck in this process, so this
    // executable is the confining parent of its builds (see confine.rs).
    let mut raw = std::env::args_os();
    if raw
        .nth(1)
        .is_some_and(|first| first == snipcheck::confine::ENTRY)
    {
        std::process::exit(snipcheck::confine::enter(raw.collect()));
    }
    let mut args = std::env::args().skip(1);
    let code = match args.next().as_deref() {
        Some("verify") => verify(args.collect()),
        Some("bench") => match bench::run(&workspace_root(), args.collect()) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::ENVIRONMENT
            }
        },
        Some("compare-reports") => match compare::run(args.collect()) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::USAGE
            }
        },
        Some("corpus") => corpus::run(&workspace_root(), args.collect()),
        Some("schema") => match write_schema(&workspace_root()) {
            Ok(()) => exit::OK,
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::ENVIRONMENT
            }
        },
        Some("corpus-run") => corpus::run_one(&workspace_root(), args.collect()),
        Some("corpus-edits") => match edits::run(&workspace_root(), args.collect()) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::ENVIRONMENT
            }
        },
        Some("bench-one") => match bench::bench_one(args.collect()) {
            Ok(()) => exit::OK,
            Err(error) => {
                eprintln!("error: {error:#}");
                exit::ENVIRONMENT
            }
        },
        Some("help" | "--help" | "-h") | None => {
            eprintln!("{USAGE}");
            if args.next().is_none() {
                exit::OK
            } else {
                exit::USAGE
            }
        }
        Some(other) => {
            eprintln!("error: unknown task `{other}`\n{USAGE}");
            exit::USAGE
        }
    };
    std::process::exit(code);
}

/// Writes the JSON report's schema and its field reference, as the report
/// model generates them, where the staleness tests expect them.
fn write_schema(root: &Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use snipcheck::report::schema;

    for (path, text) in [
        (schema::SCHEMA_PATH, schema::render_schema()),
        (schema::REFERENCE_PATH, schema::render_reference()),
    ] {
        let file = root.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create {}", parent.display()))?;
        }
        std::fs::write(&file, text)
            .with_context(|| format!("failed to write {}", file.display()))?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

fn verify(rest: Vec<String>) -> i32 {
    let argv = std::iter::once("cargo xtask verify".to_string()).chain(rest);
    let args = match Args::try_parse_from(argv) {
        Ok(args) => args,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let root = workspace_root();
    let defaults = Defaults {
        specs: relative_to_cwd(root.join("specs")),
        sandbox: root.join("sandbox"),
        config: root.join("snipcheck.toml"),
        baseline: Some(relative_to_cwd(root.join("snipcheck.baseline.toml"))),
        lockfile: Some(relative_to_cwd(root.join("snipcheck.lock"))),
        ..Defaults::default()
    };
    edge::run(&args, &defaults, Terminal::detect())
}

/// Shows `path` relative to the current folder when it lies below it, so reports
/// say `specs/guide.md` rather than a machine's absolute path.
fn relative_to_cwd(path: PathBuf) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        .unwrap_or(path)
}

/// The repository root: the folder above this crate's manifest.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
