//! The one place that hashes: SHA-256 over chunks of bytes, and its short hex form.
//!
//! Block ids, scratch package names, cache keys and shard assignment all name
//! things by a hash of their contents. They must agree on how that hash is
//! spelled, so every one of them goes through these two functions. A caller
//! that needs separators or length prefixes between its parts passes them as
//! chunks of their own; the chunks are hashed exactly as given.

use sha2::{Digest, Sha256};

/// The SHA-256 digest of the chunks, fed in order with nothing between them.
pub fn digest<I>(chunks: I) -> [u8; 32]
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    let mut hasher = Sha256::new();
    for chunk in chunks {
        hasher.update(chunk.as_ref());
    }
    hasher.finalize().into()
}

/// The first `bytes` bytes of the SHA-256 digest of the chunks, in lowercase
/// hex (two characters per byte; at most the whole digest, 64 characters).
pub fn short_hash<I>(chunks: I, bytes: usize) -> String
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    digest(chunks)
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values are those of `sha256sum` on the concatenated chunks.
    #[test]
    fn short_hashes_are_sha256_prefixes() {
        let cases: &[(&[&str], usize, &str)] = &[
            (&[], 4, "e3b0c442"),
            (&[""], 4, "e3b0c442"),
            (&["abc"], 6, "ba7816bf8f01"),
            (&["a", "b", "c"], 6, "ba7816bf8f01"),
            (&["\n"], 4, "01ba4719"),
            (&["rust", "\n", "fn main() {}\n"], 4, "d8927642"),
            (
                &["rust\nfn main() {}\n"],
                32,
                "d8927642b2f8ca120fd1e3953a9ee9b3dcc252c7354bcc1606755c3e1cd45f8e",
            ),
            (
                &["rust\nfn main() {}\n"],
                99,
                "d8927642b2f8ca120fd1e3953a9ee9b3dcc252c7354bcc1606755c3e1cd45f8e",
            ),
            (
                &["guide-1a2b3c4d\n", "guide-1a2b3c4d-2\n"],
                6,
                "eb8a760cb322",
            ),
            (&["rust,ignore\nlet x = 1;\n"], 4, "d7cd866f"),
            (&["abc"], 0, ""),
        ];
        for (chunks, bytes, expected) in cases {
            assert_eq!(short_hash(*chunks, *bytes), *expected, "{chunks:?} {bytes}");
        }
    }

    #[test]
    fn the_digest_is_the_short_hash_in_full() {
        let full: String = digest(["abc"]).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(full, short_hash(["abc"], 32));
        assert_eq!(digest([b"ab".as_slice(), b"c"]), digest(["abc"]));
    }
}
