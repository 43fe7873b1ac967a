//! Command-line arguments, validated into run options; rendering and exit codes.
//!
//! Shared by the `snipcheck` binary and `cargo xtask verify`, which differ only
//! in their defaults (see [`Defaults`]). Terminal facts (is stderr a terminal,
//! is this CI, is `NO_COLOR` set) are read here, at the edge, and passed down as
//! plain options.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::error::exit;
use crate::pins;
use crate::taxonomy::{Cause, TAXONOMY};
use std::collections::BTreeMap;

use crate::baseline;
use crate::fsutil;
use crate::partition::Partition;
use crate::pipeline::{self as verify, VerifyOptions};
use crate::report::{Report, Status, github, human, json, junit, markdown, merge, sarif};

/// Verify the Rust code examples in Markdown documents with cargo and clippy.
#[derive(Debug, Parser)]
#[command(name = "snipcheck", version)]
#[command(group(clap::ArgGroup::new("repairs").multiple(true).args(["fix", "fix_imports", "fix_edition", "fix_pins"])))]
pub struct Args {
    /// Markdown files or folders (searched recursively for *.md and *.markdown,
    /// honouring .gitignore). A file named explicitly is read as Markdown whatever
    /// its extension. [default: specs]
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub specs: Vec<PathBuf>,
    /// Folder for the generated scratch workspace. snipcheck refuses a folder
    /// holding files it did not create. [default: sandbox]
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
    /// Add the `use` lines rustc suggests when it has exactly one candidate and
    /// the diagnosis's variant with them builds (missing-import).
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
    /// Stop any one cargo build after this many seconds; its unfinished
    /// snippets are reported as `timeout` and the others are kept.
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Print what a cause of the taxonomy means and how it is proven, then exit.
    #[arg(long, value_name = "CAUSE")]
    pub explain: Option<String>,
    /// Report format, repeatable, each with its own file: `human` (stderr),
    /// `json`, `markdown`, `junit`, `sarif`, `github` (stdout unless `=FILE` is
    /// given; at most one on stdout). `github` is added when GITHUB_ACTIONS=true.
    /// [default: human]
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = parse_format_target)]
    pub formats: Vec<FormatTarget>,
    /// Write the (single) format to this file; the same as `--format FORMAT=FILE`.
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
    /// Configuration: pins per crate, file or snippet, and known-crate rules
    /// [default: snipcheck.toml, when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Extra known-crate rules (TOML, same shape as the built-in table).
    #[arg(long, value_name = "FILE")]
    pub known_crates: Option<PathBuf>,
    /// Check only shard K of N (1-based): a block's shard follows from its
    /// document, heading path and content, never its line. Merge the shards'
    /// JSON reports with --merge-reports.
    #[arg(long, value_name = "hash:K/N", value_parser = parse_partition, conflicts_with_all = ["repairs", "bless"])]
    pub partition: Option<Partition>,
    /// Merge the JSON reports of every shard of a partitioned run instead of
    /// checking documents, and report the whole run in every --format (the
    /// baseline the shards used, or --baseline, is compared again).
    #[arg(long, num_args = 1.., value_name = "FILE", conflicts_with_all = ["specs", "partition", "repairs", "fmt", "toolchain", "latest", "lockfile"])]
    pub merge_reports: Vec<PathBuf>,
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

/// What makes the run fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Regressed,
    New,
    Any,
    Never,
}

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
}

