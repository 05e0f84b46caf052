//! A scripted HTTP server on 127.0.0.1, port 0: each path answers a list of replies in turn
//! (the last one repeats), unknown paths answer 404, and every request is logged.

use std::collections::{HashMap, VecDeque};
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a body, or 304 when the request's validators match the page's.
    Page {
        /// The body.
        body: Vec<u8>,
        /// The `Content-Type`.
        content_type: String,
        /// The `ETag`, if any.
        etag: Option<String>,
        /// The `Last-Modified`, if any.
        last_modified: Option<String>,
        /// Whether the body is sent gzipped (when the client accepts it).
        gzip: bool,
    },
    /// A bare status with headers.
    Status(u16, Vec<(&'static str, String)>),
    /// A 302 to another path.
    Redirect(String),
    /// Another reply, after a pause.
    Slow(Duration, Box<Reply>),
    /// Headers announcing `declared` bytes, then `body` (shorter), then a dropped connection.
    Truncated {
        /// What is sent.
        body: Vec<u8>,
        /// What `Content-Length` says.
        declared: usize,
    },
    /// `chunk` over and over, made as it is sent, until `total` bytes have gone; the bytes
    /// sent are counted in `sent`.
    Endless {
        /// The piece repeated.
        chunk: Vec<u8>,
        /// Bytes sent in all.
        total: u64,
        /// Bytes sent so far.
        sent: Arc<std::sync::atomic::AtomicU64>,
    },
    /// 200 with these headers and `body` exactly as given (say, already compressed).
    Raw(Vec<(&'static str, String)>, Vec<u8>),
    /// `body`, then nothing more, the connection held open for good.
    Stall {
        /// What is sent first.
        body: Vec<u8>,
    },
}

impl Reply {
    /// An HTML page, `text/html` with no charset, no validators.
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Page {
            body: body.into(),
            content_type: "text/html".to_string(),
            etag: None,
            last_modified: None,
            gzip: false,
        }
    }

    /// The ILO fixture page.
    pub fn ilo() -> Reply {
        Reply::html(
            std::fs::read(crate::fixtures::fixture("ilo-china-press-releases.html")).unwrap(),
        )
    }

    /// This page with an `ETag`.
    pub fn etag(self, value: &str) -> Reply {
        match self {
            Reply::Page {
                body,
                content_type,
                last_modified,
                gzip,
                ..
            } => Reply::Page {
                body,
                content_type,
                etag: Some(value.to_string()),
                last_modified,
                gzip,
            },
            other => other,
        }
    }

    /// This page with a `Last-Modified`.
    pub fn last_modified(self, value: &str) -> Reply {
        match self {
            Reply::Page {
                body,
                content_type,
                etag,
                gzip,
                ..
            } => Reply::Page {
                body,
                content_type,
                etag,
                last_modified: Some(value.to_string()),
                gzip,
            },
            other => other,
        }
    }

    /// This page with another `Content-Type`.
    pub fn content_type(self, value: &str) -> Reply {
        match self {
            Reply::Page {
                body,
                etag,
                last_modified,
                gzip,
                ..
            } => Reply::Page {
                body,
                content_type: value.to_string(),
                etag,
                last_modified,
                gzip,
            },
            other => other,
        }
    }

    /// This page gzip-compressed (`Content-Encoding: gzip`).
    pub fn gzip(self) -> Reply {
        match self {
            Reply::Page {
                body,
                content_type,
                etag,
                last_modified,
                ..
            } => Reply::Page {
                body,
                content_type,
                etag,
                last_modified,
                gzip: true,
            },
            other => other,
        }
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    /// The method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
    /// Header names (lower case) and values.
    pub headers: HashMap<String, String>,
    /// When it arrived.
    pub at: Instant,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, VecDeque<Reply>>>,
    log: Mutex<Vec<Logged>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// An axum app served on a thread of its own (127.x.y.z, a free port); stops when dropped.
pub struct Background {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Serves `app` on `ip` with a free port.
    pub fn spawn(ip: &str, app: axum::Router) -> Background {
        Background::serve_with(ip, move |listener, stop| async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stop.await;
                })
                .await
                .unwrap();
        })
    }

    /// Runs `serve` on a listener bound to `ip` with a free port, on a runtime and thread
    /// of its own; `stop` completes when the `Background` is dropped, and `serve` should
    /// return then.
    pub fn serve_with<F, Fut>(ip: &str, serve: F) -> Background
    where
        F: FnOnce(tokio::net::TcpListener, tokio::sync::oneshot::Receiver<()>) -> Fut
            + Send
            + 'static,
        Fut: std::future::Future<Output = ()>,
    {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let ip = ip.to_string();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind((ip.as_str(), 0))
                    .await
                    .unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                serve(listener, stop_rx).await;
            });
        });
        Background {
            addr: addr_rx.recv().unwrap(),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The scripted server; stops when dropped.
pub struct TestServer {
    background: Background,
    shared: Arc<Shared>,
}

impl TestServer {
    /// Starts a server on 127.0.0.1 with a free port.
    pub fn start() -> TestServer {
        Self::start_on("127.0.0.1")
    }

    /// Starts a server on `ip` (any 127.x.y.z) with a free port.
    pub fn start_on(ip: &str) -> TestServer {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        TestServer {
            background: Background::spawn(ip, app),
            shared,
        }
    }

    /// The full URL of `path`.
    pub fn url(&self, path: &str) -> String {
        self.background.url(path)
    }

    /// Makes `path` answer `replies` in turn; the last one repeats.
    pub fn route(&self, path: &str, replies: Vec<Reply>) {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(path.to_string(), replies.into());
    }

    /// The requests made for `path`, in order.
    pub fn requests(&self, path: &str) -> Vec<Logged> {
        self.shared
            .log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.path == path)
            .cloned()
            .collect()
    }

    /// How many requests were made for `path`.
    pub fn count(&self, path: &str) -> usize {
        self.requests(path).len()
    }

    /// The most requests the server ever had in progress at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let method = request.method().to_string();
    let headers: HashMap<String, String> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let at = Instant::now();
    let now_in_flight = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared
        .max_in_flight
        .fetch_max(now_in_flight, Ordering::SeqCst);
    let reply = {
        let mut routes = shared.routes.lock().unwrap();
        routes.get_mut(&path).and_then(|replies| {
            if replies.len() > 1 {
                replies.pop_front()
            } else {
                replies.front().cloned()
            }
        })
    };
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let response = match reply {
        Some(reply) => answer(reply, &parts.headers).await,
        None => status_response(404, Vec::new()),
    };
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    shared.log.lock().unwrap().push(Logged {
        method,
        path,
        body,
        headers,
        at,
        status: response.status().as_u16(),
    });
    response
}

