//! The README's configuration examples are valid configurations.

use std::path::Path;

use crate::common::root;

#[test]
fn readme_config_examples_load() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed) {
            (None, "```toml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(trimmed);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    let full: Vec<&String> = blocks.iter().filter(|b| b.contains("[[feed]]")).collect();
    assert_eq!(full.len(), 2, "the reference and the new-site example");
    for block in full {
        let config = pressfeed::config::parse(block, Path::new("README.md"))
            .unwrap_or_else(|err| panic!("{err}\n{block}"));
        assert_eq!(config.feeds.len(), 1);
    }
    // The attribute examples are valid selector tables.
    let snippet = blocks
        .iter()
        .find(|b| b.contains("attr = \"title\""))
        .unwrap();
    let text = format!(
        "[[feed]]\nid = \"x\"\ntitle = \"x\"\nurl = \"https://example.org/\"\n[feed.selectors]\nitem = \"li\"\n{snippet}"
    );
    let config = pressfeed::config::parse(&text, Path::new("README.md")).unwrap();
    let selectors = &config.feeds[0].selectors;
    assert_eq!(selectors.title.attr.as_deref(), Some("title"));
    assert!(selectors.link.selector.is_none());
    assert_eq!(
        selectors.date.as_ref().unwrap().attr.as_deref(),
        Some("content")
    );
}
