//! Search: the messages of an organization whose text holds every searched
//! word, among those the reader may read, which the query itself decides
//! (so nothing they may not read is ever returned, counted or shown): public
//! channels, supervisor channels for those who see them, private channels
//! and direct conversations they are in, less what was said there while
//! they were out of it (as history does).
//!
//! The words are matched by each dialect's own index (see `dialect`):
//! SQLite's FTS5 trigram index (`message_search`, kept by triggers),
//! PostgreSQL's pg_trgm index under `ILIKE`. The rest of the query is the
//! same text for both, put together here because its filters are optional.

use sqlx::Row;

use super::dialect::{AsDb, Db};
use super::{Store, StoreError, StoreResult};
use crate::kinds::ChannelKind;

/// What to look for, and where the reader stands.
#[derive(Debug)]
pub(crate) struct Search<'a> {
    pub org_id: i64,
    pub reader: i64,
    /// The reader sees supervisor channels (their role).
    pub sees_supervisor: bool,
    /// Each must occur in the text (three characters or more).
    pub terms: &'a [String],
    pub channel: Option<&'a str>,
    pub from: Option<&'a str>,
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub has_file: bool,
    pub in_thread: bool,
    /// Best match first (else newest first).
    pub best_first: bool,
    pub limit: i64,
    pub offset: i64,
}

/// A message found, with its channel.
#[derive(Debug)]
pub(crate) struct FoundRow {
    pub channel_id: i64,
    pub channel_name: String,
    pub channel_kind: ChannelKind,
    pub seq: i64,
    pub author_id: i64,
    pub author: String,
    pub body: String,
    pub sent_at: i64,
    pub thread_of: Option<i64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Sqlite,
    Postgres,
}

enum Arg {
    Int(i64),
    Text(String),
}

/// A query's text and what its placeholders stand for, in order.
struct Built {
    sql: String,
    args: Vec<Arg>,
}

impl Built {
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }
}

/// `%text%` for `ILIKE`, its wildcards and escapes taken literally.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// An FTS5 query finding every term as a phrase (a substring, with the
/// trigram tokenizer): `"a" "b"`, quotes doubled.
fn fts_query(terms: &[String]) -> String {
    terms.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" ")
}

