//! Connections: accepted under a cap, each bounded in time (RFC 9112 §9 connection management;
//! the limits nginx sets with `client_header_timeout`, `keepalive_timeout`, `send_timeout` and
//! `worker_connections`).
//!
//! - A request's headers must arrive within the header timeout, counted from when the
//!   connection is idle (so it bounds idle keep-alive connections and silent ones alike).
//! - A response that the client does not take within the send timeout ends the connection.
//! - At most `max_connections` are open (kept below the process's file limit). When all are
//!   taken, the oldest connection with no request in progress (a silent one, a half-sent one,
//!   an idle keep-alive one) is closed to let the new one in.
//! - On shutdown, no connection is accepted; the open ones finish their request and close; those
//!   still open after the grace period are dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;

/// The address a request came from, for handlers (`/healthz` shows details to loopback only).
#[derive(Debug, Clone, Copy)]
pub(super) struct Peer(pub(super) SocketAddr);

/// How connections are bounded.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) header_timeout: Duration,
    pub(super) send_timeout: Duration,
    pub(super) max_connections: usize,
    pub(super) shutdown_grace: Duration,
}

/// What the accept loop knows of one open connection.
#[derive(Debug)]
struct Open {
    /// Responses being produced or sent.
    busy: u32,
    /// When it last became idle (or was accepted), for choosing which to close first.
    idle_since: Instant,
    /// When its current response began, while it is busy.
    busy_since: Option<Instant>,
    /// Tells its task to close it now.
    close: Arc<Notify>,
    /// Its connection slot: freed as soon as the connection is chosen to be closed, so that
    /// the accept loop need not wait for its task to end.
    _slot: OwnedSemaphorePermit,
}

/// The open connections.
#[derive(Debug, Default)]
struct Registry {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Open>>,
    /// Told whenever a connection becomes idle: one that can be closed for a new one.
    idle: Notify,
}

impl Registry {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn add(&self, slot: OwnedSemaphorePermit) -> (u64, Arc<Notify>) {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let close = Arc::new(Notify::new());
        self.lock().insert(
            id,
            Open {
                busy: 0,
                idle_since: Instant::now(),
                busy_since: None,
                close: Arc::clone(&close),
                _slot: slot,
            },
        );
        (id, close)
    }

    fn remove(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn begin(&self, id: u64) {
        if let Some(open) = self.lock().get_mut(&id) {
            open.busy += 1;
            open.busy_since.get_or_insert_with(Instant::now);
        }
    }

    fn end(&self, id: u64) {
        if let Some(open) = self.lock().get_mut(&id) {
            open.busy = open.busy.saturating_sub(1);
            if open.busy == 0 {
                open.busy_since = None;
                open.idle_since = Instant::now();
                self.idle.notify_one();
            }
        }
    }

    /// Closes the connection that has been idle longest, freeing its slot at once; whether
    /// there was one.
    fn close_oldest_idle(&self) -> bool {
        let mut open = self.lock();
        let oldest = open
            .iter()
            .filter(|(_, o)| o.busy == 0)
            .min_by_key(|(_, o)| o.idle_since)
            .map(|(id, _)| *id);
        match oldest.and_then(|id| open.remove(&id)) {
            Some(closed) => {
                closed.close.notify_one();
                true
            }
            None => false,
        }
    }

    /// When connection `id`'s current response began, if it is sending one.
    fn busy_since(&self, id: u64) -> Option<Instant> {
        self.lock().get(&id).and_then(|o| o.busy_since)
    }
}

/// Marks a connection busy from a request until its response body is dropped (sent whole, or
/// given up).
struct Busy {
    registry: Arc<Registry>,
    id: u64,
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.registry.end(self.id);
    }
}

/// A response body that keeps its connection marked busy until it is dropped.
struct TrackedBody {
    inner: Body,
    _busy: Busy,
}

impl hyper::body::Body for TrackedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` completes.
pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let registry = Arc::new(Registry::default());
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = take_slot(&slots, &registry) => slot,
        };
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of file descriptors and the like: pause rather than spin.
                tracing::warn!("cannot accept a connection: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Registered before its task starts, so that the next slot taken can close it.
        let (id, close) = registry.add(slot);
        let (registry, app, stop) = (Arc::clone(&registry), app.clone(), stop_rx.clone());
        let open = Accepted {
            stream,
            peer,
            id,
            close,
        };
        tasks.spawn(connection(open, app, limits, registry, stop));
        // Reap the connections that ended, so the set does not grow.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if finished.is_err() {
        tracing::info!(
            "{} connections still open after {} s: closed",
            tasks.len(),
            limits.shutdown_grace.as_secs_f64()
        );
        tasks.abort_all();
    }
}

/// A free connection slot; when there is none, the oldest idle connection is closed for it.
async fn take_slot(slots: &Arc<Semaphore>, registry: &Registry) -> OwnedSemaphorePermit {
    loop {
        if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
            return slot;
        }
        if registry.close_oldest_idle() {
            // Its slot is free now; its task closes the socket.
            continue;
        }
        // Every connection is busy: wait for one to end, or to become idle.
        tokio::select! {
            slot = Arc::clone(slots).acquire_owned() => {
                if let Ok(slot) = slot {
                    return slot;
                }
                // The semaphore is never closed; should it be, give the runtime a turn.
                tokio::task::yield_now().await;
            }
            () = registry.idle.notified() => {}
        }
    }
}

/// A connection just accepted, registered under `id`.
struct Accepted {
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    id: u64,
    close: Arc<Notify>,
}

/// One connection, from accept to close.
async fn connection(
    accepted: Accepted,
    app: Router,
    limits: Limits,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    let Accepted {
        stream,
        peer,
        id,
        close,
    } = accepted;
    let service_registry = Arc::clone(&registry);
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let (registry, app) = (Arc::clone(&service_registry), app.clone());
        async move {
            registry.begin(id);
            let busy = Busy { registry, id };
            let mut request = request.map(Body::new);
            request.extensions_mut().insert(Peer(peer));
            let response = app.oneshot(request).await?;
            Ok::<_, std::convert::Infallible>(
                response.map(|inner| TrackedBody { inner, _busy: busy }),
            )
        }
    });
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => {}
        () = close.notified() => {}
        () = stuck(&registry, id, limits.send_timeout) => {}
        () = async {
            // The guard `wait_for` returns must not live across the awaits below.
            let _ = stop.wait_for(|stopped| *stopped).await;
        } => {
            connection.as_mut().graceful_shutdown();
            tokio::select! {
                _ = connection.as_mut() => {}
                () = stuck(&registry, id, limits.send_timeout) => {}
            }
        }
    }
    registry.remove(id);
}

/// Completes when connection `id` has been sending one response for longer than `limit`: a
/// client that does not read.
async fn stuck(registry: &Registry, id: u64, limit: Duration) {
    loop {
        let wait = match registry.busy_since(id) {
            Some(since) if since.elapsed() >= limit => return,
            Some(since) => limit.saturating_sub(since.elapsed()),
            None => limit,
        };
        tokio::time::sleep(wait.max(Duration::from_millis(100))).await;
    }
}
