//! Deserializers for scalars that Udesk sends in more than one JSON type.
//!
//! Ids arrive as numbers in one place and strings in another; sizes as `"4.3M"` or `4300000`;
//! an empty string means "none". These helpers accept each reasonable form and nothing else.

use serde::de::{self, Deserializer, Unexpected};
use serde::Deserialize;
use serde_json::Value;

/// A string or a number, kept as a string (message ids, file sizes).
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(de::Error::invalid_type(
            unexpected(&other),
            &"a string or a number",
        )),
    }
}

/// Like [`string_or_number`], but `null` or absent is `None`.
pub fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s)),
        Value::Number(n) => Ok(Some(n.to_string())),
        other => Err(de::Error::invalid_type(
            unexpected(&other),
            &"a string or a number",
        )),
    }
}

/// A non-negative integer id given as a number or a numeric string; `null`, `""` are `None`.
pub fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_u64().map(Some).ok_or_else(|| {
            let why = match n.as_f64() {
                Some(f) if f > u64::MAX as f64 => "a number too large for an id",
                _ => "a negative or fractional number",
            };
            de::Error::invalid_value(Unexpected::Other(why), &"a non-negative integer")
        }),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => {
            s.trim().parse().map(Some).map_err(|_| {
                de::Error::invalid_value(Unexpected::Str(&s), &"a non-negative integer")
            })
        }
        other => Err(de::Error::invalid_type(
            unexpected(&other),
            &"a non-negative integer",
        )),
    }
}

/// A number of seconds given as a number or a numeric string; `null`, `""` are `None`. Finite
/// and not negative: `"NaN"` and `"inf"` parse as floats but are no duration.
pub fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    const EXPECTED: &str = "a non-negative number of seconds";
    let seconds = match Value::deserialize(d)? {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => Some(seconds),
            _ => return Err(de::Error::invalid_value(Unexpected::Str(&s), &EXPECTED)),
        },
        other => return Err(de::Error::invalid_type(unexpected(&other), &EXPECTED)),
    };
    match seconds {
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(s)),
        Some(s) => Err(de::Error::invalid_value(Unexpected::Float(s), &EXPECTED)),
        None => Ok(None),
    }
}

/// A list that may be `null` (treated as empty).
pub fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// The tags of one comma-separated string (ASCII or full-width commas), trimmed, none empty.
pub(crate) fn split_tags(s: &str) -> Vec<String> {
    s.split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Tags given as a list of strings or as one comma-separated string.
pub fn tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(split_tags(&s)),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(s),
                other => Err(de::Error::invalid_type(unexpected(&other), &"a tag string")),
            })
            .collect(),
        other => Err(de::Error::invalid_type(
            unexpected(&other),
            &"a list of tags",
        )),
    }
}

pub(crate) fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Unexpected::Signed(i),
            None => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// A required non-negative integer id, as a number or a numeric string.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    opt_id(d)?.ok_or_else(|| de::Error::invalid_value(Unexpected::Unit, &"a non-negative integer"))
}
