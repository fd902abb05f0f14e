//! `/o/<slug>`: an organization: its channels, invite links for its admins,
//! and leaving it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::orgs::{CreateInvite, LeaveOrg, RevokeInvite, list_invites, org};
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::components::session::use_session;
use crate::components::workspace::OrgWorkspace;
use crate::errors::ApiError;
use crate::protocol::{InviteList, OrgView, Role, User};
use crate::time::iso_utc;

#[component]
pub(crate) fn OrgPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let session = use_session();
    let view_res = Resource::new(slug, org);
    // Made here, not inside the Suspend below: a resource made while the
    // page hydrates reads what the server sent, one made after it fetches
    // again and may not match the server's HTML.
    let invites = Invites::new(slug, view_res);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me = session.me.await.ok().flatten();
                match view_res.await {
                    Ok(v) => view! { <OrgHome view=v me=me invites /> }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The invite links and the actions that change them: the list is read for
/// owners and admins only (`None` for anyone else, without asking).
#[derive(Clone, Copy)]
struct Invites {
    create: ServerAction<CreateInvite>,
    revoke: ServerAction<RevokeInvite>,
    list: Resource<Option<Result<InviteList, ApiError>>>,
}

impl Invites {
    fn new(slug: impl Fn() -> String + Send + Sync + 'static, view: Resource<Result<OrgView, ApiError>>) -> Self {
        let create = ServerAction::<CreateInvite>::new();
        let revoke = ServerAction::<RevokeInvite>::new();
        let query = use_query_map();
        let list = Resource::new(
            move || (slug(), query.read().get("invite"), create.version().get(), revoke.version().get()),
            move |(slug, made, _, _)| async move {
                // The page's own resource says whether this person may see them.
                let allowed = view.await.is_ok_and(|v| v.org.role.manages_people());
                if allowed { Some(list_invites(slug, made).await) } else { None }
            },
        );
        // A revoked link is no longer shown as the one just made.
        Effect::new(move || {
            if revoke.version().get() > 0 {
                create.value().set(None);
            }
        });
        Invites { create, revoke, list }
    }
}

#[component]
fn OrgHome(view: OrgView, me: Option<User>, invites: Invites) -> impl IntoView {
    let org = view.org.clone();
    let member_count = view.members.len();
    let can_invite = matches!(org.role, Role::Owner | Role::Admin);
    let slug = org.slug.clone();
    view! {
        <Title text=format!("{} · Confab", org.name) />
        <OrgWorkspace view=view me=me>
            <section class="pane">
                <header class="pane-header">
                    <h1>{org.name.clone()}</h1>
                    <p class="muted">
                        {member_count} {if member_count == 1 { " member" } else { " members" }}
                        " · you are " {org.role.as_str()}
                    </p>
                </header>
                <p>"Pick a channel from the list, or create one."</p>
                {can_invite.then(|| view! {
                    <p><a href=format!("/o/{}/admin", org.slug) class="button secondary">"Manage people and roles"</a></p>
                })}
                {can_invite.then(|| view! { <InvitePanel slug=slug.clone() invites /> })}
                <LeaveOrgForm slug=slug />
            </section>
        </OrgWorkspace>
    }
}

/// Leaving the organization (refused, with the reason, for its last owner).
#[component]
fn LeaveOrgForm(slug: String) -> impl IntoView {
    let leave = ServerAction::<LeaveOrg>::new();
    view! {
        <ActionForm action=leave attr:class="inline leave-org" attr:aria-label="Leave organization">
            <input type="hidden" name="slug" value=slug />
            <button type="submit" class="secondary danger">"Leave organization"</button>
            <ActionError result=action_result(leave) />
        </ActionForm>
    }
}

/// Owners and admins make, see and revoke invite links here. Everything is
/// rendered from the server, so it works the same before the wasm has loaded:
/// making a link goes back to this page with the new token in the URL, and
/// the server shows it again only if it is one of this organization's
/// working links made by this person.
#[component]
fn InvitePanel(slug: String, invites: Invites) -> impl IntoView {
    let Invites { create, revoke, list } = invites;
    let form_slug = slug.clone();
    view! {
        <section class="card invite">
            <h2>"Invite people"</h2>
            <ActionForm action=create attr:aria-label="Create invite link">
                <input type="hidden" name="slug" value=form_slug />
                <button type="submit" disabled=move || create.pending().get()>"Create invite link"</button>
                <ActionError result=action_result(create) />
            </ActionForm>
            <ActionError result=action_result(revoke) />
            <Transition fallback=|| ()>
                {move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        // In the browser the action's own answer shows the new
                        // link at once, whichever list answer comes last.
                        let made = create.value().get().and_then(Result::ok);
                        match list.await {
                            Some(Ok(mut list)) => {
                                if made.is_some() {
                                    list.new_link = made;
                                }
                                view! { <InviteLinks slug list revoke /> }.into_any()
                            }
                            Some(Err(e)) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                            None => ().into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// The link just made, and every working one with its expiry and a Revoke button.
#[component]
fn InviteLinks(slug: String, list: InviteList, revoke: ServerAction<RevokeInvite>) -> impl IntoView {
    let new_link = list.new_link.map(|invite| {
        view! {
            <p class="invite-result">
                "Share this link (valid for 7 days): "
                <a href=invite.path data-testid="invite-link">{invite.url.clone()}</a>
            </p>
            <label for="invite-url">"Invite link"</label>
            <input id="invite-url" readonly value=invite.url />
        }
    });
    let empty = list.invites.is_empty();
    let rows = list
        .invites
        .into_iter()
        .map(|invite| {
            let slug = slug.clone();
            view! {
                <li>
                    <span>
                        "Made by " {invite.created_by} ", works until "
                        <time datetime=iso_utc(invite.expires_at)>{iso_utc(invite.expires_at)}</time>
                    </span>
                    <ActionForm action=revoke attr:class="inline" attr:aria-label="Revoke invite link">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="id" value=invite.id />
                        <button type="submit" class="secondary">"Revoke"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! {
        {new_link}
        <h3>"Working invite links"</h3>
        {if empty {
            view! { <p class="muted">"None: every link made so far has expired or been revoked."</p> }.into_any()
        } else {
            view! { <ul class="invite-list" aria-label="Working invite links">{rows}</ul> }.into_any()
        }}
    }
}
