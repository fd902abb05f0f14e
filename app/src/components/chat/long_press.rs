//! A message's actions on a touch screen, where nothing hovers: held down
//! for a moment (or its context menu asked for), a message shows its
//! actions; tapping another message, or Escape, puts them away. One
//! message at a time shows them (`open`).

use std::time::Duration;

use leptos::ev::{KeyboardEvent, MouseEvent, PointerEvent};
use leptos::prelude::*;

/// How long a finger stays down for a long press.
const HOLD: Duration = Duration::from_millis(450);

/// The long press of one message row.
#[derive(Clone, Copy)]
pub(super) struct LongPress {
    seq: i64,
    /// The message whose actions show, shared by the rows of a list.
    open: RwSignal<Option<i64>>,
    /// The press under way, and whether the last pointer was a finger.
    timer: StoredValue<Option<TimeoutHandle>>,
    touched: StoredValue<bool>,
}

impl LongPress {
    pub(super) fn new(seq: i64, open: RwSignal<Option<i64>>) -> Self {
        LongPress { seq, open, timer: StoredValue::new(None), touched: StoredValue::new(false) }
    }

    /// Whether this message shows its actions.
    pub(super) fn is_open(self) -> bool {
        self.open.get() == Some(self.seq)
    }

    pub(super) fn down(self, ev: PointerEvent) {
        self.cancel();
        let touch = ev.pointer_type() == "touch";
        self.touched.set_value(touch);
        if !touch || self.seq <= 0 {
            return;
        }
        let (open, seq) = (self.open, self.seq);
        if let Ok(handle) = set_timeout_with_handle(move || open.set(Some(seq)), HOLD) {
            self.timer.set_value(Some(handle));
        }
    }

    /// The finger lifted, or the browser took the gesture (a scroll).
    pub(super) fn cancel(self) {
        if let Some(handle) = self.timer.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    /// Some phones ask for a context menu on a long press: the actions show
    /// in its place.
    pub(super) fn context_menu(self, ev: MouseEvent) {
        if self.touched.get_value() && self.seq > 0 {
            ev.prevent_default();
            self.cancel();
            self.open.set(Some(self.seq));
        }
    }

    /// A tap on another message puts the open actions away.
    pub(super) fn tapped(self) {
        if self.open.get_untracked().is_some_and(|seq| seq != self.seq) {
            self.open.set(None);
        }
    }

    pub(super) fn key(self, ev: KeyboardEvent) {
        if ev.key() == "Escape" && self.open.get_untracked() == Some(self.seq) {
            self.open.set(None);
        }
    }
}
