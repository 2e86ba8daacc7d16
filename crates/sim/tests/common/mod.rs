//! Test harness: a simulator on an ephemeral port, a client that signs like the relay does, and a
//! webhook receiver (a real axum server) whose answers a test scripts.

#![allow(dead_code)]

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use udesk_protocol::sign::SignedQuery;
use udesk_sim::{RunningSim, SimConfig};

pub const EMAIL: &str = "demo@udesk-chat.local";
pub const TOKEN: &str = "udesk-chat-demo-token";

/// A running simulator and a client for it.
pub struct Sim {
    pub sim: RunningSim,
    pub http: reqwest::Client,
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The query string of a v2-signed call made now.
pub fn signed_query() -> String {
    query_of(&SignedQuery::v2(EMAIL, TOKEN, now(), &nonce()))
}

pub fn query_of(q: &SignedQuery) -> String {
    let mut s = format!(
        "email={}&timestamp={}&sign={}",
        q.email, q.timestamp, q.sign
    );
    if let Some(nonce) = &q.nonce {
        s.push_str(&format!("&nonce={nonce}"));
    }
    if let Some(v) = &q.sign_version {
        s.push_str(&format!("&sign_version={v}"));
    }
    s
}

impl Sim {
    pub async fn start(config: SimConfig) -> Sim {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = udesk_sim::start(listener, config).await.unwrap();
        Sim {
            sim,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        }
    }

    pub async fn demo() -> Sim {
        Sim::start(SimConfig::for_tests()).await
    }

