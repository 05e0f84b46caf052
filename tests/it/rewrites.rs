//! Rewrites (issue 18): per-field `replace` pairs and `template`s, read back from the feeds a
//! run writes; an empty result keeps the value with a warning; mistakes are config errors.

use std::path::{Path, PathBuf};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{parse_rss, pressfeed, stderr};

/// A listing as agencies write them: prefixes, suffixes, a kind and a date beside the title.
const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>News</title></head><body>
<ul class="news">
  <li><a href="/n/1.htm">Press release: New office opens in Beijing [PDF]</a>
      <span class="kind">Statement</span> <time>2024-05-06</time>
      <p>The office <span class="ad">Subscribe!</span>opens.</p></li>
  <li><a href="/n/2.htm">Press release:   Youth employment report</a>
      <span class="kind">Report</span> <time>2024-05-05</time>
      <p>A report.</p></li>
  <li><a href="/n/3.htm">Decent work country programme [PDF]</a>
      <span class="kind">Agreement</span> <time>2024-05-04</time>
      <p>Signed.</p></li>
  <li><a href="/n/4.htm">新闻稿：国际劳工组织发布报告 📰</a>
      <span class="kind">新闻</span> <time>2024-05-03</time>
      <p>报告。</p></li>
</ul></body></html>
"#;

/// A feed `news` reading `page.html` (the page's address is https://example.org/news/), in
/// a temporary folder.
struct Site {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Site {
    /// A site whose feed has `keys` added and `selectors` as its `[feed.selectors]`.
    fn new(page: &str, keys: &str, selectors: &str) -> Site {
        Site::with_config(page, &config_text(keys, selectors))
    }

    /// A site with `page` as `page.html` and `text` as its config.
    fn with_config(page: &str, text: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("page.html"), page).unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).unwrap();
        Site { dir, config }
    }

    /// Runs with `-v`, asserting that no item was warned about.
    fn run_clean(&self) {
        let err = stderr(&self.cmd(&["run", "-v"]).assert().success());
        assert!(!err.contains("warning"), "{err}");
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = pressfeed();
        cmd.arg("--config").arg(&self.config).args(args);
        cmd
    }

    fn rss(&self) -> rss::Channel {
        parse_rss(&self.dir.path().join("public").join("news.rss"))
    }

    /// The titles of the RSS feed, in page order (the page is newest first).
    fn titles(&self) -> Vec<String> {
        titles(&self.dir.path().join("public"))
    }
}

/// The titles of `news.rss` in `out`.
fn titles(out: &Path) -> Vec<String> {
    parse_rss(&out.join("news.rss"))
        .items
        .iter()
        .map(|i| i.title.clone().unwrap())
        .collect()
}

fn config_text(keys: &str, selectors: &str) -> String {
    format!(
        "[output]\ndir = \"public\"\n\n[fetch]\nhost_delay = 0\nretries = 0\n\n\
         [[feed]]\nid = \"news\"\ntitle = \"News\"\nurl = \"https://example.org/news/\"\n\
         source = \"page.html\"\n{keys}\n\n[feed.selectors]\n{selectors}\n"
    )
}

