//! What the page says about itself: its title, language, own feeds, a likely time zone, and
//! whether its content is built by scripts.

use scraper::{Html, Selector};
use url::Url;

use crate::text::text_of;

/// Facts about a listing page that go into a proposed block.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PageFacts {
    /// The page's `<title>`, cleaned.
    pub title: Option<String>,
    /// The language `<html lang>` names, when the page's text is written in its script.
    pub language: Option<String>,
    /// The page's own feeds (`<link rel="alternate" type="application/rss+xml">`), resolved
    /// against `base`.
    pub feeds: Vec<String>,
    /// A likely time zone, from the language's region or the site's country domain.
    pub timezone: Option<&'static str>,
    /// Whether the page looks like a script-built app shell (little text, a mount point).
    pub scripted: bool,
}

/// Time zones of countries with one, by ISO 3166 code (country domains and language regions).
const ZONES: &[(&str, &str)] = &[
    ("at", "Europe/Vienna"),
    ("be", "Europe/Brussels"),
    ("bg", "Europe/Sofia"),
    ("ch", "Europe/Zurich"),
    ("cn", "Asia/Shanghai"),
    ("cz", "Europe/Prague"),
    ("de", "Europe/Berlin"),
    ("dk", "Europe/Copenhagen"),
    ("ee", "Europe/Tallinn"),
    ("es", "Europe/Madrid"),
    ("fi", "Europe/Helsinki"),
    ("fr", "Europe/Paris"),
    ("gb", "Europe/London"),
    ("gr", "Europe/Athens"),
    ("hk", "Asia/Hong_Kong"),
    ("hr", "Europe/Zagreb"),
    ("hu", "Europe/Budapest"),
    ("ie", "Europe/Dublin"),
    ("il", "Asia/Jerusalem"),
    ("in", "Asia/Kolkata"),
    ("is", "Atlantic/Reykjavik"),
    ("it", "Europe/Rome"),
    ("jp", "Asia/Tokyo"),
    ("kr", "Asia/Seoul"),
    ("lt", "Europe/Vilnius"),
    ("lu", "Europe/Luxembourg"),
    ("lv", "Europe/Riga"),
    ("mn", "Asia/Ulaanbaatar"),
    ("nl", "Europe/Amsterdam"),
    ("no", "Europe/Oslo"),
    ("nz", "Pacific/Auckland"),
    ("ph", "Asia/Manila"),
    ("pl", "Europe/Warsaw"),
    ("pt", "Europe/Lisbon"),
    ("ro", "Europe/Bucharest"),
    ("rs", "Europe/Belgrade"),
    ("se", "Europe/Stockholm"),
    ("sg", "Asia/Singapore"),
    ("si", "Europe/Ljubljana"),
    ("sk", "Europe/Bratislava"),
    ("th", "Asia/Bangkok"),
    ("tr", "Europe/Istanbul"),
    ("tw", "Asia/Taipei"),
    ("ua", "Europe/Kyiv"),
    ("uk", "Europe/London"),
    ("vn", "Asia/Ho_Chi_Minh"),
    ("za", "Africa/Johannesburg"),
];

/// Countries of languages spoken mostly in one time zone, for a `lang` without a region.
const LANGUAGE_COUNTRIES: &[(&str, &str)] = &[
    ("bg", "bg"),
    ("cs", "cz"),
    ("da", "dk"),
    ("de", "de"),
    ("el", "gr"),
    ("et", "ee"),
    ("fi", "fi"),
    ("fr", "fr"),
    ("he", "il"),
    ("hr", "hr"),
    ("hu", "hu"),
    ("is", "is"),
    ("it", "it"),
    ("ja", "jp"),
    ("ko", "kr"),
    ("lt", "lt"),
    ("lv", "lv"),
    ("nb", "no"),
    ("nl", "nl"),
    ("nn", "no"),
    ("no", "no"),
    ("pl", "pl"),
    ("ro", "ro"),
    ("sk", "sk"),
    ("sl", "si"),
    ("sv", "se"),
    ("th", "th"),
    ("tr", "tr"),
    ("uk", "ua"),
    ("vi", "vn"),
    ("zh", "cn"),
];

fn zone_of(country: &str) -> Option<&'static str> {
    let country = country.to_ascii_lowercase();
    ZONES
        .iter()
        .find(|(code, _)| *code == country)
        .map(|(_, zone)| *zone)
}

