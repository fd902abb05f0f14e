//! What a channel's chat does in the browser: it joins the channel's room
//! on the workspace's live connection (resuming after the newest message
//! shown), merges what arrives into the timeline, marks the channel read,
//! says when its person is typing, sends the composer's messages through
//! the outbox (so none is lost or sent twice), loads older messages and
//! deletes them; the open thread's part is [`threads`].

use std::collections::HashSet;
use std::time::Duration;

use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::thread_pane::ThreadShown;
use super::uploads::Uploads;
use super::{LinkStatus, Shown, Typist};
use crate::api::channels::{delete_message, history};
use crate::api::message_edits::{edit_message, pin, react};
use crate::errors::ErrorCode;
use crate::live::{LiveClient, LiveEvent};
use crate::outbox;
use crate::protocol::{Channel, ChatMessage, EventKind, HISTORY_PAGE_SIZE, User, events};
use crate::state::threads::Threads;
use crate::state::timeline::{Delivery, Timeline};
use crate::state::unread::Unread;
use crate::state::workspace::Workspace;
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
    /// The thread open beside the channel, and the newest reply this tab
    /// has told the server it has read there.
    thread: ThreadShown,
    thread_read_up_to: StoredValue<i64>,
    /// The sidebar's thread counts.
    threads: Threads,
    /// How far each person has read the channel, where it shows receipts.
    receipts: RwSignal<Option<std::collections::HashMap<i64, i64>>>,
}

mod receipts;
mod reveal;
mod threads;

