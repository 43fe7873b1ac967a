//! `--fix-pins`: a document's ```` ```toml ```` pin blocks rewritten to the
//! release the diagnosis proved its examples build with.
//!
//! Only the version string of one dependency line changes (or one line is
//! added under the block's `[dependencies]` header), so the block keeps its
//! comments, its order and its layout; nothing outside the block is touched.
//! A pin that already admits the last passing release and excludes the first
//! failing one is left as it is. Pure text work: the caller says which release
//! passed and which failed.

use cargo_metadata::semver::{Version, VersionReq};

use crate::extract::Block;
use crate::fix::{DocEdit, newline_of};
use crate::text::LineIndex;

/// What the diagnosis proved about one dependency of an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenRelease {
    /// The registry package (`wasm-bindgen`).
    pub package: String,
    /// The name code uses (`wasm_bindgen`); manifests may key it either way.
    pub name: String,
    pub last_passing: String,
    pub first_failing: Option<String>,
}

/// What `--fix-pins` does to one document for one proven release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinOutcome {
    /// Edits of the document's pin blocks, with the requirement written.
    Edits(Vec<DocEdit>),
    /// A pin block already says this, which admits the proven release.
    AlreadyPinned(String),
    /// The document has no `[dependencies]` block to write the pin into.
    NoPinBlock,
}

/// The requirement that pins a proven release: its series (`0.6` for
/// `0.6.20`), or the exact release when the first failing one is in the same
/// series.
pub fn requirement_for(last_passing: &str, first_failing: Option<&str>) -> String {
    let Some(series) = crate::cause::series(last_passing) else {
        return format!("={last_passing}");
    };
    if first_failing.is_some_and(|first| admits(&series, first) != Some(false)) {
        return format!("={last_passing}");
    }
    series
}

/// Whether a requirement admits a version; `None` when either does not parse.
pub fn admits(requirement: &str, version: &str) -> Option<bool> {
    let requirement = VersionReq::parse(requirement).ok()?;
    let version = Version::parse(version.trim_start_matches('=')).ok()?;
    Some(requirement.matches(&version))
}

/// The edits of `toml_blocks` (the document's ```` ```toml ```` blocks) that
/// pin `release`.
pub fn pin_edits(doc: &str, toml_blocks: &[&Block], release: &ProvenRelease) -> PinOutcome {
    let wanted = requirement_for(&release.last_passing, release.first_failing.as_deref());
    let message = format!(
        "pinned {} = \"{wanted}\" (builds with {}{})",
        release.package,
        release.last_passing,
        release
            .first_failing
            .as_ref()
            .map(|f| format!(", fails from {f}"))
            .unwrap_or_default()
    );
    let mut edits = Vec::new();
    let mut already = None;
    let mut header: Option<(&Block, usize)> = None;
    for block in toml_blocks {
        for entry in dependency_lines(&block.text) {
            match entry {
                TomlLine::Header { line, table } if table == "dependencies" => {
                    header.get_or_insert((block, line));
                }
                TomlLine::Header { .. } => {}
                TomlLine::Version {
                    line,
                    key,
                    range,
                    requirement,
                } => {
                    if key != release.package && key != release.name {
                        continue;
                    }
                    let proven = admits(&requirement, &release.last_passing) == Some(true)
                        && release
                            .first_failing
                            .as_deref()
                            .is_none_or(|f| admits(&requirement, f) == Some(false));
                    if proven {
                        already = Some(requirement);
                        continue;
                    }
                    if let Some(start) = doc_offset(doc, block, line) {
                        edits.push(DocEdit {
                            start: start + range.start,
                            end: start + range.end,
                            text: wanted.clone(),
                            message: message.clone(),
                        });
                    }
                }
            }
        }
    }
    if !edits.is_empty() {
        return PinOutcome::Edits(edits);
    }
    if let Some(requirement) = already {
        return PinOutcome::AlreadyPinned(requirement);
    }
    let Some((block, line)) = header else {
        return PinOutcome::NoPinBlock;
    };
    let index = LineIndex::new(doc);
    let Some(origin) = block.lines.get(line) else {
        return PinOutcome::NoPinBlock;
    };
    let prefix = crate::fix::block_prefix(doc, &index, block.lines.iter().copied());
    let start = index
        .line_start(origin.line + 1)
        .unwrap_or(doc.len())
        .min(doc.len());
    PinOutcome::Edits(vec![DocEdit {
        start,
        end: start,
        text: format!(
            "{prefix}{} = \"{wanted}\"{}",
            release.package,
            newline_of(doc)
        ),
        message,
    }])
}

