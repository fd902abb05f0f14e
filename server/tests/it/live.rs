//! The Socket.IO live stream: namespace admission, rooms, delivery, bad input.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use serde_json::json;

const QUIET: Duration = Duration::from_millis(300);
const SOON: Duration = Duration::from_secs(3);

#[tokio::test]
async fn namespace_admits_members_only() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let outsider = server.client();
    outsider.register("oscar").await;

    let err = SioClient::connect(server.addr, "/acme", "", None).await.err().expect("signed out is refused");
    assert_eq!(err, "Please sign in first.");
    let err = SioClient::connect(server.addr, "/acme", "confab_session=forged", None).await.err().unwrap();
    assert_eq!(err, "Please sign in first.");
    let err = SioClient::connect(server.addr, "/acme", &outsider.cookie_header(), None).await.err().unwrap();
    assert!(err.contains("not a member"), "{err}");
    let err = SioClient::connect(server.addr, "/nope", &owner.cookie_header(), None).await.err().unwrap();
    assert!(err.contains("No such organization"), "{err}");
    let err = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), Some("http://evil.example"))
        .await
        .err()
        .unwrap();
    assert!(err.contains("origin"), "{err}");

    let own_origin = format!("http://{}", server.addr);
    SioClient::connect(server.addr, "/acme", &owner.cookie_header(), Some(&own_origin))
        .await
        .expect("same origin is fine");
    server.stop().await;
}

#[tokio::test]
async fn messages_reach_the_room_and_only_the_room() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let random = owner.ok("create_channel", &[("slug", "acme"), ("name", "random")]).await["id"].as_i64().unwrap();

    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut sender_tab2 = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut reader = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut elsewhere = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut not_joined = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();

    for s in [&mut sender, &mut sender_tab2, &mut reader] {
        let ack = s.request("join", &json!({"channel_id": general})).await;
        // Mark joining #general (by invite) was its first event.
        let joined = json!({"channel_id": general, "last_seq": 1, "missed": [], "more": false, "reset": false});
        assert_eq!(ack, json!({ "ok": joined }));
    }
    owner.ok("join_channel", &[("slug", "acme"), ("channel", "random")]).await;
    assert!(elsewhere.request("join", &json!({"channel_id": random})).await.get("ok").is_some());

    let ack = sender.request("send", &json!({"channel_id": general, "client_id": "c-1", "body": "hello team"})).await;
    let stored = &ack["ok"];
    assert_eq!(stored["seq"], 2);
    assert_eq!(stored["kind"], "message");
    assert_eq!(stored["author"], "olivia");
    assert_eq!(stored["body"], "hello team");
    assert!(stored["sent_at"].as_i64().unwrap() > 1_700_000_000_000);

    // Everyone in the room gets it in the channel's stream, the sending
    // socket too (its stream has no hole where its own messages are).
    for s in [&mut reader, &mut sender_tab2, &mut sender] {
        let (event, msg) = s.next_event(SOON).await.expect("room members get the message");
        assert_eq!(event, "message");
        assert_eq!(&msg, stored);
    }
    assert_eq!(elsewhere.next_event(QUIET).await, None, "other rooms get nothing");
    assert_eq!(not_joined.next_event(QUIET).await, None, "sockets outside the room get nothing");

    // Leaving the room stops delivery.
    assert!(reader.request("leave", &json!({"channel_id": general})).await.get("ok").is_some());
    sender.request("send", &json!({"channel_id": general, "client_id": "c-2", "body": "anyone?"})).await;
    assert_eq!(reader.next_event(QUIET).await, None);
    assert_eq!(sender_tab2.next_event(SOON).await.unwrap().1["seq"], 3);
    server.stop().await;
}

