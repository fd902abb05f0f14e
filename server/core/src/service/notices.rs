//! A person's own stream of notices in an organization: what all of their
//! devices should hear (a channel read on one of them, a channel that
//! appeared for them). Each notice is stored with the next `seq` of the
//! person's stream, then told live ([`UserNotice`]); a device that missed
//! some (it was away, or word of one was lost between servers) asks for
//! what came after the last one it heard ([`Service::notices_after`]).

use super::{Service, Standing, fail};
use crate::access;
use crate::error::CoreResult;
use crate::kinds::Role;
use crate::model::{News, Notice, NoticeAbout, Notices, Org};

/// The most notices one page holds.
const PAGE: i64 = 200;

/// A notice told live to every device of the people it is for, at once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserNotice {
    pub org_slug: String,
    /// Each person it is for, with its `seq` in their stream.
    pub to: Vec<(i64, i64)>,
    pub news: News,
}

impl Service {
    /// Stores a notice for each of these people (those still members) and
    /// tells their devices. The change it tells of has happened already: if
    /// it cannot be stored, their devices see the change when they read
    /// their lists again.
    pub(super) async fn notify(&self, org: &Org, people: &[i64], news: News) {
        if people.is_empty() {
            return;
        }
        match self.store.add_notices(org.id, people, &news.about()).await {
            Ok(to) => self.tell(UserNotice { org_slug: org.slug.clone(), to, news }),
            Err(e) => {
                tracing::warn!(org = %org.slug, error = %e, "a notice was not stored; devices see the change when they read their lists")
            }
        }
    }

    /// Tells the devices of a stored notice's people.
    pub(super) fn tell(&self, notice: UserNotice) {
        if !notice.to.is_empty() {
            // Nobody listening (no live server) is fine.
            let _ = self.notices.send(notice);
        }
    }

    /// The caller's notices after `after` (the last one a device heard; 0
    /// for all that are kept), oldest first, a page at a time.
    pub async fn notices_after(&self, standing: &Standing, after: i64) -> CoreResult<Notices> {
        self.member_notices(&standing.org, standing.user.id, standing.role, after).await
    }

    /// A member's notices after `after`, for a server passing on what its
    /// sockets of theirs missed.
    pub async fn notices_of(&self, org_slug: &str, user_id: i64, after: i64) -> CoreResult<Notices> {
        let org = self.store.org_by_slug(org_slug).await.map_err(fail("looking up organization"))?;
        let org = org.ok_or_else(access::not_a_member)?;
        let role = self.store.role_in(org.id, user_id).await.map_err(fail("looking up membership"))?;
        self.member_notices(&org, user_id, access::member(role)?, after).await
    }

    async fn member_notices(&self, org: &Org, user_id: i64, role: Role, after: i64) -> CoreResult<Notices> {
        let page = self
            .store
            .notices_after(org.id, user_id, after, PAGE)
            .await
            .map_err(fail("reading notices"))?
            .ok_or_else(access::not_a_member)?;
        let more = page.through < page.last_seq;
        let mut notices = Vec::with_capacity(page.notices.len());
        for stored in page.notices {
            let news = match stored.about {
                NoticeAbout::Read { channel_id, last_read_seq } => News::Read { channel_id, last_read_seq },
                NoticeAbout::ThreadRead { channel_id, root_seq, last_read_seq } => {
                    News::ThreadRead { channel_id, root_seq, last_read_seq }
                }
                NoticeAbout::ThreadFollowed { channel_id, root_seq, following } => {
                    News::ThreadFollowed { channel_id, root_seq, following }
                }
                NoticeAbout::Mentioned { channel_id, seq, thread_of } => News::Mentioned { channel_id, seq, thread_of },
                // As they see it now; one they no longer see is left out.
                NoticeAbout::ChannelAdded { channel_id } => {
                    let channel =
                        self.store.channel_by_id(channel_id, user_id).await.map_err(fail("looking up channel"))?;
                    match channel.filter(|c| c.org_id == org.id && access::sees(role, c.kind, c.joined)) {
                        Some(channel) => News::ChannelAdded(channel),
                        None => continue,
                    }
                }
            };
            notices.push(Notice { seq: stored.seq, news });
        }
        Ok(Notices { notices, last_seq: page.through, more, missing: page.missing })
    }

    /// Where the caller's stream is now: what a device that reads its lists
    /// then hears notices after.
    pub async fn last_notice_seq(&self, standing: &Standing) -> CoreResult<i64> {
        self.store
            .last_notice_seq(standing.org.id, standing.user.id)
            .await
            .map_err(fail("reading notices"))?
            .ok_or_else(access::not_a_member)
    }
}
