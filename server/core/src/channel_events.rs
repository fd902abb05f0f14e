//! Channels as ordered event streams, in this process: each change to a
//! channel is published after its commit, in `seq` order per channel, to the
//! subscribers (the Socket.IO layer delivers them to the channel's room).
//!
//! Order comes from writing each channel one change at a time: the writer
//! holds the channel's turn from taking the next `seq` until its event is
//! published. The database serializes a channel's writes anyway (its
//! `last_seq` row is locked until commit), so the turn costs nothing extra.
//! A write runs to its end in a task of its own, even when whoever asked for
//! it stops waiting (an HTTP client hanging up), so nothing is stored without
//! being published. A reader can take the turn too ([`ChannelEvents::at_point`]),
//! to read the channel as of one point of its stream and put a step (such as
//! "this socket joins the room now") into the stream at exactly that point.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use crate::model::Message;
use tokio::sync::{Mutex as TurnLock, mpsc};

/// Events waiting for a slow subscriber before writers wait for it.
const SUBSCRIBER_QUEUE: usize = 4096;

/// A change to a channel.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelEvent {
    /// A message was posted, or someone joined or left.
    Message(Message),
    /// Its author left and can no longer see the channel (a private or
    /// supervisor one): from this point on, their live connections are out
    /// of its room. The event itself is delivered like any other.
    LostSight(Message),
}

impl ChannelEvent {
    pub fn channel_id(&self) -> i64 {
        match self {
            ChannelEvent::Message(m) | ChannelEvent::LostSight(m) => m.channel_id,
        }
    }

    pub fn seq(&self) -> i64 {
        match self {
            ChannelEvent::Message(m) | ChannelEvent::LostSight(m) => m.seq,
        }
    }

    pub fn into_message(self) -> Message {
        match self {
            ChannelEvent::Message(m) | ChannelEvent::LostSight(m) => m,
        }
    }
}

/// An event with the organization (Socket.IO namespace) its channel is in.
#[derive(Clone, Debug, PartialEq)]
pub struct Published {
    pub org_slug: String,
    pub event: ChannelEvent,
}

/// What a step is given when it runs: the channel's events that its point
/// is behind the room by (delivered after the point it was taken at, before
/// it ran; none on one server, where a step runs exactly at its point), or
/// `None` when they are no longer at hand.
pub type Behind = Option<Vec<ChannelEvent>>;

/// Something to do at one point of a channel's stream, run once by whichever
/// subscriber reaches it first.
#[derive(Clone)]
pub struct Step {
    org_slug: Arc<str>,
    channel_id: i64,
    as_of: Option<i64>,
    run: Arc<Mutex<Option<StepFn>>>,
}

type StepFn = Box<dyn FnOnce(Behind) + Send>;

impl Step {
    /// To run when the room of channel `channel_id` (of organization
    /// `org_slug`) is at `seq` `as_of` of its stream (the newest the step's
    /// taker saw).
    pub fn at(org_slug: &str, channel_id: i64, as_of: i64, f: impl FnOnce(Behind) + Send + 'static) -> Self {
        Step { org_slug: org_slug.into(), channel_id, as_of: Some(as_of), run: Arc::new(Mutex::new(Some(Box::new(f)))) }
    }

    /// To run at whatever point the channel's room is when it arrives.
    pub fn now(org_slug: &str, channel_id: i64, f: impl FnOnce() + Send + 'static) -> Self {
        let run: StepFn = Box::new(move |_| f());
        Step { org_slug: org_slug.into(), channel_id, as_of: None, run: Arc::new(Mutex::new(Some(run))) }
    }

    pub fn org_slug(&self) -> &str {
        &self.org_slug
    }

    pub fn channel_id(&self) -> i64 {
        self.channel_id
    }

    /// The `seq` it is to run at, if any in particular.
    pub fn as_of(&self) -> Option<i64> {
        self.as_of
    }

    /// Runs it, unless it has run already.
    pub fn run(&self, behind: Behind) {
        let f = self.run.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(f) = f {
            f(behind);
        }
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Step(channel {} at {:?})", self.channel_id, self.as_of)
    }
}

/// What subscribers receive, in stream order.
#[derive(Clone, Debug)]
pub enum Feed {
    Event(Published),
    Step(Step),
    /// From this point of the channel's stream on, a person's live
    /// connections are out of its room: they may no longer see it.
    OutOfSight(OutOfSight),
}

