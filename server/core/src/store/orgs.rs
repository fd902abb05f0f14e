//! Organizations: creating one (with its owner and default channel), and
//! looking them up.

use super::channels::join_as_creator;
use super::dialect::sql;
use super::members::role;
use super::records::MembershipRecord;
use super::{Store, StoreResult, now_ms};
use crate::kinds::Role;
use crate::model::{Membership, Org};

/// Name of the channel every organization starts with and every newcomer joins.
pub(crate) const DEFAULT_CHANNEL: &str = "general";

impl Store {
    /// Creates an organization with `owner` as its owner and a `general` channel
    /// the owner has joined, all or nothing. A taken slug is `StoreError::Conflict`.
    pub(crate) async fn create_org(&self, owner: i64, name: &str, slug: &str) -> StoreResult<Membership> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        let id = sql!(
            &mut tx,
            fetch_one,
            query_scalar!(
                r#"INSERT INTO orgs (slug, name, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id AS "id!""#,
                slug,
                name,
                owner,
                now
            )
        )?;
        let owner_role = Role::Owner.as_str();
        sql!(
            &mut tx,
            execute,
            query!(
                "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
                id,
                owner,
                owner_role,
                now
            )
        )?;
        let channel_id = sql!(
            &mut tx,
            fetch_one,
            query_scalar!(
                r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, 'public', $3, $4)
               RETURNING id AS "id!""#,
                id,
                DEFAULT_CHANNEL,
                owner,
                now
            )
        )?;
        join_as_creator(&mut tx, channel_id, owner, now).await?;
        tx.commit().await?;
        Ok(Membership { org: Org { id, slug: slug.to_owned(), name: name.to_owned() }, role: Role::Owner })
    }

    pub(crate) async fn org_by_slug(&self, slug: &str) -> StoreResult<Option<Org>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_optional,
            query_as!(Org, r#"SELECT id AS "id!", slug, name FROM orgs WHERE slug = $1"#, slug)
        )?)
    }

    /// The organizations a user belongs to, by name.
    pub(crate) async fn orgs_of(&self, user_id: i64) -> StoreResult<Vec<Membership>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MembershipRecord,
                r#"SELECT o.id AS "id!", o.slug AS "slug!", o.name AS "name!", m.role AS "role!"
               FROM orgs o JOIN memberships m ON m.org_id = o.id
               WHERE m.user_id = $1 ORDER BY lower(o.name), o.id"#,
                user_id
            )
        )?;
        rows.into_iter()
            .map(|r| Ok(Membership { org: Org { id: r.id, slug: r.slug, name: r.name }, role: role(&r.role)? }))
            .collect()
    }
}