/// Where line `line` of a block's text starts in the document, when the
/// document holds exactly that text there.
fn doc_offset(doc: &str, block: &Block, line: usize) -> Option<usize> {
    let origin = block.lines.get(line)?;
    let text = block.text.split('\n').nth(line)?;
    (doc.get(origin.offset..origin.offset + text.len()) == Some(text)).then_some(origin.offset)
}

/// The lines of a TOML block that matter for pins.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TomlLine {
    /// `[dependencies]` and friends (`table` without the brackets).
    Header { line: usize, table: String },
    /// A dependency's version requirement: `key = "0.6"`,
    /// `key = { version = "0.6", .. }`, or `version = ".."` in `[dependencies.key]`.
    Version {
        line: usize,
        key: String,
        /// Byte range of the requirement (inside the quotes) in the line.
        range: std::ops::Range<usize>,
        requirement: String,
    },
}

fn is_dependency_table(table: &str) -> bool {
    ["dependencies", "dev-dependencies"]
        .iter()
        .any(|t| table == *t || table.ends_with(&format!(".{t}")))
}

fn dependency_lines(text: &str) -> Vec<TomlLine> {
    let mut out = Vec::new();
    // (is a dependency table, the crate a `[dependencies.key]` table is about)
    let mut table: (bool, Option<String>) = (false, None);
    for (line, content) in text.split('\n').enumerate() {
        let trimmed = content.trim();
        if trimmed.starts_with('[') {
            let name = trimmed
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            table = if is_dependency_table(&name) {
                (true, None)
            } else {
                match name.rsplit_once('.') {
                    Some((parent, key)) if is_dependency_table(parent) => {
                        (false, Some(unquote(key).to_string()))
                    }
                    _ => (false, None),
                }
            };
            out.push(TomlLine::Header { line, table: name });
            continue;
        }
        let Some((key, value)) = content.split_once('=') else {
            continue;
        };
        let key = unquote(key.trim());
        let value_start = key_len(content) + 1;
        let found = match (&table, key) {
            ((true, _), key) => {
                let value_trimmed = value.trim_start();
                let skip = value.len() - value_trimmed.len();
                if value_trimmed.starts_with('"') {
                    quoted(value_trimmed).map(|r| (key.to_string(), r.start + skip..r.end + skip))
                } else if value_trimmed.starts_with('{') {
                    version_in_table(value_trimmed)
                        .map(|r| (key.to_string(), r.start + skip..r.end + skip))
                } else {
                    None
                }
            }
            ((false, Some(krate)), "version") => {
                let value_trimmed = value.trim_start();
                let skip = value.len() - value_trimmed.len();
                quoted(value_trimmed).map(|r| (krate.clone(), r.start + skip..r.end + skip))
            }
            _ => None,
        };
        if let Some((key, range)) = found {
            let range = range.start + value_start..range.end + value_start;
            let requirement = content.get(range.clone()).unwrap_or_default().to_string();
            out.push(TomlLine::Version {
                line,
                key,
                range,
                requirement,
            });
        }
    }
    out
}

/// Bytes up to the first `=` of a `key = value` line.
fn key_len(line: &str) -> usize {
    line.find('=').unwrap_or(line.len())
}

fn unquote(key: &str) -> &str {
    key.trim().trim_matches('"').trim_matches('\'')
}

/// The range inside the first basic string's quotes, at the start of `text`.
fn quoted(text: &str) -> Option<std::ops::Range<usize>> {
    let rest = text.strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(1..1 + end)
}

