//! Who may call what: Open API request signing, checked on every IM and customer route as
//! Udesk checks it, and a cross-site guard on the unsigned console and admin pages.
//!
//! The signature travels in the query (`email`, `timestamp`, `sign`, `nonce`, `sign_version`);
//! [`udesk_protocol::sign::SignedQuery::verify`] checks it, and [`NonceCache`] refuses a v2 nonce
//! seen in the last 15 minutes (20623). v1 requests carry no nonce and cannot be replay-checked,
//! as with Udesk.
//!
//! The console and admin pages need no credentials (keep the simulator on loopback), so any web
//! page the person at the console visits could otherwise POST to them (`fetch` with
//! `mode: "no-cors"` needs no preflight): redirect the webhooks, inject faults, speak as an
//! agent. [`same_origin_writes`] refuses writes that a browser marks as coming from another
//! origin; tests and scripts, which send no `Origin`, are unaffected.

use crate::error::{query_map, ApiError};
use crate::state::unix_secs;
use crate::Sim;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use udesk_protocol::sign::{SignError, SignedQuery, NONCE_WINDOW_SECS};

/// Nonces used in the last [`NONCE_WINDOW_SECS`], forgotten in the order they were used.
#[derive(Default)]
pub struct NonceCache {
    inner: Mutex<NonceWindow>,
}

#[derive(Default)]
struct NonceWindow {
    seen: HashMap<String, i64>,
    order: VecDeque<(i64, String)>,
}

impl NonceCache {
    /// Records `nonce` as used at `now`; refuses it when it was used within the window.
    pub fn use_once(&self, nonce: &str, now: i64) -> Result<(), SignError> {
        let mut window = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((at, _)) = window.order.front() {
            if now - at < NONCE_WINDOW_SECS {
                break;
            }
            if let Some((_, old)) = window.order.pop_front() {
                window.seen.remove(&old);
            }
        }
        if window.seen.contains_key(nonce) {
            return Err(SignError::NonceReused);
        }
        window.seen.insert(nonce.to_owned(), now);
        window.order.push_back((now, nonce.to_owned()));
        Ok(())
    }
}

/// Middleware: refuses a request whose Open API signature is missing, wrong, stale or replayed.
pub async fn require_signature(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let query = query_map(req.uri().query().unwrap_or_default());
    match check(&sim, query) {
        Ok(()) => next.run(req).await,
        Err(err) => {
            tracing::debug!(path = %req.uri().path(), reason = err.message(), "refused an unsigned or badly signed call");
            ApiError::from(err).into_response()
        }
    }
}

/// Middleware on the console and admin pages: a request that changes something (not GET or
/// HEAD) and carries an `Origin` other than the simulator's own is refused with 403.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    let reads = matches!(*req.method(), Method::GET | Method::HEAD);
    let foreign = req
        .headers()
        .get(header::ORIGIN)
        .map(|origin| {
            let host = req.headers().get(header::HOST);
            let origin = origin.to_str().unwrap_or_default();
            let origin_host = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            origin_host.is_none() || origin_host != host.and_then(|h| h.to_str().ok())
        })
        .unwrap_or(false);
    if reads || !foreign {
        return next.run(req).await;
    }
    ApiError::bad("Origin", "another web site may not drive the simulator")
        .with_status(StatusCode::FORBIDDEN)
        .into_response()
}

fn check(sim: &Sim, query: serde_json::Map<String, Value>) -> Result<(), SignError> {
    // Every field of SignedQuery is a string with a default, so this only fails on a non-string,
    // which a query map never holds.
    let signed: SignedQuery =
        udesk_protocol::from_value(Value::Object(query)).map_err(|_| SignError::WrongSign)?;
    let now = unix_secs() as i64;
    signed.verify(&sim.config.email, &sim.config.token, now)?;
    if signed.sign_version.as_deref() == Some("v2") {
        let nonce = signed.nonce.as_deref().unwrap_or_default();
        sim.nonces.use_once(nonce, now)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_refused_within_fifteen_minutes_and_accepted_after() {
        let cache = NonceCache::default();
        assert_eq!(cache.use_once("n1", 1000), Ok(()));
        assert_eq!(
            cache.use_once("n1", 1000 + 899),
            Err(SignError::NonceReused)
        );
        assert_eq!(cache.use_once("n2", 1000 + 899), Ok(()));
        assert_eq!(cache.use_once("n1", 1000 + 900), Ok(()), "window passed");
    }
}
