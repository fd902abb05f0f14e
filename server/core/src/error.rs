//! How a use case fails. Every variant is something a person can be told:
//! the ones that carry text carry the sentence to show, and the rest
//! (`Unavailable`, `Stopping`, `Internal`) were logged with their details
//! where they happened. `app` turns each into the wire's `ApiError`.

use crate::rules::RuleError;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The input broke a rule.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// No valid session.
    #[error("Please sign in first.")]
    Unauthenticated,
    /// Wrong username or password.
    #[error("Wrong username or password.")]
    BadCredentials,
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing, or not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The name (or other unique value) is taken.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests in a short time.
    #[error("{0}")]
    RateLimited(String),
    /// The database cannot be reached; nothing was changed.
    #[error("database unavailable")]
    Unavailable,
    /// The server is stopping; nothing was changed.
    #[error("stopping")]
    Stopping,
    /// A fault (a bug, a corrupt database): logged where it happened.
    #[error("internal error")]
    Internal,
}

impl CoreError {
    pub fn forbidden(message: impl Into<String>) -> Self {
        CoreError::Forbidden(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        CoreError::NotFound(message.into())
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        CoreError::Conflict(message.into())
    }
    pub fn rate_limited(message: impl Into<String>) -> Self {
        CoreError::RateLimited(message.into())
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        CoreError::Rule(RuleError::Invalid(message.into()))
    }

    /// Whether the caller's access is gone (signed out, or no longer a
    /// member), as opposed to a failure to check it.
    pub fn is_access_ended(&self) -> bool {
        matches!(self, CoreError::Unauthenticated | CoreError::NotFound(_))
    }
}

pub type CoreResult<T> = Result<T, CoreError>;
