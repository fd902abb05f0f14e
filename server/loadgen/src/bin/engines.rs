//! `engines`: the field-made engines a cluster's servers could tell each
//! other new events through, measured the same way on this machine: Redis
//! pub/sub (what Confab uses, and what socketioxide's Redis adapter is built
//! on), Redis Streams, and PostgreSQL's LISTEN/NOTIFY. For each: one
//! publisher and one listener on connections of their own, events of the
//! size Confab publishes (a stored message's envelope, ~400 bytes).
//!
//! - flat out: 20,000 events in batches of 64 (as the feed publishes them),
//!   as fast as they go; events per second from the first sent to the last
//!   heard, and how many never came;
//! - at a fixed rate (2,000 a second for 5 s, one at a time): the latency
//!   from publishing to hearing, p50 / p99 / max.
//!
//!   engines --redis-url redis://… --database-url postgres://…
//!
//! `scripts/bench-engines.sh` starts a throwaway Redis and PostgreSQL for it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use futures::StreamExt;
use hdrhistogram::Histogram;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio::sync::mpsc;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    redis_url: String,
    #[arg(long)]
    database_url: String,
}

const FLAT_OUT: usize = 20_000;
const BATCH: usize = 64;
const RATE: u64 = 2_000;
const RATE_FOR: Duration = Duration::from_secs(5);
/// How long a listener waits for more before the rest counts as lost.
const QUIET: Duration = Duration::from_secs(2);
const SIZE: usize = 400;

/// Event `i`: its number, then padding to the size of a real one.
fn event(i: usize) -> String {
    format!("{i:010}{}", "x".repeat(SIZE - 10))
}

fn number(payload: &str) -> Option<usize> {
    payload.get(..10)?.parse().ok()
}

/// When each event was published, by number.
type Sent = Arc<Mutex<Vec<Option<Instant>>>>;

/// One engine: a publisher of batches, and a listener that hands over each
/// event's number as it hears it.
trait Engine {
    async fn listen(&mut self, heard: mpsc::UnboundedSender<usize>) -> Result<()>;
    async fn publish(&mut self, batch: &[String]) -> Result<()>;
}

/// Errors as sentences: this is a measuring tool, which prints them.
type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

struct RedisPubSub {
    client: redis::Client,
    conn: redis::aio::MultiplexedConnection,
}

impl Engine for RedisPubSub {
    async fn listen(&mut self, heard: mpsc::UnboundedSender<usize>) -> Result<()> {
        let mut pubsub = self.client.get_async_pubsub().await.map_err(err)?;
        pubsub.subscribe("confab:bench").await.map_err(err)?;
        tokio::spawn(async move {
            let mut messages = pubsub.on_message();
            while let Some(m) = messages.next().await {
                let payload: String = m.get_payload().unwrap_or_default();
                if let Some(i) = number(&payload) {
                    let _ = heard.send(i);
                }
            }
        });
        Ok(())
    }

    async fn publish(&mut self, batch: &[String]) -> Result<()> {
        let mut pipe = redis::pipe();
        for e in batch {
            pipe.publish("confab:bench", e).ignore();
        }
        pipe.query_async::<()>(&mut self.conn).await.map_err(err)
    }
}

struct RedisStreams {
    client: redis::Client,
    conn: redis::aio::MultiplexedConnection,
}

impl Engine for RedisStreams {
    async fn listen(&mut self, heard: mpsc::UnboundedSender<usize>) -> Result<()> {
        let mut conn = self.client.get_multiplexed_async_connection().await.map_err(err)?;
        let _: () = redis::cmd("DEL").arg("confab:bench-stream").query_async(&mut conn).await.map_err(err)?;
        tokio::spawn(async move {
            let mut last = "0-0".to_owned();
            loop {
                let mut read = redis::cmd("XREAD");
                read.arg("COUNT").arg(1000).arg("BLOCK").arg(1000).arg("STREAMS").arg("confab:bench-stream").arg(&last);
                let Ok(reply) = read.query_async::<redis::Value>(&mut conn).await else { return };
                for (id, payload) in stream_entries(&reply) {
                    if let Some(i) = number(&payload) {
                        let _ = heard.send(i);
                    }
                    last = id;
                }
            }
        });
        Ok(())
    }

    async fn publish(&mut self, batch: &[String]) -> Result<()> {
        let mut pipe = redis::pipe();
        for e in batch {
            pipe.cmd("XADD").arg("confab:bench-stream").arg("MAXLEN").arg("~").arg(100_000).arg("*").arg("e").arg(e);
            pipe.ignore();
        }
        pipe.query_async::<()>(&mut self.conn).await.map_err(err)
    }
}

/// The (id, payload) pairs of an XREAD reply, in order.
fn stream_entries(reply: &redis::Value) -> Vec<(String, String)> {
    use redis::Value;
    let text = |v: &Value| match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    };
    // RESP2: [[key, [[id, [field, value]], …]]]; RESP3 may answer a map.
    let streams: Vec<&Value> = match reply {
        Value::Array(streams) => streams.iter().collect(),
        Value::Map(pairs) => pairs.iter().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for stream in streams {
        let entries = match stream {
            Value::Array(kv) if kv.len() == 2 => &kv[1],
            other => other,
        };
        let Value::Array(entries) = entries else { continue };
        for entry in entries {
            let Value::Array(pair) = entry else { continue };
            let (Some(id), Some(Value::Array(fields))) = (pair.first().and_then(text), pair.get(1)) else { continue };
            if let Some(payload) = fields.get(1).and_then(text) {
                out.push((id, payload));
            }
        }
    }
    out
}

