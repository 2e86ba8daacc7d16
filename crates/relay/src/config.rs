//! The relay's configuration: command-line flags, each with a matching environment variable.
//!
//! Every flag has a default that makes `udesk-relay` with no flags a working demo: it embeds the
//! simulator, keeps a SQLite file under `./data` and generates the secrets it was not given.

use crate::media::MediaStoreSpec;
use clap::{Parser, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use udesk_sim::{SimConfig, WebhookShape};

/// Where the Udesk IM API is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upstream {
    /// The simulator, embedded in this process on a loopback port.
    Sim,
    /// A real Udesk (or a separately running `udesk-sim`) at this base URL, e.g.
    /// `https://acme.udesk.cn`.
    Url(String),
}

impl std::str::FromStr for Upstream {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "sim" {
            return Ok(Upstream::Sim);
        }
        if !(s.starts_with("http://") || s.starts_with("https://")) {
            return Err(format!("expected `sim` or an http(s) URL, got `{s}`"));
        }
        Ok(Upstream::Url(s.trim_end_matches('/').to_owned()))
    }
}

/// Where events, sessions and customers are kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreSpec {
    /// A SQLite file (`sqlite:PATH`); `sqlite::memory:` is a private in-memory database.
    Sqlite(PathBuf),
    /// Process memory: lost on restart. For tests and benchmarks.
    Memory,
    /// A Redis server shared by several relays (`redis://…`).
    Redis(String),
}

impl std::str::FromStr for StoreSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "memory" {
            Ok(StoreSpec::Memory)
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("`sqlite:` needs a path, e.g. sqlite:data/relay.sqlite3".into());
            }
            Ok(StoreSpec::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("redis://") || s.starts_with("rediss://") {
            Ok(StoreSpec::Redis(s.to_owned()))
        } else {
            Err(format!(
                "expected sqlite:PATH, memory or redis://…, got `{s}`"
            ))
        }
    }
}

/// Connections one TCP peer may hold when the relay faces clients directly.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 256;

/// Which shape of Udesk's IM paths the relay calls (both are signed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ApiStyle {
    /// Today's Udesk: `/open_api_v1/im/...`, survey at `/open_api_v1/im/sessions/survey`.
    #[default]
    Current,
    /// The 2017 seed draft: `/im/...`, survey at `/im_sessions/survey`.
    Seed,
}

