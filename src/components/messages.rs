//! The transcript and every message kind.
//!
//! A row never changes in place: when an entry changes its revision goes up and the row is built
//! again; one effect keeps the log's rows in step with the conversation. The rows' buttons carry
//! a `data-action` (enlarge an image, retry a send, ask a suggested question, rate a robot
//! answer, answer a survey) that [`on_action`] carries out.
//!
//! Kinds: text (with its font), rich HTML (inert, see [`crate::safe_html`]), image (thumbnail,
//! click to enlarge), audio, video (with duration), file (name, size, download), struct cards,
//! robot answers, events as quiet system lines, and a visible fallback for anything unknown.

use crate::reactive::*;
use udesk_protocol::content::{ButtonKind, EventKind, Font, MediaData, StructData, TextData};
use udesk_protocol::Content;
use web_sys::Element;

use super::{avatar, icons, robot, survey};
use crate::app::{author_name, Chat};
use crate::dom::{self, el, El};
use crate::format::{self, Clock};
use crate::i18n::Texts;
use crate::safe_html::{is_safe_url, is_web_url, tel_href};
use crate::state::{Author, Body, Entry, Notice, SendState};

/// The transcript: a log whose rows follow the conversation's entries.
pub fn log(chat: Chat, t: &'static Texts) -> El {
    let log = el("div")
        .class("log")
        .attr("role", "log")
        .testid("messages")
        .attr("tabindex", "0")
        .attr("aria-label", t.messages_label);
    let element = log.element().clone();
    // The rows on screen: entry key, the revision shown, and the element.
    let rows = StoredValue::new_local(Vec::<(String, u32, Element)>::new());
    Effect::new(move |shown: Option<usize>| {
        let count = chat.conv.with(|c| {
            rows.update_value(|rows| sync_rows(&element, &c.entries, rows, t));
            c.entries.len()
        });
        // Follow new messages to the bottom.
        if shown != Some(count) {
            element.set_scroll_top(element.scroll_height());
        }
        count
    });
    log
}

/// Makes `log`'s children the rows of `entries`: rows whose revision is unchanged are kept (and
/// moved if needed), the others built anew.
fn sync_rows(log: &Element, entries: &[Entry], rows: &mut Vec<(String, u32, Element)>, t: &Texts) {
    let mut old = std::mem::take(rows);
    for entry in entries {
        let kept = old
            .iter()
            .position(|(key, rev, _)| *key == entry.key && *rev == entry.rev);
        let element = match kept {
            Some(i) => old.swap_remove(i).2,
            None => row(entry, t).into_element(),
        };
        rows.push((entry.key.clone(), entry.rev, element));
    }
    for (_, _, gone) in old {
        gone.remove();
    }
    let mut next = log.first_element_child();
    for (_, _, element) in rows.iter() {
        if next.as_ref() == Some(element) {
            next = element.next_element_sibling();
        } else {
            let _ = log.insert_before(element, next.as_ref().map(|n| n.as_ref()));
        }
    }
}

/// A click on an element of the transcript with `data-action` `action`.
pub fn on_action(chat: Chat, target: &Element, action: &str) {
    match action {
        "enlarge" => {
            let src = target
                .query_selector("img")
                .ok()
                .flatten()
                .and_then(|img| img.get_attribute("src"));
            if let Some(src) = src {
                let alt = target.get_attribute("data-alt").unwrap_or_default();
                chat.lightbox.set(Some((src, alt)));
            }
        }
        "retry" => {
            if let Some(id) = target.get_attribute("data-id") {
                chat.retry(id);
            }
        }
        "ask" => chat.send_text(target.text_content().unwrap_or_default()),
        "rate" => robot::rate(chat, target),
        _ => survey::on_click(chat, target, action),
    }
}

/// Scrolls the log to the bottom once media has its real height.
pub fn settle_scroll(event: &web_sys::Event) {
    if let Some(log) = dom::closest(event, ".log") {
        let near_bottom = log.scroll_height() - log.scroll_top() - log.client_height() < 400;
        if near_bottom {
            log.set_scroll_top(log.scroll_height());
        }
    }
}

