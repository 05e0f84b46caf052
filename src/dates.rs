//! Date parsing: the feed's own formats first, then the forms listing pages commonly use.
//!
//! A value without a time is midnight in the feed's time zone; one without a zone is read in it.

use chrono::format::{Parsed, StrftimeItems, parse};
use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDateTime, NaiveTime, SubsecRound as _,
    TimeZone, Utc,
};
use std::collections::{HashMap, HashSet};

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

/// Month names and abbreviations in the languages pressfeed reads, lower case, with the
/// English abbreviation chrono knows. English names need no entry.
const MONTHS: &[(&str, &str)] = &[
    // French
    ("janvier", "Jan"),
    ("janv", "Jan"),
    ("février", "Feb"),
    ("fevrier", "Feb"),
    ("févr", "Feb"),
    ("fév", "Feb"),
    ("mars", "Mar"),
    ("avril", "Apr"),
    ("avr", "Apr"),
    ("juin", "Jun"),
    ("juillet", "Jul"),
    ("juil", "Jul"),
    ("août", "Aug"),
    ("aout", "Aug"),
    ("septembre", "Sep"),
    ("octobre", "Oct"),
    ("novembre", "Nov"),
    ("décembre", "Dec"),
    ("decembre", "Dec"),
    ("déc", "Dec"),
    // Spanish
    ("enero", "Jan"),
    ("ene", "Jan"),
    ("febrero", "Feb"),
    ("marzo", "Mar"),
    ("abril", "Apr"),
    ("abr", "Apr"),
    ("mayo", "May"),
    ("junio", "Jun"),
    ("julio", "Jul"),
    ("agosto", "Aug"),
    ("ago", "Aug"),
    ("septiembre", "Sep"),
    ("setiembre", "Sep"),
    ("octubre", "Oct"),
    ("noviembre", "Nov"),
    ("diciembre", "Dec"),
    ("dic", "Dec"),
    // German
    ("januar", "Jan"),
    ("jänner", "Jan"),
    ("jän", "Jan"),
    ("februar", "Feb"),
    ("märz", "Mar"),
    ("maerz", "Mar"),
    ("mär", "Mar"),
    ("mai", "May"),
    ("juni", "Jun"),
    ("juli", "Jul"),
    ("oktober", "Oct"),
    ("okt", "Oct"),
    ("dezember", "Dec"),
    ("dez", "Dec"),
    // Portuguese
    ("janeiro", "Jan"),
    ("fevereiro", "Feb"),
    ("fev", "Feb"),
    ("março", "Mar"),
    ("marco", "Mar"),
    ("maio", "May"),
    ("junho", "Jun"),
    ("julho", "Jul"),
    ("setembro", "Sep"),
    ("set", "Sep"),
    ("outubro", "Oct"),
    ("out", "Oct"),
    ("novembro", "Nov"),
    ("dezembro", "Dec"),
    // Italian
    ("gennaio", "Jan"),
    ("gen", "Jan"),
    ("febbraio", "Feb"),
    ("aprile", "Apr"),
    ("maggio", "May"),
    ("mag", "May"),
    ("giugno", "Jun"),
    ("giu", "Jun"),
    ("luglio", "Jul"),
    ("lug", "Jul"),
    ("settembre", "Sep"),
    ("ottobre", "Oct"),
    ("ott", "Oct"),
    ("dicembre", "Dec"),
    // Dutch
    ("januari", "Jan"),
    ("februari", "Feb"),
    ("maart", "Mar"),
    ("mrt", "Mar"),
    ("mei", "May"),
    ("augustus", "Aug"),
    // Russian (nominative and genitive)
    ("январь", "Jan"),
    ("января", "Jan"),
    ("янв", "Jan"),
    ("февраль", "Feb"),
    ("февраля", "Feb"),
    ("фев", "Feb"),
    ("март", "Mar"),
    ("марта", "Mar"),
    ("мар", "Mar"),
    ("апрель", "Apr"),
    ("апреля", "Apr"),
    ("апр", "Apr"),
    ("май", "May"),
    ("мая", "May"),
    ("июнь", "Jun"),
    ("июня", "Jun"),
    ("июн", "Jun"),
    ("июль", "Jul"),
    ("июля", "Jul"),
    ("июл", "Jul"),
    ("август", "Aug"),
    ("августа", "Aug"),
    ("авг", "Aug"),
    ("сентябрь", "Sep"),
    ("сентября", "Sep"),
    ("сен", "Sep"),
    ("сент", "Sep"),
    ("октябрь", "Oct"),
    ("октября", "Oct"),
    ("окт", "Oct"),
    ("ноябрь", "Nov"),
    ("ноября", "Nov"),
    ("ноя", "Nov"),
    ("декабрь", "Dec"),
    ("декабря", "Dec"),
    ("дек", "Dec"),
];

