//! A batch of new messages stored in one transaction of four statements
//! (see `store::group_commit`; on PostgreSQL a fifth first locks a batch's
//! channels in id order, `dialect::lock_channels`): which of them were stored before, every
//! channel's `last_seq` moved on by its count, all new rows inserted; then
//! commit. [`Batch`] plans it (which are new, how many `seq`s each channel
//! gives, each new message's `seq`) with no database; [`insert_batch`] runs it.
//!
//! These statements are the store's one exception to compile-time checked
//! SQL: their number of rows varies with the batch, and SQLite has no array
//! parameters to write them as one fixed statement. They are built with
//! sqlx's `QueryBuilder` in SQL both dialects accept, only placeholders are
//! bound into them, and the tests run them on both databases.

use std::collections::{HashMap, HashSet};

use sqlx::QueryBuilder;

use super::dialect::{AsDb, Db, Tx, lock_channels};
use super::{StoreError, StoreResult};

/// A message to store.
#[derive(Debug)]
pub(crate) struct NewMessage {
    pub(crate) channel_id: i64,
    pub(crate) client_id: String,
    pub(crate) author_id: i64,
    pub(crate) body: String,
    pub(crate) created_at: i64,
    /// The thread it replies in, if it is a reply.
    pub(crate) reply: Option<ReplyTo>,
    /// Files its sender uploaded to the channel and has not sent yet,
    /// attached to it in the same transaction.
    pub(crate) files: Vec<i64>,
}

/// Where a reply goes: its thread's root, and whether it is also sent to
/// the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReplyTo {
    pub(crate) root_seq: i64,
    pub(crate) in_channel: bool,
}

/// Where a message was stored (its id and `seq`), or `None` when its
/// `client_id` had been stored in its channel before (a retry).
pub(crate) type Written = Option<(i64, i64)>;

/// One batch as both dialects store it: which messages are new, how many
/// `seq`s each channel gives, and then each new message's `seq`.
pub(super) struct Batch<'a> {
    messages: &'a [NewMessage],
    /// Per message: stored neither before nor earlier in this batch.
    new: Vec<bool>,
    /// Each channel with new messages and how many, in first-seen order.
    counts: Vec<(i64, i64)>,
}

impl<'a> Batch<'a> {
    /// `stored_before`: the `(channel_id, client_id)`s of the batch already
    /// in the database.
    pub(super) fn new(messages: &'a [NewMessage], stored_before: Vec<(i64, String)>) -> Self {
        let mut seen: HashSet<(i64, &str)> = stored_before.iter().map(|(c, k)| (*c, k.as_str())).collect();
        let mut counts: Vec<(i64, i64)> = Vec::new();
        let new = messages
            .iter()
            .map(|m| {
                let new = seen.insert((m.channel_id, m.client_id.as_str()));
                if new {
                    match counts.iter_mut().find(|(c, _)| *c == m.channel_id) {
                        Some((_, n)) => *n += 1,
                        None => counts.push((m.channel_id, 1)),
                    }
                }
                new
            })
            .collect();
        Batch { messages, new, counts }
    }

    /// Each channel with new messages and how far its `last_seq` moves.
    pub(super) fn counts(&self) -> &[(i64, i64)] {
        &self.counts
    }

    /// The new messages with their `seq`s, given every counted channel's
    /// `last_seq` after it was moved on (`None` when one is missing: the
    /// channel does not exist). A channel's messages take its `seq`s in
    /// batch order.
    pub(super) fn to_insert(&self, last_seqs: &[(i64, i64)]) -> Option<Vec<(&'a NewMessage, i64)>> {
        let last: HashMap<i64, i64> = last_seqs.iter().copied().collect();
        let mut next: HashMap<i64, i64> = HashMap::with_capacity(self.counts.len());
        for (channel, n) in &self.counts {
            next.insert(*channel, last.get(channel)? - n + 1);
        }
        let rows = self
            .messages
            .iter()
            .zip(&self.new)
            .filter(|(_, new)| **new)
            .map(|(m, _)| {
                let seq = next.get_mut(&m.channel_id).expect("every new message's channel is counted");
                *seq += 1;
                (m, *seq - 1)
            })
            .collect();
        Some(rows)
    }

