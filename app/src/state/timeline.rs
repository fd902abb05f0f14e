//! A channel's timeline as this tab shows it: stored messages in `seq`
//! order, each shown once (merged by `client_id` and `seq`, whether it came
//! live, in a resume page, in a history page or as this tab's own
//! acknowledgement), then this tab's messages still on their way. Plain
//! data: the chat's view shows it, the chat's browser actions change it.

use crate::protocol::{ChatMessage, EventKind, Reaction, ThreadSummary, UserId};

/// Where a message shown in the list stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Delivery {
    /// Stored on the server (history, or someone else's live message).
    Stored,
    /// Sent from this tab, waiting for the server's acknowledgement.
    Sending,
    /// Sent from this tab and acknowledged: stored with its `seq`.
    Sent,
    /// Sent from this tab and not acknowledged; the reason, for the person.
    Failed(String),
}

/// What an event of a thread does to its root's summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ThreadEvent {
    /// A reply by this person, at this time.
    Reply { author_id: UserId, at: i64 },
    /// A reply deleted.
    Deleted,
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The message; `seq == 0` until the server has stored it.
    pub message: ChatMessage,
    pub delivery: Delivery,
}

/// The rows of a channel, in display order: stored messages by `seq`, then the
/// ones still on their way, in the order they were sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timeline {
    entries: Vec<Entry>,
    /// The `seq`s of the messages known to be deleted: a copy of one that
    /// arrives late (a page fetched before the deletion) shows it deleted too.
    deleted: std::collections::BTreeSet<i64>,
    /// The newest edit known of each edited message (by its `seq`): the
    /// edit's own `seq` and the text it gave, so a copy fetched before the
    /// edit shows the newest text too.
    edits: std::collections::BTreeMap<i64, (i64, String)>,
    /// The newest reaction event known of each (message `seq`, emoji,
    /// person): its `seq` and whether the reaction is there after it.
    reacted: std::collections::BTreeMap<(i64, String, UserId), (i64, bool)>,
    /// The newest pin event known of each message (by its `seq`): its own
    /// `seq` and whether the message is pinned after it.
    pins: std::collections::BTreeMap<i64, (i64, bool)>,
    /// Every event of a thread known (a reply, or a reply's deletion), by
    /// its root's `seq` and then its own, so a root fetched before some of
    /// them (its summary counts up to an older `seq`) counts them too.
    threads: std::collections::BTreeMap<i64, std::collections::BTreeMap<i64, ThreadEvent>>,
    /// The server said everything this person may read up to here has been
    /// sent (a join's answer with nothing more): a gap below it is events
    /// not theirs to read (from while they were out of a conversation), not
    /// something missing.
    complete_up_to: i64,
}

impl Timeline {
    pub(crate) fn from_history(messages: Vec<ChatMessage>) -> Self {
        let mut t = Timeline::default();
        for m in messages {
            t.merge(m, Delivery::Stored);
        }
        t
    }

