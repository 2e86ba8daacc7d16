//! The caps on open event streams hold when many browsers open at once: the relay's
//! `--max-streams`, a visitor's share and a client IP's `--max-streams-per-ip` are counted and
//! admitted in one step, so concurrent opens cannot all slip under a cap that only some fit.
//! A refused stream is still a 200 event stream that says when to retry and ends.

mod common;

use common::{start, TestRelay};
use futures_util::future::join_all;
use futures_util::{Stream, StreamExt};
use std::pin::Pin;
use std::time::Duration;

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>;

/// Opens one stream per token, all at once, and waits until every refused one has ended;
/// returns the ones that stayed open (admitted), which stay open while they are held.
async fn open_at_once(t: &TestRelay, tokens: &[String]) -> Vec<Body> {
    let responses = join_all(tokens.iter().map(|token| t.raw_stream(token))).await;
    let checks = responses.into_iter().map(|response| async move {
        assert_eq!(response.status(), 200, "EventSource must not be refused");
        let mut body: Body = Box::pin(response.bytes_stream());
        // A refused stream ends right after its hint; an admitted one stays open.
        let ended = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(chunk) = body.next().await {
                chunk.unwrap();
            }
        })
        .await
        .is_ok();
        (!ended).then_some(body)
    });
    join_all(checks).await.into_iter().flatten().collect()
}

async fn visitors(t: &TestRelay, n: usize) -> Vec<String> {
    let mut tokens = Vec::new();
    for _ in 0..n {
        tokens.push(t.visitor().await.token);
    }
    tokens
}

#[tokio::test]
async fn the_relay_cap_holds_under_concurrent_opens() {
    let t = start(&["--max-streams", "4", "--visitor-burst", "100"]).await;
    let tokens = visitors(&t, 24).await;
    let open = open_at_once(&t, &tokens).await;
    assert_eq!(open.len(), 4, "the relay serves exactly --max-streams");
    assert_eq!(t.metric("udesk_relay_streams_open").await, 4);
    assert_eq!(
        t.metric("udesk_relay_streams_refused_total{limit=\"relay\"}")
            .await,
        20
    );
}

#[tokio::test]
async fn a_visitors_share_holds_under_concurrent_opens() {
    use udesk_relay::sse::MAX_STREAMS_PER_VISITOR;
    let t = start(&[]).await;
    let token = t.visitor().await.token;
    let tokens = vec![token; MAX_STREAMS_PER_VISITOR * 3];
    let open = open_at_once(&t, &tokens).await;
    assert_eq!(open.len(), MAX_STREAMS_PER_VISITOR);
    assert_eq!(
        t.metric("udesk_relay_streams_refused_total{limit=\"visitor\"}")
            .await,
        2 * MAX_STREAMS_PER_VISITOR as u64
    );
}

#[tokio::test]
async fn the_per_ip_cap_holds_under_concurrent_opens() {
    let t = start(&["--max-streams-per-ip", "3", "--visitor-burst", "100"]).await;
    let tokens = visitors(&t, 12).await;
    let open = open_at_once(&t, &tokens).await;
    assert_eq!(open.len(), 3);
    assert_eq!(t.metric("udesk_relay_streams_open").await, 3);
    assert_eq!(
        t.metric("udesk_relay_streams_refused_total{limit=\"ip\"}")
            .await,
        9
    );
    // Once they close, the address has its full share again.
    drop(open);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while t.metric("udesk_relay_streams_open").await != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "streams stayed open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(open_at_once(&t, &tokens[..5]).await.len(), 3);
}
