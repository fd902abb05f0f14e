//! `/tokens`: the signed-in person's API tokens for bots and scripts: make
//! one (shown once), see which exist, revoke them. Plain forms, rendered on
//! the server, so they work before the wasm has loaded.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{CreateApiToken, RevokeApiToken, list_api_tokens};
use crate::components::error_note::{ActionError, action_result};
use crate::protocol::ApiToken;
use crate::time::iso_utc;

#[component]
pub(crate) fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let list = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_tokens());
    let made = move || create.value().get().and_then(Result::ok);
    view! {
        <Title text="API tokens · Confab" />
        <section class="pane tokens">
            <header class="pane-header">
                <h1>"API tokens"</h1>
                <p class="muted">
                    "A token lets a bot or a script act as you, with exactly your rights: send it as "
                    <code>"Authorization: Bearer <token>"</code> " to the API, or as "
                    <code>"auth: { token }"</code> " from a Socket.IO client. Revoke it when it is no longer used."
                </p>
            </header>
            <ActionForm action=create attr:class="stack compact" attr:aria-label="Create a token">
                <label for="token-name">"Name (what will use it)"</label>
                <div class="row">
                    <input id="token-name" name="name" placeholder="e.g. deploy bot" required maxlength="60" />
                    <button type="submit" disabled=move || create.pending().get()>"Create token"</button>
                </div>
                <ActionError result=action_result(create) />
            </ActionForm>
            {move || made().map(|new| view! {
                <div class="card new-token" role="status">
                    <p>"Your new token " <strong>{new.listed.name}</strong> ". Copy it now: it is not shown again."</p>
                    <label for="new-token">"Token"</label>
                    <input id="new-token" readonly value=new.token data-testid="new-token" />
                </div>
            })}
            <ActionError result=action_result(revoke) />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(tokens) if tokens.is_empty() => view! { <p class="muted">"You have no tokens."</p> }.into_any(),
                        Ok(tokens) => view! { <TokenList tokens revoke /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenList(tokens: Vec<ApiToken>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    let rows = tokens
        .into_iter()
        .map(|t| {
            let label = format!("Revoke {}", t.name);
            view! {
                <li>
                    <span><strong>{t.name}</strong> ", made " <time datetime=iso_utc(t.created_at)>{iso_utc(t.created_at)}</time></span>
                    <ActionForm action=revoke attr:class="inline" attr:aria-label=label>
                        <input type="hidden" name="id" value=t.id />
                        <button type="submit" class="secondary danger">"Revoke"</button>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="token-list" aria-label="Your tokens">{rows}</ul> }
}
