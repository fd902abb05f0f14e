//! Storage: the schema, its migrations and every query. SQLite (WAL) by default,
//! PostgreSQL through a `postgres://` URL. Each query is written in each
//! dialect (`sqlite.rs`, `postgres.rs`) and checked at compile time by sqlx's
//! macros against that dialect's schema; the modules named after what they
//! store (`users`, `orgs`, …) call whichever the pool speaks and turn rows
//! into the model, once for both.
//!
//! Invariants kept here:
//! - a channel's message `seq` is gapless: it is taken from `channels.last_seq`
//!   inside the transaction that inserts the message;
//! - `(channel_id, client_id)` is unique, so a retried send returns the stored
//!   message instead of a second copy;
//! - secrets (session and invite tokens) are stored only as SHA-256 hashes.

mod audit;
mod channels;
mod group_commit;
mod messages;
mod orgs;
mod records;
mod sessions;
mod users;

// `scripts/sqlx-prepare.sh` checks one dialect at a time against a live
// database, leaving the other out (`--cfg sqlx_prepare="…"`).
#[cfg(not(sqlx_prepare = "sqlite"))]
mod postgres;
#[cfg(not(sqlx_prepare = "postgres"))]
mod sqlite;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Executor;
use sqlx::pool::PoolOptions;

pub use audit::NewAuditEntry;
pub use messages::Stored;
pub use orgs::DEFAULT_CHANNEL;
pub use records::{InviteListRow, InviteRow, UserRow};

/// Calls the query function `$f` of the dialect the store's pool speaks,
/// with the pool and the arguments, and awaits it.
macro_rules! on_db {
    ($store:expr, $f:ident($($arg:expr),* $(,)?)) => {
        match &$store.pool {
            #[cfg(not(sqlx_prepare = "postgres"))]
            $crate::store::Pool::Sqlite(pool) => $crate::store::sqlite::$f(pool, $($arg),*).await,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            $crate::store::Pool::Postgres(pool) => $crate::store::postgres::$f(pool, $($arg),*).await,
        }
    };
}
use on_db;

/// A connection pool, in the dialect of its database.
#[derive(Clone, Debug)]
enum Pool {
    #[cfg(not(sqlx_prepare = "postgres"))]
    Sqlite(sqlx::SqlitePool),
    #[cfg(not(sqlx_prepare = "sqlite"))]
    Postgres(sqlx::PgPool),
}

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, pool exhausted, closed).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A unique constraint refused the write; the payload names the constraint.
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// The URL names a database we do not support.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value this build does not know (e.g. a channel kind or role
    /// written by a newer version): refused, never read as something else.
    #[error("unknown stored value: {0}")]
    Unknown(String),
    /// Any other database error: a bug or a corrupt database.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                StoreError::Unavailable(e)
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()))
            }
            _ => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Connection pool shared by every request and socket.
    pool: Pool,
    /// Stores new messages, many to a transaction.
    writer: group_commit::MessageWriter,
}

impl Store {
    /// Connects to `url`, creating the SQLite file if needed, and runs migrations.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        let pool = if url.starts_with("sqlite:") {
            Self::sqlite(url).await?
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::postgres(url).await?
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let store = Store { writer: group_commit::MessageWriter::start(pool.clone()), pool };
        store.migrate().await?;
        Ok(store)
    }

    #[cfg(not(sqlx_prepare = "postgres"))]
    async fn sqlite(url: &str) -> StoreResult<Pool> {
        let pool = PoolOptions::<sqlx::Sqlite>::new()
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
        let pool = PoolOptions::<sqlx::Postgres>::new()
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

    async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Answers whether the database responds (for health checks).
    pub async fn ping(&self) -> StoreResult<()> {
        match &self.pool {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => pool.execute("SELECT 1").await.map(drop)?,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => pool.execute("SELECT 1").await.map(drop)?,
        };
        Ok(())
    }

    /// Waits for in-flight queries and closes every connection.
    pub async fn close(&self) {
        match &self.pool {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Pool::Sqlite(pool) => pool.close().await,
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
