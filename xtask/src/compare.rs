//! `cargo xtask compare-reports BEFORE AFTER [--ignore PATH]...`: are two JSON
//! reports the same? For refactors that must not change behaviour: save the
//! report before, make the change, compare. Differences are listed by JSON
//! pointer; `--ignore` drops a key everywhere it appears under a path pattern
//! (`cargo_invocations`, `problems/*/kind`, `snippets/*/cached`).

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Compares the two reports; exit code 0 when equal but for the ignored paths.
pub fn run(rest: Vec<String>) -> Result<i32> {
    let mut files = Vec::new();
    let mut ignored = Vec::new();
    let mut args = rest.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--ignore" => ignored.push(args.next().context("--ignore needs a path")?),
            "-h" | "--help" => {
                eprintln!("usage: cargo xtask compare-reports BEFORE AFTER [--ignore PATH]...");
                return Ok(0);
            }
            _ => files.push(arg),
        }
    }
    let [before, after] = files.as_slice() else {
        bail!("usage: cargo xtask compare-reports BEFORE AFTER [--ignore PATH]...");
    };
    let mut before = load(Path::new(before))?;
    let mut after = load(Path::new(after))?;
    for pattern in &ignored {
        let parts: Vec<&str> = pattern.split('/').collect();
        remove(&mut before, &parts);
        remove(&mut after, &parts);
    }
    let mut differences = Vec::new();
    diff("", &before, &after, &mut differences);
    for line in differences.iter().take(50) {
        println!("{line}");
    }
    if differences.len() > 50 {
        println!("... and {} more", differences.len() - 50);
    }
    let rows = after["snippets"].as_array().map_or(0, Vec::len);
    println!(
        "{} differences ({rows} rows compared{})",
        differences.len(),
        if ignored.is_empty() {
            String::new()
        } else {
            format!("; ignored {}", ignored.join(", "))
        }
    );
    Ok(i32::from(!differences.is_empty()))
}

fn load(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("`{}` is not JSON", path.display()))
}

/// Drops what `parts` names: object keys, `*` for every element or key.
fn remove(value: &mut Value, parts: &[&str]) {
    let [first, rest @ ..] = parts else {
        return;
    };
    match value {
        Value::Object(map) if rest.is_empty() && *first != "*" => {
            map.remove(*first);
        }
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if *first == "*" || key == first {
                    remove(child, rest);
                }
            }
        }
        Value::Array(items) if *first == "*" => {
            for child in items {
                remove(child, rest);
            }
        }
        _ => {}
    }
}

/// Every place where `a` and `b` differ, as `pointer: before -> after`.
fn diff(at: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let null = Value::Null;
                let path = format!("{at}/{key}");
                diff(
                    &path,
                    x.get(key).unwrap_or(&null),
                    y.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (n, (p, q)) in x.iter().zip(y).enumerate() {
                diff(&format!("{at}/{n}"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("{at}: {} -> {}", short(a), short(b))),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_found_and_ignored_paths_are_not() {
        let before: Value = serde_json::from_str(
            r#"{"a": 1, "problems": [{"kind": "input", "m": "x"}], "n": {"k": [1, 2]}}"#,
        )
        .expect("json");
        let mut after: Value =
            serde_json::from_str(r#"{"a": 2, "problems": [{"m": "x"}], "n": {"k": [1, 3]}}"#)
                .expect("json");
        let mut out = Vec::new();
        diff("", &before, &after, &mut out);
        assert_eq!(
            out,
            [
                "/a: 1 -> 2",
                "/n/k/1: 2 -> 3",
                "/problems/0/kind: \"input\" -> null"
            ]
        );
        let mut before = before;
        for pattern in ["a", "problems/*/kind", "n"] {
            let parts: Vec<&str> = pattern.split('/').collect();
            remove(&mut before, &parts);
            remove(&mut after, &parts);
        }
        let mut out = Vec::new();
        diff("", &before, &after, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
