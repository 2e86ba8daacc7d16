//! A message's content: the `type` + `data` pair that sends, replies and transcripts share.
//!
//! ```json
//! {"type": "message", "data": {"font": "微软雅黑", "content": "你好"}}
//! {"type": "image",   "data": {"content": "https://…/a.png"}}
//! {"type": "video",   "data": {"content": "https://…/a.mp4", "filename": "足球.mp4", "filesize": "4.3M", "duration": 200}}
//! {"type": "close",   "data": {"close_type": "normal", "content": "会话已结束", "survey_options": {…}}}
//! ```
//!
//! `type` defaults to `message`. A robot answer also travels as `type: message`, recognised by its
//! `question_id` / `answer` fields. Udesk's web format for cards is a text (or `struct`) whose
//! content is `##UDESK_IM_STRUCT_MSG##` followed by JSON; it parses as [`Content::Struct`].
//! A `type` this version does not know parses as [`Content::Unknown`] with its raw `data`.

use crate::lenient;
use crate::robot::RobotAnswer;
use crate::survey::SurveyOptions;
use crate::{from_value, ParseError};
use serde::ser::SerializeMap;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Prefix of Udesk's structured-message (card) format.
pub const STRUCT_PREFIX: &str = "##UDESK_IM_STRUCT_MSG##";

/// The content of one message or event.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// `message`: text, which may contain rich HTML tags.
    Text(TextData),
    /// `image`: `content` is the image URL.
    Image(MediaData),
    /// `audio`: `content` is the audio URL (mp4/m4a, mp3, wav, ogg).
    Audio(MediaData),
    /// `video`: `content` is the video URL (mp4).
    Video(MediaData),
    /// `file`: `content` is the download URL.
    File(MediaData),
    /// `rich`: an HTML fragment.
    Rich(RichData),
    /// `struct`, or a text in Udesk's `##UDESK_IM_STRUCT_MSG##` format: one or more cards.
    Struct(StructData),
    /// A robot answer (`type: message` with `question_id`, `answer`, …).
    RobotAnswer(RobotAnswer),
    /// One of the events the spec lists (`start_session`, `transfer`, `close`, …).
    Event(EventKind, EventData),
    /// A `type` this version does not know, kept verbatim.
    Unknown { kind: String, data: Value },
}

impl Content {
    /// Plain text content.
    pub fn text(content: impl Into<String>) -> Self {
        Content::Text(TextData {
            font: None,
            content: content.into(),
        })
    }

    /// The wire `type` of this content.
    pub fn kind(&self) -> &str {
        match self {
            Content::Text(_) | Content::RobotAnswer(_) => "message",
            Content::Image(_) => "image",
            Content::Audio(_) => "audio",
            Content::Video(_) => "video",
            Content::File(_) => "file",
            Content::Rich(_) => "rich",
            Content::Struct(_) => "struct",
            Content::Event(kind, _) => kind.as_str(),
            Content::Unknown { kind, .. } => kind,
        }
    }

    /// Whether this is an event (shown as a quiet system line) rather than a message.
    pub fn is_event(&self) -> bool {
        matches!(self, Content::Event(..))
    }

    /// Builds content from a wire `type` and `data`. Errors name the field under `data`.
    pub fn from_parts(kind: &str, data: Value) -> Result<Content, ParseError> {
        let content = match kind {
            "message" if RobotAnswer::looks_like(&data) => Content::RobotAnswer(typed(data)?),
            "message" => {
                let text: TextData = typed(data)?;
                match StructData::from_prefixed(&text.content) {
                    Some(cards) => Content::Struct(cards),
                    None => Content::Text(text),
                }
            }
            "image" => Content::Image(typed(data)?),
            "audio" => Content::Audio(typed(data)?),
            "video" => Content::Video(typed(data)?),
            "file" => Content::File(typed(data)?),
            "rich" => Content::Rich(typed(data)?),
            "struct" => Content::Struct(StructData::from_data(data)?),
            other => match EventKind::parse(other) {
                Some(event) => Content::Event(event, typed(data)?),
                None => Content::Unknown {
                    kind: other.to_owned(),
                    data,
                },
            },
        };
        Ok(content)
    }

    /// The `data` object as it goes on the wire.
    pub fn data(&self) -> Value {
        let value = match self {
            Content::Text(d) => serde_json::to_value(d),
            Content::Image(d) | Content::Audio(d) | Content::Video(d) | Content::File(d) => {
                serde_json::to_value(d)
            }
            Content::Rich(d) => serde_json::to_value(d),
            Content::Struct(d) => Ok(d.to_data()),
            Content::RobotAnswer(d) => serde_json::to_value(d),
            Content::Event(_, d) => Ok(d.to_value()),
            Content::Unknown { data, .. } => Ok(data.clone()),
        };
        // Serializing these plain structs into a Value cannot fail (no non-string map keys).
        value.unwrap_or(Value::Null)
    }
}

fn typed<T: serde::de::DeserializeOwned>(data: Value) -> Result<T, ParseError> {
    from_value(data).map_err(|e| e.within("data"))
}

