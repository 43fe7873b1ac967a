//! The JSON report's published schema, generated from the report model itself.
//!
//! `schema/report.schema.json` is what [`report_schema`] derives (with
//! schemars) from [`Report`] and every type it reaches: the fields' doc
//! comments are the descriptions, serde's renames and defaults decide the
//! names and what is required. It describes what snipcheck reads back
//! (`--merge-reports`), so a field with a default, and every `Option`, may be
//! absent: the schema accepts reports written before such a field existed.
//! `schema/report.md`, the field reference the README links to, is rendered
//! from the same schema ([`render_reference`]). A test fails when either
//! committed file differs from what the types generate; `cargo xtask schema`
//! rewrites both.

use std::fmt::Write as _;

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value};

use super::{Report, SCHEMA_VERSION};

/// Where the schema is committed, from the repository root.
pub const SCHEMA_PATH: &str = "schema/report.schema.json";

/// Where the field reference rendered from the schema is committed.
pub const REFERENCE_PATH: &str = "schema/report.md";

/// The schema's `$id`: a name, not an address, until the project has a home
/// that serves the file; it changes with [`SCHEMA_VERSION`].
pub fn schema_id() -> String {
    format!("urn:snipcheck:report-schema:{SCHEMA_VERSION}")
}

/// The JSON schema (draft 2020-12) of the JSON report, with every object's
/// keys sorted so the text never depends on serde_json's features.
pub fn report_schema() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<Report>().to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert("$id".to_owned(), Value::from(schema_id()));
        root.insert(
            "title".to_owned(),
            Value::from(format!("snipcheck JSON report, schema {SCHEMA_VERSION}")),
        );
        // A report of another `schema` is another shape: this one only
        // describes its own version.
        if let Some(version) = root
            .get_mut("properties")
            .and_then(|properties| properties.get_mut("schema"))
            .and_then(Value::as_object_mut)
        {
            version.insert("const".to_owned(), Value::from(SCHEMA_VERSION));
        }
    }
    sorted(plain_links(schema))
}

/// The committed text of [`report_schema`]: pretty-printed, with a trailing newline.
pub fn render_schema() -> String {
    let mut text = serde_json::to_string_pretty(&report_schema())
        .expect("a JSON value always serializes: its map keys are strings");
    text.push('\n');
    text
}

/// `value` with rustdoc's intra-doc links in its descriptions shown as the
/// code they name: ``[`RunProblem`]`` and ``[`USAGE`](crate::error::exit::USAGE)``
/// both become `` `...` ``, which reads the same outside rustdoc.
fn plain_links(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| match (key.as_str(), value) {
                    ("description", Value::String(text)) => {
                        let text = unlink(&text);
                        (key, Value::String(text))
                    }
                    (_, value) => (key, plain_links(value)),
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(plain_links).collect()),
        other => other,
    }
}

/// `text` with every ``[`code`]`` and ``[`code`](target)`` reduced to `` `code` ``.
fn unlink(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(end) = rest[start..].find("`]").map(|end| start + end) else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&rest[start + 1..end + 1]);
        rest = &rest[end + 2..];
        if let Some(target) = rest.strip_prefix('(')
            && let Some(close) = target.find(')')
        {
            rest = &target[close + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// `value` with the keys of every object in sorted order.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The field reference of the JSON report, in Markdown: one table per object
/// (field, type, whether it is always there, meaning) and one list per
/// string enumeration, in the schema's words.
pub fn render_reference() -> String {
    let schema = report_schema();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The JSON report, field by field\n\n\
         <!-- Generated from the report model by `cargo xtask schema`; do not edit. -->\n\n\
         `--format json` writes one object, a `Report`. Its JSON schema is\n\
         [`report.schema.json`](report.schema.json) (`$id` `{}`).\n\
         A field that is not required may be absent (a report written before it\n\
         existed, or with nothing to say); a type `… or null` may be `null`.\n\
         Fields may be added within a schema version; a consumer should ignore\n\
         the ones it does not know.\n",
        schema_id()
    );
    let empty = Map::new();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    render_definition(&mut out, "Report", &schema);
    for (name, definition) in defs {
        render_definition(&mut out, name, definition);
    }
    out
}

/// One section of the reference: an object's table or an enumeration's list.
fn render_definition(out: &mut String, name: &str, definition: &Value) {
    let _ = writeln!(out, "## {name}\n");
    if let Some(description) = definition.get("description").and_then(Value::as_str) {
        let _ = writeln!(out, "{}\n", one_line(description));
    }
    if let Some(properties) = definition.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = definition
            .get("required")
            .and_then(Value::as_array)
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.push_str("| field | type | required | meaning |\n|---|---|---|---|\n");
        for (field, property) in properties {
            let presence = if required.contains(&field.as_str()) {
                "yes"
            } else {
                "no"
            };
            let meaning = property
                .get("description")
                .and_then(Value::as_str)
                .map(one_line)
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| `{field}` | {} | {presence} | {} |",
                type_of(property),
                meaning.replace('|', "\\|")
            );
        }
        out.push('\n');
    }
    let choices = enumeration(definition);
    for (value, description) in &choices {
        match description {
            Some(description) => {
                let _ = writeln!(out, "- `{value}`: {}", one_line(description));
            }
            None => {
                let _ = writeln!(out, "- `{value}`");
            }
        }
    }
    if !choices.is_empty() {
        out.push('\n');
    }
}

