//! `cargo xtask bench`: how fast snipcheck is, compared with the alternatives.
//!
//! snipcheck's reason to exist is that checking thousands of documentation
//! examples one crate at a time is too slow to run on every change. This task
//! measures that claim on generated corpora instead of asserting it: the same
//! Markdown is checked by snipcheck (cold, warm, after one edit, one crate per
//! snippet), by the naive approach (a crate and a target dir per snippet, `cargo
//! clippy` each) and by `rustdoc --test`, side by side in one run on one machine.
//!
//! snipcheck confines its builds by default (`src/confine.rs`), and that has a
//! price: the confining parent started before every cargo process, the probe,
//! the `cargo fetch` before an offline build. So the cold and the warm run are
//! each repeated at once with `--unconfined`, in folders of their own, a few
//! times (`--confinement-runs`, the twin that goes first alternating), and the
//! run prints the ratio of the twins' medians, confined / unconfined, per mix,
//! size and temperature, flagging a cold ratio above [`CONFINEMENT_AIM`] (it
//! does not fail: a few runs on a shared machine are evidence, not a verdict).
//!
//! How it measures: every approach runs inside a fresh child process (`xtask
//! bench-one PLAN`), which starts the approach's commands, waits for them and
//! reads `getrusage(RUSAGE_CHILDREN)`: user + system time of every descendant
//! that was waited for (cargo waits for its rustc and clippy-driver processes),
//! and the largest resident set of any single one of them. Because the
//! measuring process is new for every approach, the "max RSS so far" that
//! `RUSAGE_CHILDREN` keeps cannot leak from one approach into the next. Wall
//! time is taken around the commands in the same process.
//!
//! Corpora come from the templates in `bench/templates/`, so the measured code is
//! committed and every snippet is unique (`__N__` becomes the snippet number).
//! Everything the bench writes goes under `sandbox/bench/` and `--out`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail, ensure};
use clap::Parser;
use serde::{Deserialize, Serialize};
use snipcheck::error::exit;

/// Rust snippets per generated Markdown document.
const SNIPPETS_PER_DOC: usize = 50;
/// A non-Rust block after every this many Rust snippets.
const OTHER_BLOCK_EVERY: usize = 7;
/// A new `##` section after every this many Rust snippets.
const SECTION_EVERY: usize = 10;
/// Lines of a failed command's stderr shown in the error.
const STDERR_TAIL: usize = 25;
/// Environment a parent cargo or the user's shell may set that would change the
/// measured builds (the same list snipcheck scrubs for its own cargo runs).
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "RUSTUP_TOOLCHAIN",
    "CARGO",
    "RUSTC",
    "RUSTDOC",
];

/// Measure snipcheck against one-crate-per-snippet builds and rustdoc --test.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask bench")]
struct BenchArgs {
    /// Corpus sizes, in Rust snippets.
    #[arg(long, value_delimiter = ',', default_values_t = [100usize, 1000, 5000])]
    sizes: Vec<usize>,
    /// Snippets the naive approach really builds; its time is scaled to each size.
    #[arg(long, default_value_t = 100)]
    naive_sample: usize,
    /// Largest size at which crate-per-snippet and rustdoc --test are measured
    /// for real; larger sizes get their time scaled linearly from the largest
    /// measured size (snipcheck itself is always measured).
    #[arg(long, default_value_t = 1000)]
    alternatives_up_to: usize,
    /// Corpus mixes: `std` (standard library only) and `deps` (serde, tokio, thiserror).
    #[arg(long, value_delimiter = ',', default_values = ["std", "deps"])]
    mixes: Vec<String>,
    /// Cold and warm runs of snipcheck, confined and with --unconfined, behind
    /// each confinement ratio (medians). The first pair is the table's rows;
    /// each further pair runs in fresh folders, the twin that goes first
    /// alternating, so that a busy moment of the machine does not decide the ratio.
    #[arg(long, default_value_t = 3, value_name = "N")]
    confinement_runs: usize,
    /// Where `latest.json` and `latest.svg` go [default: bench/results; with
    /// --smoke a temporary folder under sandbox/bench].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// A quick run for CI: std mix, 10 snippets, naive sample 2, 2 confinement runs; checks that every
    /// approach ran and the results were written, and leaves bench/README.md alone.
    #[arg(long)]
    smoke: bool,
}

// ---------------------------------------------------------------------------
// Templates and corpora (pure)
// ---------------------------------------------------------------------------

/// How a snippet is compiled: as statements wrapped in `fn main`, as a library,
/// or as a binary with its own `fn main`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Stmts,
    Items,
    Main,
}

/// What the checkers should say about a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Pass,
    Warn,
    Fail,
}

/// A crate a template needs, with the features snipcheck would infer for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Dep {
    name: String,
    features: Vec<String>,
}

#[derive(Debug, Clone)]
struct Template {
    kind: Kind,
    expect: Expect,
    deps: Vec<Dep>,
    text: String,
}

/// One generated Rust snippet.
#[derive(Debug, Clone)]
struct Snippet {
    number: usize,
    kind: Kind,
    expect: Expect,
    deps: Vec<Dep>,
    text: String,
}

/// A corpus mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Mix {
    Std,
    Deps,
}

