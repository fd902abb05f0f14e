//! Sessions, keyed by the SHA-256 hash of their token.

use super::{Store, StoreError, StoreResult, now_ms, on_db};
use crate::kinds::{ChannelKind, Role};
use crate::model::{ApiToken, Channel, User};

impl Store {
    pub async fn create_session(&self, token_hash: &str, user_id: i64, ttl_ms: i64) -> StoreResult<()> {
        let now = now_ms();
        Ok(on_db!(self, create_session(token_hash, user_id, now, now + ttl_ms))?)
    }

    /// Stores a personal API token (a named session), valid until `expires_at`.
    pub async fn create_api_token(
        &self,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: i64,
    ) -> StoreResult<i64> {
        let now = now_ms();
        on_db!(self, create_api_token(token_hash, user_id, name, now, expires_at))?;
        Ok(now)
    }

    /// A user's API tokens, newest first.
    pub async fn api_tokens_of(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        let rows = on_db!(self, api_tokens_of(user_id))?;
        Ok(rows.into_iter().map(|r| ApiToken { id: r.token_hash, name: r.name, created_at: r.created_at }).collect())
    }

    /// Deletes one of a user's API tokens; false if they have none by that id.
    pub async fn delete_api_token(&self, user_id: i64, id: &str) -> StoreResult<bool> {
        Ok(on_db!(self, delete_api_token(user_id, id))? > 0)
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

    /// [`Store::session_role`], and channel `channel_id` of the organization
    /// as the session's user sees it (`None` if there is no such channel
    /// there), in one query: `None` when the session or membership has ended.
    pub async fn session_channel(
        &self,
        token_hash: &str,
        org_id: i64,
        channel_id: i64,
    ) -> StoreResult<Option<(Role, Option<Channel>)>> {
        let Some(r) = on_db!(self, session_channel(token_hash, now_ms(), org_id, channel_id))? else { return Ok(None) };
        let role = super::orgs::role(&r.role)?;
        let channel = match (r.id, r.name, r.kind, r.last_seq) {
            (Some(id), Some(name), Some(kind), Some(last_seq)) => {
                let kind = ChannelKind::parse(&kind)
                    .ok_or_else(|| StoreError::Unknown(format!("kind {kind:?} of channel {id}")))?;
                let joined = r.joined != 0;
                Some(Channel { id, org_id, name, kind, last_seq, joined, last_read_seq: 0, unread: 0 })
            }
            _ => None,
        };
        Ok(Some((role, channel)))
    }

    /// Removes the expired sessions; returns whose they were and their hashes.
    pub async fn delete_expired_sessions(&self) -> StoreResult<Vec<(i64, String)>> {
        let ended = on_db!(self, delete_expired_sessions(now_ms()))?;
        Ok(ended.into_iter().map(|s| (s.user_id, s.token_hash)).collect())
    }
}
