//! Settings: command-line flags, each with an environment-variable fallback and
//! a safe default, so the server starts with none at all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Confab: a self-hostable organization chat.
#[derive(Clone, Debug, Parser)]
#[command(name = "confab", version, about)]
pub struct Config {
    /// Address to listen on (use port 0 for any free port).
    #[arg(long, env = "CONFAB_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Folder for the embedded database (created if missing).
    #[arg(long, env = "CONFAB_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL (`sqlite://...` or `postgres://...`); default: SQLite in the data folder.
    #[arg(long, env = "CONFAB_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Redis URL (`redis://host:port`): with a PostgreSQL `--database-url`,
    /// any number of servers started with the same two are one service.
    #[arg(long, env = "CONFAB_REDIS_URL")]
    pub redis_url: Option<String>,

    /// Messages from the other servers of a cluster that may wait to be
    /// delivered here; past that, they are read from the database instead.
    #[arg(long, env = "CONFAB_CLUSTER_BUFFER", default_value_t = 8192)]
    pub cluster_buffer: usize,

    /// Milliseconds between a cluster's server checking every channel it
    /// delivers against the database (for events whose word never came).
    #[arg(long, env = "CONFAB_CLUSTER_SWEEP_MS", default_value_t = 1000)]
    pub cluster_sweep_ms: u64,

    /// Folder with the built site (the wasm bundle, CSS); set by cargo-leptos.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,

    /// The address people reach Confab at (e.g. `https://chat.example.com`).
    /// Requests naming any other host are refused; `https` makes the session
    /// cookie `Secure` and `__Host-`. Default: this machine's own addresses
    /// (`localhost` and IP addresses) only.
    #[arg(long, env = "CONFAB_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Other origins (web pages) allowed to make changes and open live
    /// connections, comma separated (e.g. `https://app.example.com`).
    #[arg(long, env = "CONFAB_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Mark cookies `Secure` even without an `https` public URL (behind a
    /// proxy that terminates TLS).
    #[arg(long, env = "CONFAB_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,

    /// Live connections one user may hold at once (tabs, devices, bots).
    #[arg(long, env = "CONFAB_MAX_SOCKETS_PER_USER", default_value_t = 20)]
    pub max_sockets_per_user: usize,

    /// Messages one user may send per second (twice as many in a burst).
    #[arg(long, env = "CONFAB_MESSAGES_PER_SECOND", default_value_t = 10)]
    pub messages_per_second: u32,

    /// Searches one user may make per second (twice as many at once).
    #[arg(long, env = "CONFAB_SEARCHES_PER_SECOND", default_value_t = confab_core::service::SEARCHES_PER_SECOND)]
    pub searches_per_second: u32,

    /// Packets that may wait for one live connection. A connection that falls
    /// further behind (it stopped reading) is told so and closed, and catches
    /// up from its last `seq` when it reconnects.
    #[arg(long, env = "CONFAB_SOCKET_QUEUE", default_value_t = 256)]
    pub socket_queue: usize,

    /// Seconds a connection's writes may make no progress (the client stopped
    /// reading) before it is closed; a closed live connection catches up from
    /// its last `seq` when it reconnects (0: wait forever).
    #[arg(long, env = "CONFAB_WRITE_TIMEOUT_SECS", default_value_t = 10)]
    pub write_timeout_secs: u64,

    /// Milliseconds a live connection cut off for falling behind is kept
    /// after its notice was queued, for the client to read it and reconnect
    /// (Confab's own does so at once); then the server closes it.
    #[arg(long, env = "CONFAB_CUT_OFF_LINGER_MS", default_value_t = 10_000)]
    pub cut_off_linger_ms: u64,

    /// Milliseconds someone still shows as online after their last live
    /// connection closed, so a reload does not flicker.
    #[arg(long, env = "CONFAB_PRESENCE_GRACE_MS", default_value_t = 5000)]
    pub presence_grace_ms: u64,

    /// Open TCP connections allowed from one client address (0: no limit).
    /// Behind a reverse proxy every client has the proxy's address: raise it.
    #[arg(long, env = "CONFAB_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 100)]
    pub max_connections_per_address: usize,

    /// How often expired sessions are removed and their live connections
    /// closed, in seconds.
    #[arg(long, env = "CONFAB_SESSION_SWEEP_SECS", default_value_t = 30)]
    pub session_sweep_secs: u64,

