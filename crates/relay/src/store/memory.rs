//! A store in process memory: the same behaviour as SQLite, lost on restart. For tests and as
//! the benchmark's baseline.

use super::{Bounds, CustomerProfile, Push, Retention, Store, StoreError, StoredEvent};
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

/// An in-memory [`Store`].
pub struct MemoryStore {
    inner: Mutex<Inner>,
    retention: Retention,
}

#[derive(Default)]
struct Inner {
    streams: HashMap<String, Stream>,
    /// (customer_token, im_sub_session_id) → when last seen.
    sessions: HashMap<(String, u64), u64>,
    customers: HashMap<String, CustomerProfile>,
    /// (customer_token, message_id) → (sent at, answer).
    sent: HashMap<(String, String), (u64, String)>,
}

#[derive(Default)]
struct Stream {
    last_id: u64,
    events: VecDeque<StoredEvent>,
    /// message_id → when first seen.
    seen: HashMap<String, u64>,
}

impl MemoryStore {
    pub fn new(retention: Retention) -> MemoryStore {
        MemoryStore {
            inner: Mutex::new(Inner::default()),
            retention,
        }
    }

    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Every mutation below completes before it can panic, so a poisoned lock is consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store for MemoryStore {
    fn append(&self, push: &Push) -> Result<Vec<StoredEvent>, StoreError> {
        let mut inner = self.inner();
        for id in &push.sessions {
            inner
                .sessions
                .insert((push.customer_token.clone(), *id), push.received_at);
        }
        let stream = inner
            .streams
            .entry(push.customer_token.clone())
            .or_default();
        let mut stored = Vec::new();
        for message in &push.messages {
            if stream.seen.contains_key(&message.message_id) {
                continue;
            }
            stream
                .seen
                .insert(message.message_id.clone(), push.received_at);
            stream.last_id += 1;
            let event = StoredEvent {
                id: stream.last_id,
                customer_token: push.customer_token.clone(),
                assign_type: push.assign_type,
                received_at: push.received_at,
                message_json: message.json.clone(),
            };
            stream.events.push_back(event.clone());
            stored.push(event);
        }
        let max = self.retention.max_count;
        while max > 0 && stream.events.len() as u64 > max {
            stream.events.pop_front();
        }
        Ok(stored)
    }

    fn read_after(
        &self,
        customer_token: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let inner = self.inner();
        Ok(inner
            .streams
            .get(customer_token)
            .map(|s| {
                s.events
                    .iter()
                    .filter(|e| e.id > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    fn bounds(&self, customer_token: &str) -> Result<Bounds, StoreError> {
        let inner = self.inner();
        Ok(inner
            .streams
            .get(customer_token)
            .map(|s| Bounds {
                earliest: s.events.front().map(|e| e.id),
                last: s.last_id,
            })
            .unwrap_or_default())
    }

    fn prune(&self, now_ms: u64) -> Result<u64, StoreError> {
        let r = self.retention;
        let events_before = now_ms.saturating_sub(r.max_age_ms);
        let keys_before = now_ms.saturating_sub(r.dedupe_ms.max(r.max_age_ms));
        let mut inner = self.inner();
        let mut removed = 0;
        for stream in inner.streams.values_mut() {
            let before = stream.events.len();
            stream.events.retain(|e| e.received_at >= events_before);
            removed += (before - stream.events.len()) as u64;
            stream.seen.retain(|_, at| *at >= keys_before);
        }
        inner.sent.retain(|_, (at, _)| *at >= keys_before);
        inner.sessions.retain(|_, at| *at >= keys_before);
        Ok(removed)
    }

    fn record_sessions(
        &self,
        customer_token: &str,
        sessions: &[u64],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let mut inner = self.inner();
        for id in sessions {
            inner
                .sessions
                .insert((customer_token.to_owned(), *id), now_ms);
        }
        Ok(())
    }

    fn owns_session(&self, customer_token: &str, session: u64) -> Result<bool, StoreError> {
        Ok(self
            .inner()
            .sessions
            .contains_key(&(customer_token.to_owned(), session)))
    }

    fn knows_message(&self, customer_token: &str, message_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .inner()
            .streams
            .get(customer_token)
            .is_some_and(|s| s.seen.contains_key(message_id)))
    }

    fn customer(&self, customer_token: &str) -> Result<Option<CustomerProfile>, StoreError> {
        Ok(self.inner().customers.get(customer_token).cloned())
    }

    fn save_customer(&self, profile: &CustomerProfile) -> Result<(), StoreError> {
        let mut inner = self.inner();
        let created = inner
            .customers
            .get(&profile.customer_token)
            .is_some_and(|p| p.created_upstream);
        let mut profile = profile.clone();
        profile.created_upstream |= created;
        inner
            .customers
            .insert(profile.customer_token.clone(), profile);
        Ok(())
    }

    fn sent_answer(
        &self,
        customer_token: &str,
        message_id: &str,
        since_ms: u64,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .inner()
            .sent
            .get(&(customer_token.to_owned(), message_id.to_owned()))
            .filter(|(at, _)| *at >= since_ms)
            .map(|(_, answer)| answer.clone()))
    }

    fn record_sent(
        &self,
        customer_token: &str,
        message_id: &str,
        answer_json: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.inner().sent.insert(
            (customer_token.to_owned(), message_id.to_owned()),
            (now_ms, answer_json.to_owned()),
        );
        Ok(())
    }
}