    /// The rows, in display order.
    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Whether nothing is shown.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The row of the message with this client id, if it is shown.
    pub(crate) fn find(&self, client_id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.message.client_id == client_id)
    }

    /// Newest stored `seq` shown (0 if none).
    pub(crate) fn last_seq(&self) -> i64 {
        self.entries.iter().map(|e| e.message.seq).max().unwrap_or(0)
    }

    /// Where to resume from: the newest `seq` below which nothing is missing
    /// (counting from the oldest shown, or from where the server said all
    /// was sent), 0 if none is shown. A message that arrived past a gap, or
    /// this tab's own acknowledged message that came before the ones
    /// preceding it, does not move it.
    pub(crate) fn resume_point(&self) -> i64 {
        let mut seqs: Vec<i64> = self.entries.iter().map(|e| e.message.seq).filter(|s| *s > 0).collect();
        seqs.sort_unstable();
        let Some(&first) = seqs.first() else { return 0 };
        let contiguous = seqs
            .iter()
            .skip(1)
            .try_fold(first, |prev, &s| if s == prev + 1 { Ok(s) } else { Err(prev) })
            .unwrap_or_else(|p| p);
        // On from the newest of the two, as far as nothing is missing.
        seqs.iter()
            .filter(|s| **s > self.complete_up_to.max(contiguous))
            .try_fold(self.complete_up_to.max(contiguous), |prev, &s| if s == prev + 1 { Ok(s) } else { Err(prev) })
            .unwrap_or_else(|p| p)
    }

    /// The server has sent everything this person may read up to `seq`
    /// (a join answered with nothing more, or the newest page of history).
    pub(crate) fn complete_up_to(&mut self, seq: i64) {
        self.complete_up_to = self.complete_up_to.max(seq);
    }

    /// Oldest stored `seq` shown, for "load older".
    pub(crate) fn first_seq(&self) -> Option<i64> {
        self.entries.iter().map(|e| e.message.seq).filter(|s| *s > 0).min()
    }

    /// Adds a message this tab is sending.
    pub(crate) fn push_pending(&mut self, message: ChatMessage) {
        self.entries.push(Entry { message, delivery: Delivery::Sending });
    }

    /// Takes a message that was never stored off the list (deleted by the
    /// person after the server refused it).
    pub(crate) fn remove_unsent(&mut self, client_id: &str) {
        self.entries.retain(|e| e.message.seq > 0 || e.message.client_id != client_id);
    }

    /// Whether a message is shown stored (`Some(true)`), shown on its way
    /// (`Some(false)`), or not shown.
    pub(crate) fn stored(&self, client_id: &str) -> Option<bool> {
        self.entries.iter().find(|e| e.message.client_id == client_id).map(|e| e.message.seq > 0)
    }

    /// The messages of this tab still on their way (not refused).
    pub(crate) fn sending(&self) -> Vec<String> {
        self.entries.iter().filter(|e| e.delivery == Delivery::Sending).map(|e| e.message.client_id.clone()).collect()
    }

    /// Marks a message this tab sent.
    pub(crate) fn set_delivery(&mut self, client_id: &str, delivery: Delivery) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.message.client_id == client_id) {
            e.delivery = delivery;
        }
    }

    /// Puts a stored message in its place. A message already shown (same
    /// `client_id`, or same `seq`) is replaced, never duplicated; a pending one
    /// of this tab becomes `delivery`.
    pub(crate) fn merge(&mut self, mut message: ChatMessage, delivery: Delivery) {
        if message.kind == EventKind::Deleted
            && let Some(seq) = message.refers_to
        {
            self.mark_deleted(seq);
        }
        if message.kind == EventKind::Edited
            && let Some(seq) = message.refers_to
        {
            self.mark_edited(seq, message.seq, &message.body);
        }
        if matches!(message.kind, EventKind::ReactionAdded | EventKind::ReactionRemoved)
            && let Some(seq) = message.refers_to
        {
            let present = message.kind == EventKind::ReactionAdded;
            self.mark_reacted(seq, &message.body, message.author_id, message.seq, present);
        }
        if matches!(message.kind, EventKind::Pinned | EventKind::Unpinned)
            && let Some(seq) = message.refers_to
        {
            self.mark_pinned(seq, message.seq, message.kind == EventKind::Pinned);
        }
        if let Some(root) = message.thread_of {
            let event = match message.kind {
                EventKind::Message => Some(ThreadEvent::Reply { author_id: message.author_id, at: message.sent_at }),
                EventKind::Deleted => Some(ThreadEvent::Deleted),
                _ => None,
            };
            if let Some(event) = event.filter(|_| message.seq > 0) {
                self.threads.entry(root).or_default().insert(message.seq, event);
                for e in
                    self.entries.iter_mut().filter(|e| e.message.seq == root && e.message.kind == EventKind::Message)
                {
                    count_thread_event(&mut e.message.thread, message.seq, event);
                }
            }
        }
        if message.kind == EventKind::Message
            && message.thread_of.is_none()
            && let Some(known) = self.threads.get(&message.seq)
        {
            for (seq, event) in known {
                count_thread_event(&mut message.thread, *seq, *event);
            }
        }
        if message.kind == EventKind::Message
            && let Some((_, pinned)) = self.pins.get(&message.seq)
        {
            message.pinned = *pinned;
        }
        if message.kind == EventKind::Message {
            let known = self
                .reacted
                .range((message.seq, String::new(), UserId::MIN)..(message.seq + 1, String::new(), UserId::MIN));
            for ((_, emoji, user), (_, present)) in known {
                set_reaction(&mut message.reactions, emoji, *user, *present);
            }
        }
        if message.kind == EventKind::Message
            && let Some((_, body)) = self.edits.get(&message.seq)
        {
            message.body.clone_from(body);
            message.edited = true;
        }
        if message.kind == EventKind::Message && self.deleted.contains(&message.seq) {
            message.deleted = true;
            message.body.clear();
        }
        if let Some(i) = self.entries.iter().position(|e| {
            e.message.client_id == message.client_id || (e.message.seq > 0 && e.message.seq == message.seq)
        }) {
            let keep_sent =
                matches!(self.entries[i].delivery, Delivery::Sending | Delivery::Sent | Delivery::Failed(_));
            self.entries.remove(i);
            let delivery = if keep_sent { Delivery::Sent } else { delivery };
            self.insert_stored(Entry { message, delivery });
        } else {
            self.insert_stored(Entry { message, delivery });
        }
    }

    /// Shows message `seq` pinned or not as of event `event_seq`, unless a
    /// newer one is known.
    fn mark_pinned(&mut self, seq: i64, event_seq: i64, pinned: bool) {
        if self.pins.get(&seq).is_some_and(|(newest, _)| *newest >= event_seq) {
            return;
        }
        self.pins.insert(seq, (event_seq, pinned));
        for e in self.entries.iter_mut().filter(|e| e.message.seq == seq && e.message.kind == EventKind::Message) {
            e.message.pinned = pinned;
        }
    }

    /// Shows `user`'s reaction `emoji` on message `seq` there or not
    /// (`present`) as of event `event_seq`, unless a newer one is known.
    fn mark_reacted(&mut self, seq: i64, emoji: &str, user: UserId, event_seq: i64, present: bool) {
        let key = (seq, emoji.to_owned(), user);
        if self.reacted.get(&key).is_some_and(|(newest, _)| *newest >= event_seq) {
            return;
        }
        self.reacted.insert(key, (event_seq, present));
        for e in self.entries.iter_mut().filter(|e| e.message.seq == seq && e.message.kind == EventKind::Message) {
            set_reaction(&mut e.message.reactions, emoji, user, present);
        }
    }

    /// Shows message `seq` with the text of its edit at `edit_seq`, unless
    /// a newer edit is known.
    fn mark_edited(&mut self, seq: i64, edit_seq: i64, body: &str) {
        if self.edits.get(&seq).is_some_and(|(newest, _)| *newest >= edit_seq) {
            return;
        }
        self.edits.insert(seq, (edit_seq, body.to_owned()));
        let deleted = self.deleted.contains(&seq);
        for e in self.entries.iter_mut().filter(|e| e.message.seq == seq && e.message.kind == EventKind::Message) {
            if !deleted {
                e.message.body = body.to_owned();
            }
            e.message.edited = true;
        }
    }

    /// The `seq` of the newest stored message of `me` that is not deleted
    /// (the one Up edits).
    pub(crate) fn last_editable(&self, me: Option<i64>) -> Option<i64> {
        let me = me?;
        self.entries
            .iter()
            .rev()
            .find(|e| {
                let m = &e.message;
                m.kind == EventKind::Message && m.seq > 0 && !m.deleted && m.author_id == me
            })
            .map(|e| e.message.seq)
    }

    /// Shows message `seq` as deleted: its text is gone.
    pub(crate) fn mark_deleted(&mut self, seq: i64) {
        self.deleted.insert(seq);
        for e in self.entries.iter_mut().filter(|e| e.message.seq == seq && e.message.kind == EventKind::Message) {
            e.message.deleted = true;
            e.message.body.clear();
        }
    }

    /// Merges the newest page fetched after time away. If it does not reach
    /// back to what was shown, the stored messages shown are dropped, so the
    /// list never has a silent hole; "load older" brings them back in order.
    /// This tab's messages still on their way stay. Returns whether a hole was
    /// closed that way (older messages exist again).
    pub(crate) fn catch_up(&mut self, newest: Vec<ChatMessage>) -> bool {
        let known = self.last_seq();
        let oldest_fetched = newest.iter().map(|m| m.seq).min();
        let hole = oldest_fetched.is_some_and(|oldest| oldest > known + 1);
        if hole {
            self.entries.retain(|e| e.message.seq == 0);
        }
        for m in newest {
            self.merge(m, Delivery::Stored);
        }
        hole
    }

    /// Forgets every stored message shown, and which were deleted: the
    /// channel does not continue from what was shown (its store was reset
    /// or restored), so its `seq`s may come again as other messages. This
    /// tab's messages still on their way stay.
    pub(crate) fn reset(&mut self) {
        self.entries.retain(|e| e.message.seq == 0);
        self.deleted.clear();
        self.edits.clear();
        self.reacted.clear();
        self.pins.clear();
        self.threads.clear();
        self.complete_up_to = 0;
    }

    fn insert_stored(&mut self, entry: Entry) {
        let seq = entry.message.seq;
        let at =
            self.entries.iter().position(|e| e.message.seq == 0 || e.message.seq > seq).unwrap_or(self.entries.len());
        self.entries.insert(at, entry);
    }
}