#[tokio::test]
async fn a_retry_is_stored_and_broadcast_once() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut reader = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    reader.request("join", &json!({"channel_id": general})).await;

    let send = json!({"channel_id": general, "client_id": "same-id", "body": "once"});
    let first = sender.request("send", &send).await;
    let again = sender.request("send", &send).await;
    assert_eq!(first, again, "the retry returns the stored original");
    assert!(reader.next_event(SOON).await.is_some());
    assert_eq!(reader.next_event(QUIET).await, None, "broadcast once");
    let next = sender.request("send", &json!({"channel_id": general, "client_id": "other", "body": "twice"})).await;
    assert_eq!(next["ok"]["seq"], first["ok"]["seq"].as_i64().unwrap() + 1, "no seq was used up by the retry");
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_keep_the_connection() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    owner.ok("create_channel", &[("slug", "acme"), ("name", "design")]).await;
    let design = channel_id(&owner, "acme", "design").await;
    member.ok("create_org", &[("name", "Other"), ("slug", "other")]).await;
    let foreign = channel_id(&member, "other", "general").await;

    let mut s = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let code = |v: serde_json::Value| v["error"]["code"].as_str().unwrap_or_default().to_owned();

    assert_eq!(code(s.request("send", &json!({"nonsense": true})).await), "invalid");
    assert_eq!(code(s.request("send", &json!("just a string")).await), "invalid");
    assert_eq!(code(s.request("join", &json!({"channel_id": "x"})).await), "invalid");
    assert_eq!(
        code(s.request("send", &json!({"channel_id": general, "client_id": "a", "body": "   "})).await),
        "invalid"
    );
    let long = "é".repeat(4001);
    let e = s.request("send", &json!({"channel_id": general, "client_id": "b", "body": long})).await;
    assert_eq!(code(e.clone()), "too_large");
    assert!(e["error"]["message"].as_str().unwrap().contains("4000"));
    assert_eq!(
        code(s.request("send", &json!({"channel_id": general, "client_id": "", "body": "hi"})).await),
        "invalid"
    );
    // Not joined, another org's channel, no such channel.
    assert_eq!(
        code(s.request("send", &json!({"channel_id": design, "client_id": "c", "body": "hi"})).await),
        "forbidden"
    );
    assert_eq!(code(s.request("join", &json!({"channel_id": foreign})).await), "not_found");
    assert_eq!(
        code(s.request("send", &json!({"channel_id": foreign, "client_id": "d", "body": "hi"})).await),
        "not_found"
    );
    assert_eq!(code(s.request("join", &json!({"channel_id": 999_999})).await), "not_found");
    assert_eq!(code(s.request("leave", &json!({"channel_id": foreign})).await), "not_found");
    assert_eq!(code(s.request("leave", &json!({"channel_id": 999_999})).await), "not_found");

    // Still connected, and nothing was stored by the refused sends.
    let ok = s.request("send", &json!({"channel_id": general, "client_id": "e", "body": "still here"})).await;
    assert_eq!(ok["ok"]["seq"], 2, "{ok}");
    server.stop().await;
}

#[tokio::test]
async fn shutdown_closes_live_connections() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let addr = server.addr;
    let stopping = tokio::spawn(server.stop());
    assert!(s.closed_within(Duration::from_secs(10)).await, "the socket is closed by the server");
    tokio::time::timeout(Duration::from_secs(10), stopping).await.expect("server stops").unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
}

/// Stopping the server while sends are in flight answers every one of them
/// (stored, or refused because the server is stopping) before the socket is
/// closed: no sender is left without an answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_answers_every_send_in_flight() {
    const IN_FLIGHT: i64 = 60;
    let server = TestServer::start_with(|c| c.messages_per_second = 100_000).await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..IN_FLIGHT {
        let req = json!({"channel_id": general, "client_id": format!("m{n}"), "body": "x".repeat(2000)});
        ids.push(s.send_request("send", &req).await);
    }
    // Once the server is handling them, it is told to stop.
    let (first, ack) = s.next_ack(Duration::from_secs(5)).await.expect("the server answers");
    let stopping = tokio::spawn(server.stop());
    let mut acks = s.acks_until_closed(Duration::from_secs(10)).await;
    acks.insert(first, ack);
    tokio::time::timeout(Duration::from_secs(15), stopping).await.expect("server stops").unwrap();

    let unanswered: Vec<_> = ids.iter().filter(|id| !acks.contains_key(id)).collect();
    let refused = acks.values().filter(|a| a["error"]["code"] == "unavailable").count();
    assert!(
        unanswered.is_empty(),
        "{} of {IN_FLIGHT} sends never answered ({unanswered:?}); {refused} refused",
        unanswered.len()
    );
    for ack in acks.values() {
        let refused = ack["error"]["code"] == "unavailable";
        assert!(ack.get("ok").is_some() || refused, "{ack}");
    }
}

