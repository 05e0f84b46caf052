//! The ILO fixture through the library: items, then the feeds parsed back and pinned.

use chrono::{TimeZone, Utc};
use pressfeed::{Config, build_items, extract};

use pressfeed_testkit::{config_for, fixture, parse_atom, parse_rss, root};

const BASE: &str = "https://www.ilo.org";

fn ilo_items() -> Vec<pressfeed::PageItem> {
    let config = Config::load(&root().join("config.toml")).unwrap();
    let spec = &config.feeds[0];
    let html = std::fs::read_to_string(fixture("ilo-china-press-releases.html")).unwrap();
    let extraction = extract(&html, &spec.page_url, spec).unwrap();
    let built = build_items(extraction, spec, Utc::now());
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    built.items
}

/// Items from `html` with the one feed configured in `config_text`.
fn build_from(config_text: &str, html: &str) -> pressfeed::PageItems {
    let config = Config::parse(config_text, std::path::Path::new("test.toml")).unwrap();
    let spec = &config.feeds[0];
    build_items(
        extract(html, &spec.page_url, spec).unwrap(),
        spec,
        Utc::now(),
    )
}

/// A feed "demo" of `li` items titled and linked by their `a`, with `feed_keys` and
/// `selector_keys` added to its table and its selectors.
fn demo_feed(feed_keys: &str, selector_keys: &str) -> String {
    format!(
        "[[feed]]\nid = \"demo\"\ntitle = \"Demo\"\nurl = \"https://example.org/news/\"\n\
         source = \"unused.html\"\n{feed_keys}\n\
         [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n{selector_keys}\n"
    )
}

#[test]
fn ilo_fixture_gives_exactly_twenty_items() {
    let items = ilo_items();
    assert_eq!(items.len(), 20);

    let first = &items[0];
    assert_eq!(
        first.title,
        "A bigger role for labour inspectors in combatting forced labour"
    );
    assert_eq!(
        first.link,
        format!(
            "{BASE}/beijing/information-resources/public-information/press-releases/WCMS_243010/lang--en/index.htm"
        )
    );
    assert_eq!(first.id, first.link);
    assert_eq!(
        first.date.unwrap().to_rfc3339(),
        "2014-04-25T00:00:00+08:00"
    );
    assert_eq!(
        first.summary.as_deref(),
        Some(
            "China\u{2019}s Ministry of Human Resources and Social Security has said labour inspection can play a bigger role in combating forced labour in the country."
        )
    );

    // The first item without a summary.
    let sixth = &items[5];
    assert_eq!(
        sixth.title,
        "ILO-ACTRAV sign agreement with All-China Federation of Trade Unions (ACFTU)"
    );
    assert_eq!(
        sixth.link,
        format!("{BASE}/actrav/info/pr/WCMS_241512/lang--en/index.htm")
    );
    assert_eq!(
        sixth.date.unwrap().to_rfc3339(),
        "2014-03-27T00:00:00+08:00"
    );
    assert_eq!(sixth.summary, None);

    let last = &items[19];
    assert_eq!(
        last.title,
        "Bachelet says economic growth alone is not enough to eliminate poverty"
    );
    assert_eq!(
        last.link,
        format!("{BASE}/global/about-the-ilo/newsroom/news/WCMS_145800/lang--en/index.htm")
    );
    assert_eq!(last.date.unwrap().to_rfc3339(), "2010-10-17T00:00:00+08:00");
    assert_eq!(
        last.summary.as_deref(),
        Some(
            "Michelle Bachelet, the head of UN Women and the Social Protection Floor Advisory Group, told a United Nations \u{201c}Global Poverty Reduction and Development Forum\u{201d} held here to coincide with the International Day for the Eradication of Poverty, that increased social inclusion can promote growth and poverty elimination."
        )
    );

    // Whitespace inside the markup is collapsed; entities are decoded.
    assert_eq!(items[1].title, "Social protection is not a luxury");
    assert_eq!(
        items.iter().filter(|i| i.summary.is_none()).count(),
        4,
        "items 6, 15, 16 and 17 have no summary"
    );
    // The sidebar's look-alike list is not taken.
    assert!(
        items.iter().all(
            |i| !i.title.contains("Related") && !i.title.contains("Contact the Beijing office")
        )
    );
}

