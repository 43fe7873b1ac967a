//! Command-line arguments, and their validation into what a run does.
//!
//! This module only parses and validates: raw clap [`Args`] become a
//! [`Command`] (ripgrep's low-level and high-level arguments), and what is wrong
//! with them is an [`ArgsError`] value. Running, terminal output, reports and
//! exit codes belong to [`crate::edge`]. Shared by the `snipcheck` binary and
//! `cargo xtask verify`, which differ only in their defaults (see
//! [`Defaults`]). Terminal facts (is stderr a terminal, is this CI, is
//! `NO_COLOR` set) are read once and passed in as plain data.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Parser, ValueEnum};

use crate::partition::Partition;
use crate::pins;
use crate::pipeline::{self as verify, VerifyOptions};

/// The default limit of one cargo build, in seconds: far above what a real
/// document's examples take (the bundled and shared specs build in minutes,
/// dependencies included), low enough that a build that never ends cannot
/// hold a nightly job.
pub const DEFAULT_BUILD_TIMEOUT_SECS: u64 = 30 * 60;

/// The default deadline of a whole run: four hours, so that a run on a CI
/// job limited to six still writes its (partial) report.
pub const DEFAULT_DEADLINE_SECS: u64 = 4 * 60 * 60;

/// Verify the Rust code examples in Markdown documents with cargo and clippy.
#[derive(Debug, Clone, Parser)]
#[command(name = "snipcheck", version)]
#[command(group(clap::ArgGroup::new("repairs").multiple(true).args(["fix", "fix_imports", "fix_edition", "fix_pins"])))]
pub struct Args {
    /// Markdown files or folders (searched recursively for *.md and *.markdown,
    /// honouring .gitignore, and for the agent specs coding agents keep in
    /// hidden folders: .claude/, .cursor/rules/*.mdc, .github/...). A file named
    /// explicitly is read as Markdown whatever its extension. `FILE.md:LINE`
    /// (an existing file, a line number) means `--only FILE.md:LINE`.
    /// [default: specs]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The same as the PATH arguments.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub specs: Vec<PathBuf>,
    /// Check only the code block at FILE:LINE (any line of the block, its
    /// fences included). FILE is checked when no PATH is given.
    #[arg(long, value_name = "FILE:LINE", value_parser = parse_block_at)]
    pub only: Option<BlockAt>,
    /// Folder for the generated scratch workspace. snipcheck refuses a folder
    /// holding files it did not create. [default: `snipcheck/` in
    /// $CARGO_TARGET_DIR or in the enclosing cargo workspace's `target/`, else
    /// in the user's cache folder]
    #[arg(long, value_name = "DIR")]
    pub sandbox: Option<PathBuf>,
    /// Target dir for the scratch builds (one subfolder per toolchain)
    /// [default: SANDBOX/target]
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// Toolchains to build every snippet with, comma-separated rustup names
    /// [default: stable, plus nightly where installed].
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub toolchain: Vec<String>,
    /// Report failures without the variant builds that find their root cause.
    #[arg(long)]
    pub no_diagnose: bool,
    /// Rebuild every snippet instead of reusing the results of unchanged ones.
    #[arg(long)]
    pub no_cache: bool,
    /// Build every snippet as a crate of its own instead of merging compatible
    /// snippets into one crate as modules.
    #[arg(long)]
    pub no_merge: bool,
    /// Build snippets that read outside their crate at compile time
    /// (`include_str!`, `#[path]`, `env!` of non-cargo variables).
    #[arg(long)]
    pub allow_outside_access: bool,
    /// Apply every machine-applicable rustc and clippy suggestion to the
    /// Markdown code blocks (never to code snipcheck added, never to hidden
    /// lines), then verify again and report what remains.
    #[arg(long)]
    pub fix: bool,
    /// Add the `use` lines rustc suggests that the diagnosis proved: the
    /// candidate whose variant removed the errors of its name (missing-import).
    #[arg(long)]
    pub fix_imports: bool,
    /// Apply rustc's edition-2024 migrations (`unsafe extern`, ...) to examples
    /// whose cause is edition-drift.
    #[arg(long)]
    pub fix_edition: bool,
    /// Rewrite the document's ```toml pins to the releases dependency-drift
    /// examples are proven to build with; list the examples that need nightly.
    #[arg(long)]
    pub fix_pins: bool,
    /// Report examples rustfmt would change as `warn`, with the diff; with
    /// --fix, format them in place (only the visible code).
    #[arg(long)]
    pub fmt: bool,
    /// With --fix or --fix-*: print the changes as a unified diff instead of writing them.
    #[arg(long, requires = "repairs")]
    pub dry_run: bool,
    /// Stop any one cargo build after this long (`90s`, `5m`, `1h`; a bare
    /// number is seconds; 0: no limit); its unfinished snippets are reported
    /// as `timeout` and the others are kept. Bounded by default, so a
    /// never-ending const evaluation cannot hold a run.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// End the whole run after this long (`45m`, `4h`, a bare number is
    /// seconds; 0: no deadline), registry lookups and resolutions included:
    /// running processes are stopped and the report covers what was checked
    /// (`"incomplete": true`).
    #[arg(long, value_name = "DURATION", default_value = "4h", value_parser = parse_duration)]
    pub deadline: std::time::Duration,
    /// Cap the memory of every compiler process at this many MiB (0: no cap);
    /// a compiler stopped by the cap is reported as `resource-limit`.
    #[arg(long, value_name = "MIB", default_value_t = crate::confine::DEFAULT_MEMORY_LIMIT_MIB)]
    pub memory_limit: u64,
    /// Build without the operating system's confinement: the examples'
    /// dependencies (build scripts, proc macros) run with your rights. Only
    /// for documents you trust, on a machine that cannot confine (see SECURITY.md).
    #[arg(long)]
    pub unconfined: bool,
    /// Print what a cause of the taxonomy means and how it is proven, then exit.
    #[arg(long, value_name = "CAUSE")]
    pub explain: Option<String>,
    /// List the documents --specs finds, each with its kind (an agent spec's
    /// tool and kind, `readme` or `document`), then exit without checking them.
    #[arg(long, conflicts_with_all = ["merge_reports", "explain"])]
    pub list_files: bool,
    /// Report format, repeatable, each with its own file: `human` (stderr),
    /// `json`, `markdown`, `junit`, `sarif`, `github` (stdout unless `=FILE` is
    /// given; at most one on stdout). `github` is added when GITHUB_ACTIONS=true.
    /// [default: human]
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = parse_format_target)]
    pub formats: Vec<FormatTarget>,
    /// Write the (single) format to this file; the same as `--format FORMAT=FILE`.
    /// Without --format, the format follows the extension: `.json`, `.md`,
    /// `.sarif`, `.xml` (JUnit), `.txt` (human).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The baseline of known results (`cargo xtask verify` uses the repository's
    /// `snipcheck.baseline.toml` when it exists).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the results of this run as the new baseline (keeping its notes),
    /// and the versions it resolved as the lockfile.
    #[arg(long)]
    pub bless: bool,
    /// The lockfile of the scratch crates: runs build with the versions it
    /// records (`cargo xtask verify` uses the repository's `snipcheck.lock`).
    #[arg(long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// Build with the newest release of every crate, not the lockfile's
    /// versions, and report which versions moved since the lockfile.
    #[arg(long)]
    pub latest: bool,
    /// What makes the exit code 1: `regressed` (passed in the baseline, fails now;
    /// the default with a baseline), `new` (also new failing examples), `any`
    /// failure (the default without one), or `never`.
    #[arg(long, value_enum, value_name = "WHEN")]
    pub fail_on: Option<FailOn>,
    /// When to colour human output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Build only from dependencies cargo has already downloaded.
    #[arg(long)]
    pub offline: bool,
    /// Never draw a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print only errors and the totals line on stderr: no progress bar, no
    /// notes, no diagnostics (the formats written to files or stdout are whole).
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also list every example's verdict on stderr, and where the scratch
    /// workspace is.
    #[arg(long, short)]
    pub verbose: bool,
    /// Configuration: pins per crate, file or snippet, known-crate rules, and the dependency policy (`[policy]`)
    /// [default: snipcheck.toml, when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra known-crate rules (TOML, same shape as the built-in table).
    #[arg(long, value_name = "FILE")]
    pub known_crates: Option<PathBuf>,
    /// A crate folder or workspace (holding a Cargo.toml) whose library crates
    /// examples build against by path, from its working tree, in every
    /// document; repeatable. The workspace a document lies in is found
    /// without it.
    #[arg(long = "crate", value_name = "PATH")]
    pub crates: Vec<PathBuf>,
    /// Check only shard K of N (1-based): a block's shard follows from its
    /// document, heading path and content, never its line. Merge the shards'
    /// JSON reports with --merge-reports.
    #[arg(long, value_name = "hash:K/N", value_parser = parse_partition, conflicts_with_all = ["repairs", "bless"])]
    pub partition: Option<Partition>,
    /// Merge the JSON reports of every shard of a partitioned run instead of
    /// checking documents, and report the whole run in every --format (the
    /// baseline the shards used, or --baseline, is compared again).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["paths", "specs", "only", "partition", "repairs", "fmt", "toolchain", "latest", "lockfile"])]
    pub merge_reports: Vec<PathBuf>,
}

