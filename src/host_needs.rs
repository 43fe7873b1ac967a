//! What a dependency's build needs from the host: a program, a system
//! library, or a target the host is not. Pure.
//!
//! A crate whose build script cannot find `protoc`, libclang, CMake or a
//! library pkg-config knows is not the example's fault, and a maintainer can
//! only act on it when the report names the thing to install and the
//! package that provides it. That knowledge is data (`host_needs.toml`):
//! what identifies each need in a failed build's output, and its
//! Debian/Ubuntu and Homebrew packages. The same table says which lines mean
//! the dependency cannot be built for the host's target at all (firmware
//! for one chip).

use std::sync::LazyLock;

use serde::Deserialize;

/// The built-in table, compiled into the binary.
const TABLE_TEXT: &str = include_str!("host_needs.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    need: Vec<NeedEntry>,
    target: Vec<TargetEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NeedEntry {
    what: String,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    programs: Vec<String>,
    #[serde(default)]
    libraries: Vec<String>,
    apt: Option<String>,
    brew: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    what: String,
    lines: Vec<Vec<String>>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // The table is part of the source and a unit test parses it, so a
    // failure here is a build defect, not an input error.
    toml::from_str(TABLE_TEXT).expect("the built-in host_needs.toml is valid")
});

/// Something a build needs from the host, and where to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostNeed {
    /// The need as a report says it (`the Protocol Buffers compiler `protoc``).
    pub what: String,
    /// The Debian/Ubuntu package(s) that provide it.
    pub apt: Option<String>,
    /// The Homebrew formula(e) that provide it.
    pub brew: Option<String>,
    pub note: Option<String>,
}

impl HostNeed {
    fn of(entry: &NeedEntry) -> HostNeed {
        HostNeed {
            what: entry.what.clone(),
            apt: entry.apt.clone(),
            brew: entry.brew.clone(),
            note: entry.note.clone(),
        }
    }

    fn unknown(what: String) -> HostNeed {
        HostNeed {
            what,
            apt: None,
            brew: None,
            note: None,
        }
    }

    /// The need with where to get it: `the Protocol Buffers compiler
    /// `protoc` (Debian/Ubuntu: `apt install protobuf-compiler`; Homebrew:
    /// `brew install protobuf`; ...)`.
    pub fn describe(&self) -> String {
        let mut places = Vec::new();
        if let Some(apt) = &self.apt {
            places.push(format!("Debian/Ubuntu: `apt install {apt}`"));
        }
        if let Some(brew) = &self.brew {
            places.push(format!("Homebrew: `brew install {brew}`"));
        }
        places.extend(self.note.clone());
        if places.is_empty() {
            self.what.clone()
        } else {
            format!("{} ({})", self.what, places.join("; "))
        }
    }
}

/// What a failed build's output (one message, or a build script's output,
/// lines joined) says it needs from the host: the first entry of the table
/// whose pattern it contains, else the program or library it says it could
/// not find (from the table when the table knows it). `None` when it names
/// nothing missing.
pub fn host_need(text: &str) -> Option<HostNeed> {
    let table = &*TABLE;
    if let Some(entry) = table
        .need
        .iter()
        .find(|e| e.patterns.iter().any(|p| text.contains(p.as_str())))
    {
        return Some(HostNeed::of(entry));
    }
    if let Some(program) = missing_program(text) {
        return Some(
            table
                .need
                .iter()
                .find(|e| e.programs.contains(&program))
                .map_or_else(
                    || HostNeed::unknown(format!("the `{program}` program")),
                    HostNeed::of,
                ),
        );
    }
    let (library, how) = missing_library(text)?;
    let known = table.need.iter().find(|e| {
        e.libraries
            .iter()
            .any(|l| l.eq_ignore_ascii_case(&library.name))
    });
    Some(match (known, how) {
        (Some(entry), _) => HostNeed::of(entry),
        (None, Finder::PkgConfig) => HostNeed::unknown(match &library.for_crate {
            Some(krate) => format!(
                "the system library `{}` (its development package, found with pkg-config) for `{krate}`",
                library.name
            ),
            None => format!(
                "the system library `{}` (its development package, found with pkg-config)",
                library.name
            ),
        }),
        (None, Finder::Linker) => HostNeed::unknown(format!(
            "the system library `{0}` for the linker (`-l{0}`)",
            library.name
        )),
        (None, Finder::Unnamed) => HostNeed::unknown(
            "a system library (its development package, found with pkg-config)".to_string(),
        ),
    })
}

