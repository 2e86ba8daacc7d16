//! `udesk-relay`: parses flags, sets up logging, binds, starts the relay and stops it on
//! Ctrl-C or SIGTERM. Everything else lives in the library.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;
use udesk_relay::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=warn,hyper=warn")),
        )
        .with_writer(std::io::stderr)
        .init();

    let listener = match TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("udesk-relay: cannot listen on {}: {err}", config.listen);
            return ExitCode::FAILURE;
        }
    };
    let relay = match udesk_relay::start(config, listener).await {
        Ok(relay) => relay,
        Err(err) => {
            eprintln!("udesk-relay: {err}");
            return ExitCode::FAILURE;
        }
    };
    // The one line on stdout: tests and scripts read the address from it.
    // (A closed stdout must not kill the relay, so write errors are ignored.)
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "udesk-relay listening on http://{}", relay.addr);
    let _ = stdout.flush();

    shutdown_signal().await;
    tracing::info!("shutting down");
    relay.shutdown().await;
    ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
