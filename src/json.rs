//! JSON text to and from `serde_json::Value` ([`parse`], [`write`]), and reading and writing JSON
//! objects field by field, without serde.
//!
//! The widget reads and writes its JSON (the relay's answers and stream, its requests, the saved
//! conversation) by hand on top of `serde_json::Value`: serde's derived impls compile a visitor,
//! a field matcher and a sequence form for every struct and every field type they meet, which
//! was a sixth of the wasm; these few helpers are shared by all of them. [`crate::wire`] and
//! [`crate::saved`] describe the actual shapes, with tests that hold them to serde's. The text
//! itself is parsed and written here too, the way serde_json does (tests compare the two), in a
//! tenth of serde_json's code and without its float tables.
//!
//! The rules follow serde's: a missing or `null` optional field is `None`; a field with a default
//! may be missing but not `null`; a required field must be there with the right type; fields
//! nobody asks for are ignored. The lenient forms are those of `udesk_protocol`'s `lenient`
//! module (ids as numbers or numeric strings, sizes as text or numbers, tags as a list or one
//! comma-separated string).

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (as serde_json does), so the parser's recursion is bounded.
const MAX_DEPTH: u32 = 128;

/// Parses JSON text (RFC 8259, as serde_json reads it: integers that fit stay integers, others
/// and fractions are floats).
pub fn parse(text: &str) -> Result<Value, Error> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = parser.value(0)?;
    parser.space();
    if parser.at != parser.bytes.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> Error {
        ["not JSON: ", what, " at byte ", &self.at.to_string()].concat()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: u32) -> Result<Value, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.space();
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut map = Map::new();
                self.space();
                if self.eat(b'}') {
                    return Ok(Value::Object(map));
                }
                loop {
                    self.space();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a key"));
                    }
                    let key = self.string()?;
                    self.space();
                    if !self.eat(b':') {
                        return Err(self.error("expected `:`"));
                    }
                    let value = self.value(depth + 1)?;
                    map.insert(key, value);
                    self.space();
                    if !self.eat(b',') {
                        return match self.eat(b'}') {
                            true => Ok(Value::Object(map)),
                            false => Err(self.error("expected `,` or `}`")),
                        };
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.eat(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    if !self.eat(b',') {
                        return match self.eat(b']') {
                            true => Ok(Value::Array(items)),
                            false => Err(self.error("expected `,` or `]`")),
                        };
                    }
                }
            }
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.word("true", Value::Bool(true)),
            Some(b'f') => self.word("false", Value::Bool(false)),
            Some(b'n') => self.word("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, Error> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// A string, at its opening quote.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.at += 1;
            }
            // The run ends at an ASCII byte (or the end), so it is whole characters.
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push(self.escape()?);
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, Error> {
        let byte = self.peek();
        self.at += 1;
        let c = match byte {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A leading surrogate: its trailing half must follow.
                    if !self.bytes[self.at..].starts_with(b"\\u") {
                        return Err(self.error("lone leading surrogate"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("lone leading surrogate"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else {
                    first
                };
                return char::from_u32(code).ok_or_else(|| self.error("lone trailing surrogate"));
            }
            _ => return Err(self.error("invalid escape")),
        };
        Ok(c)
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.bytes.get(self.at..self.at + 4).unwrap_or_default();
        let mut code = 0;
        for &b in digits {
            let digit = (b as char).to_digit(16);
            code = code * 16 + digit.ok_or_else(|| self.error("invalid \\u escape"))?;
        }
        if digits.len() < 4 {
            return Err(self.error("invalid \\u escape"));
        }
        self.at += 4;
        Ok(code)
    }

    /// A number: an integer when it is one and fits (`-0` is a float, as in serde_json).
    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        let negative = self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("invalid number")),
        }
        let mut integer = true;
        if self.eat(b'.') {
            integer = false;
            if !self.required_digits() {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !self.required_digits() {
                return Err(self.error("invalid number"));
            }
        }
        let text = &self.text[start..self.at];
        if integer {
            if !negative {
                if let Ok(n) = text.parse::<u64>() {
                    return Ok(Value::from(n));
                }
            } else if let Ok(n @ ..=-1) = text.parse::<i64>() {
                return Ok(Value::from(n));
            }
        }
        match parse_decimal(text).and_then(Number::from_f64) {
            Some(n) => Ok(Value::Number(n)),
            None => Err(self.error("number out of range")),
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn required_digits(&mut self) -> bool {
        let start = self.at;
        self.digits();
        self.at > start
    }
}

/// `value` as compact JSON text, as serde_json writes it (object keys in order).
pub fn write(value: &Value) -> String {
    let mut out = String::new();
    write_into(&mut out, value);
    out
}

fn write_into(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // serde_json's own digits (shortest form for floats).
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_into(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write_into(out, item);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// What went wrong, naming the field (`message.data.content: expected a string`).
pub type Error = String;

/// `error`, which happened inside field `key` (or list index `[i]`), seen from one level up.
pub fn within(key: &str, error: Error) -> Error {
    let bare =
        error.starts_with("expected ") || error.starts_with("missing ") || !error.contains(':');
    if bare {
        [key, ": ", &error].concat()
    } else if error.starts_with('[') {
        [key, &error].concat()
    } else {
        [key, ".", &error].concat()
    }
}

/// An object, read field by field: each getter takes its field out.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// `value`, which must be an object.
    pub fn of(value: Value) -> Result<Fields, Error> {
        match value {
            Value::Object(map) => Ok(Fields(map)),
            _ => Err("expected an object".to_owned()),
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
    pub fn req<T>(&mut self, key: &str, read: fn(Value) -> Result<T, Error>) -> Result<T, Error> {
        match self.0.remove(key) {
            Some(value) => read(value).map_err(|e| within(key, e)),
            None => Err(["missing field `", key, "`"].concat()),
        }
    }

    /// A field that may be missing or `null`, read by `read`.
    pub fn opt<T>(
        &mut self,
        key: &str,
        read: fn(Value) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        self.take(key)
            .map(|value| read(value).map_err(|e| within(key, e)))
            .transpose()
    }

    /// A field with a default: missing gives `default`, `null` is an error (as with serde).
    pub fn or<T>(
        &mut self,
        key: &str,
        default: T,
        read: fn(Value) -> Result<T, Error>,
    ) -> Result<T, Error> {
        match self.0.remove(key) {
            Some(value) => read(value).map_err(|e| within(key, e)),
            None => Ok(default),
        }
    }

    /// A list that may be missing or `null` (empty), each item read by `read`.
    pub fn list<T>(
        &mut self,
        key: &str,
        read: fn(Value) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(value) => list(value, read).map_err(|e| within(key, e)),
        }
    }

    pub fn string(&mut self, key: &str) -> Result<String, Error> {
        self.req(key, string)
    }

    pub fn opt_string(&mut self, key: &str) -> Result<Option<String>, Error> {
        self.opt(key, string)
    }

    pub fn u64(&mut self, key: &str) -> Result<u64, Error> {
        self.req(key, u64)
    }

    pub fn opt_u64(&mut self, key: &str) -> Result<Option<u64>, Error> {
        self.opt(key, u64)
    }

    pub fn opt_u32(&mut self, key: &str) -> Result<Option<u32>, Error> {
        self.opt(key, u32)
    }

    pub fn opt_i64(&mut self, key: &str) -> Result<Option<i64>, Error> {
        self.opt(key, i64)
    }

    pub fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, Error> {
        self.opt(key, bool)
    }

    /// An id as a number or a numeric string; `""` is `None` too (`lenient::opt_id`).
    pub fn opt_id(&mut self, key: &str) -> Result<Option<u64>, Error> {
        self.opt(key, id).map(Option::flatten)
    }
}

/// A list, each item read by `read`.
pub fn list<T>(value: Value, read: fn(Value) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    match value {
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                read(item).map_err(|e| within(&["[", &i.to_string(), "]"].concat(), e))
            })
            .collect(),
        _ => Err("expected a list".to_owned()),
    }
}

pub fn string(value: Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err("expected a string".to_owned()),
    }
}

pub fn u64(value: Value) -> Result<u64, Error> {
    value
        .as_u64()
        .ok_or_else(|| "expected a non-negative integer".to_owned())
}

pub fn u32(value: Value) -> Result<u32, Error> {
    value
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| "expected a 32-bit non-negative integer".to_owned())
}

