//! Cross-relay fan-out: with the Redis store, a webhook received by one relay reaches browsers
//! streaming from any other relay.
//!
//! The store's append script publishes every new event on the database's channel at the moment
//! it stores it ([`crate::store::RedisStore`]). Each relay subscribes and hands the events to its
//! local [`crate::hub::Hub`]. Its own come back too and are skipped by the streams (by id) when
//! the webhook handler already handed them over; when the handler could not (Redis stored the
//! push but the answer was lost), this is how they still reach local streams.
//!
//! Pub/sub is fire-and-forget: what is published while a relay's subscription is down is lost
//! to it. So the subscription is watched (a closed connection, or no answer to a PING every
//! few seconds, counts as lost), re-established with backoff, and every time it is (re)made the
//! hub is resynced: each open stream re-reads the store after its last id. Nothing stored is
//! missed, only delayed by the outage.

use crate::state::AppState;
use crate::store::{decode_notification, RedisFeed};
use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How often the subscription is checked with a PING, and how long the answer may take.
const PING_EVERY: Duration = Duration::from_secs(5);
/// Waits between attempts to subscribe again: from this, doubling, up to [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

/// An established subscription to the events channel.
pub struct Subscription {
    sink: PubSubSink,
    stream: PubSubStream,
}

/// Subscribes to the feed's channel.
pub async fn subscribe(feed: &RedisFeed) -> redis::RedisResult<Subscription> {
    let connect = async {
        let mut pubsub = feed.client.get_async_pubsub().await?;
        pubsub.subscribe(&feed.channel).await?;
        let (sink, stream) = pubsub.split();
        Ok(Subscription { sink, stream })
    };
    match tokio::time::timeout(PING_EVERY, connect).await {
        Ok(result) => result,
        Err(_) => Err(redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "subscribing timed out",
        ))),
    }
}

/// Follows the feed with `first` (already subscribed, so nothing published after `start`
/// returns is missed) until shutdown, subscribing again whenever the subscription is lost.
pub fn spawn(feed: RedisFeed, state: AppState, first: Subscription) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut subscription = Some(first);
        let mut backoff = BACKOFF_MIN;
        loop {
            if let Some(current) = subscription.take() {
                backoff = BACKOFF_MIN;
                match listen(&state, current).await {
                    None => return,
                    Some(reason) => {
                        state.metrics.fanout_lost.fetch_add(1, Relaxed);
                        tracing::warn!(%reason, "lost the Redis subscription; streams re-read the store once it is back");
                    }
                }
            }
            tokio::select! {
                _ = state.shutdown.cancelled() => return,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
            match subscribe(&feed).await {
                Ok(again) => {
                    // Whatever was published meanwhile is in the store: every stream re-reads it.
                    state.hub.resync();
                    state.metrics.fanout_resyncs.fetch_add(1, Relaxed);
                    tracing::info!("Redis subscription back; open streams re-read the store");
                    subscription = Some(again);
                }
                Err(err) => tracing::warn!(error = %err, "cannot subscribe to Redis yet"),
            }
        }
    })
}

/// Hands the channel's events to the hub until shutdown (`None`) or the subscription is lost
/// (`Some(reason)`).
async fn listen(state: &AppState, subscription: Subscription) -> Option<String> {
    let Subscription {
        mut sink,
        mut stream,
    } = subscription;
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return None,
            message = stream.next() => {
                let Some(message) = message else {
                    return Some("the connection closed".into());
                };
                let payload = String::from_utf8_lossy(message.get_payload_bytes());
                match decode_notification(&payload) {
                    Some(event) => state.hub.publish(vec![event]),
                    None => tracing::warn!(payload = %payload.chars().take(80).collect::<String>(),
                        "ignoring an unreadable event notification"),
                }
            }
            _ = ping.tick() => {
                match tokio::time::timeout(PING_EVERY, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => return Some(format!("PING failed: {err}")),
                    Err(_) => return Some("no answer to PING".into()),
                }
            }
        }
    }
}
