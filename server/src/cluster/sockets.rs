//! The sockets each person holds on every server of the cluster, for the
//! per-person cap (`--max-sockets-per-user`). Each server keeps its own
//! count (`HeldCounts`, exact and first) and writes it to Redis: one hash
//! per person, a field per server holding that server's count. A socket is
//! admitted when this server's count with it, plus the other live servers'
//! fields, is within the cap; one Lua script checks and writes, atomically.
//!
//! A server is live while its key (`confab:node:<id>`, renewed every 2 s)
//! lasts: 7 s after a server dies its fields stop counting and are
//! removed as they are met. Writes carry absolute counts, made one batch at
//! a time by one task that reads the count when it writes, so the last
//! write is always the latest count; a write that fails is made again at
//! the next renewal, and when the key was gone (Redis restarted, or this
//! server was silent too long) every count is written again. Redis away or
//! slow (over 100 ms) admits the socket: this server's own cap still holds.

use std::collections::HashSet;
use std::time::Duration;

use confab_core::held_counts::{HeldCounts, Pass};
use redis::Script;
use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// How long an admission may wait for the cluster's count.
const ASK_WITHIN: Duration = Duration::from_millis(100);
/// How often a server renews its key (and writes what failed before).
const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long a server's key lasts without renewal.
const LIVE_FOR: Duration = Duration::from_secs(7);
/// The most counts written in one round trip.
const BATCH: usize = 512;

/// For each person (KEYS[i]): this server's count now (ARGV[2i]) and a cap
/// (ARGV[2i+1]; 0: just write). Within the cap counting the other live
/// servers' fields (or with no cap), writes this server's field (ARGV[1])
/// and answers 1; over it, writes nothing and answers 0.
const WRITE_COUNTS: &str = r"
local node = ARGV[1]
local out = {}
for i = 1, #KEYS do
  local n = tonumber(ARGV[2 * i])
  local cap = tonumber(ARGV[2 * i + 1])
  local ok = 1
  if cap > 0 then
    local others = 0
    local fields = redis.call('HGETALL', KEYS[i])
    for j = 1, #fields, 2 do
      local other = fields[j]
      if other ~= node then
        if redis.call('EXISTS', 'confab:node:' .. other) == 1 then
          others = others + tonumber(fields[j + 1])
        else
          redis.call('HDEL', KEYS[i], other)
        end
      end
    end
    if others + n > cap then ok = 0 end
  end
  if ok == 1 then
    if n > 0 then redis.call('HSET', KEYS[i], node, n) else redis.call('HDEL', KEYS[i], node) end
  end
  out[i] = ok
end
return out
";

#[derive(Debug)]
enum Op {
    /// May this person hold one more (already counted here)? `None`: no
    /// answer in time.
    Claim { user_id: i64, cap: usize, answer: oneshot::Sender<Option<bool>> },
    /// This person's count here changed: write it.
    Changed(i64),
}

/// This server's end of the cluster's socket counts; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct ClusterSockets {
    ops: mpsc::UnboundedSender<Op>,
}

impl ClusterSockets {
    /// Starts the task that writes `counts` (this server's) to Redis as
    /// server `node`; it runs until the server stops.
    pub(super) fn start(conn: ConnectionManager, node: u64, counts: HeldCounts<i64>) -> (Self, JoinHandle<()>) {
        let (ops, rx) = mpsc::unbounded_channel();
        let writer = Writer { conn, node, counts, script: Script::new(WRITE_COUNTS), dirty: HashSet::new() };
        (ClusterSockets { ops }, tokio::spawn(writer.run(rx)))
    }

    /// May `user_id` (whose new socket this server counted already) hold
    /// it, counting every server, under `cap`? `None`: Redis did not
    /// answer in time.
    pub(crate) async fn claim(&self, user_id: i64, cap: usize) -> Option<bool> {
        let (answer, answered) = oneshot::channel();
        self.ops.send(Op::Claim { user_id, cap, answer }).ok()?;
        answered.await.ok().flatten()
    }
}

