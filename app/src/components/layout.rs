//! The top bar: the product name and, when signed in, the organization
//! switcher, the search box (on an organization's pages), who you are and
//! "Sign out".

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_location;

use super::session::use_session;
use crate::api::orgs::list_orgs;
use crate::protocol::OrgSummary;

#[component]
pub(crate) fn Header() -> impl IntoView {
    let session = use_session();
    // Signing out leaves no unsent messages behind in this browser.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if session.logout.version().get() > 0 {
            crate::outbox::storage::forget_all();
        }
    });
    let location = use_location();
    // The organization of the page shown, if any: `/o/<slug>/…`.
    let here = Memo::new(move |_| {
        location.pathname.with(|p| p.strip_prefix("/o/").and_then(|rest| rest.split('/').next()).map(str::to_owned))
    });
    // Made here, not under the Suspend below, so it hydrates from what the
    // server sent; only on an organization's pages (elsewhere there is
    // nothing to switch from, and a signed-out visitor has no list).
    let orgs = Resource::new(
        move || here.get(),
        |here| async move {
            match here {
                Some(_) => list_orgs().await.unwrap_or_default(),
                None => Vec::new(),
            }
        },
    );
    view! {
        <header class="topbar">
            <a href="/" class="brand">"Confab"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let (me, orgs) = (session.me.await, orgs.await);
                    match me {
                        Ok(Some(user)) => Some(view! {
                            {(!orgs.is_empty()).then(|| view! { <OrgSwitcher orgs here=here.get_untracked() /> })}
                            {here.get_untracked().map(|slug| view! { <TopSearch slug /> })}
                            <div class="whoami">
                                <span class="username" data-testid="whoami">{user.username}</span>
                                <a href="/notifications" class="link-button">"Notifications"</a>
                                <a href="/tokens" class="link-button tokens-link">"API tokens"</a>
                                <ActionForm action=session.logout>
                                    <button type="submit" class="link-button">"Sign out"</button>
                                </ActionForm>
                            </div>
                        }),
                        _ => None,
                    }
                })}
            </Transition>
        </header>
    }
}

/// Searching the organization's messages, from any of its pages.
#[component]
fn TopSearch(slug: String) -> impl IntoView {
    view! {
        <Form method="GET" action=format!("/o/{slug}/search") attr:class="top-search" attr:role="search" attr:aria-label="Search this organization">
            <input type="search" name="q" aria-label="Search messages" placeholder="Search" maxlength="256" />
        </Form>
    }
}

/// The signed-in person's organizations, to go from one to another from any
/// page (a disclosure, so it works before the wasm has loaded too); `here`
/// is the slug of the page's organization.
#[component]
fn OrgSwitcher(orgs: Vec<OrgSummary>, here: Option<String>) -> impl IntoView {
    let label = orgs
        .iter()
        .find(|o| Some(&o.slug) == here.as_ref())
        .map_or_else(|| "Organizations".to_owned(), |o| o.name.clone());
    let items = orgs
        .into_iter()
        .map(|o| {
            let current = Some(&o.slug) == here.as_ref();
            view! {
                <li>
                    <a href=format!("/o/{}", o.slug) aria-current=current.then_some("page")>{o.name}</a>
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="org-switcher">
            <summary aria-label=format!("Organization: {label}. Switch")>{label.clone()}</summary>
            <nav aria-label="Your organizations">
                <ul>
                    {items}
                    <li class="all"><a href="/">"All organizations, or a new one"</a></li>
                </ul>
            </nav>
        </details>
    }
}
