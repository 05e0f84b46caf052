//! Hostile pages: whatever a site sends, a run ends in bounded time and memory, fails with an
//! error naming the feed and the field, and leaves the last good feed and history as they were.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone as _, Utc};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{
    HttpSite, compact_config, compact_page, file_config, fixture, parse_atom, parse_rss, pressfeed,
    run_config, stderr,
};

const MIB: u64 = 1024 * 1024;

/// A site whose first page is the ILO fixture (one good run is made) and whose later pages
/// are `hostile`. Returns the server, the site, and the good run's files.
fn after_a_good_run(
    hostile: Reply,
    fetch: &str,
) -> (TestServer, HttpSite, [(Vec<u8>, std::time::SystemTime); 2]) {
    let server = TestServer::start();
    server.route("/page", vec![Reply::ilo(), hostile]);
    let site = HttpSite::new(&server.url("/page"), fetch, "");
    site.run().success();
    let files = site.files();
    assert_eq!(parse_rss(&site.out.join("ilo-china.rss")).items.len(), 20);
    (server, site, files)
}

/// The good run's feed and history are still there, and the feed is marked failing.
fn assert_kept(site: &HttpSite, files: &[(Vec<u8>, std::time::SystemTime); 2]) {
    assert!(site.files() == *files, "the good feed files changed");
    let status = site.cmd(&["status", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(report[0]["feed"], "ilo-china", "{report}");
    assert_eq!(report[0]["items_in_history"], 20, "{report}");
    assert_eq!(report[0]["failing"], true, "{report}");
}

#[test]
fn a_100_mb_body_is_cut_at_the_cap() {
    let sent = Arc::new(AtomicU64::new(0));
    let chunk = b"<li><a href=\"/x\">padding</a></li>\n".repeat(2000);
    let (server, site, files) = after_a_good_run(
        Reply::Endless {
            chunk,
            total: 100 * 1000 * 1000,
            sent: Arc::clone(&sent),
        },
        "retries = 2",
    );
    let text = stderr(&site.run().code(1));
    assert_eq!(
        text.lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"ilo-china\": field \"url\": the page at {} is larger than 10485760 bytes (`max_body_bytes`); its previous feed files and history are kept",
            server.url("/page")
        )
    );
    assert_eq!(server.count("/page"), 2, "an oversized page is not retried");
    // Reading stops at the cap: what the server got out is the cap plus what sat in buffers.
    let sent = sent.load(Ordering::SeqCst);
    assert!(sent < 40 * MIB, "{sent} bytes were sent");
    assert_kept(&site, &files);
}

#[test]
fn a_gzip_bomb_is_stopped_at_the_cap() {
    let bomb = std::fs::read(fixture("hostile/bomb.html.gz")).unwrap();
    assert!(bomb.len() < 300_000);
    let (server, site, files) = after_a_good_run(
        Reply::Raw(
            vec![
                ("content-type", "text/html".to_string()),
                ("content-encoding", "gzip".to_string()),
            ],
            bomb,
        ),
        "",
    );
    let text = stderr(&site.run().code(1));
    assert!(
        text.contains(&format!(
            "feed \"ilo-china\": field \"url\": the page at {} is larger than 10485760 bytes",
            server.url("/page")
        )),
        "{text}"
    );
    assert_kept(&site, &files);
}

#[test]
fn a_page_that_never_finishes_times_out() {
    let page = std::fs::read(fixture("ilo-china-press-releases.html")).unwrap();
    let (server, site, files) = after_a_good_run(
        Reply::Stall {
            body: page[..page.len() / 2].to_vec(),
        },
        "timeout = 1\nretries = 1\nretry_time = 5",
    );
    let started = Instant::now();
    let text = stderr(&site.run().code(1));
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        text.starts_with("pressfeed: error: feed \"ilo-china\": field \"url\": cannot fetch"),
        "{text}"
    );
    assert!(text.contains("timed out"), "{text}");
    assert!(text.contains("(after 2 attempts)"), "{text}");
    assert_eq!(server.count("/page"), 3);
    assert_kept(&site, &files);
}

/// A server that answers every request with a head announcing the whole page and half of it,
/// then resets the connection (RST, not FIN). Returns its address and a request counter.
fn resetting_server(page: Vec<u8>) -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&count);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let page = page.clone();
                tokio::spawn(async move {
                    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    if request.starts_with(b"GET /robots.txt ") {
                        let _ = stream
                            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                            .await;
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\n\r\n",
                        page.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&page[..page.len() / 2]).await;
                    let _ = stream.flush().await;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let _ = stream.set_zero_linger();
                    drop(stream);
                });
            }
        });
    });
    (addr, count)
}

