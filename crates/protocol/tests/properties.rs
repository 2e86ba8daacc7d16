//! Property tests: generated input for every reader of outside JSON in this crate.
//!
//! Inputs (`support/json.rs`): JSON built from the protocol's own field names and tricky leaves
//! (so that objects look like the real thing at every depth), the spec's examples with one to
//! three random mutations (a subtree replaced, a field removed, a field added), and examples with
//! exactly one leaf replaced (one fault). Invariants:
//! - nothing panics;
//! - the light readers (`udesk_protocol::reader`, the widget's) and the serde impls (the
//!   contract) agree on every input: the same value, or both refuse; with one fault both name
//!   the same field (or one names a field inside the other's: serde's lenient impls that read an
//!   item through a `Value` name the item). One difference is allowed: serde's derives also fill
//!   a struct from an array by position, the readers take objects only;
//! - JSON texts: what is not JSON the reader refuses as such;
//! - webhook envelopes in both shapes read without panicking, and a refusal names its field.
//!
//! [`CASES`] cases per target (11 targets); a failure is shrunk and kept in
//! `tests/properties.proptest-regressions`, which runs first next time.
#![cfg(feature = "reader")]

#[path = "support/json.rs"]
mod generated;

use generated::*;
use proptest::prelude::*;
use proptest::sample::Index;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::fmt::Debug;
use udesk_protocol::reader::{self as wire, value::Read};
use udesk_protocol::relay::{
    ErrorBody, StreamMessage, StreamReset, VisitorRequest, VisitorResponse,
};
use udesk_protocol::session::CreateSessionResponse;
use udesk_protocol::status::QueueStatusResponse;
use udesk_protocol::survey::SurveyOptions;
use udesk_protocol::{from_str, from_value, Content, NotificationEnvelope, ReplyMessage};

/// Cases per target: enough to find a disagreement within seconds, few enough to keep
/// `cargo test` fast.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // A failure is kept next to this file (properties.proptest-regressions) and runs first.
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

/// serde's derives also fill a struct from an array, by position; the readers take objects
/// only. Nobody sends that (the relay refuses a body that is not an object, and what it stores
/// and streams is written by serde as objects), so that one difference is allowed: the reader
/// refused an array where it wanted an object.
fn array_for_an_object(value: &Value, reader: &udesk_protocol::ParseError) -> bool {
    // "expected an object", or a field that is a name or an object ("a font name or a font
    // style"): the reader wanted an object where the input has an array.
    (reader.message == "expected an object" || reader.message.ends_with("font style"))
        && value_at(value, &reader.path).is_some_and(Value::is_array)
}

/// Whether two error paths name the same field: equal, or one inside the other. serde's
/// lenient impls that read an item through a `Value` (a `gus_list` entry, `tags`) name the item;
/// the reader names the field inside it.
fn same_field(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    long.strip_prefix(short)
        .is_some_and(|rest| short.is_empty() || rest.is_empty() || rest.starts_with(['.', '[']))
}

/// How closely two refusals must match.
#[derive(Clone, Copy, PartialEq)]
enum Refusals {
    /// Both refuse; with several faults each may name another.
    Alike,
    /// Both refuse at the same field (inputs with one fault).
    SameField,
}

