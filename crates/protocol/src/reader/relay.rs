//! The relay's `/v1` API as the widget speaks it ([`crate::relay`] and the Udesk types its
//! answers carry): the answers and the event stream it reads, the requests it writes.

use serde_json::Value;

use super::content::{content, content_data};
use super::survey::survey_options;
use super::value::{self, expected, opt_str, Fields, Object, Result};
use crate::code::{Code, CodeResponse};
use crate::message::SendMessageRequest;
use crate::notification::ReplyMessage;
use crate::relay::{
    ErrorBody, MediaKind, StreamMessage, StreamReset, UploadResponse, VisitorRequest,
    VisitorResponse,
};
use crate::robot::RobotEvaluationRequest;
use crate::session::{
    AgentInfo, AssignInfo, AssignType, CreateSessionRequest, CreateSessionResponse, RobotInfo,
};
use crate::status::{QueueStatus, QueueStatusResponse};
use crate::survey::SurveyRequest;
use crate::ParseError;

// ---- answers -----------------------------------------------------------------------------

pub fn visitor_response(value: Value) -> Result<VisitorResponse> {
    let mut f = Fields::of(value)?;
    Ok(VisitorResponse {
        customer_token: f.string("customer_token")?,
        token: f.string("token")?,
        expires_at: f.u64("expires_at")?,
    })
}

/// The answer of `POST /v1/uploads`.
pub fn upload_response(value: Value) -> Result<UploadResponse> {
    let mut f = Fields::of(value)?;
    Ok(UploadResponse {
        url: f.string("url")?,
        kind: f.req("type", media_kind)?,
        filename: f.string("filename")?,
        filesize: f.string("filesize")?,
        content_type: f.string("content_type")?,
    })
}

pub fn error_body(value: Value) -> Result<ErrorBody> {
    let mut f = Fields::of(value)?;
    Ok(ErrorBody {
        error: f.string("error")?,
        message: f.string("message")?,
        udesk_code: f.opt_i64("udesk_code")?,
    })
}

pub fn code_response(value: Value) -> Result<CodeResponse> {
    let mut f = Fields::of(value)?;
    Ok(CodeResponse {
        code: f.req("code", code)?,
        message: f.opt_string("message")?,
    })
}

pub fn queue_status_response(value: Value) -> Result<QueueStatusResponse> {
    let mut f = Fields::of(value)?;
    Ok(QueueStatusResponse {
        code: f.req("code", code)?,
        status: f.opt("status", |v| {
            value::string(v).map(|s| QueueStatus::from(s.as_str()))
        })?,
        count: f.opt_u32("count")?,
        message: f.opt_string("message")?,
    })
}

pub fn create_session_response(value: Value) -> Result<CreateSessionResponse> {
    let mut f = Fields::of(value)?;
    let code = f.req("code", code)?;
    let message = f.opt_string("message")?;
    let assign_type = f.opt("assign_type", assign_type)?;
    let assign_info = match f.take("assign_info") {
        None => None,
        Some(Value::Object(map)) if map.is_empty() => None,
        Some(info) => {
            // Without an assign_type, the fields tell which shape it is.
            let robot = match assign_type {
                Some(t) => t == AssignType::Robot,
                None => info.get("robot_name").is_some(),
            };
            let parsed = if robot {
                robot_info(info).map(AssignInfo::Robot)
            } else {
                agent_info(info).map(AssignInfo::Agent)
            };
            Some(parsed.map_err(|e| e.within("assign_info"))?)
        }
    };
    Ok(CreateSessionResponse {
        code,
        message,
        assign_type,
        assign_info,
    })
}

fn robot_info(value: Value) -> Result<RobotInfo> {
    let mut f = Fields::of(value)?;
    Ok(RobotInfo {
        robot_name: f.or("robot_name", String::new(), value::string)?,
        robot_avatar: f.opt_string("robot_avatar")?,
        welcome_message: f.opt_string("welcome_message")?,
        unknow_message: f.opt_string("unknow_message")?,
    })
}

fn agent_info(value: Value) -> Result<AgentInfo> {
    let mut f = Fields::of(value)?;
    Ok(AgentInfo {
        im_sub_session_id: f.opt_id("im_sub_session_id")?,
        count: f.opt_u32("count")?,
        agent_id: f.opt_id("agent_id")?,
        agent_name: f.opt_string("agent_name")?,
        agent_avatar: f.opt_string("agent_avatar")?,
        survey_options: f.opt("survey_options", survey_options)?.map(Box::new),
    })
}

