//! Each channel's events in `seq` order on this server, whatever order they
//! arrive in. Written events come from this server's own writers, in order,
//! and, when several servers share the database, from the others over the
//! cluster's feed, which may be late, drop some or reorder them; the
//! database has them all. So for each channel whose room has sockets here,
//! this keeps how far its room has been given the stream (`delivered`), and:
//!
//! - an event right after that point is delivered, with any that arrived
//!   early and now follow on;
//! - one at or before it is a copy and is dropped;
//! - one further on waits, and the gap before it is asked of the database
//!   ([`Sequencer::gaps`]) if it has not closed by itself within a moment;
//! - a step (a socket entering or leaving the room, people losing sight of
//!   the channel) taken at a point of the stream (`as_of`: the `seq` it saw)
//!   runs when the room is at exactly that point: at once if it is, once
//!   the events up to it are delivered if the room is behind, and with the
//!   events delivered since (kept for a while) if the room is ahead.
//!
//! Pure bookkeeping, with no I/O and no clock of its own: the delivery task
//! feeds it and carries out what it answers.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How long a gap may stay open before it is read from the database (an
/// event from another server is usually a moment behind one from here).
pub(super) const GAP_WAIT: Duration = Duration::from_millis(20);

/// The most events one read from the database fills a gap with.
pub(super) const FILL_PAGE: usize = 500;

/// What the sequencer needs to know of an event.
pub(super) trait Sequenced: Clone {
    fn channel_id(&self) -> i64;
    fn seq(&self) -> i64;
}

/// What to do, in this order.
#[derive(Debug)]
pub(super) enum Action<E, S> {
    /// Send the event to the channel's room.
    Deliver(E),
    /// Run the step: the room is at its point. With the events its point
    /// is behind the room by (delivered since; usually none), or `None` when
    /// they are no longer at hand (the step's taker reads again).
    Run(S, Option<Vec<E>>),
}

/// A part of a channel's stream to read from the database: the events
/// after `after`, up to `up_to` if it is known where the gap ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Gap {
    pub(super) channel_id: i64,
    pub(super) after: i64,
    pub(super) up_to: Option<i64>,
}

struct Cursor<E, S> {
    /// The last `seq` the room was given.
    delivered: i64,
    /// Events that arrived ahead of a gap, by `seq`.
    early: BTreeMap<i64, E>,
    /// Steps waiting for the room to reach their point, by point.
    held: BTreeMap<i64, Vec<S>>,
    /// The last events delivered, oldest first, for steps taken behind.
    recent: VecDeque<E>,
    /// Since when the room has waited for something (a gap, a held step,
    /// or a check that nothing was missed as the cursor began).
    waiting_since: Option<Instant>,
    /// A read of the database for this channel is under way.
    filling: bool,
}

impl<E, S> Cursor<E, S> {
    fn at(delivered: i64, check: Option<Instant>) -> Self {
        Cursor {
            delivered,
            early: BTreeMap::new(),
            held: BTreeMap::new(),
            recent: VecDeque::new(),
            waiting_since: check,
            filling: false,
        }
    }

    fn idle(&self) -> bool {
        self.early.is_empty() && self.held.is_empty() && !self.filling
    }
}

/// Every channel with sockets in its room here, and how far each room is.
pub(super) struct Sequencer<E, S> {
    channels: HashMap<i64, Cursor<E, S>>,
    /// How many delivered events each channel keeps for steps taken behind.
    keep: usize,
    /// Whether a new cursor is checked against the database: another server
    /// may have written after the point it begins at, with word of it on
    /// its way or lost (one server alone never has).
    check_new: bool,
}

impl<E: Sequenced, S> Sequencer<E, S> {
    /// Keeping the last `keep` events of each channel; `shared`: other
    /// servers write to the same database.
    pub(super) fn new(keep: usize, shared: bool) -> Self {
        Sequencer { channels: HashMap::new(), keep, check_new: shared }
    }

    /// A written event. Nothing happens for a channel with no cursor:
    /// nobody here listens to it.
    pub(super) fn event(&mut self, event: E, now: Instant, out: &mut Vec<Action<E, S>>) {
        let Some(cursor) = self.channels.get_mut(&event.channel_id()) else { return };
        let seq = event.seq();
        if seq <= cursor.delivered {
            return;
        }
        if seq > cursor.delivered + 1 {
            cursor.early.insert(seq, event);
            cursor.waiting_since.get_or_insert(now);
            return;
        }
        Self::advance(cursor, event, self.keep, out);
        Self::settle(cursor, now, self.keep, out);
    }

