//! Rate limits and send locks: token buckets (per visitor on sends and polls, per client IP on
//! new visitor tokens and on every call that reaches Udesk), the client IP behind trusted
//! proxies, a cap on what one client IP holds open at once (event streams, connections), and a
//! lock per (customer, message_id) so two copies of one send (a retry racing its original) are
//! forwarded at most once.

use axum::http::HeaderMap;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// A token bucket per key: `burst` calls at once, refilled at `per_minute`.
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
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
        }
    }

    fn buckets(&self) -> MutexGuard<'_, HashMap<String, Bucket>> {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes one token for `key`, or says how long until one is there.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
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

/// A cap on how many things (event streams) each key (a client IP) holds open at once.
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
            assert!(limiter.check("a").is_ok());
        }
        let wait = limiter.check("a").unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::ZERO);
        assert!(
            limiter.check("b").is_ok(),
            "another visitor has its own bucket"
        );
        assert!(RateLimiter::new(0, 1).check("a").is_ok());
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
