//! Two servers as one (a cluster: one PostgreSQL database, one Redis):
//! a socket on either hears every event of its channel, whichever server
//! stored it (sent over HTTP or a socket), once and in `seq` order; and
//! still does when the feed between the servers loses messages (a tiny
//! buffer under a flood) or Redis goes away and comes back, because each
//! server reads what it missed from the database.
//!
//! Run in `make test`'s PostgreSQL pass (they need `CONFAB_TEST_POSTGRES`);
//! each starts a throwaway `redis-server`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::redis::TestRedis;
use crate::support::sio::{SioClient, notice_parts};
use crate::support::{Api, TestServer, channel_id};

const QUIET: Duration = Duration::from_millis(1500);

/// `#general`'s first event: the member joining the organization.
const JOINED: i64 = 1;

/// Two servers on a fresh shared database and `redis`, with `configure`
/// applied to both; `None` without a PostgreSQL server to test on.
async fn two_servers(
    redis: &TestRedis,
    configure: impl Fn(&mut server::config::Config),
) -> Option<(TestServer, TestServer)> {
    std::env::var("CONFAB_TEST_POSTGRES").ok()?;
    let url = redis.url();
    let a = TestServer::start_with(|c| {
        c.redis_url = Some(url.clone());
        c.messages_per_second = 100_000;
        configure(c);
    })
    .await;
    let database = a.database_url().to_owned();
    let b = TestServer::start_with(|c| {
        c.database_url = Some(database);
        c.redis_url = Some(url);
        c.messages_per_second = 100_000;
        configure(c);
    })
    .await;
    Some((a, b))
}

/// Olivia owns `acme` (signed in on `a`), Mark joined it on `b`: the same
/// people whichever server they talk to.
async fn acme(a: &TestServer, b: &TestServer) -> (Api, Api, i64) {
    let owner = a.client();
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let member = b.client();
    member.register("mark").await;
    member.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let general = channel_id(&owner, "acme", "general").await;
    (owner, member, general)
}

/// A socket of `who` on `server`, in `#general`'s room.
async fn reader(server: &TestServer, who: &Api, general: i64) -> SioClient {
    let mut socket = SioClient::connect(server.addr, "/acme", &who.cookie_header(), None).await.expect("connects");
    let joined = socket.request("join", &json!({"channel_id": general})).await;
    assert!(joined.get("ok").is_some(), "{joined}");
    socket
}

/// The `seq`s of the `message` events a socket hears until it has been
/// quiet a while.
async fn heard(socket: &mut SioClient) -> Vec<i64> {
    let mut seqs = Vec::new();
    while let Some((name, data)) = socket.next_event(QUIET).await {
        if name == "message" {
            seqs.push(data["seq"].as_i64().expect("a seq"));
        }
    }
    seqs
}

