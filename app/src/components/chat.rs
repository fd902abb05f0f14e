//! A channel's conversation: the message list (server-rendered history, then
//! live), "Load older messages", editing one's own messages
//! ([`message_edit`]), reactions ([`reactions`]), pins ([`pins`]), and the
//! composer.
//!
//! The list shows the channel's [`Timeline`]; in the browser it is fed by the
//! workspace's live connection ([`actions`]), so a message is never shown
//! twice (own echo, other tabs, catch-up after a reconnect).

use leptos::prelude::*;

use crate::protocol::{ChannelKind, ChatMessage, EventKind, HistoryPage, User};
use crate::state::layout::{Layout, lay_out};
use crate::state::timeline::{Delivery, Entry, Timeline};
use crate::state::workspace::Workspace;
use crate::time;
use message_edit::{EarlierVersions, EditForm};
use pins::Pinned;
use reactions::Reactions;

#[component]
pub(crate) fn Chat(slug: String, page: HistoryPage, me: Option<User>) -> impl IntoView {
    let HistoryPage { channel, messages, has_more } = page;
    let me_id = me.as_ref().map(|u| u.id);
    // "New" goes before the first message of others past the read cursor,
    // as it was when the channel was opened.
    let first_unread = messages
        .iter()
        .find(|m| {
            channel.joined
                && m.kind == EventKind::Message
                && !m.deleted
                && m.seq > channel.last_read_seq
                && Some(m.author_id) != me_id
        })
        .map(|m| m.seq);
    let shown = Shown {
        timeline: RwSignal::new(Timeline::from_history(messages)),
        has_more: RwSignal::new(has_more),
        tz_offset: RwSignal::new(0),
        status: RwSignal::new(LinkStatus::Connecting),
        typing: RwSignal::new(Vec::new()),
        notice: RwSignal::new(None),
    };
    let Shown { timeline, has_more, tz_offset, status, typing, notice } = shown;
    let draft = RwSignal::new(String::new());
    // The message being edited here, and the one whose earlier versions show.
    let (editing, versions_of) = (RwSignal::new(None::<i64>), RwSignal::new(None::<i64>));
    let channel_name = StoredValue::new(channel.name.clone());
    let slug_here = StoredValue::new(slug.clone());
    let joined = channel.joined;
    let placeholder = match channel.kind {
        ChannelKind::Direct => {
            let title = use_context::<Workspace>().map(|ws| ws.title(&channel)).unwrap_or_default();
            format!("Message {title}")
        }
        ChannelKind::Public | ChannelKind::Private | ChannelKind::Supervisor => {
            format!("Message #{}", confab_core::rules::channel_label(&channel.name))
        }
    };

    #[cfg(feature = "hydrate")]
    let actions = actions::start(slug.clone(), channel.clone(), me.clone(), shown);
    #[cfg(not(feature = "hydrate"))]
    let _ = (&slug, &me);

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        actions.send(draft);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            actions.send(draft);
        } else if ev.key() == "ArrowUp" && draft.with_untracked(String::is_empty) {
            // Up in an empty composer edits one's last message.
            let last = timeline.with_untracked(|t| t.last_editable(me_id));
            if last.is_some() {
                ev.prevent_default();
                editing.set(last);
            }
        }
    };
    let react = move |seq: i64, emoji: String, add: bool| {
        #[cfg(feature = "hydrate")]
        actions.react(seq, emoji, add);
        #[cfg(not(feature = "hydrate"))]
        let _ = (seq, emoji, add);
    };
    let pin = move |seq: i64, on: bool| {
        #[cfg(feature = "hydrate")]
        actions.pin(seq, on);
        #[cfg(not(feature = "hydrate"))]
        let _ = (seq, on);
    };
    let save_edit = move |seq: i64, body: String| {
        #[cfg(feature = "hydrate")]
        actions.edit_stored(seq, body, editing);
        #[cfg(not(feature = "hydrate"))]
        let _ = (seq, body);
    };
    let load_older = move |_| {
        #[cfg(feature = "hydrate")]
        actions.load_older();
    };
    let retry = move |client_id: String| {
        #[cfg(feature = "hydrate")]
        actions.retry(client_id);
        #[cfg(not(feature = "hydrate"))]
        let _ = client_id;
    };
    let delete = move |client_id: String| {
        #[cfg(feature = "hydrate")]
        actions.delete(client_id);
        #[cfg(not(feature = "hydrate"))]
        let _ = client_id;
    };
    let delete_stored = move |seq: i64| {
        #[cfg(feature = "hydrate")]
        actions.delete_stored(seq);
        #[cfg(not(feature = "hydrate"))]
        let _ = seq;
    };
    // Owners and admins may delete anyone's message, except in direct
    // conversations (the server decides; this only shows the button).
    let role = use_context::<Workspace>().map(|ws| ws.role);
    let moderates = channel.kind != ChannelKind::Direct;
    let may_delete_others = move || moderates && role.is_some_and(|r| r.get().manages_people());

    view! {
        <div class="chat" data-channel-id=channel.id>
            <div class="chat-bar">
                <p class="link-status" role="status" data-status=move || status.get().tag()>{move || status.get().label()}</p>
                <Pinned slug=slug.clone() channel=channel.name.clone() tz_offset />
            </div>
            <div class="scroller" tabindex="0" aria-label="Messages">
                <div class="scroller-inner">
                    <Show when=move || has_more.get()>
                        <button type="button" class="secondary load-older" on:click=load_older>"Load older messages"</button>
                    </Show>
                    <Show when=move || timeline.with(|t| t.is_empty())>
                        <p class="empty">"No messages yet. Say hello!"</p>
                    </Show>
                    <ol class="messages" aria-live="polite">
                        <For
                            each=move || {
                                let tz = tz_offset.get();
                                timeline.with(|t| lay_out(t.entries(), tz, first_unread))
                            }
                            key=|(e, layout)| {
                                (
                                    layout.clone(),
                                    e.message.client_id.clone(),
                                    e.message.seq,
                                    e.delivery.clone(),
                                    e.message.deleted,
                                    e.message.edited.then(|| e.message.body.clone()),
                                    e.message.reactions.clone(),
                                    e.message.pinned,
                                )
                            }
                            children=move |(e, layout): (Entry, Layout)| {
                                let m = e.message;
                                let day = layout.day.map(|name| {
                                    let label = name.clone();
                                    view! { <li class="day" role="separator" aria-label=label><span>{name}</span></li> }
                                });
                                let marker = (Some(m.seq) == first_unread).then(|| {
                                    view! { <li class="unread-marker" role="separator" aria-label="New messages">"New"</li> }
                                });
                                let marker = (day, marker);
                                match m.kind {
                                    EventKind::Message => {}
                                    // Shown on the message it deleted; a node all the
                                    // same, so the list knows where the rows around it go.
                                    EventKind::Deleted
                                    | EventKind::Edited
                                    | EventKind::ReactionAdded
                                    | EventKind::ReactionRemoved
                                    | EventKind::Pinned
                                    | EventKind::Unpinned => {
                                        return view! { <li class="event-deleted" hidden data-seq=m.seq></li> }.into_any();
                                    }
                                    EventKind::Joined | EventKind::Left => {
                                        return (marker, member_event(m, tz_offset)).into_any();
                                    }
                                }
                                let mine = me_id == Some(m.author_id);
                                let at = m.sent_at;
                                let client_id = m.client_id.clone();
                                let delivery = e.delivery;
                                let (seq, deleted) = (m.seq, m.deleted);
                                let editable = move || seq > 0 && !deleted && mine;
                                let pinned = m.pinned && !deleted;
                                let pinnable = seq > 0 && !deleted && joined;
                                let pinned_mark = pinned.then(|| view! { <span class="pinned-mark">"📌 Pinned"</span> });
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
                                let deletable = move || seq > 0 && !deleted && (mine || may_delete_others());
                                let body = if deleted {
                                    view! { <p class="body deleted">"This message was deleted."</p> }.into_any()
                                } else {
                                    let html = crate::markdown::to_html(&m.body);
                                    let text = m.body.clone();
                                    (move || {
                                        if editing.get() == Some(seq) {
                                            let on_save = Callback::new(move |body: String| save_edit(seq, body));
                                            let on_cancel = Callback::new(move |()| editing.set(None));
                                            view! { <EditForm text=text.clone() on_save on_cancel /> }.into_any()
                                        } else {
                                            view! { <div class="body formatted" dir="auto" inner_html=html.clone()></div> }.into_any()
                                        }
                                    })
                                    .into_any()
                                };
                                let reactions = (!deleted && seq > 0).then(|| {
                                    let on_toggle = Callback::new(move |(emoji, add): (String, bool)| react(seq, emoji, add));
                                    view! { <Reactions reactions=m.reactions.clone() me=me_id on_toggle /> }
                                });
                                let earlier = move || {
                                    (versions_of.get() == Some(seq)).then(|| {
                                        let (slug, channel) = (slug_here.get_value(), channel_name.get_value());
                                        view! { <EarlierVersions slug channel seq tz_offset /> }
                                    })
                                };
                                let face = avatar(m.author_id, &m.author);
                                let message = view! {
                                    <li class="msg" class:mine=mine class:deleted=deleted class:grouped=layout.grouped data-seq=m.seq>
                                        {face}
                                        <div class="meta">
                                            <span class="author">{m.author}</span>
                                            <time datetime=time::iso_utc(at) title=time::iso_utc(at)>
                                                {move || time::clock(at, tz_offset.get())}
                                            </time>
                                            {edited}
                                            {pinned_mark}
                                            {delivery_label(delivery, client_id, retry, delete)}
                                            {pinnable.then(|| {
                                                let (label, text) = if pinned { ("Unpin this message", "Unpin") } else { ("Pin this message", "Pin") };
                                                view! {
                                                    <button type="button" class="link-button pin-message" aria-label=label on:click=move |_| pin(seq, !pinned)>
                                                        {text}
                                                    </button>
                                                }
                                            })}
                                            <Show when=editable>
                                                <button
                                                    type="button"
                                                    class="link-button edit-message"
                                                    aria-label="Edit this message"
                                                    on:click=move |_| editing.set(Some(seq))
                                                >
                                                    "Edit"
                                                </button>
                                            </Show>
                                            <Show when=deletable>
                                                <button
                                                    type="button"
                                                    class="link-button delete-message"
                                                    aria-label="Delete this message"
                                                    on:click=move |_| delete_stored(seq)
                                                >
                                                    "Delete"
                                                </button>
                                            </Show>
                                        </div>
                                        {body}
                                        {earlier}
                                        {reactions}
                                    </li>
                                };
                                (marker, message).into_any()
                            }
                        />
                    </ol>
                </div>
            </div>
            <p class="typing" aria-live="polite">{move || typing.with(|t| typing_line(t))}</p>
            {move || notice.get().map(|n| view! { <p class="form-error" role="alert">{n}</p> })}
            {if joined {
                view! {
                    <form class="composer" on:submit=on_submit aria-label="Send a message">
                        <label for="composer-input">"Message"</label>
                        <div class="row">
                            <textarea
                                id="composer-input"
                                name="body"
                                rows="2"
                                maxlength=crate::protocol::MAX_MESSAGE_CHARS
                                placeholder=placeholder
                                prop:value=move || draft.get()
                                on:input=move |ev| {
                                    draft.set(event_target_value(&ev));
                                    #[cfg(feature = "hydrate")]
                                    actions.typing();
                                }
                                on:keydown=on_keydown
                            ></textarea>
                            <button type="submit">"Send"</button>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted join-hint">"Join the channel to post in it."</p> }.into_any()
            }}
        </div>
    }
}

