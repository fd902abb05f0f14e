//! The sidebar of an organization: its channels and the form to add one.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use crate::api::channels::CreateChannel;
use crate::protocol::Channel;

#[component]
pub fn ChannelList(
    slug: String,
    channels: Vec<Channel>,
    /// Name of the channel being shown, if any.
    #[prop(optional, into)]
    current: Option<String>,
) -> impl IntoView {
    let create = ServerAction::<CreateChannel>::new();
    let items = channels
        .into_iter()
        .map(|c| {
            let href = format!("/o/{slug}/c/{}", c.name);
            let is_current = current.as_deref() == Some(c.name.as_str());
            view! {
                <li class:joined=c.joined class:current=is_current>
                    <a href=href aria-current=is_current.then_some("page")>
                        "# " {c.name}
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
