//! Sessions, keyed by the SHA-256 hash of their token.

use crate::kinds::Role;
use crate::model::User;

use super::{Store, StoreResult, now_ms};

impl Store {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, ttl_ms: i64) -> StoreResult<()> {
        let now = now_ms();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(now)
            .bind(now + ttl_ms)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        let row: Option<(i64, String)> = sqlx::query_as(
            "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(id, username)| User { id, username }))
    }

    /// Ends a session; returns whose it was, if it existed.
    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        let user_id = sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(user_id)
    }

    /// The role in organization `org_id` of the user of an unexpired session:
    /// `None` if the session has ended or the user is no longer a member.
    pub async fn session_role(&self, token_hash: &str, org_id: i64) -> StoreResult<Option<Role>> {
        let role: Option<String> = sqlx::query_scalar(
            "SELECT m.role FROM sessions s JOIN memberships m ON m.user_id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.org_id = $3",
        )
        .bind(token_hash)
        .bind(now_ms())
        .bind(org_id)
        .fetch_optional(&self.pool)
        .await?;
        role.map(|r| super::orgs::role(&r)).transpose()
    }

    /// Removes the expired sessions; returns whose they were and their hashes.
    pub async fn delete_expired_sessions(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as("DELETE FROM sessions WHERE expires_at <= $1 RETURNING user_id, token_hash")
            .bind(now_ms())
            .fetch_all(&self.pool)
            .await?)
    }
}
