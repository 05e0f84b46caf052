//! `pressfeed serve`: serves the output folder (and nothing else) to feed readers, with
//! validators, conditional requests and compression, optionally refreshing the feeds on a
//! schedule under the same lock and state as `pressfeed run`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use tower_http::compression::CompressionLayer;

use crate::config::Config;
use crate::store::{FeedStatus, Store};

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How often feeds are refreshed (with ±10 % jitter); `None`: never (another process,
    /// such as cron, writes them).
    pub refresh: Option<Duration>,
    /// `/healthz` answers 503 when a feed has been failing for longer than this.
    pub unhealthy_after: Duration,
}

impl ServeOptions {
    /// `Cache-Control: max-age`: the refresh interval, or five minutes without one.
    fn max_age(&self) -> Duration {
        self.refresh.unwrap_or(Duration::from_secs(300))
    }
}

/// A file as last read, with its validators, reused while its size, time and inode stay.
#[derive(Clone)]
struct CachedFile {
    stamp: (u64, SystemTime, u64),
    bytes: Bytes,
    etag: HeaderValue,
    last_modified: HeaderValue,
    modified: SystemTime,
    /// Its compressed forms, made on first demand and kept with it.
    compressed: Arc<Compressed>,
    /// Whether it was old enough, when read, for its stamp to be trusted (see [`read`]).
    settled: bool,
}

#[derive(Default)]
struct Compressed {
    gzip: tokio::sync::OnceCell<Bytes>,
    brotli: tokio::sync::OnceCell<Bytes>,
}

/// A content coding the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Brotli,
    Gzip,
}

impl Coding {
    fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// What the coding adds to the identity ETag: each representation has its own strong tag.
    fn etag_suffix(self) -> &'static str {
        match self {
            Coding::Brotli => "-br",
            Coding::Gzip => "-gz",
        }
    }
}

/// The best coding the client accepts, from every `Accept-Encoding` header: the highest
/// quality value, brotli before gzip on a tie; none when neither is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Coding> {
    let mut best: Option<(f32, Coding)> = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let token = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::trim))
                .map_or(Some(1.0), |q| q.parse::<f32>().ok())
                .unwrap_or(0.0);
            let coding = match token.as_str() {
                "br" => Coding::Brotli,
                "gzip" | "x-gzip" => Coding::Gzip,
                _ => continue,
            };
            let better = best.is_none_or(|(q, c)| {
                quality > q || (quality == q && coding == Coding::Brotli && c == Coding::Gzip)
            });
            if quality > 0.0 && better {
                best = Some((quality, coding));
            }
        }
    }
    best.map(|(_, coding)| coding)
}

/// Compresses a body.
type Compressor = fn(&[u8]) -> Vec<u8>;

impl CachedFile {
    /// The body in `coding`, compressed once per file version on a blocking thread, at most
    /// as many at a time as `compressing` allows (a brotli encoder holds megabytes).
    async fn encoded(&self, coding: Coding, compressing: &Arc<tokio::sync::Semaphore>) -> Bytes {
        let (cell, make): (_, Compressor) = match coding {
            Coding::Gzip => (&self.compressed.gzip, gzip),
            Coding::Brotli => (&self.compressed.brotli, brotli_bytes),
        };
        let bytes = self.bytes.clone();
        cell.get_or_init(|| async move {
            let Ok(permit) = Arc::clone(compressing).acquire_owned().await else {
                return Bytes::new();
            };
            // The permit goes with the job: a request that gives up does not free its slot
            // while the compression still runs.
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                Bytes::from(make(&bytes))
            })
            .await
            .unwrap_or_default()
        })
        .await
        .clone()
    }

    /// The strong ETag of the representation in `coding`.
    fn etag_for(&self, coding: Option<Coding>) -> HeaderValue {
        let Some(coding) = coding else {
            return self.etag.clone();
        };
        let plain = self.etag.to_str().unwrap_or("\"\"").trim_end_matches('"');
        HeaderValue::from_str(&format!("{plain}{}\"", coding.etag_suffix()))
            .unwrap_or_else(|_| self.etag.clone())
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

fn brotli_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
        let _ = writer.write_all(bytes);
    }
    out
}

struct ServeState {
    config: Config,
    options: ServeOptions,
    cache_control: HeaderValue,
    files: RwLock<HashMap<String, CachedFile>>,
    /// Compressions running at once: one per core.
    compressing: Arc<tokio::sync::Semaphore>,
}

/// The router: `GET`/`HEAD` of the output folder's files (`/` is `index.html`) and
/// `/healthz`, compressed with brotli or gzip as the client accepts (files once per version;
/// other answers by tower-http as they go).
pub fn router(config: Config, options: ServeOptions) -> Router {
    let cache_control =
        HeaderValue::from_str(&format!("public, max-age={}", options.max_age().as_secs()))
            .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=300"));
    let state = Arc::new(ServeState {
        config,
        options,
        cache_control,
        files: RwLock::new(HashMap::new()),
        compressing: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        )),
    });
    Router::new()
        .route(
            "/healthz",
            axum::routing::get(health_route).layer(CompressionLayer::new().gzip(true).br(true)),
        )
        .fallback(handle)
        .with_state(state)
}

