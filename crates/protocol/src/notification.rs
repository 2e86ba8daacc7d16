//! The reply notification: what Udesk POSTs to the webhook URL for every robot or agent reply.
//!
//! Seed shape, one message per push:
//! ```json
//! {"customer_token": "c_42", "assign_type": "agent",
//!  "message": {"type": "message", "message_id": "9f1c", "agent_id": 7, "agent_name": "小明",
//!              "agent_avatar": "…", "im_sub_session_id": 1081, "data": {"content": "您好"}}}
//! ```
//! Today's shape has `messages`, a list, several per push, and each message may carry
//! `message_created_at` (`"2017-07-11 09:52:11"`). Both parse into [`ReplyNotification`], whose
//! `messages` keeps the order Udesk sent. The receiver must answer HTTP 200 within 10 seconds, or
//! Udesk sends the same notification again (same `message_id`s).

use crate::content::{Content, RawContent};
use crate::session::AssignType;
use crate::{from_value, lenient, ParseError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One webhook push.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "NotificationEnvelope")]
pub struct ReplyNotification {
    pub customer_token: String,
    pub assign_type: AssignType,
    /// In the order Udesk sent them; one for the seed's `message`.
    pub messages: Vec<ReplyMessage>,
}

/// The seed's single-message shape, for senders that push it (the simulator's `--webhook-shape
/// message`).
#[derive(Clone, Debug, Serialize)]
pub struct SingleReplyNotification<'a> {
    pub customer_token: &'a str,
    pub assign_type: AssignType,
    pub message: &'a ReplyMessage,
}

/// A robot or agent reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawReplyMessage")]
pub struct ReplyMessage {
    /// Udesk's id for this message; the same across resends of one notification.
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_avatar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub im_sub_session_id: Option<u64>,
    /// When the message was written, `"YYYY-MM-DD hh:mm:ss"` in Udesk's time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_created_at: Option<String>,
    #[serde(flatten)]
    pub content: Content,
}

impl ReplyMessage {
    /// A robot reply with no agent fields.
    pub fn robot(message_id: impl Into<String>, content: Content) -> Self {
        ReplyMessage {
            message_id: message_id.into(),
            agent_id: None,
            agent_name: None,
            agent_avatar: None,
            im_sub_session_id: None,
            message_created_at: None,
            content,
        }
    }
}

/// A push with its envelope read and its messages still raw JSON, for a receiver that reads
/// each message on its own (the relay keeps a push whose one message it cannot read).
#[derive(Debug, Deserialize)]
pub struct NotificationEnvelope {
    pub customer_token: String,
    pub assign_type: AssignType,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    messages: Option<Vec<Value>>,
}

impl NotificationEnvelope {
    /// The raw messages in Udesk's order, each with its place in the body (`message`,
    /// `messages[2]`); an error when the push has none.
    pub fn into_raw_messages(self) -> Result<Vec<(String, Value)>, ParseError> {
        let mut raw = Vec::new();
        if let Some(one) = self.message.filter(|m| !m.is_null()) {
            raw.push(("message".to_owned(), one));
        }
        for (i, item) in self.messages.unwrap_or_default().into_iter().enumerate() {
            raw.push((format!("messages[{i}]"), item));
        }
        if raw.is_empty() {
            return Err(ParseError::at(
                "messages",
                "needs `message` (one) or `messages` (a list)",
            ));
        }
        Ok(raw)
    }
}

impl TryFrom<NotificationEnvelope> for ReplyNotification {
    type Error = ParseError;

    fn try_from(envelope: NotificationEnvelope) -> Result<Self, ParseError> {
        if envelope.customer_token.trim().is_empty() {
            return Err(ParseError::at("customer_token", "must not be empty"));
        }
        let (customer_token, assign_type) = (envelope.customer_token.clone(), envelope.assign_type);
        let messages = envelope
            .into_raw_messages()?
            .into_iter()
            .map(|(at, value)| from_value(value).map_err(|e| e.within(&at)))
            .collect::<Result<_, _>>()?;
        Ok(ReplyNotification {
            customer_token,
            assign_type,
            messages,
        })
    }
}

#[derive(Deserialize)]
struct RawReplyMessage {
    #[serde(deserialize_with = "lenient::string_or_number")]
    message_id: String,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    agent_id: Option<u64>,
    #[serde(default)]
    agent_name: Option<String>,
    #[serde(default)]
    agent_avatar: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_id")]
    im_sub_session_id: Option<u64>,
    #[serde(default)]
    message_created_at: Option<String>,
    #[serde(rename = "type", default = "crate::content::default_kind")]
    kind: String,
    #[serde(default)]
    data: Value,
}

impl TryFrom<RawReplyMessage> for ReplyMessage {
    type Error = ParseError;

    fn try_from(raw: RawReplyMessage) -> Result<Self, ParseError> {
        if raw.message_id.trim().is_empty() {
            return Err(ParseError::at("message_id", "must not be empty"));
        }
        let content = RawContent {
            kind: raw.kind,
            data: raw.data,
        }
        .into_content()?;
        Ok(ReplyMessage {
            message_id: raw.message_id,
            agent_id: raw.agent_id,
            agent_name: raw.agent_name,
            agent_avatar: raw.agent_avatar,
            im_sub_session_id: raw.im_sub_session_id.filter(|id| *id != 0),
            message_created_at: raw.message_created_at.filter(|s| !s.is_empty()),
            content,
        })
    }
}