/// Weekday names in those languages (dropped: the date says the day) and small words that
/// sit between a date's parts ("3 de marzo de 2024", "2024 г.").
const DROPPED_WORDS: &[&str] = &[
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "lunes",
    "martes",
    "miércoles",
    "miercoles",
    "jueves",
    "viernes",
    "sábado",
    "sabado",
    "domingo",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonnabend",
    "sonntag",
    "segunda-feira",
    "terça-feira",
    "quarta-feira",
    "quinta-feira",
    "sexta-feira",
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "понедельник",
    "вторник",
    "среда",
    "четверг",
    "пятница",
    "суббота",
    "воскресенье",
    "de",
    "del",
    "le",
    "den",
    "el",
    "г",
    "года",
    "год",
];

/// Reads a word of a date in English: a foreign month becomes its English abbreviation, a
/// foreign weekday or filler word disappears (`None`).
fn english_word(core: &str) -> Option<String> {
    // Numbers and English words pass through without a lookup.
    if core.is_ascii() && !core.bytes().any(|b| b.is_ascii_alphabetic()) {
        return Some(core.to_string());
    }
    static MONTH_NAMES: std::sync::LazyLock<HashMap<&'static str, &'static str>> =
        std::sync::LazyLock::new(|| MONTHS.iter().copied().collect());
    static DROPPED: std::sync::LazyLock<HashSet<&'static str>> =
        std::sync::LazyLock::new(|| DROPPED_WORDS.iter().copied().collect());
    let lower = core.to_lowercase();
    if DROPPED.contains(lower.as_str()) {
        return None;
    }
    Some(
        MONTH_NAMES
            .get(lower.as_str())
            .map_or_else(|| core.to_string(), |english| (*english).to_string()),
    )
}

/// "2014年4月25日 10:30" and "4月25日" (Chinese, Japanese; Korean 년/월/일 too) as
/// "2014-4-25 10:30" and "4-25".
fn cjk_as_dashes(text: &str) -> String {
    if !text.contains(['年', '月', '日', '년', '월', '일']) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '年' | '月' | '년' | '월' => out.push('-'),
            '日' | '号' | '일' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.replace("- ", "-").replace(" -", "-")
}

/// Formats without a year: the year is the one that puts the date nearest the run without
/// being in its future.
const YEARLESS_FORMATS: &[&str] = &[
    "%d %B",
    "%B %d",
    "%d. %B",
    "%m-%d",
    "%m-%d %H:%M",
    "%d %B %H:%M",
    "%B %d %H:%M",
];

fn parse_yearless(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let today = now.with_timezone(&tz).date_naive();
    YEARLESS_FORMATS.iter().find_map(|format| {
        let mut parsed = Parsed::new();
        parse(&mut parsed, text, StrftimeItems::new(format)).ok()?;
        let (month, day) = (parsed.month()?, parsed.day()?);
        let time = match parsed.hour_div_12() {
            Some(_) => parsed.to_naive_time().ok()?,
            None => NaiveTime::MIN,
        };
        // This year, unless that is in the future (allowing a day for time zones): last year.
        [today.year(), today.year() - 1]
            .into_iter()
            .find_map(|year| {
                let date = chrono::NaiveDate::from_ymd_opt(year, month, day)?;
                (date <= today + chrono::Days::new(1)).then(|| localise(date.and_time(time), tz))
            })
    })
}

/// Number words that stand for one ("an hour ago", "vor einer Stunde").
const ONE: &[&str] = &[
    "a", "an", "one", "ein", "eine", "einer", "einem", "un", "une", "uno", "una", "um", "uma",
    "een",
];

