//! A person's own stream of notices (a channel read on one device, a channel
//! that appeared): numbered per person like a channel's events, and
//! resumable: a device that was away asks for what came after the last one
//! it heard and gets each once, in order.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

async fn notices_after(s: &mut SioClient, after: i64) -> Value {
    let ack = s.request("notices", &json!({"after": after})).await;
    ack.get("ok").cloned().unwrap_or_else(|| panic!("notices refused: {ack}"))
}

/// `(seq, what it tells)` of each notice of a `notices` answer.
fn told(page: &Value) -> Vec<(i64, String)> {
    let notices = page["notices"].as_array().expect("a list");
    notices
        .iter()
        .map(|n| {
            let (what, _, seq) = crate::support::sio::notice_parts(n);
            (seq, what)
        })
        .collect()
}

async fn send(api: &Api, channel: &str, client_id: &str) {
    api.ok("send_message", &[("slug", "acme"), ("channel", channel), ("client_id", client_id), ("body", "news")]).await;
}

#[tokio::test]
async fn a_device_that_was_away_hears_what_it_missed_once_and_in_order() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let phone = server.client();
    phone.ok("login", &[("username", "mark"), ("password", "correct horse battery")]).await;
    for n in 0..3 {
        send(&olivia, "general", &format!("o{n}")).await;
    }
    let view = mark.ok("org", &[("slug", "acme")]).await;
    assert_eq!(view["notice_seq"], 0, "the page's lists come with where the stream is");

    let mut on_laptop = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let mut on_phone = SioClient::connect(server.addr, "/acme", &phone.cookie_header(), None).await.unwrap();
    let empty = notices_after(&mut on_phone, 0).await;
    assert_eq!(empty, json!({"notices": [], "last_seq": 0, "more": false, "missing": false}));
    drop(on_phone);

    // While the phone is away: a read on the laptop, a new channel, a
    // conversation, a read that moves nothing (no notice).
    assert!(on_laptop.request("read", &json!({"channel_id": general, "seq": 2})).await.get("ok").is_some());
    olivia.ok("create_channel", &[("slug", "acme"), ("name", "design"), ("kind", "public")]).await;
    let dm = olivia.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "mark")]).await;
    assert!(on_laptop.request("read", &json!({"channel_id": general, "seq": 1})).await.get("ok").is_some());
    let live: Vec<(String, i64)> = {
        let mut heard = Vec::new();
        while let Some((what, _, seq)) = on_laptop.next_notice(QUIET).await {
            heard.push((what, seq));
        }
        heard
    };
    let expected = [("read", 1), ("channel_added", 2), ("channel_added", 3)];
    assert_eq!(live, expected.map(|(w, s)| (w.to_owned(), s)), "the laptop heard them live");

    // Back: it asks for what came after the last one it heard.
    let mut on_phone = SioClient::connect(server.addr, "/acme", &phone.cookie_header(), None).await.unwrap();
    let missed = notices_after(&mut on_phone, 0).await;
    assert_eq!(told(&missed), expected.map(|(w, s)| (s, w.to_owned())));
    assert_eq!((missed["last_seq"].as_i64(), missed["more"].as_bool()), (Some(3), Some(false)));
    let notices = missed["notices"].as_array().unwrap();
    assert_eq!(notices[0]["read"], json!({"channel_id": general, "last_read_seq": 2}));
    assert_eq!(
        (notices[1]["channel_added"]["name"].as_str(), notices[1]["channel_added"]["joined"].as_bool()),
        (Some("design"), Some(false))
    );
    assert_eq!(notices[2]["channel_added"]["id"], dm["id"]);
    assert_eq!(notices[2]["channel_added"]["joined"], true);
    let rest = notices_after(&mut on_phone, 2).await;
    assert_eq!(told(&rest), vec![(3, "channel_added".to_owned())], "only what came after");

    // Live again: the next one is the next number.
    send(&olivia, "general", "o9").await;
    assert!(on_laptop.request("read", &json!({"channel_id": general, "seq": 5})).await.get("ok").is_some());
    let (what, body, seq) = on_phone.next_notice(SOON).await.expect("heard live");
    assert_eq!((what.as_str(), body["last_read_seq"].as_i64(), seq), ("read", Some(5), 4));

    // Each person has a stream of their own.
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    let her_notices = notices_after(&mut hers, 0).await;
    assert_eq!(
        told(&her_notices),
        vec![(1, "channel_added".to_owned()), (2, "channel_added".to_owned())],
        "her own devices heard of her channel and conversation"
    );
    assert_eq!(hers.next_event(QUIET).await, None, "and nothing of his");
    server.stop().await;
}

#[tokio::test]
async fn a_channel_no_longer_seen_is_left_out_and_bad_requests_are_told_why() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    // Mark is added to a private channel, then taken out of it.
    let plans = olivia.ok("create_channel", &[("slug", "acme"), ("name", "plans"), ("kind", "private")]).await;
    let plans_at = plans["name"].as_str().unwrap().to_owned();
    olivia.ok("add_to_channel", &[("slug", "acme"), ("channel", &*plans_at), ("username", "mark")]).await;
    let mut s = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    assert_eq!(told(&notices_after(&mut s, 0).await), vec![(1, "channel_added".to_owned())]);
    mark.ok("leave_channel", &[("slug", "acme"), ("channel", &*plans_at)]).await;
    let after_leaving = notices_after(&mut s, 0).await;
    assert_eq!(after_leaving["notices"], json!([]), "a channel he no longer sees is not told of");
    assert_eq!(after_leaving["last_seq"], 1);

    for bad in [json!({"after": "x"}), json!({}), json!("after")] {
        let ack = s.request("notices", &bad).await;
        assert_eq!(ack["error"]["code"], "invalid", "{bad}: {ack}");
    }
    // A point past the end (a stream that began again): all of it, and a re-read.
    let ahead = notices_after(&mut s, 50).await;
    assert_eq!((ahead["missing"].as_bool(), ahead["last_seq"].as_i64()), (Some(true), Some(1)));
    server.stop().await;
}
