//! Search: the messages one may read in an organization whose text holds
//! every word searched for (see [`crate::search_query`] for what may be
//! typed), newest first or best match first, a page at a time, each with a
//! snippet of its text. What the caller may read is decided by the query
//! itself (`store::search`), so a search for a word said only where they
//! may not read answers exactly as one for a word never said.

use std::num::NonZeroU32;

use governor::Quota;

use super::{Service, Standing, fail};
use crate::error::{CoreError, CoreResult};
use crate::model::{SearchHit, SearchResults};
use crate::search_query;
use crate::search_snippet::snippet;
use crate::store::Search;

/// Hits on one page.
pub const SEARCH_PAGE: i64 = 20;
/// How far into the results pages go (past that, narrow the search).
pub const MAX_SEARCH_OFFSET: i64 = 1000;

/// Searches a person may make each second, unless set otherwise.
pub const SEARCHES_PER_SECOND: u32 = 5;

/// Each person's searches: `per_second`, twice as many at once.
pub(super) fn rate(per_second: u32) -> Quota {
    let rate = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN)))
}

impl Service {
    /// Searches the messages the caller may read in their organization for
    /// `text`, best match first if `best_first` (else newest first), the
    /// page starting `offset` hits in.
    pub async fn search(
        &self,
        standing: &Standing,
        text: &str,
        best_first: bool,
        offset: i64,
    ) -> CoreResult<SearchResults> {
        let query = search_query::parse(text)?;
        if !(0..=MAX_SEARCH_OFFSET).contains(&offset) {
            return Err(CoreError::invalid(format!(
                "Results go {MAX_SEARCH_OFFSET} deep; narrow the search to see older ones."
            )));
        }
        if self.search_rate.check_key(&standing.user.id).is_err() {
            return Err(CoreError::rate_limited("You are searching too fast; wait a moment and search again."));
        }
        let search = Search {
            org_id: standing.org.id,
            reader: standing.user.id,
            sees_supervisor: standing.role.sees_supervisor_rooms(),
            terms: &query.terms,
            channel: query.channel.as_deref(),
            from: query.from.as_deref(),
            before: query.before,
            after: query.after,
            has_file: query.has_file,
            in_thread: query.in_thread,
            best_first,
            limit: SEARCH_PAGE + 1,
            offset,
        };
        let mut rows = self.store.search(&search).await.map_err(fail("searching"))?;
        let more = rows.len() > SEARCH_PAGE as usize;
        rows.truncate(SEARCH_PAGE as usize);
        let hits = rows
            .into_iter()
            .map(|r| SearchHit {
                snippet: snippet(&r.body, &query.terms),
                channel_id: r.channel_id,
                channel_name: r.channel_name,
                channel_kind: r.channel_kind,
                seq: r.seq,
                author_id: r.author_id,
                author: r.author,
                sent_at: r.sent_at,
                thread_of: r.thread_of,
            })
            .collect();
        Ok(SearchResults { hits, ignored: query.ignored, more })
    }
}
