//! Issue 13: dates as pages write them, read against the page's own time: `--now` for saved
//! pages, the server's `Date` for fetched ones.

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{HttpSite, file_config, parse_rss, pressfeed};

/// A listing of three items: a year-less date, a relative one, an era date.
const PAGE: &str = "<html><body><ul>\
    <li><a href=\"/a\">Year-less</a> <span>5月2日</span></li>\
    <li><a href=\"/b\">Relative</a> <span>3小时前</span></li>\
    <li><a href=\"/c\">Era</a> <span>平成28年3月1日</span></li>\
    </ul></body></html>";

/// The items' titles and RFC 3339 dates, in the RSS feed's order.
fn dated_items(rss: &std::path::Path) -> Vec<(String, String)> {
    parse_rss(rss)
        .items
        .iter()
        .map(|item| {
            let date = chrono::DateTime::parse_from_rfc2822(item.pub_date.as_deref().unwrap())
                .unwrap()
                .with_timezone(&chrono::Utc)
                .to_rfc3339();
            (item.title.clone().unwrap(), date)
        })
        .collect()
}

#[test]
fn a_saved_page_is_read_as_of_now_given() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, PAGE).unwrap();
    let config = file_config(dir.path(), &page, "li", ("span", "%Y"), ("", ""));
    let run = || {
        pressfeed()
            .arg("--config")
            .arg(&config)
            .args(["run", "--now", "2016-03-19T12:00:00Z"])
            .assert()
            .success();
        std::fs::read(dir.path().join("public/x.rss")).unwrap()
    };
    let first = run();
    assert_eq!(
        dated_items(&dir.path().join("public/x.rss")),
        [
            // 3 hours before the reference time; 2 May is after it, so it is last year's.
            (
                "Relative".to_string(),
                "2016-03-19T09:00:00+00:00".to_string()
            ),
            ("Era".to_string(), "2016-03-01T00:00:00+00:00".to_string()),
            (
                "Year-less".to_string(),
                "2015-05-02T00:00:00+00:00".to_string()
            ),
        ]
    );
    // The same page with the same reference: the same bytes, from a fresh history too.
    assert_eq!(run(), first);
    std::fs::remove_file(dir.path().join("pressfeed-state.sqlite")).unwrap();
    assert_eq!(run(), first);

    // `check` reads them the same way.
    let out = pressfeed()
        .arg("--config")
        .arg(&config)
        .args(["check", "x", "--now", "2016-03-19"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(out.contains("2015-05-02"), "{out}");
    assert!(out.contains("2016-03-01"), "{out}");

    // A time that is no time is a usage error.
    pressfeed()
        .arg("--config")
        .arg(&config)
        .args(["run", "--now", "last year"])
        .assert()
        .code(2);
}

#[test]
fn a_fetched_page_is_read_as_of_the_servers_date() {
    let server = TestServer::start();
    server.route(
        "/page",
        vec![Reply::Raw(
            vec![
                ("content-type", "text/html".to_string()),
                ("date", "Sat, 19 Mar 2016 12:00:00 GMT".to_string()),
            ],
            PAGE.as_bytes().to_vec(),
        )],
    );
    let site = HttpSite::new(&server.url("/page"), "", "");
    let text = std::fs::read_to_string(&site.config).unwrap();
    let feed_start = text.find("[feed.selectors]").unwrap();
    let config = format!(
        "{}[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span\"\n",
        &text[..feed_start].replace("timezone = \"Asia/Shanghai\"", "timezone = \"UTC\"")
    );
    std::fs::write(&site.config, config).unwrap();
    site.run().success();
    let items = dated_items(&site.out.join("ilo-china.rss"));
    assert_eq!(
        items[0],
        (
            "Relative".to_string(),
            "2016-03-19T09:00:00+00:00".to_string()
        ),
        "{items:?}"
    );
    assert_eq!(
        items[2],
        (
            "Year-less".to_string(),
            "2015-05-02T00:00:00+00:00".to_string()
        )
    );
}

/// Issue 13: two rows sharing a link with different titles are two items with ids of their
/// own, in every format; the item the history knows keeps its id when a new row with the same
/// link comes in above it; a true repeat (same link, same title) is still one item.
#[test]
fn rows_sharing_a_link_are_items_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    let config = pressfeed_testkit::compact_config(dir.path(), &page, "li");
    let row =
        |title: &str, date: &str| format!("<li><a href=\"/notes\">{title}</a> <i>{date}</i></li>");
    let write = |rows: &[String]| {
        std::fs::write(
            &page,
            format!("<html><body><ul>{}</ul></body></html>", rows.concat()),
        )
        .unwrap();
    };
    let notes = "https://example.org/notes";
    write(&[row("Release 1.0", "2024-03-05 10:00")]);
    pressfeed_testkit::run_config(&config).success();
    let rss = parse_rss(&dir.path().join("public/x.rss"));
    assert_eq!(rss.items[0].guid.as_ref().unwrap().value(), notes);

    // A new release above it, on the same notes page; and a true repeat of the old row.
    write(&[
        row("Release 1.1", "2024-04-02 10:00"),
        row("Release 1.0", "2024-03-05 10:00"),
        row("Release 1.0", "2024-03-05 10:00"),
    ]);
    pressfeed_testkit::run_config(&config).success();
    let rss = parse_rss(&dir.path().join("public/x.rss"));
    let guids: Vec<(String, String, bool)> = rss
        .items
        .iter()
        .map(|item| {
            let guid = item.guid.as_ref().unwrap();
            (
                item.title.clone().unwrap(),
                guid.value().to_string(),
                guid.is_permalink(),
            )
        })
        .collect();
    assert_eq!(guids.len(), 2, "{guids:?}");
    assert_eq!(guids[0].0, "Release 1.1");
    assert!(
        guids[0].1.starts_with(&format!("{notes}#pressfeed-")),
        "{guids:?}"
    );
    assert!(!guids[0].2);
    assert_eq!(
        guids[1],
        ("Release 1.0".to_string(), notes.to_string(), true)
    );
    assert!(rss.items.iter().all(|i| i.link.as_deref() == Some(notes)));

    let atom = pressfeed_testkit::parse_atom(&dir.path().join("public/x.atom"));
    let atom_ids: Vec<&str> = atom.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(atom_ids, [guids[0].1.as_str(), notes]);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("public/x.json")).unwrap()).unwrap();
    let json_ids: Vec<&str> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap())
        .collect();
    assert_eq!(json_ids, [guids[0].1.as_str(), notes]);

    // A fresh history gives the first row the link itself: ids depend on the history only
    // where a row came in above a known one.
    std::fs::remove_file(dir.path().join("pressfeed-state.sqlite")).unwrap();
    pressfeed_testkit::run_config(&config).success();
    let rss = parse_rss(&dir.path().join("public/x.rss"));
    assert_eq!(rss.items[0].guid.as_ref().unwrap().value(), notes);
    assert_eq!(rss.items.len(), 2);
}

