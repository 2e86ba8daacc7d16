//! Message contents: the `type` + `data` pair ([`crate::content`]), read and written.

use serde_json::Value;

use super::survey::{survey_options, survey_options_value};
use super::value::{self, array, expected, f64_value, opt_str, Fields, Object, Result};
use crate::content::{
    ButtonKind, CloseType, EventData, EventKind, Font, FontStyle, MediaData, RichData,
    StructButton, StructCard, StructData, TextData, STRUCT_PREFIX,
};
use crate::robot::{RobotAnswer, Suggestion, ThirdUrl};
use crate::{Content, ParseError};

/// A message's content from its wire `type` and `data` ([`Content::from_parts`]).
pub fn content(kind: &str, data: Value) -> Result<Content> {
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
    content.map_err(|e| e.within("data"))
}

/// A content as `{type, data}` (`Content`'s own serde form: saved and sent contents).
pub fn tagged_content(value: Value) -> Result<Content> {
    let mut f = Fields::of(value)?;
    let kind = f.or("type", "message".to_owned(), value::string)?;
    content(&kind, f.take("data").unwrap_or_default())
}

fn text_data(value: Value) -> Result<TextData> {
    let mut f = Fields::of(value)?;
    Ok(TextData {
        font: f.opt("font", font)?,
        content: f.string("content")?,
    })
}

fn font(value: Value) -> Result<Font> {
    match value {
        Value::String(family) => Ok(Font::Family(family)),
        Value::Object(_) => font_style(value)
            .map(Font::Style)
            .map_err(|_| expected("a font name or a font style")),
        _ => Err(expected("a font name or a font style")),
    }
}

fn font_style(value: Value) -> Result<FontStyle> {
    let mut f = Fields::of(value)?;
    Ok(FontStyle {
        family: f.opt_string("family")?,
        size: f.opt("size", value::string_or_number)?,
        color: f.opt_string("color")?,
        bold: f.opt_bool("bold")?,
        italic: f.opt_bool("italic")?,
        underline: f.opt_bool("underline")?,
    })
}

fn media(value: Value) -> Result<MediaData> {
    let mut f = Fields::of(value)?;
    Ok(MediaData {
        content: f.string("content")?,
        filename: f.opt_string("filename")?,
        filesize: f.opt("filesize", value::string_or_number)?,
        duration: f.opt("duration", value::seconds)?.flatten(),
    })
}

fn robot_answer(value: Value) -> Result<RobotAnswer> {
    let mut f = Fields::of(value)?;
    Ok(RobotAnswer {
        question_id: f.or("question_id", 0, value::i64)?,
        question_title: f.opt_string("question_title")?,
        answer: f.opt_string("answer")?,
        gus_list: f.list("gus_list", suggestion)?,
        relate_list: f.list("relate_list", suggestion)?,
        third_url: f.opt("third_url", third_url)?.flatten(),
    })
}

/// A suggested question: a title, or `{question_id, question_title}`.
fn suggestion(value: Value) -> Result<Suggestion> {
    match value {
        Value::String(title) => Ok(Suggestion::new(title)),
        Value::Object(_) => {
            let mut f = Fields::of(value)?;
            Ok(Suggestion {
                question_id: f.opt_i64("question_id")?,
                question_title: f.string("question_title")?,
            })
        }
        _ => Err(expected("a question title or {question_title}")),
    }
}

/// A "read more" URL: a string or `{url}`; blank is none.
fn third_url(value: Value) -> Result<Option<ThirdUrl>> {
    let url = match value {
        Value::String(url) => url,
        Value::Object(map) => match map.get("url") {
            Some(Value::String(url)) => url.clone(),
            Some(Value::Null) | None => String::new(),
            Some(_) => return Err(expected("a URL string in {url}")),
        },
        _ => return Err(expected("a URL or {url}")),
    };
    Ok((!url.trim().is_empty()).then_some(ThirdUrl { url }))
}

/// Udesk's `##UDESK_IM_STRUCT_MSG##{…}` text; `None` when `text` is not in that format.
fn struct_from_prefixed(text: &str) -> Option<StructData> {
    let json = text.trim_start().strip_prefix(STRUCT_PREFIX)?;
    cards(serde_json::from_str(json).ok()?).ok()
}

/// The `data` of a `struct` message: `{content: "##UDESK…"}`, `{content: {card}}`, a card, or a
/// list of cards ([`StructData::from_data`]).
fn struct_data(data: Value) -> Result<StructData> {
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
            serde_json::from_str(json)
                .map_err(|_| ParseError::at("content", "not a card in JSON"))?
        }
        other => other,
    };
    cards(value).map_err(|e| e.within("content"))
}

fn cards(value: Value) -> Result<StructData> {
    let cards = match value {
        Value::Array(_) => value::list(value, card)?,
        Value::Object(_) => vec![card(value)?],
        _ => return Err(expected("a card object or a list of cards")),
    };
    Ok(StructData { cards })
}

fn card(value: Value) -> Result<StructCard> {
    let mut f = Fields::of(value)?;
    Ok(StructCard {
        title: f.opt_string("title")?,
        description: f.opt_string("description")?,
        img_url: f.opt_string("img_url")?,
        buttons: f.list("buttons", button)?,
    })
}

fn button(value: Value) -> Result<StructButton> {
    let mut f = Fields::of(value)?;
    Ok(StructButton {
        kind: f.or("type", ButtonKind::Link, |v| {
            value::string(v).map(|s| ButtonKind::from(s.as_str()))
        })?,
        text: f.string("text")?,
        value: f.or("value", String::new(), value::string_or_number)?,
    })
}

/// An event's `data`: an object (unknown fields kept in `extra`), a line of text, or nothing.
fn event_data(value: Value) -> Result<EventData> {
    let value = match value {
        Value::Null => return Ok(EventData::default()),
        Value::String(s) => return Ok(EventData::with_content(s)),
        other => other,
    };
    let mut f = Fields::of(value)?;
    // The spec spells it `atuo`; both names mean the same field.
    if f.has("auto") && f.has("atuo") {
        return Err(ParseError::at("", "duplicate field `auto`"));
    }
    let auto = match f.opt_bool("auto")? {
        Some(auto) => Some(auto),
        None => f.opt_bool("atuo")?,
    };
    Ok(EventData {
        content: f.opt_string("content")?,
        im_sub_session_id: f.opt_id("im_sub_session_id")?,
        close_type: f.opt("close_type", |v| {
            value::string(v).map(|s| CloseType::from(s.as_str()))
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

// ---- writing -----------------------------------------------------------------------------

/// `{type, data}`, as `Content` serializes.
pub fn content_value(content: &Content) -> Value {
    Object::new()
        .set("type", content.kind().into())
        .set("data", content_data(content))
        .value()
}

/// The `data` of a content as it goes on the wire ([`Content::data`]).
pub(super) fn content_data(content: &Content) -> Value {
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
                    [STRUCT_PREFIX, &cards.to_string()].concat().into(),
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
