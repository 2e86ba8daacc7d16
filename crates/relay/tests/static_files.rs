//! Serving the built widget: the demo page at `/`, the stable loader and manifest revalidated on
//! every load, hashed files cached for good, everything compressed; plus health and metrics.

mod common;

use std::time::Duration;

#[tokio::test]
async fn the_widget_is_served_with_the_right_cache_headers_and_compressed() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("widget");
    std::fs::create_dir_all(&widget).unwrap();
    let js = format!(
        "/* loader */ {}",
        "console.log('udesk-chat');\n".repeat(200)
    );
    std::fs::write(widget.join("embed.js"), &js).unwrap();
    std::fs::write(
        widget.join("manifest.json"),
        r#"{"js":"udesk-widget-3f2a.js"}"#,
    )
    .unwrap();
    std::fs::write(widget.join("udesk-widget-3f2a.js"), &js).unwrap();
    std::fs::write(
        widget.join("demo.html"),
        "<!doctype html><title>demo</title><script src=\"/widget/embed.js\" async></script>",
    )
    .unwrap();
    let t = common::start_in(dir, &[]).await;
    // reqwest here has no decompression: what it gets is what went over the wire.
    let get = |path: &str, encoding: Option<&str>| {
        let mut request = t.client.get(t.url(path));
        if let Some(e) = encoding {
            request = request.header("accept-encoding", e);
        }
        request.send()
    };

    let page = get("/", None).await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.text().await.unwrap().contains("/widget/embed.js"));

    for stable in ["/widget/embed.js", "/widget/manifest.json"] {
        let r = get(stable, None).await.unwrap();
        assert_eq!(r.status(), 200, "{stable}");
        assert_eq!(r.headers()["cache-control"], "no-cache", "{stable}");
    }
    let hashed = get("/widget/udesk-widget-3f2a.js", Some("gzip"))
        .await
        .unwrap();
    assert_eq!(hashed.status(), 200);
    assert_eq!(
        hashed.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(hashed.headers()["content-encoding"], "gzip");
    assert!(
        hashed.bytes().await.unwrap().len() < js.len() / 4,
        "gzip shrinks it"
    );

    let loader = get("/widget/embed.js", Some("br")).await.unwrap();
    assert_eq!(loader.headers()["content-encoding"], "br");

    let missing = get("/widget/nope.js", None).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(
        missing.headers().get("cache-control").is_none(),
        "a 404 is not cached for good"
    );
}

#[tokio::test]
async fn without_a_built_widget_the_front_page_says_how_to_build_it() {
    let t = common::start(&[]).await;
    let page = t.client.get(t.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 404);
    assert!(page.text().await.unwrap().contains("trunk build"));
}

