//! The proposal as text: a `[[feed]]` block ready to paste into `config.toml`.

use std::fmt::Write as _;

use scraper::Selector;

use super::{DateField, Suggestion};
use crate::text::text_of;

/// The page's `<title>`, cleaned.
pub fn page_title(html: &str) -> Option<String> {
    let document = crate::extract::parse_html(html).ok()?;
    let selector = Selector::parse("head title").ok()?;
    let title = text_of(document.select(&selector).next()?);
    (!title.is_empty()).then_some(title)
}

/// A `[[feed]]` block for `suggestion`, ready to paste into `config.toml`.
pub fn feed_block(
    suggestion: &Suggestion,
    id: &str,
    title: &str,
    url: &str,
    source: Option<&str>,
) -> String {
    let quote = |s: &str| toml_string(s);
    let mut out = format!(
        "[[feed]]\nid = {}\ntitle = {}\nurl = {}\n",
        quote(id),
        quote(title),
        quote(url)
    );
    // Writing to a String cannot fail.
    if let Some(source) = source {
        let _ = writeln!(out, "source = {}", quote(source));
    }
    if let Some(format) = &suggestion.date_format {
        let _ = writeln!(out, "date_formats = [{}]", quote(format));
    }
    out.push_str("\n[feed.selectors]\n");
    let _ = writeln!(out, "item = {}", quote(&suggestion.item));
    let title = match (&suggestion.title_attr, suggestion.title.as_str()) {
        (Some(attr), "") => format!("{{ attr = {} }}", quote(attr)),
        (Some(attr), css) => format!("{{ selector = {}, attr = {} }}", quote(css), quote(attr)),
        (None, "") => "{ attr = \"title\" }".to_string(),
        (None, css) => quote(css),
    };
    let _ = writeln!(out, "title = {title}");
    match &suggestion.link {
        Some(css) => {
            let _ = writeln!(out, "link = {}", quote(css));
        }
        None => out.push_str("link = { attr = \"href\" }\n"),
    }
    match &suggestion.date {
        Some(DateField {
            selector,
            regex: None,
        }) => {
            let _ = writeln!(out, "date = {}", quote(selector));
        }
        Some(DateField {
            selector,
            regex: Some(regex),
        }) => {
            let _ = writeln!(
                out,
                "date = {{ selector = {}, regex = {} }}",
                quote(selector),
                quote(regex)
            );
        }
        None => {}
    }
    if let Some(summary) = &suggestion.summary {
        let _ = writeln!(out, "summary = {}", quote(summary));
    }
    out
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
