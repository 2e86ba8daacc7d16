//! Creating a session: `POST /im/sessions` asks for the robot or a human agent.
//!
//! ```json
//! → {"customer_token": "c_42", "assign_type": "agent", "group_id": 3, "channel": "web"}
//! ← {"code": 1000, "message": "您好", "assign_type": "robot",
//!    "assign_info": {"robot_name": "小U", "robot_avatar": "…", "welcome_message": "…", "unknow_message": "…"}}
//! ← {"code": 2001, "message": "当前客服正繁忙，您排在第3位。", "assign_type": "agent",
//!    "assign_info": {"im_sub_session_id": 0, "count": 3, …}}
//! ```
//! `assign_info`'s shape depends on `assign_type`: [`RobotInfo`] or [`AgentInfo`].

use crate::code::Code;
use crate::survey::SurveyOptions;
use crate::{from_value, lenient, ParseError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who the customer talks to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssignType {
    #[default]
    Robot,
    Agent,
}

impl AssignType {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignType::Robot => "robot",
            AssignType::Agent => "agent",
        }
    }
}

/// The request to create a session.
///
/// `customer_token` is required by Udesk; the relay fills it from the visitor's token and ignores
/// any value the browser sends.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CreateSessionRequest {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_token: String,
    /// `robot` (default) or `agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_type: Option<AssignType>,
    /// A specific agent; overrides `assign_type` and `group_id`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub agent_id: Option<u64>,
    /// A specific group; overrides `assign_type`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub group_id: Option<u64>,
    /// A custom channel name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

impl CreateSessionRequest {
    /// What the request asks for, after the spec's precedence: an agent or group id means a person.
    pub fn wants(&self) -> AssignType {
        if self.agent_id.is_some() || self.group_id.is_some() {
            AssignType::Agent
        } else {
            self.assign_type.unwrap_or_default()
        }
    }
}

/// The answer to create-session.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawCreateSessionResponse")]
pub struct CreateSessionResponse {
    /// 1000 assigned, 2001 queued or being assigned, 2002 no agent online, other codes errors.
    pub code: Code,
    /// The welcome message on success, the reason otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_type: Option<AssignType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assign_info: Option<AssignInfo>,
}

impl CreateSessionResponse {
    /// The agent session id, when one was assigned or queued.
    pub fn im_sub_session_id(&self) -> Option<u64> {
        match &self.assign_info {
            Some(AssignInfo::Agent(a)) => a.im_sub_session_id.filter(|id| *id != 0),
            _ => None,
        }
    }
}

/// What a session was assigned to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AssignInfo {
    Robot(RobotInfo),
    Agent(AgentInfo),
}

/// `assign_info` when the robot answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RobotInfo {
    #[serde(default)]
    pub robot_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub robot_avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message: Option<String>,
    /// What the robot says when it has no answer (the spec's spelling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknow_message: Option<String>,
}

/// `assign_info` when a person answers (or the customer is queued for one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentInfo {
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub im_sub_session_id: Option<u64>,
    /// Position in the queue (0 when assigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_id",
        skip_serializing_if = "Option::is_none"
    )]
    pub agent_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survey_options: Option<Box<SurveyOptions>>,
}

#[derive(Deserialize)]
struct RawCreateSessionResponse {
    code: Code,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    assign_type: Option<AssignType>,
    #[serde(default)]
    assign_info: Option<Value>,
}

impl TryFrom<RawCreateSessionResponse> for CreateSessionResponse {
    type Error = ParseError;

    fn try_from(raw: RawCreateSessionResponse) -> Result<Self, ParseError> {
        let assign_info = match raw.assign_info {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) if map.is_empty() => None,
            Some(info) => {
                // Without an assign_type, the fields tell which shape it is.
                let robot = match raw.assign_type {
                    Some(t) => t == AssignType::Robot,
                    None => info.get("robot_name").is_some(),
                };
                let parsed = if robot {
                    from_value(info).map(AssignInfo::Robot)
                } else {
                    from_value(info).map(AssignInfo::Agent)
                };
                Some(parsed.map_err(|e| e.within("assign_info"))?)
            }
        };
        Ok(CreateSessionResponse {
            code: raw.code,
            message: raw.message,
            assign_type: raw.assign_type,
            assign_info,
        })
    }
}
