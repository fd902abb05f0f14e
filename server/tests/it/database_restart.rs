//! PostgreSQL restarted under a running server (the PostgreSQL pass only;
//! the test runs a PostgreSQL of its own, to stop and start it): sends while
//! it is down are answered `unavailable`, over a socket and over HTTP; once
//! it is back the server serves again by itself, and every acknowledged
//! message is stored once, in one gapless `seq` sequence, which a reader
//! that stayed connected heard in order.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::postgres::TestPostgres;
use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_while_postgresql_is_down_are_refused_and_nothing_acknowledged_is_lost() {
    if std::env::var("CONFAB_TEST_POSTGRES").is_err() {
        return;
    }
    let pg = TestPostgres::start();
    let url = pg.url();
    let server = TestServer::start_with(move |c| c.database_url = Some(url)).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut reader = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.expect("connects");
    assert!(reader.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut sender = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.expect("connects");
    let first = send(&mut sender, general, "s1").await;
    assert!(first.get("ok").is_some(), "{first}");

    pg.stop();
    let refused = send(&mut sender, general, "s2").await;
    assert_eq!(refused["error"]["code"], "unavailable", "{refused}");
    let refused = member.err("send_message", &http_send("h1")).await;
    assert_eq!((refused.status, refused.code.as_str()), (503, "unavailable"), "{refused:?}");

    pg.start_again();
    // Sent again as clients do (the same client_id), until it is back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = send(&mut sender, general, "s2").await;
        if answer.get("ok").is_some() {
            break;
        }
        assert_eq!(answer["error"]["code"], "unavailable", "{answer}");
        assert!(Instant::now() < deadline, "the server did not serve again within 30 s of PostgreSQL");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    member.ok("send_message", &http_send("h1")).await;
    assert!(send(&mut sender, general, "s3").await.get("ok").is_some());

    let stored = stored(&member).await;
    let ids: Vec<&str> = stored.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2", "h1", "s3"], "each acknowledged message once");
    let seqs: Vec<i64> = stored.iter().map(|(seq, _)| *seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "gapless: {seqs:?}");
    let mut heard = Vec::new();
    while heard.len() < seqs.len() {
        match reader.next_event(Duration::from_secs(5)).await {
            Some((name, data)) if name == "message" => heard.push(data["seq"].as_i64().expect("a seq")),
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(heard, seqs, "the reader heard every stored message once, in order");
}

/// Sends `client_id` to `#general` and waits for the answer (a send while
/// the database is down waits for its pool, 5 s).
async fn send(socket: &mut SioClient, general: i64, client_id: &str) -> Value {
    let body = json!({"channel_id": general, "client_id": client_id, "body": format!("message {client_id}")});
    let id = socket.send_request("send", &body).await;
    let (ack, answer) = socket.next_ack(Duration::from_secs(30)).await.expect("every send is answered");
    assert_eq!(ack, id);
    answer
}

fn http_send(client_id: &str) -> [(&'static str, &str); 4] {
    [("slug", "acme"), ("channel", "general"), ("client_id", client_id), ("body", "over HTTP")]
}

/// The stored messages of `#general` (their `seq` and `client_id`), oldest first.
async fn stored(api: &Api) -> Vec<(i64, String)> {
    let page = api.ok("history", &[("slug", "acme"), ("channel", "general"), ("limit", "200")]).await;
    page["messages"]
        .as_array()
        .expect("a page of messages")
        .iter()
        .filter(|m| m["kind"] == "message")
        .map(|m| (m["seq"].as_i64().unwrap(), m["client_id"].as_str().unwrap_or_default().to_owned()))
        .collect()
}
