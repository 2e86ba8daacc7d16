//! Webhook intake → SSE delivery, measured on loopback.
//!
//! `cargo run --release -p udesk-relay --example bench [-- --quick]`
//!
//! For each store (the in-memory baseline, the SQLite file with `synchronous = FULL`, and a real
//! `redis-server` with `appendfsync always` that the benchmark starts on a free loopback port)
//! it starts a relay on 127.0.0.1:0, opens one event stream per customer, and measures:
//! - latency: one push at a time, from the start of the webhook POST until the event is read
//!   from the customer's stream (median, p90, p99);
//! - throughput: concurrent senders pushing as fast as the relay acknowledges, until every
//!   event has been read from the streams (messages per second).
//!
//! A last row, `redis 2×`, runs two relays on that Redis: webhooks go to one, the streams read
//! from the other, so every event crosses Redis pub/sub.
//!
//! Bounded in count and time; stops by itself (and stops its Redis). Reports each store's ratio
//! to memory in the same run.

use clap::Parser;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::json;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use udesk_protocol::relay::{StreamMessage, VisitorResponse};
use udesk_relay::Config;

const SECRET: &str = "bench-webhook-secret";

struct Setup {
    customers: usize,
    latency_pushes: usize,
    throughput_pushes: usize,
    senders: usize,
}