impl Mix {
    fn parse(name: &str) -> Result<Mix> {
        match name.trim() {
            "std" => Ok(Mix::Std),
            "deps" => Ok(Mix::Deps),
            other => bail!("unknown mix `{other}` (expected `std` or `deps`)"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mix::Std => "std",
            Mix::Deps => "deps",
        }
    }
}

/// Parses a template file: `=== KIND EXPECT [deps=...]` headers, each followed by
/// the template's text; lines before the first header are comments.
fn parse_templates(text: &str) -> Result<Vec<Template>> {
    let mut templates = Vec::new();
    let mut current: Option<(Kind, Expect, Vec<Dep>, Vec<&str>)> = None;
    for (index, line) in text.lines().enumerate() {
        if let Some(header) = line.strip_prefix("=== ") {
            if let Some((kind, expect, deps, lines)) = current.take() {
                templates.push(finish_template(kind, expect, deps, &lines));
            }
            let (kind, expect, deps) = parse_header(header)
                .with_context(|| format!("template header on line {}", index + 1))?;
            current = Some((kind, expect, deps, Vec::new()));
        } else if let Some((_, _, _, lines)) = current.as_mut() {
            lines.push(line);
        }
    }
    if let Some((kind, expect, deps, lines)) = current.take() {
        templates.push(finish_template(kind, expect, deps, &lines));
    }
    ensure!(
        !templates.is_empty(),
        "no `=== KIND EXPECT` template headers"
    );
    Ok(templates)
}

fn finish_template(kind: Kind, expect: Expect, deps: Vec<Dep>, lines: &[&str]) -> Template {
    let text = lines.join("\n").trim_end().to_string();
    Template {
        kind,
        expect,
        deps,
        text,
    }
}

fn parse_header(header: &str) -> Result<(Kind, Expect, Vec<Dep>)> {
    let mut words = header.split_whitespace();
    let kind = match words.next() {
        Some("stmts") => Kind::Stmts,
        Some("items") => Kind::Items,
        Some("main") => Kind::Main,
        other => bail!("kind {other:?} is not stmts, items or main"),
    };
    let expect = match words.next() {
        Some("pass") => Expect::Pass,
        Some("warn") => Expect::Warn,
        Some("fail") => Expect::Fail,
        other => bail!("expectation {other:?} is not pass, warn or fail"),
    };
    let mut deps = Vec::new();
    for word in words {
        let list = word
            .strip_prefix("deps=")
            .ok_or_else(|| anyhow!("unexpected `{word}` (only `deps=...` may follow)"))?;
        for item in list.split(',').filter(|s| !s.is_empty()) {
            deps.push(parse_dep(item)?);
        }
    }
    Ok((kind, expect, deps))
}

/// `tokio[macros+rt-multi-thread]` or `serde_json`.
fn parse_dep(item: &str) -> Result<Dep> {
    match item.split_once('[') {
        Some((name, rest)) => {
            let features = rest
                .strip_suffix(']')
                .ok_or_else(|| anyhow!("`{item}` lacks its closing `]`"))?;
            Ok(Dep {
                name: name.to_string(),
                features: features.split('+').map(str::to_string).collect(),
            })
        }
        None => Ok(Dep {
            name: item.to_string(),
            features: Vec::new(),
        }),
    }
}

/// The template snippet `index` of a corpus uses: `std` cycles through the std
/// templates; `deps` alternates a deps template and a std template.
fn template_for(mix: Mix, index: usize, std: &[Template], deps: &[Template]) -> Template {
    match mix {
        Mix::Std => std[index % std.len()].clone(),
        Mix::Deps if index.is_multiple_of(2) => deps[(index / 2) % deps.len()].clone(),
        Mix::Deps => std[(index / 2) % std.len()].clone(),
    }
}

/// The `size` snippets of a corpus, numbered from 1.
fn snippets(mix: Mix, size: usize, std: &[Template], deps: &[Template]) -> Vec<Snippet> {
    (0..size)
        .map(|index| {
            let template = template_for(mix, index, std, deps);
            let number = index + 1;
            Snippet {
                number,
                kind: template.kind,
                expect: template.expect,
                deps: template.deps,
                text: template.text.replace("__N__", &number.to_string()),
            }
        })
        .collect()
}

/// How many snippets of each expectation a corpus holds.
fn expected_counts(snippets: &[Snippet]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::from([("pass", 0), ("warn", 0), ("fail", 0)]);
    for snippet in snippets {
        let key = match snippet.expect {
            Expect::Pass => "pass",
            Expect::Warn => "warn",
            Expect::Fail => "fail",
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// A Markdown document of the corpus: a title, sections, prose, the Rust
/// snippets and some non-Rust blocks. `edited` prefixes that snippet (by its
/// position in the document) with a comment line, the "one edit" of the bench.
fn render_document(doc_index: usize, snippets: &[Snippet], edited: Option<usize>) -> String {
    let mut out = format!(
        "# Generated guide {doc_index:03}\n\nThis document was generated by `cargo xtask bench` \
         from the templates in `bench/templates/`.\n"
    );
    for (position, snippet) in snippets.iter().enumerate() {
        if position % SECTION_EVERY == 0 {
            let _ = write!(out, "\n## Section {}\n", position / SECTION_EVERY + 1);
        }
        let _ = write!(
            out,
            "\nExample {} shows one more way to use the API.\n\n```rust\n",
            snippet.number
        );
        if edited == Some(position) {
            out.push_str("// This line was added by the bench's one-snippet edit.\n");
        }
        out.push_str(&snippet.text);
        out.push_str("\n```\n");
        if position % OTHER_BLOCK_EVERY == OTHER_BLOCK_EVERY - 1 {
            out.push_str(&other_block(snippet.number));
        }
    }
    out
}

/// A non-Rust block, tagged so that neither snipcheck nor rustdoc compiles it.
fn other_block(number: usize) -> String {
    match number % 3 {
        0 => {
            format!("\nConfigure it:\n\n```toml\n[settings]\nid = {number}\nverbose = true\n```\n")
        }
        1 => format!("\nRun it:\n\n```sh\ncargo run --example demo-{number}\n```\n"),
        _ => format!("\nIt prints:\n\n```text\nexample {number}: ok\n```\n"),
    }
}

/// The source of the naive approach's crate for one snippet: the same wrapping
/// snipcheck and rustdoc use (statements in `fn main`, `#![allow(unused)]`).
fn naive_crate_files(snippet: &Snippet) -> (String, &'static str, String) {
    let mut manifest = format!(
        "[package]\nname = \"naive-{}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [workspace]\n\n[profile.dev]\ndebug = 0\n\n[dependencies]\n",
        snippet.number
    );
    for dep in &snippet.deps {
        let version = match dep.name.as_str() {
            "thiserror" => "2",
            _ => "1",
        };
        if dep.features.is_empty() {
            let _ = writeln!(manifest, "{} = \"{version}\"", dep.name);
        } else {
            let features: Vec<String> = dep.features.iter().map(|f| format!("\"{f}\"")).collect();
            let _ = writeln!(
                manifest,
                "{} = {{ version = \"{version}\", features = [{}] }}",
                dep.name,
                features.join(", ")
            );
        }
    }
    let (file, source) = match snippet.kind {
        Kind::Stmts => (
            "main.rs",
            format!("#![allow(unused)]\nfn main() {{\n{}\n}}\n", snippet.text),
        ),
        Kind::Items => ("lib.rs", format!("#![allow(unused)]\n{}\n", snippet.text)),
        Kind::Main => ("main.rs", format!("#![allow(unused)]\n{}\n", snippet.text)),
    };
    (manifest, file, source)
}

/// `count` snippet indices spread over the corpus and over the templates (a plain
/// stride would keep landing on the same few templates).
fn sample_indices(size: usize, count: usize) -> Vec<usize> {
    let count = count.min(size);
    if count == 0 {
        return Vec::new();
    }
    let stride = size / count;
    let mut picked: Vec<usize> = (0..count).map(|i| (i * stride + i) % size).collect();
    picked.sort_unstable();
    picked.dedup();
    picked
}

// ---------------------------------------------------------------------------
// Measuring: the plan a fresh child process runs, and what it reports
// ---------------------------------------------------------------------------

/// One command of a measured approach.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Step {
    program: String,
    args: Vec<String>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
    /// Where the command's stdout and stderr go (the stderr file gives the tail
    /// shown when a command fails).
    stdout: PathBuf,
    stderr: PathBuf,
}

/// What `xtask bench-one` measured.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Usage {
    wall_s: f64,
    user_s: f64,
    sys_s: f64,
    /// The largest resident set of any single descendant process, in KiB.
    max_rss_kib: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct BenchOneOutput {
    usage: Usage,
    /// Exit code per step (`None`: killed by a signal).
    exit_codes: Vec<Option<i32>>,
}

fn seconds(time: nix::sys::time::TimeVal) -> f64 {
    time.tv_sec() as f64 + time.tv_usec() as f64 / 1e6
}

/// `xtask bench-one PLAN.json`: runs the plan's steps one after the other and
/// prints what they cost (JSON on stdout). Started as a fresh process per
/// approach, so `RUSAGE_CHILDREN` covers exactly that approach.
pub fn bench_one(args: Vec<String>) -> Result<()> {
    let [plan_path] = args.as_slice() else {
        bail!("usage: xtask bench-one PLAN.json");
    };
    let plan_text =
        fs::read_to_string(plan_path).with_context(|| format!("read the plan `{plan_path}`"))?;
    let steps: Vec<Step> = serde_json::from_str(&plan_text)
        .with_context(|| format!("parse the plan `{plan_path}`"))?;
    use nix::sys::resource::{UsageWho, getrusage};
    let before = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage before the plan")?;
    let start = Instant::now();
    let mut exit_codes = Vec::new();
    for step in &steps {
        let stdout = fs::File::create(&step.stdout)
            .with_context(|| format!("create `{}`", step.stdout.display()))?;
        let stderr = fs::File::create(&step.stderr)
            .with_context(|| format!("create `{}`", step.stderr.display()))?;
        let mut command = Command::new(&step.program);
        command
            .args(&step.args)
            .current_dir(&step.cwd)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr);
        for var in SCRUBBED_ENV {
            command.env_remove(var);
        }
        command.envs(step.env.iter().map(|(k, v)| (k, v)));
        let status = command
            .status()
            .with_context(|| format!("start `{}`", display_step(step)))?;
        exit_codes.push(status.code());
    }
    let wall = start.elapsed();
    let after = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage after the plan")?;
    let usage = Usage {
        wall_s: wall.as_secs_f64(),
        user_s: seconds(after.user_time()) - seconds(before.user_time()),
        sys_s: seconds(after.system_time()) - seconds(before.system_time()),
        max_rss_kib: u64::try_from(after.max_rss()).unwrap_or(0),
    };
    let output = BenchOneOutput { usage, exit_codes };
    println!("{}", serde_json::to_string(&output)?);
    Ok(())
}

fn display_step(step: &Step) -> String {
    std::iter::once(step.program.as_str())
        .chain(step.args.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last lines of a file, for error messages.
fn tail(path: &Path, lines: usize) -> String {
    let mut text = String::new();
    if let Ok(mut file) = fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `steps` in a fresh `xtask bench-one` process and checks every exit code
/// is one of `ok_codes` (a failing example is not a failing command).
fn measure(work: &Path, label: &str, steps: &[Step], ok_codes: &[i32]) -> Result<BenchOneOutput> {
    let plan = work.join(format!("plan-{}.json", slug(label)));
    fs::write(&plan, serde_json::to_string_pretty(steps)?)
        .with_context(|| format!("write `{}`", plan.display()))?;
    let exe = std::env::current_exe().context("find the xtask binary to re-run")?;
    let output = Command::new(&exe)
        .arg("bench-one")
        .arg(&plan)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("start `{} bench-one`", exe.display()))?;
    ensure!(
        output.status.success(),
        "`xtask bench-one` for {label} failed ({})",
        output.status
    );
    let result: BenchOneOutput = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("read what `xtask bench-one` measured for {label}"))?;
    for (step, code) in steps.iter().zip(&result.exit_codes) {
        if !code.is_some_and(|c| ok_codes.contains(&c)) {
            bail!(
                "{label}: `{}` exited with {code:?} (expected one of {ok_codes:?}); stderr ends:\n{}",
                display_step(step),
                tail(&step.stderr, STDERR_TAIL)
            );
        }
    }
    Ok(result)
}

fn slug(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Runs a setup command (not measured), failing with its stderr tail.
fn run_checked(mut command: Command, what: &str) -> Result<String> {
    for var in SCRUBBED_ENV {
        command.env_remove(var);
    }
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("start {what}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        bail!(
            "{what} failed ({}); stderr ends:\n{}",
            output.status,
            lines[lines.len().saturating_sub(STDERR_TAIL)..].join("\n")
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

// ---------------------------------------------------------------------------
// Results (plain data)
// ---------------------------------------------------------------------------

/// The approaches, in the order tables and plots show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Approach {
    SnipcheckCold,
    SnipcheckWarm,
    SnipcheckEdit,
    SnipcheckNewToolchain,
    SnipcheckColdUnconfined,
    SnipcheckWarmUnconfined,
    CratePerSnippet,
    Naive,
    Rustdoc,
}

impl Approach {
    /// Every measured approach: the rows of the printed tables and of `latest.json`.
    const ALL: [Approach; 9] = [
        Approach::SnipcheckCold,
        Approach::SnipcheckWarm,
        Approach::SnipcheckEdit,
        Approach::SnipcheckNewToolchain,
        Approach::SnipcheckColdUnconfined,
        Approach::SnipcheckWarmUnconfined,
        Approach::CratePerSnippet,
        Approach::Naive,
        Approach::Rustdoc,
    ];

    /// The approaches the table of `bench/README.md` and the plot set side by side. The
    /// `--unconfined` runs are left out: they answer another question (what
    /// confinement costs), which has a table of its own.
    const COMPARED: [Approach; 7] = [
        Approach::SnipcheckCold,
        Approach::SnipcheckWarm,
        Approach::SnipcheckEdit,
        Approach::SnipcheckNewToolchain,
        Approach::CratePerSnippet,
        Approach::Naive,
        Approach::Rustdoc,
    ];

    fn label(self) -> &'static str {
        match self {
            Approach::SnipcheckCold => "snipcheck cold",
            Approach::SnipcheckWarm => "snipcheck warm",
            Approach::SnipcheckEdit => "snipcheck, 1 edit",
            Approach::SnipcheckNewToolchain => "snipcheck, new toolchain",
            Approach::SnipcheckColdUnconfined => "snipcheck cold, unconfined",
            Approach::SnipcheckWarmUnconfined => "snipcheck warm, unconfined",
            Approach::CratePerSnippet => "crate per snippet",
            Approach::Naive => "naive (scaled)",
            Approach::Rustdoc => "rustdoc --test",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Approach::SnipcheckCold => {
                "snipcheck --toolchain stable --no-diagnose, fresh sandbox and fresh target dir"
            }
            Approach::SnipcheckWarm => "the same command again, nothing changed",
            Approach::SnipcheckEdit => {
                "the same command again after one snippet of one document was edited"
            }
            Approach::SnipcheckNewToolchain => {
                "the same command again with the result cache and the target dir deleted, as a \
                 new nightly or rustc makes every cached result stale, but the failure hints of \
                 the earlier runs kept: what a nightly job pays each day"
            }
            Approach::SnipcheckColdUnconfined => {
                "snipcheck cold's command with --unconfined (builds run without Landlock, \
                 namespaces or memory cap), its own fresh sandbox and target dir; measured right \
                 after snipcheck cold, whose builds are confined (the default)"
            }
            Approach::SnipcheckWarmUnconfined => {
                "the --unconfined command again, nothing changed; measured right after snipcheck \
                 warm"
            }
            Approach::CratePerSnippet => {
                "snipcheck --no-merge --no-cache: one crate per snippet, one shared target dir, cold"
            }
            Approach::Naive => {
                "one cargo crate and its own target dir per snippet, `cargo clippy --all-targets` \
                 each, sequentially; measured on a sample and scaled linearly (the crates are \
                 independent, so the cost is linear in their number)"
            }
            Approach::Rustdoc => {
                "`rustdoc --test --edition 2024 DOC.md` per document (std mix only); it also \
                 runs the examples, and does not run clippy"
            }
        }
    }
}

/// One measurement: an approach on a corpus.
#[derive(Debug, Clone, Serialize)]
struct Row {
    mix: Mix,
    size: usize,
    approach: Approach,
    wall_s: f64,
    cpu_s: f64,
    user_s: f64,
    sys_s: f64,
    max_rss_kib: u64,
    wall_per_snippet_ms: f64,
    /// For a scaled approach: how many snippets were really built.
    measured_snippets: usize,
    scaled: bool,
    /// snipcheck's own process (from its `SNIPCHECK_TRACE` file): peak resident
    /// set and CPU time without its cargo and rustc children.
    #[serde(skip_serializing_if = "Option::is_none")]
    snipcheck_self_max_rss_kib: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    snipcheck_self_cpu_s: Option<f64>,
    /// Where snipcheck's wall time went, phase by phase (its trace).
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<serde_json::Value>,
    /// A confinement twin's run after the first pair: which pair (from 2).
    #[serde(skip_serializing_if = "Option::is_none")]
    repeat: Option<usize>,
}

fn row(mix: Mix, size: usize, approach: Approach, usage: Usage) -> Row {
    Row {
        mix,
        size,
        approach,
        wall_s: usage.wall_s,
        cpu_s: usage.user_s + usage.sys_s,
        user_s: usage.user_s,
        sys_s: usage.sys_s,
        max_rss_kib: usage.max_rss_kib,
        wall_per_snippet_ms: usage.wall_s * 1000.0 / size.max(1) as f64,
        measured_snippets: size,
        scaled: false,
        snipcheck_self_max_rss_kib: None,
        snipcheck_self_cpu_s: None,
        profile: None,
        repeat: None,
    }
}

/// A sample measurement scaled linearly from `measured` snippets to `size`.
fn scaled_row(mix: Mix, size: usize, approach: Approach, sample: Usage, measured: usize) -> Row {
    let factor = size as f64 / measured.max(1) as f64;
    let scaled = Usage {
        wall_s: sample.wall_s * factor,
        user_s: sample.user_s * factor,
        sys_s: sample.sys_s * factor,
        max_rss_kib: sample.max_rss_kib,
    };
    Row {
        measured_snippets: measured,
        scaled: true,
        ..row(mix, size, approach, scaled)
    }
}

/// What snipcheck's own report said about a corpus (from its cold run).
#[derive(Debug, Clone, Serialize)]
struct CorpusInfo {
    mix: Mix,
    size: usize,
    documents: usize,
    expected: BTreeMap<&'static str, usize>,
    snipcheck_totals: serde_json::Value,
    /// The totals of the `--unconfined` cold run's report: confinement should
    /// change no verdict, so they should equal `snipcheck_totals`.
    unconfined_totals: serde_json::Value,
    naive_failed: Option<usize>,
}

/// The most confinement may cost a cold run: confined wall time over
/// `--unconfined` wall time (the issue's aim: at most 10 % more).
const CONFINEMENT_AIM: f64 = 1.10;

/// Which of snipcheck's runs a confinement ratio compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Temperature {
    /// Fresh sandbox and target dir.
    Cold,
    /// The same command again, nothing changed.
    Warm,
}

impl Temperature {
    fn name(self) -> &'static str {
        match self {
            Temperature::Cold => "cold",
            Temperature::Warm => "warm",
        }
    }

    /// The confined run and its `--unconfined` twin.
    fn approaches(self) -> (Approach, Approach) {
        match self {
            Temperature::Cold => (Approach::SnipcheckCold, Approach::SnipcheckColdUnconfined),
            Temperature::Warm => (Approach::SnipcheckWarm, Approach::SnipcheckWarmUnconfined),
        }
    }
}

/// What confinement costs on one corpus at one temperature: the confined
/// runs (the default) against the same command with `--unconfined`.
#[derive(Debug, Clone, Serialize)]
struct ConfinementCost {
    mix: Mix,
    size: usize,
    temperature: Temperature,
    /// Runs of each twin behind the medians (pairs).
    runs: usize,
    /// Median wall time of the confined runs.
    confined_wall_s: f64,
    unconfined_wall_s: f64,
    /// Confined over unconfined median wall time (`None` when the unconfined
    /// runs took no time).
    wall_ratio: Option<f64>,
    /// Median CPU time of every process.
    confined_cpu_s: f64,
    unconfined_cpu_s: f64,
    /// Confined over unconfined median CPU time: less moved by other load on
    /// the machine than wall time.
    cpu_ratio: Option<f64>,
    /// Each pair's own wall ratio, in the order the pairs ran.
    pair_wall_ratios: Vec<Option<f64>>,
    /// A cold run whose wall ratio is above [`CONFINEMENT_AIM`].
    over_aim: bool,
}

/// `a / b`, when `b` is a time.
fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// The median of some times (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The confinement ratios of every corpus that has both twins, by mix, size,
/// then cold before warm: the first pair from `rows`, the further pairs from
/// `repeats`.
fn confinement_costs(rows: &[Row], repeats: &[Row]) -> Vec<ConfinementCost> {
    let mut costs = Vec::new();
    for first in rows.iter().filter(|r| !r.scaled) {
        for temperature in [Temperature::Cold, Temperature::Warm] {
            let (confined, unconfined) = temperature.approaches();
            if first.approach != confined {
                continue;
            }
            let Some(twin) = find(rows, first.mix, first.size, unconfined) else {
                continue;
            };
            let runs_of = |approach: Approach, first: &Row| -> Vec<(f64, f64)> {
                std::iter::once(first)
                    .chain(repeats.iter().filter(|r| {
                        r.mix == first.mix && r.size == first.size && r.approach == approach
                    }))
                    .map(|r| (r.wall_s, r.cpu_s))
                    .collect()
            };
            let with = runs_of(confined, first);
            let without = runs_of(unconfined, twin);
            let walls = |runs: &[(f64, f64)]| runs.iter().map(|r| r.0).collect::<Vec<_>>();
            let cpus = |runs: &[(f64, f64)]| runs.iter().map(|r| r.1).collect::<Vec<_>>();
            let (confined_wall_s, unconfined_wall_s) =
                (median(&walls(&with)), median(&walls(&without)));
            let (confined_cpu_s, unconfined_cpu_s) =
                (median(&cpus(&with)), median(&cpus(&without)));
            let wall_ratio = ratio(confined_wall_s, unconfined_wall_s);
            costs.push(ConfinementCost {
                mix: first.mix,
                size: first.size,
                temperature,
                runs: with.len().min(without.len()),
                confined_wall_s,
                unconfined_wall_s,
                wall_ratio,
                confined_cpu_s,
                unconfined_cpu_s,
                cpu_ratio: ratio(confined_cpu_s, unconfined_cpu_s),
                pair_wall_ratios: with
                    .iter()
                    .zip(&without)
                    .map(|(a, b)| ratio(a.0, b.0))
                    .collect(),
                over_aim: temperature == Temperature::Cold
                    && wall_ratio.is_some_and(|r| r > CONFINEMENT_AIM),
            });
        }
    }
    costs.sort_by_key(|c| (c.mix, c.size, c.temperature));
    costs
}

#[derive(Debug, Serialize)]
struct Machine {
    nproc: usize,
    rustc: String,
    cargo: String,
    os: String,
    cpu: Option<String>,
    load_average_before: Option<String>,
    load_average_after: Option<String>,
}

#[derive(Debug, Serialize)]
struct Measured {
    commit: String,
    /// `git status --porcelain` of the files that make the binary, if any.
    uncommitted_changes: Vec<String>,
    binary: &'static str,
}

#[derive(Debug, Serialize)]
struct Results {
    schema: u32,
    command: String,
    finished_unix: u64,
    bench_seconds: f64,
    machine: Machine,
    snipcheck: Measured,
    sizes: Vec<usize>,
    naive_sample: usize,
    method: BTreeMap<&'static str, String>,
    approaches: BTreeMap<&'static str, &'static str>,
    corpora: Vec<CorpusInfo>,
    measurements: Vec<Row>,
    /// Confined against `--unconfined`, per mix, size and temperature (from
    /// `measurements` and `confinement_repeats`).
    confinement: Vec<ConfinementCost>,
    /// The confinement twins' cold and warm runs after the first pair, in the
    /// order they ran (`repeat` numbers the pair from 2).
    confinement_repeats: Vec<Row>,
}

// ---------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------

/// Folders of one run.
#[derive(Debug)]
struct Paths {
    root: PathBuf,
    /// `sandbox/bench/work`: corpora, sandboxes, target dirs, logs.
    work: PathBuf,
    snipcheck: PathBuf,
}

/// `cargo xtask bench [ARGS]`.
pub fn run(root: &Path, rest: Vec<String>) -> Result<i32> {
    let args = match parse_args(&rest) {
        Ok(args) => args,
        Err(code) => return Ok(code),
    };
    let started = Instant::now();
    let scope = Scope::of(&args)?;
    let folders = prepare_folders(root, &args)?;

    let load_before = fs::read_to_string("/proc/loadavg").ok();
    eprintln!("bench: building snipcheck (release) ...");
    let snipcheck = build_snipcheck(root, &folders.bench)?;
    let paths = Paths {
        root: root.to_path_buf(),
        work: folders.work,
        snipcheck,
    };
    let templates = Templates {
        std: load_templates(root, "std")?,
        deps: load_templates(root, "deps")?,
    };
    let rustdoc_available = tool_version("rustdoc").is_ok();
    if !rustdoc_available {
        eprintln!("bench: rustdoc is not installed; its rows are left out");
    }

    let Measurements {
        rows,
        repeats,
        corpora,
    } = measure_all(&paths, &scope, &templates, rustdoc_available)?;
    let results = Results {
        schema: 1,
        command: std::iter::once("cargo xtask bench".to_string())
            .chain(rest)
            .collect::<Vec<_>>()
            .join(" "),
        finished_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        bench_seconds: started.elapsed().as_secs_f64(),
        machine: machine_info(load_before, fs::read_to_string("/proc/loadavg").ok()),
        snipcheck: measured_commit(root),
        sizes: scope.sizes.clone(),
        naive_sample: scope.naive_sample,
        method: method_notes(),
        approaches: Approach::ALL
            .iter()
            .map(|a| (a.label(), a.description()))
            .collect(),
        corpora,
        confinement: confinement_costs(&rows, &repeats),
        measurements: rows,
        confinement_repeats: repeats,
    };
    let written = write_results(&folders.out, &results)?;
    if args.smoke {
        check_smoke(&results, &written.json, &written.svg, rustdoc_available)?;
        eprintln!(
            "bench: smoke run passed in {:.0} s (results in a temporary folder, now removed)",
            results.bench_seconds
        );
    } else {
        publish(&paths.root, &results, &written.svg)?;
    }
    eprintln!(
        "bench: done in {}",
        human_duration(Duration::from_secs_f64(results.bench_seconds))
    );
    // The smoke run's temporary results folder is removed here, after its check.
    drop(folders.smoke_out);
    Ok(exit::OK)
}

/// The parsed arguments, or the exit code when they are wrong (or `--help`
/// was asked for, which clap has already printed).
fn parse_args(rest: &[String]) -> std::result::Result<BenchArgs, i32> {
    let argv = std::iter::once("cargo xtask bench".to_string()).chain(rest.iter().cloned());
    BenchArgs::try_parse_from(argv).map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            exit::USAGE
        } else {
            exit::OK
        }
    })
}

