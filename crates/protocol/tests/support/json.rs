//! Generated JSON for property tests of the wire format's readers, shared by the protocol's
//! tests and the relay's (`#[path]`-included there): objects built from the protocol's own
//! field names and tricky leaves, the spec's examples, and those examples mutated.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Map, Value};
use udesk_protocol::content::STRUCT_PREFIX;

/// Every field name of the protocol's types, so generated objects hit real fields.
pub const KEYS: &[&str] = &[
    "agent_avatar",
    "agent_id",
    "agent_name",
    "agents",
    "answer",
    "assign_info",
    "assign_type",
    "atuo",
    "auto",
    "avatar",
    "bold",
    "buttons",
    "cards",
    "cellphones",
    "channel",
    "close_type",
    "code",
    "color",
    "console_url",
    "content",
    "count",
    "custom_fields",
    "customer",
    "customer_token",
    "data",
    "default_option_id",
    "desc",
    "description",
    "duration",
    "earliest",
    "email",
    "enabled",
    "error",
    "expires_at",
    "expression",
    "extra",
    "family",
    "filename",
    "filesize",
    "flag",
    "font",
    "group_id",
    "gus_list",
    "id",
    "im_status",
    "im_sub_session_id",
    "img_url",
    "is_receive",
    "italic",
    "kind",
    "level",
    "message",
    "message_created_at",
    "message_id",
    "messages",
    "methods",
    "name",
    "nick",
    "nick_name",
    "nonce",
    "open_api_token",
    "option_id",
    "options",
    "organization_id",
    "other_emails",
    "owner_group_id",
    "owner_id",
    "path",
    "question_id",
    "question_title",
    "received_at",
    "relate_list",
    "remark",
    "remark_enabled",
    "remark_option",
    "requested",
    "robot_avatar",
    "robot_name",
    "show_type",
    "sign",
    "sign_version",
    "signature",
    "simulator",
    "size",
    "star",
    "status",
    "survey_options",
    "tags",
    "text",
    "third_url",
    "timestamp",
    "title",
    "token",
    "type",
    "udesk_code",
    "underline",
    "unknow_message",
    "url",
    "useful",
    "user_id",
    "value",
    "welcome_message",
];

/// Leaves that sit on the readers' edges: lenient numbers in strings, ids at the ends of their
/// ranges, empty and blank strings, message kinds, cards, markup.
pub fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        prop_oneof![
            Just(0i64),
            Just(-1),
            Just(1081),
            Just(i64::MIN),
            Just(i64::MAX),
            any::<i64>()
        ]
        .prop_map(Value::from),
        prop_oneof![Just(u64::MAX), any::<u64>()].prop_map(Value::from),
        prop_oneof![Just(1.5f64), Just(-0.0), Just(1e3), Just(12.0)].prop_map(Value::from),
        prop::sample::select(vec![
            "", " ", "x", "0", "12", "-3", "1.5", "1e3", "18446744073709551616", "true", "null",
            "agent", "robot", "message", "image", "voice", "video", "file", "struct", "close",
            "event", "rich", "info", "transfer", "after_session", "star", "optional", "required",
            "hide", "2017-07-11 09:52:11", "https://x/a.png", "<b>x</b><script>x()</script>",
            "小明", "专业, 热情，耐心",
        ])
        .prop_map(Value::from),
        "[a-z0-9 _\\-]{0,12}".prop_map(Value::from),
        Just(Value::from(format!(
            "{STRUCT_PREFIX}{{\"title\":\"T\",\"buttons\":[{{\"text\":\"b\",\"value\":\"https://x\"}}]}}"
        ))),
        Just(Value::from(format!("{STRUCT_PREFIX}not json"))),
    ]
    .boxed()
}

/// A key: mostly the protocol's, sometimes anything.
pub fn key() -> BoxedStrategy<String> {
    prop_oneof![
        9 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => "[a-z_]{1,8}",
    ]
    .boxed()
}

/// JSON values up to a few levels deep, objects keyed by [`key`].
pub fn json_value() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((key(), inner), 0..6)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
            ]
        })
        .boxed()
}

/// A JSON object keyed by [`key`] (what every reader expects at the top).
pub fn json_object() -> BoxedStrategy<Value> {
    prop::collection::vec((key(), json_value()), 0..8)
        .prop_map(|fields| Value::Object(fields.into_iter().collect()))
        .boxed()
}

