//! Faults injected while visitors chat: does every acknowledged webhook reach its browser, once
//! and in order?
//!
//! `cargo run -p udesk-relay --example faults [-- --seconds 6 --customers 12]` (`scripts/faults`
//! builds the relay binary first; this example runs it as a separate process so that it can be
//! killed).
//!
//! Each scenario starts the real `udesk-relay` binary on a loopback port (and, for the Redis one,
//! a real `redis-server` with `appendfsync always`), makes `--customers` visitors, and runs for
//! `--seconds`:
//! - per customer a "Udesk": pushes one message at a time (`c<customer>-<seq>`), resending the
//!   same push after any failure (a non-200 answer or a broken connection) until it is
//!   answered 200, as Udesk does; only then the next one;
//! - per customer a "browser": an event stream that reconnects after it ends or breaks (after
//!   300 ms, instead of the 2–4 s `retry:`, to keep runs short) with `Last-Event-ID`, as
//!   EventSource does.
//!
//! Scenarios: the relay SIGKILLed and restarted on the same port twice (SQLite file); two relays
//! on one Redis, each SIGKILLed and restarted once, with every push attempt and every stream
//! connection going to either (as behind a load balancer); Redis
//! SIGKILLed, left down for a second and restarted twice (Redis store; webhooks answer 503
//! meanwhile, streams end and come back); browsers dropping their connections at random every
//! 10–100 ms and reconnecting 10 ms later (SQLite; 600 to 1,100 disconnects in 6 s here). After the load the browsers get up to 15 s to catch up. Counted per
//! scenario: pushes acknowledged (200), messages delivered to browsers, lost (acknowledged,
//! never delivered), duplicated (delivered twice), out of order (delivered after a later one of
//! the same customer), delivered but never acknowledged, failed webhook attempts (resent),
//! stream reconnects and `reset` events.
//!
//! Loopback only, bounded in time, stops everything it started. Exits non-zero when anything
//! was lost, duplicated or out of order.

use clap::Parser;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use rand::Rng;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use udesk_protocol::relay::{StreamMessage, VisitorResponse};

const WEBHOOK_SECRET: &str = "faults-webhook-secret";
const IDENTITY_SECRET: &str = "faults-identity-secret";
/// The browsers' reconnect delay (EventSource waits for the stream's `retry:`, 2–4 s).
const RECONNECT: Duration = Duration::from_millis(300);
/// How long browsers get to catch up after the load.
const CATCH_UP: Duration = Duration::from_secs(15);

#[derive(Parser)]
struct Args {
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 6)]
    seconds: u64,
    /// Visitors, each with its own Udesk sender and browser.
    #[arg(long, default_value_t = 12)]
    customers: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    KillRelay,
    KillRelaysOnRedis,
    KillRedis,
    DropStreams,
}

impl Fault {
    fn describe(self) -> &'static str {
        match self {
            Fault::KillRelay => "relay SIGKILL + restart ×2 (SQLite)",
            Fault::KillRelaysOnRedis => {
                "2 relays on Redis, each SIGKILLed + restarted once (pushes and streams on either)"
            }
            Fault::KillRedis => "Redis SIGKILL, 1 s down, restart ×2 (Redis store)",
            Fault::DropStreams => "browsers drop their streams every 10–100 ms (SQLite)",
        }
    }
}

/// A free loopback port (the relay restarts on the same one, as behind a fixed address).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The `udesk-relay` binary next to this example (same profile).
fn relay_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let binary = dir.join("udesk-relay");
    assert!(
        binary.exists(),
        "{} is missing: build it first (scripts/faults does)",
        binary.display()
    );
    binary
}

/// The relay as a process that can be killed and started again.
struct Relay {
    child: Option<Child>,
    args: Vec<String>,
    base: String,
}

