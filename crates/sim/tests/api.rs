//! The Udesk API surface over real HTTP: signing, every endpoint's success and error answers,
//! both path prefixes and both survey paths, Open API customers.

mod common;

use common::{nonce, now, query_of, Sim, EMAIL, TOKEN};
use serde_json::{json, Value};
use udesk_protocol::sign::{sign_v1, SignedQuery};

/// The code and message of an answer; asserts the message says something.
fn refusal(answer: &Value) -> (i64, String) {
    let code = answer["code"].as_i64().expect("a code");
    let message = answer["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        code == 1000 || !message.is_empty(),
        "refusal without a message: {answer}"
    );
    (code, message)
}

async fn raw_get(sim: &Sim, path_and_query: &str) -> Value {
    let res = sim.http.get(sim.url(path_and_query)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{path_and_query}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn calls_without_a_good_signature_are_refused_with_udesk_codes() {
    let sim = Sim::demo().await;
    let path = "/im/agent_status";

    let unsigned = refusal(&raw_get(&sim, path).await);
    assert_eq!(unsigned.0, 2059, "{unsigned:?}");

    let wrong_token = SignedQuery::v2(EMAIL, "not-the-token", now(), &nonce());
    let (code, message) =
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&wrong_token))).await);
    assert_eq!(code, 2059);
    assert!(message.contains("sign"), "{message}");

    let wrong_email = SignedQuery::v2("someone@else.com", TOKEN, now(), &nonce());
    assert_eq!(
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&wrong_email))).await).0,
        2059
    );

    let mut bad_time = SignedQuery::v2(EMAIL, TOKEN, now(), &nonce());
    bad_time.timestamp = "yesterday".into();
    assert_eq!(
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&bad_time))).await).0,
        20621
    );

    let stale = SignedQuery::v2(EMAIL, TOKEN, now() - 600, &nonce());
    assert_eq!(
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&stale))).await).0,
        20622
    );

    // A timestamp at the edge of i64 is a clock skew, not a dropped connection.
    let mut far_past = SignedQuery::v2(EMAIL, TOKEN, now(), &nonce());
    far_past.timestamp = i64::MIN.to_string();
    assert_eq!(
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&far_past))).await).0,
        20622
    );

    let mut no_nonce = SignedQuery::v2(EMAIL, TOKEN, now(), "n");
    no_nonce.nonce = None;
    assert_eq!(
        refusal(&raw_get(&sim, &format!("{path}?{}", query_of(&no_nonce))).await).0,
        20624
    );

    let once = SignedQuery::v2(EMAIL, TOKEN, now(), &nonce());
    let url = format!("{path}?{}", query_of(&once));
    assert_eq!(
        refusal(&raw_get(&sim, &url).await).0,
        1000,
        "first use of the nonce"
    );
    let (code, message) = refusal(&raw_get(&sim, &url).await);
    assert_eq!(code, 20623, "replayed nonce: {message}");

    // v1: SHA-1, no nonce; the same request may repeat.
    let ts = now();
    let v1 = format!(
        "{path}?email={EMAIL}&timestamp={ts}&sign={}",
        sign_v1(EMAIL, TOKEN, ts)
    );
    assert_eq!(refusal(&raw_get(&sim, &v1).await).0, 1000);
    assert_eq!(refusal(&raw_get(&sim, &v1).await).0, 1000);
    let v1_wrong = format!(
        "{path}?email={EMAIL}&timestamp={ts}&sign={}",
        sign_v1(EMAIL, "x", ts)
    );
    assert_eq!(refusal(&raw_get(&sim, &v1_wrong).await).0, 2059);

    // Signed POSTs are refused the same way, and nothing happens.
    let res = sim
        .http
        .post(sim.url("/open_api_v1/im/sessions"))
        .json(&json!({"customer_token": "c_unsigned"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["code"], 2059);
    assert!(sim
        .admin("/admin/customers")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // Pages that are not Udesk's API need no signature.
    assert_eq!(
        sim.http
            .get(sim.url("/console"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        sim.http
            .get(sim.url("/media/demo.png"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn every_route_is_served_under_both_prefixes_and_both_survey_paths() {
    let sim = Sim::demo().await;
    for (i, prefix) in ["", "/open_api_v1"].into_iter().enumerate() {
        let customer = format!("c_prefix_{i}");
        let robot = sim
            .post(
                &format!("{prefix}/im/sessions"),
                json!({"customer_token": customer}),
            )
            .await;
        assert_eq!(robot["assign_type"], "robot", "{prefix}: {robot}");
        let sent = sim
            .post(
                &format!("{prefix}/im/messages"),
                json!({"customer_token": customer, "message_id": nonce(), "data": {"content": "你好"}}),
            )
            .await;
        assert_eq!(sent["code"], 1000, "{prefix}: {sent}");
        for (route, query) in [
            ("/im/queue_status", format!("customer_token={customer}")),
            ("/im/customer_status", format!("customer_token={customer}")),
            ("/im/agent_status", String::new()),
        ] {
            let v = sim.get(&format!("{prefix}{route}"), &query).await;
            assert_eq!(v["code"], 1000, "{prefix}{route}: {v}");
        }
        let agent = sim
            .post(
                &format!("{prefix}/im/sessions"),
                json!({"customer_token": customer, "assign_type": "agent"}),
            )
            .await;
        let session = agent["assign_info"]["im_sub_session_id"].as_u64().unwrap();
        for survey_path in ["/im_sessions/survey", "/im/sessions/survey"] {
            let v = sim
                .post(
                    &format!("{prefix}{survey_path}"),
                    json!({"im_sub_session_id": session, "option_id": 37}),
                )
                .await;
            assert_eq!(v["code"], 1000, "{prefix}{survey_path}: {v}");
        }
        let rating = sim
            .post(
                &format!("{prefix}/im/robot/evaluations"),
                json!({"customer_token": customer, "message_id": "nope", "question_id": 1, "useful": true}),
            )
            .await;
        assert_eq!(
            rating["code"], 2005,
            "the route exists and checks its input: {rating}"
        );
    }
    let customer = sim
        .post(
            "/open_api_v1/customers",
            json!({"customer": {"nick_name": "Ada", "open_api_token": "c_ada"}}),
        )
        .await;
    assert_eq!(customer["code"], 1000, "{customer}");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn a_robot_session_welcomes_and_creates_an_anonymous_customer() {
    let sim = Sim::demo().await;
    let answer = sim.robot_session("c_anon_1").await;
    assert_eq!(answer["assign_type"], "robot");
    let info = &answer["assign_info"];
    assert_eq!(info["robot_name"], "小U");
    assert_eq!(info["welcome_message"], answer["message"]);
    assert!(info["unknow_message"].as_str().unwrap().contains("抱歉"));
    assert!(info["robot_avatar"]
        .as_str()
        .unwrap()
        .ends_with("/media/avatar/robot.png"));
    let customers = sim.admin("/admin/customers").await;
    let c = &customers[0];
    assert_eq!(c["nick_name"], "API匿名用户(c_anon_1)");
    assert_eq!(c["anonymous"], true);
    // The welcome is the first line of the transcript.
    let t = sim.transcript("c_anon_1").await;
    assert_eq!(t[0]["from"], "robot");
    assert_eq!(t[0]["data"]["content"], answer["message"]);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn create_session_names_what_is_wrong_with_its_input() {
    let sim = Sim::demo().await;
    let cases = [
        (json!({}), 2062, "customer_token"),
        (json!({"customer_token": ""}), 2062, "customer_token"),
        (
            json!({"customer_token": "has space"}),
            2005,
            "customer_token",
        ),
        (json!({"customer_token": 42}), 2005, "customer_token"),
        (
            json!({"customer_token": "c_1", "group_id": "abc"}),
            2005,
            "group_id",
        ),
        (
            json!({"customer_token": "c_1", "group_id": 99}),
            2005,
            "group_id",
        ),
        (
            json!({"customer_token": "c_1", "agent_id": 99}),
            2005,
            "agent_id",
        ),
        (
            json!({"customer_token": "c_1", "assign_type": 7}),
            2005,
            "assign_type",
        ),
        (
            json!({"customer_token": "c_1", "agent_id": -3}),
            2005,
            "agent_id",
        ),
    ];
    for (body, code, field) in cases {
        let answer = sim.post("/im/sessions", body.clone()).await;
        let (got, message) = refusal(&answer);
        assert_eq!(got, code, "{body} → {answer}");
        assert!(
            message.contains(field),
            "{body}: message {message:?} should name {field}"
        );
    }
    for garbage in ["{", "[1, 2]", "\"text\""] {
        let res = sim
            .http
            .post(sim.signed("/im/sessions", ""))
            .body(garbage)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let answer: Value = res.json().await.unwrap();
        assert_eq!(answer["code"], 2005, "{garbage} → {answer}");
    }
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn parameters_may_come_in_the_query_string_as_in_udesks_example() {
    let sim = Sim::demo().await;
    let res = sim
        .http
        .post(sim.signed(
            "/open_api_v1/im/sessions",
            "customer_token=c_query&assign_type=agent&agent_id=1",
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["code"], 1000, "{answer}");
    assert_eq!(answer["assign_info"]["agent_id"], 1);
    // The body wins over the query.
    let res = sim
        .http
        .post(sim.signed("/im/sessions", "customer_token=c_from_query"))
        .json(&json!({"customer_token": "c_from_body"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.json::<Value>().await.unwrap()["code"], 1000);
    let customers = sim.admin("/admin/customers").await;
    let tokens: Vec<&str> = customers
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["token"].as_str().unwrap())
        .collect();
    assert!(tokens.contains(&"c_from_body") && !tokens.contains(&"c_from_query"));
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn send_message_checks_customer_session_type_and_message_id() {
    let sim = Sim::demo().await;
    sim.robot_session("c_send").await;
    sim.robot_session("c_other").await;
    let agent = sim.agent_session("c_send").await;
    assert_eq!(agent["code"], 1000, "{agent}");
    let session = agent["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    let other = sim.agent_session("c_other").await["assign_info"]["im_sub_session_id"]
        .as_u64()
        .unwrap();

    let ok = |extra: Value| {
        let mut body = json!({"customer_token": "c_send", "message_id": nonce(), "type": "message", "data": {"content": "hi"}});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (ok(json!({"message_id": null})), 2062, "message_id"),
        (ok(json!({"message_id": ""})), 2062, "message_id"),
        (ok(json!({"customer_token": null})), 2062, "customer_token"),
        (ok(json!({"data": null})), 2062, "data"),
        (ok(json!({"data": {"content": 3}})), 2005, "data.content"),
        (
            ok(json!({"data": {"text": "no content"}})),
            2062,
            "data.content",
        ),
        (
            ok(json!({"customer_token": "c_nobody"})),
            2005,
            "customer_token",
        ),
        (ok(json!({"im_sub_session_id": 999_999})), 9200, "999999"),
        (
            ok(json!({"im_sub_session_id": other})),
            9200,
            &other.to_string(),
        ),
        (
            ok(json!({"im_sub_session_id": "abc"})),
            2005,
            "im_sub_session_id",
        ),
        // The robot reads text (and answers media with a canned reply), not rich HTML.
        (
            ok(json!({"type": "rich", "data": {"content": "<b>x</b>"}})),
            2005,
            "type",
        ),
        (
            ok(json!({"im_sub_session_id": session, "type": "close", "data": {}})),
            2005,
            "type",
        ),
    ];
    for (body, code, needle) in cases {
        let answer = sim.post("/im/messages", body.clone()).await;
        let (got, message) = refusal(&answer);
        assert_eq!(got, code, "{body} → {answer}");
        assert!(
            message.contains(needle),
            "{body}: {message:?} should mention {needle}"
        );
    }

    // Every kind a customer may send to an agent is accepted.
    for (kind, data) in [
        (
            "message",
            json!({"content": "<b>hi</b>", "font": "微软雅黑"}),
        ),
        ("image", json!({"content": "https://example.com/a.png"})),
        (
            "audio",
            json!({"content": "https://example.com/a.wav", "duration": 3}),
        ),
        (
            "video",
            json!({"content": "https://example.com/a.mp4", "filesize": "1.2M"}),
        ),
        (
            "file",
            json!({"content": "https://example.com/a.pdf", "filename": "a.pdf"}),
        ),
        ("rich", json!({"content": "<p>rich</p>"})),
    ] {
        let answer = sim
            .post(
                "/im/messages",
                ok(json!({"im_sub_session_id": session, "type": kind, "data": data})),
            )
            .await;
        assert_eq!(answer["code"], 1000, "{kind}: {answer}");
    }

    // A resend with the same message_id is accepted once; another customer cannot reuse it.
    let id = nonce();
    let body = ok(
        json!({"message_id": id, "im_sub_session_id": session, "data": {"content": "only once"}}),
    );
    assert_eq!(sim.post("/im/messages", body.clone()).await["code"], 1000);
    assert_eq!(sim.post("/im/messages", body).await["code"], 1000);
    let t = sim.transcript("c_send").await;
    assert_eq!(
        t.iter().filter(|e| e["message_id"] == id.as_str()).count(),
        1
    );
    let stolen = json!({"customer_token": "c_other", "message_id": id, "data": {"content": "x"}});
    assert_eq!(sim.post("/im/messages", stolen).await["code"], 2005);

    // A closed session answers 9200.
    let (status, _) = sim
        .control("/console/api/close", json!({"im_sub_session_id": session}))
        .await;
    assert_eq!(status, 200);
    let after = sim
        .post("/im/messages", ok(json!({"im_sub_session_id": session})))
        .await;
    assert_eq!(after["code"], 9200, "{after}");
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn status_calls_report_customers_and_agents() {
    let sim = Sim::demo().await;
    let missing = sim.get("/im/queue_status", "").await;
    assert_eq!(missing["code"], 2062, "{missing}");
    let unknown = sim.get("/im/queue_status", "customer_token=c_ghost").await;
    assert_eq!(unknown["code"], 2005, "{unknown}");
    let ghost = sim
        .get("/im/customer_status", "customer_token=c_ghost")
        .await;
    assert_eq!(
        (ghost["code"].as_i64(), ghost["status"].as_i64()),
        (Some(1000), Some(3))
    );

    sim.robot_session("c_status").await;
    assert_eq!(sim.queue_status("c_status").await, ("未排队".into(), 0));
    let status = sim
        .get("/im/customer_status", "customer_token=c_status")
        .await;
    assert_eq!(status["status"], 0);
    assert_eq!(sim.agent_session("c_status").await["code"], 1000);
    assert_eq!(sim.queue_status("c_status").await, ("会话中".into(), 0));
    let status = sim
        .get("/im/customer_status", "customer_token=c_status")
        .await;
    assert_eq!(status["status"], 1);

    let all = sim.get("/im/agent_status", "").await;
    let agents = all["agents"].as_array().unwrap();
    assert_eq!(agents.len(), 3);
    assert_eq!(agents[0]["im_status"], "online");
    assert_eq!(agents[2]["im_status"], "offline");
    let vip = sim.get("/im/agent_status", "group_id=3").await;
    assert_eq!(vip["agents"][0]["name"], "Bob");
    assert_eq!(
        sim.get("/im/agent_status", "group_id=99").await["code"],
        2005
    );
    assert_eq!(
        sim.get("/im/agent_status", "group_id=x").await["code"],
        2005
    );
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn open_api_customers_are_keyed_by_open_api_token() {
    let sim = Sim::demo().await;
    let created = sim
        .post(
            "/open_api_v1/customers",
            json!({"customer": {"nick_name": "Visitor 42", "email": "v@example.com", "open_api_token": "c_42",
                                "level": "vip", "cellphones": [[null, "13651190000"]]},
                   "tags": "web,trial"}),
        )
        .await;
    assert_eq!(created["code"], 1000, "{created}");
    let id = created["customer"]["id"].as_u64().unwrap();
    assert_eq!(created["customer"]["open_api_token"], "c_42");
    // The IM customer_token is the open_api_token: the session uses that customer.
    sim.robot_session("c_42").await;
    let customers = sim.admin("/admin/customers").await;
    let c = customers
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["token"] == "c_42")
        .unwrap();
    assert_eq!(
        (c["nick_name"].as_str(), c["anonymous"].as_bool()),
        (Some("Visitor 42"), Some(false))
    );
    assert_eq!(c["tags"], json!(["web", "trial"]));
    // Creating it again returns the same customer.
    let again = sim
        .post(
            "/open_api_v1/customers",
            json!({"customer": {"nick_name": "Visitor 42b", "open_api_token": "c_42"}}),
        )
        .await;
    assert_eq!(again["customer"]["id"].as_u64(), Some(id));
    assert_eq!(again["customer"]["nick_name"], "Visitor 42b");
    // An anonymous customer becomes a named one.
    sim.robot_session("c_anon_then_named").await;
    let named = sim
        .post(
            "/open_api_v1/customers",
            json!({"customer": {"nick_name": "Grace", "open_api_token": "c_anon_then_named"}}),
        )
        .await;
    assert_eq!(named["customer"]["nick_name"], "Grace");

    for (body, code, field) in [
        (json!({}), 2062, "customer"),
        (json!({"customer": {}}), 2062, "customer.nick_name"),
        (
            json!({"customer": {"nick_name": "x", "open_api_token": "bad token!"}}),
            2005,
            "customer.open_api_token",
        ),
        (
            json!({"customer": {"nick_name": "x", "email": "not-an-email"}}),
            2005,
            "customer.email",
        ),
        (
            json!({"customer": {"nick_name": "x", "level": "gold"}}),
            2005,
            "customer.level",
        ),
        (
            json!({"customer": {"nick_name": 5}}),
            2005,
            "customer.nick_name",
        ),
    ] {
        let answer = sim.post("/open_api_v1/customers", body.clone()).await;
        let (got, message) = refusal(&answer);
        assert_eq!(got, code, "{body} → {answer}");
        assert!(
            message.contains(field),
            "{body}: {message:?} should name {field}"
        );
    }
    // Only under the Open API prefix, like Udesk.
    let res = sim
        .http
        .post(sim.signed("/customers", ""))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn surveys_are_checked_and_recorded() {
    let sim = Sim::demo().await;
    let agent = sim.agent_session("c_survey").await;
    let session = agent["assign_info"]["im_sub_session_id"].as_u64().unwrap();
    // Both shapes of survey_options arrive with the session.
    let options = &agent["assign_info"]["survey_options"];
    assert_eq!(options["options"].as_array().unwrap().len(), 5);
    assert_eq!(options["methods"][0]["flag"], "after_session");
    assert_eq!(options["show_type"], "star");
    assert_eq!(options["star"]["options"][4]["remark_option"], "required");

    let cases = [
        (
            json!({"im_sub_session_id": 424_242, "option_id": 36}),
            9200,
            "424242",
        ),
        (
            json!({"im_sub_session_id": session, "option_id": 99}),
            2005,
            "option_id",
        ),
        (json!({"im_sub_session_id": session}), 2062, "option_id"),
        (json!({"option_id": 36}), 2062, "im_sub_session_id"),
        (
            json!({"im_sub_session_id": "x", "option_id": 36}),
            2005,
            "im_sub_session_id",
        ),
        (
            json!({"im_sub_session_id": session, "option_id": 40}),
            2062,
            "remark",
        ),
        (
            json!({"im_sub_session_id": session, "option_id": 40, "remark": "  "}),
            2062,
            "remark",
        ),
    ];
    for (body, code, needle) in cases {
        let answer = sim.post("/im/sessions/survey", body.clone()).await;
        let (got, message) = refusal(&answer);
        assert_eq!(got, code, "{body} → {answer}");
        assert!(
            message.contains(needle),
            "{body}: {message:?} should mention {needle}"
        );
    }
    assert!(sim
        .admin("/admin/surveys")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    let first = sim
        .post(
            "/im_sessions/survey",
            json!({"im_sub_session_id": session, "option_id": 36}),
        )
        .await;
    assert_eq!(first["code"], 1000);
    let second = sim
        .post(
            "/im/sessions/survey",
            json!({"im_sub_session_id": session.to_string(), "option_id": "40", "remark": "太慢了"}),
        )
        .await;
    assert_eq!(second["code"], 1000, "{second}");
    let surveys = sim.admin("/admin/surveys").await;
    assert_eq!(
        surveys.as_array().unwrap().len(),
        1,
        "the second answer replaced the first"
    );
    assert_eq!(surveys[0]["option_id"], 40);
    assert_eq!(surveys[0]["remark"], "太慢了");
    assert_eq!(surveys[0]["customer_token"], "c_survey");
    assert_eq!(surveys[0]["agent_id"], 1);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn robot_answers_are_rated_once_per_answer() {
    let sim = Sim::demo().await;
    sim.robot_session("c_rate").await;
    sim.robot_session("c_rate2").await;
    sim.say("c_rate", None, "怎么退货").await;
    sim.say("c_rate", None, "你好").await;
    sim.say("c_rate2", None, "How do I get an invoice?").await;
    let answers = |t: Vec<Value>| -> Vec<(String, i64)> {
        t.iter()
            .filter(|e| e["from"] == "robot" && e["data"]["question_id"].is_i64())
            .map(|e| {
                (
                    e["message_id"].as_str().unwrap().to_owned(),
                    e["data"]["question_id"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let mine = answers(sim.transcript("c_rate").await);
    let (returns, small_talk) = (&mine[0], &mine[1]);
    assert_eq!(returns.1, 101);
    assert_eq!(small_talk.1, 0);
    let theirs = &answers(sim.transcript("c_rate2").await)[0];

    let rate = |message_id: &str, question_id: Value, useful: Value| json!({"customer_token": "c_rate", "message_id": message_id, "question_id": question_id, "useful": useful});
    let cases = [
        (
            rate(&returns.0, json!(102), json!(true)),
            2005,
            "question_id",
        ),
        (
            rate("no-such-answer", json!(101), json!(true)),
            2005,
            "message_id",
        ),
        (
            rate(&small_talk.0, json!(0), json!(true)),
            2005,
            "small talk",
        ),
        (
            rate(&theirs.0, json!(theirs.1), json!(true)),
            2005,
            "message_id",
        ),
        (rate(&returns.0, json!(101), json!("yes")), 2005, "useful"),
        (
            json!({"customer_token": "c_rate", "message_id": returns.0, "question_id": 101}),
            2062,
            "useful",
        ),
        (
            json!({"message_id": returns.0, "question_id": 101, "useful": true}),
            2062,
            "customer_token",
        ),
        (
            json!({"customer_token": "c_nobody", "message_id": returns.0, "question_id": 101, "useful": true}),
            2005,
            "customer_token",
        ),
    ];
    for (body, code, needle) in cases {
        let answer = sim.post("/im/robot/evaluations", body.clone()).await;
        let (got, message) = refusal(&answer);
        assert_eq!(got, code, "{body} → {answer}");
        assert!(
            message.contains(needle),
            "{body}: {message:?} should mention {needle}"
        );
    }
    assert_eq!(
        sim.post(
            "/im/robot/evaluations",
            rate(&returns.0, json!(101), json!(true))
        )
        .await["code"],
        1000
    );
    assert_eq!(
        sim.post(
            "/im/robot/evaluations",
            rate(&returns.0, json!(101), json!(false))
        )
        .await["code"],
        1000
    );
    let ratings = sim.admin("/admin/ratings").await;
    assert_eq!(ratings.as_array().unwrap().len(), 1, "re-rating replaces");
    assert_eq!(ratings[0]["useful"], false);
    assert_eq!(ratings[0]["question_id"], 101);
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_not_html() {
    let sim = Sim::demo().await;
    let res = sim.http.get(sim.url("/im/nothing")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .contains("/im/nothing"));
    let res = sim
        .http
        .get(sim.signed("/im/sessions", ""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert!(res.json::<Value>().await.unwrap()["message"].is_string());
    // A body over the size limit is refused with a JSON answer, not dropped, on every route.
    for (size, path) in [
        (3 << 20, sim.signed("/im/messages", "")),
        (udesk_sim::BODY_LIMIT + 1, sim.signed("/im/messages", "")),
        (udesk_sim::BODY_LIMIT + 1, sim.url("/console/api/send")),
        (udesk_sim::BODY_LIMIT + 1, sim.url("/admin/faults")),
    ] {
        let huge = "x".repeat(size);
        let res = sim
            .http
            .post(path)
            .body(format!("{{\"data\": {{\"content\": \"{huge}\"}}}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413, "{size}");
        assert_eq!(res.json::<Value>().await.unwrap()["code"], 2005);
    }
    sim.sim.shutdown().await;
}

#[tokio::test]
async fn other_web_sites_cannot_drive_the_console_or_admin_pages() {
    let sim = Sim::demo().await;
    let own = sim.sim.base_url();
    for origin in [
        "https://evil.example",
        "null",
        &own.replace("127.0.0.1", "localhost"),
    ] {
        let res = sim
            .http
            .post(sim.url("/admin/faults"))
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body(r#"{"fail_percent": 100}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{origin}");
        assert!(res.json::<Value>().await.unwrap()["message"].is_string());
        let res = sim
            .http
            .post(sim.url("/admin/webhook"))
            .header("origin", origin)
            .json(&json!({"url": "https://evil.example/steal"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{origin}");
    }
    assert_eq!(sim.admin("/admin/faults").await["fail_percent"], 0);
    // The console page itself (same origin) and tools without an Origin still work.
    let res = sim
        .http
        .post(sim.url("/admin/faults"))
        .header("origin", &own)
        .json(&json!({"webhook_delay_ms": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = sim
        .control("/admin/faults", json!({"webhook_delay_ms": 2}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(sim.admin("/admin/faults").await["webhook_delay_ms"], 2);
    // Reading is not guarded: browsers keep other sites from reading the answers anyway.
    let res = sim
        .http
        .get(sim.url("/console/api/state"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    sim.sim.shutdown().await;
}
