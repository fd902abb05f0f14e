//! Property: whatever happens in a channel (messages, replies in threads,
//! edits, reactions, deletions), every tab ends showing the same thing,
//! whether it heard every event live, loaded a page part-way and heard the
//! rest live, or loaded a page and caught up after time away, with copies
//! and late arrivals mixed in.
//!
//! The server is modelled here as the store keeps it: each message as it
//! is at a given point (what a page read then returns) and each event as it
//! was published.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::{Delivery, Timeline};
use crate::protocol::{ChatMessage, EventKind, Reaction, ThreadSummary, UserId};

/// What someone does in the channel; targets are picked among what exists.
#[derive(Clone, Debug)]
enum Op {
    Post { by: UserId },
    Reply { by: UserId, to: usize },
    Edit { target: usize },
    React { target: usize, emoji: usize, by: UserId },
    Delete { target: usize },
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (1i64..4).prop_map(|by| Op::Post { by }),
        3 => (1i64..4, any::<usize>()).prop_map(|(by, to)| Op::Reply { by, to }),
        1 => any::<usize>().prop_map(|target| Op::Edit { target }),
        2 => (any::<usize>(), 0usize..3, 1i64..4).prop_map(|(target, emoji, by)| Op::React { target, emoji, by }),
        1 => any::<usize>().prop_map(|target| Op::Delete { target }),
    ];
    proptest::collection::vec(op, 1..40)
}

const EMOJI: [&str; 3] = ["👍", "🎉", "👀"];

fn event(seq: i64, kind: EventKind, by: UserId) -> ChatMessage {
    ChatMessage {
        id: seq,
        channel_id: 1,
        seq,
        kind,
        client_id: format!("c{seq}"),
        author_id: by,
        author: format!("u{by}"),
        body: String::new(),
        sent_at: seq * 1000,
        ..Default::default()
    }
}

/// The channel as the server has it: every event as published, and after
/// each `seq` the state of every message (what a page read then shows).
struct Server {
    published: Vec<ChatMessage>,
    /// Rows as of each point: `snapshots[k]` after event `k` (0: none).
    snapshots: Vec<BTreeMap<i64, ChatMessage>>,
}

impl Server {
    fn run(ops: &[Op]) -> Server {
        let mut rows: BTreeMap<i64, ChatMessage> = BTreeMap::new();
        let mut server = Server { published: Vec::new(), snapshots: vec![BTreeMap::new()] };
        for op in ops {
            let seq = server.published.len() as i64 + 1;
            let messages: Vec<i64> =
                rows.values().filter(|m| m.kind == EventKind::Message && !m.deleted).map(|m| m.seq).collect();
            let roots: Vec<i64> = rows
                .values()
                .filter(|m| m.kind == EventKind::Message && m.thread_of.is_none())
                .map(|m| m.seq)
                .collect();
            let pick = |list: &[i64], i: usize| (!list.is_empty()).then(|| list[i % list.len()]);
            let published = match *op {
                Op::Post { by } => Some(ChatMessage { body: format!("m{seq}"), ..event(seq, EventKind::Message, by) }),
                Op::Reply { by, to } => pick(&roots, to).map(|root| {
                    let reply = ChatMessage {
                        body: format!("r{seq}"),
                        thread_of: Some(root),
                        ..event(seq, EventKind::Message, by)
                    };
                    let summary = rows.get_mut(&root).unwrap().thread.get_or_insert_with(ThreadSummary::default);
                    summary.replies += 1;
                    summary.last_reply_at = reply.sent_at;
                    if !summary.participants.contains(&by) {
                        summary.participants.push(by);
                    }
                    summary.seq = seq;
                    reply
                }),
                Op::Edit { target } => pick(&messages, target).map(|of| {
                    let m = rows.get_mut(&of).unwrap();
                    m.body = format!("e{seq}");
                    m.edited = true;
                    ChatMessage {
                        refers_to: Some(of),
                        body: m.body.clone(),
                        ..event(seq, EventKind::Edited, m.author_id)
                    }
                }),
                Op::React { target, emoji, by } => pick(&messages, target).map(|of| {
                    let m = rows.get_mut(&of).unwrap();
                    let emoji = EMOJI[emoji];
                    let has = m.reactions.iter().any(|r| r.emoji == emoji && r.user_ids.contains(&by));
                    super::set_reaction(&mut m.reactions, emoji, by, !has);
                    let kind = if has { EventKind::ReactionRemoved } else { EventKind::ReactionAdded };
                    ChatMessage { refers_to: Some(of), body: emoji.to_owned(), ..event(seq, kind, by) }
                }),
                Op::Delete { target } => pick(&messages, target).map(|of| {
                    let m = rows.get_mut(&of).unwrap();
                    m.deleted = true;
                    m.body.clear();
                    m.reactions.clear();
                    let thread_of = m.thread_of;
                    if let Some(root) = thread_of {
                        let summary = rows.get_mut(&root).unwrap().thread.as_mut().unwrap();
                        summary.replies -= 1;
                        summary.seq = seq;
                    }
                    ChatMessage { refers_to: Some(of), thread_of, ..event(seq, EventKind::Deleted, 9) }
                }),
            };
            let Some(published) = published else { continue };
            rows.insert(seq, published.clone());
            server.published.push(published);
            server.snapshots.push(rows.clone());
        }
        server
    }