/// What one run measures: the corpus sizes, mixes and naive sample from the
/// arguments, or the small fixed set of a `--smoke` run.
#[derive(Debug)]
struct Scope {
    sizes: Vec<usize>,
    naive_sample: usize,
    mixes: Vec<Mix>,
    alternatives_up_to: usize,
    confinement_runs: usize,
}

impl Scope {
    fn of(args: &BenchArgs) -> Result<Scope> {
        let confinement_runs = if args.smoke { 2 } else { args.confinement_runs };
        let (sizes, naive_sample, mixes) = if args.smoke {
            (vec![10], 2, vec![Mix::Std])
        } else {
            let mixes = args
                .mixes
                .iter()
                .map(|m| Mix::parse(m))
                .collect::<Result<Vec<_>>>()?;
            let mut sizes = args.sizes.clone();
            sizes.sort_unstable();
            sizes.dedup();
            (sizes, args.naive_sample, mixes)
        };
        ensure!(
            !sizes.is_empty() && sizes.iter().all(|&s| s > 0),
            "--sizes needs positive numbers"
        );
        ensure!(naive_sample > 0, "--naive-sample needs at least 1");
        ensure!(confinement_runs > 0, "--confinement-runs needs at least 1");
        Ok(Scope {
            sizes,
            naive_sample,
            mixes,
            alternatives_up_to: args.alternatives_up_to,
            confinement_runs,
        })
    }
}

