//! A run: every connection joins its room; the senders send (at a set rate,
//! or as fast as acknowledged within a window); every connection times each
//! message from its send to its arrival and checks that each sender's
//! messages come once and in order; at the end, each connection must have
//! received exactly the acknowledged messages of its room's senders.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use hdrhistogram::Histogram;
use serde::Serialize;
use serde_json::json;
use tokio::sync::{Semaphore, watch};

use crate::setup::{NAMESPACE, Room};
use crate::sio::{self, Incoming, Reader, Writer};

/// What to do.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Connections that send, per room (the first ones of each room).
    pub senders_per_room: usize,
    /// Messages each sender sends.
    pub messages_per_sender: u64,
    /// Messages per second per sender; `None`: as fast as acknowledged.
    pub rate: Option<f64>,
    /// Messages a sender may have unacknowledged at once.
    pub window: usize,
    /// Source addresses to spread connections over (none: the default one).
    pub sources: Vec<IpAddr>,
    /// How long to wait, after the last acknowledgement, for deliveries.
    pub drain: Duration,
}

/// What a run measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub connections: usize,
    pub rooms: usize,
    pub senders: usize,
    /// Messages sent, and acknowledged (stored) by the server.
    pub sent: u64,
    pub acknowledged: u64,
    /// Deliveries expected (each acknowledged message, once to every member
    /// of its room, its sender included) and received.
    pub expected: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub out_of_order: u64,
    /// From the first send to the last delivery.
    pub seconds: f64,
    pub deliveries_per_second: f64,
    /// Send to delivery, in milliseconds.
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Why a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("connection {index}: {source}")]
    Connect { index: usize, source: sio::SioError },
    #[error("connection {index} could not join its room: {answer}")]
    Join { index: usize, answer: String },
}

/// The clock every connection times messages by.
struct Clock(Instant);

