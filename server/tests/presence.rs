//! Presence: someone is online in an organization while any of their sockets
//! is connected to it, and a grace period after the last one went (so a
//! reload does not flicker); changes are pushed to the organization only.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::sio::SioClient;
use support::{Api, TestServer, org_with_two_members};

const SOON: Duration = Duration::from_secs(3);
const QUIET: Duration = Duration::from_millis(300);
/// The grace period of the test server.
const GRACE: Duration = Duration::from_millis(600);

async fn socket(server: &TestServer, ns: &str, api: &Api) -> SioClient {
    let mut s = SioClient::connect(server.addr, ns, &api.cookie_header(), None).await.expect("connects");
    s.hear_presence();
    s
}

/// The `online` list a socket is told as it connects, sorted.
async fn online_list(s: &mut SioClient) -> Vec<i64> {
    let (event, list) = s.next_event(SOON).await.expect("the online list");
    assert_eq!(event, "online");
    let mut ids: Vec<i64> = list["user_ids"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

async fn user_id(api: &Api) -> i64 {
    api.ok("me", &[]).await["id"].as_i64().unwrap()
}

#[tokio::test]
async fn presence_follows_the_last_socket_with_a_grace_period() {
    let server = TestServer::start_with(|c| c.presence_grace_ms = GRACE.as_millis() as u64).await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let (olivia_id, mark_id) = (user_id(&olivia).await, user_id(&mark).await);
    let zed = server.client();
    zed.register("zed").await;
    zed.ok("create_org", &[("name", "Beta"), ("slug", "beta")]).await;
    let mut z = socket(&server, "/beta", &zed).await;
    assert_eq!(online_list(&mut z).await.len(), 1);

    let mut o = socket(&server, "/acme", &olivia).await;
    assert_eq!(online_list(&mut o).await, vec![olivia_id]);

    // Mark's laptop comes: Olivia hears it, Mark is told both are online.
    let mut laptop = socket(&server, "/acme", &mark).await;
    let mut both = vec![olivia_id, mark_id];
    both.sort_unstable();
    assert_eq!(online_list(&mut laptop).await, both);
    let came: Option<(String, Value)> = o.next_event(SOON).await;
    assert_eq!(came, Some(("presence".into(), json!({"user_id": mark_id, "online": true}))));

    // His phone adds nothing; the laptop going changes nothing either.
    let phone_session = server.client();
    phone_session.ok("login", &[("username", "mark"), ("password", "correct horse battery")]).await;
    let mut phone = socket(&server, "/acme", &phone_session).await;
    assert_eq!(online_list(&mut phone).await, both);
    drop(laptop);
    assert_eq!(o.next_event(GRACE * 2).await, None, "still online on his phone");

    // A reload of the last socket, within the grace period: no flicker.
    drop(phone);
    tokio::time::sleep(GRACE / 4).await;
    let mut reloaded = socket(&server, "/acme", &phone_session).await;
    assert_eq!(online_list(&mut reloaded).await, both);
    assert_eq!(o.next_event(GRACE * 2).await, None, "no offline, no online");

    // Gone for good: offline once the grace period is over, not before.
    drop(reloaded);
    assert_eq!(o.next_event(GRACE / 2).await, None, "not during the grace period");
    let went = o.next_event(SOON).await;
    assert_eq!(went, Some(("presence".into(), json!({"user_id": mark_id, "online": false}))));
    assert_eq!(z.next_event(QUIET).await, None, "another organization hears none of it");
    server.stop().await;
}
