//! What one server tells the others over the cluster's feed, with the
//! server it came from: each channel event it published and each change of
//! sight (for delivery), and what concerns people's sockets wherever they
//! are (access that ended, notices for all of a person's devices, typing). JSON, so that an operator can read the feed (`redis-cli
//! subscribe confab:feed`); a message this build cannot read is skipped
//! (its events are read from the database like any other missed one).

use app::protocol::{Attachment, events};
use confab_core::channel_events::{ChannelEvent, OutOfSight, Published};
use confab_core::kinds::EventKind;
use confab_core::model::Message;
use confab_core::service::{Revoked, UserNotice};
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// One message on the feed.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Envelope {
    /// The server that sent it (each hears its own too, and skips them).
    pub(super) node: u64,
    #[serde(flatten)]
    pub(super) body: Body,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum Body {
    /// A channel event as it was published (`lost_sight`: its author's
    /// sockets leave the room after it).
    Event { org: String, lost_sight: bool, event: StoredEvent },
    /// Someone's sockets leave a channel's room, from this point on.
    OutOfSight { org: String, channel_id: i64, user_id: i64 },
    /// A session ended: its sockets close, in every organization.
    SessionEnded { user_id: i64, token_hash: String },
    /// A person was taken out of an organization, or their role there
    /// changed (`role`): their sockets there close.
    MembershipEnded { user_id: i64, org: String, role: bool },
    /// A notice for all devices of each of these people (`to`: each one's
    /// user id and the notice's `seq` in their stream).
    Notice { org: String, to: Vec<(i64, i64)>, news: events::News },
    /// Someone is typing in a channel (never stored; lost if late).
    Typing { org: String, typing: events::Typing },
    /// Someone read a channel that shows read receipts up to a point.
    ReadBy { org: String, read_by: events::ReadBy },
    /// Someone came online on the sending server, or went (its grace over).
    Presence { org: String, user_id: i64, online: bool },
    /// Everyone online on the sending server, by organization: its heartbeat.
    PresenceAll { online: HashMap<String, Vec<i64>> },
}

/// A stored channel event, field by field.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredEvent {
    id: i64,
    channel_id: i64,
    seq: i64,
    kind: String,
    client_id: String,
    author_id: i64,
    author: String,
    body: String,
    sent_at: i64,
    refers_to: Option<i64>,
    deleted: bool,
    #[serde(default)]
    edited: bool,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    thread_of: Option<i64>,
    #[serde(default)]
    in_channel: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    files: Vec<Attachment>,
}

impl Body {
    pub(super) fn published(p: &Published) -> Body {
        let (lost_sight, m) = match &p.event {
            ChannelEvent::Message(m) => (false, m),
            ChannelEvent::LostSight(m) => (true, m),
        };
        let event = StoredEvent {
            id: m.id,
            channel_id: m.channel_id,
            seq: m.seq,
            kind: m.kind.as_str().to_owned(),
            client_id: m.client_id.clone(),
            author_id: m.author_id,
            author: m.author.clone(),
            body: m.body.clone(),
            sent_at: m.sent_at,
            refers_to: m.refers_to,
            deleted: m.deleted,
            edited: m.edited,
            pinned: m.pinned,
            thread_of: m.thread_of,
            in_channel: m.in_channel,
            files: m.files.iter().cloned().map(Attachment::from).collect(),
        };
        Body::Event { org: p.org_slug.clone(), lost_sight, event }
    }

    pub(super) fn out_of_sight(o: &OutOfSight) -> Body {
        Body::OutOfSight { org: o.org_slug.clone(), channel_id: o.channel_id, user_id: o.user_id }
    }
}

impl Body {
    pub(super) fn revoked(r: &Revoked) -> Body {
        match r.clone() {
            Revoked::Session { user_id, token_hash } => Body::SessionEnded { user_id, token_hash },
            Revoked::Membership { user_id, org_slug } => Body::MembershipEnded { user_id, org: org_slug, role: false },
            Revoked::Role { user_id, org_slug } => Body::MembershipEnded { user_id, org: org_slug, role: true },
        }
    }

    pub(super) fn notice(n: &UserNotice) -> Body {
        Body::Notice { org: n.org_slug.clone(), to: n.to.clone(), news: n.news.clone().into() }
    }
}

impl StoredEvent {
    /// The event, unless its kind is one this build does not know.
    pub(super) fn into_event(self, lost_sight: bool) -> Option<ChannelEvent> {
        let StoredEvent {
            id,
            channel_id,
            seq,
            kind,
            client_id,
            author_id,
            author,
            body,
            sent_at,
            refers_to,
            deleted,
            edited,
            pinned,
            thread_of,
            in_channel,
            files,
        } = self;
        let kind = EventKind::parse(&kind)?;
        let m = Message {
            id,
            channel_id,
            seq,
            kind,
            client_id,
            author_id,
            author,
            body,
            sent_at,
            refers_to,
            deleted,
            edited,
            pinned,
            reactions: Vec::new(),
            files: files.into_iter().map(Into::into).collect(),
            thread_of,
            in_channel,
            thread: None,
        };
        Some(if lost_sight { ChannelEvent::LostSight(m) } else { ChannelEvent::Message(m) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_crosses_the_feed_unchanged() {
        let m = Message {
            id: 9,
            channel_id: 3,
            seq: 12,
            kind: EventKind::Left,
            client_id: "srv-1".into(),
            author_id: 4,
            author: "ann".into(),
            body: String::new(),
            sent_at: 1_700_000_000_000,
            refers_to: None,
            deleted: false,
            edited: true,
            pinned: true,
            reactions: Vec::new(),
            files: vec![confab_core::model::Attachment {
                id: 2,
                name: "plan.png".into(),
                content_type: "image/png".into(),
                size: 1234,
                image: Some((640, 480)),
                thumbnail: true,
            }],
            thread_of: Some(5),
            in_channel: true,
            thread: None,
        };
        let published = Published { org_slug: "acme".into(), event: ChannelEvent::LostSight(m.clone()) };
        let json = serde_json::to_string(&Envelope { node: 7, body: Body::published(&published) }).unwrap();
        let back: Envelope = serde_json::from_str(&json).unwrap();
        assert_eq!(back.node, 7);
        let Body::Event { org, lost_sight, event } = back.body else { panic!("an event: {json}") };
        assert_eq!((org.as_str(), event.into_event(lost_sight)), ("acme", Some(ChannelEvent::LostSight(m))));
    }

    #[test]
    fn a_kind_this_build_does_not_know_is_no_event() {
        let json = r#"{"node":1,"type":"event","org":"acme","lost_sight":false,"event":{"id":1,"channel_id":1,
            "seq":1,"kind":"poll","client_id":"c","author_id":1,"author":"a","body":"","sent_at":0,
            "refers_to":null,"deleted":false}}"#;
        let Body::Event { event, .. } = serde_json::from_str::<Envelope>(json).unwrap().body else { panic!() };
        assert_eq!(event.into_event(false), None);
    }
}
