//! Each member's stream of notices: what all of a person's devices should
//! hear, numbered from `memberships.last_notice_seq` in the transaction that
//! writes it, so that it is gapless and in the order of the changes.
//! The newest [`KEEP`] of each member are kept.

use super::dialect::{AsDb, Tx, sql};
use super::{Store, StoreError, StoreResult, now_ms};
use crate::model::{NoticeAbout, StoredNotice};

/// How many notices of each member are kept for devices that were away; one
/// away for longer reads its lists again.
pub(crate) const KEEP: i64 = 500;

/// A notice as stored.
#[derive(Debug)]
struct NoticeRecord {
    seq: i64,
    kind: String,
    channel_id: i64,
    value: i64,
    root_seq: Option<i64>,
}

impl NoticeRecord {
    fn into_notice(self) -> StoreResult<StoredNotice> {
        let about = match self.kind.as_str() {
            "read" => NoticeAbout::Read { channel_id: self.channel_id, last_read_seq: self.value },
            "channel_added" => NoticeAbout::ChannelAdded { channel_id: self.channel_id },
            "thread_read" => NoticeAbout::ThreadRead {
                channel_id: self.channel_id,
                root_seq: self.root_seq.unwrap_or_default(),
                last_read_seq: self.value,
            },
            "mentioned" => {
                NoticeAbout::Mentioned { channel_id: self.channel_id, seq: self.value, thread_of: self.root_seq }
            }
            "thread_followed" => NoticeAbout::ThreadFollowed {
                channel_id: self.channel_id,
                root_seq: self.root_seq.unwrap_or_default(),
                following: self.value != 0,
            },
            other => return Err(StoreError::Unknown(format!("notice kind {other:?}"))),
        };
        Ok(StoredNotice { seq: self.seq, about })
    }
}

/// A page of a member's notices.
#[derive(Debug)]
pub(crate) struct NoticePage {
    /// Oldest first.
    pub(crate) notices: Vec<StoredNotice>,
    /// The member's newest notice now.
    pub(crate) last_seq: i64,
    /// The last `seq` this page covers (its last notice's; `last_seq` if
    /// none is left after it).
    pub(crate) through: i64,
    /// Some notices after the point asked for are no longer kept.
    pub(crate) missing: bool,
}

impl Store {
    /// Moves a person's read cursor in a channel forward to `seq` (never
    /// back, never past the channel's newest event, never below 0) and, if
    /// it moved, writes their notice of it in the same transaction: where
    /// the cursor is now, and the notice's `seq` if there is one.
    pub(crate) async fn mark_read(
        &self,
        org_id: i64,
        user_id: i64,
        channel_id: i64,
        seq: i64,
    ) -> StoreResult<(i64, Option<i64>)> {
        let mut tx = self.pool.begin_write().await?;
        // First, as it locks the member's row: their reads, one at a time.
        let notice_seq = next_notice_seq(&mut tx, org_id, user_id).await?;
        let before = sql!(
            &mut tx,
            fetch_optional,
            query_scalar!(
                "SELECT last_read_seq FROM read_cursors WHERE user_id = $1 AND channel_id = $2",
                user_id,
                channel_id
            )
        )?
        .unwrap_or(0);
        let now = super::read_cursors::move_cursor(&mut tx, user_id, channel_id, seq).await?;
        let Some(notice_seq) = notice_seq.filter(|_| now > before) else {
            // Nothing moved, nothing to tell (the number taken goes back), or
            // no member to tell it to.
            return Ok((now, None));
        };
        let about = NoticeAbout::Read { channel_id, last_read_seq: now };
        write_notice(&mut tx, org_id, user_id, notice_seq, &about).await?;
        tx.commit().await?;
        Ok((now, Some(notice_seq)))
    }

    /// Writes a notice for each of these people who is a member of the
    /// organization: each one's `seq` for it.
    pub(crate) async fn add_notices(
        &self,
        org_id: i64,
        people: &[i64],
        about: &NoticeAbout,
    ) -> StoreResult<Vec<(i64, i64)>> {
        let mut tx = self.pool.begin_write().await?;
        let mut written = Vec::with_capacity(people.len());
        for &user_id in people {
            if let Some(seq) = next_notice_seq(&mut tx, org_id, user_id).await? {
                write_notice(&mut tx, org_id, user_id, seq, about).await?;
                written.push((user_id, seq));
            }
        }
        tx.commit().await?;
        Ok(written)
    }

    /// A member's notices after `after`, oldest first, at most `limit`
    /// (`None` for someone who is not a member).
    pub(crate) async fn notices_after(
        &self,
        org_id: i64,
        user_id: i64,
        after: i64,
        limit: i64,
    ) -> StoreResult<Option<NoticePage>> {
        let db = &mut self.db().await?;
        let Some(last_seq) = stream_end(db, org_id, user_id).await? else { return Ok(None) };
        // A point past the end: the stream began again (they were taken out
        // of the organization and came back): all of it, and a re-read.
        let from = if after > last_seq { 0 } else { after.max(0) };
        let records = sql!(
            db,
            fetch_all,
            query_as!(
                NoticeRecord,
                "SELECT seq, kind, channel_id, value, root_seq FROM notices
                 WHERE org_id = $1 AND user_id = $2 AND seq > $3 ORDER BY seq LIMIT $4",
                org_id,
                user_id,
                from,
                limit
            )
        )?;
        let first = records.first().map_or(last_seq + 1, |r| r.seq);
        let through = records.last().map_or(last_seq, |r| r.seq);
        let missing = after > last_seq || (from < last_seq && first > from + 1);
        let notices = records.into_iter().map(NoticeRecord::into_notice).collect::<StoreResult<_>>()?;
        Ok(Some(NoticePage { notices, last_seq, through, missing }))
    }

