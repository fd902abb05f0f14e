//! A channel's conversation: the message list (server-rendered history, then
//! live), "Load older messages", and the composer.
//!
//! In the browser the list is fed by the Socket.IO client ([`crate::live`]):
//! messages are kept in `seq` order and merged by `client_id`, so a message is
//! never shown twice (own echo, other tabs, catch-up after a reconnect).

use leptos::prelude::*;

use super::workspace::Workspace;
use crate::protocol::{ChannelKind, ChatMessage, EventKind, HistoryPage, User};
use crate::time;

/// Where a message shown in the list stands.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Delivery {
    /// Stored on the server (history, or someone else's live message).
    Stored,
    /// Sent from this tab, waiting for the server's acknowledgement.
    Sending,
    /// Sent from this tab and acknowledged: stored with its `seq`.
    Sent,
    /// Sent from this tab and not acknowledged; the reason, for the person.
    Failed(String),
}

/// One row of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The message; `seq == 0` until the server has stored it.
    pub message: ChatMessage,
    pub delivery: Delivery,
}

/// The rows of a channel, in display order: stored messages by `seq`, then the
/// ones still on their way, in the order they were sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    pub entries: Vec<Entry>,
    /// The `seq`s of the messages known to be deleted: a copy of one that
    /// arrives late (a page fetched before the deletion) shows it deleted too.
    deleted: std::collections::BTreeSet<i64>,
}

impl Timeline {
    pub fn from_history(messages: Vec<ChatMessage>) -> Self {
        let mut t = Timeline::default();
        for m in messages {
            t.merge(m, Delivery::Stored);
        }
        t
    }

    /// Newest stored `seq` shown (0 if none).
    pub fn last_seq(&self) -> i64 {
        self.entries.iter().map(|e| e.message.seq).max().unwrap_or(0)
    }

    /// Where to resume from: the newest `seq` below which nothing is missing
    /// (counting from the oldest shown), 0 if none is shown. A message that
    /// arrived past a gap, or this tab's own acknowledged message that came
    /// before the ones preceding it, does not move it.
    pub fn resume_point(&self) -> i64 {
        let mut seqs: Vec<i64> = self.entries.iter().map(|e| e.message.seq).filter(|s| *s > 0).collect();
        seqs.sort_unstable();
        let Some(&first) = seqs.first() else { return 0 };
        seqs.iter()
            .skip(1)
            .try_fold(first, |prev, &s| if s == prev + 1 { Ok(s) } else { Err(prev) })
            .unwrap_or_else(|p| p)
    }

    /// Oldest stored `seq` shown, for "load older".
    pub fn first_seq(&self) -> Option<i64> {
        self.entries.iter().map(|e| e.message.seq).filter(|s| *s > 0).min()
    }

    /// Adds a message this tab is sending.
    pub fn push_pending(&mut self, message: ChatMessage) {
        self.entries.push(Entry { message, delivery: Delivery::Sending });
    }

    /// Takes a message that was never stored off the list (deleted by the
    /// person after the server refused it).
    pub fn remove_unsent(&mut self, client_id: &str) {
        self.entries.retain(|e| e.message.seq > 0 || e.message.client_id != client_id);
    }

    /// Whether a message is shown stored (`Some(true)`), shown on its way
    /// (`Some(false)`), or not shown.
    pub fn stored(&self, client_id: &str) -> Option<bool> {
        self.entries.iter().find(|e| e.message.client_id == client_id).map(|e| e.message.seq > 0)
    }

    /// The messages of this tab still on their way (not refused).
    pub fn sending(&self) -> Vec<String> {
        self.entries.iter().filter(|e| e.delivery == Delivery::Sending).map(|e| e.message.client_id.clone()).collect()
    }

