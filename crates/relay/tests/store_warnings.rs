//! A store that would lose acknowledged webhooks says so loudly at start and in `/metrics`:
//! `--store memory` (and `sqlite::memory:`) lose everything on restart; a Redis whose fsync
//! policy cannot be read (`CONFIG` refused, as on managed services) may lose acknowledged
//! webhooks in a crash, and the warning says how an operator confirms it. A Redis whose
//! append-only file is visibly off is refused even without `CONFIG`.
//!
//! One test in this file: it installs the process-wide log subscriber that captures everything.

mod common;

use common::redis::RedisServer;
use common::Captured;
use tokio::net::TcpListener;

/// The WARN lines of `log`.
fn warnings(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains(" WARN ")).collect()
}

/// A Redis user that may do everything but `CONFIG`, as managed services set it up.
fn without_config(server: &RedisServer) -> String {
    let _: String = server.query(&[
        "ACL",
        "SETUSER",
        "relay",
        "on",
        ">relay-pw",
        "~*",
        "&*",
        "+@all",
        "-config",
    ]);
    format!("redis://relay:relay-pw@127.0.0.1:{}", server.port)
}

#[tokio::test]
async fn stores_that_can_lose_acknowledged_webhooks_warn_at_start() {
    let log = Captured::default();
    let writer = log.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    // The default, a SQLite file: nothing to warn about.
    let t = common::start(&[]).await;
    assert_eq!(
        t.metric("udesk_relay_store_durability{store=\"sqlite\",durability=\"fsync\"}")
            .await,
        1
    );
    let text = log.take();
    assert!(warnings(&text).is_empty(), "{text}");

    for (store, shown) in [
        (
            "memory",
            "udesk_relay_store_durability{store=\"memory\",durability=\"none\"}",
        ),
        (
            "sqlite::memory:",
            "udesk_relay_store_durability{store=\"sqlite\",durability=\"none\"}",
        ),
    ] {
        let t = common::start_on(store, &[]).await;
        assert_eq!(t.metric(shown).await, 1, "{store}");
        let text = log.take();
        let warned = warnings(&text);
        assert!(
            warned
                .iter()
                .any(|l| l.contains(&format!("--store {store}")) && l.contains("LOST on restart")),
            "{store}: no warning in\n{text}"
        );
    }

    // A durable Redis that refuses CONFIG: it starts, warns, and says how to confirm.
    let durable = RedisServer::start();
    let t = common::start_on(&without_config(&durable), &[]).await;
    assert_eq!(
        t.metric("udesk_relay_store_durability{store=\"redis\",durability=\"unknown\"}")
            .await,
        1
    );
    let text = log.take();
    let warned = warnings(&text);
    assert!(
        warned
            .iter()
            .any(|l| l.contains("cannot read Redis's fsync policy")
                && l.contains("CONFIG GET appendfsync")
                && l.contains("must answer `always`")),
        "no warning saying how to confirm in\n{text}"
    );
    assert!(
        !text.contains("relay-pw"),
        "the password in the log:\n{text}"
    );

    // A Redis without an append-only file is refused although CONFIG is: INFO shows it.
    let lossy = RedisServer::start_lossy();
    let dir = tempfile::tempdir().unwrap();
    let config = common::config_with_store(&dir, &without_config(&lossy), &[]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let refused = match udesk_relay::start(config, listener).await {
        Ok(_) => panic!("a Redis without an append-only file must be refused"),
        Err(err) => err.to_string(),
    };
    assert!(
        refused.contains("appendonly \"no\"") && refused.contains("--allow-non-durable-redis"),
        "{refused}"
    );
}