/// The media type of a file pressfeed writes, by extension; other files are not served.
fn media_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1;
    Some(match extension {
        "rss" => "application/rss+xml; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "json" => "application/feed+json; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "opml" => "text/x-opml; charset=utf-8",
        _ => return None,
    })
}

/// The file a request path names: one plain name in the folder (letters, digits, `-`, `_`,
/// `.`, not starting with a dot). Anything else (`..`, `/`, `%`-escapes, hidden files) is none.
fn file_name(uri: &Uri) -> Option<&str> {
    let path = uri.path();
    if path == "/" {
        return Some(crate::site::INDEX);
    }
    let name = path.strip_prefix('/')?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    plain.then_some(name)
}

async fn handle(
    State(state): State<Arc<ServeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }

    let Some((name, media_type)) = file_name(&uri).and_then(|n| Some((n, media_type(n)?))) else {
        return not_found();
    };
    let Some(file) = read(&state, name).await else {
        return not_found();
    };
    let coding = negotiate(&headers);
    let mut response = if not_modified(&headers, &file) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Compressed bodies are made once per file version, not per request.
        let body = match coding {
            Some(coding) => file.encoded(coding, &state.compressing).await,
            None => file.bytes.clone(),
        };
        let mut response = Response::new(Body::from(body));
        let out = response.headers_mut();
        out.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        if let Some(coding) = coding {
            out.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(coding.name()),
            );
        }
        response
    };
    let out = response.headers_mut();
    out.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    out.insert(header::ETAG, file.etag_for(coding));
    out.insert(header::LAST_MODIFIED, file.last_modified);
    out.insert(header::CACHE_CONTROL, state.cache_control.clone());
    out.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "not found\n",
    )
        .into_response()
}

/// Whether the client's copy is current: `If-None-Match` when sent, else `If-Modified-Since`.
fn not_modified(headers: &HeaderMap, file: &CachedFile) -> bool {
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
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok());
    match since {
        // HTTP dates have whole seconds.
        Some(since) => file
            .modified
            .duration_since(since)
            .map_or(true, |newer| newer < Duration::from_secs(1)),
        None => false,
    }
}

/// The file `name` of the output folder, from the cache while it is unchanged. Symbolic links
/// and anything but regular files are not served.
async fn read(state: &ServeState, name: &str) -> Option<CachedFile> {
    let path: PathBuf = state.config.output.dir.join(name);
    let meta = tokio::fs::symlink_metadata(&path).await.ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let modified = meta.modified().ok()?;
    let stamp = (meta.len(), modified, inode(&meta));
    let previous = state
        .files
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(name)
        .cloned();
    if let Some(cached) = previous.as_ref().filter(|c| c.stamp == stamp && c.settled) {
        return Some(cached.clone());
    }
    // Files are replaced by rename, never rewritten in place: what is read is one whole file.
    let bytes = Bytes::from(tokio::fs::read(&path).await.ok()?);
    let digest = Sha256::digest(&bytes);
    let etag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{etag}\"")).ok()?;
    // The same content keeps its compressed forms, whatever its stamp says.
    let compressed = previous
        .filter(|c| c.etag == etag)
        .map(|c| c.compressed)
        .unwrap_or_default();
    // A file changed within the last two seconds may change again within its timestamp's
    // resolution, unseen by size and time: such a file is read afresh until it settles.
    let settled = modified
        .elapsed()
        .is_ok_and(|age| age > Duration::from_secs(2));
    let file = CachedFile {
        stamp,
        etag,
        last_modified: HeaderValue::from_str(&httpdate::fmt_http_date(modified)).ok()?,
        modified,
        bytes,
        compressed,
        settled,
    };
    state
        .files
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.to_string(), file.clone());
    Some(file)
}

#[cfg(unix)]
fn inode(meta: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &std::fs::Metadata) -> u64 {
    0
}

async fn health_route(State(state): State<Arc<ServeState>>) -> Response {
    health(&state).await
}

/// `/healthz`: each feed's state as JSON; 503 when one has been failing for too long.
async fn health(state: &Arc<ServeState>) -> Response {
    let state = Arc::clone(state);
    let report = tokio::task::spawn_blocking(move || health_report(&state, Utc::now())).await;
    match report {
        Ok(Ok((healthy, body))) => (
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
            .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"healthy\":false,\"error\":\"the state file cannot be read\"}\n",
        )
            .into_response(),
    }
}

#[derive(serde::Serialize)]
struct Health {
    healthy: bool,
    feeds: Vec<FeedHealth>,
}

