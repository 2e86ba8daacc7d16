//! The durable store: each customer's reply events, plus the small records the relay keeps
//! (session ownership, customers created upstream, sends already forwarded).
//!
//! [`Store`] is a blocking trait, so that an embedded database and a network one (Redis, with a
//! blocking client) fit the same shape; [`Storage`] runs its calls on tokio's blocking pool.
//!
//! Per-customer event ids are consecutive and never reused: `append` gives each new message the
//! customer's next id in the same transaction that records its `message_id`, so duplicates
//! (Udesk's retries) are recognised for as long as the dedupe window keeps their ids, even after
//! the event itself was pruned.
//!
//! Backends: [`SqliteStore`] (the embedded default), [`MemoryStore`] (tests, benchmark baseline)
//! and [`RedisStore`] (several relays sharing one Redis: `INCR` for ids, one Lua script per push).
//! All three pass the same conformance suite (`tests/store.rs`).

mod memory;
mod redis;
mod sqlite;

pub(crate) use self::redis::decode_notification;
pub use self::redis::{redacted_url, Durability, RedisFeed, RedisPool, RedisStore};
pub use memory::MemoryStore;
pub use sqlite::SqliteStore;

use std::sync::Arc;
use udesk_protocol::relay::StreamMessage;
use udesk_protocol::session::AssignType;

/// A failed store call.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("{0}")]
    Other(String),
}

/// How long events are kept.
#[derive(Clone, Copy, Debug)]
pub struct Retention {
    /// Events received longer ago than this are dropped (milliseconds).
    pub max_age_ms: u64,
    /// At most this many events per customer (0 = no limit).
    pub max_count: u64,
    /// How long a message_id is remembered for dedupe (milliseconds); at least Udesk's retry
    /// period.
    pub dedupe_ms: u64,
}

impl Retention {
    pub fn days(days: u64, max_count: u64) -> Retention {
        const DAY_MS: u64 = 24 * 3600 * 1000;
        // Saturating: `--retention-days` is any u64 (a huge one means "keep everything").
        Retention {
            max_age_ms: days.max(1).saturating_mul(DAY_MS),
            max_count,
            // Svix retries for ~27 h, Stripe for 3 days: a week covers Udesk's retries.
            dedupe_ms: days.max(7).saturating_mul(DAY_MS),
        }
    }
}

/// One stored reply event.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Increases by one per customer, starting at 1.
    pub id: u64,
    pub customer_token: String,
    pub assign_type: AssignType,
    /// When the relay stored it, Unix milliseconds.
    pub received_at: u64,
    /// The sanitised [`udesk_protocol::ReplyMessage`] as JSON.
    pub message_json: String,
}

impl StoredEvent {
    /// The `data:` of its SSE `message` event: a [`StreamMessage`] in JSON.
    ///
    /// Built by hand around the stored JSON so that replay does not parse and re-serialise every
    /// message; a test pins it to the serde shape.
    pub fn stream_json(&self) -> String {
        format!(
            r#"{{"id":{},"assign_type":"{}","received_at":{},"message":{}}}"#,
            self.id,
            self.assign_type.as_str(),
            self.received_at,
            self.message_json
        )
    }

    /// The typed form (for tests and tools).
    pub fn to_stream_message(&self) -> Result<StreamMessage, udesk_protocol::ParseError> {
        udesk_protocol::from_str(&self.stream_json())
    }
}

/// A message to append: Udesk's message_id (the dedupe key) and its JSON.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub message_id: String,
    pub json: String,
}

/// One webhook push, stored all or nothing.
#[derive(Clone, Debug)]
pub struct Push {
    pub customer_token: String,
    pub assign_type: AssignType,
    pub received_at: u64,
    /// In Udesk's order.
    pub messages: Vec<NewMessage>,
    /// Agent sessions these messages show belong to the customer.
    pub sessions: Vec<u64>,
}

/// What is kept of a customer's stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    /// The oldest id still kept; `None` when nothing is kept.
    pub earliest: Option<u64>,
    /// The last id ever given (0 = none yet).
    pub last: u64,
}

/// What the relay knows of a customer it may have to create upstream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerProfile {
    pub customer_token: String,
    pub nick_name: Option<String>,
    pub email: Option<String>,
    /// Whether `POST /open_api_v1/customers` was already done for it.
    pub created_upstream: bool,
}

/// The store's operations. Implementations are internally synchronised.
pub trait Store: Send + Sync + 'static {
    /// Appends the push's new messages in one transaction, skipping message_ids already seen
    /// for this customer, and records its sessions. Returns the events it stored, in order.
    fn append(&self, push: &Push) -> Result<Vec<StoredEvent>, StoreError>;
    /// Up to `limit` events with ids greater than `after`, oldest first.
    fn read_after(
        &self,
        customer_token: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    fn bounds(&self, customer_token: &str) -> Result<Bounds, StoreError>;
    /// Drops what retention no longer covers at `now_ms`; returns how many events went.
    fn prune(&self, now_ms: u64) -> Result<u64, StoreError>;

    fn record_sessions(
        &self,
        customer_token: &str,
        sessions: &[u64],
        now_ms: u64,
    ) -> Result<(), StoreError>;
    fn owns_session(&self, customer_token: &str, session: u64) -> Result<bool, StoreError>;
    /// Whether a reply with this message_id was delivered to this customer.
    fn knows_message(&self, customer_token: &str, message_id: &str) -> Result<bool, StoreError>;

    fn customer(&self, customer_token: &str) -> Result<Option<CustomerProfile>, StoreError>;
    /// Saves name and e-mail (keeping `created_upstream` unless `profile` sets it).
    fn save_customer(&self, profile: &CustomerProfile) -> Result<(), StoreError>;

    /// The recorded answer of a send with this message_id, if one succeeded after `since_ms`.
    fn sent_answer(
        &self,
        customer_token: &str,
        message_id: &str,
        since_ms: u64,
    ) -> Result<Option<String>, StoreError>;
    fn record_sent(
        &self,
        customer_token: &str,
        message_id: &str,
        answer_json: &str,
        now_ms: u64,
    ) -> Result<(), StoreError>;
}

/// The store as the async handlers use it: every call runs on the blocking pool, so a slow disk
/// never stalls the runtime's threads.
#[derive(Clone)]
pub struct Storage(Arc<dyn Store>);

impl Storage {
    pub fn new(store: impl Store) -> Storage {
        Storage(Arc::new(store))
    }

    /// Runs `call` against the store on a blocking thread.
    pub async fn run<T, F>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.0.clone();
        tokio::task::spawn_blocking(move || call(&*store))
            .await
            .map_err(|e| StoreError::Other(format!("store task failed: {e}")))?
    }
}

/// The stored text of an [`AssignType`] back (anything but `agent` is the robot).
pub(crate) fn assign_type_from(text: &str) -> AssignType {
    if text == "agent" {
        AssignType::Agent
    } else {
        AssignType::Robot
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_in_days_keeps_a_week_of_dedupe_and_saturates() {
        let r = Retention::days(30, 1000);
        assert_eq!(r.max_age_ms, 30 * 24 * 3600 * 1000);
        assert_eq!(Retention::days(1, 0).dedupe_ms, 7 * 24 * 3600 * 1000);
        let forever = Retention::days(u64::MAX, 0);
        assert_eq!(
            (forever.max_age_ms, forever.dedupe_ms),
            (u64::MAX, u64::MAX)
        );
        // Nothing is ever old enough to prune.
        let store = MemoryStore::new(forever);
        assert_eq!(store.prune(now_ms()).unwrap(), 0);
    }
}
