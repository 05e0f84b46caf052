//! The words of dates as pages write them: month names and abbreviations in twelve languages,
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
    // Polish (nominative and genitive)
    ("styczeń", "Jan"),
    ("stycznia", "Jan"),
    ("sty", "Jan"),
    ("luty", "Feb"),
    ("lutego", "Feb"),
    ("lut", "Feb"),
    ("marzec", "Mar"),
    ("marca", "Mar"),
    ("kwiecień", "Apr"),
    ("kwietnia", "Apr"),
    ("kwi", "Apr"),
    ("maj", "May"),
    ("maja", "May"),
    ("czerwiec", "Jun"),
    ("czerwca", "Jun"),
    ("cze", "Jun"),
    ("lipiec", "Jul"),
    ("lipca", "Jul"),
    ("lip", "Jul"),
    ("sierpień", "Aug"),
    ("sierpnia", "Aug"),
    ("wrzesień", "Sep"),
    ("września", "Sep"),
    ("wrz", "Sep"),
    ("październik", "Oct"),
    ("października", "Oct"),
    ("paź", "Oct"),
    ("listopad", "Nov"),
    ("listopada", "Nov"),
    ("lis", "Nov"),
    ("grudzień", "Dec"),
    ("grudnia", "Dec"),
    ("gru", "Dec"),
    // Greek (nominative and genitive, looked up without accents)
    ("ιανουαριος", "Jan"),
    ("ιανουαριου", "Jan"),
    ("ιαν", "Jan"),
    ("φεβρουαριος", "Feb"),
    ("φεβρουαριου", "Feb"),
    ("φεβ", "Feb"),
    ("μαρτιος", "Mar"),
    ("μαρτιου", "Mar"),
    ("μαρ", "Mar"),
    ("απριλιος", "Apr"),
    ("απριλιου", "Apr"),
    ("απρ", "Apr"),
    ("μαιος", "May"),
    ("μαιου", "May"),
    ("μαι", "May"),
    ("ιουνιος", "Jun"),
    ("ιουνιου", "Jun"),
    ("ιουν", "Jun"),
    ("ιουλιος", "Jul"),
    ("ιουλιου", "Jul"),
    ("ιουλ", "Jul"),
    ("αυγουστος", "Aug"),
    ("αυγουστου", "Aug"),
    ("αυγ", "Aug"),
    ("σεπτεμβριος", "Sep"),
    ("σεπτεμβριου", "Sep"),
    ("σεπ", "Sep"),
    ("οκτωβριος", "Oct"),
    ("οκτωβριου", "Oct"),
    ("οκτ", "Oct"),
    ("νοεμβριος", "Nov"),
    ("νοεμβριου", "Nov"),
    ("νοε", "Nov"),
    ("δεκεμβριος", "Dec"),
    ("δεκεμβριου", "Dec"),
    ("δεκ", "Dec"),
    // Arabic (Egyptian and Levantine one-word names; two-word ones are phrases in `calendars`)
    ("يناير", "Jan"),
    ("فبراير", "Feb"),
    ("مارس", "Mar"),
    ("أبريل", "Apr"),
    ("ابريل", "Apr"),
    ("إبريل", "Apr"),
    ("مايو", "May"),
    ("يونيو", "Jun"),
    ("يونيه", "Jun"),
    ("يوليو", "Jul"),
    ("يوليه", "Jul"),
    ("أغسطس", "Aug"),
    ("اغسطس", "Aug"),
    ("سبتمبر", "Sep"),
    ("أكتوبر", "Oct"),
    ("اكتوبر", "Oct"),
    ("نوفمبر", "Nov"),
    ("ديسمبر", "Dec"),
    ("شباط", "Feb"),
    ("آذار", "Mar"),
    ("نيسان", "Apr"),
    ("أيار", "May"),
    ("حزيران", "Jun"),
    ("تموز", "Jul"),
    ("آب", "Aug"),
    ("أيلول", "Sep"),
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
    "poniedziałek",
    "wtorek",
    "środa",
    "czwartek",
    "piątek",
    "sobota",
    "niedziela",
    "δευτερα",
    "τριτη",
    "τεταρτη",
    "πεμπτη",
    "παρασκευη",
    "σαββατο",
    "κυριακη",
    "الاثنين",
    "الثلاثاء",
    "الأربعاء",
    "الخميس",
    "الجمعة",
    "السبت",
    "الأحد",
    "at",
    "on",
    "um",
    "uhr",
    "à",
    "alle",
    "às",
    "om",
    "r",
    "roku",
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
    let lower: &str = &without_greek_accents(&lower);
    if DROPPED.contains(lower) {
        return None;
    }
    Some(
        MONTH_NAMES
            .get(lower)
            .map_or_else(|| core.to_string(), |english| (*english).to_string()),
    )
}

/// Greek lower-case letters without their accents (`μαΐου` → `μαιου`): pages write month
/// names with and without them, and in capitals without.
fn without_greek_accents(lower: &str) -> std::borrow::Cow<'_, str> {
    if !lower.chars().any(|c| ('\u{370}'..='\u{3FF}').contains(&c)) {
        return std::borrow::Cow::Borrowed(lower);
    }
    std::borrow::Cow::Owned(
        lower
            .chars()
            .map(|c| match c {
                'ά' => 'α',
                'έ' => 'ε',
                'ή' => 'η',
                'ί' | 'ϊ' | 'ΐ' => 'ι',
                'ό' => 'ο',
                'ύ' | 'ϋ' | 'ΰ' => 'υ',
                'ώ' => 'ω',
                other => other,
            })
            .collect(),
    )
}

/// Separators that stand between a date and its time or the words after it
/// (`aprile 25, 2016 - 5:47 pm`, `18 marzo, 2016 | Lorena`).
const SEPARATORS: &[&str] = &["-", "–", "—", "|", "@", "·", "•", "/"];

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

/// A word in brackets with no digit in it: a weekday (`(火)`, `（水）`, `(Tue)`).
fn is_bracketed_word(word: &str) -> bool {
    let inner = word
        .strip_prefix(['(', '（'])
        .and_then(|rest| rest.strip_suffix([')', '）']));
    inner.is_some_and(|inner| !inner.is_empty() && !inner.chars().any(|c| c.is_ascii_digit()))
}

/// Collapses whitespace, drops ordinal suffixes ("25th" → "25") and reads "Sept" as "Sep".
pub(super) fn normalise(text: &str) -> String {
    let words: Vec<String> = text
        .split_whitespace()
        .filter(|word| !SEPARATORS.contains(word) && !is_bracketed_word(word))
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
