//! Direct conversations: a few members of one organization write to each
//! other; each participant's every socket gets them, devices that were away
//! catch up by `seq`, and nobody else sees them or learns they exist.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, org_with_two_members};
use serde_json::{Value, json};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);

async fn socket(server: &TestServer, ns: &str, api: &Api) -> SioClient {
    SioClient::connect(server.addr, ns, &api.cookie_header(), None).await.expect("connects")
}

/// Another session of an account: a second device.
async fn device(server: &TestServer, username: &str) -> Api {
    let api = server.client();
    api.ok("login", &[("username", username), ("password", "correct horse battery")]).await;
    api
}

async fn joined(s: &mut SioClient, channel_id: i64, after_seq: i64) -> Value {
    let ack = s.request("join", &json!({"channel_id": channel_id, "after_seq": after_seq})).await;
    ack.get("ok").cloned().unwrap_or_else(|| panic!("join refused: {ack}"))
}

#[tokio::test]
async fn a_direct_message_reaches_every_device_of_its_people_and_no_one_else() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    // Nora is in the organization too; Zed only in another one.
    let invite = olivia.ok("create_invite", &[("slug", "acme")]).await;
    let nora = server.client();
    nora.register("nora").await;
    nora.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let zed = server.client();
    zed.register("zed").await;
    zed.ok("create_org", &[("name", "Beta"), ("slug", "beta")]).await;
    let mark_phone = device(&server, "mark").await;

    let mut o = socket(&server, "/acme", &olivia).await;
    let mut m_laptop = socket(&server, "/acme", &mark).await;
    let mut m_phone = socket(&server, "/acme", &mark_phone).await;
    let mut n = socket(&server, "/acme", &nora).await;
    let mut z = socket(&server, "/beta", &zed).await;

    let ack = o.request("open_direct", &json!({"usernames": ["Mark"]})).await;
    let dm = ack["ok"].clone();
    assert_eq!(dm["kind"], "direct", "{ack}");
    assert_eq!(dm["joined"], true);
    assert_eq!(dm["people"].as_array().map(Vec::len), Some(2));
    let dm_id = dm["id"].as_i64().unwrap();
    let dm_name = dm["name"].as_str().unwrap().to_owned();

    // Both of Mark's devices (and Olivia's own) hear of it at once.
    for s in [&mut m_laptop, &mut m_phone, &mut o] {
        let (what, channel, _) = s.next_notice(SOON).await.expect("announced");
        assert_eq!((what.as_str(), channel["id"].as_i64()), ("channel_added", Some(dm_id)));
        assert_eq!(channel["joined"], true);
    }
    assert_eq!(n.next_event(QUIET).await, None, "a third member hears nothing");
    assert_eq!(z.next_event(QUIET).await, None, "another organization hears nothing");

    for s in [&mut o, &mut m_laptop, &mut m_phone] {
        joined(s, dm_id, 0).await;
    }
    // Nora can neither subscribe, nor write, nor read it, and is told nothing
    // she would not be told of a conversation that does not exist.
    for (event, req) in [
        ("join", json!({"channel_id": dm_id})),
        ("send", json!({"channel_id": dm_id, "client_id": "n1", "body": "let me in"})),
        ("read", json!({"channel_id": dm_id, "seq": 1})),
    ] {
        let ack = n.request(event, &req).await;
        assert_eq!(ack["error"]["code"], "not_found", "{event}: {ack}");
    }
    n.emit("typing", &json!({"channel_id": dm_id})).await;
    assert_eq!(m_laptop.next_event(QUIET).await, None, "a stranger's typing goes nowhere");
    let missing = "dm:1:999";
    for name in [dm_name.as_str(), missing] {
        let e = nora.err("history", &[("slug", "acme"), ("channel", name)]).await;
        assert_eq!(e.status, 404);
        assert_eq!(e.message, format!("There is no channel #{name} here."));
    }
    let listed = nora.ok("list_channels", &[("slug", "acme")]).await;
    assert!(!listed.as_array().unwrap().iter().any(|c| c["kind"] == "direct"), "not listed for others: {listed}");

    let sent = o.request("send", &json!({"channel_id": dm_id, "client_id": "o1", "body": "hi Mark"})).await;
    assert_eq!(sent["ok"]["seq"], 1, "{sent}");
    for s in [&mut m_laptop, &mut m_phone, &mut o] {
        let (event, message) = s.next_event(SOON).await.expect("delivered");
        assert_eq!((event.as_str(), message["body"].as_str()), ("message", Some("hi Mark")));
    }
    assert_eq!(n.next_event(QUIET).await, None);
    assert_eq!(z.next_event(QUIET).await, None);

    // A device that was offline catches up by seq, like in any channel.
    let mark_tablet = device(&server, "mark").await;
    let mut m_tablet = socket(&server, "/acme", &mark_tablet).await;
    let caught_up = joined(&mut m_tablet, dm_id, 0).await;
    assert_eq!(caught_up["missed"][0]["body"], "hi Mark");
    let listed = mark_tablet.ok("list_channels", &[("slug", "acme")]).await;
    let listed = listed.as_array().unwrap().iter().find(|c| c["id"] == dm_id).cloned().expect("listed for Mark");
    assert_eq!(listed["unread"], 1);

    // The same people meet in the same conversation, and nobody hears of it again.
    let again = m_laptop.request("open_direct", &json!({"usernames": ["olivia"]})).await;
    assert_eq!(again["ok"]["id"], dm_id);
    assert_eq!(o.next_event(QUIET).await, None);
    // Mark answers from his phone; everyone in it gets it once.
    m_phone.request("send", &json!({"channel_id": dm_id, "client_id": "m1", "body": "hello"})).await;
    for s in [&mut o, &mut m_laptop, &mut m_phone, &mut m_tablet] {
        assert_eq!(s.next_event(SOON).await.map(|e| e.1["seq"].clone()), Some(json!(2)));
        assert_eq!(s.next_event(QUIET).await, None, "once");
    }

    // Over HTTP too (a bot without a socket), and no one can leave or join it by hand.
    let over_http =
        mark.ok("send_message", &[("slug", "acme"), ("channel", &dm_name), ("client_id", "m2"), ("body", "x")]).await;
    assert_eq!(over_http["seq"], 3);
    let e = mark.err("leave_channel", &[("slug", "acme"), ("channel", &dm_name)]).await;
    assert_eq!(e.status, 403);
    let e = nora.err("join_channel", &[("slug", "acme"), ("channel", &dm_name)]).await;
    assert_eq!(e.status, 404);
    server.stop().await;
}

