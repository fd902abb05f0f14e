//! The HTTP side: one axum router with the Leptos pages and server functions,
//! the Socket.IO layer, static files, uploads and downloads, `/healthz`, the request guard (host,
//! cross-site changes, body size) and the tower-http layers (tracing,
//! compression, security headers).

use std::sync::Arc;

use app::api::{ClientIp, ServerContext};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use http::{HeaderName, HeaderValue, header};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use socketioxide::layer::SocketIoLayer;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::map_request_body::MapRequestBodyLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};
use tower_http::trace::TraceLayer;

use confab_core::Service;

use crate::client_addr::ClientAddr;
use crate::site::Site;
use crate::{error_status, files_http, request_guard, request_head};

/// A header every response carries unless its handler set it: pages set
/// their own `Content-Security-Policy`, with their scripts' nonce (`app::csp`).
fn default_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// State of the router: what the Leptos handlers and `/healthz` need.
#[derive(Clone, axum::extract::FromRef)]
pub struct HttpState {
    /// Where the built site lives and how it is named.
    pub leptos_options: LeptosOptions,
    /// Confab's use cases.
    pub service: Service,
}

/// The built wasm, JS and CSS under `/pkg`. They are compressed once, at build
/// time (`cargo leptos build --precompress` writes `.br` and `.gz` beside each),
/// and sent as they are to the browsers that accept that encoding. Hashed
/// names never change content, so browsers keep those for a year; unhashed
/// ones (debug builds) are checked again each time.
fn site_package(options: &LeptosOptions) -> SetResponseHeader<ServeDir, HeaderValue> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let cache = if options.hash_files { "public, max-age=31536000, immutable" } else { "no-cache" };
    SetResponseHeader::overriding(
        ServeDir::new(dir).precompressed_br().precompressed_gzip(),
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache),
    )
}

/// The whole HTTP application.
pub(crate) fn router(state: HttpState, site: Arc<Site>, socket_layer: SocketIoLayer) -> Router {
    let routes = generate_route_list(app::App);
    let server = ServerContext { core: state.service.clone(), https: site.https() };
    let context = move || provide_context(server.clone());
    let fallback = leptos_axum::file_and_error_handler_with_context::<HttpState, _>(context.clone(), app::shell);
    let package = format!("/{}", state.leptos_options.site_pkg_dir);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/sw.js", get(service_worker))
        .merge(files_http::routes(state.service.clone(), site.clone()))
        .nest_service(&package, site_package(&state.leptos_options))
        .leptos_routes_with_context(&state, routes, context, {
            let options = state.leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(fallback)
        // Socket.IO answers `/socket.io/` before the router sees it and caps
        // its own frames; it must wrap the router's own body type.
        .layer(socket_layer)
        .layer(
            ServiceBuilder::new()
                .layer(TraceLayer::new_for_http())
                .layer(default_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(default_header(header::REFERRER_POLICY, "same-origin"))
                .layer(default_header(header::X_FRAME_OPTIONS, "DENY"))
                .layer(default_header(
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
                ))
                // Axum's body type for the guard and the router.
                .layer(MapRequestBodyLayer::new(axum::body::Body::new))
                .layer(axum::middleware::from_fn_with_state(site, request_guard::guard))
                .map_request(|mut request: axum::extract::Request| {
                    let ip = ClientAddr::of(request.extensions());
                    request.extensions_mut().insert(ClientIp(ip));
                    match request_head::is_live_path(request.uri().path()) {
                        true => {
                            ClientAddr::mark_live(request.extensions());
                            request_head::detach(request)
                        }
                        false => request,
                    }
                })
                // Not files' bytes: pictures are compressed already, and
                // a download is sent as stored.
                .layer(CompressionLayer::new().compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream")),
                ))
                .layer(axum::middleware::from_fn(error_status::answer_with_its_status)),
        )
        .with_state(state)
}

/// The service worker that shows push notifications: checked again on
/// every visit (so a new version takes over), allowed to load this site's
/// icons and nothing else.
async fn service_worker() -> impl axum::response::IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'self'"),
        ],
        include_str!("../../public/sw.js"),
    )
}

/// 200 when the server and its database answer, 503 otherwise.
async fn healthz(State(service): State<Service>) -> (StatusCode, &'static str) {
    match service.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
