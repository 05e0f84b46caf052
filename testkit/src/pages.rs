//! Listing pages of the ILO shape for the benchmarks, made from the ILO fixture: its head and
//! tail kept, its listing replaced by generated items under year headings, as on the real page.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};

/// The ILO fixture's text.
pub fn read_fixture() -> String {
    let path = crate::fixtures::fixture("ilo-china-press-releases.html");
    std::fs::read_to_string(path).expect("the ILO fixture is readable")
}

/// The fixture cut around its listing: what comes before and after the content of
/// `div.press-releases`, and the listing's 20 `li.item` blocks.
pub struct PageTemplate<'a> {
    head: &'a str,
    tail: &'a str,
    /// The fixture's item blocks, in order.
    pub items: Vec<&'a str>,
}

/// One generated item: which fixture item it copies, its WCMS id, a label appended to its
/// title, and its date.
pub struct NewItem {
    /// Index into [`PageTemplate::items`].
    pub template: usize,
    /// WCMS id of its link and image.
    pub id: usize,
    /// Appended to the title, to make it unique.
    pub label: String,
    /// Its date.
    pub date: NaiveDate,
}

impl<'a> PageTemplate<'a> {
    /// Cuts `fixture` around its listing.
    pub fn new(fixture: &'a str) -> Self {
        const LISTING: &str = r#"<div class="press-releases">"#;
        let open = fixture.find(LISTING).expect("fixture has the listing") + LISTING.len();
        let pager = open
            + fixture[open..]
                .find(r#"<div class="pager""#)
                .expect("fixture has the pager");
        // The listing's own `</div>` is the last one before the pager.
        let close = open
            + fixture[open..pager]
                .rfind("</div>")
                .expect("listing closes");
        let items = item_blocks(&fixture[open..close]);
        assert_eq!(items.len(), 20, "the fixture lists 20 items");
        PageTemplate {
            head: &fixture[..open],
            tail: &fixture[close..],
            items,
        }
    }

    /// The page with `items` as its listing, one `<ol>` per year.
    pub fn page(&self, items: impl IntoIterator<Item = NewItem>) -> String {
        let mut listing = String::from("\n");
        let mut year = None;
        for item in items {
            if year != Some(item.date.year()) {
                if year.is_some() {
                    listing.push_str("        </ol>\n");
                }
                let _ = write!(
                    listing,
                    "        <h2 class=\"year\">{}</h2>\n        <ol class=\"item-list\">\n",
                    item.date.year()
                );
                year = Some(item.date.year());
            }
            listing.push_str("          ");
            listing.push_str(&generated_item(
                self.items[item.template],
                item.id,
                &item.label,
                item.date,
            ));
            listing.push('\n');
        }
        listing.push_str("        </ol>\n      ");
        format!("{}{listing}{}", self.head, self.tail)
    }
}

/// The `<li class="item">…</li>` blocks of `listing`, in order (items hold no nested `li`).
fn item_blocks(listing: &str) -> Vec<&str> {
    const OPEN: &str = r#"<li class="item">"#;
    const CLOSE: &str = "</li>";
    let mut blocks = Vec::new();
    let mut rest = listing;
    while let Some(start) = rest.find(OPEN) {
        let len = rest[start..].find(CLOSE).expect("every item is closed") + CLOSE.len();
        blocks.push(&rest[start..start + len]);
        rest = &rest[start + len..];
    }
    blocks
}

/// Replaces the text between the first `open` and the next `close` in `text`.
fn replace_between(text: &str, open: &str, close: &str, with: &str) -> String {
    let start = text.find(open).expect("opening marker present") + open.len();
    let end = start + text[start..].find(close).expect("closing marker present");
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// A fixture item made new: WCMS id `id` (link and image), `label` appended to the title, and
/// `date`.
fn generated_item(template: &str, id: usize, label: &str, date: NaiveDate) -> String {
    let digits_at = template.find("WCMS_").expect("item links carry a WCMS id") + "WCMS_".len();
    let old_id: String = template[digits_at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let item = template
        .replace(&format!("WCMS_{old_id}/"), &format!("WCMS_{id}/"))
        .replace(&format!("wcms_{old_id}."), &format!("wcms_{id}."));
    let title_end = item
        .find("</a></h3>")
        .expect("title link closes before </h3>");
    let item = format!("{} {label}{}", &item[..title_end], &item[title_end..]);
    let date_text = date.format("%d %B %Y").to_string();
    replace_between(&item, r#"<span class="date">"#, "</span>", &date_text)
}
