//! Shared helpers: fixture paths, configs pointed at fixtures, feed parsers.

use std::path::{Path, PathBuf};

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file under `fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    root().join("fixtures").join(name)
}

/// The shipped `config.toml`, with its `source` pointed at `page` and its output folder at
/// `out`, written to `dir/config.toml`. Returns the config's path.
pub fn config_for(dir: &Path, page: &Path, out: &Path) -> PathBuf {
    let shipped = std::fs::read_to_string(root().join("config.toml")).unwrap();
    let text = shipped
        .replace(
            "source = \"fixtures/ilo-china-press-releases.html\"",
            &format!("source = {:?}", page.to_str().unwrap()),
        )
        .replace(
            "dir = \"public\"",
            &format!("dir = {:?}", out.to_str().unwrap()),
        );
    assert_ne!(
        text, shipped,
        "the shipped config no longer has the expected lines"
    );
    let path = dir.join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The `pressfeed` binary, with no environment settings of the caller's leaking in.
pub fn pressfeed() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("pressfeed").unwrap();
    cmd.env_remove("PRESSFEED_LOG")
        .env_remove("PRESSFEED_CONFIG")
        .env_remove("PRESSFEED_PAUSE_AT");
    cmd
}

/// What a command wrote to stderr.
pub fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// A feed setup in a temporary folder: the shipped config with the page fetched from `url`,
/// `fetch` added as the `[fetch]` section (host delay 0 unless it says otherwise) and `feed`
/// added to the feed's keys.
pub struct HttpSite {
    /// The temporary folder (removed when dropped).
    pub dir: tempfile::TempDir,
    /// The config file.
    pub config: PathBuf,
    /// The output folder.
    pub out: PathBuf,
}

impl HttpSite {
    /// Sets up a site fetching `url`.
    pub fn new(url: &str, fetch: &str, feed: &str) -> HttpSite {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let config = dir.path().join("config.toml");
        let shipped = std::fs::read_to_string(root().join("config.toml")).unwrap();
        let fetch = if fetch.contains("host_delay") {
            fetch.to_string()
        } else {
            format!("host_delay = 0\n{fetch}")
        };
        let text = shipped
            .replace(
                "source = \"fixtures/ilo-china-press-releases.html\"\n",
                &format!("{feed}\n"),
            )
            .replace(
                "url = \"https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm\"",
                &format!("url = {url:?}"),
            )
            .replace(
                "dir = \"public\"",
                &format!("dir = {:?}", out.to_str().unwrap()),
            )
            .replace("[[feed]]", &format!("[fetch]\n{fetch}\n\n[[feed]]"));
        assert!(text.contains(url) && !text.contains("source ="));
        std::fs::write(&config, text).unwrap();
        HttpSite { dir, config, out }
    }

    /// `pressfeed --config <config> <args>`.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = pressfeed();
        cmd.arg("--config").arg(&self.config).args(args);
        cmd
    }

    /// Runs `pressfeed run`.
    pub fn run(&self) -> assert_cmd::assert::Assert {
        self.cmd(&["run"]).assert()
    }

    /// The feed's two files: bytes and modification time.
    pub fn files(&self) -> [(Vec<u8>, std::time::SystemTime); 2] {
        ["ilo-china.rss", "ilo-china.atom"].map(|name| {
            let path = self.out.join(name);
            (
                std::fs::read(&path).unwrap(),
                std::fs::metadata(&path).unwrap().modified().unwrap(),
            )
        })
    }

    /// The titles of the RSS feed, in order.
    pub fn rss_titles(&self) -> Vec<String> {
        parse_rss(&self.out.join("ilo-china.rss"))
            .items
            .iter()
            .map(|i| i.title.clone().unwrap())
            .collect()
    }

    /// The state file.
    pub fn state(&self) -> PathBuf {
        self.dir.path().join("pressfeed-state.sqlite")
    }
}

/// Parses an RSS file with the rss crate.
pub fn parse_rss(path: &Path) -> rss::Channel {
    let bytes = std::fs::read(path).unwrap();
    rss::Channel::read_from(&bytes[..]).unwrap()
}

/// Parses an Atom file with the atom_syndication crate.
pub fn parse_atom(path: &Path) -> atom_syndication::Feed {
    let bytes = std::fs::read(path).unwrap();
    atom_syndication::Feed::read_from(&bytes[..]).unwrap()
}

/// Starts `pressfeed serve` on 127.0.0.1 (a free port) with `args`; returns the child and the
/// address it serves, read from the line it prints first.
pub fn spawn_serve(config: &Path, args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pressfeed"))
        .arg("--config")
        .arg(config)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("PRESSFEED_LOG")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdout(std::process::Stdio::piped())
        // Not piped: nothing would read it, and a full pipe would stop the server.
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap();
    let address = line
        .trim()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(address.starts_with("http://127.0.0.1:"), "{line}");
    (child, address)
}

/// A page of `count` compact dated items (`ul > li`: a link, then an `i` date a minute older
/// than the one before), newest first.
pub fn compact_page(count: usize) -> String {
    use std::fmt::Write as _;
    let mut page = String::from("<!DOCTYPE html><html><body><ul>\n");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    for i in 0..count {
        let date = start - chrono::Duration::minutes(i64::try_from(i).unwrap());
        let _ = writeln!(
            page,
            "<li><a href=/n/{i}>T{i}</a><i>{}</i>",
            date.format("%Y-%m-%d %H:%M")
        );
    }
    page.push_str("</ul></body></html>\n");
    page
}

/// A config in `dir` for one feed `x` reading the file `page`, with `item` as its item
/// selector, `a` as title and link, `date` (in `date_format`), and more lines of feed keys
/// and of selectors. Returns its path.
pub fn file_config(
    dir: &Path,
    page: &Path,
    item: &str,
    (date, date_format): (&str, &str),
    (feed_keys, selector_keys): (&str, &str),
) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[output]\ndir = \"public\"\n\n[[feed]]\nid = \"x\"\ntitle = \"X\"\nurl = \"https://example.org/news/\"\nsource = {:?}\ndate_formats = [{date_format:?}]\ntimezone = \"UTC\"\n{feed_keys}\n\n[feed.selectors]\nitem = {item:?}\ntitle = \"a\"\nlink = \"a\"\ndate = {date:?}\n{selector_keys}\n",
            page.to_str().unwrap()
        ),
    )
    .unwrap();
    config
}

/// [`file_config`] for a page of [`compact_page`] items.
pub fn compact_config(dir: &Path, page: &Path, item: &str) -> PathBuf {
    file_config(dir, page, item, ("i", "%Y-%m-%d %H:%M"), ("", ""))
}
