//! Starting and stopping the relay: secrets, store (and with Redis, the feed of other relays'
//! events), upstream (or the embedded simulator), the HTTP server and its background upkeep.

use crate::app::app;
use crate::config::{Config, StoreSpec, Upstream};
use crate::fanout;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::limits::{KeyedLocks, RateLimiter, StreamCaps};
use crate::media::{MediaStore, Uploads};
use crate::metrics::{Metrics, StoreInfo};
use crate::secrets;
use crate::shared_limits::SharedLimits;
use crate::state::{AppState, Shared, QUEUE_STATUS_BURST, QUEUE_STATUS_PER_MINUTE};
use crate::store::{
    now_ms, redacted_url, Durability, MemoryStore, RedisFeed, RedisStore, Retention, SqliteStore,
    Storage,
};
use crate::udesk::{Udesk, UdeskSettings};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use udesk_protocol::relay::RelayConfig;
use udesk_sim::{RunningSim, SimConfig};

/// Why the relay could not start.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// How often retention runs and idle limiter/hub entries are dropped.
const UPKEEP_EVERY: Duration = Duration::from_secs(600);
/// How long shutdown waits for in-flight requests.
const DRAIN_FOR: Duration = Duration::from_secs(10);

/// A relay serving on its listener, until [`RunningRelay::shutdown`].
pub struct RunningRelay {
    /// The address it serves on.
    pub addr: SocketAddr,
    /// Where Udesk must POST reply notifications (it contains the secret).
    pub webhook_url: String,
    /// The embedded simulator's agent console, when `--upstream sim`.
    pub console_url: Option<String>,
    /// The base URL of the Udesk (or simulator) the relay calls.
    pub upstream_url: String,
    state: AppState,
    server: JoinHandle<()>,
    upkeep: JoinHandle<()>,
    fanout: Option<JoinHandle<()>>,
    sim: Option<RunningSim>,
}

impl RunningRelay {
    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state (for tests and tools in this process).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Ends event streams, lets in-flight requests finish (up to 10 s), then stops the
    /// embedded simulator.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        let mut server = self.server;
        if tokio::time::timeout(DRAIN_FOR, &mut server).await.is_err() {
            tracing::warn!("requests still running after {DRAIN_FOR:?}; stopping anyway");
            server.abort();
        }
        self.upkeep.abort();
        if let Some(fanout) = self.fanout {
            fanout.abort();
        }
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
        tracing::info!("relay stopped");
    }
}

/// The store as opened, and what comes with it.
struct OpenedStore {
    storage: Storage,
    /// With Redis: other relays' events, and the limits shared with them.
    feed: Option<RedisFeed>,
    shared_limits: Option<SharedLimits>,
    info: StoreInfo,
}

impl OpenedStore {
    fn local(storage: Storage, info: StoreInfo) -> OpenedStore {
        OpenedStore {
            storage,
            feed: None,
            shared_limits: None,
            info,
        }
    }
}

/// Opens the store; says which it is and how durable, warning loudly when acknowledged webhooks
/// would not survive a restart or crash.
async fn open_store(config: &Config) -> Result<OpenedStore, StartError> {
    let retention = Retention::days(config.retention_days, config.retention_count);
    match config.store_spec() {
        StoreSpec::Memory => {
            warn_in_memory("--store memory");
            let info = StoreInfo {
                store: "memory",
                durability: "none",
            };
            Ok(OpenedStore::local(
                Storage::new(MemoryStore::new(retention)),
                info,
            ))
        }
        StoreSpec::Sqlite(path) => {
            let shown = path.display().to_string();
            let in_memory = path.as_os_str() == ":memory:";
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path, retention))
                .await?
                .map_err(|e| format!("cannot open the SQLite store {shown}: {e}"))?;
            let durability = if in_memory {
                warn_in_memory("--store sqlite::memory:");
                "none"
            } else {
                tracing::info!(path = %shown, "SQLite store open");
                "fsync"
            };
            let info = StoreInfo {
                store: "sqlite",
                durability,
            };
            Ok(OpenedStore::local(Storage::new(store), info))
        }
        StoreSpec::Redis(url) => {
            let allow_lossy = config.allow_non_durable_redis;
            let (store, durability) = tokio::task::spawn_blocking(move || {
                let store = RedisStore::open(&url, retention).map_err(|e| {
                    format!("cannot use the Redis store {}: {e}", redacted_url(&url))
                })?;
                let durability = store.durability()?;
                Ok::<_, StartError>((store, durability))
            })
            .await??;
            let durability = check_durability(&durability, allow_lossy)?;
            let feed = store.feed();
            tracing::info!(channel = %feed.channel, "Redis store open; rate limits and the per-IP stream cap are shared with every relay on it");
            let info = StoreInfo {
                store: "redis",
                durability,
            };
            Ok(OpenedStore {
                shared_limits: Some(SharedLimits::new(store.pool())),
                storage: Storage::new(store),
                feed: Some(feed),
                info,
            })
        }
    }
}

