//! The per-IP cap on open event streams (`--max-streams-per-ip`). A browser's EventSource gives
//! up for good on a non-200 answer, so a stream over the cap is accepted as an event stream
//! that only says, with a long `retry:` and a comment, to come back later, and then ends.

mod common;

use common::{agent_push, start, Resume, TestRelay};
use futures_util::StreamExt;
use std::time::Duration;
use udesk_relay::sse::IP_LIMIT_COMMENT;

/// Opens `GET /v1/events` (optionally as a forwarded client) and reads it to its end: the
/// status, the content type and everything it said. Panics if it does not end within 5 s.
async fn refused_stream(t: &TestRelay, token: &str, forwarded_for: Option<&str>) -> String {
    let mut request = t
        .client
        .get(format!("{}?token={token}", t.url("/v1/events")));
    if let Some(ip) = forwarded_for {
        request = request.header("x-forwarded-for", ip);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "EventSource must not be refused");
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut text = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    })
    .await;
    assert!(ended.is_ok(), "the refused stream stayed open: {text:?}");
    text
}

/// The `retry:` of a stream's text, in milliseconds.
fn retry_of(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("retry:"))
        .unwrap_or_else(|| panic!("no retry: in {text:?}"))
        .trim()
        .parse()
        .unwrap()
}

async fn wait_for_open_streams(t: &TestRelay, n: u64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while t.metric("udesk_relay_streams_open").await != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams_open never reached {n}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_stream_over_the_per_ip_cap_is_told_to_retry_later_and_ended() {
    let t = start(&["--max-streams-per-ip", "2"]).await;
    let (a, b) = (t.visitor().await, t.visitor().await);
    // Two visitors on one address (a NAT) hold the address's two streams.
    let first = t.stream(&a.token, Resume::Fresh).await;
    let mut second = t.stream(&b.token, Resume::Fresh).await;

    let text = refused_stream(&t, &a.token, None).await;
    let retry = retry_of(&text);
    assert!((30_000..45_000).contains(&retry), "retry {retry} ms");
    assert!(
        text.contains(&format!(": {IP_LIMIT_COMMENT}")),
        "no reason given: {text:?}"
    );
    assert!(
        !text.contains("event:"),
        "a refusal carries no events: {text:?}"
    );
    assert_eq!(
        t.metric("udesk_relay_streams_refused_total{limit=\"ip\"}")
            .await,
        1
    );

    // The streams that were open are untouched.
    assert_eq!(t.push(&agent_push(&b.customer_token, &["b1"])).await, 200);
    assert_eq!(second.message_ids(1).await, ["b1"]);

    // One closes: the address has room again, and the new stream is a real one.
    drop(first);
    wait_for_open_streams(&t, 1).await;
    let mut again = t.stream(&a.token, Resume::Fresh).await;
    assert_eq!(t.push(&agent_push(&a.customer_token, &["a1"])).await, 200);
    assert_eq!(again.message_ids(1).await, ["a1"]);
    // And the cap holds again with two open.
    refused_stream(&t, &b.token, None).await;
    assert_eq!(
        t.metric("udesk_relay_streams_refused_total{limit=\"ip\"}")
            .await,
        2
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_cap() {
    let t = start(&["--max-streams-per-ip", "1", "--trust-forwarded-for"]).await;
    let v = t.visitor().await;
    let url = format!("{}?token={}", t.url("/v1/events"), v.token);
    let held = t
        .client
        .get(&url)
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(held.status(), 200);
    wait_for_open_streams(&t, 1).await;

    // The proxy appended 203.0.113.7; the entry the client wrote before it buys nothing.
    let text = refused_stream(&t, &v.token, Some("10.0.0.1, 203.0.113.7")).await;
    assert!(text.contains(IP_LIMIT_COMMENT), "{text:?}");
    // Another client behind the same proxy gets its stream.
    let other = t
        .client
        .get(&url)
        .header("x-forwarded-for", "203.0.113.8")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    wait_for_open_streams(&t, 2).await;
    drop((held, other));
}
