//! A channel's conversation: the message list (server-rendered history, then
//! live; each row by [`message_row`]), "Load older messages", editing one's
//! own messages ([`message_edit`]), reactions ([`reactions`]), pins
//! ([`pins`]), the composer, and the thread open beside it
//! ([`thread_pane`], named by the page's `?thread=` query).
//!
//! The list shows the channel's [`Timeline`]; in the browser it is fed by the
//! workspace's live connection ([`actions`]), so a message is never shown
//! twice (own echo, other tabs, catch-up after a reconnect).

use leptos::prelude::*;

use leptos_router::hooks::use_query_map;

use crate::protocol::{ChannelKind, EventKind, HistoryPage, User};
use crate::state::layout::{Layout, lay_out};
use crate::state::timeline::{Entry, Timeline};
use crate::state::unread::counts_in_channel;
use crate::state::workspace::Workspace;
use attachments::{PictureViewer, Viewing};
use mention_picker::{MentionPicker, Suggest};
use message_row::Rows;
use pins::Pinned;
use thread_pane::{ThreadPane, ThreadShown};
use uploads::{AttachButton, UploadList, Uploads};

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
                && counts_in_channel(m)
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
        thread: ThreadShown::new(),
        receipts: RwSignal::new(None),
    };
    let Shown { timeline, has_more, tz_offset, status, typing, notice, thread, receipts } = shown;
    // The thread open beside the channel, as the page's address names it.
    let query = use_query_map();
    let thread_param = Memo::new(move |_| query.read().get("thread").and_then(|t| t.parse::<i64>().ok()));
    thread.root.set(thread_param.get_untracked());
    // The message the address points at (a search result), marked once shown.
    let at_param = Memo::new(move |_| query.read().get("at").and_then(|t| t.parse::<i64>().ok()));
    let found = RwSignal::new(None::<i64>);
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
    // The thread the address names opens (again) whenever it changes.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| actions.open_thread(thread_param.get()));
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(seq) = at_param.get() {
            actions.reveal(seq, found);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (&slug, &me, at_param);

    let uploads = Uploads::new(slug.clone(), channel.name.clone());
    let viewing = Viewing(RwSignal::new(None));
    provide_context(viewing);
    // A file dropped anywhere but the chat is not opened in place of the
    // page (losing the draft and the uploads under way).
    #[cfg(feature = "hydrate")]
    {
        let holds_files = |ev: &leptos::ev::DragEvent| {
            ev.data_transfer().is_some_and(|d| d.types().iter().any(|t| t.as_string().as_deref() == Some("Files")))
        };
        let over = window_event_listener(leptos::ev::dragover, move |ev| {
            if holds_files(&ev) {
                ev.prevent_default();
            }
        });
        let dropped = window_event_listener(leptos::ev::drop, move |ev| {
            if holds_files(&ev) {
                ev.prevent_default();
            }
        });
        on_cleanup(move || {
            over.remove();
            dropped.remove();
        });
    }
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        actions.send(draft, uploads);
    };
    // Files pasted into the composer or dropped on the chat go with the
    // next message.
    let dropping = RwSignal::new(false);
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        // Files alone (a screenshot); text with a picture of it (a sheet's
        // cells) pastes as text.
        #[cfg(feature = "hydrate")]
        if let Some(data) = ev.clipboard_data()
            && data.get_data("text/plain").unwrap_or_default().is_empty()
            && let Some(files) = data.files().filter(|f| f.length() > 0)
        {
            ev.prevent_default();
            uploads.add(Some(files));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        dropping.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(files) = ev.data_transfer().and_then(|d| d.files()).filter(|f| f.length() > 0) {
            ev.prevent_default();
            uploads.add(Some(files));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let suggest = Suggest::new(draft);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if suggest.key(&ev.key()) {
            // Picking a name to mention.
            ev.prevent_default();
        } else if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            #[cfg(feature = "hydrate")]
            actions.send(draft, uploads);
        } else if ev.key() == "ArrowUp" && draft.with_untracked(String::is_empty) {
            // Up in an empty composer edits one's last message.
            let last = timeline.with_untracked(|t| t.last_editable(me_id));
            if last.is_some() {
                ev.prevent_default();
                editing.set(last);
            }
        }
    };
    let load_older = move |_| {
        #[cfg(feature = "hydrate")]
        actions.load_older();
    };
    // Owners and admins may delete anyone's message, except in direct
    // conversations (the server decides; this only shows the button).
    let role = use_context::<Workspace>().map(|ws| ws.role);
    let moderates = channel.kind != ChannelKind::Direct;
    let may_delete_others = Signal::derive(move || moderates && role.is_some_and(|r| r.get().manages_people()));
    let rows = Rows {
        slug: slug_here,
        channel_name,
        me: me_id,
        joined,
        tz_offset,
        editing,
        versions_of,
        actions_open: RwSignal::new(None),
        found,
        may_delete_others,
        in_thread: false,
        on_react: Callback::new(move |(seq, emoji, add): (i64, String, bool)| {
            #[cfg(feature = "hydrate")]
            actions.react(seq, emoji, add);
            #[cfg(not(feature = "hydrate"))]
            let _ = (seq, emoji, add);
        }),
        on_pin: Callback::new(move |(seq, on): (i64, bool)| {
            #[cfg(feature = "hydrate")]
            actions.pin(seq, on);
            #[cfg(not(feature = "hydrate"))]
            let _ = (seq, on);
        }),
        on_save_edit: Callback::new(move |(seq, body): (i64, String)| {
            #[cfg(feature = "hydrate")]
            actions.edit_stored(seq, body, editing);
            #[cfg(not(feature = "hydrate"))]
            let _ = (seq, body);
        }),
        on_delete: Callback::new(move |seq: i64| {
            #[cfg(feature = "hydrate")]
            actions.delete_stored(seq);
            #[cfg(not(feature = "hydrate"))]
            let _ = seq;
        }),
        on_retry: Callback::new(move |client_id: String| {
            #[cfg(feature = "hydrate")]
            actions.retry(client_id);
            #[cfg(not(feature = "hydrate"))]
            let _ = client_id;
        }),
        on_forget: Callback::new(move |client_id: String| {
            #[cfg(feature = "hydrate")]
            actions.delete(client_id);
            #[cfg(not(feature = "hydrate"))]
            let _ = client_id;
        }),
    };
    let thread_rows = Rows { in_thread: true, ..rows };
    let channel_label = match channel.kind {
        ChannelKind::Direct => "this conversation".to_owned(),
        _ => format!("#{}", confab_core::rules::channel_label(&channel.name)),
    };
    let on_reply = Callback::new(move |(body, in_channel): (RwSignal<String>, bool)| {
        #[cfg(feature = "hydrate")]
        actions.send_reply(body, in_channel);
        #[cfg(not(feature = "hydrate"))]
        let _ = (body, in_channel);
    });
    let on_follow = Callback::new(move |follow: bool| {
        #[cfg(feature = "hydrate")]
        actions.follow_thread(follow);
        #[cfg(not(feature = "hydrate"))]
        let _ = follow;
    });
    let thread_open = move || thread.root.get().is_some();

    view! {
        <div class="chat" class:thread-open=thread_open data-channel-id=channel.id>
            <div
                class="chat-main"
                class:dropping=move || dropping.get()
                on:dragover=move |ev| {
                    if joined {
                        ev.prevent_default();
                        dropping.set(true);
                    }
                }
                on:dragleave=move |_| dropping.set(false)
                on:drop=on_drop
            >
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
                                timeline.with(|t| {
                                    let shown: Vec<Entry> = t.entries().iter().filter(|e| in_channel_view(e)).cloned().collect();
                                    lay_out(&shown, tz, first_unread)
                                })
                            }
                            key=|(e, layout)| message_row::key(e, layout)
                            children=move |(e, layout): (Entry, Layout)| message_row::row(e, layout, first_unread, rows)
                        />
                    </ol>
                    <p class="seen" aria-live="polite">{move || seen_line(timeline, receipts, me_id)}</p>
                </div>
            </div>
            <p class="typing" aria-live="polite">{move || typing.with(|t| typing_line(t))}</p>
            {move || notice.get().map(|n| view! { <p class="form-error" role="alert">{n}</p> })}
            {if joined {
                view! {
                    <form class="composer" on:submit=on_submit aria-label="Send a message">
                        <label for="composer-input">"Message"</label>
                        <UploadList uploads />
                        <div class="row">
                            <AttachButton uploads />
                            <textarea
                                id="composer-input"
                                name="body"
                                rows="2"
                                maxlength=crate::protocol::MAX_MESSAGE_CHARS
                                placeholder=placeholder
                                prop:value=move || draft.get()
                                on:input=move |ev| {
                                    draft.set(event_target_value(&ev));
                                    suggest.typed();
                                    #[cfg(feature = "hydrate")]
                                    actions.typing();
                                }
                                on:keydown=on_keydown
                                on:paste=on_paste
                            ></textarea>
                            <button type="submit">"Send"</button>
                        </div>
                        <MentionPicker suggest />
                    </form>
                }.into_any()
            } else {
                view! { <p class="muted join-hint">"Join the channel to post in it."</p> }.into_any()
            }}
            </div>
            <PictureViewer viewing />
            {move || thread.root.get().map(|root| view! {
                <ThreadPane root thread rows=thread_rows channel_label=channel_label.clone() on_reply on_follow />
            })}
        </div>
    }
}

