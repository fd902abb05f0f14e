//! Sign-in and registration forms. They are `ActionForm`s, so they post to
//! `/api/login` and `/api/register` even before the wasm has loaded.

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::error_note::{ActionError, action_result};
use super::session::use_session;

/// Both forms side by side; after success the browser goes to `next` or `/`.
#[component]
pub(crate) fn AuthForms(#[prop(optional, into)] next: Option<String>) -> impl IntoView {
    let session = use_session();
    let next_field = next.map(|n| view! { <input type="hidden" name="next" value=n /> });
    let next_field2 = next_field.clone();
    view! {
        <div class="auth-forms">
            <section class="card" aria-labelledby="signin-title">
                <h2 id="signin-title">"Sign in"</h2>
                <ActionForm action=session.login attr:class="stack" attr:aria-label="Sign in">
                    {next_field}
                    <label for="login-username">"Username"</label>
                    <input id="login-username" name="username" autocomplete="username" required maxlength="32" />
                    <label for="login-password">"Password"</label>
                    <input id="login-password" name="password" type="password" autocomplete="current-password" required />
                    <ActionError result=action_result(session.login) />
                    <button type="submit" disabled=move || session.login.pending().get()>"Sign in"</button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="register-title">
                <h2 id="register-title">"Create an account"</h2>
                <ActionForm action=session.register attr:class="stack" attr:aria-label="Create an account">
                    {next_field2}
                    <label for="register-username">"Username"</label>
                    <input id="register-username" name="username" autocomplete="username" required minlength="3" maxlength="32" />
                    <label for="register-password">"Password (at least 8 characters)"</label>
                    <input id="register-password" name="password" type="password" autocomplete="new-password" required minlength="8" maxlength="256" />
                    <ActionError result=action_result(session.register) />
                    <button type="submit" disabled=move || session.register.pending().get()>"Create account"</button>
                </ActionForm>
            </section>
        </div>
    }
}