/// The script a language is written in, when not Latin.
fn script_of(language: &str) -> Option<fn(char) -> bool> {
    let primary = language.split(['-', '_']).next()?.to_ascii_lowercase();
    let script: fn(char) -> bool = match primary.as_str() {
        "el" => |c| ('\u{370}'..='\u{3ff}').contains(&c),
        "ru" | "uk" | "bg" | "sr" | "mk" | "be" | "mn" | "kk" => {
            |c| ('\u{400}'..='\u{4ff}').contains(&c)
        }
        "zh" | "ja" => |c| ('\u{3040}'..='\u{9fff}').contains(&c),
        "ko" => {
            |c| ('\u{ac00}'..='\u{d7af}').contains(&c) || ('\u{1100}'..='\u{11ff}').contains(&c)
        }
        "ar" | "fa" | "ur" => |c| ('\u{600}'..='\u{6ff}').contains(&c),
        "he" => |c| ('\u{590}'..='\u{5ff}').contains(&c),
        "th" => |c| ('\u{e00}'..='\u{e7f}').contains(&c),
        _ => |c| c.is_ascii_alphabetic() || ('\u{c0}'..='\u{24f}').contains(&c),
    };
    Some(script)
}

/// Whether most letters of `text` are in the script `language` is written in.
fn written_in(text: &str, language: &str) -> bool {
    let Some(script) = script_of(language) else {
        return true;
    };
    let letters: Vec<char> = text.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() {
        return true;
    }
    letters.iter().filter(|c| script(**c)).count() * 2 >= letters.len()
}

impl PageFacts {
    /// Reads the facts of the page `html` at `url`.
    pub fn read(html: &str, url: Option<&Url>) -> Self {
        let Ok(document) = crate::extract::parse_html(html) else {
            return Self::default();
        };
        Self::of(&document, url)
    }

    fn of(document: &Html, url: Option<&Url>) -> Self {
        let select = |css: &str| Selector::parse(css).ok();
        let body_text = select("body")
            .and_then(|s| document.select(&s).next().map(text_of))
            .unwrap_or_default();
        let title = select("head title")
            .and_then(|s| document.select(&s).next().map(text_of))
            .filter(|t| !t.is_empty());
        let language = document
            .root_element()
            .value()
            .attr("lang")
            .or_else(|| document.root_element().value().attr("xml:lang"))
            .map(str::trim)
            .filter(|l| {
                !l.is_empty()
                    && l.len() <= 35
                    && l.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .map(|l| l.replace('_', "-"))
            .filter(|l| written_in(&body_text, l));
        let base = url
            .map(|u| crate::extract::document_base(document, u))
            .or_else(|| url.cloned());
        let feeds = select("link[rel~='alternate'][href]")
            .map(|s| {
                document
                    .select(&s)
                    .filter(|e| {
                        e.value().attr("type").is_some_and(|t| {
                            let t = t.trim().to_ascii_lowercase();
                            t == "application/rss+xml"
                                || t == "application/atom+xml"
                                || t == "application/feed+json"
                                || t == "application/json+feed"
                        })
                    })
                    .filter_map(|e| e.value().attr("href"))
                    .filter_map(|href| match &base {
                        Some(base) => base.join(href.trim()).ok().map(String::from),
                        None => Some(href.trim().to_string()),
                    })
                    .fold(Vec::new(), |mut all, feed| {
                        if !all.contains(&feed) && all.len() < 10 {
                            all.push(feed);
                        }
                        all
                    })
            })
            .unwrap_or_default();
        let timezone = language
            .as_deref()
            .and_then(|l| {
                let mut parts = l.split('-');
                let primary = parts.next()?.to_ascii_lowercase();
                match parts.find(|p| p.len() == 2) {
                    Some(region) => zone_of(region),
                    None => LANGUAGE_COUNTRIES
                        .iter()
                        .find(|(code, _)| *code == primary)
                        .and_then(|(_, country)| zone_of(country)),
                }
            })
            .or_else(|| {
                let host = url?.host_str()?;
                zone_of(host.rsplit('.').next()?)
            });
        let mount = select("#root, #app, #__next, #__nuxt, [ng-app], [data-reactroot], app-root")
            .is_some_and(|s| document.select(&s).next().is_some());
        let scripts = select("script")
            .map(|s| document.select(&s).count())
            .unwrap_or(0);
        let scripted = body_text.chars().count() < 400 && (mount || scripts > 0);
        PageFacts {
            title,
            language,
            feeds,
            timezone,
            scripted,
        }
    }
}