#[tokio::test]
async fn signing_out_closes_that_sessions_sockets_and_no_others() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    owner.ok("create_org", &[("name", "Beta"), ("slug", "beta")]).await;
    // The same person on a second device: another session.
    let phone = server.client();
    phone.ok("login", &[("username", "olivia"), ("password", "correct horse battery")]).await;

    let laptop_cookie = owner.cookie_header();
    let mut laptop_acme = SioClient::connect(server.addr, "/acme", &laptop_cookie, None).await.unwrap();
    let mut laptop_acme_tab2 = SioClient::connect(server.addr, "/acme", &laptop_cookie, None).await.unwrap();
    let mut laptop_beta = SioClient::connect(server.addr, "/beta", &laptop_cookie, None).await.unwrap();
    let mut on_phone = SioClient::connect(server.addr, "/acme", &phone.cookie_header(), None).await.unwrap();
    let mut colleague = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();

    owner.ok("logout", &[]).await;
    for (name, socket) in
        [("acme", &mut laptop_acme), ("acme tab 2", &mut laptop_acme_tab2), ("beta", &mut laptop_beta)]
    {
        assert!(socket.closed_within(SOON).await, "the signed-out {name} socket is closed");
    }
    let err = SioClient::connect(server.addr, "/acme", &laptop_cookie, None).await.err().expect("cannot come back");
    assert_eq!(err, "Please sign in first.");

    // The phone's session and the colleague are untouched.
    let general = channel_id(&phone, "acme", "general").await;
    for socket in [&mut on_phone, &mut colleague] {
        let ack = socket.request("join", &json!({"channel_id": general})).await;
        assert!(ack.get("ok").is_some(), "{ack}");
    }
    let sent =
        on_phone.request("send", &json!({"channel_id": general, "client_id": "p1", "body": "from my phone"})).await;
    assert_eq!(sent["ok"]["seq"], 2, "{sent}");
    let (event, message) = colleague.next_event(SOON).await.expect("the colleague still receives");
    assert_eq!((event.as_str(), message["body"].as_str()), ("message", Some("from my phone")));
    server.stop().await;
}

/// A client may emit the moment it hears it is connected (bots do): its
/// handlers are in place before the CONNECT packet goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_emit_right_after_connecting_is_answered() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    for _ in 0..100 {
        let mut s = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
        let ack = s.request("join", &json!({"channel_id": general})).await;
        assert!(ack.get("ok").is_some(), "{ack}");
    }
    server.stop().await;
}

/// A socket that joins while messages are being sent misses none of those
/// after the `last_seq` its join returned: each is either broadcast to it or
/// counted in `last_seq` (and fetched by catch-up).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_mid_stream_misses_nothing_after_last_seq() {
    const SENT: i64 = 150;
    // Faster than one person may send: this is about ordering, not limits.
    let server = TestServer::start_with(|c| c.messages_per_second = 10_000).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    assert!(sender.request("join", &json!({"channel_id": general})).await.get("ok").is_some());

    let flood = tokio::spawn(async move {
        for i in 0..SENT {
            let ack = sender
                .request("send", &json!({"channel_id": general, "client_id": format!("m{i}"), "body": "x"}))
                .await;
            assert!(ack.get("ok").is_some(), "{ack}");
        }
    });
    let mut joiners = Vec::new();
    while !flood.is_finished() && joiners.len() < 20 {
        let mut s = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
        let ack = s.request("join", &json!({"channel_id": general})).await;
        let last_seq = ack["ok"]["last_seq"].as_i64().expect("joined");
        joiners.push((s, last_seq));
    }
    flood.await.unwrap();

    for (mut s, last_seq) in joiners {
        let mut seen = std::collections::BTreeSet::new();
        while let Some((_, m)) = s.next_event(QUIET).await {
            seen.insert(m["seq"].as_i64().unwrap());
        }
        let missing: Vec<i64> = (last_seq + 1..=SENT).filter(|seq| !seen.contains(seq)).collect();
        assert!(missing.is_empty(), "joined at last_seq {last_seq}, never got {missing:?}");
    }
    server.stop().await;
}