/// Unit stems (lower case, matched as prefixes) and their length in seconds.
const UNITS: &[(&str, i64)] = &[
    ("sec", 1),
    ("second", 1),
    ("sekunde", 1),
    ("seconde", 1),
    ("segundo", 1),
    ("secondi", 1),
    ("seconden", 1),
    ("секунд", 1),
    ("秒", 1),
    ("min", 60),
    ("minute", 60),
    ("minuto", 60),
    ("minuti", 60),
    ("minuten", 60),
    ("минут", 60),
    ("分", 60),
    ("h", 3600),
    ("hr", 3600),
    ("hour", 3600),
    ("stunde", 3600),
    ("heure", 3600),
    ("hora", 3600),
    ("ore", 3600),
    ("ora", 3600),
    ("uur", 3600),
    ("час", 3600),
    ("小时", 3600),
    ("小時", 3600),
    ("時間", 3600),
    ("d", 86_400),
    ("day", 86_400),
    ("tag", 86_400),
    ("jour", 86_400),
    ("día", 86_400),
    ("dia", 86_400),
    ("giorn", 86_400),
    ("dag", 86_400),
    ("дн", 86_400),
    ("ден", 86_400),
    ("день", 86_400),
    ("天", 86_400),
    ("日", 86_400),
    ("w", 604_800),
    ("week", 604_800),
    ("woche", 604_800),
    ("semaine", 604_800),
    ("semana", 604_800),
    ("settiman", 604_800),
    ("weken", 604_800),
    ("недел", 604_800),
    ("周", 604_800),
    ("週", 604_800),
    ("month", 2_592_000),
    ("monat", 2_592_000),
    ("mois", 2_592_000),
    ("mes", 2_592_000),
    ("mese", 2_592_000),
    ("maand", 2_592_000),
    ("месяц", 2_592_000),
    ("个月", 2_592_000),
    ("か月", 2_592_000),
    ("ヶ月", 2_592_000),
    ("y", 31_536_000),
    ("year", 31_536_000),
    ("jahr", 31_536_000),
    ("an", 31_536_000),
    ("año", 31_536_000),
    ("ano", 31_536_000),
    ("anni", 31_536_000),
    ("anno", 31_536_000),
    ("jaar", 31_536_000),
    ("год", 31_536_000),
    ("лет", 31_536_000),
    ("年", 31_536_000),
];

/// Words that make "N units" a time in the past: "ago", "vor", "il y a", "hace", "há", "fa",
/// "geleden", "назад", "前".
const AGO: &[&str] = &[
    "ago",
    "vor",
    "il y a",
    "hace",
    "há",
    "ha",
    "fa",
    "geleden",
    "назад",
    "前",
];

/// "Today" and "yesterday" in each language, with their distance in days.
const DAYS_BACK: &[(&str, u64)] = &[
    ("just now", 0),
    ("now", 0),
    ("today", 0),
    ("heute", 0),
    ("aujourd'hui", 0),
    ("hoy", 0),
    ("hoje", 0),
    ("oggi", 0),
    ("vandaag", 0),
    ("сегодня", 0),
    ("今天", 0),
    ("今日", 0),
    ("刚刚", 0),
    ("yesterday", 1),
    ("gestern", 1),
    ("hier", 1),
    ("ayer", 1),
    ("ontem", 1),
    ("ieri", 1),
    ("gisteren", 1),
    ("вчера", 1),
    ("昨天", 1),
    ("昨日", 1),
    ("day before yesterday", 2),
    ("vorgestern", 2),
    ("avant-hier", 2),
    ("anteayer", 2),
    ("l'altro ieri", 2),
    ("eergisteren", 2),
    ("позавчера", 2),
    ("前天", 2),
    ("一昨日", 2),
];