/// One change to a value.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// The subtree at the chosen place becomes this.
    Replace(Index, Value),
    /// The chosen place is removed from its object or array.
    Remove(Index),
    /// The chosen object gets this field (replacing one of that name).
    Insert(Index, String, Value),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), json_value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        2 => any::<Index>().prop_map(Mutation::Remove),
        2 => (any::<Index>(), key(), json_value()).prop_map(|(at, k, v)| Mutation::Insert(at, k, v)),
    ]
}

/// A place in a value: the keys and indices leading to it.
#[derive(Clone, Debug)]
pub enum Step {
    Key(String),
    At(usize),
}

pub fn places(value: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Step::Key(k.clone()));
                places(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(Step::At(i));
                places(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

pub fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match step {
        Step::Key(k) => &mut v[k.as_str()],
        Step::At(i) => &mut v[*i],
    })
}

pub fn apply(mut value: Value, mutation: Mutation) -> Value {
    let mut all = Vec::new();
    places(&value, &mut Vec::new(), &mut all);
    match mutation {
        Mutation::Replace(at, new) => {
            let path: &Vec<Step> = at.get(&all);
            *at_mut(&mut value, path) = new;
        }
        Mutation::Remove(at) => {
            let path: &Vec<Step> = at.get(&all);
            if let Some((last, parent)) = path.split_last() {
                match (at_mut(&mut value, parent), last) {
                    (Value::Object(map), Step::Key(k)) => {
                        map.remove(k);
                    }
                    (Value::Array(items), Step::At(i)) => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::Insert(at, key, new) => {
            let objects: Vec<&Vec<Step>> = all
                .iter()
                .filter(|p| at_mut(&mut value.clone(), p).is_object())
                .collect();
            if !objects.is_empty() {
                let path: Vec<Step> = at.get(&objects).to_vec();
                if let Value::Object(map) = at_mut(&mut value, &path) {
                    map.insert(key, new);
                }
            }
        }
    }
    value
}

/// One of `seeds`, changed one to three times.
pub fn mutated(seeds: Vec<Value>) -> BoxedStrategy<Value> {
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 1..=3),
    )
        .prop_map(|(seed, mutations)| mutations.into_iter().fold(seed, apply))
        .boxed()
}

/// Generated input for a reader with these examples: mutated examples and built objects.
pub fn inputs(seeds: Vec<Value>) -> BoxedStrategy<Value> {
    prop_oneof![3 => mutated(seeds), 1 => json_object(), 1 => json_value()].boxed()
}

/// One of `seeds` with one leaf (a scalar or an empty list or object) replaced by another leaf:
/// an input with (at most) one fault.
pub fn one_fault(seeds: Vec<Value>) -> BoxedStrategy<Value> {
    (prop::sample::select(seeds), any::<Index>(), leaf())
        .prop_map(|(mut seed, at, new)| {
            let mut all = Vec::new();
            places(&seed, &mut Vec::new(), &mut all);
            let leaves: Vec<Vec<Step>> = all
                .into_iter()
                .filter(|p| {
                    let v = at_mut(&mut seed.clone(), p).clone();
                    !(v.as_object().is_some_and(|m| !m.is_empty())
                        || v.as_array().is_some_and(|a| !a.is_empty()))
                })
                .collect();
            if !leaves.is_empty() {
                let path: &Vec<Step> = at.get(&leaves);
                *at_mut(&mut seed, path) = new;
            }
            seed
        })
        .boxed()
}

pub fn content_seeds() -> Vec<Value> {
    vec![
        json!({"type": "message", "data": {"content": "你好"}}),
        json!({"data": {"content": "no type means a message"}}),
        json!({"type": "message", "data": {"content": "x", "font": {"family": "Arial",
            "size": 14, "color": "#f00", "bold": true, "italic": false, "underline": null}}}),
        json!({"type": "message", "data": {"content": format!("{STRUCT_PREFIX}{{\"title\":\"T\",\"buttons\":[{{\"text\":\"b\",\"value\":\"https://x\"}}]}}")}}),
        json!({"type": "message", "data": {"question_id": 12, "question_title": "如何退货？",
            "answer": "<p>…</p>", "gus_list": [{"question_title": "a", "question_id": 3}, "b"],
            "relate_list": ["c"], "third_url": {"url": "https://help/x"}}}),
        json!({"type": "image", "data": {"content": "https://x/a.png"}}),
        json!({"type": "file", "data": {"content": "https://x/f.pdf", "filename": "f.pdf",
            "filesize": "1.2MB"}}),
        json!({"type": "video", "data": {"content": "https://x/v.mp4", "duration": 12}}),
        json!({"type": "struct", "data": {"content": {"title": "T", "img_url": "https://x/i.png",
            "buttons": [{"text": "b", "value": "https://x"}]}}}),
        json!({"type": "close", "data": {"im_sub_session_id": 1081, "auto": true,
            "survey_options": {"enabled": true, "options": [{"id": 1, "text": "好"}]}}}),
        json!({"type": "event", "data": {"kind": "transfer", "im_sub_session_id": "1082"}}),
        json!({"type": "something_new", "data": {"anything": [1, 2]}}),
    ]
}

pub fn reply_seeds() -> Vec<Value> {
    content_seeds()
        .into_iter()
        .enumerate()
        .map(|(n, mut content)| {
            let fields = content.as_object_mut().unwrap();
            fields.insert("message_id".into(), json!(format!("m{n}")));
            fields.insert("agent_id".into(), json!(7));
            fields.insert("agent_name".into(), json!("小明"));
            fields.insert("agent_avatar".into(), json!("https://x/a.png"));
            fields.insert("im_sub_session_id".into(), json!(1081));
            fields.insert("message_created_at".into(), json!("2017-07-11 09:52:11"));
            content
        })
        .collect()
}

pub fn stream_seeds() -> Vec<Value> {
    reply_seeds()
        .into_iter()
        .enumerate()
        .map(|(n, message)| {
            json!({"id": n + 1, "assign_type": if n % 2 == 0 { "agent" } else { "robot" },
                   "received_at": 1_764_200_000_000u64, "message": message})
        })
        .collect()
}

pub fn survey_seeds() -> Vec<Value> {
    vec![
        json!({"enabled": true, "name": "满意度评价", "title": "您对本服务的评价是?",
            "desc": "感谢您的支持", "remark_enabled": true, "remark": "您可填写评价备注",
            "options": [{"id": 36, "text": "超级满意2", "enabled": true}, {"id": 40, "text": "x"}],
            "methods": [{"id": 7, "flag": "after_session", "text": "t", "enabled": true},
                        {"flag": "customer_invite"}]}),
        json!({"enabled": true, "show_type": "star",
            "star": {"default_option_id": "36", "options": [
                {"id": 36, "text": "5星", "desc": "非常满意", "tags": "专业, 热情，耐心",
                 "remark_option": "optional"},
                {"id": 39, "text": "2星", "tags": ["慢"], "remark_option": "required"}]},
            "expression": {"options": null},
            "text": {"default_option_id": "", "options": [{"id": 1, "text": "好"}]}}),
    ]
}

pub fn session_seeds() -> Vec<Value> {
    let mut seeds = vec![
        json!({"code": 1000, "message": "您好", "assign_type": "robot",
            "assign_info": {"robot_name": "小U", "robot_avatar": "https://x/u.png",
                "welcome_message": "您好", "unknow_message": "没听懂"}}),
        json!({"code": 2001, "message": "排队中", "assign_type": "agent",
            "assign_info": {"im_sub_session_id": "0", "count": 3}}),
        json!({"code": 2002, "message": "没有客服在线", "assign_info": {"count": 0}}),
    ];
    for survey in survey_seeds() {
        seeds.push(
            json!({"code": 1000, "message": "客服小明为您服务", "assign_type": "agent",
            "assign_info": {"im_sub_session_id": 1081, "count": 0, "agent_id": 7,
                "agent_name": "小明", "agent_avatar": "https://x/a.png",
                "survey_options": survey}}),
        );
    }
    seeds
}

/// A webhook body in the seed's shape (`message`) or today's (`messages`).
pub fn webhook_seeds() -> Vec<Value> {
    let replies = reply_seeds();
    let mut seeds = vec![json!({"customer_token": "v_abc", "assign_type": "agent",
                                 "messages": replies.clone()})];
    for reply in replies {
        seeds.push(json!({"customer_token": "u_0123", "assign_type": "robot", "message": reply}));
    }
    seeds
}

/// The value at a [`udesk_protocol::ParseError`] path (`data.items[0].id`), if there is one.
pub fn value_at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut here = value;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indices) = part
            .split_once('[')
            .map_or((part, ""), |(n, rest)| (n, rest));
        if !name.is_empty() {
            here = here.get(name)?;
        }
        for index in indices.split('[').filter(|i| !i.is_empty()) {
            here = here.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(here)
}