/// Of a `join` and a `leave` sent one right behind the other (without
/// waiting for the first answer), the one sent last decides whether the
/// socket is in the room, whichever the server finishes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leave_right_behind_a_join_leaves_the_room() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut sender = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let room = json!({"channel_id": general});
    let (mut gone, mut back) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        // In, then straight out again.
        let mut s = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
        let sent = [s.send_request("join", &room).await, s.send_request("leave", &room).await];
        both_answered(&mut s, sent).await;
        gone.push(s);
        // In; then out and straight back in.
        let mut s = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
        assert!(s.request("join", &room).await.get("ok").is_some());
        let sent = [s.send_request("leave", &room).await, s.send_request("join", &room).await];
        both_answered(&mut s, sent).await;
        back.push(s);
    }
    let ack = sender.request("send", &json!({"channel_id": general, "client_id": "after", "body": "anyone?"})).await;
    assert!(ack.get("ok").is_some(), "{ack}");
    for (i, s) in gone.iter_mut().enumerate() {
        assert_eq!(s.next_event(QUIET).await, None, "socket {i} left last, yet is in the room");
    }
    for (i, s) in back.iter_mut().enumerate() {
        let got = s.next_event(SOON).await.map(|(_, m)| m["body"].clone());
        assert_eq!(got, Some(json!("anyone?")), "socket {i} joined last, yet is out of the room");
    }
    server.stop().await;
}

/// Both requests are acknowledged without error, in whichever order.
async fn both_answered(s: &mut SioClient, sent: [i64; 2]) {
    let mut acked = Vec::new();
    while acked.len() < 2 {
        let (id, ack) = s.next_ack(SOON).await.expect("an answer");
        assert!(ack.get("ok").is_some(), "{ack}");
        acked.push(id);
    }
    acked.sort_unstable();
    assert_eq!(acked, sent);
}

/// "Typing" reaches the other sockets in the channel's room and no one else;
/// a socket outside the room cannot send it.
#[tokio::test]
async fn typing_reaches_the_room_and_no_one_else() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let room = json!({"channel_id": general});
    let mut typist = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut reader = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut outside = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    for s in [&mut typist, &mut reader] {
        assert!(s.request("join", &room).await.get("ok").is_some());
    }

    typist.emit("typing", &room).await;
    let (event, typing) = reader.next_event(SOON).await.expect("the room hears it");
    assert_eq!(event, "typing");
    assert_eq!(typing, json!({"channel_id": general, "user_id": typing["user_id"], "username": "olivia"}));
    assert_eq!(outside.next_event(QUIET).await, None, "not outside the room");
    assert_eq!(typist.next_event(QUIET).await, None, "not back to the typist");

    // From outside the room: nobody hears it, and nothing breaks.
    outside.emit("typing", &room).await;
    outside.emit("typing", &json!("nonsense")).await;
    assert_eq!(reader.next_event(QUIET).await, None);
    assert!(outside.request("join", &room).await.get("ok").is_some(), "still connected");
    server.stop().await;
}

#[tokio::test]
async fn a_new_channel_appears_in_everyones_list_at_once() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let outsider = server.client();
    outsider.register("zed").await;
    outsider.ok("create_org", &[("name", "Beta"), ("slug", "beta")]).await;
    let mut theirs = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut own = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut elsewhere = SioClient::connect(server.addr, "/beta", &outsider.cookie_header(), None).await.unwrap();

    let made = owner.ok("create_channel", &[("slug", "acme"), ("name", "design")]).await;
    let (what, seen, _) = theirs.next_notice(SOON).await.expect("announced");
    assert_eq!((what.as_str(), &seen["id"], &seen["name"]), ("channel_added", &made["id"], &json!("design")));
    assert_eq!(seen["joined"], false, "as they see it: not joined");
    let (_, on_own_device, _) = own.next_notice(SOON).await.expect("the creator's devices too");
    assert_eq!(on_own_device["joined"], true);
    assert_eq!(elsewhere.next_event(QUIET).await, None);
    assert_eq!(theirs.next_event(QUIET).await, None, "once");
    server.stop().await;
}
