//! Reactions: anyone who reads a channel puts an emoji on a message, once
//! each; every socket in the room hears it in `seq` order, pages carry the
//! counts, a reader away catches up to the same, and what is not an emoji,
//! not a message or not readable is refused.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

/// `(emoji, user ids)` of message `seq` in a history page.
fn reactions_at(history: &Value, seq: i64) -> Vec<(String, Vec<i64>)> {
    let messages = history["messages"].as_array().expect("messages");
    let m = messages.iter().find(|m| m["seq"] == seq && m["kind"] == "message").expect("the message");
    let Some(all) = m["reactions"].as_array() else { return Vec::new() };
    all.iter()
        .map(|r| {
            let ids = r["user_ids"].as_array().unwrap().iter().map(|id| id.as_i64().unwrap()).collect();
            (r["emoji"].as_str().unwrap().to_owned(), ids)
        })
        .collect()
}

#[tokio::test]
async fn reactions_reach_the_room_in_order_are_counted_once_and_come_with_the_history() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let me = olivia.ok("me", &[]).await["id"].as_i64().unwrap();
    let him = mark.ok("me", &[]).await["id"].as_i64().unwrap();
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    assert!(hers.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let sent = hers.request("send", &json!({"channel_id": general, "client_id": "o1", "body": "ship it?"})).await;
    let seq = sent["ok"]["seq"].as_i64().expect("stored");
    assert_eq!(hers.next_event(SOON).await.map(|e| e.1["seq"].clone()), Some(json!(seq)));

    // Mark reacts over the socket, Olivia over HTTP; twice is once.
    let thumbs = json!({"channel_id": general, "seq": seq, "emoji": "👍"});
    assert_eq!(his.request("react", &thumbs).await, json!({"ok": null}));
    assert_eq!(his.request("react", &thumbs).await, json!({"ok": null}), "the same again is no change");
    let seq_text = seq.to_string();
    let at = [("slug", "acme"), ("channel", "general"), ("seq", seq_text.as_str())];
    olivia.ok("react", &[at[0], at[1], at[2], ("emoji", "🎉")]).await;
    olivia.ok("react", &[at[0], at[1], at[2], ("emoji", "👍🏽")]).await;
    let mut heard = Vec::new();
    while let Some((_, e)) = hers.next_event(QUIET).await {
        heard.push((
            e["kind"].as_str().unwrap().to_owned(),
            e["body"].as_str().unwrap().to_owned(),
            e["seq"].as_i64().unwrap(),
        ));
        assert_eq!(e["refers_to"], seq);
    }
    let kinds = ["👍", "🎉", "👍🏽"].map(|emoji| ("reaction_added".to_owned(), emoji.to_owned()));
    assert_eq!(heard.iter().map(|(k, b, _)| (k.clone(), b.clone())).collect::<Vec<_>>(), kinds);
    assert_eq!(heard.iter().map(|h| h.2).collect::<Vec<_>>(), vec![seq + 1, seq + 2, seq + 3], "in seq order");

    // A page has them, each emoji once, in the order first put there.
    let history = mark.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let expected = vec![("👍".to_owned(), vec![him]), ("🎉".to_owned(), vec![me]), ("👍🏽".to_owned(), vec![me])];
    assert_eq!(reactions_at(&history, seq), expected);

    // Taken back: gone, once.
    let back = json!({"channel_id": general, "seq": seq, "emoji": "👍", "remove": true});
    assert_eq!(his.request("react", &back).await, json!({"ok": null}));
    assert_eq!(his.request("react", &back).await, json!({"ok": null}));
    let (_, e) = hers.next_event(SOON).await.expect("heard");
    assert_eq!((e["kind"].as_str(), e["body"].as_str()), (Some("reaction_removed"), Some("👍")));
    assert_eq!(hers.next_event(QUIET).await, None, "taking back twice is one event");
    let resumed = hers.request("join", &json!({"channel_id": general, "after_seq": seq - 1})).await;
    let missed = &resumed["ok"]["missed"];
    assert_eq!(reactions_at(&json!({"messages": missed}), seq).len(), 2, "a resume page has them too: {missed}");

    // Refused, nothing stored: not an emoji, not a message, no such message, malformed.
    for (emoji, at_seq, code) in [
        ("thumbs", seq, "invalid"),
        ("👍👍", seq, "invalid"),
        ("", seq, "invalid"),
        ("👍", 1, "invalid"),
        ("👍", 999, "not_found"),
    ] {
        let refused = his.request("react", &json!({"channel_id": general, "seq": at_seq, "emoji": emoji})).await;
        assert_eq!(refused["error"]["code"], code, "{emoji:?} on {at_seq}: {refused}");
    }
    let malformed = his.request("react", &json!({"channel_id": general, "emoji": "👍"})).await;
    assert_eq!(malformed["error"]["code"], "invalid", "{malformed}");
    assert_eq!(hers.next_event(QUIET).await, None, "none of it reached the room");

    // At most 20 different emoji on one message.
    for emoji in
        ["😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "😉", "😊", "😇", "🥰", "😍", "🤩", "😘", "😗"]
    {
        olivia.ok("react", &[at[0], at[1], at[2], ("emoji", emoji)]).await;
    }
    let full = his.request("react", &json!({"channel_id": general, "seq": seq, "emoji": "🚀"})).await;
    assert_eq!(full["error"]["code"], "conflict", "{full}");
    assert_eq!(
        his.request("react", &json!({"channel_id": general, "seq": seq, "emoji": "🎉"})).await,
        json!({"ok": null}),
        "one already there still counts"
    );

    // Deleting the message takes its reactions with it.
    olivia.ok("delete_message", &at).await;
    let history = mark.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    assert!(reactions_at(&history, seq).is_empty());
    let late = his.request("react", &thumbs).await;
    assert_eq!(late["error"]["code"], "conflict", "{late}");
    server.stop().await;
}
