//! Where each joined channel stands for the signed-in person: its newest
//! `seq` as last seen, and how many messages of others come after their
//! read cursor. Kept by the workspace from its live connection, cleared by
//! the open channel as it is read, shown by the sidebar.

use std::collections::{BTreeSet, HashMap};

use leptos::prelude::*;

use crate::protocol::{Channel, ChannelId, ChatMessage, EventKind, UserId};

/// Counts above this show as "99+" (the server counts up to 100).
const MOST_COUNTED: i64 = 100;

/// A count as the badge shows it.
pub(crate) fn badge(count: i64) -> String {
    if count >= MOST_COUNTED { "99+".to_owned() } else { count.to_string() }
}

/// A channel's newest `seq` as last seen, how many messages of others come
/// after the person's read cursor, and which of them mention the person.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Place {
    last_seq: i64,
    unread: i64,
    /// The read cursor as last known.
    read_to: i64,
    /// Mentions the server counted when the lists were read (up to
    /// `counted_to`), and those heard of since, by `seq`.
    mentions_counted: i64,
    counted_to: i64,
    mentioned: BTreeSet<i64>,
}

impl Place {
    fn of(c: &Channel) -> Place {
        Place {
            last_seq: c.last_seq,
            unread: c.unread,
            read_to: c.last_read_seq,
            mentions_counted: c.mentions,
            counted_to: c.last_seq,
            mentioned: BTreeSet::new(),
        }
    }

    fn mentions(&self) -> i64 {
        (self.mentions_counted + self.mentioned.len() as i64).min(MOST_COUNTED)
    }
}

/// Every joined channel's place: plain data, changed by [`Unread`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Places(HashMap<ChannelId, Place>);

impl Places {
    /// The joined channels of a list, as the server counted them.
    pub(crate) fn of(channels: &[Channel]) -> Self {
        let joined = channels.iter().filter(|c| c.joined);
        Places(joined.map(|c| (c.id, Place::of(c))).collect())
    }

    /// Unread messages in a channel (0 where none, or not joined).
    pub(crate) fn count(&self, channel_id: ChannelId) -> i64 {
        self.0.get(&channel_id).map_or(0, |p| p.unread)
    }

    /// Unread mentions of the person in a channel (0 where none, or not joined).
    pub(crate) fn mentions(&self, channel_id: ChannelId) -> i64 {
        self.0.get(&channel_id).map_or(0, Place::mentions)
    }

    /// A message of a joined channel mentions the person (each `seq` counts
    /// once, and not once it is read).
    pub(crate) fn mentioned(&mut self, channel_id: ChannelId, seq: i64) {
        if let Some(p) = self.0.get_mut(&channel_id)
            && seq > p.read_to
            && seq > p.counted_to
        {
            p.mentioned.insert(seq);
        }
    }

    /// Unread messages in every channel but `except` (the open one).
    pub(crate) fn total(&self, except: Option<ChannelId>) -> i64 {
        self.0.iter().filter(|(id, _)| Some(**id) != except).map(|(_, p)| p.unread).sum()
    }

    /// The newest `seq` known of a joined channel.
    pub(crate) fn last_seq(&self, channel_id: ChannelId) -> Option<i64> {
        self.0.get(&channel_id).map(|p| p.last_seq)
    }

    /// Whether a channel has as many unread as are counted.
    pub(crate) fn full(&self, channel_id: ChannelId) -> bool {
        self.0.get(&channel_id).is_some_and(|p| p.unread >= MOST_COUNTED)
    }

    /// Follows a channel joined meanwhile (a conversation that appeared).
    pub(crate) fn follow(&mut self, channel: &Channel) {
        self.0.entry(channel.id).or_insert_with(|| Place::of(channel));
    }

    /// The person has read the channel up to `seq` (here or on another
    /// device): its count is 0 if that reaches the newest `seq` known, and
    /// at most the events after it otherwise.
    pub(crate) fn read(&mut self, channel_id: ChannelId, seq: i64) {
        if let Some(p) = self.0.get_mut(&channel_id) {
            p.unread = p.unread.min((p.last_seq - seq).max(0));
            p.read_to = p.read_to.max(seq);
            if seq >= p.counted_to {
                p.mentions_counted = 0;
            }
            p.mentioned.retain(|s| *s > seq);
        }
    }

    /// An event reached the open channel: the newest `seq` known moves on.
    pub(crate) fn seen(&mut self, channel_id: ChannelId, seq: i64) {
        if let Some(p) = self.0.get_mut(&channel_id) {
            p.last_seq = p.last_seq.max(seq);
        }
    }

    /// An event of a channel that is not open arrived (live, or caught up
    /// after a reconnect): a message of someone else, not seen before,
    /// counts. Each `seq` counts once, however often it arrives.
    pub(crate) fn arrived(&mut self, event: &ChatMessage, me: Option<UserId>) {
        if let Some(p) = self.0.get_mut(&event.channel_id)
            && event.seq > p.last_seq
        {
            p.last_seq = event.seq;
            if counts_in_channel(event) && Some(event.author_id) != me {
                p.unread = (p.unread + 1).min(MOST_COUNTED);
            }
        }
    }
}

/// Whether an event counts among a channel's unread: a message of the
/// channel, or a reply also sent to it (other replies count in the thread).
pub(crate) fn counts_in_channel(event: &ChatMessage) -> bool {
    event.kind == EventKind::Message && (event.thread_of.is_none() || event.in_channel)
}

/// [`Places`] as the page shares it: a signal, so the sidebar's counts follow.
#[derive(Clone, Copy)]
pub(crate) struct Unread(RwSignal<Places>);

