//! Roles and restricted channels, end to end: who changes roles, supervisor
//! channels that members do not even learn exist, private channels for the
//! people added to them, and a change of role taking effect at once on the
//! live stream.

use std::time::Duration;

use crate::support::sio::{SioClient, notice_parts};
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::{Value, json};

const QUIET: Duration = Duration::from_millis(400);

/// The names of the channels `api` sees in org `acme`.
async fn seen(api: &Api) -> Vec<String> {
    let listed = api.ok("list_channels", &[("slug", "acme")]).await;
    // As people read them: a restricted channel's address without its tag.
    let label = |c: &serde_json::Value| c["name"].as_str().unwrap().split('~').next().unwrap().to_owned();
    listed.as_array().unwrap().iter().map(label).collect()
}

async fn create(api: &Api, name: &str, kind: &str) -> Result<serde_json::Value, crate::support::CallError> {
    api.call("create_channel", &[("slug", "acme"), ("name", name), ("kind", kind)]).await
}

/// A third person, `name`, invited into `acme` by `owner`.
async fn invite(server: &TestServer, owner: &Api, name: &str) -> Api {
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let person = server.client();
    person.register(name).await;
    person.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    person
}

async fn set_role(api: &Api, username: &str, role: &str) -> Result<Value, crate::support::CallError> {
    api.call("set_role", &[("slug", "acme"), ("username", username), ("role", role)]).await
}

#[tokio::test]
async fn owners_and_admins_change_roles_and_an_organization_keeps_an_owner() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let third = invite(&server, &owner, "tess").await;

    // A member changes nobody's role, their own included.
    for (who, role) in [("tess", "admin"), ("mark", "owner"), ("olivia", "member")] {
        let e = set_role(&member, who, role).await.unwrap_err();
        assert_eq!(e.code, "forbidden", "{who} {role}: {e:?}");
    }
    let made = set_role(&owner, "mark", "admin").await.unwrap();
    assert_eq!(made["role"], "admin");
    // An admin promotes and demotes others, but makes no owner and leaves owners alone.
    assert_eq!(set_role(&member, "tess", "supervisor").await.unwrap()["role"], "supervisor");
    assert_eq!(set_role(&member, "tess", "member").await.unwrap()["role"], "member");
    assert_eq!(set_role(&member, "tess", "owner").await.unwrap_err().code, "forbidden");
    assert_eq!(set_role(&member, "olivia", "member").await.unwrap_err().code, "forbidden");
    // The last owner stays one, and cannot leave.
    let e = set_role(&owner, "olivia", "admin").await.unwrap_err();
    assert_eq!(e.code, "forbidden");
    assert!(e.message.contains("last owner"), "{e:?}");
    assert_eq!(owner.err("leave_org", &[("slug", "acme")]).await.code, "forbidden");
    // With a second owner, the first may step down.
    set_role(&owner, "tess", "owner").await.unwrap();
    assert_eq!(set_role(&owner, "olivia", "member").await.unwrap()["role"], "member");
    let roles = third.ok("members", &[("slug", "acme")]).await;
    let role_of =
        |name: &str| roles.as_array().unwrap().iter().find(|m| m["username"] == name).unwrap()["role"].clone();
    assert_eq!(
        (role_of("olivia"), role_of("mark"), role_of("tess")),
        (json!("member"), json!("admin"), json!("owner"))
    );

    // Bad input is refused plainly; nobody unknown is touched.
    let e = set_role(&third, "mark", "emperor").await.unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "invalid"), "{e:?}");
    assert_eq!(set_role(&third, "nobody", "member").await.unwrap_err().code, "not_found");

    // Anyone but the last owner leaves; then the organization is not theirs.
    member.ok("leave_org", &[("slug", "acme")]).await;
    assert_eq!(member.err("list_channels", &[("slug", "acme")]).await.code, "not_found");
    server.stop().await;
}

