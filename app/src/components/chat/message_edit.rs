//! Editing one's own message in place (Enter saves, Shift+Enter makes a
//! new line, Escape cancels), and showing what an edited message said
//! before.

use leptos::prelude::*;

use crate::api::message_edits::edit_history;
use crate::protocol::MAX_MESSAGE_CHARS;
use crate::time;

/// The form that replaces a message's text while its author edits it.
#[component]
pub(super) fn EditForm(text: String, on_save: Callback<String>, on_cancel: Callback<()>) -> impl IntoView {
    let value = RwSignal::new(text);
    let input = NodeRef::<leptos::html::Textarea>::new();
    // The cursor goes to the text at once, at its end.
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
            let end = value.with_untracked(|v| v.encode_utf16().count() as u32);
            let _ = el.set_selection_range(end, end);
        }
    });
    let save = move || on_save.run(value.get_untracked());
    view! {
        <form
            class="edit-form"
            aria-label="Edit message"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save();
            }
        >
            <textarea
                node_ref=input
                aria-label="Edited text"
                rows="2"
                maxlength=MAX_MESSAGE_CHARS
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:keydown=move |ev: leptos::ev::KeyboardEvent| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        save();
                    } else if ev.key() == "Escape" {
                        ev.prevent_default();
                        on_cancel.run(());
                    }
                }
            ></textarea>
            <div class="row">
                <button type="submit">"Save"</button>
                <button type="button" class="secondary" on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

/// What message `seq` of channel `channel` said before its edits, oldest
/// first, read when shown.
#[component]
pub(super) fn EarlierVersions(slug: String, channel: String, seq: i64, tz_offset: RwSignal<i32>) -> impl IntoView {
    let history = LocalResource::new(move || edit_history(slug.clone(), channel.clone(), seq));
    view! {
        <Suspense fallback=|| view! { <p class="muted versions-loading">"Loading earlier versions…"</p> }>
            {move || {
                history
                    .get()
                    .map(|answer| match answer {
                        Ok(h) => {
                            let versions = h
                                .versions
                                .into_iter()
                                .map(|v| {
                                    let html = crate::markdown::to_html(&v.body);
                                    let at = v.written_at;
                                    view! {
                                        <li>
                                            <time datetime=time::iso_utc(at)>{move || time::clock(at, tz_offset.get())}</time>
                                            <div class="formatted" dir="auto" inner_html=html></div>
                                        </li>
                                    }
                                })
                                .collect_view();
                            view! { <ol class="versions" aria-label="Earlier versions">{versions}</ol> }.into_any()
                        }
                        Err(e) => view! { <p class="form-error" role="alert">{e.message}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}
