//! The top bar: the product name and, when signed in, who you are and "Sign out".

use leptos::form::ActionForm;
use leptos::prelude::*;

use super::session::use_session;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="topbar">
            <a href="/" class="brand">"Confab"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.me.await {
                        Ok(Some(user)) => Some(view! {
                            <div class="whoami">
                                <span class="username" data-testid="whoami">{user.username}</span>
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