/// The folders a run writes to, created.
#[derive(Debug)]
struct Folders {
    /// `sandbox/bench`.
    bench: PathBuf,
    /// `sandbox/bench/work`.
    work: PathBuf,
    /// Where `latest.json` and `latest.svg` go.
    out: PathBuf,
    /// A smoke run's temporary results folder (`out`), removed when dropped.
    smoke_out: Option<tempfile::TempDir>,
}

/// Claims the repository's sandbox and creates the bench's work and results folders.
fn prepare_folders(root: &Path, args: &BenchArgs) -> Result<Folders> {
    // Claim the repository's sandbox first (its marker), so that writing the
    // bench's folder into it never makes `cargo xtask verify` refuse it later.
    drop(
        snipcheck::sandbox::Sandbox::open(&root.join("sandbox"), &|_| {})
            .context("open the repository's sandbox")?,
    );
    let bench = root.join("sandbox").join("bench");
    let work = bench.join("work");
    fs::create_dir_all(&work).with_context(|| format!("create `{}`", work.display()))?;
    let smoke_out = if args.smoke && args.out.is_none() {
        Some(
            tempfile::Builder::new()
                .prefix("smoke-results-")
                .tempdir_in(&bench)
                .context("create the smoke run's results folder")?,
        )
    } else {
        None
    };
    let out = match (&smoke_out, &args.out) {
        (Some(dir), _) => dir.path().to_path_buf(),
        (None, Some(out)) => std::path::absolute(out)?,
        (None, None) => root.join("bench").join("results"),
    };
    fs::create_dir_all(&out).with_context(|| format!("create `{}`", out.display()))?;
    Ok(Folders {
        bench,
        work,
        out,
        smoke_out,
    })
}

/// The templates the corpora of both mixes are generated from.
#[derive(Debug)]
struct Templates {
    std: Vec<Template>,
    deps: Vec<Template>,
}

impl Templates {
    fn snippets(&self, mix: Mix, size: usize) -> Vec<Snippet> {
        snippets(mix, size, &self.std, &self.deps)
    }
}

/// What a run measured: the rows, the further confinement runs, what each corpus held.
#[derive(Debug)]
struct Measurements {
    /// One per mix, size and approach, sorted by mix, approach and size.
    rows: Vec<Row>,
    /// The confinement twins' runs after the first pair (`--confinement-runs`),
    /// in the order they ran.
    repeats: Vec<Row>,
    corpora: Vec<CorpusInfo>,
}

/// Measures every approach on every mix and size.
fn measure_all(
    paths: &Paths,
    scope: &Scope,
    templates: &Templates,
    rustdoc_available: bool,
) -> Result<Measurements> {
    let mut rows = Vec::new();
    let mut repeats = Vec::new();
    let mut corpora = Vec::new();
    for &mix in &scope.mixes {
        let (measured, infos) = measure_corpora(paths, scope, mix, templates, rustdoc_available)?;
        let (again, first): (Vec<Row>, Vec<Row>) =
            measured.into_iter().partition(|r| r.repeat.is_some());
        rows.extend(first);
        repeats.extend(again);
        corpora.extend(infos);
        let scaled = scale_alternatives(&rows, mix, &scope.sizes);
        rows.extend(scaled);
        let (naive, failed) = measure_naive_scaled(paths, scope, mix, templates)?;
        rows.extend(naive);
        for info in corpora.iter_mut().filter(|c| c.mix == mix) {
            info.naive_failed = Some(failed);
        }
    }
    rows.sort_by_key(|r| (r.mix, r.approach, r.size));
    Ok(Measurements {
        rows,
        repeats,
        corpora,
    })
}

/// Prepares the mix (registry, warm-up) and measures every approach but the
/// naive one on a corpus of each size.
fn measure_corpora(
    paths: &Paths,
    scope: &Scope,
    mix: Mix,
    templates: &Templates,
    rustdoc_available: bool,
) -> Result<(Vec<Row>, Vec<CorpusInfo>)> {
    if mix == Mix::Deps {
        prime_registry(paths, &templates.deps)?;
    }
    warm_up(paths, mix, &templates.snippets(mix, 10))?;
    let mut rows = Vec::new();
    let mut corpora = Vec::new();
    for &size in &scope.sizes {
        let all = templates.snippets(mix, size);
        let (mut measured, info) = measure_corpus(
            paths,
            mix,
            size,
            &all,
            size <= scope.alternatives_up_to,
            rustdoc_available && mix == Mix::Std,
            scope.confinement_runs,
        )?;
        rows.append(&mut measured);
        corpora.push(info);
    }
    Ok((rows, corpora))
}

/// Beyond --alternatives-up-to, the alternatives are scaled linearly from
/// the largest size they were measured at (their cost per snippet is flat).
fn scale_alternatives(rows: &[Row], mix: Mix, sizes: &[usize]) -> Vec<Row> {
    let mut scaled = Vec::new();
    for approach in [Approach::CratePerSnippet, Approach::Rustdoc] {
        let measured: Option<&Row> = rows
            .iter()
            .filter(|r| r.mix == mix && r.approach == approach && !r.scaled)
            .max_by_key(|r| r.size);
        let Some(base) = measured else { continue };
        for &size in sizes.iter().filter(|&&s| s > base.size) {
            let usage = Usage {
                wall_s: base.wall_s,
                user_s: base.user_s,
                sys_s: base.sys_s,
                max_rss_kib: base.max_rss_kib,
            };
            scaled.push(scaled_row(mix, size, approach, usage, base.size));
        }
    }
    scaled
}

/// The naive crates are independent of each other and of the corpus around
/// them: measures a sample once and scales it to every size. Also returns how
/// many of the sample failed.
fn measure_naive_scaled(
    paths: &Paths,
    scope: &Scope,
    mix: Mix,
    templates: &Templates,
) -> Result<(Vec<Row>, usize)> {
    let largest = scope.sizes.iter().copied().max().unwrap_or(1);
    let all = templates.snippets(mix, largest);
    let picked: Vec<Snippet> = sample_indices(largest, scope.naive_sample)
        .into_iter()
        .filter_map(|i| all.get(i).cloned())
        .collect();
    let (usage, failed) = measure_naive(paths, mix, &picked)?;
    let rows = scope
        .sizes
        .iter()
        .map(|&size| scaled_row(mix, size, Approach::Naive, usage, picked.len()))
        .collect();
    Ok((rows, failed))
}

/// Where the results were written.
#[derive(Debug)]
struct Written {
    json: PathBuf,
    svg: PathBuf,
}

/// Prints the tables and writes `latest.json` and `latest.svg` into `out`.
fn write_results(out: &Path, results: &Results) -> Result<Written> {
    println!("{}", render_tables(results));
    let json = out.join("latest.json");
    let svg = out.join("latest.svg");
    fs::write(&json, serde_json::to_string_pretty(results)? + "\n")
        .with_context(|| format!("write `{}`", json.display()))?;
    plot(&svg, results).with_context(|| format!("draw `{}`", svg.display()))?;
    eprintln!("bench: wrote {} and {}", json.display(), svg.display());
    Ok(Written { json, svg })
}

/// Updates the `## Speed` section of `bench/README.md` from a full run, when
/// the plot lies inside the repository (the section links to it).
fn publish(root: &Path, results: &Results, svg: &Path) -> Result<()> {
    if let Ok(relative) = svg.strip_prefix(root) {
        update_readme(root, results, &link_from_bench(relative))?;
        eprintln!("bench: updated the `## Speed` section of bench/README.md");
    } else {
        eprintln!("bench: --out lies outside the repository; bench/README.md left alone");
    }
    Ok(())
}

/// The link from `bench/README.md` to `path` (relative to the repository root).
fn link_from_bench(path: &Path) -> PathBuf {
    match path.strip_prefix("bench") {
        Ok(inside) => inside.to_path_buf(),
        Err(_) => Path::new("..").join(path),
    }
}

fn load_templates(root: &Path, mix: &str) -> Result<Vec<Template>> {
    let path = root
        .join("bench")
        .join("templates")
        .join(format!("{mix}.txt"));
    let text = fs::read_to_string(&path).with_context(|| format!("read `{}`", path.display()))?;
    parse_templates(&text).with_context(|| format!("parse `{}`", path.display()))
}

/// Builds this workspace's `snipcheck` in release mode, in the bench's own target
/// dir (or the caller's `CARGO_TARGET_DIR`, which saves a second release build).
fn build_snipcheck(root: &Path, bench: &Path) -> Result<PathBuf> {
    let target = match std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => std::path::absolute(PathBuf::from(dir))?,
        None => bench.join("build"),
    };
    let mut command = Command::new("cargo");
    command
        .args([
            "build",
            "--release",
            "--quiet",
            "--bin",
            "snipcheck",
            "--manifest-path",
        ])
        .arg(root.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        .stdout(Stdio::null());
    run_checked(command, "`cargo build --release --bin snipcheck`")?;
    let binary = target
        .join("release")
        .join(format!("snipcheck{}", std::env::consts::EXE_SUFFIX));
    ensure!(binary.is_file(), "no binary at `{}`", binary.display());
    Ok(binary)
}

fn tool_version(tool: &str) -> Result<String> {
    let mut command = Command::new(tool);
    command.arg("-V");
    for var in SCRUBBED_ENV {
        command.env_remove(var);
    }
    command.env("RUSTUP_TOOLCHAIN", "stable");
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("start `{tool} -V`"))?;
    ensure!(
        output.status.success(),
        "`{tool} -V` failed ({})",
        output.status
    );
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Downloads the deps mix's crates once, unmeasured, so no approach pays for the
/// first download from crates.io (cargo's download cache is shared by all).
fn prime_registry(paths: &Paths, deps: &[Template]) -> Result<()> {
    let dir = paths.work.join("prime");
    fs::create_dir_all(dir.join("src"))?;
    let mut all: Vec<Dep> = Vec::new();
    for dep in deps.iter().flat_map(|t| t.deps.iter()) {
        match all.iter_mut().find(|d| d.name == dep.name) {
            Some(known) => {
                for feature in &dep.features {
                    if !known.features.contains(feature) {
                        known.features.push(feature.clone());
                    }
                }
            }
            None => all.push(dep.clone()),
        }
    }
    let snippet = Snippet {
        number: 0,
        kind: Kind::Items,
        expect: Expect::Pass,
        deps: all,
        text: String::new(),
    };
    let (manifest, file, source) = naive_crate_files(&snippet);
    fs::write(dir.join("Cargo.toml"), manifest)?;
    fs::write(dir.join("src").join(file), source)?;
    eprintln!("bench: fetching the deps mix's crates (not measured) ...");
    let mut command = Command::new("cargo");
    command
        .args(["fetch", "--quiet"])
        .current_dir(&dir)
        .env("RUSTUP_TOOLCHAIN", "stable");
    run_checked(command, "`cargo fetch` for the deps mix")?;
    Ok(())
}

