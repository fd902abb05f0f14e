//! Threads: replying to a message in a thread of its own, following a
//! thread, and each person's read cursor in one, exact on every device
//! (each change of either is a notice on their stream). A reply is posted
//! like any message (`Service::post`, with its draft `in_thread`), so it is
//! an event of the channel's stream in its turn.

use super::notices::UserNotice;
use super::{ChannelAccess, Service, Standing, fail};
use crate::error::{CoreError, CoreResult};
use crate::model::{Channel, FollowedThread, Message, News, ThreadListing, ThreadPage};

/// The most replies one page of a thread holds.
pub const MAX_THREAD_PAGE: i64 = 200;

/// The most followed threads a person's list holds.
const MAX_FOLLOWED: i64 = 200;

impl Service {
    /// Message `seq` of the channel as a thread's root, if the caller may
    /// read it: a reply is not one (threads do not nest).
    pub(super) async fn thread_root(&self, access: &ChannelAccess, seq: i64) -> CoreResult<Message> {
        let root = self.message_of(access, seq).await?;
        if root.thread_of.is_some() {
            return Err(CoreError::invalid("That message is a reply: answer in its thread instead."));
        }
        Ok(root)
    }

    /// After a reply is stored: its author follows its thread (read up to
    /// their reply), and so does the root's author unless they chose not
    /// to; whoever follows it only now hears so on every device. The reply
    /// stands whatever happens here: what is not written is logged.
    pub(super) async fn follow_on_reply(&self, access: &ChannelAccess, root: &Message, reply: &Message) {
        self.follow_thread_for(access, root.seq, Some((reply.author_id, reply.seq)), &[root.author_id]).await;
    }

    /// `replier` (with the `seq` of their reply) follows the thread of
    /// `root_seq`, and so does each of `others` unless they chose not to;
    /// whoever follows it only now hears so on every device.
    pub(super) async fn follow_thread_for(
        &self,
        access: &ChannelAccess,
        root_seq: i64,
        replier: Option<(i64, i64)>,
        others: &[i64],
    ) {
        let ChannelAccess { standing, channel } = access;
        let follows = self.store.follow_on_reply(standing.org.id, (channel.id, root_seq), replier, others).await;
        match follows {
            Ok(to) => self.tell(UserNotice {
                org_slug: standing.org.slug.clone(),
                to,
                news: News::ThreadFollowed { channel_id: channel.id, root_seq, following: true },
            }),
            Err(e) => tracing::warn!(
                channel_id = channel.id,
                root_seq,
                error = %e,
                "who follows a thread was not written after a reply"
            ),
        }
    }

    /// A thread's root and up to `limit` of its replies before `before_seq`
    /// (the newest when `None`), oldest first, with whether the caller
    /// follows it and where they have read to.
    pub async fn thread(
        &self,
        access: &ChannelAccess,
        root_seq: i64,
        before_seq: Option<i64>,
        limit: i64,
    ) -> CoreResult<ThreadPage> {
        self.thread_root(access, root_seq).await?;
        // As shown: the open thread's root has its reactions.
        let root = self.shown_message_of(access, root_seq).await?;
        let (channel_id, reader) = (access.channel.id, access.standing.user.id);
        let limit = limit.clamp(1, MAX_THREAD_PAGE);
        let (replies, has_more) = self
            .store
            .thread_replies(channel_id, root_seq, before_seq, limit, reader)
            .await
            .map_err(fail("reading a thread"))?;
        let (following, last_read_seq) =
            self.store.thread_standing(channel_id, root_seq, reader).await.map_err(fail("reading a thread"))?;
        Ok(ThreadPage { root, replies, has_more, following, last_read_seq })
    }

    /// Follows the thread of message `root_seq` (`follow`), or stops
    /// following it; the caller's devices hear of a change. Whether they
    /// follow it now.
    pub async fn follow_thread(&self, access: &ChannelAccess, root_seq: i64, follow: bool) -> CoreResult<bool> {
        self.thread_root(access, root_seq).await?;
        let ChannelAccess { standing, channel } = access;
        let user_id = standing.user.id;
        let changed = self
            .store
            .set_following(standing.org.id, user_id, (channel.id, root_seq), follow)
            .await
            .map_err(fail("following a thread"))?;
        if let Some(seq) = changed {
            tracing::info!(user_id, channel_id = channel.id, root_seq, follow, "thread followed or left");
            self.tell(UserNotice {
                org_slug: standing.org.slug.clone(),
                to: vec![(user_id, seq)],
                news: News::ThreadFollowed { channel_id: channel.id, root_seq, following: follow },
            });
        }
        Ok(follow)
    }

    /// Moves the caller's read cursor in the thread of message `root_seq`
    /// forward to `seq` (never back, never past its newest reply) and tells
    /// their other devices; where it is now.
    pub async fn mark_thread_read(&self, access: &ChannelAccess, root_seq: i64, seq: i64) -> CoreResult<i64> {
        self.thread_root(access, root_seq).await?;
        let ChannelAccess { standing, channel } = access;
        let user_id = standing.user.id;
        let (last_read_seq, notice_seq) = self
            .store
            .mark_thread_read(standing.org.id, user_id, (channel.id, root_seq), seq)
            .await
            .map_err(fail("marking a thread read"))?;
        if let Some(seq) = notice_seq {
            self.tell(UserNotice {
                org_slug: standing.org.slug.clone(),
                to: vec![(user_id, seq)],
                news: News::ThreadRead { channel_id: channel.id, root_seq, last_read_seq },
            });
        }
        Ok(last_read_seq)
    }

    /// The threads the caller follows in the channels they may read
    /// (`in_sight`: those channels), newest reply first, with their unread
    /// replies counted.
    pub async fn followed_threads(&self, standing: &Standing, in_sight: &[Channel]) -> CoreResult<Vec<FollowedThread>> {
        let all = self
            .store
            .followed_threads(standing.org.id, standing.user.id, MAX_FOLLOWED)
            .await
            .map_err(fail("listing followed threads"))?;
        Ok(all.into_iter().filter(|t| in_sight.iter().any(|c| c.id == t.channel_id)).collect())
    }

    /// The threads the caller follows, newest reply first (at most
    /// `limit`), each with its channel and the message it replies to.
    pub async fn thread_list(&self, standing: &Standing, limit: usize) -> CoreResult<Vec<ThreadListing>> {
        let channels = self.list_channels(standing).await?;
        let threads = self.followed_threads(standing, &channels).await?;
        let mut listed = Vec::with_capacity(threads.len().min(limit));
        for thread in threads.into_iter().take(limit) {
            let Some(channel) = channels.iter().find(|c| c.id == thread.channel_id).cloned() else { continue };
            let root = self.store.message_row_at(channel.id, thread.root_seq, standing.user.id).await;
            // One they may not read (from while they were out of it) is left out.
            if let Some(root) = root.map_err(fail("listing followed threads"))? {
                listed.push(ThreadListing { channel, thread, root });
            }
        }
        Ok(listed)
    }
}
