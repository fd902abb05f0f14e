//! Accounts: creation and lookup by name.

use crate::model::User;

use super::{Store, StoreResult, now_ms};

/// A user row with its password hash; never leaves the server.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

impl UserRow {
    pub fn public(&self) -> User {
        User { id: self.id, username: self.username.clone() }
    }
}

impl Store {
    /// Creates an account; a taken name (any case) is `StoreError::Conflict`.
    pub async fn create_user(&self, username: &str, password_hash: &str) -> StoreResult<User> {
        let (id,): (i64,) =
            sqlx::query_as("INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(username)
                .bind(password_hash)
                .bind(now_ms())
                .fetch_one(&self.pool)
                .await?;
        Ok(User { id, username: username.to_owned() })
    }

    /// Finds an account by name, ignoring case.
    pub async fn user_by_name(&self, username: &str) -> StoreResult<Option<UserRow>> {
        Ok(sqlx::query_as("SELECT id, username, password_hash FROM users WHERE lower(username) = lower($1)")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?)
    }
}