impl Args {
    /// The documents named on the command line: the PATH arguments, then
    /// `--specs`; with neither, the file of `--only`.
    pub fn documents(&self) -> Vec<PathBuf> {
        let named: Vec<PathBuf> = self.paths.iter().chain(&self.specs).cloned().collect();
        match &self.only {
            Some(only) if named.is_empty() => vec![only.file.clone()],
            _ => named,
        }
    }
}

/// A line of a document: `--only FILE:LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAt {
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
}

fn parse_block_at(text: &str) -> Result<BlockAt, String> {
    let wrong = || format!("`{text}` is not FILE:LINE (a document and a line number from 1)");
    let (file, line) = text.rsplit_once(':').ok_or_else(wrong)?;
    let line: u32 = line.parse().map_err(|_| wrong())?;
    if file.is_empty() || line == 0 {
        return Err(wrong());
    }
    Ok(BlockAt {
        file: PathBuf::from(file),
        line,
    })
}

/// A duration: `90s`, `5m`, `1h30m` (humantime's units), or a bare number of seconds.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is no duration ({e}); write e.g. `90s`, `5m` or `1h`"))
}

fn parse_partition(text: &str) -> Result<Partition, String> {
    text.parse()
        .map_err(|e: crate::partition::PartitionError| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Markdown,
    Junit,
    Sarif,
    Github,
}

/// One `--format FORMAT[=FILE]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatTarget {
    pub format: Format,
    pub file: Option<PathBuf>,
}

fn parse_format_target(text: &str) -> Result<FormatTarget, String> {
    let (name, file) = match text.split_once('=') {
        Some((name, file)) if !file.is_empty() => (name, Some(PathBuf::from(file))),
        Some(_) => return Err(format!("`{text}` names no file after `=`")),
        None => (text, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        format!("invalid value '{name}': one of human, json, markdown, junit, sarif, github")
    })?;
    Ok(FormatTarget { format, file })
}

/// What makes the run fail: report data, so that every view marks what it counts.
pub use crate::report::FailOn;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Defaults that depend on who runs snipcheck.
#[derive(Debug, Clone)]
pub struct Defaults {
    pub specs: PathBuf,
    pub sandbox: PathBuf,
    /// Read when it exists and `--config` is not given.
    pub config: PathBuf,
    /// Compared with when it exists and `--baseline` is not given; `--bless` writes it.
    pub baseline: Option<PathBuf>,
    /// The lockfile when `--lockfile` is not given; `--bless` writes it.
    pub lockfile: Option<PathBuf>,
    /// The program started as the confining parent of every build: this
    /// executable (see `confine.rs`).
    pub confine_helper: PathBuf,
    /// Test-only: the value of [`TEST_DEPENDENCY_ENV`], `NAME=ABSOLUTE_PATH`.
    pub test_dependency: Option<std::ffi::OsString>,
}

/// The environment variable that makes every scratch crate depend on a local
/// crate, `NAME=ABSOLUTE_PATH`, which builds may then read. Test-only: the
/// attack suite (`tests/it/attack.rs`) injects a build script it wrote this
/// way, to prove what confinement stops. Only the environment of the
/// `snipcheck` process sets it; no document, fence token or `snipcheck.toml`
/// can.
pub const TEST_DEPENDENCY_ENV: &str = "SNIPCHECK_TEST_INJECT_DEPENDENCY";

impl Default for Defaults {
    fn default() -> Defaults {
        Defaults {
            specs: PathBuf::from("specs"),
            sandbox: default_sandbox(),
            config: PathBuf::from("snipcheck.toml"),
            baseline: None,
            lockfile: None,
            confine_helper: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("snipcheck")),
            test_dependency: std::env::var_os(TEST_DEPENDENCY_ENV),
        }
    }
}

