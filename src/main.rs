//! The `snipcheck` command: parses arguments and hands them to the library.

fn main() {
    std::process::exit(snipcheck::edge::main(std::env::args_os().collect()));
}
