//! Who is online in each organization, on this node: a person is online while
//! any of their sockets is connected to the organization's namespace, and for
//! a grace period after the last one went, so a reload or a short network
//! blip does not flicker. A socket is told who is online as it connects
//! (`online`); the changes are then pushed to the namespace in batches
//! (`presence`, at most every [`FLUSH_EVERY`]), so a crowd reconnecting at
//! once (after a restart) costs one push per batch to each socket, not one
//! per person.
//!
//! Every change says where someone stands now ("online", "offline"), so
//! hearing one twice changes nothing; lists and batches are made under one
//! lock, so a socket never hears anything older than its list.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use app::protocol::events;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;

/// How often at most the changes are pushed.
pub const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// Where one person stands in one organization.
#[derive(Debug, Default)]
struct Standing {
    /// Their sockets connected to the namespace.
    sockets: usize,
    /// Bumped by every change, so a grace period that ended after they came
    /// back does nothing.
    generation: u64,
}

/// One organization's people online, and what changed since the last push.
#[derive(Debug, Default)]
struct OrgPresence {
    online: HashMap<i64, Standing>,
    changed: HashMap<i64, bool>,
}

/// The presence of everyone, on this node; clones share it.
#[derive(Clone)]
pub struct Presence {
    orgs: Arc<Mutex<HashMap<String, OrgPresence>>>,
    grace: Duration,
}

/// Whether a socket counts towards its person's presence: set once it does,
/// so it is taken away exactly once.
#[derive(Debug, Default)]
pub struct Counted(AtomicBool);

impl Presence {
    /// `grace`: how long someone stays online after their last socket went.
    pub fn new(grace: Duration) -> Self {
        Presence { orgs: Arc::default(), grace }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, OrgPresence>> {
        self.orgs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A socket of `user_id` connected to `org_slug`'s namespace: it hears who
    /// is online, and if its person was offline, the next push says they came.
    pub fn arrive(&self, socket: &SocketRef, org_slug: &str, user_id: i64, counted: &Counted) {
        let mut orgs = self.lock();
        // Gone already (its disconnect ran first): it must not count.
        if !socket.connected() || counted.0.swap(true, Ordering::SeqCst) {
            return;
        }
        let org = orgs.entry(org_slug.to_owned()).or_default();
        // Not online before, nor within a grace period: news.
        if !org.online.contains_key(&user_id) {
            org.changed.insert(user_id, true);
        }
        let standing = org.online.entry(user_id).or_default();
        standing.sockets += 1;
        standing.generation += 1;
        let user_ids: Vec<i64> = org.online.keys().copied().collect();
        if let Err(e) = socket.emit(events::ONLINE, &events::Online { user_ids }) {
            tracing::debug!(socket_id = %socket.id, error = %e, "online list not sent");
        }
    }

    /// A socket that [`Presence::arrive`] counted is gone: if it was its
    /// person's last, they go offline once the grace period ends without a
    /// new one.
    pub fn depart(&self, org_slug: &str, user_id: i64, counted: &Counted) {
        let generation = {
            // Under the lock, like `arrive`: a socket is counted and taken
            // away in one order, whichever of the two runs first.
            let mut orgs = self.lock();
            if !counted.0.swap(false, Ordering::SeqCst) {
                return;
            }
            let Some(standing) = orgs.get_mut(org_slug).and_then(|o| o.online.get_mut(&user_id)) else { return };
            standing.sockets = standing.sockets.saturating_sub(1);
            if standing.sockets > 0 {
                return;
            }
            standing.generation += 1;
            standing.generation
        };
        let (this, org_slug) = (self.clone(), org_slug.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(this.grace).await;
            let mut orgs = this.lock();
            let Some(org) = orgs.get_mut(&org_slug) else { return };
            let gone = org.online.get(&user_id).is_some_and(|s| s.sockets == 0 && s.generation == generation);
            if gone {
                org.online.remove(&user_id);
                org.changed.insert(user_id, false);
            }
        });
    }

    /// Pushes each organization's changes to its sockets, every
    /// [`FLUSH_EVERY`], until the server stops.
    pub async fn push_changes(self, io: SocketIo) {
        let mut ticks = tokio::time::interval(FLUSH_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let mut orgs = self.lock();
            for (slug, org) in orgs.iter_mut().filter(|(_, o)| !o.changed.is_empty()) {
                let changes =
                    org.changed.drain().map(|(user_id, online)| events::Presence { user_id, online }).collect();
                tell_everyone(&io, slug, &events::PresenceChanges { changes });
            }
            orgs.retain(|_, o| !o.online.is_empty());
        }
    }
}

/// Sends presence changes to every socket of the namespace, as it can take
/// them now (a socket whose queue is full misses them, and has them right
/// again when it reconnects).
fn tell_everyone(io: &SocketIo, org_slug: &str, changes: &events::PresenceChanges) {
    let Some(ns) = io.of(format!("/{org_slug}")) else { return };
    for socket in ns.sockets() {
        if let Err(e) = socket.emit(events::PRESENCE, changes) {
            tracing::debug!(socket_id = %socket.id, error = %e, "presence changes not sent");
        }
    }
}