    /// Marks a message this tab sent.
    pub fn set_delivery(&mut self, client_id: &str, delivery: Delivery) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.message.client_id == client_id) {
            e.delivery = delivery;
        }
    }

    /// Puts a stored message in its place. A message already shown (same
    /// `client_id`, or same `seq`) is replaced, never duplicated; a pending one
    /// of this tab becomes `delivery`.
    pub fn merge(&mut self, mut message: ChatMessage, delivery: Delivery) {
        if message.kind == EventKind::Deleted
            && let Some(seq) = message.refers_to
        {
            self.mark_deleted(seq);
        }
        if message.kind == EventKind::Message && self.deleted.contains(&message.seq) {
            message.deleted = true;
            message.body.clear();
        }
        if let Some(i) = self.entries.iter().position(|e| {
            e.message.client_id == message.client_id || (e.message.seq > 0 && e.message.seq == message.seq)
        }) {
            let keep_sent =
                matches!(self.entries[i].delivery, Delivery::Sending | Delivery::Sent | Delivery::Failed(_));
            self.entries.remove(i);
            let delivery = if keep_sent { Delivery::Sent } else { delivery };
            self.insert_stored(Entry { message, delivery });
        } else {
            self.insert_stored(Entry { message, delivery });
        }
    }

    /// Shows message `seq` as deleted: its text is gone.
    pub fn mark_deleted(&mut self, seq: i64) {
        self.deleted.insert(seq);
        for e in self.entries.iter_mut().filter(|e| e.message.seq == seq && e.message.kind == EventKind::Message) {
            e.message.deleted = true;
            e.message.body.clear();
        }
    }

    /// Merges the newest page fetched after time away. If it does not reach
    /// back to what was shown, the stored messages shown are dropped, so the
    /// list never has a silent hole; "load older" brings them back in order.
    /// This tab's messages still on their way stay. Returns whether a hole was
    /// closed that way (older messages exist again).
    pub fn catch_up(&mut self, newest: Vec<ChatMessage>) -> bool {
        let known = self.last_seq();
        let oldest_fetched = newest.iter().map(|m| m.seq).min();
        let hole = oldest_fetched.is_some_and(|oldest| oldest > known + 1);
        if hole {
            self.entries.retain(|e| e.message.seq == 0);
        }
        for m in newest {
            self.merge(m, Delivery::Stored);
        }
        hole
    }

    fn insert_stored(&mut self, entry: Entry) {
        let seq = entry.message.seq;
        let at =
            self.entries.iter().position(|e| e.message.seq == 0 || e.message.seq > seq).unwrap_or(self.entries.len());
        self.entries.insert(at, entry);
    }
}

