//! The light readers and writers (`udesk_protocol::reader`) agree with the serde impls, which are
//! the contract: on the spec's examples, on every lenient form Udesk sends, and on malformed input
//! (refused by both, with the error at the same field).
#![cfg(feature = "reader")]

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::fmt::Debug;
use udesk_protocol::content::STRUCT_PREFIX;
use udesk_protocol::from_value;
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::reader::{self as wire, value::Read};
use udesk_protocol::relay::VisitorRequest;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{AssignType, CreateSessionRequest};
use udesk_protocol::survey::{SurveyOptions, SurveyRequest};
use udesk_protocol::Content;

/// Both read `value` to the same result.
fn agree<T: DeserializeOwned + PartialEq + Debug>(read: Read<T>, value: Value) -> T {
    let ours = read(value.clone());
    let theirs = from_value::<T>(value.clone());
    match (ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            assert_eq!(ours, theirs, "in {value}");
            ours
        }
        (ours, theirs) => panic!("{value}\n  reader: {ours:?}\n  protocol: {theirs:?}"),
    }
}

/// Both refuse `value`, naming the same field.
fn both_refuse<T: DeserializeOwned + Debug>(read: Read<T>, value: Value) {
    let theirs = from_value::<T>(value.clone()).expect_err(&format!("protocol took {value}"));
    let ours = read(value.clone()).expect_err(&format!("reader took {value}"));
    assert_eq!(
        ours.path, theirs.path,
        "in {value}: reader: {ours}; protocol: {theirs}"
    );
}

/// `value` with every `##UDESK_IM_STRUCT_MSG##{…}` text replaced by its JSON: serde writes a
/// card's fields in declaration order, a `Value` in key order; both read back the same.
fn cards_parsed(value: Value) -> Value {
    match value {
        Value::String(s) => {
            match s
                .strip_prefix(STRUCT_PREFIX)
                .and_then(|json| serde_json::from_str(json).ok())
            {
                Some(cards) => cards,
                None => Value::String(s),
            }
        }
        Value::Array(items) => items.into_iter().map(cards_parsed).collect(),
        Value::Object(map) => map.into_iter().map(|(k, v)| (k, cards_parsed(v))).collect(),
        other => other,
    }
}

/// The writer writes `x` as serde does.
fn writes_like_serde<T: Serialize>(ours: Value, x: &T) {
    assert_eq!(
        cards_parsed(ours),
        cards_parsed(serde_json::to_value(x).unwrap())
    );
}

fn spec_survey_options() -> Value {
    json!({
        "enabled": true, "name": "满意度评价", "title": "您对本服务的评价是?",
        "desc": "感谢您的支持", "remark_enabled": true, "remark": "您可填写评价备注",
        "options": [
            {"id": 36, "text": "超级满意2", "enabled": true},
            {"id": 37, "text": "满意2", "enabled": false},
            {"id": 40, "text": "非常不满意"}
        ],
        "methods": [
            {"id": 7, "flag": "after_session", "text": "对话结束后弹出", "enabled": true},
            {"flag": "customer_invite"},
            {"id": 9, "flag": "something_new", "enabled": false}
        ]
    })
}

fn todays_survey_options() -> Value {
    json!({
        "enabled": true, "show_type": "star",
        "star": {"default_option_id": "36", "options": [
            {"id": 36, "text": "5星", "desc": "非常满意", "tags": "专业, 热情，耐心",
             "remark_option": "optional"},
            {"id": 39, "text": "2星", "tags": ["慢"], "remark_option": "required"},
            {"id": 40, "text": "1星", "tags": null, "remark_option": "hide", "enabled": false}
        ]},
        "expression": {"options": null},
        "text": {"default_option_id": "", "options": [{"id": 1, "text": "好"}]}
    })
}

