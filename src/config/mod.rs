//! Loading and validating `config.toml`: turns text into a compiled [`Config`] once, at start.
//!
//! One file per table: [`output`] (`[output]`), [`fetch`] (`[fetch]` and the per-feed
//! overrides), [`feed`] (`[[feed]]`), [`selectors`] (`[feed.selectors]`, `[feed.detail]`),
//! [`pagination`] (`[feed.pagination]`) and [`request`] (`[feed.request]`). Every default and
//! range is in [`defaults`]. Every error names the file, the line and column, the feed and the
//! field.

pub(crate) mod defaults;
mod duration;
mod feed;
mod fetch;
mod filter;
mod listing;
mod location;
mod output;
mod pagination;
pub(crate) mod places;
mod problem;
mod raw;
mod request;
mod rewrite;
mod selectors;

use std::borrow::Cow;
use std::fmt;
use std::ops::{Range, RangeInclusive};
use std::path::{Path, PathBuf};

use toml::Spanned;

use crate::spec::{Config, FeedSpec, Origin};

pub use duration::parse_duration;
pub use listing::ListingProblem;
pub use location::Location;
use location::{Document, shown_path};
pub use places::{ConfigSource, DefaultPlaces, Environment, FoundConfig, NoConfig};
pub use problem::Problem;
use raw::RawConfig;
pub use request::RequestProblem;

/// What can go wrong loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {}", shown_path(path))]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the expected shape.
    #[error("{location}{}: {}", FieldLabel(field.as_deref()), error.message().trim())]
    Syntax {
        /// Where the error is.
        location: Box<Location>,
        /// The key at that place, when it can be told.
        field: Option<String>,
        /// The TOML parser's error.
        error: Box<toml::de::Error>,
    },
    /// A value is well-formed TOML but not usable.
    #[error("{location}: field \"{field}\": {problem}")]
    Invalid {
        /// Where the value is.
        location: Box<Location>,
        /// The field, as a dotted path inside the feed (for example `selectors.title`, or
        /// `selectors.title.replace[1]`).
        field: Cow<'static, str>,
        /// What is wrong, quoting the value.
        problem: Problem,
    },
    /// The file defines no `[[feed]]`.
    #[error("{}: no [[feed]] is defined", path.display())]
    NoFeeds {
        /// The config file.
        path: PathBuf,
    },
}

/// `: field "name"` when the name is known.
struct FieldLabel<'a>(Option<&'a str>);

impl fmt::Display for FieldLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(field) => write!(f, ": field \"{field}\""),
            None => Ok(()),
        }
    }
}

