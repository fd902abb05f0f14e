//! What someone types in the search box, read into what to look for: words
//! and "quoted phrases" (each found anywhere in a message's text, as a
//! substring of three characters or more, whatever the case), and filters:
//! `in:#channel`, `from:@person`, `before:2026-12-01` (messages sent before
//! that day, UTC), `after:2026-12-01` (sent after it), `has:file`,
//! `in:thread` (replies in threads).

use time::macros::format_description;

use crate::error::{CoreError, CoreResult};

/// The fewest characters a word is looked for with (shorter ones are left out).
pub const MIN_TERM_CHARS: usize = 3;
/// The longest search, in characters.
pub const MAX_QUERY_CHARS: usize = 256;
/// The most words and phrases one search looks for.
pub const MAX_TERMS: usize = 8;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A search, read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// Each found in the text (all of them), as typed.
    pub terms: Vec<String>,
    /// Words left out: shorter than [`MIN_TERM_CHARS`].
    pub ignored: Vec<String>,
    /// `in:#name`: only that channel.
    pub channel: Option<String>,
    /// `from:@username`: only their messages.
    pub from: Option<String>,
    /// Sent before this instant (ms since the epoch).
    pub before: Option<i64>,
    /// Sent at or after this instant (ms since the epoch).
    pub after: Option<i64>,
    /// `has:file`: only messages with a file attached.
    pub has_file: bool,
    /// `in:thread`: only replies in threads.
    pub in_thread: bool,
}

impl SearchQuery {
    /// Whether anything narrows it besides its words.
    fn filtered(&self) -> bool {
        self.channel.is_some()
            || self.from.is_some()
            || self.before.is_some()
            || self.after.is_some()
            || self.has_file
            || self.in_thread
    }
}

/// Reads a search; `invalid` when there is nothing to look for, it is too
/// long, or a filter does not read.
pub fn parse(text: &str) -> CoreResult<SearchQuery> {
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(CoreError::invalid(format!("A search has at most {MAX_QUERY_CHARS} characters.")));
    }
    let mut query = SearchQuery::default();
    for token in tokens(text) {
        match token {
            Token::Phrase(p) => term(&mut query, p),
            Token::Word(w) => match w.split_once(':') {
                Some((key, value)) if !value.is_empty() && is_filter(key) => filter(&mut query, key, value)?,
                _ => term(&mut query, w),
            },
        }
    }
    if query.terms.len() > MAX_TERMS {
        return Err(CoreError::invalid(format!("A search looks for at most {MAX_TERMS} words or phrases at once.")));
    }
    if query.terms.is_empty() && !query.filtered() {
        return Err(CoreError::invalid(format!(
            "Type at least {MIN_TERM_CHARS} characters to search (or a filter such as in:#general)."
        )));
    }
    Ok(query)
}

enum Token<'a> {
    Word(&'a str),
    Phrase(&'a str),
}

/// Words split by white space; a double quote starts a phrase that runs to
/// the next one (or to the end).
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            out.push(Token::Phrase(&after[..end]));
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(rest.len());
            out.push(Token::Word(&rest[..end]));
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    out
}

fn is_filter(key: &str) -> bool {
    matches!(key.to_ascii_lowercase().as_str(), "in" | "from" | "before" | "after" | "has")
}

fn term(query: &mut SearchQuery, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if text.chars().count() < MIN_TERM_CHARS {
        query.ignored.push(text.to_owned());
    } else if !query.terms.iter().any(|t| t.to_lowercase() == text.to_lowercase()) {
        query.terms.push(text.to_owned());
    }
}

fn filter(query: &mut SearchQuery, key: &str, value: &str) -> CoreResult<()> {
    match key.to_ascii_lowercase().as_str() {
        "in" if value.eq_ignore_ascii_case("thread") => query.in_thread = true,
        "in" => query.channel = Some(value.trim_start_matches('#').to_ascii_lowercase()),
        "from" => query.from = Some(value.trim_start_matches('@').to_owned()),
        "has" if value.eq_ignore_ascii_case("file") => query.has_file = true,
        "has" => return Err(CoreError::invalid("has: takes file (has:file).")),
        "before" => query.before = Some(day_start(key, value)?),
        // After the day: from the start of the next one.
        _ => query.after = Some(day_start(key, value)? + DAY_MS),
    }
    Ok(())
}

/// The first instant of a day written `2026-12-01` (UTC), in ms.
fn day_start(key: &str, value: &str) -> CoreResult<i64> {
    let date = time::Date::parse(value, format_description!("[year]-[month]-[day]"))
        .map_err(|_| CoreError::invalid(format!("{key}: takes a date such as {key}:2026-12-01.")))?;
    let midnight = date.midnight().assume_utc();
    Ok(midnight.unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_phrases_are_looked_for_and_short_ones_left_out() {
        let q = parse(r#"deploy-prod  to "release notes" bob@example.com https://ci.example.com/x 部署完"#).unwrap();
        assert_eq!(q.terms, ["deploy-prod", "release notes", "bob@example.com", "https://ci.example.com/x", "部署完"]);
        assert_eq!(q.ignored, ["to"]);
        // The same word twice (in any case) is looked for once.
        assert_eq!(parse("Deploy deploy").unwrap().terms, ["Deploy"]);
        // An unclosed quote runs to the end.
        assert_eq!(parse(r#""ship it now"#).unwrap().terms, ["ship it now"]);
    }

    #[test]
    fn filters_narrow_and_read_strictly() {
        let q = parse("deploy in:#General from:@Bob before:2026-12-02 after:2026-11-30 has:file in:thread").unwrap();
        assert_eq!(q.terms, ["deploy"]);
        assert_eq!(q.channel.as_deref(), Some("general"));
        assert_eq!(q.from.as_deref(), Some("Bob"));
        assert_eq!(q.before, Some(1_796_169_600_000), "2026-12-02T00:00Z");
        assert_eq!(q.after, Some(1_796_083_200_000), "the day after 2026-11-30 starts 2026-12-01T00:00Z");
        assert!(q.has_file && q.in_thread);
        // A filter alone is a search; an unknown key is a word.
        assert_eq!(parse("from:bob").unwrap().terms, Vec::<String>::new());
        assert_eq!(parse("https://example.com").unwrap().terms, ["https://example.com"]);
        assert_eq!(parse("note:this").unwrap().terms, ["note:this"]);
    }

    #[test]
    fn nothing_to_look_for_or_a_bad_filter_is_refused() {
        for bad in ["", "  ", "to be", "a \"\"", "before:yesterday", "after:2026-13-01", "has:link"] {
            assert!(matches!(parse(bad), Err(CoreError::Rule(_))), "{bad:?}");
        }
        assert!(parse(&"x".repeat(MAX_QUERY_CHARS + 1)).is_err());
        assert!(parse(&(0..=MAX_TERMS).map(|i| format!("word{i}")).collect::<Vec<_>>().join(" ")).is_err());
    }
}
