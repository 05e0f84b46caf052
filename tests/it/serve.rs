//! `pressfeed serve` and the files every run publishes for feed readers: content types,
//! validators and 304s, HEAD, compression, traversal attempts, files swapped under readers,
//! JSON Feed and OPML parsed back, `/healthz`, SIGTERM, WebSub, and the index page in a real
//! headless browser.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pressfeed::{Config, ServeOptions};
use reqwest::header;

use pressfeed_testkit::server::{Background, Reply, TestServer};
use pressfeed_testkit::{
    HttpSite, config_for, fixture, parse_atom, pressfeed, run_config, spawn_serve, stderr,
};

/// The ILO feed published into a temporary folder, and its config.
struct Published {
    _dir: tempfile::TempDir,
    config: Config,
    out: PathBuf,
}

fn published() -> Published {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let path = config_for(dir.path(), &fixture("ilo-china-press-releases.html"), &out);
    pressfeed()
        .arg("-c")
        .arg(&path)
        .arg("run")
        .assert()
        .success();
    Published {
        config: Config::load(&path).unwrap(),
        out,
        _dir: dir,
    }
}

/// `pressfeed::serve` on 127.0.0.1, port 0, on a thread of its own; stops when dropped.
struct Running(Background);

impl Running {
    fn start(config: Config, options: ServeOptions) -> Running {
        Running(Background::serve_with(
            "127.0.0.1",
            move |listener, stop| async move {
                pressfeed::serve(config, options, listener, async {
                    let _ = stop.await;
                })
                .await
                .unwrap();
            },
        ))
    }

    fn url(&self, path: &str) -> String {
        self.0.url(path)
    }

    /// Sends `path` as written (no normalising) and returns the status code.
    fn raw_status(&self, path: &str) -> u16 {
        let mut stream = std::net::TcpStream::connect(self.0.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0)
    }

    /// GETs `path` with `Accept-Encoding: coding` using `client`.
    fn get_encoded(
        &self,
        rt: &tokio::runtime::Runtime,
        client: &reqwest::Client,
        path: &str,
        coding: &str,
    ) -> reqwest::Response {
        rt.block_on(
            client
                .get(self.url(path))
                .header(header::ACCEPT_ENCODING, coding)
                .send(),
        )
        .unwrap()
    }
}

/// Points `site`'s feed at a page whose layout changed and runs it once: the feed fails.
fn break_the_page(site: &Published) {
    let text = std::fs::read_to_string(&site.config.path).unwrap();
    let good = fixture("ilo-china-press-releases.html");
    let bad = fixture("broken/layout-changed.html");
    std::fs::write(
        &site.config.path,
        text.replace(good.to_str().unwrap(), bad.to_str().unwrap()),
    )
    .unwrap();
    pressfeed()
        .arg("-c")
        .arg(&site.config.path)
        .arg("run")
        .assert()
        .code(1);
}

fn options() -> ServeOptions {
    ServeOptions {
        refresh: None,
        unhealthy_after: Duration::from_secs(3600),
        ..ServeOptions::default()
    }
}

