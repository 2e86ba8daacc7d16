//! Rate limits and send locks: token buckets (per visitor on sends and polls, per client IP on
//! new visitor tokens and on every call that reaches Udesk), the client IP behind trusted
//! proxies, caps on what is open (event streams relay-wide, per client IP and per visitor;
//! connections per client IP), and a lock per (customer, message_id) so two copies of one send
//! (a retry racing its original) are forwarded at most once. With the Redis store the rate limits
//! and the per-IP stream cap are the group's ([`crate::shared_limits`]); the rest stay per relay
//! (a relay's capacity, one visitor's share of it, and locks that only matter within one relay's
//! handling of a send).

use crate::shared_limits::{SharedLimits, StreamLease};
use axum::http::HeaderMap;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A token bucket per key: `burst` calls at once, refilled at `per_minute`. Kept in this
/// process, or with [`RateLimiter::shared`] in Redis for every relay on it (this process's
/// buckets then serve only while Redis cannot be reached).
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
    /// The group's buckets, and this limit's name among them.
    shared: Option<(SharedLimits, &'static str)>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// `per_minute` 0 turns the limit off.
    pub fn new(per_minute: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_sec: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
            shared: None,
        }
    }

    /// The same limit, kept in Redis as `name` for every relay there when `shared` is given.
    pub fn shared(self, shared: Option<&SharedLimits>, name: &'static str) -> RateLimiter {
        RateLimiter {
            shared: shared.map(|s| (s.clone(), name)),
            ..self
        }
    }

    fn buckets(&self) -> MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one token for `key`, or says how long until one is there.
    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        if let (Some((shared, name)), true) = (&self.shared, self.per_sec > 0.0) {
            match shared.take_token(name, key, self.per_sec, self.burst).await {
                Ok(taken) => return taken,
                Err(err) => shared.warn_fallback("rate limits", &err),
            }
        }
        self.check_here(key)
    }

    /// [`RateLimiter::check`] with this process's buckets.
    fn check_here(&self, key: &str) -> Result<(), Duration> {
        if self.per_sec <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets();
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_sec).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_sec,
            ))
        }
    }

    /// Forgets buckets that have refilled completely (they behave like new ones).
    pub fn sweep(&self) {
        let now = Instant::now();
        let (per_sec, burst) = (self.per_sec, self.burst);
        self.buckets().retain(|_, b| {
            b.tokens + now.duration_since(b.updated).as_secs_f64() * per_sec < burst
        });
    }
}

/// The client's IP: the TCP peer, or behind `trusted_proxies` proxies (each appending the
/// address it received the request from to `X-Forwarded-For`) the entry that many places from
/// the right: the address the outermost trusted proxy saw. Entries further left were sent by
/// the client and may be anything. With fewer entries than proxies, the leftmost. An
/// unreadable entry falls back to the peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxies: usize,
) -> Option<IpAddr> {
    if trusted_proxies == 0 {
        return peer.map(|p| p.ip());
    }
    // Several header lines are one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let forwarded = entries
        .len()
        .checked_sub(trusted_proxies)
        .map_or(entries.first(), |i| entries.get(i))
        .and_then(|entry| parse_forwarded_ip(entry));
    forwarded.or(peer.map(|p| p.ip()))
}

/// `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_forwarded_ip(text: &str) -> Option<IpAddr> {
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    text.parse::<SocketAddr>().ok().map(|a| a.ip())
}

/// The rate-limit key of an IP: IPv4 addresses one by one, IPv6 by /64 (one host usually holds
/// a whole /64, so single addresses would be free to rotate).
pub fn ip_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".into(),
    }
}

/// The caps on open event streams: on the whole relay, per client IP and per visitor.
///
/// A stream is counted and admitted in one step, under one lock ([`StreamCaps::admit`]), and
/// counted until its [`StreamSlot`] is dropped: concurrent opens cannot each see room that
/// only one of them fits in (the check-then-act race of counting streams once they run).
pub struct StreamCaps {
    relay: usize,
    per_ip: usize,
    per_visitor: usize,
    open: Arc<Mutex<OpenStreams>>,
    /// The group's per-IP leases, with Redis.
    shared: Option<SharedLimits>,
}

/// What is open, by client IP key and by visitor.
#[derive(Default)]
struct OpenStreams {
    total: usize,
    by_ip: HashMap<String, usize>,
    by_visitor: HashMap<String, usize>,
}

/// Which cap refused a stream (checked in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamRefusal {
    /// Its client IP holds `--max-streams-per-ip` already.
    Ip,
    /// The relay serves `--max-streams` already.
    Relay,
    /// Its visitor holds its share already.
    Visitor,
}

/// One admitted stream, counted against the caps until dropped.
pub struct StreamSlot {
    open: Arc<Mutex<OpenStreams>>,
    ip: String,
    visitor: String,
    /// Its lease on the group's per-IP cap, with Redis.
    _lease: Option<StreamLease>,
}

impl StreamCaps {
    /// `per_ip` 0 turns the per-IP cap off.
    pub fn new(relay: usize, per_ip: usize, per_visitor: usize) -> StreamCaps {
        StreamCaps {
            relay,
            per_ip,
            per_visitor,
            open: Arc::default(),
            shared: None,
        }
    }

