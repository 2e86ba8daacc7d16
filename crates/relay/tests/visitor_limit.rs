//! The per-IP limit on `POST /v1/visitor`: each call for an anonymous visitor makes a new
//! customer, so one client cannot mint tokens without end. Behind a trusted proxy the client is
//! the first `X-Forwarded-For` entry; otherwise that header is ignored, so it cannot be forged
//! around the limit.

mod common;

use common::{error_body, start, TestRelay};
use std::time::Duration;

async fn new_visitor(t: &TestRelay, forwarded_for: Option<&str>) -> reqwest::Response {
    let mut request = t.client.post(t.url("/v1/visitor"));
    if let Some(value) = forwarded_for {
        request = request.header("x-forwarded-for", value);
    }
    request.send().await.unwrap()
}

async fn assert_limited(response: reqwest::Response, retry_after: &str) {
    let header = response.headers().get("retry-after").cloned();
    let (status, code, message) = error_body(response).await;
    assert_eq!((status, code.as_str()), (429, "rate_limited"), "{message}");
    assert!(message.contains("retry in"), "{message}");
    assert_eq!(header.unwrap().to_str().unwrap(), retry_after);
}

#[tokio::test]
async fn new_visitor_tokens_are_limited_per_client_ip() {
    let t = start(&["--visitor-rate-per-minute", "60", "--visitor-burst", "3"]).await;
    for _ in 0..3 {
        assert_eq!(new_visitor(&t, None).await.status(), 200);
    }
    assert_limited(new_visitor(&t, None).await, "1").await;
    // Without --trust-forwarded-for a made-up header changes nothing.
    assert_limited(new_visitor(&t, Some("198.51.100.9")).await, "1").await;

    // One token a second comes back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(new_visitor(&t, None).await.status(), 200);
    assert_limited(new_visitor(&t, None).await, "1").await;

    let metrics = t.metrics().await;
    assert!(
        metrics.contains("udesk_relay_rate_limited_total{limit=\"visitor\"} 3"),
        "{metrics}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_bucket() {
    let t = start(&[
        "--trust-forwarded-for",
        "--visitor-rate-per-minute",
        "1",
        "--visitor-burst",
        "2",
    ])
    .await;
    for _ in 0..2 {
        assert_eq!(new_visitor(&t, Some("203.0.113.7")).await.status(), 200);
    }
    // One token a minute: the wait is up to 60 s.
    assert_limited(new_visitor(&t, Some("203.0.113.7")).await, "60").await;
    // The proxy appends the client's address last; whatever the client wrote before it is
    // ignored, so made-up entries cannot buy a fresh bucket.
    for spoofed in ["198.51.100.1, 203.0.113.7", "1.1.1.1, 2.2.2.2, 203.0.113.7"] {
        assert_limited(new_visitor(&t, Some(spoofed)).await, "60").await;
    }
    assert_eq!(
        new_visitor(&t, Some("203.0.113.8")).await.status(),
        200,
        "another client is not held back"
    );

    // IPv6 clients are limited per /64: one host usually owns the whole prefix.
    for _ in 0..2 {
        assert_eq!(new_visitor(&t, Some("2001:db8:1:2::1")).await.status(), 200);
    }
    assert_limited(new_visitor(&t, Some("2001:db8:1:2::ffff")).await, "60").await;
    assert_eq!(new_visitor(&t, Some("2001:db8:1:3::1")).await.status(), 200);

    // Requests without the header fall back to the TCP peer.
    assert_eq!(new_visitor(&t, None).await.status(), 200);
}

#[tokio::test]
async fn zero_turns_the_limit_off() {
    let t = start(&["--visitor-rate-per-minute", "0", "--visitor-burst", "1"]).await;
    for _ in 0..20 {
        assert_eq!(new_visitor(&t, None).await.status(), 200);
    }
}

#[tokio::test]
async fn behind_two_proxies_the_client_is_the_second_entry_from_the_right() {
    let t = start(&[
        "--trusted-proxies",
        "2",
        "--visitor-rate-per-minute",
        "1",
        "--visitor-burst",
        "1",
    ])
    .await;
    assert_eq!(
        new_visitor(&t, Some("203.0.113.7, 10.0.0.1"))
            .await
            .status(),
        200
    );
    // 200 spoofed entries in front change nothing: still the same client.
    let spoofed: Vec<String> = (0..200)
        .map(|i| format!("198.51.100.{}", i % 250))
        .collect();
    for i in 0..5 {
        let value = format!("{}, 203.0.113.7, 10.0.0.{i}", spoofed[i * 40..].join(", "));
        assert_limited(new_visitor(&t, Some(&value)).await, "60").await;
    }
    assert_eq!(
        new_visitor(&t, Some("203.0.113.8, 10.0.0.1"))
            .await
            .status(),
        200
    );
}
