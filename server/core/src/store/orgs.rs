//! Organizations, their members and invite links.

use crate::kinds::Role;
use crate::model::{Membership, Org};

use super::{Store, StoreError, StoreResult, now_ms};

/// Name of the channel every organization starts with and every newcomer joins.
pub const DEFAULT_CHANNEL: &str = "general";

/// A working invite link of an organization.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InviteListRow {
    pub token_hash: String,
    pub created_by_id: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An invite link's target, as looked up by its token hash.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InviteRow {
    pub org_id: i64,
    pub org_slug: String,
    pub org_name: String,
    pub invited_by: String,
    pub expires_at: i64,
}

/// A role this build does not know is an error, never read as another role:
/// access rules depend on it.
pub(super) fn role(s: &str) -> StoreResult<Role> {
    Role::parse(s).ok_or_else(|| StoreError::Unknown(format!("role {s:?}")))
}

impl Store {
    /// Creates an organization with `owner` as its owner and a `general` channel
    /// the owner has joined, all or nothing. A taken slug is `StoreError::Conflict`.
    pub async fn create_org(&self, owner: i64, name: &str, slug: &str) -> StoreResult<Membership> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO orgs (slug, name, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(slug)
        .bind(name)
        .bind(owner)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(owner)
            .bind(Role::Owner.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let (channel_id,): (i64,) = sqlx::query_as(
            "INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, 'public', $3, $4) RETURNING id",
        )
        .bind(id)
        .bind(DEFAULT_CHANNEL)
        .bind(owner)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(channel_id)
            .bind(owner)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Membership { org: Org { id, slug: slug.to_owned(), name: name.to_owned() }, role: Role::Owner })
    }

    pub async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        let row: Option<(i64, String, String)> = sqlx::query_as("SELECT id, slug, name FROM orgs WHERE slug = $1")
            .bind(slug)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(id, slug, name)| Org { id, slug, name }))
    }

    /// The user's role in the organization, or `None` if not a member.
    pub async fn role_in(&self, org_id: i64, user_id: i64) -> StoreResult<Option<Role>> {
        let row: Option<(String,)> = sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|(r,)| role(&r)).transpose()
    }

    /// The organizations a user belongs to, by name.
    pub async fn orgs_of(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
            "SELECT o.id, o.slug, o.name, m.role FROM orgs o JOIN memberships m ON m.org_id = o.id \
             WHERE m.user_id = $1 ORDER BY lower(o.name), o.id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, slug, name, r)| Ok(Membership { org: Org { id, slug, name }, role: role(&r)? }))
            .collect()
    }

    pub async fn member_count(&self, org_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM memberships WHERE org_id = $1")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    pub async fn create_invite(&self, token_hash: &str, org_id: i64, by: i64, ttl_ms: i64) -> StoreResult<i64> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO invites (token_hash, org_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(org_id)
        .bind(by)
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&self.pool)
        .await?;
        Ok(now + ttl_ms)
    }

    /// An unexpired invite by the hash of its token.
    pub async fn invite(&self, token_hash: &str) -> StoreResult<Option<InviteRow>> {
        Ok(sqlx::query_as(
            "SELECT i.org_id, o.slug AS org_slug, o.name AS org_name, u.username AS invited_by, i.expires_at \
             FROM invites i JOIN orgs o ON o.id = i.org_id JOIN users u ON u.id = i.created_by \
             WHERE i.token_hash = $1 AND i.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The organization's invite links that still work, newest first.
    pub async fn invites_of(&self, org_id: i64) -> StoreResult<Vec<InviteListRow>> {
        Ok(sqlx::query_as(
            "SELECT i.token_hash, i.created_by AS created_by_id, u.username AS created_by, i.created_at, i.expires_at \
             FROM invites i JOIN users u ON u.id = i.created_by \
             WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.token_hash",
        )
        .bind(org_id)
        .bind(now_ms())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Deletes an invite link of the organization; false if there was none.
    pub async fn delete_invite(&self, org_id: i64, token_hash: &str) -> StoreResult<bool> {
        let deleted = sqlx::query("DELETE FROM invites WHERE org_id = $1 AND token_hash = $2")
            .bind(org_id)
            .bind(token_hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(deleted > 0)
    }

    /// Adds a member and joins them to the default channel, all or nothing.
    /// Adding an existing member changes nothing.
    pub async fn add_member(&self, org_id: i64, user_id: i64, role: Role) -> StoreResult<()> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let added = sqlx::query(
            "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id, user_id) DO NOTHING",
        )
        .bind(org_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added > 0 {
            sqlx::query(
                "INSERT INTO channel_members (channel_id, user_id, joined_at) \
                 SELECT id, $2, $3 FROM channels WHERE org_id = $1 AND name = $4 \
                 ON CONFLICT (channel_id, user_id) DO NOTHING",
            )
            .bind(org_id)
            .bind(user_id)
            .bind(now)
            .bind(DEFAULT_CHANNEL)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many owners the organization has.
    pub async fn owner_count(&self, org_id: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'owner'")
            .bind(org_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Takes a member out of the organization and all its channels, all or
    /// nothing; false if they were not a member.
    pub async fn remove_member(&self, org_id: i64, user_id: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM channel_members WHERE user_id = $1 \
             AND channel_id IN (SELECT id FROM channels WHERE org_id = $2)",
        )
        .bind(user_id)
        .bind(org_id)
        .execute(&mut *tx)
        .await?;
        let removed = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed > 0)
    }
}
