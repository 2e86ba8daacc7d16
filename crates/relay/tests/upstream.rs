//! The relay's calls to Udesk, against a small real HTTP server on 127.0.0.1 that answers the
//! way Udesk does — and, on demand, the ways Udesk fails (garbage, 5xx, slowness, refusal
//! codes), which the simulator has no reason to do. Checks signing, token binding, paths of
//! both API styles, send idempotency, the widget-facing error mapping, rate limits and CORS.

mod common;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::{error_body, TestRelay};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use udesk_protocol::sign::SignedQuery;

const EMAIL: &str = "admin@acme.example";
const TOKEN: &str = "acme-open-api-token";

/// How the stand-in answers a path.
#[derive(Clone)]
enum Reply {
    Json(Value),
    Garbage,
    Status(u16),
    Slow(Duration),
}

/// One call the stand-in received.
#[derive(Clone, Debug)]
struct Call {
    method: Method,
    path: String,
    query: HashMap<String, String>,
    body: Value,
}

#[derive(Default)]
struct Udesk {
    replies: Mutex<HashMap<String, Reply>>,
    calls: Mutex<Vec<Call>>,
}

impl Udesk {
    fn set(&self, path: &str, reply: Reply) {
        self.replies.lock().unwrap().insert(path.to_owned(), reply);
    }

    fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.path == path)
            .cloned()
            .collect()
    }
}

fn default_reply(path: &str) -> Value {
    if path.ends_with("/customers") {
        json!({"code": 1000, "customer": {"id": 1}})
    } else if path.ends_with("/im/sessions") {
        json!({"code": 1000, "message": "您好", "assign_type": "agent",
               "assign_info": {"im_sub_session_id": 555, "agent_id": 7, "agent_name": "小明", "count": 0}})
    } else if path.ends_with("/queue_status") {
        json!({"code": 1000, "status": "排队中", "count": 2})
    } else {
        json!({"code": 1000})
    }
}

