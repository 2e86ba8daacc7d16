//! Every example of the IM API spec (seed and today's shapes) parses, means what the spec says,
//! and writes back to the same JSON; malformed input fails with an error naming the field.

use serde_json::{json, Value};
use udesk_protocol::code::CodeResponse;
use udesk_protocol::content::{ButtonKind, CloseType, Content, EventKind, Font, STRUCT_PREFIX};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::notification::{ReplyNotification, SingleReplyNotification};
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{
    AssignInfo, AssignType, CreateSessionRequest, CreateSessionResponse,
};
use udesk_protocol::status::{QueueStatus, QueueStatusResponse};
use udesk_protocol::survey::{
    RemarkOption, ShowType, SurveyMethodFlag, SurveyOptions, SurveyRequest,
};
use udesk_protocol::{from_value, Code};

/// Parses `value` as `T`, writes it back, and checks the JSON is unchanged.
fn round_trip<T>(value: Value) -> T
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let parsed: T = from_value(value.clone()).unwrap_or_else(|e| panic!("{e}\nin {value}"));
    let written = serde_json::to_value(&parsed).unwrap();
    assert_eq!(written, value, "written back differently");
    parsed
}

fn spec_survey_options() -> Value {
    json!({
        "enabled": true,
        "name": "满意度评价",
        "title": "您对本服务的评价是?",
        "desc": "感谢您的支持，为了使我们更好的为您服务，请您为本次服务做一个评价（回复字母即可）",
        "remark_enabled": true,
        "remark": "您可填写评价备注",
        "options": [
            {"id": 36, "text": "超级满意2", "enabled": true},
            {"id": 37, "text": "满意2", "enabled": true},
            {"id": 38, "text": "一般2", "enabled": true},
            {"id": 39, "text": "不满意", "enabled": true},
            {"id": 40, "text": "非常不满意", "enabled": true}
        ],
        "methods": [
            {"id": 7, "flag": "after_session", "text": "对话结束后弹出", "enabled": true},
            {"id": 74, "flag": "agent_invite", "text": "客服主动邀请", "enabled": true},
            {"id": 1485, "flag": "customer_invite", "text": "客户主动满意度评价（仅支持web和Android/iOS SDK）", "enabled": true}
        ]
    })
}

#[test]
fn create_session_request_round_trips() {
    let req: CreateSessionRequest = round_trip(json!({
        "customer_token": "c_42", "assign_type": "agent", "agent_id": 7, "group_id": 3, "channel": "web"
    }));
    assert_eq!(req.wants(), AssignType::Agent);
    let robot: CreateSessionRequest = round_trip(json!({"customer_token": "c_42"}));
    assert_eq!(
        robot.wants(),
        AssignType::Robot,
        "assign_type defaults to robot"
    );
    let by_group: CreateSessionRequest =
        from_value(json!({"customer_token": "c", "assign_type": "robot", "group_id": "3"}))
            .unwrap();
    assert_eq!(
        by_group.wants(),
        AssignType::Agent,
        "group_id overrides assign_type"
    );
    assert_eq!(by_group.group_id, Some(3));
}

#[test]
fn robot_assignment_round_trips() {
    let resp: CreateSessionResponse = round_trip(json!({
        "code": 1000, "message": "您好，我是小U", "assign_type": "robot",
        "assign_info": {"robot_name": "小U", "robot_avatar": "https://x/u.png",
                        "welcome_message": "您好，我是小U", "unknow_message": "没听懂"}
    }));
    assert!(resp.code.is_success());
    match resp.assign_info {
        Some(AssignInfo::Robot(r)) => {
            assert_eq!(r.robot_name, "小U");
            assert_eq!(r.unknow_message.as_deref(), Some("没听懂"));
        }
        other => panic!("expected robot info, got {other:?}"),
    }
}