/// The scratch workspace when `--sandbox` is not given, so that a run never
/// litters the user's checkout: `snipcheck/` in `$CARGO_TARGET_DIR`, else in
/// the `target/` of the cargo workspace around the current folder, else in
/// the user's cache folder (`~/.cache/snipcheck/<hash of the current
/// folder>` on Linux), else in the temporary folder. Reads the environment
/// and looks for `Cargo.toml` files upward.
pub fn default_sandbox() -> PathBuf {
    let cwd = std::env::current_dir().ok();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from);
    let workspace = cwd.as_deref().and_then(cargo_workspace_root);
    let per_folder = || {
        let key = cwd
            .as_deref()
            .map(|dir| dir.to_string_lossy().into_owned())
            .unwrap_or_default();
        crate::hash::short_hash([key.as_bytes()], 6)
    };
    match (target_dir, workspace) {
        (Some(dir), _) => std::path::absolute(&dir).unwrap_or(dir).join("snipcheck"),
        (None, Some(root)) => root.join("target").join("snipcheck"),
        (None, None) => dirs::cache_dir()
            .map(|cache| cache.join("snipcheck").join(per_folder()))
            .unwrap_or_else(|| std::env::temp_dir().join(format!("snipcheck-{}", per_folder()))),
    }
}

/// The root of the cargo workspace `dir` lies in: the outermost folder above
/// it (itself included) whose `Cargo.toml` has a `[workspace]` table, else
/// the nearest folder with a `Cargo.toml`. `None` outside any cargo project.
pub fn cargo_workspace_root(dir: &Path) -> Option<PathBuf> {
    let manifests: Vec<(&Path, String)> = dir
        .ancestors()
        .filter_map(|folder| {
            let text = std::fs::read_to_string(folder.join("Cargo.toml")).ok()?;
            Some((folder, text))
        })
        .collect();
    let is_workspace = |text: &str| text.lines().any(|line| line.trim() == "[workspace]");
    manifests
        .iter()
        .rev()
        .find(|(_, text)| is_workspace(text))
        .or(manifests.first())
        .map(|(folder, _)| folder.to_path_buf())
}

/// What the environment says about the terminal, read once at the edge.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stderr_is_terminal: bool,
    pub is_ci: bool,
    pub no_color: bool,
    /// GITHUB_ACTIONS=true: workflow commands are understood.
    pub github_actions: bool,
}

impl Terminal {
    pub fn detect() -> Terminal {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Terminal {
            stderr_is_terminal: std::io::stderr().is_terminal(),
            is_ci: set("CI"),
            no_color: set("NO_COLOR") || std::env::var("TERM").is_ok_and(|t| t == "dumb"),
            github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        }
    }
}

/// Whether to draw a progress bar: only on a terminal, never in CI.
pub fn show_progress(terminal: Terminal, disabled: bool) -> bool {
    !disabled && terminal.stderr_is_terminal && !terminal.is_ci
}

/// Whether to colour human output.
pub fn use_color(terminal: Terminal, choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal.stderr_is_terminal && !terminal.no_color,
    }
}

/// What a valid command line asks for.
#[derive(Debug)]
pub enum Command {
    /// `--explain CAUSE`: say what a cause of the taxonomy means. The name is
    /// checked when it is explained.
    Explain(String),
    /// Check documents, or merge shard reports, and report the run.
    Run(RunConfig),
    /// `--list-files`: list the documents these paths hold, with their kinds.
    ListFiles(Vec<PathBuf>),
}

/// Where a run's report comes from.
#[derive(Debug)]
pub enum Work {
    /// Check the documents with these options.
    Check(Box<VerifyOptions>),
    /// Merge the JSON reports of a partitioned run's shards (`--merge-reports`).
    Merge(Vec<PathBuf>),
}

/// What becomes of the edits that `--fix`, `--fix-*` and `--fmt --fix` find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edits {
    /// No repair was asked for.
    None,
    /// The documents are rewritten, then checked again.
    Write,
    /// The changes are printed as a unified diff (`--dry-run`).
    Print,
}

/// The baseline a run compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineFile {
    /// Named by `--baseline`: it must exist unless `--bless` writes it.
    Given(PathBuf),
    /// A default (the repository's, or the one merged shards were compared
    /// with): compared with when it exists.
    Default(PathBuf),
}

impl BaselineFile {
    pub fn path(&self) -> &Path {
        match self {
            BaselineFile::Given(path) | BaselineFile::Default(path) => path,
        }
    }
}

/// A validated command line: everything the edge needs to run and report.
#[derive(Debug)]
pub struct RunConfig {
    pub work: Work,
    pub edits: Edits,
    /// Where each requested format goes.
    pub targets: Vec<FormatTarget>,
    /// The baseline. Merged shards without `--baseline` use the one the shards
    /// were compared with, which only their reports tell.
    pub baseline: Option<BaselineFile>,
    /// The lockfile the run reads and `--bless` writes.
    pub lockfile: Option<PathBuf>,
    /// Write the results as the new baseline, and the resolved versions as the lockfile.
    pub bless: bool,
    pub partition: Option<Partition>,
    /// `--fail-on`; without it, the edge decides from whether a baseline was read.
    pub fail_on: Option<FailOn>,
    /// Colour the human output on stderr.
    pub color: bool,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// How much goes to stderr (`-q`, `-v`).
    pub verbosity: Verbosity,
    /// `--only FILE:LINE`: a run that checks no block there is a usage error.
    pub only: Option<BlockAt>,
    /// Notes for the person running snipcheck, found while validating.
    pub notes: Vec<String>,
}

/// How much a run says on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: errors and the totals line only.
    Quiet,
    Normal,
    /// `-v`: also every example's verdict, and where the scratch workspace is.
    Verbose,
}

