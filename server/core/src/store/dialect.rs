//! The two databases Confab speaks, and every place they differ, by name.
//!
//! Queries are written once, in SQL both SQLite and PostgreSQL accept
//! (`$1` placeholders, `ON CONFLICT`, `RETURNING`, `CAST(… AS BIGINT)`), and
//! run with [`sql!`], which has sqlx's macros check the same text against
//! each dialect's migrated schema at compile time (from the metadata in
//! `.sqlx/`, written by `scripts/sqlx-prepare.sh`). sqlx keys that metadata
//! by the query's text, so the PostgreSQL copy carries a trailing comment
//! that tells the two apart.
//!
//! What the dialects do differently is here and nowhere else:
//! - [`Pool::connect`]: SQLite's pragmas (WAL, foreign keys, a busy wait,
//!   zeroing deleted text); the pools' sizes;
//! - [`Store::begin_write`]: SQLite takes the file's write lock when a
//!   writing transaction begins (`BEGIN IMMEDIATE`), so nothing it reads
//!   goes stale before it writes; PostgreSQL locks rows as it goes;
//! - [`lock_org`]: PostgreSQL locks an organization's row for changes that
//!   may take away an owner (under READ COMMITTED two of them would each
//!   count the other's owner); SQLite runs one write at a time anyway;
//! - [`lock_channels`]: PostgreSQL locks the rows of a batch's channels in
//!   id order before moving their `last_seq`s on, so that two servers
//!   storing batches of the same channels wait for each other instead of
//!   deadlocking; SQLite runs one write at a time anyway;
//! - [`last_seqs`]: a list as a parameter (an array for PostgreSQL, JSON
//!   for SQLite);
//! - search (`store::search`): SQLite's FTS5 trigram index against
//!   PostgreSQL's pg_trgm under `ILIKE`, and how each ranks;
//! - the migrations, one folder per dialect.

use std::time::Duration;

#[cfg(not(sqlx_prepare = "sqlite"))]
use sqlx::Postgres;
#[cfg(not(sqlx_prepare = "postgres"))]
use sqlx::Sqlite;
use sqlx::pool::{PoolConnection, PoolOptions};
use sqlx::{Executor, Transaction};

use super::{Store, StoreError, StoreResult};

/// A connection pool, in the dialect of its database.
#[derive(Clone)]
pub(super) enum Pool {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(sqlx::SqlitePool),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(sqlx::PgPool),
}

/// A connection taken from the pool for a few queries.
pub(super) enum Conn {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(PoolConnection<Sqlite>),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(PoolConnection<Postgres>),
}

/// A transaction, committed by [`Tx::commit`] (rolled back if dropped).
pub(super) enum Tx {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(Transaction<'static, Sqlite>),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(Transaction<'static, Postgres>),
}

/// A [`Conn`] or [`Tx`] as the connection a query runs on.
pub(super) enum Db<'a> {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(&'a mut sqlx::SqliteConnection),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(&'a mut sqlx::PgConnection),
}

/// What queries run on: a [`Conn`] or a [`Tx`].
pub(super) trait AsDb {
    fn db(&mut self) -> Db<'_>;
}

impl AsDb for Conn {
    fn db(&mut self) -> Db<'_> {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Conn::Sqlite(c) => Db::Sqlite(c),
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Conn::Postgres(c) => Db::Postgres(c),
        }
    }
}

impl AsDb for Tx {
    fn db(&mut self) -> Db<'_> {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Tx::Sqlite(c) => Db::Sqlite(c),
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Tx::Postgres(c) => Db::Postgres(c),
        }
    }
}

/// Runs one query on a [`Conn`] or [`Tx`] of either dialect (`$db`: a
/// `&mut` to one), `$fetch`ing its rows:
/// `sql!(&mut tx, fetch_one, query_scalar!("SELECT …", a, b))`,
/// with sqlx's `query!`, `query_scalar!` or `query_as!`. The SQL is written
/// once and checked against both schemas.
macro_rules! sql {
    // A statement whose rows are not read: how many it changed.
    ($db:expr, execute, query!($sql:tt $(, $arg:expr)* $(,)?)) => {
        match $crate::store::dialect::AsDb::db($db) {
            #[cfg(not(sqlx_prepare = "postgres"))]
            $crate::store::dialect::Db::Sqlite(c) => {
                sqlx::query!($sql $(, $arg)*).execute(c).await.map(|done| done.rows_affected())
            }
            #[cfg(not(sqlx_prepare = "sqlite"))]
            $crate::store::dialect::Db::Postgres(c) => {
                sqlx::query!($sql + "\n-- PostgreSQL" $(, $arg)*).execute(c).await.map(|done| done.rows_affected())
            }
        }
    };
    ($db:expr, $fetch:ident, query_scalar!($sql:tt $(, $arg:expr)* $(,)?)) => {
        match $crate::store::dialect::AsDb::db($db) {
            #[cfg(not(sqlx_prepare = "postgres"))]
            $crate::store::dialect::Db::Sqlite(c) => sqlx::query_scalar!($sql $(, $arg)*).$fetch(c).await,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            $crate::store::dialect::Db::Postgres(c) => {
                sqlx::query_scalar!($sql + "\n-- PostgreSQL" $(, $arg)*).$fetch(c).await
            }
        }
    };
    ($db:expr, $fetch:ident, query_as!($record:path, $sql:tt $(, $arg:expr)* $(,)?)) => {
        match $crate::store::dialect::AsDb::db($db) {
            #[cfg(not(sqlx_prepare = "postgres"))]
            $crate::store::dialect::Db::Sqlite(c) => {
                sqlx::query_as!($record, $sql $(, $arg)*).$fetch(c).await
            }
            #[cfg(not(sqlx_prepare = "sqlite"))]
            $crate::store::dialect::Db::Postgres(c) => {
                sqlx::query_as!($record, $sql + "\n-- PostgreSQL" $(, $arg)*).$fetch(c).await
            }
        }
    };
}
pub(super) use sql;

