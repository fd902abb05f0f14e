//! Editing a message: its author replaces its text; every socket in the
//! channel hears an `edited` event in `seq` order, a reader away catches
//! up to the same text, anyone who reads the channel sees the earlier
//! texts, and deleting the message wipes them all.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);

fn texts(history: &Value) -> Vec<String> {
    let versions = history["versions"].as_array().expect("versions");
    versions.iter().map(|v| v["body"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_author_edits_everyone_sees_it_in_order_and_the_history_stays_until_deleted() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    assert!(hers.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();

    let sent = his.request("send", &json!({"channel_id": general, "client_id": "m1", "body": "helo"})).await;
    let seq = sent["ok"]["seq"].as_i64().expect("stored");
    assert_eq!(hers.next_event(SOON).await.map(|e| e.1["body"].clone()), Some(json!("helo")));

    // The author edits it, over the socket and over HTTP.
    let edit = json!({"channel_id": general, "seq": seq, "body": "hello"});
    let now = his.request("edit", &edit).await;
    assert_eq!(
        (&now["ok"]["body"], &now["ok"]["edited"], &now["ok"]["seq"]),
        (&json!("hello"), &json!(true), &json!(seq))
    );
    let (name, event) = hers.next_event(SOON).await.expect("the room hears it");
    assert_eq!(name, "message");
    assert_eq!((&event["kind"], &event["refers_to"], &event["body"]), (&json!("edited"), &json!(seq), &json!("hello")));
    assert_eq!(event["seq"], seq + 1, "the channel's next seq");
    let seq_text = seq.to_string();
    let form = [("slug", "acme"), ("channel", "general"), ("seq", seq_text.as_str()), ("body", "hello, world")];
    let over_http = mark.ok("edit_message", &form).await;
    assert_eq!(over_http["body"], "hello, world");
    assert_eq!(hers.next_event(SOON).await.map(|e| e.1["seq"].clone()), Some(json!(seq + 2)));

    // The same text again changes nothing and is no event.
    let again = his.request("edit", &json!({"channel_id": general, "seq": seq, "body": "hello, world"})).await;
    assert_eq!(again["ok"]["body"], "hello, world");
    assert_eq!(hers.next_event(Duration::from_millis(300)).await, None);

    // A reader who was away catches up to the same text, and anyone who
    // reads the channel sees what it said before.
    let history = olivia.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let shown: Vec<&Value> = history["messages"].as_array().unwrap().iter().filter(|m| m["seq"] == seq).collect();
    assert_eq!((&shown[0]["body"], &shown[0]["edited"]), (&json!("hello, world"), &json!(true)));
    let asked = [("slug", "acme"), ("channel", "general"), ("seq", seq_text.as_str())];
    let before = olivia.ok("edit_history", &asked).await;
    assert_eq!(texts(&before), ["helo", "hello"]);
    assert_eq!(before["message"]["body"], "hello, world");

    // Refused, and nothing stored: another's words (an owner's too), a
    // deleted message, what is not a message, bad text, no such message.
    let hers_too = hers.request("edit", &json!({"channel_id": general, "seq": seq, "body": "mine"})).await;
    assert_eq!(hers_too["error"]["code"], "forbidden", "{hers_too}");
    for (body, code) in [("", "invalid"), (&*"x".repeat(4001), "too_large")] {
        let refused = his.request("edit", &json!({"channel_id": general, "seq": seq, "body": body})).await;
        assert_eq!(refused["error"]["code"], code, "{refused}");
    }
    let joined = his.request("edit", &json!({"channel_id": general, "seq": 1, "body": "x"})).await;
    assert_eq!(joined["error"]["code"], "invalid", "{joined}");
    let nothing = his.request("edit", &json!({"channel_id": general, "seq": 999, "body": "x"})).await;
    assert_eq!(nothing["error"]["code"], "not_found", "{nothing}");
    let malformed = his.request("edit", &json!({"channel_id": general, "seq": "one"})).await;
    assert_eq!(malformed["error"]["code"], "invalid", "{malformed}");
    assert_eq!(hers.next_event(Duration::from_millis(300)).await, None, "none of it reached the room");

    // Deleting wipes it all: the text, the earlier ones, the edits' text.
    mark.ok("delete_message", &asked).await;
    let gone = olivia.ok("edit_history", &asked).await;
    assert_eq!((texts(&gone).len(), &gone["message"]["deleted"]), (0, &json!(true)));
    let history = olivia.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let edits = history["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "edited");
    assert!(edits.clone().count() == 2 && edits.clone().all(|m| m["body"] == ""), "{history}");
    let late = his.request("edit", &json!({"channel_id": general, "seq": seq, "body": "back"})).await;
    assert_eq!(late["error"]["code"], "conflict", "{late}");
    server.stop().await;
}
