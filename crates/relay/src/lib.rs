//! The udesk-chat relay: the widget's only server.
//!
//! Browsers cannot hold Udesk's API credentials, and Udesk pushes replies to a server URL, not
//! to a browser. The relay forwards the widget's calls with the credentials (signed), receives
//! Udesk's reply notifications, stores them durably and streams each one to the right browser
//! over server-sent events, losing nothing across disconnects, retries and restarts.
//!
//! # Layout
//! - [`config`]: flags and environment variables.
//! - [`secrets`]: secrets not given as flags, kept in `<data-dir>/secrets.json`.
//! - [`private_fs`]: the data directory (0700) and store files (0600) only the relay reads.
//! - [`server`]: [`start`] and [`RunningRelay`]: secrets, store, upstream or embedded simulator,
//!   HTTP server, upkeep, graceful shutdown.
//! - [`accept`]: the accept loop (axum::serve plus a deadline on every phase of a connection, a
//!   whole-body deadline, and a cap on one peer's connections).
//! - [`state`]: the shared [`AppState`] (below the router and every handler) and the request
//!   extractors built on it: the visitor of a bearer token, the client IP, JSON bodies.
//! - [`app`]: [`app()`], the router.
//! - [`api`]: `/v1/visitor`, `/v1/sessions`, `/v1/messages`, … (the widget's calls).
//! - [`sse`]: `GET /v1/events`, replay then live.
//! - [`webhook`]: `POST /webhooks/udesk/{secret}`, durable intake (a strict envelope; a message
//!   that cannot be read is stored degraded, never refused, so it cannot block a customer).
//! - [`store`]: the durable store trait; SQLite, Redis and in-memory backends.
//! - [`hub`]: in-process fan-out of newly stored events to open streams.
//! - [`fanout`]: with Redis, other relays' new events into the local hub (pub/sub).
//! - [`identity`]: customer tokens and signed bearer tokens (HKDF-derived keys, bounded lifetime).
//! - [`udesk`]: the signed upstream client.
//! - [`sanitize`]: the HTML allowlist and URL rules applied to every reply.
//! - [`limits`]: rate limits (per visitor; per client IP on new visitors and on calls reaching
//!   Udesk), the client IP behind trusted proxies, per-IP caps on open things, and per-message
//!   send locks.
//! - [`media`]: visitor uploads (`POST /v1/uploads`, `GET /media/{id}`): recognising files
//!   from their bytes, removing EXIF, the media store (disk or S3-compatible) and its retention.
//! - [`metrics`]: Prometheus counters.
//! - [`web`]: static widget files, demo page, CORS, origin check, health.
//! - [`error`]: [`AppError`], the one error type, and its JSON answers.

pub mod accept;
pub mod api;
pub mod app;
pub mod config;
pub mod error;
pub mod fanout;
pub mod hub;
pub mod identity;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod private_fs;
pub mod sanitize;
pub mod secrets;
pub mod server;
pub mod shared_limits;
pub mod sse;
pub mod state;
pub mod store;
pub mod udesk;
pub mod web;
pub mod webhook;

pub use app::app;
pub use config::Config;
pub use error::AppError;
pub use server::{start, start_with_sim, RunningRelay};
pub use state::AppState;
