//! WebSub: after a run that changed a feed, tell the hub named in `[output] websub_hub`, so
//! subscribers get the new items at once. A hub that fails is logged, never fails the run.

use std::time::Duration;

use url::Url;

/// Attempts per notification.
const ATTEMPTS: u32 = 3;
/// Pause before the first retry; it doubles.
const FIRST_PAUSE: Duration = Duration::from_millis(500);

/// POSTs `hub.mode=publish` for each of `topics` (feed URLs) to `hub`, retrying a few times.
/// Returns the topics the hub did not accept, with why.
pub async fn publish(hub: &Url, topics: &[String], user_agent: &str) -> Vec<(String, String)> {
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            let why = crate::error::chain(&err);
            return topics.iter().map(|t| (t.clone(), why.clone())).collect();
        }
    };
    // Topics go out together: one slow hub answer does not hold up the others.
    let results = futures::future::join_all(topics.iter().map(|topic| {
        let client = &client;
        async move {
            let outcome = notify_one(client, hub, topic, user_agent).await;
            outcome.err().map(|why| (topic.clone(), why))
        }
    }))
    .await;
    results.into_iter().flatten().collect()
}

/// One topic, a few attempts; a 4xx answer is not retried (the hub refused it).
async fn notify_one(
    client: &reqwest::Client,
    hub: &Url,
    topic: &str,
    user_agent: &str,
) -> Result<(), String> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", topic)
        .finish();
    let mut pause = FIRST_PAUSE;
    let mut last_error = String::new();
    for attempt in 1..=ATTEMPTS {
        let sent = client
            .post(hub.clone())
            .header(reqwest::header::USER_AGENT, user_agent)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => return Ok(()),
            Ok(response) if response.status().is_client_error() => {
                return Err(format!("HTTP {}", response.status()));
            }
            Ok(response) => last_error = format!("HTTP {}", response.status()),
            Err(err) => last_error = crate::error::chain(&err),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
    }
    Err(last_error)
}