/// What a failed build's output says about a target the host is not: the
/// table's description and the line that says so, trimmed. `None` when no
/// line does.
pub fn target_need(text: &str) -> Option<String> {
    for line in text.lines() {
        let lower = line.to_lowercase();
        let matched = TABLE.target.iter().find(|entry| {
            entry
                .lines
                .iter()
                .any(|words| words.iter().all(|w| lower.contains(&w.to_lowercase())))
        });
        if let Some(entry) = matched {
            let said = line
                .trim()
                .trim_start_matches("error: ")
                .trim_start_matches("panicked at ");
            return Some(format!("{}: \u{201c}{said}\u{201d}", entry.what));
        }
    }
    None
}

/// A program the output says was not found: cmake's `is `cmake` not
/// installed?`, cc-rs's `failed to find tool "cc"` and `Is `cc`
/// installed?`, a shell's `x: not found` / `x: command not found`.
fn missing_program(text: &str) -> Option<String> {
    for line in text.lines() {
        if let Some(rest) = line
            .split("is `")
            .nth(1)
            .or_else(|| line.split("Is `").nth(1))
            && let Some((program, after)) = rest.split_once('`')
            && (after.starts_with(" not installed") || after.starts_with(" installed"))
        {
            return Some(program.to_string());
        }
        if let Some(rest) = line.split("failed to find tool \"").nth(1)
            && let Some((program, _)) = rest.split_once('"')
        {
            return Some(program.to_string());
        }
        for suffix in [": command not found", ": not found"] {
            if let Some(head) = line.trim_end().strip_suffix(suffix) {
                let program = head.rsplit([' ', ':']).next().unwrap_or(head);
                if !program.is_empty() && !program.contains('/') {
                    return Some(program.to_string());
                }
            }
        }
    }
    None
}

/// How a missing library was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finder {
    PkgConfig,
    Linker,
    /// pkg-config's words without the library's name.
    Unnamed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Library {
    name: String,
    /// The `-sys` crate that asked for it, when the output says.
    for_crate: Option<String>,
}