#[tokio::test]
async fn group_conversations_have_up_to_eight_people_of_one_organization() {
    let server = TestServer::start().await;
    let (olivia, _mark) = org_with_two_members(&server).await;
    let invite = olivia.ok("create_invite", &[("slug", "acme")]).await;
    let mut names = vec!["mark".to_owned()];
    for n in 0..7 {
        let api = server.client();
        let name = format!("member{n}");
        api.register(&name).await;
        api.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
        names.push(name);
    }
    let outsider = server.client();
    outsider.register("zed").await;
    let nora = server.client();
    nora.register("nora").await;
    nora.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    let mut n = socket(&server, "/acme", &nora).await;

    let mut o = socket(&server, "/acme", &olivia).await;
    // Seven others and Olivia: eight, the most.
    let group = o.request("open_direct", &json!({"usernames": names[..7]})).await;
    assert_eq!(group["ok"]["people"].as_array().map(Vec::len), Some(8), "{group}");
    let too_many = o.request("open_direct", &json!({"usernames": names})).await;
    assert_eq!(too_many["error"]["code"], "invalid", "{too_many}");
    let alone = o.request("open_direct", &json!({"usernames": ["olivia"]})).await;
    assert_eq!(alone["error"]["code"], "invalid", "{alone}");
    let stranger = o.request("open_direct", &json!({"usernames": ["mark", "zed"]})).await;
    assert_eq!(stranger["error"]["code"], "not_found", "{stranger}");
    assert_eq!(stranger["error"]["message"], "zed is not a member of this organization.");
    let malformed = o.request("open_direct", &json!({"usernames": "mark"})).await;
    assert_eq!(malformed["error"]["code"], "invalid", "{malformed}");
    assert_eq!(n.next_event(QUIET).await, None, "not in it, not told");

    // A group with Nora in it: she hears of it, with everyone in it.
    let with_nora =
        olivia.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "nora"), ("usernames[3]", "mark")]).await;
    let (what, channel, _) = n.next_notice(SOON).await.expect("announced");
    assert_eq!(what, "channel_added");
    assert_eq!(channel["id"], with_nora["id"]);
    assert_eq!(channel["people"].as_array().map(Vec::len), Some(3));
    server.stop().await;
}
