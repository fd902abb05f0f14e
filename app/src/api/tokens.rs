//! Personal API tokens for bots and scripts: make (shown once), list, revoke.
//! Making and revoking take the browser's session, never a token.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{ApiToken, NewApiToken};

/// Makes a token named `name` for the signed-in user. The answer holds the
/// token itself, which is never shown again.
#[server(prefix = "/api", endpoint = "create_api_token")]
pub async fn create_api_token(name: String) -> Result<NewApiToken, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_signed_in_browser().await?;
            Ok(ctx.core.create_api_token(&user, &name).await?.into())
        }
        .await,
    )
}

/// The signed-in user's tokens, newest first (names and dates only).
#[server(prefix = "/api", endpoint = "list_api_tokens")]
pub async fn list_api_tokens() -> Result<Vec<ApiToken>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            Ok(ctx.core.api_tokens(&user).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// Revokes one of the signed-in user's tokens: it stops working at once and
/// the live connections it opened close.
#[server(prefix = "/api", endpoint = "revoke_api_token")]
pub async fn revoke_api_token(id: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_signed_in_browser().await?;
            Ok(ctx.core.revoke_api_token(&user, &id).await?)
        }
        .await,
    )
}
