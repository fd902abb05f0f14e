//! Files: uploaded to a channel (`/api/upload`), sent with a message,
//! fetched (`/api/files/<org>/<id>`) only by those who may read that
//! message, served so that nothing uploaded can run as Confab, refused
//! clearly past the size limit, leaving nothing when cut off, and their
//! bytes deleted once nothing refers to them, on disk and in an
//! S3-compatible bucket.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::s3::TestS3;
use crate::support::{Api, TestServer, org_with_two_members};

async fn upload(api: &Api, channel: &str, name: &str, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
    api.http
        .post(format!("{}/api/upload", api.base))
        .query(&[("slug", "acme"), ("channel", channel), ("name", name)])
        .header("content-type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("upload sent")
}

async fn uploaded(api: &Api, channel: &str, name: &str, content_type: &str, bytes: Vec<u8>) -> Value {
    let res = upload(api, channel, name, content_type, bytes).await;
    assert_eq!(res.status(), 201, "upload refused: {}", res.text().await.unwrap_or_default());
    res.json().await.expect("the file")
}

async fn fetch(api: &Api, path: &str) -> reqwest::Response {
    api.http.get(format!("{}{path}", api.base)).send().await.expect("fetched")
}

async fn send_files(api: &Api, channel: &str, client_id: &str, body: &str, ids: &[i64]) -> Result<Value, u16> {
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    let keys: Vec<String> = (0..ids.len()).map(|i| format!("files[{i}]")).collect();
    let mut form = vec![("slug", "acme"), ("channel", channel), ("client_id", client_id), ("body", body)];
    form.extend(keys.iter().map(String::as_str).zip(ids.iter().map(String::as_str)));
    api.call("send_message", &form).await.map_err(|e| e.status)
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).expect("a PNG");
    out.into_inner()
}

/// Files whose bytes are kept in a server's folder (not those being received).
fn kept_on_disk(data: &Path) -> usize {
    let Ok(dirs) = std::fs::read_dir(data.join("files")) else { return 0 };
    dirs.flatten()
        .filter(|d| d.file_name() != ".incoming")
        .map(|d| std::fs::read_dir(d.path()).map(|f| f.count()).unwrap_or(0))
        .sum()
}

fn being_received(data: &Path) -> usize {
    std::fs::read_dir(data.join("files").join(".incoming")).map(|f| f.count()).unwrap_or(0)
}

/// Waits for `check` to hold (the bytes of a deleted file go right after).
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within 5 s");
}

