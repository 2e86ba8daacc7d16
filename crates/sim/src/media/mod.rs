//! Demo media the simulator serves itself under `/media/...`, so that image, audio, video and
//! file messages point at something a browser can really show and play: a PNG picture, a WAV
//! chime, an MP4 (H.264) clip and a PDF. Everything is drawn or synthesised at start-up (a few
//! milliseconds), so the repository ships no binaries. Avatars (`/media/avatar/<name>.png`) are
//! drawn on demand, coloured by name.
//!
//! Responses carry their Content-Type and Content-Length and honour single byte ranges, which
//! media elements use to seek.

mod mp4;
mod pdf;
mod png;
mod wav;

use crate::Sim;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use std::sync::{Arc, OnceLock};

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

/// The demo media, generated once per process.
#[derive(Clone, Debug)]
pub struct Library {
    items: Vec<MediaItem>,
}

impl Library {
    pub fn generate() -> Self {
        static LIBRARY: OnceLock<Library> = OnceLock::new();
        LIBRARY.get_or_init(Library::draw).clone()
    }

    fn draw() -> Self {
        let (video, video_secs) = demo_video();
        let (audio, audio_secs) = wav::chime();
        let items = vec![
            item(
                "demo.png",
                "udesk-demo.png",
                "image/png",
                demo_picture(),
                None,
            ),
            item(
                "demo.wav",
                "udesk-chime.wav",
                "audio/wav",
                audio,
                Some(audio_secs),
            ),
            item(
                "demo.mp4",
                "udesk-clip.mp4",
                "video/mp4",
                video,
                Some(video_secs),
            ),
            item(
                "demo.pdf",
                "udesk-chat-guide.pdf",
                "application/pdf",
                pdf::guide(),
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
    bytes: Vec<u8>,
    duration_secs: Option<f64>,
) -> MediaItem {
    MediaItem {
        path: format!("/media/{name}"),
        filename,
        content_type,
        bytes: Bytes::from(bytes),
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
    ranged("image/png", Bytes::from(avatar(stem)), &headers)
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

/// An RGB canvas to draw the pictures on.
struct Canvas {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(width: usize, height: usize) -> Self {
        Canvas {
            width,
            height,
            rgb: vec![0; width * height * 3],
        }
    }

    fn paint(&mut self, mut color_at: impl FnMut(f32, f32) -> Option<[u8; 3]>) {
        for y in 0..self.height {
            for x in 0..self.width {
                if let Some(c) = color_at(x as f32, y as f32) {
                    let at = (y * self.width + x) * 3;
                    self.rgb[at..at + 3].copy_from_slice(&c);
                }
            }
        }
    }

    fn png(&self) -> Vec<u8> {
        png::encode(self.width as u32, self.height as u32, &self.rgb)
    }
}

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8)
}

/// A landscape: sky, sun, two hills, a chat bubble.
fn demo_picture() -> Vec<u8> {
    let (w, h) = (240.0, 160.0);
    let mut canvas = Canvas::new(w as usize, h as usize);
    canvas.paint(|x, y| {
        let sky = mix([120, 180, 250], [220, 240, 255], y / h);
        let sun = ((x - 180.0).powi(2) + (y - 40.0).powi(2)).sqrt() < 22.0;
        let far_hill = y > 110.0 - 25.0 * ((x / w) * std::f32::consts::PI).sin();
        let near_hill = y > 125.0 - 18.0 * ((x / w) * 2.0 * std::f32::consts::PI + 1.0).sin();
        let bubble = ((x - 60.0) / 40.0).powi(2) + ((y - 45.0) / 24.0).powi(2) < 1.0
            || (x > 40.0 && x < 52.0 && y > 60.0 && y < 78.0 - (x - 40.0));
        Some(if bubble {
            [255, 255, 255]
        } else if near_hill {
            mix([70, 160, 80], [40, 110, 50], (y - 100.0) / 60.0)
        } else if far_hill {
            [110, 180, 110]
        } else if sun {
            [255, 205, 60]
        } else {
            sky
        })
    });
    // Three dots in the bubble: "typing…".
    canvas.paint(|x, y| {
        [45.0, 60.0, 75.0]
            .iter()
            .any(|cx| ((x - cx).powi(2) + (y - 45.0).powi(2)).sqrt() < 4.0)
            .then_some([40, 110, 220])
    });
    canvas.png()
}

/// A round avatar coloured by `name`, with a simple face; "robot" gets a robot.
fn avatar(name: &str) -> Vec<u8> {
    let size = 64.0;
    let hue = name.bytes().fold(2166136261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16777619)
    });
    let palette = [
        [33, 150, 243],
        [233, 30, 99],
        [0, 150, 136],
        [255, 152, 0],
        [103, 58, 183],
        [76, 175, 80],
    ];
    let robot = name == "robot";
    let base = if robot {
        [96, 125, 139]
    } else {
        palette[hue as usize % palette.len()]
    };
    let mut canvas = Canvas::new(size as usize, size as usize);
    canvas.paint(|x, y| {
        let (dx, dy) = (x - 31.5, y - 31.5);
        let r = (dx * dx + dy * dy).sqrt();
        if r > 31.5 {
            return Some([255, 255, 255]);
        }
        let eye = |cx: f32| ((x - cx).powi(2) + (y - 26.0).powi(2)).sqrt() < 4.5;
        if robot {
            let face = (18.0..46.0).contains(&x) && (18.0..44.0).contains(&y);
            let mouth = (24.0..40.0).contains(&x) && (35.0..38.0).contains(&y);
            let antenna = (30.0..34.0).contains(&x) && (8.0..18.0).contains(&y);
            return Some(if eye(25.0) || eye(39.0) || mouth {
                [38, 50, 56]
            } else if face || antenna {
                [236, 239, 241]
            } else {
                base
            });
        }
        let from_mouth = ((x - 32.0).powi(2) + (y - 34.0).powi(2)).sqrt();
        let smile = (from_mouth - 11.0).abs() < 1.5 && y > 37.0;
        Some(if eye(24.0) || eye(40.0) || smile {
            [255, 255, 255]
        } else {
            base
        })
    });
    canvas.png()
}

/// Two seconds of a ball crossing a gradient, with a progress bar. Returns the file and its
/// duration.
fn demo_video() -> (Vec<u8>, f64) {
    const W: usize = 96;
    const H: usize = 64;
    const FPS: u32 = 6;
    const FRAMES: usize = 12;
    let frames: Vec<mp4::Frame> = (0..FRAMES)
        .map(|f| {
            let t = f as f32 / (FRAMES - 1) as f32;
            let (bx, by) = (
                12.0 + t * 72.0,
                32.0 - 18.0 * (t * std::f32::consts::PI).sin(),
            );
            let mut rgb = vec![[0u8; 3]; W * H];
            for y in 0..H {
                for x in 0..W {
                    let (xf, yf) = (x as f32, y as f32);
                    rgb[y * W + x] = if y >= H - 4 {
                        if xf / W as f32 <= t {
                            [255, 193, 7]
                        } else {
                            [60, 60, 60]
                        }
                    } else if ((xf - bx).powi(2) + (yf - by).powi(2)).sqrt() < 9.0 {
                        [233, 30, 99]
                    } else {
                        mix([25, 118, 210], [129, 212, 250], (xf + yf) / (W + H) as f32)
                    };
                }
            }
            to_ycbcr(W, H, &rgb)
        })
        .collect();
    let file = mp4::encode(W as u32, H as u32, FPS, &frames);
    (file, FRAMES as f64 / f64::from(FPS))
}

/// RGB to studio-range YCbCr 4:2:0 (BT.601). Values stay in 16–240, so no sample is 0.
fn to_ycbcr(width: usize, height: usize, rgb: &[[u8; 3]]) -> mp4::Frame {
    let luma = |[r, g, b]: [u8; 3]| {
        let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
        (16.0 + 0.257 * r + 0.504 * g + 0.098 * b).round() as u8
    };
    let chroma = |[r, g, b]: [u8; 3]| {
        let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
        (
            (128.0 - 0.148 * r - 0.291 * g + 0.439 * b).round() as u8,
            (128.0 + 0.439 * r - 0.368 * g - 0.071 * b).round() as u8,
        )
    };
    let y = rgb.iter().map(|&p| luma(p)).collect();
    let (mut cb, mut cr) = (Vec::new(), Vec::new());
    for cy in 0..height / 2 {
        for cx in 0..width / 2 {
            let (b, r) = chroma(rgb[(cy * 2) * width + cx * 2]);
            cb.push(b);
            cr.push(r);
        }
    }
    mp4::Frame { y, cb, cr }
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
    }
}
