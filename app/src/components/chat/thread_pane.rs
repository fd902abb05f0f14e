//! A thread beside its channel (in place of it on a phone): the message
//! replied to, its replies as they come, whether the person follows it, and
//! a composer that replies (and may also send the reply to the channel).

use leptos::prelude::*;

use super::message_row::{self, Rows};
use crate::protocol::EventKind;
use crate::state::layout::{Layout, lay_out};
use crate::state::timeline::{Entry, Timeline};

/// The thread open beside the channel, which the chat's browser actions
/// fill and keep up to date.
#[derive(Clone, Copy)]
pub(super) struct ThreadShown {
    /// The `seq` of its root (`None`: no thread is open).
    pub root: RwSignal<Option<i64>>,
    /// The root and its replies, merged like the channel's rows.
    pub timeline: RwSignal<Timeline>,
    /// Whether older replies exist than those shown.
    pub has_more: RwSignal<bool>,
    pub following: RwSignal<bool>,
    /// Still being read from the server.
    pub loading: RwSignal<bool>,
    /// Why it could not be shown or replied to, for the person.
    pub notice: RwSignal<Option<String>>,
}

impl ThreadShown {
    pub(super) fn new() -> Self {
        ThreadShown {
            root: RwSignal::new(None),
            timeline: RwSignal::new(Timeline::default()),
            has_more: RwSignal::new(false),
            following: RwSignal::new(false),
            loading: RwSignal::new(true),
            notice: RwSignal::new(None),
        }
    }
}

#[component]
pub(super) fn ThreadPane(
    root: i64,
    thread: ThreadShown,
    rows: Rows,
    /// `#general`, or "this conversation".
    channel_label: String,
    /// Sends the reply being written, also to the channel if `true`.
    on_reply: Callback<(RwSignal<String>, bool)>,
    on_follow: Callback<bool>,
) -> impl IntoView {
    let ThreadShown { timeline, has_more, following, loading, notice, .. } = thread;
    let draft = RwSignal::new(String::new());
    let also = RwSignal::new(false);
    let send = move || {
        on_reply.run((draft, also.get_untracked()));
        also.set(false);
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        send();
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let also_label = format!("Also send to {channel_label}");
    let tz_offset = rows.tz_offset;
    view! {
        <aside class="thread-pane" aria-label="Thread">
            <header class="row spread">
                <h2>"Thread"</h2>
                <div class="row">
                    <button
                        type="button"
                        class="secondary"
                        aria-pressed=move || following.get().to_string()
                        on:click=move |_| on_follow.run(!following.get_untracked())
                    >
                        {move || if following.get() { "Following" } else { "Follow" }}
                    </button>
                    <a class="button secondary" href="?" aria-label="Close thread">"Close"</a>
                </div>
            </header>
            <Show when=move || loading.get()>
                <p class="muted">"Loading the thread…"</p>
            </Show>
            <Show when=move || has_more.get()>
                <p class="muted small">"Older replies are not shown."</p>
            </Show>
            <div class="scroller thread-scroller">
            <div class="scroller-inner">
            <ol class="messages thread-messages" aria-label="Replies" aria-live="polite">
                <For
                    each=move || {
                        let tz = tz_offset.get();
                        timeline.with(|t| {
                            let shown: Vec<Entry> = t
                                .entries()
                                .iter()
                                .filter(|e| e.message.kind == EventKind::Message && (e.message.seq == root || e.message.thread_of == Some(root)))
                                .cloned()
                                .collect();
                            lay_out(&shown, tz, None)
                        })
                    }
                    key=|(e, layout)| message_row::key(e, layout)
                    children=move |(e, layout): (Entry, Layout)| message_row::row(e, layout, None, rows)
                />
            </ol>
            </div>
            </div>
            {move || notice.get().map(|n| view! { <p class="form-error" role="alert">{n}</p> })}
            {rows.joined.then(|| view! {
                <form class="composer" on:submit=on_submit aria-label="Reply in thread">
                    <label for="thread-reply-input">"Reply"</label>
                    <div class="row">
                        <textarea
                            id="thread-reply-input"
                            name="body"
                            rows="2"
                            maxlength=crate::protocol::MAX_MESSAGE_CHARS
                            placeholder="Reply…"
                            prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))
                            on:keydown=on_keydown
                        ></textarea>
                        <button type="submit">"Reply"</button>
                    </div>
                    <label class="check">
                        <input type="checkbox" prop:checked=move || also.get() on:change=move |ev| also.set(event_target_checked(&ev)) />
                        {also_label}
                    </label>
                </form>
            })}
        </aside>
    }
}
