//! Secrets stay out of the log, even at `trace` level: the webhook secret (in the webhook URL),
//! visitors' tokens (in the event stream's query), Udesk's signatures (in the upstream URL) and
//! a Redis password (in a refused `--store`).
//!
//! One test in this file: it installs the process-wide log subscriber that captures everything.

mod common;

use common::Captured;
use std::time::Duration;
use tokio::net::TcpListener;

#[tokio::test]
async fn secrets_stay_out_of_the_log() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    // A real Udesk URL where nothing listens: every call fails in transport.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let t = common::start(&[
        "--upstream",
        &upstream,
        "--udesk-email",
        "admin@acme.example",
        "--udesk-token",
        "open-api-token-xyz",
    ])
    .await;
    let v = t.visitor().await;
    let response = t
        .post_as(&v.token, "/v1/sessions", serde_json::json!({}))
        .await;
    assert_eq!(response.status(), 502);
    assert_eq!(
        t.push(&common::agent_push(&v.customer_token, &["m1"]))
            .await,
        200
    );
    let mut stream = t.stream(&v.token, common::Resume::Fresh).await;
    stream.message().await;
    drop(stream);

    // A Redis URL with a password, refused at start.
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let store = format!("redis://relay:hunter2-redis@127.0.0.1:{port}");
    let config = common::config_with_store(&dir, &store, &[]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = match udesk_relay::start(config, listener).await {
        Ok(_) => panic!("an unreachable Redis must be refused"),
        Err(err) => err.to_string(),
    };
    assert!(refused.contains("127.0.0.1"), "{refused}");
    assert!(!refused.contains("hunter2"), "the password in: {refused}");
    tokio::time::sleep(Duration::from_millis(100)).await;

    let text = log.text();
    assert!(
        text.contains("Udesk call failed"),
        "the test must see the upstream failure logged:\n{text}"
    );
    for secret in [
        common::WEBHOOK_SECRET,
        &v.token,
        "open-api-token-xyz",
        "sign=",
        "nonce=",
        "hunter2",
    ] {
        assert!(!text.contains(secret), "{secret} in the log:\n{text}");
    }
}
