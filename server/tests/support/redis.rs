//! A throwaway Redis server for the cluster's tests: Debian's `redis-server`
//! (installed by `scripts/setup.sh --test`) on a free port on 127.0.0.1,
//! nothing saved, its folder removed when dropped. It can be stopped and
//! started again on the same port, as a restarted Redis would be.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};

pub(crate) struct TestRedis {
    pub(crate) addr: SocketAddr,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

impl TestRedis {
    pub(crate) async fn start() -> TestRedis {
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut redis = TestRedis { addr, child: None, dir: tempfile::tempdir().expect("a folder for Redis") };
        redis.start_again().await;
        redis
    }

    /// `redis://…` for `--redis-url`.
    pub(crate) fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Starts it (again) on its port, and waits until it answers.
    pub(crate) async fn start_again(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.addr.port().to_string(), "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server does not start ({e}): run scripts/setup.sh --test"));
        self.child = Some(child);
        for _ in 0..200 {
            if self.answers().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("redis-server did not answer on {} within 5 s", self.addr);
    }

    /// Kills it at once, as a crash would.
    pub(crate) async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("redis-server killed");
        }
    }

    async fn answers(&self) -> bool {
        let Ok(mut conn) = tokio::net::TcpStream::connect(self.addr).await else { return false };
        let mut reply = [0u8; 7];
        conn.write_all(b"PING\r\n").await.is_ok() && conn.read_exact(&mut reply).await.is_ok() && &reply == b"+PONG\r\n"
    }
}