/// The reader and serde agree on `value`: the same result, or both refuse (see [`Refusals`]).
fn agree<T: DeserializeOwned + PartialEq + Debug>(
    read: Read<T>,
    value: &Value,
    refusals: Refusals,
) -> Result<(), TestCaseError> {
    match (read(value.clone()), from_value::<T>(value.clone())) {
        (Ok(ours), Ok(theirs)) => prop_assert_eq!(ours, theirs, "in {}", value),
        (Err(ours), _) if array_for_an_object(value, &ours) => {}
        (Err(ours), Err(theirs)) => {
            if refusals == Refusals::SameField {
                prop_assert!(
                    same_field(&ours.path, &theirs.path),
                    "in {}: reader: {}; serde: {}",
                    value,
                    ours,
                    theirs
                );
            }
        }
        (ours, theirs) => {
            prop_assert!(
                false,
                "{}\n  reader: {:?}\n  serde: {:?}",
                value,
                ours,
                theirs
            )
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn contents_read_alike(value in inputs(content_seeds())) {
        agree::<Content>(wire::tagged_content, &value, Refusals::Alike)?;
    }

    #[test]
    fn contents_with_one_fault_are_refused_at_the_same_field(value in one_fault(content_seeds())) {
        agree::<Content>(wire::tagged_content, &value, Refusals::SameField)?;
    }

    #[test]
    fn stream_messages_read_alike(value in inputs(stream_seeds())) {
        agree::<StreamMessage>(wire::stream_message, &value, Refusals::Alike)?;
    }

    #[test]
    fn stream_messages_with_one_fault_are_refused_at_the_same_field(
        value in one_fault(stream_seeds())
    ) {
        agree::<StreamMessage>(wire::stream_message, &value, Refusals::SameField)?;
    }

    #[test]
    fn stream_resets_read_alike(value in inputs(vec![json!({"requested": 3, "earliest": 9})])) {
        agree::<StreamReset>(wire::stream_reset, &value, Refusals::Alike)?;
    }

    #[test]
    fn session_answers_read_alike(value in inputs(session_seeds())) {
        agree::<CreateSessionResponse>(wire::create_session_response, &value, Refusals::Alike)?;
    }

    #[test]
    fn session_answers_with_one_fault_are_refused_at_the_same_field(
        value in one_fault(session_seeds())
    ) {
        agree::<CreateSessionResponse>(
            wire::create_session_response, &value, Refusals::SameField
        )?;
    }

    #[test]
    fn survey_options_read_alike(value in inputs(survey_seeds())) {
        agree::<SurveyOptions>(wire::survey_options, &value, Refusals::Alike)?;
    }

    #[test]
    fn small_answers_read_alike(value in inputs(vec![
        json!({"code": 1000, "status": "排队中", "count": 3}),
        json!({"code": 9200, "message": "会话不存在"}),
        json!({"customer_token": "c", "token": "t", "expires_at": 2_000_000_000}),
        json!({"error": "udesk_error", "message": "暂无客服在线", "udesk_code": 2002}),
        json!({"user_id": "u-42", "signature": "ab", "name": "Ada", "email": null}),
    ])) {
        agree::<QueueStatusResponse>(wire::queue_status_response, &value, Refusals::Alike)?;
        agree::<VisitorResponse>(wire::visitor_response, &value, Refusals::Alike)?;
        agree::<ErrorBody>(wire::error_body, &value, Refusals::Alike)?;
        agree::<VisitorRequest>(wire::visitor_request, &value, Refusals::Alike)?;
    }

    /// Text, not values: the reader's `parse` and serde's `from_str` accept and refuse the same
    /// texts (mutated JSON and raw strings).
    #[test]
    fn json_texts_read_alike(text in prop_oneof![
        inputs(stream_seeds()).prop_map(|v| v.to_string()),
        (inputs(stream_seeds()), any::<Index>(), any::<Index>()).prop_map(|(v, a, b)| {
            // A slice of valid JSON: truncated or started mid-way.
            let text = v.to_string();
            let chars: Vec<char> = text.chars().collect();
            let (a, b) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
            chars[a.min(b)..a.max(b)].iter().collect::<String>()
        }),
        ".{0,40}",
    ]) {
        let ours = wire::parse(&text, wire::stream_message);
        let theirs = from_str::<StreamMessage>(&text);
        let json = serde_json::from_str::<Value>(&text).ok();
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), _) if json.as_ref().is_some_and(|v| array_for_an_object(v, a)) => {}
            // Text that is not JSON: the reader says so, at the top (serde names where in the
            // structure it stopped).
            (Err(a), Err(_)) if json.is_none() => {
                prop_assert!(a.path.is_empty() && a.message.starts_with("not JSON"), "{}", a);
            }
            (Err(_), Err(_)) => {}
            _ => prop_assert!(false, "{}\n  reader: {:?}\n  serde: {:?}", text, ours, theirs),
        }
    }

    /// Webhook bodies in both shapes: the envelope and each message read without panicking, and
    /// what is refused names its field (the relay answers 400 with it).
    #[test]
    fn webhook_bodies_are_read_or_refused_by_field(value in prop_oneof![
        3 => inputs(webhook_seeds()),
        1 => json_object(),
    ]) {
        let envelope = match from_value::<NotificationEnvelope>(value.clone()) {
            Ok(envelope) => envelope,
            // The relay refuses a body that is not an object before reading it.
            Err(_) if !value.is_object() => return Ok(()),
            Err(error) => {
                prop_assert!(
                    !error.path.is_empty() || error.message.starts_with("missing field `"),
                    "an envelope refused without naming a field: {} in {}", error, value
                );
                return Ok(());
            }
        };
        match envelope.into_raw_messages() {
            Ok(messages) => {
                for (at, message) in messages {
                    prop_assert!(at == "message" || at.starts_with("messages["), "{}", at);
                    if let Err(error) = from_value::<ReplyMessage>(message.clone()) {
                        let error = error.within(&at);
                        prop_assert!(error.path.starts_with(&at), "{} in {}", error, value);
                    }
                }
            }
            Err(error) => prop_assert!(
                !error.path.is_empty() || error.message.contains("message"),
                "an envelope refused without a field: {} in {}", error, value
            ),
        }
    }
}
