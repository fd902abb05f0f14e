//! A channel's events (messages, members joining and leaving, deletions;
//! edits are `message_edits`):
//! each stored under the channel's next `seq`, taken from
//! `channels.last_seq` in the inserting transaction, so a channel's `seq`
//! is gapless; a message's `client_id` is unique in its channel, so a retry
//! finds the original instead of storing a copy.

use super::dialect::{Pool, Tx, sql};
use super::group_commit::MessageSink;
use super::message_batch::{NewMessage, ReplyTo, Written, insert_batch};
use super::records::{MessageRecord, StreamRecord};
use super::{Store, StoreError, StoreResult, now_ms};
use crate::kinds::{ChannelKind, EventKind};
use crate::model::{Message, User};

/// An event of a kind this build does not know is an error, never shown as
/// another kind.
pub(super) fn message(r: MessageRecord) -> StoreResult<Message> {
    let kind =
        EventKind::parse(&r.kind).ok_or_else(|| StoreError::Unknown(format!("kind {:?} of event {}", r.kind, r.id)))?;
    Ok(Message {
        id: r.id,
        channel_id: r.channel_id,
        seq: r.seq,
        kind,
        client_id: r.client_id,
        author_id: r.author_id,
        author: r.author,
        body: r.body,
        sent_at: r.sent_at,
        refers_to: r.refers_to,
        deleted: r.deleted_at.is_some(),
        edited: r.edited_at.is_some(),
        pinned: r.pinned_at.is_some(),
        reactions: Vec::new(),
        files: Vec::new(),
        thread_of: r.thread_of,
        in_channel: r.in_channel != 0,
        thread: None,
    })
}

/// The channel and the first and last `seq` of the messages among
/// `events` (one channel's) that show what is on them (not deleted), for
/// reading what is on them in one query; `None` when there are none.
pub(super) fn shown_span(events: &[Message]) -> Option<(i64, i64, i64)> {
    let seqs = events.iter().filter(|m| m.kind == EventKind::Message && !m.deleted).map(|m| m.seq);
    let (from, to) = (seqs.clone().min()?, seqs.max()?);
    Some((events.first()?.channel_id, from, to))
}

/// An event the server writes (not posted by a client) as stored.
pub(super) fn event(
    (id, seq): (i64, i64),
    channel_id: i64,
    kind: EventKind,
    client_id: String,
    author: &User,
    now: i64,
) -> Message {
    Message {
        id,
        channel_id,
        seq,
        kind,
        client_id,
        author_id: author.id,
        author: author.username.clone(),
        body: String::new(),
        sent_at: now,
        refers_to: None,
        deleted: false,
        edited: false,
        pinned: false,
        reactions: Vec::new(),
        files: Vec::new(),
        thread_of: None,
        in_channel: false,
        thread: None,
    }
}

/// The outcome of storing a message.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) message: Message,
    /// False when `client_id` had been stored before: `message` is that original.
    pub(crate) created: bool,
}

impl Store {
    /// Stores a message with the channel's next `seq`, or returns the message
    /// already stored under the same `client_id` (a retry).
    pub(crate) async fn insert_message(
        &self,
        channel_id: i64,
        client_id: &str,
        author: &User,
        body: &str,
        reply: Option<ReplyTo>,
        files: Vec<i64>,
    ) -> StoreResult<Stored> {
        let with_files = !files.is_empty();
        // Stored by the group-commit writer, with whatever else is waiting.
        let now = now_ms();
        let message = NewMessage {
            channel_id,
            client_id: client_id.to_owned(),
            author_id: author.id,
            body: body.to_owned(),
            created_at: now,
            reply,
            files,
        };
        let Some((id, seq)) = self.writer.write(message).await? else {
            // Stored before: a retry, or a concurrent retry that won the race.
            return match self.message_by_client_id(channel_id, client_id).await? {
                Some(message) => Ok(Stored { message, created: false }),
                None => Err(StoreError::Conflict("messages.client_id".into())),
            };
        };
        let message = Message {
            id,
            channel_id,
            seq,
            kind: EventKind::Message,
            client_id: client_id.to_owned(),
            author_id: author.id,
            author: author.username.clone(),
            body: body.to_owned(),
            sent_at: now,
            refers_to: None,
            deleted: false,
            edited: false,
            pinned: false,
            reactions: Vec::new(),
            // As attached: a file sent meanwhile by another of its
            // uploader's messages went there.
            files: if with_files { self.files_of(id).await? } else { Vec::new() },
            thread_of: reply.map(|r| r.root_seq),
            in_channel: reply.is_some_and(|r| r.in_channel),
            thread: None,
        };
        Ok(Stored { message, created: true })
    }

