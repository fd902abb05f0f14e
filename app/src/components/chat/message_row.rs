//! One row of a message list, in the channel or in a thread: the author's
//! avatar and name, the time, the text (formatted, or the form that edits
//! it), its files, its reactions, its thread's summary, and the actions on it (reply,
//! pin, edit, delete; retry and delete for one that was not sent).

use leptos::prelude::*;

use super::attachments::Attachments;
use super::long_press::LongPress;
use super::message_edit::{EarlierVersions, EditForm};
use super::reactions::{AddReaction, Reactions};
use crate::protocol::{ChatMessage, EventKind, ThreadSummary, UserId};
use crate::state::layout::Layout;
use crate::state::timeline::{Delivery, Entry};
use crate::state::workspace::Workspace;
use crate::time;

/// What rows share: who is looking, what they may do, and what the row's
/// buttons do.
#[derive(Clone, Copy)]
pub(super) struct Rows {
    pub slug: StoredValue<String>,
    pub channel_name: StoredValue<String>,
    pub me: Option<UserId>,
    pub joined: bool,
    pub tz_offset: RwSignal<i32>,
    /// The message being edited, and the one whose earlier versions show.
    pub editing: RwSignal<Option<i64>>,
    pub versions_of: RwSignal<Option<i64>>,
    /// The message showing its actions on a touch screen (a long press).
    pub actions_open: RwSignal<Option<i64>>,
    /// The message the address points at (a search result), marked.
    pub found: RwSignal<Option<i64>>,
    /// Owners and admins may delete others' messages here.
    pub may_delete_others: Signal<bool>,
    /// Rows of a thread: no "Reply" and no summary (it is open).
    pub in_thread: bool,
    pub on_react: Callback<(i64, String, bool)>,
    pub on_pin: Callback<(i64, bool)>,
    pub on_save_edit: Callback<(i64, String)>,
    pub on_delete: Callback<i64>,
    pub on_retry: Callback<String>,
    pub on_forget: Callback<String>,
}

/// What a row is drawn from: it is drawn again when any of it changes.
pub(super) type RowKey =
    (Layout, String, i64, Delivery, bool, Option<String>, Vec<crate::protocol::Reaction>, bool, Option<ThreadSummary>);

/// The key of a row: everything it shows.
pub(super) fn key(e: &Entry, layout: &Layout) -> RowKey {
    let m = &e.message;
    (
        layout.clone(),
        m.client_id.clone(),
        m.seq,
        e.delivery.clone(),
        m.deleted,
        m.edited.then(|| m.body.clone()),
        m.reactions.clone(),
        m.pinned,
        m.thread.clone(),
    )
}

/// A joining or leaving, hidden events (shown on the message they change),
/// or a message with everything around it.
pub(super) fn row(e: Entry, layout: Layout, first_unread: Option<i64>, rows: Rows) -> AnyView {
    let m = e.message;
    let day = layout.day.map(|name| {
        let label = name.clone();
        view! { <li class="day" role="separator" aria-label=label><span>{name}</span></li> }
    });
    let marker = (Some(m.seq) == first_unread && m.seq > 0)
        .then(|| view! { <li class="unread-marker" role="separator" aria-label="New messages">"New"</li> });
    let marker = (day, marker);
    match m.kind {
        EventKind::Message => {}
        // Shown on the message they change; a node all the same, so the
        // list knows where the rows around it go.
        EventKind::Deleted
        | EventKind::Edited
        | EventKind::ReactionAdded
        | EventKind::ReactionRemoved
        | EventKind::Pinned
        | EventKind::Unpinned => {
            return view! { <li class="event-deleted" hidden data-seq=m.seq></li> }.into_any();
        }
        EventKind::Joined | EventKind::Left => return (marker, member_event(m, rows.tz_offset)).into_any(),
    }
    (marker, message(m, e.delivery, layout.grouped, rows)).into_any()
}

