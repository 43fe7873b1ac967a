//! The edge of a run: everything between a validated command line and the
//! exit code that touches the terminal or the user's files.
//!
//! [`run`] reads top to bottom as the steps of a run: validate the arguments
//! ([`crate::cli`]), check the documents (the pipeline, called from
//! [`run_pipeline`] alone) or merge shard reports, apply the repairs, compare
//! with or bless the baseline, write the reports, and choose the exit code
//! ([`exit_code`]). The pipeline itself prints nothing a person reads as the
//! result; this module owns that output. Decisions about the terminal (progress
//! bar, colour) were made from facts passed in, never queried here.

mod exit_code;
mod progress_bar;

pub use exit_code::{default_fail_on, exit_code};

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::baseline::{self, Baseline};
use crate::cause::{Cause, TAXONOMY};
use crate::cli::{
    self, Args, BaselineFile, Command, Defaults, Edits, Format, FormatTarget, RunConfig, Terminal,
    Verbosity, Work,
};
use crate::error::exit;
use crate::fsutil;
use crate::partition::Partition;
use crate::pipeline::{self as verify, Outcome, VerifyOptions};
use crate::report::escape::{self, Breaks};
use crate::report::{Report, github, human, json, junit, markdown, merge, sarif};
use progress_bar::ProgressBar;

/// The whole `snipcheck` command, shared by the `snipcheck` and
/// `cargo-snipcheck` binaries: `argv` as the process got it (the program's
/// name first). Returns the exit code; clap exits itself on a usage error
/// (2) or `--help` (0).
pub fn main(argv: Vec<std::ffi::OsString>) -> i32 {
    // Started again as the confining parent of one build (see confine.rs).
    if argv
        .get(1)
        .is_some_and(|first| first == crate::confine::ENTRY)
    {
        return crate::confine::enter(argv.into_iter().skip(2).collect());
    }
    crate::trace::start();
    let args = <Args as clap::Parser>::parse_from(argv);
    let code = run(&args, &Defaults::default(), Terminal::detect());
    crate::trace::write_if_requested();
    code
}

/// Runs the command line `args` asks for, with the caller's defaults and the
/// terminal's facts; returns the exit code. Every error has been printed.
pub fn run(args: &Args, defaults: &Defaults, terminal: Terminal) -> i32 {
    let result = match cli::validate(args, defaults, terminal) {
        Ok(Command::Explain(name)) => return explain(&name),
        Ok(Command::ListFiles(paths)) => return list_files(&paths),
        Ok(Command::Run(config)) => run_config(&config),
        Err(cli::ArgsError::Usage(message)) => Err(Stop::Usage(message)),
        Err(error) => Err(Stop::Environment(error.into())),
    };
    match result {
        Ok(code) => code,
        Err(stop) => stop.print(),
    }
}

