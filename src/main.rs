//! The `snipcheck` command: parses arguments and hands them to the library.

use clap::Parser;
use snipcheck::cli::{Args, Defaults, Terminal};
use snipcheck::edge;

fn main() {
    snipcheck::trace::start();
    let args = Args::parse();
    let code = edge::run(&args, &Defaults::default(), Terminal::detect());
    snipcheck::trace::write_if_requested();
    std::process::exit(code);
}
