//! Accounts: creation and lookup by name.

use super::dialect::sql;
use super::{Store, StoreResult, UserRow, now_ms};
use crate::model::User;

impl Store {
    /// Creates an account; a taken name (any case) is `StoreError::Conflict`.
    pub(crate) async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let (db, now) = (&mut self.db().await?, now_ms());
        let id = sql!(
            db,
            fetch_one,
            query_scalar!(
                r#"INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id AS "id!""#,
                username,
                password_hash,
                now
            )
        )?;
        Ok(User { id, username: username.to_owned() })
    }

    /// Finds an account by name, ignoring case.
    pub(crate) async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRow>> {
        let db = &mut self.db().await?;
        Ok(sql!(
            db,
            fetch_optional,
            query_as!(
                UserRow,
                r#"SELECT id AS "id!", username, password_hash FROM users WHERE lower(username) = lower($1)"#,
                username
            )
        )?)
    }
}

impl UserRow {
    pub(crate) fn public(&self) -> User {
        User { id: self.id, username: self.username.clone() }
    }
}
