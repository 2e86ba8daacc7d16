//! `POST /webhooks/udesk/{secret}`: Udesk's reply notifications come in here.
//!
//! The rules, in order: a wrong secret is 401 (compared in constant time); a body that is not a
//! reply notification is 400 naming the field; every message is sanitised and the whole push
//! is stored in one transaction, deduplicated by message_id, BEFORE the 200. If the store fails
//! the answer is 503, so Udesk sends the notification again: nothing acknowledged is ever lost.
//! Both shapes are accepted: the seed's `message` (one) and today's `messages` (a list, kept in
//! order).

use crate::app::{AppState, WEBHOOK_BODY_LIMIT};
use crate::error::AppError;
use crate::sanitize;
use crate::store::{now_ms, NewMessage, Push};
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use udesk_protocol::content::{Content, EventKind};
use udesk_protocol::customer::is_valid_customer_token;
use udesk_protocol::sign::constant_time_eq;
use udesk_protocol::ReplyNotification;

pub async fn receive(
    State(state): State<AppState>,
    secret: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let started = Instant::now();
    let result = store_push(&state, secret, body).await;
    state.metrics.webhook_latency.observe(started.elapsed());
    let counter = match &result {
        Ok(_) => &state.metrics.webhook_ok,
        Err(AppError::StoreUnavailable(_) | AppError::Internal(_)) => &state.metrics.webhook_failed,
        Err(_) => &state.metrics.webhook_rejected,
    };
    counter.fetch_add(1, Relaxed);
    result
}

async fn store_push(
    state: &AppState,
    secret: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, AppError> {
    let secret = secret.map(|Path(s)| s).unwrap_or_default();
    if !constant_time_eq(secret.as_bytes(), state.webhook_secret.as_bytes()) {
        return Err(AppError::Unauthorized("wrong webhook secret".into()));
    }
    let body = body.map_err(|r| AppError::from_body_rejection(r, WEBHOOK_BODY_LIMIT))?;
    let notification: ReplyNotification = crate::api::parse_json(&body)?;
    if !is_valid_customer_token(&notification.customer_token) {
        return Err(AppError::BadRequest(
            "customer_token: must be 1 to 64 letters, digits or underscores".into(),
        ));
    }

    let mut messages = Vec::with_capacity(notification.messages.len());
    let mut sessions = Vec::new();
    for message in notification.messages {
        let message = sanitize::reply(message);
        sessions.extend(message.im_sub_session_id);
        if let Content::Event(EventKind::Transfer, data) = &message.content {
            sessions.extend(data.im_sub_session_id);
        }
        let json = serde_json::to_string(&message)
            .map_err(|e| AppError::Internal(format!("serialising a reply: {e}")))?;
        messages.push(NewMessage {
            message_id: message.message_id,
            json,
        });
    }
    let offered = messages.len();
    let push = Push {
        customer_token: notification.customer_token,
        assign_type: notification.assign_type,
        received_at: now_ms(),
        messages,
        sessions,
    };
    let stored = state.store.run(move |s| s.append(&push)).await?;
    state
        .metrics
        .events_in
        .fetch_add(stored.len() as u64, Relaxed);
    state
        .metrics
        .events_duplicate
        .fetch_add((offered - stored.len()) as u64, Relaxed);
    state.hub.publish(stored);
    Ok(StatusCode::OK)
}