fn message(m: ChatMessage, delivery: Delivery, grouped: bool, rows: Rows) -> impl IntoView {
    let Rows { me, editing, versions_of, tz_offset, .. } = rows;
    let mine = me == Some(m.author_id);
    let at = m.sent_at;
    let client_id = m.client_id.clone();
    let (seq, deleted) = (m.seq, m.deleted);
    let editable = move || seq > 0 && !deleted && mine;
    let pinned = m.pinned && !deleted;
    let pinnable = seq > 0 && !deleted && rows.joined;
    let pinned_mark = pinned.then(|| view! { <span class="pinned-mark">"📌 Pinned"</span> });
    let reply_mark = (m.in_channel && !rows.in_thread).then(|| {
        let root = m.thread_of.unwrap_or_default();
        view! { <a class="reply-mark" href=format!("?thread={root}")>"replied in a thread"</a> }
    });
    let edited = (m.edited && !deleted).then(|| {
        view! {
            <button
                type="button"
                class="link-button edited"
                aria-label="Edited: show earlier versions"
                aria-expanded=move || (versions_of.get() == Some(seq)).to_string()
                on:click=move |_| versions_of.update(|v| *v = if *v == Some(seq) { None } else { Some(seq) })
            >
                "(edited)"
            </button>
        }
    });
    let may_delete_others = rows.may_delete_others;
    let deletable = move || seq > 0 && !deleted && (mine || may_delete_others.get());
    let body = if deleted {
        view! { <p class="body deleted">"This message was deleted."</p> }.into_any()
    } else {
        let html = crate::markdown::to_html(&m.body);
        let text = m.body.clone();
        let on_save_edit = rows.on_save_edit;
        (move || {
            if editing.get() == Some(seq) {
                let on_save = Callback::new(move |body: String| on_save_edit.run((seq, body)));
                let on_cancel = Callback::new(move |()| editing.set(None));
                view! { <EditForm text=text.clone() on_save on_cancel /> }.into_any()
            } else {
                view! { <div class="body formatted" dir="auto" inner_html=html.clone()></div> }.into_any()
            }
        })
        .into_any()
    };
    let files = (!deleted && !m.files.is_empty()).then(|| {
        let slug = rows.slug.get_value();
        view! { <Attachments slug files=m.files.clone() /> }
    });
    let reactable = !deleted && seq > 0;
    let picking = RwSignal::new(false);
    let reactions = reactable.then(|| {
        let on_react = rows.on_react;
        let on_toggle = Callback::new(move |(emoji, add): (String, bool)| on_react.run((seq, emoji, add)));
        view! { <Reactions reactions=m.reactions.clone() me on_toggle picking /> }
    });
    let add_reaction = reactable.then(|| view! { <AddReaction picking /> });
    let earlier = move || {
        (versions_of.get() == Some(seq)).then(|| {
            let (slug, channel) = (rows.slug.get_value(), rows.channel_name.get_value());
            view! { <EarlierVersions slug channel seq tz_offset /> }
        })
    };
    // A message of the channel (not a reply) may start a thread, or has one.
    let root = !rows.in_thread && m.thread_of.is_none() && seq > 0;
    let thread = root.then(|| m.thread.clone()).flatten().filter(|t| t.replies > 0).map(|t| summary(seq, t, tz_offset));
    let reply = (root && rows.joined).then(|| {
        view! { <a class="link-button reply" href=format!("?thread={seq}") aria-label="Reply in thread">"Reply"</a> }
    });
    let (on_pin, on_delete) = (rows.on_pin, rows.on_delete);
    let face = avatar(m.author_id, &m.author);
    let press = LongPress::new(seq, rows.actions_open);
    view! {
        <li
            class="msg"
            class:mine=mine
            class:deleted=deleted
            class:grouped=grouped
            class:actions-open=move || press.is_open()
            class:found=move || rows.found.get() == Some(seq)
            data-seq=m.seq
            on:pointerdown=move |ev| press.down(ev)
            on:pointerup=move |_| press.cancel()
            on:pointercancel=move |_| press.cancel()
            on:contextmenu=move |ev| press.context_menu(ev)
            on:click=move |_| press.tapped()
            on:keydown=move |ev| press.key(ev)
        >
            {face}
            <div class="meta">
                <span class="author">{m.author}</span>
                <time datetime=time::iso_utc(at) title=time::iso_utc(at)>{move || time::clock(at, tz_offset.get())}</time>
                {edited}
                {pinned_mark}
                {reply_mark}
                {delivery_label(delivery, client_id, rows.on_retry, rows.on_forget)}
                <span class="actions">
                    {add_reaction}
                    {reply}
                    {pinnable.then(|| {
                        let (label, text) = if pinned { ("Unpin this message", "Unpin") } else { ("Pin this message", "Pin") };
                        view! {
                            <button type="button" class="link-button pin-message" aria-label=label on:click=move |_| on_pin.run((seq, !pinned))>
                                {text}
                            </button>
                        }
                    })}
                    <Show when=editable>
                        <button type="button" class="link-button edit-message" aria-label="Edit this message" on:click=move |_| editing.set(Some(seq))>
                            "Edit"
                        </button>
                    </Show>
                    <Show when=deletable>
                        <button type="button" class="link-button delete-message" aria-label="Delete this message" on:click=move |_| on_delete.run(seq)>
                            "Delete"
                        </button>
                    </Show>
                </span>
            </div>
            {body}
            {files}
            {earlier}
            {reactions}
            {thread}
        </li>
    }
}

