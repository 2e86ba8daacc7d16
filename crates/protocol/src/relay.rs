//! The relay's own API, between the widget and the relay (`/v1/...`).
//!
//! Calls other than `POST /v1/visitor` carry `Authorization: Bearer <token>`; the relay takes the
//! `customer_token` from the token and never from a body. Bodies and answers of `/v1/sessions`,
//! `/v1/messages`, `/v1/robot/evaluations`, `/v1/surveys` and `/v1/queue_status` are Udesk's own
//! types (this crate's other modules) without `customer_token`.
//!
//! Every failure is an [`ErrorBody`] with a stable [`error_code`] and a human message.
//!
//! `POST /v1/uploads` (multipart/form-data, one part named `file`) stores a visitor's file and
//! answers an [`UploadResponse`]; its `url` then goes in `data.content` of an `image`, `audio`,
//! `video` or `file` message to `POST /v1/messages`:
//! ```json
//! {"url": "https://relay.example/media/3f9c…e1.png", "type": "image",
//!  "filename": "screenshot.png", "filesize": "182.4K", "content_type": "image/png"}
//! ```
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
    /// The request body did not arrive within the relay's body deadline, or an upload stalled
    /// (HTTP 408).
    pub const REQUEST_TIMEOUT: &str = "request_timeout";
    /// Udesk answered with a non-1000 code; see `udesk_code`.
    pub const UDESK_ERROR: &str = "udesk_error";
    /// Udesk could not be reached or answered garbage (HTTP 502).
    pub const UPSTREAM_UNAVAILABLE: &str = "upstream_unavailable";
    /// Udesk did not answer in time (HTTP 504).
    pub const UPSTREAM_TIMEOUT: &str = "upstream_timeout";
    /// Origin not allowed.
    pub const ORIGIN_NOT_ALLOWED: &str = "origin_not_allowed";
    /// An upload of a kind the relay refuses (HTTP 415); `message` says why.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// A fault of the relay itself; details are in its log.
    pub const INTERNAL: &str = "internal";
}

/// The message kind an uploaded file is sent as: the `type` of its send-message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
    Audio,
    Video,
    File,
}

impl MediaKind {
    /// The wire name, which is also the send-message `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Audio => "audio",
            MediaKind::Video => "video",
            MediaKind::File => "file",
        }
    }

    /// The kind of a send-message `type`, when it is one that carries a media URL.
    pub fn from_message_type(kind: &str) -> Option<MediaKind> {
        match kind {
            "image" => Some(MediaKind::Image),
            "audio" => Some(MediaKind::Audio),
            "video" => Some(MediaKind::Video),
            "file" => Some(MediaKind::File),
            _ => None,
        }
    }
}

/// The answer of `POST /v1/uploads` (HTTP 201).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// The file's absolute URL on the relay (`<public url>/media/<id>.<ext>`): `data.content` of
    /// the message that sends it.
    pub url: String,
    /// What the relay recognised from the bytes: the `type` to send it as.
    #[serde(rename = "type")]
    pub kind: MediaKind,
    /// The name the browser gave, cleaned (no path, no control characters, at most 255 bytes).
    pub filename: String,
    /// The stored size in Udesk's style (`"4.3M"`), for `data.filesize`.
    pub filesize: String,
    /// The type the relay serves it with (sniffed, never the declared one).
    pub content_type: String,
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
    /// The largest picture `POST /v1/uploads` takes, in bytes (so the widget can refuse a larger
    /// one before sending a byte). Absent from relays without uploads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_image_bytes: Option<u64>,
    /// The largest audio, video or other file it takes, in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_bytes: Option<u64>,
}
