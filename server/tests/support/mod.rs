//! What the integration tests share: a real server on an ephemeral port, an
//! HTTP client for the server functions, and a Socket.IO client over a real
//! WebSocket.

#![allow(dead_code)]

pub(crate) mod cluster;
pub(crate) mod load;
pub(crate) mod postgres;
pub(crate) mod push_service;
pub(crate) mod redis;
pub(crate) mod s3;
pub(crate) mod sio;

use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use serde_json::Value;

/// This process's resident memory, in MiB (Linux): the memory tests run
/// in test binaries of their own, so it is the server's and its clients'.
pub(crate) fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status");
    kib / 1024.0
}

/// The password every test account is registered with.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// A server with its own empty database, stopped when dropped.
pub(crate) struct TestServer {
    pub addr: std::net::SocketAddr,
    running: Option<server::Running>,
    database_url: String,
    _data: tempfile::TempDir,
}

/// A new, empty database for one test server: SQLite in `data` (the default),
/// or a database of its own on the PostgreSQL server that
/// `CONFAB_TEST_POSTGRES` names (`make test` runs the suite a second time
/// that way, with `scripts/with-postgres.sh`).
pub(crate) async fn fresh_database_url(data: &std::path::Path) -> String {
    let Ok(admin) = std::env::var("CONFAB_TEST_POSTGRES") else {
        return format!("sqlite://{}?mode=rwc", data.join("confab.db").display());
    };
    use sqlx::{Connection, Executor};
    let name = format!("confab_test_{:016x}", rand::random::<u64>());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the test PostgreSQL server at {admin}: {e}"));
    conn.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create a test database");
    let (server, _) = admin.rsplit_once('/').expect("a URL ending in /<database>");
    format!("{server}/{name}")
}

impl TestServer {
    pub(crate) async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server with some settings changed from the defaults.
    pub(crate) async fn start_with(configure: impl FnOnce(&mut server::config::Config)) -> TestServer {
        server::telemetry::init(&std::env::var("CONFAB_TEST_LOG").unwrap_or_else(|_| "warn".into()));
        let data = tempfile::tempdir().expect("temp dir");
        let mut config = server::config::Config::for_tests(data.path());
        config.database_url = Some(fresh_database_url(data.path()).await);
        configure(&mut config);
        let database_url = config.database_url();
        let running = server::start(config).await.expect("server starts");
        TestServer { addr: running.addr, running: Some(running), database_url, _data: data }
    }

    /// The server's data folder.
    pub(crate) fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// The URL of the server's database.
    pub(crate) fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Runs SQL on the server's database behind its back, as an operator (or
    /// the passing of time) would.
    pub(crate) async fn sql(&self, statement: &str) {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.expect("open the test database");
        sqlx::query(statement).execute(&pool).await.expect("statement runs");
        pool.close().await;
    }

    /// A number the server's database answers `query` with, read behind its back.
    pub(crate) async fn number(&self, query: &str) -> i64 {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.database_url).await.expect("open the test database");
        let n: i64 = sqlx::query_scalar(query).fetch_one(&pool).await.expect("query runs");
        pool.close().await;
        n
    }

    /// Stores `kind` as channel `name`'s kind past the schema's check, as a
    /// newer version of Confab with a kind this one does not know would.
    pub(crate) async fn store_channel_kind(&self, name: &str, kind: &str) {
        let update = format!("UPDATE channels SET kind = '{kind}' WHERE name = '{name}'");
        if self.database_url.starts_with("sqlite:") {
            // One connection for both: the pragma holds for its connection only.
            self.sql(&format!("PRAGMA ignore_check_constraints = ON; {update}")).await;
        } else {
            self.sql("ALTER TABLE channels DROP CONSTRAINT channels_kind_check").await;
            self.sql(&update).await;
        }
    }

    /// A new person whose requests come from `ip` (any 127.0.0.0/8 address).
    pub(crate) fn client_from(&self, ip: std::net::IpAddr) -> Api {
        self.build_client(Some(ip))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new person with their own cookie jar.
    pub(crate) fn client(&self) -> Api {
        self.build_client(None)
    }

    fn build_client(&self, local: Option<std::net::IpAddr>) -> Api {
        Api::new(self.url(""), local)
    }

    pub(crate) async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops it and hands over its data folder, for another to serve.
    pub(crate) async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            let stopped = tokio::time::timeout(Duration::from_secs(30), r.stop()).await;
            stopped.expect("the server stops within 30 s").expect("clean stop");
        }
        self._data
    }
}

