//! A channel is an ordered event stream: every socket in its room gets each
//! message once, in `seq` order, with no gap, or is cut off and told so.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(500);

/// `#general`'s first event: Mark joining it (by invite, in
/// `org_with_two_members`); messages start after it.
const JOINED: i64 = 1;

/// Every `message` event a socket has received, in the order received, and
/// what else came (event names).
async fn drain(socket: &mut SioClient) -> (Vec<i64>, Vec<String>) {
    let (mut seqs, mut others) = (Vec::new(), Vec::new());
    while let Some((name, data)) = socket.next_event(QUIET).await {
        if name == "message" {
            seqs.push(data["seq"].as_i64().expect("a seq"));
        } else {
            others.push(name);
        }
    }
    (seqs, others)
}

/// A member's socket joins `#general` and then reads nothing, while the owner
/// sends `count` messages of 4,000 characters (enough to fill the
/// connection's buffers). Returns that socket, the member and the channel.
async fn stall_under_flood(server: &TestServer, count: usize) -> (SioClient, Api, i64) {
    let (owner, member) = org_with_two_members(server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut stalled = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(stalled.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let body = "x".repeat(4000);
    for n in 0..count {
        let ack =
            sender.request("send", &json!({"channel_id": general, "client_id": format!("m{n}"), "body": body})).await;
        assert!(ack.get("ok").is_some(), "{ack}");
    }
    (stalled, member, general)
}

/// Eight sockets send into one channel at once (one request in flight each);
/// every socket in the room, the senders' own included, receives all of the
/// messages exactly once and in `seq` order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_every_socket_gets_every_message_in_order() {
    const SENDERS: usize = 8;
    const EACH: usize = 60;
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;

    let mut senders = Vec::new();
    for i in 0..SENDERS {
        let who = if i % 2 == 0 { &owner } else { &member };
        let mut s = SioClient::connect(server.addr, "/acme", &who.cookie_header(), None).await.unwrap();
        assert!(s.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
        senders.push(s);
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let mut r = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
        assert!(r.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
        readers.push(r);
    }

    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            tokio::spawn(async move {
                for n in 0..EACH {
                    let req = json!({"channel_id": general, "client_id": format!("s{i}-{n}"), "body": "x"});
                    let ack = s.request("send", &req).await;
                    assert!(ack.get("ok").is_some(), "{ack}");
                }
                s
            })
        })
        .collect();
    let mut sockets = Vec::new();
    for t in tasks {
        sockets.push(t.await.unwrap());
    }
    sockets.extend(readers);

    let total = (SENDERS * EACH) as i64;
    for (i, s) in sockets.iter_mut().enumerate() {
        let (seqs, others) = drain(s).await;
        assert!(others.is_empty(), "socket {i} got {others:?}");
        let out_of_order = seqs.windows(2).filter(|w| w[1] != w[0] + 1).count();
        assert_eq!(out_of_order, 0, "socket {i}: {out_of_order} out of order or missing in {seqs:?}");
        assert_eq!(seqs, (JOINED + 1..=JOINED + total).collect::<Vec<_>>(), "socket {i}");
    }
    server.stop().await;
}

/// A socket that stops reading while messages pour in is not left in the
/// room with a hole: what it gets is a gapless prefix of the stream, then a
/// `fell_behind` notice, then the server closes it (after a linger for the
/// client to read the notice and reconnect by itself). Everything was stored,
/// and joining again reports the newest `seq` to catch up to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_stops_reading_is_cut_off_without_a_hole() {
    const SENT: usize = 2_500;
    let server = TestServer::start_with(|c| {
        c.messages_per_second = 100_000;
        c.socket_queue = 16;
        // Longer than the flood, during which the socket reads nothing: its
        // notice waits for it that long (the flood took over 5 s once, on a
        // machine busy building).
        c.cut_off_linger_ms = 10_000;
    })
    .await;
    let (mut stalled, member, general) = stall_under_flood(&server, SENT).await;

    let (seqs, others) = drain(&mut stalled).await;
    assert!(!seqs.is_empty() && (seqs.len() as i64) < SENT as i64, "cut off part way: got {}", seqs.len());
    assert_eq!(seqs, (JOINED + 1..=JOINED + seqs.len() as i64).collect::<Vec<_>>(), "a gapless prefix");
    assert_eq!(others, vec!["fell_behind".to_owned()]);
    // This client does not reconnect by itself (Confab's does): the server
    // closes it once the linger is over.
    assert!(stalled.closed_within(Duration::from_secs(13)).await, "then closed");

    let mut again = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let joined: Value = again.request("join", &json!({"channel_id": general})).await;
    assert_eq!(joined["ok"]["last_seq"], JOINED + SENT as i64, "everything was stored; catch up from here");
    server.stop().await;
}

