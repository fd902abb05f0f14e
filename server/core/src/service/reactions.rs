//! Reactions: anyone who may read a channel may put an emoji on a message
//! in it, once each, and take it back, within the rate of their messages.
//! Each change is an event of the channel's stream (`reaction_added`,
//! `reaction_removed`), so every tab and device shows the same counts.

use super::{ChannelAccess, Service, fail, server_event_id};
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::rules::{self, MAX_REACTIONS_PER_MESSAGE};
use crate::store::Reacted;

impl Service {
    /// Puts `emoji` on message `seq` of the channel as the caller (`add`),
    /// or takes it back. Putting one that is there, or taking back one that
    /// is not, changes nothing and is no error.
    pub async fn react(&self, access: &ChannelAccess, seq: i64, emoji: &str, add: bool) -> CoreResult<()> {
        let emoji = rules::emoji(emoji)?;
        let message = self.message_of(access, seq).await?;
        if message.deleted {
            return Err(CoreError::conflict("A deleted message takes no reactions."));
        }
        self.within_message_rate(&access.standing.user).await?;
        let (this, access) = (self.clone(), access.clone());
        let reacted = self
            .to_the_end("reacting to a message", async move {
                let ChannelAccess { standing, channel } = access;
                let (store, by) = (this.store.clone(), standing.user.clone());
                this.events
                    .write(&standing.org.slug, channel.id, async move {
                        let reacted = store.react(channel.id, seq, &by, emoji, add, server_event_id()).await?;
                        let event = match &reacted {
                            Reacted::Event(e) => Some(ChannelEvent::Message((**e).clone())),
                            _ => None,
                        };
                        Ok((reacted, event))
                    })
                    .await
                    .map_err(|e| {
                        tracing::error!(error = %e, "reacting to a message");
                        CoreError::Internal
                    })?
                    .map_err(fail("reacting to a message"))
            })
            .await?;
        match reacted {
            Reacted::Event(_) | Reacted::Unchanged => Ok(()),
            Reacted::Full => Err(CoreError::conflict(format!(
                "A message takes at most {MAX_REACTIONS_PER_MESSAGE} different reactions."
            ))),
            Reacted::NoMessage => Err(CoreError::not_found("There is no such message in this channel.")),
        }
    }
}
