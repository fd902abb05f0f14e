//! Personal API tokens: made once and shown once, used as a bearer header by
//! scripts and as `auth: { token }` by Socket.IO clients, carrying exactly
//! their owner's rights, and revoked at once.

use std::time::Duration;

use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, channel_id, org_with_two_members};
use serde_json::json;

/// A script with nothing but a token (no cookie).
struct Script {
    api: Api,
    auth: String,
}

fn bearer(server: &TestServer, token: &str) -> Script {
    Script { api: server.client(), auth: format!("Bearer {token}") }
}

async fn call(script: &Script, name: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let headers = [("Authorization", script.auth.as_str()), ("Accept", "application/json")];
    let res = script.api.post_with(name, form, &headers).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_token_acts_as_its_owner_until_revoked() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let leads = owner.ok("create_channel", &[("slug", "acme"), ("name", "leads"), ("kind", "supervisor")]).await;
    let leads = leads["name"].as_str().unwrap().to_owned();

    let made = member.ok("create_api_token", &[("name", "deploy bot")]).await;
    let token = made["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("confab_") && token.len() > 40, "{token}");
    let listed = member.ok("list_api_tokens", &[]).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "deploy bot");
    assert!(!listed.to_string().contains(&token), "the token itself is never listed again");

    // A script with the token is Mark, with Mark's rights and no more.
    let script = bearer(&server, &token);
    let (status, me) = call(&script, "me", &[]).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("mark")));
    let (status, sent) = call(
        &script,
        "send_message",
        &[("slug", "acme"), ("channel", "general"), ("client_id", "b1"), ("body", "from the bot")],
    )
    .await;
    assert_eq!((status, sent["author"].as_str()), (200, Some("mark")));
    let (status, e) = call(&script, "history", &[("slug", "acme"), ("channel", &leads)]).await;
    assert_eq!((status, e["code"].as_str()), (404, Some("not_found")), "a member's token sees no supervisor channel");
    let (status, e) = call(&script, "create_invite", &[("slug", "acme")]).await;
    assert_eq!((status, e["code"].as_str()), (403, Some("forbidden")));
    // A token cannot make or revoke tokens: a leaked one cannot outlive its revocation.
    let (status, e) = call(&script, "create_api_token", &[("name", "another")]).await;
    assert_eq!((status, e["code"].as_str()), (401, Some("unauthenticated")));

    // A Socket.IO client passes it as `auth: { token }`.
    let general = channel_id(&member, "acme", "general").await;
    let auth = json!({ "token": token });
    let mut live = SioClient::connect_with_auth(server.addr, "/acme", "", None, Some(&auth)).await.unwrap();
    let joined = live.request("join", &json!({"channel_id": general})).await;
    assert!(joined.get("ok").is_some(), "{joined}");

    // Forged or empty tokens get nothing.
    for forged in ["confab_not-a-real-token", ""] {
        let (status, e) = call(&bearer(&server, forged), "list_orgs", &[]).await;
        assert_eq!((status, e["code"].as_str()), (401, Some("unauthenticated")), "{forged:?}");
        let auth = json!({ "token": forged });
        let refused = SioClient::connect_with_auth(server.addr, "/acme", "", None, Some(&auth)).await;
        assert!(refused.is_err(), "{forged:?}");
    }

    // Revoked: the script is turned away and the live connection closes at once.
    let id = listed[0]["id"].as_str().unwrap();
    member.ok("revoke_api_token", &[("id", id)]).await;
    assert!(live.closed_within(Duration::from_secs(2)).await, "the token's socket closed");
    let (status, _) = call(&script, "list_orgs", &[]).await;
    assert_eq!(status, 401);
    assert!(member.ok("list_api_tokens", &[]).await.as_array().unwrap().is_empty());
    // Gone is gone; and nobody revokes someone else's token, even knowing its id.
    assert_eq!(member.err("revoke_api_token", &[("id", id)]).await.code, "not_found");
    let other = member.ok("create_api_token", &[("name", "second")]).await;
    let other_id = other["listed"]["id"].as_str().unwrap();
    assert_eq!(owner.err("revoke_api_token", &[("id", other_id)]).await.code, "not_found");
    let (status, _) = call(&bearer(&server, other["token"].as_str().unwrap()), "me", &[]).await;
    assert_eq!(status, 200, "still works");
    // The owner's browser session was never affected.
    member.ok("list_channels", &[("slug", "acme")]).await;
    server.stop().await;
}

#[tokio::test]
async fn tokens_have_names_and_a_limit() {
    let server = TestServer::start().await;
    let (_owner, member) = org_with_two_members(&server).await;
    for bad in ["", "   ", "line\nbreak", &"x".repeat(61)] {
        assert_eq!(member.err("create_api_token", &[("name", bad)]).await.code, "invalid", "{bad:?}");
    }
    let mut last = String::new();
    for n in 0..20 {
        last =
            member.ok("create_api_token", &[("name", &format!("bot {n}"))]).await["token"].as_str().unwrap().to_owned();
    }
    let e = member.err("create_api_token", &[("name", "one too many")]).await;
    assert_eq!(e.code, "conflict");
    assert!(e.message.contains("revoke"), "{e:?}");
    // Signing out ends the browser session, not the tokens.
    member.ok("logout", &[]).await;
    assert_eq!(member.err("list_api_tokens", &[]).await.code, "unauthenticated");
    let (status, me) = call(&bearer(&server, &last), "me", &[]).await;
    assert_eq!((status, me["username"].as_str()), (200, Some("mark")));
    server.stop().await;
}
