//! Messages: what a customer sends (`POST /im/messages`) and how replies are stamped, recorded in
//! the transcript and handed to the webhook outbox.
//!
//! A message with `im_sub_session_id` 0 or empty goes to the robot, which takes only text
//! (`type: message`). Otherwise it goes to that agent session, which must be the customer's and
//! open (else 9200). `message_id` is required, as today's Udesk requires it, and makes a resend a
//! no-op: the same id from the same customer is accepted once.

use crate::config::AgentConfig;
use crate::error::ApiError;
use crate::state::{Sender, World};
use crate::Sim;
use std::sync::Arc;
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::{AssignType, Content, ReplyMessage};

/// A fresh message id (Udesk's are opaque strings).
pub fn new_message_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Sim {
    /// `POST /im/messages`.
    pub(crate) fn send_message(self: &Arc<Self>, req: SendMessageRequest) -> Result<(), ApiError> {
        let token = crate::api::customer_token(&req.customer_token)?;
        let message_id = req
            .message_id
            .clone()
            .ok_or_else(|| ApiError::missing("message_id"))?;
        let mut world = self.world();
        if !world.customers.contains_key(token) {
            return Err(ApiError::unknown_customer(token));
        }
        match world.message_sender(token, &message_id) {
            Some(sender) if sender == token => return Ok(()),
            Some(_) => {
                return Err(ApiError::bad(
                    "message_id",
                    "already used by another customer (message ids are unique per company)",
                ))
            }
            None => {}
        }
        match req.im_sub_session_id {
            None => self.message_to_robot(&mut world, token, &message_id, &req.content)?,
            Some(session_id) => {
                self.message_to_agent(&mut world, token, &message_id, session_id, &req.content)?
            }
        }
        world.remember_message(message_id, token);
        Ok(())
    }

    fn message_to_robot(
        self: &Arc<Self>,
        world: &mut World,
        token: &str,
        message_id: &str,
        content: &Content,
    ) -> Result<(), ApiError> {
        // Text gets an answer from the knowledge base; a picture, voice note, video or file a
        // canned reply (the robot cannot look at them), which points to a human agent.
        let reply = match content {
            Content::Text(text) => {
                Content::RobotAnswer(crate::robot::answer(&self.config.knowledge_base, &text.content))
            }
            Content::Image(_) | Content::Audio(_) | Content::Video(_) | Content::File(_) => {
                Content::text(crate::robot::media_reply(content.kind()))
            }
            _ => {
                return Err(ApiError::bad(
                    "type",
                    format!(
                        "the robot accepts only type `message` (and image, audio, video, file), not `{}`",
                        content.kind()
                    ),
                ))
            }
        };
        if let Some(customer) = world.customers.get_mut(token) {
            customer.with_robot = true;
        }
        world.record(
            token,
            Sender::Customer,
            &customer_message(message_id, None, content.clone()),
            None,
        );
        let reply = self.robot_message(reply);
        self.deliver(world, token, AssignType::Robot, vec![reply]);
        Ok(())
    }

    fn message_to_agent(
        self: &Arc<Self>,
        world: &mut World,
        token: &str,
        message_id: &str,
        session_id: u64,
        content: &Content,
    ) -> Result<(), ApiError> {
        let session = crate::queue::open_session(world, session_id)
            .ok()
            .filter(|s| s.customer_token == token)
            .ok_or_else(|| ApiError::session_missing(session_id))?;
        let active = session.state == crate::state::SessionState::Active;
        let scripted = session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .is_some_and(|a| a.config.scripted);
        if !is_message(content) {
            return Err(ApiError::bad(
                "type",
                format!(
                    "`{}` cannot be sent by a customer (message, image, audio, video, file, rich, struct)",
                    content.kind()
                ),
            ));
        }
        world.record(
            token,
            Sender::Customer,
            &customer_message(message_id, Some(session_id), content.clone()),
            None,
        );
        if active && scripted {
            self.scripted_agent_hears(world, session_id, content);
        }
        Ok(())
    }

    /// An agent's message in session `session_id`, sent from the console or the scripted agent.
    pub(crate) fn agent_says(
        self: &Arc<Self>,
        world: &mut World,
        session_id: u64,
        content: Content,
    ) -> Result<(), ApiError> {
        let session = crate::queue::open_session(world, session_id)?.clone();
        if !is_message(&content) {
            return Err(ApiError::bad(
                "type",
                format!(
                    "`{}` is an event; use the console's survey, transfer and close actions",
                    content.kind()
                ),
            ));
        }
        let agent = session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .filter(|_| session.state == crate::state::SessionState::Active)
            .map(|a| a.config.clone())
            .ok_or_else(|| {
                ApiError::bad(
                    "im_sub_session_id",
                    "no agent is talking with this customer yet",
                )
            })?;
        let message = self.agent_message(&agent, session_id, content);
        self.deliver(
            world,
            &session.customer_token,
            AssignType::Agent,
            vec![message],
        );
        Ok(())
    }

    /// Records replies in the customer's transcript and queues them for the webhook, in order.
    pub(crate) fn deliver(
        self: &Arc<Self>,
        world: &mut World,
        token: &str,
        assign_type: AssignType,
        messages: Vec<ReplyMessage>,
    ) {
        let from = match assign_type {
            AssignType::Robot => Sender::Robot,
            AssignType::Agent => Sender::Agent,
        };
        for message in &messages {
            world.record(token, from, message, Some(assign_type));
        }
        self.push(token, assign_type, messages);
    }

    /// A message from an agent in a session, stamped with the agent and the time.
    pub(crate) fn agent_message(
        &self,
        agent: &AgentConfig,
        session_id: u64,
        content: Content,
    ) -> ReplyMessage {
        ReplyMessage {
            message_id: new_message_id(),
            agent_id: Some(agent.id),
            agent_name: Some(agent.name.clone()),
            agent_avatar: Some(self.avatar_of(agent)),
            im_sub_session_id: Some(session_id),
            message_created_at: Some(crate::state::now_text()),
            content,
        }
    }

    /// A message from the robot.
    pub(crate) fn robot_message(&self, content: Content) -> ReplyMessage {
        let mut message = ReplyMessage::robot(new_message_id(), content);
        message.message_created_at = Some(crate::state::now_text());
        message
    }

    pub(crate) fn avatar_of(&self, agent: &AgentConfig) -> String {
        agent
            .avatar
            .clone()
            .unwrap_or_else(|| self.url(&format!("/media/avatar/{}.png", agent.id)))
    }
}

/// Whether content is a message a person writes (not an event or a robot answer).
pub fn is_message(content: &Content) -> bool {
    matches!(
        content,
        Content::Text(_)
            | Content::Image(_)
            | Content::Audio(_)
            | Content::Video(_)
            | Content::File(_)
            | Content::Rich(_)
            | Content::Struct(_)
    )
}

/// A customer's message, in the reply shape the transcript stores.
fn customer_message(message_id: &str, session_id: Option<u64>, content: Content) -> ReplyMessage {
    let mut message = ReplyMessage::robot(message_id, content);
    message.im_sub_session_id = session_id;
    message.message_created_at = Some(crate::state::now_text());
    message
}
