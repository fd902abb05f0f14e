//! Sessions, keyed by the SHA-256 hash of their token.

use super::{Store, StoreResult, now_ms, on_db};
use crate::kinds::Role;
use crate::model::User;

impl Store {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, ttl_ms: i64) -> StoreResult<()> {
        let now = now_ms();
        Ok(on_db!(self, create_session(token_hash, user_id, now, now + ttl_ms))?)
    }

    /// The user of an unexpired session.
    pub async fn session_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        Ok(on_db!(self, session_user(token_hash, now_ms()))?)
    }

    /// Ends a session; returns whose it was, if it existed.
    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        Ok(on_db!(self, delete_session(token_hash))?)
    }

    /// The role in organization `org_id` of the user of an unexpired session:
    /// `None` if the session has ended or the user is no longer a member.
    pub async fn session_role(&self, token_hash: &str, org_id: i64) -> StoreResult<Option<Role>> {
        let role = on_db!(self, session_role(token_hash, now_ms(), org_id))?;
        role.map(|r| super::orgs::role(&r)).transpose()
    }

    /// Removes the expired sessions; returns whose they were and their hashes.
    pub async fn delete_expired_sessions(&self) -> StoreResult<Vec<(i64, String)>> {
        let ended = on_db!(self, delete_expired_sessions(now_ms()))?;
        Ok(ended.into_iter().map(|s| (s.user_id, s.token_hash)).collect())
    }
}
