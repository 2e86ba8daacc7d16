//! Starting the relay: clear refusals for configurations that cannot work, and the one stdout
//! line scripts read.

mod common;

use tokio::net::TcpListener;

async fn start_error(extra: &[&str]) -> String {
    use clap::Parser;
    let mut args = vec![
        "udesk-relay",
        "--webhook-secret",
        "s",
        "--identity-secret",
        "i",
    ];
    args.extend_from_slice(extra);
    let config = udesk_relay::Config::parse_from(args);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    match udesk_relay::start(config, listener).await {
        Ok(_) => panic!("{extra:?} should not start"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn impossible_configurations_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let memory = ["--store", "memory"];
    let err = start_error(&[&memory[..], &["--upstream", "http://127.0.0.1:9"]].concat()).await;
    assert!(err.contains("--udesk-email"), "{err}");
    // Nothing listens on a port just freed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let err = start_error(&["--store", &url]).await;
    assert!(
        err.contains("cannot use the Redis store") && err.contains(&url),
        "{err}"
    );
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let store = format!("sqlite:{}/sub/relay.sqlite3", blocker.display());
    let err = start_error(&["--store", &store]).await;
    assert!(err.contains("SQLite store"), "{err}");
    // Origins are exact: no wildcard (it used to panic inside the CORS layer), no path.
    for origin in [
        "*",
        "https://shop.example/page",
        "shop.example",
        "https://*.shop.example",
    ] {
        let err = start_error(&[&memory[..], &["--allowed-origin", origin]].concat()).await;
        assert!(
            err.contains("--allowed-origin") && err.contains(origin),
            "{err}"
        );
    }
}

#[tokio::test]
async fn the_binary_prints_its_address_and_serves_there() {
    let dir = tempfile::tempdir().unwrap();
    let relay = common::RelayProcess::spawn(&[
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        dir.path().display().to_string(),
    ])
    .await;
    assert!(relay.base_url.starts_with("http://127.0.0.1:"));
    let health = reqwest::get(relay.url("/healthz")).await.unwrap();
    assert_eq!(health.text().await.unwrap(), "ok");
    // No flags: the default SQLite file lives in the data directory.
    assert!(dir.path().join("relay.sqlite3").exists());
}

#[tokio::test]
async fn generated_secrets_are_kept_in_the_data_dir_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--listen".to_string(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        dir.path().display().to_string(),
        "--store".into(),
        "memory".into(),
    ];
    let mut first = common::RelayProcess::spawn(&args).await;
    let visitor = first.api().visitor().await;
    first.child.kill().await.unwrap();

    let path = dir.path().join("secrets.json");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only the relay's user may read it");
    }
    let saved_text = std::fs::read_to_string(&path).unwrap();
    let saved: serde_json::Value = serde_json::from_str(&saved_text).unwrap();
    let webhook_secret = saved["webhook_secret"].as_str().unwrap().to_owned();

    // The restarted demo accepts the visitor's token and Udesk's webhook URL as before.
    let second = common::RelayProcess::spawn(&args).await;
    let stream = second.api().raw_stream(&visitor.token).await;
    assert_eq!(stream.status(), 200, "the token is still good");
    drop(stream);
    let hook = reqwest::Client::new()
        .post(second.url(&format!("/webhooks/udesk/{webhook_secret}")))
        .json(&common::agent_push(&visitor.customer_token, &["m1"]))
        .send()
        .await
        .unwrap();
    assert_eq!(hook.status(), 200, "the webhook URL is still good");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        saved_text,
        "loaded, not rewritten"
    );
}