struct Report {
    median: Duration,
    p90: Duration,
    p99: Duration,
    per_sec: f64,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn push_body(customer_token: &str, message_id: &str) -> serde_json::Value {
    json!({"customer_token": customer_token, "assign_type": "agent",
           "messages": [{"type": "message", "message_id": message_id, "agent_id": 7,
                         "im_sub_session_id": 1, "data": {"content": "您好，请问有什么可以帮您？"}}]})
}

/// A `redis-server` for the benchmark, stopped on drop.
struct Redis {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Redis {
    /// `None` when `redis-server` is not installed.
    fn start() -> Option<Redis> {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("free port")
            .local_addr()
            .expect("port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
            ])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .args(["--dir", &dir.path().display().to_string()])
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        let url = format!("redis://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let up = redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
            if up.is_ok() {
                return Some(Redis {
                    child,
                    url,
                    _dir: dir,
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server did not answer within 10 s");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a relay on `store` (a --store value, or `sqlite` for a file in `dir`).
async fn relay(store: &str, dir: &std::path::Path) -> udesk_relay::RunningRelay {
    let store_flag = match store {
        "sqlite" => format!("sqlite:{}", dir.join("bench.sqlite3").display()),
        other => other.to_owned(),
    };
    let config = Config::parse_from([
        "udesk-relay",
        "--store",
        &store_flag,
        // Not called: the benchmark exercises intake and delivery only.
        "--upstream",
        "http://127.0.0.1:9",
        "--udesk-email",
        "bench@example.com",
        "--udesk-token",
        "bench",
        "--webhook-secret",
        SECRET,
        "--identity-secret",
        "bench-identity",
        "--retention-count",
        "0",
        "--visitor-rate-per-minute",
        "0",
        "--data-dir",
        &dir.display().to_string(),
    ]);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    udesk_relay::start(config, listener).await.expect("start")
}

/// Webhooks to a relay on `store`; streams from the same relay, or with `cross` from a second
/// relay on the same store.
async fn run(store: &str, cross: bool, setup: &Setup) -> Report {
    let dir = tempfile::tempdir().expect("temp dir");
    let intake = relay(store, dir.path()).await;
    let delivery = if cross {
        Some(relay(store, dir.path()).await)
    } else {
        None
    };
    let hook_base = intake.base_url();
    let base = delivery.as_ref().unwrap_or(&intake).base_url();
    let client = reqwest::Client::new();

    // One stream per customer, all feeding one channel of (message_id, when read).
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let mut customers = Vec::new();
    for _ in 0..setup.customers {
        let v: VisitorResponse = client
            .post(format!("{base}/v1/visitor"))
            .send()
            .await
            .expect("visitor")
            .json()
            .await
            .expect("visitor json");
        let response = client
            .get(format!("{base}/v1/events?token={}", v.token))
            .send()
            .await
            .expect("stream");
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut events = response.bytes_stream().eventsource();
            while let Some(Ok(event)) = events.next().await {
                if event.event == "message" && !event.data.is_empty() {
                    if let Ok(m) = serde_json::from_str::<StreamMessage>(&event.data) {
                        let _ = tx.send((m.message.message_id, Instant::now()));
                    }
                }
            }
        });
        customers.push(v.customer_token);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let hook = format!("{hook_base}/webhooks/udesk/{SECRET}");

    // Latency: one at a time.
    let mut latencies = Vec::with_capacity(setup.latency_pushes);
    for i in 0..setup.latency_pushes {
        let ct = &customers[i % customers.len()];
        let id = format!("lat-{i}");
        let started = Instant::now();
        let status = client
            .post(&hook)
            .json(&push_body(ct, &id))
            .send()
            .await
            .expect("push")
            .status();
        assert_eq!(status, 200);
        loop {
            let (got, at) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
                .await
                .expect("event within 10 s")
                .expect("streams open");
            if got == id {
                latencies.push(at - started);
                break;
            }
        }
    }
    latencies.sort();

    // Throughput: concurrent senders, until everything is read back.
    let started = Instant::now();
    let per_sender = setup.throughput_pushes / setup.senders;
    let mut senders = Vec::new();
    for s in 0..setup.senders {
        let (client, hook, customers) = (client.clone(), hook.clone(), customers.clone());
        senders.push(tokio::spawn(async move {
            for i in 0..per_sender {
                let ct = &customers[(s + i) % customers.len()];
                let status = client
                    .post(&hook)
                    .json(&push_body(ct, &format!("tp-{s}-{i}")))
                    .send()
                    .await
                    .expect("push")
                    .status();
                assert_eq!(status, 200);
            }
        }));
    }
    let total = per_sender * setup.senders;
    let mut seen: HashMap<String, ()> = HashMap::with_capacity(total);
    while seen.len() < total {
        let (id, _) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("throughput phase stalled")
            .expect("streams open");
        seen.insert(id, ());
    }
    for s in senders {
        s.await.expect("sender");
    }
    let per_sec = total as f64 / started.elapsed().as_secs_f64();
    if let Some(delivery) = delivery {
        delivery.shutdown().await;
    }
    intake.shutdown().await;
    Report {
        median: percentile(&latencies, 0.5),
        p90: percentile(&latencies, 0.9),
        p99: percentile(&latencies, 0.99),
        per_sec,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let setup = if quick {
        Setup {
            customers: 10,
            latency_pushes: 100,
            throughput_pushes: 1000,
            senders: 4,
        }
    } else {
        Setup {
            customers: 50,
            latency_pushes: 500,
            throughput_pushes: 5000,
            senders: 8,
        }
    };
    println!(
        "webhook → SSE on loopback: {} streams, {} sequential pushes, {} pushes from {} concurrent senders",
        setup.customers, setup.latency_pushes, setup.throughput_pushes, setup.senders
    );
    let redis = Redis::start();
    if redis.is_none() {
        println!("redis-server is not installed (scripts/setup installs it): Redis rows skipped");
    }
    let rows = tokio::time::timeout(Duration::from_secs(300), async {
        let mut rows = vec![
            ("memory", run("memory", false, &setup).await),
            ("sqlite", run("sqlite", false, &setup).await),
        ];
        if let Some(redis) = &redis {
            rows.push(("redis", run(&redis.url, false, &setup).await));
            rows.push(("redis 2×", run(&redis.url, true, &setup).await));
        }
        rows
    })
    .await
    .expect("the benchmark took over 5 minutes; stopped");
    println!(
        "{:<9} {:>12} {:>12} {:>12} {:>14}",
        "store", "median", "p90", "p99", "throughput"
    );
    for (name, r) in &rows {
        println!(
            "{:<9} {:>12} {:>12} {:>12} {:>10.0} msg/s",
            name,
            ms(r.median),
            ms(r.p90),
            ms(r.p99),
            r.per_sec
        );
    }
    let memory = &rows[0].1;
    for (name, r) in &rows[1..] {
        println!(
            "{name}/memory: median latency ×{:.2}, throughput ×{:.2}",
            r.median.as_secs_f64() / memory.median.as_secs_f64(),
            r.per_sec / memory.per_sec
        );
    }
}
