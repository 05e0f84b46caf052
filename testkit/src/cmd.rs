//! The `pressfeed` binary under test: commands with a clean environment, sites in temporary
//! folders, and `serve` on a free port.

use std::path::{Path, PathBuf};

use crate::feeds::parse_rss;
use crate::fixtures::root;

/// The `pressfeed` binary, with no environment settings of the caller's leaking in.
pub fn pressfeed() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("pressfeed").unwrap();
    cmd.env_remove("PRESSFEED_LOG")
        .env_remove("PRESSFEED_CONFIG")
        .env_remove("PRESSFEED_PAUSE_AT")
        .env_remove("PRESSFEED_FAIL_AT")
        // Where defaults go and how wide tables are: the test says, not the caller's shell.
        .env_remove("STATE_DIRECTORY")
        .env_remove("COLUMNS");
    cmd
}

/// `pressfeed --config <config> run`, asserted on.
pub fn run_config(config: &Path) -> assert_cmd::assert::Assert {
    pressfeed().arg("--config").arg(config).arg("run").assert()
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

/// Starts `pressfeed serve` on 127.0.0.1 (a free port) with `args`; returns the child and the
/// address it serves, read from the line it prints first.
pub fn spawn_serve(config: &Path, args: &[&str]) -> (std::process::Child, String) {
    // Not piped: nothing would read it, and a full pipe would stop the server.
    spawn_serve_to(config, args, std::process::Stdio::inherit())
}

/// [`spawn_serve`], its stderr going to `stderr` (a log file, say).
pub fn spawn_serve_to(
    config: &Path,
    args: &[&str],
    stderr: std::process::Stdio,
) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("pressfeed"))
        .arg("--config")
        .arg(config)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env_remove("PRESSFEED_LOG")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
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
