//! Who is online in each organization: a person is online while any of their
//! sockets is connected to the organization's namespace, on this server or
//! another of its cluster ([`elsewhere`]), and for a grace period after the
//! last one went, so a reload or a short network blip does not flicker. A socket is told who is online as it connects
//! (`online`); the changes are then pushed to the namespace in batches
//! (`presence`, at most every [`FLUSH_EVERY`]), so a crowd reconnecting at
//! once (after a restart) costs one push per batch to each socket, not one
//! per person.
//!
//! Every change says where someone stands now ("online", "offline"), so
//! hearing one twice changes nothing; an organization's lists and batches
//! are made under its own lock, so a socket never hears anything older than
//! its list. Each organization has a lock of its own: pushing a batch to one
//! organization's sockets holds up nobody in another.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use app::protocol::events;
use serde_json::value::RawValue;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;

use super::rooms::namespace;
use crate::cluster::ClusterFeed;

mod elsewhere;

/// How often at most the changes are pushed.
const FLUSH_EVERY: Duration = Duration::from_millis(500);

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
    /// Online here.
    online: HashMap<i64, Standing>,
    /// Online on other servers: which (never an empty set).
    elsewhere: HashMap<i64, std::collections::HashSet<u64>>,
    changed: HashMap<i64, bool>,
    /// Taken out of the map (nobody online): whoever still holds it looks
    /// the organization up again.
    retired: bool,
}

impl OrgPresence {
    /// Online here or on another server.
    fn is_online(&self, user_id: i64) -> bool {
        self.online.contains_key(&user_id) || self.elsewhere.contains_key(&user_id)
    }

    fn everyone_online(&self) -> Vec<i64> {
        let elsewhere = self.elsewhere.keys().filter(|id| !self.online.contains_key(id));
        self.online.keys().chain(elsewhere).copied().collect()
    }
}

type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The presence of everyone, on this node; clones share it.
#[derive(Clone)]
pub(super) struct Presence {
    /// Each organization's presence, under a lock of its own; this map's
    /// lock is held only to find one.
    orgs: Shared<HashMap<String, Shared<OrgPresence>>>,
    grace: Duration,
    /// The other servers: told who comes and goes here, and heard from.
    cluster: Option<ClusterFeed>,
    servers: Shared<elsewhere::Servers>,
}

/// Whether a socket counts towards its person's presence: set once it does,
/// so it is taken away exactly once.
#[derive(Debug, Default)]
pub(super) struct Counted(AtomicBool);

/// A socket arriving, as presence needs it: whether it is still connected,
/// and telling it who is online.
pub(super) trait Arriving {
    fn still_connected(&self) -> bool;
    fn hear_online(&self, online: &events::Online);
}

impl Arriving for SocketRef {
    fn still_connected(&self) -> bool {
        self.connected()
    }
    fn hear_online(&self, online: &events::Online) {
        if let Err(e) = self.emit(events::ONLINE, online) {
            tracing::debug!(socket_id = %self.id, error = %e, "online list not sent");
        }
    }
}

/// Whom `@here` reaches: those of some people online now, here or on
/// another server.
impl confab_core::service::OnlineNow for Presence {
    fn online_among(&self, org_slug: &str, people: &[i64]) -> Vec<i64> {
        let Some(org) = lock(&self.orgs).get(org_slug).cloned() else { return Vec::new() };
        let org = lock(&org);
        people.iter().copied().filter(|p| org.is_online(*p)).collect()
    }
}

impl Presence {
    /// `grace`: how long someone stays online after their last socket went.
    /// With other servers (`cluster`), they are told who comes and goes here.
    pub(super) fn new(grace: Duration, cluster: Option<ClusterFeed>) -> Self {
        Presence { orgs: Arc::default(), grace, cluster, servers: Arc::default() }
    }

