//! Shaping the feed (issue 18): item images, authors, categories and enclosures read from a
//! listing written for them, published in RSS, Atom and JSON Feed and read back by `rss`,
//! `atom_syndication` and `serde_json`.

use std::path::{Path, PathBuf};

use pressfeed_testkit::{parse_atom, parse_rss, pressfeed, stderr};

/// A press office's listing (`fixtures/shape/`, which CI runs through feedcheck): thumbnails
/// (one lazy-loaded), category labels, PDF and Word attachments, bylines.
const LISTING: &str = include_str!("../../fixtures/shape/listing.html");

const SELECTORS: &str = r#"
[feed.selectors]
item = "li.release"
title = "h3 a"
link = "h3 a"
date = "time"
image = "img.thumb"
category = "span.tag"
enclosure = "a.file"
author = "span.by"
"#;

/// A feed `press` of `page` (saved beside the config), with `selectors`, in all formats.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(page: &str, selectors: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("page.html"), page).unwrap();
        let text = format!(
            "[output]\ndir = \"public\"\nformats = [\"rss\", \"atom\", \"json\"]\n\n\
             [[feed]]\nid = \"press\"\ntitle = \"Press\"\n\
             url = \"https://press.example.org/releases/\"\nsource = \"page.html\"\n{selectors}"
        );
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Site { dir }
    }

    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    fn out(&self, file: &str) -> PathBuf {
        self.dir.path().join("public").join(file)
    }

    /// `pressfeed check press`'s output; it must succeed.
    fn check(&self) -> String {
        let check = pressfeed()
            .arg("--config")
            .arg(self.config())
            .args(["check", "press"])
            .assert()
            .success();
        String::from_utf8_lossy(&check.get_output().stdout).into_owned()
    }

    fn run(&self) -> assert_cmd::assert::Assert {
        pressfeed()
            .arg("--config")
            .arg(self.config())
            .arg("run")
            .assert()
    }
}

