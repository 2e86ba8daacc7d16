//! A robot answer: the answer (HTML, inert), a "read more" link, suggested questions that send
//! themselves when clicked, and — for knowledge-base answers (question_id ≠ 0) — a one-time
//! "useful / not useful" rating that then shows the choice.
//!
//! Built once per revision like every transcript row (see [`super::messages`]); its buttons'
//! `data-action`s are `ask` and `rate`.

use crate::reactive::{spawn_local, *};
use udesk_protocol::robot::RobotAnswer;
use web_sys::Element;

use super::messages::html_bubble;
use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::i18n::Texts;
use crate::safe_html::is_web_url;

/// The answer, with the rating already given (`rating`), if any.
pub fn answer(answer: &RobotAnswer, rating: Option<bool>, t: &Texts) -> El {
    let html = answer
        .answer
        .as_deref()
        .or(answer.question_title.as_deref())
        .unwrap_or_default();
    let mut seen: Vec<&str> = Vec::new();
    let mut suggestions = el("div").class("suggest").testid("suggestions");
    for title in answer.gus_list.iter().chain(&answer.relate_list) {
        let title = title.question_title.trim();
        if title.is_empty() || seen.contains(&title) {
            continue;
        }
        seen.push(title);
        if seen.len() == 1 {
            suggestions = suggestions.child(el("span").class("label").text(t.suggestions));
        }
        suggestions = suggestions.child(
            el("button")
                .attr("type", "button")
                .class("chip")
                .testid("suggestion")
                .attr("data-action", "ask")
                .text(title),
        );
    }
    let third = answer
        .third_url
        .as_ref()
        .map(|t| t.url.as_str())
        .filter(|u| is_web_url(u))
        .map(|url| {
            el("a")
                .class("third")
                .attr("href", url)
                .attr("target", "_blank")
                .attr("rel", "noopener noreferrer")
                .testid("third-url")
                .text(t.read_more)
        });
    let rate = answer.is_ratable().then(|| {
        let rate = el("div").class("rate").testid("rating");
        match rating {
            Some(useful) => rate.child(
                el("span")
                    .class("done")
                    .testid("rating-done")
                    .attr("data-useful", if useful { "true" } else { "false" })
                    .text(if useful {
                        t.rated_useful
                    } else {
                        t.rated_not_useful
                    }),
            ),
            None => rate
                .child(rate_button("rate-useful", "true", "👍 ", t.useful))
                .child(rate_button("rate-not-useful", "false", "👎 ", t.not_useful)),
        }
    });
    el("div")
        .class("stack")
        .testid("robot-answer")
        .attr("data-question-id", &answer.question_id.to_string())
        .child(html_bubble(html, "", "answer"))
        .child_opt(third)
        .child_opt((!seen.is_empty()).then_some(suggestions))
        .child_opt(rate)
}

fn rate_button(testid: &str, useful: &str, thumb: &str, label: &str) -> El {
    el("button")
        .attr("type", "button")
        .testid(testid)
        .attr("data-action", "rate")
        .attr("data-useful", useful)
        .text(thumb)
        .text(label)
}

/// A click on "useful" or "not useful": rates the answer once. The buttons are disabled while
/// the rating is on its way; once recorded, the entry's new revision shows the choice, and a
/// failure is shown next to the buttons, which can then be used again.
pub fn rate(chat: Chat, button: &Element) {
    let (Ok(Some(row)), Ok(Some(answer)), Some(rating)) = (
        button.closest("[data-key]"),
        button.closest("[data-question-id]"),
        button.parent_element(),
    ) else {
        return;
    };
    let key = row.get_attribute("data-key").unwrap_or_default();
    let question_id = answer
        .get_attribute("data-question-id")
        .and_then(|id| id.parse().ok())
        .unwrap_or_default();
    let useful = button.get_attribute("data-useful").as_deref() == Some("true");
    let Some(message_id) = chat.conv.with_untracked(|c| {
        c.entry(&key)
            .and_then(|e| e.message_id())
            .map(str::to_owned)
    }) else {
        return;
    };
    set_buttons_disabled(&rating, true);
    spawn_local(async move {
        if let Err(message) = chat.rate(key, message_id, question_id, useful).await {
            set_buttons_disabled(&rating, false);
            if let Some(old) = dom::select(&rating, ".failed") {
                old.remove();
            }
            let failed = el("span")
                .class("failed")
                .attr("role", "alert")
                .text(&message);
            let _ = rating.append_child(failed.element());
        }
    });
}

fn set_buttons_disabled(parent: &Element, disabled: bool) {
    for button in dom::select_all(parent, "button") {
        dom::set_flag(&button, "disabled", disabled);
    }
}
