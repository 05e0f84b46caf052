//! The compiler's messages and defaults.

use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

use super::defaults::{DEFAULT_MAX_ITEMS, DEFAULT_USER_AGENT};
use crate::spec::{Config, Format, Source};

const GOOD: &str = r#"
[output]
dir = "out"
base_url = "https://feeds.example.org/news"

[[feed]]
id = "demo"
title = "Demo"
url = "https://example.org/news/"
source = "page.html"
timezone = "Europe/Paris"
date_formats = ["%d/%m/%Y"]

[feed.selectors]
item = "li.item"
title = "h3 a"
link = "h3 a"
date = { selector = "time", attr = "datetime" }
summary = "p"
"#;

fn err(text: &str) -> String {
    match Config::parse(text, Path::new("conf/pf.toml")) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn loads_a_good_config() {
    let config = Config::parse(GOOD, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(config.output.dir, PathBuf::from("conf/out"));
    assert_eq!(
        config.output.base_url.unwrap().as_str(),
        "https://feeds.example.org/news/"
    );
    let feed = &config.feeds[0];
    assert_eq!(feed.id, "demo");
    assert_eq!(feed.description, "Demo");
    assert_eq!(feed.author, "example.org");
    assert_eq!(feed.timezone, chrono_tz::Europe::Paris);
    assert_eq!(feed.max_items, DEFAULT_MAX_ITEMS);
    assert_eq!(feed.source, Source::File(PathBuf::from("conf/page.html")));
    assert_eq!(feed.selectors.link.attr.as_deref(), Some("href"));
    assert_eq!(
        feed.selectors.date.as_ref().unwrap().attr.as_deref(),
        Some("datetime")
    );
    assert!(feed.selectors.summary.as_ref().unwrap().attr.is_none());
}

#[test]
fn fetch_settings_default_and_override_per_feed() {
    let config = Config::parse(GOOD, Path::new("conf/pf.toml")).unwrap();
    // Beside the config file, absolute.
    assert_eq!(
        config.output.state,
        std::path::absolute("conf/pressfeed-state.sqlite").unwrap()
    );
    assert_eq!(config.run.concurrency, 8);
    assert_eq!(config.run.host_delay, Duration::from_secs(1));
    let feed = &config.feeds[0];
    assert_eq!(feed.fetch.user_agent, DEFAULT_USER_AGENT);
    assert_eq!(feed.fetch.timeout, Duration::from_secs(30));
    assert_eq!(feed.fetch.connect_timeout, Duration::from_secs(10));
    assert_eq!(feed.fetch.max_body_bytes, 10 * 1024 * 1024);
    assert!(feed.fetch.robots_txt);
    assert_eq!((feed.keep_days, feed.min_item_share), (30, 0.2));

    let text = GOOD
        .replace(
            "[[feed]]",
            "[fetch]\ntimeout = 5\nhost_delay = 0.25\nrobots_txt = false\n\n[[feed]]",
        )
        .replace(
            "timezone = ",
            "timeout = 2.5\nencoding = \"GBK\"\nuser_agent = \"Bot/1\"\ntimezone = ",
        );
    let config = Config::parse(&text, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(config.run.host_delay, Duration::from_millis(250));
    let feed = &config.feeds[0];
    assert_eq!(feed.fetch.timeout, Duration::from_millis(2500));
    assert_eq!(feed.fetch.user_agent, "Bot/1");
    assert!(!feed.fetch.robots_txt);
    assert_eq!(feed.encoding, Some(encoding_rs::GBK));

    let text = GOOD.replace("timezone = ", "encoding = \"klingon\"\ntimezone = ");
    assert!(err(&text).starts_with(
            "conf/pf.toml:11:12: feed \"demo\": field \"encoding\": \"klingon\" is not a known character encoding"
        ));
    let text = GOOD.replace("[[feed]]", "[fetch]\nconcurrency = 0\n\n[[feed]]");
    assert_eq!(
        err(&text),
        "conf/pf.toml:7:15: field \"fetch.concurrency\": 0 is out of range (at least 1, at most 256)"
    );
    let text = GOOD.replace("timezone = ", "timeout = -1\ntimezone = ");
    assert!(err(&text).contains("field \"timeout\": -1 is not a number of seconds"));
}

#[test]
fn formats_default_to_all_and_can_be_narrowed() {
    let config = Config::parse(GOOD, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(config.feeds[0].formats, Format::ALL);
    let text = GOOD.replace(
        "dir = \"out\"",
        "dir = \"out\"\nformats = [\"json\", \"rss\"]",
    );
    let config = Config::parse(&text, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(config.feeds[0].formats, [Format::Rss, Format::Json]);
    let text = GOOD.replace("timezone = ", "formats = [\"atom\"]\ntimezone = ");
    let config = Config::parse(&text, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(config.feeds[0].formats, [Format::Atom]);
    assert!(
        err(&GOOD.replace("timezone = ", "formats = []\ntimezone = "))
            .contains("field \"formats\": must name at least one of")
    );
    assert!(err(&GOOD.replace("timezone = ", "formats = [\"csv\"]\ntimezone = ")).contains("csv"));
    let text = GOOD.replace(
        "dir = \"out\"",
        "dir = \"out\"\nwebsub_hub = \"https://hub.example.org/\"",
    );
    let config = Config::parse(&text, Path::new("conf/pf.toml")).unwrap();
    assert_eq!(
        config.output.websub_hub.unwrap().as_str(),
        "https://hub.example.org/"
    );
    let text = text.replace("base_url = \"https://feeds.example.org/news\"\n", "");
    assert!(err(&text).contains("field \"output.websub_hub\": needs `output.base_url`"));
}

#[test]
fn a_field_can_cut_its_value_with_a_regex() {
    let text = GOOD.replace(
        "summary = \"p\"",
        "summary = { selector = \"p\", regex = \"^Summary: (.*)$\" }",
    );
    let config = Config::parse(&text, Path::new("conf/pf.toml")).unwrap();
    let summary = config.feeds[0].selectors.summary.clone().unwrap();
    assert_eq!(
        summary.cut("Summary: all well".into()).as_deref(),
        Some("all well")
    );
    assert_eq!(summary.cut("Nothing here".into()), None);
    let text = GOOD.replace(
        "summary = \"p\"",
        "summary = { selector = \"p\", regex = \"(\" }",
    );
    assert!(err(&text).contains("field \"selectors.summary\": regex \"(\" is not valid"));
}

#[test]
fn pagination_needs_a_next_link_or_a_pattern() {
    let with = |table: &str| {
        GOOD.replace(
            "[feed.selectors]",
            &format!("[feed.pagination]\n{table}\n\n[feed.selectors]"),
        )
    };
    let config = Config::parse(
        &with("next = \"a.next\"\nmax_pages = 3"),
        Path::new("p.toml"),
    )
    .unwrap();
    assert_eq!(config.feeds[0].pagination.as_ref().unwrap().max_pages, 3);
    let config = Config::parse(
        &with("pattern = \"https://example.org/news/nextRow--{offset}/\"\nstep = 20"),
        Path::new("p.toml"),
    )
    .unwrap();
    let pagination = config.feeds[0].pagination.clone().unwrap();
    assert_eq!(
        pagination.pattern_url(3).unwrap().as_str(),
        "https://example.org/news/nextRow--40/"
    );
    assert!(err(&with("max_pages = 3")).contains("field \"pagination\": needs one of `next`"));
    assert!(
        err(&with("pattern = \"https://example.org/\"")).contains("field \"pagination.pattern\"")
    );
    assert!(err(&with("pattern = \"https://e.org/{offset}\"")).contains("needs `step`"));
}

/// Found by fuzzing: the largest `step` overflowed the offset of page 4 (a panic in debug
/// builds, a wrong address in release ones); such a page is no page.
#[test]
fn issue_6_pattern_offsets_that_overflow_are_no_page() {
    let text = GOOD.replace(
            "[feed.selectors]",
            "[feed.pagination]\npattern = \"https://example.org/news/?start={offset}\"\nstep = 9223372036854775807\nmax_pages = 100\n\n[feed.selectors]",
        );
    let config = Config::parse(&text, Path::new("p.toml")).unwrap();
    let pagination = config.feeds[0].pagination.clone().unwrap();
    assert_eq!(
        pagination.pattern_url(3).unwrap().as_str(),
        "https://example.org/news/?start=18446744073709551614"
    );
    assert_eq!(pagination.pattern_url(4), None);
}

#[test]
fn duplicate_ids_are_an_error() {
    let second = GOOD[GOOD.find("[[feed]]").unwrap()..].replace("Demo", "Other");
    let text = format!("{GOOD}\n{second}");
    assert_eq!(
        err(&text),
        "conf/pf.toml:22:6: feed \"demo\": field \"id\": \"demo\" is already the id of an earlier feed (\"Demo\"); each feed needs its own"
    );
}

/// Issue 12: `ilo` and `ILO` would share files on macOS and Windows.
#[test]
fn ids_that_differ_only_in_case_are_an_error() {
    let second = GOOD[GOOD.find("[[feed]]").unwrap()..]
        .replace("Demo", "Other")
        .replace("id = \"demo\"", "id = \"DEMO\"");
    let text = format!("{GOOD}\n{second}");
    assert_eq!(
        err(&text),
        "conf/pf.toml:22:6: feed \"DEMO\": field \"id\": \"DEMO\" differs only in case from \"demo\", the id of an earlier feed (\"Demo\"); their files would be one on macOS and Windows: each feed needs its own"
    );
}

/// Issue 12: an id names files, which file systems limit to 255 bytes.
#[test]
fn ids_are_at_most_100_characters() {
    let long = "a".repeat(100);
    let config = Config::parse(
        &GOOD.replace("id = \"demo\"", &format!("id = \"{long}\"")),
        Path::new("conf/pf.toml"),
    )
    .unwrap();
    assert_eq!(config.feeds[0].id, long);
    let longer = "a".repeat(101);
    assert_eq!(
        err(&GOOD.replace("id = \"demo\"", &format!("id = \"{longer}\""))),
        format!(
            "conf/pf.toml:7:6: feed \"{longer}\": field \"id\": is 101 characters long; an id has at most 100 (it names the feed files)"
        )
    );
}

/// Issue 12: the state file (the run log, its errors) is never inside the published folder.
#[test]
fn a_state_file_inside_the_output_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().canonicalize().unwrap();
    let path = dir.path().join("pf.toml");
    let parse = |text: &str| match Config::parse(text, &path) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    };
    let inside = GOOD.replace(
        "dir = \"out\"",
        "dir = \"out\"\nstate = \"out/../out/s.sqlite\"",
    );
    assert_eq!(
        parse(&inside),
        format!(
            "{}:4:9: field \"output.state\": {} is inside output.dir ({}), which is published: keep the state file outside it (it holds the run log and its errors)",
            path.display(),
            real.join("out/s.sqlite").display(),
            real.join("out").display()
        )
    );
    // The config's own folder published: the default place is inside it.
    let here = GOOD.replace("dir = \"out\"", "dir = \".\"");
    assert_eq!(
        parse(&here),
        format!(
            "{}:1:1: field \"output.state\": the state file's default place, {} (beside the config file), is inside output.dir ({}), which is published: set output.state to a path outside it",
            path.display(),
            real.join("pressfeed-state.sqlite").display(),
            real.display()
        )
    );
    let outside = GOOD.replace("dir = \"out\"", "dir = \".\"\nstate = \"../s.sqlite\"");
    let config = Config::parse(&outside, &path).unwrap();
    assert_eq!(config.output.state, real.parent().unwrap().join("s.sqlite"));
}

#[test]
fn no_source_means_live_fetch_of_url() {
    let text = GOOD.replace("source = \"page.html\"\n", "");
    let config = Config::parse(&text, Path::new("pf.toml")).unwrap();
    assert_eq!(
        config.feeds[0].source,
        Source::Http(Url::parse("https://example.org/news/").unwrap())
    );
}

#[test]
fn unknown_key_names_file_line_feed_and_key() {
    let text = GOOD.replace("timezone = ", "time_zone = ");
    assert_eq!(
        err(&text).lines().next().unwrap(),
        "conf/pf.toml:11:1: feed \"demo\": field \"time_zone\": unknown field `time_zone`, expected one of `id`, `title`, `description`, `language`, `url`, `source`, `format`, `embedded`, `author`, `timezone`, `date_formats`, `max_items`, `summary_format`, `encoding`, `keep_days`, `min_item_share`, `future_dates`, `user_agent`, `connect_timeout`, `timeout`, `max_body_bytes`, `feed_timeout`, `robots_txt`, `formats`, `pagination`, `detail`, `on_change`, `render`, `wait_for`, `selectors`, `filter`, `request`"
    );
}

#[test]
fn unknown_selector_key_is_an_error() {
    let text = GOOD.replace("summary = \"p\"", "sumary = \"p\"");
    let message = err(&text);
    assert!(
        message.starts_with(
            "conf/pf.toml:19:1: feed \"demo\": field \"sumary\": unknown field `sumary`"
        ),
        "{message}"
    );
}

#[test]
fn bad_selector_names_feed_and_field() {
    let text = GOOD.replace("title = \"h3 a\"", "title = \"h3 >> a\"");
    let message = err(&text);
    assert!(
            message.starts_with(
                "conf/pf.toml:16:9: feed \"demo\": field \"selectors.title\": \"h3 >> a\" is not a valid CSS selector"
            ),
            "{message}"
        );
}

#[test]
fn bad_timezone_url_and_format_are_errors() {
    assert_eq!(
        err(&GOOD.replace("Europe/Paris", "Europe/Pariss")),
        "conf/pf.toml:11:12: feed \"demo\": field \"timezone\": \"Europe/Pariss\" is not an IANA time zone name such as \"Asia/Shanghai\" or \"UTC\""
    );
    assert!(
            err(&GOOD.replace("https://example.org/news/", "example.org/news"))
                .starts_with("conf/pf.toml:9:7: feed \"demo\": field \"url\": \"example.org/news\" is not a valid URL")
        );
    assert_eq!(
        err(&GOOD.replace("%d/%m/%Y", "%d/%Q")),
        "conf/pf.toml:12:17: feed \"demo\": field \"date_formats\": \"%d/%Q\" is not a valid chrono date format (e.g. \"%d %B %Y\")"
    );
    assert!(
        err(&GOOD.replace("https://feeds.example.org/news", "ftp://x"))
            .contains("field \"output.base_url\": \"ftp://x\" is not an http(s) URL")
    );
}

#[test]
fn wrong_type_and_missing_field() {
    let message = err(&GOOD.replace("title = \"Demo\"", "title = 5"));
    assert!(
        message.starts_with(
            "conf/pf.toml:8:9: feed \"demo\": field \"title\": invalid type: integer `5`"
        ),
        "{message}"
    );
    let message = err(&GOOD.replace("url = \"https://example.org/news/\"\n", ""));
    assert_eq!(
        message,
        "conf/pf.toml:6:1: feed \"demo\": field \"url\": missing field `url`"
    );
    assert!(
        err(&GOOD.replace("title = \"Demo\"", "title = \"\\u0001 \""))
            .contains("field \"title\": must not be empty")
    );
}

#[test]
fn bad_id_and_no_feeds() {
    assert!(err(&GOOD.replace("id = \"demo\"", "id = \"../x\"")).contains("field \"id\""));
    assert_eq!(err("[output]\n"), "conf/pf.toml: no [[feed]] is defined");
}

const JSON_FEED: &str = r#"
[[feed]]
id = "api"
title = "API"
url = "https://example.org/api/posts"
format = "json"
embedded = "script#__NEXT_DATA__"

[feed.selectors]
item = "$.data.posts[*]"
title = "$.title"
link = { selector = "$.url", regex = "(\\S+)" }
date = "$.meta.published"
"#;

#[test]
fn a_json_feed_compiles_its_paths_and_embedded_selector() {
    use crate::spec::{ItemSelector, PageFormat};
    let config = Config::parse(JSON_FEED, Path::new("conf/pf.toml")).unwrap();
    let feed = &config.feeds[0];
    let PageFormat::Json(json) = &feed.format else {
        panic!("not a JSON feed: {:?}", feed.format);
    };
    assert_eq!(json.embedded.as_ref().unwrap().css, "script#__NEXT_DATA__");
    assert!(matches!(feed.selectors.item, ItemSelector::Json(_)));
    assert_eq!(feed.selectors.item_css, "$.data.posts[*]");
    assert_eq!(feed.selectors.link.css, "$.url");
    assert!(feed.selectors.link.path.is_some() && feed.selectors.link.attr.is_none());
    assert!(feed.selectors.link.regex.is_some());
    // HTML feeds' fingerprints are unchanged by the JSON keys; a JSON feed's differs.
    let html = Config::parse(GOOD, Path::new("conf/pf.toml")).unwrap();
    assert!(matches!(html.feeds[0].format, PageFormat::Html));
    assert_ne!(feed.fingerprint(), html.feeds[0].fingerprint());
}

#[test]
fn json_feed_mistakes_name_place_feed_and_field() {
    let bad_path = err(&JSON_FEED.replace("$.data.posts[*]", "$.data.posts[*"));
    assert!(
        bad_path.starts_with("conf/pf.toml:10:8: feed \"api\": field \"selectors.item\": \"$.data.posts[*\" is not a valid JSONPath"),
        "{bad_path}"
    );
    let attr = err(&JSON_FEED.replace(
        r#"title = "$.title""#,
        r#"title = { selector = "$.title", from = "link" }"#,
    ));
    assert!(
        attr.contains("field \"selectors.title\": `from` is for HTML pages"),
        "{attr}"
    );
    let empty = err(&JSON_FEED.replace(r#"date = "$.meta.published""#, r#"date = " ""#));
    assert!(
        empty.contains("field \"selectors.date\": the JSONPath is empty"),
        "{empty}"
    );
    let html = err(&JSON_FEED.replace("format = \"json\"\n", ""));
    assert!(
        html.contains("field \"embedded\": reads JSON embedded in an HTML page"),
        "{html}"
    );
    let next = err(&format!(
        "{JSON_FEED}\n[feed.pagination]\nnext = \"a.next\"\n"
    ));
    assert!(
        next.contains("field \"pagination.next\": `next` is for HTML pages"),
        "{next}"
    );
}

#[test]
fn render_and_wait_for_are_checked_at_load() {
    let with = |keys: &str| GOOD.replace("date_formats = [", &format!("{keys}\ndate_formats = ["));
    let bad = err(&with("render = \"chrome\""));
    assert!(
        bad.contains("feed \"demo\"")
            && bad.contains("field \"render\"")
            && bad.contains("\"chrome\""),
        "{bad}"
    );
    let lone = err(&with("wait_for = \"ul li\""));
    assert!(
        lone.contains("field \"wait_for\"") && lone.contains("render = \"browser\""),
        "{lone}"
    );
    let browser = with("render = \"browser\"\nwait_for = \"ul li\"");
    if cfg!(feature = "browser") {
        let config = Config::parse(&browser, Path::new("conf/pf.toml")).unwrap();
        assert_eq!(
            config.feeds[0].render,
            crate::spec::Render::Browser {
                wait_for: Some("ul li".to_string())
            }
        );
        let bad = err(&with("render = \"browser\"\nwait_for = \"ul[\""));
        assert!(bad.contains("field \"wait_for\""), "{bad}");
    } else {
        let unbuilt = err(&browser);
        assert!(
            unbuilt.contains("pf.toml:")
                && unbuilt.contains("feed \"demo\"")
                && unbuilt.contains("field \"render\"")
                && unbuilt.contains("cargo install --locked --path . --features browser"),
            "{unbuilt}"
        );
    }
    let plain = Config::parse(&with("render = \"none\""), Path::new("conf/pf.toml")).unwrap();
    assert_eq!(plain.feeds[0].render, crate::spec::Render::None);
}
