//! The relay's plain web parts: the built widget and demo page, health, metrics, CORS and the
//! origin check, the security headers, and the JSON answers for unknown paths.
//!
//! Security headers: every answer carries `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy: no-referrer` and, unless it sets its own, [`STRICT_CSP`] (nothing may load,
//! nothing may frame it: right for JSON, event streams and the widget's own files, which host
//! pages load as subresources, where a response's CSP does not apply). The demo page sets
//! [`demo_csp`]: its own scripts (the inline one by hash), WebAssembly, inline styles (the
//! widget styles its host element and its Shadow DOM), media from anywhere over http(s), calls
//! only to the relay, and no framing. The demo shop page is served only with the embedded
//! simulator or `--demo-page`: a production relay has no page of its own.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::Digest;
use std::path::Path;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::fs::ServeFileSystemResponseBody as ServeBody;
use tower_http::services::{ServeDir, ServeFile};

/// Shown at `/` when the widget has not been built into `--widget-dir`.
const WIDGET_MISSING: &str = "<!doctype html><meta charset=utf-8><title>udesk-chat relay</title>\
<h1>udesk-chat relay</h1><p>The relay is running, but the widget is not built: run \
<code>trunk build --release --offline --public-url /widget/</code> in the repository, or point \
<code>--widget-dir</code> at the build output.</p>";

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

pub async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

/// The policy of every answer that does not set its own: nothing loads, nothing frames it.
pub const STRICT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The demo page's Content-Security-Policy, allowing exactly the inline scripts `page` holds.
pub fn demo_csp(page: &str) -> String {
    let hashes: String = inline_scripts(page)
        .map(|script| {
            let digest = sha2::Sha256::digest(script.as_bytes());
            format!(" 'sha256-{}'", BASE64.encode(digest))
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: http: https:; \
         media-src 'self' blob: http: https:; connect-src 'self'; font-src 'self' data:; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The text of each `<script>` without a `src` in `page` (the demo page, a file of this
/// repository: a plain scan suffices).
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    let lower = page.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<script").map(|i| from + i) {
        let Some(open_end) = lower[start..].find('>').map(|i| start + i + 1) else {
            break;
        };
        let Some(close) = lower[open_end..].find("</script").map(|i| open_end + i) else {
            break;
        };
        if !lower[start..open_end].contains(" src=") {
            found.push(&page[open_end..close]);
        }
        from = close;
    }
    found.into_iter()
}

/// `GET /`: the demo page from the widget directory.
async fn demo_page(State(state): State<AppState>) -> Response {
    match tokio::fs::read_to_string(state.widget_dir.join("demo.html")).await {
        Ok(page) => {
            let csp = HeaderValue::from_str(&demo_csp(&page))
                .unwrap_or_else(|_| HeaderValue::from_static(STRICT_CSP));
            let mut response = (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CACHE_CONTROL, "no-cache"),
                    (header::X_FRAME_OPTIONS, "DENY"),
                ],
                page,
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, csp);
            response
        }
        Err(_) => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            WIDGET_MISSING,
        )
            .into_response(),
    }
}

/// Files with content hashes in their names may be cached for good.
async fn cache_for_good<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// Stable names (the loader and its manifest) must be revalidated on every load.
async fn revalidate<B>(mut response: axum::http::Response<B>) -> axum::http::Response<B> {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `/widget/…` from `dir` and, with `demo_page`, `/` = `dir/demo.html`, compressed (gzip or br,
/// as the browser accepts).
pub fn widget_routes(dir: &Path, demo_page_too: bool) -> Router<AppState> {
    let stable = |name: &str| {
        ServiceBuilder::new()
            .layer(middleware::map_response(revalidate::<ServeBody>))
            .service(ServeFile::new(dir.join(name)))
    };
    let hashed = ServiceBuilder::new()
        .layer(middleware::map_response(cache_for_good::<ServeBody>))
        .service(ServeDir::new(dir));
    let routes = if demo_page_too {
        Router::new().route("/", get(demo_page))
    } else {
        Router::new()
    };
    routes
        .route_service("/widget/embed.js", stable("embed.js"))
        .route_service("/widget/manifest.json", stable("manifest.json"))
        .nest_service("/widget", hashed)
        .layer(CompressionLayer::new())
}

/// Checks `--allowed-origin` values: each an exact `http(s)://host[:port]` (a trailing `/` is
/// dropped), since browsers send exactly that; a wildcard or a path would never match (and `*`
/// would make the CORS layer panic). Returns them normalised.
pub fn check_origins(origins: &[String]) -> Result<Vec<String>, String> {
    origins
        .iter()
        .map(|origin| {
            let trimmed = origin.trim().trim_end_matches('/');
            let host = trimmed
                .strip_prefix("https://")
                .or_else(|| trimmed.strip_prefix("http://"))
                .unwrap_or_default();
            let exact = !host.is_empty()
                && !host.contains(['/', '?', '#', '*', '@', ' '])
                && HeaderValue::from_str(trimmed).is_ok();
            if exact {
                Ok(trimmed.to_owned())
            } else {
                Err(format!(
                    "--allowed-origin {origin:?}: name one origin exactly, as \
                     https://shop.example or http://localhost:3000 (no wildcard, no path)"
                ))
            }
        })
        .collect()
}

/// CORS for the configured origins only; the relay's own origin needs none.
pub fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            HeaderName::from_static(crate::state::MESSAGE_ID_HEADER),
        ])
        .max_age(Duration::from_secs(3600))
}

