//! Visitor uploads through the real relay, on its disk store and on a real S3-compatible server
//! (moto, started on a free loopback port): what a visitor and an agent see of a picture, a
//! voice note, a video and a document, and every bad upload refused with nothing stored.

mod common;

use bytes::Bytes;
use common::{error_body, TestRelay};
use futures_util::StreamExt;
use img_parts::jpeg::Jpeg;
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::ImageEXIF;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use udesk_protocol::relay::{MediaKind, UploadResponse};
use udesk_protocol::session::CreateSessionResponse;
use udesk_relay::media::kind::human_size;
use udesk_sim::SimConfig;

const PHOTO_JPG: &[u8] = include_bytes!("fixtures/photo.jpg");
const PHOTO_PNG: &[u8] = include_bytes!("fixtures/photo.png");
const PHOTO_WEBP: &[u8] = include_bytes!("fixtures/photo.webp");
const CHIME_WAV: &[u8] = include_bytes!("fixtures/chime.wav");
const BOUNDARY: &str = "udesk-test-boundary-7d3f";

#[derive(Clone, Copy, Debug)]
enum Backend {
    Disk,
    S3,
}

/// A relay whose media store is on `backend`, with a fast simulator.
async fn relay(backend: Backend, extra: &[&str]) -> TestRelay {
    let store = match backend {
        Backend::Disk => None,
        Backend::S3 => Some(common::s3::server().bucket().await),
    };
    let mut args: Vec<&str> = extra.to_vec();
    if let Some(store) = &store {
        args.extend(["--media-store", store]);
    }
    common::start_with_sim(SimConfig::for_tests(), &args).await
}

/// A multipart body with one `file` part.
fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

