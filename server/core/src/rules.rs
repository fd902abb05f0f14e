//! Input rules shared by the browser (instant feedback) and the server (the
//! authority). Each function returns the cleaned value or an error sentence.

/// Longest message body, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Input that breaks a rule, with the sentence to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// Empty, badly formed or with characters it may not have.
    #[error("{0}")]
    Invalid(String),
    /// Longer than the rule allows.
    #[error("{0}")]
    TooLarge(String),
}

impl RuleError {
    fn invalid(message: impl Into<String>) -> Self {
        RuleError::Invalid(message.into())
    }
    fn too_large(message: impl Into<String>) -> Self {
        RuleError::TooLarge(message.into())
    }
}

/// Usernames: 3 to 32 characters of letters, digits, `.`, `_`, `-`.
pub fn username(raw: &str) -> Result<String, RuleError> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(RuleError::invalid("Please choose a username."));
    }
    if !(3..=32).contains(&len) {
        return Err(RuleError::invalid("A username has 3 to 32 characters."));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return Err(RuleError::invalid("A username may use only letters, digits, dots, dashes and underscores."));
    }
    if crate::mentions::RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(RuleError::invalid("That name means everyone in a channel; please choose another."));
    }
    Ok(name.to_string())
}

/// Passwords: 8 to 256 characters, taken as typed (no trimming).
pub fn password(raw: &str) -> Result<&str, RuleError> {
    let len = raw.chars().count();
    if len == 0 {
        return Err(RuleError::invalid("Please enter a password."));
    }
    if len < 8 {
        return Err(RuleError::invalid("A password has at least 8 characters."));
    }
    if len > 256 {
        return Err(RuleError::too_large("A password has at most 256 characters."));
    }
    Ok(raw)
}

/// Organization display names: 1 to 64 characters, trimmed.
pub fn org_name(raw: &str) -> Result<String, RuleError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(RuleError::invalid("Please give the organization a name."));
    }
    if name.chars().count() > 64 {
        return Err(RuleError::too_large("An organization name has at most 64 characters."));
    }
    if name.chars().any(|c| c.is_control() || is_invisible(c)) {
        return Err(RuleError::invalid("An organization name cannot contain control or invisible characters."));
    }
    Ok(name.to_string())
}

/// Organization slugs (URL and Socket.IO namespace): 2 to 32 of `a-z`, `0-9`, `-`,
/// not starting or ending with `-`. Upper case is folded.
pub fn org_slug(raw: &str) -> Result<String, RuleError> {
    let slug = raw.trim().to_ascii_lowercase();
    if slug.is_empty() {
        return Err(RuleError::invalid("Please choose a URL name for the organization."));
    }
    if !(2..=32).contains(&slug.len())
        || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || slug.starts_with('-')
        || slug.ends_with('-')
    {
        return Err(RuleError::invalid(
            "A URL name has 2 to 32 lowercase letters, digits or dashes, and does not start or end with a dash.",
        ));
    }
    Ok(slug)
}

/// An API token's name: 1 to 60 characters, no control characters.
pub fn token_name(raw: &str) -> Result<String, RuleError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(RuleError::invalid("Give the token a name, such as what will use it."));
    }
    if name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err(RuleError::invalid("A token's name has 1 to 60 characters, on one line."));
    }
    Ok(name.to_owned())
}

/// A role as a form or a script names it.
pub fn role(raw: &str) -> Result<crate::kinds::Role, RuleError> {
    crate::kinds::Role::parse(raw.trim().to_ascii_lowercase().as_str())
        .ok_or_else(|| RuleError::invalid("Choose a role: owner, admin, supervisor or member."))
}

/// The kind of a channel being created (public when not given).
pub fn new_channel_kind(raw: Option<&str>) -> Result<crate::kinds::ChannelKind, RuleError> {
    use crate::kinds::ChannelKind;
    match raw.map(|k| k.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") | Some("public") => Ok(ChannelKind::Public),
        Some("private") => Ok(ChannelKind::Private),
        Some("supervisor") => Ok(ChannelKind::Supervisor),
        Some(_) => Err(RuleError::invalid("A channel is public, private or for supervisors.")),
    }
}

/// Channel names: 1 to 40 of `a-z`, `0-9`, `-`, `_`. Upper case is folded and
/// spaces become dashes, as people type them.
pub fn channel_name(raw: &str) -> Result<String, RuleError> {
    let name: String = raw
        .trim()
        .trim_start_matches('#')
        .chars()
        .map(|c| if c == ' ' { '-' } else { c.to_ascii_lowercase() })
        .collect();
    if name.is_empty() {
        return Err(RuleError::invalid("Please give the channel a name."));
    }
    if name.len() > 40 || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        return Err(RuleError::invalid("A channel name has 1 to 40 lowercase letters, digits, dashes or underscores."));
    }
    Ok(name)
}

