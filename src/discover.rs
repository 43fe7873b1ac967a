//! Paths -> spec files, plus a problem for each path that cannot be read.
//!
//! Folders are walked recursively for `*.md` and `*.markdown`, honouring
//! `.gitignore` (and `.ignore`) files as ripgrep does, with the `ignore` crate
//! ripgrep walks with. Hidden folders are skipped, except where coding agents
//! keep their specs: those locations are data (`agent_locations.toml`: the
//! tool, the kind of document and a glob), and the walk enters exactly the
//! hidden folders the table names (`.claude`, `.cursor`, `.github`...), never
//! `.git`. A file a location matches is found whatever its extension (Cursor's
//! `.mdc`, the legacy `.cursorrules`); in a hidden folder, only those are.
//! A file named explicitly is read as Markdown whatever its extension. A
//! symbolic link found in a folder (`CLAUDE.md -> AGENTS.md` is common) is
//! read only when it points to a file inside that folder that the walk does
//! not read anyway, so no document is checked twice.
//!
//! Every document carries its kind ([`DocumentKind`]), from the same table:
//! the report's inventory names it. A missing path or a file that is not
//! UTF-8 is a problem in the report, and the run goes on with the others.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::LazyLock;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::report::{DocumentKind, RunProblem};

/// One Markdown document to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    /// The path as shown in reports: as given, or joined onto the folder given.
    pub path: PathBuf,
    pub text: String,
    /// What the document is, from its path ([`kind_of`]).
    pub kind: DocumentKind,
}

impl SpecFile {
    /// The path as reports show it, with `/` separators.
    pub fn display(&self) -> String {
        self.path.to_string_lossy().replace('\\', "/")
    }
}

/// Extensions of Markdown files found in folders.
const MARKDOWN_EXTENSIONS: &[&str] = &["md", "markdown"];

/// Largest document read; anything larger is a problem, not a crash or a stall.
pub const MAX_DOCUMENT_BYTES: u64 = 16 * 1024 * 1024;

/// The built-in table of the places coding agents keep their specs.
const LOCATIONS_TEXT: &str = include_str!("agent_locations.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationTable {
    location: Vec<Location>,
}

/// One place a coding agent reads Markdown from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Location {
    tool: String,
    kind: String,
    /// Relative to any folder: `**/` is put before it.
    glob: String,
}

/// The table, with its globs compiled.
#[derive(Debug)]
struct Locations {
    entries: Vec<Location>,
    /// One glob per entry, in the table's order.
    globs: GlobSet,
    /// The hidden folders and files the globs name (`.claude`, `.cursorrules`).
    hidden: BTreeSet<String>,
}

static LOCATIONS: LazyLock<Locations> = LazyLock::new(|| {
    // The table is part of the source and a unit test reads it, so a failure
    // here is a build defect, not an input error.
    Locations::parse(LOCATIONS_TEXT).expect("the built-in agent_locations.toml is valid")
});

impl Locations {
    fn parse(text: &str) -> Result<Locations, String> {
        let table: LocationTable = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut globs = GlobSetBuilder::new();
        let mut hidden = BTreeSet::new();
        for entry in &table.location {
            let glob = GlobBuilder::new(&format!("**/{}", entry.glob))
                .literal_separator(true)
                .build()
                .map_err(|e| format!("`{}`: {e}", entry.glob))?;
            globs.add(glob);
            hidden.extend(
                entry
                    .glob
                    .split('/')
                    .filter(|part| part.starts_with('.') && !part.contains(['*', '?', '[', '{']))
                    .map(str::to_owned),
            );
        }
        if hidden.contains(".git") {
            return Err("a location inside `.git` is never walked".to_owned());
        }
        Ok(Locations {
            entries: table.location,
            globs: globs.build().map_err(|e| e.to_string())?,
            hidden,
        })
    }

    /// The first entry whose glob matches `path`.
    fn find(&self, path: &Path) -> Option<&Location> {
        let first = self.globs.matches(path).into_iter().min()?;
        self.entries.get(first)
    }

    /// Whether a walk enters a hidden folder of this name.
    fn enters(&self, name: &str) -> bool {
        name != ".git" && self.hidden.contains(name)
    }
}

