//! `[fetch]`: run-wide settings (concurrency, politeness, retries) and the defaults of the
//! per-feed fetch settings, which each `[[feed]]` may override.

use std::time::Duration;

use toml::Spanned;

use super::defaults::{
    CONCURRENCY, DAY_SECONDS, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_FEED_TIMEOUT,
    DEFAULT_HOST_DELAY, DEFAULT_MAX_BODY_BYTES, DEFAULT_RETRIES, DEFAULT_RETRY_TIME,
    DEFAULT_RUN_TIMEOUT, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT, MIN_TIMEOUT, RETRIES,
};
use super::raw::{RawFeed, RawFetch, Seconds};
use super::{Bounds, ConfigError, Ctx, Problem};
use crate::spec::{AllowList, FetchSettings, RunSettings};

/// The run-wide settings of `[fetch]`.
pub(super) fn run_settings(ctx: Ctx<'_>, raw: &RawFetch) -> Result<RunSettings, ConfigError> {
    Ok(RunSettings {
        concurrency: ctx.count(
            &raw.concurrency,
            "fetch.concurrency",
            Bounds::Within(CONCURRENCY),
            DEFAULT_CONCURRENCY,
        )?,
        host_delay: ctx.seconds(&raw.host_delay, "fetch.host_delay", 0.0, DEFAULT_HOST_DELAY)?,
        retries: ctx.count(
            &raw.retries,
            "fetch.retries",
            Bounds::Within(RETRIES),
            DEFAULT_RETRIES,
        )?,
        retry_time: ctx.seconds(&raw.retry_time, "fetch.retry_time", 0.0, DEFAULT_RETRY_TIME)?,
        backfill: false,
        run_timeout: ctx.seconds(
            &raw.run_timeout,
            "fetch.run_timeout",
            1.0,
            DEFAULT_RUN_TIMEOUT,
        )?,
        allow_internal: match &raw.allow_internal {
            Some(list) => allow_list(ctx, list)?,
            None => AllowList::default(),
        },
        reference: None,
    })
}

/// `allow_internal`: address ranges (`10.0.0.0/8`), single addresses, and host names.
fn allow_list(ctx: Ctx<'_>, raw: &Spanned<Vec<String>>) -> Result<AllowList, ConfigError> {
    let mut allow = AllowList::default();
    for entry in raw.get_ref() {
        let entry = entry.trim();
        if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            allow.nets.push(net);
        } else if let Ok(ip) = entry.parse::<std::net::IpAddr>() {
            allow.nets.push(ipnet::IpNet::from(ip));
        } else if url::Host::parse(entry).is_ok_and(|host| matches!(host, url::Host::Domain(_)))
            && !entry.is_empty()
        {
            allow.hosts.push(entry.to_ascii_lowercase());
        } else {
            return ctx.invalid(
                raw.span(),
                "fetch.allow_internal",
                Problem::BadAllowEntry(entry.to_string()),
            );
        }
    }
    Ok(allow)
}

/// The default `User-Agent`, with `[fetch] contact` (a web address or a mail address) as
/// `pressfeed/<version> (+contact)`, so that a site's operator can reach whoever runs it.
fn with_contact(ctx: Ctx<'_>, contact: Option<&Spanned<String>>) -> Result<String, ConfigError> {
    let Some(contact) = contact else {
        return Ok(DEFAULT_USER_AGENT.to_string());
    };
    let value = contact.get_ref().trim();
    let printable = !value.is_empty() && value.chars().all(|c| ('!'..='~').contains(&c));
    let web = url::Url::parse(value)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some());
    let mail = value
        .strip_prefix("mailto:")
        .unwrap_or(value)
        .split_once('@')
        .is_some_and(|(user, host)| !user.is_empty() && host.contains('.') && !host.contains('@'));
    if !printable || !(web || mail) || value.contains(['(', ')']) {
        return ctx.invalid(
            contact.span(),
            "fetch.contact",
            Problem::BadContact(value.to_string()),
        );
    }
    Ok(format!("{DEFAULT_USER_AGENT} (+{value})"))
}