#[test]
fn written_feeds_parse_back_with_the_same_values() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let config_path = config_for(dir.path(), &fixture("ilo-china-press-releases.html"), &out);
    let config = Config::load(&config_path).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
    // A run keeps time budgets: the runtime needs its timers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let feeds: Vec<_> = config.feeds.iter().collect();
    let mut results = runtime
        .block_on(pressfeed::run(&config, &feeds, now, &|_| {}))
        .unwrap();
    assert!(results.site_error.is_none(), "{:?}", results.site_error);
    let report = results.feeds.pop().unwrap().result.unwrap();
    assert_eq!(report.items, 20);
    assert_eq!(report.new_items, 20);
    assert_eq!(report.page, pressfeed::PageOutcome::Read);

    let channel = parse_rss(&out.join("ilo-china.rss"));
    assert_eq!(
        channel.title,
        "ILO China and Mongolia: news and press releases"
    );
    assert_eq!(
        channel.link,
        "https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm"
    );
    assert_eq!(channel.language.as_deref(), Some("en"));
    // Taken from the page, not from the clock.
    assert_eq!(
        channel.last_build_date.as_deref(),
        Some("Fri, 25 Apr 2014 00:00:00 +0800")
    );
    let self_link = &channel.atom_ext.as_ref().unwrap().links()[0];
    assert_eq!(self_link.rel, "self");
    assert_eq!(self_link.href, "http://localhost:8080/ilo-china.rss");
    assert_eq!(channel.items.len(), 20);
    let items = ilo_items();
    for (rss_item, item) in channel.items.iter().zip(&items) {
        assert_eq!(rss_item.title.as_deref(), Some(item.title.as_str()));
        assert_eq!(rss_item.link.as_deref(), Some(item.link.as_str()));
        let guid = rss_item.guid.as_ref().unwrap();
        assert_eq!(guid.value, item.link);
        assert!(guid.is_permalink());
        assert_eq!(
            rss_item.pub_date.as_deref(),
            Some(item.date.unwrap().to_rfc2822().as_str())
        );
        assert_eq!(rss_item.description.as_deref(), item.summary.as_deref());
    }
    // Two items share 04 March 2014: they keep page order.
    assert_eq!(
        channel.items[7].title.as_deref(),
        Some("Promote social justice and decent work through social dialogue")
    );
    assert_eq!(
        channel.items[8].title.as_deref(),
        Some("New Country Director for the ILO Country Office for China and Mongolia")
    );

    let feed = parse_atom(&out.join("ilo-china.atom"));
    assert_eq!(feed.id, "http://localhost:8080/ilo-china.atom");
    assert_eq!(feed.updated.to_rfc3339(), "2014-04-25T00:00:00+08:00");
    assert_eq!(
        feed.authors[0].name,
        "ILO Country Office for China and Mongolia"
    );
    assert_eq!(feed.generator.as_ref().unwrap().value, "pressfeed");
    let rels: Vec<&str> = feed.links.iter().map(|l| l.rel.as_str()).collect();
    assert_eq!(rels, ["alternate", "self"]);
    assert_eq!(feed.entries.len(), 20);
    for (entry, item) in feed.entries.iter().zip(&items) {
        assert_eq!(entry.id, item.link);
        assert_eq!(entry.title.as_str(), item.title);
        assert_eq!(entry.links[0].href, item.link);
        assert_eq!(entry.published, item.date);
        assert_eq!(Some(entry.updated), item.date);
        // Without a summary (and no content), the title is the entry's summary.
        assert_eq!(
            entry.summary.as_ref().map(|s| s.as_str()),
            Some(item.summary.as_deref().unwrap_or(&item.title))
        );
    }

    insta::assert_snapshot!(
        "ilo_china_rss",
        std::fs::read_to_string(out.join("ilo-china.rss")).unwrap()
    );
    insta::assert_snapshot!(
        "ilo_china_atom",
        std::fs::read_to_string(out.join("ilo-china.atom")).unwrap()
    );
}