pub fn media_kind(value: Value) -> Result<MediaKind> {
    value
        .as_str()
        .and_then(MediaKind::from_message_type)
        .ok_or_else(|| expected("image, audio, video or file"))
}

pub fn code(value: Value) -> Result<Code> {
    value::i64(value).map(Code)
}

pub fn assign_type(value: Value) -> Result<AssignType> {
    match value.as_str() {
        Some("robot") => Ok(AssignType::Robot),
        Some("agent") => Ok(AssignType::Agent),
        _ => Err(expected("robot or agent")),
    }
}

// ---- the event stream --------------------------------------------------------------------

pub fn stream_message(value: Value) -> Result<StreamMessage> {
    let mut f = Fields::of(value)?;
    Ok(StreamMessage {
        id: f.u64("id")?,
        assign_type: f.req("assign_type", assign_type)?,
        received_at: f.u64("received_at")?,
        message: f.req("message", reply_message)?,
    })
}

pub fn stream_reset(value: Value) -> Result<StreamReset> {
    let mut f = Fields::of(value)?;
    Ok(StreamReset {
        requested: f.u64("requested")?,
        earliest: f.u64("earliest")?,
    })
}

fn reply_message(value: Value) -> Result<ReplyMessage> {
    let mut f = Fields::of(value)?;
    let message_id = f.req("message_id", value::string_or_number)?;
    let agent_id = f.opt_id("agent_id")?;
    let agent_name = f.opt_string("agent_name")?;
    let agent_avatar = f.opt_string("agent_avatar")?;
    let im_sub_session_id = f.opt_id("im_sub_session_id")?;
    let message_created_at = f.opt_string("message_created_at")?;
    let kind = f.or("type", "message".to_owned(), value::string)?;
    let data = f.take("data").unwrap_or_default();
    if message_id.trim().is_empty() {
        return Err(ParseError::at("message_id", "must not be empty"));
    }
    Ok(ReplyMessage {
        message_id,
        agent_id,
        agent_name,
        agent_avatar,
        im_sub_session_id: im_sub_session_id.filter(|id| *id != 0),
        message_created_at: message_created_at.filter(|s| !s.is_empty()),
        content: content(&kind, data)?,
    })
}

// ---- requests ----------------------------------------------------------------------------

/// What a host page's `identify()` gives ([`VisitorRequest`]).
pub fn visitor_request(value: Value) -> Result<VisitorRequest> {
    let mut f = Fields::of(value)?;
    Ok(VisitorRequest {
        user_id: f.opt_string("user_id")?,
        signature: f.opt_string("signature")?,
        name: f.opt_string("name")?,
        email: f.opt_string("email")?,
    })
}

pub fn visitor_request_value(r: &VisitorRequest) -> Value {
    Object::new()
        .opt("user_id", opt_str(&r.user_id))
        .opt("signature", opt_str(&r.signature))
        .opt("name", opt_str(&r.name))
        .opt("email", opt_str(&r.email))
        .value()
}

pub fn visitor_response_value(v: &VisitorResponse) -> Value {
    Object::new()
        .set("customer_token", v.customer_token.as_str().into())
        .set("token", v.token.as_str().into())
        .set("expires_at", v.expires_at.into())
        .value()
}

pub fn create_session_request_value(r: &CreateSessionRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .opt("assign_type", r.assign_type.map(|t| t.as_str().into()))
        .opt("agent_id", r.agent_id.map(Value::from))
        .opt("group_id", r.group_id.map(Value::from))
        .opt("channel", opt_str(&r.channel))
        .value()
}

pub fn send_message_value(r: &SendMessageRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .opt("im_sub_session_id", r.im_sub_session_id.map(Value::from))
        .opt("message_id", opt_str(&r.message_id))
        .set("type", r.content.kind().into())
        .set("data", content_data(&r.content))
        .value()
}

pub fn robot_evaluation_value(r: &RobotEvaluationRequest) -> Value {
    Object::new()
        .non_empty("customer_token", &r.customer_token)
        .set("message_id", r.message_id.as_str().into())
        .set("question_id", r.question_id.into())
        .set("useful", r.useful.into())
        .value()
}

pub fn survey_request_value(r: &SurveyRequest) -> Value {
    Object::new()
        .set("im_sub_session_id", r.im_sub_session_id.into())
        .set("option_id", r.option_id.into())
        .opt("remark", opt_str(&r.remark))
        .value()
}
