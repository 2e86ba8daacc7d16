//! Visitor uploads: pictures, voice notes, videos and files a visitor sends to an agent.
//!
//! Udesk's send-message takes only a URL in `data.content`, so the relay hosts the file: the
//! widget posts it to `POST /v1/uploads` ([`upload`]), the relay recognises it from its bytes
//! ([`kind`]), removes the location and other EXIF from photos ([`exif`]), keeps it in the media
//! store and answers its URL, which the widget then sends as an image, audio, video or file
//! message. Udesk's agents (and the visitor) fetch it from `GET /media/{id}` ([`serve`]).
//!
//! # The media store
//! One trait, `object_store`'s [`ObjectStore`], for both backends: a directory on disk
//! (`<data-dir>/media` by default, nothing to install) or any S3-compatible bucket
//! (`--media-store s3://bucket?endpoint=…`, credentials from the usual `AWS_*` variables), which
//! several relays behind a load balancer share. Each file is two objects:
//! - `files/<id>`: the bytes as stored (EXIF removed);
//! - `records/<id>.json`: its [`MediaRecord`] (owner, kind, type, name, size, time).
//!
//! The record is written after the bytes, so a record always names a complete file. Ids are 128
//! random bits (32 hex digits): the URL is the only key, as with any chat service's attachment
//! links, since Udesk's agents open it without a visitor token.
//!
//! # Retention
//! A file is kept while its customer's conversation is: [`prune`] deletes a file once it is
//! older than `--retention-days` *and* the relay keeps no event of its customer any more (the
//! same retention drops a customer's events), so no kept message ever points at a deleted file.

pub mod exif;
pub mod kind;
pub mod serve;
pub mod upload;

use crate::limits::RateLimiter;
use crate::store::{now_ms, Storage};
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, GetRange, GetResult, ObjectStore, PutPayload};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use udesk_protocol::relay::MediaKind;

/// Where uploads are kept (`--media-store`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaStoreSpec {
    /// A directory on this machine (`dir:PATH`, or a plain path).
    Dir(PathBuf),
    /// An S3-compatible bucket: `s3://bucket?endpoint=http://…&region=…` (any of
    /// `object_store`'s `AmazonS3ConfigKey` names as query keys, except credentials).
    S3(String),
}

impl std::str::FromStr for MediaStoreSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("s3://") {
            // Checked now, so that a wrong flag stops the relay at start with its reason.
            s3_builder(s)?;
            Ok(MediaStoreSpec::S3(s.to_owned()))
        } else {
            let path = s.strip_prefix("dir:").unwrap_or(s);
            if path.is_empty() || path.contains("://") {
                return Err(format!(
                    "expected dir:PATH or s3://bucket?endpoint=…, got `{s}`"
                ));
            }
            Ok(MediaStoreSpec::Dir(PathBuf::from(path)))
        }
    }
}

/// The S3 client of an `s3://bucket?key=value&…` spec. Credentials come from the environment
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, …), never
/// from the flag: flags show up in process lists and logs.
fn s3_builder(spec: &str) -> Result<AmazonS3Builder, String> {
    let url = url::Url::parse(spec).map_err(|e| format!("--media-store {spec}: {e}"))?;
    let bucket = url.host_str().filter(|b| !b.is_empty()).ok_or_else(|| {
        "--media-store s3://BUCKET?endpoint=…: the bucket name is missing".to_owned()
    })?;
    if !url.path().trim_matches('/').is_empty() {
        return Err("--media-store s3://BUCKET: a path after the bucket is not supported".into());
    }
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    for (key, value) in url.query_pairs() {
        let config: AmazonS3ConfigKey = key
            .parse()
            .map_err(|_| format!("--media-store: unknown S3 setting `{key}`"))?;
        if matches!(
            config,
            AmazonS3ConfigKey::AccessKeyId
                | AmazonS3ConfigKey::SecretAccessKey
                | AmazonS3ConfigKey::Token
        ) {
            return Err(format!(
                "--media-store: `{key}` does not belong in the URL; set AWS_ACCESS_KEY_ID, \
                 AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in the environment"
            ));
        }
        if config == AmazonS3ConfigKey::Endpoint && value.starts_with("http://") {
            // A plain-HTTP endpoint (a local MinIO or test server) is allowed because it was
            // written down explicitly.
            builder = builder.with_allow_http(true);
        }
        builder = builder.with_config(config, value.into_owned());
    }
    Ok(builder)
}

