//! Dates in other calendars' years and other scripts' digits, rewritten into Gregorian years
//! and ASCII digits before the common forms are tried: Japanese eras (`令和6年`, `平成元年`),
//! Minguo years (`民國113年`, `113/03/05`), Thai Buddhist-era years (`5 มีนาคม 2567`), Arabic
//! month names (Egyptian and Levantine) and Arabic-Indic digits.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Japanese eras and the Gregorian year of their first year (`元年`).
const JAPANESE_ERAS: &[(&str, i32)] = &[
    ("令和", 2019),
    ("平成", 1989),
    ("昭和", 1926),
    ("大正", 1912),
    ("明治", 1868),
];

/// The first Minguo year (`民國1年`) is 1912.
const MINGUO_OFFSET: i32 = 1911;

/// A Buddhist-era year is the Gregorian year plus 543.
const BUDDHIST_OFFSET: i32 = 543;

/// Thai month names, full and abbreviated, with the English abbreviation chrono reads. The
/// abbreviations carry dots, so they are replaced as phrases, longest first.
const THAI_MONTHS: &[(&str, &str)] = &[
    ("มกราคม", "Jan"),
    ("กุมภาพันธ์", "Feb"),
    ("มีนาคม", "Mar"),
    ("เมษายน", "Apr"),
    ("พฤษภาคม", "May"),
    ("มิถุนายน", "Jun"),
    ("กรกฎาคม", "Jul"),
    ("สิงหาคม", "Aug"),
    ("กันยายน", "Sep"),
    ("ตุลาคม", "Oct"),
    ("พฤศจิกายน", "Nov"),
    ("ธันวาคม", "Dec"),
    ("ม.ค.", "Jan"),
    ("ก.พ.", "Feb"),
    ("มี.ค.", "Mar"),
    ("เม.ย.", "Apr"),
    ("พ.ค.", "May"),
    ("มิ.ย.", "Jun"),
    ("ก.ค.", "Jul"),
    ("ส.ค.", "Aug"),
    ("ก.ย.", "Sep"),
    ("ต.ค.", "Oct"),
    ("พ.ย.", "Nov"),
    ("ธ.ค.", "Dec"),
];

/// Arabic month names written as two words (Levantine), replaced as phrases before the
/// one-word names.
const ARABIC_PHRASES: &[(&str, &str)] = &[
    ("كانون الثاني", "Jan"),
    ("كانون الأول", "Dec"),
    ("تشرين الأول", "Oct"),
    ("تشرين الثاني", "Nov"),
];

/// Rewrites the era years, Thai and Arabic words and digits of `text`; other text is
/// returned as it is.
pub(super) fn gregorian(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = Cow::Borrowed(text);
    if out
        .chars()
        .any(|c| ('\u{660}'..='\u{669}').contains(&c) || ('\u{6F0}'..='\u{6F9}').contains(&c))
    {
        out = Cow::Owned(ascii_digits(&out));
    }
    if out.contains(['年', '國', '国']) {
        out = Cow::Owned(era_years(&out));
    }
    if out.chars().any(|c| ('\u{E00}'..='\u{E7F}').contains(&c)) {
        out = Cow::Owned(thai(&out));
    }
    if out.chars().any(|c| ('\u{600}'..='\u{6FF}').contains(&c)) {
        let mut text = out.into_owned().replace('،', ",");
        for (phrase, english) in ARABIC_PHRASES {
            text = text.replace(phrase, english);
        }
        out = Cow::Owned(text);
    }
    out
}

/// A Minguo date written with slashes or dots and a three-digit year (`113/03/05`), as a
/// Gregorian one (`2024/03/05`); `None` for anything else. Two-digit years are left alone:
/// they are as likely a day or a month.
pub(super) fn minguo_numeric(text: &str) -> Option<String> {
    static MINGUO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(1\d\d)([/.-])(\d{1,2})([/.-])(\d{1,2})(\s.*)?$").expect("a valid regex")
    });
    let caps = MINGUO.captures(text)?;
    if caps[2] != caps[4] {
        return None;
    }
    let year: i32 = caps[1].parse().ok()?;
    Some(format!(
        "{}/{}/{}{}",
        year + MINGUO_OFFSET,
        &caps[3],
        &caps[5],
        caps.get(6).map_or("", |rest| rest.as_str())
    ))
}

