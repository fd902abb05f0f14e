//! The server side's interface as the server functions see it (ssr only).
//!
//! `app` cannot depend on `server` (the dependency goes the other way), so the
//! server crate implements [`Backend`] and provides it as Leptos context; the
//! server functions in [`crate::api`] reach storage, password hashing and the
//! access rules only through it.

use std::net::IpAddr;
use std::sync::Arc;

use crate::errors::ApiError;
use crate::protocol::*;

/// A new session: the secret token (goes into the cookie, never stored) and its
/// lifetime in seconds.
#[derive(Clone, Debug)]
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
}

/// Everything the server functions can ask of the server.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Name of the cookie holding the session token.
    fn session_cookie_name(&self) -> &'static str;
    /// Whether cookies get the `Secure` attribute (served over HTTPS).
    fn secure_cookies(&self) -> bool;
    /// The address of the client that sent a request (for per-client limits).
    fn client_ip(&self, request: &http::request::Parts) -> IpAddr;

    async fn register(&self, username: &str, password: &str, client: IpAddr) -> Result<(User, NewSession), ApiError>;
    async fn login(&self, username: &str, password: &str, client: IpAddr) -> Result<(User, NewSession), ApiError>;
    /// Revokes the session with this token; unknown tokens are fine.
    async fn logout(&self, token: &str) -> Result<(), ApiError>;
    /// The user a session token belongs to, if it is valid.
    async fn session_user(&self, token: &str) -> Result<Option<User>, ApiError>;

    async fn list_orgs(&self, user: &User) -> Result<Vec<OrgSummary>, ApiError>;
    async fn create_org(&self, user: &User, name: &str, slug: &str) -> Result<OrgSummary, ApiError>;
    async fn org_view(&self, user: &User, slug: &str) -> Result<OrgView, ApiError>;
    async fn create_invite(&self, user: &User, slug: &str) -> Result<Invite, ApiError>;
    /// The working invite links (owners and admins); `made` is a token the
    /// caller just made, to show again as a link if it checks out.
    async fn list_invites(&self, user: &User, slug: &str, made: Option<&str>) -> Result<InviteList, ApiError>;
    /// Stops an invite link from working (owners and admins).
    async fn revoke_invite(&self, user: &User, slug: &str, id: &str) -> Result<(), ApiError>;
    async fn invite_preview(&self, user: &User, token: &str) -> Result<InvitePreview, ApiError>;
    async fn accept_invite(&self, user: &User, token: &str) -> Result<OrgSummary, ApiError>;
    /// Takes `username` out of the organization; their live connections to it close.
    async fn remove_member(&self, user: &User, slug: &str, username: &str) -> Result<(), ApiError>;

    async fn create_channel(&self, user: &User, slug: &str, name: &str) -> Result<Channel, ApiError>;
    async fn list_channels(&self, user: &User, slug: &str) -> Result<Vec<Channel>, ApiError>;
    async fn join_channel(&self, user: &User, slug: &str, channel: &str) -> Result<Channel, ApiError>;
    /// Stores a message in channel `channel` (by name) and publishes it to the
    /// channel's live stream, as a socket's `send` does.
    async fn send_message(
        &self,
        user: &User,
        slug: &str,
        channel: &str,
        client_id: &str,
        body: &str,
    ) -> Result<ChatMessage, ApiError>;
    async fn leave_channel(&self, user: &User, slug: &str, channel: &str) -> Result<Channel, ApiError>;
    /// Up to `limit` messages with `seq < before_seq` (newest page when `None`), oldest first.
    async fn history(
        &self,
        user: &User,
        slug: &str,
        channel: &str,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<HistoryPage, ApiError>;
}

/// The shared handle server functions pull from context.
pub type SharedBackend = Arc<dyn Backend>;

/// The value of cookie `name` in the `Cookie` headers of a request.
pub fn cookie_value(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cookie_lookup() {
        let mut h = http::HeaderMap::new();
        h.append(http::header::COOKIE, "theme=dark; confab_session=abc123".parse().unwrap());
        h.append(http::header::COOKIE, "other=1".parse().unwrap());
        assert_eq!(super::cookie_value(&h, "confab_session").as_deref(), Some("abc123"));
        assert_eq!(super::cookie_value(&h, "other").as_deref(), Some("1"));
        assert_eq!(super::cookie_value(&h, "missing"), None);
    }
}
