//! `GET /v1/events`: a customer's reply notifications as server-sent events, with replay.
//!
//! The order that makes "no gap, no duplicate" hold: subscribe to the hub first, then replay
//! from the store, then go live, skipping live events the replay already sent and re-reading the
//! store whenever the live feed skips ahead (a lagging receiver, or pushes committed out of
//! order) or the hub asks for a resync (the Redis feed from other relays was interrupted). Ids
//! come from the store, so they are the same after a restart.
//!
//! Browsers give up for good on a non-200 answer, so once the token is good the answer is always
//! a 200 stream: trouble (a store error, too many streams on the relay or for this visitor,
//! shutdown) ends the stream, and the browser reconnects after `retry:` with `Last-Event-ID`.
//! A client IP holding `--max-streams-per-ip` streams already gets the same kind of answer with a
//! long `retry:` (30–45 s) and a comment saying why, so a crowd behind one address backs off.
//! The stream also ends when its token expires; that reconnect gets 401, and the widget renews.

use crate::error::AppError;
use crate::limits::{ip_key, StreamRefusal, StreamSlot};
use crate::state::{bearer, now_secs, AppState, ClientIp};
use crate::store::StoredEvent;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use rand::Rng;
use serde::Deserialize;
use std::convert::Infallible;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use udesk_protocol::relay::{stream_event, StreamReset};

/// Events read from the store per query during replay.
const PAGE: usize = 256;

/// Streams one visitor may hold open on this relay (tabs, devices), so that one token cannot
/// take every stream of `--max-streams` from everyone else.
pub const MAX_STREAMS_PER_VISITOR: usize = 16;

/// The comment on a stream refused because its client IP holds too many.
pub const IP_LIMIT_COMMENT: &str = "too many event streams from this address; retry later";

/// The query of `GET /v1/events`.
#[derive(Debug, Deserialize)]
pub struct EventsQuery {
    /// The visitor's token (EventSource cannot send headers).
    pub token: Option<String>,
    /// Resume after this id on a fresh page load; a reconnect's `Last-Event-ID` header wins.
    pub last_event_id: Option<String>,
}

fn parse_event_id(text: &str, field: &str) -> Result<Option<u64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|_| AppError::BadRequest(format!("{field}: expected a non-negative integer")))
}

/// The `retry:` hint: 2–4 s, spread so that a restart does not bring every browser back at once.
fn retry_hint() -> Duration {
    Duration::from_millis(rand::thread_rng().gen_range(2000..4000))
}

/// The `retry:` of a stream refused for its IP: 30–45 s, so that the crowd behind one address
/// comes back slowly and spread out.
fn ip_limit_retry() -> Duration {
    Duration::from_millis(rand::thread_rng().gen_range(30_000..45_000))
}

pub async fn events(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: Result<Query<EventsQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(e.body_text()))?;
    let token = query
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&headers))
        .ok_or_else(|| AppError::Unauthorized("missing `token` query parameter".into()))?;
    let now = now_secs();
    let (customer_token, expires_at) = state
        .identity
        .verify_until(token, now)
        .map_err(|e| AppError::Unauthorized(e.message().into()))?;
    // The stream ends with its token (a stolen token's stream must not outlive it); the
    // browser's reconnect then gets 401 and the widget renews.
    let expires_in = Duration::from_secs(expires_at - now);
    let resume = match headers.get("last-event-id") {
        Some(value) => parse_event_id(value.to_str().unwrap_or("x"), "Last-Event-ID")?,
        None => None,
    };
    let resume = match resume {
        Some(id) => Some(id),
        None => match query.last_event_id.as_deref() {
            Some(text) => parse_event_id(text, "last_event_id")?,
            None => None,
        },
    };

    let (tx, rx) = mpsc::channel::<Event>(32);
    let hint = Event::default().retry(retry_hint()).comment("udesk-chat");
    // Counted and admitted in one step; the slot is held by the stream's pump, so it is given
    // back when the stream ends.
    let client = ip_key(ip);
    match state.stream_caps.admit(&client, &customer_token).await {
        Ok(slot) => {
            tokio::spawn(pump(state.clone(), customer_token, resume, hint, tx, slot));
        }
        // Refused streams only say when to come back, then end.
        Err(StreamRefusal::Ip) => {
            tracing::warn!(%client, "per-IP stream limit reached; asking a browser to retry later");
            state.metrics.streams_refused_ip.fetch_add(1, Relaxed);
            let refusal = Event::default()
                .retry(ip_limit_retry())
                .comment(IP_LIMIT_COMMENT);
            let _ = tx.try_send(refusal);
        }
        Err(limit) => {
            let full = limit == StreamRefusal::Relay;
            tracing::warn!(
                full,
                crowded = !full,
                "stream limit reached; asking a browser to retry"
            );
            let refused = if full {
                &state.metrics.streams_refused_relay
            } else {
                &state.metrics.streams_refused_visitor
            };
            refused.fetch_add(1, Relaxed);
            let _ = tx.try_send(hint);
        }
    }
    let ended = {
        let shutdown = state.shutdown.clone();
        async move {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = sleep_long(expires_in) => {}
            }
        }
    };
    let stream = ReceiverStream::new(rx)
        .map(Ok::<_, Infallible>)
        .take_until(ended);
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(state.keep_alive))
        .into_response();
    // Ask reverse proxies not to buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// Sleeps `duration`, which may be far beyond what a timer can hold (a token that does not
