//! Demo media the simulator serves itself under `/media/...`, so that image, audio, video and
//! file messages point at something a browser can really show and play: a PNG picture, a WAV
//! chime, an MP4 (H.264) clip and a PDF. They are small files committed in `crates/sim/media/`
//! and compiled in (`include_bytes!`), so neither the simulator nor the relay that embeds it
//! carries image, sound or video encoders. Avatars (`/media/avatar/<name>.png`) are one of six
//! colours chosen by name, or the robot's.
//!
//! Responses carry their Content-Type and Content-Length and honour single byte ranges, which
//! media elements use to seek.

use crate::Sim;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::sync::Arc;

/// One servable file.
#[derive(Clone, Debug)]
pub struct MediaItem {
    /// Path under the simulator's root, e.g. `/media/demo.png`.
    pub path: String,
    pub filename: &'static str,
    pub content_type: &'static str,
    pub bytes: Bytes,
    pub duration_secs: Option<f64>,
}

/// The demo media.
#[derive(Clone, Debug)]
pub struct Library {
    items: Vec<MediaItem>,
}

impl Library {
    /// The committed demo files (a 240×160 landscape, a 1.2 s chime, a 2 s clip, a one-page
    /// guide), with their names and durations.
    pub fn generate() -> Self {
        let items = vec![
            item(
                "demo.png",
                "udesk-demo.png",
                "image/png",
                include_bytes!("../../media/demo.png"),
                None,
            ),
            item(
                "demo.wav",
                "udesk-chime.wav",
                "audio/wav",
                include_bytes!("../../media/demo.wav"),
                Some(1.2),
            ),
            item(
                "demo.mp4",
                "udesk-clip.mp4",
                "video/mp4",
                include_bytes!("../../media/demo.mp4"),
                Some(2.0),
            ),
            item(
                "demo.pdf",
                "udesk-chat-guide.pdf",
                "application/pdf",
                include_bytes!("../../media/demo.pdf"),
                None,
            ),
        ];
        Library { items }
    }

    /// The demo item for a message kind: image, audio, video or file.
    pub fn demo(&self, kind: &str) -> &MediaItem {
        let content_type = match kind {
            "image" => "image/png",
            "audio" => "audio/wav",
            "video" => "video/mp4",
            _ => "application/pdf",
        };
        self.items
            .iter()
            .find(|i| i.content_type == content_type)
            .unwrap_or(&self.items[0])
    }

    fn by_name(&self, name: &str) -> Option<&MediaItem> {
        self.items
            .iter()
            .find(|i| i.path.strip_prefix("/media/") == Some(name))
    }
}

fn item(
    name: &str,
    filename: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    duration_secs: Option<f64>,
) -> MediaItem {
    MediaItem {
        path: format!("/media/{name}"),
        filename,
        content_type,
        bytes: Bytes::from_static(bytes),
        duration_secs,
    }
}

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/media/{name}", get(serve_media))
        .route("/media/avatar/{name}", get(serve_avatar))
}

async fn serve_media(
    State(sim): State<Arc<Sim>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match sim.media.by_name(&name) {
        Some(item) => ranged(item.content_type, item.bytes.clone(), &headers),
        None => (StatusCode::NOT_FOUND, "no such media").into_response(),
    }
}

async fn serve_avatar(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(stem) = name.strip_suffix(".png") else {
        return (StatusCode::NOT_FOUND, "avatars are PNG").into_response();
    };
    ranged("image/png", Bytes::from_static(avatar(stem)), &headers)
}

/// The whole body, or the one byte range the request asks for.
fn ranged(content_type: &'static str, bytes: Bytes, headers: &HeaderMap) -> Response {
    let len = bytes.len();
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_range(v, len));
    let mut response = match range {
        Some(Ok((start, end))) => {
            let mut r = Response::new(Body::from(bytes.slice(start..=end)));
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            let value = format!("bytes {start}-{end}/{len}");
            if let Ok(v) = HeaderValue::from_str(&value) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        Some(Err(())) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
        None => Response::new(Body::from(bytes)),
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n` against a body of `len` bytes; `None` for a header we
/// ignore (several ranges, other units), `Err` for a range outside the body.
fn parse_range(value: &str, len: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let parsed = match (start.is_empty(), end.is_empty()) {
        (true, true) => return None,
        (true, false) => {
            let n: usize = end.parse().ok()?;
            (len.saturating_sub(n), len.checked_sub(1))
        }
        (false, _) => {
            let start: usize = start.parse().ok()?;
            let end = if end.is_empty() {
                len.checked_sub(1)
            } else {
                Some(end.parse::<usize>().ok()?.min(len.saturating_sub(1)))
            };
            (start, end)
        }
    };
    Some(match parsed {
        (start, Some(end)) if start <= end && end < len => Ok((start, end)),
        _ => Err(()),
    })
}

/// The avatar for `name`: one of six colours chosen by a hash of the name (so an agent keeps
/// theirs), or the robot's own.
fn avatar(name: &str) -> &'static [u8] {
    const COLOURS: [&[u8]; 6] = [
        include_bytes!("../../media/avatar-0.png"),
        include_bytes!("../../media/avatar-1.png"),
        include_bytes!("../../media/avatar-2.png"),
        include_bytes!("../../media/avatar-3.png"),
        include_bytes!("../../media/avatar-4.png"),
        include_bytes!("../../media/avatar-5.png"),
    ];
    if name == "robot" {
        return include_bytes!("../../media/avatar-robot.png");
    }
    // FNV-1a: stable across builds and platforms.
    let hash = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    COLOURS[hash as usize % COLOURS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_browsers_send_them() {
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Ok((900, 999))));
        assert_eq!(parse_range("bytes=0-5000", 1000), Some(Ok((0, 999))));
        assert_eq!(parse_range("bytes=2000-", 1000), Some(Err(())));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
    }

    #[test]
    fn the_library_has_every_kind() {
        let library = Library::generate();
        for kind in ["image", "audio", "video", "file"] {
            assert!(!library.demo(kind).bytes.is_empty(), "{kind}");
        }
        assert!(library.demo("video").bytes.len() < 150_000);
        assert!(library.demo("image").bytes.len() < 20_000);
        assert!(library.demo("image").bytes.starts_with(b"\x89PNG"));
        assert!(library.demo("audio").bytes.starts_with(b"RIFF"));
        assert_eq!(&library.demo("video").bytes[4..8], b"ftyp");
        assert!(library.demo("file").bytes.starts_with(b"%PDF-"));
    }

    #[test]
    fn avatars_are_stable_per_name_and_the_robot_has_its_own() {
        assert_eq!(avatar("Alice"), avatar("Alice"));
        assert_ne!(avatar("robot"), avatar("Alice"));
        let colours: std::collections::HashSet<&[u8]> =
            (0..100).map(|i| avatar(&format!("agent {i}"))).collect();
        assert_eq!(colours.len(), 6, "every colour is used");
        assert!(colours.iter().all(|png| png.starts_with(b"\x89PNG")));
    }
}