/// A client that leaves bodies as sent (no decompression).
pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_proxy()
        .build()
        .unwrap()
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn files_are_served_with_their_types_and_validators() {
    let site = published();
    let server = Running::start(site.config.clone(), options());
    let rt = runtime();
    let client = client();
    let cases = [
        (
            "/ilo-china.rss",
            "application/rss+xml; charset=utf-8",
            "ilo-china.rss",
        ),
        (
            "/ilo-china.atom",
            "application/atom+xml; charset=utf-8",
            "ilo-china.atom",
        ),
        (
            "/ilo-china.json",
            "application/feed+json; charset=utf-8",
            "ilo-china.json",
        ),
        ("/feeds.opml", "text/x-opml; charset=utf-8", "feeds.opml"),
        ("/index.html", "text/html; charset=utf-8", "index.html"),
    ];
    // `/` sends readers and browsers to the index page, by a relative address.
    let plain = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = rt.block_on(plain.get(server.url("/")).send()).unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()[header::LOCATION], "index.html");
    let response = rt.block_on(client.get(server.url("/")).send()).unwrap();
    assert_eq!(response.url().path(), "/index.html");
    assert_eq!(
        rt.block_on(response.bytes()).unwrap(),
        std::fs::read(site.out.join("index.html")).unwrap()
    );
    for (path, media_type, file) in cases {
        let bytes = std::fs::read(site.out.join(file)).unwrap();
        let response = rt.block_on(client.get(server.url(path)).send()).unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers[header::CONTENT_TYPE], media_type, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
        let etag = headers[header::ETAG].to_str().unwrap().to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() == 34,
            "{etag}"
        );
        let last_modified = headers[header::LAST_MODIFIED].to_str().unwrap().to_string();
        assert_eq!(rt.block_on(response.bytes()).unwrap(), bytes, "{path}");

        // Both validators give a 304 with no body; a stale one gives the file.
        for (name, value) in [
            (header::IF_NONE_MATCH, etag.as_str()),
            (header::IF_MODIFIED_SINCE, last_modified.as_str()),
        ] {
            let response = rt
                .block_on(
                    client
                        .get(server.url(path))
                        .header(name.clone(), value)
                        .send(),
                )
                .unwrap();
            assert_eq!(response.status(), 304, "{path} {name}");
            assert_eq!(response.headers()[header::ETAG], etag.as_str());
            assert!(rt.block_on(response.bytes()).unwrap().is_empty());
        }
        let response = rt
            .block_on(
                client
                    .get(server.url(path))
                    .header(header::IF_NONE_MATCH, "\"stale\"")
                    .send(),
            )
            .unwrap();
        assert_eq!(response.status(), 200);
        // Issue 12: an If-Modified-Since after the server's clock is ignored.
        let future = httpdate::fmt_http_date(
            std::time::SystemTime::now() + Duration::from_secs(365 * 86_400),
        );
        let response = rt
            .block_on(
                client
                    .get(server.url(path))
                    .header(header::IF_MODIFIED_SINCE, future)
                    .send(),
            )
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(rt.block_on(response.bytes()).unwrap(), bytes, "{path}");

        // HEAD: the same headers, no body.
        let response = rt.block_on(client.head(server.url(path)).send()).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::ETAG], etag.as_str());
        assert_eq!(response.headers()[header::CONTENT_TYPE], media_type);
        assert!(rt.block_on(response.bytes()).unwrap().is_empty());
    }
}

#[test]
fn bodies_are_compressed_as_the_client_accepts() {
    let site = published();
    let server = Running::start(site.config.clone(), options());
    let rt = runtime();
    let bytes = std::fs::read(site.out.join("ilo-china.atom")).unwrap();
    let plain_etag = rt
        .block_on(client().get(server.url("/ilo-china.atom")).send())
        .unwrap()
        .headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_string();
    let response = server.get_encoded(&rt, &client(), "/ilo-china.atom", "gzip");
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(response.headers()[header::VARY], "accept-encoding");
    // Each representation has its own strong ETag, and any of them validates.
    let gz_etag = response.headers()[header::ETAG]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        gz_etag,
        format!("{}-gz\"", plain_etag.trim_end_matches('"'))
    );
    let revalidated = rt
        .block_on(
            client()
                .get(server.url("/ilo-china.atom"))
                .header(header::ACCEPT_ENCODING, "gzip")
                .header(header::IF_NONE_MATCH, &gz_etag)
                .send(),
        )
        .unwrap();
    assert_eq!(revalidated.status(), 304);
    assert_eq!(revalidated.headers()[header::ETAG], gz_etag.as_str());
    let compressed = rt.block_on(response.bytes()).unwrap();
    assert!(compressed.len() < bytes.len() / 2);
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, bytes);

    let response = server.get_encoded(&rt, &client(), "/ilo-china.atom", "br");
    assert_eq!(response.headers()[header::CONTENT_ENCODING], "br");
    // A client that decodes brotli gets the file back.
    let decoding = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = server.get_encoded(&rt, &decoding, "/ilo-china.atom", "br");
    assert_eq!(rt.block_on(response.bytes()).unwrap(), bytes);
}

