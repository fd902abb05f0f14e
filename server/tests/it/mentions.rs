//! Mentions: `@name` tells the person named (and `@channel` / `@here`, from
//! owners and admins, everyone in the channel / everyone there online) on
//! every device, counted apart from unread until read; never anyone who may
//! not read the channel, and nobody learns they were left out.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(300);

async fn send(api: &Api, channel: &str, client_id: &str, body: &str) -> Value {
    api.ok("send_message", &[("slug", "acme"), ("channel", channel), ("client_id", client_id), ("body", body)]).await
}

/// `#general`'s unread and mention counts in `api`'s view of the organization.
async fn counts(api: &Api) -> (i64, i64) {
    let view = api.ok("org", &[("slug", "acme")]).await;
    let general = view["channels"].as_array().unwrap().iter().find(|c| c["name"] == "general").unwrap().clone();
    (general["unread"].as_i64().unwrap(), general["mentions"].as_i64().unwrap())
}

/// The notices `s` hears until it goes quiet: what each tells, and its body.
async fn notices(s: &mut SioClient) -> Vec<(String, Value)> {
    let mut heard = Vec::new();
    while let Some((name, data)) = s.next_event(QUIET).await {
        if name == "notice" {
            let (what, body, _) = crate::support::sio::notice_parts(&data);
            heard.push((what, body));
        }
    }
    heard
}

/// A third member of `acme`, who has joined `#general` as everyone does.
async fn third_member(server: &TestServer, owner: &Api, name: &str) -> Api {
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let api = server.client();
    api.register(name).await;
    api.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    api
}

#[tokio::test]
async fn a_mention_tells_the_person_on_every_device_and_counts_apart_until_read() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();

    let sent = send(&olivia, "general", "o1", "@Mark can you look? (not @markus, nor `@mark`)").await;
    let seq = sent["seq"].as_i64().unwrap();
    assert_eq!(notices(&mut his).await, vec![("mentioned".into(), json!({"channel_id": general, "seq": seq}))]);
    send(&olivia, "general", "o1", "@Mark can you look? (not @markus, nor `@mark`)").await;
    assert_eq!(notices(&mut his).await, vec![], "a retry is the same message: no second mention");
    send(&olivia, "general", "o2", "no one named here").await;
    assert_eq!(counts(&mark).await, (2, 1), "the mention counts apart from the unread");
    let listed = mark.ok("mentions", &[("slug", "acme")]).await;
    let bodies: Vec<&str> = listed.as_array().unwrap().iter().map(|m| m["message"]["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, vec!["@Mark can you look? (not @markus, nor `@mark`)"]);
    assert_eq!(olivia.ok("mentions", &[("slug", "acme")]).await, json!([]), "the author mentioned nobody of hers");

    // Read on his phone: cleared.
    let read = his.request("read", &json!({"channel_id": general, "seq": seq})).await;
    assert!(read.get("ok").is_some(), "{read}");
    assert_eq!(counts(&mark).await, (1, 0));

    // @channel: from an owner it reaches everyone in the channel; from a
    // member, nobody (it is only text then).
    notices(&mut his).await;
    send(&olivia, "general", "o3", "@channel the build is green").await;
    let (what, _) = &notices(&mut his).await[0];
    assert_eq!(what, "mentioned");
    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    send(&mark, "general", "m1", "@channel lunch?").await;
    assert_eq!(notices(&mut hers).await, vec![], "a member's @channel tells nobody");
    server.stop().await;
}

#[tokio::test]
async fn here_reaches_only_those_online() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let nina = third_member(&server, &olivia, "nina").await;
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    // Presence takes a moment to count a new socket.
    tokio::time::sleep(Duration::from_millis(300)).await;
    send(&olivia, "general", "o1", "@here standup in 5").await;
    assert_eq!(notices(&mut his).await.len(), 1, "Mark is online");
    assert_eq!(counts(&nina).await.1, 0, "Nina is not");
    assert_eq!(nina.ok("mentions", &[("slug", "acme")]).await, json!([]));
    server.stop().await;
}

#[tokio::test]
async fn a_mention_never_reaches_past_a_restricted_channel() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let leads = olivia.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "private")]).await;
    let leads = leads["name"].as_str().unwrap().to_owned();
    notices(&mut his).await;

    // Mentioned where he may not read: stored for her like any message, and
    // nothing at all for him.
    let sent = send(&olivia, &leads, "o1", "@mark should not hear of the secret plan").await;
    assert!(sent["seq"].as_i64().is_some());
    assert_eq!(notices(&mut his).await, vec![]);
    assert_eq!(mark.ok("mentions", &[("slug", "acme")]).await, json!([]));
    let view = mark.ok("org", &[("slug", "acme")]).await.to_string();
    assert!(!view.contains("leads") && !view.contains("secret"), "{view}");
    server.stop().await;
}

#[tokio::test]
async fn a_mention_in_a_reply_follows_the_thread_and_counts_there() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let general = channel_id(&olivia, "acme", "general").await;
    let nina = third_member(&server, &olivia, "nina").await;
    let root = send(&olivia, "general", "o1", "release notes?").await["seq"].as_i64().unwrap();
    let mut his = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    let root_s = root.to_string();
    let form = [
        ("slug", "acme"),
        ("channel", "general"),
        ("client_id", "n1"),
        ("body", "@mark wrote them"),
        ("thread_of", root_s.as_str()),
    ];
    let reply = nina.ok("send_message", &form).await["seq"].as_i64().unwrap();
    let mut heard = notices(&mut his).await;
    heard.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        heard,
        vec![
            ("mentioned".into(), json!({"channel_id": general, "seq": reply, "thread_of": root})),
            ("thread_followed".into(), json!({"channel_id": general, "root_seq": root, "following": true})),
        ]
    );
    assert_eq!(counts(&mark).await.1, 0, "it counts in the thread, not in the channel");
    let threads = mark.ok("followed_threads", &[("slug", "acme")]).await;
    assert_eq!((threads[0]["root_seq"].as_i64(), threads[0]["unread"].as_i64()), (Some(root), Some(1)));
    server.stop().await;
}

#[tokio::test]
async fn owners_may_let_members_mention_everyone() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let refused = mark.err("set_mention_policy", &[("slug", "acme"), ("allowed", "true")]).await;
    assert_eq!((refused.status, refused.code.as_str()), (403, "forbidden"));
    assert_eq!(olivia.ok("set_mention_policy", &[("slug", "acme"), ("allowed", "true")]).await, json!(true));
    assert_eq!(mark.ok("org", &[("slug", "acme")]).await["members_mention_all"], true);

    let mut hers = SioClient::connect(server.addr, "/acme", &olivia.cookie_header(), None).await.unwrap();
    send(&mark, "general", "m1", "@channel lunch?").await;
    let heard = notices(&mut hers).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, "mentioned");

    // Taken back: a member's @channel is text again.
    assert_eq!(olivia.ok("set_mention_policy", &[("slug", "acme")]).await, json!(false));
    send(&mark, "general", "m2", "@channel dinner?").await;
    assert_eq!(notices(&mut hers).await, vec![]);
    let log = olivia.ok("audit_log", &[("slug", "acme")]).await;
    assert_eq!(log[0]["detail"], "only owners and admins may mention @channel and @here");
    server.stop().await;
}
