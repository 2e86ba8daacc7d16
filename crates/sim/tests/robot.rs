//! The robot end to end: questions over `POST /im/messages`, answers pushed to a real webhook
//! receiver as `assign_type: robot` robot answers, and its `robot_transfer` hand-over when the
//! customer gets an agent.

mod common;

use common::{kinds, messages_of, Receiver, Sim};
use serde_json::{json, Value};
use udesk_sim::{AgentConfig, GroupConfig, KnowledgeBase, SimConfig, WebhookShape};

/// Asks the robot and returns the data of its (next) answer.
async fn ask(sim: &Sim, receiver: &Receiver, customer: &str, question: &str) -> Value {
    let before = receiver.messages_for(customer).len();
    let sent = sim.say(customer, None, question).await;
    assert_eq!(sent["code"], 1000, "{sent}");
    let messages = receiver
        .wait_messages(customer, question, |m| m.len() > before)
        .await;
    messages[before]["data"].clone()
}

#[tokio::test]
async fn different_wordings_reach_the_same_answer_in_both_languages() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    sim.robot_session("c_words").await;
    for question in [
        "如何开发票？",
        "发票怎么申请",
        "我要开增值税专用发票！",
        "电子发票在哪下载",
    ] {
        let answer = ask(&sim, &receiver, "c_words", question).await;
        assert_eq!(answer["question_id"], 107, "{question}: {answer}");
        assert_eq!(answer["question_title"], "如何开发票？");
    }
    for question in [
        "How do I get an invoice?",
        "i need an INVOICE",
        "Where can I download my invoices",
        "VAT invoice please",
    ] {
        let answer = ask(&sim, &receiver, "c_words", question).await;
        assert_eq!(answer["question_id"], 207, "{question}: {answer}");
    }
    // Every push was a robot push, in today's `messages` shape.
    for push in receiver.accepted() {
        assert_eq!(push.body["assign_type"], "robot");
        assert!(push.body["messages"].is_array());
    }
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn an_answer_carries_everything_the_spec_lists() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    sim.robot_session("c_full").await;
    ask(&sim, &receiver, "c_full", "退货流程是什么").await;
    let message = &receiver.messages_for("c_full")[0];
    assert_eq!(message["type"], "message");
    assert!(message["message_id"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
    assert!(
        message.get("agent_id").is_none(),
        "robot messages carry no agent"
    );
    let data = &message["data"];
    assert_eq!(data["question_id"], 101);
    assert!(
        data["answer"].as_str().unwrap().contains("<ol>"),
        "safe HTML answer"
    );
    assert_eq!(data["gus_list"][0]["question_title"], "退款多久到账？");
    assert_eq!(data["relate_list"][0]["question_title"], "如何取消订单？");
    assert_eq!(
        data["third_url"]["url"],
        "https://help.udesk-chat.local/zh/returns"
    );
    // It parses as the protocol's robot answer.
    let parsed: udesk_protocol::ReplyNotification =
        udesk_protocol::from_value(receiver.accepted()[0].body.clone()).unwrap();
    assert!(matches!(
        parsed.messages[0].content,
        udesk_protocol::Content::RobotAnswer(ref a) if a.is_ratable()
    ));
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn small_talk_unknown_questions_and_requests_for_a_person() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    sim.robot_session("c_talk").await;
    let kb = KnowledgeBase::bundled();

    let hello = ask(&sim, &receiver, "c_talk", "您好!").await;
    assert_eq!(hello["question_id"], 0, "small talk is question 0: {hello}");
    let thanks = ask(&sim, &receiver, "c_talk", "Thanks a lot!").await;
    assert_eq!(thanks["question_id"], 0);
    assert!(thanks["answer"].as_str().unwrap().contains("welcome"));

    let unknown = ask(&sim, &receiver, "c_talk", "火星上的天气怎么样").await;
    assert_eq!(unknown["answer"], kb.robot.unknow_message.zh.as_str());
    assert_eq!(
        unknown["gus_list"].as_array().unwrap().len(),
        3,
        "suggests what it knows"
    );
    let unknown_en = ask(
        &sim,
        &receiver,
        "c_talk",
        "what is the airspeed of a swallow",
    )
    .await;
    assert_eq!(unknown_en["answer"], kb.robot.unknow_message.en.as_str());

    for (question, text) in [
        ("转人工", &kb.robot.transfer_message.zh),
        ("我要人工服务", &kb.robot.transfer_message.zh),
        ("human", &kb.robot.transfer_message.en),
        ("Can I talk to an agent?", &kb.robot.transfer_message.en),
    ] {
        let answer = ask(&sim, &receiver, "c_talk", question).await;
        assert_eq!(answer["answer"], text.as_str(), "{question}");
        assert_eq!(answer["question_id"], 0);
    }
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn another_knowledge_base_can_be_loaded_from_a_file() {
    let dir = std::env::temp_dir().join(format!("udesk-sim-kb-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("kb.json");
    std::fs::write(
        &path,
        r#"{"robot": {"name": "Bot", "welcome_message": "Welcome to Acme",
             "unknow_message": {"zh": "不知道", "en": "No idea"},
             "transfer_message": {"zh": "转", "en": "Transferring"}},
            "entries": [{"id": 7, "question": "Where are you based?", "similar": ["office location"],
                         "keywords": ["office", "address"], "answer": "Springfield"}]}"#,
    )
    .unwrap();
    let kb = KnowledgeBase::from_path(&path).unwrap();
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        knowledge_base: kb,
        webhook_url: Some(receiver.url()),
        ..SimConfig::for_tests()
    })
    .await;
    let session = sim.robot_session("c_acme").await;
    assert_eq!(session["assign_info"]["robot_name"], "Bot");
    assert_eq!(session["message"], "Welcome to Acme");
    assert_eq!(
        ask(&sim, &receiver, "c_acme", "where is your office?").await["answer"],
        "Springfield"
    );
    assert_eq!(
        ask(&sim, &receiver, "c_acme", "how do I return an item").await["answer"],
        "No idea"
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"robot": {"name": "x"}, "entries": []}"#).unwrap();
    let err = KnowledgeBase::from_path(&bad).unwrap_err().to_string();
    assert!(
        err.contains("welcome_message"),
        "the error names the missing field: {err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        kinds(&receiver.messages_for("c_acme")),
        ["message", "message"]
    );
    sim.sim.shutdown().await;
}