/// What the document at `path` is: the agent-spec location it is in, else a
/// `readme` (`README.md`, `readme.markdown`...) or a `document`.
pub fn kind_of(path: &Path) -> DocumentKind {
    if let Some(location) = LOCATIONS.find(path) {
        return DocumentKind {
            tool: Some(location.tool.clone()),
            kind: location.kind.clone(),
        };
    }
    let is_readme = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.eq_ignore_ascii_case("readme"));
    DocumentKind {
        tool: None,
        kind: if is_readme { "readme" } else { "document" }.to_owned(),
    }
}

/// Finds and reads the spec files under `paths`, sorted and without duplicates.
pub fn discover(paths: &[PathBuf]) -> (Vec<SpecFile>, Vec<RunProblem>) {
    let mut files = Vec::new();
    let mut links = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        let metadata = match std::fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(error) => {
                problems.push(problem(
                    path,
                    format!("cannot read `{}`: {}", path.display(), describe(&error)),
                ));
                continue;
            }
        };
        if metadata.is_dir() {
            let before = files.len() + links.len();
            walk(path, &mut files, &mut links, &mut problems);
            if files.len() + links.len() == before {
                problems.push(problem(
                    path,
                    format!(
                        "no Markdown files (*.md, *.markdown) or agent specs in `{}`",
                        path.display()
                    ),
                ));
            }
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    add_links(&mut files, links);
    let mut specs = Vec::with_capacity(files.len());
    for path in files {
        match read(&path) {
            Ok(text) => {
                let kind = kind_of(&path);
                specs.push(SpecFile { path, text, kind });
            }
            Err(message) => problems.push(problem(&path, message)),
        }
    }
    (specs, problems)
}

/// Adds the symbolic links found in folders whose target no other document
/// is: `CLAUDE.md -> AGENTS.md` is checked once, as `AGENTS.md`, and a link
/// to a file the walk does not read (in a hidden folder) is checked as the
/// link.
fn add_links(files: &mut Vec<PathBuf>, mut links: Vec<PathBuf>) {
    let mut targets: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|file| file.canonicalize().ok())
        .collect();
    links.sort();
    for link in links {
        if let Ok(target) = link.canonicalize()
            && targets.insert(target)
        {
            files.push(link);
        }
    }
    files.sort();
}

/// Whether the symbolic link `path`, found under `dir`, is a file inside `dir`:
/// a link never makes a walk read outside the folder it was given.
fn links_inside(dir: &Path, path: &Path) -> bool {
    match (dir.canonicalize(), path.canonicalize()) {
        (Ok(root), Ok(target)) => target.starts_with(root) && target.is_file(),
        _ => false,
    }
}

fn walk(
    dir: &Path,
    files: &mut Vec<PathBuf>,
    links: &mut Vec<PathBuf>,
    problems: &mut Vec<RunProblem>,
) {
    let locations: &'static Locations = &LOCATIONS;
    let walker = ignore::WalkBuilder::new(dir)
        .require_git(false)
        // Hidden entries are decided here: the walk enters the hidden folders
        // of the table and no other (the folder given is always entered).
        .hidden(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let name = entry.file_name().to_string_lossy();
            entry.depth() == 0 || !is_dir || !name.starts_with('.') || locations.enters(&name)
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let Some(file_type) = entry.file_type() else {
                    continue;
                };
                if !wanted(dir, path, locations) {
                    continue;
                }
                if file_type.is_file() {
                    files.push(path.to_path_buf());
                } else if file_type.is_symlink() && links_inside(dir, path) {
                    links.push(path.to_path_buf());
                }
            }
            Err(error) => problems.push(RunProblem::input(
                Some(dir.display().to_string()),
                error.to_string(),
            )),
        }
    }
}

/// Whether a file found under `dir` is a document: an agent-spec location
/// matches it, or it is Markdown outside hidden folders.
fn wanted(dir: &Path, path: &Path, locations: &Locations) -> bool {
    if locations.find(path).is_some() {
        return true;
    }
    let is_markdown = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        MARKDOWN_EXTENSIONS
            .iter()
            .any(|m| e.eq_ignore_ascii_case(m))
    });
    let relative = path.strip_prefix(dir).unwrap_or(path);
    let in_hidden = relative.components().any(|part| match part {
        Component::Normal(name) => name.to_string_lossy().starts_with('.'),
        _ => false,
    });
    is_markdown && !in_hidden
}

