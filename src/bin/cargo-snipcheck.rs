//! `cargo snipcheck`: the `snipcheck` command as a cargo subcommand.
//!
//! cargo runs `cargo-snipcheck snipcheck ARGS`; the `snipcheck` cargo adds is
//! dropped and the rest is the `snipcheck` command line. Run directly,
//! `cargo-snipcheck ARGS` works too.

use std::ffi::OsString;

fn main() {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    // Started again as the confining parent of one build (see confine.rs):
    // the arguments are the helper's, not a command line.
    let confining = argv
        .get(1)
        .is_some_and(|first| first == snipcheck::confine::ENTRY);
    if !confining {
        if argv.get(1).is_some_and(|first| first == "snipcheck") {
            argv.remove(1);
        }
        // Usage and `--help` then say `cargo snipcheck`.
        if let Some(name) = argv.first_mut() {
            *name = OsString::from("cargo snipcheck");
        }
    }
    std::process::exit(snipcheck::edge::main(argv));
}
