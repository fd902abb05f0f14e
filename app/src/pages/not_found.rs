use leptos::prelude::*;

use crate::components::error_note::PageError;
use crate::errors::ApiError;

#[component]
pub(crate) fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! { <PageError error=ApiError::not_found("There is no page at this address.") /> }
}
