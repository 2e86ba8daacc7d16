//! What an uploaded file is, decided from its first bytes (magic numbers, through `infer`), never
//! from its name or the type the browser declared: the message kind it is sent as (image,
//! audio, video, file), the Content-Type it is served with, and whether a browser may show it
//! inline or must download it.
//!
//! The declared type and the name are used for two things only:
//! - a file that claims to be a picture (by type or extension) but whose bytes are no picture,
//!   or claims sound or video but is neither, is refused: it is a disguise (or a mistake the
//!   visitor should hear about), and an agent would otherwise open "photo.jpg" as something
//!   else;
//! - a container that holds either sound or pictures (WebM, MP4) is audio when the browser says
//!   `audio/*` (a voice note from MediaRecorder is an audio-only WebM or MP4), video otherwise.
//!
//! Neither can turn bytes of one format into another.

use udesk_protocol::relay::MediaKind;

/// How many leading bytes are enough to recognise every format below.
pub const SNIFF_BYTES: usize = 8192;

/// What a file was recognised as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sniffed {
    pub kind: MediaKind,
    /// The Content-Type it is served with.
    pub content_type: &'static str,
    /// The file-name extension of that type (the media URL ends with it).
    pub extension: &'static str,
    /// Whether browsers may show it inline: only pictures, sound and video they decode safely.
    /// Everything else (HTML, SVG, PDF, archives, unknown bytes) is served as a download.
    pub inline: bool,
}

/// Why a file is refused (answered 415).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// Pictures, sound and video browsers show inline without running anything: the sniffed MIME
/// type, what is served, the extension. Other types `infer` knows (TIFF, HEIF, AMR, FLAC, …)
/// are still accepted, as downloadable files.
const INLINE: &[(&str, MediaKind, &str, &str)] = &[
    ("image/jpeg", MediaKind::Image, "image/jpeg", "jpg"),
    ("image/png", MediaKind::Image, "image/png", "png"),
    ("image/gif", MediaKind::Image, "image/gif", "gif"),
    ("image/webp", MediaKind::Image, "image/webp", "webp"),
    ("image/bmp", MediaKind::Image, "image/bmp", "bmp"),
    ("audio/mpeg", MediaKind::Audio, "audio/mpeg", "mp3"),
    ("audio/m4a", MediaKind::Audio, "audio/mp4", "m4a"),
    ("audio/ogg", MediaKind::Audio, "audio/ogg", "ogg"),
    ("audio/opus", MediaKind::Audio, "audio/ogg", "opus"),
    ("audio/x-wav", MediaKind::Audio, "audio/wav", "wav"),
    ("audio/aac", MediaKind::Audio, "audio/aac", "aac"),
    ("audio/x-flac", MediaKind::Audio, "audio/flac", "flac"),
    ("video/mp4", MediaKind::Video, "video/mp4", "mp4"),
    ("video/x-m4v", MediaKind::Video, "video/mp4", "m4v"),
    ("video/webm", MediaKind::Video, "video/webm", "webm"),
    (
        "video/quicktime",
        MediaKind::Video,
        "video/quicktime",
        "mov",
    ),
];

/// Containers that hold sound or pictures: audio when the browser declares `audio/*`.
const AUDIO_WHEN_DECLARED: &[(&str, &str, &str)] = &[
    ("video/webm", "audio/webm", "weba"),
    ("video/mp4", "audio/mp4", "m4a"),
];

/// Picture formats that can carry EXIF (a GPS position) which the relay cannot remove without
/// decoding them: refused, so that no photo reaches an agent with its location. Browsers other
/// than Safari cannot show HEIC anyway, and Safari converts it to JPEG when a page asks for
/// `image/*`.
const LOCATION_KEEPING_PICTURES: &[&str] = &[
    "image/heif",
    "image/avif",
    "image/tiff",
    "image/x-canon-cr2",
    "image/jxl",
    "image/vnd.ms-photo",
];

/// Types never accepted: programs a visitor has no reason to send an agent.
const REFUSED_APPS: &str = "programs (executables, libraries, installers) are not accepted";

/// What a file claims to be, by its declared type or its name's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Claim {
    Picture,
    SoundOrVideo,
}

const PICTURE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "jfif", "png", "gif", "webp", "avif", "bmp", "heic", "heif", "tif", "tiff",
    "svg", "ico",
];
const SOUND_OR_VIDEO_EXTENSIONS: &[&str] = &[
    "mp3", "m4a", "wav", "ogg", "oga", "opus", "aac", "flac", "amr", "weba", "mp4", "m4v", "mov",
    "webm", "mkv", "avi", "3gp",
];

