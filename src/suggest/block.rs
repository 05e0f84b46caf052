//! The proposal as text: a `[[feed]]` block ready to paste into `config.toml`.
//!
//! Feed settings come first and the selectors are written as dotted keys
//! (`selectors.item = …`), so the block opens no table of its own: a line the user adds
//! below it is still a setting of this feed.

use std::fmt::Write as _;

use super::{DateField, DatePlace, PageFacts, Suggestion};

/// The lines every proposed block starts with: `[[feed]]`, `id`, `title`, `url`, `source`
/// (a saved page) and `language` (from the page).
pub(super) fn feed_head(
    out: &mut String,
    id: &str,
    title: &str,
    url: &str,
    source: Option<&str>,
    page: &PageFacts,
) {
    let quote = |s: &str| toml_string(s);
    let _ = write!(
        out,
        "[[feed]]\nid = {}\ntitle = {}\nurl = {}\n",
        quote(id),
        quote(title),
        quote(url)
    );
    if let Some(source) = source {
        let _ = writeln!(out, "source = {}", quote(source));
    }
    if let Some(language) = &page.language {
        let _ = writeln!(out, "language = {}", quote(language));
    }
}

/// A `[[feed]]` block for `suggestion`, ready to paste into `config.toml`: the page at `url`
/// (read from the file `source`, if given), with what `page` says about itself.
pub fn feed_block(
    suggestion: &Suggestion,
    id: &str,
    title: &str,
    url: &str,
    source: Option<&str>,
    page: &PageFacts,
) -> String {
    let quote = |s: &str| toml_string(s);
    let mut out = String::new();
    // Writing to a String cannot fail.
    if !page.feeds.is_empty() {
        out.push_str("# The page has feeds of its own; subscribe to one of them if it lists the same items:\n");
        for feed in &page.feeds {
            let _ = writeln!(out, "#   {}", crate::text::for_terminal(feed));
        }
    }
    feed_head(&mut out, id, title, url, source, page);
    match page.timezone {
        Some(zone) => {
            let _ = writeln!(
                out,
                "# timezone = {}  # dates without an offset are read in UTC unless set",
                quote(zone)
            );
        }
        None => out.push_str(
            "# timezone = \"Area/City\"  # the site's zone, for dates without an offset\n",
        ),
    }
    if let Some(format) = &suggestion.date_format {
        let _ = writeln!(out, "date_formats = [{}]", quote(format));
    }
    if suggestion.future_dates {
        out.push_str("future_dates = true  # the page lists dates ahead (events, releases)\n");
    }
    let _ = writeln!(out, "selectors.item = {}", quote(&suggestion.item));
    let title = match (&suggestion.title_attr, suggestion.title.as_str()) {
        (Some(attr), "") => format!("{{ attr = {} }}", quote(attr)),
        (Some(attr), css) => format!("{{ selector = {}, attr = {} }}", quote(css), quote(attr)),
        (None, "") => "{ attr = \"title\" }".to_string(),
        (None, css) => quote(css),
    };
    let _ = writeln!(out, "selectors.title = {title}");
    match &suggestion.link {
        Some(css) => {
            let _ = writeln!(out, "selectors.link = {}", quote(css));
        }
        None => out.push_str("selectors.link = { attr = \"href\" }\n"),
    }
    if let Some(date) = &suggestion.date {
        let _ = writeln!(out, "selectors.date = {}", date_value(date));
    }
    if let Some(summary) = &suggestion.summary {
        let _ = writeln!(out, "selectors.summary = {}", quote(summary));
    }
    if let Some(image) = &suggestion.image {
        let _ = writeln!(out, "selectors.image = {}", quote(image));
    }
    if let Some(category) = &suggestion.category {
        let _ = writeln!(out, "selectors.category = {}", quote(category));
    }
    out
}

/// The date field as TOML: a plain selector, or a table with its place, attribute and regex.
fn date_value(date: &DateField) -> String {
    let quote = |s: &str| toml_string(s);
    match (&date.place, &date.attr, &date.regex) {
        (DatePlace::Inside(css), None, None) => return quote(css),
        (DatePlace::Following(css), None, None) => return quote(&format!("~ {css}")),
        _ => {}
    }
    let mut parts = vec![match &date.place {
        // The item's own text.
        DatePlace::Inside(css) if css.is_empty() => String::new(),
        DatePlace::Inside(css) => format!("selector = {}", quote(css)),
        DatePlace::Following(css) => format!("selector = {}", quote(&format!("~ {css}"))),
        DatePlace::Before(css) => format!("before = {}", quote(css)),
        DatePlace::Link => "from = \"link\"".to_string(),
    }];
    if let Some(attr) = &date.attr {
        parts.push(format!("attr = {}", quote(attr)));
    }
    if let Some(regex) = &date.regex {
        parts.push(format!("regex = {}", quote(regex)));
    }
    parts.retain(|part| !part.is_empty());
    format!("{{ {} }}", parts.join(", "))
}

/// A TOML basic string.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() || crate::text::moves_the_terminal(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
