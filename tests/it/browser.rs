//! Rendered pages (issue 17, `render = "browser"`): a single-page app whose list its script
//! builds from `/api/items` on the same loopback server, read in the system's headless
//! Chromium. The requests the page makes pass the egress policy; a tab that never settles
//! fails its feed only; no Chromium outlives a run, even one killed with its process group.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pressfeed_testkit::server::{Reply, TestServer};
use pressfeed_testkit::{parse_rss, pressfeed, stderr};

/// Whether Chromium is on this machine; without it (and outside CI) the test is skipped.
fn have_chromium() -> bool {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .any(|p| Path::new(p).exists());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have chromium (see .ci/run)"
        );
        eprintln!("skipped: no chromium on this machine (`.ci/run` installs it)");
    }
    found
}

const ITEMS: &str = r#"[
  {"title": "Rendered first", "url": "/news/1", "date": "2026-11-02T09:00:00Z"},
  {"title": "Rendered second", "url": "/news/2", "date": "2026-10-21T15:30:00Z"},
  {"title": "Rendered third", "url": "/news/3", "date": "2026-09-30T08:15:00Z"}
]"#;

/// The app shell: an image (never loaded), then a script that fetches `/api/items` and builds
/// `ul.news > li > a + time`; `extra` is more script.
fn shell(extra: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Rendered news</title></head>
<body><img src="/logo.png" alt=""><div id="app">Loading…</div>
<script>
fetch('/api/items').then(r => r.json()).then(items => {{
  const ul = document.createElement('ul');
  ul.className = 'news';
  for (const it of items) {{
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = it.url;
    a.textContent = it.title;
    const t = document.createElement('time');
    t.setAttribute('datetime', it.date);
    t.textContent = it.date.slice(0, 10);
    li.append(a, ' ', t);
    ul.append(li);
  }}
  document.getElementById('app').replaceChildren(ul);
}});
{extra}
</script></body></html>"#
    )
}

/// A server with the app at `/app` and its JSON at `/api/items`.
fn spa(extra: &str) -> TestServer {
    let server = TestServer::start();
    server.route("/app", vec![Reply::html(shell(extra))]);
    server.route(
        "/api/items",
        vec![Reply::html(ITEMS).content_type("application/json")],
    );
    server
}

/// One `[[feed]]` of the app's items at `url`, rendered; `keys` are more feed keys.
fn feed(id: &str, url: &str, keys: &str) -> String {
    format!(
        r#"
[[feed]]
id = "{id}"
title = "Rendered {id}"
url = "{url}"
render = "browser"
{keys}
[feed.selectors]
item = "ul.news > li"
title = "a"
link = "a"
date = {{ selector = "time", attr = "datetime" }}
"#
    )
}

/// A folder with `config.toml` holding `feeds`, and a `tmp/` where Chromium's profile goes.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(feeds: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        let text = format!(
            "[output]\ndir = \"public\"\nformats = [\"rss\"]\n\n[fetch]\nhost_delay = 0\n{feeds}"
        );
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
        Site { dir }
    }

    fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = pressfeed();
        cmd.env("TMPDIR", self.tmp())
            .env("PRESSFEED_LOG", "pressfeed=debug")
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("run");
        cmd
    }

    fn rss(&self, id: &str) -> rss::Channel {
        parse_rss(&self.dir.path().join(format!("public/{id}.rss")))
    }
}

/// The processes whose command line names `needle` (Chromium's profile is under it).
fn processes_naming(needle: &Path) -> Vec<String> {
    let needle = needle.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let line = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if line.contains(&needle) && line.contains("chrom") {
            found.push(format!("{}: {line}", entry.file_name().to_string_lossy()));
        }
    }
    found
}

