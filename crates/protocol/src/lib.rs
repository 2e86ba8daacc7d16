//! The wire format of Udesk's IM API, shared by the widget, the relay and the simulator.
//!
//! Udesk's IM API exists in two shapes: the 2017 seed draft (`shared/spec/udesk-im-api.md`) and
//! the document Udesk publishes today. Every type here **accepts both** on input and writes what
//! today's Udesk expects, unless a type's docs say otherwise. Anything the API may grow later (a new
//! message `type`, a new field in an event) parses without error and is kept, so the widget can show
//! it gracefully instead of failing.
//!
//! # Layout
//! - [`code`]: result codes (`1000` = success, `2001` queued, …).
//! - [`content`]: a message's `type` + `data` pair, typed for every kind the spec lists.
//! - [`session`]: creating a session (`POST /im/sessions`) and what it assigns.
//! - [`message`]: sending a message (`POST /im/messages`).
//! - [`notification`]: the reply notification Udesk POSTs to the webhook.
//! - [`robot`]: robot answers and their useful/not-useful rating.
//! - [`survey`]: satisfaction survey options and submissions.
//! - [`status`]: queue, customer and agent status.
//! - [`customer`]: Open API customer creation.
//! - [`sign`]: Open API request signing (feature `sign`, servers only).
//! - [`relay`]: the relay's own `/v1` API, spoken between the widget and the relay.
//! - [`html_policy`]: the HTML allowlist message HTML must fit, applied by the relay's sanitiser
//!   and the widget's DOM pass alike, with the test cases both run.
//! - [`reader`]: light readers and writers of these types over `serde_json::Value`, held to the
//!   serde impls by tests (feature `reader`, for the widget's wasm size).
//!
//! Parse with [`from_str`] or [`from_value`]: their errors name the field that failed
//! (`messages[0].data.content: invalid type: integer, expected a string`).

#[macro_use]
mod string_enum;
mod lenient;

pub mod code;
pub mod content;
pub mod customer;
pub mod html_policy;
pub mod message;
pub mod notification;
#[cfg(feature = "reader")]
pub mod reader;
pub mod relay;
pub mod robot;
pub mod session;
#[cfg(feature = "sign")]
pub mod sign;
pub mod status;
pub mod survey;

pub use code::Code;
pub use content::Content;
pub use notification::{NotificationEnvelope, ReplyMessage, ReplyNotification};
pub use session::AssignType;

use serde::de::DeserializeOwned;
use std::fmt;

/// A parse failure that names the field it happened at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Dotted path to the failing field (`message.data.content`), empty at the top level.
    pub path: String,
    /// What was wrong there.
    pub message: String,
}

impl ParseError {
    /// `message` at `path` (empty: the value itself).
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ParseError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same error, seen from one level up (`data` + `content` → `data.content`).
    pub fn within(mut self, parent: &str) -> Self {
        self.path = join_path(parent, &self.path);
        self
    }
}

fn join_path(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_owned(),
        (_, true) => parent.to_owned(),
        _ if child.starts_with('[') => format!("{parent}{child}"),
        _ => format!("{parent}.{child}"),
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

#[cfg(not(target_arch = "wasm32"))]
fn path_error(err: serde_path_to_error::Error<serde_json::Error>) -> ParseError {
    let path = err.path().to_string();
    let path = if path == "." || path == "?" {
        String::new()
    } else {
        path
    };
    serde_error(path, err.into_inner())
}

/// A serde error at `path` (empty when unknown), as a [`ParseError`].
fn serde_error(path: String, inner: serde_json::Error) -> ParseError {
    // A nested `try_from` error already carries "inner.path: message"; keep it readable.
    let message = inner.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let error = match message.split_once(": ") {
        // Errors raised by our own conversions look like "data.content: reason".
        Some((inner_path, reason)) if is_path(inner_path) => {
            ParseError::at(join_path(&path, inner_path), reason)
        }
        _ => ParseError::at(path, message),
    };
    name_missing_field(error)
}

/// serde reports a missing field at its parent; point at the field itself.
fn name_missing_field(mut error: ParseError) -> ParseError {
    if let Some(field) = error
        .message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
        .filter(|field| is_path(field))
    {
        if !error.path.ends_with(field) {
            error.path = join_path(&error.path, field);
        }
    }
    error
}

fn is_path(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
}

/// Parses JSON text into `T`; the error names the failing field.
///
/// In wasm (the widget) the error names the field only when it failed inside one of this crate's
/// own conversions: tracking the path of every field doubles the deserialising code (about
/// 100 KB of wasm), and the widget only logs these errors.
pub fn from_str<T: DeserializeOwned>(json: &str) -> Result<T, ParseError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let de = &mut serde_json::Deserializer::from_str(json);
        serde_path_to_error::deserialize(de).map_err(path_error)
    }
    #[cfg(target_arch = "wasm32")]
    {
        serde_json::from_str(json).map_err(|e| serde_error(String::new(), e))
    }
}

/// Parses an already-decoded JSON value into `T`; the error names the failing field (see
/// [`from_str`] for wasm).
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ParseError> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_path_to_error::deserialize(value).map_err(path_error)
    }
    #[cfg(target_arch = "wasm32")]
    {
        serde_json::from_value(value).map_err(|e| serde_error(String::new(), e))
    }
}