/// Why a command line cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ArgsError {
    /// The arguments, or a file they name, are wrong.
    #[error("{0}")]
    Usage(String),
    /// The machine lacks what the arguments ask for (a toolchain, its
    /// clippy): the message, then a `help:` line with the command that fixes it.
    #[error("{0}")]
    Environment(String),
    /// A relative path cannot be made absolute: the current folder is unreadable.
    #[error("failed to make `{path}` absolute")]
    Absolute {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Validates the arguments into what the run does. Reads the configuration
/// and known-crates files the arguments name, and asks rustup whether nightly
/// is installed when no `--toolchain` is given.
pub fn validate(
    args: &Args,
    defaults: &Defaults,
    terminal: Terminal,
) -> Result<Command, ArgsError> {
    if let Some(name) = &args.explain {
        return Ok(Command::Explain(name.clone()));
    }
    let resolved;
    let args = match positional_only(args)? {
        Some(changed) => {
            resolved = changed;
            &resolved
        }
        None => args,
    };
    if args.list_files {
        return Ok(Command::ListFiles(specs(args, defaults)));
    }
    let mut notes = Vec::new();
    let config = read_config(args, defaults)?;
    let mut known_crates: Vec<String> = config
        .as_ref()
        .and_then(pins::Config::known_crates_toml)
        .into_iter()
        .collect();
    known_crates.extend(read_known_crates(args)?);
    let toolchains = toolchains(args, &mut notes)?;
    let options = verify_options(args, defaults, config, known_crates, toolchains)?;
    let targets = output_targets(args, terminal).map_err(ArgsError::Usage)?;
    check_lockfile_exists(args)?;
    let edits = if !(args.fix || options.repair.edits_documents()) {
        Edits::None
    } else if args.dry_run {
        Edits::Print
    } else {
        Edits::Write
    };
    let work = if args.merge_reports.is_empty() {
        Work::Check(Box::new(options))
    } else {
        Work::Merge(args.merge_reports.clone())
    };
    Ok(Command::Run(RunConfig {
        baseline: baseline_file(args, defaults),
        lockfile: lockfile_path(args, defaults),
        work,
        edits,
        targets,
        bless: args.bless,
        partition: args.partition,
        fail_on: args.fail_on,
        color: use_color(terminal, args.color),
        progress: show_progress(terminal, args.no_progress || args.quiet),
        verbosity: if args.quiet {
            Verbosity::Quiet
        } else if args.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        },
        only: args.only.clone(),
        notes,
    }))
}

/// The arguments with a positional `PATH:LINE` read as `--only PATH:LINE`
/// (and `PATH` kept as the document to read), or `None` when there is none.
/// It must be one: `LINE` all digits, `PATH` an existing file, and
/// `PATH:LINE` itself no existing file (a file may have a colon in its name).
fn positional_only(args: &Args) -> Result<Option<Args>, ArgsError> {
    let mut changed = args.clone();
    let mut found: Vec<BlockAt> = Vec::new();
    for path in &mut changed.paths {
        let Some(text) = path.to_str() else { continue };
        let Some((file, line)) = text.rsplit_once(':') else {
            continue;
        };
        if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) || path.exists() {
            continue;
        }
        let file = PathBuf::from(file);
        if !file.is_file() {
            continue;
        }
        let at = parse_block_at(text).map_err(ArgsError::Usage)?;
        *path = file;
        found.push(at);
    }
    match (found.len(), &args.only) {
        (0, _) => Ok(None),
        (1, None) => {
            changed.only = found.pop();
            Ok(Some(changed))
        }
        _ => Err(ArgsError::Usage(
            "only one block can be checked alone: give one FILE:LINE (or --only FILE:LINE)"
                .to_string(),
        )),
    }
}

/// The paths to check: `--specs`, or the default folder.
fn specs(args: &Args, defaults: &Defaults) -> Vec<PathBuf> {
    match args.documents() {
        documents if documents.is_empty() => vec![defaults.specs.clone()],
        documents => documents,
    }
}

/// The configuration: `--config`, or the default file when it exists.
fn read_config(args: &Args, defaults: &Defaults) -> Result<Option<pins::Config>, ArgsError> {
    let path = match &args.config {
        Some(path) => path.clone(),
        None if defaults.config.is_file() => defaults.config.clone(),
        None => return Ok(None),
    };
    std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|text| pins::parse_config(&text).map_err(|e| e.to_string()))
        .map(Some)
        .map_err(|error| {
            ArgsError::Usage(format!(
                "failed to read configuration `{}`: {error}",
                path.display()
            ))
        })
}

/// The text of `--known-crates`, when it is given.
fn read_known_crates(args: &Args) -> Result<Option<String>, ArgsError> {
    let Some(path) = &args.known_crates else {
        return Ok(None);
    };
    std::fs::read_to_string(path).map(Some).map_err(|error| {
        ArgsError::Usage(format!(
            "failed to read known-crates file `{}`: {error}",
            path.display()
        ))
    })
}

/// The toolchains to check on: none when merging, the named ones, or the default matrix.
fn toolchains(args: &Args, notes: &mut Vec<String>) -> Result<Vec<String>, ArgsError> {
    if !args.merge_reports.is_empty() {
        return Ok(Vec::new());
    }
    if args.toolchain.is_empty() {
        return Ok(default_toolchains(notes));
    }
    let named: Vec<String> = args
        .toolchain
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if named.is_empty() {
        return Err(ArgsError::Usage(
            "--toolchain needs at least one toolchain name".to_string(),
        ));
    }
    // A toolchain asked for by name must exist and have clippy: a typo would
    // otherwise skip every example and pass, and a missing clippy would
    // quietly drop the lints that were asked for. Both are the machine's to
    // fix, so the error says the command that fixes it.
    if let Some(missing) = named.iter().find(|name| !crate::executor::installed(name)) {
        return Err(ArgsError::Environment(format!(
            "toolchain `{missing}` is not installed\nhelp: rustup toolchain install {missing}"
        )));
    }
    if let Some(bare) = named.iter().find(|name| !crate::executor::has_clippy(name)) {
        return Err(ArgsError::Environment(format!(
            "clippy is not installed for toolchain `{bare}`\nhelp: rustup component add clippy --toolchain {bare}"
        )));
    }
    Ok(named)
}

/// stable, plus nightly when rustup has it (asking rustup costs one `rustc -V`,
/// which the run makes anyway).
fn default_toolchains(notes: &mut Vec<String>) -> Vec<String> {
    let mut toolchains = vec!["stable".to_string()];
    if crate::executor::installed("nightly") {
        toolchains.push("nightly".to_string());
    } else {
        notes.push("the nightly toolchain is not installed; checking on stable only".to_string());
    }
    toolchains
}

