//! The live stream of replies: an `EventSource` on the relay's `/v1/events`.
//!
//! The browser reconnects by itself after a network error or a normal end of the stream, sending
//! `Last-Event-ID`. It gives up for good on any non-200 answer (an expired token, a proxy's 502);
//! then the stream is [`StreamEvent::Closed`] and the controller renews the token and opens a new
//! one with `last_event_id` in the URL, after a backoff. Deduplication by event id happens in
//! [`crate::state::Conversation::apply`].

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{EventSource, MessageEvent};

/// What the stream reports.
pub enum StreamEvent {
    /// Connected (first time or after the browser's own reconnect).
    Open,
    /// The data of an `event: message`.
    Message(String),
    /// The data of an `event: reset`.
    Reset(String),
    /// Lost; the browser is retrying by itself.
    Reconnecting,
    /// The browser gave up; open a new stream.
    Closed,
}

/// An open stream; dropping it closes the connection.
pub struct Stream {
    source: EventSource,
    _listeners: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

impl Stream {
    /// Opens `url` and reports to `on_event`.
    pub fn open(
        url: &str,
        on_event: impl Fn(StreamEvent) + 'static,
    ) -> Result<Stream, wasm_bindgen::JsValue> {
        let source = EventSource::new(url)?;
        let on_event = std::rc::Rc::new(on_event);
        let mut listeners = Vec::new();
        let mut listen = |name: &str, handler: Box<dyn FnMut(web_sys::Event)>| {
            let closure = Closure::wrap(handler);
            let _ = source.add_event_listener_with_callback(name, closure.as_ref().unchecked_ref());
            listeners.push(closure);
        };
        let f = on_event.clone();
        listen("open", Box::new(move |_| f(StreamEvent::Open)));
        for (name, make) in [
            ("message", StreamEvent::Message as fn(String) -> StreamEvent),
            ("reset", StreamEvent::Reset as fn(String) -> StreamEvent),
        ] {
            let f = on_event.clone();
            listen(
                name,
                Box::new(move |event: web_sys::Event| {
                    if let Some(data) = event
                        .dyn_ref::<MessageEvent>()
                        .and_then(|m| m.data().as_string())
                    {
                        f(make(data));
                    }
                }),
            );
        }
        let f = on_event;
        let weak = source.clone();
        listen(
            "error",
            Box::new(move |_| {
                if weak.ready_state() == EventSource::CLOSED {
                    f(StreamEvent::Closed);
                } else {
                    f(StreamEvent::Reconnecting);
                }
            }),
        );
        Ok(Stream {
            source,
            _listeners: listeners,
        })
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        self.source.close();
    }
}
