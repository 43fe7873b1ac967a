//! Paths -> spec files, plus a problem for each path that cannot be read.
//!
//! Folders are walked recursively for `*.md` and `*.markdown`, honouring
//! `.gitignore` (and `.ignore`) files as ripgrep does; a file named explicitly is
//! read as Markdown whatever its extension. A missing path or a file that is not
//! UTF-8 is a problem in the report, and the run goes on with the others.

use std::path::{Path, PathBuf};

use crate::report::RunProblem;

/// One Markdown document to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    /// The path as shown in reports: as given, or joined onto the folder given.
    pub path: PathBuf,
    pub text: String,
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

/// Finds and reads the spec files under `paths`, sorted and without duplicates.
pub fn discover(paths: &[PathBuf]) -> (Vec<SpecFile>, Vec<RunProblem>) {
    let mut files = Vec::new();
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
            let before = files.len();
            walk(path, &mut files, &mut problems);
            if files.len() == before {
                problems.push(problem(
                    path,
                    format!(
                        "no Markdown files (*.md, *.markdown) in `{}`",
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
    let mut specs = Vec::with_capacity(files.len());
    for path in files {
        match read(&path) {
            Ok(text) => specs.push(SpecFile { path, text }),
            Err(message) => problems.push(problem(&path, message)),
        }
    }
    (specs, problems)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<RunProblem>) {
    let walker = ignore::WalkBuilder::new(dir).require_git(false).build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                let is_markdown = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    MARKDOWN_EXTENSIONS
                        .iter()
                        .any(|m| e.eq_ignore_ascii_case(m))
                });
                if is_markdown && entry.file_type().is_some_and(|t| t.is_file()) {
                    files.push(path.to_path_buf());
                }
            }
            Err(error) => problems.push(RunProblem::input(
                Some(dir.display().to_string()),
                error.to_string(),
            )),
        }
    }
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