/// Counts an event of a thread at `seq` on its root's summary, unless the
/// summary counts up to it already.
fn count_thread_event(summary: &mut Option<ThreadSummary>, seq: i64, event: ThreadEvent) {
    let summary = summary.get_or_insert_with(ThreadSummary::default);
    if seq <= summary.seq {
        return;
    }
    summary.seq = seq;
    match event {
        ThreadEvent::Reply { author_id, at } => {
            summary.replies += 1;
            summary.last_reply_at = summary.last_reply_at.max(at);
            if !summary.participants.contains(&author_id) {
                summary.participants.push(author_id);
            }
        }
        ThreadEvent::Deleted => summary.replies = (summary.replies - 1).max(0),
    }
}

/// Puts `user` among those who reacted with `emoji`, or takes them out
/// (an emoji nobody has any more goes).
fn set_reaction(reactions: &mut Vec<Reaction>, emoji: &str, user: UserId, present: bool) {
    match reactions.iter().position(|r| r.emoji == emoji) {
        Some(i) => {
            let ids = &mut reactions[i].user_ids;
            if present && !ids.contains(&user) {
                ids.push(user);
            } else if !present {
                ids.retain(|id| *id != user);
                if ids.is_empty() {
                    reactions.remove(i);
                }
            }
        }
        None if present => reactions.push(Reaction { emoji: emoji.to_owned(), user_ids: vec![user] }),
        None => {}
    }
}