impl Pool {
    /// Connects to `url`: `sqlite:` (the file is made if needed) or
    /// `postgres:`/`postgresql:`.
    pub(super) async fn connect(url: &str) -> StoreResult<Pool> {
        if url.starts_with("sqlite:") {
            Self::sqlite(url).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::postgres(url).await
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    #[cfg(not(sqlx_prepare = "postgres"))]
    async fn sqlite(url: &str) -> StoreResult<Pool> {
        let pool = PoolOptions::<Sqlite>::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    // secure_delete FAST: a deleted message's text is zeroed
                    // in its page, not left in free space (at no extra I/O).
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                         PRAGMA secure_delete = FAST;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Pool::Sqlite(pool))
    }

    #[cfg(not(sqlx_prepare = "sqlite"))]
    async fn postgres(url: &str) -> StoreResult<Pool> {
        let pool = PoolOptions::<Postgres>::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await?;
        Ok(Pool::Postgres(pool))
    }

    #[cfg(sqlx_prepare = "sqlite")]
    async fn postgres(url: &str) -> StoreResult<Pool> {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    #[cfg(sqlx_prepare = "postgres")]
    async fn sqlite(url: &str) -> StoreResult<Pool> {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }

    /// Brings the schema up to date, with the dialect's own migrations.
    pub(super) async fn migrate(&self) -> StoreResult<()> {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A connection for a few queries.
    pub(super) async fn acquire(&self) -> StoreResult<Conn> {
        Ok(match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => Conn::Sqlite(pool.acquire().await?),
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => Conn::Postgres(pool.acquire().await?),
        })
    }

    /// A transaction.
    pub(super) async fn begin(&self) -> StoreResult<Tx> {
        Ok(match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A transaction that will write: on SQLite it takes the file's write
    /// lock as it begins, so nothing it reads can go stale before it writes.
    pub(super) async fn begin_write(&self) -> StoreResult<Tx> {
        Ok(match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Answers whether the database responds.
    pub(super) async fn ping(&self) -> StoreResult<()> {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => pool.execute("SELECT 1").await.map(drop)?,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => pool.execute("SELECT 1").await.map(drop)?,
        };
        Ok(())
    }

    /// Waits for in-flight queries and closes every connection.
    pub(super) async fn close(&self) {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => pool.close().await,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub(super) async fn commit(self) -> StoreResult<()> {
        match self {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Tx::Sqlite(tx) => tx.commit().await?,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

/// Takes organization `org_id`'s row lock until the transaction ends, so that
/// changes which may take away an owner run one at a time (PostgreSQL; SQLite
/// writes one transaction at a time anyway).
pub(super) async fn lock_org(tx: &mut Tx, org_id: i64) -> StoreResult<()> {
    match tx {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Tx::Sqlite(_) => {
            let _ = org_id;
        }
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Tx::Postgres(tx) => {
            sqlx::query!("SELECT id FROM orgs WHERE id = $1 FOR UPDATE", org_id).fetch_optional(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Takes the row locks of `channel_ids` until the transaction ends, in id
/// order (PostgreSQL; SQLite writes one transaction at a time anyway). An
/// `UPDATE` of several rows locks them in whatever order its plan reads
/// them, so two servers storing batches of the same channels could each hold
/// a row the other waits for.
pub(super) async fn lock_channels(tx: &mut Tx, channel_ids: &[i64]) -> StoreResult<()> {
    match tx {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Tx::Sqlite(_) => {
            let _ = channel_ids;
        }
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Tx::Postgres(tx) => {
            sqlx::query!("SELECT id FROM channels WHERE id = ANY($1) ORDER BY id FOR UPDATE", channel_ids)
                .fetch_all(&mut **tx)
                .await?;
        }
    }
    Ok(())
}

/// Each of `channel_ids` that exists, with its `last_seq`. A list is a
/// parameter of its own in each dialect: an array for PostgreSQL, a JSON
/// array for SQLite.
pub(super) async fn last_seqs(conn: &mut Conn, channel_ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
    Ok(match conn.db() {
        #[cfg(not(sqlx_prepare = "postgres"))]
        Db::Sqlite(c) => {
            let ids = format!("[{}]", channel_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
            sqlx::query!(
                r#"SELECT id AS "id!", last_seq FROM channels WHERE id IN (SELECT value FROM json_each($1))"#,
                ids
            )
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| (r.id, r.last_seq))
            .collect()
        }
        #[cfg(not(sqlx_prepare = "sqlite"))]
        Db::Postgres(c) => sqlx::query!("SELECT id, last_seq FROM channels WHERE id = ANY($1)", channel_ids)
            .fetch_all(c)
            .await?
            .into_iter()
            .map(|r| (r.id, r.last_seq))
            .collect(),
    })
}

impl Store {
    /// A connection for a few queries.
    pub(super) async fn db(&self) -> StoreResult<Conn> {
        self.pool.acquire().await
    }
}
