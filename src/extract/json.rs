//! JSON listings (`format = "json"`): the document parsed with serde_json, its items found by
//! the item JSONPath, and each field read by its own JSONPath with the item as root, into the
//! same [`RawItem`]s an HTML page gives.

use chrono::DateTime;
use serde_json::Value;
use serde_json_path::JsonPath;
use url::Url;

use super::html::{document_base, parse_html};
use super::{ExtractError, RawItem, WrongType};
use crate::spec::{Embedded, FeedSpec, FieldSelector, SummaryFormat};
use crate::text::{clean_text, text_of};

/// Unix times above this are milliseconds (10^11 seconds is the year 5138).
const MILLIS_FROM: f64 = 1e11;

/// The items of a JSON listing, and the address its links are resolved against.
#[derive(Debug)]
pub(super) struct JsonItems {
    /// The values the item path selected, in document order.
    pub(super) items: Vec<Value>,
    /// The page's address, or the embedding HTML page's `<base href>`.
    pub(super) base_url: Url,
}

/// Parses `text` (the page, or the HTML page holding the JSON when `embedded`) and selects
/// the items of `path`.
pub(super) fn parse(
    text: &str,
    page_url: &Url,
    path: &JsonPath,
    embedded: Option<&Embedded>,
) -> Result<JsonItems, ExtractError> {
    let (json, base_url) = match embedded {
        Some(embedded) => {
            let document = parse_html(text)?;
            let json = document
                .select(&embedded.selector)
                .next()
                .map(|element| element.text().collect::<String>())
                .ok_or_else(|| ExtractError::NoEmbedded {
                    selector: embedded.css.clone(),
                    bytes: text.len(),
                })?;
            (json, Some(document_base(&document, page_url)))
        }
        None => (String::new(), None),
    };
    let source = if embedded.is_some() { &json } else { text };
    let document: Value =
        serde_json::from_str(source.trim_start_matches('\u{feff}')).map_err(|source| {
            ExtractError::NotJson {
                embedded: embedded.map(|e| e.css.clone()),
                source,
            }
        })?;
    drop(json);
    let items = path.query(&document).all().into_iter().cloned().collect();
    Ok(JsonItems {
        items,
        base_url: base_url.unwrap_or_else(|| page_url.clone()),
    })
}

/// What a field found in an item: text, nothing, or a value that is not text.
enum Found {
    Text(String),
    Nothing,
    /// An array or an object: what it is, in words.
    NotText(&'static str),
}

/// The first value `field`'s path selects in `item`, as text: strings as they are, numbers and
/// booleans as written.
fn find<'a>(item: &'a Value, field: &FieldSelector) -> (Found, Option<&'a Value>) {
    let Some(path) = &field.path else {
        return (Found::Nothing, None);
    };
    let value = path.query(item).first();
    let found = match value {
        None | Some(Value::Null) => Found::Nothing,
        Some(Value::String(text)) => Found::Text(text.clone()),
        Some(Value::Number(number)) => Found::Text(number.to_string()),
        Some(Value::Bool(flag)) => Found::Text(flag.to_string()),
        Some(Value::Array(_)) => Found::NotText("an array"),
        Some(Value::Object(_)) => Found::NotText("an object"),
    };
    (found, value)
}

/// Reads `field` of `item`: its text, cleaned by `clean` and cut by its regex; a value that
/// is not text is noted in `wrong` under `name`.
fn text(
    item: &Value,
    field: &FieldSelector,
    name: &'static str,
    wrong: &mut Vec<WrongType>,
    clean: impl Fn(&str) -> String,
) -> Option<String> {
    match find(item, field).0 {
        Found::Text(text) => Some(clean(&text))
            .filter(|t| !t.is_empty())
            .and_then(|t| field.cut(t)),
        Found::Nothing => None,
        Found::NotText(found) => {
            wrong.push(WrongType {
                field: name,
                path: field.css.clone(),
                found,
            });
            None
        }
    }
}

/// Every value `field`'s path selects in `item` (an array's values, for a path to the array),
/// as text cleaned by `clean` and cut by its regex, each once; an object is noted in `wrong`.
fn all(
    item: &Value,
    field: &FieldSelector,
    name: &'static str,
    wrong: &mut Vec<WrongType>,
    clean: impl Fn(&str) -> String,
) -> Vec<String> {
    let Some(path) = &field.path else {
        return Vec::new();
    };
    let mut values: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut push = |value: &Value| {
        if values.len() >= super::MAX_VALUES {
            return;
        }
        let text = match value {
            Value::String(text) => clean(text),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Null => return,
            Value::Array(_) | Value::Object(_) => {
                wrong.push(WrongType {
                    field: name,
                    path: field.css.clone(),
                    found: if value.is_array() {
                        "an array"
                    } else {
                        "an object"
                    },
                });
                return;
            }
        };
        if let Some(text) = Some(text)
            .filter(|t| !t.is_empty())
            .and_then(|t| field.cut(t))
            && seen.insert(text.clone())
        {
            values.push(text);
        }
    };
    for value in path.query(item).all() {
        match value {
            Value::Array(inner) => inner.iter().for_each(&mut push),
            other => push(other),
        }
    }
    values
}

