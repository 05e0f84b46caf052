//! Date parsing: the feed's own formats first, then the forms listing pages commonly use.
//!
//! A value without a time is midnight in the feed's time zone; one without a zone is read in it.
//! Formats are compiled once (the feed's when the configuration is loaded, the common ones on
//! first use), never per date read.

mod calendars;
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
    "%d. %B %Y %H:%M",
    "%d. %B %Y, %H:%M",
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
    "%d.%m.%Y, %H:%M",
    "%Y.%m.%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d.",
    "%d-%B-%Y",
    "%d-%B-%Y %H:%M",
    "%d %B %Y, %H:%M",
    "%d %B, %Y %H:%M",
    "%d %B, %Y, %H:%M",
    "%B %d, %Y %I:%M%p",
    "%Y-%m-%d %I:%M %p",
];

/// The most words a date text is searched for a date in, when it is not one whole
/// ("Decided 06/17/2024", "18 marzo, 2016 | Lorena"); longer texts are not searched.
const MAX_SEARCHED_WORDS: usize = 12;

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

    /// Whether the format reads a year (else a date it reads is year-less).
    fn has_year(&self) -> bool {
        [
            "%Y", "%y", "%C", "%G", "%g", "%s", "%+", "%c", "%D", "%F", "%x",
        ]
        .iter()
        .any(|spec| self.text.contains(spec))
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
    parse_date_as_of(text, formats, tz, (now, false))
}

/// [`parse_date_at`], with `ahead` for pages whose dates may lie after `now` (events,
/// on-sale dates: `future_dates = true`): a date without a year then takes the nearest year,
/// next year's included.
pub fn parse_date_as_of(
    text: &str,
    formats: &[DateFormat],
    tz: Tz,
    (now, ahead): (DateTime<Utc>, bool),
) -> Result<PageDate, DateError> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // The feed's own formats read the text as written first ("08.03.2016, 15:55 Uhr" by
    // "%d.%m.%Y, %H:%M Uhr"), then as cleaned.
    let own = formats.iter().find_map(|f| {
        parse_with(&collapsed, f, tz).filter(|d| PLAUSIBLE_YEARS.contains(&d.year()))
    });
    let cleaned = cleaned(&collapsed);
    // Text the cleaning left as it was has been tried with the feed's formats already.
    let again = if cleaned == collapsed {
        &[][..]
    } else {
        formats
    };
    if let Some(date) = own.or_else(|| absolute(&cleaned, again, tz)) {
        return Ok(PageDate {
            date,
            inferred: false,
        });
    }
    // Relative dates are read from the text as written ("ago" is no month here).
    let inferred = parse_relative(&collapsed, tz, now)
        .or_else(|| parse_yearless(&collapsed, formats, tz, (now, ahead)))
        .or_else(|| parse_yearless(&cleaned, formats, tz, (now, ahead)))
        .or_else(|| {
            let dashed = unambiguous_month_day(&collapsed)?;
            parse_yearless(&dashed, &[], tz, (now, ahead))
        });
    if let Some(date) = inferred {
        // A relative date that far back ("3000 years ago") is no date.
        if !PLAUSIBLE_YEARS.contains(&date.year()) {
            return Err(DateError {
                text: collapsed,
                why: Unparsed::Year(date.year()),
            });
        }
        return Ok(PageDate {
            date,
            inferred: true,
        });
    }
    if let Some(date) = within(&cleaned, formats, tz) {
        return Ok(PageDate {
            date,
            inferred: false,
        });
    }
    match relative_at_an_end(&collapsed, tz, now) {
        Some(date) => Ok(PageDate {
            date,
            inferred: true,
        }),
        None => Err(DateError {
            // Quoted as the page writes it, not as rewritten for parsing.
            text: collapsed,
            why: Unparsed::NoFormat(formats.iter().map(|f| f.as_str().to_string()).collect()),
        }),
    }
}

/// `collapsed` with era years made Gregorian, CJK marks as dashes, foreign words English and
/// filler words dropped: what the formats are tried on.
fn cleaned(collapsed: &str) -> String {
    normalise(&cjk_as_dashes(&calendars::gregorian(collapsed)))
}

