//! Socket.IO event names and their payloads.

use super::ChannelId;
use serde::{Deserialize, Serialize};

/// What a client may send with its CONNECT packet (`io(url, { auth })`):
/// a personal API token, for bots and scripts that have no session
/// cookie. A refused connection gets a `connect_error` whose `message`
/// is a sentence for a person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectAuth {
    pub token: Option<String>,
}

/// Client → server, with ack: subscribe this socket to a channel's room.
pub const JOIN: &str = "join";
/// Client → server, with ack: unsubscribe this socket from a channel's room.
pub const LEAVE: &str = "leave";
/// Client → server, with ack: store and broadcast a message.
pub const SEND: &str = "send";
/// Client → server, with ack: replace the text of one's own message
/// (`EditRequest`); the ack is the `ChatMessage` as it is now, and the
/// channel's room hears an `edited` event.
pub const EDIT: &str = "edit";

/// Client → server, with ack: put an emoji on a message, or take it back
/// (`ReactRequest`); the ack is `null`, and the channel's room hears a
/// `reaction_added` or `reaction_removed` event.
pub const REACT: &str = "react";

/// Client → server, with ack: pin a message for everyone in its channel,
/// or unpin it (`PinRequest`); the ack is `null`, and the room hears a
/// `pinned` or `unpinned` event.
pub const PIN: &str = "pin";

/// Payload of `pin`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinRequest {
    pub channel_id: ChannelId,
    /// The `seq` of the message.
    pub seq: i64,
    /// Unpin it instead.
    #[serde(default)]
    pub unpin: bool,
}

/// Payload of `react`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReactRequest {
    pub channel_id: ChannelId,
    /// The `seq` of the message.
    pub seq: i64,
    /// One emoji, such as "👍".
    pub emoji: String,
    /// Take it back instead.
    #[serde(default)]
    pub remove: bool,
}

/// Payload of `edit`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditRequest {
    pub channel_id: ChannelId,
    /// The `seq` of the message.
    pub seq: i64,
    /// Its new text (the rules of `send`).
    pub body: String,
}
/// Server → client: a message stored in a room this socket is in. Every
/// socket in the room gets each one, its sender's included, in `seq`
/// order with no gap while it stays connected.
pub const MESSAGE: &str = "message";
/// Server → client, just before the server disconnects a socket that did
/// not take its events fast enough (its queue was full): `{ "message" }`.
/// Reconnect, join again and catch up from the last `seq` you have.
pub const FELL_BEHIND: &str = "fell_behind";

/// Payload of `fell_behind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FellBehind {
    pub message: String,
}

/// Client → server, no ack: "I am typing in this channel" (`TypingRequest`;
/// send it at most every few seconds while typing). Server → client:
/// `Typing`, to the other sockets in the channel's room, volatile (a
/// socket that cannot take it at once does not get it). It means "typing
/// now": show it for a few seconds, and drop it when that person's next
/// message arrives. Only a socket in the channel's room can send it.
pub const TYPING: &str = "typing";

/// Payload of `typing` from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypingRequest {
    pub channel_id: ChannelId,
}

/// Payload of `typing` from the server: who is typing where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typing {
    pub channel_id: ChannelId,
    pub user_id: super::UserId,
    pub username: String,
}

/// Client → server, with ack: "I have read this channel up to `seq`"
/// (`ReadRequest`; the ack is the `ReadCursor` now). When the cursor
/// moves, every socket of the same person in the organization hears a
/// `notice` of it (so the other devices clear their counts).
pub const READ: &str = "read";

/// Server → client, to a channel's room where it shows read receipts: how
/// far someone has read it now (`ReadBy`), each time their cursor moves.
pub const READ_BY: &str = "read_by";

/// Payload of `read_by`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadBy {
    pub channel_id: ChannelId,
    pub user_id: super::UserId,
    pub last_read_seq: i64,
}

/// Payload of `read` from a client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadRequest {
    pub channel_id: ChannelId,
    pub seq: i64,
}

/// Where a person's read cursor is in a channel: the newest `seq` they
/// have read. It only moves forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadCursor {
    pub channel_id: ChannelId,
    pub last_read_seq: i64,
}

/// Server → client: a notice of the person's own stream in the
/// organization (`Notice`), to every one of their sockets there. Numbered
/// like a channel's events: `seq` is gapless from 1 per person and
/// organization. A notice at or before the last one heard is a copy
/// (drop it); one further on means some were missed: ask for them
/// (`notices`). After a reconnect, ask for what came after the last one.
pub const NOTICE: &str = "notice";

/// Client → server, with ack: the person's notices after a point
/// (`NoticesRequest`); the ack is `Notices`.
pub const NOTICES: &str = "notices";

/// Payload of `notice`: `{"seq": 7, "read": {...}}` or
/// `{"seq": 8, "channel_added": {...}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub seq: i64,
    #[serde(flatten)]
    pub news: News,
}