    fn last(&self) -> i64 {
        self.published.len() as i64
    }

    /// A page read after event `at`, of events `from..=to`.
    fn page(&self, at: i64, from: i64, to: i64) -> Vec<ChatMessage> {
        if from > to {
            return Vec::new();
        }
        self.snapshots[at as usize].range(from..=to).map(|(_, m)| m.clone()).collect()
    }
}

/// A message as a tab shows it: `seq`, text, deleted, edited, reactions,
/// thread (replies, last reply, people, counted up to).
type Shown = (i64, String, bool, bool, Vec<(String, Vec<UserId>)>, Option<(i64, i64, Vec<UserId>, i64)>);

/// What a tab shows of each message: its text, whether it is deleted or
/// edited, its reactions and its thread (people and reactions as sets: the
/// order they are drawn in is not what is compared).
fn shown(t: &Timeline) -> Vec<Shown> {
    t.entries()
        .iter()
        .filter(|e| e.message.kind == EventKind::Message)
        .map(|e| {
            let m = &e.message;
            let mut reactions: Vec<(String, Vec<UserId>)> = m
                .reactions
                .iter()
                .map(|Reaction { emoji, user_ids }| {
                    let mut ids = user_ids.clone();
                    ids.sort_unstable();
                    (emoji.clone(), ids)
                })
                .collect();
            reactions.sort();
            let thread = m.thread.as_ref().map(|s| {
                let mut people = s.participants.clone();
                people.sort_unstable();
                (s.replies, s.last_reply_at, people, s.seq)
            });
            // A deleted message shows neither its reactions nor "(edited)".
            if m.deleted {
                reactions.clear();
            }
            (m.seq, m.body.clone(), m.deleted, m.edited && !m.deleted, reactions, thread)
        })
        .collect()
}

proptest! {
    #[test]
    fn every_tab_ends_showing_the_same_channel(ops in ops(), split in any::<prop::sample::Index>(), order in any::<prop::sample::Index>()) {
        let server = Server::run(&ops);
        let n = server.last();
        prop_assume!(n > 0);
        let truth = Timeline::from_history(server.page(n, 1, n));

        // Heard every event live.
        let mut live = Timeline::default();
        for e in &server.published {
            live.merge(e.clone(), Delivery::Stored);
        }
        prop_assert_eq!(shown(&live), shown(&truth));

        // Loaded a page part-way, then heard the rest live.
        let k = split.index(n as usize + 1) as i64;
        let mut joined_late = Timeline::from_history(server.page(k, 1, k));
        for e in &server.published[k as usize..] {
            joined_late.merge(e.clone(), Delivery::Stored);
        }
        prop_assert_eq!(shown(&joined_late), shown(&truth));

        // Loaded a page part-way; was away; caught up with the newest page
        // (read at the end), while copies of live events, some as they were
        // published before the page was read, came late and out of order.
        let mut away = Timeline::from_history(server.page(k, 1, k));
        let mut late: Vec<ChatMessage> = server.published[k as usize..].to_vec();
        let rotate = order.index(late.len().max(1)).min(late.len());
        late.rotate_left(rotate);
        away.catch_up(server.page(n, k + 1, n));
        for e in late {
            away.merge(e, Delivery::Stored);
        }
        prop_assert_eq!(shown(&away), shown(&truth));
    }
}
