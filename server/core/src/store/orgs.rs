//! Organizations, their members and invite links.

use super::messages::event;
use super::{InviteListRow, InviteRow, Store, StoreError, StoreResult, now_ms, on_db};
use crate::kinds::{EventKind, Role};
use crate::model::{Member, Membership, Message, Org, User};

/// Name of the channel every organization starts with and every newcomer joins.
pub const DEFAULT_CHANNEL: &str = "general";

/// A role this build does not know is an error, never read as another role:
/// access rules depend on it.
pub(super) fn role(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Unknown(format!("role {s:?}")))
}

impl Store {
    /// Creates an organization with `owner` as its owner and a `general` channel
    /// the owner has joined, all or nothing. A taken slug is `StoreError::Conflict`.
    pub async fn create_org(&self, owner: i64, name: &str, slug: &str) -> StoreResult<Membership> {
        let owner_role = Role::Owner.as_str();
        let id = on_db!(self, create_org(owner, name, slug, owner_role, DEFAULT_CHANNEL, now_ms()))?;
        Ok(Membership { org: Org { id, slug: slug.to_owned(), name: name.to_owned() }, role: Role::Owner })
    }

    pub async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        Ok(on_db!(self, org_by_slug(slug))?)
    }

    /// The user's role in the organization, or `None` if not a member.
    pub async fn role_in(&self, org_id: i64, user_id: i64) -> StoreResult<Option<Role>> {
        on_db!(self, role_in(org_id, user_id))?.map(|r| role(&r)).transpose()
    }

    /// The organizations a user belongs to, by name.
    pub async fn orgs_of(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let rows = on_db!(self, orgs_of(user_id))?;
        rows.into_iter()
            .map(|r| Ok(Membership { org: Org { id: r.id, slug: r.slug, name: r.name }, role: role(&r.role)? }))
            .collect()
    }

    /// Everyone in the organization with their role, by name.
    pub async fn members_of(&self, org_id: i64) -> StoreResult<Vec<Member>> {
        let rows = on_db!(self, members_of(org_id))?;
        rows.into_iter()
            .map(|r| Ok(Member { user: User { id: r.id, username: r.username }, role: role(&r.role)? }))
            .collect()
    }

    /// Stores an invite link's hash; returns when it expires.
    pub async fn create_invite(&self, token_hash: &str, org_id: i64, by: i64, ttl_ms: i64) -> StoreResult<i64> {
        let now = now_ms();
        on_db!(self, create_invite(token_hash, org_id, by, now, now + ttl_ms))?;
        Ok(now + ttl_ms)
    }

    /// An unexpired invite by the hash of its token.
    pub async fn invite(&self, token_hash: &str) -> StoreResult<Option<InviteRow>> {
        Ok(on_db!(self, invite(token_hash, now_ms()))?)
    }

    /// The organization's invite links that still work, newest first.
    pub async fn invites_of(&self, org_id: i64) -> StoreResult<Vec<InviteListRow>> {
        Ok(on_db!(self, invites_of(org_id, now_ms()))?)
    }

    /// Deletes an invite link of the organization; false if there was none.
    pub async fn delete_invite(&self, org_id: i64, token_hash: &str) -> StoreResult<bool> {
        Ok(on_db!(self, delete_invite(org_id, token_hash))? > 0)
    }

    /// Adds a member and joins them to the channel `channel_id` (the default
    /// one), with the channel's `joined` event, all or nothing. Adding an
    /// existing member changes nothing (`None`).
    pub async fn add_member(
        &self,
        org_id: i64,
        user: &User,
        role: Role,
        channel_id: i64,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let now = now_ms();
        let stored = on_db!(self, add_member(org_id, user.id, role.as_str(), channel_id, &client_id, now))?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Joined, client_id, user, now)))
    }

    /// How many owners the organization has.
    pub async fn owner_count(&self, org_id: i64) -> StoreResult<i64> {
        Ok(on_db!(self, owner_count(org_id))?)
    }

    /// Gives a member another role; false when they are not a member or
    /// when it would leave the organization without an owner.
    pub async fn set_role(&self, org_id: i64, user_id: i64, role: Role) -> StoreResult<bool> {
        Ok(on_db!(self, set_role(org_id, user_id, role.as_str()))? > 0)
    }

    /// Takes a member out of the organization (not out of its channels: the
    /// service leaves each before, with its own event); false if they were
    /// not a member, or are the last owner.
    pub async fn remove_membership(&self, org_id: i64, user_id: i64) -> StoreResult<bool> {
        Ok(on_db!(self, remove_membership(org_id, user_id))? > 0)
    }
}
