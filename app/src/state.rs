//! What the views show, kept apart from them: plain data and the signals
//! that hold it, unit-tested without a browser.
//!
//! - [`timeline`]: a channel's messages as this tab shows them.
//! - [`unread`]: where each joined channel stands (unread counts).
//! - [`threads`]: the threads the person follows (their unread replies).
//! - [`workspace`]: an organization's channels, members, presence and, in
//!   the browser, its live connection.

pub(crate) mod layout;
pub(crate) mod threads;
pub(crate) mod timeline;
pub(crate) mod unread;
pub(crate) mod workspace;
