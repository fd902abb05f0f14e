//! Deleting a message: by its author, or by an owner or admin; the text is
//! gone from the store, every live connection hears of it in order, one
//! that catches up hears of it too, and the audit log says who deleted
//! whose message.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

async fn send(api: &Api, client_id: &str, body: &str) -> i64 {
    let m = api
        .ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", client_id), ("body", body)])
        .await;
    m["seq"].as_i64().unwrap()
}

async fn delete(api: &Api, seq: i64) -> Result<Value, crate::support::CallError> {
    api.call("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &seq.to_string())]).await
}

async fn history(api: &Api) -> Vec<Value> {
    api.ok("history", &[("slug", "acme"), ("channel", "general")]).await["messages"].as_array().unwrap().clone()
}

/// The next `message` event of a socket, skipping presence and the like.
async fn next_message(live: &mut SioClient) -> Value {
    loop {
        let (name, data) = live.next_event(WAIT).await.expect("an event in time");
        if name == "message" {
            return data;
        }
    }
}

#[tokio::test]
async fn authors_delete_their_own_and_admins_anyones_and_everyone_hears_of_it() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    member.ok("join_channel", &[("slug", "acme"), ("channel", "general")]).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut watching = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    assert!(watching.request("join", &json!({"channel_id": general})).await.get("ok").is_some());

    let oops = send(&member, "m1", "my password is hunter2").await;
    let theirs = send(&owner, "o1", "the owner's word").await;
    assert_eq!(next_message(&mut watching).await["seq"], oops);
    assert_eq!(next_message(&mut watching).await["seq"], theirs);

    // Someone else's message, as a plain member: refused, nothing changes.
    let e = delete(&member, theirs).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "forbidden"), "{e:?}");
    assert!(e.message.contains("only your own"), "{e:?}");
    // Their own: gone for everyone, live, as the channel's next event.
    delete(&member, oops).await.unwrap();
    let event = next_message(&mut watching).await;
    assert_eq!((event["kind"].as_str(), event["refers_to"].as_i64()), (Some("deleted"), Some(oops)), "{event}");
    assert_eq!((event["seq"].as_i64(), event["author"].as_str()), (Some(theirs + 1), Some("mark")));
    assert_eq!(event["body"], "");
    let shown = history(&member).await;
    let gone = shown.iter().find(|m| m["seq"] == oops).unwrap();
    assert_eq!((gone["deleted"].as_bool(), gone["body"].as_str()), (Some(true), Some("")), "{gone}");
    assert!(!shown.iter().any(|m| m.to_string().contains("hunter2")), "the text is gone from the store");
    let kept = shown.iter().find(|m| m["seq"] == theirs).unwrap();
    assert_eq!((kept["body"].as_str(), kept.get("deleted")), (Some("the owner's word"), None));

    // Again: no error, and no second event.
    delete(&member, oops).await.unwrap();
    assert_eq!(history(&member).await.len(), shown.len());

    // An owner deletes anyone's; a catching-up connection hears of it in order.
    let rude = send(&member, "m2", "something rude").await;
    let mut later = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    delete(&owner, rude).await.unwrap();
    let ack = later.request("join", &json!({"channel_id": general, "after_seq": rude})).await;
    let missed = ack["ok"]["missed"].as_array().unwrap();
    assert_eq!(missed.len(), 1, "{ack}");
    assert_eq!((missed[0]["kind"].as_str(), missed[0]["refers_to"].as_i64()), (Some("deleted"), Some(rude)));
    assert_eq!(missed[0]["author"], "olivia");

    // What is not a message, or not there, is answered as such.
    let joined = history(&member).await.into_iter().find(|m| m["kind"] == "joined").unwrap();
    let e = delete(&member, joined["seq"].as_i64().unwrap()).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "invalid"), "{e:?}");
    let e = delete(&member, 9999).await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (404, "not_found"), "{e:?}");

    // The log says who deleted whose, never what it said.
    let log = owner.ok("audit_log", &[("slug", "acme")]).await;
    let deletions: Vec<&Value> = log.as_array().unwrap().iter().filter(|e| e["action"] == "message_deleted").collect();
    assert_eq!(deletions.len(), 2, "once each: {deletions:#?}");
    assert_eq!((deletions[0]["actor"].as_str(), deletions[0]["subject"].as_str()), (Some("olivia"), Some("#general")));
    assert_eq!(deletions[0]["detail"], format!("message {rude} by mark"));
    assert_eq!(
        (deletions[1]["actor"].as_str(), deletions[1]["detail"].as_str()),
        (Some("mark"), Some(&*format!("message {oops} by mark")))
    );
    assert!(!log.to_string().contains("hunter2") && !log.to_string().contains("rude"));
    server.stop().await;
}

#[tokio::test]
async fn in_a_direct_conversation_only_the_author_deletes() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let mut live = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let direct = live.request("open_direct", &json!({"usernames": ["olivia"]})).await;
    let name = direct["ok"]["name"].as_str().unwrap().to_owned();
    let form =
        |client_id, body| vec![("slug", "acme"), ("channel", name.as_str()), ("client_id", client_id), ("body", body)];
    let seq = member.ok("send_message", &form("d1", "between us")).await["seq"].as_i64().unwrap();
    let seq = seq.to_string();
    let target = [("slug", "acme"), ("channel", name.as_str()), ("seq", seq.as_str())];
    let e = owner.err("delete_message", &target).await;
    assert_eq!(e.code, "forbidden", "the owner is in it, but it is not theirs: {e:?}");
    member.ok("delete_message", &target).await;
    server.stop().await;
}