/// Why a run ended before its reports were written.
#[derive(Debug)]
enum Stop {
    /// An argument, or a file it names, is wrong (exit 2).
    Usage(String),
    /// The run was interrupted where nothing partial may be written (exit 130).
    Interrupted(&'static str),
    /// The environment failed: no cargo, an unusable sandbox, an unwritable output (exit 3).
    Environment(anyhow::Error),
}

impl Stop {
    /// Says why on stderr; returns the exit code.
    fn print(self) -> i32 {
        match self {
            Stop::Usage(message) => {
                eprintln!("error: {message}");
                exit::USAGE
            }
            Stop::Interrupted(message) => {
                eprintln!("error: {message}");
                exit::INTERRUPTED
            }
            Stop::Environment(error) => {
                eprintln!("error: {error:#}");
                exit::ENVIRONMENT
            }
        }
    }
}

impl From<crate::error::Error> for Stop {
    fn from(error: crate::error::Error) -> Stop {
        Stop::Environment(error.into())
    }
}

impl From<std::io::Error> for Stop {
    fn from(error: std::io::Error) -> Stop {
        Stop::Environment(error.into())
    }
}

/// The steps of a valid run, in order.
fn run_config(config: &RunConfig) -> Result<i32, Stop> {
    handle_interrupts();
    let quiet = config.verbosity == Verbosity::Quiet;
    for note in config.notes.iter().filter(|_| !quiet) {
        eprintln!("note: {note}");
    }
    if let (Work::Check(options), Verbosity::Verbose) = (&config.work, config.verbosity) {
        eprintln!(
            "note: the scratch workspace is `{}`",
            options.sandbox.display()
        );
    }
    let source = match &config.work {
        Work::Merge(paths) => Source::Merged(Box::new(merge_shard_reports(paths)?)),
        Work::Check(options) => Source::Check(options),
    };
    let baseline = match &source {
        Source::Merged(merged) if config.baseline.is_none() => merged
            .baseline
            .as_ref()
            .map(|path| BaselineFile::Default(PathBuf::from(path))),
        _ => config.baseline.clone(),
    };
    let previous = load_baseline(config, baseline.as_ref())?;
    if previous.is_none() && !config.bless {
        fail_on_without_baseline(config.fail_on)?;
    }
    let mut outcome = match source {
        Source::Merged(merged) => merged.outcome,
        Source::Check(options) => check(options, config)?,
    };
    if let Some(only) = &config.only
        && outcome.report.snippets.is_empty()
    {
        return Err(Stop::Usage(format!(
            "--only: no code block at line {} of `{}`",
            only.line,
            only.file.display()
        )));
    }
    if outcome.report.incomplete && config.bless {
        return Err(Stop::Interrupted(
            "the run was interrupted; the baseline was not written",
        ));
    }
    write_lockfile(config.lockfile.as_deref(), outcome.lockfile.as_deref())?;
    let known = match (config.bless, &baseline) {
        (true, Some(file)) => Some(bless(file.path(), &outcome.report, previous.as_ref())?),
        _ => previous,
    };
    if let (Some(known), Some(file)) = (&known, &baseline) {
        baseline::apply(
            &mut outcome.report,
            known,
            &file.path().display().to_string(),
        );
    }
    let fail_on = config.fail_on.unwrap_or(default_fail_on(known.is_some()));
    outcome.report.fail_on = Some(fail_on);
    write_reports(&config.targets, &outcome, config.color, config.verbosity)?;
    if outcome.report.incomplete && crate::interrupt::deadline_passed() {
        eprintln!(
            "error: the run's deadline (--deadline) passed: the report covers only what was checked before it"
        );
    } else if outcome.report.incomplete {
        eprintln!(
            "error: interrupted: the report covers only what was checked before the interruption"
        );
    }
    Ok(exit_code(&outcome.report, fail_on))
}

/// `--fail-on regressed` and `--fail-on new` compare with a baseline: without
/// one they would pass whatever fails, so a run without one is a usage error.
fn fail_on_without_baseline(fail_on: Option<cli::FailOn>) -> Result<(), Stop> {
    match fail_on {
        Some(when @ (cli::FailOn::Regressed | cli::FailOn::New)) => {
            let name = if when == cli::FailOn::Regressed {
                "regressed"
            } else {
                "new"
            };
            Err(Stop::Usage(format!(
                "--fail-on {name} compares with a baseline, and none was read; \
                 give --baseline FILE (write one with --bless), or use --fail-on any"
            )))
        }
        _ => Ok(()),
    }
}

/// Where the report comes from: merged shard reports, or a check still to run.
enum Source<'a> {
    Merged(Box<MergedShards>),
    Check(&'a VerifyOptions),
}

/// Ctrl-C or SIGTERM: stop the builds, then report what was checked.
fn handle_interrupts() {
    if let Err(error) = ctrlc::set_handler(crate::interrupt::interrupt) {
        eprintln!("warning: cannot handle Ctrl-C ({error}); an interrupted run leaves no report");
    }
}

/// The known results: `--bless` needs a file to write them to; a baseline
/// named by `--baseline` must exist unless `--bless` writes it; a shard
/// compares only the entries of its own blocks.
fn load_baseline(
    config: &RunConfig,
    file: Option<&BaselineFile>,
) -> Result<Option<Baseline>, Stop> {
    if config.bless && file.is_none() && config.lockfile.is_none() {
        return Err(Stop::Usage(
            "--bless needs --baseline FILE or --lockfile FILE".to_string(),
        ));
    }
    let Some(file) = file else {
        return Ok(None);
    };
    let loaded = baseline::load(file.path()).map_err(|error| Stop::Usage(error.to_string()))?;
    if let (BaselineFile::Given(path), None, false) = (file, &loaded, config.bless) {
        return Err(Stop::Usage(format!(
            "no baseline at `{}` (write one with --bless)",
            path.display()
        )));
    }
    Ok(loaded.map(|known| shard_part(known, config.partition)))
}

fn shard_part(known: Baseline, partition: Option<Partition>) -> Baseline {
    match partition {
        Some(partition) => baseline::part(known, &partition),
        None => known,
    }
}

/// Checks the documents; with repairs, applies them and checks again, so
/// the report says what remains.
fn check(options: &VerifyOptions, config: &RunConfig) -> Result<Outcome, Stop> {
    if let Some(partition) = config
        .partition
        .filter(|_| config.verbosity != Verbosity::Quiet)
    {
        eprintln!(
            "note: checking shard {partition} of the blocks; merge the shards' JSON reports with --merge-reports"
        );
    }
    if options.confinement == crate::confine::Request::Unconfined {
        eprintln!(
            "warning: --unconfined: the examples' build scripts and proc macros run with your rights (files, network, secrets)"
        );
    }
    let outcome = run_pipeline(options, config.progress)?;
    if config.edits == Edits::None || outcome.report.incomplete {
        return Ok(outcome);
    }
    let changed = apply_fixes(&outcome.fixes, config.edits)?;
    if !changed || config.edits == Edits::Print {
        return Ok(outcome);
    }
    let again = VerifyOptions {
        fix: false,
        repair: verify::Repair {
            fmt: options.repair.fmt,
            ..verify::Repair::default()
        },
        ..options.clone()
    };
    run_pipeline(&again, config.progress)
}

/// The one call of the pipeline: on a thread with the stack it needs, with
/// the progress bar as its observer.
fn run_pipeline(options: &VerifyOptions, progress: bool) -> Result<Outcome, Stop> {
    let bar = ProgressBar::new(progress);
    let observer = |event| bar.show(event);
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

/// Writes (or, for `--dry-run`, prints as a diff) each fixed document. A
/// document that changed on disk since it was read is left alone. Returns
/// whether any document changed.
fn apply_fixes(fixes: &[verify::FileFix], edits: Edits) -> Result<bool, Stop> {
    let mut changed = false;
    for fix in fixes.iter().filter(|f| f.fixed != f.original) {
        if edits == Edits::Print {
            print!(
                "{}",
                crate::fix::unified_diff(&fix.file, &fix.original, &fix.fixed)
            );
            for (line, what) in &fix.applied {
                eprintln!("would fix: {}:{line}: {}", shown(&fix.file), shown(what));
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
                shown(&fix.file)
            );
            continue;
        }
        fsutil::write_atomic(&fix.path, format!("{bom}{}", fix.fixed).as_bytes())?;
        changed = true;
        for (line, what) in &fix.applied {
            eprintln!("fixed: {}:{line}: {}", shown(&fix.file), shown(what));
        }
    }
    for fix in fixes {
        for (line, what) in &fix.notes {
            eprintln!("note: {}:{line}: {}", shown(&fix.file), shown(what));
        }
    }
    if fixes.iter().all(|f| f.fixed == f.original) {
        eprintln!("note: nothing to fix: no requested repair applies to the examples");
    }
    Ok(changed)
}

/// A file name or a fix's description from a document, on one line and
/// without control characters, for the lines printed here.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    escape::visible(text, Breaks::Escape)
}

/// The merged report of a partitioned run's shards, as a run's outcome.
struct MergedShards {
    outcome: Outcome,
    /// The baseline file the shards were compared with, if any.
    baseline: Option<String>,
}

/// Reads and merges the shard reports, and reads the documents they speak of
/// (for the excerpts the human and Markdown views quote). Errors are usage errors.
fn merge_shard_reports(paths: &[PathBuf]) -> Result<MergedShards, Stop> {
    let mut shards = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| {
            Stop::Usage(format!("cannot read the shard report `{name}`: {error}"))
        })?;
        shards.push(merge::parse(&name, &text).map_err(|error| Stop::Usage(error_chain(&error)))?);
    }
    let merged = merge::merge(shards).map_err(|error| Stop::Usage(error_chain(&error)))?;
    let shards: Vec<String> = merged.shards.iter().map(ToString::to_string).collect();
    eprintln!(
        "note: merged {} shard reports ({})",
        shards.len(),
        shards.join(", ")
    );
    let sources = document_sources(&merged.report);
    Ok(MergedShards {
        outcome: Outcome {
            report: merged.report,
            sources,
            fixes: Vec::new(),
            lockfile: None,
        },
        baseline: merged.baseline,
    })
}

