//! Bounded memory: every record kind keeps only its newest entries (webhook tries, surveys,
//! ratings, closed sessions, transcript messages per customer), idle customers' transcripts are
//! dropped, and what is kept still works. Small limits, real sockets and a real receiver.

mod common;

use common::{eventually, Receiver, Sim};
use serde_json::{json, Value};
use std::time::Duration;
use udesk_sim::{AgentConfig, GroupConfig, Retention, SimConfig};

fn limited(receiver: &Receiver, retention: Retention) -> SimConfig {
    SimConfig {
        webhook_url: Some(receiver.url()),
        retention,
        ..SimConfig::for_tests()
    }
}

fn records(n: usize) -> Retention {
    Retention {
        records: n,
        ..Retention::default()
    }
}

/// Asks for the scripted agent, closes the session from the console, and returns its id.
async fn served_and_closed(sim: &Sim, customer: &str) -> u64 {
    let answer = sim.agent_session(customer).await;
    assert_eq!(answer["code"], 1000, "{answer}");
    let session = answer["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    let (status, body) = sim
        .control("/console/api/close", json!({"im_sub_session_id": session}))
        .await;
    assert_eq!(status, 200, "{body}");
    session
}

#[tokio::test]
async fn webhook_tries_keep_the_newest_and_count_the_forgotten_while_delivery_goes_on() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(limited(&receiver, records(3))).await;
    sim.robot_session("c_many").await;
    for question in [
        "怎么退货",
        "运费怎么算",
        "如何开发票",
        "忘记密码",
        "快递到哪了",
    ] {
        sim.say("c_many", None, question).await;
    }
    // Every answer is delivered, whatever the record keeps.
    receiver
        .wait_messages("c_many", "five answers", |m| m.len() == 5)
        .await;
    let page = eventually(
        "five tries recorded",
        || sim.admin("/admin/webhooks"),
        |p| {
            p["attempts"].as_array().unwrap().len() + p["forgotten"].as_u64().unwrap() as usize >= 5
        },
    )
    .await;
    let kept: Vec<String> = page["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["message_ids"][0].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page["forgotten"], 2, "{page}");
    let written = sim.robot_answer_ids("c_many").await;
    assert_eq!(kept, written[2..], "the newest three tries, oldest first");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn a_transcript_keeps_its_newest_messages_and_only_kept_answers_can_be_rated() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(limited(
        &receiver,
        Retention {
            transcript_messages: 4,
            ..Retention::default()
        },
    ))
    .await;
    sim.robot_session("c_long").await;
    // Welcome + 3 × (question, answer) = 7 entries; the newest 4 stay.
    sim.say("c_long", None, "怎么退货").await;
    let first_answer = receiver
        .wait_messages("c_long", "first answer", |m| m.len() == 1)
        .await[0]["message_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resent_id = common::nonce();
    let resend = json!({"customer_token": "c_long", "im_sub_session_id": 0,
        "message_id": resent_id, "type": "message", "data": {"content": "运费怎么算"}});
    assert_eq!(sim.post("/im/messages", resend.clone()).await["code"], 1000);
    sim.say("c_long", None, "如何开发票").await;
    receiver
        .wait_messages("c_long", "three answers", |m| m.len() == 3)
        .await;
    let transcript = sim.transcript("c_long").await;
    let said: Vec<(&str, &str)> = transcript
        .iter()
        .map(|e| {
            let text = e["data"]["content"]
                .as_str()
                .or(e["data"]["question_title"].as_str())
                .unwrap_or_default();
            (e["from"].as_str().unwrap(), text)
        })
        .collect();
    assert_eq!(said.len(), 4, "{said:?}");
    assert_eq!(said[0], ("customer", "运费怎么算"));
    assert_eq!(said[2], ("customer", "如何开发票"));
    assert!(transcript
        .windows(2)
        .all(|w| w[0]["seq"].as_u64() < w[1]["seq"].as_u64()));

    // A resend of a kept message is still a no-op.
    assert_eq!(sim.post("/im/messages", resend).await["code"], 1000);
    assert_eq!(sim.transcript("c_long").await.len(), 4);

    // The first answer scrolled out: it can no longer be rated; a kept one can.
    let rate = |message_id: &str, question_id: i64| {
        json!({"customer_token": "c_long", "message_id": message_id,
               "question_id": question_id, "useful": true})
    };
    let refused = sim
        .post("/im/robot/evaluations", rate(&first_answer, 101))
        .await;
    assert_eq!(refused["code"], 2005, "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("no longer kept"),
        "{refused}"
    );
    let kept = &transcript[3];
    let rated = sim
        .post(
            "/im/robot/evaluations",
            rate(
                kept["message_id"].as_str().unwrap(),
                kept["data"]["question_id"].as_i64().unwrap(),
            ),
        )
        .await;
    assert_eq!(rated["code"], 1000, "{rated}");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn surveys_ratings_and_closed_sessions_keep_the_newest_and_open_sessions_stay() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(limited(&receiver, records(2))).await;
    // An open session, older than every closed one: kept however many close after it.
    let open = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_open", "agent_id": 2}),
        )
        .await;
    assert_eq!(open["code"], 1000, "{open}");
    let open_id = open["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    let mut closed = Vec::new();
    for customer in ["c_s1", "c_s2", "c_s3"] {
        let session = served_and_closed(&sim, customer).await;
        let survey = sim
            .post(
                "/im/sessions/survey",
                json!({"im_sub_session_id": session, "option_id": 37}),
            )
            .await;
        assert_eq!(survey["code"], 1000, "{survey}");
        closed.push(session);
    }
    let sessions = sim.admin("/admin/sessions").await;
    let ids: Vec<u64> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [open_id, closed[1], closed[2]], "{sessions}");
    // The forgotten session is gone as far as the API is concerned; the kept ones still work.
    let late = sim
        .post(
            "/im/sessions/survey",
            json!({"im_sub_session_id": closed[0], "option_id": 36}),
        )
        .await;
    assert_eq!(late["code"], 9200, "{late}");
    let again = sim
        .post(
            "/im/sessions/survey",
            json!({"im_sub_session_id": closed[2], "option_id": 36}),
        )
        .await;
    assert_eq!(again["code"], 1000, "{again}");
    sim.say("c_open", Some(open_id), "still here").await;
    let surveys = sim.admin("/admin/surveys").await;
    let surveyed: Vec<(u64, u64)> = surveys
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["im_sub_session_id"].as_u64().unwrap(),
                s["option_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(surveyed, [(closed[1], 37), (closed[2], 36)], "{surveys}");

    // Ratings: three answers rated, the newest two kept.
    sim.robot_session("c_rater").await;
    for question in ["怎么退货", "如何开发票", "忘记密码了怎么办"] {
        sim.say("c_rater", None, question).await;
    }
    let answers: Vec<(String, i64)> = sim
        .transcript("c_rater")
        .await
        .iter()
        .filter(|e| e["from"] == "robot" && e["data"]["question_id"].is_i64())
        .map(|e| {
            (
                e["message_id"].as_str().unwrap().to_owned(),
                e["data"]["question_id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(answers.len(), 3);
    for (message_id, question_id) in &answers {
        let rated = sim
            .post(
                "/im/robot/evaluations",
                json!({"customer_token": "c_rater", "message_id": message_id,
                       "question_id": question_id, "useful": false}),
            )
            .await;
        assert_eq!(rated["code"], 1000, "{rated}");
    }
    let ratings = sim.admin("/admin/ratings").await;
    let rated: Vec<&str> = ratings
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(rated, [answers[1].0.as_str(), answers[2].0.as_str()]);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn idle_customers_lose_their_transcripts_but_not_themselves_and_open_sessions_keep_theirs() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        agents: vec![AgentConfig::new(1, "Ann")],
        groups: vec![GroupConfig::new(1, "Support", &[1])],
        ..limited(
            &receiver,
            Retention {
                idle_transcript: Duration::from_secs(1),
                ..Retention::default()
            },
        )
    })
    .await;
    sim.robot_session("c_robot").await;
    sim.say("c_robot", None, "怎么退货").await;
    let closed = served_and_closed(&sim, "c_closed").await;
    let waiting = sim.agent_session("c_talking").await;
    let session = waiting["assign_info"]["im_sub_session_id"]
        .as_u64()
        .unwrap();
    assert!(!sim.transcript("c_robot").await.is_empty());
    assert!(!sim.transcript("c_closed").await.is_empty());

    // The robot customer and the closed one go quiet; the one in session is open, so kept.
    let transcripts = eventually(
        "idle transcripts to go",
        || sim.admin("/admin/transcripts"),
        |t| t.get("c_robot").is_none() && t.get("c_closed").is_none(),
    )
    .await;
    assert!(
        transcripts["c_talking"]
            .as_array()
            .is_some_and(|t| !t.is_empty()),
        "{transcripts}"
    );
    // The console no longer lists the customer with nothing kept; the closed session still shows.
    let state = sim.admin("/console/api/state").await;
    let listed = |token: &str| -> Option<Value> {
        state["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["customer_token"] == token)
            .cloned()
    };
    assert!(listed("c_robot").is_none(), "{state}");
    let c_closed = listed("c_closed").unwrap();
    assert_eq!(c_closed["status"], "closed");
    assert_eq!(c_closed["messages"], 0);
    assert_eq!(c_closed["im_sub_session_id"], closed);
    assert_eq!(listed("c_talking").unwrap()["status"], "active");

    // The customers are still there: talking again works and starts a new transcript.
    let again = sim.say("c_robot", None, "如何开发票").await;
    assert_eq!(again["code"], 1000, "{again}");
    let fresh = sim
        .wait_transcript("c_robot", "a new answer", |t| t.len() == 2)
        .await;
    assert_eq!(fresh[0]["data"]["content"], "如何开发票");
    let customers = sim.admin("/admin/customers").await;
    assert_eq!(customers.as_array().unwrap().len(), 3);
    // The open session's customer kept everything through the sweeps.
    let (status, _) = sim
        .control(
            "/console/api/send",
            json!({"im_sub_session_id": session, "data": {"content": "hi"}}),
        )
        .await;
    assert_eq!(status, 200);
    let kept = sim.transcript("c_talking").await;
    assert_eq!(kept.first().unwrap()["type"], "info_appoint", "{kept:?}");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn a_retention_with_no_room_is_refused_at_start() {
    for retention in [
        records(0),
        Retention {
            transcript_messages: 0,
            ..Retention::default()
        },
        Retention {
            idle_transcript: Duration::ZERO,
            ..Retention::default()
        },
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = SimConfig {
            retention: retention.clone(),
            ..SimConfig::for_tests()
        };
        let err = udesk_sim::start(listener, config).await.err().unwrap();
        assert_eq!(
            err.kind(),
            std::io::ErrorKind::InvalidInput,
            "{retention:?}"
        );
        assert!(err.to_string().contains("retention"), "{err}");
    }
}
