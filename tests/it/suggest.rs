//! `pressfeed suggest`: on the ILO fixture its block reproduces the shipped feed; over a corpus
//! of listing pages of many shapes it recovers the expected items.

use std::path::Path;

use chrono::Utc;
use pressfeed::{Config, Source, build_items, extract};

use pressfeed_testkit::{fixture, pressfeed, root};

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
    let config = Config::parse(config_text, &root().join("suggest.toml")).unwrap();
    let spec = &config.feeds[0];
    let html = match &spec.source {
        Source::File(path) => std::fs::read_to_string(path).unwrap(),
        Source::Http(url) => panic!("not a file: {url}"),
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

/// How many of a page's expected items the suggested block recovers with the right title, link
/// and date (a date only counts when one is expected).
fn recovered(name: &str, expected: &serde_json::Value) -> (usize, usize, String) {
    let html = std::fs::read_to_string(fixture(&format!("corpus/{name}"))).unwrap();
    let url = url::Url::parse(expected["url"].as_str().unwrap()).unwrap();
    let want = expected["items"].as_array().unwrap();
    let now = Utc::now();
    let Some(best) = pressfeed::suggest(&html, now, 1).into_iter().next() else {
        return (0, want.len(), "no suggestion".into());
    };
    let block = pressfeed::feed_block(&best, "corpus", "Corpus", url.as_str(), None);
    let config = Config::parse(&block, Path::new("corpus.toml")).unwrap();
    let spec = &config.feeds[0];
    let got = match extract(&html, &spec.page_url, spec) {
        Ok(extraction) => build_items(extraction, spec, now).items,
        Err(_) => Vec::new(),
    };
    let hits = want
        .iter()
        .filter(|w| {
            got.iter().any(|item| {
                item.title == w["title"].as_str().unwrap()
                    && item.link == w["link"].as_str().unwrap()
                    && w["date"].as_str().is_none_or(|date| {
                        item.date.map(|d| d.date_naive().to_string()).as_deref() == Some(date)
                    })
            })
        })
        .count();
    (hits, want.len(), best.item)
}

#[test]
fn suggestions_recover_the_corpus_items() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("corpus/expected.json")).unwrap())
            .unwrap();
    let pages = expected.as_object().unwrap();
    assert!(pages.len() >= 10, "the corpus has at least 10 pages");
    let (mut hits, mut total) = (0, 0);
    let mut report = String::new();
    for (name, page) in pages {
        let (page_hits, page_total, item) = recovered(name, page);
        report.push_str(&format!(
            "{name:<28} {page_hits:>3}/{page_total:<3} item = {item}\n"
        ));
        hits += page_hits;
        total += page_total;
    }
    let share = hits as f64 / total as f64;
    eprintln!(
        "{report}suggest recovered {hits}/{total} expected items ({:.1} %)",
        share * 100.0
    );
    assert!(share >= 0.9, "{report}recovered {hits}/{total}");
}

/// The block `suggest` proposes for `html` (at https://example.org/news/).
fn block_for(html: &str) -> String {
    let url = url::Url::parse("https://example.org/news/").unwrap();
    let best = pressfeed::suggest(html, Utc::now(), 1)
        .into_iter()
        .next()
        .expect("a suggestion");
    pressfeed::feed_block(&best, "t", "T", url.as_str(), None)
}

#[test]
fn cards_that_are_links_cjk_titles_and_cut_titles() {
    let card = |n: usize| {
        format!(
            "<a class=\"card\" href=\"/s/{n}\"><h2 class=\"card__title\">Ferry timetable change number {n}</h2>\
             <p class=\"card__text\">The first sailing moves earlier from April onwards for everyone.</p>\
             <time datetime=\"2024-03-0{n}\">{n} March</time></a>"
        )
    };
    let html = format!(
        "<html><body><nav><a href=\"/\">Home</a></nav><main><section class=\"grid\">{}</section></main></body></html>",
        (1..=5).map(card).collect::<String>()
    );
    let block = block_for(&html);
    assert!(
        block.contains("item = \"section.grid > a.card\""),
        "{block}"
    );
    assert!(block.contains("title = \"h2.card__title\""), "{block}");
    assert!(block.contains("link = { attr = \"href\" }"), "{block}");

    let row = |n: usize| {
        format!(
            "<li><a href=\"/zh/{n}.html\">国务院办公厅关于第{n}项通知</a><span class=\"time\">2024年3月{n}日</span></li>"
        )
    };
    let html = format!(
        "<html><body><div class=\"list\"><ul>{}</ul></div></body></html>",
        (1..=6).map(row).collect::<String>()
    );
    let block = block_for(&html);
    assert!(block.contains("date = \"span.time\""), "{block}");

    let cut = |n: usize| {
        format!(
            "<li class=\"noticia\"><h4><a href=\"/n/{n}\" title=\"La pasarela peatonal número {n} abre al público este fin de semana\">La pasarela peatonal número {n} abre...</a></h4><p class=\"fecha\">{n} de marzo de 2024</p></li>"
        )
    };
    let html = format!(
        "<html><body><ul class=\"lista\">{}</ul></body></html>",
        (1..=5).map(cut).collect::<String>()
    );
    let block = block_for(&html);
    assert!(
        block.contains("title = { selector = \"h4 a\", attr = \"title\" }"),
        "{block}"
    );
}
