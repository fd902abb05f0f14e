//! What every server function needs from the request it serves (ssr only): the
//! backend from context, the signed-in user from the session cookie, and
//! setting or clearing that cookie on the response.

use http::HeaderValue;
use http::header::SET_COOKIE;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::backend::{NewSession, SharedBackend};
use crate::errors::ApiError;
use crate::protocol::User;

/// The server's backend, provided as context by the `server` crate.
pub fn backend() -> Result<SharedBackend, ApiError> {
    use_context::<SharedBackend>().ok_or_else(|| {
        tracing::error!("server function called without a backend in context");
        ApiError::internal()
    })
}

/// The session token from the request's cookie, if any.
pub fn session_token(backend: &SharedBackend) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    crate::backend::cookie_value(&parts.headers, backend.session_cookie_name())
}

/// The address of the client that sent the request.
pub fn client_ip(backend: &SharedBackend) -> std::net::IpAddr {
    use_context::<http::request::Parts>()
        .map_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |parts| backend.client_ip(&parts))
}

/// `http(s)://host` of this site as the request named it (its `Host` header,
/// which the server has checked), for links meant to be shared.
pub fn site_origin(backend: &SharedBackend) -> String {
    let scheme = if backend.secure_cookies() { "https" } else { "http" };
    let host = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::HOST)?.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    format!("{scheme}://{host}")
}

/// The signed-in user, if the request carries a valid session.
pub async fn current_user() -> Result<Option<User>, ApiError> {
    let backend = backend()?;
    match session_token(&backend) {
        Some(token) => backend.session_user(&token).await,
        None => Ok(None),
    }
}

/// The signed-in user, or "please sign in".
pub async fn require_user() -> Result<(SharedBackend, User), ApiError> {
    let user = current_user().await?.ok_or_else(ApiError::unauthenticated)?;
    Ok((backend()?, user))
}

/// Sets the session cookie (or clears it with `None`).
pub fn set_session_cookie(backend: &SharedBackend, session: Option<&NewSession>) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let name = backend.session_cookie_name();
    let secure = if backend.secure_cookies() { "; Secure" } else { "" };
    let cookie = match session {
        Some(s) => format!("{name}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", s.token, s.max_age_secs),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(SET_COOKIE, value);
    }
}

/// A redirect target from a form, if it is a plain path on this site; else `fallback`.
pub fn local_path(next: Option<String>, fallback: &str) -> String {
    next.as_deref().and_then(crate::validate::local_path).unwrap_or(fallback).to_owned()
}

/// Gives a failed server function the HTTP status of its error (instead of
/// a blanket 500), so scripts and logs can tell a typo from a fault.
/// Plain HTML form posts (no wasm yet) are left alone: they are answered with
/// a redirect back to the form, which a status would override.
pub fn with_status<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
    let form_post = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::ACCEPT)?.to_str().ok().map(|a| a.contains("text/html")))
        .unwrap_or(false);
    if form_post {
        return result;
    }
    if let (Err(e), Some(response)) = (&result, use_context::<ResponseOptions>())
        && let Ok(status) = http::StatusCode::from_u16(e.http_status())
    {
        response.set_status(status);
    }
    result
}