#[test]
fn base_href_and_html_summaries() {
    let html = r#"<!doctype html><html><head><base href="https://mirror.example.org/news/"></head>
<body><ul>
<li><a href="2024/one.html">One &amp; only</a> <time datetime="2024-05-02T09:30:00+02:00">2 May</time>
<div class="s"><p>Read <a href="more.html" onclick="evil()">more</a><script>alert(1)</script></p></div></li>
<li><a href="/two.html">Two</a><time>3 May 2024</time></li>
</ul></body></html>"#;
    let text = demo_feed(
        "summary_format = \"html\"",
        "date = \"time\"\nsummary = \"div.s\"",
    );
    let config = Config::parse(&text, std::path::Path::new("demo.toml")).unwrap();
    let spec = &config.feeds[0];
    let extraction = extract(html, &spec.page_url, spec).unwrap();
    assert_eq!(
        extraction.base_url.as_str(),
        "https://mirror.example.org/news/"
    );
    let built = build_items(extraction, spec, Utc::now());
    assert_eq!(built.items.len(), 2);
    let one = &built.items[0];
    assert_eq!(one.title, "One & only");
    assert_eq!(one.link, "https://mirror.example.org/news/2024/one.html");
    assert_eq!(one.date.unwrap().to_rfc3339(), "2024-05-02T09:30:00+02:00");
    assert_eq!(
        one.summary.as_deref(),
        Some(
            r#"<p>Read <a href="https://mirror.example.org/news/more.html" rel="noopener noreferrer">more</a></p>"#
        )
    );
    let two = &built.items[1];
    assert_eq!(two.link, "https://mirror.example.org/two.html");
    // A date-only value is midnight in the feed's zone (UTC by default).
    assert_eq!(two.date.unwrap().to_rfc3339(), "2024-05-03T00:00:00+00:00");
}

#[test]
fn tag_soup_is_read_as_browsers_read_it() {
    let html = r#"<ol class=list><li class=item><h3><a href=/a.htm>First</h3></a><span class=date>01 May 2024
<li class=item><h3><a href="/b.htm">Second</h3><span class=date>02 May 2024</span></div></p>
<li class=item><h3><a href='/c.htm'>Third</a></h3><span class=date>03 May 2024"#;
    let text = r#"
[[feed]]
id = "soup"
title = "Soup"
url = "https://example.org/"
source = "x.html"
[feed.selectors]
item = "li.item"
title = "h3 a"
link = "h3 a"
date = ".date"
"#;
    let built = build_from(text, html);
    let got: Vec<(&str, &str, String)> = built
        .items
        .iter()
        .map(|i| {
            (
                i.title.as_str(),
                i.link.as_str(),
                i.date.unwrap().format("%Y-%m-%d").to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "First",
                "https://example.org/a.htm",
                "2024-05-01".to_string()
            ),
            (
                "Second",
                "https://example.org/b.htm",
                "2024-05-02".to_string()
            ),
            (
                "Third",
                "https://example.org/c.htm",
                "2024-05-03".to_string()
            ),
        ]
    );
}

#[test]
fn placeholder_links_fall_back_and_attribute_summaries_stay_text() {
    let html = r##"<div class="card"><a class="more" href="#">Read</a>
<h2><a href="javascript:void(0)">Cards</a> <a href="/cards.html">Cards</a></h2>
<span data-summary="a &lt;b&gt; &amp; c"></span></div>
<div class="card"><a class="more" href=""><img alt="Only an image" src="i.png"></a>
<h2><a href="/image.html">x</a></h2></div>"##;
    let text = r#"
[[feed]]
id = "cards"
title = "Cards"
url = "https://example.org/"
source = "x.html"
summary_format = "html"
[feed.selectors]
item = "div.card"
title = "a.more"
link = "h2"
summary = { selector = "span", attr = "data-summary" }
"#;
    let built = build_from(text, html);
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    let got: Vec<(&str, &str, Option<&str>)> = built
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.link.as_str(), i.summary.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            // The first link in the h2 is a `javascript:` placeholder: the next one is taken.
            // The title link only says "Read": the card's heading is the title.
            (
                "Cards Cards",
                "https://example.org/cards.html",
                Some("a &lt;b&gt; &amp; c")
            ),
            ("Only an image", "https://example.org/image.html", None),
        ]
    );
}

/// A page with more items than `max_items`: reading only the newest candidates publishes what
/// reading every item would, even when candidates are unusable, repeated or undated.
#[test]
fn reading_only_the_newest_items_publishes_the_same_feed() {
    let html = r#"<html><body><ul>
<li><a href="/a">A</a><span>01 May 2024</span></li>
<li><a href="/b">B</a><span>05 May 2024</span></li>
<li><span>09 May 2024</span></li>
<li><a href="/b">B again</a><span>08 May 2024</span></li>
<li><a href="/b">B</a><span>04 May 2024</span></li>
<li><a href="/c">C</a><span>not a date</span></li>
<li><a href="/d">D</a><span>03 May 2024</span></li>
<li><a href="/e">E</a><span>04 May 2024</span></li>
<li><a href="/f">F</a><span>02 May 2024</span></li>
</ul></body></html>"#;
    let text = demo_feed("max_items = 3", "date = \"span\"");
    let config = Config::parse(&text, std::path::Path::new("demo.toml")).unwrap();
    let spec = &config.feeds[0];
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 12, 0, 0).unwrap();

    let page = pressfeed::ListingPage::parse(html, &spec.page_url, spec).unwrap();
    let lazy = pressfeed::read_items(&page, spec, now);
    let (_, lazy_items) = pressfeed_testkit::arrange(spec, &config.output, lazy.items, now);
    let all = build_items(
        extract(html, &spec.page_url, spec).unwrap(),
        spec,
        Utc::now(),
    );
    let (_, all_items) = pressfeed_testkit::arrange(spec, &config.output, all.items, now);

    let titles: Vec<&str> = lazy_items.iter().map(|i| i.title.as_str()).collect();
    // C is undated (dated by the run), the third item has no link, "B again" shares B's link
    // with a title of its own, and the second "B" repeats B.
    assert_eq!(titles, ["C", "B again", "B"]);
    assert_eq!(
        lazy_items[2].date.unwrap().to_rfc3339(),
        "2024-05-05T00:00:00+00:00"
    );
    assert_eq!(lazy_items, all_items);
    assert_eq!(lazy.counts.matched, 9);
    assert_eq!(lazy.counts.date_found, 9);
    assert_eq!(lazy.counts.date_parsed, 8);
}

