//! Confab's one Rust Socket.IO v5 client, over Engine.IO v4's WebSocket
//! transport, for the load generator and the server's tests alike: connect
//! to a namespace (with a session cookie or an `auth` payload, an Origin,
//! from a chosen source address), answer pings, emit with ack ids, and read
//! what the server sends. Packets are encoded and decoded with
//! socketioxide's common parser, as Confab's browser client does.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use socketioxide_core::Str;
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::parser::{Parse, ParseConfig, ParserState};
use socketioxide_parser_common::CommonParser;
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

type Ws = WebSocketStream<TcpStream>;

/// Why a connection failed.
#[derive(Debug, thiserror::Error)]
pub enum SioError {
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: SocketAddr, source: std::io::Error },
    #[error("websocket: {0}")]
    WebSocket(Box<tokio_tungstenite::tungstenite::Error>),
    /// The namespace's `connect_error`, with its `message`.
    #[error("the server refused the namespace: {0}")]
    Refused(String),
    #[error("the connection closed during the handshake")]
    ClosedEarly,
    #[error("unexpected packet during the handshake: {0}")]
    Unexpected(String),
}

impl From<tokio_tungstenite::tungstenite::Error> for SioError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        SioError::WebSocket(Box::new(e))
    }
}

/// What the server sent.
#[derive(Debug)]
pub enum Incoming {
    /// A `message` event, read without building a JSON tree.
    Message(Delivery),
    /// Any other event: its name and first argument.
    Event(String, Value),
    /// The acknowledgement of the request with this id: its first argument.
    Ack(i64, Value),
    /// The server disconnected this socket from the namespace.
    Disconnected,
    /// The connection closed (or failed).
    Closed,
}

/// What the load generator reads from a delivered message: its `client_id`
/// (`<sender>:<n>`) and `body` (the send time), borrowed from the frame.
#[derive(Debug, serde::Deserialize)]
pub struct DeliveryFields<'a> {
    client_id: &'a str,
    body: &'a str,
}

/// A delivered message: who sent it, its number, and when it was sent
/// (nanoseconds on the run's clock).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Delivery {
    pub sender: u32,
    pub n: u64,
    pub sent_ns: u64,
}

impl Delivery {
    /// A `message` event's frame (after the Engine.IO `4`) of namespace
    /// `ns`, read in one pass: the delivery check runs for every delivery
    /// and must not cost the client more than the server.
    fn read(body: &str, ns: &str) -> Option<Delivery> {
        let args = body.strip_prefix('2')?;
        let args = if ns == "/" { args } else { args.strip_prefix(ns)?.strip_prefix(',')? };
        let (name, fields): (&str, DeliveryFields) = serde_json::from_str(args).ok()?;
        if name != "message" {
            return None;
        }
        let (sender, n) = fields.client_id.split_once(':')?;
        Some(Delivery { sender: sender.parse().ok()?, n: n.parse().ok()?, sent_ns: fields.body.parse().ok()? })
    }
}

/// The writing half; the reader answers pings through it too.
#[derive(Clone)]
pub struct Writer {
    sink: Arc<Mutex<SplitSink<Ws, Message>>>,
    ns: Arc<str>,
}

impl Writer {
    /// Emits `event` with `data`, asking for an acknowledgement when `ack` is set.
    pub async fn emit(&self, event: &str, data: &Value, ack: Option<i64>) -> Result<(), SioError> {
        let value = CommonParser.encode_value(data, Some(event)).map_err(|e| SioError::Unexpected(e.to_string()))?;
        let mut packet = Packet::event(self.ns.to_string(), value);
        if let Some(id) = ack {
            packet.inner.set_ack_id(id);
        }
        self.send(encode(packet)).await
    }

    async fn send(&self, frame: String) -> Result<(), SioError> {
        self.sink.lock().await.send(Message::text(frame)).await?;
        Ok(())
    }

    /// Closes the connection.
    pub async fn close(&self) {
        let _ = self.sink.lock().await.close().await;
    }
}

/// The reading half.
pub struct Reader {
    stream: SplitStream<Ws>,
    writer: Writer,
    /// Whether `message` events sent by a load generator are read in one
    /// pass ([`Incoming::Message`]) instead of as JSON trees.
    deliveries: bool,
}

impl Reader {
    /// The next event or acknowledgement of this namespace (pings are
    /// answered on the way).
    pub async fn next(&mut self) -> Incoming {
        loop {
            let Some(Ok(frame)) = self.stream.next().await else { return Incoming::Closed };
            let Message::Text(text) = frame else {
                if matches!(frame, Message::Close(_)) {
                    return Incoming::Closed;
                }
                continue;
            };
            let text = text.as_str();
            if text == "2" {
                if self.writer.send("3".into()).await.is_err() {
                    return Incoming::Closed;
                }
                continue;
            }
            let Some(body) = text.strip_prefix('4') else { continue };
            if self.deliveries
                && let Some(delivery) = Delivery::read(body, &self.writer.ns)
            {
                return Incoming::Message(delivery);
            }
            let Ok(packet) = decode(body) else { continue };
            if *packet.ns != *self.writer.ns {
                continue;
            }
            match packet.inner {
                PacketData::Event(mut value, _) => {
                    let Ok(name) = CommonParser.read_event(&value).map(str::to_owned) else { continue };
                    let data = CommonParser.decode_value::<Value>(&mut value, true).unwrap_or_default();
                    return Incoming::Event(name, data);
                }
                PacketData::EventAck(mut value, id) => {
                    let data = CommonParser.decode_value::<Value>(&mut value, false).unwrap_or_default();
                    return Incoming::Ack(id, data);
                }
                PacketData::Disconnect => return Incoming::Disconnected,
                _ => {}
            }
        }
    }
}

