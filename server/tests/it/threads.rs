//! Threads: a reply is an event of its channel's stream that names its
//! root; the root's summary counts them in pages; channel unread counts
//! leave them out (unless also sent to the channel); who follows a thread
//! and each person's read cursor in it are exact on every device (notices).

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

fn at<'a>(channel: &'a str, rest: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("slug", "acme"), ("channel", channel)];
    form.extend_from_slice(rest);
    form
}

/// Posts a reply over HTTP in the thread of `root` in `#general`; its `seq`.
async fn reply(api: &Api, root: i64, client_id: &str, body: &str, in_channel: bool) -> i64 {
    let root = root.to_string();
    let also = in_channel.to_string();
    let form = at("general", &[("client_id", client_id), ("body", body), ("thread_of", &root), ("in_channel", &also)]);
    let sent = api.ok("send_message", &form).await;
    assert_eq!(sent["thread_of"].as_i64(), root.parse().ok(), "{sent}");
    sent["seq"].as_i64().unwrap()
}

/// The message at `seq` in the newest page of `#general`'s history.
async fn in_history(api: &Api, seq: i64) -> Value {
    let page = api.ok("history", &at("general", &[])).await;
    page["messages"].as_array().unwrap().iter().find(|m| m["seq"] == seq).cloned().expect("in the page")
}

/// How far `#general`'s stream has got, as `api` reads it.
async fn last_seq(api: &Api) -> i64 {
    let page = api.ok("history", &at("general", &[])).await;
    page["channel"]["last_seq"].as_i64().unwrap()
}

/// What `api`'s organization view says of `#general`'s unread count and of
/// the threads they follow.
async fn standing(api: &Api) -> (i64, Value) {
    let view = api.ok("org", &[("slug", "acme")]).await;
    let general = view["channels"].as_array().unwrap().iter().find(|c| c["name"] == "general").unwrap().clone();
    (general["unread"].as_i64().unwrap(), view["threads"].clone())
}

/// Every `notice` and every stream event heard until it goes quiet, apart.
async fn heard(s: &mut SioClient) -> (Vec<(String, Value)>, Vec<Value>) {
    let (mut notices, mut events) = (Vec::new(), Vec::new());
    while let Some((name, data)) = s.next_event(QUIET).await {
        match name.as_str() {
            "notice" => {
                let (what, body, _) = crate::support::sio::notice_parts(&data);
                notices.push((what, body));
            }
            "message" => events.push(data),
            _ => {}
        }
    }
    (notices, events)
}

