//! `/invite/<token>`: what the link leads to, and "Join" (or sign in first).

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::orgs::{AcceptInvite, get_invite};
use crate::components::auth_forms::AuthForms;
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::components::session::use_session;

#[component]
pub(crate) fn InvitePage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview = Resource::new(move || (token(), session.me.get().map(|r| r.ok().flatten())), |(t, _)| get_invite(t));
    let accept = ServerAction::<AcceptInvite>::new();
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(_)) => {}
                    Ok(None) => return view! {
                        <section class="welcome">
                            <h1>"You have been invited to Confab"</h1>
                            <p>"Sign in or create an account to accept the invitation."</p>
                        </section>
                        <AuthForms next=format!("/invite/{}", token()) />
                    }.into_any(),
                    Err(e) => return view! { <PageError error=e /> }.into_any(),
                }
                match preview.await {
                    Ok(p) if p.already_member => view! {
                        <section class="card narrow">
                            <h1>{p.org_name.clone()}</h1>
                            <p>"You are already a member."</p>
                            <a class="button" href=format!("/o/{}", p.org_slug)>"Open "{p.org_name}</a>
                        </section>
                    }.into_any(),
                    Ok(p) => view! {
                        <section class="card narrow">
                            <h1>"Join "{p.org_name.clone()}</h1>
                            <p>{p.invited_by}" invited you to join "<strong>{p.org_name.clone()}</strong>" on Confab."</p>
                            <ActionForm action=accept attr:aria-label="Accept invitation">
                                <input type="hidden" name="token" value=token() />
                                <ActionError result=action_result(accept) />
                                <button type="submit" disabled=move || accept.pending().get()>"Join "{p.org_name}</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}
