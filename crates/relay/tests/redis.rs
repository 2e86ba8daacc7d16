//! Several relays sharing one real Redis (`--store redis://…`), as behind a load balancer:
//! Udesk's webhook may land on any relay and its retry on another, while the browser streams
//! from a third. Each test starts its own `redis-server` (append-only, fsync always) on a free
//! loopback port and kills it at the end; relays run in-process on real sockets.

mod common;

use common::redis::RedisServer;
use common::{agent_push, start_on, EventStream, Resume, TestRelay};
use serde_json::json;
use std::collections::HashSet;
use std::time::Duration;
use udesk_protocol::content::Content;
use udesk_protocol::relay::{StreamMessage, StreamReset};
use udesk_protocol::session::CreateSessionResponse;
use udesk_protocol::{AssignType, Code};

const QUIET: Duration = Duration::from_millis(400);

/// Two relays on one Redis.
async fn pair(redis: &RedisServer, extra: &[&str]) -> (TestRelay, TestRelay) {
    let a = start_on(&redis.url(), extra).await;
    let b = start_on(&redis.url(), extra).await;
    (a, b)
}

/// Reads `n` messages, checking their ids are `first..first+n` in order.
async fn consecutive(stream: &mut EventStream, first: u64, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n as u64 {
        let m = stream.message().await;
        assert_eq!(m.id, first + i, "ids are consecutive");
        ids.push(m.message.message_id);
    }
    ids
}

#[tokio::test]
async fn a_webhook_to_one_relay_reaches_a_stream_on_the_other_once() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &[]).await;
    let v = a.visitor().await;
    let ct = v.customer_token.as_str();
    // A token from one relay is good on the other (shared secrets).
    let mut on_b = b.stream(&v.token, Resume::Fresh).await;
    let mut on_a = a.stream(&v.token, Resume::Fresh).await;

    assert_eq!(a.push(&agent_push(ct, &["m1"])).await, 200);
    let got = on_b.message().await;
    assert_eq!((got.id, got.message.message_id.as_str()), (1, "m1"));
    assert_eq!(got.message.content, Content::text("reply m1"));
    assert_eq!(on_a.message().await.id, 1);

    // Udesk retries the same push to the other relay: acknowledged, not delivered again.
    assert_eq!(b.push(&agent_push(ct, &["m1"])).await, 200);
    on_b.assert_quiet(QUIET).await;
    on_a.assert_quiet(Duration::ZERO).await;

    // Pushes alternate between the relays: one id sequence, every stream sees all of them.
    for i in 2..=7 {
        let relay = if i % 2 == 0 { &b } else { &a };
        assert_eq!(relay.push(&agent_push(ct, &[&format!("m{i}")])).await, 200);
    }
    let expected: Vec<String> = (2..=7).map(|i| format!("m{i}")).collect();
    assert_eq!(consecutive(&mut on_b, 2, 6).await, expected);
    assert_eq!(consecutive(&mut on_a, 2, 6).await, expected);
    on_b.assert_quiet(QUIET).await;

    let stored = a.metric("udesk_relay_events_in_total").await
        + b.metric("udesk_relay_events_in_total").await;
    let duplicates = a.metric("udesk_relay_events_duplicate_total").await
        + b.metric("udesk_relay_events_duplicate_total").await;
    assert_eq!((stored, duplicates), (7, 1));
}