/// The relay's flags.
#[derive(Clone, Debug, Parser)]
#[command(
    name = "udesk-relay",
    version,
    about = "The udesk-chat relay: holds Udesk credentials, receives Udesk webhooks, streams replies to browsers"
)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "UDESK_RELAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sim` embeds the simulator; a URL means a real Udesk (with --udesk-email/--udesk-token).
    #[arg(long, env = "UDESK_RELAY_UPSTREAM", default_value = "sim")]
    pub upstream: Upstream,

    /// The Udesk account's administrator e-mail (signs every call).
    #[arg(long, env = "UDESK_EMAIL")]
    pub udesk_email: Option<String>,

    /// The Udesk Open API token (signs every call; never sent to browsers).
    #[arg(long, env = "UDESK_TOKEN", hide_env_values = true)]
    pub udesk_token: Option<String>,

    /// Which IM paths to call upstream.
    #[arg(long, env = "UDESK_RELAY_API_STYLE", value_enum, default_value_t = ApiStyle::Current)]
    pub api_style: ApiStyle,

    /// Path of the robot-answer rating call (Udesk does not publish it). Default: the IM prefix
    /// of --api-style + `/robot/evaluations`.
    #[arg(long, env = "UDESK_RELAY_ROBOT_EVALUATION_PATH")]
    pub robot_evaluation_path: Option<String>,

    /// How long to wait for Udesk before answering 504, in milliseconds.
    #[arg(
        long,
        env = "UDESK_RELAY_UPSTREAM_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub upstream_timeout_ms: u64,

    /// `sqlite:PATH`, `memory` or `redis://HOST:PORT[/DB]`. Default: `sqlite:<data-dir>/relay.sqlite3`.
    #[arg(long, env = "UDESK_RELAY_STORE", hide_env_values = true)]
    pub store: Option<StoreSpec>,

    /// Start with a Redis that does not fsync every write (`appendonly yes` + `appendfsync
    /// always`); acknowledged webhooks can then be lost in a crash. Without this flag the relay
    /// refuses such a Redis.
    #[arg(long, env = "UDESK_RELAY_ALLOW_NON_DURABLE_REDIS")]
    pub allow_non_durable_redis: bool,

    /// Directory of the default SQLite file and of `secrets.json` (generated secrets).
    #[arg(long, env = "UDESK_RELAY_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// The secret path segment of the webhook URL (`/webhooks/udesk/<secret>`). When absent:
    /// read from `<data-dir>/secrets.json`, generated and saved there the first time.
    #[arg(long, env = "UDESK_RELAY_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,

    /// Key of the host site's user signatures (HMAC-SHA256 of user_id). When absent: read from
    /// `<data-dir>/secrets.json`, generated and saved there the first time.
    #[arg(long, env = "UDESK_RELAY_IDENTITY_SECRET", hide_env_values = true)]
    pub identity_secret: Option<String>,

    /// Secret of the visitors' bearer tokens (their key is derived from it with HKDF). When
    /// absent the key is derived from the identity secret. Changing it revokes every token.
    #[arg(long, env = "UDESK_RELAY_TOKEN_SECRET", hide_env_values = true)]
    pub token_secret: Option<String>,

    /// A browser origin allowed to call the API cross-origin (repeatable). The relay's own
    /// origin always works.
    #[arg(
        long = "allowed-origin",
        env = "UDESK_RELAY_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// The relay's public base URL, as browsers and Udesk's agents reach it (e.g.
    /// `https://chat.example.com`): its origin is the relay's own for the same-origin check
    /// (without it, only an IP address or `localhost` in `Host` counts as the relay's own
    /// origin: DNS rebinding), and uploaded files' URLs start with it (without it, `http://` and
    /// the listening address).
    #[arg(long, env = "UDESK_RELAY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Events older than this many days are dropped.
    #[arg(long, env = "UDESK_RELAY_RETENTION_DAYS", default_value_t = 30)]
    pub retention_days: u64,

    /// At most this many events are kept per customer (0 = no limit).
    #[arg(long, env = "UDESK_RELAY_RETENTION_COUNT", default_value_t = 1000)]
    pub retention_count: u64,

    /// The built widget (`trunk build` output): served at `/widget/`, its demo.html at `/`
    /// (with the embedded simulator or `--demo-page`).
    #[arg(long, env = "UDESK_RELAY_WIDGET_DIR", default_value = "dist")]
    pub widget_dir: PathBuf,

    /// Serve the demo shop page at `/` with a real Udesk upstream too (it always is with the
    /// embedded simulator). A production relay needs no page of its own.
    #[arg(long, env = "UDESK_RELAY_DEMO_PAGE")]
    pub demo_page: bool,

    /// Lifetime of a visitor's bearer token, in seconds (at most 30 days).
    #[arg(long, env = "UDESK_RELAY_TOKEN_TTL", default_value_t = 24 * 3600)]
    pub token_ttl: u64,

    /// How long after expiry a token may still be renewed (keeping its customer), in seconds.
    #[arg(long, env = "UDESK_RELAY_RENEW_GRACE", default_value_t = 30 * 24 * 3600)]
    pub renew_grace: u64,

    /// How long after its first issue a token may still be renewed, in seconds: renewals keep
    /// the first issue time, so a stolen token dies at the latest this long after it was first
    /// issued (anonymous visitors then start a new conversation; signed users sign in again).
    #[arg(long, env = "UDESK_RELAY_TOKEN_MAX_LIFETIME", default_value_t = 90 * 24 * 3600)]
    pub token_max_lifetime: u64,

    /// Sends (messages, sessions, surveys, ratings) per visitor per minute, sustained (0 = off).
    #[arg(long, env = "UDESK_RELAY_SEND_RATE", default_value_t = 30)]
    pub send_rate_per_minute: u32,

    /// Sends a visitor may make in a burst above the sustained rate.
    #[arg(long, env = "UDESK_RELAY_SEND_BURST", default_value_t = 10)]
    pub send_burst: u32,

    /// New visitor tokens (`POST /v1/visitor`) per client IP per minute, sustained (0 = off).
    #[arg(long, env = "UDESK_RELAY_VISITOR_RATE", default_value_t = 60)]
    pub visitor_rate_per_minute: u32,

    /// Visitor tokens one IP may get in a burst above the sustained rate.
    #[arg(long, env = "UDESK_RELAY_VISITOR_BURST", default_value_t = 120)]
    pub visitor_burst: u32,

    /// Calls that reach Udesk (sends, sessions, surveys, ratings, queue polls) per client IP
    /// per minute, sustained, over all its visitors (0 = off). Anonymous visitors are free to
    /// make, Udesk's API quota is not.
    #[arg(long, env = "UDESK_RELAY_UPSTREAM_RATE_PER_IP", default_value_t = 120)]
    pub upstream_rate_per_ip: u32,

    /// Upstream calls one client IP may make in a burst above the sustained rate.
    #[arg(long, env = "UDESK_RELAY_UPSTREAM_BURST_PER_IP", default_value_t = 60)]
    pub upstream_burst_per_ip: u32,

    /// Behind one proxy that appends the client's address to `X-Forwarded-For`: take the client
    /// IP from its last entry (the same as `--trusted-proxies 1`). Set it only behind such a
    /// proxy, otherwise clients pick their own IP.
    #[arg(long, env = "UDESK_RELAY_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// How many proxies in front of the relay each append to `X-Forwarded-For`: the client IP
    /// is the entry this many places from the right (entries further left come from the
    /// client and are ignored). 0 = the TCP peer.
    #[arg(long, env = "UDESK_RELAY_TRUSTED_PROXIES", default_value_t = 0)]
    pub trusted_proxies: usize,

    /// Open event streams the relay serves at once; more are ended at once so browsers retry.
    #[arg(long, env = "UDESK_RELAY_MAX_STREAMS", default_value_t = 10_000)]
    pub max_streams: usize,

    /// Open event streams one client IP (IPv6: one /64) may hold at once (0 = no limit); more
    /// are answered with a long `retry:` and ended. Generous: visitors behind one NAT share it.
    #[arg(long, env = "UDESK_RELAY_MAX_STREAMS_PER_IP", default_value_t = 64)]
    pub max_streams_per_ip: usize,

    /// Seconds between keep-alive comments on event streams.
    #[arg(long, env = "UDESK_RELAY_KEEP_ALIVE_SECS", default_value_t = 15)]
    pub keep_alive_secs: u64,

    /// Milliseconds a client may take to send a request's head, counted for the first request
    /// from the connection's accept (whatever its protocol); slower connections are closed
    /// (slow-loris and silent-socket protection).
    #[arg(long, env = "UDESK_RELAY_HEADER_TIMEOUT_MS", default_value_t = 30_000)]
    pub header_timeout_ms: u64,

    /// Where uploaded files are kept: `dir:PATH` (or a plain path), or an S3-compatible bucket
    /// `s3://BUCKET?endpoint=https://…&region=…` with credentials in AWS_ACCESS_KEY_ID /
    /// AWS_SECRET_ACCESS_KEY. Default: `<data-dir>/media`.
    #[arg(long, env = "UDESK_RELAY_MEDIA_STORE")]
    pub media_store: Option<MediaStoreSpec>,

    /// Largest picture a visitor may upload, in bytes.
    #[arg(long, env = "UDESK_RELAY_UPLOAD_MAX_IMAGE_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub upload_max_image_bytes: u64,

    /// Largest audio, video or other file a visitor may upload, in bytes.
    #[arg(long, env = "UDESK_RELAY_UPLOAD_MAX_FILE_BYTES", default_value_t = 20 * 1024 * 1024)]
    pub upload_max_file_bytes: u64,

    /// Uploads per visitor per minute, sustained (0 = off).
    #[arg(long, env = "UDESK_RELAY_UPLOAD_RATE", default_value_t = 10)]
    pub upload_rate_per_minute: u32,

    /// Uploads a visitor may make in a burst above the sustained rate.
    #[arg(long, env = "UDESK_RELAY_UPLOAD_BURST", default_value_t = 10)]
    pub upload_burst: u32,

    /// An upload that sends nothing for this many milliseconds is dropped (408) and its partial
    /// file removed.
    #[arg(
        long,
        env = "UDESK_RELAY_UPLOAD_IDLE_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub upload_idle_timeout_ms: u64,

    /// Milliseconds a request body may take to arrive completely (from the end of its head);
    /// a late one is answered 408 and its connection closed.
    #[arg(long, env = "UDESK_RELAY_BODY_TIMEOUT_MS", default_value_t = 20_000)]
    pub body_timeout_ms: u64,

    /// Milliseconds a connection may stay open with no request in flight (keep-alive between
    /// requests); then it is closed. A request waiting for Udesk or an open event stream is in
    /// flight, so this never cuts one.
    #[arg(long, env = "UDESK_RELAY_IDLE_TIMEOUT_MS", default_value_t = 120_000)]
    pub idle_timeout_ms: u64,

    /// Connections one TCP peer (IPv6: one /64) may hold open at once; more are closed at once
    /// (0 = no limit). Default: 256, or no limit behind trusted proxies (every connection
    /// then comes from a proxy, which should cap its clients itself).
    #[arg(long, env = "UDESK_RELAY_MAX_CONNECTIONS_PER_IP")]
    pub max_connections_per_ip: Option<usize>,

    /// Embedded simulator: webhook body shape, `messages` (today's list) or `message` (the
    /// seed's single message). Default: messages.
    #[arg(long, env = "UDESK_RELAY_SIM_WEBHOOK_SHAPE")]
    pub sim_webhook_shape: Option<WebhookShape>,

    /// Embedded simulator: how long an agent takes to pick up a queued customer, in
    /// milliseconds (0 = at once, for browser tests). Default: 2000.
    #[arg(long, env = "UDESK_RELAY_SIM_PICKUP_DELAY_MS")]
    pub sim_pickup_delay_ms: Option<u64>,

    /// Embedded simulator: how long the scripted agent "types" before replying, in
    /// milliseconds. Default: 800.
    #[arg(long, env = "UDESK_RELAY_SIM_REPLY_DELAY_MS")]
    pub sim_reply_delay_ms: Option<u64>,

    /// Embedded simulator: first wait before a failed webhook push is retried, in milliseconds
    /// (doubling up to 60 s). Default: 1000.
    #[arg(long, env = "UDESK_RELAY_SIM_WEBHOOK_RETRY_MS")]
    pub sim_webhook_retry_ms: Option<u64>,
}

