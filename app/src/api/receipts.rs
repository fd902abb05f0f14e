//! The organization's settings its owners set: read receipts (and how far
//! each person of a channel has read it, where they show), and who may
//! mention everyone in a channel.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{ReadPosition, ReceiptPolicy};

/// How far each person who has joined a channel has read it (by user id),
/// where the channel shows read receipts (`forbidden` where it does not).
/// Live, the channel's room hears `read_by` as each cursor moves.
#[server(prefix = "/api", endpoint = "read_receipts")]
pub async fn read_receipts(slug: String, channel: String) -> Result<Vec<ReadPosition>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.read_receipts(&access).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// Lets members (not only owners and admins) mention everyone in a channel
/// with `@channel` and `@here` (`allowed`; absent: not), owners only.
/// Returns whether they may now.
#[server(prefix = "/api", endpoint = "set_mention_policy")]
pub async fn set_mention_policy(slug: String, allowed: Option<bool>) -> Result<bool, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let ip = super::request::client_ip();
            Ok(ctx.core.set_members_mention_all(&standing, allowed.unwrap_or(false), ip).await?)
        }
        .await,
    )
}

/// Sets the organization's policy on read receipts (owners): `on` (absent:
/// off), in channels of up to `up_to` people (2 to 100).
#[server(prefix = "/api", endpoint = "set_read_receipts")]
pub async fn set_read_receipts(slug: String, on: Option<bool>, up_to: i64) -> Result<ReceiptPolicy, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let policy = confab_core::model::ReceiptPolicy { on: on.unwrap_or(false), up_to };
            let ip = super::request::client_ip();
            Ok(ctx.core.set_receipt_policy(&standing, policy, ip).await?.into())
        }
        .await,
    )
}
