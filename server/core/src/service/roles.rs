//! Who holds which role in an organization: owners and admins change roles,
//! and an organization always keeps an owner. A change of role takes effect
//! at once: someone who may no longer see a channel is out of sight of it at
//! the change, leaves it if they had joined it, and their live connections
//! to the organization close, so each reconnects with what it may now see.

use std::net::IpAddr;

use super::audit::Audited;
use super::{Revoked, Service, Standing, fail};
use crate::access;
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{AuditAction, Role};
use crate::model::{Member, User};

impl Service {
    /// Gives the member named `username` the role `to`; them as they now are.
    pub async fn set_role(&self, standing: &Standing, username: &str, to: Role, from: IpAddr) -> CoreResult<Member> {
        let target = self.member_named(standing, username).await?;
        let owners = self.store.owner_count(standing.org.id).await.map_err(fail("counting owners"))?;
        access::set_role(standing.role, target.role, to, owners)?;
        if target.role == to {
            return Ok(Member { user: target.user, role: to });
        }
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("changing a role", async move {
            let was = target.role;
            let member = this.change_role(standing.user.id, target, to).await?;
            let detail = format!("{} → {}", was.as_str(), to.as_str());
            let (action, subject) = (AuditAction::RoleChanged, member.user.username.as_str());
            let what = Audited { org_id: Some(standing.org.id), action, subject, detail: &detail };
            this.audit(&standing.user, from, what).await;
            Ok(member)
        })
        .await
    }

    async fn change_role(&self, actor: i64, target: Standing, to: Role) -> CoreResult<Member> {
        let (org, from) = (&target.org, target.role);
        // Out of sight of the channels it was reading and may no longer, at the change.
        let unseen =
            |c: &crate::model::Channel| access::sees(from, c.kind, c.joined) && !access::sees(to, c.kind, c.joined);
        let unseen = self.channels_where(org, target.user.id, unseen).await?;
        let set = self.store.set_role(org.id, target.user.id, to);
        if !self.out_of_sight_of(&org.slug, target.user.id, unseen, set).await.map_err(fail("changing a role"))? {
            // Another owner was demoted or left meanwhile.
            return Err(CoreError::forbidden("The last owner must stay an owner; make someone else an owner first."));
        }
        tracing::info!(user_id = actor, target_user_id = target.user.id, org = %org.slug, from = from.as_str(), to = to.as_str(), "role changed");
        self.leave_unseen(&target, to).await?;
        self.revoke(Revoked::Role { user_id: target.user.id, org_slug: org.slug.clone() });
        Ok(Member { user: target.user, role: to })
    }

    /// Takes `target` out of every channel they had joined that role `now`
    /// may not see, each with its `left` event, after which their sockets
    /// are out of its room.
    async fn leave_unseen(&self, target: &Standing, now: Role) -> CoreResult<()> {
        let (org, user): (_, &User) = (&target.org, &target.user);
        let channels = self.store.channels_of(org.id, user.id).await.map_err(fail("listing channels"))?;
        for channel in channels.into_iter().filter(|c| c.joined && !access::sees(now, c.kind, c.joined)) {
            self.change_membership_as(user, &org.slug, channel, false, ChannelEvent::LostSight).await?;
        }
        Ok(())
    }
}
