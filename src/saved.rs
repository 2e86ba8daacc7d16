//! The conversation as the widget saves it in `localStorage`, read and written with the protocol
//! crate's light readers ([`udesk_protocol::reader`]), like the relay's JSON.
//!
//! # Layout: a small head and one key per entry
//! A save costs in proportion to what changed, not to the conversation: the head
//! (`udesk-chat:v1:<relay origin>`) holds the visitor, the session, where the stream left off,
//! the unread count, the time of the save and the newest [`MAX_ENTRIES`] entries' keys and
//! revisions in order ([`Outline`]); each entry is a key of its own
//! (`udesk-chat:v1-entry:<relay origin>:<entry key>`), written when it is new or changed and
//! removed when it falls out of the window. A new reply writes its entry and the head (a few
//! hundred bytes per entry in the head, about 10 KB at 300), never the whole transcript; another
//! tab reads the head, and only the entries it lacks (see [`Conversation::merge`]). [`Saver`]
//! knows what this tab last wrote and plans each save.
//!
//! Saves of older widgets (the whole conversation in the head, under `entries`) still restore:
//! the next save writes the new layout.
//!
//! The JSON of an entry, and the head's visitor and session, are what serde's derives write for
//! the state's types (externally tagged enums in snake_case, `null` for a missing optional value,
//! message contents as `{type, data}`); the tests derive serde for them and hold this module to
//! them.

use serde_json::Value;

use udesk_protocol::reader;
use udesk_protocol::reader::value::{self, expected, opt_str, Fields, Object, Result};

use crate::state::{
    find_near, Author, Body, Conversation, Entry, Notice, Outline, Phase, Profile, SendState,
    Session, SurveyState, MAX_ENTRIES,
};

/// Where a site's conversation is kept: the head's key, and the prefix of its entries' keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keys {
    pub head: String,
    entry_prefix: String,
}

impl Keys {
    /// The keys of the conversation with the relay at `relay_origin`.
    pub fn of(relay_origin: &str) -> Keys {
        Keys {
            head: ["udesk-chat:v1:", relay_origin].concat(),
            entry_prefix: ["udesk-chat:v1-entry:", relay_origin, ":"].concat(),
        }
    }

    /// The key of the entry `key`.
    pub fn entry(&self, key: &str) -> String {
        [self.entry_prefix.as_str(), key].concat()
    }
}

/// A saved head: the outline, and the entries themselves when an older widget saved them in it.
pub struct Head {
    pub outline: Outline,
    pub entries: Option<Vec<Entry>>,
}

/// Reads a saved head; `None` when `text` is not one (a foreign or damaged save).
pub fn read_head(text: &str) -> Option<Head> {
    reader::parse(text, head).ok()
}

/// The saved conversation as it is (another tab's: its pending sends are still under way
/// there): the head `text`, with the entries `get` gives for their keys (a missing or damaged
/// entry is left out). `None` when `text` is not a save.
pub fn load(keys: &Keys, text: &str, get: impl Fn(&str) -> Option<String>) -> Option<Conversation> {
    let Head { outline, entries } = read_head(text)?;
    let entries = match entries {
        Some(entries) => entries,
        None => outline
            .order
            .iter()
            .filter_map(|(key, _)| {
                get(&keys.entry(key))
                    .and_then(|t| read_entry(&t))
                    .filter(|e| e.key == *key)
            })
            .collect(),
    };
    Some(Conversation {
        visitor: outline.visitor,
        session: outline.session,
        entries,
        last_event_id: outline.last_event_id,
        unread: outline.unread,
        next_local: outline.next_local,
        saved_at: outline.saved_at,
    })
}

/// This tab's conversation saved before a reload (see [`Conversation::after_reload`]).
pub fn restore(
    keys: &Keys,
    text: &str,
    get: impl Fn(&str) -> Option<String>,
) -> Option<Conversation> {
    let mut conversation = load(keys, text, get)?;
    conversation.after_reload();
    Some(conversation)
}

/// The JSON of a saved entry.
pub fn entry_json(entry: &Entry) -> String {
    entry_value(entry).to_string()
}

