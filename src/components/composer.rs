//! The message box: Enter sends, Shift+Enter is a new line, an empty message is not sent, the
//! box grows with its text up to a few lines. Enter while an input method is composing (pinyin)
//! confirms the composition instead of sending.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::icons;
use crate::app::Chat;
use crate::i18n::Texts;

#[component]
pub fn Composer(chat: Chat, t: &'static Texts) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Textarea>::new();

    // Keyboard focus goes to the box when the visitor opened the panel (not when the page did).
    input.on_load(move |element| {
        if chat.take_focus_request() {
            let _ = element.focus();
        }
    });

    let fit_height = move || {
        if let Some(element) = input.get_untracked() {
            let element: &web_sys::HtmlElement = &element;
            let style = element.style();
            let _ = style.set_property("height", "auto");
            let height = [element.scroll_height().to_string().as_str(), "px"].concat();
            let _ = style.set_property("height", &height);
        }
    };
    let send = move || {
        let value = text.get_untracked();
        if value.trim().is_empty() {
            return;
        }
        chat.send_text(value);
        text.set(String::new());
        // Emptied now, not when the effect runs, so the box shrinks back at once.
        if let Some(element) = input.get_untracked() {
            element.set_value("");
        }
        fit_height();
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    };
    view! {
        <form
            class="composer"
            data-testid="composer"
            on:submit=move |event| {
                event.prevent_default();
                send();
            }
        >
            <textarea
                rows="1"
                data-testid="composer-input"
                node_ref=input
                aria-label=t.composer_label
                placeholder=t.composer_placeholder
                maxlength="4000"
                prop:value=move || text.get()
                on:input=move |event| {
                    text.set(event_target_value(&event));
                    fit_height();
                }
                on:keydown=on_keydown
            ></textarea>
            <button
                type="submit"
                class="send"
                data-testid="send"
                aria-label=t.send
                disabled=move || text.with(|t| t.trim().is_empty())
            >
                {icons::send()}
            </button>
        </form>
    }
}