/// The pipeline's options.
fn verify_options(
    args: &Args,
    defaults: &Defaults,
    config: Option<pins::Config>,
    known_crates: Vec<String>,
    toolchains: Vec<String>,
) -> Result<VerifyOptions, ArgsError> {
    let repair = verify::Repair {
        imports: args.fix_imports,
        edition: args.fix_edition,
        pins: args.fix_pins,
        fmt: args.fmt,
        fmt_write: args.fmt && args.fix,
    };
    // Fixes need every snippet's suggestions in its own coordinates: no cached
    // results (they keep no suggestions or diagnosis), no merged crates.
    let repairs = args.fix || repair.edits_documents();
    // cargo runs inside the sandbox, so a relative target dir must be made
    // absolute against the folder the user typed it in.
    let target_dir = match &args.target_dir {
        Some(dir) => Some(
            std::path::absolute(dir).map_err(|source| ArgsError::Absolute {
                path: dir.clone(),
                source,
            })?,
        ),
        None => None,
    };
    let lockfile = lockfile_path(args, defaults);
    let test_dependency = test_dependency(defaults.test_dependency.as_deref())?;
    let crates = local_crates(&args.crates)?;
    Ok(VerifyOptions {
        specs: specs(args, defaults),
        only: args.only.as_ref().map(|only| crate::pipeline::Only {
            file: only.file.clone(),
            line: only.line,
        }),
        sandbox: args
            .sandbox
            .clone()
            .unwrap_or_else(|| defaults.sandbox.clone()),
        target_dir,
        toolchains,
        offline: args.offline,
        known_crates,
        diagnose: !args.no_diagnose,
        // A result built beside the test-only dependency is neither kept nor reused.
        cache: !args.no_cache && !repairs && test_dependency.is_none(),
        merge: !args.no_merge && !repairs,
        allow_outside_access: args.allow_outside_access,
        build_timeout: (!args.timeout.is_zero()).then_some(args.timeout),
        deadline: (!args.deadline.is_zero()).then_some(args.deadline),
        fix: args.fix,
        repair,
        config,
        write_lockfile: args.bless && lockfile.is_some(),
        lockfile,
        latest: args.latest,
        partition: args.partition,
        confinement: if args.unconfined {
            crate::confine::Request::Unconfined
        } else {
            crate::confine::Request::Confine {
                helper: defaults.confine_helper.clone(),
                memory_limit_mib: (args.memory_limit > 0).then_some(args.memory_limit),
            }
        },
        test_dependency,
        crates,
    })
}

/// The `--crate` folders, absolute; each must hold a `Cargo.toml`.
fn local_crates(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ArgsError> {
    paths
        .iter()
        .map(|path| {
            // `--crate path/Cargo.toml` names the folder it is in.
            let folder = match path.file_name() {
                Some(name) if name == "Cargo.toml" => path.parent().unwrap_or(path),
                _ => path.as_path(),
            };
            let folder = if folder.as_os_str().is_empty() {
                Path::new(".")
            } else {
                folder
            };
            let absolute = std::path::absolute(folder).map_err(|source| ArgsError::Absolute {
                path: path.clone(),
                source,
            })?;
            if !absolute.join("Cargo.toml").is_file() {
                return Err(ArgsError::Usage(format!(
                    "--crate {}: no Cargo.toml in that folder",
                    path.display()
                )));
            }
            Ok(absolute)
        })
        .collect()
}

/// The test-only injected dependency: `NAME=ABSOLUTE_PATH`, a crate name and
/// the absolute folder of its `Cargo.toml` (see [`TEST_DEPENDENCY_ENV`]).
fn test_dependency(
    value: Option<&std::ffi::OsStr>,
) -> Result<Option<crate::sandbox::PathDependency>, ArgsError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let wrong = |why: &str| {
        ArgsError::Usage(format!(
            "{TEST_DEPENDENCY_ENV} (test-only) must be NAME=ABSOLUTE_PATH: {why}"
        ))
    };
    let text = value.to_str().ok_or_else(|| wrong("not UTF-8"))?;
    let (name, path) = text.split_once('=').ok_or_else(|| wrong("no `=`"))?;
    let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_name {
        return Err(wrong(&format!("`{name}` is no crate name")));
    }
    let path = PathBuf::from(path);
    if !path.is_absolute() || !path.join("Cargo.toml").is_file() {
        return Err(wrong(&format!(
            "`{}` is no absolute folder holding a Cargo.toml",
            path.display()
        )));
    }
    Ok(Some(crate::sandbox::PathDependency {
        name: name.to_string(),
        path,
    }))
}

/// A named lockfile must exist unless the run writes it (`--bless`) or
/// ignores its versions (`--latest`).
fn check_lockfile_exists(args: &Args) -> Result<(), ArgsError> {
    match &args.lockfile {
        Some(path) if !path.is_file() && !args.bless && !args.latest => {
            Err(ArgsError::Usage(format!(
                "no lockfile at `{}` (write one with --bless)",
                path.display()
            )))
        }
        _ => Ok(()),
    }
}

/// `--baseline`, or the default one, which describes the default specs only.
fn baseline_file(args: &Args, defaults: &Defaults) -> Option<BaselineFile> {
    match &args.baseline {
        Some(path) => Some(BaselineFile::Given(path.clone())),
        None if args.documents().is_empty() && args.merge_reports.is_empty() => {
            defaults.baseline.clone().map(BaselineFile::Default)
        }
        None => None,
    }
}

/// `--lockfile`, or the default one, which like the default baseline belongs
/// to the default specs.
fn lockfile_path(args: &Args, defaults: &Defaults) -> Option<PathBuf> {
    args.lockfile.clone().or(if args.documents().is_empty() {
        defaults.lockfile.clone()
    } else {
        None
    })
}

/// Where each requested format goes. Errors are usage errors.
fn output_targets(args: &Args, terminal: Terminal) -> Result<Vec<FormatTarget>, String> {
    let mut targets = args.formats.clone();
    if targets.is_empty() {
        let format = match &args.output {
            Some(path) => format_of(path)?,
            None => Format::Human,
        };
        targets.push(FormatTarget { format, file: None });
    }
    if let Some(path) = &args.output {
        let [only] = targets.as_mut_slice() else {
            return Err(
                "--output goes with a single --format; use --format FORMAT=FILE for several"
                    .to_string(),
            );
        };
        if only.file.is_some() {
            return Err("--output and --format FORMAT=FILE both name a file".to_string());
        }
        only.file = Some(path.clone());
    }
    let to_stdout = |t: &FormatTarget| t.file.is_none() && t.format != Format::Human;
    if terminal.github_actions && !targets.iter().any(|t| t.format == Format::Github) {
        // Workflow commands work on stdout; when another format has it, they go
        // to a file the job can print.
        if !targets.iter().any(to_stdout) {
            targets.push(FormatTarget {
                format: Format::Github,
                file: None,
            });
        }
    }
    if targets.iter().filter(|t| to_stdout(t)).count() > 1 {
        return Err(
            "only one format can go to stdout; give the others a file (--format FORMAT=FILE)"
                .to_string(),
        );
    }
    Ok(targets)
}

