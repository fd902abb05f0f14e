//! An organization's workspace around each of its pages: the sidebar
//! (channels, direct conversations, members and who is online) beside the
//! page's pane. What it shows is the workspace's state
//! ([`crate::state::workspace`]).

use leptos::prelude::*;

use super::channel_list::{ChannelList, DirectList, ThreadsLink};
use super::member_list::MemberList;
use crate::protocol::{ChannelId, OrgView, User};
use crate::state::unread::badge;
use crate::state::workspace::Workspace;

/// The workspace of organization `view.org` around `children` (the page's
/// pane), with `open` the channel shown there, if any.
#[component]
pub(crate) fn OrgWorkspace(
    view: OrgView,
    me: Option<User>,
    #[prop(optional)] open: Option<ChannelId>,
    children: Children,
) -> impl IntoView {
    let ws = Workspace::provide(view, me.as_ref(), open);
    // On a phone the sidebar waits behind a menu, so the pane gets the screen.
    let menu_open = RwSignal::new(false);
    view! {
        <div class="workspace" class:menu-open=menu_open>
            <button
                type="button"
                class="secondary menu-toggle"
                aria-expanded=move || menu_open.get().to_string()
                aria-controls="sidebar"
                on:click=move |_| menu_open.update(|o| *o = !*o)
            >
                {move || if menu_open.get() { "Close menu" } else { "Channels and people" }}
                <Show when=move || { ws.unread.total(ws.open) + ws.threads.total() > 0 }>
                    <span class="unread-count">{move || badge(ws.unread.total(ws.open) + ws.threads.total())}</span>
                </Show>
            </button>
            <nav class="sidebar" id="sidebar" aria-label="Channels and people">
                <ThreadsLink />
                <ChannelList />
                <DirectList />
                <MemberList />
            </nav>
            {children()}
        </div>
    }
}
