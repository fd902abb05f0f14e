//! Channels and who has joined them. Joining and leaving are events of the
//! channel (each takes its next `seq`), stored with the change itself.

use super::dialect::{Tx, sql};
use super::messages::{NewEvent, append_event, event};
use super::read_cursors::set_cursor;
use super::records::{ChannelRecord, ChannelSeqRecord};
use super::{Store, StoreError, StoreResult, now_ms};
use crate::kinds::{ChannelKind, EventKind};
use crate::model::{Channel, Message, User};

/// A channel of a kind this build does not know (written by a newer one) is
/// an error, never read as another kind: access rules depend on it.
fn channel(r: ChannelRecord) -> StoreResult<Channel> {
    let kind = ChannelKind::parse(&r.kind)
        .ok_or_else(|| StoreError::Unknown(format!("kind {:?} of channel {}", r.kind, r.id)))?;
    let joined = r.joined != 0;
    Ok(Channel {
        id: r.id,
        org_id: r.org_id,
        name: r.name,
        kind,
        last_seq: r.last_seq,
        joined,
        last_read_seq: if joined { r.last_read_seq } else { 0 },
        unread: if joined { r.unread } else { 0 },
        mentions: if joined { r.mentions } else { 0 },
    })
}

impl Store {
    /// Creates a channel that its creator has joined. A taken name in the same
    /// organization is `StoreError::Conflict`.
    pub(crate) async fn create_channel(
        &self,
        org_id: i64,
        name: &str,
        kind: ChannelKind,
        by: i64,
    ) -> StoreResult<Channel> {
        let (mut tx, now, kind_name) = (self.pool.begin().await?, now_ms(), kind.as_str());
        let id = sql!(
            &mut tx,
            fetch_one,
            query_scalar!(
                r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
               RETURNING id AS "id!""#,
                org_id,
                name,
                kind_name,
                by,
                now
            )
        )?;
        join_as_creator(&mut tx, id, by, now).await?;
        tx.commit().await?;
        Ok(Channel {
            id,
            org_id,
            name: name.to_owned(),
            kind,
            last_seq: 0,
            joined: true,
            last_read_seq: 0,
            unread: 0,
            mentions: 0,
        })
    }

    /// All channels of an organization, by name, as `user_id` sees them,
    /// with their unread counts (up to 100).
    pub(crate) async fn channels_of(&self, org_id: i64, user_id: i64) -> StoreResult<Vec<Channel>> {
        let db = &mut self.db().await?;
        let rows = sql!(
            db,
            fetch_all,
            query_as!(
                ChannelRecord,
                r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                      (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                      COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                      (SELECT COUNT(*) FROM (SELECT 1 FROM messages e WHERE e.channel_id = c.id AND e.kind = 'message' AND e.deleted_at IS NULL
                         AND (e.thread_of IS NULL OR e.in_channel = 1) AND e.author_id <> $1 AND e.seq > COALESCE(r.last_read_seq, 0) LIMIT 100) AS unread_rows) AS "unread!: i64",
                      (SELECT COUNT(*) FROM (SELECT 1 FROM mentions n JOIN messages e ON e.channel_id = n.channel_id AND e.seq = n.seq
                         WHERE n.user_id = $1 AND n.channel_id = c.id AND n.thread_of IS NULL AND e.deleted_at IS NULL
                         AND n.seq > COALESCE(r.last_read_seq, 0) LIMIT 100) AS mention_rows) AS "mentions!: i64"
               FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.org_id = $2 ORDER BY c.name"#,
                user_id,
                org_id
            )
        )?;
        rows.into_iter().map(channel).collect()
    }

    pub(crate) async fn channel_by_name(&self, org_id: i64, name: &str, user_id: i64) -> StoreResult<Option<Channel>> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(
                ChannelRecord,
                r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                      (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                      COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                      CAST(0 AS BIGINT) AS "unread!: i64", CAST(0 AS BIGINT) AS "mentions!: i64"
               FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.org_id = $2 AND c.name = $3"#,
                user_id,
                org_id,
                name
            )
        )?;
        row.map(channel).transpose()
    }

