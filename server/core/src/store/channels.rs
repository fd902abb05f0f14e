//! Channels and who has joined them.

use super::messages::event;
use super::records::ChannelRecord;
use super::{Store, StoreError, StoreResult, now_ms, on_db};
use crate::kinds::{ChannelKind, EventKind};
use crate::model::{Channel, Message, User};

/// A channel of a kind this build does not know (written by a newer one) is
/// an error, never read as another kind: access rules depend on it.
fn channel(r: ChannelRecord) -> StoreResult<Channel> {
    let kind = ChannelKind::parse(&r.kind)
        .ok_or_else(|| StoreError::Unknown(format!("kind {:?} of channel {}", r.kind, r.id)))?;
    let joined = r.joined != 0;
    Ok(Channel {
        id: r.id,
        org_id: r.org_id,
        name: r.name,
        kind,
        last_seq: r.last_seq,
        joined,
        last_read_seq: if joined { r.last_read_seq } else { 0 },
        unread: if joined { r.unread } else { 0 },
    })
}

impl Store {
    /// Creates a channel that its creator has joined. A taken name in the same
    /// organization is `StoreError::Conflict`.
    pub async fn create_channel(&self, org_id: i64, name: &str, kind: ChannelKind, by: i64) -> StoreResult<Channel> {
        let id = on_db!(self, create_channel(org_id, name, kind.as_str(), by, now_ms()))?;
        Ok(Channel { id, org_id, name: name.to_owned(), kind, last_seq: 0, joined: true, last_read_seq: 0, unread: 0 })
    }

    /// All channels of an organization, by name, as `user_id` sees them.
    pub async fn channels_of(&self, org_id: i64, user_id: i64) -> StoreResult<Vec<Channel>> {
        on_db!(self, channels_of(user_id, org_id))?.into_iter().map(channel).collect()
    }

    pub async fn channel_by_name(&self, org_id: i64, name: &str, user_id: i64) -> StoreResult<Option<Channel>> {
        on_db!(self, channel_by_name(user_id, org_id, name))?.map(channel).transpose()
    }

    pub async fn channel_by_id(&self, id: i64, user_id: i64) -> StoreResult<Option<Channel>> {
        on_db!(self, channel_by_id(user_id, id))?.map(channel).transpose()
    }

    /// Finds or starts the direct conversation named `name` (see
    /// [`crate::rules::direct_name`]) and puts each of `people` in it (they
    /// have read what it holds so far), all or nothing; its id and who was
    /// not in it before.
    pub async fn open_direct(&self, org_id: i64, name: &str, by: i64, people: &[i64]) -> StoreResult<(i64, Vec<i64>)> {
        Ok(on_db!(self, open_direct(org_id, name, by, people, now_ms()))?)
    }

    /// The newest `seq` of a channel (0 before its first message).
    pub async fn last_seq(&self, channel_id: i64) -> StoreResult<i64> {
        Ok(on_db!(self, last_seq(channel_id))?)
    }

    /// Joins a channel, with its `joined` event under the channel's next
    /// `seq`; joining twice changes nothing (`None`). `client_id` names the
    /// event (unique in the channel).
    pub async fn join_channel(&self, channel_id: i64, user: &User, client_id: String) -> StoreResult<Option<Message>> {
        let now = now_ms();
        let stored = on_db!(self, join_channel(channel_id, user.id, &client_id, now))?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Joined, client_id, user, now)))
    }

    /// Leaves a channel, with its `left` event; leaving a channel one has not
    /// joined changes nothing (`None`).
    pub async fn leave_channel(&self, channel_id: i64, user: &User, client_id: String) -> StoreResult<Option<Message>> {
        let now = now_ms();
        let stored = on_db!(self, leave_channel(channel_id, user.id, &client_id, now))?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Left, client_id, user, now)))
    }

    /// Moves a person's read cursor in a channel forward to `seq` (never back,
    /// never past the channel's newest event); where it is now.
    pub async fn mark_read(&self, user_id: i64, channel_id: i64, seq: i64) -> StoreResult<i64> {
        Ok(on_db!(self, mark_read(user_id, channel_id, seq))?)
    }

    /// The channels of an organization a user has joined.
    pub async fn joined_channels(&self, org_id: i64, user_id: i64) -> StoreResult<Vec<i64>> {
        Ok(on_db!(self, joined_channels(org_id, user_id))?)
    }
}
