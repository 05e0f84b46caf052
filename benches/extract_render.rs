//! Benchmarks of one feed refresh minus I/O: extract → build items → arrange → render RSS and
//! Atom, on the ILO fixture and on a generated 1,000-item page of the same shape.
//!
//! - `ilo_fixture/extract_render`: the whole pipeline on `fixtures/ilo-china-press-releases.html`
//!   (20 items), with the ILO feed of `config.toml`.
//! - `page_1000/extract_render`: the whole pipeline on the generated page with the shipped feed
//!   config: all 1,000 items dated and ordered, the other fields read for the newest
//!   `max_items` (50), which are rendered.
//! - `page_1000/extract_render_all`: the same with `max_items` raised to 1,000, so every item is
//!   rendered into both documents (about 600 KB each).
//! - `page_1000/extract_only`: every field of every item extracted and built (what `check`
//!   does; no ordering, no rendering).
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
use pressfeed::config::{Config, FeedSpec, OutputSettings};
use pressfeed::extract::{Page, extract};
use pressfeed::item::{Built, build_items};
use pressfeed::pipeline::{arrange, read_items};
use pressfeed::render;
use scraper::Html;

mod pages;

use pages::{NewItem, PageTemplate, read_fixture};

/// Items on the generated page.
const GENERATED_ITEMS: usize = 1000;
/// First WCMS id of the generated items (the fixture's ids are all below 250000).
const FIRST_GENERATED_ID: usize = 500_000;
/// Days between two consecutive generated items (1,000 items span about eight years).
const DAYS_BETWEEN_ITEMS: u64 = 3;

fn load_config() -> Config {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config.toml"));
    pressfeed::config::load(path).expect("config.toml loads")
}

/// A fixed run time, so every iteration does the same work.
fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2014-05-01T00:00:00Z")
        .expect("valid RFC 3339")
        .with_timezone(&Utc)
}

/// Extraction and item building, as `pipeline::scrape` does them.
fn extract_and_build(html: &str, spec: &FeedSpec) -> Built {
    let page = Page::parse(html, &spec.page_url, spec).expect("the page has items");
    read_items(&page, spec, fixed_now())
}

/// Extraction of every field of every item, and item building.
fn extract_all_and_build(html: &str, spec: &FeedSpec) -> Built {
    let extraction = extract(html, &spec.page_url, spec).expect("the page has items");
    build_items(extraction, spec, fixed_now())
}

/// The whole pipeline minus I/O: returns the number of items published and both documents.
fn extract_render(
    html: &str,
    spec: &FeedSpec,
    output: &OutputSettings,
    now: DateTime<Utc>,
) -> (usize, Vec<u8>, Vec<u8>) {
    let built = extract_and_build(html, spec);
    let (meta, items) = arrange(spec, output, built.items, now);
    let rss = render::rss(&spec.id, &meta, &items).expect("RSS renders");
    let atom = render::atom(&spec.id, &meta, &items).expect("Atom renders");
    (items.len(), rss, atom)
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
                .checked_sub_days(Days::new(DAYS_BETWEEN_ITEMS * n as u64))
                .expect("date in range"),
        }
    }))
}

fn bench_ilo_fixture(c: &mut Criterion) {
    let config = load_config();
    let spec = &config.feeds[0];
    let html = read_fixture();
    let now = fixed_now();
    let (published, _, _) = extract_render(&html, spec, &config.output, now);
    assert_eq!(published, 20, "the fixture yields its 20 items");

    let mut group = c.benchmark_group("ilo_fixture");
    group.bench_function("extract_render", |b| {
        b.iter(|| extract_render(black_box(&html), spec, &config.output, now));
    });
    group.finish();
}

fn bench_page_1000(c: &mut Criterion) {
    let config = load_config();
    let mut spec = config.feeds[0].clone();
    spec.max_items = GENERATED_ITEMS;
    let page = generated_page(&read_fixture(), GENERATED_ITEMS);
    let now = fixed_now();

    // Check once, outside the timed loops, that the page is what it claims to be.
    let built = extract_and_build(&page, &spec);
    assert_eq!(built.items.len(), GENERATED_ITEMS, "{:?}", built.warnings);
    assert!(built.warnings.is_empty(), "{:?}", built.warnings);
    assert_eq!(built.counts.date_parsed, GENERATED_ITEMS);
    assert_eq!(built.counts.summary, GENERATED_ITEMS * 4 / 5);
    let (published, rss, atom) = extract_render(&page, &spec, &config.output, now);
    assert_eq!(published, GENERATED_ITEMS);
    let document = Html::parse_document(&page);
    assert_eq!(
        document.select(&spec.selectors.item).count(),
        GENERATED_ITEMS
    );
    drop(document);
    eprintln!(
        "page_1000: page {} bytes, RSS {} bytes, Atom {} bytes",
        page.len(),
        rss.len(),
        atom.len()
    );

    let shipped = &config.feeds[0];
    let (published, rss_50, _) = extract_render(&page, shipped, &config.output, now);
    assert_eq!(published, shipped.max_items);
    // Reading only the newest items publishes what reading them all would.
    let all = extract_all_and_build(&page, shipped);
    let (meta, items) = arrange(shipped, &config.output, all.items, now);
    let rss_50_from_all = render::rss(&shipped.id, &meta, &items).expect("RSS renders");
    assert_eq!(rss_50, rss_50_from_all);

    let mut group = c.benchmark_group("page_1000");
    group.bench_function("extract_render", |b| {
        b.iter(|| extract_render(black_box(&page), shipped, &config.output, now));
    });
    group.bench_function("extract_render_all", |b| {
        b.iter(|| extract_render(black_box(&page), &spec, &config.output, now));
    });
    group.bench_function("extract_only", |b| {
        b.iter(|| extract_all_and_build(black_box(&page), &spec));
    });
    group.bench_function("floor_parse_select", |b| {
        b.iter(|| {
            let document = Html::parse_document(black_box(&page));
            black_box(document.select(&spec.selectors.item).count())
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
