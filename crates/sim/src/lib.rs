//! A local stand-in for Udesk's IM service: what LocalStack is to AWS, this is to Udesk IM.
//!
//! It speaks the IM API of `shared/spec/udesk-im-api.md` (the 2017 seed) and today's published
//! variant (`udesk-im-api-current.md`) with the same paths, fields and result codes, answers with a
//! robot from a knowledge base, queues customers for agents, lets a person answer from an agent
//! console, and pushes every reply to a webhook with Udesk's retry contract.
//!
//! # Embedding
//! [`start`] serves on a listener you bound (port 0 in tests) and returns a [`RunningSim`];
//! [`RunningSim::shutdown`] stops the server and every background task. [`SimConfig::default`] is
//! the demo setup below; [`SimConfig::for_tests`] the same with no delays.
//!
//! # Routes
//! Signed with Open API credentials (v2 `sha256` with a nonce, or v1 `sha1`; see
//! `udesk_protocol::sign`), under both `/im/...` and `/open_api_v1/im/...`:
//!
//! | route | what |
//! |---|---|
//! | `POST /im/sessions` | create a session: robot (1000), agent assigned (1000), queued or being assigned (2001, `count`), no agent online (2002) |
//! | `POST /im/messages` | send to the robot (`im_sub_session_id` 0/empty, `type: message` only) or to the agent session; `message_id` required |
//! | `POST /im_sessions/survey`, `POST /im/sessions/survey` | the satisfaction survey (seed path and today's) |
//! | `GET /im/queue_status` | 未排队 / 排队中 / 分配中 / 会话中 with `count` |
//! | `GET /im/customer_status`, `GET /im/agent_status` | today's status calls |
//! | `POST /im/robot/evaluations` | rate a robot answer useful / not useful. **The spec gives no path for this call; this path is the simulator's choice** (Udesk does not publish one either) |
//! | `POST /open_api_v1/customers` | create a customer; its `open_api_token` is the IM `customer_token` |
//!
//! Unsigned, for people and tests (keep the simulator on loopback): `GET /console` (agent console),
//! `/console/api/...` (its JSON), `GET /admin/...` (inspection: transcripts, surveys, ratings,
//! webhook tries, sessions, customers), `POST /admin/faults`, `POST /admin/webhook`,
//! `GET /media/...` (demo media), `GET /healthz`.
//!
//! # Answers
//! Like Udesk, every answer given on purpose is HTTP 200 with a `code`: 1000 success, 2001 queued,
//! 2002 no agent online, 2005 bad parameter, 2062 missing parameter (both naming the field),
//! 9200 session missing or closed, 2059 / 20621–20624 signature refusals. Only injected faults
//! answer 5xx. Parameters may also come in the query string, as Udesk accepts them (body wins).
//! Bodies over [`BODY_LIMIT`] (1 MiB) are refused with HTTP 413 (code 2005).
//!
//! Create-session details: a `customer_token` nobody created becomes the customer
//! "API匿名用户(token)"; a customer already queued or served gets that session back instead of a
//! second one; a 2001 answer has `im_sub_session_id: 0` (the session id arrives with the
//! `info_appoint` and `start_session` webhooks when an agent takes the customer), `count` = queue
//! position, 0 while an agent is being assigned.
//!
//! `message_id` makes sends idempotent: the same id from the same customer is accepted once (a
//! retry after a timeout is not a second message).
//!
//! # Reply notifications
//! Robot answers (`assign_type: robot`, `Content::RobotAnswer` data) and agent messages and events
//! (`assign_type: agent`) are POSTed to the webhook URL: today's `messages` list by default, the
//! seed's single `message` with [`WebhookShape::Message`]. Agent events: `info_appoint` (an agent
//! took the customer), `start_session` (the conversation starts), `survey` (the agent invites a
//! rating), `transfer` (`data.im_sub_session_id` is the new session; the old one is closed with
//! `redirect`), `close` (`close_type`, and `survey_options` when surveys run after sessions). When
//! a customer who has been talking to the robot (a robot session or a question since their last
//! agent session) gets an agent session, the robot pushes a `robot_transfer` event first
//! ("正在为您转接人工客服…", `data.im_sub_session_id` = the new session), at once even if the
//! customer then waits in the queue, so it always precedes that session's `info_appoint`. A
//! receiver must answer 2xx within the timeout (10 s); otherwise the same body is sent again with
//! backoff, and that customer's later pushes wait (at-least-once, in order per customer).
//!
//! # Memory
//! Every record is bounded by [`Retention`] (`SimConfig::retention`): the newest 10,000 webhook
//! tries, surveys, ratings, closed sessions, token-less Open API customers and customer message
//! ids; the newest 1,000 messages of each transcript; and a customer with no agent session open
//! who has been quiet for an hour loses their transcript. Customers and open sessions are kept.
//!
//! # Demo setup
//! Credentials `demo@udesk-chat.local` / `udesk-chat-demo-token`. Agents: 1 "小明 Xiaoming"
//! (scripted: answers by itself), 2 "Alice" (answer her customers from the console), 3 "Bob"
//! (offline). Groups: 1 customer service (agent 1, the default), 2 after-sales (agent 2), 3 VIP
//! (agent 3, so asking for group 3 gets 2002). Pick-up delay 2 s. Robot "小U" with the bundled
//! zh-CN/English FAQ (`kb/default.json`).
//!
//! # Scripted agent commands
//! A customer talking to a scripted agent can type `demo help`, `demo text`, `demo image`,
//! `demo audio`, `demo video`, `demo file`, `demo rich`, `demo struct`, `demo all` (every message
//! type), `demo survey` (the agent invites a survey), `demo transfer` (to another agent: new
//! `im_sub_session_id`) or `demo close`. Anything else gets an acknowledgement when `auto_reply` is
//! on.
//!
//! # Layout
//! - [`config`]: [`SimConfig`] and its parts.
//! - `api`: the Udesk API handlers; `error`: [`ApiError`] and the body/query extractors;
//!   `auth`: signature and nonce checks.
//! - `state`: the world (customers, sessions, transcripts, records); `queue`: agents, groups,
//!   queues and session lifecycle; `conversation`: customer messages; `survey`: surveys and ratings.
//! - `robot` + [`kb`]: the robot and its knowledge base; `demo_agent`: the scripted agent.
//! - `webhook`: reply notification delivery; [`faults`]: fault knobs; `ring`: the bounded buffer
//!   records live in.
//! - `console`, `admin`, `media`: the console page, inspection endpoints, demo media (committed files).

