//! Confab's server: an axum application serving the Leptos app, its server
//! functions and the Socket.IO live stream on one port.
//!
//! The use cases, the store and the access rules are the service core
//! (`confab_core`, in `server/core`); this crate puts them on the network.
//!
//! - [`config`]: flags and environment variables, with defaults for everything.
//! - [`site`]: the hosts and origins this site answers to; [`request_guard`]:
//!   refusing other hosts, cross-site changes and oversized bodies;
//!   [`request_head`]: a live connection's head copied out of the read buffer.
//! - [`listener`], [`client_addr`]: connections per client address, and who
//!   a request comes from.
//! - [`realtime`]: the live side over Socket.IO: admission, joining and
//!   resuming, the other client events, delivery in `seq` order, closing
//!   sockets whose access ended, presence.
//! - [`http`]: the router and its layers; [`error_status`]: a server
//!   function's failure answered with its error's own status.
//! - [`shutdown`], [`telemetry`]: signals and logs.

#![recursion_limit = "256"]

mod client_addr;
mod cluster;
pub mod config;
mod error_status;
mod files_http;
mod http;
mod listener;
mod proxy_protocol;
pub mod realtime;
mod request_guard;
mod request_head;
mod shutdown;
mod site;
pub mod telemetry;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::serve::Listener;
use confab_core::Service;
use confab_core::blobs::{Blobs, BucketSettings};
use confab_core::push::PushSettings;
use confab_core::{Store, StoreError};
use leptos::prelude::LeptosOptions;
use tokio::net::TcpListener;

use crate::client_addr::ClientAddr;
use crate::cluster::{Cluster, ClusterFeed};
use crate::config::Config;
use crate::listener::LimitedListener;
use crate::proxy_protocol::TrustedProxies;
use crate::site::Site;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot create the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("bad setting: {0}")]
    Config(#[from] site::BadPublicUrl),
    #[error("bad setting: {0}")]
    Setting(String),
    #[error("cannot open the database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot open the file store: {0}")]
    Files(#[from] confab_core::blobs::BlobError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server error: {0}")]
    Serve(#[source] std::io::Error),
}

/// A running server, for tests: its address and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), ServerError>>,
}

impl Running {
    /// Stops it gracefully and waits until it has.
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.stop.send(());
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Runs until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServerError> {
    let (listener, service, site, options, cluster) = prepare(&config).await?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    tracing::info!("Confab is listening on http://{addr}");
    if config.public_url.is_none() && !addr.ip().is_loopback() {
        tracing::info!("no --public-url set: only requests to IP addresses and localhost are answered");
    }
    serve(listener, service, site, options, cluster, &config, shutdown::signal()).await
}

/// Starts a server in the background (tests): returns once it accepts connections.
pub async fn start(config: Config) -> Result<Running, ServerError> {
    let (listener, service, site, options, cluster) = prepare(&config).await?;
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(listener, service, site, options, cluster, &config, async {
            let _ = stopped.await;
        })
        .await
    });
    Ok(Running { addr, stop, task })
}

/// The other servers of a cluster, if any.
type ClusterLink = Option<Cluster>;

/// Where uploaded files are kept: the bucket if one is named, else a folder.
fn file_store(config: &Config) -> Result<Blobs, ServerError> {
    if config.redis_url.is_some() && config.s3_bucket.is_none() && config.files_dir.is_none() {
        tracing::warn!(
            folder = %config.files_dir().display(),
            "files are kept in this server's own data folder: with several servers, give them all one \
             --s3-bucket, or one --files-dir they share, or a file uploaded through one is missing on the others"
        );
    }
    Ok(match &config.s3_bucket {
        Some(bucket) => {
            let settings = BucketSettings {
                bucket: bucket.clone(),
                endpoint: config.s3_endpoint.clone(),
                region: config.s3_region.clone(),
                access_key_id: config.s3_access_key_id.clone(),
                secret_access_key: config.s3_secret_access_key.clone(),
            };
            Blobs::in_bucket(&settings, config.data_dir.join("incoming"))?
        }
        None => Blobs::in_folder(config.files_dir())?,
    })
}

