//! Small wrappers over browser APIs the controller needs: time, timers, storage, console.

use wasm_bindgen::JsValue;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("the widget runs in a browser window")
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// The local time zone's offset east of UTC, in minutes, at `epoch_ms`.
pub fn local_offset_minutes(epoch_ms: i64) -> i64 {
    let date = js_sys::Date::new(&JsValue::from_f64(epoch_ms as f64));
    -(date.get_timezone_offset() as i64)
}

/// Whether the page is out of view (a background tab, a minimised window).
pub fn page_hidden() -> bool {
    window().document().is_some_and(|d| d.hidden())
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
            &resolve,
            i32::try_from(ms).unwrap_or(i32::MAX),
        );
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Runs `f` once after `ms` milliseconds (a task of its own, after what is queued now).
pub fn set_timeout(ms: i32, f: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(f);
    let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
        wasm_bindgen::JsCast::unchecked_ref(&callback),
        ms,
    );
}

/// A random number in `[0, 1)` for jitter.
pub fn jitter() -> f64 {
    js_sys::Math::random()
}

pub fn storage_get(key: &str) -> Option<String> {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(key).ok().flatten())
}

pub fn storage_set(key: &str, value: &str) {
    // Full or disabled storage (private mode) only costs continuity, never the chat itself.
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.set_item(key, value);
    }
}

pub fn storage_remove(key: &str) {
    if let Some(storage) = window().local_storage().ok().flatten() {
        let _ = storage.remove_item(key);
    }
}

/// The browser's preferred languages, most preferred first.
pub fn browser_languages() -> Vec<String> {
    let navigator = window().navigator();
    let mut out: Vec<String> = navigator
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if let Some(lang) = navigator.language() {
        out.push(lang);
    }
    out
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("udesk-chat: {message}")));
}

/// The origin of a URL (`https://relay.example:8443`), for keying storage per relay.
pub fn origin_of(url: &str) -> String {
    web_sys::Url::new(url)
        .map(|u| u.origin())
        .unwrap_or_else(|_| url.to_owned())
}

/// Calls the host page's event sink (embed.js) with an event name and a JSON detail.
pub fn emit(sink: &js_sys::Function, name: &str, detail: &serde_json::Value) {
    let detail = js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL);
    if let Err(e) = sink.call2(&JsValue::NULL, &JsValue::from_str(name), &detail) {
        web_sys::console::error_2(
            &JsValue::from_str("udesk-chat: an event listener threw"),
            &e,
        );
    }
}
