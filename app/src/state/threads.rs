//! The threads the signed-in person follows, and how many replies of others
//! each has after their read cursor in it: counted by the server when the
//! page's lists were read, then kept by the workspace from its live
//! connection (replies, deletions, and the person's notices of reads and
//! follows on any device), shown by the sidebar's "Threads" badge.

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;

use crate::protocol::{ChannelId, ChatMessage, EventKind, FollowedThread, UserId};

/// Counts above this show as "99+" (the server counts up to 100).
const MOST_COUNTED: i64 = 100;

/// A thread: its channel and its root's `seq`.
pub(crate) type ThreadKey = (ChannelId, i64);

/// Where the person is in one followed thread.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Place {
    last_read_seq: i64,
    /// The newest reply the server had counted up to, and how many of
    /// those after the cursor were others'.
    counted_to: i64,
    counted: i64,
    /// Replies of others heard since, after the cursor (each once).
    heard: BTreeSet<i64>,
}

impl Place {
    fn of(t: &FollowedThread) -> Place {
        Place {
            last_read_seq: t.last_read_seq,
            counted_to: t.last_reply_seq,
            counted: t.unread,
            heard: BTreeSet::new(),
        }
    }

    fn unread(&self) -> i64 {
        (self.counted + self.heard.len() as i64).min(MOST_COUNTED)
    }

    fn read(&mut self, seq: i64) {
        self.last_read_seq = self.last_read_seq.max(seq);
        if seq >= self.counted_to {
            self.counted = 0;
        }
        self.heard.retain(|s| *s > seq);
    }
}

/// Every followed thread's place: plain data, changed by [`Threads`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Followed(HashMap<ThreadKey, Place>);

impl Followed {
    pub(crate) fn of(threads: &[FollowedThread]) -> Self {
        Followed(threads.iter().map(|t| ((t.channel_id, t.root_seq), Place::of(t))).collect())
    }

    /// Unread replies in a followed thread (0 where none, or not followed).
    pub(crate) fn count(&self, key: ThreadKey) -> i64 {
        self.0.get(&key).map_or(0, Place::unread)
    }

    /// Unread replies in every followed thread.
    pub(crate) fn total(&self) -> i64 {
        self.0.values().map(Place::unread).sum::<i64>().min(MOST_COUNTED)
    }

    #[cfg(test)]
    fn follows(&self, key: ThreadKey) -> bool {
        self.0.contains_key(&key)
    }

    /// An event of a joined channel arrived (live, or caught up): a reply of
    /// someone else in a followed thread, after the cursor, counts once; the
    /// person's own reply follows the thread and reads it up to there; a
    /// reply deleted no longer counts.
    pub(crate) fn arrived(&mut self, event: &ChatMessage, me: Option<UserId>) {
        let Some(root) = event.thread_of else { return };
        let key = (event.channel_id, root);
        match event.kind {
            EventKind::Message if Some(event.author_id) == me => {
                self.0.entry(key).or_default().read(event.seq);
            }
            EventKind::Message => {
                if let Some(p) = self.0.get_mut(&key)
                    && event.seq > p.counted_to
                    && event.seq > p.last_read_seq
                {
                    p.heard.insert(event.seq);
                }
            }
            EventKind::Deleted => {
                if let (Some(p), Some(reply)) = (self.0.get_mut(&key), event.refers_to) {
                    p.heard.remove(&reply);
                }
            }
            _ => {}
        }
    }

    /// The person read a thread up to `seq` (here or on another device).
    pub(crate) fn read(&mut self, key: ThreadKey, seq: i64) {
        if let Some(p) = self.0.get_mut(&key) {
            p.read(seq);
        }
    }

    /// The person stopped following a thread (one they follow now is listed
    /// by [`Followed::replace`], counted).
    pub(crate) fn unfollow(&mut self, key: ThreadKey) {
        self.0.remove(&key);
    }

