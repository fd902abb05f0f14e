//! Server functions, grouped by domain. Each has a fixed path under `/api/`
//! (documented in `docs/API.md`), takes URL-encoded form fields named like its
//! arguments, and returns JSON or an [`ApiError`](crate::errors::ApiError).

pub mod auth;
pub mod channels;
pub mod message_edits;
pub mod orgs;
pub mod push;
pub mod receipts;
pub mod search;
pub mod threads;
pub mod tokens;

#[cfg(feature = "ssr")]
mod request;
#[cfg(feature = "ssr")]
mod wire;

#[cfg(feature = "ssr")]
pub use request::{ClientIp, ServerContext, cookie_value, request_credential, session_cookie_name};
