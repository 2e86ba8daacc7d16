//! The simulator's world: customers, agent sessions, agents and their queues, transcripts, and
//! the records tests inspect (surveys, ratings). Plain data behind one mutex in [`crate::Sim`];
//! the operations that change it live with their role (`queue`, `conversation`, `survey`).
//! Every record is bounded by [`Retention`] (see [`Ring`]).

use crate::config::{AgentConfig, Retention, SimConfig};
use crate::ring::Ring;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};
use udesk_protocol::content::CloseType;
use udesk_protocol::status::{ImStatus, QueueStatus};
use udesk_protocol::{AssignType, Content, ReplyMessage};

/// Everything that changes while the simulator runs.
pub struct World {
    /// By customer_token (= the Open API `open_api_token`).
    pub customers: BTreeMap<String, Customer>,
    /// Open API customers created without an `open_api_token`: they exist, but IM cannot reach
    /// them. The newest [`Retention::records`].
    pub tokenless_customers: Ring<Customer>,
    /// Open and closed agent sessions; only the newest [`Retention::records`] closed ones stay.
    pub sessions: BTreeMap<u64, AgentSession>,
    /// Closed sessions, oldest first: the oldest leaves `sessions` when this is full.
    closed_sessions: Ring<u64>,
    pub agents: BTreeMap<u64, Agent>,
    pub groups: Vec<Group>,
    /// By customer_token, oldest first: the newest [`Retention::transcript_messages`] each,
    /// dropped when the customer has been idle for [`Retention::idle_transcript`].
    pub transcripts: HashMap<String, Ring<TranscriptEntry>>,
    pub surveys: Ring<SurveyRecord>,
    pub ratings: Ring<RatingRecord>,
    /// Customer message ids already accepted, with their customer: a resend is not a second
    /// message.
    message_ids: HashMap<String, String>,
    /// The same ids, oldest first: the oldest is forgotten when this is full.
    message_id_order: Ring<String>,
    retention: Retention,
    /// Bumped on every change, so the console knows when to redraw.
    pub version: u64,
    next_customer_id: u64,
    next_session_id: u64,
    next_seq: u64,
}

impl World {
    pub fn new(config: &SimConfig) -> Self {
        World {
            customers: BTreeMap::new(),
            tokenless_customers: Ring::new(config.retention.records),
            sessions: BTreeMap::new(),
            closed_sessions: Ring::new(config.retention.records),
            agents: config
                .agents
                .iter()
                .map(|a| {
                    (
                        a.id,
                        Agent {
                            online: a.online,
                            config: a.clone(),
                            serving: BTreeSet::new(),
                        },
                    )
                })
                .collect(),
            groups: config
                .groups
                .iter()
                .map(|g| Group {
                    id: g.id,
                    name: g.name.clone(),
                    agent_ids: g.agent_ids.clone(),
                    queue: VecDeque::new(),
                })
                .collect(),
            transcripts: HashMap::new(),
            surveys: Ring::new(config.retention.records),
            ratings: Ring::new(config.retention.records),
            message_ids: HashMap::new(),
            message_id_order: Ring::new(config.retention.records),
            retention: config.retention.clone(),
            version: 0,
            next_customer_id: 1,
            next_session_id: 1001,
            next_seq: 1,
        }
    }

    pub fn touch(&mut self) {
        self.version += 1;
    }

    pub fn new_customer_id(&mut self) -> u64 {
        let id = self.next_customer_id;
        self.next_customer_id += 1;
        id
    }

    pub fn new_session_id(&mut self) -> u64 {
        let id = self.next_session_id;
        self.next_session_id += 1;
        id
    }

    /// The customer, created as Udesk does ("API匿名用户(token)") when nobody created it before.
    pub fn customer_or_anonymous(&mut self, token: &str) -> &mut Customer {
        if !self.customers.contains_key(token) {
            let id = self.new_customer_id();
            let customer = Customer {
                id,
                token: Some(token.to_owned()),
                nick_name: format!("API匿名用户({token})"),
                email: None,
                level: None,
                tags: Vec::new(),
                anonymous: true,
                created_at: now_text(),
                current_session: None,
                with_robot: false,
            };
            self.customers.insert(token.to_owned(), customer);
            self.touch();
        }
        self.customers
            .get_mut(token)
            .expect("inserted above when absent")
    }

