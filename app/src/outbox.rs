//! The outbox: messages written in this browser that the server has not
//! acknowledged yet. They are kept in the browser's local storage, so they
//! survive a reload or a closed tab, and are sent again (with the same client
//! id, so the server stores each once) when the live connection is back. A
//! message the server refused stays, with the reason, until the person
//! retries or deletes it. Each person has an outbox per organization.

use serde::{Deserialize, Serialize};

use crate::protocol::{ChannelId, ChatMessage, UserId};

/// A message waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Parcel {
    /// As shown while it is on its way (`seq` 0).
    pub message: ChatMessage,
    /// Why the server refused it, if it did: then it waits for the person.
    #[serde(default)]
    pub refused: Option<String>,
}

/// The messages of one person in one organization still on their way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Outbox {
    parcels: Vec<Parcel>,
}

impl Outbox {
    /// Keeps a message until it is acknowledged (once, by its client id).
    pub(crate) fn put(&mut self, message: ChatMessage) {
        if !self.parcels.iter().any(|p| p.message.client_id == message.client_id) {
            self.parcels.push(Parcel { message, refused: None });
        }
    }

    /// Forgets a message: stored by the server, or deleted by the person.
    pub(crate) fn remove(&mut self, client_id: &str) {
        self.parcels.retain(|p| p.message.client_id != client_id);
    }

    /// The server refused a message, saying why.
    pub(crate) fn refuse(&mut self, client_id: &str, why: &str) {
        if let Some(p) = self.parcels.iter_mut().find(|p| p.message.client_id == client_id) {
            p.refused = Some(why.to_owned());
        }
    }

    /// The person sends a refused message again.
    pub(crate) fn retry(&mut self, client_id: &str) {
        if let Some(p) = self.parcels.iter_mut().find(|p| p.message.client_id == client_id) {
            p.refused = None;
        }
    }

    /// The messages still to send (not refused), in the order written.
    pub(crate) fn waiting(&self) -> Vec<Parcel> {
        self.parcels.iter().filter(|p| p.refused.is_none()).cloned().collect()
    }

    /// The messages for one channel, in the order they were written.
    pub(crate) fn of_channel(&self, channel_id: ChannelId) -> Vec<Parcel> {
        self.parcels.iter().filter(|p| p.message.channel_id == channel_id).cloned().collect()
    }
}

/// What every outbox's storage key starts with.
const KEY_PREFIX: &str = "confab.outbox.v1.";

/// Where the outbox of person `user_id` in organization `slug` is kept.
pub(crate) fn storage_key(user_id: UserId, slug: &str) -> String {
    format!("{KEY_PREFIX}{user_id}.{slug}")
}

/// The browser's local storage (hydrate only). Every change reads the
/// outbox again first: other tabs of the same browser share it.
#[cfg(feature = "hydrate")]
pub(crate) mod storage {
    use super::{Outbox, storage_key};
    use crate::protocol::UserId;

    fn local() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// The outbox as stored (empty if there is none, or storage is off).
    pub(crate) fn load(user_id: UserId, slug: &str) -> Outbox {
        local()
            .and_then(|s| s.get_item(&storage_key(user_id, slug)).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    /// Forgets every outbox kept in this browser (on signing out: a shared
    /// computer keeps nobody's unsent messages).
    pub(crate) fn forget_all() {
        let Some(storage) = local() else { return };
        let keys: Vec<String> = (0..storage.length().unwrap_or(0))
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|k| k.starts_with(super::KEY_PREFIX))
            .collect();
        for key in keys {
            let _ = storage.remove_item(&key);
        }
    }

    /// Changes the stored outbox. Without storage (private mode, full) the
    /// message still goes out; it just does not survive a reload.
    pub(crate) fn update(user_id: UserId, slug: &str, change: impl FnOnce(&mut Outbox)) {
        let Some(storage) = local() else { return };
        let mut outbox = load(user_id, slug);
        change(&mut outbox);
        let key = storage_key(user_id, slug);
        let saved = if outbox.parcels.is_empty() {
            storage.remove_item(&key)
        } else {
            match serde_json::to_string(&outbox) {
                Ok(json) => storage.set_item(&key, &json),
                Err(_) => return,
            }
        };
        if saved.is_err() {
            leptos::logging::debug_warn!("the outbox could not be saved");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::EventKind;

    fn message(channel_id: ChannelId, client_id: &str) -> ChatMessage {
        ChatMessage {
            id: 0,
            channel_id,
            seq: 0,
            kind: EventKind::Message,
            client_id: client_id.into(),
            author_id: 1,
            author: "ann".into(),
            body: "hello".into(),
            sent_at: 0,
            ..Default::default()
        }
    }

    #[test]
    fn keeps_each_message_once_until_it_is_stored_or_deleted() {
        let mut outbox = Outbox::default();
        outbox.put(message(1, "a"));
        outbox.put(message(2, "b"));
        outbox.put(message(1, "c"));
        outbox.put(message(1, "a"));
        let ids = |o: &Outbox, ch| o.of_channel(ch).into_iter().map(|p| p.message.client_id).collect::<Vec<_>>();
        assert_eq!(ids(&outbox, 1), ["a", "c"], "in the order written, once");
        outbox.refuse("c", "You are sending messages too fast.");
        assert_eq!(outbox.of_channel(1)[1].refused.as_deref(), Some("You are sending messages too fast."));
        assert_eq!(outbox.waiting().len(), 2, "a refused one waits for the person");
        outbox.retry("c");
        assert_eq!(outbox.of_channel(1)[1].refused, None);
        assert_eq!(outbox.waiting().len(), 3);
        outbox.remove("a");
        assert_eq!(ids(&outbox, 1), ["c"]);
        // What is stored reads back the same (a reload).
        let json = serde_json::to_string(&outbox).unwrap();
        assert_eq!(serde_json::from_str::<Outbox>(&json).unwrap(), outbox);
        assert_eq!(storage_key(7, "acme"), "confab.outbox.v1.7.acme");
    }
}
