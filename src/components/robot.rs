//! A robot answer: the answer (HTML, inert), a "read more" link, suggested questions that send
//! themselves when clicked, and — for knowledge-base answers (question_id ≠ 0) — a one-time
//! "useful / not useful" rating that then shows the choice.

use leptos::either::Either;
use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::robot::RobotAnswer;

use super::messages::html;
use crate::app::Chat;
use crate::i18n::Texts;
use crate::safe_html::is_web_url;

#[component]
pub fn RobotAnswerView(
    chat: Chat,
    t: &'static Texts,
    /// The transcript entry's key (where the rating is recorded).
    key: String,
    /// The answer's message id (what the rating refers to).
    message_id: String,
    answer: RobotAnswer,
    /// The rating already given, if any.
    rating: Option<bool>,
) -> impl IntoView {
    let text = answer
        .answer
        .clone()
        .or_else(|| answer.question_title.clone())
        .unwrap_or_default();
    let mut suggestions: Vec<String> = Vec::new();
    for title in answer.gus_list.iter().chain(&answer.relate_list) {
        let title = title.question_title.trim();
        if !title.is_empty() && !suggestions.iter().any(|s| s == title) {
            suggestions.push(title.to_owned());
        }
    }
    let third = answer
        .third_url
        .as_ref()
        .map(|t| t.url.clone())
        .filter(|u| is_web_url(u));
    let ratable = answer.is_ratable();
    let question_id = answer.question_id;
    view! {
        <div class="stack" data-testid="robot-answer" data-question-id=question_id.to_string()>
            <div class="bubble html" data-testid="answer" use:html=text></div>
            {third.map(|url| view! {
                <a class="third" href=url target="_blank" rel="noopener noreferrer" data-testid="third-url">
                    {t.read_more}
                </a>
            })}
            {(!suggestions.is_empty()).then(|| view! { <Suggestions chat t titles=suggestions/> })}
            {ratable.then(|| view! { <Rating chat t key message_id question_id rating/> })}
        </div>
    }
}

/// Suggested questions; a click asks it.
#[component]
fn Suggestions(chat: Chat, t: &'static Texts, titles: Vec<String>) -> impl IntoView {
    view! {
        <div class="suggest" data-testid="suggestions">
            <span class="label">{t.suggestions}</span>
            {titles
                .into_iter()
                .map(|title| {
                    let text = title.clone();
                    view! {
                        <button
                            type="button"
                            class="chip"
                            data-testid="suggestion"
                            on:click=move |_| chat.send_text(text.clone())
                        >
                            {title}
                        </button>
                    }
                })
                .collect_view()}
        </div>
    }
}

/// "Useful / not useful", once. The buttons are disabled while the rating is on its way; once
/// recorded, the entry's new revision shows the choice; a failure is shown next to the buttons,
/// which can then be used again.
#[component]
fn Rating(
    chat: Chat,
    t: &'static Texts,
    key: String,
    message_id: String,
    question_id: i64,
    rating: Option<bool>,
) -> impl IntoView {
    let sending = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let (key, message_id) = (StoredValue::new(key), StoredValue::new(message_id));
    let rate = move |useful: bool| {
        if sending.get_untracked() {
            return;
        }
        sending.set(true);
        failed.set(None);
        let (key, message_id) = (key.get_value(), message_id.get_value());
        spawn_local(async move {
            if let Err(message) = chat.rate(key, message_id, question_id, useful).await {
                failed.set(Some(message));
            }
            sending.set(false);
        });
    };
    let choice = match rating {
        Some(useful) => Either::Left(view! {
            <span class="done" data-testid="rating-done" data-useful=if useful { "true" } else { "false" }>
                {if useful { t.rated_useful } else { t.rated_not_useful }}
            </span>
        }),
        None => Either::Right(view! {
            <button
                type="button"
                data-testid="rate-useful"
                disabled=move || sending.get()
                on:click=move |_| rate(true)
            >
                "👍 " {t.useful}
            </button>
            <button
                type="button"
                data-testid="rate-not-useful"
                disabled=move || sending.get()
                on:click=move |_| rate(false)
            >
                "👎 " {t.not_useful}
            </button>
        }),
    };
    view! {
        <div class="rate" data-testid="rating">
            {choice}
            <span class="failed" role="alert" hidden=move || failed.with(Option::is_none)>
                {move || failed.get().unwrap_or_default()}
            </span>
        </div>
    }
}
