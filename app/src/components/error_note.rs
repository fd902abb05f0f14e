//! How a failed action or resource is shown: one sentence, announced to screen readers.

use leptos::prelude::*;
use leptos::server::ServerActionError;
use leptos::server_fn::ServerFn;
use leptos::server_fn::error::ServerFnUrlError;

use crate::errors::ApiError;

/// Shows the error of the latest run of an action, if it failed.
#[component]
pub(crate) fn ActionError<T: Clone + Send + Sync + 'static>(
    result: Signal<Option<Result<T, ApiError>>>,
) -> impl IntoView {
    move || {
        result.get().and_then(|r| r.err()).map(|e| {
            view! { <p class="form-error" role="alert">{e.message}</p> }
        })
    }
}

/// The error of server function `S` when it was posted by a plain HTML form
/// (before the wasm loaded): the server redirects back to the form with the
/// error in the URL, and the router offers it as context (actions created
/// under the router also take it as their first value).
fn redirected_error<S: ServerFn<Error = ApiError>>() -> Option<ApiError> {
    let error = use_context::<ServerActionError>()?;
    (error.path() == S::PATH).then(|| ServerFnUrlError::<ApiError>::decode_err(error.err()))
}

/// The latest result of `action`, or else the error a plain form post of it
/// was redirected back with. Anyone can write such a URL, so of that error
/// only the code is believed, and its own sentence shown.
pub(crate) fn action_result<S>(action: ServerAction<S>) -> Signal<Option<Result<S::Output, ApiError>>>
where
    S: ServerFn<Error = ApiError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let redirected = redirected_error::<S>();
    Signal::derive(move || match action.value().get() {
        Some(Err(e)) if redirected.as_ref() == Some(&e) => Some(Err(ApiError::from_code(e.code))),
        Some(result) => Some(result),
        None => redirected.as_ref().map(|e| Err(ApiError::from_code(e.code))),
    })
}

/// A whole-page error, such as "no such organization".
#[component]
pub(crate) fn PageError(error: ApiError) -> impl IntoView {
    view! {
        <section class="page-error" role="alert">
            <h1>"Sorry"</h1>
            <p>{error.message}</p>
            <p><a href="/">"Back to your organizations"</a></p>
        </section>
    }
}