async fn answer(
    State(udesk): State<Arc<Udesk>>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let query: HashMap<String, String> = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.replace("%40", "@")))
        .collect();
    let path = uri.path().to_owned();
    udesk.calls.lock().unwrap().push(Call {
        method,
        path: path.clone(),
        query: query.clone(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let signed = SignedQuery {
        email: query.get("email").cloned().unwrap_or_default(),
        timestamp: query.get("timestamp").cloned().unwrap_or_default(),
        sign: query.get("sign").cloned().unwrap_or_default(),
        nonce: query.get("nonce").cloned(),
        sign_version: query.get("sign_version").cloned(),
    };
    let now = udesk_relay::state::now_secs() as i64;
    if let Err(e) = signed.verify(EMAIL, TOKEN, now) {
        return axum::Json(json!({"code": e.code().0, "message": e.message()})).into_response();
    }
    let reply = udesk.replies.lock().unwrap().get(&path).cloned();
    match reply {
        None => axum::Json(default_reply(&path)).into_response(),
        Some(Reply::Json(v)) => axum::Json(v).into_response(),
        Some(Reply::Garbage) => "<html>gateway says hi</html>".into_response(),
        Some(Reply::Status(s)) => StatusCode::from_u16(s).unwrap().into_response(),
        Some(Reply::Slow(d)) => {
            tokio::time::sleep(d).await;
            axum::Json(default_reply(&path)).into_response()
        }
    }
}

async fn stand_in() -> (Arc<Udesk>, String) {
    let udesk = Arc::new(Udesk::default());
    let app = axum::Router::new()
        .fallback(answer)
        .with_state(udesk.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (udesk, url)
}

async fn relay_to(url: &str, extra: &[&str]) -> TestRelay {
    let mut args = vec![
        "--upstream",
        url,
        "--udesk-email",
        EMAIL,
        "--udesk-token",
        TOKEN,
        "--upstream-timeout-ms",
        "500",
    ];
    args.extend_from_slice(extra);
    common::start(&args).await
}

#[tokio::test]
async fn calls_are_signed_and_bound_to_the_visitors_token() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    // The body names another customer: the relay must use the token's.
    let response = t
        .post_as(
            &v.token,
            "/v1/sessions",
            json!({"customer_token": "someone_else", "assign_type": "agent"}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["assign_info"]["im_sub_session_id"], 555);

    // First use creates the Udesk customer, keyed by the customer_token.
    let customers = udesk.calls_to("/open_api_v1/customers");
    assert_eq!(customers.len(), 1);
    assert_eq!(
        customers[0].body["customer"]["open_api_token"],
        v.customer_token.as_str()
    );
    let sessions = udesk.calls_to("/open_api_v1/im/sessions");
    assert_eq!(
        sessions[0].body["customer_token"],
        v.customer_token.as_str()
    );
    assert_eq!(sessions[0].body["assign_type"], "agent");

    t.post_as(&v.token, "/v1/sessions", json!({})).await;
    assert_eq!(
        udesk.calls_to("/open_api_v1/customers").len(),
        1,
        "created once"
    );

    let status: Value = t
        .get_as(&v.token, "/v1/queue_status")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["count"], 2);
    let q = &udesk.calls_to("/open_api_v1/im/queue_status")[0];
    assert_eq!(q.method, Method::GET);
    assert_eq!(q.query["customer_token"], v.customer_token);

    // Every call signed v2 (the stand-in verified it), each with its own nonce.
    let calls = udesk.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 4);
    let mut nonces: Vec<&String> = calls.iter().map(|c| &c.query["nonce"]).collect();
    assert!(calls.iter().all(|c| c.query["sign_version"] == "v2"));
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a fresh nonce per call");
}

#[tokio::test]
async fn a_create_session_answer_reaches_the_browser_cleaned() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    udesk.set(
        "/open_api_v1/im/sessions",
        Reply::Json(
            json!({"code": 1000, "message": "<img src=x onerror=alert(1)>您好",
            "assign_type": "robot",
            "assign_info": {"robot_name": "小U", "robot_avatar": "javascript:alert(1)",
                            "welcome_message": "<script>alert(1)</script>欢迎"}}),
        ),
    );
    let r = t.post_as(&v.token, "/v1/sessions", json!({})).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer["assign_info"].get("robot_avatar").is_none(),
        "{answer}"
    );
    assert_eq!(answer["assign_info"]["welcome_message"], "欢迎");
    assert!(
        !answer["message"].as_str().unwrap().contains("onerror"),
        "{answer}"
    );

    udesk.set(
        "/open_api_v1/im/sessions",
        Reply::Json(json!({"code": 1000, "assign_type": "agent",
            "assign_info": {"im_sub_session_id": 9, "agent_name": "Bob\u{202E}",
                            "agent_avatar": "data:image/svg+xml,<svg onload=alert(1)>"}})),
    );
    let answer: Value = t
        .post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["assign_info"]["agent_name"], "Bob");
    assert!(
        answer["assign_info"].get("agent_avatar").is_none(),
        "{answer}"
    );
}

#[tokio::test]
async fn paths_follow_the_api_style() {
    for (style, session, survey, rating) in [
        (
            "current",
            "/open_api_v1/im/sessions",
            "/open_api_v1/im/sessions/survey",
            "/open_api_v1/im/robot/evaluations",
        ),
        (
            "seed",
            "/im/sessions",
            "/im_sessions/survey",
            "/im/robot/evaluations",
        ),
    ] {
        let (udesk, url) = stand_in().await;
        let t = relay_to(&url, &["--api-style", style]).await;
        let v = t.visitor().await;
        assert_eq!(
            t.post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
                .await
                .status(),
            200
        );
        assert_eq!(udesk.calls_to(session).len(), 1, "{style}");
        let r = t
            .post_as(
                &v.token,
                "/v1/surveys",
                json!({"im_sub_session_id": 555, "option_id": 36, "remark": "好"}),
            )
            .await;
        assert_eq!(r.status(), 200, "{style}");
        let s = udesk.calls_to(survey);
        assert_eq!(s.len(), 1, "{style}");
        assert_eq!(s[0].body["option_id"], 36);
        // The robot rating needs an answer this visitor got.
        t.push(&common::robot_push(&v.customer_token, "ans-1"))
            .await;
        let r = t
            .post_as(
                &v.token,
                "/v1/robot/evaluations",
                json!({"message_id": "ans-1", "question_id": 12, "useful": true}),
            )
            .await;
        assert_eq!(r.status(), 200, "{style}");
        assert_eq!(
            udesk.calls_to(rating)[0].body["customer_token"],
            v.customer_token.as_str()
        );
    }

    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &["--robot-evaluation-path", "custom/rate"]).await;
    let v = t.visitor().await;
    t.push(&common::robot_push(&v.customer_token, "ans-1"))
        .await;
    t.post_as(
        &v.token,
        "/v1/robot/evaluations",
        json!({"message_id": "ans-1", "question_id": 12, "useful": false}),
    )
    .await;
    assert_eq!(udesk.calls_to("/custom/rate").len(), 1);
}

