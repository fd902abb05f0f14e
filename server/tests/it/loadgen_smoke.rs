//! The load generator, briefly, against a real server: a few hundred messages
//! in two rooms, each delivered exactly once to every member of its room, in
//! each sender's order. (Speed is measured by `make bench`, never here.)

use std::time::Duration;

use crate::support::TestServer;
use confab_loadgen::run::{Plan, run};
use confab_loadgen::setup::{Target, prepare};

#[tokio::test]
async fn the_load_generator_counts_every_delivery_exactly() {
    let server = TestServer::start_with(|c| {
        c.max_sockets_per_user = 0;
        c.messages_per_second = 100_000;
    })
    .await;
    let target = Target::Confab(server.url(""));
    let rooms = prepare(&target, 2, 6, 3).await.expect("server prepared");
    assert_eq!(rooms.iter().map(|r| r.cookies.len()).sum::<usize>(), 12);
    let plan = Plan {
        senders_per_room: 2,
        messages_per_sender: 50,
        rate: None,
        window: 8,
        sources: Vec::new(),
        drain: Duration::from_secs(20),
    };
    let report = run(&[server.addr], &rooms, &plan).await.expect("the run completes");
    // 2 rooms x 2 senders x 50 messages, each to the 6 members of its room.
    assert_eq!((report.sent, report.acknowledged), (200, 200), "{report:?}");
    assert_eq!((report.expected, report.delivered), (1200, 1200), "{report:?}");
    assert_eq!((report.lost, report.duplicated, report.out_of_order), (0, 0, 0), "{report:?}");
    assert!(report.p50_ms > 0.0 && report.max_ms >= report.p99_ms, "{report:?}");
    server.stop().await;
}
