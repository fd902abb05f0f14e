//! Read receipts in the browser: where the channel shows them, how far each
//! of its people has read it, read as the chat starts (and after each
//! reconnect) and kept from the room's `read_by` events.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Actions;
use crate::api::receipts::read_receipts;
use crate::protocol::events;

impl Actions {
    /// Reads how far each person has read the channel; a channel that does
    /// not show receipts shows none.
    pub(super) fn load_receipts(self) {
        let (slug, name) = (self.slug.get_value(), self.channel.with_value(|c| c.name.clone()));
        let receipts = self.receipts;
        spawn_local(async move {
            let positions = read_receipts(slug, name).await.ok();
            let _ =
                receipts.try_set(positions.map(|all| all.into_iter().map(|p| (p.user_id, p.last_read_seq)).collect()));
        });
    }

    /// Someone read the channel further (never back).
    pub(super) fn read_by(self, data: serde_json::Value) {
        let Ok(read) = serde_json::from_value::<events::ReadBy>(data) else { return };
        if read.channel_id != self.channel.with_value(|c| c.id) {
            return;
        }
        self.receipts.update(|r| {
            if let Some(all) = r {
                let at = all.entry(read.user_id).or_default();
                *at = (*at).max(read.last_read_seq);
            }
        });
    }
}
