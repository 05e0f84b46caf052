//! Extraction: runs a feed's selectors over a page and returns what it finds as plain strings.
//!
//! Synchronous and the only user of `scraper`: the parsed document never outlives a call.

use ego_tree::{NodeId, NodeRef};
use scraper::{ElementRef, Html, Node, Selector};
use url::Url;

use crate::config::{FeedSpec, FieldSelector, SummaryFormat};

/// One item as found on the page, before cleaning and validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawItem {
    /// 1-based position among the elements the item selector matched.
    pub position: usize,
    /// Title text (whitespace collapsed), if found.
    pub title: Option<String>,
    /// Link as written in the page (may be relative), if found.
    pub link: Option<String>,
    /// Date candidates in order of preference (a `datetime` attribute, then the text).
    pub dates: Vec<String>,
    /// Summary: plain text, or the element's inner HTML when the feed publishes HTML.
    pub summary: Option<String>,
}

/// What a page yielded.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The URL relative links are resolved against (`<base href>` or the page's address).
    pub base_url: Url,
    /// The items, in page order.
    pub items: Vec<RawItem>,
}

/// A page that yields nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The item selector matched no element.
    #[error(
        "feed \"{feed}\": field \"selectors.item\": \"{selector}\" matches nothing on the page ({bytes} bytes; has its layout changed?)"
    )]
    NoItems {
        /// The feed.
        feed: String,
        /// The item selector.
        selector: String,
        /// Size of the page, to tell an empty or cut-off page from a changed one.
        bytes: usize,
    },
    /// Elements matched, but none yields an item (a title, and an http(s) link or none).
    #[error(
        "feed \"{feed}\": fields \"selectors.title\" and \"selectors.link\": {matched} elements match \"{selector}\" but none yields an item ({titles} have a title, {links} a usable link)"
    )]
    NoUsableItems {
        /// The feed.
        feed: String,
        /// The item selector.
        selector: String,
        /// How many elements the item selector matched.
        matched: usize,
        /// How many had a title.
        titles: usize,
        /// How many had a usable link.
        links: usize,
    },
    /// A date selector is configured but no item's date parses.
    #[error(
        "feed \"{feed}\": field \"selectors.date\": no date parses (\"{selector}\" found date text in {found} of {matched} items{}); check the selector and `date_formats` (or cut the date out of longer text with `regex`)",
        example.as_ref().map(|e| format!(", e.g. \"{e}\"")).unwrap_or_default()
    )]
    NoDates {
        /// The feed.
        feed: String,
        /// The date selector.
        selector: String,
        /// Items with date text.
        found: usize,
        /// Items matched.
        matched: usize,
        /// A date text that did not parse.
        example: Option<String>,
    },
    /// Far fewer items than the last good run found.
    #[error(
        "feed \"{feed}\": field \"selectors.item\": \"{selector}\" matches {found} elements, fewer than {share} of the {last} it matched in the last good run (`min_item_share`); has the layout changed?"
    )]
    TooFewItems {
        /// The feed.
        feed: String,
        /// The item selector.
        selector: String,
        /// Elements matched now.
        found: u64,
        /// Elements matched in the last good run.
        last: u64,
        /// The configured share.
        share: f64,
    },
    /// The page nests too deep to be parsed in bounded time.
    #[error("feed \"{feed}\": field \"url\": {source}")]
    TooDeep {
        /// The feed.
        feed: String,
        /// How deep, and where.
        #[source]
        source: TooDeep,
    },
    /// Dates parsed in the last good run but none parse now.
    #[error(
        "feed \"{feed}\": field \"selectors.date\": no date parses, where {last} did in the last good run; has the date format changed?"
    )]
    DatesLost {
        /// The feed.
        feed: String,
        /// Dates parsed in the last good run.
        last: u64,
    },
}

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

/// A parsed listing page and the elements its item selector matched, in page order.
///
/// Fields are read per item on demand, so a caller can read dates everywhere and the other
/// fields only where it needs them.
pub struct Page {
    document: Html,
    base_url: Url,
    items: Vec<NodeId>,
}