fn status_response(status: u16, headers: Vec<(&'static str, String)>) -> Response {
    let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::empty()).unwrap()
}

async fn answer(reply: Reply, request: &HeaderMap) -> Response {
    let mut reply = reply;
    while let Reply::Slow(pause, inner) = reply {
        tokio::time::sleep(pause).await;
        reply = *inner;
    }
    match reply {
        Reply::Page {
            body,
            content_type,
            etag,
            last_modified,
            gzip,
        } => {
            let asked = |name| request.get(name).and_then(|v| v.to_str().ok());
            let etag_matches = etag.is_some() && asked(header::IF_NONE_MATCH) == etag.as_deref();
            let date_matches = last_modified.is_some()
                && asked(header::IF_MODIFIED_SINCE) == last_modified.as_deref();
            let mut builder = Response::builder();
            if let Some(etag) = &etag {
                builder = builder.header(header::ETAG, etag);
            }
            if let Some(date) = &last_modified {
                builder = builder.header(header::LAST_MODIFIED, date);
            }
            if etag_matches || date_matches {
                return builder
                    .status(StatusCode::NOT_MODIFIED)
                    .body(Body::empty())
                    .unwrap();
            }
            let body = if gzip {
                builder = builder.header(header::CONTENT_ENCODING, "gzip");
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                encoder.write_all(&body).unwrap();
                encoder.finish().unwrap()
            } else {
                body
            };
            builder
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body))
                .unwrap()
        }
        Reply::Status(status, headers) => status_response(status, headers),
        Reply::Redirect(to) => status_response(302, vec![("location", to)]),
        Reply::Truncated { body, declared } => {
            use futures::StreamExt as _;
            // The head and the first part go out; then, a moment later, the connection drops.
            let first = futures::stream::iter([Ok::<_, std::io::Error>(body)]);
            let then_fail = futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(100)).await;
                Err(std::io::Error::other("connection dropped by the test"))
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .header(header::CONTENT_LENGTH, declared)
                .body(Body::from_stream(first.chain(then_fail)))
                .unwrap()
        }
        Reply::Endless { chunk, total, sent } => {
            let chunk = axum::body::Bytes::from(chunk);
            let body = futures::stream::unfold(0u64, move |done| {
                let chunk = chunk.clone();
                let sent = Arc::clone(&sent);
                async move {
                    if done >= total {
                        return None;
                    }
                    let len = u64::try_from(chunk.len()).unwrap().min(total - done);
                    sent.fetch_add(len, Ordering::SeqCst);
                    let part = chunk.slice(..usize::try_from(len).unwrap());
                    Some((Ok::<_, std::io::Error>(part), done + len))
                }
            });
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from_stream(body))
                .unwrap()
        }
        Reply::Raw(headers, body) => {
            let mut builder = Response::builder();
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder.body(Body::from(body)).unwrap()
        }
        Reply::Stall { body } => {
            use futures::StreamExt as _;
            let first = futures::stream::iter([Ok::<_, std::io::Error>(body)]);
            let never = futures::stream::pending();
            Response::builder()
                .header(header::CONTENT_TYPE, "text/html")
                .body(Body::from_stream(first.chain(never)))
                .unwrap()
        }
        Reply::Slow(..) => unreachable!("unwrapped above"),
    }
}
