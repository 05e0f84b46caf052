//! Extraction: runs a feed's selectors over a page and returns what it finds as plain strings.
//!
//! Synchronous: a parsed document never outlives a call, and never crosses an `.await`.

mod html;
mod json;

use std::collections::HashMap;

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

pub(crate) use html::document_base;
pub use html::{MAX_DEPTH, TooDeep, parse_html};
pub(crate) use json::plain_text;

use crate::spec::{
    DetailSelectors, FeedSpec, Field, FieldSelector, ItemSelector, PageFormat, Scope, SummaryFormat,
};
use crate::text::{clean_text, is_placeholder_link, is_read_more, text_of};

/// Most values a field with several (categories, enclosures) reads per item; the feed keeps
/// fewer.
pub(crate) const MAX_VALUES: usize = 64;

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
    /// Image address as written (may be relative), if found.
    pub image: Option<String>,
    /// Author text, if found.
    pub author: Option<String>,
    /// Category texts, in page order, each once.
    pub categories: Vec<String>,
    /// Enclosure links as written (may be relative), in page order.
    pub enclosures: Vec<String>,
    /// JSON fields whose value is not text (an array or an object): each is left out.
    pub wrong_types: Vec<WrongType>,
}

/// A JSON field whose value is an array or an object where text is expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongType {
    /// The field: `title`, `link`, `date` or `summary`.
    pub field: &'static str,
    /// Its JSONPath as written.
    pub path: String,
    /// What the value is, in words (`an array`, `an object`).
    pub found: &'static str,
}

/// What a page yielded.
#[derive(Debug, Clone)]
pub struct Extraction {
    /// The URL relative links are resolved against (`<base href>` or the page's address).
    pub base_url: Url,
    /// The items, in page order.
    pub items: Vec<RawItem>,
}

/// A page that cannot be read for items.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The item selector matched no element.
    #[error("\"{selector}\" matches nothing on the page ({bytes} bytes; has its layout changed?)")]
    NoItems {
        /// The item selector.
        selector: String,
        /// Size of the page, to tell an empty or cut-off page from a changed one.
        bytes: usize,
    },
    /// The page nests too deep to be parsed in bounded time.
    #[error(transparent)]
    TooDeep(#[from] TooDeep),
    /// A JSON feed's page (or the text `embedded` names) is not JSON, or nests deeper than
    /// serde_json reads.
    #[error("{} is not JSON: {source}", match embedded {
        Some(css) => format!("the text of \"{css}\""),
        None => "the page".to_string(),
    })]
    NotJson {
        /// The `embedded` selector, when the JSON is read from an HTML page.
        embedded: Option<String>,
        /// serde_json's reason, with its line and column.
        #[source]
        source: serde_json::Error,
    },
    /// The `embedded` selector matched no element of the HTML page.
    #[error("\"{selector}\" matches nothing on the page ({bytes} bytes): no embedded JSON found")]
    NoEmbedded {
        /// The `embedded` selector.
        selector: String,
        /// Size of the page.
        bytes: usize,
    },
}

impl ExtractError {
    /// The configuration field the failure concerns.
    pub fn field(&self) -> Field {
        match self {
            ExtractError::NoItems { .. } => Field::Item,
            ExtractError::TooDeep(_) => Field::Url,
            ExtractError::NotJson { embedded: None, .. } => Field::Url,
            ExtractError::NotJson {
                embedded: Some(_), ..
            }
            | ExtractError::NoEmbedded { .. } => Field::Embedded,
        }
    }
}

/// A parsed listing page and the elements its item selector matched, in page order (for a
/// JSON feed, the values its item path selected).
///
/// Fields are read per item on demand, so a caller can read dates everywhere and the other
/// fields only where it needs them.
#[derive(Debug)]
pub struct ListingPage {
    document: Html,
    base_url: Url,
    items: Vec<NodeId>,
    /// For fields read from before their item (`before = "h3"`): the page order of every
    /// element, and the elements each such selector matches, in page order.
    before: Option<Before>,
    /// A JSON feed's items (`document` and `items` are then empty).
    json: Option<json::JsonItems>,
}

/// What fields read from before their item need, found once per page.
#[derive(Debug)]
struct Before {
    order: HashMap<NodeId, usize>,
    /// By the field's selector as written: its matches' page order and node.
    matches: HashMap<String, Vec<(usize, NodeId)>>,
}

