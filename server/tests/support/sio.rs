//! A minimal Socket.IO v5 client for tests: Engine.IO v4 over a real WebSocket,
//! packets encoded by socketioxide's common parser (as the browser client does).

use std::collections::VecDeque;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use socketioxide_core::Str;
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct SioClient {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    ns: String,
    next_ack: i64,
    /// Events received while waiting for something else.
    events: VecDeque<(String, Value)>,
    /// The server disconnected this socket from its namespace.
    disconnected: bool,
    /// The connection is gone (closed, reset, or the server died).
    closed: bool,
    /// Whether `online` and `presence` events are kept (most tests are about
    /// messages and skip them).
    presence: bool,
}

/// The events that say who is online.
const PRESENCE_EVENTS: [&str; 2] = ["online", "presence"];

fn encode(packet: Packet) -> String {
    match CommonParser.encode(packet) {
        socketioxide_core::Value::Str(s, _) => format!("4{}", s.as_str()),
        other => panic!("unexpected binary packet {other:?}"),
    }
}

impl SioClient {
    /// Connects to namespace `ns`; `Err` carries the `connect_error` message,
    /// or says the server could not be reached.
    pub async fn connect(
        addr: std::net::SocketAddr,
        ns: &str,
        cookie: &str,
        origin: Option<&str>,
    ) -> Result<SioClient, String> {
        Self::connect_with_auth(addr, ns, cookie, origin, None).await
    }

    /// [`SioClient::connect`] with an `auth` payload in the CONNECT packet,
    /// as `io(url, { auth })` sends it.
    pub async fn connect_with_auth(
        addr: std::net::SocketAddr,
        ns: &str,
        cookie: &str,
        origin: Option<&str>,
        auth: Option<&Value>,
    ) -> Result<SioClient, String> {
        let mut req = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket").into_client_request().unwrap();
        if !cookie.is_empty() {
            req.headers_mut().insert("Cookie", cookie.parse().unwrap());
        }
        if let Some(o) = origin {
            req.headers_mut().insert("Origin", o.parse().unwrap());
        }
        let (ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|e| format!("websocket handshake: {e}"))?;
        let mut client = SioClient {
            ws,
            ns: ns.to_owned(),
            next_ack: 0,
            events: VecDeque::new(),
            disconnected: false,
            closed: false,
            presence: false,
        };
        let open = client.frame().await.ok_or("closed before the engine open packet")?;
        assert!(open.starts_with('0'), "expected engine open, got {open}");
        let auth = auth.map(|a| socketioxide_core::Value::Str(Str::from(a.to_string()), None));
        let connect = encode(Packet::connect(ns.to_owned(), auth));
        client.ws.send(Message::text(connect)).await.map_err(|e| format!("send connect: {e}"))?;
        let packet = client.packet().await.ok_or("closed before the connect reply")?;
        match packet.inner {
            PacketData::Connect(_) => Ok(client),
            PacketData::ConnectError(msg) => {
                let v: Value = serde_json::from_str(&msg).unwrap_or(Value::String(msg.clone()));
                Err(v["message"].as_str().map(str::to_owned).unwrap_or(msg))
            }
            other => panic!("unexpected packet before connect: {other:?}"),
        }
    }

    async fn send_raw(&mut self, frame: String) {
        self.ws.send(Message::text(frame)).await.expect("send frame");
    }

    /// From now on, `online` and `presence` events are kept like any other.
    pub fn hear_presence(&mut self) {
        self.presence = true;
    }

    fn keeps(&self, event: &str) -> bool {
        self.presence || !PRESENCE_EVENTS.contains(&event)
    }

    /// Whether the connection is gone (closed, reset, or the server died).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Next text frame, answering pings on the way; `None` when closed.
    async fn frame(&mut self) -> Option<String> {
        let frame = self.next_frame().await;
        self.closed |= frame.is_none();
        frame
    }

