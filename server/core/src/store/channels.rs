//! Channels and who has joined them.

use crate::kinds::ChannelKind;
use crate::model::Channel;

use super::{Store, StoreError, StoreResult, now_ms};

type Raw = (i64, i64, String, String, i64, i64);

/// A channel of a kind this build does not know (written by a newer one) is
/// an error, never read as another kind: access rules depend on it.
fn row((id, org_id, name, kind, last_seq, joined): Raw) -> StoreResult<Channel> {
    let kind =
        ChannelKind::parse(&kind).ok_or_else(|| StoreError::Unknown(format!("kind {kind:?} of channel {id}")))?;
    Ok(Channel { id, org_id, name, kind, last_seq, joined: joined != 0 })
}

const SELECT: &str = "SELECT c.id, c.org_id, c.name, c.kind, c.last_seq, \
     (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS joined \
     FROM channels c";

impl Store {
    /// Creates a channel that its creator has joined. A taken name in the same
    /// organization is `StoreError::Conflict`.
    pub async fn create_channel(&self, org_id: i64, name: &str, kind: ChannelKind, by: i64) -> StoreResult<Channel> {
        let now = now_ms();
        let mut tx = self.pool.begin().await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(org_id)
        .bind(name)
        .bind(kind.as_str())
        .bind(by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Channel { id, org_id, name: name.to_owned(), kind, last_seq: 0, joined: true })
    }

    /// All channels of an organization, by name, as `user_id` sees them.
    pub async fn channels_of(&self, org_id: i64, user_id: i64) -> StoreResult<Vec<Channel>> {
        let rows: Vec<Raw> = sqlx::query_as(&format!("{SELECT} WHERE c.org_id = $2 ORDER BY c.name"))
            .bind(user_id)
            .bind(org_id)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(row).collect()
    }

    pub async fn channel_by_name(&self, org_id: i64, name: &str, user_id: i64) -> StoreResult<Option<Channel>> {
        let r: Option<Raw> = sqlx::query_as(&format!("{SELECT} WHERE c.org_id = $2 AND c.name = $3"))
            .bind(user_id)
            .bind(org_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        r.map(row).transpose()
    }

    pub async fn channel_by_id(&self, id: i64, user_id: i64) -> StoreResult<Option<Channel>> {
        let r: Option<Raw> = sqlx::query_as(&format!("{SELECT} WHERE c.id = $2"))
            .bind(user_id)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        r.map(row).transpose()
    }

    /// The newest `seq` of a channel (0 before its first message).
    pub async fn last_seq(&self, channel_id: i64) -> StoreResult<i64> {
        let seq = sqlx::query_scalar("SELECT last_seq FROM channels WHERE id = $1")
            .bind(channel_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(seq)
    }

    /// Joins a channel; joining twice changes nothing.
    pub async fn join_channel(&self, channel_id: i64, user_id: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3) \
             ON CONFLICT (channel_id, user_id) DO NOTHING",
        )
        .bind(channel_id)
        .bind(user_id)
        .bind(now_ms())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn leave_channel(&self, channel_id: i64, user_id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2")
            .bind(channel_id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
