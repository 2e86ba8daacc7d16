//! Reply notifications: every robot and agent reply is POSTed to the webhook URL, as Udesk does.
//!
//! Delivery is at-least-once and in order per customer. Each customer has a queue of pushes and at
//! most one worker task draining it: a push is retried (same body, same `message_id`s) with
//! exponential backoff until the receiver answers 2xx within the timeout, and only then does the
//! next push for that customer go out. Customers do not wait for each other. Every try is recorded
//! for `GET /admin/webhooks` (the newest [`crate::Retention::records`]).
//!
//! With the `messages` shape (today's Udesk) one push carries every message produced together
//! (e.g. `info_appoint` + `start_session`); with the seed's `message` shape each message is its
//! own push.

use crate::config::WebhookShape;
use crate::faults::REORDER_WINDOW;
use crate::ring::Ring;
use crate::state::unix_millis;
use crate::Sim;
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use udesk_protocol::notification::SingleReplyNotification;
use udesk_protocol::{AssignType, ReplyMessage, ReplyNotification};

/// One notification to deliver.
#[derive(Clone, Debug)]
pub struct Push {
    pub id: u64,
    pub customer_token: String,
    pub assign_type: AssignType,
    pub messages: Vec<ReplyMessage>,
}

/// One try at delivering a push.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryAttempt {
    pub push_id: u64,
    pub customer_token: String,
    pub assign_type: AssignType,
    pub message_ids: Vec<String>,
    /// 1 for the first try of a push.
    pub attempt: u32,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u16>,
    /// What went wrong: a timeout, a refused connection, a non-2xx status.
    pub error: Option<String>,
    pub outcome: Outcome,
    /// A copy sent by the `duplicate_webhooks` fault.
    pub duplicate: bool,
    pub at_ms: u64,
    pub elapsed_ms: u64,
}

/// How a try ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    /// Failed; it will be retried.
    Retrying,
    /// Failed and out of retries: the push is dropped (and logged).
    GaveUp,
    /// No webhook URL is configured: recorded in the transcript only.
    NotSent,
}

/// The per-customer delivery queues and the record of tries.
pub struct Outbox {
    client: reqwest::Client,
    url: Mutex<Option<String>>,
    state: Mutex<OutboxState>,
}

struct OutboxState {
    queues: HashMap<String, VecDeque<Push>>,
    /// Customers whose worker is running.
    draining: HashSet<String>,
    attempts: Ring<DeliveryAttempt>,
    next_push_id: u64,
}

impl Outbox {
    /// An outbox keeping the newest `max_attempts_kept` tries. Fails when the HTTP client cannot
    /// be built: pushes must not go out without the receiver's timeout.
    pub fn new(
        url: Option<String>,
        timeout: Duration,
        max_attempts_kept: usize,
    ) -> std::io::Result<Self> {
        Ok(Outbox {
            client: client(reqwest::Client::builder(), timeout)?,
            url: Mutex::new(url),
            state: Mutex::new(OutboxState {
                queues: HashMap::new(),
                draining: HashSet::new(),
                attempts: Ring::new(max_attempts_kept),
                next_push_id: 0,
            }),
        })
    }

    pub fn url(&self) -> Option<String> {
        lock(&self.url).clone()
    }

    pub fn set_url(&self, url: Option<String>) {
        *lock(&self.url) = url;
    }

    /// The tries kept (the newest), oldest first, and how many older ones were forgotten.
    pub fn attempts(&self) -> (Vec<DeliveryAttempt>, u64) {
        let state = lock(&self.state);
        (state.attempts.to_vec(), state.attempts.forgotten())
    }

    /// Pushes not yet delivered or given up (waiting, or between retries).
    pub fn pending(&self) -> usize {
        lock(&self.state).queues.values().map(VecDeque::len).sum()
    }

    fn record(&self, attempt: DeliveryAttempt) {
        lock(&self.state).attempts.push(attempt);
    }
}

