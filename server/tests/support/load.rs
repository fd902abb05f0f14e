//! Load that survives servers going away, for the tests that kill them:
//! senders that send every message until it is acknowledged (again, with
//! the same client id, after a reconnection), and readers that read a
//! channel to its end, resuming from their last `seq` whenever they
//! reconnect, counting what came out of order or twice.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use super::sio::SioClient;

/// Connects to `/acme`, trying again while the server is down (for at most 30 s).
pub(crate) async fn connect_retrying(addr: SocketAddr, cookie: &str) -> SioClient {
    for _ in 0..300 {
        if let Ok(s) = SioClient::connect(addr, "/acme", cookie, None).await {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not connect within 30 s");
}

/// Sends `each` messages (client ids `s<i>-<n>`), `in_flight` at a time,
/// until every one is acknowledged: a request left unanswered when the
/// connection dies is sent again, with the same client id, once reconnected.
/// Returns how many sends that took and the acknowledged client ids;
/// `progress` counts acknowledgements as they come.
pub(crate) async fn send_all(
    addr: SocketAddr,
    cookie: String,
    channel: i64,
    i: usize,
    each: usize,
    progress: Arc<AtomicUsize>,
) -> (usize, Vec<String>) {
    const IN_FLIGHT: usize = 8;
    let mut todo: VecDeque<String> = (0..each).map(|n| format!("s{i}-{n}")).collect();
    let (mut sends, mut acked) = (0, Vec::new());
    'connection: loop {
        let mut s = connect_retrying(addr, &cookie).await;
        let mut flight: HashMap<i64, String> = HashMap::new();
        loop {
            while flight.len() < IN_FLIGHT
                && let Some(client_id) = todo.pop_front()
            {
                let req = json!({"channel_id": channel, "client_id": client_id, "body": "x".repeat(200)});
                sends += 1;
                match s.try_send_request("send", &req).await {
                    Some(id) => drop(flight.insert(id, client_id)),
                    None => {
                        todo.push_front(client_id);
                        todo.extend(flight.into_values());
                        continue 'connection;
                    }
                }
            }
            if flight.is_empty() {
                return (sends, acked);
            }
            match s.next_ack(Duration::from_secs(5)).await {
                Some((id, ack)) => {
                    let client_id = flight.remove(&id).expect("an answer to a request in flight");
                    if ack.get("ok").is_some() {
                        acked.push(client_id);
                        progress.fetch_add(1, Ordering::Relaxed);
                    } else {
                        // Refused while the server stops: nothing was stored.
                        assert_eq!(ack["error"]["code"], "unavailable", "{ack}");
                        todo.push_back(client_id);
                    }
                }
                None => {
                    todo.extend(flight.into_values());
                    continue 'connection;
                }
            }
        }
    }
}

/// What one reader saw.
#[derive(Debug, Default)]
pub(crate) struct Reading {
    /// Messages received live and in resume pages.
    pub(crate) live: usize,
    pub(crate) resumed: usize,
    /// Received with a `seq` other than the next one expected.
    pub(crate) out_of_order: usize,
    /// Received again (the same `seq`).
    pub(crate) duplicated: usize,
    pub(crate) reconnects: usize,
    /// Times it was told it fell behind (and reconnected at once).
    pub(crate) fell_behind: usize,
    /// Every message received, by `seq`: its client id.
    pub(crate) by_seq: BTreeMap<i64, String>,
}

impl Reading {
    /// Takes one message; `last` is the newest `seq` with none missing below.
    pub(crate) fn take(&mut self, m: &Value, last: &mut i64) {
        let seq = m["seq"].as_i64().unwrap();
        if seq != *last + 1 {
            self.out_of_order += 1;
        }
        if self.by_seq.insert(seq, m["client_id"].as_str().unwrap().to_owned()).is_some() {
            self.duplicated += 1;
        }
        while self.by_seq.contains_key(&(*last + 1)) {
            *last += 1;
        }
    }
}

/// Reads the channel until it has every `seq` up to `total`: resuming from
/// the last one it has whenever it (re)connects, live in between.
pub(crate) async fn read_all(addr: SocketAddr, cookie: String, channel: i64, total: i64) -> Reading {
    let (mut r, mut last) = (Reading::default(), 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    'connection: while last < total {
        assert!(tokio::time::Instant::now() < deadline, "stuck at seq {last} of {total}");
        let mut s = connect_retrying(addr, &cookie).await;
        r.reconnects += 1;
        loop {
            let req = json!({"channel_id": channel, "after_seq": last});
            let Some(_) = s.try_send_request("join", &req).await else { continue 'connection };
            let Some((_, ack)) = s.next_ack(Duration::from_secs(5)).await else { continue 'connection };
            let Some(joined) = ack.get("ok") else { continue 'connection };
            for m in joined["missed"].as_array().unwrap() {
                r.resumed += 1;
                r.take(m, &mut last);
            }
            if joined["more"] == false {
                break;
            }
        }
        while last < total {
            match s.next_event(Duration::from_secs(2)).await {
                Some((name, m)) if name == "message" => {
                    r.live += 1;
                    r.take(&m, &mut last);
                }
                // Cut off for falling behind: reconnect at once, as
                // docs/API.md says, and resume.
                Some((name, _)) if name == "fell_behind" => {
                    r.fell_behind += 1;
                    continue 'connection;
                }
                Some(_) => {}
                None if s.is_closed() => continue 'connection,
                None => assert!(tokio::time::Instant::now() < deadline, "stuck at seq {last} of {total}"),
            }
        }
    }
    r.reconnects -= 1;
    r
}
