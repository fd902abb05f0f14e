//! Accounts and sessions: register, sign in, sign out, who am I.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::User;

/// Creates an account and signs it in; then goes to `next` (a local path) or `/`.
#[server(prefix = "/api", endpoint = "register")]
pub async fn register(username: String, password: String, next: Option<String>) -> Result<User, ApiError> {
    super::request::with_status(
        async move {
            use super::request::*;
            let ctx = server()?;
            let (user, session) = ctx.core.register(&username, &password, client_ip()).await?;
            set_session_cookie(&ctx, Some(&session));
            leptos_axum::redirect(&local_path(next, "/"));
            Ok(user.into())
        }
        .await,
    )
}

/// Signs in; then goes to `next` (a local path) or `/`.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, next: Option<String>) -> Result<User, ApiError> {
    super::request::with_status(
        async move {
            use super::request::*;
            let ctx = server()?;
            let (user, session) = ctx.core.login(&username, &password, client_ip()).await?;
            set_session_cookie(&ctx, Some(&session));
            leptos_axum::redirect(&local_path(next, "/"));
            Ok(user.into())
        }
        .await,
    )
}

/// Signs out: revokes the session and clears the cookie.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            use super::request::*;
            let ctx = server()?;
            if let Some(token) = session_token(&ctx) {
                ctx.core.logout(&token).await?;
            }
            set_session_cookie(&ctx, None);
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// The signed-in user, or `null`.
#[server(prefix = "/api", endpoint = "me")]
pub async fn me() -> Result<Option<User>, ApiError> {
    super::request::with_status(async move { Ok(super::request::current_user().await?.map(Into::into)) }.await)
}
