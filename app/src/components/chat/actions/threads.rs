//! What the open thread does in the browser: it is read from the server as
//! it opens, every event of the channel that belongs to it is merged into
//! it (so it is live, and whole after a reconnect's catch-up), it is marked
//! read up to its newest reply while in view (on every device), replies go
//! out through the outbox like messages, and following it is a button.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ACK_TIMEOUT, Actions};
use crate::api::threads::{follow_thread, open_thread};
use crate::protocol::{ChatMessage, EventKind, events};
use crate::state::timeline::{Delivery, Timeline};
use confab_core::rules as validate;

/// The most replies an open thread shows.
const THREAD_PAGE: i64 = 200;

impl Actions {
    /// Opens the thread of message `root` (or closes the one open, with
    /// `None`): reads it from the server.
    pub fn open_thread(self, root: Option<i64>) {
        let thread = self.thread;
        thread.root.set(root);
        thread.notice.set(None);
        let Some(root) = root else { return };
        thread.loading.set(true);
        thread.timeline.set(Timeline::default());
        self.thread_read_up_to.set_value(0);
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        spawn_local(async move {
            let page = open_thread(slug, name, root, None, Some(THREAD_PAGE)).await;
            if thread.root.try_get_untracked().flatten() != Some(root) {
                return;
            }
            thread.loading.set(false);
            match page {
                Ok(page) => {
                    self.thread_read_up_to.set_value(page.last_read_seq);
                    thread.following.set(page.following);
                    thread.has_more.set(page.has_more);
                    // Replies heard live while it loaded stay, merged in place.
                    thread.timeline.update(|t| {
                        t.merge(page.root, Delivery::Stored);
                        for reply in page.replies {
                            t.merge(reply, Delivery::Stored);
                        }
                    });
                    self.resume_thread_outbox(root);
                    self.mark_thread_read();
                }
                Err(e) => thread.notice.set(Some(e.message)),
            }
        });
    }

    /// An event of the channel (live, or caught up): merged into the open
    /// thread if it is of it: a reply, a reply's deletion, or a change to a
    /// message shown there.
    pub(super) fn thread_heard(self, m: &ChatMessage) {
        let thread = self.thread;
        let Some(root) = thread.root.get_untracked() else { return };
        let about_shown = |t: &Timeline| {
            m.refers_to.is_some_and(|seq| {
                t.entries().iter().any(|e| e.message.seq == seq && e.message.kind == EventKind::Message)
            })
        };
        let of_it = m.thread_of == Some(root) || m.seq == root || thread.timeline.with_untracked(about_shown);
        if of_it {
            thread.timeline.update(|t| t.merge(m.clone(), Delivery::Stored));
            self.mark_thread_read();
        }
    }

    /// Tells the server (and so this person's other devices) the open
    /// thread is read up to its newest reply, while the tab is in view.
    pub(super) fn mark_thread_read(self) {
        let thread = self.thread;
        let Some(root) = thread.root.get_untracked() else { return };
        let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
        let newest = thread.timeline.with_untracked(|t| {
            t.entries().iter().filter(|e| e.message.thread_of == Some(root)).map(|e| e.message.seq).max()
        });
        let Some(seq) = newest.filter(|s| *s > self.thread_read_up_to.get_value()) else { return };
        if hidden || thread.loading.get_untracked() {
            return;
        }
        self.thread_read_up_to.set_value(seq);
        let channel_id = self.channel.with_value(|c| c.id);
        self.threads.read((channel_id, root), seq);
        let client = self.client();
        spawn_local(async move {
            let request = events::ThreadReadRequest { channel_id, root_seq: root, seq };
            let answer: Result<events::ThreadCursor, _> =
                client.request(events::READ_THREAD, &request, ACK_TIMEOUT).await;
            if let Err(e) = answer {
                leptos::logging::debug_warn!("marking a thread read failed: {}", e.message);
                self.thread_read_up_to.update_value(|r| *r = (*r).min(seq - 1));
            }
        });
    }

    /// Sends the reply being written in the open thread (also to the
    /// channel with `in_channel`): shown at once as "sending…", kept in the
    /// outbox until the server has it.
    pub fn send_reply(self, draft: RwSignal<String>, in_channel: bool) {
        let thread = self.thread;
        let Some(root) = thread.root.get_untracked() else { return };
        let body = match validate::message_body(&draft.get_untracked()) {
            Ok(b) => b,
            Err(e) => {
                thread.notice.set(Some(e.to_string()));
                return;
            }
        };
        let Some(mut message) = self.pending(body) else { return };
        message.thread_of = Some(root);
        message.in_channel = in_channel;
        thread.notice.set(None);
        draft.set(String::new());
        let client_id = message.client_id.clone();
        self.stash(|o| o.put(message.clone()));
        thread.timeline.update(|t| t.push_pending(message));
        self.deliver(client_id);
    }

    /// Shows the replies the outbox holds for the open thread and sends
    /// those not refused (the channel's own are the chat's).
    fn resume_thread_outbox(self, root: i64) {
        let parcels = self.waiting_in_outbox().into_iter().filter(|p| p.message.thread_of == Some(root));
        for parcel in parcels {
            let client_id = parcel.message.client_id.clone();
            if self.thread.timeline.with_untracked(|t| t.stored(&client_id)).is_some() {
                continue;
            }
            self.thread.timeline.update(|t| {
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

    /// Follows the open thread, or stops following it.
    pub fn follow_thread(self, follow: bool) {
        let thread = self.thread;
        let Some(root) = thread.root.get_untracked() else { return };
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        spawn_local(async move {
            match follow_thread(slug, name, root, follow).await {
                Ok(now) => {
                    let _ = thread.following.try_set(now);
                }
                Err(e) => {
                    let _ = thread.notice.try_set(Some(e.message));
                }
            }
        });
    }
}