    /// Each message's outcome, given the `(id, channel_id, seq)` of every row
    /// inserted (`None` when one is missing).
    pub(super) fn written(&self, inserted: &[(i64, i64, i64)], rows: &[(&NewMessage, i64)]) -> Option<Vec<Written>> {
        let ids: HashMap<(i64, i64), i64> = inserted.iter().map(|(id, c, seq)| ((*c, *seq), *id)).collect();
        let mut rows = rows.iter();
        self.new
            .iter()
            .map(|new| match new {
                false => Some(None),
                true => {
                    let (m, seq) = rows.next()?;
                    Some(Some((*ids.get(&(m.channel_id, *seq))?, *seq)))
                }
            })
            .collect()
    }
}

/// Each file to attach and the id of the message it goes to (new messages only).
pub(super) fn attachments(messages: &[NewMessage], written: &[Written]) -> Vec<(i64, i64)> {
    messages
        .iter()
        .zip(written)
        .filter_map(|(m, w)| Some((m, (*w)?.0)))
        .flat_map(|(m, id)| m.files.iter().map(move |f| (*f, id)))
        .collect()
}

/// Stores a batch in `tx`: for each message, its id and `seq`, or `None`
/// when its client id was stored in its channel before (or earlier in the
/// batch). A channel that does not exist fails the batch.
pub(super) async fn insert_batch(tx: &mut Tx, messages: &[NewMessage]) -> StoreResult<Vec<Written>> {
    let mut channel_ids: Vec<i64> = messages.iter().map(|m| m.channel_id).collect();
    channel_ids.sort_unstable();
    channel_ids.dedup();
    if channel_ids.len() > 1 {
        lock_channels(tx, &channel_ids).await?;
    }
    // The same statements for either dialect, each built for its own.
    macro_rules! insert_batch_in {
        ($conn:expr) => {{
            let mut q =
                QueryBuilder::new("SELECT channel_id, client_id FROM messages WHERE (channel_id, client_id) IN (");
            q.push_values(messages, |mut row, m| {
                row.push_bind(m.channel_id).push_bind(&m.client_id);
            });
            q.push(")");
            let stored_before: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *$conn).await?;
            let batch = Batch::new(messages, stored_before);
            let mut last_seqs = Vec::new();
            if !batch.counts().is_empty() {
                let mut q = QueryBuilder::new("UPDATE channels SET last_seq = last_seq + v.column2 FROM (");
                q.push_values(batch.counts(), |mut row, (channel_id, n)| {
                    row.push_bind(*channel_id).push_bind(*n);
                });
                q.push(") AS v WHERE channels.id = v.column1 RETURNING channels.id, channels.last_seq");
                last_seqs = q.build_query_as().fetch_all(&mut *$conn).await?;
            }
            let rows = batch.to_insert(&last_seqs).ok_or(sqlx::Error::RowNotFound)?;
            let mut inserted = Vec::new();
            if !rows.is_empty() {
                let mut q = QueryBuilder::new(
                    "INSERT INTO messages (channel_id, seq, kind, client_id, author_id, body, created_at, thread_of, in_channel) ",
                );
                q.push_values(&rows, |mut row, (m, seq)| {
                    row.push_bind(m.channel_id)
                        .push_bind(*seq)
                        .push_bind("message")
                        .push_bind(&m.client_id)
                        .push_bind(m.author_id)
                        .push_bind(&m.body)
                        .push_bind(m.created_at)
                        .push_bind(m.reply.map(|r| r.root_seq))
                        .push_bind(i64::from(m.reply.is_some_and(|r| r.in_channel)));
                });
                q.push(" RETURNING id, channel_id, seq");
                inserted = q.build_query_as().fetch_all(&mut *$conn).await?;
            }
            batch.written(&inserted, &rows).ok_or(sqlx::Error::RowNotFound)?
        }};
    }
    let written = match tx.db() {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Db::Sqlite(conn) => insert_batch_in!(conn),
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Db::Postgres(conn) => insert_batch_in!(conn),
    };
    attach_files(tx, &attachments(messages, &written)).await?;
    Ok(written)
}

