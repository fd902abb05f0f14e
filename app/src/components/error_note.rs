//! How a failed action or resource is shown: one sentence, announced to screen readers.

use leptos::prelude::*;

use crate::errors::ApiError;

/// Shows the error of the latest run of an action, if it failed.
#[component]
pub fn ActionError<T: Clone + Send + Sync + 'static>(result: Signal<Option<Result<T, ApiError>>>) -> impl IntoView {
    move || {
        result.get().and_then(|r| r.err()).map(|e| {
            view! { <p class="form-error" role="alert">{e.message}</p> }
        })
    }
}

/// A whole-page error, such as "no such organization".
#[component]
pub fn PageError(error: ApiError) -> impl IntoView {
    view! {
        <section class="page-error" role="alert">
            <h1>"Sorry"</h1>
            <p>{error.message}</p>
            <p><a href="/">"Back to your organizations"</a></p>
        </section>
    }
}