/// "Seen by …" under the person's newest message of the channel: who else
/// has read up to it (where the channel shows read receipts).
fn seen_line(
    timeline: RwSignal<Timeline>,
    receipts: RwSignal<Option<std::collections::HashMap<i64, i64>>>,
    me: Option<i64>,
) -> Option<String> {
    let me = me?;
    let mine = timeline.with(|t| {
        t.entries()
            .iter()
            .rev()
            .find(|e| e.message.kind == EventKind::Message && e.message.seq > 0 && in_channel_view(e))
            .filter(|e| e.message.author_id == me)
            .map(|e| e.message.seq)
    })?;
    let ws = use_context::<Workspace>();
    let mut names: Vec<String> = receipts.with(|r| {
        let readers = r.as_ref()?.iter().filter(|(user, at)| **user != me && **at >= mine);
        Some(readers.map(|(user, _)| ws.and_then(|ws| ws.name_of(*user)).unwrap_or_else(|| "someone".into())).collect())
    })?;
    if names.is_empty() {
        return None;
    }
    names.sort();
    Some(format!("Seen by {}", names.join(", ")))
}

/// Whether a row shows in the channel's list: a reply shows in its thread
/// only, unless it was also sent to the channel.
fn in_channel_view(e: &Entry) -> bool {
    e.message.kind != EventKind::Message || e.message.thread_of.is_none() || e.message.in_channel
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
    /// The thread open beside the channel.
    thread: ThreadShown,
    /// How far each person has read the channel (by user id), where it
    /// shows read receipts.
    receipts: RwSignal<Option<std::collections::HashMap<i64, i64>>>,
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
mod attachments;
mod long_press;
mod mention_picker;
mod message_edit;
mod message_row;
mod pins;
mod reactions;
mod thread_pane;
mod uploads;