    pub(crate) async fn channel_by_id(&self, id: i64, user_id: i64) -> StoreResult<Option<Channel>> {
        let db = &mut self.db().await?;
        let row = sql!(
            db,
            fetch_optional,
            query_as!(
                ChannelRecord,
                r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                      (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                      COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                      CAST(0 AS BIGINT) AS "unread!: i64", CAST(0 AS BIGINT) AS "mentions!: i64"
               FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.id = $2"#,
                user_id,
                id
            )
        )?;
        row.map(channel).transpose()
    }

    /// Each of `ids` that exists, with how far its stream reaches.
    pub(crate) async fn last_seqs(&self, ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        super::dialect::last_seqs(&mut self.db().await?, ids).await
    }

    /// The channels of an organization a user has joined.
    pub(crate) async fn joined_channels(&self, org_id: i64, user_id: i64) -> StoreResult<Vec<i64>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_all,
            query_scalar!(
                r#"SELECT c.id AS "id!" FROM channels c JOIN channel_members m ON m.channel_id = c.id
               WHERE c.org_id = $1 AND m.user_id = $2 ORDER BY c.id"#,
                org_id,
                user_id
            )
        )?)
    }

    /// Finds or starts the direct conversation named `name` (see
    /// [`crate::rules::direct_name`]) and puts each of `people` who is a
    /// member of the organization in it (a newcomer has read everything so
    /// far), all or nothing; its id and who was not in it before.
    pub(crate) async fn open_direct(
        &self,
        org_id: i64,
        name: &str,
        by: i64,
        people: &[i64],
    ) -> StoreResult<(i64, Vec<i64>)> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        let created = sql!(
            &mut tx,
            fetch_optional,
            query_scalar!(
                r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, 'direct', $3, $4)
               ON CONFLICT (org_id, name) DO NOTHING RETURNING id AS "id!""#,
                org_id,
                name,
                by,
                now
            )
        )?;
        let (id, last_seq) = match created {
            Some(id) => (id, 0),
            None => {
                let found = sql!(
                    &mut tx,
                    fetch_one,
                    query_as!(
                        ChannelSeqRecord,
                        r#"SELECT id AS "id!", last_seq FROM channels WHERE org_id = $1 AND name = $2"#,
                        org_id,
                        name
                    )
                )?;
                (found.id, found.last_seq)
            }
        };
        let mut added = Vec::new();
        for &person in people {
            // Only a member of the organization now: someone removed since the
            // caller looked is not put in.
            let new = sql!(
                &mut tx,
                execute,
                query!(
                    "INSERT INTO channel_members (channel_id, user_id, joined_at)
                 SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM memberships WHERE org_id = $4 AND user_id = $2)
                 ON CONFLICT (channel_id, user_id) DO NOTHING",
                    id,
                    person,
                    now,
                    org_id
                )
            )?;
            if new > 0 {
                set_cursor(&mut tx, person, id, last_seq).await?;
                back_in(&mut tx, id, person, last_seq).await?;
                added.push(person);
            }
        }
        tx.commit().await?;
        Ok((id, added))
    }

    /// Joins a channel, with its `joined` event under the channel's next
    /// `seq`; joining twice changes nothing (`None`). `client_id` names the
    /// event (unique in the channel).
    pub(crate) async fn join_channel(
        &self,
        channel_id: i64,
        user: &User,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        let stored = join(&mut tx, channel_id, user.id, &client_id, now).await?;
        tx.commit().await?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Joined, client_id, user, now)))
    }

    /// Leaves a channel, with its `left` event; leaving a channel one has not
    /// joined changes nothing (`None`).
    pub(crate) async fn leave_channel(
        &self,
        channel_id: i64,
        user: &User,
        client_id: String,
    ) -> StoreResult<Option<Message>> {
        let (mut tx, now) = (self.pool.begin().await?, now_ms());
        let left = sql!(
            &mut tx,
            execute,
            query!("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2", channel_id, user.id)
        )?;
        let stored = if left > 0 {
            let (kind, author_id) = (EventKind::Left, user.id);
            let event = NewEvent {
                channel_id,
                kind,
                client_id: &client_id,
                author_id,
                body: "",
                refers_to: None,
                at: now,
                thread_of: None,
                in_channel: false,
            };
            let (id, seq) = append_event(&mut tx, event).await?;
            out_from(&mut tx, channel_id, user.id, seq).await?;
            Some((id, seq))
        } else {
            None
        };
        tx.commit().await?;
        Ok(stored.map(|ids| event(ids, channel_id, EventKind::Left, client_id, user, now)))
    }
}

/// Someone is out of a channel after `seq`: if it is a private channel or a
/// direct conversation, what is said there from then on until they are
/// back is not theirs to read ([`back_in`] ends it).
async fn out_from(tx: &mut Tx, channel_id: i64, user_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO channel_absences (channel_id, user_id, from_seq)
             SELECT id, $2, $3 FROM channels WHERE id = $1 AND kind IN ('private', 'direct')
             ON CONFLICT (channel_id, user_id, from_seq) DO NOTHING",
            channel_id,
            user_id,
            seq
        )
    )?;
    Ok(())
}

/// Someone out of a channel is back in it after `seq`: their absence ends
/// there (what came after is theirs to read).
async fn back_in(tx: &mut Tx, channel_id: i64, user_id: i64, seq: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "UPDATE channel_absences SET to_seq = $3 WHERE channel_id = $1 AND user_id = $2 AND to_seq IS NULL",
            channel_id,
            user_id,
            seq
        )
    )?;
    Ok(())
}

/// Joins `user_id` to a channel with its `joined` event; what came before
/// counts as read. `None` if they had joined it already.
pub(super) async fn join(
    tx: &mut Tx,
    channel_id: i64,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> StoreResult<Option<(i64, i64)>> {
    let joined = sql!(
        tx,
        execute,
        query!(
            "INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)
         ON CONFLICT (channel_id, user_id) DO NOTHING",
            channel_id,
            user_id,
            now
        )
    )?;
    if joined == 0 {
        return Ok(None);
    }
    let (kind, author_id) = (EventKind::Joined, user_id);
    let event = NewEvent {
        channel_id,
        kind,
        client_id,
        author_id,
        body: "",
        refers_to: None,
        at: now,
        thread_of: None,
        in_channel: false,
    };
    let (id, seq) = append_event(tx, event).await?;
    // Their own joining is theirs to read again, and what follows.
    back_in(tx, channel_id, user_id, seq - 1).await?;
    set_cursor(tx, user_id, channel_id, seq).await?;
    Ok(Some((id, seq)))
}

/// Puts the creator of a new channel in it, with nothing to read (no event:
/// the channel starts with them).
pub(super) async fn join_as_creator(tx: &mut Tx, channel_id: i64, user_id: i64, now: i64) -> StoreResult<()> {
    sql!(
        tx,
        execute,
        query!(
            "INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)",
            channel_id,
            user_id,
            now
        )
    )?;
    set_cursor(tx, user_id, channel_id, 0).await
}
