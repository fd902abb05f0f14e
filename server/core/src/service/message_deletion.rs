//! Deleting a message: its author may, and so may the organization's owners
//! and admins outside direct conversations. The text is wiped from the
//! store, and the deletion is an event of the channel's stream (so every
//! tab and device, live or catching up, hears of it in order); the audit
//! log says who deleted whose message, never what it said.

use std::net::IpAddr;

use super::audit::Audited;
use super::{ChannelAccess, Service, fail, server_event_id};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, EventKind};

impl Service {
    /// Deletes message `seq` of the channel. Deleting one that is already
    /// deleted changes nothing and is no error.
    pub async fn delete_message(&self, access: &ChannelAccess, seq: i64, from: IpAddr) -> CoreResult<()> {
        let ChannelAccess { standing, channel } = access;
        let missing = || CoreError::not_found("There is no such message in this channel.");
        if seq < 1 {
            return Err(missing());
        }
        let message = self.store.message_row_at(channel.id, seq, standing.user.id).await;
        let message = message.map_err(fail("looking up a message"))?;
        let message = message.ok_or_else(missing)?;
        if message.kind != EventKind::Message {
            return Err(CoreError::invalid("Only messages can be deleted."));
        }
        access::delete_message(standing.role, channel.kind, channel.joined, message.author_id == standing.user.id)?;
        if message.deleted {
            return Ok(());
        }
        let (this, access) = (self.clone(), access.clone());
        self.to_the_end("deleting a message", async move {
            let ChannelAccess { standing, channel } = access;
            let (store, by) = (this.store.clone(), standing.user.clone());
            let write = async move { store.delete_message(channel.id, seq, &by, server_event_id()).await };
            let event = this.write_event(&standing.org.slug, channel.id, "deleting a message", write).await?;
            let Some(event) = event else {
                // Deleted by someone else meanwhile.
                return Ok(());
            };
            tracing::info!(
                user_id = standing.user.id,
                channel_id = channel.id,
                seq,
                event_seq = event.seq,
                "message deleted"
            );
            // Its files' bytes go once nothing else refers to them.
            let freeing = this.clone();
            tokio::spawn(async move { freeing.free_unused_files().await });
            let subject = channel.subject();
            let detail = format!("message {seq} by {}", message.author);
            let (org_id, action) = (Some(standing.org.id), AuditAction::MessageDeleted);
            this.audit(&standing.user, from, Audited { org_id, action, subject: &subject, detail: &detail }).await;
            Ok(())
        })
        .await
    }
}