mod admin;
mod api;
mod auth;
pub mod config;
mod console;
mod conversation;
mod demo_agent;
mod error;
pub mod faults;
pub mod kb;
mod media;
mod queue;
mod ring;
mod robot;
mod state;
mod survey;
mod webhook;

pub use config::{
    AgentConfig, GroupConfig, Retention, RetryPolicy, SimConfig, Staff, WebhookShape,
};
pub use error::ApiError;
pub use faults::Faults;
pub use kb::KnowledgeBase;

use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use udesk_protocol::Code;

/// The shared state of a running simulator.
pub(crate) struct Sim {
    pub config: SimConfig,
    /// Base of the URLs put in messages (media, avatars).
    pub public_url: String,
    world: Mutex<state::World>,
    faults: Mutex<Faults>,
    pub fail_spread: faults::EvenSpread,
    pub timeout_spread: faults::EvenSpread,
    pub nonces: auth::NonceCache,
    pub outbox: webhook::Outbox,
    pub media: media::Library,
    /// Cancelled on shutdown: the server and every background task watch it.
    pub stop: CancellationToken,
    /// Background tasks (webhook workers, pick-up and typing timers), awaited on shutdown.
    pub tasks: TaskTracker,
}

impl Sim {
    fn new(config: SimConfig, public_url: String) -> std::io::Result<Self> {
        Ok(Sim {
            world: Mutex::new(state::World::new(&config)),
            faults: Mutex::new(config.faults.clone()),
            fail_spread: Default::default(),
            timeout_spread: Default::default(),
            nonces: Default::default(),
            outbox: webhook::Outbox::new(
                config.webhook_url.clone(),
                config.webhook_timeout,
                config.retention.records,
            )?,
            media: media::Library::generate(),
            stop: CancellationToken::new(),
            tasks: TaskTracker::new(),
            public_url,
            config,
        })
    }

