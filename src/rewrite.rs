//! Per-field rewrites (issue 18): a field's `replace` pairs, applied in order to its value
//! after extraction (and after its `regex`), and the `template` that builds a title or a
//! summary from the item's fields once every field is rewritten. A rewrite that leaves
//! nothing but whitespace keeps the value as found, and says so.
//!
//! The fields a template can name are [`TEMPLATE_FIELDS`]: a new item field becomes usable in
//! templates by adding it there.

use std::borrow::Cow;

use url::Url;

use crate::extract::{Detail, RawItem, plain_text};
use crate::spec::{DetailSelectors, FieldSelector, Replace, Selectors, Template, TemplatePart};
use crate::text::{clean_text, escape_html, resolve_link};

/// How a template reads one field of an item: its value, if the item has it.
type Getter = for<'a> fn(&'a RawItem, &Url) -> Option<Cow<'a, str>>;

/// The fields a template can name, and where an item has each: `{title}`, `{summary}`,
/// `{link}` (absolute when it resolves against the page), `{date}` (the date's text as the
/// page shows it: its last candidate, the element's text when it has one), `{category}`
/// (its categories, joined by ", "), `{author}`.
pub(crate) const TEMPLATE_FIELDS: &[(&str, Getter)] = &[
    ("title", |item, _| item.title.as_deref().map(Cow::Borrowed)),
    ("summary", |item, _| {
        item.summary.as_deref().map(Cow::Borrowed)
    }),
    ("link", |item, base| {
        let href = item.link.as_deref()?;
        Some(resolve_link(base, href).map_or(Cow::Borrowed(href), Cow::Owned))
    }),
    ("date", |item, _| {
        item.dates.last().map(|d| Cow::Borrowed(d.as_str()))
    }),
    ("category", |item, _| {
        // Each once, case aside, as the feed keeps them.
        let mut kept: Vec<&str> = Vec::new();
        for category in &item.categories {
            if !kept
                .iter()
                .any(|k| k.to_lowercase() == category.to_lowercase())
            {
                kept.push(category);
            }
        }
        (!kept.is_empty()).then(|| Cow::Owned(kept.join(", ")))
    }),
    ("author", |item, _| {
        item.author.as_deref().map(Cow::Borrowed)
    }),
];

/// The field whose value is HTML in a feed that publishes HTML summaries.
const HTML_FIELD: &str = "summary";

/// The names a template can use, for messages: `{title}, {summary}, …`.
pub(crate) fn template_field_names() -> String {
    TEMPLATE_FIELDS
        .iter()
        .map(|(name, _)| format!("{{{name}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Why a template does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateError {
    /// A `{name}` that is not in [`TEMPLATE_FIELDS`].
    #[error("{{{0}}} is not a field a template can use (it can use {names})", names = template_field_names())]
    Unknown(String),
    /// A `{` without its `}`, or a `}` alone.
    #[error("a lone `{0}`: a placeholder is written {{title}}, a brace {{{{ or }}}}")]
    LoneBrace(char),
}

/// Compiles `text`: `{name}` placeholders of [`TEMPLATE_FIELDS`], `{{` and `}}` for braces.
pub(crate) fn parse_template(text: &str) -> Result<Template, TemplateError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '}' => return Err(TemplateError::LoneBrace('}')),
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some('{') | None => return Err(TemplateError::LoneBrace('{')),
                        Some(c) => name.push(c),
                    }
                }
                let name = name.trim();
                let Some((known, _)) = TEMPLATE_FIELDS.iter().find(|(n, _)| *n == name) else {
                    return Err(TemplateError::Unknown(name.to_string()));
                };
                if !literal.is_empty() {
                    parts.push(TemplatePart::Text(std::mem::take(&mut literal)));
                }
                parts.push(TemplatePart::Field(known));
            }
            c => literal.push(c),
        }
    }
    if !literal.is_empty() {
        parts.push(TemplatePart::Text(literal));
    }
    Ok(Template {
        text: text.to_string(),
        parts,
    })
}

/// Which rewrite left a field empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rewrite {
    /// The field's `replace` pairs.
    Replace,
    /// The field's `template`.
    Template,
}