#[component]
pub fn Chat(slug: String, page: HistoryPage, me: Option<User>) -> impl IntoView {
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
    let timeline = RwSignal::new(Timeline::from_history(messages));
    let has_more = RwSignal::new(has_more);
    // Minutes east of UTC: 0 while rendering on the server, the viewer's once hydrated.
    let tz_offset = RwSignal::new(0i32);
    let status = RwSignal::new(LinkStatus::Connecting);
    // Who else is typing here, each until a few seconds after their last sign.
    let typing = RwSignal::new(Vec::<Typist>::new());
    let draft = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
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
    let actions = browser::start(
        slug.clone(),
        channel.clone(),
        me.clone(),
        timeline,
        has_more,
        tz_offset,
        status,
        notice,
        typing,
    );
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
        }
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
            <p class="link-status" role="status" data-status=move || status.get().tag()>{move || status.get().label()}</p>
            <div class="scroller" tabindex="0" aria-label="Messages">
                <div class="scroller-inner">
                    <Show when=move || has_more.get()>
                        <button type="button" class="secondary load-older" on:click=load_older>"Load older messages"</button>
                    </Show>
                    <Show when=move || timeline.with(|t| t.entries.is_empty())>
                        <p class="empty">"No messages yet. Say hello!"</p>
                    </Show>
                    <ol class="messages" aria-live="polite">
                        <For
                            each=move || timeline.get().entries
                            key=|e| (e.message.client_id.clone(), e.message.seq, e.delivery.clone(), e.message.deleted)
                            children=move |e: Entry| {
                                let m = e.message;
                                let marker = (Some(m.seq) == first_unread).then(|| {
                                    view! { <li class="unread-marker" role="separator">"New"</li> }
                                });
                                match m.kind {
                                    EventKind::Message => {}
                                    // Shown on the message it deleted; a node all the
                                    // same, so the list knows where the rows around it go.
                                    EventKind::Deleted => {
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
                                let deletable = move || seq > 0 && !deleted && (mine || may_delete_others());
                                let body = if deleted {
                                    view! { <p class="body deleted">"This message was deleted."</p> }.into_any()
                                } else {
                                    view! { <p class="body">{m.body}</p> }.into_any()
                                };
                                let message = view! {
                                    <li class="msg" class:mine=mine class:deleted=deleted data-seq=m.seq>
                                        <div class="meta">
                                            <span class="author">{m.author}</span>
                                            <time datetime=time::iso_utc(at) title=time::iso_utc(at)>
                                                {move || time::clock(at, tz_offset.get())}
                                            </time>
                                            {delivery_label(delivery, client_id, retry, delete)}
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

/// Someone typing in the open channel, until `until` (ms since the epoch).
#[derive(Clone, Debug, PartialEq)]
pub struct Typist {
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

/// The live connection as shown to the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkStatus {
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
mod browser {
    use std::collections::HashSet;
    use std::time::Duration;

    use gloo_timers::future::TimeoutFuture;
    use leptos::prelude::*;
    use leptos::task::spawn_local;

    use super::{Delivery, LinkStatus, Timeline, Typist};
    use crate::api::channels::{delete_message, history};
    use crate::components::channel_list::Unread;
    use crate::components::workspace::Workspace;
    use crate::errors::ErrorCode;
    use crate::live::{LiveClient, LiveEvent};
    use crate::outbox;
    use crate::protocol::{Channel, ChatMessage, EventKind, HISTORY_PAGE_SIZE, User, events};
    use confab_core::rules as validate;

    /// How long a join waits for its acknowledgement.
    const ACK_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a send waits for its acknowledgement before it is sent
    /// again (it waits this long for a connection, too).
    const SEND_TIMEOUT: Duration = Duration::from_secs(15);
    /// How long a message the server found too fast waits to go again.
    const RATE_LIMITED_PAUSE_MS: u32 = 1500;
    /// How long someone shows as typing after their last sign of it.
    const TYPING_SHOWN_MS: f64 = 4000.0;
    /// How often at most this tab says its person is typing.
    const TYPING_EVERY_MS: f64 = 2500.0;

    /// What the chat's buttons and keys do in the browser.
    #[derive(Clone, Copy)]
    pub struct Actions {
        client: StoredValue<LiveClient, LocalStorage>,
        slug: StoredValue<String>,
        channel: StoredValue<Channel>,
        me: StoredValue<Option<User>>,
        timeline: RwSignal<Timeline>,
        has_more: RwSignal<bool>,
        status: RwSignal<LinkStatus>,
        notice: RwSignal<Option<String>>,
        /// The sidebar's counts.
        unread: Unread,
        /// The newest `seq` this tab has told the server it has read.
        read_up_to: StoredValue<i64>,
        /// When this tab last said its person is typing (ms since the epoch).
        typing_sent: StoredValue<f64>,
        /// The messages being sent now, by client id.
        in_flight: StoredValue<HashSet<String>>,
    }

    #[allow(clippy::too_many_arguments)]
    pub fn start(
        slug: String,
        channel: Channel,
        me: Option<User>,
        timeline: RwSignal<Timeline>,
        has_more: RwSignal<bool>,
        tz_offset: RwSignal<i32>,
        status: RwSignal<LinkStatus>,
        notice: RwSignal<Option<String>>,
        typing: RwSignal<Vec<Typist>>,
    ) -> Actions {
        // `getTimezoneOffset` is minutes *west* of UTC.
        tz_offset.set(-(js_sys::Date::new_0().get_timezone_offset() as i32));
        let channel_id = channel.id;
        let read_up_to = StoredValue::new(channel.last_read_seq);
        let ws = expect_context::<Workspace>();
        let client = ws.live();
        let actions = Actions {
            client: StoredValue::new_local(client.clone()),
            slug: StoredValue::new(slug),
            channel: StoredValue::new(channel),
            me: StoredValue::new(me),
            timeline,
            has_more,
            status,
            notice,
            unread: ws.unread,
            read_up_to,
            typing_sent: StoredValue::new(0.0),
            in_flight: StoredValue::new(HashSet::new()),
        };
        // Once the list has hydrated as the server rendered it (adding to it
        // before would not match the server's HTML).
        Effect::new(move |_| actions.resume_outbox());
        let my_id = actions.me.with_value(|m| m.as_ref().map(|u| u.id));
        ws.on_live(move |event| match event {
            // "Live" once the socket is in the channel's room, not before.
            LiveEvent::Connected => {
                actions.join_and_catch_up();
                // What waited for the connection goes out now.
                for client_id in timeline.with_untracked(|t| t.sending()) {
                    actions.deliver(client_id);
                }
            }
            // Closed after falling behind: say so until it has caught up.
            LiveEvent::Disconnected(_) if status.get_untracked() == LinkStatus::FellBehind => {}
            LiveEvent::Disconnected(_) => status.set(LinkStatus::Reconnecting),
            LiveEvent::Event { name, .. } if name == events::FELL_BEHIND => status.set(LinkStatus::FellBehind),
            LiveEvent::Refused(why) => status.set(LinkStatus::Refused(why)),
            LiveEvent::Event { name, data } if name == events::MESSAGE => {
                if let Ok(m) = serde_json::from_value::<ChatMessage>(data)
                    && m.channel_id == channel_id
                {
                    // The server sends a channel's messages in order with no
                    // gap; should one ever show up anyway, resume from before it.
                    let known = timeline.with_untracked(|t| t.last_seq());
                    let gap = known > 0 && m.seq > known + 1;
                    // Their message is here: they are done typing it.
                    typing.update(|t| t.retain(|x| x.user_id != m.author_id));
                    actions.unread.seen(channel_id, m.seq);
                    timeline.update(|t| t.merge(m, Delivery::Stored));
                    if gap {
                        actions.join_and_catch_up();
                    } else {
                        actions.mark_read();
                    }
                }
            }
            LiveEvent::Event { name, data } if name == events::TYPING => {
                if let Ok(t) = serde_json::from_value::<events::Typing>(data)
                    && t.channel_id == channel_id
                    && Some(t.user_id) != my_id
                {
                    let until = js_sys::Date::now() + TYPING_SHOWN_MS;
                    typing.update(|list| match list.iter_mut().find(|x| x.user_id == t.user_id) {
                        Some(x) => x.until = until,
                        None => list.push(Typist { user_id: t.user_id, name: t.username, until }),
                    });
                }
            }
            // Read on another device (or this one): counts follow.
            // (The workspace keeps the counts.)
            LiveEvent::Event { name, data } if name == events::READ => {
                if let Ok(cursor) = serde_json::from_value::<events::ReadCursor>(data)
                    && cursor.channel_id == channel_id
                {
                    read_up_to.update_value(|r| *r = (*r).max(cursor.last_read_seq));
                }
            }
            LiveEvent::Event { .. } => {}
        });
        // Coming back to the tab reads what arrived meanwhile.
        let focus = window_event_listener(leptos::ev::focus, move |_| actions.mark_read());
        // "Typing" fades a few seconds after the last sign of it.
        let fade = set_interval_with_handle(
            move || {
                let now = js_sys::Date::now();
                if typing.with_untracked(|t| t.iter().any(|x| x.until <= now)) {
                    typing.update(|t| t.retain(|x| x.until > now));
                }
            },
            Duration::from_millis(500),
        )
        .ok();
        on_cleanup(move || {
            focus.remove();
            if let Some(fade) = fade {
                fade.clear();
            }
        });
        // Already connected (the workspace's connection came up first): the
        // room is joined now, not at the next reconnect.
        if client.is_connected() {
            actions.join_and_catch_up();
        }
        actions
    }

    impl Actions {
        fn client(&self) -> LiveClient {
            self.client.get_value()
        }

        /// Whether the chat is still on the page: an answer may come after
        /// the person opened another channel, and then is dropped.
        fn alive(self) -> bool {
            self.channel.try_with_value(|_| ()).is_some()
        }

        /// Subscribes to the channel's room, resuming after the newest message
        /// shown: the server answers with what was missed, a page at a time,
        /// before any live message, so nothing is lost or shown twice and
        /// "Load older" is needed only to read further back. If the server
        /// says the channel does not continue from there (`reset`), the
        /// newest messages are loaded again.
        fn join_and_catch_up(self) {
            let channel_id = self.channel.with_value(|c| c.id);
            spawn_local(async move {
                // From the newest seq with nothing missing below it; then page
                // on from where the server's last page ended (live messages
                // may already be arriving past it).
                let mut after = self.timeline.with_untracked(|t| t.resume_point());
                let client = self.client();
                loop {
                    let request = events::JoinRequest { channel_id, after_seq: Some(after) };
                    let joined: Result<events::Joined, _> = client.request(events::JOIN, &request, ACK_TIMEOUT).await;
                    if !self.alive() {
                        return;
                    }
                    match joined {
                        Ok(j) if j.reset => {
                            self.timeline.update(|t| t.entries.retain(|e| e.message.seq == 0));
                            self.fetch_newest().await;
                            if self.alive() {
                                self.status.set(LinkStatus::Live);
                                self.mark_read();
                            }
                            return;
                        }
                        Ok(j) => {
                            after = j.missed.last().map_or(after, |m| m.seq);
                            self.timeline.update(|t| {
                                for m in j.missed {
                                    t.merge(m, Delivery::Stored);
                                }
                            });
                            if !j.more {
                                self.status.set(LinkStatus::Live);
                                self.mark_read();
                                return;
                            }
                        }
                        Err(e) => {
                            self.notice.set(Some(e.message));
                            return;
                        }
                    }
                }
            });
        }

        /// Tells the server (and so this person's other devices) that the
        /// channel is read up to the newest message shown with none missing
        /// below it; only for a joined channel, while the tab is in view.
        fn mark_read(self) {
            let (channel_id, joined) = self.channel.with_value(|c| (c.id, c.joined));
            let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
            let seq = self.timeline.with_untracked(|t| t.resume_point());
            if !joined || hidden || seq <= self.read_up_to.get_value() {
                return;
            }
            self.read_up_to.set_value(seq);
            self.unread.seen(channel_id, seq);
            self.unread.read(channel_id, seq);
            let client = self.client();
            spawn_local(async move {
                let request = events::ReadRequest { channel_id, seq };
                let answer: Result<events::ReadCursor, _> = client.request(events::READ, &request, ACK_TIMEOUT).await;
                if let Err(e) = answer {
                    // Not worth a notice: the next message or visit tries again.
                    leptos::logging::debug_warn!("marking #{channel_id} read failed: {}", e.message);
                    self.read_up_to.update_value(|r| *r = (*r).min(seq - 1));
                }
            });
        }

        async fn fetch_newest(self) {
            let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
            match history(slug, name, None, Some(HISTORY_PAGE_SIZE * 4)).await {
                Ok(page) => {
                    if self.timeline.try_update(|t| t.catch_up(page.messages)).unwrap_or(false) {
                        self.has_more.set(true);
                    }
                }
                Err(e) => self.notice.set(Some(e.message)),
            }
        }

        pub fn load_older(self) {
            let Some(before) = self.timeline.with_untracked(|t| t.first_seq()) else { return };
            let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
            spawn_local(async move {
                match history(slug, name, Some(before), None).await {
                    Ok(page) => {
                        self.has_more.set(page.has_more);
                        self.timeline.update(|t| {
                            for m in page.messages {
                                t.merge(m, Delivery::Stored);
                            }
                        });
                    }
                    Err(e) => self.notice.set(Some(e.message)),
                }
            });
        }

        /// Tells the others in the channel this person is typing, at most
        /// every few seconds, while the connection is up (volatile).
        pub fn typing(self) {
            let now = js_sys::Date::now();
            if !self.channel.with_value(|c| c.joined) || now - self.typing_sent.get_value() < TYPING_EVERY_MS {
                return;
            }
            self.typing_sent.set_value(now);
            let channel_id = self.channel.with_value(|c| c.id);
            self.client().emit_volatile(events::TYPING, &events::TypingRequest { channel_id });
        }

        /// Sends the draft: shows it at once as "sending…" and keeps it in
        /// the outbox until the server has it; then "sent", or why not.
        pub fn send(self, draft: RwSignal<String>) {
            // The next keystroke is news again.
            self.typing_sent.set_value(0.0);
            let body = match validate::message_body(&draft.get_untracked()) {
                Ok(b) => b,
                Err(e) => {
                    self.notice.set(Some(e.to_string()));
                    return;
                }
            };
            let Some(me) = self.me.get_value() else { return };
            self.notice.set(None);
            draft.set(String::new());
            let message = ChatMessage {
                kind: EventKind::Message,
                id: 0,
                channel_id: self.channel.with_value(|c| c.id),
                seq: 0,
                client_id: uuid::Uuid::new_v4().to_string(),
                author_id: me.id,
                author: me.username,
                body,
                sent_at: js_sys::Date::now() as i64,
                refers_to: None,
                deleted: false,
            };
            let client_id = message.client_id.clone();
            self.stash(|o| o.put(message.clone()));
            self.timeline.update(|t| t.push_pending(message));
            self.deliver(client_id);
        }

        /// Shows what the outbox holds for this channel (written before a
        /// reload, or in another tab) and sends what was not refused.
        pub fn resume_outbox(self) {
            let Some(me) = self.me.with_value(|m| m.as_ref().map(|u| u.id)) else { return };
            let channel_id = self.channel.with_value(|c| c.id);
            let slug = self.slug.get_value();
            for parcel in outbox::storage::load(me, &slug).of_channel(channel_id) {
                let client_id = parcel.message.client_id.clone();
                match self.timeline.with_untracked(|t| t.stored(&client_id)) {
                    // Stored already (its answer was lost with the page).
                    Some(true) => {
                        self.stash(|o| o.remove(&client_id));
                        continue;
                    }
                    // Shown already (by this tab).
                    Some(false) => continue,
                    None => {}
                }
                self.timeline.update(|t| {
                    t.push_pending(parcel.message);
                    if let Some(why) = parcel.refused.clone() {
                        t.set_delivery(&client_id, Delivery::Failed(why));
                    }
                });
                if parcel.refused.is_none() {
                    self.deliver(client_id);
                }
            }
        }

        /// Sends a refused message again, with the same id (so never twice).
        pub fn retry(self, client_id: String) {
            self.timeline.update(|t| t.set_delivery(&client_id, Delivery::Sending));
            self.stash(|o| o.retry(&client_id));
            self.deliver(client_id);
        }

        /// Deletes a stored message for everyone, once the person confirms.
        pub fn delete_stored(self, seq: i64) {
            let sure = window().confirm_with_message("Delete this message for everyone?").unwrap_or(false);
            if !sure {
                return;
            }
            let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
            spawn_local(async move {
                match delete_message(slug, name, seq).await {
                    Ok(()) => {
                        let _ = self.timeline.try_update(|t| t.mark_deleted(seq));
                    }
                    Err(e) => {
                        let _ = self.notice.try_set(Some(e.message));
                    }
                }
            });
        }

        /// Deletes a refused message: it is not sent.
        pub fn delete(self, client_id: String) {
            self.timeline.update(|t| t.remove_unsent(&client_id));
            self.stash(|o| o.remove(&client_id));
        }

        /// Changes this person's outbox for this organization.
        fn stash(self, change: impl FnOnce(&mut outbox::Outbox)) {
            if let Some((me, slug)) = self.outbox_key() {
                outbox::storage::update(me, &slug, change);
            }
        }

        /// Whose outbox, in which organization (`None` once the page is gone).
        fn outbox_key(self) -> Option<(i64, String)> {
            let me = self.me.try_with_value(|m| m.as_ref().map(|u| u.id)).flatten()?;
            Some((me, self.slug.try_get_value()?))
        }

        /// Sends a message of the list (once at a time): acknowledged, it is
        /// "sent"; refused, it says why. When the connection fails first, it
        /// stays "sending…" and goes out again once the connection is back;
        /// when the server says "too fast", again after a pause. The page may
        /// be gone by the time the answer comes (the person opened another
        /// channel): the outbox is still kept right, the list no longer.
        fn deliver(self, client_id: String) {
            if !self.in_flight.try_update_value(|f| f.insert(client_id.clone())).unwrap_or(false) {
                return;
            }
            let request = self.timeline.with_untracked(|t| {
                t.entries.iter().find(|e| e.message.client_id == client_id).map(|e| events::SendRequest {
                    channel_id: e.message.channel_id,
                    client_id: e.message.client_id.clone(),
                    body: e.message.body.clone(),
                })
            });
            let (Some(req), Some(key)) = (request, self.outbox_key()) else {
                self.in_flight.update_value(|f| {
                    f.remove(&client_id);
                });
                return;
            };
            let client = self.client();
            spawn_local(async move {
                let answer = client.request::<_, ChatMessage>(events::SEND, &req, SEND_TIMEOUT).await;
                let stash = |change: &dyn Fn(&mut outbox::Outbox)| outbox::storage::update(key.0, &key.1, change);
                let _ = self.in_flight.try_update_value(|f| f.remove(&req.client_id));
                match answer {
                    Ok(stored) => {
                        stash(&|o| o.remove(&req.client_id));
                        let _ = self.timeline.try_update(|t| t.merge(stored, Delivery::Sent));
                    }
                    // Not answered: still on its way; sent again when the
                    // connection is back (or now, if it already is).
                    Err(e) if e.code == ErrorCode::Transport => {
                        if client.is_connected() && self.timeline.try_with_untracked(|_| ()).is_some() {
                            self.deliver(req.client_id);
                        }
                    }
                    // A burst (a full outbox going out at once): again soon.
                    Err(e) if e.code == ErrorCode::RateLimited => {
                        TimeoutFuture::new(RATE_LIMITED_PAUSE_MS).await;
                        if self.timeline.try_with_untracked(|_| ()).is_some() {
                            self.deliver(req.client_id);
                        }
                    }
                    Err(e) => {
                        stash(&|o| o.refuse(&req.client_id, &e.message));
                        let _ =
                            self.timeline.try_update(|t| t.set_delivery(&req.client_id, Delivery::Failed(e.message)));
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(seq: i64, client_id: &str) -> ChatMessage {
        ChatMessage {
            id: seq,
            channel_id: 1,
            seq,
            kind: EventKind::Message,
            client_id: client_id.into(),
            author_id: 1,
            author: "a".into(),
            body: "hi".into(),
            sent_at: 0,
            refers_to: None,
            deleted: false,
        }
    }

    fn seqs(t: &Timeline) -> Vec<i64> {
        t.entries.iter().map(|e| e.message.seq).collect()
    }

    #[test]
    fn catching_up_never_leaves_a_hole() {
        // Away for a few messages: the newest page reaches back; all kept.
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        assert!(!t.catch_up(vec![msg(2, "b"), msg(3, "c"), msg(4, "d")]));
        assert_eq!(seqs(&t), vec![1, 2, 3, 4]);

        // Away for longer than a page: what was shown goes (it is older than
        // the gap), this tab's unsent message stays, "load older" refills.
        t.push_pending(msg(0, "mine"));
        assert!(t.catch_up(vec![msg(500, "x"), msg(501, "y")]));
        assert_eq!(seqs(&t), vec![500, 501, 0]);
        assert_eq!(t.first_seq(), Some(500));

        // Nothing new: nothing changes.
        assert!(!t.catch_up(vec![]));
        assert_eq!(seqs(&t), vec![500, 501, 0]);
    }

    #[test]
    fn a_deletion_wipes_the_message_it_names_and_keeps_its_place() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        let deletion =
            ChatMessage { kind: EventKind::Deleted, refers_to: Some(1), body: String::new(), ..msg(3, "s:1") };
        t.merge(deletion.clone(), Delivery::Stored);
        let first = &t.entries[0].message;
        assert!(first.deleted && first.body.is_empty());
        assert!(!t.entries[1].message.deleted, "only the one it names");
        assert_eq!((seqs(&t), t.resume_point()), (vec![1, 2, 3], 3), "the deletion is in the stream too");
        // Heard again (another tab's echo, a catch-up): nothing more changes.
        t.merge(deletion, Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        // A copy fetched before the deletion, arriving after it, stays deleted.
        t.merge(msg(1, "a"), Delivery::Stored);
        assert!(t.entries[0].message.deleted && t.entries[0].message.body.is_empty());
        // A deletion heard before its message (a page loaded later) too.
        let mut t = Timeline::from_history(vec![msg(5, "e")]);
        t.merge(ChatMessage { kind: EventKind::Deleted, refers_to: Some(4), ..msg(6, "s:2") }, Delivery::Stored);
        t.merge(msg(4, "d"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![4, 5, 6]);
        assert!(t.entries[0].message.deleted && !t.entries[1].message.deleted);
    }

    #[test]
    fn merges_in_order_without_duplicates() {
        let mut t = Timeline::from_history(vec![msg(1, "a"), msg(2, "b")]);
        t.merge(msg(4, "d"), Delivery::Stored);
        t.merge(msg(3, "c"), Delivery::Stored);
        t.merge(msg(3, "c"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3, 4]);
        assert_eq!(t.last_seq(), 4);
        assert_eq!(t.first_seq(), Some(1));
    }

    #[test]
    fn resumes_from_before_the_first_gap() {
        let mut t = Timeline::default();
        assert_eq!(t.resume_point(), 0);
        t = Timeline::from_history(vec![msg(3, "a"), msg(4, "b")]);
        assert_eq!(t.resume_point(), 4);
        // A live message past a gap, or an own ack ahead of others: not yet.
        t.merge(msg(7, "g"), Delivery::Stored);
        t.push_pending(msg(0, "mine"));
        assert_eq!(t.resume_point(), 4);
        t.merge(msg(5, "e"), Delivery::Stored);
        t.merge(msg(6, "f"), Delivery::Stored);
        assert_eq!(t.resume_point(), 7);
    }

    #[test]
    fn pending_becomes_sent_in_place() {
        let mut t = Timeline::from_history(vec![msg(1, "a")]);
        t.push_pending(msg(0, "mine"));
        t.merge(msg(2, "other"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 0]);
        t.merge(msg(3, "mine"), Delivery::Sent);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        assert_eq!(t.entries[2].delivery, Delivery::Sent);
        // The echo of our own message from another tab changes nothing.
        t.merge(msg(3, "mine"), Delivery::Stored);
        assert_eq!(seqs(&t), vec![1, 2, 3]);
        assert_eq!(t.entries[2].delivery, Delivery::Sent);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        /// A channel of `n` messages, each delivered at least once and some
        /// several times (live, in a resume page, as this tab's own ack), in
        /// any order; some were sent from this tab and shown as pending first.
        fn deliveries() -> impl Strategy<Value = (i64, Vec<i64>, Vec<bool>)> {
            (1i64..60).prop_flat_map(|n| {
                (proptest::collection::vec(1..=n, 0..60), proptest::collection::vec(any::<bool>(), n as usize))
                    .prop_flat_map(move |(again, mine)| {
                        let mut all: Vec<i64> = (1..=n).collect();
                        all.extend(again);
                        (Just(n), Just(all).prop_shuffle(), Just(mine))
                    })
            })
        }

        proptest! {
            #[test]
            fn each_message_shows_once_in_order((n, order, mine) in deliveries()) {
                let is_mine = |seq: i64| mine[(seq - 1) as usize];
                let mut t = Timeline::default();
                for seq in (1..=n).filter(|s| is_mine(*s)) {
                    t.push_pending(msg(0, &format!("c{seq}")));
                }
                for seq in order {
                    let delivery = if is_mine(seq) { Delivery::Sent } else { Delivery::Stored };
                    t.merge(msg(seq, &format!("c{seq}")), delivery);
                }
                prop_assert_eq!(seqs(&t), (1..=n).collect::<Vec<_>>());
                for e in &t.entries {
                    let expected = if is_mine(e.message.seq) { Delivery::Sent } else { Delivery::Stored };
                    prop_assert_eq!(&e.delivery, &expected);
                }
                prop_assert_eq!(t.last_seq(), n);
            }

            /// Pages merged after a reconnect, whatever was shown before and
            /// however they overlap, never leave a hole below the newest shown.
            #[test]
            fn catching_up_never_leaves_a_silent_hole(shown in 0i64..40, newest_from in 1i64..80, len in 0i64..30) {
                let mut t = Timeline::from_history((1..=shown).map(|s| msg(s, &format!("c{s}"))).collect());
                let page: Vec<ChatMessage> =
                    (newest_from..newest_from + len).map(|s| msg(s, &format!("c{s}"))).collect();
                t.catch_up(page);
                let got = seqs(&t);
                if let (Some(first), Some(last)) = (got.first(), got.last()) {
                    prop_assert_eq!(got.clone(), (*first..=*last).collect::<Vec<_>>(), "contiguous");
                }
            }
        }
    }
}