#[test]
fn a_connection_reset_mid_body_fails_cleanly() {
    let page = std::fs::read(fixture("ilo-china-press-releases.html")).unwrap();
    let good = TestServer::start();
    good.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&good.url("/page"), "retries = 1\nretry_time = 5", "");
    site.run().success();
    let files = site.files();

    let (addr, count) = resetting_server(page);
    let text = std::fs::read_to_string(&site.config).unwrap();
    let moved = text.replace(&good.url("/page"), &format!("http://{addr}/page"));
    std::fs::write(&site.config, moved).unwrap();
    let text = stderr(&site.run().code(1));
    assert!(
        text.starts_with("pressfeed: error: feed \"ilo-china\": field \"url\": cannot fetch"),
        "{text}"
    );
    assert!(text.contains("(after 2 attempts)"), "{text}");
    // robots.txt, then the page twice, each on a connection of its own.
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // The history is keyed by feed, not address: the good run's feed and items are intact.
    assert_kept(&site, &files);
}

/// A small listing of 20 items inside `depth` nested `div`s.
fn nested_page(depth: usize) -> String {
    let mut page = String::from("<!DOCTYPE html><html><body>");
    page.push_str(&"<div>".repeat(depth));
    page.push_str(&compact_page(20));
    page.push_str(&"</div>".repeat(depth));
    page
}

#[test]
fn nesting_100000_levels_deep_is_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    // Deep but within what browsers nest: read as usual.
    std::fs::write(&page, nested_page(400)).unwrap();
    let config = compact_config(dir.path(), &page, "ul > li");
    run_config(&config).success();
    let good = std::fs::read(dir.path().join("public/x.rss")).unwrap();
    assert_eq!(parse_rss(&dir.path().join("public/x.rss")).items.len(), 20);

    let deep = nested_page(100_000);
    std::fs::write(&page, &deep).unwrap();
    let started = Instant::now();
    let assert = run_config(&config).code(1);
    let took = started.elapsed();
    assert_eq!(
        stderr(&assert).lines().next().unwrap(),
        format!(
            "pressfeed: error: feed \"x\": field \"url\": the page nests elements more than 512 levels deep (by byte 16384 of {}); it is not read; its previous feed files and history are kept",
            deep.len()
        )
    );
    // html5ever alone takes about 40 s on this page (its stack scans are quadratic).
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(
        std::fs::read(dir.path().join("public/x.rss")).unwrap(),
        good
    );

    // Nor can the depth hide behind a comment after `</body>` at the end of each 16 KiB
    // piece the parser is given (a comment there lands at the top of the tree while the
    // elements stay open).
    let mut sly = String::from("<html><body>");
    for piece in 1..=40 {
        let need = 16_384 * piece - sly.len();
        let divs = (need - 20) / 5;
        sly.push_str(&"<div>".repeat(divs));
        sly.push_str("</body><!--");
        sly.push_str(&"x".repeat(need - divs * 5 - 14));
        sly.push_str("-->");
        assert_eq!(sly.len(), 16_384 * piece);
    }
    std::fs::write(&page, &sly).unwrap();
    let started = Instant::now();
    let assert = run_config(&config).code(1);
    assert!(
        stderr(&assert).contains("more than 512 levels deep (by byte 16384 of"),
        "{}",
        stderr(&assert)
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    // suggest says why it finds nothing.
    let assert = pressfeed().arg("suggest").arg(&page).assert().code(1);
    assert!(
        stderr(&assert).contains("more than 512 levels deep"),
        "{}",
        stderr(&assert)
    );
}