/// expire): then forever.
async fn sleep_long(duration: Duration) {
    match tokio::time::Instant::now().checked_add(duration) {
        Some(deadline) if duration < Duration::from_secs(100 * 365 * 24 * 3600) => {
            tokio::time::sleep_until(deadline).await
        }
        _ => std::future::pending().await,
    }
}

/// Feeds one stream: the reset notice if needed, the replay, then live events, until the
/// browser leaves or the relay shuts down. Holds the stream's per-IP slot until then.
async fn pump(
    state: AppState,
    customer_token: String,
    resume: Option<u64>,
    hint: Event,
    tx: mpsc::Sender<Event>,
    _slot: StreamSlot,
) {
    let _open = state.metrics.stream_opened();
    // Subscribe before reading the store, so nothing stored meanwhile is missed.
    let mut live = state.hub.subscribe(&customer_token);
    if tx.send(hint).await.is_err() {
        return;
    }
    let mut last = resume.unwrap_or(0);
    if let Some(requested) = resume {
        let ct = customer_token.clone();
        let bounds = match state.store.run(move |s| s.bounds(&ct)).await {
            Ok(bounds) => bounds,
            Err(err) => {
                tracing::warn!(error = %err, "store unavailable; ending a stream");
                return;
            }
        };
        let earliest = bounds.earliest.unwrap_or(bounds.last + 1);
        // Pruned past the requested id, or an id this relay never gave (its store was reset).
        // (`requested` comes from the browser: any u64, so no `+ 1` on it.)
        if requested < earliest.saturating_sub(1) || requested > bounds.last {
            let reset = StreamReset {
                requested,
                earliest,
            };
            let data = serde_json::to_string(&reset).unwrap_or_default();
            let event = Event::default().event(stream_event::RESET).data(data);
            if tx.send(event).await.is_err() {
                return;
            }
            state.metrics.stream_resets.fetch_add(1, Relaxed);
            last = earliest - 1;
        }
    }
    if catch_up(&state, &customer_token, &mut last, &tx)
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = tx.closed() => return,
            received = live.recv() => {
                let more = match received {
                    Ok(event) if event.id <= last => Ok(()),
                    Ok(event) if event.id == last + 1 => {
                        let sent = send(&state, &tx, &event).await;
                        last = event.id;
                        sent
                    }
                    // Skipped ahead or fell behind: the store has everything in order.
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        catch_up(&state, &customer_token, &mut last, &tx).await
                    }
                    // The hub asked for a resync (its cross-relay feed had a gap): subscribe
                    // again first, then read what the store has.
                    Err(RecvError::Closed) => {
                        live = state.hub.subscribe(&customer_token);
                        catch_up(&state, &customer_token, &mut last, &tx).await
                    }
                };
                if more.is_err() {
                    return;
                }
            }
        }
    }
}

/// Sends every stored event after `last`, advancing it.
async fn catch_up(
    state: &AppState,
    customer_token: &str,
    last: &mut u64,
    tx: &mpsc::Sender<Event>,
) -> Result<(), ()> {
    loop {
        let (ct, after) = (customer_token.to_owned(), *last);
        let page = state
            .store
            .run(move |s| s.read_after(&ct, after, PAGE))
            .await
            .map_err(|err| tracing::warn!(error = %err, "store unavailable; ending a stream"))?;
        let full = page.len() == PAGE;
        for event in page {
            send(state, tx, &event).await?;
            *last = event.id;
        }
        if !full {
            return Ok(());
        }
    }
}

async fn send(state: &AppState, tx: &mpsc::Sender<Event>, event: &StoredEvent) -> Result<(), ()> {
    let sse = Event::default()
        .id(event.id.to_string())
        .event(stream_event::MESSAGE)
        .data(event.stream_json());
    tx.send(sse).await.map_err(|_| ())?;
    state.metrics.events_out.fetch_add(1, Relaxed);
    Ok(())
}