/// The row of one entry.
fn row(entry: &Entry, t: &Texts) -> El {
    match &entry.body {
        Body::Notice { notice } => el("p")
            .class("system")
            .testid("notice")
            .attr("data-notice", notice_name(notice))
            .text(notice_text(notice, t)),
        Body::Reply {
            content: Content::Event(kind, data),
            ..
        } => el("p")
            .class("system")
            .testid("event")
            .attr("data-kind", kind.as_str())
            .text(data.content.as_deref().unwrap_or(event_text(*kind, t))),
        Body::Survey { .. } => survey::card(entry, t),
        Body::Reply {
            content, rating, ..
        } => reply_row(entry, content, *rating, t),
        Body::Outgoing {
            content,
            message_id,
            state,
            ..
        } => visitor_row(entry, content, message_id, *state, t),
    }
}

fn notice_name(notice: &Notice) -> &'static str {
    match notice {
        Notice::HistoryGap => "history-gap",
        Notice::NoAgent => "no-agent",
        Notice::ConversationEnded => "ended",
        Notice::NewVisitor => "new-visitor",
    }
}

fn notice_text(notice: &Notice, texts: &Texts) -> &'static str {
    match notice {
        Notice::HistoryGap => texts.history_gap,
        Notice::NoAgent => texts.no_agent,
        Notice::ConversationEnded => texts.conversation_ended,
        Notice::NewVisitor => texts.new_visitor,
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

/// The time next to a message, in the visitor's time zone.
fn time(at_ms: Option<i64>) -> Option<El> {
    let at = at_ms?;
    let now = crate::browser::now_ms();
    let at_clock = Clock::from_epoch_ms(at, crate::browser::local_offset_minutes(at));
    let now_clock = Clock::from_epoch_ms(now, crate::browser::local_offset_minutes(now));
    Some(
        el("time")
            .testid("time")
            .text(&format::message_time(at_clock, now_clock)),
    )
}

/// A message from the robot or an agent: avatar, name, content, time.
fn reply_row(entry: &Entry, content: &Content, rating: Option<bool>, t: &Texts) -> El {
    let author = match entry.author {
        Author::Robot => "robot",
        _ => "agent",
    };
    let name = author_name(entry, t);
    let body = match content {
        Content::RobotAnswer(answer) => robot::answer(answer, rating, t),
        other => content_view(other, false, t),
    };
    el("div")
        .class("row reply")
        .testid("reply")
        .attr("data-author", author)
        .attr("data-key", &entry.key)
        .child(avatar(entry.sender.avatar.as_deref(), &name))
        .child(
            el("div")
                .class("stack")
                .child(el("span").class("sender").testid("sender").text(&name))
                .child(body)
                .child(el("div").class("meta").child_opt(time(entry.at_ms))),
        )
}

/// A message the visitor sent, with its delivery state and a retry action.
fn visitor_row(
    entry: &Entry,
    content: &Content,
    message_id: &str,
    state: SendState,
    t: &Texts,
) -> El {
    let (state_name, status) = match state {
        SendState::Pending => ("pending", el("span").text(t.sending)),
        SendState::Sent => ("sent", el("span").text(t.sent)),
        SendState::Failed => (
            "failed",
            el("span")
                .class("failed")
                .attr("role", "alert")
                .text(t.failed),
        ),
    };
    let retry = (state == SendState::Failed).then(|| {
        el("button")
            .attr("type", "button")
            .testid("retry")
            .attr("data-action", "retry")
            .attr("data-id", message_id)
            .text(t.retry)
    });
    el("div")
        .class("row visitor")
        .testid("visitor-message")
        .attr("data-state", state_name)
        .attr("data-key", &entry.key)
        .child(
            el("div")
                .class("stack")
                .child(content_view(content, true, t))
                .child(
                    el("div")
                        .class("meta")
                        .testid("send-state")
                        .child_opt(time(entry.at_ms))
                        .child(status)
                        .child_opt(retry),
                ),
        )
}

/// One message's content. `own`: the visitor's text is never read as HTML.
fn content_view(content: &Content, own: bool, t: &Texts) -> El {
    match content {
        Content::Text(text) if !own && looks_like_html(&text.content) => {
            html_bubble(&text.content, &font_style(text), "text")
        }
        Content::Text(text) => {
            let style = font_style(text);
            el("div")
                .class("bubble")
                .testid("text")
                .attr_opt("style", Some(style.as_str()).filter(|s| !s.is_empty()))
                .text(&text.content)
        }
        Content::Rich(rich) => html_bubble(&rich.content, "", "rich"),
        Content::Image(media) => image_view(media, t),
        Content::Audio(media) => media_view(media, "audio", "audio-message", None),
        Content::Video(media) => media_view(media, "video", "video-message", Some("duration")),
        Content::File(media) => file_view(media, t),
        Content::Struct(data) => struct_view(data, t),
        // Only reached for the visitor's own side, which never sends robot answers.
        Content::RobotAnswer(answer) => {
            html_bubble(answer.answer.as_deref().unwrap_or_default(), "", "text")
        }
        Content::Event(kind, data) => el("p")
            .class("system")
            .testid("event")
            .text(data.content.as_deref().unwrap_or(event_text(*kind, t))),
        Content::Unknown { kind, data } => {
            let detail = data.get("content").and_then(|c| c.as_str());
            el("div")
                .class("bubble")
                .testid("unknown")
                .attr("data-kind", kind)
                .child(el("em").text(t.unsupported))
                .text(&[" (", kind, ")"].concat())
                .child_opt(detail.map(|d| el("div").text(d)))
        }
    }
}

/// Whether a text carries HTML tags (Udesk allows rich tags in text messages).
fn looks_like_html(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/'))
}

/// HTML content, parsed inertly and cleaned before it is shown.
pub fn html_bubble(html: &str, style: &str, testid: &str) -> El {
    let bubble = el("div")
        .class("bubble html")
        .testid(testid)
        .attr_opt("style", Some(style).filter(|s| !s.is_empty()));
    crate::safe_html::render_into(bubble.element(), html);
    bubble
}

/// The CSS of a text message's font.
fn font_style(text: &TextData) -> String {
    let mut css = String::new();
    let mut declare = |property: &str, value: &str| {
        css.push_str(property);
        css.push(':');
        css.push_str(value);
        css.push(';');
    };
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| {
                // Letters of any script (font names like 微软雅黑), digits, and the punctuation of
                // CSS values; never `;`, `:`, `(`, which could start another declaration.
                !c.is_ascii()
                    || c.is_ascii_alphanumeric()
                    || matches!(c, ' ' | '-' | '_' | '#' | '.' | ',' | '"' | '%')
            })
            .collect()
    };
    match &text.font {
        Some(Font::Family(family)) => declare("font-family", &clean(family)),
        Some(Font::Style(style)) => {
            if let Some(family) = &style.family {
                declare("font-family", &clean(family));
            }
            if let Some(size) = &style.size {
                let mut size = clean(size);
                if size.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    size.push_str("px");
                }
                declare("font-size", &size);
            }
            if let Some(color) = &style.color {
                declare("color", &clean(color));
            }
            if style.bold == Some(true) {
                declare("font-weight", "700");
            }
            if style.italic == Some(true) {
                declare("font-style", "italic");
            }
            if style.underline == Some(true) {
                declare("text-decoration", "underline");
            }
        }
        None => {}
    }
    css
}