#[tokio::test]
async fn a_picture_is_sent_shown_with_its_thumbnail_and_freed_with_its_message() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let picture = png(1200, 800);
    let file = uploaded(&olivia, "general", "../../holiday.png", "image/png", picture.clone()).await;
    assert_eq!((file["name"].as_str(), file["content_type"].as_str()), (Some("holiday.png"), Some("image/png")));
    assert_eq!((file["size"].as_u64(), file["image"].clone()), (Some(picture.len() as u64), json!([1200, 800])));
    assert_eq!(file["thumbnail"], true);
    let id = file["id"].as_i64().unwrap();
    let url = format!("/api/files/acme/{id}");

    // Until it is sent, it is its uploader's alone.
    assert_eq!(fetch(&olivia, &url).await.status(), 200);
    assert_eq!(fetch(&mark, &url).await.status(), 404);

    // A picture alone is a message.
    let sent = send_files(&olivia, "general", "pic-1", "", &[id]).await.unwrap();
    assert_eq!(sent["files"][0]["id"], id);
    assert_eq!(sent["body"], "");
    let history = mark.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    let message = history["messages"].as_array().unwrap().iter().find(|m| m["client_id"] == "pic-1").unwrap().clone();
    assert_eq!(message["files"], json!([file]));

    let res = fetch(&mark, &url).await;
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["content-disposition"], "inline; filename=\"holiday.png\"; filename*=UTF-8''holiday.png");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
    let thumb = fetch(&mark, &format!("{url}/thumbnail")).await;
    assert_eq!((thumb.status().as_u16(), thumb.headers()["content-type"].to_str().unwrap()), (200, "image/jpeg"));
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (480, 320));

    // Its owners see what the organization keeps; members do not.
    let storage = olivia.ok("file_storage", &[("slug", "acme")]).await;
    assert_eq!(storage["max_upload_bytes"], 25 * 1024 * 1024);
    assert!(storage["used_bytes"].as_u64().unwrap() >= picture.len() as u64);
    assert_eq!(mark.err("file_storage", &[("slug", "acme")]).await.status, 403);

    // A retry of the same message returns it; nothing is sent twice.
    let again = send_files(&olivia, "general", "pic-1", "", &[id]).await.unwrap();
    assert_eq!((again["seq"].clone(), again["files"][0]["id"].clone()), (sent["seq"].clone(), json!(id)));
    // Sent once only: naming it in another message is refused.
    assert_eq!(send_files(&olivia, "general", "pic-2", "again", &[id]).await.unwrap_err(), 404);
    // Found by has:file.
    let found = mark.ok("search", &[("slug", "acme"), ("q", "has:file")]).await;
    assert_eq!(found["hits"].as_array().unwrap().len(), 1);

    // The picture and its thumbnail are kept once; deleting the message
    // deletes both files' bytes, and the link answers 404.
    assert_eq!(kept_on_disk(server.data_dir()), 2);
    let seq = sent["seq"].as_i64().unwrap().to_string();
    olivia.ok("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &seq)]).await;
    assert_eq!(fetch(&mark, &url).await.status(), 404);
    eventually("the bytes are deleted", async || kept_on_disk(server.data_dir()) == 0).await;
    let found = mark.ok("search", &[("slug", "acme"), ("q", "has:file")]).await;
    assert_eq!(found["hits"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn the_same_content_is_kept_once_and_deleted_only_when_nothing_refers_to_it() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let report = b"quarterly numbers".to_vec();
    let a = uploaded(&olivia, "general", "report.txt", "text/plain", report.clone()).await["id"].as_i64().unwrap();
    let b = uploaded(&mark, "general", "copy.txt", "text/plain", report.clone()).await["id"].as_i64().unwrap();
    assert_eq!(kept_on_disk(server.data_dir()), 1, "the same bytes are kept once");
    let first = send_files(&olivia, "general", "r-1", "the report", &[a]).await.unwrap();
    let copy = send_files(&mark, "general", "r-2", "same here", &[b]).await.unwrap();
    let c = uploaded(&mark, "general", "third.txt", "text/plain", report.clone()).await["id"].as_i64().unwrap();
    let second = send_files(&mark, "general", "r-3", "one more", &[c]).await.unwrap();
    let delete = async |api: &Api, message: &Value| {
        let seq = message["seq"].as_i64().unwrap().to_string();
        api.ok("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &seq)]).await;
    };
    delete(&olivia, &first).await;
    // The deletion's sweep ran (the next one waits for it): the copies
    // still refer to the bytes.
    delete(&mark, &second).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(kept_on_disk(server.data_dir()), 1);
    let res = fetch(&olivia, &format!("/api/files/acme/{b}")).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), report);
    // The last file with that content goes: so do its bytes.
    delete(&mark, &copy).await;
    eventually("the bytes are deleted", async || kept_on_disk(server.data_dir()) == 0).await;
}

#[tokio::test]
async fn html_and_svg_uploads_are_only_ever_downloads() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let page = b"<html><script>document.title='pwned'</script></html>".to_vec();
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    // Even named and typed as a picture.
    let html = uploaded(&olivia, "general", "page.html", "text/html", page).await;
    let fake = uploaded(&olivia, "general", "cat.png", "image/png", svg.clone()).await;
    let vector = uploaded(&olivia, "general", "logo.svg", "image/svg+xml", svg).await;
    assert_eq!((fake["image"].clone(), fake["thumbnail"].clone()), (Value::Null, Value::Null));
    let ids = [&html, &fake, &vector].map(|f| f["id"].as_i64().unwrap());
    send_files(&olivia, "general", "f-1", "files", &ids).await.unwrap();
    for (id, name) in ids.iter().zip(["page.html", "cat.png", "logo.svg"]) {
        let url = format!("{}/api/files/acme/{id}", mark.base);
        let res = mark.http.get(url).header("accept-encoding", "gzip, br").send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], "application/octet-stream", "{name}");
        assert_eq!(
            h["content-disposition"].to_str().unwrap(),
            format!("attachment; filename=\"{name}\"; filename*=UTF-8''{name}")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
        assert_eq!(h["cross-origin-resource-policy"], "same-origin");
        assert!(h.get("content-encoding").is_none(), "sent as stored");
        // Not a picture: no thumbnail either.
        assert_eq!(fetch(&mark, &format!("/api/files/acme/{id}/thumbnail")).await.status(), 404);
    }
}

