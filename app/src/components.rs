//! Reusable pieces of the pages.

pub mod auth_forms;
pub mod channel_list;
pub mod chat;
pub mod error_note;
pub mod layout;
pub mod member_list;
pub mod session;
pub mod workspace;
