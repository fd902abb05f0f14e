//! Mentions: who each message mentions (among those who may read its
//! channel), each written with its notice on the person's stream; the
//! people of a channel, whom `@channel` reaches.

use super::dialect::sql;
use super::notices::{next_notice_seq, write_notice};
use super::{Store, StoreResult, now_ms};
use crate::model::NoticeAbout;

/// A mention as listed: where, newest first.
#[derive(Debug)]
struct MentionRecord {
    channel_id: i64,
    seq: i64,
}

impl Store {
    /// Writes that message `seq` of a channel mentions each of `people`
    /// (`thread_of`: a reply shown only in its thread), with a notice for
    /// each it was not written for before: `(user_id, notice seq)`.
    pub(crate) async fn add_mentions(
        &self,
        org_id: i64,
        (channel_id, seq): (i64, i64),
        thread_of: Option<i64>,
        people: &[i64],
    ) -> StoreResult<Vec<(i64, i64)>> {
        let (mut tx, now) = (self.pool.begin_write().await?, now_ms());
        let mut told = Vec::with_capacity(people.len());
        for &user_id in people {
            let new = sql!(
                &mut tx,
                execute,
                query!(
                    "INSERT INTO mentions (user_id, channel_id, seq, thread_of, org_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, channel_id, seq) DO NOTHING",
                    user_id,
                    channel_id,
                    seq,
                    thread_of,
                    org_id,
                    now
                )
            )?;
            if new == 0 {
                continue;
            }
            if let Some(notice_seq) = next_notice_seq(&mut tx, org_id, user_id).await? {
                let about = NoticeAbout::Mentioned { channel_id, seq, thread_of };
                write_notice(&mut tx, org_id, user_id, notice_seq, &about).await?;
                told.push((user_id, notice_seq));
            }
        }
        tx.commit().await?;
        Ok(told)
    }

    /// Where a person was mentioned in an organization, newest first (at
    /// most `limit`): each channel and message `seq`.
    pub(crate) async fn mentions_of(&self, org_id: i64, user_id: i64, limit: i64) -> StoreResult<Vec<(i64, i64)>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MentionRecord,
                "SELECT channel_id, seq FROM mentions WHERE user_id = $1 AND org_id = $2
                 ORDER BY created_at DESC, seq DESC LIMIT $3",
                user_id,
                org_id,
                limit
            )
        )?;
        Ok(rows.into_iter().map(|r| (r.channel_id, r.seq)).collect())
    }

    /// Who has joined a channel (who `@channel` reaches).
    pub(crate) async fn channel_people(&self, channel_id: i64) -> StoreResult<Vec<i64>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_all,
            query_scalar!("SELECT user_id FROM channel_members WHERE channel_id = $1 ORDER BY user_id", channel_id)
        )?)
    }
}
