//! SQLite is served by one process: a second `confab` started on the same
//! data folder refuses to start, says which process serves it, and touches
//! nothing; once the first has stopped, it starts. Several servers as one
//! (`--redis-url`) need PostgreSQL, and are refused on SQLite.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::support::TestServer;
use tokio::process::Command;

/// The data folder of a server on SQLite (`None` on PostgreSQL, where
/// several processes serving one database is the cluster).
fn data_folder(server: &TestServer) -> Option<PathBuf> {
    let path = server.database_url().strip_prefix("sqlite://")?;
    let path = path.split('?').next().unwrap_or(path);
    Some(PathBuf::from(path).parent().expect("the database is in a folder").to_owned())
}

/// The binary on `data`, on any free port.
fn second_process(data: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("CONFAB_ADDR", "127.0.0.1:0")
        .env("CONFAB_DATA_DIR", data)
        .env_remove("CONFAB_DATABASE_URL")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn a_second_process_on_the_same_sqlite_data_refuses_to_start() {
    let server = TestServer::start().await;
    let Some(data) = data_folder(&server) else { return };
    let owner = server.client();
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;

    let refused = tokio::time::timeout(Duration::from_secs(20), second_process(&data).output())
        .await
        .expect("the second process ends at once")
        .expect("it runs");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a second process must not start: {said}");
    let pid = std::process::id();
    assert!(
        said.contains(&format!("another Confab process (process {pid}) is serving the SQLite database"))
            && said.contains("stop that one first"),
        "the refusal says who serves it and what to do: {said}"
    );

    // The first goes on, untouched.
    owner
        .ok("send_message", &[("slug", "acme"), ("channel", "general"), ("client_id", "m1"), ("body", "still here")])
        .await;

    // Stopped, it lets go: the binary now starts on the same data.
    let _kept = server.stop_keeping_data().await;
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut next = second_process(&data).env("CONFAB_ADDR", addr.to_string()).spawn().expect("it runs");
    let base = format!("http://{addr}");
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        assert!(next.try_wait().unwrap().is_none(), "once the first has stopped, the second starts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the second process answers within 10 s");
    let history = crate::support::Api::new(base, None);
    history.ok("login", &[("username", "olivia"), ("password", crate::support::PASSWORD)]).await;
    let page = history.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    assert!(page.to_string().contains("still here"), "it serves the same data: {page}");
    next.kill().await.expect("stopped");
}

#[tokio::test]
async fn a_cluster_on_sqlite_is_refused_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let mut config = server::config::Config::for_tests(data.path());
    config.redis_url = Some("redis://127.0.0.1:1".into());
    let Err(refused) = server::start(config).await else { panic!("a cluster on SQLite must not start") };
    let said = refused.to_string();
    assert!(said.contains("--redis-url") && said.contains("PostgreSQL"), "{said}");
}
