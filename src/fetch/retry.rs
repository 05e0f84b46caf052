//! When to try a request again and how long to wait first: the one retry policy of every
//! request pressfeed sends (listing pages, item pages, `robots.txt`, WebSub notifications).
//!
//! Connect errors, timeouts, cut-off bodies, 5xx and 429 are worth another try (RFC 9110
//! §15.6, RFC 6585 §4); other answers are final. Pauses grow exponentially with jitter, or
//! follow the server's `Retry-After` (RFC 9110 §10.2.3) when it asks for longer, within a
//! number of retries and a time budget for the whole request.

use std::time::Duration;

use reqwest::StatusCode;

use crate::spec::RunSettings;

/// First pause before a retry; it doubles each time, with jitter.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// The longest `Retry-After` honoured: a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// How many times, and for how long in all, a request is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// Longest time a request may take, attempts and pauses together, before no further
    /// attempt is started.
    pub budget: Duration,
}

impl RetryPolicy {
    /// The policy `[fetch]` sets (`retries`, `retry_time`).
    pub fn of_run(settings: &RunSettings) -> Self {
        RetryPolicy {
            retries: settings.retries,
            budget: settings.retry_time,
        }
    }

    /// Whether an answer with `status` is worth another try: a server error or 429.
    pub fn retryable(status: StatusCode) -> bool {
        status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
    }

    /// The pause after failed attempt `attempt` (1-based): exponential backoff with jitter, or
    /// the server's `Retry-After` when it asks for longer.
    pub fn pause(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = FIRST_BACKOFF
            .saturating_mul(1 << attempt.saturating_sub(1).min(10))
            .mul_f64(0.5 + fastrand::f64());
        retry_after.map_or(backoff, |after| after.max(backoff))
    }

    /// Whether attempt `attempt + 1` may start after `elapsed` and a pause of `pause`.
    pub fn allows(&self, attempt: u32, elapsed: Duration, pause: Duration) -> bool {
        attempt <= self.retries && elapsed.saturating_add(pause) <= self.budget
    }
}

/// `Retry-After`: seconds, or an HTTP date; anything beyond a day is read as a day.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_bounded() {
        assert_eq!(parse_retry_after(" 120 "), Some(Duration::from_secs(120)));
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(Duration::from_secs(86_400))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn pauses_grow_and_stay_within_the_budget() {
        let policy = RetryPolicy {
            retries: 3,
            budget: Duration::from_secs(10),
        };
        for attempt in 1..=4 {
            let pause = policy.pause(attempt, None);
            let base = FIRST_BACKOFF * (1 << (attempt - 1));
            assert!(
                pause >= base / 2 && pause <= base * 3 / 2,
                "{attempt}: {pause:?}"
            );
        }
        assert_eq!(
            policy.pause(1, Some(Duration::from_secs(5))),
            Duration::from_secs(5)
        );
        assert!(policy.allows(3, Duration::ZERO, Duration::from_secs(1)));
        assert!(!policy.allows(4, Duration::ZERO, Duration::from_secs(1)));
        assert!(!policy.allows(1, Duration::from_secs(9), Duration::from_secs(2)));
        assert!(RetryPolicy::retryable(StatusCode::BAD_GATEWAY));
        assert!(RetryPolicy::retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!RetryPolicy::retryable(StatusCode::NOT_FOUND));
    }
}
