//! Candidate item groups: elements of one shape that repeat on the page, outside page
//! furniture and hidden content, and the selector that picks exactly a group's items.

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};

use crate::text::text_of;

/// Words in classes and ids of page furniture, not content.
const FURNITURE: &[&str] = &[
    "nav",
    "navbar",
    "menu",
    "footer",
    "sidebar",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "pager",
    "widget",
    "cookie",
    "social",
    "share",
    "sharing",
    "related",
    "tablist",
    "toolbar",
    "skip",
    "masthead",
];

/// Classes that hide an element (tab panels, collapsed boxes, screen-reader text).
const HIDING_CLASSES: &[&str] = &[
    "hidden",
    "is-hidden",
    "d-none",
    "hide",
    "invisible",
    "visually-hidden",
    "sr-only",
    "screen-reader-text",
];

/// Classes that say how an element is, not what it is.
const STATE_CLASSES: &[&str] = &[
    "active",
    "is-active",
    "current",
    "selected",
    "first",
    "last",
    "odd",
    "even",
    "alt",
    "sticky",
    "featured",
    "new",
    "hidden",
    "visible",
    "clearfix",
    "cf",
    "group",
    "row",
    "col",
    "container",
    "clear",
    "fix",
];

/// Words of classes of carousels: their items repeat the list's.
const CAROUSEL: &[&str] = &["slide", "carousel", "slider", "swiper", "ticker", "marquee"];

/// A group of elements of one shape: the candidates for a feed's items.
pub(super) struct Group {
    /// The shape of the items' parent (`ul.news#list`), or `None` for a page-wide group.
    pub(super) parent: Option<String>,
    /// The items' own shape (`li.item`).
    pub(super) child: String,
    /// The members, in page order, none in furniture or hidden.
    pub(super) members: Vec<NodeId>,
}

/// The element's classes in the order the page writes them.
fn classes_in_order<'a>(element: ElementRef<'a>) -> impl Iterator<Item = &'a str> {
    element
        .value()
        .attr("class")
        .unwrap_or("")
        .split_ascii_whitespace()
}

/// Whether `class` is usable in a selector and names what an element is.
fn naming_class(class: &str) -> bool {
    is_css_ident(class)
        && !is_taxonomy(class)
        // A state or variant ("is-opinion", "has-image"), or a script hook ("js-teaser").
        && !["is-", "has-", "js-"].iter().any(|p| class.starts_with(p))
        && !class.chars().any(|ch| ch.is_ascii_digit())
        && !STATE_CLASSES.contains(&class.to_ascii_lowercase().as_str())
}

/// `tag.class`, with the first class that names what the element is: not a generated one
/// (digits), not a state ("sticky", "odd"), so items of one list share it whatever else they
/// carry.
pub(super) fn shape(element: ElementRef<'_>) -> String {
    let mut out = element.value().name().to_string();
    if let Some(class) = classes_in_order(element).find(|c| naming_class(c)) {
        out.push('.');
        out.push_str(class);
    }
    out
}

/// [`shape`], with the element's id when it names one (`ol#threads`): two lists of one shape
/// (pinned threads and threads) are told apart by it.
pub(super) fn parent_shape(element: ElementRef<'_>) -> String {
    let mut out = shape(element);
    if let Some(id) = element.value().id().filter(|id| naming_class(id)) {
        out.push('#');
        out.push_str(id);
    }
    out
}

/// `tag.a.b`: every naming class of the element, for narrower selectors.
pub(super) fn classes_of(element: ElementRef<'_>) -> Vec<String> {
    classes_in_order(element)
        .filter(|c| naming_class(c))
        .map(str::to_string)
        .collect()
}

/// Whether `text` can be written as a CSS identifier without escapes.
pub(super) fn is_css_ident(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '-')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The element's id, classes and role, lower case.
pub(super) fn words_of(element: ElementRef<'_>) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(id) = element.value().id() {
        words.push(id.to_ascii_lowercase());
    }
    words.extend(element.value().classes().map(str::to_ascii_lowercase));
    if let Some(role) = element.value().attr("role") {
        words.push(role.to_ascii_lowercase());
    }
    words
}

/// Whether a class names what a post is about (`tag-social`, `category-menu`), as blogs
/// mark their posts: no furniture, whatever the words.
fn is_taxonomy(class: &str) -> bool {
    [
        "tag-",
        "category-",
        "cat-",
        "topic-",
        "post-",
        "format-",
        "type-",
        "section-",
    ]
    .iter()
    .any(|prefix| class.starts_with(prefix))
}

