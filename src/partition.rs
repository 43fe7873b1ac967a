//! `--partition hash:K/N`: which blocks shard K of N checks, so that one run can
//! be spread over N machines and their reports merged (`report::merge`).
//!
//! A block belongs to a shard by a hash of the identity the baseline gives it:
//! its document, its heading path and the hash of its info string and text,
//! never its fence line. A block therefore stays on its shard when lines
//! elsewhere in the document move, and every shard, reading the same documents,
//! agrees on who checks what without talking to the others. Every block, Rust
//! or not, belongs to exactly one shard, so the merged reports hold each block
//! once; all of a block's toolchain rows go to the same shard.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::hash::digest;
use crate::identity::{BlockId, ContentKey, heading_path};

/// How blocks are assigned to shards. Only `hash` exists; the name is in the
/// argument and the report so that another scheme can be added compatibly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Scheme {
    /// A hash of the block's identity, modulo the shard count.
    Hash,
}

/// Shard `shard` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Partition {
    /// How blocks are assigned to shards.
    pub scheme: Scheme,
    /// The shard, from 1 to `count`.
    pub shard: u32,
    /// How many shards the run is split into.
    pub count: u32,
}

/// A `--partition` argument that is not `hash:K/N` with 1 ≤ K ≤ N.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error("`{0}`: the only partition scheme is `hash`; write hash:K/N (e.g. hash:1/3)")]
    UnknownScheme(String),
    #[error("`{0}`: expected hash:K/N with whole numbers K and N (e.g. hash:1/3)")]
    Malformed(String),
    #[error("`{0}`: the shard count N must be at least 1")]
    NoShards(String),
    #[error("`{text}`: the shard K must be between 1 and {count} (K is 1-based)")]
    ShardOutOfRange { text: String, count: u32 },
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(text: &str) -> Result<Partition, PartitionError> {
        let Some(rest) = text.strip_prefix("hash:") else {
            return Err(if text.contains(':') {
                PartitionError::UnknownScheme(text.to_string())
            } else {
                PartitionError::Malformed(text.to_string())
            });
        };
        let malformed = || PartitionError::Malformed(text.to_string());
        let (shard, count) = rest.split_once('/').ok_or_else(malformed)?;
        let number = |digits: &str| {
            // `u32::from_str` takes a leading `+`; a shard number is digits only.
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed());
            }
            digits.parse::<u32>().map_err(|_| malformed())
        };
        let (shard, count) = (number(shard)?, number(count)?);
        if count == 0 {
            return Err(PartitionError::NoShards(text.to_string()));
        }
        if shard == 0 || shard > count {
            return Err(PartitionError::ShardOutOfRange {
                text: text.to_string(),
                count,
            });
        }
        Ok(Partition {
            scheme: Scheme::Hash,
            shard,
            count,
        })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scheme {
            Scheme::Hash => write!(f, "hash:{}/{}", self.shard, self.count),
        }
    }
}

impl Partition {
    /// Whether the shard is one of the count (1 ≤ shard ≤ count), as parsing
    /// guarantees; a partition read from a report file is checked with this.
    pub fn is_valid(&self) -> bool {
        (1..=self.count).contains(&self.shard)
    }

    /// The shard (1-based) of the block with this identity: `file` as reports
    /// show it, `heading` its [`heading_path`], and `content` its content key.
    /// Only the content hash counts, not the copy number: repeats go with the
    /// first, so adding or removing a copy moves nothing.
    pub fn shard_of(&self, file: &str, heading: &str, content: &ContentKey) -> u32 {
        let digest = digest([file, "\n", heading, "\n", content.hash.as_str(), "\n"]);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // `count` is at least 1 when parsed; a hand-made `Partition` of 0 shards
        // is read as 1 rather than dividing by zero.
        let slot = u64::from_be_bytes(first) % u64::from(self.count.max(1));
        // `slot < count`, so it fits.
        u32::try_from(slot).unwrap_or(0) + 1
    }

    /// Whether this shard checks the block with this identity (see [`Partition::shard_of`]).
    pub fn owns(&self, file: &str, heading: &str, content: &ContentKey) -> bool {
        self.shard_of(file, heading, content) == self.shard
    }