    /// Runs `f` on organization `org_slug`'s presence, under its lock
    /// (made if there is none).
    fn with_org<T>(&self, org_slug: &str, f: impl FnOnce(&mut OrgPresence) -> T) -> T {
        loop {
            let org = lock(&self.orgs).entry(org_slug.to_owned()).or_default().clone();
            let mut org = lock(&org);
            if !org.retired {
                return f(&mut org);
            }
        }
    }

    /// A socket of `user_id` connected to `org_slug`'s namespace: it hears who
    /// is online, and if its person was offline, the next push says they came.
    pub(super) fn arrive(&self, socket: &impl Arriving, org_slug: &str, user_id: i64, counted: &Counted) {
        self.with_org(org_slug, |org| {
            // Gone already (its disconnect ran first): it must not count.
            if !socket.still_connected() || counted.0.swap(true, Ordering::SeqCst) {
                return;
            }
            // Not online before, nor within a grace period: news.
            if !org.is_online(user_id) {
                org.changed.insert(user_id, true);
            }
            if !org.online.contains_key(&user_id) {
                self.tell_others(org_slug, user_id, true);
            }
            let standing = org.online.entry(user_id).or_default();
            standing.sockets += 1;
            standing.generation += 1;
            socket.hear_online(&events::Online { user_ids: org.everyone_online() });
        });
    }

    fn tell_others(&self, org_slug: &str, user_id: i64, online: bool) {
        if let Some(cluster) = &self.cluster {
            cluster.tell_presence(org_slug, user_id, online);
        }
    }

    /// A socket that [`Presence::arrive`] counted is gone: if it was its
    /// person's last, they go offline once the grace period ends without a
    /// new one.
    pub(super) fn depart(&self, org_slug: &str, user_id: i64, counted: &Counted) {
        // Under the organization's lock, like `arrive`: a socket is counted
        // and taken away in one order, whichever of the two runs first.
        let generation = self.with_org(org_slug, |org| {
            if !counted.0.swap(false, Ordering::SeqCst) {
                return None;
            }
            let standing = org.online.get_mut(&user_id)?;
            standing.sockets = standing.sockets.saturating_sub(1);
            if standing.sockets > 0 {
                return None;
            }
            standing.generation += 1;
            Some(standing.generation)
        });
        let Some(generation) = generation else { return };
        let (this, org_slug) = (self.clone(), org_slug.to_owned());
        tokio::spawn(async move {
            tokio::time::sleep(this.grace).await;
            this.with_org(&org_slug, |org| {
                let gone = org.online.get(&user_id).is_some_and(|s| s.sockets == 0 && s.generation == generation);
                if gone {
                    org.online.remove(&user_id);
                    this.tell_others(&org_slug, user_id, false);
                    if !org.is_online(user_id) {
                        org.changed.insert(user_id, false);
                    }
                }
            });
        });
    }

    /// Pushes each organization's changes to its sockets, every
    /// [`FLUSH_EVERY`], until the server stops.
    pub(super) async fn push_changes(self, io: SocketIo) {
        let mut ticks = tokio::time::interval(FLUSH_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            self.push(|org_slug, changes| tell_everyone(&io, org_slug, changes));
        }
    }

    /// Hands each organization's changes since the last push, serialized
    /// once, to `tell`, holding only that organization's lock meanwhile
    /// (its sockets must not hear a list newer than a batch before the
    /// batch); forgets the organizations where nobody is online.
    fn push(&self, tell: impl Fn(&str, &RawValue)) {
        let orgs: Vec<(String, Shared<OrgPresence>)> =
            lock(&self.orgs).iter().map(|(slug, org)| (slug.clone(), org.clone())).collect();
        for (slug, shared) in orgs {
            let mut org = lock(&shared);
            if !org.changed.is_empty() {
                let changes = org.changed.drain().map(|(user_id, online)| events::Presence { user_id, online });
                let batch = events::PresenceChanges { changes: changes.collect() };
                match serde_json::value::to_raw_value(&batch) {
                    Ok(json) => tell(&slug, &json),
                    Err(e) => tracing::error!(error = %e, "presence changes not serialized"),
                }
            }
            if org.online.is_empty() && org.elsewhere.is_empty() && org.changed.is_empty() {
                // Retired under both locks (the map's taken while holding
                // the organization's: `with_org` never holds them the other
                // way round), so nobody changes it after it left the map.
                let mut all = lock(&self.orgs);
                if all.get(&slug).is_some_and(|o| Arc::ptr_eq(o, &shared)) {
                    all.remove(&slug);
                }
                org.retired = true;
            }
        }
    }
}