/// Whether the element is the page's main content (`<main>`, `role="main"`, `#content`).
fn is_main(element: ElementRef<'_>) -> bool {
    element.value().name() == "main"
        || element.value().attr("role") == Some("main")
        || element.value().id().is_some_and(|id| {
            matches!(
                id.to_ascii_lowercase().as_str(),
                "main" | "content" | "main-content" | "maincontent"
            )
        })
}

/// Tells page furniture from content, remembering what it found of each element.
pub(super) struct Furniture {
    /// Characters of the page's text: an element with most of it is no furniture, whatever
    /// its classes say ("right-sidebar" on the column beside the sidebar).
    page_chars: usize,
    /// Whether an element's own tag or words make it furniture.
    verdicts: HashMap<NodeId, bool>,
}

impl Furniture {
    pub(super) fn new(document: &Html) -> Self {
        Furniture {
            page_chars: text_of(document.root_element()).chars().count(),
            verdicts: HashMap::new(),
        }
    }

    /// Whether `element` is hidden, or furniture (navigation, header, footer, sidebar, a
    /// form's controls): itself or an ancestor below the page's main content.
    pub(super) fn contains(&mut self, element: ElementRef<'_>) -> bool {
        let mut in_main = false;
        for e in std::iter::successors(Some(element), |e| e.parent().and_then(ElementRef::wrap)) {
            let value = e.value();
            let hidden = value.attr("hidden").is_some()
                || value.attr("aria-hidden") == Some("true")
                || value
                    .attr("style")
                    .is_some_and(|s| s.replace(' ', "").contains("display:none"))
                || value
                    .classes()
                    .any(|c| HIDING_CLASSES.contains(&c.to_ascii_lowercase().as_str()));
            if hidden
                || matches!(
                    value.name(),
                    "template" | "noscript" | "select" | "datalist" | "script"
                )
            {
                return true;
            }
            if in_main {
                continue;
            }
            if is_main(e) {
                // Above the main content, classes say how the page is laid out ("content
                // with sidebar"), not that its content is furniture.
                in_main = true;
                continue;
            }
            if self.is_furniture_itself(e, element) {
                return true;
            }
        }
        false
    }

    fn is_furniture_itself(&mut self, e: ElementRef<'_>, start: ElementRef<'_>) -> bool {
        let value = e.value();
        if value.name() == "header" && e.id() != start.id() {
            return true;
        }
        if let Some(verdict) = self.verdicts.get(&e.id()) {
            return *verdict;
        }
        let by_tag = matches!(value.name(), "nav" | "footer" | "aside");
        let by_words = words_of(e).iter().any(|w| {
            matches!(
                w.as_str(),
                "navigation" | "banner" | "contentinfo" | "menubar" | "complementary"
            ) || (!is_taxonomy(w)
                && FURNITURE
                    .iter()
                    .any(|f| w.split(['-', '_']).any(|part| part == *f)))
        });
        let verdict = (by_tag || by_words) && text_of(e).chars().count() * 5 < self.page_chars * 2;
        self.verdicts.insert(e.id(), verdict);
        verdict
    }
}

/// Whether the element's classes say it is a carousel slide.
pub(super) fn in_carousel(element: ElementRef<'_>) -> bool {
    std::iter::successors(Some(element), |e| e.parent().and_then(ElementRef::wrap))
        .take(4)
        .any(|e| {
            words_of(e)
                .iter()
                .any(|w| CAROUSEL.iter().any(|c| w.contains(c)))
        })
}

/// Whether the element sits in the page's main content (or in an element named so).
pub(super) fn in_main_content(element: ElementRef<'_>) -> bool {
    std::iter::successors(Some(element), |e| e.parent().and_then(ElementRef::wrap)).any(|e| {
        is_main(e)
            || words_of(e).iter().any(|w| {
                matches!(
                    w.as_str(),
                    "main" | "content" | "maincontent" | "main-content" | "primary"
                )
            })
    })
}

/// Whether the element sits in a "most read" or "popular" box.
pub(super) fn in_popular_box(element: ElementRef<'_>) -> bool {
    std::iter::successors(Some(element), |e| e.parent().and_then(ElementRef::wrap)).any(|e| {
        words_of(e).iter().any(|w| {
            [
                "popular",
                "mostread",
                "most-read",
                "most_read",
                "trending",
                "top-stories",
            ]
            .iter()
            .any(|p| w.contains(p))
        })
    })
}

/// Elements that never are items themselves.
fn never_item(element: ElementRef<'_>) -> bool {
    let name = element.value().name();
    // A link can be an item only when it wraps a whole card (a heading, a paragraph).
    let card_link = name == "a"
        && element.descendent_elements().any(|e| {
            matches!(
                e.value().name(),
                "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "p" | "div"
            )
        });
    matches!(
        name,
        "a" | "span"
            | "img"
            | "br"
            | "option"
            | "script"
            | "style"
            | "head"
            | "html"
            | "body"
            | "meta"
            | "link"
            | "b"
            | "i"
            | "em"
            | "strong"
            | "small"
            | "time"
            | "svg"
            | "path"
            | "input"
            | "button"
            | "label"
    ) && !card_link
}