fn json_feed(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn images_categories_enclosures_and_authors_in_all_three_formats() {
    let site = Site::new(LISTING, SELECTORS);
    let run = site.run();
    let err = stderr(&run);
    run.success();

    let channel = parse_rss(&site.out("press.rss"));
    assert_eq!(channel.items.len(), 3, "{err}");
    let first = &channel.items[0];
    let names: Vec<&str> = first.categories.iter().map(|c| c.name.as_str()).collect();
    // "wages" repeats "Wages" (case aside): kept once.
    assert_eq!(names, ["Wages", "China"]);
    let enclosure = first.enclosure.as_ref().unwrap();
    assert_eq!(
        (
            enclosure.url.as_str(),
            enclosure.mime_type.as_str(),
            enclosure.length.as_str()
        ),
        (
            "https://press.example.org/files/a.pdf",
            "application/pdf",
            "0"
        )
    );
    // The second attachment: RSS has one enclosure per item; Media RSS carries the rest.
    let more = &first.extensions["media"]["content"];
    assert_eq!(more.len(), 1);
    assert_eq!(
        more[0].attrs["url"],
        "https://press.example.org/files/a-annex.docx"
    );
    assert_eq!(
        more[0].attrs["type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let thumbnail = |item: &rss::Item| {
        item.extensions
            .get("media")
            .and_then(|m| m.get("thumbnail"))
            .map(|t| t[0].attrs["url"].clone())
    };
    assert_eq!(
        thumbnail(first).as_deref(),
        Some("https://press.example.org/img/a.jpg")
    );
    // A lazy-loaded image: its data-src, not the data: placeholder.
    assert_eq!(
        thumbnail(&channel.items[1]).as_deref(),
        Some("https://cdn.example.net/b.png")
    );
    assert_eq!(thumbnail(&channel.items[2]), None);
    let creators = &first.dublin_core_ext.as_ref().unwrap().creators;
    assert_eq!(creators, &["Li Wei"]);
    let third = &channel.items[2];
    assert!(third.categories.is_empty() && third.enclosure.is_none());
    assert!(third.dublin_core_ext.is_none());

    let feed = parse_atom(&site.out("press.atom"));
    let entry = &feed.entries[0];
    let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, ["Wages", "China"]);
    let enclosures: Vec<(&str, Option<&str>)> = entry
        .links
        .iter()
        .filter(|l| l.rel == "enclosure")
        .map(|l| (l.href.as_str(), l.mime_type.as_deref()))
        .collect();
    assert_eq!(
        enclosures,
        [
            (
                "https://press.example.org/files/a.pdf",
                Some("application/pdf")
            ),
            (
                "https://press.example.org/files/a-annex.docx",
                Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
            ),
        ]
    );
    assert_eq!(entry.authors[0].name, "Li Wei");
    // No summary on the page: the title is each entry's summary.
    let summaries: Vec<Option<&str>> = feed
        .entries
        .iter()
        .map(|e| e.summary.as_ref().map(|s| s.value.as_str()))
        .collect();
    assert_eq!(
        summaries,
        [
            Some("Minimum wages rise in three provinces"),
            Some("Social protection week opens"),
            Some("Skills forum in Ulaanbaatar")
        ]
    );

    let json = json_feed(&site.out("press.json"));
    let item = &json["items"][0];
    assert_eq!(item["tags"], serde_json::json!(["Wages", "China"]));
    assert_eq!(item["image"], "https://press.example.org/img/a.jpg");
    assert_eq!(
        item["attachments"][0]["url"],
        "https://press.example.org/files/a.pdf"
    );
    assert_eq!(item["attachments"][0]["mime_type"], "application/pdf");
    assert_eq!(item["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(item["authors"][0]["name"], "Li Wei");
    assert_eq!(
        json["items"][1]["tags"],
        serde_json::json!(["Social protection"])
    );
    assert!(json["items"][2].get("attachments").is_none());

    // `check` counts each field and shows the first values found.
    let out = site.check();
    for line in [
        "image: 2/3 items, such as: https://press.example.org/img/a.jpg\n",
        "author: 1/3 items, such as: Li Wei\n",
        "category: 2/3 items, such as: Wages | China\n",
    ] {
        assert!(out.contains(line), "{line} in {out}");
    }
}

#[test]
fn an_enclosure_type_given_and_categories_from_the_group_heading() {
    // Links with no extension (a download handler), typed by the config; the year heading
    // each item sits under as its category.
    let page = r#"<html><body>
<h2>2026</h2>
<div class="n"><a href="/n/1">One</a><a class="dl" href="/download?id=1">Download</a></div>
<div class="n"><a href="/n/2">Two</a><a class="dl" href="/download?id=2">Download</a></div>
<h2>2025</h2>
<div class="n"><a href="/n/3">Three</a></div>
</body></html>"#;
    let selectors = r#"
[feed.selectors]
item = "div.n"
title = "a:first-child"
link = "a:first-child"
category = { before = "h2" }
enclosure = { selector = "a.dl", type = "application/pdf" }
"#;
    let site = Site::new(page, selectors);
    let run = site.run();
    let err = stderr(&run);
    run.success();
    let json = json_feed(&site.out("press.json"));
    let items = json["items"].as_array().unwrap();
    let by_title = |title: &str| {
        items
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("{title} in {json}\n{err}"))
    };
    assert_eq!(by_title("One")["tags"], serde_json::json!(["2026"]));
    assert_eq!(by_title("Three")["tags"], serde_json::json!(["2025"]));
    assert_eq!(
        by_title("Two")["attachments"],
        serde_json::json!([{"url": "https://press.example.org/download?id=2", "mime_type": "application/pdf"}])
    );
}

#[test]
fn a_json_source_gives_tags_attachments_images_and_authors() {
    let api = r#"{"items": [
      {"title": "A", "url": "/a", "tags": ["Labour", "中国"], "pdf": "/a.pdf",
       "cover": {"src": "/a.jpg"}, "author": {"name": "Wang Fang"}},
      {"title": "B", "url": "/b", "tags": [{"name": "odd"}], "pdf": null},
      {"title": "C", "url": "/c", "tags": "Single"}
    ]}"#;
    let selectors = r#"format = "json"
[feed.selectors]
item = "$.items[*]"
title = "$.title"
link = "$.url"
category = "$.tags"
enclosure = "$.pdf"
image = "$.cover.src"
author = "$.author.name"
"#;
    let site = Site::new(api, selectors);
    let run = site.run();
    let err = stderr(&run);
    run.success();
    let json = json_feed(&site.out("press.json"));
    let items = json["items"].as_array().unwrap();
    let a = items.iter().find(|i| i["title"] == "A").unwrap();
    assert_eq!(a["tags"], serde_json::json!(["Labour", "中国"]));
    assert_eq!(a["image"], "https://press.example.org/a.jpg");
    assert_eq!(a["authors"][0]["name"], "Wang Fang");
    assert_eq!(
        a["attachments"],
        serde_json::json!([{"url": "https://press.example.org/a.pdf", "mime_type": "application/pdf"}])
    );
    let c = items.iter().find(|i| i["title"] == "C").unwrap();
    assert_eq!(c["tags"], serde_json::json!(["Single"]));
    // An object where a category is expected: a warning naming the field, the item kept.
    let b = items.iter().find(|i| i["title"] == "B").unwrap();
    assert!(b.get("tags").is_none());
    let run = pressfeed()
        .arg("--config")
        .arg(site.config())
        .args(["check", "press"])
        .assert();
    let out = String::from_utf8_lossy(&run.get_output().stdout).into_owned();
    assert!(
        out.contains("category") && out.contains("$.tags") && out.contains("an object"),
        "{out}\n{err}"
    );
}

