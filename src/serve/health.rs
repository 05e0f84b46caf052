//! `/healthz`: each feed's state as JSON, for monitors; 503 when a feed has been failing for
//! longer than `--unhealthy-after` or the state file cannot be read.
//!
//! Answers come from a snapshot, read from the state file at most every few seconds (and
//! after each refresh), so a request costs the same whatever the number of feeds. Error texts
//! are shown to loopback clients only: they can name internal hosts and paths.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::ServeState;
use super::listen::Peer;
use crate::spec::Config;
use crate::store::{FeedStatus, StoreError};

/// How long a snapshot is served before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(5);

/// What `/healthz` says.
#[derive(Debug, serde::Serialize)]
struct Health {
    healthy: bool,
    feeds: Vec<FeedHealth>,
}

/// One feed's part of it.
#[derive(Debug, serde::Serialize)]
struct FeedHealth {
    #[serde(flatten)]
    status: FeedStatus,
    healthy: bool,
}

/// The answer, ready to send: for loopback clients (with error texts) and for others.
#[derive(Debug)]
struct Snapshot {
    taken: Instant,
    healthy: bool,
    full: Bytes,
    public: Bytes,
}

/// The current snapshot, and one refresh of it at a time.
#[derive(Debug, Default)]
pub(super) struct HealthBoard {
    current: RwLock<Option<Arc<Snapshot>>>,
    refreshing: tokio::sync::Mutex<()>,
}

impl HealthBoard {
    /// Marks the snapshot stale (after a refresh): the next request reads the state again.
    pub(super) fn invalidate(&self) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn fresh(&self) -> Option<Arc<Snapshot>> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .filter(|s| s.taken.elapsed() < FRESH_FOR)
    }

    /// The snapshot, read again from the state file when it is stale; `None` when the state
    /// file cannot be read.
    async fn snapshot(
        &self,
        config: &Arc<Config>,
        unhealthy_after: Duration,
    ) -> Option<Arc<Snapshot>> {
        if let Some(snapshot) = self.fresh() {
            return Some(snapshot);
        }
        let _one_at_a_time = self.refreshing.lock().await;
        if let Some(snapshot) = self.fresh() {
            return Some(snapshot);
        }
        let config = Arc::clone(config);
        let taken =
            tokio::task::spawn_blocking(move || take(&config, unhealthy_after, Utc::now())).await;
        let snapshot = Arc::new(taken.ok()?.ok()?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&snapshot));
        Some(snapshot)
    }
}

/// The `/healthz` route.
pub(super) async fn health_route(
    State(state): State<Arc<ServeState>>,
    peer: Option<Extension<Peer>>,
) -> Response {
    let loopback = peer.is_some_and(|Extension(Peer(addr))| addr.ip().is_loopback());
    match state
        .health
        .snapshot(&state.config(), state.options.unhealthy_after)
        .await
    {
        Some(snapshot) => (
            if snapshot.healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            },
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            if loopback {
                snapshot.full.clone()
            } else {
                snapshot.public.clone()
            },
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"healthy\":false,\"error\":\"the state file cannot be read\"}\n",
        )
            .into_response(),
    }
}

/// Every feed's state at `now`, whether each is healthy, as both answers.
fn take(
    config: &Config,
    unhealthy_after: Duration,
    now: DateTime<Utc>,
) -> Result<Snapshot, StoreError> {
    let feeds: Vec<FeedHealth> = crate::pipeline::statuses(config)?
        .into_iter()
        .map(|status| {
            let failing_for = status
                .failing_since
                .as_deref()
                .and_then(|since| DateTime::parse_from_rfc3339(since).ok())
                .and_then(|since| (now - since.with_timezone(&Utc)).to_std().ok());
            let healthy = !status.failing || failing_for.is_none_or(|d| d <= unhealthy_after);
            FeedHealth { status, healthy }
        })
        .collect();
    let mut health = Health {
        healthy: feeds.iter().all(|f| f.healthy),
        feeds,
    };
    let render = |health: &Health| {
        let mut body = serde_json::to_vec_pretty(health).unwrap_or_default();
        body.push(b'\n');
        Bytes::from(body)
    };
    let full = render(&health);
    for feed in &mut health.feeds {
        feed.status.last_error = None;
    }
    Ok(Snapshot {
        taken: Instant::now(),
        healthy: health.healthy,
        full,
        public: render(&health),
    })
}