    /// Load balancers (addresses or networks, comma separated, e.g.
    /// `127.0.0.1`) whose connections may begin with a PROXY protocol header
    /// (HAProxy's `send-proxy-v2`) naming the client: its address is then the
    /// one limits and the audit log see. Nobody else's header is believed.
    #[arg(long, env = "CONFAB_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Folder for uploaded files (by content hash); default: `files` in the
    /// data folder. Unused with `--s3-bucket`.
    #[arg(long, env = "CONFAB_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// Keep uploaded files in this S3-compatible bucket instead of a folder.
    #[arg(long, env = "CONFAB_S3_BUCKET")]
    pub s3_bucket: Option<String>,

    /// The bucket's server, if not AWS (e.g. `http://127.0.0.1:9000`).
    #[arg(long, env = "CONFAB_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// The bucket's region (default: `AWS_REGION`, or `us-east-1`).
    #[arg(long, env = "CONFAB_S3_REGION")]
    pub s3_region: Option<String>,

    /// The bucket's access key (the standard AWS variable).
    #[arg(long, env = "AWS_ACCESS_KEY_ID", hide_env_values = true)]
    pub s3_access_key_id: Option<String>,

    /// The bucket's secret key (the standard AWS variable).
    #[arg(long, env = "AWS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub s3_secret_access_key: Option<String>,

    /// Push services (host names, or their ends) that people's browsers may
    /// subscribe through, comma separated; the server posts pushes there only.
    #[arg(long, env = "CONFAB_PUSH_SERVICES", value_delimiter = ',',
          default_values_t = confab_core::push::KNOWN_PUSH_SERVICES.map(String::from))]
    pub push_services: Vec<String>,

    /// Who push services may contact about this server's pushes
    /// (`mailto:you@example.com` or an `https://` address; Apple's refuses
    /// `localhost`). Default: the `https` public URL, else
    /// `mailto:admin@localhost`.
    #[arg(long, env = "CONFAB_PUSH_CONTACT")]
    pub push_contact: Option<String>,

    /// Push services over plain HTTP too (for tests on loopback only).
    #[arg(long, env = "CONFAB_PUSH_ALLOW_HTTP", default_value_t = false, hide = true)]
    pub push_allow_http: bool,

    /// Largest file one may upload, in MiB.
    #[arg(long, env = "CONFAB_MAX_UPLOAD_MIB", default_value_t = 25)]
    pub max_upload_mib: u64,

    /// Log filter, in `tracing` syntax.
    #[arg(long, env = "RUST_LOG", default_value = "info,sqlx=warn")]
    pub log: String,
}

impl Config {
    /// A configuration with every default, for tests: any free port, data in `data_dir`.
    pub fn for_tests(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            addr: "127.0.0.1:0".parse().expect("valid address"),
            data_dir: data_dir.into(),
            database_url: None,
            redis_url: None,
            cluster_buffer: 8192,
            cluster_sweep_ms: 1000,
            site_root: "target/site".into(),
            public_url: None,
            allowed_origins: Vec::new(),
            secure_cookies: false,
            max_sockets_per_user: 20,
            messages_per_second: 10,
            searches_per_second: confab_core::service::SEARCHES_PER_SECOND,
            socket_queue: 256,
            write_timeout_secs: 10,
            presence_grace_ms: 5000,
            cut_off_linger_ms: 10_000,
            max_connections_per_address: 100,
            session_sweep_secs: 30,
            trusted_proxies: Vec::new(),
            files_dir: None,
            s3_bucket: None,
            s3_endpoint: None,
            s3_region: None,
            s3_access_key_id: None,
            s3_secret_access_key: None,
            max_upload_mib: 25,
            push_services: confab_core::push::KNOWN_PUSH_SERVICES.map(String::from).to_vec(),
            push_allow_http: false,
            push_contact: None,
            log: "warn".into(),
        }
    }

    /// The folder uploaded files are kept in (without a bucket).
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir.clone().unwrap_or_else(|| self.data_dir.join("files"))
    }

    /// The database URL to use: the flag, or SQLite in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("confab.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_with_no_flags() {
        let c = Config::try_parse_from(["confab"]).unwrap();
        assert_eq!(c.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(c.database_url(), "sqlite://data/confab.db?mode=rwc");
    }

    #[test]
    fn flags_override() {
        let c =
            Config::try_parse_from(["confab", "--addr", "0.0.0.0:8080", "--database-url", "postgres://x/y"]).unwrap();
        assert_eq!(c.addr.port(), 8080);
        assert_eq!(c.database_url(), "postgres://x/y");
    }
}
