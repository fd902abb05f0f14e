//! The messages pinned in a channel, listed on demand (read again each time
//! the list opens).

use leptos::prelude::*;

use crate::api::message_edits::pinned_messages;
use crate::time;

/// The button that opens the channel's pinned messages, and the list.
#[component]
pub(super) fn Pinned(slug: String, channel: String, tz_offset: RwSignal<i32>) -> impl IntoView {
    let open = RwSignal::new(false);
    let (slug, channel) = (StoredValue::new(slug), StoredValue::new(channel));
    view! {
        <div class="pinned">
            <button
                type="button"
                class="link-button"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "📌 Pinned messages"
            </button>
            {move || open.get().then(|| view! { <PinnedList slug=slug.get_value() channel=channel.get_value() tz_offset /> })}
        </div>
    }
}

#[component]
fn PinnedList(slug: String, channel: String, tz_offset: RwSignal<i32>) -> impl IntoView {
    let pinned = LocalResource::new(move || pinned_messages(slug.clone(), channel.clone()));
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading pinned messages…"</p> }>
            {move || {
                pinned
                    .get()
                    .map(|answer| match answer {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"Nothing is pinned here yet."</p> }.into_any()
                        }
                        Ok(list) => {
                            let items = list
                                .into_iter()
                                .map(|m| {
                                    let html = crate::markdown::to_html(&m.body);
                                    let at = m.sent_at;
                                    view! {
                                        <li>
                                            <span class="author">{m.author}</span>
                                            " "
                                            <time datetime=time::iso_utc(at)>{move || time::clock(at, tz_offset.get())}</time>
                                            <div class="formatted" dir="auto" inner_html=html></div>
                                        </li>
                                    }
                                })
                                .collect_view();
                            view! { <ol class="pinned-list" aria-label="Pinned messages">{items}</ol> }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
