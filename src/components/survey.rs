//! The satisfaction survey card, in the style Udesk asks for: text buttons, emoji faces, or
//! stars. Each option has its own remark rule (hidden, optional, required) and quick tags; the
//! card is submitted once to `/v1/surveys` and then thanks the visitor.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::survey::{RemarkOption, ShowType, SurveyChoice};

use super::chat;
use crate::format::{leading_emoji, survey_face as face};
use crate::state::{Body, Entry, SurveyState};

#[component]
pub fn SurveyCard(entry: Entry) -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let Body::Survey {
        im_sub_session_id,
        options,
        state,
    } = entry.body.clone()
    else {
        return ().into_any();
    };
    let key = entry.key.clone();
    let choices = options.choices();
    let style = options.style();
    let style_name = match &style {
        ShowType::Expression => "expression",
        ShowType::Star => "star",
        _ => "text",
    };
    let title = options.title.clone();
    let remark_placeholder = options.remark.clone();
    let selected = RwSignal::new(
        options
            .default_choice()
            .filter(|id| choices.iter().any(|c| c.id == *id)),
    );
    let remark = RwSignal::new(String::new());
    let tags = RwSignal::new(Vec::<String>::new());
    let sending = RwSignal::new(false);
    let failed = RwSignal::new(false);
    let submitted = RwSignal::new(match state {
        SurveyState::Submitted { option_id } => Some(option_id),
        SurveyState::Open => None,
    });
    let choices = StoredValue::new(choices);
    let chosen = move || {
        selected
            .get()
            .and_then(|id| choices.with_value(|cs| cs.iter().find(|c| c.id == id).cloned()))
    };
    let remark_rule = move || chosen().map_or(RemarkOption::Hide, |c| c.remark);
    let can_submit = move || {
        chosen().is_some()
            && !sending.get()
            && (remark_rule() != RemarkOption::Required
                || !remark.with(|r| r.trim().is_empty())
                || !tags.with(Vec::is_empty))
    };
    let submit = move || {
        let Some(choice) = chosen() else { return };
        if !can_submit() {
            return;
        }
        let mut text = tags.get_untracked().join(", ");
        let typed = remark.get_untracked().trim().to_owned();
        if !typed.is_empty() {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&typed);
        }
        let remark = (choice.remark != RemarkOption::Hide && !text.is_empty()).then_some(text);
        sending.set(true);
        failed.set(false);
        let key = key.clone();
        spawn_local(async move {
            match chat
                .submit_survey(key, im_sub_session_id, choice.id, remark)
                .await
            {
                Ok(()) => submitted.set(Some(choice.id)),
                Err(_) => failed.set(true),
            }
            sending.set(false);
        });
    };
    let count = choices.with_value(Vec::len);
    let option_button = move |index: usize, choice: SurveyChoice| {
        let id = choice.id;
        // One element for the three styles: what differs is its class, glyph and words.
        let (class, glyph, words, label) = match style_name {
            "star" => (
                "star",
                Some("★".to_owned()),
                None,
                t.stars(count - index, &choice.text),
            ),
            "expression" => {
                let (emoji, words) = leading_emoji(&choice.text);
                let glyph = emoji.unwrap_or_else(|| face(count - 1 - index, count));
                (
                    "opt face",
                    Some(glyph.to_owned()),
                    Some(words.to_owned()),
                    choice.text.clone(),
                )
            }
            _ => ("opt", None, Some(choice.text.clone()), choice.text.clone()),
        };
        let lit = move || {
            style_name == "star"
                && selected
                    .get()
                    .and_then(|s| choices.with_value(|cs| cs.iter().position(|c| c.id == s)))
                    .is_some_and(|p| index >= p)
        };
        view! {
            <button
                type="button"
                role="radio"
                class=class
                class:on=lit
                data-testid="survey-option"
                data-option-id=id.to_string()
                aria-checked=move || (selected.get() == Some(id)).to_string()
                aria-label=label
                title=choice.text
                on:click=move |_| selected.set(Some(id))
            >
                {glyph.map(|g| view! { <span aria-hidden="true">{g}</span> })}
                {words.map(|w| view! { <span class="words">{w}</span> })}
            </button>
        }
    };
    let form = move || {
        let mut buttons = choices.with_value(|cs| {
            cs.iter()
                .cloned()
                .enumerate()
                .map(|(i, c)| option_button(i, c))
                .collect::<Vec<_>>()
        });
        // Udesk lists options best first; stars read worst (left) to best (right).
        if style_name == "star" {
            buttons.reverse();
        }
        let title = title.clone();
        let remark_placeholder = remark_placeholder.clone();
        view! {
            <fieldset role="radiogroup" data-testid="survey-options">
                <legend data-testid="survey-title">
                    {title.clone().unwrap_or_else(|| t.survey_title.to_owned())}
                </legend>
                {buttons}
            </fieldset>
            {move || {
                // Stars show no words of their own: name the chosen option under them.
                chosen().and_then(|c| {
                    let words = match (style_name, c.desc) {
                        ("star", Some(desc)) => Some(format!("{} · {desc}", c.text)),
                        ("star", None) => Some(c.text),
                        (_, desc) => desc,
                    };
                    words.map(|d| view! { <p class="desc" data-testid="survey-desc">{d}</p> })
                })
            }}
            {move || {
                let choice = chosen()?;
                (!choice.tags.is_empty()).then(|| {
                    view! {
                        <div class="tags" data-testid="survey-tags">
                            {choice.tags.iter().cloned().map(|tag| {
                                let t = tag.clone();
                                let pressed = move || tags.with(|ts| ts.contains(&t));
                                let t2 = tag.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="chip"
                                        data-testid="survey-tag"
                                        aria-pressed=move || pressed().to_string()
                                        on:click=move |_| tags.update(|ts| {
                                            if let Some(i) = ts.iter().position(|x| x == &t2) { ts.remove(i); } else { ts.push(t2.clone()); }
                                        })
                                    >
                                        {tag}
                                    </button>
                                }
                            }).collect::<Vec<_>>()}
                        </div>
                    }
                })
            }}
            <Show when=move || remark_rule() != RemarkOption::Hide>
                {
                    let placeholder = remark_placeholder.clone();
                    view! {
                        <textarea
                            data-testid="survey-remark"
                            aria-required=move || (remark_rule() == RemarkOption::Required).to_string()
                            aria-label=move || if remark_rule() == RemarkOption::Required { t.survey_remark_required } else { t.survey_remark }
                            placeholder=move || placeholder.clone().unwrap_or_else(|| {
                                if remark_rule() == RemarkOption::Required { t.survey_remark_required } else { t.survey_remark }.to_owned()
                            })
                            prop:value=move || remark.get()
                            on:input=move |e| remark.set(event_target_value(&e))
                        ></textarea>
                    }
                }
            </Show>
            {move || failed.get().then(|| view! { <p class="error" role="alert">{t.survey_failed}</p> })}
            <button
                type="button"
                class="submit"
                data-testid="survey-submit"
                disabled=move || !can_submit()
                on:click={
                    let submit = submit.clone();
                    move |_| submit()
                }
            >
                {t.survey_submit}
            </button>
        }
    };
    view! {
        <section
            class="survey"
            data-testid="survey"
            data-style=style_name
            data-session=im_sub_session_id.to_string()
            aria-label=t.survey_title
        >
            {move || match submitted.get() {
                Some(option_id) => view! {
                    <p class="thanks" role="status" data-testid="survey-thanks" data-option-id=option_id.to_string()>
                        {t.survey_thanks}
                    </p>
                }.into_any(),
                None => form().into_any(),
            }}
        </section>
    }
    .into_any()
}
