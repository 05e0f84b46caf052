//! `pressfeed serve`: serves the output folder (and nothing else) to feed readers, with
//! validators, conditional requests and compression, optionally refreshing the feeds on a
//! schedule under the same lock and state as `pressfeed run`.
//!
//! One file per HTTP concern: [`files`] (which files, their ETags), [`conditional`] (304s),
//! [`compress`] (content codings), [`health`] (`/healthz`) and [`schedule`] (the refresh
//! thread).

mod compress;
mod conditional;
mod files;
mod health;
mod schedule;

use std::net::SocketAddr;
use std::sync::Arc;
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
}

impl ServeOptions {
    /// `Cache-Control: max-age`: the refresh interval, or five minutes without one.
    fn max_age(&self) -> Duration {
        self.refresh.unwrap_or(Duration::from_secs(300))
    }
}

/// What every request shares.
#[derive(Debug)]
struct ServeState {
    config: Config,
    options: ServeOptions,
    cache_control: HeaderValue,
    files: FileCache,
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
        files: FileCache::new(&config.output.dir),
        config,
        options,
        cache_control,
        compressing: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
        )),
    });
    Router::new()
        .route(
            "/healthz",
            axum::routing::get(health::health_route)
                .layer(CompressionLayer::new().gzip(true).br(true)),
        )
        .fallback(handle)
        .with_state(state)
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
/// interval, refreshes every feed at once and then on that interval. On shutdown it stops
/// accepting, lets a refresh in progress finish, and returns.
pub async fn serve(
    config: Config,
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let refresher = options
        .refresh
        .map(|interval| schedule::start(config.clone(), interval, stop_rx));
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
