//! One event stream per browser: the tabs of a site elect a leader that holds the stream.
//!
//! Over HTTP/1.1 a browser allows 6 connections per host, shared by all its tabs, so a stream
//! in every tab would stall the relay's other calls from the seventh tab on. Instead each tab
//! asks for a Web Lock named after the widget's storage key; the browser grants it to one tab at
//! a time and passes it on when that tab closes (or the widget unmounts). The holder opens the
//! stream; the others learn its events from the conversation it saves to `localStorage` (see
//! `Chat::follow_other_tabs`), and its connection state over a `BroadcastChannel` of the same
//! name (only a live leader answers there, unlike a stored value that may be stale).
//!
//! Web Locks are called through a small `wasm_bindgen` declaration: web-sys only offers them
//! behind its unstable-API flag. A browser without Web Locks or `BroadcastChannel` gets no
//! [`Tabs`], and every tab keeps its own stream.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks`.
    type LockManager;

    /// `request(name, callback)`: `callback` runs once the lock is granted, and the lock is held
    /// until the promise it returns settles. The returned promise rejects when the request
    /// fails (e.g. a document without storage access).
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, callback: &JsValue) -> Result<Promise, JsValue>;
}

/// What a tab's lock request has come to.
#[derive(Default)]
struct Shared {
    granted: Cell<bool>,
    /// The widget left: a lock granted from now on is given back at once.
    released: Cell<bool>,
    /// Resolves the promise that holds the lock.
    release: RefCell<Option<Function>>,
}

/// This tab's membership: a pending or granted lock and the channel to the other tabs. Dropping
/// it gives the lock up (another tab takes over) and closes the channel.
pub struct Tabs {
    channel: BroadcastChannel,
    shared: Rc<Shared>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Tabs {
    /// Joins the tabs sharing `name`. `on_granted` runs when this tab becomes the leader;
    /// `on_failed` when the lock cannot be had at all (the tab should stream by itself);
    /// `on_news` receives what other tabs post. `None` when the browser lacks Web Locks or
    /// `BroadcastChannel`.
    pub fn join(
        name: &str,
        on_granted: impl FnOnce() + 'static,
        on_failed: impl FnOnce() + 'static,
        on_news: impl Fn(String) + 'static,
    ) -> Option<Tabs> {
        let navigator = web_sys::window()?.navigator();
        let locks = Reflect::get(&navigator, &JsValue::from_str("locks"))
            .ok()
            .filter(JsValue::is_object)?
            .unchecked_into::<LockManager>();
        let channel = BroadcastChannel::new(name).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(text) = event.data().as_string() {
                on_news(text);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        let shared = Rc::new(Shared::default());
        let state = shared.clone();
        let callback = Closure::once_into_js(move |_lock: JsValue| -> JsValue {
            if state.released.get() {
                return JsValue::UNDEFINED;
            }
            let held = Promise::new(&mut |resolve, _reject| {
                *state.release.borrow_mut() = Some(resolve);
            });
            state.granted.set(true);
            on_granted();
            held.into()
        });
        let state = shared.clone();
        let requested = locks.request(name, &callback);
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = match requested {
                Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise)
                    .await
                    .map(drop),
                Err(e) => Err(e),
            };
            if outcome.is_err() && !state.granted.get() && !state.released.get() {
                on_failed();
            }
        });
        Some(Tabs {
            channel,
            shared,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs (not this one).
    pub fn post(&self, text: &str) {
        let _ = self.channel.post_message(&JsValue::from_str(text));
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.shared.released.set(true);
        if let Some(resolve) = self.shared.release.borrow_mut().take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
