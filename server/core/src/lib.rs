//! Confab's service core: one plain crate holding every use case, so that the
//! server functions (in `app`, behind `ssr`) and the Socket.IO handlers (in
//! `server`) call the same API with no seam between them.
//!
//! Without the `server` feature it is only what the browser shares with the
//! server: the input [`rules`], who a message [`mentions`] and the closed
//! sets access is decided on ([`kinds`]). With it:
//!
//! - [`service`]: the use cases, over the store, the credentials and the
//!   access rules; the one entry point.
//! - `store` (private): the database (SQLite by default, PostgreSQL by URL),
//!   its migrations and its queries; only [`Store::connect`] is public, so
//!   every query goes through the service and its access rules.
//! - [`channel_events`]: each channel as an ordered event stream, published
//!   after commit to the in-process bus the live layer subscribes to.
//! - [`access`]: who may see, join, post, invite or remove people.
//! - [`auth`], [`hash_pool`], [`login_throttle`]: password hashes and tokens,
//!   the threads that hash (a fair share per client), slowing guesses.
//! - [`model`]: what the use cases return; [`error`]: how they fail.
//! - [`search_query`], [`search_snippet`]: a search as typed, read into
//!   words and filters; a found message's text cut and marked.
//! - [`blobs`], [`pictures`]: files' bytes (a folder or an S3-compatible
//!   bucket, by content hash); which uploads are pictures, and thumbnails.
//! - [`push`]: Web Push messages, encrypted and signed, sent to people's
//!   devices through their push services.
//! - [`held_counts`], [`client_key`]: counting what each client holds;
//!   [`shared_limits`]: limits counted across the servers of a cluster.
//!
//! Nothing here knows HTTP, cookies or Socket.IO: `app` maps these types to
//! the wire types and errors, once, for both callers.

pub mod kinds;
pub mod mentions;
pub mod rules;

#[cfg(feature = "server")]
mod access;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod blobs;
#[cfg(feature = "server")]
pub mod channel_events;
#[cfg(feature = "server")]
pub mod client_key;
#[cfg(feature = "server")]
mod error;
#[cfg(feature = "server")]
mod hash_pool;
#[cfg(feature = "server")]
pub mod held_counts;
#[cfg(feature = "server")]
mod login_throttle;
#[cfg(feature = "server")]
pub mod model;
#[cfg(feature = "server")]
pub mod pictures;
#[cfg(feature = "server")]
pub mod push;
#[cfg(feature = "server")]
pub mod search_query;
#[cfg(feature = "server")]
pub mod search_snippet;
#[cfg(feature = "server")]
pub mod service;
#[cfg(feature = "server")]
pub mod shared_limits;
#[cfg(feature = "server")]
mod store;

#[cfg(feature = "server")]
pub use error::{CoreError, CoreResult};
#[cfg(feature = "server")]
pub use service::Service;
#[cfg(feature = "server")]
pub use store::{Store, StoreError};