impl Clock {
    fn nanos(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

/// What one connection saw.
struct Tally {
    delivered: u64,
    duplicated: u64,
    out_of_order: u64,
    /// The next message number expected of each sender.
    next: HashMap<u32, u64>,
    latency_us: Histogram<u64>,
}

impl Tally {
    fn new() -> Self {
        Tally {
            delivered: 0,
            duplicated: 0,
            out_of_order: 0,
            next: HashMap::new(),
            latency_us: Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"),
        }
    }

    /// A message `n` of `sender`, sent at `sent_ns`.
    fn arrived(&mut self, sender: u32, n: u64, sent_ns: u64, now_ns: u64) {
        let next = self.next.entry(sender).or_insert(0);
        if n < *next {
            self.duplicated += 1;
            return;
        }
        if n > *next {
            self.out_of_order += 1;
        }
        *next = n + 1;
        self.delivered += 1;
        let _ = self.latency_us.record((now_ns.saturating_sub(sent_ns) / 1000).max(1));
    }
}

/// Shared by every connection of the run.
struct Shared {
    clock: Clock,
    delivered: AtomicU64,
    last_delivery_ns: AtomicU64,
}

/// Reads a connection until `stop`: times and checks every `message`, and
/// gives each acknowledgement back to the sender's window.
async fn read(
    mut reader: Reader,
    shared: Arc<Shared>,
    window: Option<Arc<Semaphore>>,
    acked: Arc<AtomicU64>,
    mut stop: watch::Receiver<bool>,
) -> Tally {
    let mut tally = Tally::new();
    loop {
        let incoming = tokio::select! {
            incoming = reader.next() => incoming,
            _ = stop.changed() => return tally,
        };
        match incoming {
            Incoming::Message(d) => {
                let now = shared.clock.nanos();
                tally.arrived(d.sender, d.n, d.sent_ns, now);
                shared.delivered.fetch_add(1, Ordering::Relaxed);
                shared.last_delivery_ns.fetch_max(now, Ordering::Relaxed);
            }
            Incoming::Event(..) => {}
            Incoming::Ack(_, answer) => {
                if answer.get("ok").is_some() {
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(w) = &window {
                    w.add_permits(1);
                }
            }
            Incoming::Closed | Incoming::Disconnected => return tally,
        }
    }
}

/// Sends `plan.messages_per_sender` messages as sender `id` to `channel_id`.
async fn send(
    id: u32,
    writer: Writer,
    channel_id: i64,
    plan: Plan,
    shared: Arc<Shared>,
    window: Arc<Semaphore>,
    sent: Arc<AtomicU64>,
) {
    let start = Instant::now();
    for n in 0..plan.messages_per_sender {
        if let Some(rate) = plan.rate {
            let due = start + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due.into()).await;
        }
        let Ok(permit) = window.acquire().await else { return };
        permit.forget();
        let message = json!({
            "channel_id": channel_id,
            "client_id": format!("{id}:{n}"),
            "body": shared.clock.nanos().to_string(),
        });
        if writer.emit("send", &message, Some(n as i64 + 1)).await.is_err() {
            return;
        }
        sent.fetch_add(1, Ordering::Relaxed);
    }
}

/// One connection of the run, joined to its room.
struct Member {
    room: usize,
    writer: Writer,
    reader: Reader,
}

/// Connects `cookie`'s connection number `index` and joins `channel_id`.
async fn join(
    addr: SocketAddr,
    index: usize,
    cookie: Option<String>,
    source: Option<IpAddr>,
    channel_id: i64,
) -> Result<(Writer, Reader), RunError> {
    let options = sio::Options { cookie: cookie.as_deref(), local: source, deliveries: true, ..Default::default() };
    let (writer, mut reader) =
        sio::connect(addr, NAMESPACE, options).await.map_err(|source| RunError::Connect { index, source })?;
    let fail = |answer: String| RunError::Join { index, answer };
    writer.emit("join", &json!({ "channel_id": channel_id }), Some(0)).await.map_err(|e| fail(e.to_string()))?;
    loop {
        match reader.next().await {
            Incoming::Ack(0, answer) if answer.get("ok").is_some() => return Ok((writer, reader)),
            Incoming::Ack(0, answer) => return Err(fail(answer.to_string())),
            Incoming::Closed => return Err(fail("the connection closed".into())),
            Incoming::Disconnected => return Err(fail("the server disconnected the socket".into())),
            _ => {}
        }
    }
}

/// Which server each connection of a room opens on: with one, all there;
/// with several, a room's senders (its first `senders_per_room`
/// connections) on the first and the others spread over the rest, so that
/// every delivery but a sender's own copy crosses from one server to
/// another.
fn server_for(servers: &[SocketAddr], senders_per_room: usize, in_room: usize) -> SocketAddr {
    match servers.split_first() {
        None => unreachable!("a run has a server"),
        Some((only, [])) => *only,
        Some((first, _)) if in_room < senders_per_room => *first,
        Some((_, rest)) => rest[(in_room - senders_per_room) % rest.len()],
    }
}

/// Opens every connection of `rooms` (64 at a time) on `servers` (see
/// [`server_for`]) and joins its room.
pub async fn connect_all(
    servers: &[SocketAddr],
    senders_per_room: usize,
    rooms: &[Room],
    sources: &[IpAddr],
) -> Result<Vec<(usize, Writer, Reader)>, RunError> {
    let wanted: Vec<(usize, usize, usize, Option<String>, i64)> = rooms
        .iter()
        .enumerate()
        .flat_map(|(r, room)| room.cookies.iter().enumerate().map(move |(k, c)| (r, k, c.clone(), room.channel_id)))
        .enumerate()
        .map(|(i, (r, k, c, ch))| (i, r, k, c, ch))
        .collect();
    let joined: Vec<Result<(usize, Writer, Reader), RunError>> = futures::stream::iter(wanted)
        .map(|(index, room, in_room, cookie, channel_id)| {
            let source = (!sources.is_empty()).then(|| sources[index % sources.len()]);
            let addr = server_for(servers, senders_per_room, in_room);
            async move { join(addr, index, cookie, source, channel_id).await.map(|(w, r)| (room, w, r)) }
        })
        .buffered(64)
        .collect()
        .await;
    joined.into_iter().collect()
}

/// A sender: its id, where it writes, its room and its window.
struct Sender {
    id: u32,
    writer: Writer,
    room: usize,
    window: Arc<Semaphore>,
    /// Its messages the server acknowledged (counted by its reader).
    acked: Arc<AtomicU64>,
}

/// Runs `plan` against `servers` (one, or several as one service) with
/// `rooms` prepared.
pub async fn run(servers: &[SocketAddr], rooms: &[Room], plan: &Plan) -> Result<Report, RunError> {
    let members: Vec<Member> = connect_all(servers, plan.senders_per_room, rooms, &plan.sources)
        .await?
        .into_iter()
        .map(|(room, writer, reader)| Member { room, writer, reader })
        .collect();
    let shared = Arc::new(Shared {
        clock: Clock(Instant::now()),
        delivered: AtomicU64::new(0),
        last_delivery_ns: AtomicU64::new(0),
    });
    let (stop_tx, stop) = watch::channel(false);
    let sent = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::with_capacity(members.len());
    let mut senders = Vec::new();
    let mut seen_in_room = vec![0usize; rooms.len()];
    for m in members {
        let is_sender = seen_in_room[m.room] < plan.senders_per_room;
        seen_in_room[m.room] += 1;
        let acked = Arc::new(AtomicU64::new(0));
        let window = is_sender.then(|| Arc::new(Semaphore::new(plan.window.max(1))));
        readers.push(tokio::spawn(read(m.reader, shared.clone(), window.clone(), acked.clone(), stop.clone())));
        if let Some(window) = window {
            let id = senders.len() as u32;
            senders.push(Sender { id, writer: m.writer, room: m.room, window, acked });
        }
    }
    let first_send = shared.clock.nanos();
    let sending: Vec<_> = senders
        .iter()
        .map(|s| {
            let channel_id = rooms[s.room].channel_id;
            let task =
                send(s.id, s.writer.clone(), channel_id, plan.clone(), shared.clone(), s.window.clone(), sent.clone());
            tokio::spawn(task)
        })
        .collect();
    for task in sending {
        let _ = task.await;
    }
    // Every message answered (or the drain time over), then every delivery
    // of the acknowledged ones (or the drain time again).
    let total_sent = sent.load(Ordering::Relaxed);
    let acknowledged = || senders.iter().map(|s| s.acked.load(Ordering::Relaxed)).sum::<u64>();
    let deadline = Instant::now() + plan.drain;
    while acknowledged() < total_sent && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let expected: u64 =
        senders.iter().map(|s| s.acked.load(Ordering::Relaxed) * rooms[s.room].cookies.len() as u64).sum();
    let deadline = Instant::now() + plan.drain;
    while shared.delivered.load(Ordering::Relaxed) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A moment more, to see any delivery beyond what was expected.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop_tx.send(true);
    let mut report = Report {
        connections: readers.len(),
        rooms: rooms.len(),
        senders: senders.len(),
        sent: total_sent,
        acknowledged: acknowledged(),
        expected,
        ..Report::default()
    };
    let mut latency = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds");
    for reader in readers {
        if let Ok(tally) = reader.await {
            report.delivered += tally.delivered;
            report.duplicated += tally.duplicated;
            report.out_of_order += tally.out_of_order;
            let _ = latency.add(&tally.latency_us);
        }
    }
    for s in &senders {
        s.writer.close().await;
    }
    report.lost = report.expected.saturating_sub(report.delivered);
    let last = shared.last_delivery_ns.load(Ordering::Relaxed);
    report.seconds = last.saturating_sub(first_send) as f64 / 1e9;
    if report.seconds > 0.0 {
        report.deliveries_per_second = report.delivered as f64 / report.seconds;
    }
    report.p50_ms = latency.value_at_quantile(0.5) as f64 / 1000.0;
    report.p99_ms = latency.value_at_quantile(0.99) as f64 / 1000.0;
    report.max_ms = latency.max() as f64 / 1000.0;
    Ok(report)
}
