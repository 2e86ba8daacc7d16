//! The message box: Enter sends, Shift+Enter is a new line, an empty message is not sent, the
//! box grows with its text up to a few lines. Enter while an input method is composing (pinyin)
//! confirms the composition instead of sending. A picture (or any file) pasted into the box is
//! sent as an upload; the attach button picks files.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::icons;
use super::uploads::{files_of, AttachButton, VoiceButton};
use crate::app::Chat;
use crate::i18n::Texts;

#[component]
pub fn Composer(chat: Chat, t: &'static Texts) -> impl IntoView {
    // Whether the box is empty (the send button is disabled then); the text itself stays in the
    // box until it is sent.
    let empty = RwSignal::new(true);
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
        let Some(element) = input.get_untracked() else {
            return;
        };
        let value = element.value();
        if value.trim().is_empty() {
            return;
        }
        chat.send_text(value);
        element.set_value("");
        empty.set(true);
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
                on:input=move |event| {
                    empty.set(event_target_value(&event).trim().is_empty());
                    fit_height();
                }
                on:keydown=on_keydown
                on:paste=move |event: web_sys::ClipboardEvent| {
                    let files = files_of(event.clipboard_data().and_then(|d| d.files()));
                    if !files.is_empty() {
                        event.prevent_default();
                        chat.attach(files);
                    }
                }
            ></textarea>
            // After the box: Shift+Tab from the box still reaches the transcript.
            <AttachButton chat t/>
            <VoiceButton chat t/>
            <button
                type="submit"
                class="send"
                data-testid="send"
                aria-label=t.send
                disabled=move || empty.get()
            >
                {icons::send()}
            </button>
        </form>
    }
}
