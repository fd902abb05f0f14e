//! Reusable pieces of the pages.

pub(crate) mod auth_forms;
pub(crate) mod channel_list;
pub(crate) mod chat;
pub(crate) mod error_note;
pub(crate) mod layout;
pub(crate) mod member_list;
pub(crate) mod org_list_page;
pub(crate) mod session;
pub(crate) mod workspace;
