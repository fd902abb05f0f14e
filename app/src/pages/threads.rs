//! `/o/<slug>/threads`: the threads the person follows, newest reply first,
//! each with its channel, the message replied to and how many replies in it
//! are unread (kept live by the workspace), opening beside its channel.

use leptos::prelude::*;

use crate::api::threads::thread_list;
use crate::components::org_list_page::org_list_page;
use crate::protocol::ThreadListing;
use crate::state::unread::badge;
use crate::state::workspace::Workspace;

#[component]
pub(crate) fn ThreadsPage() -> impl IntoView {
    org_list_page("Threads", thread_list, |list| view! { <ThreadItems list /> }.into_any())
}

#[component]
fn ThreadItems(list: Vec<ThreadListing>) -> impl IntoView {
    if list.is_empty() {
        return view! {
            <p class="muted">"No threads yet. Reply to a message, or follow a thread, and it shows here."</p>
        }
        .into_any();
    }
    let ws = expect_context::<Workspace>();
    let items = list
        .into_iter()
        .map(|t| {
            let key = (t.channel.id, t.root.seq);
            let href = format!("/o/{}/c/{}?thread={}", ws.slug.get_value(), t.channel.name, t.root.seq);
            let count = move || ws.threads.count(key);
            let place = ws.title(&t.channel);
            let text = if t.root.deleted { "This message was deleted.".to_owned() } else { excerpt(&t.root.body) };
            let label = format!("Thread in {place}: {} wrote {text}", t.root.author);
            view! {
                <li class:has-unread=move || { count() > 0 }>
                    <a href=href aria-label=label>
                        <span class="muted small">{place}</span>
                        <span class="thread-root"><strong>{t.root.author.clone()}</strong>" "{text}</span>
                        <Show when=move || { count() > 0 }>
                            <span class="unread-count" aria-label=move || format!("{} unread replies", badge(count()))>
                                {move || badge(count())}
                            </span>
                        </Show>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="thread-list">{items}</ul> }.into_any()
}

/// The first line of a message, cut to a readable length.
fn excerpt(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default();
    let mut cut: String = line.chars().take(120).collect();
    if cut.len() < line.len() {
        cut.push('…');
    }
    cut
}