#[tokio::test]
async fn replies_are_events_of_the_stream_counted_on_their_root_and_apart_from_the_channel() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let mark_id = mark.ok("me", &[]).await["id"].as_i64().unwrap();
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    assert!(hers.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let root = hers.request("send", &json!({"channel_id": general, "client_id": "r", "body": "lunch?"})).await;
    let root = root["ok"]["seq"].as_i64().expect("stored");
    hers.next_event(SOON).await.expect("her own message");
    assert_eq!(standing(&olivia).await.0, 0);

    // Mark replies twice (over HTTP and over the socket, the second also to
    // the channel); a retry is stored once.
    let first = reply(&mark, root, "m1", "yes", false).await;
    assert_eq!(reply(&mark, root, "m1", "yes", false).await, first, "a retry is the same reply");
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let sent = his
        .request(
            "send",
            &json!({"channel_id": general, "client_id": "m2", "body": "at noon", "thread_of": root, "in_channel": true}),
        )
        .await;
    let second = sent["ok"]["seq"].as_i64().expect("stored");
    assert_eq!((sent["ok"]["thread_of"].as_i64(), sent["ok"]["in_channel"].as_bool()), (Some(root), Some(true)));

    // Her socket heard both in order, and that she follows the thread now.
    let (notices, events) = heard(&mut hers).await;
    let seqs: Vec<(i64, i64)> =
        events.iter().map(|e| (e["seq"].as_i64().unwrap(), e["thread_of"].as_i64().unwrap())).collect();
    assert_eq!(seqs, vec![(first, root), (second, root)]);
    assert_eq!(
        notices,
        vec![("thread_followed".into(), json!({"channel_id": general, "root_seq": root, "following": true}))]
    );

    // Pages carry the root's summary; her channel count has only the reply
    // sent to the channel; her threads list has both replies unread.
    let summary = &in_history(&olivia, root).await["thread"];
    assert_eq!(
        *summary,
        json!({"replies": 2, "last_reply_at": summary["last_reply_at"], "participants": [mark_id], "seq": second})
    );
    let (unread, threads) = standing(&olivia).await;
    assert_eq!(unread, 1, "only the reply also sent to the channel counts there");
    assert_eq!(
        threads,
        json!([{"channel_id": general, "root_seq": root, "last_read_seq": 0, "unread": 2, "last_reply_seq": second}])
    );
    let (_, his_threads) = standing(&mark).await;
    assert_eq!(his_threads[0]["unread"], 0, "his own replies are read: {his_threads}");

    // The thread itself, and reading it on the laptop clears it on the phone.
    let page = olivia.ok("open_thread", &at("general", &[("root_seq", &root.to_string())])).await;
    let bodies: Vec<&str> = page["replies"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(
        (bodies, page["following"].as_bool(), page["root"]["body"].as_str()),
        (vec!["yes", "at noon"], Some(true), Some("lunch?"))
    );
    let phone = server.client();
    phone.ok("login", &[("username", "olivia"), ("password", "correct horse battery")]).await;
    let mut on_phone = SioClient::connect(server.addr, "/acme", &phone.cookie_header(), None).await.unwrap();
    let read = hers.request("read_thread", &json!({"channel_id": general, "root_seq": root, "seq": 10_000})).await;
    assert_eq!(
        read["ok"],
        json!({"channel_id": general, "root_seq": root, "last_read_seq": second}),
        "never past its newest reply"
    );
    let (what, body, _) = on_phone.next_notice(SOON).await.expect("the phone hears it");
    assert_eq!((what.as_str(), body["last_read_seq"].as_i64()), ("thread_read", Some(second)));
    let again = hers.request("read_thread", &json!({"channel_id": general, "root_seq": root, "seq": first})).await;
    assert_eq!(again["ok"]["last_read_seq"], second, "never back");
    assert_eq!(on_phone.next_event(QUIET).await, None, "nothing moved, nothing told");
    assert_eq!(standing(&olivia).await.1[0]["unread"], 0);

    // Deleting a reply: its deletion names the thread, and the count drops.
    mark.ok("delete_message", &at("general", &[("seq", &first.to_string())])).await;
    let (_, events) = heard(&mut hers).await;
    assert_eq!((events[0]["kind"].as_str(), events[0]["thread_of"].as_i64()), (Some("deleted"), Some(root)));
    let summary = &in_history(&olivia, root).await["thread"];
    assert_eq!((summary["replies"].as_i64(), summary["seq"].as_i64()), (Some(1), events[0]["seq"].as_i64()));
    server.stop().await;
}

#[tokio::test]
async fn following_is_a_choice_that_replies_respect_and_every_device_hears() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let root = olivia.ok("send_message", &at("general", &[("client_id", "r"), ("body", "lunch?")])).await;
    let root = root["seq"].as_i64().unwrap();
    let root_s = root.to_string();
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();

    // She chooses not to follow it before anyone replies: a reply leaves her out.
    let unfollow =
        hers.request("follow_thread", &json!({"channel_id": general, "root_seq": root, "following": false})).await;
    assert_eq!(unfollow["ok"]["following"], false);
    let (what, body, _) = hers.next_notice(SOON).await.expect("her devices hear it");
    assert_eq!((what.as_str(), body["following"].as_bool()), ("thread_followed", Some(false)));
    reply(&mark, root, "m1", "yes", false).await;
    assert_eq!(hers.next_event(QUIET).await, None, "no notice: she chose");
    assert_eq!(standing(&olivia).await.1, json!([]));

    // She changes her mind over HTTP; twice is once.
    assert_eq!(olivia.ok("follow_thread", &at("general", &[("root_seq", &root_s), ("follow", "true")])).await, true);
    assert_eq!(olivia.ok("follow_thread", &at("general", &[("root_seq", &root_s), ("follow", "true")])).await, true);
    let (what, body, _) = hers.next_notice(SOON).await.expect("heard");
    assert_eq!((what.as_str(), body["following"].as_bool()), ("thread_followed", Some(true)));
    assert_eq!(hers.next_event(QUIET).await, None, "the second changed nothing");
    let listed = olivia.ok("followed_threads", &[("slug", "acme")]).await;
    assert_eq!((listed[0]["root_seq"].as_i64(), listed[0]["unread"].as_i64()), (Some(root), Some(1)));
    server.stop().await;
}

