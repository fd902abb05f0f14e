//! Search over many messages (`make bench`): an organization of 1,000
//! channels and 1,000,000 stored messages (`CONFAB_BENCH_SEARCH_MESSAGES`
//! to change it), searched through the service as a person does, for a
//! common word, a rare word and part of a word, newest first: p50 and p95
//! of the query time, side by side with a plain `LIKE` scan of the same
//! rows; the index's size; and what keeping the index adds to storing one
//! message. On SQLite, and on PostgreSQL too when `CONFAB_TEST_POSTGRES`
//! names a server (`scripts/with-postgres.sh`). Figures, never pass/fail.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use confab_core::kinds::ChannelKind;
use confab_core::service::Standing;
use confab_core::{Service, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Executor};

const HOME: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const CHANNELS: usize = 1000;
const RARE: &str = "xylophone";
const COMMON: &str = "deploy";
const PART: &str = "ploy-pro";
/// Messages holding the rare word.
const RARE_COUNT: usize = 20;
/// Messages stored one at a time, with and without the index, for its cost.
const SINGLE_INSERTS: usize = 2000;

#[tokio::main]
async fn main() {
    let total: usize =
        std::env::var("CONFAB_BENCH_SEARCH_MESSAGES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let data = tempfile::tempdir().expect("a temporary folder");
    let sqlite = format!("sqlite://{}?mode=rwc", data.path().join("search.db").display());
    println!("## Search over {total} messages in {CHANNELS} channels\n");
    println!("| Database | search | p50 ms | p95 ms | hits on the first page |");
    println!("|---|---|---:|---:|---:|");
    let mut notes = vec![bench(Dialect::Sqlite, &sqlite, total).await];
    if let Ok(admin) = std::env::var("CONFAB_TEST_POSTGRES") {
        let url = fresh_postgres(&admin).await;
        notes.push(bench(Dialect::Postgres, &url, total).await);
    } else {
        println!("\n(PostgreSQL left out: run under scripts/with-postgres.sh.)");
    }
    println!();
    for note in notes {
        println!("{note}");
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SQLite (FTS5 trigram)",
            Dialect::Postgres => "PostgreSQL (pg_trgm)",
        }
    }
}

async fn fresh_postgres(admin: &str) -> String {
    let name = format!("confab_bench_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("the PostgreSQL server");
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("a database for the bench");
    let (server, _) = admin.rsplit_once('/').expect("a URL ending in /<database>");
    format!("{server}/{name}")
}

/// One message's text: 8 to 14 words, now and then the searched ones.
fn body(rng: &mut StdRng, i: usize, rare_every: usize) -> String {
    const WORDS: [&str; 40] = [
        "the",
        "build",
        "is",
        "green",
        "review",
        "please",
        "meeting",
        "moved",
        "to",
        "tomorrow",
        "lunch",
        "at",
        "noon",
        "release",
        "notes",
        "draft",
        "ticket",
        "closed",
        "customer",
        "called",
        "about",
        "invoice",
        "server",
        "restarted",
        "tests",
        "pass",
        "on",
        "main",
        "branch",
        "merged",
        "backup",
        "finished",
        "coffee",
        "break",
        "design",
        "sync",
        "roadmap",
        "update",
        "budget",
        "approved",
    ];
    let n = rng.random_range(8..15);
    let mut words: Vec<String> = (0..n).map(|_| WORDS[rng.random_range(0..WORDS.len())].to_owned()).collect();
    if rng.random_range(0..20) == 0 {
        words.push(COMMON.to_owned());
    }
    if rng.random_range(0..100) == 0 {
        words.push("deploy-production".to_owned());
    }
    if i.is_multiple_of(rare_every) {
        words.push(RARE.to_owned());
    }
    words.push(format!("#{}", rng.random_range(0..100_000)));
    words.join(" ")
}

async fn bench(dialect: Dialect, url: &str, total: usize) -> String {
    let service = Service::new(Store::connect(url).await.expect("the store"), 1000).with_search_rate(1_000_000);
    let (ann, _) = service.register("ann", "correct horse battery", HOME).await.expect("an account");
    service.create_org(&ann, "Acme", "acme").await.expect("an organization");
    let owner = service.standing(&ann, "acme").await.expect("standing");
    for i in 1..CHANNELS {
        service.create_channel(&owner, &format!("c{i}"), ChannelKind::Public, HOME).await.expect("a channel");
    }
    let channel_ids: Vec<i64> = service.list_channels(&owner).await.expect("channels").iter().map(|c| c.id).collect();

    let started = Instant::now();
    fill(dialect, url, &channel_ids, ann.id, total).await;
    let filled = started.elapsed();

    for (label, q) in [("a common word", COMMON), ("a rare word", RARE), ("part of a word", PART)] {
        let (p50, p95, hits) = timed(&service, &owner, q).await;
        println!("| {} | {label} (`{q}`) | {:.2} | {:.2} | {hits} |", dialect.name(), ms(p50), ms(p95));
    }
    for (label, q) in [("a common word", COMMON), ("a rare word", RARE), ("part of a word", PART)] {
        let (p50, p95, hits) = scanned(dialect, url, q).await;
        println!("| {} | `LIKE` scan, {label} | {:.2} | {:.2} | {hits} |", dialect.name(), ms(p50), ms(p95));
    }
    let size = index_size(dialect, url).await;
    let (with, without) = insert_cost(dialect, url, channel_ids[0], ann.id).await;
    format!(
        "{}: stored {total} messages in {:.0} s; the index takes {size}; storing one message on its own takes \
         {:.0} µs with the index kept, {:.0} µs without ({SINGLE_INSERTS} each).",
        dialect.name(),
        filled.as_secs_f64(),
        with.as_secs_f64() * 1e6,
        without.as_secs_f64() * 1e6,
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], times[times.len() * 95 / 100])
}

