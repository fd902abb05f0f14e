//! Editing a message: only its author may, while they may post in its
//! channel, within the same rules and rate as posting. The new text is an
//! event of the channel's stream (`edited`, so every tab and device, live
//! or catching up, shows it in order), and the texts it had before are its
//! history, for anyone who may read the message.

use super::{ChannelAccess, Service, fail, server_event_id};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::model::{Message, MessageVersion};

/// What a message's history shows: the message as it is now and the texts
/// it had before, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageHistory {
    pub message: Message,
    pub versions: Vec<MessageVersion>,
}

impl Service {
    /// Replaces the text of the caller's message `seq` of the channel with
    /// `body`: the message as it is now (unchanged, and no event, when it
    /// says this already).
    pub async fn edit_message(&self, access: &ChannelAccess, seq: i64, body: &str) -> CoreResult<Message> {
        let ChannelAccess { standing, channel } = access;
        // As shown: the answer is the message as it is now, reactions and all.
        let message = self.shown_message_of(access, seq).await?;
        access::edit_message(standing.role, channel.kind, channel.joined, message.author_id == standing.user.id)?;
        if message.deleted {
            return Err(CoreError::conflict("A deleted message cannot be edited."));
        }
        // The same checks and rate as a new message.
        let draft = self.draft(&standing.user, "edit", body, &[]).await?;
        let (this, access, body) = (self.clone(), access.clone(), draft.body);
        self.to_the_end("editing a message", async move {
            let ChannelAccess { standing, channel } = access;
            let (store, by, text) = (this.store.clone(), standing.user.clone(), body.clone());
            let write = async move { store.edit_message(channel.id, seq, &by, &text, server_event_id()).await };
            let event = this.write_event(&standing.org.slug, channel.id, "editing a message", write).await?;
            let Some(event) = event else { return Ok(message) };
            tracing::info!(
                user_id = standing.user.id,
                channel_id = channel.id,
                seq,
                event_seq = event.seq,
                "message edited"
            );
            Ok(Message { body, edited: true, ..message })
        })
        .await
    }

    /// Message `seq` of the channel and the texts it had before its edits.
    pub async fn message_history(&self, access: &ChannelAccess, seq: i64) -> CoreResult<MessageHistory> {
        let message = self.shown_message_of(access, seq).await?;
        let versions = if message.deleted {
            Vec::new()
        } else {
            self.store.message_versions(access.channel.id, seq).await.map_err(fail("reading a message's history"))?
        };
        Ok(MessageHistory { message, versions })
    }
}
