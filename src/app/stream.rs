//! The event stream: opened with the visitor's token where the conversation left off, reopened
//! after a backoff (renewing the token) when the browser gives up on it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::reader;
use udesk_protocol::relay::StreamMessage;

use super::{Chat, Connection, Role};
use crate::api::events_url;
use crate::browser::{self, now_ms, sleep};
use crate::events::{Stream, StreamEvent};
use crate::schedule::Reconnect;

impl Chat {
    /// (Re)opens the event stream with the current token, resuming after the last event; not in a
    /// tab that follows another tab's stream.
    pub(super) fn connect_stream(self) {
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

    pub(super) fn on_stream(self, event: StreamEvent) {
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

    pub(super) fn on_message(self, message: StreamMessage) {
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

    /// Reopens the stream after a backoff, renewing the token first: a non-200 answer (what
    /// makes a browser give up) is most often an expired or unknown token.
    pub(super) fn schedule_reconnect(self) {
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
}
