//! `/o/<slug>/mentions`: where the person was mentioned, newest first, each
//! message with its channel, opening there (or in its thread).

use leptos::prelude::*;

use crate::api::threads::mentions;
use crate::components::org_list_page::org_list_page;
use crate::protocol::MentionListing;
use crate::state::workspace::Workspace;
use crate::time;

#[component]
pub(crate) fn MentionsPage() -> impl IntoView {
    org_list_page("Mentions", mentions, |list| view! { <MentionItems list /> }.into_any())
}

#[component]
fn MentionItems(list: Vec<MentionListing>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"Nobody has mentioned you yet."</p> }.into_any();
    }
    let ws = expect_context::<Workspace>();
    let items = list
        .into_iter()
        .map(|m| {
            let message = m.message;
            let place = ws.title(&m.channel);
            let thread = match message.thread_of {
                Some(root) => format!("?thread={root}"),
                None => String::new(),
            };
            let href = format!("/o/{}/c/{}{thread}", ws.slug.get_value(), m.channel.name);
            let text = if message.deleted { "This message was deleted.".to_owned() } else { message.body.clone() };
            let label = format!("{} in {place}: {text}", message.author);
            let at = message.sent_at;
            view! {
                <li>
                    <a href=href aria-label=label>
                        <span class="muted small">{place}" · "<time datetime=time::iso_utc(at)>{time::iso_utc(at)}</time></span>
                        <span class="thread-root"><strong>{message.author.clone()}</strong>" "{text.clone()}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="thread-list">{items}</ul> }.into_any()
}