#[derive(serde::Serialize)]
struct FeedHealth {
    #[serde(flatten)]
    status: FeedStatus,
    healthy: bool,
}

fn health_report(state: &ServeState, now: DateTime<Utc>) -> Result<(bool, String), String> {
    let store = Store::open_read_only(&state.config.output.state).map_err(|e| e.to_string())?;
    let mut feeds = Vec::with_capacity(state.config.feeds.len());
    for spec in &state.config.feeds {
        let status = match &store {
            Some(store) => store.status(&spec.id).map_err(|e| e.to_string())?,
            None => FeedStatus {
                feed: spec.id.clone(),
                ..FeedStatus::default()
            },
        };
        let failing_for = status
            .failing_since
            .as_deref()
            .and_then(|since| DateTime::parse_from_rfc3339(since).ok())
            .and_then(|since| (now - since.with_timezone(&Utc)).to_std().ok());
        let healthy =
            !status.failing || failing_for.is_none_or(|d| d <= state.options.unhealthy_after);
        feeds.push(FeedHealth { status, healthy });
    }
    let healthy = feeds.iter().all(|f| f.healthy);
    let mut body =
        serde_json::to_string_pretty(&Health { healthy, feeds }).map_err(|e| e.to_string())?;
    body.push('\n');
    Ok((healthy, body))
}

/// Serves `config`'s output folder on `listener` until `shutdown` completes; with a refresh
/// interval, refreshes every feed at once and then on that interval. On shutdown it stops
/// accepting, lets a refresh in progress finish, and returns.
pub async fn serve(
    config: Config,
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    // Refreshes run on a thread of their own, as `pressfeed run` does, so a long refresh
    // never slows the server down.
    let refresher = options.refresh.map(|interval| {
        let config = config.clone();
        std::thread::spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(refresh_loop(config, interval, stop_rx)),
                Err(err) => tracing::error!("cannot start the refresh: {err}"),
            }
        })
    });
    let app = router(config, options);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await;
    if let Some(refresher) = refresher {
        // A refresh in progress finishes its writes; the loop then sees the stop.
        let _ = tokio::task::spawn_blocking(move || refresher.join()).await;
    }
    served
}

async fn refresh_loop(
    config: Config,
    interval: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let feeds: Vec<&crate::config::FeedSpec> = config.feeds.iter().collect();
    loop {
        let report = |done: &crate::pipeline::FeedResult| {
            if let Err(err) = &done.result {
                tracing::error!("{}", crate::error::chain(err));
            }
        };
        match crate::pipeline::run_until(&config, &feeds, Utc::now(), &report, Some(stop.clone()))
            .await
        {
            Ok(results) => {
                let failed = results.iter().filter(|r| r.result.is_err()).count();
                tracing::info!("refreshed {} feeds ({failed} failed)", results.len());
            }
            Err(err) => tracing::warn!("refresh skipped: {}", crate::error::chain(&err)),
        }
        let pause = interval.mul_f64(0.9 + 0.2 * fastrand::f64());
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.wait_for(|stopped| *stopped) => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Parses a duration such as `30m`, `1h`, `90s`, `1h30m` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    const MAX: u64 = 366 * 86_400;
    let text = text.trim();
    let bad = || format!("\"{text}\" is not a duration from 1s to 366d such as 30m, 1h or 90s");
    if let Ok(seconds) = text.parse::<u64>() {
        return (1..=MAX)
            .contains(&seconds)
            .then(|| Duration::from_secs(seconds))
            .ok_or_else(bad);
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "\"{text}\" is not a duration such as 30m, 1h or 90s"
                ));
            }
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("\"{text}\" is not a duration such as 30m, 1h or 90s"))?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || total == 0 || total > MAX {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// The address `serve` binds by default: loopback only.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_files() {
        let name = |path: &str| file_name(&path.parse::<Uri>().unwrap()).map(str::to_string);
        assert_eq!(name("/").as_deref(), Some("index.html"));
        assert_eq!(name("/ilo-china.rss").as_deref(), Some("ilo-china.rss"));
        for bad in [
            "/../config.toml",
            "/%2e%2e/config.toml",
            "//etc/passwd",
            "/.hidden",
            "/a/b.rss",
            "/a%2fb.rss",
        ] {
            assert_eq!(name(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("100000d").is_err());
    }

    #[test]
    fn codings_by_quality() {
        let with = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for v in values {
                headers.append(header::ACCEPT_ENCODING, HeaderValue::from_str(v).unwrap());
            }
            negotiate(&headers)
        };
        assert_eq!(with(&["gzip, deflate, br"]), Some(Coding::Brotli));
        assert_eq!(with(&["br;q=0.1, gzip"]), Some(Coding::Gzip));
        assert_eq!(with(&["identity", "x-gzip"]), Some(Coding::Gzip));
        assert_eq!(with(&["br;q=0, gzip;q=0"]), None);
        assert_eq!(with(&[]), None);
    }
}
