//! Agents, groups and the queue: how a customer gets from "I want a person" to a conversation,
//! and how that conversation is transferred and closed.
//!
//! Each group has a FIFO queue. Whenever something frees room (a session closes, an agent comes
//! online, a customer queues), [`Sim::dispatch`] hands the oldest waiting customer of each group to
//! the online member with the most room. The customer is then 分配中 (assigning: `info_appoint` is
//! pushed) for the pick-up delay, then 会话中 (`start_session` is pushed). Closing frees the agent's
//! slot and the queue moves on.

use crate::error::ApiError;
use crate::state::{AgentSession, SessionState, World};
use crate::webhook::sleep_or_stop;
use crate::Sim;
use std::sync::Arc;
use udesk_protocol::content::{CloseType, EventData, EventKind};
use udesk_protocol::session::{
    AgentInfo, AssignInfo, AssignType, CreateSessionRequest, CreateSessionResponse, RobotInfo,
};
use udesk_protocol::survey::SurveyMethodFlag;
use udesk_protocol::{Code, Content, ReplyMessage};

impl Sim {
    /// `POST /im/sessions`.
    pub(crate) fn create_session(
        self: &Arc<Self>,
        req: CreateSessionRequest,
    ) -> Result<CreateSessionResponse, ApiError> {
        let token = crate::api::customer_token(&req.customer_token)?;
        let mut world = self.world();
        world.customer_or_anonymous(token);
        // A customer already on the way to a person, or with one, keeps that session.
        if let Some(session) = world.current_session(token) {
            return Ok(self.session_answer(&world, session.id));
        }
        if req.wants() == AssignType::Robot {
            return Ok(self.robot_session(&mut world, token));
        }
        let (group_id, requested_agent) = self.resolve_target(&world, &req)?;
        let candidates = candidate_agents(&world, group_id, requested_agent);
        if !candidates
            .iter()
            .any(|id| world.agents.get(id).is_some_and(|a| a.online))
        {
            return Ok(CreateSessionResponse {
                code: Code::NO_AGENT,
                message: Some(
                    "当前没有客服在线，请稍后再试或留言。 (No agent is online.)".to_owned(),
                ),
                assign_type: Some(AssignType::Agent),
                assign_info: Some(AssignInfo::Agent(AgentInfo {
                    im_sub_session_id: Some(0),
                    count: Some(0),
                    ..AgentInfo::default()
                })),
            });
        }
        let id = world.new_session_id();
        world.sessions.insert(
            id,
            AgentSession {
                id,
                customer_token: token.to_owned(),
                group_id,
                requested_agent,
                agent_id: None,
                state: SessionState::Queued,
                channel: req.channel.clone(),
                created_at: crate::state::now_text(),
                transferred_from: None,
            },
        );
        if let Some(group) = world.groups.iter_mut().find(|g| g.id == group_id) {
            group.queue.push_back(id);
        }
        let mut from_robot = false;
        if let Some(customer) = world.customers.get_mut(token) {
            customer.current_session = Some(id);
            from_robot = std::mem::take(&mut customer.with_robot);
        }
        world.touch();
        tracing::info!(
            customer = token,
            session = id,
            group = group_id,
            from_robot,
            "customer asks for an agent"
        );
        // The robot hands over before any agent event (dispatch may push info_appoint at once).
        if from_robot {
            let message = self.robot_message(crate::robot::transfer_event(id));
            self.deliver(&mut world, token, AssignType::Robot, vec![message]);
        }
        self.dispatch(&mut world);
        Ok(self.session_answer(&world, id))
    }