    /// Forgets idle customers' transcripts, every [`Retention::sweep_every`], until shutdown.
    fn sweep_idle_transcripts(self: &Arc<Self>) {
        let sim = Arc::clone(self);
        self.tasks.spawn(async move {
            let every = sim.config.retention.sweep_every();
            while webhook::sleep_or_stop(&sim, every).await {
                let forgotten = sim.world().forget_idle_transcripts(state::unix_millis());
                if forgotten > 0 {
                    tracing::debug!(forgotten, "forgot idle customers' transcripts");
                }
            }
        });
    }

    /// The world, locked. Never held across an `.await`.
    pub fn world(&self) -> MutexGuard<'_, state::World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap_or_else(|e| e.into_inner()) = faults;
    }

    /// An absolute URL for a path served by the simulator.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// A simulator serving on a socket, until [`RunningSim::shutdown`] (or drop, which stops it
/// without waiting).
pub struct RunningSim {
    /// The address it is bound to.
    pub addr: SocketAddr,
    sim: Arc<Sim>,
    task: Option<JoinHandle<()>>,
}

impl RunningSim {
    /// `http://ADDR`, the base of every API path.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The agent console page.
    pub fn console_url(&self) -> String {
        format!("http://{}/console", self.addr)
    }

    /// Changes where reply notifications go (`None`: record only). Pushes already queued go to
    /// the new URL on their next try.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.sim.outbox.set_url(url);
    }

    /// Stops serving, stops every background task, and waits for them to end.
    pub async fn shutdown(mut self) {
        self.sim.stop.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        self.sim.tasks.close();
        self.sim.tasks.wait().await;
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.sim.stop.cancel();
    }
}

/// Serves the simulator on `listener` in a background task. Fails with `InvalidInput` when the
/// configuration does not hold together ([`SimConfig::validate`]), and with a clear error when
/// the webhook HTTP client cannot be built (pushes never go out without their timeout).
pub async fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<RunningSim> {
    config
        .validate()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let addr = listener.local_addr()?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let sim = Arc::new(Sim::new(config, public_url)?);
    sim.sweep_idle_transcripts();
    let router = app(Arc::clone(&sim));
    let until = sim.stop.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(until.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::error!(%err, "the simulator's server stopped");
        }
    });
    Ok(RunningSim {
        addr,
        sim,
        task: Some(task),
    })
}

/// Every route of the simulator.
fn app(sim: Arc<Sim>) -> Router {
    let im = Router::new()
        .route("/im/sessions", post(api::create_session))
        .route("/im/messages", post(api::send_message))
        .route("/im_sessions/survey", post(api::submit_survey))
        .route("/im/sessions/survey", post(api::submit_survey))
        .route("/im/queue_status", get(api::queue_status))
        .route("/im/customer_status", get(api::customer_status))
        .route("/im/agent_status", get(api::agent_status))
        .route("/im/robot/evaluations", post(api::rate_robot_answer));
    let open_api = im.clone().route("/customers", post(api::create_customer));
    let signed = Router::new()
        .merge(im)
        .nest("/open_api_v1", open_api)
        .route_layer(from_fn_with_state(
            Arc::clone(&sim),
            auth::require_signature,
        ))
        .route_layer(from_fn_with_state(
            Arc::clone(&sim),
            faults::inject_api_faults,
        ));
    let pages = Router::new()
        .merge(console::routes())
        .merge(admin::routes())
        .route_layer(axum::middleware::from_fn(auth::same_origin_writes));
    Router::new()
        .merge(signed)
        .merge(pages)
        .merge(media::routes())
        .route("/", get(|| async { Redirect::to("/console") }))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(sim)
}

/// The largest request body any route reads (the API, the console, the admin pages): a larger
/// one is refused with HTTP 413 and code 2005.
pub const BODY_LIMIT: usize = 1024 * 1024;

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::new(Code(404), format!("no such route: {}", uri.path()))
        .with_status(StatusCode::NOT_FOUND)
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::new(
        Code(405),
        format!("{method} is not allowed on {}", uri.path()),
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
}
