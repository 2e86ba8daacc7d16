//! The event stream: opened with the visitor's token where the conversation left off, reopened
//! after a backoff (renewing the token) when the browser gives up on it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::reader;
use udesk_protocol::relay::{StreamMessage, StreamReset};

use super::{Chat, Connection, Role};
use crate::api::events_url;
use crate::browser::{self, now_ms, sleep};
use crate::events::{Stream, StreamEvent};
use crate::schedule::Reconnect;
use crate::state::Entry;

/// The most stream events applied in one task (one update, one render): a replay of thousands
/// is applied in slices, each a short task.
const EVENTS_PER_TASK: usize = 250;

/// A stream event for the conversation.
enum Incoming {
    Message(StreamMessage),
    Reset(StreamReset),
}

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
        match Stream::open(&url, move |event| self.receive(event)) {
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

    /// Queues what the stream reports; everything that arrives before the queue is flushed (one
    /// network chunk's events, a replay after reconnecting) is applied in one go.
    fn receive(self, event: StreamEvent) {
        let first = self
            .inner
            .try_update_value(|i| {
                i.stream_queue.push(event);
                !std::mem::replace(&mut i.stream_flush_scheduled, true)
            })
            .unwrap_or(false);
        if first {
            browser::set_timeout(0, move || self.flush_stream());
        }
    }

    /// Applies the queued events in order: runs of messages and resets as one change of the
    /// conversation (one render, one save), the stream's state changes between them; at most
    /// [`EVENTS_PER_TASK`] per task.
    fn flush_stream(self) {
        // A long replay is applied a slice per task, so that no task grows with it.
        let Some((events, more)) = self.inner.try_update_value(|i| {
            let rest = i
                .stream_queue
                .split_off(i.stream_queue.len().min(EVENTS_PER_TASK));
            let events = std::mem::replace(&mut i.stream_queue, rest);
            let more = !i.stream_queue.is_empty();
            i.stream_flush_scheduled = more;
            (events, more)
        }) else {
            return;
        };
        if more {
            browser::set_timeout(0, move || self.flush_stream());
        }
        if self.is_unmounted() {
            return;
        }
        let mut batch = Vec::new();
        for event in events {
            match event {
                StreamEvent::Message(data) => match reader::parse(&data, reader::stream_message) {
                    Ok(message) => batch.push(Incoming::Message(message)),
                    Err(e) => browser::warn(&format!("unreadable stream message: {e}")),
                },
                StreamEvent::Reset(data) => match reader::parse(&data, reader::stream_reset) {
                    Ok(reset) => batch.push(Incoming::Reset(reset)),
                    Err(e) => browser::warn(&format!("unreadable stream reset: {e}")),
                },
                state => {
                    self.apply_batch(std::mem::take(&mut batch));
                    self.on_stream_state(state);
                }
            }
        }
        self.apply_batch(batch);
    }

    fn on_stream_state(self, event: StreamEvent) {
        match event {
            StreamEvent::Open => {
                let was = self.connection.get_untracked();
                self.set_connection(Connection::Open);
                self.inner.update_value(|i| i.reconnect.reset());
                if matches!(was, Connection::Reconnecting | Connection::Offline) {
                    self.resend_failed();
                }
            }
            StreamEvent::Reconnecting => self.set_connection(Connection::Reconnecting),
            StreamEvent::Closed => {
                self.set_connection(Connection::Offline);
                self.schedule_reconnect();
            }
            StreamEvent::Message(_) | StreamEvent::Reset(_) => {}
        }
    }

    /// Applies messages and resets in one update of the conversation, then tells the host page
    /// and the live region about the new replies.
    fn apply_batch(self, batch: Vec<Incoming>) {
        if batch.is_empty() {
            return;
        }
        // Unread counts for every tab (they merge this tab's saves) unless the visitor sees it
        // here.
        let seen = self.shows_transcript();
        let now = now_ms();
        let outcome = self.conv.try_update(|c| {
            let mut news: Vec<(Entry, bool)> = Vec::new();
            let mut assigned = false;
            for incoming in batch {
                match incoming {
                    Incoming::Message(message) => {
                        let Some(applied) = c.apply(message, seen) else {
                            continue;
                        };
                        assigned |= applied.assigned;
                        // The new entry is the last one, or the one before a survey card it
                        // brought.
                        let entry = c
                            .entries
                            .iter()
                            .rev()
                            .take(2)
                            .find(|e| e.key == applied.key);
                        if let Some(entry) = entry {
                            news.push((entry.clone(), applied.notable));
                        }
                    }
                    Incoming::Reset(reset) => c.reset(reset, now),
                }
            }
            (news, assigned)
        });
        let Some((news, assigned)) = outcome else {
            return;
        };
        self.tell_about(&news);
        if assigned {
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