/// Every kind of content, in the seed's and today's shapes.
fn contents() -> Vec<Value> {
    vec![
        json!({"type": "message", "data": {"content": "你好"}}),
        json!({"data": {"content": "no type means a message"}}),
        json!({"type": "message", "data": {"font": "微软雅黑", "content": "x", "more": 1}}),
        json!({"type": "message", "data": {"content": "x", "font": {"family": "Arial",
            "size": 14, "color": "#f00", "bold": true, "italic": false, "underline": null}}}),
        json!({"type": "message", "data": {"content": "x", "font": {"size": "12px"}}}),
        json!({"type": "message", "data": {"content": "x", "font": null}}),
        json!({"type": "message", "data": {"content": format!("{STRUCT_PREFIX}{{\"title\":\"T\",\"buttons\":[{{\"text\":\"b\",\"value\":\"https://x\"}}]}}")}}),
        json!({"type": "message", "data": {"content": format!("{STRUCT_PREFIX}not json")}}),
        json!({"type": "message", "data": {"question_id": 12, "question_title": "如何退货？",
            "answer": "<p>…</p>", "gus_list": [{"question_title": "a", "question_id": 3}, "b"],
            "relate_list": ["c"], "third_url": {"url": "https://help/x"}}}),
        json!({"type": "message", "data": {"answer": "hi", "gus_list": null,
            "third_url": "https://help/y"}}),
        json!({"type": "message", "data": {"question_id": 0, "third_url": " "}}),
        json!({"type": "message", "data": {"answer": "x", "third_url": {"url": null}}}),
        json!({"type": "message", "data": {"answer": "x", "third_url": {}}}),
        json!({"type": "image", "data": {"content": "https://x/a.png"}}),
        json!({"type": "video", "data": {"content": "u", "filename": "足球.mp4",
            "filesize": "4.3M", "duration": 200}}),
        json!({"type": "audio", "data": {"content": "u", "filesize": 4300000,
            "duration": "3.5"}}),
        json!({"type": "audio", "data": {"content": "u", "duration": ""}}),
        json!({"type": "file", "data": {"content": "u", "filesize": null, "duration": null}}),
        json!({"type": "rich", "data": {"content": "<b>x</b>"}}),
        json!({"type": "struct", "data": {"content": format!("{STRUCT_PREFIX}[{{\"title\":\"a\"}},{{\"title\":\"b\",\"buttons\":null}}]")}}),
        json!({"type": "struct", "data": {"content": "{\"title\":\"no prefix\"}"}}),
        json!({"type": "struct", "data": {"content": {"title": "T", "img_url": "https://x/c.png",
            "buttons": [{"type": "phone", "text": "Call", "value": 10086},
                        {"type": "sdk_callback", "text": "App"},
                        {"type": "teleport", "text": "?", "value": "x"}]}}}),
        json!({"type": "struct", "data": {"title": "a card itself"}}),
        json!({"type": "struct", "data": [{"title": "a"}, {"description": "b"}]}),
        json!({"type": "start_session", "data": {"agent_name": "小明", "agent_id": "7",
            "im_sub_session_id": "1081", "atuo": true, "something_new": [1]}}),
        json!({"type": "close", "data": {"close_type": "normal", "content": "会话已结束",
            "survey_options": spec_survey_options(), "auto": false}}),
        json!({"type": "close", "data": {"close_type": "vanished"}}),
        json!({"type": "survey", "data": null}),
        json!({"type": "survey", "data": {"survey_options": todays_survey_options()}}),
        json!({"type": "transfer", "data": "转接给小红"}),
        json!({"type": "form_received", "data": {"is_receive": true, "im_sub_session_id": ""}}),
        json!({"type": "info_appoint"}),
        json!({"type": "location", "data": {"content": "上海市", "lat": 31.2}}),
        json!({"type": "sticker"}),
    ]
}

#[test]
fn every_content_reads_and_writes_as_the_protocol_does() {
    for value in contents() {
        let content: Content = agree(wire::tagged_content, value);
        writes_like_serde(wire::content_value(&content), &content);
        // What the writer writes (the widget saves and sends it) reads back unchanged.
        assert_eq!(
            wire::tagged_content(wire::content_value(&content)).unwrap(),
            content
        );
    }
}

