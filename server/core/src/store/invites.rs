//! Invite links, stored by the hash of their token.

use super::dialect::sql;
use super::{InviteListRow, InviteRow, Store, StoreResult, now_ms};

impl Store {
    /// Stores an invite link's hash; returns when it expires.
    pub(crate) async fn create_invite(&self, token_hash: &str, org_id: i64, by: i64, ttl_ms: i64) -> StoreResult<i64> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let expires_at = now + ttl_ms;
        sql!(
            db,
            execute,
            query!(
                "INSERT INTO invites (token_hash, org_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                token_hash,
                org_id,
                by,
                now,
                expires_at
            )
        )?;
        Ok(expires_at)
    }

    /// An unexpired invite by the hash of its token.
    pub(crate) async fn invite(&self, token_hash: &str) -> StoreResult<Option<InviteRow>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        Ok(sql!(
            db,
            fetch_optional,
            query_as!(
                InviteRow,
                r#"SELECT i.org_id AS "org_id!", o.slug AS "org_slug!", o.name AS "org_name!",
                      u.username AS "invited_by!", i.created_at AS "created_at!"
               FROM invites i JOIN orgs o ON o.id = i.org_id JOIN users u ON u.id = i.created_by
               WHERE i.token_hash = $1 AND i.expires_at > $2"#,
                token_hash,
                now
            )
        )?)
    }

    /// The organization's invite links that still work, newest first.
    pub(crate) async fn invites_of(&self, org_id: i64) -> StoreResult<Vec<InviteListRow>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        Ok(sql!(
            db,
            fetch_all,
            query_as!(
                InviteListRow,
                r#"SELECT i.token_hash AS "token_hash!", i.created_by AS "created_by_id!", u.username AS "created_by!",
                      i.created_at AS "created_at!", i.expires_at AS "expires_at!"
               FROM invites i JOIN users u ON u.id = i.created_by
               WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.token_hash"#,
                org_id,
                now
            )
        )?)
    }

    /// Deletes an invite link of the organization; false if there was none.
    pub(crate) async fn delete_invite(&self, org_id: i64, token_hash: &str) -> StoreResult<bool> {
        let db = &mut self.db().await?;
        let done =
            sql!(db, execute, query!("DELETE FROM invites WHERE org_id = $1 AND token_hash = $2", org_id, token_hash))?;
        Ok(done > 0)
    }
}