    /// A step taken at point `as_of` of a channel's stream (`None`: at
    /// whatever point the room is). A step at a point begins the channel's
    /// cursor there if it has none.
    pub(super) fn step(
        &mut self,
        channel_id: i64,
        as_of: Option<i64>,
        step: S,
        now: Instant,
        out: &mut Vec<Action<E, S>>,
    ) {
        let Some(point) = as_of else {
            return out.push(Action::Run(step, Some(Vec::new())));
        };
        let check = self.check_new.then_some(now);
        let cursor = self.channels.entry(channel_id).or_insert_with(|| Cursor::at(point, check));
        if point > cursor.delivered {
            cursor.held.entry(point).or_default().push(step);
            cursor.waiting_since.get_or_insert(now);
        } else {
            let behind = Self::since(cursor, point);
            out.push(Action::Run(step, behind));
        }
    }

    /// The channel's room turned out empty: nothing more to keep for it,
    /// unless something waits there.
    pub(super) fn room_empty(&mut self, channel_id: i64) {
        if self.channels.get(&channel_id).is_some_and(|c| c.idle()) {
            self.channels.remove(&channel_id);
        }
    }

    /// Whether any room waits for something the database may have (a gap
    /// not being read yet): [`Sequencer::gaps`] then has work within
    /// `GAP_WAIT`.
    pub(super) fn waiting(&self) -> bool {
        self.channels.values().any(|c| c.waiting_since.is_some() && !c.filling)
    }

    /// The gaps that have waited `GAP_WAIT` by `now`, each marked as being
    /// filled until [`Sequencer::filled`] is called for its channel.
    pub(super) fn gaps(&mut self, now: Instant) -> Vec<Gap> {
        let mut gaps = Vec::new();
        for (&channel_id, cursor) in &mut self.channels {
            let Some(since) = cursor.waiting_since else { continue };
            if cursor.filling || now.duration_since(since) < GAP_WAIT {
                continue;
            }
            let early = cursor.early.keys().next().map(|seq| seq - 1);
            let held = cursor.held.keys().next_back().copied();
            let up_to = match (early, held) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            cursor.filling = true;
            gaps.push(Gap { channel_id, after: cursor.delivered, up_to });
        }
        gaps
    }

    /// Every channel this server follows, with how far its room is: to
    /// check against the database when word from other servers may have
    /// been lost.
    pub(super) fn positions(&self) -> Vec<(i64, i64)> {
        self.channels.iter().map(|(id, c)| (*id, c.delivered)).collect()
    }

    /// The database says the channel's stream reaches `last_seq`: if its
    /// room is behind that, what it missed is read at the next
    /// [`Sequencer::gaps`].
    pub(super) fn reaches(&mut self, channel_id: i64, last_seq: i64, now: Instant) {
        if let Some(cursor) = self.channels.get_mut(&channel_id)
            && last_seq > cursor.delivered
        {
            cursor.waiting_since.get_or_insert(now.checked_sub(GAP_WAIT).unwrap_or(now));
        }
    }

    /// A read of the database for the channel came back with `events`
    /// (in `seq` order; empty when it failed or found nothing new).
    pub(super) fn filled(&mut self, channel_id: i64, events: Vec<E>, now: Instant, out: &mut Vec<Action<E, S>>) {
        let Some(cursor) = self.channels.get_mut(&channel_id) else { return };
        cursor.filling = false;
        let full = events.len() >= FILL_PAGE;
        for event in events {
            if event.seq() == cursor.delivered + 1 {
                Self::advance(cursor, event, self.keep, out);
            } else if event.seq() > cursor.delivered + 1 {
                cursor.early.insert(event.seq(), event);
            }
        }
        Self::settle(cursor, now, self.keep, out);
        if full {
            // There may be more: read on at once.
            cursor.waiting_since = Some(now.checked_sub(GAP_WAIT).unwrap_or(now));
        } else if cursor.waiting_since.is_some() {
            // Still waiting (the read failed, or the rest is still on its
            // way): read again after a moment.
            cursor.waiting_since = Some(now);
        }
    }