impl Unread {
    pub(crate) fn new(channels: &[Channel]) -> Self {
        Unread(RwSignal::new(Places::of(channels)))
    }

    /// Unread messages in a channel (0 where none, or not joined).
    pub(crate) fn count(&self, channel_id: ChannelId) -> i64 {
        self.0.with(|p| p.count(channel_id))
    }

    /// Unread messages in every channel but `except` (the open one).
    pub(crate) fn total(&self, except: Option<ChannelId>) -> i64 {
        self.0.with(|p| p.total(except))
    }

    /// The newest `seq` known of a joined channel (`None` if not joined, or
    /// the page is gone).
    pub(crate) fn last_seq(&self, channel_id: ChannelId) -> Option<i64> {
        self.0.try_with_untracked(|p| p.last_seq(channel_id)).flatten()
    }

    /// Whether a channel has as many unread as are counted (or the page is gone).
    pub(crate) fn full(&self, channel_id: ChannelId) -> bool {
        self.0.try_with_untracked(|p| p.full(channel_id)).unwrap_or(true)
    }

    pub(crate) fn follow(&self, channel: &Channel) {
        self.0.update(|p| p.follow(channel));
    }

    pub(crate) fn read(&self, channel_id: ChannelId, seq: i64) {
        self.0.update(|p| p.read(channel_id, seq));
    }

    /// Unread mentions of the person in a channel.
    pub(crate) fn mentions(&self, channel_id: ChannelId) -> i64 {
        self.0.with(|p| p.mentions(channel_id))
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    pub(crate) fn mentioned(&self, channel_id: ChannelId, seq: i64) {
        self.0.update(|p| p.mentioned(channel_id, seq));
    }

    pub(crate) fn seen(&self, channel_id: ChannelId, seq: i64) {
        self.0.update(|p| p.seen(channel_id, seq));
    }

    pub(crate) fn arrived(&self, event: &ChatMessage, me: Option<UserId>) {
        self.0.update(|p| p.arrived(event, me));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ChannelKind;

    fn channel(id: ChannelId, joined: bool, last_seq: i64, unread: i64) -> Channel {
        Channel {
            id,
            name: format!("c{id}"),
            kind: ChannelKind::Public,
            joined,
            last_seq,
            last_read_seq: last_seq - unread,
            unread,
            mentions: 0,
            people: Vec::new(),
        }
    }

    fn event(channel_id: ChannelId, seq: i64, author_id: UserId, kind: EventKind) -> ChatMessage {
        ChatMessage {
            id: seq,
            channel_id,
            seq,
            kind,
            client_id: format!("m{seq}"),
            author_id,
            author: "someone".into(),
            body: "hi".into(),
            sent_at: 0,
            ..Default::default()
        }
    }

    #[test]
    fn each_message_of_others_counts_once() {
        let mut p = Places::of(&[channel(1, true, 10, 2), channel(2, false, 5, 0)]);
        assert_eq!((p.count(1), p.count(2)), (2, 0), "only joined channels are followed");
        p.arrived(&event(1, 11, 7, EventKind::Message), Some(3));
        p.arrived(&event(1, 11, 7, EventKind::Message), Some(3));
        p.arrived(&event(1, 12, 3, EventKind::Message), Some(3));
        p.arrived(&event(1, 13, 7, EventKind::Joined), Some(3));
        p.arrived(&event(2, 6, 7, EventKind::Message), Some(3));
        assert_eq!(p.count(1), 3, "a repeat, one's own message and a join do not count");
        assert_eq!((p.count(2), p.last_seq(1)), (0, Some(13)));
    }

    #[test]
    fn reading_clears_what_it_reaches() {
        let mut p = Places::of(&[channel(1, true, 10, 4), channel(2, true, 3, 1)]);
        assert_eq!(p.total(None), 5);
        assert_eq!(p.total(Some(1)), 1, "the open channel is left out");
        p.read(1, 8);
        assert_eq!(p.count(1), 2, "two events after the cursor at most");
        p.read(1, 10);
        assert_eq!(p.count(1), 0);
        p.seen(2, 9);
        p.read(2, 3);
        assert_eq!(p.count(2), 1, "newer events seen keep the count");
    }

    #[test]
    fn a_mention_counts_once_until_read_on_any_device() {
        let mut p = Places::of(&[Channel { mentions: 1, ..channel(1, true, 10, 3) }]);
        assert_eq!(p.mentions(1), 1, "as the server counted");
        p.mentioned(1, 9);
        assert_eq!(p.mentions(1), 1, "counted already");
        p.mentioned(1, 12);
        p.mentioned(1, 12);
        p.mentioned(2, 12);
        assert_eq!((p.mentions(1), p.mentions(2)), (2, 0));
        p.read(1, 11);
        assert_eq!(p.mentions(1), 1, "read up to 11: the one at 12 is left");
        p.mentioned(1, 11);
        assert_eq!(p.mentions(1), 1, "a mention heard after it was read is no news");
        p.read(1, 12);
        assert_eq!(p.mentions(1), 0);
    }

    #[test]
    fn counts_stop_at_the_badge_s_most() {
        let mut p = Places::of(&[channel(1, true, 0, 99)]);
        for seq in 1..5 {
            p.arrived(&event(1, seq, 7, EventKind::Message), None);
        }
        assert!(p.full(1));
        assert_eq!(badge(p.count(1)), "99+");
        assert_eq!(badge(7), "7");
        let mut late = Places::default();
        late.follow(&channel(4, true, 2, 1));
        late.follow(&channel(4, true, 9, 9));
        assert_eq!(late.count(4), 1, "following twice keeps the first place");
    }
}
