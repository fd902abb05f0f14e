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
//! inserted, commit ([`super::message_batch`] plans it). Nothing waits on a
//! timer: a message alone on a quiet server is stored at once (in a
//! transaction of its own, one statement shorter), and batches grow only as
//! load does.
//!
//! The invariants stay the store's: each channel's `seq` is gapless (a batch
//! takes exactly as many as it inserts, in the same transaction), a
//! `client_id` is stored once per channel (a retry, even one in the same
//! batch as its first try, comes back as "stored before"), and a batch that
//! fails as a whole (a database error, a channel that vanished) is written
//! again one message at a time, so one bad message fails alone. A batch that
//! fails because the database cannot be reached is not tried again message
//! by message: each try could wait the pool's whole acquire timeout while
//! every sender holds its channel's turn, so all of them are told at once.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use super::message_batch::{NewMessage, Written};
use super::{StoreError, StoreResult};

/// Messages waiting for the writer before senders wait for it.
const QUEUE: usize = 4096;
/// The most messages stored in one transaction (7 binds each, far below
/// either database's limit).
const MAX_BATCH: usize = 512;

/// Where the writer stores messages: the database (`store::Pool`), or a
/// stand-in in tests.
pub(super) trait MessageSink: Send + Sync + 'static {
    /// Stores a batch in one transaction; each message's outcome, in order.
    fn store_batch(&self, messages: &[NewMessage]) -> impl Future<Output = StoreResult<Vec<Written>>> + Send;
    /// Stores one message in a transaction of its own.
    fn store_one(&self, message: &NewMessage) -> impl Future<Output = StoreResult<Written>> + Send;
}

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
    pub(super) fn start(sink: impl MessageSink) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tokio::spawn(write_batches(sink, receiver));
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
    StoreError::Unavailable(std::sync::Arc::new(sqlx::Error::PoolClosed))
}

async fn write_batches(sink: impl MessageSink, mut receiver: mpsc::Receiver<Pending>) {
    let mut pending = Vec::with_capacity(MAX_BATCH);
    while receiver.recv_many(&mut pending, MAX_BATCH).await > 0 {
        let (messages, answers): (Vec<_>, Vec<_>) = pending.drain(..).map(|p| (p.message, p.answer)).unzip();
        if let [message] = &messages[..] {
            // Alone: its own transaction is one statement shorter (a retry
            // is told by the unique index instead of looked up first).
            let written = sink.store_one(message).await;
            if let Some(answer) = answers.into_iter().next() {
                let _ = answer.send(written);
            }
            continue;
        }
        match sink.store_batch(&messages).await {
            Ok(written) => {
                tracing::debug!(messages = written.len(), "batch of messages stored");
                for (answer, written) in answers.into_iter().zip(written) {
                    // A sender that stopped waiting: its message is stored all the same.
                    let _ = answer.send(Ok(written));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, messages = messages.len(), "storing a batch failed");
                store_one_by_one(&sink, messages, answers, e.unavailable_again()).await;
            }
        }
    }
}

/// Stores the messages of a failed batch one at a time, so that one bad
/// message fails alone; once the database is found unavailable (`down`),
/// the rest are told so without trying.
async fn store_one_by_one(
    sink: &impl MessageSink,
    messages: Vec<NewMessage>,
    answers: Vec<oneshot::Sender<StoreResult<Written>>>,
    mut down: Option<StoreError>,
) {
    for (message, answer) in messages.into_iter().zip(answers) {
        let written = match &down {
            Some(e) => Err(e.unavailable_again().unwrap_or_else(closed)),
            None => sink.store_one(&message).await,
        };
        if let Err(e) = &written
            && down.is_none()
        {
            down = e.unavailable_again();
        }
        let _ = answer.send(written);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A database that cannot be reached: every attempt waits a while (as a
    /// pool waits out its acquire timeout) and fails.
    #[derive(Clone, Default)]
    struct Down {
        batches: Arc<AtomicUsize>,
        singles: Arc<AtomicUsize>,
    }

    fn down() -> StoreError {
        StoreError::Unavailable(Arc::new(sqlx::Error::PoolTimedOut))
    }

    impl MessageSink for Down {
        async fn store_batch(&self, _: &[NewMessage]) -> StoreResult<Vec<Written>> {
            self.batches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(down())
        }
        async fn store_one(&self, _: &NewMessage) -> StoreResult<Written> {
            self.singles.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(down())
        }
    }

    fn message(i: usize) -> NewMessage {
        NewMessage {
            channel_id: 1,
            client_id: format!("c{i}"),
            author_id: 1,
            body: "hi".into(),
            created_at: 0,
            reply: None,
            files: Vec::new(),
        }
    }

    /// A batch that failed because the database is down is answered as a
    /// whole, at once: its messages are not tried again one by one (each
    /// try would wait out the pool's acquire timeout while its sender holds
    /// the channel's turn).
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_failing_for_an_outage_is_answered_at_once() {
        let sink = Down::default();
        let writer = MessageWriter::start(sink.clone());
        // Queued before the writer first runs, so they make one batch.
        let sends: Vec<_> = (0..100)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.write(message(i)).await })
            })
            .collect();
        for send in sends {
            let answer = send.await.unwrap();
            assert!(matches!(answer, Err(StoreError::Unavailable(_))), "{answer:?}");
        }
        assert_eq!(sink.batches.load(Ordering::SeqCst), 1);
        assert_eq!(sink.singles.load(Ordering::SeqCst), 0, "no message tried again alone");
    }

    /// A batch that failed for another reason (one bad message) is stored
    /// one by one, so the others go through.
    #[tokio::test(flavor = "current_thread")]
    async fn a_batch_failing_for_one_message_stores_the_others() {
        #[derive(Clone, Default)]
        struct OneBad(Arc<AtomicUsize>);
        impl MessageSink for OneBad {
            async fn store_batch(&self, _: &[NewMessage]) -> StoreResult<Vec<Written>> {
                Err(StoreError::Unknown("a bad row".into()))
            }
            async fn store_one(&self, m: &NewMessage) -> StoreResult<Written> {
                let n = self.0.fetch_add(1, Ordering::SeqCst) as i64;
                if m.client_id == "c3" { Err(StoreError::Unknown("bad".into())) } else { Ok(Some((n, n))) }
            }
        }
        let writer = MessageWriter::start(OneBad::default());
        let sends: Vec<_> = (0..10)
            .map(|i| {
                let writer = writer.clone();
                tokio::spawn(async move { (i, writer.write(message(i)).await) })
            })
            .collect();
        for send in sends {
            let (i, answer) = send.await.unwrap();
            assert_eq!(answer.is_ok(), i != 3, "message {i}: {answer:?}");
        }
    }
}