/// How a group was formed (0: by parent and shape, 1: by parent and tag, 2: page-wide), the
/// parent's shape, and the items' shape or tag.
type GroupKey = (u8, Option<String>, String);

/// The repeated groups of `document` with at least three members: per parent shape and item
/// shape, per parent and tag where row classes alternate, and page-wide per item shape (items
/// split over several sections of one list).
pub(super) fn candidate_groups(document: &Html) -> Vec<Group> {
    // (parent's shape, item's shape), (parent's shape, item's tag) for rows whose classes
    // alternate ("row" and "altrow"), and the item's shape page-wide.
    let mut keyed: HashMap<GroupKey, Vec<NodeId>> = HashMap::new();
    let mut furniture = Furniture::new(document);
    for element in document.root_element().descendent_elements() {
        if never_item(element) {
            continue;
        }
        let Some(parent) = element.parent().and_then(ElementRef::wrap) else {
            continue;
        };
        if furniture.contains(element) {
            continue;
        }
        let child = shape(element);
        let tag = element.value().name();
        // Rows of one list whose classes alternate ("row", "altrow"; pinned rows among plain
        // ones): several of the tag under one parent, in two or more shapes that each
        // repeat (a header and a pager row aside), not a card's parts, each a shape of its own.
        let alternating = {
            let mut shapes: HashMap<String, usize> = HashMap::new();
            for sibling in parent
                .child_elements()
                .filter(|c| c.value().name() == tag)
                .take(16)
            {
                *shapes.entry(shape(sibling)).or_default() += 1;
            }
            let singles = shapes.values().filter(|n| **n == 1).count();
            shapes.len() >= 2 && shapes.values().any(|n| *n >= 3) && singles <= 2
        };
        let parent = parent_shape(parent);
        if alternating {
            keyed
                .entry((1, Some(parent.clone()), tag.to_string()))
                .or_default()
                .push(element.id());
        }
        keyed
            .entry((0, Some(parent), child.clone()))
            .or_default()
            .push(element.id());
        keyed
            .entry((2, None, child))
            .or_default()
            .push(element.id());
    }
    let mut keyed: Vec<(GroupKey, Vec<NodeId>)> = keyed
        .into_iter()
        .filter(|(_, members)| members.len() >= 3)
        .collect();
    // The same members under several keys: the most telling key (by shape and parent) kept.
    keyed.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    keyed.dedup_by(|later, earlier| later.1 == earlier.1);
    keyed
        .into_iter()
        .map(|((_, parent, child), members)| Group {
            parent,
            child,
            members,
        })
        .collect()
}

/// How well a selector picks a group's items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Fit {
    /// Items selected.
    pub(super) hits: usize,
    /// Elements selected that are not items.
    pub(super) extra: usize,
}

