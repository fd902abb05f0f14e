//! Changes of who may see a channel (a removal, a demotion) land at one
//! point of each channel's stream: the change is committed holding the turns
//! of the channels it takes out of sight, and from that point on the
//! person's live connections are out of their rooms, so nothing said there
//! after the change reaches them.

use std::future::Future;

use super::{Service, fail};
use crate::channel_events::{Feed, OutOfSight};
use crate::error::CoreResult;
use crate::model::{Channel, Org};
use crate::store::StoreResult;

impl Service {
    /// The ids of the channels of `org`, as `user_id` stands in them, that `keep`.
    pub(super) async fn channels_where(
        &self,
        org: &Org,
        user_id: i64,
        keep: impl Fn(&Channel) -> bool,
    ) -> CoreResult<Vec<i64>> {
        let channels = self.store.channels_of(org.id, user_id).await.map_err(fail("listing channels"))?;
        Ok(channels.into_iter().filter(|c| keep(c)).map(|c| c.id).collect())
    }

    /// Runs `change` (one that takes `channel_ids` out of `user_id`'s sight)
    /// in the turns of those channels; if it changed anything, from that
    /// point of each channel's stream on, the person's live connections are
    /// out of its room.
    pub(super) async fn out_of_sight_of(
        &self,
        org_slug: &str,
        user_id: i64,
        channel_ids: Vec<i64>,
        change: impl Future<Output = StoreResult<bool>>,
    ) -> StoreResult<bool> {
        let change = async {
            let changed = change.await;
            let gone = |channel_id| Feed::OutOfSight(OutOfSight { org_slug: org_slug.to_owned(), channel_id, user_id });
            let feeds =
                if matches!(changed, Ok(true)) { channel_ids.iter().copied().map(gone).collect() } else { vec![] };
            (changed, feeds)
        };
        self.events.across(&channel_ids, change).await
    }
}