/// Sends messages `from..to` (client ids `m<n>`), each acknowledged.
async fn send_range(sender: &mut SioClient, channel: i64, from: i64, to: i64) {
    for n in from..to {
        let req = json!({"channel_id": channel, "client_id": format!("m{n}"), "body": format!("message {n}")});
        assert!(sender.request("send", &req).await.get("ok").is_some());
    }
}

/// A client away for 1,000 messages joins with the last `seq` it has and
/// gets everything it missed, a page at a time, then the live messages sent
/// while it was resuming: each once, in order, nothing missing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_away_for_a_thousand_messages_resumes_with_nothing_missing() {
    const SEEN: i64 = 10;
    const AWAY: i64 = 1_000;
    const DURING: i64 = 100;
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    send_range(&mut sender, general, 0, SEEN + AWAY).await;

    // Back after the first SEEN: resume, while more are being sent.
    let mut back = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let during = tokio::spawn(async move {
        send_range(&mut sender, general, SEEN + AWAY, SEEN + AWAY + DURING).await;
        sender
    });
    let (mut got, mut after, mut calls) = (Vec::new(), SEEN, 0);
    loop {
        calls += 1;
        let joined = back.request("join", &json!({"channel_id": general, "after_seq": after})).await;
        let joined = &joined["ok"];
        assert_eq!(joined["reset"], false);
        for m in joined["missed"].as_array().unwrap() {
            got.push(m["seq"].as_i64().unwrap());
        }
        after = got.last().copied().unwrap_or(after);
        if joined["more"] == false {
            assert_eq!(after, joined["last_seq"].as_i64().unwrap(), "the last page ends at last_seq");
            break;
        }
    }
    let sender = during.await.unwrap();
    let (live, others) = drain(&mut back).await;
    assert!(others.is_empty(), "{others:?}");
    got.extend(live);
    let expected: Vec<i64> = (SEEN + 1..=JOINED + SEEN + AWAY + DURING).collect();
    assert_eq!(got.len(), expected.len(), "each once");
    assert_eq!(got, expected, "in order, nothing missing");
    assert!(calls >= 5, "a page at a time ({calls} calls)");
    drop(sender);
    server.stop().await;
}

/// A client that claims more than the channel has is told to start over.
#[tokio::test]
async fn resuming_from_beyond_the_channel_says_reset() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    s.request("send", &json!({"channel_id": general, "client_id": "a", "body": "one"})).await;
    let joined = s.request("join", &json!({"channel_id": general, "after_seq": 500})).await;
    assert_eq!(joined["ok"]["reset"], true, "{joined}");
    assert_eq!(joined["ok"]["last_seq"], JOINED + 1);
    // Joined all the same: the next message comes live.
    s.request("send", &json!({"channel_id": general, "client_id": "b", "body": "two"})).await;
    let (seqs, _) = drain(&mut s).await;
    assert_eq!(seqs, vec![JOINED + 2]);
    server.stop().await;
}

/// A socket whose connection stops taking writes is closed once a write has
/// made no progress for the write timeout, even while its queue still has
/// room: it gets a gapless prefix, then the connection ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_whose_writes_stall_is_closed_after_the_write_timeout() {
    let server = TestServer::start_with(|c| {
        c.messages_per_second = 100_000;
        c.socket_queue = 1_000_000;
        c.write_timeout_secs = 1;
    })
    .await;
    let (mut stalled, _member, _general) = stall_under_flood(&server, 2_500).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    let (seqs, others) = drain(&mut stalled).await;
    assert!(others.is_empty(), "no notice can get through: {others:?}");
    assert!(!seqs.is_empty() && seqs.len() < 2_500, "cut off part way: got {}", seqs.len());
    assert_eq!(seqs, (JOINED + 1..=JOINED + seqs.len() as i64).collect::<Vec<_>>(), "a gapless prefix");
    assert!(stalled.closed_within(Duration::from_secs(3)).await, "the connection was closed");
    server.stop().await;
}

