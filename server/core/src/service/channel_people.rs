//! Who is in a restricted channel: the members of a private channel add
//! people to it, and those who may join a supervisor channel add others who
//! may see it. The person added hears of it at once (`ChannelAdded`).

use std::net::IpAddr;

use super::audit::Audited;
use super::{Audience, ChannelAccess, Service, UserNotice};
use crate::access;
use crate::error::CoreResult;
use crate::kinds::AuditAction;
use crate::model::{Channel, User};

impl Service {
    /// Adds the member named `username` to channel `name`; the channel as
    /// the signed-in user sees it.
    pub async fn add_to_channel(
        &self,
        user: &User,
        slug: &str,
        name: &str,
        username: &str,
        from: IpAddr,
    ) -> CoreResult<Channel> {
        let (org, ChannelAccess { role, channel }) = self.channel_named(user, slug, name).await?;
        let (target, target_role) = self.member_named(org.id, username).await?;
        access::add_to_channel(role, channel.kind, channel.joined, target_role)?;
        let theirs = self
            .store
            .channel_by_id(channel.id, target.id)
            .await
            .map_err(super::fail("looking up channel"))?
            .ok_or_else(|| crate::error::CoreError::not_found("There is no such channel in this organization."))?;
        if theirs.joined {
            return Ok(channel);
        }
        let theirs = self.change_membership(&target, &org.slug, theirs, true).await?;
        tracing::info!(user_id = user.id, added_user_id = target.id, channel_id = channel.id, "added to channel");
        let detail = format!("{} ({})", channel.subject(), channel.kind.as_str());
        let (action, subject) = (AuditAction::AddedToChannel, target.username.as_str());
        self.audit(user, from, Audited { org_id: Some(org.id), action, subject, detail: &detail }).await;
        self.notify(UserNotice::ChannelAdded {
            to: Audience::People(vec![target.id]),
            org_slug: org.slug,
            channel: theirs,
        });
        Ok(channel)
    }
}
