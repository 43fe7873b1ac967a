//! Cargo messages -> per-snippet diagnostics at Markdown locations, and verdicts.
//!
//! Every diagnostic is attributed to its snippet by the compiled target's source
//! path, its primary span is followed out of macro expansions into the snippet's
//! file, and the generated line is mapped back through the wrapper's line map and
//! the extractor's line origins to `file:line:column` of the Markdown document.
//! A span that lands in code snipcheck generated is marked `in_wrapper` and placed
//! at the fence line: every diagnostic points somewhere a maintainer can look.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cargo_metadata::Message;
use cargo_metadata::diagnostic::{Diagnostic as RustcDiagnostic, DiagnosticLevel, DiagnosticSpan};

use crate::analyze::{CodeLine, Expect};
use crate::cause;
use crate::report::{Cause, Diagnostic, Status};
use crate::wrap::WrappedSource;

/// How one scratch crate's generated source maps back to its document.
#[derive(Debug, Clone, Copy)]
pub struct UnitMap<'a> {
    /// Absolute path of the crate's source file.
    pub src_path: &'a Path,
    pub wrapped: &'a WrappedSource,
    pub lines: &'a [CodeLine],
    /// The document, as shown in reports.
    pub file: &'a str,
    pub fence_line: u32,
}

/// What a build said about one crate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UnitResult {
    pub diagnostics: Vec<Diagnostic>,
    /// Cargo reported a finished artifact for the crate.
    pub built: bool,
    /// rustc's suggested edits, in the generated file's coordinates (they are
    /// applied to the generated source by variant builds, and mapped back
    /// through the line map to be written into documents).
    pub suggestions: Vec<Suggestion>,
}

/// One suggestion of rustc or clippy: a help message and its candidate edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// `consider importing this struct`.
    pub message: String,
    /// The code and message of the diagnostic it belongs to.
    pub code: Option<String>,
    pub for_message: String,
    /// Alternative edits (one per candidate).
    pub candidates: Vec<Edit>,
    /// `MachineApplicable`, `MaybeIncorrect`, `HasPlaceholders`, `Unspecified`.
    pub applicability: Option<String>,
}

/// Replace generated lines/columns (1-based, columns in chars, end exclusive) with `text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub line_start: u32,
    pub column_start: u32,
    pub line_end: u32,
    pub column_end: u32,
    pub text: String,
}

impl Suggestion {
    /// The `use` line to insert and the generated line to insert it before, when
    /// this is an import suggestion with exactly one candidate.
    pub fn single_import(&self) -> Option<(u32, String)> {
        match self.imports().as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        }
    }

    /// Every `use` line this import suggestion offers (one per candidate, in
    /// rustc's order), with the generated line to insert it before.
    pub fn imports(&self) -> Vec<(u32, String)> {
        if !self.message.starts_with("consider importing") {
            return Vec::new();
        }
        self.candidates
            .iter()
            .filter(|edit| {
                edit.text.trim().starts_with("use ")
                    && edit.line_start == edit.line_end
                    && edit.column_start == edit.column_end
            })
            .map(|edit| (edit.line_start, edit.text.trim().to_string()))
            .collect()
    }
}

/// What makes two diagnostics the same: level, code, message and place.
type DiagnosticIdentity = (String, Option<String>, String, u32, u32);

/// How many child notes of one diagnostic are kept.
const MAX_NOTES: usize = 6;

