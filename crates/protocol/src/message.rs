//! Sending a message: `POST /im/messages`.
//!
//! ```json
//! {"customer_token": "c_42", "im_sub_session_id": 1081, "message_id": "m-7f3a…",
//!  "type": "message", "data": {"content": "你好"}}
//! ```
//! `im_sub_session_id` 0, empty or absent addresses the robot (which takes only `type: message`).
//! Today's Udesk requires `message_id` (unique per company); it is also the idempotency key that
//! makes a retried send not a second message.

use crate::content::{Content, RawContent};
use crate::{lenient, ParseError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A customer's message to the robot or the agent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawSendMessage")]
pub struct SendMessageRequest {
    /// Required by Udesk; the relay fills it from the visitor's token.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub customer_token: String,
    /// The agent session; `None` (or 0 on the wire) means the robot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub im_sub_session_id: Option<u64>,
    /// Unique per message; the same across retries of one send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(flatten)]
    pub content: Content,
}

impl SendMessageRequest {
    /// Whether this message goes to the robot.
    pub fn to_robot(&self) -> bool {
        self.im_sub_session_id.is_none()
    }
}

#[derive(Deserialize)]
struct RawSendMessage {
    #[serde(default)]
    customer_token: String,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    im_sub_session_id: Option<u64>,
    #[serde(default, deserialize_with = "lenient::opt_string_or_number")]
    message_id: Option<String>,
    #[serde(rename = "type", default = "crate::content::default_kind")]
    kind: String,
    #[serde(default)]
    data: Value,
}

impl TryFrom<RawSendMessage> for SendMessageRequest {
    type Error = ParseError;

    fn try_from(raw: RawSendMessage) -> Result<Self, ParseError> {
        if raw.data.is_null() {
            return Err(ParseError::at("data", "missing field `data`"));
        }
        let content = RawContent {
            kind: raw.kind,
            data: raw.data,
        }
        .into_content()?;
        Ok(SendMessageRequest {
            customer_token: raw.customer_token,
            im_sub_session_id: raw.im_sub_session_id.filter(|id| *id != 0),
            message_id: raw.message_id.filter(|id| !id.is_empty()),
            content,
        })
    }
}
