//! Mentions: a message's `@username`s (and, from owners and admins, or
//! from anyone where the organization lets members, `@channel` and `@here`)
//! tell the people they name, among those who may
//! read its channel, on every device; the others are told nothing, and
//! nobody learns that they were left out. A mention in a thread's reply
//! follows its thread. The Mentions view lists where one was mentioned.

use std::net::IpAddr;
use std::sync::Arc;

use super::audit::Audited;
use super::notices::UserNotice;
use super::{ChannelAccess, Service, Standing, fail};
use crate::access;
use crate::error::CoreResult;
use crate::kinds::{AuditAction, ChannelKind};
use crate::mentions::mentioned;
use crate::model::{MentionListing, Message, News};

/// Who of some people is online now, in an organization (the live layer's
/// presence): whom `@here` reaches.
pub trait OnlineNow: Send + Sync {
    fn online_among(&self, org_slug: &str, people: &[i64]) -> Vec<i64>;
}

impl Service {
    /// The live layer tells who is online (without it, `@here` reaches nobody).
    pub fn set_presence(&self, presence: Arc<dyn OnlineNow>) {
        let _ = self.presence.set(presence);
    }

    /// Tells everyone `message` (just posted, or posted again) mentions who
    /// may read its channel, once each; returns who they are. What is not
    /// written is logged: the message stands.
    pub(super) async fn record_mentions(&self, access: &ChannelAccess, message: &Message) -> Vec<i64> {
        let found = mentioned(&message.body);
        if found.is_empty() {
            return Vec::new();
        }
        let people = match self.mentioned_people(access, message, &found).await {
            Ok(people) if !people.is_empty() => people,
            Ok(_) => return Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, seq = message.seq, "mentions not worked out");
                return Vec::new();
            }
        };
        let ChannelAccess { standing, channel } = access;
        let thread_only = message.thread_of.filter(|_| !message.in_channel);
        let written = self.store.add_mentions(standing.org.id, (channel.id, message.seq), thread_only, &people).await;
        match written {
            Ok(to) => self.tell(UserNotice {
                org_slug: standing.org.slug.clone(),
                to,
                news: News::Mentioned { channel_id: channel.id, seq: message.seq, thread_of: thread_only },
            }),
            Err(e) => tracing::warn!(error = %e, seq = message.seq, "mentions not written"),
        }
        if let Some(root) = message.thread_of {
            self.follow_thread_for(access, root, None, &people).await;
        }
        people
    }

    /// The people a message mentions who may read its channel, its author
    /// left out.
    async fn mentioned_people(
        &self,
        access: &ChannelAccess,
        message: &Message,
        found: &crate::mentions::Mentioned,
    ) -> Result<Vec<i64>, crate::store::StoreError> {
        let ChannelAccess { standing, channel } = access;
        let members = self.store.members_of(standing.org.id).await?;
        let everyone = (found.channel || found.here)
            && (standing.role.manages_people() || self.store.members_mention_all(standing.org.id).await?);
        let restricted = matches!(channel.kind, ChannelKind::Private | ChannelKind::Direct);
        let joined = if everyone || restricted { self.store.channel_people(channel.id).await? } else { Vec::new() };
        let mut people: Vec<i64> = members
            .iter()
            .filter(|m| found.names.iter().any(|n| n.eq_ignore_ascii_case(&m.user.username)))
            .map(|m| m.user.id)
            .collect();
        if everyone {
            let reached = match (found.channel, self.presence.get()) {
                (true, _) => joined.clone(),
                (false, Some(presence)) => presence.online_among(&standing.org.slug, &joined),
                (false, None) => Vec::new(),
            };
            people.extend(reached.into_iter().filter(|p| !people.contains(p)).collect::<Vec<_>>());
        }
        people.retain(|&p| {
            let role = members.iter().find(|m| m.user.id == p).map(|m| m.role);
            p != message.author_id && role.is_some_and(|role| access::sees(role, channel.kind, joined.contains(&p)))
        });
        Ok(people)
    }

    /// Whether members (not only owners and admins) may mention everyone
    /// in a channel (`@channel`, `@here`).
    pub async fn members_mention_all(&self, standing: &Standing) -> CoreResult<bool> {
        self.store.members_mention_all(standing.org.id).await.map_err(fail("reading the mention policy"))
    }

    /// Lets members mention everyone in a channel, or not (owners only).
    pub async fn set_members_mention_all(&self, standing: &Standing, allowed: bool, from: IpAddr) -> CoreResult<bool> {
        access::change_settings(standing.role)?;
        let (this, standing) = (self.clone(), standing.clone());
        self.to_the_end("setting the mention policy", async move {
            let set = this.store.set_members_mention_all(standing.org.id, allowed).await;
            set.map_err(fail("setting the mention policy"))?;
            let detail = if allowed {
                "members may mention @channel and @here"
            } else {
                "only owners and admins may mention @channel and @here"
            };
            let what =
                Audited { org_id: Some(standing.org.id), action: AuditAction::SettingsChanged, subject: "", detail };
            this.audit(&standing.user, from, what).await;
            Ok(allowed)
        })
        .await
    }

    /// Where the caller was mentioned, newest first (at most `limit`), in
    /// the channels they read now, each message as they may read it.
    pub async fn mentions(&self, standing: &Standing, limit: i64) -> CoreResult<Vec<MentionListing>> {
        let channels = self.list_channels(standing).await?;
        let found = self.store.mentions_of(standing.org.id, standing.user.id, limit).await;
        let mut listed = Vec::new();
        for (channel_id, seq) in found.map_err(fail("listing mentions"))? {
            let Some(channel) = channels.iter().find(|c| c.id == channel_id) else { continue };
            let message = self.store.message_row_at(channel_id, seq, standing.user.id).await;
            if let Some(message) = message.map_err(fail("listing mentions"))? {
                listed.push(MentionListing { channel: channel.clone(), message });
            }
        }
        Ok(listed)
    }
}
