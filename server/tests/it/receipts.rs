//! Read receipts, by the organization's policy: in direct conversations and
//! small channels (supervisor channels always), who has read how far, read
//! from the cursors and told live to the room as each one moves; nowhere
//! else, and to nobody who may not read the channel.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

async fn positions(api: &Api, channel: &str) -> Value {
    api.ok("read_receipts", &[("slug", "acme"), ("channel", channel)]).await
}

#[tokio::test]
async fn a_direct_conversation_shows_who_has_read_how_far_live() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let (olivia_id, mark_id) =
        (olivia.ok("me", &[]).await["id"].as_i64().unwrap(), mark.ok("me", &[]).await["id"].as_i64().unwrap());
    let dm = olivia.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "mark")]).await;
    let (dm_id, dm_name) = (dm["id"].as_i64().unwrap(), dm["name"].as_str().unwrap().to_owned());
    let form = [("slug", "acme"), ("channel", dm_name.as_str()), ("client_id", "o1"), ("body", "lunch?")];
    let seq = olivia.ok("send_message", &form).await["seq"].as_i64().unwrap();

    let before = positions(&olivia, &dm_name).await;
    assert_eq!(before[0]["user_id"], olivia_id.min(mark_id));
    let his_before =
        before.as_array().unwrap().iter().find(|p| p["user_id"] == mark_id).unwrap()["last_read_seq"].clone();
    assert!(his_before.as_i64().unwrap() < seq, "he has not read it yet: {before}");

    // Mark reads it on his phone: her socket in the conversation hears it.
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    assert!(hers.request("join", &json!({"channel_id": dm_id})).await.get("ok").is_some());
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    assert!(his.request("read", &json!({"channel_id": dm_id, "seq": seq})).await.get("ok").is_some());
    let mut heard = None;
    while let Some((name, data)) = hers.next_event(SOON).await {
        if name == "read_by" {
            heard = Some(data);
            break;
        }
    }
    assert_eq!(heard, Some(json!({"channel_id": dm_id, "user_id": mark_id, "last_read_seq": seq})));
    let after = positions(&olivia, &dm_name).await;
    assert!(after.as_array().unwrap().iter().any(|p| p["user_id"] == mark_id && p["last_read_seq"] == seq));

    // Read through the API (a page without a live connection) tells too.
    let form = [("slug", "acme"), ("channel", dm_name.as_str()), ("client_id", "o1b"), ("body", "noon?")];
    let noon = olivia.ok("send_message", &form).await["seq"].as_i64().unwrap();
    let noon_text = noon.to_string();
    mark.ok("mark_read", &[("slug", "acme"), ("channel", dm_name.as_str()), ("seq", noon_text.as_str())]).await;
    let mut heard = None;
    while let Some((name, data)) = hers.next_event(SOON).await {
        if name == "read_by" {
            heard = Some(data);
            break;
        }
    }
    assert_eq!(heard, Some(json!({"channel_id": dm_id, "user_id": mark_id, "last_read_seq": noon})));

    // The owner turns receipts off: the conversation shows none, and reads
    // are no longer told.
    let policy = olivia.ok("set_read_receipts", &[("slug", "acme"), ("up_to", "12")]).await;
    assert_eq!(policy, json!({"on": false, "up_to": 12}));
    let off = olivia.err("read_receipts", &[("slug", "acme"), ("channel", &dm_name)]).await;
    assert_eq!((off.status, off.code.as_str()), (403, "forbidden"));
    let form = [("slug", "acme"), ("channel", dm_name.as_str()), ("client_id", "o2"), ("body", "still there?")];
    let later = olivia.ok("send_message", &form).await["seq"].as_i64().unwrap();
    assert!(his.request("read", &json!({"channel_id": dm_id, "seq": later})).await.get("ok").is_some());
    while let Some((name, data)) = hers.next_event(QUIET).await {
        assert_ne!(name, "read_by", "{data}");
    }
    let log = olivia.ok("audit_log", &[("slug", "acme")]).await;
    assert_eq!(log[0]["action"], "settings_changed");
    assert_eq!(log[0]["detail"], "read receipts off");
    server.stop().await;
}

#[tokio::test]
async fn only_owners_set_the_policy_and_big_channels_show_no_receipts() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let refused = mark.err("set_read_receipts", &[("slug", "acme"), ("on", "true"), ("up_to", "5")]).await;
    assert_eq!((refused.status, refused.code.as_str()), (403, "forbidden"));
    let silly = olivia.err("set_read_receipts", &[("slug", "acme"), ("on", "true"), ("up_to", "1")]).await;
    assert_eq!(silly.code, "invalid");
    // #general has two people: shown while the limit allows it.
    let general = channel_id(&olivia, "acme", "general").await;
    assert!(general > 0);
    let shown = mark.ok("read_receipts", &[("slug", "acme"), ("channel", "general")]).await;
    assert_eq!(shown.as_array().unwrap().len(), 2);
    olivia.ok("set_read_receipts", &[("slug", "acme"), ("on", "true"), ("up_to", "2")]).await;
    assert_eq!(
        mark.ok("read_receipts", &[("slug", "acme"), ("channel", "general")]).await.as_array().unwrap().len(),
        2
    );
    let invite = olivia.ok("create_invite", &[("slug", "acme")]).await;
    let nina = server.client();
    nina.register("nina").await;
    nina.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let big = mark.err("read_receipts", &[("slug", "acme"), ("channel", "general")]).await;
    assert_eq!(big.code, "forbidden", "three people is past the limit of two");
    let view = mark.ok("org", &[("slug", "acme")]).await;
    assert_eq!(view["receipts"], json!({"on": true, "up_to": 2}));
    server.stop().await;
}
