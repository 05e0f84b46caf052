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