/// The pushes (assign_type, message types) the receiver accepted for `customer`, in order.
fn pushes_for(receiver: &Receiver, customer: &str) -> Vec<(String, Vec<String>)> {
    receiver
        .accepted()
        .iter()
        .filter(|r| r.body["customer_token"] == customer)
        .map(|r| {
            let assign_type = r.body["assign_type"].as_str().unwrap().to_owned();
            (assign_type, kinds(&messages_of(&r.body)))
        })
        .collect()
}

#[tokio::test]
async fn accepting_the_transfer_offer_hands_over_with_robot_transfer_before_the_agent_events() {
    for shape in [WebhookShape::Messages, WebhookShape::Message] {
        let receiver = Receiver::start().await;
        let sim = Sim::start(SimConfig {
            webhook_shape: shape,
            webhook_url: Some(receiver.url()),
            ..SimConfig::for_tests()
        })
        .await;
        sim.robot_session("c_handover").await;
        let offer = ask(&sim, &receiver, "c_handover", "转人工").await;
        assert!(
            offer["answer"].as_str().unwrap().contains("转人工"),
            "{offer}"
        );
        // The customer accepts: create-session asking for an agent (the scripted agent, at once).
        let answer = sim.agent_session("c_handover").await;
        assert_eq!(answer["code"], 1000, "{answer}");
        let session = answer["assign_info"]["im_sub_session_id"].as_u64().unwrap();
        let messages = receiver
            .wait_messages("c_handover", "hand-over and greeting", |m| m.len() >= 5)
            .await;
        assert_eq!(
            kinds(&messages),
            [
                "message",
                "robot_transfer",
                "info_appoint",
                "start_session",
                "message"
            ],
            "{shape:?}"
        );
        let handover = &messages[1];
        assert!(
            handover["data"]["content"]
                .as_str()
                .unwrap()
                .starts_with("正在为您转接人工客服…"),
            "{handover}"
        );
        assert!(handover["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Transferring you to an agent"));
        assert_eq!(handover["data"]["im_sub_session_id"], session);
        assert!(handover["message_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()));
        let parsed: udesk_protocol::ReplyMessage =
            udesk_protocol::from_value(handover.clone()).unwrap();
        assert!(matches!(
            parsed.content,
            udesk_protocol::Content::Event(udesk_protocol::content::EventKind::RobotTransfer, _)
        ));
        // Pushed by the robot, the agent events by the agent.
        let pushes = pushes_for(&receiver, "c_handover");
        let by = |kind: &str| {
            pushes
                .iter()
                .find(|(_, kinds)| kinds.iter().any(|k| k == kind))
                .map(|(assign_type, _)| assign_type.clone())
                .unwrap()
        };
        assert_eq!(by("robot_transfer"), "robot");
        assert_eq!(by("info_appoint"), "agent");
        // The transcript has it from the robot, in the same place.
        let transcript = sim.transcript("c_handover").await;
        let said: Vec<(&str, &str)> = transcript
            .iter()
            .map(|e| (e["from"].as_str().unwrap(), e["type"].as_str().unwrap()))
            .collect();
        assert_eq!(
            said[..5],
            [
                ("robot", "message"),
                ("customer", "message"),
                ("robot", "message"),
                ("robot", "robot_transfer"),
                ("agent", "info_appoint")
            ]
        );
        sim.sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_queued_customer_from_the_robot_hears_robot_transfer_at_once_and_info_appoint_later() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        agents: vec![AgentConfig::new(1, "Ann").capacity(1)],
        groups: vec![GroupConfig::new(1, "Support", &[1])],
        webhook_url: Some(receiver.url()),
        ..SimConfig::for_tests()
    })
    .await;
    // Ann is busy with c_first, who came straight to an agent: no robot_transfer for them.
    let first = sim.agent_session("c_first").await;
    assert_eq!(first["code"], 1000, "{first}");
    let first_session = first["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    receiver
        .wait_messages("c_first", "agent events", |m| m.len() >= 2)
        .await;
    assert_eq!(
        kinds(&receiver.messages_for("c_first")),
        ["info_appoint", "start_session"]
    );

    // c_second talks to the robot (welcome only counts too), then queues behind c_first.
    sim.robot_session("c_second").await;
    let queued = sim.agent_session("c_second").await;
    assert_eq!(queued["code"], 2001, "{queued}");
    assert_eq!(queued["assign_info"]["count"], 1);
    let handover = receiver
        .wait_messages("c_second", "robot_transfer", |m| !m.is_empty())
        .await;
    assert_eq!(kinds(&handover), ["robot_transfer"]);
    // The console's list shows the hand-over's words, not just its type.
    let console = sim.admin("/console/api/state").await;
    let row = console["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer_token"] == "c_second")
        .cloned()
        .unwrap();
    assert_eq!(row["status"], "queued");
    assert!(
        row["last_text"]
            .as_str()
            .unwrap()
            .starts_with("🤖 [robot_transfer] 正在为您转接人工客服…"),
        "{row}"
    );
    // Asking again while queued is the same session: no second hand-over.
    assert_eq!(sim.agent_session("c_second").await["code"], 2001);
    // Ann frees up; c_second is served after the hand-over, in order.
    let (status, _) = sim
        .control(
            "/console/api/close",
            json!({"im_sub_session_id": first_session}),
        )
        .await;
    assert_eq!(status, 200);
    let messages = receiver
        .wait_messages("c_second", "agent events", |m| m.len() >= 3)
        .await;
    assert_eq!(
        kinds(&messages),
        ["robot_transfer", "info_appoint", "start_session"]
    );
    let session = messages[2]["im_sub_session_id"].as_u64().unwrap();
    assert_eq!(messages[0]["data"]["im_sub_session_id"], session);

    // Back to an agent after that session closes, without the robot in between: no hand-over.
    sim.control("/console/api/close", json!({"im_sub_session_id": session}))
        .await;
    let again = sim.agent_session("c_second").await;
    assert_eq!(again["code"], 1000, "{again}");
    let messages = receiver
        .wait_messages("c_second", "second session", |m| m.len() >= 6)
        .await;
    assert_eq!(
        kinds(&messages[3..]),
        ["close", "info_appoint", "start_session"]
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn no_agent_online_means_no_hand_over_and_the_robot_keeps_the_customer() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    sim.robot_session("c_alone").await;
    ask(&sim, &receiver, "c_alone", "怎么退货").await;
    // Group 3's only agent is offline: 2002, and the robot says nothing about a transfer.
    let refused = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_alone", "group_id": 3}),
        )
        .await;
    assert_eq!(refused["code"], 2002, "{refused}");
    // The next (successful) request still gets the hand-over.
    let served = sim.agent_session("c_alone").await;
    assert_eq!(served["code"], 1000, "{served}");
    let messages = receiver
        .wait_messages("c_alone", "hand-over", |m| m.len() >= 4)
        .await;
    assert_eq!(
        kinds(&messages[..4]),
        ["message", "robot_transfer", "info_appoint", "start_session"]
    );
    sim.sim.shutdown().await;
}
