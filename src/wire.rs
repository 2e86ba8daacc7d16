//! The relay's JSON as the widget reads and writes it: the relay's answers and event stream,
//! the widget's requests, and message contents.
//!
//! The shapes are `udesk_protocol`'s, which is the contract; this module only reads and writes
//! them with [`crate::json`] instead of the protocol crate's serde impls, because those compile
//! into a sixth of the wasm. The tests hold every reader and writer to the serde impls on the
//! spec's examples and on the lenient and the malformed forms, so the two cannot drift apart.

use serde_json::Value;
use udesk_protocol::code::{Code, CodeResponse};
use udesk_protocol::content::{
    ButtonKind, CloseType, EventData, EventKind, Font, FontStyle, MediaData, RichData,
    StructButton, StructCard, StructData, TextData, STRUCT_PREFIX,
};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::notification::ReplyMessage;
use udesk_protocol::relay::{
    ErrorBody, StreamMessage, StreamReset, VisitorRequest, VisitorResponse,
};
use udesk_protocol::robot::{RobotAnswer, RobotEvaluationRequest, Suggestion, ThirdUrl};
use udesk_protocol::session::{
    AgentInfo, AssignInfo, AssignType, CreateSessionRequest, CreateSessionResponse, RobotInfo,
};
use udesk_protocol::status::{QueueStatus, QueueStatusResponse};
use udesk_protocol::survey::{
    RemarkOption, ShowType, StyledOption, SurveyMethod, SurveyMethodFlag, SurveyOption,
    SurveyOptions, SurveyRequest, SurveyStyle,
};
use udesk_protocol::Content;

use crate::json::{self, array, f64_value, opt_str, Error, Fields, Object};

/// Parses JSON text and reads it with `read`.
pub fn parse<T>(text: &str, read: fn(Value) -> Result<T, Error>) -> Result<T, Error> {
    read(json::parse(text)?)
}

// ---- the relay's answers and stream ------------------------------------------------------

pub fn visitor_response(value: Value) -> Result<VisitorResponse, Error> {
    let mut f = Fields::of(value)?;
    Ok(VisitorResponse {
        customer_token: f.string("customer_token")?,
        token: f.string("token")?,
        expires_at: f.u64("expires_at")?,
    })
}

pub fn error_body(value: Value) -> Result<ErrorBody, Error> {
    let mut f = Fields::of(value)?;
    Ok(ErrorBody {
        error: f.string("error")?,
        message: f.string("message")?,
        udesk_code: f.opt_i64("udesk_code")?,
    })
}

pub fn code_response(value: Value) -> Result<CodeResponse, Error> {
    let mut f = Fields::of(value)?;
    Ok(CodeResponse {
        code: f.req("code", code)?,
        message: f.opt_string("message")?,
    })
}

pub fn queue_status_response(value: Value) -> Result<QueueStatusResponse, Error> {
    let mut f = Fields::of(value)?;
    Ok(QueueStatusResponse {
        code: f.req("code", code)?,
        status: f.opt("status", |v| {
            json::string(v).map(|s| QueueStatus::from(s.as_str()))
        })?,
        count: f.opt_u32("count")?,
        message: f.opt_string("message")?,
    })
}

pub fn create_session_response(value: Value) -> Result<CreateSessionResponse, Error> {
    let mut f = Fields::of(value)?;
    let code = f.req("code", code)?;
    let message = f.opt_string("message")?;
    let assign_type = f.opt("assign_type", assign_type)?;
    let assign_info = match f.take("assign_info") {
        None => None,
        Some(Value::Object(map)) if map.is_empty() => None,
        Some(info) => {
            // Without an assign_type, the fields tell which shape it is.
            let robot = match assign_type {
                Some(t) => t == AssignType::Robot,
                None => info.get("robot_name").is_some(),
            };
            let parsed = if robot {
                robot_info(info).map(AssignInfo::Robot)
            } else {
                agent_info(info).map(AssignInfo::Agent)
            };
            Some(parsed.map_err(|e| json::within("assign_info", e))?)
        }
    };
    Ok(CreateSessionResponse {
        code,
        message,
        assign_type,
        assign_info,
    })
}

