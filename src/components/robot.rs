//! A robot answer: the answer (HTML, inert), a "read more" link, suggested questions that send
//! themselves when clicked, and — for knowledge-base answers (question_id ≠ 0) — a one-time
//! "useful / not useful" rating that then shows the choice.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::robot::RobotAnswer;

use super::chat;
use super::messages::html_bubble;
use crate::safe_html::is_web_url;

#[component]
pub fn RobotAnswerView(
    /// The transcript entry's key (where the rating is recorded).
    key: String,
    /// The answer's message id (what the rating refers to).
    message_id: String,
    answer: RobotAnswer,
    /// The rating already given, if any.
    rating: Option<bool>,
) -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let html = answer
        .answer
        .clone()
        .or_else(|| answer.question_title.clone())
        .unwrap_or_default();
    let mut seen = Vec::new();
    let suggestions: Vec<String> = answer
        .gus_list
        .iter()
        .chain(answer.relate_list.iter())
        .map(|s| s.question_title.trim().to_owned())
        .filter(|t| {
            !t.is_empty() && !seen.contains(t) && {
                seen.push(t.clone());
                true
            }
        })
        .collect();
    let third = answer
        .third_url
        .as_ref()
        .map(|t| t.url.clone())
        .filter(|u| is_web_url(u));
    let ratable = answer.is_ratable();
    let question_id = answer.question_id;
    let rated = RwSignal::new(rating);
    let sending = RwSignal::new(false);
    let failed = RwSignal::new(None::<String>);
    let rate = move |useful: bool| {
        if sending.get_untracked() || rated.get_untracked().is_some() {
            return;
        }
        sending.set(true);
        let (key, message_id) = (key.clone(), message_id.clone());
        spawn_local(async move {
            match chat.rate(key, message_id, question_id, useful).await {
                Ok(()) => rated.set(Some(useful)),
                Err(message) => failed.set(Some(message)),
            }
            sending.set(false);
        });
    };
    let rate_yes = rate.clone();
    view! {
        <div class="stack" data-testid="robot-answer" data-question-id=question_id.to_string()>
            {html_bubble(html, None, "answer")}
            {third.map(|url| view! {
                <a class="third" href=url target="_blank" rel="noopener noreferrer" data-testid="third-url">
                    {t.read_more}
                </a>
            })}
            {(!suggestions.is_empty()).then(|| view! {
                <div class="suggest" data-testid="suggestions">
                    <span class="label">{t.suggestions}</span>
                    {suggestions.into_iter().map(|title| {
                        let text = title.clone();
                        view! {
                            <button type="button" class="chip" data-testid="suggestion" on:click=move |_| chat.send_text(text.clone())>
                                {title}
                            </button>
                        }
                    }).collect::<Vec<_>>()}
                </div>
            })}
            {ratable.then(|| view! {
                <div class="rate" data-testid="rating">
                    {move || match rated.get() {
                        Some(useful) => view! {
                            <span class="done" data-testid="rating-done" data-useful=useful.to_string()>
                                {if useful { t.rated_useful } else { t.rated_not_useful }}
                            </span>
                        }.into_any(),
                        None => {
                            let (yes, no) = (rate_yes.clone(), rate.clone());
                            view! {
                                <button type="button" data-testid="rate-useful" disabled=move || sending.get() on:click=move |_| yes(true)>
                                    "👍 " {t.useful}
                                </button>
                                <button type="button" data-testid="rate-not-useful" disabled=move || sending.get() on:click=move |_| no(false)>
                                    "👎 " {t.not_useful}
                                </button>
                            }.into_any()
                        }
                    }}
                    {move || failed.get().map(|m| view! { <span class="failed" role="alert">{m}</span> })}
                </div>
            })}
        </div>
    }
}