    /// The same caps, with the per-IP one held across every relay on Redis when `shared` is
    /// given (the relay-wide and per-visitor caps stay this relay's).
    pub fn shared(self, shared: Option<&SharedLimits>) -> StreamCaps {
        StreamCaps {
            shared: shared.cloned(),
            ..self
        }
    }

    fn open(&self) -> MutexGuard<'_, OpenStreams> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Admits a stream of `visitor` from the client IP key `ip`, or says which cap is full:
    /// this relay's caps in one step, then (with Redis) the group's per-IP cap in one script.
    pub async fn admit(&self, ip: &str, visitor: &str) -> Result<StreamSlot, StreamRefusal> {
        let mut slot = self.admit_here(ip, visitor)?;
        if let (Some(shared), true) = (&self.shared, self.per_ip > 0) {
            match shared.acquire_stream(ip, self.per_ip).await {
                Ok(Some(lease)) => slot._lease = Some(lease),
                // Dropping the slot gives this relay's count back.
                Ok(None) => return Err(StreamRefusal::Ip),
                Err(err) => shared.warn_fallback("per-IP stream cap", &err),
            }
        }
        Ok(slot)
    }

    /// This relay's caps, counted and admitted under one lock.
    fn admit_here(&self, ip: &str, visitor: &str) -> Result<StreamSlot, StreamRefusal> {
        let mut open = self.open();
        let of = |map: &HashMap<String, usize>, key: &str| map.get(key).copied().unwrap_or(0);
        if self.per_ip > 0 && of(&open.by_ip, ip) >= self.per_ip {
            return Err(StreamRefusal::Ip);
        }
        if open.total >= self.relay {
            return Err(StreamRefusal::Relay);
        }
        if of(&open.by_visitor, visitor) >= self.per_visitor {
            return Err(StreamRefusal::Visitor);
        }
        open.total += 1;
        *open.by_ip.entry(ip.to_owned()).or_default() += 1;
        *open.by_visitor.entry(visitor.to_owned()).or_default() += 1;
        Ok(StreamSlot {
            open: self.open.clone(),
            ip: ip.to_owned(),
            visitor: visitor.to_owned(),
            _lease: None,
        })
    }

    /// How many streams the client IP key `ip` holds.
    pub fn open_of_ip(&self, ip: &str) -> usize {
        self.open().by_ip.get(ip).copied().unwrap_or(0)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut guard = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let open = &mut *guard;
        open.total -= 1;
        release(&mut open.by_ip, &self.ip);
        release(&mut open.by_visitor, &self.visitor);
    }
}

/// Counts one fewer for `key`, forgetting keys with nothing open (so the maps hold only
/// current clients).
fn release(open: &mut HashMap<String, usize>, key: &str) {
    if let Some(count) = open.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            open.remove(key);
        }
    }
}

/// A cap on how many things (connections) each key (a client IP) holds open at once.
pub struct OpenLimit {
    max: usize,
    open: Arc<Mutex<HashMap<String, usize>>>,
}

/// One open thing, counted against its key until dropped.
pub struct OpenSlot {
    open: Arc<Mutex<HashMap<String, usize>>>,
    key: String,
}

impl OpenLimit {
    /// `max` 0 turns the cap off.
    pub fn new(max: usize) -> OpenLimit {
        OpenLimit {
            max,
            open: Arc::default(),
        }
    }

    /// A slot for `key`, or `None` when it already holds `max`.
    pub fn try_open(&self, key: &str) -> Option<OpenSlot> {
        if self.max == 0 {
            return Some(OpenSlot {
                open: Arc::default(),
                key: String::new(),
            });
        }
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key.to_owned()).or_default();
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(OpenSlot {
            open: self.open.clone(),
            key: key.to_owned(),
        })
    }

    /// How many slots `key` holds.
    pub fn open_of(&self, key: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(key).copied().unwrap_or(0)
    }
}

