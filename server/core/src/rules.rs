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

/// The most files one message may carry.
pub const MAX_FILES_PER_MESSAGE: usize = 10;

/// The largest file accepted unless the server is set otherwise (25 MiB).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 25 * 1024 * 1024;

/// A number of bytes as people read it: `812 bytes`, `4.2 KiB`, `25 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let (mut size, mut unit) = (bytes as f64 / 1024.0, 0);
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    let rounded = (size * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} {}", UNITS[unit])
    } else {
        format!("{rounded:.1} {}", UNITS[unit])
    }
}

/// The longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// A message's body when it carries `files` files: blank is allowed then
/// (a picture sent alone); otherwise as [`message_body`].
pub fn message_with_files(raw: &str, files: usize) -> Result<String, RuleError> {
    if files > MAX_FILES_PER_MESSAGE {
        return Err(RuleError::too_large(format!("A message carries at most {MAX_FILES_PER_MESSAGE} files.")));
    }
    if files > 0 && raw.trim().is_empty() {
        return Ok(String::new());
    }
    message_body(raw)
}

/// The name a file is shown and saved under, from the one its uploader
/// gave: its last path part, without control characters or characters
/// that would disguise it, at most [`MAX_FILE_NAME_CHARS`]; `file` when
/// nothing is left. Never where it is stored (that is its content's hash).
pub fn file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        last.chars().filter(|c| !c.is_control() && !disguises_text(*c)).take(MAX_FILE_NAME_CHARS).collect();
    let name = cleaned.trim().trim_start_matches('.').trim();
    if name.is_empty() { "file".to_owned() } else { name.to_owned() }
}

/// The type a file's uploader declared (`image/png`), if it reads as one
/// (`type/subtype` of token characters, parameters dropped);
/// `application/octet-stream` otherwise. Shown only: what a file is served
/// as is told by its bytes.
pub fn declared_type(raw: &str) -> String {
    let essence = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    let token = |t: &str| {
        !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, sub)) if token(kind) && token(sub) => essence,
        _ => "application/octet-stream".to_owned(),
    }
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
    fn file_names_keep_their_last_part_and_nothing_that_misleads() {
        assert_eq!(file_name("../../etc/passwd"), "passwd");
        assert_eq!(file_name("C:\\Users\\ann\\plan.pdf"), "plan.pdf");
        assert_eq!(file_name("report\u{202e}fdp.exe"), "reportfdp.exe");
        assert_eq!(file_name("a\nb\u{0}.txt"), "ab.txt");
        assert_eq!(file_name(".."), "file");
        assert_eq!(file_name(".bashrc"), "bashrc");
        assert_eq!(file_name(""), "file");
        assert_eq!(file_name(&"x".repeat(500)).chars().count(), MAX_FILE_NAME_CHARS);
    }

    #[test]
    fn declared_types_read_as_types_or_not_at_all() {
        assert_eq!(declared_type("image/PNG"), "image/png");
        assert_eq!(declared_type("text/html; charset=utf-8"), "text/html");
        assert_eq!(declared_type("nonsense"), "application/octet-stream");
        assert_eq!(declared_type("text/<script>"), "application/octet-stream");
        assert_eq!(declared_type(""), "application/octet-stream");
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(human_size(812), "812 bytes");
        assert_eq!(human_size(4300), "4.2 KiB");
        assert_eq!(human_size(DEFAULT_MAX_UPLOAD_BYTES), "25 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3 GiB");
    }

    #[test]
    fn a_message_with_files_may_have_no_text() {
        assert_eq!(message_with_files("  ", 1).unwrap(), "");
        assert!(message_with_files("  ", 0).is_err());
        assert_eq!(message_with_files("look", 2).unwrap(), "look");
        assert!(matches!(message_with_files("x", MAX_FILES_PER_MESSAGE + 1), Err(RuleError::TooLarge(_))));
    }

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