/// The text of the documents a report speaks of, those that can be read here.
fn document_sources(report: &Report) -> BTreeMap<String, String> {
    let documents: Vec<PathBuf> = report
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
    specs
        .iter()
        .map(|s| (s.display(), s.text.clone()))
        .collect()
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

/// Writes the lockfile the run resolved, when there is one and a path for it.
fn write_lockfile(path: Option<&Path>, text: Option<&str>) -> Result<(), Stop> {
    if let (Some(path), Some(text)) = (path, text) {
        fsutil::write_if_changed(path, text)?;
        eprintln!("note: wrote the lockfile `{}`", path.display());
    }
    Ok(())
}

/// Writes the results of this run as the new baseline, keeping the notes of
/// the previous one; returns it.
fn bless(path: &Path, report: &Report, previous: Option<&Baseline>) -> Result<Baseline, Stop> {
    let blessed = baseline::bless(report, previous);
    fsutil::write_atomic(path, baseline::to_toml(&blessed)?.as_bytes())?;
    eprintln!(
        "note: wrote the baseline `{}` ({} entries)",
        path.display(),
        blessed.snippets.len()
    );
    Ok(blessed)
}

/// Renders every requested format to its place. Without the human view on
/// stderr, stderr still gets it, or only the run's problems and the totals
/// when stdout carries another format. `-q` puts only the problems and the
/// totals on stderr; `-v` adds every row's verdict.
fn write_reports(
    targets: &[FormatTarget],
    outcome: &Outcome,
    color: bool,
    verbosity: Verbosity,
) -> Result<(), Stop> {
    let report = &outcome.report;
    let mut stdout_used = false;
    for target in targets {
        let text = render(
            target.format,
            report,
            &outcome.sources,
            color && target.file.is_none(),
        );
        match (&target.file, target.format) {
            (Some(path), _) => fsutil::write_atomic(path, text.as_bytes())?,
            (None, Format::Human) if verbosity == Verbosity::Quiet => {}
            (None, Format::Human) => eprint!("{text}"),
            (None, format) => {
                let text = for_the_log(format, &text);
                std::io::stdout().lock().write_all(text.as_bytes())?;
                stdout_used = true;
            }
        }
    }
    if verbosity == Verbosity::Verbose {
        eprint!("{}", human::render_verdicts(report));
    }
    let human_on_stderr = targets
        .iter()
        .any(|t| t.format == Format::Human && t.file.is_none());
    if !human_on_stderr || verbosity == Verbosity::Quiet {
        if stdout_used || verbosity == Verbosity::Quiet {
            eprint!("{}", human::render_summary(report, color));
        } else {
            eprint!("{}", render(Format::Human, report, &outcome.sources, color));
        }
    }
    Ok(())
}

/// A view printed on stdout, which a CI runner reads for workflow commands:
/// a line of a quoted example or a message cannot be one (the GitHub view's
/// own lines are commands, their data already encoded; the human view
/// neutralizes itself).
fn for_the_log(format: Format, text: &str) -> std::borrow::Cow<'_, str> {
    match format {
        Format::Github | Format::Human => std::borrow::Cow::Borrowed(text),
        Format::Json | Format::Sarif => escape::neutralize_commands(text, escape::Quoting::Json),
        Format::Markdown | Format::Junit => {
            escape::neutralize_commands(text, escape::Quoting::Backslash)
        }
    }
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
        Format::Markdown => markdown::render_markdown(
            report,
            sources,
            &markdown_options(|name| std::env::var(name).ok()),
        ),
        Format::Junit => junit::render_junit(report),
        Format::Sarif => sarif::render_sarif(report),
        Format::Github => github::render_github(report),
    }
}

