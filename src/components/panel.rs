//! The chat panel: a non-modal dialog with the header, status banners, the transcript, the
//! composer, the image viewer and a live region that announces new messages.
//!
//! Escape closes the image viewer if one is open, else the panel (focus returns to the launcher).
//! Files dropped anywhere on the panel are sent as uploads.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::composer::Composer;
use super::header::Header;
use super::messages::MessageList;
use super::uploads::{drags_files, files_of};
use crate::app::{Chat, Connection};
use crate::i18n::Texts;
use crate::state::Phase;

#[component]
pub fn Panel(chat: Chat, t: &'static Texts) -> impl IntoView {
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Escape" {
            event.prevent_default();
            if chat.lightbox.get_untracked().is_some() {
                chat.lightbox.set(None);
            } else {
                chat.close_panel();
            }
        }
    };
    // Files dragged over the panel: it shows it takes them.
    let dropping = RwSignal::new(false);
    view! {
        <section
            class="panel"
            class:dropping=move || dropping.get()
            role="dialog"
            aria-modal="false"
            aria-labelledby="udesk-title"
            data-testid="panel"
            on:keydown=on_keydown
            on:dragover=move |event: leptos::ev::DragEvent| {
                if drags_files(&event) {
                    event.prevent_default();
                    dropping.set(true);
                }
            }
            on:dragleave=move |_| dropping.set(false)
            on:drop=move |event: leptos::ev::DragEvent| {
                dropping.set(false);
                let files = files_of(event.data_transfer().and_then(|d| d.files()));
                if !files.is_empty() {
                    event.prevent_default();
                    chat.attach(files);
                }
            }
        >
            <Header chat t/>
            <ConnectionBanner chat t/>
            <QueueBanner chat t/>
            <NoAgentBanner chat t/>
            <ErrorBanner chat t/>
            <MessageList chat t/>
            <Composer chat t/>
            <ImageViewer chat t/>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
                {move || chat.announcement.get()}
            </div>
        </section>
    }
}

/// Shown while the event stream is down.
#[component]
fn ConnectionBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    let down = move || {
        matches!(
            chat.connection.get(),
            Connection::Reconnecting | Connection::Offline
        )
    };
    view! {
        <div class="banner" role="status" data-testid="connection-banner" hidden=move || !down()>
            {t.offline}
        </div>
    }
}

/// "You are number N in line" while queued (2001).
#[component]
fn QueueBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    let queued = move || chat.conv.with(|c| c.session.phase == Phase::Queued);
    let count = move || chat.conv.with(|c| c.session.queue_count);
    view! {
        <div class="banner" role="status" data-testid="queue-banner" hidden=move || !queued()>
            <span
                class="grow"
                data-testid="queue-position"
                data-count=move || count().map(|n| n.to_string())
            >
                {move || match count() {
                    Some(n) => t.queue_position(n),
                    None => t.assigning.to_owned(),
                }}
            </span>
        </div>
    }
}

/// 2002: nobody is online; leave a message or keep talking to the robot.
#[component]
fn NoAgentBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    view! {
        <div
            class="banner"
            role="status"
            data-testid="no-agent-banner"
            hidden=move || !chat.conv.with(|c| c.session.no_agent)
        >
            <span class="grow">{t.no_agent}</span>
            <button
                type="button"
                data-testid="keep-with-robot"
                on:click=move |_| chat.conv.update(|c| c.dismiss_no_agent())
            >
                {t.keep_with_robot}
            </button>
            <button
                type="button"
                data-testid="try-agent-again"
                disabled=move || chat.busy.get()
                on:click=move |_| chat.ask_for_person()
            >
                {t.try_again}
            </button>
        </div>
    }
}

/// A problem to show, until the visitor dismisses it or it is solved.
#[component]
fn ErrorBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    view! {
        <div
            class="banner"
            role="alert"
            data-testid="error-banner"
            hidden=move || chat.error.with(Option::is_none)
        >
            <span class="grow">{move || chat.error.get().unwrap_or_default()}</span>
            <button type="button" aria-label=t.close_chat on:click=move |_| chat.error.set(None)>
                "×"
            </button>
        </div>
    }
}

/// The enlarged image over the panel; a click or Escape closes it.
#[component]
fn ImageViewer(chat: Chat, t: &'static Texts) -> impl IntoView {
    // No `src` while closed (an empty one would be an error to load).
    let image = move |part: fn(&(String, String)) -> &String| {
        chat.lightbox
            .with(|image| image.as_ref().map(|image| part(image).clone()))
    };
    view! {
        <button
            type="button"
            class="lightbox"
            data-testid="lightbox"
            hidden=move || chat.lightbox.with(Option::is_none)
            aria-label=t.close_image
            on:click=move |_| chat.lightbox.set(None)
        >
            <img src=move || image(|i| &i.0) alt=move || image(|i| &i.1)/>
        </button>
    }
}
