//! Connections that send nothing, too little or too slowly are closed within their deadlines,
//! one client IP cannot hold every socket, and a stranger's webhook body is never read: raw
//! sockets against a real relay on 127.0.0.1.

mod common;

use common::{agent_push, start, Resume};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The deadlines the tests run with: short, so each test takes a second or two.
const FAST: [&str; 6] = [
    "--header-timeout-ms",
    "500",
    "--idle-timeout-ms",
    "1000",
    "--body-timeout-ms",
    "1000",
];

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the relay closes the connection; returns what it sent and how long that took,
/// or `None` when it is still open after `wait`.
async fn closed_within(socket: &mut TcpStream, wait: Duration) -> Option<(Vec<u8>, Duration)> {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = wait.checked_sub(started.elapsed())?;
        match tokio::time::timeout(left, socket.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((received, started.elapsed())),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
        }
    }
}

/// The HTTP/2 connection preface and an empty SETTINGS frame.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

#[tokio::test]
async fn a_silent_socket_is_closed_within_the_header_timeout() {
    let t = start(&FAST).await;
    let mut silent = connect(&t.base).await;
    let (_, took) = closed_within(&mut silent, Duration::from_secs(3))
        .await
        .expect("a socket that never sent a byte is still open after 3 s");
    assert!(
        took >= Duration::from_millis(400),
        "closed too early: {took:?}"
    );
    // One byte, then nothing: the protocol detection waits no longer.
    let mut one_byte = connect(&t.base).await;
    one_byte.write_all(b"P").await.unwrap();
    assert!(closed_within(&mut one_byte, Duration::from_secs(3))
        .await
        .is_some());
    assert!(
        t.metric("udesk_relay_connections_closed_total{reason=\"deadline\"}")
            .await
            >= 2
    );
}

#[tokio::test]
async fn h2c_connections_without_a_complete_request_are_closed() {
    let t = start(&FAST).await;
    // The preface and settings, then nothing.
    let mut idle = connect(&t.base).await;
    idle.write_all(H2_PREFACE).await.unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(3))
            .await
            .is_some(),
        "an h2c connection that sent only its preface is still open after 3 s"
    );
    // A HEADERS frame without END_HEADERS (its CONTINUATION never comes).
    let mut unfinished = connect(&t.base).await;
    unfinished.write_all(H2_PREFACE).await.unwrap();
    let block = [0x82u8, 0x86]; // :method GET, :scheme http
    let mut frame = vec![0, 0, block.len() as u8, 0x01, 0x01, 0, 0, 0, 1];
    frame.extend_from_slice(&block);
    unfinished.write_all(&frame).await.unwrap();
    assert!(
        closed_within(&mut unfinished, Duration::from_secs(3))
            .await
            .is_some(),
        "an h2c connection with unfinished headers is still open after 3 s"
    );
}

#[tokio::test]
async fn an_idle_h2c_connection_is_closed_after_its_request() {
    let t = start(&FAST).await;
    let mut h2 = connect(&t.base).await;
    h2.write_all(H2_PREFACE).await.unwrap();
    // GET /healthz: HPACK :method GET, :scheme http, then :path and :authority as literals.
    let mut block = vec![0x82u8, 0x86, 0x44, 8];
    block.extend_from_slice(b"/healthz");
    block.extend_from_slice(&[0x41, 5]);
    block.extend_from_slice(b"relay");
    // HEADERS, END_STREAM | END_HEADERS, stream 1.
    let mut frame = vec![0, 0, block.len() as u8, 0x01, 0x05, 0, 0, 0, 1];
    frame.extend_from_slice(&block);
    h2.write_all(&frame).await.unwrap();
    // Then silence: no more requests, no settings ack.
    let (answer, took) = closed_within(&mut h2, Duration::from_secs(4))
        .await
        .expect("an idle h2c connection is still open after 4 s");
    // The answer's DATA frame carries the body `ok`.
    assert!(answer.windows(2).any(|w| w == b"ok"), "{answer:?}");
    assert!(
        took >= Duration::from_millis(900),
        "closed too early: {took:?}"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_but_a_stream_is_not() {
    let t = start(&FAST).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;

    let mut keep_alive = connect(&t.base).await;
    keep_alive
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let (answer, took) = closed_within(&mut keep_alive, Duration::from_secs(4))
        .await
        .expect("an idle keep-alive connection is still open after 4 s");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");
    // HTTP/1 waits for the next head under the header timeout (hyper's timer), which is
    // shorter than the idle timeout here.
    assert!(
        took >= Duration::from_millis(400),
        "closed too early: {took:?}"
    );

    // The event stream has been open longer than the idle timeout and still delivers.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(t.push(&agent_push(&v.customer_token, &["late"])).await, 200);
    assert_eq!(stream.message_ids(1).await, ["late"]);
}

#[tokio::test]
async fn a_dripped_body_is_answered_408_at_its_deadline() {
    let t = start(&FAST).await;
    let mut slow = connect(&t.base).await;
    slow.write_all(
        b"POST /v1/visitor HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .unwrap();
    let started = Instant::now();
    let drip = async {
        for _ in 0..100 {
            if slow.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), drip).await;
    let (answer, _) = closed_within(&mut slow, Duration::from_secs(2))
        .await
        .expect("the connection of a late body stays open");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"request_timeout\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_webhook_with_a_wrong_secret_is_refused_before_its_body() {
    let t = start(&[]).await;
    let mut socket = connect(&t.base).await;
    // A body just under the 1 MiB limit, announced and then sent slowly (never, here).
    socket
        .write_all(
            b"POST /webhooks/udesk/wrong-secret HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{\"customer_token\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf))
        .await
        .expect("no answer within 1 s: the relay waited for the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn one_ip_holds_at_most_its_connections() {
    let t = start(&[
        "--max-connections-per-ip",
        "3",
        "--header-timeout-ms",
        "10000",
    ])
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&t.base).await);
    }
    // Let the relay accept them before the next.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fourth = connect(&t.base).await;
    let (_, took) = closed_within(&mut fourth, Duration::from_secs(2))
        .await
        .expect("a 4th connection from one IP was kept");
    assert!(took < Duration::from_secs(1));
    // Giving one back makes room.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        t.metric("udesk_relay_connections_closed_total{reason=\"ip_limit\"}")
            .await,
        1
    );
}
