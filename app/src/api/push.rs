//! Push notifications: the key a browser subscribes with, and each of the
//! signed-in person's devices subscribing or no longer.

use leptos::prelude::*;

use crate::errors::ApiError;

/// The server's VAPID public key (base64url), the `applicationServerKey`
/// a browser's `pushManager.subscribe` takes.
#[server(prefix = "/api", endpoint = "push_key")]
pub async fn push_key() -> Result<String, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, _) = super::request::require_user().await?;
            Ok(ctx.core.push_public_key()?)
        }
        .await,
    )
}

/// Pushes to this device from now on, until this sign-in ends: its
/// subscription's `endpoint` (at a push service the server sends to) and
/// keys (`p256dh`, `auth`, base64url, as `PushSubscription.toJSON()` gives
/// them). A browser's sign-in only, not an API token.
#[server(prefix = "/api", endpoint = "push_subscribe")]
pub async fn push_subscribe(endpoint: String, p256dh: String, auth: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            // A browser's own sign-in: signing out stops the pushes.
            let (ctx, user) = super::request::require_signed_in_browser().await?;
            let token = super::request::session_token(&ctx).or_else(super::request::bearer_token).unwrap_or_default();
            Ok(ctx.core.subscribe_push((&user, &token), &endpoint, &p256dh, &auth).await?)
        }
        .await,
    )
}

/// Whether the device subscribed at `endpoint` is pushed to for the
/// signed-in person (not after the sign-in it was made under ended).
#[server(prefix = "/api", endpoint = "push_subscribed")]
pub async fn push_subscribed(endpoint: String) -> Result<bool, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            Ok(ctx.core.push_subscribed(&user, &endpoint).await?)
        }
        .await,
    )
}

/// Stops pushing to the device subscribed at `endpoint`.
#[server(prefix = "/api", endpoint = "push_unsubscribe")]
pub async fn push_unsubscribe(endpoint: String) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, user) = super::request::require_user().await?;
            Ok(ctx.core.unsubscribe_push(&user, &endpoint).await?)
        }
        .await,
    )
}
