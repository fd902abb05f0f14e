//! Who is online on the other servers of a cluster. Each server tells the
//! others when someone comes or goes there (going: once its grace period
//! is over), and every [`HEARTBEAT`] who is online there in all; a server
//! not heard from for [`SILENT`] is taken for gone (stopped or killed), with
//! everyone it had online, unless they are online elsewhere. A message that
//! was lost is put right by the next heartbeat.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::{Presence, lock};

/// How often a server tells the others everyone online there.
const HEARTBEAT: Duration = Duration::from_secs(2);

/// A server not heard from for this long is gone.
const SILENT: Duration = Duration::from_secs(7);

/// The other servers, as last heard.
#[derive(Debug, Default)]
pub(super) struct Servers(HashMap<u64, Server>);

#[derive(Debug)]
struct Server {
    heard: Instant,
    online: HashMap<String, HashSet<i64>>,
}

impl Presence {
    /// Server `node` says `user_id` came (`online`) or went in `org_slug`.
    pub(in crate::realtime) fn server_says(&self, node: u64, org_slug: &str, user_id: i64, online: bool) {
        let mut servers = lock(&self.servers);
        let server = servers.0.entry(node).or_insert_with(|| Server { heard: Instant::now(), online: HashMap::new() });
        server.heard = Instant::now();
        let people = server.online.entry(org_slug.to_owned()).or_default();
        let changed = if online { people.insert(user_id) } else { people.remove(&user_id) };
        if people.is_empty() {
            server.online.remove(org_slug);
        }
        if changed {
            self.set_elsewhere(node, org_slug, user_id, online);
        }
    }

    /// Server `node`'s heartbeat: everyone online there.
    pub(in crate::realtime) fn server_has(&self, node: u64, online: HashMap<String, Vec<i64>>) {
        let now: HashMap<String, HashSet<i64>> = online
            .into_iter()
            .map(|(org, ids)| (org, ids.into_iter().collect()))
            .filter(|(_, ids): &(_, HashSet<_>)| !ids.is_empty())
            .collect();
        let mut servers = lock(&self.servers);
        let before = servers.0.insert(node, Server { heard: Instant::now(), online: now.clone() });
        let before = before.map(|s| s.online).unwrap_or_default();
        let none = HashSet::new();
        for org in before.keys().chain(now.keys()).collect::<HashSet<_>>() {
            let (was, is) = (before.get(org).unwrap_or(&none), now.get(org).unwrap_or(&none));
            for gone in was.difference(is) {
                self.set_elsewhere(node, org, *gone, false);
            }
            for came in is.difference(was) {
                self.set_elsewhere(node, org, *came, true);
            }
        }
    }

    /// Everyone online on this server, by organization.
    fn here(&self) -> HashMap<String, Vec<i64>> {
        let orgs: Vec<_> = lock(&self.orgs).iter().map(|(slug, org)| (slug.clone(), org.clone())).collect();
        orgs.into_iter()
            .map(|(slug, org)| (slug, lock(&org).online.keys().copied().collect::<Vec<_>>()))
            .filter(|(_, ids)| !ids.is_empty())
            .collect()
    }

    /// Takes servers not heard from for [`SILENT`] for gone.
    fn forget_silent(&self) {
        let mut servers = lock(&self.servers);
        let silent: Vec<u64> = servers.0.iter().filter(|(_, s)| s.heard.elapsed() >= SILENT).map(|(n, _)| *n).collect();
        for node in silent {
            let Some(server) = servers.0.remove(&node) else { continue };
            tracing::warn!(node, "a server of the cluster went silent: its people count as offline");
            for (org, people) in server.online {
                for user_id in people {
                    self.set_elsewhere(node, &org, user_id, false);
                }
            }
        }
    }

    /// Tells the others who is online here every [`HEARTBEAT`], and forgets
    /// the servers gone silent, until the server stops.
    pub(in crate::realtime) async fn keep_in_touch(self) {
        let Some(cluster) = self.cluster.clone() else { return };
        let mut ticks = tokio::time::interval(HEARTBEAT);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            cluster.tell_presence_all(self.here());
            self.forget_silent();
        }
    }

    /// Notes that `user_id` is (or is no longer) online on `node`, and if
    /// that changes whether they are online at all, the next push says so.
    fn set_elsewhere(&self, node: u64, org_slug: &str, user_id: i64, online: bool) {
        self.with_org(org_slug, |org| {
            let was = org.is_online(user_id);
            if online {
                org.elsewhere.entry(user_id).or_default().insert(node);
            } else if let Some(nodes) = org.elsewhere.get_mut(&user_id) {
                nodes.remove(&node);
                if nodes.is_empty() {
                    org.elsewhere.remove(&user_id);
                }
            }
            let is = org.is_online(user_id);
            if was != is {
                org.changed.insert(user_id, is);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{Counted, Presence};
    use super::*;

    fn changes(presence: &Presence) -> Vec<String> {
        let batches = std::sync::Mutex::new(Vec::new());
        presence.push(|slug, json| lock(&batches).push(format!("{slug} {}", json.get())));
        batches.into_inner().unwrap()
    }

    #[test]
    fn someone_online_on_another_server_is_online_until_every_server_has_let_them_go() {
        let presence = Presence::new(Duration::from_secs(5), None);
        presence.server_says(7, "acme", 1, true);
        presence.server_says(8, "acme", 1, true);
        assert_eq!(changes(&presence), [r#"acme {"changes":[{"user_id":1,"online":true}]}"#]);
        presence.server_says(7, "acme", 1, false);
        assert!(changes(&presence).is_empty(), "still online on server 8");
        // Server 8's heartbeat no longer has them: a lost "went" put right.
        presence.server_has(8, HashMap::new());
        assert_eq!(changes(&presence), [r#"acme {"changes":[{"user_id":1,"online":false}]}"#]);
    }

    #[test]
    fn someone_here_and_elsewhere_goes_offline_only_when_gone_from_both() {
        let presence = Presence::new(Duration::from_secs(5), None);
        struct Here;
        impl super::super::Arriving for Here {
            fn still_connected(&self) -> bool {
                true
            }
            fn hear_online(&self, _: &app::protocol::events::Online) {}
        }
        presence.arrive(&Here, "acme", 1, &Counted::default());
        presence.server_has(9, HashMap::from([("acme".to_owned(), vec![1, 2])]));
        let said = changes(&presence);
        assert_eq!(said.len(), 1);
        assert!(
            said[0].contains(r#"{"user_id":1,"online":true}"#) && said[0].contains(r#"{"user_id":2,"online":true}"#)
        );
        presence.server_has(9, HashMap::new());
        assert_eq!(changes(&presence), [r#"acme {"changes":[{"user_id":2,"online":false}]}"#], "1 is still here");
        assert_eq!(presence.here(), HashMap::from([("acme".to_owned(), vec![1])]));
    }

    #[test]
    fn a_silent_server_takes_its_people_offline() {
        let presence = Presence::new(Duration::from_secs(5), None);
        presence.server_says(7, "acme", 1, true);
        changes(&presence);
        lock(&presence.servers).0.get_mut(&7).unwrap().heard -= SILENT;
        presence.forget_silent();
        assert_eq!(changes(&presence), [r#"acme {"changes":[{"user_id":1,"online":false}]}"#]);
        assert!(lock(&presence.servers).0.is_empty());
    }
}