#[tokio::test]
async fn a_supervisor_channel_does_not_exist_for_members_until_they_are_promoted() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let leads = owner.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "supervisor")]).await;
    assert_eq!(leads["kind"], "supervisor");
    let (leads_id, leads_at) = (leads["id"].as_i64().unwrap(), leads["name"].as_str().unwrap().to_owned());
    owner
        .ok("send_message", &[("slug", "acme"), ("channel", &*leads_at), ("client_id", "s1"), ("body", "about mark")])
        .await;

    // For the member it is exactly like a channel that does not exist.
    let absent = member.err("history", &[("slug", "acme"), ("channel", "no-such-channel")]).await;
    assert!(!seen(&member).await.contains(&"leads".to_owned()));
    for (name, form) in [
        ("history", vec![("slug", "acme"), ("channel", &*leads_at)]),
        ("join_channel", vec![("slug", "acme"), ("channel", &*leads_at)]),
        ("leave_channel", vec![("slug", "acme"), ("channel", &*leads_at)]),
        ("mark_read", vec![("slug", "acme"), ("channel", &*leads_at), ("seq", "1")]),
        ("send_message", vec![("slug", "acme"), ("channel", &*leads_at), ("client_id", "m1"), ("body", "hi")]),
        ("add_to_channel", vec![("slug", "acme"), ("channel", &*leads_at), ("username", "mark")]),
    ] {
        let e = member.err(name, &form).await;
        assert_eq!((e.status, &e.code), (absent.status, &absent.code), "{name}: {e:?}");
        assert!(e.message.contains("no channel") || e.message.contains("no such channel"), "{name}: {e:?}");
    }
    let e = member.err("create_channel", &[("slug", "acme"), ("name", "mine"), ("kind", "supervisor")]).await;
    assert_eq!(e.code, "forbidden");
    let e = member.err("create_channel", &[("slug", "acme"), ("name", "mine"), ("kind", "secret")]).await;
    assert_eq!((e.status, e.code.as_str()), (400, "invalid"));
    let mut live = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    for (event, data) in [
        ("join", json!({"channel_id": leads_id})),
        ("send", json!({"channel_id": leads_id, "client_id": "m2", "body": "hi"})),
        ("read", json!({"channel_id": leads_id, "seq": 1})),
    ] {
        let ack = live.request(event, &data).await;
        assert_eq!(ack["error"]["code"], "not_found", "{event}: {ack}");
    }

    // Promoted: the live connection closes (it reconnects with the new
    // role), and the channel is there to read and join.
    set_role(&owner, "mark", "supervisor").await.unwrap();
    assert!(live.closed_within(Duration::from_secs(2)).await, "the member's socket closed on promotion");
    assert!(seen(&member).await.contains(&"leads".to_owned()));
    let page = member.ok("history", &[("slug", "acme"), ("channel", &*leads_at)]).await;
    assert!(page["messages"].as_array().unwrap().iter().any(|m| m["body"] == "about mark"));
    assert_eq!(member.ok("join_channel", &[("slug", "acme"), ("channel", &*leads_at)]).await["joined"], true);
    let mut live = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(live.request("join", &json!({"channel_id": leads_id})).await.get("ok").is_some());

    // Demoted: closed again at once, out of the channel, and it is gone.
    set_role(&owner, "mark", "member").await.unwrap();
    assert!(live.closed_within(Duration::from_secs(2)).await, "the member's socket closed on demotion");
    assert!(!seen(&member).await.contains(&"leads".to_owned()));
    let e = member.err("history", &[("slug", "acme"), ("channel", &*leads_at)]).await;
    assert_eq!(e.code, "not_found");
    let page = owner.ok("history", &[("slug", "acme"), ("channel", &*leads_at)]).await;
    let last = page["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["kind"].as_str(), last["author"].as_str()), (Some("left"), Some("mark")), "{last}");
    let mut live = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert_eq!(live.request("join", &json!({"channel_id": leads_id})).await["error"]["code"], "not_found");

    // What is said there meanwhile reaches supervisors, never the member.
    let general = channel_id(&member, "acme", "general").await;
    assert!(live.request("join", &json!({"channel_id": general})).await.get("ok").is_some());
    owner
        .ok("send_message", &[("slug", "acme"), ("channel", &*leads_at), ("client_id", "s2"), ("body", "secret")])
        .await;
    while let Some((name, data)) = live.next_event(QUIET).await {
        assert!(!data.to_string().contains("secret") && !data.to_string().contains("leads"), "{name}: {data}");
    }
    server.stop().await;
}