impl Default for Defaults {
    fn default() -> Defaults {
        Defaults {
            specs: PathBuf::from("specs"),
            sandbox: PathBuf::from("sandbox"),
            config: PathBuf::from("snipcheck.toml"),
            baseline: None,
            lockfile: None,
        }
    }
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

/// Runs a verification and writes its report; returns the exit code.
pub fn run(args: Args, defaults: &Defaults, terminal: Terminal) -> anyhow::Result<i32> {
    if let Some(name) = &args.explain {
        return Ok(explain(name));
    }
    // Ctrl-C or SIGTERM: stop the builds, then report what was checked.
    if let Err(error) = ctrlc::set_handler(crate::cargo::interrupt) {
        eprintln!("warning: cannot handle Ctrl-C ({error}); an interrupted run leaves no report");
    }
    let specs = if args.specs.is_empty() {
        vec![defaults.specs.clone()]
    } else {
        args.specs.clone()
    };
    let config_path = match &args.config {
        Some(path) => Some(path.clone()),
        None => defaults.config.is_file().then(|| defaults.config.clone()),
    };
    let config = match &config_path {
        Some(path) => {
            let parsed = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| pins::parse_config(&text).map_err(|e| e.to_string()));
            match parsed {
                Ok(config) => Some(config),
                Err(error) => {
                    eprintln!(
                        "error: failed to read configuration `{}`: {error}",
                        path.display()
                    );
                    return Ok(exit::USAGE);
                }
            }
        }
        None => None,
    };
    let mut known_crates: Vec<String> = config
        .as_ref()
        .and_then(pins::Config::known_crates_toml)
        .into_iter()
        .collect();
    let extra_known = match &args.known_crates {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) => {
                eprintln!(
                    "error: failed to read known-crates file `{}`: {error}",
                    path.display()
                );
                return Ok(exit::USAGE);
            }
        },
        None => None,
    };
    known_crates.extend(extra_known);
    let default_matrix = args.toolchain.is_empty();
    let toolchains: Vec<String> = args
        .toolchain
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    let merging = !args.merge_reports.is_empty();
    let toolchains = if merging {
        Vec::new()
    } else if default_matrix {
        default_toolchains()
    } else if toolchains.is_empty() {
        eprintln!("error: --toolchain needs at least one toolchain name");
        return Ok(exit::USAGE);
    } else {
        toolchains
    };
    let progress = show_progress(terminal, args.no_progress);
    let options = VerifyOptions {
        specs,
        sandbox: args
            .sandbox
            .clone()
            .unwrap_or_else(|| defaults.sandbox.clone()),
        // cargo runs inside the sandbox, so a relative target dir must be made
        // absolute against the folder the user typed it in.
        target_dir: match &args.target_dir {
            Some(dir) => Some(std::path::absolute(dir)?),
            None => None,
        },
        toolchains,
        offline: args.offline,
        known_crates,
        diagnose: !args.no_diagnose,
        cache: !args.no_cache,
        merge: !args.no_merge,
        allow_outside_access: args.allow_outside_access,
        build_timeout: args.timeout.map(std::time::Duration::from_secs),
        fix: args.fix,
        repair: verify::Repair {
            imports: args.fix_imports,
            edition: args.fix_edition,
            pins: args.fix_pins,
            fmt: args.fmt,
            fmt_write: args.fmt && args.fix,
        },
        config,
        lockfile: None,
        latest: args.latest,
        write_lockfile: false,
        partition: args.partition,
    };
    let repairs = args.fix || options.repair.edits_documents();
    // Fixes need every snippet's suggestions in its own coordinates: no cached
    // results (they keep no suggestions or diagnosis), no merged crates.
    let options = VerifyOptions {
        cache: options.cache && !repairs,
        merge: options.merge && !repairs,
        ..options
    };
    let targets = match output_targets(&args, terminal) {
        Ok(targets) => targets,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(exit::USAGE);
        }
    };
    let merged = if merging {
        match merge_shard_reports(&args.merge_reports) {
            Ok(merged) => Some(merged),
            Err(message) => {
                eprintln!("error: {message}");
                return Ok(exit::USAGE);
            }
        }
    } else {
        None
    };
    // The default baseline describes the default specs only; merged shards,
    // the baseline they were compared with.
    let default_baseline = match &merged {
        Some((merged, _)) => merged.baseline.as_ref().map(PathBuf::from),
        None if args.specs.is_empty() => defaults.baseline.clone(),
        None => None,
    };
    let baseline_path = args.baseline.clone().or(default_baseline);
    // The default lockfile, like the default baseline, belongs to the default specs.
    let lockfile_path = args.lockfile.clone().or(if args.specs.is_empty() {
        defaults.lockfile.clone()
    } else {
        None
    });
    if args.bless && baseline_path.is_none() && lockfile_path.is_none() {
        eprintln!("error: --bless needs --baseline FILE or --lockfile FILE");
        return Ok(exit::USAGE);
    }
    if let Some(path) = &args.lockfile
        && !path.is_file()
        && !args.bless
        && !args.latest
    {
        eprintln!(
            "error: no lockfile at `{}` (write one with --bless)",
            path.display()
        );
        return Ok(exit::USAGE);
    }
    let options = VerifyOptions {
        lockfile: lockfile_path.clone(),
        write_lockfile: args.bless && lockfile_path.is_some(),
        ..options
    };
    let previous = match baseline_path.as_deref().map(baseline::load).transpose() {
        // A shard compares only the entries of its own blocks.
        Ok(previous) => previous.flatten().map(|known| match args.partition {
            Some(partition) => baseline::part(known, &partition),
            None => known,
        }),
        Err(error) => {
            eprintln!("error: {error:#}");
            return Ok(exit::USAGE);
        }
    };
    if let (Some(path), None, false) = (&args.baseline, &previous, args.bless) {
        eprintln!(
            "error: no baseline at `{}` (write one with --bless)",
            path.display()
        );
        return Ok(exit::USAGE);
    }

    let mut outcome = match merged {
        Some((merged, sources)) => verify::Outcome {
            report: merged.report,
            sources,
            fixes: Vec::new(),
            lockfile: None,
        },
        None => {
            if let Some(partition) = args.partition {
                eprintln!(
                    "note: checking shard {partition} of the blocks; merge the shards' JSON reports with --merge-reports"
                );
            }
            verify_on_a_large_stack(&options, progress)?
        }
    };
    if repairs && !outcome.report.incomplete {
        let changed = apply_fixes(&outcome.fixes, args.dry_run)?;
        if changed && !args.dry_run {
            // Verify again: the report says what remains.
            let again = VerifyOptions {
                fix: false,
                repair: verify::Repair {
                    fmt: args.fmt,
                    ..verify::Repair::default()
                },
                ..options.clone()
            };
            outcome = verify_on_a_large_stack(&again, progress)?;
        }
    }
    if outcome.report.incomplete && args.bless {
        eprintln!("error: the run was interrupted; the baseline was not written");
        return Ok(exit::INTERRUPTED);
    }
    if let (Some(path), Some(text)) = (&lockfile_path, &outcome.lockfile) {
        fsutil::write_if_changed(path, text)?;
        eprintln!("note: wrote the lockfile `{}`", path.display());
    }
    let known = if let (true, Some(baseline_path)) = (args.bless, &baseline_path) {
        let blessed = baseline::bless(&outcome.report, previous.as_ref());
        fsutil::write_atomic(baseline_path, baseline::to_toml(&blessed)?.as_bytes())?;
        eprintln!(
            "note: wrote the baseline `{}` ({} entries)",
            baseline_path.display(),
            blessed.snippets.len()
        );
        Some(blessed)
    } else {
        previous
    };
    if let (Some(known), Some(path)) = (&known, &baseline_path) {
        baseline::apply(&mut outcome.report, known, &path.display().to_string());
    }
    let report = &outcome.report;
    let color = use_color(terminal, args.color);

    let mut stdout_used = false;
    for target in &targets {
        let text = render(
            target.format,
            report,
            &outcome.sources,
            color && target.file.is_none(),
        );
        match (&target.file, target.format) {
            (Some(path), _) => fsutil::write_atomic(path, text.as_bytes())?,
            (None, Format::Human) => eprint!("{text}"),
            (None, _) => {
                std::io::stdout().lock().write_all(text.as_bytes())?;
                stdout_used = true;
            }
        }
    }
    let human_on_stderr = targets
        .iter()
        .any(|t| t.format == Format::Human && t.file.is_none());
    if !human_on_stderr {
        if stdout_used {
            eprint!("{}", human::render_summary_line(report));
        } else {
            eprint!("{}", render(Format::Human, report, &outcome.sources, color));
        }
    }
    if report.incomplete {
        eprintln!(
            "error: interrupted: the report covers only what was checked before the interruption"
        );
        return Ok(exit::INTERRUPTED);
    }
    let fail_on = args.fail_on.unwrap_or(if known.is_some() {
        FailOn::Regressed
    } else {
        FailOn::Any
    });
    Ok(exit_code(report, fail_on))
}

