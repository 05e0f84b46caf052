//! `pressfeed check ID`: what a feed's selectors find on its page, as a table; writes nothing.

use std::fmt::Write as _;

use chrono::Utc;
use pressfeed::{Config, FeedError, FeedSpec, PageItems, Preview, Tried, chain};

use super::exit::{self, Outcome};
use super::shorten;
use super::table::{self, Column};

/// Shows the items feed `id` of `config` reads, and why a run would fail, if it would.
pub(crate) fn check(config: &Config, id: &str) -> anyhow::Result<Outcome> {
    let Some(spec) = super::find_feed(config, id) else {
        return Ok(Outcome::Usage);
    };
    let read = super::runtime()?.block_on(pressfeed::preview(spec, &config.run, Utc::now()));
    let Preview {
        items,
        problem,
        ambiguous,
        older,
        more_listings,
        detail,
    } = match read {
        Ok(preview) => preview,
        Err(err) => return Ok(exit::failed(&err, Outcome::FeedFailed)),
    };
    let mut out = report(spec, &items, problem.as_ref(), table::terminal_width());
    if !ambiguous.is_empty() {
        out.push_str(
            "\nselectors that match more than one element in an item (the first is read):\n",
        );
        for (field, count) in &ambiguous {
            let _ = writeln!(
                out,
                "  {field}: in {count} of {} items; a narrower selector may be meant",
                items.counts.matched
            );
        }
    }
    if let Some(older) = &older {
        let _ = match &older.outcome {
            Ok(count) => writeln!(
                out,
                "\nolder pages: the next is {}: the item selector matches {count} there",
                older.url
            ),
            Err(err) => writeln!(
                out,
                "\nolder pages: the next is {}: {}",
                older.url,
                chain(err)
            ),
        };
    }
    let listing_failed = more_listings.iter().any(|page| page.outcome.is_err());
    if !more_listings.is_empty() {
        listings_report(&mut out, spec, &items, &more_listings);
    }
    if let Some(detail) = &detail {
        let _ = writeln!(out, "\nitem pages: the first item's is {}", detail.url);
        match &detail.outcome {
            Ok(found) => {
                for (field, value) in found {
                    let value = value
                        .as_deref()
                        .map_or("nothing found".to_string(), |v| shorten(v, 100));
                    let _ = writeln!(out, "  detail.{field}: {value}");
                }
            }
            Err(err) => {
                let _ = writeln!(out, "  {}", chain(err));
            }
        }
    }
    super::print(&out)?;
    Ok(if problem.is_some() || listing_failed {
        Outcome::FeedFailed
    } else {
        Outcome::Success
    })
}

/// The listing pages of a feed whose `url` lists several: how many items each gives (the
/// table shows the first's), or why a run would fail on it.
fn listings_report(out: &mut String, spec: &FeedSpec, first: &PageItems, more: &[Tried<usize>]) {
    let _ = writeln!(
        out,
        "\nlisting pages: {} (their items are merged, each once)",
        more.len() + 1
    );
    let _ = writeln!(
        out,
        "  1. {}: {} items (the table above)",
        spec.page_url,
        first.items.len()
    );
    for (number, page) in (2..).zip(more) {
        let _ = match &page.outcome {
            Ok(count) => writeln!(out, "  {number}. {}: {count} items", page.url),
            Err(err) => writeln!(
                out,
                "  {number}. {}: a run would fail: {}",
                page.url,
                chain(err)
            ),
        };
    }
}

/// The columns of the items table: number and date keep their width; title, link and summary
/// give way, the widest first, on a narrow terminal.
const ITEM_COLUMNS: [Column; 5] = [
    Column::right("#", 3),
    Column::left("date", 11, 11),
    Column::left("title", 8, 50).weighted(2),
    Column::left("link", 6, 44),
    Column::left("summary", 4, 40),
];

/// The items as a table fitted to `width` columns (none: each column at its natural width).
fn items_table(items: &PageItems, width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = items
        .items
        .iter()
        .map(|item| {
            // `*`: worked out from the page's time (a relative date, or one without a year).
            let date = item
                .date
                .map(|d| {
                    let mark = if item.date_inferred { "*" } else { "" };
                    format!("{}{mark}", d.format("%Y-%m-%d"))
                })
                .unwrap_or_else(|| "-".to_string());
            let one_line = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
            vec![
                item.position.to_string(),
                date,
                one_line(&item.title),
                item.link.clone(),
                one_line(item.summary.as_deref().unwrap_or("-")),
            ]
        })
        .collect();
    table::render(&ITEM_COLUMNS, &rows, width)
}

