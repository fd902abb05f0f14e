//! What the use cases return: plain data, read from the database (the store
//! returns these, or rows of its own that never leave the core) and never
//! sent as it is. `app` maps each to its wire type, so the wire can change
//! without the storage, and the other way round.

use crate::kinds::{AuditAction, ChannelKind, EventKind, Role};

/// A person with an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
}

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    /// Its URL name; also its Socket.IO namespace.
    pub slug: String,
    pub name: String,
}

/// An organization and someone's role in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub org: Org,
    pub role: Role,
}

/// A member of an organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub role: Role,
}

/// A channel as one user sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// The `seq` of its newest event (0 before the first).
    pub last_seq: i64,
    /// Whether the user it was looked up for has joined it.
    pub joined: bool,
    /// The newest `seq` that user has read (joined channels only; 0 otherwise).
    pub last_read_seq: i64,
    /// Messages of others after it, counted up to 100 (in listings of
    /// joined channels; 0 otherwise).
    pub unread: i64,
    /// Mentions of that user after it, counted the same way.
    pub mentions: i64,
}

impl Channel {
    /// `#name` as people read it (a restricted channel's address without its
    /// tag), for the audit log.
    pub fn subject(&self) -> String {
        format!("#{}", crate::rules::channel_label(&self.name))
    }
}

/// What a notice of a person's own stream tells all of their devices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum News {
    /// They read a channel up to `last_read_seq` (on one device: the others
    /// mark it read too).
    Read { channel_id: i64, last_read_seq: i64 },
    /// A channel they can now see appeared (a conversation they were put in,
    /// a new public channel, one they were added to), as they see it.
    ChannelAdded(Channel),
    /// They read a thread up to `last_read_seq`.
    ThreadRead { channel_id: i64, root_seq: i64, last_read_seq: i64 },
    /// They follow a thread now (they posted in it, wrote its root, or chose
    /// to), or chose not to.
    ThreadFollowed { channel_id: i64, root_seq: i64, following: bool },
    /// A message mentions them (`thread_of`: a reply shown only in its thread).
    Mentioned { channel_id: i64, seq: i64, thread_of: Option<i64> },
}

impl News {
    /// What is stored of it.
    pub fn about(&self) -> NoticeAbout {
        match *self {
            News::Read { channel_id, last_read_seq } => NoticeAbout::Read { channel_id, last_read_seq },
            News::ChannelAdded(ref c) => NoticeAbout::ChannelAdded { channel_id: c.id },
            News::ThreadRead { channel_id, root_seq, last_read_seq } => {
                NoticeAbout::ThreadRead { channel_id, root_seq, last_read_seq }
            }
            News::ThreadFollowed { channel_id, root_seq, following } => {
                NoticeAbout::ThreadFollowed { channel_id, root_seq, following }
            }
            News::Mentioned { channel_id, seq, thread_of } => NoticeAbout::Mentioned { channel_id, seq, thread_of },
        }
    }
}

/// [`News`] as stored: a channel added is shown as the person sees it
/// when the notice is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeAbout {
    Read { channel_id: i64, last_read_seq: i64 },
    ChannelAdded { channel_id: i64 },
    ThreadRead { channel_id: i64, root_seq: i64, last_read_seq: i64 },
    ThreadFollowed { channel_id: i64, root_seq: i64, following: bool },
    Mentioned { channel_id: i64, seq: i64, thread_of: Option<i64> },
}

/// A stored notice: its place in the member's stream (gapless from 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredNotice {
    pub seq: i64,
    pub about: NoticeAbout,
}

/// A notice of a person's own stream, as their devices hear it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub seq: i64,
    pub news: News,
}

/// A page of a person's notices after a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notices {
    /// Oldest first (a channel they no longer see is left out).
    pub notices: Vec<Notice>,
    /// How far this page goes: with `more`, ask again after it; without,
    /// their newest notice's `seq`.
    pub last_seq: i64,
    /// More after this page.
    pub more: bool,
    /// Some after the point are no longer kept (they were away long, or
    /// their stream began again): their lists are to be read again.
    pub missing: bool,
}

/// An event of a channel's stream: a message, or a member joining or leaving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: i64,
    pub channel_id: i64,
    /// Its place in the channel's stream: gapless from 1.
    pub seq: i64,
    pub kind: EventKind,
    /// The sender's id for it, unique in the channel (retries are stored
    /// once); the server makes one up for the events it writes.
    pub client_id: String,
    /// Who posted it, or who joined or left.
    pub author_id: i64,
    pub author: String,
    pub body: String,
    /// Milliseconds since the Unix epoch.
    pub sent_at: i64,
    /// For a `deleted` event, the `seq` of the message it deleted.
    pub refers_to: Option<i64>,
    /// A message that was deleted (its `body` is empty).
    pub deleted: bool,
    /// A message its author edited since it was posted (`body` is the
    /// newest text; the earlier ones are its history).
    pub edited: bool,
    /// A message pinned in its channel now.
    pub pinned: bool,
    /// Its reactions, each emoji with who reacted with it, oldest first
    /// (in pages of a channel's history; empty in live events).
    pub reactions: Vec<Reaction>,
    /// The files attached to a message, in the order it named them.
    pub files: Vec<Attachment>,
    /// For a reply, and for the `deleted` event of one: the `seq` of its
    /// thread's root.
    pub thread_of: Option<i64>,
    /// A reply also sent to the channel (shown and counted there too).
    pub in_channel: bool,
    /// For a message replied to, its thread as of the newest event of it
    /// (in pages; `None` in live events and for messages never replied to).
    pub thread: Option<Box<ThreadSummary>>,
}

