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

use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;
use udesk_protocol::code::{Code, CodeResponse};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::reader::{self, value::Object, value::Read};
use udesk_protocol::relay::{StreamMessage, VisitorRequest};
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
use udesk_protocol::survey::SurveyRequest;
use udesk_protocol::{AssignType, Content};

use crate::api::{events_url, Api, ApiError, Call, TextFuture};
use crate::browser::{self, now_ms, sleep};
use crate::config::Config;
use crate::events::{Stream, StreamEvent};
use crate::i18n::{Locale, Texts};
use crate::schedule::{QueuePoll, Reconnect};
use crate::state::{Author, Body, Conversation, Phase, SessionOutcome};
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
    storage_key: String,
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
    /// What this tab last wrote to `localStorage`.
    last_saved: String,
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
    /// The page is in view (not a background tab): with the panel open, the visitor sees the
    /// transcript.
    visible: RwSignal<bool>,
    inner: StoredValue<Inner, LocalStorage>,
}

impl Chat {
    /// Creates the handle, restoring the saved conversation. Call inside the mount's owner.
    pub fn new(config: Config, emit: Option<js_sys::Function>) -> Chat {
        let storage_key = format!("udesk-chat:v1:{}", browser::origin_of(&config.relay));
        let conv = browser::storage_get(&storage_key)
            .and_then(|json| Conversation::restore(&json))
            .unwrap_or_default();
        // Restored unchanged: nothing to save yet.
        let last_saved = conv.to_saved_json(conv.saved_at);
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
            visible: RwSignal::new(!browser::page_hidden()),
            inner: StoredValue::new_local(Inner {
                config,
                api,
                storage_key,
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
                last_saved,
                visibility: None,
            }),
        };
        chat.install_effects();
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

    fn emit(&self, name: &str, detail: Value) {
        if let Some(sink) = self.inner.with_value(|i| i.emit.clone()) {
            browser::emit(&sink, name, &detail);
        }
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

    /// Persistence, the unread title, marking read, and the `unread` / `session` events.
    fn install_effects(self) {
        let key = self.inner.with_value(|i| i.storage_key.clone());
        Effect::new(move |_| {
            // Saved already (a merge of another tab's save): not a change of this tab's, so not
            // stamped with a newer time, which would pass a stale session off as the newest.
            let unchanged = self.conv.with(|c| c.to_saved_json(c.saved_at));
            if self.inner.with_value(|i| i.last_saved == unchanged) {
                return;
            }
            let now = now_ms();
            let json = self.conv.with(|c| c.to_saved_json(now));
            browser::storage_set(&key, &json);
            // Not a change to show: no signal update (that would save again).
            self.conv.update_untracked(|c| c.saved_at = now);
            self.inner.update_value(|i| i.last_saved = json);
        });
        Effect::new(move |previous: Option<u32>| {
            let unread = self.conv.with(|c| c.unread);
            let shown = self.open.get() && self.visible.get();
            if shown && unread > 0 {
                // What the visitor sees is read, also what another tab counted (in a background
                // tab the count stays: in the tab strip's title, and for the other tabs). The
                // effect runs again with 0.
                self.conv.update(Conversation::mark_read);
                return previous.unwrap_or(0);
            }
            self.show_unread_in_title(if shown { 0 } else { unread });
            if previous.is_some_and(|p| p != unread) || (previous.is_none() && unread > 0) {
                self.emit("unread", Object::new().set("count", unread.into()).value());
            }
            unread
        });
        Effect::new(move |previous: Option<(Phase, Option<u64>)>| {
            let now = self
                .conv
                .with(|c| (c.session.phase, c.session.im_sub_session_id));
            if previous.is_some_and(|p| p != now) {
                let detail = self.conv.with_untracked(|c| {
                    Object::new()
                        .set("phase", c.session.phase.as_str().into())
                        .set("im_sub_session_id", c.session.im_sub_session_id.into())
                        .set("queue_count", c.session.queue_count.into())
                        .set(
                            "agent",
                            c.session.agent.as_ref().and_then(|a| a.name.clone()).into(),
                        )
                        .set(
                            "customer_token",
                            c.visitor.as_ref().map(|v| v.customer_token.clone()).into(),
                        )
                        .value()
                });
                self.emit("session", detail);
            }
            now
        });
    }

    fn show_unread_in_title(&self, unread: u32) {
        let document = browser::window().document();
        let Some(document) = document else { return };
        let texts = self.locale.get_untracked().texts();
        self.inner.update_value(|inner| {
            if unread > 0 {
                let original = inner
                    .page_title
                    .get_or_insert_with(|| document.title())
                    .clone();
                document.set_title(&texts.unread_title(unread, &original));
            } else if let Some(original) = inner.page_title.take() {
                document.set_title(&original);
            }
        });
    }

    /// After mounting: resume a known visitor's stream (so replies count as unread even with the
    /// panel closed), and open the panel when the page asked for it.
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

    /// Follows the conversation in other tabs of the same site: each saves to localStorage, and
    /// the others merge it in (see [`Conversation::merge`]).
    fn follow_other_tabs(self) {
        use wasm_bindgen::JsCast;
        let key = self.inner.with_value(|i| i.storage_key.clone());
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::StorageEvent)>::new(
            move |event: web_sys::StorageEvent| {
                if event.key().as_deref() != Some(key.as_str()) || self.is_unmounted() {
                    return;
                }
                let saved = event.new_value().unwrap_or_default();
                let Some(other) = Conversation::from_saved(&saved) else {
                    return;
                };
                let token_before = self.token();
                let mut merged = self.conv.get_untracked();
                if merged.merge(other) {
                    // What this tab adds is saved with the time of the newer session, so that
                    // the saved conversation is the union of the tabs' (see the saving effect).
                    let json = merged.to_saved_json(merged.saved_at);
                    if json != saved {
                        browser::storage_set(&key, &json);
                    }
                    self.inner.update_value(|i| i.last_saved = json);
                    // Replies that another tab's stream brought first (always, in a follower).
                    let news = self.conv.with_untracked(|before| merged.news_since(before));
                    self.conv.set(merged);
                    for (key, notable) in news {
                        self.tell_about(&key, notable);
                    }
                    if self.token() != token_before {
                        self.connect_stream();
                    }
                }
            },
        );
        let _ = browser::window()
            .add_event_listener_with_callback("storage", listener.as_ref().unchecked_ref());
        self.inner.update_value(|i| i.other_tabs = Some(listener));
    }

