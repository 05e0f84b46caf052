//! Lists in a page's embedded state: the JSON an app shell carries in a
//! `<script type="application/json">` (Next.js' `__NEXT_DATA__`, Nuxt, Astro islands) holds
//! the items its scripts render. Found here, they can be read as a JSON source
//! (`format = "json"`, `embedded = "…"`) without a browser.

use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

/// The largest embedded document looked into.
const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;
/// How deep the document is walked.
const MAX_DEPTH: usize = 24;
/// Items looked at to judge a list's keys.
const SAMPLE: usize = 50;

/// A list of items found in a page's embedded JSON, as JSONPaths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddedList {
    /// CSS selector of the element whose text is the JSON (the first it matches).
    pub element: String,
    /// JSONPath of the items (`$.props.pageProps.posts[*]`).
    pub item: String,
    /// The title, relative to an item (`$.title`).
    pub title: String,
    /// The link, relative to an item.
    pub link: String,
    /// The date, when the items have one.
    pub date: Option<String>,
    /// The summary, when the items have one.
    pub summary: Option<String>,
    /// How many items the list has.
    pub count: usize,
}

/// The best list of linked, titled items in `html`'s embedded JSON, if there is one.
pub fn embedded_list(html: &str) -> Option<EmbeddedList> {
    let document = Html::parse_document(html);
    let scripts = Selector::parse("script").ok()?;
    let mut best: Option<(f64, EmbeddedList)> = None;
    let mut json_scripts = 0;
    for script in document.select(&scripts) {
        let kind = script.value().attr("type").unwrap_or("").trim();
        let id = script.value().id();
        let is_json = kind.eq_ignore_ascii_case("application/json");
        if !is_json && id != Some("__NEXT_DATA__") {
            continue;
        }
        let element = match id {
            Some(id) if plain_name(id) => format!("script#{id}"),
            // Only the first such script can be named without an id.
            _ if is_json && json_scripts == 0 => "script[type=\"application/json\"]".to_string(),
            _ => {
                json_scripts += usize::from(is_json);
                continue;
            }
        };
        json_scripts += usize::from(is_json);
        let text = text_of(script);
        if text.len() > MAX_JSON_BYTES {
            continue;
        }
        let Ok(value) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        best_list(&value, &element, &mut best);
    }
    best.map(|(_, list)| list)
}

/// The best list of linked, titled items in `text` when it is a JSON document (an API's
/// answer, the address found in the browser's network tab); its `element` is empty.
pub fn json_list(text: &str) -> Option<EmbeddedList> {
    let text = text.trim_start_matches('\u{feff}').trim();
    if !(text.starts_with('{') || text.starts_with('[')) || text.len() > MAX_JSON_BYTES {
        return None;
    }
    let value = serde_json::from_str::<Value>(text).ok()?;
    let mut best = None;
    best_list(&value, "", &mut best);
    best.map(|(_, list)| list)
}

/// Keeps in `best` the best list under `value` (found in `element`), if better.
fn best_list(value: &Value, element: &str, best: &mut Option<(f64, EmbeddedList)>) {
    let mut path = Vec::new();
    walk(value, &mut path, 0, &mut |path, items| {
        if let Some((score, mut list)) = judge_list(items)
            && best.as_ref().is_none_or(|(b, _)| score > *b)
        {
            list.element = element.to_string();
            list.item = format!("${}[*]", path_text(path));
            *best = Some((score, list));
        }
    });
}

fn text_of(element: ElementRef<'_>) -> String {
    element.text().collect()
}

