//! The transcript and every message kind.
//!
//! Each entry renders once per revision (the list is keyed by `(key, rev)`), so a status change
//! re-renders one bubble, not the list. Kinds: text (with its font), rich HTML (inert, see
//! [`crate::safe_html`]), image (thumbnail, click to enlarge), audio, video (with duration),
//! file (name, size, download), struct cards, robot answers, events as quiet system lines, and a
//! visible fallback for anything unknown.

use leptos::prelude::*;
use udesk_protocol::content::{ButtonKind, EventKind, Font, MediaData, StructData, TextData};
use udesk_protocol::Content;

use super::robot::RobotAnswerView;
use super::survey::SurveyCard;
use super::{chat, icons, Avatar};
use crate::app::author_name;
use crate::format::{self, Clock};
use crate::i18n::Texts;
use crate::safe_html::{is_safe_url, is_web_url, tel_href};
use crate::state::{Author, Body, Entry, Notice, SendState};

#[component]
pub fn MessageList() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let log = NodeRef::<leptos::html::Div>::new();
    let keys = move || {
        chat.conv.with(|c| {
            c.entries
                .iter()
                .map(|e| (e.key.clone(), e.rev))
                .collect::<Vec<_>>()
        })
    };
    // Follow new messages to the bottom.
    Effect::new(move |_| {
        let count = chat.conv.with(|c| c.entries.len());
        if let Some(element) = log.get() {
            element.set_scroll_top(element.scroll_height());
        }
        count
    });
    view! {
        <div
            class="log"
            role="log"
            data-testid="messages"
            tabindex="0"
            aria-label=t.messages_label
            node_ref=log
        >
            <For each=keys key=|k| k.clone() let:item>
                <EntryView key=item.0/>
            </For>
        </div>
    }
}

/// Scrolls the log to the bottom once media has its real height.
fn settle_scroll(event: &web_sys::Event) {
    use wasm_bindgen::JsCast;
    let log = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest(".log").ok().flatten());
    if let Some(log) = log {
        let near_bottom = log.scroll_height() - log.scroll_top() - log.client_height() < 400;
        if near_bottom {
            log.set_scroll_top(log.scroll_height());
        }
    }
}