async fn upload_as(
    t: &TestRelay,
    token: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> reqwest::Response {
    t.client
        .post(t.url("/v1/uploads"))
        .bearer_auth(token)
        .header("content-type", multipart_type())
        .body(multipart(filename, content_type, bytes))
        .send()
        .await
        .unwrap()
}

/// Uploads and expects 201; returns the answer.
async fn upload_ok(
    t: &TestRelay,
    token: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> UploadResponse {
    let r = upload_as(t, token, filename, content_type, bytes).await;
    assert_eq!(r.status(), 201, "{filename}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// How many objects (files and records) the media store holds, and the staging files left.
async fn stored(t: &TestRelay) -> (usize, usize) {
    let objects = t.relay.state().uploads.store.objects();
    let count = objects.list(None).count().await;
    let staging = std::fs::read_dir(t.dir.path().join("uploads-staging"))
        .unwrap()
        .count();
    (count, staging)
}

async fn assert_nothing_stored(t: &TestRelay, what: &str) {
    assert_eq!(stored(t).await, (0, 0), "{what}: something was kept");
}

async fn fetch(t: &TestRelay, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = t.client.get(url);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn has(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn exif_tags(exif: Option<Bytes>) -> Vec<exif::Tag> {
    exif.map(|e| {
        exif::Reader::new()
            .read_raw(e.to_vec())
            .unwrap()
            .fields()
            .map(|f| f.tag)
            .collect()
    })
    .unwrap_or_default()
}

#[tokio::test]
async fn photos_arrive_without_their_location_on_disk_and_on_s3() {
    for backend in [Backend::Disk, Backend::S3] {
        let t = relay(
            backend,
            &["--public-url", "https://chat.shop.example/relay/"],
        )
        .await;
        let v = t.visitor().await;
        for (name, declared, bytes, content_type) in [
            ("IMG_0001.JPG", "image/jpeg", PHOTO_JPG, "image/jpeg"),
            ("screen shot.png", "image/png", PHOTO_PNG, "image/png"),
            // The declared type is wrong: the bytes decide.
            (
                "photo.webp",
                "application/octet-stream",
                PHOTO_WEBP,
                "image/webp",
            ),
        ] {
            assert!(has(bytes, b"PhoneMaker"), "the fixture carries EXIF");
            let answer = upload_ok(&t, &v.token, name, declared, bytes).await;
            assert_eq!(answer.kind, MediaKind::Image, "{backend:?} {name}");
            assert_eq!(answer.content_type, content_type);
            assert_eq!(answer.filename, name);
            assert!(answer.filesize.ends_with('B') || answer.filesize.ends_with('K'));
            // Absolute, under the public URL, 128 bits of id and the type's extension.
            let path = answer
                .url
                .strip_prefix("https://chat.shop.example/relay/media/")
                .unwrap_or_else(|| panic!("{}", answer.url));
            let (id, ext) = path.split_once('.').unwrap();
            assert_eq!(id.len(), 32, "{id}");
            assert_eq!(
                ext,
                content_type
                    .trim_start_matches("image/")
                    .replace("jpeg", "jpg")
            );

            let r = fetch(&t, &t.url(&format!("/media/{path}")), None).await;
            assert_eq!(r.status(), 200);
            assert_eq!(header(&r, "content-type"), content_type);
            assert_eq!(header(&r, "x-content-type-options"), "nosniff");
            assert_eq!(header(&r, "content-security-policy"), "sandbox");
            assert!(header(&r, "content-disposition").starts_with("inline;"));
            assert!(header(&r, "cache-control").contains("max-age=31536000"));
            let served = r.bytes().await.unwrap();
            assert!(
                !has(&served, b"PhoneMaker"),
                "{backend:?} {name}: camera kept"
            );
            let exif = match content_type {
                "image/jpeg" => Jpeg::from_bytes(served.clone()).unwrap().exif(),
                "image/png" => Png::from_bytes(served.clone()).unwrap().exif(),
                _ => WebP::from_bytes(served.clone()).unwrap().exif(),
            };
            // Only the orientation is left: the portrait photo still stands upright.
            assert_eq!(
                exif_tags(exif),
                vec![exif::Tag::Orientation],
                "{backend:?} {name}"
            );
            assert!(served.len() < bytes.len());
            assert_eq!(answer.filesize, human_size(served.len() as u64));
        }
        t.relay.shutdown().await;
    }
}

#[tokio::test]
async fn voice_notes_and_videos_play_and_seek_on_disk_and_on_s3() {
    for backend in [Backend::Disk, Backend::S3] {
        let t = relay(backend, &[]).await;
        let v = t.visitor().await;
        let voice = upload_ok(&t, &v.token, "voice.wav", "audio/wav", CHIME_WAV).await;
        assert_eq!(
            (voice.kind, voice.content_type.as_str()),
            (MediaKind::Audio, "audio/wav")
        );
        assert!(
            voice.url.starts_with(&format!("{}/media/", t.base)),
            "{}",
            voice.url
        );

        let whole = fetch(&t, &voice.url, None).await;
        assert_eq!(whole.status(), 200);
        assert_eq!(header(&whole, "accept-ranges"), "bytes");
        assert_eq!(whole.bytes().await.unwrap(), CHIME_WAV);

        let total = CHIME_WAV.len();
        for (range, start, end) in [
            ("bytes=100-199", 100, 199),
            ("bytes=7000-", 7000, total - 1),
            ("bytes=-10", total - 10, total - 1),
        ] {
            let r = fetch(&t, &voice.url, Some(range)).await;
            assert_eq!(r.status(), 206, "{backend:?} {range}");
            assert_eq!(
                header(&r, "content-range"),
                format!("bytes {start}-{end}/{total}")
            );
            assert_eq!(header(&r, "content-type"), "audio/wav");
            assert_eq!(&r.bytes().await.unwrap()[..], &CHIME_WAV[start..=end]);
        }
        let r = fetch(&t, &voice.url, Some("bytes=99999-")).await;
        assert_eq!(r.status(), 416);
        assert_eq!(header(&r, "content-range"), format!("bytes */{total}"));

        // A MediaRecorder voice note (WebM) is audio when the browser says so, video otherwise.
        let mut webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm\x42\x87\x81\x04".to_vec();
        webm.resize(4096, 0x42);
        let note = upload_ok(&t, &v.token, "blob", "audio/webm;codecs=opus", &webm).await;
        assert_eq!(
            (note.kind, note.content_type.as_str()),
            (MediaKind::Audio, "audio/webm")
        );
        assert_eq!(note.filename, "blob");
        let clip = upload_ok(&t, &v.token, "clip.webm", "video/webm", &webm).await;
        assert_eq!(
            (clip.kind, clip.content_type.as_str()),
            (MediaKind::Video, "video/webm")
        );
        let r = fetch(&t, &clip.url, Some("bytes=0-3")).await;
        assert_eq!(r.status(), 206);
        assert_eq!(&r.bytes().await.unwrap()[..], b"\x1a\x45\xdf\xa3");
        t.relay.shutdown().await;
    }
}

#[tokio::test]
async fn html_svg_and_documents_are_only_ever_downloads() {
    let t = relay(Backend::Disk, &[]).await;
    let v = t.visitor().await;
    for (name, bytes, content_type) in [
        (
            "page.html",
            &b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script>"[..],
            "text/html",
        ),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><circle r=\"4\"/></svg>",
            "image/svg+xml",
        ),
        (
            "invoice.pdf",
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
            "application/pdf",
        ),
        ("notes.txt", b"order 1234: the lid is cracked", "text/plain; charset=utf-8"),
    ] {
        let answer = upload_ok(&t, &v.token, name, "text/plain", bytes).await;
        assert_eq!(answer.kind, MediaKind::File, "{name}");
        assert_eq!(answer.content_type, content_type, "{name}");
        let r = fetch(&t, &answer.url, None).await;
        assert_eq!(header(&r, "content-type"), content_type, "{name}");
        assert_eq!(
            header(&r, "content-disposition"),
            format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}")
        );
        assert_eq!(header(&r, "content-security-policy"), "sandbox");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(&r.bytes().await.unwrap()[..], bytes, "{name}: files are kept as sent");
    }
}

#[tokio::test]
async fn refused_kinds_and_disguises_are_415_with_the_reason_and_nothing_stored() {
    let t = relay(Backend::Disk, &[]).await;
    let v = t.visitor().await;
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0".to_vec();
    elf.resize(4096, 0);
    let zip = b"PK\x03\x04\x14\0\0\0\x08\0\x21\0some compressed bytes".to_vec();
    let html = b"<html><body><script>steal()</script>".to_vec();
    let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    heic.resize(4096, 0);
    for (name, declared, bytes, reason) in [
        ("tool", "application/octet-stream", &elf, "programs"),
        ("holiday.jpg", "image/jpeg", &zip, "application/zip"),
        ("cat.png", "image/png", &html, "text/html"),
        ("song.mp3", "audio/mpeg", &html, "neither"),
        ("empty.txt", "text/plain", &Vec::new(), "empty"),
        // An iPhone photo in HEIC: its location could not be removed.
        ("IMG_0001.HEIC", "image/heic", &heic, "JPEG, PNG or WebP"),
    ] {
        let (status, error, message) =
            error_body(upload_as(&t, &v.token, name, declared, bytes).await).await;
        assert_eq!(
            (status, error.as_str()),
            (415, "unsupported_media_type"),
            "{name}"
        );
        assert!(message.contains(reason), "{name}: {message}");
    }
    assert_nothing_stored(&t, "refused kinds").await;
    assert_eq!(
        t.metric("udesk_relay_uploads_total{outcome=\"refused\"}")
            .await,
        6
    );
}

#[tokio::test]
async fn malformed_and_truncated_bodies_are_400_and_nothing_stored() {
    let t = relay(Backend::Disk, &[]).await;
    let v = t.visitor().await;
    let full = multipart("photo.jpg", "image/jpeg", PHOTO_JPG);

    // Cut inside the file: the body ends (Content-Length says so) before the closing boundary.
    let cut = full[..full.len() / 2].to_vec();
    // Complete file part, but no closing boundary.
    let unclosed = full[..full.len() - format!("--{BOUNDARY}--\r\n").len()].to_vec();
    for (what, body, content_type) in [
        ("cut inside the file", cut, multipart_type()),
        ("no closing boundary", unclosed, multipart_type()),
        (
            "not multipart",
            b"{\"file\": 1}".to_vec(),
            "application/json".into(),
        ),
        (
            "no file part",
            {
                let mut b = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--{BOUNDARY}--\r\n").into_bytes();
                b.shrink_to_fit();
                b
            },
            multipart_type(),
        ),
    ] {
        let r = t
            .client
            .post(t.url("/v1/uploads"))
            .bearer_auth(&v.token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, error, message) = error_body(r).await;
        assert_eq!(
            (status, error.as_str()),
            (400, "bad_request"),
            "{what}: {message}"
        );
    }
    // Two files in one upload.
    let mut two = multipart("a.jpg", "image/jpeg", PHOTO_JPG);
    two.truncate(two.len() - format!("--{BOUNDARY}--\r\n").len());
    two.extend_from_slice(&multipart("b.jpg", "image/jpeg", PHOTO_JPG));
    let r = t
        .client
        .post(t.url("/v1/uploads"))
        .bearer_auth(&v.token)
        .header("content-type", multipart_type())
        .body(two)
        .send()
        .await
        .unwrap();
    let (status, _, message) = error_body(r).await;
    assert_eq!(status, 400, "{message}");
    assert!(message.contains("one file"), "{message}");
    assert_nothing_stored(&t, "malformed bodies").await;
}

#[tokio::test]
async fn uploads_need_a_valid_token() {
    let t = relay(Backend::Disk, &[]).await;
    let body = multipart("photo.jpg", "image/jpeg", PHOTO_JPG);
    for token in [None, Some("forged.token"), Some("")] {
        let mut request = t
            .client
            .post(t.url("/v1/uploads"))
            .header("content-type", multipart_type())
            .body(body.clone());
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let (status, error, _) = error_body(request.send().await.unwrap()).await;
        assert_eq!((status, error.as_str()), (401, "unauthorized"), "{token:?}");
    }
    assert_nothing_stored(&t, "uploads without a token").await;
}

/// Asks for an agent (the fast simulator assigns one at once) and returns the session.
async fn agent_session(t: &TestRelay, token: &str) -> u64 {
    let r = t
        .post_as(token, "/v1/sessions", json!({"assign_type": "agent"}))
        .await;
    assert_eq!(r.status(), 200);
    let answer: CreateSessionResponse = r.json().await.unwrap();
    answer.im_sub_session_id().expect("an agent at once")
}

#[tokio::test]
async fn a_visitor_sends_only_their_own_uploads_to_the_agent() {
    let t = relay(Backend::Disk, &[]).await;
    let (alice, mallory) = (t.visitor().await, t.visitor().await);
    let session = agent_session(&t, &alice.token).await;
    let photo = upload_ok(&t, &alice.token, "parcel.jpg", "image/jpeg", PHOTO_JPG).await;
    let doc = upload_ok(
        &t,
        &alice.token,
        "receipt.pdf",
        "application/pdf",
        b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF",
    )
    .await;
    let send = |token: String, kind: &'static str, data: Value, session: Option<u64>| {
        let t = &t;
        async move {
            let mut body = json!({"type": kind, "data": data});
            if let Some(s) = session {
                body["im_sub_session_id"] = json!(s);
            }
            t.post_as(&token, "/v1/messages", body).await
        }
    };

    // Alice's own picture and document go to her agent as the spec has them: the picture's URL
    // alone, the document with the relay's name and size, whatever she says.
    for (kind, url) in [("image", &photo.url), ("file", &doc.url)] {
        let data = json!({"content": url, "filename": "x.exe", "filesize": "999G"});
        let r = send(alice.token.clone(), kind, data, Some(session)).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let transcripts = t
        .sim_get(&format!(
            "/admin/transcripts?customer_token={}",
            alice.customer_token
        ))
        .await;
    let sent = |kind: &str| {
        transcripts[&alice.customer_token]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("the agent has no {kind}"))["data"]
            .clone()
    };
    assert_eq!(sent("image"), json!({"content": photo.url}));
    assert_eq!(
        sent("file"),
        json!({"content": doc.url, "filename": "receipt.pdf", "filesize": doc.filesize})
    );

    // Mallory cannot send Alice's file, and nobody can send a URL that is not the relay's.
    let mallory_session = agent_session(&t, &mallory.token).await;
    let (status, error, _) = error_body(
        send(
            mallory.token.clone(),
            "image",
            json!({"content": photo.url}),
            Some(mallory_session),
        )
        .await,
    )
    .await;
    assert_eq!((status, error.as_str()), (403, "forbidden"));
    for url in [
        "https://evil.example/tracker.png".to_owned(),
        format!("{}/media/../../v1/visitor", t.base),
        format!("{}/media/{}.png", t.base, "0".repeat(32)),
        format!("{}/widget/embed.js", t.base),
    ] {
        for kind in ["image", "audio", "video", "file"] {
            let (status, error, message) = error_body(
                send(
                    alice.token.clone(),
                    kind,
                    json!({"content": url}),
                    Some(session),
                )
                .await,
            )
            .await;
            assert_eq!(
                (status, error.as_str()),
                (400, "bad_request"),
                "{kind} {url}"
            );
            assert!(message.starts_with("data.content"), "{message}");
        }
    }
    // A document is sent as a file, never shown as a picture.
    let (status, _, message) = error_body(
        send(
            alice.token.clone(),
            "image",
            json!({"content": doc.url}),
            Some(session),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(message.contains("`file`"), "{message}");
}

#[tokio::test]
async fn the_robot_answers_a_picture() {
    let t = relay(Backend::Disk, &[]).await;
    let v = t.visitor().await;
    let r = t.post_as(&v.token, "/v1/sessions", json!({})).await;
    assert_eq!(r.status(), 200);
    let mut stream = t.stream(&v.token, common::Resume::Fresh).await;
    // The robot's welcome, if it sends one, comes first.
    while stream
        .next_within(Duration::from_millis(300))
        .await
        .is_some()
    {}
    let photo = upload_ok(&t, &v.token, "parcel.jpg", "image/jpeg", PHOTO_JPG).await;
    let r = t
        .post_as(
            &v.token,
            "/v1/messages",
            json!({"type": "image", "data": {"content": photo.url}}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let reply = stream.message().await;
    assert_eq!(
        reply.assign_type,
        udesk_protocol::session::AssignType::Robot
    );
    let text = serde_json::to_string(&reply.message.content.data()).unwrap();
    assert!(text.contains("picture") || text.contains("图片"), "{text}");
}

#[tokio::test]
async fn uploads_are_limited_per_visitor() {
    let t = relay(
        Backend::Disk,
        &["--upload-rate-per-minute", "1", "--upload-burst", "2"],
    )
    .await;
    let (a, b) = (t.visitor().await, t.visitor().await);
    upload_ok(&t, &a.token, "1.jpg", "image/jpeg", PHOTO_JPG).await;
    upload_ok(&t, &a.token, "2.jpg", "image/jpeg", PHOTO_JPG).await;
    let r = upload_as(&t, &a.token, "3.jpg", "image/jpeg", PHOTO_JPG).await;
    assert!(r.headers().contains_key("retry-after"));
    let (status, error, _) = error_body(r).await;
    assert_eq!((status, error.as_str()), (429, "rate_limited"));
    upload_ok(&t, &b.token, "1.jpg", "image/jpeg", PHOTO_JPG).await;
    assert_eq!(
        t.metric("udesk_relay_rate_limited_total{limit=\"upload\"}")
            .await,
        1
    );
}

/// Resident memory of this process (the relay runs in it), in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// Sends a request head announcing `length` bytes, then body bytes for as long as the relay
/// takes them; returns the answer's head (or what the closed connection gave) and how many
/// body bytes went out.
async fn push_until_cut(
    t: &TestRelay,
    token: &str,
    length: u64,
    declared_type: &str,
) -> (String, u64) {
    let mut socket = TcpStream::connect(t.relay.addr).await.unwrap();
    let head = format!(
        "POST /v1/uploads HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {}\r\nContent-Length: {length}\r\n\r\n",
        t.relay.addr,
        multipart_type()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n\
         Content-Type: {declared_type}\r\n\r\n"
    );
    let (mut reader, mut writer) = socket.into_split();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let writing = tokio::spawn(async move {
        if writer.write_all(part.as_bytes()).await.is_err() {
            return;
        }
        let mut chunk = PHOTO_JPG[..PHOTO_JPG.len() - 2].to_vec();
        chunk.resize(64 * 1024, 0x5a);
        let mut first = true;
        while counter.load(Ordering::Relaxed) < length {
            let piece = if first { &chunk[..] } else { &chunk[64..] };
            first = false;
            if writer.write_all(piece).await.is_err() {
                return;
            }
            counter.fetch_add(piece.len() as u64, Ordering::Relaxed);
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the relay kept the connection open");
    writing.abort();
    (
        String::from_utf8_lossy(&answer).into_owned(),
        sent.load(Ordering::Relaxed),
    )
}

#[tokio::test]
async fn oversized_uploads_are_cut_early_with_memory_flat() {
    const HUNDRED_MB: u64 = 100 * 1024 * 1024;
    let t = relay(
        Backend::Disk,
        &[
            "--upload-max-image-bytes",
            "1048576",
            "--upload-max-file-bytes",
            "67108864",
            "--upload-rate-per-minute",
            "0",
        ],
    )
    .await;
    let v = t.visitor().await;

    // Announced too large: refused from the head alone, before any body byte is read.
    let (answer, _) = push_until_cut(&t, &v.token, HUNDRED_MB, "image/jpeg").await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"error\":\"payload_too_large\""),
        "{answer}"
    );

    // Announced within the body limit (64 MiB + framing), but a picture over its 1 MiB: cut as
    // soon as the picture passes 1 MiB (what was sent beyond that sits in socket buffers).
    let (answer, sent) = push_until_cut(&t, &v.token, 60 * 1024 * 1024, "image/jpeg").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 413"),
        "{answer}"
    );
    if !answer.is_empty() {
        assert!(answer.contains("pictures may be at most 1M"), "{answer}");
    }
    assert!(
        sent < 16 * 1024 * 1024,
        "the body was read far past the limit: {sent}"
    );

    t.relay.shutdown().await;

    // Twenty uploads of 100 MB without a declared length (chunked), five at a time, to a relay
    // taking files of up to 4 MiB: each is cut shortly after its limit, and the relay's memory
    // stays flat (the part before the cut streams to a staging file, then is removed).
    let t = relay(
        Backend::Disk,
        &[
            "--upload-max-file-bytes",
            "4194304",
            "--upload-rate-per-minute",
            "0",
        ],
    )
    .await;
    let v = t.visitor().await;
    let before = rss();
    let mut taken = Vec::new();
    for _round in 0..4 {
        let mut uploads = Vec::new();
        for _ in 0..5 {
            let client = t.client.clone();
            let url = t.url("/v1/uploads");
            let token = v.token.clone();
            uploads.push(tokio::spawn(async move {
                let pulled = Arc::new(AtomicU64::new(0));
                let counter = pulled.clone();
                let head = format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.wav\"\r\n\
                     Content-Type: audio/wav\r\n\r\n"
                );
                let mut first = CHIME_WAV.to_vec();
                first.resize(256 * 1024, 0);
                let rest = Bytes::from(vec![0u8; 256 * 1024]);
                let chunks = futures_util::stream::iter(
                    std::iter::once(Bytes::from(head))
                        .chain(std::iter::once(Bytes::from(first)))
                        .chain(std::iter::repeat_n(rest, 400 - 1)),
                )
                .map(move |c| {
                    counter.fetch_add(c.len() as u64, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(c)
                });
                let result = client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", multipart_type())
                    .body(reqwest::Body::wrap_stream(chunks))
                    .send()
                    .await;
                if let Ok(r) = result {
                    assert_eq!(r.status(), 413);
                }
                pulled.load(Ordering::Relaxed)
            }));
        }
        for upload in uploads {
            taken.push(upload.await.unwrap());
        }
    }
    let after = rss();
    for pulled in &taken {
        assert!(
            *pulled < 20 * 1024 * 1024,
            "read far past the limit: {pulled} bytes"
        );
    }
    let growth = after.saturating_sub(before);
    eprintln!(
        "20 chunked uploads of 100 MB refused: at most {} bytes taken each, RSS {} → {} MB (+{} MB)",
        taken.iter().max().unwrap(),
        before / 1_048_576,
        after / 1_048_576,
        growth / 1_048_576
    );
    assert!(growth < 64 * 1024 * 1024, "memory grew by {growth} bytes");
    assert_nothing_stored(&t, "oversized uploads").await;
}

#[tokio::test]
async fn a_stalled_upload_times_out_and_its_partial_file_is_removed() {
    let t = relay(Backend::Disk, &["--upload-idle-timeout-ms", "800"]).await;
    let v = t.visitor().await;
    let mut socket = TcpStream::connect(t.relay.addr).await.unwrap();
    let mut wav = CHIME_WAV.to_vec();
    wav.resize(64 * 1024, 0);
    let part = multipart("clip.wav", "audio/wav", &wav);
    let head = format!(
        "POST /v1/uploads HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: {}\r\nContent-Length: {}\r\n\r\n",
        t.relay.addr,
        v.token,
        multipart_type(),
        part.len() + 1_000_000,
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    // More than the sniffed head, so that the partial file exists; then nothing more.
    socket.write_all(&part[..part.len() - 100]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stored(&t).await, (0, 1), "the arriving upload is staged");

    let mut answer = Vec::new();
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer))
        .await
        .expect("the relay gave up on the stalled upload")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_nothing_stored(&t, "a stalled upload").await;
}

#[tokio::test]
async fn files_are_kept_while_their_customers_history_is_on_disk_and_on_s3() {
    for backend in [Backend::Disk, Backend::S3] {
        let t = relay(backend, &[]).await;
        let (kept, gone) = (t.visitor().await, t.visitor().await);
        let kept_file = upload_ok(&t, &kept.token, "a.jpg", "image/jpeg", PHOTO_JPG).await;
        let gone_file = upload_ok(&t, &gone.token, "b.wav", "audio/wav", CHIME_WAV).await;
        // The first customer still has a conversation the relay keeps; the second has none.
        assert_eq!(
            t.push(&common::agent_push(&kept.customer_token, &["m1"]))
                .await,
            200
        );

        let state = t.relay.state();
        // Retention of zero: every file is old enough to go, unless its history is kept.
        let deleted = udesk_relay::media::prune(&state.uploads.store, &state.store, 0)
            .await
            .unwrap();
        assert_eq!(deleted, 1, "{backend:?}");
        assert_eq!(
            fetch(&t, &kept_file.url, None).await.status(),
            200,
            "{backend:?}"
        );
        let r = fetch(&t, &gone_file.url, None).await;
        let (status, error, _) = error_body(r).await;
        assert_eq!((status, error.as_str()), (404, "not_found"), "{backend:?}");
        // Its bytes are gone too, not only its record.
        assert_eq!(
            stored(&t).await.0,
            2,
            "{backend:?}: one file and one record left"
        );
        t.relay.shutdown().await;
    }
}

#[tokio::test]
async fn unknown_and_malformed_media_ids_are_404() {
    let t = relay(Backend::Disk, &[]).await;
    for path in [
        format!("/media/{}", "0".repeat(32)),
        format!("/media/{}.png", "a".repeat(32)),
        "/media/..%2Frelay.sqlite3".to_owned(),
        "/media/secrets.json".to_owned(),
    ] {
        let (status, error, _) = error_body(fetch(&t, &t.url(&path), None).await).await;
        assert_eq!((status, error.as_str()), (404, "not_found"), "{path}");
    }
}

#[tokio::test]
async fn the_config_tells_the_widget_the_limits() {
    let t = relay(Backend::Disk, &["--upload-max-image-bytes", "5000000"]).await;
    let config: Value = t
        .client
        .get(t.url("/v1/config"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["max_image_bytes"], json!(5_000_000));
    assert_eq!(config["max_file_bytes"], json!(20 * 1024 * 1024));
}

#[tokio::test]
async fn a_slow_but_steady_upload_outlasts_the_body_timeout_of_other_calls() {
    // Other bodies must arrive within 300 ms here; an upload that keeps sending may take longer.
    let t = relay(
        Backend::Disk,
        &[
            "--body-timeout-ms",
            "300",
            "--upload-idle-timeout-ms",
            "2000",
        ],
    )
    .await;
    let v = t.visitor().await;
    let body = multipart("slow.wav", "audio/wav", CHIME_WAV);
    let pieces: Vec<Bytes> = body.chunks(1024).map(Bytes::copy_from_slice).collect();
    let slow = futures_util::stream::iter(pieces).then(|piece| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, std::io::Error>(piece)
    });
    let started = std::time::Instant::now();
    let r = t
        .client
        .post(t.url("/v1/uploads"))
        .bearer_auth(&v.token)
        .header("content-type", multipart_type())
        .body(reqwest::Body::wrap_stream(slow))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() > Duration::from_millis(600));
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}