/// Someone who lost sight of a channel with no event of theirs in it (they
/// had not joined it, only read it: a supervisor channel after a demotion,
/// any channel after leaving the organization).
#[derive(Clone, Debug, PartialEq)]
pub struct OutOfSight {
    pub org_slug: String,
    pub channel_id: i64,
    pub user_id: i64,
}

/// A write whose task ended without an answer: it panicked, or the runtime
/// is shutting down.
#[derive(Debug, thiserror::Error)]
#[error("the write to channel {channel_id} did not finish")]
pub(crate) struct WriteAborted {
    pub(crate) channel_id: i64,
}

/// One user of a channel's turn (holding it or waiting for it).
struct Turn {
    turns: Arc<Mutex<HashMap<i64, Arc<TurnLock<()>>>>>,
    channel_id: i64,
    /// `None` only while dropping.
    lock: Option<Arc<TurnLock<()>>>,
}

impl Turn {
    fn lock(&self) -> &TurnLock<()> {
        self.lock.as_deref().expect("a turn has its lock until dropped")
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        // Counted and let go under the map's lock, like every clone of it
        // (`turn`), so two users ending at once cannot both see the other.
        if let Some(lock) = self.lock.take()
            && Arc::strong_count(&lock) == 2
        {
            // Ours and the map's: nobody else holds or waits for it.
            turns.remove(&self.channel_id);
        }
    }
}

/// The publisher side: cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct ChannelEvents {
    /// Each channel's turn, while anyone is writing to it.
    turns: Arc<Mutex<HashMap<i64, Arc<TurnLock<()>>>>>,
    subscribers: Arc<Mutex<Vec<mpsc::Sender<Feed>>>>,
    /// Subscribers that may miss events rather than hold writers up (word
    /// to other servers, which read what they miss from the database).
    hints: Arc<Mutex<Vec<mpsc::Sender<Feed>>>>,
}

