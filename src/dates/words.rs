//! The words of dates as pages write them: month names and abbreviations in eight languages,
//! weekday and filler words that are dropped, ordinal suffixes, and CJK year-month-day marks,
//! all rewritten into the English forms chrono reads.

use std::collections::{HashMap, HashSet};

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
pub(super) fn cjk_as_dashes(text: &str) -> String {
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

/// Collapses whitespace, drops ordinal suffixes ("25th" → "25") and reads "Sept" as "Sep".
pub(super) fn normalise(text: &str) -> String {
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
