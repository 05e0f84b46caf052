//! Date parsing: the feed's own formats first, then the forms listing pages commonly use.
//!
//! A value without a time is midnight in the feed's time zone; one without a zone is read in it.
//! Formats are compiled once (the feed's when the configuration is loaded, the common ones on
//! first use), never per date read.

mod relative;
mod words;

use std::ops::RangeInclusive;
use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

pub use relative::parse_relative;
use relative::parse_yearless;
use words::{cjk_as_dashes, normalise};

/// The years a feed can carry: RFC 2822 and RFC 3339 have four-digit years, and RSS cannot
/// write a year below 0. A date outside them is no date.
pub const PLAUSIBLE_YEARS: RangeInclusive<i32> = 1000..=9999;

/// Formats tried after the feed's own, in order (chrono `strftime` syntax). When parsing,
/// chrono's `%B` also takes the abbreviated month name, so "25 Apr 2014" matches `%d %B %Y`.
/// Slash dates such as `04/25/2014` are ambiguous (month or day first) and are only read when a
/// feed's `date_formats` says which.
const COMMON_FORMATS: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%d %B %Y",
    "%d %B, %Y",
    "%d %B %Y %H:%M",
    "%d. %B %Y",
    "%A, %d %B %Y",
    "%A %d %B %Y",
    "%B %d, %Y",
    "%B %d %Y",
    "%B %d, %Y %H:%M",
    "%B %d, %Y, %H:%M",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y, %I:%M %p",
    "%d %B %Y %I:%M %p",
    "%A, %B %d, %Y",
    "%B %Y",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
];

/// [`COMMON_FORMATS`], compiled.
static COMMON: LazyLock<Vec<DateFormat>> =
    LazyLock::new(|| DateFormat::compile_all(COMMON_FORMATS));

/// A chrono `strftime` format, compiled once.
#[derive(Debug, Clone)]
pub struct DateFormat {
    text: String,
    items: Vec<Item<'static>>,
}

impl DateFormat {
    /// Compiles `text`; `None` when it is blank or holds a specifier chrono does not know.
    pub fn new(text: &str) -> Option<Self> {
        if text.trim().is_empty() {
            return None;
        }
        let items = StrftimeItems::new(text).parse_to_owned().ok()?;
        Some(DateFormat {
            text: text.to_string(),
            items,
        })
    }

    /// The format as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Formats known to compile (the tables of this module).
    fn compile_all(texts: &[&str]) -> Vec<DateFormat> {
        texts
            .iter()
            .filter_map(|text| DateFormat::new(text))
            .collect()
    }

    /// Reads `text` into `parsed`; `None` when the format does not match it whole.
    fn parse_into(&self, parsed: &mut Parsed, text: &str) -> Option<()> {
        chrono::format::parse(parsed, text, self.items.iter()).ok()
    }
}

/// A date text that does not parse to a date a feed can carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" matches none of the date formats tried ({why})")]
pub struct DateError {
    /// The text as found (whitespace collapsed).
    pub text: String,
    /// What was tried.
    pub why: Unparsed,
}

/// Why a date text gave no date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unparsed {
    /// No format read it: the feed's own formats (as written), then the common ones.
    NoFormat(Vec<String>),
    /// It was read, but as a year outside [`PLAUSIBLE_YEARS`] ("3000 years ago").
    Year(i32),
}

impl std::fmt::Display for Unparsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unparsed::NoFormat(formats) if formats.is_empty() => {
                f.write_str("RFC 3339, RFC 2822 and the common forms")
            }
            Unparsed::NoFormat(formats) => {
                for (i, format) in formats.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "\"{format}\"")?;
                }
                f.write_str(", then RFC 3339, RFC 2822 and the common forms")
            }
            Unparsed::Year(year) => write!(
                f,
                "read as the year {year}; feeds carry the years {} to {} only",
                PLAUSIBLE_YEARS.start(),
                PLAUSIBLE_YEARS.end()
            ),
        }
    }
}

/// A date read from a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageDate {
    /// The date.
    pub date: DateTime<FixedOffset>,
    /// Whether it was worked out from the run's time ("3 hours ago", "yesterday", a date
    /// without a year) rather than read whole: such a date is kept from the first sighting.
    pub inferred: bool,
}

