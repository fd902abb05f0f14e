//! Reactions: who put which emoji on which message, each addition and
//! taking back an event of the channel's stream.

use super::dialect::{Tx, sql};
use super::messages::{NewEvent, append_event, event};
use super::{Store, StoreResult, now_ms};
use crate::kinds::EventKind;
use crate::model::{Message, Reaction, User};
use crate::rules::MAX_REACTIONS_PER_MESSAGE;

/// What a reaction did.
#[derive(Debug)]
pub(crate) enum Reacted {
    /// It was stored, and this event with it.
    Event(Box<Message>),
    /// It was there already (or, taken back, was not): nothing changed.
    Unchanged,
    /// The message has as many different reactions as it may.
    Full,
    /// No message at that `seq` (or it was deleted).
    NoMessage,
}

/// One reaction as stored, with the `seq` of its message.
#[derive(Debug)]
struct ReactionRecord {
    seq: i64,
    emoji: String,
    user_id: i64,
}

impl Store {
    /// Puts `emoji` on message `seq` of a channel as `by` (`add`), or takes
    /// it back; when that changes anything, a `reaction_added` or
    /// `reaction_removed` event (`client_id` names it) takes the channel's
    /// next `seq`, in the same transaction.
    pub(crate) async fn react(
        &self,
        channel_id: i64,
        seq: i64,
        by: &User,
        emoji: &str,
        add: bool,
        client_id: String,
    ) -> StoreResult<Reacted> {
        let (mut tx, now) = (self.pool.begin_write().await?, now_ms());
        let message = sql!(
            &mut tx,
            fetch_optional,
            query_scalar!(
                r#"SELECT id AS "id!" FROM messages
                 WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND deleted_at IS NULL"#,
                channel_id,
                seq
            )
        )?;
        let Some(message_id) = message else { return Ok(Reacted::NoMessage) };
        let changed = if add {
            if is_full(&mut tx, message_id, emoji).await? {
                return Ok(Reacted::Full);
            }
            sql!(
                &mut tx,
                execute,
                query!(
                    "INSERT INTO reactions (message_id, user_id, emoji, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (message_id, emoji, user_id) DO NOTHING",
                    message_id,
                    by.id,
                    emoji,
                    now
                )
            )?
        } else {
            sql!(
                &mut tx,
                execute,
                query!(
                    "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
                    message_id,
                    by.id,
                    emoji
                )
            )?
        };
        if changed == 0 {
            return Ok(Reacted::Unchanged);
        }
        let kind = if add { EventKind::ReactionAdded } else { EventKind::ReactionRemoved };
        let refers_to = Some(seq);
        let new = NewEvent {
            channel_id,
            kind,
            client_id: &client_id,
            author_id: by.id,
            body: emoji,
            refers_to,
            at: now,
            thread_of: None,
            in_channel: false,
        };
        let ids = append_event(&mut tx, new).await?;
        tx.commit().await?;
        Ok(Reacted::Event(Box::new(Message {
            refers_to,
            body: emoji.to_owned(),
            ..event(ids, channel_id, kind, client_id, by, now)
        })))
    }

    /// Puts their reactions on the messages among `events` (one channel's,
    /// by `seq`), each emoji once, in the order it was first put there.
    pub(super) async fn with_reactions(&self, mut events: Vec<Message>) -> StoreResult<Vec<Message>> {
        let Some((channel_id, from, to)) = super::messages::shown_span(&events) else { return Ok(events) };
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                ReactionRecord,
                r#"SELECT m.seq, r.emoji, r.user_id FROM reactions r JOIN messages m ON m.id = r.message_id
                 WHERE m.channel_id = $1 AND m.seq >= $2 AND m.seq <= $3 ORDER BY m.seq, r.created_at, r.user_id"#,
                channel_id,
                from,
                to
            )
        )?;
        for row in rows {
            let Some(m) = events.iter_mut().find(|m| m.seq == row.seq && m.kind == EventKind::Message) else {
                continue;
            };
            match m.reactions.iter_mut().find(|r| r.emoji == row.emoji) {
                Some(r) => r.user_ids.push(row.user_id),
                None => m.reactions.push(Reaction { emoji: row.emoji, user_ids: vec![row.user_id] }),
            }
        }
        Ok(events)
    }
}

/// Whether a new emoji would take the message past its limit.
async fn is_full(tx: &mut Tx, message_id: i64, emoji: &str) -> StoreResult<bool> {
    let kinds =
        sql!(tx, fetch_all, query_scalar!("SELECT DISTINCT emoji FROM reactions WHERE message_id = $1", message_id))?;
    Ok(kinds.len() >= MAX_REACTIONS_PER_MESSAGE && !kinds.iter().any(|e| e == emoji))
}

/// Takes every reaction off message `seq` of a channel (it is being deleted).
pub(super) async fn drop_reactions(tx: &mut Tx, channel_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "DELETE FROM reactions WHERE message_id IN
             (SELECT id FROM messages WHERE channel_id = $1 AND seq = $2 AND kind = 'message')",
            channel_id,
            seq
        )
    )?;
    Ok(())
}