/// What parts a restricted channel's address: `<name>~<tag>`.
pub const ADDRESS_TAG: char = '~';

/// The address of a private or supervisor channel named `name`: the name
/// and a random tag. Restricted channels live in no shared namespace, so
/// whether some hidden channel has a name can never be learnt by trying to
/// take it (a `~` is never in a name people choose).
pub fn restricted_address(name: &str, tag: &str) -> String {
    format!("{name}{ADDRESS_TAG}{tag}")
}

/// A channel's name as people read it: its address without the tag.
pub fn channel_label(address: &str) -> &str {
    address.split_once(ADDRESS_TAG).map_or(address, |(name, _)| name)
}

/// A channel's address as typed (in a link or a request): a name, maybe
/// with a restricted channel's tag; normalized like [`channel_name`].
pub fn channel_address(raw: &str) -> Result<String, RuleError> {
    let (name, tag) = match raw.trim().split_once(ADDRESS_TAG) {
        Some((name, tag)) => (name, Some(tag)),
        None => (raw, None),
    };
    let name = channel_name(name)?;
    match tag {
        None => Ok(name),
        Some(tag) if (1..=16).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_hexdigit()) => {
            Ok(restricted_address(&name, &tag.to_ascii_lowercase()))
        }
        Some(_) => Err(RuleError::invalid("That is not a channel's address.")),
    }
}

/// Most people in a direct conversation, its starter included.
pub const MAX_DIRECT_PEOPLE: usize = 8;

/// The stored name of the direct conversation of exactly these people (user
/// ids, in any order): `dm:<id>:<id>…`, ascending, so the same people always
/// find the same conversation. A `:` is never in a channel name people choose.
pub fn direct_name(people: &[i64]) -> String {
    let mut ids = people.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("dm:{}", ids.join(":"))
}

/// The people of a direct conversation, from its name; `None` for any other name.
pub fn direct_people(name: &str) -> Option<Vec<i64>> {
    let ids = name.strip_prefix("dm:")?;
    ids.split(':').map(|id| id.parse::<i64>().ok().filter(|id| *id > 0)).collect()
}

/// Message bodies: not blank, at most [`MAX_MESSAGE_CHARS`] characters, no
/// control characters but line breaks and tabs (PostgreSQL cannot store NUL;
/// the rest only garble the screen). Characters that would disguise the
/// text are taken out ([`disguises_text`]); the rest is kept as typed apart
/// from trailing white space.
pub fn message_body(raw: &str) -> Result<String, RuleError> {
    let cleaned: String = raw.chars().filter(|c| !disguises_text(*c)).collect();
    let body = cleaned.trim_end();
    if body.trim().is_empty() {
        return Err(RuleError::invalid("A message cannot be empty."));
    }
    if body.chars().count() > MAX_MESSAGE_CHARS {
        return Err(RuleError::too_large(format!("A message has at most {MAX_MESSAGE_CHARS} characters.")));
    }
    if body.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(RuleError::invalid("A message cannot contain control characters."));
    }
    Ok(body.to_string())
}

/// The most different reactions one message may have.
pub const MAX_REACTIONS_PER_MESSAGE: usize = 20;

/// A reaction: one emoji, as Unicode writes it (a skin tone included), and
/// nothing else.
pub fn emoji(raw: &str) -> Result<&'static str, RuleError> {
    emojis::get(raw.trim())
        .map(|e| e.as_str())
        .ok_or_else(|| RuleError::invalid("A reaction is one emoji, such as 👍."))
}

/// A redirect target from a form (`next`), accepted only as a path on this
/// site written plainly: it starts with one `/`, has no back slash, and only
/// printable ASCII (browsers drop tabs and line breaks from URLs, so `/\t/x`
/// would lead to another host, and a line break cannot go in a header).
pub fn local_path(raw: &str) -> Option<&str> {
    let plain = raw.len() <= 2048 && raw.bytes().all(|b| b.is_ascii_graphic()) && !raw.contains('\\');
    let local = raw.starts_with('/') && !raw.starts_with("//");
    (plain && local).then_some(raw)
}

/// Characters that show nothing or reorder the text around them (Unicode's
/// default-ignorable code points and bidirectional controls): in a name they
/// let one look like another.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Characters taken out of message bodies, so that a message cannot
/// disguise its text (or a link in it): the bidirectional embeddings,
/// overrides and isolates, which reorder what follows them (`invoice`,
/// U+202E, `fdp.exe` shows as `invoiceexe.pdf`), and the invisible spaces
/// and format characters (zero-width space, word joiner, invisible
/// operators, byte order mark), which split a word or a link without
/// showing. Kept, because writing needs them: the zero-width joiner and
/// non-joiner (emoji sequences, Persian and Indic scripts), the
/// left-to-right and right-to-left marks, variation selectors and tag
/// characters (emoji). Names refuse a wider set ([`is_invisible`]).
pub fn disguises_text(c: char) -> bool {
    matches!(c,
        '\u{200B}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}')
}

