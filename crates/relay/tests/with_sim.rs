//! The relay against the real simulator's richer behaviour: both webhook shapes with duplicated
//! pushes, transfer, close and survey, "no agent online", a send retried after a timeout, and
//! failing API calls. The simulator runs without human-scale delays (`SimConfig::for_tests`)
//! and is driven through its agent console and admin routes, as a person or Udesk would.

mod common;

use common::{error_body, start_with_sim, EventStream, Resume, TestRelay};
use serde_json::{json, Value};
use std::time::Duration;
use udesk_protocol::content::{Content, EventKind};
use udesk_protocol::relay::StreamMessage;
use udesk_protocol::session::CreateSessionResponse;
use udesk_protocol::{AssignType, Code};
use udesk_sim::{SimConfig, WebhookShape};

/// Asks for an agent and returns the session the simulator's push names.
async fn agent_session(t: &TestRelay, token: &str, stream: &mut EventStream) -> u64 {
    let r = t
        .post_as(token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    let answer: CreateSessionResponse = r.json().await.unwrap();
    assert!(
        matches!(answer.code, Code::SUCCESS | Code::QUEUED),
        "{answer:?}"
    );
    let event = stream
        .until(Duration::from_secs(15), |m| {
            m.assign_type == AssignType::Agent && m.message.im_sub_session_id.is_some()
        })
        .await;
    answer
        .im_sub_session_id()
        .or(event.message.im_sub_session_id)
        .unwrap()
}

#[tokio::test]
async fn both_simulator_webhook_shapes_with_duplicates_arrive_exactly_once_in_order() {
    for shape in [WebhookShape::Message, WebhookShape::Messages] {
        let t = start_with_sim(
            SimConfig {
                webhook_shape: shape,
                ..SimConfig::for_tests()
            },
            &[],
        )
        .await;
        t.sim_post("/admin/faults", json!({"duplicate_webhooks": true}))
            .await;
        let v = t.visitor().await;
        let mut stream = t.stream(&v.token, Resume::Fresh).await;

        t.post_as(&v.token, "/v1/sessions", json!({})).await;
        t.post_as(
            &v.token,
            "/v1/messages",
            json!({"message_id": "q1", "type": "message", "data": {"content": "我想退货"}}),
        )
        .await;
        let robot = stream
            .until(Duration::from_secs(15), |m| {
                m.assign_type == AssignType::Robot
            })
            .await;
        assert!(matches!(robot.message.content, Content::RobotAnswer(_)));

        let session = agent_session(&t, &v.token, &mut stream).await;
        // Let the scripted greeting settle, then the agent writes three lines, one with an attack.
        tokio::time::sleep(Duration::from_millis(500)).await;
        while stream
            .next_within(Duration::from_millis(300))
            .await
            .is_some()
        {}
        for (i, content) in ["一", "<img src=x onerror=alert(1)>二", "三"]
            .iter()
            .enumerate()
        {
            let kind = if i == 1 { "rich" } else { "message" };
            t.sim_post(
                "/console/api/send",
                json!({"im_sub_session_id": session, "type": kind, "data": {"content": content}}),
            )
            .await;
        }
        let mut texts = Vec::new();
        for _ in 0..3 {
            let m = stream
                .until(Duration::from_secs(15), |m| !m.message.content.is_event())
                .await;
            texts.push(match m.message.content {
                Content::Text(t) => t.content,
                Content::Rich(r) => r.content,
                other => panic!("{other:?}"),
            });
        }
        assert_eq!(texts[0], "一", "{shape:?}");
        assert!(
            texts[1].ends_with('二') && !texts[1].contains("onerror"),
            "{shape:?}: {}",
            texts[1]
        );
        assert_eq!(texts[2], "三", "{shape:?}");
        stream.assert_quiet(Duration::from_millis(700)).await;

        // The duplicates were really sent, and answered 200 each time.
        let tries = t
            .sim_get(&format!(
                "/admin/webhooks?customer_token={}",
                v.customer_token
            ))
            .await;
        let tries = tries["attempts"].as_array().unwrap();
        assert!(
            tries.iter().any(|a| a["duplicate"] == true),
            "{shape:?}: no duplicate was sent"
        );
        assert!(tries.iter().all(|a| a["status"] == 200), "{tries:?}");

        // And a reconnect from scratch replays each message once.
        let mut again = t.stream(&v.token, Resume::Fresh).await;
        let mut ids = Vec::new();
        while let Some(e) = again.next_within(Duration::from_millis(500)).await {
            let m: StreamMessage = udesk_protocol::from_str(&e.data).unwrap();
            ids.push(m.message.message_id);
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            ids.len(),
            "{shape:?}: a message arrived twice"
        );
    }
}

#[tokio::test]
async fn transfer_close_and_survey_through_the_simulator() {
    let t = start_with_sim(SimConfig::for_tests(), &[]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    let first = agent_session(&t, &v.token, &mut stream).await;

    t.sim_post(
        "/console/api/transfer",
        json!({"im_sub_session_id": first, "agent_id": 2}),
    )
    .await;
    let transfer = stream
        .until(Duration::from_secs(15), |m| {
            matches!(m.message.content, Content::Event(EventKind::Transfer, _))
        })
        .await;
    let Content::Event(_, data) = &transfer.message.content else {
        unreachable!()
    };
    let second = data
        .im_sub_session_id
        .expect("a transfer names the new session");
    assert_ne!(second, first);

    // The new session is the visitor's now (the push said so).
    let r = t
        .post_as(
            &v.token,
            "/v1/messages",
            json!({"message_id": "after-transfer",
        "im_sub_session_id": second, "type": "message", "data": {"content": "还在吗？"}}),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);

    t.sim_post("/console/api/close", json!({"im_sub_session_id": second}))
        .await;
    let close = stream
        .until(Duration::from_secs(15), |m| {
            matches!(m.message.content, Content::Event(EventKind::Close, _))
        })
        .await;
    let Content::Event(_, data) = &close.message.content else {
        unreachable!()
    };
    let options = data
        .survey_options
        .as_ref()
        .expect("close carries the survey");
    let choice = options
        .choices()
        .into_iter()
        .next()
        .expect("an option to pick");
    let r = t
        .post_as(
            &v.token,
            "/v1/surveys",
            json!({"im_sub_session_id": second, "option_id": choice.id, "remark": "很好"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let surveys = t.sim_get("/admin/surveys").await;
    let ours: Vec<&Value> = surveys
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["customer_token"] == v.customer_token.as_str())
        .collect();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["option_id"], choice.id);
    assert_eq!(ours[0]["remark"], "很好");
}

#[tokio::test]
async fn no_agent_online_is_a_normal_2002_answer() {
    let t = start_with_sim(SimConfig::for_tests(), &[]).await;
    for agent in [1, 2, 3] {
        t.sim_post(&format!("/admin/agents/{agent}"), json!({"online": false}))
            .await;
    }
    let v = t.visitor().await;
    let r = t
        .post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    let answer: CreateSessionResponse = r.json().await.unwrap();
    assert_eq!(answer.code, Code::NO_AGENT);
    assert!(answer.message.is_some());
}

#[tokio::test]
async fn a_send_retried_after_an_upstream_timeout_is_one_message() {
    let t = start_with_sim(SimConfig::for_tests(), &["--upstream-timeout-ms", "300"]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    t.post_as(&v.token, "/v1/sessions", json!({})).await;

    // Udesk carries the send out but its answer never comes in time.
    t.sim_post(
        "/admin/faults",
        json!({"timeout_percent": 100, "timeout_ms": 1500}),
    )
    .await;
    let send =
        json!({"message_id": "retry-1", "type": "message", "data": {"content": "退款多久到账"}});
    let (status, error, _) =
        error_body(t.post_as(&v.token, "/v1/messages", send.clone()).await).await;
    assert_eq!((status, error.as_str()), (504, "upstream_timeout"));

    // The widget retries with the same message_id: one message, one answer.
    t.sim_post("/admin/faults", json!({"timeout_percent": 0}))
        .await;
    assert_eq!(
        t.post_as(&v.token, "/v1/messages", send).await.status(),
        200
    );
    stream
        .until(Duration::from_secs(15), |m| {
            m.assign_type == AssignType::Robot
        })
        .await;
    stream.assert_quiet(Duration::from_millis(700)).await;
    let transcript = t
        .sim_get(&format!(
            "/admin/transcripts?customer_token={}",
            v.customer_token
        ))
        .await;
    let entries = transcript[&v.customer_token].as_array().unwrap();
    let sent = entries
        .iter()
        .filter(|e| e["message_id"] == "retry-1")
        .count();
    assert_eq!(sent, 1, "{entries:?}");
}

#[tokio::test]
async fn failing_simulator_calls_become_502_json() {
    let t = start_with_sim(SimConfig::for_tests(), &[]).await;
    t.sim_post("/admin/faults", json!({"fail_percent": 100}))
        .await;
    let v = t.visitor().await;
    let (status, error, _) = error_body(t.post_as(&v.token, "/v1/sessions", json!({})).await).await;
    assert_eq!((status, error.as_str()), (502, "upstream_unavailable"));
}
