//! `/notifications`: whether this device is told of direct messages and
//! mentions while none of the person's tabs or apps is open, and turning
//! that on (the browser asks for permission) or off.

use leptos::prelude::*;
use leptos_meta::Title;

/// What the page says of this device.
#[derive(Clone, Debug, PartialEq, Eq)]
// Told apart in the browser only.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Shown {
    /// Before the page's script has looked.
    Looking,
    Unsupported,
    Blocked,
    Off,
    On,
    Working,
}

impl Shown {
    fn sentence(&self) -> &'static str {
        match self {
            Shown::Looking => "Looking at this device…",
            Shown::Unsupported => {
                "This browser cannot show notifications from a site (or the page is not served over HTTPS)."
            }
            Shown::Blocked => {
                "Notifications are blocked for this site: allow them in your browser's site settings, then turn them on here."
            }
            Shown::Off => "Notifications are off on this device.",
            Shown::On => "Notifications are on on this device.",
            Shown::Working => "Asking your browser…",
        }
    }
}

#[cfg(feature = "hydrate")]
impl From<crate::push_client::DeviceState> for Shown {
    fn from(s: crate::push_client::DeviceState) -> Self {
        use crate::push_client::DeviceState;
        match s {
            DeviceState::Unsupported => Shown::Unsupported,
            DeviceState::Blocked => Shown::Blocked,
            DeviceState::Off => Shown::Off,
            DeviceState::On => Shown::On,
        }
    }
}

#[component]
pub(crate) fn NotificationsPage() -> impl IntoView {
    let shown = RwSignal::new(Shown::Looking);
    let error = RwSignal::new(None::<String>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        leptos::task::spawn_local(async move { shown.set(crate::push_client::state().await.into()) });
    });
    let change = move |on: bool| {
        error.set(None);
        shown.set(Shown::Working);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let done = if on { crate::push_client::turn_on().await } else { crate::push_client::turn_off().await };
            match done {
                Ok(state) => shown.set(state.into()),
                Err(why) => {
                    error.set(Some(why));
                    shown.set(crate::push_client::state().await.into());
                }
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = on;
    };
    view! {
        <Title text="Notifications · Confab" />
        <section class="pane notifications">
            <header class="pane-header">
                <h1>"Notifications"</h1>
                <p class="muted">
                    "Confab can tell you of direct messages and of messages that mention you on this device, "
                    "when none of your Confab tabs or apps is open. Each device is turned on by itself."
                </p>
            </header>
            <p role="status">{move || shown.get().sentence()}</p>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <div class="row">
                <Show when=move || matches!(shown.get(), Shown::Off | Shown::Blocked)>
                    <button type="button" on:click=move |_| change(true)>"Turn on notifications on this device"</button>
                </Show>
                <Show when=move || shown.get() == Shown::On>
                    <button type="button" class="secondary" on:click=move |_| change(false)>"Turn off"</button>
                </Show>
            </div>
        </section>
    }
}
