//! Benchmarks of the parts of one feed refresh, each as the binary runs it (the whole process
//! is measured by `../shared/bench/run.sh`): the page's bytes decoded, parsed and read
//! (`read_page`: every date, the other fields of the newest `max_items`, the checks), the
//! merge with the history worked out (`Store::plan`, which writes nothing, so every iteration
//! does the same work on an empty state file), and each format the feed writes rendered as it
//! streams to its file (`render_to`, here into a writer that only counts). What is left out:
//! fetching, the files' disk writes, the commit.
//!
//! - `ilo_fixture/extract_render`: `fixtures/ilo-china-press-releases.html` (20 items) with the
//!   ILO feed of `config.toml` (RSS, Atom and JSON Feed).
//! - `page_1000/extract_render`: the generated 1,000-item page with the shipped feed config:
//!   all 1,000 items dated, the other fields read for the newest `max_items` (50), which are
//!   published.
//! - `page_1000/extract_render_all`: the same with `max_items` raised to 1,000, so every item is
//!   read, merged and rendered.
//! - `page_1000/extract_only`: every field of every item extracted and built (what `check`
//!   does; no history, no rendering).
//! - `page_1000/floor_parse_select`: the floor any scraper pays, `scraper` parsing the page and
//!   running the item selector.
//!
//! The generated page is the fixture with the content of `div.press-releases` replaced by 1,000
//! copies of its 20 `li.item` blocks (year headings and one `ol.item-list` per year, unique WCMS
//! ids, distinct decreasing dates, images on half and summaries on 80% of the items). Pages are
//! read and built once, outside the timed loops.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use pressfeed::{
    Body, Config, FeedMeta, FeedSpec, Format, OutputSettings, PageItems, PageRead, Store,
    Validators, build_items, extract, read_page, render, render_to,
};
use pressfeed_testkit::arrange;
use pressfeed_testkit::pages::{NewItem, PageTemplate, read_fixture};
use scraper::Html;

/// Items on the generated page.
const GENERATED_ITEMS: usize = 1000;
/// First WCMS id of the generated items (the fixture's ids are all below 250000).
const FIRST_GENERATED_ID: usize = 500_000;
/// Days between two consecutive generated items (1,000 items span about eight years).
const DAYS_BETWEEN_ITEMS: u64 = 3;

fn load_config() -> Config {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"));
    Config::load(path).expect("config.toml loads")
}

/// A fixed run time, so every iteration does the same work.
fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2014-05-01T00:00:00Z")
        .expect("valid RFC 3339")
        .with_timezone(&Utc)
}

/// `html` as the fetcher hands a page over.
fn body(html: &str, spec: &FeedSpec) -> Body {
    Body {
        url: spec.page_url.clone(),
        bytes: html.as_bytes().to_vec(),
        http_charset: None,
        validators: Validators::default(),
        served_at: None,
    }
}

/// A state file of its own, in a folder that lives as long as the benchmark.
fn empty_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = Store::open(&dir.path().join("state.sqlite")).expect("the state file opens");
    (dir, store)
}

/// One refresh minus the network and the disk: returns the items published and the size of
/// each format's file.
fn extract_render(
    html: &str,
    spec: &FeedSpec,
    output: &OutputSettings,
    store: &mut Store,
    now: DateTime<Utc>,
) -> (usize, Vec<u64>) {
    let read = read_page(spec, body(html, spec), None, now).expect("the page reads");
    let fingerprint = spec.fingerprint();
    let page = PageRead {
        items: &read.items.items,
        validators: &read.validators,
        fingerprint: &fingerprint,
        page_digest: "",
        keep_summaries: false,
        future_dates: false,
        filter: None,
    };
    let plan = store
        .plan(&spec.id, Some(&page), spec.window(), false, now)
        .expect("the history merges");
    let items = plan.items();
    let meta = FeedMeta::of(spec, output, items, now);
    let sizes = spec
        .formats
        .iter()
        .map(|&format| {
            let counted = render_to(format, &meta, items, Counted(0)).expect("the feed renders");
            counted.0
        })
        .collect();
    (items.len(), sizes)
}

/// A writer that counts what it is given and keeps nothing.
struct Counted(u64);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Extraction of every field of every item, and item building.
fn extract_all_and_build(html: &str, spec: &FeedSpec) -> PageItems {
    let extraction = extract(html, &spec.page_url, spec).expect("the page has items");
    build_items(extraction, spec, fixed_now())
}

