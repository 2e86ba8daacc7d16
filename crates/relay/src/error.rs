//! `AppError`: every way a relay call can fail, and the JSON answer each becomes.
//!
//! Every failure is a [`udesk_protocol::relay::ErrorBody`] with a stable `error` code and a human
//! `message`. Faults of the relay itself (store, bugs) answer a generic message; their details go
//! to the log only, since they may reveal internals.

use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::time::Duration;
use udesk_protocol::relay::{error_code, ErrorBody};
use udesk_protocol::Code;

/// A failed call.
#[derive(Debug)]
pub enum AppError {
    /// The body or query is malformed; the message names the field.
    BadRequest(String),
    /// The body is larger than this route accepts.
    PayloadTooLarge {
        limit: usize,
    },
    /// An uploaded file over its kind's limit (`what`: "pictures", "files", "uploads").
    UploadTooLarge {
        what: &'static str,
        limit: u64,
    },
    /// An upload of a kind the relay does not take; the reason is for the visitor.
    UnsupportedMediaType(String),
    /// An upload that stopped sending (or took too long) before it was complete.
    UploadTimeout,
    /// The body did not arrive within `--body-timeout-ms`.
    BodyTimeout,
    /// No token, a forged or expired one, a wrong user signature or a wrong webhook secret.
    Unauthorized(String),
    /// The token is valid, but the thing belongs to someone else.
    Forbidden(String),
    NotFound,
    MethodNotAllowed,
    /// Too many sends by this visitor.
    RateLimited {
        retry_after: Duration,
    },
    /// Udesk answered with a non-1000 code.
    Udesk {
        code: Code,
        message: String,
    },
    /// Udesk could not be reached or answered something unreadable (details for the log).
    UpstreamUnavailable(String),
    /// Udesk did not answer in time.
    UpstreamTimeout,
    /// A browser origin that is not configured.
    OriginNotAllowed(String),
    /// The store failed: retryable, 503 (details for the log).
    StoreUnavailable(String),
    /// A fault of the relay (details for the log).
    Internal(String),
}

