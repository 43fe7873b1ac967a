//! snipcheck: verifies the Rust code examples in Markdown documents by compiling
//! them, with the dependencies their code needs, under cargo and clippy.
//!
//! The crate is laid out as a pipeline; each module is one stage and stages talk
//! through the plain data types they return. See `ARCHITECTURE.md` for the map.

pub mod analyze;
pub mod baseline;
pub mod cache;
pub mod cargo;
pub mod cause;
pub mod cli;
pub mod confine;
pub mod crates_io;
pub mod deps;
pub mod diagnose;
pub mod discover;
pub mod edge;
pub mod error;
pub mod executor;
pub mod experiments;
pub mod extract;
pub mod fence;
pub mod fix;
pub mod fmt;
pub mod fsutil;
pub mod hash;
pub mod host_needs;
pub mod identity;
pub mod interrupt;
pub mod item_sources;
pub mod items;
pub mod local;
pub mod lockfile;
pub mod locking;
pub mod log;
pub mod parallel;
pub mod partition;
pub mod pin_fix;
pub mod pins;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod prepare;
pub mod primary;
pub mod progress;
pub mod registry;
pub mod repair;
pub mod report;
pub mod rows;
pub mod sandbox;
pub mod syntax;
pub mod taxonomy;
pub mod text;
pub mod trace;
pub mod wrap;