/// How many owners `acme` has, as `api` (a member) sees it.
async fn owners(api: &Api) -> usize {
    let members = api.ok("members", &[("slug", "acme")]).await;
    members.as_array().unwrap().iter().filter(|m| m["role"] == "owner").count()
}

/// Whichever of olivia and mark owns `acme` makes the other an owner too.
async fn both_owners(witness: &Api, olivia: &Api, mark: &Api) {
    let members = witness.ok("members", &[("slug", "acme")]).await;
    let olivia_owns = members.as_array().unwrap().iter().any(|m| m["username"] == "olivia" && m["role"] == "owner");
    let (owner, other) = if olivia_owns { (olivia, "mark") } else { (mark, "olivia") };
    set_role(owner, other, "owner").await.unwrap();
    assert_eq!(owners(witness).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_demoting_each_other_at_once_leave_one() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let witness = invite(&server, &olivia, "tess").await;
    for round in 0..20 {
        // Whoever is the owner makes the other one an owner too; then each
        // demotes the other at the same moment.
        both_owners(&witness, &olivia, &mark).await;
        let (x, y) = tokio::join!(set_role(&olivia, "mark", "member"), set_role(&mark, "olivia", "member"));
        assert!(x.is_ok() != y.is_ok(), "exactly one wins, round {round}: {x:?} {y:?}");
        assert_eq!(owners(&witness).await, 1, "round {round}");
    }
    // Both leaving at once: one of them stays.
    both_owners(&witness, &olivia, &mark).await;
    let (x, y) =
        tokio::join!(olivia.call("leave_org", &[("slug", "acme")]), mark.call("leave_org", &[("slug", "acme")]));
    assert!(x.is_ok() != y.is_ok(), "{x:?} {y:?}");
    assert_eq!(owners(&witness).await, 1);
    server.stop().await;
}

#[tokio::test]
async fn a_hidden_channels_name_can_be_taken_and_so_tells_nothing() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let leads = create(&owner, "leads", "supervisor").await.unwrap();
    let hidden = leads["name"].as_str().unwrap().to_owned();
    assert!(hidden.starts_with("leads~") && hidden.len() > "leads~".len(), "{hidden}");

    // The member may take the name, as if no channel had it (a private
    // channel of their own), and so may another (a public one).
    let private = create(&member, "leads", "private").await.unwrap();
    let tess = invite(&server, &owner, "tess").await;
    let public = create(&tess, "leads", "public").await.unwrap();
    assert_eq!(public["name"], "leads");
    for made in [&private, &public] {
        assert!(!made.to_string().contains(&hidden), "{made}");
    }
    assert!(private["name"] != leads["name"] && private["name"] != "leads");
    // What they see is theirs and the public one, and now taken to them.
    assert_eq!(seen(&member).await.iter().filter(|n| *n == "leads").count(), 2);
    let e = create(&member, "leads", "public").await.unwrap_err();
    assert_eq!((e.code.as_str(), e.message.as_str()), ("conflict", "The name #leads is taken; choose another."));

    // The owner sees all three, each at its own address; a name they see is taken.
    let owner_sees = owner.ok("list_channels", &[("slug", "acme")]).await;
    let theirs: Vec<&str> = owner_sees.as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(theirs.contains(&"leads") && theirs.contains(&&*hidden), "{theirs:?}");
    assert_eq!(create(&owner, "leads", "supervisor").await.unwrap_err().code, "conflict");
    assert_eq!(create(&owner, "general", "private").await.unwrap_err().code, "conflict");
    let page = owner.ok("history", &[("slug", "acme"), ("channel", &hidden)]).await;
    assert_eq!(page["channel"]["kind"], "supervisor");
    server.stop().await;
}

