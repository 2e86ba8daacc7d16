//! Inspection and control for tests and people: what the simulator recorded, and its knobs.
//! Records are bounded (the newest `Retention::records` of each kind; transcripts per customer),
//! so these lists show the newest entries, oldest first.
//!
//! | route | what |
//! |---|---|
//! | `GET /admin/transcripts[?customer_token=]` | transcripts (all customers, or one) |
//! | `GET /admin/surveys` | submitted surveys |
//! | `GET /admin/ratings` | robot answer ratings |
//! | `GET /admin/webhooks[?customer_token=]` | webhook tries: push_id, message_ids, attempt, status, error, outcome; `forgotten` older ones |
//! | `GET /admin/sessions` | agent sessions and their states |
//! | `GET /admin/customers` | customers (IM and token-less Open API ones) |
//! | `GET /admin/faults`, `POST /admin/faults` | the fault knobs; POST changes the fields it names |
//! | `POST /admin/webhook` `{"url": "…" \| null}` | where reply notifications go |
//! | `POST /admin/agents/{id}` `{"online": bool}` | an agent's presence |

use crate::error::{ApiError, RestJson, RestQuery};
use crate::faults::Faults;
use crate::state::{AgentSession, Customer, RatingRecord, SurveyRecord, TranscriptEntry};
use crate::webhook::DeliveryAttempt;
use crate::Sim;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use udesk_protocol::code::CodeResponse;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/admin/transcripts", get(transcripts))
        .route("/admin/surveys", get(surveys))
        .route("/admin/ratings", get(ratings))
        .route("/admin/webhooks", get(webhooks))
        .route("/admin/sessions", get(sessions))
        .route("/admin/customers", get(customers))
        .route("/admin/faults", get(faults).post(set_faults))
        .route("/admin/webhook", post(set_webhook))
        .route("/admin/agents/{id}", post(crate::console::set_agent))
}

/// An optional customer filter.
#[derive(Deserialize)]
struct Filter {
    #[serde(default)]
    customer_token: Option<String>,
}

async fn transcripts(
    State(sim): State<Arc<Sim>>,
    RestQuery(filter): RestQuery<Filter>,
) -> Json<BTreeMap<String, Vec<TranscriptEntry>>> {
    let world = sim.world();
    Json(
        world
            .transcripts
            .iter()
            .filter(|(token, _)| filter.customer_token.as_ref().is_none_or(|t| t == *token))
            .map(|(token, entries)| (token.clone(), entries.to_vec()))
            .collect(),
    )
}

async fn surveys(State(sim): State<Arc<Sim>>) -> Json<Vec<SurveyRecord>> {
    Json(sim.world().surveys.to_vec())
}

async fn ratings(State(sim): State<Arc<Sim>>) -> Json<Vec<RatingRecord>> {
    Json(sim.world().ratings.to_vec())
}

#[derive(Serialize)]
struct Webhooks {
    url: Option<String>,
    /// Pushes not yet delivered (waiting, or between retries).
    pending: usize,
    /// The newest tries (at most `Retention::records`), oldest first.
    attempts: Vec<DeliveryAttempt>,
    /// Older tries forgotten to keep within that bound.
    forgotten: u64,
}

async fn webhooks(
    State(sim): State<Arc<Sim>>,
    RestQuery(filter): RestQuery<Filter>,
) -> Json<Webhooks> {
    let (attempts, forgotten) = sim.outbox.attempts();
    let attempts = attempts
        .into_iter()
        .filter(|a| {
            filter
                .customer_token
                .as_ref()
                .is_none_or(|t| *t == a.customer_token)
        })
        .collect();
    Json(Webhooks {
        url: sim.outbox.url(),
        pending: sim.outbox.pending(),
        attempts,
        forgotten,
    })
}

async fn sessions(State(sim): State<Arc<Sim>>) -> Json<Vec<AgentSession>> {
    Json(sim.world().sessions.values().cloned().collect())
}

async fn customers(State(sim): State<Arc<Sim>>) -> Json<Vec<Customer>> {
    let world = sim.world();
    Json(
        world
            .customers
            .values()
            .chain(world.tokenless_customers.iter())
            .cloned()
            .collect(),
    )
}

async fn faults(State(sim): State<Arc<Sim>>) -> Json<Faults> {
    Json(sim.faults())
}

async fn set_faults(
    State(sim): State<Arc<Sim>>,
    RestJson(patch): RestJson<serde_json::Value>,
) -> Result<Json<Faults>, ApiError> {
    let faults = sim.faults().patched(patch).map_err(ApiError::rest)?;
    tracing::info!(?faults, "fault knobs changed");
    sim.set_faults(faults.clone());
    Ok(Json(faults))
}

#[derive(Deserialize)]
struct WebhookTarget {
    url: Option<String>,
}

async fn set_webhook(
    State(sim): State<Arc<Sim>>,
    RestJson(target): RestJson<WebhookTarget>,
) -> Result<Json<CodeResponse>, ApiError> {
    let url = target
        .url
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    if let Some(url) = &url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ApiError::bad("url", "must be an http(s) URL").rest());
        }
    }
    sim.outbox.set_url(url);
    Ok(Json(CodeResponse::success()))
}