/// The origin (`scheme://host[:port]`, as browsers send it) of `--public-url`, the relay's
/// public base URL; an error names what is wrong with it.
pub fn public_origin(public_url: &str) -> Result<String, String> {
    let url = public_url.trim();
    let problem = || {
        format!(
            "--public-url {public_url:?}: give the relay's public base URL, as \
             https://chat.example.com or http://localhost:8080 (a path is allowed)"
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(problem)?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(problem());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains(['@', ' ', '*']) {
        return Err(problem());
    }
    let authority = authority.to_ascii_lowercase();
    // Browsers leave out the scheme's default port.
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_owned(),
        _ => authority,
    };
    Ok(format!("{scheme}://{authority}"))
}

/// Whether `host` (a `Host` header's value, port included) names the relay by an address no
/// DNS rebinding can reach: an IP literal or `localhost`.
fn is_address_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => {
            return v6
                .split(']')
                .next()
                .is_some_and(|ip| ip.parse::<std::net::Ipv6Addr>().is_ok())
        }
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Refuses API calls from browser origins that are neither configured nor the relay's own
/// (a page elsewhere could otherwise use a visitor's token it got hold of).
///
/// The relay's own origin is the one of `--public-url` when given. Without it, an origin that
/// matches the `Host` header counts only when that host is an IP address or `localhost`: a
/// DNS name in `Host` proves nothing, since a page can rebind its own name to an intranet
/// relay's address, and then its origin and the `Host` match. `X-Forwarded-Host` is never
/// trusted (give a relay behind a proxy its `--public-url`).
pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let same_origin = match &state.public_origin {
            Some(public) => origin.eq_ignore_ascii_case(public),
            None => {
                let origin_host = origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"));
                request
                    .headers()
                    .get(header::HOST)
                    .and_then(|host| host.to_str().ok())
                    .is_some_and(|host| origin_host == Some(host) && is_address_host(host))
            }
        };
        let allowed = state.allowed_origins.iter().any(|o| o == origin);
        if !same_origin && !allowed {
            return AppError::OriginNotAllowed(origin.to_owned()).into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls_give_the_origin_browsers_send() {
        for (url, origin) in [
            ("https://chat.example.com", "https://chat.example.com"),
            (
                "https://Chat.Example.com/relay/",
                "https://chat.example.com",
            ),
            ("https://chat.example.com:443", "https://chat.example.com"),
            ("http://localhost:8080", "http://localhost:8080"),
            ("http://[::1]:80/", "http://[::1]"),
        ] {
            assert_eq!(public_origin(url).as_deref(), Ok(origin), "{url}");
        }
        for bad in [
            "chat.example.com",
            "ftp://x",
            "https://",
            "https://a@b",
            "https://*.x",
        ] {
            assert!(public_origin(bad).is_err(), "{bad}");
        }
        assert!(is_address_host("127.0.0.1:8080"));
        assert!(is_address_host("[::1]:8080"));
        assert!(is_address_host("localhost:3000"));
        assert!(!is_address_host("evil.example:8080"));
        assert!(!is_address_host("10.0.0.1.evil.example"));
    }

    #[test]
    fn the_demo_policy_names_each_inline_script_by_hash() {
        let page = "<script>one()</script><script src=\"/widget/embed.js\" async></script>\
                    <SCRIPT type=module>two()</SCRIPT>";
        let found: Vec<&str> = inline_scripts(page).collect();
        assert_eq!(found, ["one()", "two()"]);
        let csp = demo_csp(page);
        // sha256("one()") in base64.
        let one = BASE64.encode(sha2::Sha256::digest(b"one()"));
        assert!(csp.contains(&format!("'sha256-{one}'")), "{csp}");
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("'unsafe-inline'"), "{script_src}");
    }
}
