//! Webhook intake: secret, validation, dedupe, both shapes, sanitising — observed the way a
//! browser would, on the event stream.

mod common;

use common::{agent_push, error_body, robot_push, start, Resume, WEBHOOK_SECRET};
use serde_json::json;
use std::time::Duration;
use udesk_protocol::content::Content;

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn wrong_webhook_secret_is_401_and_stores_nothing() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    for secret in [
        "wrong",
        "test-webhook-secre",
        "test-webhook-secret-",
        "TEST-WEBHOOK-SECRET",
    ] {
        let response = t
            .client
            .post(t.url(&format!("/webhooks/udesk/{secret}")))
            .json(&agent_push(&v.customer_token, &["m1"]))
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_body(response).await;
        assert_eq!((status, code.as_str()), (401, "unauthorized"), "{secret}");
    }
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn malformed_and_wrongly_typed_bodies_get_400_naming_the_problem() {
    let t = start(&[]).await;
    let url = t.url(&format!("/webhooks/udesk/{WEBHOOK_SECRET}"));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"{not json".to_vec(), ""),
        (b"".to_vec(), "empty"),
        (vec![0xff, 0xfe, 0x00], "UTF-8"),
        (
            json!({"assign_type": "agent", "messages": []})
                .to_string()
                .into_bytes(),
            "customer_token",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent"})
                .to_string()
                .into_bytes(),
            "messages",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent",
                   "messages": [{"message_id": {"x": 1}, "data": {"content": "hi"}}]})
            .to_string()
            .into_bytes(),
            "messages[0].message_id",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent",
                   "message": {"data": {"content": "hi"}}})
            .to_string()
            .into_bytes(),
            "message.message_id",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent", "message": "hi"})
                .to_string()
                .into_bytes(),
            "message: expected an object",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent",
                   "messages": {"message_id": "m", "data": {"content": "hi"}}})
            .to_string()
            .into_bytes(),
            "messages",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "agent",
                   "messages": [{"message_id": "m", "data": {"content": "hi"}}, 7]})
            .to_string()
            .into_bytes(),
            "messages[1]: expected an object",
        ),
        (
            json!({"customer_token": 42, "assign_type": "agent",
                   "message": {"message_id": "m", "data": {"content": "hi"}}})
            .to_string()
            .into_bytes(),
            "customer_token",
        ),
        (
            json!({"customer_token": "c1", "assign_type": "martian",
                   "message": {"message_id": "m", "data": {"content": "x"}}})
            .to_string()
            .into_bytes(),
            "assign_type",
        ),
        (
            json!({"customer_token": "not a token!", "assign_type": "agent",
                   "message": {"message_id": "m", "data": {"content": "x"}}})
            .to_string()
            .into_bytes(),
            "customer_token",
        ),
    ];
    for (body, names) in cases {
        let response = t.client.post(&url).body(body.clone()).send().await.unwrap();
        let (status, code, message) = error_body(response).await;
        assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
        assert_eq!(code, "bad_request");
        assert!(
            message.contains(names),
            "{message:?} should name {names:?} for {}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[tokio::test]
async fn one_unreadable_message_is_delivered_as_unreadable_and_blocks_nothing() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    let ct = v.customer_token.as_str();
    // Today's shape: a good text, an image whose link is a number, a text whose font has the
    // wrong shape (and markup that must not reach the browser), and another good text.
    let push = json!({"customer_token": ct, "assign_type": "agent", "messages": [
        {"type": "message", "message_id": "g1", "im_sub_session_id": 1081,
         "data": {"content": "first"}},
        {"type": "image", "message_id": "bad1", "im_sub_session_id": 1081,
         "message_created_at": "2017-07-11 09:52:11", "data": {"content": 123}},
        {"type": "message", "message_id": "bad2",
         "data": {"font": 12, "content": "<img src=x onerror=alert(1)><b>see</b> &amp; buy"}},
        {"type": "message", "message_id": "g2", "data": {"content": "last"}},
    ]});
    assert_eq!(t.push(&push).await, 200);

    let first = stream.message().await;
    assert_eq!(first.message.content, Content::text("first"));
    let bad1 = stream.message().await;
    assert_eq!(bad1.id, first.id + 1);
    assert_eq!(bad1.message.message_id, "bad1");
    assert_eq!(bad1.message.im_sub_session_id, Some(1081));
    assert_eq!(
        bad1.message.message_created_at.as_deref(),
        Some("2017-07-11 09:52:11")
    );
    assert_eq!(
        bad1.message.content,
        Content::Unknown {
            kind: "unreadable".into(),
            data: json!({"type": "image"})
        }
    );
    let bad2 = stream.message().await;
    assert_eq!(bad2.message.message_id, "bad2");
    assert_eq!(
        bad2.message.content,
        Content::Unknown {
            kind: "unreadable".into(),
            data: json!({"type": "message", "content": "see & buy"})
        }
    );
    assert_eq!(stream.message_ids(1).await, ["g2"]);

    // Udesk's resend of the same push is deduplicated, unreadable messages included, and the
    // customer's next push comes through.
    assert_eq!(t.push(&push).await, 200);
    stream.assert_quiet(QUIET).await;
    assert_eq!(t.push(&agent_push(ct, &["g3"])).await, 200);
    assert_eq!(stream.message_ids(1).await, ["g3"]);
    assert_eq!(
        t.metric("udesk_relay_webhook_messages_degraded_total")
            .await,
        2
    );
    assert_eq!(t.metric("udesk_relay_events_in_total").await, 5);
    assert_eq!(t.metric("udesk_relay_events_duplicate_total").await, 4);
}

#[tokio::test]
async fn oversized_webhook_is_413_json() {
    let t = start(&[]).await;
    let huge = "x".repeat(1024 * 1024 + 10);
    let body = json!({"customer_token": "c1", "assign_type": "agent",
                      "message": {"message_id": "m", "data": {"content": huge}}});
    let response = t
        .client
        .post(t.url(&format!("/webhooks/udesk/{WEBHOOK_SECRET}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_body(response).await;
    assert_eq!((status, code.as_str()), (413, "payload_too_large"));
}

#[tokio::test]
async fn udesk_retries_are_delivered_once() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    // The same push three times (Udesk resends when it saw no 200), and a push repeating one id.
    for _ in 0..3 {
        assert_eq!(
            t.push(&agent_push(&v.customer_token, &["a1", "a2"])).await,
            200
        );
    }
    assert_eq!(
        t.push(&agent_push(&v.customer_token, &["a2", "a3", "a3"]))
            .await,
        200
    );
    assert_eq!(stream.message_ids(3).await, ["a1", "a2", "a3"]);
    stream.assert_quiet(QUIET).await;

    let metrics = t.metrics().await;
    assert!(
        metrics.contains("udesk_relay_events_in_total 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("udesk_relay_events_duplicate_total 6"),
        "{metrics}"
    );
}

#[tokio::test]
async fn both_webhook_shapes_are_delivered_exactly_once_in_order() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    let ct = v.customer_token.as_str();
    assert_eq!(t.push(&robot_push(ct, "r1")).await, 200);
    assert_eq!(
        t.push(&agent_push(ct, &["b1", "b2", "b3", "b4"])).await,
        200
    );
    assert_eq!(t.push(&robot_push(ct, "r2")).await, 200);
    // Resends of both shapes change nothing.
    assert_eq!(t.push(&robot_push(ct, "r1")).await, 200);
    assert_eq!(
        t.push(&agent_push(ct, &["b1", "b2", "b3", "b4"])).await,
        200
    );

    let first = stream.message().await;
    assert_eq!(first.message.message_id, "r1");
    assert_eq!(first.assign_type, udesk_protocol::AssignType::Robot);
    assert!(matches!(first.message.content, Content::RobotAnswer(_)));
    let mut ids = vec![first.id];
    let mut names = vec![first.message.message_id];
    for _ in 0..5 {
        let m = stream.message().await;
        ids.push(m.id);
        names.push(m.message.message_id);
    }
    assert_eq!(names, ["r1", "b1", "b2", "b3", "b4", "r2"]);
    assert_eq!(ids, [1, 2, 3, 4, 5, 6], "ids increase by one per customer");
    stream.assert_quiet(QUIET).await;
}

#[tokio::test]
async fn an_xss_corpus_in_rich_messages_arrives_sanitised() {
    const XSS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<details open ontoggle=alert(1)>",
        "\"><script>alert(1)</script>",
        "<form action=\"https://evil.example\"><input type=submit></form>",
    ];
    let t = start(&[]).await;
    let v = t.visitor().await;
    let mut messages: Vec<serde_json::Value> = XSS
        .iter()
        .enumerate()
        .map(|(i, attack)| {
            let kind = if i % 2 == 0 { "rich" } else { "message" };
            json!({"type": kind, "message_id": format!("x{i}"), "data": {"content": attack}})
        })
        .collect();
    messages.push(
        json!({"type": "image", "message_id": "img", "data": {"content": "javascript:alert(1)"}}),
    );
    messages.push(json!({"type": "message", "message_id": "ok",
        "data": {"content": "<b>您好</b> <a href=\"https://udesk.cn\">帮助</a>"}}));
    let body = json!({"customer_token": v.customer_token, "assign_type": "agent",
                      "messages": messages});
    assert_eq!(t.push(&body).await, 200);

    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    for attack in XSS {
        let m = stream.message().await;
        let html = match &m.message.content {
            Content::Rich(r) => r.content.clone(),
            Content::Text(t) => t.content.clone(),
            other => panic!("unexpected content {other:?}"),
        }
        .to_ascii_lowercase();
        for bad in [
            "<script",
            "onerror",
            "onload",
            "ontoggle",
            "javascript:",
            "data:",
            "<iframe",
            "<svg",
            "<style",
            "<form",
        ] {
            assert!(!html.contains(bad), "{attack} arrived as {html}");
        }
    }
    match stream.message().await.message.content {
        Content::Text(t) => assert!(t.content.contains("image removed"), "{}", t.content),
        other => panic!("a javascript: image must not arrive as media: {other:?}"),
    }
    match stream.message().await.message.content {
        Content::Text(t) => {
            assert!(t.content.contains("<b>您好</b>"));
            assert!(t.content.contains("href=\"https://udesk.cn\""));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn texts_without_markup_arrive_as_written_not_escaped() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let card = r#"##UDESK_IM_STRUCT_MSG##{"title":"Tom & Jerry","description":"<b>1 < 2</b>",
        "buttons":[{"type":"link","text":"Q&A","value":"https://a.example/?a=1&b=2"}]}"#;
    let body = json!({"customer_token": v.customer_token, "assign_type": "agent", "messages": [
        {"type": "message", "message_id": "t1", "data": {"content": "价格 < 100 & 包邮"}},
        {"type": "message", "message_id": "t2", "data": {"content": card}},
        {"type": "close", "message_id": "t3", "data": {"content": "A & B 结束"}},
    ]});
    assert_eq!(t.push(&body).await, 200);
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    match stream.message().await.message.content {
        Content::Text(text) => assert_eq!(text.content, "价格 < 100 & 包邮"),
        other => panic!("unexpected {other:?}"),
    }
    match stream.message().await.message.content {
        Content::Struct(data) => {
            let card = &data.cards[0];
            assert_eq!(card.title.as_deref(), Some("Tom & Jerry"));
            assert_eq!(card.description.as_deref(), Some("1 < 2"));
            assert_eq!(card.buttons[0].text, "Q&A");
            assert_eq!(card.buttons[0].value, "https://a.example/?a=1&b=2");
        }
        other => panic!("unexpected {other:?}"),
    }
    match stream.message().await.message.content {
        Content::Event(_, data) => assert_eq!(data.content.as_deref(), Some("A & B 结束")),
        other => panic!("unexpected {other:?}"),
    }
}

/// Udesk gives up on a slow answer (10 s) and closes its connection; a push stored by then must
/// still reach the open stream, not wait for the next push or a reconnect (Udesk's retry of it
/// is deduplicated, so nothing else would deliver it). Each push here goes on its own raw TCP
/// connection that is closed right after the body is written, while a live stream is open.
#[tokio::test]
async fn a_push_stored_after_udesk_hung_up_still_reaches_the_live_stream() {
    use tokio::io::AsyncWriteExt;
    const PUSHES: usize = 200;
    let t = start(&[]).await;
    let v = t.visitor().await;
    let mut live = t.stream(&v.token, Resume::Fresh).await;
    live.assert_quiet(Duration::from_millis(100)).await;

    let addr = t.relay.addr;
    for n in 0..PUSHES {
        let body = agent_push(&v.customer_token, &[&format!("m{n}")]).to_string();
        let request = format!(
            "POST /webhooks/udesk/{WEBHOOK_SECRET} HTTP/1.1\r\nhost: {addr}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        // Hang up without waiting for the answer.
        drop(socket);
    }

    // What the store holds once the last handler is done: a replay from the start, read until
    // two replays agree.
    let url = format!("{}?token={}", t.url("/v1/events"), v.token);
    let mut stored = common::drain_stream(&t.client, &url, QUIET).await;
    loop {
        tokio::time::sleep(QUIET).await;
        let again = common::drain_stream(&t.client, &url, QUIET).await;
        if again.len() == stored.len() {
            break;
        }
        stored = again;
    }
    let stored: Vec<String> = stored.into_iter().map(|m| m.message.message_id).collect();
    assert!(!stored.is_empty(), "no push was stored at all");
    eprintln!("{} of {PUSHES} pushes were stored", stored.len());
    // And counted, although no answer went out.
    assert_eq!(
        t.metric("udesk_relay_events_in_total").await,
        stored.len() as u64
    );

    // The live stream has every stored push, once and in order, without any further push.
    let mut delivered = Vec::new();
    while let Some(event) = live.next_within(QUIET).await {
        let message: udesk_protocol::relay::StreamMessage =
            udesk_protocol::from_str(&event.data).unwrap();
        delivered.push(message.message.message_id);
    }
    let missing = stored.iter().filter(|id| !delivered.contains(id)).count();
    assert_eq!(
        delivered,
        stored,
        "{missing} of {} stored pushes never reached the live stream",
        stored.len()
    );
}