pub fn i64(value: Value) -> Result<i64, Error> {
    value
        .as_i64()
        .ok_or_else(|| "expected an integer".to_owned())
}

pub fn bool(value: Value) -> Result<bool, Error> {
    value
        .as_bool()
        .ok_or_else(|| "expected true or false".to_owned())
}

/// A string or a number, kept as text (`lenient::string_or_number`).
pub fn string_or_number(value: Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err("expected a string or a number".to_owned()),
    }
}

/// A non-negative integer as a number or a numeric string; `""` is `None` (`lenient::opt_id`).
pub fn id(value: Value) -> Result<Option<u64>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| "expected a non-negative integer".to_owned()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| "expected a non-negative integer".to_owned()),
        _ => Err("expected a non-negative integer".to_owned()),
    }
}

/// Seconds as a number or a numeric string; `""` is `None` (`lenient::opt_seconds`).
pub fn seconds(value: Value) -> Result<Option<f64>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal(s.trim())
            .map(Some)
            .ok_or_else(|| "expected a number of seconds".to_owned()),
        _ => Err("expected a number of seconds".to_owned()),
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
pub fn tags(value: Value) -> Result<Vec<String>, Error> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(s
            .split([',', '，'])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()),
        Value::Array(_) => list(value, string),
        _ => Err("expected a list of tags".to_owned()),
    }
}

