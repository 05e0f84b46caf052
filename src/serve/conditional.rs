//! Conditional requests (RFC 9110 §13.1.2 `If-None-Match`, §13.1.3 `If-Modified-Since`): a
//! client whose copy is current gets 304 without a body.

use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, HeaderValue, header};

use super::compress::Coding;
use super::files::CachedFile;

/// Whether the client's copy is current: `If-None-Match` when sent (weak comparison, any
/// representation's tag naming this version), else `If-Modified-Since`.
pub(super) fn not_modified(headers: &HeaderMap, file: &CachedFile) -> bool {
    if let Some(tags) = headers.get(header::IF_NONE_MATCH) {
        let Ok(tags) = tags.to_str() else {
            return false;
        };
        // Any representation's tag names this version of the file.
        let ours: Vec<HeaderValue> = [None, Some(Coding::Gzip), Some(Coding::Brotli)]
            .into_iter()
            .map(|coding| file.etag_for(coding))
            .collect();
        return tags.split(',').map(str::trim).any(|tag| {
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag == "*" || ours.iter().any(|o| o.as_bytes() == tag.as_bytes())
        });
    }
    // A date later than the server's clock is ignored (RFC 9110 §13.1.3): it says nothing of
    // the client's copy, and honouring it would answer 304 to every later version.
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .filter(|since| *since <= SystemTime::now());
    match since {
        // HTTP dates have whole seconds.
        Some(since) => file
            .modified
            .duration_since(since)
            .map_or(true, |newer| newer < Duration::from_secs(1)),
        None => false,
    }
}
