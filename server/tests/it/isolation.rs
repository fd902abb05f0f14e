//! Tenant isolation, tried against every endpoint: each server function and
//! each Socket.IO event, as a member of another organization, as a plain
//! member against a supervisor channel (in a browser, and through an API
//! token sent as a bearer header or as the session cookie), as a removed
//! member, signed out, and with a forged, expired or revoked session or
//! token. Every attempt must be refused and reveal nothing: not the
//! restricted channel's name, not what was said in it, not even whether it
//! exists (the answer is the one a channel or organization that does not
//! exist gets). Then, for every caller, the second round's rules: a token
//! makes no tokens, a removal sticks, nobody reads what was said in a
//! conversation while they were out of it, and the audit log holds only
//! what happened while someone was a member, with addresses for owners.
//!
//! The endpoints are listed once, here ([`SERVER_FUNCTIONS`]) and in the
//! server (`realtime::CLIENT_EVENTS`); the suite fails if a server function
//! is registered that the list does not name, so a new one cannot be
//! forgotten.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, org_with_two_members};
use serde_json::{Value, json};

/// What a server function is about, which says what a refusal looks like.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Scope {
    /// Open to anyone (signing in, reading an invite by its secret token):
    /// tried with made-up input, which must reveal nothing either.
    Public,
    /// The caller's own account (their organizations, their tokens).
    Account,
    /// The caller's own account, from a browser's sign-in only (managing
    /// API tokens): a token is refused, however it is sent.
    Browser,
    /// Organization `acme`.
    Org,
    /// The supervisor channel `leads` of `acme`.
    Room,
}

/// A server function's name, its scope and the form it is tried with.
type Endpoint = (&'static str, Scope, &'static [(&'static str, &'static str)]);

/// Every server function. `{room}` stands for the restricted channel's name.
const SERVER_FUNCTIONS: &[Endpoint] = &[
    ("register", Scope::Public, &[("username", "x"), ("password", "short")]),
    ("login", Scope::Public, &[("username", "nobody-here"), ("password", "wrong password")]),
    ("logout", Scope::Public, &[]),
    ("me", Scope::Public, &[]),
    ("invite", Scope::Public, &[("token", "made-up-invite-token")]),
    ("accept_invite", Scope::Public, &[("token", "made-up-invite-token")]),
    ("list_orgs", Scope::Account, &[]),
    ("create_org", Scope::Account, &[("name", "Mine"), ("slug", "mine")]),
    ("create_api_token", Scope::Browser, &[("name", "bot")]),
    ("list_api_tokens", Scope::Account, &[]),
    ("revoke_api_token", Scope::Browser, &[("id", "made-up-id")]),
    ("org", Scope::Org, &[("slug", "acme")]),
    ("members", Scope::Org, &[("slug", "acme")]),
    ("list_channels", Scope::Org, &[("slug", "acme")]),
    ("create_channel", Scope::Org, &[("slug", "acme"), ("name", "sneaky"), ("kind", "supervisor")]),
    ("open_direct", Scope::Org, &[("slug", "acme"), ("usernames[0]", "olivia")]),
    ("create_invite", Scope::Org, &[("slug", "acme")]),
    ("list_invites", Scope::Org, &[("slug", "acme")]),
    ("revoke_invite", Scope::Org, &[("slug", "acme"), ("id", "made-up-id")]),
    ("remove_member", Scope::Org, &[("slug", "acme"), ("username", "olivia")]),
    ("set_role", Scope::Org, &[("slug", "acme"), ("username", "mark"), ("role", "owner")]),
    ("leave_org", Scope::Org, &[("slug", "acme")]),
    ("audit_log", Scope::Org, &[("slug", "acme")]),
    ("history", Scope::Room, &[("slug", "acme"), ("channel", "{room}")]),
    ("join_channel", Scope::Room, &[("slug", "acme"), ("channel", "{room}")]),
    ("leave_channel", Scope::Room, &[("slug", "acme"), ("channel", "{room}")]),
    ("send_message", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("client_id", "x1"), ("body", "hi")]),
    ("delete_message", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "1")]),
    ("edit_message", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "2"), ("body", "mine now")]),
    ("edit_history", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "2")]),
    ("react", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "2"), ("emoji", "👍")]),
    ("pin", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "2")]),
    ("pinned_messages", Scope::Room, &[("slug", "acme"), ("channel", "{room}")]),
    ("open_thread", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("root_seq", "2")]),
    ("mark_thread_read", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("root_seq", "2"), ("seq", "3")]),
    ("follow_thread", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("root_seq", "2"), ("follow", "true")]),
    ("followed_threads", Scope::Org, &[("slug", "acme")]),
    ("thread_list", Scope::Org, &[("slug", "acme")]),
    ("mentions", Scope::Org, &[("slug", "acme")]),
    ("search", Scope::Org, &[("slug", "acme"), ("q", "secret plan")]),
    ("file_storage", Scope::Org, &[("slug", "acme")]),
    ("push_key", Scope::Account, &[]),
    ("push_subscribe", Scope::Browser, &[("endpoint", "https://fcm.googleapis.com/x"), ("p256dh", "x"), ("auth", "x")]),
    ("push_subscribed", Scope::Account, &[("endpoint", "https://fcm.googleapis.com/x")]),
    ("push_unsubscribe", Scope::Account, &[("endpoint", "https://fcm.googleapis.com/x")]),
    ("read_receipts", Scope::Room, &[("slug", "acme"), ("channel", "{room}")]),
    ("set_read_receipts", Scope::Org, &[("slug", "acme"), ("on", "true"), ("up_to", "5")]),
    ("set_mention_policy", Scope::Org, &[("slug", "acme"), ("allowed", "true")]),
    ("mark_read", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("seq", "1")]),
    ("add_to_channel", Scope::Room, &[("slug", "acme"), ("channel", "{room}"), ("username", "mark")]),
];

