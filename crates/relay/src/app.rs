//! The relay's shared state and its router: `app(state) -> Router`, apart from any socket, so
//! tests can build it directly.

use crate::hub::Hub;
use crate::identity::Identity;
use crate::limits::{KeyedLocks, OpenLimit, RateLimiter};
use crate::metrics::Metrics;
use crate::store::Storage;
use crate::udesk::Udesk;
use crate::{api, sse, web, webhook};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::{middleware, Router};
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use udesk_protocol::relay::RelayConfig;

/// Largest body the `/v1` API accepts.
pub const API_BODY_LIMIT: usize = 64 * 1024;
/// Largest webhook body accepted (a push of several messages).
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Queue-status polls a visitor may make per minute, sustained. The widget polls every 3 s while
/// queued (20 a minute); each poll is a call on Udesk's account-wide quota.
pub const QUEUE_STATUS_PER_MINUTE: u32 = 60;
/// Polls a visitor may make in a burst above the sustained rate.
pub const QUEUE_STATUS_BURST: u32 = 20;

/// Everything the handlers share; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The parts of [`AppState`].
pub struct Shared {
    pub identity: Identity,
    pub store: Storage,
    pub hub: Hub,
    pub udesk: Udesk,
    pub metrics: Arc<Metrics>,
    /// Per-visitor limit on sends.
    pub limiter: RateLimiter,
    /// Per-IP limit on `POST /v1/visitor`.
    pub visitor_limiter: RateLimiter,
    /// Per-visitor limit on `GET /v1/queue_status`.
    pub poll_limiter: RateLimiter,
    /// Whether the client IP is the first `X-Forwarded-For` entry (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Serialises copies of one send (same customer and message_id).
    pub send_locks: KeyedLocks,
    /// The secret path segment of the webhook URL.
    pub webhook_secret: String,
    /// Browser origins allowed besides the relay's own, as [`web::check_origins`] gives them.
    pub allowed_origins: Vec<String>,
    pub widget_dir: PathBuf,
    pub keep_alive: Duration,
    pub max_streams: usize,
    /// Event streams one client IP may hold open at once.
    pub streams_per_ip: OpenLimit,
    /// Cancelled on shutdown: event streams end so browsers reconnect elsewhere or later.
    pub shutdown: CancellationToken,
    /// What `GET /v1/config` tells the widget.
    pub relay_config: RelayConfig,
}

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The relay's routes.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/visitor", post(api::visitor))
        .route("/v1/sessions", post(api::create_session))
        .route("/v1/messages", post(api::send_message))
        .route("/v1/robot/evaluations", post(api::rate_robot_answer))
        .route("/v1/surveys", post(api::submit_survey))
        .route("/v1/queue_status", get(api::queue_status))
        .route("/v1/config", get(api::relay_config))
        .route("/v1/events", get(sse::events))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::check_origin,
        ));
    let webhooks = Router::new()
        .route("/webhooks/udesk/{secret}", post(webhook::receive))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT));
    Router::new()
        .merge(api)
        .merge(webhooks)
        .merge(web::widget_routes(&state.widget_dir))
        .route("/healthz", get(web::healthz))
        .route("/metrics", get(web::metrics))
        .fallback(web::not_found)
        .method_not_allowed_fallback(web::method_not_allowed)
        // Outermost, so that it answers preflights before routing (and its 405s).
        .layer(web::cors(&state.allowed_origins))
        // Answers carry text from requests (an error naming a path or an origin): browsers must
        // take each as its declared type, never sniff one into HTML.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The log span of a request: method and path only. The query may hold a visitor's token (the
/// event stream's `?token=`) and the webhook path holds the webhook secret; neither is logged.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let path = request.uri().path();
    let path = if path.starts_with("/webhooks/udesk/") {
        "/webhooks/udesk/<secret>"
    } else {
        path
    };
    tracing::debug_span!("request", method = %request.method(), path)
}
