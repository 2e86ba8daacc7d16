//! Property tests of the relay's parsers of outside input, with generated and mutated input
//! (proptest; the JSON generators are the protocol's, `crates/protocol/tests/support/json.rs`):
//! - `/v1` request bodies through `state::parse_json`, as every handler reads them;
//! - webhook bodies in both shapes, POSTed to a real relay;
//! - `Last-Event-ID` (header) and `last_event_id` (query) on a real relay;
//! - visitor tokens and host-site user signatures (`identity`).
//!
//! Invariants: nothing panics and no outside input gets a 5xx; a refusal is a 4xx JSON error
//! whose message names the field (a path that exists in the input or a protocol field, or
//! "missing field `…`"); a webhook answered 200 has every one of its messages in the store; a
//! changed token never grants another customer or a later expiry; a signature verifies only
//! for the user it was made for.
//!
//! Cases per target: [`CASES`] for the pure parsers, [`HTTP_CASES`] for those that go through a
//! real relay (each case is a request).

mod common;
#[path = "../../protocol/tests/support/json.rs"]
mod generated;

use generated::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, TestRunner};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::fmt::Debug;
use udesk_protocol::customer::is_valid_customer_token;
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::relay::VisitorRequest;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::CreateSessionRequest;
use udesk_protocol::survey::SurveyRequest;
use udesk_relay::identity::{sign_user_id, Identity};
use udesk_relay::state::parse_json;
use udesk_relay::AppError;

/// Cases per pure target.
const CASES: u32 = 1000;
/// Cases per target that sends each case to a real relay.
const HTTP_CASES: u32 = 256;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // A failure is kept next to this file (properties.proptest-regressions) and runs first.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        source_file: Some(file!()),
        ..Config::default()
    }
}

/// Whether an error message names the field of `input` (a JSON object) it is about: `missing
/// field `x``, or a path before `: ` that exists in the input or starts with a protocol field.
fn names_a_field(message: &str, input: &Value) -> bool {
    if message.starts_with("missing field `") {
        return true;
    }
    let Some((path, _)) = message.split_once(": ") else {
        return false;
    };
    let last = path.rsplit(['.', '[']).next().unwrap_or_default();
    !path.is_empty() && (value_at(input, path).is_some() || KEYS.contains(&last))
}

/// A refused body: a 4xx `bad_request` whose message names the field when the body is an
/// object.
fn check_refusal(error: &AppError, body: &[u8]) -> Result<(), TestCaseError> {
    let status = error.status().as_u16();
    prop_assert_eq!(status, 400, "{:?}", error);
    let answer = error.body();
    prop_assert_eq!(answer.error.as_str(), "bad_request");
    if let Ok(input @ Value::Object(_)) = serde_json::from_slice::<Value>(body) {
        prop_assert!(
            names_a_field(&answer.message, &input),
            "{:?} does not name a field of {}",
            answer.message,
            input
        );
    }
    Ok(())
}

fn parses_or_names_the_field<T: DeserializeOwned + Debug>(
    body: &[u8],
) -> Result<(), TestCaseError> {
    match parse_json::<T>(body) {
        Ok(_) => Ok(()),
        Err(error) => check_refusal(&error, body),
    }
}

/// The widget's request bodies, as the spec and the widget write them.
fn request_seeds() -> Vec<Value> {
    vec![
        json!({}),
        json!({"assign_type": "agent", "agent_id": 7, "group_id": 3, "channel": "web"}),
        json!({"type": "message", "data": {"content": "你好"}, "im_sub_session_id": 1081,
               "message_id": "w-1"}),
        json!({"type": "image", "data": {"content": "https://x/a.png"}}),
        json!({"message_id": "r5", "question_id": 12, "useful": false}),
        json!({"im_sub_session_id": 1081, "option_id": 39, "remark": "等了很久"}),
        json!({"user_id": "u-42", "signature": "ab", "name": "Ada", "email": "ada@example.com"}),
    ]
}