    /// The customer's open agent session (queued, assigning or in session).
    pub fn current_session(&self, token: &str) -> Option<&AgentSession> {
        let id = self.customers.get(token)?.current_session?;
        self.sessions.get(&id).filter(|s| s.is_open())
    }

    /// Where the customer is on the way to an agent, and their queue position (0 unless queued).
    pub fn queue_status(&self, token: &str) -> (QueueStatus, u32) {
        match self.current_session(token) {
            None => (QueueStatus::NotQueued, 0),
            Some(s) => match s.state {
                SessionState::Queued => (QueueStatus::Queueing, self.queue_position(s.id)),
                SessionState::Assigning => (QueueStatus::Assigning, 0),
                SessionState::Active => (QueueStatus::InSession, 0),
                SessionState::Closed(_) => (QueueStatus::NotQueued, 0),
            },
        }
    }

    /// 1-based position of a queued session in its group's queue; 0 when not queued.
    pub fn queue_position(&self, session_id: u64) -> u32 {
        self.groups
            .iter()
            .find_map(|g| g.queue.iter().position(|id| *id == session_id))
            .map_or(0, |i| i as u32 + 1)
    }

    pub fn agent_im_status(&self, agent: &Agent) -> ImStatus {
        if !agent.online {
            ImStatus::Offline
        } else if agent.has_room() {
            ImStatus::Online
        } else {
            ImStatus::Busy
        }
    }

    /// Records a message in the customer's transcript.
    pub fn record(
        &mut self,
        customer_token: &str,
        from: Sender,
        message: &ReplyMessage,
        assign_type: Option<AssignType>,
    ) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = TranscriptEntry {
            seq,
            at_ms: unix_millis(),
            created_at: message.message_created_at.clone().unwrap_or_else(now_text),
            from,
            assign_type,
            message_id: message.message_id.clone(),
            im_sub_session_id: message.im_sub_session_id,
            agent_id: message.agent_id,
            agent_name: message.agent_name.clone(),
            content: message.content.clone(),
        };
        let limit = self.retention.transcript_messages;
        self.transcripts
            .entry(customer_token.to_owned())
            .or_insert_with(|| Ring::new(limit))
            .push(entry);
        self.touch();
    }

    /// Notes that a session closed; the oldest closed session is forgotten when too many are kept.
    pub fn session_closed(&mut self, session_id: u64) {
        if let Some(forgotten) = self.closed_sessions.push(session_id) {
            self.sessions.remove(&forgotten);
        }
    }

    /// Who sent customer message `message_id`, while it is remembered: among the newest
    /// [`Retention::records`] ids of all customers, or still in `customer_token`'s transcript.
    pub fn message_sender<'a>(
        &'a self,
        customer_token: &'a str,
        message_id: &str,
    ) -> Option<&'a str> {
        let in_transcript = || {
            self.transcripts.get(customer_token).is_some_and(|t| {
                t.iter()
                    .any(|e| e.from == Sender::Customer && e.message_id == message_id)
            })
        };
        match self.message_ids.get(message_id) {
            Some(sender) => Some(sender),
            None if in_transcript() => Some(customer_token),
            None => None,
        }
    }

    /// Remembers that `customer_token` sent `message_id`, forgetting the oldest id when full.
    pub fn remember_message(&mut self, message_id: String, customer_token: &str) {
        if let Some(forgotten) = self.message_id_order.push(message_id.clone()) {
            self.message_ids.remove(&forgotten);
        }
        self.message_ids
            .insert(message_id, customer_token.to_owned());
    }

    /// Drops the transcripts of customers with no agent session open whose last message is
    /// older than [`Retention::idle_transcript`]. Returns how many went.
    pub fn forget_idle_transcripts(&mut self, now_ms: u64) -> usize {
        let idle_ms = self.retention.idle_transcript.as_millis() as u64;
        let idle: Vec<String> = self
            .transcripts
            .iter()
            .filter(|(token, entries)| {
                let last = entries.last().map_or(0, |e| e.at_ms);
                now_ms.saturating_sub(last) >= idle_ms && self.current_session(token).is_none()
            })
            .map(|(token, _)| token.clone())
            .collect();
        for token in &idle {
            self.transcripts.remove(token);
        }
        if !idle.is_empty() {
            self.touch();
        }
        idle.len()
    }
}