#[tokio::test]
async fn replay_after_last_event_id_works_on_the_other_relay() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &[]).await;
    let v = a.visitor().await;
    let ct = v.customer_token.as_str();

    let mut stream = a.stream(&v.token, Resume::Fresh).await;
    a.push(&agent_push(ct, &["m1", "m2"])).await;
    assert_eq!(consecutive(&mut stream, 1, 2).await, ["m1", "m2"]);
    drop(stream); // the browser goes away; the load balancer sends it elsewhere next time

    b.push(&agent_push(ct, &["m3"])).await;
    a.push(&agent_push(ct, &["m4", "m5"])).await;

    let mut stream = b.stream(&v.token, Resume::Header(2)).await;
    assert_eq!(consecutive(&mut stream, 3, 3).await, ["m3", "m4", "m5"]);
    stream.assert_quiet(QUIET).await;
    a.push(&agent_push(ct, &["m6"])).await;
    assert_eq!(consecutive(&mut stream, 6, 1).await, ["m6"]);
    drop(stream);

    // A fresh page load on the first relay with its stored id in the query.
    let mut stream = a.stream(&v.token, Resume::Query(4)).await;
    assert_eq!(consecutive(&mut stream, 5, 2).await, ["m5", "m6"]);
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn racing_pushes_through_both_relays_are_stored_once_with_consecutive_ids() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &[]).await;
    let v = a.visitor().await;
    let ct = v.customer_token.clone();
    let mut stream = b.stream(&v.token, Resume::Fresh).await;

    // Every push goes to both relays at the same moment, as a retry racing its original.
    const N: usize = 40;
    let mut sends = Vec::new();
    for i in 0..N {
        let body = agent_push(&ct, &[&format!("m{i}")]);
        for base in [a.relay.base_url(), b.relay.base_url()] {
            let (client, body) = (a.client.clone(), body.clone());
            sends.push(tokio::spawn(async move {
                client
                    .post(format!("{base}/webhooks/udesk/{}", common::WEBHOOK_SECRET))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
    }
    for send in sends {
        assert_eq!(send.await.unwrap(), 200);
    }
    let mut seen = HashSet::new();
    for id in 1..=N as u64 {
        let m = stream.message().await;
        assert_eq!(m.id, id);
        assert!(seen.insert(m.message.message_id), "delivered twice");
    }
    assert_eq!(seen.len(), N);
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn retention_is_shared_and_announced_with_a_reset() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &["--retention-count", "3"]).await;
    let v = a.visitor().await;
    a.push(&agent_push(&v.customer_token, &["m1", "m2", "m3"]))
        .await;
    b.push(&agent_push(&v.customer_token, &["m4", "m5", "m6"]))
        .await;

    let mut stream = a.stream(&v.token, Resume::Header(1)).await;
    let reset = stream.reset().await;
    assert_eq!(
        reset,
        StreamReset {
            requested: 1,
            earliest: 4
        }
    );
    assert_eq!(consecutive(&mut stream, 4, 3).await, ["m4", "m5", "m6"]);
    let keys: u64 = redis.query(&["ZCARD", &format!("udesk:{}:events", v.customer_token)]);
    assert_eq!(keys, 3, "Redis keeps only what retention allows");
}

#[tokio::test]
async fn a_lost_subscription_is_made_again_and_streams_catch_up_from_the_store() {
    let redis = RedisServer::start();
    let (a, b) = pair(&redis, &[]).await;
    let v = a.visitor().await;
    let ct = v.customer_token.as_str();
    let mut on_b = b.stream(&v.token, Resume::Fresh).await;
    a.push(&agent_push(ct, &["m1"])).await;
    assert_eq!(consecutive(&mut on_b, 1, 1).await, ["m1"]);

    // Cut every relay's subscription; relays wait at least 500 ms before subscribing again.
    let killed: u64 = redis.query(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    assert_eq!(killed, 2);
    let listeners: Vec<redis::Value> = redis.query(&["PUBSUB", "NUMSUB", "udesk:events:0"]);
    assert_eq!(listeners[1], redis::Value::Int(0), "nobody listens now");
    // Published into the void: relay B learns of it only from the store.
    assert_eq!(a.push(&agent_push(ct, &["m2", "m3"])).await, 200);

    assert_eq!(consecutive(&mut on_b, 2, 2).await, ["m2", "m3"]);
    assert!(b.metric("udesk_relay_fanout_lost_total").await >= 1);
    assert!(b.metric("udesk_relay_fanout_resyncs_total").await >= 1);
    // And live delivery goes on over the new subscription.
    a.push(&agent_push(ct, &["m4"])).await;
    assert_eq!(consecutive(&mut on_b, 4, 1).await, ["m4"]);
    on_b.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn acknowledged_webhooks_survive_a_redis_crash() {
    let mut redis = RedisServer::start();
    let (a, b) = pair(&redis, &[]).await;
    let v = a.visitor().await;
    let ct = v.customer_token.clone();
    let mut acked = Vec::new();
    for i in 0..30 {
        let id = format!("m{i}");
        assert_eq!(a.push(&agent_push(&ct, &[&id])).await, 200);
        acked.push(id);
    }

    // SIGKILL: no shutdown save. Only the fsynced append-only file brings the data back.
    redis.crash_and_restart();

    // Udesk retries whatever was not acknowledged; the first call after the crash may fail on a
    // dead connection and gets a 503, which Udesk would retry too.
    let mut status = 0;
    for _ in 0..20 {
        status = b.push(&agent_push(&ct, &["after"])).await.as_u16();
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "a store failure is retryable");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    acked.push("after".into());

    let mut stream = b.stream(&v.token, Resume::Fresh).await;
    assert_eq!(consecutive(&mut stream, 1, 31).await, acked);
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn a_redis_that_does_not_fsync_is_refused_unless_allowed() {
    let redis = RedisServer::start_lossy();
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_with_store(&dir, &redis.url(), &[]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = udesk_relay::start(config, listener)
        .await
        .err()
        .expect("a Redis without appendfsync always must be refused")
        .to_string();
    assert!(
        err.contains("appendonly \"no\"") && err.contains("--allow-non-durable-redis"),
        "{err}"
    );

    let t = start_on(&redis.url(), &["--allow-non-durable-redis"]).await;
    let v = t.visitor().await;
    assert_eq!(t.push(&agent_push(&v.customer_token, &["m1"])).await, 200);
}

#[tokio::test]
async fn the_simulator_flow_spans_two_relays() {
    // Relay A embeds the simulator (fast pick-up and replies via the --sim-* flags), so the
    // simulator's webhooks land on A. Relay B serves the browser and calls the same simulator.
    let redis = RedisServer::start();
    let a = start_on(
        &redis.url(),
        &["--sim-pickup-delay-ms", "0", "--sim-reply-delay-ms", "0"],
    )
    .await;
    let sim_url = a.relay.upstream_url.clone();
    let b = start_on(
        &redis.url(),
        &[
            "--upstream",
            &sim_url,
            "--udesk-email",
            "demo@udesk-chat.local",
            "--udesk-token",
            "udesk-chat-demo-token",
        ],
    )
    .await;
    let v = b.visitor().await;
    let mut stream = b.stream(&v.token, Resume::Fresh).await;

    let post = |path: &'static str, body: serde_json::Value| {
        let (client, url, token) = (b.client.clone(), b.url(path), v.token.clone());
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let r = post("/v1/sessions", json!({"assign_type": "agent"})).await;
    assert_eq!(r.status(), 200);
    let answer: CreateSessionResponse = r.json().await.unwrap();
    assert_eq!(answer.code, Code::SUCCESS, "{answer:?}");
    let session = answer.im_sub_session_id().expect("assigned at once");

    // Session ownership recorded by B is known to A and B alike (one store).
    let r = post(
        "/v1/messages",
        json!({"im_sub_session_id": session, "type": "message", "data": {"content": "你好"}}),
    )
    .await;
    assert_eq!(r.status(), 200);

    // The scripted agent's reply: simulator → webhook on A → Redis → B's stream.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let reply: StreamMessage = loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let event = stream
            .next_within(left)
            .await
            .expect("the agent's reply did not reach relay B");
        let m: StreamMessage = udesk_protocol::from_str(&event.data).unwrap();
        if m.assign_type == AssignType::Agent && matches!(m.message.content, Content::Text(_)) {
            break m;
        }
    };
    assert_eq!(reply.message.im_sub_session_id, Some(session));
    assert!(a.metric("udesk_relay_events_in_total").await >= 1);
    assert_eq!(b.metric("udesk_relay_events_in_total").await, 0);
}