impl Relay {
    async fn start(port: u16, store: &str, dir: &Path) -> Relay {
        let args: Vec<String> = [
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--store",
            store,
            "--data-dir",
            &dir.display().to_string(),
            "--webhook-secret",
            WEBHOOK_SECRET,
            "--identity-secret",
            IDENTITY_SECRET,
            // Not called: this exercises intake and delivery.
            "--upstream",
            "http://127.0.0.1:9",
            "--udesk-email",
            "faults@example.com",
            "--udesk-token",
            "faults",
            "--visitor-rate-per-minute",
            "0",
            "--max-streams-per-ip",
            "0",
            "--retention-count",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut relay = Relay {
            child: None,
            args,
            base: format!("http://127.0.0.1:{port}"),
        };
        relay.spawn().await;
        relay
    }

    async fn spawn(&mut self) {
        // The port may take a moment to be free again after a kill.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let mut child = Command::new(relay_binary())
                .args(&self.args)
                .env("RUST_LOG", "error")
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn udesk-relay");
            let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
            let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
            if let Ok(Ok(Some(line))) = first {
                if line.starts_with("udesk-relay listening on") {
                    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
                    self.child = Some(child);
                    return;
                }
            }
            let _ = child.kill().await;
            assert!(Instant::now() < deadline, "udesk-relay did not start again");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill(); // SIGKILL: no shutdown code runs
            let _ = child.wait().await;
        }
    }
}

