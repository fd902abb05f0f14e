//! Messages: the one way to post (a message's input checked and within its
//! sender's rate, then stored in a channel its sender reads and published to
//! the channel's stream), and reading a channel's history and what a
//! returning connection missed.

use super::{ChannelAccess, Service, fail};
use crate::access;
use crate::channel_events::ChannelEvent;
use crate::error::{CoreError, CoreResult};
use crate::kinds::{EventKind, Role};
use crate::model::{History, Message, User};
use crate::rules;
use crate::store::ReplyTo;

/// Most messages a history page holds.
pub const MAX_HISTORY_PAGE: i64 = 200;

/// A message's input, checked and within its sender's rate: what
/// [`Service::post`] stores. Made by [`Service::draft`], before any
/// database is asked, so a flood costs no query.
#[derive(Debug)]
pub struct Draft {
    client_id: String,
    pub(super) body: String,
    reply: Option<ReplyTo>,
    /// Files its sender uploaded to the channel, sent with it.
    files: Vec<i64>,
}

impl Draft {
    /// The same message as a reply in the thread of message `root_seq`,
    /// also sent to the channel if `in_channel`.
    pub fn in_thread(self, root_seq: i64, in_channel: bool) -> Self {
        Draft { reply: Some(ReplyTo { root_seq, in_channel }), ..self }
    }
}

/// A message posted: the one stored, and whether this post stored it
/// (false for a retry with the same `client_id`, which returns the
/// original and publishes nothing).
#[derive(Clone, Debug)]
pub struct Posted {
    pub message: Message,
    pub created: bool,
}

impl Service {
    /// Checks a message's id and body (blank only with `files`, uploads to
    /// send with it) and counts it against its sender's rate: on this
    /// server (no query), then, in a cluster, on all of them.
    pub async fn draft(&self, sender: &User, client_id: &str, body: &str, files: &[i64]) -> CoreResult<Draft> {
        let client_id = rules::client_id(client_id)?.to_owned();
        let mut files = files.to_vec();
        files.sort_unstable();
        files.dedup();
        let body = rules::message_with_files(body, files.len())?;
        self.within_message_rate(sender).await?;
        Ok(Draft { client_id, body, reply: None, files })
    }

    /// Counts one more of the person's messages (or edits, or reactions)
    /// against their rate, on every server; refused when it is over.
    pub(super) async fn within_message_rate(&self, sender: &User) -> CoreResult<()> {
        let too_fast = || CoreError::rate_limited("You are sending messages too fast; wait a moment and send again.");
        if self.message_rate.check_key(&sender.id).is_err() {
            tracing::info!(user_id = sender.id, "message refused: sending too fast");
            return Err(too_fast());
        }
        if let Some(shared) = &self.shared_limits
            && shared.message(sender.id).await == Some(false)
        {
            tracing::info!(user_id = sender.id, "message refused: sending too fast through several servers");
            return Err(too_fast());
        }
        Ok(())
    }

