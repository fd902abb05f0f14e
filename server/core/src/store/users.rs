//! Accounts: creation and lookup by name.

use super::{Store, StoreResult, UserRow, now_ms, on_db};
use crate::model::User;

impl Store {
    /// Creates an account; a taken name (any case) is `StoreError::Conflict`.
    pub async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let id = on_db!(self, create_user(username, password_hash, now_ms()))?;
        Ok(User { id, username: username.to_owned() })
    }

    /// Finds an account by name, ignoring case.
    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRow>> {
        Ok(on_db!(self, user_by_name(username))?)
    }
}

impl UserRow {
    pub fn public(&self) -> User {
        User { id: self.id, username: self.username.clone() }
    }
}
