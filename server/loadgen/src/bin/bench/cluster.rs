//! The cluster section of `make bench`: three servers as one service
//! against one server, for Confab (PostgreSQL, and Redis between the
//! servers) and for the reference (Socket.IO's own `@socket.io/redis-adapter`),
//! run the same way. A room's sender is on the first server and its other
//! members are spread over the rest, so every delivery measured but the
//! sender's own copy crosses from one server to another. Needs the
//! PostgreSQL of `scripts/with-postgres.sh` (`make bench` runs the
//! benchmarks under it) and Debian's `redis-server`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confab_loadgen::run::{Plan, run};
use confab_loadgen::setup::prepare;
use sqlx::{Connection, Executor, PgConnection};

use super::{Figures, Link, Paths, Server, cpu_seconds_of, free_port, ratio, start_linked};

/// What the servers of a cluster share: a throwaway Redis, and a fresh
/// database of the PostgreSQL `scripts/with-postgres.sh` started for each run.
pub(crate) struct Backing {
    redis: Child,
    redis_url: String,
    /// A URL to the `postgres` database, as a user that may create others.
    postgres: String,
    dir: PathBuf,
    databases: u32,
}

impl Drop for Backing {
    fn drop(&mut self) {
        let _ = self.redis.kill();
        let _ = self.redis.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Backing {
    /// Starts Redis; `None`, with the reason, when the section cannot run here.
    pub(crate) fn start() -> Result<Backing, String> {
        let postgres = std::env::var("CONFAB_TEST_POSTGRES").map_err(|_| {
            "no PostgreSQL: run the benchmark under scripts/with-postgres.sh, as make bench does".to_owned()
        })?;
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("confab-bench-redis-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let redis = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start redis-server (scripts/setup.sh --cluster installs it): {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                return Err("redis-server did not start listening".into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Backing { redis, redis_url: format!("redis://127.0.0.1:{port}"), postgres, dir, databases: 0 })
    }

    /// A new, empty database; its URL.
    async fn fresh_database(&mut self) -> String {
        self.databases += 1;
        let name = format!("confab_bench_{}_{}", std::process::id(), self.databases);
        let mut admin = PgConnection::connect(&self.postgres).await.expect("PostgreSQL answers");
        admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("a database is created");
        let _ = admin.close().await;
        let (server, _) = self.postgres.rsplit_once('/').expect("a database URL ends in its name");
        format!("{server}/{name}")
    }

    /// Forgets what an earlier run's servers left in Redis.
    async fn flush_redis(&self) {
        let client = redis::Client::open(self.redis_url.as_str()).expect("a Redis URL");
        let mut conn = client.get_multiplexed_async_connection().await.expect("Redis answers");
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.expect("Redis flushes");
    }

    fn redis_cpu_seconds(&self) -> f64 {
        cpu_seconds_of(self.redis.id())
    }
}

/// Starts `n` fresh servers of `kind` as one service (one: alone; Confab on
/// PostgreSQL either way).
async fn start_servers(kind: &str, paths: &Paths, backing: &mut Backing, n: usize) -> Vec<Server> {
    backing.flush_redis().await;
    let database_url = if kind == "confab" { Some(backing.fresh_database().await) } else { None };
    let link = Link { database_url, redis_url: (n > 1).then(|| backing.redis_url.clone()) };
    // One after the other: the first prepares the database.
    (0..n).map(|_| start_linked(kind, paths, &link)).collect()
}

/// One delivery scenario on `n` fresh servers; also Redis's CPU seconds.
async fn delivery(
    kind: &str,
    paths: &Paths,
    backing: &mut Backing,
    n: usize,
    members: usize,
    plan: &Plan,
) -> (Figures, f64) {
    let servers = start_servers(kind, paths, backing, n).await;
    let prepared = prepare(&servers[0].target, 1, members, 100).await.expect("servers prepared");
    let addrs: Vec<_> = servers.iter().map(|s| s.addr).collect();
    let cpu = || servers.iter().map(Server::cpu_seconds).sum::<f64>();
    let (before, redis_before) = (cpu(), backing.redis_cpu_seconds());
    let report = run(&addrs, &prepared, plan).await.expect("the run completes");
    let peak_rss_mib = servers.iter().map(|s| s.memory_mib("VmHWM")).fold(0.0, f64::max);
    let figures = Figures { cpu_seconds: cpu() - before, peak_rss_mib, report };
    figures.tell(&format!("{kind} x {n}"));
    (figures, backing.redis_cpu_seconds() - redis_before)
}

/// Runs the section and prints its table; the deliveries lost, duplicated
/// or out of order, by run.
pub(crate) async fn section(
    paths: &Paths,
    members: usize,
    saturate: &Plan,
    steady: &Plan,
) -> Vec<(String, u64, u64, u64)> {
    let mut backing = match Backing::start() {
        Ok(backing) => backing,
        Err(why) => {
            println!("\nCluster section skipped: {why}.");
            return Vec::new();
        }
    };
    // Confab alone, Confab x 3, the reference alone, the reference x 3.
    let setups = [("confab", 1), ("confab", 3), ("reference", 1), ("reference", 3)];
    let mut fan = Vec::new();
    let mut lat = Vec::new();
    let mut exact = Vec::new();
    for (kind, n) in setups {
        eprintln!("bench: cluster: {kind} x {n}: 1 room x {members}, one sender, as fast as acknowledged");
        let (f, redis) = delivery(kind, paths, &mut backing, n, members, saturate).await;
        fan.push((f, redis));
        eprintln!("bench: cluster: {kind} x {n}: 1 room x {members}, one sender, 50 messages/s");
        let (f, _) = delivery(kind, paths, &mut backing, n, members, steady).await;
        lat.push(f);
    }
    for (i, (kind, n)) in setups.iter().enumerate() {
        for f in [&fan[i].0, &lat[i]] {
            exact.push((format!("{kind} x {n}"), f.report.lost, f.report.duplicated, f.report.out_of_order));
        }
    }
    let mut rows: Vec<(String, [f64; 4])> = Vec::new();
    let each = |f: &dyn Fn(usize) -> f64| [f(0), f(1), f(2), f(3)];
    rows.push((
        format!("1 room x {members}, one sender: deliveries/s at saturation"),
        each(&|i| fan[i].0.report.deliveries_per_second),
    ));
    rows.push(("p50 latency at 50 msg/s to the room (ms)".into(), each(&|i| lat[i].report.p50_ms)));
    rows.push(("p99 latency at 50 msg/s to the room (ms)".into(), each(&|i| lat[i].report.p99_ms)));
    rows.push(("max latency at 50 msg/s to the room (ms)".into(), each(&|i| lat[i].report.max_ms)));
    rows.push((
        "CPU seconds per 100k deliveries, all servers (saturation)".into(),
        each(&|i| fan[i].0.per_100k_deliveries(fan[i].0.cpu_seconds)),
    ));
    rows.push((
        "Redis CPU seconds per 100k deliveries (saturation)".into(),
        each(&|i| fan[i].0.per_100k_deliveries(fan[i].1)),
    ));

    println!();
    println!(
        "Cluster: three servers as one service against one server (1 room x {members}; the sender on the first server, the others spread over the rest)."
    );
    println!();
    println!(
        "| Scenario | Confab, 1 server | Confab, 3 servers | Reference, 1 server | Reference, 3 servers (Redis adapter) | Confab / Reference, 3 servers |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, v) in &rows {
        println!("| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {} |", v[0], v[1], v[2], v[3], ratio(v[1], v[3]));
    }
    exact
}
