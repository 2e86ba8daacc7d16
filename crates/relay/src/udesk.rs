//! The upstream client: the Udesk IM and Open API calls the relay makes, each signed.
//!
//! Every call carries a fresh v2 signature (`email`, `timestamp`, `nonce`, `sign`,
//! `sign_version`) in its query. Transport trouble is an [`UpstreamError`] (the handlers answer
//! 502/504); a readable Udesk answer is returned whatever its `code`, since only the handler
//! knows which codes are normal states (2001/2002 for create-session) and which are refusals.

use crate::config::{im_prefix, survey_path, ApiStyle};
use crate::metrics::Metrics;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;
use udesk_protocol::code::CodeResponse;
use udesk_protocol::customer::{CreateCustomerRequest, CreateCustomerResponse};
use udesk_protocol::message::SendMessageRequest;
use udesk_protocol::robot::RobotEvaluationRequest;
use udesk_protocol::session::{CreateSessionRequest, CreateSessionResponse};
use udesk_protocol::sign::SignedQuery;
use udesk_protocol::status::QueueStatusResponse;
use udesk_protocol::survey::SurveyRequest;

/// Why a call got no usable answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// No answer within the timeout.
    Timeout,
    /// Not reachable, a 5xx, or an answer that is not Udesk's JSON (the detail is for logs).
    Unavailable(String),
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamError::Timeout => f.write_str("timed out"),
            UpstreamError::Unavailable(detail) => f.write_str(detail),
        }
    }
}

/// Where and as whom the relay calls Udesk.
#[derive(Clone, Debug)]
pub struct UdeskSettings {
    /// `https://acme.udesk.cn` or the simulator's base URL, without a trailing slash.
    pub base_url: String,
    pub email: String,
    pub token: String,
    pub style: ApiStyle,
    /// Full path of the robot rating call.
    pub robot_evaluation_path: String,
    pub timeout: Duration,
}

/// The Udesk client.
#[derive(Clone)]
pub struct Udesk {
    http: reqwest::Client,
    settings: Arc<UdeskSettings>,
    metrics: Arc<Metrics>,
}

impl Udesk {
    pub fn new(settings: UdeskSettings, metrics: Arc<Metrics>) -> Result<Udesk, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("udesk-chat-relay/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Udesk {
            http,
            settings: Arc::new(settings),
            metrics,
        })
    }

    pub fn settings(&self) -> &UdeskSettings {
        &self.settings
    }

    fn im(&self, rest: &str) -> String {
        format!("{}{rest}", im_prefix(self.settings.style))
    }

    /// `POST /open_api_v1/customers`.
    pub async fn create_customer(
        &self,
        request: &CreateCustomerRequest,
    ) -> Result<CreateCustomerResponse, UpstreamError> {
        self.post("/open_api_v1/customers", request).await
    }

    /// `POST …/im/sessions`.
    pub async fn create_session(
        &self,
        request: &CreateSessionRequest,
    ) -> Result<CreateSessionResponse, UpstreamError> {
        self.post(&self.im("/sessions"), request).await
    }

    /// `POST …/im/messages`.
    pub async fn send_message(
        &self,
        request: &SendMessageRequest,
    ) -> Result<CodeResponse, UpstreamError> {
        self.post(&self.im("/messages"), request).await
    }

    /// The robot-answer rating (configurable path).
    pub async fn rate_robot_answer(
        &self,
        request: &RobotEvaluationRequest,
    ) -> Result<CodeResponse, UpstreamError> {
        self.post(&self.settings.robot_evaluation_path, request)
            .await
    }

    /// The satisfaction survey (`/im/sessions/survey` today, `/im_sessions/survey` in the seed).
    pub async fn submit_survey(
        &self,
        request: &SurveyRequest,
    ) -> Result<CodeResponse, UpstreamError> {
        self.post(survey_path(self.settings.style), request).await
    }

    /// `GET …/im/queue_status`.
    pub async fn queue_status(
        &self,
        customer_token: &str,
    ) -> Result<QueueStatusResponse, UpstreamError> {
        self.call::<(), _>(
            Method::GET,
            &self.im("/queue_status"),
            &[("customer_token", customer_token)],
            None,
        )
        .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, UpstreamError> {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T, UpstreamError> {
        let started = std::time::Instant::now();
        let result = self.call_once(method, path, query, body).await;
        self.metrics
            .upstream_call(started.elapsed(), result.as_ref().err());
        if let Err(err) = &result {
            tracing::warn!(path, error = %err, "Udesk call failed");
        }
        result
    }

    async fn call_once<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T, UpstreamError> {
        let s = &self.settings;
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let signed = SignedQuery::v2(&s.email, &s.token, timestamp, &nonce);
        let mut request = self
            .http
            .request(method, format!("{}{path}", s.base_url))
            .query(&signed)
            .query(query);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_server_error() {
            return Err(UpstreamError::Unavailable(format!("{path}: HTTP {status}")));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            UpstreamError::Unavailable(format!("{path}: HTTP {status}, body is not UTF-8"))
        })?;
        udesk_protocol::from_str(text).map_err(|e| {
            let preview: String = text.chars().take(200).collect();
            UpstreamError::Unavailable(format!(
                "{path}: HTTP {status}, unreadable answer ({e}): {preview}"
            ))
        })
    }
}

/// The error without its URL (whose query holds the signature and nonce, which stay out of
/// logs), with its causes (`connection refused`).
fn transport_error(err: reqwest::Error) -> UpstreamError {
    if err.is_timeout() {
        return UpstreamError::Timeout;
    }
    let err = err.without_url();
    let mut detail = format!("transport: {err}");
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        detail.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    UpstreamError::Unavailable(detail)
}