/// Searches `q` 40 times as a person does, newest first.
async fn timed(service: &Service, owner: &Standing, q: &str) -> (Duration, Duration, usize) {
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..40 {
        let started = Instant::now();
        let found = service.search(owner, q, false, 0).await.expect("a search");
        times.push(started.elapsed());
        hits = found.hits.len();
    }
    let (p50, p95) = percentiles(times);
    (p50, p95, hits)
}

/// The same rows found by reading every message (no index), 10 times.
async fn scanned(dialect: Dialect, url: &str, q: &str) -> (Duration, Duration, usize) {
    let sql = "SELECT m.seq FROM messages m JOIN channels c ON c.id = m.channel_id \
               WHERE c.org_id = 1 AND m.kind = 'message' AND m.deleted_at IS NULL AND LOWER(m.body) LIKE $1 \
               ORDER BY m.id DESC LIMIT 21";
    let pattern = format!("%{q}%");
    let mut times = Vec::new();
    let mut hits = 0;
    match dialect {
        Dialect::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            for _ in 0..10 {
                let started = Instant::now();
                hits = sqlx::query(sql).bind(&pattern).fetch_all(&mut c).await.expect("a scan").len();
                times.push(started.elapsed());
            }
        }
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            for _ in 0..10 {
                let started = Instant::now();
                hits = sqlx::query(sql).bind(&pattern).fetch_all(&mut c).await.expect("a scan").len();
                times.push(started.elapsed());
            }
        }
    }
    let (p50, p95) = percentiles(times);
    (p50, p95, hits.min(20))
}

/// Stores `total` messages spread over the channels, in large transactions.
async fn fill(dialect: Dialect, url: &str, channels: &[i64], author: i64, total: usize) {
    let mut rng = StdRng::seed_from_u64(7);
    let rare_every = (total / RARE_COUNT).max(1);
    let mut seqs = vec![1i64; channels.len()];
    let start_ms: i64 = 1_760_000_000_000;
    const BATCH: usize = 5000;
    match dialect {
        Dialect::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            for first in (0..total).step_by(BATCH) {
                let mut tx = c.begin().await.expect("a transaction");
                for i in first..(first + BATCH).min(total) {
                    let k = i % channels.len();
                    seqs[k] += 1;
                    sqlx::query(
                        "INSERT INTO messages (channel_id, seq, client_id, author_id, body, created_at, kind) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'message')",
                    )
                    .bind(channels[k])
                    .bind(seqs[k])
                    .bind(format!("b{i}"))
                    .bind(author)
                    .bind(body(&mut rng, i, rare_every))
                    .bind(start_ms + i as i64 * 30_000)
                    .execute(&mut *tx)
                    .await
                    .expect("a message");
                }
                tx.commit().await.expect("commit");
            }
            last_seqs(&mut c).await;
        }
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            for first in (0..total).step_by(BATCH) {
                let mut cols = Columns::default();
                for i in first..(first + BATCH).min(total) {
                    let k = i % channels.len();
                    seqs[k] += 1;
                    cols.0.push(channels[k]);
                    cols.1.push(seqs[k]);
                    cols.2.push(format!("b{i}"));
                    cols.3.push(body(&mut rng, i, rare_every));
                    cols.4.push(start_ms + i as i64 * 30_000);
                }
                sqlx::query(
                    "INSERT INTO messages (channel_id, seq, client_id, author_id, body, created_at, kind) \
                     SELECT ch, s, cid, $4, b, t, 'message' \
                     FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], $5::text[], $6::bigint[]) AS x(ch, s, cid, b, t)",
                )
                .bind(&cols.0)
                .bind(&cols.1)
                .bind(&cols.2)
                .bind(author)
                .bind(&cols.3)
                .bind(&cols.4)
                .execute(&mut c)
                .await
                .expect("a batch of messages");
            }
            last_seqs(&mut c).await;
            c.execute("ANALYZE").await.expect("statistics");
        }
    }
}