#[tokio::test]
async fn over_the_limit_or_cut_off_an_upload_is_refused_and_leaves_nothing() {
    let server = TestServer::start_with(|c| c.max_upload_mib = 1).await;
    let (olivia, _) = org_with_two_members(&server).await;
    let big = vec![7u8; 1024 * 1024 + 1];
    // Said by its length: refused before it is read.
    let res = upload(&olivia, "general", "big.bin", "application/octet-stream", big.clone()).await;
    assert_eq!(res.status(), 413);
    let error: Value = res.json().await.unwrap();
    assert_eq!(error["code"], "too_large");
    assert_eq!(error["message"], "A file may be at most 1 MiB; nothing was kept.");
    // Sent in chunks with no length: refused once it passes the limit.
    let chunks = big.chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>();
    let res = olivia
        .http
        .post(format!("{}/api/upload?slug=acme&channel=general&name=big.bin", olivia.base))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    // Cut off half-way: the client's body fails.
    let parts: Vec<Result<Vec<u8>, std::io::Error>> =
        vec![Ok(vec![1u8; 100_000]), Err(std::io::Error::other("the network went away"))];
    let cut = olivia
        .http
        .post(format!("{}/api/upload?slug=acme&channel=general&name=half.bin", olivia.base))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(parts)))
        .send()
        .await;
    assert!(cut.is_err() || !cut.unwrap().status().is_success());
    eventually("nothing is being received", async || being_received(server.data_dir()) == 0).await;
    assert_eq!(kept_on_disk(server.data_dir()), 0);
    // Nor recorded: the next upload is the first the organization keeps.
    let ok = uploaded(&olivia, "general", "small.txt", "text/plain", b"fits".to_vec()).await;
    assert_eq!(ok["size"], 4);
    assert_eq!(kept_on_disk(server.data_dir()), 1);
    assert_eq!(olivia.ok("file_storage", &[("slug", "acme")]).await["used_bytes"], 4);
}