/// Arabic-Indic and Persian digits as ASCII ones.
fn ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| {
            let zero = match c {
                '\u{660}'..='\u{669}' => 0x660,
                '\u{6F0}'..='\u{6F9}' => 0x6F0,
                _ => return c,
            };
            char::from_digit(u32::from(c) - zero, 10).unwrap_or(c)
        })
        .collect()
}

/// `令和6年`, `平成元年`, `民國113年`, `民国 113 年` as Gregorian `2024年`, `1989年`.
fn era_years(text: &str) -> String {
    static ERA: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(令和|平成|昭和|大正|明治|民國|民国)\s*(元|\d{1,3})\s*年")
            .expect("a valid regex")
    });
    ERA.replace_all(text, |caps: &regex::Captures<'_>| {
        let number = match &caps[2] {
            "元" => 1,
            digits => digits.parse::<i32>().unwrap_or(0),
        };
        let first = match &caps[1] {
            "民國" | "民国" => MINGUO_OFFSET + 1,
            era => JAPANESE_ERAS
                .iter()
                .find(|(name, _)| *name == era)
                .map_or(0, |(_, first)| *first),
        };
        // A year 0 of an era is no year; left as written, it matches nothing.
        if number == 0 {
            return caps[0].to_string();
        }
        format!("{}年", first + number - 1)
    })
    .into_owned()
}

/// Thai month names as English ones, `พ.ศ.` dropped, and a Buddhist-era year (2400 or later)
/// as a Gregorian one.
fn thai(text: &str) -> String {
    static YEAR: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(2[4-9]\d\d)\b").expect("a valid regex"));
    let mut text = text.replace("พ.ศ.", " ");
    for (thai, english) in THAI_MONTHS {
        // Spaces keep the name apart from digits written against it.
        text = text.replace(thai, &format!(" {english} "));
    }
    YEAR.replace_all(&text, |caps: &regex::Captures<'_>| {
        caps[1].parse::<i32>().map_or_else(
            |_| caps[0].to_string(),
            |be| (be - BUDDHIST_OFFSET).to_string(),
        )
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn era_years_become_gregorian_years() {
        let cases = [
            ("令和6年3月5日", "2024年3月5日"),
            ("令和元年5月1日", "2019年5月1日"),
            ("平成31年4月30日", "2019年4月30日"),
            ("平成元年1月8日", "1989年1月8日"),
            ("昭和64年1月7日", "1989年1月7日"),
            ("民國113年3月5日", "2024年3月5日"),
            ("民国 113 年 3 月 5 日", "2024年 3 月 5 日"),
            ("令和0年3月5日", "令和0年3月5日"),
        ];
        for (text, want) in cases {
            assert_eq!(gregorian(text), want, "{text}");
        }
        assert_eq!(minguo_numeric("113/03/05").as_deref(), Some("2024/03/05"));
        assert_eq!(minguo_numeric("113.3.5").as_deref(), Some("2024/3/5"));
        assert_eq!(minguo_numeric("113/03-05"), None);
        assert_eq!(minguo_numeric("13/03/05"), None);
        assert_eq!(minguo_numeric("2024/03/05"), None);
    }

    #[test]
    fn thai_and_arabic_words_and_digits() {
        assert_eq!(
            gregorian("5 มีนาคม 2567")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["5", "Mar", "2024"]
        );
        assert_eq!(
            gregorian("5 มี.ค. พ.ศ. 2567")
                .split_whitespace()
                .collect::<Vec<_>>(),
            ["5", "Mar", "2024"]
        );
        assert_eq!(gregorian("٥ مارس ٢٠٢٤"), "5 مارس 2024");
        assert_eq!(gregorian("5 كانون الثاني، 2024"), "5 Jan, 2024");
        assert_eq!(gregorian("March 5, 2024"), "March 5, 2024");
    }
}
