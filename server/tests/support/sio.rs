//! What the tests need of a Socket.IO connection, over Confab's one Rust
//! Socket.IO client (`confab_loadgen::sio`, which the load generator uses
//! too): requests that wait for their acknowledgement, events kept while
//! waiting for something else, and telling a disconnect from silence.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use confab_loadgen::sio::{self, Incoming, Reader, SioError, Writer};
use serde_json::Value;

pub(crate) struct SioClient {
    writer: Writer,
    reader: Reader,
    next_ack: i64,
    /// Events received while waiting for something else.
    events: VecDeque<(String, Value)>,
    /// Acknowledgements received while waiting for something else.
    acks: VecDeque<(i64, Value)>,
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

impl SioClient {
    /// Connects to namespace `ns`; `Err` carries the `connect_error` message,
    /// or says the server could not be reached.
    pub(crate) async fn connect(
        addr: std::net::SocketAddr,
        ns: &str,
        cookie: &str,
        origin: Option<&str>,
    ) -> Result<SioClient, String> {
        Self::connect_with_auth(addr, ns, cookie, origin, None).await
    }

    /// [`SioClient::connect`] with an `auth` payload in the CONNECT packet,
    /// as `io(url, { auth })` sends it.
    pub(crate) async fn connect_with_auth(
        addr: std::net::SocketAddr,
        ns: &str,
        cookie: &str,
        origin: Option<&str>,
        auth: Option<&Value>,
    ) -> Result<SioClient, String> {
        let options = sio::Options { cookie: Some(cookie), origin, auth, ..Default::default() };
        let (writer, reader) = sio::connect(addr, ns, options).await.map_err(|e| match e {
            SioError::Refused(message) => message,
            other => other.to_string(),
        })?;
        Ok(SioClient {
            writer,
            reader,
            next_ack: 0,
            events: VecDeque::new(),
            acks: VecDeque::new(),
            disconnected: false,
            closed: false,
            presence: false,
        })
    }

    /// From now on, `online` and `presence` events are kept like any other.
    pub(crate) fn hear_presence(&mut self) {
        self.presence = true;
    }

    /// Whether the connection is gone (closed, reset, or the server died).
    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// The next thing the server sends that a test may look at (events it
    /// does not keep are skipped); `None` once disconnected or closed.
    async fn incoming(&mut self) -> Option<Incoming> {
        if self.disconnected || self.closed {
            return None;
        }
        loop {
            match self.reader.next().await {
                Incoming::Event(name, _) if !self.presence && PRESENCE_EVENTS.contains(&name.as_str()) => {}
                Incoming::Disconnected => {
                    self.disconnected = true;
                    return None;
                }
                Incoming::Closed => {
                    self.closed = true;
                    return None;
                }
                other => return Some(other),
            }
        }
    }

    /// Emits without asking for an ack.
    pub(crate) async fn emit(&mut self, event: &str, data: &Value) {
        self.writer.emit(event, data, None).await.expect("send frame");
    }

    /// Emits and waits (5 s at most) for the acknowledgement's first argument.
    pub(crate) async fn request(&mut self, event: &str, data: &Value) -> Value {
        let id = self.send_request(event, data).await;
        let answer = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match self.incoming().await.expect("connection open while waiting for ack") {
                    Incoming::Ack(ack, answer) if ack == id => return answer,
                    Incoming::Ack(ack, answer) => self.acks.push_back((ack, answer)),
                    Incoming::Event(name, data) => self.events.push_back((name, data)),
                    _ => {}
                }
            }
        })
        .await;
        answer.unwrap_or_else(|_| panic!("no ack for {event} within 5 s"))
    }

    /// Emits asking for an acknowledgement, without waiting for it; returns
    /// the ack id to look for in [`SioClient::acks_until_closed`].
    pub(crate) async fn send_request(&mut self, event: &str, data: &Value) -> i64 {
        self.try_send_request(event, data).await.expect("send frame")
    }

    /// [`SioClient::send_request`], or `None` if the connection is gone.
    pub(crate) async fn try_send_request(&mut self, event: &str, data: &Value) -> Option<i64> {
        self.next_ack += 1;
        self.writer.emit(event, data, Some(self.next_ack)).await.ok()?;
        Some(self.next_ack)
    }

    /// The next acknowledgement (its id and first argument), or `None` if the
    /// socket is disconnected or `wait` passes first.
    pub(crate) async fn next_ack(&mut self, wait: Duration) -> Option<(i64, Value)> {
        if let Some(ack) = self.acks.pop_front() {
            return Some(ack);
        }
        tokio::time::timeout(wait, async {
            loop {
                match self.incoming().await? {
                    Incoming::Ack(id, answer) => return Some((id, answer)),
                    Incoming::Event(name, data) => self.events.push_back((name, data)),
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
    pub(crate) async fn acks_until_closed(&mut self, wait: Duration) -> HashMap<i64, Value> {
        let mut acks: HashMap<i64, Value> = self.acks.drain(..).collect();
        let _ = tokio::time::timeout(wait, async {
            while let Some(incoming) = self.incoming().await {
                if let Incoming::Ack(id, answer) = incoming {
                    acks.insert(id, answer);
                }
            }
        })
        .await;
        acks
    }

    /// The next event, or `None` if none comes within `wait`.
    pub(crate) async fn next_event(&mut self, wait: Duration) -> Option<(String, Value)> {
        if let Some(e) = self.events.pop_front() {
            return Some(e);
        }
        tokio::time::timeout(wait, async {
            loop {
                match self.incoming().await? {
                    Incoming::Event(name, data) => return Some((name, data)),
                    Incoming::Ack(id, answer) => self.acks.push_back((id, answer)),
                    _ => {}
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// The next event, which must be a `notice`: what it tells (`read`,
    /// `channel_added`), its body and its `seq`; `None` if none comes
    /// within `wait`.
    pub(crate) async fn next_notice(&mut self, wait: Duration) -> Option<(String, Value, i64)> {
        let (name, data) = self.next_event(wait).await?;
        assert_eq!(name, "notice", "{data}");
        Some(notice_parts(&data))
    }

    /// Waits until the server closes the connection (or `wait` passes); true if it did.
    pub(crate) async fn closed_within(&mut self, wait: Duration) -> bool {
        tokio::time::timeout(wait, async { while self.incoming().await.is_some() {} }).await.is_ok()
    }
}

/// A notice's parts: what it tells (`read`, `channel_added`), its body and
/// its `seq`.
pub(crate) fn notice_parts(notice: &Value) -> (String, Value, i64) {
    let seq = notice["seq"].as_i64().expect("a notice has a seq");
    let (what, body) =
        notice.as_object().and_then(|o| o.iter().find(|(k, _)| *k != "seq")).expect("a notice tells something");
    (what.clone(), body.clone(), seq)
}