#[test]
fn malformed_contents_are_refused_by_both() {
    for value in [
        json!({"type": "image", "data": {}}),
        json!({"type": "image", "data": "u"}),
        json!({"type": "message", "data": {"content": 5}}),
        json!({"type": "message", "data": null}),
        json!({"type": "message", "data": {"font": 5, "content": "x"}}),
        json!({"type": "message", "data": {"font": {"bold": "yes"}, "content": "x"}}),
        json!({"type": null, "data": {"content": "x"}}),
        json!({"type": "struct", "data": {"content": "not json"}}),
        json!({"type": "struct", "data": 5}),
        json!({"type": "struct", "data": {"content": {"buttons": [{"value": "no text"}]}}}),
        json!({"type": "struct", "data": {"content": {"buttons": [{"text": "t", "value": null}]}}}),
        json!({"type": "close", "data": 5}),
        json!({"type": "close", "data": {"im_sub_session_id": "abc"}}),
        json!({"type": "close", "data": {"auto": true, "atuo": false}}),
        json!({"type": "close", "data": {"survey_options": {"options": [{"id": 1}]}}}),
        json!({"type": "video", "data": {"content": "u", "duration": "long"}}),
        // Found by tests/properties.rs: the reader took negative and infinite durations.
        json!({"type": "video", "data": {"content": "u", "duration": -3}}),
        json!({"type": "video", "data": {"content": "u", "duration": "-0.5"}}),
        json!({"type": "video", "data": {"content": "u", "duration": "inf"}}),
        json!({"type": "video", "data": {"content": "u", "duration": "NaN"}}),
        json!({"type": "message", "data": {"answer": "x", "third_url": 5}}),
        json!({"type": "message", "data": {"answer": "x", "third_url": {"url": 5}}}),
        json!({"type": "message", "data": {"question_id": "12", "answer": "x"}}),
        json!({"type": "message", "data": {"answer": "x", "gus_list": [5]}}),
        json!({"type": "message", "data": {"answer": "x", "relate_list": {"a": 1}}}),
    ] {
        both_refuse::<Content>(wire::tagged_content, value);
    }
}

#[test]
fn stream_events_read_as_the_protocol_does() {
    let message = |m: Value| json!({"id": 17, "assign_type": "agent", "received_at": 1_764_200_000_000u64, "message": m});
    for value in [
        message(
            json!({"message_id": "9f1c", "agent_id": "7", "agent_name": "小明",
            "agent_avatar": "https://x/a.png", "im_sub_session_id": 1081,
            "message_created_at": "2017-07-11 09:52:11", "type": "message",
            "data": {"content": "您好"}}),
        ),
        message(
            json!({"message_id": 42, "im_sub_session_id": 0, "message_created_at": "",
            "type": "image", "data": {"content": "https://x/a.png"}}),
        ),
        message(json!({"message_id": "m", "agent_id": null, "type": "close", "data": {}})),
        json!({"id": 1, "assign_type": "robot", "received_at": 5, "message": {"message_id": "r",
            "data": {"answer": "<p>7 天</p>", "question_id": 3}}}),
    ] {
        agree(wire::stream_message, value);
    }
    for value in [
        message(json!({"type": "message", "data": {"content": "no id"}})),
        message(json!({"message_id": "  ", "data": {"content": "x"}})),
        message(json!({"message_id": null, "data": {"content": "x"}})),
        message(json!({"message_id": "m", "agent_id": -3, "data": {"content": "x"}})),
        message(json!({"message_id": "m", "type": "image", "data": {}})),
        json!({"id": 1, "assign_type": "human", "received_at": 5, "message": {"message_id": "r", "data": {"content": "x"}}}),
        json!({"id": -1, "assign_type": "robot", "received_at": 5, "message": {"message_id": "r", "data": {"content": "x"}}}),
        json!({"id": 1, "assign_type": "robot", "message": {"message_id": "r", "data": {"content": "x"}}}),
        json!("not an object"),
    ] {
        both_refuse(wire::stream_message, value);
    }
    agree(wire::stream_reset, json!({"requested": 3, "earliest": 9}));
    both_refuse(wire::stream_reset, json!({"requested": 3}));
}