#[test]
fn agent_assignment_with_spec_survey_options_round_trips() {
    let resp: CreateSessionResponse = round_trip(json!({
        "code": 1000, "message": "客服小明为您服务", "assign_type": "agent",
        "assign_info": {"im_sub_session_id": 1081, "count": 0, "agent_id": 7,
                        "agent_name": "小明", "agent_avatar": "https://x/a.png",
                        "survey_options": spec_survey_options()}
    }));
    assert_eq!(resp.im_sub_session_id(), Some(1081));
    let Some(AssignInfo::Agent(agent)) = resp.assign_info else {
        panic!("agent info")
    };
    let survey = agent.survey_options.unwrap();
    assert!(survey.allows(&SurveyMethodFlag::AfterSession));
    let choices = survey.choices();
    assert_eq!(
        choices.iter().map(|c| c.id).collect::<Vec<_>>(),
        [36, 37, 38, 39, 40]
    );
    assert_eq!(
        choices[0].remark,
        RemarkOption::Optional,
        "remark_enabled → optional remark"
    );
    assert_eq!(survey.style(), ShowType::Text);
}

#[test]
fn queued_and_no_agent_codes_parse() {
    let queued: CreateSessionResponse = round_trip(json!({
        "code": 2001, "message": "当前客服正繁忙，您排在第3位。", "assign_type": "agent",
        "assign_info": {"im_sub_session_id": 0, "count": 3}
    }));
    assert_eq!(queued.code, Code::QUEUED);
    assert_eq!(queued.im_sub_session_id(), None, "0 is no session yet");
    let Some(AssignInfo::Agent(a)) = &queued.assign_info else {
        panic!()
    };
    assert_eq!(a.count, Some(3));
    let none: CreateSessionResponse =
        from_value(json!({"code": 2002, "message": "没有客服在线", "assign_info": {"count": 0}}))
            .unwrap();
    assert_eq!(none.code, Code::NO_AGENT);
    assert!(
        matches!(none.assign_info, Some(AssignInfo::Agent(_))),
        "shape guessed from fields"
    );
}

#[test]
fn every_message_type_of_the_spec_round_trips() {
    let cases = [
        (
            json!({"type": "message", "data": {"font": "微软雅黑", "content": "你好 <b>世界</b>"}}),
            "message",
        ),
        (
            json!({"type": "message", "data": {"font": {"family": "serif", "size": "14px", "color": "#333", "bold": true}, "content": "hi"}}),
            "message",
        ),
        (
            json!({"type": "image", "data": {"content": "https://x/a.png"}}),
            "image",
        ),
        (
            json!({"type": "video", "data": {"content": "https://x/a.mp4", "filename": "足球.mp4", "filesize": "4.3M", "duration": 200.0}}),
            "video",
        ),
        (
            json!({"type": "audio", "data": {"content": "https://x/a.mp4", "filename": "足球.mp4", "filesize": "4.3M"}}),
            "audio",
        ),
        (
            json!({"type": "file", "data": {"content": "https://x/r.pdf", "filename": "报告.pdf", "filesize": "120K"}}),
            "file",
        ),
        (
            json!({"type": "rich", "data": {"content": "<p>退货<a href=\"https://x\">政策</a></p>"}}),
            "rich",
        ),
    ];
    for (wire, kind) in cases {
        let mut body = wire.clone();
        body["customer_token"] = json!("c_42");
        body["im_sub_session_id"] = json!(1081);
        body["message_id"] = json!("m1");
        let req: SendMessageRequest = round_trip(body);
        assert_eq!(req.content.kind(), kind);
        assert!(!req.to_robot());
    }
}

#[test]
fn text_font_and_media_fields_mean_what_they_say() {
    let c: Content =
        from_value(json!({"type": "message", "data": {"font": "微软雅黑", "content": "你好"}}))
            .unwrap();
    let Content::Text(t) = c else { panic!() };
    assert_eq!(t.font, Some(Font::Family("微软雅黑".into())));
    let c: Content = from_value(
        json!({"type": "video", "data": {"content": "u", "filesize": 4300000, "duration": "200"}}),
    )
    .unwrap();
    let Content::Video(v) = c else { panic!() };
    assert_eq!(
        v.filesize.as_deref(),
        Some("4300000"),
        "numeric size kept as text"
    );
    assert_eq!(v.duration, Some(200.0), "string duration accepted");
}

