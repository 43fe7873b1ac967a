//! The identity of a block, as a type: formatted and parsed here and nowhere else.
//!
//! A block is known by its document, its heading path and what it holds (a
//! hash of its info string and text, and which copy of that content it is),
//! never by its fence line, so that it keeps its identity when lines around it
//! move. Report rows carry it as an id string, `<stem>-<hash>` or
//! `<stem>-<hash>-<copy>` ([`BlockId`]); baseline entries record the content part
//! (`<hash>` or `<hash>-<copy>`, [`ContentKey`]) next to the document and
//! heading path ([`heading_path`]); shards are assigned from the same three.
//! Cache keys, scratch package names and baselines depend on the id string, so
//! its spelling never changes.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::hash::short_hash;

/// How many characters of the sanitized document stem an id keeps.
pub const STEM_LIMIT: usize = 40;

/// Bytes of the content hash: eight hex characters.
const HASH_BYTES: usize = 4;

/// A copy number has fewer digits than a hash, so `<hash>-<copy>` never reads
/// as `<stem>-<hash>`.
const COPY_DIGITS: usize = 8;

/// What a block holds: the hash of its info string and text, and which copy of
/// that content it is among the blocks of the run with the same document stem.
/// Baseline entries record it as `1a2b3c4d` (the first copy) or `1a2b3c4d-2`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContentKey {
    /// The first four bytes of SHA-256 of `info + "\n" + text`, in lowercase hex.
    pub hash: String,
    /// 1 for the first block with this stem and hash, 2, 3... for its repeats.
    pub copy: u32,
}

/// A block's id in a run's report: its document's stem and its [`ContentKey`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockId {
    /// The document's file stem, sanitized ([`sanitize`]) and cut to [`STEM_LIMIT`] characters.
    pub stem: String,
    pub content: ContentKey,
}

/// A string that is not an id or content key this module writes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("`{0}` is not a block id (expected <stem>-<8 hex digits>, optionally -<copy>)")]
    BlockId(String),
    #[error("`{0}` is not a block hash (expected <8 hex digits>, optionally -<copy>)")]
    ContentKey(String),
}

impl ContentKey {
    /// The hash of a block's info string and text.
    pub fn hash_of(info: &str, text: &str) -> String {
        short_hash([info, "\n", text], HASH_BYTES)
    }
}

impl ContentKey {
    /// The content key a string spells. A string that is not one (a
    /// hand-edited baseline) is taken whole as the hash, so it still matches
    /// itself and nothing else.
    pub fn read(text: &str) -> ContentKey {
        text.parse().unwrap_or_else(|_| ContentKey {
            hash: text.to_string(),
            copy: 1,
        })
    }
}

impl BlockId {
    /// The content key of the id a report row carries. A string that is not an
    /// id (a hand-edited report) is taken whole as the hash, so it still
    /// matches itself and nothing else.
    pub fn content_of(id: &str) -> ContentKey {
        id.parse::<BlockId>()
            .map(|id| id.content)
            .unwrap_or_else(|_| ContentKey {
                hash: id.to_string(),
                copy: 1,
            })
    }

    /// The id of a block of the document with this file stem, first copy.
    pub fn first(document_stem: &str, info: &str, text: &str) -> BlockId {
        let mut stem = sanitize(document_stem);
        stem.truncate(STEM_LIMIT);
        BlockId {
            stem: stem.trim_end_matches('-').to_string(),
            content: ContentKey {
                hash: ContentKey::hash_of(info, text),
                copy: 1,
            },
        }
    }
}

/// The id of the next block of a run: the document's file stem and the block's
/// info string and text, numbered past the copies `used` already holds (which
/// it then records).
pub fn unique_id(
    used: &mut BTreeSet<BlockId>,
    document_stem: &str,
    info: &str,
    text: &str,
) -> BlockId {
    let mut id = BlockId::first(document_stem, info, text);
    while used.contains(&id) {
        id.content.copy += 1;
    }
    used.insert(id.clone());
    id
}

