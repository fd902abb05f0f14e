//! The security suite: one test (or a few) per hole an attack probe found,
//! each written to fail on the code before its fix. Kept together so the list
//! is easy to review:
//!
//! 1. sockets live no longer than their session and membership
//! 2. cross-site state changes (CSRF) are refused
//! 3. sign-ins are throttled per account and client, fairly
//! 4. (memory after a sign-in flood: `flood_memory.rs`, its own process)
//! 5. WebSocket frames are capped; connections per address are limited
//! 6. `next` redirects stay on this site and never panic
//! 7. security headers, Host checking, `__Host-` cookies over HTTPS
//! 8. sockets per user and messages per second are limited
//! 9. chunked bodies over the limit, invisible characters, forged form errors
//!
//! Second round:
//!
//! 10. a token is never a browser's sign-in, however it is sent
//! 11. a removal sticks: no way back with a link made before it
//! 12. back in a conversation, nothing of what was said while away
//! 13. an organization's audit log: its members' sign-ins since they
//!     joined, and addresses for its owners only
//! 14. nobody else keeps an account locked for its owner
//! 15. (a stopping server answers every event it read: `stop_answers.rs`;
//!     a flood of any event: `event_flood_memory.rs`, their own processes)

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::support::sio::SioClient;
use crate::support::{TestServer, channel_id, org_with_two_members};
use base64::Engine;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SOON: Duration = Duration::from_secs(3);

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

async fn send(socket: &mut SioClient, channel: i64, body: &str) -> serde_json::Value {
    socket.request("send", &json!({"channel_id": channel, "client_id": uuid(), "body": body})).await
}

fn uuid() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    format!("security-{}", N.fetch_add(1, Ordering::Relaxed))
}

// 1. Sockets live no longer than their session and membership. ------------

