//! The relay's own API, between the widget and the relay (`/v1/...`).
//!
//! Calls other than `POST /v1/visitor` carry `Authorization: Bearer <token>`; the relay takes the
//! `customer_token` from the token and never from a body. Bodies and answers of `/v1/sessions`,
//! `/v1/messages`, `/v1/robot/evaluations`, `/v1/surveys` and `/v1/queue_status` are Udesk's own
//! types (this crate's other modules) without `customer_token`.
//!
//! Every failure is an [`ErrorBody`] with a stable [`error_code`] and a human message.
//!
//! `GET /v1/events?token=…&last_event_id=…` is a server-sent event stream:
//! ```text
//! retry: 3000
//! id: 17
//! event: message
//! data: {"id":17,"assign_type":"agent","received_at":1764200000000,"message":{…ReplyMessage…}}
//!
//! event: reset
//! data: {"requested":3,"earliest":9}
//! ```
//! `id`s increase per customer. `reset` means history no longer reaches back to the requested id:
//! some messages are gone for good, and the stream continues from `earliest`.

use crate::notification::ReplyMessage;
use crate::session::AssignType;
use serde::{Deserialize, Serialize};

/// `POST /v1/visitor`: anonymous (empty body) or an identified user of the host site.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VisitorRequest {
    /// The host site's id for its user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// hex(HMAC-SHA256(identity secret, user_id)), computed by the host site's server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The answer of `POST /v1/visitor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VisitorResponse {
    /// The Udesk customer this visitor is.
    pub customer_token: String,
    /// The bearer token for every other call (and `?token=` for the event stream).
    pub token: String,
    /// When `token` stops working, in Unix seconds. Renew before with `POST /v1/visitor` and the
    /// old token as bearer: the visitor keeps its customer_token.
    pub expires_at: u64,
}

/// Every error the relay answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A stable code from [`error_code`].
    pub error: String,
    /// What went wrong, for people.
    pub message: String,
    /// Udesk's result code, when Udesk refused the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udesk_code: Option<i64>,
}

/// The stable values of [`ErrorBody::error`].
pub mod error_code {
    /// The body or query is malformed; `message` names the field.
    pub const BAD_REQUEST: &str = "bad_request";
    /// The body is larger than the relay accepts.
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// No token, a forged or expired token, or a wrong webhook secret.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// The token is fine but the thing belongs to another visitor.
    pub const FORBIDDEN: &str = "forbidden";
    pub const NOT_FOUND: &str = "not_found";
    /// Too many calls; wait and retry.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The request body did not arrive within the relay's body deadline (HTTP 408).
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    /// Udesk answered with a non-1000 code; see `udesk_code`.
    pub const UDESK_ERROR: &str = "udesk_error";
    /// Udesk could not be reached or answered garbage (HTTP 502).
    pub const UPSTREAM_UNAVAILABLE: &str = "upstream_unavailable";
    /// Udesk did not answer in time (HTTP 504).
    pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
    /// Origin not allowed.
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    /// A fault of the relay itself; details are in its log.
    pub const INTERNAL: &str = "internal";
}

/// The SSE `event:` names.
pub mod stream_event {
    pub const MESSAGE: &str = "message";
    pub const RESET: &str = "reset";
}

/// `data` of an SSE `message` event: one reply notification message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamMessage {
    /// The same as the SSE `id:`; increases per customer.
    pub id: u64,
    pub assign_type: AssignType,
    /// When the relay stored it, Unix milliseconds.
    pub received_at: u64,
    pub message: ReplyMessage,
}

/// `data` of an SSE `reset` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamReset {
    /// The id the client asked to resume after.
    pub requested: u64,
    /// The oldest id still kept; the stream goes on from here.
    pub earliest: u64,
}

/// The answer of `GET /v1/queue_status` is Udesk's [`crate::status::QueueStatusResponse`]; this
/// is the answer of `GET /v1/config`, what the widget needs to know about the relay.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RelayConfig {
    /// Whether the upstream is the embedded simulator (the demo page says so).
    pub simulator: bool,
    /// The agent console, when the simulator is embedded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub console_url: Option<String>,
}