    /// A member's newest notice `seq` (0 before the first; `None` for
    /// someone who is not a member).
    pub(crate) async fn last_notice_seq(&self, org_id: i64, user_id: i64) -> StoreResult<Option<i64>> {
        stream_end(&mut self.db().await?, org_id, user_id).await
    }
}

async fn stream_end(db: &mut impl AsDb, org_id: i64, user_id: i64) -> StoreResult<Option<i64>> {
    Ok(sql!(
        db,
        fetch_optional,
        query_scalar!("SELECT last_notice_seq FROM memberships WHERE org_id = $1 AND user_id = $2", org_id, user_id)
    )?)
}

/// Takes a member's next notice `seq` (locking their row until the
/// transaction ends); `None` for someone who is not a member.
pub(super) async fn next_notice_seq(tx: &mut Tx, org_id: i64, user_id: i64) -> StoreResult<Option<i64>> {
    Ok(sql!(
        tx,
        fetch_optional,
        query_scalar!(
            "UPDATE memberships SET last_notice_seq = last_notice_seq + 1
             WHERE org_id = $1 AND user_id = $2 RETURNING last_notice_seq",
            org_id,
            user_id
        )
    )?)
}

/// Stores a member's notice `seq`, and now and then lets the oldest go.
pub(super) async fn write_notice(
    tx: &mut Tx,
    org_id: i64,
    user_id: i64,
    seq: i64,
    about: &NoticeAbout,
) -> StoreResult<()> {
    let (kind, channel_id, value, root_seq) = match *about {
        NoticeAbout::Read { channel_id, last_read_seq } => ("read", channel_id, last_read_seq, None),
        NoticeAbout::ChannelAdded { channel_id } => ("channel_added", channel_id, 0, None),
        NoticeAbout::ThreadRead { channel_id, root_seq, last_read_seq } => {
            ("thread_read", channel_id, last_read_seq, Some(root_seq))
        }
        NoticeAbout::ThreadFollowed { channel_id, root_seq, following } => {
            ("thread_followed", channel_id, i64::from(following), Some(root_seq))
        }
        NoticeAbout::Mentioned { channel_id, seq, thread_of } => ("mentioned", channel_id, seq, thread_of),
    };
    let at = now_ms();
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO notices (org_id, user_id, seq, kind, channel_id, value, created_at, root_seq)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            org_id,
            user_id,
            seq,
            kind,
            channel_id,
            value,
            at,
            root_seq
        )
    )?;
    if seq % 64 == 0 {
        let oldest_kept = seq - KEEP;
        sql!(
            tx,
            execute,
            query!(
                "DELETE FROM notices WHERE org_id = $1 AND user_id = $2 AND seq <= $3",
                org_id,
                user_id,
                oldest_kept
            )
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store in a temporary folder with one organization: its id, the
    /// owner's id and its `#general`'s id.
    async fn store_with_member() -> (Store, tempfile::TempDir, i64, i64, i64) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("confab.db").display());
        let store = Store::connect(&url).await.unwrap();
        let user = store.create_user("olivia", "not a hash").await.unwrap();
        let org = store.create_org(user.id, "Acme", "acme").await.unwrap().org;
        let general = store.channel_by_name(org.id, super::super::DEFAULT_CHANNEL, user.id).await.unwrap().unwrap();
        (store, dir, org.id, user.id, general.id)
    }

    #[tokio::test]
    async fn a_stream_is_gapless_kept_to_its_newest_and_says_when_some_are_gone() {
        let (store, _dir, org, user, general) = store_with_member().await;
        let about = NoticeAbout::ChannelAdded { channel_id: general };
        for n in 1..=700 {
            assert_eq!(store.add_notices(org, &[user, 999], &about).await.unwrap(), vec![(user, n)], "only members");
        }
        let recent = store.notices_after(org, user, 690, 100).await.unwrap().unwrap();
        assert_eq!(recent.notices.iter().map(|n| n.seq).collect::<Vec<_>>(), (691..=700).collect::<Vec<_>>());
        assert_eq!((recent.last_seq, recent.through, recent.missing), (700, 700, false));

        let away = store.notices_after(org, user, 3, 50).await.unwrap().unwrap();
        let kept_from = away.notices[0].seq;
        assert!((700 - KEEP - 64..=700 - KEEP + 1).contains(&kept_from), "the oldest go: {kept_from}");
        assert_eq!((away.notices.len(), away.through, away.missing), (50, kept_from + 49, true));

        // A point past the end: the stream began again; all of it, and a re-read.
        let ahead = store.notices_after(org, user, 900, 10).await.unwrap().unwrap();
        assert_eq!((ahead.notices[0].seq, ahead.missing), (kept_from, true));
        assert!(store.notices_after(org, 999, 0, 10).await.unwrap().is_none(), "no stream for outsiders");
    }

    #[tokio::test]
    async fn a_read_cursor_that_moves_is_a_notice_and_one_that_does_not_is_none() {
        let (store, _dir, org, user, general) = store_with_member().await;
        // #general holds the owner's joining (seq 1).
        assert_eq!(store.mark_read(org, user, general, 0).await.unwrap().1, None, "she read it as she joined");
        let page = store.notices_after(org, user, 0, 10).await.unwrap().unwrap();
        assert_eq!((page.notices.len(), page.last_seq), (0, 0), "the number taken went back");
        let extra = store.add_notices(org, &[user], &NoticeAbout::ChannelAdded { channel_id: general }).await.unwrap();
        assert_eq!(extra, vec![(user, 1)]);
    }
}