#[tokio::test]
async fn a_socket_admitted_while_its_session_signs_out_does_not_stay() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    for round in 0..40 {
        let person = server.client();
        person.ok("login", &[("username", "olivia"), ("password", "correct horse battery")]).await;
        let cookie = person.cookie_header();
        let (socket, _) = tokio::join!(SioClient::connect(server.addr, "/acme", &cookie, None), async {
            // Sign out at about the time the socket is being admitted.
            tokio::time::sleep(Duration::from_micros(200 * (round % 10))).await;
            person.ok("logout", &[]).await;
        });
        let Ok(mut socket) = socket else { continue };
        // Admitted before the sign-out: it must be closed now, or refuse to act.
        if !socket.closed_within(Duration::from_millis(1500)).await {
            let ack = send(&mut socket, general, "still here?").await;
            assert_eq!(ack["error"]["code"], "unauthenticated", "round {round}: {ack}");
            assert!(socket.closed_within(SOON).await, "round {round}: the socket stays open");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn an_expired_session_can_neither_post_nor_listen() {
    let server = TestServer::start_with(|c| c.session_sweep_secs = 1).await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut poster = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    let mut listener = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(listener.request("join", &json!({"channel_id": general})).await.get("ok").is_some());

    server
        .sql("UPDATE sessions SET expires_at = 0 WHERE user_id = (SELECT id FROM users WHERE username = 'mark')")
        .await;

    // Acting: refused at once, and closed.
    let ack = send(&mut poster, general, "after expiry").await;
    assert_eq!(ack["error"]["code"], "unauthenticated", "{ack}");
    assert!(poster.closed_within(SOON).await, "a socket of an expired session stays open");
    // Only listening: closed by the sweep within its interval.
    assert!(listener.closed_within(SOON).await, "a listening socket of an expired session stays open");
    let history = owner.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let messages = history["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "message").count();
    assert_eq!(messages, 0, "nothing was stored");
    server.stop().await;
}

#[tokio::test]
async fn a_removed_member_is_cut_off_at_once() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut listener = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    assert!(listener.request("join", &json!({"channel_id": general})).await.get("ok").is_some());

    // Only owners and admins remove people; the last owner stays.
    assert_eq!(member.err("remove_member", &[("slug", "acme"), ("username", "olivia")]).await.code, "forbidden");
    owner.ok("remove_member", &[("slug", "acme"), ("username", "mark")]).await;
    assert!(listener.closed_within(Duration::from_secs(1)).await, "the removed member's socket stays open");
    let err = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.err().unwrap();
    assert!(err.contains("not a member"), "{err}");
    assert_eq!(member.err("list_channels", &[("slug", "acme")]).await.code, "not_found");
    assert_eq!(owner.err("remove_member", &[("slug", "acme"), ("username", "olivia")]).await.code, "forbidden");
    server.stop().await;
}

#[tokio::test]
async fn membership_ended_behind_the_servers_back_is_seen_at_the_next_event() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut socket = SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    server.sql("DELETE FROM memberships WHERE user_id = (SELECT id FROM users WHERE username = 'mark')").await;
    let ack = send(&mut socket, general, "am I still in?").await;
    assert_eq!(ack["error"]["code"], "not_found", "{ack}");
    assert!(socket.closed_within(SOON).await);
    server.stop().await;
}

// 2. Cross-site state changes are refused. --------------------------------

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let server = TestServer::start().await;
    let victim = server.client();
    victim.register("vera").await;
    let evil = [("Origin", "http://evil.example"), ("Accept", "text/html")];
    let same_site_other_port = [("Origin", "http://127.0.0.1:1"), ("Accept", "text/html")];

    for headers in [&evil[..], &same_site_other_port[..], &[("Sec-Fetch-Site", "cross-site")][..]] {
        let res = victim.post_with("create_org", &[("name", "Pwned"), ("slug", "pwned")], headers).await;
        assert_eq!(res.status(), 403, "{headers:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], "forbidden");
        assert!(body["message"].as_str().unwrap().contains("another site"), "{body}");
    }
    // text/plain bodies do not get around it.
    let res = victim
        .http
        .post(format!("{}/api/create_org", victim.base))
        .header("Origin", "http://evil.example")
        .header("Content-Type", "text/plain")
        .body("name=Pwned&slug=pwned")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Login CSRF and forced sign-out too.
    let res =
        server.client().post_with("login", &[("username", "vera"), ("password", "correct horse battery")], &evil).await;
    assert_eq!(res.status(), 403);
    assert_eq!(victim.post_with("logout", &[], &evil).await.status(), 403);

    assert_eq!(victim.ok("list_orgs", &[]).await, json!([]), "no organization was made");
    assert!(victim.call("me", &[]).await.unwrap().is_object(), "still signed in");

    // This site's own pages, and scripts (no Origin at all), still work.
    let own = format!("http://{}", server.addr);
    let res = victim.post_with("create_org", &[("name", "Real"), ("slug", "real")], &[("Origin", &own)]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = victim
        .post_with("create_org", &[("name", "Mine"), ("slug", "mine")], &[("Sec-Fetch-Site", "same-origin")])
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    server.stop().await;
}

// 3. Sign-ins are throttled per account and client, fairly. ---------------

#[tokio::test]
async fn guessing_a_password_is_slowed_and_the_right_one_does_not_slip_through() {
    let server = TestServer::start().await;
    let ann = server.client();
    ann.register("ann").await;
    let guesser = server.client_from(ip(2));
    let mut refused = 0;
    for i in 0..12 {
        let e = guesser.err("login", &[("username", "ann"), ("password", &format!("guess number {i}"))]).await;
        if e.code == "rate_limited" {
            refused += 1;
            assert_eq!(e.status, 429);
            assert!(e.message.contains("Too many failed sign-ins"), "{}", e.message);
        } else {
            assert_eq!(e.code, "bad_credentials");
        }
    }
    assert!(refused >= 6, "only {refused} of 12 guesses were held up");
    // The right password, too early, gains nothing.
    let e = guesser.err("login", &[("username", "ann"), ("password", "correct horse battery")]).await;
    assert_eq!(e.code, "rate_limited");
    // Ann herself, from her own address, signs in.
    ann.ok("login", &[("username", "ann"), ("password", "correct horse battery")]).await;
    server.stop().await;
}

#[tokio::test]
async fn one_client_flooding_sign_ins_does_not_lock_out_the_others() {
    let server = TestServer::start().await;
    let real = server.client();
    real.register("rita").await;
    let flooder = server.client_from(ip(3));
    let flood: Vec<_> = (0..150)
        .map(|i| {
            let http = flooder.http.clone();
            let url = format!("{}/api/login", flooder.base);
            tokio::spawn(async move {
                let user = format!("nobody{i}");
                let form = [("username", user.as_str()), ("password", "wrong password")];
                http.post(url)
                    .header("Accept", "application/json")
                    .form(&form)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut ok = 0;
    for _ in 0..12 {
        if real.call("login", &[("username", "rita"), ("password", "correct horse battery")]).await.is_ok() {
            ok += 1;
        }
    }
    // Turned away: 429 from the hashing queue, or (past 100 open connections
    // from one address) a 429 before the request was even read.
    let turned_away = futures::future::join_all(flood).await.into_iter().filter(|r| !matches!(r, Ok(Ok(401)))).count();
    assert!(turned_away > 100, "only {turned_away} of 150 flooding sign-ins were turned away");
    assert_eq!(ok, 12, "the real user was turned away during another client's flood");
    server.stop().await;
}

// 5. WebSocket frames are capped; connections per address are limited. ----

/// A raw WebSocket upgrade on a TCP stream, as an attacker would send it.
async fn raw_websocket(addr: std::net::SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(req.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tcp.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    tcp
}

/// Reads until the server closes the connection; false if it is still open after `wait`.
async fn closed_by_server(tcp: &mut TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(wait, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_huge_websocket_frame_is_refused_before_it_is_buffered() {
    let server = TestServer::start().await;
    let mut tcp = raw_websocket(server.addr).await;
    // A masked text frame announcing 16 MiB, of which only the start is sent.
    let mut frame = vec![0x81, 0xFF];
    frame.extend_from_slice(&(16u64 << 20).to_be_bytes());
    frame.extend_from_slice(&[1, 2, 3, 4]);
    frame.extend_from_slice(&[b'x'; 1024]);
    let _ = tcp.write_all(&frame).await;
    assert!(closed_by_server(&mut tcp, Duration::from_secs(2)).await, "the server waits for the rest of 16 MiB");
    server.stop().await;
}

#[tokio::test]
async fn open_connections_per_address_are_limited() {
    let server = TestServer::start_with(|c| c.max_connections_per_address = 5).await;
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(raw_websocket(server.addr).await);
    }
    let mut sixth = TcpStream::connect(server.addr).await.unwrap();
    let mut answer = String::new();
    let _ = tokio::time::timeout(SOON, sixth.read_to_string(&mut answer)).await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer:?}");
    assert!(answer.contains("Too many open connections"), "{answer:?}");

    // Another address is not affected; closing one makes room again.
    let other = server.client_from(ip(4));
    assert!(other.http.get(server.url("/healthz")).send().await.unwrap().status().is_success());
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    raw_websocket(server.addr).await;
    server.stop().await;
}

// 6. `next` redirects stay on this site and never panic. ------------------

#[tokio::test]
async fn next_leads_only_to_plain_paths_on_this_site() {
    let server = TestServer::start().await;
    let cases = [
        ("/\t/evil.example/phish", "/"),
        ("/\nx", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/o/acme?tab=1", "/o/acme?tab=1"),
    ];
    for (i, (next, expected)) in cases.iter().enumerate() {
        let person = server.client();
        let name = format!("nina{i}");
        let res = person
            .post_with(
                "register",
                &[("username", &name), ("password", "correct horse battery"), ("next", next)],
                &[("Accept", "text/html")],
            )
            .await;
        assert_eq!(res.status(), 302, "{next:?}");
        assert_eq!(res.headers()["location"], *expected, "{next:?}");
        let res = person
            .post_with(
                "login",
                &[("username", &name), ("password", "correct horse battery"), ("next", next)],
                &[("Accept", "application/json")],
            )
            .await;
        assert!(res.status().is_success(), "{next:?}: {}", res.status());
        assert_eq!(res.headers()["location"], *expected, "{next:?}");
    }
    server.stop().await;
}

// 7. Security headers, Host checking, `__Host-` cookies over HTTPS. -------

#[tokio::test]
async fn pages_carry_a_nonce_policy_and_the_other_headers() {
    let server = TestServer::start().await;
    let res = reqwest::get(server.url("/")).await.unwrap();
    let headers = res.headers().clone();
    let body = res.text().await.unwrap();
    let csp = headers["content-security-policy"].to_str().unwrap();
    let nonce = csp.split("'nonce-").nth(1).and_then(|r| r.split('\'').next()).expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{csp}");
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    // Each page gets its own nonce.
    let again = reqwest::get(server.url("/")).await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(nonce));
    // Other responses are not framed or sniffed either.
    let api = reqwest::get(server.url("/healthz")).await.unwrap();
    assert!(api.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    server.stop().await;
}

#[tokio::test]
async fn a_rebinding_host_is_refused() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let res = http.get(server.url("/")).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(res.status(), 421);
    let res =
        http.get(server.url("/")).header("Host", format!("localhost:{}", server.addr.port())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // A load balancer's health check names the server by address, whatever
    // the host: it is answered, and says nothing more than "ok".
    let res = http.get(server.url("/healthz")).header("Host", "evil.example").send().await.unwrap();
    assert_eq!(res.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn over_https_the_cookie_is_host_only_and_secure() {
    let server = TestServer::start_with(|c| c.public_url = Some("https://chat.example.com".into())).await;
    let http = reqwest::Client::new();
    let url = server.url("/api/register");
    let form = [("username", "hana"), ("password", "correct horse battery")];
    let res = http.post(&url).header("Host", "chat.example.com").form(&form).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-confab_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    // Its own IP address is no longer a name it answers to (but for a
    // load balancer's health check).
    let res = http.get(server.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 421);
    let res = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // And only its https origin may post.
    let res = http
        .post(&url)
        .header("Host", "chat.example.com")
        .header("Origin", "http://chat.example.com")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    server.stop().await;
}

// 8. Sockets per user and messages per second are limited. ----------------

#[tokio::test]
async fn sockets_per_user_are_limited() {
    let server = TestServer::start_with(|c| c.max_sockets_per_user = 3).await;
    let (owner, member) = org_with_two_members(&server).await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap());
    }
    let err = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None)
        .await
        .err()
        .expect("a fourth is refused");
    assert!(err.contains("too many live connections"), "{err}");
    // Someone else is not affected; closing one makes room.
    SioClient::connect(server.addr, "/acme", &member.cookie_header(), None).await.unwrap();
    drop(open.pop());
    let deadline = Instant::now() + SOON;
    loop {
        match SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await {
            Ok(_) => break,
            Err(e) if Instant::now() < deadline => {
                assert!(e.contains("too many"), "{e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no room after closing a socket: {e}"),
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn messages_per_user_per_second_are_limited() {
    let server = TestServer::start_with(|c| c.messages_per_second = 5).await;
    let (owner, _member) = org_with_two_members(&server).await;
    let general = channel_id(&owner, "acme", "general").await;
    let mut socket = SioClient::connect(server.addr, "/acme", &owner.cookie_header(), None).await.unwrap();
    let mut stored = 0;
    let mut limited = 0;
    for i in 0..30 {
        let ack = send(&mut socket, general, &format!("flood {i}")).await;
        if ack.get("ok").is_some() {
            stored += 1;
        } else {
            assert_eq!(ack["error"]["code"], "rate_limited", "{ack}");
            assert!(ack["error"]["message"].as_str().unwrap().contains("too fast"));
            limited += 1;
        }
    }
    assert!(limited > 0 && stored >= 10, "stored {stored}, limited {limited}");
    assert!(stored <= 15, "stored {stored} of 30 in well under a few seconds");
    server.stop().await;
}

// 9. Smaller ones. ----------------------------------------------------------

#[tokio::test]
async fn a_chunked_body_over_the_limit_is_413() {
    let server = TestServer::start().await;
    let chunks = (0..10).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 10 * 1024]));
    let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let res = reqwest::Client::new()
        .post(server.url("/api/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "too_large");
    server.stop().await;
}

#[tokio::test]
async fn invisible_and_bidi_characters_are_refused_in_names() {
    let server = TestServer::start().await;
    let person = server.client();
    person.register("ivan").await;
    for name in ["Acme\u{202E}moc.evil", "Ac\u{200B}me"] {
        let e = person.err("create_org", &[("name", name), ("slug", "acme")]).await;
        assert_eq!(e.code, "invalid", "{name:?}");
    }
    let e =
        server.client().err("register", &[("username", "iv\u{200B}an"), ("password", "correct horse battery")]).await;
    assert_eq!(e.code, "invalid");
    server.stop().await;
}

/// A message cannot disguise its text: bidirectional overrides and
/// isolates and invisible spaces are taken out as it is stored (and the
/// browser shows each body isolated from the text around it); what writing
/// needs (joiners for emoji and scripts, direction marks) stays.
#[tokio::test]
async fn a_message_cannot_disguise_its_text() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let post = |body: &'static str| {
        let owner = &owner;
        async move {
            let id = uuid();
            let form = [("slug", "acme"), ("channel", "general"), ("client_id", id.as_str()), ("body", body)];
            owner.ok("send_message", &form).await["body"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(post("invoice\u{202E}fdp.exe").await, "invoicefdp.exe");
    assert_eq!(post("see https://exam\u{200B}ple.com\u{2066}/x\u{2069}").await, "see https://example.com/x");
    assert_eq!(post("\u{1F469}\u{200D}\u{1F4BB} done\u{200F}").await, "\u{1F469}\u{200D}\u{1F4BB} done\u{200F}");
    let e = owner
        .err("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "z"), ("body", "\u{200B}")])
        .await;
    assert_eq!(e.code, "invalid");
    server.stop().await;
}

#[tokio::test]
async fn the_sign_in_form_shows_only_its_own_sentences() {
    let server = TestServer::start().await;
    let forged = json!({"code": "bad_credentials", "message": "Your account is locked. Call +1 555 0100 now."});
    let err = base64::engine::general_purpose::URL_SAFE.encode(forged.to_string());
    let url = server.url(&format!("/?__path=/api/login&__err={err}"));
    let page = reqwest::get(url).await.unwrap().text().await.unwrap();
    assert!(!page.contains("Call +1 555"), "the page shows text from the URL");
    assert!(page.contains("Wrong username or password."), "the code's own sentence is shown");
    server.stop().await;
}

// 10. A token is never a browser's sign-in, however it is sent. -----------

#[tokio::test]
async fn an_api_token_sent_as_the_session_cookie_makes_no_tokens() {
    let server = TestServer::start().await;
    let (_owner, member) = org_with_two_members(&server).await;
    let made = member.ok("create_api_token", &[("name", "leaky bot")]).await;
    let (token, id) = (made["token"].as_str().unwrap().to_owned(), made["listed"]["id"].as_str().unwrap().to_owned());
    let thief = server.client();
    let cookie = format!("confab_session={token}");
    let as_cookie = [("Accept", "application/json"), ("Cookie", cookie.as_str())];
    // It is still its owner's token for everything a token may do…
    let me = thief.post_with("me", &[], &as_cookie).await;
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["username"], "mark");
    // …but it makes and revokes no tokens.
    for (name, form) in
        [("create_api_token", vec![("name", "second bot")]), ("revoke_api_token", vec![("id", id.as_str())])]
    {
        let res = thief.post_with(name, &form, &as_cookie).await;
        let status = res.status().as_u16();
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!((status, body["code"].as_str()), (401, Some("unauthenticated")), "{name}: {body}");
    }
    member.ok("revoke_api_token", &[("id", &id)]).await;
    assert_eq!(member.ok("list_api_tokens", &[]).await, json!([]), "nothing outlives the leaked token");
    server.stop().await;
}

// 11. A removal sticks. ----------------------------------------------------

#[tokio::test]
async fn a_removed_member_cannot_come_back_with_an_earlier_link() {
    let server = TestServer::start().await;
    let (owner, _member) = org_with_two_members(&server).await;
    let link = owner.ok("create_invite", &[("slug", "acme")]).await["token"].as_str().unwrap().to_owned();
    let rita = server.client();
    rita.register("rita").await;
    rita.ok("accept_invite", &[("token", &link)]).await;
    owner.ok("remove_member", &[("slug", "acme"), ("username", "rita")]).await;

    let e = rita.err("accept_invite", &[("token", &link)]).await;
    assert_eq!((e.status, e.code.as_str()), (403, "forbidden"), "{}", e.message);
    assert!(e.message.contains("new one"), "{}", e.message);
    assert_eq!(rita.ok("list_orgs", &[]).await, json!([]), "not a member again");
    assert_eq!(rita.err("org", &[("slug", "acme")]).await.code, "not_found");
    // The link still works for anyone else, and for someone who left on their own.
    let tom = server.client();
    tom.register("tom").await;
    tom.ok("accept_invite", &[("token", &link)]).await;
    tom.ok("leave_org", &[("slug", "acme")]).await;
    tom.ok("accept_invite", &[("token", &link)]).await;
    // Invited again on purpose, with a link made after the removal: back in.
    let again = owner.ok("create_invite", &[("slug", "acme")]).await["token"].as_str().unwrap().to_owned();
    rita.ok("accept_invite", &[("token", &again)]).await;
    assert_eq!(rita.ok("list_orgs", &[]).await[0]["slug"], "acme");
    server.stop().await;
}

// 12. Back in a conversation, nothing of what was said while away. --------

fn bodies(page: &serde_json::Value) -> Vec<String> {
    let messages = page["messages"].as_array().or(page["missed"].as_array()).unwrap();
    messages.iter().filter(|m| m["kind"] == "message").map(|m| m["body"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn someone_back_in_a_conversation_does_not_read_what_was_said_while_away() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let invite =
        || async { owner.ok("create_invite", &[("slug", "acme")]).await["token"].as_str().unwrap().to_owned() };
    let rita = server.client();
    rita.register("rita").await;
    rita.ok("accept_invite", &[("token", &invite().await)]).await;
    let group = owner.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "mark"), ("usernames[1]", "rita")]).await;
    let group = group["name"].as_str().unwrap().to_owned();
    let plans = owner.ok("create_channel", &[("slug", "acme"), ("name", "plans"), ("kind", "private")]).await;
    let plans = plans["name"].as_str().unwrap().to_owned();
    owner.ok("add_to_channel", &[("slug", "acme"), ("channel", &plans), ("username", "rita")]).await;
    let say = |channel: String, body: &'static str| {
        let owner = &owner;
        async move {
            let id = uuid();
            let form = [("slug", "acme"), ("channel", channel.as_str()), ("client_id", id.as_str()), ("body", body)];
            owner.ok("send_message", &form).await
        }
    };
    say(group.clone(), "before").await;
    say(plans.clone(), "plans before").await;
    let group_id = channel_id(&member, "acme", &group).await;
    let before = rita.ok("history", &[("slug", "acme"), ("channel", &group)]).await;
    let resume_from = before["channel"]["last_seq"].as_i64().unwrap();

    owner.ok("remove_member", &[("slug", "acme"), ("username", "rita")]).await;
    say(group.clone(), "said while rita was away").await;
    say(plans.clone(), "plans while rita was away").await;

    rita.ok("accept_invite", &[("token", &invite().await)]).await;
    let back = rita.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "olivia"), ("usernames[1]", "mark")]).await;
    assert_eq!(back["name"], group.as_str(), "the same conversation");
    owner.ok("add_to_channel", &[("slug", "acme"), ("channel", &plans), ("username", "rita")]).await;
    say(group.clone(), "after").await;
    say(plans.clone(), "plans after").await;

    let page = rita.ok("history", &[("slug", "acme"), ("channel", &group)]).await;
    assert_eq!(bodies(&page), vec!["before", "after"], "{page}");
    let page = rita.ok("history", &[("slug", "acme"), ("channel", &plans)]).await;
    assert_eq!(bodies(&page), vec!["plans before", "plans after"], "{page}");
    // Resuming from where she was before: the same.
    let mut socket = SioClient::connect(server.addr, "/acme", &rita.cookie_header(), None).await.unwrap();
    let joined = socket.request("join", &json!({"channel_id": group_id, "after_seq": resume_from})).await;
    assert_eq!(bodies(&joined["ok"]), vec!["after"], "{joined}");
    // Mark, who never left, reads all of it.
    let page = member.ok("history", &[("slug", "acme"), ("channel", &group)]).await;
    assert_eq!(bodies(&page), vec!["before", "said while rita was away", "after"]);
    // And nothing of it counts as unread for her.
    let channels = rita.ok("list_channels", &[("slug", "acme")]).await;
    let listed = channels.as_array().unwrap().iter().find(|c| c["name"] == group.as_str()).unwrap().clone();
    assert_eq!(listed["unread"], 1, "only what came after she was back: {listed}");
    server.stop().await;
}

// 13. An organization's audit log: sign-ins since joining, addresses for owners.

#[tokio::test]
async fn an_organization_sees_only_sign_ins_since_joining_and_only_owners_see_addresses() {
    let server = TestServer::start().await;
    let (owner, member) = org_with_two_members(&server).await;
    let rita = server.client_from(ip(21));
    rita.register("rita").await;
    for _ in 0..2 {
        rita.ok("login", &[("username", "rita"), ("password", crate::support::PASSWORD)]).await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    let link = owner.ok("create_invite", &[("slug", "acme")]).await["token"].as_str().unwrap().to_owned();
    rita.ok("accept_invite", &[("token", &link)]).await;
    let signed_in = |log: &serde_json::Value| {
        log.as_array().unwrap().iter().filter(|e| e["action"] == "signed_in" && e["actor"] == "rita").count()
    };
    let log = owner.ok("audit_log", &[("slug", "acme")]).await;
    assert_eq!(signed_in(&log), 0, "her sign-ins from before she joined are not acme's: {log}");
    rita.ok("login", &[("username", "rita"), ("password", crate::support::PASSWORD)]).await;
    let log = owner.ok("audit_log", &[("slug", "acme")]).await;
    assert_eq!(signed_in(&log), 1, "{log}");
    let entry = log.as_array().unwrap().iter().find(|e| e["action"] == "signed_in" && e["actor"] == "rita").unwrap();
    assert_eq!(entry["address"], "127.0.0.21", "owners see where from");
    // An admin reads the same entries without addresses.
    owner.ok("set_role", &[("slug", "acme"), ("username", "mark"), ("role", "admin")]).await;
    let seen = member.ok("audit_log", &[("slug", "acme")]).await;
    let seen = seen.as_array().unwrap();
    assert_eq!(seen.len(), log.as_array().unwrap().len() + 1, "one more: the role change");
    assert!(seen.iter().all(|e| e.get("address").is_none()), "{seen:?}");
    server.stop().await;
}

// 14. Nobody else keeps an account locked for its owner. -------------------

#[tokio::test]
async fn guesses_from_elsewhere_do_not_lock_the_owner_out() {
    let server = TestServer::start().await;
    let ann = server.client_from(ip(30));
    ann.register("ann").await;
    // 21 wrong passwords from five other addresses: the account's total.
    for i in 0..21u8 {
        let guesser = server.client_from(ip(40 + i % 5));
        let e = guesser.err("login", &[("username", "ann"), ("password", "a wrong guess")]).await;
        assert!(matches!(e.code.as_str(), "bad_credentials" | "rate_limited"), "{e:?}");
    }
    // A stranger's right password now waits…
    let stranger = server.client_from(ip(50));
    assert_eq!(
        stranger.err("login", &[("username", "ann"), ("password", crate::support::PASSWORD)]).await.code,
        "rate_limited"
    );
    // …but Ann, from where she signed in before, is not held back.
    ann.ok("login", &[("username", "ann"), ("password", crate::support::PASSWORD)]).await;
    server.stop().await;
}