/// A failed server-function call: the HTTP status and the error body.
#[derive(Debug)]
pub(crate) struct CallError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// One person's HTTP session.
pub(crate) struct Api {
    pub http: reqwest::Client,
    jar: Arc<Jar>,
    pub base: String,
}

impl Api {
    /// A new person talking to the server at `base` (`http://host:port`).
    pub(crate) fn new(base: String, local: Option<std::net::IpAddr>) -> Api {
        let jar = Arc::new(Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .local_address(local)
            .build()
            .expect("http client");
        Api { http, jar, base }
    }

    /// The same person (the same cookies) talking to another server.
    pub(crate) fn at(&self, base: String) -> Api {
        Api { http: self.http.clone(), jar: self.jar.clone(), base }
    }

    /// Calls `/api/<name>` with form fields, as a script would.
    pub(crate) async fn call(&self, name: &str, form: &[(&str, &str)]) -> Result<Value, CallError> {
        let res = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(CallError {
                status,
                code: body["code"].as_str().unwrap_or_default().to_owned(),
                message: body["message"].as_str().unwrap_or_default().to_owned(),
            })
        }
    }

    /// Like [`Api::call`], for calls that must succeed.
    pub(crate) async fn ok(&self, name: &str, form: &[(&str, &str)]) -> Value {
        match self.call(name, form).await {
            Ok(v) => v,
            Err(e) => panic!("/api/{name} failed: {e:?}"),
        }
    }

    /// Like [`Api::call`], for calls that must fail; returns the error code.
    pub(crate) async fn err(&self, name: &str, form: &[(&str, &str)]) -> CallError {
        match self.call(name, form).await {
            Ok(v) => panic!("/api/{name} should have failed, returned {v}"),
            Err(e) => e,
        }
    }

    /// The `Cookie` header this person's browser would send.
    pub(crate) fn cookie_header(&self) -> String {
        let url = self.base.parse().expect("url");
        self.jar.cookies(&url).map(|h| h.to_str().unwrap_or_default().to_owned()).unwrap_or_default()
    }

    pub(crate) async fn register(&self, username: &str) -> Value {
        self.ok("register", &[("username", username), ("password", PASSWORD)]).await
    }

    /// Posts form fields to `/api/<name>` with extra headers; the raw response.
    pub(crate) async fn post_with(
        &self,
        name: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.http.post(format!("{}/api/{name}", self.base)).form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("request sent")
    }
}

/// Two people: `owner` made org `acme` (with `#general`), `member` joined it by invite.
pub(crate) async fn org_with_two_members(server: &TestServer) -> (Api, Api) {
    let owner = server.client();
    owner.register("olivia").await;
    owner.ok("create_org", &[("name", "Acme"), ("slug", "acme")]).await;
    let invite = owner.ok("create_invite", &[("slug", "acme")]).await;
    let member = server.client();
    member.register("mark").await;
    member.ok("accept_invite", &[("token", invite["token"].as_str().unwrap())]).await;
    (owner, member)
}

/// The id of channel `name` in org `slug`, as `api` sees it.
pub(crate) async fn channel_id(api: &Api, slug: &str, name: &str) -> i64 {
    let channels = api.ok("list_channels", &[("slug", slug)]).await;
    channels.as_array().unwrap().iter().find(|c| c["name"] == name).expect("channel exists")["id"].as_i64().unwrap()
}