/// The webhook HTTP client, with the receiver's timeout; a clear error when it cannot be built.
fn client(builder: reqwest::ClientBuilder, timeout: Duration) -> std::io::Result<reqwest::Client> {
    builder.timeout(timeout).build().map_err(|err| {
        let why = with_causes(&err);
        std::io::Error::other(format!("cannot build the webhook HTTP client: {why}"))
    })
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Sim {
    /// Queues `messages` for delivery to the customer's webhook, after any earlier pushes.
    pub(crate) fn push(
        self: &Arc<Self>,
        customer_token: &str,
        assign_type: AssignType,
        messages: Vec<ReplyMessage>,
    ) {
        if messages.is_empty() {
            return;
        }
        let batches: Vec<Vec<ReplyMessage>> = match self.config.webhook_shape {
            WebhookShape::Messages => vec![messages],
            WebhookShape::Message => messages.into_iter().map(|m| vec![m]).collect(),
        };
        let mut state = lock(&self.outbox.state);
        for messages in batches {
            state.next_push_id += 1;
            let push = Push {
                id: state.next_push_id,
                customer_token: customer_token.to_owned(),
                assign_type,
                messages,
            };
            state
                .queues
                .entry(customer_token.to_owned())
                .or_default()
                .push_back(push);
        }
        if state.draining.insert(customer_token.to_owned()) {
            let sim = Arc::clone(self);
            let customer = customer_token.to_owned();
            self.tasks.spawn(async move { drain(sim, customer).await });
        }
    }
}

/// The worker of one customer's queue: delivers pushes one at a time until the queue is empty.
/// A push stays queued until it is done with, so `pending` counts it while it is retried.
async fn drain(sim: Arc<Sim>, customer: String) {
    loop {
        let reorder = sim.faults().out_of_order;
        if reorder && !sleep_or_stop(&sim, REORDER_WINDOW).await {
            return;
        }
        let push = {
            let mut state = lock(&sim.outbox.state);
            let queue = state.queues.get(&customer);
            let next = queue.and_then(|q| if reorder { q.back() } else { q.front() });
            match next {
                Some(push) => push.clone(),
                None => {
                    state.queues.remove(&customer);
                    state.draining.remove(&customer);
                    return;
                }
            }
        };
        if !deliver(&sim, &push).await {
            return;
        }
        if let Some(queue) = lock(&sim.outbox.state).queues.get_mut(&customer) {
            queue.retain(|p| p.id != push.id);
        }
    }
}

/// Delivers one push, retrying until it succeeds or runs out of tries. `false` when the simulator
/// is shutting down.
async fn deliver(sim: &Arc<Sim>, push: &Push) -> bool {
    let body = body(sim.config.webhook_shape, push);
    let delay = Duration::from_millis(sim.faults().webhook_delay_ms);
    if !delay.is_zero() && !sleep_or_stop(sim, delay).await {
        return false;
    }
    let policy = &sim.config.webhook_retry;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let Some(url) = sim.outbox.url() else {
            sim.outbox.record(attempt_record(
                push,
                attempt,
                Ok(0),
                Outcome::NotSent,
                false,
                0,
            ));
            return true;
        };
        let started = Instant::now();
        let result = tokio::select! {
            result = post(sim, &url, &body) => result,
            _ = sim.stop.cancelled() => return false,
        };
        let elapsed = started.elapsed().as_millis() as u64;
        if result.is_ok() {
            sim.outbox.record(attempt_record(
                push,
                attempt,
                result,
                Outcome::Delivered,
                false,
                elapsed,
            ));
            if sim.faults().duplicate_webhooks {
                let started = Instant::now();
                let again = tokio::select! {
                    result = post(sim, &url, &body) => result,
                    _ = sim.stop.cancelled() => return false,
                };
                let outcome = if again.is_ok() {
                    Outcome::Delivered
                } else {
                    Outcome::GaveUp
                };
                let elapsed = started.elapsed().as_millis() as u64;
                sim.outbox.record(attempt_record(
                    push,
                    attempt + 1,
                    again,
                    outcome,
                    true,
                    elapsed,
                ));
            }
            return true;
        }
        let out_of_tries = attempt >= policy.max_attempts;
        let outcome = if out_of_tries {
            Outcome::GaveUp
        } else {
            Outcome::Retrying
        };
        if let Err((_, error)) = &result {
            tracing::warn!(customer = %push.customer_token, push = push.id, attempt, %error, "webhook push failed");
        }
        sim.outbox.record(attempt_record(
            push, attempt, result, outcome, false, elapsed,
        ));
        if out_of_tries {
            tracing::error!(customer = %push.customer_token, push = push.id, "webhook push given up");
            return true;
        }
        if !sleep_or_stop(sim, policy.backoff(attempt)).await {
            return false;
        }
    }
}