/// A customer, created through the Open API or anonymously by create-session.
#[derive(Clone, Debug, Serialize)]
pub struct Customer {
    pub id: u64,
    /// The `open_api_token` = IM `customer_token`.
    pub token: Option<String>,
    pub nick_name: String,
    pub email: Option<String>,
    pub level: Option<String>,
    pub tags: Vec<String>,
    /// Created by create-session for a token nobody created.
    pub anonymous: bool,
    pub created_at: String,
    /// The open agent session, if any.
    pub current_session: Option<u64>,
    /// Talking to the robot since their last agent session began: the next one they get starts
    /// with the robot's `robot_transfer` event.
    pub with_robot: bool,
}

/// A conversation with an agent (Udesk's im_sub_session).
#[derive(Clone, Debug, Serialize)]
pub struct AgentSession {
    pub id: u64,
    pub customer_token: String,
    /// The queue it waits in.
    pub group_id: u64,
    /// Asked for a particular agent (`agent_id` in create-session).
    pub requested_agent: Option<u64>,
    /// The agent serving it, once assigned.
    pub agent_id: Option<u64>,
    pub state: SessionState,
    pub channel: Option<String>,
    pub created_at: String,
    /// The session this one was transferred from.
    pub transferred_from: Option<u64>,
}

impl AgentSession {
    pub fn is_open(&self) -> bool {
        !matches!(self.state, SessionState::Closed(_))
    }
}

/// Where an agent session is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "close_type")]
pub enum SessionState {
    /// Waiting in its group's queue (排队中).
    Queued,
    /// An agent has it and will pick it up after the pick-up delay (分配中).
    Assigning,
    /// The agent is talking with the customer (会话中).
    Active,
    /// Over; messages to it get 9200.
    Closed(String),
}

impl SessionState {
    pub fn closed(close_type: &CloseType) -> Self {
        SessionState::Closed(close_type.as_str().to_owned())
    }
}

/// An agent and whom they serve.
#[derive(Clone, Debug)]
pub struct Agent {
    pub config: AgentConfig,
    pub online: bool,
    /// Sessions assigning or active with this agent.
    pub serving: BTreeSet<u64>,
}

impl Agent {
    pub fn has_room(&self) -> bool {
        (self.serving.len() as u32) < self.config.capacity
    }
}

/// A group with its FIFO queue of session ids.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub id: u64,
    pub name: String,
    pub agent_ids: Vec<u64>,
    pub queue: VecDeque<u64>,
}

/// Who wrote a transcript entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Customer,
    Robot,
    Agent,
}

/// One message of a transcript.
#[derive(Clone, Debug, Serialize)]
pub struct TranscriptEntry {
    /// Global order of recording.
    pub seq: u64,
    pub at_ms: u64,
    /// `YYYY-MM-DD hh:mm:ss`, Udesk's time zone (UTC+8).
    pub created_at: String,
    pub from: Sender,
    /// For replies: how they were pushed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign_type: Option<AssignType>,
    pub message_id: String,
    pub im_sub_session_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// `type` + `data`.
    #[serde(flatten)]
    pub content: Content,
}

/// A submitted survey.
#[derive(Clone, Debug, Serialize)]
pub struct SurveyRecord {
    pub im_sub_session_id: u64,
    pub customer_token: String,
    pub agent_id: Option<u64>,
    pub option_id: u64,
    pub option_text: String,
    pub remark: Option<String>,
    pub at: String,
}

/// A robot answer rating.
#[derive(Clone, Debug, Serialize)]
pub struct RatingRecord {
    pub customer_token: String,
    pub message_id: String,
    pub question_id: i64,
    pub useful: bool,
    pub at: String,
}

pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

pub fn unix_secs() -> u64 {
    unix_millis() / 1000
}

/// Now as Udesk writes times: `YYYY-MM-DD hh:mm:ss` in China Standard Time (UTC+8).
pub fn now_text() -> String {
    format_cst(unix_secs())
}

/// Formats Unix seconds as `YYYY-MM-DD hh:mm:ss` in UTC+8.
pub fn format_cst(unix: u64) -> String {
    let secs = unix + 8 * 3600;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a (year, month, day) date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_in_china_standard_time() {
        assert_eq!(format_cst(0), "1970-01-01 08:00:00");
        // 2017-07-11 01:52:11 UTC, the spec's example time in UTC+8.
        assert_eq!(format_cst(1_499_737_931), "2017-07-11 09:52:11");
        assert_eq!(format_cst(951_782_400), "2000-02-29 08:00:00");
    }
}
