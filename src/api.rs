//! HTTP calls to the relay's `/v1` API.
//!
//! Bodies and answers are the protocol crate's types. Every failure becomes an [`ApiError`]: the
//! relay's JSON [`ErrorBody`] when it answered one, otherwise a network or decoding failure, so the
//! widget can tell "try again later" from "your token is gone" from "Udesk said no (code N)".
//! The classification is pure and tested on the host; the requests themselves (gloo-net) are
//! wasm-only.

use udesk_protocol::relay::{error_code, ErrorBody};

/// Why a call to the relay failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer at all (offline, relay down, CORS refused).
    Network(String),
    /// The relay answered with an error.
    Relay { status: u16, body: ErrorBody },
    /// The relay answered something that is not the expected JSON.
    Decode(String),
}

impl ApiError {
    /// Builds the error for a non-2xx answer from its status and body text.
    pub fn from_response(status: u16, text: &str) -> ApiError {
        match crate::parse_json::<ErrorBody>(text) {
            Ok(body) => ApiError::Relay { status, body },
            Err(_) => ApiError::Relay {
                status,
                body: ErrorBody {
                    error: fallback_code(status).to_owned(),
                    message: format!("HTTP {status}"),
                    udesk_code: None,
                },
            },
        }
    }

    /// Udesk's result code, when Udesk refused the call.
    pub fn udesk_code(&self) -> Option<i64> {
        match self {
            ApiError::Relay { body, .. } => body.udesk_code,
            _ => None,
        }
    }

    /// The token is missing, forged or expired: get a new one and try again.
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, ApiError::Relay { status: 401, .. })
            || matches!(self, ApiError::Relay { body, .. } if body.error == error_code::UNAUTHORIZED)
    }

    /// Passing trouble (network, rate limit, upstream down): the same call may work later.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network(_) => true,
            ApiError::Relay { status, body } => {
                *status == 429
                    || *status >= 500
                    || [
                        error_code::RATE_LIMITED,
                        error_code::UPSTREAM_UNAVAILABLE,
                        error_code::UPSTREAM_TIMEOUT,
                    ]
                    .contains(&body.error.as_str())
            }
            ApiError::Decode(_) => false,
        }
    }

    /// A message for people (the relay's own words when it gave some).
    pub fn message(&self) -> &str {
        match self {
            ApiError::Network(m) | ApiError::Decode(m) => m,
            ApiError::Relay { body, .. } => &body.message,
        }
    }
}

fn fallback_code(status: u16) -> &'static str {
    match status {
        400 => error_code::BAD_REQUEST,
        401 => error_code::UNAUTHORIZED,
        403 => error_code::FORBIDDEN,
        404 => error_code::NOT_FOUND,
        413 => error_code::PAYLOAD_TOO_LARGE,
        429 => error_code::RATE_LIMITED,
        502 => error_code::UPSTREAM_UNAVAILABLE,
        504 => error_code::UPSTREAM_TIMEOUT,
        _ => error_code::INTERNAL,
    }
}

/// `s` percent-encoded for a URL query value (everything but RFC 3986's unreserved characters).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The event stream's URL: the token (EventSource cannot send headers) and the id to resume
/// after (a new page has no `Last-Event-ID` of its own).
pub fn events_url(relay: &str, token: &str, last_event_id: u64) -> String {
    format!(
        "{relay}/v1/events?token={}&last_event_id={last_event_id}",
        encode_query_value(token)
    )
}

#[cfg(target_arch = "wasm32")]
pub use client::Api;

#[cfg(target_arch = "wasm32")]
mod client {
    use super::ApiError;
    use gloo_net::http::{Request, RequestBuilder};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use udesk_protocol::code::CodeResponse;
    use udesk_protocol::message::SendMessageRequest;
    use udesk_protocol::relay::{VisitorRequest, VisitorResponse};
    use udesk_protocol::robot::RobotEvaluationRequest;
    use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
    use udesk_protocol::status::QueueStatusResponse;
    use udesk_protocol::survey::SurveyRequest;

    /// The relay, at its base URL.
    #[derive(Clone, Debug)]
    pub struct Api {
        base: String,
    }

    impl Api {
        pub fn new(base: &str) -> Api {
            Api {
                base: base.trim_end_matches('/').to_owned(),
            }
        }