/// Splits a build's messages per crate and places every diagnostic in its document.
/// `units` is keyed by an id of the caller's choosing; `workspace_dir` is where
/// relative span paths start.
pub fn attribute<K: Ord + Clone>(
    messages: &[Message],
    units: &BTreeMap<K, UnitMap<'_>>,
    workspace_dir: &Path,
) -> BTreeMap<K, UnitResult> {
    // Several units share a source path when snippets are merged into one crate.
    let mut by_src: BTreeMap<&Path, Vec<&K>> = BTreeMap::new();
    for (key, unit) in units {
        by_src.entry(unit.src_path).or_default().push(key);
    }
    let mut results: BTreeMap<K, UnitResult> = units
        .keys()
        .map(|k| (k.clone(), UnitResult::default()))
        .collect();
    let mut seen: BTreeMap<K, BTreeSet<DiagnosticIdentity>> = BTreeMap::new();
    for message in messages {
        match message {
            Message::CompilerArtifact(artifact) => {
                for key in by_src
                    .get(artifact.target.src_path.as_std_path())
                    .into_iter()
                    .flatten()
                {
                    if let Some(result) = results.get_mut(*key) {
                        result.built = true;
                    }
                }
            }
            Message::CompilerMessage(msg) => {
                let Some(candidates) = by_src.get(msg.target.src_path.as_std_path()) else {
                    continue;
                };
                if is_summary(&msg.message) {
                    continue;
                }
                // The unit whose lines the diagnostic points at; when no unit of a
                // merged crate owns it, every unit gets it, placed at its fence
                // (which makes the merged crate fall back to separate builds).
                let owners: Vec<&K> = match candidates.as_slice() {
                    [only] => vec![*only],
                    many => {
                        let owner = many.iter().copied().find(|key| {
                            units
                                .get(*key)
                                .is_some_and(|unit| owns(&msg.message, unit, workspace_dir))
                        });
                        owner.map_or_else(|| many.to_vec(), |owner| vec![owner])
                    }
                };
                for key in owners {
                    let (Some(unit), Some(result)) = (units.get(key), results.get_mut(key)) else {
                        continue;
                    };
                    let Some(diagnostic) = place(&msg.message, unit, workspace_dir) else {
                        continue;
                    };
                    let suggestions = suggestions(&msg.message, unit.src_path, workspace_dir);
                    let identity = (
                        diagnostic.level.clone(),
                        diagnostic.code.clone(),
                        diagnostic.message.clone(),
                        diagnostic.line,
                        diagnostic.column,
                    );
                    // A library checked as lib and as test reports its warnings twice.
                    if seen.entry(key.clone()).or_default().insert(identity) {
                        result.diagnostics.push(diagnostic);
                        result.suggestions.extend(suggestions);
                    }
                }
            }
            _ => {}
        }
    }
    results
}

/// Whether a diagnostic's primary span lies in lines the unit owns.
fn owns(diag: &RustcDiagnostic, unit: &UnitMap<'_>, workspace_dir: &Path) -> bool {
    let in_file = |span: &DiagnosticSpan| span_path(span, workspace_dir) == unit.src_path;
    diag.spans
        .iter()
        .filter(|s| s.is_primary)
        .find_map(|s| follow_into(s, &in_file))
        .and_then(|span| u32::try_from(span.line_start).ok())
        .is_some_and(|line| unit.wrapped.snippet_line(line).is_some())
}

/// Whether a compiler message is a summary line with nothing to place.
fn is_summary(diag: &RustcDiagnostic) -> bool {
    let m = diag.message.as_str();
    matches!(diag.level, DiagnosticLevel::FailureNote)
        || m.starts_with("aborting due to")
        || (diag.spans.is_empty()
            && (m.ends_with("warning emitted") || m.ends_with("warnings emitted")))
}

fn level_name(level: &DiagnosticLevel) -> &'static str {
    match level {
        DiagnosticLevel::Ice | DiagnosticLevel::Error => "error",
        DiagnosticLevel::Warning => "warning",
        DiagnosticLevel::Note | DiagnosticLevel::FailureNote => "note",
        DiagnosticLevel::Help => "help",
        _ => "note",
    }
}

/// Places one rustc diagnostic in the document, or drops it (`None`) when it is a summary.
fn place(diag: &RustcDiagnostic, unit: &UnitMap<'_>, workspace_dir: &Path) -> Option<Diagnostic> {
    if is_summary(diag) {
        return None;
    }
    let in_file = |span: &DiagnosticSpan| span_path(span, workspace_dir) == unit.src_path;
    let span = diag
        .spans
        .iter()
        .filter(|s| s.is_primary)
        .find_map(|s| follow_into(s, &in_file))
        .or_else(|| diag.spans.iter().find_map(|s| follow_into(s, &in_file)));
    let location = span.and_then(|s| map_span(s, unit));
    let (line, column, end_line, end_column, in_wrapper) = match location {
        Some((l, c, el, ec)) => (l, c, el, ec, false),
        None => (unit.fence_line, 1, unit.fence_line, 1, true),
    };
    let scratch = ScratchPaths::new(unit.src_path, workspace_dir);
    Some(Diagnostic {
        level: level_name(&diag.level).to_string(),
        code: diag.code.as_ref().map(|c| c.code.clone()),
        message: scratch.relative(&diag.message),
        file: unit.file.to_string(),
        line,
        column,
        end_line,
        end_column,
        label: span.and_then(|s| s.label.as_deref().map(|l| scratch.relative(l))),
        in_wrapper,
        notes: notes(diag).iter().map(|n| scratch.relative(n)).collect(),
    })
}

