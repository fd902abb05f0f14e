//! A message's text as people read it: CommonMark for what chat needs
//! (bold, italic, strike, inline code, code blocks, quotes, lists, links),
//! made into HTML by one function, the same on the server and in the
//! browser. The stored text stays what the person typed; this only shows it.
//!
//! Nothing written becomes markup of its own: HTML in a message is shown as
//! the text it is, a link goes only to `http:`, `https:` or `mailto:` (any
//! other, `javascript:` above all, is shown as its words alone) and opens
//! with `rel="noopener noreferrer nofollow"`, an image is shown as a link to
//! it, and a line break is a line break, as in every chat.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd, html};
use pulldown_cmark_escape::escape_href;

/// The schemes a link may have.
const SAFE_SCHEMES: [&str; 3] = ["http:", "https:", "mailto:"];

/// `text` (as typed) as HTML that is safe to put in the page as it is.
pub fn to_html(text: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut links = Vec::new();
    let events = Parser::new_ext(text, options).filter_map(|event| safe(event, &mut links));
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    html::push_html(&mut out, events);
    out
}

/// An event as it may be shown. `links` keeps, for each link or image open
/// around here, whether it was shown as one (so its end is too).
fn safe<'a>(event: Event<'a>, links: &mut Vec<bool>) -> Option<Event<'a>> {
    Some(match event {
        // Markup typed into a message is text.
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        Event::SoftBreak => Event::HardBreak,
        Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
            let Some(href) = safe_href(&dest_url) else {
                links.push(false);
                return None;
            };
            links.push(true);
            Event::InlineHtml(CowStr::from(href))
        }
        Event::End(TagEnd::Link | TagEnd::Image) => {
            if links.pop() != Some(true) {
                return None;
            }
            Event::InlineHtml(CowStr::Borrowed("</a>"))
        }
        // Footnotes, tables, math and the like are not turned on: nothing
        // else comes that needs a look.
        other => other,
    })
}

/// The opening `<a>` for a link to `url`, if its scheme is a safe one.
fn safe_href(url: &str) -> Option<String> {
    let url = url.trim();
    let scheme_end = url.find(':')?;
    let scheme = url[..=scheme_end].to_ascii_lowercase();
    if !SAFE_SCHEMES.contains(&scheme.as_str()) {
        return None;
    }
    let mut tag = String::from("<a href=\"");
    escape_href(&mut tag, url).ok()?;
    tag.push_str("\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">");
    Some(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` escaped for HTML.
    fn plain(text: &str) -> String {
        let mut out = String::new();
        pulldown_cmark_escape::escape_html(&mut out, text).unwrap();
        out
    }

    #[test]
    fn what_chat_needs_is_formatted() {
        assert_eq!(
            to_html("**bold** *it* ~~gone~~ `code`"),
            "<p><strong>bold</strong> <em>it</em> <del>gone</del> <code>code</code></p>\n"
        );
        assert_eq!(to_html("one\ntwo"), "<p>one<br />\ntwo</p>\n", "a line break is kept");
        assert_eq!(
            to_html("> said\n\n- a\n- b"),
            "<blockquote>\n<p>said</p>\n</blockquote>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        );
        assert_eq!(to_html("```\nlet x = 1 < 2;\n```"), "<pre><code>let x = 1 &lt; 2;\n</code></pre>\n");
        assert_eq!(
            to_html("[docs](https://example.com/a?b=1&c=2)"),
            "<p><a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">docs</a></p>\n"
        );
        assert!(to_html("<mailto:me@example.com>").contains("href=\"mailto:me@example.com\""));
    }

    /// Hostile input: nothing in it may become markup, a script, an event
    /// handler or a link to anything but the safe schemes.
    const CORPUS: &[&str] = &[
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x]( javascript:alert(1) )",
        "[x](javascript&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](vbscript:msgbox(1))",
        "![x](javascript:alert(1))",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<javascript:alert(1)>",
        "[x](https://ok.example/\"onmouseover=\"alert(1))",
        "`<script>`",
        "<iframe src=https://evil.example></iframe>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<!-- <script>alert(1)</script> -->",
        "<div\nonclick=alert(1)>x</div>",
        "**<b onclick=alert(1)>x</b>**",
    ];

    /// Every tag in `html` (a literal `<` is always one: text has `&lt;`):
    /// one of those formatting makes, with no attribute but a link's safe
    /// `href`, `rel` and `target`.
    fn only_safe_tags(input: &str, html: &str) {
        const MADE: [&str; 19] = [
            "p",
            "br",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
        ];
        for (at, _) in html.match_indices('<') {
            let tag = &html[at + 1..at + html[at..].find('>').expect("a tag ends")];
            let closing = tag.starts_with('/');
            let tag = tag.trim_start_matches('/').trim_end_matches('/').trim();
            let (name, attributes) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(MADE.contains(&name), "{input:?} made <{tag}> in {html}");
            if closing {
                assert!(attributes.is_empty(), "{input:?} made </{tag}> in {html}");
            } else if name == "a" {
                let href =
                    attributes.strip_prefix("href=\"").unwrap_or_else(|| panic!("{input:?} made <{tag}> in {html}"));
                assert!(SAFE_SCHEMES.iter().any(|s| href.to_ascii_lowercase().starts_with(s)), "{input:?}: {tag}");
                let rest = &href[href.find('"').expect("quoted") + 1..];
                assert_eq!(rest, " rel=\"noopener noreferrer nofollow\" target=\"_blank\"", "{input:?}: {tag}");
            } else if name != "ol" {
                assert!(attributes.is_empty(), "{input:?} made <{tag}>");
            }
        }
    }

    #[test]
    fn nothing_hostile_gets_through() {
        for input in CORPUS {
            only_safe_tags(input, &to_html(input));
        }
        assert_eq!(to_html("<script>alert(1)</script>"), plain("<script>alert(1)</script>"), "shown as typed");
        assert_eq!(to_html("[x](javascript:alert(1))"), "<p>x</p>\n", "the words stay, the link goes");
        assert_eq!(to_html("[x](javascript&#58;alert(1))"), "<p>x</p>\n", "entities are read before the look");
    }

    #[test]
    fn bombs_end_quickly_and_whole() {
        let nested = "*".repeat(2000) + "x" + &"*".repeat(2000);
        let brackets = "[".repeat(4000);
        let quotes = "> ".repeat(2000) + "deep";
        let lists = (0..500).map(|i| format!("{}- x\n", "  ".repeat(i))).collect::<String>();
        for input in [nested, brackets, quotes, lists] {
            let out = to_html(&input);
            only_safe_tags(&input, &out);
            assert!(!out.is_empty() && out.len() < input.len() * 20, "{} bytes became {}", input.len(), out.len());
        }
    }
}
