//! The toolkit the readers and writers are made of: [`Fields`] takes an object apart field by
//! field, the scalar readers read one value (with the lenient forms of the `lenient` module),
//! and [`Object`] builds an object field by field.
//!
//! The rules are serde's, so a reader agrees with a derive: a missing or `null` optional field is
//! `None`; a field with a default may be missing but not `null`; a required field must be there
//! with the right type; fields nobody asks for are ignored. Errors name the field
//! (`items[0].id: expected a non-negative integer`), as [`crate::from_value`]'s do.

use serde_json::{Map, Number, Value};

use crate::ParseError;

/// What a reader gives: the value, or an error that names the field.
pub type Result<T> = std::result::Result<T, ParseError>;

/// A reader of one JSON value. Plain function pointers, not generics: every field of a type
/// shares one copy of [`Fields`]' code.
pub type Read<T> = fn(Value) -> Result<T>;

/// "expected `what`", at the value being read (its field is named one level up).
pub fn expected(what: &str) -> ParseError {
    ParseError::at("", ["expected ", what].concat())
}

/// An object, read field by field: each getter takes its field out.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// `value`, which must be an object.
    pub fn of(value: Value) -> Result<Fields> {
        match value {
            Value::Object(map) => Ok(Fields(map)),
            _ => Err(expected("an object")),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The field's value; missing and `null` are `None`.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    /// The fields nobody took.
    pub fn rest(self) -> Map<String, Value> {
        self.0
    }

    /// A field that must be there, read by `read`.
    pub fn req<T>(&mut self, key: &str, read: Read<T>) -> Result<T> {
        match self.0.remove(key) {
            Some(value) => read(value).map_err(|e| e.within(key)),
            None => Err(ParseError::at(key, ["missing field `", key, "`"].concat())),
        }
    }

    /// A field that may be missing or `null`, read by `read`.
    pub fn opt<T>(&mut self, key: &str, read: Read<T>) -> Result<Option<T>> {
        self.take(key)
            .map(|value| read(value).map_err(|e| e.within(key)))
            .transpose()
    }

    /// A field with a default: missing gives `default`, `null` is an error (as with serde).
    pub fn or<T>(&mut self, key: &str, default: T, read: Read<T>) -> Result<T> {
        match self.0.remove(key) {
            Some(value) => read(value).map_err(|e| e.within(key)),
            None => Ok(default),
        }
    }

    /// A list that may be missing or `null` (empty), each item read by `read`.
    pub fn list<T>(&mut self, key: &str, read: Read<T>) -> Result<Vec<T>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(value) => list(value, read).map_err(|e| e.within(key)),
        }
    }

    pub fn string(&mut self, key: &str) -> Result<String> {
        self.req(key, string)
    }

    pub fn opt_string(&mut self, key: &str) -> Result<Option<String>> {
        self.opt(key, string)
    }

    pub fn u64(&mut self, key: &str) -> Result<u64> {
        self.req(key, u64)
    }

    pub fn opt_u64(&mut self, key: &str) -> Result<Option<u64>> {
        self.opt(key, u64)
    }

    pub fn opt_u32(&mut self, key: &str) -> Result<Option<u32>> {
        self.opt(key, u32)
    }

    pub fn opt_i64(&mut self, key: &str) -> Result<Option<i64>> {
        self.opt(key, i64)
    }

    pub fn opt_bool(&mut self, key: &str) -> Result<Option<bool>> {
        self.opt(key, bool)
    }

    /// An id as a number or a numeric string; `""` is `None` too (`lenient::opt_id`).
    pub fn opt_id(&mut self, key: &str) -> Result<Option<u64>> {
        self.opt(key, id).map(Option::flatten)
    }
}

/// A list, each item read by `read`.
pub fn list<T>(value: Value, read: Read<T>) -> Result<Vec<T>> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| read(item).map_err(|e| e.within(&["[", &i.to_string(), "]"].concat())))
            .collect(),
        _ => Err(expected("a list")),
    }
}

pub fn string(value: Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(expected("a string")),
    }
}

pub fn u64(value: Value) -> Result<u64> {
    value
        .as_u64()
        .ok_or_else(|| expected("a non-negative integer"))
}

pub fn u32(value: Value) -> Result<u32> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| expected("a 32-bit non-negative integer"))
}

pub fn i64(value: Value) -> Result<i64> {
    value.as_i64().ok_or_else(|| expected("an integer"))
}

