//! The robot end to end: questions over `POST /im/messages`, answers pushed to a real webhook
//! receiver as `assign_type: robot` robot answers.

mod common;

use common::{kinds, Receiver, Sim};
use serde_json::Value;
use udesk_sim::{KnowledgeBase, SimConfig};

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