/// A message sent over HTTP (a script without a live connection) goes
/// through the same stream: stored once, delivered to the room in order with
/// those sent over sockets, idempotent by `client_id`.
#[tokio::test]
async fn a_message_sent_over_http_reaches_the_room_in_order() {
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut reader = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(reader.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();

    sender.request("send", &json!({"channel_id": general, "client_id": "ws-1", "body": "over the socket"})).await;
    let form = [("slug", "acme"), ("channel", "general"), ("client_id", "http-1"), ("body", "over HTTP")];
    let stored = owner.ok("send_message", &form).await;
    assert_eq!(stored["seq"], JOINED + 2);
    assert_eq!(owner.ok("send_message", &form).await, stored, "a retry returns the original");
    sender.request("send", &json!({"channel_id": general, "client_id": "ws-2", "body": "socket again"})).await;

    let (seqs, others) = drain(&mut reader).await;
    assert!(others.is_empty(), "{others:?}");
    assert_eq!(seqs, vec![JOINED + 1, JOINED + 2, JOINED + 3], "each once, in order");
    let refused =
        owner.err("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "x"), ("body", "")]);
    assert_eq!(refused.await.code, "invalid");
    server.stop().await;
}

/// Members joining and leaving a channel are events of its stream, with the
/// channel's next `seq`, delivered live in order with its messages, resumed
/// and read in history like them. Doing nothing (leaving twice) is no event.
#[tokio::test]
async fn membership_changes_are_events_of_the_channel_stream() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let design = owner.ok("create_channel", &[("slug", "acme"), ("name", "design")]).await["id"].as_i64().unwrap();
    let mut watcher = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    for channel in [general, design] {
        assert!(watcher.request("join", &json!({"channel_id": channel})).await.get("ok").is_some());
    }
    let at = [("slug", "acme"), ("channel", "design")];

    let joined = member.ok("join_channel", &at).await;
    assert_eq!((joined["joined"].as_bool(), joined["last_seq"].as_i64()), (Some(true), Some(1)));
    let form = [("slug", "acme"), ("channel", "design"), ("client_id", "m1"), ("body", "hi all")];
    member.ok("send_message", &form).await;
    member.ok("leave_channel", &at).await;
    let again = member.ok("leave_channel", &at).await;
    assert_eq!(again["last_seq"], 3, "leaving twice changes nothing");
    member.ok("join_channel", &at).await;
    owner.ok("remove_member", &[("slug", "acme"), ("username", "mark")]).await;

    let mut live = Vec::new();
    while let Some((name, e)) = watcher.next_event(QUIET).await {
        assert_eq!(name, "message");
        live.push((
            e["channel_id"].as_i64().unwrap(),
            e["seq"].as_i64().unwrap(),
            e["kind"].as_str().unwrap().to_owned(),
        ));
        assert_eq!(e["author"], "mark");
    }
    let expected: Vec<(i64, i64, String)> = [
        (design, 1, "joined"),
        (design, 2, "message"),
        (design, 3, "left"),
        (design, 4, "joined"),
        // Removed from the organization: out of every channel, each with its event.
        (general, 2, "left"),
        (design, 5, "left"),
    ]
    .into_iter()
    .map(|(c, s, k)| (c, s, k.to_owned()))
    .collect();
    let mut sorted = live.clone();
    sorted.sort_by_key(|(c, s, _)| (*c != design, *s));
    let mut want = expected.clone();
    want.sort_by_key(|(c, s, _)| (*c != design, *s));
    assert_eq!(sorted, want, "live: {live:?}");

    // A client resuming from the start, and history, tell the same story.
    let mut late = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let resumed = late.request("join", &json!({"channel_id": design, "after_seq": 0})).await;
    let kinds: Vec<&str> =
        resumed["ok"]["missed"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["joined", "message", "left", "joined", "left"]);
    let history = owner.ok("history", &[("slug", "acme"), ("channel", "design")]).await;
    let seqs: Vec<i64> = history["messages"].as_array().unwrap().iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5]);
    assert_eq!(history["messages"][1]["body"], "hi all");
    server.stop().await;
}

