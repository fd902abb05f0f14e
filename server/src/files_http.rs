//! Files over HTTP: `POST /api/upload` takes one file as the raw request
//! body, streamed to the file store (never whole in memory), and
//! `GET /api/files/{slug}/{id}` (and `/thumbnail`) sends one back to those
//! who may have it. These are plain handlers, not server functions: a
//! server function's body is read whole, and its answer is JSON.
//!
//! A file is served so that it can never run as Confab: a picture of a
//! type browsers only display (told by its bytes) is shown in place,
//! anything else only as a download (`attachment`, as
//! `application/octet-stream`); every answer says `nosniff`, forbids
//! everything in a sandbox (`Content-Security-Policy: sandbox`), and may
//! not be embedded by another site.

use std::sync::Arc;

use app::errors::{ApiError, ErrorCode};
use app::protocol::Attachment;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use confab_core::Service;
use confab_core::service::{Download, Standing};
use futures::TryStreamExt;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;

use crate::site::Site;

/// The path uploads are sent to (the request guard lets their bodies
/// through unread: this handler streams and limits them itself).
pub(crate) const UPLOAD_PATH: &str = "/api/upload";

#[derive(Clone)]
struct Files {
    service: Service,
    site: Arc<Site>,
}

/// The routes, with their own state.
pub(crate) fn routes<S: Clone + Send + Sync + 'static>(service: Service, site: Arc<Site>) -> Router<S> {
    Router::new()
        .route(UPLOAD_PATH, post(upload))
        .route("/api/files/{slug}/{id}", get(download))
        .route("/api/files/{slug}/{id}/thumbnail", get(thumbnail))
        .with_state(Files { service, site })
}

fn refuse(error: ApiError) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(error)).into_response()
}

/// Where the request's signed-in user stands in organization `slug`.
async fn standing(files: &Files, headers: &HeaderMap, slug: &str) -> Result<Standing, ApiError> {
    let token = app::api::request_credential(headers, files.site.https()).ok_or_else(ApiError::unauthenticated)?;
    let user = files.service.session_user(&token).await?.ok_or_else(ApiError::unauthenticated)?;
    Ok(files.service.standing(&user, slug).await?)
}

#[derive(Deserialize)]
struct UploadTo {
    slug: String,
    channel: String,
    /// The file's name (shown, and offered when it is saved).
    #[serde(default)]
    name: String,
}

/// `POST /api/upload?slug=…&channel=…&name=…`, the file as the body and
/// its type as `Content-Type`: the file, kept until a message sends it.
async fn upload(State(files): State<Files>, Query(to): Query<UploadTo>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let max = files.service.max_upload_bytes();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        let why = format!("A file may be at most {}; nothing was kept.", confab_core::rules::human_size(max));
        return refuse(ApiError::new(ErrorCode::TooLarge, why));
    }
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let result: Result<Attachment, ApiError> = async {
        let standing = standing(&files, &parts.headers, &to.slug).await?;
        let access = files.service.channel_named(&standing, &to.channel).await?;
        // Refused before a byte is read if not theirs to post in, or too fast.
        let stream = body.into_data_stream();
        Ok(files.service.upload(&access, &to.name, content_type, stream).await?.into())
    }
    .await;
    match result {
        Ok(file) => (StatusCode::CREATED, [(header::CACHE_CONTROL, "no-store")], axum::Json(file)).into_response(),
        Err(e) => refuse(e),
    }
}

async fn download(State(files): State<Files>, Path((slug, id)): Path<(String, i64)>, headers: HeaderMap) -> Response {
    send(&files, &headers, &slug, id, false).await
}

async fn thumbnail(State(files): State<Files>, Path((slug, id)): Path<(String, i64)>, headers: HeaderMap) -> Response {
    send(&files, &headers, &slug, id, true).await
}

async fn send(files: &Files, headers: &HeaderMap, slug: &str, id: i64, thumbnail: bool) -> Response {
    let found = async {
        Ok::<_, ApiError>(files.service.download(&standing(files, headers, slug).await?, id, thumbnail).await?)
    };
    match found.await {
        Ok(file) => served(file),
        Err(e) => refuse(e),
    }
}

/// The answer that carries a file, with the headers that keep it inert.
fn served(file: Download) -> Response {
    let disposition = content_disposition(if file.inline() { "inline" } else { "attachment" }, &file.name);
    let content_type = HeaderValue::from_str(&file.served_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    let body = Body::from_stream(file.bytes.map_err(|e| {
        tracing::warn!(error = %e, "sending a file failed mid-way");
        std::io::Error::other(e)
    }));
    let mut response = Response::new(body);
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(file.size));
    h.insert(header::CONTENT_DISPOSITION, disposition);
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    // Its content never changes; who may have it may (so not shared caches).
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
    response
}

/// `inline` or `attachment`, with the name to save it under: plain ASCII
/// for old clients (anything else as `_`) and the whole name in UTF-8
/// (RFC 6266 / RFC 5987).
fn content_disposition(how: &str, name: &str) -> HeaderValue {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' }).collect();
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    HeaderValue::from_str(&format!("{how}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_offered_safely_in_both_forms() {
        assert_eq!(
            content_disposition("attachment", "plan \"v2\".pdf"),
            "attachment; filename=\"plan _v2_.pdf\"; filename*=UTF-8''plan%20%22v2%22.pdf"
        );
        assert_eq!(
            content_disposition("inline", "écran.png"),
            "inline; filename=\"_cran.png\"; filename*=UTF-8''%C3%A9cran.png"
        );
    }
}