/// Serializes as the two fields `type` and `data`, so that it can be `#[serde(flatten)]`ed into
/// the messages that carry it.
impl Serialize for Content {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("type", self.kind())?;
        map.serialize_entry("data", &self.data())?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawContent::deserialize(d)?;
        raw.into_content().map_err(de::Error::custom)
    }
}

/// The untyped `type` + `data` pair, used by the messages that carry content to parse it with
/// field-named errors.
#[derive(Deserialize)]
pub(crate) struct RawContent {
    #[serde(rename = "type", default = "default_kind")]
    pub kind: String,
    #[serde(default)]
    pub data: Value,
}

impl RawContent {
    pub fn into_content(self) -> Result<Content, ParseError> {
        Content::from_parts(&self.kind, self.data)
    }
}

pub(crate) fn default_kind() -> String {
    "message".to_owned()
}

/// `data` of a text message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TextData {
    /// Optional font, e.g. `"微软雅黑"` or `{"family": …, "size": …, "color": …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<Font>,
    /// The text; may contain rich HTML tags.
    pub content: String,
}

/// A text message's font: a bare family name or a style object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Font {
    Family(String),
    Style(FontStyle),
}

/// A font style object. Every part is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FontStyle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    /// A CSS size (`"14px"`) or a number of pixels.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bold: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub italic: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub underline: Option<bool>,
}

/// `data` of image, audio, video and file messages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MediaData {
    /// The media URL.
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// A human size such as `"4.3M"` (numbers are accepted and kept as text).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub filesize: Option<String>,
    /// Duration in seconds (audio, video).
    #[serde(
        default,
        deserialize_with = "lenient::opt_seconds",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<f64>,
}

impl MediaData {
    pub fn url(url: impl Into<String>) -> Self {
        MediaData {
            content: url.into(),
            ..MediaData::default()
        }
    }
}

/// `data` of a rich (HTML) message.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RichData {
    pub content: String,
}

/// One or more cards of a structured message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StructData {
    pub cards: Vec<StructCard>,
}

/// A card: image, title, description and buttons.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StructCard {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub img_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub buttons: Vec<StructButton>,
}

/// A card's button.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StructButton {
    /// `link` opens `value`, `phone` calls it, `sdk_callback` is for native apps.
    #[serde(rename = "type", default = "ButtonKind::link")]
    pub kind: ButtonKind,
    pub text: String,
    #[serde(default, deserialize_with = "lenient::string_or_number")]
    pub value: String,
}

string_enum! {
    /// What a card button does.
    pub enum ButtonKind {
        Link = "link",
        Phone = "phone",
        SdkCallback = "sdk_callback",
    }
}

impl ButtonKind {
    fn link() -> Self {
        ButtonKind::Link
    }
}

impl StructData {
    /// Parses Udesk's `##UDESK_IM_STRUCT_MSG##{…}` text; `None` when `text` is not in that format.
    pub fn from_prefixed(text: &str) -> Option<StructData> {
        let json = text.trim_start().strip_prefix(STRUCT_PREFIX)?;
        let value: Value = serde_json::from_str(json).ok()?;
        StructData::from_cards_value(value).ok()
    }

    /// Parses the `data` of a `struct` message: `{content: "##UDESK…"}`, `{content: {card}}`,
    /// a card object, or a list of cards.
    pub fn from_data(data: Value) -> Result<StructData, ParseError> {
        match data {
            Value::Object(mut map) if map.contains_key("content") => {
                match map.remove("content").unwrap_or_default() {
                    Value::String(text) => {
                        let json = text.trim_start();
                        let json = json.strip_prefix(STRUCT_PREFIX).unwrap_or(json);
                        let value: Value = serde_json::from_str(json).map_err(|e| {
                            ParseError::at("data.content", format!("not a card in JSON: {e}"))
                        })?;
                        StructData::from_cards_value(value).map_err(|e| e.within("data.content"))
                    }
                    other => {
                        StructData::from_cards_value(other).map_err(|e| e.within("data.content"))
                    }
                }
            }
            other => StructData::from_cards_value(other).map_err(|e| e.within("data")),
        }
    }

    fn from_cards_value(value: Value) -> Result<StructData, ParseError> {
        let cards = match value {
            Value::Array(_) => from_value(value)?,
            Value::Object(_) => vec![from_value(value)?],
            _ => {
                return Err(ParseError::at(
                    "",
                    "expected a card object or a list of cards",
                ))
            }
        };
        Ok(StructData { cards })
    }

    /// The `##UDESK_IM_STRUCT_MSG##…` text for these cards.
    pub fn to_prefixed(&self) -> String {
        let json = match self.cards.as_slice() {
            [one] => serde_json::to_string(one),
            many => serde_json::to_string(many),
        };
        format!("{STRUCT_PREFIX}{}", json.unwrap_or_default())
    }

    /// The wire `data`: `{content: "##UDESK_IM_STRUCT_MSG##…"}`, Udesk's own format.
    pub fn to_data(&self) -> Value {
        let mut map = Map::new();
        map.insert("content".into(), Value::String(self.to_prefixed()));
        Value::Object(map)
    }
}