    /// Whether this shard checks the block with this report id and heading path.
    pub fn owns_block(&self, file: &str, headings: &[String], id: &str) -> bool {
        self.owns(file, &heading_path(headings), &BlockId::content_of(id))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn parse(text: &str) -> Result<Partition, PartitionError> {
        text.parse()
    }

    #[test]
    fn arguments_parse_and_print_back() {
        for text in ["hash:1/1", "hash:1/3", "hash:3/3", "hash:17/40"] {
            let partition = parse(text).expect("valid");
            assert_eq!(partition.to_string(), text);
        }
        assert_eq!(
            parse("hash:2/5"),
            Ok(Partition {
                scheme: Scheme::Hash,
                shard: 2,
                count: 5
            })
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let error = |text: &str| parse(text).expect_err(text).to_string();
        assert!(error("hash:0/3").contains("between 1 and 3"));
        assert!(error("hash:4/3").contains("between 1 and 3"));
        assert!(error("hash:1/0").contains("at least 1"));
        assert!(error("count:1/3").contains("only partition scheme is `hash`"));
        for malformed in [
            "1/3",
            "hash:",
            "hash:1",
            "hash:/3",
            "hash:1/",
            "hash:a/b",
            "hash:-1/3",
            "hash:+1/3",
            "hash:1/3/5",
            "hash: 1/3",
            "hash:1/99999999999",
        ] {
            assert!(
                error(malformed).contains("expected hash:K/N"),
                "{malformed}: {}",
                error(malformed)
            );
        }
    }

    #[test]
    fn every_block_has_exactly_one_shard() {
        for count in 1..=7 {
            let shards: Vec<Partition> = (1..=count)
                .map(|k| parse(&format!("hash:{k}/{count}")).expect("valid"))
                .collect();
            let mut used = BTreeSet::new();
            for n in 0..200 {
                let hash = format!("{:08x}", n * 2_654_435_761_u64 % (1 << 32));
                let key = ContentKey {
                    hash: hash.clone(),
                    copy: 1,
                };
                let owners: Vec<u32> = shards
                    .iter()
                    .filter(|p| p.owns("specs/guide.md", "Guide > Errors", &key))
                    .map(|p| p.shard)
                    .collect();
                assert_eq!(owners.len(), 1, "{hash} on {count} shards: {owners:?}");
                used.extend(owners);
            }
            // 200 blocks spread over every shard.
            assert_eq!(used.len(), count as usize, "{used:?}");
        }
    }

    #[test]
    fn repeated_blocks_go_with_the_first() {
        let partition = parse("hash:1/4").expect("valid");
        for n in 0..50 {
            let hash = format!("{n:08x}");
            let first = ContentKey { hash, copy: 1 };
            let second = ContentKey {
                copy: 2,
                ..first.clone()
            };
            assert_eq!(
                partition.shard_of("g.md", "A", &first),
                partition.shard_of("g.md", "A", &second)
            );
        }
    }

    /// Shards of the blocks of a document, by fence line, as the pipeline ids them.
    fn shards(text: &str, count: u32) -> Vec<(u32, String, u32)> {
        let partition = Partition {
            scheme: Scheme::Hash,
            shard: 1,
            count,
        };
        let mut used = BTreeSet::new();
        crate::extract::extract(text)
            .iter()
            .map(|block| {
                let id = crate::identity::unique_id(&mut used, "guide", &block.info, &block.text);
                let heading = heading_path(&block.headings);
                (
                    block.fence_line,
                    block.text.clone(),
                    partition.shard_of("specs/guide.md", &heading, &id.content),
                )
            })
            .collect()
    }

    #[test]
    fn an_edit_elsewhere_moves_no_block_between_shards() {
        let blocks = [
            "fn one() {}\n",
            "fn two() -> u32 { 2 }\n",
            "let x = 3;\n",
            "struct Four;\n",
            "fn one() {}\n",
            "enum Six { A }\n",
        ];
        let document = |intro: &str, third: &str| {
            let mut text = format!("# Guide\n\n{intro}\n\n## Items\n\n");
            for (i, block) in blocks.iter().enumerate() {
                let block = if i == 2 { third } else { block };
                text.push_str(&format!("Example {i}.\n\n```rust\n{block}```\n\n"));
            }
            text
        };
        let before = document("A short intro.", blocks[2]);
        let after = document(
            "A longer intro,\nnow over\nfour lines,\nwith more to say.",
            "let x = 33;\n",
        );
        for count in 2..=6 {
            let (before, after) = (shards(&before, count), shards(&after, count));
            assert_eq!(before.len(), after.len());
            for ((line_before, text, shard_before), (line_after, _, shard_after)) in
                before.iter().zip(&after).filter(|(b, a)| b.1 == a.1)
            {
                assert_ne!(line_before, line_after, "the edit moved the block");
                assert_eq!(
                    shard_before, shard_after,
                    "`{text}` moved from shard {shard_before} to {shard_after} of {count}"
                );
            }
        }
    }
}
