//! The satisfaction survey card, in the style Udesk asks for: text buttons, emoji faces, or
//! stars. Each option has its own remark rule (hidden, optional, required) and quick tags; the
//! card is submitted once to `/v1/surveys` and then thanks the visitor.
//!
//! Built once per revision like every transcript row (see [`super::messages`]). While the visitor
//! answers, the card's own elements hold the answer (the checked option, the pressed tags, the
//! remark box); after each click or keystroke [`show_choice`] or [`update_submit`] bring the rest
//! in line (lit stars, description, tags, the remark's rule, whether it can be sent). A recorded
//! answer gives the entry a new revision, which shows the thanks.

use crate::reactive::{spawn_local, *};
use udesk_protocol::survey::{RemarkOption, ShowType, SurveyChoice, SurveyOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlTextAreaElement};

use crate::app::Chat;
use crate::dom::{self, el, El};
use crate::format::{leading_emoji, survey_face as face};
use crate::i18n::Texts;
use crate::state::{Body, Entry, SurveyState};

fn style_name(options: &SurveyOptions) -> &'static str {
    match options.style() {
        ShowType::Expression => "expression",
        ShowType::Star => "star",
        _ => "text",
    }
}

/// The card of a survey entry.
pub fn card(entry: &Entry, t: &Texts) -> El {
    let Body::Survey {
        im_sub_session_id,
        options,
        state,
    } = &entry.body
    else {
        return el("section");
    };
    let style = style_name(options);
    let section = el("section")
        .class("survey")
        .testid("survey")
        .attr("data-style", style)
        .attr("data-session", &im_sub_session_id.to_string())
        .attr("data-entry", &entry.key)
        .attr("aria-label", t.survey_title);
    if let SurveyState::Submitted { option_id } = state {
        return section.child(
            el("p")
                .class("thanks")
                .attr("role", "status")
                .testid("survey-thanks")
                .attr("data-option-id", &option_id.to_string())
                .text(t.survey_thanks),
        );
    }
    let choices = options.choices();
    let count = choices.len();
    let mut buttons: Vec<El> = choices
        .iter()
        .enumerate()
        .map(|(index, choice)| option_button(index, choice, count, style, t))
        .collect();
    // Udesk lists options best first; stars read worst (left) to best (right).
    if style == "star" {
        buttons.reverse();
    }
    let mut fieldset = el("fieldset")
        .attr("role", "radiogroup")
        .testid("survey-options")
        .child(
            el("legend")
                .testid("survey-title")
                .text(options.title.as_deref().unwrap_or(t.survey_title)),
        );
    for button in buttons {
        fieldset = fieldset.child(button);
    }
    let card = section
        .child(fieldset)
        .child(
            el("p")
                .class("desc")
                .testid("survey-desc")
                .attr("hidden", ""),
        )
        .child(
            el("div")
                .class("tags")
                .testid("survey-tags")
                .attr("hidden", ""),
        )
        .child(el("textarea").testid("survey-remark").attr("hidden", ""))
        .child(
            el("p")
                .class("error")
                .attr("role", "alert")
                .attr("hidden", "")
                .text(t.survey_failed),
        )
        .child(
            el("button")
                .attr("type", "button")
                .class("submit")
                .testid("survey-submit")
                .attr("data-action", "survey-submit")
                .text(t.survey_submit),
        );
    let preselected = options
        .default_choice()
        .filter(|id| choices.iter().any(|c| c.id == *id));
    show_choice(card.element(), options, preselected, t);
    card
}

