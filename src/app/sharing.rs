//! This tab's part in the site's one event stream (see [`crate::tabs`]): leader, follower or
//! alone, and the leader's connection state told to the followers.

use leptos::prelude::*;

use super::{Chat, Connection, Role};
use crate::tabs::Tabs;

impl Chat {
    /// Asks to hold the site's one event stream; until granted, this tab follows the tab that
    /// holds it. Without Web Locks every tab streams by itself.
    pub(super) fn join_tabs(self) {
        let name = self
            .inner
            .with_value(|i| [i.saver.keys().head.as_str(), ":stream"].concat());
        let tabs = Tabs::join(
            &name,
            move || self.lead(),
            move || self.stream_alone(),
            move |news| self.on_tab_news(&news),
        );
        if let Some(tabs) = tabs {
            // The leader answers with its connection state.
            tabs.post("?");
            self.inner.update_value(|i| {
                i.role = Role::Follower;
                i.tabs = Some(tabs);
            });
        }
    }

    /// This tab was granted the stream (the first tab, or the leader went away): it opens the
    /// stream where the saved conversation left off.
    pub(super) fn lead(self) {
        if self.is_unmounted() {
            return;
        }
        self.inner.update_value(|i| i.role = Role::Leader);
        self.connect_stream();
        self.tell_tabs_connection();
    }

    pub(super) fn stream_alone(self) {
        if self.is_unmounted() {
            return;
        }
        self.inner.update_value(|i| {
            i.role = Role::Alone;
            i.tabs = None;
        });
        self.connect_stream();
    }

    /// What other tabs post: `s` + the leader's connection state (its index in
    /// [`Connection::ALL`]), or `?` (a new tab asks the leader for it).
    pub(super) fn on_tab_news(self, news: &str) {
        if self.is_unmounted() {
            return;
        }
        let role = self.role();
        if let (Some(state), Role::Follower) = (news.strip_prefix('s'), role) {
            let known = state
                .parse()
                .ok()
                .and_then(|i: usize| Connection::ALL.get(i));
            if let Some(state) = known {
                self.connection.set(*state);
            }
        } else if news == "?" && role == Role::Leader {
            self.tell_tabs_connection();
        }
    }

    /// Tells the tabs that follow this one the stream's state.
    pub(super) fn tell_tabs_connection(&self) {
        let state = self.connection.get_untracked();
        let index = Connection::ALL.iter().position(|c| *c == state);
        let news = format!("s{}", index.unwrap_or_default());
        self.inner.with_value(|i| {
            if let (Role::Leader, Some(tabs)) = (i.role, &i.tabs) {
                tabs.post(&news);
            }
        });
    }

    /// Sets the stream's state, here and in the tabs that follow this one.
    pub(super) fn set_connection(&self, state: Connection) {
        self.connection.set(state);
        self.tell_tabs_connection();
    }
}
