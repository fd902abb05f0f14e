//! Every query in PostgreSQL's dialect, checked at compile time against the
//! migrated schema (`migrations/postgres`) by sqlx's macros: from the committed
//! metadata in `.sqlx/` when there is no database (every normal build), and
//! against a real database by `scripts/sqlx-prepare.sh`, which writes that
//! metadata. Each function is one statement or one transaction; what the
//! rows mean is decided in the store's modules, once for both dialects.

use sqlx::PgConnection as Conn;
use sqlx::PgPool as Pool;
use sqlx::QueryBuilder;

use super::group_commit::{Batch, NewMessage, Written};
use super::records::*;
use crate::model::{Org, User};

pub async fn create_user(pool: &Pool, username: &str, password_hash: &str, now: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id AS "id!""#,
        username,
        password_hash,
        now
    )
    .fetch_one(pool)
    .await
}

pub async fn user_by_name(pool: &Pool, username: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id!", username, password_hash FROM users WHERE lower(username) = lower($1)"#,
        username
    )
    .fetch_optional(pool)
    .await
}

pub async fn create_session(
    pool: &Pool,
    token_hash: &str,
    user_id: i64,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        token_hash,
        user_id,
        now,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn session_user(pool: &Pool, token_hash: &str, now: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as!(
        User,
        r#"SELECT u.id AS "id!", u.username AS "username!" FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > $2"#,
        token_hash,
        now
    )
    .fetch_optional(pool)
    .await
}

pub async fn delete_session(pool: &Pool, token_hash: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(r#"DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id AS "user_id!""#, token_hash)
        .fetch_optional(pool)
        .await
}

pub async fn session_role(pool: &Pool, token_hash: &str, now: i64, org_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"SELECT m.role AS "role!" FROM sessions s JOIN memberships m ON m.user_id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > $2 AND m.org_id = $3"#,
        token_hash,
        now,
        org_id
    )
    .fetch_optional(pool)
    .await
}

/// A session's role in an organization and, in the same look, one of its
/// channels as the session's user sees it (for a live connection's `send`).
pub async fn session_channel(
    pool: &Pool,
    token_hash: &str,
    now: i64,
    org_id: i64,
    channel_id: i64,
) -> sqlx::Result<Option<SessionChannelRecord>> {
    sqlx::query_as!(
        SessionChannelRecord,
        r#"SELECT m.role AS "role!", c.id AS "id?", c.name AS "name?", c.kind AS "kind?", c.last_seq AS "last_seq?",
                  (SELECT COUNT(*) FROM channel_members cm WHERE cm.channel_id = $4 AND cm.user_id = s.user_id) AS "joined!: i64"
           FROM sessions s
           JOIN memberships m ON m.user_id = s.user_id AND m.org_id = $3
           LEFT JOIN channels c ON c.id = $4 AND c.org_id = $3
           WHERE s.token_hash = $1 AND s.expires_at > $2"#,
        token_hash,
        now,
        org_id,
        channel_id
    )
    .fetch_optional(pool)
    .await
}

pub async fn delete_expired_sessions(pool: &Pool, now: i64) -> sqlx::Result<Vec<ExpiredSession>> {
    sqlx::query_as!(
        ExpiredSession,
        r#"DELETE FROM sessions WHERE expires_at <= $1 RETURNING user_id AS "user_id!", token_hash AS "token_hash!""#,
        now
    )
    .fetch_all(pool)
    .await
}

pub async fn create_org(
    pool: &Pool,
    owner: i64,
    name: &str,
    slug: &str,
    owner_role: &str,
    channel: &str,
    now: i64,
) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO orgs (slug, name, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id AS "id!""#,
        slug,
        name,
        owner,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)",
        id,
        owner,
        owner_role,
        now
    )
    .execute(&mut *tx)
    .await?;
    let channel_id = sqlx::query_scalar!(
        r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, 'public', $3, $4)
           RETURNING id AS "id!""#,
        id,
        channel,
        owner,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)",
        channel_id,
        owner,
        now
    )
    .execute(&mut *tx)
    .await?;
    set_cursor(&mut tx, owner, channel_id, 0).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn org_by_slug(pool: &Pool, slug: &str) -> sqlx::Result<Option<Org>> {
    sqlx::query_as!(Org, r#"SELECT id AS "id!", slug, name FROM orgs WHERE slug = $1"#, slug).fetch_optional(pool).await
}

pub async fn role_in(pool: &Pool, org_id: i64, user_id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2", org_id, user_id)
        .fetch_optional(pool)
        .await
}

pub async fn orgs_of(pool: &Pool, user_id: i64) -> sqlx::Result<Vec<MembershipRecord>> {
    sqlx::query_as!(
        MembershipRecord,
        r#"SELECT o.id AS "id!", o.slug AS "slug!", o.name AS "name!", m.role AS "role!"
           FROM orgs o JOIN memberships m ON m.org_id = o.id
           WHERE m.user_id = $1 ORDER BY lower(o.name), o.id"#,
        user_id
    )
    .fetch_all(pool)
    .await
}

pub async fn owner_count(pool: &Pool, org_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT COUNT(*) AS "n!: i64" FROM memberships WHERE org_id = $1 AND role = 'owner'"#, org_id)
        .fetch_one(pool)
        .await
}

/// Gives a member another role; the number of memberships changed (0 when
/// they are not a member, or when that would leave the organization
/// without an owner: checked in the same statement).
pub async fn set_role(pool: &Pool, org_id: i64, user_id: i64, role: &str) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    lock_owners(&mut tx, org_id).await?;
    let done = sqlx::query!(
        "UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2
           AND (role <> 'owner' OR $3 = 'owner'
                OR (SELECT COUNT(*) FROM memberships o WHERE o.org_id = $1 AND o.role = 'owner') > 1)",
        org_id,
        user_id,
        role
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Takes the organization's row lock until the transaction ends, so that
/// changes which may take away an owner run one at a time: under READ
/// COMMITTED two of them would each count the other's owner and both go
/// through, leaving none. (SQLite runs one write at a time anyway.)
async fn lock_owners(conn: &mut Conn, org_id: i64) -> sqlx::Result<()> {
    sqlx::query!("SELECT id FROM orgs WHERE id = $1 FOR UPDATE", org_id).fetch_optional(&mut *conn).await?;
    Ok(())
}

pub async fn create_invite(
    pool: &Pool,
    token_hash: &str,
    org_id: i64,
    by: i64,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO invites (token_hash, org_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        token_hash,
        org_id,
        by,
        now,
        expires_at
    )
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn invite(pool: &Pool, token_hash: &str, now: i64) -> sqlx::Result<Option<InviteRow>> {
    sqlx::query_as!(
        InviteRow,
        r#"SELECT i.org_id AS "org_id!", o.slug AS "org_slug!", o.name AS "org_name!",
                  u.username AS "invited_by!", i.expires_at AS "expires_at!"
           FROM invites i JOIN orgs o ON o.id = i.org_id JOIN users u ON u.id = i.created_by
           WHERE i.token_hash = $1 AND i.expires_at > $2"#,
        token_hash,
        now
    )
    .fetch_optional(pool)
    .await
}

pub async fn invites_of(pool: &Pool, org_id: i64, now: i64) -> sqlx::Result<Vec<InviteListRow>> {
    sqlx::query_as!(
        InviteListRow,
        r#"SELECT i.token_hash AS "token_hash!", i.created_by AS "created_by_id!", u.username AS "created_by!",
                  i.created_at AS "created_at!", i.expires_at AS "expires_at!"
           FROM invites i JOIN users u ON u.id = i.created_by
           WHERE i.org_id = $1 AND i.expires_at > $2 ORDER BY i.created_at DESC, i.token_hash"#,
        org_id,
        now
    )
    .fetch_all(pool)
    .await
}

pub async fn delete_invite(pool: &Pool, org_id: i64, token_hash: &str) -> sqlx::Result<u64> {
    let done = sqlx::query!("DELETE FROM invites WHERE org_id = $1 AND token_hash = $2", org_id, token_hash)
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}

/// Adds a member and joins them to `channel` (the default one), with the
/// channel's `joined` event, all or nothing; `None` if they were a member
/// already (nothing changes then).
#[allow(clippy::too_many_arguments)]
pub async fn add_member(
    pool: &Pool,
    org_id: i64,
    user_id: i64,
    role: &str,
    channel_id: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let mut tx = pool.begin().await?;
    let added = sqlx::query!(
        "INSERT INTO memberships (org_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, user_id) DO NOTHING",
        org_id,
        user_id,
        role,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let event = if added > 0 { join(&mut tx, channel_id, user_id, client_id, now).await? } else { None };
    tx.commit().await?;
    Ok(event)
}

/// Deletes a membership of the organization (its channels are left before,
/// each with its event; any it was put in meanwhile go with it); the number
/// of memberships removed: 0 when not a member, or when it is the last owner's.
pub async fn remove_membership(pool: &Pool, org_id: i64, user_id: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    lock_owners(&mut tx, org_id).await?;
    // Never the last owner (checked in the statement itself).
    let done = sqlx::query!(
        "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2
           AND (role <> 'owner' OR (SELECT COUNT(*) FROM memberships o WHERE o.org_id = $1 AND o.role = 'owner') > 1)",
        org_id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() > 0 {
        // Channels they were put in after theirs were listed and left.
        sqlx::query!(
            "DELETE FROM channel_members WHERE user_id = $2 AND channel_id IN (SELECT id FROM channels WHERE org_id = $1)",
            org_id,
            user_id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// The channels of an organization a user has joined.
pub async fn joined_channels(pool: &Pool, org_id: i64, user_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"SELECT c.id AS "id!" FROM channels c JOIN channel_members m ON m.channel_id = c.id
           WHERE c.org_id = $1 AND m.user_id = $2 ORDER BY c.id"#,
        org_id,
        user_id
    )
    .fetch_all(pool)
    .await
}

/// The members of an organization with their stored roles, by name.
pub async fn members_of(pool: &Pool, org_id: i64) -> sqlx::Result<Vec<MemberRecord>> {
    sqlx::query_as!(
        MemberRecord,
        r#"SELECT u.id AS "id!", u.username AS "username!", m.role AS "role!"
           FROM memberships m JOIN users u ON u.id = m.user_id
           WHERE m.org_id = $1 ORDER BY lower(u.username), u.id"#,
        org_id
    )
    .fetch_all(pool)
    .await
}

/// Finds or creates the direct conversation `name` of organization `org_id`
/// and makes sure each of `people` who is a member of the organization is in
/// it (a newcomer has read everything so far), all or nothing; its id and
/// who was added.
pub async fn open_direct(
    pool: &Pool,
    org_id: i64,
    name: &str,
    by: i64,
    people: &[i64],
    now: i64,
) -> sqlx::Result<(i64, Vec<i64>)> {
    let mut tx = pool.begin().await?;
    let created = sqlx::query_scalar!(
        r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, 'direct', $3, $4)
           ON CONFLICT (org_id, name) DO NOTHING RETURNING id AS "id!""#,
        org_id,
        name,
        by,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    let (id, last_seq) = match created {
        Some(id) => (id, 0),
        None => {
            let found = sqlx::query!(
                r#"SELECT id AS "id!", last_seq FROM channels WHERE org_id = $1 AND name = $2"#,
                org_id,
                name
            )
            .fetch_one(&mut *tx)
            .await?;
            (found.id, found.last_seq)
        }
    };
    let mut added = Vec::new();
    for &person in people {
        // Only a member of the organization now: someone removed since the
        // caller looked is not put in.
        let new = sqlx::query!(
            "INSERT INTO channel_members (channel_id, user_id, joined_at)
             SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM memberships WHERE org_id = $4 AND user_id = $2)
             ON CONFLICT (channel_id, user_id) DO NOTHING",
            id,
            person,
            now,
            org_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if new > 0 {
            set_cursor(&mut tx, person, id, last_seq).await?;
            added.push(person);
        }
    }
    tx.commit().await?;
    Ok((id, added))
}

pub async fn create_channel(pool: &Pool, org_id: i64, name: &str, kind: &str, by: i64, now: i64) -> sqlx::Result<i64> {
    let mut tx = pool.begin().await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO channels (org_id, name, kind, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
           RETURNING id AS "id!""#,
        org_id,
        name,
        kind,
        by,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)", id, by, now)
        .execute(&mut *tx)
        .await?;
    set_cursor(&mut tx, by, id, 0).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn channels_of(pool: &Pool, user_id: i64, org_id: i64) -> sqlx::Result<Vec<ChannelRecord>> {
    sqlx::query_as!(
        ChannelRecord,
        r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                  (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                  COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                  (SELECT COUNT(*) FROM (SELECT 1 FROM messages e WHERE e.channel_id = c.id AND e.kind = 'message' AND e.deleted_at IS NULL
                     AND e.author_id <> $1 AND e.seq > COALESCE(r.last_read_seq, 0) LIMIT 100) AS unread_rows) AS "unread!: i64"
           FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.org_id = $2 ORDER BY c.name"#,
        user_id,
        org_id
    )
    .fetch_all(pool)
    .await
}

pub async fn channel_by_name(
    pool: &Pool,
    user_id: i64,
    org_id: i64,
    name: &str,
) -> sqlx::Result<Option<ChannelRecord>> {
    sqlx::query_as!(
        ChannelRecord,
        r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                  (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                  COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                  0::BIGINT AS "unread!: i64"
           FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.org_id = $2 AND c.name = $3"#,
        user_id,
        org_id,
        name
    )
    .fetch_optional(pool)
    .await
}

pub async fn channel_by_id(pool: &Pool, user_id: i64, id: i64) -> sqlx::Result<Option<ChannelRecord>> {
    sqlx::query_as!(
        ChannelRecord,
        r#"SELECT c.id AS "id!", c.org_id, c.name, c.kind, c.last_seq,
                  (SELECT COUNT(*) FROM channel_members m WHERE m.channel_id = c.id AND m.user_id = $1) AS "joined!: i64",
                  COALESCE(r.last_read_seq, 0) AS "last_read_seq!: i64",
                  0::BIGINT AS "unread!: i64"
           FROM channels c LEFT JOIN read_cursors r ON r.channel_id = c.id AND r.user_id = $1 WHERE c.id = $2"#,
        user_id,
        id
    )
    .fetch_optional(pool)
    .await
}

pub async fn last_seq(pool: &Pool, channel_id: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!("SELECT last_seq FROM channels WHERE id = $1", channel_id).fetch_one(pool).await
}

/// Joins a channel, with its `joined` event, all or nothing; `None` if the
/// user had joined it already (nothing changes then).
pub async fn join_channel(
    pool: &Pool,
    channel_id: i64,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let mut tx = pool.begin().await?;
    let event = join(&mut tx, channel_id, user_id, client_id, now).await?;
    tx.commit().await?;
    Ok(event)
}

async fn join(
    conn: &mut Conn,
    channel_id: i64,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let joined = sqlx::query!(
        "INSERT INTO channel_members (channel_id, user_id, joined_at) VALUES ($1, $2, $3)
         ON CONFLICT (channel_id, user_id) DO NOTHING",
        channel_id,
        user_id,
        now
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if joined == 0 {
        return Ok(None);
    }
    let (id, seq) = append_event(conn, channel_id, "joined", client_id, user_id, "", now).await?;
    // What came before joining counts as read.
    set_cursor(conn, user_id, channel_id, seq).await?;
    Ok(Some((id, seq)))
}

/// Puts a person's read cursor in a channel at `seq`, wherever it was.
async fn set_cursor(conn: &mut Conn, user_id: i64, channel_id: i64, seq: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO read_cursors (user_id, channel_id, last_read_seq) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, channel_id) DO UPDATE SET last_read_seq = excluded.last_read_seq",
        user_id,
        channel_id,
        seq
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Moves a person's read cursor in a channel forward to `seq` (never back,
/// never past the channel's newest event); where it is now.
pub async fn mark_read(pool: &Pool, user_id: i64, channel_id: i64, seq: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"INSERT INTO read_cursors (user_id, channel_id, last_read_seq)
           VALUES ($1, $2, GREATEST(0, LEAST($3, (SELECT last_seq FROM channels WHERE id = $2))))
           ON CONFLICT (user_id, channel_id)
           DO UPDATE SET last_read_seq = GREATEST(read_cursors.last_read_seq, excluded.last_read_seq)
           RETURNING last_read_seq AS "last_read_seq!""#,
        user_id,
        channel_id,
        seq
    )
    .fetch_one(pool)
    .await
}

/// Leaves a channel, with its `left` event, all or nothing; `None` if the
/// user had not joined it (nothing changes then).
pub async fn leave_channel(
    pool: &Pool,
    channel_id: i64,
    user_id: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let mut tx = pool.begin().await?;
    let left = sqlx::query!("DELETE FROM channel_members WHERE channel_id = $1 AND user_id = $2", channel_id, user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let event = if left > 0 {
        Some(append_event(&mut tx, channel_id, "left", client_id, user_id, "", now).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(event)
}

/// Stores a message under the channel's next `seq`, in one transaction.
pub async fn insert_message(
    pool: &Pool,
    channel_id: i64,
    client_id: &str,
    author_id: i64,
    body: &str,
    now: i64,
) -> sqlx::Result<(i64, i64)> {
    let mut tx = pool.begin().await?;
    let event = append_event(&mut tx, channel_id, "message", client_id, author_id, body, now).await?;
    tx.commit().await?;
    Ok(event)
}

/// Stores a batch of messages in one transaction of four statements (see
/// `group_commit`); for each, its id and `seq`, or `None` when its client id
/// was stored in its channel before.
pub async fn insert_messages(pool: &Pool, messages: &[NewMessage]) -> sqlx::Result<Vec<Written>> {
    // Another node's batch may store the same client id meanwhile: the
    // unique index then fails this batch, and its messages are stored
    // one by one.
    let mut tx = pool.begin().await?;
    let mut q = QueryBuilder::new("SELECT channel_id, client_id FROM messages WHERE (channel_id, client_id) IN (");
    q.push_values(messages, |mut row, m| {
        row.push_bind(m.channel_id).push_bind(&m.client_id);
    });
    q.push(")");
    let stored_before: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
    let batch = Batch::new(messages, stored_before);
    let mut last_seqs = Vec::new();
    if !batch.counts().is_empty() {
        let mut q = QueryBuilder::new("UPDATE channels SET last_seq = last_seq + v.column2 FROM (");
        q.push_values(batch.counts(), |mut row, (channel_id, n)| {
            row.push_bind(*channel_id).push_bind(*n);
        });
        q.push(") AS v WHERE channels.id = v.column1 RETURNING channels.id, channels.last_seq");
        last_seqs = q.build_query_as().fetch_all(&mut *tx).await?;
    }
    let rows = batch.to_insert(&last_seqs).ok_or(sqlx::Error::RowNotFound)?;
    let mut inserted = Vec::new();
    if !rows.is_empty() {
        let mut q =
            QueryBuilder::new("INSERT INTO messages (channel_id, seq, kind, client_id, author_id, body, created_at) ");
        q.push_values(&rows, |mut row, (m, seq)| {
            row.push_bind(m.channel_id)
                .push_bind(*seq)
                .push_bind("message")
                .push_bind(&m.client_id)
                .push_bind(m.author_id)
                .push_bind(&m.body)
                .push_bind(m.created_at);
        });
        q.push(" RETURNING id, channel_id, seq");
        inserted = q.build_query_as().fetch_all(&mut *tx).await?;
    }
    let written = batch.written(&inserted, &rows).ok_or(sqlx::Error::RowNotFound)?;
    tx.commit().await?;
    Ok(written)
}

/// Takes the channel's next `seq` and stores an event under it; its id and
/// `seq`. The UPDATE comes first, so the channel's row is locked before
/// anything is read and the `seq` is this event's until commit.
async fn append_event(
    conn: &mut Conn,
    channel_id: i64,
    kind: &str,
    client_id: &str,
    author_id: i64,
    body: &str,
    now: i64,
) -> sqlx::Result<(i64, i64)> {
    append_event_about(conn, channel_id, kind, client_id, author_id, body, None, now).await
}

/// [`append_event`] for an event about an earlier one (`refers_to`, its `seq`).
#[allow(clippy::too_many_arguments)]
async fn append_event_about(
    conn: &mut Conn,
    channel_id: i64,
    kind: &str,
    client_id: &str,
    author_id: i64,
    body: &str,
    refers_to: Option<i64>,
    now: i64,
) -> sqlx::Result<(i64, i64)> {
    let seq = sqlx::query_scalar!(
        r#"UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq AS "last_seq!""#,
        channel_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let id = sqlx::query_scalar!(
        r#"INSERT INTO messages (channel_id, seq, kind, client_id, author_id, body, refers_to, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id AS "id!""#,
        channel_id,
        seq,
        kind,
        client_id,
        author_id,
        body,
        refers_to,
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((id, seq))
}

/// Deletes a message: wipes its text and appends the `deleted` event about
/// it, in one transaction; `None` when there is no undeleted message `seq`.
pub async fn delete_message(
    pool: &Pool,
    channel_id: i64,
    seq: i64,
    by: i64,
    client_id: &str,
    now: i64,
) -> sqlx::Result<Option<(i64, i64)>> {
    let mut tx = pool.begin().await?;
    let wiped = sqlx::query!(
        "UPDATE messages SET body = '', deleted_at = $3
         WHERE channel_id = $1 AND seq = $2 AND kind = 'message' AND deleted_at IS NULL",
        channel_id,
        seq,
        now
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let event = if wiped > 0 {
        Some(append_event_about(&mut tx, channel_id, "deleted", client_id, by, "", Some(seq), now).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(event)
}

pub async fn message_by_client_id(
    pool: &Pool,
    channel_id: i64,
    client_id: &str,
) -> sqlx::Result<Option<MessageRecord>> {
    sqlx::query_as!(
        MessageRecord,
        r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                  m.created_at AS sent_at, m.refers_to, m.deleted_at
           FROM messages m JOIN users u ON u.id = m.author_id
           WHERE m.channel_id = $1 AND m.client_id = $2"#,
        channel_id,
        client_id
    )
    .fetch_optional(pool)
    .await
}

pub async fn messages_after(
    pool: &Pool,
    channel_id: i64,
    after_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<MessageRecord>> {
    sqlx::query_as!(
        MessageRecord,
        r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                  m.created_at AS sent_at, m.refers_to, m.deleted_at
           FROM messages m JOIN users u ON u.id = m.author_id
           WHERE m.channel_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"#,
        channel_id,
        after_seq,
        limit
    )
    .fetch_all(pool)
    .await
}

pub async fn messages_before(
    pool: &Pool,
    channel_id: i64,
    before_seq: i64,
    limit: i64,
) -> sqlx::Result<Vec<MessageRecord>> {
    sqlx::query_as!(
        MessageRecord,
        r#"SELECT m.id AS "id!", m.channel_id, m.seq, m.kind, m.client_id, m.author_id, u.username AS "author!", m.body,
                  m.created_at AS sent_at, m.refers_to, m.deleted_at
           FROM messages m JOIN users u ON u.id = m.author_id
           WHERE m.channel_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT $3"#,
        channel_id,
        before_seq,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Appends an entry to the audit log (`org_id` NULL: the actor's own, like a sign-in).
#[allow(clippy::too_many_arguments)]
pub async fn record_audit(
    pool: &Pool,
    org_id: Option<i64>,
    actor_id: i64,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &str,
    address: &str,
    at: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO audit_events (org_id, actor_id, actor, action, subject, detail, address, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        org_id,
        actor_id,
        actor,
        action,
        subject,
        detail,
        address,
        at
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// An organization's audit log, newest first: its own entries and the
/// sign-ins of its members, up to `limit` with an id below `before_id`.
pub async fn audit_log(pool: &Pool, org_id: i64, before_id: i64, limit: i64) -> sqlx::Result<Vec<AuditRecord>> {
    sqlx::query_as!(
        AuditRecord,
        r#"SELECT id AS "id!", at, actor, action, subject, detail, address FROM audit_events
           WHERE (org_id = $1 OR (org_id IS NULL AND actor_id IN (SELECT user_id FROM memberships WHERE org_id = $1)))
             AND id < $2
           ORDER BY id DESC LIMIT $3"#,
        org_id,
        before_id,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Stores a personal API token: a named session that lasts until revoked.
pub async fn create_api_token(
    pool: &Pool,
    token_hash: &str,
    user_id: i64,
    name: &str,
    now: i64,
    expires_at: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, name) VALUES ($1, $2, $3, $4, $5)",
        token_hash,
        user_id,
        now,
        expires_at,
        name
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// A user's API tokens, newest first.
pub async fn api_tokens_of(pool: &Pool, user_id: i64) -> sqlx::Result<Vec<ApiTokenRecord>> {
    sqlx::query_as!(
        ApiTokenRecord,
        r#"SELECT token_hash AS "token_hash!", name AS "name!", created_at FROM sessions
           WHERE user_id = $1 AND name IS NOT NULL ORDER BY created_at DESC, token_hash"#,
        user_id
    )
    .fetch_all(pool)
    .await
}

/// Deletes one of a user's API tokens; the number deleted (0 or 1).
pub async fn delete_api_token(pool: &Pool, user_id: i64, token_hash: &str) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash = $2 AND name IS NOT NULL",
        user_id,
        token_hash
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
