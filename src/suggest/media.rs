//! An item's image and categories, when a listing shows them: a picture in most items, and
//! short labels whose class says what they are (`tag`, `category`, `topic`).

use std::collections::{HashMap, HashSet};

use scraper::ElementRef;

use super::fields::{Linked, best_by, field, selectors_for};
use super::groups::words_of;
use crate::extract::field_element;
use crate::text::text_of;

/// Items looked at to find a field.
const SAMPLE: usize = 40;
/// The share of items (in tenths) a field must be found in to be proposed.
const FOUND_IN_TENTHS: usize = 4;
/// Class words that name a category label.
const CATEGORY_WORDS: [&str; 7] = [
    "tag", "categor", "topic", "kicker", "rubric", "subject", "theme",
];
/// Class words of what is about people, not topics (an author's name, an avatar).
const PEOPLE_WORDS: [&str; 4] = ["author", "user", "byline", "avatar"];

/// Whether `element` or an ancestor of it inside `item` is about people.
fn about_people(item: ElementRef<'_>, element: ElementRef<'_>) -> bool {
    std::iter::once(element)
        .chain(element.ancestors().filter_map(ElementRef::wrap))
        .take_while(|e| e.id() != item.id())
        .any(|e| {
            words_of(e)
                .iter()
                .any(|w| PEOPLE_WORDS.iter().any(|p| w.contains(p)))
        })
}

/// Whether `img` is inside a link elsewhere than the item's own (a profile, a last post).
fn links_elsewhere(linked: &Linked<'_>, img: ElementRef<'_>) -> bool {
    img.ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|e| e.id() != linked.item.id())
        .filter(|e| e.value().name() == "a")
        .filter_map(|a| a.value().attr("href"))
        .any(|href| {
            // A picture linked to its own full size is still the item's.
            let to_image = [".jpg", ".jpeg", ".png", ".webp", ".gif", ".avif"]
                .iter()
                .any(|ext| {
                    href.to_ascii_lowercase()
                        .split(['?', '#'])
                        .next()
                        .is_some_and(|p| p.ends_with(ext))
                });
            href.trim() != linked.href.trim() && !to_image
        })
}

/// Whether `img` is a picture of the item: it has an address, and is not an icon (declared
/// smaller than 48 pixels, or in a heading: a thread's status, a flag).
fn is_picture(img: ElementRef<'_>) -> bool {
    let in_heading = img
        .ancestors()
        .filter_map(ElementRef::wrap)
        .any(|e| matches!(e.value().name(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6"));
    let has_src = ["src", "data-src", "data-lazy-src", "data-original"]
        .iter()
        .filter_map(|attr| img.value().attr(attr))
        .any(|src| !src.trim().is_empty() && !src.trim_start().starts_with("data:"));
    let small = ["width", "height"].iter().any(|attr| {
        img.value()
            .attr(attr)
            .and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok())
            .is_some_and(|px| px < 48)
    });
    has_src && !small && !in_heading
}

/// The candidates among elements `wanted` picks in the sampled items, in first-seen order,
/// with how many items have each.
fn candidates<'a>(
    links: &[Linked<'a>],
    wanted: impl Fn(&Linked<'a>, ElementRef<'a>) -> bool,
) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut order = Vec::new();
    for linked in links.iter().take(SAMPLE) {
        let mut seen = HashSet::new();
        for element in linked.item.descendent_elements().skip(1) {
            if !wanted(linked, element) {
                continue;
            }
            for css in selectors_for(linked.item, element) {
                if seen.insert(css.clone()) {
                    if !counts.contains_key(&css) {
                        order.push(css.clone());
                    }
                    *counts.entry(css).or_default() += 1;
                }
            }
        }
    }
    let sample = links.len().min(SAMPLE);
    order
        .into_iter()
        .filter(|css| counts.get(css).copied().unwrap_or(0) * 10 >= sample * FOUND_IN_TENTHS)
        .collect()
}

/// The selector whose first match in each item is what `wanted` picks, in the most items,
/// when that is enough of them.
fn chosen<'a>(
    links: &[Linked<'a>],
    wanted: impl Fn(&Linked<'a>, ElementRef<'a>) -> bool + Copy,
) -> Option<String> {
    let candidates = candidates(links, wanted);
    let (css, hits) = best_by(&candidates, |css| {
        let Some(field) = field(css, None) else {
            return 0;
        };
        links
            .iter()
            .filter(|l| field_element(l.item, &field).is_some_and(|e| wanted(l, e)))
            .count()
    })?;
    (hits * 10 >= links.len() * FOUND_IN_TENTHS).then_some(css)
}

/// The selector of the items' image, when most items have a picture.
pub(super) fn image_selector(links: &[Linked<'_>]) -> Option<String> {
    chosen(links, |l, e| {
        e.value().name() == "img"
            && is_picture(e)
            && !links_elsewhere(l, e)
            && !about_people(l.item, e)
    })
}

/// Whether `element` is a category label of `linked`: a short text, not the title nor a
/// part of the title's link, in an element whose class (or `rel="tag"`) says so.
fn is_label(linked: &Linked<'_>, element: ElementRef<'_>) -> bool {
    if !matches!(
        element.value().name(),
        "a" | "span" | "li" | "div" | "p" | "em"
    ) {
        return false;
    }
    let says = |e: ElementRef<'_>| {
        words_of(e)
            .iter()
            .any(|w| CATEGORY_WORDS.iter().any(|c| w.contains(c)))
    };
    // A label, or a link in a box of labels (`div.tags > a`): each link is one category.
    let is_link = element.value().name() == "a";
    let named = element.value().attr("rel") == Some("tag")
        || says(element)
        || (is_link
            && element
                .parent()
                .and_then(ElementRef::wrap)
                .is_some_and(says));
    let holds_links = !is_link
        && element
            .descendent_elements()
            .any(|e| e.value().name() == "a");
    if !named
        || holds_links
        || about_people(linked.item, element)
        || element.id() == linked.link.id()
        || element
            .descendent_elements()
            .any(|e| e.id() == linked.link.id())
        || linked.link.ancestors().any(|a| a.id() == element.id())
    {
        return false;
    }
    let text = text_of(element);
    let chars = text.chars().count();
    (1..=40).contains(&chars)
        && text.split_whitespace().count() <= 5
        && text != linked.title
        && !text.chars().any(|c| c.is_ascii_digit())
}

/// The selector of the items' category labels, when most items have one.
pub(super) fn category_selector(links: &[Linked<'_>]) -> Option<String> {
    chosen(links, is_label)
}