fn sent(ack: &Value) -> i64 {
    ack["ok"]["seq"].as_i64().unwrap_or_else(|| panic!("stored: {ack}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_delivers_what_any_server_stored() {
    let redis = TestRedis::start().await;
    // No checks against the database while this runs: what is delivered
    // in time comes over the feed.
    let Some((a, b)) = two_servers(&redis, |c| c.cluster_sweep_ms = 600_000).await else { return };
    let (owner, member, general) = acme(&a, &b).await;
    let (mut on_a, mut on_b) = (reader(&a, &owner, general).await, reader(&b, &member, general).await);
    let mut owner_socket = SioClient::connect(a.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut member_socket = SioClient::connect(b.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let member_on_b = member.at(b.url(""));

    let mut seqs = Vec::new();
    for n in 0..40 {
        let (client_id, body) = (format!("m{n}"), format!("message {n}"));
        let send = json!({"channel_id": general, "client_id": client_id, "body": body});
        let form = [("slug", "acme"), ("channel", "general"), ("client_id", &client_id), ("body", &body)];
        seqs.push(match n % 4 {
            0 => owner.ok("send_message", &form).await["seq"].as_i64().unwrap(),
            1 => sent(&member_socket.request("send", &send).await),
            2 => sent(&owner_socket.request("send", &send).await),
            _ => member_on_b.ok("send_message", &form).await["seq"].as_i64().unwrap(),
        });
    }
    assert_eq!(seqs, (JOINED + 1..=JOINED + 40).collect::<Vec<_>>(), "one sequence, whichever server stored them");
    for (server, socket) in [("a", &mut on_a), ("b", &mut on_b)] {
        assert_eq!(heard(socket).await, seqs, "the reader on {server}: every message, once, in order");
    }
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_feed_overflows_reads_what_it_missed_from_the_database() {
    let redis = TestRedis::start().await;
    // Room for one message from the other server at a time.
    let Some((a, b)) = two_servers(&redis, |c| c.cluster_buffer = 1).await else { return };
    let (owner, member, general) = acme(&a, &b).await;
    let mut on_b = reader(&b, &member, general).await;
    // Five sockets on `a`, each with many sends in flight: bursts on the feed.
    let mut senders = Vec::new();
    for _ in 0..5 {
        senders.push(SioClient::connect(a.addr, "/acme", &owner.cookie_header(), None).await.unwrap());
    }
    for (i, sender) in senders.iter_mut().enumerate() {
        for n in 0..60 {
            let send = json!({"channel_id": general, "client_id": format!("s{i}-{n}"), "body": "flood"});
            sender.send_request("send", &send).await;
        }
    }
    for sender in &mut senders {
        for _ in 0..60 {
            let (_, ack) = sender.next_ack(Duration::from_secs(10)).await.expect("every send is answered");
            sent(&ack);
        }
    }
    assert_eq!(heard(&mut on_b).await, (JOINED + 1..=JOINED + 300).collect::<Vec<_>>(), "no gap, no copy");
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_redis_is_away_sends_are_stored_and_every_server_catches_up() {
    let mut redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |_| {}).await else { return };
    let (owner, member, general) = acme(&a, &b).await;
    let mut on_b = reader(&b, &member, general).await;
    let send = |n: usize| {
        let owner = &owner;
        async move {
            let (client_id, body) = (format!("m{n}"), format!("message {n}"));
            let form = [("slug", "acme"), ("channel", "general"), ("client_id", &client_id), ("body", &body)];
            owner.ok("send_message", &form).await["seq"].as_i64().unwrap()
        }
    };
    let mut seqs = Vec::new();
    for n in 0..10 {
        seqs.push(send(n).await);
    }
    redis.kill().await;
    for n in 10..20 {
        seqs.push(send(n).await);
    }
    // Still away: the server on `b` reads them from the database.
    let mut got = heard(&mut on_b).await;
    redis.start_again().await;
    for n in 20..30 {
        seqs.push(send(n).await);
    }
    got.extend(heard(&mut on_b).await);
    assert_eq!(seqs, (JOINED + 1..=JOINED + 30).collect::<Vec<_>>());
    assert_eq!(got, seqs, "every message once, in order, across Redis going and coming back");
    b.stop().await;
    a.stop().await;
}

/// The next event named `name` a socket hears within two seconds.
async fn hears(socket: &mut SioClient, name: &str) -> Option<Value> {
    let until = tokio::time::Instant::now() + Duration::from_secs(2);
    while let Some((event, data)) = socket.next_event(until - tokio::time::Instant::now()).await {
        if event == name {
            return Some(data);
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_reads_new_channels_sign_outs_and_removals_reach_every_server() {
    let redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |_| {}).await else { return };
    let (owner, member, general) = acme(&a, &b).await;
    let mut owner_on_b = reader(&b, &owner, general).await;
    let (mut member_on_a, mut member_on_b) = (reader(&a, &member, general).await, reader(&b, &member, general).await);

    // Someone typing on one server is seen on the other.
    member_on_a.emit("typing", &json!({"channel_id": general})).await;
    let typing = hears(&mut owner_on_b, "typing").await.expect("typing crosses to the other server");
    assert_eq!(typing["username"], "mark");

    // Read on one device: the person's device on the other server hears it.
    owner.ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "o1"), ("body", "hi")]).await;
    let read = member_on_a.request("read", &json!({"channel_id": general, "seq": JOINED + 1})).await;
    assert!(read.get("ok").is_some(), "{read}");
    let notice = hears(&mut member_on_b, "notice").await.expect("the other device hears the read");
    let (what, cursor, _) = notice_parts(&notice);
    assert_eq!(what, "read");
    assert_eq!((cursor["channel_id"].as_i64(), cursor["last_read_seq"].as_i64()), (Some(general), Some(JOINED + 1)));
    // #general is small enough for read receipts: its room hears the read
    // on the other server too.
    let receipt = hears(&mut owner_on_b, "read_by").await.expect("the receipt crosses to the other server");
    assert_eq!((receipt["channel_id"].as_i64(), receipt["last_read_seq"].as_i64()), (Some(general), Some(JOINED + 1)));

    // A new channel made through one server appears on the other.
    owner.ok("create_channel", &[("slug", "acme"), ("name", "design"), ("kind", "public")]).await;
    let notice = hears(&mut member_on_b, "notice").await.expect("the other server announces it");
    let (what, added, _) = notice_parts(&notice);
    assert_eq!(what, "channel_added");
    assert_eq!(added["name"], "design");

    // Signing out on one server closes the session's sockets on both.
    member.ok("logout", &[]).await;
    assert!(member_on_b.closed_within(Duration::from_secs(1)).await, "closed on the other server within a second");
    assert!(member_on_a.closed_within(Duration::from_secs(1)).await);

    // A removed member's sockets close on every server at once.
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let tess = a.client();
    tess.register("tess").await;
    tess.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let (mut tess_on_a, mut tess_on_b) = (reader(&a, &tess, general).await, reader(&b, &tess, general).await);
    owner.at(b.url("")).ok("remove_member", &[("slug", "acme"), ("username", "tess")]).await;
    assert!(tess_on_a.closed_within(Duration::from_secs(1)).await, "closed on the server that did not remove her");
    assert!(tess_on_b.closed_within(Duration::from_secs(1)).await);
    b.stop().await;
    a.stop().await;
}

/// Reads `presence` batches until one says where `user_id` stands; that.
async fn presence_of(socket: &mut SioClient, user_id: i64, wait: Duration) -> Option<bool> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (event, batch) = socket.next_event(left).await?;
        if event != "presence" {
            continue;
        }
        let changes = batch["changes"].as_array().expect("a batch of changes");
        if let Some(change) = changes.iter().find(|c| c["user_id"] == user_id) {
            return change["online"].as_bool();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_counts_every_server_and_forgets_one_that_stopped() {
    let redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |c| c.presence_grace_ms = 300).await else { return };
    let (owner, member, _) = acme(&a, &b).await;
    let member_id = member.ok("me", &[]).await["id"].as_i64().unwrap();
    let mut watching = SioClient::connect(b.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    watching.hear_presence();

    // Online through the other server, and offline once its grace is over.
    let on_a = SioClient::connect(a.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert_eq!(presence_of(&mut watching, member_id, Duration::from_secs(3)).await, Some(true));
    drop(on_a);
    assert_eq!(presence_of(&mut watching, member_id, Duration::from_secs(3)).await, Some(false));

    // Someone who connects later hears who is online on the other server.
    let _again = SioClient::connect(a.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert_eq!(presence_of(&mut watching, member_id, Duration::from_secs(3)).await, Some(true));
    let mut late = SioClient::connect(b.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    late.hear_presence();
    let (event, list) = late.next_event(Duration::from_secs(3)).await.expect("the online list");
    assert_eq!(event, "online");
    assert!(list["user_ids"].as_array().unwrap().contains(&json!(member_id)), "{list}");

    // A server that stops without a word: its people go offline when it
    // has been silent a while.
    a.stop().await;
    assert_eq!(presence_of(&mut watching, member_id, Duration::from_secs(12)).await, Some(false));
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_message_rate_counts_every_server() {
    let redis = TestRedis::start().await;
    // 5 a second, 10 in a burst: on each server, and on all of them together.
    let Some((a, b)) = two_servers(&redis, |c| c.messages_per_second = 5).await else { return };
    let (owner, _, _) = acme(&a, &b).await;
    let through = [owner.at(a.url("")), owner.at(b.url(""))];
    let started = std::time::Instant::now();
    let (mut stored, mut refused) = (0, 0);
    // Eight through each: within either server's own burst.
    for n in 0..16 {
        let client_id = format!("r{n}");
        let form = [("slug", "acme"), ("channel", "general"), ("client_id", client_id.as_str()), ("body", "hi")];
        match through[n % 2].call("send_message", &form).await {
            Ok(_) => stored += 1,
            Err(e) if e.code == "rate_limited" && e.status == 429 => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    let allowed = 10 + (started.elapsed().as_secs_f64() * 5.0).ceil() as usize;
    assert!(
        refused > 0 && stored <= allowed,
        "stored {stored}, refused {refused}: the burst is counted across servers"
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_through_several_servers_is_slowed_as_through_one() {
    let redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |_| {}).await else { return };
    let ann = a.client();
    ann.register("ann").await;
    // Twelve guesses from one address, every other one through each server:
    // six each, none of which either server alone would hold up (waits
    // begin after five failures of a pair).
    let guesser = a.client_from(std::net::IpAddr::from([127, 0, 0, 2]));
    let through = [guesser.at(a.url("")), guesser.at(b.url(""))];
    let mut refused = 0;
    for i in 0..12 {
        let guess = format!("guess number {i}");
        match through[i % 2].call("login", &[("username", "ann"), ("password", guess.as_str())]).await {
            Err(e) if e.code == "rate_limited" && e.status == 429 => refused += 1,
            Err(e) => assert_eq!(e.code, "bad_credentials", "{e:?}"),
            Ok(v) => panic!("a wrong password signed in: {v}"),
        }
    }
    assert!(refused >= 3, "only {refused} of 12 guesses were held up: the servers counted alone");
    // The right password, too early, through either, gains nothing.
    for server in &through {
        let e = server.call("login", &[("username", "ann"), ("password", crate::support::PASSWORD)]).await.unwrap_err();
        assert_eq!(e.code, "rate_limited");
    }
    // Ann, from where she registered, signs in through the other server.
    ann.at(b.url("")).ok("login", &[("username", "ann"), ("password", crate::support::PASSWORD)]).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_sockets_count_on_every_server() {
    let mut redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |c| c.max_sockets_per_user = 4).await else { return };
    let (owner, member, _) = acme(&a, &b).await;
    let connect = |server: &TestServer, who: &Api| {
        let (addr, cookie) = (server.addr, who.cookie_header());
        async move { SioClient::connect(addr, "/acme", &cookie, None).await }
    };
    // Three on a, one on b: four, the cap; a fifth on either is refused.
    let mut on_a = Vec::new();
    for _ in 0..3 {
        on_a.push(connect(&a, &owner).await.unwrap());
    }
    let on_b = connect(&b, &owner).await.unwrap();
    for server in [&b, &a] {
        let err = connect(server, &owner).await.err().expect("a fifth is refused");
        assert!(err.contains("too many live connections"), "{err}");
    }
    // Someone else is not affected; closing one on a makes room on b.
    connect(&b, &member).await.unwrap();
    drop(on_a.pop());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let fourth = loop {
        match connect(&b, &owner).await {
            Ok(socket) => break socket,
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.contains("too many"), "{e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no room on b after closing a socket on a: {e}"),
        }
    };
    // Redis restarted (its counts lost): each server writes its counts
    // again within a renewal (2 s), and the cap holds again.
    redis.kill().await;
    redis.start_again().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match connect(&b, &owner).await {
            Err(e) => {
                assert!(e.contains("too many"), "{e}");
                break;
            }
            Ok(extra) if std::time::Instant::now() < deadline => {
                // Admitted before a's counts were back: let it go.
                drop(extra);
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Ok(_) => panic!("the cap never held again after Redis restarted"),
        }
    }
    drop((on_a, on_b, fourth));
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_persons_notices_reach_every_device_once_and_in_order_across_redis_going_away() {
    let mut redis = TestRedis::start().await;
    let Some((a, b)) = two_servers(&redis, |_| {}).await else { return };
    let (owner, member, general) = acme(&a, &b).await;
    for n in 0..10 {
        let form = [("slug", "acme"), ("channel", "general"), ("client_id", &*format!("m{n}")), ("body", "news")];
        owner.ok("send_message", &form).await;
    }
    let mut laptop = SioClient::connect(a.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut phone = SioClient::connect(b.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut read = async |seq: i64| {
        let ack = laptop.request("read", &json!({"channel_id": general, "seq": seq})).await;
        assert_eq!(ack["ok"]["last_read_seq"], seq, "{ack}");
    };
    read(JOINED + 1).await;
    redis.kill().await;
    // Word of these never reaches the phone's server over the feed.
    for seq in JOINED + 2..=JOINED + 5 {
        read(seq).await;
    }
    redis.start_again().await;
    for seq in JOINED + 6..=JOINED + 7 {
        read(seq).await;
    }
    let mut heard = Vec::new();
    let until = tokio::time::Instant::now() + Duration::from_secs(10);
    while heard.len() < 7 {
        let Some((name, data)) = phone.next_event(until - tokio::time::Instant::now()).await else { break };
        if name == "notice" {
            let (what, cursor, seq) = notice_parts(&data);
            assert_eq!(what, "read");
            heard.push((seq, cursor["last_read_seq"].as_i64().unwrap()));
        }
    }
    assert_eq!(phone.next_event(QUIET).await.map(|e| e.0), None, "and nothing twice");
    let expected: Vec<(i64, i64)> = (1..=7).map(|seq| (seq, JOINED + seq)).collect();
    assert_eq!(heard, expected, "every read once, in order, on the other server too");
    b.stop().await;
    a.stop().await;
}