#[test]
fn invalid_utf8_in_every_position_is_replaced_in_place() {
    let page = std::fs::read(fixture("hostile/listing.html")).unwrap();
    let config = pressfeed::Config::parse(
        "[[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://example.org/fr/\"\ndate_formats = [\"%d %B %Y\"]\n\n[feed.selectors]\nitem = \"ul.news > li\"\ntitle = \"a\"\nlink = \"a\"\ndate = \"span\"\nsummary = \"p\"\n",
        Path::new("config.toml"),
    )
    .unwrap();
    let spec = &config.feeds[0];
    let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
    let feed_of = |bytes: Vec<u8>| {
        let page = pressfeed::Body {
            url: spec.page_url.clone(),
            bytes,
            http_charset: None,
            validators: Default::default(),
            served_at: None,
        };
        // The page keeps its encoding: the bad bytes are replaced, nothing else changes.
        let text = page.decode(spec.encoding).text;
        assert_eq!(text, String::from_utf8_lossy(&page.bytes));
        let extraction = pressfeed::extract(&text, &page.url, spec)?;
        let built = pressfeed::build_items(extraction, spec, now);
        let (meta, items) =
            pressfeed_testkit::arrange(spec, &config.output, built.items.clone(), now);
        for format in [pressfeed::Format::Rss, pressfeed::Format::Atom] {
            let bytes = pressfeed::render(format, &meta, &items).unwrap();
            roxmltree::Document::parse(std::str::from_utf8(&bytes).unwrap()).unwrap();
        }
        let json = pressfeed::render(pressfeed::Format::Json, &meta, &items).unwrap();
        serde_json::from_slice::<serde_json::Value>(&json).unwrap();
        Ok::<_, pressfeed::ExtractError>(built.items)
    };
    let expected: Vec<(String, String)> = feed_of(page.clone())
        .unwrap()
        .into_iter()
        .map(|i| (i.title, i.summary.unwrap()))
        .collect();
    assert_eq!(expected.len(), 5);
    assert_eq!(expected[1].0, "北京办事处发布报告");
    assert_eq!(expected[2].0, "Ökonomie & Arbeit");

    // Whether a byte position is inside a tag, between its `<` and `>`.
    let mut in_markup = Vec::with_capacity(page.len() + 1);
    let mut inside = false;
    for &byte in &page {
        inside |= byte == b'<';
        in_markup.push(inside);
        inside &= byte != b'>';
    }
    in_markup.push(false);
    let mut failed = 0;
    for (position, &markup) in in_markup.iter().enumerate() {
        for bad in [&[0xFF][..], &[0xC3], &[0xE5, 0x8C], &[0xED, 0xA0, 0x80]] {
            let mut bytes = page.clone();
            bytes.splice(position..position, bad.iter().copied());
            let Ok(items) = feed_of(bytes) else {
                // Only a byte inside the list's own markup can hide the list.
                failed += 1;
                continue;
            };
            // In text, bad bytes touch one item. (In markup they can break a tag, and then
            // the page is parsed as a browser would: items may merge or leave the list.)
            if markup {
                continue;
            }
            let intact = items
                .iter()
                .filter(|i| {
                    expected.contains(&(i.title.clone(), i.summary.clone().unwrap_or_default()))
                })
                .count();
            assert!(
                intact >= expected.len() - 1,
                "{bad:x?} at byte {position}: {items:#?}"
            );
        }
    }
    assert!(failed < 4 * 30, "{failed} placements hid the list");
}

#[test]
fn links_with_script_and_data_schemes_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let config = file_config(
        dir.path(),
        &fixture("hostile/schemes.html"),
        "ul.news > li",
        ("span", "%d %B %Y"),
        ("", ""),
    );
    let assert = run_config(&config).success();
    // `javascript:` links are placeholders: those items link to the page. Other schemes are
    // skipped with the item.
    let page = "https://example.org/news/";
    let expected = [
        ("Kept: a relative link", "https://example.org/news/ok-1"),
        ("To the page: javascript", page),
        ("To the page: JaVaScRiPt", page),
        ("To the page: java tab script", page),
        (
            "Kept: an absolute https link",
            "https://example.org/news/ok-2",
        ),
    ];
    let rss = parse_rss(&dir.path().join("public/x.rss"));
    let found: Vec<_> = rss
        .items
        .iter()
        .map(|i| (i.title().unwrap(), i.link().unwrap()))
        .collect();
    assert_eq!(found, expected, "{}", stderr(&assert));
    let atom = parse_atom(&dir.path().join("public/x.atom"));
    let found: Vec<_> = atom
        .entries()
        .iter()
        .map(|e| (e.title().as_str(), e.links()[0].href()))
        .collect();
    assert_eq!(found, expected);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("public/x.json")).unwrap()).unwrap();
    let found: Vec<_> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["title"].as_str().unwrap(), i["url"].as_str().unwrap()))
        .collect();
    assert_eq!(found, expected);
    let ids: std::collections::HashSet<_> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 5, "ids are unique");
    // No scheme of the dropped links is in any file.
    for name in ["x.rss", "x.atom", "x.json"] {
        let text = std::fs::read_to_string(dir.path().join("public").join(name))
            .unwrap()
            .to_lowercase();
        for scheme in ["javascript:", "data:", "vbscript:", "file:"] {
            assert!(!text.contains(scheme), "{name} has {scheme}");
        }
    }
}

