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

/// A token for `customer_token` signed with `key`, as a forger would make it: in the shape of
/// `sample`, a token the relay issued (`ct.expires.sig` before tokens carried their first issue
/// time, `ct.issued.expires.sig` since).
fn token_signed_with(
    sample: &str,
    key: &[u8],
    customer_token: &str,
    issued_at: u64,
    expires_at: u64,
) -> String {
    use hmac::{Hmac, Mac};
    let (payload, head) = if sample.split('.').count() == 3 {
        (
            format!("udesk-chat/v1|{customer_token}|{expires_at}"),
            format!("{customer_token}.{expires_at}"),
        )
    } else {
        (
            format!("udesk-chat/v2|{customer_token}|{issued_at}|{expires_at}"),
            format!("{customer_token}.{issued_at}.{expires_at}"),
        )
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(payload.as_bytes());
    let sig = udesk_protocol::sign::hex(&mac.finalize().into_bytes());
    format!("{head}.{sig}")
}

fn hex_bytes(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The red team's attack: a host site signs ids its users choose; a user named
/// `udesk-chat token key` got its signature, which was the relay's token key, and signed a
/// never-expiring token for another visitor. Now no host signature is a key or a token.
#[tokio::test]
async fn a_host_signature_of_a_chosen_user_id_forges_no_token() {
    let t = start(&[]).await;
    let victim = t.visitor().await;
    let mut stream = t.stream(&victim.token, Resume::Fresh).await;
    let now = now_secs();
    for chosen_id in [
        "udesk-chat token key".to_owned(),
        "udesk-chat bearer token key v2".to_owned(),
        format!(
            "udesk-chat/v2|{}|{now}|{}",
            victim.customer_token,
            now + 3600
        ),
    ] {
        // The relay takes the user as any other signed user...
        let signature = sign_user_id(IDENTITY_SECRET, &chosen_id);
        let response = t
            .client
            .post(t.url("/v1/visitor"))
            .json(&json!({"user_id": chosen_id, "signature": signature}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        // ...but its signature signs nothing: not as a key, not as a token's signature.
        let key = hex_bytes(&signature);
        let forged = [
            token_signed_with(&victim.token, &key, &victim.customer_token, now, u64::MAX),
            token_signed_with(&victim.token, &key, &victim.customer_token, now, now + 3600),
            format!("{}.{now}.{}.{signature}", victim.customer_token, now + 3600),
        ];
        for token in forged {
            let (status, code, _) = error_body(t.raw_stream(&token).await).await;
            assert_eq!((status, code.as_str()), (401, "unauthorized"), "{token}");
            let renewal = t
                .client
                .post(t.url("/v1/visitor"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(error_body(renewal).await.0, 401, "renewed {token}");
            let sent = t.post_as(&token, "/v1/sessions", json!({})).await;
            assert_eq!(error_body(sent).await.0, 401);
        }
    }
    // The victim's stream saw nothing of it and still works.
    t.push(&agent_push(&victim.customer_token, &["still-mine"]))
        .await;
    assert_eq!(stream.message_ids(1).await, ["still-mine"]);
}

#[tokio::test]
async fn tokens_of_the_old_key_and_other_spellings_are_refused() {
    let t = start(&[]).await;
    let v = t.visitor().await;
    let now = now_secs();
    // The key the relay used to derive: HMAC(identity secret, "udesk-chat token key").
    let old_key = hex_bytes(&sign_user_id(IDENTITY_SECRET, "udesk-chat token key"));
    let old = token_signed_with(&v.token, &old_key, &v.customer_token, now, now + 3600);
    let (head, sig) = v.token.rsplit_once('.').unwrap();
    let (ct, rest) = v.token.split_once('.').unwrap();
    let spellings = [
        old,
        format!("{head}.{}", sig.to_uppercase()),
        format!("{ct}.0{rest}"),
        format!("{ct}.+{rest}"),
        format!("{ct}.%20{rest}"),
    ];
    for token in spellings {
        let (status, _, _) = error_body(t.raw_stream(&token).await).await;
        assert_eq!(status, 401, "{token}");
    }
    assert_eq!(t.raw_stream(&v.token).await.status(), 200);
}

#[tokio::test]
async fn existing_users_keep_their_customer_new_users_get_the_new_derivation() {
    let t = start(&[]).await;
    let login = |user: &'static str| {
        let client = t.client.clone();
        let url = t.url("/v1/visitor");
        async move {
            let response = client
                .post(url)
                .json(&json!({"user_id": user, "signature": sign_user_id(IDENTITY_SECRET, user)}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<VisitorResponse>().await.unwrap()
        }
    };
    let identity = Identity::new(IDENTITY_SECRET, None, 3600, 0);
    // "user-7" chatted before the upgrade: the store knows its old customer.
    let legacy = identity.legacy_customer_token_for_user("user-7");
    let profile = udesk_relay::store::CustomerProfile {
        customer_token: legacy.clone(),
        nick_name: Some("Old Timer".into()),
        email: None,
        created_upstream: true,
    };
    t.relay
        .state()
        .store
        .run(move |s| s.save_customer(&profile))
        .await
        .unwrap();
    assert_eq!(login("user-7").await.customer_token, legacy);
    // A new user gets a customer no host signature reveals.
    let fresh = login("user-8").await.customer_token;
    assert_eq!(fresh, identity.customer_token_for_user("user-8"));
    let old_style = sign_user_id(IDENTITY_SECRET, "udesk-chat customer_token\0user-8");
    assert!(!old_style.starts_with(&fresh[2..]));
}

#[tokio::test]
async fn renewal_ends_at_the_maximum_lifetime_from_the_first_issue() {
    let t = start(&["--token-ttl", "1", "--token-max-lifetime", "3"]).await;
    let first = t.visitor().await;
    let renew = |token: String| {
        let client = t.client.clone();
        let url = t.url("/v1/visitor");
        async move { client.post(url).bearer_auth(token).send().await.unwrap() }
    };
    // Renewed every second, the chain still ends 3 s after the first issue.
    let mut token = first.token.clone();
    let mut renewed = 0;
    let started = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(700)).await;
        let response = renew(token.clone()).await;
        if response.status() == 200 {
            let v: VisitorResponse = response.json().await.unwrap();
            assert_eq!(v.customer_token, first.customer_token);
            assert!(
                v.expires_at <= first.expires_at + 2,
                "renewed past the lifetime"
            );
            token = v.token;
            renewed += 1;
        } else {
            let (status, _, message) = error_body(response).await;
            assert_eq!(status, 401);
            assert!(message.contains("maximum lifetime"), "{message}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "a token chain outlived its maximum lifetime"
        );
    }
    assert!(
        renewed >= 2,
        "renewals within the lifetime work ({renewed})"
    );
}
