//! The real binary killed with SIGKILL in the middle of a stream of sends,
//! then started again on the same data: every acknowledged message is there,
//! once, and the channel's `seq` has no gap.
//!
//! In a test binary of its own (not with the others in `it/`): it runs the
//! server as a child process under a stream of sends, kills and restarts
//! it, and that load is not to be shared with the timing of other tests.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use support::Api;
use support::load::{read_all, send_all};
use support::sio::SioClient;
use tokio::process::{Child, Command};

fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    probe.local_addr().expect("its address")
}

/// Starts `target/.../server` on `addr` with its data in `data`, and waits
/// until it answers.
async fn start(addr: SocketAddr, data: &Path, database_url: &str) -> Child {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("CONFAB_ADDR", addr.to_string())
        .env("CONFAB_DATA_DIR", data)
        .env("CONFAB_DATABASE_URL", database_url)
        .env("CONFAB_MESSAGES_PER_SECOND", "100000")
        .env("RUST_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("the server binary starts");
    for _ in 0..200 {
        if reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not answer within 10 s");
}

/// The real binary on a fresh database, with Olivia's organization `acme`.
struct Acme {
    data: tempfile::TempDir,
    addr: SocketAddr,
    database_url: String,
    server: Child,
    owner: Api,
    /// The id of `#general`.
    general: i64,
}

async fn acme() -> Acme {
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let database_url = support::fresh_database_url(data.path()).await;
    let server = start(addr, data.path(), &database_url).await;
    let owner = Api::new(format!("http://{addr}"), None);
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    let general = support::channel_id(&owner, "acme", "general").await;
    Acme { data, addr, database_url, server, owner, general }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_nothing_acknowledged() {
    let Acme { data, addr, database_url, mut server, owner, general } = acme().await;

    // Send in batches of 100 in flight, recording each acknowledged client id,
    // until the connection dies under us.
    let mut socket = SioClient::connect(addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let sending = tokio::spawn(async move {
        let (mut sent, mut acked) = (0usize, Vec::new());
        'run: for batch in 0.. {
            let mut ids = Vec::new();
            for n in 0..100 {
                let client_id = format!("b{batch}-{n}");
                let req = json!({"channel_id": general, "client_id": client_id, "body": "x".repeat(500)});
                let Some(id) = socket.try_send_request("send", &req).await else { break 'run };
                sent += 1;
                ids.push((id, client_id));
            }
            // Answers come in any order.
            let mut waiting: std::collections::HashMap<i64, String> = ids.into_iter().collect();
            while !waiting.is_empty() {
                let Some((id, ack)) = socket.next_ack(Duration::from_secs(2)).await else { break 'run };
                let client_id = waiting.remove(&id).expect("an ack for a request in this batch");
                assert!(ack.get("ok").is_some(), "{ack}");
                acked.push(client_id);
            }
        }
        (sent, acked)
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("killed");
    let (sent, acked) = sending.await.unwrap();
    assert!(acked.len() >= 100, "the kill came mid-stream (acknowledged {})", acked.len());

    let mut server = start(addr, data.path(), &database_url).await;
    let mut reader = SioClient::connect(addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let (mut seqs, mut stored, mut after) = (Vec::new(), Vec::new(), 0);
    loop {
        let joined = reader.request("join", &json!({"channel_id": general, "after_seq": after})).await;
        let joined = &joined["ok"];
        for m in joined["missed"].as_array().unwrap() {
            seqs.push(m["seq"].as_i64().unwrap());
            stored.push(m["client_id"].as_str().unwrap().to_owned());
        }
        after = seqs.last().copied().unwrap_or(0);
        if joined["more"] == false {
            break;
        }
    }
    eprintln!("sent {sent}, acknowledged {}, stored {} after the restart", acked.len(), stored.len());
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>(), "no gap in seq");
    let unique: HashSet<&String> = stored.iter().collect();
    assert_eq!(unique.len(), stored.len(), "no message stored twice");
    let missing: Vec<&String> = acked.iter().filter(|id| !unique.contains(id)).collect();
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert!(stored.len() <= sent, "nothing stored that was not sent");
    server.start_kill().ok();
    server.wait().await.ok();
}

/// Ten senders with eight messages in flight each and three readers, while
/// the server is killed with SIGKILL three times and started again: in the
/// end every message is acknowledged and stored once, and every reader has
/// each exactly once; nothing reached a reader out of order or twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_sigkills_under_load_lose_and_repeat_nothing() {
    const SENDERS: usize = 10;
    const EACH: usize = 300;
    const READERS: usize = 3;
    const KILLS: usize = 3;
    let Acme { data, addr, database_url, mut server, owner, general } = acme().await;
    let total = (SENDERS * EACH) as i64;

    let readers: Vec<_> =
        (0..READERS).map(|_| tokio::spawn(read_all(addr, owner.cookie_header(), general, total))).collect();
    let progress = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|i| tokio::spawn(send_all(addr, owner.cookie_header(), general, i, EACH, progress.clone())))
        .collect();
    // Killed at a quarter, half and three quarters of the way.
    for k in 1..=KILLS {
        while progress.load(Ordering::Relaxed) < k * SENDERS * EACH / (KILLS + 1) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.start_kill().expect("SIGKILL");
        server.wait().await.expect("killed");
        server = start(addr, data.path(), &database_url).await;
    }
    let (mut sends, mut acked) = (0, HashSet::new());
    for s in senders {
        let (n, ids) = s.await.unwrap();
        sends += n;
        acked.extend(ids);
    }
    let mut readings = Vec::new();
    for r in readers {
        readings.push(r.await.unwrap());
    }
    eprintln!(
        "{SENDERS} senders, {KILLS} SIGKILLs: {} messages, {sends} sends (retries included), {} acknowledged",
        SENDERS * EACH,
        acked.len()
    );
    for (i, r) in readings.iter().enumerate() {
        let lost = acked.iter().filter(|id| !r.by_seq.values().any(|c| c == *id)).count();
        eprintln!(
            "reader {i}: delivered {} live + {} resumed over {} reconnects; out of order {}, duplicated {}, lost {lost}",
            r.live, r.resumed, r.reconnects, r.out_of_order, r.duplicated
        );
        assert_eq!(r.by_seq.keys().copied().collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>(), "reader {i}");
        assert_eq!((r.out_of_order, r.duplicated, lost), (0, 0, 0), "reader {i}");
        let stored: HashSet<&String> = r.by_seq.values().collect();
        assert_eq!(stored.len() as i64, total, "reader {i}: each message stored once");
    }
    assert_eq!(acked.len(), SENDERS * EACH, "every message acknowledged in the end");
    assert!(readings.iter().all(|r| r.reconnects >= KILLS), "each kill came mid-stream");
    server.start_kill().ok();
    server.wait().await.ok();
}