/// A relative date ("3 hours ago", "yesterday", "26分钟前", "vor 2 Tagen") as of `now`.
/// "Today" and "yesterday" are midnight of that day in `tz`; "N units ago" is `now` minus
/// that, to the minute.
pub fn parse_relative(text: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let lower = text.trim().to_lowercase();
    let lower = lower.trim_end_matches('.');
    if let Some(&(_, days)) = DAYS_BACK.iter().find(|(word, _)| *word == lower) {
        if days == 0 && matches!(lower, "just now" | "now" | "刚刚") {
            return Some(now.trunc_subsecs(0).fixed_offset());
        }
        let day = now.with_timezone(&tz).date_naive() - chrono::Days::new(days);
        return Some(localise(day.and_time(NaiveTime::MIN), tz));
    }
    if !AGO.iter().any(|word| {
        if word.chars().all(|c| c.is_alphabetic() || c == ' ') && word.is_ascii() {
            lower
                .split(|c: char| !c.is_alphabetic())
                .any(|w| w == *word)
                || (word.contains(' ') && lower.contains(word))
        } else {
            lower.contains(word)
        }
    }) {
        return None;
    }
    // The number: digits, or a word for one.
    let digits: String = lower
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let without_ago = AGO
        .iter()
        .filter(|w| w.contains(' '))
        .fold(lower.to_string(), |text, phrase| text.replace(phrase, " "));
    let words: Vec<&str> = without_ago
        .split(|c: char| c.is_whitespace() || c.is_ascii_digit() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let count: i64 = if digits.is_empty() {
        if words.iter().any(|w| ONE.contains(w)) || lower.contains('一') {
            1
        } else {
            return None;
        }
    } else {
        digits.parse().ok()?
    };
    // The unit: the first word (or, for CJK, the text after the number) a stem starts.
    let after_number: String = lower
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .skip_while(char::is_ascii_digit)
        .collect();
    let candidates = words
        .iter()
        .map(|w| w.to_string())
        .chain(std::iter::once(after_number.trim().to_string()));
    let seconds = candidates
        .filter(|w| !AGO.contains(&w.as_str()) && !ONE.contains(&w.as_str()))
        .find_map(|word| {
            UNITS
                .iter()
                // One-letter stems ("3h", "2d") only as a whole short word.
                .filter(|(stem, _)| word.starts_with(stem) && (stem.len() > 1 || word.len() <= 2))
                .max_by_key(|(stem, _)| stem.len())
                .map(|&(_, seconds)| seconds)
        })?;
    let back = chrono::TimeDelta::try_seconds(count.checked_mul(seconds)?)?;
    let when = now.checked_sub_signed(back)?;
    let minute = when.timestamp() - when.timestamp().rem_euclid(60);
    DateTime::from_timestamp(minute, 0).map(|d| d.fixed_offset())
}

/// A date text no known format matches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" matches none of the date formats tried ({tried})")]
pub struct DateError {
    /// The text as found (whitespace collapsed).
    pub text: String,
    /// The formats tried, for the message.
    pub tried: String,
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

/// Parses `text` as a date as of now; see [`parse_date_at`].
pub fn parse_date(
    text: &str,
    formats: &[String],
    tz: Tz,
) -> Result<DateTime<FixedOffset>, DateError> {
    parse_date_at(text, formats, tz, Utc::now()).map(|d| d.date)
}

/// Parses `text` as a date with `formats` (the feed's own) and then the common forms
/// (RFC 3339, RFC 2822, [`COMMON_FORMATS`]), with month and weekday names in English,
/// French, Spanish, German, Portuguese, Italian, Dutch and Russian, and Chinese, Japanese and
/// Korean year-month-day forms. Values without a zone are read in `tz`; date-only values are
/// midnight in `tz`. Relative dates ("3 hours ago", "yesterday", "26分钟前", "vor 2 Tagen")
/// and dates without a year are worked out from `now`, the time the page was read.
pub fn parse_date_at(
    text: &str,
    formats: &[String],
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<PageDate, DateError> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let cleaned = normalise(&cjk_as_dashes(&collapsed));
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
    if let Some(date) = parsed {
        return Ok(PageDate {
            date,
            inferred: false,
        });
    }
    // Relative dates are read from the text as written ("ago" is no month here).
    if let Some(date) = parse_relative(&collapsed, tz, now) {
        return Ok(PageDate {
            date,
            inferred: true,
        });
    }
    if let Some(date) = parse_yearless(&cleaned, tz, now) {
        return Ok(PageDate {
            date,
            inferred: true,
        });
    }
    match parsed {
        Some(date) => Ok(PageDate {
            date,
            inferred: false,
        }),
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
        .filter_map(|word| {
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
                && ["st", "nd", "rd", "th", "er", "e", "º", "ª", "°"]
                    .iter()
                    .any(|s| suffix.eq_ignore_ascii_case(s))
            {
                core[..digits].to_string()
            } else if core.eq_ignore_ascii_case("sept") {
                // "Sept" is common; chrono knows "Sep" and "September".
                "Sep".to_string()
            } else {
                english_word(core)?
            };
            // A dropped word's comma goes with it; a kept word keeps its own.
            Some(format!("{core}{tail}"))
        })
        .collect();
    words.join(" ")
}

/// Whether `format` (chrono `strftime`) reads `text` on its own, as `date_formats` would.
pub fn matches_format(text: &str, format: &str) -> bool {
    let cleaned = normalise(&cjk_as_dashes(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
    ));
    parse_with(&cleaned, format, Tz::UTC).is_some_and(|d| (1000..=9999).contains(&d.year()))
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