impl Rewrite {
    /// The key as written in the config.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Rewrite::Replace => "replace",
            Rewrite::Template => "template",
        }
    }
}

/// A field whose rewrite left nothing: it kept its value as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Emptied {
    /// The field (`title`, `link`, `date`, `summary`, `detail.author`, …).
    pub(crate) field: &'static str,
    /// The rewrite at fault.
    pub(crate) rewrite: Rewrite,
}

/// `value` with every pair of `replace` applied in order, tidied (trimmed; text also
/// whitespace-collapsed): `None` when there is no pair, `Some(None)` when the result is
/// empty (the caller keeps `value`).
fn replaced(value: &str, replace: &[Replace], html: bool) -> Option<Option<String>> {
    if replace.is_empty() {
        return None;
    }
    let mut text = Cow::Borrowed(value);
    for pair in replace {
        if let Cow::Owned(changed) = pair.regex.replace_all(&text, pair.replacement.as_str()) {
            text = Cow::Owned(changed);
        }
    }
    let tidy = tidy(&text, html);
    Some((!tidy.is_empty()).then_some(tidy))
}

/// A rewritten value made clean: HTML trimmed, text whitespace-collapsed.
fn tidy(text: &str, html: bool) -> String {
    if html {
        text.trim().to_string()
    } else {
        clean_text(text)
    }
}

/// Applies `field`'s `replace` pairs to `value` in place; records in `emptied` under `name`
/// when they leave nothing (the value stays as found).
fn replace_in(
    value: &mut Option<String>,
    field: Option<&FieldSelector>,
    name: &'static str,
    html: bool,
    emptied: &mut Vec<Emptied>,
) {
    let (Some(text), Some(field)) = (value.as_mut(), field) else {
        return;
    };
    match replaced(text, &field.replace, html) {
        Some(Some(new)) => *text = new,
        Some(None) => emptied.push(Emptied {
            field: name,
            rewrite: Rewrite::Replace,
        }),
        None => {}
    }
}

/// Date candidates (or the values of a field with several: categories, enclosures) with
/// `field`'s `replace` pairs applied (a value they empty stays as found); whether any was
/// emptied.
pub(crate) fn replace_dates(dates: &mut [String], field: Option<&FieldSelector>) -> bool {
    let Some(field) = field else {
        return false;
    };
    let mut emptied = false;
    for date in dates {
        match replaced(date, &field.replace, false) {
            Some(Some(new)) => *date = new,
            Some(None) => emptied = true,
            None => {}
        }
    }
    emptied
}

/// `template` filled from `item`. HTML output (`html`, a summary the feed publishes as
/// HTML) escapes text fields; text output reads an HTML summary (`summary_html`) as text.
fn fill(template: &Template, item: &RawItem, base: &Url, html: bool, summary_html: bool) -> String {
    // The literal text between placeholders, and each placeholder's value (`None`: the item
    // lacks the field).
    let mut literals: Vec<String> = vec![String::new()];
    let mut values: Vec<Option<String>> = Vec::new();
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => {
                if let Some(last) = literals.last_mut() {
                    last.push_str(text);
                }
            }
            TemplatePart::Field(name) => {
                let value = TEMPLATE_FIELDS
                    .iter()
                    .find(|(n, _)| n == name)
                    .and_then(|(_, get)| get(item, base))
                    .map(|value| {
                        let value_html = summary_html && *name == HTML_FIELD;
                        match (html, value_html) {
                            (true, false) => escape_html(&value),
                            (false, true) => plain_text(&value),
                            _ => value.into_owned(),
                        }
                    });
                values.push(value.filter(|v| !v.trim().is_empty()));
                literals.push(String::new());
            }
        }
    }
    // A field the item lacks takes the separators and brackets beside it along (": Title ()"
    // becomes "Title"); the fields' own text is left as it is.
    let before: &[char] = &[':', '-', '–', '—', '|', ',', '/', '·', '•', '(', '[', ' '];
    let after: &[char] = &[':', '-', '–', '—', '|', ',', '/', '·', '•', ')', ']', ' '];
    let mut out = String::new();
    for (index, literal) in literals.iter().enumerate() {
        let missing_before = index > 0 && values[index - 1].is_none();
        let missing_after = values.get(index).is_some_and(Option::is_none);
        let mut text = literal.as_str();
        if missing_before {
            text = text.trim_start_matches(after);
        }
        if missing_after {
            text = text.trim_end_matches(before);
        }
        // Between two missing fields, or at an end beside one: nothing of it is wanted.
        let at_start = index == 0 || out.trim().is_empty();
        let at_end = index + 1 == literals.len();
        if (missing_before && (missing_after || at_end)) || (missing_after && at_start) {
            text = text.trim_matches(&[' '][..]);
        }
        out.push_str(text);
        if let Some(Some(value)) = values.get(index) {
            out.push_str(value);
        }
    }
    tidy(&out, html)
}

