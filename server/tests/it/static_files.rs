//! The site's built files under `/pkg`: sent as compressed at build time when
//! the browser accepts that encoding, never compressed a second time.

use crate::support::TestServer;

/// A site folder as `cargo leptos build --precompress` leaves it: each file
/// with a `.br` and a `.gz` beside it (here with contents that tell them apart).
fn built_site() -> tempfile::TempDir {
    let site = tempfile::tempdir().expect("temp dir");
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    std::fs::write(pkg.join("confab.wasm"), b"\0asm plain bytes of the module").expect("write");
    std::fs::write(pkg.join("confab.wasm.br"), b"brotli bytes").expect("write");
    std::fs::write(pkg.join("confab.wasm.gz"), b"gzip bytes").expect("write");
    site
}

async fn fetch(server: &TestServer, accept: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(server.url("/pkg/confab.wasm"));
    if let Some(accept) = accept {
        request = request.header("accept-encoding", accept);
    }
    request.send().await.expect("request")
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().expect("ascii header").to_owned())
}

#[tokio::test]
async fn built_files_are_sent_as_compressed_at_build_time() {
    let site = built_site();
    let root = site.path().display().to_string();
    let server = TestServer::start_with(|c| c.site_root = root).await;

    for (accept, encoding, body) in [
        (Some("gzip, deflate, br"), Some("br"), &b"brotli bytes"[..]),
        (Some("gzip, deflate"), Some("gzip"), &b"gzip bytes"[..]),
        (None, None, &b"\0asm plain bytes of the module"[..]),
    ] {
        let response = fetch(&server, accept).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        assert_eq!(header(&response, "content-encoding").as_deref(), encoding, "{accept:?}");
        assert_eq!(header(&response, "content-type").as_deref(), Some("application/wasm"), "{accept:?}");
        // Not built with hashed names (no hash.txt beside the test binary):
        // browsers must check again.
        assert_eq!(header(&response, "cache-control").as_deref(), Some("no-cache"), "{accept:?}");
        assert_eq!(response.bytes().await.expect("body").as_ref(), body, "{accept:?}");
    }

    let missing = reqwest::get(server.url("/pkg/nothing.wasm")).await.expect("request");
    assert_eq!(missing.status(), 404);
    server.stop().await;
}