impl JsonItems {
    /// Date candidates of item `index`: a number is a Unix time (seconds, or milliseconds
    /// above 10^11), given as RFC 3339.
    pub(super) fn dates(&self, index: usize, spec: &FeedSpec) -> Vec<String> {
        let mut wrong = Vec::new();
        self.item_dates(index, spec, &mut wrong)
    }

    fn item_dates(&self, index: usize, spec: &FeedSpec, wrong: &mut Vec<WrongType>) -> Vec<String> {
        let (Some(item), Some(field)) = (self.items.get(index), spec.selectors.date.as_ref())
        else {
            return Vec::new();
        };
        let numeric = matches!(find(item, field).1, Some(Value::Number(_)));
        let Some(text) = text(item, field, "date", wrong, clean_text) else {
            return Vec::new();
        };
        if numeric && let Some(date) = unix_time(&text) {
            return vec![date];
        }
        vec![text]
    }

    /// Every field of item `index` (0-based).
    pub(super) fn item(&self, index: usize, spec: &FeedSpec) -> RawItem {
        let position = index + 1;
        let Some(item) = self.items.get(index) else {
            return RawItem {
                position,
                ..RawItem::default()
            };
        };
        let selectors = &spec.selectors;
        let mut wrong = Vec::new();
        // APIs often give titles as HTML (WordPress' `title.rendered`: `&#8217;`, `<em>`).
        let title = text(item, &selectors.title, "title", &mut wrong, plain_text);
        let link = text(item, &selectors.link, "link", &mut wrong, |t| {
            t.trim().to_string()
        });
        let dates = self.item_dates(index, spec, &mut wrong);
        let summary = selectors.summary.as_ref().and_then(|field| {
            text(item, field, "summary", &mut wrong, |t| {
                match spec.summary_format {
                    // HTML as the page gives it: the item builder sanitises it.
                    SummaryFormat::Html => t.trim().to_string(),
                    SummaryFormat::Text => plain_text(t),
                }
            })
        });
        let image = selectors
            .image
            .as_ref()
            .and_then(|field| text(item, field, "image", &mut wrong, |t| t.trim().to_string()));
        let author = selectors
            .author
            .as_ref()
            .and_then(|field| text(item, field, "author", &mut wrong, plain_text));
        let categories = selectors
            .category
            .as_ref()
            .map(|field| all(item, field, "category", &mut wrong, plain_text))
            .unwrap_or_default();
        let enclosures = selectors
            .enclosure
            .as_ref()
            .map(|e| {
                all(item, &e.field, "enclosure", &mut wrong, |t| {
                    t.trim().to_string()
                })
            })
            .unwrap_or_default();
        RawItem {
            position,
            title,
            link,
            dates,
            summary,
            image,
            author,
            categories,
            enclosures,
            wrong_types: wrong,
        }
    }
}

/// `text` without markup, entities decoded, whitespace collapsed: a title or summary that is
/// HTML, read as text.
pub(crate) fn plain_text(text: &str) -> String {
    if !text.contains(['<', '&']) {
        return clean_text(text);
    }
    match parse_html(text) {
        Ok(document) => text_of(document.root_element()),
        Err(_) => clean_text(text),
    }
}

/// A Unix time (seconds, or milliseconds above 10^11) as RFC 3339; `None` when out of range.
fn unix_time(text: &str) -> Option<String> {
    let number: f64 = text.parse().ok()?;
    if !number.is_finite() {
        return None;
    }
    let seconds = if number.abs() > MILLIS_FROM {
        number / 1000.0
    } else {
        number
    };
    let whole = seconds.floor();
    // Within ±2^53 an f64 holds every whole second chrono can represent (±2.6 × 10^14 s).
    if whole.abs() > 1e15 {
        return None;
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked above to be a whole number well within i64"
    )]
    let secs = whole as i64;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a fraction of a second in nanoseconds is within 0..1e9"
    )]
    let nanos = ((seconds - whole) * 1e9) as u32;
    DateTime::from_timestamp(secs, nanos.min(999_999_999))
        .map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

#[cfg(test)]
mod tests {
    use super::{plain_text, unix_time};

    #[test]
    fn titles_given_as_html_are_read_as_text() {
        assert_eq!(plain_text("It&#8217;s <em>here</em>"), "It\u{2019}s here");
        assert_eq!(plain_text("AT&T  and   R&D"), "AT&T and R&D");
        assert_eq!(plain_text("Plain title"), "Plain title");
    }

    #[test]
    fn unix_times_in_seconds_and_milliseconds() {
        assert_eq!(
            unix_time("1700000000").as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            unix_time("1700000000000").as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            unix_time("1700000000.5").as_deref(),
            Some("2023-11-14T22:13:20.500Z")
        );
        assert_eq!(unix_time("1e300"), None);
        assert_eq!(unix_time("nope"), None);
    }
}