#[test]
fn nothing_outside_the_folder_is_served() {
    let site = published();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", site.out.join("evil.rss")).unwrap();
    std::fs::write(site.out.join(".hidden.rss"), "secret").unwrap();
    let server = Running::start(site.config.clone(), options());
    for path in [
        "/../config.toml",
        "/%2e%2e/config.toml",
        "/%2E%2E%2Fconfig.toml",
        "//etc/passwd",
        "/..%2fconfig.toml",
        "/config.toml",
        "/evil.rss",
        "/.hidden.rss",
        "/nope.rss",
        "/public/",
        "/ilo-china.rss/",
    ] {
        assert_eq!(server.raw_status(path), 404, "{path}");
    }
    assert_eq!(server.raw_status("/ilo-china.rss"), 200);
    let rt = runtime();
    let response = rt
        .block_on(client().post(server.url("/ilo-china.rss")).send())
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[test]
fn readers_never_see_a_partial_file_while_feeds_are_replaced() {
    let site = published();
    let server = Running::start(site.config.clone(), options());
    let path = site.out.join("ilo-china.rss");
    let first = std::fs::read(&path).unwrap();
    let second = String::from_utf8(first.clone())
        .unwrap()
        .replace(
            "A bigger role for labour inspectors",
            "A bigger role, again,",
        )
        .into_bytes();
    let writer = {
        let (path, first, second) = (path.clone(), first.clone(), second.clone());
        std::thread::spawn(move || {
            for round in 0..200 {
                let bytes = if round % 2 == 0 { &second } else { &first };
                pressfeed::publish(&[(path.clone(), bytes.clone())]).unwrap();
            }
        })
    };
    let rt = runtime();
    let client = client();
    let mut seen = [0, 0];
    for _ in 0..300 {
        let response = rt
            .block_on(client.get(server.url("/ilo-china.rss")).send())
            .unwrap();
        let body = rt.block_on(response.bytes()).unwrap();
        if body == first {
            seen[0] += 1;
        } else {
            assert_eq!(body, second, "a reader got a partial or mixed file");
            seen[1] += 1;
        }
        rss::Channel::read_from(&body[..]).unwrap();
    }
    writer.join().unwrap();
    assert_eq!(seen[0] + seen[1], 300);
}

/// JSON Feed 1.1 as the spec defines it (required fields not optional here).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonFeed {
    version: String,
    title: String,
    home_page_url: String,
    feed_url: String,
    description: String,
    language: String,
    authors: Vec<JsonAuthor>,
    items: Vec<JsonItem>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAuthor {
    name: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonItem {
    id: String,
    url: String,
    title: String,
    content_text: Option<String>,
    content_html: Option<String>,
    date_published: String,
    date_modified: String,
}

#[test]
fn json_feed_and_opml_parse_back() {
    let site = published();
    let feed: JsonFeed =
        serde_json::from_slice(&std::fs::read(site.out.join("ilo-china.json")).unwrap()).unwrap();
    assert_eq!(feed.version, "https://jsonfeed.org/version/1.1");
    assert_eq!(
        feed.title,
        "ILO China and Mongolia: news and press releases"
    );
    assert!(
        feed.home_page_url
            .starts_with("https://www.ilo.org/beijing/")
    );
    assert_eq!(feed.feed_url, "http://localhost:8080/ilo-china.json");
    assert!(feed.description.starts_with("Official ILO press releases"));
    assert_eq!(feed.language, "en");
    assert_eq!(
        feed.authors[0].name,
        "ILO Country Office for China and Mongolia"
    );
    assert_eq!(feed.items.len(), 20);
    let rss = pressfeed_testkit::parse_rss(&site.out.join("ilo-china.rss"));
    for (item, rss_item) in feed.items.iter().zip(&rss.items) {
        assert_eq!(Some(item.title.as_str()), rss_item.title.as_deref());
        assert_eq!(Some(item.url.as_str()), rss_item.link.as_deref());
        assert_eq!(item.id, item.url);
        // Content is required: the summary, or the title when there is none.
        let content = item
            .content_text
            .as_deref()
            .or(item.content_html.as_deref());
        let want = rss_item
            .description
            .as_deref()
            .unwrap_or(item.title.as_str());
        assert_eq!(content, Some(want));
        let published = chrono::DateTime::parse_from_rfc3339(&item.date_published).unwrap();
        assert_eq!(
            published,
            chrono::DateTime::parse_from_rfc2822(rss_item.pub_date.as_deref().unwrap()).unwrap()
        );
        assert_eq!(item.date_modified, item.date_published);
    }

    let opml = std::fs::read_to_string(site.out.join("feeds.opml")).unwrap();
    let doc = roxmltree::Document::parse(&opml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "opml");
    assert_eq!(root.attribute("version"), Some("2.0"));
    let outlines: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("outline"))
        .collect();
    assert_eq!(outlines.len(), 1);
    let outline = outlines[0];
    assert_eq!(outline.attribute("type"), Some("rss"));
    assert_eq!(
        outline.attribute("title"),
        Some("ILO China and Mongolia: news and press releases")
    );
    assert_eq!(
        outline.attribute("xmlUrl"),
        Some("http://localhost:8080/ilo-china.rss")
    );
    assert!(
        outline
            .attribute("htmlUrl")
            .unwrap()
            .starts_with("https://www.ilo.org/")
    );

    // The index page's head names every feed for autodiscovery.
    let index = std::fs::read_to_string(site.out.join("index.html")).unwrap();
    let html = scraper::Html::parse_document(&index);
    let links: Vec<(String, String)> = html
        .select(&scraper::Selector::parse("head link[rel=alternate]").unwrap())
        .map(|l| {
            (
                l.value().attr("type").unwrap().to_string(),
                l.value().attr("href").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            (
                "application/rss+xml".into(),
                "http://localhost:8080/ilo-china.rss".into()
            ),
            (
                "application/atom+xml".into(),
                "http://localhost:8080/ilo-china.atom".into()
            ),
            (
                "application/feed+json".into(),
                "http://localhost:8080/ilo-china.json".into()
            ),
            ("text/x-opml".into(), "feeds.opml".into()),
        ]
    );

    // Nothing changed: a rerun leaves both discovery files alone.
    let mtimes = || -> Vec<std::time::SystemTime> {
        ["index.html", "feeds.opml"]
            .iter()
            .map(|f| {
                std::fs::metadata(site.out.join(f))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect()
    };
    let before = mtimes();
    std::thread::sleep(Duration::from_millis(20));
    pressfeed()
        .arg("-c")
        .arg(&site.config.path)
        .arg("run")
        .assert()
        .success();
    assert_eq!(before, mtimes());
}

#[test]
fn healthz_reports_feeds_and_fails_when_one_fails_too_long() {
    let site = published();
    let server = Running::start(site.config.clone(), options());
    let rt = runtime();
    let response = rt
        .block_on(client().get(server.url("/healthz")).send())
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value =
        serde_json::from_slice(&rt.block_on(response.bytes()).unwrap()).unwrap();
    assert_eq!(body["healthy"], true);
    assert_eq!(body["feeds"][0]["feed"], "ilo-china");
    assert_eq!(body["feeds"][0]["items_in_history"], 20);
    drop(server);

    // The page breaks; the feed fails, and after `unhealthy_after` the server says so.
    break_the_page(&site);
    let patient = Running::start(site.config.clone(), options());
    let response = rt
        .block_on(client().get(patient.url("/healthz")).send())
        .unwrap();
    assert_eq!(response.status(), 200, "failing, but not for long");
    std::thread::sleep(Duration::from_millis(1100));
    let strict = Running::start(
        site.config.clone(),
        ServeOptions {
            refresh: None,
            unhealthy_after: Duration::from_secs(1),
            ..ServeOptions::default()
        },
    );
    let response = rt
        .block_on(client().get(strict.url("/healthz")).send())
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: serde_json::Value =
        serde_json::from_slice(&rt.block_on(response.bytes()).unwrap()).unwrap();
    assert_eq!(body["healthy"], false);
    assert_eq!(body["feeds"][0]["failing"], true);
    assert!(
        body["feeds"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("matches nothing")
    );
}

/// A `serve` process that is killed if a test ends (or panics) before stopping it.
pub(crate) struct Reaper(pub(crate) std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn terminate(child: &mut std::process::Child) -> std::process::ExitStatus {
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

#[test]
fn serve_refreshes_then_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let config = config_for(dir.path(), &fixture("ilo-china-press-releases.html"), &out);
    let (mut child, address) = spawn_serve(&config, &["--refresh", "1h"]);
    // The first refresh runs at start; poll until its files are served (the index is there
    // before it, listing the feed as not published yet).
    let rt = runtime();
    let client = client();
    let mut status = 0;
    for _ in 0..100 {
        status = rt
            .block_on(client.get(format!("{address}/ilo-china.atom")).send())
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        if status == 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(status, 200);
    let response = rt
        .block_on(client.get(format!("{address}/")).send())
        .unwrap();
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=3600"
    );
    let exit = terminate(&mut child);
    assert_eq!(exit.code(), Some(0));
    assert_eq!(parse_atom(&out.join("ilo-china.atom")).entries.len(), 20);
}

/// Issue 12: a run that changed many feeds tells the hub a few at a time (at most 4 in flight).
#[test]
fn websub_pings_go_out_a_few_at_a_time() {
    let hub = TestServer::start();
    hub.route(
        "/hub",
        vec![Reply::Slow(
            Duration::from_millis(150),
            Box::new(Reply::Status(204, vec![])),
        )],
    );
    let dir = tempfile::tempdir().unwrap();
    let config = config_for(
        dir.path(),
        &fixture("ilo-china-press-releases.html"),
        Path::new("public"),
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let feed = &text[text.find("[[feed]]").unwrap()..];
    let mut all = text.replace(
        "base_url = \"http://localhost:8080/\"",
        &format!(
            "base_url = \"https://feeds.example.org/\"\nwebsub_hub = {:?}",
            hub.url("/hub")
        ),
    );
    for n in 1..10 {
        all.push_str(&feed.replace("id = \"ilo-china\"", &format!("id = \"copy-{n}\"")));
    }
    std::fs::write(&config, all).unwrap();
    run_config(&config).success();
    // Ten feeds in three formats.
    assert_eq!(hub.count("/hub"), 30);
    let peak = hub.max_in_flight();
    assert!((2..=4).contains(&peak), "{peak} notifications in flight");
}

#[test]
fn websub_hub_is_told_about_changed_feeds_only() {
    let hub = TestServer::start();
    hub.route("/hub", vec![Reply::Status(204, vec![])]);
    hub.route("/page", vec![Reply::ilo()]);
    let site = HttpSite::new(&hub.url("/page"), "", "");
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replace(
            "base_url = \"http://localhost:8080/\"",
            &format!(
                "base_url = \"https://feeds.example.org/\"\nwebsub_hub = {:?}",
                hub.url("/hub")
            ),
        ),
    )
    .unwrap();
    site.run().success();
    let posts = hub.requests("/hub");
    assert_eq!(posts.len(), 3);
    let bodies: Vec<String> = posts
        .iter()
        .map(|p| {
            assert_eq!(p.method, "POST");
            assert_eq!(
                p.headers["content-type"],
                "application/x-www-form-urlencoded"
            );
            String::from_utf8(p.body.clone()).unwrap()
        })
        .collect();
    let mut bodies = bodies;
    bodies.sort();
    assert_eq!(
        bodies,
        [
            "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example.org%2Filo-china.atom",
            "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example.org%2Filo-china.json",
            "hub.mode=publish&hub.url=https%3A%2F%2Ffeeds.example.org%2Filo-china.rss",
        ]
    );
    // The feeds name their hub.
    let feed = parse_atom(&site.out.join("ilo-china.atom"));
    assert!(
        feed.links
            .iter()
            .any(|l| l.rel == "hub" && l.href == hub.url("/hub"))
    );
    // Nothing changed: the hub hears nothing.
    site.run().success();
    assert_eq!(hub.count("/hub"), 3);

    // A failing hub is retried a little, logged, and never fails the run.
    hub.route("/hub", vec![Reply::Status(500, vec![])]);
    hub.route(
        "/page",
        vec![Reply::html(
            String::from_utf8(std::fs::read(fixture("ilo-china-press-releases.html")).unwrap())
                .unwrap()
                .replace(
                    "A bigger role for labour inspectors",
                    "A bigger role, again,",
                ),
        )],
    );
    let text = std::fs::read_to_string(&site.config).unwrap();
    std::fs::write(
        &site.config,
        text.replace("max_items = 50", "max_items = 50\nformats = [\"atom\"]"),
    )
    .unwrap();
    let out = site.cmd(&["-v", "run"]).assert().success();
    let text = stderr(&out);
    assert!(
        text.contains(
            "did not take the update of https://feeds.example.org/ilo-china.atom: HTTP 500"
        ),
        "{text}"
    );
    assert_eq!(hub.count("/hub"), 3 + 3, "three attempts");
}

/// Chromium as the machine has it (`.ci/run` installs Debian's).
fn chromium() -> Option<PathBuf> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

fn headless(browser: &Path, profile: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_index_page_renders_in_a_browser_and_its_links_work() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (see .ci/run)"
        );
        eprintln!("skipped: no chromium on this machine (`.ci/run` installs it)");
        return;
    };
    let site = published();
    let server = Running::start(site.config.clone(), options());
    let profile = tempfile::tempdir().unwrap();
    let dom = headless(&browser, profile.path(), &["--dump-dom", &server.url("/")]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8(dom.stdout).unwrap();
    let page = scraper::Html::parse_document(&dom);
    let select = |css: &str| scraper::Selector::parse(css).unwrap();
    let heading: Vec<String> = page
        .select(&select("article h2"))
        .map(|h| h.text().collect())
        .collect();
    assert_eq!(heading, ["ILO China and Mongolia: news and press releases"]);
    let latest: Vec<String> = page
        .select(&select("ul.latest li"))
        .map(|h| h.text().collect())
        .collect();
    assert_eq!(latest.len(), 3);
    assert_eq!(
        latest[0],
        "A bigger role for labour inspectors in combatting forced labour"
    );

    // Every subscribe link answers 200 with the type it announces (on this server).
    let rt = runtime();
    let client = client();
    let links: Vec<(String, String)> = page
        .select(&select("ul.subscribe a"))
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_string(),
                a.value().attr("type").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(links.len(), 3);
    for (href, media_type) in links {
        let path = href.trim_start_matches("http://localhost:8080");
        let response = rt.block_on(client.get(server.url(path)).send()).unwrap();
        assert_eq!(response.status(), 200, "{href}");
        let served = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(served.starts_with(&media_type), "{href}: {served}");
    }

    // A screenshot at phone width, for people to look at.
    let shot = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/index-phone.png");
    let _ = std::fs::remove_file(&shot);
    let out = headless(
        &browser,
        profile.path(),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=390,844",
            &server.url("/"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 5_000,
        "{}",
        png.len()
    );
}

/// Issue 12: more silent and half-sent connections than the cap do not keep a normal request
/// out (the idlest are closed to let it in), and the header timeout closes the silent ones.
#[test]
fn silent_connections_cannot_take_the_server() {
    use std::io::{Read as _, Write as _};
    let site = published();
    let (child, base) = spawn_serve(
        &site.config.path,
        &["--max-connections", "20", "--header-timeout", "3s"],
    );
    let mut child = Reaper(child);
    let addr = base.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for n in 0..30 {
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        if n % 3 == 0 {
            // Half a request: the headers never end.
            stream
                .write_all(b"GET /ilo-china.rss HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
        }
        held.push(stream);
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let response = runtime()
        .block_on(client().get(format!("{base}/ilo-china.rss")).send())
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    // After the header timeout, the server has closed every one of them.
    std::thread::sleep(Duration::from_millis(3500));
    for (n, stream) in held.iter_mut().enumerate() {
        stream
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        // Closed, perhaps after a 408: never left open.
        let mut answered = Vec::new();
        match stream.read_to_end(&mut answered) {
            Ok(_) => assert!(
                answered.is_empty() || answered.starts_with(b"HTTP/1.1 408"),
                "{n}: {}",
                String::from_utf8_lossy(&answered)
            ),
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{n}: {e}"),
        }
    }
    terminate(&mut child.0);
}

/// Issue 12: a kept-alive connection that goes quiet after its answer is closed after the
/// header timeout, as nginx's `keepalive_timeout` does.
#[test]
fn idle_kept_alive_connections_are_closed() {
    use std::io::{Read as _, Write as _};
    let site = published();
    let (child, base) = spawn_serve(&site.config.path, &["--header-timeout", "1s"]);
    let child = Reaper(child);
    let mut stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream
        .write_all(b"GET /ilo-china.rss HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(4)))
        .unwrap();
    let started = std::time::Instant::now();
    let mut answered = Vec::new();
    // Ends (the server closed it) well before the read timeout.
    stream.read_to_end(&mut answered).unwrap();
    assert!(answered.starts_with(b"HTTP/1.1 200 OK"));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    drop(child);
}

/// Issue 12: a client holding half a request does not hold up shutdown beyond the grace.
#[test]
fn shutdown_with_a_half_sent_request_ends_within_the_grace() {
    use std::io::Write as _;
    let site = published();
    let (child, base) = spawn_serve(&site.config.path, &["--shutdown-grace", "1s"]);
    let mut child = Reaper(child);
    let addr = base.trim_start_matches("http://").to_string();
    let mut half = std::net::TcpStream::connect(&addr).unwrap();
    half.write_all(b"GET /ilo-china.atom HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    std::process::Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
}

/// Issue 12: `/healthz` shows error texts to loopback clients only.
#[test]
fn healthz_shows_error_texts_to_loopback_clients_only() {
    let site = published();
    break_the_page(&site);
    let config = Config::load(&site.config.path).unwrap();
    let rt = runtime();
    let body = |url: String| -> serde_json::Value {
        let response = rt.block_on(client().get(url).send()).unwrap();
        serde_json::from_slice(&rt.block_on(response.bytes()).unwrap()).unwrap()
    };
    // Over loopback: the error is shown.
    let server = Running::start(config.clone(), options());
    let seen = body(server.url("/healthz"));
    assert!(
        seen["feeds"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("matches nothing")
    );
    // The router alone knows no client address: it answers as to anyone else.
    let anyone = Background::spawn("127.0.0.1", pressfeed::router(config, options()));
    let public = body(anyone.url("/healthz"));
    assert_eq!(public["feeds"][0]["failing"], true);
    assert!(public["feeds"][0]["last_error"].is_null(), "{public}");
}
