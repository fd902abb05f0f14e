//! Searching an organization's messages (those the signed-in user may read).

use leptos::prelude::*;

use crate::errors::ApiError;
use crate::protocol::search::SearchResults;

/// Searches the messages the signed-in user may read in an organization
/// for `q` (words and "phrases", each found anywhere in the text from three
/// characters on, whatever the case; filters `in:#channel`, `from:@person`,
/// `before:` and `after:` a date, `has:file`, `in:thread`), newest first,
/// or best match first with `best`; 20 hits a page from `offset` (0 to
/// 1000). `invalid` when there is nothing to look for or a filter does not
/// read; `rate_limited` past a few searches a second.
#[server(prefix = "/api", endpoint = "search")]
pub async fn search(
    slug: String,
    q: String,
    best: Option<bool>,
    offset: Option<i64>,
) -> Result<SearchResults, ApiError> {
    super::request::with_status(
        async move {
            let (ctx, standing) = super::request::require_member(&slug).await?;
            let found = ctx.core.search(&standing, &q, best.unwrap_or(false), offset.unwrap_or(0)).await?;
            Ok(found.into())
        }
        .await,
    )
}
