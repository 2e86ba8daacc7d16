//! Limits shared by every relay on one Redis: with `--store redis://…`, N relays behind a load
//! balancer must not allow N times a limit.
//!
//! - Rate limits ([`crate::limits::RateLimiter`]): one token bucket per limit and key in Redis
//!   (`udesk:rate:<limit>:<key>`, a hash of `tokens` and `at`), taken by one Lua script that
//!   reads Redis's own clock (`TIME`), so relays with skewed clocks agree. The semantics are the
//!   local bucket's: `burst` at once, refilled at the configured rate. An idle bucket expires
//!   once it would be full again.
//! - The per-IP stream cap ([`crate::limits::StreamCaps`]): a sorted set of leases per client
//!   IP (`udesk:streams:ip:<key>`, member = this relay's id and a counter, score = when the lease
//!   lapses). Admission is one Lua script: drop lapsed leases, count, add if under the cap. Each
//!   relay renews its open streams' leases every [`LEASE_RENEW`] and removes a lease when its
//!   stream ends; a relay that crashed stops renewing, so its streams stop counting within
//!   [`LEASE`].
//!
//! These are the redis crate's `Script` (EVALSHA, loaded on first use) over the store's
//! connection pool ([`RedisPool`]), on tokio's blocking pool like every store call. When Redis
//! cannot be reached, a check falls back to this relay's own limit (logged at WARN at most once
//! a minute): the relay keeps serving, limited per process, while webhooks answer 503 anyway.

use crate::store::{RedisPool, StoreError};
use redis::Script;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a stream lease lasts without renewal: how long a crashed relay's streams still
/// count against their IPs.
pub const LEASE: Duration = Duration::from_secs(60);
/// How often a relay renews the leases of its open streams.
pub const LEASE_RENEW: Duration = Duration::from_secs(20);
/// Leases renewed per script call.
const RENEW_BATCH: usize = 500;

/// Takes a token: KEYS[1] the bucket; ARGV tokens per millisecond, burst. Returns 0 when taken,
/// else the milliseconds until a token is there.
const TAKE_TOKEN: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local per_ms = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then tokens = math.min(burst, tokens + (now - at) * per_ms) end
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / per_ms) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return wait
"#;

/// Admits a stream: KEYS[1] the IP's leases; ARGV cap, member, lease milliseconds. Returns 1 when
/// admitted, 0 when the IP holds `cap` live leases.
const ACQUIRE_LEASE: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"#;

/// Renews leases that still exist: KEYS the IPs' lease sets, ARGV[1] lease milliseconds, then
/// one member per key.
const RENEW_LEASES: &str = r#"
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local until_ = now + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', until_, ARGV[i + 1])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return #KEYS
"#;

/// The limits kept in Redis; cheap to clone.
#[derive(Clone)]
pub struct SharedLimits(Arc<Inner>);

struct Inner {
    pool: Arc<RedisPool>,
    take_token: Script,
    acquire_lease: Script,
    renew_leases: Script,
    /// This relay's part of lease members, unique per process.
    relay: String,
    next_lease: AtomicU64,
    /// The leases of this relay's open streams: member → key.
    leases: Mutex<HashMap<String, String>>,
    /// When a fallback was last logged (for logging at most once a minute).
    warned: Mutex<Option<Instant>>,
}

impl SharedLimits {
    /// Limits in the Redis of `pool` (the store's).
    pub fn new(pool: Arc<RedisPool>) -> SharedLimits {
        SharedLimits(Arc::new(Inner {
            pool,
            take_token: Script::new(TAKE_TOKEN),
            acquire_lease: Script::new(ACQUIRE_LEASE),
            renew_leases: Script::new(RENEW_LEASES),
            relay: uuid::Uuid::new_v4().simple().to_string(),
            next_lease: AtomicU64::new(0),
            leases: Mutex::default(),
            warned: Mutex::default(),
        }))
    }