/// A socket counted for its person here and, in a cluster, on every
/// server; given back when dropped.
#[derive(Debug)]
pub(crate) struct CountedSocket {
    pass: Option<Pass<i64>>,
    user_id: i64,
    cluster: Option<ClusterSockets>,
}

impl CountedSocket {
    pub(crate) fn new(pass: Pass<i64>, user_id: i64, cluster: Option<ClusterSockets>) -> Self {
        CountedSocket { pass: Some(pass), user_id, cluster }
    }
}

impl Drop for CountedSocket {
    fn drop(&mut self) {
        drop(self.pass.take());
        if let Some(cluster) = &self.cluster {
            let _ = cluster.ops.send(Op::Changed(self.user_id));
        }
    }
}

struct Writer {
    conn: ConnectionManager,
    node: u64,
    counts: HeldCounts<i64>,
    script: Script,
    /// People whose count could not be written yet.
    dirty: HashSet<i64>,
}

impl Writer {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Op>) {
        let mut renew = tokio::time::interval(RENEW_EVERY);
        let mut batch = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                // The key first: the others count this server's fields
                // only while it lasts.
                biased;
                _ = renew.tick() => self.renew().await,
                n = rx.recv_many(&mut batch, BATCH) => {
                    if n == 0 {
                        return;
                    }
                    self.write(std::mem::take(&mut batch)).await;
                }
            }
        }
    }

    /// Renews this server's key; writes what failed before, and everything
    /// when the key was gone.
    async fn renew(&mut self) {
        let key = format!("confab:node:{}", self.node);
        let mut set = redis::cmd("SET");
        set.arg(&key).arg(1).arg("PX").arg(LIVE_FOR.as_millis() as u64).arg("GET");
        let mut conn = self.conn.clone();
        match tokio::time::timeout(ASK_WITHIN, set.query_async::<Option<String>>(&mut conn)).await {
            Ok(Ok(Some(_))) => {}
            Ok(Ok(None)) => self.dirty.extend(self.counts.holders_now()),
            Ok(Err(_)) | Err(_) => return,
        }
        let dirty: Vec<i64> = self.dirty.drain().collect();
        for chunk in dirty.chunks(BATCH) {
            self.write(chunk.iter().map(|&user_id| Op::Changed(user_id)).collect()).await;
        }
    }

    /// Writes one batch: each person's count as it is now, with a claim's
    /// cap checked first.
    async fn write(&mut self, batch: Vec<Op>) {
        let mut call = self.script.prepare_invoke();
        call.arg(self.node);
        for op in &batch {
            let (user_id, cap) = match op {
                Op::Claim { user_id, cap, .. } => (*user_id, *cap),
                Op::Changed(user_id) => (*user_id, 0),
            };
            call.key(format!("confab:sockets:{user_id}")).arg(self.counts.held(&user_id)).arg(cap);
        }
        let mut conn = self.conn.clone();
        let answers = match tokio::time::timeout(ASK_WITHIN, call.invoke_async::<Vec<i64>>(&mut conn)).await {
            Ok(Ok(answers)) if answers.len() == batch.len() => Some(answers),
            Ok(Ok(_)) => None,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "the cluster's socket counts could not be written");
                None
            }
            Err(_) => None,
        };
        for (at, op) in batch.into_iter().enumerate() {
            match op {
                Op::Claim { user_id, answer, .. } => {
                    let allowed = answers.as_ref().map(|a| a[at] == 1);
                    if allowed.is_none() {
                        self.dirty.insert(user_id);
                    }
                    let _ = answer.send(allowed);
                }
                Op::Changed(user_id) if answers.is_none() => drop(self.dirty.insert(user_id)),
                Op::Changed(_) => {}
            }
        }
    }
}