/// Sends presence changes to every socket of the namespace, as it can take
/// them now (a socket whose queue is full misses them, and has them right
/// again when it reconnects).
fn tell_everyone(io: &SocketIo, org_slug: &str, changes: &RawValue) {
    let Some(ns) = io.of(namespace(org_slug)) else { return };
    for socket in ns.sockets() {
        if let Err(e) = socket.emit(events::PRESENCE, changes) {
            tracing::debug!(socket_id = %socket.id, error = %e, "presence changes not sent");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// A connected socket that keeps what it heard.
    #[derive(Default)]
    struct Heard(Mutex<Vec<Vec<i64>>>);

    impl Arriving for Heard {
        fn still_connected(&self) -> bool {
            true
        }
        fn hear_online(&self, online: &events::Online) {
            let mut ids = online.user_ids.clone();
            ids.sort_unstable();
            lock(&self.0).push(ids);
        }
    }

    /// While a batch is being pushed to one organization's sockets (as long
    /// as that takes with tens of thousands of them), someone arriving in
    /// another organization is not held up.
    #[test]
    fn a_push_to_one_organization_holds_up_no_other() {
        let presence = Presence::new(Duration::from_secs(5), None);
        let heard = Heard::default();
        presence.arrive(&heard, "big", 1, &Counted::default());
        presence.arrive(&heard, "small", 2, &Counted::default());
        let (inside, entered) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let pusher = {
            let presence = presence.clone();
            std::thread::spawn(move || {
                presence.push(|slug, _| {
                    if slug == "big" {
                        inside.send(()).unwrap();
                        released.recv().unwrap();
                    }
                })
            })
        };
        entered.recv().unwrap();
        let (arrived, done) = mpsc::channel();
        let arriving = {
            let presence = presence.clone();
            std::thread::spawn(move || {
                presence.arrive(&Heard::default(), "small", 3, &Counted::default());
                arrived.send(()).unwrap();
            })
        };
        let in_time = done.recv_timeout(Duration::from_secs(5)).is_ok();
        release.send(()).unwrap();
        pusher.join().unwrap();
        arriving.join().unwrap();
        assert!(in_time, "an arrival in another organization waited for the push");
    }

    /// A socket hears a list no older than the batches after it: an arrival
    /// in an organization being pushed to waits for the push, and the next
    /// batch says who came.
    #[test]
    fn lists_and_batches_of_one_organization_never_contradict() {
        let presence = Presence::new(Duration::from_secs(5), None);
        let heard = Heard::default();
        presence.arrive(&heard, "acme", 1, &Counted::default());
        presence.arrive(&heard, "acme", 2, &Counted::default());
        assert_eq!(*lock(&heard.0), vec![vec![1], vec![1, 2]]);
        let batches = Mutex::new(Vec::new());
        presence.push(|slug, json| lock(&batches).push((slug.to_owned(), json.get().to_owned())));
        let batches = lock(&batches).clone();
        assert_eq!(batches.len(), 1);
        assert!(batches[0].1.contains(r#""user_id":1"#) && batches[0].1.contains(r#""user_id":2"#), "{batches:?}");
        let again = Mutex::new(0);
        presence.push(|_, _| *lock(&again) += 1);
        assert_eq!(*lock(&again), 0, "nothing new, nothing pushed");
    }
}
