//! The udesk-chat widget: a chat panel that website visitors open from a launcher button.
//!
//! Its state lives in signals of Leptos's reactive system (`reactive_graph`, the crate behind
//! `leptos`); its DOM is built by the small element builder in `dom` and kept current by
//! effects. Leptos's view layer is not used: its generic views were most of the wasm's size
//! (see `components`).
//!
//! `www/embed.js` (one script tag on the host page) loads this crate's wasm and calls
//! `embed::mount` with the page's configuration; the widget then lives in a Shadow DOM root on
//! the host page and talks only to the relay (`/v1/...`). `www/EMBEDDING.md` is the host page's
//! guide (options, JS API, theming tokens).
//!
//! # Layout
//! Logic that decides things is plain Rust, compiled and tested on the host:
//! - [`config`]: the `data-…` options of the script tag.
//! - [`state`]: the conversation state machine (session phase, transcript, dedupe by event and
//!   message id, send states, merging other tabs).
//! - [`api`]: the relay's calls and its errors (the requests themselves are wasm-only).
//! - [`schedule`]: queue polling and reconnection delays.
//! - [`format`](mod@format): sizes, durations, message times, survey faces.
//! - [`i18n`]: zh-CN and English.
//! - [`ids`]: client-side message ids.
//! - `saved`: the conversation's saved form in `localStorage`. The relay's JSON is read and
//!   written with the protocol crate's light readers (`udesk_protocol::reader`).
//! - [`safe_html`]: which URLs and attributes may reach the DOM (and the DOM pass, wasm-only).
//! - [`theme`]: the `--udesk-…` design tokens and the stylesheet.
//!
//! The browser side (wasm32 only):
//! - `embed`: what embed.js calls (`mount`, and the `WidgetHandle` behind `window.UdeskChat`).
//! - `app`: the controller that drives the state with the relay.
//! - `events`: the SSE stream. `browser`: time, timers, localStorage, console.
//! - `components`: launcher, panel, header, messages, robot answer, survey card, composer.
//! - `dom`: the element builder, listeners and lookups the components use.
//! - `reactive`: what the widget uses of Leptos's reactive system.

pub mod api;
pub mod config;
pub mod format;
pub mod i18n;
pub mod ids;
pub mod safe_html;
pub mod schedule;
pub mod state;
pub mod theme;

mod saved;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod dom;
#[cfg(target_arch = "wasm32")]
pub mod embed;
#[cfg(target_arch = "wasm32")]
mod events;

/// What the widget uses of Leptos's reactive system.
#[cfg(target_arch = "wasm32")]
mod reactive {
    pub use reactive_graph::computed::ScopedFuture;
    pub use reactive_graph::effect::Effect;
    pub use reactive_graph::owner::{LocalStorage, Owner, StoredValue};
    pub use reactive_graph::prelude::*;
    pub use reactive_graph::signal::RwSignal;

    /// Runs `task` on the page's event loop, in the current reactive owner (`leptos::task`'s).
    pub fn spawn_local(task: impl std::future::Future<Output = ()> + 'static) {
        any_spawner::Executor::spawn_local(ScopedFuture::new(task));
    }
}