    /// The server's list, read again: its counts, with the replies heard
    /// since it counted still counted.
    pub(crate) fn replace(&mut self, threads: &[FollowedThread]) {
        let mut fresh = Followed::of(threads);
        for (key, place) in &mut fresh.0 {
            if let Some(old) = self.0.get(key) {
                let cursor = place.last_read_seq.max(old.last_read_seq);
                place.heard = old.heard.iter().copied().filter(|s| *s > place.counted_to && *s > cursor).collect();
                place.read(cursor);
            }
        }
        *self = fresh;
    }
}

/// [`Followed`] as the page shares it: a signal, so the badges follow.
#[derive(Clone, Copy)]
pub(crate) struct Threads(RwSignal<Followed>);

impl Threads {
    pub(crate) fn new(threads: &[FollowedThread]) -> Self {
        Threads(RwSignal::new(Followed::of(threads)))
    }

    pub(crate) fn count(&self, key: ThreadKey) -> i64 {
        self.0.with(|f| f.count(key))
    }

    pub(crate) fn total(&self) -> i64 {
        self.0.with(Followed::total)
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn arrived(&self, event: &ChatMessage, me: Option<UserId>) {
        if event.thread_of.is_some() {
            self.0.update(|f| f.arrived(event, me));
        }
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn read(&self, key: ThreadKey, seq: i64) {
        self.0.update(|f| f.read(key, seq));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn unfollow(&self, key: ThreadKey) {
        self.0.update(|f| f.unfollow(key));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn replace(&self, threads: &[FollowedThread]) {
        self.0.update(|f| f.replace(threads));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn followed(root_seq: i64, last_read_seq: i64, unread: i64, last_reply_seq: i64) -> FollowedThread {
        FollowedThread { channel_id: 1, root_seq, last_read_seq, unread, last_reply_seq }
    }

    fn event(seq: i64, kind: EventKind, author_id: UserId, refers_to: Option<i64>) -> ChatMessage {
        ChatMessage {
            id: seq,
            channel_id: 1,
            seq,
            kind,
            client_id: format!("c{seq}"),
            author_id,
            author: "someone".into(),
            body: String::new(),
            sent_at: 0,
            refers_to,
            deleted: false,
            edited: false,
            pinned: false,
            reactions: Vec::new(),
            files: Vec::new(),
            thread_of: Some(10),
            in_channel: false,
            thread: None,
        }
    }

    #[test]
    fn replies_of_others_count_once_and_reading_anywhere_clears_them() {
        let me = Some(1);
        let mut f = Followed::of(&[followed(10, 11, 2, 13)]);
        assert_eq!(f.count((1, 10)), 2, "as the server counted");
        for e in [event(12, EventKind::Message, 2, None), event(14, EventKind::Message, 2, None)] {
            f.arrived(&e, me);
            f.arrived(&e, me);
        }
        assert_eq!(f.count((1, 10)), 3, "12 was counted already; 14 once however often it comes");
        f.arrived(&event(15, EventKind::Message, 2, None), me);
        f.arrived(&event(16, EventKind::Deleted, 2, Some(15)), me);
        assert_eq!(f.count((1, 10)), 3, "a reply deleted no longer counts");
        f.read((1, 10), 13);
        assert_eq!(f.count((1, 10)), 1, "read on another device up to 13: 14 is left");
        f.arrived(&event(17, EventKind::Message, 1, None), me);
        assert_eq!(f.count((1, 10)), 0, "my own reply reads it up to there");
        assert_eq!(f.count((1, 99)), 0);
    }

    #[test]
    fn my_reply_follows_a_thread_and_the_server_list_read_again_keeps_what_came_since() {
        let me = Some(1);
        let mut f = Followed::default();
        f.arrived(&event(20, EventKind::Message, 1, None), me);
        assert!(f.follows((1, 10)));
        f.arrived(&event(21, EventKind::Message, 2, None), me);
        f.arrived(&event(22, EventKind::Message, 2, None), me);
        // The list, read when the server had 21: 22 came after it.
        f.replace(&[followed(10, 20, 1, 21)]);
        assert_eq!(f.count((1, 10)), 2);
        f.unfollow((1, 10));
        assert_eq!((f.total(), f.follows((1, 10))), (0, false));
    }
}
