//! Push notifications: people's devices subscribe (a browser's Push API
//! subscription, kept while the sign-in it was made under lasts), and a
//! direct message, a mention or a reply in a followed thread reaches those
//! of the people it is for who have no live connection in the
//! organization, through their push services. Whether someone may read the channel is decided when
//! the push is sent, from the database; a subscription whose push service
//! says it is gone is forgotten.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::{ChannelAccess, Service, fail};
use crate::access;
use crate::error::{CoreError, CoreResult};
use crate::kinds::ChannelKind;
use crate::model::{Message, User};
use crate::push::{PushSettings, Pushed, Pusher};

/// The most of a message's text a notification carries.
const PREVIEW_CHARS: usize = 200;
/// The most devices one person is pushed to (the newest subscriptions).
const MAX_DEVICES: i64 = 10;

/// What a device is told (JSON, encrypted for it): what its service worker
/// shows, and where a click on it goes.
#[derive(Debug, Serialize)]
struct Notification<'a> {
    title: String,
    body: String,
    /// The page that opens: the channel at the message.
    url: String,
    /// Notifications of one channel replace each other on a device.
    tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<&'a str>,
}

impl Service {
    /// Sends pushes with the server's VAPID key (made on the first start
    /// and kept in the database, so every server of a cluster signs alike).
    pub async fn enable_push(&self, settings: PushSettings) -> CoreResult<()> {
        let key = self.store.vapid_key(&Pusher::make_key()).await.map_err(fail("reading the push key"))?;
        let pusher = Pusher::new(&key, settings).map_err(|e| {
            tracing::error!(error = %e, "the stored push key cannot be used");
            CoreError::Internal
        })?;
        let _ = self.push.set(pusher);
        Ok(())
    }

    fn pusher(&self) -> CoreResult<&Pusher> {
        self.push.get().ok_or_else(|| CoreError::forbidden("This server sends no push notifications."))
    }

    /// The key browsers subscribe with (`applicationServerKey`, base64url).
    pub fn push_public_key(&self) -> CoreResult<String> {
        Ok(self.pusher()?.public_key().to_owned())
    }

