//! Snippet code -> the external crates it needs, with versions and features.
//!
//! (Interface fixed; implementation in progress.)

use std::collections::BTreeSet;

/// What one snippet's code says about one external crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateUse {
    /// The name as the code writes it (`wasm_bindgen`).
    pub name: String,
    /// Every path through this crate the code uses, resolved through `use` items
    /// (`tokio::sync::RwLock`, `tokio::main`, `serde::Serialize`).
    pub paths: BTreeSet<String>,
    /// Every use sits under `#[cfg(test)]`: a dev-dependency.
    pub only_in_tests: bool,
    /// A type of this crate appears in an item deriving `Serialize`/`Deserialize`.
    pub in_serde_derive: bool,
}

/// One dependency of a scratch crate. (Placeholder until the inference lands.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepSpec {
    pub name: String,
    pub package: String,
    pub requirement: String,
    pub features: BTreeSet<String>,
    pub dev: bool,
}