#[test]
fn relay_answers_read_as_the_protocol_does() {
    for value in [
        json!({"code": 1000, "message": "您好", "assign_type": "robot",
            "assign_info": {"robot_name": "小U", "robot_avatar": "https://x/u.png",
                "welcome_message": "您好，我是小U", "unknow_message": "没听懂"}}),
        json!({"code": 1000, "message": "客服小明为您服务", "assign_type": "agent",
            "assign_info": {"im_sub_session_id": 1081, "count": 0, "agent_id": 7,
                "agent_name": "小明", "agent_avatar": "https://x/a.png",
                "survey_options": spec_survey_options()}}),
        json!({"code": 2001, "message": "排队中", "assign_type": "agent",
            "assign_info": {"im_sub_session_id": "0", "count": 3,
                "survey_options": todays_survey_options()}}),
        json!({"code": 2002, "message": "没有客服在线", "assign_info": {"count": 0}}),
        json!({"code": 1000, "assign_info": {"robot_name": "guessed"}}),
        json!({"code": 1000, "assign_type": "robot", "assign_info": {}}),
        json!({"code": 2005, "assign_info": null}),
    ] {
        agree(wire::create_session_response, value);
    }
    for value in [
        json!({"message": "no code"}),
        json!({"code": "1000"}),
        json!({"code": 1000, "assign_type": "robot", "assign_info": {"robot_name": null}}),
        json!({"code": 1000, "assign_type": "agent", "assign_info": {"count": -1}}),
        json!({"code": 1000, "assign_type": "agent", "assign_info": "小明"}),
    ] {
        both_refuse(wire::create_session_response, value);
    }

    for value in [
        json!({"code": 1000, "status": "排队中", "count": 3}),
        json!({"code": 1000, "status": "会话中"}),
        json!({"code": 1000, "status": "something new", "message": null}),
        json!({"code": 9200, "message": "会话不存在"}),
    ] {
        agree(wire::queue_status_response, value);
    }
    both_refuse(
        wire::queue_status_response,
        json!({"code": 1000, "count": -1}),
    );
    both_refuse(
        wire::queue_status_response,
        json!({"code": 1000, "status": 3}),
    );

    agree(wire::code_response, json!({"code": 1000}));
    agree(
        wire::code_response,
        json!({"code": 2005, "message": "参数错误"}),
    );
    both_refuse(wire::code_response, json!({"message": "x"}));

    agree(
        wire::visitor_response,
        json!({"customer_token": "c", "token": "t", "expires_at": 2_000_000_000}),
    );
    both_refuse(
        wire::visitor_response,
        json!({"customer_token": "c", "token": "t"}),
    );
    both_refuse(
        wire::visitor_response,
        json!({"customer_token": "c", "token": 5, "expires_at": 1}),
    );

    let upload = json!({"url": "http://r/media/ab.png", "type": "image", "filename": "a.png",
        "filesize": "4.3M", "content_type": "image/png"});
    agree(wire::upload_response, upload.clone());
    for kind in ["audio", "video", "file"] {
        let mut other = upload.clone();
        other["type"] = json!(kind);
        agree(wire::upload_response, other);
    }
    let mut unknown = upload.clone();
    unknown["type"] = json!("sticker");
    both_refuse(wire::upload_response, unknown);
    both_refuse(
        wire::upload_response,
        json!({"url": "http://r/media/ab.png", "type": "image"}),
    );

    agree(
        wire::error_body,
        json!({"error": "udesk_error", "message": "暂无客服在线", "udesk_code": 2002}),
    );
    agree(
        wire::error_body,
        json!({"error": "bad_request", "message": "token: required"}),
    );
    both_refuse(wire::error_body, json!({"error": "bad_request"}));

    agree(wire::survey_options, spec_survey_options());
    agree(wire::survey_options, todays_survey_options());
    agree(wire::survey_options, json!({}));
    both_refuse(wire::survey_options, json!({"enabled": null}));
    both_refuse(wire::survey_options, json!({"methods": [{"id": 1}]}));
    both_refuse(
        wire::survey_options,
        json!({"star": {"options": [{"id": 1, "text": "x", "tags": 5}]}}),
    );
}