#[tokio::test]
async fn only_those_who_may_read_the_message_get_its_files() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let board = olivia.ok("create_channel", &[("slug", "acme"), ("name", "board"), ("kind", "private")]).await;
    let board = board["name"].as_str().unwrap().to_owned();
    let board = board.as_str();
    let secret = uploaded(&olivia, board, "plan.txt", "text/plain", b"secret plan".to_vec()).await;
    let id = secret["id"].as_i64().unwrap();
    send_files(&olivia, board, "s-1", "the plan", &[id]).await.unwrap();
    let url = format!("/api/files/acme/{id}");
    assert_eq!(fetch(&olivia, &url).await.status(), 200);
    // Not in the private channel, in another organization, signed out: the
    // same 404 (or 401) as a file that was never there.
    let never = fetch(&mark, "/api/files/acme/999999").await;
    let (status, body) = (never.status(), never.text().await.unwrap());
    let res = fetch(&mark, &url).await;
    assert_eq!((res.status(), res.text().await.unwrap()), (status, body.clone()));
    let stranger = server.client();
    stranger.register("eve").await;
    stranger.ok("create_org", &[("name", "Evil"), ("slug", "evil")]).await;
    assert_eq!(fetch(&stranger, &format!("/api/files/evil/{id}")).await.status(), 404);
    assert_eq!(fetch(&stranger, &url).await.status(), 404);
    assert_eq!(fetch(&server.client(), &url).await.status(), 401);
    // Someone out of the channel while a file was sent does not get it
    // when back (nor anything else said meanwhile).
    olivia.ok("add_to_channel", &[("slug", "acme"), ("channel", board), ("username", "mark")]).await;
    mark.ok("leave_channel", &[("slug", "acme"), ("channel", board)]).await;
    let meanwhile = uploaded(&olivia, board, "meanwhile.txt", "text/plain", b"while away".to_vec()).await;
    let meanwhile = meanwhile["id"].as_i64().unwrap();
    send_files(&olivia, board, "s-2", "while you were out", &[meanwhile]).await.unwrap();
    olivia.ok("add_to_channel", &[("slug", "acme"), ("channel", board), ("username", "mark")]).await;
    assert_eq!(fetch(&mark, &format!("/api/files/acme/{meanwhile}")).await.status(), 404);
    assert_eq!(fetch(&olivia, &format!("/api/files/acme/{meanwhile}")).await.status(), 200);
    mark.ok("leave_channel", &[("slug", "acme"), ("channel", board)]).await;
    // Nobody uploads into a channel they cannot post in, or sends another's upload.
    assert_eq!(upload(&mark, board, "x.txt", "text/plain", b"x".to_vec()).await.status(), 404);
    let marks = uploaded(&mark, "general", "notes.txt", "text/plain", b"notes".to_vec()).await["id"].as_i64().unwrap();
    assert_eq!(send_files(&olivia, "general", "steal", "mine now", &[marks]).await.unwrap_err(), 404);
    // Nor a file uploaded to another channel.
    let elsewhere = uploaded(&olivia, "general", "a.txt", "text/plain", b"a".to_vec()).await["id"].as_i64().unwrap();
    assert_eq!(send_files(&olivia, board, "moved", "here", &[elsewhere]).await.unwrap_err(), 404);
}

#[tokio::test]
async fn an_s3_compatible_bucket_keeps_and_frees_files() {
    let s3 = TestS3::start().await;
    let server = TestServer::start_with(|c| s3.configure(c)).await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let picture = png(900, 900);
    let file = uploaded(&olivia, "general", "square.png", "image/png", picture.clone()).await;
    let id = file["id"].as_i64().unwrap();
    let mut objects = s3.objects().await;
    objects.sort();
    assert_eq!(objects.len(), 2, "the picture and its thumbnail: {objects:?}");
    assert!(objects.iter().all(|o| o.len() == 2 + 1 + 64 && o[3..].starts_with(&o[..2])), "{objects:?}");
    let sent = send_files(&olivia, "general", "s3-1", "from the bucket", &[id]).await.unwrap();
    let res = fetch(&mark, &format!("/api/files/acme/{id}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), picture);
    let seq = sent["seq"].as_i64().unwrap().to_string();
    olivia.ok("delete_message", &[("slug", "acme"), ("channel", "general"), ("seq", &seq)]).await;
    eventually("the objects are deleted", async || s3.objects().await.is_empty()).await;
    assert!(!server.data_dir().join("files").exists(), "nothing is kept on disk with a bucket");
}

#[tokio::test]
async fn messages_sent_at_once_each_get_their_own_files() {
    let server = TestServer::start().await;
    let (olivia, mark) = org_with_two_members(&server).await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let file =
            uploaded(&olivia, "general", &format!("f{i}.txt"), "text/plain", format!("file {i}").into_bytes()).await;
        ids.push(file["id"].as_i64().unwrap());
    }
    // Stored together by group commit (or one by one), each with its own.
    let sends = ids.iter().enumerate().map(|(i, id)| {
        let (api, client_id) = (&olivia, format!("m{i}"));
        async move { send_files(api, "general", &client_id, &format!("message {i}"), &[*id]).await.unwrap() }
    });
    futures::future::join_all(sends).await;
    let history = mark.ok("history", &[("slug", "acme"), ("channel", "general")]).await;
    for (i, id) in ids.iter().enumerate() {
        let m = history["messages"].as_array().unwrap().iter().find(|m| m["client_id"] == format!("m{i}")).unwrap();
        assert_eq!(m["files"].as_array().unwrap().iter().map(|f| f["id"].as_i64().unwrap()).collect::<Vec<_>>(), [*id]);
    }
}