impl Page {
    /// Parses `html`, the page at `page_url`, and finds its items. Fails when the item selector
    /// matches nothing.
    pub fn parse(html: &str, page_url: &Url, spec: &FeedSpec) -> Result<Self, ExtractError> {
        let document = parse_html(html).map_err(|source| ExtractError::TooDeep {
            feed: spec.id.clone(),
            source,
        })?;
        let base_url = document_base(&document, page_url);
        let items: Vec<NodeId> = document
            .select(&spec.selectors.item)
            .map(|element| element.id())
            .collect();
        if items.is_empty() {
            return Err(ExtractError::NoItems {
                feed: spec.id.clone(),
                selector: spec.selectors.item_css.clone(),
                bytes: html.len(),
            });
        }
        Ok(Self {
            document,
            base_url,
            items,
        })
    }

    /// How many elements the item selector matched (never 0).
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Always false: a page without items fails to parse.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The URL relative links are resolved against (`<base href>` or the page's address).
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    fn element(&self, index: usize) -> Option<ElementRef<'_>> {
        let id = *self.items.get(index)?;
        self.document.tree.get(id).and_then(ElementRef::wrap)
    }

    /// Date candidates of item `index` (0-based), in order of preference.
    pub fn dates(&self, index: usize, spec: &FeedSpec) -> Vec<String> {
        match (self.element(index), spec.selectors.date.as_ref()) {
            (Some(element), Some(field)) => field_dates(element, field),
            _ => Vec::new(),
        }
    }

    /// Every field of item `index` (0-based).
    pub fn item(&self, index: usize, spec: &FeedSpec) -> RawItem {
        let position = index + 1;
        let Some(element) = self.element(index) else {
            return RawItem {
                position,
                ..RawItem::default()
            };
        };
        let selectors = &spec.selectors;
        let title_element = field_element(element, &selectors.title);
        // Title and link are often the same element: find it once.
        let link_element = if selectors.link.css == selectors.title.css {
            title_element
        } else {
            field_element(element, &selectors.link)
        };
        let title = title_element
            .and_then(|e| title_of(e, &selectors.title))
            .and_then(|t| selectors.title.cut(t));
        // A "Read more" link is no title, and an item without a title link (often one without
        // a link) still has a heading: the item's heading says what it is.
        let title = match title {
            Some(text) if is_read_more(&text) => heading_of(element).or(Some(text)),
            Some(text) => Some(text),
            None => heading_of(element),
        };
        RawItem {
            position,
            title,
            link: link_element
                .and_then(|e| link_of(e, &selectors.link))
                .and_then(|l| selectors.link.cut(l)),
            dates: self.dates(index, spec),
            summary: selectors.summary.as_ref().and_then(|f| {
                let e = field_element(element, f)?;
                let text = match (&f.attr, spec.summary_format) {
                    (Some(attr), _) => attr_text(e, attr),
                    (None, SummaryFormat::Text) => non_empty(text_of(e)),
                    (None, SummaryFormat::Html) => non_empty(e.inner_html().trim().to_string()),
                };
                text.and_then(|t| f.cut(t))
            }),
        }
    }

    /// For each field whose selector matches more than one element in some items: the field's
    /// name and in how many items (only the first match is read; a narrower selector may be
    /// meant).
    pub fn ambiguous_fields(&self, spec: &FeedSpec) -> Vec<(&'static str, usize)> {
        let selectors = &spec.selectors;
        let fields = [
            ("title", Some(&selectors.title)),
            ("link", Some(&selectors.link)),
            ("date", selectors.date.as_ref()),
            ("summary", selectors.summary.as_ref()),
        ];
        fields
            .into_iter()
            .filter_map(|(name, field)| {
                let selector = field?.selector.as_ref()?;
                let items = (0..self.len())
                    .filter_map(|i| self.element(i))
                    .filter(|item| item.select(selector).nth(1).is_some())
                    .count();
                (items > 0).then_some((name, items))
            })
            .collect()
    }