/// Parses `text` as a date with `formats` (the feed's own) and then the common forms
/// (RFC 3339, RFC 2822, the `COMMON_FORMATS`), with month and weekday names in English,
/// French, Spanish, German, Portuguese, Italian, Dutch and Russian, and Chinese, Japanese and
/// Korean year-month-day forms. Values without a zone are read in `tz`; date-only values are
/// midnight in `tz`. Relative dates ("3 hours ago", "yesterday", "26分钟前", "vor 2 Tagen")
/// and dates without a year are worked out from `now`, the time the page was read.
pub fn parse_date_at(
    text: &str,
    formats: &[DateFormat],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<PageDate, DateError> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = normalise(&cjk_as_dashes(&collapsed));
    // Readers and RFC 3339 need four-digit years; a lenient match outside them is no match.
    let plausible =
        |date: DateTime<FixedOffset>| PLAUSIBLE_YEARS.contains(&date.year()).then_some(date);
    let parsed = formats
        .iter()
        .find_map(|f| parse_with(&cleaned, f, tz).and_then(plausible))
        .or_else(|| {
            DateTime::parse_from_rfc3339(&cleaned)
                .ok()
                .and_then(plausible)
        })
        .or_else(|| {
            DateTime::parse_from_rfc2822(&cleaned)
                .ok()
                .and_then(plausible)
        })
        .or_else(|| {
            COMMON
                .iter()
                .find_map(|f| parse_with(&cleaned, f, tz).and_then(plausible))
        });
    if let Some(date) = parsed {
        return Ok(PageDate {
            date,
            inferred: false,
        });
    }
    // Relative dates are read from the text as written ("ago" is no month here).
    let inferred =
        parse_relative(&collapsed, tz, now).or_else(|| parse_yearless(&cleaned, tz, now));
    match inferred {
        Some(date) => Ok(PageDate {
            date,
            inferred: true,
        }),
        None => Err(DateError {
            text: cleaned,
            why: Unparsed::NoFormat(formats.iter().map(|f| f.as_str().to_string()).collect()),
        }),
    }
}

/// Whether `format` (chrono `strftime`) reads `text` on its own, as `date_formats` would.
pub fn matches_format(text: &str, format: &str) -> bool {
    let Some(format) = DateFormat::new(format) else {
        return false;
    };
    let cleaned = normalise(&cjk_as_dashes(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
    ));
    parse_with(&cleaned, &format, Tz::UTC).is_some_and(|d| PLAUSIBLE_YEARS.contains(&d.year()))
}

fn parse_with(text: &str, format: &DateFormat, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let mut parsed = Parsed::new();
    format.parse_into(&mut parsed, text)?;
    if let Some(date) = from_parsed(&parsed, tz) {
        return Some(date);
    }
    // Month and year only ("April 2014"): the first of the month.
    if parsed.day().is_none() && parsed.month().is_some() && parsed.year().is_some() {
        parsed.set_day(1).ok()?;
        return from_parsed(&parsed, tz);
    }
    None
}

/// A date from parsed fields: with its own offset when it has one, else read in `tz`; no time
/// means midnight.
fn from_parsed(parsed: &Parsed, tz: Tz) -> Option<DateTime<FixedOffset>> {
    // Out-of-range years would overflow time zone arithmetic; no page means them.
    if !parsed.year().is_some_and(|y| PLAUSIBLE_YEARS.contains(&y)) {
        return None;
    }
    if parsed.offset().is_some() {
        return parsed.to_datetime().ok();
    }
    let day = parsed.to_naive_date().ok()?;
    let time = match parsed.hour_div_12() {
        Some(_) => parsed.to_naive_time().ok()?,
        None => NaiveTime::MIN,
    };
    Some(localise(day.and_time(time), tz))
}