/// Room for the multipart framing around the file (boundaries, part headers, a few small
/// fields) on top of the largest file accepted.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The upload settings and the media store, as the handlers share them.
pub struct Uploads {
    pub store: MediaStore,
    /// The relay's base URL as Udesk's agents reach it (no trailing slash).
    pub public_url: String,
    /// Largest picture accepted (`--upload-max-image-bytes`).
    pub max_image_bytes: u64,
    /// Largest audio, video or other file accepted (`--upload-max-file-bytes`).
    pub max_file_bytes: u64,
    /// How long an upload may send nothing before it is dropped.
    pub idle_timeout: Duration,
    /// Per-visitor limit on uploads.
    pub limiter: RateLimiter,
    /// Where an upload is written while it arrives (removed when it fails).
    pub staging_dir: PathBuf,
    /// `--retention-days`, in milliseconds.
    pub retention_ms: u64,
}

impl Uploads {
    /// The largest request body `POST /v1/uploads` reads.
    pub fn max_body(&self) -> u64 {
        self.max_image_bytes.max(self.max_file_bytes) + MULTIPART_OVERHEAD
    }

    /// The limit for a file of `kind`, and what the refusal calls such files.
    pub fn limit_for(&self, kind: MediaKind) -> (u64, &'static str) {
        match kind {
            MediaKind::Image => (self.max_image_bytes, "pictures"),
            _ => (self.max_file_bytes, "files"),
        }
    }

    /// The absolute URL of a stored file.
    pub fn url(&self, record: &MediaRecord) -> String {
        format!("{}{}", self.public_url, record.url_path())
    }

    /// The record of the file a media URL of this relay names, or why it names none: `Err`
    /// when the URL is not one of this relay's media URLs at all.
    pub async fn record_of_url(&self, url: &str) -> Result<Option<MediaRecord>, UrlError> {
        let name = url
            .strip_prefix(&self.public_url)
            .and_then(|rest| rest.strip_prefix("/media/"))
            .filter(|name| !name.contains(['/', '?', '#']))
            .and_then(id_of_name)
            .ok_or(UrlError::NotOurs)?;
        self.store.record(name).await.map_err(UrlError::Store)
    }
}

/// Why a URL names no file of this relay.
#[derive(Debug)]
pub enum UrlError {
    /// Not a `<public url>/media/<id>` URL.
    NotOurs,
    Store(MediaError),
}

/// What the relay knows of one uploaded file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRecord {
    /// 32 hex digits (128 random bits).
    pub id: String,
    /// The customer who uploaded it: only they may send it, and it goes with their history.
    pub customer_token: String,
    pub kind: MediaKind,
    /// The sniffed type it is served with.
    pub content_type: String,
    /// The extension of that type (the URL ends with it).
    pub extension: String,
    /// Whether browsers may show it inline (otherwise it is served as an attachment).
    pub inline: bool,
    /// The visitor's name for it, cleaned.
    pub filename: String,
    /// Bytes stored.
    pub size: u64,
    /// Unix milliseconds.
    pub created_at: u64,
}

impl MediaRecord {
    /// The path of its URL: `/media/<id>.<ext>`.
    pub fn url_path(&self) -> String {
        format!("/media/{}.{}", self.id, self.extension)
    }
}

