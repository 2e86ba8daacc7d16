//! Helpers shared by the relay's integration tests: a relay on 127.0.0.1:0 with a real SQLite
//! file in a temporary directory (or the real binary, [`RelayProcess`]), its HTTP API as
//! browsers and Udesk use it ([`Api`]: visitors, widget calls, webhook pushes, metrics), webhook
//! bodies and an SSE reader ([`EventStream`]).
#![allow(dead_code)]

pub mod redis;
pub mod s3;
pub mod store_contract;

use clap::Parser;
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use serde_json::{json, Value};
use std::pin::Pin;
use std::time::Duration;
use tempfile::TempDir;
use tokio::net::TcpListener;
use udesk_protocol::relay::{StreamMessage, StreamReset, VisitorResponse};
use udesk_relay::{Config, RunningRelay};
use udesk_sim::SimConfig;

pub const WEBHOOK_SECRET: &str = "test-webhook-secret";
pub const IDENTITY_SECRET: &str = "test-identity-secret";

/// A relay under test and what it needs to stay alive. Its HTTP API is [`Api`] (by `Deref`).
pub struct TestRelay {
    pub relay: RunningRelay,
    pub api: Api,
    pub dir: TempDir,
}

impl std::ops::Deref for TestRelay {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

/// The flags every test relay gets; `extra` adds more.
pub fn config(dir: &TempDir, extra: &[&str]) -> Config {
    let store = format!("sqlite:{}", dir.path().join("relay.sqlite3").display());
    config_with_store(dir, &store, extra)
}

/// Like [`config`] with this `--store`.
pub fn config_with_store(dir: &TempDir, store: &str, extra: &[&str]) -> Config {
    let widget = dir.path().join("widget").display().to_string();
    let data = dir.path().display().to_string();
    let mut args = vec![
        "udesk-relay",
        "--data-dir",
        &data,
        "--listen",
        "127.0.0.1:0",
        "--store",
        store,
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--identity-secret",
        IDENTITY_SECRET,
        "--widget-dir",
        &widget,
    ];
    args.extend_from_slice(extra);
    Config::parse_from(args)
}

/// Starts a relay with the default test flags plus `extra`.
pub async fn start(extra: &[&str]) -> TestRelay {
    let dir = private_tempdir();
    start_in(dir, extra).await
}

/// Starts a relay whose files live in `dir`.
pub async fn start_in(dir: TempDir, extra: &[&str]) -> TestRelay {
    let config = config(&dir, extra);
    start_config(dir, config, SimConfig::default()).await
}

/// Starts a relay on the store `store` (e.g. a shared `redis://…`).
pub async fn start_on(store: &str, extra: &[&str]) -> TestRelay {
    let dir = private_tempdir();
    let config = config_with_store(&dir, store, extra);
    start_config(dir, config, SimConfig::default()).await
}

/// Starts a relay that embeds a simulator with `sim`'s setup.
pub async fn start_with_sim(sim: SimConfig, extra: &[&str]) -> TestRelay {
    let dir = private_tempdir();
    let config = config(&dir, extra);
    start_config(dir, config, sim).await
}

async fn start_config(dir: TempDir, config: Config, sim: SimConfig) -> TestRelay {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay = udesk_relay::start_with_sim(config, listener, sim)
        .await
        .unwrap();
    let api = Api::new(relay.base_url());
    TestRelay { relay, api, dir }
}

impl TestRelay {
    /// POSTs to the upstream simulator's console or admin routes; asserts success.
    pub async fn sim_post(&self, path: &str, body: Value) -> Value {
        let r = self
            .client
            .post(format!("{}{path}", self.relay.upstream_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        r.json().await.unwrap_or(Value::Null)
    }

    /// GETs one of the upstream simulator's console or admin routes.
    pub async fn sim_get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.relay.upstream_url);
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// A relay's HTTP API as browsers and Udesk use it, by base URL: a relay in this process or the
/// real binary in its own.
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

impl Api {
    pub fn new(base: String) -> Api {
        Api {
            base,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new anonymous visitor.
    pub async fn visitor(&self) -> VisitorResponse {
        let response = self
            .client
            .post(self.url("/v1/visitor"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A widget call: POSTs `body` to `path` with `token` as bearer.
    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A widget GET with `token` as bearer.
    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.text().await.unwrap()
    }

    /// The value of one metric line (`name` includes its labels), panicking when absent.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
    }

    /// POSTs a webhook body (as Udesk would) and returns the status.
    pub async fn push(&self, body: &Value) -> reqwest::StatusCode {
        self.client
            .post(self.url(&format!("/webhooks/udesk/{WEBHOOK_SECRET}")))
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
    }

    /// `GET /v1/events?token=…`, the answer as it comes (for status and raw-body checks).
    pub async fn raw_stream(&self, token: &str) -> reqwest::Response {
        let url = format!("{}?token={token}", self.url("/v1/events"));
        self.client.get(url).send().await.unwrap()
    }

    /// Opens the event stream; `resume` goes in the `Last-Event-ID` header or the query.
    pub async fn stream(&self, token: &str, resume: Resume) -> EventStream {
        let mut url = format!("{}?token={token}", self.url("/v1/events"));
        let mut request = self.client.get(&url);
        let (header, query) = match resume {
            Resume::Fresh => (None, None),
            Resume::Header(id) => (Some(id), None),
            Resume::Query(id) => (None, Some(id)),
            Resume::Both { header, query } => (Some(header), Some(query)),
        };
        if let Some(id) = query {
            url.push_str(&format!("&last_event_id={id}"));
            request = self.client.get(&url);
        }
        if let Some(id) = header {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "stream refused");
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "not an event stream"
        );
        EventStream(Box::pin(response.bytes_stream().eventsource()))
    }
}

/// Where a stream resumes.
#[derive(Clone, Copy)]
pub enum Resume {
    Fresh,
    Header(u64),
    Query(u64),
    /// A browser's reconnect after a page load: the page's URL still has its query id.
    Both {
        header: u64,
        query: u64,
    },
}

pub type Inner =
    Pin<Box<dyn Stream<Item = Result<Event, EventStreamError<reqwest::Error>>> + Send>>;

/// An SSE reader.
pub struct EventStream(Inner);

impl EventStream {
    pub fn new(inner: Inner) -> EventStream {
        EventStream(inner)
    }

    /// The next event with a name (skipping the bare `retry:` hint), or `None` when the stream
    /// ended or nothing came within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Ok(Some(Ok(event))) if event.event == "message" && event.data.is_empty() => {
                    continue
                }
                Ok(Some(Ok(event))) => return Some(event),
                Ok(Some(Err(err))) => panic!("stream error: {err}"),
                Ok(None) | Err(_) => return None,
            }
        }
    }

