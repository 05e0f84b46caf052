//! WebSub (W3C WebSub §6): after a run that changed a feed, tell the hub named in
//! `[output] websub_hub`, so subscribers get the new items at once. A hub that fails is
//! logged, never fails the run. Requests go through the same HTTP client and the same retry
//! policy as pages (`Retry-After` included), with at most three attempts: a hub is not waited
//! for as long as a page.

use std::time::Instant;

use futures::StreamExt as _;

use reqwest::StatusCode;
use url::Url;

use crate::fetch::{ClientError, RetryPolicy, Unanswered, http_client, parse_retry_after};
use crate::spec::{FetchSettings, RunSettings};

/// Attempts per notification: a hub that is down is not waited for as long as a page.
const HUB_ATTEMPTS: u32 = 3;

/// Notifications in flight at once.
pub(crate) const HUB_CONCURRENCY: usize = 4;

/// The retry policy for the hub: the run's, with at most [`HUB_ATTEMPTS`] attempts.
pub(crate) fn hub_policy(run: &RunSettings) -> RetryPolicy {
    let policy = RetryPolicy::of_run(run);
    RetryPolicy {
        retries: policy.retries.min(HUB_ATTEMPTS - 1),
        ..policy
    }
}

/// Why the hub did not take a notification.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HubFailure {
    /// It answered with this status (after the attempts the policy allows).
    #[error("HTTP {0}")]
    Status(StatusCode),
    /// It could not be reached.
    #[error(transparent)]
    Unreachable(Unanswered),
    /// No HTTP client could be built.
    #[error(transparent)]
    Client(ClientError),
}

/// POSTs `hub.mode=publish` for each of `topics` (feed URLs) to `hub` with `settings` (the
/// `[fetch]` defaults: user agent, timeouts), retrying as `policy` says. Returns the topics
/// the hub did not take, with why.
pub(crate) async fn publish(
    hub: &Url,
    topics: &[String],
    settings: &FetchSettings,
    policy: RetryPolicy,
) -> Vec<(String, HubFailure)> {
    let client = match http_client(settings.connect_timeout) {
        Ok(client) => client,
        Err(err) => {
            return topics
                .iter()
                .map(|topic| (topic.clone(), HubFailure::Client(err.clone())))
                .collect();
        }
    };
    // A few topics go out at a time: one slow hub answer does not hold up the others, and
    // a run that changed hundreds of feeds does not open hundreds of connections to the hub.
    let results: Vec<Option<(String, HubFailure)>> = futures::stream::iter(topics)
        .map(|topic| {
            let client = &client;
            async move {
                let outcome = notify_one(client, hub, topic, settings, policy).await;
                outcome.err().map(|why| (topic.clone(), why))
            }
        })
        .buffer_unordered(HUB_CONCURRENCY)
        .collect()
        .await;
    results.into_iter().flatten().collect()
}

/// One topic, tried as the policy allows; a 4xx answer is final (the hub refused it).
async fn notify_one(
    client: &reqwest::Client,
    hub: &Url,
    topic: &str,
    settings: &FetchSettings,
    policy: RetryPolicy,
) -> Result<(), HubFailure> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", topic)
        .finish();
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = client
            .post(hub.clone())
            .timeout(settings.timeout)
            .header(reqwest::header::USER_AGENT, &settings.user_agent)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        let (failure, retry_after) = match sent {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) if !RetryPolicy::retryable(response.status()) => {
                return Err(HubFailure::Status(response.status()));
            }
            Ok(response) => {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                (HubFailure::Status(response.status()), retry_after)
            }
            Err(err) if err.is_builder() || err.is_redirect() => {
                return Err(HubFailure::Unreachable(Unanswered::new(err, attempt)));
            }
            Err(err) => (HubFailure::Unreachable(Unanswered::new(err, attempt)), None),
        };
        let pause = policy.pause(attempt, retry_after);
        if !policy.allows(attempt, started.elapsed(), pause) {
            return Err(failure);
        }
        tokio::time::sleep(pause).await;
    }
}
