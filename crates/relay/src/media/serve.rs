//! `GET /media/{id}`: an uploaded file, for Udesk's agents and the visitor's own widget.
//!
//! No token: the agent's browser opens the URL as Udesk shows it, so the unguessable id is the
//! only key. What is served can never run in the relay's origin:
//! - `Content-Type` is the sniffed type, never the one the visitor declared, and
//!   `X-Content-Type-Options: nosniff` stops browsers from guessing another;
//! - `Content-Security-Policy: sandbox` puts anything opened directly in a unique origin with
//!   no scripts;
//! - only pictures, sound and video that browsers decode safely are `inline`; everything else
//!   (HTML, SVG, PDF, archives, unknown bytes) is `attachment`, a download.
//!
//! Files never change (a new upload is a new id), so they are cached for a year. One byte range
//! (`Range: bytes=a-b`) is answered with 206, which audio and video elements use to seek and
//! Safari needs to play at all; the range is read from the store, not the whole file.

use super::id_of_name;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::ops::Range;

/// What a `filename*=UTF-8''…` value may carry unescaped (RFC 8187 `attr-char`).
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `GET /media/{name}` (`name` is `<id>` or `<id>.<ext>`).
pub async fn media(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = id_of_name(&name).ok_or(AppError::NotFound)?;
    let media = &state.uploads.store;
    let record = media.record(id).await?.ok_or(AppError::NotFound)?;
    let total = record.size;

    let range = match headers
        .get(header::RANGE)
        .map(|v| v.to_str().map(requested_range))
    {
        None | Some(Err(_)) | Some(Ok(Requested::Whole)) => None,
        Some(Ok(Requested::Unsatisfiable)) => return Ok(unsatisfiable(total)),
        Some(Ok(Requested::Ranges(ranges))) => match ranges.validate(total) {
            Ok(valid) if valid.len() == 1 => {
                let (start, end) = valid[0].clone().into_inner();
                Some(start..end + 1)
            }
            // Several ranges: the whole file (allowed, and no player asks for that).
            Ok(_) => None,
            Err(_) => return Ok(unsatisfiable(total)),
        },
    };
    let got = match media.read(id, range.clone()).await {
        Ok(got) => got,
        Err(super::MediaError::Store(object_store::Error::NotFound { .. })) => {
            return Err(AppError::NotFound)
        }
        Err(err) => return Err(err.into()),
    };
    let body = Body::from_stream(got.into_stream().map_err(std::io::Error::other));

    let mut response = Response::new(body);
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    };
    set(h, header::CONTENT_TYPE, record.content_type.clone());
    let served: Range<u64> = range.clone().unwrap_or(0..total);
    set(
        h,
        header::CONTENT_LENGTH,
        (served.end - served.start).to_string(),
    );
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let h = response.headers_mut();
        set(
            h,
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{total}", served.start, served.end - 1),
        );
    }
    let h = response.headers_mut();
    set(
        h,
        header::CONTENT_DISPOSITION,
        disposition(record.inline, &record.filename),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The widget shows pictures from the relay inside host pages of other origins, some of
    // which isolate themselves (COEP): allow it explicitly.
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(response)
}

enum Requested {
    /// No range the relay honours (another unit, a malformed header): the whole file.
    Whole,
    Unsatisfiable,
    Ranges(http_range_header::ParsedRanges),
}

fn requested_range(value: &str) -> Requested {
    if !value.trim_start().starts_with("bytes=") {
        return Requested::Whole;
    }
    match http_range_header::parse_range_header(value.trim()) {
        Ok(ranges) => Requested::Ranges(ranges),
        Err(_) => Requested::Unsatisfiable,
    }
}

fn unsatisfiable(total: u64) -> Response {
    let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{total}")) {
        response.headers_mut().insert(header::CONTENT_RANGE, value);
    }
    response
}

/// `inline` or `attachment`, with the file's name in both RFC 6266 forms: an ASCII fallback
/// and the exact UTF-8 name.
pub fn disposition(inline: bool, filename: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(filename, ATTR_CHAR_ESCAPES);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_carry_any_name_safely() {
        assert_eq!(
            disposition(false, "报价 \"v2\".pdf"),
            "attachment; filename=\"__ _v2_.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%20%22v2%22.pdf"
        );
        assert!(disposition(true, "a.png").starts_with("inline; filename=\"a.png\""));
    }
}
