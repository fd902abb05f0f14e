//! Accounts and sessions through the server functions, against a real server.

use crate::support::TestServer;

#[tokio::test]
async fn register_sign_in_sign_out() {
    let server = TestServer::start().await;
    let alice = server.client();

    assert_eq!(alice.ok("me", &[]).await, serde_json::Value::Null);
    let user = alice.register("alice").await;
    assert_eq!(user["username"], "alice");
    assert_eq!(alice.ok("me", &[]).await["username"], "alice");

    // The cookie is HttpOnly and SameSite, and holds a token, not the user id.
    let res = server
        .client()
        .http
        .post(server.url("/api/login"))
        .header("Accept", "application/json")
        .form(&[("username", "alice"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    let set_cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set_cookie.starts_with("confab_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");

    // Sign out revokes the session itself, not just the cookie.
    let stolen = alice.cookie_header();
    alice.ok("logout", &[]).await;
    assert_eq!(alice.ok("me", &[]).await, serde_json::Value::Null);
    let replay = server
        .client()
        .http
        .post(server.url("/api/me"))
        .header("Accept", "application/json")
        .header("Cookie", stolen)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.text().await.unwrap(), "null");

    alice.ok("login", &[("username", "ALICE"), ("password", "correct horse battery")]).await;
    assert_eq!(alice.ok("me", &[]).await["username"], "alice");
    server.stop().await;
}

#[tokio::test]
async fn wrong_password_and_bad_fields_are_refused_clearly() {
    let server = TestServer::start().await;
    let alice = server.client();
    alice.register("alice").await;
    let eve = server.client();

    let e = eve.err("login", &[("username", "alice"), ("password", "not the password")]).await;
    assert_eq!(e.code, "bad_credentials");
    assert_eq!(e.message, "Wrong username or password.");
    // An unknown user gets the very same answer.
    let e = eve.err("login", &[("username", "nobody"), ("password", "not the password")]).await;
    assert_eq!(e.code, "bad_credentials");
    assert_eq!(eve.ok("me", &[]).await, serde_json::Value::Null);

    let e = eve.err("register", &[("username", "Alice"), ("password", "another password")]).await;
    assert_eq!(e.code, "conflict");
    assert!(e.message.contains("taken"), "{}", e.message);

    let e = eve.err("register", &[("username", ""), ("password", "another password")]).await;
    assert_eq!(e.code, "invalid");
    let e = eve.err("register", &[("username", "eve"), ("password", "short")]).await;
    assert_eq!(e.code, "invalid");
    assert!(e.message.contains("at least 8"), "{}", e.message);
    let long = "x".repeat(300);
    let e = eve.err("register", &[("username", "eve"), ("password", &long)]).await;
    assert_eq!(e.code, "too_large");
    let e = eve.err("register", &[("username", &long), ("password", "long enough pw")]).await;
    assert_eq!(e.code, "invalid");
    let e = eve.err("login", &[("username", ""), ("password", "")]).await;
    assert_eq!(e.code, "invalid");

    // None of the refused registrations left an account behind.
    let e = eve.err("login", &[("username", "eve"), ("password", "another password")]).await;
    assert_eq!(e.code, "bad_credentials");

    // A body far over the limit is refused before it is read.
    let huge = "y".repeat(200 * 1024);
    let res = eve
        .http
        .post(server.url("/api/register"))
        .form(&[("username", "eve"), ("password", huge.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413);
    server.stop().await;
}
