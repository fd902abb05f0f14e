//! `/o/<slug>/mentions`: where the person was mentioned, newest first, each
//! message with its channel, opening there (or in its thread).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::orgs::org;
use crate::api::threads::mentions;
use crate::components::error_note::PageError;
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::protocol::MentionListing;
use crate::state::workspace::Workspace;
use crate::time;

#[component]
pub(crate) fn MentionsPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let session = use_session();
    let org_res = Resource::new(slug, org);
    let list_res = Resource::new(slug, mentions);
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
                    <Title text=format!("Mentions · {org_name} · Confab") />
                    <OrgWorkspace view=org_view me=me>
                        <section class="pane threads-pane">
                            <header class="pane-header">
                                <h1>"Mentions"</h1>
                                <p class="muted"><a href=format!("/o/{slug}")>{org_name.clone()}</a></p>
                            </header>
                            <MentionItems list />
                        </section>
                    </OrgWorkspace>
                }
                .into_any()
            })}
        </Transition>
    }
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
