//! The agent console: a plain HTML/JS page at `/console` (no build step) and the JSON it polls.
//!
//! A person sees waiting, assigned and active customers with their transcripts, picks one up,
//! answers with any message type (text with a font, rich HTML, the bundled image/audio/video/file,
//! a struct card), invites a survey, transfers and closes. Each action says under the customer's
//! name how it went; the transcript follows new messages while the agent is at its bottom and
//! keeps drawn entries, so a playing video is not cut off by the next message. Only customers
//! with something kept (a transcript or a session) are listed. JSON under `/console/api/`:
//!
//! | route | what |
//! |---|---|
//! | `GET /console/api/state` | agents, groups with their queues, customers with their status, media |
//! | `GET /console/api/transcript?customer_token=` | a customer's transcript and sessions |
//! | `POST /console/api/pickup` `{im_sub_session_id, agent_id}` | take a waiting customer |
//! | `POST /console/api/send` `{im_sub_session_id, type, data}` | send as the session's agent |
//! | `POST /console/api/survey` `{im_sub_session_id}` | invite the customer to rate |
//! | `POST /console/api/transfer` `{im_sub_session_id, agent_id}` | transfer to another agent |
//! | `POST /console/api/close` `{im_sub_session_id, close_type?}` | close the session |
//! | `POST /console/api/agents/{id}` `{online}` | bring an agent online or offline |
//!
//! Errors are [`ApiError`] bodies with a 4xx status.

use crate::error::{ApiError, RestJson, RestQuery};
use crate::state::{AgentSession, Sender, SessionState, TranscriptEntry};
use crate::Sim;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use udesk_protocol::code::CodeResponse;
use udesk_protocol::content::CloseType;
use udesk_protocol::status::{CustomerQuery, ImStatus};
use udesk_protocol::Content;

const PAGE: &str = include_str!("console.html");

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/console", get(page))
        .route("/console/api/state", get(state))
        .route("/console/api/transcript", get(transcript))
        .route("/console/api/pickup", post(pick_up))
        .route("/console/api/send", post(send))
        .route("/console/api/survey", post(survey))
        .route("/console/api/transfer", post(transfer))
        .route("/console/api/close", post(close))
        .route("/console/api/agents/{id}", post(set_agent))
}

type Done = Result<Json<CodeResponse>, ApiError>;

fn done(result: Result<(), ApiError>) -> Done {
    result
        .map(|()| Json(CodeResponse::success()))
        .map_err(ApiError::rest)
}

async fn page() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-cache")], Html(PAGE))
}

/// What the console draws.
#[derive(Serialize)]
pub struct ConsoleState {
    pub version: u64,
    pub agents: Vec<AgentView>,
    pub groups: Vec<GroupView>,
    pub customers: Vec<CustomerView>,
    pub media: Vec<MediaView>,
}

#[derive(Serialize)]
pub struct AgentView {
    pub id: u64,
    pub name: String,
    pub avatar: String,
    pub online: bool,
    pub scripted: bool,
    pub capacity: u32,
    pub serving: usize,
    pub im_status: ImStatus,
}

#[derive(Serialize)]
pub struct GroupView {
    pub id: u64,
    pub name: String,
    pub agent_ids: Vec<u64>,
    pub queue: Vec<u64>,
}

#[derive(Serialize)]
pub struct CustomerView {
    pub customer_token: String,
    pub nick_name: String,
    /// `queued`, `assigning`, `active`, `closed` (last session over) or `robot`.
    pub status: &'static str,
    pub im_sub_session_id: Option<u64>,
    pub agent_id: Option<u64>,
    pub group_id: Option<u64>,
    pub queue_position: u32,
    pub messages: usize,
    pub last_at_ms: u64,
    pub last_text: String,
}

#[derive(Serialize)]
pub struct MediaView {
    pub kind: &'static str,
    pub url: String,
    pub filename: &'static str,
    pub filesize: String,
    pub duration: Option<f64>,
}

