//! A throwaway S3-compatible server for the file store's tests: moto's
//! server (`moto_server`, from PyPI, installed by `scripts/setup.sh --test`),
//! a real implementation of the S3 API, on a free port on 127.0.0.1, with
//! one empty bucket; killed when dropped.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

pub(crate) const BUCKET: &str = "confab-files";

pub(crate) struct TestS3 {
    pub(crate) endpoint: String,
    _child: Child,
    http: reqwest::Client,
}

impl TestS3 {
    pub(crate) async fn start() -> TestS3 {
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &addr.port().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("moto_server does not start ({e}): run scripts/setup.sh --test"));
        let s3 = TestS3 { endpoint: format!("http://{addr}"), _child: child, http: reqwest::Client::new() };
        for _ in 0..400 {
            if s3.http.put(format!("{}/{BUCKET}", s3.endpoint)).send().await.is_ok_and(|r| r.status().is_success()) {
                return s3;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not answer on {addr} within 20 s");
    }

    /// Has a server keep its files in the bucket.
    pub(crate) fn configure(&self, config: &mut server::config::Config) {
        config.s3_bucket = Some(BUCKET.into());
        config.s3_endpoint = Some(self.endpoint.clone());
        config.s3_region = Some("us-east-1".into());
        config.s3_access_key_id = Some("test".into());
        config.s3_secret_access_key = Some("test".into());
    }

    /// The names of the objects in the bucket.
    pub(crate) async fn objects(&self) -> Vec<String> {
        let listing = self.http.get(format!("{}/{BUCKET}?list-type=2", self.endpoint)).send().await.expect("list");
        let xml = listing.text().await.expect("a listing");
        xml.split("<Key>").skip(1).filter_map(|k| k.split_once("</Key>").map(|(key, _)| key.to_owned())).collect()
    }
}