impl AppError {
    /// A Udesk refusal, kept with Udesk's own words.
    pub fn udesk(code: Code, message: Option<String>) -> AppError {
        AppError::Udesk {
            code,
            message: message.unwrap_or_else(|| code.describe().to_owned()),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge { .. } | AppError::UploadTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::UploadTimeout | AppError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Udesk { code, .. } => udesk_status(*code),
            AppError::UpstreamUnavailable(_) => StatusCode::BAD_GATEWAY,
            AppError::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            AppError::StoreUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body of this error.
    pub fn body(&self) -> ErrorBody {
        let (code, message, udesk_code) = match self {
            AppError::BadRequest(m) => (error_code::BAD_REQUEST, m.clone(), None),
            AppError::PayloadTooLarge { limit } => (
                error_code::PAYLOAD_TOO_LARGE,
                format!("the body is larger than {limit} bytes"),
                None,
            ),
            AppError::UploadTooLarge { what, limit } => (
                error_code::PAYLOAD_TOO_LARGE,
                format!(
                    "{what} may be at most {} ({limit} bytes)",
                    crate::media::kind::human_size(*limit)
                ),
                None,
            ),
            AppError::UnsupportedMediaType(reason) => {
                (error_code::UNSUPPORTED_MEDIA_TYPE, reason.clone(), None)
            }
            AppError::UploadTimeout => (
                error_code::REQUEST_TIMEOUT,
                "the upload stalled or took too long; nothing was stored, send it again".into(),
                None,
            ),
            AppError::BodyTimeout => (
                error_code::REQUEST_TIMEOUT,
                "the body did not arrive in time".to_owned(),
                None,
            ),
            AppError::Unauthorized(m) => (error_code::UNAUTHORIZED, m.clone(), None),
            AppError::Forbidden(m) => (error_code::FORBIDDEN, m.clone(), None),
            AppError::NotFound => (error_code::NOT_FOUND, "no such path".to_owned(), None),
            AppError::MethodNotAllowed => (
                error_code::BAD_REQUEST,
                "this path does not take that method".to_owned(),
                None,
            ),
            AppError::RateLimited { retry_after } => (
                error_code::RATE_LIMITED,
                format!(
                    "too many requests; retry in {} s",
                    retry_after.as_secs_f64().ceil() as u64
                ),
                None,
            ),
            AppError::Udesk { code, message } => (
                error_code::UDESK_ERROR,
                udesk_message(*code, message),
                Some(code.0),
            ),
            AppError::UpstreamUnavailable(_) => (
                error_code::UPSTREAM_UNAVAILABLE,
                "Udesk could not be reached or gave an unreadable answer".to_owned(),
                None,
            ),
            AppError::UpstreamTimeout => (
                error_code::UPSTREAM_TIMEOUT,
                "Udesk did not answer in time".to_owned(),
                None,
            ),
            AppError::OriginNotAllowed(origin) => (
                error_code::ORIGIN_NOT_ALLOWED,
                format!("origin {origin} may not call this relay"),
                None,
            ),
            AppError::StoreUnavailable(_) => (
                error_code::INTERNAL,
                "the relay's store is unavailable; retry later".to_owned(),
                None,
            ),
            AppError::Internal(_) => (
                error_code::INTERNAL,
                "the relay failed; see its log".to_owned(),
                None,
            ),
        };
        ErrorBody {
            error: code.to_owned(),
            message,
            udesk_code,
        }
    }

    /// Turns the rejection of a body extractor into the error the client should see.
    pub fn from_body_rejection(rejection: BytesRejection, limit: usize) -> AppError {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge { limit }
        } else if crate::accept::is_body_timeout(&rejection) {
            AppError::BodyTimeout
        } else {
            AppError::BadRequest(format!(
                "could not read the body: {}",
                rejection.body_text()
            ))
        }
    }
}

/// The HTTP status that tells the widget what to do about a Udesk code.
fn udesk_status(code: Code) -> StatusCode {
    match code {
        // The session ended: the widget starts a new one.
        Code::SESSION_MISSING => StatusCode::CONFLICT,
        // The request itself was wrong.
        Code::BAD_PARAMS | Code::MISSING_PARAM => StatusCode::BAD_REQUEST,
        // Signature, clock or anything else: the relay's side, not the visitor's.
        _ => StatusCode::BAD_GATEWAY,
    }
}

/// Udesk's message, with a hint when the code means the relay is misconfigured.
fn udesk_message(code: Code, message: &str) -> String {
    match code {
        Code::WRONG_SIGN | Code::BAD_TIMESTAMP | Code::CLOCK_SKEW | Code::NONCE_EMPTY => format!(
            "Udesk refused the relay's credentials ({message}); the relay's operator must check \
             --udesk-email, --udesk-token and the clock"
        ),
        Code::SESSION_MISSING => {
            format!("{message}: the session is closed or missing; start a new session")
        }
        _ => message.to_owned(),
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            AppError::UpstreamUnavailable(detail) => {
                tracing::warn!(%detail, "upstream unavailable")
            }
            AppError::StoreUnavailable(detail) => tracing::error!(%detail, "store unavailable"),
            AppError::Internal(detail) => tracing::error!(%detail, "internal error"),
            AppError::Udesk { code, message } => {
                tracing::info!(code = code.0, %message, "Udesk refused a call")
            }
            _ => {}
        }
        let mut response = (status, Json(self.body())).into_response();
        if let AppError::RateLimited { retry_after } = &self {
            let secs = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(err: crate::store::StoreError) -> AppError {
        AppError::StoreUnavailable(err.to_string())
    }
}

impl From<crate::udesk::UpstreamError> for AppError {
    fn from(err: crate::udesk::UpstreamError) -> AppError {
        match err {
            crate::udesk::UpstreamError::Timeout => AppError::UpstreamTimeout,
            crate::udesk::UpstreamError::Unavailable(detail) => {
                AppError::UpstreamUnavailable(detail)
            }
        }
    }
}

impl From<udesk_protocol::ParseError> for AppError {
    fn from(err: udesk_protocol::ParseError) -> AppError {
        AppError::BadRequest(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udesk_codes_map_to_clear_states() {
        let closed = AppError::udesk(Code::SESSION_MISSING, Some("会话不存在".into()));
        assert_eq!(closed.status(), StatusCode::CONFLICT);
        let body = closed.body();
        assert_eq!(body.error, "udesk_error");
        assert_eq!(body.udesk_code, Some(9200));
        assert!(body.message.contains("start a new session"));

        let sign = AppError::udesk(Code::WRONG_SIGN, None);
        assert_eq!(sign.status(), StatusCode::BAD_GATEWAY);
        assert!(sign.body().message.contains("--udesk-token"));
    }

    #[test]
    fn internal_details_stay_out_of_the_body() {
        let body = AppError::Internal("secret path /var/x".into()).body();
        assert!(!body.message.contains("/var/x"));
        let body = AppError::StoreUnavailable("disk I/O error at /data".into()).body();
        assert!(!body.message.contains("/data"));
    }
}