/// The range of `version = ".."`'s string in an inline table.
fn version_in_table(text: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find("version") {
        let start = from + at;
        let before = text[..start].chars().next_back();
        let after = text.get(start + "version".len()..)?;
        let after_trimmed = after.trim_start();
        if matches!(before, Some('{' | ',' | ' ' | '\t')) && after_trimmed.starts_with('=') {
            let value = after_trimmed[1..].trim_start();
            let value_at = text.len() - value.len();
            let range = quoted(value)?;
            return Some(range.start + value_at..range.end + value_at);
        }
        from = start + "version".len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::extract;
    use crate::fix::apply;

    fn release(last: &str, first: Option<&str>) -> ProvenRelease {
        ProvenRelease {
            package: "axum".into(),
            name: "axum".into(),
            last_passing: last.into(),
            first_failing: first.map(str::to_string),
        }
    }

    #[track_caller]
    fn check(doc: &str, proven: &ProvenRelease, expected: &str) -> PinOutcome {
        let blocks = extract(doc);
        let toml: Vec<&Block> = blocks
            .iter()
            .filter(|b| b.fence.lang.as_deref() == Some("toml"))
            .collect();
        let outcome = pin_edits(doc, &toml, proven);
        let edits = match &outcome {
            PinOutcome::Edits(edits) => edits.clone(),
            _ => Vec::new(),
        };
        assert_eq!(apply(doc, edits).0, expected);
        outcome
    }

    #[test]
    fn requirements_pin_the_series_unless_the_series_broke() {
        assert_eq!(requirement_for("0.6.20", Some("0.7.0")), "0.6");
        assert_eq!(requirement_for("1.4.2", Some("2.0.0")), "1");
        assert_eq!(requirement_for("0.6.19", Some("0.6.20")), "=0.6.19");
        assert_eq!(requirement_for("0.6.20", None), "0.6");
        assert_eq!(admits("0.6", "0.6.20"), Some(true));
        assert_eq!(admits("0.6", "0.7.0"), Some(false));
        assert_eq!(admits("not a req", "0.7.0"), None);
    }

    #[test]
    fn version_strings_are_rewritten_in_place() {
        let doc = "Intro.\n\n- Cargo.toml:\r\n  ```toml\r\n  [dependencies]\r\n  tokio = { version = \"1\", features = [\"full\"] }\r\n  axum = { version = \"0.8\", features = [\"macros\"] } # web\r\n  ```\r\n";
        let expected = doc.replace("\"0.8\"", "\"0.6\"");
        check(doc, &release("0.6.20", Some("0.7.0")), &expected);
        let doc = "```toml\n[dependencies]\naxum = \"0.7\"\n\n[dependencies.serde]\nversion = \"1\"\n```\n";
        check(
            doc,
            &release("0.6.20", Some("0.7.0")),
            &doc.replace("0.7", "0.6"),
        );
        let table = "```toml\n[dependencies.axum]\nversion = \"0.8\"\nfeatures = []\n```\n";
        check(
            table,
            &release("0.6.20", Some("0.7.0")),
            &table.replace("0.8", "0.6"),
        );
    }

    #[test]
    fn a_proven_pin_is_kept_and_a_missing_one_added() {
        let doc = "```toml\n[dependencies]\naxum = \"0.6\"\n```\n";
        assert_eq!(
            check(doc, &release("0.6.20", Some("0.7.0")), doc),
            PinOutcome::AlreadyPinned("0.6".into())
        );
        let doc = "```toml\n[package]\nname = \"x\"\n\n[dependencies]\ntokio = \"1\"\n```\n";
        check(
            doc,
            &release("0.6.20", Some("0.7.0")),
            "```toml\n[package]\nname = \"x\"\n\n[dependencies]\naxum = \"0.6\"\ntokio = \"1\"\n```\n",
        );
        let doc = "No toml here.\n";
        assert_eq!(
            check(doc, &release("0.6.20", None), doc),
            PinOutcome::NoPinBlock
        );
    }
}