    /// The next `message` event, parsed; panics if something else or nothing comes.
    pub async fn message(&mut self) -> StreamMessage {
        let event = self
            .next_within(Duration::from_secs(10))
            .await
            .expect("no event within 10 s");
        assert_eq!(event.event, "message", "unexpected event {event:?}");
        let message: StreamMessage = udesk_protocol::from_str(&event.data).unwrap();
        assert_eq!(
            event.id,
            message.id.to_string(),
            "SSE id and data id differ"
        );
        message
    }

    /// The next event, which must be a `reset`.
    pub async fn reset(&mut self) -> StreamReset {
        let event = self
            .next_within(Duration::from_secs(5))
            .await
            .expect("no reset within 5 s");
        assert_eq!(event.event, "reset", "expected a reset, got {event:?}");
        serde_json::from_str(&event.data).unwrap()
    }

    /// The next message that `wanted` accepts (other events are skipped), within `wait`.
    pub async fn until(
        &mut self,
        wait: Duration,
        wanted: impl Fn(&StreamMessage) -> bool,
    ) -> StreamMessage {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self
                .next_within(left)
                .await
                .expect("the expected event did not arrive");
            if event.event == "message" {
                let message: StreamMessage = udesk_protocol::from_str(&event.data).unwrap();
                if wanted(&message) {
                    return message;
                }
            }
        }
    }

    /// The next `n` messages' Udesk message_ids.
    pub async fn message_ids(&mut self, n: usize) -> Vec<String> {
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(self.message().await.message.message_id);
        }
        ids
    }

    /// Whether the stream ends within `wait` (events before the end are skipped).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.0.next()).await {
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(err))) => panic!("stream error: {err}"),
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }

    /// Asserts nothing more arrives within `wait`.
    pub async fn assert_quiet(&mut self, wait: Duration) {
        if let Some(event) = self.next_within(wait).await {
            panic!("expected nothing more, got {event:?}");
        }
    }
}

/// Today's webhook shape: several agent text messages in one push.
pub fn agent_push(customer_token: &str, ids: &[&str]) -> Value {
    let messages: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"type": "message", "message_id": id, "agent_id": 7, "agent_name": "小明",
                   "im_sub_session_id": 1081, "data": {"content": format!("reply {id}")}})
        })
        .collect();
    json!({"customer_token": customer_token, "assign_type": "agent", "messages": messages})
}

/// The seed's webhook shape: one robot message.
pub fn robot_push(customer_token: &str, id: &str) -> Value {
    json!({"customer_token": customer_token, "assign_type": "robot",
           "message": {"type": "message", "message_id": id,
                       "data": {"question_id": 12, "question_title": "如何退货？", "answer": format!("answer {id}")}}})
}

/// An error answer's JSON, checking its shape.
pub async fn error_body(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "error answered {content_type} (status {status})"
    );
    let body: udesk_protocol::relay::ErrorBody = response.json().await.unwrap();
    (status, body.error, body.message)
}

/// The real `udesk-relay` binary, started as its own process.
pub struct RelayProcess {
    pub child: tokio::process::Child,
    pub base_url: String,
}

impl RelayProcess {
    /// Its HTTP API.
    pub fn api(&self) -> Api {
        Api::new(self.base_url.clone())
    }

    /// Starts the binary with `args` and waits for its `listening on` line.
    pub async fn spawn(args: &[String]) -> RelayProcess {
        use tokio::io::{AsyncBufReadExt, BufReader};
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_udesk-relay"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn udesk-relay");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("udesk-relay did not start within 30 s")
            .unwrap()
            .expect("udesk-relay exited before listening");
        let base_url = line
            .strip_prefix("udesk-relay listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        RelayProcess { child, base_url }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Reads every event of a fresh stream until it is quiet for `quiet`.
pub async fn drain_stream(
    client: &reqwest::Client,
    url: &str,
    quiet: Duration,
) -> Vec<StreamMessage> {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = EventStream(Box::pin(response.bytes_stream().eventsource()));
    let mut out = Vec::new();
    while let Some(event) = stream.next_within(quiet).await {
        assert_eq!(event.event, "message", "{event:?}");
        out.push(udesk_protocol::from_str(&event.data).unwrap());
    }
    out
}

/// A temporary data directory as an operator would keep one: 0700 (a relay warns about any other).
pub fn private_tempdir() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    dir
}

/// Everything the relay logs, as text, for tests that read its log (install it as a
/// `tracing_subscriber` writer).
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Takes what was logged so far.
    pub fn take(&self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut *self.0.lock().unwrap())).into_owned()
    }
}