    /// The items at `indices` (0-based, in the order given) with every field read.
    pub fn extraction(
        &self,
        indices: impl IntoIterator<Item = usize>,
        spec: &FeedSpec,
    ) -> Extraction {
        Extraction {
            base_url: self.base_url.clone(),
            items: indices.into_iter().map(|i| self.item(i, spec)).collect(),
        }
    }
}

/// What an item's own page gives, as found (summary and content not yet cleaned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    /// The content element's inner HTML.
    pub content: Option<String>,
    /// Date candidates, in order of preference.
    pub dates: Vec<String>,
    /// Summary text.
    pub summary: Option<String>,
    /// Author text.
    pub author: Option<String>,
    /// Image address as written (may be relative).
    pub image: Option<String>,
    /// The address relative links are resolved against.
    pub base_url: Url,
}

/// Reads `fields` from an item's own page, `html` at `page_url`.
/// A page nested deeper than [`MAX_DEPTH`] yields nothing.
pub fn read_detail(html: &str, page_url: &Url, fields: &crate::config::DetailSelectors) -> Detail {
    let document = match parse_html(html) {
        Ok(document) => document,
        Err(err) => {
            tracing::warn!("{page_url}: {err}");
            return Detail {
                content: None,
                dates: Vec::new(),
                summary: None,
                author: None,
                image: None,
                base_url: page_url.clone(),
            };
        }
    };
    let root = document.root_element();
    let base_url = document_base(&document, page_url);
    let text = |field: &Option<FieldSelector>| {
        let field = field.as_ref()?;
        let element = field_element(root, field)?;
        let value = match &field.attr {
            Some(attr) => attr_text(element, attr),
            None => non_empty(text_of(element)),
        };
        value.and_then(|v| field.cut(v))
    };
    Detail {
        content: fields.content.as_ref().and_then(|field| {
            let element = field_element(root, field)?;
            non_empty(element.inner_html().trim().to_string())
        }),
        dates: fields
            .date
            .as_ref()
            .map(|f| field_dates(root, f))
            .unwrap_or_default(),
        summary: text(&fields.summary),
        author: text(&fields.author),
        // The image's attribute defaults to `src` (see config).
        image: text(&fields.image),
        base_url,
    }
}

/// The address of the next page of a listing: the `href` of the first element `next` matches,
/// resolved like item links; `None` when there is none or it is not http(s).
pub fn next_page_url(html: &str, page_url: &Url, next: &Selector) -> Option<Url> {
    let document = parse_html(html).ok()?;
    let base = document_base(&document, page_url);
    let element = document.select(next).next()?;
    let href = element
        .value()
        .attr("href")
        .or_else(|| {
            element
                .descendent_elements()
                .find_map(|e| e.value().attr("href"))
        })
        .filter(|h| !is_placeholder_link(h))?;
    base.join(href.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url != page_url)
}

/// Runs `spec`'s selectors over `html`, a page whose address is `page_url`, reading every item.
pub fn extract(html: &str, page_url: &Url, spec: &FeedSpec) -> Result<Extraction, ExtractError> {
    let page = Page::parse(html, page_url, spec)?;
    Ok(page.extraction(0..page.len(), spec))
}

/// The address a document's relative links are resolved against: its http(s) `<base href>`,
/// or its own address.
fn document_base(document: &Html, page_url: &Url) -> Url {
    base_href(document)
        .and_then(|href| page_url.join(&href).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))
        .unwrap_or_else(|| page_url.clone())
}

/// The date candidates `field` finds under `element`, cut by its regex.
fn field_dates(element: ElementRef<'_>, field: &FieldSelector) -> Vec<String> {
    field_element(element, field)
        .map(|e| date_candidates(e, field))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| field.cut(c))
        .collect()
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

/// The element a field is read from: the first match under the item, or the item itself.
fn field_element<'a>(item: ElementRef<'a>, field: &FieldSelector) -> Option<ElementRef<'a>> {
    match &field.selector {
        Some(selector) => item.select(selector).next(),
        None => Some(item),
    }
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

