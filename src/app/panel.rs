//! The panel: open, close, focus on open, and the language.

use leptos::prelude::*;
use udesk_protocol::reader::value::Object;

use super::Chat;
use crate::browser;
use crate::i18n::Locale;
use crate::state::{Conversation, Phase};

impl Chat {
    /// Opens the panel; `focus` moves keyboard focus into it (not when the page opened it).
    pub fn open_panel(self, focus: bool) {
        if self.open.get_untracked() {
            return;
        }
        self.inner.update_value(|i| i.focus_on_open = focus);
        self.open.set(true);
        self.conv.update(Conversation::mark_read);
        self.emit("open", Object::new().value());
        let (phase, known) = self
            .conv
            .with_untracked(|c| (c.session.phase, c.visitor.is_some()));
        if phase == Phase::Idle || !known {
            self.start();
        } else if phase == Phase::Queued {
            self.poll_queue();
        }
    }

    pub fn close_panel(self) {
        if !self.open.get_untracked() {
            return;
        }
        self.open.set(false);
        self.lightbox.set(None);
        // embed.js gives the focus back to its launcher.
        self.emit("close", Object::new().value());
    }

    pub fn toggle(self) {
        if self.open.get_untracked() {
            self.close_panel();
        } else {
            self.open_panel(true);
        }
    }

    /// Whether the composer should take focus now (once per visitor-initiated open).
    pub fn take_focus_request(&self) -> bool {
        self.inner
            .try_update_value(|i| std::mem::take(&mut i.focus_on_open))
            .unwrap_or(false)
    }

    pub fn set_locale(self, tag: &str) {
        match Locale::parse(tag) {
            Some(locale) => self.locale.set(locale),
            None => browser::warn(&["locale \"", tag, "\" is not supported (zh-CN, en)"].concat()),
        }
    }
}
