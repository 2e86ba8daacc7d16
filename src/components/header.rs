//! The panel's header: avatar and name of whoever answers (robot, agent, or the configured
//! title), the state of the conversation, and the actions that fit it.

use leptos::prelude::*;

use super::{icons, Avatar};
use crate::app::Chat;
use crate::i18n::Texts;
use crate::state::Phase;

#[component]
pub fn Header(chat: Chat, t: &'static Texts) -> impl IntoView {
    // The name to show while nobody has one.
    let title = StoredValue::new(
        chat.config()
            .title
            .unwrap_or_else(|| t.default_title.to_owned()),
    );
    // Who answers: (name, avatar, status).
    let who = move || {
        chat.conv.with(|c| {
            let s = &c.session;
            let profile = match s.phase {
                Phase::Agent => s.agent.clone(),
                Phase::Robot | Phase::Queued | Phase::Closed => s.robot.clone(),
                Phase::Idle => None,
            }
            .unwrap_or_default();
            let name = profile.name.unwrap_or_else(|| match s.phase {
                Phase::Agent => t.agent.to_owned(),
                _ => title.get_value(),
            });
            let status = match s.phase {
                Phase::Robot => t.robot,
                Phase::Agent => t.agent,
                // The queue banner below gives the position.
                Phase::Queued => t.assigning,
                Phase::Closed => t.event_close,
                Phase::Idle => t.connecting,
            };
            (name, profile.avatar, status)
        })
    };
    let can_ask = move || {
        chat.conv
            .with(|c| c.session.can_ask_for_person() && c.session.phase != Phase::Idle)
    };
    let can_rate = move || chat.conv.with(|c| c.session.can_invite_survey());
    view! {
        <header class="header" data-testid="header">
            {move || {
                let (name, avatar, _) = who();
                view! { <Avatar url=avatar name/> }
            }}
            <div class="who">
                <h2 class="name" id="udesk-title" data-testid="header-name">
                    {move || who().0}
                </h2>
                <div class="status" data-testid="header-status">
                    {move || who().2}
                </div>
            </div>
            <button
                    type="button"
                    class="action"
                    data-testid="talk-to-person"
                    hidden=move || !can_ask()
                    disabled=move || chat.busy.get()
                    on:click=move |_| chat.ask_for_person()
                >
                    {t.talk_to_person}
                </button>
                <button
                    type="button"
                    class="action"
                    data-testid="rate-service"
                    hidden=move || !can_rate()
                    aria-label=t.rate_service
                    on:click=move |_| chat.invite_survey()
                >
                    {t.rate_short}
                </button>
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