    /// Stores a drafted message in the channel, if its holder may post
    /// there, and publishes it to the channel's stream; a retry with the
    /// same `client_id` returns the stored original and publishes nothing.
    /// A reply goes in the thread of a message the holder may read (deleted
    /// or not), which they follow from then on.
    pub async fn post(&self, access: &ChannelAccess, draft: Draft) -> CoreResult<Posted> {
        let ChannelAccess { standing, channel } = access;
        access::post(standing.role, channel.kind, channel.joined)?;
        let root = match draft.reply {
            Some(reply) => Some(self.thread_root(access, reply.root_seq).await?),
            None => None,
        };
        if !draft.files.is_empty()
            && let Err(e) = self.files_to_send(access, &draft.files).await
        {
            // A retry of a message sent with them returns it, as any retry.
            let sent = self.store.message_by_client_id(channel.id, &draft.client_id).await;
            return match sent.map_err(fail("looking up a message"))? {
                Some(message) => Ok(Posted { message, created: false }),
                None => Err(e),
            };
        }
        let (store, channel_id, author) = (self.store.clone(), channel.id, standing.user.clone());
        let Draft { client_id, body, reply, files } = draft;
        let stored = self
            .events
            .write(&standing.org.slug, channel_id, async move {
                let stored = store.insert_message(channel_id, &client_id, &author, &body, reply, files).await?;
                let event = stored.created.then(|| ChannelEvent::Message(stored.message.clone()));
                Ok((stored, event))
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "storing message");
                CoreError::Internal
            })?
            .map_err(fail("storing message"))?;
        if let Some(root) = root {
            self.follow_on_reply(access, &root, &stored.message).await;
        }
        let mentioned = self.record_mentions(access, &stored.message).await;
        if stored.created {
            self.push_message(access, &stored.message, mentioned);
        }
        Ok(Posted { message: stored.message, created: stored.created })
    }
    /// Message `seq` of the channel, if the caller may read it, as stored
    /// (for checking what is done to it; [`Service::shown_message_of`] has
    /// its reactions and thread).
    pub(super) async fn message_of(&self, access: &ChannelAccess, seq: i64) -> CoreResult<Message> {
        self.message_in(access, seq, false).await
    }

    /// Message `seq` of the channel, if the caller may read it, as shown.
    pub(super) async fn shown_message_of(&self, access: &ChannelAccess, seq: i64) -> CoreResult<Message> {
        self.message_in(access, seq, true).await
    }

    async fn message_in(&self, access: &ChannelAccess, seq: i64, shown: bool) -> CoreResult<Message> {
        let ChannelAccess { standing, channel } = access;
        let missing = || CoreError::not_found("There is no such message in this channel.");
        if seq < 1 {
            return Err(missing());
        }
        let message = if shown {
            self.store.message_at(channel.id, seq, standing.user.id).await
        } else {
            self.store.message_row_at(channel.id, seq, standing.user.id).await
        };
        let message = message.map_err(fail("looking up a message"))?.ok_or_else(missing)?;
        if message.kind != EventKind::Message {
            return Err(CoreError::invalid("That is not a message."));
        }
        Ok(message)
    }

    /// Up to `limit` events with `seq < before_seq` (the newest when
    /// `None`), oldest first: those the caller may read (none from when they
    /// were out of a private channel or a direct conversation).
    pub async fn history(&self, access: &ChannelAccess, before_seq: Option<i64>, limit: i64) -> CoreResult<History> {
        let channel = access.channel.clone();
        let limit = limit.clamp(1, MAX_HISTORY_PAGE);
        let reader = access.standing.user.id;
        let (messages, has_more) =
            self.store.history(channel.id, before_seq, limit, reader).await.map_err(fail("reading history"))?;
        Ok(History { channel, messages, has_more })
    }

    /// Up to `limit` events of a channel the caller reads after `after_seq`,
    /// oldest first (what a returning connection missed).
    pub async fn messages_after(
        &self,
        access: &ChannelAccess,
        after_seq: i64,
        limit: usize,
    ) -> CoreResult<Vec<Message>> {
        let (channel_id, reader) = (access.channel.id, access.standing.user.id);
        let missed = self.store.messages_after(channel_id, after_seq, limit as i64, reader).await;
        missed.map_err(fail("reading missed messages"))
    }

    /// How far each of the channels `ids` has got (`seq`), for a server
    /// checking the rooms it delivers to against the database.
    pub async fn stream_ends(&self, ids: &[i64]) -> CoreResult<Vec<(i64, i64)>> {
        self.store.last_seqs(ids).await.map_err(fail("reading how far channels have got"))
    }

    /// Up to `limit` events of a channel's stream after `after_seq`, as
    /// they were published: for a server delivering to the channel's room
    /// what word from the others did not bring (no access is checked: the
    /// sockets in the room were). A `left` event in a channel seen only by
    /// being in it (private, direct) takes its author out of sight of it;
    /// elsewhere (a supervisor channel left on a demotion) the demotion
    /// closes its sockets anyway (`Revoked::Role`).
    pub async fn stream_after(&self, channel_id: i64, after_seq: i64, limit: usize) -> CoreResult<Vec<ChannelEvent>> {
        let events = self.store.stream_after(channel_id, after_seq, limit as i64).await;
        let events = events.map_err(fail("reading a channel's stream"))?;
        Ok(events
            .into_iter()
            .map(|(message, kind)| match message.kind {
                // Nobody, not even an owner, sees it without being in it.
                EventKind::Left if !access::sees(Role::Owner, kind, false) => ChannelEvent::LostSight(message),
                _ => ChannelEvent::Message(message),
            })
            .collect())
    }
}