    fn advance(cursor: &mut Cursor<E, S>, event: E, keep: usize, out: &mut Vec<Action<E, S>>) {
        cursor.delivered = event.seq();
        if keep > 0 {
            if cursor.recent.len() == keep {
                cursor.recent.pop_front();
            }
            cursor.recent.push_back(event.clone());
        }
        out.push(Action::Deliver(event));
        if let Some(steps) = cursor.held.remove(&cursor.delivered) {
            out.extend(steps.into_iter().map(|s| Action::Run(s, Some(Vec::new()))));
        }
    }

    /// Delivers what arrived early and now follows on, and the steps whose
    /// points are passed.
    fn settle(cursor: &mut Cursor<E, S>, now: Instant, keep: usize, out: &mut Vec<Action<E, S>>) {
        while let Some(event) = cursor.early.remove(&(cursor.delivered + 1)) {
            Self::advance(cursor, event, keep, out);
        }
        cursor.early.retain(|seq, _| *seq > cursor.delivered);
        if cursor.early.is_empty() && cursor.held.is_empty() {
            cursor.waiting_since = None;
        } else if cursor.waiting_since.is_none() {
            cursor.waiting_since = Some(now);
        }
    }

    /// The events delivered after `point`, if all of them are still kept.
    fn since(cursor: &Cursor<E, S>, point: i64) -> Option<Vec<E>> {
        let missing = (cursor.delivered - point) as usize;
        if missing == 0 {
            return Some(Vec::new());
        }
        if missing > cursor.recent.len() {
            return None;
        }
        Some(cursor.recent.iter().skip(cursor.recent.len() - missing).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    struct Ev(i64, i64);

    impl Sequenced for Ev {
        fn channel_id(&self) -> i64 {
            self.0
        }
        fn seq(&self) -> i64 {
            self.1
        }
    }

    type Seq = Sequencer<Ev, &'static str>;

    /// What came out, as `"d<seq>"` for deliveries and `"<step>"` (with
    /// `+<n>` events behind, or `?` when they are gone) for steps.
    fn said(out: &mut Vec<Action<Ev, &'static str>>) -> Vec<String> {
        out.drain(..)
            .map(|a| match a {
                Action::Deliver(e) => format!("d{}", e.1),
                Action::Run(s, Some(behind)) if behind.is_empty() => s.to_owned(),
                Action::Run(s, Some(behind)) => {
                    format!("{s}+{}", behind.iter().map(|e| e.1.to_string()).collect::<Vec<_>>().join(","))
                }
                Action::Run(s, None) => format!("{s}?"),
            })
            .collect()
    }

    #[test]
    fn events_of_a_channel_nobody_here_follows_are_ignored() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.event(Ev(1, 1), now, &mut out);
        assert!(out.is_empty());
        assert!(s.gaps(now + GAP_WAIT).is_empty());
    }

    #[test]
    fn a_room_gets_its_events_in_order_once_whatever_order_they_come_in() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.step(1, Some(4), "enter", now, &mut out);
        assert_eq!(said(&mut out), ["enter"]);
        for seq in [5, 7, 5, 8, 6, 4, 9] {
            s.event(Ev(1, seq), now, &mut out);
        }
        assert_eq!(said(&mut out), ["d5", "d6", "d7", "d8", "d9"]);
        assert!(s.gaps(now + GAP_WAIT).is_empty(), "nothing waits");
    }

