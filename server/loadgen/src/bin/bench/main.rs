//! `bench`: Confab side by side with the reference Node Socket.IO server.
//! Each scenario runs against a fresh server of each kind on loopback; the
//! server's CPU time and memory are read from `/proc`; the table goes to
//! stdout, progress to stderr. `make bench` builds everything and runs it.
//!
//! `CONFAB_BENCH_LOG` sets Confab's log filter (default `error`). The
//! cluster section (`cluster.rs`) needs a PostgreSQL (run it
//! under `scripts/with-postgres.sh`, as `make bench` does).
//!
//!   bench [--confab target/release/server] [--reference server/loadgen/reference/server.js]
//!         [--quick] [--cluster-only]

mod cluster;

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use confab_loadgen::run::{Plan, Report, connect_all, run};
use confab_loadgen::setup::{Target, prepare};

/// A server under test, stopped when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    target: Target,
    data: Option<std::path::PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.data {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Server {
    /// CPU seconds (user + system) the server has used so far.
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(self.child.id())
    }

    /// A memory figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in MiB.
    fn memory_mib(&self, field: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kib = status
            .lines()
            .find_map(|l| {
                l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse::<f64>().ok()
            })
            .unwrap_or(0.0);
        kib / 1024.0
    }
}

/// CPU seconds (user + system) process `pid` has used so far.
fn cpu_seconds_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / clock_ticks()
}

fn clock_ticks() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output().ok();
    out.and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.trim().parse().ok()).unwrap_or(100.0)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(3400)
}

/// Where a server keeps and shares its state; by default alone, on a
/// database of its own.
#[derive(Clone, Debug, Default)]
struct Link {
    /// Confab: a PostgreSQL database instead of SQLite.
    database_url: Option<String>,
    /// Several servers as one through this Redis (Confab with PostgreSQL;
    /// the reference through `@socket.io/redis-adapter`).
    redis_url: Option<String>,
}

/// Starts a fresh server of `kind` and waits until it accepts connections.
fn start(kind: &str, paths: &Paths) -> Server {
    start_linked(kind, paths, &Link::default())
}