#[tokio::test]
async fn a_retried_send_is_one_message() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    let body = json!({"message_id": "m-1", "type": "message", "data": {"content": "你好"}});
    for _ in 0..3 {
        let r = t.post_as(&v.token, "/v1/messages", body.clone()).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["x-message-id"], "m-1");
    }
    let sends = udesk.calls_to("/open_api_v1/im/messages");
    assert_eq!(sends.len(), 1, "retries of one message_id reach Udesk once");
    assert_eq!(sends[0].body["message_id"], "m-1");
    assert_eq!(sends[0].body["data"]["content"], "你好");
    assert!(
        sends[0].body.get("im_sub_session_id").is_none(),
        "to the robot"
    );

    // Without a message_id the relay makes one per send (and says which).
    let plain = json!({"type": "message", "data": {"content": "again"}});
    let a = t.post_as(&v.token, "/v1/messages", plain.clone()).await;
    let b = t.post_as(&v.token, "/v1/messages", plain).await;
    let (a, b) = (
        a.headers()["x-message-id"].clone(),
        b.headers()["x-message-id"].clone(),
    );
    assert_ne!(a, b);
    let sends = udesk.calls_to("/open_api_v1/im/messages");
    assert_eq!(sends.len(), 3);
    assert_eq!(sends[1].body["message_id"], a.to_str().unwrap());
}

#[tokio::test]
async fn queued_and_no_agent_are_normal_answers_and_refusals_are_clear() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    udesk.set(
        "/open_api_v1/im/sessions",
        Reply::Json(json!({"code": 2001,
        "message": "当前客服正繁忙，您排在第3位。", "assign_type": "agent",
        "assign_info": {"im_sub_session_id": 0, "count": 3}})),
    );
    let r = t
        .post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["code"].clone(), body["assign_info"]["count"].clone()),
        (json!(2001), json!(3))
    );

    udesk.set(
        "/open_api_v1/im/sessions",
        Reply::Json(json!({"code": 2002, "message": "无客服在线"})),
    );
    let r = t
        .post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 2002);

    // A closed session: 409 so the widget starts a new one; Udesk's code and words kept.
    udesk.set(
        "/open_api_v1/im/messages",
        Reply::Json(json!({"code": 9200, "message": "会话不存在"})),
    );
    t.push(&common::agent_push(&v.customer_token, &["x"])).await; // owns session 1081
    let r = t
        .post_as(
            &v.token,
            "/v1/messages",
            json!({"im_sub_session_id": 1081, "type": "message", "data": {"content": "hi"}}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let e: udesk_protocol::relay::ErrorBody = r.json().await.unwrap();
    assert_eq!(
        (e.error.as_str(), e.udesk_code),
        ("udesk_error", Some(9200))
    );
    assert!(e.message.contains("会话不存在"));

    // Credentials Udesk refuses: the relay's fault, 502, with the hint for its operator.
    let wrong = common::start(&[
        "--upstream",
        &url,
        "--udesk-email",
        EMAIL,
        "--udesk-token",
        "wrong",
    ])
    .await;
    let v = wrong.visitor().await;
    let r = wrong.post_as(&v.token, "/v1/sessions", json!({})).await;
    assert_eq!(r.status(), 502);
    let e: udesk_protocol::relay::ErrorBody = r.json().await.unwrap();
    assert_eq!(
        (e.error.as_str(), e.udesk_code),
        ("udesk_error", Some(2059))
    );
}

#[tokio::test]
async fn upstream_trouble_is_a_502_or_504_json_error() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &["--send-rate-per-minute", "0"]).await;
    let v = t.visitor().await;
    let send = json!({"type": "message", "data": {"content": "hi"}});
    for (reply, status, code) in [
        (Reply::Garbage, 502, "upstream_unavailable"),
        (Reply::Status(500), 502, "upstream_unavailable"),
        (Reply::Status(503), 502, "upstream_unavailable"),
        (Reply::Slow(Duration::from_secs(3)), 504, "upstream_timeout"),
    ] {
        udesk.set("/open_api_v1/im/messages", reply);
        let r = t.post_as(&v.token, "/v1/messages", send.clone()).await;
        let (got, error, message) = error_body(r).await;
        assert_eq!((got, error.as_str()), (status, code));
        assert!(
            !message.contains("gateway says hi"),
            "upstream details stay in the log"
        );
    }
    let metrics = t.metrics().await;
    assert!(
        metrics.contains("udesk_relay_upstream_errors_total{kind=\"timeout\"} 1"),
        "{metrics}"
    );

    // Nobody listening at all.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let t = relay_to(&closed, &[]).await;
    let v = t.visitor().await;
    let (status, error, _) = error_body(t.post_as(&v.token, "/v1/messages", send).await).await;
    assert_eq!((status, error.as_str()), (502, "upstream_unavailable"));
}

