//! Input rules shared by the browser (instant feedback) and the server (the
//! authority). Each function returns the cleaned value or an error sentence.

use crate::errors::ApiError;
use crate::protocol::MAX_MESSAGE_CHARS;

/// Usernames: 3 to 32 characters of letters, digits, `.`, `_`, `-`.
pub fn username(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(ApiError::invalid("Please choose a username."));
    }
    if !(3..=32).contains(&len) {
        return Err(ApiError::invalid("A username has 3 to 32 characters."));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err(ApiError::invalid("A username may use only letters, digits, dots, dashes and underscores."));
    }
    Ok(name.to_string())
}

/// Passwords: 8 to 256 characters, taken as typed (no trimming).
pub fn password(raw: &str) -> Result<&str, ApiError> {
    let len = raw.chars().count();
    if len == 0 {
        return Err(ApiError::invalid("Please enter a password."));
    }
    if len < 8 {
        return Err(ApiError::invalid("A password has at least 8 characters."));
    }
    if len > 256 {
        return Err(ApiError::too_large("A password has at most 256 characters."));
    }
    Ok(raw)
}

/// Organization display names: 1 to 64 characters, trimmed.
pub fn org_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(ApiError::invalid("Please give the organization a name."));
    }
    if name.chars().count() > 64 {
        return Err(ApiError::too_large("An organization name has at most 64 characters."));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid("An organization name cannot contain control characters."));
    }
    Ok(name.to_string())
}

/// Organization slugs (URL and Socket.IO namespace): 2 to 32 of `a-z`, `0-9`, `-`,
/// not starting or ending with `-`. Upper case is folded.
pub fn org_slug(raw: &str) -> Result<String, ApiError> {
    let slug = raw.trim().to_ascii_lowercase();
    if slug.is_empty() {
        return Err(ApiError::invalid("Please choose a URL name for the organization."));
    }
    if !(2..=32).contains(&slug.len())
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || slug.starts_with('-')
        || slug.ends_with('-')
    {
        return Err(ApiError::invalid(
            "A URL name has 2 to 32 lowercase letters, digits or dashes, and does not start or end with a dash.",
        ));
    }
    Ok(slug)
}

/// Channel names: 1 to 40 of `a-z`, `0-9`, `-`, `_`. Upper case is folded and
/// spaces become dashes, as people type them.
pub fn channel_name(raw: &str) -> Result<String, ApiError> {
    let name: String = raw
        .trim()
        .trim_start_matches('#')
        .chars()
        .map(|c| if c == ' ' { '-' } else { c.to_ascii_lowercase() })
        .collect();
    if name.is_empty() {
        return Err(ApiError::invalid("Please give the channel a name."));
    }
    if name.len() > 40 || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err(ApiError::invalid("A channel name has 1 to 40 lowercase letters, digits, dashes or underscores."));
    }
    Ok(name)
}

/// Message bodies: not blank, at most [`MAX_MESSAGE_CHARS`] characters, no
/// control characters but line breaks and tabs (PostgreSQL cannot store NUL;
/// the rest only garble the screen). Kept as typed apart from trailing white space.
pub fn message_body(raw: &str) -> Result<String, ApiError> {
    let body = raw.trim_end();
    if body.trim().is_empty() {
        return Err(ApiError::invalid("A message cannot be empty."));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::too_large(format!("A message has at most {MAX_MESSAGE_CHARS} characters.")));
    }
    if body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(ApiError::invalid("A message cannot contain control characters."));
    }
    Ok(body.to_string())
}

/// Client-generated message ids: 1 to 64 printable ASCII characters.
pub fn client_id(raw: &str) -> Result<&str, ApiError> {
    if raw.is_empty() || raw.len() > 64 || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid("A message id has 1 to 64 printable ASCII characters."));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::ErrorCode;

    #[test]
    fn usernames() {
        assert_eq!(username("  alice ").unwrap(), "alice");
        assert_eq!(username("").unwrap_err().code, ErrorCode::Invalid);
        assert!(username("al").is_err());
        assert!(username("al ice").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("a.b-c_d").is_ok());
    }

    #[test]
    fn passwords() {
        assert!(password("").is_err());
        assert!(password("short").is_err());
        assert_eq!(password(&"x".repeat(257)).unwrap_err().code, ErrorCode::TooLarge);
        assert_eq!(password(" spaces kept ").unwrap(), " spaces kept ");
    }

    #[test]
    fn slugs_and_names() {
        assert_eq!(org_slug("Acme-Corp").unwrap(), "acme-corp");
        assert!(org_slug("-acme").is_err());
        assert!(org_slug("a").is_err());
        assert!(org_slug("ac me").is_err());
        assert!(org_slug("a/b").is_err());
        assert_eq!(channel_name("#Random Stuff").unwrap(), "random-stuff");
        assert!(channel_name("").is_err());
        assert!(channel_name("no/slash").is_err());
        assert!(org_name("   ").is_err());
        assert_eq!(org_name(" Acme Inc. ").unwrap(), "Acme Inc.");
    }

    #[test]
    fn message_bodies() {
        assert!(message_body("   \n").is_err());
        assert_eq!(message_body("  hi  \n").unwrap(), "  hi");
        let long = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(message_body(&long).is_ok());
        let longer = format!("{long}x");
        assert_eq!(message_body(&longer).unwrap_err().code, ErrorCode::TooLarge);
        assert_eq!(message_body("nul\0byte").unwrap_err().code, ErrorCode::Invalid);
        assert!(message_body("bell\u{7}").is_err());
        assert_eq!(message_body("two\r\nlines\tand a tab").unwrap(), "two\r\nlines\tand a tab");
        assert!(client_id("").is_err());
        assert!(client_id("a b").is_err());
        assert!(client_id("0b7e-11").is_ok());
    }
}
