//! Messages: the per-channel sequence and idempotent inserts.

use crate::model::{Message, User};

use super::{Store, StoreError, StoreResult, now_ms};

type Raw = (i64, i64, i64, String, i64, String, String, i64);

fn message((id, channel_id, seq, client_id, author_id, author, body, sent_at): Raw) -> Message {
    Message { id, channel_id, seq, client_id, author_id, author, body, sent_at }
}

const SELECT: &str = "SELECT m.id, m.channel_id, m.seq, m.client_id, m.author_id, u.username, m.body, m.created_at \
     FROM messages m JOIN users u ON u.id = m.author_id";

/// The outcome of storing a message.
#[derive(Debug)]
pub struct Stored {
    pub message: Message,
    /// False when `client_id` had been stored before: `message` is that original.
    pub created: bool,
}

impl Store {
    /// Stores a message with the channel's next `seq`, or returns the message
    /// already stored under the same `client_id` (a retry).
    pub async fn insert_message(
        &self,
        channel_id: i64,
        client_id: &str,
        author: &User,
        body: &str,
    ) -> StoreResult<Stored> {
        if let Some(message) = self.message_by_client_id(channel_id, client_id).await? {
            return Ok(Stored { message, created: false });
        }
        match self.insert_new(channel_id, client_id, author, body).await {
            Ok(message) => Ok(Stored { message, created: true }),
            // A concurrent retry with the same client id won the race; the
            // transaction rolled back, so no seq was used up.
            Err(StoreError::Conflict(_)) => match self.message_by_client_id(channel_id, client_id).await? {
                Some(message) => Ok(Stored { message, created: false }),
                None => Err(StoreError::Conflict("messages.client_id".into())),
            },
            Err(e) => Err(e),
        }
    }

    async fn insert_new(&self, channel_id: i64, client_id: &str, author: &User, body: &str) -> StoreResult<Message> {
        let now = now_ms();
        // The UPDATE comes first so the write lock is taken before anything is
        // read: the seq it returns is ours until commit.
        let mut tx = self.pool.begin().await?;
        let (seq,): (i64,) =
            sqlx::query_as("UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
                .bind(channel_id)
                .fetch_one(&mut *tx)
                .await?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO messages (channel_id, seq, client_id, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(channel_id)
        .bind(seq)
        .bind(client_id)
        .bind(author.id)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Message {
            id,
            channel_id,
            seq,
            client_id: client_id.to_owned(),
            author_id: author.id,
            author: author.username.clone(),
            body: body.to_owned(),
            sent_at: now,
        })
    }

    async fn message_by_client_id(&self, channel_id: i64, client_id: &str) -> StoreResult<Option<Message>> {
        let r: Option<Raw> = sqlx::query_as(&format!("{SELECT} WHERE m.channel_id = $1 AND m.client_id = $2"))
            .bind(channel_id)
            .bind(client_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.map(message))
    }

    /// Up to `limit` messages after `after_seq`, oldest first.
    pub async fn messages_after(&self, channel_id: i64, after_seq: i64, limit: i64) -> StoreResult<Vec<Message>> {
        let rows: Vec<Raw> =
            sqlx::query_as(&format!("{SELECT} WHERE m.channel_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"))
                .bind(channel_id)
                .bind(after_seq)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(message).collect())
    }

    /// Up to `limit` messages before `before_seq` (the newest when `None`),
    /// oldest first, and whether older ones exist.
    pub async fn history(
        &self,
        channel_id: i64,
        before_seq: Option<i64>,
        limit: i64,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let rows: Vec<Raw> =
            sqlx::query_as(&format!("{SELECT} WHERE m.channel_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"))
                .bind(channel_id)
                .bind(before_seq.unwrap_or(i64::MAX))
                .bind(limit + 1)
                .fetch_all(&self.pool)
                .await?;
        let has_more = rows.len() as i64 > limit;
        let mut messages: Vec<Message> = rows.into_iter().take(limit as usize).map(message).collect();
        messages.reverse();
        Ok((messages, has_more))
    }
}
