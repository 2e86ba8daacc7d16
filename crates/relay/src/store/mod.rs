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
//! A Redis backend maps onto this as: `INCR` for the counter, a hash per customer for seen
//! message ids, a sorted set (score = id) for events, all in one `MULTI`/Lua script per push.

mod memory;
mod sqlite;

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
        Retention {
            max_age_ms: days.max(1) * DAY_MS,
            max_count,
            // Svix retries for ~27 h, Stripe for 3 days: a week covers Udesk's retries.
            dedupe_ms: days.max(7) * DAY_MS,
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

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every backend must have; each backend's tests run it.
    use super::*;

    fn push(customer: &str, ids: &[&str], at: u64) -> Push {
        Push {
            customer_token: customer.into(),
            assign_type: AssignType::Agent,
            received_at: at,
            messages: ids
                .iter()
                .map(|id| NewMessage {
                    message_id: (*id).into(),
                    json: format!(
                        r#"{{"message_id":"{id}","type":"message","data":{{"content":"{id}"}}}}"#
                    ),
                })
                .collect(),
            sessions: vec![],
        }
    }

    pub fn run_all(make: impl Fn(Retention) -> Box<dyn Store>) {
        let big = Retention {
            max_age_ms: 1_000_000,
            max_count: 0,
            dedupe_ms: 10_000_000,
        };
        // Ids are consecutive per customer; duplicates are skipped, also within one push.
        let s = make(big);
        let a = s.append(&push("c1", &["m1", "m2", "m1"], 10)).unwrap();
        assert_eq!(a.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2]);
        assert!(s.append(&push("c1", &["m2"], 11)).unwrap().is_empty());
        let b = s.append(&push("c2", &["m1"], 12)).unwrap();
        assert_eq!(
            b[0].id, 1,
            "another customer has its own ids and dedupe keys"
        );
        let c = s.append(&push("c1", &["m3"], 13)).unwrap();
        assert_eq!(c[0].id, 3);
        let all = s.read_after("c1", 0, 10).unwrap();
        assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(s.read_after("c1", 1, 1).unwrap()[0].id, 2);
        assert_eq!(
            s.bounds("c1").unwrap(),
            Bounds {
                earliest: Some(1),
                last: 3
            }
        );
        assert_eq!(s.bounds("nobody").unwrap(), Bounds::default());
        let msg = all[0].to_stream_message().unwrap();
        assert_eq!(msg.id, 1);
        assert_eq!(msg.message.message_id, "m1");
        assert!(s.knows_message("c1", "m3").unwrap());
        assert!(!s.knows_message("c2", "m3").unwrap());

        // Age retention drops old events but keeps ids and dedupe keys.
        assert_eq!(s.prune(10 + 1_000_001).unwrap(), 2);
        assert_eq!(
            s.bounds("c1").unwrap(),
            Bounds {
                earliest: Some(3),
                last: 3
            }
        );
        assert!(s.append(&push("c1", &["m1"], 20)).unwrap().is_empty());
        assert_eq!(s.append(&push("c1", &["m4"], 21)).unwrap()[0].id, 4);

        // Count retention keeps the newest.
        let s = make(Retention {
            max_count: 2,
            ..big
        });
        s.append(&push("c", &["a", "b", "c"], 1)).unwrap();
        s.append(&push("c", &["d"], 2)).unwrap();
        let kept: Vec<u64> = s
            .read_after("c", 0, 10)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(kept, vec![3, 4]);
        assert_eq!(
            s.bounds("c").unwrap(),
            Bounds {
                earliest: Some(3),
                last: 4
            }
        );

        // Sessions, customers, sends.
        let mut p = push("c", &["e"], 3);
        p.sessions = vec![77];
        s.append(&p).unwrap();
        assert!(s.owns_session("c", 77).unwrap());
        assert!(!s.owns_session("other", 77).unwrap());
        s.record_sessions("other", &[78], 3).unwrap();
        assert!(s.owns_session("other", 78).unwrap());

        assert_eq!(s.customer("c").unwrap(), None);
        let mut profile = CustomerProfile {
            customer_token: "c".into(),
            nick_name: Some("Ann".into()),
            email: None,
            created_upstream: false,
        };
        s.save_customer(&profile).unwrap();
        profile.created_upstream = true;
        s.save_customer(&profile).unwrap();
        profile.created_upstream = false;
        profile.nick_name = Some("Anna".into());
        s.save_customer(&profile).unwrap();
        let saved = s.customer("c").unwrap().unwrap();
        assert!(
            saved.created_upstream,
            "a later save keeps created_upstream"
        );
        assert_eq!(saved.nick_name.as_deref(), Some("Anna"));

        assert_eq!(s.sent_answer("c", "s1", 0).unwrap(), None);
        s.record_sent("c", "s1", r#"{"code":1000}"#, 100).unwrap();
        assert_eq!(
            s.sent_answer("c", "s1", 50).unwrap().as_deref(),
            Some(r#"{"code":1000}"#)
        );
        assert_eq!(
            s.sent_answer("c", "s1", 101).unwrap(),
            None,
            "outside the window"
        );
        assert_eq!(s.sent_answer("d", "s1", 0).unwrap(), None);
    }
}