/// The Markdown view's options from the environment `var` reads: under
/// GitHub Actions (`GITHUB_ACTIONS=true` with `GITHUB_SERVER_URL`,
/// `GITHUB_REPOSITORY` and `GITHUB_SHA`), links to the files at the commit,
/// made relative to `GITHUB_WORKSPACE`; elsewhere relative links. The page is
/// always kept under the job summary's budget.
fn markdown_options(var: impl Fn(&str) -> Option<String>) -> markdown::MarkdownOptions {
    let set = |name: &str| var(name).filter(|value| !value.is_empty());
    let on_actions = var("GITHUB_ACTIONS").is_some_and(|value| value == "true");
    let link_base = match (
        on_actions,
        set("GITHUB_SERVER_URL"),
        set("GITHUB_REPOSITORY"),
        set("GITHUB_SHA"),
    ) {
        (true, Some(server), Some(repository), Some(sha)) => Some(markdown::LinkBase::github(
            &server,
            &repository,
            &sha,
            set("GITHUB_WORKSPACE").as_deref(),
        )),
        _ => None,
    };
    markdown::MarkdownOptions {
        link_base,
        ..markdown::MarkdownOptions::default()
    }
}

/// `--explain CAUSE`: what the cause means and how it is proven.
/// `--list-files`: the documents the paths hold, one a line on stdout with
/// its kind first (`cursor rule  .cursor/rules/rust.mdc`); the paths that
/// cannot be read on stderr, and then the exit code says so.
fn list_files(paths: &[PathBuf]) -> i32 {
    let (files, problems) = crate::discover::discover(paths);
    let kinds: Vec<String> = files.iter().map(|f| f.kind.to_string()).collect();
    let width = kinds.iter().map(|k| k.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (file, kind) in files.iter().zip(&kinds) {
        out.push_str(&format!("{kind:<width$}  {}\n", file.display()));
    }
    print!("{out}");
    for problem in &problems {
        eprintln!("error: {}", problem.message);
    }
    if problems.is_empty() {
        exit::OK
    } else {
        exit::FAILED
    }
}

fn explain(name: &str) -> i32 {
    match Cause::from_name(name) {
        Some(cause) => {
            println!("{}", cause.info().explanation());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options(vars: &[(&str, &str)]) -> crate::report::markdown::MarkdownOptions {
        markdown_options(|name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn markdown_links_point_at_the_commit_only_under_github_actions() {
        let actions = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "owner/repo"),
            ("GITHUB_SHA", "0123abcd"),
            ("GITHUB_WORKSPACE", "/ci/checkout/repo"),
        ];
        let base = options(&actions).link_base.expect("a link base");
        assert_eq!(base.blob, "https://github.com/owner/repo/blob/0123abcd");
        assert_eq!(base.workspace.as_deref(), Some("/ci/checkout/repo"));
        assert_eq!(options(&actions[1..]).link_base, None, "not on Actions");
        assert_eq!(options(&actions[..3]).link_base, None, "no commit");
        assert_eq!(
            options(&actions).budget,
            Some(crate::report::markdown::JOB_SUMMARY_BUDGET)
        );
    }
}
