//! Who this site is: the host names it answers to and the origins whose pages
//! may act on it (post forms, call server functions, open live connections).
//! The request guard and the Socket.IO middleware both ask here.

/// The public URL given in the settings is not an `http(s)://host[:port]` address.
#[derive(Debug, thiserror::Error)]
#[error("the public URL {0:?} is not of the form http(s)://host[:port]")]
pub struct BadPublicUrl(String);

/// This site's identity; cheap to share behind an `Arc`.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    /// `scheme://host[:port]` of the configured public URL, lower case.
    public_origin: Option<String>,
    /// `host[:port]` of the configured public URL, lower case.
    public_host: Option<String>,
    /// Other origins the operator allowed, lower case, without a trailing `/`.
    allowed_origins: Vec<String>,
    /// Whether the site is served over HTTPS (cookies get `Secure`, `__Host-`).
    https: bool,
}

impl Site {
    pub(crate) fn new(
        public_url: Option<&str>,
        allowed_origins: &[String],
        secure_cookies: bool,
    ) -> Result<Site, BadPublicUrl> {
        let (public_origin, public_host, https) = match public_url {
            None => (None, None, secure_cookies),
            Some(url) => {
                let uri: http::Uri = url.parse().map_err(|_| BadPublicUrl(url.to_owned()))?;
                let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
                let (Some(scheme @ ("http" | "https")), Some(authority)) = (scheme.as_deref(), uri.authority()) else {
                    return Err(BadPublicUrl(url.to_owned()));
                };
                let host = authority.as_str().to_ascii_lowercase();
                if host.contains('@') {
                    return Err(BadPublicUrl(url.to_owned()));
                }
                (Some(format!("{scheme}://{host}")), Some(host), scheme == "https" || secure_cookies)
            }
        };
        let allowed_origins =
            allowed_origins.iter().map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase()).collect();
        Ok(Site { public_origin, public_host, allowed_origins, https })
    }

    /// Whether the site is served over HTTPS.
    pub(crate) fn https(&self) -> bool {
        self.https
    }

    /// Whether a request naming `host` (its `Host` header) is meant for this
    /// site. Without a public URL only names that cannot be rebound to another
    /// server are taken: `localhost` and IP addresses.
    pub(crate) fn host_allowed(&self, host: &str) -> bool {
        match &self.public_host {
            Some(public) => host.eq_ignore_ascii_case(public),
            None => {
                let name = match host.rsplit_once(':') {
                    Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => name,
                    _ => host,
                };
                name.eq_ignore_ascii_case("localhost")
                    || name.parse::<std::net::Ipv4Addr>().is_ok()
                    || name
                        .strip_prefix('[')
                        .and_then(|n| n.strip_suffix(']'))
                        .is_some_and(|n| n.parse::<std::net::Ipv6Addr>().is_ok())
            }
        }
    }

    /// Whether a page from `origin` may act on this site, in a request that
    /// named `host`: the public origin (or, without one, the same host), or
    /// one the operator allowed.
    pub(crate) fn origin_allowed(&self, origin: &str, host: Option<&str>) -> bool {
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed_origins.contains(&origin) {
            return true;
        }
        match &self.public_origin {
            Some(public) => origin == *public,
            None => {
                let authority = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"));
                matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_public_url_only_local_names_and_addresses() {
        let site = Site::new(None, &[], false).unwrap();
        for ok in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "10.0.0.5"] {
            assert!(site.host_allowed(ok), "{ok}");
        }
        for bad in ["evil.example", "evil.example:3000", "127.0.0.1.evil.example", "[::1", ""] {
            assert!(!site.host_allowed(bad), "{bad}");
        }
        assert!(site.origin_allowed("http://127.0.0.1:3000", Some("127.0.0.1:3000")));
        assert!(!site.origin_allowed("http://127.0.0.1:3999", Some("127.0.0.1:3000")));
        assert!(!site.origin_allowed("null", Some("127.0.0.1:3000")));
        assert!(!site.https());
    }

    #[test]
    fn with_a_public_url_exactly_that() {
        let site = Site::new(Some("https://Chat.Example.com/"), &["https://app.example/".into()], false).unwrap();
        assert!(site.https());
        assert!(site.host_allowed("chat.example.com"));
        assert!(!site.host_allowed("127.0.0.1:3000"));
        assert!(site.origin_allowed("https://chat.example.com", Some("chat.example.com")));
        assert!(!site.origin_allowed("http://chat.example.com", Some("chat.example.com")));
        assert!(site.origin_allowed("https://app.example", None));
        assert!(!site.origin_allowed("https://evil.example", Some("evil.example")));
        assert!(Site::new(Some("chat.example.com"), &[], false).is_err());
        assert!(Site::new(Some("ftp://chat.example.com"), &[], false).is_err());
    }
}
