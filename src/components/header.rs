//! The panel's header: avatar and name of whoever answers (robot, agent, or the configured
//! title), the state of the conversation, and the actions that fit it.

use crate::reactive::*;

use super::{avatar, icons};
use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::i18n::Texts;
use crate::state::Phase;

pub fn header(chat: Chat, t: &'static Texts) -> El {
    let title = chat.config().title;
    let header = el("header")
        .class("header")
        .testid("header")
        .child(el("span").class("avatar").attr("aria-hidden", "true"))
        .child(
            el("div")
                .class("who")
                .child(
                    el("h2")
                        .class("name")
                        .attr("id", "udesk-title")
                        .testid("header-name"),
                )
                .child(el("div").class("status").testid("header-status")),
        )
        .child(
            el("button")
                .attr("type", "button")
                .class("action")
                .testid("talk-to-person")
                .attr("data-action", "ask-person")
                .attr("hidden", "")
                .text(t.talk_to_person),
        )
        .child(
            el("button")
                .attr("type", "button")
                .class("action")
                .testid("rate-service")
                .attr("aria-label", t.rate_service)
                .attr("data-action", "invite-survey")
                .attr("hidden", "")
                .text(t.rate_short),
        )
        .child(
            el("button")
                .attr("type", "button")
                .class("icon-button")
                .testid("close")
                .attr("aria-label", t.close_chat)
                .attr("data-action", "close")
                .trusted_markup(icons::CLOSE),
        );
    let element = header.element().clone();
    Effect::new(move |_| {
        let busy = chat.busy.get();
        let (name, avatar_url, status, can_ask, can_rate) = chat.conv.with(|c| {
            let s = &c.session;
            let profile = match s.phase {
                Phase::Agent => s.agent.clone(),
                Phase::Robot | Phase::Queued | Phase::Closed => s.robot.clone(),
                Phase::Idle => None,
            }
            .unwrap_or_default();
            let name = profile.name.unwrap_or_else(|| match s.phase {
                Phase::Agent => t.agent.to_owned(),
                _ => title.clone().unwrap_or_else(|| t.default_title.to_owned()),
            });
            let status = match s.phase {
                Phase::Robot => t.robot,
                Phase::Agent => t.agent,
                // The queue banner below gives the position.
                Phase::Queued => t.assigning,
                Phase::Closed => t.event_close,
                Phase::Idle => t.connecting,
            };
            let can_ask = s.can_ask_for_person() && s.phase != Phase::Idle;
            (name, profile.avatar, status, can_ask, s.can_invite_survey())
        });
        if let Some(old) = dom::select(&element, ".avatar") {
            let new = avatar(avatar_url.as_deref(), &name).into_element();
            let same = old.outer_html() == new.outer_html();
            if !same {
                let _ = old.replace_with_with_node_1(&new);
            }
        }
        for (selector, text) in [(".name", name.as_str()), (".status", status)] {
            if let Some(e) = dom::select(&element, selector) {
                dom::set_text(&e, text);
            }
        }
        if let Some(ask) = dom::select(&element, "[data-action=ask-person]") {
            dom::set_flag(&ask, "hidden", !can_ask);
            dom::set_flag(&ask, "disabled", busy);
        }
        if let Some(rate) = dom::select(&element, "[data-action=invite-survey]") {
            dom::set_flag(&rate, "hidden", !can_rate);
        }
    });
    header
}
