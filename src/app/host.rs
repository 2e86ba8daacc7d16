//! What the visitor and the host page are told: the unread count in the page title, the live
//! region, and the `unread`, `session` and `message` events embed.js forwards to the host page's
//! listeners; and whether the page is in view.

use leptos::prelude::*;
use serde_json::Value;
use udesk_protocol::reader::value::Object;

use super::Chat;
use crate::browser;
use crate::describe::{author_name, preview};
use crate::state::{Author, Body, Conversation, Entry, Phase};

impl Chat {
    /// The unread title, marking read, and the `unread` / `session` events.
    pub(super) fn install_host_effects(self) {
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

    pub(super) fn emit(&self, name: &str, detail: Value) {
        if let Some(sink) = self.inner.with_value(|i| i.emit.clone()) {
            browser::emit(&sink, name, &detail);
        }
    }

    pub(super) fn show_unread_in_title(&self, unread: u32) {
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

    /// Keeps [`Chat::visible`] in step with the page's visibility.
    pub(super) fn follow_visibility(self) {
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

    /// Tells the host page about new replies (a `message` event each) and announces the last
    /// notable one in the live region: one announcement per batch, not one per message, which a
    /// screen reader would only cut short. O(1) per reply (the entries come with the news).
    pub(super) fn tell_about(self, news: &[(Entry, bool)]) {
        let texts = self.locale.get_untracked().texts();
        let mut announce = None;
        for (entry, notable) in news {
            let author = match entry.author {
                Author::Robot => "robot",
                Author::Agent => "agent",
                Author::Visitor => "visitor",
                Author::System => "system",
            };
            let from = author_name(entry, texts);
            let (preview, kind) = match &entry.body {
                Body::Reply { content, .. } => (preview(content, texts), content.kind()),
                _ => (String::new(), ""),
            };
            self.emit(
                "message",
                message_event(author, &from, kind, &preview, &entry.key),
            );
            if *notable {
                announce = Some((from, preview));
            }
        }
        if let Some((from, preview)) = announce {
            self.announcement.set(texts.announce(&from, &preview));
        }
    }
}

/// The detail of a `message` event for the host page.
pub(super) fn message_event(author: &str, from: &str, kind: &str, text: &str, id: &str) -> Value {
    Object::new()
        .set("author", author.into())
        .set("from", from.into())
        .set("type", kind.into())
        .set("text", text.into())
        .set("id", id.into())
        .value()
}
