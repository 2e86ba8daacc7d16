//! Visitor identity: anonymous and signed users, renewal, and refusal of forged, expired and
//! foreign tokens on the API and the event stream; one visitor never sees or touches another's
//! conversation.

mod common;

use common::{agent_push, error_body, robot_push, start, Resume, IDENTITY_SECRET};
use serde_json::json;
use std::time::Duration;
use udesk_protocol::relay::VisitorResponse;
use udesk_relay::identity::{sign_user_id, Identity};
use udesk_relay::state::now_secs;

#[tokio::test]
async fn anonymous_visitors_get_distinct_customers_and_renewal_keeps_theirs() {
    let t = start(&[]).await;
    let a = t.visitor().await;
    let b = t.visitor().await;
    assert_ne!(a.customer_token, b.customer_token);
    assert!(a.customer_token.starts_with("v_"));
    assert!(a.expires_at > now_secs() + 3600);

    let renewed: VisitorResponse = t
        .client
        .post(t.url("/v1/visitor"))
        .bearer_auth(&a.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(renewed.customer_token, a.customer_token);

    // A forged token cannot be renewed into someone's customer.
    let forged = a.token.replacen(&a.customer_token, &b.customer_token, 1);
    let response = t
        .client
        .post(t.url("/v1/visitor"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_body(response).await;
    assert_eq!((status, code.as_str()), (401, "unauthorized"));
}

#[tokio::test]
async fn signed_users_map_to_a_stable_customer_and_bad_signatures_are_refused() {
    let t = start(&[]).await;
    let signature = sign_user_id(IDENTITY_SECRET, "user-42");
    let login = || async {
        let response = t
            .client
            .post(t.url("/v1/visitor"))
            .json(&json!({"user_id": "user-42", "signature": signature, "name": "Ann"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<VisitorResponse>().await.unwrap()
    };
    let first = login().await;
    let again = login().await;
    assert_eq!(
        first.customer_token, again.customer_token,
        "same user, same customer"
    );
    assert!(first.customer_token.starts_with("u_"));

    let cases = [
        (
            json!({"user_id": "user-43", "signature": signature}),
            401,
            "unauthorized",
        ),
        (
            json!({"user_id": "user-42", "signature": "00"}),
            401,
            "unauthorized",
        ),
        (
            json!({"user_id": "user-42", "signature": sign_user_id("another-site", "user-42")}),
            401,
            "unauthorized",
        ),
        (json!({"user_id": "user-42"}), 400, "bad_request"),
        (
            json!({"user_id": 42, "signature": signature}),
            400,
            "bad_request",
        ),
    ];
    for (body, status, code) in cases {
        let response = t
            .client
            .post(t.url("/v1/visitor"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let got = error_body(response).await;
        assert_eq!((got.0, got.1.as_str()), (status, code), "{body}");
    }
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_401_on_api_and_stream() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let now = now_secs();
    let expired = Identity::new(IDENTITY_SECRET, None, 60, 0)
        .issue(&v.customer_token, now - 600)
        .0;
    let foreign = Identity::new("another-relay", None, 3600, 0)
        .issue(&v.customer_token, now)
        .0;
    let forged = {
        let (head, _) = v.token.rsplit_once('.').unwrap();
        format!("{head}.{}", "0".repeat(64))
    };
    let bad_tokens = [
        ("expired", expired),
        ("foreign", foreign),
        ("forged", forged),
        ("garbage", "garbage".to_owned()),
    ];
    for (what, token) in &bad_tokens {
        let calls = [
            t.client
                .post(t.url("/v1/messages"))
                .json(&json!({"type": "message", "data": {"content": "hi"}})),
            t.client.post(t.url("/v1/sessions")).json(&json!({})),
            t.client
                .post(t.url("/v1/surveys"))
                .json(&json!({"im_sub_session_id": 1, "option_id": 1})),
            t.client
                .post(t.url("/v1/robot/evaluations"))
                .json(&json!({"message_id": "m", "question_id": 1, "useful": true})),
            t.client.get(t.url("/v1/queue_status")),
        ];
        for call in calls {
            let response = call.bearer_auth(token).send().await.unwrap();
            let url = response.url().path().to_owned();
            let (status, code, _) = error_body(response).await;
            assert_eq!(
                (status, code.as_str()),
                (401, "unauthorized"),
                "{what} token on {url}"
            );
        }
        let response = t
            .client
            .get(format!("{}?token={token}", t.url("/v1/events")))
            .send()
            .await
            .unwrap();
        let (status, code, _) = error_body(response).await;
        assert_eq!(
            (status, code.as_str()),
            (401, "unauthorized"),
            "{what} token on the stream"
        );
    }
    // No token at all.
    let response = t.client.get(t.url("/v1/events")).send().await.unwrap();
    assert_eq!(error_body(response).await.0, 401);
    let response = t
        .client
        .get(t.url("/v1/queue_status"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(response).await.0, 401);
}

#[tokio::test]
async fn a_visitor_never_sees_or_touches_another_visitors_conversation() {
    let t = start(&[]).await;
    let alice = t.visitor().await;
    let bob = t.visitor().await;
    let mut bobs_stream = t.stream(&bob.token, Resume::Fresh).await;

    // Alice's agent session 1081 (the push records it as hers).
    assert_eq!(
        t.push(&agent_push(&alice.customer_token, &["for-alice"]))
            .await,
        200
    );
    assert_eq!(
        t.push(&robot_push(&bob.customer_token, "for-bob")).await,
        200
    );
    assert_eq!(bobs_stream.message().await.message.message_id, "for-bob");
    bobs_stream.assert_quiet(Duration::from_millis(300)).await;

    // Bob may not message, rate or survey Alice's session or answers.
    let attempts = [
        (
            "/v1/messages",
            json!({"im_sub_session_id": 1081, "type": "message", "data": {"content": "hi"}}),
        ),
        (
            "/v1/surveys",
            json!({"im_sub_session_id": 1081, "option_id": 36}),
        ),
        (
            "/v1/robot/evaluations",
            json!({"message_id": "for-alice", "question_id": 12, "useful": false}),
        ),
    ];
    for (path, body) in attempts {
        let response = t.post_as(&bob.token, path, body).await;
        let (status, code, _) = error_body(response).await;
        assert_eq!((status, code.as_str()), (403, "forbidden"), "{path}");
    }
}

#[tokio::test]
async fn an_open_stream_ends_when_its_token_expires() {
    let t = start(&["--token-ttl", "2"]).await;
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, Resume::Fresh).await;
    t.push(&agent_push(&v.customer_token, &["m1"])).await;
    assert_eq!(stream.message_ids(1).await, ["m1"]);
    // Not a second longer than the token: a stolen token's stream does not outlive it.
    assert!(
        stream.ends_within(Duration::from_secs(5)).await,
        "the stream outlived its token"
    );
    let response = t.raw_stream(&v.token).await;
    assert_eq!(error_body(response).await.0, 401, "the browser must renew");
}