/// A failed media-store call.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("media store: {0}")]
    Store(#[from] object_store::Error),
    #[error("media record: {0}")]
    Record(#[from] serde_json::Error),
    #[error("media staging: {0}")]
    Io(#[from] std::io::Error),
}

impl From<MediaError> for crate::AppError {
    fn from(err: MediaError) -> crate::AppError {
        crate::AppError::StoreUnavailable(err.to_string())
    }
}

/// The media store: bytes and records in one [`ObjectStore`].
#[derive(Clone)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    /// For logs: the directory or the bucket (never credentials).
    pub description: String,
}

impl MediaStore {
    /// Opens the store of `spec`; a directory is created when missing.
    pub fn open(spec: &MediaStoreSpec) -> Result<MediaStore, String> {
        match spec {
            MediaStoreSpec::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the media directory {}: {e}", dir.display())
                })?;
                let store = LocalFileSystem::new_with_prefix(dir)
                    .map_err(|e| format!("cannot use the media directory {}: {e}", dir.display()))?
                    .with_automatic_cleanup(true);
                Ok(MediaStore {
                    store: Arc::new(store),
                    description: dir.display().to_string(),
                })
            }
            MediaStoreSpec::S3(spec) => {
                let store = s3_builder(spec)?
                    .build()
                    .map_err(|e| format!("cannot use the media store {spec}: {e}"))?;
                let description = spec.split('?').next().unwrap_or(spec).to_owned();
                Ok(MediaStore {
                    store: Arc::new(store),
                    description,
                })
            }
        }
    }

    /// The underlying object store (for streaming writes).
    pub fn objects(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// Where a file's bytes live.
    pub fn file_path(id: &str) -> ObjectPath {
        ObjectPath::from(format!("files/{id}"))
    }

    fn record_path(id: &str) -> ObjectPath {
        ObjectPath::from(format!("records/{id}.json"))
    }

    /// Stores a small file in one call (pictures, after their EXIF is removed).
    pub async fn put_bytes(&self, id: &str, bytes: Bytes) -> Result<(), MediaError> {
        self.store
            .put(&Self::file_path(id), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// Writes the record that makes a stored file visible.
    pub async fn put_record(&self, record: &MediaRecord) -> Result<(), MediaError> {
        let json = serde_json::to_vec(record)?;
        self.store
            .put(&Self::record_path(&record.id), PutPayload::from(json))
            .await?;
        Ok(())
    }

    /// The record of `id`, or `None` when there is no such file.
    pub async fn record(&self, id: &str) -> Result<Option<MediaRecord>, MediaError> {
        match self.store.get(&Self::record_path(id)).await {
            Ok(got) => Ok(Some(serde_json::from_slice(&got.bytes().await?)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The file's bytes, all or `range` (end exclusive).
    pub async fn read(&self, id: &str, range: Option<Range<u64>>) -> Result<GetResult, MediaError> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        Ok(self.store.get_opts(&Self::file_path(id), options).await?)
    }

    /// Deletes a file: its bytes, then its record (a record left by a failure is retried).
    pub async fn delete(&self, id: &str) -> Result<(), MediaError> {
        for path in [Self::file_path(id), Self::record_path(id)] {
            match self.store.delete(&path).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The records written before `cutoff_ms` (for retention; younger files are not even read,
    /// so a pass costs one listing plus a read per old file). Unreadable ones are logged and
    /// skipped.
    pub async fn records_before(&self, cutoff_ms: u64) -> Result<Vec<MediaRecord>, MediaError> {
        let mut listing = self.store.list(Some(&ObjectPath::from("records")));
        let mut records = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let written_ms = u64::try_from(meta.last_modified.timestamp_millis()).unwrap_or(0);
            if written_ms >= cutoff_ms {
                continue;
            }
            let Some(id) = meta
                .location
                .filename()
                .and_then(|name| name.strip_suffix(".json"))
            else {
                continue;
            };
            match self.record(id).await {
                Ok(Some(record)) => records.push(record),
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "unreadable media record"),
            }
        }
        Ok(records)
    }
}

/// A new file id: 128 bits from the operating system's random source, as 32 hex digits.
pub fn new_id() -> String {
    let mut bits = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bits);
    bits.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` has the shape [`new_id`] gives (checked before any store call).
pub fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The id in a media URL path's last segment: `<id>` or `<id>.<ext>`.
pub fn id_of_name(name: &str) -> Option<&str> {
    let id = name.split_once('.').map_or(name, |(id, _)| id);
    valid_id(id).then_some(id)
}

/// Deletes the files retention no longer covers: older than `retention_ms`, of a customer the
/// store keeps no event of. Returns how many went.
pub async fn prune(
    media: &MediaStore,
    events: &Storage,
    retention_ms: u64,
) -> Result<usize, MediaError> {
    let cutoff = now_ms().saturating_sub(retention_ms);
    let mut deleted = 0;
    for record in media.records_before(cutoff).await? {
        if record.created_at >= cutoff {
            continue;
        }
        let ct = record.customer_token.clone();
        let history_kept = match events.run(move |s| s.bounds(&ct)).await {
            Ok(bounds) => bounds.earliest.is_some(),
            Err(err) => {
                tracing::warn!(error = %err, "media retention: cannot read the event store");
                return Ok(deleted);
            }
        };
        if !history_kept {
            media.delete(&record.id).await?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_random_bits() {
        let (a, b) = (new_id(), new_id());
        assert!(valid_id(&a) && valid_id(&b) && a != b);
        assert_eq!(id_of_name(&format!("{a}.png")), Some(a.as_str()));
        assert_eq!(id_of_name(&a), Some(a.as_str()));
        for bad in [
            "",
            "../etc/passwd",
            "ABCDEF0123456789abcdef0123456789",
            "0123",
        ] {
            assert_eq!(id_of_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn media_store_flags_parse() {
        assert_eq!(
            "dir:/var/media".parse::<MediaStoreSpec>(),
            Ok(MediaStoreSpec::Dir("/var/media".into()))
        );
        assert_eq!(
            "media".parse::<MediaStoreSpec>(),
            Ok(MediaStoreSpec::Dir("media".into()))
        );
        let s3 = "s3://uploads?endpoint=http://127.0.0.1:9000&region=eu-west-1";
        assert_eq!(
            s3.parse::<MediaStoreSpec>(),
            Ok(MediaStoreSpec::S3(s3.into()))
        );
        for bad in [
            "s3://",
            "s3://b/sub/dir",
            "s3://b?colour=blue",
            "s3://b?aws_secret_access_key=x",
            "ftp://x",
        ] {
            assert!(bad.parse::<MediaStoreSpec>().is_err(), "{bad}");
        }
    }
}