/// A thread as its root shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadSummary {
    /// Its replies that are not deleted.
    pub replies: i64,
    /// When the newest reply was posted (deleted or not), in milliseconds
    /// since the Unix epoch.
    pub last_reply_at: i64,
    /// Who replied (deleted replies too), by user id, in the order of
    /// their first reply.
    pub participants: Vec<i64>,
    /// The `seq` of the newest event of the thread this counts (a reply,
    /// or a reply's deletion): an event at or before it is in it.
    pub seq: i64,
}

/// A thread a person follows, and where they are in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowedThread {
    pub channel_id: i64,
    pub root_seq: i64,
    /// The newest reply's `seq` they have read.
    pub last_read_seq: i64,
    /// Replies of others after it, counted up to 100.
    pub unread: i64,
    /// The `seq` of its newest reply.
    pub last_reply_seq: i64,
}

/// An organization's policy on read receipts: on or off, and in channels
/// of how many people at most (direct conversations follow `on`;
/// supervisor channels always show them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptPolicy {
    pub on: bool,
    pub up_to: i64,
}

/// How far one person of a channel has read it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadPosition {
    pub user_id: i64,
    pub last_read_seq: i64,
}

/// A message that mentions someone, with its channel: the Mentions view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MentionListing {
    pub channel: Channel,
    pub message: Message,
}

/// A followed thread as its list shows it: its channel, where the person
/// is in it, and the message it replies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadListing {
    pub channel: Channel,
    pub thread: FollowedThread,
    pub root: Message,
}

/// A thread's root and its replies, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadPage {
    pub root: Message,
    pub replies: Vec<Message>,
    /// Whether older replies exist before the first one here.
    pub has_more: bool,
    /// Whether the caller follows it.
    pub following: bool,
    /// The caller's read cursor in it.
    pub last_read_seq: i64,
}

/// One emoji on a message, and who put it there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: String,
    pub user_ids: Vec<i64>,
}

/// A file uploaded to a channel: attached to a message, or waiting for the
/// uploader's message to name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    /// The name the uploader gave it (shown, and offered when it is saved).
    pub name: String,
    /// The type the uploader declared (shown); what it is served as is
    /// decided by what its bytes are (`files::served_type`).
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// A picture's width and height in pixels, if it is one Confab reads.
    pub image: Option<(i64, i64)>,
    /// Whether a small copy of the picture is kept for showing in a message.
    pub thumbnail: bool,
}

/// A text a message had before an edit, and when it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageVersion {
    pub body: String,
    /// Milliseconds since the Unix epoch: when it was posted, or when the
    /// edit that wrote it was made.
    pub written_at: i64,
}

/// Someone holding a session, and what kind of session it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub kind: SessionKind,
}

/// A browser's sign-in, or a personal API token: told apart by what they
/// are (a token is a session with a name), never by how they were sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Browser,
    ApiToken,
}

/// A session just started: the token goes to its holder once (a cookie) and
/// is stored only as a hash.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
}

/// An invite link just made (or shown again to the person who made it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInvite {
    pub token: String,
    pub expires_at: i64,
}

/// A working invite link, without its token (only its hash is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteLink {
    /// The token's hash: what revoking names it by.
    pub id: String,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An organization's working invite links, and the one its caller just made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteLinks {
    pub links: Vec<InviteLink>,
    pub new_link: Option<NewInvite>,
}

/// Where an invite link leads, for the person about to accept it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InviteTarget {
    pub org_name: String,
    pub org_slug: String,
    pub invited_by: String,
    pub already_member: bool,
}

/// An organization as one member sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgOverview {
    pub membership: Membership,
    pub channels: Vec<Channel>,
    /// Everyone in it, by name.
    pub members: Vec<Member>,
    /// The caller's newest notice before the rest was read.
    pub notice_seq: i64,
    /// The threads they follow in channels they read, newest reply first.
    pub threads: Vec<FollowedThread>,
    /// Its policy on read receipts.
    pub receipts: ReceiptPolicy,
    /// Whether members (not only owners and admins) may mention everyone
    /// in a channel.
    pub members_mention_all: bool,
}

/// A page of a channel's history, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    pub channel: Channel,
    pub messages: Vec<Message>,
    /// Whether older messages exist.
    pub has_more: bool,
}

/// One entry of an organization's audit log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    /// Who did it, by name as it was then.
    pub actor: String,
    pub action: AuditAction,
    /// Whom or what it was done to: a username, `#channel` (may be empty).
    pub subject: String,
    /// More about it, e.g. `member → supervisor`.
    pub detail: String,
    /// The address it came from: shown to the organization's owners only
    /// (`None` for anyone else).
    pub address: Option<String>,
}

/// A personal API token, as its owner sees it listed (the token itself is
/// shown once, when made, and stored only as a hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id: the hash of the token.
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// A token just made: the secret, shown this once, and how it is listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    pub token: String,
    pub listed: ApiToken,
}

/// A message a search found: where it is, who wrote it when, and a snippet
/// of its text with the searched words marked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchHit {
    pub channel_id: i64,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub seq: i64,
    pub author_id: i64,
    pub author: String,
    pub sent_at: i64,
    /// The root's `seq`, for a reply in a thread.
    pub thread_of: Option<i64>,
    pub snippet: Vec<crate::search_snippet::SnippetPart>,
}

/// A page of what a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// Words left out of the search (too short).
    pub ignored: Vec<String>,
    /// Whether a next page has more.
    pub more: bool,
}
