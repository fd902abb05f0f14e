//! Taking people out of an organization: owners and admins remove members,
//! and members leave. Whoever goes leaves each channel they had joined (its
//! `left` event in its stream), is out of sight of every channel at the
//! point the membership ends, and their live connections close.

use std::net::IpAddr;

use super::audit::Audited;
use super::{Revoked, Service, Standing, fail, in_sight, server_event_id};
use crate::access;
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, Role};

impl Service {
    /// Takes `username` out of the organization; their live connections to it close.
    pub async fn remove_member(&self, standing: &Standing, username: &str, from: IpAddr) -> CoreResult<()> {
        let target = self.member_named(standing, username).await?;
        let owners = self.store.owner_count(standing.org.id).await.map_err(fail("counting owners"))?;
        access::remove_member(standing.role, target.role, owners)?;
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("removing a member", async move {
            let removed = target.user.username.clone();
            this.take_out(standing.user.id, target, true).await?;
            let what = Audited {
                org_id: Some(standing.org.id),
                action: AuditAction::MemberRemoved,
                subject: &removed,
                detail: "",
            };
            this.audit(&standing.user, from, what).await;
            Ok(())
        })
        .await
    }

    /// Takes the caller out of the organization (not its last owner).
    pub async fn leave_org(&self, standing: &Standing, from: IpAddr) -> CoreResult<()> {
        let owners = self.store.owner_count(standing.org.id).await.map_err(fail("counting owners"))?;
        access::leave_org(standing.role, owners)?;
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("leaving an organization", async move {
            this.take_out(standing.user.id, standing.clone(), false).await?;
            let what = Audited { org_id: Some(standing.org.id), action: AuditAction::LeftOrg, subject: "", detail: "" };
            this.audit(&standing.user, from, what).await;
            Ok(())
        })
        .await
    }

    /// Takes `removed` out of each channel of their organization they
    /// joined, each with its `left` event in that channel's turn, and then
    /// out of the organization. In that order, a failure half-way leaves
    /// them a member of fewer channels, never a non-member still in
    /// channels; removing again finishes. A `removal` (not a leaving)
    /// sticks: invite links made before it no longer let them back in.
    async fn take_out(&self, remover: i64, removed: Standing, removal: bool) -> CoreResult<()> {
        let org = &removed.org;
        let channels =
            self.store.joined_channels(org.id, removed.user.id).await.map_err(fail("listing channels left"))?;
        for channel_id in channels {
            let (store, user) = (self.store.clone(), removed.user.clone());
            let leave = async move { store.leave_channel(channel_id, &user, server_event_id()).await };
            self.write_event_as(&org.slug, channel_id, "leaving channel", ChannelEvent::LostSight, leave).await?;
        }
        // Public and supervisor channels are read without being joined, and
        // they may have been put in others since: the removed person's
        // connections leave the rooms of all they could see as the
        // membership ends, with whatever role they held meanwhile.
        let in_sight = self.channels_where(org, removed.user.id, in_sight(Role::Owner)).await?;
        let remove = self.store.remove_membership(org.id, removed.user.id, removal);
        let removed_now = self
            .out_of_sight_of(&org.slug, removed.user.id, in_sight, remove)
            .await
            .map_err(fail("removing member"))?;
        if removed_now {
            tracing::info!(user_id = remover, removed_user_id = removed.user.id, org = %org.slug, "member removed");
            self.revoke(Revoked::Membership { user_id: removed.user.id, org_slug: org.slug.clone() });
            return Ok(());
        }
        // Refused by the store: the last owner (another owner left or was
        // demoted since the count was read; they keep the channels left
        // above), or gone already.
        match self.store.role_in(org.id, removed.user.id).await.map_err(fail("looking up membership"))? {
            Some(Role::Owner) => {
                Err(CoreError::forbidden("An organization keeps at least one owner: make someone else an owner first."))
            }
            _ => Ok(()),
        }
    }
}
