//! Entries in words: who wrote one, a one-line preview, and the default line of an event.
//!
//! Shared by the transcript (`components`) and by what the controller tells the live region and
//! the host page (`app`), so neither imports the other for it. Plain Rust, tested on the host.

use udesk_protocol::content::EventKind;
use udesk_protocol::Content;

use crate::i18n::Texts;
use crate::safe_html::strip_tags;
use crate::state::{Author, Entry};

/// Who wrote an entry, for people.
pub fn author_name(entry: &Entry, texts: &Texts) -> String {
    match entry.author {
        Author::Visitor => texts.you.to_owned(),
        Author::Robot => entry
            .sender
            .name
            .clone()
            .unwrap_or_else(|| texts.robot.to_owned()),
        Author::Agent => entry
            .sender
            .name
            .clone()
            .unwrap_or_else(|| texts.agent.to_owned()),
        Author::System => texts.system.to_owned(),
    }
}

/// The default line for an event without text of its own.
pub fn event_text(kind: EventKind, texts: &Texts) -> &'static str {
    match kind {
        EventKind::StartSession | EventKind::ActiveGuest => texts.event_start_session,
        EventKind::Transfer | EventKind::IsInfoTransfer => texts.event_transfer,
        EventKind::Close => texts.event_close,
        EventKind::InfoAppoint => texts.event_info_appoint,
        EventKind::RobotTransfer => texts.event_robot_transfer,
        EventKind::Survey => texts.event_survey,
        EventKind::Form | EventKind::FormReceived | EventKind::Info => texts.event_other,
    }
}

/// A one-line text of a message for the live region and the host page's `message` event.
pub fn preview(content: &Content, texts: &Texts) -> String {
    let text = match content {
        Content::Text(t) => strip_tags(&t.content),
        Content::Rich(r) => strip_tags(&r.content),
        Content::Image(_) => texts.image.to_owned(),
        Content::Audio(m) | Content::Video(m) | Content::File(m) => {
            m.filename.clone().unwrap_or_else(|| texts.file.to_owned())
        }
        Content::Struct(s) => s
            .cards
            .iter()
            .filter_map(|c| c.title.clone())
            .collect::<Vec<_>>()
            .join(" / "),
        Content::RobotAnswer(a) => strip_tags(a.answer.as_deref().unwrap_or_default()),
        Content::Event(kind, data) => data
            .content
            .clone()
            .unwrap_or_else(|| event_text(*kind, texts).to_owned()),
        Content::Unknown { .. } => texts.unsupported.to_owned(),
    };
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(140).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn previews_are_one_short_line_without_tags() {
        let t = Locale::En.texts();
        assert_eq!(preview(&Content::text("<b>hi</b> there"), t), "hi there");
        let long = "x".repeat(200);
        let short = preview(&Content::text(long), t);
        assert_eq!(short.chars().count(), 141);
        assert!(short.ends_with('…'));
    }
}