/// The scratch crate's and workspace's folders as rustc may print them in a
/// message (`error canonicalizing migration directory <crate>/./migrations`,
/// ``couldn't read `snippets/snip-<id>/src/../data.txt` ``), rewritten
/// relative to the snippet's crate (`./migrations`, `src/../data.txt`, the
/// workspace `../..`): the machine's sandbox, and which workspace or variant
/// crate built the snippet, never reach a report, and a variant's error reads
/// the same as the primary build's. The one place scratch paths leave
/// messages; rules are tried in order, the most specific first.
struct ScratchPaths {
    /// (folder as printed, the same folder relative to the crate).
    rules: Vec<(String, String)>,
}

impl ScratchPaths {
    fn new(src_path: &Path, workspace_dir: &Path) -> Self {
        let mut rules = Vec::new();
        // A root or empty folder would rewrite every path of the message.
        let mut rule = |path: &Path, relative: String| {
            if path.components().count() > 1 {
                rules.push((path.to_string_lossy().into_owned(), relative));
            }
        };
        // `<crate>/src/main.rs`: the crate is the source's folder's parent.
        let Some(crate_dir) = src_path.parent().and_then(Path::parent) else {
            return ScratchPaths { rules: Vec::new() };
        };
        rule(crate_dir, String::new());
        if let Ok(inside) = crate_dir.strip_prefix(workspace_dir) {
            // rustc runs in the workspace and prints its paths from there.
            rule(inside, String::new());
            let up = vec![".."; inside.components().count()].join("/");
            rule(workspace_dir, up);
        }
        ScratchPaths { rules }
    }

    /// `text` with every scratch path relative to the snippet's crate.
    fn relative(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (folder, relative) in &self.rules {
            if out.contains(folder.as_str()) {
                out = replace_folder(&out, folder, relative);
            }
        }
        out
    }
}

/// `text` with the folder `folder` (where it stands as a whole path
/// component, not as the start of a longer name: `snip-x` in `snip-x-v0`)
/// written `relative` (`""`: the folder itself, `.` when it stands alone).
fn replace_folder(text: &str, folder: &str, relative: &str) -> String {
    let name_char = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(folder) {
        let (before, after) = (&rest[..at], &rest[at + folder.len()..]);
        out.push_str(before);
        let joined = before.chars().next_back().is_some_and(name_char);
        match after.chars().next() {
            _ if joined => out.push_str(folder),
            Some(c) if name_char(c) => out.push_str(folder),
            Some('/') if relative.is_empty() => {
                rest = &after[1..];
                continue;
            }
            _ if relative.is_empty() => out.push('.'),
            _ => out.push_str(relative),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

fn span_path(span: &DiagnosticSpan, workspace_dir: &Path) -> PathBuf {
    let path = Path::new(&span.file_name);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        workspace_dir.join(path)
    }
}

/// The span itself if it lies in the file, else the first macro call site on its
/// expansion chain that does.
fn follow_into<'s>(
    span: &'s DiagnosticSpan,
    in_file: &dyn Fn(&DiagnosticSpan) -> bool,
) -> Option<&'s DiagnosticSpan> {
    let mut current = span;
    loop {
        if in_file(current) {
            return Some(current);
        }
        current = &current.expansion.as_ref()?.span;
    }
}

/// Maps a span of the generated file to document (line, column, end line, end column);
/// `None` when its start lies in wrapper code.
fn map_span(span: &DiagnosticSpan, unit: &UnitMap<'_>) -> Option<(u32, u32, u32, u32)> {
    let start_line = unit
        .wrapped
        .snippet_line(u32::try_from(span.line_start).ok()?)?;
    let start = unit.lines.get(start_line as usize)?;
    let line = start.origin.line;
    let column = start.doc_column(u32::try_from(span.column_start).ok()?);
    let end = u32::try_from(span.line_end)
        .ok()
        .and_then(|l| unit.wrapped.snippet_line(l))
        .and_then(|l| unit.lines.get(l as usize))
        .zip(u32::try_from(span.column_end).ok());
    let (end_line, end_column) = match end {
        Some((end, column_end)) => (end.origin.line, end.doc_column(column_end)),
        None => (line, column),
    };
    Some((line, column, end_line, end_column))
}

