//! Who holds which role in an organization: owners and admins change roles,
//! people leave, and an organization always keeps an owner. A change of role
//! takes effect at once: someone who may no longer see supervisor channels
//! leaves those they had joined, and their live connections to the
//! organization close, so each reconnects with what it may now see.

use std::net::IpAddr;

use super::audit::Audited;
use super::{Revoked, Service, fail};
use crate::access;
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, ChannelKind, Role};
use crate::model::{Member, Org, User};

impl Service {
    /// Gives the member named `username` the role `to`; them as they now are.
    pub async fn set_role(
        &self,
        user: &User,
        slug: &str,
        username: &str,
        to: Role,
        from_address: IpAddr,
    ) -> CoreResult<Member> {
        let (org, role) = self.org_for(user, slug).await?;
        let (target, from) = self.member_named(org.id, username).await?;
        let owners = self.store.owner_count(org.id).await.map_err(fail("counting owners"))?;
        access::set_role(role, from, to, owners)?;
        if from == to {
            return Ok(Member { user: target, role: to });
        }
        // In a task of its own, so a caller that gives up cannot stop it half-way.
        let (this, actor) = (self.clone(), user.id);
        let org_id = org.id;
        let change = tokio::spawn(async move { this.change_role(actor, org, target, from, to).await });
        let member = change.await.map_err(|e| {
            tracing::error!(error = %e, "changing a role");
            CoreError::Internal
        })??;
        let detail = format!("{} → {}", from.as_str(), to.as_str());
        let (action, subject) = (AuditAction::RoleChanged, member.user.username.as_str());
        self.audit(user, from_address, Audited { org_id: Some(org_id), action, subject, detail: &detail }).await;
        Ok(member)
    }

    async fn change_role(&self, actor: i64, org: Org, target: User, from: Role, to: Role) -> CoreResult<Member> {
        // Out of sight of supervisor channels it was reading, at the change.
        let unseen = if from.sees_supervisor_rooms() && !to.sees_supervisor_rooms() {
            self.channels_where(&org, target.id, |c| c.kind == ChannelKind::Supervisor).await?
        } else {
            Vec::new()
        };
        let set = self.store.set_role(org.id, target.id, to);
        if !self.out_of_sight_of(&org.slug, target.id, unseen, set).await.map_err(fail("changing a role"))? {
            // Another owner was demoted or left meanwhile.
            return Err(CoreError::forbidden("The last owner must stay an owner; make someone else an owner first."));
        }
        tracing::info!(user_id = actor, target_user_id = target.id, org = %org.slug, from = from.as_str(), to = to.as_str(), "role changed");
        if !to.sees_supervisor_rooms() {
            self.leave_unseen(&org, &target, ChannelKind::Supervisor).await?;
        }
        self.revoke(Revoked::Role { user_id: target.id, org_slug: org.slug });
        Ok(Member { user: target, role: to })
    }

    /// Takes `user` out of every channel of `kind` in `org` they had joined,
    /// each with its `left` event, after which their sockets are out of its
    /// room.
    async fn leave_unseen(&self, org: &Org, user: &User, kind: ChannelKind) -> CoreResult<()> {
        let channels = self.store.channels_of(org.id, user.id).await.map_err(fail("listing channels"))?;
        for channel in channels.into_iter().filter(|c| c.kind == kind && c.joined) {
            self.change_membership_as(user, &org.slug, channel, false, ChannelEvent::LostSight).await?;
        }
        Ok(())
    }

    /// Takes the signed-in user out of the organization (not its last owner).
    pub async fn leave_org(&self, user: &User, slug: &str, from: IpAddr) -> CoreResult<()> {
        let (org, role) = self.org_for(user, slug).await?;
        let owners = self.store.owner_count(org.id).await.map_err(fail("counting owners"))?;
        access::leave_org(role, owners)?;
        let (this, leaving, org_id) = (self.clone(), user.clone(), org.id);
        let leave = tokio::spawn(async move { this.take_out(leaving.id, org, leaving).await });
        leave.await.map_err(|e| {
            tracing::error!(error = %e, "leaving an organization");
            CoreError::Internal
        })??;
        let what = Audited { org_id: Some(org_id), action: AuditAction::LeftOrg, subject: "", detail: "" };
        self.audit(user, from, what).await;
        Ok(())
    }
}