    fn leases(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.0.leases.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a token from the group's bucket `limit`/`key` (`per_sec`, `burst`): `Ok(Ok(()))`
    /// when taken, `Ok(Err(wait))` when empty, `Err` when Redis could not answer.
    pub async fn take_token(
        &self,
        limit: &str,
        key: &str,
        per_sec: f64,
        burst: f64,
    ) -> Result<Result<(), Duration>, StoreError> {
        let shared = self.clone();
        let bucket = format!("udesk:rate:{limit}:{key}");
        let wait_ms: u64 = run(move || {
            shared.0.pool.with(|c| {
                shared
                    .0
                    .take_token
                    .key(&bucket)
                    .arg(per_sec / 1000.0)
                    .arg(burst)
                    .invoke(c)
            })
        })
        .await?;
        Ok(match wait_ms {
            0 => Ok(()),
            ms => Err(Duration::from_millis(ms)),
        })
    }

    /// A lease on one of the `cap` streams the client IP key `ip` may hold across the group:
    /// `Ok(None)` when it holds them all, `Err` when Redis could not answer.
    pub async fn acquire_stream(
        &self,
        ip: &str,
        cap: usize,
    ) -> Result<Option<StreamLease>, StoreError> {
        let key = format!("udesk:streams:ip:{ip}");
        let member = format!(
            "{}:{}",
            self.0.relay,
            self.0.next_lease.fetch_add(1, Relaxed)
        );
        // Registered first, so the renewal that may run meanwhile keeps it.
        self.leases().insert(member.clone(), key.clone());
        let lease = StreamLease {
            shared: self.clone(),
            key: key.clone(),
            member: member.clone(),
        };
        let shared = self.clone();
        let admitted: u32 = run(move || {
            shared.0.pool.with(|c| {
                shared
                    .0
                    .acquire_lease
                    .key(&key)
                    .arg(cap)
                    .arg(&member)
                    .arg(LEASE.as_millis() as u64)
                    .invoke(c)
            })
        })
        .await?;
        Ok((admitted == 1).then_some(lease))
    }

    /// Renews this relay's leases every [`LEASE_RENEW`] until `stop`.
    pub fn spawn_lease_keeper(&self, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
        let shared = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(LEASE_RENEW);
            every.tick().await;
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = every.tick() => {}
                }
                if let Err(err) = shared.renew().await {
                    tracing::warn!(error = %err, "cannot renew stream leases in Redis; open streams stop counting against their IPs after a minute");
                }
            }
        })
    }

    /// Renews every lease this relay holds (what the keeper does every [`LEASE_RENEW`]).
    pub async fn renew(&self) -> Result<(), StoreError> {
        let leases: Vec<(String, String)> = self
            .leases()
            .iter()
            .map(|(member, key)| (key.clone(), member.clone()))
            .collect();
        for batch in leases.chunks(RENEW_BATCH) {
            let (shared, batch) = (self.clone(), batch.to_vec());
            run(move || {
                shared.0.pool.with(|c| {
                    let mut call = shared.0.renew_leases.prepare_invoke();
                    call.arg(LEASE.as_millis() as u64);
                    for (key, member) in &batch {
                        call.key(key).arg(member);
                    }
                    call.invoke::<u64>(c)
                })
            })
            .await?;
        }
        Ok(())
    }

    /// Logs that a shared limit fell back to this relay's own, at most once a minute.
    pub fn warn_fallback(&self, what: &str, error: &StoreError) {
        let mut warned = self.0.warned.lock().unwrap_or_else(|e| e.into_inner());
        if warned.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
            *warned = Some(Instant::now());
            tracing::warn!(%error, "Redis unavailable for the shared {what}; limiting per relay until it is back");
        }
    }
}

/// One stream's lease, given back when dropped.
pub struct StreamLease {
    shared: SharedLimits,
    key: String,
    member: String,
}

impl Drop for StreamLease {
    fn drop(&mut self) {
        self.shared.leases().remove(&self.member);
        // Given back at once when possible; otherwise it lapses within LEASE.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (pool, key, member) = (
                self.shared.0.pool.clone(),
                std::mem::take(&mut self.key),
                std::mem::take(&mut self.member),
            );
            runtime.spawn_blocking(move || {
                let _ = pool.with(|c| redis::cmd("ZREM").arg(&key).arg(&member).query::<u64>(c));
            });
        }
    }
}

/// Runs a blocking Redis call on tokio's blocking pool.
async fn run<T: Send + 'static>(
    call: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(call)
        .await
        .map_err(|e| StoreError::Other(format!("Redis task failed: {e}")))?
}
