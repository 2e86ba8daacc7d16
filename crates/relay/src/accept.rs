//! The relay's accept loop: what `axum::serve` does, plus a deadline on every phase of a
//! connection and a cap on the connections one client IP holds.
//!
//! `axum::serve` gives hyper no timer and knows no deadlines, so a client could hold sockets and
//! tasks for as long as it liked: a socket that connects and never sends a byte (the HTTP/1 vs
//! HTTP/2 detection waits for ever), a request head or HTTP/2 frame sent a byte at a time (slow
//! loris), a body dripped at one byte a second, a keep-alive connection left idle. 300 silent
//! sockets exhausted a relay's file descriptors. Here every phase has a deadline
//! ([`Deadlines`]):
//!
//! - **first request**: a connection must deliver a complete request head within
//!   `--header-timeout-ms` of being accepted, whatever its protocol (this also bounds the
//!   protocol detection and an HTTP/2 connection's preface, settings and first headers);
//! - **header**: on HTTP/1 every later head must also arrive within it (hyper's header timer,
//!   which also runs while a keep-alive connection waits for its next request);
//! - **body**: a request body must arrive completely within `--body-timeout-ms` of the request
//!   reaching the router ([`body_deadline`]); a late one is answered 408 and the connection
//!   closed;
//! - **idle**: a connection with no request in flight for `--idle-timeout-ms` is closed (an open
//!   event stream is a request in flight: it lives as long as its token, see [`crate::sse`]);
//! - **HTTP/2**: the relay pings every 20 s and closes a connection that does not answer within
//!   10 s.
//!
//! A client IP (IPv6: one /64) may hold `--max-connections-per-ip` connections at once; one more
//! is closed at once. On shutdown the loop stops accepting and waits for open connections to
//! finish (event streams end on the same signal, so browsers reconnect elsewhere or later).

use crate::limits::{ip_key, OpenLimit};
use crate::metrics::Metrics;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::extract::rejection::BytesRejection;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use http_body::{Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::{Service, ServiceExt};

/// How often the relay pings an HTTP/2 client, and how long it waits for the answer.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The deadlines of a connection's phases and the per-IP cap (see the module doc).
#[derive(Clone, Debug)]
pub struct Deadlines {
    /// A request head (the first one, and each later HTTP/1 one) must arrive within this.
    pub header: Duration,
    /// A connection with nothing in flight for this long is closed.
    pub idle: Duration,
    /// Connections one client IP may hold at once (0 = no limit).
    pub max_connections_per_ip: usize,
}

/// Serves `router` on `listener` until `stop` is cancelled, then drains open connections.
/// Handlers can extract `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    deadlines: Deadlines,
    metrics: Arc<Metrics>,
    stop: CancellationToken,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(deadlines.header);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT);
    let mut make_service: IntoMakeServiceWithConnectInfo<Router, SocketAddr> =
        router.into_make_service_with_connect_info();
    let connections = GracefulShutdown::new();
    let per_ip = OpenLimit::new(deadlines.max_connections_per_ip);

    loop {
        let (socket, remote) = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Some(slot) = per_ip.try_open(&ip_key(Some(remote.ip()))) else {
            // Dropping the socket closes it: cheaper than any answer.
            metrics.connections_refused_ip.fetch_add(1, Relaxed);
            continue;
        };
        let _ = socket.set_nodelay(true);
        let service = match make_service.call(remote).await {
            Ok(service) => service,
            Err(never) => match never {},
        };
        let activity = Arc::new(Activity::default());
        let tracked = activity.clone();
        let service = tower::service_fn(move |request: Request<hyper::body::Incoming>| {
            let in_flight = tracked.begin();
            let service = service.clone();
            async move {
                let response = service.oneshot(request).await?;
                Ok::<_, Infallible>(response.map(|body| {
                    Body::new(InFlightBody {
                        inner: body,
                        _in_flight: in_flight,
                    })
                }))
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(socket), TowerToHyperService::new(service))
            .into_owned();
        let connection = connections.watch(connection);
        let (deadlines, metrics) = (deadlines.clone(), metrics.clone());
        tokio::spawn(async move {
            let _slot = slot;
            metrics.connections_open.fetch_add(1, Relaxed);
            tokio::select! {
                result = connection => if let Err(err) = result {
                    tracing::debug!(error = %err, %remote, "connection ended with an error");
                },
                why = activity.overdue(&deadlines) => {
                    metrics.connections_timed_out.fetch_add(1, Relaxed);
                    tracing::debug!(%remote, "closing a connection: {why}");
                }
            }
            metrics.connections_open.fetch_sub(1, Relaxed);
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// What a connection is doing: requests started, requests in flight (until their answer's body
/// is done), and since when nothing has been in flight.
#[derive(Default)]
struct Activity {
    started: AtomicU64,
    in_flight: AtomicUsize,
    idle_since: Mutex<Option<Instant>>,
}

/// One request in flight on a connection; the count drops with it.
struct InFlight(Arc<Activity>);

impl Activity {
    fn begin(self: &Arc<Self>) -> InFlight {
        self.started.fetch_add(1, Relaxed);
        self.in_flight.fetch_add(1, Relaxed);
        InFlight(self.clone())
    }

    /// Resolves when the connection has outlived a deadline, saying which.
    async fn overdue(&self, deadlines: &Deadlines) -> &'static str {
        tokio::time::sleep(deadlines.header).await;
        if self.started.load(Relaxed) == 0 {
            return "no complete request head within the header timeout";
        }
        loop {
            let idle_since = *self.idle_since.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            match idle_since {
                _ if self.in_flight.load(Relaxed) > 0 => {
                    tokio::time::sleep(deadlines.idle).await;
                }
                Some(since) if now >= since + deadlines.idle => {
                    return "idle for the idle timeout";
                }
                Some(since) => tokio::time::sleep_until(since + deadlines.idle).await,
                None => tokio::time::sleep(deadlines.idle).await,
            }
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Relaxed) == 1 {
            *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
    }
}

/// An answer's body, counted as in flight until it is done or dropped.
struct InFlightBody {
    inner: Body,
    _in_flight: InFlight,
}

impl HttpBody for InFlightBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The error of a request body that missed its deadline.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive within the body timeout")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body that fails with [`BodyTimedOut`] once its deadline has passed: a whole-body
/// deadline, not one per chunk, so a body dripped a byte at a time ends too.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::BoxError>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware: the request body must arrive within `timeout` of the request reaching the
/// router.
pub async fn body_deadline(timeout: Duration, request: Request, next: Next) -> Response {
    let deadline = Box::pin(tokio::time::sleep(timeout));
    let request = request.map(|inner| Body::new(DeadlineBody { inner, deadline }));
    next.run(request).await
}

/// Whether a body extractor failed because the body missed its deadline.
pub fn is_body_timeout(rejection: &BytesRejection) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = source {
        if error.is::<BodyTimedOut>() {
            return true;
        }
        source = error.source();
    }
    false
}
