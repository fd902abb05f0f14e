//! Opening a channel at one message (`?at=<seq>`, as a search result links
//! it): older pages load until the message is in the list (so the list
//! stays whole, from it to the newest), then it is marked and scrolled to.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::Actions;

/// The most pages loaded to reach a message (then the oldest loaded shows).
const MAX_PAGES: usize = 100;

impl Actions {
    /// Brings message `seq` into view, marked (`found`).
    pub(in crate::components::chat) fn reveal(self, seq: i64, found: RwSignal<Option<i64>>) {
        spawn_local(async move {
            for _ in 0..MAX_PAGES {
                // The chat may have closed meanwhile: its signals are gone.
                let first = self.timeline.try_with_untracked(|t| t.first_seq());
                let Some(more) = self.has_more.try_get_untracked() else { return };
                let Some(first) = first else { return };
                if !first.is_some_and(|first| first > seq) || !more || !self.older_page().await {
                    break;
                }
            }
            if found.try_set(Some(seq)).is_some() {
                return;
            }
            // Once the rows are drawn.
            request_animation_frame(move || {
                let row = document().query_selector(&format!(".chat-main li[data-seq=\"{seq}\"]")).ok().flatten();
                if let Some(row) = row {
                    let options = web_sys::ScrollIntoViewOptions::new();
                    options.set_block(web_sys::ScrollLogicalPosition::Center);
                    row.scroll_into_view_with_scroll_into_view_options(&options);
                }
            });
        });
    }
}
