//! The message box: Enter sends, Shift+Enter is a new line, an empty message is not sent, the
//! box grows with its text up to a few lines. Enter while an input method is composing (pinyin)
//! confirms the composition instead of sending.

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement, HtmlTextAreaElement, KeyboardEvent};

use super::icons;
use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::i18n::Texts;

pub fn composer(t: &Texts) -> El {
    el("form")
        .class("composer")
        .testid("composer")
        .child(
            el("textarea")
                .attr("rows", "1")
                .testid("composer-input")
                .attr("aria-label", t.composer_label)
                .attr("placeholder", t.composer_placeholder)
                .attr("maxlength", "4000"),
        )
        .child(
            el("button")
                .attr("type", "submit")
                .class("send")
                .testid("send")
                .attr("aria-label", t.send)
                .attr("disabled", "")
                .trusted_markup(icons::SEND),
        )
}

fn input(form: &Element) -> Option<HtmlTextAreaElement> {
    dom::select(form, "textarea").map(JsCast::unchecked_into)
}

/// Typing: the send button is enabled once there is text, and the box fits its text.
pub fn on_input(event: &Event) {
    if let Some(form) = dom::closest(event, ".composer") {
        refresh(&form);
    }
}

pub fn on_keydown(chat: Chat, event: &KeyboardEvent, form: &Element) {
    if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
        event.prevent_default();
        send(chat, form);
    }
}

/// Sends what was typed (nothing when it is blank) and empties the box.
pub fn send(chat: Chat, form: &Element) {
    let Some(input) = input(form) else {
        return;
    };
    let value = input.value();
    if value.trim().is_empty() {
        return;
    }
    chat.send_text(value);
    input.set_value("");
    refresh(form);
}

fn refresh(form: &Element) {
    let Some(input) = input(form) else {
        return;
    };
    if let Some(send) = dom::select(form, ".send") {
        dom::set_flag(&send, "disabled", input.value().trim().is_empty());
    }
    let element: &HtmlElement = &input;
    let style = element.style();
    let _ = style.set_property("height", "auto");
    let _ = style.set_property(
        "height",
        &[&element.scroll_height().to_string(), "px"].concat(),
    );
}
