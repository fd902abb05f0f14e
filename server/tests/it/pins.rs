//! Pins: anyone who may post in a channel pins a message for everyone in it;
//! each pin and unpin is an event of the channel's stream, the channel lists
//! what is pinned, and deleting a message unpins it.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::json;

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

/// The texts of the messages pinned in `#general`, as `api` lists them.
async fn listed(api: &Api) -> Vec<String> {
    let list = api.ok("pinned_messages", &[("slug", "acme"), ("channel", "general")]).await;
    list.as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_pin_reaches_the_room_in_order_is_listed_and_goes_with_its_message() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    assert!(hers.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let mut seqs = Vec::new();
    for (n, body) in ["the wiki is at /wiki", "standup at 10"].iter().enumerate() {
        let sent =
            hers.request("send", &json!({"channel_id": general, "client_id": format!("o{n}"), "body": body})).await;
        seqs.push(sent["ok"]["seq"].as_i64().expect("stored"));
        hers.next_event(SOON).await.expect("her own message");
    }

    // Mark pins both (over the socket and over HTTP); twice is once.
    let first = json!({"channel_id": general, "seq": seqs[0]});
    assert_eq!(his.request("pin", &first).await, json!({"ok": null}));
    assert_eq!(his.request("pin", &first).await, json!({"ok": null}), "pinned already: no change");
    let second = seqs[1].to_string();
    mark.ok("pin", &[("slug", "acme"), ("channel", "general"), ("seq", &second)]).await;
    let mut heard = Vec::new();
    while let Some((_, e)) = hers.next_event(QUIET).await {
        heard.push((e["kind"].as_str().unwrap().to_owned(), e["refers_to"].as_i64().unwrap()));
    }
    assert_eq!(heard, vec![("pinned".to_owned(), seqs[0]), ("pinned".to_owned(), seqs[1])]);
    assert_eq!(listed(&olivia).await, ["standup at 10", "the wiki is at /wiki"], "the newest pin first");
    let history = olivia.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let pinned = history["messages"].as_array().unwrap().iter().filter(|m| m["pinned"] == true).count();
    assert_eq!(pinned, 2, "pages say which are pinned");

    // Unpinned: once.
    let unpin = json!({"channel_id": general, "seq": seqs[0], "unpin": true});
    assert_eq!(his.request("pin", &unpin).await, json!({"ok": null}));
    assert_eq!(his.request("pin", &unpin).await, json!({"ok": null}));
    let (_, e) = hers.next_event(SOON).await.expect("heard");
    assert_eq!((e["kind"].as_str(), e["refers_to"].as_i64()), (Some("unpinned"), Some(seqs[0])));
    assert_eq!(hers.next_event(QUIET).await, None);

    // Refused: no such message, not a message, malformed; and only those
    // who may post: Mark out of the channel may not.
    for (seq, code) in [(999, "not_found"), (1, "invalid")] {
        let refused = his.request("pin", &json!({"channel_id": general, "seq": seq})).await;
        assert_eq!(refused["error"]["code"], code, "{refused}");
    }
    let malformed = his.request("pin", &json!({"channel_id": general})).await;
    assert_eq!(malformed["error"]["code"], "invalid", "{malformed}");
    mark.ok("leave_channel", &[("slug", "acme"), ("channel", "general")]).await;
    let outside = his.request("pin", &first).await;
    assert_eq!(outside["error"]["code"], "forbidden", "{outside}");
    hers.next_event(SOON).await.expect("his leaving");
    assert_eq!(hers.next_event(QUIET).await, None, "no pin reached the room");

    // Deleting the message unpins it.
    olivia.ok("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &second)]).await;
    assert!(listed(&olivia).await.is_empty());
    server.stop().await;
}
