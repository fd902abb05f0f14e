//! Channels: list, create, join, leave, read history.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{Channel, ChatMessage, HistoryPage};

/// The channels of an organization the signed-in user can see.
#[server(prefix = "/api", endpoint = "list_channels")]
pub async fn list_channels(slug: String) -> Result<Vec<Channel>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.list_channels(&standing).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// Creates a channel, public unless `kind` says `private` or `supervisor`
/// (its creator joins it), and opens it.
#[server(prefix = "/api", endpoint = "create_channel")]
pub async fn create_channel(slug: String, name: String, kind: Option<String>) -> Result<Channel, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let kind = confab_core::rules::new_channel_kind(kind.as_deref())?;
            let channel =
                Channel::from(ctx.core.create_channel(&standing, &name, kind, super::request::client_ip()).await?);
            leptos_axum::redirect(&format!("/o/{slug}/c/{}", channel.name));
            Ok(channel)
        }
        .await,
    )
}

/// Finds or starts the direct conversation of the signed-in user with the
/// members named `usernames` (1 to 7 others); its other people see it
/// appear at once. Returns it (its `name` is the one to use in other calls)
/// and opens it.
#[server(prefix = "/api", endpoint = "open_direct")]
pub async fn open_direct(slug: String, usernames: Vec<String>) -> Result<Channel, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let channel = Channel::from(ctx.core.open_direct(&standing, &usernames).await?);
            leptos_axum::redirect(&format!("/o/{slug}/c/{}", channel.name));
            Ok(channel)
        }
        .await,
    )
}

/// Adds the member `username` to a private channel the signed-in user is
/// in, or to a supervisor channel (someone who may see it); they see it
/// appear at once. Returns the channel as the signed-in user sees it.
#[server(prefix = "/api", endpoint = "add_to_channel")]
pub async fn add_to_channel(slug: String, channel: String, username: String) -> Result<Channel, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.add_to_channel(&access, &username, super::request::client_ip()).await?.into())
        }
        .await,
    )
}

/// Joins a channel, so its messages can be posted to.
#[server(prefix = "/api", endpoint = "join_channel")]
pub async fn join_channel(slug: String, channel: String) -> Result<Channel, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.join_channel(&access, super::request::client_ip()).await?.into())
        }
        .await,
    )
}

/// Leaves a channel.
#[server(prefix = "/api", endpoint = "leave_channel")]
pub async fn leave_channel(slug: String, channel: String) -> Result<Channel, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.leave_channel(&access, super::request::client_ip()).await?.into())
        }
        .await,
    )
}

/// A page of a channel's history, oldest first: the newest messages, or those
/// before `before_seq`. `limit` defaults to 50 (at most 200).
#[server(prefix = "/api", endpoint = "history")]
pub async fn history(
    slug: String,
    channel: String,
    before_seq: Option<i64>,
    limit: Option<i64>,
) -> Result<HistoryPage, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            let limit = limit.unwrap_or(crate::protocol::HISTORY_PAGE_SIZE);
            Ok(ctx.core.history(&access, before_seq, limit).await?.into())
        }
        .await,
    )
}

/// Sends a message to a channel over HTTP (for scripts and bots without a live
/// connection): stored and delivered exactly as a socket's `send`, and just as
/// idempotent by `client_id`. With `thread_of`, a reply in that message's
/// thread (`in_channel`: shown in the channel too). `files`: uploads of
/// the sender's to this channel sent with it (the body may then be empty).
#[server(prefix = "/api", endpoint = "send_message")]
pub async fn send_message(
    slug: String,
    channel: String,
    client_id: String,
    body: String,
    thread_of: Option<i64>,
    in_channel: Option<bool>,
    files: Option<Vec<i64>>,
) -> Result<ChatMessage, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            let files = files.unwrap_or_default();
            let mut draft = ctx.core.draft(&access.standing.user, &client_id, &body, &files).await?;
            if let Some(root) = thread_of {
                draft = draft.in_thread(root, in_channel.unwrap_or(false));
            }
            Ok(ctx.core.post(&access, draft).await?.message.into())
        }
        .await,
    )
}

/// Deletes message `seq` of a channel: one's own, or as an owner or admin
/// anyone's outside direct conversations. Everyone in the channel hears of
/// it live (a `deleted` event); deleting it twice is no error.
#[server(prefix = "/api", endpoint = "delete_message")]
pub async fn delete_message(slug: String, channel: String, seq: i64) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.delete_message(&access, seq, super::request::client_ip()).await?)
        }
        .await,
    )
}

/// Marks a channel read up to `seq` for the signed-in user (on every device:
/// their live connections hear it as `read`); returns the read cursor now.
#[server(prefix = "/api", endpoint = "mark_read")]
pub async fn mark_read(slug: String, channel: String, seq: i64) -> Result<i64, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.mark_read(&access, seq).await?)
        }
        .await,
    )
}
