//! With several relays on one Redis, the limits that protect Udesk's quota and the relay's
//! streams hold for the group, not per relay: N relays must not allow N times the limit. Rate
//! limits are token buckets in Redis (one Lua script per check, Redis's clock); the per-IP
//! stream cap is a set of leases per client IP in Redis, renewed while the stream is open and
//! given back when it closes (a crashed relay's lapse within a minute). Without Redis, each relay
//! falls back to its own limits.

mod common;

use common::redis::RedisServer;
use common::{start_on, TestRelay};
use futures_util::StreamExt;
use std::time::Duration;
use udesk_relay::sse::IP_LIMIT_COMMENT;

async fn pair(redis: &RedisServer, extra: &[&str]) -> (TestRelay, TestRelay) {
    (
        start_on(&redis.url(), extra).await,
        start_on(&redis.url(), extra).await,
    )
}

async fn new_visitor(t: &TestRelay) -> u16 {
    t.client
        .post(t.url("/v1/visitor"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn rate_limits_hold_across_relays() {
    let redis = RedisServer::start();
    let (a, b) = pair(
        &redis,
        &["--visitor-rate-per-minute", "1", "--visitor-burst", "3"],
    )
    .await;
    // One client IP, three tokens between both relays.
    assert_eq!(new_visitor(&a).await, 200);
    assert_eq!(new_visitor(&b).await, 200);
    assert_eq!(new_visitor(&a).await, 200);
    assert_eq!(new_visitor(&b).await, 429, "the burst is the group's");
    assert_eq!(new_visitor(&a).await, 429);
    let limited = "udesk_relay_rate_limited_total{limit=\"visitor\"}";
    assert_eq!(a.metric(limited).await + b.metric(limited).await, 2);

    // Redis gone: each relay limits on its own (its own burst of 3) rather than failing.
    drop(redis);
    for _ in 0..3 {
        assert_eq!(new_visitor(&a).await, 200);
    }
    assert_eq!(new_visitor(&a).await, 429);
}

/// Whether a new stream is refused for its IP (read to its end, which a refusal has at once).
async fn stream_ended_or_refused(t: &TestRelay, token: &str) -> bool {
    let response = t.raw_stream(token).await;
    match tokio::time::timeout(Duration::from_secs(3), response.text()).await {
        Ok(text) => text.unwrap_or_default().contains(IP_LIMIT_COMMENT),
        // Still open: admitted.
        Err(_) => false,
    }
}

#[tokio::test]
async fn the_per_ip_stream_cap_holds_across_relays() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &["--max-streams-per-ip", "2"]).await;
    let v = a.visitor().await;
    // One stream on each relay: the address holds its two.
    let on_a = a.raw_stream(&v.token).await;
    let on_b = b.raw_stream(&v.token).await;
    wait_open(&a, 1).await;
    wait_open(&b, 1).await;
    assert!(
        stream_ended_or_refused(&a, &v.token).await,
        "a third stream from the address was admitted"
    );
    assert!(stream_ended_or_refused(&b, &v.token).await);
    let refused = "udesk_relay_streams_refused_total{limit=\"ip\"}";
    assert_eq!(a.metric(refused).await + b.metric(refused).await, 2);

    // The one on B closes: its lease goes back, and A admits a new one.
    drop(on_b);
    wait_open(&b, 0).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let again = loop {
        let response = a.raw_stream(&v.token).await;
        let mut body = response.bytes_stream();
        let first = tokio::time::timeout(Duration::from_secs(5), body.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if !String::from_utf8_lossy(&first).contains(IP_LIMIT_COMMENT) {
            break body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed stream's lease never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    wait_open(&a, 2).await;
    drop((on_a, again));
}

async fn wait_open(t: &TestRelay, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while t.metric("udesk_relay_streams_open").await != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams_open never reached {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The leases themselves: renewal pushes a lease's lapse forward, a dropped one is removed at
/// once, and one whose relay stopped renewing (crashed) no longer counts once it lapsed.
#[tokio::test]
async fn stream_leases_are_renewed_given_back_and_lapse() {
    use udesk_relay::shared_limits::SharedLimits;
    use udesk_relay::store::{RedisStore, Retention};
    let redis = RedisServer::start();
    let store = RedisStore::open(&redis.url(), Retention::days(1, 0)).unwrap();
    let (relay_a, relay_b) = (
        SharedLimits::new(store.pool()),
        SharedLimits::new(store.pool()),
    );
    let ip = "192.0.2.1";
    let key = format!("udesk:streams:ip:{ip}");
    // Each lease's member and when it lapses (Redis milliseconds).
    let leases =
        || -> Vec<(String, f64)> { redis.query(&["ZRANGE", &key, "0", "-1", "WITHSCORES"]) };
    let lapse_of = |member: &str| {
        leases()
            .into_iter()
            .find(|(m, _)| m == member)
            .map(|(_, at)| at)
    };

    let on_a = relay_a.acquire_stream(ip, 2).await.unwrap().expect("room");
    let a = leases()[0].0.clone();
    let on_b = relay_b.acquire_stream(ip, 2).await.unwrap().expect("room");
    let b = leases().into_iter().find(|(m, _)| *m != a).unwrap().0;
    assert!(relay_a.acquire_stream(ip, 2).await.unwrap().is_none());
    assert!(relay_a
        .acquire_stream("192.0.2.2", 2)
        .await
        .unwrap()
        .is_some());

    // Renewal moves A's lapse forward and leaves B's.
    let (a_before, b_before) = (lapse_of(&a).unwrap(), lapse_of(&b).unwrap());
    tokio::time::sleep(Duration::from_millis(20)).await;
    relay_a.renew().await.unwrap();
    assert!(lapse_of(&a).unwrap() > a_before);
    assert_eq!(lapse_of(&b).unwrap(), b_before);

    // B's stream ends: its lease is removed at once.
    drop(on_b);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while lapse_of(&b).is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the lease stayed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _again = relay_b.acquire_stream(ip, 2).await.unwrap().expect("room");

    // A crashes: its lease is neither renewed nor removed. Once it lapses (made so here, as a
    // minute without renewal would) it no longer counts.
    std::mem::forget(on_a);
    assert!(relay_b.acquire_stream(ip, 2).await.unwrap().is_none());
    let _: u64 = redis.query(&["ZADD", &key, "XX", "1", &a]);
    assert!(relay_b.acquire_stream(ip, 2).await.unwrap().is_some());
}
