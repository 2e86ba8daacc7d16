//! The relay's shared state: what every handler reads (identity, store, hub, upstream, limits,
//! metrics, configuration), and the request extractors built on it (the visitor of a bearer
//! token, the client IP, a JSON body with field-named errors).
//!
//! It sits below the router ([`crate::app`]) and the handlers ([`crate::api`], [`crate::sse`],
//! [`crate::webhook`], [`crate::web`]): they all import it, it imports none of them.

use crate::error::AppError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::limits::{client_ip, KeyedLocks, RateLimiter, StreamCaps};
use crate::media::Uploads;
use crate::metrics::Metrics;
use crate::store::{now_ms, Storage};
use crate::udesk::Udesk;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use udesk_protocol::relay::RelayConfig;

/// Largest body the `/v1` API accepts.
pub const API_BODY_LIMIT: usize = 64 * 1024;
/// Largest webhook body accepted (a push of several messages).
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Queue-status polls a visitor may make per minute, sustained. The widget polls every 3 s while
/// queued (20 a minute); each poll is a call on Udesk's account-wide quota.
pub const QUEUE_STATUS_PER_MINUTE: u32 = 60;
/// Polls a visitor may make in a burst above the sustained rate.
pub const QUEUE_STATUS_BURST: u32 = 20;

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub identity: Identity,
    pub store: Storage,
    pub hub: Hub,
    pub udesk: Udesk,
    pub metrics: Arc<Metrics>,
    /// Per-visitor limit on sends.
    pub limiter: RateLimiter,
    /// Per-IP limit on `POST /v1/visitor`.
    pub visitor_limiter: RateLimiter,
    /// Per-visitor limit on `GET /v1/queue_status`.
    pub poll_limiter: RateLimiter,
    /// Per-client-IP limit on every call that reaches Udesk (sends, sessions, surveys,
    /// ratings, queue polls): fresh anonymous visitors are free, Udesk's quota is not.
    pub upstream_ip_limiter: RateLimiter,
    /// How many proxies in front of the relay append to `X-Forwarded-For` (0: the client IP
    /// is the TCP peer); see [`crate::limits::client_ip`].
    pub trusted_proxies: usize,
    /// Serialises copies of one send (same customer and message_id).
    pub send_locks: KeyedLocks,
    /// The secret path segment of the webhook URL.
    pub webhook_secret: String,
    /// Browser origins allowed besides the relay's own, as [`crate::web::check_origins`] gives them.
    pub allowed_origins: Vec<String>,
    /// The origin of `--public-url`, the relay's own (see [`crate::web::check_origin`]).
    pub public_origin: Option<String>,
    pub widget_dir: PathBuf,
    /// Whether `/` serves the demo shop page (with the embedded simulator or `--demo-page`).
    pub demo_page: bool,
    pub keep_alive: Duration,
    /// How long a request body may take to arrive (see [`crate::accept::body_deadline`]).
    pub body_timeout: Duration,
    /// Open event streams: on the relay, per client IP and per visitor.
    pub stream_caps: StreamCaps,
    /// Cancelled on shutdown: event streams end so browsers reconnect elsewhere or later.
    pub shutdown: CancellationToken,
    /// What `GET /v1/config` tells the widget.
    pub relay_config: RelayConfig,
    /// Visitor uploads: the media store, the limits, the public URL.
    pub uploads: Uploads,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The answer header naming the message_id a send was made with (generated when the widget sent
/// none).
pub const MESSAGE_ID_HEADER: &str = "x-message-id";

/// Unix seconds.
pub fn now_secs() -> u64 {
    now_ms() / 1000
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// The visitor a call is made for, from its bearer token, and the client IP it calls from.
pub struct Visitor {
    pub customer_token: String,
    /// The client IP's rate-limit key ([`crate::limits::ip_key`]).
    pub ip_key: String,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer(&parts.headers).ok_or_else(|| {
            AppError::Unauthorized("missing `Authorization: Bearer <token>`".into())
        })?;
        let customer_token = state
            .identity
            .verify(token, now_secs())
            .map_err(|e| AppError::Unauthorized(e.message().into()))?;
        let ClientIp(ip) = match ClientIp::from_request_parts(parts, state).await {
            Ok(ip) => ip,
            Err(never) => match never {},
        };
        Ok(Visitor {
            customer_token,
            ip_key: crate::limits::ip_key(ip),
        })
    }
}

/// The client's IP (see [`crate::limits::client_ip`]); `None` without a socket (a router
/// called in-process).
pub struct ClientIp(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, std::convert::Infallible> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(client_ip(
            &parts.headers,
            peer,
            state.trusted_proxies,
        )))
    }
}

/// A JSON body parsed with field-named errors; size and syntax problems are JSON errors too.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, AppError> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| AppError::from_body_rejection(r, API_BODY_LIMIT))?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body; the error names the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest("the body is not UTF-8 text".into()))?;
    if text.trim().is_empty() {
        return Err(AppError::BadRequest(
            "the body is empty; send a JSON object".into(),
        ));
    }
    // Syntax first, so that a broken body is called that rather than blamed on a field.
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(AppError::BadRequest(format!(
            "the body is not valid JSON: {e}"
        )));
    }
    // Every body is an object; serde would also fill a struct from an array, by position.
    if !text.trim_start().starts_with('{') {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    }
    udesk_protocol::from_str(text).map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use udesk_protocol::message::SendMessageRequest;
    use udesk_protocol::session::CreateSessionRequest;

    #[test]
    fn bearer_tokens_are_read_leniently() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer  abc "),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }

    #[test]
    fn bad_bodies_name_their_field() {
        let err = parse_json::<SendMessageRequest>(br#"{"type":"message","data":{"content":5}}"#)
            .err()
            .unwrap();
        assert!(
            err.body().message.starts_with("data.content"),
            "{:?}",
            err.body()
        );
        assert!(parse_json::<SendMessageRequest>(b"{").is_err());
        assert!(parse_json::<SendMessageRequest>(b"  ").is_err());
        assert!(parse_json::<SendMessageRequest>(&[0xff, 0xfe]).is_err());
        // An array would fill the struct by position: refused like any non-object.
        for body in [&b"[]"[..], b"[\"c\", \"agent\"]", b"\"x\"", b"7", b"null"] {
            let err = parse_json::<CreateSessionRequest>(body).err().unwrap();
            assert!(
                err.body().message.contains("JSON object"),
                "{:?}",
                err.body()
            );
        }
        assert!(parse_json::<CreateSessionRequest>(b" {}").is_ok());
    }
}