/// The titles, links and dates (RFC 3339, UTC) a config's one feed reads from `html`.
fn read(selectors: &str, html: &str) -> Vec<(String, String, Option<String>)> {
    let text = format!(
        "[[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://example.org/news/\"\n\n[feed.selectors]\n{selectors}\n"
    );
    let config = pressfeed::Config::parse(&text, std::path::Path::new("x.toml"))
        .unwrap_or_else(|err| panic!("{err}\n{text}"));
    let spec = &config.feeds[0];
    let now = chrono::Utc::now();
    let built = pressfeed::build_items(
        pressfeed::extract(html, &spec.page_url, spec).unwrap(),
        spec,
        now,
    );
    built
        .items
        .into_iter()
        .map(|item| {
            (
                item.title,
                item.link,
                item.date
                    .map(|d| d.with_timezone(&chrono::Utc).format("%Y-%m-%d").to_string()),
            )
        })
        .collect()
}

fn item(title: &str, link: &str, date: Option<&str>) -> (String, String, Option<String>) {
    (
        title.to_string(),
        format!("https://example.org{link}"),
        date.map(str::to_string),
    )
}

/// Issue 13: fields outside the item: the next sibling (`+`), the following siblings up to
/// the next item (`~`), the nearest heading before it (`before`), its link and its title
/// (`from`).
#[test]
fn fields_are_read_from_around_the_item() {
    // The date in the `dt` before each `dd` (Japanese and Chinese news lists).
    let dl = "<dl><dt>2024年3月5日</dt><dd><a href=\"/a\">A</a></dd>\
              <dt>2024年3月4日</dt><dd><a href=\"/b\">B</a></dd></dl>";
    let want = [
        item("A", "/a", Some("2024-03-05")),
        item("B", "/b", Some("2024-03-04")),
    ];
    assert_eq!(
        read(
            "item = \"dd\"\ntitle = \"a\"\nlink = \"a\"\ndate = { before = \"dt\" }",
            dl
        ),
        want
    );
    // The same list with the `dt` as the item: title and link in the next sibling.
    assert_eq!(
        read(
            "item = \"dt\"\ntitle = \"+ dd a\"\nlink = \"+ dd a\"\ndate = { regex = \".+\" }",
            dl
        ),
        want
    );

    // Two-row table items: the date in a later row, never in the next item's.
    let table = "<table>\
        <tr class=\"t\"><td><a href=\"/a\">A</a></td></tr><tr><td>Note</td></tr><tr><td class=\"d\">2024-03-05</td></tr>\
        <tr class=\"t\"><td><a href=\"/b\">B</a></td></tr>\
        <tr class=\"t\"><td><a href=\"/c\">C</a></td></tr><tr><td class=\"d\">2024-03-01</td></tr>\
        </table>";
    assert_eq!(
        read(
            "item = \"tr.t\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"~ td.d\"",
            table
        ),
        [
            item("A", "/a", Some("2024-03-05")),
            item("B", "/b", None),
            item("C", "/c", Some("2024-03-01")),
        ]
    );

    // Lists grouped under date headings.
    let grouped = "<h3>Published November 7, 2023</h3><ul><li><a href=\"/a\">A</a></li>\
        <li><a href=\"/b\">B</a></li></ul><h3>Published October 2, 2023</h3>\
        <ul><li><a href=\"/c\">C</a></li></ul>";
    assert_eq!(
        read(
            "item = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = { before = \"h3\" }",
            grouped
        ),
        [
            item("A", "/a", Some("2023-11-07")),
            item("B", "/b", Some("2023-11-07")),
            item("C", "/c", Some("2023-10-02")),
        ]
    );

    // The date only in the item's link, and only in its title.
    let in_link = "<ul><li><a href=\"/2016/0422/106.html\">A</a></li>\
        <li><a href=\"/2016/0419/99.html\">B</a></li></ul>";
    assert_eq!(
        read(
            "item = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = { from = \"link\", regex = \"/(\\\\d{4})/(\\\\d{2})(\\\\d{2})/\" }",
            in_link
        ),
        [
            item("A", "/2016/0422/106.html", Some("2016-04-22")),
            item("B", "/2016/0419/99.html", Some("2016-04-19")),
        ]
    );
    let in_title = "<ul><li><a href=\"/t\">Tran v. Commonwealth (September 10, 2025)</a></li></ul>";
    assert_eq!(
        read(
            "item = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = { from = \"title\" }",
            in_title
        ),
        [item(
            "Tran v. Commonwealth (September 10, 2025)",
            "/t",
            Some("2025-09-10")
        )]
    );
}