#[test]
fn type_defaults_to_message_and_robot_session_is_zero_or_empty() {
    for id in [json!(0), json!(""), Value::Null] {
        let req: SendMessageRequest = from_value(json!({
            "customer_token": "c", "im_sub_session_id": id, "data": {"content": "hi"}
        }))
        .unwrap();
        assert!(req.to_robot());
        assert_eq!(req.content, Content::text("hi"));
    }
}

#[test]
fn every_event_type_parses_with_its_data() {
    for kind in EventKind::ALL {
        let wire = json!({"type": kind.as_str(), "data": {"content": "事件", "auto": true}});
        let c: Content = round_trip(wire);
        let Content::Event(k, data) = c else {
            panic!("{kind:?} is an event")
        };
        assert_eq!(k, kind);
        assert_eq!(data.content.as_deref(), Some("事件"));
        assert_eq!(data.auto, Some(true));
    }
    // The seed spells it `atuo`.
    let c: Content = from_value(json!({"type": "survey", "data": {"atuo": true}})).unwrap();
    let Content::Event(_, d) = c else { panic!() };
    assert_eq!(d.auto, Some(true));
}

#[test]
fn transfer_and_close_events_carry_todays_fields() {
    let c: Content = round_trip(
        json!({"type": "transfer", "data": {"content": "已转接", "im_sub_session_id": 2002, "agent_name": "小红"}}),
    );
    let Content::Event(EventKind::Transfer, d) = c else {
        panic!()
    };
    assert_eq!(d.im_sub_session_id, Some(2002));
    let c: Content = round_trip(json!({"type": "close", "data": {
        "close_type": "normal", "content": "会话已结束", "survey_options": spec_survey_options()
    }}));
    let Content::Event(EventKind::Close, d) = c else {
        panic!()
    };
    assert_eq!(d.close_type, Some(CloseType::Normal));
    assert_eq!(d.survey_options.unwrap().options.len(), 5);
    // Unknown event fields are kept.
    let c: Content = round_trip(json!({"type": "form", "data": {"form_id": 9, "fields": ["a"]}}));
    let Content::Event(_, d) = c else { panic!() };
    assert_eq!(d.extra["form_id"], json!(9));
}

#[test]
fn struct_messages_parse_in_every_form_udesk_uses() {
    let card = json!({"title": "订单 #1", "description": "已发货", "img_url": "https://x/p.png",
        "buttons": [{"type": "link", "text": "查看", "value": "https://x/o/1"},
                    {"type": "phone", "text": "致电", "value": 4008001234u64},
                    {"type": "sdk_callback", "text": "回调", "value": "cb"}]});
    let prefixed = format!("{STRUCT_PREFIX}{card}");
    let forms = [
        json!({"type": "struct", "data": {"content": prefixed}}),
        json!({"type": "message", "data": {"content": prefixed}}),
        json!({"type": "struct", "data": {"content": card}}),
        json!({"type": "struct", "data": card}),
        json!({"type": "struct", "data": [card]}),
    ];
    for form in forms {
        let c: Content = from_value(form.clone()).unwrap_or_else(|e| panic!("{e} in {form}"));
        let Content::Struct(s) = &c else {
            panic!("{form} is a card")
        };
        assert_eq!(s.cards.len(), 1);
        let b = &s.cards[0].buttons;
        assert_eq!(
            (&b[0].kind, b[1].kind.clone(), b[2].kind.clone()),
            (
                &ButtonKind::Link,
                ButtonKind::Phone,
                ButtonKind::SdkCallback
            )
        );
        assert_eq!(b[1].value, "4008001234");
        // Written in Udesk's prefixed format, and parses back the same.
        let written = serde_json::to_value(&c).unwrap();
        assert!(written["data"]["content"]
            .as_str()
            .unwrap()
            .starts_with(STRUCT_PREFIX));
        assert_eq!(from_value::<Content>(written).unwrap(), c);
    }
}

