//! Replaces, templates and their fallbacks, on items as extraction gives them.

use std::path::Path;

use chrono::Utc;

use super::*;
use crate::extract::{Extraction, extract};
use crate::item::{ItemWarning, build_items};
use crate::spec::{Config, FeedSpec};

/// A feed with `keys` added to it and `selectors` as its `[feed.selectors]`.
fn spec(keys: &str, selectors: &str) -> FeedSpec {
    let text = format!(
        "[output]\ndir = \"out\"\n\n[[feed]]\nid = \"demo\"\ntitle = \"Demo\"\n\
         url = \"https://example.org/news/\"\n{keys}\n\n[feed.selectors]\n{selectors}\n"
    );
    match Config::parse(&text, Path::new("pf.toml")) {
        Ok(mut config) => config.feeds.remove(0),
        Err(error) => panic!("{error}"),
    }
}

fn base() -> Url {
    Url::parse("https://example.org/news/").unwrap()
}

fn item(title: &str, summary: Option<&str>) -> RawItem {
    RawItem {
        position: 1,
        title: Some(title.to_string()),
        link: Some("/a/1.htm".to_string()),
        dates: vec!["2024-05-06".to_string(), "6 May 2024".to_string()],
        summary: summary.map(str::to_string),
        ..RawItem::default()
    }
}

/// `item` rewritten by a feed with `selectors`: the item and the fields emptied.
fn rewritten(selectors: &str, mut raw: RawItem) -> (RawItem, Vec<Emptied>) {
    let spec = spec("", selectors);
    let emptied = rewrite_item(&mut raw, &spec.selectors, &base(), false);
    (raw, emptied)
}

/// Selectors whose title has `pairs` as its `replace`.
fn title_replace(pairs: &str) -> String {
    format!("item = \"li\"\ntitle = {{ selector = \"a\", replace = {pairs} }}\nlink = \"a\"")
}

const PRESS: &str = r#"[["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]]"#;