/// Body bytes: mutated requests, built objects, any JSON, and bytes that may not be JSON or
/// UTF-8 at all.
fn bodies(seeds: Vec<Value>) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        4 => inputs(seeds).prop_map(|v| v.to_string().into_bytes()),
        1 => json_value().prop_map(|v| v.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..48),
        1 => "[ -~]{0,48}".prop_map(String::into_bytes),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn v1_bodies_are_read_or_refused_naming_the_field(body in bodies(request_seeds())) {
        parses_or_names_the_field::<CreateSessionRequest>(&body)?;
        parses_or_names_the_field::<SendMessageRequest>(&body)?;
        parses_or_names_the_field::<RobotEvaluationRequest>(&body)?;
        parses_or_names_the_field::<SurveyRequest>(&body)?;
        parses_or_names_the_field::<VisitorRequest>(&body)?;
    }

    #[test]
    fn arbitrary_tokens_never_verify(token in prop_oneof![
        ".{0,100}",
        "[a-z_0-9]{1,12}\\.[0-9]{1,20}\\.[0-9a-fA-F]{0,66}",
    ]) {
        let identity = Identity::new("identity-secret", None, 3600, 600);
        prop_assert!(identity.verify(&token, 1_000).is_err());
        prop_assert!(identity.verify_for_renewal(&token, 1_000).is_err());
    }

    /// Changing one character of a real token (replacing, inserting or removing it) never
    /// yields another customer or a later expiry: either it is refused, or it reads as the same
    /// token (an upper-case hex digit, a leading zero in the expiry).
    #[test]
    fn changed_tokens_never_grant_more(
        customer in "[A-Za-z0-9_]{1,64}",
        now in 0u64..4_000_000_000,
        at in any::<prop::sample::Index>(),
        change in prop_oneof![
            any::<char>().prop_map(Some),
            Just(None),
        ],
        insert in any::<bool>(),
    ) {
        let identity = Identity::new("identity-secret", None, 3600, 600);
        let (token, expires_at) = identity.issue(&customer, now);
        let mut chars: Vec<char> = token.chars().collect();
        let i = at.index(chars.len());
        match (change, insert) {
            (Some(c), true) => chars.insert(i, c),
            (Some(c), false) => chars[i] = c,
            (None, _) => {
                chars.remove(i);
            }
        }
        let changed: String = chars.into_iter().collect();
        if let Ok((who, until)) = identity.verify_until(&changed, now) {
            prop_assert_eq!(who, customer, "{} from {}", changed, token);
            prop_assert_eq!(until, expires_at, "{} from {}", changed, token);
        }
    }

    /// A host site's signature verifies for its user only; other users, changed signatures and
    /// junk are refused. (Any user id: it is the host's.)
    #[test]
    fn user_signatures_verify_for_their_user_only(
        user in ".{0,40}",
        other in ".{0,40}",
        junk in ".{0,80}",
        at in any::<prop::sample::Index>(),
        digit in 0u32..15,
    ) {
        let identity = Identity::new("identity-secret", None, 3600, 600);
        let signature = sign_user_id("identity-secret", &user);
        prop_assert!(identity.check_user_signature(&user, &signature));
        if other != user {
            prop_assert!(!identity.check_user_signature(&other, &signature));
        }
        // One hex digit changed to another value.
        let mut changed: Vec<char> = signature.chars().collect();
        let i = at.index(changed.len());
        let old = changed[i].to_digit(16).unwrap();
        changed[i] = char::from_digit((old + 1 + digit) % 16, 16).unwrap();
        let changed: String = changed.into_iter().collect();
        prop_assert!(!identity.check_user_signature(&user, &changed));
        if !junk.trim().eq_ignore_ascii_case(&signature) {
            prop_assert!(!identity.check_user_signature(&user, &junk));
        }
        let customer = identity.customer_token_for_user(&user);
        prop_assert!(is_valid_customer_token(&customer));
    }
}

