//! The satisfaction survey card, in the style Udesk asks for: text buttons, emoji faces, or
//! stars. Each option has its own remark rule (hidden, optional, required) and quick tags; the
//! card is submitted once to `/v1/surveys` and then thanks the visitor.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::survey::{RemarkOption, ShowType, SurveyChoice, SurveyOptions};

use crate::app::Chat;
use crate::format::{leading_emoji, survey_face as face};
use crate::i18n::Texts;

/// The card: the form, or the thanks once an answer is recorded (the entry's next revision).
#[component]
pub fn SurveyCard(
    chat: Chat,
    t: &'static Texts,
    /// The transcript entry's key (where the answer is recorded).
    key: String,
    /// The session it rates.
    im_sub_session_id: u64,
    options: SurveyOptions,
    /// The option chosen, once submitted.
    submitted: Option<u64>,
) -> impl IntoView {
    let style = match options.style() {
        ShowType::Expression => "expression",
        ShowType::Star => "star",
        _ => "text",
    };
    let content = match submitted {
        Some(option_id) => Either::Left(view! {
            <p class="thanks" role="status" data-testid="survey-thanks" data-option-id=option_id.to_string()>
                {t.survey_thanks}
            </p>
        }),
        None => Either::Right(view! { <SurveyForm chat t key im_sub_session_id options style/> }),
    };
    view! {
        <section
            class="survey"
            data-testid="survey"
            data-style=style
            data-session=im_sub_session_id.to_string()
            aria-label=t.survey_title
        >
            {content}
        </section>
    }
}

/// The options, the chosen option's description and tags, the remark box when its rule asks for
/// one, and the submit button. The parts are always there; what the chosen option does not use
/// is `hidden`.
#[component]
fn SurveyForm(
    chat: Chat,
    t: &'static Texts,
    key: String,
    im_sub_session_id: u64,
    options: SurveyOptions,
    style: &'static str,
) -> impl IntoView {
    let star = style == "star";
    let choices = options.choices();
    let count = choices.len();
    let preselected = options
        .default_choice()
        .and_then(|id| choices.iter().position(|c| c.id == id));
    // The chosen option, by its position in `choices`.
    let chosen = RwSignal::new(preselected);
    let choices = StoredValue::new(choices);
    let choice = move || chosen.get().map(|p| choices.with_value(|cs| cs[p].clone()));
    let remark = RwSignal::new(String::new());
    // Pressed tags, by name: a tag of the same name stays pressed when the option changes.
    let tags = RwSignal::new(Vec::<String>::new());
    let sending = RwSignal::new(false);
    let failed = RwSignal::new(false);

    let rule = move || choice().map_or(RemarkOption::Hide, |c| c.remark);
    let required = move || rule() == RemarkOption::Required;
    let offered = move || choice().map(|c| c.tags).unwrap_or_default();
    // The pressed tags the chosen option offers.
    let pressed = move || -> Vec<String> {
        let offered = offered();
        tags.with(|pressed| {
            offered
                .into_iter()
                .filter(|tag| pressed.contains(tag))
                .collect()
        })
    };
    let can_submit = move || {
        chosen.get().is_some()
            && !sending.get()
            && (!required() || !remark.with(|r| r.trim().is_empty()) || !pressed().is_empty())
    };
    let key = StoredValue::new(key);
    let submit = move |_| {
        let Some(choice) = untrack(choice) else {
            return;
        };
        if !can_submit() {
            return;
        }
        let mut text = pressed().join(", ");
        let typed = remark.get_untracked();
        let typed = typed.trim();
        if !typed.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(typed);
        }
        let remark = (choice.remark != RemarkOption::Hide && !text.is_empty()).then_some(text);
        sending.set(true);
        failed.set(false);
        let key = key.get_value();
        spawn_local(async move {
            let result = chat
                .submit_survey(key, im_sub_session_id, choice.id, remark)
                .await;
            failed.set(result.is_err());
            sending.set(false);
        });
    };

    let mut buttons = choices.with_value(|cs| {
        cs.iter()
            .enumerate()
            .map(|(index, choice)| {
                view! { <OptionButton t choice=choice.clone() index count style chosen/> }
            })
            .collect::<Vec<_>>()
    });
    // Udesk lists options best first; stars read worst (left) to best (right).
    if star {
        buttons.reverse();
    }
    // Stars show no words of their own: name the chosen option under them.
    let description = move || {
        choice().and_then(|c| match (star, c.desc) {
            (true, Some(desc)) => Some([c.text.as_str(), " · ", &desc].concat()),
            (true, None) => Some(c.text),
            (false, desc) => desc,
        })
    };
    let label = move || {
        if required() {
            t.survey_remark_required
        } else {
            t.survey_remark
        }
    };
    let placeholder = options.remark.clone();
    view! {
        <fieldset role="radiogroup" data-testid="survey-options">
            <legend data-testid="survey-title">
                {options.title.clone().unwrap_or_else(|| t.survey_title.to_owned())}
            </legend>
            {buttons}
        </fieldset>
        <p class="desc" data-testid="survey-desc" hidden=move || description().is_none()>
            {move || description().unwrap_or_default()}
        </p>
        <div class="tags" data-testid="survey-tags" hidden=move || offered().is_empty()>
            {move || offered().into_iter().map(|tag| view! { <TagChip tag tags/> }).collect_view()}
        </div>
        <textarea
            data-testid="survey-remark"
            hidden=move || rule() == RemarkOption::Hide
            aria-required=move || if required() { "true" } else { "false" }
            aria-label=label
            placeholder=move || placeholder.clone().unwrap_or_else(|| label().to_owned())
            on:input=move |e| remark.set(event_target_value(&e))
        ></textarea>
        <p class="error" role="alert" hidden=move || !failed.get()>
            {t.survey_failed}
        </p>
        <button
            type="button"
            class="submit"
            data-testid="survey-submit"
            disabled=move || !can_submit()
            on:click=submit
        >
            {t.survey_submit}
        </button>
    }
}