/// The format `-o FILE` writes without `--format`: the one its extension names.
fn format_of(path: &Path) -> Result<Format, String> {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let sarif_json = path.file_name().is_some_and(|name| {
        name.to_string_lossy()
            .to_ascii_lowercase()
            .ends_with(".sarif.json")
    });
    match extension.as_deref() {
        Some("json") if sarif_json => Ok(Format::Sarif),
        Some("json") => Ok(Format::Json),
        Some("md" | "markdown") => Ok(Format::Markdown),
        Some("sarif") => Ok(Format::Sarif),
        Some("xml") => Ok(Format::Junit),
        Some("txt" | "log") => Ok(Format::Human),
        _ => Err(format!(
            "cannot tell the format of `{}` from its extension (.json, .md, .sarif, .xml, .txt); \
             give --format FORMAT",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_decisions() {
        let tty = Terminal {
            stderr_is_terminal: true,
            is_ci: false,
            no_color: false,
            github_actions: false,
        };
        assert!(show_progress(tty, false));
        assert!(!show_progress(tty, true));
        assert!(!show_progress(Terminal { is_ci: true, ..tty }, false));
        assert!(!show_progress(
            Terminal {
                stderr_is_terminal: false,
                ..tty
            },
            false
        ));
        assert!(use_color(tty, ColorChoice::Auto));
        assert!(!use_color(
            Terminal {
                no_color: true,
                ..tty
            },
            ColorChoice::Auto
        ));
        assert!(use_color(
            Terminal {
                no_color: true,
                ..tty
            },
            ColorChoice::Always
        ));
        assert!(!use_color(tty, ColorChoice::Never));
    }

    #[test]
    fn arguments_parse() {
        let args = Args::try_parse_from([
            "snipcheck",
            "--specs",
            "a.md",
            "docs",
            "--toolchain",
            "stable,nightly",
            "--format",
            "json",
        ])
        .expect("valid arguments");
        assert_eq!(args.specs, [PathBuf::from("a.md"), PathBuf::from("docs")]);
        assert_eq!(args.documents(), args.specs);
        // Documents are positional too, before --specs'.
        let positional =
            Args::try_parse_from(["snipcheck", "docs/", "README.md", "--specs", "x.md"])
                .expect("valid arguments");
        assert_eq!(
            positional.documents(),
            [
                PathBuf::from("docs/"),
                PathBuf::from("README.md"),
                PathBuf::from("x.md")
            ]
        );
        assert_eq!(args.toolchain, ["stable", "nightly"]);
        assert_eq!(
            args.formats,
            [FormatTarget {
                format: Format::Json,
                file: None
            }]
        );
        assert!(Args::try_parse_from(["snipcheck", "--format", "yaml"]).is_err());
    }

    #[test]
    fn partition_and_merge_arguments() {
        let parse = |argv: &[&str]| {
            Args::try_parse_from(std::iter::once("snipcheck").chain(argv.iter().copied()))
        };
        let args = parse(&["--partition", "hash:2/3"]).expect("valid");
        assert_eq!(
            args.partition.map(|p| p.to_string()).as_deref(),
            Some("hash:2/3")
        );
        let error = parse(&["--partition", "hash:4/3"]).expect_err("out of range");
        assert_eq!(error.exit_code(), crate::error::exit::USAGE);
        assert!(error.to_string().contains("between 1 and 3"), "{error}");
        assert!(parse(&["--partition", "hash:1/2", "--fix"]).is_err());
        assert!(parse(&["--partition", "hash:1/2", "--bless"]).is_err());
        let args =
            parse(&["--merge-reports", "a.json", "b.json", "--format", "json"]).expect("valid");
        assert_eq!(
            args.merge_reports,
            [PathBuf::from("a.json"), PathBuf::from("b.json")]
        );
        assert!(parse(&["--merge-reports", "a.json", "--specs", "docs"]).is_err());
        assert!(parse(&["--merge-reports", "a.json", "--partition", "hash:1/2"]).is_err());
    }

    /// Validates `argv` with defaults that name no file that exists.
    fn validated(argv: &[&str]) -> Result<Command, ArgsError> {
        let args = Args::try_parse_from(std::iter::once("snipcheck").chain(argv.iter().copied()))
            .expect("parses");
        let defaults = Defaults {
            config: PathBuf::from("no/such/snipcheck.toml"),
            baseline: Some(PathBuf::from("no/such/baseline.toml")),
            ..Defaults::default()
        };
        let pipe = Terminal {
            stderr_is_terminal: false,
            is_ci: true,
            no_color: false,
            github_actions: false,
        };
        validate(&args, &defaults, pipe)
    }

    fn run_config(argv: &[&str]) -> RunConfig {
        match validated(argv) {
            Ok(Command::Run(config)) => config,
            other => panic!("{argv:?} is no run: {other:?}"),
        }
    }

    fn usage_error(argv: &[&str]) -> String {
        match validated(argv) {
            Err(ArgsError::Usage(message)) => message,
            other => panic!("{argv:?} is no usage error: {other:?}"),
        }
    }

    #[test]
    fn validation() {
        assert!(matches!(
            validated(&["--explain", "anything"]),
            Ok(Command::Explain(name)) if name == "anything"
        ));
        let plain = run_config(&["--toolchain", " stable ,"]);
        assert_eq!(plain.edits, Edits::None);
        assert!(!plain.progress && !plain.color);
        assert_eq!(
            plain.baseline,
            Some(BaselineFile::Default(PathBuf::from(
                "no/such/baseline.toml"
            )))
        );
        let Work::Check(options) = &plain.work else {
            panic!("a check: {plain:?}");
        };
        assert_eq!(options.toolchains, ["stable"]);
        assert!(options.cache && options.merge);
        // Every build is bounded unless asked not to be.
        let limit = std::time::Duration::from_secs(DEFAULT_BUILD_TIMEOUT_SECS);
        assert_eq!(options.build_timeout, Some(limit));
        let deadline = std::time::Duration::from_secs(DEFAULT_DEADLINE_SECS);
        assert_eq!(options.deadline, Some(deadline));
        assert!(matches!(
            options.confinement,
            crate::confine::Request::Confine {
                memory_limit_mib: Some(crate::confine::DEFAULT_MEMORY_LIMIT_MIB),
                ..
            }
        ));
        let unbounded = run_config(&["--toolchain", "stable", "--timeout", "0"]);
        let Work::Check(unbounded) = &unbounded.work else {
            panic!("a check: {unbounded:?}");
        };
        assert_eq!(unbounded.build_timeout, None);
        // Fixes need every snippet built on its own, with no cached result.
        let fix = run_config(&["--toolchain", "stable", "--fix", "--specs", "a.md"]);
        assert_eq!(fix.edits, Edits::Write);
        assert_eq!(
            fix.baseline, None,
            "the default baseline is the default specs'"
        );
        let Work::Check(options) = &fix.work else {
            panic!("a check: {fix:?}");
        };
        assert!(!options.cache && !options.merge);
        let dry = run_config(&["--toolchain", "stable", "--fix-imports", "--dry-run"]);
        assert_eq!(dry.edits, Edits::Print);
        let merge = run_config(&["--merge-reports", "a.json", "--baseline", "b.toml"]);
        assert!(matches!(&merge.work, Work::Merge(paths) if paths == &[PathBuf::from("a.json")]));
        assert_eq!(
            merge.baseline,
            Some(BaselineFile::Given(PathBuf::from("b.toml")))
        );
    }

    #[test]
    fn usage_errors_are_values() {
        let message = usage_error(&["--toolchain", " , "]);
        assert_eq!(message, "--toolchain needs at least one toolchain name");
        let message = usage_error(&["--toolchain", "stable", "--config", "no/such.toml"]);
        assert!(
            message.starts_with("failed to read configuration `no/such.toml`"),
            "{message}"
        );
        let message = usage_error(&["--toolchain", "stable", "--known-crates", "no/such.toml"]);
        assert!(
            message.starts_with("failed to read known-crates file"),
            "{message}"
        );
        let message = usage_error(&["--toolchain", "stable", "--lockfile", "no/such.lock"]);
        assert_eq!(
            message,
            "no lockfile at `no/such.lock` (write one with --bless)"
        );
        assert!(matches!(
            validated(&[
                "--toolchain",
                "stable",
                "--lockfile",
                "no/such.lock",
                "--latest"
            ]),
            Ok(Command::Run(_))
        ));
        let message = usage_error(&["--toolchain", "stable", "-o", "x", "--format", "json=y"]);
        assert!(message.contains("both name a file"), "{message}");
    }

    #[test]
    fn output_targets() {
        let tty = Terminal {
            stderr_is_terminal: true,
            is_ci: false,
            no_color: false,
            github_actions: false,
        };
        let targets = |argv: &[&str], terminal: Terminal| {
            let args =
                Args::try_parse_from(std::iter::once("snipcheck").chain(argv.iter().copied()))
                    .expect("parses");
            super::output_targets(&args, terminal).map(|t| {
                t.iter()
                    .map(|t| format!("{:?}={:?}", t.format, t.file))
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(targets(&[], tty), Ok(vec!["Human=None".to_string()]));
        assert_eq!(
            targets(
                &[
                    "--format",
                    "junit=out/j.xml",
                    "--format",
                    "markdown=summary.md",
                    "--format",
                    "json"
                ],
                tty
            ),
            Ok(vec![
                "Junit=Some(\"out/j.xml\")".to_string(),
                "Markdown=Some(\"summary.md\")".to_string(),
                "Json=None".to_string()
            ])
        );
        assert_eq!(
            targets(&["--format", "json", "-o", "r.json"], tty),
            Ok(vec!["Json=Some(\"r.json\")".to_string()])
        );
        assert!(targets(&["--format", "json", "--format", "sarif"], tty).is_err());
        assert!(targets(&["--format", "json", "--format", "sarif=s", "-o", "x"], tty).is_err());
        let actions = Terminal {
            github_actions: true,
            ..tty
        };
        assert_eq!(
            targets(&[], actions),
            Ok(vec!["Human=None".to_string(), "Github=None".to_string()])
        );
        assert_eq!(
            targets(&["--format", "json"], actions),
            Ok(vec!["Json=None".to_string()])
        );
        assert!(Args::try_parse_from(["snipcheck", "--format", "json="]).is_err());
    }

    #[test]
    fn durations_take_units_and_bare_seconds() {
        let secs = std::time::Duration::from_secs;
        for (text, expected) in [
            ("5m", secs(300)),
            ("90s", secs(90)),
            ("1h", secs(3600)),
            ("1h30m", secs(5400)),
            ("45", secs(45)),
            ("0", secs(0)),
        ] {
            assert_eq!(parse_duration(text), Ok(expected), "{text}");
        }
        for wrong in ["5 minutes please", "-1", "m5", ""] {
            let error = parse_duration(wrong).expect_err(wrong);
            assert!(error.contains("is no duration"), "{error}");
        }
        let args = Args::try_parse_from(["snipcheck", "--timeout", "5m", "--deadline", "2h"])
            .expect("parses");
        assert_eq!((args.timeout, args.deadline), (secs(300), secs(7200)));
        let defaults = Args::try_parse_from(["snipcheck"]).expect("parses");
        assert_eq!(defaults.timeout, secs(DEFAULT_BUILD_TIMEOUT_SECS));
        assert_eq!(defaults.deadline, secs(DEFAULT_DEADLINE_SECS));
    }

    #[test]
    fn only_names_a_line_of_a_document() {
        assert_eq!(
            parse_block_at("docs/guide.md:42"),
            Ok(BlockAt {
                file: PathBuf::from("docs/guide.md"),
                line: 42
            })
        );
        for wrong in ["guide.md", "guide.md:", ":3", "guide.md:0", "guide.md:x"] {
            assert!(parse_block_at(wrong).is_err(), "{wrong}");
        }
        // Without a PATH, the file of --only is the document checked.
        let args = Args::try_parse_from(["snipcheck", "--only", "a.md:3"]).expect("parses");
        assert_eq!(args.documents(), [PathBuf::from("a.md")]);
        let args =
            Args::try_parse_from(["snipcheck", "docs", "--only", "docs/a.md:3"]).expect("parses");
        assert_eq!(args.documents(), [PathBuf::from("docs")]);
    }

    #[test]
    fn output_files_name_their_format() {
        for (file, format) in [
            ("r.json", Format::Json),
            ("R.JSON", Format::Json),
            ("review.md", Format::Markdown),
            ("review.markdown", Format::Markdown),
            ("out/snipcheck.sarif", Format::Sarif),
            ("snipcheck.sarif.json", Format::Sarif),
            ("junit.xml", Format::Junit),
            ("run.txt", Format::Human),
        ] {
            assert_eq!(format_of(Path::new(file)), Ok(format), "{file}");
        }
        for wrong in ["report", "report.yaml", "report.html"] {
            let error = format_of(Path::new(wrong)).expect_err(wrong);
            assert!(error.contains("give --format"), "{error}");
        }
        let message = usage_error(&["--toolchain", "stable", "-o", "report.yaml"]);
        assert!(message.contains("cannot tell the format"), "{message}");
    }

    #[test]
    fn quiet_and_verbose() {
        assert_eq!(
            run_config(&["--toolchain", "stable"]).verbosity,
            Verbosity::Normal
        );
        assert_eq!(
            run_config(&["--toolchain", "stable", "-q"]).verbosity,
            Verbosity::Quiet
        );
        assert_eq!(
            run_config(&["--toolchain", "stable", "--verbose"]).verbosity,
            Verbosity::Verbose
        );
        assert!(Args::try_parse_from(["snipcheck", "-q", "-v"]).is_err());
    }

    #[test]
    fn a_path_with_a_line_is_only_that_block() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let doc = dir.path().join("a.md");
        std::fs::write(&doc, "# A\n").expect("write");
        let doc_text = doc.to_string_lossy().into_owned();
        let at = format!("{doc_text}:3");
        let config = run_config(&["--toolchain", "stable", &at]);
        let expected = BlockAt {
            file: doc.clone(),
            line: 3,
        };
        assert_eq!(config.only, Some(expected));
        let Work::Check(options) = &config.work else {
            panic!("a check")
        };
        assert_eq!(options.specs, vec![doc.clone()], "the document is read");
        // Not a line: a missing file, a name that is not digits, an existing
        // file whose name ends in `:3`.
        let missing = format!("{}:3", dir.path().join("b.md").display());
        assert_eq!(run_config(&["--toolchain", "stable", &missing]).only, None);
        let word = format!("{doc_text}:x");
        assert_eq!(run_config(&["--toolchain", "stable", &word]).only, None);
        std::fs::write(&at, "# colon\n").expect("write");
        assert_eq!(run_config(&["--toolchain", "stable", &at]).only, None);
        std::fs::remove_file(&at).expect("remove");
        // Line 0, two blocks, or one beside --only are usage errors.
        let zero = format!("{doc_text}:0");
        assert!(usage_error(&["--toolchain", "stable", &zero]).contains("is not FILE:LINE"));
        let other = format!("{doc_text}:4");
        let message = usage_error(&["--toolchain", "stable", &at, &other]);
        assert!(message.starts_with("only one block"), "{message}");
        let message = usage_error(&["--toolchain", "stable", &at, "--only", &other]);
        assert!(message.starts_with("only one block"), "{message}");
    }

    #[test]
    fn an_unknown_toolchain_is_an_environment_error_with_its_fix() {
        match validated(&["--toolchain", "stable,stabel"]) {
            Err(ArgsError::Environment(message)) => assert_eq!(
                message,
                "toolchain `stabel` is not installed\nhelp: rustup toolchain install stabel"
            ),
            other => panic!("no environment error: {other:?}"),
        }
    }

    #[test]
    fn the_default_scratch_workspace_is_outside_the_checkout() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let root = dir.path();
        let member = root.join("crates/member");
        let elsewhere = root.join("elsewhere/deeper");
        std::fs::create_dir_all(&member).expect("create");
        std::fs::create_dir_all(&elsewhere).expect("create");
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"crates/*\"]\n",
        )
        .expect("write");
        std::fs::write(member.join("Cargo.toml"), "[package]\nname = \"member\"\n").expect("write");
        assert_eq!(cargo_workspace_root(&member), Some(root.to_path_buf()));
        assert_eq!(cargo_workspace_root(root), Some(root.to_path_buf()));
        // A package without a workspace around it is its own root.
        let lone = tempfile::tempdir().expect("a temporary folder");
        let package = lone.path().join("pkg/src");
        std::fs::create_dir_all(&package).expect("create");
        std::fs::write(lone.path().join("pkg/Cargo.toml"), "[package]\n").expect("write");
        assert_eq!(
            cargo_workspace_root(&package),
            Some(lone.path().join("pkg"))
        );
        let bare = tempfile::tempdir().expect("a temporary folder");
        assert_eq!(cargo_workspace_root(bare.path()), None);
        // This process runs in the repository (a cargo workspace): its `target/`,
        // never the current folder itself, unless CARGO_TARGET_DIR says otherwise.
        let sandbox = default_sandbox();
        assert!(sandbox.ends_with("snipcheck"), "{}", sandbox.display());
        assert_ne!(sandbox, PathBuf::from("sandbox"));
        if std::env::var_os("CARGO_TARGET_DIR").is_none() {
            let cwd = std::env::current_dir().expect("a current folder");
            assert_eq!(sandbox, cwd.join("target/snipcheck"));
        }
    }

    #[test]
    fn a_crate_is_a_folder_holding_a_manifest_made_absolute() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(dir.path().join("Cargo.toml"), "[package]\n").expect("write");
        let folder = dir.path().to_path_buf();
        assert_eq!(
            local_crates(std::slice::from_ref(&folder)).ok(),
            Some(vec![folder.clone()])
        );
        // The manifest itself names its folder.
        assert_eq!(
            local_crates(&[folder.join("Cargo.toml")]).ok(),
            Some(vec![folder.clone()])
        );
        let empty = tempfile::tempdir().expect("a temporary folder");
        let refused = local_crates(&[empty.path().to_path_buf()]);
        assert!(
            matches!(&refused, Err(ArgsError::Usage(m)) if m.contains("no Cargo.toml")),
            "{refused:?}"
        );
        let relative = local_crates(&[PathBuf::from("src/..")]).expect("the repository's folder");
        assert!(relative[0].is_absolute(), "{relative:?}");
    }

    #[test]
    fn the_test_dependency_is_a_name_and_an_absolute_folder_with_a_manifest() {
        let crate_dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::write(crate_dir.path().join("Cargo.toml"), "[package]\n").expect("write");
        let value = |text: String| test_dependency(Some(std::ffi::OsStr::new(&text)));
        let path = crate_dir.path().display().to_string();
        assert_eq!(test_dependency(None).ok(), Some(None));
        assert_eq!(
            value(format!("attack={path}")).ok().flatten(),
            Some(crate::sandbox::PathDependency {
                name: "attack".into(),
                path: crate_dir.path().to_path_buf(),
            })
        );
        for wrong in [
            path.clone(),
            format!("=={path}"),
            format!("../x={path}"),
            "attack=relative/folder".to_string(),
            format!("attack={path}/missing"),
        ] {
            assert!(value(wrong.clone()).is_err(), "{wrong}");
        }
        // Only the environment sets it: the defaults carry it, and without
        // it no run has one.
        let options = |defaults: &Defaults| {
            let args = Args::try_parse_from(["snipcheck"]).expect("parses");
            verify_options(&args, defaults, None, Vec::new(), vec!["stable".into()]).expect("valid")
        };
        let plain = Defaults {
            test_dependency: None,
            ..Defaults::default()
        };
        assert_eq!(options(&plain).test_dependency, None);
        assert!(options(&plain).cache);
        let injected = Defaults {
            test_dependency: Some(format!("attack={path}").into()),
            ..Defaults::default()
        };
        assert!(options(&injected).test_dependency.is_some());
        assert!(!options(&injected).cache, "its results are never cached");
    }
}
