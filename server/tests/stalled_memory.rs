//! Memory with a socket that stopped reading while 3,000 messages of 3.5
//! kilobytes pour into its channel, in a test binary of its own so that the
//! process's resident memory is this server's (and its test clients'). The
//! stalled socket costs at most its queue before it is cut off, and a socket
//! that keeps reading gets every message, in order, meanwhile.
//!
//! The flood must end well within Engine.IO's heartbeat (a ping every 25 s,
//! answered within 20 s): a socket that reads nothing for longer is closed
//! by its heartbeat, its notice with it. Larger messages fill the network
//! buffers (a few MiB on loopback) with fewer of them, so the flood is short
//! even on PostgreSQL in a debug build on a loaded machine (20,000 small
//! ones took 35 s there, and the heartbeat closed the socket first).

mod support;

use std::time::Duration;

use serde_json::json;
use support::sio::SioClient;
use support::{TestServer, channel_id, org_with_two_members, rss_mib};

const FLOOD: i64 = 3_000;
const SENDERS: i64 = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_socket_costs_bounded_memory_during_a_flood() {
    let server = TestServer::start_with(|c| {
        c.messages_per_second = 1_000_000;
        // The stalled socket reads nothing until the flood is over (15 to
        // 30 s on this machine): its connection is kept that long, both the
        // writes that make no progress and the notice waiting for it. Closing
        // a connection that stays stalled has its own test (ordered_delivery.rs).
        c.write_timeout_secs = 120;
        c.cut_off_linger_ms = 120_000;
    })
    .await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let join = json!({"channel_id": general});
    let mut stalled = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(stalled.request("join", &join).await.get("ok").is_some());
    let mut reader = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(reader.request("join", &join).await.get("ok").is_some());
    let base = rss_mib();

    // The healthy reader reads along the whole time.
    let reading = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while let Some((name, m)) = reader.next_event(Duration::from_secs(5)).await {
            assert_eq!(name, "message");
            seqs.push(m["seq"].as_i64().unwrap());
            if seqs.len() as i64 == FLOOD {
                break;
            }
        }
        seqs
    });
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
        senders.push(tokio::spawn(async move {
            for n in 0..FLOOD / SENDERS {
                let body = format!("{n:>3500}");
                let req = json!({"channel_id": general, "client_id": format!("s{i}-{n}"), "body": body});
                assert!(s.request("send", &req).await.get("ok").is_some());
            }
        }));
    }
    let mut peak = base;
    while senders.iter().any(|s| !s.is_finished()) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(rss_mib());
    }
    for s in senders {
        s.await.unwrap();
    }
    let seqs = reading.await.unwrap();
    let after = rss_mib();
    println!(
        "flood of {FLOOD} messages with one stalled socket: RSS base {base:.1} MiB, peak {peak:.1} MiB, after {after:.1} MiB"
    );

    // Seq 1 is Mark joining #general.
    assert_eq!(seqs, (2..=FLOOD + 1).collect::<Vec<_>>(), "the reading socket got every message, in order");
    // The stalled one was cut off with a gapless prefix, not kept with a hole.
    let mut got = Vec::new();
    let mut told = false;
    // Read now, as a client that was busy would: ten thousand messages wait
    // in the network buffers, the rest (the notice last) follow as they drain,
    // which on a loaded machine can pause for more than a moment.
    while let Some((name, m)) = stalled.next_event(Duration::from_secs(3)).await {
        match name.as_str() {
            "message" => got.push(m["seq"].as_i64().unwrap()),
            "fell_behind" => told = true,
            other => panic!("unexpected {other}"),
        }
    }
    println!("the stalled socket got {} messages (a gapless prefix), then fell_behind", got.len());
    assert!(told, "the stalled socket was told it fell behind");
    assert_eq!(got, (2..=got.len() as i64 + 1).collect::<Vec<_>>());
    assert!((got.len() as i64) < FLOOD);
    // A generous bound: a stalled socket holds at most its queue (256
    // packets, ~0.9 MiB here) until it is cut off.
    assert!(peak - base < 64.0, "peak {peak:.1} MiB against base {base:.1} MiB");
    server.stop().await;
}