/// POSTs the body; `Ok(status)` for a 2xx answer within the timeout.
async fn post(
    sim: &Sim,
    url: &str,
    body: &serde_json::Value,
) -> Result<u16, (Option<u16>, String)> {
    let response = sim
        .outbox
        .client
        .post(url)
        .json(body)
        .send()
        .await
        .map_err(|e| {
            let why = if e.is_timeout() {
                format!(
                    "timed out after {} ms",
                    sim.config.webhook_timeout.as_millis()
                )
            } else if e.is_connect() {
                format!("cannot connect: {}", without_url(e))
            } else {
                without_url(e)
            };
            (None, why)
        })?;
    let status = response.status();
    // Read the body so the connection can be reused, and so a slow body counts against the timeout.
    let _ = response.bytes().await;
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err((Some(status.as_u16()), format!("HTTP {status}")))
    }
}

/// A transport error with its causes but without its URL: a receiver's URL may hold a secret
/// (the relay's does), and these texts are logged and shown on `/admin/webhooks`.
fn without_url(err: reqwest::Error) -> String {
    with_causes(&err.without_url())
}

/// An error and its causes, `: `-separated.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

fn body(shape: WebhookShape, push: &Push) -> serde_json::Value {
    let value = match (shape, push.messages.as_slice()) {
        (WebhookShape::Message, [message]) => serde_json::to_value(SingleReplyNotification {
            customer_token: &push.customer_token,
            assign_type: push.assign_type,
            message,
        }),
        _ => serde_json::to_value(ReplyNotification {
            customer_token: push.customer_token.clone(),
            assign_type: push.assign_type,
            messages: push.messages.clone(),
        }),
    };
    value.unwrap_or_default()
}

fn attempt_record(
    push: &Push,
    attempt: u32,
    result: Result<u16, (Option<u16>, String)>,
    outcome: Outcome,
    duplicate: bool,
    elapsed_ms: u64,
) -> DeliveryAttempt {
    let (status, error) = match result {
        Ok(0) => (None, Some("no webhook URL configured".to_owned())),
        Ok(status) => (Some(status), None),
        Err((status, error)) => (status, Some(error)),
    };
    DeliveryAttempt {
        push_id: push.id,
        customer_token: push.customer_token.clone(),
        assign_type: push.assign_type,
        message_ids: push.messages.iter().map(|m| m.message_id.clone()).collect(),
        attempt,
        status,
        error,
        outcome,
        duplicate,
        at_ms: unix_millis(),
        elapsed_ms,
    }
}

/// Sleeps, unless the simulator stops first (then `false`).
pub(crate) async fn sleep_or_stop(sim: &Sim, duration: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(duration) => true,
        _ = sim.stop.cancelled() => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_cannot_be_built_is_an_error_not_a_client_without_timeout() {
        // rustls refuses a root certificate that is not one, when the client is built.
        let broken = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_der(b"not a certificate").unwrap());
        let err = client(broken, Duration::from_secs(10)).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot build the webhook HTTP client: "),
            "{err}"
        );
        assert!(client(reqwest::Client::builder(), Duration::from_secs(10)).is_ok());
    }
}
