//! The `snipcheck` command: parses arguments and hands them to the library.

use clap::Parser;
use snipcheck::cli::{self, Args, Defaults, Terminal};
use snipcheck::error::exit;

fn main() {
    snipcheck::trace::start();
    let args = Args::parse();
    let code = match cli::run(args, &Defaults::default(), Terminal::detect()) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            exit::ENVIRONMENT
        }
    };
    snipcheck::trace::write_if_requested();
    std::process::exit(code);
}