/// A person's initials on a colour of their own (the same on every screen),
/// beside their messages.
fn avatar(user_id: i64, name: &str) -> impl IntoView + use<> {
    let mut parts = name.split(['.', '_', '-', ' ']).filter(|p| !p.is_empty());
    let initials: String = match (parts.next(), parts.next()) {
        (Some(a), Some(b)) => a.chars().take(1).chain(b.chars().take(1)).collect(),
        (Some(a), None) => a.chars().take(1).collect(),
        _ => "?".into(),
    };
    let colour = format!("avatar hue{}", user_id.rem_euclid(8));
    view! { <span class=colour aria-hidden="true">{initials.to_uppercase()}</span> }
}

/// What the chat shows, which its browser actions change.
#[derive(Clone, Copy)]
struct Shown {
    timeline: RwSignal<Timeline>,
    /// Whether older messages exist ("Load older messages").
    has_more: RwSignal<bool>,
    /// Minutes east of UTC: 0 while rendering on the server, the viewer's once hydrated.
    tz_offset: RwSignal<i32>,
    status: RwSignal<LinkStatus>,
    /// Who else is typing here, each until a few seconds after their last sign.
    typing: RwSignal<Vec<Typist>>,
    /// Why the last action failed, for the person.
    notice: RwSignal<Option<String>>,
}

