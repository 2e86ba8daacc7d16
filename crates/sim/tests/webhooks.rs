//! Reply notification delivery against a real receiver: retries keep message ids, nothing is
//! lost, per-customer order holds; both body shapes; every fault knob.

mod common;

use common::{eventually, kinds, messages_of, nonce, Receiver, Reply, Sim};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use udesk_sim::{Faults, RetryPolicy, SimConfig, WebhookShape};

fn config(receiver: &Receiver) -> SimConfig {
    SimConfig {
        webhook_url: Some(receiver.url()),
        webhook_timeout: Duration::from_millis(300),
        webhook_retry: RetryPolicy {
            initial_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_millis(120),
            max_attempts: 10,
        },
        ..SimConfig::for_tests()
    }
}

fn ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_failing_receiver_gets_the_same_message_until_it_accepts_and_order_holds() {
    let receiver = Receiver::start().await;
    // The first push fails three ways: a 500, a 503, and an answer slower than the timeout.
    receiver.script(&[
        Reply::Status(500),
        Reply::Status(503),
        Reply::Slow(Duration::from_millis(600)),
    ]);
    let sim = Sim::start(config(&receiver)).await;
    sim.robot_session("c_retry").await;
    for question in ["怎么退货", "运费怎么算", "如何开发票"] {
        sim.say("c_retry", None, question).await;
    }
    let delivered = receiver
        .wait_messages("c_retry", "three answers", |m| m.len() >= 3)
        .await;
    let written = sim.robot_answer_ids("c_retry").await;
    assert_eq!(ids(&delivered), written, "each answer once, in order");

    // The first push was tried four times with the same body.
    let all = receiver.all();
    let first_id = &written[0];
    let tries: Vec<_> = all
        .iter()
        .filter(|r| r.message_ids().contains(first_id))
        .collect();
    assert_eq!(tries.len(), 4, "{tries:#?}");
    assert!(
        tries.windows(2).all(|w| w[0].body == w[1].body),
        "same body, same message_id"
    );
    assert!(tries[3].accepted);
    // Nothing of a later push reached the receiver before the first was accepted.
    let later_first_seen = all
        .iter()
        .position(|r| !r.message_ids().contains(first_id))
        .unwrap();
    let first_accepted = all.iter().position(|r| r.accepted).unwrap();
    assert!(later_first_seen > first_accepted);

    // The simulator recorded every try.
    let attempts = sim.webhook_attempts().await;
    let mine: Vec<&Value> = attempts
        .iter()
        .filter(|a| a["message_ids"][0] == first_id.as_str())
        .collect();
    let outline: Vec<(u64, Value, &str)> = mine
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["status"].clone(),
                a["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outline,
        [
            (1, json!(500), "retrying"),
            (2, json!(503), "retrying"),
            (3, Value::Null, "retrying"),
            (4, json!(200), "delivered"),
        ]
    );
    assert!(
        mine[2]["error"].as_str().unwrap().contains("timed out"),
        "{}",
        mine[2]
    );
    assert_eq!(sim.admin("/admin/webhooks").await["pending"], 0);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn customers_do_not_wait_for_each_other() {
    let receiver = Receiver::start().await;
    receiver.script_for("c_slow", &[Reply::Status(500); 3]);
    let sim = Sim::start(config(&receiver)).await;
    sim.robot_session("c_slow").await;
    sim.say("c_slow", None, "你好").await;
    sim.robot_session("c_fast").await;
    sim.say("c_fast", None, "你好").await;
    receiver
        .wait_messages("c_slow", "c_slow's answer", |m| !m.is_empty())
        .await;
    let accepted = receiver.accepted();
    let at = |customer: &str| {
        accepted
            .iter()
            .find(|r| r.body["customer_token"] == customer)
            .map(|r| r.at)
            .unwrap()
    };
    assert!(
        at("c_fast") < at("c_slow"),
        "c_fast was not held up by c_slow's retries"
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_seed_shape_sends_one_message_per_push_and_todays_shape_batches() {
    for shape in [WebhookShape::Message, WebhookShape::Messages] {
        let receiver = Receiver::start().await;
        let sim = Sim::start(SimConfig {
            webhook_shape: shape,
            ..config(&receiver)
        })
        .await;
        let answer = sim.agent_session("c_shape").await;
        assert_eq!(answer["code"], 1000);
        // info_appoint + start_session are produced together, then the greeting.
        let messages = receiver
            .wait_messages("c_shape", "events and greeting", |m| m.len() >= 3)
            .await;
        assert_eq!(
            kinds(&messages),
            ["info_appoint", "start_session", "message"]
        );
        let pushes = receiver.accepted();
        for push in &pushes {
            assert_eq!(push.body["customer_token"], "c_shape");
            assert_eq!(push.body["assign_type"], "agent");
            let parsed: udesk_protocol::ReplyNotification =
                udesk_protocol::from_value(push.body.clone()).unwrap();
            assert!(!parsed.messages.is_empty());
        }
        match shape {
            WebhookShape::Message => {
                assert_eq!(pushes.len(), 3);
                assert!(pushes
                    .iter()
                    .all(|p| p.body["message"].is_object() && p.body.get("messages").is_none()));
            }
            WebhookShape::Messages => {
                assert_eq!(pushes.len(), 2);
                assert_eq!(
                    messages_of(&pushes[0].body).len(),
                    2,
                    "both events in one push"
                );
                assert!(pushes
                    .iter()
                    .all(|p| p.body["messages"].is_array() && p.body.get("message").is_none()));
            }
        }
        sim.sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_push_out_of_tries_is_given_up_visibly_and_later_pushes_go_on() {
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Status(500), Reply::Status(500)]);
    let sim = Sim::start(SimConfig {
        webhook_retry: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
            max_attempts: 2,
        },
        ..config(&receiver)
    })
    .await;
    sim.robot_session("c_give_up").await;
    sim.say("c_give_up", None, "你好").await;
    sim.say("c_give_up", None, "谢谢").await;
    let delivered = receiver
        .wait_messages("c_give_up", "second answer", |m| !m.is_empty())
        .await;
    let written = sim.robot_answer_ids("c_give_up").await;
    assert_eq!(ids(&delivered), [written[1].clone()]);
    let attempts = sim.webhook_attempts().await;
    assert_eq!(attempts[1]["outcome"], "gave_up");
    assert_eq!(attempts[1]["message_ids"][0], written[0].as_str());
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_push_is_recorded_without_the_secret_webhook_url() {
    // The receiver's URL holds its secret (the relay's is `/webhooks/udesk/<secret>`).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/webhooks/udesk/hook-secret-123",
        closed.local_addr().unwrap()
    );
    drop(closed);
    let sim = Sim::start(SimConfig {
        webhook_url: Some(url),
        webhook_retry: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(10),
            max_attempts: 1,
        },
        ..SimConfig::for_tests()
    })
    .await;
    sim.robot_session("c_secret").await;
    sim.say("c_secret", None, "你好").await;
    let attempts = eventually("a try", || sim.webhook_attempts(), |a| !a.is_empty()).await;
    assert_eq!(attempts[0]["outcome"], "gave_up");
    let error = attempts[0]["error"].as_str().unwrap();
    assert!(error.contains("connect"), "{error}");
    assert!(!error.contains("hook-secret-123"), "{error}");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn without_a_webhook_url_replies_are_recorded_and_the_url_can_be_set_later() {
    let receiver = Receiver::start().await;
    let sim = Sim::demo().await;
    sim.robot_session("c_later").await;
    sim.say("c_later", None, "你好").await;
    let attempts = eventually("a try", || sim.webhook_attempts(), |a| !a.is_empty()).await;
    assert_eq!(attempts[0]["outcome"], "not_sent");
    let (status, _) = sim
        .control("/admin/webhook", json!({"url": "ftp://nope"}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = sim
        .control("/admin/webhook", json!({"url": receiver.url()}))
        .await;
    assert_eq!(status, 200);
    sim.say("c_later", None, "谢谢").await;
    let messages = receiver
        .wait_messages("c_later", "answer", |m| !m.is_empty())
        .await;
    assert_eq!(messages.len(), 1);
    // The embedding API does the same.
    sim.sim.set_webhook_url(None);
    sim.say("c_later", None, "再见").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.messages_for("c_later").len(), 1);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_duplicate_fault_sends_every_push_twice() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(config(&receiver)).await;
    let (status, faults) = sim
        .control("/admin/faults", json!({"duplicate_webhooks": true}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(faults["duplicate_webhooks"], true);
    sim.robot_session("c_dup").await;
    sim.say("c_dup", None, "你好").await;
    sim.say("c_dup", None, "谢谢").await;
    let messages = receiver
        .wait_messages("c_dup", "four copies", |m| m.len() >= 4)
        .await;
    let written = sim.robot_answer_ids("c_dup").await;
    assert_eq!(
        ids(&messages),
        [&written[0], &written[0], &written[1], &written[1]].map(|s| s.clone())
    );
    let attempts = sim.webhook_attempts().await;
    assert_eq!(
        attempts.iter().filter(|a| a["duplicate"] == true).count(),
        2
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_delay_fault_holds_pushes_back() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        faults: Faults {
            webhook_delay_ms: 300,
            ..Faults::default()
        },
        ..config(&receiver)
    })
    .await;
    sim.robot_session("c_delay").await;
    let sent = Instant::now();
    sim.say("c_delay", None, "你好").await;
    receiver
        .wait_messages("c_delay", "answer", |m| !m.is_empty())
        .await;
    let arrived = receiver.accepted()[0].at;
    assert!(
        arrived - sent >= Duration::from_millis(300),
        "{:?}",
        arrived - sent
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_out_of_order_fault_delivers_a_burst_newest_first() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(config(&receiver)).await;
    sim.control("/admin/faults", json!({"out_of_order": true}))
        .await;
    sim.robot_session("c_order").await;
    for question in ["你好", "谢谢", "再见"] {
        sim.say("c_order", None, question).await;
    }
    let messages = receiver
        .wait_messages("c_order", "three answers", |m| m.len() >= 3)
        .await;
    let mut written = sim.robot_answer_ids("c_order").await;
    written.reverse();
    assert_eq!(ids(&messages), written, "newest first");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_fail_fault_answers_503_without_carrying_the_call_out() {
    let sim = Sim::demo().await;
    let (status, _) = sim
        .control("/admin/faults", json!({"fail_percent": 50}))
        .await;
    assert_eq!(status, 200);
    let mut outcomes = Vec::new();
    for i in 0..6 {
        let res = sim
            .http
            .post(sim.signed("/im/sessions", ""))
            .json(&json!({"customer_token": format!("c_fail_{i}")}))
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert!(
            body["message"].is_string() || body["code"] == 1000,
            "{body}"
        );
        outcomes.push(status);
    }
    assert_eq!(
        outcomes,
        [200, 503, 200, 503, 200, 503],
        "every second call fails"
    );
    let customers = sim.admin("/admin/customers").await;
    let created: Vec<&str> = customers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["token"].as_str().unwrap())
        .collect();
    assert_eq!(
        created,
        ["c_fail_0", "c_fail_2", "c_fail_4"],
        "failed calls did nothing"
    );
    // Console and admin pages are not affected.
    assert_eq!(
        sim.http
            .get(sim.url("/console/api/state"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sim.control("/admin/faults", json!({"fail_percent": 0}))
        .await;
    assert_eq!(sim.robot_session("c_fail_after").await["code"], 1000);
    let (status, answer) = sim
        .control("/admin/faults", json!({"fail_percent": 101}))
        .await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().unwrap().contains("fail_percent"));
    let (status, _) = sim
        .control("/admin/faults", json!({"no_such_knob": true}))
        .await;
    assert_eq!(status, 400);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_timeout_fault_carries_the_call_out_but_answers_too_late() {
    let sim = Sim::demo().await;
    sim.robot_session("c_timeout").await;
    sim.control(
        "/admin/faults",
        json!({"timeout_percent": 100, "timeout_ms": 5000}),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let message_id = nonce();
    let body = json!({"customer_token": "c_timeout", "message_id": message_id, "data": {"content": "你好"}});
    let started = Instant::now();
    let err = impatient
        .post(sim.signed("/im/messages", ""))
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // It happened, though the client never heard.
    let t = sim.transcript("c_timeout").await;
    assert_eq!(
        t.iter()
            .filter(|e| e["message_id"] == message_id.as_str())
            .count(),
        1
    );
    // The client's retry with the same message_id is not a second message.
    sim.control("/admin/faults", json!({"timeout_percent": 0}))
        .await;
    assert_eq!(sim.post("/im/messages", body).await["code"], 1000);
    let t = sim.transcript("c_timeout").await;
    assert_eq!(
        t.iter()
            .filter(|e| e["message_id"] == message_id.as_str())
            .count(),
        1
    );
    assert_eq!(
        t.iter().filter(|e| e["from"] == "robot").count(),
        2,
        "welcome + one answer"
    );
    // Shutting down does not wait for held-back answers.
    sim.control(
        "/admin/faults",
        json!({"timeout_percent": 100, "timeout_ms": 60000}),
    )
    .await;
    let held = {
        let http = sim.http.clone();
        let url = sim.signed("/im/agent_status", "");
        tokio::spawn(async move { http.get(url).send().await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = Instant::now();
    sim.sim.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "{:?}",
        stopping.elapsed()
    );
    let _ = held.await;
}

#[tokio::test]
async fn fault_knobs_from_the_config_show_on_the_admin_page() {
    let faults = Faults {
        duplicate_webhooks: true,
        webhook_delay_ms: 5,
        out_of_order: true,
        fail_percent: 10,
        timeout_percent: 20,
        timeout_ms: 1234,
    };
    let sim = Sim::start(SimConfig {
        faults: faults.clone(),
        ..SimConfig::for_tests()
    })
    .await;
    let shown: Faults = serde_json::from_value(sim.admin("/admin/faults").await).unwrap();
    assert_eq!(shown, faults);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_retrying_pushes_promptly() {
    let receiver = Receiver::start().await;
    receiver.script(&[Reply::Status(500); 50]);
    let sim = Sim::start(SimConfig {
        webhook_retry: RetryPolicy {
            initial_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
            max_attempts: 50,
        },
        ..config(&receiver)
    })
    .await;
    sim.robot_session("c_stop").await;
    sim.say("c_stop", None, "你好").await;
    let received = || async { receiver.all() };
    eventually("a first try", received, |all| !all.is_empty()).await;
    assert_eq!(
        sim.admin("/admin/webhooks").await["pending"],
        1,
        "waiting to retry"
    );
    let stopping = Instant::now();
    let addr = sim.sim.addr;
    sim.sim.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(1),
        "{:?}",
        stopping.elapsed()
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}
