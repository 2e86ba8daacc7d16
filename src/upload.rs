//! What the widget decides about a file before and after it is uploaded (plain Rust, tested on
//! the host; the upload itself is `api::Api::upload`, the flow `app::uploads`).
//!
//! Before: a file the relay would refuse is explained at once, without sending a byte, where the
//! browser can tell: empty, over the relay's limit for its kind (`GET /v1/config`: pictures
//! `max_image_bytes`, everything else `max_file_bytes`; the kind as the browser declares it, the
//! relay decides from the bytes and has the last word), or a picture format the relay refuses
//! because it cannot remove a GPS position from it (HEIC/HEIF, AVIF, TIFF, JPEG XL).
//! After: the relay's answer becomes the message's content (`data.content` = its URL).

use udesk_protocol::content::MediaData;
use udesk_protocol::relay::{MediaKind, RelayConfig, UploadResponse};
use udesk_protocol::Content;

/// The relay's upload limits, in bytes (`None`: the relay did not say).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub image: Option<u64>,
    pub file: Option<u64>,
}

impl Limits {
    /// Reads the limits out of `GET /v1/config`'s answer ([`RelayConfig`]); `None` when the relay
    /// takes no uploads (it names no limit). A light reader, like the protocol's own.
    pub fn read(value: serde_json::Value) -> udesk_protocol::reader::value::Result<Option<Limits>> {
        let mut fields = udesk_protocol::reader::value::Fields::of(value)?;
        let config = RelayConfig {
            max_image_bytes: fields.opt_u64("max_image_bytes")?,
            max_file_bytes: fields.opt_u64("max_file_bytes")?,
            ..RelayConfig::default()
        };
        Ok(Limits::from_config(&config))
    }

    /// From a [`RelayConfig`]; `None` when the relay takes no uploads (it names no limit).
    pub fn from_config(config: &RelayConfig) -> Option<Limits> {
        (config.max_image_bytes.is_some() || config.max_file_bytes.is_some()).then_some(Limits {
            image: config.max_image_bytes,
            file: config.max_file_bytes,
        })
    }
}

/// Why a file is not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Empty,
    /// Over the limit for its kind; the limit in bytes.
    TooLarge {
        max: u64,
    },
    /// A picture format the relay refuses (it could carry a location that cannot be removed).
    UnsupportedPicture,
}

/// Picture types the relay refuses (see the module's doc).
const REFUSED_PICTURES: [&str; 6] = [
    "image/heic",
    "image/heif",
    "image/avif",
    "image/tiff",
    "image/jxl",
    "image/heic-sequence",
];

/// Whether a file the browser describes as `declared_type` (`File.type`, may be empty), `size`
/// bytes, may be uploaded under `limits`.
pub fn check(declared_type: &str, size: u64, limits: Limits) -> Result<(), Refusal> {
    let declared = declared_type.trim().to_ascii_lowercase();
    if size == 0 {
        return Err(Refusal::Empty);
    }
    if REFUSED_PICTURES.contains(&declared.as_str()) {
        return Err(Refusal::UnsupportedPicture);
    }
    let limit = if declared.starts_with("image/") {
        limits.image
    } else {
        limits.file
    };
    match limit {
        Some(max) if size > max => Err(Refusal::TooLarge { max }),
        _ => Ok(()),
    }
}

/// The message that sends an uploaded file: its kind as the relay recognised it, its URL (the
/// relay fills in name and size for Udesk itself; they are kept here for the transcript).
pub fn message_content(upload: UploadResponse) -> Content {
    let media = MediaData {
        content: upload.url,
        filename: Some(upload.filename),
        filesize: Some(upload.filesize),
        ..MediaData::default()
    };
    match upload.kind {
        MediaKind::Image => Content::Image(media),
        MediaKind::Audio => Content::Audio(media),
        MediaKind::Video => Content::Video(media),
        MediaKind::File => Content::File(media),
    }
}

