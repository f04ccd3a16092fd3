//! A JSON Schema subset validator for the extraction scenario.
//!
//! Why not a crate: no maintained Rust JSON-Schema validator is in this project's package
//! lists, the full ones pull a large dependency tree (regex engines, HTTP resolvers) into a
//! workspace built on two CPU cores, and the scenario's schema needs only a small, well-defined
//! subset. This one supports `type` (a name or a list), `enum`, `const`, `required`,
//! `properties`, `additionalProperties` (bool or schema), `items`, `minItems`, `maxItems`,
//! `minLength`, `maxLength`, `minimum`, `maximum`; annotations (`$schema`, `$id`, `title`,
//! `description`, `default`, `examples`) are ignored. Any other keyword is refused when the
//! schema is parsed, so a schema is never silently half-checked.

use serde_json::Value;

use crate::{Error, Result};

const TYPES: [&str; 7] = [
    "object", "array", "string", "number", "integer", "boolean", "null",
];
const CHECKED: [&str; 14] = [
    "type",
    "enum",
    "const",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "$schema",
];
const ANNOTATIONS: [&str; 5] = ["$id", "title", "description", "default", "examples"];

/// A parsed (checked) schema.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema(Value);

impl Schema {
    /// Checks that `schema` uses only the supported subset, well-formed.
    pub fn parse(schema: &Value) -> Result<Schema> {
        check(schema, "#")?;
        Ok(Schema(schema.clone()))
    }

    /// Parses schema text (JSON).
    pub fn parse_str(text: &str) -> Result<Schema> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::Schema(format!("not JSON: {e}")))?;
        Schema::parse(&v)
    }

    /// Violations of `value` (empty when it validates), each with its JSON pointer.
    pub fn validate(&self, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        validate(&self.0, value, "", &mut errors);
        errors
    }
}

fn check(s: &Value, at: &str) -> Result<()> {
    let bad = |m: String| Err(Error::Schema(format!("{at}: {m}")));
    let Some(obj) = s.as_object() else {
        return bad("a schema must be a JSON object".into());
    };
    for (k, v) in obj {
        if !CHECKED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
            return bad(format!("keyword '{k}' is not supported by this validator"));
        }
        match k.as_str() {
            "type" => {
                let names: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                for n in names {
                    if !n.as_str().is_some_and(|n| TYPES.contains(&n)) {
                        return bad(format!("unknown type {n}"));
                    }
                }
            }
            "enum" if !v.is_array() => return bad("enum must be an array".into()),
            "required" if !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)) => {
                return bad("required must be an array of strings".into())
            }
            "properties" => {
                let Some(props) = v.as_object() else {
                    return bad("properties must be an object".into());
                };
                for (name, sub) in props {
                    check(sub, &format!("{at}/properties/{name}"))?;
                }
            }
            "additionalProperties" if !v.is_boolean() => {
                check(v, &format!("{at}/additionalProperties"))?
            }
            "items" => check(v, &format!("{at}/items"))?,
            "minItems" | "maxItems" | "minLength" | "maxLength" if !v.is_u64() => {
                return bad(format!("{k} must be a non-negative integer"))
            }
            "minimum" | "maximum" if !v.is_number() => return bad(format!("{k} must be a number")),
            _ => {}
        }
    }
    Ok(())
}

fn type_matches(name: &str, v: &Value) -> bool {
    match name {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "boolean" => v.is_boolean(),
        _ => v.is_null(),
    }
}

