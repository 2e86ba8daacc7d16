//! The widget's user interface: Leptos components, each given the [`Chat`] handle as a plain prop
//! (with the phrases of the current language, `t`).
//!
//! - [`Widget`]: the app's stylesheet and, while open, the panel (the launcher is embed.js's).
//! - [`panel`]: the chat panel, its banners (connection, queue, nobody online, errors), the image
//!   viewer and the live region.
//! - [`header`]: who the visitor talks to, "talk to a person", "rate", close.
//! - [`messages`]: the transcript and every message kind.
//! - [`robot`]: a robot answer with suggested questions and the useful / not useful rating.
//! - [`survey`]: the satisfaction survey card (text, emoji and star styles).
//! - [`composer`]: the message box.
//!
//! Elements tests need carry a `data-testid`.

mod composer;
mod header;
mod messages;
mod panel;
mod robot;
mod survey;

use leptos::either::Either;
use leptos::prelude::*;

use crate::app::Chat;
use crate::i18n::Locale;

/// The app inside the shell's root, in one language: its stylesheet and, while open, the panel.
/// (The root, with the launcher, is embed.js's; it follows the app's `open`, `close` and
/// `unread` events.)
#[component]
pub fn Widget(chat: Chat, locale: Locale) -> impl IntoView {
    let t = locale.texts();
    view! {
        <style>{crate::theme::stylesheet()}</style>
        // The panel exists while the chat is open: a keyed list of at most one panel, built
        // when the chat opens and dropped when it closes, never patched in place (a plain
        // conditional would compile code to patch the whole panel too).
        <For each=move || chat.open.get().then_some(()) key=|_| () let:_open>
            <panel::Panel chat t/>
        </For>
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
#[component]
pub fn Avatar(url: Option<String>, name: String) -> impl IntoView {
    match avatar_src(url.as_deref()) {
        Some(url) => {
            let url = url.to_owned();
            Either::Left(view! { <img class="avatar" src=url alt="" aria-hidden="true"/> })
        }
        None => Either::Right(
            view! { <span class="avatar" aria-hidden="true">{avatar_initial(&name)}</span> },
        ),
    }
}

/// Inline icons (stroke = currentColor), so no icon font or extra request is needed.
pub mod icons {
    use leptos::prelude::*;

    pub fn close() -> impl IntoView {
        view! {
            <svg class="i-close" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true">
                <path d="M6 6l12 12M18 6L6 18"/>
            </svg>
        }
    }

    pub fn send() -> impl IntoView {
        view! {
            <svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
                <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z"/>
            </svg>
        }
    }

    /// The file icon of a download, as markup for the transcript's element builder.
    pub const FILE: &str = r#"<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" aria-hidden="true"><path d="M14 3H6a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8z"/><path d="M14 3v5h5M9 13h6M9 17h6"/></svg>"#;
}
