//! The browser's Socket.IO v5 client (hydrate only), over the browser's
//! WebSocket with Engine.IO v4's WebSocket transport.
//!
//! Packets are encoded and decoded with socketioxide's own packet types and
//! common parser, so both ends agree on the wire format; this module adds the
//! transport: the engine handshake, answering pings (and noticing when they
//! stop), reconnection with jittered exponential backoff, and requests with
//! acknowledgements and timeouts.
//!
//! A request made while disconnected waits in the outbox until the connection
//! is back (or its timeout ends); a request whose acknowledgement was lost with
//! the connection is sent again after reconnecting. That is safe because the
//! server's handlers are idempotent (`send` dedupes on the client id).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use futures::channel::oneshot;
use futures::future::{Either, select};
use gloo_timers::callback::Timeout;
use gloo_timers::future::TimeoutFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_core::{Str, Value};
use socketioxide_parser_common::CommonParser;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use crate::errors::{ApiError, ErrorCode};
use crate::protocol::Ack;

/// What the connection reports to its owner.
#[derive(Clone, Debug)]
pub(crate) enum LiveEvent {
    /// Connected to the namespace (first time or after a reconnect).
    Connected,
    /// The connection was lost; reconnecting on its own.
    Disconnected(String),
    /// The server refused the namespace (`connect_error`); no more retries.
    Refused(String),
    /// An event from the server.
    Event { name: String, data: serde_json::Value },
}

/// A handle to one namespace connection; clones share it.
#[derive(Clone)]
pub(crate) struct LiveClient {
    inner: Rc<RefCell<Inner>>,
}

type Reply = oneshot::Sender<Result<serde_json::Value, ApiError>>;

/// A request waiting to be written or acknowledged.
struct Request {
    id: u64,
    event: String,
    data: serde_json::Value,
    reply: Reply,
}

/// The WebSocket callbacks, kept alive as long as their socket.
struct Handlers {
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

struct Inner {
    /// The namespace, e.g. `/acme`.
    namespace: String,
    /// The open socket, if any.
    ws: Option<WebSocket>,
    /// Callbacks of the current socket.
    handlers: Option<Handlers>,
    /// Callbacks of a socket already dropped, freed on the next open (they may
    /// be running when their socket is dropped).
    retired: Vec<Handlers>,
    /// Connected to the namespace (handshake done).
    connected: bool,
    /// Closed by its owner, or refused by the server: no more reconnects.
    stopped: bool,
    /// Failed connection attempts in a row, for the backoff.
    attempt: u32,
    /// Last Socket.IO ack id used.
    next_ack: i64,
    /// Last request id used.
    next_request: u64,
    /// Requests waiting for a connection.
    outbox: Vec<Request>,
    /// Requests written, by ack id.
    inflight: HashMap<i64, Request>,
    /// Where events go.
    on_event: Option<Rc<dyn Fn(LiveEvent)>>,
    /// Fires when the server's pings stop.
    watchdog: Option<Timeout>,
    /// Server's ping interval plus ping timeout, in ms.
    ping_deadline_ms: u32,
    /// The browser saying it went offline or online, heard until closed.
    network: Vec<leptos::prelude::WindowListenerHandle>,
}

fn transport_error(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Transport, message)
}

impl LiveClient {
    /// Starts connecting to `namespace` on the page's own host.
    pub(crate) fn connect(namespace: &str) -> LiveClient {
        let client = LiveClient {
            inner: Rc::new(RefCell::new(Inner {
                namespace: namespace.to_owned(),
                ws: None,
                handlers: None,
                retired: Vec::new(),
                connected: false,
                stopped: false,
                attempt: 0,
                next_ack: 0,
                next_request: 0,
                outbox: Vec::new(),
                inflight: HashMap::new(),
                on_event: None,
                watchdog: None,
                ping_deadline_ms: 45_000,
                network: Vec::new(),
            })),
        };
        // The browser knows before any ping does: offline, the connection is
        // lost at once (requests wait for it); online again, it reconnects
        // at once instead of at the end of its backoff.
        let me = client.clone();
        let offline = leptos::prelude::window_event_listener(leptos::ev::offline, move |_| {
            me.lost("the network is offline".into());
        });
        let me = client.clone();
        let online = leptos::prelude::window_event_listener(leptos::ev::online, move |_| me.reconnect_now());
        client.inner.borrow_mut().network = vec![offline, online];
        client.open();
        client
    }

