//! The limits of `confab_core::shared_limits`, counted in Redis for every
//! server of the cluster: a person's message rate is one GCRA ("generic
//! cell rate algorithm") cell per person, kept and checked by one Lua script
//! run atomically by Redis on its own clock, so every server counts against
//! the same cell. An answer slower than [`ASK_WITHIN`] (Redis away or slow)
//! does not hold a message up: the server's own limit still holds.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use confab_core::shared_limits::SharedLimits;
use redis::Script;
use redis::aio::ConnectionManager;

/// How long a send may wait for the cluster's count.
const ASK_WITHIN: Duration = Duration::from_millis(100);

/// The cell of a key: allows `burst` at once and then one per `interval`;
/// answers 1 (allowed, counted) or 0 (refused). The cell holds the time at
/// which it is empty again ("theoretical arrival time"), in microseconds of
/// Redis's clock, and expires then.
const GCRA: &str = r"
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000000 + tonumber(now_s[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > tolerance then return 0 end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', math.ceil((next - now) / 1000) + 1)
return 1
";

pub(crate) struct RedisLimits {
    conn: ConnectionManager,
    script: Script,
    /// Microseconds between messages at the steady rate.
    interval_us: u64,
    /// How far ahead of now a cell may be and still allow one more: the
    /// burst beyond the first.
    tolerance_us: u64,
}

impl RedisLimits {
    /// `per_second` messages a second per person, twice that in a burst (as
    /// each server counts on its own).
    pub(super) fn new(conn: ConnectionManager, per_second: u32) -> Self {
        let interval_us = 1_000_000 / u64::from(per_second.max(1));
        let burst = 2 * u64::from(per_second.max(1));
        RedisLimits { conn, script: Script::new(GCRA), interval_us, tolerance_us: interval_us * (burst - 1) }
    }
}

impl SharedLimits for RedisLimits {
    fn message(&self, user_id: i64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send + '_>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut call = self.script.key(format!("confab:rate:messages:{user_id}"));
            call.arg(self.interval_us).arg(self.tolerance_us);
            match tokio::time::timeout(ASK_WITHIN, call.invoke_async::<i64>(&mut conn)).await {
                Ok(Ok(allowed)) => Some(allowed == 1),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "the cluster's message count could not be asked");
                    None
                }
                Err(_) => None,
            }
        })
    }
}