#[test]
fn a_type_on_another_field_or_a_bad_media_type_is_a_config_error() {
    for (selectors, field, words) in [
        (
            "[feed.selectors]\nitem = \"li\"\ntitle = { selector = \"a\", type = \"text/html\" }\nlink = \"a\"\n",
            "selectors.title",
            "belongs to `selectors.enclosure`",
        ),
        (
            "[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\nenclosure = { selector = \"a.pdf\", type = \"pdf\" }\n",
            "selectors.enclosure",
            "is not a media type",
        ),
    ] {
        let site = Site::new(LISTING, selectors);
        let run = site.run();
        let err = stderr(&run);
        run.code(2);
        assert!(
            err.contains("feed \"press\"") && err.contains(field) && err.contains(words),
            "{err}"
        );
    }
}

#[test]
fn suggest_proposes_the_image_and_the_categories() {
    let site = Site::new(LISTING, SELECTORS);
    let page = site.dir.path().join("page.html");
    let out = pressfeed()
        .args(["suggest", page.to_str().unwrap()])
        .args(["--url", "https://press.example.org/releases/"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("selectors.image = \"img.thumb\"\n"), "{text}");
    assert!(
        text.contains("selectors.category = \"span.tag\"\n"),
        "{text}"
    );
    // Bylines are people, not categories; no image where items have none.
    let plain = "<ul>".to_string()
        + &(1..=4)
            .map(|n| {
                format!(
                    "<li><a href=\"/n/{n}\">News item number {n} of the week</a> \
                     <span class=\"author-tag\">Editor {n}</span></li>"
                )
            })
            .collect::<String>()
        + "</ul>";
    std::fs::write(&page, plain).unwrap();
    let out = pressfeed()
        .args(["suggest", page.to_str().unwrap()])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        !text.contains("selectors.category") && !text.contains("selectors.image"),
        "{text}"
    );
}

/// A listing of notices on several topics, with category labels.
const NOTICES: &str = include_str!("../../fixtures/shape/notices.html");

/// `[feed.selectors]` of [`NOTICES`], then `filter` (a `[feed.filter]` table, or nothing).
fn notices(filter: &str) -> String {
    format!(
        "[feed.selectors]\nitem = \"li.n\"\ntitle = \"a\"\nlink = \"a\"\ncategory = \"span.tag\"\n{filter}"
    )
}

fn titles(site: &Site) -> Vec<String> {
    parse_rss(&site.out("press.rss"))
        .items
        .iter()
        .map(|i| i.title.clone().unwrap())
        .collect()
}

fn sorted(mut titles: Vec<String>) -> Vec<String> {
    titles.sort();
    titles
}

#[test]
fn filters_include_exclude_and_both() {
    for (filter, kept) in [
        // Case-insensitive: "china" keeps "CHINA and the ILO…".
        (
            "[feed.filter]\ninclude = [\"china\"]\n",
            vec![
                "CHINA and the ILO sign a programme",
                "China raises minimum wages",
            ],
        ),
        (
            "[feed.filter]\nexclude = [\"^vacancy\", \"tender\"]\n",
            vec![
                "CHINA and the ILO sign a programme",
                "China raises minimum wages",
                "Mongolia ratifies the convention",
            ],
        ),
        (
            "[feed.filter]\ninclude = [\"china|mongolia\"]\nexclude = [\"wages\"]\n",
            vec![
                "CHINA and the ILO sign a programme",
                "Mongolia ratifies the convention",
            ],
        ),
        // Only the categories matched.
        (
            "[feed.filter]\ninclude = [\"^(standards|wages)$\"]\nfields = [\"category\"]\n",
            vec![
                "China raises minimum wages",
                "Mongolia ratifies the convention",
            ],
        ),
    ] {
        let site = Site::new(NOTICES, &notices(filter));
        let run = site.run();
        let err = stderr(&run);
        run.success();
        assert_eq!(sorted(titles(&site)), kept, "{filter}\n{err}");
    }
}

