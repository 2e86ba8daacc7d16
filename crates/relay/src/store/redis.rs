//! The Redis store: several relays share one Redis and so one set of customers, ids and events.
//!
//! Layout (prefix `udesk:`, one group of keys per customer):
//! - `udesk:<ct>:last`: the customer's id counter (`INCR`), never reset, so ids are the same on
//!   every relay and survive pruning.
//! - `udesk:<ct>:events`: sorted set, score = id, member = `<id> <received_at> <assign>\n<json>`.
//! - `udesk:<ct>:seen`: sorted set of Udesk message_ids, score = when first stored (dedupe).
//! - `udesk:<ct>:sessions`: sorted set of im_sub_session_ids, score = when last seen.
//! - `udesk:<ct>:sent` (hash message_id → answer) + `udesk:<ct>:sent_at` (sorted set): sends.
//! - `udesk:<ct>:customer`: hash, the profile.
//! - `udesk:customers`: sorted set of customers with prunable data, for retention.
//! - `udesk:rate:…` and `udesk:streams:ip:…`: the limits shared by the relays
//!   ([`crate::shared_limits`], over this store's [`RedisPool`]).
//!
//! A push is one Lua script: for each message, dedupe check, `INCR`, append and `PUBLISH`, then
//! count retention, all atomic. So a push stored by relay A and retried to relay B is stored
//! once, and its notification leaves exactly when it is stored. Notifications go to one channel
//! per Redis database (`udesk:events:<db>`; pub/sub ignores databases) as `<ct> <member>`;
//! [`crate::fanout`] feeds them into each relay's hub.
//!
//! Durability is Redis's: only `appendonly yes` with `appendfsync always` fsyncs a write before
//! Redis answers it. [`RedisStore::durability`] reads both (or, where `CONFIG` is refused, at
//! least whether the append-only file is on), and the relay refuses to start without them
//! unless told otherwise (see the README).
//!
//! Commands are blocking, like the [`Store`] trait, on a small pool of connections with
//! timeouts. A connection that failed is dropped, never reused (after a lost connection, the
//! idle ones too). A failed append is not retried
//! here: the webhook answers 503 and Udesk's retry is deduplicated if the first try did land.

use super::{
    assign_type_from, Bounds, CustomerProfile, Push, Retention, Store, StoreError, StoredEvent,
};
use redis::{Client, Connection, Script};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;
/// Connect, read and write timeout of a command connection.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// Customers visited per `ZSCAN` step of retention.
const PRUNE_PAGE: usize = 500;
/// The key prefix.
const PREFIX: &str = "udesk:";

/// Dedupe, id, append, notify and count retention for one push, atomically.
/// KEYS: last, events, seen, sessions, customers index.
/// ARGV: received_at, assign, max_count, channel, ct, n_sessions, sessions…,
/// then (message_id, json) pairs. Returns the stored members, in order.
const APPEND: &str = r#"
local at, assign, max = ARGV[1], ARGV[2], tonumber(ARGV[3])
local channel, ct = ARGV[4], ARGV[5]
local i = 7
for _ = 1, tonumber(ARGV[6]) do
  redis.call('ZADD', KEYS[4], at, ARGV[i])
  i = i + 1
end
local stored, last = {}, nil
while i < #ARGV do
  local message_id, json = ARGV[i], ARGV[i + 1]
  i = i + 2
  if redis.call('ZADD', KEYS[3], 'NX', at, message_id) == 1 then
    last = redis.call('INCR', KEYS[1])
    local member = last .. ' ' .. at .. ' ' .. assign .. '\n' .. json
    redis.call('ZADD', KEYS[2], last, member)
    redis.call('PUBLISH', channel, ct .. ' ' .. member)
    stored[#stored + 1] = member
  end
end
if last and max > 0 and last > max then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', last - max)
end
redis.call('ZADD', KEYS[5], at, ct)
return stored
"#;

/// Retention for one customer. KEYS: events, seen, sessions, sent_at, sent, customers index.
/// ARGV: events_before, keys_before, ct. Returns how many events went.
const PRUNE: &str = r#"
local events_before = tonumber(ARGV[1])
local removed = 0
while true do
  local batch = redis.call('ZRANGE', KEYS[1], 0, 99)
  local old = 0
  for _, member in ipairs(batch) do
    local _, _, at = string.find(member, '^%d+ (%d+) ')
    if tonumber(at) >= events_before then break end
    old = old + 1
  end
  if old == 0 then break end
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, old - 1)
  removed = removed + old
  if old < #batch then break end
