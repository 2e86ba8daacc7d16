//! Durability: the real `udesk-relay` process is killed with SIGKILL while Udesk is pushing, and
//! restarted on the same SQLite file. Every webhook it acknowledged must still be delivered,
//! exactly once, in order.

mod common;

use common::{agent_push, drain_stream, RelayProcess, IDENTITY_SECRET, WEBHOOK_SECRET};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn args(db: &std::path::Path) -> Vec<String> {
    [
        "--listen",
        "127.0.0.1:0",
        "--store",
        &format!("sqlite:{}", db.display()),
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--identity-secret",
        IDENTITY_SECRET,
        "--retention-count",
        "5000",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[tokio::test]
async fn acknowledged_webhooks_survive_sigkill_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.sqlite3");
    let client = reqwest::Client::new();

    let mut relay = RelayProcess::spawn(&args(&db)).await;
    let visitor = relay.api().visitor().await;
    let ct = visitor.customer_token.clone();

    // Four senders push distinct messages as fast as the relay acknowledges them.
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let hook = relay.url(&format!("/webhooks/udesk/{WEBHOOK_SECRET}"));
    let mut senders = Vec::new();
    for sender in 0..4 {
        let (client, hook, ct, acked) = (
            client.clone(),
            hook.clone(),
            ct.clone(),
            acknowledged.clone(),
        );
        senders.push(tokio::spawn(async move {
            for i in 0..500 {
                let id = format!("s{sender}-{i}");
                match client
                    .post(&hook)
                    .json(&agent_push(&ct, &[&id]))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => acked.lock().unwrap().push(id),
                    Ok(r) => panic!("unexpected {}", r.status()),
                    Err(_) => return, // the relay died mid-request: not acknowledged
                }
            }
        }));
    }
    // Kill it in the middle of the stream of pushes.
    loop {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if acknowledged.lock().unwrap().len() >= 150 {
            break;
        }
    }
    relay.child.start_kill().unwrap(); // SIGKILL: no shutdown code runs
    relay.child.wait().await.unwrap();
    for s in senders {
        s.await.unwrap();
    }
    let acked: Vec<String> = acknowledged.lock().unwrap().clone();
    assert!(acked.len() >= 150 && acked.len() < 2000, "{}", acked.len());

    // Restart on the same file; the same token still works (same identity secret).
    let relay = RelayProcess::spawn(&args(&db)).await;
    let stream_url = format!("{}?token={}", relay.url("/v1/events"), visitor.token);
    let delivered = drain_stream(&client, &stream_url, Duration::from_millis(700)).await;
    let ids: Vec<u64> = delivered.iter().map(|m| m.id).collect();
    let expected: Vec<u64> = (1..=delivered.len() as u64).collect();
    assert_eq!(ids, expected, "ids stay consecutive across the crash");
    let names: HashSet<&str> = delivered
        .iter()
        .map(|m| m.message.message_id.as_str())
        .collect();
    assert_eq!(names.len(), delivered.len(), "no message twice");
    for id in &acked {
        assert!(names.contains(id.as_str()), "acknowledged {id} was lost");
    }

    // Udesk resends what it did not see acknowledged (and some it did): each still arrives once.
    let hook = relay.url(&format!("/webhooks/udesk/{WEBHOOK_SECRET}"));
    for sender in 0..4 {
        let batch: Vec<String> = (0..500).map(|i| format!("s{sender}-{i}")).collect();
        for chunk in batch.chunks(50) {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let status = client
                .post(&hook)
                .json(&agent_push(&ct, &refs))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, 200);
        }
    }
    let all = drain_stream(&client, &stream_url, Duration::from_millis(700)).await;
    assert_eq!(all.len(), 2000, "every message exactly once");
    assert_eq!(all.last().unwrap().id, 2000);
    let unique: HashSet<&str> = all.iter().map(|m| m.message.message_id.as_str()).collect();
    assert_eq!(unique.len(), 2000);
}

#[tokio::test]
async fn sigterm_ends_open_streams_and_exits_cleanly() {
    use futures_util::StreamExt;
    let dir = tempfile::tempdir().unwrap();
    let mut relay = RelayProcess::spawn(&args(&dir.path().join("relay.sqlite3"))).await;
    let api = relay.api();
    let visitor = api.visitor().await;
    let response = api.raw_stream(&visitor.token).await;
    let mut body = response.bytes_stream();
    body.next().await.unwrap().unwrap(); // the retry hint: the stream is open

    let pid = relay.child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let ended_cleanly = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                return false;
            }
        }
        true
    })
    .await
    .expect("the stream stayed open after SIGTERM");
    assert!(ended_cleanly, "the stream broke instead of ending");
    let exit = tokio::time::timeout(Duration::from_secs(10), relay.child.wait())
        .await
        .expect("the relay did not exit within 10 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