async fn prepare(
    config: &Config,
) -> Result<(LimitedListener, Service, Arc<Site>, LeptosOptions, ClusterLink), ServerError> {
    let site = Arc::new(Site::new(config.public_url.as_deref(), &config.allowed_origins, config.secure_cookies)?);
    let cluster = match &config.redis_url {
        None => None,
        Some(_) if !config.database_url().starts_with("postgres") => {
            return Err(ServerError::Setting(
                "--redis-url makes several servers one service, which needs them to share a PostgreSQL database \
                 (--database-url postgres://…): an SQLite database is served by one process"
                    .into(),
            ));
        }
        Some(url) => {
            Some(ClusterFeed::connect(url, config.cluster_buffer).map_err(|e| ServerError::Setting(e.to_string()))?)
        }
    };
    if config.database_url.is_none() {
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|source| ServerError::DataDir { path: config.data_dir.display().to_string(), source })?;
    }
    let store = Store::connect(&config.database_url()).await?;
    let mut service = Service::new(store, config.messages_per_second)
        .with_search_rate(config.searches_per_second)
        .with_files(file_store(config)?, config.max_upload_mib.saturating_mul(1024 * 1024));
    if let Some(cluster) = &cluster {
        service = service.with_shared_limits(cluster.feed.limits(config.messages_per_second));
    }
    let contact = match (&config.push_contact, &config.public_url) {
        (Some(contact), _) => contact.clone(),
        (None, Some(url)) if url.starts_with("https://") => url.clone(),
        _ => "mailto:admin@localhost".to_owned(),
    };
    let push = PushSettings { services: config.push_services.clone(), allow_http: config.push_allow_http, contact };
    service.enable_push(push).await.map_err(|e| ServerError::Setting(format!("push notifications: {e}")))?;
    let listener =
        TcpListener::bind(config.addr).await.map_err(|source| ServerError::Bind { addr: config.addr, source })?;
    let write_timeout = (config.write_timeout_secs > 0).then(|| Duration::from_secs(config.write_timeout_secs));
    let trusted = TrustedProxies::parse(&config.trusted_proxies).map_err(|e| ServerError::Setting(e.to_string()))?;
    let listener = LimitedListener::new(listener, config.max_connections_per_address, write_timeout).behind(trusted);
    let addr = listener.local_addr().map_err(ServerError::Serve)?;
    let options = LeptosOptions::builder()
        .output_name("confab")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .hash_files(built_with_hashed_names())
        .build();
    Ok((listener, service, site, options, cluster))
}

/// Whether cargo-leptos built the site with hashed file names: it then writes
/// their hashes to `hash.txt` beside the server binary.
fn built_with_hashed_names() -> bool {
    std::env::current_exe().is_ok_and(|exe| exe.with_file_name("hash.txt").exists())
}

/// How long a stop waits for live events in flight to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a stop then waits for HTTP requests in flight to finish.
const HTTP_DRAIN: Duration = Duration::from_secs(10);
/// How long a stop then waits for the database's connections to be given back.
const DATABASE_DRAIN: Duration = Duration::from_secs(5);

async fn serve(
    listener: LimitedListener,
    service: Service,
    site: Arc<Site>,
    leptos_options: LeptosOptions,
    cluster: ClusterLink,
    config: &Config,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let settings = realtime::LiveSettings {
        max_sockets_per_user: config.max_sockets_per_user,
        socket_queue: config.socket_queue,
        presence_grace: Duration::from_millis(config.presence_grace_ms),
        cut_off_linger: Duration::from_millis(config.cut_off_linger_ms),
        cluster_sweep: Duration::from_millis(config.cluster_sweep_ms.max(10)),
    };
    let (socket_layer, live) = realtime::start(service.clone(), site.clone(), settings, cluster);
    let sweeper = tokio::spawn({
        let (service, every) = (service.clone(), Duration::from_secs(config.session_sweep_secs.max(1)));
        async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                service.sweep().await;
            }
        }
    });
    let app = http::router(http::HttpState { leptos_options, service: service.clone() }, site, socket_layer);
    let (draining_tx, draining) = tokio::sync::oneshot::channel::<()>();
    let pause = listener.read_pause();
    let shutdown = async move {
        stop.await;
        sweeper.abort();
        // Answer the live events in flight, refuse new ones, stop reading
        // the live connections and answer what was read, then tell every
        // live client the server is going away and close it; axum then
        // finishes the HTTP requests in flight, and the database closes last.
        live.shut_down(SHUTDOWN_GRACE, pause).await;
        let _ = draining_tx.send(());
    };
    let serving = axum::serve(listener, app.into_make_service_with_connect_info::<ClientAddr>())
        .with_graceful_shutdown(shutdown)
        .into_future();
    // HTTP requests in flight get a while to finish; a connection that stays
    // open longer does not keep the process from stopping.
    let drain_limit = async {
        if draining.await.is_ok() {
            tokio::time::sleep(HTTP_DRAIN).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        served = serving => served.map_err(ServerError::Serve),
        () = drain_limit => {
            tracing::warn!("HTTP connections still open {HTTP_DRAIN:?} after the stop; closing anyway");
            Ok(())
        }
    };
    if tokio::time::timeout(DATABASE_DRAIN, service.close()).await.is_err() {
        tracing::warn!("database connections still in use {DATABASE_DRAIN:?} after the stop; closing anyway");
    }
    tracing::info!("Confab stopped");
    result
}
