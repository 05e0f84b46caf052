//! The configuration as written: serde shapes of `config.toml`, before any check. Unknown keys
//! are errors (`deny_unknown_fields`); values keep their spans for messages.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use crate::spec::{Format, SummaryFormat};

/// `format`: what the listing page is.
#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum RawPageFormat {
    /// HTML, read with CSS selectors.
    #[default]
    Html,
    /// JSON, read with JSONPaths.
    Json,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) output: RawOutput,
    #[serde(default)]
    pub(super) fetch: RawFetch,
    #[serde(rename = "feed", default)]
    pub(super) feeds: Vec<RawFeed>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOutput {
    pub(super) dir: Option<String>,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) state: Option<Spanned<String>>,
    pub(super) formats: Option<Spanned<Vec<Format>>>,
    pub(super) websub_hub: Option<Spanned<String>>,
    pub(super) on_change: Option<Spanned<Vec<String>>>,
}

/// `[fetch]`: run-wide settings and defaults for the per-feed ones.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) host_delay: Option<Spanned<Seconds>>,
    pub(super) retries: Option<Spanned<i64>>,
    pub(super) retry_time: Option<Spanned<Seconds>>,
    pub(super) run_timeout: Option<Spanned<Seconds>>,
    pub(super) feed_timeout: Option<Spanned<Seconds>>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) contact: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<Seconds>>,
    pub(super) timeout: Option<Spanned<Seconds>>,
    pub(super) max_body_bytes: Option<Spanned<i64>>,
    pub(super) robots_txt: Option<bool>,
    pub(super) allow_internal: Option<Spanned<Vec<String>>>,
}

/// A duration: seconds written as an integer or a decimal, or a string such as `"90s"`,
/// `"30m"` or `"1h30m"`.
#[derive(Clone, Copy)]
pub(super) struct Seconds(pub(super) f64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SecondsVisitor;
        impl serde::de::Visitor<'_> for SecondsVisitor {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a number of seconds or a duration such as \"90s\", \"30m\" or \"1h30m\"",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Seconds, E> {
                super::duration::parse_duration(v)
                    .map(|d| Seconds(d.as_secs_f64()))
                    .map_err(E::custom)
            }
            #[expect(
                clippy::cast_precision_loss,
                reason = "a number of seconds beyond 2^52 is out of range whatever it rounds to"
            )]
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Seconds, E> {
                Ok(Seconds(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Seconds, E> {
                Ok(Seconds(v))
            }
        }
        deserializer.deserialize_any(SecondsVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeed {
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<String>,
    pub(super) description: Option<String>,
    pub(super) language: Option<Spanned<String>>,
    pub(super) url: Spanned<super::listing::RawUrls>,
    pub(super) source: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) format: RawPageFormat,
    pub(super) embedded: Option<Spanned<String>>,
    pub(super) author: Option<String>,
    pub(super) timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) date_formats: Vec<Spanned<String>>,
    pub(super) max_items: Option<Spanned<i64>>,
    #[serde(default)]
    pub(super) summary_format: SummaryFormat,
    pub(super) encoding: Option<Spanned<String>>,
    pub(super) keep_days: Option<Spanned<i64>>,
    pub(super) min_item_share: Option<Spanned<f64>>,
    pub(super) future_dates: Option<bool>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<Seconds>>,
    pub(super) timeout: Option<Spanned<Seconds>>,
    pub(super) max_body_bytes: Option<Spanned<i64>>,
    pub(super) feed_timeout: Option<Spanned<Seconds>>,
    pub(super) robots_txt: Option<bool>,
    pub(super) formats: Option<Spanned<Vec<Format>>>,
    pub(super) pagination: Option<Spanned<RawPagination>>,
    pub(super) detail: Option<RawDetail>,
    pub(super) on_change: Option<Spanned<Vec<String>>>,
    pub(super) render: Option<Spanned<String>>,
    pub(super) wait_for: Option<Spanned<String>>,
    pub(super) selectors: RawSelectors,
    pub(super) filter: Option<Spanned<RawFilter>>,
    pub(super) request: Option<RawRequest>,
}

/// `[feed.filter]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    pub(super) fields: Option<Spanned<Vec<crate::spec::FilterField>>>,
}

/// `[feed.request]` as written: headers and cookies, each a table of name to value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequest {
    #[serde(default)]
    pub(super) headers: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    pub(super) cookies: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelectors {
    pub(super) item: Spanned<String>,
    pub(super) title: Spanned<RawField>,
    pub(super) link: Spanned<RawField>,
    pub(super) date: Option<Spanned<RawField>>,
    pub(super) summary: Option<Spanned<RawField>>,
    pub(super) image: Option<Spanned<RawField>>,
    pub(super) author: Option<Spanned<RawField>>,
    pub(super) category: Option<Spanned<RawField>>,
    pub(super) enclosure: Option<Spanned<RawField>>,
}

/// `[feed.detail]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDetail {
    pub(super) content: Option<Spanned<RawField>>,
    pub(super) date: Option<Spanned<RawField>>,
    pub(super) summary: Option<Spanned<RawField>>,
    pub(super) author: Option<Spanned<RawField>>,
    pub(super) image: Option<Spanned<RawField>>,
}

/// `[feed.pagination]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPagination {
    pub(super) next: Option<String>,
    pub(super) pattern: Option<String>,
    pub(super) step: Option<i64>,
    pub(super) max_pages: Option<i64>,
}

/// A field selector as written: `"css"` or `{ selector = "css", attr = "name", regex = "…" }`,
/// or outside the item: `"+ css"`, `"~ css"`, `{ before = "css" }`, `{ from = "link" }`.
pub(super) struct RawField {
    pub(super) selector: Option<String>,
    pub(super) attr: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) before: Option<String>,
    pub(super) from: Option<String>,
    /// `type`: an enclosure's media type.
    pub(super) mime_type: Option<String>,
    /// `replace = [["pattern", "replacement"], …]`: each pair checked when compiled.
    pub(super) replace: Option<Vec<Spanned<toml::Value>>>,
    pub(super) template: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFieldTable {
    pub(super) selector: Option<String>,
    pub(super) attr: Option<String>,
    pub(super) regex: Option<String>,
    pub(super) before: Option<String>,
    pub(super) from: Option<String>,
    #[serde(rename = "type")]
    pub(super) mime_type: Option<String>,
    /// `replace = [["pattern", "replacement"], …]`: each pair checked when compiled.
    pub(super) replace: Option<Vec<Spanned<toml::Value>>>,
    pub(super) template: Option<Spanned<String>>,
}

impl<'de> Deserialize<'de> for RawField {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl<'de> serde::de::Visitor<'de> for FieldVisitor {
            type Value = RawField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a CSS selector string or a table { selector = \"...\", attr = \"...\" }",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawField, E> {
                Ok(RawField {
                    selector: Some(v.to_string()),
                    attr: None,
                    regex: None,
                    before: None,
                    from: None,
                    mime_type: None,
                    replace: None,
                    template: None,
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawField, A::Error> {
                let table =
                    RawFieldTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(RawField {
                    selector: table.selector,
                    attr: table.attr,
                    regex: table.regex,
                    before: table.before,
                    from: table.from,
                    mime_type: table.mime_type,
                    replace: table.replace,
                    template: table.template,
                })
            }
        }
        deserializer.deserialize_any(FieldVisitor)
    }
}
