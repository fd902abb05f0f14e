//! This device's push subscription (browser only): whether the browser can
//! be told anything, whether it is, and turning it on (permission, the
//! service worker `/sw.js`, a subscription to the browser's own push
//! service with the server's key, kept by the server) or off.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{NotificationPermission, PushSubscription, PushSubscriptionOptionsInit, ServiceWorkerRegistration};

use crate::api::push::{push_key, push_subscribe, push_subscribed, push_unsubscribe};

/// Where this device stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeviceState {
    /// This browser has no service workers or Push API (or not on a secure page).
    Unsupported,
    /// The person said no to notifications for this site.
    Blocked,
    Off,
    On,
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

fn supported() -> bool {
    let window = leptos::prelude::window();
    let has = |o: &JsValue, name: &str| js_sys::Reflect::has(o, &JsValue::from_str(name)).unwrap_or(false);
    window.is_secure_context()
        && has(&window.navigator(), "serviceWorker")
        && has(&window, "PushManager")
        && has(&window, "Notification")
}

async fn registration() -> Option<ServiceWorkerRegistration> {
    let container = leptos::prelude::window().navigator().service_worker();
    let found = JsFuture::from(container.get_registration_with_document_url("/")).await.ok()?;
    found.dyn_into::<ServiceWorkerRegistration>().ok()
}

async fn subscription(registration: &ServiceWorkerRegistration) -> Option<PushSubscription> {
    let manager = registration.push_manager().ok()?;
    let found = JsFuture::from(manager.get_subscription().ok()?).await.ok()?;
    found.dyn_into::<PushSubscription>().ok()
}

/// Where this device stands now.
pub(crate) async fn state() -> DeviceState {
    if !supported() {
        return DeviceState::Unsupported;
    }
    if web_sys::Notification::permission() == NotificationPermission::Denied {
        return DeviceState::Blocked;
    }
    let Some(registration) = registration().await else { return DeviceState::Off };
    let Some(subscription) = subscription(&registration).await else { return DeviceState::Off };
    // On for this person only if the server pushes to it for them: it
    // forgets a subscription when its sign-in ends (on a shared device,
    // someone else's), and the person turns it on again themselves.
    match push_subscribed(subscription.endpoint()).await {
        Ok(true) => DeviceState::On,
        _ => DeviceState::Off,
    }
}

/// Asks the person, registers the service worker, subscribes and tells the
/// server; the state it ends in, or why it could not.
pub(crate) async fn turn_on() -> Result<DeviceState, String> {
    if !supported() {
        return Ok(DeviceState::Unsupported);
    }
    let asked = web_sys::Notification::request_permission().map_err(js_error)?;
    let answer = JsFuture::from(asked).await.map_err(js_error)?;
    match answer.as_string().as_deref() {
        Some("granted") => {}
        Some("denied") => return Ok(DeviceState::Blocked),
        _ => return Err("Your browser did not allow notifications; try again.".into()),
    }
    let container = leptos::prelude::window().navigator().service_worker();
    JsFuture::from(container.register("/sw.js")).await.map_err(js_error)?;
    let ready = JsFuture::from(container.ready().map_err(js_error)?).await.map_err(js_error)?;
    let registration: ServiceWorkerRegistration = ready.dyn_into().map_err(|_| "No service worker.".to_owned())?;
    let key = push_key().await.map_err(|e| e.message)?;
    let key = base64_url_decode(&key).ok_or("The server's key does not read.")?;
    let options = PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    options.set_application_server_key(&js_sys::Uint8Array::from(key.as_slice()));
    let manager = registration.push_manager().map_err(js_error)?;
    let subscribed = JsFuture::from(manager.subscribe_with_options(&options).map_err(js_error)?)
        .await
        .map_err(|e| format!("This browser could not reach its push service ({}). Try again later.", js_error(e)))?;
    let subscription: PushSubscription = subscribed.dyn_into().map_err(|_| "No subscription.".to_owned())?;
    let (endpoint, p256dh, auth) = parts(&subscription).ok_or("The subscription does not read.")?;
    push_subscribe(endpoint, p256dh, auth).await.map_err(|e| e.message)?;
    Ok(DeviceState::On)
}

/// Unsubscribes this device and tells the server.
pub(crate) async fn turn_off() -> Result<DeviceState, String> {
    let Some(registration) = registration().await else { return Ok(DeviceState::Off) };
    let Some(subscription) = subscription(&registration).await else { return Ok(DeviceState::Off) };
    let endpoint = subscription.endpoint();
    if let Ok(done) = subscription.unsubscribe() {
        let _ = JsFuture::from(done).await;
    }
    push_unsubscribe(endpoint).await.map_err(|e| e.message)?;
    Ok(DeviceState::Off)
}

/// The subscription's address and keys, as the server takes them.
fn parts(subscription: &PushSubscription) -> Option<(String, String, String)> {
    let json = subscription.to_json().ok()?;
    let json: JsValue = json.into();
    let keys = js_sys::Reflect::get(&json, &"keys".into()).ok()?;
    let get = |o: &JsValue, k: &str| js_sys::Reflect::get(o, &JsValue::from_str(k)).ok()?.as_string();
    Some((subscription.endpoint(), get(&keys, "p256dh")?, get(&keys, "auth")?))
}

fn base64_url_decode(text: &str) -> Option<Vec<u8>> {
    let standard: String = text
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let padded = format!("{standard}{}", "=".repeat((4 - standard.len() % 4) % 4));
    let decoded = leptos::prelude::window().atob(&padded).ok()?;
    Some(decoded.chars().map(|c| c as u32 as u8).collect())
}