#[test]
fn unknown_message_type_is_kept_verbatim() {
    let wire = json!({"type": "hologram", "data": {"beam": [1, 2, 3]}});
    let c: Content = round_trip(wire);
    assert_eq!(
        c,
        Content::Unknown {
            kind: "hologram".into(),
            data: json!({"beam": [1, 2, 3]})
        }
    );
}

#[test]
fn robot_webhook_seed_shape_round_trips() {
    let wire = json!({"customer_token": "c_42", "assign_type": "robot", "message": {
        "type": "message", "message_id": "r-1",
        "data": {"question_id": 12, "question_title": "如何退货？", "answer": "<p>7天无理由</p>",
                 "gus_list": [{"question_title": "退款多久到账？"}],
                 "relate_list": [{"question_title": "运费谁出？"}],
                 "third_url": {"url": "https://help.example.com/returns"}}}});
    let n: ReplyNotification = from_value(wire.clone()).unwrap();
    assert_eq!(n.assign_type, AssignType::Robot);
    assert_eq!(n.messages.len(), 1);
    let Content::RobotAnswer(a) = &n.messages[0].content else {
        panic!("robot answer")
    };
    assert!(a.is_ratable());
    assert_eq!(a.gus_list[0].question_title, "退款多久到账？");
    assert_eq!(
        a.third_url.as_ref().unwrap().url,
        "https://help.example.com/returns"
    );
    // The seed's single-message shape is written back exactly.
    let single = SingleReplyNotification {
        customer_token: &n.customer_token,
        assign_type: n.assign_type,
        message: &n.messages[0],
    };
    assert_eq!(serde_json::to_value(single).unwrap(), wire);
}

#[test]
fn robot_answer_accepts_older_plain_string_lists() {
    let n: ReplyNotification = from_value(json!({"customer_token": "c", "assign_type": "robot",
        "message": {"message_id": 5, "data": {"question_id": 0, "answer": "你好呀",
            "gus_list": ["A", "B"], "relate_list": null, "third_url": "https://x"}}}))
    .unwrap();
    let m = &n.messages[0];
    assert_eq!(m.message_id, "5", "numeric message_id kept as text");
    let Content::RobotAnswer(a) = &m.content else {
        panic!()
    };
    assert!(!a.is_ratable(), "question_id 0 is small talk");
    assert_eq!(a.gus_list.len(), 2);
    assert!(a.relate_list.is_empty());
    assert_eq!(a.third_url.as_ref().unwrap().url, "https://x");
}

#[test]
fn agent_webhook_both_shapes_parse_in_order() {
    let agent = |id: &str, text: &str| {
        json!({
        "type": "message", "message_id": id, "agent_id": 7, "agent_name": "小明",
        "agent_avatar": "https://x/a.png", "im_sub_session_id": 1081,
        "message_created_at": "2017-07-11 09:52:11", "data": {"font": "宋体", "content": text}})
    };
    let seed: ReplyNotification = round_trip(
        json!({"customer_token": "c", "assign_type": "agent", "messages": [agent("a1", "一")]}),
    );
    assert_eq!(seed.messages[0].agent_name.as_deref(), Some("小明"));
    assert_eq!(
        seed.messages[0].message_created_at.as_deref(),
        Some("2017-07-11 09:52:11")
    );
    let one: ReplyNotification = from_value(
        json!({"customer_token": "c", "assign_type": "agent", "message": agent("a1", "一")}),
    )
    .unwrap();
    assert_eq!(
        one, seed,
        "seed `message` and today's `messages` mean the same"
    );
    let many: ReplyNotification = round_trip(json!({"customer_token": "c", "assign_type": "agent",
        "messages": [agent("a1", "一"), agent("a2", "二"), agent("a3", "三")]}));
    let ids: Vec<_> = many
        .messages
        .iter()
        .map(|m| m.message_id.as_str())
        .collect();
    assert_eq!(ids, ["a1", "a2", "a3"]);
}