impl Config {
    /// The configuration with every default, as if no flag were given.
    pub fn defaults() -> Config {
        Config::parse_from(["udesk-relay"])
    }

    /// The store to open.
    pub fn store_spec(&self) -> StoreSpec {
        self.store
            .clone()
            .unwrap_or_else(|| StoreSpec::Sqlite(self.data_dir.join("relay.sqlite3")))
    }

    /// `sim_config` with the `--sim-…` flags that were given applied.
    pub fn apply_sim_flags(&self, mut sim_config: SimConfig) -> SimConfig {
        if let Some(shape) = self.sim_webhook_shape {
            sim_config.webhook_shape = shape;
        }
        if let Some(ms) = self.sim_pickup_delay_ms {
            sim_config.pickup_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = self.sim_reply_delay_ms {
            sim_config.reply_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = self.sim_webhook_retry_ms {
            sim_config.webhook_retry.initial_backoff = Duration::from_millis(ms.max(1));
        }
        sim_config
    }

    /// The media store to open.
    pub fn media_store_spec(&self) -> MediaStoreSpec {
        self.media_store
            .clone()
            .unwrap_or_else(|| MediaStoreSpec::Dir(self.data_dir.join("media")))
    }

    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms.max(1))
    }

    /// How many `X-Forwarded-For` entries from the right are trusted proxies' appends.
    pub fn trusted_proxies(&self) -> usize {
        if self.trusted_proxies == 0 && self.trust_forwarded_for {
            1
        } else {
            self.trusted_proxies
        }
    }