fn robot_info(value: Value) -> Result<RobotInfo, Error> {
    let mut f = Fields::of(value)?;
    Ok(RobotInfo {
        robot_name: f.or("robot_name", String::new(), json::string)?,
        robot_avatar: f.opt_string("robot_avatar")?,
        welcome_message: f.opt_string("welcome_message")?,
        unknow_message: f.opt_string("unknow_message")?,
    })
}

fn agent_info(value: Value) -> Result<AgentInfo, Error> {
    let mut f = Fields::of(value)?;
    Ok(AgentInfo {
        im_sub_session_id: f.opt_id("im_sub_session_id")?,
        count: f.opt_u32("count")?,
        agent_id: f.opt_id("agent_id")?,
        agent_name: f.opt_string("agent_name")?,
        agent_avatar: f.opt_string("agent_avatar")?,
        survey_options: f.opt("survey_options", survey_options)?.map(Box::new),
    })
}

pub fn stream_message(value: Value) -> Result<StreamMessage, Error> {
    let mut f = Fields::of(value)?;
    Ok(StreamMessage {
        id: f.u64("id")?,
        assign_type: f.req("assign_type", assign_type)?,
        received_at: f.u64("received_at")?,
        message: f.req("message", reply_message)?,
    })
}

pub fn stream_reset(value: Value) -> Result<StreamReset, Error> {
    let mut f = Fields::of(value)?;
    Ok(StreamReset {
        requested: f.u64("requested")?,
        earliest: f.u64("earliest")?,
    })
}

/// What `UdeskChat.identify()` was given.
pub fn visitor_request(value: Value) -> Result<VisitorRequest, Error> {
    let mut f = Fields::of(value)?;
    Ok(VisitorRequest {
        user_id: f.opt_string("user_id")?,
        signature: f.opt_string("signature")?,
        name: f.opt_string("name")?,
        email: f.opt_string("email")?,
    })
}

pub fn code(value: Value) -> Result<Code, Error> {
    json::i64(value).map(Code)
}

pub fn assign_type(value: Value) -> Result<AssignType, Error> {
    match value.as_str() {
        Some("robot") => Ok(AssignType::Robot),
        Some("agent") => Ok(AssignType::Agent),
        _ => Err("expected robot or agent".to_owned()),
    }
}

fn reply_message(value: Value) -> Result<ReplyMessage, Error> {
    let mut f = Fields::of(value)?;
    let message_id = f.req("message_id", json::string_or_number)?;
    let agent_id = f.opt_id("agent_id")?;
    let agent_name = f.opt_string("agent_name")?;
    let agent_avatar = f.opt_string("agent_avatar")?;
    let im_sub_session_id = f.opt_id("im_sub_session_id")?;
    let message_created_at = f.opt_string("message_created_at")?;
    let kind = f.or("type", "message".to_owned(), json::string)?;
    let data = f.take("data").unwrap_or_default();
    if message_id.trim().is_empty() {
        return Err("message_id: must not be empty".to_owned());
    }
    Ok(ReplyMessage {
        message_id,
        agent_id,
        agent_name,
        agent_avatar,
        im_sub_session_id: im_sub_session_id.filter(|id| *id != 0),
        message_created_at: message_created_at.filter(|s| !s.is_empty()),
        content: content(&kind, data)?,
    })
}

// ---- message contents --------------------------------------------------------------------

/// A message's content from its wire `type` and `data` (`Content::from_parts`).
pub fn content(kind: &str, data: Value) -> Result<Content, Error> {
    let content = match kind {
        "message" if RobotAnswer::looks_like(&data) => robot_answer(data).map(Content::RobotAnswer),
        "message" => text_data(data).map(|text| match struct_from_prefixed(&text.content) {
            Some(cards) => Content::Struct(cards),
            None => Content::Text(text),
        }),
        "image" => media(data).map(Content::Image),
        "audio" => media(data).map(Content::Audio),
        "video" => media(data).map(Content::Video),
        "file" => media(data).map(Content::File),
        "rich" => Fields::of(data)
            .and_then(|mut f| f.string("content"))
            .map(|content| Content::Rich(RichData { content })),
        "struct" => struct_data(data).map(Content::Struct),
        other => match EventKind::parse(other) {
            Some(event) => event_data(data).map(|d| Content::Event(event, d)),
            None => Ok(Content::Unknown {
                kind: other.to_owned(),
                data,
            }),
        },
    };
    content.map_err(|e| json::within("data", e))
}