#[test]
fn scripts_styles_frames_and_handlers_are_removed_from_summaries() {
    let dir = tempfile::tempdir().unwrap();
    let config = file_config(
        dir.path(),
        &fixture("hostile/scripts.html"),
        "ul.news > li",
        ("span", "%d %B %Y"),
        ("summary_format = \"html\"", "summary = \"div.summary\""),
    );
    run_config(&config).success();
    let atom = parse_atom(&dir.path().join("public/x.atom"));
    let summaries: Vec<String> = atom
        .entries()
        .iter()
        .map(|e| e.summary().unwrap().value.clone())
        .collect();
    // Text inside `noscript` and `iframe` stays, as text; `<base>` in a summary moves nothing.
    let expected = [
        "Before after noscript text.",
        "<span>Styled</span> text.",
        "frame textFramed text.",
        "<img alt=\"a picture\" src=\"https://example.org/pic.png\"> <b>Bold</b> <a href=\"https://example.org/more\" rel=\"noopener noreferrer\">more</a>",
        "<a rel=\"noopener noreferrer\">js link</a> <a rel=\"noopener noreferrer\">data link</a> Go   end",
    ];
    assert_eq!(summaries, expected);
    // The RSS and JSON Feed copies carry the same HTML.
    let rss = parse_rss(&dir.path().join("public/x.rss"));
    let descriptions: Vec<_> = rss.items.iter().map(|i| i.description().unwrap()).collect();
    assert_eq!(descriptions, expected);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("public/x.json")).unwrap()).unwrap();
    let html: Vec<_> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["content_html"].as_str().unwrap())
        .collect();
    assert_eq!(html, expected);
    // And, read as HTML, nothing active is left.
    for summary in expected {
        let fragment = scraper::Html::parse_fragment(summary);
        for element in fragment.root_element().descendent_elements() {
            let name = element.value().name();
            assert!(
                !matches!(
                    name,
                    "script" | "style" | "iframe" | "object" | "embed" | "form" | "svg" | "math"
                ),
                "{summary}"
            );
            for (attr, value) in element.value().attrs() {
                assert!(!attr.starts_with("on") && attr != "style", "{summary}");
                assert!(
                    !value.to_lowercase().starts_with("javascript:"),
                    "{summary}"
                );
            }
        }
    }
}

/// Issue 12: page text cannot drive the terminal of whoever runs `check` or reads the logs:
/// escape sequences and bidirectional overrides are shown as codes.
#[test]
fn check_and_logs_show_terminal_control_sequences_as_codes() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        "<html><body><ul class=\"news\">\
         <li><a href=\"/ok\">Kept \u{202e}txet desrever</a> <span>01 April 2014</span></li>\
         <li><a href=\"mailto:\u{1b}]0;pwned\u{7}x@example.org\">Skipped</a> <span>02 April 2014</span></li>\
         </ul></body></html>",
    )
    .unwrap();
    let config = file_config(
        dir.path(),
        &page,
        "ul.news > li",
        ("span", "%d %B %Y"),
        ("", ""),
    );
    let moves = |c: char| {
        (c.is_control() && c != '\n' && c != '\t') || ('\u{202a}'..='\u{202e}').contains(&c)
    };
    let check = pressfeed()
        .arg("--config")
        .arg(&config)
        .args(["check", "x"])
        .assert()
        .success();
    let shown = String::from_utf8(check.get_output().stdout.clone()).unwrap();
    assert!(!shown.chars().any(moves), "{shown:?}");
    assert!(shown.contains("Kept \\u{202e}txet desrever"), "{shown}");
    assert!(
        shown.contains("mailto:\\u{1b}]0;pwned\\u{7}x@example.org"),
        "{shown}"
    );
    let run = pressfeed()
        .arg("-v")
        .arg("--config")
        .arg(&config)
        .arg("run")
        .assert()
        .success();
    let logged = stderr(&run);
    assert!(!logged.chars().any(moves), "{logged:?}");
    // (tracing shows the escape character as `\x1b` before pressfeed sees the line.)
    assert!(logged.contains("]0;pwned"), "{logged}");
}