    /// Keeps [`Chat::visible`] in step with the page's visibility.
    fn follow_visibility(self) {
        use wasm_bindgen::JsCast;
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(
            move |_: web_sys::Event| {
                if !self.is_unmounted() {
                    self.visible.set(!browser::page_hidden());
                }
            },
        );
        if let Some(document) = browser::window().document() {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                listener.as_ref().unchecked_ref(),
            );
        }
        self.inner.update_value(|i| i.visibility = Some(listener));
    }

    /// Asks to hold the site's one event stream; until granted, this tab follows the tab that
    /// holds it. Without Web Locks every tab streams by itself.
    fn join_tabs(self) {
        let name = self
            .inner
            .with_value(|i| [i.storage_key.as_str(), ":stream"].concat());
        let tabs = Tabs::join(
            &name,
            move || self.lead(),
            move || self.stream_alone(),
            move |news| self.on_tab_news(&news),
        );
        if let Some(tabs) = tabs {
            // The leader answers with its connection state.
            tabs.post("?");
            self.inner.update_value(|i| {
                i.role = Role::Follower;
                i.tabs = Some(tabs);
            });
        }
    }

    /// This tab was granted the stream (the first tab, or the leader went away): it opens the
    /// stream where the saved conversation left off.
    fn lead(self) {
        if self.is_unmounted() {
            return;
        }
        self.inner.update_value(|i| i.role = Role::Leader);
        self.connect_stream();
        self.tell_tabs_connection();
    }

    fn stream_alone(self) {
        if self.is_unmounted() {
            return;
        }
        self.inner.update_value(|i| {
            i.role = Role::Alone;
            i.tabs = None;
        });
        self.connect_stream();
    }

    /// What other tabs post: `s` + the leader's connection state (its index in
    /// [`Connection::ALL`]), or `?` (a new tab asks the leader for it).
    fn on_tab_news(self, news: &str) {
        if self.is_unmounted() {
            return;
        }
        let role = self.role();
        if let (Some(state), Role::Follower) = (news.strip_prefix('s'), role) {
            let known = state
                .parse()
                .ok()
                .and_then(|i: usize| Connection::ALL.get(i));
            if let Some(state) = known {
                self.connection.set(*state);
            }
        } else if news == "?" && role == Role::Leader {
            self.tell_tabs_connection();
        }
    }

    /// Tells the tabs that follow this one the stream's state.
    fn tell_tabs_connection(&self) {
        let state = self.connection.get_untracked();
        let index = Connection::ALL.iter().position(|c| *c == state);
        let news = format!("s{}", index.unwrap_or_default());
        self.inner.with_value(|i| {
            if let (Role::Leader, Some(tabs)) = (i.role, &i.tabs) {
                tabs.post(&news);
            }
        });
    }

    /// Sets the stream's state, here and in the tabs that follow this one.
    fn set_connection(&self, state: Connection) {
        self.connection.set(state);
        self.tell_tabs_connection();
    }

    fn token(&self) -> Option<String> {
        self.conv
            .with_untracked(|c| c.visitor.as_ref().map(|v| v.token.clone()))
    }

    /// Stops the stream and timers and restores the page title.
    pub fn shutdown(self) {
        use wasm_bindgen::JsCast;
        self.inner.update_value(|i| {
            i.unmounted = true;
            i.stream = None;
            // Gives the stream to another tab.
            i.tabs = None;
            let window = browser::window();
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

    // ---- panel ---------------------------------------------------------------------------

    /// Opens the panel; `focus` moves keyboard focus into it (not when the page opened it).
    pub fn open_panel(self, focus: bool) {
        if self.open.get_untracked() {
            return;
        }
        self.inner.update_value(|i| i.focus_on_open = focus);
        self.open.set(true);
        self.conv.update(Conversation::mark_read);
        self.emit("open", Object::new().value());
        let (phase, known) = self
            .conv
            .with_untracked(|c| (c.session.phase, c.visitor.is_some()));
        if phase == Phase::Idle || !known {
            self.start();
        } else if phase == Phase::Queued {
            self.poll_queue();
        }
    }

    pub fn close_panel(self) {
        if !self.open.get_untracked() {
            return;
        }
        self.open.set(false);
        self.lightbox.set(None);
        // embed.js gives the focus back to its launcher.
        self.emit("close", Object::new().value());
    }

    pub fn toggle(self) {
        if self.open.get_untracked() {
            self.close_panel();
        } else {
            self.open_panel(true);
        }
    }

    /// Whether the composer should take focus now (once per visitor-initiated open).
    pub fn take_focus_request(&self) -> bool {
        self.inner
            .try_update_value(|i| std::mem::take(&mut i.focus_on_open))
            .unwrap_or(false)
    }

    pub fn set_locale(self, tag: &str) {
        match Locale::parse(tag) {
            Some(locale) => self.locale.set(locale),
            None => browser::warn(&["locale \"", tag, "\" is not supported (zh-CN, en)"].concat()),
        }
    }

    // ---- visitor ---------------------------------------------------------------------------

    /// A valid token: the stored one, renewed when it is about to expire, or a new visitor.
    fn ensure_visitor(self) -> TextFuture {
        Box::pin(async move {
            let current = self.conv.with_untracked(|c| c.visitor.clone());
            match current {
                Some(v) if v.expires_at as i64 > now_ms() / 1000 + 60 => Ok(v.token),
                Some(v) => self.fetch_visitor(Some(v.token)).await,
                None => self.fetch_visitor(None).await,
            }
        })
    }

    /// `POST /v1/visitor`: a renewal with `bearer`, falling back to a new visitor when the relay
    /// no longer accepts the old token. Resolves to the new token.
    fn fetch_visitor(self, bearer: Option<String>) -> TextFuture {
        Box::pin(async move {
            let api = self.api();
            let call = Call::Visitor(self.inner.with_value(|i| i.identity.clone()));
            let text = match api.fetch(&call, bearer.as_deref()).await {
                Err(e) if bearer.is_some() && e.is_unauthorized() => api.fetch(&call, None).await?,
                other => other?,
            };
            let response = decode(&text, reader::visitor_response)?;
            let token = response.token.clone();
            self.conv.update(|c| c.set_visitor(response, now_ms()));
            Ok(token)
        })
    }

    /// Tells the relay who the visitor is (the host page's signed user id).
    pub fn identify(self, identity: VisitorRequest) {
        self.inner.update_value(|i| i.identity = identity);
        spawn_local(async move {
            match self.fetch_visitor(None).await {
                Ok(_) => {
                    self.connect_stream();
                    let idle = self.conv.with_untracked(|c| c.session.phase == Phase::Idle);
                    if idle && self.open.get_untracked() {
                        self.start();
                    }
                }
                Err(e) => self.report(&e),
            }
        });
    }

    /// Makes `call` with a valid token (on 401 gets a new token once and tries again), and
    /// reads the answer with `read`.
    async fn call<T>(self, call: Call, read: Read<T>) -> Result<T, ApiError> {
        let text = self.call_text(call).await?;
        decode(&text, read)
    }

    fn call_text(self, call: Call) -> TextFuture {
        Box::pin(async move {
            let token = self.ensure_visitor().await?;
            match self.api().fetch(&call, Some(&token)).await {
                Err(e) if e.is_unauthorized() => {
                    let token = self.fetch_visitor(Some(token)).await?;
                    self.connect_stream();
                    self.api().fetch(&call, Some(&token)).await
                }
                other => other,
            }
        })
    }

    // ---- session ---------------------------------------------------------------------------

    /// Visitor, stream and a first session, once.
    fn start(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.starting, true));
        if already != Some(false) {
            return;
        }
        spawn_local(async move {
            // The relay may be unreachable for a while: keep trying, with backoff, while the
            // visitor has the panel open.
            let mut backoff = Reconnect::default();
            loop {
                match self.ensure_session().await {
                    Ok(()) => {
                        self.error.set(None);
                        break;
                    }
                    Err(e) => {
                        self.report(&e);
                        if !e.is_transient() {
                            break;
                        }
                    }
                }
                sleep(backoff.next_delay_ms(browser::jitter())).await;
                let idle = self.conv.with_untracked(|c| c.session.phase == Phase::Idle);
                if self.is_unmounted() || !idle || !self.open.get_untracked() {
                    break;
                }
            }
            let _ = self.inner.try_update_value(|i| i.starting = false);
        });
    }

    /// A visitor, its event stream, and a session when there is none (first open) or it ended
    /// (closed by the agent).
    async fn ensure_session(self) -> Result<(), ApiError> {
        self.ensure_visitor().await?;
        self.connect_stream();
        let phase = self.conv.with_untracked(|c| c.session.phase);
        if matches!(phase, Phase::Idle | Phase::Closed) {
            let wants = self.config().wants();
            self.create_session(wants).await?;
        }
        Ok(())
    }

    /// "Talk to a person".
    pub fn ask_for_person(self) {
        if self.busy.get_untracked() {
            return;
        }
        self.conv.update(|c| c.dismiss_no_agent());
        spawn_local(async move {
            if let Err(e) = self.create_session(AssignType::Agent).await {
                self.report(&e);
            }
        });
    }

    async fn create_session(self, assign: AssignType) -> Result<(), ApiError> {
        let config = self.config();
        let person = assign == AssignType::Agent;
        let request = CreateSessionRequest {
            customer_token: String::new(),
            assign_type: Some(assign),
            agent_id: config.agent_id.filter(|_| person),
            group_id: config.group_id.filter(|_| person),
            channel: config.channel.clone(),
        };
        self.busy.set(true);
        let result = self
            .call(Call::Session(request), reader::create_session_response)
            .await;
        self.busy.set(false);
        let response = match result {
            Ok(response) => response,
            // A relay may report Udesk's 2001/2002 as an error; they are states, not failures.
            Err(e) if matches!(e.udesk_code(), Some(2001) | Some(2002)) => CreateSessionResponse {
                code: Code(e.udesk_code().unwrap_or_default()),
                message: Some(e.message().to_owned()),
                assign_type: Some(assign),
                assign_info: None,
            },
            Err(e) => return Err(e),
        };
        let outcome = self
            .conv
            .try_update(|c| c.session_created(assign, &response, now_ms()));
        match outcome {
            Some(SessionOutcome::Queued) => self.poll_queue(),
            Some(SessionOutcome::Refused(code, message)) => {
                let text = if message.is_empty() {
                    format!("{} ({code})", code.describe())
                } else {
                    message
                };
                self.error.set(Some(text));
            }
            _ => self.error.set(None),
        }
        Ok(())
    }

    /// Polls `/v1/queue_status` while queued and the panel is open.
    fn poll_queue(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.polling, true));
        if already != Some(false) {
            return;
        }
        spawn_local(async move {
            let mut schedule = QueuePoll::default();
            loop {
                sleep(schedule.next_delay_ms()).await;
                let waiting = self
                    .conv
                    .with_untracked(|c| c.session.phase == Phase::Queued);
                if self.is_unmounted() || !waiting || !self.open.get_untracked() {
                    break;
                }
                let result = self
                    .call(Call::QueueStatus, reader::queue_status_response)
                    .await;
                match result {
                    Ok(response) => {
                        schedule.answered(response.count);
                        let go_on = self.conv.try_update(|c| c.queue_status(&response));
                        if go_on != Some(true) {
                            self.sync_assigned_session();
                            break;
                        }
                    }
                    Err(_) => schedule.failed(),
                }
            }
            let _ = self.inner.try_update_value(|i| i.polling = false);
        });
    }

    /// After waiting in the queue, asks for the session once more: Udesk answers an existing
    /// session with its full assign_info (the agent, and the survey options that 2001 lacked).
    /// Known race: if the agent closes the session between the check below and Udesk handling
    /// this request (one round trip after the pick-up), Udesk opens a new session instead.
    fn sync_assigned_session(self) {
        let needed = self.conv.with_untracked(|c| {
            c.session.phase == Phase::Agent && c.session.survey_options.is_none()
        });
        if needed {
            spawn_local(async move {
                let _ = self.create_session(AssignType::Agent).await;
            });
        }
    }

    // ---- sending ---------------------------------------------------------------------------

    /// Sends what the visitor typed (or a suggested question they clicked).
    pub fn send_text(self, text: String) {
        let text = text.trim().to_owned();
        if text.is_empty() {
            return;
        }
        let message_id = crate::ids::new_message_id();
        let text_for_event = text.clone();
        self.conv
            .update(|c| drop(c.send(message_id.clone(), Content::text(text), now_ms())));
        self.emit(
            "message",
            message_event(
                "visitor",
                self.texts_untracked().you,
                "message",
                &text_for_event,
                &message_id,
            ),
        );
        spawn_local(self.deliver(message_id));
    }

    /// Resends a failed message with its original id.
    pub fn retry(self, message_id: String) {
        if self.conv.try_update(|c| c.retry(&message_id)) == Some(true) {
            spawn_local(self.deliver(message_id));
        }
    }

    /// Failed messages go out again once the stream is back (same ids: never twice at Udesk).
    fn resend_failed(self) {
        for id in self.conv.with_untracked(Conversation::failed_message_ids) {
            self.retry(id);
        }
    }

    async fn deliver(self, message_id: String) {
        // One more attempt when Udesk says the session is gone: a new one is created first.
        for _attempt in 0..2 {
            if let Err(e) = self.ensure_session().await {
                self.conv.update(|c| c.send_finished(&message_id, false));
                self.report(&e);
                return;
            }
            let Some(out) = self.conv.try_update(|c| c.delivery(&message_id)).flatten() else {
                return;
            };
            let request = SendMessageRequest {
                customer_token: String::new(),
                im_sub_session_id: out.target,
                message_id: Some(out.message_id),
                content: out.content,
            };
            let result = self.call(Call::Send(request), reader::code_response).await;
            let code = match &result {
                Ok(response) => response.code,
                Err(e) => e.udesk_code().map_or(Code(0), Code),
            };
            if code == Code::SESSION_MISSING {
                self.conv.update(|c| c.session_missing(now_ms()));
                continue;
            }
            match result {
                Ok(CodeResponse { code, .. }) if code.is_success() => {
                    self.conv.update(|c| c.send_finished(&message_id, true));
                }
                Ok(CodeResponse { code, message }) => {
                    self.conv.update(|c| c.send_finished(&message_id, false));
                    self.error.set(Some(
                        message.unwrap_or_else(|| format!("{} ({code})", code.describe())),
                    ));
                }
                Err(e) => {
                    self.conv.update(|c| c.send_finished(&message_id, false));
                    if !e.is_transient() {
                        self.report(&e);
                    }
                }
            }
            return;
        }
        self.conv.update(|c| c.send_finished(&message_id, false));
    }

    // ---- robot rating and survey -----------------------------------------------------------

    /// Rates a robot answer once; `Err` with a message for people.
    pub async fn rate(
        self,
        key: String,
        message_id: String,
        question_id: i64,
        useful: bool,
    ) -> Result<(), String> {
        let request = RobotEvaluationRequest {
            customer_token: String::new(),
            message_id,
            question_id,
            useful,
        };
        let result = self.call(Call::Rate(request), reader::code_response).await;
        match result {
            Ok(r) if r.code.is_success() => {
                self.conv.update(|c| c.rated(&key, useful));
                Ok(())
            }
            Ok(r) => Err(r.message.unwrap_or_else(|| r.code.describe().to_owned())),
            Err(e) => Err(e.message().to_owned()),
        }
    }

    pub async fn submit_survey(
        self,
        key: String,
        im_sub_session_id: u64,
        option_id: u64,
        remark: Option<String>,
    ) -> Result<(), String> {
        let request = SurveyRequest {
            im_sub_session_id,
            option_id,
            remark,
        };
        let result = self
            .call(Call::Survey(request), reader::code_response)
            .await;
        match result {
            Ok(r) if r.code.is_success() => {
                self.conv.update(|c| c.survey_submitted(&key, option_id));
                Ok(())
            }
            Ok(r) => Err(r.message.unwrap_or_else(|| r.code.describe().to_owned())),
            Err(e) => Err(e.message().to_owned()),
        }
    }

    /// "Rate this conversation" (customer_invite).
    pub fn invite_survey(self) {
        self.conv.update(|c| drop(c.invite_survey(now_ms())));
    }

    // ---- stream ----------------------------------------------------------------------------

    /// (Re)opens the event stream with the current token, resuming after the last event; not in a
    /// tab that follows another tab's stream.
    fn connect_stream(self) {
        if self.is_unmounted() || self.role() == Role::Follower {
            return;
        }
        let (token, last) = self
            .conv
            .with_untracked(|c| (c.visitor.as_ref().map(|v| v.token.clone()), c.last_event_id));
        let Some(token) = token else { return };
        let open_with_same_token = self.inner.with_value(|i| {
            i.stream.is_some() && i.stream_token.as_deref() == Some(token.as_str())
        });
        if open_with_same_token && self.connection.get_untracked() != Connection::Offline {
            return;
        }
        let url = events_url(self.api().base(), &token, last);
        self.inner.update_value(|i| i.stream = None);
        self.set_connection(Connection::Connecting);
        match Stream::open(&url, move |event| self.on_stream(event)) {
            Ok(stream) => self.inner.update_value(|i| {
                i.stream = Some(stream);
                i.stream_token = Some(token);
            }),
            Err(_) => {
                self.set_connection(Connection::Offline);
                self.schedule_reconnect();
            }
        }
    }

    fn on_stream(self, event: StreamEvent) {
        match event {
            StreamEvent::Open => {
                let was = self.connection.get_untracked();
                self.set_connection(Connection::Open);
                self.inner.update_value(|i| i.reconnect.reset());
                if matches!(was, Connection::Reconnecting | Connection::Offline) {
                    self.resend_failed();
                }
            }
            StreamEvent::Message(data) => match reader::parse(&data, reader::stream_message) {
                Ok(message) => self.on_message(message),
                Err(e) => browser::warn(&format!("unreadable stream message: {e}")),
            },
            StreamEvent::Reset(data) => match reader::parse(&data, reader::stream_reset) {
                Ok(reset) => self.conv.update(|c| c.reset(reset, now_ms())),
                Err(e) => browser::warn(&format!("unreadable stream reset: {e}")),
            },
            StreamEvent::Reconnecting => self.set_connection(Connection::Reconnecting),
            StreamEvent::Closed => {
                self.set_connection(Connection::Offline);
                self.schedule_reconnect();
            }
        }
    }

    fn on_message(self, message: StreamMessage) {
        // Unread counts for every tab (they merge this tab's saves) unless the visitor sees it
        // here.
        let seen = self.shows_transcript();
        let Some(applied) = self.conv.try_update(|c| c.apply(message, seen)).flatten() else {
            return;
        };
        self.tell_about(&applied.key, applied.notable);
        if applied.assigned {
            self.sync_assigned_session();
        }
    }

    /// Announces a new reply in the live region (when notable) and tells the host page.
    fn tell_about(self, key: &str, notable: bool) {
        let texts = self.locale.get_untracked().texts();
        let (author, from, preview, kind) = self.conv.with_untracked(|c| {
            let entry = c.entry(key);
            let author = match entry.map(|e| e.author) {
                Some(Author::Robot) => "robot",
                Some(Author::Agent) => "agent",
                Some(Author::Visitor) => "visitor",
                _ => "system",
            };
            let from = entry.map_or(texts.system.to_owned(), |e| author_name(e, texts));
            let (preview, kind) = entry
                .map(|e| match &e.body {
                    Body::Reply { content, .. } => (
                        crate::components::preview(content, texts),
                        content.kind().to_owned(),
                    ),
                    _ => (String::new(), String::new()),
                })
                .unwrap_or_default();
            (author, from, preview, kind)
        });
        if notable {
            self.announcement.set(texts.announce(&from, &preview));
        }
        self.emit(
            "message",
            message_event(author, &from, &kind, &preview, key),
        );
    }

    /// Reopens the stream after a backoff, renewing the token first: a non-200 answer (what
    /// makes a browser give up) is most often an expired or unknown token.
    fn schedule_reconnect(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.reconnect_scheduled, true));
        if already != Some(false) {
            return;
        }
        let delay = self
            .inner
            .try_update_value(|i| i.reconnect.next_delay_ms(browser::jitter()))
            .unwrap_or(Reconnect::MAX_MS);
        spawn_local(async move {
            sleep(delay).await;
            let _ = self
                .inner
                .try_update_value(|i| i.reconnect_scheduled = false);
            if self.is_unmounted() {
                return;
            }
            let bearer = self
                .conv
                .with_untracked(|c| c.visitor.as_ref().map(|v| v.token.clone()));
            match self.fetch_visitor(bearer).await {
                Ok(_) => {
                    self.inner.update_value(|i| i.stream = None);
                    self.connect_stream();
                }
                Err(_) => self.schedule_reconnect(),
            }
        });
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

/// The detail of a `message` event for the host page.
fn message_event(author: &str, from: &str, kind: &str, text: &str, id: &str) -> Value {
    Object::new()
        .set("author", author.into())
        .set("from", from.into())
        .set("type", kind.into())
        .set("text", text.into())
        .set("id", id.into())
        .value()
}

/// Who wrote an entry, for people.
pub fn author_name(entry: &crate::state::Entry, texts: &Texts) -> String {
    match entry.author {
        Author::Visitor => texts.you.to_owned(),
        Author::Robot => entry
            .sender
            .name
            .clone()
            .unwrap_or_else(|| texts.robot.to_owned()),
        Author::Agent => entry
            .sender
            .name
            .clone()
            .unwrap_or_else(|| texts.agent.to_owned()),
        Author::System => texts.system.to_owned(),
    }
}

/// Reads a relay answer with `read`.
fn decode<T>(text: &str, read: Read<T>) -> Result<T, ApiError> {
    reader::parse(text, read).map_err(|e| ApiError::Decode(e.to_string()))
}
