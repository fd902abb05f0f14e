//! The limits of `confab_core::shared_limits`, counted in Redis for every
//! server of the cluster: a person's message rate is one GCRA ("generic
//! cell rate algorithm") cell per person, kept and checked by one Lua script
//! run atomically by Redis on its own clock, so every server counts against
//! the same cell. Failed sign-ins are one hash per key (how many, and when
//! the last, on Redis's clock) that expires after its quiet time, and a
//! client known to an account one key that expires after 30 days. An
//! answer slower than [`ASK_WITHIN`] (Redis away or slow) does not hold
//! anyone up: the server's own limits still hold.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use confab_core::shared_limits::{SharedLimits, SignInRecord};
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

/// For each key (KEYS but the last): how many failures and how many
/// milliseconds since the last (0, 0 for none); then whether the last key
/// exists (1 or 0).
const SIGN_IN_RECORD: &str = r"
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
local out = {}
for i = 1, #KEYS - 1 do
  local f = redis.call('HMGET', KEYS[i], 'count', 'last')
  if f[1] then
    out[#out + 1] = tonumber(f[1])
    out[#out + 1] = math.max(0, now - tonumber(f[2]))
  else
    out[#out + 1] = 0
    out[#out + 1] = 0
  end
end
out[#out + 1] = redis.call('EXISTS', KEYS[#KEYS])
return out
";

/// One more failure under each key, now; each kept ARGV[1] ms after.
const SIGN_IN_FAILED: &str = r"
local now_s = redis.call('TIME')
local now = tonumber(now_s[1]) * 1000 + math.floor(tonumber(now_s[2]) / 1000)
for i = 1, #KEYS do
  redis.call('HINCRBY', KEYS[i], 'count', 1)
  redis.call('HSET', KEYS[i], 'last', now)
  redis.call('PEXPIRE', KEYS[i], ARGV[1])
end
return 1
";

pub(crate) struct RedisLimits {
    conn: ConnectionManager,
    script: Script,
    sign_in_record: Script,
    sign_in_failed: Script,
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
        RedisLimits {
            conn,
            script: Script::new(GCRA),
            sign_in_record: Script::new(SIGN_IN_RECORD),
            sign_in_failed: Script::new(SIGN_IN_FAILED),
            interval_us,
            tolerance_us: interval_us * (burst - 1),
        }
    }
}

fn sign_in_key(name: &str) -> String {
    format!("confab:sign-in:{name}")
}

/// Waits for Redis's answer up to [`ASK_WITHIN`]; `None` without one.
async fn within<T>(what: &str, call: impl Future<Output = redis::RedisResult<T>>) -> Option<T> {
    match tokio::time::timeout(ASK_WITHIN, call).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, "the cluster's count of {what} could not be asked");
            None
        }
        Err(_) => None,
    }
}

impl SharedLimits for RedisLimits {
    fn message(&self, user_id: i64) -> Pin<Box<dyn Future<Output = Option<bool>> + Send + '_>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut call = self.script.key(format!("confab:rate:messages:{user_id}"));
            call.arg(self.interval_us).arg(self.tolerance_us);
            within("messages", call.invoke_async::<i64>(&mut conn)).await.map(|allowed| allowed == 1)
        })
    }

    fn sign_in_record<'a>(
        &'a self,
        keys: &'a [String],
        known: &'a str,
    ) -> Pin<Box<dyn Future<Output = Option<SignInRecord>> + Send + 'a>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut call = self.sign_in_record.prepare_invoke();
            for key in keys {
                call.key(sign_in_key(key));
            }
            call.key(sign_in_key(known));
            let answer: Vec<u64> = within("failed sign-ins", call.invoke_async(&mut conn)).await?;
            let (pairs, known) = answer.split_at(answer.len().checked_sub(1)?);
            let failures = pairs
                .as_chunks::<2>()
                .0
                .iter()
                .map(|&[count, ago]| {
                    (count > 0).then(|| (count.min(u64::from(u32::MAX)) as u32, Duration::from_millis(ago)))
                })
                .collect();
            Some(SignInRecord { failures, known: known[0] == 1 })
        })
    }

    fn sign_in_failed<'a>(
        &'a self,
        keys: &'a [String],
        forget_after: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        // Counted even when the request that failed is dropped meanwhile.
        let (mut conn, script) = (self.conn.clone(), self.sign_in_failed.clone());
        let keys: Vec<String> = keys.iter().map(|k| sign_in_key(k)).collect();
        let counted = tokio::spawn(async move {
            let mut call = script.prepare_invoke();
            for key in keys {
                call.key(key);
            }
            call.arg(forget_after.as_millis() as u64);
            within("failed sign-ins", call.invoke_async::<i64>(&mut conn)).await;
        });
        Box::pin(async move {
            let _ = counted.await;
        })
    }

    fn sign_in_succeeded<'a>(
        &'a self,
        forget: &'a str,
        known: &'a str,
        known_for: Duration,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let mut pipe = redis::pipe();
            pipe.atomic().del(sign_in_key(forget)).ignore();
            pipe.pset_ex(sign_in_key(known), 1, known_for.as_millis() as u64).ignore();
            within("failed sign-ins", pipe.query_async::<()>(&mut conn)).await;
        })
    }
}
