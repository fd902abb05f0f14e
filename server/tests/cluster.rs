//! Many servers as one, with real processes: three Confab servers on one
//! PostgreSQL database and one Redis, behind HAProxy. Ten senders (six over
//! sockets, four over HTTP, all through the load balancer, spread over the
//! servers by it) and readers (three of Confab's Rust clients and a stock
//! Node socket.io-client with its default transports), while two servers
//! are killed with SIGKILL and started again and Redis is restarted: in the
//! end every message is acknowledged, stored once with no gap in `seq`, and
//! every reader has each exactly once, none out of order.
//!
//! In a test binary of its own: it runs processes it kills, and needs
//! `CONFAB_TEST_POSTGRES` (`make test`'s PostgreSQL pass).

mod support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::Value;
use support::Api;
use support::cluster::TestCluster;
use support::load::{read_all, send_all};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

const SENDERS: usize = 10;
const OVER_HTTP: usize = 4;
const EACH: usize = 150;
const READERS: usize = 3;

/// Sends `each` messages over HTTP through `base` until each is
/// acknowledged: one that fails (its server died, the database was busy)
/// is sent again with the same client id.
async fn send_all_http(
    base: String,
    cookie: String,
    i: usize,
    each: usize,
    progress: Arc<AtomicUsize>,
) -> (usize, Vec<String>) {
    let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let (mut sends, mut acked) = (0, Vec::new());
    for n in 0..each {
        let client_id = format!("h{i}-{n}");
        loop {
            sends += 1;
            let form =
                [("slug", "acme"), ("channel", "general"), ("client_id", client_id.as_str()), ("body", "over http")];
            let sent = http
                .post(format!("{base}/api/send_message"))
                .header("Accept", "application/json")
                .header("Cookie", &cookie)
                .form(&form)
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    assert!(status == 503 || status == 502, "only an unavailable server may refuse: {status} {body}");
                }
                Err(_) => {}
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        acked.push(client_id);
        progress.fetch_add(1, Ordering::Relaxed);
    }
    (sends, acked)
}

fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_lose_and_repeat_nothing_through_kills_and_a_redis_restart() {
    let Some(mut cluster) = TestCluster::start(3).await else {
        eprintln!("skipped: the cluster test runs on PostgreSQL (make test's second pass)");
        return;
    };
    let owner = Api::new(cluster.url(), None);
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    let general = support::channel_id(&owner, "acme", "general").await;
    let token = owner.ok("create_api_token", &[("name", "reader")]).await["token"].as_str().unwrap().to_owned();
    let total = (SENDERS * EACH) as i64;
    let lb = cluster.lb;

    let mut node_reader = Command::new("node")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/cluster_reader.cjs"))
        .env("NODE_PATH", node_modules())
        .env("CONFAB_URL", cluster.url())
        .env("CONFAB_NS", "/acme")
        .env("CONFAB_TOKEN", &token)
        .env("CONFAB_CHANNEL", general.to_string())
        .env("CONFAB_UNTIL", total.to_string())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (make test installs it)");
    let node_out = node_reader.stdout.take().unwrap();
    let node_done = tokio::spawn(async move {
        let mut lines = BufReader::new(node_out).lines();
        let mut last = None;
        while let Ok(Some(line)) = lines.next_line().await {
            last = Some(line);
        }
        last
    });

    let readers: Vec<_> =
        (0..READERS).map(|_| tokio::spawn(read_all(lb, owner.cookie_header(), general, total))).collect();
    let progress = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|i| {
            let (cookie, progress) = (owner.cookie_header(), progress.clone());
            if i < OVER_HTTP {
                tokio::spawn(send_all_http(cluster.url(), cookie, i, EACH, progress))
            } else {
                tokio::spawn(send_all(lb, cookie, general, i, EACH, progress))
            }
        })
        .collect();
    let at = |part: usize| part * SENDERS * EACH / 4;
    let wait_for = |n: usize| {
        let progress = progress.clone();
        async move {
            while progress.load(Ordering::Relaxed) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    // A quarter of the way: a server dies; half-way: Redis restarts;
    // three quarters: another server dies. Each dead one comes back.
    wait_for(at(1)).await;
    cluster.kill_node(0).await;
    cluster.start_node(0).await;
    wait_for(at(2)).await;
    // Down for a second and a half while the sends go on.
    cluster.redis.kill().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.redis.start_again().await;
    wait_for(at(3)).await;
    cluster.kill_node(1).await;
    cluster.start_node(1).await;

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
    let node_line =
        tokio::time::timeout(Duration::from_secs(60), node_done).await.expect("the Node reader ends").unwrap();
    let node: Value = serde_json::from_str(&node_line.expect("the Node reader's report")).unwrap();
    assert_eq!(node["step"], "done", "{node}");

    eprintln!(
        "3 servers, 2 SIGKILLs, 1 Redis restart: {} messages, {sends} sends (retries included), {} acknowledged; {} publishes to the feed failed, {} gaps read from the database",
        SENDERS * EACH,
        acked.len(),
        cluster.count_in_logs("publishing to the cluster's feed failed"),
        cluster.count_in_logs("gap read from the database"),
    );
    assert_eq!(acked.len(), SENDERS * EACH, "every message acknowledged in the end");
    for (i, r) in readings.iter().enumerate() {
        let lost = acked.iter().filter(|id| !r.by_seq.values().any(|c| c == *id)).count();
        eprintln!(
            "Rust reader {i}: delivered {} live + {} resumed over {} reconnects ({} cut off for falling behind); out of order {}, duplicated {}, lost {lost}",
            r.live, r.resumed, r.reconnects, r.fell_behind, r.out_of_order, r.duplicated
        );
        assert_eq!(r.by_seq.keys().copied().collect::<Vec<_>>(), (1..=total).collect::<Vec<_>>(), "reader {i}");
        assert_eq!((r.out_of_order, r.duplicated, lost), (0, 0, 0), "reader {i}");
        let stored: HashSet<&String> = r.by_seq.values().collect();
        assert_eq!(stored.len() as i64, total, "reader {i}: each message stored once");
    }
    let received: Vec<(i64, String)> = serde_json::from_value(node["received"].clone()).unwrap();
    let seqs: Vec<i64> = received.iter().map(|(seq, _)| *seq).collect();
    let ids: HashSet<&String> = received.iter().map(|(_, id)| id).collect();
    eprintln!(
        "Node reader: {} received over {} connections ({} cut off for falling behind), ended on {}",
        received.len(),
        node["connects"],
        node["fell_behind"],
        node["transport"]
    );
    assert_eq!(seqs, (1..=total).collect::<Vec<_>>(), "the Node reader: each once, in order");
    assert!(acked.iter().all(|id| ids.contains(id)), "the Node reader has every acknowledged message");
}
