//! Sessions, keyed by the SHA-256 hash of their token, and personal API
//! tokens, which are sessions with a name that last until revoked.

use super::dialect::sql;
use super::records::{ApiTokenRecord, ExpiredSession, SessionChannelRecord, SessionRecord};
use super::{Store, StoreError, StoreResult, now_ms};
use crate::kinds::{ChannelKind, Role};
use crate::model::{ApiToken, Channel, Session, SessionKind, User};

impl Store {
    pub(crate) async fn create_session(&self, token_hash: &str, user_id: i64, ttl_ms: i64) -> StoreResult<()> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let expires_at = now + ttl_ms;
        sql!(
            db,
            execute,
            query!(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                token_hash,
                user_id,
                now,
                expires_at
            )
        )?;
        Ok(())
    }

    /// Stores a personal API token (a named session), valid until `expires_at`.
    pub(crate) async fn create_api_token(
        &self,
        token_hash: &str,
        user_id: i64,
        name: &str,
        expires_at: i64,
    ) -> StoreResult<i64> {
        let (db, now) = (&mut self.db().await?, now_ms());
        sql!(
            db,
            execute,
            query!(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, name) VALUES ($1, $2, $3, $4, $5)",
                token_hash,
                user_id,
                now,
                expires_at,
                name
            )
        )?;
        Ok(now)
    }

    /// A user's API tokens, newest first.
    pub(crate) async fn api_tokens_of(&self, user_id: i64) -> StoreResult<Vec<ApiToken>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                ApiTokenRecord,
                r#"SELECT token_hash AS "token_hash!", name AS "name!", created_at FROM sessions
               WHERE user_id = $1 AND name IS NOT NULL ORDER BY created_at DESC, token_hash"#,
                user_id
            )
        )?;
        Ok(rows.into_iter().map(|r| ApiToken { id: r.token_hash, name: r.name, created_at: r.created_at }).collect())
    }

    /// Deletes one of a user's API tokens; false if they have none by that id.
    pub(crate) async fn delete_api_token(&self, user_id: i64, id: &str) -> StoreResult<bool> {
        let db = &mut self.db().await?;
        let done = sql!(
            db,
            execute,
            query!("DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2 AND name IS NOT NULL", user_id, id)
        )?;
        Ok(done > 0)
    }

    /// The user of an unexpired session.
    pub(crate) async fn session_user(&self, token_hash: &str) -> StoreResult<Option<User>> {
        Ok(self.session(token_hash).await?.map(|s| s.user))
    }

    /// The holder of an unexpired session, and what kind of session it is.
    pub(crate) async fn session(&self, token_hash: &str) -> StoreResult<Option<Session>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let found = sql!(
            db,
            fetch_optional,
            query_as!(
                SessionRecord,
                r#"SELECT u.id AS "id!", u.username AS "username!",
                          CAST(CASE WHEN s.name IS NULL THEN 0 ELSE 1 END AS BIGINT) AS "api_token!: i64"
                   FROM sessions s JOIN users u ON u.id = s.user_id
                   WHERE s.token_hash = $1 AND s.expires_at > $2"#,
                token_hash,
                now
            )
        )?;
        Ok(found.map(|r| {
            let kind = if r.api_token != 0 { SessionKind::ApiToken } else { SessionKind::Browser };
            Session { user: User { id: r.id, username: r.username }, kind }
        }))
    }

    /// Ends a session; returns whose it was, if it existed.
    pub(crate) async fn delete_session(&self, token_hash: &str) -> StoreResult<Option<i64>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_optional,
            query_scalar!(r#"DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id AS "user_id!""#, token_hash)
        )?)
    }

    /// The role in organization `org_id` of the user of an unexpired session:
    /// `None` if the session has ended or the user is no longer a member.
    pub(crate) async fn session_role(&self, token_hash: &str, org_id: i64) -> StoreResult<Option<Role>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let role = sql!(
            db,
            fetch_optional,
            query_scalar!(
                r#"SELECT m.role AS "role!" FROM sessions s JOIN memberships m ON m.user_id = s.user_id
               WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.org_id = $3"#,
                token_hash,
                now,
                org_id
            )
        )?;
        role.map(|r| super::members::role(&r)).transpose()
    }

    /// [`Store::session_role`], and channel `channel_id` of the organization
    /// as the session's user sees it (`None` if there is no such channel
    /// there), in one query: `None` when the session or membership has ended.
    pub(crate) async fn session_channel(
        &self,
        token_hash: &str,
        org_id: i64,
        channel_id: i64,
    ) -> StoreResult<Option<(Role, Option<Channel>)>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let looked = sql!(
            db,
            fetch_optional,
            query_as!(
                SessionChannelRecord,
                r#"SELECT m.role AS "role!", c.id AS "id?", c.name AS "name?", c.kind AS "kind?", c.last_seq AS "last_seq?",
                      (SELECT COUNT(*) FROM channel_members cm WHERE cm.channel_id = $4 AND cm.user_id = s.user_id) AS "joined!: i64"
               FROM sessions s
               JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $3
               LEFT JOIN channels c ON c.id = $4 AND c.org_id = $3
               WHERE s.token_hash = $1 AND s.expires_at > $2"#,
                token_hash,
                now,
                org_id,
                channel_id
            )
        )?;
        let Some(r) = looked else { return Ok(None) };
        let role = super::members::role(&r.role)?;
        let channel = match (r.id, r.name, r.kind, r.last_seq) {
            (Some(id), Some(name), Some(kind), Some(last_seq)) => {
                let kind = ChannelKind::parse(&kind)
                    .ok_or_else(|| StoreError::Unknown(format!("kind {kind:?} of channel {id}")))?;
                let joined = r.joined != 0;
                Some(Channel { id, org_id, name, kind, last_seq, joined, last_read_seq: 0, unread: 0, mentions: 0 })
            }
            _ => None,
        };
        Ok(Some((role, channel)))
    }

    /// Removes the expired sessions; returns whose they were and their hashes.
    pub(crate) async fn delete_expired_sessions(&self) -> StoreResult<Vec<(i64, String)>> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let ended = sql!(
            db,
            fetch_all,
            query_as!(
                ExpiredSession,
                r#"DELETE FROM sessions WHERE expires_at <= $1 RETURNING user_id AS "user_id!", token_hash AS "token_hash!""#,
                now
            )
        )?;
        Ok(ended.into_iter().map(|s| (s.user_id, s.token_hash)).collect())
    }
}
