//! The panel's header: avatar and name of whoever answers (robot, agent, or the configured
//! title), the state of the conversation, and the actions that fit it.

use leptos::prelude::*;

use super::{chat, icons, Avatar};
use crate::state::Phase;

#[component]
pub fn Header() -> impl IntoView {
    let chat = chat();
    let t = chat.texts_untracked();
    let title = chat.config().title;
    let who = Memo::new(move |_| {
        let texts = t;
        chat.conv.with(|c| {
            let s = &c.session;
            let profile = match s.phase {
                Phase::Agent => s.agent.clone(),
                Phase::Robot | Phase::Queued | Phase::Closed => s.robot.clone(),
                Phase::Idle => None,
            }
            .unwrap_or_default();
            let fallback = title
                .clone()
                .unwrap_or_else(|| texts.default_title.to_owned());
            let name = profile.name.unwrap_or(match s.phase {
                Phase::Agent => texts.agent.to_owned(),
                _ => fallback,
            });
            let status = match s.phase {
                Phase::Robot => texts.robot.to_owned(),
                Phase::Agent => texts.agent.to_owned(),
                // The queue banner below gives the position.
                Phase::Queued => texts.assigning.to_owned(),
                Phase::Closed => texts.event_close.to_owned(),
                Phase::Idle => texts.connecting.to_owned(),
            };
            (name, profile.avatar, status)
        })
    });
    let can_ask = move || {
        chat.conv
            .with(|c| c.session.can_ask_for_person() && c.session.phase != Phase::Idle)
    };
    let can_rate = move || chat.conv.with(|c| c.session.can_invite_survey());
    view! {
        <header class="header" data-testid="header">
            {move || {
                let (name, avatar, _) = who.get();
                view! { <Avatar url=avatar name=name/> }
            }}
            <div class="who">
                <h2 class="name" id="udesk-title" data-testid="header-name">{move || who.get().0}</h2>
                <div class="status" data-testid="header-status">{move || who.get().2}</div>
            </div>
            <Show when=can_ask>
                <button
                    type="button"
                    class="action"
                    data-testid="talk-to-person"
                    disabled=move || chat.busy.get()
                    on:click=move |_| chat.ask_for_person()
                >
                    {t.talk_to_person}
                </button>
            </Show>
            <Show when=can_rate>
                <button
                    type="button"
                    class="action"
                    data-testid="rate-service"
                    aria-label=t.rate_service
                    on:click=move |_| chat.invite_survey()
                >
                    {t.rate_short}
                </button>
            </Show>
            <button
                type="button"
                class="icon-button"
                data-testid="close"
                aria-label=t.close_chat
                on:click=move |_| chat.close_panel()
            >
                {icons::close()}
            </button>
        </header>
    }
}