    /// A config for tests whose webhooks go to `receiver`.
    pub async fn with_receiver(receiver: &Receiver) -> Sim {
        Sim::start(SimConfig {
            webhook_url: Some(receiver.url()),
            ..SimConfig::for_tests()
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    /// `path` with a fresh v2 signature appended (and `extra` query parameters).
    pub fn signed(&self, path: &str, extra: &str) -> String {
        let mut url = format!("{}?{}", self.url(path), signed_query());
        if !extra.is_empty() {
            url.push('&');
            url.push_str(extra);
        }
        url
    }

    /// A signed POST; asserts HTTP 200 (Udesk answers every outcome with 200) and returns the body.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(self.signed(path, ""))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "POST {path} {body}");
        res.json().await.unwrap()
    }

    /// A signed GET with query parameters; asserts HTTP 200.
    pub async fn get(&self, path: &str, query: &str) -> Value {
        let res = self
            .http
            .get(self.signed(path, query))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "GET {path}?{query}");
        res.json().await.unwrap()
    }

    /// An unsigned GET of an inspection page.
    pub async fn admin(&self, path: &str) -> Value {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    /// An unsigned POST to the console or admin API: (status, body).
    pub async fn control(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn robot_session(&self, customer: &str) -> Value {
        let answer = self
            .post("/im/sessions", json!({"customer_token": customer}))
            .await;
        assert_eq!(answer["code"], 1000, "{answer}");
        answer
    }

    pub async fn agent_session(&self, customer: &str) -> Value {
        self.post(
            "/im/sessions",
            json!({"customer_token": customer, "assign_type": "agent"}),
        )
        .await
    }

    /// Sends a text to the robot (`session` None) or an agent session.
    pub async fn say(&self, customer: &str, session: Option<u64>, text: &str) -> Value {
        self.post(
            "/im/messages",
            json!({
                "customer_token": customer,
                "im_sub_session_id": session.unwrap_or(0),
                "message_id": nonce(),
                "type": "message",
                "data": {"content": text}
            }),
        )
        .await
    }

    pub async fn queue_status(&self, customer: &str) -> (String, u64) {
        let v = self
            .get("/im/queue_status", &format!("customer_token={customer}"))
            .await;
        assert_eq!(v["code"], 1000, "{v}");
        (
            v["status"].as_str().unwrap().to_owned(),
            v["count"].as_u64().unwrap(),
        )
    }

    /// The customer's transcript as the admin page shows it.
    pub async fn transcript(&self, customer: &str) -> Vec<Value> {
        let all = self
            .admin(&format!("/admin/transcripts?customer_token={customer}"))
            .await;
        all[customer].as_array().cloned().unwrap_or_default()
    }

    /// The message ids of the robot's answers in the customer's transcript, in the order the
    /// simulator wrote them.
    pub async fn robot_answer_ids(&self, customer: &str) -> Vec<String> {
        self.transcript(customer)
            .await
            .iter()
            .filter(|e| e["from"] == "robot" && e["data"]["question_id"].is_i64())
            .map(|e| e["message_id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Waits until the transcript satisfies `check`.
    pub async fn wait_transcript(
        &self,
        customer: &str,
        what: &str,
        check: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        eventually(what, || self.transcript(customer), |t| check(t)).await
    }

    pub async fn webhook_attempts(&self) -> Vec<Value> {
        self.admin("/admin/webhooks").await["attempts"]
            .as_array()
            .cloned()
            .unwrap()
    }

    /// Waits until the customer's current or last agent session is in `state`, and returns its id.
    pub async fn wait_session_state(&self, customer: &str, state: &str) -> u64 {
        let last_session = || async {
            let sessions = self.admin("/admin/sessions").await;
            sessions
                .as_array()
                .unwrap()
                .iter()
                .rev()
                .find(|s| s["customer_token"] == customer)
                .cloned()
        };
        let what = format!("{customer} to be {state}");
        let in_state = |s: &Option<Value>| s.as_ref().is_some_and(|s| s["state"]["state"] == state);
        let session = eventually(&what, last_session, in_state).await;
        session.and_then(|s| s["id"].as_u64()).unwrap()
    }
}

/// How the receiver answers one push.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    /// Wait, then answer 200: meant to be longer than the simulator's webhook timeout, so the
    /// push counts as not accepted.
    Slow(Duration),
}

/// A webhook receiver: records every push it gets and answers as scripted (200 once the script
/// runs out).
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
    /// Scripts for one customer's pushes, used before the shared one.
    scripts_for: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
}

/// One push as the receiver saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub body: Value,
    /// What the receiver answered.
    pub accepted: bool,
    pub at: Instant,
}

impl Received {
    /// The message ids in this push, in order, whichever shape it has.
    pub fn message_ids(&self) -> Vec<String> {
        messages_of(&self.body)
            .iter()
            .map(|m| m["message_id"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// The messages of a push, whichever shape it has.
pub fn messages_of(body: &Value) -> Vec<Value> {
    match (&body["messages"], &body["message"]) {
        (Value::Array(list), _) => list.clone(),
        (_, one @ Value::Object(_)) => vec![one.clone()],
        _ => panic!("no message(s) in {body}"),
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            addr: listener.local_addr().unwrap(),
            received: Arc::default(),
            script: Arc::default(),
            scripts_for: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(receiver.clone());
        // Lives as long as the test's runtime.
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        receiver
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// Answers the next pushes in this order.
    pub fn script(&self, replies: &[Reply]) {
        self.script.lock().unwrap().extend(replies.iter().copied());
    }

    /// Answers the next pushes for `customer` in this order.
    pub fn script_for(&self, customer: &str, replies: &[Reply]) {
        self.scripts_for
            .lock()
            .unwrap()
            .entry(customer.to_owned())
            .or_default()
            .extend(replies.iter().copied());
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Pushes answered 200.
    pub fn accepted(&self) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.accepted).collect()
    }

    /// Messages (in arrival order) of accepted pushes for `customer`.
    pub fn messages_for(&self, customer: &str) -> Vec<Value> {
        self.accepted()
            .iter()
            .filter(|r| r.body["customer_token"] == customer)
            .flat_map(|r| messages_of(&r.body))
            .collect()
    }

    /// Waits until `check` holds for the accepted messages of `customer`.
    pub async fn wait_messages(
        &self,
        customer: &str,
        what: &str,
        check: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        let messages = || async { self.messages_for(customer) };
        eventually(what, messages, |m| check(m)).await
    }
}

async fn hook(State(receiver): State<Receiver>, Json(body): Json<Value>) -> StatusCode {
    let customer = body["customer_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let reply = receiver
        .scripts_for
        .lock()
        .unwrap()
        .get_mut(&customer)
        .and_then(VecDeque::pop_front)
        .or_else(|| receiver.script.lock().unwrap().pop_front());
    // Recorded on arrival, so the order of `received` is the order pushes came in.
    receiver.received.lock().unwrap().push(Received {
        body,
        accepted: reply.is_none() || matches!(reply, Some(Reply::Status(200))),
        at: Instant::now(),
    });
    match reply {
        None => StatusCode::OK,
        Some(Reply::Status(code)) => StatusCode::from_u16(code).unwrap(),
        Some(Reply::Slow(wait)) => {
            tokio::time::sleep(wait).await;
            StatusCode::OK
        }
    }
}

/// The `type`s of messages, in order.
pub fn kinds(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Fetches with `fetch` every 10 ms until `check` holds (then returns what was fetched),
/// failing the test after 5 s with `what` and the last value.
pub async fn eventually<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut fetch: impl FnMut() -> F,
    check: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let value = fetch().await;
        if check(&value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; got {value:#?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