pub fn bool(value: Value) -> Result<bool> {
    value.as_bool().ok_or_else(|| expected("true or false"))
}

/// A string or a number, kept as text (`lenient::string_or_number`).
pub fn string_or_number(value: Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(expected("a string or a number")),
    }
}

/// A non-negative integer as a number or a numeric string; `""` is `None` (`lenient::opt_id`).
pub fn id(value: Value) -> Result<Option<u64>> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| expected("a non-negative integer")),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| expected("a non-negative integer")),
        _ => Err(expected("a non-negative integer")),
    }
}

/// Seconds as a number or a numeric string; `""` is `None`. Finite and not negative, as
/// `lenient::opt_seconds` reads them.
pub fn seconds(value: Value) -> Result<Option<f64>> {
    let seconds = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => match n.as_f64() {
            Some(seconds) => seconds,
            None => return Ok(None),
        },
        Value::String(s) if s.trim().is_empty() => return Ok(None),
        Value::String(s) => parse_decimal(s.trim()).unwrap_or(f64::NAN),
        _ => f64::NAN,
    };
    if seconds.is_finite() && seconds >= 0.0 {
        Ok(Some(seconds))
    } else {
        Err(expected("a non-negative number of seconds"))
    }
}

/// A number written as text (`"3.5"`, `"-2"`, `"1e3"`, `".5"`, `"inf"`), read as
/// `str::parse::<f64>` reads it but without its correctly-rounding algorithm, whose tables are
/// over 10 KB of wasm. The value is the same for up to 15 significant digits and exponents within
/// ±22 (every duration Udesk sends); beyond that it may be one rounding step off.
pub fn parse_decimal(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let value = match rest.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => decimal(rest)?,
    };
    Some(if negative { -value } else { value })
}

/// Digits with an optional fraction and exponent: `mantissa × 10^exponent`.
fn decimal(text: &str) -> Option<f64> {
    let (number, exponent) = match text.find(['e', 'E']) {
        Some(e) => (&text[..e], exponent(&text[e + 1..])?),
        None => (text, 0),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = || whole.bytes().chain(fraction.bytes());
    if (whole.is_empty() && fraction.is_empty()) || !digits().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut mantissa: u64 = 0;
    let mut scale = exponent.saturating_sub(fraction.len() as i32);
    for digit in digits() {
        if mantissa < 1_000_000_000_000_000_000 {
            mantissa = mantissa * 10 + u64::from(digit - b'0');
        } else {
            // Past 19 digits the rest is below f64's precision.
            scale = scale.saturating_add(1);
        }
    }
    if mantissa == 0 {
        // Zero, whatever its exponent (0 × 10^999 is not 0 × ∞).
        return Some(0.0);
    }
    let mut value = mantissa as f64;
    // 10^-324 is no f64: reach the smallest numbers in steps.
    while scale < -300 {
        value /= 1e300;
        scale += 300;
    }
    Some(if scale >= 0 {
        value * 10f64.powi(scale)
    } else {
        value / 10f64.powi(-scale)
    })
}

fn exponent(text: &str) -> Option<i32> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().fold(0i32, |n, b| {
        n.saturating_mul(10).saturating_add(i32::from(b - b'0'))
    });
    Some(if negative { -magnitude } else { magnitude })
}

/// Tags as a list of strings or one comma-separated string (`lenient::tags`).
pub fn tags(value: Value) -> Result<Vec<String>> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(crate::lenient::split_tags(&s)),
        Value::Array(_) => list(value, string),
        _ => Err(expected("a list of tags")),
    }
}

/// An object under construction, field by field (what `json!` would build, without its macro
/// code at every use).
#[derive(Default)]
pub struct Object(Map<String, Value>);

impl Object {
    pub fn new() -> Object {
        Object::default()
    }

    pub fn set(mut self, key: &str, value: Value) -> Object {
        self.0.insert(key.to_owned(), value);
        self
    }

    /// Sets `key` when `value` is `Some` (serde's `skip_serializing_if = "Option::is_none"`).
    pub fn opt(self, key: &str, value: Option<Value>) -> Object {
        match value {
            Some(value) => self.set(key, value),
            None => self,
        }
    }

    /// Sets `key` when `value` is not empty (`skip_serializing_if = "String::is_empty"`).
    pub fn non_empty(self, key: &str, value: &str) -> Object {
        if value.is_empty() {
            self
        } else {
            self.set(key, value.into())
        }
    }

