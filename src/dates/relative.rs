//! Dates read against the time the page was read: relative dates ("3 hours ago",
//! "yesterday", "26分钟前", "vor 2 Tagen") and dates without a year.

use chrono::format::Parsed;
use chrono::{DateTime, Datelike, FixedOffset, NaiveTime, SubsecRound as _, Utc};
use chrono_tz::Tz;

use super::{DateFormat, localise};

/// Formats without a year: the year is the one that puts the date nearest the run without
/// being in its future.
const YEARLESS_FORMATS: &[&str] = &[
    "%d %B",
    "%B %d",
    "%d. %B",
    "%m-%d",
    "%m-%d %H:%M",
    "%m-%d %I:%M %p",
    "%m-%d %I:%M%p",
    "%d %B %H:%M",
    "%B %d %H:%M",
];

/// A date without a year (`25 avril`, `4月25日`, `March 3`) in the year that puts it nearest
/// `now` without being in its future (with `ahead`, the year that puts it nearest `now`: an
/// events page): by the feed's `own` formats that have no year, then the common year-less
/// forms.
pub(super) fn parse_yearless(
    text: &str,
    own: &[DateFormat],
    tz: Tz,
    (now, ahead): (DateTime<Utc>, bool),
) -> Option<DateTime<FixedOffset>> {
    static FORMATS: std::sync::LazyLock<Vec<DateFormat>> =
        std::sync::LazyLock::new(|| DateFormat::compile_all(YEARLESS_FORMATS));
    let today = now.with_timezone(&tz).date_naive();
    let own = own.iter().filter(|format| !format.has_year());
    own.chain(FORMATS.iter()).find_map(|format| {
        let mut parsed = Parsed::new();
        format.parse_into(&mut parsed, text)?;
        let (month, day) = (parsed.month()?, parsed.day()?);
        let time = match parsed.hour_div_12() {
            Some(_) => parsed.to_naive_time().ok()?,
            None => NaiveTime::MIN,
        };
        let on = |year| chrono::NaiveDate::from_ymd_opt(year, month, day);
        if ahead {
            // The nearest of last year, this year and next year.
            let nearest = [today.year() - 1, today.year(), today.year() + 1]
                .into_iter()
                .filter_map(on)
                .min_by_key(|date| (*date - today).num_days().abs())?;
            return Some(localise(nearest.and_time(time), tz));
        }
        // This year, unless that is in the future (allowing a day for time zones): last year.
        [today.year(), today.year() - 1]
            .into_iter()
            .find_map(|year| {
                let date = on(year)?;
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

/// "Yesterday, 13:41", "Gestern, 13:41 Uhr", "today at 9:30 am": that day at that time.
fn day_and_time(lower: &str, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let (word, days) = DAYS_BACK
        .iter()
        .filter(|(word, _)| lower.len() > word.len() && lower.starts_with(word))
        .max_by_key(|(word, _)| word.len())?;
    let rest = lower[word.len()..].trim_start_matches(|c: char| c == ',' || c.is_whitespace());
    let rest = ["um ", "at ", "à ", "alle ", "a las ", "às ", "om "]
        .iter()
        .fold(rest, |rest, filler| {
            rest.strip_prefix(filler).unwrap_or(rest)
        });
    let rest = rest.trim_end_matches(" uhr").trim_end_matches(" h").trim();
    let time = ["%H:%M", "%I:%M %p", "%I:%M%p", "%H.%M"]
        .iter()
        .find_map(|format| NaiveTime::parse_from_str(rest, format).ok())?;
    let day = now.with_timezone(&tz).date_naive() - chrono::Days::new(*days);
    Some(localise(day.and_time(time), tz))
}

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
    if let Some(date) = day_and_time(lower, tz, now) {
        return Some(date);
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