/// The press-release rewrites of the docs' first example.
const PRESS: &str = r#"item = "ul.news li"
title = { selector = "a", replace = [["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]] }
link = "a"
date = "time"
"#;

#[test]
fn prefixes_and_suffixes_are_removed_from_titles() {
    let site = Site::new(PAGE, "", PRESS);
    site.run_clean();
    assert_eq!(
        site.titles(),
        [
            "New office opens in Beijing",
            "Youth employment report",
            "Decent work country programme",
            "新闻稿：国际劳工组织发布报告 📰",
        ]
    );
    // The links are the page's, resolved as usual.
    let links: Vec<String> = site
        .rss()
        .items
        .iter()
        .map(|i| i.link.clone().unwrap())
        .collect();
    assert_eq!(links[0], "https://example.org/n/1.htm");
}

#[test]
fn a_template_builds_the_title_from_two_fields() {
    let selectors = r#"item = "ul.news li"
title = { selector = "a", replace = [["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]], template = "{summary}: {title}" }
link = { selector = "a", replace = [["\\.htm$", ".html"]] }
date = { selector = "time", replace = [["^(\\d{4})-(\\d{2})-(\\d{2})$", "$3/$2/$1"]] }
summary = { selector = "span.kind", template = "{summary} of {date} — {link}" }
"#;
    let site = Site::new(PAGE, "date_formats = [\"%d/%m/%Y\"]", selectors);
    site.run_clean();
    assert_eq!(
        site.titles(),
        [
            "Statement: New office opens in Beijing",
            "Report: Youth employment report",
            "Agreement: Decent work country programme",
            "新闻: 新闻稿：国际劳工组织发布报告 📰",
        ]
    );
    let first = &site.rss().items[0];
    assert_eq!(first.link.as_deref(), Some("https://example.org/n/1.html"));
    assert_eq!(
        first.description.as_deref(),
        Some("Statement of 06/05/2024 — https://example.org/n/1.html")
    );
    // The replaced date text parsed with the feed's format.
    assert_eq!(
        first.pub_date.as_deref(),
        Some("Mon, 6 May 2024 00:00:00 +0000")
    );
}

#[test]
fn cjk_prefixes_and_emoji_are_rewritten() {
    let selectors = r#"item = "ul.news li"
title = { selector = "a", replace = [["^新闻稿[：:]\\s*", ""], ["\\s*📰$", " 🗞️"], ["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]] }
link = "a"
"#;
    let site = Site::new(PAGE, "", selectors);
    site.cmd(&["run"]).assert().success();
    assert_eq!(site.titles()[3], "国际劳工组织发布报告 🗞️");
}

#[test]
fn an_empty_result_keeps_the_title_with_a_warning() {
    let page = PAGE.replace("Decent work country programme [PDF]", "[PDF]");
    let selectors = r#"item = "ul.news li"
title = { selector = "a", replace = [["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]] }
link = "a"
summary = { selector = "p", template = "{date}" }
"#;
    let site = Site::new(&page, "", selectors);
    let err = stderr(&site.cmd(&["run", "-v"]).assert().success());
    let expected = "pressfeed: warning: feed \"news\": item 3 \"[PDF]\": field \"title\": its `replace` leaves nothing; the value from before it is kept";
    assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    // No date selector: {date} is empty, so every summary keeps its text.
    assert!(
        err.contains("item 1 \"New office opens in Beijing\": field \"summary\": its `template` leaves nothing"),
        "{err}"
    );
    let titles = site.titles();
    assert_eq!(titles[2], "[PDF]");
    assert_eq!(
        site.rss().items[1].description.as_deref(),
        Some("A report.")
    );
    // A run under cron says nothing of it; `check` lists it with the other problems.
    assert_eq!(stderr(&site.cmd(&["run"]).assert().success()), "");
    let check = site.cmd(&["check", "news"]).assert().success();
    let out = String::from_utf8_lossy(&check.get_output().stdout).into_owned();
    assert!(
        out.contains("problems:\n")
            && out.contains(expected.trim_start_matches("pressfeed: warning: feed \"news\": ")),
        "{out}"
    );
}

#[test]
fn html_summaries_are_rewritten_before_they_are_sanitised() {
    let selectors = r#"item = "ul.news li"
title = { selector = "a", replace = [["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""]] }
link = "a"
summary = { selector = "p", replace = [["<span class=\"ad\">[^<]*</span>", ""]], template = "<b>{title}</b>: {summary}" }
"#;
    let site = Site::new(PAGE, "summary_format = \"html\"", selectors);
    site.cmd(&["run"]).assert().success();
    assert_eq!(
        site.rss().items[0].description.as_deref(),
        Some("<b>New office opens in Beijing</b>: The office opens.")
    );
}

#[test]
fn json_feeds_are_rewritten() {
    let json = r#"{"posts": [
  {"title": "Press release: Budget agreed [PDF]", "url": "/p/1", "section": "Finance"},
  {"title": "新闻稿：预算 🎉", "url": "/p/2", "section": "财经"}
]}"#;
    let selectors = r#"item = "$.posts[*]"
title = { selector = "$.title", replace = [["^Press release:\\s*", ""], ["\\s*\\[PDF\\]$", ""], ["^新闻稿：", ""]], template = "{summary} | {title}" }
link = "$.url"
summary = "$.section"
"#;
    let site = Site::new(json, "format = \"json\"", selectors);
    site.cmd(&["run"]).assert().success();
    assert_eq!(site.titles(), ["Finance | Budget agreed", "财经 | 预算 🎉"]);
}

/// The error `run` stops with for a config with `title` as the title field.
fn config_error(title: &str) -> String {
    let site = Site::new(
        PAGE,
        "",
        &format!("item = \"ul.news li\"\ntitle = {title}\nlink = \"a\""),
    );
    let assert = site.cmd(&["run"]).assert().code(2);
    let err = stderr(&assert);
    let shown = site.config.display().to_string();
    err.replace(&shown, "config.toml")
}

#[test]
fn a_bad_pattern_is_a_config_error_naming_its_place() {
    let err = config_error(r#"{ selector = "a", replace = [["^Press", ""], ["[PDF]$(", ""]] }"#);
    assert!(
        err.contains(
            "config.toml:17:54: feed \"news\": field \"selectors.title.replace[1]\": regex \"[PDF]$(\" is not valid"
        ),
        "{err}"
    );
    let err = config_error(r#"{ selector = "a", replace = [["^Press"]] }"#);
    assert!(
        err.contains(
            "config.toml:17:38: feed \"news\": field \"selectors.title.replace[0]\": a replace is a pair of strings"
        ),
        "{err}"
    );
}

#[test]
fn an_unknown_template_field_is_a_config_error_listing_the_known_ones() {
    let err = config_error(r#"{ selector = "a", template = "{section}: {title}" }"#);
    assert!(
        err.contains(
            "config.toml:17:38: feed \"news\": field \"selectors.title.template\": template \"{section}: {title}\" is not valid: {section} is not a field a template can use (it can use {title}, {summary}, {link}, {date}, {category}, {author})"
        ),
        "{err}"
    );
}

#[test]
fn a_changed_rewrite_reads_an_unchanged_page_again() {
    let server = TestServer::start();
    server.route("/news", vec![Reply::html(PAGE).etag("\"v1\"")]);
    let served = |selectors: &str| {
        config_text("", selectors).replace(
            "url = \"https://example.org/news/\"\nsource = \"page.html\"",
            &format!("url = {:?}", server.url("/news")),
        )
    };
    let site = Site::with_config(
        PAGE,
        &served("item = \"ul.news li\"\ntitle = \"a\"\nlink = \"a\""),
    );
    site.cmd(&["run"]).assert().success();
    assert_eq!(site.titles()[1], "Press release: Youth employment report");
    std::fs::write(&site.config, served(PRESS)).unwrap();
    site.cmd(&["run"]).assert().success();
    assert_eq!(site.titles()[1], "Youth employment report");
    // The second run asked for the whole page, not whether it changed.
    let requests = server.requests("/news");
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(
        !requests[1].headers.contains_key("if-none-match"),
        "{requests:?}"
    );
    // Unchanged config: a conditional request again.
    site.cmd(&["run"]).assert().success();
    let requests = server.requests("/news");
    let last = requests.last().unwrap();
    assert_eq!(
        last.headers.get("if-none-match").map(String::as_str),
        Some("\"v1\"")
    );
    assert_eq!(site.titles()[1], "Youth employment report");
}

#[test]
fn the_documented_example_gives_the_documented_titles() {
    let docs =
        std::fs::read_to_string(pressfeed_testkit::root().join("docs/configuration.md")).unwrap();
    let section = docs
        .split("## Rewrites and templates")
        .nth(1)
        .and_then(|rest| rest.split("```toml\n").nth(1))
        .and_then(|block| block.split("```").next())
        .unwrap();
    let text = section.replace(
        "url = \"https://example.org/news/\"\n",
        "url = \"https://example.org/news/\"\nsource = \"page.html\"\n",
    );
    let site = Site::with_config(PAGE, &format!("[output]\ndir = \"public\"\n\n{text}"));
    site.cmd(&["run"]).assert().success();
    assert_eq!(
        site.titles(),
        [
            "Statement: New office opens in Beijing",
            "Report: Youth employment report",
            "Agreement: Decent work country programme",
            "新闻: 国际劳工组织发布报告",
        ]
    );
}
