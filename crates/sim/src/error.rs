//! [`ApiError`]: every refusal the simulator gives, as Udesk gives it — a JSON body with a
//! non-1000 `code` and a human `message` — plus the extractors that turn malformed input into one.
//!
//! Like Udesk, the IM API answers HTTP 200 for everything it answers on purpose and puts the
//! outcome in `code`; only injected faults answer 5xx. The console and admin pages, which are not
//! Udesk's, use HTTP statuses as well ([`ApiError::rest`]).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use udesk_protocol::code::CodeResponse;
use udesk_protocol::sign::SignError;
use udesk_protocol::{Code, ParseError};

/// A refusal: Udesk's result code, a message for people, and the HTTP status to send it with.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::OK,
            code,
            message: message.into(),
        }
    }

    /// 2062: a required parameter is absent or empty.
    pub fn missing(field: &str) -> Self {
        ApiError::new(
            Code::MISSING_PARAM,
            format!("缺少参数 {field} (missing parameter `{field}`)"),
        )
    }

    /// 2005: a parameter has a bad value or type.
    pub fn bad(field: &str, why: impl std::fmt::Display) -> Self {
        ApiError::new(
            Code::BAD_PARAMS,
            format!("参数错误 {field}: {why} (bad parameter `{field}`)"),
        )
    }

    /// 9200: the session does not exist, is closed, or is not this customer's.
    pub fn session_missing(id: u64) -> Self {
        ApiError::new(
            Code::SESSION_MISSING,
            format!("会话不存在或已关闭 (im_sub_session_id {id} does not exist or is closed)"),
        )
    }

    /// 2005 for a customer_token nobody created.
    pub fn unknown_customer(token: &str) -> Self {
        ApiError::bad(
            "customer_token",
            format!("客户不存在 (no customer with token {token:?}; create a session first)"),
        )
    }

    /// The same error with an HTTP status that matches it, for pages that are not Udesk's API.
    pub fn rest(mut self) -> Self {
        self.status = match self.code {
            Code::SESSION_MISSING => StatusCode::NOT_FOUND,
            c if c.is_success() => StatusCode::OK,
            _ if self.status != StatusCode::OK => self.status,
            _ => StatusCode::BAD_REQUEST,
        };
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl From<ParseError> for ApiError {
    /// serde's "missing field" becomes 2062, every other parse failure 2005; both name the field.
    fn from(err: ParseError) -> Self {
        let field = if err.path.is_empty() {
            "body".to_owned()
        } else {
            err.path.clone()
        };
        if err.message.starts_with("missing field") {
            ApiError::missing(&field)
        } else {
            ApiError::bad(&field, &err.message)
        }
    }
}

impl From<SignError> for ApiError {
    fn from(err: SignError) -> Self {
        ApiError::new(err.code(), err.message())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = CodeResponse::error(self.code, self.message);
        (self.status, Json(body)).into_response()
    }
}

/// A JSON body parsed with `udesk_protocol::from_value`, whatever its Content-Type (Udesk's
/// clients are not always careful with it). An empty body counts as `{}`, so that a missing field
/// is reported by name. Like Udesk (whose examples pass parameters in the URL too), a parameter
/// absent from the body is taken from the query string; the signing parameters are not.
pub struct UdeskJson<T>(pub T);

/// Query parameters that sign a request and are never request parameters.
const SIGNING_PARAMS: [&str; 5] = ["email", "timestamp", "sign", "nonce", "sign_version"];

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for UdeskJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let query = query_map(req.uri().query().unwrap_or_default());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            ApiError::bad("body", rejection.body_text()).with_status(rejection.status())
        })?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::bad("body", "not UTF-8 text"))?
            .trim();
        let text = if text.is_empty() { "{}" } else { text };
        let mut body: Value = serde_json::from_str(text)
            .map_err(|e| ApiError::bad("body", format!("not valid JSON ({e})")))?;
        let Value::Object(fields) = &mut body else {
            return Err(ApiError::bad("body", "expected a JSON object"));
        };
        for (key, value) in query {
            if !SIGNING_PARAMS.contains(&key.as_str()) {
                fields.entry(key).or_insert(value);
            }
        }
        Ok(UdeskJson(udesk_protocol::from_value(body)?))
    }
}

/// Query parameters parsed with `udesk_protocol::from_value`, so that numeric strings are read
/// the lenient way the protocol reads them and errors name the parameter.
pub struct UdeskQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for UdeskQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let map = query_map(parts.uri.query().unwrap_or_default());
        Ok(UdeskQuery(udesk_protocol::from_value(Value::Object(map))?))
    }
}

/// [`UdeskJson`] for the console and admin pages: the same parsing, refused with a 4xx status.
pub struct RestJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for RestJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match UdeskJson::from_request(req, state).await {
            Ok(UdeskJson(value)) => Ok(RestJson(value)),
            Err(err) => Err(err.rest()),
        }
    }
}

/// [`UdeskQuery`] for the console and admin pages: refused with a 4xx status.
pub struct RestQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for RestQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match UdeskQuery::from_request_parts(parts, state).await {
            Ok(UdeskQuery(value)) => Ok(RestQuery(value)),
            Err(err) => Err(err.rest()),
        }
    }
}

/// The query string as a JSON object of strings (the last value wins for repeated keys).
pub fn query_map(query: &str) -> Map<String, Value> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), Value::String(percent_decode(value)))
        })
        .collect()
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space); bad escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_digit(bytes[i + 1]), hex_digit(bytes[i + 2]))
            {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode() {
        let map = query_map("a=1&b=%E4%BD%A0+x&c&d=%zz");
        assert_eq!(map["a"], "1");
        assert_eq!(map["b"], "你 x");
        assert_eq!(map["c"], "");
        assert_eq!(map["d"], "%zz");
    }

    #[test]
    fn parse_errors_name_the_field() {
        let missing = ApiError::from(ParseError {
            path: "customer_token".into(),
            message: "missing field `customer_token`".into(),
        });
        assert_eq!(missing.code, Code::MISSING_PARAM);
        assert!(missing.message.contains("customer_token"));
        let bad = ApiError::from(ParseError {
            path: "data.content".into(),
            message: "invalid type: integer `3`, expected a string".into(),
        });
        assert_eq!(bad.code, Code::BAD_PARAMS);
        assert!(bad.message.contains("data.content"));
    }
}