/// A library the output says was not found: pkg-config's `The system library
/// `x` required by crate `y` was not found` (and, before 0.3.26, `could not
/// find system library 'x' required by the 'y' crate`), pkg-config's own
/// `Package x was not found in the pkg-config search path`, the linker's
/// `-lx`.
fn missing_library(text: &str) -> Option<(Library, Finder)> {
    for line in text.lines() {
        let lower = line.to_lowercase();
        if lower.contains("system library")
            && (lower.contains("not found") || lower.contains("could not find"))
        {
            let mut parts = line.splitn(2, "required by");
            let name = parts
                .next()
                .and_then(|head| quoted(head.rsplit("library").next().unwrap_or(head)));
            let for_crate = parts.next().and_then(quoted);
            return Some(match name {
                Some(name) => (Library { name, for_crate }, Finder::PkgConfig),
                None => (
                    Library {
                        name: String::new(),
                        for_crate,
                    },
                    Finder::Unnamed,
                ),
            });
        }
        if let Some(rest) = line.split("Package ").nth(1)
            && let Some((name, _)) = rest.split_once(" was not found in the pkg-config search path")
        {
            let name = name.trim_matches(['\'', '"', '`']).to_string();
            return Some((
                Library {
                    name,
                    for_crate: None,
                },
                Finder::PkgConfig,
            ));
        }
        let at = ["unable to find library -l", "cannot find -l"]
            .iter()
            .find_map(|marker| line.find(marker).map(|at| at + marker.len()));
        if let Some(at) = at {
            let name: String = line[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
                .collect();
            if !name.is_empty() {
                return Some((
                    Library {
                        name,
                        for_crate: None,
                    },
                    Finder::Linker,
                ));
            }
        }
    }
    None
}

/// The first `backticked` or 'quoted' text.
fn quoted(text: &str) -> Option<String> {
    let start = text.find(['`', '\''])?;
    let mark = text[start..].chars().next()?;
    let rest = &text[start + 1..];
    let name = &rest[..rest.find(mark)?];
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_valid() {
        let table: Table = toml::from_str(TABLE_TEXT).expect("host_needs.toml parses");
        assert!(!table.need.is_empty() && !table.target.is_empty());
        for entry in &table.need {
            assert!(
                !(entry.patterns.is_empty()
                    && entry.programs.is_empty()
                    && entry.libraries.is_empty()),
                "{} is never recognised",
                entry.what
            );
            assert!(
                entry.apt.is_some() || entry.brew.is_some() || entry.note.is_some(),
                "{} says nowhere where to get it",
                entry.what
            );
        }
    }

    /// Failed builds' output (written for these tests after the tools' own
    /// wording) -> the start of the need it names.
    #[test]
    fn needs_named_by_failed_builds() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "  Error: Custom { kind: NotFound, error: \"Could not find `protoc`. If `protoc` is installed, set `PROTOC`\" }",
                Some(
                    "the Protocol Buffers compiler `protoc` (Debian/Ubuntu: `apt install protobuf-compiler`; Homebrew: `brew install protobuf`",
                ),
            ),
            (
                "  thread 'main' panicked at clang-sys/src/lib.rs:1:1:\n  Unable to find libclang: \"couldn't find any valid shared libraries\"",
                Some("libclang (for bindgen) (Debian/Ubuntu: `apt install libclang-dev`"),
            ),
            (
                "  failed to execute command: No such file or directory (os error 2)\n  is `cmake` not installed?",
                Some("CMake (the `cmake` program) (Debian/Ubuntu: `apt install cmake`"),
            ),
            (
                "  error occurred in cc-rs: failed to find tool \"cc\": No such file or directory (os error 2)",
                Some("a C or C++ compiler (Debian/Ubuntu: `apt install build-essential`; on macOS"),
            ),
            (
                "  error occurred: Failed to find tool. Is `g++` installed?",
                Some("a C or C++ compiler"),
            ),
            (
                "  The system library `gtk4` required by crate `gdk4-sys` was not found.\n  The file `gtk4.pc` needs to be installed.",
                Some(
                    "GTK 4's development files (Debian/Ubuntu: `apt install libgtk-4-dev`; Homebrew: `brew install gtk4`)",
                ),
            ),
            (
                "  Package glib-2.0 was not found in the pkg-config search path.",
                Some("GLib's development files (Debian/Ubuntu: `apt install libglib2.0-dev`"),
            ),
            (
                "  could not find system library 'libfrob' required by the 'frob-sys' crate",
                Some(
                    "the system library `libfrob` (its development package, found with pkg-config) for `frob-sys`",
                ),
            ),
            (
                "  Could not run `PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1 pkg-config --libs --cflags alsa`\n  The pkg-config command could not be found.",
                Some(
                    "pkg-config (Debian/Ubuntu: `apt install pkg-config`; Homebrew: `brew install pkgconf`)",
                ),
            ),
            (
                "  Could not find directory of OpenSSL installation, and this `-sys` crate cannot proceed",
                Some(
                    "OpenSSL's development files (Debian/Ubuntu: `apt install libssl-dev pkg-config`",
                ),
            ),
            (
                "  /usr/bin/ld: cannot find -lfrob: No such file or directory",
                Some("the system library `frob` for the linker (`-lfrob`)"),
            ),
            (
                "  = note: rust-lld: error: unable to find library -lsqlite3",
                Some("SQLite's development files"),
            ),
            ("  sh: 1: nasm: not found", Some("the NASM assembler")),
            (
                "  curl: (6) Could not resolve host: example.org\n  thread 'main' panicked at build.rs:9:5:\n  failed to download the assets",
                Some("the network while it builds"),
            ),
            (
                "  /bin/sh: frobnicate: command not found",
                Some("the `frobnicate` program"),
            ),
            (
                "  Can't locate FindBin.pm in @INC (you may need to install the FindBin module)",
                Some("Perl"),
            ),
            (
                "  thread 'main' panicked at build.rs:3:5:\n  assertion failed",
                None,
            ),
            ("error[E0308]: mismatched types", None),
            ("  not found: the file `data.bin`", None),
        ];
        for (text, expected) in cases {
            let need = host_need(text).map(|n| n.describe());
            match expected {
                Some(start) => assert!(
                    need.as_deref().is_some_and(|n| n.starts_with(start)),
                    "{text}: {need:?}"
                ),
                None => assert_eq!(need, None, "{text}"),
            }
        }
    }

    #[test]
    fn targets_the_host_is_not() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "  thread 'main' panicked at build.rs:14:14:\n  Exactly one chip must be enabled through its Cargo feature, 0 given",
                Some(
                    "a chip feature (the crate is firmware for one family of microcontrollers): \u{201c}Exactly one chip must be enabled through its Cargo feature, 0 given\u{201d}",
                ),
            ),
            ("  You must select one chip.", Some("a chip feature")),
            (
                "error: this crate does not support the target architecture (unsupported architecture)",
                Some("a target this host is not: \u{201c}this crate does not support"),
            ),
            (
                "error[E0432]: unresolved import: could not find `arm` in `arch`",
                Some("a target this host is not"),
            ),
            (
                "  This crate is only supported on Windows.",
                Some("a target this host is not"),
            ),
            ("  Could not find `protoc`.", None),
            ("  TARGET = Some(x86_64-unknown-linux-gnu)", None),
            (
                "  unix-socket: blocked (/t/target/s.sock: Address family not supported by protocol)",
                None,
            ),
            (
                "  cargo:rerun-if-env-changed=CC_x86_64-unknown-linux-gnu",
                None,
            ),
        ];
        for (text, expected) in cases {
            let target = target_need(text);
            match expected {
                Some(start) => assert!(
                    target.as_deref().is_some_and(|t| t.starts_with(start)),
                    "{text}: {target:?}"
                ),
                None => assert_eq!(target, None, "{text}"),
            }
        }
    }
}