/// A saved entry; `None` when `text` is not one.
pub fn read_entry(text: &str) -> Option<Entry> {
    reader::parse(text, entry).ok()
}

/// What one save writes to `localStorage`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Writes {
    /// The head, unless it is already what storage holds.
    pub head: Option<String>,
    /// (storage key, JSON) of the entries that are new or changed.
    pub entries: Vec<(String, String)>,
    /// Storage keys of entries that fell out of the window.
    pub removed: Vec<String>,
}

/// What this tab last wrote (or read) of the save, to write only what changed.
#[derive(Debug)]
pub struct Saver {
    keys: Keys,
    /// The entries in storage with their revisions, as far as this tab knows, in the order of
    /// the window last written.
    stored: Vec<(String, u32)>,
    /// The head in storage, as far as this tab knows.
    head: String,
}

impl Saver {
    /// For a conversation just loaded from storage, taken as saved as it is (`from_entry_keys`:
    /// in this layout, not an older widget's save, whose entries are yet to be written).
    pub fn new(keys: Keys, loaded: &Conversation, from_entry_keys: bool) -> Saver {
        let head = outline_json(&loaded.outline(MAX_ENTRIES));
        let stored = if from_entry_keys {
            let skip = loaded.entries.len().saturating_sub(MAX_ENTRIES);
            loaded.entries[skip..]
                .iter()
                .map(|e| (e.key.clone(), e.rev))
                .collect()
        } else {
            Vec::new()
        };
        Saver { keys, stored, head }
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// What to write for a change of this tab's, stamped `now_ms`; `None` when nothing changed
    /// since the last save or merge. The caller sets `saved_at` to `now_ms` once written.
    pub fn save(&mut self, conversation: &Conversation, now_ms: i64) -> Option<Writes> {
        let outline = conversation.outline(MAX_ENTRIES);
        let unchanged = outline_json(&outline) == self.head && outline.order == self.stored;
        if unchanged {
            return None;
        }
        let stamped = Outline {
            saved_at: now_ms,
            ..outline
        };
        Some(self.writes(conversation, &stamped, None))
    }

    /// What to write after merging another tab's save `theirs` (the head's text): the entries
    /// that tab lacks, and the head when the union differs from it. `read` are the entries read
    /// from storage for the merge, (key, revision): storage holds them already.
    pub fn merged(
        &mut self,
        conversation: &Conversation,
        theirs: &str,
        read: &[(String, u32)],
    ) -> Writes {
        for (key, rev) in read {
            match find_near(&self.stored, key, 0, |s| &s.0) {
                Some(i) => self.stored[i].1 = *rev,
                None => self.stored.push((key.clone(), *rev)),
            }
        }
        let outline = conversation.outline(MAX_ENTRIES);
        self.writes(conversation, &outline, Some(theirs))
    }

    fn writes(&mut self, c: &Conversation, outline: &Outline, stored_head: Option<&str>) -> Writes {
        let head = outline_json(outline);
        let skip = c.entries.len().saturating_sub(MAX_ENTRIES);
        let mut writes = Writes::default();
        let mut hint = 0;
        for entry in &c.entries[skip..] {
            let known = find_near(&self.stored, &entry.key, hint, |s| &s.0).map(|i| {
                hint = i + 1;
                self.stored[i].1
            });
            if known != Some(entry.rev) {
                writes
                    .entries
                    .push((self.keys.entry(&entry.key), entry_json(entry)));
            }
        }
        let window = outline.order.clone();
        let mut hint = 0;
        for (key, _) in &self.stored {
            match find_near(&window, key, hint, |w| &w.0) {
                Some(i) => hint = i + 1,
                None => writes.removed.push(self.keys.entry(key)),
            }
        }
        self.stored = window;
        if stored_head != Some(head.as_str()) {
            writes.head = Some(head.clone());
        }
        self.head = head;
        writes
    }
}

/// The JSON of a head.
pub fn outline_json(o: &Outline) -> String {
    let order = o
        .order
        .iter()
        .map(|(key, rev)| Value::Array(vec![key.as_str().into(), (*rev).into()]))
        .collect();
    Object::new()
        .set(
            "visitor",
            o.visitor
                .as_ref()
                .map_or(Value::Null, reader::visitor_response_value),
        )
        .set("session", session_value(&o.session))
        .set("order", Value::Array(order))
        .set("last_event_id", o.last_event_id.into())
        .set("unread", o.unread.into())
        .set("next_local", o.next_local.into())
        .set("saved_at", o.saved_at.into())
        .value()
        .to_string()
}

fn head(value: Value) -> Result<Head> {
    let mut f = Fields::of(value)?;
    let entries = f.opt("entries", |v| value::list(v, entry))?;
    let order = match &entries {
        Some(entries) => entries.iter().map(|e| (e.key.clone(), e.rev)).collect(),
        None => f.list("order", |v| {
            let mut pair = value::list(v, Ok)?.into_iter();
            match (pair.next(), pair.next(), pair.next()) {
                (Some(key), Some(rev), None) => Ok((value::string(key)?, value::u32(rev)?)),
                _ => Err(expected("[key, revision]")),
            }
        })?,
    };
    Ok(Head {
        outline: Outline {
            visitor: f.opt("visitor", reader::visitor_response)?,
            session: f.req("session", session)?,
            order,
            last_event_id: f.u64("last_event_id")?,
            unread: f.req("unread", value::u32)?,
            next_local: f.u64("next_local")?,
            saved_at: f.or("saved_at", 0, value::i64)?,
        },
        entries,
    })
}

/// The whole conversation in one JSON document, as older widgets saved it.
#[cfg(test)]
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
    fn keys() -> Keys {
        Keys::of("http://relay.test")
    }