/// A similarity sketch of a block's text: a 64-bit SimHash (Charikar) of its
/// tokens and token pairs, in 16 hex digits. Two texts that share most of
/// their tokens get sketches a few bits apart, unrelated texts about half
/// their bits apart, so a baseline recognises an edited block by its sketch
/// where its content hash changed. Whitespace and layout do not count.
pub fn sketch(text: &str) -> String {
    let tokens = tokens(text);
    let mut weights = [0i64; 64];
    let pairs = tokens.windows(2).map(|w| [w[0], " ", w[1]]);
    let singles = tokens.iter().map(|t| [*t, "", ""]);
    for feature in singles.chain(pairs) {
        let digest = crate::hash::digest(feature);
        let mut bits = [0u8; 8];
        bits.copy_from_slice(&digest[..8]);
        let bits = u64::from_le_bytes(bits);
        for (i, weight) in weights.iter_mut().enumerate() {
            *weight += if bits >> i & 1 == 1 { 1 } else { -1 };
        }
    }
    let value = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0u64, |acc, (i, _)| acc | 1 << i);
    format!("{value:016x}")
}

/// How many of their 64 bits two sketches differ in; `None` when either is
/// not a sketch this module writes (a hand-edited baseline).
pub fn sketch_distance(a: &str, b: &str) -> Option<u32> {
    let parse = |s: &str| {
        (s.len() == 16)
            .then(|| u64::from_str_radix(s, 16).ok())
            .flatten()
    };
    Some((parse(a)? ^ parse(b)?).count_ones())
}

/// The tokens a sketch is made of: runs of letters, digits and `_`, and every
/// other character that is not whitespace, one by one.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let word = c.is_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (true, Some(_)) => {}
            (false, begun) => {
                if let Some(s) = begun {
                    out.push(&text[s..i]);
                    start = None;
                }
                if !c.is_whitespace() {
                    out.push(&text[i..i + c.len_utf8()]);
                }
            }
        }
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

/// The heading path of a block as baselines record it and shards hash it.
pub fn heading_path(headings: &[String]) -> String {
    headings.join(" > ")
}

/// Turns any text into a folder-name-safe id: lowercase ASCII letters, digits
/// and single `-` between them; `x` when nothing is left.
pub fn sanitize(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    }
}

impl fmt::Display for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.copy > 1 {
            write!(f, "{}-{}", self.hash, self.copy)
        } else {
            f.write_str(&self.hash)
        }
    }
}

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.stem, self.content)
    }
}

