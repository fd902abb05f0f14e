//! Who is in a restricted channel: the members of a private channel add
//! people to it, and those who may join a supervisor channel add others who
//! may see it. The person added hears of it at once (`ChannelAdded`).

use std::net::IpAddr;

use super::audit::Audited;
use super::{ChannelAccess, Service, fail};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::kinds::AuditAction;
use crate::model::{Channel, News};

impl Service {
    /// Adds the member named `username` to the channel; the channel as the
    /// caller sees it.
    pub async fn add_to_channel(&self, access: &ChannelAccess, username: &str, from: IpAddr) -> CoreResult<Channel> {
        let ChannelAccess { standing, channel } = access;
        let target = self.member_named(standing, username).await?;
        access::add_to_channel(standing.role, channel.kind, channel.joined, target.role)?;
        let theirs = self
            .store
            .channel_by_id(channel.id, target.user.id)
            .await
            .map_err(fail("looking up channel"))?
            .ok_or_else(|| CoreError::not_found("There is no such channel in this organization."))?;
        if theirs.joined {
            return Ok(channel.clone());
        }
        let (this, access) = (self.clone(), access.clone());
        self.to_the_end("adding someone to a channel", async move {
            let ChannelAccess { standing, channel } = access;
            let theirs = this.change_membership(&target, theirs, true).await?;
            tracing::info!(
                user_id = standing.user.id,
                added_user_id = target.user.id,
                channel_id = channel.id,
                "added to channel"
            );
            let detail = format!("{} ({})", channel.subject(), channel.kind.as_str());
            let (action, subject) = (AuditAction::AddedToChannel, target.user.username.as_str());
            let what = Audited { org_id: Some(standing.org.id), action, subject, detail: &detail };
            this.audit(&standing.user, from, what).await;
            this.notify(&standing.org, &[target.user.id], News::ChannelAdded(theirs)).await;
            Ok(channel)
        })
        .await
    }
}