#[cfg(test)]
mod convergence;

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64, client_id: &str) -> ChatMessage {
        ChatMessage {
            id: seq,
            channel_id: 1,
            seq,
            kind: EventKind::Message,
            client_id: client_id.into(),
            author_id: 1,
            author: "a".into(),
            body: "hi".into(),
            sent_at: 0,
            ..Default::default()
        }
    }

    fn seqs(t: &Timeline) -> Vec<i64> {
        t.entries.iter().map(|e| e.message.seq).collect()
    }

    #[test]
    fn an_edit_shows_the_newest_text_whatever_order_things_arrive_in() {
        let edit = |seq, of, body: &str| ChatMessage {
            kind: EventKind::Edited,
            refers_to: Some(of),
            body: body.into(),
            ..msg(seq, &format!("s:{seq}"))
        };
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        t.merge(edit(3, 1, "fixed"), Delivery::Stored);
        t.merge(edit(5, 1, "fixed twice"), Delivery::Stored);
        t.merge(edit(4, 1, "fixed"), Delivery::Stored);
        let first = &t.entries[0].message;
        assert_eq!((first.body.as_str(), first.edited), ("fixed twice", true), "the newest edit wins");
        assert!(!t.entries[1].message.edited, "only the one it names");
        // A copy fetched before the edits, arriving after them, shows the newest text.
        t.merge(msg(1, "a"), Delivery::Stored);
        assert_eq!(t.entries[0].message.body, "fixed twice");
        // Deleted after: no text at all.
        t.merge(ChatMessage { kind: EventKind::Deleted, refers_to: Some(1), ..msg(6, "s:6") }, Delivery::Stored);
        t.merge(edit(5, 1, "fixed twice"), Delivery::Stored);
        assert!(t.entries[0].message.deleted && t.entries[0].message.body.is_empty());
    }

    #[test]
    fn reactions_count_each_person_once_whatever_order_things_arrive_in() {
        let react = |seq, of, emoji: &str, by, add: bool| ChatMessage {
            kind: if add { EventKind::ReactionAdded } else { EventKind::ReactionRemoved },
            refers_to: Some(of),
            body: emoji.into(),
            author_id: by,
            ..msg(seq, &format!("s:{seq}"))
        };
        let mut t = Timeline::from_history(vec![msg(1, "a")]);
        t.merge(react(2, 1, "👍", 7, true), Delivery::Stored);
        t.merge(react(3, 1, "👍", 8, true), Delivery::Stored);
        t.merge(react(4, 1, "🎉", 7, true), Delivery::Stored);
        t.merge(react(5, 1, "👍", 7, false), Delivery::Stored);
        t.merge(react(2, 1, "👍", 7, true), Delivery::Stored);
        let shown = |t: &Timeline| {
            let m = &t.entries[0].message;
            let mut all = m.reactions.iter().map(|r| (r.emoji.clone(), r.user_ids.clone())).collect::<Vec<_>>();
            all.sort();
            all
        };
        assert_eq!(
            shown(&t),
            vec![("🎉".to_owned(), vec![7]), ("👍".to_owned(), vec![8])],
            "a late copy changes nothing"
        );
        // A page fetched before the events shows what they made.
        t.merge(msg(1, "a"), Delivery::Stored);
        assert_eq!(shown(&t), vec![("🎉".to_owned(), vec![7]), ("👍".to_owned(), vec![8])]);
        t.merge(react(6, 1, "🎉", 7, false), Delivery::Stored);
        assert_eq!(shown(&t), vec![("👍".to_owned(), vec![8])], "an emoji nobody has goes");
    }

    #[test]
    fn a_thread_counts_each_reply_and_deletion_once_whatever_order_things_arrive_in() {
        let reply = |seq, by| ChatMessage {
            thread_of: Some(1),
            author_id: by,
            sent_at: seq * 10,
            ..msg(seq, &format!("r{seq}"))
        };
        let deletion = |seq, of| ChatMessage {
            kind: EventKind::Deleted,
            refers_to: Some(of),
            thread_of: Some(1),
            ..msg(seq, &format!("s:{seq}"))
        };
        let mut t = Timeline::from_history(vec![msg(1, "root")]);
        t.merge(reply(2, 7), Delivery::Stored);
        t.merge(reply(3, 8), Delivery::Stored);
        t.merge(reply(2, 7), Delivery::Stored);
        t.merge(deletion(4, 2), Delivery::Stored);
        let summary = |t: &Timeline| t.entries[0].message.thread.clone().unwrap();
        assert_eq!(summary(&t), ThreadSummary { replies: 1, last_reply_at: 30, participants: vec![7, 8], seq: 4 });
        // A copy of the root fetched before the second reply (its summary
        // counts up to 2) counts the rest on top; one fetched after, nothing more.
        let early = ThreadSummary { replies: 1, last_reply_at: 20, participants: vec![7], seq: 2 };
        t.merge(ChatMessage { thread: Some(early), ..msg(1, "root") }, Delivery::Stored);
        assert_eq!(summary(&t).replies, 1);
        assert_eq!(summary(&t).seq, 4);
        let late = ThreadSummary { replies: 1, last_reply_at: 30, participants: vec![7, 8], seq: 4 };
        t.merge(ChatMessage { thread: Some(late.clone()), ..msg(1, "root") }, Delivery::Stored);
        assert_eq!(summary(&t), late);
        // Events heard before the root arrives (a page loaded later) count too.
        let mut t = Timeline::from_history(vec![msg(5, "other")]);
        t.merge(reply(6, 7), Delivery::Stored);
        t.merge(msg(1, "root"), Delivery::Stored);
        assert_eq!(t.entries[0].message.thread.as_ref().map(|s| s.replies), Some(1));
    }

    #[test]
    fn a_pin_shows_as_of_the_newest_pin_event() {
        let pin = |seq, of, on: bool| ChatMessage {
            kind: if on { EventKind::Pinned } else { EventKind::Unpinned },
            refers_to: Some(of),
            ..msg(seq, &format!("s:{seq}"))
        };
        let mut t = Timeline::from_history(vec![msg(1, "a")]);
        t.merge(pin(2, 1, true), Delivery::Stored);
        t.merge(pin(3, 1, false), Delivery::Stored);
        t.merge(pin(2, 1, true), Delivery::Stored);
        assert!(!t.entries[0].message.pinned, "a late copy changes nothing");
        t.merge(pin(4, 1, true), Delivery::Stored);
        t.merge(msg(1, "a"), Delivery::Stored);
        assert!(t.entries[0].message.pinned, "a page fetched before shows it pinned");
    }

    #[test]
    fn catching_up_never_leaves_a_hole() {
        // Away for a few messages: the newest page reaches back; all kept.
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        assert!(!t.catch_up(vec![msg(2, "b"), msg(3, "c"), msg(4, "d")]));
        assert_eq!(seqs(&t), vec![1, 2, 3, 4]);

        // Away for longer than a page: what was shown goes (it is older than
        // the gap), this tab's unsent message stays, "load older" refills.
        t.push_pending(msg(0, "mine"));
        assert!(t.catch_up(vec![msg(500, "x"), msg(501, "y")]));
        assert_eq!(seqs(&t), vec![500, 501, 0]);
        assert_eq!(t.first_seq(), Some(500));

        // Nothing new: nothing changes.
        assert!(!t.catch_up(vec![]));
        assert_eq!(seqs(&t), vec![500, 501, 0]);
    }

    #[test]
    fn a_deletion_wipes_the_message_it_names_and_keeps_its_place() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        let deletion =
            ChatMessage { kind: EventKind::Deleted, refers_to: Some(1), body: String::new(), ..msg(3, "s:1") };
        t.merge(deletion.clone(), Delivery::Stored);
        let first = &t.entries[0].message;
        assert!(first.deleted && first.body.is_empty());
        assert!(!t.entries[1].message.deleted, "only the one it names");
        assert_eq!((seqs(&t), t.resume_point()), (vec![1, 2, 3], 3), "the deletion is in the stream too");
        // Heard again (another tab's echo, a catch-up): nothing more changes.
        t.merge(deletion, Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        // A copy fetched before the deletion, arriving after it, stays deleted.
        t.merge(msg(1, "a"), Delivery::Stored);
        assert!(t.entries[0].message.deleted && t.entries[0].message.body.is_empty());
        // A deletion heard before its message (a page loaded later) too.
        let mut t = Timeline::from_history(vec![msg(5, "e")]);
        t.merge(ChatMessage { kind: EventKind::Deleted, refers_to: Some(4), ..msg(6, "s:2") }, Delivery::Stored);
        t.merge(msg(4, "d"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![4, 5, 6]);
        assert!(t.entries[0].message.deleted && !t.entries[1].message.deleted);
    }

    /// After a reset (the server's channel does not continue from what was
    /// shown), a new message under the `seq` of one deleted before is not
    /// shown deleted: nothing of the old stream is remembered.
    #[test]
    fn a_reset_forgets_what_was_deleted() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        t.merge(ChatMessage { kind: EventKind::Deleted, refers_to: Some(2), ..msg(3, "s:1") }, Delivery::Stored);
        t.push_pending(msg(0, "mine"));
        t.reset();
        assert_eq!(seqs(&t), vec![0], "only this tab's message on its way stays");
        t.merge(msg(2, "new"), Delivery::Stored);
        let again = &t.entries[0].message;
        assert!(!again.deleted && again.body == "hi", "a new message with an old seq is shown as it is: {again:?}");
    }

    #[test]
    fn merges_in_order_without_duplicates() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        t.merge(msg(4, "d"), Delivery::Stored);
        t.merge(msg(3, "c"), Delivery::Stored);
        t.merge(msg(3, "c"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3, 4]);
        assert_eq!(t.last_seq(), 4);
        assert_eq!(t.first_seq(), Some(1));
    }

    #[test]
    fn resumes_from_before_the_first_gap() {
        let mut t = Timeline::default();
        assert_eq!(t.resume_point(), 0);
        t = Timeline::from_history(vec![msg(3, "a"), msg(4, "b")]);
        assert_eq!(t.resume_point(), 4);
        // A live message past a gap, or an own ack ahead of others: not yet.
        t.merge(msg(7, "g"), Delivery::Stored);
        t.push_pending(msg(0, "mine"));
        assert_eq!(t.resume_point(), 4);
        t.merge(msg(5, "e"), Delivery::Stored);
        t.merge(msg(6, "f"), Delivery::Stored);
        assert_eq!(t.resume_point(), 7);
    }

    /// Someone back in a conversation gets no events from while they were
    /// out: once the server says all is sent up to a point, that gap is not
    /// something missing, and resuming and marking read go on past it.
    #[test]
    fn a_gap_the_server_vouches_for_is_not_a_hole() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b"), msg(6, "f"), msg(7, "g")]);
        assert_eq!(t.resume_point(), 2, "a gap below 6: maybe missing");
        t.complete_up_to(7);
        assert_eq!(t.resume_point(), 7);
        t.merge(msg(8, "h"), Delivery::Stored);
        t.merge(msg(10, "j"), Delivery::Stored);
        assert_eq!(t.resume_point(), 8, "a gap above what was vouched for still holds it");
        t.reset();
        assert_eq!(t.resume_point(), 0);
    }

    #[test]
    fn pending_becomes_sent_in_place() {
        let mut t = Timeline::from_history(vec![msg(1, "a")]);
        t.push_pending(msg(0, "mine"));
        t.merge(msg(2, "other"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 0]);
        t.merge(msg(3, "mine"), Delivery::Sent);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        assert_eq!(t.entries[2].delivery, Delivery::Sent);
        // The echo of our own message from another tab changes nothing.
        t.merge(msg(3, "mine"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        assert_eq!(t.entries[2].delivery, Delivery::Sent);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A channel of `n` messages, each delivered at least once and some
        /// several times (live, in a resume page, as this tab's own ack), in
        /// any order; some were sent from this tab and shown as pending first.
        fn deliveries() -> impl Strategy<Value = (i64, Vec<i64>, Vec<bool>)> {
            (1i64..60).prop_flat_map(|n| {
                (proptest::collection::vec(1..=n, 0..60), proptest::collection::vec(any::<bool>(), n as usize))
                    .prop_flat_map(move |(again, mine)| {
                        let mut all: Vec<i64> = (1..=n).collect();
                        all.extend(again);
                        (Just(n), Just(all).prop_shuffle(), Just(mine))
                    })
            })
        }

        proptest! {
            #[test]
            fn each_message_shows_once_in_order((n, order, mine) in deliveries()) {
                let is_mine = |seq: i64| mine[(seq - 1) as usize];
                let mut t = Timeline::default();
                for seq in (1..=n).filter(|s| is_mine(*s)) {
                    t.push_pending(msg(0, &format!("c{seq}")));
                }
                for seq in order {
                    let delivery = if is_mine(seq) { Delivery::Sent } else { Delivery::Stored };
                    t.merge(msg(seq, &format!("c{seq}")), delivery);
                }
                prop_assert_eq!(seqs(&t), (1..=n).collect::<Vec<_>>());
                for e in &t.entries {
                    let expected = if is_mine(e.message.seq) { Delivery::Sent } else { Delivery::Stored };
                    prop_assert_eq!(&e.delivery, &expected);
                }
                prop_assert_eq!(t.last_seq(), n);
            }

            /// Pages merged after a reconnect, whatever was shown before and
            /// however they overlap, never leave a hole below the newest shown.
            #[test]
            fn catching_up_never_leaves_a_silent_hole(shown in 0i64..40, newest_from in 1i64..80, len in 0i64..30) {
                let mut t = Timeline::from_history((1..=shown).map(|s| msg(s, &format!("c{s}"))).collect());
                let page: Vec<ChatMessage> =
                    (newest_from..newest_from + len).map(|s| msg(s, &format!("c{s}"))).collect();
                t.catch_up(page);
                let got = seqs(&t);
                if let (Some(first), Some(last)) = (got.first(), got.last()) {
                    prop_assert_eq!(got.clone(), (*first..=*last).collect::<Vec<_>>(), "contiguous");
                }
            }
        }
    }
}