/// The values of a string enumeration, each with its description: schemars
/// writes described values as `oneOf` a `const`, and groups the others in
/// one `enum`.
fn enumeration(definition: &Value) -> Vec<(&Value, Option<&str>)> {
    let described = definition.get("oneOf").and_then(Value::as_array);
    let alternatives = described.map_or_else(|| vec![definition], |all| all.iter().collect());
    let mut values = Vec::new();
    for alternative in alternatives {
        let description = alternative.get("description").and_then(Value::as_str);
        if let Some(value) = alternative.get("const") {
            values.push((value, description));
        }
        for value in alternative
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            values.push((value, None));
        }
    }
    values
}

/// A description on one line, as a table cell holds it.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The type of a property, in words, with a link to a named type.
fn type_of(property: &Value) -> String {
    if let Some(reference) = property.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(alternatives) = property.get("anyOf").and_then(Value::as_array) {
        return alternatives
            .iter()
            .map(type_of)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    if let Some(value) = property.get("const") {
        return format!("`{value}`");
    }
    let types: Vec<&str> = match property.get("type") {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    types
        .iter()
        .map(|kind| match *kind {
            "array" => format!(
                "array of {}",
                property.get("items").map(type_of).unwrap_or_default()
            ),
            "object" => match property.get("additionalProperties") {
                Some(values @ Value::Object(_)) => format!("object of {}", type_of(values)),
                _ => "object".to_owned(),
            },
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde::de::DeserializeOwned;
    use serde_json::json;

    use super::*;
    use crate::partition::Scheme;
    use crate::report::{Change, LockMode, ProblemKind, Status};
    use crate::taxonomy::{Cause, TAXONOMY};

    /// The committed file at `path` (from the repository root) is `expected`;
    /// with `SNIPCHECK_UPDATE_SCHEMA=1` (and not under CI) it is rewritten instead.
    fn check_committed(path: &str, expected: &str) {
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let update = std::env::var_os("SNIPCHECK_UPDATE_SCHEMA").is_some_and(|v| v == "1")
            && std::env::var_os("CI").is_none();
        if update {
            if let Some(parent) = file.parent() {
                std::fs::create_dir_all(parent).expect("the schema folder can be created");
            }
            std::fs::write(&file, expected).expect("the schema file can be written");
            return;
        }
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            committed == expected,
            "{path} is not what the report model generates; run `cargo xtask schema` \
             (or SNIPCHECK_UPDATE_SCHEMA=1 cargo test -p snipcheck --lib report::schema) \
             and commit the result.\nfirst differing line: {:?}",
            committed
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .map(|line| line + 1)
        );
    }

    #[test]
    fn the_committed_schema_is_what_the_types_generate() {
        check_committed(SCHEMA_PATH, &render_schema());
    }

    #[test]
    fn the_committed_reference_is_what_the_schema_says() {
        check_committed(REFERENCE_PATH, &render_reference());
    }

    /// The schema names itself and its version, and only accepts that version.
    #[test]
    fn the_schema_names_its_version() {
        let schema = report_schema();
        assert_eq!(schema["$id"], "urn:snipcheck:report-schema:1");
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema["properties"]["schema"]["const"], SCHEMA_VERSION);
        assert!(
            schema["title"]
                .as_str()
                .is_some_and(|title| title.ends_with(&format!("schema {SCHEMA_VERSION}")))
        );
    }

    /// Every object, field and enumerated value has a description: a doc
    /// comment in the model. A new field without one fails here.
    #[test]
    fn every_field_and_value_is_described() {
        let schema = report_schema();
        let mut missing = Vec::new();
        let mut definitions = vec![("Report".to_owned(), &schema)];
        if let Some(defs) = schema["$defs"].as_object() {
            definitions.extend(defs.iter().map(|(name, def)| (name.clone(), def)));
        }
        for (name, definition) in definitions {
            if definition.get("description").is_none() {
                missing.push(name.clone());
            }
            for (field, property) in definition["properties"].as_object().into_iter().flatten() {
                if property.get("description").is_none() {
                    missing.push(format!("{name}.{field}"));
                }
            }
            for (value, description) in enumeration(definition) {
                if description.is_none() {
                    missing.push(format!("{name} {value}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "add a doc comment to: {}",
            missing.join(", ")
        );
    }

    /// The values of the enumeration `name`, each of which must read as a
    /// `T` and write back as itself.
    fn round_tripped<T: DeserializeOwned + serde::Serialize>(
        schema: &Value,
        name: &str,
    ) -> Vec<Value> {
        let values: Vec<Value> = enumeration(&schema["$defs"][name])
            .into_iter()
            .map(|(value, _)| value.clone())
            .collect();
        for value in &values {
            let read: T = serde_json::from_value(value.clone())
                .unwrap_or_else(|e| panic!("{name} {value} does not read: {e}"));
            assert_eq!(&serde_json::to_value(read).expect("serializes"), value);
        }
        values
    }

    /// Enumerations are written as serde writes them (kebab-case strings),
    /// every value the schema lists reads back as the Rust type.
    #[test]
    fn enumerations_are_the_serialized_names() {
        let schema = report_schema();
        let names: Vec<Value> = TAXONOMY.iter().map(|info| json!(info.name)).collect();
        assert_eq!(round_tripped::<Cause>(&schema, "Cause"), names);
        let changes = round_tripped::<Change>(&schema, "Change");
        for change in ["regressed", "fixed", "still-failing", "new", "unchanged"] {
            assert!(changes.contains(&json!(change)), "{change}");
        }
        assert_eq!(
            round_tripped::<Status>(&schema, "Status"),
            ["pass", "warn", "fail", "skip"].map(|v| json!(v))
        );
        assert_eq!(
            round_tripped::<ProblemKind>(&schema, "ProblemKind"),
            ["input", "environment", "limit"].map(|v| json!(v))
        );
        assert_eq!(
            round_tripped::<LockMode>(&schema, "LockMode"),
            ["locked", "latest"].map(|v| json!(v))
        );
        assert_eq!(round_tripped::<Scheme>(&schema, "Scheme"), [json!("hash")]);
    }

    /// What serde may leave out is not required; what it always needs is.
    #[test]
    fn defaults_and_options_are_not_required() {
        let schema = report_schema();
        let required = |definition: &Value| -> Vec<String> {
            definition["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect()
        };
        let report = required(&schema);
        for optional in [
            "baseline",
            "incomplete",
            "lockfile",
            "partition",
            "confinement",
        ] {
            assert!(!report.contains(&optional.to_owned()), "{optional}");
        }
        for always in ["schema", "snippets", "totals", "cargo_invocations"] {
            assert!(report.contains(&always.to_owned()), "{always}");
        }
        assert_eq!(required(&schema["$defs"]["RunProblem"]), ["message"]);
        assert_eq!(
            required(&schema["$defs"]["Evidence"]),
            ["variant", "toolchain", "passed", "tests", "remaining"]
        );
        assert_eq!(
            schema["$defs"]["RunProblem"]["properties"]["kind"]["default"],
            "environment"
        );
    }

    #[test]
    fn intra_doc_links_read_as_code() {
        assert_eq!(unlink("a [`RunProblem`] is"), "a `RunProblem` is");
        assert_eq!(
            unlink("exits with [`exit::USAGE`](crate::error::exit::USAGE)."),
            "exits with `exit::USAGE`."
        );
        assert_eq!(unlink("[not a link] and [`open"), "[not a link] and [`open");
        let described = render_schema();
        assert!(
            !described.contains("[`"),
            "a rustdoc link is left in the schema"
        );
    }
}
