//! Direct conversations: a channel of kind `direct` for a few members of one
//! organization, found again by its people (the same people always meet in
//! the same conversation) and seen by them alone.

use super::{Service, Standing, fail};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::model::{Channel, News};
use crate::rules;

impl Service {
    /// The direct conversation of the caller with the members named
    /// `usernames` (1:1, or a group of up to [`rules::MAX_DIRECT_PEOPLE`]
    /// people, the caller included), started if it does not exist. Whoever
    /// was not in it yet is put in it, and their devices are told
    /// (`ChannelAdded`).
    pub async fn open_direct(&self, standing: &Standing, usernames: &[String]) -> CoreResult<Channel> {
        let (user, org) = (&standing.user, &standing.org);
        let members = self.store.members_of(org.id).await.map_err(fail("listing members"))?;
        let mut people = vec![user.id];
        for name in usernames {
            let name = name.trim();
            let member = members
                .iter()
                .find(|m| m.user.username.eq_ignore_ascii_case(name))
                .ok_or_else(|| CoreError::not_found(format!("{name} is not a member of this organization.")))?;
            if !people.contains(&member.user.id) {
                people.push(member.user.id);
            }
        }
        access::start_direct(people.len())?;
        let name = rules::direct_name(&people);
        let (id, added) =
            self.store.open_direct(org.id, &name, user.id, &people).await.map_err(fail("opening a conversation"))?;
        let channel = self
            .store
            .channel_by_id(id, user.id)
            .await
            .map_err(fail("looking up a conversation"))?
            .ok_or(CoreError::Internal)?;
        if !added.is_empty() {
            tracing::info!(user_id = user.id, org = %org.slug, channel_id = id, people = people.len(), "direct conversation opened");
            // Newcomers have read what it holds so far.
            let seen = Channel { last_read_seq: channel.last_seq, unread: 0, mentions: 0, ..channel.clone() };
            self.notify(org, &added, News::ChannelAdded(seen)).await;
        }
        Ok(channel)
    }
}
