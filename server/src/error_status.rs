//! A server function's failure answered with its error's own status.
//!
//! A server function sets the status of the errors it returns itself
//! (`app::api::request::with_status`), but one whose arguments do not decode
//! (a missing or malformed field) never runs: the framework answers its
//! `invalid` error with 500, which says "server fault" to scripts and logs.
//! This gives every such answer the status of the error it carries.

use app::errors::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;

/// The most of an error's body that is read to learn its code.
const MAX_ERROR_BODY: usize = 64 * 1024;

pub(crate) async fn answer_with_its_status(request: Request, next: Next) -> Response {
    let server_function = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !server_function || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ERROR_BODY).await else {
        parts.headers.remove(http::header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::from(ApiError::internal().message));
    };
    if let Ok(error) = serde_json::from_slice::<ApiError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.http_status())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
