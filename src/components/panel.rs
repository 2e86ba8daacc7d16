//! The chat panel: a non-modal dialog with the header, status banners, the transcript, the
//! composer, the image viewer and a live region that announces new messages.
//!
//! Escape closes the image viewer if one is open, else the panel (focus returns to the launcher).

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;

use super::composer::Composer;
use super::header::Header;
use super::messages::MessageList;
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
    view! {
        <section
            class="panel"
            role="dialog"
            aria-modal="false"
            aria-labelledby="udesk-title"
            data-testid="panel"
            on:keydown=on_keydown
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
        {move || down().then(|| view! {
            <div class="banner" role="status" data-testid="connection-banner">
                {t.offline}
            </div>
                })}
    }
}

/// "You are number N in line" while queued (2001).
#[component]
fn QueueBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    let queued = move || chat.conv.with(|c| c.session.phase == Phase::Queued);
    let count = move || chat.conv.with(|c| c.session.queue_count);
    view! {
        {move || queued().then(|| view! {
            <div class="banner" role="status" data-testid="queue-banner">
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
                })}
    }
}

/// 2002: nobody is online; leave a message or keep talking to the robot.
#[component]
fn NoAgentBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    let shown = move || chat.conv.with(|c| c.session.no_agent);
    view! {
        {move || shown().then(|| view! {
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
                })}
    }
}

/// A problem to show, until the visitor dismisses it or it is solved.
#[component]
fn ErrorBanner(chat: Chat, t: &'static Texts) -> impl IntoView {
    move || {
        chat.error.get().map(|message| {
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
    }
}

/// The enlarged image over the panel; a click or Escape closes it.
#[component]
fn ImageViewer(chat: Chat, t: &'static Texts) -> impl IntoView {
    move || {
        chat.lightbox.get().map(|(src, alt)| {
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
    }
}
