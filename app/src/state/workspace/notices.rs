//! The person's own stream of notices in the browser: a channel read on
//! another device (its count clears here too), a channel that appeared for
//! them (listed, and followed if joined). Each notice is applied once, in
//! `seq` order, from the point the page's lists were read at: a copy is
//! dropped, a gap is filled by asking for what came after the last one
//! applied (`notices`), and so is whatever came while the connection was
//! down.

use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Workspace;
use super::following::{follow, refresh_after_reconnect, refresh_threads};
use crate::protocol::events::{self, News, Notice};

/// How long a `notices` request waits for its answer.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the page is in the stream.
#[derive(Clone, Copy)]
pub(super) struct Stream {
    /// The last notice applied (or the point the lists were read at).
    last: StoredValue<i64>,
    /// A catch-up is under way (another one would read the same).
    catching_up: StoredValue<bool>,
}

impl Stream {
    pub(super) fn at(seq: i64) -> Stream {
        Stream { last: StoredValue::new(seq), catching_up: StoredValue::new(false) }
    }

    /// The lists were read again up to `seq`: what follows goes on from there.
    pub(super) fn read_up_to(&self, seq: i64) {
        self.last.update_value(|last| *last = (*last).max(seq));
    }
}

/// A live `notice`: applied if it is the next one; one further on means
/// some were missed, and they are asked for (it comes with them).
pub(super) fn on_notice(ws: Workspace, data: serde_json::Value) {
    let Ok(notice) = serde_json::from_value::<Notice>(data) else { return };
    let stream = ws.live.notices;
    let last = stream.last.get_value();
    if notice.seq <= last {
        return;
    }
    if notice.seq == last + 1 && !stream.catching_up.get_value() {
        stream.last.set_value(notice.seq);
        apply(ws, notice.news);
    } else {
        catch_up(ws);
    }
}

/// Asks for every notice after the last one applied, a page at a time, and
/// applies them; if some are no longer kept (the page was away long), the
/// lists are read again too.
pub(super) fn catch_up(ws: Workspace) {
    let stream = ws.live.notices;
    if stream.catching_up.get_value() {
        return;
    }
    stream.catching_up.set_value(true);
    spawn_local(async move {
        let client = ws.live();
        loop {
            let request = events::NoticesRequest { after: stream.last.get_value() };
            let page: events::Notices = match client.request(events::NOTICES, &request, ACK_TIMEOUT).await {
                Ok(page) => page,
                Err(e) => {
                    // Asked again at the next gap or connection.
                    leptos::logging::debug_warn!("catching up on notices failed: {}", e.message);
                    break;
                }
            };
            if page.missing {
                // What is gone is in the lists; what is kept follows.
                refresh_after_reconnect(ws);
                let before = page.notices.first().map_or(page.last_seq, |n| n.seq - 1);
                stream.last.set_value(before);
            }
            for notice in page.notices {
                if notice.seq > stream.last.get_value() {
                    stream.last.set_value(notice.seq);
                    apply(ws, notice.news);
                }
            }
            stream.read_up_to(page.last_seq);
            if !page.more {
                break;
            }
        }
        stream.catching_up.set_value(false);
    });
}

/// What a notice changes on this page.
fn apply(ws: Workspace, news: News) {
    match news {
        News::Read(cursor) => ws.unread.read(cursor.channel_id, cursor.last_read_seq),
        News::ThreadRead(cursor) => ws.threads.read((cursor.channel_id, cursor.root_seq), cursor.last_read_seq),
        News::ThreadFollowed(follow) if !follow.following => ws.threads.unfollow((follow.channel_id, follow.root_seq)),
        // Followed now: the list, read again, says how much is unread in it.
        News::ThreadFollowed(_) => refresh_threads(ws),
        // One in a thread counts there, as a reply of a followed thread.
        News::Mentioned(at) if at.thread_of.is_none() => ws.unread.mentioned(at.channel_id, at.seq),
        News::Mentioned(_) => {}
        News::ChannelAdded(channel) => {
            let (id, joined) = (channel.id, channel.joined);
            let known = ws.channels.with_untracked(|all| all.iter().any(|c| c.id == id));
            if joined && !known {
                ws.unread.follow(&channel);
            }
            ws.add_channel(channel);
            if joined && !known && Some(id) != ws.open {
                follow(ws, id);
            }
        }
    }
}