fn validate(s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let here = if at.is_empty() { "/" } else { at };
    let Some(obj) = s.as_object() else { return };
    if let Some(t) = obj.get("type") {
        let names: Vec<&str> = match t {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            other => other.as_str().into_iter().collect(),
        };
        if !names.iter().any(|n| type_matches(n, v)) {
            errors.push(format!("{here}: expected {}", names.join(" or ")));
            return;
        }
    }
    if let Some(options) = obj.get("enum").and_then(Value::as_array) {
        if !options.contains(v) {
            errors.push(format!("{here}: {v} is not one of the allowed values"));
        }
    }
    if let Some(c) = obj.get("const") {
        if c != v {
            errors.push(format!("{here}: must be {c}"));
        }
    }
    let limit = |k: &str| obj.get(k).and_then(Value::as_u64);
    if let Some(text) = v.as_str() {
        let n = text.chars().count() as u64;
        if limit("minLength").is_some_and(|m| n < m) || limit("maxLength").is_some_and(|m| n > m) {
            errors.push(format!("{here}: string length {n} out of range"));
        }
    }
    if let Some(x) = v.as_f64() {
        let bound = |k: &str| obj.get(k).and_then(Value::as_f64);
        if bound("minimum").is_some_and(|m| x < m) || bound("maximum").is_some_and(|m| x > m) {
            errors.push(format!("{here}: {x} out of range"));
        }
    }
    if let Some(items) = v.as_array() {
        let n = items.len() as u64;
        if limit("minItems").is_some_and(|m| n < m) || limit("maxItems").is_some_and(|m| n > m) {
            errors.push(format!("{here}: {n} items out of range"));
        }
        if let Some(item_schema) = obj.get("items") {
            for (i, item) in items.iter().enumerate() {
                validate(item_schema, item, &format!("{at}/{i}"), errors);
            }
        }
    }
    if let Some(map) = v.as_object() {
        let props = obj.get("properties").and_then(Value::as_object);
        for name in obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = name.as_str().filter(|n| !map.contains_key(*n)) {
                errors.push(format!("{here}: missing required '{name}'"));
            }
        }
        for (k, val) in map {
            let path = format!("{at}/{k}");
            match (
                props.and_then(|p| p.get(k)),
                obj.get("additionalProperties"),
            ) {
                (Some(sub), _) => validate(sub, val, &path, errors),
                (None, Some(Value::Bool(false))) => {
                    errors.push(format!("{here}: unexpected property '{k}'"))
                }
                (None, Some(extra)) if extra.is_object() => validate(extra, val, &path, errors),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn validates_types_required_enums_and_nesting() {
        let s = Schema::parse(&json!({
            "type": "object", "required": ["a", "b"], "additionalProperties": false,
            "properties": {
                "a": {"type": "string", "enum": ["x", "y"]},
                "b": {"type": "array", "minItems": 1, "items": {"type": "integer", "maximum": 9}}
            }
        }))
        .unwrap();
        assert!(s.validate(&json!({"a": "x", "b": [1, 2]})).is_empty());
        let errs = s.validate(&json!({"a": "z", "b": [1, 20], "c": 1}));
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("/b/1")), "{errs:?}");
        assert!(
            errs.iter().any(|e| e.contains("unexpected property 'c'")),
            "{errs:?}"
        );
        assert_eq!(
            s.validate(&json!({"a": "x"})),
            vec!["/: missing required 'b'"]
        );
        assert_eq!(s.validate(&json!([1])), vec!["/: expected object"]);
        assert!(!s.validate(&json!({"a": "x", "b": []})).is_empty());
    }

    #[test]
    fn schemas_that_do_not_parse_or_use_unsupported_keywords_are_refused() {
        let e = Schema::parse_str("{\"type\": ").unwrap_err();
        assert!(
            e.to_string().starts_with("extraction schema: not JSON"),
            "{e}"
        );
        let e = Schema::parse(&json!({"type": "object", "patternProperties": {}})).unwrap_err();
        assert!(
            e.to_string()
                .contains("'patternProperties' is not supported"),
            "{e}"
        );
        let e = Schema::parse(&json!({"properties": {"x": {"type": "text"}}})).unwrap_err();
        assert!(e.to_string().contains("#/properties/x"), "{e}");
        assert!(Schema::parse(&json!(["not", "an", "object"])).is_err());
    }
}
