//! What embed.js calls: [`mount`] creates the host element and its shadow root, mounts the Leptos
//! app into it (`leptos::mount::mount_to`), and returns a [`WidgetHandle`] whose methods back
//! `window.UdeskChat`.
//!
//! The shadow root is `open`: a closed root protects nothing (the host page runs in the same
//! JavaScript realm and could patch `attachShadow` before the widget loads), while an open one
//! lets browser tests, accessibility checkers and the host's own scripts reach the widget.

use leptos::mount::mount_to;
use leptos::prelude::*;
use std::any::Any;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use udesk_protocol::reader;

use crate::app::Chat;
use crate::browser;
use crate::components::Widget;
use crate::config::Config;

/// Inline style of the host element: `!important` inline declarations beat any host stylesheet,
/// and `all: initial` stops inherited host styles (fonts, colours, line height) at the border.
/// Custom properties (`--udesk-…`) are not reset by `all`, so theming still passes through.
const HOST_STYLE: &str =
    "all:initial !important;display:block !important;position:static !important;\
    visibility:visible !important;opacity:1 !important;transform:none !important;\
    filter:none !important;contain:none !important;";

/// The mounted widget, as seen from JavaScript.
#[wasm_bindgen]
pub struct WidgetHandle {
    chat: Chat,
    host: HtmlElement,
    /// The reactive owner of the controller and of the effect that mounts the user interface;
    /// cleaning it up stops them and unmounts the interface.
    owner: Owner,
}

/// Mounts the widget. `config_json` is the configuration object as JSON (see
/// [`crate::config::Config`]); `emit(name, detail)` receives `open`, `close`, `message`,
/// `unread` and `session` events.
#[wasm_bindgen]
pub fn mount(config_json: &str, emit: Option<js_sys::Function>) -> Result<WidgetHandle, JsValue> {
    let window = browser::window();
    let document = window.document().ok_or("no document")?;
    let origin = window.location().origin().unwrap_or_default();
    let (config, warnings) = Config::from_json(config_json, &origin);
    for warning in warnings {
        browser::warn(&warning);
    }

    let host: HtmlElement = document.create_element("udesk-chat")?.dyn_into()?;
    host.set_attribute("style", HOST_STYLE)?;
    host.set_attribute("data-testid", "udesk-chat")?;
    if let Some(colour) = &config.primary_color {
        host.style().set_property("--udesk-primary", colour)?;
    }
    let parent = document.body().ok_or("no <body> to mount into")?;
    parent.append_child(&host)?;
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    shadow.append_child(&container)?;

    // wasm-bindgen-futures drives the reactive system (an error means it already does).
    let _ = any_spawner::Executor::init_wasm_bindgen();
    let owner = Owner::new();
    let chat = owner.with(|| {
        let chat = Chat::new(config, emit);
        // The user interface, mounted into the shadow root, and mounted anew in another language
        // (words are not reactive one by one: that would cost code in every component). The
        // effect keeps the mounted app; dropping it unmounts the app and disposes its owner.
        Effect::new(move |previous: Option<Box<dyn Any>>| {
            drop(previous);
            let locale = chat.locale.get();
            let container = container.clone();
            let mounted = untrack(|| mount_to(container, move || view! { <Widget chat locale/> }));
            Box::new(mounted) as Box<dyn Any>
        });
        chat
    });
    chat.boot();
    Ok(WidgetHandle { chat, host, owner })
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

    /// Removes the widget from the page.
    pub fn unmount(&mut self) {
        self.chat.shutdown();
        self.owner.cleanup();
        self.host.remove();
    }
}