    #[test]
    fn a_gap_that_does_not_close_by_itself_is_read_from_the_database() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.step(1, Some(0), "enter", now, &mut out);
        s.event(Ev(1, 1), now, &mut out);
        s.event(Ev(1, 4), now, &mut out);
        assert_eq!(said(&mut out), ["enter", "d1"]);
        assert!(s.gaps(now + GAP_WAIT / 2).is_empty(), "a moment for the gap to close by itself");
        let later = now + GAP_WAIT;
        assert_eq!(s.gaps(later), [Gap { channel_id: 1, after: 1, up_to: Some(3) }]);
        assert!(s.gaps(later + GAP_WAIT).is_empty(), "asked once while the read is under way");
        // Meanwhile 5 comes; the read brings 2 and 3 (and 4 again).
        s.event(Ev(1, 5), later, &mut out);
        s.filled(1, vec![Ev(1, 2), Ev(1, 3), Ev(1, 4)], later, &mut out);
        assert_eq!(said(&mut out), ["d2", "d3", "d4", "d5"]);
        assert!(s.gaps(later + 10 * GAP_WAIT).is_empty());
    }

    #[test]
    fn a_failed_or_short_read_is_tried_again() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.step(1, Some(0), "enter", now, &mut out);
        s.event(Ev(1, 3), now, &mut out);
        let t = now + GAP_WAIT;
        assert_eq!(s.gaps(t).len(), 1);
        s.filled(1, Vec::new(), t, &mut out); // the database was down
        assert!(s.gaps(t).is_empty(), "after a moment");
        assert_eq!(s.gaps(t + GAP_WAIT), [Gap { channel_id: 1, after: 0, up_to: Some(2) }]);
        s.filled(1, vec![Ev(1, 1)], t + GAP_WAIT, &mut out); // one page, not all
        assert_eq!(s.gaps(t + 2 * GAP_WAIT), [Gap { channel_id: 1, after: 1, up_to: Some(2) }]);
        s.filled(1, vec![Ev(1, 2)], t + 2 * GAP_WAIT, &mut out);
        assert_eq!(said(&mut out), ["enter", "d1", "d2", "d3"]);
    }

    #[test]
    fn a_step_runs_at_its_point_of_the_stream() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.step(1, Some(2), "a", now, &mut out);
        // Taken at 4 while the room is at 2: after 3 and 4 are delivered.
        s.step(1, Some(4), "b", now, &mut out);
        assert_eq!(said(&mut out), ["a"]);
        assert_eq!(s.gaps(now + GAP_WAIT), [Gap { channel_id: 1, after: 2, up_to: Some(4) }]);
        s.event(Ev(1, 3), now, &mut out);
        s.filled(1, vec![Ev(1, 3), Ev(1, 4)], now, &mut out);
        s.event(Ev(1, 5), now, &mut out);
        assert_eq!(said(&mut out), ["d3", "d4", "b", "d5"]);
        // Taken at 3 while the room is at 5: with 4 and 5; at once for
        // steps at no particular point.
        s.step(1, Some(3), "c", now, &mut out);
        s.step(1, None, "leave", now, &mut out);
        assert_eq!(said(&mut out), ["c+4,5", "leave"]);
    }

    #[test]
    fn a_step_too_far_behind_is_told_its_events_are_gone() {
        let (mut s, mut out, now) = (Seq::new(2, false), Vec::new(), Instant::now());
        s.step(1, Some(0), "a", now, &mut out);
        for seq in 1..=5 {
            s.event(Ev(1, seq), now, &mut out);
        }
        s.step(1, Some(3), "b", now, &mut out);
        s.step(1, Some(2), "c", now, &mut out);
        assert_eq!(said(&mut out)[6..], ["b+4,5", "c?"]);
    }

    #[test]
    fn an_empty_room_is_forgotten_unless_something_waits_there() {
        let (mut s, mut out, now) = (Seq::new(8, false), Vec::new(), Instant::now());
        s.step(1, Some(0), "a", now, &mut out);
        s.step(2, Some(0), "b", now, &mut out);
        s.step(2, Some(3), "c", now, &mut out);
        s.room_empty(1);
        s.room_empty(2);
        s.event(Ev(1, 1), now, &mut out);
        s.event(Ev(2, 1), now, &mut out);
        assert_eq!(said(&mut out), ["a", "b", "d1"], "channel 1 is no longer followed");
        assert_eq!(s.channels.keys().copied().collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn with_other_servers_a_new_cursor_is_checked_and_one_behind_the_database_read_again() {
        let (mut s, mut out, now) = (Seq::new(8, true), Vec::new(), Instant::now());
        s.step(1, Some(7), "a", now, &mut out);
        assert_eq!(s.gaps(now + GAP_WAIT), [Gap { channel_id: 1, after: 7, up_to: None }]);
        s.filled(1, Vec::new(), now + GAP_WAIT, &mut out);
        assert!(s.gaps(now + 10 * GAP_WAIT).is_empty(), "nothing was missed: no more reads");
        let later = now + 10 * GAP_WAIT;
        s.reaches(1, 7, later);
        s.reaches(2, 9, later);
        assert!(s.gaps(later).is_empty(), "level with the database; channel 2 is not followed");
        s.reaches(1, 8, later);
        assert_eq!(s.gaps(later), [Gap { channel_id: 1, after: 7, up_to: None }]);
        s.filled(1, vec![Ev(1, 8)], later, &mut out);
        assert_eq!(said(&mut out), ["a", "d8"]);
        assert_eq!(s.positions(), [(1, 8)]);
    }
}
