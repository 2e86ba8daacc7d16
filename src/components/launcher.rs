//! The launcher: a round button in a corner that opens and closes the panel, with the unread
//! count as a badge and in its accessible name.

use leptos::prelude::*;

use super::icons;
use crate::app::Chat;
use crate::i18n::Texts;

#[component]
pub fn Launcher(chat: Chat, t: &'static Texts) -> impl IntoView {
    let label = chat.config().launcher_label;
    let labelled = label.is_some();
    let unread = move || chat.conv.with(|c| c.unread);
    let accessible_name = move || {
        let action = if chat.open.get() {
            t.close_chat
        } else {
            t.open_chat
        };
        match unread() {
            0 => action.to_owned(),
            n => [action, " (", &t.unread_label(n), ")"].concat(),
        }
    };
    view! {
        <button
            type="button"
            class="launcher"
            class:labelled=labelled
            data-testid="launcher"
            node_ref=chat.launcher
            aria-label=accessible_name
            aria-expanded=move || if chat.open.get() { "true" } else { "false" }
            aria-haspopup="dialog"
            on:click=move |_| chat.toggle()
        >
            // The icon says what a click does: open the chat, or close it (the stylesheet shows
            // the one that fits `aria-expanded`).
            {icons::chat()}
            {icons::close()}
            {label.map(|label| view! { <span data-testid="launcher-label">{label}</span> })}
            <span
                class="badge"
                data-testid="unread-badge"
                aria-hidden="true"
                hidden=move || unread() == 0 || chat.open.get()
            >
                {move || unread().min(99).to_string()}
            </span>
        </button>
    }
}