/// A saved or sent content: `{type, data}` (`Content`'s own serde form).
pub fn tagged_content(value: Value) -> Result<Content, Error> {
    let mut f = Fields::of(value)?;
    let kind = f.or("type", "message".to_owned(), json::string)?;
    content(&kind, f.take("data").unwrap_or_default())
}

fn text_data(value: Value) -> Result<TextData, Error> {
    let mut f = Fields::of(value)?;
    Ok(TextData {
        font: f.opt("font", font)?,
        content: f.string("content")?,
    })
}

fn font(value: Value) -> Result<Font, Error> {
    match value {
        Value::String(family) => Ok(Font::Family(family)),
        Value::Object(_) => font_style(value)
            .map(Font::Style)
            .map_err(|_| "expected a font name or a font style".to_owned()),
        _ => Err("expected a font name or a font style".to_owned()),
    }
}

fn font_style(value: Value) -> Result<FontStyle, Error> {
    let mut f = Fields::of(value)?;
    Ok(FontStyle {
        family: f.opt_string("family")?,
        size: f.opt("size", json::string_or_number)?,
        color: f.opt_string("color")?,
        bold: f.opt_bool("bold")?,
        italic: f.opt_bool("italic")?,
        underline: f.opt_bool("underline")?,
    })
}

fn media(value: Value) -> Result<MediaData, Error> {
    let mut f = Fields::of(value)?;
    Ok(MediaData {
        content: f.string("content")?,
        filename: f.opt_string("filename")?,
        filesize: f.opt("filesize", json::string_or_number)?,
        duration: f.opt("duration", json::seconds)?.flatten(),
    })
}

fn robot_answer(value: Value) -> Result<RobotAnswer, Error> {
    let mut f = Fields::of(value)?;
    Ok(RobotAnswer {
        question_id: f.or("question_id", 0, json::i64)?,
        question_title: f.opt_string("question_title")?,
        answer: f.opt_string("answer")?,
        gus_list: f.list("gus_list", suggestion)?,
        relate_list: f.list("relate_list", suggestion)?,
        third_url: f.opt("third_url", third_url)?.flatten(),
    })
}

/// A suggested question: a title, or `{question_id, question_title}`.
fn suggestion(value: Value) -> Result<Suggestion, Error> {
    match value {
        Value::String(title) => Ok(Suggestion::new(title)),
        Value::Object(_) => {
            let mut f = Fields::of(value)?;
            Ok(Suggestion {
                question_id: f.opt_i64("question_id")?,
                question_title: f.string("question_title")?,
            })
        }
        _ => Err("expected a question title or {question_title}".to_owned()),
    }
}

/// A "read more" URL: a string or `{url}`; blank is none.
fn third_url(value: Value) -> Result<Option<ThirdUrl>, Error> {
    let url = match value {
        Value::String(url) => url,
        Value::Object(map) => match map.get("url") {
            Some(Value::String(url)) => url.clone(),
            Some(Value::Null) | None => String::new(),
            Some(_) => return Err("url: expected a URL string".to_owned()),
        },
        _ => return Err("expected a URL or {url}".to_owned()),
    };
    Ok((!url.trim().is_empty()).then_some(ThirdUrl { url }))
}

/// Udesk's `##UDESK_IM_STRUCT_MSG##{…}` text; `None` when `text` is not in that format.
fn struct_from_prefixed(text: &str) -> Option<StructData> {
    let json = text.trim_start().strip_prefix(STRUCT_PREFIX)?;
    cards(json::parse(json).ok()?).ok()
}

/// The `data` of a `struct` message: `{content: "##UDESK…"}`, `{content: {card}}`, a card, or a
/// list of cards (`StructData::from_data`).
fn struct_data(data: Value) -> Result<StructData, Error> {
    let Value::Object(mut map) = data else {
        return cards(data);
    };
    let Some(content) = map.remove("content") else {
        return cards(Value::Object(map));
    };
    let value = match content {
        Value::String(text) => {
            let json = text.trim_start();
            let json = json.strip_prefix(STRUCT_PREFIX).unwrap_or(json);
            json::parse(json).map_err(|_| "content: not a card in JSON".to_owned())?
        }
        other => other,
    };
    cards(value).map_err(|e| json::within("content", e))
}