/// A date that the whole of `cleaned` writes: by the feed's `formats`, RFC 3339, RFC 2822, the
/// common forms, a Minguo year (`113/03/05`), or a slash date whose order only one reading
/// allows (`06/17/2024`).
fn absolute(cleaned: &str, formats: &[DateFormat], tz: Tz) -> Option<DateTime<FixedOffset>> {
    // Readers and RFC 3339 need four-digit years; a lenient match outside them is no match.
    let plausible =
        |date: DateTime<FixedOffset>| PLAUSIBLE_YEARS.contains(&date.year()).then_some(date);
    let common = |text: &str| {
        COMMON
            .iter()
            .find_map(|f| parse_with(text, f, tz).and_then(plausible))
    };
    formats
        .iter()
        .find_map(|f| parse_with(cleaned, f, tz).and_then(plausible))
        .or_else(|| {
            DateTime::parse_from_rfc3339(cleaned)
                .ok()
                .and_then(plausible)
        })
        .or_else(|| {
            DateTime::parse_from_rfc2822(cleaned)
                .ok()
                .and_then(plausible)
        })
        .or_else(|| common(cleaned))
        .or_else(|| calendars::minguo_numeric(cleaned).and_then(|text| common(&text)))
        .or_else(|| unambiguous_slash(cleaned).and_then(|text| common(&text)))
}

/// A date written somewhere inside `cleaned` with words around it ("Decided 06/17/2024",
/// "2014.03.31 UP", "Tran v. Commonwealth (September 10, 2025)"): the longest run of words
/// that [`absolute`] reads, the earliest of equal length.
fn within(cleaned: &str, formats: &[DateFormat], tz: Tz) -> Option<DateTime<FixedOffset>> {
    let words: Vec<&str> = cleaned.split(' ').collect();
    if words.len() < 2 || words.len() > MAX_SEARCHED_WORDS {
        return None;
    }
    let trim = |text: &str| {
        text.trim_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    };
    let has_digit = |word: &str| word.bytes().any(|b| b.is_ascii_digit());
    (1..words.len()).rev().find_map(|len| {
        (0..=words.len() - len).find_map(|start| {
            let run = &words[start..start + len];
            // Every date has a digit. A number next to the run belongs to the date: without
            // it the run is a different date ("February 2014" of "31 February 2014").
            let before = start.checked_sub(1).map(|i| words[i]);
            let after = words.get(start + len).copied();
            if !run.iter().any(|w| has_digit(w))
                || before.is_some_and(has_digit)
                || after.is_some_and(has_digit)
            {
                return None;
            }
            let text = run.join(" ");
            let trimmed = trim(&text);
            absolute(&text, formats, tz).or_else(|| {
                (trimmed != text)
                    .then(|| absolute(&trimmed, formats, tz))
                    .flatten()
            })
        })
    })
}

/// A relative date that starts or ends `collapsed`, with other words after or before it
/// ("memmy - Gestern, 13:41 Uhr", "3 hours ago · 2 comments"): the longest such run.
fn relative_at_an_end(
    collapsed: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<DateTime<FixedOffset>> {
    let words: Vec<&str> = collapsed.split(' ').collect();
    if words.len() < 2 || words.len() > MAX_SEARCHED_WORDS {
        return None;
    }
    let trim = |text: String| {
        text.trim_matches(|c: char| !c.is_alphanumeric())
            .to_string()
    };
    (1..words.len()).rev().find_map(|len| {
        let tail = trim(words[words.len() - len..].join(" "));
        let head = trim(words[..len].join(" "));
        parse_relative(&tail, tz, now)
            .or_else(|| parse_relative(&head, tz, now))
            .filter(|date| PLAUSIBLE_YEARS.contains(&date.year()))
    })
}

/// A year-less slash date that only one reading makes a date (`3/16`, `16/3`), as `3-16`,
/// with what follows it, a weekday run into the time dropped (`3/16 Wed12:00 PM` is
/// `3-16 12:00 PM`); `None` for anything else.
fn unambiguous_month_day(text: &str) -> Option<String> {
    static SLASH: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"(?i)^(\d{1,2})/(\d{1,2})(?:\s+(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?)?(?:\s*(\d{1,2}:\d{2}\s*[ap]\.?m\.?|\d{1,2}:\d{2}))?$",
        )
        .expect("a valid regex")
    });
    let caps = SLASH.captures(text.trim())?;
    let (month, day) = month_and_day(&caps[1], &caps[2])?;
    let time = caps.get(3).map_or(String::new(), |time| {
        let time = time.as_str().replace('.', "").to_uppercase();
        // "12:00PM" as "12:00 PM".
        let time = time.replace("AM", " AM").replace("PM", " PM");
        format!(" {}", time.split_whitespace().collect::<Vec<_>>().join(" "))
    });
    Some(format!("{month}-{day}{time}"))
}

/// The month and day of a slash date's first two numbers, when only one order makes a date
/// (one of them is over 12).
fn month_and_day(first: &str, second: &str) -> Option<(u32, u32)> {
    let (first, second): (u32, u32) = (first.parse().ok()?, second.parse().ok()?);
    match (first > 12, second > 12) {
        (true, false) => Some((second, first)),
        (false, true) => Some((first, second)),
        _ => None,
    }
}

