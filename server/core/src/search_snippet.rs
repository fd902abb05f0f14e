//! A found message's text as a result shows it: a window of at most
//! [`SNIPPET_CHARS`] characters around the first place a searched word
//! occurs, cut at word boundaries where it can be, with every occurrence of
//! every word marked (matched whatever the case).

/// The most characters a snippet shows.
pub const SNIPPET_CHARS: usize = 200;

/// How many characters come before the first match, when the text is cut.
const LEAD: usize = 60;

/// A piece of a snippet: found (`hit`) or not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnippetPart {
    pub text: String,
    pub hit: bool,
}

/// `body` cut around the first occurrence of any of `terms`, occurrences marked.
pub fn snippet(body: &str, terms: &[String]) -> Vec<SnippetPart> {
    let chars: Vec<char> = body.chars().collect();
    let folded: Vec<char> = chars.iter().map(|&c| fold(c)).collect();
    let mut hit = vec![false; chars.len()];
    for term in terms {
        let t: Vec<char> = term.chars().map(fold).collect();
        if t.is_empty() || t.len() > folded.len() {
            continue;
        }
        for start in 0..=folded.len() - t.len() {
            if folded[start..start + t.len()] == t[..] {
                hit[start..start + t.len()].iter_mut().for_each(|h| *h = true);
            }
        }
    }
    let (from, to) = window(&chars, hit.iter().position(|&h| h).unwrap_or(0));
    let mut parts: Vec<SnippetPart> = Vec::new();
    if from > 0 {
        parts.push(SnippetPart { text: "…".into(), hit: false });
    }
    for i in from..to {
        match parts.last_mut() {
            Some(last) if last.hit == hit[i] => last.text.push(chars[i]),
            _ => parts.push(SnippetPart { text: chars[i].to_string(), hit: hit[i] }),
        }
    }
    if to < chars.len() {
        match parts.last_mut() {
            Some(last) if !last.hit => last.text.push('…'),
            _ => parts.push(SnippetPart { text: "…".into(), hit: false }),
        }
    }
    parts
}

/// A character as matching compares it (one to one, so places line up).
fn fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Where the shown text starts and ends around `first` (the first match),
/// moved to a space nearby so that words are not cut.
fn window(chars: &[char], first: usize) -> (usize, usize) {
    if chars.len() <= SNIPPET_CHARS {
        return (0, chars.len());
    }
    let mut from = first.saturating_sub(LEAD).min(chars.len() - SNIPPET_CHARS);
    if from > 0
        && let Some(space) = chars[from..first].iter().position(|c| c.is_whitespace())
    {
        from += space + 1;
    }
    let mut to = (from + SNIPPET_CHARS).min(chars.len());
    if to < chars.len()
        && let Some(space) = chars[first.max(from)..to].iter().rposition(|c| c.is_whitespace())
    {
        to = first.max(from) + space;
    }
    (from, to)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(parts: &[SnippetPart]) -> String {
        parts.iter().map(|p| if p.hit { format!("[{}]", p.text) } else { p.text.clone() }).collect()
    }

    #[test]
    fn every_occurrence_is_marked_whatever_the_case() {
        let terms = ["deploy".to_owned(), "PROD".to_owned()];
        assert_eq!(
            shown(&snippet("Deploy to prod: deploy-prod is green", &terms)),
            "[Deploy] to [prod]: [deploy]-[prod] is green"
        );
        assert_eq!(shown(&snippet("部署完成了吗？", &["部署完".to_owned()])), "[部署完]成了吗？");
        assert_eq!(shown(&snippet("nothing here", &["absent".to_owned()])), "nothing here");
    }

    #[test]
    fn a_long_text_is_cut_around_the_first_match_at_spaces() {
        let body = format!("{} the needle is here {}", "hay ".repeat(100), "straw ".repeat(100));
        let parts = snippet(&body, &["needle".to_owned()]);
        let text = shown(&parts);
        assert!(text.starts_with('…') && text.ends_with('…'), "{text}");
        assert!(text.contains("the [needle] is here"), "{text}");
        let length: usize = parts.iter().map(|p| p.text.chars().count()).sum();
        assert!(length <= SNIPPET_CHARS + 2, "{length}");
        assert!(!text.contains("…ay") && !text.contains("stra…"), "cut between words: {text}");
    }
}
