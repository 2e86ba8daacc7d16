//! The launcher: a round button in a corner that opens and closes the panel, with the unread
//! count as a badge and in its accessible name.

use leptos::prelude::*;

use super::{chat, icons};

#[component]
pub fn Launcher() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let label = chat.config().launcher_label;
    let labelled = label.is_some();
    let unread = move || chat.conv.with(|c| c.unread);
    let accessible_name = move || {
        let texts = t;
        let action = if chat.open.get() {
            texts.close_chat
        } else {
            texts.open_chat
        };
        match unread() {
            0 => action.to_owned(),
            n => format!("{action} ({})", texts.unread_label(n)),
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
            aria-expanded=move || chat.open.get().to_string()
            aria-haspopup="dialog"
            on:click=move |_| chat.toggle()
        >
            {move || if chat.open.get() { icons::close().into_any() } else { icons::chat().into_any() }}
            {label.map(|label| view! { <span data-testid="launcher-label">{label}</span> })}
            <Show when=move || { unread() > 0 && !chat.open.get() }>
                <span class="badge" data-testid="unread-badge" aria-hidden="true">
                    {move || unread().min(99).to_string()}
                </span>
            </Show>
        </button>
    }
}
