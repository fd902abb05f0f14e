//! `/o/<slug>`: an organization: its channels, and invite links for its admins.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::orgs::{CreateInvite, org};
use crate::components::channel_list::ChannelList;
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::protocol::{OrgView, Role};

#[component]
pub fn OrgPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let view_res = Resource::new(slug, org);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view_res.await {
                    Ok(v) => view! { <OrgHome view=v /> }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrgHome(view: OrgView) -> impl IntoView {
    let OrgView { org, channels, member_count } = view;
    let can_invite = matches!(org.role, Role::Owner | Role::Admin);
    let slug = org.slug.clone();
    view! {
        <Title text=format!("{} · Confab", org.name) />
        <div class="workspace">
            <ChannelList slug=org.slug.clone() channels=channels />
            <section class="pane">
                <header class="pane-header">
                    <h1>{org.name.clone()}</h1>
                    <p class="muted">
                        {member_count} {if member_count == 1 { " member" } else { " members" }}
                        " · you are " {org.role.as_str()}
                    </p>
                </header>
                <p>"Pick a channel from the list, or create one."</p>
                {can_invite.then(|| view! { <InvitePanel slug=slug /> })}
            </section>
        </div>
    }
}

/// Owners and admins make invite links here.
#[component]
fn InvitePanel(slug: String) -> impl IntoView {
    let create = ServerAction::<CreateInvite>::new();
    let link = move || {
        create.value().get().and_then(|r| r.ok()).map(|invite| {
            let full = format!("{}{}", origin(), invite.path);
            view! {
                <p class="invite-result">
                    "Share this link (valid for 7 days): "
                    <a href=invite.path data-testid="invite-link">{full.clone()}</a>
                </p>
                <label for="invite-url">"Invite link"</label>
                <input id="invite-url" readonly value=full />
            }
        })
    };
    view! {
        <section class="card invite">
            <h2>"Invite people"</h2>
            <ActionForm action=create attr:aria-label="Create invite link">
                <input type="hidden" name="slug" value=slug />
                <button type="submit" disabled=move || create.pending().get()>"Create invite link"</button>
                <ActionError result=action_result(create) />
            </ActionForm>
            {link}
        </section>
    }
}

/// The site's origin (`https://host`), known only in the browser.
fn origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}