    async fn next_frame(&mut self) -> Option<String> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(t)) if t.as_str() == "2" => {
                    // A pong that cannot go out: the connection is closing.
                    if self.ws.send(Message::text("3")).await.is_err() {
                        return None;
                    }
                }
                Ok(Message::Text(t)) => return Some(t.to_string()),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Next Socket.IO packet of this namespace.
    async fn packet(&mut self) -> Option<Packet> {
        loop {
            let f = self.frame().await?;
            if let Some(body) = f.strip_prefix('4') {
                // The common parser decodes only what a server receives; a
                // CONNECT_ERROR (`4/ns,{"message":...}`) is read here.
                if let Some(rest) = body.strip_prefix('4') {
                    let (ns, json) = rest.split_once(',').unwrap_or((rest, ""));
                    if ns == self.ns {
                        return Some(Packet::connect_error(ns.to_owned(), json.to_owned()));
                    }
                    continue;
                }
                let p = CommonParser
                    .decode_str(&ParseConfig::default(), &ParserState::default(), Str::from(body.to_owned()))
                    .unwrap_or_else(|e| panic!("invalid packet {body:?}: {e:?}"));
                if p.ns.as_str() == self.ns {
                    return Some(p);
                }
            }
        }
    }

    /// Emits without asking for an ack.
    pub async fn emit(&mut self, event: &str, data: &Value) {
        let value = CommonParser.encode_value(data, Some(event)).unwrap();
        self.send_raw(encode(Packet::event(self.ns.clone(), value))).await;
    }

    /// Emits and waits (5 s at most) for the acknowledgement's first argument.
    pub async fn request(&mut self, event: &str, data: &Value) -> Value {
        self.next_ack += 1;
        let id = self.next_ack;
        let value = CommonParser.encode_value(data, Some(event)).unwrap();
        let mut packet = Packet::event(self.ns.clone(), value);
        packet.inner.set_ack_id(id);
        self.send_raw(encode(packet)).await;
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let p = self.packet().await.expect("connection open while waiting for ack");
                match p.inner {
                    PacketData::EventAck(mut v, ack) if ack == id => {
                        return CommonParser.decode_value::<Value>(&mut v, false).unwrap();
                    }
                    PacketData::Event(mut v, _) => {
                        let name = CommonParser.read_event(&v).unwrap().to_owned();
                        let data = CommonParser.decode_value::<Value>(&mut v, true).unwrap();
                        if self.keeps(&name) {
                            self.events.push_back((name, data));
                        }
                    }
                    _ => {}
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no ack for {event} within 5 s"))
    }

    /// Emits asking for an acknowledgement, without waiting for it; returns
    /// the ack id to look for in [`SioClient::acks_until_closed`].
    pub async fn send_request(&mut self, event: &str, data: &Value) -> i64 {
        self.try_send_request(event, data).await.expect("send frame")
    }

    /// [`SioClient::send_request`], or `None` if the connection is gone.
    pub async fn try_send_request(&mut self, event: &str, data: &Value) -> Option<i64> {
        self.next_ack += 1;
        let value = CommonParser.encode_value(data, Some(event)).unwrap();
        let mut packet = Packet::event(self.ns.clone(), value);
        packet.inner.set_ack_id(self.next_ack);
        self.ws.send(Message::text(encode(packet))).await.ok()?;
        Some(self.next_ack)
    }

    /// The next acknowledgement (its id and first argument), or `None` if the
    /// socket is disconnected or `wait` passes first.
    pub async fn next_ack(&mut self, wait: Duration) -> Option<(i64, Value)> {
        tokio::time::timeout(wait, async {
            loop {
                match self.packet().await?.inner {
                    PacketData::EventAck(mut v, id) => {
                        return Some((id, CommonParser.decode_value::<Value>(&mut v, false).unwrap()));
                    }
                    PacketData::Disconnect => return None,
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Every acknowledgement that arrives until the server disconnects this
    /// socket or closes the connection (or `wait` passes), by ack id.
    pub async fn acks_until_closed(&mut self, wait: Duration) -> std::collections::HashMap<i64, Value> {
        let mut acks = std::collections::HashMap::new();
        let _ = tokio::time::timeout(wait, async {
            while let Some(p) = self.packet().await {
                match p.inner {
                    PacketData::EventAck(mut v, id) => {
                        acks.insert(id, CommonParser.decode_value::<Value>(&mut v, false).unwrap());
                    }
                    PacketData::Disconnect => return,
                    _ => {}
                }
            }
        })
        .await;
        acks
    }

    /// The next event, or `None` if none comes within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<(String, Value)> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        tokio::time::timeout(wait, async {
            loop {
                let p = self.packet().await?;
                match p.inner {
                    PacketData::Event(mut v, _) => {
                        let name = CommonParser.read_event(&v).unwrap().to_owned();
                        let data = CommonParser.decode_value::<Value>(&mut v, true).unwrap();
                        if self.keeps(&name) {
                            return Some((name, data));
                        }
                    }
                    PacketData::Disconnect => {
                        self.disconnected = true;
                        return None;
                    }
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Waits until the server closes the connection (or `wait` passes); true if it did.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        if self.disconnected {
            return true;
        }
        tokio::time::timeout(wait, async {
            loop {
                match self.packet().await {
                    None => return,
                    Some(Packet { inner: PacketData::Disconnect, .. }) => return,
                    Some(_) => {}
                }
            }
        })
        .await
        .is_ok()
    }
}
