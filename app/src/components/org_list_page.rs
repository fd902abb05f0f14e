//! A page of an organization that lists something of the signed-in
//! person's (the threads they follow, where they were mentioned): the
//! workspace around a pane with the page's title and the list.

use std::future::Future;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error_note::PageError;
use super::session::use_session;
use super::workspace::OrgWorkspace;
use crate::api::orgs::org;
use crate::errors::ApiError;

/// The page titled `title` of the organization in the address, its list
/// read by `fetch` (with the organization's slug) and shown by `items`.
pub(crate) fn org_list_page<T, Fut>(
    title: &'static str,
    fetch: fn(String) -> Fut,
    items: fn(T) -> AnyView,
) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let session = use_session();
    // Made here, where the page starts, never inside the Suspend.
    let org_res = Resource::new(slug, org);
    let list_res = Resource::new(slug, fetch);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (org_view, list, me) = (org_res.await, list_res.await, session.me.await);
                let (org_view, list) = match (org_view, list) {
                    (Ok(o), Ok(l)) => (o, l),
                    (Err(e), _) | (_, Err(e)) => return view! { <PageError error=e /> }.into_any(),
                };
                let me = me.ok().flatten();
                let (org_name, slug) = (org_view.org.name.clone(), org_view.org.slug.clone());
                view! {
                    <Title text=format!("{title} · {org_name} · Confab") />
                    <OrgWorkspace view=org_view me=me>
                        <section class="pane list-pane">
                            <header class="pane-header">
                                <h1>{title}</h1>
                                <p class="muted"><a href=format!("/o/{slug}")>{org_name.clone()}</a></p>
                            </header>
                            {items(list)}
                        </section>
                    </OrgWorkspace>
                }
                .into_any()
            })}
        </Transition>
    }
}