    /// The cap on one TCP peer's connections (0 = none): as given, else 256 unless trusted
    /// proxies stand in front (then every peer is a proxy).
    pub fn max_connections_per_ip(&self) -> usize {
        match self.max_connections_per_ip {
            Some(max) => max,
            None if self.trusted_proxies() > 0 => 0,
            None => DEFAULT_MAX_CONNECTIONS_PER_IP,
        }
    }

    /// The deadlines of a connection's phases (see [`crate::accept`]).
    pub fn deadlines(&self) -> crate::accept::Deadlines {
        crate::accept::Deadlines {
            header: Duration::from_millis(self.header_timeout_ms.max(1)),
            idle: Duration::from_millis(self.idle_timeout_ms.max(1)),
            max_connections_per_ip: self.max_connections_per_ip(),
        }
    }

    pub fn body_timeout(&self) -> Duration {
        Duration::from_millis(self.body_timeout_ms.max(1))
    }

    /// The robot-rating path for the configured style.
    pub fn robot_evaluation_path(&self) -> String {
        match &self.robot_evaluation_path {
            Some(path) => format!("/{}", path.trim_start_matches('/')),
            None => format!("{}/robot/evaluations", im_prefix(self.api_style)),
        }
    }
}

/// The base of uploaded files' URLs from `--public-url`: an http(s) URL, optionally with a path
/// prefix; no query, fragment or credentials. Kept without a trailing slash.
pub fn media_base_url(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s).map_err(|e| format!("`{s}`: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "`{s}`: expected an http(s) URL such as https://chat.shop.example"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!("`{s}`: no query, fragment or credentials, please"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Where the IM endpoints live for a style.
pub fn im_prefix(style: ApiStyle) -> &'static str {
    match style {
        ApiStyle::Current => "/open_api_v1/im",
        ApiStyle::Seed => "/im",
    }
}

/// The survey path for a style (it moved on 2017-07-11).
pub fn survey_path(style: ApiStyle) -> &'static str {
    match style {
        ApiStyle::Current => "/open_api_v1/im/sessions/survey",
        ApiStyle::Seed => "/im_sessions/survey",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_flags_change_only_what_they_name() {
        let c = Config::parse_from([
            "udesk-relay",
            "--sim-webhook-shape",
            "message",
            "--sim-pickup-delay-ms",
            "0",
        ]);
        let sim = c.apply_sim_flags(SimConfig::default());
        assert_eq!(sim.webhook_shape, WebhookShape::Message);
        assert_eq!(sim.pickup_delay, Duration::ZERO);
        assert_eq!(sim.reply_delay, SimConfig::default().reply_delay);
        let untouched = Config::defaults().apply_sim_flags(SimConfig::for_tests());
        assert_eq!(untouched.webhook_shape, WebhookShape::Messages);
        assert_eq!(untouched.pickup_delay, Duration::ZERO);
        assert!(Config::try_parse_from(["udesk-relay", "--sim-webhook-shape", "both"]).is_err());
    }

    #[test]
    fn defaults_make_a_demo() {
        let c = Config::defaults();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.upstream, Upstream::Sim);
        assert_eq!(c.max_streams_per_ip, 64);
        assert_eq!(c.max_connections_per_ip(), DEFAULT_MAX_CONNECTIONS_PER_IP);
        assert_eq!(c.trusted_proxies(), 0);
        // Behind a proxy every connection comes from it: no per-peer cap unless one is given.
        let proxied = Config::parse_from(["udesk-relay", "--trust-forwarded-for"]);
        assert_eq!(
            (proxied.trusted_proxies(), proxied.max_connections_per_ip()),
            (1, 0)
        );
        let capped = Config::parse_from([
            "udesk-relay",
            "--trusted-proxies",
            "2",
            "--max-connections-per-ip",
            "5000",
        ]);
        assert_eq!(
            (capped.trusted_proxies(), capped.max_connections_per_ip()),
            (2, 5000)
        );
        assert_eq!(
            c.store_spec(),
            StoreSpec::Sqlite(PathBuf::from("data/relay.sqlite3"))
        );
        assert_eq!(
            c.robot_evaluation_path(),
            "/open_api_v1/im/robot/evaluations"
        );
    }

    #[test]
    fn flags_parse() {
        let c = Config::parse_from([
            "udesk-relay",
            "--upstream",
            "http://127.0.0.1:9/",
            "--store",
            "memory",
            "--api-style",
            "seed",
            "--allowed-origin",
            "https://a.example",
            "--allowed-origin",
            "https://b.example",
        ]);
        assert_eq!(c.upstream, Upstream::Url("http://127.0.0.1:9".into()));
        assert_eq!(c.store_spec(), StoreSpec::Memory);
        assert_eq!(c.robot_evaluation_path(), "/im/robot/evaluations");
        assert_eq!(survey_path(c.api_style), "/im_sessions/survey");
        assert_eq!(c.allowed_origins.len(), 2);
        assert!("ftp://x".parse::<Upstream>().is_err());
        assert_eq!(
            "redis://127.0.0.1:6379/2".parse::<StoreSpec>(),
            Ok(StoreSpec::Redis("redis://127.0.0.1:6379/2".into()))
        );
        assert!("postgres://x".parse::<StoreSpec>().is_err());
    }

    #[test]
    fn upload_flags_parse() {
        let c = Config::defaults();
        assert_eq!(c.public_url, None);
        assert_eq!(
            c.media_store_spec(),
            MediaStoreSpec::Dir("data/media".into())
        );
        assert_eq!(c.upload_max_image_bytes, 10 * 1024 * 1024);
        assert_eq!(c.upload_max_file_bytes, 20 * 1024 * 1024);
        let c = Config::parse_from([
            "udesk-relay",
            "--media-store",
            "s3://uploads?endpoint=http://127.0.0.1:9000",
        ]);
        assert!(matches!(c.media_store_spec(), MediaStoreSpec::S3(_)));
        assert_eq!(
            media_base_url("https://chat.shop.example/relay/").as_deref(),
            Ok("https://chat.shop.example/relay")
        );
        for bad in ["ftp://x", "chat.example", "https://x/?a=1", "https://u:p@x"] {
            assert!(media_base_url(bad).is_err(), "{bad}");
        }
    }
}
