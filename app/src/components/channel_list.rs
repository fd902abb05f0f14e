//! The sidebar's channels and direct conversations, with their unread
//! counts, and the form to add a channel.

use std::collections::HashMap;

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use super::workspace::Workspace;
use crate::api::channels::CreateChannel;
use crate::protocol::{Channel, ChannelId, ChannelKind, ChatMessage, EventKind, UserId};

/// Where each joined channel stands for the signed-in person: kept by the
/// workspace from its live connection, shown by the sidebar, cleared by the
/// open channel as it is read.
#[derive(Clone, Copy)]
pub struct Unread(RwSignal<HashMap<ChannelId, Place>>);

/// A channel's newest `seq` as last seen, and how many messages of others
/// come after the person's read cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    last_seq: i64,
    unread: i64,
}

/// Counts above this show as "99+" (the server counts up to 100).
const MOST_COUNTED: i64 = 100;

impl Unread {
    pub fn new(channels: &[Channel]) -> Self {
        let places = channels
            .iter()
            .filter(|c| c.joined)
            .map(|c| (c.id, Place { last_seq: c.last_seq, unread: c.unread }))
            .collect();
        Unread(RwSignal::new(places))
    }

    /// Unread messages in a channel (0 where none, or not joined).
    pub fn count(&self, channel_id: ChannelId) -> i64 {
        self.0.with(|p| p.get(&channel_id).map_or(0, |p| p.unread))
    }

    /// Unread messages in every channel but `except` (the open one).
    pub fn total(&self, except: Option<ChannelId>) -> i64 {
        self.0.with(|p| p.iter().filter(|(id, _)| Some(**id) != except).map(|(_, p)| p.unread).sum())
    }

    /// The newest `seq` known of a joined channel (`None` if not joined, or
    /// the page is gone).
    pub fn last_seq(&self, channel_id: ChannelId) -> Option<i64> {
        self.0.try_with_untracked(|p| p.get(&channel_id).map(|p| p.last_seq)).flatten()
    }

    /// Follows a channel joined meanwhile (a conversation that appeared).
    pub fn follow(&self, channel: &Channel) {
        self.0.update(|places| {
            places.entry(channel.id).or_insert(Place { last_seq: channel.last_seq, unread: channel.unread });
        });
    }

    /// The person has read the channel up to `seq` (here or on another
    /// device): its count is 0 if that reaches the newest `seq` known, and
    /// at most the events after it otherwise.
    pub fn read(&self, channel_id: ChannelId, seq: i64) {
        self.0.update(|places| {
            if let Some(p) = places.get_mut(&channel_id) {
                p.unread = p.unread.min((p.last_seq - seq).max(0));
            }
        });
    }

    /// An event reached the open channel: the newest `seq` known moves on.
    pub fn seen(&self, channel_id: ChannelId, seq: i64) {
        self.0.update(|places| {
            if let Some(p) = places.get_mut(&channel_id) {
                p.last_seq = p.last_seq.max(seq);
            }
        });
    }

    /// An event of a channel that is not open arrived (live, or caught up
    /// after a reconnect): a message of someone else, not seen before,
    /// counts. Each `seq` counts once, however often it arrives.
    pub fn arrived(&self, event: &ChatMessage, me: Option<UserId>) {
        self.0.update(|places| {
            if let Some(p) = places.get_mut(&event.channel_id)
                && event.seq > p.last_seq
            {
                p.last_seq = event.seq;
                if event.kind == EventKind::Message && Some(event.author_id) != me {
                    p.unread = (p.unread + 1).min(MOST_COUNTED);
                }
            }
        });
    }

    /// Whether a channel has as many unread as are counted.
    pub fn full(&self, channel_id: ChannelId) -> bool {
        self.0.try_with_untracked(|p| p.get(&channel_id).is_some_and(|p| p.unread >= MOST_COUNTED)).unwrap_or(true)
    }
}

/// A count as the badge shows it.
pub fn shown(count: i64) -> String {
    if count >= MOST_COUNTED { "99+".to_owned() } else { count.to_string() }
}

