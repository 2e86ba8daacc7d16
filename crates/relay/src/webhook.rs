//! `POST /webhooks/udesk/{secret}`: Udesk's reply notifications come in here.
//!
//! The rules, in order: a wrong secret is 401 (compared in constant time, before any of the
//! body is read, so a stranger cannot make the relay read or hold a large body); an envelope that is
//! not a reply notification (`customer_token`, `assign_type`, and `message` as an object or
//! `messages` as a list) is 400 naming the field; every message is sanitised and the whole push
//! is stored in one transaction, deduplicated by message_id, BEFORE the 200. If the store fails
//! the answer is 503, so Udesk sends the notification again: nothing acknowledged is ever lost.
//! A push is handled in a task of its own that the answer waits for, so one that was stored
//! reaches its open streams (and the metrics) even when Udesk hangs up before the answer.
//! Both shapes are accepted: the seed's `message` (one) and today's `messages` (a list, kept in
//! order).
//!
//! One odd message must not block a customer's channel: Udesk delivers a customer's pushes in
//! order and resends a refused one forever, so a 400 for one wrongly typed field would silence
//! every later reply. Each message is therefore parsed on its own, with the strict protocol
//! parser, and a message that fails is degraded instead of refused: an optional field that
//! cannot be read (`agent_id`, `agent_name`, `agent_avatar`, `im_sub_session_id`,
//! `message_created_at`) is dropped, and content that cannot be read (`type` and `data`) becomes
//! an unknown kind, [`UNREADABLE_KIND`], that keeps only the original `type` and a `content`
//! string as plain text (see [`unreadable_content`]). The widget shows it as a message it
//! cannot display. Each degradation is logged with the field that failed and counted in
//! `udesk_relay_webhook_messages_degraded_total`. Only a message without a usable `message_id`
//! (a string or number, not empty) still makes the push 400: that id is the dedupe key, without
//! it every resend would be stored again, and Udesk always sends one.

use crate::error::AppError;
use crate::sanitize;
use crate::state::{AppState, WEBHOOK_BODY_LIMIT};
use crate::store::{now_ms, NewMessage, Push};
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::RequestExt;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use udesk_protocol::content::{Content, EventKind};
use udesk_protocol::customer::is_valid_customer_token;
use udesk_protocol::sign::constant_time_eq;
use udesk_protocol::{NotificationEnvelope, ParseError, ReplyMessage};

/// The `type` a message whose content could not be read is stored and streamed with. No Udesk
/// type: the protocol reads it back as [`Content::Unknown`], which the original type would not
/// be (`{"type":"image","data":{"content":123}}` fails again on the widget's side).
pub const UNREADABLE_KIND: &str = "unreadable";

/// A message's fields that may be dropped when they cannot be read.
const OPTIONAL_FIELDS: [&str; 5] = [
    "agent_id",
    "agent_name",
    "agent_avatar",
    "im_sub_session_id",
    "message_created_at",
];

/// The handler. It takes the whole request so that the secret in the path is checked before a
/// byte of the body is read: a wrong secret is refused at once, whatever body follows.
pub async fn receive(
    State(state): State<AppState>,
    request: Request,
) -> Result<StatusCode, AppError> {
    let started = Instant::now();
    let body = match check_secret(&state, request).await {
        Ok(request) => Bytes::from_request(request, &state)
            .await
            .map_err(|rejection| AppError::from_body_rejection(rejection, WEBHOOK_BODY_LIMIT)),
        Err(refused) => Err(refused),
    };
    // The push is handled by a task of its own, which the answer waits for: when Udesk hangs up
    // mid-commit (its timeout), this handler is dropped, but what the store took must still
    // reach the open streams (Udesk's resend of it is deduplicated and delivers nothing), and be
    // counted.
    let intake = tokio::spawn(async move {
        let result = match body {
            Ok(body) => store_push(&state, &body).await,
            Err(refused) => Err(refused),
        };
        state.metrics.webhook_latency.observe(started.elapsed());
        let counter = match &result {
            Ok(_) => &state.metrics.webhook_ok,
            Err(AppError::StoreUnavailable(_) | AppError::Internal(_)) => {
                &state.metrics.webhook_failed
            }
            Err(_) => &state.metrics.webhook_rejected,
        };
        counter.fetch_add(1, Relaxed);
        result
    });
    intake
        .await
        .map_err(|e| AppError::Internal(format!("the webhook task failed: {e}")))?
}

/// A message read from a push, and what could not be read of it.
#[derive(Debug)]
struct Intake {
    message: ReplyMessage,
    /// The parse errors (paths within the message) that made it degrade, first first.
    degraded: Vec<ParseError>,
}