fn read(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read `{shown}`: {}", describe(&e)))?;
    if metadata.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "`{shown}` is {} bytes, over the {MAX_DOCUMENT_BYTES}-byte limit for a document; skipped",
            metadata.len()
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {}", describe(&e)))?;
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            // A byte-order mark is not part of the document.
            if text.starts_with('\u{feff}') {
                text.replace_range(..'\u{feff}'.len_utf8(), "");
            }
            Ok(text)
        }
        Err(error) => {
            let at = error.utf8_error().valid_up_to();
            Err(format!(
                "`{shown}` is not UTF-8 (invalid byte at offset {at}); skipped"
            ))
        }
    }
}

fn describe(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

fn problem(path: &Path, message: String) -> RunProblem {
    RunProblem::input(Some(path.display().to_string()), message)
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    #[test]
    fn folders_files_and_problems() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let root = tmp.path();
        fs::create_dir_all(root.join("docs/deep")).expect("mkdir");
        fs::create_dir_all(root.join("empty")).expect("mkdir");
        fs::write(root.join("docs/a.md"), "# A").expect("write");
        fs::write(root.join("docs/deep/b.markdown"), "\u{feff}# B").expect("write");
        fs::write(root.join("docs/deep/c.txt"), "not markdown").expect("write");
        fs::write(root.join("docs/skipped.md"), "ignored").expect("write");
        fs::write(root.join("docs/.gitignore"), "skipped.md\n").expect("write");
        fs::write(root.join("prompt.txt"), "named explicitly").expect("write");
        fs::write(root.join("latin1.md"), b"caf\xe9").expect("write");

        let paths = vec![
            root.join("docs"),
            root.join("prompt.txt"),
            root.join("missing.md"),
            root.join("empty"),
            root.join("latin1.md"),
        ];
        let (files, problems) = discover(&paths);
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                f.path
                    .strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["docs/a.md", "docs/deep/b.markdown", "prompt.txt"]);
        assert_eq!(files[1].text, "# B", "the BOM is dropped");
        let messages: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("no such file or folder"),
            "{messages:?}"
        );
        assert!(messages[1].starts_with("no Markdown files"), "{messages:?}");
        assert!(
            messages[2].contains("is not UTF-8 (invalid byte at offset 3)"),
            "{messages:?}"
        );
    }
}

#[cfg(test)]
mod location_tests {
    use std::fs;

    use super::*;