    /// The answer for a customer's open agent session, by its state.
    fn session_answer(&self, world: &World, session_id: u64) -> CreateSessionResponse {
        let session = &world.sessions[&session_id];
        let agent = session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .map(|a| &a.config);
        match session.state {
            SessionState::Active | SessionState::Closed(_) => {
                let agent_name = agent.map(|a| a.name.clone());
                CreateSessionResponse {
                    code: Code::SUCCESS,
                    message: Some(format!(
                        "您好，客服{}为您服务。",
                        agent_name.as_deref().unwrap_or_default()
                    )),
                    assign_type: Some(AssignType::Agent),
                    assign_info: Some(AssignInfo::Agent(AgentInfo {
                        im_sub_session_id: Some(session.id),
                        count: Some(0),
                        agent_id: session.agent_id,
                        agent_name,
                        agent_avatar: agent.map(|a| self.avatar_of(a)),
                        survey_options: Some(Box::new(self.config.survey.clone())),
                    })),
                }
            }
            SessionState::Assigning => CreateSessionResponse {
                code: Code::QUEUED,
                message: Some(
                    "正在为您分配客服，请稍候。 (An agent is being assigned.)".to_owned(),
                ),
                assign_type: Some(AssignType::Agent),
                assign_info: Some(AssignInfo::Agent(AgentInfo {
                    im_sub_session_id: Some(0),
                    count: Some(0),
                    ..AgentInfo::default()
                })),
            },
            SessionState::Queued => {
                let position = world.queue_position(session_id);
                CreateSessionResponse {
                    code: Code::QUEUED,
                    message: Some(format!("当前客服正繁忙，您排在第{position}位。")),
                    assign_type: Some(AssignType::Agent),
                    assign_info: Some(AssignInfo::Agent(AgentInfo {
                        im_sub_session_id: Some(0),
                        count: Some(position),
                        ..AgentInfo::default()
                    })),
                }
            }
        }
    }

    fn robot_session(self: &Arc<Self>, world: &mut World, token: &str) -> CreateSessionResponse {
        if let Some(customer) = world.customers.get_mut(token) {
            customer.with_robot = true;
        }
        let robot = &self.config.knowledge_base.robot;
        let welcome = robot.welcome_message.clone();
        let message = self.robot_message(Content::text(welcome.clone()));
        world.record(
            token,
            crate::state::Sender::Robot,
            &message,
            Some(AssignType::Robot),
        );
        CreateSessionResponse {
            code: Code::SUCCESS,
            message: Some(welcome.clone()),
            assign_type: Some(AssignType::Robot),
            assign_info: Some(AssignInfo::Robot(RobotInfo {
                robot_name: robot.name.clone(),
                robot_avatar: Some(self.url("/media/avatar/robot.png")),
                welcome_message: Some(welcome),
                unknow_message: Some(robot.unknow_message.zh.clone()),
            })),
        }
    }

    /// The group to queue in and the agent asked for, per the spec's precedence:
    /// `agent_id` over `group_id` over the default group.
    fn resolve_target(
        &self,
        world: &World,
        req: &CreateSessionRequest,
    ) -> Result<(u64, Option<u64>), ApiError> {
        let default_group = self
            .config
            .default_group()
            .ok_or_else(|| ApiError::bad("group_id", "no group is configured"))?;
        if let Some(agent_id) = req.agent_id {
            if !world.agents.contains_key(&agent_id) {
                return Err(ApiError::bad(
                    "agent_id",
                    format!("no agent with id {agent_id}"),
                ));
            }
            let group = world
                .groups
                .iter()
                .find(|g| g.agent_ids.contains(&agent_id))
                .map_or(default_group, |g| g.id);
            return Ok((group, Some(agent_id)));
        }
        match req.group_id {
            Some(group_id) if world.groups.iter().any(|g| g.id == group_id) => Ok((group_id, None)),
            Some(group_id) => Err(ApiError::bad(
                "group_id",
                format!("no group with id {group_id}"),
            )),
            None => Ok((default_group, None)),
        }
    }

    /// Hands waiting customers to agents with room, oldest first in each group.
    pub(crate) fn dispatch(self: &Arc<Self>, world: &mut World) {
        for g in 0..world.groups.len() {
            let mut k = 0;
            while k < world.groups[g].queue.len() {
                let session_id = world.groups[g].queue[k];
                let (group_id, requested) = match world.sessions.get(&session_id) {
                    Some(s) => (s.group_id, s.requested_agent),
                    None => {
                        world.groups[g].queue.remove(k);
                        continue;
                    }
                };
                let free_agent = candidate_agents(world, group_id, requested)
                    .into_iter()
                    .filter_map(|id| world.agents.get(&id))
                    .filter(|a| a.online && a.has_room())
                    .min_by_key(|a| (a.serving.len(), a.config.id))
                    .map(|a| a.config.id);
                match free_agent {
                    Some(agent_id) => {
                        world.groups[g].queue.remove(k);
                        self.assign(world, session_id, agent_id);
                    }
                    None => k += 1,
                }
            }
        }
    }

