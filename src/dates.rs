//! Date parsing: the feed's own formats first, then the forms listing pages commonly use.
//!
//! A value without a time is midnight in the feed's time zone; one without a zone is read in it.

use chrono::format::{Parsed, StrftimeItems, parse};
use chrono::{DateTime, Datelike, FixedOffset, LocalResult, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Formats tried after the feed's own, in order (chrono `strftime` syntax). When parsing,
/// chrono's `%B` also takes the abbreviated month name, so "25 Apr 2014" matches `%d %B %Y`.
/// Slash dates such as `04/25/2014` are ambiguous (month or day first) and are only read when a
/// feed's `date_formats` says which.
pub const COMMON_FORMATS: &[&str] = &[
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

/// A date text no known format matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" matches none of the date formats tried ({tried})")]
pub struct DateError {
    /// The text as found (whitespace collapsed).
    pub text: String,
    /// The formats tried, for the message.
    pub tried: String,
}

/// Parses `text` as a date with `formats` (the feed's own) and then the common forms
/// (RFC 3339, RFC 2822, [`COMMON_FORMATS`]). Values without a zone are read in `tz`; date-only
/// values are midnight in `tz`.
pub fn parse_date(
    text: &str,
    formats: &[String],
    tz: Tz,
) -> Result<DateTime<FixedOffset>, DateError> {
    let cleaned = normalise(text);
    // Readers and RFC 3339 need four-digit years; a lenient match outside them is no match.
    let plausible =
        |date: DateTime<FixedOffset>| (1000..=9999).contains(&date.year()).then_some(date);
    let parsed = formats
        .iter()
        .map(String::as_str)
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
            COMMON_FORMATS
                .iter()
                .find_map(|f| parse_with(&cleaned, f, tz).and_then(plausible))
        });
    match parsed {
        Some(date) => Ok(date),
        _ => Err(DateError {
            text: cleaned,
            tried: if formats.is_empty() {
                "RFC 3339, RFC 2822 and the common forms".to_string()
            } else {
                format!(
                    "{}, then RFC 3339, RFC 2822 and the common forms",
                    formats
                        .iter()
                        .map(|f| format!("\"{f}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        }),
    }
}

/// Collapses whitespace, drops ordinal suffixes ("25th" → "25") and reads "Sept" as "Sep".
fn normalise(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|word| {
            let (core, mut tail) = match word.find([',', '.']) {
                Some(i) => word.split_at(i),
                None => (word, ""),
            };
            // "Apr." and "Sept." are abbreviations: the dot goes.
            if tail.starts_with('.') && !core.is_empty() && core.chars().all(char::is_alphabetic) {
                tail = &tail[1..];
            }
            let digits = core.chars().take_while(char::is_ascii_digit).count();
            let suffix = &core[digits..];
            let core = if digits > 0
                && ["st", "nd", "rd", "th"]
                    .iter()
                    .any(|s| suffix.eq_ignore_ascii_case(s))
            {
                &core[..digits]
            } else if core.eq_ignore_ascii_case("sept") {
                // "Sept" is common; chrono knows "Sep" and "September".
                "Sep"
            } else {
                core
            };
            format!("{core}{tail}")
        })
        .collect();
    words.join(" ")
}

fn parse_with(text: &str, format: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let mut parsed = Parsed::new();
    parse(&mut parsed, text, StrftimeItems::new(format)).ok()?;
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
    if !parsed.year().is_some_and(|y| (1000..=9999).contains(&y)) {
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
pub fn localise(naive: NaiveDateTime, tz: Tz) -> DateTime<FixedOffset> {
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