impl Drop for OpenSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count -= 1;
            // Keys with nothing open are forgotten, so the map holds only current clients.
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Async locks keyed by string, created on demand and dropped when unused.
#[derive(Default)]
pub struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Holds a key's lock; releases it (and forgets unused keys) on drop.
pub struct KeyGuard<'a> {
    owner: &'a KeyedLocks,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    pub async fn lock(&self, key: String) -> KeyGuard<'_> {
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        let guard = lock.lock_owned().await;
        KeyGuard {
            owner: self,
            key,
            guard: Some(guard),
        }
    }
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut locks = self.owner.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map holds it: nobody waits for this key.
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_per_visitor() {
        let limiter = RateLimiter::new(60, 3);
        for _ in 0..3 {
            assert!(limiter.check_here("a").is_ok());
        }
        let wait = limiter.check_here("a").unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(
            limiter.check_here("b").is_ok(),
            "another visitor has its own bucket"
        );
        assert!(RateLimiter::new(0, 1).check_here("a").is_ok());
    }

    #[test]
    fn client_ips_come_from_the_peer_unless_a_proxy_is_trusted() {
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let ip = |text: &str| Some(text.parse::<IpAddr>().unwrap());
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        assert_eq!(client_ip(&h, Some(peer), 0), Some(peer.ip()));
        // One proxy: the address it appended, never what the client wrote before it.
        assert_eq!(client_ip(&h, Some(peer), 1), ip("10.0.0.1"));
        assert_eq!(client_ip(&h, Some(peer), 2), ip("203.0.113.7"));
        // Fewer entries than proxies: the leftmost.
        assert_eq!(client_ip(&h, Some(peer), 3), ip("203.0.113.7"));
        // A client's spoofed entries, however many, are skipped.
        let spoofed: Vec<String> = (0..200)
            .map(|i| format!("198.51.100.{}", i % 250))
            .collect();
        let value = format!("{}, 203.0.113.9", spoofed.join(", "));
        h.insert("x-forwarded-for", value.parse().unwrap());
        assert_eq!(client_ip(&h, Some(peer), 1), ip("203.0.113.9"));
        // Several header lines are one list.
        let mut lines = HeaderMap::new();
        lines.append("x-forwarded-for", "1.1.1.1".parse().unwrap());
        lines.append("x-forwarded-for", "203.0.113.5, 10.0.0.1".parse().unwrap());
        assert_eq!(client_ip(&lines, Some(peer), 2), ip("203.0.113.5"));
        h.insert("x-forwarded-for", "[2001:db8::1]:4711".parse().unwrap());
        assert_eq!(client_ip(&h, Some(peer), 1), ip("2001:db8::1"));
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(client_ip(&h, Some(peer), 1), Some(peer.ip()));
        assert_eq!(client_ip(&HeaderMap::new(), Some(peer), 1), Some(peer.ip()));
        assert_eq!(
            ip_key(Some("2001:db8:0:1:aaaa::1".parse().unwrap())),
            "2001:db8:0:1::/64"
        );
        assert_eq!(
            ip_key(Some("::ffff:192.0.2.1".parse().unwrap())),
            "192.0.2.1"
        );
        assert_eq!(ip_key(None), "unknown");
    }

    #[test]
    fn streams_are_capped_per_ip_relay_and_visitor_and_given_back_on_drop() {
        let caps = StreamCaps::new(4, 2, 2);
        let _a1 = caps.admit_here("ip-a", "v1").unwrap();
        let a2 = caps.admit_here("ip-a", "v2").unwrap();
        assert_eq!(caps.admit_here("ip-a", "v3").err(), Some(StreamRefusal::Ip));
        let _b1 = caps.admit_here("ip-b", "v1").unwrap();
        let _c3 = caps.admit_here("ip-c", "v3").unwrap();
        assert_eq!(
            caps.admit_here("ip-d", "v4").err(),
            Some(StreamRefusal::Relay)
        );
        drop(a2);
        assert_eq!(caps.open_of_ip("ip-a"), 1);
        // v1 holds two (its share) although the relay has room again.
        assert_eq!(
            caps.admit_here("ip-d", "v1").err(),
            Some(StreamRefusal::Visitor)
        );
        let _d2 = caps.admit_here("ip-d", "v2").expect("a slot came back");
        drop(_b1);
        assert_eq!(caps.open_of_ip("ip-b"), 0);
        assert!(!caps.open().by_ip.contains_key("ip-b"));
        let off = StreamCaps::new(1000, 0, 1000);
        let _many: Vec<_> = (0..100)
            .map(|_| off.admit_here("a", "v").unwrap())
            .collect();
    }

    #[test]
    fn concurrent_admissions_never_pass_a_cap() {
        let caps = Arc::new(StreamCaps::new(5, 0, 100));
        let admitted: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..16)
                .map(|n| {
                    let caps = caps.clone();
                    scope.spawn(move || caps.admit_here("ip", &format!("v{n}")).ok())
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(admitted.len(), 5);
    }

    #[test]
    fn open_slots_are_capped_per_key_and_given_back_on_drop() {
        let limit = OpenLimit::new(2);
        let a1 = limit.try_open("a").unwrap();
        let _a2 = limit.try_open("a").unwrap();
        assert!(limit.try_open("a").is_none());
        let _b = limit.try_open("b").expect("another key has its own cap");
        drop(a1);
        assert_eq!(limit.open_of("a"), 1);
        let _a3 = limit.try_open("a").expect("a slot came back");
        drop(_b);
        assert_eq!(limit.open_of("b"), 0);
        assert!(!limit.open.lock().unwrap().contains_key("b"));
        let off = OpenLimit::new(0);
        let _many: Vec<_> = (0..100).map(|_| off.try_open("a").unwrap()).collect();
    }

    #[tokio::test]
    async fn one_holder_per_key() {
        let locks = Arc::new(KeyedLocks::default());
        let first = locks.lock("k".into()).await;
        let l2 = locks.clone();
        let waiter = tokio::spawn(async move {
            let _g = l2.lock("k".into()).await;
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        let _other = locks.lock("other".into()).await;
        drop(first);
        waiter.await.unwrap();
        drop(_other);
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}
