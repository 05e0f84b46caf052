//! `robots.txt` (RFC 9309): read once per origin and user agent in a run, honoured for every
//! page of a feed that does not opt out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::USER_AGENT;
use tokio::sync::OnceCell;
use url::Url;

use super::{FetchError, Fetcher, Final, Overflow, ReadError, Request, Unanswered};

/// Largest `robots.txt` read; the rest is ignored (Google reads 500 KiB).
const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

/// What `robots.txt` says for one origin and agent.
#[derive(Debug)]
enum RobotsRules {
    /// No usable file (4xx): everything is allowed.
    AllowAll,
    /// The server failed to serve it (5xx): nothing is allowed (RFC 9309 §2.3.1.4).
    Unreachable(StatusCode),
    /// It could not be fetched at all (connection, timeout): the run cannot go on.
    Failed(Unanswered),
    /// The parsed rules.
    Rules(Box<texting_robots::Robot>),
}

/// `robots.txt` rules are kept per (origin, user-agent token).
type RobotsKey = (String, String);

/// The rules read so far in a run; each is read once, however many feeds ask at once.
#[derive(Debug, Default)]
pub(super) struct RobotsCache {
    rules: Mutex<HashMap<RobotsKey, Arc<OnceCell<RobotsRules>>>>,
}

impl Fetcher {
    /// Whether `robots.txt` lets `request`'s user agent fetch `url`.
    pub(super) async fn check_robots(
        &self,
        client: &reqwest::Client,
        request: &Request<'_>,
        url: &Url,
    ) -> Result<(), FetchError> {
        let settings = request.settings;
        let agent = settings
            .user_agent
            .split(['/', ' '])
            .next()
            .unwrap_or("pressfeed")
            .to_string();
        let origin = url.origin().ascii_serialization();
        let Ok(robots_url) = Url::parse(&origin).and_then(|o| o.join("/robots.txt")) else {
            return Ok(());
        };
        let cell = {
            let mut rules = self.robots.rules.lock().unwrap_or_else(|e| e.into_inner());
            rules
                .entry((origin.clone(), agent.clone()))
                .or_default()
                .clone()
        };
        let rules = cell
            .get_or_init(|| self.read_robots(client, request, &robots_url, &agent))
            .await;
        let unreachable = match rules {
            RobotsRules::Failed(failure) => {
                return Err(FetchError::Request {
                    url: robots_url,
                    source: failure.clone(),
                });
            }
            RobotsRules::AllowAll => return Ok(()),
            RobotsRules::Unreachable(status) => Some(*status),
            RobotsRules::Rules(robot) if robot.allowed(url.as_str()) => return Ok(()),
            RobotsRules::Rules(_) => None,
        };
        Err(FetchError::Robots {
            url: url.clone(),
            unreachable,
        })
    }

    /// Reads `robots_url` with the host's politeness and the run's retries.
    async fn read_robots(
        &self,
        client: &reqwest::Client,
        request: &Request<'_>,
        robots_url: &Url,
        agent: &str,
    ) -> RobotsRules {
        let gate = self.gate(robots_url);
        let mut last_request = gate.lock().await;
        let label = format!("feed \"{}\": {robots_url}", request.feed);
        let last = self
            .with_retries(
                &label,
                MAX_ROBOTS_BYTES,
                Overflow::Truncate,
                &mut last_request,
                || {
                    client
                        .get(robots_url.clone())
                        .timeout(request.settings.timeout)
                        .header(USER_AGENT, &request.settings.user_agent)
                },
            )
            .await;
        match last {
            Final::Response(head, body, _) if head.status.is_success() => {
                match texting_robots::Robot::new(agent, &body) {
                    Ok(robot) => RobotsRules::Rules(Box::new(robot)),
                    Err(_) => RobotsRules::AllowAll,
                }
            }
            Final::Response(head, _, _) if head.status.is_server_error() => {
                RobotsRules::Unreachable(head.status)
            }
            Final::Response(..) => RobotsRules::AllowAll,
            // Truncation keeps what fits, so a body never overflows here.
            Final::Failed(ReadError::TooLarge, _) => RobotsRules::AllowAll,
            Final::Failed(ReadError::Http { error, .. }, attempts) => {
                RobotsRules::Failed(Unanswered { error, attempts })
            }
        }
    }
}