    pub fn value(self) -> Value {
        Value::Object(self.0)
    }
}

/// An optional string as a JSON value.
pub fn opt_str(value: &Option<String>) -> Option<Value> {
    value.as_deref().map(Value::from)
}

/// A number of seconds (`null` when not finite, as serde_json writes it).
pub fn f64_value(value: f64) -> Value {
    Number::from_f64(value).map_or(Value::Null, Value::Number)
}

/// Each item of `items` written by `write`.
pub fn array<T>(items: &[T], write: fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(write).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_follow_serdes_rules_for_missing_null_and_defaults() {
        let mut f = Fields::of(json!({"a": "x", "n": null, "d": null, "l": null})).unwrap();
        assert_eq!(f.string("a").unwrap(), "x");
        assert_eq!(f.opt_string("n").unwrap(), None);
        assert_eq!(f.opt_string("missing").unwrap(), None);
        assert_eq!(
            f.string("missing").unwrap_err().to_string(),
            "missing: missing field `missing`"
        );
        assert!(
            f.or("d", true, bool).is_err(),
            "a default does not cover null"
        );
        assert!(f.or("gone", true, bool).unwrap());
        assert_eq!(f.list("l", string).unwrap(), Vec::<String>::new());
        assert!(Fields::of(json!([1])).is_err());
    }

    #[test]
    fn errors_name_the_field() {
        let mut f = Fields::of(json!({"items": [{"id": "x"}]})).unwrap();
        let err = f
            .list("items", |v| Fields::of(v)?.req("id", u64))
            .unwrap_err();
        assert_eq!(err.path, "items[0].id");
        assert_eq!(
            err.to_string(),
            "items[0].id: expected a non-negative integer"
        );
    }

    #[test]
    fn lenient_scalars_accept_what_udesk_sends() {
        assert_eq!(id(json!("42")), Ok(Some(42)));
        assert_eq!(id(json!(" ")), Ok(None));
        assert_eq!(id(json!(7)), Ok(Some(7)));
        assert!(id(json!(-1)).is_err());
        assert!(id(json!(1.5)).is_err());
        assert!(id(json!(true)).is_err());
        assert_eq!(seconds(json!("3.5")), Ok(Some(3.5)));
        assert_eq!(seconds(json!(200)), Ok(Some(200.0)));
        assert_eq!(string_or_number(json!(12)), Ok("12".to_owned()));
        assert_eq!(
            tags(json!("a, b，c")),
            Ok(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(tags(json!(["x"])), Ok(vec!["x".into()]));
        assert!(tags(json!([1])).is_err());
        assert!(u32(json!(4_294_967_296u64)).is_err());
    }

    #[test]
    fn decimals_read_as_rusts_parse_reads_them() {
        for text in [
            "0",
            "3.5",
            "200",
            "-2",
            "+7",
            "0.1",
            "12.34",
            "5.",
            ".5",
            "1e3",
            "2.5E-2",
            "1e+2",
            "0.000001",
            "123456789012345",
            "inf",
            "-Infinity",
            "007",
            "1e22",
            "4.3e-5",
            "0e99999",
            "-0.0e-99999",
            "5e-324",
            "1e-400",
        ] {
            let ours = parse_decimal(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(ours, text.parse::<f64>().unwrap(), "{text}");
        }
        assert!(parse_decimal("NaN").unwrap().is_nan());
        for text in [
            "", ".", "-", "e5", "1e", "1e+", "1.2.3", "12a", "0x10", " 1", "1 ", "--1",
        ] {
            assert!(parse_decimal(text).is_none(), "{text}");
            assert!(text.parse::<f64>().is_err(), "{text}");
        }
        // Longer than f64 holds: within a rounding step.
        let long = "3.14159265358979323846264338327950288";
        let (ours, exact) = (parse_decimal(long).unwrap(), long.parse::<f64>().unwrap());
        assert!((ours - exact).abs() <= f64::EPSILON * exact);
    }

    #[test]
    fn objects_skip_what_serde_skips() {
        let v = Object::new()
            .set("a", 1.into())
            .opt("b", None)
            .opt("c", opt_str(&Some("x".into())))
            .non_empty("d", "")
            .value();
        assert_eq!(v, json!({"a": 1, "c": "x"}));
        assert_eq!(f64_value(f64::NAN), Value::Null);
    }
}
