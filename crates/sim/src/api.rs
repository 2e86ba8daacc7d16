//! The Udesk API handlers: parse with the protocol types, call the world, answer with the
//! protocol types. Served under `/im/...` and `/open_api_v1/im/...` behind the signature check.

use crate::error::{ApiError, UdeskJson, UdeskQuery};
use crate::state::now_text;
use crate::Sim;
use axum::extract::State;
use axum::Json;
use std::sync::Arc;
use udesk_protocol::code::CodeResponse;
use udesk_protocol::customer::{
    is_valid_customer_token, CreateCustomerRequest, CreateCustomerResponse, CustomerRecord,
};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
use udesk_protocol::status::{
    AgentPresence, AgentStatusQuery, AgentStatusResponse, CustomerQuery, CustomerStatusResponse,
    QueueStatus, QueueStatusResponse,
};
use udesk_protocol::survey::SurveyRequest;
use udesk_protocol::Code;

type Answer<T> = Result<Json<T>, ApiError>;

/// The customer_token of a request: present (2062) and well formed (2005).
pub fn customer_token(token: &str) -> Result<&str, ApiError> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::missing("customer_token"));
    }
    if !is_valid_customer_token(token) {
        return Err(ApiError::bad(
            "customer_token",
            "use 1–64 letters, digits and underscores",
        ));
    }
    Ok(token)
}

/// `POST /im/sessions`.
pub async fn create_session(
    State(sim): State<Arc<Sim>>,
    UdeskJson(req): UdeskJson<CreateSessionRequest>,
) -> Answer<CreateSessionResponse> {
    sim.create_session(req).map(Json)
}

/// `POST /im/messages`.
pub async fn send_message(
    State(sim): State<Arc<Sim>>,
    UdeskJson(req): UdeskJson<SendMessageRequest>,
) -> Answer<CodeResponse> {
    sim.send_message(req)?;
    Ok(Json(CodeResponse::success()))
}

/// `POST /im_sessions/survey` (seed) and `POST /im/sessions/survey` (today).
pub async fn submit_survey(
    State(sim): State<Arc<Sim>>,
    UdeskJson(req): UdeskJson<SurveyRequest>,
) -> Answer<CodeResponse> {
    sim.submit_survey(req)?;
    Ok(Json(CodeResponse::success()))
}

/// `POST /im/robot/evaluations` (the simulator's path: the spec gives none).
pub async fn rate_robot_answer(
    State(sim): State<Arc<Sim>>,
    UdeskJson(req): UdeskJson<RobotEvaluationRequest>,
) -> Answer<CodeResponse> {
    sim.rate_robot_answer(req)?;
    Ok(Json(CodeResponse::success()))
}

/// `GET /im/queue_status?customer_token=…`.
pub async fn queue_status(
    State(sim): State<Arc<Sim>>,
    UdeskQuery(query): UdeskQuery<CustomerQuery>,
) -> Answer<QueueStatusResponse> {
    let token = customer_token(&query.customer_token)?;
    let world = sim.world();
    if !world.customers.contains_key(token) {
        return Err(ApiError::unknown_customer(token));
    }
    let (status, count) = world.queue_status(token);
    Ok(Json(QueueStatusResponse {
        code: Code::SUCCESS,
        status: Some(status),
        count: Some(count),
        message: None,
    }))
}

/// `GET /im/customer_status?customer_token=…`: 0 no session, 1 in session, 2 queued (or being
/// assigned), 3 unknown customer.
pub async fn customer_status(
    State(sim): State<Arc<Sim>>,
    UdeskQuery(query): UdeskQuery<CustomerQuery>,
) -> Answer<CustomerStatusResponse> {
    let token = customer_token(&query.customer_token)?;
    let world = sim.world();
    let status = if !world.customers.contains_key(token) {
        3
    } else {
        match world.queue_status(token).0 {
            QueueStatus::InSession => 1,
            QueueStatus::Queueing | QueueStatus::Assigning => 2,
            _ => 0,
        }
    };
    Ok(Json(CustomerStatusResponse {
        code: Code::SUCCESS,
        status: Some(status),
        message: None,
    }))
}

