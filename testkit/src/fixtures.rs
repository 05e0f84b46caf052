//! pressfeed's fixtures and configs pointed at them.

use std::path::{Path, PathBuf};

/// The project's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit/ sits in the project")
        .to_path_buf()
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
