//! Changing a message after it was sent: editing it (and reading what it
//! said before), reactions, and pins.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{ChatMessage, MessageHistory};

/// Replaces the text of the signed-in user's message `seq` of a channel
/// (same rules and rate as sending). Everyone in the channel hears of it
/// live (an `edited` event); the answer is the message as it is now.
#[server(prefix = "/api", endpoint = "edit_message")]
pub async fn edit_message(slug: String, channel: String, seq: i64, body: String) -> Result<ChatMessage, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.edit_message(&access, seq, &body).await?.into())
        }
        .await,
    )
}

/// Message `seq` of a channel as it is now, and the texts it had before
/// its edits, oldest first.
#[server(prefix = "/api", endpoint = "edit_history")]
pub async fn edit_history(slug: String, channel: String, seq: i64) -> Result<MessageHistory, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.message_history(&access, seq).await?.into())
        }
        .await,
    )
}

/// Puts an emoji on message `seq` of a channel as the signed-in user, or
/// takes it back (`remove`). Everyone in the channel hears of it live (a
/// `reaction_added` or `reaction_removed` event).
#[server(prefix = "/api", endpoint = "react")]
pub async fn react(
    slug: String,
    channel: String,
    seq: i64,
    emoji: String,
    remove: Option<bool>,
) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.react(&access, seq, &emoji, !remove.unwrap_or(false)).await?)
        }
        .await,
    )
}

/// Pins message `seq` of a channel for everyone in it, or unpins it
/// (`unpin`): anyone who may post there. Everyone in the channel hears of it
/// live (a `pinned` or `unpinned` event).
#[server(prefix = "/api", endpoint = "pin")]
pub async fn pin(slug: String, channel: String, seq: i64, unpin: Option<bool>) -> Result<(), ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.pin(&access, seq, !unpin.unwrap_or(false)).await?)
        }
        .await,
    )
}

/// The messages pinned in a channel now, the most recently pinned first.
#[server(prefix = "/api", endpoint = "pinned_messages")]
pub async fn pinned_messages(slug: String, channel: String) -> Result<Vec<ChatMessage>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.pinned(&access).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}