/// A multi-thread runtime for the targets that talk to a real relay (proptest's runner is
/// synchronous; each case blocks on its request).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The message_ids of a webhook body's messages as the store keys them (a number as its
/// decimal text), when every message has one.
fn message_ids(body: &Value) -> Option<Vec<String>> {
    let mut raw: Vec<&Value> = Vec::new();
    if let Some(one) = body.get("message").filter(|m| !m.is_null()) {
        raw.push(one);
    }
    if let Some(Value::Array(list)) = body.get("messages") {
        raw.extend(list);
    }
    raw.iter()
        .map(|m| match m.get("message_id")? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn webhook_bodies_are_stored_whole_or_refused_naming_the_field() {
    let rt = runtime();
    let t = rt.block_on(common::start(&[]));
    let url = t.url(&format!("/webhooks/udesk/{}", common::WEBHOOK_SECRET));
    let case = std::sync::atomic::AtomicU64::new(0);
    let stored = std::sync::atomic::AtomicU64::new(0);
    let strategy = prop_oneof![
        4 => inputs(webhook_seeds()),
        1 => json_object(),
    ];
    let mut runner = TestRunner::new(config(HTTP_CASES));
    runner
        .run(&strategy, |mut body| {
            // Each case its own customer, so that what is found stored is this push's.
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let customer = format!("p_{n}_{}", rand_suffix());
            if let Some(Value::String(token)) = body.get_mut("customer_token") {
                if is_valid_customer_token(token) {
                    *token = customer.clone();
                }
            }
            let bytes = body.to_string();
            let (status, answer) = rt.block_on(async {
                let response = t
                    .client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(bytes.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.bytes().await.unwrap())
            });
            prop_assert!(
                status == 200 || status == 400,
                "{} for {}: {:?}",
                status,
                bytes,
                answer
            );
            if status == 400 {
                let error: Value = serde_json::from_slice(&answer).unwrap();
                let message = error["message"].as_str().unwrap_or_default();
                prop_assert_eq!(&error["error"], "bad_request");
                if body.is_object() {
                    prop_assert!(
                        names_a_field(message, &body),
                        "{:?} names no field of {}",
                        message,
                        bytes
                    );
                } else {
                    prop_assert_eq!(message, "the body must be a JSON object");
                }
                return Ok(());
            }
            // Acknowledged: every message is in the store (deduplicated by its id).
            let token = body["customer_token"].as_str().unwrap().to_owned();
            let ids = message_ids(&body).expect("a push answered 200 has ids");
            let store = t.relay.state().store.clone();
            let missing = rt.block_on(store.run(move |s| {
                let mut missing = Vec::new();
                for id in ids {
                    if !s.knows_message(&token, &id)? {
                        missing.push(id);
                    }
                }
                Ok(missing)
            }));
            prop_assert_eq!(missing.unwrap(), Vec::<String>::new(), "{}", bytes);
            stored.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        })
        .unwrap();
    eprintln!(
        "webhook bodies: {} cases, {} stored, the rest refused naming the field",
        case.into_inner(),
        stored.into_inner()
    );
}

/// A random suffix, so that customers of another run of this test never collide.
fn rand_suffix() -> u32 {
    rand::random()
}

#[test]
fn resume_ids_are_read_or_refused_naming_where() {
    let rt = runtime();
    let t = rt.block_on(common::start(&["--max-streams-per-ip", "0"]));
    let visitor = rt.block_on(t.visitor());
    let strategy = (
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| format!(" {n}\t")),
            Just(String::new()),
            "-[0-9]{1,5}",
            "[0-9]{19,24}",
            "[0-9]{1,4}[.e+x ][0-9]{0,3}",
            "[ -~]{0,24}",
        ],
        any::<bool>(),
    );
    let streams = std::sync::atomic::AtomicU64::new(0);
    let refused = std::sync::atomic::AtomicU64::new(0);
    let mut runner = TestRunner::new(config(HTTP_CASES));
    runner
        .run(&strategy, |(id, in_header)| {
            let mut request = t
                .client
                .get(t.url("/v1/events"))
                .query(&[("token", visitor.token.as_str())]);
            request = if in_header {
                request.header("Last-Event-ID", id.as_str())
            } else {
                request.query(&[("last_event_id", id.as_str())])
            };
            let (status, content_type, body) = rt.block_on(async {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                let content_type = response.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                // A stream is left open: only its head is wanted.
                let body = if status == 200 {
                    Vec::new()
                } else {
                    response.bytes().await.unwrap().to_vec()
                };
                (status, content_type, body)
            });
            let readable = {
                let text = id.trim();
                text.is_empty() || text.parse::<u64>().is_ok()
            };
            let outcome = if readable { &streams } else { &refused };
            outcome.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if readable {
                prop_assert_eq!(status, 200, "{:?}", id);
                prop_assert_eq!(content_type, "text/event-stream");
            } else {
                prop_assert_eq!(status, 400, "{:?}", id);
                let error: Value = serde_json::from_slice(&body).unwrap();
                let field = if in_header {
                    "Last-Event-ID: "
                } else {
                    "last_event_id: "
                };
                let message = error["message"].as_str().unwrap_or_default();
                prop_assert!(message.starts_with(field), "{:?} for {:?}", message, id);
            }
            Ok(())
        })
        .unwrap();
    eprintln!(
        "resume ids: {} streams opened, {} refused naming the field",
        streams.into_inner(),
        refused.into_inner()
    );
}