/// Client-generated message ids: 1 to 64 printable ASCII characters.
pub fn client_id(raw: &str) -> Result<&str, RuleError> {
    if raw.is_empty() || raw.len() > 64 || !raw.chars().all(|c| c.is_ascii_graphic()) {
        return Err(RuleError::invalid("A message id has 1 to 64 printable ASCII characters."));
    }
    Ok(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(username("  alice ").unwrap(), "alice");
        assert!(matches!(username("").unwrap_err(), RuleError::Invalid(_)));
        assert!(username("al").is_err());
        assert!(username("al ice").is_err());
        assert!(username(&"a".repeat(33)).is_err());
        assert!(username("a.b-c_d").is_ok());
    }

    #[test]
    fn passwords() {
        assert!(password("").is_err());
        assert!(password("short").is_err());
        assert!(matches!(password(&"x".repeat(257)).unwrap_err(), RuleError::TooLarge(_)));
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
        assert!(matches!(org_name("Ac\u{202E}me").unwrap_err(), RuleError::Invalid(_)));
        assert!(org_name("Ac\u{200B}me").is_err());
        assert!(username("ann\u{200B}").is_err());
        assert!(org_name("Café 東京").is_ok());
    }

    #[test]
    fn redirect_targets_stay_on_this_site() {
        assert_eq!(local_path("/o/acme?x=1#top"), Some("/o/acme?x=1#top"));
        assert_eq!(local_path("/invite/ab12"), Some("/invite/ab12"));
        for bad in [
            "//evil.example",
            "/\t/evil.example/phish",
            "/\\evil",
            "https://evil.example",
            "/\nx",
            "/ x",
            "",
            "o/acme",
            "/café",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn restricted_addresses() {
        let address = restricted_address("leads", "0a1b2c3d");
        assert_eq!(address, "leads~0a1b2c3d");
        assert_eq!(channel_label(&address), "leads");
        assert_eq!(channel_label("general"), "general");
        assert_eq!(channel_address(" #Leads~0A1B2C3D").unwrap(), address);
        assert_eq!(channel_address("general").unwrap(), "general");
        for bad in ["leads~", "leads~xyz", "~0a1b", "leads~0a~1b", "leads~0123456789abcdef0"] {
            assert!(channel_address(bad).is_err(), "{bad:?}");
        }
        assert!(channel_name("leads~0a1b").is_err(), "a chosen name never has a tag");
    }

    #[test]
    fn direct_names() {
        assert_eq!(direct_name(&[7, 3, 7]), "dm:3:7");
        assert_eq!(direct_people("dm:3:7"), Some(vec![3, 7]));
        assert_eq!(direct_people(&direct_name(&[5])), Some(vec![5]));
        for other in ["general", "dm:", "dm:3:x", "dm:-1", "dm3:7"] {
            assert_eq!(direct_people(other), None, "{other:?}");
        }
        assert!(channel_name("dm:3:7").is_err(), "nobody can take a conversation's name");
    }

    #[test]
    fn message_bodies() {
        assert!(message_body("   \n").is_err());
        assert_eq!(message_body("  hi  \n").unwrap(), "  hi");
        let long = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(message_body(&long).is_ok());
        let longer = format!("{long}x");
        assert!(matches!(message_body(&longer).unwrap_err(), RuleError::TooLarge(_)));
        assert!(matches!(message_body("nul\0byte").unwrap_err(), RuleError::Invalid(_)));
        assert!(message_body("bell\u{7}").is_err());
        assert_eq!(message_body("two\r\nlines\tand a tab").unwrap(), "two\r\nlines\tand a tab");
        // Nothing disguises the text; what writing needs stays.
        assert_eq!(message_body("invoice\u{202E}fdp.exe").unwrap(), "invoicefdp.exe");
        assert_eq!(message_body("exam\u{200B}ple.com/\u{2066}x\u{2069}").unwrap(), "example.com/x");
        assert_eq!(message_body("\u{FEFF}hi\u{2060}").unwrap(), "hi");
        assert!(message_body("\u{200B}\u{202E}").is_err(), "nothing left");
        let kept = "\u{1F469}\u{200D}\u{1F4BB} \u{0645}\u{0631}\u{062D}\u{0628}\u{0627}\u{200F} \u{2764}\u{FE0F} \u{0645}\u{06CC}\u{200C}\u{062E}";
        assert_eq!(message_body(kept).unwrap(), kept);
        assert!(client_id("").is_err());
        assert!(client_id("a b").is_err());
        assert!(client_id("0b7e-11").is_ok());
    }
}
