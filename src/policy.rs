//! Which of the crates a document's snippets need the run may fetch and
//! build: the decision of `snipcheck.toml`'s `[policy]` ([`Policy`]).
//!
//! Documents are untrusted. Naming a crate in an example makes the run fetch
//! it from crates.io and build it, and a crate's build script and proc macros
//! run at build time, so a document could make any published code run on the
//! machine that checks it. The policy bounds that: which crates may be built
//! at all (`crates = "any"`, `crates = "declared"` or `allow = [..]`), and how
//! many distinct crates one document may pull in
//! (`max-crates-per-document`). A snippet that needs a crate the policy
//! refuses is not built: the pipeline drops it before the registry is asked,
//! so the refused crate reaches neither the registry's index, nor `cargo metadata`,
//! nor the scratch workspace, and its row says why (`dependency-refused`).
//!
//! [`decide`] is a pure function over one document's snippets in document
//! order; `prepare.rs` gathers its input from the crate uses and the
//! declarations, `pipeline.rs` applies the answer. It runs on every block of
//! a document before `--partition` keeps a shard's, so every shard decides
//! the same.
//!
//! Names are compared as code writes them, `-` read as `_` (`serde-json` and
//! `serde_json` are one crate, as cargo has them). A crate that reaches cargo
//! under another package name (a pin's `package = ..`, a known-crate rule)
//! is checked under both names, so a rename cannot smuggle a package past
//! `allow`.

use std::collections::{BTreeMap, BTreeSet};

use crate::pins::{CrateRule, Policy};

/// How many of the crates past the cap a refusal names before it says how
/// many more there are.
const NAMED_PAST_THE_CAP: usize = 10;

/// One crate a snippet would pull in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// The name as code writes it (`serde_json`).
    pub name: String,
    /// The registry package it would be fetched as, when a pin or a
    /// known-crate rule names one (`wasm-bindgen`, `rand` for `rand_old`).
    pub package: Option<String>,
}

/// One snippet of a document, in document order, and what it would pull in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The snippet's id.
    pub id: String,
    /// Its crates (direct dependencies), in the order first seen.
    pub crates: Vec<Wanted>,
    /// The crates declared for it besides what its document declares: by
    /// the configuration's pins that apply to it. Code names (`-` as `_`).
    pub declared: BTreeSet<String>,
}

/// Why a snippet is not built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The snippet's crates the policy refuses, code names, in its order.
    pub crates: Vec<String>,
    /// What breaks which rule, naming the crates: one or more sentences.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// The snippets of one document that the policy refuses, by id; the others
/// may be built. `snippets` are the document's snippets in document order;
/// `declared` the crates the document declares (toml blocks, every snippet's
/// frontmatter and `dep=` tokens), code names (`-` as `_`).
///
/// A crate is refused by name when `allow` does not list it (or the package
/// it is fetched as), or when `crates = "declared"` and nothing declares it.
/// The crates that pass that rule are counted in order of first appearance
/// in the document (snippet by snippet, each snippet's crates in its order);
/// those past the first `max-crates-per-document` are refused wherever they
/// appear. A snippet that needs any refused crate is refused whole, so the
/// crates that are built for a document never break the policy.
pub fn decide(
    policy: &Policy,
    declared: &BTreeSet<String>,
    snippets: &[Request],
) -> BTreeMap<String, Refusal> {
    let by_name: Vec<Vec<(&Wanted, Option<String>)>> = snippets
        .iter()
        .map(|snippet| {
            let declared = [declared, &snippet.declared];
            snippet
                .crates
                .iter()
                .map(|wanted| (wanted, name_rule(&policy.crates, wanted, declared)))
                .collect()
        })
        .collect();
    // Sets beside the lists: a hostile document may name thousands of crates.
    let mut order: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    for (wanted, _) in by_name.iter().flatten().filter(|(_, why)| why.is_none()) {
        let name = normalize(&wanted.name);
        if seen.insert(name.clone()) {
            order.push(name);
        }
    }
    let cap = usize::try_from(policy.max_crates_per_document).unwrap_or(usize::MAX);
    let past: &[String] = order.get(cap..).unwrap_or_default();
    let past_set: BTreeSet<&str> = past.iter().map(String::as_str).collect();

    let mut refusals = BTreeMap::new();
    for (snippet, checked) in snippets.iter().zip(&by_name) {
        let mut crates = Vec::new();
        let mut refused_by_name = Vec::new();
        let mut sentences = Vec::new();
        let mut over_cap = false;
        for (wanted, why) in checked {
            if let Some(why) = why {
                crates.push(wanted.name.clone());
                refused_by_name.push(wanted.name.clone());
                sentences.push(why.clone());
            } else if past_set.contains(normalize(&wanted.name).as_str()) {
                crates.push(wanted.name.clone());
                over_cap = true;
            }
        }
        if over_cap {
            sentences.push(cap_sentence(policy.max_crates_per_document, &order, past));
        }
        if crates.is_empty() {
            continue;
        }
        let hint = hint(&policy.crates, &refused_by_name, over_cap);
        refusals.insert(
            snippet.id.clone(),
            Refusal {
                crates,
                message: sentences.join("; "),
                hint,
            },
        );
    }
    refusals
}