/// The snipcheck command on a corpus. The documents are named one by one: a
/// folder under `sandbox/` would be skipped by snipcheck's `.gitignore`-aware walk.
/// One unmeasured snipcheck run on a few snippets of the mix, so the first
/// measured approach does not also pay for cold OS file caches and cargo's
/// first look at the registry index.
fn warm_up(paths: &Paths, mix: Mix, few: &[Snippet]) -> Result<()> {
    let dir = paths.work.join(format!("{}-warm-up", mix.name()));
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("remove `{}`", dir.display()))?;
    }
    fs::create_dir_all(dir.join("docs"))?;
    fs::create_dir_all(paths.work.join("tmp"))?;
    let doc = dir.join("docs").join("guide-000.md");
    fs::write(&doc, render_document(0, few, None))?;
    eprintln!("bench: [{}] warming up (not measured) ...", mix.name());
    let step = snipcheck_step(paths, &dir, std::slice::from_ref(&doc), "warm-up", &[]);
    measure(&dir, &format!("{} warm-up", mix.name()), &[step], &[0, 1])?;
    let _ = fs::remove_dir_all(dir.join("warm-up-target"));
    Ok(())
}

fn snipcheck_step(paths: &Paths, dir: &Path, docs: &[PathBuf], name: &str, extra: &[&str]) -> Step {
    let mut args: Vec<String> = vec!["--specs".into()];
    args.extend(docs.iter().map(|d| d.display().to_string()));
    args.extend([
        "--sandbox".to_string(),
        dir.join(format!("{name}-sandbox")).display().to_string(),
        "--target-dir".to_string(),
        dir.join(format!("{name}-target")).display().to_string(),
        "--toolchain".to_string(),
        "stable".to_string(),
        "--no-diagnose".to_string(),
        "--no-progress".to_string(),
        "--color".to_string(),
        "never".to_string(),
        "--format".to_string(),
        format!("json={}", dir.join(format!("{name}-report.json")).display()),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    Step {
        program: paths.snipcheck.display().to_string(),
        args,
        cwd: dir.to_path_buf(),
        env: vec![
            (
                "TMPDIR".into(),
                paths.work.join("tmp").display().to_string(),
            ),
            (
                snipcheck::trace::ENV.into(),
                dir.join(format!("{name}-trace.json")).display().to_string(),
            ),
        ],
        stdout: dir.join(format!("{name}.stdout")),
        stderr: dir.join(format!("{name}.stderr")),
    }
}

/// The trace file a snipcheck step writes, if it is one.
fn trace_path(step: &Step) -> Option<&Path> {
    step.env
        .iter()
        .find(|(k, _)| k == snipcheck::trace::ENV)
        .map(|(_, v)| Path::new(v.as_str()))
}

fn read_trace(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_str(&fs::read_to_string(path).ok()?).ok()
}

/// A corpus written to disk: its folder and its documents.
#[derive(Debug)]
struct Corpus<'a> {
    mix: Mix,
    size: usize,
    dir: PathBuf,
    /// The snippets of each document, in order.
    documents: Vec<&'a [Snippet]>,
    doc_paths: Vec<PathBuf>,
}

impl Corpus<'_> {
    /// Rewrites document `index`, with its snippet `edited` prefixed by a comment line.
    fn write_document(&self, index: usize, edited: Option<usize>) -> Result<()> {
        let (Some(doc), Some(path)) = (self.documents.get(index), self.doc_paths.get(index)) else {
            return Ok(());
        };
        fs::write(path, render_document(index, doc, edited))
            .with_context(|| format!("write `{}`", path.display()))
    }
}

/// Writes the corpus's documents into a fresh folder.
fn write_corpus<'a>(
    paths: &Paths,
    mix: Mix,
    size: usize,
    all: &'a [Snippet],
) -> Result<Corpus<'a>> {
    let dir = paths.work.join(format!("{}-{size}", mix.name()));
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("remove `{}`", dir.display()))?;
    }
    let docs_dir = dir.join("docs");
    fs::create_dir_all(&docs_dir)?;
    fs::create_dir_all(paths.work.join("tmp"))?;
    let documents: Vec<&[Snippet]> = all.chunks(SNIPPETS_PER_DOC).collect();
    let doc_paths = (0..documents.len())
        .map(|index| docs_dir.join(format!("guide-{index:03}.md")))
        .collect();
    let corpus = Corpus {
        mix,
        size,
        dir,
        documents,
        doc_paths,
    };
    for index in 0..corpus.documents.len() {
        corpus.write_document(index, None)?;
    }
    Ok(corpus)
}

/// Measures `steps` as `approach` on the corpus, in a fresh `xtask bench-one`
/// process: its row, with snipcheck's own figures and profile when a step
/// wrote a trace.
fn timed(corpus: &Corpus<'_>, approach: Approach, steps: &[Step], ok: &[i32]) -> Result<Row> {
    timed_run(corpus, approach, None, steps, ok)
}

/// [`timed`], for the `repeat`th pair of the confinement twins when it is one.
fn timed_run(
    corpus: &Corpus<'_>,
    approach: Approach,
    repeat: Option<usize>,
    steps: &[Step],
    ok: &[i32],
) -> Result<Row> {
    let (mix, size) = (corpus.mix, corpus.size);
    let what = match repeat {
        Some(n) => format!("{}, run {n}", approach.label()),
        None => approach.label().to_string(),
    };
    eprint!("bench: [{} {size}] {what} ... ", mix.name());
    for trace in steps.iter().filter_map(trace_path) {
        let _ = fs::remove_file(trace);
    }
    let label = format!("{} {size} {what}", mix.name());
    let usage = measure(&corpus.dir, &label, steps, ok)?.usage;
    eprintln!("{:.1} s", usage.wall_s);
    let mut measured = row(mix, size, approach, usage);
    if let Some(trace) = steps.iter().find_map(trace_path).and_then(read_trace) {
        measured.snipcheck_self_max_rss_kib =
            trace.get("self_max_rss_kib").and_then(|v| v.as_u64());
        measured.snipcheck_self_cpu_s = trace.get("self_cpu_seconds").and_then(|v| v.as_f64());
        measured.profile = Some(trace);
    }
    measured.repeat = repeat;
    Ok(measured)
}

/// Writes the corpus and measures every approach but the naive one on it.
fn measure_corpus(
    paths: &Paths,
    mix: Mix,
    size: usize,
    all: &[Snippet],
    with_alternatives: bool,
    with_rustdoc: bool,
    confinement_runs: usize,
) -> Result<(Vec<Row>, CorpusInfo)> {
    let corpus = write_corpus(paths, mix, size, all)?;
    let (mut rows, [totals, unconfined_totals]) =
        measure_snipcheck_runs(paths, &corpus, confinement_runs)?;
    if with_alternatives {
        let per_crate = snipcheck_step(
            paths,
            &corpus.dir,
            &corpus.doc_paths,
            "per-crate",
            &["--no-merge", "--no-cache"],
        );
        rows.push(timed(
            &corpus,
            Approach::CratePerSnippet,
            &[per_crate],
            &[0, 1],
        )?);
    }
    if with_alternatives && with_rustdoc {
        rows.push(measure_rustdoc(paths, &corpus)?);
    }
    // The target dirs are the bulk of the disk use; the corpus and logs stay.
    for name in [
        "merged-target",
        "unconfined-target",
        "repeat-confined-target",
        "repeat-unconfined-target",
        "per-crate-target",
    ] {
        let _ = fs::remove_dir_all(corpus.dir.join(name));
    }
    let info = CorpusInfo {
        mix,
        size,
        documents: corpus.documents.len(),
        expected: expected_counts(all),
        snipcheck_totals: totals,
        unconfined_totals,
        naive_failed: None,
    };
    Ok((rows, info))
}

/// snipcheck's own runs on the corpus, in this order: cold, cold
/// `--unconfined`, warm, warm `--unconfined`, the further confinement pairs,
/// one edit, new toolchain. Each confined run is followed at once by its
/// `--unconfined` twin (in folders of its own), so the two meet the same
/// machine and their ratio is what confinement costs. Also returns the
/// totals of the two cold runs' reports (confined, unconfined). The corpus
/// is left with its one edit.
fn measure_snipcheck_runs(
    paths: &Paths,
    corpus: &Corpus<'_>,
    confinement_runs: usize,
) -> Result<(Vec<Row>, [serde_json::Value; 2])> {
    let dir = &corpus.dir;
    let main = snipcheck_step(paths, dir, &corpus.doc_paths, "merged", &[]);
    let unconfined = snipcheck_step(
        paths,
        dir,
        &corpus.doc_paths,
        "unconfined",
        &["--unconfined"],
    );
    let mut rows = vec![timed(
        corpus,
        Approach::SnipcheckCold,
        std::slice::from_ref(&main),
        &[0, 1],
    )?];
    let totals = report_totals(&dir.join("merged-report.json"))?;
    rows.push(timed(
        corpus,
        Approach::SnipcheckColdUnconfined,
        std::slice::from_ref(&unconfined),
        &[0, 1],
    )?);
    let unconfined_totals = report_totals(&dir.join("unconfined-report.json"))?;
    for (approach, step) in [
        (Approach::SnipcheckWarm, &main),
        (Approach::SnipcheckWarmUnconfined, &unconfined),
    ] {
        rows.push(timed(
            corpus,
            approach,
            std::slice::from_ref(step),
            &[0, 1],
        )?);
    }
    for repeat in 2..=confinement_runs {
        rows.extend(measure_confinement_pair(paths, corpus, repeat)?);
    }
    let middle = corpus.documents.len() / 2;
    let edited = corpus.documents.get(middle).map(|doc| doc.len() / 2);
    corpus.write_document(middle, edited)?;
    rows.push(timed(
        corpus,
        Approach::SnipcheckEdit,
        std::slice::from_ref(&main),
        &[0, 1],
    )?);
    // A new toolchain: every cached result is stale and nothing is compiled
    // for it yet; what the earlier runs learned of failures is kept.
    for stale in [
        dir.join("merged-target"),
        dir.join("merged-sandbox").join("cache"),
    ] {
        if stale.exists() {
            fs::remove_dir_all(&stale).with_context(|| format!("remove `{}`", stale.display()))?;
        }
    }
    rows.push(timed(
        corpus,
        Approach::SnipcheckNewToolchain,
        std::slice::from_ref(&main),
        &[0, 1],
    )?);
    Ok((rows, [totals, unconfined_totals]))
}

