//! What every server function needs from the request it serves (ssr only): the
//! service core from context, the signed-in user from the session cookie, and
//! setting or clearing that cookie on the response.

use std::net::{IpAddr, Ipv4Addr};

use confab_core::Service;
use confab_core::model::{NewSession, SessionKind, User};
use confab_core::service::{ChannelAccess, Standing};
use http::HeaderValue;
use http::header::SET_COOKIE;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::errors::ApiError;

/// What the `server` crate provides as context to every server function.
#[derive(Clone)]
pub struct ServerContext {
    /// Confab's use cases.
    pub core: Service,
    /// Whether the site is served over HTTPS (cookie flags, link schemes).
    pub https: bool,
}

/// The address a request came from, put into its extensions by the server
/// (for per-client limits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Name of the session cookie over plain HTTP.
const SESSION_COOKIE: &str = "confab_session";
/// Name of the session cookie over HTTPS: the `__Host-` prefix makes browsers
/// refuse it unless it is `Secure`, for this host only and for every path.
const SESSION_COOKIE_HTTPS: &str = "__Host-confab_session";

/// The name of the session cookie (the Socket.IO handshake reads it too).
pub fn session_cookie_name(https: bool) -> &'static str {
    if https { SESSION_COOKIE_HTTPS } else { SESSION_COOKIE }
}

/// The value of cookie `name` in the `Cookie` headers of a request.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The server's context.
pub(super) fn server() -> Result<ServerContext, ApiError> {
    use_context::<ServerContext>().ok_or_else(|| {
        tracing::error!("server function called without the server context");
        ApiError::internal()
    })
}

/// The session token from the request's cookie, if any.
pub(super) fn session_token(ctx: &ServerContext) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    cookie_value(&parts.headers, session_cookie_name(ctx.https))
}

/// What a request signs in with: its session cookie, or else a personal
/// API token as `Authorization: Bearer <token>` (for the server's own
/// handlers outside server functions: uploads and downloads).
pub fn request_credential(headers: &http::HeaderMap, https: bool) -> Option<String> {
    cookie_value(headers, session_cookie_name(https)).or_else(|| bearer_in(headers))
}

fn bearer_in(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The address of the client that sent the request.
pub(super) fn client_ip() -> IpAddr {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientIp>().copied())
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ip| ip.0)
}

/// `http(s)://host` of this site as the request named it (its `Host` header,
/// which the server has checked), for links meant to be shared.
pub(super) fn site_origin(ctx: &ServerContext) -> String {
    let scheme = if ctx.https { "https" } else { "http" };
    let host = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::HOST)?.to_str().ok().map(str::to_owned))
        .unwrap_or_default();
    format!("{scheme}://{host}")
}

/// A personal API token sent as `Authorization: Bearer <token>` (scripts
/// and bots; browsers never send one on their own, so it needs no
/// cross-site check).
pub(super) fn bearer_token() -> Option<String> {
    bearer_in(&use_context::<http::request::Parts>()?.headers)
}

/// The signed-in user, if the request carries a valid session: the
/// session cookie, or else an API token.
pub(super) async fn current_user() -> Result<Option<User>, ApiError> {
    let ctx = server()?;
    match session_token(&ctx).or_else(bearer_token) {
        Some(token) => Ok(ctx.core.session_user(&token).await?),
        None => Ok(None),
    }
}

/// The user signed in by a browser's sign-in, never by a personal API
/// token, however it is sent (a bearer header, or the session cookie): for
/// managing tokens, so that a leaked token cannot make more of itself or
/// outlive its revocation. Told apart by what the session is, not by the
/// header it came in.
pub(super) async fn require_signed_in_browser() -> Result<(ServerContext, User), ApiError> {
    let ctx = server()?;
    let token = session_token(&ctx).or_else(bearer_token).ok_or_else(ApiError::unauthenticated)?;
    let session = ctx.core.session(&token).await?.ok_or_else(ApiError::unauthenticated)?;
    if session.kind != SessionKind::Browser {
        // Answered as no session at all: a token is not a sign-in here.
        let why = "Sign in with your password to manage API tokens; a token cannot.";
        return Err(ApiError::new(crate::errors::ErrorCode::Unauthenticated, why));
    }
    Ok((ctx, session.user))
}

/// The signed-in user, or "please sign in".
pub(super) async fn require_user() -> Result<(ServerContext, User), ApiError> {
    let user = current_user().await?.ok_or_else(ApiError::unauthenticated)?;
    Ok((server()?, user))
}

/// Where the signed-in user stands in organization `slug`, or the answer an
/// organization that does not exist gets.
pub(super) async fn require_member(slug: &str) -> Result<(ServerContext, Standing), ApiError> {
    let (ctx, user) = require_user().await?;
    let standing = ctx.core.standing(&user, slug).await?;
    Ok((ctx, standing))
}

/// Channel `channel` of organization `slug`, as the signed-in user may read it.
pub(super) async fn require_channel(slug: &str, channel: &str) -> Result<(ServerContext, ChannelAccess), ApiError> {
    let (ctx, standing) = require_member(slug).await?;
    let access = ctx.core.channel_named(&standing, channel).await?;
    Ok((ctx, access))
}

/// Sets the session cookie (or clears it with `None`).
pub(super) fn set_session_cookie(ctx: &ServerContext, session: Option<&NewSession>) {
    let Some(response) = use_context::<ResponseOptions>() else { return };
    let name = session_cookie_name(ctx.https);
    let secure = if ctx.https { "; Secure" } else { "" };
    let cookie = match session {
        Some(s) => format!("{name}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", s.token, s.max_age_secs),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(SET_COOKIE, value);
    }
}

/// A redirect target from a form, if it is a plain path on this site; else `fallback`.
pub(super) fn local_path(next: Option<String>, fallback: &str) -> String {
    next.as_deref().and_then(confab_core::rules::local_path).unwrap_or(fallback).to_owned()
}

/// Gives a failed server function the HTTP status of its error (instead of
/// a blanket 500), so scripts and logs can tell a typo from a fault.
/// Plain HTML form posts (no wasm yet) are left alone: they are answered with
/// a redirect back to the form, which a status would override.
pub(super) fn with_status<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn cookie_lookup() {
        let mut h = http::HeaderMap::new();
        h.append(http::header::COOKIE, "theme=dark; confab_session=abc123".parse().unwrap());
        h.append(http::header::COOKIE, "other=1".parse().unwrap());
        assert_eq!(super::cookie_value(&h, "confab_session").as_deref(), Some("abc123"));
        assert_eq!(super::cookie_value(&h, "other").as_deref(), Some("1"));
        assert_eq!(super::cookie_value(&h, "missing"), None);
    }
}
