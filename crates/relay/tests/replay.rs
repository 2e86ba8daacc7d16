//! The event stream across disconnects: replay after Last-Event-ID (header or query), live
//! delivery with no gap or duplicate, an explicit reset when history was pruned, and a clean end
//! on shutdown.

mod common;

use common::{agent_push, start, Resume};
use std::time::Duration;
use udesk_protocol::relay::StreamReset;

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn reconnect_with_last_event_id_gets_exactly_the_missed_events_in_order() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let ct = v.customer_token.as_str();

    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    t.push(&agent_push(ct, &["m1", "m2"])).await;
    let first = stream.message().await;
    let second = stream.message().await;
    assert_eq!((first.id, second.id), (1, 2));
    drop(stream); // the browser goes away

    // Udesk keeps pushing while the visitor is offline.
    t.push(&agent_push(ct, &["m3", "m4"])).await;
    t.push(&agent_push(ct, &["m5"])).await;

    // A reconnect sends Last-Event-ID: exactly m3..m5, then live.
    let mut stream = t.stream(&v.token, Resume::Header(second.id)).await;
    assert_eq!(stream.message_ids(3).await, ["m3", "m4", "m5"]);
    stream.assert_quiet(QUIET).await;
    t.push(&agent_push(ct, &["m6"])).await;
    let live = stream.message().await;
    assert_eq!((live.id, live.message.message_id.as_str()), (6, "m6"));
    drop(stream);

    // A fresh page load passes its stored id as a query parameter instead.
    let mut stream = t.stream(&v.token, Resume::Query(4)).await;
    assert_eq!(stream.message_ids(2).await, ["m5", "m6"]);
    stream.assert_quiet(QUIET).await;

    // The browser reconnects on the page load's URL: the header is newer and wins.
    let both = Resume::Both {
        header: 5,
        query: 2,
    };
    let mut stream = t.stream(&v.token, both).await;
    assert_eq!(stream.message_ids(1).await, ["m6"]);
    stream.assert_quiet(QUIET).await;

    // No id at all: the whole kept transcript.
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    assert_eq!(
        stream.message_ids(6).await,
        ["m1", "m2", "m3", "m4", "m5", "m6"]
    );
}

#[tokio::test]
async fn pushes_during_replay_arrive_without_gap_or_duplicate() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let ct = v.customer_token.clone();
    // History to replay, then more pushes racing the replay.
    for i in 0..300 {
        t.push(&agent_push(&ct, &[&format!("h{i}")])).await;
    }
    let pusher = {
        let client = t.client.clone();
        let url = t.url(&format!("/webhooks/udesk/{}", common::WEBHOOK_SECRET));
        let ct = ct.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                let body = agent_push(&ct, &[&format!("l{i}")]);
                let status = client.post(&url).json(&body).send().await.unwrap().status();
                assert_eq!(status, 200);
            }
        })
    };
    let mut stream = t.stream(&v.token, Resume::Header(10)).await;
    for expected in 11..=500u64 {
        assert_eq!(stream.message().await.id, expected);
    }
    pusher.await.unwrap();
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn pruned_history_is_announced_with_a_reset() {
    let t = start(&["--retention-count", "3"]).await;
    let v = t.visitor().await;
    t.push(&agent_push(
        &v.customer_token,
        &["m1", "m2", "m3", "m4", "m5", "m6"],
    ))
    .await;

    // Ids 2 and 3 are gone: say so, then continue from the earliest kept.
    let mut stream = t.stream(&v.token, Resume::Header(1)).await;
    let reset = stream.reset().await;
    assert_eq!(
        reset,
        StreamReset {
            requested: 1,
            earliest: 4
        }
    );
    assert_eq!(stream.message_ids(3).await, ["m4", "m5", "m6"]);
    drop(stream);

    // Caught up to the latest kept id: nothing to announce.
    let mut stream = t.stream(&v.token, Resume::Header(6)).await;
    stream.assert_quiet(QUIET).await;
    drop(stream);

    // An id this relay never gave (its store was replaced): reset, then everything kept.
    let mut stream = t.stream(&v.token, Resume::Header(99)).await;
    stream.reset().await;
    assert_eq!(stream.message_ids(3).await, ["m4", "m5", "m6"]);
    drop(stream);

    // The largest id there is, from the query of a fresh page load: the same.
    let mut stream = t.stream(&v.token, Resume::Query(u64::MAX)).await;
    let reset = stream.reset().await;
    assert_eq!(
        reset,
        StreamReset {
            requested: u64::MAX,
            earliest: 4
        }
    );
    assert_eq!(stream.message_ids(3).await, ["m4", "m5", "m6"]);
}

