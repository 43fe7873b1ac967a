//! The `snipcheck` command: parses arguments and hands them to the library.

use clap::Parser;
use snipcheck::cli::{Args, Defaults, Terminal};
use snipcheck::edge;

fn main() {
    // Started again as the confining parent of one build (see confine.rs).
    let mut raw = std::env::args_os();
    if raw
        .nth(1)
        .is_some_and(|first| first == snipcheck::confine::ENTRY)
    {
        std::process::exit(snipcheck::confine::enter(raw.collect()));
    }
    snipcheck::trace::start();
    let args = Args::parse();
    let code = edge::run(&args, &Defaults::default(), Terminal::detect());
    snipcheck::trace::write_if_requested();
    std::process::exit(code);
}