/// Mistakes in the new forms are configuration errors naming the field.
#[test]
fn fields_outside_the_item_are_checked_when_loaded() {
    for (field, message) in [
        (
            "date = { from = \"url\" }",
            "field \"selectors.date\": from = \"url\" is not something an item has: write \"link\" or \"title\"",
        ),
        (
            "date = { before = \"h3\", selector = \"span\" }",
            "field \"selectors.date\": a field is read from one place: give `selector`, `before` or `from`, not several",
        ),
        ("date = \"+ \"", "field \"selectors.date\": "),
        (
            "date = { before = \"h3 >>\" }",
            "field \"selectors.date\": \"h3 >>\"",
        ),
    ] {
        let text = format!(
            "[[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://example.org/\"\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n{field}\n"
        );
        let err = pressfeed::Config::parse(&text, std::path::Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{field}: {err}");
    }
}

/// Issue 13: `check` marks dates worked out from the page's time, and tries the item page of
/// the first item and the next listing page, printing what each gave.
#[test]
fn check_shows_inferred_dates_the_first_item_page_and_the_next_page() {
    let server = TestServer::start();
    let listing = "<html><body><ul>\
        <li><a href=\"/item/1\">One</a> <span>3 hours ago</span></li>\
        <li><a href=\"/item/2\">Two</a> <span>5 March 2024</span></li>\
        </ul><a class=\"next\" href=\"/news/2\">Older</a></body></html>";
    server.route("/news", vec![Reply::html(listing)]);
    server.route(
        "/news/2",
        vec![Reply::html(
            "<html><body><ul><li><a href=\"/item/3\">Three</a></li></ul></body></html>",
        )],
    );
    server.route(
        "/item/1",
        vec![Reply::html(
            "<html><body><article><p>The full text.</p></article><p class=\"by\">Ann</p></body></html>",
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[output]\ndir = \"public\"\n[fetch]\nhost_delay = 0\nrobots_txt = false\n\n\
             [[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = {:?}\n\n\
             [feed.pagination]\nnext = \"a.next\"\n\n\
             [feed.detail]\ncontent = \"article\"\nauthor = \"p.by\"\nimage = \"img\"\n\n\
             [feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span\"\n",
            server.url("/news")
        ),
    )
    .unwrap();
    let out = pressfeed()
        .arg("--config")
        .arg(&config)
        .args(["check", "x", "--now", "2024-03-10T12:00:00Z"])
        .assert()
        .success();
    let out = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(out.contains("\n  1  2024-03-10*  One "), "{out}");
    assert!(out.contains("\n  2  2024-03-05   Two "), "{out}");
    assert!(
        out.contains(
            "\n  * 1 worked out from the page's time (relative, or without a year; see --now)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\nolder pages: the next is {}: the item selector matches 1 there\n",
            server.url("/news/2")
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "\nitem pages: the first item's is {}\n  detail.content: 21 characters of HTML: The full text.\n  detail.author: Ann\n  detail.image: nothing found\n",
            server.url("/item/1")
        )),
        "{out}"
    );
    // `check` writes nothing.
    assert!(!dir.path().join("public").exists());
}

/// Issue 13: date text as a browser lays it out: `<br>` is a space, `<wbr>` nothing; an
/// empty `datetime` falls back to the text.
#[test]
fn date_text_is_read_as_laid_out() {
    let page = "<ul>\
        <li><a href=\"/a\">A</a><span class=\"d\">17<br>февраля<br>2016</span></li>\
        <li><a href=\"/b\">B</a><time class=\"d\" datetime=\"\">5 March 2024</time></li>\
        <li><a href=\"/c\">C</a><span class=\"d\">2024-03-0<wbr>4</span></li>\
        <li><a href=\"/e\">E</a><date class=\"d\" datetime=\"2024-03-02\">2 March</date></li>\
        </ul>";
    assert_eq!(
        read(
            "item = \"li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \".d\"",
            page
        ),
        [
            item("A", "/a", Some("2016-02-17")),
            item("B", "/b", Some("2024-03-05")),
            item("C", "/c", Some("2024-03-04")),
            item("E", "/e", Some("2024-03-02")),
        ]
    );
}