/// Why the name rule refuses `wanted`, or `None` when it may be built.
/// `declared`: the document's declarations and the snippet's own.
fn name_rule(
    rule: &CrateRule,
    wanted: &Wanted,
    declared: [&BTreeSet<String>; 2],
) -> Option<String> {
    let name = &wanted.name;
    match rule {
        CrateRule::Any => None,
        CrateRule::Declared => {
            let declared = declared.iter().any(|set| set.contains(&normalize(name)));
            (!declared).then(|| {
                format!(
                    "`{name}` is not declared by the document (a ```toml block, frontmatter or a `dep=` token) nor pinned in snipcheck.toml, and [policy].crates = \"declared\""
                )
            })
        }
        CrateRule::Allow(allowed) => {
            if !allowed.contains(&normalize(name)) {
                return Some(format!(
                    "`{name}` is not in [policy].allow of snipcheck.toml"
                ));
            }
            let package = wanted.package.as_deref()?;
            (!allowed.contains(&normalize(package))).then(|| {
                format!(
                    "`{name}` would be fetched as the package `{package}`, which is not in [policy].allow of snipcheck.toml"
                )
            })
        }
    }
}

/// The sentence of a refusal for crates past the cap.
fn cap_sentence(cap: u32, order: &[String], past: &[String]) -> String {
    let mut named: Vec<String> = past
        .iter()
        .take(NAMED_PAST_THE_CAP)
        .map(|name| format!("`{name}`"))
        .collect();
    if past.len() > NAMED_PAST_THE_CAP {
        named.push(format!("and {} more", past.len() - NAMED_PAST_THE_CAP));
    }
    format!(
        "the document pulls in {} distinct crates, over [policy].max-crates-per-document = {cap}; the crates past the cap are {}",
        order.len(),
        named.join(", ")
    )
}

/// What to do about a refusal: about the crates refused by name, and about
/// the cap.
fn hint(rule: &CrateRule, crates: &[String], over_cap: bool) -> String {
    let names = crates
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let them = if crates.len() == 1 { "it" } else { "them" };
    let by_name = match rule {
        _ if crates.is_empty() => None,
        CrateRule::Any => None,
        CrateRule::Declared => Some(format!(
            "if you trust {names}, declare {them} in a ```toml block of the document or in snipcheck.toml's [pins]"
        )),
        CrateRule::Allow(_) => Some(format!(
            "if you trust {names}, add {them} to [policy].allow in snipcheck.toml"
        )),
    };
    let cap = over_cap.then_some(
        "split the document, or raise [policy].max-crates-per-document in snipcheck.toml",
    );
    let mut parts: Vec<String> = by_name.into_iter().collect();
    parts.extend(cap.map(str::to_owned));
    parts.push("otherwise mark the block `ignore`".to_owned());
    parts.join("; ")
}