fn attr_text(element: ElementRef<'_>, attr: &str) -> Option<String> {
    element
        .value()
        .attr(attr)
        .map(clean_text)
        .and_then(non_empty)
}

/// Link texts that only invite a click, in the languages pressfeed reads.
const READ_MORE: &[&str] = &[
    "read more",
    "more",
    "read the full story",
    "continue reading",
    "learn more",
    "details",
    "full story",
    "read",
    "view",
    "weiterlesen",
    "mehr",
    "mehr lesen",
    "lire la suite",
    "en savoir plus",
    "lire plus",
    "leer más",
    "leer mas",
    "ver más",
    "leia mais",
    "saiba mais",
    "continua a leggere",
    "leggi tutto",
    "leggi di più",
    "lees meer",
    "meer",
    "подробнее",
    "читать далее",
    "阅读全文",
    "阅读更多",
    "更多",
    "详情",
    "詳細",
    "続きを読む",
    "もっと見る",
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
    READ_MORE.contains(&core.as_str())
}

/// The text of the item's first heading (`h1`–`h6`), if it has one with text.
fn heading_of(item: ElementRef<'_>) -> Option<String> {
    item.descendent_elements()
        .filter(|e| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
        .find_map(|e| non_empty(text_of(e)))
}

fn title_of(element: ElementRef<'_>, field: &FieldSelector) -> Option<String> {
    match &field.attr {
        Some(attr) => attr_text(element, attr),
        None => non_empty(text_of(element))
            .or_else(|| attr_text(element, "title"))
            .or_else(|| attr_text(element, "aria-label"))
            .or_else(|| {
                element
                    .descendent_elements()
                    .find(|e| e.value().name() == "img")
                    .and_then(|img| attr_text(img, "alt"))
            }),
    }
}

/// The link of a field: its attribute (default `href`), or, when the element has none, that of
/// the first link inside it.
fn link_of(element: ElementRef<'_>, field: &FieldSelector) -> Option<String> {
    let attr = field.attr.as_deref().unwrap_or("href");
    let own = element
        .value()
        .attr(attr)
        .filter(|v| !is_placeholder_link(v));
    let raw = own.or_else(|| {
        if attr != "href" {
            return None;
        }
        element
            .descendent_elements()
            .filter(|e| e.value().name() == "a")
            .filter_map(|e| e.value().attr("href"))
            .find(|href| !is_placeholder_link(href))
    })?;
    Some(raw.trim().to_string())
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

/// Date candidates: the named attribute; otherwise a machine-readable attribute (`datetime` of
/// the element or a `<time>` inside it, `content`), then the text.
fn date_candidates(element: ElementRef<'_>, field: &FieldSelector) -> Vec<String> {
    if let Some(attr) = &field.attr {
        return attr_text(element, attr).into_iter().collect();
    }
    let mut candidates = Vec::new();
    let machine = element
        .value()
        .attr("datetime")
        .or_else(|| element.value().attr("content"))
        .or_else(|| {
            element
                .descendent_elements()
                .find(|e| e.value().name() == "time")
                .and_then(|e| e.value().attr("datetime"))
        });
    if let Some(value) = machine.map(clean_text).filter(|v| !v.is_empty()) {
        candidates.push(value);
    }
    let text = text_of(element);
    if !text.is_empty() && !candidates.contains(&text) {
        candidates.push(text);
    }
    candidates
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
pub struct CleanText {
    out: String,
    pending_space: bool,
}

impl CleanText {
    /// Appends `text`.
    pub fn push_str(&mut self, text: &str) {
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
    pub fn space(&mut self) {
        self.pending_space = true;
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

/// Whether XML 1.0 allows `c` in text and it is not a C1 control (which readers show as
/// garbage): tabs and line ends, and everything printable but U+FFFE and U+FFFF.
pub fn is_xml_char(c: char) -> bool {
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

/// Plain text for a feed: whitespace (including no-break spaces) collapsed to single spaces
/// and trimmed, characters XML cannot carry removed.
pub fn clean_text(text: &str) -> String {
    let mut out = CleanText::default();
    out.push_str(text);
    out.finish()
}
