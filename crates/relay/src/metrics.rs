//! Counters for `GET /metrics`, in Prometheus' text format. Lock-free atomics: recording costs a
//! few nanoseconds on every hot path.

use crate::udesk::UpstreamError;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// A cumulative latency histogram.
#[derive(Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            if secs <= *bound {
                count.fetch_add(1, Relaxed);
            }
        }
        self.count.fetch_add(1, Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in BUCKETS.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                count.load(Relaxed)
            );
        }
        let total = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {total}");
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {total}");
    }
}

/// Which store the relay runs on and how durable it is, for `/metrics`
/// (`udesk_relay_store_durability{store,durability} 1`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreInfo {
    /// `memory`, `sqlite` or `redis`.
    pub store: &'static str,
    /// `fsync` (an acknowledged webhook is on disk), `none` (process memory: lost on restart),
    /// `lossy` (Redis without fsync on every write, allowed by flag) or `unknown` (Redis that
    /// refuses `CONFIG GET`).
    pub durability: &'static str,
}

/// Everything `/metrics` reports.
#[derive(Default)]
pub struct Metrics {
    pub store: StoreInfo,
    pub streams_open: AtomicI64,
    pub streams_total: AtomicU64,
    /// Streams answered with a retry hint and ended at once: the relay was full, the visitor
    /// held too many, or its client IP did.
    pub streams_refused_relay: AtomicU64,
    pub streams_refused_visitor: AtomicU64,
    pub streams_refused_ip: AtomicU64,
    /// New reply messages stored from webhooks.
    pub events_in: AtomicU64,
    /// Webhook messages skipped as duplicates (Udesk's retries).
    pub events_duplicate: AtomicU64,
    /// Events written to event streams (replayed or live).
    pub events_out: AtomicU64,
    /// `reset` events sent because history no longer reached back far enough.
    pub stream_resets: AtomicU64,
    pub webhook_ok: AtomicU64,
    pub webhook_rejected: AtomicU64,
    pub webhook_failed: AtomicU64,
    /// Webhook messages stored with fields or content that could not be read.
    pub webhook_messages_degraded: AtomicU64,
    pub webhook_latency: Histogram,
    pub upstream_calls: AtomicU64,
    pub upstream_timeouts: AtomicU64,
    pub upstream_unavailable: AtomicU64,
    pub upstream_latency: Histogram,
    /// Sends refused by the per-visitor limit.
    pub rate_limited: AtomicU64,
    /// `POST /v1/visitor` calls refused by the per-IP limit.
    pub visitor_rate_limited: AtomicU64,
    /// Queue-status polls refused by the per-visitor limit.
    pub poll_rate_limited: AtomicU64,
    /// Uploads refused by the per-visitor limit.
    pub upload_rate_limited: AtomicU64,
    /// Uploads stored, and their bytes.
    pub uploads_stored: AtomicU64,
    pub upload_bytes: AtomicU64,
    /// Uploads refused: too large, a refused kind, incomplete, stalled or malformed.
    pub uploads_refused: AtomicU64,
    /// Files deleted by retention.
    pub media_pruned: AtomicU64,
    /// Calls that would reach Udesk refused by the per-client-IP limit.
    pub ip_upstream_rate_limited: AtomicU64,
    /// Connections open now.
    pub connections_open: AtomicI64,
    /// Connections closed at once because their client IP held `--max-connections-per-ip`.
    pub connections_refused_ip: AtomicU64,
    /// Connections closed for missing a deadline (no request head in time, or idle).
    pub connections_timed_out: AtomicU64,
    /// Times the Redis subscription (other relays' events) was lost.
    pub fanout_lost: AtomicU64,
    /// Times it was made again and every stream re-read the store.
    pub fanout_resyncs: AtomicU64,
}

/// Counts an open stream until dropped.
pub struct StreamGuard(Arc<Metrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.streams_open.fetch_sub(1, Relaxed);
    }
}

impl Metrics {
    pub fn stream_opened(self: &Arc<Self>) -> StreamGuard {
        self.streams_open.fetch_add(1, Relaxed);
        self.streams_total.fetch_add(1, Relaxed);
        StreamGuard(self.clone())
    }

