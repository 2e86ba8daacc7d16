//! A client that trickles its request head (slow loris) is cut off after `--header-timeout-ms`,
//! and nobody else waits for it.

mod common;

use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_trickled_request_head_is_cut_off_while_others_are_served() {
    let relay = common::start(&["--header-timeout-ms", "400"]).await;
    let addr = relay
        .relay
        .base_url()
        .trim_start_matches("http://")
        .to_owned();

    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();

    // Meanwhile an ordinary client is answered at once.
    let health = reqwest::get(relay.api.url("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    // The slow one keeps sending header bytes, but never the end of the head.
    let mut closed_after = None;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if slow.write_all(b"X-Slow: 1\r\n").await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(1), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            // A 408 answer or nothing yet: keep trickling until the socket closes.
            _ => {}
        }
    }
    let closed_after = closed_after.expect("the relay kept a trickling connection open for 4 s");
    assert!(
        closed_after >= Duration::from_millis(300) && closed_after < Duration::from_secs(3),
        "closed after {closed_after:?}, expected about 400 ms"
    );
}