#[test]
fn messy_items_read_more_titles_missing_links_and_regex_cuts() {
    let html = r#"<html><body><ul>
<li><h3>Budget approved</h3><a href="/news/budget.html">Read more »</a><p>Posted on 3 May 2024 by Ann</p></li>
<li><h3>Office closed on Friday</h3><p>Posted on 2 May 2024 by Bob</p></li>
<li><h3>Annual report</h3><a href="/files/report.pdf#page=2">Read more</a><p>Posted on 1 May 2024 by Ann</p></li>
</ul></body></html>"#;
    let text = demo_feed(
        "",
        "date = { selector = \"p\", regex = \"Posted on (.+?) by\" }",
    );
    let built = build_from(&text, html);
    let got: Vec<(&str, &str, String)> = built
        .items
        .iter()
        .map(|i| {
            (
                i.title.as_str(),
                i.link.as_str(),
                i.date.unwrap().date_naive().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Budget approved",
                "https://example.org/news/budget.html",
                "2024-05-03".into()
            ),
            // No link: the item links to the page, with an id of its own.
            (
                "Office closed on Friday",
                "https://example.org/news/",
                "2024-05-02".into()
            ),
            // A PDF link with a fragment is kept as it is, resolved.
            (
                "Annual report",
                "https://example.org/files/report.pdf#page=2",
                "2024-05-01".into()
            ),
        ]
    );
    let linkless = &built.items[1];
    assert!(
        linkless
            .id
            .starts_with("https://example.org/news/#pressfeed-"),
        "{}",
        linkless.id
    );
    // The id is stable: the same page gives the same id.
    assert_eq!(build_from(&text, html).items[1].id, linkless.id);
    assert_eq!(
        built
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "item 2 \"Office closed on Friday\": field \"link\": no link found; the item links to the page, with an id from its title and date"
        ]
    );
}

#[test]
fn selectors_matching_several_elements_per_item_are_pointed_out() {
    let html = r#"<ul><li><a href="/a">First story here</a> <a href="/a#c">3 comments</a></li>
<li><a href="/b">Second story here</a></li></ul>"#;
    let config = Config::parse(&demo_feed("", ""), std::path::Path::new("demo.toml")).unwrap();
    let spec = &config.feeds[0];
    let page = pressfeed::ListingPage::parse(html, &spec.page_url, spec).unwrap();
    assert_eq!(page.ambiguous_fields(spec), [("title", 1), ("link", 1)]);
}

#[test]
fn a_page_nested_almost_as_deep_as_allowed_is_read_on_a_small_stack() {
    // Just under `MAX_DEPTH` (deeper pages are refused, see `hostile`).
    let depth = pressfeed::MAX_DEPTH - 8;
    let html = format!(
        "<html><body><ul><li><a href=\"/deep\">Deep story</a><p>{}deep text{}</p></li>\
         <li><a href=\"/flat\">Flat story</a><p>flat text</p></li></ul></body></html>",
        "<span>".repeat(depth),
        "</span>".repeat(depth)
    );
    let text = demo_feed("", "summary = \"p\"");
    // Run where a refresh runs: on a thread with a small stack.
    let built = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || build_from(&text, &html))
        .unwrap()
        .join()
        .unwrap();
    let got: Vec<(&str, Option<&str>)> = built
        .items
        .iter()
        .map(|i| (i.title.as_str(), i.summary.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("Deep story", Some("deep text")),
            ("Flat story", Some("flat text"))
        ]
    );
}
