//! Rows as the queries of both dialects return them, before they are checked
//! and turned into the model (a stored role or kind this build does not know
//! is refused there). Field names are the column names the queries give.

/// A channel with how many times the user it was looked up for has joined
/// it (0 or 1).
#[derive(Debug)]
pub(super) struct ChannelRecord {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub last_seq: i64,
    pub joined: i64,
    /// The user's read cursor in it (0 without one).
    pub last_read_seq: i64,
    /// Messages of others after that cursor (counted by `channels_of` only;
    /// 0 from the lookups of one channel).
    pub unread: i64,
    /// Mentions of the user after that cursor (the same).
    pub mentions: i64,
}

/// A channel's id and newest `seq`.
#[derive(Debug)]
pub(crate) struct ChannelSeqRecord {
    pub(crate) id: i64,
    pub(crate) last_seq: i64,
}

/// A session's stored role in an organization, and one of its channels if
/// it exists there (the columns are empty otherwise).
#[derive(Debug)]
pub(super) struct SessionChannelRecord {
    pub role: String,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub last_seq: Option<i64>,
    /// Whether the session's user has joined it (0 or 1).
    pub joined: i64,
}

/// An organization with a member's stored role.
#[derive(Debug)]
pub(super) struct MembershipRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: String,
}

/// A member of an organization with their stored role.
#[derive(Debug)]
pub(super) struct MemberRecord {
    pub id: i64,
    pub username: String,
    pub role: String,
}

/// A stored event with its author's name.
#[derive(Debug)]
pub(super) struct MessageRecord {
    pub id: i64,
    pub channel_id: i64,
    pub seq: i64,
    pub kind: String,
    pub client_id: String,
    pub author_id: i64,
    pub author: String,
    pub body: String,
    pub sent_at: i64,
    pub refers_to: Option<i64>,
    pub deleted_at: Option<i64>,
    pub edited_at: Option<i64>,
    pub pinned_at: Option<i64>,
    pub thread_of: Option<i64>,
    /// 0 or 1.
    pub in_channel: i64,
}

/// An event of a channel's stream, with the channel's kind.
#[derive(Debug)]
pub(super) struct StreamRecord {
    pub id: i64,
    pub channel_id: i64,
    pub seq: i64,
    pub kind: String,
    pub client_id: String,
    pub author_id: i64,
    pub author: String,
    pub body: String,
    pub sent_at: i64,
    pub refers_to: Option<i64>,
    pub deleted_at: Option<i64>,
    pub edited_at: Option<i64>,
    pub pinned_at: Option<i64>,
    pub thread_of: Option<i64>,
    pub in_channel: i64,
    pub channel_kind: String,
}

impl From<StreamRecord> for MessageRecord {
    fn from(r: StreamRecord) -> Self {
        let StreamRecord {
            id,
            channel_id,
            seq,
            kind,
            client_id,
            author_id,
            author,
            body,
            sent_at,
            refers_to,
            deleted_at,
            edited_at,
            pinned_at,
            thread_of,
            in_channel,
            ..
        } = r;
        MessageRecord {
            id,
            channel_id,
            seq,
            kind,
            client_id,
            author_id,
            author,
            body,
            sent_at,
            refers_to,
            deleted_at,
            edited_at,
            pinned_at,
            thread_of,
            in_channel,
        }
    }
}

/// A session that has expired.
#[derive(Debug)]
pub(super) struct ExpiredSession {
    pub user_id: i64,
    pub token_hash: String,
}

/// An account with its password hash; never leaves the core.
#[derive(Debug)]
pub(crate) struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

/// A working invite link of an organization.
#[derive(Clone, Debug)]
pub(crate) struct InviteListRow {
    pub token_hash: String,
    pub created_by_id: i64,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// An invite link's target, as looked up by its token hash.
#[derive(Clone, Debug)]
pub(crate) struct InviteRow {
    pub org_id: i64,
    pub org_slug: String,
    pub org_name: String,
    pub invited_by: String,
    /// When the link was made: a person removed after that cannot use it.
    pub created_at: i64,
}

/// The holder of a session, and whether it is a personal API token (a
/// session with a name) rather than a browser's sign-in.
#[derive(Debug)]
pub(super) struct SessionRecord {
    pub(super) id: i64,
    pub(super) username: String,
    pub(super) api_token: i64,
}

/// An audit log entry as stored (its action checked when read).
#[derive(Debug)]
pub(super) struct AuditRecord {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub address: String,
}

/// A personal API token as stored (its hash is its id).
#[derive(Debug)]
pub(super) struct ApiTokenRecord {
    pub token_hash: String,
    pub name: String,
    pub created_at: i64,
}
