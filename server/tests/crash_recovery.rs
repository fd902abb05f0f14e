//! The real binary killed with SIGKILL in the middle of a stream of sends,
//! then started again on the same data: every acknowledged message is there,
//! once, and the channel's `seq` has no gap.

mod support;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::Api;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let addr = free_addr();
    let database_url = support::fresh_database_url(data.path()).await;
    let mut server = start(addr, data.path(), &database_url).await;
    let owner = Api::new(format!("http://{addr}"), None);
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    let general = support::channel_id(&owner, "acme", "general").await;

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