/// One option: the same button for the three styles; what differs is its class, glyph and words.
#[component]
fn OptionButton(
    t: &'static Texts,
    choice: SurveyChoice,
    /// Its position in Udesk's order (best first).
    index: usize,
    count: usize,
    style: &'static str,
    chosen: RwSignal<Option<usize>>,
) -> impl IntoView {
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
            (
                "opt face",
                Some(glyph),
                Some(words.to_owned()),
                choice.text.clone(),
            )
        }
        _ => ("opt", None, Some(choice.text.clone()), choice.text.clone()),
    };
    let glyph = glyph.map(str::to_owned);
    // A star is lit when it is the chosen one or a better one (stars are in Udesk's order).
    let lit = move || style == "star" && chosen.get().is_some_and(|p| index >= p);
    view! {
        <button
            type="button"
            role="radio"
            class=move || if lit() { "star on" } else { class }
            data-testid="survey-option"
            data-option-id=choice.id.to_string()
            aria-checked=move || if chosen.get() == Some(index) { "true" } else { "false" }
            aria-label=label
            title=choice.text
            on:click=move |_| chosen.set(Some(index))
        >
            {glyph.map(|g| view! { <span aria-hidden="true">{g}</span> })}
            {words.map(|w| view! { <span class="words">{w}</span> })}
        </button>
    }
}

/// A quick tag of the chosen option; pressing it again releases it.
#[component]
fn TagChip(tag: String, tags: RwSignal<Vec<String>>) -> impl IntoView {
    let name = StoredValue::new(tag.clone());
    let pressed = move || name.with_value(|n| tags.with(|ts| ts.contains(n)));
    view! {
        <button
            type="button"
            class="chip"
            data-testid="survey-tag"
            aria-pressed=move || if pressed() { "true" } else { "false" }
            on:click=move |_| {
                let name = name.get_value();
                tags.update(|ts| match ts.iter().position(|x| *x == name) {
                    Some(i) => drop(ts.remove(i)),
                    None => ts.push(name),
                })
            }
        >
            {tag}
        </button>
    }
}
