//! Ratings: the satisfaction survey of an agent session, and useful / not useful on robot answers.
//!
//! A survey answer must name a session that an agent took (in progress or closed; 9200 when it
//! does not exist), and an option of the configured survey: a seed `options` id or an option of
//! the shown style. An option whose `remark_option` is `required` needs a remark (2062). A second
//! answer for the same session replaces the first.
//!
//! A rating must name a robot answer sent to that customer and still in their transcript, with
//! its question_id; small talk (question_id 0) cannot be rated. Rating the same answer again
//! replaces the rating.
//!
//! Both are kept in bounded buffers (the newest [`crate::Retention::records`] each).

use crate::error::ApiError;
use crate::state::{now_text, RatingRecord, SessionState, SurveyRecord};
use crate::Sim;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::survey::{RemarkOption, SurveyRequest};
use udesk_protocol::Content;

impl Sim {
    /// `POST /im_sessions/survey` and `POST /im/sessions/survey`.
    pub(crate) fn submit_survey(&self, req: SurveyRequest) -> Result<(), ApiError> {
        let mut world = self.world();
        let session = world
            .sessions
            .get(&req.im_sub_session_id)
            .ok_or_else(|| ApiError::session_missing(req.im_sub_session_id))?
            .clone();
        let survey = &self.config.survey;
        if !survey.enabled {
            return Err(ApiError::bad("option_id", "surveys are turned off"));
        }
        if matches!(
            session.state,
            SessionState::Queued | SessionState::Assigning
        ) || session.agent_id.is_none()
        {
            return Err(ApiError::bad(
                "im_sub_session_id",
                "no agent has served this session yet",
            ));
        }
        let shown = survey.choice(req.option_id);
        let seed = survey
            .options
            .iter()
            .find(|o| o.enabled && o.id == req.option_id);
        let option_text = match (&shown, seed) {
            (Some(choice), _) => choice.text.clone(),
            (None, Some(option)) => option.text.clone(),
            (None, None) => {
                let valid: Vec<String> =
                    survey.choices().iter().map(|c| c.id.to_string()).collect();
                return Err(ApiError::bad(
                    "option_id",
                    format!(
                        "{} is not an option of this survey (options: {})",
                        req.option_id,
                        valid.join(", ")
                    ),
                ));
            }
        };
        let remark = req
            .remark
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        if shown.is_some_and(|c| c.remark == RemarkOption::Required) && remark.is_none() {
            return Err(ApiError::missing("remark").with_message(format!(
                "缺少参数 remark: option {} requires a remark (missing parameter `remark`)",
                req.option_id
            )));
        }
        world
            .surveys
            .retain(|s| s.im_sub_session_id != req.im_sub_session_id);
        world.surveys.push(SurveyRecord {
            im_sub_session_id: req.im_sub_session_id,
            customer_token: session.customer_token,
            agent_id: session.agent_id,
            option_id: req.option_id,
            option_text,
            remark,
            at: now_text(),
        });
        world.touch();
        Ok(())
    }

    /// `POST /im/robot/evaluations`.
    pub(crate) fn rate_robot_answer(&self, req: RobotEvaluationRequest) -> Result<(), ApiError> {
        let token = crate::api::customer_token(&req.customer_token)?;
        if req.message_id.trim().is_empty() {
            return Err(ApiError::missing("message_id"));
        }
        let mut world = self.world();
        if !world.customers.contains_key(token) {
            return Err(ApiError::unknown_customer(token));
        }
        // The answer as sent, from the customer's transcript (while it is kept there).
        let answered = world
            .transcripts
            .get(token)
            .and_then(|t| {
                t.iter().rev().find_map(|e| match &e.content {
                    Content::RobotAnswer(answer) if e.message_id == req.message_id => {
                        Some(answer.question_id)
                    }
                    _ => None,
                })
            })
            .ok_or_else(|| {
                ApiError::bad(
                    "message_id",
                    format!(
                        "no robot answer {} was sent to this customer (or it is no longer kept)",
                        req.message_id
                    ),
                )
            })?;
        if answered == 0 {
            return Err(ApiError::bad(
                "question_id",
                "small talk (question_id 0) cannot be rated",
            ));
        }
        if answered != req.question_id {
            return Err(ApiError::bad(
                "question_id",
                format!(
                    "answer {} was to question {}, not {}",
                    req.message_id, answered, req.question_id
                ),
            ));
        }
        world.ratings.retain(|r| r.message_id != req.message_id);
        world.ratings.push(RatingRecord {
            customer_token: token.to_owned(),
            message_id: req.message_id,
            question_id: req.question_id,
            useful: req.useful,
            at: now_text(),
        });
        world.touch();
        Ok(())
    }
}