/// The events of the spec: changes in a conversation that are not messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// The conversation started (an agent took it).
    StartSession,
    /// Transferred to another agent; `data.im_sub_session_id` is the new session.
    Transfer,
    /// The session closed; `data.close_type`, `data.survey_options`.
    Close,
    /// A survey event, e.g. the agent invites the customer to rate the service.
    Survey,
    /// A transfer noted as a property change.
    IsInfoTransfer,
    /// The agent started the conversation.
    ActiveGuest,
    /// The customer was assigned to an agent.
    InfoAppoint,
    /// A form was sent.
    Form,
    /// A form was received.
    FormReceived,
    /// The pre-chat form.
    Info,
    /// The robot transferred the conversation to a person.
    RobotTransfer,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::StartSession,
        EventKind::Transfer,
        EventKind::Close,
        EventKind::Survey,
        EventKind::IsInfoTransfer,
        EventKind::ActiveGuest,
        EventKind::InfoAppoint,
        EventKind::Form,
        EventKind::FormReceived,
        EventKind::Info,
        EventKind::RobotTransfer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::StartSession => "start_session",
            EventKind::Transfer => "transfer",
            EventKind::Close => "close",
            EventKind::Survey => "survey",
            EventKind::IsInfoTransfer => "is_info_transfer",
            EventKind::ActiveGuest => "active_guest",
            EventKind::InfoAppoint => "info_appoint",
            EventKind::Form => "form",
            EventKind::FormReceived => "form_received",
            EventKind::Info => "info",
            EventKind::RobotTransfer => "robot_transfer",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

string_enum! {
    /// How a session closed (`close` event).
    pub enum CloseType {
        Normal = "normal",
        Redirect = "redirect",
        Force = "force",
    }
}

/// `data` of an event. The spec leaves most events' data open, so every field is optional and
/// fields this version does not know are kept in `extra`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventData {
    /// Text to show, e.g. "客服小明为您服务".
    pub content: Option<String>,
    /// `transfer`: the new session to switch to; otherwise the session the event belongs to.
    pub im_sub_session_id: Option<u64>,
    /// `close`: why it closed.
    pub close_type: Option<CloseType>,
    /// `close` and `survey`: the survey to show.
    pub survey_options: Option<Box<SurveyOptions>>,
    pub agent_id: Option<u64>,
    pub agent_name: Option<String>,
    pub agent_avatar: Option<String>,
    /// Raised by the system rather than a person (the spec's `atuo`).
    pub auto: Option<bool>,
    /// `form_received` / `info`: whether the form was received.
    pub is_receive: Option<bool>,
    /// Every other field, verbatim.
    pub extra: Map<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct EventFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content: Option<String>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    im_sub_session_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    close_type: Option<CloseType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    survey_options: Option<Box<SurveyOptions>>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    agent_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent_avatar: Option<String>,
    #[serde(default, alias = "atuo", skip_serializing_if = "Option::is_none")]
    auto: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    is_receive: Option<bool>,
}

const EVENT_FIELDS: [&str; 10] = [
    "content",
    "im_sub_session_id",
    "close_type",
    "survey_options",
    "agent_id",
    "agent_name",
    "agent_avatar",
    "auto",
    "atuo",
    "is_receive",
];

impl EventData {
    pub fn with_content(content: impl Into<String>) -> Self {
        EventData {
            content: Some(content.into()),
            ..EventData::default()
        }
    }

    fn from_value(value: Value) -> Result<EventData, ParseError> {
        let map = match value {
            Value::Null => Map::new(),
            // Some events carry only a line of text.
            Value::String(s) => return Ok(EventData::with_content(s)),
            Value::Object(map) => map,
            _ => return Err(ParseError::at("", "expected an object")),
        };
        let fields: EventFields = from_value(Value::Object(map.clone()))?;
        let extra = map
            .into_iter()
            .filter(|(k, _)| !EVENT_FIELDS.contains(&k.as_str()))
            .collect();
        Ok(EventData {
            content: fields.content,
            im_sub_session_id: fields.im_sub_session_id,
            close_type: fields.close_type,
            survey_options: fields.survey_options,
            agent_id: fields.agent_id,
            agent_name: fields.agent_name,
            agent_avatar: fields.agent_avatar,
            auto: fields.auto,
            is_receive: fields.is_receive,
            extra,
        })
    }

    fn to_value(&self) -> Value {
        let fields = EventFields {
            content: self.content.clone(),
            im_sub_session_id: self.im_sub_session_id,
            close_type: self.close_type.clone(),
            survey_options: self.survey_options.clone(),
            agent_id: self.agent_id,
            agent_name: self.agent_name.clone(),
            agent_avatar: self.agent_avatar.clone(),
            auto: self.auto,
            is_receive: self.is_receive,
        };
        let mut map = match serde_json::to_value(fields) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        for (k, v) in &self.extra {
            map.entry(k.clone()).or_insert_with(|| v.clone());
        }
        Value::Object(map)
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for EventData {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EventData::from_value(Value::deserialize(d)?).map_err(de::Error::custom)
    }
}