/// Reads one message with the strict parser, degrading it as the module doc says. `at` is its
/// place in the body, for errors.
fn read_message(value: Value, at: &str) -> Result<Intake, AppError> {
    let Value::Object(mut raw) = value else {
        return Err(AppError::BadRequest(format!("{at}: expected an object")));
    };
    let mut degraded = Vec::new();
    let mut content_replaced = false;
    // Each round drops one optional field or replaces the content once, so this ends.
    loop {
        let error = match udesk_protocol::from_value::<ReplyMessage>(Value::Object(raw.clone())) {
            Ok(message) => return Ok(Intake { message, degraded }),
            Err(error) => error,
        };
        if is_optional(&error.path) && raw.remove(&error.path).is_some() {
            degraded.push(error);
        } else if error.path != "message_id" && !content_replaced {
            let kind = raw.remove("type");
            let data = raw.remove("data");
            raw.insert("type".into(), UNREADABLE_KIND.into());
            raw.insert("data".into(), unreadable_content(kind, data));
            content_replaced = true;
            degraded.push(error);
        } else {
            return Err(AppError::BadRequest(error.within(at).to_string()));
        }
    }
}

fn is_optional(path: &str) -> bool {
    OPTIONAL_FIELDS.contains(&path)
}

/// The `data` of an [`UNREADABLE_KIND`] message: the original `type` (`message` when absent)
/// as plain text and the original `data.content`, each only when it is a string; nothing else
/// of the raw data reaches the browser. `content` is cleaned by [`sanitize::reply`] like any
/// unknown kind's (tags removed, entities decoded, no control characters).
fn unreadable_content(kind: Option<Value>, data: Option<Value>) -> Value {
    let mut out = Map::new();
    match kind {
        None => {
            out.insert("type".into(), "message".into());
        }
        Some(Value::String(kind)) => {
            out.insert("type".into(), sanitize::markup_to_plain(&kind).into());
        }
        Some(_) => {}
    }
    if let Some(Value::Object(mut data)) = data {
        if let Some(text @ Value::String(_)) = data.remove("content") {
            out.insert("content".into(), text);
        }
    }
    Value::Object(out)
}

/// The request back when the secret in its path is right (compared in constant time), before
/// its body is read.
async fn check_secret(state: &AppState, mut request: Request) -> Result<Request, AppError> {
    let secret = request
        .extract_parts::<Path<String>>()
        .await
        .map(|Path(s)| s)
        .unwrap_or_default();
    if constant_time_eq(secret.as_bytes(), state.webhook_secret.as_bytes()) {
        Ok(request)
    } else {
        Err(AppError::Unauthorized("wrong webhook secret".into()))
    }
}