#[tokio::test]
async fn the_stream_tells_browsers_when_to_retry_and_ends_on_shutdown() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let response = t.raw_stream(&v.token).await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    use futures_util::StreamExt;
    let first = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&first).to_string();
    let retry: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("retry:"))
        .expect("a retry: hint")
        .trim()
        .parse()
        .unwrap();
    assert!((2000..4000).contains(&retry), "{retry}");

    // Shutdown ends the open stream (instead of hanging the server), cleanly.
    let shutdown = tokio::spawn(t.relay.shutdown());
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                return false;
            }
        }
        true
    })
    .await
    .expect("the stream did not end on shutdown");
    assert!(ended, "the stream broke instead of ending");
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown hung")
        .unwrap();
}

#[tokio::test]
async fn crowds_get_a_retry_hint_and_an_ended_stream() {
    use udesk_relay::sse::MAX_STREAMS_PER_VISITOR;
    let t = start(&["--max-streams", &(MAX_STREAMS_PER_VISITOR + 2).to_string()]).await;
    let (a, b) = (t.visitor().await, t.visitor().await);
    // One visitor (one token) cannot hold more than its share of the relay's streams.
    let mut mine = Vec::new();
    for _ in 0..MAX_STREAMS_PER_VISITOR {
        mine.push(t.stream(&a.token, Resume::Fresh).await);
    }
    let mut one_too_many = t.stream(&a.token, Resume::Fresh).await;
    assert!(one_too_many.ends_within(Duration::from_secs(5)).await);
    // Everyone else still gets streams, up to the relay's limit.
    let mut theirs = [
        t.stream(&b.token, Resume::Fresh).await,
        t.stream(&b.token, Resume::Fresh).await,
    ];
    let mut full = t.stream(&b.token, Resume::Fresh).await;
    assert!(full.ends_within(Duration::from_secs(5)).await);
    assert!(
        !theirs[0].ends_within(QUIET).await,
        "open streams stay open"
    );
    for (limit, refused) in [("visitor", 1), ("relay", 1), ("ip", 0)] {
        let name = format!("udesk_relay_streams_refused_total{{limit=\"{limit}\"}}");
        assert_eq!(t.metric(&name).await, refused, "{name}");
    }
    t.push(&agent_push(&b.customer_token, &["b1"])).await;
    assert_eq!(theirs[1].message_ids(1).await, ["b1"]);
    // A stream that closes makes room again.
    drop(mine.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = t.stream(&a.token, Resume::Fresh).await;
    t.push(&agent_push(&a.customer_token, &["a1"])).await;
    assert_eq!(again.message_ids(1).await, ["a1"]);
    assert_eq!(mine[0].message_ids(1).await, ["a1"]);
}

#[tokio::test]
async fn keep_alive_comments_flow_on_an_idle_stream() {
    let t = start(&["--keep-alive-secs", "1"]).await;
    let v = t.visitor().await;
    let response = t.raw_stream(&v.token).await;
    let mut body = response.bytes_stream();
    use futures_util::StreamExt;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(4);
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(Ok(chunk))) = tokio::time::timeout_at(deadline, body.next()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            // The hint carries one comment; a keep-alive is another.
            if seen.matches("\n:").count() + usize::from(seen.starts_with(':')) >= 2 {
                return;
            }
        }
    }
    panic!("no keep-alive comment within 4 s: {seen:?}");
}

#[tokio::test]
async fn a_stuck_browser_delays_nobody_and_catches_up_later() {
    let t = start(&["--retention-count", "0"]).await;
    let stuck = t.visitor().await;
    let other = t.visitor().await;
    // The stuck browser's stream is open but never read: once its socket buffers fill, the relay
    // can write nothing more to it.
    let mut stuck_stream = t.stream(&stuck.token, Resume::Fresh).await;
    let mut other_stream = t.stream(&other.token, Resume::Fresh).await;

    // ~26 MB in 200 events for the stuck browser: far more than loopback socket buffers hold,
    // and more events than the relay queues per stream, so its live feed must lag.
    let big = "字".repeat(43_000); // 129 KB of UTF-8
    let ids: Vec<String> = (0..200).map(|i| format!("big{i}")).collect();
    for id in &ids {
        let body = serde_json::json!({"customer_token": stuck.customer_token, "assign_type": "agent",
            "message": {"message_id": id, "data": {"content": big}}});
        assert_eq!(
            t.push(&body).await,
            200,
            "intake must not wait for a stuck reader"
        );
    }

    // Everyone else is served at once.
    let started = tokio::time::Instant::now();
    t.push(&agent_push(&other.customer_token, &["hello"])).await;
    assert_eq!(other_stream.message().await.message.message_id, "hello");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // When the stuck browser reads again, it gets everything, in order, once.
    t.push(&agent_push(&stuck.customer_token, &["last"])).await;
    let mut expected: Vec<&str> = ids.iter().map(String::as_str).collect();
    expected.push("last");
    let got = stuck_stream.message_ids(expected.len()).await;
    assert_eq!(got, expected);
    stuck_stream.assert_quiet(QUIET).await;
}