    /// Pushes to `user`'s device at `endpoint` from now on, while the
    /// sign-in `session_token` lasts (`p256dh` and `auth`: its
    /// subscription's keys, base64url, as the browser gives them).
    pub async fn subscribe_push(
        &self,
        (user, session_token): (&User, &str),
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> CoreResult<()> {
        let pusher = self.pusher()?;
        if endpoint.len() > 2048 || !pusher.endpoint_allowed(endpoint) {
            return Err(CoreError::invalid("That is not the address of a push service this server sends to."));
        }
        let key = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('='));
        let secret = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('='));
        if !key.is_ok_and(|k| k.len() == 65 && k[0] == 4) || !secret.is_ok_and(|s| s.len() == 16) {
            return Err(CoreError::invalid("The subscription's keys do not read as a browser's."));
        }
        let (p256dh, auth) = (p256dh.trim_end_matches('='), auth.trim_end_matches('='));
        let session = crate::auth::token_hash(session_token);
        let kept = self.store.add_subscription((user.id, &session), (endpoint, p256dh, auth), MAX_DEVICES).await;
        kept.map_err(fail("keeping a subscription"))?;
        tracing::info!(user_id = user.id, "push subscription kept");
        Ok(())
    }

    /// Whether `user`'s device at `endpoint` is pushed to (its sign-in may
    /// have ended since it subscribed).
    pub async fn push_subscribed(&self, user: &User, endpoint: &str) -> CoreResult<bool> {
        self.store.has_subscription(user.id, endpoint).await.map_err(fail("looking up a subscription"))
    }

    /// Stops pushing to `user`'s device at `endpoint` (none there: no error).
    pub async fn unsubscribe_push(&self, user: &User, endpoint: &str) -> CoreResult<()> {
        self.store.remove_subscription(user.id, endpoint).await.map_err(fail("forgetting a subscription"))?;
        Ok(())
    }

    /// Tells of a message just posted in `access`'s channel, on their
    /// devices, the people it is for who have no live connection now:
    /// everyone else in a direct conversation; elsewhere the people it
    /// mentions (`mentioned`) and, for a reply, those who follow its
    /// thread. In a task of its own, so that its sender never waits for
    /// push services.
    pub(super) fn push_message(&self, access: &ChannelAccess, message: &Message, mentioned: Vec<i64>) {
        let direct = access.channel.kind == ChannelKind::Direct;
        if self.push.get().is_none() || (!direct && mentioned.is_empty() && message.thread_of.is_none()) {
            return;
        }
        let (this, access, message) = (self.clone(), access.clone(), message.clone());
        tokio::spawn(async move {
            let channel_id = access.channel.id;
            let people = match (direct, message.thread_of) {
                (true, _) => this.store.channel_people(channel_id).await,
                (false, None) => Ok(mentioned),
                (false, Some(root)) => this.store.thread_followers(channel_id, root).await.map(|mut people| {
                    people.extend(mentioned);
                    people.sort_unstable();
                    people.dedup();
                    people
                }),
            };
            match people {
                Ok(people) => this.push_now(&access, &message, people).await,
                Err(e) => tracing::warn!(error = %e, "pushes not sent: who they are for is unknown"),
            }
        });
    }

    /// Those of `people` who may read the channel now, as the database has it.
    async fn readers_now(&self, access: &ChannelAccess, people: Vec<i64>) -> Vec<i64> {
        let ChannelAccess { standing, channel } = access;
        let unknown = |e: crate::store::StoreError| {
            tracing::warn!(error = %e, "pushes not sent: whether their readers may read them is unknown");
        };
        match channel.kind {
            ChannelKind::Private | ChannelKind::Direct => match self.store.channel_people(channel.id).await {
                Ok(readers) => people.into_iter().filter(|p| readers.contains(p)).collect(),
                Err(e) => {
                    unknown(e);
                    Vec::new()
                }
            },
            ChannelKind::Public | ChannelKind::Supervisor => {
                let mut readers = Vec::with_capacity(people.len());
                for person in people {
                    match self.store.role_in(standing.org.id, person).await {
                        Ok(role) if role.is_some_and(|role| access::sees(role, channel.kind, false)) => {
                            readers.push(person)
                        }
                        Ok(_) => {}
                        Err(e) => unknown(e),
                    }
                }
                readers
            }
        }
    }

    async fn push_now(&self, access: &ChannelAccess, message: &Message, people: Vec<i64>) {
        let Some(pusher) = self.push.get() else { return };
        let ChannelAccess { standing, channel } = access;
        let online = match self.presence.get() {
            Some(presence) => presence.online_among(&standing.org.slug, &people),
            None => Vec::new(),
        };
        let away: Vec<i64> = people.into_iter().filter(|p| *p != message.author_id && !online.contains(p)).collect();
        if away.is_empty() {
            return;
        }
        let place = match channel.kind {
            ChannelKind::Direct => String::new(),
            _ => format!(" in #{}", crate::rules::channel_label(&channel.name)),
        };
        let text: String = message.body.chars().take(PREVIEW_CHARS).collect();
        let body = match (text.is_empty(), message.body.chars().count() > PREVIEW_CHARS) {
            (true, _) if !message.files.is_empty() => "Sent a file".to_owned(),
            (_, true) => format!("{text}…"),
            _ => text,
        };
        let note = Notification {
            title: format!("{}{place}", message.author),
            body,
            url: match message.thread_of.filter(|_| !message.in_channel) {
                Some(root) => format!("/o/{}/c/{}?thread={root}", standing.org.slug, channel.name),
                None => format!("/o/{}/c/{}?at={}", standing.org.slug, channel.name, message.seq),
            },
            tag: format!("{}:{}", standing.org.slug, channel.id),
            org: Some(&standing.org.name),
        };
        let Ok(payload) = serde_json::to_vec(&note) else { return };
        let payload: Arc<[u8]> = payload.into();
        for person in self.readers_now(access, away).await {
            let devices = match self.store.subscriptions_of(person).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %e, user_id = person, "pushes not sent: devices unknown");
                    continue;
                }
            };
            for device in devices {
                match pusher.send(&device, &payload).await {
                    Pushed::Delivered => tracing::debug!(user_id = person, "pushed"),
                    Pushed::Gone => {
                        tracing::info!(user_id = person, "push subscription gone; forgotten");
                        if let Err(e) = self.store.forget_subscription(device.id).await {
                            tracing::warn!(error = %e, "cannot forget a push subscription");
                        }
                    }
                    Pushed::Failed(why) => tracing::warn!(user_id = person, why, "push not delivered"),
                }
            }
        }
    }
}