fn encode(packet: Packet) -> String {
    match CommonParser.encode(packet) {
        socketioxide_core::Value::Str(s, _) => format!("4{}", s.as_str()),
        socketioxide_core::Value::Bytes(_) => String::new(),
    }
}

fn decode(body: &str) -> Result<Packet, String> {
    CommonParser
        .decode_str(&ParseConfig::default(), &ParserState::default(), Str::from(body.to_owned()))
        .map_err(|e| format!("{e:?}"))
}

/// How to connect, beyond the address and namespace.
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// Sent as the handshake's `Cookie` header (a session cookie).
    pub cookie: Option<&'a str>,
    /// Sent as the handshake's `Origin` header, as a browser's page would.
    pub origin: Option<&'a str>,
    /// The CONNECT packet's `auth` payload, as `io(url, { auth })` sends it.
    pub auth: Option<&'a Value>,
    /// The source address to connect from.
    pub local: Option<IpAddr>,
    /// Read load-generator deliveries in one pass ([`Incoming::Message`]).
    pub deliveries: bool,
}

/// Connects to namespace `ns` of the server at `addr`.
pub async fn connect(addr: SocketAddr, ns: &str, options: Options<'_>) -> Result<(Writer, Reader), SioError> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4() } else { TcpSocket::new_v6() }
        .map_err(|source| SioError::Connect { addr, source })?;
    if let Some(ip) = options.local {
        socket.bind(SocketAddr::new(ip, 0)).map_err(|source| SioError::Connect { addr, source })?;
    }
    let stream = socket.connect(addr).await.map_err(|source| SioError::Connect { addr, source })?;
    let _ = stream.set_nodelay(true);
    let mut request = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket").into_client_request()?;
    for (name, value) in [("Cookie", options.cookie), ("Origin", options.origin)] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            let value = value.parse().map_err(|_| SioError::Unexpected(format!("a bad {name} header")))?;
            request.headers_mut().insert(name, value);
        }
    }
    // tungstenite zeroes its whole read buffer before each read (128 KiB by
    // default, most of the client's CPU at a thousand connections); a
    // frame here is a few hundred bytes, as on the server (4 KiB there too).
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let (ws, _) = client_async_with_config(request, stream, Some(config)).await?;
    let (sink, mut stream) = ws.split();
    let writer = Writer { sink: Arc::new(Mutex::new(sink)), ns: Arc::from(ns) };
    // Engine.IO open, then the namespace's CONNECT (or CONNECT_ERROR).
    let mut opened = false;
    loop {
        let Some(Ok(Message::Text(text))) = stream.next().await else { return Err(SioError::ClosedEarly) };
        let text = text.as_str();
        if !opened {
            if !text.starts_with('0') {
                return Err(SioError::Unexpected(text.chars().take(80).collect()));
            }
            opened = true;
            let auth = options.auth.map(|a| socketioxide_core::Value::Str(Str::from(a.to_string()), None));
            writer.send(encode(Packet::connect(ns.to_owned(), auth))).await?;
            continue;
        }
        if text == "2" {
            writer.send("3".into()).await?;
            continue;
        }
        // The common parser decodes only what a server receives; a
        // CONNECT_ERROR (`44/ns,{"message":...}`) is read here.
        if let Some(rest) = text.strip_prefix("44") {
            let json = rest.strip_prefix(ns).and_then(|r| r.strip_prefix(',')).unwrap_or(rest);
            let message =
                serde_json::from_str::<Value>(json).ok().and_then(|v| v["message"].as_str().map(str::to_owned));
            return Err(SioError::Refused(message.unwrap_or_else(|| json.chars().take(200).collect())));
        }
        if text.starts_with("40") {
            return Ok((writer.clone(), Reader { stream, writer, deliveries: options.deliveries }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivered_message_is_read_in_one_pass() {
        let frame = r#"2/bench,["message",{"id":9,"channel_id":1,"seq":4,"kind":"message","client_id":"3:17","author_id":2,"author":"b","body":"123456789","sent_at":1}]"#;
        assert_eq!(Delivery::read(frame, "/bench"), Some(Delivery { sender: 3, n: 17, sent_ns: 123456789 }));
        // Another namespace, another event, or a message not sent by a load
        // generator is left to the general reader.
        assert_eq!(Delivery::read(frame, "/other"), None);
        assert_eq!(Delivery::read(r#"2/bench,["typing",{"client_id":"3:17","body":"1"}]"#, "/bench"), None);
        assert_eq!(Delivery::read(r#"2/bench,["message",{"client_id":"hello","body":"hi"}]"#, "/bench"), None);
        assert_eq!(
            Delivery::read(r#"2["message",{"client_id":"1:2","body":"3"}]"#, "/"),
            Some(Delivery { sender: 1, n: 2, sent_ns: 3 })
        );
    }
}
