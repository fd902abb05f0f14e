//! Memory after a sign-in flood (security suite, point 4), in a test binary of
//! its own so that the process's resident memory is this server's alone.
//! Password hashing takes 19 MiB a time; a flood must not leave the server
//! holding one such block per thread that ever hashed.

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use support::{TestServer, rss_mib};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_returns_near_its_base_after_a_sign_in_flood() {
    let server = TestServer::start().await;
    let warm = server.client();
    warm.register("walt").await;
    warm.ok("login", &[("username", "walt"), ("password", "correct horse battery")]).await;
    let base = rss_mib();

    // Five seconds of bogus sign-ins from many addresses, so that neither
    // the per-client share nor the throttle stops them before hashing.
    let stop_at = Instant::now() + Duration::from_secs(5);
    let mut peak = base;
    let mut flooders = Vec::new();
    for i in 0..40u8 {
        let client = server.client_from(IpAddr::V4(Ipv4Addr::new(127, 0, 1, i + 1)));
        flooders.push(tokio::spawn(async move {
            let mut n = 0u32;
            while Instant::now() < stop_at {
                let user = format!("ghost{i}x{n}");
                let _ = client.call("login", &[("username", &user), ("password", "not the password")]).await;
                n += 1;
            }
            n
        }));
    }
    while Instant::now() < stop_at {
        tokio::time::sleep(Duration::from_millis(200)).await;
        peak = peak.max(rss_mib());
    }
    let attempts: u32 = futures::future::join_all(flooders).await.into_iter().map(|r| r.unwrap()).sum();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_mib();
    println!("sign-in flood: {attempts} attempts; RSS base {base:.1} MiB, peak {peak:.1} MiB, after {after:.1} MiB");

    // The hashing threads each keep one 19 MiB block, reused: the base
    // already holds the ones that hashed; a few more may have joined in.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let bound = base + 19.0 * cores + 24.0;
    assert!(after < bound, "RSS after the flood is {after:.1} MiB (base {base:.1}, bound {bound:.1})");
    assert!(peak < bound + 16.0, "RSS peaked at {peak:.1} MiB during the flood (base {base:.1})");
    server.stop().await;
}