#[test]
fn rating_survey_and_queue_requests_round_trip() {
    let r: RobotEvaluationRequest = round_trip(
        json!({"customer_token": "c", "message_id": "r-1", "question_id": 12, "useful": true}),
    );
    assert!(r.useful);
    let s: SurveyRequest =
        round_trip(json!({"im_sub_session_id": 1081, "option_id": 36, "remark": "很好"}));
    assert_eq!(s.option_id, 36);
    let _: CodeResponse = round_trip(json!({"code": 1000}));
    let e: CodeResponse = round_trip(json!({"code": 9200, "message": "会话不存在"}));
    assert_eq!(e.code, Code::SESSION_MISSING);
}

#[test]
fn queue_status_serialises_to_the_exact_spec_strings() {
    let cases = [
        (QueueStatus::Queueing, "排队中"),
        (QueueStatus::NotQueued, "未排队"),
        (QueueStatus::InSession, "会话中"),
        (QueueStatus::Assigning, "分配中"),
    ];
    for (status, text) in cases {
        assert_eq!(serde_json::to_value(&status).unwrap(), json!(text));
        let resp: QueueStatusResponse =
            round_trip(json!({"code": 1000, "status": text, "count": 2}));
        assert_eq!(resp.status, Some(status));
    }
    assert!(QueueStatus::Queueing.is_waiting() && !QueueStatus::InSession.is_waiting());
}

#[test]
fn todays_survey_styles_give_their_own_choices() {
    let mut options = spec_survey_options();
    options["show_type"] = json!("star");
    options["star"] = json!({"default_option_id": 5, "options": [
        {"id": 1, "text": "非常不满意", "desc": "1星", "tags": "慢,态度差", "remark_option": "required"},
        {"id": 5, "text": "非常满意", "desc": "5星", "tags": ["专业"], "remark_option": "hide"}]});
    let s: SurveyOptions = from_value(options).unwrap();
    assert_eq!(s.style(), ShowType::Star);
    let choices = s.choices();
    assert_eq!(choices.len(), 2);
    assert_eq!(choices[0].tags, ["慢", "态度差"]);
    assert_eq!(choices[0].remark, RemarkOption::Required);
    assert_eq!(choices[1].remark, RemarkOption::Hide);
    assert_eq!(s.default_choice(), Some(5));
    // A style named but without options falls back to the seed's options.
    let mut options = spec_survey_options();
    options["show_type"] = json!("expression");
    let s: SurveyOptions = from_value(options).unwrap();
    assert_eq!(s.style(), ShowType::Text);
    assert_eq!(s.choices().len(), 5);
}

/// Parses a value as one of the protocol types, keeping only the error.
type Parser = fn(Value) -> Result<(), udesk_protocol::ParseError>;

