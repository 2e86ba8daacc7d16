//! The relay's plain web parts: the built widget and demo page, health, metrics, CORS and the
//! origin check, and the JSON answers for unknown paths.

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
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

/// `GET /`: the demo page from the widget directory.
async fn demo_page(State(state): State<AppState>) -> Response {
    match tokio::fs::read(state.widget_dir.join("demo.html")).await {
        Ok(page) => (
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            page,
        )
            .into_response(),
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

/// `/widget/…` from `dir` and `/` = `dir/demo.html`, compressed (gzip or br, as the browser
/// accepts).
pub fn widget_routes(dir: &Path) -> Router<AppState> {
    let stable = |name: &str| {
        ServiceBuilder::new()
            .layer(middleware::map_response(revalidate::<ServeBody>))
            .service(ServeFile::new(dir.join(name)))
    };
    let hashed = ServiceBuilder::new()
        .layer(middleware::map_response(cache_for_good::<ServeBody>))
        .service(ServeDir::new(dir));
    Router::new()
        .route("/", get(demo_page))
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

/// Refuses API calls from browser origins that are neither configured nor the relay's own
/// (a page elsewhere could otherwise use a visitor's token it got hold of).
pub async fn check_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        // Behind a reverse proxy the browser's host may arrive as X-Forwarded-Host. (A page
        // elsewhere cannot set that header on a victim's request without a CORS preflight.)
        let origin_host = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let same_origin = [header::HOST, HeaderName::from_static("x-forwarded-host")]
            .iter()
            .filter_map(|name| request.headers().get(name)?.to_str().ok())
            .any(|host| origin_host == Some(host));
        let allowed = state.allowed_origins.iter().any(|o| o == origin);
        if !same_origin && !allowed {
            return AppError::OriginNotAllowed(origin.to_owned()).into_response();
        }
    }
    next.run(request).await
}
