//! Threads: a thread's root and replies, following a thread, and the
//! signed-in user's read cursor in it (replying is `send_message` with
//! `thread_of`); and where the user was mentioned.

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::{FollowedThread, MentionListing, ThreadListing, ThreadPage, events::ThreadCursor};

/// The thread of message `root_seq` of a channel: its root and up to
/// `limit` (at most 200; 50 when absent) of its replies before `before_seq`
/// (the newest when absent), oldest first, with whether the signed-in user
/// follows it and where they have read to.
#[server(prefix = "/api", endpoint = "open_thread")]
pub async fn open_thread(
    slug: String,
    channel: String,
    root_seq: i64,
    before_seq: Option<i64>,
    limit: Option<i64>,
) -> Result<ThreadPage, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            let limit = limit.unwrap_or(crate::protocol::HISTORY_PAGE_SIZE);
            Ok(ctx.core.thread(&access, root_seq, before_seq, limit).await?.into())
        }
        .await,
    )
}

/// Marks the thread of message `root_seq` read up to reply `seq` for the
/// signed-in user (on every device: their live connections hear a
/// `thread_read` notice); returns the cursor now.
#[server(prefix = "/api", endpoint = "mark_thread_read")]
pub async fn mark_thread_read(
    slug: String,
    channel: String,
    root_seq: i64,
    seq: i64,
) -> Result<ThreadCursor, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            let last_read_seq = ctx.core.mark_thread_read(&access, root_seq, seq).await?;
            Ok(ThreadCursor { channel_id: access.channel.id, root_seq, last_read_seq })
        }
        .await,
    )
}

/// Follows the thread of message `root_seq` (or stops following it with
/// `follow` false); the signed-in user's devices hear a `thread_followed`
/// notice when that changed anything. Returns whether they follow it now.
#[server(prefix = "/api", endpoint = "follow_thread")]
pub async fn follow_thread(slug: String, channel: String, root_seq: i64, follow: bool) -> Result<bool, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, access) = super::request::require_channel(&slug, &channel).await?;
            Ok(ctx.core.follow_thread(&access, root_seq, follow).await?)
        }
        .await,
    )
}

/// Where the signed-in user was mentioned in an organization, newest first
/// (at most 50), in the channels they read: the Mentions view.
#[server(prefix = "/api", endpoint = "mentions")]
pub async fn mentions(slug: String) -> Result<Vec<MentionListing>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.mentions(&standing, 50).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// The threads the signed-in user follows, newest reply first (at most 50),
/// each with its channel and the message it replies to: the Threads view.
#[server(prefix = "/api", endpoint = "thread_list")]
pub async fn thread_list(slug: String) -> Result<Vec<ThreadListing>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            Ok(ctx.core.thread_list(&standing, 50).await?.into_iter().map(Into::into).collect())
        }
        .await,
    )
}

/// The threads the signed-in user follows in an organization's channels they
/// read, newest reply first, with their unread replies counted.
#[server(prefix = "/api", endpoint = "followed_threads")]
pub async fn followed_threads(slug: String) -> Result<Vec<FollowedThread>, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let channels = ctx.core.list_channels(&standing).await?;
            let threads = ctx.core.followed_threads(&standing, &channels).await?;
            Ok(threads.into_iter().map(Into::into).collect())
        }
        .await,
    )
}
