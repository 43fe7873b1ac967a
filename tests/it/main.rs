//! Integration tests: the `snipcheck` binary end to end, on real cargo, rustc,
//! clippy and crates.io.
//!
//! Every test that builds uses its own sandbox under `sandbox/it-*` but the same
//! target dir (`sandbox/it-target`), so each dependency is compiled once for the
//! whole suite.

mod action;
mod attack;
mod baseline;
mod cache;
mod cli;
mod corpus;
mod e2e;
mod fix;
mod fuzz;
mod hostile;
mod repair;
mod resolution;
mod shards;
mod support;
mod tidy;
mod workflows;
