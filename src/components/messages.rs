//! The transcript and every message kind.
//!
//! [`MessageList`] is a Leptos `<For>` over the conversation's newest entries keyed by (key,
//! revision): an entry that changes gets a new revision and its row is rendered again, the others
//! stay; earlier entries are rendered on request (see [`MessageList`]). The
//! rows are components: system lines, the survey card, the robot's and agents' messages (avatar,
//! name, time; the robot answer with its actions) and the visitor's (delivery state, retry).
//!
//! The message contents themselves (text with its font, rich HTML, audio, video, file, struct
//! cards, the fallback for unknown kinds) never change once shown and have no behaviour, so they
//! are plain DOM built by the small element builder of [`crate::dom`] and attached to their row by
//! the `append` directive (in a `display: contents` holder). As Leptos views these kinds were the
//! bulk of the wasm: every distinct element tree is a monomorphised type with its own build,
//! rebuild and unmount code.
//!
//! Kinds: text (with its font), rich HTML (inert, see [`crate::safe_html`]), image (thumbnail,
//! click to enlarge), audio, video (with duration), file (name, size, download), struct cards,
//! robot answers, events as quiet system lines, and a visible fallback for anything unknown.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use udesk_protocol::content::{ButtonKind, Font, MediaData, StructData, TextData};
use udesk_protocol::Content;

use super::robot::RobotAnswerView;
use super::survey::SurveyCard;
use super::{icons, Avatar};
use crate::app::Chat;
use crate::describe::{author_name, event_text};
use crate::dom::{el, El};
use crate::format::{self, Clock};
use crate::i18n::Texts;
use crate::safe_html::{is_safe_url, is_web_url, tel_href};
use crate::state::{Author, Body, Entry, Notice, SendState, SurveyState};

/// How many of the newest entries the transcript renders, and how many more each "show earlier"
/// (or scrolling to the top) adds.
const PAGE_ROWS: usize = 50;

/// The transcript: a log whose rows follow the conversation's newest entries.
///
/// Only the newest [`PAGE_ROWS`] entries are rendered (more once the visitor asks for earlier
/// ones, or while they read further up), so a long conversation keeps a small DOM: a new
/// message adds its row, and the oldest rendered row goes.
#[component]
pub fn MessageList(chat: Chat, t: &'static Texts) -> impl IntoView {
    let log = NodeRef::<leptos::html::Div>::new();
    let limit = RwSignal::new(PAGE_ROWS);
    // (key, revision, index in the entries when listed): the index finds the entry at once.
    let rows = move || {
        let limit = limit.get();
        chat.conv.with(|c| {
            let skip = c.entries.len().saturating_sub(limit);
            c.entries[skip..]
                .iter()
                .enumerate()
                .map(|(i, e)| (e.key.clone(), e.rev, skip + i))
                .collect::<Vec<_>>()
        })
    };
    let hidden = move || chat.conv.with(|c| c.entries.len()) > limit.get();
    // Whether the visitor reads further up (as of their last scroll), and where the log last
    // scrolled itself to the bottom: rows added before that scroll's event are no scrolling up.
    let reading_up = StoredValue::new(false);
    let pinned_top = StoredValue::new(0);
    // Follow new messages to the bottom, once they are on screen; a visitor reading further up
    // keeps the rows they read (the window grows by what arrived).
    Effect::new(move |shown: Option<usize>| {
        let count = chat.conv.with(|c| c.entries.len());
        if shown == Some(count) {
            return count;
        }
        match shown {
            Some(before) if reading_up.get_value() && count > before => {
                limit.update(|l| *l += count - before);
            }
            _ => request_animation_frame(move || {
                if let Some(log) = log.get_untracked() {
                    log.set_scroll_top(log.scroll_height());
                    pinned_top.set_value(log.scroll_top());
                    reading_up.set_value(false);
                }
            }),
        }
        count
    });
    // Renders earlier rows above, keeping what the visitor sees where it is.
    let show_earlier = move || {
        let Some(element) = log.get_untracked() else {
            return;
        };
        let from_bottom = element.scroll_height() - element.scroll_top();
        limit.update(|l| *l += PAGE_ROWS);
        request_animation_frame(move || {
            if let Some(element) = log.get_untracked() {
                element.set_scroll_top(element.scroll_height() - from_bottom);
            }
        });
    };
    let on_scroll = move |_| {
        let Some(element) = log.get_untracked() else {
            return;
        };
        let below = element.scroll_height() - element.scroll_top() - element.client_height();
        let moved_up = element.scroll_top() < pinned_top.get_value() - 2;
        reading_up.set_value(moved_up && below > 400);
        if element.scroll_top() < 40 && hidden() {
            show_earlier();
        }
    };
    view! {
        <div
            class="log"
            role="log"
            data-testid="messages"
            tabindex="0"
            aria-label=t.messages_label
            node_ref=log
            on:scroll=on_scroll
            on:load:capture=settle_scroll
            on:loadedmetadata:capture=settle_scroll
        >
            <For each=move || hidden().then_some(()) key=|_| () let:_hidden>
                <button
                    type="button"
                    class="earlier"
                    data-testid="show-earlier"
                    on:click=move |_| show_earlier()
                >
                    {t.show_earlier}
                </button>
            </For>
            <For each=rows key=|row| (row.0.clone(), row.1) let:row>
                <Row chat t key=row.0 at=row.2/>
            </For>
            <super::uploads::PendingUploads chat t/>
        </div>
    }
}

