//! Reading JSON bodies field by field, collecting every field error of a request (SPEC 3, 9).

use crate::domain::{MAX_AMOUNT, MIN_AMOUNT};
use crate::error::FieldErrors;
use serde_json::{Map, Value};

/// Metadata limits (SPEC 5.2, 9).
pub const METADATA_MAX_KEYS: usize = 50;
pub const METADATA_MAX_KEY_CHARS: usize = 40;
pub const METADATA_MAX_BYTES: usize = 8 * 1024;
pub const METADATA_MAX_DEPTH: usize = 32;

/// A field that may be absent, explicitly `null`, or set.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch<T> {
    Absent,
    Null,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
}

/// A JSON object being read, with the errors found so far. Field paths are prefixed (`"3."`).
pub struct Input<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    pub errors: FieldErrors,
}

impl<'a> Input<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Self {
        Input {
            map,
            prefix: String::new(),
            errors: FieldErrors::new(),
        }
    }

    pub fn with_prefix(map: &'a Map<String, Value>, prefix: String) -> Self {
        Input {
            map,
            prefix,
            errors: FieldErrors::new(),
        }
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(format!("{}{field}", self.prefix), message);
    }

    pub fn raw(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    pub fn has(&self, field: &str) -> bool {
        self.map.contains_key(field)
    }

    /// Present and not null.
    pub fn given(&self, field: &str) -> bool {
        matches!(self.map.get(field), Some(v) if !v.is_null())
    }

    /// A string of at most `max` characters; `null` and absence are distinguished.
    pub fn string(&mut self, field: &str, max: usize) -> Patch<String> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) if s.chars().count() > max => {
                self.error(field, format!("must be at most {max} characters"));
                Patch::Absent
            }
            Some(Value::String(s)) => Patch::Set(s.clone()),
            Some(_) => {
                self.error(field, "must be a string");
                Patch::Absent
            }
        }
    }

    /// An integer within `min..=max`. A JSON number is an integer when it has no fractional part,
    /// however it is written (`1000`, `1000.0`, `1e3`), as JSON Schema's `integer` in the OpenAPI
    /// document reads it; `10.5` is not.
    pub fn integer(&mut self, field: &str, min: i64, max: i64) -> Patch<i64> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Number(n)) => match whole_number(n) {
                Ok(v) if (min..=max).contains(&v) => Patch::Set(v),
                Ok(_) | Err(Whole::OutOfRange) => {
                    self.error(field, format!("must be between {min} and {max}"));
                    Patch::Absent
                }
                Err(Whole::Fraction) => {
                    self.error(field, "must be an integer");
                    Patch::Absent
                }
            },
            Some(_) => {
                self.error(field, "must be an integer");
                Patch::Absent
            }
        }
    }

    /// An amount in cents (1 to 1,000,000,000).
    pub fn amount(&mut self, field: &str) -> Patch<i64> {
        self.integer(field, MIN_AMOUNT, MAX_AMOUNT)
    }

    pub fn boolean(&mut self, field: &str) -> Patch<bool> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Bool(b)) => Patch::Set(*b),
            Some(_) => {
                self.error(field, "must be a boolean");
                Patch::Absent
            }
        }
    }

    /// A ULID string (returned in canonical form).
    pub fn ulid(&mut self, field: &str) -> Patch<String> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::String(s)) => match crate::domain::parse_id(s) {
                Some(id) => Patch::Set(id),
                None => {
                    self.error(field, "must be a valid ULID");
                    Patch::Absent
                }
            },
            Some(_) => {
                self.error(field, "must be a string");
                Patch::Absent
            }
        }
    }

    /// An array (elements unchecked).
    pub fn array(&mut self, field: &str) -> Patch<&'a Vec<Value>> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Array(items)) => Patch::Set(items),
            Some(_) => {
                self.error(field, "must be an array");
                Patch::Absent
            }
        }
    }

    /// A metadata object, checked for shape (the size is checked on the stored result).
    pub fn metadata(&mut self, field: &str) -> Patch<Map<String, Value>> {
        match self.map.get(field) {
            None => Patch::Absent,
            Some(Value::Null) => Patch::Null,
            Some(Value::Object(m)) => {
                let before = self.errors.0.len();
                for key in m.keys() {
                    if key.chars().count() > METADATA_MAX_KEY_CHARS {
                        self.error(
                            field,
                            format!("keys must be at most {METADATA_MAX_KEY_CHARS} characters"),
                        );
                        break;
                    }
                }
                if depth(&Value::Object(m.clone())) > METADATA_MAX_DEPTH {
                    self.error(
                        field,
                        format!("must not nest deeper than {METADATA_MAX_DEPTH} levels"),
                    );
                }
                if self.errors.0.len() == before {
                    Patch::Set(m.clone())
                } else {
                    Patch::Absent
                }
            }
            Some(_) => {
                self.error(field, "must be an object");
                Patch::Absent
            }
        }
    }

    /// Checks the metadata that would be stored: key count and serialized size.
    pub fn check_stored_metadata(&mut self, field: &str, stored: &Map<String, Value>) {
        if stored.len() > METADATA_MAX_KEYS {
            self.error(field, format!("must have at most {METADATA_MAX_KEYS} keys"));
        }
        let size = serde_json::to_vec(stored)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > METADATA_MAX_BYTES {
            self.error(
                field,
                format!("must be at most {METADATA_MAX_BYTES} bytes when serialized"),
            );
        }
    }

    /// Metadata on create: the object with its `null` values dropped (or `{}`), checked as stored.
    pub fn new_metadata(&mut self, field: &str) -> Map<String, Value> {
        let metadata = match self.metadata(field) {
            Patch::Set(m) => without_nulls(m),
            _ => Map::new(),
        };
        self.check_stored_metadata(field, &metadata);
        metadata
    }

    /// Metadata on update: an object merges into `stored` (a `null` value removes its key), `null`
    /// clears it, absence leaves it; the result is checked as stored.
    pub fn patch_metadata(&mut self, field: &str, stored: &mut Map<String, Value>) {
        match self.metadata(field) {
            Patch::Set(m) => merge_metadata(stored, m),
            Patch::Null => stored.clear(),
            Patch::Absent => {}
        }
        self.check_stored_metadata(field, stored);
    }

    pub fn finish(self) -> Result<(), crate::error::ApiError> {
        self.errors.into_result()
    }
}