#[test]
fn replaces_apply_in_order_to_the_value() {
    let (raw, emptied) = rewritten(
        &title_replace(PRESS),
        item("Press release: New office opens [PDF]", None),
    );
    assert_eq!(raw.title.as_deref(), Some("New office opens"));
    assert!(emptied.is_empty());
    // Titles the patterns do not match stay as they are.
    let (raw, _) = rewritten(&title_replace(PRESS), item("Annual report", None));
    assert_eq!(raw.title.as_deref(), Some("Annual report"));
    // In order: the second pair sees what the first made.
    let chained = title_replace(r#"[["cat", "dog"], ["dog", "bird"]]"#);
    let (raw, _) = rewritten(&chained, item("cat and dog", None));
    assert_eq!(raw.title.as_deref(), Some("bird and bird"));
}

#[test]
fn replacements_name_groups_and_patterns_may_ignore_case() {
    let selectors = title_replace(
        r#"[["(?i)^(?<kind>speech|statement) by (\\w+):\\s*(.*)$", "$3 (${kind}, $2)"]]"#,
    );
    let (raw, _) = rewritten(&selectors, item("SPEECH by Director: Decent work", None));
    assert_eq!(raw.title.as_deref(), Some("Decent work (SPEECH, Director)"));
}

#[test]
fn unicode_prefixes_and_emoji_are_replaced() {
    let selectors = title_replace(r#"[["^新闻稿[：:]\\s*", ""], ["\\s*🔥+$", ""], ["📰", "🗞️"]]"#);
    let (raw, emptied) = rewritten(
        &selectors,
        item("新闻稿：国际劳工组织 📰 发布报告 🔥🔥", None),
    );
    assert_eq!(raw.title.as_deref(), Some("国际劳工组织 🗞️ 发布报告"));
    assert!(emptied.is_empty());
}

#[test]
fn an_empty_result_keeps_the_value_as_found() {
    let selectors = r#"item = "li"
title = { selector = "a", replace = [["^Press release:.*", ""]] }
link = "a"
summary = { selector = "p", replace = [["\\S", " "]] }
"#;
    let (raw, emptied) = rewritten(
        selectors,
        item(
            "Press release: everything goes",
            Some("Only whitespace left"),
        ),
    );
    assert_eq!(raw.title.as_deref(), Some("Press release: everything goes"));
    assert_eq!(raw.summary.as_deref(), Some("Only whitespace left"));
    assert_eq!(
        emptied,
        [
            Emptied {
                field: "title",
                rewrite: Rewrite::Replace
            },
            Emptied {
                field: "summary",
                rewrite: Rewrite::Replace
            }
        ]
    );
}

#[test]
fn links_and_dates_are_replaced_before_they_are_read() {
    let selectors = r#"item = "li"
title = "a"
link = { selector = "a", replace = [["\\.htm$", ".html"]] }
date = { selector = "time", replace = [["^Posted on ", ""]] }
"#;
    let mut raw = item("Title", None);
    raw.dates = vec!["Posted on 6 May 2024".to_string()];
    let (raw, _) = rewritten(selectors, raw);
    assert_eq!(raw.link.as_deref(), Some("/a/1.html"));
    assert_eq!(raw.dates, ["6 May 2024"]);
}

#[test]
fn templates_build_titles_from_the_replaced_fields() {
    let selectors = r#"item = "li"
title = { selector = "a", replace = [["^Press release:\\s*", ""]], template = "{summary}: {title} ({date})" }
link = "a"
summary = { selector = "p", replace = [["\\s+news$", ""]], template = "{title} — {link}" }
"#;
    let (raw, emptied) = rewritten(
        selectors,
        item("Press release: Office opens", Some("Beijing news")),
    );
    // Both templates read the fields as replaced, not each other's result.
    assert_eq!(
        raw.title.as_deref(),
        Some("Beijing: Office opens (6 May 2024)")
    );
    assert_eq!(
        raw.summary.as_deref(),
        Some("Office opens — https://example.org/a/1.htm")
    );
    assert!(emptied.is_empty());
}

#[test]
fn a_missing_field_leaves_its_placeholder_empty() {
    let selectors = r#"item = "li"
title = { selector = "a", template = "  {summary} {title}  " }
link = "a"
summary = "p"
"#;
    let (raw, _) = rewritten(selectors, item("Office opens", None));
    assert_eq!(raw.title.as_deref(), Some("Office opens"));
}

#[test]
fn an_empty_template_keeps_the_value() {
    let selectors = r#"item = "li"
title = "a"
link = "a"
summary = { selector = "p", template = "{date}" }
"#;
    let mut raw = item("Office opens", Some("A summary"));
    raw.dates.clear();
    let (raw, emptied) = rewritten(selectors, raw);
    assert_eq!(raw.summary.as_deref(), Some("A summary"));
    assert_eq!(
        emptied,
        [Emptied {
            field: "summary",
            rewrite: Rewrite::Template
        }]
    );
    // No summary to keep: none, and nothing to say.
    let mut raw = item("Office opens", None);
    raw.dates.clear();
    let (raw, emptied) = rewritten(selectors, raw);
    assert_eq!(raw.summary, None);
    assert!(emptied.is_empty());
}

#[test]
fn html_summaries_are_replaced_before_sanitising_and_templates_escape_text() {
    let spec = spec(
        "summary_format = \"html\"",
        r#"item = "li"
title = { selector = "a", template = "{title}: {summary}" }
link = "a"
summary = { selector = "p", replace = [["<span class=\"ad\">.*?</span>", ""]], template = "<b>{title}</b> {summary}" }
"#,
    );
    let mut raw = item(
        "R&D <news>",
        Some("<em>Big</em> day<span class=\"ad\">Buy now</span>"),
    );
    let emptied = rewrite_item(&mut raw, &spec.selectors, &base(), true);
    assert!(emptied.is_empty());
    // The title reads the summary as text; the summary writes the title as HTML.
    assert_eq!(raw.title.as_deref(), Some("R&D <news>: Big day"));
    assert_eq!(
        raw.summary.as_deref(),
        Some("<b>R&amp;D &lt;news&gt;</b> <em>Big</em> day")
    );
}

#[test]
fn templates_parse_placeholders_and_braces() {
    let template = parse_template("{{{title}}}: { summary }").unwrap();
    assert_eq!(
        template.parts,
        [
            TemplatePart::Text("{".to_string()),
            TemplatePart::Field("title"),
            TemplatePart::Text("}: ".to_string()),
            TemplatePart::Field("summary"),
        ]
    );
    assert_eq!(
        parse_template("{section}: {title}"),
        Err(TemplateError::Unknown("section".to_string()))
    );
    assert_eq!(
        TemplateError::Unknown("section".to_string()).to_string(),
        "{section} is not a field a template can use (it can use {title}, {summary}, {link}, {date}, {category}, {author})"
    );
    assert_eq!(parse_template("{title"), Err(TemplateError::LoneBrace('{')));
    assert_eq!(parse_template("a } b"), Err(TemplateError::LoneBrace('}')));
    assert_eq!(
        parse_template("{ti{tle}"),
        Err(TemplateError::LoneBrace('{'))
    );
}

#[test]
fn build_items_warns_of_an_empty_result_and_keeps_the_item() {
    let spec = spec(
        "",
        r#"item = "li"
title = { selector = "a", replace = [["^\\[PDF\\]$", ""], ["^Press release:\\s*", ""]] }
link = "a"
"#,
    );
    let html =
        r#"<ul><li><a href="/1">[PDF]</a></li><li><a href="/2">Press release: Two</a></li></ul>"#;
    let extraction: Extraction = extract(html, &base(), &spec).unwrap();
    let built = build_items(extraction, &spec, Utc::now());
    let titles: Vec<&str> = built.items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(titles, ["[PDF]", "Two"]);
    assert_eq!(
        built.warnings,
        [ItemWarning::EmptyRewrite {
            position: 1,
            title: Some("[PDF]".to_string()),
            link: Some("/1".to_string()),
            field: "title",
            rewrite: "replace",
        }]
    );
    assert_eq!(
        built.warnings[0].to_string(),
        "item 1 \"[PDF]\": field \"title\": its `replace` leaves nothing; the value from before it is kept"
    );
}

#[test]
fn json_feeds_are_rewritten_too() {
    let spec = spec(
        "format = \"json\"",
        r#"item = "$.posts[*]"
title = { selector = "$.title", replace = [["^新闻稿：", ""]], template = "{title} 🔔" }
link = "$.url"
"#,
    );
    let json = r#"{"posts": [{"title": "新闻稿：发布会", "url": "/p/1"}]}"#;
    let built = build_items(extract(json, &base(), &spec).unwrap(), &spec, Utc::now());
    assert_eq!(built.items[0].title, "发布会 🔔");
}

#[test]
fn detail_fields_are_replaced() {
    let spec = spec(
        "[feed.detail]\nauthor = { selector = \".by\", replace = [[\"^By\\\\s+\", \"\"]] }\n\
         summary = { selector = \".lead\", replace = [[\".*\", \"\"]] }",
        "item = \"li\"\ntitle = \"a\"\nlink = \"a\"",
    );
    let mut detail = Detail {
        content: None,
        dates: Vec::new(),
        summary: Some("Lead".to_string()),
        author: Some("By Jane Doe".to_string()),
        image: None,
        base_url: base(),
    };
    let emptied = rewrite_detail(&mut detail, spec.detail.as_ref().unwrap());
    assert_eq!(detail.author.as_deref(), Some("Jane Doe"));
    assert_eq!(detail.summary.as_deref(), Some("Lead"));
    assert_eq!(
        emptied,
        [Emptied {
            field: "detail.summary",
            rewrite: Rewrite::Replace
        }]
    );
}

#[test]
fn dates_read_for_ordering_are_replaced() {
    let spec = spec(
        "",
        "item = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = { selector = \"time\", replace = [[\"^Posted: \", \"\"]] }",
    );
    let mut dates = vec!["Posted: 2024-05-06".to_string()];
    assert!(!replace_dates(&mut dates, spec.selectors.date.as_ref()));
    assert_eq!(dates, ["2024-05-06"]);
}

#[test]
fn a_missing_field_takes_only_its_own_separators_along() {
    let selectors = "item = \"li\"\ntitle = { selector = \"a\", template = \"{category}: {title} ({author})\" }\nlink = \"a\"\ncategory = \"span\"\nauthor = \"em\"";
    for (title, want) in [
        ("-40°C expected tonight", "-40°C expected tonight"),
        ("Calling main() safely", "Calling main() safely"),
        ("— a quote, they said", "— a quote, they said"),
    ] {
        let (raw, _) = rewritten(selectors, item(title, None));
        assert_eq!(raw.title.as_deref(), Some(want));
    }
    let mut both = item("Budget agreed", None);
    both.categories = vec!["Finance".into(), "finance".into(), "Economy".into()];
    both.author = Some("Li Wei".into());
    let (raw, _) = rewritten(selectors, both);
    assert_eq!(
        raw.title.as_deref(),
        Some("Finance, Economy: Budget agreed (Li Wei)")
    );
}
