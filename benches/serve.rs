//! Throughput of `pressfeed serve` under `wrk` (Debian's package) on loopback: requests per
//! second for a 200 of a 50-item feed and for a 304 (`If-None-Match` with the current ETag).
//!
//! Run it with `cargo bench --bench serve` (needs `wrk` on the PATH). It generates a 50-item
//! page of the ILO shape, publishes it with the release binary, starts
//! `pressfeed serve --bind 127.0.0.1:0`, and runs `wrk -t2 -c64 -d10s` twice. The server and
//! `wrk` share the machine's cores. Results are printed and written to `target/serve_wrk.txt`.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use chrono::{Days, NaiveDate};

use pressfeed_testkit::pages::{NewItem, PageTemplate, read_fixture};

/// Items on the page and in the feed.
const ITEMS: usize = 50;
/// The 304-rate goal of the issue, on the 2-core machine.
const NOT_MODIFIED_GOAL: f64 = 20_000.0;

fn main() {
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("serve bench: wrk is not installed (apt-get install wrk); nothing measured");
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary folder");
    let config = write_site(dir.path());
    let status = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .status()
        .expect("pressfeed runs");
    assert!(status.success(), "pressfeed run failed");
    let (mut server, address) = start_server(&config);
    let url = format!("{address}ilo.atom");
    let etag = etag_of(&url);
    let ok = wrk(&url, &[]);
    let gzip = wrk(&url, &["Accept-Encoding: gzip"]);
    let not_modified = wrk(&url, &[&format!("If-None-Match: {etag}")]);
    let _ = server.kill();
    let _ = server.wait();

    let bytes = std::fs::metadata(dir.path().join("public/ilo.atom"))
        .expect("the feed was written")
        .len();
    let report = format!(
        "serve: wrk -t2 -c64 -d10s on loopback, 2 cores shared by server and wrk\n\
         request                               requests/s\n\
         GET 50-item Atom feed ({bytes} bytes), 200   {ok:>10.0}\n\
         the same, Accept-Encoding: gzip, 200     {gzip:>10.0}\n\
         GET with If-None-Match, 304              {not_modified:>10.0}  goal {NOT_MODIFIED_GOAL:.0}: {}\n",
        if not_modified >= NOT_MODIFIED_GOAL {
            "met"
        } else {
            "NOT met"
        }
    );
    print!("{report}");
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/serve_wrk.txt");
    let _ = std::fs::write(target, report);
}

/// Writes a 50-item page and a config publishing it; returns the config's path.
fn write_site(dir: &Path) -> PathBuf {
    let fixture = read_fixture();
    let template = PageTemplate::new(&fixture);
    let newest = NaiveDate::from_ymd_opt(2024, 6, 1).expect("valid date");
    let page = template.page((0..ITEMS).map(|n| {
        NewItem {
            template: n % template.items.len(),
            id: 700_000 + n,
            label: format!("#{n}"),
            date: newest
                .checked_sub_days(Days::new(n as u64))
                .expect("date in range"),
        }
    }));
    std::fs::write(dir.join("page.html"), page).expect("page written");
    let config = dir.join("config.toml");
    let text = format!(
        "[output]\ndir = \"public\"\nbase_url = \"http://localhost:8080/\"\n\n\
         [[feed]]\nid = \"ilo\"\ntitle = \"ILO\"\n\
         url = \"https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm\"\n\
         source = \"page.html\"\ntimezone = \"Asia/Shanghai\"\ndate_formats = [\"%d %B %Y\"]\nmax_items = {ITEMS}\n\n\
         [feed.selectors]\nitem = \".press-releases ol.item-list > li.item\"\n\
         title = \"h3.item-title a\"\nlink = \"h3.item-title a\"\ndate = \"span.date\"\n\
         summary = \"p.item-summary\"\n"
    );
    std::fs::write(&config, text).expect("config written");
    config
}

/// Starts the server; returns it and its base URL (ending in `/`).
fn start_server(config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(config)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("pressfeed serve starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the server says where it listens");
    let address = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_string();
    (child, address)
}

/// The ETag `url` is served with (a plain HTTP/1.1 request).
fn etag_of(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = std::net::TcpStream::connect(host).expect("the server accepts");
    write!(
        stream,
        "HEAD /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    BufReader::new(stream)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("etag")
                .then(|| value.trim().to_string())
        })
        .expect("the response has an ETag")
}

/// Requests per second `wrk` measures for `url`, sending `headers`.
fn wrk(url: &str, headers: &[&str]) -> f64 {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c64", "-d10s", "--latency"]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().expect("wrk runs");
    let text = String::from_utf8_lossy(&output.stdout);
    eprintln!("{text}");
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .expect("wrk reports Requests/sec")
}