/// Rewrites the fields of `item`, a listing entry as found: every field's `replace` pairs,
/// then the title's and the summary's `template` (both filled from the replaced fields).
/// `base` resolves `{link}`; `summary_html`: the summary is HTML (the feed publishes HTML
/// summaries read from an element). Returns the fields a rewrite left empty: they keep
/// their value from before it.
pub(crate) fn rewrite_item(
    item: &mut RawItem,
    selectors: &Selectors,
    base: &Url,
    summary_html: bool,
) -> Vec<Emptied> {
    let mut emptied = Vec::new();
    let summary = selectors.summary.as_ref();
    replace_in(
        &mut item.title,
        Some(&selectors.title),
        "title",
        false,
        &mut emptied,
    );
    replace_in(
        &mut item.link,
        Some(&selectors.link),
        "link",
        false,
        &mut emptied,
    );
    if replace_dates(&mut item.dates, selectors.date.as_ref()) {
        emptied.push(Emptied {
            field: "date",
            rewrite: Rewrite::Replace,
        });
    }
    replace_in(
        &mut item.summary,
        summary,
        "summary",
        summary_html,
        &mut emptied,
    );
    let image = selectors.image.as_ref();
    replace_in(&mut item.image, image, "image", false, &mut emptied);
    let author = selectors.author.as_ref();
    replace_in(&mut item.author, author, "author", false, &mut emptied);
    for (values, field, name) in [
        (
            &mut item.categories,
            selectors.category.as_ref(),
            "category",
        ),
        (
            &mut item.enclosures,
            selectors.enclosure.as_ref().map(|e| &e.field),
            "enclosure",
        ),
    ] {
        if replace_dates(values, field) {
            emptied.push(Emptied {
                field: name,
                rewrite: Rewrite::Replace,
            });
        }
    }
    let title = selectors
        .title
        .template
        .as_ref()
        .map(|t| fill(t, item, base, false, summary_html));
    let summary_text = summary
        .and_then(|s| s.template.as_ref())
        .map(|t| fill(t, item, base, summary_html, summary_html));
    for (value, filled, name) in [
        (&mut item.title, title, "title"),
        (&mut item.summary, summary_text, "summary"),
    ] {
        match filled {
            Some(text) if !text.is_empty() => *value = Some(text),
            // Nothing to fall back to: the field stays missing, as without a template.
            Some(_) if value.is_some() => emptied.push(Emptied {
                field: name,
                rewrite: Rewrite::Template,
            }),
            _ => {}
        }
    }
    emptied
}

/// Rewrites what an item's own page gave by the `replace` pairs of `fields` (the content is
/// HTML); returns the fields they left empty, which keep their value as found.
pub(crate) fn rewrite_detail(detail: &mut Detail, fields: &DetailSelectors) -> Vec<Emptied> {
    let mut emptied = Vec::new();
    for (value, field, name, html) in [
        (&mut detail.content, &fields.content, "detail.content", true),
        (
            &mut detail.summary,
            &fields.summary,
            "detail.summary",
            false,
        ),
        (&mut detail.author, &fields.author, "detail.author", false),
        (&mut detail.image, &fields.image, "detail.image", false),
    ] {
        replace_in(value, field.as_ref(), name, html, &mut emptied);
    }
    if replace_dates(&mut detail.dates, fields.date.as_ref()) {
        emptied.push(Emptied {
            field: "detail.date",
            rewrite: Rewrite::Replace,
        });
    }
    emptied
}

#[cfg(test)]
mod tests;