#[test]
fn malformed_input_is_rejected_naming_the_field() {
    let cases: Vec<(Value, &str, Parser)> = vec![
        (
            json!({"customer_token": "c", "type": "message", "data": {"content": 42}}),
            "data.content",
            |v| from_value::<SendMessageRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "type": "image", "data": {}}),
            "data.content",
            |v| from_value::<SendMessageRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "type": "message"}),
            "data",
            |v| from_value::<SendMessageRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "im_sub_session_id": "abc", "data": {"content": "x"}}),
            "im_sub_session_id",
            |v| from_value::<SendMessageRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "agent_id": "seven"}),
            "agent_id",
            |v| from_value::<CreateSessionRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "assign_type": "wizard"}),
            "assign_type",
            |v| from_value::<CreateSessionRequest>(v).map(drop),
        ),
        (
            json!({"im_sub_session_id": 1, "option_id": "best"}),
            "option_id",
            |v| from_value::<SurveyRequest>(v).map(drop),
        ),
        (json!({"im_sub_session_id": 1}), "option_id", |v| {
            from_value::<SurveyRequest>(v).map(drop)
        }),
        (
            json!({"customer_token": "c", "message_id": "m", "question_id": 1, "useful": "yes"}),
            "useful",
            |v| from_value::<RobotEvaluationRequest>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "assign_type": "agent", "messages": [
            {"message_id": "a", "data": {"content": "ok"}}, {"data": {"content": "no id"}}]}),
            "messages[1].message_id",
            |v| from_value::<ReplyNotification>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "assign_type": "agent", "message": {"message_id": "a", "type": "video", "data": {"content": "u", "duration": "long"}}}),
            "message.data.duration",
            |v| from_value::<ReplyNotification>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "assign_type": "agent"}),
            "messages",
            |v| from_value::<ReplyNotification>(v).map(drop),
        ),
        (
            json!({"customer_token": "c", "assign_type": "agent", "message": {"message_id": "a", "type": "close",
            "data": {"survey_options": {"options": [{"id": "x", "text": "t"}]}}}}),
            "message.data.survey_options.options[0].id",
            |v| from_value::<ReplyNotification>(v).map(drop),
        ),
        (
            json!({"code": 1000, "assign_type": "agent", "assign_info": {"count": -1}}),
            "assign_info.count",
            |v| from_value::<CreateSessionResponse>(v).map(drop),
        ),
        (json!({"code": 1000, "status": 5}), "status", |v| {
            from_value::<QueueStatusResponse>(v).map(drop)
        }),
    ];
    for (value, field, parse) in cases {
        let err = parse(value.clone()).expect_err(&format!("{value} must be refused"));
        assert_eq!(err.path, field, "error `{err}` for {value}");
        assert!(!err.message.is_empty());
    }
}

#[test]
fn parse_errors_from_text_name_the_field_too() {
    let err =
        udesk_protocol::from_str::<SurveyRequest>(r#"{"im_sub_session_id": 1, "option_id": true}"#)
            .unwrap_err();
    assert_eq!(err.path, "option_id");
    assert!(err.to_string().starts_with("option_id: "), "{err}");
    let err = udesk_protocol::from_str::<SurveyRequest>("{not json").unwrap_err();
    assert_eq!(err.path, "");
}

#[test]
fn ids_too_large_or_negative_say_which() {
    let survey = |id: &str| {
        udesk_protocol::from_str::<SurveyRequest>(&format!(
            r#"{{"im_sub_session_id": {id}, "option_id": 1}}"#
        ))
        .unwrap_err()
        .to_string()
    };
    let big = survey("99999999999999999999999");
    assert!(big.contains("too large"), "{big}");
    let negative = survey("-1");
    assert!(negative.contains("negative"), "{negative}");
    assert!(
        udesk_protocol::from_str::<SurveyRequest>(
            r#"{"im_sub_session_id": 18446744073709551615, "option_id": 1}"#
        )
        .is_ok(),
        "u64::MAX is an id"
    );
}

#[test]
fn durations_are_finite_non_negative_seconds() {
    let video = |duration: Value| {
        from_value::<SendMessageRequest>(json!({"type": "video",
            "data": {"content": "https://v.example/a.mp4", "duration": duration}}))
    };
    for good in [json!(200), json!("4.5"), json!(0)] {
        assert!(video(good.clone()).is_ok(), "{good}");
    }
    for bad in [
        json!("NaN"),
        json!("inf"),
        json!("-infinity"),
        json!(-3),
        json!("-1"),
    ] {
        let err = video(bad.clone()).expect_err("refused");
        assert_eq!(err.path, "data.duration", "{bad}: {err}");
    }
}
