//! Agents, groups and the queue; the scripted demo agent; the agent console; the served media.
//! Real sockets throughout; pick-up delays in milliseconds.

mod common;

use common::{kinds, Receiver, Sim};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use udesk_sim::{AgentConfig, GroupConfig, SimConfig};

/// One group of one agent with capacity 1, picking up after `pickup`.
fn one_agent(receiver: &Receiver, pickup: Duration) -> SimConfig {
    SimConfig {
        agents: vec![AgentConfig::new(1, "Ann").capacity(1)],
        groups: vec![GroupConfig::new(1, "Support", &[1])],
        pickup_delay: pickup,
        webhook_url: Some(receiver.url()),
        ..SimConfig::for_tests()
    }
}

#[tokio::test]
async fn the_queue_moves_from_waiting_to_assigning_to_in_session() {
    let receiver = Receiver::start().await;
    let pickup = Duration::from_millis(150);
    let sim = Sim::start(one_agent(&receiver, pickup)).await;

    // A: the agent has room, so A is being assigned (2001, count 0).
    let a = sim.agent_session("c_a").await;
    assert_eq!(a["code"], 2001, "{a}");
    assert_eq!(a["assign_info"]["count"], 0);
    assert_eq!(a["assign_info"]["im_sub_session_id"], 0);
    assert_eq!(sim.queue_status("c_a").await, ("分配中".into(), 0));
    // B and C queue behind A, in order.
    let b = sim.agent_session("c_b").await;
    assert_eq!(b["code"], 2001);
    assert_eq!(b["assign_info"]["count"], 1);
    assert_eq!(b["message"], "当前客服正繁忙，您排在第1位。");
    let c = sim.agent_session("c_c").await;
    assert_eq!(c["assign_info"]["count"], 2);
    assert_eq!(c["message"], "当前客服正繁忙，您排在第2位。");
    assert_eq!(sim.queue_status("c_b").await, ("排队中".into(), 1));
    assert_eq!(sim.queue_status("c_c").await, ("排队中".into(), 2));
    let status = sim.get("/im/customer_status", "customer_token=c_b").await;
    assert_eq!(status["status"], 2);
    // Asking again while queued gives the same place, not a second session.
    assert_eq!(sim.agent_session("c_c").await["assign_info"]["count"], 2);

    // After the pick-up delay A is in session, told by info_appoint then start_session.
    let a_session = sim.wait_session_state("c_a", "active").await;
    assert_eq!(sim.queue_status("c_a").await, ("会话中".into(), 0));
    let a_messages = receiver
        .wait_messages("c_a", "A's events", |m| m.len() >= 2)
        .await;
    assert_eq!(kinds(&a_messages), ["info_appoint", "start_session"]);
    assert_eq!(a_messages[1]["data"]["im_sub_session_id"], a_session);
    assert_eq!(a_messages[1]["im_sub_session_id"], a_session);
    assert_eq!(a_messages[1]["agent_name"], "Ann");
    let gap = receiver
        .accepted()
        .iter()
        .filter(|r| r.body["customer_token"] == "c_a")
        .map(|r| r.at)
        .collect::<Vec<Instant>>();
    assert!(
        gap[1] - gap[0] >= pickup - Duration::from_millis(20),
        "picked up after the delay"
    );
    // Asking again now answers 1000 with the session and the agent.
    let again = sim.agent_session("c_a").await;
    assert_eq!(again["code"], 1000);
    assert_eq!(again["assign_info"]["im_sub_session_id"], a_session);
    assert_eq!(again["assign_info"]["agent_name"], "Ann");

    // Closing A frees the agent: B moves up to assigning, C to first place.
    let (status, body) = sim
        .control(
            "/console/api/close",
            json!({"im_sub_session_id": a_session}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.queue_status("c_a").await, ("未排队".into(), 0));
    assert_eq!(sim.queue_status("c_b").await, ("分配中".into(), 0));
    assert_eq!(sim.queue_status("c_c").await, ("排队中".into(), 1));
    sim.wait_session_state("c_b", "active").await;
    assert_eq!(sim.queue_status("c_b").await, ("会话中".into(), 0));
    let a_close = receiver
        .wait_messages("c_a", "close", |m| m.len() >= 3)
        .await;
    assert_eq!(a_close[2]["type"], "close");
    assert_eq!(a_close[2]["data"]["close_type"], "normal");
    assert!(
        a_close[2]["data"]["survey_options"]["enabled"] == true,
        "after_session survey offered"
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn no_agent_online_answers_2002_and_coming_online_serves_the_queue() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    // Group 3 has only Bob, who is offline.
    let answer = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_vip", "group_id": 3}),
        )
        .await;
    assert_eq!(answer["code"], 2002, "{answer}");
    assert_eq!(answer["assign_info"]["count"], 0);
    assert!(answer["message"].as_str().unwrap().contains("没有客服在线"));
    assert_eq!(sim.queue_status("c_vip").await, ("未排队".into(), 0));
    let by_agent = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_vip", "agent_id": 3}),
        )
        .await;
    assert_eq!(by_agent["code"], 2002);

    // Alice (group 2) goes offline while a customer waits for her; back online, she takes them.
    let (status, _) = sim
        .control("/admin/agents/2", json!({"online": false}))
        .await;
    assert_eq!(status, 200);
    let refused = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_wait", "group_id": 2}),
        )
        .await;
    assert_eq!(refused["code"], 2002);
    sim.control("/admin/agents/2", json!({"online": true}))
        .await;
    let served = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_wait", "group_id": 2}),
        )
        .await;
    assert_eq!(served["code"], 1000, "{served}");
    assert_eq!(served["assign_info"]["agent_name"], "Alice");
    let presence = sim.get("/im/agent_status", "group_id=2").await;
    assert_eq!(presence["agents"][0]["im_status"], "online");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn a_specific_agent_is_waited_for_while_others_serve_the_group() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        agents: vec![
            AgentConfig::new(1, "Ann").capacity(1),
            AgentConfig::new(2, "Ben").capacity(1),
        ],
        groups: vec![GroupConfig::new(1, "Support", &[1, 2])],
        webhook_url: Some(receiver.url()),
        ..SimConfig::for_tests()
    })
    .await;
    let first = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_1", "agent_id": 1}),
        )
        .await;
    assert_eq!(first["assign_info"]["agent_id"], 1);
    // Wants Ann, who is full: waits, though Ben is free.
    let wants_ann = sim
        .post(
            "/im/sessions",
            json!({"customer_token": "c_2", "agent_id": 1}),
        )
        .await;
    assert_eq!(wants_ann["code"], 2001);
    // Anyone will do: Ben takes them at once, ahead of the customer waiting for Ann.
    let anyone = sim.agent_session("c_3").await;
    assert_eq!(anyone["code"], 1000);
    assert_eq!(anyone["assign_info"]["agent_id"], 2);
    let ann_session = first["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    sim.control(
        "/console/api/close",
        json!({"im_sub_session_id": ann_session}),
    )
    .await;
    assert_eq!(sim.queue_status("c_2").await, ("会话中".into(), 0));
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_scripted_agent_sends_every_message_type_on_demo_commands() {
    let receiver = Receiver::start().await;
    let sim = Sim::with_receiver(&receiver).await;
    let answer = sim.agent_session("c_demo").await;
    assert_eq!(answer["code"], 1000);
    assert_eq!(answer["assign_info"]["agent_name"], "小明 Xiaoming");
    let session = answer["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    // Events, then the greeting.
    let start = receiver
        .wait_messages("c_demo", "greeting", |m| m.len() >= 3)
        .await;
    assert_eq!(kinds(&start), ["info_appoint", "start_session", "message"]);
    assert!(start[2]["data"]["content"]
        .as_str()
        .unwrap()
        .contains("demo help"));

    // An ordinary message gets an acknowledgement.
    sim.say("c_demo", Some(session), "我的订单还没到").await;
    let ack = receiver
        .wait_messages("c_demo", "ack", |m| m.len() >= 4)
        .await;
    assert!(ack[3]["data"]["content"]
        .as_str()
        .unwrap()
        .contains("我的订单还没到"));

    sim.say("c_demo", Some(session), "demo all").await;
    let all = receiver
        .wait_messages("c_demo", "demo all", |m| m.len() >= 11)
        .await;
    assert_eq!(
        kinds(&all[4..]),
        ["message", "rich", "image", "audio", "video", "file", "struct"]
    );
    let text = &all[4];
    assert_eq!(text["data"]["font"]["family"], "微软雅黑");
    for m in &all[4..] {
        assert_eq!(m["agent_id"], 1);
        assert_eq!(m["im_sub_session_id"], session);
        assert!(
            m["message_created_at"].as_str().unwrap().len() == 19,
            "YYYY-MM-DD hh:mm:ss"
        );
    }
    // Media messages point at files the simulator serves, of the right kind and size.
    for (i, content_type) in [
        (6, "image/png"),
        (7, "audio/wav"),
        (8, "video/mp4"),
        (9, "application/pdf"),
    ] {
        let data = &all[i]["data"];
        let url = data["content"].as_str().unwrap();
        let res = sim.http.get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{url}");
        assert_eq!(res.headers()["content-type"], content_type);
        let bytes = res.bytes().await.unwrap();
        assert!(data["filename"].as_str().is_some_and(|f| !f.is_empty()));
        let size = data["filesize"].as_str().unwrap();
        assert!(size.ends_with('K') || size.ends_with('B'), "{size}");
        assert!(!bytes.is_empty());
    }
    assert!(
        all[7]["data"]["duration"].as_f64().unwrap() > 0.5,
        "audio has a duration"
    );
    assert!(
        all[8]["data"]["duration"].as_f64().unwrap() > 0.5,
        "video has a duration"
    );
    let card = all[10]["data"]["content"].as_str().unwrap();
    assert!(card.starts_with("##UDESK_IM_STRUCT_MSG##"), "{card}");
    let card: Value = serde_json::from_str(&card["##UDESK_IM_STRUCT_MSG##".len()..]).unwrap();
    let buttons: Vec<&str> = card["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["type"].as_str().unwrap())
        .collect();
    assert_eq!(buttons, ["link", "phone", "sdk_callback"]);
    // Everything parses as the protocol's typed content.
    for push in receiver.accepted() {
        let parsed: udesk_protocol::ReplyNotification =
            udesk_protocol::from_value(push.body.clone()).unwrap();
        for m in parsed.messages {
            assert!(!matches!(
                m.content,
                udesk_protocol::Content::Unknown { .. }
            ));
        }
    }

    // survey, transfer (a new session id), close.
    sim.say("c_demo", Some(session), "demo survey").await;
    let survey = receiver
        .wait_messages("c_demo", "survey", |m| m.len() >= 12)
        .await;
    assert_eq!(survey[11]["type"], "survey");
    assert_eq!(
        survey[11]["data"]["survey_options"]["methods"][1]["flag"],
        "agent_invite"
    );

    sim.say("c_demo", Some(session), "DEMO transfer").await;
    let transfer = receiver
        .wait_messages("c_demo", "transfer", |m| m.len() >= 13)
        .await;
    let event = &transfer[12];
    assert_eq!(event["type"], "transfer");
    let new_session = event["data"]["im_sub_session_id"].as_u64().unwrap();
    assert_ne!(new_session, session);
    assert_eq!(event["data"]["agent_name"], "Alice");
    // The old session is over; the new one works.
    let old = sim.say("c_demo", Some(session), "hello?").await;
    assert_eq!(old["code"], 9200);
    assert_eq!(
        sim.say("c_demo", Some(new_session), "hi Alice").await["code"],
        1000
    );
    let sessions = sim.admin("/admin/sessions").await;
    let old_state = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == session)
        .unwrap();
    assert_eq!(old_state["state"]["close_type"], "redirect");

    // Alice is not scripted: closing comes from the console.
    let (status, _) = sim
        .control(
            "/console/api/close",
            json!({"im_sub_session_id": new_session}),
        )
        .await;
    assert_eq!(status, 200);
    let closed = receiver
        .wait_messages("c_demo", "close", |m| m.len() >= 14)
        .await;
    assert_eq!(closed[13]["type"], "close");
    assert_eq!(closed[13]["data"]["im_sub_session_id"], new_session);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn demo_close_ends_the_session_with_the_survey_and_auto_reply_can_be_off() {
    let receiver = Receiver::start().await;
    let sim = Sim::start(SimConfig {
        auto_reply: false,
        webhook_url: Some(receiver.url()),
        ..SimConfig::for_tests()
    })
    .await;
    let session = sim.agent_session("c_quiet").await["assign_info"]["im_sub_session_id"]
        .as_u64()
        .unwrap();
    receiver
        .wait_messages("c_quiet", "greeting", |m| m.len() >= 3)
        .await;
    sim.say("c_quiet", Some(session), "hello").await;
    sim.say("c_quiet", Some(session), "demo close").await;
    let messages = receiver
        .wait_messages("c_quiet", "close", |m| m.len() >= 4)
        .await;
    assert_eq!(
        kinds(&messages),
        ["info_appoint", "start_session", "message", "close"],
        "no acknowledgement of 'hello'"
    );
    let close = &messages[3]["data"];
    assert_eq!(close["close_type"], "normal");
    assert_eq!(close["survey_options"]["show_type"], "star");
    // The closed session can still be surveyed.
    let survey = sim
        .post(
            "/im/sessions/survey",
            json!({"im_sub_session_id": session, "option_id": 36}),
        )
        .await;
    assert_eq!(survey["code"], 1000);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn the_console_picks_up_answers_with_any_type_invites_transfers_and_closes() {
    let receiver = Receiver::start().await;
    let mut config = one_agent(&receiver, Duration::from_secs(30));
    config.agents.push(AgentConfig::new(2, "Ben"));
    config.groups[0].agent_ids.push(2);
    config.agents[1].online = false;
    let sim = Sim::start(config).await;

    // The page itself.
    let page = sim.http.get(sim.url("/console")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("/console/api/state") && html.contains("Pick up"));

    sim.robot_session("c_console").await;
    sim.say("c_console", None, "怎么退货").await;
    let first = sim.agent_session("c_first").await; // takes Ann's only slot (assigning for 30 s)
    assert_eq!(first["code"], 2001);
    let waiting = sim.agent_session("c_console").await;
    assert_eq!(waiting["assign_info"]["count"], 1);

    let state = sim.admin("/console/api/state").await;
    let me = state["customers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["customer_token"] == "c_console")
        .unwrap()
        .clone();
    assert_eq!(me["status"], "queued");
    assert_eq!(me["queue_position"], 1);
    assert_eq!(
        state["customers"][0]["status"], "queued",
        "waiting customers come first"
    );
    assert_eq!(state["groups"][0]["queue"].as_array().unwrap().len(), 1);
    assert_eq!(state["media"].as_array().unwrap().len(), 4);
    let session = me["im_sub_session_id"].as_u64().unwrap();
    let transcript = sim
        .admin("/console/api/transcript?customer_token=c_console")
        .await;
    assert!(
        transcript["entries"].as_array().unwrap().len() >= 3,
        "robot history is visible"
    );

    // Sending before anyone took the customer is refused.
    let (status, body) = sim
        .control(
            "/console/api/send",
            json!({"im_sub_session_id": session, "type": "message", "data": {"content": "hi"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // A person at the console takes the customer for Ann, even over her capacity.
    let (status, body) = sim
        .control(
            "/console/api/pickup",
            json!({"im_sub_session_id": session, "agent_id": 1}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.queue_status("c_console").await, ("会话中".into(), 0));
    let (status, _) = sim
        .control(
            "/console/api/pickup",
            json!({"im_sub_session_id": session, "agent_id": 1}),
        )
        .await;
    assert_eq!(status, 400, "already picked up");

    let media = state["media"].as_array().unwrap();
    let sends = [
        json!({"type": "message", "data": {"content": "您好", "font": {"family": "serif", "size": "18px", "color": "#ff0000", "bold": true}}}),
        json!({"type": "rich", "data": {"content": "<p><b>Rich</b></p>"}}),
        json!({"type": "image", "data": {"content": media[0]["url"], "filename": media[0]["filename"]}}),
        json!({"type": "audio", "data": {"content": media[1]["url"], "duration": 1.2}}),
        json!({"type": "video", "data": {"content": media[2]["url"], "filesize": media[2]["filesize"]}}),
        json!({"type": "file", "data": {"content": media[3]["url"], "filename": "guide.pdf", "filesize": "1K"}}),
        json!({"type": "struct", "data": {"content": "##UDESK_IM_STRUCT_MSG##{\"title\":\"Card\",\"buttons\":[{\"type\":\"phone\",\"text\":\"Call\",\"value\":\"123\"}]}"}}),
    ];
    for send in &sends {
        let mut body = send.clone();
        body["im_sub_session_id"] = json!(session);
        let (status, answer) = sim.control("/console/api/send", body).await;
        assert_eq!(status, 200, "{send}: {answer}");
    }
    let (status, answer) = sim
        .control(
            "/console/api/send",
            json!({"im_sub_session_id": session, "type": "image", "data": {"content": 5}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(answer["message"].as_str().unwrap().contains("data.content"));
    let (status, _) = sim
        .control(
            "/console/api/send",
            json!({"im_sub_session_id": session, "type": "close", "data": {}}),
        )
        .await;
    assert_eq!(status, 400, "events go through their own actions");

    let (status, _) = sim
        .control("/console/api/survey", json!({"im_sub_session_id": session}))
        .await;
    assert_eq!(status, 200);
    let (status, answer) = sim
        .control(
            "/console/api/transfer",
            json!({"im_sub_session_id": session, "agent_id": 2}),
        )
        .await;
    assert_eq!(status, 400, "Ben is offline: {answer}");
    sim.control("/console/api/agents/2", json!({"online": true}))
        .await;
    let (status, _) = sim
        .control(
            "/console/api/transfer",
            json!({"im_sub_session_id": session, "agent_id": 2}),
        )
        .await;
    assert_eq!(status, 200);
    let messages = receiver
        .wait_messages("c_console", "console messages", |m| {
            m.iter().any(|m| m["type"] == "transfer")
        })
        .await;
    let agent_kinds = kinds(&messages);
    let from_pickup = agent_kinds
        .iter()
        .position(|k| k == "info_appoint")
        .unwrap();
    assert_eq!(
        agent_kinds[from_pickup..],
        [
            "info_appoint",
            "start_session",
            "message",
            "rich",
            "image",
            "audio",
            "video",
            "file",
            "struct",
            "survey",
            "transfer"
        ]
    );
    let new_session = messages.last().unwrap()["data"]["im_sub_session_id"]
        .as_u64()
        .unwrap();
    let (status, _) = sim
        .control(
            "/console/api/close",
            json!({"im_sub_session_id": new_session, "close_type": "force"}),
        )
        .await;
    assert_eq!(status, 200);
    let closed = receiver
        .wait_messages("c_console", "close", |m| {
            m.last().is_some_and(|m| m["type"] == "close")
        })
        .await;
    assert_eq!(closed.last().unwrap()["data"]["close_type"], "force");
    let (status, _) = sim
        .control(
            "/console/api/close",
            json!({"im_sub_session_id": new_session}),
        )
        .await;
    assert_eq!(status, 404, "already closed");
    let (status, _) = sim
        .control("/console/api/close", json!({"im_sub_session_id": "x"}))
        .await;
    assert_eq!(status, 400);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn media_is_served_with_types_and_byte_ranges() {
    let sim = Sim::demo().await;
    let video = sim
        .http
        .get(sim.url("/media/demo.mp4"))
        .send()
        .await
        .unwrap();
    assert_eq!(video.headers()["accept-ranges"], "bytes");
    let whole = video.bytes().await.unwrap();
    assert_eq!(&whole[4..8], b"ftyp");
    let part = sim
        .http
        .get(sim.url("/media/demo.mp4"))
        .header("range", "bytes=4-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 4-7/{}", whole.len())
    );
    assert_eq!(&part.bytes().await.unwrap()[..], b"ftyp");
    let beyond = sim
        .http
        .get(sim.url("/media/demo.mp4"))
        .header("range", format!("bytes={}-", whole.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    let png = sim
        .http
        .get(sim.url("/media/avatar/7.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let wav = sim
        .http
        .get(sim.url("/media/demo.wav"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&wav[..4], b"RIFF");
    let pdf = sim
        .http
        .get(sim.url("/media/demo.pdf"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(
        sim.http
            .get(sim.url("/media/nothing.gif"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    // Messages use the public URL when one is configured.
    let public = Sim::start(SimConfig {
        public_url: Some("https://chat.example.com/sim/".into()),
        ..SimConfig::for_tests()
    })
    .await;
    let robot = public.robot_session("c_pub").await;
    assert_eq!(
        robot["assign_info"]["robot_avatar"],
        "https://chat.example.com/sim/media/avatar/robot.png"
    );
    public.sim.shutdown().await;
    sim.sim.shutdown().await;
}
