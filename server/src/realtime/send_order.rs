//! A socket's `send`s are stored in the order the socket sent them.
//!
//! socketioxide runs every event in a task of its own, so two sends written
//! back to back (a client with several unacknowledged, an outbox emptying
//! after a reconnect) could reach the channel's turn the other way round.
//! Each `send` takes a ticket as it is read, before its task starts, and its
//! handler waits until the sends before it are done.

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
pub struct SendQueue {
    issued: AtomicU64,
    serving: watch::Sender<u64>,
}

impl Default for SendQueue {
    fn default() -> Self {
        SendQueue { issued: AtomicU64::new(0), serving: watch::Sender::new(0) }
    }
}

/// A `send`'s place in its socket's queue (none for a socket without one).
pub struct SendTicket(Option<(Arc<SendQueue>, u64)>);

impl<A: Adapter> FromMessageParts<A> for SendTicket {
    type Error = Infallible;
    fn from_message_parts(socket: &Arc<Socket<A>>, _: &mut Value, _: &Option<i64>) -> Result<Self, Infallible> {
        let queue = socket.extensions.get::<Arc<SendQueue>>();
        Ok(SendTicket(queue.map(|q| {
            let ticket = q.issued.fetch_add(1, Ordering::SeqCst);
            (q, ticket)
        })))
    }
}

/// It is this send's turn until dropped; the next one goes then.
pub struct Turn(Option<(Arc<SendQueue>, u64)>);

impl SendTicket {
    /// Waits until every send before this one is done. A handler takes its
    /// turn first thing, whatever it does after, so the queue always moves.
    pub async fn turn(self) -> Turn {
        if let Some((queue, ticket)) = &self.0 {
            let mut serving = queue.serving.subscribe();
            // The sender lives in the queue we hold: it cannot be closed.
            let _ = serving.wait_for(|now| *now >= *ticket).await;
        }
        Turn(self.0)
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some((queue, ticket)) = &self.0 {
            queue.serving.send_modify(|now| *now = (*now).max(ticket + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sends_are_served_in_ticket_order() {
        let queue = Arc::new(SendQueue::default());
        let tickets: Vec<SendTicket> =
            (0..5).map(|_| SendTicket(Some((queue.clone(), queue.issued.fetch_add(1, Ordering::SeqCst))))).collect();
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
}