/// One option: the same element for the three styles; what differs is its class, glyph and words.
fn option_button(index: usize, choice: &SurveyChoice, count: usize, style: &str, t: &Texts) -> El {
    let (class, glyph, words, label) = match style {
        "star" => (
            "star",
            Some("★"),
            None,
            t.stars(count - index, &choice.text),
        ),
        "expression" => {
            let (emoji, words) = leading_emoji(&choice.text);
            let glyph = emoji.unwrap_or_else(|| face(count - 1 - index, count));
            ("opt face", Some(glyph), Some(words), choice.text.clone())
        }
        _ => ("opt", None, Some(choice.text.as_str()), choice.text.clone()),
    };
    el("button")
        .attr("type", "button")
        .attr("role", "radio")
        .class(class)
        .testid("survey-option")
        .attr("data-action", "survey-option")
        .attr("data-option-id", &choice.id.to_string())
        .attr("data-index", &index.to_string())
        .attr("aria-checked", "false")
        .attr("aria-label", &label)
        .attr("title", &choice.text)
        .child_opt(glyph.map(|g| el("span").attr("aria-hidden", "true").text(g)))
        .child_opt(words.map(|w| el("span").class("words").text(w)))
}

/// The survey of the card `card` (from its entry) and the session it rates.
fn entry_of(chat: Chat, card: &Element) -> Option<(SurveyOptions, u64)> {
    let key = card.get_attribute("data-entry")?;
    chat.conv.with_untracked(|c| match &c.entry(&key)?.body {
        Body::Survey {
            options,
            im_sub_session_id,
            ..
        } => Some((options.clone(), *im_sub_session_id)),
        _ => None,
    })
}

/// The checked option's id.
fn selected(card: &Element) -> Option<u64> {
    dom::select(card, "[aria-checked=true]")?
        .get_attribute("data-option-id")?
        .parse()
        .ok()
}

fn chosen(card: &Element, options: &SurveyOptions) -> Option<SurveyChoice> {
    options.choice(selected(card)?)
}

/// A click on an option, a tag or the submit button of a card.
pub fn on_click(chat: Chat, target: &Element, action: &str) {
    let Some(card) = target.closest(".survey").ok().flatten() else {
        return;
    };
    let Some((options, im_sub_session_id)) = entry_of(chat, &card) else {
        return;
    };
    match action {
        "survey-option" => {
            let id = target
                .get_attribute("data-option-id")
                .and_then(|id| id.parse().ok());
            show_choice(&card, &options, id, chat.texts_untracked());
        }
        "survey-tag" => {
            let pressed = target.get_attribute("aria-pressed").as_deref() == Some("true");
            let _ = target.set_attribute("aria-pressed", if pressed { "false" } else { "true" });
            update_submit(&card, &options);
        }
        "survey-submit" => submit(chat, card, &options, im_sub_session_id),
        _ => {}
    }
}

/// Typing in a remark box.
pub fn on_input(chat: Chat, event: &web_sys::Event) {
    if let Some(card) = dom::closest(event, ".survey") {
        if let Some((options, _)) = entry_of(chat, &card) {
            update_submit(&card, &options);
        }
    }
}