    /// One file per entry of `agent_locations.toml`, with the tool and kind it
    /// must be found as when its repository is walked.
    const CASES: &[(&str, &str, &str)] = &[
        ("CLAUDE.md", "claude-code", "memory"),
        ("CLAUDE.local.md", "claude-code", "memory"),
        (".claude/CLAUDE.md", "claude-code", "memory"),
        (".claude/agents/reviewer.md", "claude-code", "agent"),
        (".claude/commands/git/commit.md", "claude-code", "command"),
        (".claude/skills/pdf/SKILL.md", "claude-code", "skill"),
        (".claude/rules/testing.md", "claude-code", "rule"),
        (
            ".claude/output-styles/terse.md",
            "claude-code",
            "output-style",
        ),
        (".cursor/rules/rust.mdc", "cursor", "rule"),
        (".cursor/rules/nested/style.md", "cursor", "rule"),
        (".cursor/commands/review.md", "cursor", "command"),
        (".cursorrules", "cursor", "rule"),
        (".github/copilot-instructions.md", "copilot", "instructions"),
        (
            ".github/instructions/rust.instructions.md",
            "copilot",
            "instructions",
        ),
        (".github/prompts/release.prompt.md", "copilot", "prompt"),
        (".github/agents/planner.agent.md", "copilot", "agent"),
        (".github/chatmodes/plan.chatmode.md", "copilot", "chat-mode"),
        (".github/skills/lint/SKILL.md", "copilot", "skill"),
        ("AGENTS.md", "agents-md", "instructions"),
        ("AGENTS.override.md", "codex", "instructions"),
        (".agents/skills/bench/SKILL.md", "codex", "skill"),
        ("GEMINI.md", "gemini", "context"),
        (".gemini/skills/audit/SKILL.md", "gemini", "skill"),
        (".gemini/agents/triage.md", "gemini", "agent"),
        (".windsurf/rules/style.md", "windsurf", "rule"),
        (".windsurf/workflows/deploy.md", "windsurf", "workflow"),
        (".windsurfrules", "windsurf", "rule"),
        (".clinerules/workflows/release.md", "cline", "workflow"),
        ("crates/core/.clinerules/01-core.md", "cline", "rule"),
        ("tools/.clinerules", "cline", "rule"),
        (".cline/rules/api.md", "cline", "rule"),
    ];

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        for file in files {
            let path = tmp.path().join(file);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("mkdir");
            }
            fs::write(&path, format!("# {file}\n")).expect("write");
        }
        tmp
    }

    /// What a walk of `root` finds: each file relative to it, and its kind.
    fn found(root: &Path) -> Vec<(String, String)> {
        let (files, problems) = discover(&[root.to_path_buf()]);
        assert!(problems.is_empty(), "{problems:?}");
        files
            .iter()
            .map(|f| {
                let relative = f.path.strip_prefix(root).expect("under root");
                (relative.display().to_string(), f.kind.to_string())
            })
            .collect()
    }

    #[test]
    fn the_table_parses_and_names_its_hidden_folders() {
        let locations = Locations::parse(LOCATIONS_TEXT).expect("valid table");
        let hidden: Vec<&str> = locations.hidden.iter().map(String::as_str).collect();
        assert_eq!(
            hidden,
            [
                ".agents",
                ".claude",
                ".cline",
                ".clinerules",
                ".cursor",
                ".cursorrules",
                ".gemini",
                ".github",
                ".windsurf",
                ".windsurfrules"
            ]
        );
        assert!(!locations.enters(".git"));
        assert!(
            Locations::parse("[[location]]\ntool = \"x\"\nkind = \"y\"\nglob = \".git/x.md\"")
                .is_err()
        );
        assert!(
            Locations::parse("[[location]]\ntool = \"x\"\nkind = \"y\"\nglob = \"a[\"").is_err()
        );
    }

    /// Every location of the table is found by a walk, with its tool and kind,
    /// and every entry of the table has its case here.
    #[test]
    fn every_location() {
        let paths: Vec<&str> = CASES.iter().map(|(path, _, _)| *path).collect();
        let tmp = tree(&paths);
        let found = found(tmp.path());
        for (path, tool, kind) in CASES {
            let expected = (path.to_string(), format!("{tool} {kind}"));
            assert!(found.contains(&expected), "{expected:?} not in {found:?}");
        }
        assert_eq!(found.len(), CASES.len(), "{found:?}");

        let locations = &*LOCATIONS;
        let matched: BTreeSet<usize> = CASES
            .iter()
            .filter_map(|(path, _, _)| locations.globs.matches(Path::new(path)).into_iter().min())
            .collect();
        let missing: Vec<&str> = (0..locations.entries.len())
            .filter(|i| !matched.contains(i))
            .filter_map(|i| locations.entries.get(i).map(|e| e.glob.as_str()))
            .collect();
        assert!(missing.is_empty(), "locations without a case: {missing:?}");
    }

    /// Other hidden folders, `.git`, and files in a walked hidden folder that
    /// no location names stay unread; plain Markdown elsewhere is a document.
    #[test]
    fn hidden_folders_outside_the_table_are_skipped() {
        let tmp = tree(&[
            "README.md",
            "docs/guide.markdown",
            "docs/readme.md",
            ".git/AGENTS.md",
            ".git/info/notes.md",
            ".venv/lib/README.md",
            ".github/ISSUE_TEMPLATE/bug.md",
            ".github/PULL_REQUEST_TEMPLATE.md",
            ".claude/settings.json",
            ".claude/.hidden/agents/x.md",
            ".cursor/rules/notes.txt",
            "src/.AGENTS.md",
            "rules/style.mdc",
        ]);
        assert_eq!(
            found(tmp.path()),
            [
                ("README.md".to_owned(), "readme".to_owned()),
                ("docs/guide.markdown".to_owned(), "document".to_owned()),
                ("docs/readme.md".to_owned(), "readme".to_owned()),
            ]
        );
    }

    /// `.gitignore` and `.ignore` hold inside the agents' folders too.
    #[test]
    fn ignore_files_hold_in_hidden_folders() {
        let tmp = tree(&[
            ".claude/agents/shared.md",
            ".claude/agents/mine.local.md",
            ".cursor/rules/generated.mdc",
            ".cursor/rules/kept.mdc",
            "AGENTS.md",
        ]);
        fs::write(tmp.path().join(".gitignore"), "*.local.md\n").expect("write");
        fs::write(tmp.path().join(".cursor/.ignore"), "rules/generated.mdc\n").expect("write");
        let names: Vec<String> = found(tmp.path())
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            names,
            [
                ".claude/agents/shared.md",
                ".cursor/rules/kept.mdc",
                "AGENTS.md"
            ]
        );
    }

    /// A file named explicitly is read whatever it is, with the kind of its
    /// location; a hidden folder named explicitly is walked.
    #[test]
    fn named_paths() {
        let tmp = tree(&[
            ".cursor/rules/rust.mdc",
            ".github/ISSUE_TEMPLATE/bug.md",
            "notes/prompt.txt",
        ]);
        let root = tmp.path();
        let (files, problems) = discover(&[
            root.join(".cursor/rules/rust.mdc"),
            root.join("notes/prompt.txt"),
            root.join(".github"),
        ]);
        assert!(problems.is_empty(), "{problems:?}");
        let kinds: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                let relative = f.path.strip_prefix(root).expect("under root");
                (relative.display().to_string(), f.kind.to_string())
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    ".cursor/rules/rust.mdc".to_owned(),
                    "cursor rule".to_owned()
                ),
                (
                    ".github/ISSUE_TEMPLATE/bug.md".to_owned(),
                    "document".to_owned()
                ),
                ("notes/prompt.txt".to_owned(), "document".to_owned()),
            ]
        );
    }

    /// A link to a document the walk reads anyway is not read twice; a link
    /// to a file it does not read is read as the link; a link out of the
    /// folder is not followed.
    #[cfg(unix)]
    #[test]
    fn symbolic_links() {
        use std::os::unix::fs::symlink;
        let tmp = tree(&[
            "repo/.cursor/rules/general.mdc",
            "repo/.internal/spec.md",
            "outside/secret.md",
        ]);
        let repo = tmp.path().join("repo");
        let link = |target: &str, name: &str| {
            let at = repo.join(name);
            fs::create_dir_all(at.parent().expect("a parent")).expect("mkdir");
            symlink(target, at).expect("symlink");
        };
        link(".cursor/rules/general.mdc", "AGENTS.md");
        link(
            "../.cursor/rules/general.mdc",
            ".github/copilot-instructions.md",
        );
        link(".internal/spec.md", "CLAUDE.md");
        link("../outside/secret.md", "GEMINI.md");
        link("missing.md", "docs/dangling.md");
        assert_eq!(
            found(&repo),
            [
                (
                    ".cursor/rules/general.mdc".to_owned(),
                    "cursor rule".to_owned()
                ),
                ("CLAUDE.md".to_owned(), "claude-code memory".to_owned()),
            ]
        );
    }

    /// The kind follows the path however it was given: relative, with `./`,
    /// or absolute.
    #[test]
    fn kinds_of_paths() {
        for (path, kind) in [
            ("./.claude/agents/a.md", "claude-code agent"),
            ("/srv/repo/.github/prompts/p.prompt.md", "copilot prompt"),
            ("pkg/AGENTS.md", "agents-md instructions"),
            (".github/prompts/notes.md", "document"),
            (".github/instructions/rust.md", "document"),
            ("docs/agents.md", "document"),
            ("README.markdown", "readme"),
            (".claude/skills/pdf/reference/forms.md", "claude-code skill"),
        ] {
            assert_eq!(kind_of(Path::new(path)).to_string(), kind, "{path}");
        }
    }
}
