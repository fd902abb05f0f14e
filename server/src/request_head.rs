//! A live connection's request head, copied out of the connection's read
//! buffer.
//!
//! hyper parses a request's URI and header values as slices of the buffer it
//! read them into (8 KiB or more), so whoever keeps one keeps the whole
//! buffer. socketioxide keeps the head of every connection for as long as it
//! lives (`Socket::req_parts`), which made the read buffer half of an idle
//! connection's memory. Copied, the head costs its own few hundred bytes
//! and the buffer is freed once the WebSocket starts reading.

use axum::extract::{OriginalUri, Request};
use http::{HeaderMap, HeaderValue, Uri};

/// Whether `path` is Socket.IO's (whose requests' heads live on).
pub(crate) fn is_live_path(path: &str) -> bool {
    path.starts_with("/socket.io/")
}

/// `request` with its URI and header values in allocations of their own.
pub(crate) fn detach(mut request: Request) -> Request {
    let mut headers = HeaderMap::with_capacity(request.headers().len());
    for (name, value) in request.headers() {
        // A value that was valid stays valid as a copy of its bytes.
        let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) else { return request };
        copy.set_sensitive(value.is_sensitive());
        headers.append(name.clone(), copy);
    }
    *request.headers_mut() = headers;
    if let Ok(uri) = request.uri().to_string().parse::<Uri>() {
        // axum's router keeps the URI it was given too.
        if let Some(OriginalUri(original)) = request.extensions_mut().get_mut::<OriginalUri>() {
            *original = uri.clone();
        }
        *request.uri_mut() = uri;
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    #[test]
    fn the_copied_head_shares_nothing_with_the_read_buffer() {
        let buffer = Bytes::from_static(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\ncookie: a=b\r\n");
        let value = HeaderValue::from_maybe_shared(buffer.slice(60..63)).unwrap();
        let mut request = Request::new(axum::body::Body::empty());
        request.headers_mut().append("cookie", value.clone());
        request.headers_mut().append("x-two", HeaderValue::from_static("1"));
        request.headers_mut().append("x-two", HeaderValue::from_static("2"));
        *request.uri_mut() = Uri::from_maybe_shared(buffer.slice(4..41)).unwrap();
        let original = OriginalUri(request.uri().clone());
        request.extensions_mut().insert(original);
        let within = |p: *const u8| buffer.as_ptr_range().contains(&p);
        assert!(within(request.headers()["cookie"].as_bytes().as_ptr()), "as hyper parses it");
        let request = detach(request);

        assert_eq!(request.uri(), "/socket.io/?EIO=4&transport=websocket");
        assert_eq!(request.headers()["cookie"], "a=b");
        assert_eq!(request.headers().get_all("x-two").iter().collect::<Vec<_>>(), ["1", "2"]);
        assert!(!within(request.headers()["cookie"].as_bytes().as_ptr()), "the value is a copy");
        assert!(!within(request.uri().path().as_ptr()), "the URI is a copy");
        let OriginalUri(original) = request.extensions().get::<OriginalUri>().unwrap();
        assert_eq!(original, request.uri());
        assert!(!within(original.path().as_ptr()), "the router's copy of the URI is a copy too");
    }
}
