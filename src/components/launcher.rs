//! The launcher: a round button in a corner that opens and closes the panel, with the unread
//! count as a badge and in its accessible name.

use crate::reactive::*;

use super::icons;
use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::i18n::Texts;

pub fn launcher(chat: Chat, t: &'static Texts) -> El {
    let label = chat.config().launcher_label;
    let badge = el("span")
        .class("badge")
        .testid("unread-badge")
        .attr("aria-hidden", "true")
        .attr("hidden", "");
    let button = el("button")
        .attr("type", "button")
        .class(if label.is_some() {
            "launcher labelled"
        } else {
            "launcher"
        })
        .testid("launcher")
        .attr("aria-haspopup", "dialog")
        .attr("data-action", "toggle")
        .child_opt(
            label
                .as_deref()
                .map(|label| el("span").testid("launcher-label").text(label)),
        )
        .child(badge);
    let element = button.element().clone();
    Effect::new(move |_| {
        let open = chat.open.get();
        let unread = chat.conv.with(|c| c.unread);
        let action = if open { t.close_chat } else { t.open_chat };
        let name = match unread {
            0 => action.to_owned(),
            n => [action, " (", &t.unread_label(n), ")"].concat(),
        };
        let _ = element.set_attribute("aria-label", &name);
        let _ = element.set_attribute("aria-expanded", if open { "true" } else { "false" });
        // The icon says what a click does: open the chat, or close it.
        if let Some(old) = dom::select(&element, "svg") {
            old.remove();
        }
        let icon = dom::markup(if open { icons::CLOSE } else { icons::CHAT });
        let _ = element.prepend_with_node_1(&icon);
        if let Some(badge) = dom::select(&element, ".badge") {
            dom::set_text(&badge, &unread.min(99).to_string());
            dom::set_flag(&badge, "hidden", unread == 0 || open);
        }
    });
    button
}
