//! Who a message mentions: `@username` (a member, matched without regard to
//! case), `@channel` (everyone in the channel) and `@here` (everyone in it
//! who is online). Shared by the server (who to tell) and the browser (what
//! to suggest while typing). Code (`inline` or fenced) mentions nobody.

/// What a message's text mentions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    /// The names after `@`, lowercased, each once, in the order written.
    pub names: Vec<String>,
    /// `@channel`.
    pub channel: bool,
    /// `@here`.
    pub here: bool,
}

impl Mentioned {
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && !self.channel && !self.here
    }
}

/// Names that mean more than one person, never usernames.
pub const RESERVED: [&str; 3] = ["channel", "here", "everyone"];

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// What `body` mentions.
pub fn mentioned(body: &str) -> Mentioned {
    let mut found = Mentioned::default();
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                // A run of backticks opens code, which the same run closes.
                let run = chars[i..].iter().take_while(|c| **c == '`').count();
                let close = (i + run..chars.len()).find(|&j| {
                    chars[j..].iter().take_while(|c| **c == '`').count() == run && (j == 0 || chars[j - 1] != '`')
                });
                i = close.map_or(i + run, |j| j + run);
            }
            '@' if i == 0 || !name_char(chars[i - 1]) => {
                let name: String = chars[i + 1..].iter().take_while(|c| name_char(**c)).collect();
                i += 1 + name.len();
                // A sentence's full stop or dash after the name is not of it.
                let name = name.trim_end_matches(['.', '-']).to_ascii_lowercase();
                match name.as_str() {
                    "channel" | "everyone" => found.channel = true,
                    "here" => found.here = true,
                    _ if (3..=32).contains(&name.len()) && !found.names.contains(&name) => found.names.push(name),
                    _ => {}
                }
            }
            _ => i += 1,
        }
    }
    found
}

/// The `@` word being typed at the end of `draft`, if any: what follows the
/// `@` (maybe empty), for suggesting names.
pub fn typing_mention(draft: &str) -> Option<&str> {
    let at = draft.rfind('@')?;
    let before_ok = draft[..at].chars().next_back().is_none_or(|c| !name_char(c));
    let word = &draft[at + 1..];
    (before_ok && word.chars().all(name_char) && word.len() <= 32).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_channel_and_here_are_found_once_each_outside_code() {
        let m = mentioned("@Bob and @ann.lee, see `@carl` and\n```\n@dave\n```\nthanks @bob. cc @here @channel");
        assert_eq!(m.names, vec!["bob", "ann.lee"]);
        assert!(m.channel && m.here);
        assert!(mentioned("mail me at ann@example.com").is_empty(), "an address mentions nobody");
        assert!(mentioned("@ab is too short; so is @").names.is_empty());
        assert_eq!(mentioned("(@eve)").names, vec!["eve"]);
        assert!(mentioned("``unclosed @carl").names == vec!["carl"], "an unclosed run is text");
    }

    #[test]
    fn the_word_being_typed_is_the_last_at_word() {
        assert_eq!(typing_mention("hi @bo"), Some("bo"));
        assert_eq!(typing_mention("hi @"), Some(""));
        assert_eq!(typing_mention("hi @bob "), None);
        assert_eq!(typing_mention("ann@ex"), None);
        assert_eq!(typing_mention("no at"), None);
    }
}
