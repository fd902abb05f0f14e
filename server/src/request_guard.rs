//! Refuses, before anything else runs, the requests that are not this site's
//! own: a `Host` this site does not answer to (DNS rebinding), a state change
//! sent by another site's page (CSRF: server functions do no check of their
//! own), and a body over the size limit, chunked or not (but for an
//! upload's, which its handler streams within the file size limit). Each refusal is an
//! [`ApiError`] in JSON with its HTTP status, like any server-function error.

use std::sync::Arc;

use app::errors::{ApiError, ErrorCode};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};

use crate::site::Site;

/// Largest request body accepted (forms and server-function calls are small).
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

fn refuse(status: StatusCode, error: ApiError) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(error)).into_response()
}

/// The host a request names: its `Host` header, or the authority of its URI (HTTP/2).
fn requested_host(req: &Request) -> Option<&str> {
    req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// A load balancer's health check names a server by its address, whatever
/// host the site answers to; `/healthz` says only "ok", so no page can learn
/// anything from it through a rebound name.
fn is_health_check(req: &Request) -> bool {
    req.uri().path() == "/healthz" && matches!(*req.method(), Method::GET | Method::HEAD)
}

/// Whether a request of this method can change something.
fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// Whether a state-changing request comes from this site (or a client that is
/// no browser). Browsers send `Origin` with every such request; where it is
/// missing, their `Sec-Fetch-Site` tells. A request with neither comes from a
/// script, which carries its own credentials and cannot be forged by a page.
pub(crate) fn same_site_request(site: &Site, headers: &HeaderMap, host: Option<&str>) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(|o| site.origin_allowed(o, host));
    }
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        None => true,
        Some(v) => v == b"same-origin" || v == b"none",
    }
}

/// The guard itself, as axum middleware.
pub(crate) async fn guard(State(site): State<Arc<Site>>, req: Request, next: Next) -> Response {
    let host = requested_host(&req);
    if !host.is_some_and(|h| site.host_allowed(h)) && !is_health_check(&req) {
        tracing::info!(host = host.unwrap_or_default(), path = %req.uri().path(), "refused: unknown host");
        return refuse(
            StatusCode::MISDIRECTED_REQUEST,
            ApiError::forbidden("This server does not answer to that host name."),
        );
    }
    if changes_state(req.method()) && !same_site_request(&site, req.headers(), host) {
        tracing::info!(path = %req.uri().path(), origin = ?req.headers().get(header::ORIGIN), "refused: cross-site request");
        return refuse(
            StatusCode::FORBIDDEN,
            ApiError::forbidden("This request came from another site's page, so it was refused. Nothing was changed."),
        );
    }
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::new(
                ErrorCode::TooLarge,
                format!("The request is larger than the server accepts ({} KiB).", MAX_BODY_BYTES / 1024),
            ),
        )
    };
    if req.method() == Method::POST && req.uri().path() == crate::files_http::UPLOAD_PATH {
        // A file: streamed and limited by its handler, never read whole.
        return next.run(req).await;
    }
    let declared = req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return too_large();
    }
    // Read the body here, whatever its framing, so that one over the limit is
    // answered 413 before a handler sees a half-read body.
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::debug!(error = %e, "request body refused");
            return too_large();
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap())).collect()
    }

    #[test]
    fn cross_site_state_changes_are_told_apart() {
        let site = Site::new(None, &[], false).unwrap();
        let host = Some("127.0.0.1:3000");
        assert!(same_site_request(&site, &headers(&[("origin", "http://127.0.0.1:3000")]), host));
        assert!(!same_site_request(&site, &headers(&[("origin", "http://127.0.0.1:3999")]), host));
        assert!(!same_site_request(&site, &headers(&[("origin", "null")]), host));
        assert!(same_site_request(&site, &headers(&[("sec-fetch-site", "same-origin")]), host));
        assert!(!same_site_request(&site, &headers(&[("sec-fetch-site", "same-site")]), host));
        assert!(!same_site_request(&site, &headers(&[("sec-fetch-site", "cross-site")]), host));
        assert!(same_site_request(&site, &headers(&[]), host));
    }
}
