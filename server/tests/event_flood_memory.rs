//! A member flooding any client event (security suite, second round, point
//! 5), in a test binary of its own so that the process's resident memory is
//! this server's (and its test clients') alone. Five sockets fire 10,000
//! events of one kind each without waiting for answers: each event costs at
//! most a refusal (`rate_limited`), the sockets that keep going are closed,
//! the server keeps answering others meanwhile, and its memory returns near
//! its base afterwards. Prints the figures for each kind.

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::sio::SioClient;
use support::{TestServer, channel_id, org_with_two_members, rss_mib};

const SOCKETS: usize = 5;
const EVENTS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_any_event_costs_little_and_closes_the_flooder() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    // Each event's payload, from its number and the channel's id.
    type Payload = fn(usize, i64) -> Value;
    let kinds: Vec<(&str, Payload)> = vec![
        ("join", |_, channel| json!({"channel_id": channel})),
        ("leave", |_, channel| json!({"channel_id": channel})),
        ("send", |i, channel| json!({"channel_id": channel, "client_id": format!("f{i}"), "body": "flood"})),
        ("read", |_, channel| json!({"channel_id": channel, "seq": 1})),
        ("typing", |_, channel| json!({"channel_id": channel})),
        ("open_direct", |_, _| json!({"usernames": ["olivia"]})),
        ("no_such_event", |_, _| json!({})),
    ];
    // The server has served a little of everything before its base is read.
    let mut warm = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    for (name, data) in &kinds {
        let _ = warm.try_send_request(name, &data(0, general)).await;
    }
    drop(warm);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut report = Vec::new();
    for (name, data) in &kinds {
        let base = rss_mib();
        let mut sockets = Vec::new();
        for _ in 0..SOCKETS {
            sockets.push(SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap());
        }
        let started = Instant::now();
        let flooders: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(s, mut socket)| {
                let (name, data) = (name.to_string(), *data);
                tokio::spawn(async move {
                    let mut sent = 0;
                    for i in 0..EVENTS {
                        if socket.try_send_request(&name, &data(s * EVENTS + i, general)).await.is_none() {
                            break;
                        }
                        sent += 1;
                    }
                    // Told, then closed for going on past the limits.
                    let closed = socket.closed_within(Duration::from_secs(15)).await;
                    (sent, closed)
                })
            })
            .collect();
        // Meanwhile the server answers someone else.
        let mut peak = base;
        let mut slowest_health = Duration::ZERO;
        while flooders.iter().any(|f| !f.is_finished()) {
            let asked = Instant::now();
            let health = reqwest::get(server.url("/healthz")).await.map(|r| r.status().as_u16());
            slowest_health = slowest_health.max(asked.elapsed());
            assert_eq!(health.ok(), Some(200), "/healthz during the {name} flood");
            peak = peak.max(rss_mib());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut sent = 0;
        for flooder in flooders {
            let (n, closed) = flooder.await.unwrap();
            sent += n;
            assert!(closed, "a socket flooding {name} was not closed");
        }
        let took = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = rss_mib();
        let line = format!(
            "{name:>13}: {sent:>5} sent in {took:.1?}; RSS base {base:.1} MiB, peak {peak:.1}, after {after:.1}; slowest /healthz {slowest_health:.0?}"
        );
        println!("{line}");
        assert!(peak < base + 64.0, "{line}");
        assert!(after < base + 24.0, "{line}");
        report.push(line);
    }
    // Someone who did not flood is still served as usual.
    let answer = owner.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    assert!(answer["messages"].is_array());
    println!("event flood:\n{}", report.join("\n"));
    server.stop().await;
}
