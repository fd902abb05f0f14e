//! A stopping server answers every event it has read (security suite,
//! second round, point 6): sends that keep coming while it stops are
//! answered `unavailable` ("restarting") until it stops reading its live
//! connections, and none is read and then dropped unanswered as the
//! namespaces close (socketioxide logs those as "invalid namespace").
//!
//! In a test binary of its own: it installs the process's tracing
//! subscriber, which counts socketioxide's drops.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use confab_loadgen::sio::{self, Incoming};
use serde_json::json;
use support::{TestServer, channel_id, org_with_two_members};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Counts the events a server read for a namespace it no longer had.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Drops {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("invalid namespace requested") {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_read_while_stopping_is_answered() {
    let drops = Drops::default();
    let filter = tracing_subscriber::EnvFilter::new("warn,socketioxide::client=debug");
    tracing_subscriber::registry().with(drops.clone().with_filter(filter)).init();

    let (mut answered, mut unavailable) = (0usize, 0usize);
    for round in 0..6 {
        let server = TestServer::start_with(|c| c.messages_per_second = 1_000_000).await;
        let (owner, _member) = org_with_two_members(&server).await;
        let general = channel_id(&owner, "acme", "general").await;
        let cookie = owner.cookie_header();
        let mut senders = Vec::new();
        for s in 0..4 {
            let options = sio::Options { cookie: Some(&cookie), ..Default::default() };
            let (writer, mut reader) = sio::connect(server.addr, "/acme", options).await.unwrap();
            let sending = tokio::spawn(async move {
                // Sends keep coming, 16 at a time unanswered at most.
                for i in 0..100_000i64 {
                    let data = json!({"channel_id": general, "client_id": format!("r{round}s{s}n{i}"), "body": "hi"});
                    if writer.emit("send", &data, Some(i)).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_micros(300)).await;
                }
            });
            let reading = tokio::spawn(async move {
                let (mut ok, mut unavailable) = (0, 0);
                loop {
                    match reader.next().await {
                        Incoming::Ack(_, answer) if answer.get("ok").is_some() => ok += 1,
                        Incoming::Ack(_, answer) => {
                            assert_eq!(answer["error"]["code"], "unavailable", "{answer}");
                            unavailable += 1;
                        }
                        Incoming::Closed | Incoming::Disconnected => return (ok, unavailable),
                        _ => {}
                    }
                }
            });
            senders.push((sending, reading));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        server.stop().await;
        for (sending, reading) in senders {
            let (ok, refused) = reading.await.unwrap();
            (answered, unavailable) = (answered + ok + refused, unavailable + refused);
            sending.abort();
        }
    }
    let dropped = drops.0.load(Ordering::SeqCst);
    println!("stopping: {answered} sends answered, {unavailable} of them `unavailable`; {dropped} read and dropped");
    assert!(unavailable > 0, "sends kept coming while the server stopped");
    assert_eq!(dropped, 0, "events were read and dropped without an answer while the server stopped");
}
