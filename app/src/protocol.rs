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
    /// Mentions of the current user after `last_read_seq`, counted the same
    /// way (replies shown only in their thread count there instead).
    #[serde(default)]
    pub mentions: i64,
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
    /// The threads the user follows, newest reply first.
    #[serde(default)]
    pub threads: Vec<FollowedThread>,
    /// The organization's policy on read receipts.
    #[serde(default)]
    pub receipts: ReceiptPolicy,
    /// Whether members (not only owners and admins) may mention everyone
    /// in a channel (`@channel`, `@here`).
    #[serde(default)]
    pub members_mention_all: bool,
}

/// An organization's policy on read receipts (its owners set it): whether
/// they are on, and in channels of how many people at most. Direct
/// conversations follow `on`; supervisor channels always show them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptPolicy {
    pub on: bool,
    pub up_to: i64,
}

impl Default for ReceiptPolicy {
    fn default() -> Self {
        ReceiptPolicy { on: true, up_to: 12 }
    }
}

/// How far one person of a channel has read it: the newest `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadPosition {
    pub user_id: UserId,
    pub last_read_seq: i64,
}

/// One stored chat message (`Default`: a message with nothing in it yet,
/// undecorated: no reactions, no thread).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The files attached to a message, in the order it named them (each
    /// fetched from `/api/files/<org slug>/<id>`; see docs/API.md, Files).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<Attachment>,
    /// For a reply in a thread, and for the `deleted` event of one: the
    /// `seq` of the thread's root (the message replied to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_of: Option<i64>,
    /// A reply also sent to the channel: shown and counted there too.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_channel: bool,
    /// For a message that has been replied to: its thread (in history and
    /// resume pages; live, count the events that name it in `thread_of`
    /// after `thread.seq`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<ThreadSummary>,
}

/// A thread as its root shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ThreadSummary {
    /// Its replies that are not deleted.
    pub replies: i64,
    /// When its newest reply was posted (deleted or not), in milliseconds
    /// since the Unix epoch (UTC).
    pub last_reply_at: i64,
    /// Who replied, by user id, in the order of their first reply.
    pub participants: Vec<UserId>,
    /// The `seq` of the newest event of the thread counted here: a reply
    /// (+1) or a reply's `deleted` event (-1) after it is not.
    pub seq: i64,
}

/// A thread the current user follows, and where they are in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowedThread {
    pub channel_id: ChannelId,
    /// The `seq` of its root.
    pub root_seq: i64,
    /// The newest reply's `seq` they have read.
    pub last_read_seq: i64,
    /// Replies of others after it, counted up to 100.
    pub unread: i64,
    /// The `seq` of its newest reply.
    pub last_reply_seq: i64,
}

/// A message that mentions the current user, with its channel (the
/// Mentions view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MentionListing {
    pub channel: Channel,
    pub message: ChatMessage,
}

/// A followed thread as the Threads view lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadListing {
    pub channel: Channel,
    pub thread: FollowedThread,
    /// The message replied to.
    pub root: ChatMessage,
}

/// A thread's root and a page of its replies, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadPage {
    pub root: ChatMessage,
    pub replies: Vec<ChatMessage>,
    /// Whether older replies exist before the first one here.
    pub has_more: bool,
    /// Whether the current user follows it.
    pub following: bool,
    /// The newest reply's `seq` they have read.
    pub last_read_seq: i64,
}

/// One emoji on a message, and who put it there (user ids).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reaction {
    pub emoji: String,
    pub user_ids: Vec<UserId>,
}

/// A file attached to a message (or uploaded, waiting for the message that
/// names it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attachment {
    pub id: i64,
    /// The name it was uploaded with.
    pub name: String,
    /// The type its uploader declared it to be.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// A picture's width and height in pixels, if it is one Confab shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<(i64, i64)>,
    /// A small copy of the picture is at `/api/files/<org slug>/<id>/thumbnail`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thumbnail: bool,
}

/// An organization's files, as its owners see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgStorage {
    /// Bytes of files kept for it (sent, or uploaded and not sent yet).
    pub used_bytes: i64,
    /// The largest file one may upload, in bytes.
    pub max_upload_bytes: u64,
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
pub mod events;
/// What a search answers.
pub mod search;

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
