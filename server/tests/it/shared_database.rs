//! Several servers on one PostgreSQL database (the cluster's store): people
//! sending through either server, to several channels at once, get each
//! channel's messages one gapless `seq` sequence, each acknowledged message
//! stored once with the `seq` it was acknowledged with, no send refused, and
//! no two servers' batches deadlocked on each other's channels.
//! (On SQLite one process serves a database: `single_process.rs`.)

use std::collections::{BTreeMap, HashMap};

use futures::future::join_all;
use sqlx::Row;

use crate::support::TestServer;

const SENDERS: usize = 24;
const EACH: usize = 48;
const CHANNELS: [&str; 4] = ["general", "design", "ops", "sales"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writers_on_two_servers_share_each_channels_seq() {
    if std::env::var("CONFAB_TEST_POSTGRES").is_err() {
        return;
    }
    let fast = |c: &mut server::config::Config| c.messages_per_second = 100_000;
    let a = TestServer::start_with(fast).await;
    let url = a.database_url().to_owned();
    let b = TestServer::start_with(move |c| {
        fast(c);
        c.database_url = Some(url);
    })
    .await;
    let nodes = [a.url(""), b.url("")];

    let owner = a.client();
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    for name in &CHANNELS[1..] {
        owner.ok("create_channel", &[("slug", "acme"), ("name", name), ("kind", "public")]).await;
    }
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let mut senders = Vec::new();
    for i in 0..SENDERS {
        // Each person signs in on one server and sends through both.
        let person = a.client().at(nodes[i % 2].clone());
        person.register(&format!("sender{i}")).await;
        person.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
        for name in &CHANNELS[1..] {
            person.ok("join_channel", &[("slug", "acme"), ("channel", name)]).await;
        }
        senders.push(person);
    }

    let sent = join_all(senders.iter().enumerate().map(|(i, person)| {
        let nodes = &nodes;
        async move {
            let mut acked = Vec::new();
            // A burst to every channel at once, through one server, in an
            // order of the sender's own: two servers' batches then often
            // hold the same channels, first seen in opposite orders.
            for k in 0..EACH / CHANNELS.len() {
                let here = person.at(nodes[(i + k) % 2].clone());
                let burst = (0..CHANNELS.len()).map(|c| {
                    let channel = CHANNELS[(c * if i % 2 == 0 { 1 } else { 3 } + i) % CHANNELS.len()];
                    let client_id = format!("s{i}-{k}-{c}");
                    let here = &here;
                    async move {
                        let form = [("slug", "acme"), ("channel", channel), ("client_id", &client_id), ("body", "hi")];
                        let stored = here.ok("send_message", &form).await;
                        (channel, client_id.clone(), stored["seq"].as_i64().expect("a seq"))
                    }
                });
                acked.extend(join_all(burst).await);
            }
            acked
        }
    }))
    .await;

    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(a.database_url()).await.expect("the shared database");
    let rows = sqlx::query(
        "SELECT c.name, c.last_seq, m.seq, m.client_id FROM messages m JOIN channels c ON c.id = m.channel_id \
         ORDER BY c.name, m.seq",
    )
    .fetch_all(&db)
    .await
    .expect("read back");
    let mut stored: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut by_client: HashMap<(String, String), Vec<i64>> = HashMap::new();
    for row in rows {
        let (name, last_seq, seq, client_id): (String, i64, i64, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        stored.entry(name.clone()).or_default().push(seq);
        last.insert(name.clone(), last_seq);
        by_client.entry((name, client_id)).or_default().push(seq);
    }
    for (name, seqs) in &stored {
        assert_eq!(seqs, &(1..=last[name]).collect::<Vec<_>>(), "#{name}: one gapless sequence up to last_seq");
    }
    let acked: Vec<_> = sent.into_iter().flatten().collect();
    assert_eq!(acked.len(), SENDERS * (EACH / CHANNELS.len() * CHANNELS.len()));
    for (channel, client_id, seq) in acked {
        assert_eq!(by_client[&(channel.to_owned(), client_id.clone())], vec![seq], "{client_id} in #{channel}");
    }
    // Counted when the servers' connections end.
    let url = a.database_url().to_owned();
    b.stop().await;
    a.stop().await;
    db.close().await;
    let db = sqlx::AnyPool::connect(&url).await.expect("the shared database");
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let deadlocks: i64 =
        sqlx::query("SELECT CAST(deadlocks AS BIGINT) FROM pg_stat_database WHERE datname = current_database()")
            .fetch_one(&db)
            .await
            .expect("the database's statistics")
            .get(0);
    assert_eq!(deadlocks, 0, "batches of the same channels on two servers wait for each other, never deadlock");
    db.close().await;
}
