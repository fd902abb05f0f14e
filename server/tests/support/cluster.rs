//! A cluster of real processes for the tests: Confab servers (the built
//! binary) on one fresh PostgreSQL database (on the server
//! `CONFAB_TEST_POSTGRES` names, as `make test`'s PostgreSQL pass gives) and
//! a throwaway Redis, behind HAProxy (Debian's, with the project's
//! `deploy/haproxy.cfg`), all on free ports on 127.0.0.1. A server can be
//! killed (SIGKILL) and started again on its port; each writes its log to a
//! file of its own, which the tests read.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::redis::TestRedis;

pub(crate) fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// One Confab server of the cluster.
pub(crate) struct Node {
    pub(crate) addr: SocketAddr,
    child: Option<Child>,
    /// Where its logs go, one file per start.
    logs: Vec<PathBuf>,
}

pub(crate) struct TestCluster {
    /// The load balancer's address: where people connect.
    pub(crate) lb: SocketAddr,
    pub(crate) nodes: Vec<Node>,
    pub(crate) redis: TestRedis,
    database_url: String,
    haproxy: Child,
    dir: tempfile::TempDir,
}

impl TestCluster {
    /// `nodes` servers behind the load balancer; `None` without a
    /// PostgreSQL server to run on.
    pub(crate) async fn start(nodes: usize) -> Option<TestCluster> {
        std::env::var("CONFAB_TEST_POSTGRES").ok()?;
        let dir = tempfile::tempdir().expect("a folder for the cluster");
        let database_url = super::fresh_database_url(dir.path()).await;
        let redis = TestRedis::start().await;
        let lb = free_addr();
        let mut cluster = TestCluster {
            lb,
            nodes: (0..nodes).map(|_| Node { addr: free_addr(), child: None, logs: Vec::new() }).collect(),
            redis,
            database_url,
            haproxy: Command::new("true").spawn().expect("a placeholder"),
            dir,
        };
        // The first one alone first: it migrates the new database.
        cluster.start_node(0).await;
        for i in 1..nodes {
            cluster.start_node(i).await;
        }
        cluster.haproxy = cluster.start_haproxy().await;
        Some(cluster)
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.lb)
    }

    /// Starts server `i` (again) on its port, and waits until it answers.
    pub(crate) async fn start_node(&mut self, i: usize) {
        let node = &mut self.nodes[i];
        let log = self.dir.path().join(format!("node{i}-{}.log", node.logs.len()));
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("CONFAB_ADDR", node.addr.to_string())
            .env("CONFAB_DATABASE_URL", &self.database_url)
            // Each its own data folder; the files where all find them.
            .env("CONFAB_DATA_DIR", self.dir.path().join(format!("node{i}")))
            .env("CONFAB_FILES_DIR", self.dir.path().join("files"))
            .env("CONFAB_REDIS_URL", self.redis.url())
            .env("CONFAB_TRUSTED_PROXIES", "127.0.0.1")
            .env("CONFAB_MESSAGES_PER_SECOND", "100000")
            .env("CONFAB_MAX_CONNECTIONS_PER_ADDRESS", "0")
            .env("CONFAB_PRESENCE_GRACE_MS", "300")
            .env("RUST_LOG", "warn,server::realtime::delivery=debug")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("the server binary starts");
        node.child = Some(child);
        node.logs.push(log);
        let addr = node.addr;
        for _ in 0..300 {
            if reqwest::get(format!("http://{addr}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("server {i} did not answer within 15 s");
    }

    /// Kills server `i` with SIGKILL, as a crash would.
    pub(crate) async fn kill_node(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("killed");
        }
    }

    /// How many lines of every server's logs contain `needle`.
    pub(crate) fn count_in_logs(&self, needle: &str) -> usize {
        self.nodes
            .iter()
            .flat_map(|n| n.logs.iter())
            .map(|log| std::fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.contains(needle)).count())
            .sum()
    }

    async fn start_haproxy(&self) -> Child {
        let template = include_str!("../../../deploy/haproxy.cfg");
        let servers: String =
            self.nodes.iter().enumerate().map(|(i, n)| format!("    server s{i} {} cookie s{i}\n", n.addr)).collect();
        let config = template.replace("@BIND@", &self.lb.to_string()).replace("@SERVERS@", &servers);
        let path = self.dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).expect("haproxy.cfg written");
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("haproxy.log")).expect("a log file"))
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("haproxy does not start ({e}): run scripts/setup.sh --test"));
        for _ in 0..200 {
            if reqwest::get(format!("{}/healthz", self.url())).await.is_ok_and(|r| r.status().is_success()) {
                return child;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "haproxy did not answer within 10 s: {}",
            std::fs::read_to_string(self.dir.path().join("haproxy.log")).unwrap_or_default()
        );
    }
}