    /// Gives a queued session to an agent: 分配中 now, 会话中 after the pick-up delay.
    fn assign(self: &Arc<Self>, world: &mut World, session_id: u64, agent_id: u64) {
        let Some(session) = world.sessions.get_mut(&session_id) else {
            return;
        };
        session.state = SessionState::Assigning;
        session.agent_id = Some(agent_id);
        let token = session.customer_token.clone();
        let Some(agent) = world.agents.get_mut(&agent_id) else {
            return;
        };
        agent.serving.insert(session_id);
        let agent = agent.config.clone();
        world.touch();
        tracing::info!(customer = %token, session = session_id, agent = %agent.name, "assigned");
        let appoint = self.agent_event(
            &agent,
            session_id,
            EventKind::InfoAppoint,
            EventData::with_content(format!(
                "已为您分配客服{}，请稍候。 ({} will be with you shortly.)",
                agent.name, agent.name
            )),
        );
        if self.config.pickup_delay.is_zero() {
            let mut messages = vec![appoint];
            messages.extend(self.begin(world, session_id));
            self.deliver(world, &token, AssignType::Agent, messages);
            return;
        }
        self.deliver(world, &token, AssignType::Agent, vec![appoint]);
        let sim = Arc::clone(self);
        self.tasks.spawn(async move {
            if sleep_or_stop(&sim, sim.config.pickup_delay).await {
                let mut world = sim.world();
                let token = world.sessions.get(&session_id).and_then(|s| {
                    (s.state == SessionState::Assigning).then(|| s.customer_token.clone())
                });
                if let Some(token) = token {
                    let messages = sim.begin(&mut world, session_id);
                    sim.deliver(&mut world, &token, AssignType::Agent, messages);
                }
            }
        });
    }

    /// The agent picks the customer up: 会话中. Returns the `start_session` event (and schedules
    /// a scripted agent's greeting).
    fn begin(self: &Arc<Self>, world: &mut World, session_id: u64) -> Vec<ReplyMessage> {
        let Some(session) = world.sessions.get_mut(&session_id) else {
            return Vec::new();
        };
        session.state = SessionState::Active;
        let Some(agent) = session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .map(|a| a.config.clone())
        else {
            return Vec::new();
        };
        world.touch();
        let start = self.agent_event(
            &agent,
            session_id,
            EventKind::StartSession,
            EventData::with_content(format!(
                "客服{}为您服务。 ({} is now serving you.)",
                agent.name, agent.name
            )),
        );
        if agent.scripted {
            self.schedule_greeting(session_id);
        }
        vec![start]
    }

    /// A person at the console takes a waiting customer, whatever the queue order and capacity.
    pub(crate) fn pick_up(
        self: &Arc<Self>,
        session_id: u64,
        agent_id: u64,
    ) -> Result<(), ApiError> {
        let mut world = self.world();
        let session = open_session(&world, session_id)?.clone();
        if session.state != SessionState::Queued {
            return Err(ApiError::bad(
                "im_sub_session_id",
                "the customer is not waiting in a queue",
            ));
        }
        if !world.agents.contains_key(&agent_id) {
            return Err(ApiError::bad(
                "agent_id",
                format!("no agent with id {agent_id}"),
            ));
        }
        for group in &mut world.groups {
            group.queue.retain(|id| *id != session_id);
        }
        let token = session.customer_token.clone();
        if let Some(session) = world.sessions.get_mut(&session_id) {
            session.state = SessionState::Assigning;
            session.agent_id = Some(agent_id);
        }
        let Some(agent) = world.agents.get_mut(&agent_id) else {
            return Ok(());
        };
        agent.serving.insert(session_id);
        let agent = agent.config.clone();
        let mut messages = vec![self.agent_event(
            &agent,
            session_id,
            EventKind::InfoAppoint,
            EventData::with_content(format!(
                "已为您分配客服{}。 ({} will be with you now.)",
                agent.name, agent.name
            )),
        )];
        messages.extend(self.begin(&mut world, session_id));
        self.deliver(&mut world, &token, AssignType::Agent, messages);
        Ok(())
    }

