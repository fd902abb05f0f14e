//! Group commit: new messages of every channel are stored by one writer task,
//! as many as are waiting in one transaction of a few statements, instead of a
//! transaction of their own each.
//!
//! A database statement is cheap; handing it to the database and waiting for
//! its answer is not (for SQLite each one is a round trip to the connection's
//! thread, and writers on other connections wait for the file's lock). So the
//! writer takes everything queued while the last batch was being stored and
//! stores it with four statements, whatever its size: which `client_id`s were
//! stored before, every channel's `last_seq` moved on by its count, all rows
//! inserted, commit. Nothing waits on a timer: a message alone on a quiet
//! server is stored at once (in a transaction of its own, one statement
//! shorter), and batches grow only as load does.
//!
//! The invariants stay the store's: each channel's `seq` is gapless (a batch
//! takes exactly as many as it inserts, in the same transaction), a
//! `client_id` is stored once per channel (a retry, even one in the same
//! batch as its first try, comes back as "stored before"), and a batch that
//! fails as a whole (a database error, a channel that vanished) is written
//! again one message at a time, so one bad message fails alone.

use std::collections::{HashMap, HashSet};

use tokio::sync::{mpsc, oneshot};

use super::{Pool, StoreError, StoreResult};

/// Messages waiting for the writer before senders wait for it.
const QUEUE: usize = 4096;
/// The most messages stored in one transaction (7 binds each, far below
/// either database's limit).
const MAX_BATCH: usize = 512;

/// A message to store.
#[derive(Debug)]
pub struct NewMessage {
    pub channel_id: i64,
    pub client_id: String,
    pub author_id: i64,
    pub body: String,
    pub created_at: i64,
}

/// Where a message was stored (its id and `seq`), or `None` when its
/// `client_id` had been stored in its channel before (a retry).
pub type Written = Option<(i64, i64)>;

struct Pending {
    message: NewMessage,
    answer: oneshot::Sender<StoreResult<Written>>,
}

/// The writer's queue; cheap to clone. The writer task ends when the last
/// clone is dropped.
#[derive(Clone)]
pub(super) struct MessageWriter {
    queue: mpsc::Sender<Pending>,
}

impl MessageWriter {
    /// Starts the writer task on the current runtime.
    pub(super) fn start(pool: Pool) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(pool, receiver));
        MessageWriter { queue }
    }

    /// Stores `message` with the next batch and answers once it is committed.
    pub(super) async fn write(&self, message: NewMessage) -> StoreResult<Written> {
        let (answer, answered) = oneshot::channel();
        self.queue.send(Pending { message, answer }).await.map_err(|_| closed())?;
        answered.await.map_err(|_| closed())?
    }
}

/// The writer task is gone: the runtime is shutting down.
fn closed() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolClosed)
}

async fn write_batches(pool: Pool, mut receiver: mpsc::Receiver<Pending>) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let (messages, answers): (Vec<_>, Vec<_>) = pending.drain(..).map(|p| (p.message, p.answer)).unzip();
        if let [message] = &messages[..] {
            // Alone: its own transaction is one statement shorter (a retry
            // is told by the unique index instead of looked up first).
            let written = store_one(&pool, message).await;
            if let Some(answer) = answers.into_iter().next() {
                let _ = answer.send(written);
            }
            continue;
        }
        match store_batch(&pool, &messages).await {
            Ok(written) => {
                tracing::debug!(messages = written.len(), "batch of messages stored");
                for (answer, written) in answers.into_iter().zip(written) {
                    // A sender that stopped waiting: its message is stored all the same.
                    let _ = answer.send(Ok(written));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, messages = messages.len(), "storing a batch failed; storing its messages one by one");
                for (message, answer) in messages.into_iter().zip(answers) {
                    let _ = answer.send(store_one(&pool, &message).await);
                }
            }
        }
    }
}

async fn store_batch(pool: &Pool, messages: &[NewMessage]) -> sqlx::Result<Vec<Written>> {
    match pool {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Pool::Sqlite(pool) => super::sqlite::insert_messages(pool, messages).await,
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Pool::Postgres(pool) => super::postgres::insert_messages(pool, messages).await,
    }
}

async fn store_one(pool: &Pool, m: &NewMessage) -> StoreResult<Written> {
    let written = match pool {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Pool::Sqlite(pool) => {
            super::sqlite::insert_message(pool, m.channel_id, &m.client_id, m.author_id, &m.body, m.created_at).await
        }
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Pool::Postgres(pool) => {
            super::postgres::insert_message(pool, m.channel_id, &m.client_id, m.author_id, &m.body, m.created_at).await
        }
    };
    match written.map_err(StoreError::from) {
        Ok(stored) => Ok(Some(stored)),
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel_id: i64, client_id: &str) -> NewMessage {
        NewMessage { channel_id, client_id: client_id.into(), author_id: 1, body: "hi".into(), created_at: 0 }
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
    fn a_channel_or_row_missing_from_the_answers_fails_the_batch() {
        let messages = [message(7, "a"), message(9, "b")];
        let batch = Batch::new(&messages, vec![]);
        assert!(batch.to_insert(&[(7, 1)]).is_none(), "channel 9 did not move on");
        let rows = batch.to_insert(&[(7, 1), (9, 1)]).unwrap();
        assert!(batch.written(&[(1, 7, 1)], &rows).is_none(), "no row came back for channel 9");
    }
}