    /// Deletes message `seq` of a channel as `by`: its text is wiped and a
    /// `deleted` event (`client_id` names it) takes the channel's next `seq`,
    /// in one transaction. `None` when there is no such message or it was
    /// deleted before.
    pub(crate) async fn delete_message(
        &self,
        channel_id: i64,
        seq: i64,
        by: &User,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        // The reply's thread, if it is one (`Some(None)` for a message of the channel).
        let wiped = sql!(
            &mut tx,
            fetch_optional,
            query_scalar!(
                "UPDATE messages SET body = '', deleted_at = $3, pinned_at = NULL, pinned_by = NULL
             WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND deleted_at IS NULL RETURNING thread_of AS \"thread_of?\"",
                channel_id,
                seq,
                now
            )
        )?;
        let stored = if let Some(thread_of) = wiped {
            super::message_edits::wipe_edits(&mut tx, channel_id, seq).await?;
            super::reactions::drop_reactions(&mut tx, channel_id, seq).await?;
            super::files::drop_files(&mut tx, channel_id, seq).await?;
            let (kind, refers_to) = (EventKind::Deleted, Some(seq));
            let event = NewEvent {
                channel_id,
                kind,
                client_id: &client_id,
                author_id: by.id,
                body: "",
                refers_to,
                at: now,
                thread_of,
                in_channel: false,
            };
            Some((append_event(&mut tx, event).await?, thread_of))
        } else {
            None
        };
        tx.commit().await?;
        Ok(stored.map(|(ids, thread_of)| Message {
            refers_to: Some(seq),
            thread_of,
            ..event(ids, channel_id, EventKind::Deleted, client_id, by, now)
        }))
    }

    /// The event of a channel at `seq`, if there is one that `reader` may
    /// read, as shown (with its reactions and thread).
    pub(crate) async fn message_at(&self, channel_id: i64, seq: i64, reader: i64) -> StoreResult<Option<Message>> {
        let found = self.messages_after(channel_id, seq - 1, 1, reader).await?;
        Ok(found.into_iter().find(|m| m.seq == seq))
    }

    /// The event of a channel at `seq`, if there is one that `reader` may
    /// read, as stored (no reactions, no thread: for checking what is done
    /// to it, in one query).
    pub(crate) async fn message_row_at(&self, channel_id: i64, seq: i64, reader: i64) -> StoreResult<Option<Message>> {
        let found = self.rows_after(channel_id, seq - 1, 1, reader).await?;
        Ok(found.into_iter().find(|m| m.seq == seq))
    }

    /// The message stored in a channel under `client_id`, with its files.
    pub(crate) async fn message_by_client_id(&self, channel_id: i64, client_id: &str) -> StoreResult<Option<Message>> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(
                MessageRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel
               FROM messages m JOIN users u ON u.id = m.author_id
               WHERE m.channel_id = $1 AND m.client_id = $2"#,
                channel_id,
                client_id
            )
        )?;
        match row.map(message).transpose()? {
            Some(m) => Ok(self.with_files(vec![m]).await?.pop()),
            None => Ok(None),
        }
    }

    /// Up to `limit` events after `after_seq` that `reader` may read (none
    /// from when they were out of a private channel or a direct
    /// conversation), oldest first, as shown.
    pub(crate) async fn messages_after(
        &self,
        channel_id: i64,
        after_seq: i64,
        limit: i64,
        reader: i64,
    ) -> StoreResult<Vec<Message>> {
        let events = self.rows_after(channel_id, after_seq, limit, reader).await?;
        self.with_threads(self.with_reactions(self.with_files(events).await?).await?).await
    }

    /// [`Store::messages_after`] as stored, undecorated.
    async fn rows_after(&self, channel_id: i64, after_seq: i64, limit: i64, reader: i64) -> StoreResult<Vec<Message>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MessageRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel
               FROM messages m JOIN users u ON u.id = m.author_id
               WHERE m.channel_id = $1 AND m.seq > $2
                 AND NOT EXISTS (SELECT 1 FROM channel_absences a WHERE a.channel_id = $1 AND a.user_id = $4
                                 AND m.seq > a.from_seq AND (a.to_seq IS NULL OR m.seq <= a.to_seq))
               ORDER BY m.seq LIMIT $3"#,
                channel_id,
                after_seq,
                limit,
                reader
            )
        )?;
        rows.into_iter().map(message).collect()
    }

    /// Up to `limit` events of a channel's stream after `after_seq`, oldest
    /// first, as its room was given them live (for no reader in particular),
    /// with the channel's kind.
    pub(crate) async fn stream_after(
        &self,
        channel_id: i64,
        after_seq: i64,
        limit: i64,
    ) -> StoreResult<Vec<(Message, ChannelKind)>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                StreamRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel, c.kind AS channel_kind
               FROM messages m JOIN users u ON u.id = m.author_id JOIN channels c ON c.id = m.channel_id
               WHERE m.channel_id = $1 AND m.seq > $2
               ORDER BY m.seq LIMIT $3"#,
                channel_id,
                after_seq,
                limit
            )
        )?;
        let events = rows
            .into_iter()
            .map(|r| {
                let kind = ChannelKind::parse(&r.channel_kind).ok_or_else(|| {
                    StoreError::Unknown(format!("kind {:?} of channel {}", r.channel_kind, r.channel_id))
                })?;
                Ok((message(r.into())?, kind))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let kinds: Vec<ChannelKind> = events.iter().map(|(_, kind)| *kind).collect();
        let messages = self.with_files(events.into_iter().map(|(m, _)| m).collect()).await?;
        Ok(messages.into_iter().zip(kinds).collect())
    }

    /// Up to `limit` events before `before_seq` (the newest when `None`)
    /// that `reader` may read, oldest first, and whether older ones exist.
    pub(crate) async fn history(
        &self,
        channel_id: i64,
        before_seq: Option<i64>,
        limit: i64,
        reader: i64,
    ) -> StoreResult<(Vec<Message>, bool)> {
        let (db, before_seq, fetched) = (&mut self.db().await?, before_seq.unwrap_or(i64::MAX), limit + 1);
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                MessageRecord,
                r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                      m.created_at AS sent_at, m.refers_to, m.deleted_at, m.edited_at, m.pinned_at, m.thread_of, m.in_channel
               FROM messages m JOIN users u ON u.id = m.author_id
               WHERE m.channel_id = $1 AND m.seq < $2
                 AND NOT EXISTS (SELECT 1 FROM channel_absences a WHERE a.channel_id = $1 AND a.user_id = $4
                                 AND m.seq > a.from_seq AND (a.to_seq IS NULL OR m.seq <= a.to_seq))
               ORDER BY m.seq DESC LIMIT $3"#,
                channel_id,
                before_seq,
                fetched,
                reader
            )
        )?;
        let has_more = rows.len() as i64 > limit;
        let mut messages = rows.into_iter().take(limit as usize).map(message).collect::<StoreResult<Vec<_>>>()?;
        messages.reverse();
        let messages = self.with_files(messages).await?;
        Ok((self.with_threads(self.with_reactions(messages).await?).await?, has_more))
    }
}