fn cards(value: Value) -> Result<StructData, Error> {
    let cards = match value {
        Value::Array(_) => json::list(value, card)?,
        Value::Object(_) => vec![card(value)?],
        _ => return Err("expected a card object or a list of cards".to_owned()),
    };
    Ok(StructData { cards })
}

fn card(value: Value) -> Result<StructCard, Error> {
    let mut f = Fields::of(value)?;
    Ok(StructCard {
        title: f.opt_string("title")?,
        description: f.opt_string("description")?,
        img_url: f.opt_string("img_url")?,
        buttons: f.list("buttons", button)?,
    })
}

fn button(value: Value) -> Result<StructButton, Error> {
    let mut f = Fields::of(value)?;
    Ok(StructButton {
        kind: f.or("type", ButtonKind::Link, |v| {
            json::string(v).map(|s| ButtonKind::from(s.as_str()))
        })?,
        text: f.string("text")?,
        value: f.or("value", String::new(), json::string_or_number)?,
    })
}

/// An event's `data`: an object (unknown fields kept in `extra`), a line of text, or nothing.
fn event_data(value: Value) -> Result<EventData, Error> {
    let value = match value {
        Value::Null => return Ok(EventData::default()),
        Value::String(s) => return Ok(EventData::with_content(s)),
        other => other,
    };
    let mut f = Fields::of(value)?;
    // The spec spells it `atuo`; both names mean the same field.
    if f.has("auto") && f.has("atuo") {
        return Err("duplicate field `auto`".to_owned());
    }
    let auto = match f.opt_bool("auto")? {
        Some(auto) => Some(auto),
        None => f.opt_bool("atuo")?,
    };
    Ok(EventData {
        content: f.opt_string("content")?,
        im_sub_session_id: f.opt_id("im_sub_session_id")?,
        close_type: f.opt("close_type", |v| {
            json::string(v).map(|s| CloseType::from(s.as_str()))
        })?,
        survey_options: f.opt("survey_options", survey_options)?.map(Box::new),
        agent_id: f.opt_id("agent_id")?,
        agent_name: f.opt_string("agent_name")?,
        agent_avatar: f.opt_string("agent_avatar")?,
        auto,
        is_receive: f.opt_bool("is_receive")?,
        extra: f.rest(),
    })
}

/// Survey options, in the seed's and today's shapes.
pub fn survey_options(value: Value) -> Result<SurveyOptions, Error> {
    let mut f = Fields::of(value)?;
    Ok(SurveyOptions {
        enabled: f.or("enabled", false, json::bool)?,
        name: f.opt_string("name")?,
        title: f.opt_string("title")?,
        desc: f.opt_string("desc")?,
        remark_enabled: f.or("remark_enabled", false, json::bool)?,
        remark: f.opt_string("remark")?,
        options: f.list("options", survey_option)?,
        methods: f.list("methods", survey_method)?,
        show_type: f.opt("show_type", |v| {
            json::string(v).map(|s| ShowType::from(s.as_str()))
        })?,
        text: f.opt("text", survey_style)?,
        expression: f.opt("expression", survey_style)?,
        star: f.opt("star", survey_style)?,
    })
}

fn survey_option(value: Value) -> Result<SurveyOption, Error> {
    let mut f = Fields::of(value)?;
    Ok(SurveyOption {
        id: f.u64("id")?,
        text: f.string("text")?,
        enabled: f.or("enabled", true, json::bool)?,
    })
}

fn survey_method(value: Value) -> Result<SurveyMethod, Error> {
    let mut f = Fields::of(value)?;
    Ok(SurveyMethod {
        id: f.or("id", 0, json::u64)?,
        flag: f.req("flag", |v| {
            json::string(v).map(|s| SurveyMethodFlag::from(s.as_str()))
        })?,
        text: f.opt_string("text")?,
        enabled: f.or("enabled", true, json::bool)?,
    })
}

fn survey_style(value: Value) -> Result<SurveyStyle, Error> {
    let mut f = Fields::of(value)?;
    Ok(SurveyStyle {
        default_option_id: f.opt_id("default_option_id")?,
        options: f.list("options", styled_option)?,
    })
}