/// The simplest selector that picks exactly `items` (page order): the group's shape, then
/// narrowed by classes the others lack (`:not(.header)`), by the link every item has
/// (`:has(h3 a)`), and by an ancestor (`#news`, `main`); else the closest one, when it picks at
/// least nine in ten of the items and few others.
pub(super) fn item_selector(
    document: &Html,
    group: &Group,
    items: &[ElementRef<'_>],
    link_css: Option<&str>,
) -> Option<(String, Fit)> {
    let wanted: HashSet<NodeId> = items.iter().map(|e| e.id()).collect();
    let first = items.first()?;
    let fit = |css: &str| -> Option<Fit> {
        let selector = Selector::parse(css).ok()?;
        let mut hits = 0;
        let mut extra = 0;
        for e in document.select(&selector) {
            if wanted.contains(&e.id()) {
                hits += 1;
            } else {
                extra += 1;
            }
        }
        Some(Fit { hits, extra })
    };
    let child = &group.child;
    let mut bases = vec![child.clone()];
    if let Some(parent) = &group.parent {
        bases.push(format!("{parent} > {child}"));
    }
    // Classes every item has beyond the shape's.
    let shared: Vec<String> = classes_of(*first)
        .into_iter()
        .filter(|c| {
            items.iter().all(|i| {
                i.value()
                    .has_class(c, scraper::CaseSensitivity::CaseSensitive)
            })
        })
        .collect();
    let shape_class = child.split_once('.').map(|(_, c)| c.to_string());
    for class in shared
        .iter()
        .filter(|c| Some(c.as_str()) != shape_class.as_deref())
        .take(2)
    {
        bases.push(format!("{child}.{class}"));
    }
    // Classes only other elements of the shape have.
    if let Ok(selector) = Selector::parse(child) {
        let mut others: Vec<String> = document
            .select(&selector)
            .filter(|e| !wanted.contains(&e.id()))
            .flat_map(classes_of)
            .filter(|c| {
                items.iter().all(|i| {
                    !i.value()
                        .has_class(c, scraper::CaseSensitivity::CaseSensitive)
                })
            })
            .collect();
        others.sort();
        others.dedup();
        if !others.is_empty() && others.len() <= 3 {
            let nots: String = others.iter().map(|c| format!(":not(.{c})")).collect();
            let plain = bases.clone();
            bases.extend(plain.iter().map(|b| format!("{b}{nots}")));
        }
    }
    if let Some(link) = link_css.filter(|l| !l.is_empty()) {
        let plain = bases.clone();
        bases.extend(plain.iter().map(|b| format!("{b}:has({link})")));
    }
    let mut qualifiers = qualifiers(document, child, items, &wanted);
    qualifiers.dedup();
    // Pseudo-classes make a selector harder to read and quicker to break.
    let cost = |css: &str| css.len() + 12 * css.matches(':').count();
    let mut best: Option<(String, Fit)> = None;
    for qualifier in &qualifiers {
        for base in &bases {
            let css = format!("{qualifier}{base}");
            let Some(found) = fit(&css) else {
                continue;
            };
            if found.hits == wanted.len() && found.extra == 0 {
                // The simplest exact selector.
                let shorter = best.as_ref().is_none_or(|(b, f)| {
                    f.extra > 0 || f.hits < wanted.len() || cost(&css) < cost(b)
                });
                if shorter {
                    best = Some((css, found));
                }
            } else if found.hits * 10 >= wanted.len() * 9 && found.extra * 10 <= wanted.len() {
                let better = best.as_ref().is_none_or(|(_, f)| {
                    (f.hits < wanted.len() || f.extra > 0)
                        && found.hits.saturating_sub(2 * found.extra)
                            > f.hits.saturating_sub(2 * f.extra)
                });
                if better {
                    best = Some((css, found));
                }
            }
        }
    }
    best
}

/// What can stand before an item selector to narrow it to the items: nothing, the items'
/// ancestors (by id or shape, those shared by all items and those of some), and an ancestor
/// without the class that hides look-alike lists (tab panels).
fn qualifiers(
    document: &Html,
    child: &str,
    items: &[ElementRef<'_>],
    wanted: &HashSet<NodeId>,
) -> Vec<String> {
    let Some(first) = items.first() else {
        return vec![String::new()];
    };
    let mut qualifiers = vec![String::new()];
    let ancestors = std::iter::successors(first.parent().and_then(ElementRef::wrap), |e| {
        e.parent().and_then(ElementRef::wrap)
    });
    for ancestor in ancestors.take(12) {
        if matches!(ancestor.value().name(), "html" | "body") {
            break;
        }
        if !items
            .iter()
            .all(|i| i.ancestors().any(|a| a.id() == ancestor.id()))
        {
            // The items are spread over several such ancestors: name them by shape.
            let shape = shape(ancestor);
            if shape.contains('.') || matches!(ancestor.value().name(), "main" | "section") {
                qualifiers.push(format!("{shape} "));
            }
            continue;
        }
        if let Some(id) = ancestor.value().id().filter(|id| is_css_ident(id)) {
            qualifiers.push(format!("#{id} "));
            qualifiers.push(format!("{}#{id} ", ancestor.value().name()));
        }
        qualifiers.push(format!("{} ", shape(ancestor)));
    }
    // Look-alike lists hidden by a class (tab panels): the items' ancestor of the same shape
    // without that class.
    if let Ok(selector) = Selector::parse(child) {
        let mut hiding: Vec<(String, String)> = Vec::new();
        for other in document
            .select(&selector)
            .filter(|e| !wanted.contains(&e.id()))
        {
            for ancestor in other.ancestors().filter_map(ElementRef::wrap) {
                for class in ancestor.value().classes() {
                    let pair = (shape(ancestor), class.to_string());
                    if HIDING_CLASSES.contains(&class.to_ascii_lowercase().as_str())
                        && !hiding.contains(&pair)
                    {
                        hiding.push(pair);
                    }
                }
            }
        }
        for ancestor in first.ancestors().filter_map(ElementRef::wrap) {
            for (shape_of, class) in &hiding {
                if *shape_of == shape(ancestor) {
                    qualifiers.push(format!("{shape_of}:not(.{class}) "));
                }
            }
        }
    }
    qualifiers
}