/// `GET /im/agent_status?group_id=…`: every agent, or a group's.
pub async fn agent_status(
    State(sim): State<Arc<Sim>>,
    UdeskQuery(query): UdeskQuery<AgentStatusQuery>,
) -> Answer<AgentStatusResponse> {
    let world = sim.world();
    let ids: Vec<u64> = match query.group_id {
        None => world.agents.keys().copied().collect(),
        Some(group_id) => world
            .groups
            .iter()
            .find(|g| g.id == group_id)
            .map(|g| g.agent_ids.clone())
            .ok_or_else(|| ApiError::bad("group_id", format!("no group with id {group_id}")))?,
    };
    let agents = ids
        .iter()
        .filter_map(|id| world.agents.get(id))
        .map(|agent| AgentPresence {
            id: agent.config.id,
            name: agent.config.name.clone(),
            nick: agent.config.nick.clone(),
            avatar: Some(sim.avatar_of(&agent.config)),
            im_status: world.agent_im_status(agent),
        })
        .collect();
    Ok(Json(AgentStatusResponse {
        code: Code::SUCCESS,
        agents,
        message: None,
    }))
}

/// `POST /open_api_v1/customers`. A customer whose `open_api_token` already exists (e.g. the
/// anonymous customer a session created) is updated with the given fields and returned, so that
/// creating the customer for a visitor is safe to repeat.
pub async fn create_customer(
    State(sim): State<Arc<Sim>>,
    UdeskJson(req): UdeskJson<CreateCustomerRequest>,
) -> Answer<CreateCustomerResponse> {
    let fields = req.customer;
    let token = match fields.open_api_token.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(token) if is_valid_customer_token(token) => Some(token.to_owned()),
        Some(_) => {
            return Err(ApiError::bad(
                "customer.open_api_token",
                "use 1–64 letters, digits and underscores",
            ))
        }
    };
    let given = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let nick_name = given(&fields.nick_name);
    let email = given(&fields.email);
    if let Some(email) = &email {
        if !email.contains('@') {
            return Err(ApiError::bad("customer.email", "not an e-mail address"));
        }
    }
    if let Some(level) = given(&fields.level) {
        if level != "normal" && level != "vip" {
            return Err(ApiError::bad("customer.level", "use `normal` or `vip`"));
        }
    }
    if nick_name.is_none() && email.is_none() && fields.cellphones.is_empty() && token.is_none() {
        return Err(ApiError::missing("customer.nick_name"));
    }
    let tags: Vec<String> = req
        .tags
        .unwrap_or_default()
        .split([',', '，'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let mut world = sim.world();
    let record = match &token {
        Some(token) => {
            let customer = world.customer_or_anonymous(token);
            if let Some(nick) = nick_name {
                customer.nick_name = nick;
            }
            customer.email = email.or(customer.email.take());
            customer.level = given(&fields.level).or(customer.level.take());
            customer.tags.extend(tags);
            customer.anonymous = false;
            customer.clone()
        }
        None => {
            let id = world.new_customer_id();
            let customer = crate::state::Customer {
                id,
                token: None,
                nick_name: nick_name
                    .or_else(|| email.clone())
                    .unwrap_or_else(|| format!("客户{id}")),
                email,
                level: given(&fields.level),
                tags,
                anonymous: false,
                created_at: now_text(),
                current_session: None,
                with_robot: false,
            };
            world.tokenless_customers.push(customer.clone());
            customer
        }
    };
    world.touch();
    Ok(Json(CreateCustomerResponse {
        code: Code::SUCCESS,
        message: None,
        customer: Some(CustomerRecord {
            id: record.id,
            nick_name: Some(record.nick_name),
            email: record.email,
            open_api_token: record.token,
            level: record.level,
        }),
    }))
}