#[test]
fn a_filtered_item_stays_filtered_when_the_filter_changes_until_reset() {
    let site = Site::new(
        NOTICES,
        &notices("[feed.filter]\nexclude = [\"vacancy\"]\n"),
    );
    site.run().success();
    assert_eq!(titles(&site).len(), 4);
    assert!(!titles(&site).iter().any(|t| t.starts_with("Vacancy")));
    // `check` names the rule that dropped the item.
    let out = site.check();
    assert!(
        out.contains("filter: 4 of 5 items kept\n")
            && out.contains(
                "  #2 \"Vacancy: programme officer\": dropped: exclude \"vacancy\" matched the title\n"
            ),
        "{out}"
    );

    // The filter changes: the vacancy is no longer excluded, the tender is.
    let config = std::fs::read_to_string(site.config())
        .unwrap()
        .replace("exclude = [\"vacancy\"]", "exclude = [\"tender\"]");
    std::fs::write(site.config(), config).unwrap();
    let run = site.run();
    let err = stderr(&run);
    run.success();
    let now = sorted(titles(&site));
    assert_eq!(
        now,
        [
            "CHINA and the ILO sign a programme",
            "China raises minimum wages",
            "Mongolia ratifies the convention"
        ],
        "the vacancy stays filtered, the tender is newly dropped\n{err}"
    );

    // `reset` forgets the history: the vacancy comes back, judged by today's filter.
    pressfeed()
        .arg("--config")
        .arg(site.config())
        .args(["reset", "press"])
        .assert()
        .success();
    site.run().success();
    assert_eq!(titles(&site).len(), 4);
    assert!(titles(&site).iter().any(|t| t.starts_with("Vacancy")));
    assert!(!titles(&site).iter().any(|t| t.starts_with("Tender")));
}

#[test]
fn a_bad_filter_pattern_or_no_fields_is_a_config_error() {
    for (filter, words) in [
        (
            "[feed.filter]\nexclude = [\"ok\", \"(unclosed\"]\n",
            "field \"filter.exclude\"",
        ),
        ("[feed.filter]\nfields = []\n", "field \"filter.fields\""),
        (
            "[feed.filter]\nfields = [\"body\"]\n",
            "unknown variant `body`",
        ),
    ] {
        let site = Site::new(NOTICES, &notices(filter));
        let run = site.run();
        let err = stderr(&run);
        run.code(2);
        assert!(
            err.contains("feed \"press\"") || err.contains("config.toml"),
            "{err}"
        );
        assert!(err.contains(words), "{words} in {err}");
    }
}

#[test]
fn templates_and_replaces_reach_categories_and_authors() {
    let selectors = SELECTORS
        .replace(
            "title = \"h3 a\"\n",
            "title = { selector = \"h3 a\", template = \"{category}: {title} ({author})\" }\n",
        )
        .replace(
            "category = \"span.tag\"\n",
            "category = { selector = \"span.tag\", replace = [[\"^Social protection$\", \"Protection\"]] }\n",
        );
    let site = Site::new(LISTING, &selectors);
    let run = site.run();
    let err = stderr(&run);
    run.success();
    let json = json_feed(&site.out("press.json"));
    let titles: Vec<&str> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    // A field the item lacks leaves no separator or empty brackets behind.
    assert_eq!(
        titles,
        [
            "Wages, China: Minimum wages rise in three provinces (Li Wei)",
            "Protection: Social protection week opens",
            "Skills forum in Ulaanbaatar"
        ],
        "{err}"
    );
    assert_eq!(json["items"][1]["tags"], serde_json::json!(["Protection"]));
}

