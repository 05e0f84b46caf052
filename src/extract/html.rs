//! Parsing HTML into a document, in bounded time: the nesting depth is checked as the page is
//! parsed. And the address a document's relative links are resolved against.

use scraper::{Html, Selector};
use url::Url;

/// The deepest nesting of elements a page may have. html5ever's tree builder scans its stack
/// of open elements for every start tag, so parsing is quadratic in the depth; browsers stop
/// nesting at this depth too (Chromium's parser). Real pages stay far below it.
pub const MAX_DEPTH: usize = 512;

/// Input is handed to the parser in pieces this long, checking the depth between them.
const PARSE_CHUNK: usize = 16 * 1024;

/// A page whose elements nest deeper than [`MAX_DEPTH`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the page nests elements more than {MAX_DEPTH} levels deep (by byte {at} of {bytes}); it is not read"
)]
pub struct TooDeep {
    /// How far parsing had got.
    pub at: usize,
    /// The page's length.
    pub bytes: usize,
}

/// Parses an HTML document, refusing one nested deeper than [`MAX_DEPTH`]: the depth is checked
/// after each 16 KiB of input, so time stays linear in the page's length.
pub fn parse_html(html: &str) -> Result<Html, TooDeep> {
    use html5ever::tendril::TendrilSink as _;
    let mut parser = html5ever::driver::parse_document(
        scraper::HtmlTreeSink::new(Html::new_document()),
        html5ever::ParseOpts::default(),
    );
    let (mut start, mut checked) = (0, 0);
    while start < html.len() {
        let mut end = (start + PARSE_CHUNK).min(html.len());
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        parser.process(html[start..end].into());
        start = end;
        // Every node made since the last check: the deepest of them is as deep as the stack
        // of open elements got (the last one alone is not: a comment after `</body>` lands
        // at the top while the stack stays deep). Each walk stops past the limit: linear.
        let too_deep = {
            let document = parser.tokenizer.sink.sink.0.borrow();
            let nodes = document.tree.nodes();
            let total = nodes.len();
            // From the back: `Nodes` steps backwards in constant time, but skips forwards one
            // by one.
            let deep = nodes
                .rev()
                .take(total - checked)
                .any(|node| node.ancestors().nth(MAX_DEPTH).is_some());
            checked = total;
            deep
        };
        if too_deep {
            return Err(TooDeep {
                at: start,
                bytes: html.len(),
            });
        }
    }
    Ok(parser.finish())
}

/// The address a document's relative links are resolved against: its http(s) `<base href>`,
/// or its own address.
pub(crate) fn document_base(document: &Html, page_url: &Url) -> Url {
    base_href(document)
        .and_then(|href| page_url.join(&href).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone())
}

fn base_href(document: &Html) -> Option<String> {
    // Parsing a literal selector cannot fail.
    // Only the head's: a `<base>` further down sits in content the site may not control (a
    // comment, a summary), and must not move every link on the page elsewhere.
    let selector = Selector::parse("head base[href]").ok()?;
    document
        .select(&selector)
        .next()
        .and_then(|e| e.value().attr("href"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}