/// "3 replies · Last reply 10:42" with who took part, opening the thread.
fn summary(root: i64, t: ThreadSummary, tz_offset: RwSignal<i32>) -> impl IntoView {
    let ws = use_context::<Workspace>();
    let faces: Vec<_> = t
        .participants
        .iter()
        .take(5)
        .map(|id| {
            let name = ws.and_then(|ws| ws.name_of(*id)).unwrap_or_else(|| "?".into());
            avatar(*id, &name)
        })
        .collect();
    let count = if t.replies == 1 { "1 reply".to_owned() } else { format!("{} replies", t.replies) };
    let at = t.last_reply_at;
    view! {
        <a class="thread-summary" href=format!("?thread={root}") aria-label=format!("{count}: open the thread")>
            <span class="faces">{faces}</span>
            <span class="count">{count.clone()}</span>
            <span class="muted">" · Last reply "{move || time::clock(at, tz_offset.get())}</span>
        </a>
    }
}

/// A person's initials on a colour of their own (the same on every screen),
/// beside their messages.
pub(super) fn avatar(user_id: i64, name: &str) -> impl IntoView + use<> {
    let mut parts = name.split(['.', '_', '-', ' ']).filter(|p| !p.is_empty());
    let initials: String = match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => a.chars().take(1).chain(b.chars().take(1)).collect(),
        (Some(a), None) => a.chars().take(1).collect(),
        _ => "?".into(),
    };
    let colour = format!("avatar hue{}", user_id.rem_euclid(8));
    view! { <span class=colour aria-hidden="true">{initials.to_uppercase()}</span> }
}

/// A member joining or leaving, as a line between the messages.
fn member_event(m: ChatMessage, tz_offset: RwSignal<i32>) -> impl IntoView {
    let at = m.sent_at;
    let what = if m.kind == EventKind::Joined { " joined the channel" } else { " left the channel" };
    view! {
        <li class="event" data-seq=m.seq>
            <span class="author">{m.author}</span>
            {what}
            " "
            <time datetime=time::iso_utc(at) title=time::iso_utc(at)>{move || time::clock(at, tz_offset.get())}</time>
        </li>
    }
}

fn delivery_label(
    delivery: Delivery,
    client_id: String,
    retry: Callback<String>,
    forget: Callback<String>,
) -> impl IntoView {
    match delivery {
        Delivery::Stored => None,
        Delivery::Sending => Some(view! { <span class="delivery sending">"sending…"</span> }.into_any()),
        Delivery::Sent => Some(view! { <span class="delivery sent">"sent"</span> }.into_any()),
        Delivery::Failed(why) => {
            let again = client_id.clone();
            Some(
                view! {
                    <span class="delivery failed" title=why.clone()>"not sent: "{why.clone()}</span>
                    <button type="button" class="link-button" on:click=move |_| retry.run(again.clone())>"Retry"</button>
                    <button type="button" class="link-button" on:click=move |_| forget.run(client_id.clone())>"Delete"</button>
                }
                .into_any(),
            )
        }
    }
}
