//! Command-line arguments, validated into run options; rendering and exit codes.
//!
//! Shared by the `snipcheck` binary and `cargo xtask verify`, which differ only
//! in their defaults (see [`Defaults`]). Terminal facts (is stderr a terminal,
//! is this CI, is `NO_COLOR` set) are read here, at the edge, and passed down as
//! plain options.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::cause::{Cause, TAXONOMY};
use crate::error::exit;
use crate::pins;
use crate::report::{Status, human, json};
use crate::sandbox;
use crate::verify::{self, VerifyOptions};

/// Verify the Rust code examples in Markdown documents with cargo and clippy.
#[derive(Debug, Parser)]
#[command(name = "snipcheck", version)]
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
    /// Print what a cause of the taxonomy means and how it is proven, then exit.
    #[arg(long, value_name = "CAUSE")]
    pub explain: Option<String>,
    /// Output format: human (on stderr) or json (on stdout unless --output is given).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report in the chosen format to this file.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
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
}

impl Default for Defaults {
    fn default() -> Defaults {
        Defaults {
            specs: PathBuf::from("specs"),
            sandbox: PathBuf::from("sandbox"),
            config: PathBuf::from("snipcheck.toml"),
        }
    }
}

/// What the environment says about the terminal, read once at the edge.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    pub stderr_is_terminal: bool,
    pub is_ci: bool,
    pub no_color: bool,
}

impl Terminal {
    pub fn detect() -> Terminal {
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        Terminal {
            stderr_is_terminal: std::io::stderr().is_terminal(),
            is_ci: set("CI"),
            no_color: set("NO_COLOR") || std::env::var("TERM").is_ok_and(|t| t == "dumb"),
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
    let toolchains = if default_matrix {
        default_toolchains()
    } else if toolchains.is_empty() {
        eprintln!("error: --toolchain needs at least one toolchain name");
        return Ok(exit::USAGE);
    } else {
        toolchains
    };
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
        progress: show_progress(terminal, args.no_progress),
        diagnose: !args.no_diagnose,
        diagnose_with_nightly: true,
        config,
    };
    let outcome = verify::verify(&options)?;
    let report = &outcome.report;
    let color = use_color(terminal, args.color);

    let human_text = human::render_human(report, &outcome.sources, &human::HumanOptions { color });
    match (args.format, &args.output) {
        (Format::Human, None) => eprint!("{human_text}"),
        (Format::Human, Some(path)) => {
            let plain = human::render_human(
                report,
                &outcome.sources,
                &human::HumanOptions { color: false },
            );
            sandbox::write_atomic(path, plain.as_bytes())?;
            eprint!("{human_text}");
        }
        (Format::Json, None) => {
            let text = json::render_json(report);
            std::io::stdout().lock().write_all(text.as_bytes())?;
            eprint!("{}", human::render_summary_line(report));
        }
        (Format::Json, Some(path)) => {
            sandbox::write_atomic(path, json::render_json(report).as_bytes())?;
            eprint!("{human_text}");
        }
    }
    Ok(exit_code(report))
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

/// 2 when an input path was unusable, else 1 when any example failed, else 0.
pub fn exit_code(report: &crate::report::Report) -> i32 {
    let input_problem = report.problems.iter().any(|p| {
        p.subject.is_some()
            && report
                .toolchains
                .iter()
                .all(|t| Some(&t.name) != p.subject.as_ref())
    });
    if input_problem {
        exit::USAGE
    } else if report.snippets.iter().any(|s| s.status == Status::Fail) {
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
        assert_eq!(args.format, Format::Json);
        assert!(Args::try_parse_from(["snipcheck", "--format", "yaml"]).is_err());
    }
}
