//! The widget's API (`/v1/...`): visitor tokens and the calls forwarded to Udesk.
//!
//! Every call but `POST /v1/visitor` needs `Authorization: Bearer <token>`; the customer_token
//! always comes from the token, never from a body. Bodies are parsed with the protocol's
//! field-naming parser, so a bad one gets `400 {"error":"bad_request","message":"data.content:
//! invalid type: …"}`.

use crate::error::AppError;
use crate::identity::Identity;
use crate::limits::{ip_key, RateLimiter};
use crate::media::kind::human_size;
use crate::media::UrlError;
use crate::state::{
    bearer, now_secs, parse_json, ApiJson, AppState, ClientIp, Visitor, API_BODY_LIMIT,
    MESSAGE_ID_HEADER,
};
use crate::store::{now_ms, CustomerProfile};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use udesk_protocol::code::CodeResponse;
use udesk_protocol::content::Content;
use udesk_protocol::customer::{CreateCustomerRequest, CustomerFields};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::relay::{MediaKind, RelayConfig, VisitorRequest, VisitorResponse};
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
use udesk_protocol::status::QueueStatusResponse;
use udesk_protocol::survey::SurveyRequest;
use udesk_protocol::Code;

/// A repeated send with the same message_id within this window answers the first send's result
/// instead of sending again.
const SEND_DEDUPE_WINDOW_MS: u64 = 24 * 3600 * 1000;

/// Takes one call from `key`'s budget in `limiter`, counting a refusal in `refused`.
async fn take(limiter: &RateLimiter, key: &str, refused: &AtomicU64) -> Result<(), AppError> {
    limiter.check(key).await.map_err(|retry_after| {
        refused.fetch_add(1, Relaxed);
        AppError::RateLimited { retry_after }
    })
}

impl AppState {
    /// Takes one send from the visitor's budget, then one upstream call from its IP's.
    async fn spend(&self, visitor: &Visitor) -> Result<(), AppError> {
        take(
            &self.limiter,
            &visitor.customer_token,
            &self.metrics.rate_limited,
        )
        .await?;
        self.spend_upstream_from_ip(visitor).await
    }

    /// Takes one upstream call from the budget of the visitor's client IP.
    async fn spend_upstream_from_ip(&self, visitor: &Visitor) -> Result<(), AppError> {
        take(
            &self.upstream_ip_limiter,
            &visitor.ip_key,
            &self.metrics.ip_upstream_rate_limited,
        )
        .await
    }

    async fn check_session(&self, customer_token: &str, session: u64) -> Result<(), AppError> {
        let ct = customer_token.to_owned();
        if self
            .store
            .run(move |s| s.owns_session(&ct, session))
            .await?
        {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "im_sub_session_id {session} is not a session of this visitor"
            )))
        }
    }
}

fn optional_text(
    value: Option<String>,
    field: &str,
    max: usize,
) -> Result<Option<String>, AppError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => Err(AppError::BadRequest(format!(
            "{field}: longer than {max} characters"
        ))),
        other => Ok(other),
    }
}