/// Checks option `id` and shows what comes with it: the lit stars, its description, its tags
/// (a tag of the same name stays pressed) and its remark rule.
fn show_choice(card: &Element, options: &SurveyOptions, id: Option<u64>, t: &Texts) {
    let choices = options.choices();
    let position = id.and_then(|id| choices.iter().position(|c| c.id == id));
    let star = style_name(options) == "star";
    for button in dom::select_all(card, "[data-action=survey-option]") {
        let index: Option<usize> = button
            .get_attribute("data-index")
            .and_then(|i| i.parse().ok());
        let checked = index.is_some() && index == position;
        let _ = button.set_attribute("aria-checked", if checked { "true" } else { "false" });
        if star {
            let lit = matches!((index, position), (Some(i), Some(p)) if i >= p);
            button.set_class_name(if lit { "star on" } else { "star" });
        }
    }
    let choice = position.map(|p| &choices[p]);

    // Stars show no words of their own: name the chosen option under them.
    let words = choice.and_then(|c| match (star, &c.desc) {
        (true, Some(desc)) => Some([c.text.as_str(), " · ", desc].concat()),
        (true, None) => Some(c.text.clone()),
        (false, desc) => desc.clone(),
    });
    if let Some(desc) = dom::select(card, ".desc") {
        desc.set_text_content(words.as_deref());
        dom::set_flag(&desc, "hidden", words.is_none());
    }

    if let Some(tags) = dom::select(card, ".tags") {
        let pressed: Vec<String> = dom::select_all(&tags, "[aria-pressed=true]")
            .iter()
            .filter_map(|tag| tag.text_content())
            .collect();
        tags.set_text_content(None);
        let offered = choice.map_or(&[][..], |c| &c.tags[..]);
        for tag in offered {
            let chip = el("button")
                .attr("type", "button")
                .class("chip")
                .testid("survey-tag")
                .attr("data-action", "survey-tag")
                .attr(
                    "aria-pressed",
                    if pressed.contains(tag) {
                        "true"
                    } else {
                        "false"
                    },
                )
                .text(tag);
            let _ = tags.append_child(chip.element());
        }
        dom::set_flag(&tags, "hidden", offered.is_empty());
    }

    if let Some(remark) = dom::select(card, "textarea") {
        let rule = choice.map_or(RemarkOption::Hide, |c| c.remark.clone());
        let required = rule == RemarkOption::Required;
        let label = if required {
            t.survey_remark_required
        } else {
            t.survey_remark
        };
        dom::set_flag(&remark, "hidden", rule == RemarkOption::Hide);
        let _ = remark.set_attribute("aria-required", if required { "true" } else { "false" });
        let _ = remark.set_attribute("aria-label", label);
        let _ = remark.set_attribute("placeholder", options.remark.as_deref().unwrap_or(label));
    }
    update_submit(card, options);
}

/// The remark the visitor typed.
fn typed_remark(card: &Element) -> String {
    dom::select(card, "textarea")
        .map(|t| t.unchecked_into::<HtmlTextAreaElement>().value())
        .unwrap_or_default()
}

fn pressed_tags(card: &Element) -> Vec<String> {
    dom::select_all(card, ".tags [aria-pressed=true]")
        .iter()
        .filter_map(|tag| tag.text_content())
        .collect()
}

/// Whether the card can be sent: an option is checked, nothing is on its way, and a required
/// remark is given (a pressed tag counts).
fn can_submit(card: &Element, options: &SurveyOptions) -> bool {
    let Some(choice) = chosen(card, options) else {
        return false;
    };
    !card.has_attribute("data-sending")
        && (choice.remark != RemarkOption::Required
            || !typed_remark(card).trim().is_empty()
            || !pressed_tags(card).is_empty())
}

fn update_submit(card: &Element, options: &SurveyOptions) {
    if let Some(submit) = dom::select(card, ".submit") {
        dom::set_flag(&submit, "disabled", !can_submit(card, options));
    }
}

fn submit(chat: Chat, card: Element, options: &SurveyOptions, im_sub_session_id: u64) {
    let (Some(choice), true) = (chosen(&card, options), can_submit(&card, options)) else {
        return;
    };
    let Some(key) = card.get_attribute("data-entry") else {
        return;
    };
    let mut text = pressed_tags(&card).join(", ");
    let typed = typed_remark(&card);
    let typed = typed.trim();
    if !typed.is_empty() {
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(typed);
    }
    let remark = (choice.remark != RemarkOption::Hide && !text.is_empty()).then_some(text);
    let _ = card.set_attribute("data-sending", "");
    let error = dom::select(&card, ".error");
    if let Some(error) = &error {
        dom::set_flag(error, "hidden", true);
    }
    update_submit(&card, options);
    let options = options.clone();
    spawn_local(async move {
        let result = chat
            .submit_survey(key, im_sub_session_id, choice.id, remark)
            .await;
        if result.is_err() {
            let _ = card.remove_attribute("data-sending");
            if let Some(error) = &error {
                dom::set_flag(error, "hidden", false);
            }
            update_submit(&card, &options);
        }
    });
}
