//! Each person's notices to their sockets on this server, in the order of
//! their stream. Notices come from this server and, over the cluster's
//! feed, from the others, which may be late or lose some; the database has
//! them all. So this keeps, for each person it has passed notices to here,
//! the last `seq` passed on, and:
//!
//! - a notice at or before it is a copy and is dropped;
//! - one further on than the next is preceded by those between, read from
//!   the database (each notice is committed after the one before it: the
//!   person's row is locked while one is written);
//! - when word comes that some may have been lost (Redis went, a buffer
//!   was full), every stream with sockets here is read on from there.
//!
//! A person's stream is followed here from where it was when their first
//! socket here connected ([`NoticeRelay::watch`]). A socket hears the
//! notices from its connection on; what came before it connected, it asks
//! for itself (`notices`), and drops the copies by `seq`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use app::protocol::events;
use confab_core::Service;
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;

use super::rooms::{namespace, user_room};

/// How far each person's stream has been passed to their sockets here, by
/// organization and user id; cheap to clone. Passed on by one task (the
/// lock is never held across a wait).
#[derive(Clone, Default)]
pub(crate) struct NoticeRelay {
    passed: Arc<Mutex<HashMap<(String, i64), i64>>>,
}

impl NoticeRelay {
    /// A socket of the person is connecting here, with their stream at
    /// `at`: followed from there, unless it is followed already.
    pub(super) fn watch(&self, org_slug: &str, user_id: i64, at: i64) {
        self.lock().entry((org_slug.to_owned(), user_id)).or_insert(at);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, i64), i64>> {
        self.passed.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Passes a notice (`seq` in each person's stream) to the sockets here
    /// of the people it is for, after any of theirs that were missed.
    pub(super) async fn pass_on(
        &self,
        io: &SocketIo,
        service: &Service,
        org_slug: &str,
        to: &[(i64, i64)],
        news: &events::News,
    ) {
        for &(user_id, seq) in to {
            let key = (org_slug.to_owned(), user_id);
            let sockets = sockets_of(io, org_slug, user_id);
            if sockets.is_empty() {
                self.lock().remove(&key);
                continue;
            }
            let passed = self.lock().get(&key).copied();
            if passed.is_some_and(|at| seq <= at) {
                continue;
            }
            let mut at = match passed {
                Some(at) if seq > at + 1 => read_on(service, &sockets, org_slug, user_id, at).await,
                _ => None,
            };
            if at.is_none_or(|at| seq > at) {
                emit(&sockets, &events::Notice { seq, news: news.clone() });
                at = Some(seq);
            }
            self.lock().insert(key, at.unwrap_or(seq));
        }
    }

    /// Forgets a person's stream here: they were taken out of the
    /// organization (a stream begins again if they come back).
    pub(super) fn forget(&self, org_slug: &str, user_id: i64) {
        self.lock().remove(&(org_slug.to_owned(), user_id));
    }

    /// Reads on every stream with sockets here from where it was passed to:
    /// some notices may have been lost on their way.
    pub(super) async fn catch_up(&self, io: &SocketIo, service: &Service) {
        let streams: Vec<((String, i64), i64)> = self.lock().iter().map(|(k, at)| (k.clone(), *at)).collect();
        for ((org_slug, user_id), at) in streams {
            let sockets = sockets_of(io, &org_slug, user_id);
            if sockets.is_empty() {
                self.lock().remove(&(org_slug, user_id));
                continue;
            }
            if let Some(now) = read_on(service, &sockets, &org_slug, user_id, at).await {
                let mut passed = self.lock();
                let entry = passed.entry((org_slug, user_id)).or_insert(now);
                *entry = (*entry).max(now);
            }
        }
    }
}

/// The person's sockets here.
fn sockets_of(io: &SocketIo, org_slug: &str, user_id: i64) -> Vec<SocketRef> {
    io.of(namespace(org_slug)).map(|ns| ns.to(user_room(user_id)).sockets()).unwrap_or_default()
}

/// Passes every notice of the person's after `after` to their sockets, from
/// the database: the last `seq` passed on, or `None` if there was none (or
/// the database could not be read: the sockets ask for what they missed
/// when they see the gap, or when they connect again).
async fn read_on(service: &Service, sockets: &[SocketRef], org_slug: &str, user_id: i64, after: i64) -> Option<i64> {
    let mut at = after;
    loop {
        let page = match service.notices_of(org_slug, user_id, at).await {
            Ok(page) => page,
            Err(e) => {
                tracing::debug!(user_id, org = %org_slug, error = %e, "missed notices not read");
                break;
            }
        };
        for notice in page.notices {
            emit(sockets, &events::Notice::from(notice));
        }
        at = page.last_seq;
        if !page.more {
            break;
        }
    }
    (at > after).then_some(at)
}

/// Sends a notice to each socket; one whose queue is full misses it, and
/// asks for it when it sees the gap.
fn emit(sockets: &[SocketRef], notice: &events::Notice) {
    for socket in sockets {
        if let Err(e) = socket.emit(events::NOTICE, notice) {
            tracing::debug!(socket_id = %socket.id, error = %e, "a notice was not sent");
        }
    }
}
