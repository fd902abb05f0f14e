//! Who is in an organization, with which role: adding a member (and joining
//! them to the default channel), changing a role, removing a membership.
//! An organization always keeps an owner: checked in the statements that
//! could take the last one away.

use super::channels::join;
use super::dialect::{Tx, lock_org, sql};
use super::messages::event;
use super::records::MemberRecord;
use super::{Store, StoreError, StoreResult, now_ms};
use crate::kinds::{EventKind, Role};
use crate::model::{Member, Message, User};

/// A role this build does not know is an error, never read as another role:
/// access rules depend on it.
pub(super) fn role(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Unknown(format!("role {s:?}")))
}

impl Store {
    /// The user's role in the organization, or `None` if not a member.
    pub(crate) async fn role_in(&self, org_id: i64, user_id: i64) -> StoreResult<Option<Role>> {
        let db = &mut self.db().await?;
        let found = sql!(
            db,
            fetch_optional,
            query_scalar!("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2", org_id, user_id)
        )?;
        found.map(|r| role(&r)).transpose()
    }

    /// Everyone in the organization with their role, by name.
    pub(crate) async fn members_of(&self, org_id: i64) -> StoreResult<Vec<Member>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MemberRecord,
                r#"SELECT u.id AS "id!", u.username AS "username!", m.role AS "role!"
               FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE m.org_id = $1 ORDER BY lower(u.username), u.id"#,
                org_id
            )
        )?;
        rows.into_iter()
            .map(|r| Ok(Member { user: User { id: r.id, username: r.username }, role: role(&r.role)? }))
            .collect()
    }

    /// How many owners the organization has.
    pub(crate) async fn owner_count(&self, org_id: i64) -> StoreResult<i64> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_one,
            query_scalar!(
                r#"SELECT COUNT(*) AS "n!: i64" FROM memberships WHERE org_id = $1 AND role = 'owner'"#,
                org_id
            )
        )?)
    }

    /// Adds a member by an invite made at `invited_at` and joins them to
    /// the channel `channel_id` (the default one), with the channel's
    /// `joined` event, all or nothing. Nothing changes (`None`) for an
    /// existing member, or for someone removed from the organization after
    /// the invite was made (a removal sticks).
    pub(crate) async fn add_member(
        &self,
        org_id: i64,
        user: &User,
        role: Role,
        channel_id: i64,
        client_id: String,
        invited_at: i64,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now, role) = (self.pool.begin().await?, now_ms(), role.as_str());
        let added = sql!(
            &mut tx,
            execute,
            query!(
                "INSERT INTO memberships (org_id, user_id, role, joined_at)
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS
                   (SELECT 1 FROM removals r WHERE r.org_id = $1 AND r.user_id = $2 AND r.removed_at >= $5)
                 ON CONFLICT (org_id, user_id) DO NOTHING",
                org_id,
                user.id,
                role,
                now,
                invited_at
            )
        )?;
        let stored = if added > 0 { join(&mut tx, channel_id, user.id, &client_id, now).await? } else { None };
        tx.commit().await?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Joined, client_id, user, now)))
    }

    /// Gives a member another role; false when they are not a member or
    /// when it would leave the organization without an owner (checked in the
    /// same statement, after taking the organization's lock).
    pub(crate) async fn set_role(&self, org_id: i64, user_id: i64, role: Role) -> StoreResult<bool> {
        let (mut tx, role) = (self.pool.begin().await?, role.as_str());
        lock_org(&mut tx, org_id).await?;
        let done = sql!(
            &mut tx,
            execute,
            query!(
                "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2
               AND (role <> 'owner' OR $3 = 'owner'
                    OR (SELECT COUNT(*) FROM memberships o WHERE o.org_id = $1 AND o.role = 'owner') > 1)",
                org_id,
                user_id,
                role
            )
        )?;
        tx.commit().await?;
        Ok(done > 0)
    }

    /// Takes a member out of the organization, and out of any channel they
    /// were put in after theirs were left (the service leaves each before,
    /// with its own event); a `removal` (not a leaving) is recorded, so
    /// that invite links made before it no longer let them in. False if
    /// they were not a member, or are the last owner (checked in the
    /// statement, after taking the organization's lock).
    pub(crate) async fn remove_membership(&self, org_id: i64, user_id: i64, removal: bool) -> StoreResult<bool> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        lock_org(&mut tx, org_id).await?;
        let removed = remove_membership(&mut tx, org_id, user_id).await?;
        if removed && removal {
            sql!(
                &mut tx,
                execute,
                query!(
                    "INSERT INTO removals (org_id, user_id, removed_at) VALUES ($1, $2, $3)
                     ON CONFLICT (org_id, user_id) DO UPDATE SET removed_at = excluded.removed_at",
                    org_id,
                    user_id,
                    now
                )
            )?;
        }
        tx.commit().await?;
        Ok(removed)
    }
}

async fn remove_membership(tx: &mut Tx, org_id: i64, user_id: i64) -> StoreResult<bool> {
    let done = sql!(
        tx,
        execute,
        query!(
            "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2
           AND (role <> 'owner' OR (SELECT COUNT(*) FROM memberships o WHERE o.org_id = $1 AND o.role = 'owner') > 1)",
            org_id,
            user_id
        )
    )?;
    if done == 0 {
        return Ok(false);
    }
    // Out of the restricted channels they were put in meanwhile from now on.
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO channel_absences (channel_id, user_id, from_seq)
             SELECT c.id, $2, c.last_seq FROM channels c JOIN channel_members m ON m.channel_id = c.id
             WHERE c.org_id = $1 AND m.user_id = $2 AND c.kind IN ('private', 'direct')
             ON CONFLICT (channel_id, user_id, from_seq) DO NOTHING",
            org_id,
            user_id
        )
    )?;
    sql!(
        tx,
        execute,
        query!(
            "DELETE FROM channel_members WHERE user_id = $2 AND channel_id IN (SELECT id FROM channels WHERE org_id = $1)",
            org_id,
            user_id
        )
    )?;
    Ok(true)
}
