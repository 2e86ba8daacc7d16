//! Fault knobs for testing clients against a misbehaving Udesk: duplicate, delayed and reordered
//! webhooks; API calls that fail with 5xx or never answer in time.
//!
//! Percentages are spread evenly and deterministically, not randomly: at 50 % every second call
//! fails, at 25 % every fourth, so tests can count on them.
//!
//! - A *failed* call answers HTTP 503 before doing anything.
//! - A *timed-out* call is carried out, then its answer is held back for `timeout_ms` (30 s by
//!   default): the client gives up without knowing the call took effect, which is exactly the case
//!   a retry with the same `message_id` must survive.

use crate::error::ApiError;
use crate::Sim;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use udesk_protocol::Code;

/// The fault knobs. `GET /admin/faults` shows them; `POST /admin/faults` changes the fields it
/// names and leaves the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Send every webhook push twice (the second right after the first succeeds).
    pub duplicate_webhooks: bool,
    /// Wait this long before the first try of every webhook push.
    pub webhook_delay_ms: u64,
    /// Deliver a customer's webhook pushes newest first instead of in order (pushes queued within
    /// a short window are reversed).
    pub out_of_order: bool,
    /// Answer this percentage of API calls with HTTP 503 without carrying them out.
    pub fail_percent: u8,
    /// Carry out this percentage of API calls but hold their answer back for `timeout_ms`.
    pub timeout_percent: u8,
    /// How long a timed-out call's answer is held back.
    pub timeout_ms: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            duplicate_webhooks: false,
            webhook_delay_ms: 0,
            out_of_order: false,
            fail_percent: 0,
            timeout_percent: 0,
            timeout_ms: 30_000,
        }
    }
}

/// How long pushes are gathered before an out-of-order delivery reverses them.
pub const REORDER_WINDOW: Duration = Duration::from_millis(150);

impl Faults {
    /// These faults with the fields `patch` names replaced.
    pub fn patched(&self, patch: serde_json::Value) -> Result<Faults, ApiError> {
        let serde_json::Value::Object(patch) = patch else {
            return Err(ApiError::bad(
                "body",
                "expected a JSON object of fault knobs",
            ));
        };
        let mut merged = match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        merged.extend(patch);
        let faults: Faults = udesk_protocol::from_value(serde_json::Value::Object(merged))?;
        for (name, percent) in [
            ("fail_percent", faults.fail_percent),
            ("timeout_percent", faults.timeout_percent),
        ] {
            if percent > 100 {
                return Err(ApiError::bad(name, "must be between 0 and 100"));
            }
        }
        Ok(faults)
    }
}

/// Decides which calls a percentage hits, evenly: call n is hit when ⌊(n+1)·p/100⌋ > ⌊n·p/100⌋.
#[derive(Default)]
pub struct EvenSpread {
    calls: AtomicU64,
}

impl EvenSpread {
    pub fn hits(&self, percent: u8) -> bool {
        if percent == 0 {
            return false;
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed);
        let p = u64::from(percent.min(100));
        (n + 1) * p / 100 > n * p / 100
    }
}

/// Middleware on the API routes: injects the failures and timeouts the knobs ask for.
pub(crate) async fn inject_api_faults(
    State(sim): State<Arc<Sim>>,
    req: Request,
    next: Next,
) -> Response {
    let faults = sim.faults();
    if sim.fail_spread.hits(faults.fail_percent) {
        tracing::info!(path = %req.uri().path(), "fault: failing an API call with 503");
        return ApiError::new(
            Code(503),
            "服务暂不可用 (simulated outage: fault injection fail_percent)",
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
        .into_response();
    }
    let hold = sim.timeout_spread.hits(faults.timeout_percent);
    let response = next.run(req).await;
    if hold {
        tracing::info!(
            ms = faults.timeout_ms,
            "fault: holding an API answer back (timeout)"
        );
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(faults.timeout_ms)) => {}
            _ = sim.stop.cancelled() => {}
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_spread_evenly() {
        let spread = EvenSpread::default();
        let hits: Vec<bool> = (0..8).map(|_| spread.hits(25)).collect();
        assert_eq!(hits, [false, false, false, true, false, false, false, true]);
        let all = EvenSpread::default();
        assert!((0..10).all(|_| all.hits(100)));
        let none = EvenSpread::default();
        assert!((0..10).all(|_| !none.hits(0)));
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let faults = Faults {
            duplicate_webhooks: true,
            ..Faults::default()
        };
        let patched = faults
            .patched(serde_json::json!({"fail_percent": 30}))
            .unwrap();
        assert!(patched.duplicate_webhooks);
        assert_eq!(patched.fail_percent, 30);
        assert!(faults
            .patched(serde_json::json!({"fail_percent": 130}))
            .is_err());
        assert!(faults.patched(serde_json::json!({"nonsense": 1})).is_err());
    }
}