/// Writes (or, for a dry run, prints as a diff) each fixed document. A document
/// that changed on disk since it was read is left alone. Returns whether any
/// document changed.
fn apply_fixes(fixes: &[verify::FileFix], dry_run: bool) -> anyhow::Result<bool> {
    let mut changed = false;
    for fix in fixes.iter().filter(|f| f.fixed != f.original) {
        if dry_run {
            print!(
                "{}",
                crate::fix::unified_diff(&fix.file, &fix.original, &fix.fixed)
            );
            for (line, what) in &fix.applied {
                eprintln!("would fix: {}:{line}: {what}", fix.file);
            }
            continue;
        }
        let on_disk = std::fs::read_to_string(&fix.path).unwrap_or_default();
        // The byte-order mark discovery dropped is written back as it was.
        let (bom, now) = match on_disk.strip_prefix('\u{feff}') {
            Some(rest) => ("\u{feff}", rest),
            None => ("", on_disk.as_str()),
        };
        if now != fix.original {
            eprintln!(
                "warning: {} changed since it was read; its fixes were not written",
                fix.file
            );
            continue;
        }
        fsutil::write_atomic(&fix.path, format!("{bom}{}", fix.fixed).as_bytes())?;
        changed = true;
        for (line, what) in &fix.applied {
            eprintln!("fixed: {}:{line}: {what}", fix.file);
        }
    }
    for fix in fixes {
        for (line, what) in &fix.notes {
            eprintln!("note: {}:{line}: {what}", fix.file);
        }
    }
    if fixes.iter().all(|f| f.fixed == f.original) {
        eprintln!("note: nothing to fix: no requested repair applies to the examples");
    }
    Ok(changed)
}