#[tokio::test]
async fn health_and_metrics_answer() {
    let t = common::start(&[]).await;
    let health = t.client.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let v = t.visitor().await;
    let mut stream = t.stream(&v.token, common::Resume::Fresh).await;
    t.push(&common::agent_push(&v.customer_token, &["m1"]))
        .await;
    stream.message().await;
    let metrics = t.client.get(t.url("/metrics")).send().await.unwrap();
    assert!(metrics.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    for line in [
        "udesk_relay_streams_open 1",
        "udesk_relay_events_in_total 1",
        "udesk_relay_events_out_total 1",
        "udesk_relay_webhooks_total{outcome=\"stored\"} 1",
        "udesk_relay_webhook_seconds_count 1",
    ] {
        assert!(text.contains(line), "missing {line}:\n{text}");
    }
    drop(stream);
    // The stream's end is noticed and counted.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = t.metrics().await;
        if text.contains("udesk_relay_streams_open 0") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "stream still counted open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn nothing_outside_the_widget_directory_is_served_nor_sniffed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("widget")).unwrap();
    std::fs::write(dir.path().join("widget/embed.js"), "ok").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "TOP-SECRET").unwrap();
    let t = common::start_in(dir, &[]).await;
    // Raw requests: HTTP clients would normalise `..` and `%2e%2e` away before sending.
    for path in [
        "/widget/../secret.txt",
        "/widget/%2e%2e/secret.txt",
        "/widget/..%2fsecret.txt",
        "/widget/%2e%2e%2fsecret.txt",
        "/widget/..%5csecret.txt",
        "/widget//../secret.txt",
        "/widget/./../secret.txt",
        "/../secret.txt",
        "/widget/%2fetc%2fpasswd",
    ] {
        let mut socket = tokio::net::TcpStream::connect(t.relay.addr).await.unwrap();
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        socket.read_to_string(&mut answer).await.unwrap();
        assert!(!answer.starts_with("HTTP/1.1 200"), "{path}: {answer}");
        assert!(!answer.contains("TOP-SECRET"), "{path}: {answer}");
        assert!(!answer.contains("root:"), "{path}: {answer}");
    }
    let ok = t
        .client
        .get(t.url("/widget/embed.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["x-content-type-options"], "nosniff");
    assert_eq!(ok.text().await.unwrap(), "ok");
    // Nor is any answer sniffed into something else: an error echoing the path stays JSON.
    for path in ["/<b>x</b>", "/v1/config", "/widget/missing.js"] {
        let r = t.client.get(t.url(path)).send().await.unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
    }
}

/// The headers a browser enforces: the demo page may run its own scripts (the inline one by
/// hash) and WebAssembly and cannot be framed; everything else loads and frames nothing; no
/// Referer leaves a relay page.
#[tokio::test]
async fn pages_files_and_answers_carry_their_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let widget = dir.path().join("widget");
    std::fs::create_dir_all(&widget).unwrap();
    let inline = "fetch('/v1/config')";
    std::fs::write(
        widget.join("demo.html"),
        format!("<!doctype html><script>{inline}</script><script src=\"/widget/embed.js\" async></script>"),
    )
    .unwrap();
    std::fs::write(widget.join("embed.js"), "/* loader */").unwrap();
    let t = common::start_in(dir, &[]).await;
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .unwrap_or_else(|| panic!("no {name} on {}", r.url()))
            .to_str()
            .unwrap()
            .to_owned()
    };

    let page = t.client.get(t.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = header(&page, "content-security-policy");
    use base64::Engine;
    use sha2::Digest;
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(inline));
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("{csp}"));
    assert!(script_src.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert!(script_src.contains("'wasm-unsafe-eval'"), "{csp}");
    assert!(!script_src.contains("'unsafe-inline'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'"), "{csp}");
    assert_eq!(header(&page, "x-frame-options"), "DENY");
    assert_eq!(header(&page, "referrer-policy"), "no-referrer");

    for path in ["/widget/embed.js", "/v1/config", "/v1/nope", "/healthz"] {
        let r = t.client.get(t.url(path)).send().await.unwrap();
        let csp = header(&r, "content-security-policy");
        assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(header(&r, "referrer-policy"), "no-referrer", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
    }
}

/// A relay in front of a real Udesk has no shop page of its own, unless asked.
#[tokio::test]
async fn the_demo_page_is_served_only_with_the_simulator_or_when_asked() {
    let sim = common::start(&[]).await;
    let upstream = sim.relay.upstream_url.clone();
    let real = [
        "--upstream",
        upstream.as_str(),
        "--udesk-email",
        "demo@udesk-chat.local",
        "--udesk-token",
        "udesk-chat-demo-token",
    ];
    let t = common::start(&real).await;
    let r = t.client.get(t.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let mut asked = real.to_vec();
    asked.push("--demo-page");
    let t = common::start(&asked).await;
    let r = t.client.get(t.url("/")).send().await.unwrap();
    // The test widget directory is empty: the page that says so, but served.
    assert!(
        r.text().await.unwrap().contains("udesk-chat relay"),
        "the demo route is there"
    );
    assert_eq!(
        sim.client.get(sim.url("/")).send().await.unwrap().headers()["content-type"],
        "text/html; charset=utf-8"
    );
}