#[test]
fn a_changed_filter_takes_an_item_that_left_the_page_out_of_the_feed() {
    let site = Site::new(NOTICES, &notices(""));
    site.run().success();
    assert_eq!(titles(&site).len(), 5);
    // The Mongolia notice leaves the page (it stays in the feed for keep_days), and the
    // filter now excludes it.
    let page = NOTICES
        .lines()
        .filter(|l| !l.contains("Mongolia"))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(site.dir.path().join("notices.html"), page).unwrap();
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        config.replace("source = \"page.html\"", "source = \"notices.html\""),
    )
    .unwrap();
    site.run().success();
    assert_eq!(
        titles(&site).len(),
        5,
        "kept for keep_days after leaving the page"
    );
    let config = std::fs::read_to_string(site.config()).unwrap();
    std::fs::write(
        site.config(),
        format!("{config}[feed.filter]\nexclude = [\"mongolia\"]\n"),
    )
    .unwrap();
    let run = site.run();
    let err = stderr(&run);
    run.success();
    let now = titles(&site);
    assert_eq!(now.len(), 4, "{now:?}\n{err}");
    assert!(!now.iter().any(|t| t.contains("Mongolia")), "{now:?}");
}

#[test]
fn an_include_filter_on_the_summary_items_pages_give_reads_those_pages() {
    use pressfeed_testkit::server::{Reply, TestServer};
    let server = TestServer::start();
    server.route(
        "/list",
        vec![Reply::html(
            "<ul><li><a href=\"/a\">Notice A</a></li><li><a href=\"/b\">Notice B</a></li></ul>",
        )],
    );
    let page = |about: &str| {
        Reply::html(format!(
            "<html><head><meta name=\"description\" content=\"{about}\"></head><body></body></html>"
        ))
    };
    server.route("/a", vec![page("New rules for workers in China")]);
    server.route("/b", vec![page("A note on the weather")]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\n\n[[feed]]\nid = \"press\"\n\
             title = \"Press\"\nurl = {:?}\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\n\
             link = \"a\"\n[feed.detail]\nsummary = {{ selector = \"meta[name=description]\", attr = \"content\" }}\n\
             [feed.filter]\ninclude = [\"china\"]\n",
            server.url("/list")
        ),
    )
    .unwrap();
    let run = pressfeed().arg("--config").arg(&config).arg("run").assert();
    let err = stderr(&run);
    run.success();
    // Both pages read: the include can only be judged on what they give.
    assert_eq!((server.count("/a"), server.count("/b")), (1, 1), "{err}");
    let channel = parse_rss(&dir.path().join("public/press.rss"));
    let titles: Vec<&str> = channel.items.iter().filter_map(|i| i.title()).collect();
    assert_eq!(titles, ["Notice A"], "{err}");
}

#[test]
fn the_image_of_an_items_own_page_stays_after_later_runs() {
    use pressfeed_testkit::server::{Reply, TestServer};
    let server = TestServer::start();
    let listing = |extra: &str| {
        Reply::html(format!(
            "<ul><li><img src=\"/thumb-a.jpg\"><a href=\"/a\">Notice A</a></li>{extra}</ul>"
        ))
    };
    server.route("/list", vec![listing("")]);
    server.route(
        "/a",
        vec![Reply::html(
            "<html><head><meta property=\"og:image\" content=\"/big-a.jpg\"></head></html>",
        )],
    );
    server.route("/b", vec![Reply::html("<html></html>")]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[output]\ndir = \"public\"\nformats = [\"json\"]\n[fetch]\nhost_delay = 0\n\n\
             [[feed]]\nid = \"press\"\ntitle = \"Press\"\nurl = {:?}\n[feed.selectors]\n\
             item = \"li\"\ntitle = \"a\"\nlink = \"a\"\nimage = \"img\"\n[feed.detail]\n\
             image = {{ selector = \"meta[property='og:image']\", attr = \"content\" }}\n",
            server.url("/list")
        ),
    )
    .unwrap();
    let image_of_a = || {
        let json = json_feed(&dir.path().join("public/press.json"));
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == "Notice A")
            .unwrap()["image"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let run = || {
        pressfeed()
            .arg("--config")
            .arg(&config)
            .arg("run")
            .assert()
            .success()
    };
    run();
    assert_eq!(image_of_a(), server.url("/big-a.jpg"));
    // The listing changes (a new item): A is merged again without its page being read.
    server.route(
        "/list",
        vec![listing("<li><a href=\"/b\">Notice B</a></li>")],
    );
    run();
    assert_eq!(server.count("/a"), 1);
    assert_eq!(image_of_a(), server.url("/big-a.jpg"));
}