fn build(dialect: Dialect, s: &Search<'_>) -> Built {
    let mut b = Built { sql: String::new(), args: Vec::new() };
    let fts = dialect == Dialect::Sqlite && !s.terms.is_empty();
    let mut sql = String::from(
        "SELECT m.channel_id, c.name AS channel_name, c.kind AS channel_kind, m.seq, m.author_id, \
         u.username AS author, m.body, m.created_at AS sent_at, m.thread_of FROM ",
    );
    sql.push_str(if fts { "message_search JOIN messages m ON m.id = message_search.rowid " } else { "messages m " });
    sql.push_str("JOIN channels c ON c.id = m.channel_id JOIN users u ON u.id = m.author_id ");
    let org = b.arg(Arg::Int(s.org_id));
    let reader = b.arg(Arg::Int(s.reader));
    let sees = b.arg(Arg::Int(i64::from(s.sees_supervisor)));
    sql.push_str(&format!(
        "WHERE c.org_id = {org} AND m.kind = 'message' AND m.deleted_at IS NULL \
         AND (c.kind = 'public' OR (c.kind = 'supervisor' AND {sees} = 1) \
              OR (c.kind IN ('private', 'direct') \
                  AND EXISTS (SELECT 1 FROM channel_members cm WHERE cm.channel_id = c.id AND cm.user_id = {reader}))) \
         AND NOT EXISTS (SELECT 1 FROM channel_absences a WHERE a.channel_id = m.channel_id AND a.user_id = {reader} \
                         AND m.seq > a.from_seq AND (a.to_seq IS NULL OR m.seq <= a.to_seq))"
    ));
    if fts {
        let q = b.arg(Arg::Text(fts_query(s.terms)));
        sql.push_str(&format!(" AND message_search MATCH {q}"));
    } else {
        for term in s.terms {
            let p = b.arg(Arg::Text(contains_pattern(term)));
            sql.push_str(&format!(" AND m.body ILIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(channel) = s.channel {
        // By its address, or by its name as shown: a private or supervisor
        // channel's address is `name~tag` (whether the reader may read it
        // is decided above, as for any other).
        let p = b.arg(Arg::Text(channel.to_owned()));
        let tagged = format!("{channel}~");
        let n = tagged.chars().count();
        let q = b.arg(Arg::Text(tagged));
        sql.push_str(&format!(" AND (c.name = {p} OR substr(c.name, 1, {n}) = {q})"));
    }
    if let Some(from) = s.from {
        let p = b.arg(Arg::Text(from.to_lowercase()));
        sql.push_str(&format!(" AND LOWER(u.username) = {p}"));
    }
    if let Some(before) = s.before {
        let p = b.arg(Arg::Int(before));
        sql.push_str(&format!(" AND m.created_at < {p}"));
    }
    if let Some(after) = s.after {
        let p = b.arg(Arg::Int(after));
        sql.push_str(&format!(" AND m.created_at >= {p}"));
    }
    if s.in_thread {
        sql.push_str(" AND m.thread_of IS NOT NULL");
    }
    if s.has_file {
        sql.push_str(" AND EXISTS (SELECT 1 FROM files f WHERE f.message_id = m.id)");
    }
    sql.push_str(" ORDER BY ");
    if s.best_first && !s.terms.is_empty() {
        match dialect {
            Dialect::Sqlite => sql.push_str("message_search.rank, "),
            Dialect::Postgres => {
                let whole = b.arg(Arg::Text(s.terms.join(" ")));
                sql.push_str(&format!("word_similarity({whole}, m.body) DESC, "));
            }
        }
    }
    // Newest stored first: by id, the order the index already holds
    // (FTS5 reads its matches backwards by rowid and stops at the limit;
    // PostgreSQL may walk the primary key back for a common word).
    let (limit, offset) = (b.arg(Arg::Int(s.limit)), b.arg(Arg::Int(s.offset)));
    let newest = if fts { "message_search.rowid DESC" } else { "m.id DESC" };
    sql.push_str(&format!("{newest} LIMIT {limit} OFFSET {offset}"));
    b.sql = sql;
    b
}

fn found<R: Row>(row: &R) -> StoreResult<FoundRow>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind: String = row.try_get(2)?;
    Ok(FoundRow {
        channel_id: row.try_get(0)?,
        channel_name: row.try_get(1)?,
        channel_kind: ChannelKind::parse(&kind).ok_or_else(|| StoreError::Unknown(format!("channel kind {kind}")))?,
        seq: row.try_get(3)?,
        author_id: row.try_get(4)?,
        author: row.try_get(5)?,
        body: row.try_get(6)?,
        sent_at: row.try_get(7)?,
        thread_of: row.try_get(8)?,
    })
}

/// The query with each placeholder bound, in either dialect.
fn bound<'q, DB: sqlx::Database>(sql: &'q str, args: Vec<Arg>) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    args.into_iter().fold(sqlx::query(sql), |q, arg| match arg {
        Arg::Int(i) => q.bind(i),
        Arg::Text(t) => q.bind(t),
    })
}

impl Store {
    /// The messages found, in the order asked for, at most `limit` from `offset`.
    pub(crate) async fn search(&self, search: &Search<'_>) -> StoreResult<Vec<FoundRow>> {
        let mut conn = self.db().await?;
        match conn.db() {
            #[cfg(not(sqlx_prepare = "postgres"))]
            Db::Sqlite(c) => {
                let Built { sql, args } = build(Dialect::Sqlite, search);
                bound(&sql, args).fetch_all(c).await?.iter().map(found).collect()
            }
            #[cfg(not(sqlx_prepare = "sqlite"))]
            Db::Postgres(c) => {
                let Built { sql, args } = build(Dialect::Postgres, search);
                bound(&sql, args).fetch_all(c).await?.iter().map(found).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_taken_literally_by_either_index() {
        assert_eq!(contains_pattern(r"100%_done\"), r"%100\%\_done\\%");
        assert_eq!(
            fts_query(&["say \"hi\"".to_owned(), "bob@example.com".to_owned()]),
            r#""say ""hi""" "bob@example.com""#
        );
    }
}