/// The start-up warning of a store in process memory.
fn warn_in_memory(flag: &str) {
    tracing::warn!(
        "!!! {flag}: replies, dedupe keys and sessions live in this process only and are LOST \
         on restart (Udesk does not resend what was acknowledged, and its resends are no longer \
         recognised). For tests and demos only: use --store sqlite:PATH (the default) or \
         redis://… in production. /metrics shows udesk_relay_store_durability{{durability=\"none\"}}."
    );
}

/// The media store and upload settings. Files in the staging directory (uploads still arriving)
/// older than an hour are removed: an upload takes at most 10 minutes, so they were left by a
/// relay that stopped mid-upload. (Newer ones may be another relay's on the same data dir.)
async fn open_uploads(
    config: &Config,
    reachable: SocketAddr,
    shared: Option<&SharedLimits>,
) -> Result<Uploads, StartError> {
    let spec = config.media_store_spec();
    let store = tokio::task::spawn_blocking(move || MediaStore::open(&spec)).await??;
    tracing::info!(store = %store.description, "media store open");
    let staging_dir = config.data_dir.join("uploads-staging");
    let dir = staging_dir.clone();
    tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        for entry in std::fs::read_dir(&dir)?.flatten() {
            let stale = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified < hour_ago);
            if stale {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await?
    .map_err(|e| format!("cannot prepare {}: {e}", staging_dir.display()))?;
    let public_url = match &config.public_url {
        Some(url) => crate::config::media_base_url(url)?,
        None => format!("http://{reachable}"),
    };
    Ok(Uploads {
        store,
        public_url,
        max_image_bytes: config.upload_max_image_bytes,
        max_file_bytes: config.upload_max_file_bytes,
        idle_timeout: Duration::from_millis(config.upload_idle_timeout_ms.max(1)),
        limiter: RateLimiter::new(config.upload_rate_per_minute, config.upload_burst)
            .shared(shared, "upload"),
        staging_dir,
        retention_ms: config
            .retention_days
            .max(1)
            .saturating_mul(24 * 3600 * 1000),
    })
}

/// The relay promises never to acknowledge a webhook it has not stored durably; with Redis that
/// holds only when Redis fsyncs every write before answering. Gives the durability for
/// [`StoreInfo`].
fn check_durability(
    durability: &Durability,
    allow_lossy: bool,
) -> Result<&'static str, StartError> {
    match durability {
        Durability::Fsynced => Ok("fsync"),
        Durability::Unknown(why) => {
            tracing::warn!(
                reason = %why,
                "!!! cannot read Redis's fsync policy (CONFIG GET refused; managed services often \
                 do). The relay acknowledges a webhook once Redis has it: unless Redis fsyncs every \
                 write (appendonly yes, appendfsync always), a crash of Redis can lose acknowledged \
                 webhooks. To confirm, run `CONFIG GET appendfsync` as a Redis user allowed to (it \
                 must answer `always`) or check the provider's persistence setting (append-only \
                 file, fsync on every write). /metrics shows \
                 udesk_relay_store_durability{{durability=\"unknown\"}} for monitoring."
            );
            Ok("unknown")
        }
        Durability::Lossy {
            appendonly,
            appendfsync,
        } => {
            let problem = format!(
                "Redis runs with appendonly {appendonly:?}, appendfsync {appendfsync:?}: a crash or power cut can lose webhooks the relay already acknowledged"
            );
            if allow_lossy {
                tracing::warn!(
                    "!!! {problem}; continuing because --allow-non-durable-redis is set"
                );
                Ok("lossy")
            } else {
                Err(format!(
                    "{problem}. Run Redis with `appendonly yes` and `appendfsync always` (e.g. redis-cli CONFIG SET appendonly yes; CONFIG SET appendfsync always; and in redis.conf), or pass --allow-non-durable-redis to accept the risk"
                )
                .into())
            }
        }
    }
}

