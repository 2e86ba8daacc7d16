//! The chat panel: a non-modal dialog with the header, status banners, the transcript, the
//! composer, an image lightbox and a live region that announces new messages.
//!
//! Escape closes the lightbox if one is open, else the panel (focus returns to the launcher);
//! see [`super::mount`]'s key handling.

use crate::reactive::*;
use web_sys::Element;

use super::{composer, header, messages};
use crate::app::{Chat, Connection};
use crate::dom::{self, el, El};
use crate::i18n::Texts;
use crate::state::Phase;

pub fn panel(chat: Chat, t: &'static Texts) -> El {
    let banner = |testid: &str, role: &str| {
        el("div")
            .class("banner")
            .attr("role", role)
            .testid(testid)
            .attr("hidden", "")
    };
    let banners = [
        // Shown while the event stream is down.
        banner("connection-banner", "status").text(t.offline),
        // "You are number N in line" while queued (2001).
        banner("queue-banner", "status").child(el("span").class("grow").testid("queue-position")),
        // 2002: nobody is online; leave a message or keep talking to the robot.
        banner("no-agent-banner", "status")
            .child(el("span").class("grow").text(t.no_agent))
            .child(
                el("button")
                    .attr("type", "button")
                    .testid("keep-with-robot")
                    .attr("data-action", "keep-robot")
                    .text(t.keep_with_robot),
            )
            .child(
                el("button")
                    .attr("type", "button")
                    .testid("try-agent-again")
                    .attr("data-action", "ask-person")
                    .text(t.try_again),
            ),
        banner("error-banner", "alert")
            .child(el("span").class("grow"))
            .child(
                el("button")
                    .attr("type", "button")
                    .attr("aria-label", t.close_chat)
                    .attr("data-action", "dismiss-error")
                    .text("×"),
            ),
    ];
    let mut panel = el("section")
        .class("panel")
        .attr("role", "dialog")
        .attr("aria-modal", "false")
        .attr("aria-labelledby", "udesk-title")
        .testid("panel")
        .child(header::header(chat, t));
    for banner in banners {
        panel = panel.child(banner);
    }
    let panel = panel
        .child(messages::log(chat, t))
        .child(composer::composer(t))
        .child(
            el("div")
                .class("sr-only")
                .attr("aria-live", "polite")
                .attr("aria-atomic", "true")
                .testid("live-region"),
        );
    let element = panel.element().clone();
    let banners = element.clone();
    Effect::new(move |_| show_banners(chat, &banners, t));
    let lightbox = element.clone();
    Effect::new(move |_| show_lightbox(chat, &lightbox, t));
    let live = element;
    Effect::new(move |_| {
        let text = chat.announcement.get();
        if let Some(region) = dom::select(&live, "[data-testid=live-region]") {
            dom::set_text(&region, &text);
        }
    });
    panel
}

/// After the panel is in the page: keyboard focus goes to the message box when the visitor
/// opened it (not when the page did).
pub fn opened(chat: Chat, panel: &Element) {
    if chat.take_focus_request() {
        if let Some(input) = dom::select(panel, "textarea") {
            let _ = wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlElement>(&input).focus();
        }
    }
}

fn show_banners(chat: Chat, panel: &Element, t: &Texts) {
    let banner = |testid: &str| dom::select(panel, &["[data-testid=", testid, "]"].concat());
    let down = matches!(
        chat.connection.get(),
        Connection::Reconnecting | Connection::Offline
    );
    let busy = chat.busy.get();
    let error = chat.error.get();
    let (queued, queue_count, no_agent) = chat.conv.with(|c| {
        (
            c.session.phase == Phase::Queued,
            c.session.queue_count,
            c.session.no_agent,
        )
    });
    if let Some(b) = banner("connection-banner") {
        dom::set_flag(&b, "hidden", !down);
    }
    if let Some(b) = banner("queue-banner") {
        dom::set_flag(&b, "hidden", !queued);
        if let Some(position) = dom::select(&b, ".grow") {
            match queue_count {
                Some(n) => {
                    let _ = position.set_attribute("data-count", &n.to_string());
                    dom::set_text(&position, &t.queue_position(n));
                }
                None => {
                    let _ = position.remove_attribute("data-count");
                    dom::set_text(&position, t.assigning);
                }
            }
        }
    }
    if let Some(b) = banner("no-agent-banner") {
        dom::set_flag(&b, "hidden", !no_agent);
        if let Some(again) = dom::select(&b, "[data-action=ask-person]") {
            dom::set_flag(&again, "disabled", busy);
        }
    }
    if let Some(b) = banner("error-banner") {
        dom::set_flag(&b, "hidden", error.is_none());
        if let (Some(message), Some(text)) = (&error, dom::select(&b, ".grow")) {
            dom::set_text(&text, message);
        }
    }
}

/// The enlarged image; a click or Escape closes it.
fn show_lightbox(chat: Chat, panel: &Element, t: &Texts) {
    let image = chat.lightbox.get();
    if let Some(old) = dom::select(panel, ".lightbox") {
        old.remove();
    }
    if let Some((src, alt)) = image {
        let lightbox = el("button")
            .attr("type", "button")
            .class("lightbox")
            .testid("lightbox")
            .attr("aria-label", t.close_image)
            .attr("data-action", "close-lightbox")
            .child(el("img").attr("src", &src).attr("alt", &alt));
        // Before the live region, where the old panel had it.
        let live = dom::select(panel, "[data-testid=live-region]");
        let _ = panel.insert_before(lightbox.element(), live.as_ref().map(|l| l.as_ref()));
    }
}
