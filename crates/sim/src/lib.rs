//! A local stand-in for Udesk's IM service (skeleton: the simulator issue fills it in).
//!
//! The public surface below is a contract the relay relies on to embed the simulator:
//! [`SimConfig`] (with a demo [`Default`]), [`start`], and [`RunningSim`].

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the simulator behaves. `Default` is the demo setup documented in the README.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Open API e-mail the simulator accepts in signed requests.
    pub email: String,
    /// Open API token the simulator accepts in signed requests.
    pub token: String,
    /// Where reply notifications are POSTed; `None` records them without sending.
    pub webhook_url: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            email: "demo@udesk-chat.local".into(),
            token: "udesk-chat-demo-token".into(),
            webhook_url: None,
        }
    }
}

/// A simulator serving on a socket, until [`RunningSim::shutdown`].
pub struct RunningSim {
    /// The address it is bound to.
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
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

    /// Stops serving and waits for the server task to end.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Serves the simulator on `listener` in a background task.
pub async fn start(listener: TcpListener, config: SimConfig) -> std::io::Result<RunningSim> {
    let addr = listener.local_addr()?;
    let _ = config;
    let stop = CancellationToken::new();
    let app = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let until = stop.clone();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { until.cancelled().await })
            .await;
    });
    Ok(RunningSim { addr, stop, task })
}