/// Waits up to `limit` for no Chromium of `tmp` to be left; returns those still there.
fn survivors(tmp: &Path, limit: Duration) -> Vec<String> {
    let start = Instant::now();
    loop {
        let left = processes_naming(tmp);
        if left.is_empty() || start.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_single_page_app_is_read_as_the_browser_renders_it() {
    if !have_chromium() {
        return;
    }
    let server = spa("");
    let site = Site::new(&feed("spa", &server.url("/app"), "timeout = 20"));
    let run = site.cmd().assert();
    let err = stderr(&run);
    run.success();
    let channel = site.rss("spa");
    let titles: Vec<&str> = channel.items.iter().filter_map(|i| i.title()).collect();
    assert_eq!(
        titles,
        ["Rendered first", "Rendered second", "Rendered third"],
        "{err}"
    );
    let links: Vec<&str> = channel.items.iter().filter_map(|i| i.link()).collect();
    assert_eq!(
        links,
        ["/news/1", "/news/2", "/news/3"].map(|p| server.url(p)),
        "links resolved against the page"
    );
    let dates: Vec<&str> = channel.items.iter().filter_map(|i| i.pub_date()).collect();
    assert_eq!(
        dates,
        [
            "Mon, 2 Nov 2026 09:00:00 +0000",
            "Wed, 21 Oct 2026 15:30:00 +0000",
            "Wed, 30 Sep 2026 08:15:00 +0000"
        ]
    );
    assert_eq!(server.count("/app"), 1);
    assert_eq!(server.count("/api/items"), 1);
    assert_eq!(server.count("/logo.png"), 0, "images are not loaded");
    let left = survivors(&site.tmp(), Duration::from_secs(5));
    assert!(left.is_empty(), "Chromium outlived the run: {left:?}");
    assert_eq!(
        std::fs::read_dir(site.tmp()).unwrap().count(),
        0,
        "the temporary profile is removed"
    );
}

#[test]
fn a_page_cannot_lead_chromium_to_an_internal_address() {
    if !have_chromium() {
        return;
    }
    let internal = TestServer::start_on("127.0.0.2");
    internal.route("/secret", vec![Reply::html("TOKEN-4f1c")]);
    let secret = internal.url("/secret");
    let server = spa(&format!(
        "fetch('{secret}').catch(() => {{}}); fetch('http://localhost:{}/secret').catch(() => {{}});",
        internal
            .url("/")
            .rsplit(':')
            .next()
            .unwrap()
            .trim_end_matches('/')
    ));
    let site = Site::new(&feed(
        "spa",
        &server.url("/app"),
        "timeout = 20\nwait_for = \"ul.news li\"",
    ));
    let run = site.cmd().assert();
    let err = stderr(&run);
    run.success();
    assert_eq!(internal.count("/secret"), 0, "{err}");
    assert_eq!(
        server.count("/secret"),
        0,
        "localhost is not the listing's host"
    );
    assert!(
        err.contains("127.0.0.2") && err.contains("loopback"),
        "the refusal is logged: {err}"
    );
    assert_eq!(site.rss("spa").items.len(), 3);
    let left = survivors(&site.tmp(), Duration::from_secs(5));
    assert!(left.is_empty(), "Chromium outlived the run: {left:?}");
}

#[test]
fn a_tab_that_never_settles_fails_its_feed_only() {
    if !have_chromium() {
        return;
    }
    let busy = spa("setInterval(() => fetch('/busy?' + Date.now()), 100);");
    busy.route("/busy", vec![Reply::html("{}")]);
    let good = spa("");
    let site = Site::new(&format!(
        "{}{}",
        feed("busy", &busy.url("/app"), "timeout = 3"),
        feed("good", &good.url("/app"), "timeout = 20")
    ));
    let started = Instant::now();
    let run = site.cmd().assert();
    let took = started.elapsed();
    let err = stderr(&run);
    run.code(1);
    assert!(
        err.contains("feed \"busy\"") && err.contains("was not ready in Chromium within 3 s"),
        "{err}"
    );
    assert!(!err.contains("error: feed \"good\""), "{err}");
    assert_eq!(site.rss("good").items.len(), 3);
    assert!(
        !site.dir.path().join("public/busy.rss").exists(),
        "the failed feed publishes nothing"
    );
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let left = survivors(&site.tmp(), Duration::from_secs(5));
    assert!(left.is_empty(), "Chromium outlived the run: {left:?}");
}

#[test]
fn a_run_killed_with_its_process_group_leaves_no_chromium() {
    use std::os::unix::process::CommandExt as _;
    if !have_chromium() {
        return;
    }
    let busy = spa("setInterval(() => fetch('/busy?' + Date.now()), 100);");
    busy.route("/busy", vec![Reply::html("{}")]);
    let site = Site::new(&feed("busy", &busy.url("/app"), "timeout = 60"));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pressfeed"))
        .env("TMPDIR", site.tmp())
        .arg("--config")
        .arg(site.dir.path().join("config.toml"))
        .arg("run")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while processes_naming(&site.tmp()).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Chromium never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Let it open the tab and start loading.
    std::thread::sleep(Duration::from_millis(500));
    let group = format!("-{}", child.id());
    let killed = std::process::Command::new("kill")
        .args(["-9", "--", &group])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();
    let left = survivors(&site.tmp(), Duration::from_secs(5));
    assert!(
        left.is_empty(),
        "Chromium outlived its killed run: {left:?}"
    );
}

/// `pressfeed suggest --browser URL` with `args`, its `TMPDIR` in `tmp`: stdout, stderr.
fn suggest_browser(url: &str, args: &[&str], tmp: &Path) -> (String, String) {
    let out = pressfeed()
        .env("TMPDIR", tmp)
        .env("PRESSFEED_LOG", "pressfeed=info")
        .args(["suggest", "--browser", url])
        .args(args)
        .assert();
    let err = stderr(&out);
    let text = String::from_utf8_lossy(&out.success().get_output().stdout).into_owned();
    (text, err)
}

#[test]
fn suggest_browser_proposes_the_json_the_page_loads_and_the_block_runs() {
    if !have_chromium() {
        return;
    }
    let server = spa("");
    let tmp = tempfile::tempdir().unwrap();
    let (text, err) = suggest_browser(&server.url("/app"), &["--id", "spa", "--all"], tmp.path());
    // The first block reads the JSON the page's script fetched; the rendered page's follows.
    let (first, rest) = text.split_once("# Candidate 2:").expect(&text);
    let url_line = format!("url = \"{}\"\n", server.url("/api/items"));
    assert!(first.contains(&url_line), "{text}\n{err}");
    for line in [
        "format = \"json\"\n",
        "selectors.item = \"$[*]\"\n",
        "selectors.title = \"$.title\"\n",
        "selectors.link = \"$.url\"\n",
        "selectors.date = \"$.date\"\n",
    ] {
        assert!(first.contains(line), "{line} in {first}");
    }
    assert!(!first.contains("render = "), "{first}");
    assert!(rest.contains("render = \"browser\"\n"), "{rest}");
    assert!(
        rest.contains("url = \"") && rest.contains("/app\"\n"),
        "{rest}"
    );
    // Chromium's request, then the plain one a run makes.
    assert_eq!(server.count("/api/items"), 2);
    assert!(survivors(tmp.path(), Duration::from_secs(5)).is_empty());
    // The block as proposed runs, without a browser, to the app's items.
    let block = first.replace("[[feed]]", "\n[[feed]]");
    let site = Site::new(&block);
    let run = site.cmd().env("PATH", "/nonexistent").assert();
    let err = stderr(&run);
    run.success();
    let titles: Vec<String> = site
        .rss("spa")
        .items
        .iter()
        .map(|i| i.title().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        titles,
        ["Rendered first", "Rendered second", "Rendered third"],
        "{err}"
    );
    // Without `--all`, the preview reads the JSON and the rendered block is pointed at.
    let (text, _) = suggest_browser(&server.url("/app"), &[], tmp.path());
    assert!(text.contains("# Preview\n"), "{text}");
    assert!(text.contains("Rendered first"), "{text}");
    assert!(text.contains("`--all` prints its block"), "{text}");
}

#[test]
fn suggest_browser_proposes_a_rendered_block_when_the_json_needs_the_page() {
    if !have_chromium() {
        return;
    }
    // Chromium's request is answered; a plain one is refused (a cookie the page set, say).
    let server = spa("");
    server.route(
        "/api/items",
        vec![
            Reply::html(ITEMS).content_type("application/json"),
            Reply::Status(403, vec![]),
        ],
    );
    let tmp = tempfile::tempdir().unwrap();
    let (text, err) = suggest_browser(&server.url("/app"), &[], tmp.path());
    assert!(text.contains("render = \"browser\"\n"), "{text}\n{err}");
    assert!(!text.contains("format = \"json\""), "{text}");
    assert!(
        text.contains("Rendered first"),
        "the preview reads the rendered list: {text}"
    );
    assert!(
        err.contains("/api/items") && err.contains("a plain request for it failed"),
        "{err}"
    );
    let left = survivors(tmp.path(), Duration::from_secs(5));
    assert!(left.is_empty(), "Chromium outlived suggest: {left:?}");
}

#[test]
fn without_chromium_the_rendered_feed_fails_naming_the_package() {
    // Needs no Chromium: the binary is told to look where there is none.
    let server = spa("");
    let site = Site::new(&feed("spa", &server.url("/app"), ""));
    let empty = tempfile::tempdir().unwrap();
    let run = site
        .cmd()
        .env("PATH", empty.path())
        .env_remove("PRESSFEED_CHROMIUM")
        .assert();
    let err = stderr(&run);
    run.code(1);
    assert!(
        err.contains("feed \"spa\"")
            && err.contains("apt-get install chromium")
            && err.contains("PRESSFEED_CHROMIUM"),
        "{err}"
    );
    assert_eq!(server.count("/app"), 0);
    let run = site
        .cmd()
        .env("PRESSFEED_CHROMIUM", empty.path().join("chromium"))
        .assert();
    let err = stderr(&run);
    run.code(1);
    assert!(err.contains("apt-get install chromium"), "{err}");
}

#[test]
fn a_rendered_page_that_answers_404_fails_as_a_fetched_one() {
    if !have_chromium() {
        return;
    }
    let server = TestServer::start();
    server.route("/gone", vec![Reply::Status(404, vec![])]);
    let site = Site::new(&feed("gone", &server.url("/gone"), "timeout = 20"));
    let run = site.cmd().assert();
    let err = stderr(&run);
    run.code(1);
    assert!(
        err.contains("feed \"gone\"") && err.contains("answered HTTP 404"),
        "{err}"
    );
}

#[test]
fn the_app_gives_the_same_feed_rendered_and_from_its_json() {
    if !have_chromium() {
        return;
    }
    let server = spa("");
    let json = format!(
        r#"
[[feed]]
id = "api"
title = "Rendered api"
url = "{}"
format = "json"

[feed.selectors]
item = "$[*]"
title = "$.title"
link = "$.url"
date = "$.date"
"#,
        server.url("/api/items")
    );
    let site = Site::new(&format!(
        "{}{json}",
        feed("spa", &server.url("/app"), "wait_for = \"ul.news li\"")
    ));
    let run = site.cmd().assert();
    let err = stderr(&run);
    run.success();
    let items = |id: &str| -> Vec<(String, String, String)> {
        site.rss(id)
            .items
            .iter()
            .map(|i| {
                (
                    i.title().unwrap_or_default().to_string(),
                    i.link().unwrap_or_default().to_string(),
                    i.pub_date().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let rendered = items("spa");
    assert_eq!(rendered.len(), 3, "{err}");
    assert_eq!(rendered, items("api"), "{err}");
    assert_eq!(rendered[0].0, "Rendered first");
    assert!(survivors(&site.tmp(), Duration::from_secs(5)).is_empty());
}

#[test]
fn a_rendered_page_sends_the_feed_headers_to_its_own_origin_only() {
    if !have_chromium() {
        return;
    }
    // Another port: another origin, which the page's script also reads.
    let other = TestServer::start();
    other.route(
        "/elsewhere",
        vec![Reply::html("{}").content_type("application/json")],
    );
    let server = spa(&format!(
        "fetch('{}').catch(() => {{}});",
        other.url("/elsewhere")
    ));
    let keys = "[feed.request]\n\
                headers = { \"Accept-Language\" = \"zh-CN,zh;q=0.9\", \"X-Token\" = \"tok-51a9\" }\n\
                cookies = { consent = \"yes-7c2e\" }\n";
    let site = Site::new(&feed("hdr", &server.url("/app"), keys));
    let run = site
        .cmd()
        .env("PRESSFEED_LOG", "pressfeed=trace")
        .assert()
        .success();
    assert_eq!(site.rss("hdr").items.len(), 3);
    let header = |request: &pressfeed_testkit::server::Logged, name: &str| {
        request.headers.get(name).cloned().unwrap_or_default()
    };
    // The document and the script's own request, on the listing's origin, carry them.
    for path in ["/app", "/api/items"] {
        let requests = server.requests(path);
        assert_eq!(requests.len(), 1, "{path}");
        let request = &requests[0];
        assert_eq!(
            header(request, "accept-language"),
            "zh-CN,zh;q=0.9",
            "{path}"
        );
        assert_eq!(header(request, "x-token"), "tok-51a9", "{path}");
        assert_eq!(header(request, "cookie"), "consent=yes-7c2e", "{path}");
    }
    // The request to the other origin goes as Chromium makes it.
    let elsewhere = other.requests("/elsewhere");
    assert_eq!(elsewhere.len(), 1);
    assert_ne!(header(&elsewhere[0], "accept-language"), "zh-CN,zh;q=0.9");
    assert!(!elsewhere[0].headers.contains_key("x-token"));
    assert!(!elsewhere[0].headers.contains_key("cookie"));
    let log = stderr(&run);
    for value in ["zh-CN,zh", "tok-51a9", "yes-7c2e"] {
        assert!(!log.contains(value), "{value} in the log:\n{log}");
    }
}