#[tokio::test]
async fn a_sockets_sends_are_stored_in_the_order_it_sent_them() {
    let server = TestServer::start_with(|c| c.messages_per_second = 10_000).await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    // Sixty sends written back to back, none waiting for its answer.
    for n in 0..60 {
        let req = json!({"channel_id": general, "client_id": format!("c{n:03}"), "body": format!("number {n}")});
        s.send_request("send", &req).await;
    }
    let mut answered = 0;
    while answered < 60 {
        let (_, ack) = s.next_ack(Duration::from_secs(10)).await.expect("every send answered");
        assert!(ack.get("ok").is_some(), "{ack}");
        answered += 1;
    }
    let page = owner.ok("history", &[("slug", "acme"), ("channel", "general"), ("limit", "200")]).await;
    let sent: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "message")
        .map(|m| m["client_id"].as_str().unwrap())
        .collect();
    let in_order: Vec<String> = (0..60).map(|n| format!("c{n:03}")).collect();
    assert_eq!(sent, in_order, "stored (and so delivered) in the order sent");
    server.stop().await;
}

/// Sends into many channels at once are stored together (group commit):
/// each channel's `seq`s stay gapless and each client id is stored once,
/// even when two sockets send the same ones at the same time (a retry
/// racing its first try: the second finds the first stored, since a
/// channel's writes take turns; duplicates within one batch are covered by
/// `group_commit`'s unit tests).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_into_many_channels_at_once_keep_gapless_seqs_and_store_each_client_id_once() {
    const CHANNELS: usize = 6;
    const EACH: usize = 40;
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, _member) = org_with_two_members(&server).await;
    let mut sockets = Vec::new();
    for c in 0..CHANNELS {
        let name = format!("room{c}");
        let id = owner.ok("create_channel", &[("slug", "acme"), ("name", &name)]).await["id"].as_i64().unwrap();
        for _ in 0..2 {
            sockets.push((id, SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap()));
        }
    }
    // Every socket writes all of its sends before reading any answer.
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|(channel, mut s)| {
            tokio::spawn(async move {
                for n in 0..EACH {
                    let req =
                        json!({"channel_id": channel, "client_id": format!("m{n}"), "body": format!("number {n}")});
                    s.send_request("send", &req).await;
                }
                let mut acks = Vec::new();
                while acks.len() < EACH {
                    let (_, ack) = s.next_ack(Duration::from_secs(20)).await.expect("every send answered");
                    let m = &ack["ok"];
                    assert!(m.is_object(), "{ack}");
                    acks.push((m["client_id"].as_str().unwrap().to_owned(), m["seq"].as_i64().unwrap()));
                }
                (channel, acks)
            })
        })
        .collect();
    let mut seq_of: std::collections::HashMap<(i64, String), i64> = Default::default();
    for t in tasks {
        let (channel, acks) = t.await.unwrap();
        for (client_id, seq) in acks {
            let first = *seq_of.entry((channel, client_id.clone())).or_insert(seq);
            assert_eq!(first, seq, "both sends of {client_id} in channel {channel} answer with one message");
        }
    }
    assert_eq!(seq_of.len(), CHANNELS * EACH);

    for c in 0..CHANNELS {
        let name = format!("room{c}");
        let page = owner.ok("history", &[("slug", "acme"), ("channel", &name), ("limit", "200")]).await;
        let events = page["messages"].as_array().unwrap();
        let seqs: Vec<i64> = events.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (1..=events.len() as i64).collect::<Vec<_>>(), "{name}: gapless, in order");
        let mut sent: Vec<&str> =
            events.iter().filter(|m| m["kind"] == "message").map(|m| m["client_id"].as_str().unwrap()).collect();
        assert_eq!(sent.len(), EACH, "{name}: each client id stored once");
        sent.sort();
        sent.dedup();
        assert_eq!(sent.len(), EACH, "{name}: no client id twice");
    }
    server.stop().await;
}
