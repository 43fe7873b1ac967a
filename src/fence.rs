//! The fence info-string grammar, as rustdoc reads it.
//!
//! ```` ```rust,ignore ````, ```` ```rs no_run ````, ```` ```{.rust .ignore} ```` and
//! ```` ```compile_fail,E0308 ```` all say something about how to check a block.
//! Tokens are split on commas and whitespace; braces and leading dots are
//! accepted as rustdoc accepts them. Unknown tokens are kept, never dropped, so
//! later stages (and reports) can see exactly what the author wrote.

use serde::Serialize;

/// A Rust edition that a block may ask for with `edition20xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Edition {
    #[serde(rename = "2015")]
    E2015,
    #[serde(rename = "2018")]
    E2018,
    #[serde(rename = "2021")]
    E2021,
    #[serde(rename = "2024")]
    E2024,
}

impl Edition {
    /// The edition examples are checked with unless they ask for another.
    pub const LATEST: Edition = Edition::E2024;

    pub fn as_str(self) -> &'static str {
        match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        }
    }

    fn from_token(token: &str) -> Option<Edition> {
        match token {
            "edition2015" => Some(Edition::E2015),
            "edition2018" => Some(Edition::E2018),
            "edition2021" => Some(Edition::E2021),
            "edition2024" => Some(Edition::E2024),
            _ => None,
        }
    }
}

/// The rustdoc attributes of one fence.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RustdocAttrs {
    pub ignore: bool,
    pub no_run: bool,
    pub should_panic: bool,
    pub compile_fail: bool,
    pub test_harness: bool,
    pub standalone_crate: bool,
    /// Error codes (`E0308`) that a `compile_fail` block must produce.
    pub error_codes: Vec<String>,
    pub edition: Option<Edition>,
}

/// A parsed info string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FenceInfo {
    /// The language token, lowercased (`rust`, `toml`, `bash`), if the first token is not an attribute.
    pub lang: Option<String>,
    pub attrs: RustdocAttrs,
    /// Tokens that are neither the language nor a rustdoc attribute, in order.
    pub unknown: Vec<String>,
    /// Whether the block is a Rust example: tagged `rust`/`rs`, or carrying a rustdoc attribute
    /// with no other language.
    pub is_rust: bool,
}

/// Parses an info string. Never fails: whatever is not understood lands in `unknown`.
pub fn parse_info(info: &str) -> FenceInfo {
    let mut out = FenceInfo::default();
    let mut saw_rustdoc_attr = false;
    let tokens = info
        .split(|c: char| c == ',' || c.is_whitespace() || c == '{' || c == '}')
        .map(|t| t.trim_start_matches('.'))
        .filter(|t| !t.is_empty());
    for (i, token) in tokens.enumerate() {
        let known = apply_attr(&mut out.attrs, token);
        saw_rustdoc_attr |= known;
        if known {
            continue;
        }
        if i == 0 {
            out.lang = Some(token.to_ascii_lowercase());
        } else {
            out.unknown.push(token.to_string());
        }
    }
    out.is_rust = match out.lang.as_deref() {
        Some("rust" | "rs") => true,
        Some(_) => false,
        None => saw_rustdoc_attr,
    };
    out
}

fn apply_attr(attrs: &mut RustdocAttrs, token: &str) -> bool {
    match token {
        "ignore" => attrs.ignore = true,
        "no_run" => attrs.no_run = true,
        "should_panic" => attrs.should_panic = true,
        "compile_fail" => attrs.compile_fail = true,
        "test_harness" => attrs.test_harness = true,
        "standalone_crate" => attrs.standalone_crate = true,
        _ if token.starts_with("ignore-") => attrs.ignore = true,
        _ if is_error_code(token) => attrs.error_codes.push(token.to_string()),
        _ => match Edition::from_token(token) {
            Some(edition) => attrs.edition = Some(edition),
            None => return false,
        },
    }
    true
}

fn is_error_code(token: &str) -> bool {
    token.len() == 5 && token.starts_with('E') && token[1..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(info: &str, lang: Option<&str>, is_rust: bool, unknown: &[&str]) -> RustdocAttrs {
        let parsed = parse_info(info);
        assert_eq!(parsed.lang.as_deref(), lang, "lang of {info:?}");
        assert_eq!(parsed.is_rust, is_rust, "is_rust of {info:?}");
        assert_eq!(parsed.unknown, unknown, "unknown tokens of {info:?}");
        parsed.attrs
    }

    #[test]
    fn info_strings() {
        check("", None, false, &[]);
        check("rust", Some("rust"), true, &[]);
        check("Rust", Some("rust"), true, &[]);
        check("rs", Some("rs"), true, &[]);
        check("toml", Some("toml"), false, &[]);
        check("text", Some("text"), false, &[]);
        check(
            "rust title=\"main.rs\"",
            Some("rust"),
            true,
            &["title=\"main.rs\""],
        );
        check("{.rust .numberLines}", Some("rust"), true, &["numberLines"]);
        assert!(check("rust,ignore", Some("rust"), true, &[]).ignore);
        assert!(check("ignore", None, true, &[]).ignore);
        assert!(check("ignore-wasm32", None, true, &[]).ignore);
        assert!(check("rust no_run", Some("rust"), true, &[]).no_run);
        let attrs = check("compile_fail,E0308", None, true, &[]);
        assert!(attrs.compile_fail);
        assert_eq!(attrs.error_codes, ["E0308"]);
        assert_eq!(
            check("rust,edition2018", Some("rust"), true, &[]).edition,
            Some(Edition::E2018)
        );
        assert!(check("should_panic", None, true, &[]).should_panic);
        // A language other than Rust wins over attributes that follow it.
        check("text,ignore", Some("text"), false, &[]);
    }
}