/// What must never show in an answer to someone who may not see the room:
/// its name (unless they typed it) and what was said in it.
const SECRETS: [&str; 2] = ["leads", "the secret plan"];

/// One way of calling: a cookie jar (maybe empty or forged) and maybe a
/// bearer token.
struct Caller {
    name: &'static str,
    api: Api,
    bearer: Option<String>,
    /// A `Cookie` header of its own (a forged session).
    cookie: Option<&'static str>,
    /// A member of `acme` in good standing (the plain member).
    in_org: bool,
    /// It holds an API token (as a bearer header or as the session cookie).
    token: bool,
}

/// An answer: the status and the body.
async fn call(caller: &Caller, name: &str, form: &[(&str, String)]) -> (u16, Value) {
    let auth = caller.bearer.as_ref().map(|t| format!("Bearer {t}"));
    let mut headers = vec![("Accept", "application/json")];
    headers.extend(auth.as_deref().map(|a| ("Authorization", a)));
    headers.extend(caller.cookie.map(|c| ("Cookie", c)));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = caller.api.post_with(name, &form, &headers).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn with(form: &[(&str, &str)], room: &str, slug: &str) -> Vec<(String, String)> {
    form.iter().map(|(k, v)| (k.to_string(), v.replace("{room}", room).replace("acme", slug))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_endpoint_lets_anyone_past_the_walls() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    // Its address: the name and a tag (`leads~…`).
    let room = owner.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "supervisor")]).await;
    let (room, leads_id) = (room["name"].as_str().unwrap().to_owned(), room["id"].as_i64().unwrap());
    owner
        .ok("send_message", &[("slug", "acme"), ("channel", &room), ("client_id", "s"), ("body", "the secret plan")])
        .await;

    // Someone else's organization.
    let outsider = server.client();
    outsider.register("oscar").await;
    outsider.ok("create_org", &[("name", "Other"), ("slug", "other")]).await;
    // Removed, and one whose session has expired, and a revoked token.
    let invite =
        || async { owner.ok("create_invite", &[("slug", "acme")]).await["token"].as_str().unwrap().to_owned() };
    let removed = server.client();
    removed.register("rita").await;
    let ritas_link = invite().await;
    removed.ok("accept_invite", &[("token", &ritas_link)]).await;
    // A conversation she was in, and what was said there while she was out.
    let group = owner.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "mark"), ("usernames[1]", "rita")]).await;
    let group = group["name"].as_str().unwrap().to_owned();
    let say = |body: &'static str| {
        let (owner, group) = (&owner, group.clone());
        async move {
            let id = body.replace(' ', "-");
            let form = [("slug", "acme"), ("channel", group.as_str()), ("client_id", id.as_str()), ("body", body)];
            owner.ok("send_message", &form).await;
        }
    };
    say("said before").await;
    owner.ok("remove_member", &[("slug", "acme"), ("username", "rita")]).await;
    say("said while she was out").await;
    let expired = server.client();
    expired.register("eddie").await;
    expired.ok("accept_invite", &[("token", &invite().await)]).await;
    server
        .sql("UPDATE sessions SET expires_at = 1 WHERE user_id = (SELECT id FROM users WHERE username = 'eddie')")
        .await;
    let revoked = member.ok("create_api_token", &[("name", "old bot")]).await;
    member.ok("revoke_api_token", &[("id", revoked["listed"]["id"].as_str().unwrap())]).await;
    let live = member.ok("create_api_token", &[("name", "live bot")]).await["token"].as_str().unwrap().to_owned();
    let live_cookie: &'static str = Box::leak(format!("confab_session={live}").into_boxed_str());
    let person = |name, api, in_org| Caller { name, api, bearer: None, cookie: None, in_org, token: false };
    let blank = |name, bearer: Option<&str>, cookie| Caller {
        name,
        api: server.client(),
        bearer: bearer.map(str::to_owned),
        cookie,
        in_org: false,
        token: bearer.is_some(),
    };
    let tokened =
        |name, bearer: Option<&str>, cookie| Caller { in_org: true, token: true, ..blank(name, bearer, cookie) };
    let callers = vec![
        person("a member of another organization", outsider, false),
        person("a plain member", member, true),
        person("a removed member", removed, false),
        person("an expired session", expired, false),
        blank("a signed-out visitor", None, None),
        blank("a forged session", None, Some("confab_session=forged-session-token-000000000000")),
        blank("a revoked token", Some(revoked["token"].as_str().unwrap()), None),
        blank("a forged token", Some("confab_forged-token-0000000000000000000000"), None),
        tokened("a member's API token as a bearer header", Some(&live), None),
        tokened("a member's API token as the session cookie", None, Some(live_cookie)),
    ];
    const SIGNED_OUT: [&str; 5] =
        ["a signed-out visitor", "a forged session", "a revoked token", "a forged token", "an expired session"];

    // Every registered server function is in the list above.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .filter_map(|(path, _)| path.strip_prefix("/api/").map(str::to_owned))
        .collect();
    let listed: BTreeSet<String> = SERVER_FUNCTIONS.iter().map(|(n, _, _)| n.to_string()).collect();
    assert_eq!(registered, listed, "every server function is tried by this suite");

    let (mut attempts, mut refused) = (0, 0);
    for caller in &callers {
        for (name, scope, form) in SERVER_FUNCTIONS {
            if caller.in_org && matches!(scope, Scope::Org | Scope::Public) {
                // Its own organization's ordinary use is not an attack; what
                // it lists is checked below.
                continue;
            }
            let form: Vec<(String, String)> = with(form, &room, "acme");
            let pairs: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            let (status, body) = call(caller, name, &pairs).await;
            attempts += 1;
            let text = body.to_string();
            // What was said there, never; its name only where the caller
            // typed it (checked below against a name that does not exist).
            assert!(!text.contains(SECRETS[1]), "{name} as {}: {text}", caller.name);
            if status < 400 {
                assert!(!text.contains(SECRETS[0]), "{name} as {}: {text}", caller.name);
            }
            let signed_in = !SIGNED_OUT.contains(&caller.name);
            if *scope == Scope::Browser && caller.token {
                // A token, however sent, is not a browser's sign-in.
                assert_eq!(
                    (status, body["code"].as_str()),
                    (401, Some("unauthenticated")),
                    "{name} as {}",
                    caller.name
                );
                refused += 1;
                continue;
            }
            match scope {
                Scope::Public | Scope::Account | Scope::Browser if signed_in => {
                    // Their own account: allowed, and nothing of acme's room in it.
                    refused += 1;
                    continue;
                }
                Scope::Browser => {
                    assert_eq!(body["code"], "unauthenticated", "{name} as {}: {text}", caller.name);
                    refused += 1;
                    continue;
                }
                Scope::Public => {
                    // Made-up input: refused, or nobody ("me" is null).
                    assert!(
                        status >= 400 || body.is_null() || *name == "logout",
                        "{name} as {}: {status} {text}",
                        caller.name
                    );
                    refused += 1;
                    continue;
                }
                _ => {}
            }
            assert!(status >= 400, "{name} as {} was allowed: {status} {text}", caller.name);
            let code = body["code"].as_str().unwrap_or_default();
            if !signed_in {
                assert_eq!(code, "unauthenticated", "{name} as {}: {text}", caller.name);
            } else {
                // The same answer as for something that does not exist.
                let (slug, probe) = if caller.in_org { ("acme", "no-such-room") } else { ("no-such-org", &*room) };
                let form = with(SERVER_FUNCTIONS.iter().find(|f| f.0 == *name).unwrap().2, probe, slug);
                let pairs: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                let (absent_status, absent) = call(caller, name, &pairs).await;
                let absent_text = absent.to_string().replace(probe, &room).replace(slug, "acme");
                assert_eq!(
                    (status, text.clone()),
                    (absent_status, absent_text),
                    "{name} as {} tells it exists",
                    caller.name
                );
            }
            refused += 1;
        }
    }

    // What a plain member lists of its own organization holds no trace of the room.
    let member = &callers[1];
    for (name, _, form) in SERVER_FUNCTIONS.iter().filter(|f| {
        matches!(f.0, "org" | "list_channels" | "members" | "followed_threads" | "thread_list" | "mentions" | "search")
    }) {
        let form = with(form, &room, "acme");
        let pairs: Vec<(&str, String)> = form.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let (status, body) = call(member, name, &pairs).await;
        attempts += 1;
        assert_eq!(status, 200);
        for secret in SECRETS {
            assert!(!body.to_string().contains(secret), "{name}: {body}");
        }
        refused += 1;
    }

    // The live stream: only the plain member gets in, and every event about
    // the room is answered like one about a channel that does not exist.
    for caller in &callers {
        attempts += 1;
        let auth = caller.bearer.as_ref().map(|t| json!({ "token": t }));
        let cookie = caller.cookie.map(str::to_owned).unwrap_or_else(|| caller.api.cookie_header());
        let connected = SioClient::connect_with_auth(server.addr, "/acme", &cookie, None, auth.as_ref()).await;
        if !caller.in_org {
            let refusal = connected.err().unwrap_or_else(|| panic!("{} connected to /acme", caller.name));
            assert!(!refusal.contains("leads"), "{refusal}");
            refused += 1;
            continue;
        }
        refused += 1;
        let mut socket = connected.unwrap();
        let mut supervisor = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
        assert!(supervisor.request("join", &json!({"channel_id": leads_id})).await.get("ok").is_some());
        for event in server::realtime::CLIENT_EVENTS {
            attempts += 1;
            let (data, absent) = match event {
                "send" => (
                    json!({"channel_id": leads_id, "client_id": "x2", "body": "hi"}),
                    json!({"channel_id": 999_999, "client_id": "x2", "body": "hi"}),
                ),
                "read" => (json!({"channel_id": leads_id, "seq": 1}), json!({"channel_id": 999_999, "seq": 1})),
                "pin" => (json!({"channel_id": leads_id, "seq": 2}), json!({"channel_id": 999_999, "seq": 2})),
                "read_thread" => (
                    json!({"channel_id": leads_id, "root_seq": 2, "seq": 3}),
                    json!({"channel_id": 999_999, "root_seq": 2, "seq": 3}),
                ),
                "follow_thread" => (
                    json!({"channel_id": leads_id, "root_seq": 2, "following": true}),
                    json!({"channel_id": 999_999, "root_seq": 2, "following": true}),
                ),
                "react" => (
                    json!({"channel_id": leads_id, "seq": 2, "emoji": "👍"}),
                    json!({"channel_id": 999_999, "seq": 2, "emoji": "👍"}),
                ),
                "edit" => (
                    json!({"channel_id": leads_id, "seq": 2, "body": "mine now"}),
                    json!({"channel_id": 999_999, "seq": 2, "body": "mine now"}),
                ),
                "open_direct" => (json!({"usernames": ["oscar"]}), json!({"usernames": ["nobody-at-all"]})),
                _ => (json!({"channel_id": leads_id}), json!({"channel_id": 999_999})),
            };
            if event == "notices" {
                // No room to ask for: one's own stream, which never tells
                // of a room one may not see.
                let answer = socket.request(event, &json!({"after": 0})).await;
                assert!(answer.get("ok").is_some(), "{answer}");
                for secret in SECRETS {
                    assert!(!answer.to_string().contains(secret), "{answer}");
                }
            } else if event == "typing" {
                // Unanswered by design: it must not reach the room.
                socket.emit(event, &data).await;
                while let Some((name, body)) = supervisor.next_event(Duration::from_millis(400)).await {
                    assert_ne!(name, "typing", "a member's typing reached the room: {body}");
                }
            } else {
                let answer = socket.request(event, &data).await;
                let absent = socket.request(event, &absent).await;
                assert_eq!(answer["error"]["code"], "not_found", "{event}: {answer}");
                let scrub = |v: &Value| v.to_string().replace("oscar", "X").replace("nobody-at-all", "X");
                assert_eq!(scrub(&answer), scrub(&absent), "{event} tells the room exists");
                assert!(!answer.to_string().contains("leads"));
            }
            refused += 1;
        }
        while let Some((name, body)) = socket.next_event(Duration::from_millis(300)).await {
            for secret in SECRETS {
                assert!(!body.to_string().contains(secret), "{name}: {body}");
            }
        }
    }
    // The callers with a password signed out above (`logout`): in again.
    for (i, name) in [(0, "oscar"), (2, "rita")] {
        callers[i].api.ok("login", &[("username", name), ("password", crate::support::PASSWORD)]).await;
    }
    // The second round, for every caller. A removal sticks: the link the
    // removed member joined by does not let her back (it still works for
    // anyone else; members are members already).
    for caller in &callers {
        attempts += 1;
        let (status, body) = call(caller, "accept_invite", &[("token", ritas_link.clone())]).await;
        let expected = match caller.name {
            "a removed member" => (403, Some("forbidden")),
            name if SIGNED_OUT.contains(&name) => (401, Some("unauthenticated")),
            _ => (200, None),
        };
        assert_eq!((status, body["code"].as_str()), expected, "accept_invite as {}: {body}", caller.name);
        refused += 1;
    }
    // Invited again on purpose, she is back, and reads nothing of what was
    // said in the conversation while she was out; nobody outside it reads
    // any of it.
    let again = invite().await;
    callers[2].api.ok("accept_invite", &[("token", &again)]).await;
    callers[2].api.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "olivia"), ("usernames[1]", "mark")]).await;
    say("said after she was back").await;
    for caller in &callers {
        attempts += 1;
        let (status, body) = call(caller, "history", &[("slug", "acme".into()), ("channel", group.clone())]).await;
        let said: Vec<&str> = body["messages"].as_array().map_or(Vec::new(), |m| {
            m.iter().filter(|m| m["kind"] == "message").filter_map(|m| m["body"].as_str()).collect()
        });
        match caller.name {
            "a removed member" => assert_eq!(said, ["said before", "said after she was back"], "{body}"),
            _ if caller.in_org => assert_eq!(said.len(), 3, "{} was in it all along: {body}", caller.name),
            name if SIGNED_OUT.contains(&name) => assert_eq!(status, 401, "{name}: {body}"),
            name => assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{name}: {body}"),
        }
        assert!(!body.to_string().contains("the secret plan"));
        refused += 1;
    }
    // The audit log: owners and admins only; only sign-ins from while
    // someone was a member (the outsider's, from before the link let him
    // in, are not acme's); addresses for owners only.
    owner.ok("set_role", &[("slug", "acme"), ("username", "mark"), ("role", "admin")]).await;
    let owners_view = owner.ok("audit_log", &[("slug", "acme"), ("limit", "200")]).await;
    assert!(
        !owners_view.as_array().unwrap().iter().any(|e| e["action"] == "signed_in" && e["actor"] == "oscar"),
        "{owners_view}"
    );
    for caller in &callers {
        attempts += 1;
        let (status, body) = call(caller, "audit_log", &[("slug", "acme".into()), ("limit", "200".into())]).await;
        match caller.name {
            // Mark is an admin now: the log, without addresses.
            _ if caller.in_org => {
                assert_eq!(status, 200, "{}: {body}", caller.name);
                assert!(body.as_array().unwrap().iter().all(|e| e.get("address").is_none()), "{body}");
            }
            name if SIGNED_OUT.contains(&name) => assert_eq!(status, 401, "{name}: {body}"),
            name => assert_eq!((status, body["code"].as_str()), (403, Some("forbidden")), "{name}: {body}"),
        }
        refused += 1;
    }

    // Each attempt above either asserted its refusal (or, for a caller's own
    // account, that nothing of the room is in it) or failed the test.
    println!("isolation: {attempts} attempts by {} callers, {refused} refused or holding nothing", callers.len());
    server.stop().await;
}
