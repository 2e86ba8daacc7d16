//! What embed.js calls once the visitor shows intent: [`mount`] mounts the Leptos app
//! (`leptos::mount::mount_to`) into the shell embed.js drew (host element, shadow root, launcher),
//! and returns a [`WidgetHandle`] whose methods back `window.UdeskChat`.
//!
//! The shadow root (embed.js's) is `open`: a closed root protects nothing (the host page runs in the same
//! JavaScript realm and could patch `attachShadow` before the widget loads), while an open one
//! lets browser tests, accessibility checkers and the host's own scripts reach the widget.

use leptos::mount::mount_to;
use leptos::prelude::*;
use std::any::Any;
use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;

use udesk_protocol::reader;

use crate::app::Chat;
use crate::browser;
use crate::components::Widget;
use crate::config::Config;

/// The mounted widget, as seen from JavaScript.
#[wasm_bindgen]
pub struct WidgetHandle {
    chat: Chat,
    /// The reactive owner of the controller and of the effect that mounts the user interface;
    /// cleaning it up stops them and unmounts the interface.
    owner: Owner,
}

/// Mounts the widget into `root`, the shell's `.udesk-root` element that embed.js drew in its
/// shadow root (with the launcher, whose state embed.js keeps from the events below).
/// `config_json` is the configuration object as JSON (see [`crate::config::Config`]);
/// `emit(name, detail)` receives `open`, `close`, `message`, `unread` and `session` events.
#[wasm_bindgen]
pub fn mount(
    root: HtmlElement,
    config_json: &str,
    emit: Option<js_sys::Function>,
) -> Result<WidgetHandle, JsValue> {
    let window = browser::window();
    let origin = window.location().origin().unwrap_or_default();
    let (config, warnings) = Config::from_json(config_json, &origin);
    for warning in warnings {
        browser::warn(&warning);
    }

    // wasm-bindgen-futures drives the reactive system (an error means it already does).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    let chat = owner.with(|| {
        let chat = Chat::new(config, emit);
        // The user interface, mounted into the shell, and mounted anew in another language
        // (words are not reactive one by one: that would cost code in every component). The
        // effect keeps the mounted app; dropping it unmounts the app and disposes its owner.
        Effect::new(move |previous: Option<Box<dyn Any>>| {
            drop(previous);
            let locale = chat.locale.get();
            let root = root.clone();
            let mounted = untrack(|| mount_to(root, move || view! { <Widget chat locale/> }));
            Box::new(mounted) as Box<dyn Any>
        });
        chat
    });
    chat.boot();
    Ok(WidgetHandle { chat, owner })
}

#[wasm_bindgen]
impl WidgetHandle {
    pub fn open(&self) {
        self.chat.open_panel(true);
    }

    pub fn close(&self) {
        self.chat.close_panel();
    }

    pub fn toggle(&self) {
        self.chat.toggle();
    }

    /// `identify({user_id, signature, name, email})`, as JSON.
    pub fn identify(&self, identity_json: &str) -> Result<(), JsValue> {
        let identity = reader::parse(identity_json, reader::visitor_request)
            .map_err(|e| JsValue::from_str(&["identify: ", &e.to_string()].concat()))?;
        self.chat.identify(identity);
        Ok(())
    }

    #[wasm_bindgen(js_name = setLocale)]
    pub fn set_locale(&self, locale: &str) {
        self.chat.set_locale(locale);
    }

    /// Stops the app and removes what it mounted (the shell stays embed.js's).
    pub fn unmount(&mut self) {
        self.chat.shutdown();
        self.owner.cleanup();
    }
}