impl Before {
    /// Finds the matches of `spec`'s `before` fields in `document`; `None` when it has none.
    fn find(document: &Html, spec: &FeedSpec) -> Option<Self> {
        let selectors = &spec.selectors;
        let fields: Vec<&FieldSelector> = [
            Some(&selectors.title),
            Some(&selectors.link),
            selectors.date.as_ref(),
            selectors.summary.as_ref(),
            selectors.image.as_ref(),
            selectors.author.as_ref(),
            selectors.category.as_ref(),
            selectors.enclosure.as_ref().map(|e| &e.field),
        ]
        .into_iter()
        .flatten()
        .filter(|field| field.scope == Scope::Before)
        .collect();
        if fields.is_empty() {
            return None;
        }
        let order: HashMap<NodeId, usize> = document
            .tree
            .root()
            .descendants()
            .enumerate()
            .map(|(index, node)| (node.id(), index))
            .collect();
        let mut matches = HashMap::new();
        for field in fields {
            let Some(selector) = &field.selector else {
                continue;
            };
            let mut found: Vec<(usize, NodeId)> = document
                .select(selector)
                .filter_map(|e| Some((*order.get(&e.id())?, e.id())))
                .collect();
            found.sort_unstable();
            matches.insert(field.css.clone(), found);
        }
        Some(Before { order, matches })
    }

    /// The last element `field` matches before `item` in page order.
    fn last_before(&self, item: NodeId, field: &FieldSelector) -> Option<NodeId> {
        let at = *self.order.get(&item)?;
        let found = self.matches.get(&field.css)?;
        let count = found.partition_point(|(order, _)| *order < at);
        count.checked_sub(1).map(|i| found[i].1)
    }
}

impl ListingPage {
    /// Parses `html`, the page at `page_url` (JSON for a JSON feed), and finds its items. Fails
    /// when the item selector matches nothing.
    pub fn parse(html: &str, page_url: &Url, spec: &FeedSpec) -> Result<Self, ExtractError> {
        let page = Self::parse_any(html, page_url, spec)?;
        if page.is_empty() {
            return Err(ExtractError::NoItems {
                selector: spec.selectors.item_css.clone(),
                bytes: html.len(),
            });
        }
        Ok(page)
    }

    /// [`ListingPage::parse`], without failing when the item selector matches nothing (an
    /// older page of a listing may still lead on).
    pub fn parse_any(html: &str, page_url: &Url, spec: &FeedSpec) -> Result<Self, ExtractError> {
        let selector = match &spec.selectors.item {
            ItemSelector::Css(selector) => selector,
            ItemSelector::Json(path) => {
                let embedded = match &spec.format {
                    PageFormat::Json(format) => format.embedded.as_ref(),
                    PageFormat::Html => None,
                };
                let found = json::parse(html, page_url, path, embedded)?;
                return Ok(Self {
                    document: Html::new_document(),
                    base_url: found.base_url.clone(),
                    items: Vec::new(),
                    before: None,
                    json: Some(found),
                });
            }
        };
        let document = parse_html(html)?;
        let base_url = document_base(&document, page_url);
        let items: Vec<NodeId> = document
            .select(selector)
            .map(|element| element.id())
            .collect();
        let before = Before::find(&document, spec);
        Ok(Self {
            document,
            base_url,
            items,
            before,
            json: None,
        })
    }

    /// How many elements the item selector matched (never 0 from [`ListingPage::parse`]).
    pub fn len(&self) -> usize {
        match &self.json {
            Some(json) => json.items.len(),
            None => self.items.len(),
        }
    }