fn is_hash(text: &str) -> bool {
    text.len() == 2 * HASH_BYTES
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A copy number as ids spell it: 2 or more, no leading zero, fewer digits than a hash.
fn copy_number(text: &str) -> Option<u32> {
    let digits = !text.is_empty()
        && text.len() < COPY_DIGITS
        && !text.starts_with('0')
        && text.bytes().all(|b| b.is_ascii_digit());
    text.parse().ok().filter(|&n| digits && n > 1)
}

fn is_stem(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= STEM_LIMIT
        && !text.starts_with('-')
        && !text.ends_with('-')
        && !text.contains("--")
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FromStr for ContentKey {
    type Err = IdError;

    fn from_str(text: &str) -> Result<ContentKey, IdError> {
        let (hash, copy) = match text.split_once('-') {
            None => (text, Some(1)),
            Some((hash, copy)) => (hash, copy_number(copy)),
        };
        match copy {
            Some(copy) if is_hash(hash) => Ok(ContentKey {
                hash: hash.to_string(),
                copy,
            }),
            _ => Err(IdError::ContentKey(text.to_string())),
        }
    }
}

impl FromStr for BlockId {
    type Err = IdError;

    fn from_str(text: &str) -> Result<BlockId, IdError> {
        let error = || IdError::BlockId(text.to_string());
        let (rest, last) = text.rsplit_once('-').ok_or_else(error)?;
        // `<stem>-<hash>-<copy>`: a copy number is never a hash, so the last
        // part says which form this is.
        let (stem, content) = match (copy_number(last), rest.rsplit_once('-')) {
            (Some(copy), Some((stem, hash))) if is_hash(hash) => (
                stem,
                ContentKey {
                    hash: hash.to_string(),
                    copy,
                },
            ),
            _ if is_hash(last) => (
                rest,
                ContentKey {
                    hash: last.to_string(),
                    copy: 1,
                },
            ),
            _ => return Err(error()),
        };
        if !is_stem(stem) {
            return Err(error());
        }
        Ok(BlockId {
            stem: stem.to_string(),
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(stem: &str, hash: &str, copy: u32) -> BlockId {
        BlockId {
            stem: stem.into(),
            content: ContentKey {
                hash: hash.into(),
                copy,
            },
        }
    }

    /// Ids as the pipeline wrote them before the type existed, from the same inputs.
    #[test]
    fn ids_are_spelled_as_before() {
        let blocks = [
            ("rust", "fn main() {}"),
            ("rust", "fn main() {}"),
            ("rust,ignore", "let x = 1;"),
            ("", ""),
        ];
        let cases: &[(&str, [&str; 4])] = &[
            (
                "guide",
                [
                    "guide-893c4754",
                    "guide-893c4754-2",
                    "guide-833523c6",
                    "guide-01ba4719",
                ],
            ),
            (
                "001_e06af5bd.md",
                [
                    "001-e06af5bd-md-893c4754",
                    "001-e06af5bd-md-893c4754-2",
                    "001-e06af5bd-md-833523c6",
                    "001-e06af5bd-md-01ba4719",
                ],
            ),
            (
                "Ünïcode ☃",
                [
                    "n-code-893c4754",
                    "n-code-893c4754-2",
                    "n-code-833523c6",
                    "n-code-01ba4719",
                ],
            ),
            (
                "///",
                ["x-893c4754", "x-893c4754-2", "x-833523c6", "x-01ba4719"],
            ),
            // An empty stem is `x` too, so its blocks are further copies.
            (
                "",
                [
                    "x-893c4754-3",
                    "x-893c4754-4",
                    "x-833523c6-2",
                    "x-01ba4719-2",
                ],
            ),
            (
                "a-very-long-document-name-that-goes-on-and-on-for-ever",
                [
                    "a-very-long-document-name-that-goes-on-a-893c4754",
                    "a-very-long-document-name-that-goes-on-a-893c4754-2",
                    "a-very-long-document-name-that-goes-on-a-833523c6",
                    "a-very-long-document-name-that-goes-on-a-01ba4719",
                ],
            ),
            // Cut at 40 characters, where a `-` is dropped.
            (
                "abcdefghij-abcdefghij-abcdefghij-abcdef-ghij",
                [
                    "abcdefghij-abcdefghij-abcdefghij-abcdef-893c4754",
                    "abcdefghij-abcdefghij-abcdefghij-abcdef-893c4754-2",
                    "abcdefghij-abcdefghij-abcdefghij-abcdef-833523c6",
                    "abcdefghij-abcdefghij-abcdefghij-abcdef-01ba4719",
                ],
            ),
            (
                "x-12345678",
                [
                    "x-12345678-893c4754",
                    "x-12345678-893c4754-2",
                    "x-12345678-833523c6",
                    "x-12345678-01ba4719",
                ],
            ),
        ];
        let mut used = BTreeSet::new();
        for (stem, expected) in cases {
            for ((info, text), expected) in blocks.iter().zip(expected) {
                let made = unique_id(&mut used, stem, info, text);
                assert_eq!(made.to_string(), *expected, "{stem:?} {info:?} {text:?}");
                assert_eq!(
                    expected.parse::<BlockId>().as_ref(),
                    Ok(&made),
                    "{expected}"
                );
            }
        }
    }

    #[test]
    fn ids_parse_into_their_parts_and_print_back() {
        let cases = [
            ("guide-1a2b3c4d", id("guide", "1a2b3c4d", 1)),
            ("guide-1a2b3c4d-2", id("guide", "1a2b3c4d", 2)),
            ("guide-1a2b3c4d-1234567", id("guide", "1a2b3c4d", 1_234_567)),
            ("x-12345678-87654321", id("x-12345678", "87654321", 1)),
            ("a-b-c-00000000-10", id("a-b-c", "00000000", 10)),
            (
                "001-e06af5bd5f6d5d5e-03b54008",
                id("001-e06af5bd5f6d5d5e", "03b54008", 1),
            ),
            // A stem that ends like a copy number is still a stem.
            ("guide-2-1a2b3c4d", id("guide-2", "1a2b3c4d", 1)),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<BlockId>(), Ok(expected.clone()), "{text}");
            assert_eq!(expected.to_string(), text);
        }
    }

    #[test]
    fn what_is_not_an_id_does_not_parse() {
        for text in [
            "",
            "guide",
            "1a2b3c4d",
            "-1a2b3c4d",
            "guide-1a2b3c4",
            "guide-1A2B3C4D",
            "guide-1a2b3c4g",
            "guide-1a2b3c4d-1",
            "guide-1a2b3c4d-0",
            "guide-1a2b3c4d-02",
            "guide-1a2b3c4d-x",
            "guide-1a2b3c4d-",
            "Guide-1a2b3c4d",
            "gu_ide-1a2b3c4d",
            "guide--1a2b3c4d",
            "guide-1a2b3c4d-2-3",
            "abcdefghij-abcdefghij-abcdefghij-abcdefghij-1a2b3c4d",
        ] {
            assert_eq!(
                text.parse::<BlockId>(),
                Err(IdError::BlockId(text.to_string())),
                "{text}"
            );
        }
    }

    #[test]
    fn content_keys_parse_and_print_back() {
        let key = |hash: &str, copy| ContentKey {
            hash: hash.into(),
            copy,
        };
        for (text, expected) in [
            ("1a2b3c4d", key("1a2b3c4d", 1)),
            ("1a2b3c4d-2", key("1a2b3c4d", 2)),
            ("00000000-31", key("00000000", 31)),
        ] {
            assert_eq!(text.parse::<ContentKey>(), Ok(expected.clone()), "{text}");
            assert_eq!(expected.to_string(), text);
        }
        for text in [
            "",
            "1a2b3c4",
            "1a2b3c4d-1",
            "1a2b3c4d-",
            "1a2b3c4d-2-3",
            "g-1a2b3c4d",
        ] {
            assert!(text.parse::<ContentKey>().is_err(), "{text}");
        }
        // The content part of an id is what a baseline records.
        let parsed: BlockId = "guide-1a2b3c4d-2".parse().expect("an id");
        assert_eq!(parsed.content.to_string(), "1a2b3c4d-2");
    }

    #[test]
    fn strings_that_are_not_ids_are_their_own_hash() {
        let key = |hash: &str, copy| ContentKey {
            hash: hash.into(),
            copy,
        };
        for (id, expected) in [
            ("guide-1a2b3c4d", key("1a2b3c4d", 1)),
            ("guide-1a2b3c4d-2", key("1a2b3c4d", 2)),
            ("hand-made", key("hand-made", 1)),
            ("", key("", 1)),
        ] {
            assert_eq!(BlockId::content_of(id), expected, "{id}");
        }
        for (text, expected) in [
            ("1a2b3c4d-3", key("1a2b3c4d", 3)),
            ("not-a-hash", key("not-a-hash", 1)),
        ] {
            assert_eq!(ContentKey::read(text), expected, "{text}");
        }
    }

    #[test]
    fn sanitized_stems() {
        for (text, expected) in [
            ("001_e06af5bd.md", "001-e06af5bd-md"),
            ("../../etc/passwd", "etc-passwd"),
            ("Ünïcode ☃", "n-code"),
            ("///", "x"),
            ("", "x"),
            ("--a--b--", "a-b"),
        ] {
            assert_eq!(sanitize(text), expected, "{text}");
        }
    }

    #[test]
    fn heading_paths_join_with_arrows() {
        assert_eq!(heading_path(&[]), "");
        assert_eq!(
            heading_path(&["Guide".into(), "Errors".into()]),
            "Guide > Errors"
        );
    }
}
