//! `udesk-sim`: runs the Udesk IM simulator. Parses flags, sets up logging, binds, serves until
//! Ctrl-C or SIGTERM. Everything else is the `udesk_sim` library.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use udesk_protocol::survey::ShowType;
use udesk_sim::{config, Faults, KnowledgeBase, Retention, SimConfig, Staff, WebhookShape};

/// A local stand-in for Udesk's IM service: robot, queue, agents, agent console, webhooks.
#[derive(Parser, Debug)]
#[command(name = "udesk-sim", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "UDESK_SIM_LISTEN", default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// Where reply notifications are POSTed (none: recorded only, see /admin/webhooks).
    #[arg(long, env = "UDESK_SIM_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// Webhook body: `messages` (today's Udesk, several per push) or `message` (the seed spec).
    #[arg(long, default_value = "messages")]
    webhook_shape: WebhookShape,
    /// Seconds a webhook receiver has to answer 200 before the push is retried.
    #[arg(long, default_value_t = 10.0)]
    webhook_timeout: f64,
    /// Tries per webhook push before it is given up.
    #[arg(long, default_value_t = 16)]
    webhook_max_attempts: u32,
    /// Open API e-mail accepted in signatures.
    #[arg(long, env = "UDESK_SIM_EMAIL", default_value = "demo@udesk-chat.local")]
    email: String,
    /// Open API token accepted in signatures.
    #[arg(long, env = "UDESK_SIM_TOKEN", default_value = "udesk-chat-demo-token")]
    token: String,
    /// A knowledge base JSON file instead of the bundled one.
    #[arg(long)]
    kb: Option<PathBuf>,
    /// Agents and groups from a JSON file instead of the demo staff.
    #[arg(long)]
    agents: Option<PathBuf>,
    /// The URL browsers reach the simulator at (for media URLs); default http://<listen address>.
    #[arg(long)]
    public_url: Option<String>,
    /// Seconds an agent takes to pick up an assigned customer (分配中 → 会话中).
    #[arg(long, default_value_t = 2.0)]
    pickup_delay: f64,
    /// Seconds the scripted agent "types" before answering.
    #[arg(long, default_value_t = 0.8)]
    reply_delay: f64,
    /// How many customers each agent serves at once.
    #[arg(long)]
    capacity: Option<u32>,
    /// Scripted agents answer only `demo …` commands, not every message.
    #[arg(long)]
    no_auto_reply: bool,
    /// Survey style in today's shape: text, expression or star.
    #[arg(long, default_value = "star")]
    survey_style: String,
    /// Newest records kept of each kind (webhook tries, surveys, ratings, closed sessions, …).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    keep_records: u64,
    /// Newest messages kept in each customer's transcript.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..))]
    keep_messages: u64,
    /// Seconds after which a customer with no agent session open, and no new message, loses
    /// their transcript.
    #[arg(long, default_value_t = 3600.0)]
    forget_idle_after: f64,
    /// Fault: send every webhook push twice.
    #[arg(long)]
    fault_duplicate_webhooks: bool,
    /// Fault: wait this many milliseconds before each webhook push.
    #[arg(long, default_value_t = 0)]
    fault_webhook_delay_ms: u64,
    /// Fault: deliver each customer's webhook pushes newest first.
    #[arg(long)]
    fault_out_of_order: bool,
    /// Fault: answer this percentage of API calls with HTTP 503.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    fault_fail_percent: u8,
    /// Fault: hold back the answer of this percentage of API calls (see --fault-timeout-ms).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    fault_timeout_percent: u8,
    /// Fault: how long a timed-out call's answer is held back.
    #[arg(long, default_value_t = 30_000)]
    fault_timeout_ms: u64,
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "udesk_sim=info".into()),
        )
        .init();
    if let Err(err) = run(Args::parse()).await {
        eprintln!("udesk-sim: {err}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let stop = shutdown_signal();
    let config = config_from(&args)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    if !args.listen.ip().is_loopback() {
        tracing::warn!(
            "listening on {}: the console and /admin pages need no credentials; \
             expose the simulator only on trusted networks",
            args.listen
        );
    }
    let sim = udesk_sim::start(listener, config).await?;
    println!("udesk-sim listening on {}", sim.base_url());
    tracing::info!(
        api = %sim.base_url(),
        console = %sim.console_url(),
        "udesk-sim ready: agent console at {}",
        sim.console_url()
    );
    stop.await;
    tracing::info!("shutting down");
    sim.shutdown().await;
    Ok(())
}

fn config_from(args: &Args) -> Result<SimConfig, Box<dyn std::error::Error>> {
    let mut config = SimConfig {
        email: args.email.clone(),
        token: args.token.clone(),
        webhook_url: args.webhook_url.clone(),
        webhook_shape: args.webhook_shape,
        webhook_timeout: seconds("--webhook-timeout", args.webhook_timeout)?,
        public_url: args.public_url.clone(),
        pickup_delay: seconds("--pickup-delay", args.pickup_delay)?,
        reply_delay: seconds("--reply-delay", args.reply_delay)?,
        auto_reply: !args.no_auto_reply,
        survey: config::default_survey(ShowType::from(args.survey_style.as_str())),
        faults: Faults {
            duplicate_webhooks: args.fault_duplicate_webhooks,
            webhook_delay_ms: args.fault_webhook_delay_ms,
            out_of_order: args.fault_out_of_order,
            fail_percent: args.fault_fail_percent,
            timeout_percent: args.fault_timeout_percent,
            timeout_ms: args.fault_timeout_ms,
        },
        retention: Retention {
            records: usize::try_from(args.keep_records).unwrap_or(usize::MAX),
            transcript_messages: usize::try_from(args.keep_messages).unwrap_or(usize::MAX),
            idle_transcript: seconds("--forget-idle-after", args.forget_idle_after)?,
        },
        ..SimConfig::default()
    };
    config.webhook_retry.max_attempts = args.webhook_max_attempts.max(1);
    if config.retention.idle_transcript.is_zero() {
        return Err("--forget-idle-after must be more than 0 seconds".into());
    }
    if !matches!(args.survey_style.as_str(), "text" | "expression" | "star") {
        return Err("--survey-style must be text, expression or star".into());
    }
    if let Some(path) = &args.agents {
        Staff::from_path(path)?.apply(&mut config);
    }
    if let Some(capacity) = args.capacity {
        for agent in &mut config.agents {
            agent.capacity = capacity;
        }
    }
    if let Some(path) = &args.kb {
        config.knowledge_base = KnowledgeBase::from_path(path)?;
    }
    Ok(config)
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{flag} must be a number of seconds ≥ 0"))
}

/// Resolves on Ctrl-C or SIGTERM. SIGTERM is hooked at once, so a supervisor that stops the
/// simulator right after it printed its address still gets a clean shutdown.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        #[cfg(unix)]
        let terminate = async {
            match terminate.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = terminate => {}
        }
    }
}
