//! How a channel's rows are laid out, apart from how they look: a day
//! divider where the day changes (the viewer's day), and a message grouped
//! under the one before it when the same person wrote both within a few
//! minutes, with nothing shown between them.

use crate::protocol::EventKind;
use crate::state::timeline::Entry;
use crate::time;

/// Messages of one person this close together go under one name.
const GROUP_WITHIN_MS: i64 = 5 * 60_000;

/// Where a row stands among those around it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Layout {
    /// A divider goes before it, with this day's name.
    pub day: Option<String>,
    /// It follows a message of the same person: shown without their name.
    pub grouped: bool,
}

/// Each row with its layout, for a viewer `offset_min` minutes east of UTC;
/// `break_before`: the row the "New" marker goes before (it ends a group).
pub(crate) fn lay_out(entries: &[Entry], offset_min: i32, break_before: Option<i64>) -> Vec<(Entry, Layout)> {
    let mut shown_day = None;
    let mut last: Option<&Entry> = None;
    entries
        .iter()
        .map(|e| {
            let m = &e.message;
            let visible = matches!(m.kind, EventKind::Message | EventKind::Joined | EventKind::Left);
            if !visible {
                return (e.clone(), Layout::default());
            }
            let today = time::day(m.sent_at, offset_min);
            let day = (shown_day != Some(today)).then(|| time::day_label(today));
            shown_day = Some(today);
            let grouped = day.is_none()
                && m.kind == EventKind::Message
                && (m.seq == 0 || Some(m.seq) != break_before)
                && last.is_some_and(|p| {
                    p.message.kind == EventKind::Message
                        && p.message.author_id == m.author_id
                        && m.sent_at - p.message.sent_at < GROUP_WITHIN_MS
                });
            last = Some(e);
            (e.clone(), Layout { day, grouped })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ChatMessage;
    use crate::state::timeline::Delivery;

    fn row(seq: i64, author: i64, at_min: i64, kind: EventKind) -> Entry {
        let message = ChatMessage {
            id: seq,
            channel_id: 1,
            seq,
            kind,
            client_id: format!("c{seq}"),
            author_id: author,
            author: format!("u{author}"),
            body: "hi".into(),
            // 2026-12-07 10:00 UTC, plus minutes.
            sent_at: 1_796_637_600_000 + at_min * 60_000,
            ..Default::default()
        };
        Entry { message, delivery: Delivery::Stored }
    }

    fn shape(rows: &[(Entry, Layout)]) -> Vec<(i64, Option<&str>, bool)> {
        rows.iter().map(|(e, l)| (e.message.seq, l.day.as_deref(), l.grouped)).collect()
    }

    #[test]
    fn one_person_in_a_row_is_one_group_until_someone_or_something_comes_between() {
        let rows = [
            row(1, 7, 0, EventKind::Message),
            row(2, 7, 1, EventKind::Message),
            row(3, 7, 2, EventKind::ReactionAdded),
            row(4, 7, 3, EventKind::Message),
            row(5, 8, 4, EventKind::Message),
            row(6, 7, 5, EventKind::Message),
            row(7, 7, 20, EventKind::Message),
            row(8, 7, 21, EventKind::Joined),
            row(9, 7, 22, EventKind::Message),
            row(10, 7, 23, EventKind::Message),
            row(11, 7, 24 * 60, EventKind::Message),
        ];
        let monday = Some("Monday 7 December 2026");
        assert_eq!(
            shape(&lay_out(&rows, 0, Some(10))),
            vec![
                (1, monday, false),
                (2, None, true),
                (3, None, false),
                (4, None, true),
                (5, None, false),
                (6, None, false),
                (7, None, false),
                (8, None, false),
                (9, None, false),
                (10, None, false),
                (11, Some("Tuesday 8 December 2026"), false),
            ],
            "hidden events change nothing; a pause, another person, a joining, the New marker or a new day end a group"
        );
        // Far east, the same morning is already evening: one day still.
        assert_eq!(lay_out(&rows[..2], 12 * 60, None)[0].1.day.as_deref(), Some("Monday 7 December 2026"));
    }
}
