//! HTTP calls to the relay's `/v1` API.
//!
//! Bodies and answers are the protocol crate's types. Every failure becomes an [`ApiError`]: the
//! relay's JSON [`ErrorBody`] when it answered one, otherwise a network or decoding failure, so the
//! widget can tell "try again later" from "your token is gone" from "Udesk said no (code N)".
//! The classification is pure and tested on the host; the requests themselves (`fetch`) are
//! wasm-only.

use udesk_protocol::reader;
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
        match reader::parse(text, reader::error_body) {
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

/// For the console: `HTTP 502 upstream_unavailable: …`, `network: Failed to fetch`.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Network(m) => write!(f, "network: {m}"),
            ApiError::Relay { status, body } => {
                write!(f, "HTTP {status} {}: {}", body.error, body.message)
            }
            ApiError::Decode(m) => write!(f, "unreadable answer: {m}"),
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

/// The relay's endpoints the widget calls, with their bodies.
#[derive(Clone, Debug)]
pub enum Call {
    Visitor(udesk_protocol::relay::VisitorRequest),
    Session(udesk_protocol::session::CreateSessionRequest),
    Send(udesk_protocol::message::SendMessageRequest),
    Rate(udesk_protocol::robot::RobotEvaluationRequest),
    Survey(udesk_protocol::survey::SurveyRequest),
    QueueStatus,
    /// `GET /v1/config`: the upload limits.
    Config,
}

impl Call {
    pub fn path(&self) -> &'static str {
        match self {
            Call::Visitor(_) => "/v1/visitor",
            Call::Session(_) => "/v1/sessions",
            Call::Send(_) => "/v1/messages",
            Call::Rate(_) => "/v1/robot/evaluations",
            Call::Survey(_) => "/v1/surveys",
            Call::QueueStatus => "/v1/queue_status",
            Call::Config => "/v1/config",
        }
    }

    /// The JSON body; `None` for a `GET`.
    pub fn body(&self) -> Option<String> {
        let json = match self {
            Call::Visitor(b) => reader::visitor_request_value(b),
            Call::Session(b) => reader::create_session_request_value(b),
            Call::Send(b) => reader::send_message_value(b),
            Call::Rate(b) => reader::robot_evaluation_value(b),
            Call::Survey(b) => reader::survey_request_value(b),
            Call::QueueStatus | Call::Config => return None,
        };
        Some(json.to_string())
    }
}

#[cfg(target_arch = "wasm32")]
pub use client::{Api, TextFuture, Uploading};

#[cfg(target_arch = "wasm32")]
mod client {
    use super::{ApiError, Call};
    use std::future::Future;
    use std::pin::Pin;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// The text of a successful answer. Boxed and not generic: every call shares one copy of the
    /// request code in the wasm, whatever it returns.
    pub type TextFuture = Pin<Box<dyn Future<Output = Result<String, ApiError>>>>;

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

        /// Makes `call` with `token` as bearer; the answer's text, or the relay's error.
        pub fn fetch(&self, call: &Call, token: Option<&str>) -> TextFuture {
            let url = [self.base.as_str(), call.path()].concat();
            let body = call.body();
            let authorization = token.map(|t| ["Bearer ", t].concat());
            Box::pin(fetch_text(url, body, authorization))
        }
    }

    /// A file on its way to `POST /v1/uploads` (see [`Api::upload`]).
    pub struct Uploading {
        xhr: web_sys::XmlHttpRequest,
    }

    impl Uploading {
        /// Stops the upload; [`Api::upload`]'s future then fails with a network error.
        pub fn abort(&self) {
            let _ = self.xhr.abort();
        }
    }

    impl Api {
        /// Posts `file` as the multipart part `file` (named `filename`) to `POST /v1/uploads`
        /// with `token` as bearer. `progress` gets the percentage sent as it goes. Resolves to the
        /// answer's text or the relay's error. XMLHttpRequest, not `fetch()`: only it reports
        /// upload progress.
        pub fn upload(
            &self,
            file: &web_sys::Blob,
            filename: &str,
            token: &str,
            progress: impl Fn(u32) + 'static,
        ) -> Result<(Uploading, TextFuture), ApiError> {
            let network = |e: JsValue| ApiError::Network(js_message(&e));
            let form = web_sys::FormData::new().map_err(network)?;
            form.append_with_blob_and_filename("file", file, filename)
                .map_err(network)?;
            let xhr = web_sys::XmlHttpRequest::new().map_err(network)?;
            xhr.open("POST", &[self.base.as_str(), "/v1/uploads"].concat())
                .map_err(network)?;
            xhr.set_request_header("Authorization", &["Bearer ", token].concat())
                .map_err(network)?;
            let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(
                move |event: web_sys::ProgressEvent| {
                    if event.length_computable() && event.total() > 0.0 {
                        progress((event.loaded() * 100.0 / event.total()) as u32);
                    }
                },
            );
            if let Ok(upload) = xhr.upload() {
                upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
            }
            // `loadend` follows every ending (load, error, abort, timeout).
            let ended = js_sys::Promise::new(&mut |resolve, _reject| {
                xhr.set_onloadend(Some(&resolve));
            });
            xhr.send_with_opt_form_data(Some(&form)).map_err(network)?;
            let request = xhr.clone();
            let future = Box::pin(async move {
                let _ = JsFuture::from(ended).await;
                // The listener lives until the upload ends.
                drop(on_progress);
                let status = request.status().unwrap_or(0);
                if status == 0 {
                    return Err(ApiError::Network("upload interrupted".to_owned()));
                }
                let text = request.response_text().ok().flatten().unwrap_or_default();
                if !(200..300).contains(&status) {
                    return Err(ApiError::from_response(status, &text));
                }
                Ok(text)
            });
            Ok((Uploading { xhr }, future))
        }
    }

    /// `fetch()` with an optional JSON body (then a `POST`) and bearer; the answer's text.
    /// web-sys directly: the widget needs no more of an HTTP client than this.
    async fn fetch_text(
        url: String,
        body: Option<String>,
        authorization: Option<String>,
    ) -> Result<String, ApiError> {
        let init = web_sys::RequestInit::new();
        let headers = js_sys::Object::new();
        if let Some(body) = &body {
            init.set_method("POST");
            init.set_body(&JsValue::from_str(body));
            set(&headers, "Content-Type", "application/json");
        }
        if let Some(value) = &authorization {
            set(&headers, "Authorization", value);
        }
        init.set_headers(&headers);
        let promise = crate::browser::window().fetch_with_str_and_init(&url, &init);
        let response: web_sys::Response = JsFuture::from(promise)
            .await
            .map_err(|e| ApiError::Network(js_message(&e)))?
            .unchecked_into();
        let status = response.status();
        let text = match response.text() {
            Ok(promise) => JsFuture::from(promise)
                .await
                .map_err(|e| ApiError::Network(js_message(&e)))?,
            Err(e) => return Err(ApiError::Network(js_message(&e))),
        };
        let text = text.as_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(ApiError::from_response(status, &text));
        }
        Ok(text)
    }

    fn set(object: &js_sys::Object, key: &str, value: &str) {
        let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), &JsValue::from_str(value));
    }

    /// What a rejected promise says (`TypeError: Failed to fetch`).
    fn js_message(error: &JsValue) -> String {
        match error.dyn_ref::<js_sys::Error>() {
            Some(e) => e.message().into(),
            None => error
                .as_string()
                .unwrap_or_else(|| "network error".to_owned()),
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