end
local before = '(' .. ARGV[2]
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', before)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', before)
local gone = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', before)
for j = 1, #gone, 500 do
  redis.call('HDEL', KEYS[5], unpack(gone, j, math.min(j + 499, #gone)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', before)
if redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) == 0 then
  redis.call('ZREM', KEYS[6], ARGV[3])
end
return removed
"#;

/// Saves a profile, keeping `created_upstream` once set. KEYS: customer.
/// ARGV: has_nick, nick, has_email, email, created.
const SAVE_CUSTOMER: &str = r#"
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'nick_name', ARGV[2])
else redis.call('HDEL', KEYS[1], 'nick_name') end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'email', ARGV[4])
else redis.call('HDEL', KEYS[1], 'email') end
local created = ARGV[5]
if redis.call('HGET', KEYS[1], 'created_upstream') == '1' then created = '1' end
redis.call('HSET', KEYS[1], 'created_upstream', created)
return 1
"#;

/// What Redis says about its persistence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `appendonly yes` and `appendfsync always`: a write is on disk before Redis answers it.
    Fsynced,
    /// Anything else: acknowledged writes can be lost in a crash or power cut.
    Lossy {
        appendonly: String,
        appendfsync: String,
    },
    /// `CONFIG GET` is not allowed (managed services often disable it) and `INFO persistence`
    /// does not show the append-only file off: the fsync policy cannot be read.
    Unknown(String),
}

/// What the fan-out needs to follow this store's notifications.
#[derive(Clone)]
pub struct RedisFeed {
    pub client: Client,
    /// The pub/sub channel of this database.
    pub channel: String,
}

/// Blocking connections to one Redis, with timeouts, reused while they work. Shared by the
/// store and the limits kept in Redis ([`crate::limits::SharedLimits`]).
pub struct RedisPool {
    client: Client,
    idle: Mutex<Vec<Connection>>,
}

/// A Redis-backed [`Store`].
pub struct RedisStore {
    pool: Arc<RedisPool>,
    retention: Retention,
    channel: String,
    append: Script,
    prune: Script,
    save_customer: Script,
}

fn key(customer_token: &str, suffix: &str) -> String {
    format!("{PREFIX}{customer_token}:{suffix}")
}

fn index_key() -> String {
    format!("{PREFIX}customers")
}

/// `<id> <received_at> <assign>\n<json>` → the event.
pub(crate) fn decode_member(customer_token: &str, member: &str) -> Option<StoredEvent> {
    let (head, json) = member.split_once('\n')?;
    let mut parts = head.split(' ');
    let id = parts.next()?.parse().ok()?;
    let received_at = parts.next()?.parse().ok()?;
    let assign_type = assign_type_from(parts.next()?);
    Some(StoredEvent {
        id,
        customer_token: customer_token.to_owned(),
        assign_type,
        received_at,
        message_json: json.to_owned(),
    })
}

/// A published notification `<ct> <member>` → the event.
pub(crate) fn decode_notification(payload: &str) -> Option<StoredEvent> {
    let (customer_token, member) = payload.split_once(' ')?;
    decode_member(customer_token, member)
}

fn decode_members(
    customer_token: &str,
    members: Vec<String>,
) -> Result<Vec<StoredEvent>, StoreError> {
    members
        .iter()
        .map(|m| {
            decode_member(customer_token, m)
                .ok_or_else(|| StoreError::Other(format!("unreadable event in Redis: {m:.60}")))
        })
        .collect()
}

/// `url` with its password replaced by `***`, for messages and logs.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or("", |(user, _)| user);
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

impl RedisStore {
    /// Connects to `url` (`redis://[user:password@]HOST:PORT[/DB]`) and checks it answers.
    pub fn open(url: &str, retention: Retention) -> Result<RedisStore, StoreError> {
        let client = Client::open(url)?;
        let db = client.get_connection_info().redis_settings().db();
        let store = RedisStore {
            pool: Arc::new(RedisPool {
                client,
                idle: Mutex::new(Vec::new()),
            }),
            retention,
            channel: format!("{PREFIX}events:{db}"),
            append: Script::new(APPEND),
            prune: Script::new(PRUNE),
            save_customer: Script::new(SAVE_CUSTOMER),
        };
        store.pool.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(store)
    }

    /// Whether Redis fsyncs every write before answering (see the module docs).
    pub fn durability(&self) -> Result<Durability, StoreError> {
        let read = |name: &str| {
            self.pool.with(|c| {
                redis::cmd("CONFIG")
                    .arg("GET")
                    .arg(name)
                    .query::<Vec<String>>(c)
            })
        };
        let (appendonly, appendfsync) = match (read("appendonly"), read("appendfsync")) {
            (Ok(a), Ok(f)) => (
                a.get(1).cloned().unwrap_or_default(),
                f.get(1).cloned().unwrap_or_default(),
            ),
            (Err(e), _) | (_, Err(e)) => {
                // Managed services that refuse CONFIG usually answer INFO: an append-only file
                // that is off is enough to know (its fsync policy is not in INFO).
                let info = self
                    .pool
                    .with(|c| redis::cmd("INFO").arg("persistence").query::<String>(c));
                if info.is_ok_and(|info| info.lines().any(|l| l.trim() == "aof_enabled:0")) {
                    return Ok(Durability::Lossy {
                        appendonly: "no".into(),
                        appendfsync: "unknown (CONFIG GET refused)".into(),
                    });
                }
                return Ok(Durability::Unknown(e.to_string()));
            }
        };
        if appendonly == "yes" && appendfsync == "always" {
            Ok(Durability::Fsynced)
        } else {
            Ok(Durability::Lossy {
                appendonly,
                appendfsync,
            })
        }
    }

