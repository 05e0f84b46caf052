//! `/healthz`: each feed's state as JSON, for monitors; 503 when a feed has been failing for
//! longer than `--unhealthy-after` or the state file cannot be read.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::ServeState;
use crate::store::{FeedStatus, StoreError};

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

/// The `/healthz` route.
pub(super) async fn health_route(State(state): State<Arc<ServeState>>) -> Response {
    let report = tokio::task::spawn_blocking(move || health_report(&state, Utc::now())).await;
    let body = report
        .ok()
        .and_then(Result::ok)
        .and_then(|health| Some((health.healthy, serde_json::to_string_pretty(&health).ok()?)));
    match body {
        Some((healthy, mut body)) => {
            body.push('\n');
            (
                if healthy {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                },
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"healthy\":false,\"error\":\"the state file cannot be read\"}\n",
        )
            .into_response(),
    }
}

/// Every feed's state at `now`, and whether each is healthy.
fn health_report(state: &ServeState, now: DateTime<Utc>) -> Result<Health, StoreError> {
    let feeds: Vec<FeedHealth> = crate::pipeline::statuses(&state.config)?
        .into_iter()
        .map(|status| {
            let failing_for = status
                .failing_since
                .as_deref()
                .and_then(|since| DateTime::parse_from_rfc3339(since).ok())
                .and_then(|since| (now - since.with_timezone(&Utc)).to_std().ok());
            let healthy =
                !status.failing || failing_for.is_none_or(|d| d <= state.options.unhealthy_after);
            FeedHealth { status, healthy }
        })
        .collect();
    Ok(Health {
        healthy: feeds.iter().all(|f| f.healthy),
        feeds,
    })
}