#[tokio::test]
async fn a_private_channel_is_seen_only_by_the_people_added_to_it() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let third = invite(&server, &owner, "tess").await;
    let plans = member.ok("create_channel", &[("slug", "acme"), ("name", "plans"), ("kind", "private")]).await;
    let plans_at = plans["name"].as_str().unwrap().to_owned();
    assert_eq!((plans["kind"].as_str(), plans["joined"].as_bool()), (Some("private"), Some(true)));

    // Not even the owner sees it, nor can add themselves.
    for api in [&owner, &third] {
        assert!(!seen(api).await.contains(&"plans".to_owned()));
        assert_eq!(api.err("join_channel", &[("slug", "acme"), ("channel", &*plans_at)]).await.code, "not_found");
        let e = api.err("add_to_channel", &[("slug", "acme"), ("channel", &*plans_at), ("username", "olivia")]).await;
        assert_eq!(e.code, "not_found");
    }

    // A member of it adds tess: her live connection hears of it at once.
    let mut tess_live = SioClient::connect(server.addr, "/acme", &third.cookie_header(), None).await.unwrap();
    member.ok("add_to_channel", &[("slug", "acme"), ("channel", &*plans_at), ("username", "tess")]).await;
    let mut announced = None;
    while let Some((name, data)) = tess_live.next_event(Duration::from_secs(2)).await {
        if name == "notice" && notice_parts(&data).0 == "channel_added" {
            announced = Some(notice_parts(&data).1);
            break;
        }
    }
    let announced = announced.expect("channel_added reached tess");
    assert_eq!((announced["name"].as_str(), announced["joined"].as_bool()), (Some(&*plans_at), Some(true)));
    assert!(seen(&third).await.contains(&"plans".to_owned()));
    third.ok("send_message", &[("slug", "acme"), ("channel", &*plans_at), ("client_id", "t1"), ("body", "in")]).await;
    assert!(!seen(&owner).await.contains(&"plans".to_owned()), "still hidden from the owner");

    // Adding someone twice changes nothing; a stranger is not found.
    member.ok("add_to_channel", &[("slug", "acme"), ("channel", &*plans_at), ("username", "tess")]).await;
    let e = member.err("add_to_channel", &[("slug", "acme"), ("channel", &*plans_at), ("username", "nobody")]).await;
    assert_eq!(e.code, "not_found");
    // Her open connection follows it; once she leaves, it is hidden from
    // her again, and nothing said there after reaches that connection.
    let plans_id = plans["id"].as_i64().unwrap();
    assert!(tess_live.request("join", &json!({"channel_id": plans_id})).await.get("ok").is_some());
    third.ok("leave_channel", &[("slug", "acme"), ("channel", &*plans_at)]).await;
    assert!(!seen(&third).await.contains(&"plans".to_owned()));
    member
        .ok("send_message", &[("slug", "acme"), ("channel", &*plans_at), ("client_id", "m9"), ("body", "after")])
        .await;
    let mut heard = Vec::new();
    while let Some((name, data)) = tess_live.next_event(QUIET).await {
        heard.push(format!("{name} {data}"));
    }
    assert!(heard.iter().any(|e| e.contains(r#""kind":"left""#)), "her leaving came first: {heard:?}");
    assert!(!heard.iter().any(|e| e.contains(r#""body":"after""#)), "nothing after it: {heard:?}");
    let e = third.err("history", &[("slug", "acme"), ("channel", &*plans_at)]).await;
    assert_eq!(e.code, "not_found");
    server.stop().await;
}