    /// Reconnects now if the connection is down and may come back.
    fn reconnect_now(&self) {
        let down = {
            let mut inner = self.inner.borrow_mut();
            let down = !inner.stopped && inner.ws.is_none();
            if down {
                inner.attempt = 0;
            }
            down
        };
        if down {
            self.open();
        }
    }

    /// Whether the namespace is connected now.
    pub(crate) fn is_connected(&self) -> bool {
        self.inner.borrow().connected
    }

    /// Sets where events go (replacing any earlier handler).
    pub(crate) fn on_event(&self, f: impl Fn(LiveEvent) + 'static) {
        self.inner.borrow_mut().on_event = Some(Rc::new(f));
    }

    /// Emits `event` with `data` and waits for the acknowledgement, which is an
    /// [`Ack`]: `{"ok": R}` or `{"error": ApiError}`.
    pub(crate) async fn request<T: Serialize, R: DeserializeOwned>(
        &self,
        event: &str,
        data: &T,
        timeout: Duration,
    ) -> Result<R, ApiError> {
        let data = serde_json::to_value(data).map_err(|_| transport_error("Could not encode the request."))?;
        let (reply, answer) = oneshot::channel();
        let id = {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped {
                return Err(transport_error("Live updates are off."));
            }
            inner.next_request += 1;
            let id = inner.next_request;
            inner.outbox.push(Request { id, event: event.to_owned(), data, reply });
            id
        };
        self.flush();
        let timer = TimeoutFuture::new(timeout.as_millis() as u32);
        match select(answer, timer).await {
            Either::Left((Ok(Ok(value)), _)) => match serde_json::from_value::<Ack<R>>(value) {
                Ok(Ack::Ok(r)) => Ok(r),
                Ok(Ack::Error(e)) => Err(e),
                Err(_) => Err(transport_error("The server's answer could not be read.")),
            },
            Either::Left((Ok(Err(e)), _)) => Err(e),
            Either::Left((Err(_), _)) => Err(transport_error("The connection was closed.")),
            Either::Right(_) => {
                self.forget(id);
                Err(transport_error("The server did not answer in time."))
            }
        }
    }

    /// Emits `event` now if connected, without an acknowledgement; dropped
    /// otherwise (for what is worth nothing later, like "typing").
    pub(crate) fn emit_volatile<T: Serialize>(&self, event: &str, data: &T) {
        let frame = {
            let inner = self.inner.borrow();
            if !inner.connected {
                return;
            }
            let Ok(data) = serde_json::to_value(data) else { return };
            let Ok(value) = CommonParser.encode_value(&data, Some(event)) else { return };
            encode(Packet::event(inner.namespace.clone(), value))
        };
        self.send_frame(&frame);
    }

    /// Disconnects for good and fails whatever is still waiting.
    pub(crate) fn close(&self) {
        let waiting = {
            let mut inner = self.inner.borrow_mut();
            inner.stopped = true;
            inner.watchdog = None;
            for listener in inner.network.drain(..) {
                listener.remove();
            }
            if inner.connected {
                let frame = encode(Packet::disconnect(inner.namespace.clone()));
                if let Some(ws) = &inner.ws {
                    let _ = ws.send_with_str(&frame);
                }
            }
            detach(&mut inner);
            let mut waiting: Vec<Request> = std::mem::take(&mut inner.outbox);
            waiting.extend(inner.inflight.drain().map(|(_, r)| r));
            waiting
        };
        for r in waiting {
            let _ = r.reply.send(Err(transport_error("The connection was closed.")));
        }
    }