/// The suggested edits of a diagnostic's children that apply to the crate's own file.
fn suggestions(diag: &RustcDiagnostic, src_path: &Path, workspace_dir: &Path) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for child in &diag.children {
        let candidates: Vec<Edit> = child
            .spans
            .iter()
            .filter(|s| span_path(s, workspace_dir) == src_path)
            .filter_map(|s| {
                Some(Edit {
                    line_start: u32::try_from(s.line_start).ok()?,
                    column_start: u32::try_from(s.column_start).ok()?,
                    line_end: u32::try_from(s.line_end).ok()?,
                    column_end: u32::try_from(s.column_end).ok()?,
                    text: s.suggested_replacement.clone()?,
                })
            })
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let applicability = child
            .spans
            .iter()
            .find_map(|s| s.suggestion_applicability.as_ref())
            .map(|a| format!("{a:?}"));
        out.push(Suggestion {
            message: child.message.clone(),
            code: diag.code.as_ref().map(|c| c.code.clone()),
            for_message: diag.message.clone(),
            candidates,
            applicability,
        });
    }
    out
}

/// Child notes and help, one line each, with rustc's suggested code when it has one.
fn notes(diag: &RustcDiagnostic) -> Vec<String> {
    let mut out = Vec::new();
    for child in &diag.children {
        // rustc says a lint is "on by default" only at its first occurrence in a
        // crate, which depends on what else the crate holds: dropped, so a
        // snippet's notes are the same alone or merged with others.
        if child.message.ends_with("on by default") {
            continue;
        }
        let mut line = format!("{}: {}", level_name(&child.level), child.message);
        let suggestions: Vec<String> = child
            .spans
            .iter()
            .filter_map(|s| s.suggested_replacement.as_deref())
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty())
            .take(3)
            .collect();
        if !suggestions.is_empty() {
            line.push_str(": ");
            line.push_str(
                &suggestions
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        }
        if out.len() < MAX_NOTES {
            out.push(line);
        }
    }
    out
}

