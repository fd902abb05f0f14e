//! A socket's `send`s are stored in the order the socket sent them.
//!
//! socketioxide runs every event in a task of its own, so two sends written
//! back to back (a client with several unacknowledged, an outbox emptying
//! after a reconnect) could reach the channel's turn the other way round.
//! Each `send` takes a ticket as it is read, before its task starts, and its
//! handler waits until the sends before it are done.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;
use tokio::sync::watch;

/// The tickets of one socket's sends: issued in arrival order, served one at
/// a time. Kept in the socket's extensions.
#[derive(Debug)]
pub(super) struct SendQueue {
    issued: AtomicU64,
    /// The ticket being served, and the tickets given up before their turn
    /// (skipped when it comes). Both change only in `send_modify`, under the
    /// watch's lock, so a ticket given up and the turn reaching it cannot miss
    /// each other.
    serving: watch::Sender<Serving>,
}

#[derive(Debug, Default)]
struct Serving {
    now: u64,
    given_up: BTreeSet<u64>,
}

impl Serving {
    /// Ticket `done` is done: the next one not given up is served.
    fn pass(&mut self, done: u64) {
        self.now = self.now.max(done + 1);
        while self.given_up.remove(&self.now) {
            self.now += 1;
        }
    }
}

impl Default for SendQueue {
    fn default() -> Self {
        SendQueue { issued: AtomicU64::new(0), serving: watch::Sender::new(Serving::default()) }
    }
}

impl SendQueue {
    fn issue(self: &Arc<Self>) -> SendTicket {
        SendTicket(Some((self.clone(), self.issued.fetch_add(1, Ordering::SeqCst))))
    }
}

/// A `send`'s place in its socket's queue (none for a socket without one).
/// Dropped without taking its turn (its handler never ran: an extractor
/// after it failed, the socket went), it is skipped, so the sends after it
/// still go.
pub(super) struct SendTicket(Option<(Arc<SendQueue>, u64)>);

impl<A: Adapter> FromMessageParts<A> for SendTicket {
    type Error = Infallible;
    fn from_message_parts(socket: &Arc<Socket<A>>, _: &mut Value, _: &Option<i64>) -> Result<Self, Infallible> {
        Ok(socket.extensions.get::<Arc<SendQueue>>().map_or(SendTicket(None), |q| q.issue()))
    }
}

/// It is this send's turn until dropped; the next one goes then.
pub(super) struct Turn(Option<(Arc<SendQueue>, u64)>);

impl SendTicket {
    /// Waits until every send before this one is done. A handler takes its
    /// turn first thing, whatever it does after, so the queue always moves.
    pub(super) async fn turn(mut self) -> Turn {
        let place = self.0.take();
        if let Some((queue, ticket)) = &place {
            let mut serving = queue.serving.subscribe();
            // Dropped while waiting (the handler's task was cancelled), the
            // ticket is given up by `Turn`'s drop below, as if it had gone.
            let turn = Turn(place.clone());
            // The sender lives in the queue we hold: it cannot be closed.
            let _ = serving.wait_for(|s| s.now >= *ticket).await;
            return turn;
        }
        Turn(None)
    }
}

impl Drop for SendTicket {
    fn drop(&mut self) {
        if let Some((queue, ticket)) = self.0.take() {
            queue.serving.send_modify(|s| {
                if s.now == ticket {
                    s.pass(ticket);
                } else if s.now < ticket {
                    s.given_up.insert(ticket);
                }
            });
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some((queue, ticket)) = &self.0 {
            queue.serving.send_modify(|s| {
                if s.now >= *ticket {
                    s.pass(*ticket);
                } else {
                    // Given up while still waiting for its turn.
                    s.given_up.insert(*ticket);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::time::timeout;

    use super::*;

    #[tokio::test]
    async fn sends_are_served_in_ticket_order() {
        let queue = Arc::new(SendQueue::default());
        let tickets: Vec<SendTicket> = (0..5).map(|_| queue.issue()).collect();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        // Started last first: each still goes in its ticket's order.
        let tasks: Vec<_> = tickets
            .into_iter()
            .enumerate()
            .rev()
            .map(|(i, ticket)| {
                let order = order.clone();
                tokio::spawn(async move {
                    let _turn = ticket.turn().await;
                    tokio::task::yield_now().await;
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    /// A ticket dropped without taking its turn (its handler never ran) is
    /// skipped: the sends after it still go, in order, whether it was
    /// dropped before or after its turn came.
    #[tokio::test]
    async fn a_ticket_never_used_holds_up_no_later_send() {
        let queue = Arc::new(SendQueue::default());
        let first = queue.issue();
        let skipped_early = queue.issue();
        let third = queue.issue();
        let skipped_at_its_turn = queue.issue();
        let fifth = queue.issue();
        drop(skipped_early);
        let wait = Duration::from_secs(2);
        drop(timeout(wait, first.turn()).await.expect("the first send goes at once"));
        drop(timeout(wait, third.turn()).await.expect("a send after an unused ticket goes"));
        drop(skipped_at_its_turn);
        drop(timeout(wait, fifth.turn()).await.expect("so does one after a ticket dropped at its turn"));
    }

    /// A handler cancelled while waiting for its turn gives its place up.
    #[tokio::test]
    async fn a_send_cancelled_while_waiting_holds_up_none_after_it() {
        let queue = Arc::new(SendQueue::default());
        let first = queue.issue().turn().await;
        let waiting = queue.issue();
        let last = queue.issue();
        assert!(timeout(Duration::from_millis(20), waiting.turn()).await.is_err(), "cancelled while the first runs");
        drop(first);
        timeout(Duration::from_secs(2), last.turn()).await.expect("the send after the cancelled one goes");
    }
}
