//! The udesk-chat widget: a Leptos 0.8 chat panel (client-side rendered) that website visitors
//! open from a launcher button.
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
//! - [`describe`]: entries in words (author, one-line preview, event lines).
//! - [`format`](mod@format): sizes, durations, message times, survey faces.
//! - [`i18n`]: zh-CN and English.
//! - [`ids`]: client-side message ids.
//! - [`saved`]: the conversation's saved form in `localStorage`. The relay's JSON is read and
//!   written with the protocol crate's light readers (`udesk_protocol::reader`).
//! - [`safe_html`]: which URLs and attributes may reach the DOM (and the DOM pass, wasm-only).
//! - [`theme`]: the `--udesk-…` design tokens and the stylesheet.
//! - [`upload`]: the checks before a file is uploaded, and the message that sends it.
//!
//! The browser side (wasm32 only):
//! - `embed`: what embed.js calls (`mount`, and the `WidgetHandle` behind `window.UdeskChat`).
//! - `app`: the controller that drives the state with the relay (signals, effects, tasks).
//! - `events`: the SSE stream. `tabs`: one stream per browser (a Web Locks leader tab holds
//!   it; the others follow what it saves). `browser`: time, timers, localStorage, console.
//! - `components`: the Leptos components (launcher, panel, header, banners, transcript, robot
//!   answer, survey card, composer, image viewer).
//! - `dom`: the small element builder of the transcript's message contents (see
//!   `components::messages` for why).

pub mod api;
pub mod config;
pub mod describe;
pub mod format;
pub mod i18n;
pub mod ids;
pub mod safe_html;
pub mod saved;
pub mod schedule;
pub mod state;
pub mod theme;
pub mod upload;

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
#[cfg(target_arch = "wasm32")]
mod tabs;
