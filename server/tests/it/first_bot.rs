//! A bot author's first hour: what a bot written from `docs/API.md` alone
//! meets. A malformed request is answered 400 `invalid` (not a server
//! fault), an event the server does not know is answered (not left to time
//! out), and the example bot in `docs/examples/bot.cjs` runs against a real
//! server: it answers, and resumes after a restart without missing or
//! repeating anything.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[tokio::test]
async fn a_missing_or_malformed_field_is_answered_400_invalid() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    for (name, form) in [
        ("history", vec![("channel", "general")]),
        ("mark_read", vec![("slug", "acme"), ("channel", "general"), ("seq", "abc")]),
        ("open_direct", vec![("slug", "acme")]),
        ("create_channel", vec![("name", "design")]),
    ] {
        let e = owner.err(name, &form).await;
        assert_eq!((e.status, e.code.as_str()), (400, "invalid"), "{name}: {}", e.message);
        assert!(e.message.ends_with('.'), "a sentence: {}", e.message);
    }
    // A fault of the server's is still 500.
    assert_eq!(owner.ok("me", &[]).await["username"], "olivia");
    server.stop().await;
}

#[tokio::test]
async fn an_event_the_server_does_not_know_is_answered() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let mut socket = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let answer = socket.request("subscribe", &json!({"channel": "general"})).await;
    assert_eq!(answer["error"]["code"], "invalid", "{answer}");
    assert!(answer["error"]["message"].as_str().unwrap().contains("\"subscribe\""), "{answer}");
    // The connection goes on.
    let general = channel_id(&owner, "acme", "general").await;
    assert!(socket.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    server.stop().await;
}

fn node_modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/node_modules")
}

/// The example bot, run as its comment says, and the lines it prints.
struct Bot {
    _process: Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Bot {
    fn start(server: &TestServer, token: &str, state: &std::path::Path) -> Bot {
        let mut process = Command::new("node")
            .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/examples/bot.cjs"))
            .env("NODE_PATH", node_modules())
            .env("CONFAB_URL", server.url(""))
            .env("CONFAB_TOKEN", token)
            .env("CONFAB_ORG", "acme")
            .env("CONFAB_CHANNEL", "general")
            .env("CONFAB_STATE", state)
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let lines = BufReader::new(process.stdout.take().expect("piped")).lines();
        Bot { _process: process, lines }
    }

    /// Reads the bot's lines until one says `step`.
    async fn until(&mut self, step: &str) -> Value {
        let lines = &mut self.lines;
        tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.expect("read the bot's output") {
                let v: Value = serde_json::from_str(&line).unwrap_or(json!({"step": "noise", "line": line}));
                assert_ne!(v["step"], "failed", "the bot failed: {v}");
                if v["step"] == step {
                    return v;
                }
            }
            panic!("the bot ended before {step}");
        })
        .await
        .unwrap_or_else(|_| panic!("the bot did not reach {step} in 20 s"))
    }
}

async fn pongs(owner: &crate::support::Api) -> Vec<i64> {
    let page = owner.ok("history", &[("slug", "acme"), ("channel", "general"), ("limit", "200")]).await;
    let messages = page["messages"].as_array().unwrap();
    messages.iter().filter(|m| m["body"] == "pong").map(|m| m["seq"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn the_example_bot_answers_and_resumes_after_a_restart() {
    assert!(node_modules().join("socket.io-client").exists(), "run `make test` (or `npm ci` in end2end/) first");
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let bot_account = server.client();
    bot_account.register("pingbot").await;
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    bot_account.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let token = bot_account.ok("create_api_token", &[("name", "pingbot")]).await["token"].as_str().unwrap().to_owned();
    let state = tempfile::tempdir().unwrap();
    let state = state.path().join("bot-state.json");
    let ping = |id: &'static str| {
        let owner = &owner;
        async move {
            owner
                .ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", id), ("body", "ping")])
                .await
        }
    };

    let mut bot = Bot::start(&server, &token, &state);
    bot.until("ready").await;
    ping("p1").await;
    bot.until("answered").await;
    assert_eq!(pongs(&owner).await.len(), 1);

    // Down for a while: a ping meanwhile is answered once it is back.
    drop(bot);
    ping("p2").await;
    let mut bot = Bot::start(&server, &token, &state);
    bot.until("answered").await;
    bot.until("ready").await;
    ping("p3").await;
    bot.until("answered").await;
    let answered = pongs(&owner).await;
    assert_eq!(answered.len(), 3, "each ping answered once: {answered:?}");
    drop(bot);
    server.stop().await;
}
