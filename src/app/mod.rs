//! The controller: drives the [`Conversation`] with the relay.
//!
//! [`Chat`] is a `Copy` handle (signals plus a local store for browser objects) that every part
//! of the user interface is given. It owns the flows: visitor token (create, renew, re-create when
//! the relay forgot it), session creation (robot, person, 2001 queue, 2002 nobody online), sends
//! with retry under the same message id, the event stream with reconnection, queue polling,
//! persistence to `localStorage`, the unread title, and the events embed.js forwards to the host
//! page's listeners.
//!
//! Tabs: only one tab of a site holds the event stream (see [`crate::tabs`]). The others merge
//! what it saves to `localStorage`, announce the replies that reach them that way and tell their
//! host page, as with a stream of their own, and show its connection state. The leader counts
//! unread messages for all tabs; a tab that shows the transcript marks them read.
//!
//! This module holds the handle and what every flow shares (configuration, the relay client,
//! the unmounted flag, error reports); each flow is a module of its own below it: [`visitor`]
//! (token), [`session`] (sessions, queue, rating, survey), [`sending`], [`stream`] (the event
//! stream), [`sharing`] (the tabs' one stream), [`persist`] (localStorage and other tabs' saves),
//! [`host`] (title, live region, host page events, visibility), [`panel`] and [`uploads`]
//! (files the visitor sends). The components
//! only use the handle's signals and public methods.

mod host;
mod panel;
mod persist;
mod sending;
mod session;
mod sharing;
mod stream;
pub mod uploads;
mod visitor;

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::reader::{self, value::Read};
use udesk_protocol::relay::VisitorRequest;

use crate::api::{Api, ApiError};
use crate::browser;
use crate::config::Config;
use crate::events::{Stream, StreamEvent};
use crate::i18n::{Locale, Texts};
use crate::saved::{self, Saver};
use crate::schedule::Reconnect;
use crate::state::Conversation;
use crate::tabs::Tabs;

/// The event stream's state, as the visitor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    /// No stream yet (no visitor yet).
    Idle,
    Connecting,
    Open,
    /// Lost; the browser is reconnecting by itself.
    Reconnecting,
    /// The browser gave up; the widget reconnects after a backoff.
    Offline,
}

impl Connection {
    const ALL: [Connection; 5] = [
        Connection::Idle,
        Connection::Connecting,
        Connection::Open,
        Connection::Reconnecting,
        Connection::Offline,
    ];
}

/// This tab's part in the one event stream of the site (see [`crate::tabs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Streams by itself: no Web Locks in this browser, or the lock could not be had.
    Alone,
    /// Another tab holds the stream; this one merges what that tab saves.
    Follower,
    /// Holds the stream (the others merge what it saves) and tells the others its state.
    Leader,
}

/// Browser objects and bookkeeping that are not reactive.
struct Inner {
    config: Config,
    api: Api,
    /// What `identify()` said about the visitor, sent with every visitor call.
    identity: VisitorRequest,
    stream: Option<Stream>,
    /// The token the open stream was opened with.
    stream_token: Option<String>,
    emit: Option<js_sys::Function>,
    reconnect: Reconnect,
    reconnect_scheduled: bool,
    starting: bool,
    polling: bool,
    unmounted: bool,
    /// The host page's own title, while the widget prefixes it with the unread count.
    page_title: Option<String>,
    /// Move focus into the panel when it next mounts (opened by the visitor, not by config).
    focus_on_open: bool,
    /// The `storage` listener that merges what other tabs save.
    other_tabs: Option<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::StorageEvent)>>,
    role: Role,
    /// The lock and channel shared with the other tabs (none when streaming alone).
    tabs: Option<Tabs>,
    /// What this tab last wrote to `localStorage` (to write only what changed).
    saver: Saver,
    /// A save is due (see [`persist`]).
    save_scheduled: bool,
    /// Saved and not yet written: entries (storage key, JSON), then the head, then removals.
    unwritten: Vec<(String, String)>,
    unwritten_head: Option<String>,
    unwritten_removals: Vec<String>,
    /// A task that writes more of them is scheduled.
    writing: bool,
    /// The `pagehide` listener that saves at once.
    pagehide: Option<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>>,
    /// Stream events received and not yet applied (see [`stream`]).
    stream_queue: Vec<StreamEvent>,
    stream_flush_scheduled: bool,
    /// The `visibilitychange` listener behind [`Chat::visible`].
    visibility: Option<wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>>,
}

/// The widget's handle; cheap to copy into every closure.
#[derive(Clone, Copy)]
pub struct Chat {
    pub conv: RwSignal<Conversation>,
    pub open: RwSignal<bool>,
    pub locale: RwSignal<Locale>,
    pub connection: RwSignal<Connection>,
    /// A session is being created (buttons are disabled meanwhile).
    pub busy: RwSignal<bool>,
    /// A problem to show in the panel.
    pub error: RwSignal<Option<String>>,
    /// The enlarged image: (url, alt).
    pub lightbox: RwSignal<Option<(String, String)>>,
    /// Text of the live region.
    pub announcement: RwSignal<String>,
    /// Files on their way to the relay.
    pub uploads: uploads::Uploads,
    /// The page is in view (not a background tab): with the panel open, the visitor sees the
    /// transcript.
    visible: RwSignal<bool>,
    inner: StoredValue<Inner, LocalStorage>,
}

