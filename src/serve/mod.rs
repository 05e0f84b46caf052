//! `pressfeed serve`: serves the output folder (and nothing else) to feed readers, with
//! validators, conditional requests and compression, optionally refreshing the feeds on a
//! schedule under the same lock and state as `pressfeed run`.
//!
//! One file per HTTP concern: [`listen`] (connections and their limits), [`files`] (which
//! files, their ETags), [`conditional`] (304s), [`compress`] (content codings), [`health`]
//! (`/healthz`), [`schedule`] (the refresh thread) and [`reload`] (the configuration read
//! again on SIGHUP or when its file changes).

mod compress;
mod conditional;
mod files;
mod health;
mod listen;
mod reload;
mod schedule;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;

use compress::negotiate;
use conditional::not_modified;
use files::{FileCache, file_name, media_type};

use crate::site;

use crate::spec::Config;

/// The address `serve` binds by default: loopback only.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// How `serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// How often feeds are refreshed (with ±10 % jitter); `None`: never (another process,
    /// such as cron, writes them).
    pub refresh: Option<Duration>,
    /// `/healthz` answers 503 when a feed has been failing for longer than this.
    pub unhealthy_after: Duration,
    /// Longest wait for a request's headers, counted from when the connection is idle (it
    /// bounds idle keep-alive connections too).
    pub header_timeout: Duration,
    /// Longest a client may take to receive a response.
    pub send_timeout: Duration,
    /// Most connections open at once (kept below the file limit).
    pub max_connections: usize,
    /// How long open connections may finish after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            refresh: None,
            unhealthy_after: Duration::from_secs(6 * 3600),
            header_timeout: Duration::from_secs(20),
            send_timeout: Duration::from_secs(60),
            max_connections: 512,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ServeOptions {
    /// `Cache-Control: max-age`: the refresh interval, or five minutes without one.
    fn max_age(&self) -> Duration {
        self.refresh.unwrap_or(Duration::from_secs(300))
    }
}

/// The configuration in force, and the names of the files it publishes.
#[derive(Debug)]
struct Live {
    config: Arc<Config>,
    /// `index.html`, `feeds.opml` and each feed's file of each of its formats: the files
    /// answered.
    names: HashSet<String>,
}

impl Live {
    fn new(config: Config) -> Live {
        let mut names: HashSet<String> = config
            .feeds
            .iter()
            .flat_map(|spec| spec.formats.iter().map(|&format| spec.file_name(format)))
            .collect();
        names.extend([site::INDEX.to_string(), site::OPML.to_string()]);
        Live {
            config: Arc::new(config),
            names,
        }
    }
}

/// What every request shares.
#[derive(Debug)]
struct ServeState {
    /// Replaced whole when the configuration is read again.
    live: RwLock<Arc<Live>>,
    /// Told when a new configuration is in force (the refresh thread refreshes its new feeds).
    reloaded: tokio::sync::Notify,
    health: health::HealthBoard,
    options: ServeOptions,
    cache_control: HeaderValue,
    files: FileCache,
    /// Compressions running at once: one per core.
    compressing: Arc<tokio::sync::Semaphore>,
}

impl ServeState {
    /// The configuration in force.
    fn config(&self) -> Arc<Config> {
        Arc::clone(&self.live().config)
    }

