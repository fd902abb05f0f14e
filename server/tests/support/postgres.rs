//! A PostgreSQL of a test's own, for tests that stop and start it: Debian's
//! PostgreSQL programs (installed by `scripts/setup.sh --test`), a cluster
//! in a temporary folder on a free port on 127.0.0.1, as
//! `scripts/with-postgres.sh` makes one; stopped and removed when dropped.
//! As root, the cluster belongs to `postgres` (PostgreSQL refuses root).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output};

pub(crate) struct TestPostgres {
    pub(crate) addr: SocketAddr,
    bin: PathBuf,
    dir: tempfile::TempDir,
}

impl TestPostgres {
    /// Makes and starts a cluster with one database, `confab`.
    pub(crate) fn start() -> TestPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is installed (scripts/setup.sh --test)")
            .filter_map(|v| Some(v.ok()?.path().join("bin")))
            .filter(|b| b.join("initdb").exists())
            .max()
            .expect("PostgreSQL's initdb");
        let dir = tempfile::tempdir().expect("a folder for PostgreSQL");
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let pg = TestPostgres { addr, bin, dir };
        if is_root() {
            run(Command::new("chown").arg("postgres:").arg(pg.dir.path()));
        }
        pg.as_owner("initdb", &["-D", &pg.data(), "-U", "confab", "--auth=trust", "--no-sync", "-E", "UTF8"]);
        pg.start_again();
        pg.as_owner("createdb", &["-h", "127.0.0.1", "-p", &pg.addr.port().to_string(), "-U", "confab", "confab"]);
        pg
    }

    /// `postgres://…` for `--database-url`.
    pub(crate) fn url(&self) -> String {
        format!("postgres://confab@{}/confab", self.addr)
    }

    /// Starts it (again) on its port, and waits until it accepts connections.
    pub(crate) fn start_again(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.addr.port(),
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        self.as_owner(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log.display().to_string(), "-w", "-t", "30", "start", "-o", &options],
        );
    }

    /// Stops it at once (`immediate`: no goodbye to its clients, as a crash
    /// or a pulled cable would).
    pub(crate) fn stop(&self) {
        self.as_owner("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn as_owner(&self, program: &str, args: &[&str]) -> Output {
        run(self.owner_command(program).args(args))
    }

    /// `program` of PostgreSQL's, run as the cluster's owner.
    fn owner_command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        // It may be stopped already.
        let _ = self.owner_command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "stop"]).output();
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"))
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} does not run: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
