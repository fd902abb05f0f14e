//! Channels: creating one (public, private or supervisor), listing those one
//! may see, joining and leaving. Joining and leaving are events of the
//! channel's stream, written in its turn.

use std::net::IpAddr;

use super::audit::Audited;
use super::{ChannelAccess, Service, Standing, fail, in_sight, server_event_id};
use crate::access;
use crate::auth;
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, ChannelKind};
use crate::model::{Channel, Message, News, User};
use crate::rules;
use crate::store::StoreError;

impl Service {
    /// The channels of the organization the caller may see, by name.
    pub async fn list_channels(&self, standing: &Standing) -> CoreResult<Vec<Channel>> {
        let rows = self.store.channels_of(standing.org.id, standing.user.id).await.map_err(fail("listing channels"))?;
        Ok(rows.into_iter().filter(in_sight(standing.role)).collect())
    }

    /// Creates a channel of `kind` (public, private or supervisor) its
    /// creator has joined; whoever may see it sees it appear.
    pub async fn create_channel(
        &self,
        standing: &Standing,
        name: &str,
        kind: ChannelKind,
        from: IpAddr,
    ) -> CoreResult<Channel> {
        access::create_channel(standing.role, kind)?;
        let name = rules::channel_name(name)?;
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("creating a channel", async move { this.create_channel_now(&standing, name, kind, from).await })
            .await
    }

    async fn create_channel_now(
        &self,
        standing: &Standing,
        name: String,
        kind: ChannelKind,
        from: IpAddr,
    ) -> CoreResult<Channel> {
        let (user, org) = (&standing.user, &standing.org);
        let taken = || CoreError::conflict(format!("The name #{name} is taken; choose another."));
        // Only a name the creator sees is taken to them: a hidden channel's
        // name neither blocks nor shows (restricted channels' addresses are
        // tagged, so they never meet another's).
        let seen = self.list_channels(standing).await?;
        if seen.iter().any(|c| c.kind != ChannelKind::Direct && rules::channel_label(&c.name) == name) {
            return Err(taken());
        }
        let row = loop {
            let address = match kind {
                ChannelKind::Public => name.clone(),
                _ => rules::restricted_address(&name, &auth::new_token()[..8]),
            };
            match self.store.create_channel(org.id, &address, kind, user.id).await {
                Ok(row) => break row,
                // A public name taken meanwhile; a tag drawn twice: draw again.
                Err(StoreError::Conflict(_)) if kind == ChannelKind::Public => return Err(taken()),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(fail("creating channel")(e)),
            }
        };
        tracing::info!(user_id = user.id, org = %org.slug, channel_id = row.id, kind = kind.as_str(), "channel created");
        let subject = row.subject();
        let what = Audited {
            org_id: Some(org.id),
            action: AuditAction::ChannelCreated,
            subject: &subject,
            detail: kind.as_str(),
        };
        self.audit(user, from, what).await;
        // The creator's other devices see it joined; those who may see it, not.
        self.notify(org, &[user.id], News::ChannelAdded(row.clone())).await;
        if matches!(kind, ChannelKind::Public | ChannelKind::Supervisor) {
            let members = self.store.members_of(org.id).await.map_err(fail("listing members"))?;
            let seeing = members.iter().filter(|m| m.user.id != user.id && access::sees(m.role, kind, false));
            let others: Vec<i64> = seeing.map(|m| m.user.id).collect();
            let channel = Channel { joined: false, last_read_seq: 0, unread: 0, mentions: 0, ..row.clone() };
            self.notify(org, &others, News::ChannelAdded(channel)).await;
        }
        Ok(row)
    }

    /// Joins a channel (so its holder may post in it).
    pub async fn join_channel(&self, access: &ChannelAccess, from: IpAddr) -> CoreResult<Channel> {
        let ChannelAccess { standing, channel } = access;
        access::join_channel(standing.role, channel.kind, channel.joined)?;
        self.change_membership_audited(access.clone(), true, from).await
    }

    /// Leaves a channel.
    pub async fn leave_channel(&self, access: &ChannelAccess, from: IpAddr) -> CoreResult<Channel> {
        let ChannelAccess { standing, channel } = access;
        access::leave_channel(standing.role, channel.kind, channel.joined)?;
        self.change_membership_audited(access.clone(), false, from).await
    }

    async fn change_membership_audited(&self, access: ChannelAccess, join: bool, from: IpAddr) -> CoreResult<Channel> {
        let this = self.clone();
        let what = if join { "joining a channel" } else { "leaving a channel" };
        self.to_the_end(what, async move {
            let ChannelAccess { standing, channel } = access;
            let changes = channel.joined != join;
            let channel = this.change_membership(&standing, channel, join).await?;
            if changes {
                let action = if join { AuditAction::ChannelJoined } else { AuditAction::ChannelLeft };
                let (subject, detail) = (channel.subject(), channel.kind.as_str());
                this.audit(
                    &standing.user,
                    from,
                    Audited { org_id: Some(standing.org.id), action, subject: &subject, detail },
                )
                .await;
            }
            Ok(channel)
        })
        .await
    }

    /// Joins (`join`) or leaves a channel in its turn, with its event if that
    /// changed anything; the channel as its holder now stands in it. Whoever
    /// leaves a channel they may not see without being in it (a private
    /// one) loses sight of it at that point.
    pub(super) async fn change_membership(
        &self,
        standing: &Standing,
        channel: Channel,
        join: bool,
    ) -> CoreResult<Channel> {
        let publish = if !join && !access::sees(standing.role, channel.kind, false) {
            ChannelEvent::LostSight
        } else {
            ChannelEvent::Message
        };
        self.change_membership_as(&standing.user, &standing.org.slug, channel, join, publish).await
    }

    /// [`Service::change_membership`], its event published as `publish` makes it.
    pub(super) async fn change_membership_as(
        &self,
        user: &User,
        org_slug: &str,
        mut channel: Channel,
        join: bool,
        publish: fn(Message) -> ChannelEvent,
    ) -> CoreResult<Channel> {
        let (store, id, member) = (self.store.clone(), channel.id, user.clone());
        let what = if join { "joining channel" } else { "leaving channel" };
        let write = async move {
            if join {
                store.join_channel(id, &member, server_event_id()).await
            } else {
                store.leave_channel(id, &member, server_event_id()).await
            }
        };
        let event = self.write_event_as(org_slug, id, what, publish, write).await?;
        if let Some(event) = &event {
            tracing::info!(user_id = user.id, channel_id = id, seq = event.seq, join, "channel membership changed");
            channel.last_seq = event.seq;
        }
        channel.joined = join;
        if !join {
            (channel.last_read_seq, channel.unread) = (0, 0);
        } else if let Some(event) = event {
            // What came before joining counts as read.
            channel.last_read_seq = event.seq;
        }
        Ok(channel)
    }
}
