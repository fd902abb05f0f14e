//! The workspace in the browser: the organization's one live connection,
//! and what the workspace does with it. It follows every joined channel on
//! it (`join` from the last `seq` known, so counts go up live and after
//! reconnects, each `seq` counted once), follows the person's notices
//! ([`super::notices`]), keeps who is online, and passes every event on to
//! the open channel's chat; after a reconnect (a change of role closes the
//! connection) it reads the role, members and channels again.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::notices::{self, Stream};
use super::{Workspace, apply_presence};
use crate::api::orgs::org;
use crate::errors::ErrorCode;
use crate::live::{LiveClient, LiveEvent};
use crate::outbox;
use crate::protocol::{ChannelId, ChatMessage, events};

/// How long a `join` waits for its acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the open channel's chat hears live events.
pub(super) type Listener = Rc<dyn Fn(LiveEvent)>;

/// The connection, and the open channel's chat that hears it too.
#[derive(Clone, Copy)]
pub(super) struct Live {
    pub client: StoredValue<LiveClient, LocalStorage>,
    pub chat: StoredValue<Option<Listener>, LocalStorage>,
    /// How many times it has connected.
    connections: StoredValue<u32>,
    /// Where the page is in the person's notices.
    pub notices: Stream,
}

impl Live {
    /// Connects to the organization `slug`, whose lists were read when the
    /// person's notices were at `notice_seq`.
    pub(super) fn connect(slug: &str, notice_seq: i64) -> Live {
        Live {
            client: StoredValue::new_local(LiveClient::connect(&format!("/{slug}"))),
            chat: StoredValue::new_local(None),
            connections: StoredValue::new(0),
            notices: Stream::at(notice_seq),
        }
    }
}

/// Listens to the connection for as long as the page lives.
pub(super) fn follow_all(ws: Workspace) {
    ws.live().on_event(move |event| {
        on_event(ws, &event);
        if let Some(chat) = ws.live.chat.get_value() {
            chat(event);
        }
    });
    on_cleanup(move || {
        ws.live.chat.set_value(None);
        ws.live.client.with_value(|c| c.close());
    });
}

fn on_event(ws: Workspace, event: &LiveEvent) {
    let LiveEvent::Event { name, data } = event else {
        if matches!(event, LiveEvent::Connected) {
            // Every joined channel but the open one (its chat resumes it).
            let joined: Vec<ChannelId> = ws
                .channels
                .with_untracked(|all| all.iter().filter(|c| c.joined && Some(c.id) != ws.open).map(|c| c.id).collect());
            for id in joined {
                follow(ws, id);
            }
            ws.live.connections.update_value(|n| *n += 1);
            // What came since the lists were read, or while it was down.
            notices::catch_up(ws);
            if ws.live.connections.get_value() > 1 {
                refresh_after_reconnect(ws);
            }
            send_waiting(ws);
        }
        return;
    };
    let data = data.clone();
    match name.as_str() {
        events::MESSAGE => {
            if let Ok(m) = serde_json::from_value::<ChatMessage>(data) {
                ws.threads.arrived(&m, ws.me);
                if Some(m.channel_id) != ws.open {
                    ws.unread.arrived(&m, ws.me);
                }
            }
        }
        events::NOTICE => notices::on_notice(ws, data),
        events::ONLINE => {
            if let Ok(list) = serde_json::from_value::<events::Online>(data) {
                ws.online.set(list.user_ids.into_iter().collect());
            }
        }
        events::PRESENCE => {
            if let Ok(batch) = serde_json::from_value::<events::PresenceChanges>(data) {
                ws.online.update(|set| apply_presence(set, batch));
            }
        }
        _ => {}
    }
}

/// What changed while the connection was down, or made it close (a new
/// role): the role, the members, the channels now seen (new ones listed
/// and followed, those no longer seen dropped) and how far each was read.
pub(super) fn refresh_after_reconnect(ws: Workspace) {
    let slug = ws.slug.get_value();
    spawn_local(async move {
        let Ok(view) = org(slug).await else { return };
        ws.live.notices.read_up_to(view.notice_seq);
        ws.threads.replace(&view.threads);
        let _ = ws.role.try_set(view.org.role);
        let _ = ws.members.try_set(view.members);
        let seen: Vec<ChannelId> = view.channels.iter().map(|c| c.id).collect();
        ws.channels.try_update(|all| all.retain(|c| seen.contains(&c.id)));
        for channel in view.channels {
            let known = ws.channels.try_with_untracked(|all| all.iter().any(|c| c.id == channel.id));
            if known == Some(true) {
                // Read on another device while this one was away.
                ws.unread.read(channel.id, channel.last_read_seq);
            }
            if known != Some(false) {
                continue;
            }
            let (id, joined) = (channel.id, channel.joined);
            if joined {
                ws.unread.follow(&channel);
            }
            ws.add_channel(channel);
            if joined {
                follow(ws, id);
            }
        }
    });
}

/// Reads the followed threads again (one was followed on some device).
pub(super) fn refresh_threads(ws: Workspace) {
    let slug = ws.slug.get_value();
    spawn_local(async move {
        if let Ok(threads) = crate::api::threads::followed_threads(slug).await {
            ws.threads.replace(&threads);
        }
    });
}

/// Sends what waits in the outbox for the channels that are not open
/// (written there before the connection went; the open channel's chat
/// sends its own, and shows them): each once, by its client id.
fn send_waiting(ws: Workspace) {
    let Some(me) = ws.me else { return };
    let slug = ws.slug.get_value();
    let client = ws.live();
    for parcel in outbox::storage::load(me, &slug).waiting() {
        if Some(parcel.message.channel_id) == ws.open {
            continue;
        }
        let (client, slug) = (client.clone(), slug.clone());
        spawn_local(async move {
            let m = parcel.message;
            let req = events::SendRequest {
                channel_id: m.channel_id,
                client_id: m.client_id,
                body: m.body,
                thread_of: m.thread_of,
                in_channel: m.in_channel,
                files: m.files.iter().map(|f| f.id).collect(),
            };
            let answer: Result<ChatMessage, _> = client.request(events::SEND, &req, ACK_TIMEOUT).await;
            match answer {
                Ok(_) => outbox::storage::update(me, &slug, |o| o.remove(&req.client_id)),
                // Tried again at the next connection.
                Err(e) if matches!(e.code, ErrorCode::Transport | ErrorCode::RateLimited) => {}
                Err(e) => outbox::storage::update(me, &slug, |o| o.refuse(&req.client_id, &e.message)),
            }
        });
    }
}

/// Subscribes to a joined channel's room, counting what came since the
/// page was loaded: a page of missed events at a time, until it is in the
/// room (then its events arrive live), or until as many are unread as are
/// counted (then it enters the room from the newest one).
pub(super) fn follow(ws: Workspace, channel_id: ChannelId) {
    spawn_local(async move {
        let client = ws.live();
        let mut after = ws.unread.last_seq(channel_id);
        loop {
            let request = events::JoinRequest { channel_id, after_seq: after };
            let joined: events::Joined = match client.request(events::JOIN, &request, ACK_TIMEOUT).await {
                Ok(j) => j,
                Err(e) => {
                    leptos::logging::debug_warn!("following channel {channel_id} failed: {}", e.message);
                    return;
                }
            };
            for m in &joined.missed {
                ws.unread.arrived(m, ws.me);
                ws.threads.arrived(m, ws.me);
            }
            if !joined.more {
                ws.unread.seen(channel_id, joined.last_seq);
                return;
            }
            after = if ws.unread.full(channel_id) { None } else { joined.missed.last().map(|m| m.seq) };
        }
    });
}
