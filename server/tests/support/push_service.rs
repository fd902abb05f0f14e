//! A push service of the tests' own on loopback, as a browser's would be
//! (RFC 8030): it takes what the server posts to a subscription's address
//! and keeps it for the test to read, answering `201 Created`, or `410
//! Gone` for the subscriptions the test says are gone.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;

/// One push as the push service got it.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) device: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    gone: Arc<Mutex<HashSet<String>>>,
}

pub(crate) struct TestPushService {
    pub(crate) addr: std::net::SocketAddr,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestPushService {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn take(State(s): State<Shared>, Path(device): Path<String>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let gone = s.gone.lock().unwrap().contains(&device);
    s.received.lock().unwrap().push(Received { device, headers, body: body.to_vec() });
    if gone { StatusCode::GONE } else { StatusCode::CREATED }
}

impl TestPushService {
    pub(crate) async fn start() -> TestPushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Shared::default();
        let app = Router::new().route("/push/{device}", post(take)).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestPushService { addr, shared, task }
    }

    /// The address of device `name`'s subscription.
    pub(crate) fn endpoint(&self, name: &str) -> String {
        format!("http://{}/push/{name}", self.addr)
    }

    /// From now on, device `name`'s subscription is gone (410).
    pub(crate) fn forget(&self, name: &str) {
        self.shared.gone.lock().unwrap().insert(name.to_owned());
    }

    /// How many pushes have come so far.
    pub(crate) fn count(&self) -> usize {
        self.shared.received.lock().unwrap().len()
    }

    /// Push number `n` (from 0), waiting up to `wait` for it.
    pub(crate) async fn nth(&self, n: usize, wait: Duration) -> Option<Received> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            if let Some(r) = self.shared.received.lock().unwrap().get(n).cloned() {
                return Some(r);
            }
            if tokio::time::Instant::now() > until {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
