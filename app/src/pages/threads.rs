//! `/o/<slug>/threads`: the threads the person follows, newest reply first,
//! each with its channel, the message replied to and how many replies in it
//! are unread (kept live by the workspace), opening beside its channel.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::orgs::org;
use crate::api::threads::thread_list;
use crate::components::error_note::PageError;
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::protocol::ThreadListing;
use crate::state::unread::badge;
use crate::state::workspace::Workspace;

#[component]
pub(crate) fn ThreadsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let session = use_session();
    let org_res = Resource::new(slug, org);
    let list_res = Resource::new(slug, thread_list);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (org_view, list, me) = (org_res.await, list_res.await, session.me.await);
                let (org_view, list) = match (org_view, list) {
                    (Ok(o), Ok(l)) => (o, l),
                    (Err(e), _) | (_, Err(e)) => return view! { <PageError error=e /> }.into_any(),
                };
                let me = me.ok().flatten();
                let org_name = org_view.org.name.clone();
                let slug = org_view.org.slug.clone();
                view! {
                    <Title text=format!("Threads · {org_name} · Confab") />
                    <OrgWorkspace view=org_view me=me>
                        <section class="pane threads-pane">
                            <header class="pane-header">
                                <h1>"Threads"</h1>
                                <p class="muted"><a href=format!("/o/{slug}")>{org_name.clone()}</a></p>
                            </header>
                            <ThreadItems list />
                        </section>
                    </OrgWorkspace>
                }
                .into_any()
            })}
        </Transition>
    }
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
