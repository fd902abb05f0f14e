//! Who is online in each organization, on this node: a person is online while
//! any of their sockets is connected to the organization's namespace, and for
//! a grace period after the last one went, so a reload or a short network
//! blip does not flicker. A socket is told who is online as it connects
//! (`online`); then every change is pushed to the namespace (`presence`).
//!
//! The list and the pushes are kept consistent by doing both under one lock:
//! a socket's `online` list and the changes it hears afterwards never
//! contradict each other.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use app::protocol::events;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;

/// A person in an organization.
type Key = (String, i64);

/// Where one person stands in one organization.
#[derive(Debug, Default)]
struct Standing {
    /// Their sockets connected to the namespace.
    sockets: usize,
    /// Bumped by every change, so a grace period that ended after they came
    /// back does nothing.
    generation: u64,
}

/// The presence of everyone, on this node; clones share it.
#[derive(Clone)]
pub struct Presence {
    people: Arc<Mutex<HashMap<Key, Standing>>>,
    grace: Duration,
}

/// Whether a socket counts towards its person's presence: set once it does,
/// so it is taken away exactly once.
#[derive(Debug, Default)]
pub struct Counted(AtomicBool);

impl Presence {
    /// `grace`: how long someone stays online after their last socket went.
    pub fn new(grace: Duration) -> Self {
        Presence { people: Arc::default(), grace }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Standing>> {
        self.people.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A socket of `user_id` connected to `org_slug`'s namespace: it hears who
    /// is online, and if its person was offline, everyone hears they came.
    pub fn arrive(&self, io: &SocketIo, socket: &SocketRef, org_slug: &str, user_id: i64, counted: &Counted) {
        let mut people = self.lock();
        // Gone already (its disconnect ran first): it must not count.
        if !socket.connected() || counted.0.swap(true, Ordering::SeqCst) {
            return;
        }
        let key = (org_slug.to_owned(), user_id);
        // Not online before, nor within a grace period: news.
        let came = !people.contains_key(&key);
        let standing = people.entry(key).or_default();
        standing.sockets += 1;
        standing.generation += 1;
        let user_ids: Vec<i64> =
            people.iter().filter(|((org, _), _)| org == org_slug).map(|((_, id), _)| *id).collect();
        if let Err(e) = socket.emit(events::ONLINE, &events::Online { user_ids }) {
            tracing::debug!(socket_id = %socket.id, error = %e, "online list not sent");
        }
        if came {
            tell_everyone(io, org_slug, &events::Presence { user_id, online: true }, Some(socket));
        }
    }

    /// A socket that [`Presence::arrive`] counted is gone: if it was its
    /// person's last, they go offline once the grace period ends without a
    /// new one.
    pub fn depart(&self, io: &SocketIo, org_slug: &str, user_id: i64, counted: &Counted) {
        let key = (org_slug.to_owned(), user_id);
        let generation = {
            // Under the lock, like `arrive`: a socket is counted and taken
            // away in one order, whichever of the two runs first.
            let mut people = self.lock();
            if !counted.0.swap(false, Ordering::SeqCst) {
                return;
            }
            let Some(standing) = people.get_mut(&key) else { return };
            standing.sockets = standing.sockets.saturating_sub(1);
            if standing.sockets > 0 {
                return;
            }
            standing.generation += 1;
            standing.generation
        };
        let (this, io) = (self.clone(), io.clone());
        tokio::spawn(async move {
            tokio::time::sleep(this.grace).await;
            let mut people = this.lock();
            let Entry::Occupied(standing) = people.entry(key) else { return };
            if standing.get().sockets > 0 || standing.get().generation != generation {
                return;
            }
            let ((org_slug, user_id), _) = standing.remove_entry();
            tell_everyone(&io, &org_slug, &events::Presence { user_id, online: false }, None);
        });
    }
}

/// Sends a presence change to every socket of the namespace but `except`, as
/// it can take it now (a socket whose queue is full misses it, and has it
/// right again when it reconnects).
fn tell_everyone(io: &SocketIo, org_slug: &str, change: &events::Presence, except: Option<&SocketRef>) {
    let Some(ns) = io.of(format!("/{org_slug}")) else { return };
    for socket in ns.sockets() {
        if except.is_some_and(|e| e.id == socket.id) {
            continue;
        }
        if let Err(e) = socket.emit(events::PRESENCE, change) {
            tracing::debug!(socket_id = %socket.id, error = %e, "presence change not sent");
        }
    }
}