/// Reads and merges the shard reports, and reads the documents they speak of
/// (for the excerpts the human and Markdown views quote). Errors are usage errors.
fn merge_shard_reports(
    paths: &[PathBuf],
) -> Result<(merge::Merged, BTreeMap<String, String>), String> {
    let mut shards = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read the shard report `{name}`: {error}"))?;
        shards.push(merge::parse(&name, &text).map_err(|error| error_chain(&error))?);
    }
    let merged = merge::merge(shards).map_err(|error| error_chain(&error))?;
    let shards: Vec<String> = merged.shards.iter().map(ToString::to_string).collect();
    eprintln!(
        "note: merged {} shard reports ({})",
        shards.len(),
        shards.join(", ")
    );
    let documents: Vec<PathBuf> = merged
        .report
        .files
        .iter()
        .map(|f| PathBuf::from(&f.file))
        .collect();
    let (specs, unreadable) = crate::discover::discover(&documents);
    if !unreadable.is_empty() {
        eprintln!(
            "note: {} of the documents cannot be read here; the reports quote no lines of them",
            unreadable.len()
        );
    }
    let sources = specs
        .iter()
        .map(|s| (s.display(), s.text.clone()))
        .collect();
    Ok((merged, sources))
}

/// An error and its sources, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

fn verify_on_a_large_stack(
    options: &VerifyOptions,
    progress: bool,
) -> anyhow::Result<verify::Outcome> {
    let display = ProgressDisplay::new(progress);
    let observer = |event| display.show(event);
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("snipcheck-pipeline".to_string())
            .stack_size(verify::PIPELINE_STACK)
            .spawn_scoped(scope, || verify::run(options, &observer))?;
        match worker.join() {
            Ok(outcome) => Ok(outcome?),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The progress bar on stderr, drawn from the pipeline's events.
#[derive(Debug)]
struct ProgressDisplay {
    enabled: bool,
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
}

impl ProgressDisplay {
    fn new(enabled: bool) -> ProgressDisplay {
        ProgressDisplay {
            enabled,
            bar: std::sync::Mutex::new(None),
        }
    }

    fn show(&self, event: crate::progress::Event) {
        use crate::progress::{Event, Purpose};
        if !self.enabled {
            return;
        }
        let Ok(mut bar) = self.bar.lock() else {
            return;
        };
        match event {
            Event::BuildStarted {
                toolchain,
                purpose,
                units,
            } => {
                let what = match purpose {
                    Purpose::Checking => "checking",
                    Purpose::Diagnosing => "diagnosing",
                };
                let new = indicatif::ProgressBar::new(units as u64);
                let template = format!(
                    "{{spinner}} {what} on {toolchain} [{{bar:30}}] {{pos}}/{{len}} {{wide_msg}}"
                );
                if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
                    new.set_style(style.progress_chars("=> "));
                }
                new.enable_steady_tick(std::time::Duration::from_millis(120));
                if let Some(old) = bar.replace(new) {
                    old.finish_and_clear();
                }
            }
            Event::UnitBuilt { name } => {
                if let Some(bar) = bar.as_ref() {
                    bar.inc(1);
                    bar.set_message(name);
                }
            }
            Event::BuildFinished => {
                if let Some(old) = bar.take() {
                    old.finish_and_clear();
                }
            }
        }
    }
}

/// Where each requested format goes. Errors are usage errors.
fn output_targets(args: &Args, terminal: Terminal) -> Result<Vec<FormatTarget>, String> {
    let mut targets = args.formats.clone();
    if targets.is_empty() {
        targets.push(FormatTarget {
            format: Format::Human,
            file: None,
        });
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

fn render(
    format: Format,
    report: &Report,
    sources: &BTreeMap<String, String>,
    color: bool,
) -> String {
    match format {
        Format::Human => human::render_human(report, sources, &human::HumanOptions { color }),
        Format::Json => json::render_json(report),
        Format::Markdown => markdown::render_markdown(report, sources),
        Format::Junit => junit::render_junit(report),
        Format::Sarif => sarif::render_sarif(report),
        Format::Github => github::render_github(report),
    }
}

/// stable, plus nightly when rustup has it (asking rustup costs one `rustc -V`,
/// which the run makes anyway).
fn default_toolchains() -> Vec<String> {
    let mut toolchains = vec!["stable".to_string()];
    if matches!(crate::cargo::rustc_version("nightly"), Ok(Some(_))) {
        toolchains.push("nightly".to_string());
    } else {
        eprintln!("note: the nightly toolchain is not installed; checking on stable only");
    }
    toolchains
}

fn explain(name: &str) -> i32 {
    match Cause::from_name(name) {
        Some(cause) => {
            let info = cause.info();
            println!(
                "{}: {}\n\nproven by: {}\nusual fix: {}",
                info.name, info.summary, info.proof, info.fix
            );
            exit::OK
        }
        None => {
            let names: Vec<&str> = TAXONOMY.iter().map(|i| i.name).collect();
            eprintln!(
                "error: no cause named `{name}`; the causes are: {}",
                names.join(", ")
            );
            exit::USAGE
        }
    }
}

/// 2 when an input path was unusable; else 1 when what `fail_on` names
/// happened (a baseline that lost a document's examples counts as a
/// regression); else 0.
pub fn exit_code(report: &Report, fail_on: FailOn) -> i32 {
    let input_problem = report.problems.iter().any(|p| {
        p.subject.is_some()
            && report
                .toolchains
                .iter()
                .all(|t| Some(&t.name) != p.subject.as_ref())
            && p.subject.as_deref() != Some("nightly")
    });
    let has = |change: baseline::Change| report.snippets.iter().any(|s| s.baseline == Some(change));
    let coverage_lost = report
        .baseline
        .as_ref()
        .is_some_and(|b| !b.coverage_lost.is_empty());
    let new_failure = report
        .snippets
        .iter()
        .any(|s| s.status == Status::Fail && s.baseline == Some(baseline::Change::New));
    let failed = match fail_on {
        FailOn::Never => false,
        FailOn::Any => report.snippets.iter().any(|s| s.status == Status::Fail),
        FailOn::Regressed => has(baseline::Change::Regressed) || coverage_lost,
        FailOn::New => has(baseline::Change::Regressed) || coverage_lost || new_failure,
    };
    if input_problem {
        exit::USAGE
    } else if failed {
        exit::FAILED
    } else {
        exit::OK
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
        assert_eq!(error.exit_code(), exit::USAGE);
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
}