/// A batch of messages, column by column (channel, seq, client id, body, time).
#[derive(Default)]
struct Columns(Vec<i64>, Vec<i64>, Vec<String>, Vec<String>, Vec<i64>);

async fn last_seqs<C>(c: &mut C)
where
    for<'c> &'c mut C: Executor<'c>,
{
    c.execute(
        "UPDATE channels SET last_seq = (SELECT COALESCE(MAX(seq), 0) FROM messages WHERE channel_id = channels.id)",
    )
    .await
    .expect("each channel's last seq");
}

async fn index_size(dialect: Dialect, url: &str) -> String {
    let mib = |bytes: i64| format!("{:.0} MiB", bytes as f64 / 1048576.0);
    match dialect {
        Dialect::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            let index: Result<i64, _> =
                sqlx::query_scalar("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'message_search%'")
                    .fetch_one(&mut c)
                    .await;
            let table: Result<i64, _> =
                sqlx::query_scalar("SELECT SUM(pgsize) FROM dbstat WHERE name = 'messages'").fetch_one(&mut c).await;
            match (index, table) {
                (Ok(i), Ok(t)) => format!("{} (the messages themselves {})", mib(i), mib(t)),
                _ => "an unknown size (no dbstat)".to_owned(),
            }
        }
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            let (i, t): (i64, i64) = sqlx::query_as(
                "SELECT pg_relation_size('messages_search'), pg_total_relation_size('messages') - pg_indexes_size('messages')",
            )
            .fetch_one(&mut c)
            .await
            .expect("sizes");
            format!("{} (the messages themselves {})", mib(i), mib(t))
        }
    }
}

/// Mean time to store one message in a transaction of its own, with the
/// index kept, then without it (taken away, then put back).
async fn insert_cost(dialect: Dialect, url: &str, channel: i64, author: i64) -> (Duration, Duration) {
    let mut rng = StdRng::seed_from_u64(11);
    let mut bodies = |round: i64| -> Vec<(i64, String)> {
        (0..SINGLE_INSERTS).map(|i| (10_000_000 * round + i as i64, body(&mut rng, i + 1, usize::MAX))).collect()
    };
    match dialect {
        Dialect::Sqlite => {
            let mut c = sqlx::SqliteConnection::connect(url).await.expect("SQLite");
            let with = singles_sqlite(&mut c, channel, author, bodies(1)).await;
            let triggers: Vec<String> = sqlx::query_scalar(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'message_search%'",
            )
            .fetch_all(&mut c)
            .await
            .expect("the index's triggers");
            for name in
                ["message_search_insert", "message_search_forget", "message_search_update", "message_search_delete"]
            {
                c.execute(format!("DROP TRIGGER {name}").as_str()).await.expect("a trigger dropped");
            }
            let without = singles_sqlite(&mut c, channel, author, bodies(2)).await;
            for sql in triggers {
                c.execute(sql.as_str()).await.expect("a trigger restored");
            }
            (with, without)
        }
        Dialect::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
            let with = singles_postgres(&mut c, channel, author, bodies(1)).await;
            let index: String =
                sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = 'messages_search'")
                    .fetch_one(&mut c)
                    .await
                    .expect("the index");
            c.execute("DROP INDEX messages_search").await.expect("the index dropped");
            let without = singles_postgres(&mut c, channel, author, bodies(2)).await;
            c.execute(index.as_str()).await.expect("the index made again");
            (with, without)
        }
    }
}

const SINGLE: &str = "INSERT INTO messages (channel_id, seq, client_id, author_id, body, created_at, kind) \
                      VALUES ($1, $2, $3, $4, $5, 1, 'message')";

async fn singles_sqlite(
    c: &mut sqlx::SqliteConnection,
    channel: i64,
    author: i64,
    rows: Vec<(i64, String)>,
) -> Duration {
    let started = Instant::now();
    for (seq, b) in rows {
        let mut tx = c.begin().await.expect("a transaction");
        let q = sqlx::query(SINGLE).bind(channel).bind(seq).bind(format!("single{seq}")).bind(author).bind(b);
        q.execute(&mut *tx).await.expect("a message");
        tx.commit().await.expect("commit");
    }
    started.elapsed() / SINGLE_INSERTS as u32
}

async fn singles_postgres(c: &mut sqlx::PgConnection, channel: i64, author: i64, rows: Vec<(i64, String)>) -> Duration {
    let started = Instant::now();
    for (seq, b) in rows {
        let q = sqlx::query(SINGLE).bind(channel).bind(seq).bind(format!("single{seq}")).bind(author).bind(b);
        q.execute(&mut *c).await.expect("a message");
    }
    started.elapsed() / SINGLE_INSERTS as u32
}