/// Why a JSON number is not an `i64`.
enum Whole {
    /// A whole number beyond the `i64` range.
    OutOfRange,
    /// Not a whole number.
    Fraction,
}

/// The value of a JSON number without a fractional part. A float past 2^53 may not be the exact
/// number written, but every integer field's range ends far below that, so it is refused either way.
fn whole_number(n: &serde_json::Number) -> Result<i64, Whole> {
    if let Some(v) = n.as_i64() {
        return Ok(v);
    }
    if n.is_u64() {
        return Err(Whole::OutOfRange);
    }
    match n.as_f64() {
        // From -2^63 up to 2^63 excluded: the floats that convert to an i64 without saturating.
        Some(f) if f.fract() == 0.0 && (i64::MIN as f64..-(i64::MIN as f64)).contains(&f) => {
            Ok(f as i64)
        }
        Some(f) if f.is_finite() && f.fract() == 0.0 => Err(Whole::OutOfRange),
        _ => Err(Whole::Fraction),
    }
}

/// Nesting depth of a JSON value: a scalar is 0, `{}` is 1, `{"a": {}}` is 2.
pub fn depth(value: &Value) -> usize {
    match value {
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Merges `patch` shallowly into `stored`; a `null` value removes the key.
pub fn merge_metadata(stored: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, value) in patch {
        if value.is_null() {
            stored.remove(&key);
        } else {
            stored.insert(key, value);
        }
    }
}

/// Metadata on create: `null` values are dropped.
pub fn without_nulls(map: Map<String, Value>) -> Map<String, Value> {
    map.into_iter().filter(|(_, v)| !v.is_null()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn reports_every_field_error() {
        let body = map(json!({"amount": "1000", "name": 123, "n": 10.5}));
        let mut input = Input::new(&body);
        input.amount("amount");
        input.string("name", 255);
        input.integer("n", 0, 100);
        assert_eq!(input.errors.0.len(), 3);
    }

    #[test]
    fn amount_bounds_and_floats() {
        let body =
            map(json!({"a": 0, "b": 1000000001, "c": 1.0, "d": 1, "e": 18446744073709551615u64}));
        let mut input = Input::new(&body);
        assert_eq!(input.amount("a"), Patch::Absent);
        assert_eq!(input.amount("b"), Patch::Absent);
        assert_eq!(input.amount("c"), Patch::Set(1));
        assert_eq!(input.amount("d"), Patch::Set(1));
        assert_eq!(input.amount("e"), Patch::Absent);
        assert_eq!(input.errors.0.len(), 3);

        // Written with a fraction or an exponent, a whole number is that integer; 10.5 is not one.
        let body: Map<String, Value> = serde_json::from_str(
            r#"{"f": 1e3, "g": 1000000000.0, "h": 10.5, "i": 1e300, "j": -0.0, "k": 1.5e2}"#,
        )
        .unwrap_or_default();
        let mut input = Input::new(&body);
        assert_eq!(input.amount("f"), Patch::Set(1000));
        assert_eq!(input.amount("g"), Patch::Set(1_000_000_000));
        assert_eq!(input.amount("h"), Patch::Absent);
        assert_eq!(input.amount("i"), Patch::Absent);
        assert_eq!(input.integer("j", 0, 1), Patch::Set(0));
        assert_eq!(input.amount("k"), Patch::Set(150));
        assert_eq!(
            input.errors.0.get("h").map(Vec::as_slice),
            Some(&["must be an integer".to_string()][..])
        );
        assert_eq!(
            input.errors.0.get("i").map(Vec::as_slice),
            Some(&["must be between 1 and 1000000000".to_string()][..])
        );
    }

    #[test]
    fn strings_count_characters_not_bytes() {
        let long = "é".repeat(255);
        let body = map(json!({"name": long, "other": "x".repeat(256)}));
        let mut input = Input::new(&body);
        assert!(matches!(input.string("name", 255), Patch::Set(_)));
        assert_eq!(input.string("other", 255), Patch::Absent);
    }

    #[test]
    fn metadata_merge_and_limits() {
        let mut stored = map(json!({"a": 1, "b": 2}));
        merge_metadata(&mut stored, map(json!({"a": null, "c": 3})));
        assert_eq!(Value::Object(stored), json!({"b": 2, "c": 3}));

        let mut deep = json!(1);
        for _ in 0..40 {
            deep = json!({ "k": deep });
        }
        let body = map(json!({"metadata": deep}));
        let mut input = Input::new(&body);
        assert_eq!(input.metadata("metadata"), Patch::Absent);

        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        let mut input = Input::new(&body);
        input.check_stored_metadata("metadata", &many);
        assert!(!input.errors.is_empty());
    }
}