struct PgNotify {
    url: String,
    pool: sqlx::PgPool,
}

impl Engine for PgNotify {
    async fn listen(&mut self, heard: mpsc::UnboundedSender<usize>) -> Result<()> {
        let mut listener = PgListener::connect(&self.url).await.map_err(err)?;
        listener.listen("confab_bench").await.map_err(err)?;
        tokio::spawn(async move {
            while let Ok(n) = listener.recv().await {
                if let Some(i) = number(n.payload()) {
                    let _ = heard.send(i);
                }
            }
        });
        Ok(())
    }

    async fn publish(&mut self, batch: &[String]) -> Result<()> {
        sqlx::query("SELECT pg_notify('confab_bench', e) FROM unnest($1::text[]) AS e")
            .bind(batch)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(err)
    }
}

struct Figures {
    per_second: f64,
    lost: usize,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// Collects what the listener hears into `latency` until `expected` came or
/// it was quiet for [`QUIET`]; how many came, and when the last did.
async fn hear(
    heard: &mut mpsc::UnboundedReceiver<usize>,
    sent: &Sent,
    expected: usize,
    latency: &mut Histogram<u64>,
) -> (usize, Instant) {
    let (mut count, mut last) = (0, Instant::now());
    while count < expected {
        match tokio::time::timeout(QUIET, heard.recv()).await {
            Ok(Some(i)) => {
                last = Instant::now();
                count += 1;
                if let Some(at) = sent.lock().unwrap().get(i).copied().flatten() {
                    let _ = latency.record(last.duration_since(at).as_micros() as u64);
                }
            }
            _ => break,
        }
    }
    (count, last)
}

async fn measure(engine: &mut impl Engine) -> Result<Figures> {
    let (tx, mut heard) = mpsc::unbounded_channel();
    engine.listen(tx).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let total = FLAT_OUT + (RATE * RATE_FOR.as_secs()) as usize;
    let sent: Sent = Arc::new(Mutex::new(vec![None; total]));
    let mut ignored = Histogram::<u64>::new(3).map_err(err)?;

    // Flat out, in batches.
    let started = Instant::now();
    let hearing = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let got = hear(&mut heard, &sent, FLAT_OUT, &mut ignored).await;
            (got, heard)
        })
    };
    for first in (0..FLAT_OUT).step_by(BATCH) {
        let batch: Vec<String> = (first..(first + BATCH).min(FLAT_OUT)).map(event).collect();
        let now = Instant::now();
        sent.lock().unwrap()[first..first + batch.len()].iter_mut().for_each(|s| *s = Some(now));
        engine.publish(&batch).await?;
    }
    let ((count, last), mut heard) = hearing.await.map_err(err)?;
    let per_second = count as f64 / last.duration_since(started).as_secs_f64();
    let lost = FLAT_OUT - count;

    // At a fixed rate, one at a time.
    let mut latency = Histogram::<u64>::new(3).map_err(err)?;
    let paced = total - FLAT_OUT;
    let hearing = {
        let sent = sent.clone();
        tokio::spawn(async move {
            hear(&mut heard, &sent, paced, &mut latency).await;
            latency
        })
    };
    let every = Duration::from_secs(1) / RATE as u32;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    for i in FLAT_OUT..total {
        tick.tick().await;
        sent.lock().unwrap()[i] = Some(Instant::now());
        engine.publish(&[event(i)]).await?;
    }
    let latency = hearing.await.map_err(err)?;
    let ms = |q: f64| latency.value_at_quantile(q) as f64 / 1000.0;
    Ok(Figures { per_second, lost, p50_ms: ms(0.5), p99_ms: ms(0.99), max_ms: latency.max() as f64 / 1000.0 })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let client = redis::Client::open(args.redis_url.as_str()).expect("a Redis URL");
    let conn = client.get_multiplexed_async_connection().await.expect("Redis answers");
    let pool = PgPoolOptions::new().max_connections(2).connect(&args.database_url).await.expect("PostgreSQL answers");

    println!("| Engine | flat out: events/s | lost | at {RATE}/s: p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, figures: Result<Figures>| match figures {
        Ok(f) => println!(
            "| {name} | {:.0} | {} | {:.2} | {:.2} | {:.2} |",
            f.per_second, f.lost, f.p50_ms, f.p99_ms, f.max_ms
        ),
        Err(e) => println!("| {name} | failed: {e} | | | | |"),
    };
    row("Redis pub/sub", measure(&mut RedisPubSub { client: client.clone(), conn: conn.clone() }).await);
    row("Redis Streams (XADD / XREAD BLOCK)", measure(&mut RedisStreams { client, conn }).await);
    row("PostgreSQL LISTEN/NOTIFY", measure(&mut PgNotify { url: args.database_url, pool }).await);
}