    /// Whether the item selector matched nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn element(&self, index: usize) -> Option<ElementRef<'_>> {
        let id = *self.items.get(index)?;
        self.document.tree.get(id).and_then(ElementRef::wrap)
    }

    /// Date candidates of item `index` (0-based), in order of preference.
    pub fn dates(&self, index: usize, spec: &FeedSpec) -> Vec<String> {
        if let Some(json) = &self.json {
            return json.dates(index, spec);
        }
        let (Some(element), Some(field)) = (self.element(index), spec.selectors.date.as_ref())
        else {
            return Vec::new();
        };
        match field.scope {
            Scope::Link | Scope::Title => self
                .item_value(element, field.scope, spec)
                .and_then(|value| field.cut(value))
                .into_iter()
                .collect(),
            _ => self
                .place(element, field, spec)
                .map(|e| date_candidates(e, field))
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| field.cut(c))
                .collect(),
        }
    }

    /// The element `field` is read from for `item`: inside it, after it or before it, as the
    /// field's scope says; `None` for fields read from the item's link or title.
    fn place<'a>(
        &'a self,
        item: ElementRef<'a>,
        field: &FieldSelector,
        spec: &FeedSpec,
    ) -> Option<ElementRef<'a>> {
        // The sibling itself when it matches, else the first match inside it.
        let within = |sibling: ElementRef<'a>| match &field.selector {
            Some(selector) if selector.matches(&sibling) => Some(sibling),
            Some(selector) => sibling.select(selector).next(),
            None => Some(sibling),
        };
        let mut following = item.next_siblings().filter_map(ElementRef::wrap);
        match field.scope {
            Scope::Item => field_element(item, field),
            Scope::Next => following.next().and_then(within),
            Scope::Following => following
                .take_while(|sibling| match &spec.selectors.item {
                    ItemSelector::Css(item) => !item.matches(sibling),
                    ItemSelector::Json(_) => true,
                })
                .find_map(within),
            Scope::Before => {
                let id = self.before.as_ref()?.last_before(item.id(), field)?;
                self.document.tree.get(id).and_then(ElementRef::wrap)
            }
            Scope::Link | Scope::Title => None,
        }
    }

    /// The item's link as written, or its title text: what `from = "link"` and
    /// `from = "title"` read.
    fn item_value(&self, item: ElementRef<'_>, from: Scope, spec: &FeedSpec) -> Option<String> {
        let selectors = &spec.selectors;
        match from {
            Scope::Link if selectors.link.scope != Scope::Link => self
                .place(item, &selectors.link, spec)
                .and_then(|e| link_of(e, &selectors.link)),
            Scope::Title if selectors.title.scope != Scope::Title => self
                .place(item, &selectors.title, spec)
                .and_then(|e| title_of(e, &selectors.title)),
            _ => None,
        }
    }

    /// Every field of item `index` (0-based).
    pub fn item(&self, index: usize, spec: &FeedSpec) -> RawItem {
        if let Some(json) = &self.json {
            return json.item(index, spec);
        }
        let position = index + 1;
        let Some(element) = self.element(index) else {
            return RawItem {
                position,
                ..RawItem::default()
            };
        };
        let selectors = &spec.selectors;
        let title_element = self.place(element, &selectors.title, spec);
        // Title and link are often the same element: find it once.
        let link_element = if selectors.link.css == selectors.title.css {
            title_element
        } else {
            self.place(element, &selectors.link, spec)
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
                if matches!(f.scope, Scope::Link | Scope::Title) {
                    return self
                        .item_value(element, f.scope, spec)
                        .and_then(|t| f.cut(t));
                }
                let e = self.place(element, f, spec)?;
                let text = match (&f.attr, spec.summary_format) {
                    (Some(attr), _) => attr_text(e, attr),
                    (None, SummaryFormat::Text) => non_empty(text_of(e)),
                    (None, SummaryFormat::Html) => non_empty(e.inner_html().trim().to_string()),
                };
                text.and_then(|t| f.cut(t))
            }),
            image: selectors
                .image
                .as_ref()
                .and_then(|f| self.image(element, f, spec)),
            author: selectors
                .author
                .as_ref()
                .and_then(|f| self.text(element, f, spec)),
            categories: selectors
                .category
                .as_ref()
                .map(|f| self.all(element, f, spec, |e| text_value(e, f)))
                .unwrap_or_default(),
            enclosures: selectors
                .enclosure
                .as_ref()
                .map(|e| self.all(element, &e.field, spec, |l| link_of(l, &e.field)))
                .unwrap_or_default(),
            wrong_types: Vec::new(),
        }
    }

    /// The text of `field` for `item` (its attribute's when it names one), cut by its regex.
    fn text(&self, item: ElementRef<'_>, field: &FieldSelector, spec: &FeedSpec) -> Option<String> {
        if matches!(field.scope, Scope::Link | Scope::Title) {
            return self
                .item_value(item, field.scope, spec)
                .and_then(|t| field.cut(t));
        }
        let element = self.place(item, field, spec)?;
        text_value(element, field).and_then(|t| field.cut(t))
    }

    /// The image of `field` for `item`: the named attribute, else the `src` of the element
    /// when it is an `<img>` or of the first `<img>` in it (a lazy-loaded image's
    /// `data-src`), cut by its regex.
    fn image(
        &self,
        item: ElementRef<'_>,
        field: &FieldSelector,
        spec: &FeedSpec,
    ) -> Option<String> {
        let element = self.place(item, field, spec)?;
        let value = match &field.attr {
            Some(attr) => attr_text(element, attr),
            None => std::iter::once(element)
                .chain(element.descendent_elements())
                .filter(|e| e.value().name() == "img")
                .find_map(image_src),
        };
        value.and_then(|v| field.cut(v))
    }

    /// What `read` gives of every element `field` matches in `item` (of the one element it
    /// finds around it, when outside), cut by its regex, each value once.
    fn all(
        &self,
        item: ElementRef<'_>,
        field: &FieldSelector,
        spec: &FeedSpec,
        read: impl Fn(ElementRef<'_>) -> Option<String>,
    ) -> Vec<String> {
        let elements: Vec<ElementRef<'_>> = match (&field.scope, &field.selector) {
            (Scope::Item, Some(selector)) => item.select(selector).collect(),
            (Scope::Link | Scope::Title, _) => {
                return self.text(item, field, spec).into_iter().collect();
            }
            _ => self.place(item, field, spec).into_iter().collect(),
        };
        let mut seen = std::collections::HashSet::new();
        let mut values: Vec<String> = Vec::new();
        for value in elements
            .into_iter()
            .filter_map(read)
            .filter_map(|v| field.cut(v))
        {
            if seen.insert(value.clone()) {
                values.push(value);
            }
            if values.len() >= MAX_VALUES {
                break;
            }
        }
        values
    }

    /// For each field whose selector matches more than one element in some items: the field's
    /// name and in how many items (only the first match is read; a narrower selector may be
    /// meant).
    pub fn ambiguous_fields(&self, spec: &FeedSpec) -> Vec<(&'static str, usize)> {
        if self.json.is_some() {
            return Vec::new();
        }
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
                let field = field.filter(|field| field.scope == Scope::Item)?;
                let selector = field.selector.as_ref()?;
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

    /// Every item with every field read.
    pub fn extract_all(&self, spec: &FeedSpec) -> Extraction {
        self.extraction(0..self.len(), spec)
    }

    /// The address of the listing's next page: the `href` of the first element `next`
    /// matches, resolved like item links; `None` when there is none, it is not http(s), or it
    /// is this page (`page_url`).
    pub fn next_page_url(&self, next: &Selector, page_url: &Url) -> Option<Url> {
        if self.json.is_some() {
            return None;
        }
        let element = self.document.select(next).next()?;
        let href = element
            .value()
            .attr("href")
            .or_else(|| {
                element
                    .descendent_elements()
                    .find_map(|e| e.value().attr("href"))
            })
            .filter(|h| !is_placeholder_link(h))?;
        self.base_url
            .join(href.trim())
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url != page_url)
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
pub fn read_detail(html: &str, page_url: &Url, fields: &DetailSelectors) -> Detail {
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

/// Runs `spec`'s selectors over `html`, a page whose address is `page_url`, reading every item.
pub fn extract(html: &str, page_url: &Url, spec: &FeedSpec) -> Result<Extraction, ExtractError> {
    Ok(ListingPage::parse(html, page_url, spec)?.extract_all(spec))
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

/// The element a field is read from: the first match under the item, or the item itself.
pub(crate) fn field_element<'a>(
    item: ElementRef<'a>,
    field: &FieldSelector,
) -> Option<ElementRef<'a>> {
    match &field.selector {
        Some(selector) => item.select(selector).next(),
        None => Some(item),
    }
}

/// An element's text, or its attribute's when `field` names one.
fn text_value(element: ElementRef<'_>, field: &FieldSelector) -> Option<String> {
    match &field.attr {
        Some(attr) => attr_text(element, attr),
        None => non_empty(text_of(element)),
    }
}

/// An `<img>`'s address: `src`, or where lazy loading keeps it (`data-src` and the like) when
/// `src` is empty or a `data:` placeholder.
fn image_src(img: ElementRef<'_>) -> Option<String> {
    ["src", "data-src", "data-lazy-src", "data-original"]
        .into_iter()
        .filter_map(|attr| img.value().attr(attr))
        .map(str::trim)
        .find(|src| !src.is_empty() && !src.starts_with("data:"))
        .map(str::to_string)
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

/// The text of the item's first heading (`h1`–`h6`), if it has one with text.
fn heading_of(item: ElementRef<'_>) -> Option<String> {
    item.descendent_elements()
        .filter(|e| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"))
        .find_map(|e| non_empty(text_of(e)))
}

pub(crate) fn title_of(element: ElementRef<'_>, field: &FieldSelector) -> Option<String> {
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
pub(crate) fn link_of(element: ElementRef<'_>, field: &FieldSelector) -> Option<String> {
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

/// Date candidates: the named attribute; otherwise a machine-readable attribute (`datetime` of
/// the element or a `<time>` inside it, `content`), then the text.
pub(crate) fn date_candidates(element: ElementRef<'_>, field: &FieldSelector) -> Vec<String> {
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