/// The fixture page with its listing replaced by `count` items of the same markup.
fn generated_page(fixture: &str, count: usize) -> String {
    let template = PageTemplate::new(fixture);
    let first_date = NaiveDate::from_ymd_opt(2014, 4, 25).expect("valid date");
    template.page((0..count).map(|n| {
        NewItem {
            template: n % template.items.len(),
            id: FIRST_GENERATED_ID + n,
            label: format!("#{n}"),
            date: first_date
                .checked_sub_days(Days::new(
                    DAYS_BETWEEN_ITEMS * u64::try_from(n).expect("small"),
                ))
                .expect("date in range"),
        }
    }))
}

fn bench_ilo_fixture(c: &mut Criterion) {
    let config = load_config();
    let spec = &config.feeds[0];
    let html = read_fixture();
    let now = fixed_now();
    let (_dir, mut store) = empty_store();
    let (published, files) = extract_render(&html, spec, &config.output, &mut store, now);
    assert_eq!(published, 20, "the fixture yields its 20 items");
    assert_eq!(files.len(), 3, "RSS, Atom and JSON Feed");

    let mut group = c.benchmark_group("ilo_fixture");
    group.bench_function("extract_render", |b| {
        b.iter(|| extract_render(black_box(&html), spec, &config.output, &mut store, now));
    });
    group.finish();
}

fn bench_page_1000(c: &mut Criterion) {
    let config = load_config();
    let mut spec = config.feeds[0].clone();
    spec.max_items = GENERATED_ITEMS;
    let page = generated_page(&read_fixture(), GENERATED_ITEMS);
    let now = fixed_now();

    let (_dir, mut store) = empty_store();

    // Check once, outside the timed loops, that the page is what it claims to be.
    let built = read_page(&spec, body(&page, &spec), None, now)
        .expect("the page reads")
        .items;
    assert_eq!(built.items.len(), GENERATED_ITEMS, "{:?}", built.warnings);
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    assert_eq!(built.counts.date_parsed, GENERATED_ITEMS);
    assert_eq!(built.counts.summary, GENERATED_ITEMS * 4 / 5);
    let (published, sizes) = extract_render(&page, &spec, &config.output, &mut store, now);
    assert_eq!(published, GENERATED_ITEMS);
    let (rss, atom) = (sizes[0], sizes[1]);
    let document = Html::parse_document(&page);
    assert_eq!(
        document
            .select(
                spec.selectors
                    .item
                    .css()
                    .expect("the shipped feed reads HTML")
            )
            .count(),
        GENERATED_ITEMS
    );
    drop(document);
    eprintln!(
        "page_1000: page {} bytes, RSS {} bytes, Atom {} bytes",
        page.len(),
        rss,
        atom
    );

    let shipped = &config.feeds[0];
    let (published, sizes_50) = extract_render(&page, shipped, &config.output, &mut store, now);
    assert_eq!(published, shipped.max_items);
    // Reading only the newest items publishes what reading them all would.
    let all = extract_all_and_build(&page, shipped);
    let (meta, items) = arrange(shipped, &config.output, all.items, now);
    let rss_50_from_all = render(Format::Rss, &meta, &items).expect("RSS renders");
    assert_eq!(sizes_50[0], rss_50_from_all.len() as u64);

    let mut group = c.benchmark_group("page_1000");
    group.bench_function("extract_render", |b| {
        b.iter(|| extract_render(black_box(&page), shipped, &config.output, &mut store, now));
    });
    group.bench_function("extract_render_all", |b| {
        b.iter(|| extract_render(black_box(&page), &spec, &config.output, &mut store, now));
    });
    group.bench_function("extract_only", |b| {
        b.iter(|| extract_all_and_build(black_box(&page), &spec));
    });
    group.bench_function("floor_parse_select", |b| {
        b.iter(|| {
            let document = Html::parse_document(black_box(&page));
            black_box(
                document
                    .select(
                        spec.selectors
                            .item
                            .css()
                            .expect("the shipped feed reads HTML"),
                    )
                    .count(),
            )
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = bench_ilo_fixture, bench_page_1000
}
criterion_main!(benches);
