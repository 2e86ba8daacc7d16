//! In-process fan-out: each customer's newly stored events, to that customer's open streams.
//!
//! A `broadcast` channel per customer with at least one stream open. Sending never waits, so a
//! slow or stuck browser cannot delay anyone: its receiver falls behind, gets `Lagged`, and its
//! stream re-reads the missed events from the store. The hub carries only what is already
//! stored; the store stays the source of truth.
//!
//! Events come from this relay's webhooks and, with the Redis store, from other relays through
//! [`crate::fanout`]. When that feed was interrupted, [`Hub::resync`] closes every channel:
//! each stream then subscribes again and re-reads the store, so nothing is missed.

use crate::store::StoredEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// Events buffered per customer before a slow stream must catch up from the store.
const CHANNEL_CAPACITY: usize = 64;

/// The per-customer channels.
#[derive(Default)]
pub struct Hub {
    // A std Mutex: it is held only to look up, insert or remove a sender, never across an await.
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<StoredEvent>>>>,
}

impl Hub {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<Arc<StoredEvent>>>> {
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts receiving `customer_token`'s new events.
    pub fn subscribe(&self, customer_token: &str) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.channels()
            .entry(customer_token.to_owned())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Hands stored events to their customer's open streams, if any.
    pub fn publish(&self, events: Vec<StoredEvent>) {
        let mut channels = self.channels();
        for event in events {
            let customer = event.customer_token.clone();
            if let Some(sender) = channels.get(&customer) {
                if sender.send(Arc::new(event)).is_err() {
                    // Nobody listens any more.
                    channels.remove(&customer);
                }
            }
        }
    }

    /// Makes every open stream re-read the store: their channels close (after what is buffered),
    /// and a stream whose channel closed subscribes again and catches up from the store.
    pub fn resync(&self) {
        self.channels().clear();
    }

    /// Forgets channels whose streams all closed.
    pub fn sweep(&self) {
        self.channels().retain(|_, s| s.receiver_count() > 0);
    }

    /// Customers with a channel (for tests and metrics).
    pub fn channel_count(&self) -> usize {
        self.channels().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use udesk_protocol::session::AssignType;

    fn event(customer: &str, id: u64) -> StoredEvent {
        StoredEvent {
            id,
            customer_token: customer.into(),
            assign_type: AssignType::Robot,
            received_at: 0,
            message_json: "{}".into(),
        }
    }

    #[tokio::test]
    async fn each_customer_gets_only_its_events() {
        let hub = Hub::default();
        let mut a = hub.subscribe("a");
        let mut b = hub.subscribe("b");
        hub.publish(vec![event("a", 1), event("b", 1), event("a", 2)]);
        assert_eq!(a.recv().await.unwrap().id, 1);
        assert_eq!(a.recv().await.unwrap().id, 2);
        assert_eq!(b.recv().await.unwrap().customer_token, "b");
        assert!(b.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_stuck_receiver_lags_instead_of_blocking() {
        let hub = Hub::default();
        let mut stuck = hub.subscribe("a");
        let mut other = hub.subscribe("b");
        for id in 1..=(CHANNEL_CAPACITY as u64 + 10) {
            hub.publish(vec![event("a", id)]);
        }
        hub.publish(vec![event("b", 1)]);
        assert_eq!(other.recv().await.unwrap().id, 1);
        assert!(matches!(
            stuck.recv().await,
            Err(broadcast::error::RecvError::Lagged(_))
        ));
    }

    #[tokio::test]
    async fn resync_closes_every_channel_after_its_buffered_events() {
        let hub = Hub::default();
        let mut a = hub.subscribe("a");
        hub.publish(vec![event("a", 1)]);
        hub.resync();
        assert_eq!(a.recv().await.unwrap().id, 1);
        assert!(matches!(
            a.recv().await,
            Err(broadcast::error::RecvError::Closed)
        ));
        let mut again = hub.subscribe("a");
        hub.publish(vec![event("a", 2)]);
        assert_eq!(again.recv().await.unwrap().id, 2);
    }

    #[tokio::test]
    async fn channels_without_streams_are_dropped() {
        let hub = Hub::default();
        drop(hub.subscribe("a"));
        hub.publish(vec![event("a", 1)]);
        assert_eq!(hub.channel_count(), 0);
        let _kept = hub.subscribe("b");
        drop(hub.subscribe("c"));
        hub.sweep();
        assert_eq!(hub.channel_count(), 1);
    }
}