/// What `check` prints (and `suggest` previews): the items as a table, per-field counts, item
/// problems, and why a run would fail, if it would.
/// The table is fitted to `width` columns (none: natural widths).
pub(crate) fn report(
    spec: &FeedSpec,
    items: &PageItems,
    problem: Option<&FeedError>,
    width: Option<usize>,
) -> String {
    let mut out = String::new();
    let counts = items.counts;
    let _ = writeln!(
        out,
        "feed \"{}\": {} items from {}\n",
        spec.id,
        items.items.len(),
        spec.source
    );
    out.push_str(&items_table(items, width));
    let matched = counts.matched;
    let _ = writeln!(
        out,
        "\nitem: {matched} matched \"{}\"",
        spec.selectors.item_css
    );
    let _ = writeln!(out, "title: {}/{matched}", counts.title);
    let _ = writeln!(out, "link: {}/{matched}", counts.link);
    if spec.selectors.date.is_some() {
        let _ = writeln!(
            out,
            "date: {}/{matched} parsed ({} found)",
            counts.date_parsed, counts.date_found
        );
        let inferred = items.items.iter().filter(|i| i.date_inferred).count();
        if inferred > 0 {
            let _ = writeln!(
                out,
                "  * {inferred} worked out from the page's time (relative, or without a year; see --now)"
            );
        }
    } else {
        let _ = writeln!(
            out,
            "date: no selector (items are dated by when they are first seen)"
        );
    }
    if spec.selectors.summary.is_some() {
        let _ = writeln!(out, "summary: {}/{matched}", counts.summary);
    }
    more_fields(&mut out, spec, items);
    if let Some(filter) = &spec.filter {
        let dropped: Vec<(&pressfeed::PageItem, String)> = items
            .items
            .iter()
            .filter_map(|item| Some((item, filter.drops(item.filter_view())?)))
            .collect();
        let read = items.items.len();
        let _ = writeln!(out, "filter: {} of {read} items kept", read - dropped.len());
        for (item, why) in dropped {
            let _ = writeln!(
                out,
                "  #{} \"{}\": dropped: {why}",
                item.position,
                item.title.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
    if !items.warnings.is_empty() {
        let _ = writeln!(out, "\nproblems:");
        for warning in &items.warnings {
            let _ = writeln!(out, "  {}", chain(warning));
        }
    }
    if let Some(problem) = problem {
        let _ = writeln!(out, "\na run would fail: {}", chain(problem));
    }
    out
}

/// What a field gives of an item, as text.
type Values<'a> = &'a dyn Fn(&pressfeed::PageItem) -> Vec<String>;

/// How many items have an image, an author, categories and enclosures, for the fields the
/// feed reads, with the first item's values that have them as an example.
fn more_fields(out: &mut String, spec: &FeedSpec, items: &PageItems) {
    let selectors = &spec.selectors;
    let read = items.items.len();
    let fields: [(&str, bool, Values<'_>); 4] = [
        ("image", selectors.image.is_some(), &|i| {
            i.image.iter().cloned().collect()
        }),
        ("author", selectors.author.is_some(), &|i| {
            i.author.iter().cloned().collect()
        }),
        ("category", selectors.category.is_some(), &|i| {
            i.categories.clone()
        }),
        ("enclosure", selectors.enclosure.is_some(), &|i| {
            i.enclosures
                .iter()
                .map(|e| format!("{} ({})", e.url, e.mime_type))
                .collect()
        }),
    ];
    for (name, configured, values) in fields {
        if !configured {
            continue;
        }
        let found: Vec<Vec<String>> = items.items.iter().map(values).collect();
        let with = found.iter().filter(|v| !v.is_empty()).count();
        let _ = write!(out, "{name}: {with}/{read} items");
        if let Some(first) = found.iter().find(|v| !v.is_empty()) {
            let _ = write!(out, ", such as: {}", first.join(" | "));
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pressfeed::{FieldCounts, PageItem};

    use super::table::width_of;

    fn item(position: usize, title: &str, summary: &str) -> PageItem {
        PageItem {
            id: format!("https://www.ilo.org/beijing/{position}"),
            title: title.to_string(),
            link: format!("https://www.ilo.org/beijing/what-we-do/news/{position}.htm"),
            summary: Some(summary.to_string()),
            date: chrono::DateTime::parse_from_rfc3339("2024-05-06T00:00:00+08:00").ok(),
            date_inferred: position == 2,
            position,
            ..PageItem::default()
        }
    }

    /// The display column where `needle` starts on `line`.
    fn column_of(line: &str, needle: &str) -> usize {
        width_of(&line[..line.find(needle).unwrap()])
    }

    #[test]
    fn cjk_tables_stay_aligned_at_40_and_200_columns() {
        let items = PageItems {
            items: vec![
                item(
                    1,
                    "国际劳工组织与中国签署新的体面劳动国别计划",
                    "北京，2024年5月6日",
                ),
                item(
                    2,
                    "ILO and China sign a new Decent Work Country Programme",
                    "Beijing",
                ),
                item(
                    3,
                    "Mongolia: 蒙古国 youth employment",
                    "青年就业 and skills",
                ),
            ],
            warnings: Vec::new(),
            counts: FieldCounts::default(),
        };
        for width in [40, 200] {
            let table = items_table(&items, Some(width));
            let lines: Vec<&str> = table.lines().collect();
            assert_eq!(lines.len(), 4, "{table}");
            for line in &lines {
                assert!(
                    width_of(line) <= width,
                    "{width}: {line:?} is {} wide",
                    width_of(line)
                );
            }
            // Every row's link starts in the header's "link" column.
            let link = column_of(lines[0], "link");
            for line in &lines[1..] {
                assert_eq!(column_of(line, "http"), link, "{width}:\n{table}");
            }
            let date = column_of(lines[0], "date");
            for line in &lines[1..] {
                assert_eq!(column_of(line, "2024-05-0"), date, "{width}:\n{table}");
            }
        }
        let wide = items_table(&items, Some(200));
        assert!(
            wide.contains("国际劳工组织与中国签署新的体面劳动国别计划"),
            "{wide}"
        );
        assert!(wide.contains("2024-05-06*"), "{wide}");
        let narrow = items_table(&items, Some(40));
        // The title gives way last, and the date with its `*` not at all.
        assert!(narrow.contains("  国际劳…   https"), "{narrow}");
        assert!(narrow.contains("  2024-05-06*  ILO and"), "{narrow}");
    }
}
