//! Threads: the replies to a message (each a message of the channel's
//! stream whose `thread_of` is its root's `seq`), each root's summary, who
//! follows a thread, and each person's read cursor in it. A change of who
//! follows or of a cursor is written with its notice on the person's stream
//! in one transaction (`notices`).

use std::collections::HashMap;

use super::dialect::{Tx, sql};
use super::messages::message;
use super::notices::{next_notice_seq, write_notice};
use super::records::MessageRecord;
use super::{Store, StoreResult};
use crate::kinds::EventKind;
use crate::model::{FollowedThread, Message, NoticeAbout, ThreadSummary};

/// The replies of one person of one kind (replies, or deletions of them)
/// in one thread, counted.
#[derive(Debug)]
struct ThreadPartRecord {
    root: i64,
    author_id: i64,
    kind: String,
    n: i64,
    deleted: i64,
    last_at: i64,
    first_seq: i64,
    last_seq: i64,
}

/// Whether a person follows a thread (0 or 1), and their cursor in it.
#[derive(Debug)]
struct FollowStateRecord {
    following: i64,
    last_read_seq: i64,
}

/// A followed thread as stored, with its replies counted.
#[derive(Debug)]
struct FollowRecord {
    channel_id: i64,
    root_seq: i64,
    last_read_seq: i64,
    unread: i64,
    last_reply_seq: i64,
}

impl Store {
    /// Puts each thread's summary on its root among `events` (one
    /// channel's): every root in the page that has had a reply.
    pub(super) async fn with_threads(&self, mut events: Vec<Message>) -> StoreResult<Vec<Message>> {
        let seqs = events.iter().filter(|m| m.kind == EventKind::Message && m.thread_of.is_none()).map(|m| m.seq);
        let (Some(from), Some(to)) = (seqs.clone().min(), seqs.max()) else { return Ok(events) };
        let channel_id = events[0].channel_id;
        let db = &mut self.db().await?;
        let parts = sql!(
            db,
            fetch_all,
            query_as!(
                ThreadPartRecord,
                r#"SELECT thread_of AS "root!: i64", author_id, kind, COUNT(*) AS "n!: i64",
                      COUNT(deleted_at) AS "deleted!: i64", MAX(created_at) AS "last_at!: i64",
                      MIN(seq) AS "first_seq!: i64", MAX(seq) AS "last_seq!: i64"
                 FROM messages WHERE channel_id = $1 AND thread_of >= $2 AND thread_of <= $3
                 GROUP BY thread_of, author_id, kind"#,
                channel_id,
                from,
                to
            )
        )?;
        let mut summaries = summaries(parts);
        for m in events.iter_mut().filter(|m| m.kind == EventKind::Message && m.thread_of.is_none()) {
            m.thread = summaries.remove(&m.seq).map(Box::new);
        }
        Ok(events)
    }

    /// After a reply: its author (`replier`, with the reply's `seq`) follows
    /// its thread and has read it up to their reply, and each of `others`
    /// (the root's author, those the reply mentions) follows it unless they
    /// chose not to. Each who follows it only now gets a notice:
    /// `(user_id, notice seq)`.
    pub(crate) async fn follow_on_reply(
        &self,
        org_id: i64,
        (channel_id, root_seq): (i64, i64),
        replier: Option<(i64, i64)>,
        others: &[i64],
    ) -> StoreResult<Vec<(i64, i64)>> {
        let mut tx = self.pool.begin_write().await?;
        let mut told = Vec::new();
        let decided = replier.map(|(user_id, read_to)| (user_id, read_to, true));
        let undecided = others.iter().map(|&user_id| (user_id, 0, false));
        for (user_id, read_to, decided) in decided.into_iter().chain(undecided) {
            let was = following(&mut tx, channel_id, root_seq, user_id).await?;
            let now_following = match was {
                Some(f) if !decided => f,
                _ => true,
            };
            upsert_follow(&mut tx, channel_id, root_seq, user_id, Some(now_following), read_to).await?;
            if now_following && was != Some(true) {
                let about = NoticeAbout::ThreadFollowed { channel_id, root_seq, following: true };
                if let Some(seq) = next_notice_seq(&mut tx, org_id, user_id).await? {
                    write_notice(&mut tx, org_id, user_id, seq, &about).await?;
                    told.push((user_id, seq));
                }
            }
        }
        tx.commit().await?;
        Ok(told)
    }

    /// Follows a thread or stops following it, with a notice when that
    /// changed anything (its `seq`).
    pub(crate) async fn set_following(
        &self,
        org_id: i64,
        user_id: i64,
        (channel_id, root_seq): (i64, i64),
        follow: bool,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.pool.begin_write().await?;
        let notice_seq = next_notice_seq(&mut tx, org_id, user_id).await?;
        let was = following(&mut tx, channel_id, root_seq, user_id).await?;
        if was == Some(follow) || notice_seq.is_none() {
            return Ok(None);
        }
        upsert_follow(&mut tx, channel_id, root_seq, user_id, Some(follow), 0).await?;
        let about = NoticeAbout::ThreadFollowed { channel_id, root_seq, following: follow };
        let seq = notice_seq.expect("checked above");
        write_notice(&mut tx, org_id, user_id, seq, &about).await?;
        tx.commit().await?;
        Ok(Some(seq))
    }