/// The `repeat`th pair of confinement twins: both cold in fresh folders,
/// then both warm. The first pair (the table's rows) starts with the confined
/// twin, so even pairs start with the `--unconfined` one: neither twin always
/// meets the machine first.
fn measure_confinement_pair(paths: &Paths, corpus: &Corpus<'_>, repeat: usize) -> Result<Vec<Row>> {
    let confined = (
        snipcheck_step(
            paths,
            &corpus.dir,
            &corpus.doc_paths,
            "repeat-confined",
            &[],
        ),
        Temperature::Cold.approaches().0,
        Temperature::Warm.approaches().0,
    );
    let unconfined = (
        snipcheck_step(
            paths,
            &corpus.dir,
            &corpus.doc_paths,
            "repeat-unconfined",
            &["--unconfined"],
        ),
        Temperature::Cold.approaches().1,
        Temperature::Warm.approaches().1,
    );
    let twins = if repeat.is_multiple_of(2) {
        [unconfined, confined]
    } else {
        [confined, unconfined]
    };
    for name in ["repeat-confined", "repeat-unconfined"] {
        for folder in ["sandbox", "target"] {
            let stale = corpus.dir.join(format!("{name}-{folder}"));
            if stale.exists() {
                fs::remove_dir_all(&stale)
                    .with_context(|| format!("remove `{}`", stale.display()))?;
            }
        }
    }
    // Every cold twin, then every warm one.
    let runs = twins
        .iter()
        .map(|(step, cold, _)| (step, *cold))
        .chain(twins.iter().map(|(step, _, warm)| (step, *warm)));
    let mut rows = Vec::new();
    for (step, run) in runs {
        rows.push(timed_run(
            corpus,
            run,
            Some(repeat),
            std::slice::from_ref(step),
            &[0, 1],
        )?);
    }
    Ok(rows)
}

/// The `totals` object of a snipcheck JSON report.
fn report_totals(path: &Path) -> Result<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(path).with_context(|| format!("read `{}`", path.display()))?,
    )
    .with_context(|| format!("parse `{}`", path.display()))?;
    Ok(report
        .get("totals")
        .cloned()
        .unwrap_or(serde_json::Value::Null))
}

/// `rustdoc --test` on every document of the corpus, with the edit of the
/// snipcheck runs undone so rustdoc reads the same corpus as the cold run.
fn measure_rustdoc(paths: &Paths, corpus: &Corpus<'_>) -> Result<Row> {
    corpus.write_document(corpus.documents.len() / 2, None)?;
    let dir = &corpus.dir;
    let steps: Vec<Step> = corpus
        .doc_paths
        .iter()
        .enumerate()
        .map(|(index, doc)| Step {
            program: "rustdoc".into(),
            args: vec![
                "--test".into(),
                "--edition".into(),
                "2024".into(),
                doc.display().to_string(),
                "--test-args".into(),
                "--quiet".into(),
            ],
            cwd: dir.clone(),
            env: vec![
                ("RUSTUP_TOOLCHAIN".into(), "stable".into()),
                (
                    "TMPDIR".into(),
                    paths.work.join("tmp").display().to_string(),
                ),
            ],
            stdout: dir.join(format!("rustdoc-{index:03}.stdout")),
            stderr: dir.join(format!("rustdoc-{index:03}.stderr")),
        })
        .collect();
    // 101: some doctest failed, which the corpus does on purpose.
    timed(corpus, Approach::Rustdoc, &steps, &[0, 101])
}

/// Builds each sampled snippet as its own crate with its own target dir, `cargo
/// clippy` one after the other; returns the cost and how many failed.
fn measure_naive(paths: &Paths, mix: Mix, picked: &[Snippet]) -> Result<(Usage, usize)> {
    let dir = paths.work.join(format!("{}-naive", mix.name()));
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("remove `{}`", dir.display()))?;
    }
    let mut steps = Vec::new();
    for snippet in picked {
        let crate_dir = dir.join(format!("naive-{}", snippet.number));
        fs::create_dir_all(crate_dir.join("src"))?;
        let (manifest, file, source) = naive_crate_files(snippet);
        fs::write(crate_dir.join("Cargo.toml"), manifest)?;
        fs::write(crate_dir.join("src").join(file), source)?;
        steps.push(Step {
            program: "cargo".into(),
            args: vec![
                "clippy".into(),
                "--all-targets".into(),
                "--message-format=short".into(),
                "--target-dir".into(),
                crate_dir.join("target").display().to_string(),
            ],
            cwd: crate_dir.clone(),
            env: vec![
                ("RUSTUP_TOOLCHAIN".into(), "stable".into()),
                ("CARGO_TERM_COLOR".into(), "never".into()),
                (
                    "TMPDIR".into(),
                    paths.work.join("tmp").display().to_string(),
                ),
            ],
            stdout: crate_dir.join("clippy.stdout"),
            stderr: crate_dir.join("clippy.stderr"),
        });
    }
    eprint!(
        "bench: [{}] naive, {} crates ... ",
        mix.name(),
        picked.len()
    );
    let label = format!("{} naive", mix.name());
    let measured = measure(&dir, &label, &steps, &[0, 101])?;
    let usage = measured.usage;
    eprintln!("{:.1} s", usage.wall_s);
    // cargo exits with 101 when the crate does not compile.
    let failed = measured
        .exit_codes
        .iter()
        .filter(|&&code| code == Some(101))
        .count();
    for snippet in picked {
        let _ = fs::remove_dir_all(dir.join(format!("naive-{}", snippet.number)).join("target"));
    }
    Ok((usage, failed))
}

fn machine_info(load_before: Option<String>, load_after: Option<String>) -> Machine {
    let cpu = fs::read_to_string("/proc/cpuinfo").ok().and_then(|text| {
        text.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    });
    let trim = |s: Option<String>| s.map(|s| s.trim().to_string());
    Machine {
        nproc: std::thread::available_parallelism().map_or(1, |n| n.get()),
        rustc: tool_version("rustc").unwrap_or_else(|e| format!("unknown ({e})")),
        cargo: tool_version("cargo").unwrap_or_else(|e| format!("unknown ({e})")),
        os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
        cpu,
        load_average_before: trim(load_before),
        load_average_after: trim(load_after),
    }
}

fn measured_commit(root: &Path) -> Measured {
    let git = |args: &[&str]| {
        let mut command = Command::new("git");
        command.args(args).current_dir(root);
        run_checked(command, "git")
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|e| format!("unknown ({e})"));
    let uncommitted_changes = git(&[
        "status",
        "--porcelain",
        "--",
        "src",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .map(|s| s.lines().map(str::to_string).collect())
    .unwrap_or_default();
    Measured {
        commit,
        uncommitted_changes,
        binary: "cargo build --release --bin snipcheck, this working tree",
    }
}

fn method_notes() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            "process",
            "each approach runs in a fresh `xtask bench-one` process that starts its commands, \
             waits for them and reads getrusage(RUSAGE_CHILDREN)"
                .to_string(),
        ),
        (
            "cpu_s",
            "user + system time of every waited-for descendant (cargo, rustc, clippy-driver, \
             rustdoc, the doctest binaries)"
                .to_string(),
        ),
        (
            "max_rss_kib",
            "ru_maxrss of RUSAGE_CHILDREN: the largest resident set of any single descendant \
             process, not the sum of processes running at once"
                .to_string(),
        ),
        (
            "snipcheck_self_max_rss_kib",
            "the snipcheck process alone: getrusage(RUSAGE_SELF) at its end, from the file \
             SNIPCHECK_TRACE names (its cargo and rustc children excluded); snipcheck_self_cpu_s \
             likewise; profile is that file (wall time per phase)"
                .to_string(),
        ),
        (
            "wall_s",
            "elapsed time around the approach's commands, in the measuring process".to_string(),
        ),
        (
            "confinement",
            format!(
                "snipcheck's builds are confined by default; the cold and warm runs are repeated \
                 with --unconfined, each right after its confined twin, in folders of their own, \
                 and the pair runs --confinement-runs times (further pairs in fresh folders, \
                 confinement_repeats, the twin that goes first alternating); confinement lists \
                 the twins' median wall and CPU times and their ratio per mix, size and \
                 temperature, and flags (over_aim) a cold wall ratio above {CONFINEMENT_AIM:.2}"
            ),
        ),
        (
            "naive",
            "a sample of the corpus (spread over the templates) is built for real and scaled \
             linearly to each size; the crates are independent, so that is sound"
                .to_string(),
        ),
        (
            "registry",
            "crates.io downloads are fetched once before measuring (cargo's download cache is \
             shared by all approaches); snipcheck's cold run includes its own registry lookups"
                .to_string(),
        ),
        (
            "warm_up",
            "before each mix, one unmeasured snipcheck run on 10 snippets in a folder of its \
             own warms the OS file cache and cargo's registry index"
                .to_string(),
        ),
        (
            "load",
            "the machine was not reserved for the bench; the load average before and after is \
             recorded"
                .to_string(),
        ),
    ])
}

// ---------------------------------------------------------------------------
// Presentation (pure)
// ---------------------------------------------------------------------------

fn find(rows: &[Row], mix: Mix, size: usize, approach: Approach) -> Option<&Row> {
    rows.iter()
        .find(|r| r.mix == mix && r.size == size && r.approach == approach)
}

fn human_duration(duration: Duration) -> String {
    let s = duration.as_secs_f64();
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 100.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.0} min {:02.0} s", (s / 60.0).floor(), s % 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

