//! The service core's results as the wire types (ssr only): the one place the
//! core's model meets the public API, for the server functions here and for
//! the Socket.IO handlers in `server`.

use confab_core::model;

use crate::protocol::*;

impl From<model::User> for User {
    fn from(u: model::User) -> Self {
        User { id: u.id, username: u.username }
    }
}

impl From<model::Membership> for OrgSummary {
    fn from(m: model::Membership) -> Self {
        OrgSummary { id: m.org.id, slug: m.org.slug, name: m.org.name, role: m.role }
    }
}

impl From<model::Channel> for Channel {
    fn from(c: model::Channel) -> Self {
        let people = match c.kind {
            ChannelKind::Direct => confab_core::rules::direct_people(&c.name).unwrap_or_default(),
            ChannelKind::Public | ChannelKind::Private | ChannelKind::Supervisor => Vec::new(),
        };
        Channel {
            id: c.id,
            name: c.name,
            kind: c.kind,
            joined: c.joined,
            last_seq: c.last_seq,
            last_read_seq: c.last_read_seq,
            unread: c.unread,
            mentions: c.mentions,
            people,
        }
    }
}

impl From<model::ApiToken> for ApiToken {
    fn from(t: model::ApiToken) -> Self {
        ApiToken { id: t.id, name: t.name, created_at: t.created_at }
    }
}

impl From<model::NewApiToken> for NewApiToken {
    fn from(t: model::NewApiToken) -> Self {
        NewApiToken { token: t.token, listed: t.listed.into() }
    }
}

impl From<model::AuditEntry> for AuditEntry {
    fn from(e: model::AuditEntry) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: e.subject,
            detail: e.detail,
            address: e.address,
        }
    }
}

impl From<model::Member> for Member {
    fn from(m: model::Member) -> Self {
        Member { id: m.user.id, username: m.user.username, role: m.role }
    }
}

impl From<model::Message> for ChatMessage {
    fn from(m: model::Message) -> Self {
        ChatMessage {
            id: m.id,
            channel_id: m.channel_id,
            seq: m.seq,
            kind: m.kind,
            client_id: m.client_id,
            author_id: m.author_id,
            author: m.author,
            body: m.body,
            sent_at: m.sent_at,
            refers_to: m.refers_to,
            deleted: m.deleted,
            edited: m.edited,
            pinned: m.pinned,
            reactions: m.reactions.into_iter().map(|r| Reaction { emoji: r.emoji, user_ids: r.user_ids }).collect(),
            files: m.files.into_iter().map(Attachment::from).collect(),
            thread_of: m.thread_of,
            in_channel: m.in_channel,
            thread: m.thread.map(|t| (*t).into()),
        }
    }
}

impl From<model::Attachment> for Attachment {
    fn from(a: model::Attachment) -> Self {
        let model::Attachment { id, name, content_type, size, image, thumbnail } = a;
        Attachment { id, name, content_type, size, image, thumbnail }
    }
}

impl From<Attachment> for model::Attachment {
    fn from(a: Attachment) -> Self {
        let Attachment { id, name, content_type, size, image, thumbnail } = a;
        model::Attachment { id, name, content_type, size, image, thumbnail }
    }
}

impl From<model::ThreadSummary> for ThreadSummary {
    fn from(t: model::ThreadSummary) -> Self {
        ThreadSummary { replies: t.replies, last_reply_at: t.last_reply_at, participants: t.participants, seq: t.seq }
    }
}

impl From<model::FollowedThread> for FollowedThread {
    fn from(t: model::FollowedThread) -> Self {
        FollowedThread {
            channel_id: t.channel_id,
            root_seq: t.root_seq,
            last_read_seq: t.last_read_seq,
            unread: t.unread,
            last_reply_seq: t.last_reply_seq,
        }
    }
}

impl From<model::ReceiptPolicy> for ReceiptPolicy {
    fn from(p: model::ReceiptPolicy) -> Self {
        ReceiptPolicy { on: p.on, up_to: p.up_to }
    }
}

impl From<model::ReadPosition> for ReadPosition {
    fn from(p: model::ReadPosition) -> Self {
        ReadPosition { user_id: p.user_id, last_read_seq: p.last_read_seq }
    }
}

impl From<model::MentionListing> for MentionListing {
    fn from(m: model::MentionListing) -> Self {
        MentionListing { channel: m.channel.into(), message: m.message.into() }
    }
}

impl From<model::ThreadListing> for ThreadListing {
    fn from(t: model::ThreadListing) -> Self {
        ThreadListing { channel: t.channel.into(), thread: t.thread.into(), root: t.root.into() }
    }
}