    /// How to follow this store's new-event notifications.
    pub fn feed(&self) -> RedisFeed {
        RedisFeed {
            client: self.pool.client.clone(),
            channel: self.channel.clone(),
        }
    }

    /// The connections, for the limits kept in the same Redis.
    pub fn pool(&self) -> Arc<RedisPool> {
        self.pool.clone()
    }
}

impl RedisPool {
    fn idle(&self) -> MutexGuard<'_, Vec<Connection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `call` on a pooled connection; a connection that failed is dropped.
    pub fn with<T>(
        &self,
        call: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let idle = self.idle().pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => {
                let conn = self.client.get_connection_with_timeout(IO_TIMEOUT)?;
                conn.set_read_timeout(Some(IO_TIMEOUT))?;
                conn.set_write_timeout(Some(IO_TIMEOUT))?;
                conn
            }
        };
        let result = call(&mut conn).inspect_err(|err| {
            // A lost connection usually means Redis restarted or the network broke: the idle
            // ones are as dead, and each would fail one more call.
            if err.is_io_error() || err.is_connection_dropped() || err.is_timeout() {
                self.idle().clear();
            }
        })?;
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        Ok(result)
    }
}

impl Store for RedisStore {
    fn append(&self, push: &Push) -> Result<Vec<StoredEvent>, StoreError> {
        let ct = push.customer_token.as_str();
        let mut call = self.append.prepare_invoke();
        call.key(key(ct, "last"))
            .key(key(ct, "events"))
            .key(key(ct, "seen"))
            .key(key(ct, "sessions"))
            .key(index_key())
            .arg(push.received_at)
            .arg(push.assign_type.as_str())
            .arg(self.retention.max_count)
            .arg(&self.channel)
            .arg(ct)
            .arg(push.sessions.len());
        for session in &push.sessions {
            call.arg(*session);
        }
        for message in &push.messages {
            call.arg(&message.message_id).arg(&message.json);
        }
        let members: Vec<String> = self.pool.with(|c| call.invoke(c))?;
        decode_members(ct, members)
    }

    fn read_after(
        &self,
        customer_token: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let members: Vec<String> = self.pool.with(|c| {
            redis::cmd("ZRANGEBYSCORE")
                .arg(key(customer_token, "events"))
                .arg(format!("({after}"))
                .arg("+inf")
                .arg("LIMIT")
                .arg(0)
                .arg(limit)
                .query(c)
        })?;
        decode_members(customer_token, members)
    }