/// `06/17/2024` as `2024-06-17` (the 17 can only be the day) and `17/06/2024` likewise;
/// `None` when both readings are dates (`04/05/2024`), which only `date_formats` settles.
fn unambiguous_slash(text: &str) -> Option<String> {
    static SLASH: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d{1,2})/(\d{1,2})/(\d{4})(\s.*)?$").expect("a valid regex")
    });
    let caps = SLASH.captures(text)?;
    let (month, day) = month_and_day(&caps[1], &caps[2])?;
    let rest = caps.get(4).map_or("", |rest| rest.as_str());
    Some(format!("{}-{month:02}-{day:02}{rest}", &caps[3]))
}

/// Whether `format` (chrono `strftime`) reads `text` on its own, as `date_formats` would.
pub fn matches_format(text: &str, format: &str) -> bool {
    let Some(format) = DateFormat::new(format) else {
        return false;
    };
    let cleaned = cleaned(&text.split_whitespace().collect::<Vec<_>>().join(" "));
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

    /// Each text read with no formats, in UTC, is midnight of its day.
    fn assert_midnight_utc(cases: &[(&str, &str)]) {
        for (text, day) in cases {
            assert_eq!(
                rfc3339(text, &[], Tz::UTC),
                format!("{day}T00:00:00+00:00"),
                "{text:?}"
            );
        }
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
        assert_midnight_utc(&[
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
        ]);
    }

    #[test]
    fn month_names_in_greek_polish_arabic_and_thai() {
        assert_midnight_utc(&[
            ("18 Μαρτίου 2016", "2016-03-18"),
            ("ΠΑΡΑΣΚΕΥΗ 18 ΜΑΡΤΙΟΥ 2016", "2016-03-18"),
            ("1 Μαΐου 2016", "2016-05-01"),
            ("Δεκ 3, 2015", "2015-12-03"),
            ("5 marca 2024", "2024-03-05"),
            ("5 marca 2024 r.", "2024-03-05"),
            ("środa, 12 października 2022", "2022-10-12"),
            ("5 مارس 2024", "2024-03-05"),
            ("٥ مارس ٢٠٢٤", "2024-03-05"),
            ("5 كانون الثاني 2024", "2024-01-05"),
            ("12 أيلول 2023", "2023-09-12"),
            ("5 มีนาคม 2567", "2024-03-05"),
            ("5 มี.ค. 2567", "2024-03-05"),
        ]);
    }

    #[test]
    fn era_years() {
        let tokyo = chrono_tz::Asia::Tokyo;
        let cases = [
            ("令和6年3月5日", "2024-03-05T00:00:00+09:00"),
            ("令和元年5月1日", "2019-05-01T00:00:00+09:00"),
            ("平成31年4月30日", "2019-04-30T00:00:00+09:00"),
            ("平成元年1月8日", "1989-01-08T00:00:00+09:00"),
            ("昭和64年1月7日", "1989-01-07T00:00:00+09:00"),
            ("令和6年3月5日(火) 10:30", "2024-03-05T10:30:00+09:00"),
            ("民國113年3月5日", "2024-03-05T00:00:00+09:00"),
            ("113/03/05", "2024-03-05T00:00:00+09:00"),
            ("113.03.05", "2024-03-05T00:00:00+09:00"),
        ];
        for (text, want) in cases {
            assert_eq!(rfc3339(text, &[], tokyo), want, "{text:?}");
        }
    }

    #[test]
    fn forms_real_pages_write() {
        let utc = Tz::UTC;
        let cases = [
            ("2024.03.05", "2024-03-05T00:00:00+00:00"),
            ("2014.03.31 UP", "2014-03-31T00:00:00+00:00"),
            ("05-Mar-2024", "2024-03-05T00:00:00+00:00"),
            ("March 5, 2024 at 2:30 pm", "2024-03-05T14:30:00+00:00"),
            ("5 March 2024, 14:30", "2024-03-05T14:30:00+00:00"),
            ("2024年3月5日(火)", "2024-03-05T00:00:00+00:00"),
            ("2024年3月5日（火）", "2024-03-05T00:00:00+00:00"),
            ("17 февраля 2016", "2016-02-17T00:00:00+00:00"),
            ("aprile 25, 2016 - 5:47 pm", "2016-04-25T17:47:00+00:00"),
            ("22 enero, 2016", "2016-01-22T00:00:00+00:00"),
            ("18 marzo, 2016 | Lorena", "2016-03-18T00:00:00+00:00"),
            ("Decided 06/17/2024", "2024-06-17T00:00:00+00:00"),
            ("17/06/2024", "2024-06-17T00:00:00+00:00"),
            (
                "Tran v. Commonwealth (September 10, 2025)",
                "2025-09-10T00:00:00+00:00",
            ),
            ("Published November 7, 2023", "2023-11-07T00:00:00+00:00"),
            ("5. März 2024, 13:41 Uhr", "2024-03-05T13:41:00+00:00"),
        ];
        for (text, want) in cases {
            assert_eq!(rfc3339(text, &[], utc), want, "{text:?}");
        }
        // Both readings are dates: only `date_formats` says which.
        assert!(parse_date("04/05/2024", &[], utc).is_err());
        // Year-less: only one reading is a date (the year is worked out from the page's time).
        let events = DateTime::parse_from_rfc3339("2016-03-20T10:00:00-04:00")
            .unwrap()
            .with_timezone(&Utc);
        let yearless = |text: &str| {
            parse_date_at(text, &[], chrono_tz::America::New_York, events)
                .map(|d| (d.date.to_rfc3339(), d.inferred))
        };
        assert_eq!(
            yearless("3/16 Wed12:00 PM"),
            Ok(("2016-03-16T12:00:00-04:00".to_string(), true))
        );
        assert_eq!(
            yearless("16/3 14:30"),
            Ok(("2016-03-16T14:30:00-04:00".to_string(), true))
        );
        assert!(yearless("3/5").is_err());
        // A year alone is no date, wherever it is.
        assert!(parse_date("Spring 2014", &[], utc).is_err());
    }

    #[test]
    fn own_formats_read_the_text_as_written_and_without_a_year() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |text: &str, formats: &[&str], now: &str, ahead: bool| {
            let formats: Vec<DateFormat> =
                formats.iter().filter_map(|f| DateFormat::new(f)).collect();
            let now = DateTime::parse_from_rfc3339(now)
                .unwrap()
                .with_timezone(&Utc);
            parse_date_as_of(text, &formats, berlin, (now, ahead))
                .map(|d| (d.date.to_rfc3339(), d.inferred))
                .map_err(|e| e.to_string())
        };
        let now = "2016-03-10T19:18:25+01:00";
        // Words the cleaning drops ("Uhr", "発売") are still in the text the format reads.
        assert_eq!(
            at(
                "08.03.2016, 15:55 Uhr",
                &["%d.%m.%Y, %H:%M Uhr"],
                now,
                false
            ),
            Ok(("2016-03-08T15:55:00+01:00".to_string(), false))
        );
        assert_eq!(
            at("2018年5月29日発売", &["%Y年%m月%d日発売"], now, false),
            Ok(("2018-05-29T00:00:00+02:00".to_string(), false))
        );
        assert_eq!(
            at("16.03. 12:00", &["%d.%m. %H:%M"], now, false),
            Ok(("2015-03-16T12:00:00+01:00".to_string(), true))
        );
        // Yesterday with a time.
        assert_eq!(
            at("Gestern, 13:41 Uhr", &[], now, false),
            Ok(("2016-03-09T13:41:00+01:00".to_string(), true))
        );
        // A format without a year reads a year-less date: the year before, or with `ahead`
        // the nearest (an events page).
        let events = "2016-03-15T11:51:44-04:00";
        assert_eq!(
            at("3/18 Fri11:00 AM", &["%m/%d %a%I:%M %p"], events, false),
            Ok(("2015-03-18T11:00:00+01:00".to_string(), true))
        );
        assert_eq!(
            at("3/18 Fri11:00 AM", &["%m/%d %a%I:%M %p"], events, true),
            Ok(("2016-03-18T11:00:00+01:00".to_string(), true))
        );
    }

    #[test]
    fn an_unparsed_date_is_quoted_as_the_page_writes_it() {
        let err = parse_date("令和  6年 春", &[], Tz::UTC).unwrap_err();
        assert_eq!(err.text, "令和 6年 春");
        assert_eq!(
            err.to_string(),
            "\"令和 6年 春\" matches none of the date formats tried (RFC 3339, RFC 2822 and the common forms)"
        );
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
    fn slash_dates_only_with_a_format_unless_one_reading_is_a_date() {
        let utc = Tz::UTC;
        assert!(parse_date("04/05/2014", &[], utc).is_err());
        assert_eq!(rfc3339("04/25/2014", &[], utc), "2014-04-25T00:00:00+00:00");
        assert_eq!(
            rfc3339("25/04/2014 10:30", &[], utc),
            "2014-04-25T10:30:00+00:00"
        );
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
