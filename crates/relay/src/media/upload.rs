//! `POST /v1/uploads`: a visitor's file, received as it streams in, recognised, cleaned and kept.
//!
//! The order is what keeps bad input cheap and leaves nothing behind:
//! 1. the bearer token (401), the visitor's upload budget (429), and a declared
//!    `Content-Length` over the largest body accepted (413, without reading the body);
//! 2. the `file` part's first bytes decide its kind (415 for refused kinds), and with it the
//!    limit the rest is counted against (413 as soon as it is passed: the body is not read
//!    further, and hyper closes the connection rather than read what is left);
//! 3. the part streams into a staging file (memory stays flat), each read bounded by the idle
//!    timeout (408 for a stalled upload);
//! 4. only a complete multipart body (to its closing boundary) is kept: pictures lose their EXIF,
//!    the bytes go to the media store, then the record that makes them visible.
//!
//! Whatever fails, the staging file is removed when the handler returns (a `NamedTempFile`),
//! and nothing reaches the media store.

use super::kind::{human_size, sniff, Sniffed, SNIFF_BYTES};
use super::{new_id, MediaRecord, MediaStore, Uploads};
use crate::error::AppError;
use crate::state::{AppState, Visitor};
use crate::store::now_ms;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::Json;
use bytes::Bytes;
use object_store::buffered::BufWriter;
use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use tempfile::NamedTempFile;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::time::Instant;
use udesk_protocol::relay::UploadResponse;

/// However steadily it trickles, an upload must be complete within this.
const UPLOAD_DEADLINE: Duration = Duration::from_secs(600);
/// Writes to the object store go in parts of this size (S3's multipart minimum is 5 MiB).
const STORE_PART_BYTES: usize = 8 * 1024 * 1024;

/// A file received completely into the staging directory, not yet stored.
struct Staged {
    file: NamedTempFile,
    sniffed: Sniffed,
    filename: String,
    size: u64,
}

/// `POST /v1/uploads`.
pub async fn upload(
    State(state): State<AppState>,
    visitor: Visitor,
    request: Request,
) -> Result<(StatusCode, Json<UploadResponse>), AppError> {
    let result = receive_and_store(&state, &visitor, request).await;
    match &result {
        Ok(_) => state.metrics.uploads_stored.fetch_add(1, Relaxed),
        Err(_) => state.metrics.uploads_refused.fetch_add(1, Relaxed),
    };
    let record = result?;
    let uploads = &state.uploads;
    state.metrics.upload_bytes.fetch_add(record.size, Relaxed);
    // Not the id: it is the only key to the file.
    tracing::info!(kind = record.kind.as_str(), content_type = %record.content_type,
        size = record.size, "upload stored");
    Ok((
        StatusCode::CREATED,
        Json(UploadResponse {
            url: uploads.url(&record),
            kind: record.kind,
            filename: record.filename,
            filesize: human_size(record.size),
            content_type: record.content_type,
        }),
    ))
}

async fn receive_and_store(
    state: &AppState,
    visitor: &Visitor,
    request: Request,
) -> Result<MediaRecord, AppError> {
    let uploads = &state.uploads;
    uploads
        .limiter
        .check(&visitor.customer_token)
        .await
        .map_err(|retry_after| {
            state.metrics.upload_rate_limited.fetch_add(1, Relaxed);
            AppError::RateLimited { retry_after }
        })?;
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|len| len > uploads.max_body()) {
        return Err(AppError::UploadTooLarge {
            what: "uploads",
            limit: uploads.max_image_bytes.max(uploads.max_file_bytes),
        });
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|rejection| {
            AppError::BadRequest(format!(
                "expected a multipart/form-data body with a part named `file`: {}",
                rejection.body_text()
            ))
        })?;

    let deadline = Instant::now() + UPLOAD_DEADLINE;
    let mut staged: Option<Staged> = None;
    // Every part is read, to the closing boundary: a body cut short anywhere stores nothing.
    while let Some(mut field) = step(uploads, deadline, multipart.next_field()).await? {
        if field.name() == Some("file") {
            if staged.is_some() {
                return Err(AppError::BadRequest(
                    "send one file per upload: the body has two parts named `file`".into(),
                ));
            }
            staged = Some(stage(uploads, deadline, field).await?);
        } else {
            // Other parts are ignored, but read (bounded by the body limit) to reach the end.
            while step(uploads, deadline, field.chunk()).await?.is_some() {}
        }
    }
    let staged =
        staged.ok_or_else(|| AppError::BadRequest("the body has no part named `file`".into()))?;
    store(uploads, visitor, staged).await
}

/// Awaits one read of the body, bounded by the idle timeout and the upload's deadline.
async fn step<T>(
    uploads: &Uploads,
    deadline: Instant,
    read: impl Future<Output = Result<T, MultipartError>>,
) -> Result<T, AppError> {
    let wait = uploads
        .idle_timeout
        .min(deadline.saturating_duration_since(Instant::now()));
    match tokio::time::timeout(wait, read).await {
        Err(_) => Err(AppError::UploadTimeout),
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Err(AppError::UploadTooLarge {
                what: "uploads",
                limit: uploads.max_image_bytes.max(uploads.max_file_bytes),
            })
        }
        Ok(Err(err)) => Err(AppError::BadRequest(format!(
            "the upload is incomplete or malformed: {}",
            err.body_text()
        ))),
    }
}