fn secs(s: f64) -> String {
    human_duration(Duration::from_secs_f64(s.max(0.0)))
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// `this` relative to snipcheck cold: `12.3x slower` or `4.0x faster`.
fn versus_cold(cold: f64, this: f64) -> String {
    if cold <= 0.0 || this <= 0.0 {
        "-".to_string()
    } else if this >= cold {
        format!("cold is {:.1}x faster", this / cold)
    } else {
        format!("{:.1}x faster than cold", cold / this)
    }
}

fn mixes_of(results: &Results) -> Vec<Mix> {
    let mut mixes: Vec<Mix> = results.measurements.iter().map(|r| r.mix).collect();
    mixes.sort();
    mixes.dedup();
    mixes
}

/// The tables printed at the end of a run.
fn render_tables(results: &Results) -> String {
    let rows = &results.measurements;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nsnipcheck {} on {} cores, {}",
        short_commit(&results.snipcheck.commit),
        results.machine.nproc,
        results.machine.rustc
    );
    for mix in mixes_of(results) {
        let _ = writeln!(out, "\n== mix `{}` ==", mix.name());
        let _ = writeln!(
            out,
            "{:<20} {:>7} {:>12} {:>12} {:>9} {:>9} {:>12}  vs snipcheck cold",
            "approach", "snippets", "wall", "CPU", "peak RSS", "own RSS", "wall/snippet"
        );
        for approach in Approach::ALL {
            for &size in &results.sizes {
                let Some(r) = find(rows, mix, size, approach) else {
                    continue;
                };
                let cold = find(rows, mix, size, Approach::SnipcheckCold).map_or(0.0, |c| c.wall_s);
                let versus = if approach == Approach::SnipcheckCold {
                    String::new()
                } else {
                    versus_cold(cold, r.wall_s)
                };
                let _ = writeln!(
                    out,
                    "{:<20} {:>7} {:>12} {:>12} {:>9} {:>9} {:>10.1} ms  {versus}",
                    approach.label(),
                    r.size,
                    format!("{}{}", if r.scaled { "~" } else { "" }, secs(r.wall_s)),
                    secs(r.cpu_s),
                    mib(r.max_rss_kib),
                    r.snipcheck_self_max_rss_kib.map_or("-".to_string(), mib),
                    r.wall_per_snippet_ms
                );
            }
        }
        if let (Some(&small), Some(&large)) =
            (results.sizes.iter().min(), results.sizes.iter().max())
            && small != large
        {
            let _ = writeln!(
                out,
                "growth, wall({large}) / wall({small}) for {:.0}x the snippets:",
                large as f64 / small as f64
            );
            for approach in Approach::ALL {
                if let (Some(a), Some(b)) = (
                    find(rows, mix, small, approach),
                    find(rows, mix, large, approach),
                ) && a.wall_s > 0.0
                {
                    let _ = writeln!(
                        out,
                        "  {:<20} {:.1}x",
                        approach.label(),
                        b.wall_s / a.wall_s
                    );
                }
            }
        }
        out.push_str(&confinement_lines(&results.confinement, mix));
        for info in results.corpora.iter().filter(|c| c.mix == mix) {
            let _ = writeln!(
                out,
                "corpus check ({} snippets): templates expect {:?}; snipcheck said {}",
                info.size, info.expected, info.snipcheck_totals
            );
            if info.unconfined_totals != info.snipcheck_totals {
                let _ = writeln!(
                    out,
                    "  but with --unconfined it said {}: confinement changed verdicts",
                    info.unconfined_totals
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\nnaive: measured on {} snippets per mix and scaled linearly (independent crates).",
        results.naive_sample
    );
    if rows.iter().any(|r| r.approach == Approach::Rustdoc) {
        let _ = writeln!(
            out,
            "rustdoc --test also links and runs every example, and runs no clippy."
        );
    }
    let _ = writeln!(
        out,
        "peak RSS: the largest single process (ru_maxrss of RUSAGE_CHILDREN), not a sum; \
         own RSS: the snipcheck process alone (RUSAGE_SELF). `~`: scaled linearly."
    );
    out.push_str(&confinement_verdict(&results.confinement));
    out
}

/// `1.07x`, or `-` without a ratio.
fn times(ratio: Option<f64>) -> String {
    ratio.map_or("-".to_string(), |r| format!("{r:.2}x"))
}

/// The printed confinement ratios of one mix, each cold one above the aim flagged.
fn confinement_lines(costs: &[ConfinementCost], mix: Mix) -> String {
    let mut out = String::new();
    let costs: Vec<&ConfinementCost> = costs.iter().filter(|c| c.mix == mix).collect();
    if costs.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "confinement, confined (the default) / --unconfined, medians of each twin's runs \
         (aim: cold at most {CONFINEMENT_AIM:.2}x):"
    );
    for cost in costs {
        let pairs: Vec<String> = cost.pair_wall_ratios.iter().map(|&r| times(r)).collect();
        let _ = writeln!(
            out,
            "  {} {:>6} snippets, {} run(s): wall {} / {} = {}; CPU {} / {} = {}; wall ratio per pair {}{}",
            cost.temperature.name(),
            cost.size,
            cost.runs,
            secs(cost.confined_wall_s),
            secs(cost.unconfined_wall_s),
            times(cost.wall_ratio),
            secs(cost.confined_cpu_s),
            secs(cost.unconfined_cpu_s),
            times(cost.cpu_ratio),
            pairs.join(" "),
            if cost.over_aim {
                "  <- ABOVE THE AIM"
            } else {
                ""
            }
        );
    }
    out
}

/// The closing line on confinement: which cold runs were above the aim.
fn confinement_verdict(costs: &[ConfinementCost]) -> String {
    let cold: Vec<&ConfinementCost> = costs
        .iter()
        .filter(|c| c.temperature == Temperature::Cold)
        .collect();
    if cold.is_empty() {
        return String::new();
    }
    let over: Vec<String> = cold
        .iter()
        .filter(|c| c.over_aim)
        .map(|c| format!("{} {} ({})", c.mix.name(), c.size, times(c.wall_ratio)))
        .collect();
    if over.is_empty() {
        let largest = cold
            .iter()
            .filter_map(|c| c.wall_ratio)
            .fold(f64::NEG_INFINITY, f64::max);
        format!(
            "confinement: every cold run within the aim of {CONFINEMENT_AIM:.2}x its --unconfined \
             twin (largest {}).\n",
            times(largest.is_finite().then_some(largest))
        )
    } else {
        format!(
            "confinement: ABOVE THE AIM of {CONFINEMENT_AIM:.2}x cold, confined / --unconfined \
             wall time: {}. (Medians of a few runs on a machine not reserved for the bench; see \
             the CPU ratios and the ratio of each pair above.)\n",
            over.join(", ")
        )
    }
}

fn short_commit(commit: &str) -> &str {
    commit.get(..10).unwrap_or(commit)
}

/// The `## Speed` section of `bench/README.md`, rewritten by every full run.
fn readme_section(results: &Results, svg: &Path) -> String {
    let rows = &results.measurements;
    let mut out = String::from("## Speed\n\n");
    out.push_str(
        "`cargo xtask bench` generates Markdown corpora from the snippet templates in \
         `bench/templates/` (about 60 templates: statements, items, programs with `fn main`, \
         some with clippy warnings, a few failing on purpose; a `std` mix and a `deps` mix \
         using serde, serde_json, tokio and thiserror) and checks the same documents with \
         snipcheck and with the alternatives, side by side, on one machine:\n\n",
    );
    out.push_str(
        "```sh\ncargo xtask bench                        # sizes 100, 1000 and 5000\n\
         cargo xtask bench --sizes 100,1000       # a shorter run\n\
         cargo xtask bench --smoke                # does every approach run? (CI, under a minute)\n```\n\n",
    );
    let _ = writeln!(
        out,
        "![wall time against snippet count]({})\n",
        svg.display()
    );
    let _ = writeln!(
        out,
        "Latest run: `{}` on snipcheck `{}`, {} cores, {}; the whole bench took {}. Wall time per \
         approach, and how snipcheck's cold run compares with it:\n",
        results.command,
        short_commit(&results.snipcheck.commit),
        results.machine.nproc,
        results.machine.rustc,
        secs(results.bench_seconds)
    );
    out.push_str("| mix | snippets |");
    for approach in Approach::COMPARED {
        let _ = write!(out, " {} |", approach.label());
    }
    out.push_str("\n|---|---:|");
    for _ in Approach::COMPARED {
        out.push_str("---|");
    }
    out.push('\n');
    for mix in mixes_of(results) {
        for &size in &results.sizes {
            let cold = find(rows, mix, size, Approach::SnipcheckCold).map_or(0.0, |c| c.wall_s);
            let _ = write!(out, "| {} | {size} |", mix.name());
            for approach in Approach::COMPARED {
                match find(rows, mix, size, approach) {
                    Some(r) if approach == Approach::SnipcheckCold => {
                        let _ = write!(out, " {} |", secs(r.wall_s));
                    }
                    Some(r) => {
                        let scaled = if r.scaled && approach != Approach::Naive {
                            "~"
                        } else {
                            ""
                        };
                        let _ = write!(
                            out,
                            " {scaled}{} ({}) |",
                            secs(r.wall_s),
                            versus_cold(cold, r.wall_s)
                        );
                    }
                    None => out.push_str(" - |"),
                }
            }
            out.push('\n');
        }
    }
    out.push_str(&growth_and_profile(results));
    out.push_str(&confinement_table(&results.confinement));
    out.push_str(
        "\nWhat each number includes. Every snipcheck run is `snipcheck --toolchain stable \
         --no-diagnose` (the same command for cold, warm and one edit): it checks with clippy \
         and reports, and runs no diagnosis variant builds, which no alternative does either. \
         *cold* starts with an empty sandbox and target dir, so it includes compiling the \
         dependencies, registry lookups (`cargo info`), `cargo metadata`, the primary merged \
         build and its re-merge rounds. *new toolchain* is the same command once more after \
         the result cache and the target dir are deleted, as a new nightly or rustc makes every \
         cached result stale, with the failure hints of the earlier runs kept: what a nightly \
         job pays each day. *crate per snippet* is `snipcheck --no-merge --no-cache` \
         (the same work, one crate per snippet, one shared target dir, cold). Every snipcheck \
         run above builds confined, the default (Landlock, namespaces, a memory cap per \
         process; see `SECURITY.md`); the confinement table compares its cold and warm runs \
         with the same command and `--unconfined`. *naive* is one \
         cargo crate and target dir per snippet, `cargo clippy --all-targets` each: a sample is \
         built for real and scaled linearly, which is sound because the crates are independent. \
         *rustdoc --test* (std mix only) also links and runs every example, and runs no clippy. \
         A `~` marks a time scaled linearly from the largest size the approach was measured at \
         (`--alternatives-up-to`, default 1000 snippets). Each approach runs in a fresh child \
         process that reads `getrusage(RUSAGE_CHILDREN)` after its commands, so its CPU time \
         (user + system of every process) and peak memory (the largest single process, \
         compilers included) belong to that approach alone; both are in \
         `bench/results/latest.json` with the machine's details and each snipcheck run's \
         phase profile. The machine was not reserved for the run.\n",
    );
    out
}

/// The table of what confinement costs: snipcheck's cold and warm
/// runs, confined (the default) and with `--unconfined`.
fn confinement_table(costs: &[ConfinementCost]) -> String {
    if costs.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nWhat confinement costs. *cold* and *warm* are run again with `--unconfined`, each right \
         after its confined twin and in folders of its own, and the pair is repeated \
         (`--confinement-runs`, in fresh folders, the twin that goes first alternating); times \
         are each twin's median, the ratio is confined over unconfined (aim: at most \
         {CONFINEMENT_AIM:.2}x cold; **bold** when above it). CPU is every process's, which other \
         load on the machine moves less than wall time:\n\n\
         | mix | snippets | run | pairs | wall, confined | wall, unconfined | wall ratio | CPU ratio |\n\
         |---|---:|---|---:|---:|---:|---:|---:|\n"
    );
    for cost in costs {
        let wall_ratio = if cost.over_aim {
            format!("**{}**", times(cost.wall_ratio))
        } else {
            times(cost.wall_ratio)
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {wall_ratio} | {} |",
            cost.mix.name(),
            cost.size,
            cost.temperature.name(),
            cost.runs,
            secs(cost.confined_wall_s),
            secs(cost.unconfined_wall_s),
            times(cost.cpu_ratio),
        );
    }
    out
}

/// The growth table (time per snippet, snipcheck's own memory) and,
/// per mix at the largest size, where snipcheck's cold wall time went.
fn growth_and_profile(results: &Results) -> String {
    let rows = &results.measurements;
    let mut out = String::from(
        "\nGrowth and memory of the cold run. *own peak RSS* and *own CPU* are the snipcheck \
         process alone (`getrusage(RUSAGE_SELF)` at its end, written to its `SNIPCHECK_TRACE` \
         file); *CPU, all processes* adds every cargo, rustc and clippy-driver it started:\n\n\
         | mix | snippets | cold wall per snippet | CPU, all processes | own CPU | own peak RSS |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for mix in mixes_of(results) {
        for &size in &results.sizes {
            let Some(r) = find(rows, mix, size, Approach::SnipcheckCold) else {
                continue;
            };
            let _ = writeln!(
                out,
                "| {} | {size} | {:.1} ms | {} | {} | {} |",
                mix.name(),
                r.wall_per_snippet_ms,
                secs(r.cpu_s),
                r.snipcheck_self_cpu_s.map_or("-".to_string(), secs),
                r.snipcheck_self_max_rss_kib.map_or("-".to_string(), mib),
            );
        }
    }
    for mix in mixes_of(results) {
        let Some(&size) = results.sizes.iter().max() else {
            continue;
        };
        let Some(phases) = find(rows, mix, size, Approach::SnipcheckCold)
            .and_then(|r| r.profile.as_ref())
            .and_then(|p| p.get("phases"))
            .and_then(|p| p.as_array())
        else {
            continue;
        };
        let parts: Vec<String> = phases
            .iter()
            .filter_map(|p| {
                let name = p.get("name")?.as_str()?;
                let seconds = p.get("seconds")?.as_f64()?;
                // Rounds are listed by their builds; their own line would count them twice.
                (seconds >= 0.05 && !name.starts_with("merge round")).then(|| {
                    match p.get("items").and_then(|i| i.as_u64()) {
                        Some(items) if name.ends_with("clippy") => {
                            format!("{name} {} ({items} crates)", secs(seconds))
                        }
                        _ => format!("{name} {}", secs(seconds)),
                    }
                })
            })
            .collect();
        let _ = writeln!(
            out,
            "\nWhere the cold run's wall time went, mix `{}`, {size} snippets (`ws: clippy` is \
             one cargo build: the first is the primary build, the next one each re-merge \
             round): {}.",
            mix.name(),
            parts.join("; ")
        );
    }
    out
}

/// Replaces (or adds, before `## Layout`) the `## Speed` section of
/// `bench/README.md`.
fn update_readme(root: &Path, results: &Results, svg: &Path) -> Result<()> {
    let path = root.join("bench").join("README.md");
    let text = fs::read_to_string(&path).with_context(|| format!("read `{}`", path.display()))?;
    let updated = replace_section(&text, &readme_section(results, svg));
    fs::write(&path, updated).with_context(|| format!("write `{}`", path.display()))
}

/// `text` with its `## Speed` section replaced by `section` (or inserted before
/// `## Layout`, or appended).
fn replace_section(text: &str, section: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| l.trim_end() == "## Speed");
    let (before, after): (String, String) = match start {
        Some(start) => {
            let end = lines[start + 1..]
                .iter()
                .position(|l| l.starts_with("## "))
                .map_or(lines.len(), |i| start + 1 + i);
            (lines[..start].concat(), lines[end..].concat())
        }
        None => match lines.iter().position(|l| l.trim_end() == "## Layout") {
            Some(at) => (lines[..at].concat(), lines[at..].concat()),
            None => (text.to_string(), String::new()),
        },
    };
    let mut out = before;
    if !out.is_empty() && !out.ends_with("\n\n") {
        out.push('\n');
    }
    out.push_str(section);
    if !after.is_empty() {
        out.push('\n');
        out.push_str(&after);
    }
    out
}