fn styled_option(value: Value) -> Result<StyledOption, Error> {
    let mut f = Fields::of(value)?;
    Ok(StyledOption {
        id: f.u64("id")?,
        text: f.string("text")?,
        desc: f.opt_string("desc")?,
        tags: f.or("tags", Vec::new(), json::tags)?,
        remark_option: f.opt("remark_option", |v| {
            json::string(v).map(|s| RemarkOption::from(s.as_str()))
        })?,
        enabled: f.or("enabled", true, json::bool)?,
    })
}

// ---- writing -----------------------------------------------------------------------------

/// `{type, data}`, as the relay reads a message's content (`Content`'s serde form).
pub fn content_value(content: &Content) -> Value {
    Object::new()
        .set("type", content.kind().into())
        .set("data", content_data(content))
        .value()
}

/// The `data` of a content as it goes on the wire (`Content::data`).
fn content_data(content: &Content) -> Value {
    match content {
        Content::Text(text) => Object::new()
            .opt("font", text.font.as_ref().map(font_value))
            .set("content", text.content.as_str().into())
            .value(),
        Content::Image(m) | Content::Audio(m) | Content::Video(m) | Content::File(m) => {
            Object::new()
                .set("content", m.content.as_str().into())
                .opt("filename", opt_str(&m.filename))
                .opt("filesize", opt_str(&m.filesize))
                .opt("duration", m.duration.map(f64_value))
                .value()
        }
        Content::Rich(rich) => Object::new()
            .set("content", rich.content.as_str().into())
            .value(),
        Content::Struct(data) => {
            let cards = match data.cards.as_slice() {
                [one] => card_value(one),
                many => array(many, card_value),
            };
            Object::new()
                .set(
                    "content",
                    [STRUCT_PREFIX, &json::write(&cards)].concat().into(),
                )
                .value()
        }
        Content::RobotAnswer(answer) => Object::new()
            .set("question_id", answer.question_id.into())
            .opt("question_title", opt_str(&answer.question_title))
            .opt("answer", opt_str(&answer.answer))
            .set("gus_list", array(&answer.gus_list, suggestion_value))
            .set("relate_list", array(&answer.relate_list, suggestion_value))
            .opt(
                "third_url",
                answer
                    .third_url
                    .as_ref()
                    .map(|t| Object::new().set("url", t.url.as_str().into()).value()),
            )
            .value(),
        Content::Event(_, data) => event_value(data),
        Content::Unknown { data, .. } => data.clone(),
    }
}

fn font_value(font: &Font) -> Value {
    match font {
        Font::Family(family) => family.as_str().into(),
        Font::Style(style) => Object::new()
            .opt("family", opt_str(&style.family))
            .opt("size", opt_str(&style.size))
            .opt("color", opt_str(&style.color))
            .opt("bold", style.bold.map(Value::Bool))
            .opt("italic", style.italic.map(Value::Bool))
            .opt("underline", style.underline.map(Value::Bool))
            .value(),
    }
}

fn suggestion_value(s: &Suggestion) -> Value {
    Object::new()
        .opt("question_id", s.question_id.map(Value::from))
        .set("question_title", s.question_title.as_str().into())
        .value()
}

fn card_value(card: &StructCard) -> Value {
    Object::new()
        .opt("title", opt_str(&card.title))
        .opt("description", opt_str(&card.description))
        .opt("img_url", opt_str(&card.img_url))
        .set("buttons", array(&card.buttons, button_value))
        .value()
}

fn button_value(button: &StructButton) -> Value {
    Object::new()
        .set("type", button.kind.as_str().into())
        .set("text", button.text.as_str().into())
        .set("value", button.value.as_str().into())
        .value()
}

