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
    let block = pressfeed::feed_block(
        &best,
        "corpus",
        "Corpus",
        url.as_str(),
        None,
        &pressfeed::PageFacts::default(),
    );
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
    assert_eq!(hits, total, "{report}recovered {hits}/{total}");
}

/// The block `suggest` proposes for `html` (at https://example.org/news/).
fn block_for(html: &str) -> String {
    let url = url::Url::parse("https://example.org/news/").unwrap();
    let best = pressfeed::suggest(html, Utc::now(), 1)
        .into_iter()
        .next()
        .expect("a suggestion");
    pressfeed::feed_block(
        &best,
        "t",
        "T",
        url.as_str(),
        None,
        &pressfeed::PageFacts::default(),
    )
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
    assert!(block.contains("selectors.item = \"a.card\""), "{block}");
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

/// The block `suggest` proposes for `html` at `url` as of `now`, with what the page says of
/// itself, and the items that block reads from the page.
fn proposed(
    html: &str,
    url: &str,
    now: chrono::DateTime<Utc>,
    rank: usize,
) -> Option<(String, pressfeed::PageItems)> {
    let found = pressfeed::suggest(html, now, rank + 1);
    let best = found.get(rank)?;
    let facts = pressfeed::PageFacts::read(html, url::Url::parse(url).ok().as_ref());
    let block = pressfeed::feed_block(best, "kind", "Kind", url, None, &facts);
    let config = Config::parse(&block, Path::new("kind.toml"))
        .unwrap_or_else(|err| panic!("the block does not load: {err}\n{block}"));
    let spec = &config.feeds[0];
    let extraction = extract(html, &spec.page_url, spec)
        .unwrap_or_else(|err| panic!("the block reads nothing: {err}\n{block}"));
    Some((block.clone(), build_items(extraction, spec, now)))
}

/// Each written page of `fixtures/corpus/kinds/` (one per kind of page `suggest` once got
/// wrong): the proposed block reads exactly its items, with the expected titles, links and
/// dates, and says what the page needs (`future_dates`, the language).
#[test]
fn written_kinds_are_read_right() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("corpus/kinds/kinds.json")).unwrap())
            .unwrap();
    let pages = expected.as_object().unwrap();
    assert!(pages.len() >= 9, "one page per kind");
    for (name, want) in pages {
        let html = std::fs::read_to_string(fixture(&format!("corpus/kinds/{name}"))).unwrap();
        let now = want["now"]
            .as_str()
            .unwrap_or("2024-04-01T12:00:00Z")
            .parse::<chrono::DateTime<Utc>>()
            .unwrap();
        let url = want["url"].as_str().unwrap();
        let (block, items) =
            proposed(&html, url, now, 0).unwrap_or_else(|| panic!("{name}: no suggestion"));
        assert_eq!(
            items.items.len() as u64,
            want["count"].as_u64().unwrap(),
            "{name}:\n{block}"
        );
        for item in want["items"].as_array().unwrap() {
            let link = item["link"].as_str().unwrap();
            let got = items
                .items
                .iter()
                .find(|i| i.link == link)
                .unwrap_or_else(|| panic!("{name}: no item links to {link}\n{block}"));
            assert_eq!(
                got.title,
                item["title"].as_str().unwrap(),
                "{name}:\n{block}"
            );
            assert_eq!(
                got.date.map(|d| d.date_naive().to_string()).as_deref(),
                item["date"].as_str(),
                "{name}: {link}\n{block}"
            );
        }
        for line in want["block"].as_array().into_iter().flatten() {
            assert!(block.contains(line.as_str().unwrap()), "{name}:\n{block}");
        }
        if want["block"].is_null() {
            assert!(!block.contains("future_dates"), "{name}:\n{block}");
        }
    }
}

