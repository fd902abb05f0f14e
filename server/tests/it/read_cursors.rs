//! Read cursors: the server keeps, per person and channel, the newest `seq`
//! they have read; reading on one device marks it read on all of them, and
//! the channel list counts what is unread.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

/// `(last_read_seq, unread)` of channel `name` as `api` sees it.
async fn place(api: &Api, name: &str) -> (i64, i64) {
    let channels = api.ok("list_channels", &[("slug", "acme")]).await;
    let c: &Value = channels.as_array().unwrap().iter().find(|c| c["name"] == name).expect("listed");
    (c["last_read_seq"].as_i64().unwrap(), c["unread"].as_i64().unwrap())
}

#[tokio::test]
async fn reading_on_one_device_marks_it_read_on_all() {
    let server = TestServer::start().await;
    let (owner, laptop) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    // Mark on a second device: another session.
    let phone = server.client();
    phone.ok("login", &[("username", "mark"), ("password", "correct horse battery")]).await;

    let mut olivia = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut on_laptop = SioClient::connect(server.addr, "/acme", &laptop.cookie_header(), None).await.unwrap();
    let mut on_phone = SioClient::connect(server.addr, "/acme", &phone.cookie_header(), None).await.unwrap();
    for n in 0..3 {
        let req = json!({"channel_id": general, "client_id": format!("o{n}"), "body": "news"});
        assert!(olivia.request("send", &req).await.get("ok").is_some());
    }
    // Seq 1 is Mark joining (read by him as he joined); 2 to 4 are Olivia's.
    assert_eq!(place(&phone, "general").await, (1, 3));
    assert_eq!(place(&owner, "general").await, (0, 0), "the joining is no message, and her own do not count");

    let ack = on_laptop.request("read", &json!({"channel_id": general, "seq": 3})).await;
    assert_eq!(ack["ok"], json!({"channel_id": general, "last_read_seq": 3}));
    let (what, cursor, seq) = on_phone.next_notice(SOON).await.expect("the other device hears it");
    assert_eq!((what.as_str(), cursor, seq), ("read", json!({"channel_id": general, "last_read_seq": 3}), 1));
    assert_eq!(on_laptop.next_notice(SOON).await.map(|n| n.2), Some(1), "every device, this one too");
    assert_eq!(olivia.next_event(QUIET).await, None, "nobody else");
    assert_eq!(place(&phone, "general").await, (3, 1));

    // Never back, never past the end.
    let ack = on_phone.request("read", &json!({"channel_id": general, "seq": 2})).await;
    assert_eq!(ack["ok"]["last_read_seq"], 3);
    let ack = on_phone.request("read", &json!({"channel_id": general, "seq": 999})).await;
    assert_eq!(ack["ok"]["last_read_seq"], 4);
    assert_eq!(place(&laptop, "general").await, (4, 0));

    // One's own messages are never unread; others' are.
    laptop.ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "m1"), ("body", "mine")]).await;
    assert_eq!(place(&laptop, "general").await, (4, 0));
    owner.ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "o9"), ("body", "more")]).await;
    assert_eq!(place(&laptop, "general").await, (4, 1));
    // Over HTTP too.
    let now = laptop.ok("mark_read", &[("slug", "acme"), ("channel", "general"), ("seq", "6")]).await;
    assert_eq!(now, 6);
    assert_eq!(place(&phone, "general").await, (6, 0));
    server.stop().await;
}

#[tokio::test]
async fn a_channel_not_joined_has_no_cursor() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    owner.ok("create_channel", &[("slug", "acme"), ("name", "design")]).await;
    let design = channel_id(&owner, "acme", "design").await;
    owner.ok("send_message", &[("slug", "acme"), ("channel", "design"), ("client_id", "d1"), ("body", "hi")]).await;
    assert_eq!(place(&member, "design").await, (0, 0), "nothing counts as unread where one has not joined");
    let mut s = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let refused = s.request("read", &json!({"channel_id": design, "seq": 1})).await;
    assert_eq!(refused["error"]["code"], "forbidden", "{refused}");
    // Joining counts what came before as read.
    member.ok("join_channel", &[("slug", "acme"), ("channel", "design")]).await;
    assert_eq!(place(&member, "design").await, (2, 0));
    assert_eq!(code(s.request("read", &json!({"channel_id": "x"})).await), "invalid");
    server.stop().await;
}

fn code(v: Value) -> String {
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}
