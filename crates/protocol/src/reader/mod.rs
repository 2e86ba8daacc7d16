//! Light readers and writers of the wire format over `serde_json::Value` (feature `reader`).
//!
//! The serde impls of this crate are the contract. They are also large in WebAssembly: every
//! derive compiles a visitor, a field matcher and a sequence form for its struct and for each
//! field type it meets, which was a sixth of the widget's wasm. The widget therefore reads the
//! relay's answers and stream, and writes its requests, with these plain functions: one per type,
//! built from the few shared helpers of [`value`], over the `serde_json::Value` that
//! [`parse`] gives. They live here, next to the serde impls, so the wire format is described in
//! one crate; `tests/reader.rs` holds every reader and writer to the serde impls on the spec's
//! examples, on the lenient forms Udesk sends and on malformed input, so the two cannot drift.
//!
//! Readers are `fn(Value) -> Result<T, ParseError>` ([`value::Read`]); their errors name the field
//! (`message.data.content: expected a string`), as [`crate::from_value`]'s do. Writers are
//! `fn(&T) -> Value` and write what serde writes. Servers have no use for them and keep the
//! feature off.
//!
//! - [`value`]: the toolkit ([`value::Fields`], scalar readers, [`value::Object`]).
//! - message contents: [`tagged_content`], [`content`], [`content_value`].
//! - survey options: [`survey_options`], [`survey_options_value`].
//! - the relay's `/v1` API: its answers ([`visitor_response`], [`create_session_response`],
//!   [`queue_status_response`], [`code_response`], [`error_body`], [`upload_response`]), its stream
//!   ([`stream_message`], [`stream_reset`]) and the widget's requests (`*_value`).

mod content;
mod relay;
mod survey;
pub mod value;

pub use content::{content, content_value, tagged_content};
pub use relay::{
    assign_type, code, code_response, create_session_request_value, create_session_response,
    error_body, queue_status_response, robot_evaluation_value, send_message_value, stream_message,
    stream_reset, survey_request_value, upload_response, visitor_request, visitor_request_value,
    visitor_response, visitor_response_value,
};
pub use survey::{survey_options, survey_options_value};

use crate::ParseError;

/// Parses JSON text (with serde_json) and reads it with `read`.
pub fn parse<T>(text: &str, read: value::Read<T>) -> Result<T, ParseError> {
    // Where, not serde_json's words: its messages (and io::Error's) would all come along.
    let value = serde_json::from_str(text).map_err(|e| {
        ParseError::at(
            "",
            [
                "not JSON (line ",
                &e.line().to_string(),
                ", column ",
                &e.column().to_string(),
                ")",
            ]
            .concat(),
        )
    })?;
    read(value)
}
