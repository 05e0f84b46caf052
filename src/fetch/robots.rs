//! `robots.txt` (RFC 9309): read once per origin and user agent in a run, honoured for every
//! page of a feed that does not opt out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::header::USER_AGENT;
use tokio::sync::OnceCell;
use url::Url;

use super::egress::{Route, refusal_of};
use super::{
    FetchError, Fetcher, Final, MAX_REDIRECTS, Overflow, ReadError, Request, Unanswered,
    redirect_of,
};

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
        request: &Request<'_>,
        url: &Url,
        route: Route,
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
            .get_or_init(|| self.read_robots(request, &robots_url, route, &agent))
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

    /// Reads `robots_url` with the host's politeness and the run's retries, following up to
    /// five redirects (RFC 9309 §2.3.1.2), each checked by the egress policy; one it refuses
    /// is as no file.
    async fn read_robots(
        &self,
        request: &Request<'_>,
        robots_url: &Url,
        route: Route,
        agent: &str,
    ) -> RobotsRules {
        let settings = request.settings;
        let mut url = robots_url.clone();
        let mut route = route;
        for hop in 0..=MAX_REDIRECTS {
            let Ok(client) = self.client(settings.connect_timeout, route) else {
                return RobotsRules::AllowAll;
            };
            let gate = self.gate(&url);
            let mut last_request = gate.lock().await;
            let label = format!("feed \"{}\": {url}", request.feed);
            let last = self
                .with_retries(
                    &label,
                    MAX_ROBOTS_BYTES,
                    Overflow::Truncate,
                    &mut last_request,
                    || {
                        client
                            .get(url.clone())
                            .timeout(settings.timeout)
                            .header(USER_AGENT, &settings.user_agent)
                    },
                )
                .await;
            drop(last_request);
            return match last {
                Final::Response(head, body, _) => match redirect_of(&url, &head, hop) {
                    Ok(Some(next)) => match self.egress.route(&next, request.own_hosts) {
                        Ok(next_route) => {
                            (url, route) = (next, next_route);
                            continue;
                        }
                        Err(_) => RobotsRules::AllowAll,
                    },
                    // Too many redirects, or down to http: no usable file.
                    Err(_) => RobotsRules::AllowAll,
                    Ok(None) if head.status.is_success() => {
                        match texting_robots::Robot::new(agent, &body) {
                            Ok(robot) => RobotsRules::Rules(Box::new(robot)),
                            Err(_) => RobotsRules::AllowAll,
                        }
                    }
                    Ok(None) if head.status.is_server_error() => {
                        RobotsRules::Unreachable(head.status)
                    }
                    Ok(None) => RobotsRules::AllowAll,
                },
                // Truncation keeps what fits, so a body never overflows here.
                Final::Failed(ReadError::TooLarge, _) => RobotsRules::AllowAll,
                // A robots.txt the policy refuses to fetch is no file.
                Final::Failed(ReadError::Http { error, .. }, _) if refusal_of(&error).is_some() => {
                    RobotsRules::AllowAll
                }
                Final::Failed(ReadError::Http { error, .. }, attempts) => {
                    RobotsRules::Failed(Unanswered { error, attempts })
                }
            };
        }
        RobotsRules::AllowAll
    }
}