/// The status (and cause, when it is plain) of a built snippet.
pub fn verdict(expect: &Expect, result: &UnitResult) -> (Status, Option<Cause>) {
    let errors: Vec<&Diagnostic> = result
        .diagnostics
        .iter()
        .filter(|d| d.level == "error")
        .collect();
    let warnings: Vec<&Diagnostic> = result
        .diagnostics
        .iter()
        .filter(|d| d.level == "warning")
        .collect();
    let is_lint = |d: &&Diagnostic| d.code.as_deref().is_some_and(|c| c.starts_with("clippy::"));
    match expect {
        Expect::CompileFail { codes } => {
            let found: BTreeSet<&str> = errors.iter().filter_map(|d| d.code.as_deref()).collect();
            let compiler_errors = errors.iter().any(|d| !is_lint(d));
            if compiler_errors && codes.iter().all(|c| found.contains(c.as_str())) {
                (Status::Pass, None)
            } else {
                (Status::Fail, Some(Cause::CompileFailMismatch))
            }
        }
        Expect::Pass if !errors.is_empty() => {
            let cause = if errors.iter().all(is_lint) {
                Cause::Lint
            } else if cause::only_build_env(errors.iter().copied()).is_some() {
                // A macro or rustc says what the environment lacks, and
                // nothing else is wrong: no variant build can help.
                Cause::BuildEnv
            } else {
                Cause::Compile
            };
            (Status::Fail, Some(cause))
        }
        Expect::Pass if !result.built => (Status::Fail, Some(Cause::DependencyBuild)),
        Expect::Pass if !warnings.is_empty() => {
            let cause = warnings.iter().all(is_lint).then_some(Cause::Lint);
            (Status::Warn, cause)
        }
        Expect::Pass => (Status::Pass, None),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::analyze::{Snippet, analyze};
    use crate::extract::extract;
    use crate::identity::unique_id;
    use crate::wrap::wrap;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cargo-messages");
    /// Where the recorded scratch workspace pretends to live.
    const WS: &str = "/recorded/ws";

    /// Replays a recorded `cargo clippy --message-format=json` run (paths
    /// normalized to `$WS`) over the snippets of the recorded document.
    fn replay() -> (Vec<(Snippet, String)>, BTreeMap<String, UnitResult>) {
        let doc = std::fs::read_to_string(format!("{FIXTURES}/recording.md")).expect("fixture");
        let jsonl =
            std::fs::read_to_string(format!("{FIXTURES}/recording.jsonl")).expect("fixture");
        let jsonl = jsonl.replace("$WS", WS);
        let messages: Vec<Message> = Message::parse_stream(jsonl.as_bytes())
            .collect::<Result<_, _>>()
            .expect("recorded messages parse");
        let mut used = BTreeSet::new();
        let prepared: Vec<(String, Snippet, WrappedSource, PathBuf, u32)> = extract(&doc)
            .into_iter()
            .map(|block| {
                let package = format!(
                    "snip-{}",
                    unique_id(&mut used, "rec", &block.info, &block.text)
                );
                let snippet = analyze(&block);
                let wrapped = wrap(&snippet).expect("recorded snippets parse");
                let src = PathBuf::from(format!(
                    "{WS}/snippets/{package}/{}",
                    wrapped.kind.src_file()
                ));
                (package, snippet, wrapped, src, block.fence_line)
            })
            .collect();
        let units: BTreeMap<String, UnitMap<'_>> = prepared
            .iter()
            .map(|(package, snippet, wrapped, src, fence_line)| {
                let unit = UnitMap {
                    src_path: src,
                    wrapped,
                    lines: &snippet.lines,
                    file: "rec.md",
                    fence_line: *fence_line,
                };
                (package.clone(), unit)
            })
            .collect();
        let results = attribute(&messages, &units, Path::new(WS));
        let snippets = prepared
            .iter()
            .map(|(package, snippet, ..)| (snippet.clone(), package.clone()))
            .collect();
        (snippets, results)
    }

    #[test]
    fn recorded_messages_land_on_markdown_lines() {
        let (snippets, results) = replay();
        type Placed = (String, Option<String>, u32, u32, bool);
        let placed: Vec<Vec<Placed>> = snippets
            .iter()
            .map(|(_, package)| {
                let mut found: Vec<_> = results[package]
                    .diagnostics
                    .iter()
                    .map(|d| {
                        (
                            d.level.clone(),
                            d.code.clone(),
                            d.line,
                            d.column,
                            d.in_wrapper,
                        )
                    })
                    .collect();
                found.sort();
                found
            })
            .collect();
        let e = |level: &str, code: &str, line: u32, column: u32| {
            (
                level.to_string(),
                Some(code.to_string()),
                line,
                column,
                false,
            )
        };
        let expected = vec![
            // `let total = count + 1;`, wrapped in `fn main`.
            vec![e("error", "E0425", 4, 13)],
            // A program: two clippy lints, sorted by code.
            vec![
                e("warning", "clippy::len_zero", 10, 20),
                e("warning", "clippy::useless_vec", 9, 13),
            ],
            // A statement between hidden `# fn main() {` lines.
            vec![e("error", "E0308", 16, 13)],
        ];
        assert_eq!(placed, expected);
        let verdicts: Vec<(Status, Option<Cause>)> = snippets
            .iter()
            .map(|(snippet, package)| verdict(&snippet.expect, &results[package]))
            .collect();
        assert_eq!(
            verdicts,
            [
                (Status::Fail, Some(Cause::Compile)),
                (Status::Warn, Some(Cause::Lint)),
                (Status::Fail, Some(Cause::Compile)),
            ]
        );
    }

    /// One recorded `compiler-message` of a proc macro's error at `line` of
    /// the crate at `crate_dir` (in the shape cargo prints it), with its
    /// children as (level, message).
    fn macro_error(crate_dir: &str, line: u32, message: &str, children: &[(&str, &str)]) -> String {
        let package = crate_dir.rsplit('/').next().unwrap_or(crate_dir);
        let relative = crate_dir
            .strip_prefix(&format!("{WS}/"))
            .unwrap_or(crate_dir);
        let children: Vec<serde_json::Value> = children
            .iter()
            .map(|(level, message)| {
                serde_json::json!({"children": [], "code": null, "level": level,
                    "message": message, "rendered": null, "spans": []})
            })
            .collect();
        serde_json::json!({
            "reason": "compiler-message",
            "package_id": format!("path+file://{crate_dir}#0.0.0"),
            "manifest_path": format!("{crate_dir}/Cargo.toml"),
            "target": {"kind": ["bin"], "crate_types": ["bin"], "name": package,
                "src_path": format!("{crate_dir}/src/main.rs"), "edition": "2024",
                "doc": true, "doctest": false, "test": false},
            "message": {"rendered": null, "$message_type": "diagnostic",
                "children": children, "code": null, "level": "error", "message": message,
                "spans": [{"byte_end": 9, "byte_start": 1, "column_end": 9, "column_start": 1,
                    "expansion": null, "file_name": format!("{relative}/src/main.rs"),
                    "is_primary": true, "label": null, "line_end": line, "line_start": line,
                    "suggested_replacement": null, "suggestion_applicability": null,
                    "text": []}]}
        })
        .to_string()
    }

    /// What rustc prints of a compile-time read the document does not
    /// provide, and a proc macro that panicked saying what the environment
    /// lacks, replayed: the scratch folders are gone from every message (the
    /// primary build's and a variant's read alike), and the verdict is
    /// `build-env` naming what is missing, as the example wrote it.
    #[test]
    fn scratch_paths_leave_messages_and_reads_the_document_lacks_are_build_env() {
        let doc = "# Reads\n\n```rust\nfn main() {\n    let a = read_a();\n    let b = read_b();\n}\n```\n";
        let block = extract(doc).into_iter().next().expect("one block");
        let snippet = analyze(&block);
        let wrapped = wrap(&snippet).expect("the block parses");
        let generated = |needle: &str| {
            let index = wrapped.text.lines().position(|l| l.contains(needle));
            u32::try_from(index.expect("line in the wrapped source") + 1).expect("small")
        };
        let (a, b) = (generated("read_a"), generated("read_b"));
        for (ws, package) in [
            (WS, "snip-r-1a2b"),
            ("/recorded/variants-stable", "snip-r-1a2b-v0"),
        ] {
            let crate_dir = format!("{ws}/snippets/{package}");
            let src = PathBuf::from(format!("{crate_dir}/src/main.rs"));
            let lines = [
                macro_error(
                    &crate_dir,
                    a,
                    &format!(
                        "error canonicalizing migration directory {crate_dir}/./migrations: No such file or directory (os error 2)"
                    ),
                    &[],
                ),
                macro_error(
                    &crate_dir,
                    b,
                    "couldn't read `PLACE/src/../seed.sql`: No such file or directory (os error 2)"
                        .replace("PLACE", &format!("snippets/{package}"))
                        .as_str(),
                    &[("help", &format!("the folder {ws} holds the workspace"))],
                ),
                macro_error(
                    &crate_dir,
                    b,
                    "proc macro panicked",
                    &[(
                        "help",
                        "message: set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare` to update the query cache",
                    )],
                ),
            ];
            let messages: Vec<Message> = Message::parse_stream(lines.join("\n").as_bytes())
                .collect::<Result<_, _>>()
                .expect("recorded messages parse");
            let unit = UnitMap {
                src_path: &src,
                wrapped: &wrapped,
                lines: &snippet.lines,
                file: "reads.md",
                fence_line: block.fence_line,
            };
            let units = BTreeMap::from([("r".to_string(), unit)]);
            let results = attribute(&messages, &units, Path::new(ws));
            let result = &results["r"];
            let texts: Vec<(&str, u32, &[String])> = result
                .diagnostics
                .iter()
                .map(|d| (d.message.as_str(), d.line, d.notes.as_slice()))
                .collect();
            assert_eq!(
                texts,
                [
                    (
                        "error canonicalizing migration directory ./migrations: No such file or directory (os error 2)",
                        5,
                        &[][..]
                    ),
                    (
                        "couldn't read `src/../seed.sql`: No such file or directory (os error 2)",
                        6,
                        &["help: the folder ../.. holds the workspace".to_string()][..]
                    ),
                    (
                        "proc macro panicked",
                        6,
                        &["help: message: set `DATABASE_URL` to use query macros online, or run `cargo sqlx prepare` to update the query cache".to_string()][..]
                    ),
                ],
                "{ws}"
            );
            assert_eq!(
                verdict(&Expect::Pass, result),
                (Status::Fail, Some(Cause::BuildEnv))
            );
            let needs = cause::only_build_env(&result.diagnostics).expect("only needs");
            assert_eq!(
                needs,
                [
                    "the folder `./migrations`, which the example reads at compile time",
                    "the file `../seed.sql`, which the example reads at compile time",
                    "`DATABASE_URL` (a database for `sqlx::query!`, or the query cache `cargo sqlx prepare` writes)",
                ]
            );
        }
    }

    #[test]
    fn scratch_folders_become_relative_to_the_crate() {
        let crate_src = Path::new("/sb/ws/snippets/snip-a/src/main.rs");
        let scratch = ScratchPaths::new(crate_src, Path::new("/sb/ws"));
        let cases = [
            ("/sb/ws/snippets/snip-a/./m: gone", "./m: gone"),
            ("in `/sb/ws/snippets/snip-a`", "in `.`"),
            ("`snippets/snip-a/src/x.txt`", "`src/x.txt`"),
            ("/sb/ws/Cargo.lock and /sb/ws", "../../Cargo.lock and ../.."),
            // Another crate's folder that merely starts with the same name.
            ("/sb/ws/snippets/snip-a-v0/m", "../../snippets/snip-a-v0/m"),
            ("/sb/wsx/y", "/sb/wsx/y"),
            ("no path here", "no path here"),
        ];
        for (text, expected) in cases {
            assert_eq!(scratch.relative(text), expected, "{text}");
        }
    }

    fn diagnostic(level: &str, code: Option<&str>) -> Diagnostic {
        Diagnostic {
            level: level.into(),
            code: code.map(str::to_string),
            message: "m".into(),
            file: "f.md".into(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            label: None,
            in_wrapper: false,
            notes: Vec::new(),
        }
    }

    #[track_caller]
    fn check_verdict(
        expect: Expect,
        diagnostics: &[(&str, Option<&str>)],
        built: bool,
        expected: (Status, Option<Cause>),
    ) {
        let result = UnitResult {
            diagnostics: diagnostics.iter().map(|(l, c)| diagnostic(l, *c)).collect(),
            built,
            suggestions: Vec::new(),
        };
        assert_eq!(verdict(&expect, &result), expected);
    }

    #[test]
    fn verdicts() {
        let pass = || Expect::Pass;
        let fail = |codes: &[&str]| Expect::CompileFail {
            codes: codes.iter().map(|c| c.to_string()).collect(),
        };
        check_verdict(pass(), &[], true, (Status::Pass, None));
        check_verdict(
            pass(),
            &[("warning", Some("deprecated"))],
            true,
            (Status::Warn, None),
        );
        check_verdict(
            pass(),
            &[("warning", Some("clippy::x"))],
            true,
            (Status::Warn, Some(Cause::Lint)),
        );
        check_verdict(
            pass(),
            &[("error", Some("clippy::x"))],
            false,
            (Status::Fail, Some(Cause::Lint)),
        );
        check_verdict(
            pass(),
            &[("error", Some("E0425"))],
            false,
            (Status::Fail, Some(Cause::Compile)),
        );
        check_verdict(
            pass(),
            &[],
            false,
            (Status::Fail, Some(Cause::DependencyBuild)),
        );
        check_verdict(
            fail(&[]),
            &[("error", Some("E0502"))],
            false,
            (Status::Pass, None),
        );
        check_verdict(fail(&[]), &[("error", None)], false, (Status::Pass, None));
        check_verdict(
            fail(&["E0308"]),
            &[("error", Some("E0308"))],
            false,
            (Status::Pass, None),
        );
        check_verdict(
            fail(&["E0308"]),
            &[("error", Some("E0425"))],
            false,
            (Status::Fail, Some(Cause::CompileFailMismatch)),
        );
        check_verdict(
            fail(&[]),
            &[],
            true,
            (Status::Fail, Some(Cause::CompileFailMismatch)),
        );
        // A macro that says what the environment lacks, and nothing else wrong.
        let mut result = UnitResult::default();
        result.diagnostics.push(Diagnostic {
            message: "environment variable `TOKEN` not defined at compile time".into(),
            ..diagnostic("error", None)
        });
        assert_eq!(
            verdict(&pass(), &result),
            (Status::Fail, Some(Cause::BuildEnv))
        );
        result.diagnostics.push(diagnostic("error", Some("E0308")));
        assert_eq!(
            verdict(&pass(), &result),
            (Status::Fail, Some(Cause::Compile))
        );
        // A lint that denies is not the compile failure the fence promises.
        check_verdict(
            fail(&[]),
            &[("error", Some("clippy::x"))],
            false,
            (Status::Fail, Some(Cause::CompileFailMismatch)),
        );
    }
}
