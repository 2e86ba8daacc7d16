//! Persistence: the conversation saved to `localStorage` on every change, and merged from what
//! the other tabs of the site save (see [`crate::state::Conversation::merge`]).

use leptos::prelude::*;

use super::Chat;
use crate::browser::{self, now_ms};
use crate::saved;

impl Chat {
    /// Saves the conversation on every change of this tab's.
    pub(super) fn install_saving(self) {
        let key = self.inner.with_value(|i| i.storage_key.clone());
        Effect::new(move |_| {
            // Saved already (a merge of another tab's save): not a change of this tab's, so not
            // stamped with a newer time, which would pass a stale session off as the newest.
            let unchanged = self.conv.with(|c| saved::to_json(c, c.saved_at));
            if self.inner.with_value(|i| i.last_saved == unchanged) {
                return;
            }
            let now = now_ms();
            let json = self.conv.with(|c| saved::to_json(c, now));
            browser::storage_set(&key, &json);
            // Not a change to show: no signal update (that would save again).
            self.conv.update_untracked(|c| c.saved_at = now);
            self.inner.update_value(|i| i.last_saved = json);
        });
    }

    /// Follows the conversation in other tabs of the same site: each saves to localStorage, and
    /// the others merge it in (see [`crate::state::Conversation::merge`]).
    pub(super) fn follow_other_tabs(self) {
        use wasm_bindgen::JsCast;
        let key = self.inner.with_value(|i| i.storage_key.clone());
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::StorageEvent)>::new(
            move |event: web_sys::StorageEvent| {
                if event.key().as_deref() != Some(key.as_str()) || self.is_unmounted() {
                    return;
                }
                let saved = event.new_value().unwrap_or_default();
                let Some(other) = saved::from_json(&saved) else {
                    return;
                };
                let token_before = self.token();
                let mut merged = self.conv.get_untracked();
                if merged.merge(other) {
                    // What this tab adds is saved with the time of the newer session, so that
                    // the saved conversation is the union of the tabs' (see the saving effect).
                    let json = saved::to_json(&merged, merged.saved_at);
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
}
