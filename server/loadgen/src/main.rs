//! `loadgen`: one run against a server; progress on stderr, the report as one
//! JSON line on stdout. `scripts/bench.sh` (`make bench`) drives it.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use confab_loadgen::run::{Plan, connect_all, run};
use confab_loadgen::setup::{Target, prepare};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Kind {
    Confab,
    Reference,
}

#[derive(Debug, Parser)]
#[command(about = "Load Confab (or the reference Socket.IO server) and measure every delivery.")]
struct Args {
    #[arg(long, value_enum, default_value = "confab")]
    target: Kind,
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    #[arg(long, default_value_t = 1)]
    rooms: usize,
    /// Connections per room.
    #[arg(long, default_value_t = 10)]
    members: usize,
    /// Connections per room that send.
    #[arg(long, default_value_t = 1)]
    senders_per_room: usize,
    /// Messages each sender sends.
    #[arg(long, default_value_t = 100)]
    messages: u64,
    /// Messages per second per sender (default: as fast as acknowledged).
    #[arg(long)]
    rate: Option<f64>,
    /// Unacknowledged messages a sender may have at once.
    #[arg(long, default_value_t = 32)]
    window: usize,
    /// Connections per Confab account (the server must allow as many).
    #[arg(long, default_value_t = 50)]
    per_account: usize,
    /// Source addresses to spread the connections over (e.g. 127.0.0.2,127.0.0.3).
    #[arg(long, value_delimiter = ',')]
    sources: Vec<IpAddr>,
    /// Seconds to wait for answers and deliveries after the last send.
    #[arg(long, default_value_t = 30)]
    drain_secs: u64,
    /// Only connect every connection, say so, and hold them this many seconds.
    #[arg(long)]
    idle_secs: Option<u64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let target = match args.target {
        Kind::Confab => Target::Confab(args.url.clone()),
        Kind::Reference => Target::Reference(args.url.clone()),
    };
    let Some(addr) = socket_addr(&args.url) else {
        eprintln!("loadgen: cannot read a host and port from {}", args.url);
        return ExitCode::FAILURE;
    };
    eprintln!("loadgen: preparing {} rooms x {} connections on {}", args.rooms, args.members, target.name());
    let rooms = match prepare(&target, args.rooms, args.members, args.per_account).await {
        Ok(rooms) => rooms,
        Err(e) => {
            eprintln!("loadgen: preparing failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(hold) = args.idle_secs {
        eprintln!("loadgen: connecting {} idle connections", args.rooms * args.members);
        let held = match connect_all(&[addr], 0, &rooms, &args.sources).await {
            Ok(held) => held,
            Err(e) => {
                eprintln!("loadgen: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", serde_json::json!({ "step": "idle", "connections": held.len() }));
        tokio::time::sleep(Duration::from_secs(hold)).await;
        return ExitCode::SUCCESS;
    }
    let plan = Plan {
        senders_per_room: args.senders_per_room,
        messages_per_sender: args.messages,
        rate: args.rate,
        window: args.window,
        sources: args.sources.clone(),
        drain: Duration::from_secs(args.drain_secs),
    };
    eprintln!("loadgen: running");
    match run(&[addr], &rooms, &plan).await {
        Ok(report) => {
            let mut line = serde_json::to_value(&report).unwrap_or_default();
            line["target"] = target.name().into();
            println!("{line}");
            if report.lost + report.duplicated + report.out_of_order > 0 || report.acknowledged < report.sent {
                eprintln!("loadgen: deliveries were lost, repeated or out of order");
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `http://host:port` as a socket address.
fn socket_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next()?;
    host_port.to_socket_addrs().ok()?.next()
}