/// Starts the relay on `listener` (already bound, so the caller knows the port) with its
/// background tasks; with `--upstream sim` also the simulator (its demo setup) on another
/// loopback port, wired to send its webhooks here.
pub async fn start(config: Config, listener: TcpListener) -> Result<RunningRelay, StartError> {
    start_with_sim(config, listener, SimConfig::default()).await
}

/// Like [`start`], with this simulator setup when `--upstream sim` (its webhook URL is set to
/// this relay). Tests use it for a simulator without human-scale delays.
pub async fn start_with_sim(
    config: Config,
    listener: TcpListener,
    sim_config: SimConfig,
) -> Result<RunningRelay, StartError> {
    let addr = listener.local_addr()?;
    let allowed_origins = crate::web::check_origins(&config.allowed_origins)?;
    let public_origin = match &config.public_url {
        Some(url) => Some(crate::web::public_origin(url)?),
        None => None,
    };
    let secrets::Secrets {
        webhook: webhook_secret,
        identity: identity_secret,
    } = secrets::resolve(
        &config.webhook_secret,
        &config.identity_secret,
        &config.data_dir,
    )?;
    let OpenedStore {
        storage: store,
        feed,
        shared_limits,
        info: store_info,
    } = open_store(&config).await?;
    let shared = shared_limits.as_ref();
    if feed.is_some() && (config.webhook_secret.is_none() || config.identity_secret.is_none()) {
        tracing::warn!("relays sharing a Redis store must share their secrets: pass the same --webhook-secret and --identity-secret (and --token-secret, if any) to each");
    }
    if feed.is_some()
        && matches!(
            config.media_store_spec(),
            crate::media::MediaStoreSpec::Dir(_)
        )
    {
        tracing::warn!("relays sharing a Redis store need a shared media store too: a file uploaded through one relay is not found through another on its own directory; use --media-store s3://… (or a directory every relay mounts)");
    }
    let metrics = Arc::new(Metrics {
        store: store_info,
        ..Metrics::default()
    });
    if config.token_ttl > crate::identity::MAX_TOKEN_TTL_SECS {
        tracing::warn!(
            token_ttl = config.token_ttl,
            "--token-ttl is capped to {} seconds (30 days)",
            crate::identity::MAX_TOKEN_TTL_SECS
        );
    }

    // The webhook URL must reach this listener; an unspecified address is reachable on loopback.
    let reachable = if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    };
    let webhook_url = format!("http://{reachable}/webhooks/udesk/{webhook_secret}");

    let (sim, base_url, email, token) = match &config.upstream {
        Upstream::Sim => {
            let sim_config = SimConfig {
                webhook_url: Some(webhook_url.clone()),
                ..config.apply_sim_flags(sim_config)
            };
            let (email, token) = (sim_config.email.clone(), sim_config.token.clone());
            let sim_listener = TcpListener::bind(("127.0.0.1", 0)).await?;
            let sim = udesk_sim::start(sim_listener, sim_config).await?;
            tracing::info!(console = %sim.console_url(), "embedded simulator running; agents answer at its console");
            let base = sim.base_url();
            (Some(sim), base, email, token)
        }
        Upstream::Url(url) => {
            let (Some(email), Some(token)) = (&config.udesk_email, &config.udesk_token) else {
                return Err("--upstream URL needs --udesk-email and --udesk-token".into());
            };
            // The URL holds the webhook secret, which never goes to the log.
            tracing::info!(
                webhook_url = %format!("http://{reachable}/webhooks/udesk/<webhook secret>"),
                "configure Udesk to POST reply notifications here (behind your public address; \
                 the secret is --webhook-secret or the one kept in <data-dir>/secrets.json)"
            );
            (None, url.clone(), email.clone(), token.clone())
        }
    };
    let upstream_url = base_url.clone();
    let udesk = Udesk::new(
        UdeskSettings {
            base_url,
            email,
            token,
            style: config.api_style,
            robot_evaluation_path: config.robot_evaluation_path(),
            timeout: config.upstream_timeout(),
        },
        metrics.clone(),
    )?;
    let console_url = sim.as_ref().map(|s| s.console_url());
    let uploads = open_uploads(&config, reachable, shared).await?;

    let state = AppState::new(Shared {
        identity: Identity::new(
            &identity_secret,
            config.token_secret.as_deref(),
            config.token_ttl,
            config.renew_grace,
        )
        .with_max_lifetime(config.token_max_lifetime),
        store,
        hub: Hub::default(),
        udesk,
        metrics,
        limiter: RateLimiter::new(config.send_rate_per_minute, config.send_burst)
            .shared(shared, "send"),
        visitor_limiter: RateLimiter::new(config.visitor_rate_per_minute, config.visitor_burst)
            .shared(shared, "visitor"),
        poll_limiter: RateLimiter::new(QUEUE_STATUS_PER_MINUTE, QUEUE_STATUS_BURST)
            .shared(shared, "poll"),
        upstream_ip_limiter: RateLimiter::new(
            config.upstream_rate_per_ip,
            config.upstream_burst_per_ip,
        )
        .shared(shared, "upstream_ip"),
        trusted_proxies: config.trusted_proxies(),
        send_locks: KeyedLocks::default(),
        webhook_secret,
        allowed_origins,
        public_origin,
        widget_dir: config.widget_dir.clone(),
        demo_page: sim.is_some() || config.demo_page,
        keep_alive: Duration::from_secs(config.keep_alive_secs.max(1)),
        body_timeout: config.body_timeout(),
        stream_caps: StreamCaps::new(
            config.max_streams,
            config.max_streams_per_ip,
            crate::sse::MAX_STREAMS_PER_VISITOR,
        )
        .shared(shared),
        shutdown: CancellationToken::new(),
        relay_config: RelayConfig {
            simulator: sim.is_some(),
            console_url: console_url.clone(),
            max_image_bytes: Some(uploads.max_image_bytes),
            max_file_bytes: Some(uploads.max_file_bytes),
        },
        uploads,
    });

    // Subscribed before serving, so no other relay's event published from now on is missed.
    let fanout = match feed {
        Some(feed) => {
            let first = fanout::subscribe(&feed)
                .await
                .map_err(|e| format!("cannot subscribe to Redis events: {e}"))?;
            Some(fanout::spawn(feed, state.clone(), first))
        }
        None => None,
    };

    // Renews the leases of this relay's streams on the group's per-IP cap; ends on shutdown.
    if let Some(shared) = &shared_limits {
        shared.spawn_lease_keeper(state.shutdown.clone());
    }

    let router = app(state.clone());
    let stop = state.shutdown.clone();
    let server = tokio::spawn(crate::accept::serve(
        listener,
        router,
        config.deadlines(),
        state.metrics.clone(),
        stop,
    ));
    let upkeep = tokio::spawn(upkeep(state.clone()));
    if state.demo_page {
        tracing::info!("relay serving on http://{addr}: demo page at /, widget at /widget/");
    } else {
        tracing::info!("relay serving on http://{addr}: widget at /widget/ (no demo page: --demo-page serves it)");
    }
    Ok(RunningRelay {
        addr,
        webhook_url,
        console_url,
        upstream_url,
        state,
        server,
        upkeep,
        fanout,
        sim,
    })
}

/// Retention and cleanup, now and then every [`UPKEEP_EVERY`].
async fn upkeep(state: AppState) {
    let mut every = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        match state.store.run(|s| s.prune(now_ms())).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "retention dropped old events"),
            Err(err) => tracing::warn!(error = %err, "retention failed"),
        }
        state.hub.sweep();
        state.limiter.sweep();
        state.visitor_limiter.sweep();
        state.poll_limiter.sweep();
        state.upstream_ip_limiter.sweep();
        state.uploads.limiter.sweep();
        match crate::media::prune(
            &state.uploads.store,
            &state.store,
            state.uploads.retention_ms,
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => {
                state
                    .metrics
                    .media_pruned
                    .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(files = n, "retention deleted uploaded files");
            }
            Err(err) => tracing::warn!(error = %err, "media retention failed"),
        }
    }
}
