//! One module per route.

pub(crate) mod admin;
pub(crate) mod channel;
pub(crate) mod home;
pub(crate) mod invite;
pub(crate) mod mentions;
pub(crate) mod not_found;
pub(crate) mod notifications;
pub(crate) mod org;
pub(crate) mod search;
pub(crate) mod threads;
pub(crate) mod tokens;
