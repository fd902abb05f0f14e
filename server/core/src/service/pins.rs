//! Pins: anyone who may post in a channel pins a message there for everyone
//! (or unpins it); each is an event of the channel's stream, and the
//! channel lists what is pinned now.

use super::{ChannelAccess, Service, fail, server_event_id};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::model::Message;

impl Service {
    /// Pins message `seq` of the channel (`pin`), or unpins it. Pinning one
    /// that is pinned, or unpinning one that is not, changes nothing and is
    /// no error.
    pub async fn pin(&self, access: &ChannelAccess, seq: i64, pin: bool) -> CoreResult<()> {
        let ChannelAccess { standing, channel } = access;
        access::pin(standing.role, channel.kind, channel.joined)?;
        let message = self.message_of(access, seq).await?;
        if message.deleted {
            return Err(CoreError::conflict("A deleted message cannot be pinned."));
        }
        self.within_message_rate(&standing.user).await?;
        let (this, access) = (self.clone(), access.clone());
        self.to_the_end("pinning a message", async move {
            let ChannelAccess { standing, channel } = access;
            let (store, by) = (this.store.clone(), standing.user.clone());
            let write = async move { store.pin(channel.id, seq, &by, pin, server_event_id()).await };
            if let Some(event) = this.write_event(&standing.org.slug, channel.id, "pinning a message", write).await? {
                tracing::info!(
                    user_id = standing.user.id,
                    channel_id = channel.id,
                    seq,
                    pin,
                    event_seq = event.seq,
                    "pin changed"
                );
            }
            Ok(())
        })
        .await
    }

    /// The messages pinned in the channel now, the most recently pinned
    /// first (those the caller may read).
    pub async fn pinned(&self, access: &ChannelAccess) -> CoreResult<Vec<Message>> {
        let ChannelAccess { standing, channel } = access;
        self.store.pinned(channel.id, standing.user.id).await.map_err(fail("listing pinned messages"))
    }
}