/// The per-feed fetch settings as `[fetch]` sets them for every feed.
pub(super) fn defaults(ctx: Ctx<'_>, raw: &RawFetch) -> Result<FetchSettings, ConfigError> {
    Ok(FetchSettings {
        user_agent: ctx.user_agent(
            &raw.user_agent,
            "fetch.user_agent",
            &with_contact(ctx, raw.contact.as_ref())?,
        )?,
        connect_timeout: ctx.seconds(
            &raw.connect_timeout,
            "fetch.connect_timeout",
            MIN_TIMEOUT,
            DEFAULT_CONNECT_TIMEOUT,
        )?,
        timeout: ctx.seconds(&raw.timeout, "fetch.timeout", MIN_TIMEOUT, DEFAULT_TIMEOUT)?,
        max_body_bytes: ctx.count(
            &raw.max_body_bytes,
            "fetch.max_body_bytes",
            Bounds::AtLeast(1),
            DEFAULT_MAX_BODY_BYTES,
        )?,
        robots_txt: raw.robots_txt.unwrap_or(true),
        feed_timeout: ctx.seconds(
            &raw.feed_timeout,
            "fetch.feed_timeout",
            1.0,
            DEFAULT_FEED_TIMEOUT,
        )?,
    })
}

/// A feed's fetch settings: its own where it sets them, else `defaults`.
pub(super) fn for_feed(
    ctx: Ctx<'_>,
    raw: &RawFeed,
    defaults: &FetchSettings,
) -> Result<FetchSettings, ConfigError> {
    let duration = |value: &Option<Spanned<Seconds>>, field, default| match value {
        Some(_) => ctx.seconds(value, field, MIN_TIMEOUT, 0.0),
        None => Ok(default),
    };
    Ok(FetchSettings {
        user_agent: ctx.user_agent(&raw.user_agent, "user_agent", &defaults.user_agent)?,
        connect_timeout: duration(
            &raw.connect_timeout,
            "connect_timeout",
            defaults.connect_timeout,
        )?,
        timeout: duration(&raw.timeout, "timeout", defaults.timeout)?,
        max_body_bytes: ctx.count(
            &raw.max_body_bytes,
            "max_body_bytes",
            Bounds::AtLeast(1),
            defaults.max_body_bytes,
        )?,
        robots_txt: raw.robots_txt.unwrap_or(defaults.robots_txt),
        feed_timeout: match &raw.feed_timeout {
            Some(_) => ctx.seconds(&raw.feed_timeout, "feed_timeout", 1.0, 0.0)?,
            None => defaults.feed_timeout,
        },
    })
}

impl Ctx<'_> {
    /// A number of seconds, at least `min` and at most a day, or `default` when absent.
    fn seconds(
        &self,
        raw: &Option<Spanned<Seconds>>,
        field: &'static str,
        min: f64,
        default: f64,
    ) -> Result<Duration, ConfigError> {
        let Some(raw) = raw else {
            return Ok(Duration::from_secs_f64(default));
        };
        let value = raw.get_ref().0;
        if value.is_finite() && (min..=DAY_SECONDS).contains(&value) {
            Ok(Duration::from_secs_f64(value))
        } else {
            self.invalid(raw.span(), field, Problem::NotSeconds { value, min })
        }
    }

    /// A `User-Agent`: printable ASCII, not blank; `default` when absent.
    fn user_agent(
        &self,
        raw: &Option<Spanned<String>>,
        field: &'static str,
        default: &str,
    ) -> Result<String, ConfigError> {
        let Some(raw) = raw else {
            return Ok(default.to_string());
        };
        let value = raw.get_ref().trim();
        if value.is_empty() || !value.chars().all(|c| (' '..='~').contains(&c)) {
            return self.invalid(raw.span(), field, Problem::BadUserAgent(value.to_string()));
        }
        Ok(value.to_string())
    }
}
