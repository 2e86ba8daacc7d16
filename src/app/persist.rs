//! Persistence: the conversation saved to `localStorage` after this tab's changes, and merged
//! from what the other tabs of the site save (see [`crate::state::Conversation::merge`]).
//!
//! Saves are debounced: the changes of one task (a batch of stream events, a send) and of the
//! tasks of the next [`SAVE_DELAY_MS`] are saved once, and at once when the page goes away
//! (`pagehide`) or the widget unmounts. A save writes the head and the entries that are new or
//! changed ([`saved::Saver`]), a large one spread over tasks; the other tabs read the head and
//! only the entries they lack.

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

use super::Chat;
use crate::browser::{self, now_ms};
use crate::saved::{self, Writes};
use crate::state::Entry;

/// How long changes gather before they are saved: about one frame.
const SAVE_DELAY_MS: i32 = 16;

/// The most entries written to `localStorage` in one task.
const WRITES_PER_TASK: usize = 50;

/// How long to wait before reading an entry again that another tab's head names but storage
/// does not hold yet.
const MISSING_ENTRY_RETRY_MS: i32 = 50;

impl Chat {
    /// Saves after every change of this tab's (debounced), and when the page goes away.
    pub(super) fn install_saving(self) {
        Effect::new(move |_| {
            self.conv.track();
            self.schedule_save();
        });
        let on_pagehide = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            self.save_now();
            self.write_some(usize::MAX);
        });
        let _ = browser::window()
            .add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref());
        self.inner.update_value(|i| i.pagehide = Some(on_pagehide));
    }

    fn schedule_save(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.save_scheduled, true));
        if already == Some(false) {
            browser::set_timeout(SAVE_DELAY_MS, move || self.save_now());
        }
    }

    /// Saves what changed since the last save, if anything. A merge of another tab's save is
    /// no change of this tab's (it is saved by the merge itself, with that tab's time): a
    /// newer time would pass a stale session off as the newest.
    pub(super) fn save_now(self) {
        let now = now_ms();
        let writes = self
            .inner
            .try_update_value(|i| {
                i.save_scheduled = false;
                self.conv
                    .try_with_untracked(|c| i.saver.save(c, now))
                    .flatten()
            })
            .flatten();
        if let Some(writes) = writes {
            self.write(writes);
            // Not a change to show: no signal update (that would save again).
            self.conv.update_untracked(|c| c.saved_at = now);
        }
    }

    /// Queues a save's writes and writes the first of them now: the entries, then the head (so
    /// that a tab that reads the head finds its entries), then the removals. A large save (the
    /// window after a long replay) is written [`WRITES_PER_TASK`] entries per task.
    fn write(self, writes: Writes) {
        let _ = self.inner.try_update_value(|i| {
            i.unwritten.extend(writes.entries);
            if writes.head.is_some() {
                i.unwritten_head = writes.head;
            }
            i.unwritten_removals.extend(writes.removed);
        });
        self.write_some(WRITES_PER_TASK);
    }

    /// Writes up to `count` queued entries, and the head and removals once no entry is left;
    /// schedules the rest.
    pub(super) fn write_some(self, count: usize) {
        let Some((entries, done)) = self.inner.try_update_value(|i| {
            let rest = i.unwritten.split_off(i.unwritten.len().min(count));
            let entries = std::mem::replace(&mut i.unwritten, rest);
            let head = if i.unwritten.is_empty() {
                i.unwritten_head
                    .take()
                    .map(|h| (i.saver.keys().head.clone(), h))
            } else {
                None
            };
            let removals = if i.unwritten.is_empty() {
                std::mem::take(&mut i.unwritten_removals)
            } else {
                Vec::new()
            };
            let more = !i.unwritten.is_empty();
            let schedule = more && !std::mem::replace(&mut i.writing, true);
            if !more {
                i.writing = false;
            }
            (entries, (head, removals, schedule))
        }) else {
            return;
        };
        for (key, json) in &entries {
            browser::storage_set(key, json);
        }
        let (head, removals, schedule) = done;
        if let Some((key, head)) = head {
            browser::storage_set(&key, &head);
        }
        for key in &removals {
            browser::storage_remove(key);
        }
        if schedule {
            browser::set_timeout(0, move || {
                let _ = self.inner.try_update_value(|i| i.writing = false);
                self.write_some(WRITES_PER_TASK);
            });
        }
    }

    /// Follows the conversation in other tabs of the same site: each saves to localStorage, and
    /// the others merge the head in, reading only the entries they lack.
    pub(super) fn follow_other_tabs(self) {
        let key = self.inner.with_value(|i| i.saver.keys().head.clone());
        let listener = Closure::<dyn FnMut(web_sys::StorageEvent)>::new(
            move |event: web_sys::StorageEvent| {
                if event.key().as_deref() != Some(key.as_str()) || self.is_unmounted() {
                    return;
                }
                self.merge_saved(&event.new_value().unwrap_or_default(), true);
            },
        );
        let _ = browser::window()
            .add_event_listener_with_callback("storage", listener.as_ref().unchecked_ref());
        self.inner.update_value(|i| i.other_tabs = Some(listener));
    }

    /// Merges another tab's save (its head, `theirs`); `retry`: read the head once more if an
    /// entry it names is not in storage yet.
    fn merge_saved(self, theirs: &str, retry: bool) {
        let Some(head) = saved::read_head(theirs) else {
            return;
        };
        let keys = self.inner.with_value(|i| i.saver.keys().clone());
        let token_before = self.token();
        let inline = head.entries;
        let mut read: Vec<(String, u32)> = Vec::new();
        let mut missing = false;
        let entry_of = |key: &str| -> Option<Entry> {
            let entry = match &inline {
                Some(entries) => entries.iter().find(|e| e.key == key).cloned(),
                None => browser::storage_get(&keys.entry(key)).and_then(|t| saved::read_entry(&t)),
            };
            match &entry {
                Some(e) if inline.is_none() => read.push((e.key.clone(), e.rev)),
                Some(_) => {}
                None => missing = true,
            }
            entry
        };
        let Some(merged) = self
            .conv
            .try_update_untracked(|c| c.merge(head.outline, entry_of))
        else {
            return;
        };
        if missing && retry {
            // Storage may not show every entry of a head at once: read the head again soon.
            browser::set_timeout(MISSING_ENTRY_RETRY_MS, move || {
                let head = self.inner.try_with_value(|i| i.saver.keys().head.clone());
                if let Some(text) = head.and_then(|key| browser::storage_get(&key)) {
                    if !self.is_unmounted() {
                        self.merge_saved(&text, false);
                    }
                }
            });
        }
        if !merged.changed {
            return;
        }
        // What this tab adds is saved with the time of the newer session, so that the saved
        // conversation is the union of the tabs'.
        let writes = self
            .inner
            .try_update_value(|i| {
                self.conv
                    .try_with_untracked(|c| i.saver.merged(c, theirs, &read))
            })
            .flatten();
        if let Some(writes) = writes {
            self.write(writes);
        }
        self.conv.notify();
        // Replies that another tab's stream brought first (always, in a follower).
        self.tell_about(&merged.news);
        if self.token() != token_before {
            self.connect_stream();
        }
    }
}