        pub fn base(&self) -> &str {
            &self.base
        }

        fn url(&self, path: &str) -> String {
            format!("{}{path}", self.base)
        }

        async fn call<T: DeserializeOwned>(
            request: Result<Request, ApiError>,
        ) -> Result<T, ApiError> {
            let response = request?
                .send()
                .await
                .map_err(|e| ApiError::Network(e.to_string()))?;
            let status = response.status();
            let text = response
                .text()
                .await
                .map_err(|e| ApiError::Network(e.to_string()))?;
            if !(200..300).contains(&status) {
                return Err(ApiError::from_response(status, &text));
            }
            crate::parse_json(&text).map_err(|e| ApiError::Decode(e.to_string()))
        }

        fn post<B: Serialize>(
            &self,
            path: &str,
            token: Option<&str>,
            body: &B,
        ) -> Result<Request, ApiError> {
            authorised(Request::post(&self.url(path)), token)
                .json(body)
                .map_err(|e| ApiError::Decode(e.to_string()))
        }

        /// `POST /v1/visitor`: anonymous, identified (`user_id` + `signature`), or a renewal
        /// (the current token as bearer).
        pub async fn visitor(
            &self,
            bearer: Option<&str>,
            request: &VisitorRequest,
        ) -> Result<VisitorResponse, ApiError> {
            Self::call(self.post("/v1/visitor", bearer, request)).await
        }

        pub async fn create_session(
            &self,
            token: &str,
            request: &CreateSessionRequest,
        ) -> Result<CreateSessionResponse, ApiError> {
            Self::call(self.post("/v1/sessions", Some(token), request)).await
        }

        pub async fn send(
            &self,
            token: &str,
            request: &SendMessageRequest,
        ) -> Result<CodeResponse, ApiError> {
            Self::call(self.post("/v1/messages", Some(token), request)).await
        }

        pub async fn rate(
            &self,
            token: &str,
            request: &RobotEvaluationRequest,
        ) -> Result<CodeResponse, ApiError> {
            Self::call(self.post("/v1/robot/evaluations", Some(token), request)).await
        }

        pub async fn survey(
            &self,
            token: &str,
            request: &SurveyRequest,
        ) -> Result<CodeResponse, ApiError> {
            Self::call(self.post("/v1/surveys", Some(token), request)).await
        }

        pub async fn queue_status(&self, token: &str) -> Result<QueueStatusResponse, ApiError> {
            let request = authorised(Request::get(&self.url("/v1/queue_status")), Some(token))
                .build()
                .map_err(|e| ApiError::Decode(e.to_string()));
            Self::call(request).await
        }
    }

    fn authorised(request: RequestBuilder, token: Option<&str>) -> RequestBuilder {
        match token {
            Some(token) => request.header("Authorization", &format!("Bearer {token}")),
            None => request,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relay_error_bodies_are_kept() {
        let e = ApiError::from_response(
            502,
            r#"{"error":"udesk_error","message":"暂无客服在线","udesk_code":2002}"#,
        );
        assert_eq!(e.udesk_code(), Some(2002));
        assert_eq!(e.message(), "暂无客服在线");
        assert!(e.is_transient(), "a 502 may work later");
        assert!(!e.is_unauthorized());
    }

    #[test]
    fn bodies_that_are_not_json_still_classify_by_status() {
        let e = ApiError::from_response(401, "<html>nope</html>");
        assert!(e.is_unauthorized());
        let e = ApiError::from_response(429, "");
        assert!(e.is_transient());
        let e = ApiError::from_response(400, "");
        assert!(!e.is_transient());
        assert!(matches!(&e, ApiError::Relay { body, .. } if body.error == "bad_request"));
    }

    #[test]
    fn network_failures_are_transient() {
        assert!(ApiError::Network("offline".into()).is_transient());
        assert!(!ApiError::Decode("garbage".into()).is_transient());
    }

    #[test]
    fn the_stream_url_carries_an_encoded_token_and_the_resume_point() {
        assert_eq!(
            events_url("http://127.0.0.1:8080", "a.b+c/d=", 17),
            "http://127.0.0.1:8080/v1/events?token=a.b%2Bc%2Fd%3D&last_event_id=17"
        );
        assert_eq!(encode_query_value("中"), "%E4%B8%AD");
    }
}
