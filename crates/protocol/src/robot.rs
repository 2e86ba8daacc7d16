//! Robot answers and their rating.
//!
//! A robot reply's `data`:
//! ```json
//! {"question_id": 12, "question_title": "如何退货？", "answer": "<p>…</p>",
//!  "gus_list": [{"question_title": "退款多久到账？"}], "relate_list": ["运费谁出？"],
//!  "third_url": {"url": "https://…"}}
//! ```
//! `question_id` 0 is small talk (寒暄), which cannot be rated. `gus_list` (guidance) and
//! `relate_list` (related questions) are lists of `{question_title}` today, plain strings in older
//! answers; `third_url` is `{url}` today, a string before. Both forms parse.

use crate::lenient;
use serde::{de, Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A robot's answer to the customer's question.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RobotAnswer {
    /// 0 for small talk; otherwise the knowledge-base entry, which the customer may rate.
    #[serde(default)]
    pub question_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_title: Option<String>,
    /// The answer; may contain (sanitised) HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    /// Guidance: questions the customer may want to ask next.
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub gus_list: Vec<Suggestion>,
    /// Related questions.
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub relate_list: Vec<Suggestion>,
    /// A link to read more.
    #[serde(
        default,
        deserialize_with = "third_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub third_url: Option<ThirdUrl>,
}

impl RobotAnswer {
    /// Whether a `type: message` data object is a robot answer rather than a text.
    pub fn looks_like(data: &Value) -> bool {
        match data {
            Value::Object(map) => {
                !map.contains_key("content")
                    && (map.contains_key("answer") || map.contains_key("question_id"))
            }
            _ => false,
        }
    }

    /// Whether the customer may rate this answer useful / not useful.
    pub fn is_ratable(&self) -> bool {
        self.question_id != 0
    }
}

/// A suggested question. Clicking it sends `question_title` as the customer's message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub question_id: Option<i64>,
    pub question_title: String,
}

impl Suggestion {
    pub fn new(title: impl Into<String>) -> Self {
        Suggestion {
            question_id: None,
            question_title: title.into(),
        }
    }
}

impl<'de> Deserialize<'de> for Suggestion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Object {
            #[serde(default)]
            question_id: Option<i64>,
            question_title: String,
        }
        match Value::deserialize(d)? {
            Value::String(title) => Ok(Suggestion::new(title)),
            value @ Value::Object(_) => {
                let o: Object = serde_json::from_value(value).map_err(de::Error::custom)?;
                Ok(Suggestion {
                    question_id: o.question_id,
                    question_title: o.question_title,
                })
            }
            other => Err(de::Error::invalid_type(
                lenient::unexpected(&other),
                &"a question title or {question_title}",
            )),
        }
    }
}

/// A read-more link: `{url}` on the wire today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThirdUrl {
    pub url: String,
}

fn third_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ThirdUrl>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(url) => Ok(Some(ThirdUrl { url })),
        Value::Object(mut map) => match map.remove("url") {
            Some(Value::String(url)) if !url.trim().is_empty() => Ok(Some(ThirdUrl { url })),
            Some(Value::String(_)) | Some(Value::Null) | None => Ok(None),
            Some(other) => Err(de::Error::invalid_type(
                lenient::unexpected(&other),
                &"a URL string",
            )),
        },
        other => Err(de::Error::invalid_type(
            lenient::unexpected(&other),
            &"a URL or {url}",
        )),
    }
}

/// Rating a robot answer useful or not (`POST /im/robot/evaluations` in the simulator; Udesk does
/// not publish the path).
///
/// `customer_token` is required by Udesk; the relay fills it from the visitor's token and ignores
/// any value the browser sends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RobotEvaluationRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_token: String,
    /// The message id of the rated answer.
    #[serde(deserialize_with = "lenient::string_or_number")]
    pub message_id: String,
    pub question_id: i64,
    pub useful: bool,
}