#[test]
fn identify_reads_as_the_protocol_does() {
    agree(wire::visitor_request, json!({}));
    agree(
        wire::visitor_request,
        json!({"user_id": "u-42", "signature": "ab", "name": "Ada", "email": null}),
    );
    both_refuse(wire::visitor_request, json!({"user_id": 42}));
    both_refuse(wire::visitor_request, json!("u-42"));
    // serde also reads a struct from an array of its fields in order; nobody sends that, and the
    // reader takes objects only.
    assert!(wire::visitor_request(json!([])).is_err());
}

#[test]
fn requests_and_survey_options_are_written_as_serde_writes_them() {
    for r in [
        VisitorRequest::default(),
        VisitorRequest {
            user_id: Some("u-42".into()),
            signature: Some("ab".into()),
            name: None,
            email: Some("ada@example.com".into()),
        },
    ] {
        writes_like_serde(wire::visitor_request_value(&r), &r);
    }
    for r in [
        CreateSessionRequest::default(),
        CreateSessionRequest {
            customer_token: String::new(),
            assign_type: Some(AssignType::Agent),
            agent_id: Some(7),
            group_id: Some(3),
            channel: Some("web".into()),
        },
    ] {
        writes_like_serde(wire::create_session_request_value(&r), &r);
    }
    for value in contents() {
        let content: Content = from_value(value).unwrap();
        for (target, id) in [(None, None), (Some(1081), Some("w-1".to_owned()))] {
            let r = SendMessageRequest {
                customer_token: String::new(),
                im_sub_session_id: target,
                message_id: id,
                content: content.clone(),
            };
            writes_like_serde(wire::send_message_value(&r), &r);
        }
    }
    let rate = RobotEvaluationRequest {
        customer_token: String::new(),
        message_id: "r5".into(),
        question_id: 12,
        useful: false,
    };
    writes_like_serde(wire::robot_evaluation_value(&rate), &rate);
    for remark in [None, Some("等了很久".to_owned())] {
        let survey = SurveyRequest {
            im_sub_session_id: 1081,
            option_id: 39,
            remark,
        };
        writes_like_serde(wire::survey_request_value(&survey), &survey);
    }
    for value in [spec_survey_options(), todays_survey_options()] {
        let options: SurveyOptions = from_value(value).unwrap();
        writes_like_serde(wire::survey_options_value(&options), &options);
    }
}

#[test]
fn json_text_is_parsed_by_serde_json_and_a_failure_says_where() {
    let value = wire::parse(
        r#"{"ids": [18446744073709551615, -9223372036854775808, 0, -0, 3.5, 1e3],
            "text": "esc \" \\ \/ \n \u00e9 \ud83d\ude00 中文", "deep": [[[[[[[[[[1]]]]]]]]]]}"#,
        Ok,
    )
    .unwrap();
    // Integers that fit stay integers (ids up to u64::MAX); -0, fractions and exponents are floats.
    assert_eq!(value["ids"][0].as_u64(), Some(u64::MAX));
    assert_eq!(value["ids"][1].as_i64(), Some(i64::MIN));
    assert_eq!(value["ids"][2].as_u64(), Some(0));
    assert!(value["ids"][3].is_f64() && value["ids"][5].is_f64());
    assert_eq!(value["text"], "esc \" \\ / \n é 😀 中文");

    let too_deep = "[".repeat(200) + &"]".repeat(200);
    for text in [
        "",
        "{",
        "[1,]",
        "[1 2]",
        "{\"a\":1,}",
        "{1: 2}",
        "tru",
        "01",
        "1.",
        ".5",
        "+1",
        "\"unterminated",
        "\"bad \\x escape\"",
        "\"\\ud800\"",
        "\"tab\there\"",
        "1e400",
        "[1] x",
        too_deep.as_str(),
    ] {
        let error = wire::parse(text, Ok).expect_err(text);
        assert!(
            error.message.starts_with("not JSON (line "),
            "{text}: {error}"
        );
    }
    // Text that parses but is not the type: the reader names the field.
    let error = wire::parse(r#"{"code": "1000"}"#, wire::code_response).unwrap_err();
    assert_eq!(error.to_string(), "code: expected an integer");
}
