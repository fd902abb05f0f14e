//! The one error type that crosses the wire. Server functions return it, Socket.IO
//! acknowledgements carry it (`{"error": {"code": ..., "message": ...}}`), and the
//! UI shows its `message` as is: it is always a sentence meant for a person.
//! Details (SQL errors, stack traces) never go in it; the server logs them instead.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What kind of failure this is, for programs (bots, tests) to branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The input broke a rule (empty field, bad characters, too long).
    Invalid,
    /// No valid session: sign in first.
    Unauthenticated,
    /// Wrong username or password.
    BadCredentials,
    /// Signed in, but not allowed to do this.
    Forbidden,
    /// No such organization, channel or invite (or not visible to you).
    NotFound,
    /// The name is taken.
    Conflict,
    /// The request or message is larger than the server accepts.
    TooLarge,
    /// Too many requests in a short time.
    RateLimited,
    /// The server cannot reach its database or is shutting down; nothing was changed.
    Unavailable,
    /// The request never reached the server, or its answer could not be read.
    Transport,
    /// A fault on the server; it has been logged.
    Internal,
}

/// A failure, with a sentence a person can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }
    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Please sign in first.")
    }
    pub fn bad_credentials() -> Self {
        Self::new(ErrorCode::BadCredentials, "Wrong username or password.")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TooLarge, message)
    }
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RateLimited, message)
    }
    pub fn transport() -> Self {
        Self::new(ErrorCode::Transport, "Could not reach the server. Check your connection and try again.")
    }
    pub fn unavailable() -> Self {
        Self::new(
            ErrorCode::Unavailable,
            "The server cannot reach its database right now; nothing was changed. Please try again shortly.",
        )
    }
    /// The server is stopping (a restart or an upgrade): nothing was changed.
    pub fn stopping() -> Self {
        Self::new(ErrorCode::Unavailable, "The server is restarting; nothing was changed. Send again in a moment.")
    }
    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "Something went wrong on the server; it has been logged. Please try again.")
    }
}

impl ApiError {
    /// The error with its code's own general sentence, for when only the code
    /// can be trusted (an error carried in a URL could be written by anyone).
    pub fn from_code(code: ErrorCode) -> Self {
        match code {
            ErrorCode::Invalid => Self::invalid("Some of what was entered is not accepted; please check the form."),
            ErrorCode::Unauthenticated => Self::unauthenticated(),
            ErrorCode::BadCredentials => Self::bad_credentials(),
            ErrorCode::Forbidden => Self::forbidden("You are not allowed to do that."),
            ErrorCode::NotFound => Self::not_found("That does not exist, or you cannot see it."),
            ErrorCode::Conflict => Self::conflict("That name is taken; please choose another."),
            ErrorCode::TooLarge => Self::too_large("That is longer than allowed."),
            ErrorCode::RateLimited => Self::rate_limited("Too many attempts; please wait a moment and try again."),
            ErrorCode::Unavailable => Self::unavailable(),
            ErrorCode::Transport => Self::transport(),
            ErrorCode::Internal => Self::internal(),
        }
    }

    /// The HTTP status that goes with the error.
    pub fn http_status(&self) -> u16 {
        match self.code {
            ErrorCode::Invalid => 400,
            ErrorCode::Unauthenticated | ErrorCode::BadCredentials => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Unavailable => 503,
            ErrorCode::Transport => 502,
            ErrorCode::Internal => 500,
        }
    }
}

/// A broken input rule, in the browser or on the server.
impl From<confab_core::rules::RuleError> for ApiError {
    fn from(e: confab_core::rules::RuleError) -> Self {
        use confab_core::rules::RuleError;
        match e {
            RuleError::Invalid(message) => Self::invalid(message),
            RuleError::TooLarge(message) => Self::too_large(message),
        }
    }
}

/// A failed use case of the service core, as the wire says it.
#[cfg(feature = "ssr")]
impl From<confab_core::CoreError> for ApiError {
    fn from(e: confab_core::CoreError) -> Self {
        use confab_core::CoreError;
        match e {
            CoreError::Rule(rule) => rule.into(),
            CoreError::Unauthenticated => Self::unauthenticated(),
            CoreError::BadCredentials => Self::bad_credentials(),
            CoreError::Forbidden(message) => Self::forbidden(message),
            CoreError::NotFound(message) => Self::not_found(message),
            CoreError::Conflict(message) => Self::conflict(message),
            CoreError::RateLimited(message) => Self::rate_limited(message),
            CoreError::Unavailable => Self::unavailable(),
            CoreError::Stopping => Self::stopping(),
            CoreError::Internal => Self::internal(),
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// The framework's own failures, in sentences of ours: its text (which
    /// may name types, quote input or carry a server's error) is logged here
    /// and never shown.
    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        #[cfg(feature = "ssr")]
        tracing::info!(error = %value, "server function failed in the framework");
        #[cfg(not(feature = "ssr"))]
        leptos::logging::debug_warn!("server function failed: {value}");
        match value {
            ServerFnErrorErr::Request(_) => Self::transport(),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                Self::invalid("The form was incomplete or malformed.")
            }
            ServerFnErrorErr::Deserialization(_) | ServerFnErrorErr::Response(_) => Self::new(
                ErrorCode::Transport,
                "The server's answer could not be read. Please reload the page and try again.",
            ),
            ServerFnErrorErr::Serialization(_) | ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                Self::new(ErrorCode::Transport, "This page could not send the request. Please reload it and try again.")
            }
            ServerFnErrorErr::Registration(_)
            | ServerFnErrorErr::ServerError(_)
            | ServerFnErrorErr::MiddlewareError(_) => Self::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the framework's error says, the person reads one of our
    /// sentences: none of its text (type names, input, a server's detail).
    #[test]
    fn framework_errors_never_show_their_text() {
        let detail = || "SECRET detail: missing field `body` at line 1, sqlx error".to_owned();
        let all = [
            ServerFnErrorErr::Registration(detail()),
            ServerFnErrorErr::UnsupportedRequestMethod(detail()),
            ServerFnErrorErr::Request(detail()),
            ServerFnErrorErr::ServerError(detail()),
            ServerFnErrorErr::MiddlewareError(detail()),
            ServerFnErrorErr::Deserialization(detail()),
            ServerFnErrorErr::Serialization(detail()),
            ServerFnErrorErr::Args(detail()),
            ServerFnErrorErr::MissingArg(detail()),
            ServerFnErrorErr::Response(detail()),
        ];
        for e in all {
            let shown = ApiError::from_server_fn_error(e.clone());
            assert!(!shown.message.contains("SECRET") && !shown.message.contains("sqlx"), "{e:?} shows {shown:?}");
            assert!(shown.message.ends_with('.'), "a sentence for {e:?}: {shown:?}");
        }
        assert_eq!(ApiError::from_server_fn_error(ServerFnErrorErr::ServerError(detail())), ApiError::internal());
    }
}