fn claim(declared: Option<&str>, filename: &str) -> Option<Claim> {
    let declared = declared.unwrap_or_default().trim().to_ascii_lowercase();
    let extension = filename
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    if declared.starts_with("image/") || PICTURE_EXTENSIONS.contains(&extension.as_str()) {
        Some(Claim::Picture)
    } else if declared.starts_with("audio/")
        || declared.starts_with("video/")
        || SOUND_OR_VIDEO_EXTENSIONS.contains(&extension.as_str())
    {
        Some(Claim::SoundOrVideo)
    } else {
        None
    }
}

/// Recognises `head` (the first [`SNIFF_BYTES`] of the file, or all of a shorter one).
/// `declared` is the part's Content-Type as the browser sent it, `filename` its name.
pub fn sniff(head: &[u8], declared: Option<&str>, filename: &str) -> Result<Sniffed, Refused> {
    if head.is_empty() {
        return Err(Refused("the file is empty".into()));
    }
    let found = detector().get(head);
    let matcher = found.map(|f| f.matcher_type());
    let is_svg = found.is_some_and(|f| f.mime_type() == "image/svg+xml");
    let what = found.map_or("not a format the relay recognises", |f| f.mime_type());
    match claim(declared, filename) {
        Some(Claim::Picture) if !(matcher == Some(infer::MatcherType::Image) || is_svg) => {
            return Err(Refused(format!(
                "the file is named or declared as a picture, but it is not one (its bytes are {what})"
            )));
        }
        Some(Claim::SoundOrVideo)
            if !matches!(
                matcher,
                Some(infer::MatcherType::Audio | infer::MatcherType::Video)
            ) =>
        {
            return Err(Refused(format!(
                "the file is named or declared as sound or video, but it is neither (its bytes are {what})"
            )));
        }
        _ => {}
    }
    let declared_audio =
        declared.is_some_and(|d| d.trim().to_ascii_lowercase().starts_with("audio/"));
    if let Some(found) = found {
        let mime = found.mime_type();
        if found.matcher_type() == infer::MatcherType::App {
            return Err(Refused(format!("{REFUSED_APPS} (this file is {mime})")));
        }
        if LOCATION_KEEPING_PICTURES.contains(&mime) {
            return Err(Refused(format!(
                "{mime} pictures can carry the place they were taken, which the relay cannot \
                 remove from them; send the picture as JPEG, PNG or WebP"
            )));
        }
        if declared_audio {
            if let Some((_, served, ext)) = AUDIO_WHEN_DECLARED.iter().find(|(m, ..)| *m == mime) {
                return Ok(Sniffed {
                    kind: MediaKind::Audio,
                    content_type: served,
                    extension: ext,
                    inline: true,
                });
            }
        }
        if let Some((_, kind, served, ext)) = INLINE.iter().find(|(m, ..)| *m == mime) {
            return Ok(Sniffed {
                kind: *kind,
                content_type: served,
                extension: ext,
                inline: true,
            });
        }
        // Known but not shown inline: a download, under its own type (a browser told to
        // download a PDF or an SVG with `nosniff` and a sandbox runs nothing of it).
        return Ok(Sniffed {
            kind: MediaKind::File,
            content_type: mime,
            extension: found.extension(),
            inline: false,
        });
    }
    // Unrecognised bytes: text when it reads as UTF-8, otherwise opaque data. Both download.
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut by the end of the sniffed bytes is still text.
        Err(e) => e.error_len().is_none() && head.len() >= SNIFF_BYTES,
    };
    Ok(if text && !head.contains(&0) {
        Sniffed {
            kind: MediaKind::File,
            content_type: "text/plain; charset=utf-8",
            extension: "txt",
            inline: false,
        }
    } else {
        Sniffed {
            kind: MediaKind::File,
            content_type: "application/octet-stream",
            extension: "bin",
            inline: false,
        }
    })
}

/// `infer`'s detector with SVG added (it knows XML and HTML, not an `<svg>` without an XML
/// declaration). Both are served as downloads either way; the type only names them right.
fn detector() -> &'static infer::Infer {
    static DETECTOR: std::sync::OnceLock<infer::Infer> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| {
        let mut detector = infer::Infer::new();
        detector.add("image/svg+xml", "svg", is_svg);
        detector
    })
}

/// Markup whose first element (after an XML declaration, comments or a doctype) is `<svg`.
fn is_svg(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&buf[..buf.len().min(1024)]).to_ascii_lowercase();
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if rest.starts_with("<svg") {
            return true;
        }
        let skip = if rest.starts_with("<?") {
            rest.find("?>").map(|i| i + 2)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else if rest.starts_with("<!") {
            rest.find('>').map(|i| i + 1)
        } else {
            None
        };
        match skip {
            Some(i) => rest = rest[i..].trim_start(),
            None => return false,
        }
    }
}