    /// Moves a person's read cursor in a thread forward to `seq` (never
    /// back, never past its newest reply) and, if it moved, writes their
    /// notice of it in the same transaction: where the cursor is now, and
    /// the notice's `seq` if there is one.
    pub(crate) async fn mark_thread_read(
        &self,
        org_id: i64,
        user_id: i64,
        (channel_id, root_seq): (i64, i64),
        seq: i64,
    ) -> StoreResult<(i64, Option<i64>)> {
        let mut tx = self.pool.begin_write().await?;
        let notice_seq = next_notice_seq(&mut tx, org_id, user_id).await?;
        let newest = sql!(
            &mut tx,
            fetch_one,
            query_scalar!(
                r#"SELECT COALESCE(MAX(seq), 0) AS "newest!: i64" FROM messages
                 WHERE channel_id = $1 AND thread_of = $2 AND kind = 'message'"#,
                channel_id,
                root_seq
            )
        )?;
        let before = read_to(&mut tx, channel_id, root_seq, user_id).await?;
        let now = seq.min(newest).max(before);
        let Some(notice_seq) = notice_seq.filter(|_| now > before) else {
            return Ok((now, None));
        };
        // Reading is no choice: one who never chose still follows it once
        // they reply or are mentioned in it.
        let follows = following(&mut tx, channel_id, root_seq, user_id).await?;
        upsert_follow(&mut tx, channel_id, root_seq, user_id, follows, now).await?;
        let about = NoticeAbout::ThreadRead { channel_id, root_seq, last_read_seq: now };
        write_notice(&mut tx, org_id, user_id, notice_seq, &about).await?;
        tx.commit().await?;
        Ok((now, Some(notice_seq)))
    }

    /// Whether a person follows a thread, and their read cursor in it.
    pub(crate) async fn thread_standing(
        &self,
        channel_id: i64,
        root_seq: i64,
        user_id: i64,
    ) -> StoreResult<(bool, i64)> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(
                FollowStateRecord,
                "SELECT following, last_read_seq FROM thread_follows
                 WHERE channel_id = $1 AND root_seq = $2 AND user_id = $3",
                channel_id,
                root_seq,
                user_id
            )
        )?;
        Ok(row.map_or((false, 0), |r| (r.following == FOLLOWING, r.last_read_seq)))
    }

    /// The threads a person follows in an organization's channels, newest
    /// reply first (at most `limit`), with their replies counted.
    pub(crate) async fn followed_threads(
        &self,
        org_id: i64,
        user_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<FollowedThread>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                FollowRecord,
                r#"SELECT f.channel_id, f.root_seq, f.last_read_seq,
                      (SELECT COUNT(*) FROM (SELECT 1 FROM messages e WHERE e.channel_id = f.channel_id
                         AND e.thread_of = f.root_seq AND e.kind = 'message' AND e.deleted_at IS NULL
                         AND e.author_id <> $1 AND e.seq > f.last_read_seq LIMIT 100) AS unread_rows) AS "unread!: i64",
                      (SELECT COALESCE(MAX(e.seq), 0) FROM messages e WHERE e.channel_id = f.channel_id
                         AND e.thread_of = f.root_seq AND e.kind = 'message') AS "last_reply_seq!: i64"
                 FROM thread_follows f JOIN channels c ON c.id = f.channel_id
                 WHERE f.user_id = $1 AND f.following = 1 AND c.org_id = $2
                 ORDER BY 5 DESC LIMIT $3"#,
                user_id,
                org_id,
                limit
            )
        )?;
        Ok(rows
            .into_iter()
            .map(|r| FollowedThread {
                channel_id: r.channel_id,
                root_seq: r.root_seq,
                last_read_seq: r.last_read_seq,
                unread: r.unread,
                last_reply_seq: r.last_reply_seq,
            })
            .collect())
    }

    /// Up to `limit` replies of a thread before `before_seq` (the newest
    /// when `None`) that `reader` may read, oldest first, and whether older
    /// ones exist.
    pub(crate) async fn thread_replies(
        &self,
        channel_id: i64,
        root_seq: i64,
        before_seq: Option<i64>,
        limit: i64,
        reader: i64,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let (db, before_seq, fetched) = (&mut self.db().await?, before_seq.unwrap_or(i64::MAX), limit + 1);
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MessageRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel
               FROM messages m JOIN users u ON u.id = m.author_id
               WHERE m.channel_id = $1 AND m.thread_of = $2 AND m.kind = 'message' AND m.seq < $3
                 AND NOT EXISTS (SELECT 1 FROM channel_absences a WHERE a.channel_id = $1 AND a.user_id = $5
                                 AND m.seq > a.from_seq AND (a.to_seq IS NULL OR m.seq <= a.to_seq))
               ORDER BY m.seq DESC LIMIT $4"#,
                channel_id,
                root_seq,
                before_seq,
                fetched,
                reader
            )
        )?;
        let has_more = rows.len() as i64 > limit;
        let mut replies = rows.into_iter().take(limit as usize).map(message).collect::<StoreResult<Vec<_>>>()?;
        replies.reverse();
        Ok((self.with_reactions(self.with_files(replies).await?).await?, has_more))
    }
}

