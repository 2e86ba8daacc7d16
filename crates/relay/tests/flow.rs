//! The whole flow through the real simulator: a visitor talks to the robot, rates its answer,
//! asks for a person, talks to the agent and rates the service, every reply arriving on the
//! event stream by way of the simulator's webhooks.
//!
//! Twice: with the simulator embedded in the relay (`--upstream sim`, the demo setup), and over
//! a real network hop between two processes: the simulator serving on its own listener in this
//! test process, and the real `udesk-relay` binary started separately with `--upstream <URL>`.
//! (Cargo offers `CARGO_BIN_EXE_*` only for this package's binaries, and a nested `cargo build`
//! of `udesk-sim` would wait on the lock of the `cargo test` running it, so the simulator runs
//! as a library here; the relay is the separate process, and every call and webhook crosses
//! TCP between them.)

mod common;

use common::{error_body, Api, RelayProcess, Resume, IDENTITY_SECRET, WEBHOOK_SECRET};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpListener;
use udesk_protocol::content::{Content, EventKind};
use udesk_protocol::relay::StreamMessage;
use udesk_protocol::session::CreateSessionResponse;
use udesk_protocol::{AssignType, Code};

/// The agent session an event names, if any.
fn session_of(m: &StreamMessage) -> Option<u64> {
    match &m.message.content {
        Content::Event(EventKind::Transfer, data) => data.im_sub_session_id,
        _ => None,
    }
    .or(m.message.im_sub_session_id)
}

async fn whole_flow(relay: &Api) {
    let v = relay.visitor().await;
    let mut stream = relay.stream(&v.token, Resume::Fresh).await;

    // The robot.
    let r = relay.post_as(&v.token, "/v1/sessions", json!({})).await;
    assert_eq!(r.status(), 200);
    let session: CreateSessionResponse = r.json().await.unwrap();
    assert_eq!(session.code, Code::SUCCESS);
    assert_eq!(session.assign_type, Some(AssignType::Robot));

    let r = relay
        .post_as(
            &v.token,
            "/v1/messages",
            json!({"message_id": "flow-1", "type": "message", "data": {"content": "我想退货"}}),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let answer = stream
        .until(Duration::from_secs(15), |m| {
            m.assign_type == AssignType::Robot
        })
        .await;
    let Content::RobotAnswer(robot) = &answer.message.content else {
        panic!("expected a robot answer, got {:?}", answer.message.content)
    };
    assert!(
        robot.answer.as_deref().unwrap_or("").contains("退货"),
        "{robot:?}"
    );
    assert!(robot.is_ratable());
    let r = relay
        .post_as(
            &v.token,
            "/v1/robot/evaluations",
            json!({"message_id": answer.message.message_id,
            "question_id": robot.question_id, "useful": true}),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    // A person.
    let r = relay
        .post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    let session: CreateSessionResponse = r.json().await.unwrap();
    assert!(
        matches!(session.code, Code::SUCCESS | Code::QUEUED),
        "{session:?}"
    );
    let status = relay.get_as(&v.token, "/v1/queue_status").await;
    assert_eq!(status.status(), 200);

    let from_agent = stream
        .until(Duration::from_secs(20), |m| {
            m.assign_type == AssignType::Agent && session_of(m).is_some()
        })
        .await;
    let im_sub_session_id = session
        .im_sub_session_id()
        .or_else(|| session_of(&from_agent))
        .unwrap();
    let last_seen = from_agent.id;
    let r = relay.post_as(&v.token, "/v1/messages", json!({"message_id": "flow-2",
            "im_sub_session_id": im_sub_session_id, "type": "message", "data": {"content": "你好，我的订单还没到"}}))
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let reply = stream
        .until(Duration::from_secs(20), |m| {
            m.id > last_seen && m.assign_type == AssignType::Agent && !m.message.content.is_event()
        })
        .await;
    assert_eq!(reply.message.im_sub_session_id, Some(im_sub_session_id));

    // Another visitor cannot touch this session.
    let other = relay.visitor().await;
    let r = relay
        .post_as(
            &other.token,
            "/v1/surveys",
            json!({"im_sub_session_id": im_sub_session_id, "option_id": 1}),
        )
        .await;
    assert_eq!(error_body(r).await.0, 403);
}

#[tokio::test]
async fn whole_flow_through_the_embedded_simulator() {
    let t = common::start(&[]).await;
    assert!(t.relay.console_url.is_some());
    let config: Value = t
        .client
        .get(t.url("/v1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["simulator"], true);
    whole_flow(&t.api).await;
}

/// A free loopback port for a process started next (the OS picks it; it is released at once).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn over_the_network(api_style: &str) {
    let relay_port = free_port();
    let sim_config = udesk_sim::SimConfig {
        webhook_url: Some(format!(
            "http://127.0.0.1:{relay_port}/webhooks/udesk/{WEBHOOK_SECRET}"
        )),
        ..udesk_sim::SimConfig::default()
    };
    let (email, token) = (sim_config.email.clone(), sim_config.token.clone());
    let sim = udesk_sim::start(TcpListener::bind("127.0.0.1:0").await.unwrap(), sim_config)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "--listen",
        &format!("127.0.0.1:{relay_port}"),
        "--upstream",
        &sim.base_url(),
        "--udesk-email",
        &email,
        "--udesk-token",
        &token,
        "--api-style",
        api_style,
        "--store",
        &format!("sqlite:{}", dir.path().join("relay.sqlite3").display()),
        "--webhook-secret",
        WEBHOOK_SECRET,
        "--identity-secret",
        IDENTITY_SECRET,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let relay = RelayProcess::spawn(&args).await;
    whole_flow(&relay.api()).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn whole_flow_over_a_network_hop_to_a_separate_simulator() {
    over_the_network("current").await;
}

#[tokio::test]
async fn whole_flow_with_the_seed_paths() {
    over_the_network("seed").await;
}