    pub fn upstream_call(&self, elapsed: Duration, error: Option<&UpstreamError>) {
        self.upstream_calls.fetch_add(1, Relaxed);
        self.upstream_latency.observe(elapsed);
        match error {
            Some(UpstreamError::Timeout) => self.upstream_timeouts.fetch_add(1, Relaxed),
            Some(UpstreamError::Unavailable(_)) => self.upstream_unavailable.fetch_add(1, Relaxed),
            None => 0,
        };
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let mut counter = |name: &str, kind: &str, help: &str, value: String| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        counter(
            "udesk_relay_streams_open",
            "gauge",
            "Event streams open now.",
            self.streams_open.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_streams_total",
            "counter",
            "Event streams opened.",
            self.streams_total.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_events_in_total",
            "counter",
            "Reply messages stored from webhooks.",
            self.events_in.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_events_duplicate_total",
            "counter",
            "Webhook messages skipped as already stored.",
            self.events_duplicate.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_events_out_total",
            "counter",
            "Events written to event streams.",
            self.events_out.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_stream_resets_total",
            "counter",
            "Reset events sent because history was pruned.",
            self.stream_resets.load(Relaxed).to_string(),
        );
        counter(
            "udesk_relay_webhook_messages_degraded_total",
            "counter",
            "Webhook messages stored although a field or their content could not be read.",
            self.webhook_messages_degraded.load(Relaxed).to_string(),
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_store_durability The store and whether an acknowledged webhook survives a crash (fsync) or not (none, lossy, unknown).\n\
             # TYPE udesk_relay_store_durability gauge\n\
             udesk_relay_store_durability{{store=\"{}\",durability=\"{}\"}} 1",
            self.store.store, self.store.durability
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_streams_refused_total Event streams answered with a retry hint and ended at once, by limit.\n\
             # TYPE udesk_relay_streams_refused_total counter\n\
             udesk_relay_streams_refused_total{{limit=\"relay\"}} {}\n\
             udesk_relay_streams_refused_total{{limit=\"visitor\"}} {}\n\
             udesk_relay_streams_refused_total{{limit=\"ip\"}} {}",
            self.streams_refused_relay.load(Relaxed),
            self.streams_refused_visitor.load(Relaxed),
            self.streams_refused_ip.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_webhooks_total Webhook requests by outcome.\n\
             # TYPE udesk_relay_webhooks_total counter\n\
             udesk_relay_webhooks_total{{outcome=\"stored\"}} {}\n\
             udesk_relay_webhooks_total{{outcome=\"rejected\"}} {}\n\
             udesk_relay_webhooks_total{{outcome=\"failed\"}} {}",
            self.webhook_ok.load(Relaxed),
            self.webhook_rejected.load(Relaxed),
            self.webhook_failed.load(Relaxed)
        );
        self.webhook_latency.render(
            &mut out,
            "udesk_relay_webhook_seconds",
            "Time to validate, store and acknowledge a webhook.",
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_upstream_calls_total Calls to Udesk.\n\
             # TYPE udesk_relay_upstream_calls_total counter\n\
             udesk_relay_upstream_calls_total {}\n\
             # HELP udesk_relay_upstream_errors_total Calls to Udesk without a usable answer.\n\
             # TYPE udesk_relay_upstream_errors_total counter\n\
             udesk_relay_upstream_errors_total{{kind=\"timeout\"}} {}\n\
             udesk_relay_upstream_errors_total{{kind=\"unavailable\"}} {}",
            self.upstream_calls.load(Relaxed),
            self.upstream_timeouts.load(Relaxed),
            self.upstream_unavailable.load(Relaxed)
        );
        self.upstream_latency.render(
            &mut out,
            "udesk_relay_upstream_seconds",
            "Latency of calls to Udesk.",
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_rate_limited_total Calls refused by a rate limit.\n\
             # TYPE udesk_relay_rate_limited_total counter\n\
             udesk_relay_rate_limited_total{{limit=\"send\"}} {}\n\
             udesk_relay_rate_limited_total{{limit=\"visitor\"}} {}\n\
             udesk_relay_rate_limited_total{{limit=\"poll\"}} {}\n\
             udesk_relay_rate_limited_total{{limit=\"upload\"}} {}\n\
             udesk_relay_rate_limited_total{{limit=\"ip_upstream\"}} {}",
            self.rate_limited.load(Relaxed),
            self.visitor_rate_limited.load(Relaxed),
            self.poll_rate_limited.load(Relaxed),
            self.upload_rate_limited.load(Relaxed),
            self.ip_upstream_rate_limited.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_uploads_total Visitor uploads, stored or refused.\n\
             # TYPE udesk_relay_uploads_total counter\n\
             udesk_relay_uploads_total{{outcome=\"stored\"}} {}\n\
             udesk_relay_uploads_total{{outcome=\"refused\"}} {}\n\
             # HELP udesk_relay_upload_bytes_total Bytes of stored uploads.\n\
             # TYPE udesk_relay_upload_bytes_total counter\n\
             udesk_relay_upload_bytes_total {}\n\
             # HELP udesk_relay_media_pruned_total Uploaded files deleted by retention.\n\
             # TYPE udesk_relay_media_pruned_total counter\n\
             udesk_relay_media_pruned_total {}",
            self.uploads_stored.load(Relaxed),
            self.uploads_refused.load(Relaxed),
            self.upload_bytes.load(Relaxed),
            self.media_pruned.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_connections_open Client connections open now.\n\
             # TYPE udesk_relay_connections_open gauge\n\
             udesk_relay_connections_open {}\n\
             # HELP udesk_relay_connections_closed_total Connections the relay closed itself, by reason.\n\
             # TYPE udesk_relay_connections_closed_total counter\n\
             udesk_relay_connections_closed_total{{reason=\"ip_limit\"}} {}\n\
             udesk_relay_connections_closed_total{{reason=\"deadline\"}} {}",
            self.connections_open.load(Relaxed),
            self.connections_refused_ip.load(Relaxed),
            self.connections_timed_out.load(Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP udesk_relay_fanout_lost_total Times the Redis subscription to other relays' events was lost.\n\
             # TYPE udesk_relay_fanout_lost_total counter\n\
             udesk_relay_fanout_lost_total {}\n\
             # HELP udesk_relay_fanout_resyncs_total Times it came back and open streams re-read the store.\n\
             # TYPE udesk_relay_fanout_resyncs_total counter\n\
             udesk_relay_fanout_resyncs_total {}",
            self.fanout_lost.load(Relaxed),
            self.fanout_resyncs.load(Relaxed)
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Arc::new(Metrics::default());
        let guard = m.stream_opened();
        m.webhook_latency.observe(Duration::from_millis(3));
        m.upstream_call(Duration::from_millis(1), Some(&UpstreamError::Timeout));
        let text = m.render();
        assert!(text.contains("udesk_relay_streams_open 1"));
        assert!(text.contains("udesk_relay_webhook_seconds_bucket{le=\"0.0025\"} 0"));
        assert!(text.contains("udesk_relay_webhook_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("udesk_relay_upstream_errors_total{kind=\"timeout\"} 1"));
        drop(guard);
        assert!(m.render().contains("udesk_relay_streams_open 0"));
    }
}