async fn store_push(state: &AppState, body: &[u8]) -> Result<StatusCode, AppError> {
    let envelope: NotificationEnvelope = crate::state::parse_json(body)?;
    if !is_valid_customer_token(&envelope.customer_token) {
        return Err(AppError::BadRequest(
            "customer_token: must be 1 to 64 letters, digits or underscores".into(),
        ));
    }
    let (customer_token, assign_type) = (envelope.customer_token.clone(), envelope.assign_type);
    let raw = envelope
        .into_raw_messages()
        .map_err(|e| AppError::BadRequest(e.to_string()))?;

    let mut messages = Vec::with_capacity(raw.len());
    let mut sessions = Vec::new();
    // The stored JSON of degraded messages, to count those newly stored.
    let mut degraded = HashSet::new();
    for (at, value) in raw {
        let intake = read_message(value, &at)?;
        let message = sanitize::reply(intake.message);
        sessions.extend(message.im_sub_session_id);
        if let Content::Event(EventKind::Transfer, data) = &message.content {
            sessions.extend(data.im_sub_session_id);
        }
        let json = serde_json::to_string(&message)
            .map_err(|e| AppError::Internal(format!("serialising a reply: {e}")))?;
        if !intake.degraded.is_empty() {
            let errors: Vec<String> = intake
                .degraded
                .iter()
                .map(|e| e.clone().within(&at).to_string())
                .collect();
            tracing::warn!(
                message_id = %message.message_id,
                kind = message.content.kind(),
                errors = ?errors,
                "webhook message partly unreadable; storing what could be read"
            );
            degraded.insert(json.clone());
        }
        messages.push(NewMessage {
            message_id: message.message_id,
            json,
        });
    }
    let offered = messages.len();
    let push = Push {
        customer_token,
        assign_type,
        received_at: now_ms(),
        messages,
        sessions,
    };
    let stored = state.store.run(move |s| s.append(&push)).await?;
    let metrics = &state.metrics;
    metrics.events_in.fetch_add(stored.len() as u64, Relaxed);
    metrics
        .events_duplicate
        .fetch_add((offered - stored.len()) as u64, Relaxed);
    let new_degraded = stored
        .iter()
        .filter(|e| degraded.contains(&e.message_json))
        .count();
    metrics
        .webhook_messages_degraded
        .fetch_add(new_degraded as u64, Relaxed);
    state.hub.publish(stored);
    Ok(StatusCode::OK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Intake {
        read_message(value, "messages[1]").unwrap()
    }

    fn bad_request(value: Value, at: &str) -> String {
        match read_message(value, at) {
            Err(AppError::BadRequest(message)) => message,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    fn paths(intake: &Intake) -> Vec<&str> {
        intake.degraded.iter().map(|e| e.path.as_str()).collect()
    }

    #[test]
    fn readable_messages_are_not_degraded() {
        let intake = read(
            json!({"type": "image", "message_id": 7, "im_sub_session_id": "12",
                                 "data": {"content": "https://a.example/x.png"}}),
        );
        assert!(intake.degraded.is_empty());
        assert_eq!(intake.message.message_id, "7");
        assert_eq!(intake.message.im_sub_session_id, Some(12));
        assert!(matches!(intake.message.content, Content::Image(_)));
    }

    #[test]
    fn unreadable_content_keeps_ids_type_and_text_only() {
        let intake = read(
            json!({"type": "image", "message_id": "m1", "im_sub_session_id": 1081,
            "message_created_at": "2017-07-11 09:52:11", "agent_name": "小明",
            "data": {"content": 123, "filename": "<b>x</b>"}}),
        );
        assert_eq!(paths(&intake), ["data.content"]);
        let m = &intake.message;
        assert_eq!(
            (m.message_id.as_str(), m.im_sub_session_id),
            ("m1", Some(1081))
        );
        assert_eq!(m.message_created_at.as_deref(), Some("2017-07-11 09:52:11"));
        assert_eq!(m.agent_name.as_deref(), Some("小明"));
        assert_eq!(
            m.content,
            Content::Unknown {
                kind: UNREADABLE_KIND.into(),
                data: json!({"type": "image"})
            }
        );

        // A text whose font has the wrong shape: its text survives, as plain text once sanitised.
        let intake = read(json!({"type": "message", "message_id": "m2",
            "data": {"font": {"size": true}, "content": "<b>您好</b><script>x()</script>"}}));
        assert!(
            paths(&intake)[0].starts_with("data"),
            "{:?}",
            paths(&intake)
        );
        let content = sanitize::reply(intake.message).content;
        assert_eq!(
            content,
            Content::Unknown {
                kind: UNREADABLE_KIND.into(),
                data: json!({"type": "message", "content": "您好"})
            }
        );
    }

    #[test]
    fn the_unreadable_kind_reads_back_as_unknown() {
        let stored = serde_json::to_string(
            &read(json!({"type": "close", "message_id": "m",
            "data": {"content": ["not", "text"]}}))
            .message,
        )
        .unwrap();
        let back: ReplyMessage = udesk_protocol::from_str(&stored).unwrap();
        assert!(
            matches!(&back.content, Content::Unknown { kind, .. } if kind == UNREADABLE_KIND),
            "{back:?}"
        );
    }

    #[test]
    fn unreadable_optional_fields_are_dropped_and_the_content_kept() {
        let intake = read(
            json!({"type": "message", "message_id": "m", "agent_id": "seven",
            "agent_avatar": 5, "im_sub_session_id": [1], "data": {"content": "hi"}}),
        );
        let mut found = paths(&intake);
        found.sort();
        assert_eq!(found, ["agent_avatar", "agent_id", "im_sub_session_id"]);
        assert_eq!(intake.message.content, Content::text("hi"));
        assert_eq!(intake.message.agent_id, None);
        assert_eq!(intake.message.im_sub_session_id, None);

        let intake = read(json!({"type": 5, "message_id": "m", "data": {"content": "hi"}}));
        assert_eq!(paths(&intake), ["type"]);
        assert_eq!(
            intake.message.content,
            Content::Unknown {
                kind: UNREADABLE_KIND.into(),
                data: json!({"content": "hi"})
            }
        );
    }

    #[test]
    fn a_message_without_a_usable_id_is_still_refused() {
        for value in [
            json!({"type": "image", "data": {"content": 123}}),
            json!({"message_id": "", "data": {"content": "hi"}}),
            json!({"message_id": {"x": 1}, "agent_id": "x", "data": {"content": 5}}),
        ] {
            let err = bad_request(value.clone(), "messages[1]");
            assert!(err.contains("messages[1].message_id"), "{value}: {err}");
        }
        assert_eq!(
            bad_request(json!("text"), "message"),
            "message: expected an object"
        );
    }
}