/// Reads a wall-clock time in `tz`: the earlier reading when the clock went back, and the
/// hour after a gap when it went forward.
pub(crate) fn localise(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.fixed_offset(),
        LocalResult::None => {
            let later = naive.checked_add_signed(chrono::Duration::hours(1));
            match later.map(|later| tz.from_local_datetime(&later)) {
                Some(LocalResult::Single(t) | LocalResult::Ambiguous(t, _)) => t.fixed_offset(),
                _ => tz.from_utc_datetime(&naive).fixed_offset(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` as a date as of now, with `formats` compiled.
    fn parse_date(
        text: &str,
        formats: &[String],
        tz: Tz,
    ) -> Result<DateTime<FixedOffset>, DateError> {
        let formats: Vec<DateFormat> = formats.iter().filter_map(|f| DateFormat::new(f)).collect();
        parse_date_at(text, &formats, tz, Utc::now()).map(|d| d.date)
    }

    fn rfc3339(text: &str, formats: &[&str], tz: Tz) -> String {
        let formats: Vec<String> = formats.iter().map(|f| f.to_string()).collect();
        parse_date(text, &formats, tz).unwrap().to_rfc3339()
    }

    #[test]
    fn common_forms() {
        let sh = chrono_tz::Asia::Shanghai;
        let cases = [
            ("25 April 2014", "2014-04-25T00:00:00+08:00"),
            ("08 April 2014", "2014-04-08T00:00:00+08:00"),
            ("April 25, 2014", "2014-04-25T00:00:00+08:00"),
            ("25 Apr 2014", "2014-04-25T00:00:00+08:00"),
            ("Apr 25, 2014", "2014-04-25T00:00:00+08:00"),
            ("  25\n   April\t2014 ", "2014-04-25T00:00:00+08:00"),
            ("2014-04-25", "2014-04-25T00:00:00+08:00"),
            ("25.04.2014", "2014-04-25T00:00:00+08:00"),
            ("25th April 2014", "2014-04-25T00:00:00+08:00"),
            ("Sept 3, 2014", "2014-09-03T00:00:00+08:00"),
            ("Friday, 25 April 2014", "2014-04-25T00:00:00+08:00"),
            ("2014-04-25T10:30:00Z", "2014-04-25T10:30:00+00:00"),
            ("2014-04-25T10:30:00+02:00", "2014-04-25T10:30:00+02:00"),
            ("2014-04-25T10:30:00", "2014-04-25T10:30:00+08:00"),
            ("2014-04-25 10:30", "2014-04-25T10:30:00+08:00"),
            ("Fri, 25 Apr 2014 10:30:00 GMT", "2014-04-25T10:30:00+00:00"),
            (
                "Fri, 25 Apr 2014 10:30:00 +0100",
                "2014-04-25T10:30:00+01:00",
            ),
            ("April 2014", "2014-04-01T00:00:00+08:00"),
            ("Sept. 3, 2014", "2014-09-03T00:00:00+08:00"),
            ("Apr. 25, 2014", "2014-04-25T00:00:00+08:00"),
            ("April 25, 2014 3:30 PM", "2014-04-25T15:30:00+08:00"),
            ("2014-04-25T10:30:00+0200", "2014-04-25T10:30:00+02:00"),
        ];
        for (text, want) in cases {
            assert_eq!(rfc3339(text, &[], sh), want, "{text:?}");
        }
    }

    #[test]
    fn month_names_in_eight_languages() {
        let utc = Tz::UTC;
        let cases = [
            ("3 mars 2024", "2024-03-03"),
            ("1er janvier 2024", "2024-01-01"),
            ("lundi 12 février 2024", "2024-02-12"),
            ("12 févr. 2024", "2024-02-12"),
            ("3 de marzo de 2024", "2024-03-03"),
            ("15 ago. 2024", "2024-08-15"),
            ("3. März 2024", "2024-03-03"),
            ("Montag, 4. November 2024", "2024-11-04"),
            ("3 de março de 2024", "2024-03-03"),
            ("10 setembro 2024", "2024-09-10"),
            ("3 marzo 2024", "2024-03-03"),
            ("7 dicembre 2024", "2024-12-07"),
            ("3 maart 2024", "2024-03-03"),
            ("17 mei 2024", "2024-05-17"),
            ("3 марта 2024 г.", "2024-03-03"),
            ("21 декабря 2023 года", "2023-12-21"),
            ("Dec 21, 2023", "2023-12-21"),
        ];
        for (text, want) in cases {
            assert_eq!(
                rfc3339(text, &[], utc),
                format!("{want}T00:00:00+00:00"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn chinese_japanese_and_korean_forms() {
        let sh = chrono_tz::Asia::Shanghai;
        assert_eq!(
            rfc3339("2014年4月25日", &[], sh),
            "2014-04-25T00:00:00+08:00"
        );
        assert_eq!(
            rfc3339("2014年04月25日 14:30", &[], sh),
            "2014-04-25T14:30:00+08:00"
        );
        assert_eq!(
            rfc3339("2024년 3월 5일", &[], sh),
            "2024-03-05T00:00:00+08:00"
        );
    }

    fn at(text: &str, now: &str) -> String {
        let now = DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc);
        let parsed = parse_date_at(text, &[], chrono_tz::Europe::Berlin, now).unwrap();
        assert!(parsed.inferred, "{text:?}");
        parsed.date.to_rfc3339()
    }

    #[test]
    fn dates_without_a_year_are_never_in_the_future() {
        // Read in January, a December date is last year's.
        assert_eq!(
            at("28 December", "2025-01-05T10:00:00Z"),
            "2024-12-28T00:00:00+01:00"
        );
        assert_eq!(
            at("3 January", "2025-01-05T10:00:00Z"),
            "2025-01-03T00:00:00+01:00"
        );
        assert_eq!(
            at("March 3", "2025-06-01T10:00:00Z"),
            "2025-03-03T00:00:00+01:00"
        );
        assert_eq!(
            at("4月25日", "2025-06-01T10:00:00Z"),
            "2025-04-25T00:00:00+02:00"
        );
        assert_eq!(
            at("25 avril", "2025-06-01T10:00:00Z"),
            "2025-04-25T00:00:00+02:00"
        );
    }

    #[test]
    fn relative_dates_count_back_from_the_reading() {
        let now = "2025-06-01T10:17:45Z";
        assert_eq!(at("3 hours ago", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("an hour ago", now), "2025-06-01T09:17:00+00:00");
        assert_eq!(at("5 mins ago", now), "2025-06-01T10:12:00+00:00");
        assert_eq!(at("2 days ago", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("3h ago", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("26分钟前", now), "2025-06-01T09:51:00+00:00");
        assert_eq!(at("3小时前", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("2天前", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("vor 2 Tagen", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("vor einer Stunde", now), "2025-06-01T09:17:00+00:00");
        assert_eq!(at("il y a 3 heures", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("hace 2 días", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("há 2 dias", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("3 ore fa", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("2 dagen geleden", now), "2025-05-30T10:17:00+00:00");
        assert_eq!(at("3 часа назад", now), "2025-06-01T07:17:00+00:00");
        assert_eq!(at("1 week ago", now), "2025-05-25T10:17:00+00:00");
        // Today and yesterday are midnight in the feed's zone.
        assert_eq!(at("yesterday", now), "2025-05-31T00:00:00+02:00");
        assert_eq!(at("Gestern", now), "2025-05-31T00:00:00+02:00");
        assert_eq!(at("昨天", now), "2025-05-31T00:00:00+02:00");
        assert_eq!(at("today", now), "2025-06-01T00:00:00+02:00");
        // Absolute dates are not inferred.
        let now = Utc::now();
        let read = parse_date_at("25 April 2014", &[], Tz::UTC, now).unwrap();
        assert!(!read.inferred);
    }

    #[test]
    fn slash_dates_only_with_a_format() {
        let utc = Tz::UTC;
        assert!(parse_date("04/25/2014", &[], utc).is_err());
        assert_eq!(
            rfc3339("04/25/2014", &["%m/%d/%Y"], utc),
            "2014-04-25T00:00:00+00:00"
        );
        assert_eq!(
            rfc3339("05/04/2014", &["%d/%m/%Y"], utc),
            "2014-04-05T00:00:00+00:00"
        );
    }

    #[test]
    fn feed_formats_come_first() {
        // "2014-04-05" would be read as 5 April by the common forms; the feed says y-d-m.
        assert_eq!(
            rfc3339("2014-04-05", &["%Y-%d-%m"], Tz::UTC),
            "2014-05-04T00:00:00+00:00"
        );
    }

    #[test]
    fn midnight_follows_daylight_saving() {
        let paris = chrono_tz::Europe::Paris;
        assert_eq!(
            rfc3339("15 January 2014", &[], paris),
            "2014-01-15T00:00:00+01:00"
        );
        assert_eq!(
            rfc3339("15 July 2014", &[], paris),
            "2014-07-15T00:00:00+02:00"
        );
        // Midnight did not exist in Santiago on 2014-09-07: the next hour is used.
        let santiago = chrono_tz::America::Santiago;
        assert_eq!(
            rfc3339("2014-09-07", &[], santiago),
            "2014-09-07T01:00:00-03:00"
        );
    }

    #[test]
    fn unparseable_dates_say_what_was_tried() {
        let err = parse_date(" Spring\n 2014 ", &["%d %B %Y".into()], Tz::UTC).unwrap_err();
        assert_eq!(err.text, "Spring 2014");
        assert_eq!(
            err.to_string(),
            "\"Spring 2014\" matches none of the date formats tried (\"%d %B %Y\", then RFC 3339, RFC 2822 and the common forms)"
        );
        assert!(parse_date("", &[], Tz::UTC).is_err());
        assert!(parse_date("31 February 2014", &[], Tz::UTC).is_err());
        assert!(parse_date("12", &["%Y".into()], Tz::UTC).is_err());
        // Years chrono can hold but time zones cannot: no panic, no date.
        let ny = chrono_tz::America::New_York;
        assert!(parse_date("+262143-12-31 23:30", &[], ny).is_err());
        assert!(parse_date("-262143-01-01", &[], ny).is_err());
        assert!(parse_date("262143-12-31T23:59:59", &["%Y-%m-%dT%H:%M:%S".into()], ny).is_err());
    }
}