#[tokio::test]
async fn malformed_oversized_and_wrongly_typed_bodies_are_4xx_json() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    let raw = |path: &str, body: Vec<u8>| {
        t.client
            .post(t.url(path))
            .bearer_auth(&v.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("/v1/messages", b"{\"type\":".to_vec(), 400, "JSON"),
        ("/v1/messages", b"".to_vec(), 400, "empty"),
        (
            "/v1/messages",
            br#"{"type":"message","data":{"content":5}}"#.to_vec(),
            400,
            "data.content",
        ),
        (
            "/v1/messages",
            br#"{"type":"message"}"#.to_vec(),
            400,
            "data",
        ),
        (
            "/v1/messages",
            br#"{"im_sub_session_id":"abc","data":{"content":"x"}}"#.to_vec(),
            400,
            "im_sub_session_id",
        ),
        (
            "/v1/messages",
            br#"{"message_id":"has spaces","data":{"content":"x"}}"#.to_vec(),
            400,
            "message_id",
        ),
        (
            "/v1/sessions",
            br#"{"assign_type":5}"#.to_vec(),
            400,
            "assign_type",
        ),
        ("/v1/sessions", br#"[1,2]"#.to_vec(), 400, ""),
        (
            "/v1/surveys",
            br#"{"im_sub_session_id":555}"#.to_vec(),
            400,
            "option_id",
        ),
        (
            "/v1/robot/evaluations",
            br#"{"message_id":"m","question_id":"x","useful":true}"#.to_vec(),
            400,
            "question_id",
        ),
        (
            "/v1/visitor",
            br#"{"user_id": ["x"]}"#.to_vec(),
            400,
            "user_id",
        ),
        (
            "/v1/messages",
            format!(r#"{{"data":{{"content":"{}"}}}}"#, "x".repeat(70_000)).into_bytes(),
            413,
            "bytes",
        ),
    ];
    for (path, body, status, names) in cases {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(60)
            .collect::<String>();
        let (got, error, message) = error_body(raw(path, body).await.unwrap()).await;
        assert_eq!(got, status, "{path} {shown}: {message}");
        assert_eq!(
            error,
            if status == 413 {
                "payload_too_large"
            } else {
                "bad_request"
            }
        );
        assert!(
            message.contains(names),
            "{path} {shown}: {message:?} should name {names:?}"
        );
    }
    assert!(
        udesk.calls_to("/open_api_v1/im/messages").is_empty(),
        "nothing bad was forwarded"
    );

    let (status, error, _) =
        error_body(t.client.get(t.url("/v1/nope")).send().await.unwrap()).await;
    assert_eq!((status, error.as_str()), (404, "not_found"));
    let (status, _, _) =
        error_body(t.client.get(t.url("/v1/messages")).send().await.unwrap()).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn sends_are_rate_limited_per_visitor() {
    let (_udesk, url) = stand_in().await;
    let t = relay_to(&url, &["--send-rate-per-minute", "6", "--send-burst", "3"]).await;
    let v = t.visitor().await;
    let other = t.visitor().await;
    let send = || json!({"type": "message", "data": {"content": "hi"}});
    for _ in 0..3 {
        assert_eq!(
            t.post_as(&v.token, "/v1/messages", send()).await.status(),
            200
        );
    }
    let r = t.post_as(&v.token, "/v1/messages", send()).await;
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry_after));
    let (status, error, _) = error_body(r).await;
    assert_eq!((status, error.as_str()), (429, "rate_limited"));
    assert_eq!(
        t.post_as(&other.token, "/v1/messages", send())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn queue_status_polls_are_rate_limited_per_visitor() {
    // Each poll is a call on Udesk's account-wide quota: one visitor must not spend it all.
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let (v, other) = (t.visitor().await, t.visitor().await);
    for _ in 0..udesk_relay::state::QUEUE_STATUS_BURST {
        let r = t.get_as(&v.token, "/v1/queue_status").await;
        assert_eq!(r.status(), 200);
    }
    let r = t.get_as(&v.token, "/v1/queue_status").await;
    assert!(r.headers().contains_key("retry-after"));
    let (status, error, _) = error_body(r).await;
    assert_eq!((status, error.as_str()), (429, "rate_limited"));
    assert_eq!(
        udesk.calls_to("/open_api_v1/im/queue_status").len(),
        udesk_relay::state::QUEUE_STATUS_BURST as usize
    );
    let r = t.get_as(&other.token, "/v1/queue_status").await;
    assert_eq!(r.status(), 200);
    let metrics = t.metrics().await;
    assert!(
        metrics.contains("udesk_relay_rate_limited_total{limit=\"poll\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn only_configured_origins_may_call_cross_origin() {
    let (_udesk, url) = stand_in().await;
    let t = relay_to(&url, &["--allowed-origin", "https://shop.example"]).await;
    let v = t.visitor().await;
    let with_origin = |origin: &str| {
        t.client
            .get(t.url("/v1/queue_status"))
            .bearer_auth(&v.token)
            .header("origin", origin)
            .send()
    };
    let r = with_origin("https://shop.example").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://shop.example"
    );

    let (status, error, _) = error_body(with_origin("https://evil.example").await.unwrap()).await;
    assert_eq!((status, error.as_str()), (403, "origin_not_allowed"));

    // The relay's own origin needs no configuration when it is an address.
    let own = format!("http://{}", t.relay.addr);
    assert_eq!(with_origin(&own).await.unwrap().status(), 200);

    // Preflight: allowed for the configured origin only.
    let preflight = |origin: &str| {
        t.client
            .request(Method::OPTIONS, t.url("/v1/messages"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let ok = preflight("https://shop.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let no = preflight("https://evil.example").await.unwrap();
    assert!(no.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn sessions_udesk_assigned_belong_to_the_visitor() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    // Before any session: the survey target is not theirs.
    let survey = |id: u64| json!({"im_sub_session_id": id, "option_id": 36});
    assert_eq!(
        t.post_as(&v.token, "/v1/surveys", survey(555))
            .await
            .status(),
        403
    );
    t.post_as(&v.token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(
        t.post_as(&v.token, "/v1/surveys", survey(555))
            .await
            .status(),
        200
    );
    assert_eq!(
        t.post_as(&v.token, "/v1/surveys", survey(556))
            .await
            .status(),
        403
    );
    // A transfer event hands the visitor a new session.
    let transfer = json!({"customer_token": v.customer_token, "assign_type": "agent",
        "messages": [{"type": "transfer", "message_id": "t1", "im_sub_session_id": 555,
                      "data": {"im_sub_session_id": 556, "content": "已转接"}}]});
    assert_eq!(t.push(&transfer).await, 200);
    assert_eq!(
        t.post_as(&v.token, "/v1/surveys", survey(556))
            .await
            .status(),
        200
    );
    assert_eq!(udesk.calls_to("/open_api_v1/im/sessions/survey").len(), 2);
}

#[tokio::test]
async fn a_visitors_text_reaches_udesk_without_nul_characters() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    let response = t
        .post_as(
            &v.token,
            "/v1/messages",
            json!({"type": "message", "data": {"content": "refund\u{0} please\u{1b}[2J\nthanks"}}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let sent = udesk.calls_to("/open_api_v1/im/messages");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["data"]["content"], "refund please[2J\nthanks");
}

/// The red team's amplification: one IP with many fresh (free) visitors made hundreds of Udesk
/// calls in seconds. Every visitor of one IP shares one upstream budget.
#[tokio::test]
async fn upstream_calls_are_limited_per_ip_across_its_visitors() {
    let (udesk, url) = stand_in().await;
    let t = relay_to(
        &url,
        &[
            "--upstream-rate-per-ip",
            "6",
            "--upstream-burst-per-ip",
            "5",
        ],
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let v = t.visitor().await;
        for _ in 0..2 {
            let r = t
                .post_as(
                    &v.token,
                    "/v1/messages",
                    json!({"type": "message", "data": {"content": "hi"}}),
                )
                .await;
            statuses.push(r.status().as_u16());
        }
        statuses.push(
            t.get_as(&v.token, "/v1/queue_status")
                .await
                .status()
                .as_u16(),
        );
    }
    let passed = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(passed, 5, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [200, 429].contains(s)),
        "{statuses:?}"
    );
    let upstream = udesk.calls_to("/open_api_v1/im/messages").len()
        + udesk.calls_to("/open_api_v1/im/queue_status").len();
    assert_eq!(upstream, 5);
    assert_eq!(
        t.metric("udesk_relay_rate_limited_total{limit=\"ip_upstream\"}")
            .await,
        7
    );
}

/// DNS rebinding: a page at `http://evil.example:PORT` rebinds its name to an intranet relay's
/// address; its requests then carry its own name in both `Origin` and `Host`. Only the
/// configured public URL (or an address) is the relay's own origin.
#[tokio::test]
async fn the_relays_own_origin_is_its_public_url_not_whatever_host_says() {
    let (_udesk, url) = stand_in().await;
    let call = |t: &TestRelay,
                token: String,
                origin: &'static str,
                host: &'static str,
                forwarded: Option<&'static str>| {
        let mut request = t
            .client
            .get(t.url("/v1/queue_status"))
            .bearer_auth(token)
            .header("origin", origin)
            .header("host", host);
        if let Some(forwarded) = forwarded {
            request = request.header("x-forwarded-host", forwarded);
        }
        request.send()
    };
    let t = relay_to(&url, &[]).await;
    let v = t.visitor().await;
    let rebound = call(
        &t,
        v.token.clone(),
        "http://evil.example:8080",
        "evil.example:8080",
        None,
    )
    .await
    .unwrap();
    let (status, error, _) = error_body(rebound).await;
    assert_eq!((status, error.as_str()), (403, "origin_not_allowed"));
    let forwarded = call(
        &t,
        v.token.clone(),
        "https://chat.example",
        "127.0.0.1",
        Some("chat.example"),
    )
    .await
    .unwrap();
    assert_eq!(forwarded.status(), 403, "X-Forwarded-Host is not trusted");

    let t = relay_to(&url, &["--public-url", "https://chat.example/"]).await;
    let v = t.visitor().await;
    let own = call(
        &t,
        v.token.clone(),
        "https://chat.example",
        "chat.example",
        None,
    )
    .await
    .unwrap();
    assert_eq!(own.status(), 200);
    let rebound = call(
        &t,
        v.token.clone(),
        "http://evil.example:8080",
        "evil.example:8080",
        None,
    )
    .await
    .unwrap();
    assert_eq!(rebound.status(), 403);
    let addr = format!("http://{}", t.relay.addr);
    let by_address = t
        .client
        .get(t.url("/v1/queue_status"))
        .bearer_auth(&v.token)
        .header("origin", addr)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_address.status(),
        403,
        "with a public URL, only it is the relay's own"
    );
}