/// Scrolls the log to the bottom once media has its real height (load events do not bubble: the
/// log listens in the capture phase).
fn settle_scroll(event: web_sys::Event) {
    use wasm_bindgen::JsCast;
    let log = event
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok());
    if let Some(log) = log {
        let near_bottom = log.scroll_height() - log.scroll_top() - log.client_height() < 400;
        if near_bottom {
            log.set_scroll_top(log.scroll_height());
        }
    }
}

/// The row of the entry `key` (at index `at` of the entries when listed), as it is now.
#[component]
fn Row(chat: Chat, t: &'static Texts, key: String, at: usize) -> impl IntoView {
    let entry = chat.conv.with_untracked(|c| {
        c.entries
            .get(at)
            .filter(|e| e.key == key)
            .or_else(|| c.entry(&key))
            .cloned()
    })?;
    Some(match entry.body {
        Body::Notice { notice } => EitherOf3::A(view! {
            <SystemLine testid="notice" notice=notice_name(&notice) text=notice_text(&notice, t).to_owned()/>
        }),
        Body::Reply {
            content: Content::Event(kind, data),
            ..
        } => EitherOf3::A(view! {
            <SystemLine
                testid="event"
                kind=kind.as_str()
                text=data.content.unwrap_or_else(|| event_text(kind, t).to_owned())
            />
        }),
        Body::Survey {
            im_sub_session_id,
            options,
            state,
        } => {
            let submitted = match state {
                SurveyState::Submitted { option_id } => Some(option_id),
                SurveyState::Open => None,
            };
            EitherOf3::B(view! {
                <SurveyCard chat t key=entry.key im_sub_session_id options submitted/>
            })
        }
        Body::Reply { .. } | Body::Outgoing { .. } => {
            EitherOf3::C(view! { <MessageRow chat t entry/> })
        }
    })
}

/// A quiet line in the middle: an event, or the widget's own notice.
#[component]
fn SystemLine(
    testid: &'static str,
    #[prop(optional)] notice: Option<&'static str>,
    #[prop(optional)] kind: Option<&'static str>,
    text: String,
) -> impl IntoView {
    view! {
        <p class="system" data-testid=testid data-notice=notice data-kind=kind>
            {text}
        </p>
    }
}

