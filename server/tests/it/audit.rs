//! The audit log: who did what in an organization, when and from where,
//! for its owners and admins only.

use std::net::{IpAddr, Ipv4Addr};

use crate::support::{Api, TestServer, org_with_two_members};
use serde_json::Value;

/// The owner's view of `acme`'s log, newest first.
async fn log(api: &Api, extra: &[(&str, &str)]) -> Vec<Value> {
    let mut form = vec![("slug", "acme")];
    form.extend_from_slice(extra);
    api.ok("audit_log", &form).await.as_array().unwrap().clone()
}

fn find<'a>(entries: &'a [Value], action: &str, actor: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["action"] == action && e["actor"] == actor)
        .unwrap_or_else(|| panic!("no {action} by {actor} in {entries:#?}"))
}

#[tokio::test]
async fn who_did_what_when_and_from_where() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let away = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 7));

    // Mark signs in again from another address.
    let mark_elsewhere = server.client_from(away);
    mark_elsewhere.ok("login", &[("username", "mark"), ("password", crate::support::PASSWORD)]).await;
    owner.ok("set_role", &[("slug", "acme"), ("username", "mark"), ("role", "supervisor")]).await;
    let leads = owner.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "supervisor")]).await;
    mark_elsewhere.ok("join_channel", &[("slug", "acme"), ("channel", leads["name"].as_str().unwrap())]).await;
    let plans = owner.ok("create_channel", &[("slug", "acme"), ("name", "plans"), ("kind", "private")]).await;
    let plans = plans["name"].as_str().unwrap();
    owner.ok("add_to_channel", &[("slug", "acme"), ("channel", plans), ("username", "mark")]).await;
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let tess = server.client();
    tess.register("tess").await;
    tess.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    owner.ok("remove_member", &[("slug", "acme"), ("username", "tess")]).await;
    let spare = owner.ok("create_invite", &[("slug", "acme")]).await;
    let listed = owner.ok("list_invites", &[("slug", "acme")]).await;
    let id = listed["invites"][0]["id"].as_str().unwrap().to_owned();
    owner.ok("revoke_invite", &[("slug", "acme"), ("id", &id)]).await;
    assert!(spare["token"].is_string());

    // Someone only in another organization: their sign-ins are not acme's business.
    let stranger = server.client();
    stranger.register("sven").await;
    stranger.ok("create_org", &[("name", "Other"), ("slug", "other")]).await;
    stranger.ok("login", &[("username", "sven"), ("password", crate::support::PASSWORD)]).await;

    let entries = log(&owner, &[]).await;
    let signed_in = find(&entries, "signed_in", "mark");
    assert_eq!(signed_in["address"], "127.0.0.7");
    let role = find(&entries, "role_changed", "olivia");
    assert_eq!((role["subject"].as_str(), role["detail"].as_str()), (Some("mark"), Some("member → supervisor")));
    let created = find(&entries, "channel_created", "olivia");
    assert_eq!(created["subject"], "#plans", "the newest creation first");
    let joined = find(&entries, "channel_joined", "mark");
    assert_eq!((joined["subject"].as_str(), joined["detail"].as_str()), (Some("#leads"), Some("supervisor")));
    assert_eq!(joined["address"], "127.0.0.7");
    let added = find(&entries, "added_to_channel", "olivia");
    assert_eq!((added["subject"].as_str(), added["detail"].as_str()), (Some("mark"), Some("#plans (private)")));
    assert_eq!(find(&entries, "joined_org", "tess")["detail"], "invited by olivia");
    assert_eq!(find(&entries, "member_removed", "olivia")["subject"], "tess");
    find(&entries, "invite_created", "olivia");
    find(&entries, "invite_revoked", "olivia");
    assert!(entries.iter().all(|e| e["actor"] != "sven"), "another organization's people stay out");
    assert!(entries.iter().all(|e| e["address"].as_str().is_some_and(|a| a.starts_with("127."))));
    assert!(entries.iter().all(|e| e["at"].as_i64().unwrap() > 1_700_000_000_000));
    let ids: Vec<i64> = entries.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    // Paged: two at a time, each page older than the last.
    let first = log(&owner, &[("limit", "2")]).await;
    assert_eq!(first.len(), 2);
    let before = first[1]["id"].as_i64().unwrap().to_string();
    let second = log(&owner, &[("limit", "2"), ("before", &before)]).await;
    assert_eq!(second[0]["id"], entries[2]["id"]);

    // Leaving is recorded too; members read no log, outsiders learn nothing.
    assert_eq!(member.err("audit_log", &[("slug", "acme")]).await.code, "forbidden");
    assert_eq!(stranger.err("audit_log", &[("slug", "acme")]).await.code, "not_found");
    member.ok("leave_org", &[("slug", "acme")]).await;
    let entries = log(&owner, &[]).await;
    assert_eq!(entries[0]["action"], "left_org");
    assert_eq!(entries[0]["actor"], "mark");
    server.stop().await;
}