/// A `redis-server` that can be killed and started again on the same port and data.
struct Redis {
    child: Option<std::process::Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Redis {
        let mut redis = Redis {
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
        };
        redis.spawn();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let child = std::process::Command::new("redis-server")
                .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
                .args([
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                ])
                .args(["--dir", &self.dir.path().display().to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server (install it with scripts/setup)");
            self.child = Some(child);
            let ready = Instant::now() + Duration::from_secs(5);
            while Instant::now() < ready {
                let up = redis::Client::open(self.url().as_str())
                    .and_then(|c| c.get_connection_with_timeout(Duration::from_millis(200)))
                    .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
                if up.is_ok() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            self.kill();
            assert!(Instant::now() < deadline, "redis-server did not start");
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What one scenario counted.
#[derive(Default)]
struct Tally {
    acknowledged: usize,
    delivered: usize,
    lost: usize,
    duplicated: usize,
    out_of_order: usize,
    unacknowledged_delivered: usize,
    failed_attempts: u64,
    reconnects: u64,
    resets: u64,
    faults: usize,
}

/// What a browser saw: message_ids in the order they arrived.
type Seen = Arc<Mutex<Vec<String>>>;

/// A browser's event stream: reconnects with `Last-Event-ID` until `stop`.
async fn browser(
    client: reqwest::Client,
    urls: Vec<String>,
    seen: Seen,
    drop_at_random: bool,
    stop: Arc<AtomicBool>,
    reconnects: Arc<AtomicU64>,
    resets: Arc<AtomicU64>,
) {
    let mut last_id: Option<String> = None;
    let mut first = true;
    let mut connection = 0;
    while !stop.load(Relaxed) {
        if !first {
            reconnects.fetch_add(1, Relaxed);
            // A browser that dropped its own connection (a flaky network) comes back at once.
            let delay = if drop_at_random {
                Duration::from_millis(10)
            } else {
                RECONNECT
            };
            tokio::time::sleep(delay).await;
        }
        first = false;
        // Behind a load balancer each connection may reach another relay.
        let mut request = client.get(&urls[connection % urls.len()]);
        connection += 1;
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id.as_str());
        }
        let Ok(response) = request.send().await else {
            continue;
        };
        if response.status() != 200 {
            continue;
        }
        let lifetime = if drop_at_random {
            Duration::from_millis(rand::thread_rng().gen_range(10..100))
        } else {
            Duration::from_secs(3600)
        };
        let until = tokio::time::Instant::now() + lifetime;
        let mut events = response.bytes_stream().eventsource();
        loop {
            let next = tokio::select! {
                next = events.next() => next,
                _ = tokio::time::sleep_until(until) => break,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {
                    if stop.load(Relaxed) { return; }
                    continue;
                }
            };
            let Some(Ok(event)) = next else { break };
            match event.event.as_str() {
                "message" if !event.data.is_empty() => {
                    if let Ok(m) = udesk_protocol::from_str::<StreamMessage>(&event.data) {
                        seen.lock().unwrap().push(m.message.message_id);
                    }
                    last_id = Some(event.id);
                }
                "reset" => {
                    resets.fetch_add(1, Relaxed);
                }
                _ => {}
            }
        }
    }
}

/// Udesk for one customer: pushes `c<customer>-<seq>` one at a time until `stop`, each resent
/// until answered 200.
async fn udesk(
    client: reqwest::Client,
    hooks: Vec<String>,
    customer: usize,
    customer_token: String,
    acked: Seen,
    stop: Arc<AtomicBool>,
    failed: Arc<AtomicU64>,
) {
    let mut seq = 0;
    while !stop.load(Relaxed) {
        let id = format!("c{customer}-{seq}");
        let body = json!({"customer_token": customer_token, "assign_type": "agent",
            "messages": [{"type": "message", "message_id": id, "agent_id": 7,
                          "im_sub_session_id": 1, "data": {"content": format!("reply {seq}")}}]});
        for attempt in 0.. {
            // Each attempt may reach another relay.
            let hook = &hooks[(seq + attempt) % hooks.len()];
            let answer = client
                .post(hook)
                .timeout(Duration::from_secs(10))
                .json(&body)
                .send()
                .await;
            if matches!(&answer, Ok(r) if r.status() == 200) {
                break;
            }
            failed.fetch_add(1, Relaxed);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        acked.lock().unwrap().push(id);
        seq += 1;
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn scenario(fault: Fault, args: &Args) -> Tally {
    let dir = tempfile::tempdir().expect("temp dir");
    let on_redis = matches!(fault, Fault::KillRedis | Fault::KillRelaysOnRedis);
    let mut redis = on_redis.then(Redis::start);
    let store = match &redis {
        Some(redis) => redis.url(),
        None => format!("sqlite:{}", dir.path().join("relay.sqlite3").display()),
    };
    let mut relays = vec![Relay::start(free_port(), &store, dir.path()).await];
    if fault == Fault::KillRelaysOnRedis {
        relays.push(Relay::start(free_port(), &store, dir.path()).await);
    }
    let client = reqwest::Client::new();
    let base = relays[0].base.clone();
    let hooks: Vec<String> = relays
        .iter()
        .map(|r| format!("{}/webhooks/udesk/{WEBHOOK_SECRET}", r.base))
        .collect();

    let stop_udesk = Arc::new(AtomicBool::new(false));
    let stop_browsers = Arc::new(AtomicBool::new(false));
    let (failed, reconnects, resets) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let mut customers = Vec::new();
    let mut tasks = Vec::new();
    let mut senders = Vec::new();
    for customer in 0..args.customers {
        let visitor: VisitorResponse = client
            .post(format!("{base}/v1/visitor"))
            .send()
            .await
            .expect("visitor")
            .json()
            .await
            .expect("visitor json");
        let (seen, acked) = (Seen::default(), Seen::default());
        tasks.push(tokio::spawn(browser(
            client.clone(),
            relays
                .iter()
                .map(|r| format!("{}/v1/events?token={}", r.base, visitor.token))
                .collect(),
            seen.clone(),
            fault == Fault::DropStreams,
            stop_browsers.clone(),
            reconnects.clone(),
            resets.clone(),
        )));
        senders.push(tokio::spawn(udesk(
            client.clone(),
            hooks.clone(),
            customer,
            visitor.customer_token,
            acked.clone(),
            stop_udesk.clone(),
            failed.clone(),
        )));
        customers.push((seen, acked));
    }

    // The faults, spread over the load.
    let load = Duration::from_secs(args.seconds);
    let mut faults = 0;
    let started = Instant::now();
    for (n, at) in [load / 4, load * 5 / 8].into_iter().enumerate() {
        tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
        match fault {
            Fault::KillRelay | Fault::KillRelaysOnRedis => {
                let count = relays.len();
                let relay = &mut relays[n % count];
                relay.kill().await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                relay.spawn().await;
                faults += 1;
            }
            Fault::KillRedis => {
                let redis = redis.as_mut().unwrap();
                redis.kill();
                tokio::time::sleep(Duration::from_secs(1)).await;
                redis.spawn();
                faults += 1;
            }
            Fault::DropStreams => {}
        }
    }
    tokio::time::sleep(load.saturating_sub(started.elapsed())).await;
    stop_udesk.store(true, Relaxed);
    for sender in senders {
        let _ = tokio::time::timeout(Duration::from_secs(30), sender).await;
    }

    // Catch up: until every browser has every acknowledged message, or CATCH_UP.
    let deadline = Instant::now() + CATCH_UP;
    while Instant::now() < deadline {
        let done = customers.iter().all(|(seen, acked)| {
            let seen: HashSet<String> = seen.lock().unwrap().iter().cloned().collect();
            acked.lock().unwrap().iter().all(|id| seen.contains(id))
        });
        if done {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A last moment for anything stray (a duplicate) to arrive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop_browsers.store(true, Relaxed);
    for task in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
    }
    for relay in &mut relays {
        relay.kill().await;
    }

    let mut tally = Tally {
        failed_attempts: failed.load(Relaxed),
        reconnects: reconnects.load(Relaxed),
        resets: resets.load(Relaxed),
        faults: if fault == Fault::DropStreams {
            reconnects.load(Relaxed) as usize
        } else {
            faults
        },
        ..Tally::default()
    };
    for (seen, acked) in &customers {
        let (seen, acked) = (seen.lock().unwrap(), acked.lock().unwrap());
        let acked_set: HashSet<&String> = acked.iter().collect();
        let mut counts: HashMap<&String, usize> = HashMap::new();
        let mut highest: Option<u64> = None;
        for id in seen.iter() {
            *counts.entry(id).or_default() += 1;
            let seq: u64 = id
                .rsplit('-')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            if highest.is_some_and(|h| seq < h) {
                tally.out_of_order += 1;
            }
            highest = highest.max(Some(seq));
        }
        tally.acknowledged += acked.len();
        tally.delivered += counts.len();
        tally.duplicated += counts.values().map(|n| n - 1).sum::<usize>();
        tally.lost += acked.iter().filter(|id| !counts.contains_key(id)).count();
        tally.unacknowledged_delivered +=
            counts.keys().filter(|id| !acked_set.contains(*id)).count();
    }
    tally
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let mut rows = Vec::new();
    for fault in [
        Fault::KillRelay,
        Fault::KillRelaysOnRedis,
        Fault::KillRedis,
        Fault::DropStreams,
    ] {
        eprintln!("running: {}", fault.describe());
        let tally = scenario(fault, &args).await;
        rows.push((fault, tally));
    }
    println!(
        "\n{} customers, {} s of load per scenario\n",
        args.customers, args.seconds
    );
    println!("| scenario | faults | acknowledged | delivered | lost | duplicated | out of order | delivered, not acknowledged | failed webhook attempts (resent) | stream reconnects | resets |");
    println!("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    let mut bad = false;
    for (fault, t) in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            fault.describe(),
            t.faults,
            t.acknowledged,
            t.delivered,
            t.lost,
            t.duplicated,
            t.out_of_order,
            t.unacknowledged_delivered,
            t.failed_attempts,
            t.reconnects,
            t.resets
        );
        bad |= t.lost + t.duplicated + t.out_of_order > 0;
    }
    if bad {
        eprintln!("FAILED: something acknowledged was lost, duplicated or out of order");
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}
