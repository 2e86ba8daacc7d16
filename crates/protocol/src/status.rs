//! Queue, customer and agent status.
//!
//! - `GET /im/queue_status?customer_token=…` → `{"code": 1000, "status": "排队中", "count": 3}`
//! - `GET /im/customer_status?customer_token=…` → `{"code": 1000, "status": 2}` (today's Udesk)
//! - `GET /im/agent_status?group_id=…` → `{"code": 1000, "agents": [{"id", "name", "nick", "avatar", "im_status"}]}`

use crate::code::Code;
use crate::lenient;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where the customer is on the way to an agent. Serialises to exactly the spec's strings.
    pub enum QueueStatus {
        /// 排队中: waiting in the queue.
        Queueing = "排队中",
        /// 未排队: not queued (talking to the robot, or nothing yet).
        NotQueued = "未排队",
        /// 会话中: in a conversation with an agent.
        InSession = "会话中",
        /// 分配中: an agent is being assigned.
        Assigning = "分配中",
    }
}

impl QueueStatus {
    /// Whether the customer is still waiting for an agent.
    pub fn is_waiting(&self) -> bool {
        matches!(self, QueueStatus::Queueing | QueueStatus::Assigning)
    }
}

/// The query of `GET /im/queue_status` and `GET /im/customer_status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_token: String,
}

/// The answer of `GET /im/queue_status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct QueueStatusResponse {
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<QueueStatus>,
    /// Position in the queue; 0 when not queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `status` of `GET /im/customer_status`: 0 no session, 1 in session, 2 queued, 3 invalid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomerStatusResponse {
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The query of `GET /im/agent_status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentStatusQuery {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<u64>,
}

/// The answer of `GET /im/agent_status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentStatusResponse {
    pub code: Code,
    #[serde(default, deserialize_with = "lenient::null_as_empty")]
    pub agents: Vec<AgentPresence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// One agent's presence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentPresence {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nick: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    pub im_status: ImStatus,
}

string_enum! {
    /// An agent's IM presence.
    pub enum ImStatus {
        Online = "online",
        Busy = "busy",
        Offline = "offline",
    }
}