    /// A storage of its own for a tab (shared by tabs in a test through `Rc`).
    type Storage = std::collections::BTreeMap<String, String>;

    fn apply(storage: &mut Storage, writes: Writes, keys: &Keys) {
        for (key, json) in writes.entries {
            storage.insert(key, json);
        }
        for key in writes.removed {
            storage.remove(&key);
        }
        if let Some(head) = writes.head {
            storage.insert(keys.head.clone(), head);
        }
    }

    /// `c` saved at `at` into an empty storage by a new tab, then restored after a reload.
    fn saved_and_restored(c: &Conversation, at: i64) -> Conversation {
        let mut storage = Storage::new();
        let mut saver = Saver::new(keys(), &Conversation::default(), true);
        apply(&mut storage, saver.save(c, at).unwrap(), &keys());
        let head = storage[&keys().head].clone();
        restore(&keys(), &head, |k| storage.get(k).cloned()).unwrap()
    }

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
        assert_eq!(load(&keys(), &ours.to_string(), |_| None), Some(c));
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
            assert_eq!(load(&keys(), &value.to_string(), |_| None), Some(theirs));
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
            assert!(
                load(&keys(), &broken.to_string(), |_| None).is_none(),
                "{broken}"
            );
        }
        assert!(read_head("{not json").is_none());
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
        let restored = saved_and_restored(&c, 7);
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
        assert!(restore(&keys(), "{not json", |_| None).is_none());
    }

    #[test]
    fn saving_keeps_only_the_newest_entries() {
        let mut c = Conversation::default();
        for i in 0..(MAX_ENTRIES as u64 + 20) {
            c.apply(text(i + 1, &format!("m{i}"), "x"), true);
        }
        let restored = saved_and_restored(&c, 0);
        assert_eq!(restored.entries.len(), MAX_ENTRIES);
        assert_eq!(
            restored.entries.last().unwrap().key,
            c.entries.last().unwrap().key
        );
    }

    #[test]
    fn a_new_reply_writes_its_entry_and_the_head_not_the_transcript() {
        let mut c = Conversation::default();
        c.set_visitor(visitor("c1"), 0);
        for i in 0..(MAX_ENTRIES as u64 + 20) {
            c.apply(text(i + 1, &format!("m{i}"), "x"), true);
        }
        let mut storage = Storage::new();
        let mut saver = Saver::new(keys(), &Conversation::default(), true);
        let first = saver.save(&c, 1).unwrap();
        assert_eq!(first.entries.len(), MAX_ENTRIES);
        apply(&mut storage, first, &keys());
        c.saved_at = 1;
        assert_eq!(saver.save(&c, 2), None, "nothing changed, nothing written");

        c.apply(text(1000, "new", "y"), true);
        let writes = saver.save(&c, 3).unwrap();
        assert_eq!(
            writes
                .entries
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            [keys().entry("r:new")]
        );
        assert_eq!(
            writes.removed,
            [keys().entry("r:m20")],
            "fell out of the window"
        );
        assert!(writes.head.is_some());
        apply(&mut storage, writes, &keys());
        assert_eq!(storage.len(), MAX_ENTRIES + 1);

        // A changed entry (a rating) writes that entry again.
        c.saved_at = 3;
        c.rated("r:new", true);
        let writes = saver.save(&c, 4).unwrap();
        assert_eq!(writes.entries.len(), 1);
        apply(&mut storage, writes, &keys());
        c.saved_at = 4;

        let head = storage[&keys().head].clone();
        let restored = restore(&keys(), &head, |k| storage.get(k).cloned()).unwrap();
        assert_eq!(restored.entries.len(), MAX_ENTRIES);
        assert_eq!(
            restored.entries[..],
            c.entries[c.entries.len() - MAX_ENTRIES..]
        );
        assert_eq!(restored.last_event_id, 1000);
        assert_eq!(restored.saved_at, 4);
    }

    #[test]
    fn another_tab_reads_only_the_entries_it_lacks() {
        let mut leader = Conversation::default();
        leader.set_visitor(visitor("c1"), 0);
        for i in 0..50 {
            leader.apply(text(i + 1, &format!("m{i}"), "x"), true);
        }
        let mut storage = Storage::new();
        let mut leader_saver = Saver::new(keys(), &Conversation::default(), true);
        apply(
            &mut storage,
            leader_saver.save(&leader, 1).unwrap(),
            &keys(),
        );
        leader.saved_at = 1;
        let head = storage[&keys().head].clone();
        let mut follower = load(&keys(), &head, |k| storage.get(k).cloned()).unwrap();
        let mut follower_saver = Saver::new(keys(), &follower, true);

        // Three replies and a message of the follower's own meanwhile.
        for i in 50..53 {
            leader.apply(text(i + 1, &format!("m{i}"), "x"), false);
        }
        apply(
            &mut storage,
            leader_saver.save(&leader, 2).unwrap(),
            &keys(),
        );
        follower.send("w-1".into(), Content::text("mine"), 2);
        let theirs = storage[&keys().head].clone();
        let mut read = Vec::new();
        let merged = follower.merge(read_head(&theirs).unwrap().outline, |key| {
            read.push(key.to_owned());
            storage.get(&keys().entry(key)).and_then(|t| read_entry(t))
        });
        assert_eq!(read, ["r:m50", "r:m51", "r:m52"]);
        assert_eq!(merged.news.len(), 3);
        assert!(merged.news.iter().all(|(_, notable)| *notable));
        let read: Vec<(String, u32)> = read.into_iter().map(|k| (k, 0)).collect();
        let writes = follower_saver.merged(&follower, &theirs, &read);
        assert_eq!(
            writes
                .entries
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>(),
            [keys().entry("v:w-1")],
            "only what the other tab lacks"
        );
        assert!(writes.head.is_some(), "the union differs from their head");
        apply(&mut storage, writes, &keys());
        let theirs = storage[&keys().head].clone();
        let merged = leader.merge(read_head(&theirs).unwrap().outline, |key| {
            storage.get(&keys().entry(key)).and_then(|t| read_entry(t))
        });
        assert!(merged.changed);
        assert_eq!(leader.entries, follower.entries);
    }

    #[test]
    fn an_older_widgets_save_restores_and_is_rewritten_in_entries() {
        let c = sample_conversation();
        let old = conversation_value(&c).to_string();
        let loaded = load(&keys(), &old, |_| None).unwrap();
        assert_eq!(loaded, c);
        let mut saver = Saver::new(keys(), &loaded, false);
        let writes = saver.save(&loaded, 5).unwrap();
        assert_eq!(writes.entries.len(), c.entries.len());
        let head = writes.head.unwrap();
        assert!(!head.contains("\"entries\""));
    }
}