/// Attaches each file to its message (`(file_id, message_id)`), in the
/// messages' transaction; fails if one was sent by another message meanwhile.
pub(super) async fn attach_files(tx: &mut Tx, attached: &[(i64, i64)]) -> StoreResult<()> {
    if attached.is_empty() {
        return Ok(());
    }
    macro_rules! attach_in {
        ($conn:expr) => {{
            let mut q = QueryBuilder::new("UPDATE files SET message_id = v.column2 FROM (");
            q.push_values(attached, |mut row, (file_id, message_id)| {
                row.push_bind(*file_id).push_bind(*message_id);
            });
            q.push(") AS v WHERE files.id = v.column1 AND files.message_id IS NULL");
            q.build().execute(&mut *$conn).await?.rows_affected()
        }};
    }
    let attached_now = match tx.db() {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Db::Sqlite(conn) => attach_in!(conn),
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Db::Postgres(conn) => attach_in!(conn),
    };
    if attached_now != attached.len() as u64 {
        // Sent by another message, or expired, since it was checked: this
        // message is not stored without it (a batch then stores its
        // messages one by one, and only this one fails).
        return Err(StoreError::Unknown("a file named in a message was sent or forgotten meanwhile".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel_id: i64, client_id: &str) -> NewMessage {
        NewMessage {
            channel_id,
            client_id: client_id.into(),
            author_id: 1,
            body: "hi".into(),
            created_at: 0,
            reply: None,
            files: Vec::new(),
        }
    }

    #[test]
    fn a_batch_gives_each_channel_consecutive_seqs_in_batch_order() {
        let messages = [message(7, "a"), message(9, "b"), message(7, "c"), message(7, "d")];
        let batch = Batch::new(&messages, vec![]);
        assert_eq!(batch.counts(), &[(7, 3), (9, 1)]);
        // Channel 7 was at 10 (now 13), channel 9 at 0 (now 1).
        let rows = batch.to_insert(&[(9, 1), (7, 13)]).unwrap();
        let seqs: Vec<(i64, &str, i64)> = rows.iter().map(|(m, s)| (m.channel_id, m.client_id.as_str(), *s)).collect();
        assert_eq!(seqs, vec![(7, "a", 11), (9, "b", 1), (7, "c", 12), (7, "d", 13)]);
        let written = batch.written(&[(100, 7, 11), (101, 9, 1), (102, 7, 12), (103, 7, 13)], &rows).unwrap();
        assert_eq!(written, vec![Some((100, 11)), Some((101, 1)), Some((102, 12)), Some((103, 13))]);
    }

    #[test]
    fn retries_before_and_within_a_batch_take_no_seq() {
        // "a" was stored before; "b" comes twice in this batch; the same
        // client id in another channel is another message.
        let messages = [message(7, "a"), message(7, "b"), message(7, "b"), message(8, "a")];
        let batch = Batch::new(&messages, vec![(7, "a".into())]);
        assert_eq!(batch.counts(), &[(7, 1), (8, 1)]);
        let rows = batch.to_insert(&[(7, 5), (8, 1)]).unwrap();
        assert_eq!(rows.iter().map(|(_, s)| *s).collect::<Vec<_>>(), vec![5, 1]);
        let written = batch.written(&[(40, 7, 5), (41, 8, 1)], &rows).unwrap();
        assert_eq!(written, vec![None, Some((40, 5)), None, Some((41, 1))]);
    }

    #[test]
    fn files_go_to_the_new_messages_that_name_them() {
        let mut with_files = message(7, "a");
        with_files.files = vec![30, 31];
        let mut retried = message(7, "b");
        retried.files = vec![32];
        let messages = [with_files, retried, message(7, "c")];
        assert_eq!(attachments(&messages, &[Some((100, 1)), None, Some((101, 2))]), vec![(30, 100), (31, 100)]);
    }

    #[test]
    fn a_channel_or_row_missing_from_the_answers_fails_the_batch() {
        let messages = [message(7, "a"), message(9, "b")];
        let batch = Batch::new(&messages, vec![]);
        assert!(batch.to_insert(&[(7, 1)]).is_none(), "channel 9 did not move on");
        let rows = batch.to_insert(&[(7, 1), (9, 1)]).unwrap();
        assert!(batch.written(&[(1, 7, 1)], &rows).is_none(), "no row came back for channel 9");
    }
}