/// A crate name as cargo compares them: `-` and `_` alike.
fn normalize(name: &str) -> String {
    name.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snippet `id` needing `crates` (`name` or `name=package`), with
    /// `declared` declared for it.
    fn request(id: &str, crates: &str, declared: &str) -> Request {
        Request {
            id: id.to_owned(),
            crates: crates
                .split_whitespace()
                .map(|spec| match spec.split_once('=') {
                    Some((name, package)) => Wanted {
                        name: name.to_owned(),
                        package: Some(package.to_owned()),
                    },
                    None => Wanted {
                        name: spec.to_owned(),
                        package: None,
                    },
                })
                .collect(),
            declared: declared.split_whitespace().map(normalize).collect(),
        }
    }

    fn allow(names: &str, max: u32) -> Policy {
        Policy {
            crates: CrateRule::Allow(names.split_whitespace().map(normalize).collect()),
            max_crates_per_document: max,
        }
    }

    fn rule(crates: CrateRule, max: u32) -> Policy {
        Policy {
            crates,
            max_crates_per_document: max,
        }
    }

    /// A document that declares nothing.
    fn none() -> BTreeSet<String> {
        BTreeSet::new()
    }

    /// Renders the refusals as `id: crate crate; id: crate`.
    fn render(refusals: &BTreeMap<String, Refusal>) -> String {
        refusals
            .iter()
            .map(|(id, refusal)| format!("{id}: {}", refusal.crates.join(" ")))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn which_snippets_are_refused() {
        let any = Policy::default();
        let cases: Vec<(Policy, Vec<Request>, &str)> = vec![
            // The default refuses nothing a real document needs.
            (
                any.clone(),
                vec![request("a", "serde tokio", ""), request("b", "", "")],
                "",
            ),
            // An allow-list, `-` and `_` alike on both sides.
            (
                allow("serde serde-json tokio", 50),
                vec![
                    request("a", "serde serde_json", ""),
                    request("b", "serde_yaml tokio", ""),
                    request("c", "", ""),
                ],
                "b: serde_yaml",
            ),
            (
                allow("", 50),
                vec![request("a", "serde", "serde")],
                "a: serde",
            ),
            // A package under another name needs both names allowed.
            (
                allow("rand_old", 50),
                vec![request("a", "rand_old=evil", "")],
                "a: rand_old",
            ),
            (
                allow("rand_old rand", 50),
                vec![request("a", "rand_old=rand", "")],
                "",
            ),
            (
                allow("wasm_bindgen", 50),
                vec![request("a", "wasm_bindgen=wasm-bindgen", "")],
                "",
            ),
            // Declared: per snippet, whatever the other snippets declare.
            (
                rule(CrateRule::Declared, 50),
                vec![
                    request("a", "serde serde_json", "serde serde-json"),
                    request("b", "serde tokio", "serde"),
                ],
                "b: tokio",
            ),
            (
                rule(CrateRule::Declared, 50),
                vec![request(
                    "a",
                    "quickcheck quickcheck_macros",
                    "quickcheck_macros",
                )],
                "a: quickcheck",
            ),
            // The cap: crates in order of first appearance; a snippet needing a
            // crate past it is refused, one needing only earlier ones is not.
            (
                rule(CrateRule::Any, 2),
                vec![
                    request("a", "serde", ""),
                    request("b", "anyhow tokio", ""),
                    request("c", "serde anyhow", ""),
                    request("d", "tokio", ""),
                ],
                "b: tokio; d: tokio",
            ),
            (
                rule(CrateRule::Any, 3),
                vec![
                    request("a", "serde", ""),
                    request("b", "anyhow tokio", ""),
                    request("c", "serde anyhow", ""),
                ],
                "",
            ),
            // Crates the name rule refuses do not count toward the cap.
            (
                allow("serde tokio", 2),
                vec![
                    request("a", "openssl", ""),
                    request("b", "serde", ""),
                    request("c", "tokio", ""),
                ],
                "a: openssl",
            ),
            // Both rules at once: every refused crate is named.
            (
                allow("a1 a2 a3", 1),
                vec![request("s", "a1 a2 zz", "")],
                "s: a2 zz",
            ),
        ];
        for (policy, snippets, expected) in cases {
            assert_eq!(
                render(&decide(&policy, &BTreeSet::new(), &snippets)),
                expected,
                "{policy:?} {snippets:?}"
            );
        }
    }

    #[test]
    fn what_the_document_declares_serves_every_snippet() {
        let document: BTreeSet<String> = ["serde_json".to_owned()].into();
        let snippets = [
            request("a", "serde_json tokio", "tokio"),
            request("b", "serde-json tokio", ""),
        ];
        let refusals = decide(&rule(CrateRule::Declared, 50), &document, &snippets);
        assert_eq!(render(&refusals), "b: tokio");
        // A hostile number of distinct crates is decided at once.
        let many: Vec<String> = (0..20_000).map(|n| format!("c{n}")).collect();
        let snippets: Vec<Request> = many
            .iter()
            .map(|name| request(name, &format!("{name} serde"), ""))
            .collect();
        let refusals = decide(&Policy::default(), &document, &snippets);
        assert_eq!(refusals.len(), 20_000 - 49);
    }

    #[test]
    fn messages_name_the_crate_and_the_rule() {
        let refusals = decide(
            &allow("serde", 50),
            &none(),
            &[request("a", "serde serde_yaml", "")],
        );
        assert_eq!(
            refusals["a"].message,
            "`serde_yaml` is not in [policy].allow of snipcheck.toml"
        );
        assert_eq!(
            refusals["a"].hint,
            "if you trust `serde_yaml`, add it to [policy].allow in snipcheck.toml; otherwise mark the block `ignore`"
        );

        let refusals = decide(
            &allow("rand_old", 50),
            &none(),
            &[request("a", "rand_old=evil", "")],
        );
        assert_eq!(
            refusals["a"].message,
            "`rand_old` would be fetched as the package `evil`, which is not in [policy].allow of snipcheck.toml"
        );

        let refusals = decide(
            &rule(CrateRule::Declared, 50),
            &none(),
            &[request("a", "tokio", "")],
        );
        assert_eq!(
            refusals["a"].message,
            "`tokio` is not declared by the document (a ```toml block, frontmatter or a `dep=` token) nor pinned in snipcheck.toml, and [policy].crates = \"declared\""
        );

        let many: Vec<String> = (0..63).map(|n| format!("c{n:02}")).collect();
        let refusals = decide(
            &rule(CrateRule::Any, 50),
            &none(),
            &[request("a", &many.join(" "), "")],
        );
        assert_eq!(
            refusals["a"].crates,
            many[50..].to_vec(),
            "the crates past the cap"
        );
        assert_eq!(
            refusals["a"].message,
            "the document pulls in 63 distinct crates, over [policy].max-crates-per-document = 50; the crates past the cap are `c50`, `c51`, `c52`, `c53`, `c54`, `c55`, `c56`, `c57`, `c58`, `c59`, and 3 more"
        );
        assert_eq!(
            refusals["a"].hint,
            "split the document, or raise [policy].max-crates-per-document in snipcheck.toml; otherwise mark the block `ignore`"
        );

        let refusals = decide(
            &allow("a1 a2 a3", 1),
            &none(),
            &[request("s", "a1 a2 zz", "")],
        );
        assert_eq!(
            refusals["s"].message,
            "`zz` is not in [policy].allow of snipcheck.toml; the document pulls in 2 distinct crates, over [policy].max-crates-per-document = 1; the crates past the cap are `a2`"
        );
        assert_eq!(
            refusals["s"].hint,
            "if you trust `zz`, add it to [policy].allow in snipcheck.toml; split the document, or raise [policy].max-crates-per-document in snipcheck.toml; otherwise mark the block `ignore`"
        );
    }
}
