//! `pressfeed suggest`: on the ILO fixture its block reproduces the shipped feed; over a corpus
//! of listing pages of many shapes it recovers the expected items.

use std::path::Path;

use chrono::Utc;
use pressfeed::config;
use pressfeed::extract::extract;
use pressfeed::item::build_items;

use crate::common::{fixture, pressfeed, root};

const ILO_URL: &str = "https://www.ilo.org/beijing/information-resources/public-information/press-releases/lang--en/index.htm";

/// The `[[feed]]` block `suggest` prints (up to its comments).
fn suggested_block(page: &Path, url: &str) -> String {
    let out = pressfeed()
        .current_dir(root())
        .arg("suggest")
        .arg(page)
        .args(["--url", url, "--id", "suggested"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    text.lines()
        .take_while(|l| !l.starts_with("# Other") && !l.starts_with("# Preview"))
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// (title, link, date) of every item `config_text` reads from its source.
fn items_of(config_text: &str) -> Vec<(String, String, Option<String>)> {
    let config = config::parse(config_text, &root().join("suggest.toml")).unwrap();
    let spec = &config.feeds[0];
    let html = match &spec.source {
        config::Source::File(path) => std::fs::read_to_string(path).unwrap(),
        config::Source::Http(url) => panic!("not a file: {url}"),
    };
    let built = build_items(
        extract(&html, &spec.page_url, spec).unwrap(),
        spec,
        Utc::now(),
    );
    built
        .items
        .into_iter()
        .map(|i| (i.title, i.link, i.date.map(|d| d.date_naive().to_string())))
        .collect()
}

#[test]
fn the_suggested_block_reproduces_the_shipped_ilo_feed() {
    let block = suggested_block(&fixture("ilo-china-press-releases.html"), ILO_URL);
    assert!(block.contains("item = \""), "{block}");
    let shipped = std::fs::read_to_string(root().join("config.toml")).unwrap();
    let suggested = items_of(&block);
    assert_eq!(suggested.len(), 20);
    assert_eq!(suggested, items_of(&shipped));
}
