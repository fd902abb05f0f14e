//! Push notifications end to end, against a push service the test runs on
//! loopback: the test is the device (it holds the subscription's private
//! key), decrypts what the server sent (RFC 8291) and checks its text, the
//! server's VAPID signature (RFC 8292) and the rule: a direct message or a
//! mention reaches those with no live connection, nobody else; a
//! subscription its push service says is gone is forgotten, and one made
//! under a sign-in that ended is told nothing.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use serde_json::{Value, json};

use crate::support::push_service::{Received, TestPushService};
use crate::support::sio::SioClient;
use crate::support::{Api, TestServer, org_with_two_members};

/// A device: its subscription's keys.
struct Device {
    keys: Box<dyn ece::LocalKeyPair>,
    auth: [u8; 16],
}

impl Device {
    fn new() -> Device {
        let (keys, auth) = ece::generate_keypair_and_auth_secret().expect("device keys");
        Device { keys, auth }
    }

    async fn subscribe(&self, api: &Api, endpoint: &str) {
        let p256dh = URL_SAFE_NO_PAD.encode(self.keys.pub_as_raw().unwrap());
        let auth = URL_SAFE_NO_PAD.encode(self.auth);
        api.ok("push_subscribe", &[("endpoint", endpoint), ("p256dh", &p256dh), ("auth", &auth)]).await;
    }

    /// What the server sent, decrypted.
    fn read(&self, push: &Received) -> Value {
        assert_eq!(push.headers["content-encoding"], "aes128gcm");
        let plain = ece::decrypt(&self.keys.raw_components().unwrap(), &self.auth, &push.body).expect("decrypts");
        serde_json::from_slice(&plain).expect("JSON")
    }
}

/// Checks the push's VAPID signature against the server's public key, for
/// the push service's origin; returns the JWT's claims.
fn vapid_claims(push: &Received, server_key: &str, audience: &str) -> Value {
    let auth = push.headers["authorization"].to_str().unwrap();
    let rest = auth.strip_prefix("vapid ").expect("a VAPID authorization");
    let (mut token, mut key) = ("", "");
    for part in rest.split(',').map(str::trim) {
        match part.split_once('=') {
            Some(("t", v)) => token = v,
            Some(("k", v)) => key = v,
            _ => {}
        }
    }
    assert_eq!(key, server_key, "signed with the key browsers subscribe with");
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(key).unwrap()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).unwrap()).unwrap();
    verifying.verify(signed.as_bytes(), &signature).expect("the VAPID signature holds");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(signed.split('.').nth(1).unwrap()).unwrap()).unwrap();
    assert_eq!(claims["aud"], audience);
    assert!(claims["sub"].as_str().is_some_and(|s| s.starts_with("mailto:")));
    claims
}

#[tokio::test]
async fn a_direct_message_or_a_mention_reaches_those_away_and_a_gone_subscription_is_forgotten() {
    let push = TestPushService::start().await;
    let server = TestServer::start_with(|c| {
        c.push_services = vec!["127.0.0.1".into()];
        c.push_allow_http = true;
        c.presence_grace_ms = 100;
    })
    .await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let server_key = mark.ok("push_key", &[]).await.as_str().unwrap().to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&server_key).unwrap().len(), 65);
    // Only a push service the server trusts, only a browser's keys.
    let device = Device::new();
    let refused =
        mark.err("push_subscribe", &[("endpoint", "http://10.0.0.1/push/x"), ("p256dh", "x"), ("auth", "x")]).await;
    assert_eq!((refused.status, refused.code.as_str()), (400, "invalid"));
    device.subscribe(&mark, &push.endpoint("mark")).await;
    assert_eq!(mark.ok("push_subscribed", &[("endpoint", &push.endpoint("mark"))]).await, true);
    assert_eq!(olivia.ok("push_subscribed", &[("endpoint", &push.endpoint("mark"))]).await, false, "his, not hers");

    // Mark has no live connection: a direct message reaches his device.
    let dm = olivia.ok("open_direct", &[("slug", "acme"), ("usernames[0]", "mark")]).await;
    let dm = dm["name"].as_str().unwrap().to_owned();
    let say = async |channel: &str, id: &str, body: &str| {
        let form = [("slug", "acme"), ("channel", channel), ("client_id", id), ("body", body)];
        olivia.ok("send_message", &form).await["seq"].as_i64().unwrap()
    };
    let seq = say(&dm, "d1", "lunch at noon?").await;
    let first = push.nth(0, Duration::from_secs(5)).await.expect("a push for the direct message");
    assert_eq!(first.device, "mark");
    let note = device.read(&first);
    assert_eq!((note["title"].as_str(), note["body"].as_str()), (Some("olivia"), Some("lunch at noon?")));
    assert_eq!(note["url"], format!("/o/acme/c/{dm}?at={seq}"));
    let claims = vapid_claims(&first, &server_key, &format!("http://{}", push.addr));
    assert!(claims["exp"].as_i64().unwrap() > 0);
    assert!(first.headers.contains_key("ttl"));

    // While he is connected (a tab open), nothing is pushed.
    let live = SioClient::connect(server.addr, "/acme", &mark.cookie_header(), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    say(&dm, "d2", "are you there?").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(push.count(), 1, "no push while a device of his is live");
    drop(live);
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Away again: a mention in a channel reaches him; a message that does
    // not mention him does not.
    say("general", "g1", "nothing for anyone").await;
    say("general", "g2", "@mark please look at the plan").await;
    let second = push.nth(1, Duration::from_secs(5)).await.expect("a push for the mention");
    let note = device.read(&second);
    assert_eq!(note["title"], "olivia in #general");
    assert_eq!(note["body"], "@mark please look at the plan");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(push.count(), 2, "one push for the mention, none for the rest");

    // A reply in a thread he follows (his own message's) reaches him, and
    // opens the thread.
    let form = [("slug", "acme"), ("channel", "general"), ("client_id", "root"), ("body", "the plan, v2")];
    let root = mark.ok("send_message", &form).await["seq"].as_i64().unwrap().to_string();
    let reply =
        [("slug", "acme"), ("channel", "general"), ("client_id", "r1"), ("body", "looks good"), ("thread_of", &root)];
    olivia.ok("send_message", &reply).await;
    let third = push.nth(2, Duration::from_secs(5)).await.expect("a push for the reply");
    let note = device.read(&third);
    assert_eq!(
        (note["body"].as_str(), note["url"].clone()),
        (Some("looks good"), json!(format!("/o/acme/c/general?thread={root}")))
    );

    // The push service says the subscription is gone: it is forgotten.
    push.forget("mark");
    say(&dm, "d3", "still there?").await;
    push.nth(3, Duration::from_secs(5)).await.expect("the push that finds it gone");
    for _ in 0..100 {
        if server.number("SELECT COUNT(*) FROM push_subscriptions").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.number("SELECT COUNT(*) FROM push_subscriptions").await, 0, "forgotten");
    say(&dm, "d4", "hello?").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(push.count(), 4, "nothing more is pushed to a gone subscription");

    // A device subscribed under a sign-in is told nothing once it ends.
    let laptop = Device::new();
    laptop.subscribe(&mark, &push.endpoint("laptop")).await;
    say(&dm, "d5", "one more").await;
    let fifth = push.nth(4, Duration::from_secs(5)).await.expect("a push to the new device");
    assert_eq!(laptop.read(&fifth)["body"], "one more");
    mark.ok("logout", &[]).await;
    say(&dm, "d6", "after you left").await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(push.count(), 5, "nothing pushed under a sign-in that ended");
}
