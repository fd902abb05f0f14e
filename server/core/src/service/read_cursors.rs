//! Read cursors: per person and joined channel, the newest `seq` they have
//! read. Reading on one device moves it for all of them: every live
//! connection of that person hears it (a notice of their stream).

use super::{ChannelAccess, Service, UserNotice, fail};
use crate::error::{CoreError, CoreResult};
use crate::model::News;

impl Service {
    /// Moves the caller's read cursor in a channel they joined forward to
    /// `seq` (never back, never past the channel's newest event) and tells
    /// their other devices (and, where it shows receipts, the channel's
    /// room); where it is now.
    pub async fn mark_read(&self, access: &ChannelAccess, seq: i64) -> CoreResult<i64> {
        let ChannelAccess { standing, channel } = access;
        if !channel.joined {
            return Err(CoreError::forbidden("Join the channel to keep your place in it."));
        }
        let user_id = standing.user.id;
        let (last_read_seq, notice_seq) =
            self.store.mark_read(standing.org.id, user_id, channel.id, seq).await.map_err(fail("marking read"))?;
        if let Some(seq) = notice_seq {
            self.tell(UserNotice {
                org_slug: standing.org.slug.clone(),
                to: vec![(user_id, seq)],
                news: News::Read { channel_id: channel.id, last_read_seq },
            });
            self.tell_read_moved(access, last_read_seq).await;
        }
        Ok(last_read_seq)
    }
}