fn safe_src(url: &str) -> Option<&str> {
    let url = url.trim();
    (is_safe_url(url) && !url.is_empty()).then_some(url)
}

/// Audio or video with controls, and its file name and duration under it.
fn media_view(media: &MediaData, tag: &str, testid: &str, caption_testid: Option<&str>) -> El {
    let mut parts = Vec::new();
    if let Some(name) = &media.filename {
        parts.push(name.clone());
    }
    if let Some(seconds) = media.duration {
        parts.push(format::duration(seconds));
    }
    let caption = (!parts.is_empty()).then(|| {
        el("div")
            .class("caption")
            .attr_opt("data-testid", caption_testid)
            .text(&parts.join(" · "))
    });
    let player = el(tag)
        .attr("controls", "")
        .attr("preload", "metadata")
        .attr_opt("src", safe_src(&media.content))
        .testid(tag);
    let player = if tag == "video" {
        player.attr("playsinline", "")
    } else {
        player
    };
    el("div")
        .class("media")
        .testid(testid)
        .child(player)
        .child_opt(caption)
}

fn image_view(media: &MediaData, t: &Texts) -> El {
    let Some(src) = safe_src(&media.content) else {
        return el("div").class("bubble").testid("unknown").text(t.image);
    };
    let alt = media.filename.as_deref().unwrap_or(t.image);
    el("button")
        .attr("type", "button")
        .class("thumb")
        .testid("image-thumb")
        .attr("data-action", "enlarge")
        .attr("data-alt", alt)
        .attr("aria-label", &[t.enlarge_image, ": ", alt].concat())
        .child(
            el("img")
                .attr("src", src)
                .attr("alt", media.filename.as_deref().unwrap_or_default())
                .testid("image"),
        )
}