impl Chat {
    /// Creates the handle, restoring the saved conversation. Call inside the mount's owner.
    pub fn new(config: Config, emit: Option<js_sys::Function>) -> Chat {
        let keys = saved::Keys::of(&browser::origin_of(&config.relay));
        let head = browser::storage_get(&keys.head).unwrap_or_default();
        let conv = saved::restore(&keys, &head, browser::storage_get).unwrap_or_default();
        // Restored unchanged: nothing to save yet (an older widget's save: its entries are).
        let in_entry_keys = saved::read_head(&head).is_some_and(|h| h.entries.is_none());
        let saver = Saver::new(keys, &conv, in_entry_keys);
        let languages = browser::browser_languages();
        let locale = Locale::detect(
            config.locale.as_deref(),
            languages.iter().map(String::as_str),
        );
        let api = Api::new(&config.relay);
        let chat = Chat {
            conv: RwSignal::new(conv),
            open: RwSignal::new(false),
            locale: RwSignal::new(locale),
            connection: RwSignal::new(Connection::Idle),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            lightbox: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            uploads: uploads::Uploads::new(),
            visible: RwSignal::new(!browser::page_hidden()),
            inner: StoredValue::new_local(Inner {
                config,
                api,
                identity: VisitorRequest::default(),
                stream: None,
                stream_token: None,
                emit,
                reconnect: Reconnect::default(),
                reconnect_scheduled: false,
                starting: false,
                polling: false,
                unmounted: false,
                page_title: None,
                focus_on_open: false,
                other_tabs: None,
                role: Role::Alone,
                tabs: None,
                saver,
                save_scheduled: false,
                unwritten: Vec::new(),
                unwritten_head: None,
                unwritten_removals: Vec::new(),
                writing: false,
                pagehide: None,
                stream_queue: Vec::new(),
                stream_flush_scheduled: false,
                visibility: None,
            }),
        };
        chat.install_saving();
        chat.install_host_effects();
        chat
    }

    pub fn config(&self) -> Config {
        self.inner.with_value(|i| i.config.clone())
    }

    fn api(&self) -> Api {
        self.inner.with_value(|i| i.api.clone())
    }

    /// The phrases of the current language. Not tracked: the user interface is mounted anew
    /// when the language changes.
    pub fn texts_untracked(&self) -> &'static Texts {
        self.locale.get_untracked().texts()
    }

    fn is_unmounted(&self) -> bool {
        self.inner.try_with_value(|i| i.unmounted).unwrap_or(true)
    }

    fn role(&self) -> Role {
        self.inner.try_with_value(|i| i.role).unwrap_or(Role::Alone)
    }

    /// Whether the visitor sees the transcript in this tab now.
    fn shows_transcript(&self) -> bool {
        self.open.get_untracked() && self.visible.get_untracked()
    }

    pub fn boot(self) {
        self.follow_other_tabs();
        self.follow_visibility();
        self.join_tabs();
        let known = self.conv.with_untracked(|c| c.visitor.is_some());
        if known {
            spawn_local(async move {
                match self.ensure_visitor().await {
                    Ok(_) => self.connect_stream(),
                    Err(e) => self.report(&e),
                }
            });
        }
        if self.config().open {
            self.open_panel(false);
        }
    }

    fn token(&self) -> Option<String> {
        self.conv
            .with_untracked(|c| c.visitor.as_ref().map(|v| v.token.clone()))
    }

    /// Stops the stream and timers and restores the page title.
    pub fn shutdown(self) {
        use wasm_bindgen::JsCast;
        self.save_now();
        self.write_some(usize::MAX);
        self.inner.update_value(|i| {
            i.unmounted = true;
            i.stream = None;
            // Gives the stream to another tab.
            i.tabs = None;
            let window = browser::window();
            if let Some(listener) = i.pagehide.take() {
                let _ = window.remove_event_listener_with_callback(
                    "pagehide",
                    listener.as_ref().unchecked_ref(),
                );
            }
            if let Some(listener) = i.other_tabs.take() {
                let _ = window.remove_event_listener_with_callback(
                    "storage",
                    listener.as_ref().unchecked_ref(),
                );
            }
            if let (Some(listener), Some(document)) = (i.visibility.take(), window.document()) {
                let _ = document.remove_event_listener_with_callback(
                    "visibilitychange",
                    listener.as_ref().unchecked_ref(),
                );
            }
        });
        self.show_unread_in_title(0);
    }

    /// Shows an error for people; passing network trouble is already visible as the connection
    /// banner, so it is not repeated.
    fn report(&self, error: &ApiError) {
        browser::warn(&["relay call failed: ", &error.to_string()].concat());
        let text = match error {
            ApiError::Network(_) => self.locale.get_untracked().texts().offline.to_owned(),
            ApiError::Relay { body, .. } if !body.message.is_empty() => body.message.clone(),
            _ => self.locale.get_untracked().texts().error_generic.to_owned(),
        };
        self.error.set(Some(text));
    }
}

/// Reads a relay answer with `read`.
fn decode<T>(text: &str, read: Read<T>) -> Result<T, ApiError> {
    reader::parse(text, read).map_err(|e| ApiError::Decode(e.to_string()))
}