fn event_value(data: &EventData) -> Value {
    let mut map = match Object::new()
        .opt("content", opt_str(&data.content))
        .opt("im_sub_session_id", data.im_sub_session_id.map(Value::from))
        .opt(
            "close_type",
            data.close_type.as_ref().map(|c| c.as_str().into()),
        )
        .opt(
            "survey_options",
            data.survey_options.as_deref().map(survey_options_value),
        )
        .opt("agent_id", data.agent_id.map(Value::from))
        .opt("agent_name", opt_str(&data.agent_name))
        .opt("agent_avatar", opt_str(&data.agent_avatar))
        .opt("auto", data.auto.map(Value::Bool))
        .opt("is_receive", data.is_receive.map(Value::Bool))
        .value()
    {
        Value::Object(map) => map,
        _ => unreachable!("an object"),
    };
    for (key, value) in &data.extra {
        map.entry(key.clone()).or_insert_with(|| value.clone());
    }
    Value::Object(map)
}

pub fn survey_options_value(s: &SurveyOptions) -> Value {
    Object::new()
        .set("enabled", s.enabled.into())
        .opt("name", opt_str(&s.name))
        .opt("title", opt_str(&s.title))
        .opt("desc", opt_str(&s.desc))
        .set("remark_enabled", s.remark_enabled.into())
        .opt("remark", opt_str(&s.remark))
        .set(
            "options",
            array(&s.options, |o| {
                Object::new()
                    .set("id", o.id.into())
                    .set("text", o.text.as_str().into())
                    .set("enabled", o.enabled.into())
                    .value()
            }),
        )
        .set(
            "methods",
            array(&s.methods, |m| {
                Object::new()
                    .set("id", m.id.into())
                    .set("flag", m.flag.as_str().into())
                    .opt("text", opt_str(&m.text))
                    .set("enabled", m.enabled.into())
                    .value()
            }),
        )
        .opt("show_type", s.show_type.as_ref().map(|t| t.as_str().into()))
        .opt("text", s.text.as_ref().map(survey_style_value))
        .opt("expression", s.expression.as_ref().map(survey_style_value))
        .opt("star", s.star.as_ref().map(survey_style_value))
        .value()
}

fn survey_style_value(style: &SurveyStyle) -> Value {
    Object::new()
        .opt(
            "default_option_id",
            style.default_option_id.map(Value::from),
        )
        .set(
            "options",
            array(&style.options, |o| {
                let tags = (!o.tags.is_empty())
                    .then(|| Value::Array(o.tags.iter().map(|t| t.as_str().into()).collect()));
                Object::new()
                    .set("id", o.id.into())
                    .set("text", o.text.as_str().into())
                    .opt("desc", opt_str(&o.desc))
                    .opt("tags", tags)
                    .opt(
                        "remark_option",
                        o.remark_option.as_ref().map(|r| r.as_str().into()),
                    )
                    .set("enabled", o.enabled.into())
                    .value()
            }),
        )
        .value()
}

pub fn visitor_response_value(v: &VisitorResponse) -> Value {
    Object::new()
        .set("customer_token", v.customer_token.as_str().into())
        .set("token", v.token.as_str().into())
        .set("expires_at", v.expires_at.into())
        .value()
}

// ---- the widget's requests ---------------------------------------------------------------

pub fn visitor_request_value(r: &VisitorRequest) -> Value {
    Object::new()
        .opt("user_id", opt_str(&r.user_id))
        .opt("signature", opt_str(&r.signature))
        .opt("name", opt_str(&r.name))
        .opt("email", opt_str(&r.email))
        .value()
}

pub fn create_session_request_value(r: &CreateSessionRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .opt("assign_type", r.assign_type.map(|t| t.as_str().into()))
        .opt("agent_id", r.agent_id.map(Value::from))
        .opt("group_id", r.group_id.map(Value::from))
        .opt("channel", opt_str(&r.channel))
        .value()
}

pub fn send_message_value(r: &SendMessageRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .opt("im_sub_session_id", r.im_sub_session_id.map(Value::from))
        .opt("message_id", opt_str(&r.message_id))
        .set("type", r.content.kind().into())
        .set("data", content_data(&r.content))
        .value()
}

pub fn robot_evaluation_value(r: &RobotEvaluationRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .set("message_id", r.message_id.as_str().into())
        .set("question_id", r.question_id.into())
        .set("useful", r.useful.into())
        .value()
}

pub fn survey_request_value(r: &SurveyRequest) -> Value {
    Object::new()
        .set("im_sub_session_id", r.im_sub_session_id.into())
        .set("option_id", r.option_id.into())
        .opt("remark", opt_str(&r.remark))
        .value()
}
