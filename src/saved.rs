//! The conversation as the widget saves it in `localStorage`, read and written with the protocol
//! crate's light readers ([`udesk_protocol::reader`]), like the relay's JSON.
//!
//! The JSON is what serde's derives write for [`Conversation`] (externally tagged enums in
//! snake_case, `null` for a missing optional value, message contents as `{type, data}`), so a
//! conversation saved by an older widget still restores; the tests derive serde for the state's
//! types and hold this module to them.

use serde_json::Value;

use udesk_protocol::reader;
use udesk_protocol::reader::value::{self, expected, opt_str, Fields, Object, Result};

use crate::state::{
    Author, Body, Conversation, Entry, Notice, Phase, Profile, SendState, Session, SurveyState,
    MAX_ENTRIES,
};

/// The JSON to save at `now_ms`: the newest [`MAX_ENTRIES`] entries.
pub fn to_json(conversation: &Conversation, now_ms: i64) -> String {
    let skip = conversation.entries.len().saturating_sub(MAX_ENTRIES);
    let saved = Conversation {
        entries: conversation.entries[skip..].to_vec(),
        saved_at: now_ms,
        ..conversation.clone()
    };
    conversation_value(&saved).to_string()
}

/// A saved conversation as it is (another tab's: its pending sends are still under way there);
/// `None` when `text` is not one (a foreign or damaged save).
pub fn from_json(text: &str) -> Option<Conversation> {
    reader::parse(text, conversation).ok()
}

/// This tab's conversation saved before a reload (see [`Conversation::after_reload`]).
pub fn restore(text: &str) -> Option<Conversation> {
    let mut conversation = from_json(text)?;
    conversation.after_reload();
    Some(conversation)
}

fn conversation(value: Value) -> Result<Conversation> {
    let mut f = Fields::of(value)?;
    Ok(Conversation {
        visitor: f.opt("visitor", reader::visitor_response)?,
        session: f.req("session", session)?,
        entries: f.req("entries", |v| value::list(v, entry))?,
        last_event_id: f.u64("last_event_id")?,
        unread: f.req("unread", value::u32)?,
        next_local: f.u64("next_local")?,
        saved_at: f.or("saved_at", 0, value::i64)?,
    })
}

fn conversation_value(c: &Conversation) -> Value {
    Object::new()
        .set(
            "visitor",
            c.visitor
                .as_ref()
                .map_or(Value::Null, reader::visitor_response_value),
        )
        .set("session", session_value(&c.session))
        .set("entries", value::array(&c.entries, entry_value))
        .set("last_event_id", c.last_event_id.into())
        .set("unread", c.unread.into())
        .set("next_local", c.next_local.into())
        .set("saved_at", c.saved_at.into())
        .value()
}

fn session(value: Value) -> Result<Session> {
    let mut f = Fields::of(value)?;
    Ok(Session {
        phase: f.req("phase", phase)?,
        im_sub_session_id: f.opt_u64("im_sub_session_id")?,
        queue_count: f.opt_u32("queue_count")?,
        assigning: f.req("assigning", value::bool)?,
        robot: f.opt("robot", profile)?,
        agent: f.opt("agent", profile)?,
        survey_options: f.opt("survey_options", reader::survey_options)?,
        no_agent: f.req("no_agent", value::bool)?,
    })
}

fn session_value(s: &Session) -> Value {
    Object::new()
        .set("phase", s.phase.as_str().into())
        .set("im_sub_session_id", s.im_sub_session_id.into())
        .set("queue_count", s.queue_count.into())
        .set("assigning", s.assigning.into())
        .set("robot", s.robot.as_ref().map_or(Value::Null, profile_value))
        .set("agent", s.agent.as_ref().map_or(Value::Null, profile_value))
        .set(
            "survey_options",
            s.survey_options
                .as_ref()
                .map_or(Value::Null, reader::survey_options_value),
        )
        .set("no_agent", s.no_agent.into())
        .value()
}

fn phase(value: Value) -> Result<Phase> {
    match value.as_str() {
        Some("idle") => Ok(Phase::Idle),
        Some("robot") => Ok(Phase::Robot),
        Some("queued") => Ok(Phase::Queued),
        Some("agent") => Ok(Phase::Agent),
        Some("closed") => Ok(Phase::Closed),
        _ => Err(expected("a phase")),
    }
}

fn profile(value: Value) -> Result<Profile> {
    let mut f = Fields::of(value)?;
    Ok(Profile {
        name: f.opt_string("name")?,
        avatar: f.opt_string("avatar")?,
    })
}

fn profile_value(p: &Profile) -> Value {
    Object::new()
        .set("name", opt_str(&p.name).unwrap_or_default())
        .set("avatar", opt_str(&p.avatar).unwrap_or_default())
        .value()
}

fn entry(value: Value) -> Result<Entry> {
    let mut f = Fields::of(value)?;
    Ok(Entry {
        key: f.string("key")?,
        rev: f.req("rev", value::u32)?,
        author: f.req("author", author)?,
        sender: f.or("sender", Profile::default(), profile)?,
        at_ms: f.opt_i64("at_ms")?,
        body: f.req("body", body)?,
    })
}