/// `--smoke`: every approach produced a row, and both result files exist.
fn check_smoke(results: &Results, json: &Path, svg: &Path, rustdoc: bool) -> Result<()> {
    for approach in Approach::ALL {
        if approach == Approach::Rustdoc && !rustdoc {
            continue;
        }
        let r = results
            .measurements
            .iter()
            .find(|r| r.approach == approach)
            .ok_or_else(|| anyhow!("smoke: no measurement for {}", approach.label()))?;
        ensure!(r.wall_s > 0.0, "smoke: {} took no time", approach.label());
    }
    for file in [json, svg] {
        let size = fs::metadata(file)
            .with_context(|| format!("smoke: `{}` was not written", file.display()))?
            .len();
        ensure!(size > 0, "smoke: `{}` is empty", file.display());
    }
    Ok(())
}

/// Time against snippet count, log-log, one panel per mix, one line per approach.
fn plot(path: &Path, results: &Results) -> Result<()> {
    use plotters::prelude::*;
    let mixes = mixes_of(results);
    let rows = &results.measurements;
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let xs: Vec<f64> = results.sizes.iter().map(|&s| s as f64).collect();
    let ys: Vec<f64> = rows
        .iter()
        .map(|r| r.wall_s)
        .filter(|&v| positive(v))
        .collect();
    let (xmin, xmax) = bounds(&xs);
    let (ymin, ymax) = bounds(&ys);
    let width = 560 * mixes.len().max(1) as u32;
    let root = SVGBackend::new(path, (width, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow!("{e}"))?;
    let panels = root.split_evenly((1, mixes.len().max(1)));
    let colors = [
        RGBColor(31, 119, 180),
        RGBColor(148, 103, 189),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(214, 39, 40),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
    ];
    for (panel, mix) in panels.iter().zip(&mixes) {
        let mut chart = ChartBuilder::on(panel)
            .caption(
                format!("mix `{}`: wall time per run", mix.name()),
                ("sans-serif", 20),
            )
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (xmin * 0.8..xmax * 1.25).log_scale(),
                (ymin * 0.5..ymax * 2.0).log_scale(),
            )
            .map_err(|e| anyhow!("{e}"))?;
        chart
            .configure_mesh()
            .x_desc("Rust snippets in the corpus (log)")
            .y_desc("wall time, seconds (log)")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| {
                if *y < 1.0 {
                    format!("{y:.2}")
                } else {
                    format!("{y:.0}")
                }
            })
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
        for (approach, color) in Approach::COMPARED.iter().zip(colors) {
            let points: Vec<(f64, f64)> = results
                .sizes
                .iter()
                .filter_map(|&size| find(rows, *mix, size, *approach))
                .filter(|r| positive(r.wall_s))
                .map(|r| (r.size as f64, r.wall_s))
                .collect();
            if points.is_empty() {
                continue;
            }
            let style = color.stroke_width(2);
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(|e| anyhow!("{e}"))?
                .label(approach.label())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                .map_err(|e| anyhow!("{e}"))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow!("{e}"))?;
    }
    root.present().map_err(|e| anyhow!("{e}"))?;
    Ok(())
}

/// The smallest and largest of positive values, with a fallback for no data.
fn bounds(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if min.is_finite() && max.is_finite() {
        (min, max)
    } else {
        (1.0, 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed_row(mix: Mix, approach: Approach, wall_s: f64, cpu_s: f64) -> Row {
        let usage = Usage {
            wall_s,
            user_s: cpu_s,
            sys_s: 0.0,
            max_rss_kib: 0,
        };
        row(mix, 1000, approach, usage)
    }

    #[test]
    fn the_plot_is_linked_from_bench_readme() {
        assert_eq!(
            link_from_bench(Path::new("bench/results/latest.svg")),
            Path::new("results/latest.svg")
        );
        assert_eq!(
            link_from_bench(Path::new("out/latest.svg")),
            Path::new("../out/latest.svg")
        );
    }

    #[test]
    fn a_full_run_rewrites_only_the_speed_section() {
        let text = "# Benchmarks\n\nIntro.\n\n## Speed\n\nold figures\n\n## What bounds the speed\n\nBy hand.\n";
        assert_eq!(
            replace_section(text, "## Speed\n\nnew figures\n"),
            "# Benchmarks\n\nIntro.\n\n## Speed\n\nnew figures\n\n## What bounds the speed\n\nBy hand.\n"
        );
    }

    #[test]
    fn confinement_is_confined_over_unconfined_and_cold_above_the_aim_is_flagged() {
        let rows = [
            timed_row(Mix::Std, Approach::SnipcheckCold, 3.3, 6.0),
            timed_row(Mix::Std, Approach::SnipcheckWarm, 0.5, 0.4),
            timed_row(Mix::Std, Approach::SnipcheckColdUnconfined, 3.0, 5.0),
            timed_row(Mix::Std, Approach::SnipcheckWarmUnconfined, 0.25, 0.2),
            timed_row(Mix::Deps, Approach::SnipcheckCold, 10.5, 20.0),
            timed_row(Mix::Deps, Approach::SnipcheckColdUnconfined, 10.0, 20.0),
            // No unconfined twin: no ratio.
            timed_row(Mix::Deps, Approach::SnipcheckWarm, 0.3, 0.3),
        ];
        let costs = confinement_costs(&rows, &[]);
        let seen: Vec<(Mix, Temperature, String, String, bool)> = costs
            .iter()
            .map(|c| {
                (
                    c.mix,
                    c.temperature,
                    times(c.wall_ratio),
                    times(c.cpu_ratio),
                    c.over_aim,
                )
            })
            .collect();
        let expected = [
            (Mix::Std, Temperature::Cold, "1.10x", "1.20x", false),
            (Mix::Std, Temperature::Warm, "2.00x", "2.00x", false),
            (Mix::Deps, Temperature::Cold, "1.05x", "1.00x", false),
        ]
        .map(|(mix, t, wall, cpu, over)| (mix, t, wall.to_string(), cpu.to_string(), over));
        assert_eq!(seen, expected);
        assert!(confinement_verdict(&costs).contains("within the aim"));

        let slower = [
            timed_row(Mix::Deps, Approach::SnipcheckCold, 12.0, 20.0),
            timed_row(Mix::Deps, Approach::SnipcheckColdUnconfined, 10.0, 20.0),
        ];
        let costs = confinement_costs(&slower, &[]);
        assert!(costs[0].over_aim);
        let verdict = confinement_verdict(&costs);
        assert!(verdict.contains("ABOVE THE AIM") && verdict.contains("deps 1000 (1.20x)"));
        assert!(confinement_lines(&costs, Mix::Deps).contains("<- ABOVE THE AIM"));
        assert!(
            confinement_table(&costs)
                .contains("| deps | 1000 | cold | 1 | 12.0 s | 10.0 s | **1.20x** | 1.00x |")
        );
        assert_eq!(confinement_verdict(&[]), "");
    }

    #[test]
    fn further_pairs_make_the_ratio_one_of_medians() {
        let again = |approach: Approach, wall_s: f64, repeat: usize| Row {
            repeat: Some(repeat),
            ..timed_row(Mix::Std, approach, wall_s, wall_s)
        };
        let rows = [
            timed_row(Mix::Std, Approach::SnipcheckCold, 4.0, 4.0),
            timed_row(Mix::Std, Approach::SnipcheckColdUnconfined, 3.0, 3.0),
        ];
        // A busy moment made the first confined run slow; the pairs after it
        // say confinement costs 2 %.
        let repeats = [
            again(Approach::SnipcheckColdUnconfined, 3.0, 2),
            again(Approach::SnipcheckCold, 3.06, 2),
            again(Approach::SnipcheckCold, 3.09, 3),
            again(Approach::SnipcheckColdUnconfined, 3.1, 3),
            // Another corpus's runs are not this one's.
            Row {
                size: 10,
                ..again(Approach::SnipcheckCold, 9.0, 2)
            },
        ];
        let costs = confinement_costs(&rows, &repeats);
        assert_eq!(costs.len(), 1);
        let cost = &costs[0];
        assert_eq!(cost.runs, 3);
        assert_eq!((cost.confined_wall_s, cost.unconfined_wall_s), (3.09, 3.0));
        assert_eq!(times(cost.wall_ratio), "1.03x");
        assert!(!cost.over_aim);
        let pairs: Vec<String> = cost.pair_wall_ratios.iter().map(|&r| times(r)).collect();
        assert_eq!(pairs, ["1.33x", "1.02x", "1.00x"]);
        assert_eq!(median(&[1.0, 4.0, 2.0, 3.0]), 2.5);
    }
}