#[component]
fn EntryView(key: String) -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let Some(entry) = chat.conv.with_untracked(|c| c.entry(&key).cloned()) else {
        return ().into_any();
    };
    match &entry.body {
        Body::Notice { notice } => {
            let notice = notice.clone();
            let name = notice_name(&notice);
            view! {
                <p class="system" data-testid="notice" data-notice=name>
                    {notice_text(&notice, t)}
                </p>
            }
            .into_any()
        }
        Body::Reply {
            content: Content::Event(kind, data),
            ..
        } => {
            let kind = *kind;
            let text = data.content.clone();
            view! {
                <p class="system" data-testid="event" data-kind=kind.as_str()>
                    {text.clone().unwrap_or_else(|| event_text(kind, t).to_owned())}
                </p>
            }
            .into_any()
        }
        Body::Survey { .. } => view! { <SurveyCard entry=entry.clone()/> }.into_any(),
        Body::Reply { .. } => view! { <ReplyRow entry=entry.clone()/> }.into_any(),
        Body::Outgoing { .. } => view! { <VisitorRow entry=entry.clone()/> }.into_any(),
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
fn time_label(at_ms: Option<i64>) -> Option<String> {
    let at = at_ms?;
    let now = crate::browser::now_ms();
    let at_clock = Clock::from_epoch_ms(at, crate::browser::local_offset_minutes(at));
    let now_clock = Clock::from_epoch_ms(now, crate::browser::local_offset_minutes(now));
    Some(format::message_time(at_clock, now_clock))
}

/// A message from the robot or an agent: avatar, name, content, time.
#[component]
fn ReplyRow(entry: Entry) -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let Body::Reply {
        content,
        message_id,
        rating,
    } = entry.body.clone()
    else {
        return ().into_any();
    };
    let key = entry.key.clone();
    let avatar_name = author_name(&entry, t);
    let sender = entry.sender.clone();
    let time = time_label(entry.at_ms);
    let rated_key = entry.key.clone();
    let author = match entry.author {
        Author::Robot => "robot",
        _ => "agent",
    };
    let name = author_name(&entry, t);
    let body = match content {
        Content::RobotAnswer(answer) => view! {
            <RobotAnswerView key=rated_key message_id=message_id answer=answer rating=rating/>
        }
        .into_any(),
        other => content_view(other, false),
    };
    view! {
        <div class="row reply" data-testid="reply" data-author=author data-key=key>
            <Avatar url=sender.avatar name=avatar_name/>
            <div class="stack">
                <span class="sender" data-testid="sender">{name.clone()}</span>
                {body}
                <div class="meta">
                    {time.map(|t| view! { <time data-testid="time">{t}</time> })}
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// A message the visitor sent, with its delivery state and a retry action.
#[component]
fn VisitorRow(entry: Entry) -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let Body::Outgoing {
        content,
        message_id,
        state,
        ..
    } = entry.body.clone()
    else {
        return ().into_any();
    };
    let state_name = match state {
        SendState::Pending => "pending",
        SendState::Sent => "sent",
        SendState::Failed => "failed",
    };
    let time = time_label(entry.at_ms);
    let status = move || {
        let texts = t;
        match state {
            SendState::Pending => view! { <span>{texts.sending}</span> }.into_any(),
            SendState::Sent => view! { <span>{texts.sent}</span> }.into_any(),
            SendState::Failed => {
                let id = message_id.clone();
                view! {
                    <span class="failed" role="alert">{texts.failed}</span>
                    <button type="button" data-testid="retry" on:click=move |_| chat.retry(id.clone())>
                        {texts.retry}
                    </button>
                }
                .into_any()
            }
        }
    };
    view! {
        <div class="row visitor" data-testid="visitor-message" data-state=state_name data-key=entry.key.clone()>
            <div class="stack">
                {content_view(content, true)}
                <div class="meta" data-testid="send-state">
                    {time.map(|t| view! { <time data-testid="time">{t}</time> })}
                    {status}
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// One message's content. `own`: the visitor's text is never read as HTML.
pub fn content_view(content: Content, own: bool) -> AnyView {
    let chat = chat();
    let t = chat.texts_untracked();
    match content {
        Content::Text(text) if !own && looks_like_html(&text.content) => {
            html_bubble(text.content.clone(), Some(font_style(&text)), "text")
        }
        Content::Text(text) => {
            let style = font_style(&text);
            view! {
                <div class="bubble" data-testid="text" style=style>{text.content}</div>
            }
            .into_any()
        }
        Content::Rich(rich) => html_bubble(rich.content, None, "rich"),
        Content::Image(media) => image_view(media),
        Content::Audio(media) => {
            let src = safe_src(&media.content);
            let caption = media_caption(&media);
            view! {
                <div class="media" data-testid="audio-message">
                    <audio controls preload="metadata" src=src data-testid="audio" on:loadedmetadata=|e| settle_scroll(&e)></audio>
                    {caption.map(|c| view! { <div class="caption">{c}</div> })}
                </div>
            }
            .into_any()
        }
        Content::Video(media) => {
            let src = safe_src(&media.content);
            let caption = media_caption(&media);
            view! {
                <div class="media" data-testid="video-message">
                    <video controls playsinline preload="metadata" src=src data-testid="video" on:loadedmetadata=|e| settle_scroll(&e)></video>
                    {caption.map(|c| view! { <div class="caption" data-testid="duration">{c}</div> })}
                </div>
            }
            .into_any()
        }
        Content::File(media) => file_view(media),
        Content::Struct(data) => struct_view(data),
        Content::RobotAnswer(answer) => {
            // Only reached for the visitor's own side, which never sends robot answers.
            html_bubble(answer.answer.unwrap_or_default(), None, "text")
        }
        Content::Event(kind, data) => {
            let text = data
                .content
                .unwrap_or_else(|| event_text(kind, t).to_owned());
            view! { <p class="system" data-testid="event">{text}</p> }.into_any()
        }
        Content::Unknown { kind, data } => {
            let detail = data
                .get("content")
                .and_then(|c| c.as_str())
                .map(str::to_owned);
            view! {
                <div class="bubble" data-testid="unknown" data-kind=kind.clone()>
                    <em>{t.unsupported}</em>
                    {format!(" ({kind})")}
                    {detail.map(|d| view! { <div>{d}</div> })}
                </div>
            }
            .into_any()
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
pub fn html_bubble(html: String, style: Option<String>, testid: &'static str) -> AnyView {
    let container = NodeRef::<leptos::html::Div>::new();
    container.on_load(move |element| crate::safe_html::render_into(&element, &html));
    view! {
        <div class="bubble html" data-testid=testid style=style node_ref=container></div>
    }
    .into_any()
}

/// The CSS of a text message's font.
fn font_style(text: &TextData) -> String {
    let mut css = String::new();
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
        Some(Font::Family(family)) => css.push_str(&format!("font-family:{};", clean(family))),
        Some(Font::Style(style)) => {
            if let Some(family) = &style.family {
                css.push_str(&format!("font-family:{};", clean(family)));
            }
            if let Some(size) = &style.size {
                let size = clean(size);
                let size = if size.chars().all(|c| c.is_ascii_digit() || c == '.') {
                    format!("{size}px")
                } else {
                    size
                };
                css.push_str(&format!("font-size:{size};"));
            }
            if let Some(color) = &style.color {
                css.push_str(&format!("color:{};", clean(color)));
            }
            if style.bold == Some(true) {
                css.push_str("font-weight:700;");
            }
            if style.italic == Some(true) {
                css.push_str("font-style:italic;");
            }
            if style.underline == Some(true) {
                css.push_str("text-decoration:underline;");
            }
        }
        None => {}
    }
    css
}

fn safe_src(url: &str) -> Option<String> {
    (is_safe_url(url) && !url.trim().is_empty()).then(|| url.trim().to_owned())
}

fn media_caption(media: &MediaData) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(name) = &media.filename {
        parts.push(name.clone());
    }
    if let Some(seconds) = media.duration {
        parts.push(format::duration(seconds));
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

fn image_view(media: MediaData) -> AnyView {
    let chat = chat();
    let t = chat.texts_untracked();
    let Some(src) = safe_src(&media.content) else {
        return view! { <div class="bubble" data-testid="unknown">{t.image}</div> }.into_any();
    };
    let alt = media.filename.clone().unwrap_or_else(|| t.image.to_owned());
    let (open_src, open_alt) = (src.clone(), alt.clone());
    view! {
        <button
            type="button"
            class="thumb"
            data-testid="image-thumb"
            aria-label=format!("{}: {}", t.enlarge_image, open_alt)
            on:click={
                let (src, alt) = (open_src.clone(), alt.clone());
                move |_| chat.lightbox.set(Some((src.clone(), alt.clone())))
            }
        >
            <img src=src alt=media.filename.clone().unwrap_or_default() data-testid="image" on:load=|e| settle_scroll(&e)/>
        </button>
    }
    .into_any()
}

fn file_view(media: MediaData) -> AnyView {
    let chat = chat();
    let t = chat.texts_untracked();
    let name = media.filename.clone().unwrap_or_else(|| {
        media
            .content
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or(t.file)
            .to_owned()
    });
    let size = media.filesize.as_deref().map(format::file_size);
    let href = safe_src(&media.content);
    view! {
        <a
            class="file"
            data-testid="file"
            href=href
            download=name.clone()
            target="_blank"
            rel="noopener noreferrer"
            aria-label=format!("{} {}", t.download, name)
        >
            {icons::file()}
            <span class="stack">
                <span class="fname" data-testid="file-name">{media.filename.clone().unwrap_or_default()}</span>
                {size.map(|s| view! { <span class="fsize" data-testid="file-size">{s}</span> })}
            </span>
        </a>
    }
    .into_any()
}

/// Struct cards: image, title, description, buttons (links open in a new tab; phone buttons
/// are `tel:` links; `sdk_callback` buttons are for native apps and show as plain labels).
fn struct_view(data: StructData) -> AnyView {
    let chat = chat();
    let t = chat.texts_untracked();
    let cards = data
        .cards
        .into_iter()
        .map(|card| {
            let image = card.img_url.as_deref().and_then(safe_src);
            let buttons = card
                .buttons
                .into_iter()
                .map(|button| match button.kind {
                    ButtonKind::Link if is_web_url(&button.value) => view! {
                        <a href=button.value.trim().to_owned() target="_blank" rel="noopener noreferrer" data-testid="card-link">
                            {button.text}
                        </a>
                    }
                    .into_any(),
                    ButtonKind::Phone => match tel_href(&button.value) {
                        Some(href) => view! {
                            <a href=href data-testid="card-phone" aria-label=format!("{} {}", t.call, button.value)>
                                {button.text.clone()}
                            </a>
                        }
                        .into_any(),
                        None => view! { <span>{button.text}</span> }.into_any(),
                    },
                    _ => view! { <span data-testid="card-label">{button.text}</span> }.into_any(),
                })
                .collect::<Vec<_>>();
            let has_buttons = !buttons.is_empty();
            view! {
                <article class="card" data-testid="card">
                    {image.map(|src| view! { <img src=src alt="" data-testid="card-image" on:load=|e| settle_scroll(&e)/> })}
                    <div class="body">
                        {card.title.map(|t| view! { <h3 class="title" data-testid="card-title">{t}</h3> })}
                        {card.description.map(|d| view! { <p class="desc">{d}</p> })}
                    </div>
                    {has_buttons.then(|| view! { <div class="buttons">{buttons}</div> })}
                </article>
            }
        })
        .collect::<Vec<_>>();
    view! { <div class="cards" data-testid="struct">{cards}</div> }.into_any()
}