/// `POST /v1/visitor`: a token for an anonymous visitor, a host site's signed user, or the
/// renewal of an earlier token (sent as bearer) for the same customer. Limited per client IP,
/// since each anonymous call makes a new customer.
pub async fn visitor(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<VisitorResponse>, AppError> {
    take(
        &state.visitor_limiter,
        &ip_key(ip),
        &state.metrics.visitor_rate_limited,
    )
    .await?;
    let body = body.map_err(|r| AppError::from_body_rejection(r, API_BODY_LIMIT))?;
    let request: VisitorRequest = if body.iter().all(u8::is_ascii_whitespace) {
        VisitorRequest::default()
    } else {
        parse_json(&body)?
    };
    let name = optional_text(request.name, "name", 128)?;
    let email = optional_text(request.email, "email", 254)?;
    let now = now_secs();
    // Renewals keep the first issue time, so that a token chain ends at the maximum lifetime.
    let (customer_token, issued_at) = if let Some(user_id) = request.user_id {
        if user_id.is_empty() || user_id.len() > 256 {
            return Err(AppError::BadRequest(
                "user_id: must be 1 to 256 bytes".into(),
            ));
        }
        let signature = request
            .signature
            .ok_or_else(|| AppError::BadRequest("signature: required with user_id".into()))?;
        if !state.identity.check_user_signature(&user_id, &signature) {
            return Err(AppError::Unauthorized(
                "signature: does not match user_id under this relay's identity secret".into(),
            ));
        }
        (user_customer_token(&state, &user_id).await?, now)
    } else if let Some(token) = bearer(&headers) {
        let claims = state
            .identity
            .verify_for_renewal(token, now)
            .map_err(|e| AppError::Unauthorized(e.message().into()))?;
        (claims.customer_token, claims.issued_at)
    } else {
        (Identity::anonymous_customer_token(), now)
    };
    if name.is_some() || email.is_some() {
        let profile = CustomerProfile {
            customer_token: customer_token.clone(),
            nick_name: name,
            email,
            created_upstream: false,
        };
        state.store.run(move |s| s.save_customer(&profile)).await?;
    }
    let (token, expires_at) = state
        .identity
        .issue_renewal(&customer_token, issued_at, now);
    Ok(Json(VisitorResponse {
        customer_token,
        token,
        expires_at,
    }))
}

/// The customer_token of a signed user: the one of the old derivation when the store already
/// knows that customer (so an existing user stays the same Udesk customer, with its history),
/// else the current one (see [`crate::identity`]).
async fn user_customer_token(state: &AppState, user_id: &str) -> Result<String, AppError> {
    let legacy = state.identity.legacy_customer_token_for_user(user_id);
    let known = legacy.clone();
    if state
        .store
        .run(move |s| s.customer(&known))
        .await?
        .is_some()
    {
        return Ok(legacy);
    }
    Ok(state.identity.customer_token_for_user(user_id))
}

/// Creates the Udesk customer for this customer_token the first time it is needed, with the
/// name and e-mail the visitor gave. Failures are logged, not fatal: Udesk creates an anonymous
/// customer for an unknown customer_token on the first session.
async fn ensure_customer(state: &AppState, customer_token: &str) -> Result<(), AppError> {
    let ct = customer_token.to_owned();
    let profile = state.store.run(move |s| s.customer(&ct)).await?;
    if profile.as_ref().is_some_and(|p| p.created_upstream) {
        return Ok(());
    }
    let profile = profile.unwrap_or_else(|| CustomerProfile {
        customer_token: customer_token.to_owned(),
        ..CustomerProfile::default()
    });
    let short: String = customer_token.chars().skip(2).take(6).collect();
    let request = CreateCustomerRequest {
        customer: CustomerFields {
            nick_name: Some(
                profile
                    .nick_name
                    .clone()
                    .unwrap_or_else(|| format!("Web visitor {short}")),
            ),
            email: profile.email.clone(),
            open_api_token: Some(customer_token.to_owned()),
            ..CustomerFields::default()
        },
        tags: Some("udesk-chat".into()),
    };
    match state.udesk.create_customer(&request).await {
        Ok(answer) => {
            if !answer.code.is_success() {
                // Most often: the customer exists already. Either way, do not ask again.
                tracing::info!(code = answer.code.0, message = ?answer.message,
                    "Udesk did not create the customer");
            }
            let created = CustomerProfile {
                created_upstream: true,
                ..profile
            };
            state.store.run(move |s| s.save_customer(&created)).await?;
        }
        Err(err) => {
            tracing::warn!(error = %err, "could not create the Udesk customer; will retry on the next session");
        }
    }
    Ok(())
}

/// `POST /v1/sessions`: asks for the robot or an agent. 2001 (queued) and 2002 (no agent
/// online) are normal states and answer 200 with Udesk's body.
pub async fn create_session(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(mut request): ApiJson<CreateSessionRequest>,
) -> Result<Json<CreateSessionResponse>, AppError> {
    state.spend(&visitor).await?;
    ensure_customer(&state, &visitor.customer_token).await?;
    request.customer_token = visitor.customer_token.clone();
    let answer = state.udesk.create_session(&request).await?;
    if !matches!(answer.code, Code::SUCCESS | Code::QUEUED | Code::NO_AGENT) {
        return Err(AppError::udesk(answer.code, answer.message));
    }
    if let Some(session) = answer.im_sub_session_id() {
        let ct = visitor.customer_token;
        state
            .store
            .run(move |s| s.record_sessions(&ct, &[session], now_ms()))
            .await?;
    }
    Ok(Json(crate::sanitize::session_answer(answer)))
}

/// Whether a widget-given message_id is acceptable: short, and safe in logs and URLs.
fn valid_message_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// An image, audio, video or file send must carry the URL of a file this visitor uploaded to
/// this relay, sent as the kind the relay recognised: otherwise a visitor could make the agent
/// open any URL, or show an HTML download as a picture. Its `filename` and `filesize` are set
/// from the relay's record for audio, video and files (the widget's are ignored), and left out
/// for pictures, as in the spec.
async fn own_media_only(
    state: &AppState,
    customer_token: &str,
    content: &mut Content,
) -> Result<(), AppError> {
    let (kind, data) = match content {
        Content::Image(d) => (MediaKind::Image, d),
        Content::Audio(d) => (MediaKind::Audio, d),
        Content::Video(d) => (MediaKind::Video, d),
        Content::File(d) => (MediaKind::File, d),
        _ => return Ok(()),
    };
    let record = match state.uploads.record_of_url(data.content.trim()).await {
        Ok(Some(record)) => record,
        Ok(None) => {
            return Err(AppError::BadRequest(
                "data.content: no such uploaded file (it may have expired); upload it again".into(),
            ))
        }
        Err(UrlError::NotOurs) => {
            return Err(AppError::BadRequest(format!(
                "data.content: must be the url of a file uploaded with POST /v1/uploads \
                 ({}/media/…)",
                state.uploads.public_url
            )))
        }
        Err(UrlError::Store(err)) => return Err(err.into()),
    };
    if record.customer_token != customer_token {
        return Err(AppError::Forbidden(
            "data.content: a file another visitor uploaded".into(),
        ));
    }
    if record.kind != kind {
        return Err(AppError::BadRequest(format!(
            "type: the relay recognised this upload as `{}`; send it with that type",
            record.kind.as_str()
        )));
    }
    data.content = state.uploads.url(&record);
    // The seed spec gives an image only its URL; audio, video (and files) their name and size.
    if kind == MediaKind::Image {
        data.filename = None;
        data.filesize = None;
    } else {
        data.filename = Some(record.filename.clone());
        data.filesize = Some(human_size(record.size));
    }
    Ok(())
}

/// `POST /v1/messages`: sends to the robot (no im_sub_session_id) or to this visitor's agent
/// session. The message_id is the idempotency key: a repeat within a day answers the first
/// send's result without sending again.
pub async fn send_message(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(mut request): ApiJson<SendMessageRequest>,
) -> Result<Response, AppError> {
    let ct = visitor.customer_token.clone();
    let message_id = match request.message_id.take() {
        Some(id) if valid_message_id(&id) => id,
        Some(_) => {
            return Err(AppError::BadRequest(
                "message_id: must be 1 to 64 letters, digits or -_.:".into(),
            ))
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    if let Some(session) = request.im_sub_session_id {
        state.check_session(&ct, session).await?;
    }
    own_media_only(&state, &ct, &mut request.content).await?;
    request.customer_token = ct.clone();
    request.message_id = Some(message_id.clone());
    if let Content::Text(text) = &mut request.content {
        text.content = crate::sanitize::without_controls(&text.content);
    }

    let _one_at_a_time = state.send_locks.lock(format!("{ct}\n{message_id}")).await;
    let (key, id) = (ct.clone(), message_id.clone());
    let since = now_ms().saturating_sub(SEND_DEDUPE_WINDOW_MS);
    let earlier = state
        .store
        .run(move |s| s.sent_answer(&key, &id, since))
        .await?;
    let answer = match earlier.and_then(|json| serde_json::from_str::<CodeResponse>(&json).ok()) {
        Some(answer) => answer,
        None => {
            state.spend(&visitor).await?;
            let answer = state.udesk.send_message(&request).await?;
            if !answer.code.is_success() {
                return Err(AppError::udesk(answer.code, answer.message));
            }
            let json = serde_json::to_string(&answer)
                .map_err(|e| AppError::Internal(format!("serialising a send answer: {e}")))?;
            let id = message_id.clone();
            state
                .store
                .run(move |s| s.record_sent(&ct, &id, &json, now_ms()))
                .await?;
            answer
        }
    };
    let mut response = Json(answer).into_response();
    if let Ok(value) = HeaderValue::from_str(&message_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(MESSAGE_ID_HEADER), value);
    }
    Ok(response)
}

/// `POST /v1/robot/evaluations`: rates a robot answer this visitor received.
pub async fn rate_robot_answer(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(mut request): ApiJson<RobotEvaluationRequest>,
) -> Result<Json<CodeResponse>, AppError> {
    state.spend(&visitor).await?;
    let (ct, id) = (visitor.customer_token.clone(), request.message_id.clone());
    if !state.store.run(move |s| s.knows_message(&ct, &id)).await? {
        return Err(AppError::Forbidden(format!(
            "message_id {} is not an answer this visitor received",
            request.message_id
        )));
    }
    request.customer_token = visitor.customer_token;
    let answer = state.udesk.rate_robot_answer(&request).await?;
    code_answer(answer)
}

/// `POST /v1/surveys`: rates one of this visitor's agent sessions.
pub async fn submit_survey(
    State(state): State<AppState>,
    visitor: Visitor,
    ApiJson(request): ApiJson<SurveyRequest>,
) -> Result<Json<CodeResponse>, AppError> {
    state.spend(&visitor).await?;
    if let Some(remark) = &request.remark {
        if remark.chars().count() > 1000 {
            return Err(AppError::BadRequest(
                "remark: longer than 1000 characters".into(),
            ));
        }
    }
    state
        .check_session(&visitor.customer_token, request.im_sub_session_id)
        .await?;
    let answer = state.udesk.submit_survey(&request).await?;
    code_answer(answer)
}

fn code_answer(answer: CodeResponse) -> Result<Json<CodeResponse>, AppError> {
    if answer.code.is_success() {
        Ok(Json(answer))
    } else {
        Err(AppError::udesk(answer.code, answer.message))
    }
}

/// `GET /v1/queue_status`, limited per visitor and per client IP (each poll is a call on
/// Udesk's quota).
pub async fn queue_status(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Json<QueueStatusResponse>, AppError> {
    take(
        &state.poll_limiter,
        &visitor.customer_token,
        &state.metrics.poll_rate_limited,
    )
    .await?;
    state.spend_upstream_from_ip(&visitor).await?;
    let answer = state.udesk.queue_status(&visitor.customer_token).await?;
    if answer.code.is_success() {
        Ok(Json(answer))
    } else {
        Err(AppError::udesk(answer.code, answer.message))
    }
}

/// `GET /v1/config`: what the widget should know about this relay (no token needed).
pub async fn relay_config(State(state): State<AppState>) -> Json<RelayConfig> {
    Json(state.relay_config.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_checked() {
        assert!(valid_message_id("m-1f3a_2.x:y"));
        assert!(!valid_message_id(""));
        assert!(!valid_message_id("a b"));
        assert!(!valid_message_id(&"x".repeat(65)));
    }
}
