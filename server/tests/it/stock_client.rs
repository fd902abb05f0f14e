//! A stock Node `socket.io-client` (4.8, from npm) connects with a session
//! cookie, joins a channel and exchanges messages with a Rust client.
//!
//! Needs Node and `end2end/node_modules` (`make test` installs both).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const SOON: Duration = Duration::from_secs(5);

fn node_modules() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules");
    assert!(
        dir.join("socket.io-client").exists(),
        "socket.io-client is not installed: run `make test` (or `npm ci` in end2end/) first"
    );
    dir
}

fn node_client(server: &TestServer, ns: &str, cookie: &str, channel: i64, mode: &str) -> Child {
    node_client_with(server, ns, cookie, channel, mode, &[])
}

fn node_client_with(
    server: &TestServer,
    ns: &str,
    cookie: &str,
    channel: i64,
    mode: &str,
    env: &[(&str, String)],
) -> Child {
    Command::new("node")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node/stock_client.cjs"))
        .env("NODE_PATH", node_modules())
        .env("CONFAB_URL", server.url(""))
        .env("CONFAB_NS", ns)
        .env("CONFAB_COOKIE", cookie)
        .env("CONFAB_CHANNEL", channel.to_string())
        .env("CONFAB_MODE", mode)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs")
}

/// Reads the client's JSON lines until `step` appears.
async fn wait_for(lines: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>, step: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            let v: Value = serde_json::from_str(&line).unwrap_or(json!({"step": "noise", "line": line}));
            assert_ne!(v["step"], "failed", "node client failed: {v}");
            if v["step"] == step {
                return v;
            }
        }
        panic!("node client exited before {step}");
    })
    .await
    .unwrap_or_else(|_| panic!("node client: no {step} within 20 s"))
}

#[tokio::test]
async fn stock_node_client_chats_with_a_rust_client() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut rust = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    rust.request("join", &json!({"channel_id": general})).await;

    let mut node = node_client(&server, "/acme", &member.cookie_header(), general, "chat");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    wait_for(&mut lines, "connected").await;
    let joined = wait_for(&mut lines, "joined").await;
    assert_eq!(joined["ack"]["ok"]["channel_id"], general);
    let sent = wait_for(&mut lines, "sent").await;
    assert_eq!(sent["ack"]["ok"]["author"], "mark");
    assert_eq!(sent["ack"]["ok"]["seq"], 2, "after Mark joining #general");

    let (event, msg) = rust.next_event(Duration::from_secs(5)).await.expect("the Rust client hears the node client");
    assert_eq!(event, "message");
    assert_eq!(msg["body"], "hello from node");

    rust.request("send", &json!({"channel_id": general, "client_id": "r-1", "body": "hello from rust"})).await;
    let heard = wait_for(&mut lines, "message").await;
    assert_eq!(heard["msg"]["body"], "hello from rust");
    assert_eq!(heard["msg"]["author"], "olivia");
    assert!(node.wait().await.unwrap().success());
    server.stop().await;
}

#[tokio::test]
async fn stock_node_client_is_refused_without_a_session() {
    let server = TestServer::start().await;
    let (_owner, _member) = org_with_two_members(&server).await;
    let mut node = node_client(&server, "/acme", "confab_session=forged", 0, "refused");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let refused = wait_for(&mut lines, "connect_error").await;
    assert_eq!(refused["message"], "Please sign in first.");
    assert!(node.wait().await.unwrap().success());
    server.stop().await;
}

/// A stock client resumes through the public events alone: it joins with the
/// last `seq` it has, pages through what it missed, then gets the messages
/// sent meanwhile live: every one once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_node_client_resumes_in_order() {
    const AFTER: i64 = 50;
    const BEFORE: i64 = 450;
    const DURING: i64 = 30;
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut rust = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let send = async |rust: &mut SioClient, n: i64| {
        let req = json!({"channel_id": general, "client_id": format!("r{n}"), "body": format!("message {n}")});
        assert!(rust.request("send", &req).await.get("ok").is_some());
    };
    for n in 1..=BEFORE {
        send(&mut rust, n).await;
    }

    // Seq 1 is Mark joining #general; the messages follow it.
    let last = 1 + BEFORE + DURING;
    let env = [("CONFAB_AFTER", AFTER.to_string()), ("CONFAB_UNTIL", last.to_string())];
    let mut node = node_client_with(&server, "/acme", &member.cookie_header(), general, "resume", &env);
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    wait_for(&mut lines, "page").await;
    for n in BEFORE + 1..=BEFORE + DURING {
        send(&mut rust, n).await;
    }
    let resumed = wait_for(&mut lines, "resumed").await;
    let seqs: Vec<i64> = resumed["seqs"].as_array().unwrap().iter().map(|s| s.as_i64().unwrap()).collect();
    assert_eq!(seqs, (AFTER + 1..=last).collect::<Vec<_>>());
    assert!(node.wait().await.unwrap().success());
    server.stop().await;
}

#[tokio::test]
async fn a_bot_with_a_stock_client_writes_and_reads_direct_messages() {
    let server = TestServer::start().await;
    let (owner, bot) = org_with_two_members(&server).await;
    let mut person = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();

    let mut node =
        node_client_with(&server, "/acme", &bot.cookie_header(), 0, "dm", &[("CONFAB_PEER", "olivia".into())]);
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let opened = wait_for(&mut lines, "dm open").await;
    let dm_id = opened["channel"]["id"].as_i64().unwrap();
    assert_eq!(opened["channel"]["kind"], "direct");

    // The person hears of the conversation, joins it and gets the bot's message.
    let (what, added, _) = person.next_notice(SOON).await.expect("announced");
    assert_eq!((what.as_str(), added["id"].as_i64()), ("channel_added", Some(dm_id)));
    let joined = person.request("join", &json!({"channel_id": dm_id, "after_seq": 0})).await;
    let mut got: Vec<Value> = joined["ok"]["missed"].as_array().cloned().unwrap_or_default();
    if got.is_empty() {
        got.push(person.next_event(SOON).await.expect("the bot's message").1);
    }
    assert_eq!(got[0]["body"], "hello from a bot");

    // The answer reaches the bot.
    person.request("send", &json!({"channel_id": dm_id, "client_id": "p1", "body": "hello, bot"})).await;
    let reply = wait_for(&mut lines, "reply").await;
    assert_eq!(reply["msg"]["body"], "hello, bot");
    assert!(node.wait().await.unwrap().success());
    server.stop().await;
}

/// A bot with nothing but an API token: `io(url, { auth: { token } })`.
#[tokio::test]
async fn stock_node_client_connects_with_an_api_token() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let token = member.ok("create_api_token", &[("name", "node bot")]).await["token"].as_str().unwrap().to_owned();
    let mut rust = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    rust.request("join", &json!({"channel_id": general})).await;

    let mut node = node_client_with(&server, "/acme", "", general, "chat", &[("CONFAB_TOKEN", token)]);
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    wait_for(&mut lines, "connected").await;
    let sent = wait_for(&mut lines, "sent").await;
    assert_eq!(sent["ack"]["ok"]["author"], "mark", "the bot acts as the token's owner");
    let (event, msg) = rust.next_event(Duration::from_secs(5)).await.expect("the Rust client hears the bot");
    assert_eq!((event.as_str(), msg["body"].as_str()), ("message", Some("hello from node")));
    rust.request("send", &json!({"channel_id": general, "client_id": "r-1", "body": "hello bot"})).await;
    assert_eq!(wait_for(&mut lines, "message").await["msg"]["body"], "hello bot");
    assert!(node.wait().await.unwrap().success());
    server.stop().await;
}
