//! The relay's router: `app(state) -> Router`, apart from any socket, so tests can build it
//! directly. The state it routes with lives in [`crate::state`].

use crate::state::{AppState, API_BODY_LIMIT, WEBHOOK_BODY_LIMIT};
use crate::{api, media, sse, web, webhook};
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::{middleware, Router};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The relay's routes.
pub fn app(state: AppState) -> Router {
    let upload_body_limit = usize::try_from(state.uploads.max_body()).unwrap_or(usize::MAX);
    let api = Router::new()
        .route("/v1/visitor", post(api::visitor))
        .route("/v1/sessions", post(api::create_session))
        .route("/v1/messages", post(api::send_message))
        .route("/v1/robot/evaluations", post(api::rate_robot_answer))
        .route("/v1/surveys", post(api::submit_survey))
        .route("/v1/queue_status", get(api::queue_status))
        .route("/v1/config", get(api::relay_config))
        .route("/v1/events", get(sse::events))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        // Added after the API-wide 64 KiB limit (which covers only the routes above): this one
        // has its own, the largest file plus the multipart framing.
        .route(
            "/v1/uploads",
            post(media::upload::upload).layer(DefaultBodyLimit::max(upload_body_limit)),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            web::check_origin,
        ));
    let webhooks = Router::new()
        .route("/webhooks/udesk/{secret}", post(webhook::receive))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT));
    let body_timeout = state.body_timeout;
    Router::new()
        .merge(api)
        .merge(webhooks)
        .merge(web::widget_routes(&state.widget_dir, state.demo_page))
        .route("/media/{name}", get(media::serve::media))
        .route("/healthz", get(web::healthz))
        .route("/metrics", get(web::metrics))
        .fallback(web::not_found)
        .method_not_allowed_fallback(web::method_not_allowed)
        // Every body has a whole-body deadline, so a client dripping one cannot hold a task.
        // Uploads have their own (an idle timeout and 10 minutes in all, see media::upload):
        // 20 MB take longer than the 20 s other bodies get on a phone's connection.
        .layer(middleware::from_fn(
            move |request: axum::extract::Request, next: middleware::Next| {
                let uploading = request.uri().path() == "/v1/uploads";
                async move {
                    if uploading {
                        next.run(request).await
                    } else {
                        crate::accept::body_deadline(body_timeout, request, next).await
                    }
                }
            },
        ))
        // Outermost, so that it answers preflights before routing (and its 405s).
        .layer(web::cors(&state.allowed_origins))
        // Answers carry text from requests (an error naming a path or an origin): browsers must
        // take each as its declared type, never sniff one into HTML.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // No answer needs a page to load or frame anything unless it says so (the demo page
        // does); URLs may hold a token, so no Referer leaves a relay page.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(web::STRICT_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The log span of a request: method and path only. The query may hold a visitor's token (the
/// event stream's `?token=`), the webhook path holds the webhook secret and a media path the id
/// that is the only key to an uploaded file; none of them is logged.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let path = request.uri().path();
    let path = if path.starts_with("/webhooks/udesk/") {
        "/webhooks/udesk/<secret>"
    } else if path.starts_with("/media/") {
        "/media/<id>"
    } else {
        path
    };
    tracing::debug_span!("request", method = %request.method(), path)
}