    fn emit(&self, event: LiveEvent) {
        let handler = self.inner.borrow().on_event.clone();
        if let Some(h) = handler {
            h(event);
        }
    }

    fn forget(&self, id: u64) {
        let mut inner = self.inner.borrow_mut();
        inner.outbox.retain(|r| r.id != id);
        inner.inflight.retain(|_, r| r.id != id);
    }

    fn open(&self) {
        let url = match socket_url() {
            Some(url) => url,
            None => return,
        };
        let ws = match WebSocket::new(&url) {
            Ok(ws) => ws,
            Err(_) => return self.schedule_reconnect(),
        };
        let me = self.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(text) = ev.data().as_string() {
                me.on_frame(&text);
            }
        });
        let me = self.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            let reason = if ev.reason().is_empty() { "connection closed".to_owned() } else { ev.reason() };
            me.lost(reason);
        });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.retired.clear();
        inner.ws = Some(ws);
        inner.handlers = Some(Handlers { _message: on_message, _close: on_close });
    }

    fn send_frame(&self, frame: &str) {
        if let Some(ws) = &self.inner.borrow().ws {
            let _ = ws.send_with_str(frame);
        }
    }

    /// One Engine.IO frame.
    fn on_frame(&self, text: &str) {
        match text.as_bytes().first() {
            // open: {"sid", "pingInterval", "pingTimeout", "maxPayload", ...}
            Some(b'0') => {
                if let Ok(open) = serde_json::from_str::<serde_json::Value>(&text[1..]) {
                    let ms = |k: &str| open.get(k).and_then(|v| v.as_u64()).unwrap_or(25_000) as u32;
                    self.inner.borrow_mut().ping_deadline_ms = ms("pingInterval") + ms("pingTimeout");
                }
                self.arm_watchdog();
                let ns = self.inner.borrow().namespace.clone();
                self.send_frame(&encode(Packet::connect(ns, None)));
            }
            // ping: answer pong
            Some(b'2') => {
                self.arm_watchdog();
                self.send_frame("3");
            }
            Some(b'4') => self.on_packet(&text[1..]),
            Some(b'1') => self.lost("server closed the connection".into()),
            _ => {}
        }
    }

    /// One Socket.IO packet.
    fn on_packet(&self, text: &str) {
        // The common parser decodes only what a server receives; a
        // CONNECT_ERROR (`4/ns,{"message":...}`) is read here.
        if let Some(rest) = text.strip_prefix('4') {
            let (ns, json) = rest.split_once(',').unwrap_or((rest, ""));
            if ns == self.inner.borrow().namespace {
                let message = serde_json::from_str::<serde_json::Value>(json)
                    .ok()
                    .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| "the server refused the connection".to_owned());
                self.inner.borrow_mut().stopped = true;
                self.lost(message.clone());
                self.emit(LiveEvent::Refused(message));
            }
            return;
        }
        let packet =
            match CommonParser.decode_str(&ParseConfig::default(), &ParserState::default(), Str::from(text.to_owned()))
            {
                Ok(p) => p,
                Err(_) => return,
            };
        if packet.ns.as_str() != self.inner.borrow().namespace {
            return;
        }
        match packet.inner {
            PacketData::Connect(_) => {
                {
                    let mut inner = self.inner.borrow_mut();
                    inner.connected = true;
                    inner.attempt = 0;
                }
                self.flush();
                self.emit(LiveEvent::Connected);
            }
            PacketData::Event(mut value, _) => {
                let Ok(name) = CommonParser.read_event(&value).map(str::to_owned) else { return };
                let data = CommonParser.decode_value::<serde_json::Value>(&mut value, true).unwrap_or_default();
                let fell_behind = name == crate::protocol::events::FELL_BEHIND;
                self.emit(LiveEvent::Event { name, data });
                if fell_behind {
                    // Out of its rooms for good: start over, and catch up.
                    self.lost("fell behind".into());
                }
            }
            PacketData::EventAck(mut value, id) => {
                let request = self.inner.borrow_mut().inflight.remove(&id);
                if let Some(r) = request {
                    let data = CommonParser.decode_value::<serde_json::Value>(&mut value, false).unwrap_or_default();
                    let _ = r.reply.send(Ok(data));
                }
            }
            PacketData::Disconnect => self.lost("the server ended the session".into()),
            _ => {}
        }
    }

    /// Writes every waiting request, if connected.
    fn flush(&self) {
        let frames = {
            let mut inner = self.inner.borrow_mut();
            if !inner.connected {
                return;
            }
            let waiting: Vec<Request> = std::mem::take(&mut inner.outbox);
            let mut frames = Vec::with_capacity(waiting.len());
            for request in waiting {
                inner.next_ack += 1;
                let ack = inner.next_ack;
                let Ok(value) = CommonParser.encode_value(&request.data, Some(&request.event)) else {
                    let _ = request.reply.send(Err(transport_error("Could not encode the request.")));
                    continue;
                };
                let mut packet = Packet::event(inner.namespace.clone(), value);
                packet.inner.set_ack_id(ack);
                frames.push(encode(packet));
                inner.inflight.insert(ack, request);
            }
            frames
        };
        for f in frames {
            self.send_frame(&f);
        }
    }

    fn arm_watchdog(&self) {
        let me = self.clone();
        let ms = self.inner.borrow().ping_deadline_ms;
        let timer = Timeout::new(ms, move || me.lost("the server stopped answering".into()));
        self.inner.borrow_mut().watchdog = Some(timer);
    }

    /// The connection is gone: requests in flight go back to the outbox, and
    /// unless stopped, a reconnect is scheduled.
    fn lost(&self, reason: String) {
        let (was_open, stopped) = {
            let mut inner = self.inner.borrow_mut();
            let was_open = inner.ws.is_some();
            detach(&mut inner);
            inner.watchdog = None;
            inner.connected = false;
            let mut back: Vec<Request> = inner.inflight.drain().map(|(_, r)| r).collect();
            back.append(&mut inner.outbox);
            back.sort_by_key(|r| r.id);
            inner.outbox = back;
            (was_open, inner.stopped)
        };
        if !was_open {
            return;
        }
        if !stopped {
            self.emit(LiveEvent::Disconnected(reason));
            self.schedule_reconnect();
        }
    }

    fn schedule_reconnect(&self) {
        let delay = {
            let mut inner = self.inner.borrow_mut();
            if inner.stopped {
                return;
            }
            inner.attempt += 1;
            backoff_ms(inner.attempt, js_sys::Math::random())
        };
        let me = self.clone();
        Timeout::new(delay, move || {
            // Not if it reconnected meanwhile (the network came back).
            let down = {
                let inner = me.inner.borrow();
                !inner.stopped && inner.ws.is_none()
            };
            if down {
                me.open();
            }
        })
        .forget();
    }
}

/// Drops the socket: no more callbacks from it, and it is closed.
fn detach(inner: &mut Inner) {
    if let Some(ws) = inner.ws.take() {
        ws.set_onmessage(None);
        ws.set_onclose(None);
        let _ = ws.close();
    }
    if let Some(h) = inner.handlers.take() {
        inner.retired.push(h);
    }
}

/// Engine.IO message frame (`4`) around a Socket.IO packet.
fn encode(packet: Packet) -> String {
    match CommonParser.encode(packet) {
        Value::Str(s, _) => format!("4{}", s.as_str()),
        Value::Bytes(_) => String::new(),
    }
}

/// `ws(s)://<host>/socket.io/?EIO=4&transport=websocket` for the page's host.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/socket.io/?EIO=4&transport=websocket", location.host().ok()?))
}

/// Delay before reconnect attempt `attempt` (1-based): 0.5 s doubling to 10 s,
/// with up to half of it random so clients do not return all at once.
pub(crate) fn backoff_ms(attempt: u32, random: f64) -> u32 {
    let base = 500u32.saturating_mul(1 << attempt.saturating_sub(1).min(5)).min(10_000);
    (base as f64 * (0.5 + random.clamp(0.0, 1.0) * 0.5)) as u32
}