/// A name usable after `#` in a CSS selector as it is.
fn plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// A step of a JSON path.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Calls `found` with every array of at least three items under `value`, and its path.
fn walk(
    value: &Value,
    path: &mut Vec<Step>,
    depth: usize,
    found: &mut dyn FnMut(&[Step], &[Value]),
) {
    if depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::Array(items) => {
            if items.len() >= 3 {
                found(path, items);
            }
            for (index, item) in items.iter().enumerate().take(3) {
                path.push(Step::Index(index));
                walk(item, path, depth + 1, found);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(Step::Key(key.clone()));
                walk(item, path, depth + 1, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A path as JSONPath segments (`.key`, `['odd key']`, `[0]`), without the `$`.
fn path_text(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) if plain_key(key) => format!(".{key}"),
            Step::Key(key) => format!("['{}']", key.replace('\\', "\\\\").replace('\'', "\\'")),
            Step::Index(index) => format!("[{index}]"),
        })
        .collect()
}

fn plain_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What a field's values look like across a list's items.
#[derive(Debug, Default)]
struct Values {
    /// Items that have a text (or number) there.
    present: usize,
    /// Of those, distinct ones.
    distinct: usize,
    /// Mean length in characters.
    mean_chars: f64,
    /// Values with a space (several words).
    with_words: usize,
    /// Values like a link (`http…` or `/…`).
    links: usize,
    /// Values like a date (ISO 8601, or a Unix time in seconds or milliseconds).
    dates: usize,
}

/// The fields of the items (keys, and keys of objects one level down), with their values.
fn fields(items: &[&serde_json::Map<String, Value>]) -> Vec<(Vec<String>, Values)> {
    let mut names: Vec<Vec<String>> = Vec::new();
    for item in items {
        for (key, value) in *item {
            let mut add = |name: Vec<String>| {
                if !names.contains(&name) {
                    names.push(name);
                }
            };
            match value {
                Value::Object(inner) => {
                    for (inner_key, inner_value) in inner {
                        if inner_value.is_string() || inner_value.is_number() {
                            add(vec![key.clone(), inner_key.clone()]);
                        }
                    }
                }
                Value::String(_) | Value::Number(_) => add(vec![key.clone()]),
                _ => {}
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let texts: Vec<String> = items
                .iter()
                .filter_map(|item| {
                    let mut value = item.get(name.first()?)?;
                    for key in name.iter().skip(1) {
                        value = value.get(key)?;
                    }
                    match value {
                        Value::String(text) => Some(text.trim().to_string()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    }
                })
                .filter(|text| !text.is_empty())
                .collect();
            let mut distinct = texts.clone();
            distinct.sort();
            distinct.dedup();
            let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
            let values = Values {
                present: texts.len(),
                distinct: distinct.len(),
                mean_chars: float(chars) / float(texts.len().max(1)),
                with_words: texts.iter().filter(|t| t.contains(' ')).count(),
                links: texts.iter().filter(|t| like_link(t)).count(),
                dates: texts.iter().filter(|t| like_date(t)).count(),
            };
            (name, values)
        })
        .collect()
}

/// A count as a float (counts here are far below 2^32).
fn float(count: usize) -> f64 {
    f64::from(u32::try_from(count).unwrap_or(u32::MAX))
}

fn like_link(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://") || text.starts_with('/'))
        && !text.contains(char::is_whitespace)
        && !text.starts_with("//")
}

fn like_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    let iso = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[5..7].iter().all(u8::is_ascii_digit)
        && bytes[7] == b'-'
        && bytes[8..10].iter().all(u8::is_ascii_digit);
    // Unix times from 2001 to 2286, in seconds or milliseconds.
    let unix = text.parse::<u64>().is_ok_and(|n| {
        (1_000_000_000..10_000_000_000).contains(&n)
            || (1_000_000_000_000..10_000_000_000_000).contains(&n)
    });
    iso || unix
}

/// Names that say what a field is, best first.
const TITLE_NAMES: &[&str] = &["title", "headline", "name", "heading", "label"];
const LINK_NAMES: &[&str] = &["url", "link", "href", "permalink", "path", "uri"];
const DATE_NAMES: &[&str] = &[
    "date",
    "published",
    "publishedat",
    "published_at",
    "datepublished",
    "created",
    "createdat",
    "created_at",
    "time",
    "datetime",
    "updated",
];
const SUMMARY_NAMES: &[&str] = &[
    "summary",
    "excerpt",
    "description",
    "teaser",
    "abstract",
    "lead",
    "subtitle",
];

/// A bonus for a field whose name (its last key, or the key above `rendered`/`text`) says
/// what it is.
fn named(name: &[String], names: &[&str]) -> f64 {
    if name
        .iter()
        .any(|key| names.contains(&key.to_ascii_lowercase().as_str()))
    {
        1.0
    } else {
        0.0
    }
}

/// Whether `items` is a list of linked, titled items, and how good a one.
fn judge_list(items: &[Value]) -> Option<(f64, EmbeddedList)> {
    let objects: Vec<&serde_json::Map<String, Value>> = items
        .iter()
        .take(SAMPLE)
        .filter_map(Value::as_object)
        .collect();
    let sample = items.len().min(SAMPLE);
    if objects.len() * 5 < sample * 4 || objects.len() < 3 {
        return None;
    }
    let n = objects.len();
    let mostly = |count: usize| count * 10 >= n * 8;
    let fields = fields(&objects);
    let jsonpath = |name: &[String]| {
        format!(
            "${}",
            path_text(&name.iter().cloned().map(Step::Key).collect::<Vec<_>>())
        )
    };
    let best = |score: &dyn Fn(&[String], &Values) -> Option<f64>| {
        fields
            .iter()
            .filter_map(|(name, values)| Some((score(name, values)?, name)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, name)| name.clone())
    };
    let link = best(&|name, v| {
        (mostly(v.present) && mostly(v.links) && v.distinct * 10 >= v.present * 9)
            .then(|| 1.0 + named(name, LINK_NAMES))
    })?;
    let title = best(&|name, v| {
        (name != link.as_slice()
            && mostly(v.present)
            && v.links == 0
            && v.dates * 2 < v.present
            && (4.0..=300.0).contains(&v.mean_chars)
            && v.distinct * 10 >= v.present * 8)
            .then(|| 2.0 * named(name, TITLE_NAMES) + (float(v.with_words) / float(n)))
            .filter(|score| *score > 0.5)
    })?;
    let date = best(&|name, v| {
        (mostly(v.present) && mostly(v.dates)).then(|| 1.0 + named(name, DATE_NAMES))
    });
    let summary = best(&|name, v| {
        (name != title.as_slice()
            && v.present * 2 >= n
            && v.links == 0
            && v.mean_chars > 40.0
            && v.with_words * 2 >= v.present)
            .then(|| 1.0 + named(name, SUMMARY_NAMES))
    });
    let score = float(items.len())
        * (1.0
            + f64::from(u8::from(date.is_some()))
            + 0.5 * f64::from(u8::from(summary.is_some())));
    Some((
        score,
        EmbeddedList {
            element: String::new(),
            item: String::new(),
            title: jsonpath(&title),
            link: jsonpath(&link),
            date: date.as_deref().map(jsonpath),
            summary: summary.as_deref().map(jsonpath),
            count: items.len(),
        },
    ))
}

/// A ready-to-paste `[[feed]]` block reading `list` from the page at `url` (or the saved
/// page `source`) as a JSON source; `loaded_by`: the page whose scripts requested `url`.
pub fn embedded_block(
    list: &EmbeddedList,
    id: &str,
    title: &str,
    url: &str,
    source: Option<&str>,
    page: &super::PageFacts,
    loaded_by: Option<&str>,
) -> String {
    use std::fmt::Write as _;
    let quote = super::toml_string;
    let mut out = if let Some(loaded_by) = loaded_by {
        format!(
            "# The page's scripts build its list from this JSON, which its own requests loaded\n\
             # ({} items): read as a JSON source, no browser needed. The page: {loaded_by}\n",
            list.count
        )
    } else if list.element.is_empty() {
        format!(
            "# The page is JSON: {} items, read as a JSON source.\n",
            list.count
        )
    } else {
        format!(
            "# The list is built by the page's scripts from the JSON it carries in {}: read\n\
             # there ({} items), no browser needed.\n",
            list.element, list.count
        )
    };
    super::block::feed_head(&mut out, id, title, url, source, page);
    out.push_str("format = \"json\"\n");
    if !list.element.is_empty() {
        let _ = writeln!(out, "embedded = {}", quote(&list.element));
    }
    let _ = writeln!(
        out,
        "selectors.item = {}\nselectors.title = {}\nselectors.link = {}",
        quote(&list.item),
        quote(&list.title),
        quote(&list.link)
    );
    if let Some(date) = &list.date {
        let _ = writeln!(out, "selectors.date = {}", quote(date));
    }
    if let Some(summary) = &list.summary {
        let _ = writeln!(out, "selectors.summary = {}", quote(summary));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_posts_of_next_data() {
        let html = r#"<html><body><div id="__next"></div>
<script id="__NEXT_DATA__" type="application/json">{"props":{"pageProps":{
  "nav":[{"label":"Home","href":"/"},{"label":"About","href":"/about"},{"label":"News","href":"/news"}],
  "posts":[
    {"id":1,"title":"ILO and China sign a new programme","slug":"a","url":"/news/a","publishedAt":"2024-05-06T08:00:00Z","excerpt":"The programme covers decent work, social protection and skills for the years ahead."},
    {"id":2,"title":"Social protection is not a luxury","slug":"b","url":"/news/b","publishedAt":"2024-04-15T08:00:00Z","excerpt":"A speech on the floor of social protection that every country can afford today."},
    {"id":3,"title":"Young people and the labour market","slug":"c","url":"/news/c","publishedAt":"2024-04-02T08:00:00Z","excerpt":"A workshop on how young people enter the labour market, and what helps them stay."},
    {"id":4,"title":"Labour inspectors against forced labour","slug":"d","url":"/news/d","publishedAt":"2024-03-25T08:00:00Z","excerpt":"Inspectors met to share what works against forced labour in factories and farms."}
  ]}}}</script></body></html>"#;
        let list = embedded_list(html).unwrap();
        assert_eq!(
            list,
            EmbeddedList {
                element: "script#__NEXT_DATA__".into(),
                item: "$.props.pageProps.posts[*]".into(),
                title: "$.title".into(),
                link: "$.url".into(),
                date: Some("$.publishedAt".into()),
                summary: Some("$.excerpt".into()),
                count: 4,
            }
        );
    }

    #[test]
    fn a_json_document_itself() {
        let api = r#"[
            {"headline":"One thing happened today","link":"https://example.org/a"},
            {"headline":"Another thing happened","link":"https://example.org/b"},
            {"headline":"A third thing happened","link":"https://example.org/c"}]"#;
        let list = json_list(api).unwrap();
        assert_eq!((list.element.as_str(), list.item.as_str()), ("", "$[*]"));
        assert_eq!(
            (list.title.as_str(), list.link.as_str()),
            ("$.headline", "$.link")
        );
        assert_eq!(json_list("<html><body>[1]</body></html>"), None);
        assert_eq!(json_list("{\"a\": 1}"), None);
    }

    #[test]
    fn nested_titles_odd_keys_and_pages_without_a_list() {
        let html = r#"<script type="application/json">{"data":{"latest-news":[
            {"title":{"rendered":"First news of the week"},"link":"https://example.org/1","date":1714982400},
            {"title":{"rendered":"Second news of the week"},"link":"https://example.org/2","date":1714896000},
            {"title":{"rendered":"Third news of the week"},"link":"https://example.org/3","date":1714809600}
        ]}}</script>"#;
        let list = embedded_list(html).unwrap();
        assert_eq!(list.element, "script[type=\"application/json\"]");
        assert_eq!(list.item, "$.data['latest-news'][*]");
        assert_eq!(list.title, "$.title.rendered");
        assert_eq!(list.link, "$.link");
        assert_eq!(list.date.as_deref(), Some("$.date"));
        assert_eq!(list.summary, None);
        for html in [
            "<p>no scripts</p>",
            r#"<script type="application/json">{"a":[1,2,3]}</script>"#,
            r#"<script type="application/json">not json</script>"#,
            r#"<script id="__NEXT_DATA__">{"tags":[{"name":"a b","url":"/t/a"},{"name":"a b","url":"/t/a"},{"name":"a b","url":"/t/a"}]}</script>"#,
        ] {
            assert_eq!(embedded_list(html), None, "{html}");
        }
    }
}