async fn state(State(sim): State<Arc<Sim>>) -> Json<ConsoleState> {
    let world = sim.world();
    let agents = world
        .agents
        .values()
        .map(|a| AgentView {
            id: a.config.id,
            name: a.config.name.clone(),
            avatar: sim.avatar_of(&a.config),
            online: a.online,
            scripted: a.config.scripted,
            capacity: a.config.capacity,
            serving: a.serving.len(),
            im_status: world.agent_im_status(a),
        })
        .collect();
    let groups = world
        .groups
        .iter()
        .map(|g| GroupView {
            id: g.id,
            name: g.name.clone(),
            agent_ids: g.agent_ids.clone(),
            queue: g.queue.iter().copied().collect(),
        })
        .collect();
    // Each customer's newest session, in one pass (sessions are kept in id order).
    let mut last_sessions: HashMap<&str, &AgentSession> = HashMap::new();
    for session in world.sessions.values() {
        last_sessions.insert(&session.customer_token, session);
    }
    let mut customers: Vec<CustomerView> = world
        .customers
        .values()
        .filter_map(|c| c.token.as_ref().map(|t| (c, t)))
        .filter_map(|(customer, token)| {
            let transcript = world.transcripts.get(token);
            let last_session = last_sessions.get(token.as_str()).copied();
            // Customers with nothing kept to show (idle, transcript forgotten) leave the list.
            if transcript.is_none() && last_session.is_none() {
                return None;
            }
            let last = transcript.and_then(|t| t.last());
            let current = world.current_session(token);
            let status = match current.map(|s| &s.state) {
                Some(SessionState::Queued) => "queued",
                Some(SessionState::Assigning) => "assigning",
                Some(SessionState::Active) => "active",
                _ if last_session.is_some() => "closed",
                _ => "robot",
            };
            let shown = current.or(last_session);
            Some(CustomerView {
                customer_token: token.clone(),
                nick_name: customer.nick_name.clone(),
                status,
                im_sub_session_id: shown.map(|s| s.id),
                agent_id: shown.and_then(|s| s.agent_id),
                group_id: shown.map(|s| s.group_id),
                queue_position: current.map_or(0, |s| world.queue_position(s.id)),
                messages: transcript.map_or(0, |t| t.len()),
                last_at_ms: last.map_or(0, |e| e.at_ms),
                last_text: last.map(summary).unwrap_or_default(),
            })
        })
        .collect();
    let rank = |status: &str| match status {
        "queued" => 0,
        "assigning" => 1,
        "active" => 2,
        "robot" => 3,
        _ => 4,
    };
    customers.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.queue_position.cmp(&b.queue_position))
            .then(b.last_at_ms.cmp(&a.last_at_ms))
    });
    let media = ["image", "audio", "video", "file"]
        .into_iter()
        .map(|kind| {
            let item = sim.media.demo(kind);
            MediaView {
                kind,
                url: sim.url(&item.path),
                filename: item.filename,
                filesize: crate::demo_agent::human_size(item.bytes.len()),
                duration: item.duration_secs,
            }
        })
        .collect();
    Json(ConsoleState {
        version: world.version,
        agents,
        groups,
        customers,
        media,
    })
}

/// One line describing a transcript entry, for the customer list.
fn summary(entry: &TranscriptEntry) -> String {
    let who = match entry.from {
        Sender::Customer => "",
        Sender::Robot => "🤖 ",
        Sender::Agent => "↩ ",
    };
    let what = match &entry.content {
        Content::Text(t) => t.content.chars().take(60).collect(),
        Content::RobotAnswer(a) => a
            .answer
            .as_deref()
            .unwrap_or_default()
            .chars()
            .take(60)
            .collect(),
        Content::Event(kind, data) => match &data.content {
            Some(text) => format!(
                "[{}] {}",
                kind.as_str(),
                text.chars().take(60).collect::<String>()
            ),
            None => format!("[{}]", kind.as_str()),
        },
        other => format!("[{}]", other.kind()),
    };
    format!("{who}{what}")
}