    /// Closes a session (by the agent or the console): frees the agent, tells the customer with a
    /// `close` event carrying the survey, and lets the queue move.
    pub(crate) fn close_session(
        self: &Arc<Self>,
        world: &mut World,
        session_id: u64,
        close_type: CloseType,
    ) -> Result<(), ApiError> {
        let session = open_session(world, session_id)?.clone();
        for group in &mut world.groups {
            group.queue.retain(|id| *id != session_id);
        }
        if let Some(agent) = session.agent_id.and_then(|id| world.agents.get_mut(&id)) {
            agent.serving.remove(&session_id);
        }
        if let Some(s) = world.sessions.get_mut(&session_id) {
            s.state = SessionState::closed(&close_type);
        }
        world.session_closed(session_id);
        if let Some(customer) = world.customers.get_mut(&session.customer_token) {
            if customer.current_session == Some(session_id) {
                customer.current_session = None;
            }
        }
        world.touch();
        tracing::info!(customer = %session.customer_token, session = session_id, close_type = %close_type, "session closed");
        let survey = &self.config.survey;
        let data = EventData {
            content: Some("会话已结束。 (The conversation has ended.)".to_owned()),
            im_sub_session_id: Some(session_id),
            close_type: Some(close_type),
            survey_options: (session.state == SessionState::Active
                && survey.allows(&SurveyMethodFlag::AfterSession))
            .then(|| Box::new(survey.clone())),
            auto: Some(false),
            ..EventData::default()
        };
        let event = match session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .map(|a| a.config.clone())
        {
            Some(agent) => self.agent_event(&agent, session_id, EventKind::Close, data),
            None => self.system_event(session_id, EventKind::Close, data),
        };
        self.deliver(
            world,
            &session.customer_token,
            AssignType::Agent,
            vec![event],
        );
        self.dispatch(world);
        Ok(())
    }

    /// Transfers an active session to another agent: the old session closes (`redirect`), a new
    /// one starts at once with the new agent, and the customer gets a `transfer` event carrying
    /// the new `im_sub_session_id`. Returns the new id.
    pub(crate) fn transfer(
        self: &Arc<Self>,
        world: &mut World,
        session_id: u64,
        to_agent: u64,
    ) -> Result<u64, ApiError> {
        let session = open_session(world, session_id)?.clone();
        if session.state != SessionState::Active {
            return Err(ApiError::bad(
                "im_sub_session_id",
                "only a session in progress can be transferred",
            ));
        }
        let target = match world.agents.get(&to_agent) {
            Some(a) if a.online => a.config.clone(),
            Some(_) => {
                return Err(ApiError::bad(
                    "agent_id",
                    format!("agent {to_agent} is offline"),
                ))
            }
            None => {
                return Err(ApiError::bad(
                    "agent_id",
                    format!("no agent with id {to_agent}"),
                ))
            }
        };
        let new_id = world.new_session_id();
        let group_id = world
            .groups
            .iter()
            .find(|g| g.agent_ids.contains(&to_agent))
            .map_or(session.group_id, |g| g.id);
        world.sessions.insert(
            new_id,
            AgentSession {
                id: new_id,
                customer_token: session.customer_token.clone(),
                group_id,
                requested_agent: None,
                agent_id: Some(to_agent),
                state: SessionState::Active,
                channel: session.channel.clone(),
                created_at: crate::state::now_text(),
                transferred_from: Some(session_id),
            },
        );
        if let Some(old) = world.sessions.get_mut(&session_id) {
            old.state = SessionState::closed(&CloseType::Redirect);
        }
        world.session_closed(session_id);
        if let Some(agent) = session.agent_id.and_then(|id| world.agents.get_mut(&id)) {
            agent.serving.remove(&session_id);
        }
        if let Some(agent) = world.agents.get_mut(&to_agent) {
            agent.serving.insert(new_id);
        }
        if let Some(customer) = world.customers.get_mut(&session.customer_token) {
            customer.current_session = Some(new_id);
        }
        world.touch();
        tracing::info!(customer = %session.customer_token, from = session_id, to = new_id, agent = %target.name, "transferred");
        let mut event = self.agent_event(
            &target,
            session_id,
            EventKind::Transfer,
            EventData::with_content(format!(
                "您已被转接至客服{}。 (You have been transferred to {}.)",
                target.name, target.name
            )),
        );
        if let Content::Event(_, data) = &mut event.content {
            data.im_sub_session_id = Some(new_id);
        }
        self.deliver(
            world,
            &session.customer_token,
            AssignType::Agent,
            vec![event],
        );
        if target.scripted {
            self.schedule_greeting(new_id);
        }
        self.dispatch(world);
        Ok(new_id)
    }