#[test]
fn the_block_names_the_pages_language_and_feeds_and_keeps_added_lines_in_the_feed() {
    let out = pressfeed()
        .current_dir(root())
        .arg("suggest")
        .arg(fixture("corpus/kinds/cut-titles.html"))
        .args(["--url", "https://www.example.org/aktuell/"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("#   https://www.example.org/feed/\n"),
        "{text}"
    );
    assert!(text.contains("language = \"de-DE\"\n"), "{text}");
    assert!(text.contains("# timezone = \"Europe/Berlin\""), "{text}");
    // A setting appended to the block belongs to the feed: the block opens no table.
    let block: String = text
        .lines()
        .take_while(|l| !l.starts_with("# Other") && !l.starts_with("# Preview"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        block
            .lines()
            .all(|l| !l.starts_with('[') || l == "[[feed]]"),
        "{block}"
    );
    let config = Config::parse(
        &format!("{block}max_items = 3\n"),
        &root().join("suggest.toml"),
    )
    .unwrap();
    assert_eq!(config.feeds[0].max_items, 3);
    assert_eq!(config.feeds[0].language.as_deref(), Some("de-DE"));
}

#[test]
fn a_page_built_by_scripts_is_said_to_be() {
    let out = pressfeed()
        .current_dir(root())
        .arg("suggest")
        .arg(fixture("corpus/kinds/app-shell.html"))
        .assert()
        .failure();
    let text = pressfeed_testkit::stderr(&out);
    assert!(text.contains("built by scripts in the browser"), "{text}");
    // Both ways out are named: the rendered page and the JSON it loads.
    assert!(
        text.contains("render = \"browser\"") && text.contains("suggest --browser"),
        "{text}"
    );
    assert!(text.contains("format = \"json\""), "{text}");
}

/// `--json` gives every candidate with its block; `--all` prints them all as blocks.
#[test]
fn suggest_json_and_all_give_every_candidate() {
    let page = fixture("corpus/kinds/pinned-lists.html");
    let out = pressfeed()
        .current_dir(root())
        .arg("suggest")
        .arg(&page)
        .args(["--url", "https://www.example.org/board/", "--json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let candidates = json["candidates"].as_array().unwrap();
    assert!(candidates.len() >= 2, "{json}");
    assert_eq!(candidates[0]["item"], "#posts li.post", "{json}");
    assert_eq!(candidates[0]["items"], 7);
    assert_eq!(json["page"]["language"], "en");
    assert_eq!(json["preview"].as_array().unwrap().len(), 7);
    let all = pressfeed()
        .current_dir(root())
        .arg("suggest")
        .arg(&page)
        .args(["--url", "https://www.example.org/board/", "--all"])
        .assert()
        .success();
    let text = String::from_utf8(all.get_output().stdout.clone()).unwrap();
    assert_eq!(text.matches("[[feed]]").count(), candidates.len(), "{text}");
    for candidate in candidates {
        assert!(
            text.contains(candidate["block"].as_str().unwrap()),
            "{text}"
        );
    }
}

/// No proposed block fails to run on its own page: every candidate over the project's
/// corpora (in the library), and the best three over the real pages of
/// `../shared/corpus/real` (through the binary, as a user pastes them), when that corpus is
/// there.
#[test]
fn every_proposed_block_runs_on_its_own_page() {
    let now = "2024-04-01T12:00:00Z".parse().unwrap();
    let mut pages: Vec<std::path::PathBuf> = Vec::new();
    for folder in ["corpus", "corpus/kinds"] {
        for entry in std::fs::read_dir(fixture(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "html") && !path.ends_with("app-shell.html") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        let mut rank = 0;
        while let Some((block, items)) = proposed(&html, "https://example.org/news/", now, rank) {
            assert!(
                !items.items.is_empty(),
                "{}: candidate {rank} reads no item\n{block}",
                page.display()
            );
            rank += 1;
        }
        assert!(rank > 0, "{}: no suggestion", page.display());
    }
    let real = root().join("../shared/corpus/real");
    let Ok(entries) = std::fs::read_dir(&real) else {
        eprintln!(
            "{} is not here: the real pages are not tried",
            real.display()
        );
        return;
    };
    let mut real_pages: Vec<_> = entries
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    real_pages.sort();
    let dir = tempfile::tempdir().unwrap();
    for page in &real_pages {
        let out = pressfeed()
            .arg("suggest")
            .arg(page)
            .args(["--url", "https://example.org/news/", "--json"])
            .assert()
            .success();
        let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
        for (rank, candidate) in json["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .take(3)
            .enumerate()
        {
            let config = dir.path().join("config.toml");
            std::fs::write(
                &config,
                format!(
                    "[output]\ndir = \"out\"\n\n{}",
                    candidate["block"].as_str().unwrap()
                ),
            )
            .unwrap();
            let check = pressfeed()
                .arg("--config")
                .arg(&config)
                .args(["check", "news"])
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}: candidate {rank} fails: {}\n{}",
                page.display(),
                String::from_utf8_lossy(&check.stderr),
                candidate["block"]
            );
        }
    }
}
