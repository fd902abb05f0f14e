//! Presence: someone is online in an organization while any of their sockets
//! is connected to it, and a grace period after the last one went (so a
//! reload does not flicker); changes are pushed to the organization only.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, org_with_two_members};

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

/// Reads `presence` batches until one says where `user_id` stands; that.
async fn heard(s: &mut SioClient, user_id: i64, wait: Duration) -> Option<bool> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let (event, batch) = s.next_event(left).await?;
        assert_eq!(event, "presence");
        let changes = batch["changes"].as_array().expect("a batch of changes");
        if let Some(change) = changes.iter().find(|c| c["user_id"] == user_id) {
            return change["online"].as_bool();
        }
    }
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
    assert_eq!(heard(&mut o, mark_id, SOON).await, Some(true));

    // His phone adds nothing; the laptop going changes nothing either.
    let phone_session = server.client();
    phone_session.ok("login", &[("username", "mark"), ("password", "correct horse battery")]).await;
    let mut phone = socket(&server, "/acme", &phone_session).await;
    assert_eq!(online_list(&mut phone).await, both);
    drop(laptop);
    assert_eq!(heard(&mut o, mark_id, GRACE * 2).await, None, "still online on his phone");

    // A reload of the last socket, within the grace period: no flicker.
    drop(phone);
    tokio::time::sleep(GRACE / 4).await;
    let mut reloaded = socket(&server, "/acme", &phone_session).await;
    assert_eq!(online_list(&mut reloaded).await, both);
    assert_eq!(heard(&mut o, mark_id, GRACE * 2).await, None, "no offline, no online");

    // Gone for good: offline once the grace period is over, not before.
    drop(reloaded);
    assert_eq!(heard(&mut o, mark_id, GRACE / 2).await, None, "not during the grace period");
    assert_eq!(heard(&mut o, mark_id, SOON).await, Some(false));
    // Beta hears its own arrival (Zed's), nothing of Acme's.
    assert_eq!(heard(&mut z, mark_id, QUIET * 3).await, None, "another organization hears none of it");
    server.stop().await;
}

#[tokio::test]
async fn a_crowd_arriving_at_once_is_pushed_in_a_batch_or_two() {
    let server = TestServer::start().await;
    let (olivia, _mark) = org_with_two_members(&server).await;
    let invite = olivia.ok("create_invite", &[("slug", "acme")]).await;
    let mut crowd = Vec::new();
    for n in 0..8 {
        let api = server.client();
        api.register(&format!("person{n}")).await;
        api.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
        crowd.push(api);
    }
    let mut o = socket(&server, "/acme", &olivia).await;
    online_list(&mut o).await;
    // Her own arrival's batch first.
    assert_eq!(heard(&mut o, user_id(&olivia).await, SOON).await, Some(true));
    // All at once, as after a restart.
    let _sockets = futures::future::join_all(crowd.iter().map(|api| socket(&server, "/acme", api))).await;
    // Eight arrivals, at most two pushes (they may straddle one flush).
    let mut online = std::collections::HashSet::new();
    let mut pushes = 0;
    while online.len() < 8 {
        let (event, batch) = o.next_event(SOON).await.expect("the crowd is announced");
        assert_eq!(event, "presence");
        pushes += 1;
        for c in batch["changes"].as_array().unwrap() {
            assert_eq!(c["online"], true);
            online.insert(c["user_id"].as_i64().unwrap());
        }
    }
    assert!(pushes <= 2, "{pushes} pushes for 8 arrivals");
    server.stop().await;
}