/// The voice-note container to record: `audio/mp4` where the browser records it (Safari, recent
/// Chromium), as Udesk's spec takes only mp4 audio; else WebM/Opus, else Ogg/Opus, else the
/// browser's default (`None`). `supported` is `MediaRecorder.isTypeSupported`.
pub fn voice_type(supported: impl Fn(&str) -> bool) -> Option<&'static str> {
    [
        "audio/mp4",
        "audio/webm;codecs=opus",
        "audio/webm",
        "audio/ogg;codecs=opus",
    ]
    .into_iter()
    .find(|t| supported(t))
}

/// The file name of a voice note recorded as `mime`.
pub fn voice_file_name(mime: &str) -> &'static str {
    if mime.starts_with("audio/mp4") {
        "voice.m4a"
    } else if mime.starts_with("audio/ogg") {
        "voice.ogg"
    } else {
        "voice.webm"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        image: Some(10 * 1024 * 1024),
        file: Some(20 * 1024 * 1024),
    };

    #[test]
    fn pictures_and_other_files_have_their_own_limits() {
        assert_eq!(check("image/png", 10 * 1024 * 1024, LIMITS), Ok(()));
        assert_eq!(
            check("image/png", 10 * 1024 * 1024 + 1, LIMITS),
            Err(Refusal::TooLarge {
                max: 10 * 1024 * 1024
            })
        );
        assert_eq!(check("application/pdf", 15 * 1024 * 1024, LIMITS), Ok(()));
        assert_eq!(
            check("", 21 * 1024 * 1024, LIMITS),
            Err(Refusal::TooLarge {
                max: 20 * 1024 * 1024
            })
        );
        assert_eq!(check("video/mp4", u64::MAX, Limits::default()), Ok(()));
    }

    #[test]
    fn empty_files_and_pictures_that_keep_their_location_are_refused() {
        assert_eq!(check("text/plain", 0, LIMITS), Err(Refusal::Empty));
        assert_eq!(
            check("image/HEIC", 5, LIMITS),
            Err(Refusal::UnsupportedPicture)
        );
        assert_eq!(check("image/jpeg", 5, LIMITS), Ok(()));
    }

    #[test]
    fn limits_come_from_the_relay_config() {
        let config = RelayConfig {
            max_image_bytes: Some(1),
            max_file_bytes: Some(2),
            ..RelayConfig::default()
        };
        assert_eq!(
            Limits::from_config(&config),
            Some(Limits {
                image: Some(1),
                file: Some(2)
            })
        );
        assert_eq!(Limits::from_config(&RelayConfig::default()), None);
        let answer =
            serde_json::json!({"simulator": true, "max_image_bytes": 5, "max_file_bytes": 9});
        assert_eq!(
            Limits::read(answer),
            Ok(Some(Limits {
                image: Some(5),
                file: Some(9)
            }))
        );
        assert_eq!(
            Limits::read(serde_json::json!({"simulator": false})),
            Ok(None)
        );
    }

    #[test]
    fn an_upload_becomes_a_message_of_its_recognised_kind() {
        let content = message_content(UploadResponse {
            url: "https://r.example/media/ab.webm".into(),
            kind: MediaKind::Audio,
            filename: "voice.webm".into(),
            filesize: "12.5K".into(),
            content_type: "audio/webm".into(),
        });
        assert_eq!(content.kind(), "audio");
        let Content::Audio(media) = content else {
            unreachable!()
        };
        assert_eq!(media.content, "https://r.example/media/ab.webm");
        assert_eq!(media.filename.as_deref(), Some("voice.webm"));
    }

    #[test]
    fn voice_notes_prefer_mp4() {
        assert_eq!(voice_type(|_| true), Some("audio/mp4"));
        assert_eq!(
            voice_type(|t| t.starts_with("audio/webm")),
            Some("audio/webm;codecs=opus")
        );
        assert_eq!(voice_type(|_| false), None);
        assert_eq!(voice_file_name("audio/mp4"), "voice.m4a");
        assert_eq!(voice_file_name("audio/webm;codecs=opus"), "voice.webm");
    }
}