fn file_view(media: &MediaData, t: &Texts) -> El {
    let name = media.filename.as_deref().unwrap_or_else(|| {
        media
            .content
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(t.file)
    });
    let size = media.filesize.as_deref().map(|raw| {
        el("span")
            .class("fsize")
            .testid("file-size")
            .text(&format::file_size(raw))
    });
    el("a")
        .class("file")
        .testid("file")
        .attr_opt("href", safe_src(&media.content))
        .attr("download", name)
        .attr("target", "_blank")
        .attr("rel", "noopener noreferrer")
        .attr("aria-label", &[t.download, " ", name].concat())
        .trusted_markup(icons::FILE)
        .child(
            el("span")
                .class("stack")
                .child(
                    el("span")
                        .class("fname")
                        .testid("file-name")
                        .text(media.filename.as_deref().unwrap_or_default()),
                )
                .child_opt(size),
        )
}

/// Struct cards: image, title, description, buttons (links open in a new tab; phone buttons
/// are `tel:` links; `sdk_callback` buttons are for native apps and show as plain labels).
fn struct_view(data: &StructData, t: &Texts) -> El {
    let mut cards = el("div").class("cards").testid("struct");
    for card in &data.cards {
        let image = card.img_url.as_deref().and_then(safe_src).map(|src| {
            el("img")
                .attr("src", src)
                .attr("alt", "")
                .testid("card-image")
        });
        let mut buttons = el("div").class("buttons");
        for button in &card.buttons {
            let text = button.text.as_str();
            let link = match button.kind {
                ButtonKind::Link if is_web_url(&button.value) => el("a")
                    .attr("href", button.value.trim())
                    .attr("target", "_blank")
                    .attr("rel", "noopener noreferrer")
                    .testid("card-link"),
                ButtonKind::Phone => match tel_href(&button.value) {
                    Some(href) => el("a")
                        .attr("href", &href)
                        .testid("card-phone")
                        .attr("aria-label", &[t.call, " ", &button.value].concat()),
                    None => el("span"),
                },
                _ => el("span").testid("card-label"),
            };
            buttons = buttons.child(link.text(text));
        }
        let has_buttons = !card.buttons.is_empty();
        cards =
            cards.child(
                el("article")
                    .class("card")
                    .testid("card")
                    .child_opt(image)
                    .child(
                        el("div")
                            .class("body")
                            .child_opt(card.title.as_deref().map(|title| {
                                el("h3").class("title").testid("card-title").text(title)
                            }))
                            .child_opt(
                                card.description
                                    .as_deref()
                                    .map(|d| el("p").class("desc").text(d)),
                            ),
                    )
                    .child_opt(has_buttons.then_some(buttons)),
            );
    }
    cards
}