/// A size the way Udesk writes it in `filesize`: `"512B"`, `"12.5K"`, `"4.3M"`, `"1.2G"`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "K", "M", "G"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}B")
    } else {
        let shown = format!("{value:.1}");
        format!("{}{}", shown.trim_end_matches(".0"), UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0";

    #[test]
    fn the_bytes_decide_not_the_declared_type() {
        let png = sniff(PNG, Some("application/pdf"), "report.pdf").unwrap();
        assert_eq!(
            (png.kind, png.content_type, png.inline),
            (MediaKind::Image, "image/png", true)
        );
        assert_eq!(sniff(JPEG, None, "").unwrap().extension, "jpg");
        let text = sniff(b"notes, not a picture", Some("text/plain"), "notes.txt").unwrap();
        assert_eq!((text.kind, text.inline), (MediaKind::File, false));
        assert_eq!(text.content_type, "text/plain; charset=utf-8");
        let binary = sniff(&[0, 1, 2, 3, 250, 251], None, "data").unwrap();
        assert_eq!(binary.content_type, "application/octet-stream");
        assert!(sniff(b"", None, "a.txt").is_err());
    }

    #[test]
    fn a_disguise_is_refused() {
        let zip = b"PK\x03\x04\x14\0\0\0\x08\0";
        for (declared, name) in [
            (Some("image/jpeg"), "x.bin"),
            (None, "holiday.JPG"),
            (Some("application/octet-stream"), "cat.png"),
        ] {
            let refused = sniff(zip, declared, name).unwrap_err();
            assert!(refused.0.contains("application/zip"), "{refused:?}");
        }
        assert!(sniff(b"plain text", Some("audio/mpeg"), "song.mp3").is_err());
        assert!(sniff(PNG, Some("video/mp4"), "clip.mp4").is_err());
        // The same zip under its own name is a file.
        assert_eq!(
            sniff(zip, Some("application/zip"), "photos.zip")
                .unwrap()
                .kind,
            MediaKind::File
        );
    }

    #[test]
    fn markup_and_documents_are_downloads() {
        for (bytes, ty) in [
            (
                &b"<!DOCTYPE html><html><script>alert(1)</script>"[..],
                "text/html",
            ),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
                "image/svg+xml",
            ),
            (
                b"<?xml version='1.0'?>\n<!-- x -->\n<svg onload='alert(1)'/>",
                "image/svg+xml",
            ),
            (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
            (b"PK\x03\x04\x14\0\0\0\x08\0", "application/zip"),
        ] {
            let s = sniff(bytes, None, "download").unwrap();
            assert_eq!(
                (s.kind, s.content_type, s.inline),
                (MediaKind::File, ty, false)
            );
        }
    }

    #[test]
    fn pictures_whose_location_cannot_be_removed_are_refused() {
        let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        heic.resize(64, 0);
        let refused = sniff(&heic, Some("image/heic"), "IMG_0001.HEIC").unwrap_err();
        assert!(
            refused.0.contains("image/heif") && refused.0.contains("JPEG"),
            "{refused:?}"
        );
        let tiff = b"II*\0\x08\0\0\0\0\0\0\0\0\0\0\0";
        assert!(sniff(tiff, None, "scan.tif").is_err());
    }

    #[test]
    fn programs_are_refused() {
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0".to_vec();
        elf.resize(64, 0);
        assert!(sniff(&elf, None, "tool")
            .unwrap_err()
            .0
            .contains("programs"));
        assert!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0\0\0", None, "setup.exe").is_err());
    }

    #[test]
    fn a_declared_voice_note_in_a_video_container_is_audio() {
        let mut webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04".to_vec();
        // The EBML header is followed by the segment (the detector wants more than 256 bytes).
        webm.resize(512, 0);
        let webm = webm.as_slice();
        let video = sniff(webm, Some("video/webm"), "clip.webm").unwrap();
        assert_eq!(
            (video.kind, video.content_type),
            (MediaKind::Video, "video/webm")
        );
        let voice = sniff(webm, Some("audio/webm;codecs=opus"), "voice.webm").unwrap();
        assert_eq!(
            (voice.kind, voice.content_type),
            (MediaKind::Audio, "audio/webm")
        );
        // Without a claim, the container's default.
        assert_eq!(sniff(webm, None, "").unwrap().kind, MediaKind::Video);
    }

    #[test]
    fn sizes_read_like_udesk_writes_them() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1023), "1023B");
        assert_eq!(human_size(1024), "1K");
        assert_eq!(human_size(12_800), "12.5K");
        assert_eq!(human_size(4_509_000), "4.3M");
        assert_eq!(human_size(10 * 1024 * 1024), "10M");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3G");
    }
}
