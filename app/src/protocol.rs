//! The wire types: everything that crosses between the browser, stock Socket.IO
//! clients and the server. Both sides serialize exactly these types, so a change
//! here is a change of the public API (see `docs/API.md`).

use serde::{Deserialize, Serialize};

/// Database id of a user.
pub type UserId = i64;
/// Database id of an organization.
pub type OrgId = i64;
/// Database id of a channel; also the Socket.IO room name of the channel.
pub type ChannelId = i64;

/// Roles in an organization and kinds of channel: closed sets the server's
/// access rules decide on, shared with it as they are.
pub use confab_core::kinds::{AuditAction, ChannelKind, EventKind, Role};
/// Most people in a direct conversation, its starter included.
pub use confab_core::rules::MAX_DIRECT_PEOPLE;
/// Longest message body, in characters.
pub use confab_core::rules::MAX_MESSAGE_CHARS;
/// Most messages one history page returns.
pub const HISTORY_PAGE_SIZE: i64 = 50;

/// A signed-in person, as others see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub username: String,
}

/// An organization the current user belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrgId,
    /// URL slug; also the Socket.IO namespace (`/<slug>`).
    pub slug: String,
    pub name: String,
    /// The current user's role in it.
    pub role: Role,
}

/// A channel as the current user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// Also the Socket.IO room of the channel.
    pub id: ChannelId,
    pub name: String,
    pub kind: ChannelKind,
    /// Whether the current user has joined it (and so may post).
    pub joined: bool,
    /// Sequence number of the newest message (0 when empty).
    pub last_seq: i64,
    /// The newest `seq` the current user has read in it (joined channels
    /// only; 0 otherwise).
    #[serde(default)]
    pub last_read_seq: i64,
    /// Messages of others after `last_read_seq`, counted up to 100 (in
    /// channel listings, for joined channels; 0 otherwise).
    #[serde(default)]
    pub unread: i64,
    /// The people of a direct conversation (`kind: "direct"`), by user id,
    /// ascending; empty for other channels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<UserId>,
}

impl Channel {
    /// What to call the channel for the person `me`: `#name`, or the names of
    /// the others in a direct conversation (`names` maps user ids to names).
    pub fn title(&self, me: Option<UserId>, names: impl Fn(UserId) -> Option<String>) -> String {
        if self.kind != ChannelKind::Direct {
            return format!("# {}", confab_core::rules::channel_label(&self.name));
        }
        let others: Vec<String> = self
            .people
            .iter()
            .filter(|id| Some(**id) != me)
            .map(|id| names(*id).unwrap_or_else(|| "a former member".to_owned()))
            .collect();
        if others.is_empty() { "Just you".to_owned() } else { others.join(", ") }
    }
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: UserId,
    pub username: String,
    pub role: Role,
}

/// A personal API token as listed (the token itself is shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// What to revoke it by.
    pub id: String,
    pub name: String,
    /// Milliseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// A token just made: `token` is shown this once; send it as
/// `Authorization: Bearer <token>` or as a Socket.IO client's `auth: { token }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: String,
    pub listed: ApiToken,
}

/// One entry of an organization's audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch, UTC.
    pub at: i64,
    /// Who did it (their name then).
    pub actor: String,
    pub action: AuditAction,
    /// Whom or what: a username or `#channel` (may be empty).
    pub subject: String,
    /// More about it, e.g. `member → supervisor`.
    pub detail: String,
    /// The address it came from: for the organization's owners only (absent
    /// for admins, since an address is personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// An organization with the channels the current user can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgView {
    pub org: OrgSummary,
    /// Its public channels and the user's direct conversations.
    pub channels: Vec<Channel>,
    /// Everyone in it, by name.
    pub members: Vec<Member>,
    /// The newest notice of the user's own stream when these were read
    /// (the live connection follows the stream from there).
    #[serde(default)]
    pub notice_seq: i64,
}

/// One stored chat message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Database id, unique across channels.
    pub id: i64,
    pub channel_id: ChannelId,
    /// Position in the channel: gapless, starting at 1.
    pub seq: i64,
    /// A message, a member joining or leaving the channel, or a message
    /// being deleted or edited: each takes the channel's next `seq`.
    #[serde(default)]
    pub kind: EventKind,
    /// The id the sending client generated (the server's own for `joined`
    /// and `left`); unique per channel.
    pub client_id: String,
    /// Who posted it, or who joined or left.
    pub author_id: UserId,
    pub author: String,
    /// The text of a message; empty for other events and for a message
    /// that was deleted.
    pub body: String,
    /// When the server stored it, in milliseconds since the Unix epoch (UTC).
    pub sent_at: i64,
    /// For a `deleted`, `edited`, `reaction_added`, `reaction_removed`,
    /// `pinned` or `unpinned` event, the `seq` of the message it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<i64>,
    /// A message that was deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// A message its author edited (`body` is the newest text; anyone who
    /// reads the channel may read the earlier ones: `message_history`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub edited: bool,
    /// A message pinned in its channel now (`pinned_messages` lists them).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
    /// Its reactions, each emoji with who put it there, oldest first (in
    /// history and resume pages; live, follow the `reaction_added` and
    /// `reaction_removed` events).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reactions: Vec<Reaction>,
}

/// One emoji on a message, and who put it there (user ids).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub user_ids: Vec<UserId>,
}

/// A text a message had before an edit, and when it was written
/// (milliseconds since the Unix epoch, UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageVersion {
    pub body: String,
    pub written_at: i64,
}

/// A message as it is now and the texts it had before its edits, oldest
/// first (none for a message never edited, or deleted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageHistory {
    pub message: ChatMessage,
    pub versions: Vec<MessageVersion>,
}

/// A page of a channel's history, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub channel: Channel,
    pub messages: Vec<ChatMessage>,
    /// Whether older messages exist before the first one here.
    pub has_more: bool,
}

/// A freshly made invite link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The secret part of the link; shown once.
    pub token: String,
    /// The path to share, `/invite/<token>`.
    pub path: String,
    /// The whole link, `http(s)://<host>/invite/<token>`, as the request that
    /// made or listed it named this site.
    pub url: String,
    /// When the link stops working, in milliseconds since the Unix epoch.
    pub expires_at: i64,
}

/// An invite link that still works, as its organization's admins see it.
/// The link itself is shown only to whoever just made it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteSummary {
    /// Identifies the link for revoking it (a hash of its token, not the token).
    pub id: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An organization's working invite links, and the one just made, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteList {
    pub invites: Vec<InviteSummary>,
    /// The link just made (its token came back in the page's URL), if it is
    /// one of this organization's working links made by the caller.
    pub new_link: Option<Invite>,
}

/// What a person opening an invite link is shown before accepting it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitePreview {
    pub org_name: String,
    pub org_slug: String,
    pub invited_by: String,
    /// Whether the current user already belongs to the organization.
    pub already_member: bool,
}

/// Socket.IO event names and their payloads.
pub mod events {
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
}

/// Every acknowledgement is either `{"ok": <value>}` or `{"error": ApiError}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ack<T> {
    Ok(T),
    Error(crate::errors::ApiError),
}

impl<T> From<Result<T, crate::errors::ApiError>> for Ack<T> {
    fn from(r: Result<T, crate::errors::ApiError>) -> Self {
        match r {
            Ok(v) => Ack::Ok(v),
            Err(e) => Ack::Error(e),
        }
    }
}