/// [`start`], keeping and sharing its state as `link` says.
fn start_linked(kind: &str, paths: &Paths, link: &Link) -> Server {
    let port = free_port();
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let url = format!("http://{addr}");
    let (child, target, data) = if kind == "confab" {
        let data = std::env::temp_dir().join(format!("confab-bench-{}-{port}", std::process::id()));
        let mut command = Command::new(&paths.confab);
        if let Some(url) = &link.database_url {
            command.args(["--database-url", url]);
        }
        if let Some(url) = &link.redis_url {
            command.args(["--redis-url", url]);
        }
        let child = command
            .args(["--max-sockets-per-user", "0", "--messages-per-second", "1000000000"])
            .args(["--max-connections-per-address", "0", "--socket-queue", "4096"])
            .env("CONFAB_ADDR", addr.to_string())
            .env("CONFAB_DATA_DIR", &data)
            .env("LEPTOS_SITE_ROOT", "target/site")
            .env("RUST_LOG", std::env::var("CONFAB_BENCH_LOG").unwrap_or_else(|_| "error".into()))
            .stdout(Stdio::null())
            .spawn()
            .expect("the Confab server starts (build it: make release-server)");
        (child, Target::Confab(url), Some(data))
    } else {
        let mut command = Command::new("node");
        if let Some(url) = &link.redis_url {
            command.env("REDIS_URL", url);
        }
        let child = command
            .arg(&paths.reference)
            .env("PORT", port.to_string())
            .stdout(Stdio::null())
            .spawn()
            .expect("node runs the reference server (npm ci in server/loadgen/reference)");
        (child, Target::Reference(url), None)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "{kind} server did not start listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { child, addr, target, data }
}

struct Paths {
    confab: String,
    reference: String,
}

/// A scenario's figures for one server (or for all of a cluster's).
#[derive(Default, Clone)]
struct Figures {
    report: Report,
    cpu_seconds: f64,
    peak_rss_mib: f64,
}

impl Figures {
    /// `seconds` (of CPU) per 100,000 of the run's deliveries.
    fn per_100k_deliveries(&self, seconds: f64) -> f64 {
        seconds * 100_000.0 / (self.report.delivered.max(1) as f64)
    }

    /// Says on stderr how the run of `what` went.
    fn tell(&self, what: &str) {
        let r = &self.report;
        eprintln!(
            "bench:   {what}: {:.0} deliveries/s, p50 {:.1} ms, p99 {:.1} ms, lost {}, duplicated {}, out of order {}",
            r.deliveries_per_second, r.p50_ms, r.p99_ms, r.lost, r.duplicated, r.out_of_order
        );
    }
}

/// Runs one delivery scenario on a fresh server.
async fn delivery(kind: &str, paths: &Paths, rooms: usize, members: usize, plan: &Plan) -> Figures {
    let server = start(kind, paths);
    let prepared = prepare(&server.target, rooms, members, 100).await.expect("server prepared");
    let cpu = server.cpu_seconds();
    let report = run(&[server.addr], &prepared, plan).await.expect("the run completes");
    let figures = Figures { cpu_seconds: server.cpu_seconds() - cpu, peak_rss_mib: server.memory_mib("VmHWM"), report };
    figures.tell(kind);
    figures
}

/// Server memory per idle connection (joined to a room), in KiB, with `n` of them.
async fn idle(kind: &str, paths: &Paths, n: usize, sources: &[IpAddr]) -> (f64, f64) {
    let server = start(kind, paths);
    let rooms = prepare(&server.target, n / 100, 100, 100).await.expect("server prepared");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = server.memory_mib("VmRSS");
    let held = connect_all(&[server.addr], 0, &rooms, sources).await.expect("every connection opens");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = server.memory_mib("VmRSS");
    let per_connection_kib = (after - before) * 1024.0 / held.len() as f64;
    eprintln!(
        "bench:   {kind}: {} idle connections, {before:.1} -> {after:.1} MiB: {per_connection_kib:.1} KiB each",
        held.len()
    );
    drop(held);
    (per_connection_kib, server.memory_mib("VmHWM"))
}

fn ratio(confab: f64, reference: f64) -> String {
    if reference == 0.0 { "-".into() } else { format!("{:.2}", confab / reference) }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: &str| {
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.into())
    };
    let quick = args.iter().any(|a| a == "--quick");
    let paths = Paths {
        confab: arg("--confab", "target/release/server"),
        reference: arg("--reference", "server/loadgen/reference/server.js"),
    };
    let sources: Vec<IpAddr> = (2..=5).map(|i| IpAddr::V4(Ipv4Addr::new(127, 0, 0, i))).collect();
    let scale = if quick { 10 } else { 1 };
    let fanout_members = 1000 / scale;
    let saturate = Plan {
        senders_per_room: 1,
        messages_per_sender: 3000 / scale as u64,
        rate: None,
        window: 64,
        sources: sources.clone(),
        drain: Duration::from_secs(60),
    };
    // 50 messages a second to 1,000 members: 50,000 deliveries a second.
    let steady = Plan { messages_per_sender: 500 / scale as u64, rate: Some(50.0), ..saturate.clone() };
    let everyone =
        Plan { senders_per_room: 10, messages_per_sender: 100 / scale as u64, window: 16, ..saturate.clone() };
    let idle_n = 10_000 / scale;
    if args.iter().any(|a| a == "--cluster-only") {
        let exact = cluster::section(&paths, fanout_members, &saturate, &steady).await;
        return report_faults(exact);
    }

    let mut rows: Vec<(String, f64, f64)> = Vec::new();
    let mut exact = Vec::new();
    let mut peak = [0.0f64; 2];
    let kinds = ["confab", "reference"];
    let mut fan = [Figures::default(), Figures::default()];
    let mut lat = [Figures::default(), Figures::default()];
    let mut all = [Figures::default(), Figures::default()];
    let mut idle_kib = [0.0; 2];
    for (i, kind) in kinds.iter().enumerate() {
        eprintln!("bench: {kind}: 1 room x {fanout_members}, one sender, as fast as acknowledged");
        fan[i] = delivery(kind, &paths, 1, fanout_members, &saturate).await;
        eprintln!("bench: {kind}: 1 room x {fanout_members}, one sender, 50 messages/s");
        lat[i] = delivery(kind, &paths, 1, fanout_members, &steady).await;
        eprintln!("bench: {kind}: 100 rooms x 10, everyone sends");
        all[i] = delivery(kind, &paths, 100 / scale.min(10), 10, &everyone).await;
        eprintln!("bench: {kind}: {idle_n} idle connections");
        let (kib, hwm) = idle(kind, &paths, idle_n, &sources).await;
        idle_kib[i] = kib;
        for f in [&fan[i], &lat[i], &all[i]] {
            peak[i] = peak[i].max(f.peak_rss_mib);
            exact.push((kind, f.report.lost, f.report.duplicated, f.report.out_of_order));
        }
        peak[i] = peak[i].max(hwm);
    }
    let per_100k = |f: &Figures| f.per_100k_deliveries(f.cpu_seconds);
    rows.push((
        format!("1 room x {fanout_members}, one sender: deliveries/s at saturation"),
        fan[0].report.deliveries_per_second,
        fan[1].report.deliveries_per_second,
    ));
    rows.push((
        format!("{} rooms x 10, everyone sends: deliveries/s at saturation", 100 / scale.min(10)),
        all[0].report.deliveries_per_second,
        all[1].report.deliveries_per_second,
    ));
    rows.push(("p50 latency at 50 msg/s to the room (ms)".into(), lat[0].report.p50_ms, lat[1].report.p50_ms));
    rows.push(("p99 latency at 50 msg/s to the room (ms)".into(), lat[0].report.p99_ms, lat[1].report.p99_ms));
    rows.push(("max latency at 50 msg/s to the room (ms)".into(), lat[0].report.max_ms, lat[1].report.max_ms));
    rows.push(("server CPU seconds per 100k deliveries (saturation)".into(), per_100k(&fan[0]), per_100k(&fan[1])));
    rows.push(("server peak RSS (MiB)".into(), peak[0], peak[1]));
    rows.push((format!("server RSS per idle connection at {idle_n} (KiB)"), idle_kib[0], idle_kib[1]));

    println!("| Scenario | Confab | Reference (Node socket.io 4.8) | Confab / Reference |");
    println!("|---|---:|---:|---:|");
    for (name, c, r) in &rows {
        println!("| {name} | {c:.2} | {r:.2} | {} |", ratio(*c, *r));
    }
    let mut exact: Vec<(String, u64, u64, u64)> =
        exact.into_iter().map(|(kind, l, d, o)| (kind.to_string(), l, d, o)).collect();
    exact.extend(cluster::section(&paths, fanout_members, &saturate, &steady).await);
    report_faults(exact);
}

/// Prints how many deliveries were lost, duplicated or out of order (by run
/// when any were, and then exits with 2).
fn report_faults(exact: Vec<(String, u64, u64, u64)>) {
    let faults: u64 = exact.iter().map(|(_, l, d, o)| l + d + o).sum();
    println!();
    println!(
        "Deliveries lost, duplicated or out of order, all runs: {faults} (Confab persists every message; the reference stores nothing)."
    );
    if faults > 0 {
        for (kind, l, d, o) in exact {
            println!("  {kind}: lost {l}, duplicated {d}, out of order {o}");
        }
        std::process::exit(2);
    }
}