impl ChannelEvents {
    /// Every event published from now on, in order per channel.
    pub(crate) fn subscribe(&self) -> mpsc::Receiver<Feed> {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).push(tx);
        rx
    }

    /// The events and changes of sight published from now on (no steps:
    /// they are this server's own), in order per channel, as long as the
    /// receiver keeps up with `capacity`: past that, they are dropped
    /// instead of holding writers up. What was dropped is in the database.
    pub(crate) fn subscribe_hints(&self, capacity: usize) -> mpsc::Receiver<Feed> {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        self.hints.lock().unwrap_or_else(PoisonError::into_inner).push(tx);
        rx
    }

    /// Runs `write` in the channel's turn and publishes the event it returns
    /// (none: nothing changed, e.g. a retried message) before the next write
    /// to that channel starts.
    pub(crate) async fn write<T, E, F>(
        &self,
        org_slug: &str,
        channel_id: i64,
        write: F,
    ) -> Result<Result<T, E>, WriteAborted>
    where
        F: Future<Output = Result<(T, Option<ChannelEvent>), E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let this = self.clone();
        let org_slug = org_slug.to_owned();
        let task = tokio::spawn(async move {
            let turn = this.turn(channel_id);
            let _held = turn.lock().lock().await;
            match write.await {
                Ok((value, event)) => {
                    if let Some(event) = event {
                        this.send_all(Feed::Event(Published { org_slug, event })).await;
                    }
                    Ok(value)
                }
                Err(e) => Err(e),
            }
        });
        task.await.map_err(|_| WriteAborted { channel_id })
    }

    /// Runs `read` in the channel's turn: nothing is published to the channel
    /// meanwhile, so it sees the channel as of one point of its stream; the
    /// step it returns goes into the stream at that point.
    pub(crate) async fn at_point<T, F>(&self, channel_id: i64, read: F) -> T
    where
        F: Future<Output = (T, Option<Step>)>,
    {
        let turn = self.turn(channel_id);
        let _held = turn.lock().lock().await;
        let (value, step) = read.await;
        if let Some(step) = step {
            self.send_all(Feed::Step(step)).await;
        }
        value
    }

    /// Runs `change` holding the turns of all of `channel_ids` at once, then
    /// puts the feeds it returns into the streams at that point: nothing is
    /// published to those channels between the change and its feeds (a
    /// change of who may see them, and its consequences for live
    /// connections, land at one point of each stream). The turns are taken
    /// in id order, so two such calls cannot deadlock (one waits for the
    /// other); `change` must not take a turn itself.
    pub(crate) async fn across<T, F>(&self, channel_ids: &[i64], change: F) -> T
    where
        F: Future<Output = (T, Vec<Feed>)>,
    {
        let mut ids = channel_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let turns: Vec<Turn> = ids.into_iter().map(|id| self.turn(id)).collect();
        let mut held = Vec::with_capacity(turns.len());
        for turn in &turns {
            held.push(turn.lock().lock().await);
        }
        let (value, feeds) = change.await;
        for feed in feeds {
            self.send_all(feed).await;
        }
        drop(held);
        value
    }

    /// The channel's turn, for as long as the returned value lives (the map
    /// forgets it when nobody holds or waits for it any more, however the
    /// holder ends: finished, or dropped half-way).
    fn turn(&self, channel_id: i64) -> Turn {
        let lock = self.turns.lock().unwrap_or_else(PoisonError::into_inner).entry(channel_id).or_default().clone();
        Turn { turns: self.turns.clone(), channel_id, lock: Some(lock) }
    }

    #[cfg(test)]
    fn turns_held(&self) -> usize {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    async fn send_all(&self, feed: Feed) {
        let subscribers: Vec<_> = self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).clone();
        for subscriber in subscribers {
            // A subscriber that has gone (the server stopping) is skipped.
            let _ = subscriber.send(feed.clone()).await;
        }
        self.subscribers.lock().unwrap_or_else(PoisonError::into_inner).retain(|s| !s.is_closed());
        if !matches!(feed, Feed::Step(_)) {
            let mut hints = self.hints.lock().unwrap_or_else(PoisonError::into_inner);
            // A full one misses it; a closed one is forgotten.
            hints.retain(|h| !matches!(h.try_send(feed.clone()), Err(mpsc::error::TrySendError::Closed(_))));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn message(channel_id: i64, seq: i64) -> ChannelEvent {
        ChannelEvent::Message(Message {
            id: seq,
            channel_id,
            seq,
            kind: crate::kinds::EventKind::Message,
            client_id: format!("c{seq}"),
            author_id: 1,
            author: "ann".into(),
            body: "hi".into(),
            sent_at: 0,
            refers_to: None,
            deleted: false,
            edited: false,
            pinned: false,
            reactions: Vec::new(),
            files: Vec::new(),
            thread_of: None,
            in_channel: false,
            thread: None,
        })
    }

    fn seq_of(feed: Feed) -> i64 {
        match feed {
            Feed::Event(p) => p.event.seq(),
            Feed::Step(_) | Feed::OutOfSight(_) => panic!("a step where an event was expected"),
        }
    }

    /// A step taken at a point of the stream comes after every event
    /// published before that point and before every one published after.
    #[tokio::test]
    async fn a_step_sits_between_the_events_around_its_point() {
        let events = ChannelEvents::default();
        let mut rx = events.subscribe();
        let write = |seq| events.write("acme", 3, async move { Ok::<_, ()>(((), Some(message(3, seq)))) });
        write(1).await.unwrap().unwrap();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let read = events.at_point(3, async move {
            ("read", Some(Step::at("acme", 3, 1, move |_| flag.store(true, std::sync::atomic::Ordering::SeqCst))))
        });
        assert_eq!(read.await, "read");
        write(2).await.unwrap().unwrap();
        assert_eq!(seq_of(rx.try_recv().unwrap()), 1);
        let Feed::Step(step) = rx.try_recv().unwrap() else { panic!("expected the step") };
        assert_eq!((step.channel_id(), step.as_of()), (3, Some(1)));
        step.run(Some(Vec::new()));
        step.run(Some(Vec::new()));
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(seq_of(rx.try_recv().unwrap()), 2);
    }

    /// A change across channels holds each of their turns: a write to any
    /// of them waits for it, and its feeds come before that write's event;
    /// channels outside it go on meanwhile.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_change_across_channels_lands_at_one_point_of_each() {
        let events = ChannelEvents::default();
        let mut rx = events.subscribe();
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let (entered, inside) = tokio::sync::oneshot::channel::<()>();
        let across = {
            let events = events.clone();
            tokio::spawn(async move {
                events
                    .across(&[5, 4, 5], async move {
                        entered.send(()).unwrap();
                        wait.await.unwrap();
                        let gone = |channel_id| OutOfSight { org_slug: "acme".into(), channel_id, user_id: 9 };
                        ("changed", vec![Feed::OutOfSight(gone(4)), Feed::OutOfSight(gone(5))])
                    })
                    .await
            })
        };
        inside.await.unwrap();
        let write = |channel_id, seq| {
            let events = events.clone();
            tokio::spawn(async move {
                events.write("acme", channel_id, async move { Ok::<_, ()>(((), Some(message(channel_id, seq)))) }).await
            })
        };
        let held = write(5, 1);
        write(6, 1).await.unwrap().unwrap().unwrap();
        assert_eq!(seq_of(rx.recv().await.unwrap()), 1, "another channel goes on");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(rx.try_recv().is_err() && !held.is_finished(), "a held channel waits");
        release.send(()).unwrap();
        assert_eq!(across.await.unwrap(), "changed");
        held.await.unwrap().unwrap().unwrap();
        for channel_id in [4, 5] {
            let Feed::OutOfSight(gone) = rx.recv().await.unwrap() else { panic!("expected out of sight") };
            assert_eq!((gone.channel_id, gone.user_id), (channel_id, 9));
        }
        assert_eq!(seq_of(rx.recv().await.unwrap()), 1, "then the write that waited");
        assert!(events.turns.lock().unwrap().is_empty(), "turns are forgotten when unused");
    }

    /// Writers that commit in `seq` order but would publish in any order
    /// (the later ones faster) are published in `seq` order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_come_out_in_the_order_of_their_turns() {
        let events = ChannelEvents::default();
        let mut rx = events.subscribe();
        let next_seq = Arc::new(std::sync::atomic::AtomicI64::new(1));
        let mut writers = Vec::new();
        for i in 0..50u64 {
            let (events, next_seq) = (events.clone(), next_seq.clone());
            writers.push(tokio::spawn(async move {
                events
                    .write("acme", 7, async move {
                        let seq = next_seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        // The earliest writers take the longest after "commit".
                        tokio::time::sleep(Duration::from_micros(500 * (50 - i) % 3000)).await;
                        Ok::<_, ()>(((), Some(message(7, seq))))
                    })
                    .await
            }));
        }
        for w in writers {
            w.await.unwrap().unwrap().unwrap();
        }
        let seqs: Vec<i64> = (0..50).map(|_| seq_of(rx.try_recv().unwrap())).collect();
        assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
        assert!(events.turns.lock().unwrap().is_empty(), "turns are forgotten when unused");
    }

    /// A write whose caller stops waiting still finishes and publishes.
    #[tokio::test]
    async fn no_turn_is_kept_after_its_users_are_gone() {
        let events = ChannelEvents::default();
        let _rx = events.subscribe();
        events.write("acme", 1, async { Ok::<_, ()>(((), Some(message(1, 1)))) }).await.unwrap().unwrap();
        events.at_point(1, async { ((), None) }).await;
        assert_eq!(events.turns_held(), 0);
        // A reader dropped half-way (its caller gave up), while it holds the
        // turn and while another waits for it.
        let held = events.at_point(2, std::future::pending::<((), Option<Step>)>());
        let waiting = events.at_point(2, async { ((), None) });
        let both = async { tokio::join!(held, waiting) };
        assert!(tokio::time::timeout(Duration::from_millis(50), both).await.is_err());
        assert_eq!(events.turns_held(), 0, "dropped users leave nothing behind");
    }

    #[tokio::test]
    async fn a_write_finishes_when_its_caller_gives_up() {
        let events = ChannelEvents::default();
        let mut rx = events.subscribe();
        let write = events.write("acme", 1, async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, ()>(((), Some(message(1, 1))))
        });
        assert!(tokio::time::timeout(Duration::from_millis(5), write).await.is_err());
        let published = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await.unwrap().unwrap();
        assert_eq!(seq_of(published), 1);
    }

    #[tokio::test]
    async fn nothing_is_published_for_a_failed_or_unchanged_write() {
        let events = ChannelEvents::default();
        let mut rx = events.subscribe();
        assert_eq!(
            events.write("acme", 1, async { Err::<((), Option<ChannelEvent>), _>("down") }).await.unwrap(),
            Err("down")
        );
        assert_eq!(events.write("acme", 1, async { Ok::<_, ()>((5, None)) }).await.unwrap(), Ok(5));
        assert!(rx.try_recv().is_err());
    }
}
