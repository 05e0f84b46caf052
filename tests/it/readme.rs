//! The configuration examples in README.md and docs/*.md are valid configurations.

use std::path::Path;

use pressfeed_testkit::root;

/// The documentation files: README.md, then every docs/*.md, by name.
fn documents() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_owned()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".md"))
        .map(|name| format!("docs/{name}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(root().join(&name)).unwrap();
            (name, text)
        })
        .collect()
}

/// The ```toml blocks of a Markdown text, their lines unindented (blocks inside list items).
fn toml_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
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
    assert!(current.is_none(), "a ```toml block is not closed");
    blocks
}

#[test]
fn readme_config_examples_load() {
    // (file name, block) for every ```toml block of every document.
    let blocks: Vec<(String, String)> = documents()
        .into_iter()
        .flat_map(|(name, text)| {
            toml_blocks(&text)
                .into_iter()
                .map(move |block| (name.clone(), block))
        })
        .collect();

    let full: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(_, block)| block.contains("[[feed]]"))
        .collect();
    assert!(
        full.len() >= 2,
        "at least the reference and the new-site example, found {}",
        full.len()
    );
    for (name, block) in full {
        // Rendered-page examples load only in a build with the `browser` feature.
        if block.contains("render = \"browser\"") && !cfg!(feature = "browser") {
            continue;
        }
        let config = pressfeed::Config::parse(block, Path::new(name))
            .unwrap_or_else(|err| panic!("{name}: {err}\n{block}"));
        assert_eq!(config.feeds.len(), 1, "{name}:\n{block}");
    }

    // The `[fetch]` and `[output]` snippets are valid tables of a whole config.
    let tables: Vec<&(String, String)> = blocks
        .iter()
        .filter(|(_, block)| !block.contains("[[feed]]"))
        .filter(|(_, block)| block.starts_with("[fetch]") || block.starts_with("[output]"))
        .collect();
    assert!(
        tables
            .iter()
            .any(|(_, block)| block.contains("allow_internal")),
        "the Security section's allow_internal example"
    );
    for (name, block) in tables {
        let text = format!(
            "{block}\n[[feed]]\nid = \"x\"\ntitle = \"x\"\nurl = \"https://example.org/\"\n[feed.selectors]\nitem = \"li\"\ntitle = \"a\"\nlink = \"a\"\n"
        );
        pressfeed::Config::parse(&text, Path::new(name))
            .unwrap_or_else(|err| panic!("{name}: {err}\n{block}"));
    }

    // The attribute examples are valid selector tables.
    let (name, snippet) = blocks
        .iter()
        .find(|(_, block)| block.contains("attr = \"title\""))
        .expect("the attribute snippet");
    let text = format!(
        "[[feed]]\nid = \"x\"\ntitle = \"x\"\nurl = \"https://example.org/\"\n[feed.selectors]\nitem = \"li\"\n{snippet}"
    );
    let config = pressfeed::Config::parse(&text, Path::new(name))
        .unwrap_or_else(|err| panic!("{name}: {err}\n{snippet}"));
    let selectors = &config.feeds[0].selectors;
    assert_eq!(selectors.title.attr.as_deref(), Some("title"));
    assert!(selectors.link.selector.is_none());
    assert_eq!(
        selectors.date.as_ref().unwrap().attr.as_deref(),
        Some("content")
    );
}
