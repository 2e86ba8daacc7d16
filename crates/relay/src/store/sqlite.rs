//! The embedded default store: one SQLite file in WAL mode.
//!
//! Durability: `synchronous = FULL`. In WAL mode, NORMAL would already survive a crash of the
//! relay process (the WAL is in the OS page cache), but not a power cut or kernel crash, which
//! can lose the last commits. The relay answers 200 to Udesk only after `append` commits, and
//! Udesk will not resend what it saw acknowledged, so a commit must be on disk: FULL fsyncs the
//! WAL on every commit. Its cost is measured by the `bench` example (SQLite vs memory).
//!
//! Concurrency: one writer connection behind a mutex (SQLite allows one writer anyway) and a
//! few reader connections, which WAL lets read while a write commits.
//!
//! Group commit: an fsync per webhook would cap intake at the disk's fsync rate. Pushes that
//! arrive while a commit is running queue up; the next leader writes them all in one
//! transaction (each in its own savepoint, so one bad push fails alone) and one fsync, then
//! answers each. Nobody is answered before the commit that holds its push is durable. A lone
//! push commits at once, so light load pays no extra latency.

use super::{
    assign_type_from, Bounds, CustomerProfile, Push, Retention, Store, StoreError, StoredEvent,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Reader connections kept open for reuse.
const MAX_IDLE_READERS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS events (
    customer_token TEXT NOT NULL,
    id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    assign_type TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (customer_token, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_age ON events (received_at);
-- The last id given per customer; it never goes back, even when events are pruned.
CREATE TABLE IF NOT EXISTS streams (
    customer_token TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL
) WITHOUT ROWID;
-- Udesk message ids already stored: the dedupe window outlives the events.
CREATE TABLE IF NOT EXISTS seen_messages (
    customer_token TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (customer_token, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_by_age ON seen_messages (seen_at);
CREATE TABLE IF NOT EXISTS sessions (
    customer_token TEXT NOT NULL,
    im_sub_session_id INTEGER NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (customer_token, im_sub_session_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS customers (
    customer_token TEXT PRIMARY KEY,
    nick_name TEXT,
    email TEXT,
    created_upstream INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sent_messages (
    customer_token TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (customer_token, message_id)
) WITHOUT ROWID;
PRAGMA user_version = 1;
";

/// A push waiting for a group commit, and where its answer goes.
struct Pending {
    push: Push,
    slot: Arc<Slot>,
}

/// One waiting `append` call.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    changed: Condvar,
}

#[derive(Default)]
enum SlotState {
    #[default]
    Waiting,
    /// This caller leads the next group commit.
    Lead,
    Done(Result<Vec<StoredEvent>, StoreError>),
}

impl Slot {
    fn set(&self, state: SlotState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
        self.changed.notify_one();
    }

    /// Waits until this caller is answered or asked to lead.
    fn wait(&self) -> SlotState {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while matches!(*state, SlotState::Waiting) {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        std::mem::take(&mut *state)
    }
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    /// Whether some caller is committing (and will hand over or finish).
    leader_active: bool,
}

/// A SQLite-backed [`Store`].
pub struct SqliteStore {
    queue: Mutex<Queue>,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// `None` for a private in-memory database, which only the writer connection can see.
    path: Option<PathBuf>,
    retention: Retention,
}

impl SqliteStore {
    /// Opens (or creates) the database file, creating its directory if needed. `:memory:` gives
    /// a private in-memory database.
    pub fn open(path: &Path, retention: Retention) -> Result<SqliteStore, StoreError> {
        let in_memory = path.as_os_str() == ":memory:";
        if !in_memory {
            // Transcripts, names and e-mails: 0600 in a 0700 directory (WAL and SHM follow).
            crate::private_fs::prepare_private_database(path)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", path.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if !in_memory {
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Other(format!(
                    "SQLite refused WAL mode (got {mode})"
                )));
            }
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore {
            queue: Mutex::new(Queue::default()),
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            path: (!in_memory).then(|| path.to_owned()),
            retention,
        })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (the transaction
        // rolls back on drop), so a poisoned lock is safe to reuse.
        self.writer.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends `push` in a group commit (see the module docs).
    fn group_commit(&self, push: &Push) -> Result<Vec<StoredEvent>, StoreError> {
        let slot = Arc::new(Slot::default());
        let lead_now = {
            let mut queue = self.queue();
            queue.pending.push(Pending {
                push: push.clone(),
                slot: slot.clone(),
            });
            !std::mem::replace(&mut queue.leader_active, true)
        };
        if lead_now {
            self.lead();
        }
        loop {
            match slot.wait() {
                SlotState::Done(result) => return result,
                SlotState::Lead => self.lead(),
                SlotState::Waiting => {}
            }
        }
    }

    /// Commits everything queued in one transaction, answers each, and hands the lead to the
    /// first caller that queued meanwhile (or steps down).
    fn lead(&self) {
        let batch = std::mem::take(&mut self.queue().pending);
        let results = self.commit_batch(&batch);
        for (pending, result) in batch.into_iter().zip(results) {
            pending.slot.set(SlotState::Done(result));
        }
        let mut queue = self.queue();
        match queue.pending.first() {
            Some(next) => next.slot.set(SlotState::Lead),
            None => queue.leader_active = false,
        }
    }

    fn commit_batch(&self, batch: &[Pending]) -> Vec<Result<Vec<StoredEvent>, StoreError>> {
        let mut conn = self.writer();
        let outcome = (|| {
            let mut tx = conn.transaction()?;
            let mut results = Vec::with_capacity(batch.len());
            for pending in batch {
                let savepoint = tx.savepoint()?;
                let result = apply_push(&savepoint, &pending.push, self.retention);
                if result.is_ok() {
                    savepoint.commit()?;
                } // else: dropping the savepoint rolls this push back alone
                results.push(result);
            }
            tx.commit()?;
            Ok::<_, StoreError>(results)
        })();
        match outcome {
            Ok(results) => results,
            Err(err) => {
                let message = err.to_string();
                batch
                    .iter()
                    .map(|_| Err(StoreError::Other(format!("commit failed: {message}"))))
                    .collect()
            }
        }
    }

    fn read<T>(
        &self,
        query: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let Some(path) = &self.path else {
            return Ok(query(&self.writer())?);
        };
        let idle = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(std::time::Duration::from_secs(5))?;
                conn
            }
        };
        let result = query(&conn);
        let mut idle = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        Ok(result?)
    }
}

fn event_from_row(customer_token: &str, row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvent> {
    let assign: String = row.get(1)?;
    Ok(StoredEvent {
        id: row.get::<_, i64>(0)? as u64,
        customer_token: customer_token.to_owned(),
        assign_type: assign_type_from(&assign),
        received_at: row.get::<_, i64>(2)? as u64,
        message_json: row.get(3)?,
    })
}

/// Writes one push inside the caller's transaction (or savepoint).
fn apply_push(
    tx: &Connection,
    push: &Push,
    retention: Retention,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut stored = Vec::with_capacity(push.messages.len());
    {
        let ct = push.customer_token.as_str();
        let mut last: u64 = tx
            .prepare_cached("SELECT last_id FROM streams WHERE customer_token = ?1")?
            .query_row([ct], |r| r.get::<_, i64>(0))
            .optional()?
            .unwrap_or(0) as u64;
        let mut seen = tx.prepare_cached(
            "INSERT OR IGNORE INTO seen_messages (customer_token, message_id, seen_at)
                 VALUES (?1, ?2, ?3)",
        )?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO events (customer_token, id, message_id, assign_type, received_at, message)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for message in &push.messages {
            let fresh = seen.execute(params![ct, message.message_id, push.received_at as i64])?;
            if fresh == 0 {
                continue;
            }
            last += 1;
            insert.execute(params![
                ct,
                last as i64,
                message.message_id,
                push.assign_type.as_str(),
                push.received_at as i64,
                message.json
            ])?;
            stored.push(StoredEvent {
                id: last,
                customer_token: ct.to_owned(),
                assign_type: push.assign_type,
                received_at: push.received_at,
                message_json: message.json.clone(),
            });
        }
        let mut session = tx.prepare_cached(
            "INSERT OR IGNORE INTO sessions (customer_token, im_sub_session_id, assigned_at)
                 VALUES (?1, ?2, ?3)",
        )?;
        for id in &push.sessions {
            session.execute(params![ct, *id as i64, push.received_at as i64])?;
        }
        if !stored.is_empty() {
            tx.prepare_cached(
                "INSERT INTO streams (customer_token, last_id) VALUES (?1, ?2)
                     ON CONFLICT (customer_token) DO UPDATE SET last_id = excluded.last_id",
            )?
            .execute(params![ct, last as i64])?;
            let max = retention.max_count;
            if max > 0 && last > max {
                tx.prepare_cached("DELETE FROM events WHERE customer_token = ?1 AND id <= ?2")?
                    .execute(params![ct, (last - max) as i64])?;
            }
        }
    }
    Ok(stored)
}

impl Store for SqliteStore {
    fn append(&self, push: &Push) -> Result<Vec<StoredEvent>, StoreError> {
        self.group_commit(push)
    }

    fn read_after(
        &self,
        customer_token: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, assign_type, received_at, message FROM events
                 WHERE customer_token = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt.query_map(
                params![
                    customer_token,
                    after.min(i64::MAX as u64) as i64,
                    limit as i64
                ],
                |row| event_from_row(customer_token, row),
            )?;
            rows.collect()
        })
    }

    fn bounds(&self, customer_token: &str) -> Result<Bounds, StoreError> {
        self.read(|conn| {
            let earliest: Option<i64> = conn
                .prepare_cached("SELECT MIN(id) FROM events WHERE customer_token = ?1")?
                .query_row([customer_token], |r| r.get(0))?;
            let last: Option<i64> = conn
                .prepare_cached("SELECT last_id FROM streams WHERE customer_token = ?1")?
                .query_row([customer_token], |r| r.get(0))
                .optional()?;
            Ok(Bounds {
                earliest: earliest.map(|id| id as u64),
                last: last.unwrap_or(0) as u64,
            })
        })
    }

    fn prune(&self, now_ms: u64) -> Result<u64, StoreError> {
        let r = self.retention;
        let events_before = now_ms.saturating_sub(r.max_age_ms) as i64;
        let keys_before = now_ms.saturating_sub(r.dedupe_ms.max(r.max_age_ms)) as i64;
        let conn = self.writer();
        let removed = conn.execute("DELETE FROM events WHERE received_at < ?1", [events_before])?;
        conn.execute(
            "DELETE FROM seen_messages WHERE seen_at < ?1",
            [keys_before],
        )?;
        conn.execute(
            "DELETE FROM sent_messages WHERE sent_at < ?1",
            [keys_before],
        )?;
        conn.execute("DELETE FROM sessions WHERE assigned_at < ?1", [keys_before])?;
        Ok(removed as u64)
    }

    fn record_sessions(
        &self,
        customer_token: &str,
        sessions: &[u64],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        for id in sessions {
            // A session seen again is refreshed, so a long conversation is not pruned.
            tx.execute(
                "INSERT INTO sessions (customer_token, im_sub_session_id, assigned_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET assigned_at = excluded.assigned_at",
                params![customer_token, *id as i64, now_ms as i64],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn owns_session(&self, customer_token: &str, session: u64) -> Result<bool, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT 1 FROM sessions WHERE customer_token = ?1 AND im_sub_session_id = ?2",
            )?
            .exists(params![customer_token, session.min(i64::MAX as u64) as i64])
        })
    }

    fn knows_message(&self, customer_token: &str, message_id: &str) -> Result<bool, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT 1 FROM seen_messages WHERE customer_token = ?1 AND message_id = ?2",
            )?
            .exists(params![customer_token, message_id])
        })
    }

    fn customer(&self, customer_token: &str) -> Result<Option<CustomerProfile>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT nick_name, email, created_upstream FROM customers WHERE customer_token = ?1",
            )?
            .query_row([customer_token], |r| {
                Ok(CustomerProfile {
                    customer_token: customer_token.to_owned(),
                    nick_name: r.get(0)?,
                    email: r.get(1)?,
                    created_upstream: r.get::<_, i64>(2)? != 0,
                })
            })
            .optional()
        })
    }

    fn save_customer(&self, p: &CustomerProfile) -> Result<(), StoreError> {
        self.writer().execute(
            "INSERT INTO customers (customer_token, nick_name, email, created_upstream)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (customer_token) DO UPDATE SET nick_name = excluded.nick_name,
                 email = excluded.email,
                 created_upstream = MAX(created_upstream, excluded.created_upstream)",
            params![
                p.customer_token,
                p.nick_name,
                p.email,
                p.created_upstream as i64
            ],
        )?;
        Ok(())
    }

    fn sent_answer(
        &self,
        customer_token: &str,
        message_id: &str,
        since_ms: u64,
    ) -> Result<Option<String>, StoreError> {
        self.read(|conn| {
            conn.prepare_cached(
                "SELECT answer FROM sent_messages
                 WHERE customer_token = ?1 AND message_id = ?2 AND sent_at >= ?3",
            )?
            .query_row(params![customer_token, message_id, since_ms as i64], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    fn record_sent(
        &self,
        customer_token: &str,
        message_id: &str,
        answer_json: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.writer().execute(
            "INSERT OR REPLACE INTO sent_messages (customer_token, message_id, sent_at, answer)
             VALUES (?1, ?2, ?3, ?4)",
            params![customer_token, message_id, now_ms as i64, answer_json],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use udesk_protocol::session::AssignType;

    #[cfg(unix)]
    #[test]
    fn the_store_and_its_wal_and_shm_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("fresh").join("data");
        let path = data.join("relay.sqlite3");
        let store = SqliteStore::open(&path, Retention::days(30, 0)).unwrap();
        let push = Push {
            customer_token: "c".into(),
            assign_type: AssignType::Agent,
            received_at: 1,
            messages: vec![super::super::NewMessage {
                message_id: "m".into(),
                json: r#"{"message_id":"m","data":{"content":"secret"}}"#.into(),
            }],
            sessions: vec![],
        };
        store.append(&push).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "data directory");
        assert_eq!(mode(&dir.path().join("fresh")), 0o700);
        for name in ["relay.sqlite3", "relay.sqlite3-wal", "relay.sqlite3-shm"] {
            assert_eq!(mode(&data.join(name)), 0o600, "{name}");
        }
    }

    #[test]
    fn concurrent_pushes_are_group_committed_without_loss_or_reorder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(
            SqliteStore::open(&dir.path().join("relay.sqlite3"), Retention::days(30, 0)).unwrap(),
        );
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = store.clone();
                std::thread::spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..50 {
                        let id = format!("t{t}-{i}");
                        let push = Push {
                            customer_token: format!("c{}", t % 3),
                            assign_type: AssignType::Agent,
                            received_at: 1,
                            messages: vec![super::super::NewMessage {
                                message_id: id.clone(),
                                json: format!(
                                    r#"{{"message_id":"{id}","data":{{"content":"x"}}}}"#
                                ),
                            }],
                            sessions: vec![],
                        };
                        let stored = store.append(&push).unwrap();
                        assert_eq!(stored.len(), 1, "each caller gets its own answer");
                        mine.push(stored[0].clone());
                    }
                    mine
                })
            })
            .collect();
        let answered: Vec<StoredEvent> = threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect();
        assert_eq!(answered.len(), 400);
        for c in 0..3 {
            let customer = format!("c{c}");
            let kept = store.read_after(&customer, 0, 1000).unwrap();
            let ids: Vec<u64> = kept.iter().map(|e| e.id).collect();
            assert_eq!(ids, (1..=kept.len() as u64).collect::<Vec<_>>());
            for event in answered.iter().filter(|e| e.customer_token == customer) {
                assert!(kept.contains(event), "answered but not stored: {event:?}");
            }
        }
    }

    #[test]
    fn events_survive_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("relay.sqlite3");
        let retention = Retention::days(30, 0);
        {
            let store = SqliteStore::open(&path, retention).unwrap();
            let push = Push {
                customer_token: "c".into(),
                assign_type: AssignType::Robot,
                received_at: 5,
                messages: vec![super::super::NewMessage {
                    message_id: "m".into(),
                    json: r#"{"message_id":"m","type":"message","data":{"content":"hi"}}"#.into(),
                }],
                sessions: vec![],
            };
            assert_eq!(store.append(&push).unwrap().len(), 1);
        }
        let store = SqliteStore::open(&path, retention).unwrap();
        let events = store.read_after("c", 0, 10).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].assign_type, AssignType::Robot);
        let mode: String = store
            .writer()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
    }
}
