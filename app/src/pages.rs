//! One module per route.

pub mod admin;
pub mod channel;
pub mod home;
pub mod invite;
pub mod not_found;
pub mod org;
pub mod tokens;
