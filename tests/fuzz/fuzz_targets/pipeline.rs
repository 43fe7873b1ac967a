//! libFuzzer over the pure stages: any bytes that are UTF-8 are a document.
//! `cargo +nightly fuzz run --fuzz-dir tests/fuzz pipeline` (see README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    if let Ok(doc) = std::str::from_utf8(data)
        && let Err(broken) = invariants::check(doc)
    {
        panic!("{broken}\ndocument: {doc:?}");
    }
});