#[tokio::test]
async fn reading_a_thread_is_no_choice_a_later_mention_still_follows_it() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let root = olivia.ok("send_message", &at("general", &[("client_id", "r"), ("body", "lunch?")])).await;
    let root = root["seq"].as_i64().unwrap();
    let first = reply(&olivia, root, "o1", "anyone?", false).await;
    // Mark reads the thread without following it.
    let (root_s, first_s) = (root.to_string(), first.to_string());
    let read = mark.ok("mark_thread_read", &at("general", &[("root_seq", &root_s), ("seq", &first_s)])).await;
    assert_eq!(read["last_read_seq"], first);
    assert_eq!(standing(&mark).await.1, json!([]), "reading follows nothing");
    // A mention in a reply makes him follow it: reading was no choice not to.
    reply(&olivia, root, "o2", "@mark are you in?", false).await;
    let listed = mark.ok("followed_threads", &[("slug", "acme")]).await;
    assert_eq!(listed[0]["root_seq"].as_i64(), Some(root), "{listed}");
    assert_eq!(listed[0]["last_read_seq"].as_i64(), Some(first), "his place is kept: {listed}");
    // The open thread's root comes as shown, its reactions with it.
    olivia.ok("react", &at("general", &[("seq", &root_s), ("emoji", "👍")])).await;
    let page = mark.ok("open_thread", &at("general", &[("root_seq", &root_s)])).await;
    assert_eq!(page["root"]["reactions"][0]["emoji"], "👍", "{page}");
    server.stop().await;
}

#[tokio::test]
async fn what_is_no_thread_is_refused_and_stores_nothing() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let root = olivia.ok("send_message", &at("general", &[("client_id", "r"), ("body", "lunch?")])).await;
    let root = root["seq"].as_i64().unwrap();
    let a_reply = reply(&mark, root, "m1", "yes", false).await;
    let before = last_seq(&olivia).await;
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    // 999: no such message; 1: her joining, no message; a reply: threads do not nest.
    for (to, code) in [(999, "not_found"), (1, "invalid"), (a_reply, "invalid")] {
        let sent = his
            .request(
                "send",
                &json!({"channel_id": general, "client_id": format!("x{to}"), "body": "hm", "thread_of": to}),
            )
            .await;
        assert_eq!(sent["error"]["code"], code, "{sent}");
        let opened = mark.err("open_thread", &at("general", &[("root_seq", &to.to_string())])).await;
        assert_eq!(opened.code, code, "{opened:?}");
        let read = his.request("read_thread", &json!({"channel_id": general, "root_seq": to, "seq": 5})).await;
        assert_eq!(read["error"]["code"], code, "{read}");
    }
    let malformed = his.request("read_thread", &json!({"channel_id": general})).await;
    assert_eq!(malformed["error"]["code"], "invalid", "{malformed}");
    assert_eq!(last_seq(&olivia).await, before, "nothing was stored");
    server.stop().await;
}

#[tokio::test]
async fn a_reader_away_during_replies_catches_up_to_the_same_thread() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let root = olivia.ok("send_message", &at("general", &[("client_id", "r"), ("body", "lunch?")])).await;
    let root = root["seq"].as_i64().unwrap();
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    let joined = hers.request("join", &json!({"channel_id": general, "after_seq": root})).await;
    assert_eq!(joined["ok"]["more"], false, "{joined}");
    drop(hers);

    // While she is away: two replies, one deleted.
    let first = reply(&mark, root, "m1", "yes", false).await;
    reply(&mark, root, "m2", "at noon", true).await;
    mark.ok("delete_message", &at("general", &[("seq", &first.to_string())])).await;

    // Back from just before the root: the resume page has the root with its
    // summary as it is now, then every event of the thread in order.
    let mut back = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    let joined = back.request("join", &json!({"channel_id": general, "after_seq": root - 1})).await;
    let missed = joined["ok"]["missed"].as_array().expect("a page").clone();
    let shown: Vec<(i64, String, Option<i64>)> = missed
        .iter()
        .map(|m| (m["seq"].as_i64().unwrap(), m["kind"].as_str().unwrap().to_owned(), m["thread_of"].as_i64()))
        .collect();
    assert_eq!(
        shown,
        vec![
            (root, "message".into(), None),
            (first, "message".into(), Some(root)),
            (first + 1, "message".into(), Some(root)),
            (first + 2, "deleted".into(), Some(root)),
        ]
    );
    assert_eq!(missed[0]["thread"]["replies"], 1);
    assert_eq!(missed[0]["thread"]["seq"], first + 2);
    assert_eq!(in_history(&olivia, root).await["thread"], missed[0]["thread"], "the same as history says");
    server.stop().await;
}
