//! The sidebar's channels and direct conversations, with their unread
//! counts (kept by the workspace's state), the form to add a channel, and
//! the link to the threads the person follows, with theirs.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use crate::api::channels::CreateChannel;
use crate::protocol::{Channel, ChannelKind};
use crate::state::unread::badge;
use crate::state::workspace::Workspace;

/// One channel or conversation of the sidebar, with its unread count.
#[component]
fn ChannelLink(channel: Channel) -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let href = format!("/o/{}/c/{}", ws.slug.get_value(), channel.name);
    let is_current = ws.open == Some(channel.id);
    let (id, joined, direct) = (channel.id, channel.joined, channel.kind == ChannelKind::Direct);
    let count = move || ws.unread.count(id);
    let has_unread = Memo::new(move |_| count() > 0);
    let mentions = move || ws.unread.mentions(id);
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
                <Show when=move || { mentions() > 0 }>
                    <span class="mention-count" aria-label=move || format!("{} mentions", badge(mentions()))>
                        {move || format!("@{}", badge(mentions()))}
                    </span>
                </Show>
                <Show when=move || has_unread.get()>
                    <span class="unread-count" aria-label=move || format!("{} unread", badge(count()))>
                        {move || badge(count())}
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
pub(crate) fn ChannelList() -> impl IntoView {
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

/// The link to the threads the person follows, with how many replies in
/// them are unread.
#[component]
pub(crate) fn ThreadsLink() -> impl IntoView {
    let ws = expect_context::<Workspace>();
    let count = move || ws.threads.total();
    let href = format!("/o/{}/threads", ws.slug.get_value());
    let mentions_href = format!("/o/{}/mentions", ws.slug.get_value());
    view! {
        <section class="sidebar-section" aria-label="Threads and mentions">
            <ul class="channel-list">
                <li class:has-unread=move || { count() > 0 }>
                    <a href=href>
                        <span class="channel-name">"🧵 Threads"</span>
                        <Show when=move || { count() > 0 }>
                            <span class="unread-count" aria-label=move || format!("{} unread replies", badge(count()))>
                                {move || badge(count())}
                            </span>
                        </Show>
                    </a>
                </li>
                <li>
                    <a href=mentions_href>
                        <span class="channel-name">"@ Mentions"</span>
                    </a>
                </li>
            </ul>
        </section>
    }
}

/// The person's direct conversations.
#[component]
pub(crate) fn DirectList() -> impl IntoView {
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