/// What a notice tells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum News {
    /// A channel was read (on one of the person's devices) up to here.
    Read(ReadCursor),
    /// A channel the person can now see (`Channel`, as they see it): a
    /// direct conversation they were put in, a new public channel, one
    /// they were added to. Join its room (`join`) to get its messages.
    ChannelAdded(super::Channel),
    /// A thread was read (on one of the person's devices) up to here.
    ThreadRead(ThreadCursor),
    /// The person follows a thread now (they replied in it, wrote its root,
    /// or chose to), or chose not to.
    ThreadFollowed(ThreadFollow),
    /// A message mentions the person.
    Mentioned(Mention),
}

/// Where a person was mentioned: message `seq` of a channel (`thread_of`: a
/// reply shown only in its thread, read with the thread).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub channel_id: ChannelId,
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_of: Option<i64>,
}

/// Client → server, with ack: "I have read this thread up to `seq`"
/// (`ThreadReadRequest`; the ack is the `ThreadCursor` now). When the
/// cursor moves, every socket of the same person hears a `notice` of it.
pub const READ_THREAD: &str = "read_thread";

/// Client → server, with ack: follow a thread or stop following it
/// (`ThreadFollow`); the ack is the same, and every socket of the person
/// hears a `notice` when it changed anything.
pub const FOLLOW_THREAD: &str = "follow_thread";

/// Payload of `read_thread`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadReadRequest {
    pub channel_id: ChannelId,
    /// The `seq` of the thread's root.
    pub root_seq: i64,
    /// The newest reply's `seq` read.
    pub seq: i64,
}

/// Where a person's read cursor is in a thread: the newest reply's `seq`
/// they have read. It only moves forward.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadCursor {
    pub channel_id: ChannelId,
    pub root_seq: i64,
    pub last_read_seq: i64,
}

/// Whether a person follows a thread (payload of `follow_thread`, its ack
/// and its notice).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadFollow {
    pub channel_id: ChannelId,
    pub root_seq: i64,
    pub following: bool,
}

/// Payload of `notices`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticesRequest {
    /// The last notice's `seq` the client has (0: all that are kept).
    pub after: i64,
}

/// Reply to `notices`: the notices after the point asked for, oldest
/// first (a channel added that the person no longer sees is left out).
/// `more`: there are more; ask again after `last_seq`. `missing`: some
/// after the point are no longer kept (the device was away long, or the
/// person was taken out of the organization and came back): read the
/// lists again (the `org` server function) and go on after `last_seq`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notices {
    pub notices: Vec<Notice>,
    /// How far this page goes: without `more`, the person's newest
    /// notice now.
    pub last_seq: i64,
    #[serde(default)]
    pub more: bool,
    #[serde(default)]
    pub missing: bool,
}

/// Payload of `join` and `leave`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRequest {
    pub channel_id: ChannelId,
}

/// Payload of `send`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    pub channel_id: ChannelId,
    /// Client-generated id (a UUID is fine, 1 to 64 characters): sending the
    /// same id twice to the same channel stores the message once.
    pub client_id: String,
    pub body: String,
    /// Reply in the thread of the message with this `seq` (a message of
    /// the channel, deleted or not, that is no reply itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_of: Option<i64>,
    /// With `thread_of`: also show the reply in the channel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_channel: bool,
    /// Files the sender uploaded to this channel (`/api/upload`) to send
    /// with it, by id (at most 10); `body` may then be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<i64>,
}

/// Client → server, with ack: find or start the direct conversation with
/// these members (`OpenDirect`); the ack is its `Channel`. Its other
/// people hear a `channel_added` notice the first time they are in it.
pub const OPEN_DIRECT: &str = "open_direct";

/// Payload of `open_direct`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDirect {
    /// The other members' usernames (1 to 7 of them).
    pub usernames: Vec<String>,
}

/// Server → client, once as the socket connects: who in the organization
/// is online (`Online`). Then `presence` says who came or went.
pub const ONLINE: &str = "online";

/// Payload of `online`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Online {
    pub user_ids: Vec<super::UserId>,
}

/// Server → client: who came online (their first socket in the
/// organization connected) or went offline (their last one has been gone
/// for a few seconds, so a reload does not flicker), in batches
/// (`PresenceChanges`, at most every half second). Each change says where
/// someone stands now: applying it twice changes nothing.
pub const PRESENCE: &str = "presence";

/// Payload of `presence`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChanges {
    pub changes: Vec<Presence>,
}

/// Where one person stands now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub user_id: super::UserId,
    pub online: bool,
}

/// Missed messages a `join` answers with at most, per call.
pub const RESUME_PAGE: usize = 200;

/// Payload of `join`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub channel_id: ChannelId,
    /// The newest `seq` the client already has: the reply carries what
    /// came after it (a page at a time), before any live message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<i64>,
}

/// Reply to `join`. When `more` is false the socket is in the channel's
/// room: it gets every message after `last_seq` live, in order, with no
/// gap, and `missed` (if asked for with `after_seq`) holds everything from
/// `after_seq` up to `last_seq`. When `more` is true it is not in the room
/// yet: `missed` is one page; join again with `after_seq` set to its last
/// `seq`. `reset`: the channel's history does not continue from
/// `after_seq` (it is ahead of the channel): drop what you have and load
/// the channel again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joined {
    pub channel_id: ChannelId,
    pub last_seq: i64,
    #[serde(default)]
    pub missed: Vec<super::ChatMessage>,
    #[serde(default)]
    pub more: bool,
    #[serde(default)]
    pub reset: bool,
}
