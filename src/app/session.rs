//! Sessions: the first one (robot or person), "talk to a person", Udesk's 2001 queue with its
//! polling and 2002 nobody online, and the robot rating and satisfaction survey calls.

use leptos::prelude::*;
use leptos::task::spawn_local;
use udesk_protocol::code::Code;
use udesk_protocol::reader;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
use udesk_protocol::survey::SurveyRequest;
use udesk_protocol::AssignType;

use super::Chat;
use crate::api::{ApiError, Call};
use crate::browser::{self, now_ms, sleep};
use crate::schedule::{QueuePoll, Reconnect};
use crate::state::{Phase, SessionOutcome};

impl Chat {
    /// Visitor, stream and a first session, once.
    pub(super) fn start(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.starting, true));
        if already != Some(false) {
            return;
        }
        spawn_local(async move {
            // The relay may be unreachable for a while: keep trying, with backoff, while the
            // visitor has the panel open.
            let mut backoff = Reconnect::default();
            loop {
                match self.ensure_session().await {
                    Ok(()) => {
                        self.error.set(None);
                        break;
                    }
                    Err(e) => {
                        self.report(&e);
                        if !e.is_transient() {
                            break;
                        }
                    }
                }
                sleep(backoff.next_delay_ms(browser::jitter())).await;
                let idle = self.conv.with_untracked(|c| c.session.phase == Phase::Idle);
                if self.is_unmounted() || !idle || !self.open.get_untracked() {
                    break;
                }
            }
            let _ = self.inner.try_update_value(|i| i.starting = false);
        });
    }

    /// A visitor, its event stream, and a session when there is none (first open) or it ended
    /// (closed by the agent).
    pub(super) async fn ensure_session(self) -> Result<(), ApiError> {
        self.ensure_visitor().await?;
        self.connect_stream();
        let phase = self.conv.with_untracked(|c| c.session.phase);
        if matches!(phase, Phase::Idle | Phase::Closed) {
            let wants = self.config().wants();
            self.create_session(wants).await?;
        }
        Ok(())
    }

    /// "Talk to a person".
    pub fn ask_for_person(self) {
        if self.busy.get_untracked() {
            return;
        }
        self.conv.update(|c| c.dismiss_no_agent());
        spawn_local(async move {
            if let Err(e) = self.create_session(AssignType::Agent).await {
                self.report(&e);
            }
        });
    }

    pub(super) async fn create_session(self, assign: AssignType) -> Result<(), ApiError> {
        let config = self.config();
        let person = assign == AssignType::Agent;
        let request = CreateSessionRequest {
            customer_token: String::new(),
            assign_type: Some(assign),
            agent_id: config.agent_id.filter(|_| person),
            group_id: config.group_id.filter(|_| person),
            channel: config.channel.clone(),
        };
        self.busy.set(true);
        let result = self
            .call(Call::Session(request), reader::create_session_response)
            .await;
        self.busy.set(false);
        let response = match result {
            Ok(response) => response,
            // A relay may report Udesk's 2001/2002 as an error; they are states, not failures.
            Err(e) if matches!(e.udesk_code(), Some(2001) | Some(2002)) => CreateSessionResponse {
                code: Code(e.udesk_code().unwrap_or_default()),
                message: Some(e.message().to_owned()),
                assign_type: Some(assign),
                assign_info: None,
            },
            Err(e) => return Err(e),
        };
        let outcome = self
            .conv
            .try_update(|c| c.session_created(assign, &response, now_ms()));
        match outcome {
            Some(SessionOutcome::Queued) => self.poll_queue(),
            Some(SessionOutcome::Refused(code, message)) => {
                let text = if message.is_empty() {
                    format!("{} ({code})", code.describe())
                } else {
                    message
                };
                self.error.set(Some(text));
            }
            _ => self.error.set(None),
        }
        Ok(())
    }

    /// Polls `/v1/queue_status` while queued and the panel is open.
    pub(super) fn poll_queue(self) {
        let already = self
            .inner
            .try_update_value(|i| std::mem::replace(&mut i.polling, true));
        if already != Some(false) {
            return;
        }
        spawn_local(async move {
            let mut schedule = QueuePoll::default();
            loop {
                sleep(schedule.next_delay_ms()).await;
                let waiting = self
                    .conv
                    .with_untracked(|c| c.session.phase == Phase::Queued);
                if self.is_unmounted() || !waiting || !self.open.get_untracked() {
                    break;
                }
                let result = self
                    .call(Call::QueueStatus, reader::queue_status_response)
                    .await;
                match result {
                    Ok(response) => {
                        schedule.answered(response.count);
                        let go_on = self.conv.try_update(|c| c.queue_status(&response));
                        if go_on != Some(true) {
                            self.sync_assigned_session();
                            break;
                        }
                    }
                    Err(_) => schedule.failed(),
                }
            }
            let _ = self.inner.try_update_value(|i| i.polling = false);
        });
    }

    /// After waiting in the queue, asks for the session once more: Udesk answers an existing
    /// session with its full assign_info (the agent, and the survey options that 2001 lacked).
    /// Known race: if the agent closes the session between the check below and Udesk handling
    /// this request (one round trip after the pick-up), Udesk opens a new session instead.
    pub(super) fn sync_assigned_session(self) {
        let needed = self.conv.with_untracked(|c| {
            c.session.phase == Phase::Agent && c.session.survey_options.is_none()
        });
        if needed {
            spawn_local(async move {
                let _ = self.create_session(AssignType::Agent).await;
            });
        }
    }

    /// Rates a robot answer once; `Err` with a message for people.
    pub async fn rate(
        self,
        key: String,
        message_id: String,
        question_id: i64,
        useful: bool,
    ) -> Result<(), String> {
        let request = RobotEvaluationRequest {
            customer_token: String::new(),
            message_id,
            question_id,
            useful,
        };
        let result = self.call(Call::Rate(request), reader::code_response).await;
        match result {
            Ok(r) if r.code.is_success() => {
                self.conv.update(|c| c.rated(&key, useful));
                Ok(())
            }
            Ok(r) => Err(r.message.unwrap_or_else(|| r.code.describe().to_owned())),
            Err(e) => Err(e.message().to_owned()),
        }
    }

    pub async fn submit_survey(
        self,
        key: String,
        im_sub_session_id: u64,
        option_id: u64,
        remark: Option<String>,
    ) -> Result<(), String> {
        let request = SurveyRequest {
            im_sub_session_id,
            option_id,
            remark,
        };
        let result = self
            .call(Call::Survey(request), reader::code_response)
            .await;
        match result {
            Ok(r) if r.code.is_success() => {
                self.conv.update(|c| c.survey_submitted(&key, option_id));
                Ok(())
            }
            Ok(r) => Err(r.message.unwrap_or_else(|| r.code.describe().to_owned())),
            Err(e) => Err(e.message().to_owned()),
        }
    }

    /// "Rate this conversation" (customer_invite).
    pub fn invite_survey(self) {
        self.conv.update(|c| drop(c.invite_survey(now_ms())));
    }
}