impl Config {
    /// Reads and validates the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    /// Reads and validates the configuration file `found`, with its default places for the
    /// output folder and the state file.
    pub fn load_found(found: &FoundConfig) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(&found.path).map_err(|source| ConfigError::Read {
            path: found.path.clone(),
            source,
        })?;
        let mut config = Config::parse_with(&text, &found.path, &found.places)?;
        config.origin.source = Some(found.source);
        Ok(config)
    }

    /// Reads the same file again, found and placed as this configuration was (for `serve`'s
    /// reload).
    pub fn reload(&self) -> Result<Config, ConfigError> {
        let found = FoundConfig {
            path: self.path.clone(),
            source: self.origin.source.unwrap_or(ConfigSource::Flag),
            places: self.origin.places.clone(),
        };
        Config::load_found(&found)
    }

    /// Parses and validates configuration text; `path` is used for messages and to resolve
    /// relative paths (taken from its folder).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::parse_with(text, path, &DefaultPlaces::BesideConfig)
    }

    /// [`Config::parse`], with `places` for the output folder and state file it leaves unset.
    pub fn parse_with(
        text: &str,
        path: &Path,
        places: &DefaultPlaces,
    ) -> Result<Config, ConfigError> {
        let doc = Document { text, path };
        let raw: RawConfig = toml::from_str(text).map_err(|error| syntax(doc, error))?;
        let top = Ctx { doc, feed: None };
        // Relative paths are taken from the config file's folder; the state file from its
        // real folder, absolute, so that every way of naming the config finds one history.
        // A config reached through a symbolic link takes every path from the real folder.
        let config_dir = output::resolved(path)
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let base_dir = if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
            config_dir.clone()
        } else {
            path.parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from("."))
        };
        let origin = Origin {
            source: None,
            places: places.clone(),
            output_set: raw.output.dir.is_some(),
            state_set: raw.output.state.is_some(),
        };
        let places = output::Places {
            base_dir: &base_dir,
            config_dir: &config_dir,
            defaults: places,
        };
        let (output, default_formats) = output::compile(top, &raw.output, &places)?;
        let run = fetch::run_settings(top, &raw.fetch)?;
        let fetch_defaults = fetch::defaults(top, &raw.fetch)?;
        if raw.feeds.is_empty() {
            return Err(ConfigError::NoFeeds {
                path: path.to_path_buf(),
            });
        }
        let mut feeds: Vec<FeedSpec> = Vec::with_capacity(raw.feeds.len());
        for raw_feed in raw.feeds {
            let id_span = raw_feed.id.span();
            let defaults = feed::Defaults {
                base_dir: &base_dir,
                fetch: &fetch_defaults,
                formats: &default_formats,
            };
            let feed = feed::compile(doc, raw_feed, &defaults)?;
            if let Some(first) = feeds.iter().find(|f| f.id.eq_ignore_ascii_case(&feed.id)) {
                // Two feeds with one id would share files and history.
                let ctx = Ctx {
                    doc,
                    feed: Some(&feed.id),
                };
                return ctx.invalid(
                    id_span,
                    "id",
                    Problem::DuplicateId {
                        id: feed.id.clone(),
                        first_id: first.id.clone(),
                        first_title: first.title.clone(),
                    },
                );
            }
            feeds.push(feed);
        }
        Ok(Config {
            path: path.to_path_buf(),
            output,
            run,
            fetch: fetch_defaults,
            feeds,
            origin,
        })
    }
}

/// A TOML error, placed: a missing field is named by the message, any other by the key at
/// its place.
fn syntax(doc: Document<'_>, error: toml::de::Error) -> ConfigError {
    let offset = error.span().map(|s| s.start).unwrap_or(0);
    let missing = error
        .message()
        .trim()
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
        .map(str::to_string);
    ConfigError::Syntax {
        location: Box::new(doc.location(offset, None)),
        field: missing.or_else(|| doc.key_at(offset)),
        error: Box::new(error),
    }
}

/// The range a whole number must be in.
enum Bounds<T> {
    /// From the first to the second, both included.
    Within(RangeInclusive<T>),
    /// At least this (the top is the type's, not worth naming).
    AtLeast(T),
}

/// Where values are compiled: the document, and the feed they belong to (none for `[output]`
/// and `[fetch]`).
#[derive(Clone, Copy)]
struct Ctx<'a> {
    doc: Document<'a>,
    feed: Option<&'a str>,
}

impl Ctx<'_> {
    /// The error for the value at `span` of `field`.
    fn invalid<T>(
        &self,
        span: Range<usize>,
        field: impl Into<Cow<'static, str>>,
        problem: Problem,
    ) -> Result<T, ConfigError> {
        Err(ConfigError::Invalid {
            location: Box::new(self.doc.location(span.start, self.feed)),
            field: field.into(),
            problem,
        })
    }

    /// A whole number within `bounds`, or `default` when absent.
    fn count<T>(
        &self,
        raw: &Option<Spanned<i64>>,
        field: &'static str,
        bounds: Bounds<T>,
        default: T,
    ) -> Result<T, ConfigError>
    where
        T: TryFrom<i64> + TryInto<u64> + Copy + PartialOrd,
    {
        let Some(raw) = raw else {
            return Ok(default);
        };
        let value = T::try_from(*raw.get_ref()).ok();
        let wide = |v: T| v.try_into().unwrap_or(u64::MAX);
        let (ok, min, max) = match &bounds {
            Bounds::Within(range) => (
                value.is_some_and(|v| range.contains(&v)),
                wide(*range.start()),
                Some(wide(*range.end())),
            ),
            Bounds::AtLeast(min) => (value.is_some_and(|v| v >= *min), wide(*min), None),
        };
        match value {
            Some(value) if ok => Ok(value),
            _ => self.invalid(
                raw.span(),
                field,
                Problem::OutOfRange {
                    value: *raw.get_ref(),
                    min,
                    max,
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests;