/// Someone typing in the open channel, until `until` (ms since the epoch).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Typist {
    pub user_id: i64,
    pub name: String,
    pub until: f64,
}

/// "Ann is typing…", "Ann and Bob are typing…", "Several people are typing…".
fn typing_line(typists: &[Typist]) -> String {
    match typists {
        [] => String::new(),
        [one] => format!("{} is typing…", one.name),
        [a, b] => format!("{} and {} are typing…", a.name, b.name),
        _ => "Several people are typing…".to_owned(),
    }
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
    retry: impl Fn(String) + Copy + 'static,
    delete: impl Fn(String) + Copy + 'static,
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
                    <button type="button" class="link-button" on:click=move |_| retry(again.clone())>"Retry"</button>
                    <button type="button" class="link-button" on:click=move |_| delete(client_id.clone())>"Delete"</button>
                }
                .into_any(),
            )
        }
    }
}

/// The live connection as shown to the person (set in the browser only).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkStatus {
    Connecting,
    Live,
    /// Lost; reconnecting on its own.
    Reconnecting,
    /// Closed by the server for falling behind (it could not take the
    /// channel's messages fast enough); reconnecting and catching up.
    FellBehind,
    /// Refused by the server, with its reason.
    Refused(String),
}

impl LinkStatus {
    fn tag(&self) -> &'static str {
        match self {
            LinkStatus::Connecting => "connecting",
            LinkStatus::Live => "live",
            LinkStatus::Reconnecting => "reconnecting",
            LinkStatus::FellBehind => "fell-behind",
            LinkStatus::Refused(_) => "refused",
        }
    }

    fn label(&self) -> String {
        match self {
            LinkStatus::Connecting => "Connecting…".into(),
            LinkStatus::Live => "Live".into(),
            LinkStatus::Reconnecting => "Connection lost; reconnecting…".into(),
            LinkStatus::FellBehind => "This connection fell behind; catching up…".into(),
            LinkStatus::Refused(why) => format!("Live updates are off: {why}"),
        }
    }
}

/// The browser half: the Socket.IO connection and what the buttons do.
#[cfg(feature = "hydrate")]
mod actions;
mod message_edit;
mod pins;
mod reactions;
