//! Sending Web Push messages (RFC 8030) from the server itself, through the
//! `web-push` crate: each payload encrypted for the one device (RFC 8291,
//! `aes128gcm`) and signed with the server's VAPID key (RFC 8292), posted
//! to the device's push service. Only to push services this server is set
//! to trust (by host name), over HTTPS, never following a redirect: a
//! subscription names an address the server will post to, so it must not
//! be a way to reach anything else.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use web_push::{
    ContentEncoding, PartialVapidSignatureBuilder, SubscriptionInfo, Urgency, VapidSignatureBuilder,
    WebPushMessageBuilder, request_builder,
};

use crate::store::SubscriptionRow;

/// The push services of the browsers people use (Chrome, Edge, Firefox,
/// Safari), by the end of their host names.
pub const KNOWN_PUSH_SERVICES: [&str; 4] =
    ["fcm.googleapis.com", "push.services.mozilla.com", "notify.windows.com", "push.apple.com"];

/// How long a push service keeps a message for a device that is away.
const TTL_SECS: u32 = 24 * 3600;

/// Where pushes may go and who sends them.
#[derive(Clone, Debug)]
pub struct PushSettings {
    /// Host names (or their ends) of the push services subscriptions may name.
    pub services: Vec<String>,
    /// Plain `http://` push services too (tests on loopback only).
    pub allow_http: bool,
    /// Who to contact about these pushes (`mailto:` or `https:`), told to
    /// the push services in the VAPID signature.
    pub contact: String,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            services: KNOWN_PUSH_SERVICES.iter().map(|s| (*s).to_owned()).collect(),
            allow_http: false,
            contact: "mailto:admin@localhost".into(),
        }
    }
}

/// What became of a push.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    Delivered,
    /// The push service says the subscription is gone: forget it.
    Gone,
    Failed(String),
}

/// Sends pushes; cheap to clone.
#[derive(Clone)]
pub(crate) struct Pusher {
    vapid: PartialVapidSignatureBuilder,
    public_key: Arc<str>,
    settings: Arc<PushSettings>,
    client: reqwest::Client,
}

impl Pusher {
    /// A new private key (raw P-256 scalar, base64url), for a server's first start.
    pub(crate) fn make_key() -> String {
        loop {
            let bytes: [u8; 32] = rand::random();
            let key = URL_SAFE_NO_PAD.encode(bytes);
            // Nearly every 32 bytes are a valid key; the rest are drawn again.
            if VapidSignatureBuilder::from_base64_no_sub(&key).is_ok() {
                return key;
            }
        }
    }

    pub(crate) fn new(private_key: &str, settings: PushSettings) -> Result<Pusher, String> {
        let vapid = VapidSignatureBuilder::from_base64_no_sub(private_key).map_err(|e| e.to_string())?;
        let public_key = URL_SAFE_NO_PAD.encode(vapid.get_public_key()).into();
        // Push services are reached over rustls with ring's cryptography
        // (deprecated by rustls for lacking post-quantum key exchange).
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Pusher { vapid, public_key, settings: Arc::new(settings), client })
    }

    /// The public key browsers subscribe with (`applicationServerKey`).
    pub(crate) fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Whether `endpoint` is at a push service this server posts to.
    pub(crate) fn endpoint_allowed(&self, endpoint: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(endpoint) else { return false };
        let scheme_ok = url.scheme() == "https" || (self.settings.allow_http && url.scheme() == "http");
        let Some(host) = url.host_str() else { return false };
        let host = host.to_ascii_lowercase();
        scheme_ok
            && url.username().is_empty()
            && url.password().is_none()
            && self.settings.services.iter().any(|s| host == *s || host.ends_with(&format!(".{s}")))
    }

    /// Encrypts `payload` for one device and posts it to its push service.
    pub(crate) async fn send(&self, to: &SubscriptionRow, payload: &[u8]) -> Pushed {
        if !self.endpoint_allowed(&to.endpoint) {
            return Pushed::Gone;
        }
        let Ok(url) = reqwest::Url::parse(&to.endpoint) else { return Pushed::Gone };
        let audience = url.origin().ascii_serialization();
        let info = SubscriptionInfo::new(to.endpoint.as_str(), to.p256dh.as_str(), to.auth.as_str());
        let message = (|| {
            let mut signature = self.vapid.clone().add_sub_info(&info);
            signature.add_claim("sub", self.settings.contact.as_str());
            // The push service's whole origin, port and all (RFC 8292).
            signature.add_claim("aud", audience.as_str());
            let mut message = WebPushMessageBuilder::new(&info);
            message.set_payload(ContentEncoding::Aes128Gcm, payload);
            message.set_vapid_signature(signature.build()?);
            message.set_ttl(TTL_SECS);
            message.set_urgency(Urgency::High);
            message.build()
        })();
        let message = match message {
            Ok(m) => m,
            // Keys a browser would never send: this subscription cannot be used.
            Err(e) => return Pushed::Failed(format!("cannot make the push: {e}")),
        };
        let (parts, body) = request_builder::build_request::<Vec<u8>>(message).into_parts();
        let mut request = self.client.post(parts.uri.to_string()).body(body);
        for (name, value) in &parts.headers {
            request = request.header(name.as_str(), value.as_bytes());
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => Pushed::Delivered,
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Pushed::Gone,
            Ok(r) => Pushed::Failed(format!("the push service answered {}", r.status())),
            Err(e) => Pushed::Failed(format!("the push service cannot be reached: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_push_services_set_are_posted_to() {
        let pusher = Pusher::new(&Pusher::make_key(), PushSettings::default()).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(pusher.public_key()).unwrap().len(), 65);
        assert!(pusher.endpoint_allowed("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(pusher.endpoint_allowed("https://updates.push.services.mozilla.com/wpush/v2/x"));
        assert!(!pusher.endpoint_allowed("http://fcm.googleapis.com/fcm/send/abc"), "not over plain HTTP");
        assert!(!pusher.endpoint_allowed("https://evil-fcm.googleapis.com.example/x"));
        assert!(!pusher.endpoint_allowed("https://169.254.169.254/latest/meta-data"));
        assert!(!pusher.endpoint_allowed("https://user@fcm.googleapis.com/x"));
        assert!(!pusher.endpoint_allowed("not a url"));
        let local = PushSettings { services: vec!["127.0.0.1".into()], allow_http: true, ..PushSettings::default() };
        assert!(Pusher::new(&Pusher::make_key(), local).unwrap().endpoint_allowed("http://127.0.0.1:9/push/1"));
    }
}