    fn live(&self) -> Arc<Live> {
        Arc::clone(&self.live.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Puts `config` in force for every request and refresh from now on.
    fn replace_config(&self, config: Config) {
        let live = Arc::new(Live::new(config));
        self.files.keep_only(&live.names);
        *self.live.write().unwrap_or_else(|e| e.into_inner()) = live;
        self.health.invalidate();
        self.reloaded.notify_one();
    }
}

/// The router: `GET`/`HEAD` of the configured feeds' files, `index.html` (also at `/`) and
/// `feeds.opml` in the output folder, and
/// `/healthz`, compressed with brotli or gzip as the client accepts (files once per version;
/// other answers by tower-http as they go).
pub fn router(config: Config, options: ServeOptions) -> Router {
    app(config, options).0
}

/// The router and the state its handlers share.
fn app(config: Config, options: ServeOptions) -> (Router, Arc<ServeState>) {
    let cache_control =
        HeaderValue::from_str(&format!("public, max-age={}", options.max_age().as_secs()))
            .unwrap_or_else(|_| HeaderValue::from_static("public, max-age=300"));
    let state = Arc::new(ServeState {
        files: FileCache::new(&config.output.dir),
        live: RwLock::new(Arc::new(Live::new(config))),
        reloaded: tokio::sync::Notify::new(),
        health: health::HealthBoard::default(),
        options,
        cache_control,
        compressing: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        )),
    });
    let router = Router::new()
        .route(
            "/healthz",
            axum::routing::get(health::health_route)
                .layer(CompressionLayer::new().gzip(true).br(true)),
        )
        .fallback(handle)
        .with_state(Arc::clone(&state));
    (router, state)
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
    if uri.path() == "/" {
        // Relative, so that it holds behind a reverse proxy's path prefix too.
        return (
            StatusCode::FOUND,
            [
                (header::LOCATION, HeaderValue::from_static(site::INDEX)),
                (header::CACHE_CONTROL, state.cache_control.clone()),
            ],
        )
            .into_response();
    }
    let Some((name, media_type)) = file_name(&uri).and_then(|n| Some((n, media_type(n)?))) else {
        return not_found();
    };
    // Only what the configuration in force publishes: not a removed feed's files left behind.
    if !state.live().names.contains(name) {
        return not_found();
    }
    let Some(file) = state.files.read(name).await else {
        return not_found();
    };
    let coding = negotiate(&headers);
    let mut response = if not_modified(&headers, &file) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        // Compressed bodies are made once per file version, not per request.
        let body = match coding {
            Some(coding) => {
                file.compressed
                    .get(coding, &file.bytes, &state.compressing)
                    .await
            }
            None => file.bytes.clone(),
        };
        let mut response = Response::new(Body::from(body));
        let out = response.headers_mut();
        out.insert(header::CONTENT_TYPE, media_type);
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

/// Serves `config`'s output folder on `listener` until `shutdown` completes; with a refresh
/// interval, refreshes every feed at once and then on that interval. `index.html` and
/// `feeds.opml` are written first when missing (listing feeds not published yet). The
/// configuration file is read again on SIGHUP and when it changes (every 2 s).
/// Connections are bounded
/// as [`ServeOptions`] says, and at most as many are open as the file limit allows (its soft
/// limit is raised to the hard one first). On shutdown it stops accepting, lets requests and a
/// refresh in progress finish (connections for at most `shutdown_grace`), and returns.
pub async fn serve(
    config: Config,
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let limits = listen::Limits {
        header_timeout: options.header_timeout,
        send_timeout: options.send_timeout,
        max_connections: options.max_connections.min(connection_ceiling()),
        shutdown_grace: options.shutdown_grace,
    };
    let refresh = options.refresh;
    // First: a `systemctl reload` from now on reloads, and never ends the server.
    let hangup = reload::Hangup::new();
    if !config.output.dir.join(site::INDEX).is_file() {
        // Before the refresh thread starts, so that it does not find the lock held.
        reload::write_site(config.clone()).await;
    }
    let (app, state) = app(config, options);
    let watcher = tokio::spawn(reload::watch(
        Arc::clone(&state),
        stop_rx.clone(),
        refresh.is_some(),
        hangup,
    ));
    let refresher = refresh.map(|interval| schedule::start(interval, stop_rx, Arc::clone(&state)));
    listen::serve(listener, app, limits, async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    })
    .await;
    let _ = watcher.await;
    if let Some(refresher) = refresher {
        // A refresh in progress finishes its writes; the loop then sees the stop.
        let _ = tokio::task::spawn_blocking(move || refresher.join()).await;
    }
    Ok(())
}

/// File descriptors kept for everything but connections: the state file, feed files, the
/// refresher's sockets.
const RESERVED_DESCRIPTORS: u64 = 64;

/// How many connections the file limit leaves room for, after raising its soft limit to the
/// hard one where allowed.
#[cfg(unix)]
fn connection_ceiling() -> usize {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = match (limit.current, limit.maximum) {
        (Some(current), maximum) if maximum.is_none_or(|max| max > current) => {
            // Far beyond what one process serves: no point asking for more.
            let wanted = maximum.unwrap_or(u64::MAX).min(1 << 16);
            let raised = Rlimit {
                current: Some(wanted),
                maximum: limit.maximum,
            };
            setrlimit(Resource::Nofile, raised).map_or(current, |()| wanted)
        }
        (Some(current), _) => current,
        (None, _) => 1 << 16,
    };
    usize::try_from(raised.saturating_sub(RESERVED_DESCRIPTORS).max(1)).unwrap_or(usize::MAX)
}

/// Elsewhere, the default cap stands.
#[cfg(not(unix))]
fn connection_ceiling() -> usize {
    usize::MAX
}
