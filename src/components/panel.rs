//! The chat panel: a non-modal dialog with the header, status banners, the transcript, the
//! composer, an image lightbox and a live region that announces new messages.
//!
//! Escape closes the lightbox if one is open, else the panel (focus returns to the launcher).

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::chat;
use super::composer::Composer;
use super::header::Header;
use super::messages::MessageList;
use crate::app::Connection;
use crate::state::Phase;

#[component]
pub fn Panel() -> impl IntoView {
    let chat = chat();
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
    view! {
        <section
            class="panel"
            role="dialog"
            aria-modal="false"
            aria-labelledby="udesk-title"
            data-testid="panel"
            on:keydown=on_keydown
        >
            <Header/>
            <ConnectionBanner/>
            <QueueBanner/>
            <NoAgentBanner/>
            <ErrorBanner/>
            <MessageList/>
            <Composer/>
            <Lightbox/>
            <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="live-region">
                {move || chat.announcement.get()}
            </div>
        </section>
    }
}

/// Shown while the event stream is down.
#[component]
fn ConnectionBanner() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let down = move || {
        matches!(
            chat.connection.get(),
            Connection::Reconnecting | Connection::Offline
        )
    };
    view! {
        <Show when=down>
            <div class="banner" role="status" data-testid="connection-banner">
                {t.offline}
            </div>
        </Show>
    }
}

/// "You are number N in line" while queued (2001).
#[component]
fn QueueBanner() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let queued = move || chat.conv.with(|c| c.session.phase == Phase::Queued);
    let text = move || {
        let texts = t;
        chat.conv.with(|c| match c.session.queue_count {
            Some(n) => texts.queue_position(n),
            None => texts.assigning.to_owned(),
        })
    };
    view! {
        <Show when=queued>
            <div class="banner" role="status" data-testid="queue-banner">
                <span
                    class="grow"
                    data-testid="queue-position"
                    data-count=move || chat.conv.with(|c| c.session.queue_count.map(|n| n.to_string()))
                >
                    {text}
                </span>
            </div>
        </Show>
    }
}

/// 2002: nobody is online; leave a message or keep talking to the robot.
#[component]
fn NoAgentBanner() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let shown = move || chat.conv.with(|c| c.session.no_agent);
    view! {
        <Show when=shown>
            <div class="banner" role="status" data-testid="no-agent-banner">
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
        </Show>
    }
}

#[component]
fn ErrorBanner() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    view! {
        {move || {
            chat.error
                .get()
                .map(|message| {
                    view! {
                        <div class="banner" role="alert" data-testid="error-banner">
                            <span class="grow">{message}</span>
                            <button
                                type="button"
                                aria-label=t.close_chat
                                on:click=move |_| chat.error.set(None)
                            >
                                "×"
                            </button>
                        </div>
                    }
                })
        }}
    }
}

/// The enlarged image; a click or Escape closes it.
#[component]
fn Lightbox() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    view! {
        {move || {
            chat.lightbox
                .get()
                .map(|(src, alt)| {
                    view! {
                        <button
                            type="button"
                            class="lightbox"
                            data-testid="lightbox"
                            aria-label=t.close_image
                            on:click=move |_| chat.lightbox.set(None)
                        >
                            <img src=src alt=alt/>
                        </button>
                    }
                })
        }}
    }
}