fn entry_value(e: &Entry) -> Value {
    Object::new()
        .set("key", e.key.as_str().into())
        .set("rev", e.rev.into())
        .set("author", author_name(e.author).into())
        .set("sender", profile_value(&e.sender))
        .set("at_ms", e.at_ms.into())
        .set("body", body_value(&e.body))
        .value()
}

fn author(value: Value) -> Result<Author> {
    match value.as_str() {
        Some("visitor") => Ok(Author::Visitor),
        Some("robot") => Ok(Author::Robot),
        Some("agent") => Ok(Author::Agent),
        Some("system") => Ok(Author::System),
        _ => Err(expected("an author")),
    }
}

fn author_name(author: Author) -> &'static str {
    match author {
        Author::Visitor => "visitor",
        Author::Robot => "robot",
        Author::Agent => "agent",
        Author::System => "system",
    }
}

/// An externally tagged enum value: `{"variant": fields}` → (variant, fields).
fn variant(value: Value) -> Result<(String, Value)> {
    match value {
        Value::Object(map) if map.len() == 1 => Ok(map.into_iter().next().unwrap_or_default()),
        _ => Err(expected("an object with one variant")),
    }
}

fn tagged(name: &str, fields: Object) -> Value {
    Object::new().set(name, fields.value()).value()
}

fn body(value: Value) -> Result<Body> {
    let (name, fields) = variant(value)?;
    let mut f = Fields::of(fields).map_err(|e| e.within(&name))?;
    let body = match name.as_str() {
        "reply" => Body::Reply {
            message_id: f.string("message_id")?,
            content: f.req("content", reader::tagged_content)?,
            rating: f.opt_bool("rating")?,
        },
        "outgoing" => Body::Outgoing {
            message_id: f.string("message_id")?,
            content: f.req("content", reader::tagged_content)?,
            target: f.opt_u64("target")?,
            state: f.req("state", send_state)?,
        },
        "notice" => Body::Notice {
            notice: f.req("notice", notice)?,
        },
        "survey" => Body::Survey {
            im_sub_session_id: f.u64("im_sub_session_id")?,
            options: f.req("options", reader::survey_options)?,
            state: f.req("state", survey_state)?,
        },
        _ => return Err(expected("reply, outgoing, notice or survey")),
    };
    Ok(body)
}

fn body_value(body: &Body) -> Value {
    match body {
        Body::Reply {
            message_id,
            content,
            rating,
        } => tagged(
            "reply",
            Object::new()
                .set("message_id", message_id.as_str().into())
                .set("content", reader::content_value(content))
                .set("rating", (*rating).into()),
        ),
        Body::Outgoing {
            message_id,
            content,
            target,
            state,
        } => tagged(
            "outgoing",
            Object::new()
                .set("message_id", message_id.as_str().into())
                .set("content", reader::content_value(content))
                .set("target", (*target).into())
                .set("state", send_state_name(*state).into()),
        ),
        Body::Notice { notice } => tagged(
            "notice",
            Object::new().set("notice", notice_name(notice).into()),
        ),
        Body::Survey {
            im_sub_session_id,
            options,
            state,
        } => tagged(
            "survey",
            Object::new()
                .set("im_sub_session_id", (*im_sub_session_id).into())
                .set("options", reader::survey_options_value(options))
                .set("state", survey_state_value(state)),
        ),
    }
}

fn send_state(value: Value) -> Result<SendState> {
    match value.as_str() {
        Some("pending") => Ok(SendState::Pending),
        Some("sent") => Ok(SendState::Sent),
        Some("failed") => Ok(SendState::Failed),
        _ => Err(expected("a send state")),
    }
}

fn send_state_name(state: SendState) -> &'static str {
    match state {
        SendState::Pending => "pending",
        SendState::Sent => "sent",
        SendState::Failed => "failed",
    }
}

fn notice(value: Value) -> Result<Notice> {
    match value.as_str() {
        Some("history_gap") => Ok(Notice::HistoryGap),
        Some("no_agent") => Ok(Notice::NoAgent),
        Some("conversation_ended") => Ok(Notice::ConversationEnded),
        Some("new_visitor") => Ok(Notice::NewVisitor),
        _ => Err(expected("a notice")),
    }
}

fn notice_name(notice: &Notice) -> &'static str {
    match notice {
        Notice::HistoryGap => "history_gap",
        Notice::NoAgent => "no_agent",
        Notice::ConversationEnded => "conversation_ended",
        Notice::NewVisitor => "new_visitor",
    }
}

fn survey_state(value: Value) -> Result<SurveyState> {
    if value.as_str() == Some("open") {
        return Ok(SurveyState::Open);
    }
    match variant(value)? {
        (name, fields) if name == "submitted" => Ok(SurveyState::Submitted {
            option_id: Fields::of(fields)?.u64("option_id")?,
        }),
        _ => Err(expected("open or submitted")),
    }
}