/// An event to store under its channel's next `seq`.
pub(super) struct NewEvent<'a> {
    pub(super) channel_id: i64,
    pub(super) kind: EventKind,
    /// Unique in the channel: a client's for its message, the server's for
    /// the events it writes.
    pub(super) client_id: &'a str,
    pub(super) author_id: i64,
    /// A message's text (empty for other events).
    pub(super) body: &'a str,
    /// The `seq` of the event it is about (a deletion's message).
    pub(super) refers_to: Option<i64>,
    pub(super) at: i64,
    /// The thread's root, for a reply or a reply's deletion.
    pub(super) thread_of: Option<i64>,
    /// A reply also sent to the channel.
    pub(super) in_channel: bool,
}

/// Takes the channel's next `seq` and stores `e` under it; its id and
/// `seq`. The UPDATE comes first, so the channel's row is locked before
/// anything is read and the `seq` is this event's until commit.
pub(super) async fn append_event(tx: &mut Tx, e: NewEvent<'_>) -> StoreResult<(i64, i64)> {
    let seq = sql!(
        tx,
        fetch_one,
        query_scalar!(
            r#"UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq AS "last_seq!""#,
            e.channel_id
        )
    )?;
    let (kind, in_channel) = (e.kind.as_str(), i64::from(e.in_channel));
    let id = sql!(
        tx,
        fetch_one,
        query_scalar!(
            r#"INSERT INTO messages (channel_id, seq, kind, client_id, author_id, body, refers_to, created_at, thread_of, in_channel)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id AS "id!""#,
            e.channel_id,
            seq,
            kind,
            e.client_id,
            e.author_id,
            e.body,
            e.refers_to,
            e.at,
            e.thread_of,
            in_channel
        )
    )?;
    Ok((id, seq))
}

/// The group-commit writer stores messages in the pool's dialect: a batch
/// in one transaction of four statements ([`insert_batch`]), a message
/// alone in a transaction of its own.
impl MessageSink for Pool {
    async fn store_batch(&self, messages: &[NewMessage]) -> StoreResult<Vec<Written>> {
        let mut tx = self.begin_write().await?;
        let written = insert_batch(&mut tx, messages).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn store_one(&self, m: &NewMessage) -> StoreResult<Written> {
        let stored = async {
            let mut tx = self.begin().await?;
            let event = NewEvent {
                channel_id: m.channel_id,
                kind: EventKind::Message,
                client_id: &m.client_id,
                author_id: m.author_id,
                body: &m.body,
                refers_to: None,
                at: m.created_at,
                thread_of: m.reply.map(|r| r.root_seq),
                in_channel: m.reply.is_some_and(|r| r.in_channel),
            };
            let stored = append_event(&mut tx, event).await?;
            let attached: Vec<(i64, i64)> = m.files.iter().map(|f| (*f, stored.0)).collect();
            super::message_batch::attach_files(&mut tx, &attached).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(stored)
        };
        match stored.await {
            Ok(stored) => Ok(Some(stored)),
            // Stored before: a retry (told by the unique index).
            Err(StoreError::Conflict(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
