//! Text for feeds: clean text from page elements, the characters XML can carry, escaping,
//! sanitised HTML, resolved links, and the words of "read more" links.
//!
//! A leaf: it uses nothing else of pressfeed, so every step can use it.

use std::borrow::Cow;

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Node};
use url::Url;

/// Plain text for a feed: whitespace (including no-break spaces) collapsed to single spaces
/// and trimmed, characters XML cannot carry removed.
pub fn clean_text(text: &str) -> String {
    let mut out = CleanText::default();
    out.push_str(text);
    out.finish()
}

/// Visible text of an element, clean for a feed: scripts, styles and templates left out, block
/// boundaries and `<br>` read as spaces, whitespace collapsed, characters XML forbids removed.
pub fn text_of(element: ElementRef<'_>) -> String {
    let mut out = CleanText::default();
    collect_text(*element, &mut out);
    out.finish()
}

/// Walks the subtree without recursion (pages can nest elements very deeply).
fn collect_text(node: NodeRef<'_, Node>, out: &mut CleanText) {
    use ego_tree::iter::Edge;
    // The element whose subtree is being skipped (a script, a style), if any.
    let mut skipping: Option<NodeId> = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(child) if child.id() != node.id() && skipping.is_none() => {
                match child.value() {
                    Node::Text(text) => out.push_str(text),
                    Node::Element(element) => {
                        let name = element.name();
                        if matches!(name, "script" | "style" | "template" | "noscript") {
                            skipping = Some(child.id());
                        } else if is_block(name) || name == "br" {
                            out.space();
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(child) if child.id() != node.id() => {
                if skipping == Some(child.id()) {
                    skipping = None;
                } else if skipping.is_none()
                    && let Node::Element(element) = child.value()
                    && is_block(element.name())
                {
                    out.space();
                }
            }
            _ => {}
        }
    }
}

/// Builds clean text in one pass: whitespace runs become one space (none at the ends) and
/// characters XML cannot carry are dropped.
#[derive(Debug, Default)]
pub(crate) struct CleanText {
    out: String,
    pending_space: bool,
}

impl CleanText {
    /// Appends `text`.
    pub(crate) fn push_str(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() {
                if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                    self.pending_space = true;
                    i += 1;
                } else if b < 0x20 || b == 0x7F {
                    // Controls XML forbids (or readers garble): dropped.
                    i += 1;
                } else {
                    // A run of printable ASCII is copied at once.
                    let start = i;
                    while i < bytes.len() && bytes[i] > b' ' && bytes[i] < 0x7F {
                        i += 1;
                    }
                    self.push_word(&text[start..i]);
                }
            } else {
                let Some(c) = text[i..].chars().next() else {
                    break;
                };
                i += c.len_utf8();
                if !is_xml_char(c) {
                    continue;
                }
                if c.is_whitespace() {
                    self.pending_space = true;
                } else {
                    let mut buf = [0; 4];
                    self.push_word(c.encode_utf8(&mut buf));
                }
            }
        }
    }

    fn push_word(&mut self, word: &str) {
        if self.pending_space && !self.out.is_empty() {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(word);
    }

    /// Marks a word boundary.
    pub(crate) fn space(&mut self) {
        self.pending_space = true;
    }

    /// The text.
    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// Whether XML 1.0 allows `c` in text and it is not a C1 control (which readers show as
/// garbage): tabs and line ends, and everything printable but U+FFFE and U+FFFF.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{7E}').contains(&c)
        || ('\u{A0}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "li"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "td"
            | "th"
            | "tr"
            | "table"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "blockquote"
            | "figure"
            | "figcaption"
    )
}

/// Removes the characters XML 1.0 forbids (most C0 controls, U+FFFE, U+FFFF) and the C1
/// controls, which readers show as garbage; borrows when there is nothing to remove.
pub fn strip_forbidden_chars(text: &str) -> Cow<'_, str> {
    if text.chars().all(is_xml_char) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Whether `c` can change what a terminal shows beyond its own glyph: a control character
/// (C0 but line feed and tab, DEL, C1: ESC and CSI start escape sequences) or a bidirectional
/// override or isolate, which reorders the text around it.
pub(crate) fn moves_the_terminal(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` safe to print to a terminal: every character that could start an escape sequence
/// or reorder the line is shown as its code (`\u{1b}`) instead; page text cannot move the
/// cursor, retitle the window or hide what follows. Borrows when there is nothing to change.
pub fn for_terminal(text: &str) -> Cow<'_, str> {
    use std::fmt::Write as _;
    if !text.chars().any(moves_the_terminal) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if moves_the_terminal(c) {
            let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

/// Escapes text for use as HTML (RSS `description` is HTML).
pub fn escape_html(text: &str) -> String {
    escape(text, false)
}

/// Escapes text for HTML or XML text and attribute values alike (quotes too).
pub fn escape_attribute(text: &str) -> String {
    escape(text, true)
}

fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if quotes => out.push_str("&quot;"),
            '\'' if quotes => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Sanitises summary HTML with ammonia: scripts, styles, event handlers and unsafe URLs go;
/// relative links and images become absolute.
pub fn sanitise_html(html: &str, base: &Url) -> String {
    let cleaned = ammonia::Builder::default()
        .url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .clean(&strip_forbidden_chars(html))
        .to_string();
    cleaned.trim().to_string()
}

/// A link a feed cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// The link does not parse, even against the page's address.
    #[error("\"{href}\" is not a valid link: {error}")]
    Invalid {
        /// The link as written.
        href: String,
        /// Why it does not parse.
        error: url::ParseError,
    },
    /// The link is not http(s) (`mailto:`, `javascript:`, `data:`, …).
    #[error("\"{href}\" is not an http(s) link")]
    NotHttp {
        /// The link as written.
        href: String,
    },
}

/// Resolves `href` against `base`; only http(s) results are links a feed can carry.
pub fn resolve_link(base: &Url, href: &str) -> Result<String, LinkError> {
    let url = base.join(href.trim()).map_err(|error| LinkError::Invalid {
        href: href.to_string(),
        error,
    })?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url.into())
    } else {
        Err(LinkError::NotHttp {
            href: href.to_string(),
        })
    }
}

/// `href=""`, `href="#"` and `javascript:` links lead nowhere: scripts handle the click.
pub(crate) fn is_placeholder_link(href: &str) -> bool {
    let href = href.trim();
    // URL parsers drop tabs and newlines anywhere, so `java\tscript:` is `javascript:`.
    let mut chars = href.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r'));
    href.is_empty()
        || href == "#"
        || "javascript:".chars().all(|expected| {
            chars
                .next()
                .is_some_and(|c| c.eq_ignore_ascii_case(&expected))
        })
}

/// Link texts that only invite a click, in the languages pressfeed reads, lower case. `true`
/// marks the phrases that also start such a link when it goes on to quote the title
/// ("Continue reading “Water off until March”"); short words ("more", "read") start real
/// titles too, so they only count alone.
const READ_MORE: &[(&str, bool)] = &[
    ("read more", true),
    ("more", false),
    ("read the full story", false),
    ("read the rest", true),
    ("continue reading", true),
    ("learn more", false),
    ("details", false),
    ("full story", false),
    ("read", false),
    ("view", false),
    ("weiterlesen", true),
    ("mehr", false),
    ("mehr lesen", false),
    ("lire la suite", true),
    ("en savoir plus", false),
    ("lire plus", false),
    ("leer más", true),
    ("leer mas", false),
    ("ver más", false),
    ("leia mais", true),
    ("saiba mais", false),
    ("continua a leggere", true),
    ("leggi tutto", false),
    ("leggi di più", false),
    ("lees meer", false),
    ("lees verder", true),
    ("meer", false),
    ("подробнее", false),
    ("читать далее", false),
    ("阅读全文", false),
    ("阅读更多", false),
    ("更多", false),
    ("详情", false),
    ("詳細", false),
    ("続きを読む", false),
    ("もっと見る", false),
];

/// Whether `title` is only a "read more" link text (arrows, dots and brackets aside).
pub(crate) fn is_read_more(title: &str) -> bool {
    // Every such phrase is short: a real title is not looked up.
    if title.len() > 40 {
        return false;
    }
    let core = title
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    READ_MORE.iter().any(|(phrase, _)| *phrase == core)
}

/// Whether `text` starts with a "read more" phrase long enough to say so on its own: a
/// read-more link that quotes the title.
pub(crate) fn starts_read_more(text: &str) -> bool {
    let lower = text.to_lowercase();
    READ_MORE
        .iter()
        .any(|(phrase, starts)| *starts && lower.starts_with(phrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_for_a_terminal_shows_escape_sequences_as_codes() {
        assert_eq!(for_terminal("plain\ttext\n"), "plain\ttext\n");
        assert!(matches!(for_terminal("plain"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("a\u{1b}]0;owned\u{7}b\u{9b}2Jc\u{202e}d\re"),
            "a\\u{1b}]0;owned\\u{7}b\\u{9b}2Jc\\u{202e}d\\u{d}e"
        );
    }

    #[test]
    fn links_resolve_against_the_base() {
        let base = Url::parse("https://www.ilo.org/beijing/press/lang--en/index.htm").unwrap();
        assert_eq!(
            resolve_link(&base, "/global/WCMS_1/lang--en/index.htm").unwrap(),
            "https://www.ilo.org/global/WCMS_1/lang--en/index.htm"
        );
        assert_eq!(
            resolve_link(&base, "../x.pdf").unwrap(),
            "https://www.ilo.org/beijing/press/x.pdf"
        );
        assert_eq!(
            resolve_link(&base, "//cdn.example.org/a").unwrap(),
            "https://cdn.example.org/a"
        );
        assert_eq!(
            resolve_link(&base, "#top").unwrap(),
            "https://www.ilo.org/beijing/press/lang--en/index.htm#top"
        );
        assert_eq!(
            resolve_link(&base, "javascript:void(0)")
                .unwrap_err()
                .to_string(),
            "\"javascript:void(0)\" is not an http(s) link"
        );
        assert!(resolve_link(&base, "mailto:a@b.c").is_err());
        assert_eq!(
            resolve_link(&base, "http://[bad").unwrap_err().to_string(),
            "\"http://[bad\" is not a valid link: invalid IPv6 address"
        );
    }

    #[test]
    fn text_is_cleaned_for_xml() {
        assert_eq!(clean_text("  a\u{0}b\u{8}\n\t c\u{FFFF}\u{85}d "), "ab cd");
        assert_eq!(
            clean_text("Rock\u{A0}&\u{A0}roll ]]> 👍"),
            "Rock & roll ]]> 👍"
        );
    }

    #[test]
    fn html_summaries_are_sanitised() {
        let base = Url::parse("https://example.org/news/").unwrap();
        let html = sanitise_html(
            r#"<p onclick="x()">Hi <a href="a.htm">there</a><script>alert(1)</script><img src="/i.png" onerror="y()"><iframe src="//evil"></iframe></p>"#,
            &base,
        );
        assert_eq!(
            html,
            r#"<p>Hi <a href="https://example.org/news/a.htm" rel="noopener noreferrer">there</a><img src="https://example.org/i.png"></p>"#
        );
    }

    #[test]
    fn read_more_links_alone_or_quoting_the_title() {
        for text in ["Read more »", "[Lire la suite]", "更多", "Lees verder…"] {
            assert!(is_read_more(text), "{text}");
        }
        for text in ["More than 100 workers join", "Read: the report"] {
            assert!(!is_read_more(text), "{text}");
        }
        assert!(starts_read_more("Continue reading “Water off until March”"));
        assert!(starts_read_more("Lees verder: de nieuwe wet"));
        assert!(!starts_read_more("More than 100 workers join"));
        assert!(!starts_read_more("Reading the report"));
    }
}