/// An object under construction, field by field.
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
        assert!(f
            .string("missing")
            .unwrap_err()
            .contains("missing field `missing`"));
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
        assert_eq!(err, "items[0].id: expected a non-negative integer");
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

    /// Texts both parsers must read alike.
    const TEXTS: &[&str] = &[
        r#"{"a": [1, -2, 3.5, -0.25, 1e3, 2E-2, 0, -0, 18446744073709551615, -9223372036854775808],
            "b": {"c": null, "d": true, "e": false}, "": "empty key"}"#,
        r#"  [ ]  "#,
        r#"{}"#,
        r#""plain""#,
        r#""esc \" \\ \/ \b \f \n \r \t \u00e9 \u4e2d \ud83d\ude00 end""#,
        r#""中文 and emoji 😀 raw""#,
        r#"18446744073709551616"#,
        r#"-9223372036854775809"#,
        r#"123456789.125"#,
        r#"[[[[[[[[[[1]]]]]]]]]]"#,
        r#"{"message_id":"m1","data":{"content":"您好"},"type":"message"}"#,
        r#"{"duration": 12.5, "count": 3, "neg": -7, "tiny": 0.001}"#,
        r#"[0e99999, -0.0e-99999, 1e-400, 5e-324]"#,
    ];

    #[test]
    fn parses_as_serde_json_parses() {
        for text in TEXTS {
            let theirs: Value = serde_json::from_str(text).unwrap();
            assert_eq!(parse(text).unwrap(), theirs, "{text}");
        }
        let too_deep = "[".repeat(200) + &"]".repeat(200);
        for text in [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":1,}",
            "{1: 2}",
            "tru",
            "nul",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "\"unterminated",
            "\"bad \\x escape\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\u12\"",
            "\"tab\there\"",
            "1e400",
            "[1] x",
            too_deep.as_str(),
        ] {
            assert!(
                serde_json::from_str::<Value>(text).is_err(),
                "serde_json took {text:?}"
            );
            assert!(parse(text).is_err(), "took {text:?}");
        }
    }

    #[test]
    fn writes_as_serde_json_writes() {
        for text in TEXTS {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                write(&value),
                serde_json::to_string(&value).unwrap(),
                "{text}"
            );
        }
        let controls = Value::String("\u{1}\u{1f}\u{7f}\u{8}\u{c}".into());
        assert_eq!(write(&controls), serde_json::to_string(&controls).unwrap());
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
