//! Storage: the schema, its migrations and every query. SQLite (WAL) by default,
//! PostgreSQL through a `postgres://` URL. Each entity's queries are in one
//! module (`users`, `sessions`, `orgs`, `members`, `invites`, `channels`,
//! `read_cursors`, `notices`, `messages`, `message_edits`, `reactions`, `pins`, `files`, `threads`, `mentions`, `receipts`, `audit`), written once in SQL both databases
//! speak and checked at compile time against each dialect's schema
//! ([`dialect`], where the few differences between the two are named); rows
//! are turned into the model there, once for both.
//!
//! Invariants kept here:
//! - a channel's message `seq` is gapless: it is taken from `channels.last_seq`
//!   inside the transaction that inserts the message;
//! - a member's notice `seq` is gapless too: it is taken from
//!   `memberships.last_notice_seq` inside the transaction that writes the
//!   notice (a read cursor's with the cursor's move);
//! - `(channel_id, client_id)` is unique, so a retried send returns the stored
//!   message instead of a second copy;
//! - secrets (session and invite tokens) are stored only as SHA-256 hashes;
//! - a stored role, channel kind or event kind this build does not know is
//!   an error (`StoreError::Unknown`), never read as another one.

mod audit;
mod channels;
mod dialect;
mod files;
mod group_commit;
mod invites;
mod members;
mod mentions;
mod message_batch;
mod message_edits;
mod messages;
mod notices;
mod orgs;
mod pins;
mod push;
mod reactions;
mod read_cursors;
mod receipts;
mod records;
mod search;
mod sessions;
mod single_process;
mod threads;
mod users;

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) use audit::NewAuditEntry;
pub(crate) use files::NewUpload;
pub(crate) use message_batch::ReplyTo;
pub(crate) use orgs::DEFAULT_CHANNEL;
pub(crate) use push::SubscriptionRow;
pub(crate) use reactions::Reacted;
pub(crate) use records::{InviteListRow, InviteRow, UserRow};
pub(crate) use search::Search;

use dialect::Pool;
use single_process::DatabaseLock;

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, pool exhausted, closed). Shared,
    /// so that every write waiting on the same attempt is told the same.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Arc<sqlx::Error>),
    /// A unique constraint refused the write; the payload names the constraint.
    #[error("unique constraint violated: {0}")]
    Conflict(String),
    /// The URL names a database we do not support.
    #[error("unsupported database URL (use sqlite:// or postgres://): {0}")]
    UnsupportedUrl(String),
    /// Another process serves this SQLite database (one process serves an
    /// SQLite database; several serve one service on PostgreSQL).
    #[error(
        "another Confab process{} is serving the SQLite database {database}: one process serves an SQLite \
         database, so stop that one first (or run several on PostgreSQL, with --database-url)",
        holder.map(|pid| format!(" (process {pid})")).unwrap_or_default()
    )]
    InUse { database: String, holder: Option<u32> },
    /// The lock beside an SQLite database could not be taken.
    #[error("cannot lock {path}: {source}")]
    Lock { path: String, source: std::io::Error },
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
                StoreError::Unavailable(Arc::new(e))
            }
            // PostgreSQL's "connection exception" (08…) and "operator
            // intervention" (57P…: shutting down, starting up) classes: a
            // database going away or not back yet, not a bug.
            sqlx::Error::Database(db) if db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) => {
                StoreError::Unavailable(Arc::new(e))
            }
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned()))
            }
            _ => StoreError::Database(e),
        }
    }
}

impl StoreError {
    /// The same failure again, if it is that the database cannot be reached.
    pub(crate) fn unavailable_again(&self) -> Option<StoreError> {
        match self {
            StoreError::Unavailable(e) => Some(StoreError::Unavailable(e.clone())),
            _ => None,
        }
    }
}

pub(crate) type StoreResult<T> = Result<T, StoreError>;

/// The database handle; cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Connection pool shared by every request and socket.
    pool: Pool,
    /// Stores new messages, many to a transaction.
    writer: group_commit::MessageWriter,
    /// An SQLite database's lock: this process serves it.
    lock: Option<Arc<DatabaseLock>>,
}

impl Store {
    /// Connects to `url` (`sqlite:`, the file made if needed, or
    /// `postgres:`) and brings its schema up to date.
    /// An SQLite database is served by one process: a second one is
    /// refused (`StoreError::InUse`) until the first closes it or ends.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        let lock = if url.starts_with("sqlite:") { DatabaseLock::take(url)?.map(Arc::new) } else { None };
        let pool = Pool::connect(url).await?;
        pool.migrate().await?;
        Ok(Store { writer: group_commit::MessageWriter::start(pool.clone()), pool, lock })
    }

    /// Answers whether the database responds (for health checks).
    pub async fn ping(&self) -> StoreResult<()> {
        self.pool.ping().await
    }

    /// Waits for in-flight queries and closes every connection.
    /// An SQLite database is free for another process afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(lock) = &self.lock {
            lock.release();
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every stored time.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