/// One channel or conversation of the sidebar, with its unread count.
#[component]
fn ChannelLink(channel: Channel) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let href = format!("/o/{}/c/{}", ws.slug.get_value(), channel.name);
    let is_current = ws.open == Some(channel.id);
    let (id, joined, direct) = (channel.id, channel.joined, channel.kind == ChannelKind::Direct);
    let count = move || ws.unread.count(id);
    let has_unread = Memo::new(move |_| count() > 0);
    // A 1:1 conversation shows whether the other person is online.
    let other =
        (channel.people.len() == 2).then(|| channel.people.iter().copied().find(|p| Some(*p) != ws.me)).flatten();
    let presence = (direct && other.is_some()).then(|| {
        let online = move || other.is_some_and(|o| ws.online.with(|set| set.contains(&o)));
        view! { <span class="presence" class:online=online aria-label=move || if online() { "online" } else { "offline" }></span> }
    });
    let label = Signal::derive({
        let channel = channel.clone();
        move || ws.title(&channel)
    });
    let restriction = match channel.kind {
        ChannelKind::Private => Some(("🔒", "private")),
        ChannelKind::Supervisor => Some(("🛡", "supervisors only")),
        ChannelKind::Public | ChannelKind::Direct => None,
    };
    let restriction = restriction.map(|(icon, label)| {
        view! { <span class="restriction" role="img" aria-label=label title=label>{icon}</span> }
    });
    view! {
        <li class:joined=joined class:current=is_current class:has-unread=has_unread>
            <a href=href aria-current=is_current.then_some("page")>
                {presence}
                {restriction}
                <span class="channel-name">{label}</span>
                <Show when=move || has_unread.get()>
                    <span class="unread-count" aria-label=move || format!("{} unread", shown(count()))>
                        {move || shown(count())}
                    </span>
                </Show>
            </a>
        </li>
    }
}

/// The links to the direct conversations (`direct`), or to the other channels.
fn links(ws: Workspace, direct: bool) -> impl IntoView {
    ws.channels.with(|all| {
        all.iter()
            .filter(|c| (c.kind == ChannelKind::Direct) == direct)
            .map(|c| view! { <ChannelLink channel=c.clone() /> })
            .collect_view()
    })
}

/// The organization's channels the person sees, and the form to add one.
#[component]
pub fn ChannelList() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let create = ServerAction::<CreateChannel>::new();
    let items = move || links(ws, false);
    view! {
        <section class="sidebar-section" aria-label="Channels">
            <h2 class="sidebar-title">"Channels"</h2>
            <ul class="channel-list">{items}</ul>
            <ActionForm action=create attr:class="stack compact" attr:aria-label="Create a channel">
                <input type="hidden" name="slug" value=ws.slug.get_value() />
                <label for="new-channel">"New channel"</label>
                <div class="row">
                    <input id="new-channel" name="name" placeholder="e.g. design" required maxlength="40" />
                    <button type="submit" disabled=move || create.pending().get()>"Create"</button>
                </div>
                <label for="new-channel-kind" class="visually-hidden">"Who sees it"</label>
                <select id="new-channel-kind" name="kind">
                    <option value="public">"Public: every member"</option>
                    <option value="private">"Private: people you add"</option>
                    <Show when=move || ws.role.get().sees_supervisor_rooms()>
                        <option value="supervisor">"Supervisors, admins and owners"</option>
                    </Show>
                </select>
                <ActionError result=action_result(create) />
            </ActionForm>
        </section>
    }
}

/// The person's direct conversations.
#[component]
pub fn DirectList() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let items = move || links(ws, true);
    let none = move || ws.channels.with(|all| !all.iter().any(|c| c.kind == ChannelKind::Direct));
    view! {
        <section class="sidebar-section" aria-label="Direct messages">
            <h2 class="sidebar-title">"Direct messages"</h2>
            <Show when=none>
                <p class="muted small">"Write to someone from the member list."</p>
            </Show>
            <ul class="channel-list direct-list">{items}</ul>
        </section>
    }
}