pub(super) fn start(slug: String, channel: Channel, me: Option<User>, shown: Shown) -> Actions {
    let Shown { timeline, has_more, tz_offset, status, typing, notice, thread, receipts } = shown;
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
        thread,
        thread_read_up_to: StoredValue::new(0),
        threads: ws.threads,
        receipts,
    };
    // Once the list has hydrated as the server rendered it (adding to it
    // before would not match the server's HTML).
    Effect::new(move |_| actions.resume_outbox());
    let my_id = actions.me.with_value(|m| m.as_ref().map(|u| u.id));
    ws.on_live(move |event| match event {
        // "Live" once the socket is in the channel's room, not before.
        LiveEvent::Connected => {
            actions.join_and_catch_up();
            actions.load_receipts();
            // What waited for the connection goes out now.
            for client_id in timeline.with_untracked(|t| t.sending()) {
                actions.deliver(client_id);
            }
        }
        // Closed after falling behind: say so until it has caught up.
        LiveEvent::Disconnected(_) if status.get_untracked() == LinkStatus::FellBehind => {}
        LiveEvent::Disconnected(why) => {
            leptos::logging::debug_warn!("live connection lost: {why}");
            status.set(LinkStatus::Reconnecting);
        }
        LiveEvent::Event { name, .. } if name == events::FELL_BEHIND => status.set(LinkStatus::FellBehind),
        LiveEvent::Event { name, data } if name == events::READ_BY => actions.read_by(data),
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
                actions.thread_heard(&m);
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
        LiveEvent::Event { name, data } if name == events::NOTICE => {
            if let Ok(events::Notice { news: events::News::Read(cursor), .. }) = serde_json::from_value(data)
                && cursor.channel_id == channel_id
            {
                read_up_to.update_value(|r| *r = (*r).max(cursor.last_read_seq));
            }
        }
        LiveEvent::Event { .. } => {}
    });
    // Coming back to the tab reads what arrived meanwhile.
    let focus = window_event_listener(leptos::ev::focus, move |_| {
        actions.mark_read();
        actions.mark_thread_read();
    });
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
        actions.load_receipts();
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
                        self.timeline.update(|t| t.reset());
                        self.fetch_newest().await;
                        if self.alive() {
                            self.status.set(LinkStatus::Live);
                            self.mark_read();
                        }
                        return;
                    }
                    Ok(j) => {
                        after = j.missed.last().map_or(after, |m| m.seq);
                        for m in &j.missed {
                            self.thread_heard(m);
                        }
                        self.timeline.update(|t| {
                            for m in j.missed {
                                t.merge(m, Delivery::Stored);
                            }
                            if !j.more {
                                // All this person may read, up to the point it entered the room.
                                t.complete_up_to(j.last_seq);
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
        spawn_local(async move {
            self.older_page().await;
        });
    }

    /// Loads the page before the oldest event shown; whether it did.
    async fn older_page(self) -> bool {
        let Some(before) = self.timeline.with_untracked(|t| t.first_seq()) else { return false };
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        match history(slug, name, Some(before), None).await {
            Ok(page) => {
                self.has_more.set(page.has_more);
                self.timeline.update(|t| {
                    for m in page.messages {
                        t.merge(m, Delivery::Stored);
                    }
                });
                true
            }
            Err(e) => {
                self.notice.set(Some(e.message));
                false
            }
        }
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

    /// Sends the draft with the files uploaded for it: shows it at once as
    /// "sending…" and keeps it in the outbox until the server has it; then
    /// "sent", or why not.
    pub fn send(self, draft: RwSignal<String>, uploads: Uploads) {
        // The next keystroke is news again.
        self.typing_sent.set_value(0.0);
        let checked = uploads.ready().and_then(|files| {
            let body = validate::message_with_files(&draft.get_untracked(), files.len()).map_err(|e| e.to_string())?;
            Ok((body, files))
        });
        let (body, files) = match checked {
            Ok(checked) => checked,
            Err(e) => {
                self.notice.set(Some(e));
                return;
            }
        };
        let Some(mut message) = self.pending(body) else { return };
        message.files = files;
        self.notice.set(None);
        draft.set(String::new());
        uploads.clear();
        let client_id = message.client_id.clone();
        self.stash(|o| o.put(message.clone()));
        self.timeline.update(|t| t.push_pending(message));
        self.deliver(client_id);
    }

    /// A new message of the person's, with a client id of its own, to show
    /// as "sending…" (`None` once the page is gone, or for nobody).
    fn pending(self, body: String) -> Option<ChatMessage> {
        let me = self.me.try_get_value().flatten()?;
        Some(ChatMessage {
            kind: EventKind::Message,
            id: 0,
            channel_id: self.channel.with_value(|c| c.id),
            seq: 0,
            client_id: uuid::Uuid::new_v4().to_string(),
            author_id: me.id,
            author: me.username,
            body,
            sent_at: js_sys::Date::now() as i64,
            ..Default::default()
        })
    }

    /// What the outbox holds for this channel (written before a reload, or
    /// in another tab).
    fn waiting_in_outbox(self) -> Vec<outbox::Parcel> {
        let Some((me, slug)) = self.outbox_key() else { return Vec::new() };
        let channel_id = self.channel.with_value(|c| c.id);
        outbox::storage::load(me, &slug).of_channel(channel_id)
    }

    /// Shows what the outbox holds for this channel's list (replies wait
    /// for their thread to open) and sends what was not refused.
    pub fn resume_outbox(self) {
        for parcel in self.waiting_in_outbox().into_iter().filter(|p| p.message.thread_of.is_none()) {
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
        self.thread.timeline.update(|t| t.set_delivery(&client_id, Delivery::Sending));
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

    /// Replaces the text of one of the person's stored messages; the form
    /// (`editing`) closes once the server has it.
    pub fn edit_stored(self, seq: i64, body: String, editing: RwSignal<Option<i64>>) {
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        spawn_local(async move {
            match edit_message(slug, name, seq, body).await {
                Ok(message) => {
                    let _ = self.timeline.try_update(|t| t.merge(message, Delivery::Stored));
                    let _ = editing.try_set(None);
                    let _ = self.notice.try_set(None);
                }
                Err(e) => {
                    let _ = self.notice.try_set(Some(e.message));
                }
            }
        });
    }

    /// Puts an emoji on a stored message as the person, or takes theirs
    /// back; the room's event shows it.
    pub fn react(self, seq: i64, emoji: String, add: bool) {
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        spawn_local(async move {
            if let Err(e) = react(slug, name, seq, emoji, Some(!add)).await {
                let _ = self.notice.try_set(Some(e.message));
            }
        });
    }

    /// Pins a stored message for everyone in the channel (`on`), or unpins
    /// it; the room's event shows it.
    pub fn pin(self, seq: i64, on: bool) {
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        spawn_local(async move {
            if let Err(e) = pin(slug, name, seq, Some(!on)).await {
                let _ = self.notice.try_set(Some(e.message));
            }
        });
    }

    /// Deletes a refused message: it is not sent.
    pub fn delete(self, client_id: String) {
        self.timeline.update(|t| t.remove_unsent(&client_id));
        self.thread.timeline.update(|t| t.remove_unsent(&client_id));
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
        // In the channel's list, or in the open thread's (a reply).
        let request_in = |t: &Timeline| {
            t.find(&client_id).map(|e| events::SendRequest {
                channel_id: e.message.channel_id,
                client_id: e.message.client_id.clone(),
                body: e.message.body.clone(),
                thread_of: e.message.thread_of,
                in_channel: e.message.in_channel,
                files: e.message.files.iter().map(|f| f.id).collect(),
            })
        };
        let request =
            self.timeline.with_untracked(request_in).or_else(|| self.thread.timeline.with_untracked(request_in));
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
                    if stored.thread_of.is_some() {
                        let _ = self.thread.timeline.try_update(|t| t.merge(stored.clone(), Delivery::Sent));
                    }
                    if stored.thread_of.is_none() || stored.in_channel {
                        let _ = self.timeline.try_update(|t| t.merge(stored, Delivery::Sent));
                    }
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
                    let failed = Delivery::Failed(e.message);
                    let _ = self.timeline.try_update(|t| t.set_delivery(&req.client_id, failed.clone()));
                    let _ = self.thread.timeline.try_update(|t| t.set_delivery(&req.client_id, failed));
                }
            }
        });
    }
}