fn survey_state_value(state: &SurveyState) -> Value {
    match state {
        SurveyState::Open => "open".into(),
        SurveyState::Submitted { option_id } => tagged(
            "submitted",
            Object::new().set("option_id", (*option_id).into()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::{event, robot_session, sample_conversation, text, visitor};
    use serde_json::json;
    use udesk_protocol::{AssignType, Content};

    /// `value` with every `##UDESK_IM_STRUCT_MSG##{…}` text replaced by its JSON: serde writes a
    /// card's fields in declaration order, a `Value` in key order; both read back the same.
    fn cards_parsed(value: Value) -> Value {
        match value {
            Value::String(s) => match s.strip_prefix(udesk_protocol::content::STRUCT_PREFIX) {
                Some(json) => serde_json::from_str(json).unwrap(),
                None => Value::String(s),
            },
            Value::Array(items) => items.into_iter().map(cards_parsed).collect(),
            Value::Object(map) => map.into_iter().map(|(k, v)| (k, cards_parsed(v))).collect(),
            other => other,
        }
    }

    #[test]
    fn saves_exactly_what_serdes_derives_write() {
        let c = sample_conversation();
        assert!(c.entries.len() >= 15, "every kind of entry is covered");
        let ours = conversation_value(&c);
        assert_eq!(
            cards_parsed(ours.clone()),
            cards_parsed(serde_json::to_value(&c).unwrap())
        );
        assert_eq!(from_json(&ours.to_string()), Some(c));
    }

    #[test]
    fn reads_what_serdes_derives_read() {
        let saved = serde_json::to_value(sample_conversation()).unwrap();
        let mut variants = vec![saved.clone()];
        // Optional and defaulted fields left out.
        let mut lean = saved.clone();
        lean.as_object_mut().unwrap().remove("saved_at");
        lean["visitor"] = Value::Null;
        for e in lean["entries"].as_array_mut().unwrap() {
            e.as_object_mut().unwrap().remove("sender");
            e.as_object_mut().unwrap().remove("at_ms");
        }
        variants.push(lean);
        for value in variants {
            let theirs: Conversation = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(conversation(value).unwrap(), theirs);
        }
        // Damaged saves are refused by both.
        for broken in [
            json!({}),
            json!([]),
            {
                let mut v = saved.clone();
                v["session"]["phase"] = json!("asleep");
                v
            },
            {
                let mut v = saved.clone();
                v["entries"][0]["body"] = json!({"reply": {}, "notice": {}});
                v
            },
            {
                let mut v = saved.clone();
                v["unread"] = json!(-1);
                v
            },
        ] {
            assert!(serde_json::from_value::<Conversation>(broken.clone()).is_err());
            assert!(conversation(broken.clone()).is_err(), "{broken}");
        }
        assert_eq!(from_json("{not json"), None);
    }

    #[test]
    fn the_saved_conversation_restores_with_pending_sends_as_failed() {
        let mut c = Conversation::default();
        c.set_visitor(visitor("c1"), 0);
        c.session_created(AssignType::Robot, &robot_session(), 0);
        c.send("w-9".into(), Content::text("lost in reload"), 0);
        c.apply(
            event(
                5,
                AssignType::Robot,
                serde_json::json!({"message_id": "r5", "type": "message", "data": {
                    "question_id": 12, "answer": "<p>7 天</p>",
                    "gus_list": [{"question_title": "运费谁出？"}], "relate_list": ["退款多久？"],
                    "third_url": "https://help/returns"}}),
            ),
            true,
        );
        c.rated("r:r5", true);
        let restored = restore(&to_json(&c, 7)).unwrap();
        assert_eq!(restored.saved_at, 7);
        assert_eq!(restored.visitor, c.visitor);
        assert_eq!(restored.last_event_id, 5);
        assert_eq!(restored.entries.len(), c.entries.len());
        assert_eq!(restored.failed_message_ids(), ["w-9"]);
        match &restored.entry("r:r5").unwrap().body {
            Body::Reply {
                content: Content::RobotAnswer(answer),
                rating,
                ..
            } => {
                assert_eq!(answer.question_id, 12);
                assert_eq!(answer.gus_list[0].question_title, "运费谁出？");
                assert_eq!(answer.relate_list[0].question_title, "退款多久？");
                assert_eq!(
                    answer.third_url.as_ref().unwrap().url,
                    "https://help/returns"
                );
                assert_eq!(*rating, Some(true));
            }
            other => panic!("not a robot answer: {other:?}"),
        }
        assert!(restore("{not json").is_none());
    }

    #[test]
    fn saving_keeps_only_the_newest_entries() {
        let mut c = Conversation::default();
        for i in 0..(MAX_ENTRIES as u64 + 20) {
            c.apply(text(i + 1, &format!("m{i}"), "x"), true);
        }
        let restored = restore(&to_json(&c, 0)).unwrap();
        assert_eq!(restored.entries.len(), MAX_ENTRIES);
        assert_eq!(
            restored.entries.last().unwrap().key,
            c.entries.last().unwrap().key
        );
    }
}
