//! The widget's user interface, built with [`crate::dom`] and kept in step with the [`Chat`]'s
//! signals by a few effects.
//!
//! Every part builds its elements once and registers an effect that updates what changes (texts,
//! `hidden`, `disabled`, attributes); the effects belong to the reactive owner of the render
//! that created them, so they stop when that part is removed. Events are handled once, at the
//! root: a click acts by the `data-action` of the clicked element, keys, input and submits by
//! their target. So no part holds a listener of its own.
//!
//! - [`launcher`]: the round button with the unread badge.
//! - [`panel`]: the chat panel, its banners (connection, queue, nobody online, errors), the image
//!   lightbox and the live region.
//! - [`header`]: who the visitor talks to, "talk to a person", "rate", close.
//! - [`messages`]: the transcript and every message kind.
//! - [`robot`]: a robot answer with suggested questions and the useful / not useful rating.
//! - [`survey`]: the satisfaction survey card (text, emoji and star styles).
//! - [`composer`]: the message box.
//!
//! Elements tests need carry a `data-testid`.

mod composer;
mod header;
mod launcher;
mod messages;
mod panel;
mod robot;
mod survey;

use crate::reactive::*;
use udesk_protocol::Content;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent};

use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::i18n::Texts;
use crate::safe_html::strip_tags;

/// Builds the widget into `container` (the shadow root's element): the stylesheet and the root,
/// which holds the launcher and, while open, the panel. A language change builds both again.
pub fn mount(chat: Chat, container: &Element) {
    let config = chat.config();
    let position = match config.position {
        crate::config::Position::Left => "left",
        crate::config::Position::Right => "right",
    };
    let root = el("div")
        .class("udesk-root")
        .testid("udesk-root")
        .attr("data-theme", config.theme.as_attr())
        .attr("data-position", position)
        .into_element();
    let style = el("style").text(&crate::theme::stylesheet());
    let _ = container.append_child(style.element());
    let _ = container.append_child(&root);
    chat.keep_listeners(listeners(chat, &root));

    let shown = root.clone();
    Effect::new(move |_| {
        // Words are not reactive one by one: a language change renders the widget again.
        let locale = chat.locale.get();
        let t = locale.texts();
        let _ = shown.set_attribute("lang", locale.tag());
        shown.set_text_content(None);
        let launcher = launcher::launcher(chat, t).into_element();
        let _ = shown.append_child(&launcher);
        chat.set_launcher(launcher.unchecked_into());
        let root = shown.clone();
        // The panel exists while open; its effects go with it.
        Effect::new(move |_| {
            let open = chat.open.get();
            let _ = root.set_attribute("data-open", if open { "true" } else { "false" });
            if let Some(old) = dom::select(&root, ".panel") {
                old.remove();
            }
            if open {
                let panel = panel::panel(chat, t);
                let _ = root.append_child(panel.element());
                panel::opened(chat, panel.element());
            }
        });
    });
}

/// The root's event listeners: every click, key, input and submit of the widget.
fn listeners(chat: Chat, root: &Element) -> Vec<dom::Listener> {
    vec![
        dom::listen(root, "click", false, Box::new(move |e| on_click(chat, &e))),
        dom::listen(
            root,
            "keydown",
            false,
            Box::new(move |e| on_keydown(chat, &e)),
        ),
        dom::listen(root, "input", false, Box::new(move |e| on_input(chat, &e))),
        dom::listen(
            root,
            "submit",
            false,
            Box::new(move |e| on_submit(chat, &e)),
        ),
        // Media loads do not bubble: listen in the capture phase.
        dom::listen(
            root,
            "load",
            true,
            Box::new(|e| messages::settle_scroll(&e)),
        ),
        dom::listen(
            root,
            "loadedmetadata",
            true,
            Box::new(|e| messages::settle_scroll(&e)),
        ),
    ]
}

/// A click acts by the `data-action` of the clicked element.
fn on_click(chat: Chat, event: &Event) {
    let Some(target) = dom::closest(event, "[data-action]") else {
        return;
    };
    let action = target.get_attribute("data-action").unwrap_or_default();
    match action.as_str() {
        "toggle" => chat.toggle(),
        "close" => chat.close_panel(),
        "ask-person" => chat.ask_for_person(),
        "invite-survey" => chat.invite_survey(),
        "keep-robot" => chat.conv.update(|c| c.dismiss_no_agent()),
        "dismiss-error" => chat.error.set(None),
        "close-lightbox" => chat.lightbox.set(None),
        other => messages::on_action(chat, &target, other),
    }
}

/// Escape closes the lightbox if one is open, else the panel (focus returns to the launcher);
/// Enter in the composer sends.
fn on_keydown(chat: Chat, event: &Event) {
    let Some(key) = event.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    if key.key() == "Escape" && dom::closest(event, ".panel").is_some() {
        event.prevent_default();
        if chat.lightbox.get_untracked().is_some() {
            chat.lightbox.set(None);
        } else {
            chat.close_panel();
        }
    } else if let Some(form) = dom::closest(event, ".composer") {
        composer::on_keydown(chat, key, &form);
    }
}

fn on_input(chat: Chat, event: &Event) {
    if dom::closest(event, ".composer").is_some() {
        composer::on_input(event);
    } else if dom::closest(event, ".survey").is_some() {
        survey::on_input(chat, event);
    }
}

fn on_submit(chat: Chat, event: &Event) {
    if let Some(form) = dom::closest(event, ".composer") {
        event.prevent_default();
        composer::send(chat, &form);
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
            .unwrap_or_else(|| messages::event_text(*kind, texts).to_owned()),
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

/// The first letter of a name, for an avatar without a picture.
pub fn avatar_initial(name: &str) -> String {
    name.chars()
        .next()
        // ASCII only: Unicode case tables would cost the wasm kilobytes for a single letter.
        .map(|c| c.to_ascii_uppercase().to_string())
        .unwrap_or_default()
}

/// An avatar picture that may be shown.
pub fn avatar_src(url: Option<&str>) -> Option<&str> {
    url.filter(|u| crate::safe_html::is_safe_url(u) && !u.is_empty())
}

/// A round avatar: the picture, or the name's first letter.
pub fn avatar(url: Option<&str>, name: &str) -> El {
    match avatar_src(url) {
        Some(url) => el("img")
            .class("avatar")
            .attr("src", url)
            .attr("alt", "")
            .attr("aria-hidden", "true"),
        None => el("span")
            .class("avatar")
            .attr("aria-hidden", "true")
            .text(&avatar_initial(name)),
    }
}

/// Inline icons (stroke = currentColor), so no icon font or extra request is needed.
pub mod icons {
    pub const CHAT: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/></svg>"#;
    pub const CLOSE: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>"#;
    pub const SEND: &str = r#"<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/></svg>"#;
    pub const FILE: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M9 13h6M9 17h6"/></svg>"#;
}