#[derive(Serialize)]
struct TranscriptView {
    customer_token: String,
    entries: Vec<TranscriptEntry>,
    sessions: Vec<AgentSession>,
}

async fn transcript(
    State(sim): State<Arc<Sim>>,
    RestQuery(query): RestQuery<CustomerQuery>,
) -> Result<Json<TranscriptView>, ApiError> {
    if query.customer_token.is_empty() {
        return Err(ApiError::missing("customer_token").rest());
    }
    let world = sim.world();
    Ok(Json(TranscriptView {
        entries: world
            .transcripts
            .get(&query.customer_token)
            .map(|t| t.to_vec())
            .unwrap_or_default(),
        sessions: world
            .sessions
            .values()
            .filter(|s| s.customer_token == query.customer_token)
            .cloned()
            .collect(),
        customer_token: query.customer_token,
    }))
}

#[derive(Deserialize)]
struct SessionAction {
    #[serde(deserialize_with = "id")]
    im_sub_session_id: u64,
    #[serde(default)]
    agent_id: Option<u64>,
    #[serde(default)]
    close_type: Option<String>,
}

fn id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .ok_or_else(|| D::Error::custom("expected a positive integer")),
        serde_json::Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom("expected a positive integer")),
        _ => Err(D::Error::custom("expected a positive integer")),
    }
}

async fn pick_up(State(sim): State<Arc<Sim>>, RestJson(req): RestJson<SessionAction>) -> Done {
    let agent_id = req
        .agent_id
        .ok_or_else(|| ApiError::missing("agent_id").rest())?;
    done(sim.pick_up(req.im_sub_session_id, agent_id))
}

#[derive(Deserialize)]
struct SendRequest {
    #[serde(deserialize_with = "id")]
    im_sub_session_id: u64,
    #[serde(rename = "type", default = "text_kind")]
    kind: String,
    data: serde_json::Value,
}

fn text_kind() -> String {
    "message".to_owned()
}

async fn send(State(sim): State<Arc<Sim>>, RestJson(req): RestJson<SendRequest>) -> Done {
    let content = Content::from_parts(&req.kind, req.data).map_err(|e| ApiError::from(e).rest())?;
    let mut world = sim.world();
    done(sim.agent_says(&mut world, req.im_sub_session_id, content))
}

async fn survey(State(sim): State<Arc<Sim>>, RestJson(req): RestJson<SessionAction>) -> Done {
    let mut world = sim.world();
    done(sim.invite_survey(&mut world, req.im_sub_session_id))
}

async fn transfer(State(sim): State<Arc<Sim>>, RestJson(req): RestJson<SessionAction>) -> Done {
    let agent_id = req
        .agent_id
        .ok_or_else(|| ApiError::missing("agent_id").rest())?;
    let mut world = sim.world();
    done(
        sim.transfer(&mut world, req.im_sub_session_id, agent_id)
            .map(drop),
    )
}

async fn close(State(sim): State<Arc<Sim>>, RestJson(req): RestJson<SessionAction>) -> Done {
    let close_type = req
        .close_type
        .as_deref()
        .map_or(CloseType::Normal, CloseType::from);
    let mut world = sim.world();
    done(sim.close_session(&mut world, req.im_sub_session_id, close_type))
}

#[derive(Deserialize)]
pub(crate) struct AgentPresence {
    online: bool,
}

/// `POST /console/api/agents/{id}` and `POST /admin/agents/{id}`.
pub(crate) async fn set_agent(
    State(sim): State<Arc<Sim>>,
    Path(agent_id): Path<u64>,
    RestJson(req): RestJson<AgentPresence>,
) -> Done {
    done(sim.set_agent_online(agent_id, req.online))
}