/// Each thread's summary, by its root's `seq`, from its parts.
fn summaries(parts: Vec<ThreadPartRecord>) -> HashMap<i64, ThreadSummary> {
    let mut firsts: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    let mut all: HashMap<i64, ThreadSummary> = HashMap::new();
    for p in parts {
        let summary = all.entry(p.root).or_default();
        summary.seq = summary.seq.max(p.last_seq);
        if p.kind == EventKind::Message.as_str() {
            summary.replies += p.n - p.deleted;
            summary.last_reply_at = summary.last_reply_at.max(p.last_at);
            firsts.entry(p.root).or_default().push((p.first_seq, p.author_id));
        }
    }
    for (root, mut people) in firsts {
        people.sort_unstable();
        if let Some(summary) = all.get_mut(&root) {
            summary.participants = people.into_iter().map(|(_, id)| id).collect();
        }
    }
    all
}

/// `thread_follows.following`: following, chose not to, or neither (a
/// reader who never chose, nor posted or was mentioned in it).
const FOLLOWING: i64 = 1;
const NOT_FOLLOWING: i64 = 0;
const UNDECIDED: i64 = -1;

/// Whether a person follows a thread (`None`: they never said, nor posted
/// in it).
async fn following(tx: &mut Tx, channel_id: i64, root_seq: i64, user_id: i64) -> StoreResult<Option<bool>> {
    let row = sql!(
        tx,
        fetch_optional,
        query_scalar!(
            "SELECT following FROM thread_follows WHERE channel_id = $1 AND root_seq = $2 AND user_id = $3",
            channel_id,
            root_seq,
            user_id
        )
    )?;
    Ok(row.and_then(|f| match f {
        FOLLOWING => Some(true),
        NOT_FOLLOWING => Some(false),
        _ => None,
    }))
}

/// A person's read cursor in a thread (0 without one).
async fn read_to(tx: &mut Tx, channel_id: i64, root_seq: i64, user_id: i64) -> StoreResult<i64> {
    let row = sql!(
        tx,
        fetch_optional,
        query_scalar!(
            "SELECT last_read_seq FROM thread_follows WHERE channel_id = $1 AND root_seq = $2 AND user_id = $3",
            channel_id,
            root_seq,
            user_id
        )
    )?;
    Ok(row.unwrap_or(0))
}

/// Writes whether a person follows a thread (`None`: they have not chosen),
/// and moves their cursor forward to `read_to` (never back).
async fn upsert_follow(
    tx: &mut Tx,
    channel_id: i64,
    root_seq: i64,
    user_id: i64,
    follow: Option<bool>,
    read_to: i64,
) -> StoreResult<()> {
    let follow = match follow {
        Some(true) => FOLLOWING,
        Some(false) => NOT_FOLLOWING,
        None => UNDECIDED,
    };
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO thread_follows (channel_id, root_seq, user_id, following, last_read_seq)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (channel_id, root_seq, user_id) DO UPDATE SET following = excluded.following,
               last_read_seq = CASE WHEN excluded.last_read_seq > thread_follows.last_read_seq
                                    THEN excluded.last_read_seq ELSE thread_follows.last_read_seq END",
            channel_id,
            root_seq,
            user_id,
            follow,
            read_to
        )
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(root: i64, author_id: i64, kind: &str, n: i64, deleted: i64, seqs: (i64, i64)) -> ThreadPartRecord {
        let (first_seq, last_seq) = seqs;
        ThreadPartRecord { root, author_id, kind: kind.into(), n, deleted, last_at: last_seq * 10, first_seq, last_seq }
    }

    #[test]
    fn a_summary_counts_live_replies_names_everyone_who_replied_and_ends_at_its_newest_event() {
        let all = summaries(vec![
            part(1, 8, "message", 2, 1, (5, 9)),
            part(1, 7, "message", 1, 0, (3, 3)),
            part(1, 9, "deleted", 1, 0, (10, 10)),
            part(4, 7, "message", 1, 0, (6, 6)),
        ]);
        let one = &all[&1];
        assert_eq!((one.replies, one.last_reply_at, one.seq), (2, 90, 10));
        assert_eq!(one.participants, vec![7, 8], "in the order of their first reply; deleters are not repliers");
        assert_eq!((all[&4].replies, all[&4].participants.clone()), (1, vec![7]));
    }
}