    fn bounds(&self, customer_token: &str) -> Result<Bounds, StoreError> {
        let (first, last): (Vec<String>, Option<u64>) = self.pool.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("ZRANGE")
                .arg(key(customer_token, "events"))
                .arg(0)
                .arg(0)
                .cmd("GET")
                .arg(key(customer_token, "last"))
                .query(c)
        })?;
        let earliest = decode_members(customer_token, first)?.first().map(|e| e.id);
        Ok(Bounds {
            earliest,
            last: last.unwrap_or(0),
        })
    }

    fn prune(&self, now_ms: u64) -> Result<u64, StoreError> {
        let r = self.retention;
        let events_before = now_ms.saturating_sub(r.max_age_ms);
        let keys_before = now_ms.saturating_sub(r.dedupe_ms.max(r.max_age_ms));
        let mut removed = 0;
        let mut cursor: u64 = 0;
        loop {
            let (next, page): (u64, Vec<String>) = self.pool.with(|c| {
                redis::cmd("ZSCAN")
                    .arg(index_key())
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(PRUNE_PAGE)
                    .query(c)
            })?;
            // The page alternates member, score.
            for ct in page.iter().step_by(2) {
                let mut call = self.prune.prepare_invoke();
                call.key(key(ct, "events"))
                    .key(key(ct, "seen"))
                    .key(key(ct, "sessions"))
                    .key(key(ct, "sent_at"))
                    .key(key(ct, "sent"))
                    .key(index_key())
                    .arg(events_before)
                    .arg(keys_before)
                    .arg(ct);
                removed += self.pool.with(|c| call.invoke::<u64>(c))?;
            }
            if next == 0 {
                return Ok(removed);
            }
            cursor = next;
        }
    }

    fn record_sessions(
        &self,
        customer_token: &str,
        sessions: &[u64],
        now_ms: u64,
    ) -> Result<(), StoreError> {
        if sessions.is_empty() {
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut zadd = redis::cmd("ZADD");
        zadd.arg(key(customer_token, "sessions"));
        for session in sessions {
            zadd.arg(now_ms).arg(*session);
        }
        pipe.add_command(zadd).ignore();
        pipe.cmd("ZADD")
            .arg(index_key())
            .arg(now_ms)
            .arg(customer_token)
            .ignore();
        self.pool.with(|c| pipe.query::<()>(c))
    }

    fn owns_session(&self, customer_token: &str, session: u64) -> Result<bool, StoreError> {
        let score: Option<f64> = self.pool.with(|c| {
            redis::cmd("ZSCORE")
                .arg(key(customer_token, "sessions"))
                .arg(session)
                .query(c)
        })?;
        Ok(score.is_some())
    }

    fn knows_message(&self, customer_token: &str, message_id: &str) -> Result<bool, StoreError> {
        let score: Option<f64> = self.pool.with(|c| {
            redis::cmd("ZSCORE")
                .arg(key(customer_token, "seen"))
                .arg(message_id)
                .query(c)
        })?;
        Ok(score.is_some())
    }

    fn customer(&self, customer_token: &str) -> Result<Option<CustomerProfile>, StoreError> {
        let fields: std::collections::HashMap<String, String> = self.pool.with(|c| {
            redis::cmd("HGETALL")
                .arg(key(customer_token, "customer"))
                .query(c)
        })?;
        if fields.is_empty() {
            return Ok(None);
        }
        Ok(Some(CustomerProfile {
            customer_token: customer_token.to_owned(),
            nick_name: fields.get("nick_name").cloned(),
            email: fields.get("email").cloned(),
            created_upstream: fields.get("created_upstream").is_some_and(|v| v == "1"),
        }))
    }

    fn save_customer(&self, p: &CustomerProfile) -> Result<(), StoreError> {
        let flag = |b: bool| if b { "1" } else { "0" };
        let mut call = self.save_customer.prepare_invoke();
        call.key(key(&p.customer_token, "customer"))
            .arg(flag(p.nick_name.is_some()))
            .arg(p.nick_name.as_deref().unwrap_or(""))
            .arg(flag(p.email.is_some()))
            .arg(p.email.as_deref().unwrap_or(""))
            .arg(flag(p.created_upstream));
        self.pool.with(|c| call.invoke::<()>(c))
    }

    fn sent_answer(
        &self,
        customer_token: &str,
        message_id: &str,
        since_ms: u64,
    ) -> Result<Option<String>, StoreError> {
        let (at, answer): (Option<f64>, Option<String>) = self.pool.with(|c| {
            redis::pipe()
                .cmd("ZSCORE")
                .arg(key(customer_token, "sent_at"))
                .arg(message_id)
                .cmd("HGET")
                .arg(key(customer_token, "sent"))
                .arg(message_id)
                .query(c)
        })?;
        Ok(answer.filter(|_| at.is_some_and(|at| at >= since_ms as f64)))
    }

    fn record_sent(
        &self,
        customer_token: &str,
        message_id: &str,
        answer_json: &str,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        self.pool.with(|c| {
            redis::pipe()
                .atomic()
                .cmd("HSET")
                .arg(key(customer_token, "sent"))
                .arg(message_id)
                .arg(answer_json)
                .ignore()
                .cmd("ZADD")
                .arg(key(customer_token, "sent_at"))
                .arg(now_ms)
                .arg(message_id)
                .ignore()
                .cmd("ZADD")
                .arg(index_key())
                .arg(now_ms)
                .arg(customer_token)
                .ignore()
                .query::<()>(c)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_shown_urls() {
        assert_eq!(
            redacted_url("redis://relay:hunter2@10.0.0.5:6379/2"),
            "redis://relay:***@10.0.0.5:6379/2"
        );
        assert_eq!(redacted_url("redis://:pw@h:1"), "redis://:***@h:1");
        assert_eq!(redacted_url("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn members_and_notifications_round_trip() {
        let event = decode_member("c_1", "17 1764200000000 agent\n{\"a\":\"x y\\nz\"}").unwrap();
        assert_eq!(event.id, 17);
        assert_eq!(event.received_at, 1_764_200_000_000);
        assert_eq!(event.assign_type.as_str(), "agent");
        assert_eq!(event.message_json, "{\"a\":\"x y\\nz\"}");
        let event = decode_notification("c_1 3 5 robot\n{}").unwrap();
        assert_eq!((event.id, event.customer_token.as_str()), (3, "c_1"));
        assert!(decode_member("c", "x 5 agent\n{}").is_none());
        assert!(decode_notification("abc").is_none());
    }
}