    /// The agent invites the customer to rate the service (`survey` event).
    pub(crate) fn invite_survey(
        self: &Arc<Self>,
        world: &mut World,
        session_id: u64,
    ) -> Result<(), ApiError> {
        let session = open_session(world, session_id)?.clone();
        let survey = &self.config.survey;
        if !survey.allows(&SurveyMethodFlag::AgentInvite) {
            return Err(ApiError::bad(
                "survey",
                "agent invitations are not enabled in the survey options",
            ));
        }
        let Some(agent) = session
            .agent_id
            .and_then(|id| world.agents.get(&id))
            .filter(|_| session.state == SessionState::Active)
            .map(|a| a.config.clone())
        else {
            return Err(ApiError::bad(
                "im_sub_session_id",
                "only a session in progress can be surveyed",
            ));
        };
        let data = EventData {
            content: Some(
                "客服邀请您对本次服务进行评价。 (Please rate this conversation.)".to_owned(),
            ),
            survey_options: Some(Box::new(survey.clone())),
            ..EventData::default()
        };
        let event = self.agent_event(&agent, session_id, EventKind::Survey, data);
        self.deliver(
            world,
            &session.customer_token,
            AssignType::Agent,
            vec![event],
        );
        Ok(())
    }

    /// Brings an agent online or offline; coming online lets the queue move.
    pub(crate) fn set_agent_online(
        self: &Arc<Self>,
        agent_id: u64,
        online: bool,
    ) -> Result<(), ApiError> {
        let mut world = self.world();
        let agent = world
            .agents
            .get_mut(&agent_id)
            .ok_or_else(|| ApiError::bad("agent_id", format!("no agent with id {agent_id}")))?;
        agent.online = online;
        world.touch();
        self.dispatch(&mut world);
        Ok(())
    }

    /// An event from an agent, stamped like an agent message.
    pub(crate) fn agent_event(
        &self,
        agent: &crate::config::AgentConfig,
        session_id: u64,
        kind: EventKind,
        mut data: EventData,
    ) -> ReplyMessage {
        data.im_sub_session_id.get_or_insert(session_id);
        data.agent_id = Some(agent.id);
        data.agent_name = Some(agent.name.clone());
        data.agent_avatar = Some(self.avatar_of(agent));
        self.agent_message(agent, session_id, Content::Event(kind, data))
    }

    fn system_event(&self, session_id: u64, kind: EventKind, data: EventData) -> ReplyMessage {
        let mut message = ReplyMessage::robot(
            crate::conversation::new_message_id(),
            Content::Event(kind, data),
        );
        message.im_sub_session_id = Some(session_id);
        message.message_created_at = Some(crate::state::now_text());
        message
    }
}

/// The agents that may serve a request: the one asked for, or the group's members.
fn candidate_agents(world: &World, group_id: u64, requested: Option<u64>) -> Vec<u64> {
    match requested {
        Some(agent) => vec![agent],
        None => world
            .groups
            .iter()
            .find(|g| g.id == group_id)
            .map(|g| g.agent_ids.clone())
            .unwrap_or_default(),
    }
}

/// The session, if it exists and is not closed; otherwise 9200.
pub(crate) fn open_session(world: &World, session_id: u64) -> Result<&AgentSession, ApiError> {
    world
        .sessions
        .get(&session_id)
        .filter(|s| s.is_open())
        .ok_or_else(|| ApiError::session_missing(session_id))
}
