//! The sidebar of an organization: its channels with their unread counts,
//! and the form to add one.

use std::collections::HashMap;

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use crate::api::channels::CreateChannel;
use crate::protocol::Channel;

/// Where each joined channel stands for the signed-in person: shared by the
/// sidebar (its counts) and the open channel, which clears its own count and
/// hears the reads of their other devices.
#[derive(Clone, Copy)]
pub struct Unread(RwSignal<HashMap<i64, Place>>);

/// A channel's newest `seq` as last seen, and how many messages of others
/// come after the person's read cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    last_seq: i64,
    unread: i64,
}

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
    pub fn count(&self, channel_id: i64) -> i64 {
        self.0.with(|p| p.get(&channel_id).map_or(0, |p| p.unread))
    }

    /// The person has read the channel up to `seq` (here or on another
    /// device): its count is 0 if that reaches the newest `seq` known.
    pub fn read(&self, channel_id: i64, seq: i64) {
        self.0.update(|places| {
            if let Some(p) = places.get_mut(&channel_id)
                && seq >= p.last_seq
            {
                p.unread = 0;
            }
        });
    }

    /// A message reached the open channel: the newest `seq` known moves on.
    pub fn seen(&self, channel_id: i64, seq: i64) {
        self.0.update(|places| {
            if let Some(p) = places.get_mut(&channel_id) {
                p.last_seq = p.last_seq.max(seq);
            }
        });
    }
}

/// A count as the badge shows it: the server counts up to 100.
fn shown(count: i64) -> String {
    if count >= 100 { "99+".to_owned() } else { count.to_string() }
}

#[component]
pub fn ChannelList(
    slug: String,
    channels: Vec<Channel>,
    /// Name of the channel being shown, if any.
    #[prop(optional, into)]
    current: Option<String>,
) -> impl IntoView {
    let create = ServerAction::<CreateChannel>::new();
    // The open channel's page shares its counts; elsewhere they are as loaded.
    let unread = use_context::<Unread>().unwrap_or_else(|| Unread::new(&channels));
    let items = channels
        .into_iter()
        .map(|c| {
            let href = format!("/o/{slug}/c/{}", c.name);
            let is_current = current.as_deref() == Some(c.name.as_str());
            let id = c.id;
            let count = move || unread.count(id);
            let has_unread = Memo::new(move |_| count() > 0);
            view! {
                <li class:joined=c.joined class:current=is_current class:has-unread=has_unread>
                    <a href=href aria-current=is_current.then_some("page")>
                        <span class="channel-name">"# " {c.name}</span>
                        <Show when=move || has_unread.get()>
                            <span class="unread-count" aria-label=move || format!("{} unread", shown(count()))>
                                {move || shown(count())}
                            </span>
                        </Show>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="sidebar" aria-label="Channels">
            <h2 class="sidebar-title">"Channels"</h2>
            <ul class="channel-list">{items}</ul>
            <ActionForm action=create attr:class="stack compact" attr:aria-label="Create a channel">
                <input type="hidden" name="slug" value=slug />
                <label for="new-channel">"New channel"</label>
                <div class="row">
                    <input id="new-channel" name="name" placeholder="e.g. design" required maxlength="40" />
                    <button type="submit" disabled=move || create.pending().get()>"Create"</button>
                </div>
                <ActionError result=action_result(create) />
            </ActionForm>
        </nav>
    }
}