/// A message: from the robot or an agent (avatar, name, content, time), or from the visitor
/// (content, time, delivery state, and a retry action when it failed). One row for both, so
/// there is one element tree to compile.
#[component]
fn MessageRow(chat: Chat, t: &'static Texts, entry: Entry) -> impl IntoView {
    let own = entry.author == Author::Visitor;
    let name = (!own).then(|| author_name(&entry, t));
    let author = match entry.author {
        Author::Robot => Some("robot"),
        Author::Agent | Author::System => Some("agent"),
        Author::Visitor => None,
    };
    let (message_id, content, rating, state) = match entry.body {
        Body::Reply {
            message_id,
            content,
            rating,
        } => (message_id, content, rating, None),
        Body::Outgoing {
            message_id,
            content,
            state,
            ..
        } => (message_id, content, None, Some(state)),
        _ => return None,
    };
    let (state_name, status) = match state {
        Some(SendState::Pending) => (Some("pending"), Some(t.sending)),
        Some(SendState::Sent) => (Some("sent"), Some(t.sent)),
        Some(SendState::Failed) => (Some("failed"), Some(t.failed)),
        None => (None, None),
    };
    let failed = state == Some(SendState::Failed);
    let key = entry.key;
    let body = match content {
        Content::RobotAnswer(answer) => Either::Left(view! {
            <RobotAnswerView chat t key=key.clone() message_id=message_id.clone() answer rating/>
        }),
        other => Either::Right(content_view(chat, &other, own, t)),
    };
    Some(view! {
        <div
            class=if own { "row visitor" } else { "row reply" }
            data-testid=if own { "visitor-message" } else { "reply" }
            data-author=author
            data-state=state_name
            data-key=key
        >
            {name.clone().map(|name| view! { <Avatar url=entry.sender.avatar name/> })}
            <div class="stack">
                {name.map(|name| view! { <span class="sender" data-testid="sender">{name}</span> })}
                {body}
                <div class="meta" data-testid=own.then_some("send-state")>
                    {time(entry.at_ms)}
                    {status.map(|status| view! {
                        <span class:failed=failed role=failed.then_some("alert")>{status}</span>
                    })}
                    {failed.then(|| view! {
                        <button
                            type="button"
                            data-testid="retry"
                            on:click=move |_| chat.retry(message_id.clone())
                        >
                            {t.retry}
                        </button>
                    })}
                </div>
            </div>
        </div>
    })
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

/// The time next to a message, in the visitor's time zone.
fn time(at_ms: Option<i64>) -> impl IntoView {
    at_ms.map(|at| {
        let now = crate::browser::now_ms();
        let at_clock = Clock::from_epoch_ms(at, crate::browser::local_offset_minutes(at));
        let now_clock = Clock::from_epoch_ms(now, crate::browser::local_offset_minutes(now));
        view! { <time data-testid="time">{format::message_time(at_clock, now_clock)}</time> }
    })
}

/// One message's content: the image thumbnail (which opens the image viewer), or the plain DOM of
/// every other kind. `own`: the visitor's text is never read as HTML.
fn content_view(chat: Chat, content: &Content, own: bool, t: &'static Texts) -> impl IntoView {
    match content {
        Content::Image(media) if safe_src(&media.content).is_some() => {
            Either::Left(view! { <ImageThumb chat t media=media.clone()/> })
        }
        other => {
            let element = content_element(other, own, t).into_element();
            Either::Right(view! { <div class="content" use:append=element></div> })
        }
    }
}

/// Attaches an element built by [`crate::dom`] to the element it is used on (a `use:` directive).
fn append(host: web_sys::Element, child: web_sys::Element) {
    let _ = host.append_child(&child);
}

/// Fills the element it is used on with message HTML, parsed inertly and cleaned (a `use:`
/// directive).
pub fn html(host: web_sys::Element, html: String) {
    crate::safe_html::render_into(&host, &html);
}

/// A picture in the transcript; a click shows it enlarged in the image viewer.
#[component]
fn ImageThumb(chat: Chat, t: &'static Texts, media: MediaData) -> impl IntoView {
    let src = safe_src(&media.content).unwrap_or_default().to_owned();
    let alt = media.filename.clone().unwrap_or_else(|| t.image.to_owned());
    let label = [t.enlarge_image, ": ", &alt].concat();
    let enlarge = (src.clone(), alt);
    view! {
        <button
            type="button"
            class="thumb"
            data-testid="image-thumb"
            aria-label=label
            on:click=move |_| chat.lightbox.set(Some(enlarge.clone()))
        >
            <img src=src alt=media.filename.unwrap_or_default() data-testid="image"/>
        </button>
    }
}

/// The plain DOM of a content (see the module's doc).
fn content_element(content: &Content, own: bool, t: &Texts) -> El {
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
        Content::Image(_) => image_view(t),
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
fn html_bubble(html: &str, style: &str, testid: &str) -> El {
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

/// An image whose address may not be shown (the viewable ones are [`ImageThumb`]s).
fn image_view(t: &Texts) -> El {
    el("div").class("bubble").testid("unknown").text(t.image)
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