/// Receives the `file` part into a staging file: sniffs its first bytes, then counts the rest
/// against its kind's limit.
async fn stage(
    uploads: &Uploads,
    deadline: Instant,
    mut field: Field<'_>,
) -> Result<Staged, AppError> {
    let filename = clean_filename(field.file_name().unwrap_or_default());
    let declared = field.content_type().map(str::to_owned);

    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut pending: Option<Bytes> = None;
    while head.len() < SNIFF_BYTES {
        match step(uploads, deadline, field.chunk()).await? {
            Some(chunk) => {
                let take = chunk.len().min(SNIFF_BYTES - head.len());
                head.extend_from_slice(&chunk[..take]);
                if take < chunk.len() {
                    pending = Some(chunk.slice(take..));
                }
            }
            None => break,
        }
    }
    let sniffed = sniff(&head, declared.as_deref(), &filename)
        .map_err(|refused| AppError::UnsupportedMediaType(refused.0))?;
    let (limit, what) = uploads.limit_for(sniffed.kind);
    let too_large = || AppError::UploadTooLarge { what, limit };

    let file = NamedTempFile::new_in(&uploads.staging_dir).map_err(staging_error)?;
    let mut writer = tokio::fs::File::from_std(file.reopen().map_err(staging_error)?);
    let mut size = (head.len() + pending.as_ref().map_or(0, Bytes::len)) as u64;
    if size > limit {
        return Err(too_large());
    }
    writer.write_all(&head).await.map_err(staging_error)?;
    if let Some(rest) = pending {
        writer.write_all(&rest).await.map_err(staging_error)?;
    }
    while let Some(chunk) = step(uploads, deadline, field.chunk()).await? {
        size += chunk.len() as u64;
        if size > limit {
            return Err(too_large());
        }
        writer.write_all(&chunk).await.map_err(staging_error)?;
    }
    writer.flush().await.map_err(staging_error)?;
    let filename = if filename.is_empty() {
        format!("{}.{}", sniffed.kind.as_str(), sniffed.extension)
    } else {
        filename
    };
    Ok(Staged {
        file,
        sniffed,
        filename,
        size,
    })
}

fn staging_error(err: std::io::Error) -> AppError {
    AppError::StoreUnavailable(format!("upload staging: {err}"))
}

/// Moves a complete upload into the media store and writes its record.
async fn store(
    uploads: &Uploads,
    visitor: &Visitor,
    staged: Staged,
) -> Result<MediaRecord, AppError> {
    let id = new_id();
    let Staged {
        file,
        sniffed,
        filename,
        mut size,
    } = staged;
    if sniffed.kind == udesk_protocol::relay::MediaKind::Image {
        // Pictures are at most --upload-max-image-bytes: read whole, cleaned, stored at once.
        let bytes = Bytes::from(tokio::fs::read(file.path()).await.map_err(staging_error)?);
        let content_type = sniffed.content_type;
        let cleaned = tokio::task::spawn_blocking(move || super::exif::strip(content_type, bytes))
            .await
            .map_err(|e| AppError::Internal(format!("EXIF removal panicked: {e}")))?
            .map_err(AppError::UnsupportedMediaType)?;
        size = cleaned.len() as u64;
        uploads.store.put_bytes(&id, cleaned).await?;
    } else {
        copy_to_store(&uploads.store, &id, &file).await?;
    }
    let record = MediaRecord {
        id,
        customer_token: visitor.customer_token.clone(),
        kind: sniffed.kind,
        content_type: sniffed.content_type.to_owned(),
        extension: sniffed.extension.to_owned(),
        inline: sniffed.inline,
        filename,
        size,
        created_at: now_ms(),
    };
    if let Err(err) = uploads.store.put_record(&record).await {
        // Without its record the file is unreachable: do not leave it behind.
        let _ = uploads.store.delete(&record.id).await;
        return Err(err.into());
    }
    Ok(record)
}

/// Streams a staged file into the store (in parts, for S3's multipart upload).
async fn copy_to_store(media: &MediaStore, id: &str, file: &NamedTempFile) -> Result<(), AppError> {
    let source = tokio::fs::File::from_std(file.reopen().map_err(staging_error)?);
    let mut reader = BufReader::with_capacity(256 * 1024, source);
    let mut writer =
        BufWriter::with_capacity(media.objects(), MediaStore::file_path(id), STORE_PART_BYTES);
    let copied = async {
        tokio::io::copy_buf(&mut reader, &mut writer).await?;
        writer.shutdown().await
    }
    .await;
    if let Err(err) = copied {
        let _ = writer.abort().await;
        return Err(AppError::StoreUnavailable(format!(
            "media store write: {err}"
        )));
    }
    Ok(())
}

/// The browser's file name made safe to keep and show: no directories, no control or bidi
/// characters, at most 255 bytes (cut at a character boundary, keeping the extension).
pub fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_owned();
    if cleaned.len() <= 255 {
        return cleaned;
    }
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext)) if ext.len() <= 16 => (stem, format!(".{ext}")),
        _ => (cleaned.as_str(), String::new()),
    };
    let mut cut = 255 - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

/// Characters that reorder text: a name like `invoice\u{202e}fdp.exe` would show as
/// `invoiceexe.pdf`.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_cleaned() {
        assert_eq!(clean_filename("C:\\Users\\me\\photo.jpg"), "photo.jpg");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("invoice\u{202e}fdp.exe"), "invoicefdp.exe");
        assert_eq!(clean_filename("a\r\nb.txt"), "ab.txt");
        assert_eq!(clean_filename("..."), "");
        assert_eq!(clean_filename("报价单 2026.pdf"), "报价单 2026.pdf");
        let long = format!("{}.pdf", "文".repeat(200));
        let cleaned = clean_filename(&long);
        assert!(
            cleaned.len() <= 255 && cleaned.ends_with("文.pdf"),
            "{cleaned}"
        );
    }
}
