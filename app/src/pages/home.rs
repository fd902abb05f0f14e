//! `/`: signed out, the sign-in and registration forms; signed in, your
//! organizations and the form to create one.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::orgs::{CreateOrg, list_orgs};
use crate::components::auth_forms::AuthForms;
use crate::components::error_note::{ActionError, PageError, action_result};
use crate::components::session::use_session;
use crate::errors::ApiError;
use crate::protocol::OrgSummary;

#[component]
pub(crate) fn HomePage() -> impl IntoView {
    let session = use_session();
    // Made here, not inside the Suspend below: a resource made while the
    // page hydrates reads what the server sent, one made after it fetches
    // again and may not match the server's HTML. Only asked for when signed
    // in (a refusal would set the page's status), and again on signing in.
    let create = ServerAction::<CreateOrg>::new();
    let signed =
        move || (session.login.version().get(), session.register.version().get(), session.logout.version().get());
    let orgs = Resource::new(
        move || (create.version().get(), signed()),
        move |_| async move {
            match session.me.await {
                Ok(Some(_)) => Some(list_orgs().await),
                _ => None,
            }
        },
    );
    view! {
        <Title text="Confab" />
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(_)) => view! { <Organizations create orgs /> }.into_any(),
                    Ok(None) => view! {
                        <section class="welcome">
                            <h1>"Welcome to Confab"</h1>
                            <p>"Chat with your organization. Sign in, or create an account to start."</p>
                        </section>
                        <AuthForms />
                    }.into_any(),
                    Err(e) => view! { <PageError error=e /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Organizations(
    create: ServerAction<CreateOrg>,
    orgs: Resource<Option<Result<Vec<OrgSummary>, ApiError>>>,
) -> impl IntoView {
    view! {
        <div class="home">
            <section class="card">
                <h1>"Your organizations"</h1>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match orgs.await {
                            None => ().into_any(),
                            Some(Ok(list)) if list.is_empty() => view! {
                                <p class="empty">"You are not in any organization yet. Create one, or open an invite link from a colleague."</p>
                            }.into_any(),
                            Some(Ok(list)) => view! {
                                <ul class="org-list">
                                    {list.into_iter().map(|o: OrgSummary| view! {
                                        <li>
                                            <a href=format!("/o/{}", o.slug)>{o.name}</a>
                                            <span class="muted">" /"{o.slug}" · "{o.role.as_str()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Some(Err(e)) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"Create an organization"</h2>
                <ActionForm action=create attr:class="stack" attr:aria-label="Create an organization">
                    <label for="org-name">"Name"</label>
                    <input id="org-name" name="name" required maxlength="64" placeholder="Acme Inc." />
                    <label for="org-slug">"URL name"</label>
                    <input id="org-slug" name="slug" required minlength="2" maxlength="32" placeholder="acme"
                        pattern="[A-Za-z0-9]([A-Za-z0-9\\-]*[A-Za-z0-9])?"
                        title="Letters, digits and dashes; not starting or ending with a dash" />
                    <ActionError result=action_result(create) />
                    <button type="submit" disabled=move || create.pending().get()>"Create organization"</button>
                </ActionForm>
            </section>
        </div>
    }
}