impl From<model::ThreadPage> for ThreadPage {
    fn from(t: model::ThreadPage) -> Self {
        ThreadPage {
            root: t.root.into(),
            replies: t.replies.into_iter().map(Into::into).collect(),
            has_more: t.has_more,
            following: t.following,
            last_read_seq: t.last_read_seq,
        }
    }
}

impl From<model::OrgOverview> for OrgView {
    fn from(o: model::OrgOverview) -> Self {
        OrgView {
            org: o.membership.into(),
            channels: o.channels.into_iter().map(Into::into).collect(),
            members: o.members.into_iter().map(Into::into).collect(),
            notice_seq: o.notice_seq,
            threads: o.threads.into_iter().map(Into::into).collect(),
            receipts: o.receipts.into(),
            members_mention_all: o.members_mention_all,
        }
    }
}

impl From<model::History> for HistoryPage {
    fn from(h: model::History) -> Self {
        HistoryPage {
            channel: h.channel.into(),
            messages: h.messages.into_iter().map(Into::into).collect(),
            has_more: h.has_more,
        }
    }
}

impl From<model::InviteTarget> for InvitePreview {
    fn from(t: model::InviteTarget) -> Self {
        InvitePreview {
            org_name: t.org_name,
            org_slug: t.org_slug,
            invited_by: t.invited_by,
            already_member: t.already_member,
        }
    }
}

impl From<model::InviteLink> for InviteSummary {
    fn from(l: model::InviteLink) -> Self {
        InviteSummary { id: l.id, created_by: l.created_by, created_at: l.created_at, expires_at: l.expires_at }
    }
}

/// An invite link as its maker sees it: `origin` is `http(s)://host` of this site.
pub(super) fn invite(new: model::NewInvite, origin: &str) -> Invite {
    let path = format!("/invite/{}", new.token);
    Invite { url: format!("{origin}{path}"), path, token: new.token, expires_at: new.expires_at }
}

/// An organization's invite links; `origin` as for [`invite`].
pub(super) fn invite_list(links: model::InviteLinks, origin: &str) -> InviteList {
    InviteList {
        invites: links.links.into_iter().map(Into::into).collect(),
        new_link: links.new_link.map(|new| invite(new, origin)),
    }
}

impl From<model::News> for events::News {
    fn from(n: model::News) -> Self {
        match n {
            model::News::Read { channel_id, last_read_seq } => {
                events::News::Read(events::ReadCursor { channel_id, last_read_seq })
            }
            model::News::ChannelAdded(c) => events::News::ChannelAdded(c.into()),
            model::News::ThreadRead { channel_id, root_seq, last_read_seq } => {
                events::News::ThreadRead(events::ThreadCursor { channel_id, root_seq, last_read_seq })
            }
            model::News::ThreadFollowed { channel_id, root_seq, following } => {
                events::News::ThreadFollowed(events::ThreadFollow { channel_id, root_seq, following })
            }
            model::News::Mentioned { channel_id, seq, thread_of } => {
                events::News::Mentioned(events::Mention { channel_id, seq, thread_of })
            }
        }
    }
}

impl From<model::Notice> for events::Notice {
    fn from(n: model::Notice) -> Self {
        events::Notice { seq: n.seq, news: n.news.into() }
    }
}

impl From<model::Notices> for events::Notices {
    fn from(n: model::Notices) -> Self {
        events::Notices {
            notices: n.notices.into_iter().map(Into::into).collect(),
            last_seq: n.last_seq,
            more: n.more,
            missing: n.missing,
        }
    }
}

impl From<model::MessageVersion> for MessageVersion {
    fn from(v: model::MessageVersion) -> Self {
        MessageVersion { body: v.body, written_at: v.written_at }
    }
}

impl From<confab_core::service::MessageHistory> for MessageHistory {
    fn from(h: confab_core::service::MessageHistory) -> Self {
        MessageHistory { message: h.message.into(), versions: h.versions.into_iter().map(Into::into).collect() }
    }
}

impl From<model::SearchResults> for search::SearchResults {
    fn from(r: model::SearchResults) -> Self {
        let hits = r
            .hits
            .into_iter()
            .map(|h| search::SearchHit {
                channel_id: h.channel_id,
                channel_name: h.channel_name,
                channel_kind: h.channel_kind,
                seq: h.seq,
                author_id: h.author_id,
                author: h.author,
                sent_at: h.sent_at,
                thread_of: h.thread_of,
                snippet: h.snippet.into_iter().map(|p| search::SnippetPart { text: p.text, hit: p.hit }).collect(),
            })
            .collect();
        search::SearchResults { hits, ignored: r.ignored, more: r.more }
    }
}
